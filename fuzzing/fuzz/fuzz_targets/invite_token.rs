//! cargo-fuzz target: [`fuzzing::invite_token`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::invite_token(data));
