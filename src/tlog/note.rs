//! C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys in the text
//! formats of Go's `golang.org/x/mod/sumdb/note`, and C2SP tlog checkpoints
//! (c2sp.org/tlog-checkpoint).
//!
//! Matching Go's formats byte for byte lets existing tooling (and witnesses)
//! read Gavel's keys, notes and checkpoints.

use super::merkle::Hash;
use data_encoding::BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// Signature type byte for Ed25519 in key encodings and key hashes.
const ALG_ED25519: u8 = 0x01;
/// Every signature line starts with an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Go's cap on signatures per note; bounds the work an untrusted note can cause.
const MAX_SIGNATURES: usize = 100;

/// Key names are how signature lines find their key, so they must survive the
/// line format: non-empty, no '+' (the key text separator), no Unicode spaces.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a key name must not be empty".into());
    }
    if let Some(c) = name.chars().find(|&c| c == '+' || c.is_whitespace()) {
        return Err(format!(
            "the key name {name:?} contains {c:?}, but names cannot contain '+' or spaces"
        ));
    }
    Ok(())
}

/// The key ID: the first four bytes (big-endian) of
/// SHA-256(name || "\n" || 0x01 || public key).
fn key_hash(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A stated key hash must be the one of the name and key: a corrupted or
/// mismatched key text is caught when read, not as "no signature" later.
fn check_key_hash(name: &str, hash: u32, public: &[u8; 32]) -> Result<(), String> {
    let want = key_hash(name, public);
    if hash != want {
        return Err(format!(
            "the key hash {hash:08x} does not match the key, whose hash is {want:08x}"
        ));
    }
    Ok(())
}

/// `<prefix><name>+<8 hex hash>+<base64(0x01 || 32 key bytes)>`: the
/// signer's text (prefix `PRIVATE+KEY+`, the seed) and the verifier's (no
/// prefix, the public key).
fn key_text(prefix: &str, name: &str, hash: u32, key: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.push(ALG_ED25519);
    raw.extend_from_slice(key);
    format!("{prefix}{name}+{hash:08x}+{}", BASE64.encode(&raw))
}

/// Splits "<name>+<hash>+<base64 key>" and checks each field; the base64
/// alphabet includes '+', so only the first two '+' separate fields.
fn split_key(text: &str) -> Result<(&str, u32, [u8; 32]), String> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("a note key has the form <name>+<8 hex digits>+<base64 key>".into());
    };
    check_name(name)?;
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("the key hash {hash:?} is not 8 hex digits"));
    }
    let hash = u32::from_str_radix(hash, 16)
        .map_err(|e| format!("the key hash {hash:?} is not 8 hex digits: {e}"))?;
    let raw = BASE64
        .decode(key.as_bytes())
        .map_err(|e| format!("the key is not valid base64: {e}"))?;
    match raw.split_first() {
        Some((&ALG_ED25519, rest)) => {
            let key: [u8; 32] = rest.try_into().map_err(|_| {
                format!("an Ed25519 key is 32 bytes, but this one is {}", rest.len())
            })?;
            Ok((name, hash, key))
        }
        Some((alg, _)) => Err(format!(
            "unsupported key type 0x{alg:02x} (only Ed25519, 0x01, is supported)"
        )),
        None => Err("the key is empty".into()),
    }
}

/// Rejects text that cannot be signed as a note, so a signer never produces
/// a note that readers would refuse.
fn check_text(text: &str) -> Result<(), NoteError> {
    check_controls(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError {
            line: line_count(text),
            message: "the note text must end with a newline".into(),
        });
    }
    Ok(())
}

/// Notes must not contain ASCII control characters other than newline.
fn check_controls(s: &str) -> Result<(), NoteError> {
    match s.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(i) => Err(NoteError {
            line: line_at(s, i),
            message: format!(
                "control character 0x{:02x} is not allowed in a note",
                s.as_bytes()[i]
            ),
        }),
        None => Ok(()),
    }
}

