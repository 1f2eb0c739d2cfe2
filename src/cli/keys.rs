//! `gavel keys new`: a signer's key pair, made on purpose rather than on
//! first use (and never from a mistyped `--key` path).

use std::path::PathBuf;

use serde::Serialize;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::certify::SignerKey;
use crate::sanitize::escape;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make a new Ed25519 signer key (PKCS#8 PEM, mode 0600; the public key
    /// beside it as .pub). A file already there is left alone: an error.
    New {
        /// Where (default: $GAVEL_KEY_DIR/signer.key, else the config dir's gavel/signer.key).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Serialize)]
struct Made {
    key_file: String,
    public_key_file: String,
    public_key: String,
    fingerprint: String,
}

pub fn run(ctx: &mut Ctx, command: Command) -> anyhow::Result<Status> {
    let Command::New { out } = command;
    let path = match out {
        Some(p) => p,
        None => SignerKey::default_path()?,
    };
    let key = SignerKey::create_new(&path).map_err(|e| match e {
        crate::Error::Io { cause, .. } if cause.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!(
                "{}: already exists; a key is never replaced",
                path.display()
            )
        }
        other => other.into(),
    })?;
    let made = Made {
        key_file: path.display().to_string(),
        public_key_file: path.with_extension("pub").display().to_string(),
        public_key: key.public_hex(),
        fingerprint: key.fingerprint(),
    };
    if ctx.format == Format::Json {
        write_json(ctx.out, &made)?;
    } else {
        writeln!(
            ctx.out,
            "made {} ({}); public key in {}",
            escape(&made.key_file),
            made.fingerprint,
            escape(&made.public_key_file)
        )?;
    }
    Ok(Status::Ok)
}
