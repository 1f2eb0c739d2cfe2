//! Trusted signers: an `allowed_signers` file in OpenSSH's format (the one
//! `ssh-keygen -Y verify` and git's SSH-signed commits read), kept outside
//! the store. Each line names principals (patterns), optional options
//! (`cert-authority`, `namespaces="..."`, `valid-after="..."`,
//! `valid-before="..."`) and a public key; the roles a principal may sign
//! go in the comment after the key, as `roles=legal,audit` (`roles=*` for
//! any), which ssh-keygen ignores. A sign-off counts only when the file
//! lists its key for its signer, for its role, at the time it was signed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ssh_key::public::KeyData;

use crate::error::{Error, Result};

/// The SSHSIG namespace of a sign-off (`ssh-keygen -Y ... -n gavel-signoff`).
pub const NAMESPACE: &str = "gavel-signoff";
/// The file's name in the key directory.
pub const FILE_NAME: &str = "allowed_signers";

/// One line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub line: usize,
    /// Comma-separated patterns, as ssh matches them (`*`, `?`, `!`).
    pub principals: String,
    pub cert_authority: bool,
    pub namespaces: Option<String>,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
    pub key: KeyData,
    /// `None`: the comment gives no `roles=`, so no role.
    pub roles: Option<Vec<String>>,
}

/// A read `allowed_signers` file.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedSigners {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, so a packet says which file it trusted.
    pub sha256: String,
    pub entries: Vec<Entry>,
}

/// Where trust comes from: a file, or a path where none is yet.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Trust {
    /// Nothing was loaded (a caller that never asked).
    #[default]
    Unset,
    /// The file Gavel looked for does not exist: no signer is trusted.
    Missing {
        path: PathBuf,
    },
    File(AllowedSigners),
}

/// What a packet and `certify --verify` say of the trust file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustSummary {
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub signers: usize,
}

impl Trust {
    /// Reads the file at `path`; a missing file is `Missing`, a malformed
    /// line an error with `file:line`.
    pub fn load(path: &Path) -> Result<Trust> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Trust::File(AllowedSigners::parse(path, &bytes)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Trust::Missing {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The default file: `$GAVEL_KEY_DIR/allowed_signers`, else the
    /// platform config dir's `gavel/allowed_signers`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("GAVEL_KEY_DIR").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join(FILE_NAME));
        }
        directories::ProjectDirs::from("", "", "gavel").map(|d| d.config_dir().join(FILE_NAME))
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Trust::Unset => None,
            Trust::Missing { path } => Some(path),
            Trust::File(f) => Some(&f.path),
        }
    }

    pub fn summary(&self) -> TrustSummary {
        TrustSummary {
            path: self.path().map(|p| p.display().to_string()),
            sha256: match self {
                Trust::File(f) => Some(f.sha256.clone()),
                _ => None,
            },
            signers: match self {
                Trust::File(f) => f.entries.len(),
                _ => 0,
            },
        }
    }

    /// Whether `principal` may sign `role` with `key` at `at`: the line that
    /// allows it, or why not.
    pub fn authorize(
        &self,
        principal: &str,
        key: &KeyData,
        role: &str,
        at: DateTime<Utc>,
    ) -> std::result::Result<usize, String> {
        match self {
            Trust::Unset => {
                Err("no allowed_signers file was given, so no signer is trusted".into())
            }
            Trust::Missing { path } => Err(format!(
                "no allowed_signers file at {}, so no signer is trusted",
                path.display()
            )),
            Trust::File(f) => f.authorize(principal, key, role, at),
        }
    }

    /// The principals the file lists for `key` by name (no patterns): who
    /// a sign-off by this key can be, when the signer is not given.
    pub fn principals_of(&self, key: &KeyData) -> Vec<String> {
        let Trust::File(f) = self else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for e in f
            .entries
            .iter()
            .filter(|e| !e.cert_authority && e.key == *key)
        {
            for p in e.principals.split(',') {
                if !p.is_empty() && !p.contains(['*', '?', '!']) && !out.iter().any(|o| o == p) {
                    out.push(p.to_string());
                }
            }
        }
        out
    }
}