/// 1-based line number of byte offset `i`.
fn line_at(s: &str, i: usize) -> usize {
    1 + s.as_bytes()[..i].iter().filter(|&&b| b == b'\n').count()
}

/// Number of lines in `s`, counting an unterminated last line; at least 1.
fn line_count(s: &str) -> usize {
    let newlines = s.bytes().filter(|&b| b == b'\n').count();
    if s.is_empty() || s.ends_with('\n') {
        newlines.max(1)
    } else {
        newlines + 1
    }
}

/// A log's signing key in Go's note format:
/// "PRIVATE+KEY+<name>+<8 hex key hash>+<base64(0x01 || 32-byte Ed25519 seed)>".
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_hash: u32,
    key: SigningKey,
}

/// Shows the key's identity, never its secret.
impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_hash", &format_args!("{:08x}", self.key_hash))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A fresh key with a random seed from the operating system.
    pub fn generate(name: &str) -> Result<NoteSigner, String> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| format!("cannot get random bytes for a key: {e}"))?;
        let key = SigningKey::from_bytes(&seed);
        let key_hash = key_hash(name, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_owned(),
            key_hash,
            key,
        })
    }

    /// Parses the key text, trimming one trailing newline (as key files
    /// usually have). The stated key hash must match the derived public key,
    /// which catches a corrupted or mismatched key file.
    pub fn parse(text: &str) -> Result<NoteSigner, String> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let Some(rest) = text.strip_prefix("PRIVATE+KEY+") else {
            return Err("a note signing key starts with \"PRIVATE+KEY+\"".into());
        };
        let (name, hash, seed) = split_key(rest)?;
        let key = SigningKey::from_bytes(&seed);
        check_key_hash(name, hash, key.verifying_key().as_bytes())?;
        Ok(NoteSigner {
            name: name.to_owned(),
            key_hash: hash,
            key,
        })
    }

    /// The key text, without a trailing newline.
    pub fn to_text(&self) -> String {
        key_text(
            "PRIVATE+KEY+",
            &self.name,
            self.key_hash,
            self.key.as_bytes(),
        )
    }

    /// The key name that appears on signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key ID that appears in signatures.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// The matching public key, for publishing and for checking our own notes.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_hash: self.key_hash,
            key: self.key.verifying_key(),
        }
    }

    /// Signs a note text (must end in '\n', valid per signed-note) and returns
    /// the whole signed note: text, blank line,
    /// "— <name> <base64(4-byte key hash || 64-byte signature)>\n".
    pub fn sign(&self, text: &str) -> Result<String, String> {
        check_text(text).map_err(|e| e.to_string())?;
        let sig = self.key.sign(text.as_bytes());
        let mut raw = Vec::with_capacity(4 + 64);
        raw.extend_from_slice(&self.key_hash.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(&raw)
        ))
    }
}

/// "<name>+<8 hex key hash>+<base64(0x01 || 32-byte public key)>"; key hash =
/// first 4 bytes (big-endian u32) of SHA-256(name || "\n" || 0x01 || public key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_hash: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses the key text (one trailing newline is trimmed). The key hash
    /// must match name and key, so a mistyped key is caught here rather than
    /// as a mysterious "no signature" later.
    pub fn parse(text: &str) -> Result<NoteVerifier, String> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let (name, hash, public) = split_key(text)?;
        check_key_hash(name, hash, &public)?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| "the key is not a valid Ed25519 public key".to_string())?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_hash: hash,
            key,
        })
    }

    /// The key text, without a trailing newline.
    pub fn to_text(&self) -> String {
        key_text("", &self.name, self.key_hash, self.key.as_bytes())
    }

    /// The key name that appears on signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key ID that appears in signatures.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// "name+hash", how Go and error messages identify a key.
    fn id(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_hash)
    }
}

/// One signature line of a note, decoded but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: u32,
    /// The signature bytes after the 4-byte key hash.
    pub signature: Vec<u8>,
}

/// A parsed signed note. `text` includes its final newline but not the blank
/// separator line; signatures are in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

