//! `gavel keys new`: a signer's key pair, made on purpose rather than on
//! first use (and never from a mistyped `--key` path); `gavel keys trust`:
//! the allowed_signers line that lets a key sign roles.

use std::io::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::allowed_signers::{Trust, line_for};
use crate::certify::{SignerKey, normalize_role};
use crate::sanitize::escape;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make a new Ed25519 signer key (an OpenSSH private key, mode 0600, as
    /// `ssh-keygen -t ed25519` writes; the public key beside it as .pub). A
    /// file already there is left alone: an error.
    New {
        /// Where (default: $GAVEL_KEY_DIR/signer.key, else the config dir's gavel/signer.key).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Trust a key: append the line that lets PRINCIPAL sign ROLES with it
    /// to the allowed_signers file (--allowed-signers, else the default).
    Trust {
        /// Who signs with the key: an e-mail address or a name.
        #[arg(value_name = "PRINCIPAL")]
        principal: String,
        /// The roles PRINCIPAL may sign, comma-separated (`*`: any).
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// The public key: a .pub file, or a private key file (default: the
        /// default signer key's).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
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
    match command {
        Command::New { out } => new(ctx, out),
        Command::Trust {
            principal,
            roles,
            key,
        } => trust(ctx, &principal, &roles, key),
    }
}

fn new(ctx: &mut Ctx, out: Option<PathBuf>) -> anyhow::Result<Status> {
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
        public_key: key.public_text(),
        fingerprint: key.fingerprint(),
    };
    if ctx.format == Format::Json {
        write_json(ctx.out, &made)?;
    } else {
        writeln!(
            ctx.out,
            "made {} ({}); public key in {}\n\
             to let it sign, trust it: gavel keys trust PRINCIPAL --roles ROLE --key {}",
            escape(&made.key_file),
            made.fingerprint,
            escape(&made.public_key_file),
            escape(&made.public_key_file)
        )?;
    }
    Ok(Status::Ok)
}

fn trust(
    ctx: &mut Ctx,
    principal: &str,
    roles: &[String],
    key: Option<PathBuf>,
) -> anyhow::Result<Status> {
    let principal = crate::certify::check_text("PRINCIPAL", principal)?;
    if principal.contains(',') {
        anyhow::bail!(
            "PRINCIPAL '{}': one principal per line, without commas",
            principal.escape_debug()
        );
    }
    let roles = roles
        .iter()
        .map(|r| {
            if r.trim() == "*" {
                Ok("*".to_string())
            } else {
                normalize_role(r)
            }
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let key_path = match key {
        Some(p) => p,
        None => SignerKey::default_path()?,
    };
    let public = read_public(&key_path)?;
    let settings = ctx.settings()?;
    let file = match settings.trust.path() {
        Some(p) => p.to_path_buf(),
        None => Trust::default_path()
            .ok_or_else(|| anyhow::anyhow!("no config dir: pass --allowed-signers FILE"))?,
    };
    let line = line_for(&principal, &public, &roles);
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .map_err(|e| crate::Error::io(&file, e))?;
    writeln!(f, "{line}").map_err(|e| crate::Error::io(&file, e))?;
    // What was written must read back: a line Gavel cannot read is an
    // error now, not at the next sign-off.
    Trust::load(&file)?;
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &serde_json::json!({"allowed_signers": file.display().to_string(), "line": line}),
        )?;
    } else {
        writeln!(
            ctx.out,
            "trusted {} ({}) to sign as {} in {}",
            escape(&principal),
            crate::allowed_signers::key_fingerprint(&public),
            roles.join(", "),
            escape(&file.display().to_string())
        )?;
    }
    Ok(Status::Ok)
}

/// A public key from a `.pub` file, or from a private key file.
fn read_public(path: &std::path::Path) -> anyhow::Result<ssh_key::public::KeyData> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    if text.trim_start().starts_with("ssh-") {
        let key = ssh_key::PublicKey::from_openssh(text.trim())
            .map_err(|e| anyhow::anyhow!("{}: not an OpenSSH public key ({e})", path.display()))?;
        return Ok(key.key_data().clone());
    }
    Ok(SignerKey::load(path)?.public().clone())
}