impl AllowedSigners {
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<AllowedSigners> {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Input {
            location: path.display().to_string(),
            message: format!("not UTF-8 text ({e})"),
        })?;
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let at = |message: String| Error::Input {
                location: format!("{}:{}", path.display(), i + 1),
                message,
            };
            let line = raw.trim_start_matches([' ', '\t']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            entries.push(parse_line(line, i + 1).map_err(at)?);
        }
        Ok(AllowedSigners {
            path: path.to_path_buf(),
            sha256: hex::encode(Sha256::digest(bytes)),
            entries,
        })
    }

    fn authorize(
        &self,
        principal: &str,
        key: &KeyData,
        role: &str,
        at: DateTime<Utc>,
    ) -> std::result::Result<usize, String> {
        let file = self.path.display();
        let fp = key_fingerprint(key);
        let keyed: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| !e.cert_authority && e.key == *key)
            .collect();
        if keyed.is_empty() {
            return Err(format!("the key {fp} is not listed in {file}"));
        }
        let named: Vec<&Entry> = keyed
            .iter()
            .copied()
            .filter(|e| match_pattern_list(principal, &e.principals))
            .collect();
        if named.is_empty() {
            let listed: Vec<&str> = keyed.iter().map(|e| e.principals.as_str()).collect();
            return Err(format!(
                "{file} lists the key {fp} for {}, not for '{principal}'",
                listed.join(" and ")
            ));
        }
        // The reason of the line that got furthest, when none allows it.
        let mut why = String::new();
        for e in named {
            let here = format!("{file}:{}", e.line);
            if let Some(ns) = &e.namespaces
                && !match_pattern_list(NAMESPACE, ns)
            {
                why = format!("{here} limits the key to namespaces \"{ns}\", not {NAMESPACE}");
                continue;
            }
            if let Some(after) = e.valid_after
                && at < after
            {
                why = format!(
                    "{here}: the key is valid only after {} and this was signed at {}",
                    crate::certify::stamp(after),
                    crate::certify::stamp(at)
                );
                continue;
            }
            if let Some(before) = e.valid_before
                && at > before
            {
                why = format!(
                    "{here}: the key expired at {} (valid-before) and this was signed at {}",
                    crate::certify::stamp(before),
                    crate::certify::stamp(at)
                );
                continue;
            }
            match &e.roles {
                None => {
                    why = format!(
                        "{here} gives {principal} no role (add roles=ROLE,... after the key)"
                    );
                }
                Some(roles) if roles.iter().any(|r| r == "*" || r == role) => return Ok(e.line),
                Some(roles) => {
                    why = format!(
                        "{here} lets {principal} sign as {}, not as {role}",
                        roles.join(", ")
                    );
                }
            }
        }
        Err(why)
    }
}

/// `SHA256:...` as `ssh-keygen -l` prints it.
pub fn key_fingerprint(key: &KeyData) -> String {
    key.fingerprint(ssh_key::HashAlg::Sha256).to_string()
}

/// The key as an `allowed_signers` or `authorized_keys` line holds it:
/// `ssh-ed25519 AAAA...`.
pub fn key_text(key: &KeyData) -> String {
    ssh_key::PublicKey::new(key.clone(), "")
        .to_openssh()
        .unwrap_or_else(|_| "(unencodable key)".into())
}

/// The line that trusts `key` for `principal` and `roles`.
pub fn line_for(principal: &str, key: &KeyData, roles: &[String]) -> String {
    let who = if principal.contains([' ', '\t', '"']) {
        format!("\"{}\"", principal.replace('"', ""))
    } else {
        principal.to_string()
    };
    format!(
        "{who} namespaces=\"{NAMESPACE}\" {} roles={}",
        key_text(key),
        roles.join(",")
    )
}

