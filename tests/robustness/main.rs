//! Issue 7: Gavel's promises under faults, bad input and concurrent use,
//! through the real binary on real SQLite files. One module per promise:
//!
//! - `crash`: SIGKILL during `decisions import` and `replay --all`;
//! - `concurrency`: the workbench open while the CLI imports, and two
//!   writers at once;
//! - `bad_bundles`, `bad_logs`, `bad_policies`: bad input at every entry
//!   point, refused with where and why, nothing stored lost;
//! - `integrity`: `gavel verify` on a damaged file, `gavel backup` while
//!   an import runs;
//! - `fuzz_backing`: the fuzzers' seed corpora and the crashes they found,
//!   through the same entry points;
//! - `memory`: big data files and big decision-log lines under an
//!   address-space limit.

#[path = "../common/mod.rs"]
mod common;
#[path = "../tui_support/mod.rs"]
mod tui_support;

mod support;

mod bad_bundles;
mod bad_logs;
mod bad_policies;
mod concurrency;
mod crash;
mod fuzz_backing;
mod integrity;
mod memory;
