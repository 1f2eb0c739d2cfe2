//! Certification: signed sign-offs by role, the signer's key, and a
//! version's certification status.
//!
//! A role signs off a version only on evidence: a recorded whole-suite test
//! run of that exact version with no failure and coverage at or above the
//! bundle's threshold, and, when the version has decisions, a batch replay
//! of them under the version itself with no DIVERGED. The sign-off is an
//! Ed25519 signature over canonical JSON (keys sorted, no whitespace) that
//! binds the version, its content hash, the test run's id and counts, the
//! replay evidence, the role, the signer, the statement and the time. The
//! payload is stored byte for byte with the public key, so anyone can check
//! it again; a version is certified when every required role has a valid
//! sign-off. A sign-off names its version, so a later version (even one with
//! the same files) never inherits it.
//!
//! Time comes in as a value (`now`): the edges read the clock (or
//! `GAVEL_NOW`) and pass it down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::bundle::Manifest;
use crate::canonical::canonical_json;
use crate::error::{Error, Result};
use crate::store::signoffs::{NewSignoff, ReplayBatch, SignoffRow};
use crate::store::test_runs::TestRun;
use crate::store::{Store, VersionRef, VersionSummary};

/// The roles that must sign off unless a bundle or the config says otherwise.
pub const DEFAULT_ROLES: [&str; 4] = ["legal", "compliance", "audit", "security"];
/// Percent of policy lines a certified version's tests must cover.
pub const DEFAULT_COVERAGE_THRESHOLD: f64 = 90.0;
/// When an exception is due for follow-up, after it is logged.
pub const DEFAULT_EXCEPTION_DUE: &str = "48h";
/// The key file's name in the key directory.
pub const KEY_FILE: &str = "signer.key";
/// What the signed payload says it is.
const PAYLOAD_KIND: &str = "gavel-signoff/2";
/// Sign-offs of earlier releases: a bare Ed25519 signature over the payload.
const PAYLOAD_KIND_V1: &str = "gavel-signoff/1";

// ---------------------------------------------------------------------------
// Time

/// A time as every certification table stores it: RFC 3339 UTC with
/// milliseconds (`2026-11-22T10:31:00.000Z`), so text order is time order.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads an RFC 3339 time; `what` names it in the error.
pub fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::Invalid(format!(
                "{what} '{}': not an RFC 3339 time ({e}); e.g. 2026-11-22T10:00:00Z",
                s.escape_debug()
            ))
        })
}

/// Now, for reading (what is overdue, what is due when): `GAVEL_NOW`
/// (RFC 3339) when set, else the clock. Records take a `Clock`, which says
/// where its time came from. Only the edges (CLI, workbench) call this.
pub fn now_from_env() -> Result<DateTime<Utc>> {
    Clock::from_env().map(|c| c.now)
}

/// A duration as a user writes it: `48h`, `2d`, `1d12h`, `90m`, `1w`, `30s`.
pub fn parse_duration(s: &str) -> Result<chrono::Duration> {
    let bad = |why: &str| {
        Error::Invalid(format!(
            "duration '{}': {why}; write it like 48h, 2d, 1d12h, 90m or 1w",
            s.escape_debug()
        ))
    };
    let text = s.trim();
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad(&format!("unknown unit {c:?}"))),
        };
        if digits.is_empty() {
            return Err(bad(&format!("a number must come before {c:?}")));
        }
        let n: i64 = digits.parse().map_err(|_| bad("number too large"))?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| bad("too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad("the last number has no unit"));
    }
    if total <= 0 {
        return Err(bad("it must be longer than zero"));
    }
    if total > 366 * 86_400 {
        return Err(bad("it may be a year at most"));
    }
    Ok(chrono::Duration::seconds(total))
}

/// A duration for people: hours up to three days (`47h 59m`, as a 48-hour
/// clock reads), then days (`4d 3h`); `12m`, `40s`.
pub fn human_duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().abs();
    let (days, hours, minutes) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    if s >= 3 * 86_400 {
        format!("{days}d {hours}h")
    } else if s >= 3_600 {
        let hours = s / 3_600;
        format!("{hours}h {minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{s}s")
    }
}

// ---------------------------------------------------------------------------
// Settings and requirements

/// The config file's `[certification]` table.
///
/// ```toml
/// [certification]
/// roles = ["legal", "compliance", "audit", "security"]
/// coverage_threshold = 90
/// exception_due = "48h"
/// [certification.bundles.gfr-procurement]
/// roles = ["legal", "compliance"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub roles: Option<Vec<String>>,
    pub coverage_threshold: Option<f64>,
    pub exception_due: Option<String>,
    /// The allowed_signers file (a relative path: from the config file's
    /// folder). Default: `$GAVEL_KEY_DIR/allowed_signers`, else the config
    /// dir's `gavel/allowed_signers`.
    pub allowed_signers: Option<PathBuf>,
    /// One signer (or key) signs at most one role of a version (default
    /// on; turning it off lowers the requirements, in plain view).
    pub separation_of_duties: Option<bool>,
    #[serde(default)]
    pub bundles: BTreeMap<String, BundleSettings>,
    /// The signers trusted, read from `allowed_signers` by the edge.
    #[serde(skip)]
    pub trust: crate::allowed_signers::Trust,
}

/// Per-bundle settings in the config file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSettings {
    pub roles: Option<Vec<String>>,
    pub coverage_threshold: Option<f64>,
    pub separation_of_duties: Option<bool>,
}

/// What a version needs to be certified, and where each part came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirements {
    pub roles: Vec<String>,
    pub coverage_threshold: f64,
    /// `default`, `config file`, `config file [certification.bundles.NAME]`
    /// or `.manifest metadata.certification`.
    pub roles_from: String,
    pub threshold_from: String,
    /// One signer (or key) signs at most one role.
    pub separation_of_duties: bool,
    pub duties_from: String,
    /// Where the config file asks for less than the version's own
    /// `.manifest` (or, without one, Gavel's defaults): said in every
    /// status line, never silent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lowered: Vec<String>,
}

impl Settings {
    /// When a new exception is due, as written (`48h` by default).
    pub fn exception_due_text(&self) -> &str {
        self.exception_due
            .as_deref()
            .unwrap_or(DEFAULT_EXCEPTION_DUE)
    }

    /// When a new exception is due, after it is logged.
    pub fn exception_due(&self) -> Result<chrono::Duration> {
        parse_duration(
            self.exception_due
                .as_deref()
                .unwrap_or(DEFAULT_EXCEPTION_DUE),
        )
        .map_err(|e| Error::Invalid(format!("config [certification] exception_due: {e}")))
    }

