//! Gavel: a workbench for policy-as-code compliance.
//!
//! The core (everything but `cli` and `tui`) knows nothing of terminals: the
//! command line and the workbench are thin shells over the same functions.

pub mod allowed_signers;
pub mod bundle;
pub mod canonical;
pub mod certify;
pub mod decide;
pub mod decision_import;
pub mod decision_log;
pub mod derived_check;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod error;
pub mod exceptions;
pub mod explain;
pub mod import;
pub mod json_input;
pub mod json_text;
pub mod store;
pub mod tlog;

pub use error::{Error, Result};
pub mod matrix;
pub mod packet;
pub mod panics;
pub mod policy_version;
pub mod rego;
pub mod replay;
pub mod samples;
pub mod sanitize;
pub mod serve;
pub mod verify;
pub mod working_copy;

// The shells over the core.
pub mod cli;
pub mod tui;
