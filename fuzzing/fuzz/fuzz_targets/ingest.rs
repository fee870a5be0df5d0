//! cargo-fuzz target: [`fuzzing::ingest`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::ingest(data));
