//! The library's error type. Every variant that comes from user input says
//! where: a file and line, a JSONL line number, a version or decision id.

use std::path::PathBuf;

/// Result with Gavel's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written. The reason is in
    /// the message, not a chained source: `gavel: FILE: reason` once, not
    /// the reason twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    /// Bad input at a known place: `file:line[:col]: message`.
    #[error("{location}: {message}")]
    Input { location: String, message: String },

    /// Bad input with no finer place than the thing it names.
    #[error("{0}")]
    Invalid(String),

    /// A `NAME@VERSION` or id that is not in the store.
    #[error("{0}")]
    NotFound(String),

    /// An attempt to change something the store keeps immutable.
    #[error("{0}")]
    Conflict(String),

    /// The SQLite store itself failed.
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),

    /// A check that failed (a signature that does not verify, a proof that
    /// does not lead to its root): exit 1, not bad input.
    #[error("{0}")]
    Check(String),

    /// The store may be read but not written (a read-only copy).
    #[error("{0}")]
    ReadOnly(String),

    /// The store file is damaged (SQLite says it is malformed or not a
    /// database): `gavel verify` reports what can still be read.
    #[error("store DAMAGED: {0}")]
    Damaged(String),

    /// The Rego engine failed in a way no input explains.
    #[error("engine: {0}")]
    Engine(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause,
        }
    }

    pub fn input(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            location: location.into(),
            message: message.into(),
        }
    }

    /// Whether the error is the user's input (exit 2) rather than an
    /// environment failure. Both exit 2 today; the split keeps the CLI honest
    /// if that changes.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Store(_) | Error::Engine(_))
    }
}
