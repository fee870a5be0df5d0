//! cargo-fuzz target: [`fuzzing::import_rows`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::import_rows(data));