/// One non-comment line: `principals [options] keytype base64 [comment]`.
fn parse_line(line: &str, number: usize) -> std::result::Result<Entry, String> {
    let (principals, rest) = token(line)?;
    if principals.is_empty() {
        return Err("no principals before the key".into());
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err(format!("'{principals}' is followed by no key"));
    }
    let (options, rest) = if is_key_type(first_word(rest)) {
        (None, rest)
    } else {
        let (opts, rest) = options_token(rest)?;
        (Some(opts), rest.trim_start_matches([' ', '\t']))
    };
    let mut words = rest.split([' ', '\t']).filter(|w| !w.is_empty());
    let (Some(kind), Some(blob)) = (words.next(), words.next()) else {
        return Err("missing key: write the key as ssh-ed25519 AAAA...".into());
    };
    if !is_key_type(kind) {
        return Err(format!(
            "'{kind}' is not a key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...)"
        ));
    }
    let key = ssh_key::PublicKey::from_openssh(&format!("{kind} {blob}"))
        .map_err(|e| format!("the {kind} key does not read ({e})"))?
        .key_data()
        .clone();
    let mut roles = None;
    for w in words {
        if let Some(list) = w.strip_prefix("roles=") {
            let mut parsed = Vec::new();
            for r in list.split(',').filter(|r| !r.is_empty()) {
                if r == "*" {
                    parsed.push(r.to_string());
                } else {
                    parsed.push(crate::certify::normalize_role(r).map_err(|e| e.to_string())?);
                }
            }
            if parsed.is_empty() {
                return Err("roles= lists no role".into());
            }
            roles = Some(parsed);
        }
    }
    let mut entry = Entry {
        line: number,
        principals,
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key,
        roles,
    };
    if let Some(opts) = options {
        for opt in split_options(&opts)? {
            let (name, value) = match opt.split_once('=') {
                Some((n, v)) => (n.to_ascii_lowercase(), Some(v)),
                None => (opt.to_ascii_lowercase(), None),
            };
            let quoted = |v: Option<&str>| -> std::result::Result<String, String> {
                v.and_then(|v| v.strip_prefix('"')?.strip_suffix('"'))
                    .map(String::from)
                    .ok_or_else(|| format!("option {name} needs a quoted value: {name}=\"...\""))
            };
            match name.as_str() {
                "cert-authority" if value.is_none() => entry.cert_authority = true,
                "namespaces" => entry.namespaces = Some(quoted(value)?),
                "valid-after" => entry.valid_after = Some(parse_ssh_time(&quoted(value)?)?),
                "valid-before" => entry.valid_before = Some(parse_ssh_time(&quoted(value)?)?),
                _ => {
                    return Err(format!(
                        "unknown option '{opt}' (ssh-keygen knows cert-authority, namespaces, \
                         valid-after, valid-before; roles go after the key, as roles=legal,audit)"
                    ));
                }
            }
        }
    }
    Ok(entry)
}

fn first_word(s: &str) -> &str {
    s.split([' ', '\t']).next().unwrap_or("")
}

fn is_key_type(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-sha2-")
        || word.starts_with("sk-ssh-")
        || word.starts_with("sk-ecdsa-")
}

/// A whitespace-delimited token, or a `"quoted one"`, and the rest.
fn token(s: &str) -> std::result::Result<(String, &str), String> {
    if let Some(inner) = s.strip_prefix('"') {
        let end = inner
            .find('"')
            .ok_or("a quoted principal has no closing quote")?;
        return Ok((inner[..end].to_string(), &inner[end + 1..]));
    }
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    Ok((s[..end].to_string(), &s[end..]))
}

/// The options field: up to the first whitespace outside quotes.
fn options_token(s: &str) -> std::result::Result<(String, &str), String> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return Ok((s[..i].to_string(), &s[i..])),
            _ => {}
        }
    }
    if quoted {
        return Err("an option's quoted value has no closing quote".into());
    }
    Err("options are followed by no key".into())
}

/// Options split at commas outside quotes.
fn split_options(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    if out.iter().any(String::is_empty) {
        return Err(format!("empty option in '{s}'"));
    }
    Ok(out)
}

/// `YYYYMMDD[HHMM[SS]]` with an optional `Z` (UTC); without it, local
/// time, as ssh-keygen reads it.
fn parse_ssh_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    let bad = || format!("'{s}' is not a time ssh-keygen reads (YYYYMMDD[HHMM[SS]][Z])");
    let (digits, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (s, false),
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let naive: NaiveDateTime = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .map_err(|_| bad())?
            .and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?,
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").map_err(|_| bad())?,
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    if utc {
        Ok(Utc.from_utc_datetime(&naive))
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad)
    }
}

/// ssh's `match_pattern_list`: a match of any pattern, unless a negated
/// (`!`) pattern matches.
pub fn match_pattern_list(s: &str, patterns: &str) -> bool {
    let mut positive = false;
    for p in patterns.split(',') {
        match p.strip_prefix('!') {
            Some(neg) if glob(s.as_bytes(), neg.as_bytes()) => return false,
            Some(_) => {}
            None => positive |= glob(s.as_bytes(), p.as_bytes()),
        }
    }
    positive
}