/// A parse error with the 1-based line of the note where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for NoteError {}

/// Parses a signed note as Go's `note.Open` splits it: the text runs up to and
/// including the newline before the last blank line; after it come one or
/// more signature lines, each "— <name> <base64>" and each ending in '\n'.
///
/// The input must therefore end with exactly one newline after the last
/// signature (a trailing blank line is an error, as in Go). Signatures are
/// only decoded here; [`verify_note`] checks them.
pub fn parse_note(signed: &str) -> Result<Note, NoteError> {
    check_controls(signed)?;
    let Some(split) = signed.rfind("\n\n") else {
        // Point at the first thing that looks like a signature, else the end.
        let line = signed
            .split('\n')
            .position(|l| l.starts_with(SIG_PREFIX))
            .map_or_else(|| line_count(signed), |i| i + 1);
        return Err(NoteError {
            line,
            message: "no blank line separates the note text from its signatures".into(),
        });
    };
    let text = &signed[..split + 1];
    let sigs = &signed[split + 2..];
    let first = line_at(signed, split + 2);
    if sigs.is_empty() {
        // Point at the blank line itself: the note ends with it.
        return Err(NoteError {
            line: line_at(signed, split + 1),
            message: "the note ends with a blank line and no signature lines follow it".into(),
        });
    }
    let Some(body) = sigs.strip_suffix('\n') else {
        return Err(NoteError {
            line: line_count(signed),
            message: "the last signature line does not end with a newline".into(),
        });
    };

    let mut signatures = Vec::new();
    for (i, line) in body.split('\n').enumerate() {
        let err = |message: String| NoteError {
            line: first + i,
            message,
        };
        if i >= MAX_SIGNATURES {
            return Err(err(format!(
                "a note may carry at most {MAX_SIGNATURES} signatures"
            )));
        }
        let Some(rest) = line.strip_prefix(SIG_PREFIX) else {
            return Err(err(
                "a signature line must start with \"\u{2014} \" (em dash, space)".into(),
            ));
        };
        let Some((name, b64)) = rest.split_once(' ') else {
            return Err(err(
                "a signature line needs a key name, a space and a signature".into(),
            ));
        };
        check_name(name).map_err(err)?;
        let raw = BASE64
            .decode(b64.as_bytes())
            .map_err(|e| err(format!("the signature is not valid base64: {e}")))?;
        let Some((hash, signature)) = raw.split_first_chunk::<4>() else {
            return Err(err(
                "the signature is shorter than its 4-byte key hash".into()
            ));
        };
        if signature.is_empty() {
            return Err(err("the signature is empty".into()));
        }
        signatures.push(NoteSignature {
            name: name.to_owned(),
            key_hash: u32::from_be_bytes(*hash),
            signature: signature.to_vec(),
        });
    }
    Ok(Note {
        text: text.to_owned(),
        signatures,
    })
}

/// Checks that the note carries a signature by this verifier (same name and
/// key hash) that verifies over the text (Ed25519 `verify_strict`).
///
/// Every signature claiming this key must verify, not just one: the spec says
/// a failing signature from a known key should sink the note, since it means
/// someone is presenting forged text under that key.
pub fn verify_note(note: &Note, verifier: &NoteVerifier) -> Result<(), String> {
    let mut found = false;
    for sig in &note.signatures {
        if sig.name != verifier.name || sig.key_hash != verifier.key_hash {
            continue;
        }
        found = true;
        let bytes: [u8; 64] = sig.signature.as_slice().try_into().map_err(|_| {
            format!(
                "the signature by key {} is {} bytes, not the 64 of an Ed25519 signature",
                verifier.id(),
                sig.signature.len()
            )
        })?;
        verifier
            .key
            .verify_strict(note.text.as_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| {
                format!(
                    "the signature by key {} does not verify over the note text",
                    verifier.id()
                )
            })?;
    }
    if found {
        Ok(())
    } else {
        Err(format!(
            "the note has no signature by key {}",
            verifier.id()
        ))
    }
}

