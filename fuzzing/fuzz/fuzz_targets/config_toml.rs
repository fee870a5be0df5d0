//! cargo-fuzz target: [`fuzzing::config_toml`].
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::config_toml(data));