/// `*` and `?` wildcards.
fn glob(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDIVnHAfYqwvh1G3Mdx/CKQ3wbTmiMk/2Vpo9Cgwzt4+";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKTOPBOD5gu3xqYEW7hZCkZH6/whF/jM0xEyAfnXPYD";

    fn key(text: &str) -> KeyData {
        ssh_key::PublicKey::from_openssh(text)
            .unwrap()
            .key_data()
            .clone()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn file(text: &str) -> Trust {
        Trust::File(AllowedSigners::parse(Path::new("allowed_signers"), text.as_bytes()).unwrap())
    }

    #[test]
    fn reads_openssh_lines_and_roles() {
        let t = file(&format!(
            "# team\n\nana@example.com {KEY_A} roles=legal,audit\n\
             \"Bo Smith,*@ops.example\" valid-before=\"20270101Z\",namespaces=\"gavel-signoff,git\" {KEY_A} roles=security\n"
        ));
        let k = key(KEY_A);
        let now = at("2026-12-01T00:00:00Z");
        assert_eq!(t.authorize("ana@example.com", &k, "legal", now), Ok(3));
        let e = t
            .authorize("ana@example.com", &k, "security", now)
            .unwrap_err();
        assert!(
            e.contains(
                "allowed_signers:3 lets ana@example.com sign as legal, audit, not as security"
            ),
            "{e}"
        );
        assert_eq!(t.authorize("Bo Smith", &k, "security", now), Ok(4));
        assert_eq!(t.authorize("x@ops.example", &k, "security", now), Ok(4));
        let e = t
            .authorize("x@ops.example", &k, "security", at("2027-01-01T00:00:01Z"))
            .unwrap_err();
        assert!(e.contains("expired"), "{e}");
        let e = t.authorize("eve", &k, "legal", now).unwrap_err();
        assert!(e.contains("not for 'eve'"), "{e}");
        assert_eq!(t.principals_of(&k), ["ana@example.com", "Bo Smith"]);
    }

    #[test]
    fn unlisted_keys_namespaces_and_missing_files_are_refused() {
        let other = KEY_B;
        let t = file(&format!(
            "ana {other} roles=*\nana namespaces=\"git\" {KEY_A} roles=*\n"
        ));
        let e = t
            .authorize("ana", &key(KEY_A), "legal", at("2026-12-01T00:00:00Z"))
            .unwrap_err();
        assert!(e.contains("namespaces \"git\""), "{e}");
        let t = file(&format!("ana {other} roles=*\n"));
        let e = t
            .authorize("ana", &key(KEY_A), "legal", at("2026-12-01T00:00:00Z"))
            .unwrap_err();
        assert!(e.contains("is not listed in allowed_signers"), "{e}");
        let missing = Trust::Missing {
            path: "/nowhere/allowed_signers".into(),
        };
        assert!(
            missing
                .authorize("ana", &key(KEY_A), "legal", at("2026-12-01T00:00:00Z"))
                .unwrap_err()
                .contains("no allowed_signers file at /nowhere")
        );
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for (text, want) in [
            ("ana\n", "followed by no key"),
            ("ana ssh-ed25519\n", "missing key"),
            ("ana ssh-ed25519 AAAAnotbase64!!\n", "does not read"),
            (
                &format!("ana bogus=\"1\" {KEY_A}\n") as &str,
                "unknown option 'bogus=\"1\"'",
            ),
            (
                &format!("ana valid-before=\"2027\" {KEY_A}\n"),
                "not a time",
            ),
            (
                &format!("ana valid-before=20270101 {KEY_A}\n"),
                "quoted value",
            ),
        ] {
            let text = format!("# ok\n{text}");
            match AllowedSigners::parse(Path::new("signers"), text.as_bytes()) {
                Ok(_) => panic!("{text:?} parsed"),
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.starts_with("signers:2: "), "{e}");
                    assert!(e.contains(want), "{text:?}: {e}");
                }
            }
        }
    }

    #[test]
    fn patterns_match_as_ssh_does() {
        assert!(match_pattern_list("ana@example.com", "*@example.com"));
        assert!(!match_pattern_list(
            "ana@example.com",
            "*@example.com,!ana*"
        ));
        assert!(match_pattern_list("a", "b,a"));
        assert!(match_pattern_list("abc", "a?c"));
        assert!(!match_pattern_list("abcd", "a?c"));
        assert!(!match_pattern_list("a", "!b"));
    }
}
