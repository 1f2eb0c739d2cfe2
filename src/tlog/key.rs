//! The log key: the Ed25519 key that signs the decision log's checkpoints.
//! It is kept outside the store (an attacker who can write the store file
//! must not be able to sign a rewritten log), in Go's note key text
//! (`PRIVATE+KEY+<name>+<hash>+<key>`, mode 0600), the format Go's checksum
//! database and the C2SP tools read. Its verifier key (`<name>+<hash>+<key>`)
//! is written beside it as `log.pub`: that line is what an auditor is given.

use std::path::{Path, PathBuf};

use super::note::{NoteSigner, NoteVerifier};
use crate::error::{Error, Result};

/// The key file's name in the key directory.
pub const LOG_KEY_FILE: &str = "log.key";
/// The name the key signs checkpoints as.
pub const LOG_KEY_NAME: &str = "gavel-log";

/// A loaded log key.
pub struct LogKey {
    pub signer: NoteSigner,
    pub path: PathBuf,
    /// Made by this load (first use).
    pub created: bool,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("path", &self.path)
            .field("verifier", &self.signer.verifier().to_text())
            .finish()
    }
}

/// The verifier of the local log key at `path` (else where
/// `default_location` says), when that file exists: a check never makes
/// one.
pub fn local_verifier(path: Option<&Path>) -> Result<Option<NoteVerifier>> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => default_location()?.0,
    };
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(LogKey::load(&path, false)?.verifier()))
}

/// Where the log key is: `$GAVEL_LOG_KEY` when set (that file must exist:
/// a mistyped path is an error, never a new key), else
/// `$GAVEL_KEY_DIR/log.key`, else the platform config dir's `gavel/log.key`
/// (made on first use). The bool says whether a missing file may be made.
pub fn default_location() -> Result<(PathBuf, bool)> {
    if let Some(file) = std::env::var_os("GAVEL_LOG_KEY").filter(|f| !f.is_empty()) {
        return Ok((PathBuf::from(file), false));
    }
    if let Some(dir) = std::env::var_os("GAVEL_KEY_DIR").filter(|d| !d.is_empty()) {
        return Ok((PathBuf::from(dir).join(LOG_KEY_FILE), true));
    }
    directories::ProjectDirs::from("", "", "gavel")
        .map(|d| (d.config_dir().join(LOG_KEY_FILE), true))
        .ok_or_else(|| {
            Error::Invalid(
                "no home directory to keep the log key in: set GAVEL_KEY_DIR or GAVEL_LOG_KEY"
                    .into(),
            )
        })
}

impl LogKey {
    /// Reads the key at `path`; when it does not exist and `may_create`,
    /// makes a new one there (and `log.pub` beside it).
    pub fn load(path: &Path, may_create: bool) -> Result<LogKey> {
        let make: &crate::certify::MakeKey<LogKey> = &Self::create;
        crate::certify::read_or_make(path, Self::parse, may_create.then_some(make), || {
            Error::Invalid(format!(
                "{}: no such log key (GAVEL_LOG_KEY names a file that does not exist)",
                path.display()
            ))
        })
    }

    fn parse(path: &Path, text: &str) -> Result<LogKey> {
        crate::certify::check_private(path)?;
        let signer = NoteSigner::parse(text).map_err(|e| {
            Error::Invalid(format!(
                "{}:1: not a log key (Go note signer key, PRIVATE+KEY+name+hash+key): {e}",
                path.display()
            ))
        })?;
        Ok(LogKey {
            signer,
            path: path.to_path_buf(),
            created: false,
        })
    }

    fn create(path: &Path) -> Result<LogKey> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let signer = NoteSigner::generate(LOG_KEY_NAME)
            .map_err(|e| Error::Invalid(format!("{}: cannot make a key: {e}", path.display())))?;
        crate::certify::write_private(path, format!("{}\n", signer.to_text()).as_bytes())?;
        let pub_path = path.with_extension("pub");
        std::fs::write(&pub_path, format!("{}\n", signer.verifier().to_text()))
            .map_err(|e| Error::io(&pub_path, e))?;
        Ok(LogKey {
            signer,
            path: path.to_path_buf(),
            created: true,
        })
    }

    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }
}

/// Reads a verifier key file (one line, `<name>+<hash>+<key>`), as an
/// auditor is given it.
pub fn read_verifier(path: &Path) -> Result<NoteVerifier> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let n = text
        .lines()
        .position(|l| !l.trim().is_empty())
        .map_or(1, |i| i + 1);
    NoteVerifier::parse(line.trim()).map_err(|e| {
        Error::Invalid(format!(
            "{}:{n}: not a verifier key (name+hash+key, as `gavel checkpoint` prints it): {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/log.key");
        let made = LogKey::load(&path, true).unwrap();
        assert!(made.created);
        let again = LogKey::load(&path, true).unwrap();
        assert!(!again.created);
        assert_eq!(made.verifier().to_text(), again.verifier().to_text());
        let public = read_verifier(&path.with_extension("pub")).unwrap();
        assert_eq!(public.to_text(), made.verifier().to_text());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_named_key_that_is_missing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = LogKey::load(&dir.path().join("typo.key"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no such log key"), "{err}");
        assert!(!dir.path().join("typo.key").exists());
    }
}