    /// The requirements of a bundle: the version's own `.manifest`
    /// (`metadata.certification.roles`, `.coverage_threshold`) first, since
    /// it is part of what is hashed and signed; then the config file's
    /// per-bundle table; then its `[certification]`; then the defaults.
    pub fn requirements(&self, bundle: &str, manifest: &Manifest) -> Result<Requirements> {
        let from_manifest = manifest.metadata.get("certification");
        let (m_roles, m_threshold, m_duties) = match from_manifest {
            None => (None, None, None),
            Some(Value::Object(o)) => {
                for k in o.keys() {
                    if !["roles", "coverage_threshold", "separation_of_duties"]
                        .contains(&k.as_str())
                    {
                        return Err(Error::Invalid(format!(
                            "{bundle}: .manifest metadata.certification.{k}: unknown key \
                             (known: roles, coverage_threshold, separation_of_duties)"
                        )));
                    }
                }
                let duties = match o.get("separation_of_duties") {
                    None => None,
                    Some(Value::Bool(b)) => Some(*b),
                    Some(other) => {
                        return Err(Error::Invalid(format!(
                            "{bundle}: .manifest metadata.certification.separation_of_duties: \
                             expected true or false, found {other}"
                        )));
                    }
                };
                let roles = match o.get("roles") {
                    None => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(|r| {
                                r.as_str().map(String::from).ok_or_else(|| {
                                    Error::Invalid(format!(
                                        "{bundle}: .manifest metadata.certification.roles: \
                                         every role must be a string, found {r}"
                                    ))
                                })
                            })
                            .collect::<Result<Vec<_>>>()?,
                    ),
                    Some(other) => {
                        return Err(Error::Invalid(format!(
                            "{bundle}: .manifest metadata.certification.roles: expected a list \
                             of role names, found {other}"
                        )));
                    }
                };
                let threshold = match o.get("coverage_threshold") {
                    None => None,
                    Some(v) => Some(v.as_f64().ok_or_else(|| {
                        Error::Invalid(format!(
                            "{bundle}: .manifest metadata.certification.coverage_threshold: \
                             expected a percentage, found {v}"
                        ))
                    })?),
                };
                (roles, threshold, duties)
            }
            Some(other) => {
                return Err(Error::Invalid(format!(
                    "{bundle}: .manifest metadata.certification: expected an object, found {other}"
                )));
            }
        };
        if m_roles.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::Invalid(format!(
                "{bundle}: .manifest metadata.certification.roles: at least one role must sign off"
            )));
        }
        let per_bundle = self.bundles.get(bundle);
        let bundle_label = format!("config file [certification.bundles.{bundle}]");
        // What the version itself asks (its hashed .manifest), else Gavel's
        // defaults: the floor a verifier's config may raise, and may lower
        // only in plain view.
        let (base_roles, base_roles_from): (Vec<String>, String) = match m_roles {
            Some(r) => (r, ".manifest metadata.certification".to_string()),
            None => (
                DEFAULT_ROLES.iter().map(|r| r.to_string()).collect(),
                "Gavel's defaults".to_string(),
            ),
        };
        let (base_threshold, base_threshold_from) = match m_threshold {
            Some(t) => (t, ".manifest metadata.certification".to_string()),
            None => (DEFAULT_COVERAGE_THRESHOLD, "Gavel's defaults".to_string()),
        };
        let config_roles = per_bundle
            .and_then(|b| b.roles.clone())
            .map(|r| (r, bundle_label.clone()))
            .or_else(|| {
                self.roles
                    .clone()
                    .map(|r| (r, "config file [certification]".to_string()))
            });
        let config_threshold = per_bundle
            .and_then(|b| b.coverage_threshold)
            .map(|t| (t, bundle_label.clone()))
            .or_else(|| {
                self.coverage_threshold
                    .map(|t| (t, "config file [certification]".to_string()))
            });
        let mut lowered = Vec::new();
        let (roles, roles_from) = match config_roles {
            Some((r, from)) => {
                let given: Vec<String> = r.iter().filter_map(|x| normalize_role(x).ok()).collect();
                let dropped: Vec<&String> = base_roles
                    .iter()
                    .filter(|b| normalize_role(b).is_ok_and(|b| !given.contains(&b)))
                    .collect();
                if !dropped.is_empty() {
                    lowered.push(format!(
                        "{from} drops the role(s) {} that {base_roles_from} requires",
                        dropped
                            .iter()
                            .map(|d| d.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                (r, from)
            }
            None => (base_roles, base_roles_from),
        };
        let (threshold, threshold_from) = match config_threshold {
            Some((t, from)) => {
                if t < base_threshold {
                    lowered.push(format!(
                        "{from} lowers the coverage threshold to {} from the {} {base_threshold_from} sets",
                        pct(t),
                        pct(base_threshold)
                    ));
                }
                (t, from)
            }
            None => (base_threshold, base_threshold_from),
        };
        let (base_duties, base_duties_from) = match m_duties {
            Some(d) => (d, ".manifest metadata.certification"),
            None => (true, "Gavel's defaults"),
        };
        let config_duties = per_bundle
            .and_then(|b| b.separation_of_duties)
            .map(|d| (d, bundle_label.clone()))
            .or_else(|| {
                self.separation_of_duties
                    .map(|d| (d, "config file [certification]".to_string()))
            });
        let (separation_of_duties, duties_from) = match config_duties {
            Some((false, from)) if base_duties => {
                lowered.push(format!(
                    "{from} turns off the separation of duties that {base_duties_from} requires"
                ));
                (false, from)
            }
            Some((d, from)) => (d, from),
            None => (base_duties, base_duties_from.to_string()),
        };
        if !(0.0..=100.0).contains(&threshold) || threshold.is_nan() {
            return Err(Error::Invalid(format!(
                "{bundle}: coverage_threshold {threshold} (from {threshold_from}): give a percentage between 0 and 100"
            )));
        }
        let mut normal: Vec<String> = Vec::new();
        for r in &roles {
            let role = normalize_role(r)
                .map_err(|e| Error::Invalid(format!("{bundle}: roles (from {roles_from}): {e}")))?;
            if !normal.contains(&role) {
                normal.push(role);
            }
        }
        if normal.is_empty() {
            return Err(Error::Invalid(format!(
                "{bundle}: roles (from {roles_from}): at least one role must sign off"
            )));
        }
        Ok(Requirements {
            roles: normal,
            coverage_threshold: threshold,
            roles_from,
            threshold_from,
            separation_of_duties,
            duties_from,
            lowered,
        })
    }

    /// Reads the allowed_signers file into `trust`: `given` (the
    /// `--allowed-signers` flag or `GAVEL_ALLOWED_SIGNERS`), else the config
    /// file's `allowed_signers` (relative to the config file's folder), else
    /// the default path. A missing file trusts no one; a malformed one is an
    /// error with its `file:line`.
    pub fn load_trust(&mut self, given: Option<&Path>, config_file: Option<&Path>) -> Result<()> {
        let path = match (given, &self.allowed_signers) {
            (Some(p), _) => Some(p.to_path_buf()),
            (None, Some(p)) if p.is_relative() => Some(
                config_file
                    .and_then(Path::parent)
                    .map_or_else(|| p.clone(), |dir| dir.join(p)),
            ),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => crate::allowed_signers::Trust::default_path(),
        };
        self.trust = match path {
            Some(p) => crate::allowed_signers::Trust::load(&p)?,
            None => crate::allowed_signers::Trust::Unset,
        };
        Ok(())
    }

    /// The requirements of a stored version.
    pub fn requirements_of(&self, store: &Store, v: &VersionSummary) -> Result<Requirements> {
        self.requirements(&v.name, &store.manifest_of(v.id)?)
    }
}

/// A role name: lower case, letters, digits, `-` and `_`.
pub fn normalize_role(role: &str) -> Result<String> {
    let r = role.trim().to_lowercase();
    if r.is_empty() {
        return Err(Error::Invalid("empty role name".into()));
    }
    if let Some(c) = r
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(Error::Invalid(format!(
            "role '{}': may hold letters, digits, - and _ only, not {c:?}",
            role.escape_debug()
        )));
    }
    Ok(r)
}

/// A name or statement from the user: trimmed, non-empty, no control
/// characters (it is signed and printed).
fn clean_text(what: &str, s: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::Invalid(format!("{what} may not be empty")));
    }
    if t.chars().any(crate::sanitize::needs_escape) {
        return Err(Error::Invalid(format!(
            "{what} '{}': may not hold control or invisible formatting characters",
            t.escape_debug()
        )));
    }
    Ok(t.to_string())
}

/// Checks a free-text field given on the command line or in a prompt.
pub fn check_text(what: &str, s: &str) -> Result<String> {
    clean_text(what, s)
}

// ---------------------------------------------------------------------------
// The signer's key

/// The signer's Ed25519 key pair. New keys are OpenSSH private key files
/// (mode 0600, what `ssh-keygen -t ed25519` writes, so `ssh-keygen -Y sign`
/// can use them too) with the public key beside them as `.pub`; an
/// unencrypted OpenSSH Ed25519 key of the user's own, and the PKCS#8 PEM
/// files earlier releases made, are read as well: the same key in another
/// wrapping.
pub struct SignerKey {
    key: ssh_key::PrivateKey,
    pub path: PathBuf,
    /// Created by this call (first use).
    pub created: bool,
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerKey")
            .field("path", &self.path)
            .field("public_key", &self.public_text())
            .finish()
    }
}

