//! The decision-log line parser: see `oracles::decision_line` for what is checked.
#![no_main]

#[path = "../oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::decision_line(data));