/// A C2SP tlog-checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extra lines after the root, opaque to us; each must be non-empty.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// "<origin>\n<size>\n<base64 root>\n" then each extension line and "\n":
    /// the note text to sign. The caller keeps origin and extensions
    /// non-empty single lines; `parse` enforces that on the way back in.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(&self.root)
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        out
    }

    /// Parses a checkpoint from a note's text. Strict on the size (decimal,
    /// no sign, no leading zeros) and root (base64 of exactly 32 bytes) so
    /// one tree head has exactly one text, which signatures depend on.
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        check_controls(text)?;
        let Some(body) = text.strip_suffix('\n') else {
            return Err(NoteError {
                line: line_count(text),
                message: "a checkpoint must end with a newline".into(),
            });
        };
        let lines: Vec<&str> = body.split('\n').collect();
        let err = |line: usize, message: String| NoteError { line, message };

        let origin = lines.first().copied().unwrap_or_default();
        if origin.is_empty() {
            return Err(err(1, "the checkpoint origin (first line) is empty".into()));
        }
        let Some(size_text) = lines.get(1) else {
            return Err(err(2, "the checkpoint has no tree size line".into()));
        };
        let size = parse_size(size_text).map_err(|m| err(2, m))?;
        let Some(root_text) = lines.get(2) else {
            return Err(err(3, "the checkpoint has no root hash line".into()));
        };
        let raw = BASE64
            .decode(root_text.as_bytes())
            .map_err(|e| err(3, format!("the root hash is not valid base64: {e}")))?;
        let root: Hash = raw
            .as_slice()
            .try_into()
            .map_err(|_| err(3, format!("the root hash is {} bytes, not 32", raw.len())))?;
        let mut extensions = Vec::new();
        for (i, ext) in lines.iter().enumerate().skip(3) {
            if ext.is_empty() {
                return Err(err(
                    i + 1,
                    "checkpoint extension lines must not be empty".into(),
                ));
            }
            extensions.push((*ext).to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// A tree size: ASCII decimal, no sign, no leading zeros (except "0").
fn parse_size(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the tree size {s:?} is not a decimal number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!("the tree size {s:?} has a leading zero"));
    }
    s.parse::<u64>()
        .map_err(|_| format!("the tree size {s} does not fit in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from golang.org/x/mod/sumdb/note/note_test.go.
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter_note() -> String {
        format!("{TEXT}\n{PETER_SIG}")
    }

    fn verifier(text: &str) -> NoteVerifier {
        NoteVerifier::parse(text).expect("test key")
    }

    fn line_of(signed: &str) -> usize {
        parse_note(signed).expect_err("should not parse").line
    }

    #[test]
    fn go_vectors_parse_and_round_trip() {
        let signer = NoteSigner::parse(PETER_SKEY).expect("signer");
        assert_eq!(signer.name(), "PeterNeumann");
        assert_eq!(signer.key_hash(), 0xc74f20a3);
        assert_eq!(signer.to_text(), PETER_SKEY);
        let parsed_nl = NoteSigner::parse(&format!("{PETER_SKEY}\n")).expect("trailing newline");
        assert_eq!(parsed_nl.to_text(), PETER_SKEY);

        let v = verifier(PETER_VKEY);
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(v.key_hash(), 0xc74f20a3);
        assert_eq!(v.to_text(), PETER_VKEY);
        assert_eq!(signer.verifier(), v);
        assert_eq!(verifier(ENOCH_VKEY).to_text(), ENOCH_VKEY);
        assert!(!format!("{signer:?}").contains("AYEK"));
    }

    #[test]
    fn go_vector_signature_is_reproduced_and_verifies() {
        let signer = NoteSigner::parse(PETER_SKEY).expect("signer");
        let signed = signer.sign(TEXT).expect("sign");
        assert_eq!(signed, peter_note());

        let note = parse_note(&signed).expect("parse");
        assert_eq!(note.text, TEXT);
        assert_eq!(note.signatures.len(), 1);
        assert_eq!(note.signatures[0].name, "PeterNeumann");
        assert_eq!(note.signatures[0].key_hash, 0xc74f20a3);
        assert_eq!(note.signatures[0].signature.len(), 64);
        verify_note(&note, &verifier(PETER_VKEY)).expect("verifies");
    }

    #[test]
    fn two_signers() {
        let note = parse_note(&format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}")).expect("parse");
        assert_eq!(note.signatures.len(), 2);
        verify_note(&note, &verifier(PETER_VKEY)).expect("peter");
        verify_note(&note, &verifier(ENOCH_VKEY)).expect("enoch");

        let only_peter = parse_note(&peter_note()).expect("parse");
        let e = verify_note(&only_peter, &verifier(ENOCH_VKEY)).expect_err("no enoch signature");
        assert!(e.contains("no signature by key EnochRoot+af0cfe78"), "{e}");
    }

    #[test]
    fn mangled_keys_are_rejected() {
        for (key, parse) in [
            (
                PETER_VKEY,
                (|s: &str| NoteVerifier::parse(s).is_ok()) as fn(&str) -> bool,
            ),
            (PETER_SKEY, |s: &str| NoteSigner::parse(s).is_ok()),
        ] {
            let b = key.as_bytes();
            for i in 0..=b.len() {
                for j in i + 1..=b.len() {
                    if i != 0 || j != b.len() {
                        let sub = std::str::from_utf8(&b[i..j]).expect("ascii");
                        assert!(!parse(sub), "accepted substring {sub:?}");
                    }
                }
            }
            let mut m = b.to_vec();
            for i in 0..m.len() {
                m[i] += 1;
                let s = std::str::from_utf8(&m).expect("ascii");
                assert!(!parse(s), "accepted mangled {s:?}");
                m[i] -= 1;
            }
        }
        // Wrong key length and unknown algorithm, each with a matching hash.
        assert!(
            NoteVerifier::parse(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            )
            .is_err()
        );
        assert!(
            NoteVerifier::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            )
            .is_err()
        );
        assert!(NoteVerifier::parse(&format!("{PETER_VKEY}\n\n")).is_err());
        assert!(NoteSigner::parse(PETER_VKEY).is_err());
        assert!(NoteVerifier::parse(PETER_SKEY).is_err());
    }

    #[test]
    fn generate_sign_verify() {
        let signer = NoteSigner::generate("gavel.example/log").expect("generate");
        assert_eq!(signer.name(), "gavel.example/log");
        let again = NoteSigner::parse(&signer.to_text()).expect("reparse");
        assert_eq!(again.to_text(), signer.to_text());
        let v = NoteVerifier::parse(&signer.verifier().to_text()).expect("verifier");
        assert_eq!(v, signer.verifier());

        let text = "gavel.example/log\n7\n\nwith a blank line inside\n";
        let signed = signer.sign(text).expect("sign");
        let note = parse_note(&signed).expect("parse");
        assert_eq!(note.text, text);
        verify_note(&note, &v).expect("verifies");

        let other = NoteSigner::generate("gavel.example/log").expect("generate");
        assert_ne!(other.to_text(), signer.to_text());
        assert!(verify_note(&note, &other.verifier()).is_err());
    }

    #[test]
    fn bad_names_and_texts_are_refused() {
        for name in [
            "",
            "a+b",
            "a b",
            "a\tb",
            "a\u{a0}b",
            "a\u{2003}b",
            "a\u{3000}b",
        ] {
            assert!(
                NoteSigner::generate(name).is_err(),
                "accepted name {name:?}"
            );
        }
        let signer = NoteSigner::parse(PETER_SKEY).expect("signer");
        assert!(signer.sign("no newline").is_err());
        assert!(signer.sign("").is_err());
        assert!(signer.sign("tab\there\n").is_err());
        assert!(signer.sign("cr\r\n").is_err());
        assert!(signer.sign("\n").is_ok());
    }

    #[test]
    fn tampering_is_detected() {
        let v = verifier(PETER_VKEY);
        let signed = peter_note();
        let accepts = |s: &str| parse_note(s).is_ok_and(|n| verify_note(&n, &v).is_ok());
        assert!(accepts(&signed));
        let bytes = signed.as_bytes();
        for i in 0..bytes.len() {
            if !bytes[i].is_ascii() {
                continue; // the em dash; changing it is a parse error anyway
            }
            let mut m = bytes.to_vec();
            m[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let s = std::str::from_utf8(&m).expect("ascii change");
            assert!(!accepts(s), "accepted with byte {i} changed");
        }
        // Flip each bit of the raw signature too (base64 changes can be masked
        // by the decoder rejecting them, so check the bytes themselves).
        let mut note = parse_note(&signed).expect("parse");
        for i in 0..note.signatures[0].signature.len() {
            for bit in 0..8 {
                note.signatures[0].signature[i] ^= 1 << bit;
                assert!(verify_note(&note, &v).is_err(), "byte {i} bit {bit}");
                note.signatures[0].signature[i] ^= 1 << bit;
            }
        }
        note.signatures[0].signature.pop();
        assert!(verify_note(&note, &v).is_err());
    }

    #[test]
    fn wrong_key_with_same_name_and_hash_fails() {
        let impostor = NoteVerifier {
            name: "PeterNeumann".into(),
            key_hash: 0xc74f20a3,
            key: verifier(ENOCH_VKEY).key,
        };
        let note = parse_note(&peter_note()).expect("parse");
        let e = verify_note(&note, &impostor).expect_err("wrong key");
        assert!(e.contains("does not verify"), "{e}");

        // A bad signature from the key sinks the note even beside a good one.
        let mut twice = note.clone();
        let mut bad = twice.signatures[0].clone();
        bad.signature[0] ^= 1;
        twice.signatures.push(bad);
        assert!(verify_note(&twice, &verifier(PETER_VKEY)).is_err());
    }

    #[test]
    fn parse_errors_carry_lines() {
        // Missing blank line: the signature is line 3.
        assert_eq!(line_of(&format!("{TEXT}{PETER_SIG}")), 3);
        assert_eq!(line_of(TEXT), 2);
        assert_eq!(line_of(""), 1);
        // Bad base64 on the first signature line (text 1-2, blank 3).
        assert_eq!(
            line_of(&format!("{TEXT}\n\u{2014} PeterNeumann x08go!!!\n")),
            4
        );
        assert_eq!(line_of(&format!("{TEXT}\n\u{2014} PeterNeumann\n")), 4);
        assert_eq!(
            line_of(&format!("{TEXT}\n\u{2014} Peter+Neumann AAAAAAA=\n")),
            4
        );
        assert_eq!(line_of(&format!("{TEXT}\n\u{2014} PeterNeumann AAAA\n")), 4);
        // A line without the "— " prefix after a good signature.
        assert_eq!(
            line_of(&format!("{TEXT}\n{PETER_SIG}Unexpected line.\n")),
            5
        );
        assert_eq!(line_of(&format!("{TEXT}\n- PeterNeumann AAAAAAA=\n")), 4);
        // Control characters.
        assert_eq!(line_of(&format!("\x01{TEXT}\n{PETER_SIG}")), 1);
        assert_eq!(line_of(&format!("a\nb\tc\n\n{PETER_SIG}")), 2);
        assert_eq!(line_of(&format!("{TEXT}\n{PETER_SIG}\r")), 5);
        // Blank line but no signatures; and a trailing blank line.
        assert_eq!(line_of(&format!("{TEXT}\n")), 3);
        assert_eq!(line_of(&format!("{TEXT}\n{PETER_SIG}\n")), 5);
        // Last signature line without its newline.
        assert_eq!(line_of(&format!("{TEXT}\n{}", PETER_SIG.trim_end())), 4);
        // Too many signatures.
        assert_eq!(line_of(&format!("{TEXT}\n{}", PETER_SIG.repeat(101))), 104);
        assert!(parse_note(&format!("{TEXT}\n{}", PETER_SIG.repeat(100))).is_ok());

        let e = parse_note(&format!("{TEXT}\n{PETER_SIG}Unexpected line.\n")).expect_err("bad");
        assert!(e.to_string().starts_with("line 5: "), "{e}");
    }

    #[test]
    fn spec_note_example_uses_last_blank_line() {
        let signed = "Ognuno sta solo sul cuor della terra\n\
                      trafitto da un raggio di sole:\n\
                      \n\
                      ed è subito sera.\n\
                      \n\
                      \u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
        let note = parse_note(signed).expect("parse");
        assert_eq!(
            note.text,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
        );
        assert_eq!(note.signatures[0].name, "quasimodo.example/salvatore");
    }

    #[test]
    fn spec_checkpoint_example_parses() {
        let signed = "example.com/behind-the-sofa\n\
                      20852163\n\
                      CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
                      \n\
                      \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        let note = parse_note(signed).expect("note");
        assert_eq!(note.signatures.len(), 1);
        assert_eq!(note.signatures[0].signature.len(), 64);
        let cp = Checkpoint::parse(&note.text).expect("checkpoint");
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert_eq!(
            hex::encode(cp.root),
            "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62"
        );
        assert!(cp.extensions.is_empty());
        assert_eq!(cp.to_text(), note.text);
    }

    #[test]
    fn checkpoint_round_trip_and_signing() {
        let mut cp = Checkpoint {
            origin: "gavel.example/decisions".into(),
            size: 0,
            root: super::super::merkle::empty_root(),
            extensions: vec![],
        };
        for (size, exts) in [
            (0u64, vec![]),
            (1, vec![]),
            (u64::MAX, vec!["ext one", "x"]),
        ] {
            cp.size = size;
            cp.extensions = exts.into_iter().map(String::from).collect();
            let text = cp.to_text();
            assert_eq!(Checkpoint::parse(&text), Ok(cp.clone()), "{text}");
        }
        assert_eq!(
            cp.to_text(),
            "gavel.example/decisions\n18446744073709551615\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\nx\n"
        );
        let signer = NoteSigner::generate("gavel.example/decisions").expect("key");
        let note = parse_note(&signer.sign(&cp.to_text()).expect("sign")).expect("parse");
        verify_note(&note, &signer.verifier()).expect("verify");
        assert_eq!(Checkpoint::parse(&note.text), Ok(cp));
    }

    #[test]
    fn checkpoint_rejections() {
        let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let line = |text: String| Checkpoint::parse(&text).expect_err("should fail").line;
        for size in [
            "01",
            "00",
            "-1",
            "+1",
            " 1",
            "1 ",
            "",
            "1e3",
            "0x1",
            "18446744073709551616",
        ] {
            assert_eq!(line(format!("o\n{size}\n{root}\n")), 2, "size {size:?}");
        }
        // 31 and 33 bytes, bad base64, missing padding.
        let r31 = BASE64.encode(&[7u8; 31]);
        let r33 = BASE64.encode(&[7u8; 33]);
        for bad in [
            r31.as_str(),
            r33.as_str(),
            "!!!!",
            &root[..root.len() - 1],
            "",
        ] {
            assert_eq!(line(format!("o\n5\n{bad}\n")), 3, "root {bad:?}");
        }
        assert_eq!(line(format!("\n5\n{root}\n")), 1);
        assert_eq!(line(String::new()), 1);
        assert_eq!(line("o\n".into()), 2);
        assert_eq!(line("o\n5\n".into()), 3);
        assert_eq!(line(format!("o\n5\n{root}")), 3);
        assert_eq!(line(format!("o\n5\n{root}\next\n\n")), 5);
        assert_eq!(line(format!("o\n5\n{root}\n\n")), 4);
        assert_eq!(line(format!("o\r\n5\n{root}\n")), 1);
        assert!(Checkpoint::parse(&format!("o\n5\n{root}\n")).is_ok());
    }
}