impl SignerKey {
    /// The default key file: `$GAVEL_KEY_DIR/signer.key`, else the platform
    /// config dir's `gavel/signer.key`.
    pub fn default_path() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os("GAVEL_KEY_DIR").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir).join(KEY_FILE));
        }
        directories::ProjectDirs::from("", "", "gavel")
            .map(|d| d.config_dir().join(KEY_FILE))
            .ok_or_else(|| {
                Error::Invalid(
                    "no home directory to keep the signer key in: set GAVEL_KEY_DIR or pass --key FILE"
                        .into(),
                )
            })
    }

    /// Reads a key the user named (`--key FILE`): it must exist. A mistyped
    /// path is an error, never a new key that signs in the user's name.
    pub fn load(path: &Path) -> Result<SignerKey> {
        read_or_make(path, Self::parse, None, || {
            Error::Invalid(format!(
                "{}: no such key file (make one with `gavel keys new --out {}`)",
                path.display(),
                path.display()
            ))
        })
    }

    /// Makes a new key pair at `path`; a file already there is an error.
    pub fn create_new(path: &Path) -> Result<SignerKey> {
        Self::create(path)
    }

    /// Reads the key at `path`, creating a new key pair there first when the
    /// file does not exist (the default key, on first use).
    pub fn load_or_create(path: &Path) -> Result<SignerKey> {
        read_or_make(path, Self::parse, Some(&Self::create), || {
            Error::Invalid(format!("{}: no such key file", path.display()))
        })
    }

    fn parse(path: &Path, text: &str) -> Result<SignerKey> {
        check_private(path)?;
        let bad = |what: String| Error::Invalid(format!("{}: {what}", path.display()));
        let key = if text
            .trim_start()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
        {
            let key = ssh_key::PrivateKey::from_openssh(text)
                .map_err(|e| bad(format!("not a readable OpenSSH private key ({e})")))?;
            if key.is_encrypted() {
                return Err(bad(
                    "the key is encrypted with a passphrase, which Gavel cannot ask for: sign with a \
                     key of its own (`gavel keys new`)"
                        .into(),
                ));
            }
            if key.algorithm() != ssh_key::Algorithm::Ed25519 {
                return Err(bad(format!(
                    "a {} key; sign-offs are signed with Ed25519 keys (`gavel keys new`, or \
                     `ssh-keygen -t ed25519`)",
                    key.algorithm()
                )));
            }
            key
        } else {
            let dalek = SigningKey::from_pkcs8_pem(text).map_err(|e| {
                bad(format!(
                    "neither an OpenSSH private key nor an Ed25519 key in PKCS#8 PEM ({e})"
                ))
            })?;
            Self::wrap(&dalek)?
        };
        Ok(SignerKey {
            key,
            path: path.to_path_buf(),
            created: false,
        })
    }

    fn wrap(dalek: &SigningKey) -> Result<ssh_key::PrivateKey> {
        let pair = ssh_key::private::Ed25519Keypair::from(dalek.clone());
        ssh_key::PrivateKey::new(ssh_key::private::KeypairData::Ed25519(pair), "gavel signer")
            .map_err(|e| Error::Invalid(format!("cannot wrap the key: {e}")))
    }

    fn create(path: &Path) -> Result<SignerKey> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| {
            Error::Invalid(format!(
                "{}: no randomness for a new key: {e}",
                path.display()
            ))
        })?;
        let key = Self::wrap(&SigningKey::from_bytes(&secret))?;
        secret.fill(0);
        let text = key.to_openssh(ssh_key::LineEnding::LF).map_err(|e| {
            Error::Invalid(format!("{}: cannot encode the key: {e}", path.display()))
        })?;
        write_private(path, text.as_bytes())?;
        let pub_path = path.with_extension("pub");
        let public = format!(
            "{} gavel signer\n",
            crate::allowed_signers::key_text(key.public_key().key_data())
        );
        std::fs::write(&pub_path, public).map_err(|e| Error::io(&pub_path, e))?;
        Ok(SignerKey {
            key,
            path: path.to_path_buf(),
            created: true,
        })
    }

    /// The public key as OpenSSH writes it: `ssh-ed25519 AAAA...`.
    pub fn public_text(&self) -> String {
        crate::allowed_signers::key_text(self.public())
    }

    pub fn public(&self) -> &ssh_key::public::KeyData {
        self.key.public_key().key_data()
    }

    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        crate::allowed_signers::key_fingerprint(self.public())
    }

    /// An SSH signature (SSHSIG, namespace `gavel-signoff`, SHA-512, as
    /// `ssh-keygen -Y sign` makes) over `message`, armored.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        self.key
            .sign(
                crate::allowed_signers::NAMESPACE,
                ssh_key::HashAlg::Sha512,
                message,
            )
            .and_then(|s| s.to_pem(ssh_key::LineEnding::LF))
            .map_err(|e| Error::Invalid(format!("{}: cannot sign: {e}", self.path.display())))
    }
}

/// The fingerprint of a stored sign-off's key (OpenSSH text, or the hex of
/// sign-offs made before keys were OpenSSH keys).
pub fn fingerprint(public: &str) -> String {
    match stored_key(public) {
        Ok(k) => crate::allowed_signers::key_fingerprint(&k),
        Err(_) => "(unreadable key)".into(),
    }
}

/// A sign-off's `public_key` column as a key: `ssh-ed25519 AAAA...`, or 64
/// hex digits (an Ed25519 key as earlier releases stored it).
pub fn stored_key(public: &str) -> std::result::Result<ssh_key::public::KeyData, String> {
    if public.starts_with("ssh-") {
        return ssh_key::PublicKey::from_openssh(public)
            .map(|k| k.key_data().clone())
            .map_err(|e| format!("the stored public key does not read ({e})"));
    }
    let bytes: [u8; 32] = hex::decode(public)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the stored public key is neither an OpenSSH key nor 32 bytes of hex")?;
    Ok(ssh_key::public::KeyData::Ed25519(
        ssh_key::public::Ed25519PublicKey(bytes),
    ))
}

/// Makes a new key file at a path.
pub(crate) type MakeKey<T> = dyn Fn(&Path) -> Result<T>;

/// Reads the key file at `path` with `parse`; when it does not exist,
/// makes it with `make` if one is given (another process making it at the
/// same moment wins, and its key is read), else fails with `missing()`.
/// Shared by the signer key and the log key.
pub(crate) fn read_or_make<T>(
    path: &Path,
    parse: impl Fn(&Path, &str) -> Result<T>,
    make: Option<&MakeKey<T>>,
    missing: impl FnOnce() -> Error,
) -> Result<T> {
    let read = |path: &Path| std::fs::read_to_string(path).map_err(|e| Error::io(path, e));
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match make {
            None => Err(missing()),
            Some(make) => match make(path) {
                Err(Error::Io { cause, .. })
                    if cause.kind() == std::io::ErrorKind::AlreadyExists =>
                {
                    parse(path, &read(path)?)
                }
                made => made,
            },
        },
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Writes a new private key file whole or not at all: written to a temp
/// file beside it, then linked into place (which fails if the file exists).
/// Two processes making the key at once: one wins, the other reads a
/// complete file, never a half-written one.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|e| Error::io(path, e))
}

