//! A whole version load of one Rego module: see `oracles::rego` for what is checked.
#![no_main]

#[path = "../oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::rego(data));
