//! The METADATA parser: see `oracles::metadata` for what is checked.
#![no_main]

#[path = "../oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::metadata(data));