/// A private key others can read is refused, as ssh does.
#[cfg(unix)]
pub(crate) fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::Invalid(format!(
            "{}: the key is readable by others (mode {:o}): chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

// ---------------------------------------------------------------------------
// Evidence

/// What a sign-off rests on: the version's last covered test run and its
/// replay evidence, against the requirements.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub version: String,
    pub content_hash: String,
    pub requirements: Requirements,
    /// The newest whole-suite run with coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_run: Option<TestRun>,
    /// Stored decisions made with the version.
    pub decisions: u64,
    /// The newest batch replay of every one of them under the version
    /// itself (a filtered replay never counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayBatch>,
    /// The newest batch replay when it is not that one: it left some of the
    /// version's decisions out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_replay: Option<ReplayBatch>,
    /// The version's files against its content hash (empty: intact).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_problems: Vec<String>,
}

impl Evidence {
    pub fn gather(store: &Store, v: &VersionSummary, settings: &Settings) -> Result<Evidence> {
        let decisions = store.decisions_of_version(v.id)?;
        let (replay, partial_replay) = store.own_replay_evidence(v.id, decisions)?;
        Ok(Evidence {
            version: v.reference().to_string(),
            content_hash: v.content_hash.clone(),
            requirements: settings.requirements_of(store, v)?,
            test_run: store.latest_covered_run(v.id)?,
            decisions,
            replay,
            partial_replay,
            hash_problems: store.hash_problems_of(v)?,
        })
    }

    /// Why a role may not sign off yet; empty when it may.
    pub fn refusals(&self) -> Vec<String> {
        let mut out = self.test_refusals();
        out.extend(self.refusals_beside_tests());
        out
    }

    /// What the test run says against signing.
    fn test_refusals(&self) -> Vec<String> {
        let v = &self.version;
        let threshold = self.requirements.coverage_threshold;
        let mut out = Vec::new();
        match &self.test_run {
            // The suite runs at signing: no recorded run is needed.
            None => {}
            Some(run) => {
                let s = &run.summary;
                if s.total == 0 {
                    out.push(format!("test run #{} of {v} ran no tests", run.id));
                }
                if s.fail + s.error > 0 {
                    out.push(format!(
                        "test run #{} of {v} has {} failing and {} erroring tests: fix them and run \
                         `gavel test {v} --coverage` again",
                        run.id, s.fail, s.error
                    ));
                }
                let cov = run.coverage.unwrap_or(0.0);
                if cov < threshold {
                    out.push(format!(
                        "test run #{} of {v} covers {cov:.2}% of policy lines, under the {} threshold \
                         (from {})",
                        run.id,
                        pct(threshold),
                        self.requirements.threshold_from
                    ));
                }
            }
        }
        out
    }

    /// What the stored version and its replay evidence say against signing.
    pub fn refusals_beside_tests(&self) -> Vec<String> {
        let v = &self.version;
        let mut out = Vec::new();
        for p in &self.hash_problems {
            out.push(format!("the stored version is altered: {p}"));
        }
        if self.decisions > 0 {
            match &self.replay {
                None => match &self.partial_replay {
                    Some(p) => out.push(format!(
                        "the last replay of {v}'s decisions (batch {}, {}) covered {} of its {} stored \
                         decisions (a filtered replay, or decisions stored since): replay them all with \
                         `gavel replay --all --version {v}`",
                        short_batch(&p.batch_id),
                        p.replayed_at,
                        p.replayed,
                        self.decisions
                    )),
                    None => out.push(format!(
                        "{v} has {} stored decisions and none was replayed under it: run \
                         `gavel replay --all --version {v}`",
                        self.decisions
                    )),
                },
                Some(r) if r.diverged > 0 => out.push(format!(
                    "the last replay of {v}'s decisions (batch {}, {}) has {} DIVERGED: the stored \
                     decisions do not follow from this code",
                    short_batch(&r.batch_id),
                    r.replayed_at,
                    r.diverged
                )),
                Some(r) if r.errors > 0 => out.push(format!(
                    "the last replay of {v}'s decisions (batch {}, {}) has {} ERROR: decisions that \
                     could not be replayed are no evidence that this code made them",
                    short_batch(&r.batch_id),
                    r.replayed_at,
                    r.errors
                )),
                Some(_) => {}
            }
        }
        out
    }
}

/// A percentage as the user wrote it: `90%`, `87.5%`.
pub fn pct(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

pub fn short_batch(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

// ---------------------------------------------------------------------------
// Sign-offs and their checks

/// What a role asks to sign.
#[derive(Debug, Clone)]
pub struct SignRequest<'a> {
    pub role: &'a str,
    /// The principal the allowed_signers file lists for the key; `None` or
    /// empty: the one principal it lists.
    pub signer: Option<&'a str>,
    pub statement: Option<&'a str>,
    pub now: Clock,
}

/// The time a record carries: the clock's, or one `GAVEL_NOW` pinned
/// (for tests and demos), which every record made with it says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub now: DateTime<Utc>,
    pub pinned: bool,
}

impl Clock {
    /// `GAVEL_NOW` when set, else the clock. Only the edges call this.
    pub fn from_env() -> Result<Clock> {
        match std::env::var("GAVEL_NOW") {
            Ok(s) if !s.trim().is_empty() => Ok(Clock {
                now: parse_time("GAVEL_NOW", &s)?,
                pinned: true,
            }),
            _ => Ok(Clock {
                now: Utc::now(),
                pinned: false,
            }),
        }
    }

    /// A pinned time (tests).
    pub fn pinned(now: DateTime<Utc>) -> Clock {
        Clock { now, pinned: true }
    }

    /// What a record says of where its time came from.
    pub fn source(self) -> &'static str {
        if self.pinned { CLOCK_PINNED } else { "clock" }
    }
}

/// How a record made under `GAVEL_NOW` names its time's source.
pub const CLOCK_PINNED: &str = "GAVEL_NOW";

/// What a sign-off's payload binds, beside the evidence.
struct PayloadFields<'a> {
    role: &'a str,
    signer: &'a str,
    key: &'a str,
    statement: Option<&'a str>,
    signed_at: &'a str,
    clock: Clock,
    log_checkpoint: Option<&'a str>,
}

/// The payload a sign-off signs: canonical JSON and a newline (so the
/// line a packet shows, saved to a file, is the signed bytes).
fn payload(evidence: &Evidence, run: &TestRun, f: &PayloadFields) -> String {
    let s = &run.summary;
    let replay = match (&evidence.replay, evidence.decisions) {
        (_, 0) => Value::Null,
        (None, _) => Value::Null,
        (Some(r), n) => json!({
            "batch_id": r.batch_id,
            "decisions": n,
            "replayed": r.replayed,
            "deterministic": r.deterministic,
            "diverged": r.diverged,
            "errors": r.errors,
            "replayed_at": r.replayed_at,
        }),
    };
    let req = &evidence.requirements;
    let mut body = canonical_json(&json!({
        "kind": PAYLOAD_KIND,
        "version": evidence.version,
        "content_hash": evidence.content_hash,
        "role": f.role,
        "signer": f.signer,
        "key": f.key,
        "statement": f.statement,
        "signed_at": f.signed_at,
        "clock": f.clock.source(),
        "requirements": {
            "roles": req.roles,
            "roles_from": req.roles_from,
            "coverage_threshold": req.coverage_threshold,
            "threshold_from": req.threshold_from,
            "separation_of_duties": req.separation_of_duties,
            "lowered": req.lowered,
        },
        // The suite as it ran at the moment of signing.
        "test_run": {
            "id": run.id,
            "started_at": run.started_at,
            "total": s.total,
            "pass": s.pass,
            "fail": s.fail,
            "error": s.error,
            "skip": s.skip,
            "coverage": run.coverage,
        },
        "replay": replay,
        // The decision log as the signer saw it: the signed checkpoint.
        "log_checkpoint": f.log_checkpoint,
    }));
    body.push('\n');
    body
}

/// A stored sign-off with the result of checking it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedSignoff {
    #[serde(flatten)]
    pub row: SignoffRow,
    pub key_fingerprint: String,
    /// The allowed_signers line that trusts the key for this signer and
    /// role, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_by: Option<String>,
    /// Its time was pinned by `GAVEL_NOW`, not read from the clock.
    pub pinned_clock: bool,
    pub valid: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl CheckedSignoff {
    /// `2026-11-20T09:00:00.000Z`, or with `(GAVEL_NOW, not the clock)`.
    pub fn time_label(&self) -> String {
        if self.pinned_clock {
            format!("{} (set by GAVEL_NOW, not the clock)", self.row.signed_at)
        } else {
            self.row.signed_at.clone()
        }
    }

    /// The signed message with the armored signature: an SSHSIG one
    /// (`ssh-keygen -Y verify` checks it), or an earlier release's bare
    /// Ed25519 one.
    pub fn is_sshsig(&self) -> bool {
        self.row.signature.starts_with(SSHSIG_ARMOR)
    }

    /// The command that checks this sign-off with OpenSSH alone, given the
    /// payload in `payload.json` and the signature in `signoff.sig`.
    pub fn ssh_keygen_command(&self, allowed_signers: &str) -> String {
        let at = parse_time("signed_at", &self.row.signed_at)
            .map(|t| t.format("%Y%m%d%H%M%SZ").to_string())
            .unwrap_or_default();
        format!(
            "ssh-keygen -Y verify -f {} -I {} -n {} -Overify-time={at} -s signoff.sig < payload.json",
            shell_quote(allowed_signers),
            shell_quote(&self.row.signer),
            crate::allowed_signers::NAMESPACE
        )
    }
}

const SSHSIG_ARMOR: &str = "-----BEGIN SSH SIGNATURE-----";

/// A word a POSIX shell reads back as itself.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Checks a sign-off on its own: the signature over its payload with its
/// key; that the allowed_signers file trusts the key for its signer and role
/// at the time it was signed; that the payload names this version and its
/// content hash, and says what the row's columns say; that the test run it
/// names is stored with the counts it signed; and that it was not signed
/// before the evidence it rests on. (Separation of duties needs a version's
/// sign-offs together: `Certification::from_checked`.)
pub fn check_signoff(
    store: &Store,
    v: &VersionSummary,
    row: &SignoffRow,
    settings: &Settings,
) -> CheckedSignoff {
    let mut problems = Vec::new();
    let key = stored_key(&row.public_key);
    match &key {
        Ok(k) => {
            if let Err(p) = verify_signature(k, &row.signature, &row.payload) {
                problems.push(p);
            }
        }
        Err(p) => problems.push(p.clone()),
    }
    let mut pinned_clock = false;
    let mut trusted_by = None;
    let signed_at = parse_time("signed_at", &row.signed_at);
    match serde_json::from_str::<Value>(&row.payload) {
        Err(e) => problems.push(format!("the signed payload is not JSON: {e}")),
        Ok(p) => {
            let text = |k: &str| p.get(k).and_then(Value::as_str).map(String::from);
            let reference = v.reference().to_string();
            let kind = text("kind");
            if kind.as_deref() != Some(PAYLOAD_KIND) && kind.as_deref() != Some(PAYLOAD_KIND_V1) {
                problems.push(format!(
                    "the signed payload is not a {PAYLOAD_KIND} document"
                ));
            }
            if kind.as_deref() == Some(PAYLOAD_KIND)
                && text("key").as_deref() != Some(row.public_key.as_str())
            {
                problems.push("the stored public key differs from the signed one".into());
            }
            pinned_clock = text("clock").as_deref() == Some(CLOCK_PINNED);
            if text("version").as_deref() != Some(reference.as_str()) {
                problems.push(format!(
                    "it signs {}, not {reference}",
                    text("version").unwrap_or_else(|| "no version".into())
                ));
            }
            if text("content_hash").as_deref() != Some(v.content_hash.as_str()) {
                problems.push(format!(
                    "it signs content hash {}, but {reference} is stored with {}",
                    text("content_hash").unwrap_or_else(|| "(none)".into()),
                    v.content_hash
                ));
            }
            for (column, value) in [
                ("role", Some(row.role.clone())),
                ("signer", Some(row.signer.clone())),
                ("statement", row.statement.clone()),
                ("signed_at", Some(row.signed_at.clone())),
                ("content_hash", Some(row.content_hash.clone())),
            ] {
                if text(column) != value {
                    problems.push(format!(
                        "the stored {column} {} differs from the signed {}",
                        value.map_or("(none)".into(), |s| format!("'{s}'")),
                        text(column).map_or("(none)".into(), |s| format!("'{s}'"))
                    ));
                }
            }
            let signed_run = p.get("test_run");
            let signed_id = signed_run.and_then(|r| r.get("id")).and_then(Value::as_i64);
            if signed_id != Some(row.test_run_id) {
                problems.push(format!(
                    "the stored test run #{} differs from the signed one ({})",
                    row.test_run_id,
                    signed_id.map_or("none".into(), |i| format!("#{i}"))
                ));
            }
            match store.test_run_counts(row.test_run_id) {
                Ok(Some(run)) if run.version_id == v.id => {
                    if signed_run.and_then(SuiteCounts::of_value) != Some(SuiteCounts::from(&run)) {
                        problems.push(format!(
                            "test run #{}'s stored counts differ from the signed ones",
                            row.test_run_id
                        ));
                    }
                }
                Ok(Some(_)) => problems.push(format!(
                    "test run #{} is a run of another version",
                    row.test_run_id
                )),
                Ok(None) => problems.push(format!(
                    "test run #{} of {reference} is not in the store",
                    row.test_run_id
                )),
                Err(e) => problems.push(format!("reading test run #{}: {e}", row.test_run_id)),
            }
            // The decision log it saw must still be the start of the log.
            if let Some(note) = p.get("log_checkpoint").and_then(Value::as_str)
                && let Some(problem) = log_checkpoint_problem(store, note)
            {
                problems.push(problem);
            }
            // Never before the evidence it rests on.
            if let Ok(at) = &signed_at {
                for (what, when) in [
                    ("its test run", signed_run.and_then(|r| r.get("started_at"))),
                    (
                        "its replay evidence",
                        p.get("replay").and_then(|r| r.get("replayed_at")),
                    ),
                ] {
                    if let Some(when) = when.and_then(Value::as_str)
                        && parse_time(what, when).is_ok_and(|w| w > *at)
                    {
                        problems.push(format!(
                            "it is dated {}, before {what} ({when})",
                            row.signed_at
                        ));
                    }
                }
            }
        }
    }
    match (&key, &signed_at) {
        (Ok(k), Ok(at)) => match settings.trust.authorize(&row.signer, k, &row.role, *at) {
            Ok(line) => {
                trusted_by = settings
                    .trust
                    .path()
                    .map(|p| format!("{}:{line}", p.display()))
            }
            Err(why) => problems.push(format!("untrusted signer: {why}")),
        },
        (_, Err(e)) => problems.push(e.to_string()),
        _ => {}
    }
    CheckedSignoff {
        key_fingerprint: fingerprint(&row.public_key),
        trusted_by,
        pinned_clock,
        valid: problems.is_empty(),
        problems,
        row: row.clone(),
    }
}

/// Whether the log still begins with the checkpoint a sign-off signed: the
/// same origin, at least its size, and the same root at that size. (The
/// sign-off's signature covers the note; a rewritten log cannot keep the
/// root.)
fn log_checkpoint_problem(store: &Store, note: &str) -> Option<String> {
    let parsed = crate::tlog::note::parse_note(note)
        .ok()
        .and_then(|n| crate::tlog::note::Checkpoint::parse(&n.text).ok());
    let Some(cp) = parsed else {
        return Some("the log checkpoint it signs does not read".into());
    };
    let head = match store.log_head() {
        Ok(h) => h,
        Err(e) => return Some(format!("the decision log cannot be read: {e}")),
    };
    if head.origin != cp.origin {
        return Some(format!(
            "it signs a checkpoint of the log {}, but this store's log is {}",
            cp.origin, head.origin
        ));
    }
    if head.size() < cp.size {
        return Some(format!(
            "it saw the decision log at {} decisions, but the log now holds {}: decisions were removed",
            cp.size,
            head.size()
        ));
    }
    match store.root_at(cp.size) {
        Ok(root) if root == cp.root => None,
        Ok(_) => Some(format!(
            "the decision log no longer begins with the {} decisions it saw (the root at that size \
             differs): decisions were rewritten since it was signed",
            cp.size
        )),
        Err(e) => Some(format!("the decision log cannot be read: {e}")),
    }
}

/// The signature check: SSHSIG (namespace `gavel-signoff`, by the stored
/// key), or an earlier release's bare Ed25519 signature in hex (strict: no
/// malleable signatures, no weak keys).
fn verify_signature(
    key: &ssh_key::public::KeyData,
    signature: &str,
    payload: &str,
) -> std::result::Result<(), String> {
    if signature.starts_with(SSHSIG_ARMOR) {
        let sig = ssh_key::SshSig::from_pem(signature)
            .map_err(|e| format!("the stored SSH signature does not read ({e})"))?;
        if sig.namespace() != crate::allowed_signers::NAMESPACE {
            return Err(format!(
                "the SSH signature is for namespace '{}', not {}",
                sig.namespace(),
                crate::allowed_signers::NAMESPACE
            ));
        }
        if sig.public_key() != key {
            return Err("the SSH signature was made by another key than the stored one".into());
        }
        return ssh_key::PublicKey::new(key.clone(), "")
            .verify(crate::allowed_signers::NAMESPACE, payload.as_bytes(), &sig)
            .map_err(|_| "the signature does not match the signed payload (tampered)".to_string());
    }
    let ssh_key::public::KeyData::Ed25519(pk) = key else {
        return Err("a bare signature needs an Ed25519 key".into());
    };
    let key = VerifyingKey::from_bytes(&pk.0)
        .map_err(|_| "the stored public key is not an Ed25519 key".to_string())?;
    let sig: [u8; 64] = hex::decode(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the stored signature is neither an SSH signature nor 64 bytes of hex")?;
    key.verify_strict(payload.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| "the signature does not match the signed payload (tampered)".to_string())
}

// ---------------------------------------------------------------------------
// Status

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No required role has a valid sign-off.
    Draft,
    /// Some required roles have, some have not.
    PartiallySigned,
    /// Every required role has a valid sign-off.
    Certified,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PartiallySigned => "partially signed",
            Status::Certified => "certified",
        }
    }

    /// A glyph, so the status never rests on colour: `✓` `◐` `○`.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Draft => "○",
            Status::PartiallySigned => "◐",
            Status::Certified => "✓",
        }
    }
}

/// A version's certification: its sign-offs, checked, against its required roles.
#[derive(Debug, Clone, Serialize)]
pub struct Certification {
    pub version: String,
    pub content_hash: String,
    pub status: Status,
    pub required_roles: Vec<String>,
    pub signed_roles: Vec<String>,
    pub missing_roles: Vec<String>,
    pub invalid_signoffs: usize,
    pub requirements: Requirements,
    /// The allowed_signers file the sign-offs were checked against.
    pub trust: crate::allowed_signers::TrustSummary,
    pub signoffs: Vec<CheckedSignoff>,
}

impl Certification {
    /// `certified`, `partially signed (missing audit, security)`, `draft`;
    /// invalid sign-offs are named too.
    pub fn label(&self) -> String {
        let mut s = self.status.as_str().to_string();
        if self.status == Status::PartiallySigned {
            s.push_str(&format!(" (missing {})", self.missing_roles.join(", ")));
        }
        if self.invalid_signoffs > 0 {
            s.push_str(&format!(
                "; {} invalid sign-off{}",
                self.invalid_signoffs,
                if self.invalid_signoffs == 1 { "" } else { "s" }
            ));
        }
        if !self.requirements.lowered.is_empty() {
            s.push_str(&format!(
                "; requirements LOWERED: {}",
                self.requirements.lowered.join("; ")
            ));
        }
        s
    }

    /// Builds the status from sign-offs checked one by one, adding the
    /// check across them: separation of duties.
    pub fn from_checked(
        v: &VersionSummary,
        requirements: Requirements,
        trust: &crate::allowed_signers::Trust,
        mut signoffs: Vec<CheckedSignoff>,
    ) -> Certification {
        if requirements.separation_of_duties {
            separate_duties(&mut signoffs);
        }
        let mut c = Certification {
            version: v.reference().to_string(),
            content_hash: v.content_hash.clone(),
            status: Status::Draft,
            required_roles: requirements.roles.clone(),
            signed_roles: Vec::new(),
            missing_roles: Vec::new(),
            invalid_signoffs: 0,
            requirements,
            trust: trust.summary(),
            signoffs,
        };
        c.tally();
        c
    }

    /// Recounts roles and status from the sign-offs' validity.
    fn tally(&mut self) {
        let valid_role = |r: &String| self.signoffs.iter().any(|s| s.valid && s.row.role == *r);
        self.signed_roles = self
            .required_roles
            .iter()
            .filter(|r| valid_role(r))
            .cloned()
            .collect();
        self.missing_roles = self
            .required_roles
            .iter()
            .filter(|r| !self.signed_roles.contains(r))
            .cloned()
            .collect();
        self.status = if self.missing_roles.is_empty() {
            Status::Certified
        } else if self.signed_roles.is_empty() {
            Status::Draft
        } else {
            Status::PartiallySigned
        };
        self.invalid_signoffs = self.signoffs.iter().filter(|s| !s.valid).count();
    }
}

/// One person signs one role of a version: a later sign-off by a signer or
/// a key that already signed another role is invalid, whatever name it
/// gives (four names on one key are one person).
fn separate_duties(signoffs: &mut [CheckedSignoff]) {
    let mut seen: Vec<(String, String, String, i64)> = Vec::new(); // signer, key, role, id
    for s in signoffs.iter_mut() {
        if !s.valid {
            continue;
        }
        let key = stored_key(&s.row.public_key)
            .map(|k| crate::allowed_signers::key_text(&k))
            .unwrap_or_else(|_| s.row.public_key.clone());
        let earlier = seen.iter().find(|(signer, k, role, _)| {
            role != &s.row.role && (signer == &s.row.signer || *k == key)
        });
        if let Some((signer, k, role, id)) = earlier {
            let who = if signer == &s.row.signer {
                format!("{signer} already signed")
            } else if *k == key {
                format!(
                    "its key ({}) already signed, as {signer},",
                    s.key_fingerprint
                )
            } else {
                unreachable!()
            };
            s.problems.push(format!(
                "separation of duties: {who} this version as {role} (sign-off #{id})"
            ));
            s.valid = false;
            continue;
        }
        seen.push((s.row.signer.clone(), key, s.row.role.clone(), s.row.id));
    }
}

/// The certification of a stored version.
pub fn certification_of(
    store: &Store,
    v: &VersionSummary,
    settings: &Settings,
) -> Result<Certification> {
    let requirements = settings.requirements_of(store, v)?;
    let checked = store
        .signoffs_of(v.id)?
        .iter()
        .map(|row| check_signoff(store, v, row, settings))
        .collect();
    Ok(Certification::from_checked(
        v,
        requirements,
        &settings.trust,
        checked,
    ))
}

/// What signing off did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CertifyOutcome {
    /// The sign-off was recorded.
    Signed {
        signoff: Box<CheckedSignoff>,
        key_path: PathBuf,
        key_created: bool,
        evidence: Box<Evidence>,
        certification: Box<Certification>,
    },
    /// The evidence or the trust file does not allow it; nothing was
    /// recorded (but the test run made for it).
    Refused {
        reasons: Vec<String>,
        evidence: Box<Evidence>,
    },
}

/// Which signer key a sign-off uses.
#[derive(Debug, Clone)]
pub enum KeyChoice {
    /// A file the user named: it must exist.
    Named(PathBuf),
    /// The default key file, made on first use.
    Default(PathBuf),
}

impl KeyChoice {
    /// `--key FILE` when given, else the default key file.
    pub fn from_option(named: Option<PathBuf>) -> Result<KeyChoice> {
        Ok(match named {
            Some(p) => KeyChoice::Named(p),
            None => KeyChoice::Default(SignerKey::default_path()?),
        })
    }

    /// The key (the default one is made on first use).
    pub fn load(&self) -> Result<SignerKey> {
        match self {
            KeyChoice::Named(path) => SignerKey::load(path),
            KeyChoice::Default(path) => SignerKey::load_or_create(path),
        }
    }
}

/// Runs `v`'s whole suite with coverage now and records the run: the test
/// evidence of a sign-off is the suite as it runs at the moment of signing,
/// not a row.
pub fn run_suite_now(store: &Store, v: &VersionSummary) -> Result<TestRun> {
    let version = crate::policy_version::PolicyVersion::load(
        store,
        &v.reference(),
        crate::engine::DEFAULT_TIMEOUT,
    )?;
    let report = rerun(&version)?;
    let id = store.record_test_run(v.id, None, &report)?;
    store
        .test_run(id)?
        .ok_or_else(|| Error::NotFound(format!("test run #{id} vanished")))
}

fn rerun(
    version: &crate::policy_version::PolicyVersion,
) -> Result<crate::engine::suite::SuiteReport> {
    let opts = crate::engine::testing::RunOptions {
        run: None,
        coverage: true,
        threads: 0,
    };
    crate::engine::suite::run_suite(
        &version.policy,
        &version.bundle,
        &version.rules,
        &opts,
        &|_, _| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
}

/// The role `role` as it signs `reference`, when it may sign now: one of
/// the required roles (an error naming them otherwise) and not validly
/// signed yet (sign-offs are never replaced). `certify` and the
/// workbench's role list ask this.
pub fn check_role(reference: &VersionRef, current: &Certification, role: &str) -> Result<String> {
    let role = normalize_role(role)?;
    if !current.required_roles.contains(&role) {
        return Err(Error::Invalid(format!(
            "{reference}: role '{role}' is not one that signs off this bundle; required roles (from {}): {}",
            current.requirements.roles_from,
            current.required_roles.join(", ")
        )));
    }
    if let Some(s) = current
        .signoffs
        .iter()
        .find(|s| s.valid && s.row.role == role)
    {
        return Err(Error::Conflict(format!(
            "{reference}: {role} already signed off (sign-off #{} by {} at {}); sign-offs are never replaced",
            s.row.id, s.row.signer, s.row.signed_at
        )));
    }
    Ok(role)
}

/// Who asks to sign which role, with which key, when.
#[derive(Debug, Clone, Copy)]
pub struct SignerCheck<'a> {
    pub role: &'a str,
    pub signer: &'a str,
    pub key: &'a SignerKey,
    pub now: DateTime<Utc>,
}

/// Why this signer and key may not sign the role: the allowed_signers file
/// does not trust them for it, or (separation of duties) they signed
/// another role of the version already. Empty when they may.
pub fn signer_refusals(
    reference: &VersionRef,
    current: &Certification,
    who: &SignerCheck,
    settings: &Settings,
) -> Vec<String> {
    let (role, signer, key) = (who.role, who.signer, who.key);
    let mut reasons = Vec::new();
    if let Err(why) = settings
        .trust
        .authorize(signer, key.public(), role, who.now)
    {
        reasons.push(format!(
            "untrusted signer: {why}; to trust it, add this line to {}: {}",
            settings
                .trust
                .path()
                .map_or("an allowed_signers file".into(), |p| p
                    .display()
                    .to_string()),
            crate::allowed_signers::line_for(signer, key.public(), &[role.to_string()])
        ));
    }
    if current.requirements.separation_of_duties {
        let mine = key.public_text();
        if let Some(s) = current.signoffs.iter().find(|s| {
            s.valid && s.row.role != role && (s.row.signer == signer || s.row.public_key == mine)
        }) {
            reasons.push(format!(
                "separation of duties: {} already signed {reference} as {} with {} (sign-off #{}); \
                 one person signs one role",
                if s.row.signer == signer {
                    signer.to_string()
                } else {
                    "this key".into()
                },
                s.row.role,
                if s.row.public_key == mine {
                    "this key".to_string()
                } else {
                    s.key_fingerprint.clone()
                },
                s.row.id
            ));
        }
    }
    reasons
}

/// A sign-off at `now` would precede the replay evidence it rests on.
pub fn time_refusal(evidence: &Evidence, now: Clock) -> Option<String> {
    let signed_at = stamp(now.now);
    let r = evidence.replay.as_ref()?;
    (r.replayed_at > signed_at).then(|| {
        format!(
            "the time of signing ({signed_at}{}) is before the replay evidence ({}): a sign-off \
             never precedes what it rests on",
            if now.pinned { ", from GAVEL_NOW" } else { "" },
            r.replayed_at
        )
    })
}

/// What refuses any sign-off of `v` at `now`, whoever signs: the stored
/// version altered, its replay evidence missing, partial, DIVERGED or in
/// ERROR, its last test run failing or under the coverage threshold, the
/// time before the evidence. Empty when a role may sign (the suite still
/// runs again when it does).
pub fn refusals_before_signing(
    store: &Store,
    v: &VersionSummary,
    settings: &Settings,
    now: Clock,
) -> Result<Vec<String>> {
    let evidence = Evidence::gather(store, v, settings)?;
    let mut out = evidence.refusals();
    out.extend(time_refusal(&evidence, now));
    Ok(out)
}

/// Signs off `reference` as `req.role`, with the chosen key (the default
/// one is made on first use). Bad input (an unknown role, a role that has
/// already signed) is an error; missing evidence, a key the allowed_signers
/// file does not trust for the role, or a signer who already signed another
/// role is a `Refused` outcome.
pub fn certify(
    store: &Store,
    reference: &VersionRef,
    req: &SignRequest,
    key: &KeyChoice,
    settings: &Settings,
) -> Result<CertifyOutcome> {
    let v = store.find_version(reference)?;
    let role = normalize_role(req.role)?;
    if let Some(s) = req.signer {
        clean_text("--signer", s)?;
    }
    let statement = req
        .statement
        .map(|s| clean_text("--statement", s))
        .transpose()?;
    let current = certification_of(store, &v, settings)?;
    let role = check_role(reference, &current, &role)?;
    let key = key.load()?;
    let signer = choose_signer(req.signer, &key, &settings.trust)?;
    let mut evidence = Evidence::gather(store, &v, settings)?;
    let mut reasons = signer_refusals(
        reference,
        &current,
        &SignerCheck {
            role: &role,
            signer: &signer,
            key: &key,
            now: req.now.now,
        },
        settings,
    );
    reasons.extend(time_refusal(&evidence, req.now));
    let signed_at = stamp(req.now.now);
    // Trust and duties first: the suite runs (and is recorded) only for a
    // sign-off that can be made.
    let others = evidence.refusals_beside_tests();
    if !reasons.is_empty() || !others.is_empty() {
        reasons.extend(others);
        return Ok(CertifyOutcome::Refused {
            reasons,
            evidence: Box::new(evidence),
        });
    }
    let run = run_suite_now(store, &v)?;
    evidence.test_run = Some(run.clone());
    // Signed when the evidence is complete: after the suite ran.
    let signed_at = if req.now.pinned {
        signed_at
    } else {
        stamp(Utc::now()).max(run.started_at.clone())
    };
    let reasons = evidence.refusals();
    if !reasons.is_empty() {
        return Ok(CertifyOutcome::Refused {
            reasons,
            evidence: Box::new(evidence),
        });
    }
    let checkpoint = store.checkpoint_if_keyed("sign-off")?;
    let public = key.public_text();
    let body = payload(
        &evidence,
        &run,
        &PayloadFields {
            role: &role,
            signer: &signer,
            key: &public,
            statement: statement.as_deref(),
            signed_at: &signed_at,
            clock: req.now,
            log_checkpoint: checkpoint.as_ref().map(|c| c.note.as_str()),
        },
    );
    let signature = key.sign(body.as_bytes())?;
    let id = store.insert_signoff(&NewSignoff {
        version_id: v.id,
        role: &role,
        signer: &signer,
        statement: statement.as_deref(),
        signed_at: &signed_at,
        content_hash: &v.content_hash,
        test_run_id: run.id,
        payload: &body,
        public_key: &public,
        signature: &signature,
    })?;
    let certification = certification_of(store, &v, settings)?;
    let signoff = certification
        .signoffs
        .iter()
        .find(|s| s.row.id == id)
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("{reference}: sign-off #{id} vanished")))?;
    Ok(CertifyOutcome::Signed {
        signoff: Box::new(signoff),
        key_path: key.path.clone(),
        key_created: key.created,
        evidence: Box::new(evidence),
        certification: Box::new(certification),
    })
}

/// Who signs: the principal given, or the one the trust file lists for the
/// key.
pub fn choose_signer(
    given: Option<&str>,
    key: &SignerKey,
    trust: &crate::allowed_signers::Trust,
) -> Result<String> {
    if let Some(s) = given {
        return clean_text("--signer", s);
    }
    let listed = trust.principals_of(key.public());
    match listed.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Invalid(format!(
            "{}: no allowed_signers entry names this key ({}), so who signs cannot be told: give \
             --signer PRINCIPAL, and list the key for it in {}",
            key.path.display(),
            key.fingerprint(),
            trust.path().map_or("an allowed_signers file".into(), |p| p
                .display()
                .to_string())
        ))),
        many => Err(Error::Invalid(format!(
            "the key {} is listed for {}: say which with --signer",
            key.fingerprint(),
            many.join(", ")
        ))),
    }
}

/// `certify --verify`: every sign-off checked, the version's files against
/// the hash they certify, the suite run again and held against what each
/// sign-off signed, and the derived tables against the source.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub certification: Certification,
    /// Empty when the version's files still hash to its content hash.
    pub hash_problems: Vec<String>,
    /// The suite as it runs now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_now: Option<SuiteCounts>,
    /// Where the stored rules, citations and test runs differ from what
    /// the source gives now.
    pub rederived_problems: Vec<String>,
    /// Every check held and every required role signed.
    pub ok: bool,
}

/// A suite's counts, as a sign-off binds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteCounts {
    pub total: u64,
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub skip: u64,
    pub coverage: Option<f64>,
}

impl From<&crate::store::signoffs::RunCounts> for SuiteCounts {
    fn from(r: &crate::store::signoffs::RunCounts) -> SuiteCounts {
        SuiteCounts {
            total: r.total,
            pass: r.pass,
            fail: r.fail,
            error: r.error,
            skip: r.skip,
            coverage: r.coverage,
        }
    }
}

impl SuiteCounts {
    pub fn label(&self) -> String {
        format!(
            "{} tests: {} passed, {} failed, {} errors, {} skipped; coverage {}",
            self.total,
            self.pass,
            self.fail,
            self.error,
            self.skip,
            self.coverage.map_or("none".into(), |c| format!("{c:.2}%"))
        )
    }

    fn of_value(v: &Value) -> Option<SuiteCounts> {
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        Some(SuiteCounts {
            total: n("total")?,
            pass: n("pass")?,
            fail: n("fail")?,
            error: n("error")?,
            skip: n("skip")?,
            coverage: v.get("coverage").and_then(Value::as_f64),
        })
    }

    fn same(&self, other: &SuiteCounts) -> bool {
        let close = match (self.coverage, other.coverage) {
            (Some(a), Some(b)) => (a - b).abs() < 0.005,
            (None, None) => true,
            _ => false,
        };
        close
            && (self.total, self.pass, self.fail, self.error, self.skip)
                == (other.total, other.pass, other.fail, other.error, other.skip)
    }
}

/// A version's evidence derived again from its hashed source.
#[derive(Debug, Clone)]
pub struct Rederived {
    /// The suite as it runs now (with coverage), when it runs.
    pub report: Option<crate::engine::suite::SuiteReport>,
    pub counts: Option<SuiteCounts>,
    /// Where the stored test runs differ from the suite run now (or why
    /// it does not run).
    pub problems: Vec<String>,
    /// Where the stored rules, citations and modules differ from what the
    /// source gives.
    pub derived: Vec<String>,
}

impl Rederived {
    /// Every difference, test runs and derived rows.
    pub fn all_problems(&self) -> Vec<String> {
        self.derived.iter().chain(&self.problems).cloned().collect()
    }
}

/// Re-derives a version's evidence from its hashed source: runs the suite
/// again (without recording it) and checks the derived tables. Each
/// sign-off whose test counts the run no longer gives becomes invalid.
pub fn rederive(
    store: &Store,
    v: &VersionSummary,
    certification: &mut Certification,
) -> Result<Rederived> {
    // The rules, citations and modules the packet and matrix show.
    let derived = crate::derived_check::derived_problems_of(store, v)?;
    let mut problems = Vec::new();
    let report = match crate::policy_version::PolicyVersion::load(
        store,
        &v.reference(),
        crate::engine::DEFAULT_TIMEOUT,
    )
    .and_then(|version| rerun(&version))
    {
        Ok(report) => Some(report),
        Err(e) => {
            problems.push(format!(
                "{}: the suite does not run now: {e}",
                v.reference()
            ));
            None
        }
    };
    let counts = report.as_ref().map(|r| SuiteCounts {
        total: r.summary.total as u64,
        pass: r.summary.pass as u64,
        fail: r.summary.fail as u64,
        error: r.summary.error as u64,
        skip: r.summary.skip as u64,
        coverage: r.coverage.as_ref().map(|c| c.coverage),
    });
    if let Some(now) = &counts {
        // Every whole-suite run of this content said what the suite says now.
        for (id, counts) in store.whole_suite_runs(v.id)? {
            // A run without coverage is held to the counts alone.
            let stored = SuiteCounts {
                coverage: counts.coverage.and(now.coverage),
                ..SuiteCounts::from(&counts)
            };
            let now = SuiteCounts {
                coverage: counts.coverage.and(now.coverage),
                ..now.clone()
            };
            if !stored.same(&now) {
                problems.push(format!(
                    "{}: test run #{} is stored as {}, but the suite run now gives {}",
                    v.reference(),
                    id,
                    stored.label(),
                    now.label()
                ));
            }
        }
        for s in &mut certification.signoffs {
            let signed = serde_json::from_str::<Value>(&s.row.payload)
                .ok()
                .and_then(|p| p.get("test_run").and_then(SuiteCounts::of_value));
            match signed {
                Some(signed) if !signed.same(now) => {
                    s.problems.push(format!(
                        "it signs {}, but the suite run now gives {}",
                        signed.label(),
                        now.label()
                    ));
                    s.valid = false;
                }
                _ => {}
            }
        }
        certification.tally();
    }
    Ok(Rederived {
        report,
        counts,
        problems,
        derived,
    })
}

pub fn verify(store: &Store, reference: &VersionRef, settings: &Settings) -> Result<VerifyReport> {
    let v = store.find_version(reference)?;
    let mut certification = certification_of(store, &v, settings)?;
    let hash_problems = store.hash_problems_of(&v)?;
    let rederived = rederive(store, &v, &mut certification)?;
    let rederived_problems = rederived.all_problems();
    let suite_now = rederived.counts;
    let ok = hash_problems.is_empty()
        && rederived_problems.is_empty()
        && certification.invalid_signoffs == 0
        && certification.status == Status::Certified;
    Ok(VerifyReport {
        certification,
        hash_problems,
        suite_now,
        rederived_problems,
        ok,
    })
}

/// The status of every stored version, in `list_versions` order.
pub fn statuses(
    store: &Store,
    versions: &[VersionSummary],
    settings: &Settings,
) -> Result<Vec<Certification>> {
    let all = store.all_signoffs()?;
    versions
        .iter()
        .map(|v| {
            let requirements = settings.requirements_of(store, v)?;
            let checked = all
                .iter()
                .filter(|s| s.version_id == v.id)
                .map(|row| check_signoff(store, v, row, settings))
                .collect();
            Ok(Certification::from_checked(
                v,
                requirements,
                &settings.trust,
                checked,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("48h").unwrap().num_hours(), 48);
        assert_eq!(parse_duration("2d").unwrap().num_hours(), 48);
        assert_eq!(parse_duration("1d12h").unwrap().num_hours(), 36);
        assert_eq!(parse_duration("90m").unwrap().num_minutes(), 90);
        assert_eq!(parse_duration("1w").unwrap().num_days(), 7);
        for bad in ["", "48", "h", "0h", "3x", "400d", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            human_duration(chrono::Duration::minutes(47 * 60 + 59)),
            "47h 59m"
        );
        assert_eq!(human_duration(chrono::Duration::hours(51)), "51h 0m");
        assert_eq!(human_duration(chrono::Duration::hours(99)), "4d 3h");
        assert_eq!(human_duration(chrono::Duration::seconds(40)), "40s");
    }

    #[test]
    fn requirements_by_precedence() {
        let m = Manifest::default();
        let s = Settings::default();
        let r = s.requirements("b", &m).unwrap();
        assert_eq!(r.roles, DEFAULT_ROLES);
        assert_eq!(r.coverage_threshold, 90.0);
        assert_eq!(r.roles_from, "Gavel's defaults");
        let s: Settings = toml::from_str(
            "roles = [\"Legal\", \"audit\"]\ncoverage_threshold = 80\n[bundles.b]\ncoverage_threshold = 95\n",
        )
        .unwrap();
        let r = s.requirements("b", &m).unwrap();
        assert_eq!(r.roles, ["legal", "audit"]);
        assert_eq!(r.coverage_threshold, 95.0);
        // Fewer roles than Gavel's defaults: allowed, and said.
        assert_eq!(r.lowered.len(), 1, "{:?}", r.lowered);
        // The version's own manifest is the floor: a config that asks more
        // adds, and says nothing.
        let m = Manifest::parse(
            r#"{"metadata": {"certification": {"roles": ["legal"], "coverage_threshold": 90}}}"#,
        )
        .unwrap();
        let r = s.requirements("b", &m).unwrap();
        assert_eq!(r.roles, ["legal", "audit"]);
        assert_eq!(r.coverage_threshold, 95.0);
        assert!(r.lowered.is_empty(), "{:?}", r.lowered);
        let only: Settings = toml::from_str(
            "coverage_threshold = 50
",
        )
        .unwrap();
        let r = only.requirements("b", &m).unwrap();
        assert_eq!(r.roles, ["legal"]);
        assert_eq!(r.roles_from, ".manifest metadata.certification");
        assert_eq!(r.coverage_threshold, 50.0);
        assert!(
            r.lowered[0].contains("lowers the coverage threshold to 50% from the 90%"),
            "{:?}",
            r.lowered
        );
        let bad =
            Manifest::parse(r#"{"metadata": {"certification": {"role": ["legal"]}}}"#).unwrap();
        assert!(s.requirements("b", &bad).is_err());
        let bad = Manifest::parse(r#"{"metadata": {"certification": {"roles": []}}}"#).unwrap();
        assert!(s.requirements("b", &bad).is_err());
    }

    #[test]
    fn keys_are_made_once_private_and_sign() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/signer.key");
        let a = SignerKey::load_or_create(&path).unwrap();
        assert!(a.created);
        let b = SignerKey::load_or_create(&path).unwrap();
        assert!(!b.created);
        assert_eq!(a.public_text(), b.public_text());
        let sig = b.sign(b"hello").unwrap();
        assert!(sig.starts_with(SSHSIG_ARMOR));
        assert!(verify_signature(a.public(), &sig, "hello").is_ok());
        assert!(verify_signature(a.public(), &sig, "hellO").is_err());
        // A key of an earlier release (PKCS#8 PEM) is the same key: it signs
        // SSH signatures now, and its bare signatures still verify.
        use ed25519_dalek::Signer as _;
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let dalek = SigningKey::from_bytes(&[7u8; 32]);
        let old = dir.path().join("old.key");
        let pem = dalek
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        write_private(&old, pem.as_bytes()).unwrap();
        let loaded = SignerKey::load(&old).unwrap();
        let bare = hex::encode(dalek.sign(b"payload").to_bytes());
        assert!(verify_signature(loaded.public(), &bare, "payload").is_ok());
        assert!(verify_signature(loaded.public(), &bare, "pay1oad").is_err());
        let hex_key = hex::encode(dalek.verifying_key().to_bytes());
        assert_eq!(stored_key(&hex_key).as_ref(), Ok(loaded.public()));
        assert!(path.with_extension("pub").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = SignerKey::load_or_create(&path).unwrap_err().to_string();
            assert!(e.contains("chmod 600"), "{e}");
        }
    }
}
