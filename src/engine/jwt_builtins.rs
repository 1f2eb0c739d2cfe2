//! OPA's `io.jwt.*` builtins, which regorus 0.14.1 lacks, registered as
//! Gavel extensions: `io.jwt.decode`, `io.jwt.decode_verify`, the
//! `io.jwt.verify_*` family (HS, RS, PS and ES with SHA-256/384/512, and
//! EdDSA), `io.jwt.encode_sign` and `io.jwt.encode_sign_raw`.
//!
//! Each answers as OPA 1.x's (`v1/topdown/tokens.go`, with jwx v3 under it)
//! so that a policy checking tokens decides here as it does under OPA: the
//! same result shapes (`[header, payload, signature_hex]`, `[valid, header,
//! payload]` with `[false, {}, {}]` for a token that does not verify), the
//! checks in OPA's order, and OPA's error texts for malformed tokens, keys
//! and constraints. Keys come as OPA takes them: a PEM certificate, a PEM
//! public key, a JWK or a JWK set. Base64 and PEM are decoded as Go's
//! `encoding/base64` and `encoding/pem` decode them (which inputs fail, and
//! at which byte), and `encode_sign` marshals its objects as Go's
//! `encoding/json` does, since both show in results.
//!
//! `decode_verify` checks `exp` and `nbf` against its `time` constraint or,
//! without one, the evaluation's `time.now_ns()` (see clock.rs), as OPA uses
//! the query's start time.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{Signer as _, Verifier as _};
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use regorus::Value;
use rsa::BoxedUint;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use crate::engine::extra_builtins::{string_operand, type_name};

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[
    ("io.jwt.decode", 1),
    ("io.jwt.decode_verify", 2),
    ("io.jwt.encode_sign", 3),
    ("io.jwt.encode_sign_raw", 3),
    ("io.jwt.verify_hs256", 2),
    ("io.jwt.verify_hs384", 2),
    ("io.jwt.verify_hs512", 2),
    ("io.jwt.verify_rs256", 2),
    ("io.jwt.verify_rs384", 2),
    ("io.jwt.verify_rs512", 2),
    ("io.jwt.verify_ps256", 2),
    ("io.jwt.verify_ps384", 2),
    ("io.jwt.verify_ps512", 2),
    ("io.jwt.verify_es256", 2),
    ("io.jwt.verify_es384", 2),
    ("io.jwt.verify_es512", 2),
    ("io.jwt.verify_eddsa", 2),
];

/// The algorithms OPA knows (its `tokenAlgorithms`).
const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256",
    "HS384", "HS512", "EdDSA",
];

/// Errors below the operand checks are plain text; `call` names the builtin.
type Res<T> = std::result::Result<T, String>;

/// Answers one call of the builtin `name` (registered by extra_builtins.rs).
pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    // OPA records these three in a decision's nd_builtin_cache (a signature
    // may be randomised, a check reads the clock): a replay answers from it.
    if matches!(
        name,
        "io.jwt.decode_verify" | "io.jwt.encode_sign" | "io.jwt.encode_sign_raw"
    ) {
        return super::nd_cache::computed(name, args, || answer(name, args));
    }
    answer(name, args)
}

fn answer(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    let named = |m: String| anyhow::anyhow!("{name}: {m}");
    match name {
        "io.jwt.decode" => {
            let jwt = string_operand(name, args, 0)?;
            decode(jwt).map_err(named)
        }
        "io.jwt.decode_verify" => decode_verify(name, args),
        "io.jwt.encode_sign" => {
            let json = |i: usize| args.get(i).map(go_json).unwrap_or_default();
            encode_sign(&json(0), &json(1), &json(2))
                .map(Value::from)
                .map_err(named)
        }
        "io.jwt.encode_sign_raw" => {
            // OPA reads the key before the header and the payload.
            let jwk = string_operand(name, args, 2)?;
            let header = string_operand(name, args, 0)?;
            let payload = string_operand(name, args, 1)?;
            encode_sign(header, payload, jwk)
                .map(Value::from)
                .map_err(named)
        }
        _ => {
            let Some(alg) = name.strip_prefix("io.jwt.verify_") else {
                anyhow::bail!("{name}: not a Gavel builtin");
            };
            if alg.starts_with("hs") {
                let jwt = string_operand(name, args, 0)?;
                let secret = string_operand(name, args, 1)?;
                verify_hmac(alg, jwt, secret)
                    .map(Value::from)
                    .map_err(named)
            } else {
                let jwt = string_operand(name, args, 0)?;
                let token = split_token(jwt).map_err(named)?;
                let keys = string_operand(name, args, 1)?;
                verify_with_keys(alg, &token, keys)
                    .map(Value::from)
                    .map_err(named)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tokens

/// A compact JWS, split at its two periods.
struct Token<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn split_token(jwt: &str) -> Res<Token<'_>> {
    if !jwt.contains('.') {
        return Err("encoded JWT had no period separators".into());
    }
    let parts: Vec<&str> = jwt.split('.').collect();
    match parts.as_slice() {
        [header, payload, signature] => Ok(Token {
            header,
            payload,
            signature,
        }),
        _ => Err(format!(
            "encoded JWT must have 3 sections, found {}",
            parts.len()
        )),
    }
}

impl Token<'_> {
    /// The header object; a JWE is refused, as OPA supports JWS only.
    fn decode_header(&self) -> Res<Value> {
        let bytes = base64url_decode(self.header)
            .map_err(|e| format!("JWT header had invalid encoding: {e}"))?;
        let header = json_object(&bytes).map_err(|e| format!("bad JWT header: {e}"))?;
        if field(&header, "enc").is_some() {
            return Err("JWT is a JWE object, which is not supported".into());
        }
        Ok(header)
    }

    fn decode_payload(&self) -> Res<Vec<u8>> {
        base64url_decode(self.payload).map_err(|e| format!("JWT payload had invalid encoding: {e}"))
    }

    fn signing_input(&self) -> String {
        format!("{}.{}", self.header, self.payload)
    }
}

/// `io.jwt.decode`: `[header, payload, signature as hex]`. A payload that
/// is itself a token (`cty: JWT`) is decoded in its place, quotes trimmed.
fn decode(jwt: &str) -> Res<Value> {
    let mut text = jwt.to_string();
    loop {
        let token = split_token(&text)?;
        let header = token.decode_header()?;
        let payload = token.decode_payload()?;
        if matches!(field(&header, "cty"), Some(Value::String(c)) if c.as_ref() == "JWT") {
            let inner = String::from_utf8_lossy(&payload);
            text = inner.trim_matches(['"', '\'']).to_string();
            continue;
        }
        let payload = json_object(&payload)?;
        let signature = base64url_decode(token.signature)
            .map_err(|e| format!("JWT signature had invalid encoding: {e}"))?;
        return Ok(Value::from(vec![
            header,
            payload,
            Value::from(hex::encode(signature)),
        ]));
    }
}

/// The JOSE header fields OPA reads (its `tokenHeader`).
#[derive(Default)]
struct TokenHeader {
    alg: String,
    kid: String,
    cty: String,
    crit: BTreeSet<String>,
    unknown: Vec<String>,
}

impl TokenHeader {
    fn parse(header: &Value) -> Res<TokenHeader> {
        let mut out = TokenHeader::default();
        let Value::Object(fields) = header else {
            return Ok(out);
        };
        for (k, v) in fields.iter() {
            let Value::String(k) = k else { continue };
            let string = |what: &str| match v {
                Value::String(s) => Ok(s.to_string()),
                _ => Err(format!("{what}: must be a string")),
            };
            match k.as_ref() {
                "alg" => out.alg = string("alg")?,
                "kid" => out.kid = string("kid")?,
                "typ" => {
                    string("typ")?;
                }
                "cty" => out.cty = string("cty")?,
                "crit" => {
                    let Value::Array(items) = v else {
                        return Err("crit: must be a list".into());
                    };
                    // As OPA: the names up to the first one that is not a string.
                    out.crit = items
                        .iter()
                        .map_while(|i| match i {
                            Value::String(s) => Some(s.to_string()),
                            _ => None,
                        })
                        .collect();
                    if out.crit.is_empty() {
                        return Err("crit: must be a nonempty list".into());
                    }
                }
                other => out.unknown.push(other.to_string()),
            }
        }
        Ok(out)
    }

    /// RFC 7515: `alg` present, and no critical parameter left unknown.
    fn valid(&self) -> bool {
        !self.alg.is_empty() && !self.unknown.iter().any(|u| self.crit.contains(u))
    }
}

/// Base64url as OPA's `base64url.decode` reads it: padding added where
/// missing, then Go's padded decoding.
fn base64url_decode(s: &str) -> Res<Vec<u8>> {
    let mut padded = s.to_string();
    if !s.ends_with('=') {
        match s.len() % 4 {
            0 => {}
            2 => padded.push_str("=="),
            3 => padded.push('='),
            _ => return Err(format!("illegal base64url string: {s}")),
        }
    }
    go_base64_decode(padded.as_bytes(), URL_ALPHABET)
}

pub(crate) const STD_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Go's `base64.Encoding.DecodeString` for a padded, non-strict encoding:
/// `\r` and `\n` are skipped, and an error names the offending byte as Go's
/// `CorruptInputError` does (OPA's messages quote it).
pub(crate) fn go_base64_decode(src: &[u8], alphabet: &[u8; 64]) -> Res<Vec<u8>> {
    let mut map = [0xFFu8; 256];
    for (i, &c) in alphabet.iter().enumerate() {
        map[usize::from(c)] = i as u8;
    }
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let is_newline = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        // One quantum: four symbols, or two or three and padding.
        let mut quantum = [0u8; 4];
        let mut len = 4;
        let mut trailing = None;
        let mut j = 0;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt(si - j));
            };
            si += 1;
            let v = map[usize::from(c)];
            if v != 0xFF {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if is_newline(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(corrupt(si - 1));
            }
            if j == 2 {
                // "==": the second '=' must follow (newlines aside).
                while src.get(si).copied().is_some_and(is_newline) {
                    si += 1;
                }
                match src.get(si) {
                    None => return Err(corrupt(src.len())),
                    Some(b'=') => si += 1,
                    Some(_) => return Err(corrupt(si - 1)),
                }
            }
            while src.get(si).copied().is_some_and(is_newline) {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si);
            }
            len = j;
            break;
        }
        let val = quantum
            .iter()
            .fold(0u32, |acc, &q| (acc << 6) | u32::from(q));
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(bytes.get(..len - 1).unwrap_or_default());
        if let Some(at) = trailing {
            return Err(corrupt(at));
        }
    }
    Ok(out)
}

/// Unpadded base64url, as JWS compact serialization writes it.
fn base64url_encode(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

/// A JSON object from decoded bytes, as OPA's `extractJSONObject`: invalid
/// UTF-8 read as Go reads it (replaced), the last of duplicate keys kept.
fn json_object(bytes: &[u8]) -> Res<Value> {
    let text = String::from_utf8_lossy(bytes);
    let value = Value::from_json_str(&text).map_err(|e| format!("invalid JSON: {e}"))?;
    match value {
        Value::Object(_) => Ok(value),
        _ => Err("decoded JSON type was not an Object".into()),
    }
}

fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    match object {
        Value::Object(fields) => fields.get(&Value::from(key)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Keys

/// A verification key, as Go holds it after parsing.
enum Key {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Secret(Vec<u8>),
    /// A key Go parses but that verifies nothing here (another algorithm,
    /// an RSA key under Go's 1024-bit minimum).
    Unusable,
}

/// A key with what a JWK set says of it (OPA's `verificationKey`).
struct VerificationKey {
    key: Key,
    /// A JWK with its private part: Go holds a private key, which the
    /// `verify_*` builtins refuse and `decode_verify` accepts.
    private: bool,
    alg: String,
    kid: String,
}

impl VerificationKey {
    fn bare(key: Key) -> VerificationKey {
        VerificationKey {
            key,
            private: false,
            alg: String::new(),
            kid: String::new(),
        }
    }
}

/// The keys of a PEM certificate, a PEM public key, or a JWK (set), as
/// OPA's `getKeysFromCertOrJWK`. A PEM block is never JSON and vice versa.
fn keys_from_cert_or_jwk(text: &str) -> Res<Vec<VerificationKey>> {
    if let Some((block, rest)) = pem_decode(text.as_bytes()) {
        if !rest.is_empty() {
            return Err("extra data after a PEM certificate block".into());
        }
        return match block.kind.as_slice() {
            b"CERTIFICATE" => {
                let cert = x509_cert::Certificate::from_der(&block.bytes)
                    .map_err(|e| format!("failed to parse a PEM certificate: {e}"))?;
                let spki = cert
                    .tbs_certificate()
                    .subject_public_key_info()
                    .to_der()
                    .map_err(|e| format!("failed to parse a PEM certificate: {e}"))?;
                let key = spki_key(&spki)
                    .map_err(|e| format!("failed to parse a PEM certificate: {e}"))?;
                // Go parses certificates of other key algorithms too.
                Ok(vec![VerificationKey::bare(key.unwrap_or(Key::Unusable))])
            }
            b"PUBLIC KEY" => match spki_key(&block.bytes) {
                Ok(Some(key)) => Ok(vec![VerificationKey::bare(key)]),
                Ok(None) => Err(
                    "failed to parse a PEM public key: x509: unknown public key algorithm".into(),
                ),
                Err(e) => Err(format!("failed to parse a PEM public key: {e}")),
            },
            _ => Err("failed to extract a Key from the PEM certificate".into()),
        };
    }
    let jwks = parse_jwk_set(text).map_err(|e| format!("failed to parse a JWK key (set): {e}"))?;
    let mut keys = Vec::with_capacity(jwks.len());
    for jwk in &jwks {
        let key = jwk_verification_key(jwk)
            .map_err(|e| format!("failed to parse a JWK key (set): {e}"))?;
        // Keys of an algorithm OPA does not know are left out.
        if key.alg.is_empty() || ALGORITHMS.contains(&key.alg.as_str()) {
            keys.push(key);
        }
    }
    Ok(keys)
}

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The key of a DER SubjectPublicKeyInfo; `None` for an algorithm Go's
/// `x509` does not know or that no JWT algorithm uses.
fn spki_key(der: &[u8]) -> Res<Option<Key>> {
    let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| format!("x509: {e}"))?;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or("x509: public key bit string has unused bits")?;
    let oid = spki.algorithm.oid;
    if oid == OID_RSA {
        let pkcs1 = rsa::pkcs1::RsaPublicKeyRef::from_der(bits)
            .map_err(|e| format!("x509: failed to parse RSA public key: {e}"))?;
        return Ok(Some(rsa_key(
            pkcs1.modulus.as_bytes(),
            pkcs1.public_exponent.as_bytes(),
        )));
    }
    if oid == OID_EC {
        let curve = spki
            .algorithm
            .parameters_oid()
            .map_err(|e| format!("x509: failed to parse ECDSA parameters: {e}"))?;
        let bad_point = |_| "x509: failed to unmarshal elliptic curve point".to_string();
        let key = if curve == OID_P256 {
            Key::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad_point)?)
        } else if curve == OID_P384 {
            Key::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad_point)?)
        } else if curve == OID_P521 {
            Key::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad_point)?)
        } else {
            return Err("x509: unsupported elliptic curve".into());
        };
        return Ok(Some(key));
    }
    if oid == OID_ED25519 {
        return ed25519_key(bits)
            .map(Some)
            .ok_or_else(|| "x509: wrong Ed25519 public key size".into());
    }
    Ok(None)
}

/// An RSA public key from its modulus and exponent. One Go would refuse to
/// verify with (under 1024 bits) or that is malformed verifies nothing.
fn rsa_key(n: &[u8], e: &[u8]) -> Key {
    let (Some(n), Some(e)) = (big_uint(n), big_uint(e)) else {
        return Key::Unusable;
    };
    rsa::PublicKey::new_with_size_limits(n, e, 1024..=16384).map_or(Key::Unusable, Key::Rsa)
}

fn big_uint(bytes: &[u8]) -> Option<BoxedUint> {
    let bits = u32::try_from(bytes.len().checked_mul(8)?).ok()?;
    if bits == 0 {
        return None;
    }
    BoxedUint::from_be_slice(bytes, bits).ok()
}

fn ed25519_key(bytes: &[u8]) -> Option<Key> {
    let bytes: &[u8; 32] = bytes.try_into().ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(bytes)
        .ok()
        .map(Key::Ed25519)
}

/// A PEM block: its type and decoded bytes.
pub(crate) struct PemBlock {
    pub(crate) kind: Vec<u8>,
    pub(crate) bytes: Vec<u8>,
}

/// Go's `pem.Decode`: the first well-formed block anywhere in `data`, and
/// what follows its END line.
pub(crate) fn pem_decode(data: &[u8]) -> Option<(PemBlock, &[u8])> {
    const BEGIN: &[u8] = b"\n-----BEGIN ";
    const END: &[u8] = b"\n-----END ";
    const DASHES: &[u8] = b"-----";
    let mut rest = data;
    loop {
        if let Some(after) = rest.strip_prefix(&BEGIN[1..]) {
            rest = after;
        } else {
            let at = find(rest, BEGIN)?;
            rest = rest.get(at + BEGIN.len()..)?;
        }
        let (type_line, after) = get_line(rest);
        rest = after;
        let Some(kind) = type_line.strip_suffix(DASHES) else {
            continue;
        };
        let mut headers = false;
        loop {
            if rest.is_empty() {
                return None;
            }
            let (line, next) = get_line(rest);
            if !line.contains(&b':') {
                break;
            }
            headers = true;
            rest = next;
        }
        let (end, trailer_at) = if !headers && rest.starts_with(&END[1..]) {
            (0, END.len() - 1)
        } else {
            match find(rest, END) {
                Some(i) => (i, i + END.len()),
                None => continue,
            }
        };
        let trailer_len = kind.len() + DASHES.len();
        let Some(trailer) = rest.get(trailer_at..trailer_at + trailer_len) else {
            continue;
        };
        if !trailer.starts_with(kind) || !trailer.ends_with(DASHES) {
            continue;
        }
        let (end_line_rest, _) = get_line(rest.get(trailer_at + trailer_len..).unwrap_or_default());
        if !end_line_rest.is_empty() {
            continue;
        }
        let body: Vec<u8> = rest
            .get(..end)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|&c| c != b' ' && c != b'\t')
            .collect();
        let Ok(bytes) = go_base64_decode(&body, STD_ALPHABET) else {
            continue;
        };
        let (_, after_block) = get_line(rest.get(end + END.len() - 1..).unwrap_or_default());
        let block = PemBlock {
            kind: kind.to_vec(),
            bytes,
        };
        return Some((block, after_block));
    }
}

/// Go's pem `getLine`: the first line without its newline and trailing
/// blanks, and what follows the newline.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (mut line, rest) = match data.iter().position(|&c| c == b'\n') {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    if let Some(l) = line.strip_suffix(b"\r") {
        line = l;
    }
    while let Some(l) = line.strip_suffix(b" ").or_else(|| line.strip_suffix(b"\t")) {
        line = l;
    }
    (line, rest)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

type JsonMap = serde_json::Map<String, serde_json::Value>;

/// The keys of a JWK or a JWK set (`{"keys": [...]}`), each checked as a
/// key, as jwx's `jwk.Parse` does.
fn parse_jwk_set(text: &str) -> Res<Vec<JsonMap>> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("failed to unmarshal JSON: {e}"))?;
    let serde_json::Value::Object(object) = value else {
        return Err("a JWK must be a JSON object".into());
    };
    let keys = match object.get("keys") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|k| match k {
                serde_json::Value::Object(m) => Ok(m.clone()),
                _ => Err("a key of the set is not a JSON object".to_string()),
            })
            .collect::<Res<Vec<_>>>()?,
        Some(_) => return Err("\"keys\" must be an array".into()),
        None => vec![object],
    };
    for key in &keys {
        jwk_verification_key(key)?;
    }
    Ok(keys)
}

fn jwk_string(jwk: &JsonMap, name: &str) -> Res<Option<String>> {
    match jwk.get(name) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("field \"{name}\" must be a string")),
    }
}

/// A base64url field of a JWK; jwx also takes padded and standard base64.
fn jwk_bytes(jwk: &JsonMap, name: &str) -> Res<Option<Vec<u8>>> {
    let Some(text) = jwk_string(jwk, name)? else {
        return Ok(None);
    };
    let bare = text.trim_end_matches('=');
    let decoded = base64url_decode(bare).or_else(|_| {
        let std = bare.replace('-', "+").replace('_', "/");
        let pad = "=".repeat((4 - std.len() % 4) % 4);
        go_base64_decode(format!("{std}{pad}").as_bytes(), STD_ALPHABET)
    });
    decoded
        .map(Some)
        .map_err(|e| format!("failed to decode field \"{name}\": {e}"))
}

fn jwk_required(jwk: &JsonMap, name: &str) -> Res<Vec<u8>> {
    jwk_bytes(jwk, name)?.ok_or_else(|| format!("required field \"{name}\" is missing"))
}

fn jwk_kty(jwk: &JsonMap) -> Res<String> {
    jwk_string(jwk, "kty")?.ok_or_else(|| "required field \"kty\" is missing".into())
}

/// Left-pads a big-endian integer to `size` bytes, or refuses it.
fn left_pad(bytes: &[u8], size: usize) -> Option<Vec<u8>> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = bytes.get(start..)?;
    let mut out = vec![0u8; size.checked_sub(digits.len())?];
    out.extend_from_slice(digits);
    Some(out)
}

fn ec_point(jwk: &JsonMap, size: usize) -> Res<Vec<u8>> {
    let pad = |name: &str| {
        left_pad(&jwk_required(jwk, name)?, size)
            .ok_or_else(|| format!("field \"{name}\" is too long for the curve"))
    };
    let mut point = vec![4u8];
    point.extend(pad("x")?);
    point.extend(pad("y")?);
    Ok(point)
}

fn jwk_verification_key(jwk: &JsonMap) -> Res<VerificationKey> {
    let kty = jwk_kty(jwk)?;
    let bad_point = |_| "invalid elliptic curve point".to_string();
    let key = match kty.as_str() {
        "RSA" => rsa_key(&jwk_required(jwk, "n")?, &jwk_required(jwk, "e")?),
        "EC" => match jwk_string(jwk, "crv")?.as_deref() {
            Some("P-256") => Key::P256(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&ec_point(jwk, 32)?)
                    .map_err(bad_point)?,
            ),
            Some("P-384") => Key::P384(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(&ec_point(jwk, 48)?)
                    .map_err(bad_point)?,
            ),
            Some("P-521") => Key::P521(
                p521::ecdsa::VerifyingKey::from_sec1_bytes(&ec_point(jwk, 66)?)
                    .map_err(bad_point)?,
            ),
            Some(other) => return Err(format!("unsupported curve {other:?}")),
            None => return Err("required field \"crv\" is missing".into()),
        },
        "OKP" => {
            let x = jwk_required(jwk, "x")?;
            match jwk_string(jwk, "crv")?.as_deref() {
                Some("Ed25519") => ed25519_key(&x).ok_or("invalid Ed25519 public key")?,
                Some(_) => Key::Unusable,
                None => return Err("required field \"crv\" is missing".into()),
            }
        }
        "oct" => Key::Secret(jwk_required(jwk, "k")?),
        other => return Err(format!("invalid key type from JSON ({other})")),
    };
    Ok(VerificationKey {
        private: kty != "oct" && jwk.contains_key("d"),
        key,
        alg: jwk_string(jwk, "alg")?.unwrap_or_default(),
        kid: jwk_string(jwk, "kid")?.unwrap_or_default(),
    })
}

// ---------------------------------------------------------------------------
// Verification

enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of(alg: &str) -> Option<Hash> {
        match alg.get(alg.len().saturating_sub(3)..) {
            Some("256") => Some(Hash::Sha256),
            Some("384") => Some(Hash::Sha384),
            Some("512") => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(msg).to_vec(),
            Hash::Sha384 => Sha384::digest(msg).to_vec(),
            Hash::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }

    fn mac(&self, key: &[u8], msg: &[u8]) -> Vec<u8> {
        fn tag<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
            // HMAC takes keys of any length.
            <M as KeyInit>::new_from_slice(key)
                .map(|mut m| {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                })
                .unwrap_or_default()
        }
        match self {
            Hash::Sha256 => tag::<Hmac<Sha256>>(key, msg),
            Hash::Sha384 => tag::<Hmac<Sha384>>(key, msg),
            Hash::Sha512 => tag::<Hmac<Sha512>>(key, msg),
        }
    }
}

/// Equal in time independent of where they differ, as Go's `hmac.Equal`.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `io.jwt.verify_hs*`: the header is not read, only the MAC compared.
fn verify_hmac(alg: &str, jwt: &str, secret: &str) -> Res<bool> {
    let token = split_token(jwt)?;
    let hash = Hash::of(alg).ok_or("unknown algorithm")?;
    let expected = hash.mac(secret.as_bytes(), token.signing_input().as_bytes());
    let signature = base64url_decode(token.signature)?;
    Ok(constant_time_eq(&signature, &expected))
}

fn rsa_verify(key: &rsa::PublicKey, pss: bool, hash: &Hash, msg: &[u8], sig: &[u8]) -> bool {
    let digest = hash.digest(msg);
    // Go verifies PSS with the salt length found in the signature.
    let result = match (pss, hash) {
        (false, Hash::Sha256) => key.verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest, sig),
        (false, Hash::Sha384) => key.verify(rsa::Pkcs1v15Sign::new::<Sha384>(), &digest, sig),
        (false, Hash::Sha512) => key.verify(rsa::Pkcs1v15Sign::new::<Sha512>(), &digest, sig),
        (true, Hash::Sha256) => key.verify(pss_auto::<Sha256>(), &digest, sig),
        (true, Hash::Sha384) => key.verify(pss_auto::<Sha384>(), &digest, sig),
        (true, Hash::Sha512) => key.verify(pss_auto::<Sha512>(), &digest, sig),
    };
    result.is_ok()
}

fn pss_auto<D: Digest>() -> rsa::Pss<D> {
    rsa::Pss {
        blinded: false,
        digest: D::new(),
        salt_len: None,
    }
}

/// ECDSA over a prehash with the signature split in two halves, as OPA's
/// `verifyES` does: each half is an integer, whatever its length.
fn ecdsa_verify(key: &Key, digest: &[u8], sig: &[u8]) -> bool {
    let half = sig.len() / 2;
    let (r, s) = sig.split_at(half);
    let scalars = |size: usize| -> Option<Vec<u8>> {
        let mut out = left_pad(r, size)?;
        out.extend(left_pad(s, size)?);
        Some(out)
    };
    match key {
        Key::P256(k) => scalars(32)
            .and_then(|b| p256::ecdsa::Signature::from_slice(&b).ok())
            .is_some_and(|sig| k.verify_prehash(digest, &sig).is_ok()),
        Key::P384(k) => scalars(48)
            .and_then(|b| p384::ecdsa::Signature::from_slice(&b).ok())
            .is_some_and(|sig| k.verify_prehash(digest, &sig).is_ok()),
        Key::P521(k) => scalars(66)
            .and_then(|b| p521::ecdsa::Signature::from_slice(&b).ok())
            .is_some_and(|sig| k.verify_prehash(digest, &sig).is_ok()),
        _ => false,
    }
}

fn ec_size(key: &Key) -> usize {
    match key {
        Key::P256(_) => 32,
        Key::P384(_) => 48,
        Key::P521(_) => 66,
        _ => 0,
    }
}

fn ed25519_verify(key: &ed25519_dalek::VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    ed25519_dalek::Signature::from_slice(sig).is_ok_and(|sig| key.verify(msg, &sig).is_ok())
}

/// One `verify_*` builtin's check of one key (OPA's per-builtin verifier):
/// the key must be a public key of the builtin's family.
fn builtin_verify(
    family: &str,
    hash: Option<&Hash>,
    key: &VerificationKey,
    msg: &[u8],
    sig: &[u8],
) -> bool {
    if key.private {
        return false;
    }
    match (family, &key.key, hash) {
        ("rs", Key::Rsa(k), Some(h)) => rsa_verify(k, false, h, msg, sig),
        ("ps", Key::Rsa(k), Some(h)) => rsa_verify(k, true, h, msg, sig),
        ("es", k, Some(h)) => ecdsa_verify(k, &h.digest(msg), sig),
        ("eddsa", Key::Ed25519(k), None) => ed25519_verify(k, msg, sig),
        _ => false,
    }
}

/// `io.jwt.verify_rs*`, `ps*`, `es*` and `eddsa`, as OPA's `builtinJWTVerify`:
/// a key whose `kid` the header names is the only one tried; otherwise
/// every key, skipping those whose `alg` differs from the header's.
fn verify_with_keys(alg: &str, token: &Token, keys: &str) -> Res<bool> {
    let keys = keys_from_cert_or_jwk(keys)?;
    let signature = base64url_decode(token.signature)?;
    let header = TokenHeader::parse(&token.decode_header()?)?;
    let family = alg.trim_end_matches(char::is_numeric);
    let hash = Hash::of(alg);
    let msg = token.signing_input();
    let check =
        |k: &VerificationKey| builtin_verify(family, hash.as_ref(), k, msg.as_bytes(), &signature);
    if !header.kid.is_empty()
        && let Some(key) = keys.iter().find(|k| k.kid == header.kid)
    {
        return Ok(check(key));
    }
    Ok(keys
        .iter()
        .filter(|k| k.alg.is_empty() || k.alg == header.alg)
        .any(check))
}

/// jwx's `jwsbb.Verify`: the header's algorithm decides how `key` is used;
/// a key of another family, or an algorithm it does not know, fails.
fn jws_verify(key: &Key, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let hash = Hash::of(alg);
    match (alg.get(..2), key, hash) {
        (Some("HS"), Key::Secret(secret), Some(h)) if ALGORITHMS.contains(&alg) => {
            constant_time_eq(&h.mac(secret, msg), sig)
        }
        (Some("RS"), Key::Rsa(k), Some(h)) if ALGORITHMS.contains(&alg) => {
            rsa_verify(k, false, &h, msg, sig)
        }
        (Some("PS"), Key::Rsa(k), Some(h)) if ALGORITHMS.contains(&alg) => {
            rsa_verify(k, true, &h, msg, sig)
        }
        // jwx wants a signature of exactly two scalars of the key's size.
        (Some("ES"), k, Some(h)) if ALGORITHMS.contains(&alg) => {
            sig.len() == 2 * ec_size(k) && ecdsa_verify(k, &h.digest(msg), sig)
        }
        (_, Key::Ed25519(k), _) if alg == "EdDSA" => ed25519_verify(k, msg, sig),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// decode_verify

/// The constraints of `decode_verify` (OPA's `tokenConstraints`).
#[derive(Default)]
struct Constraints {
    keys: Option<Vec<VerificationKey>>,
    secret: String,
    alg: String,
    iss: String,
    aud: String,
    /// Nanoseconds since the epoch.
    time: f64,
}

/// A number as Go's `big.Float.Float64` gives it: the nearest float, even
/// past 2^53 (regorus's `as_f64` declines those).
fn number_f64(value: &Value) -> Option<f64> {
    let Value::Number(n) = value else { return None };
    n.as_f64()
        .or_else(|| n.format_decimal().parse().ok())
        .filter(|f: &f64| f.is_finite())
}

fn time_from(value: &Value) -> Res<f64> {
    if !matches!(value, Value::Number(_)) {
        return Err("token time constraint: must be a number".into());
    }
    let t = number_f64(value).ok_or("token time constraint: unvalid float64")?;
    if t < 0.0 {
        return Err("token time constraint: must not be negative".into());
    }
    Ok(t)
}

impl Constraints {
    fn parse(object: &Value) -> Res<Constraints> {
        let mut c = Constraints::default();
        let mut time = None;
        if let Value::Object(fields) = object {
            for (k, v) in fields.iter() {
                let name = match k {
                    Value::String(s) => s.to_string(),
                    other => go_json(other),
                };
                let string = |what: &str| match v {
                    Value::String(s) => Ok(s.to_string()),
                    _ => Err(format!("{what} constraint: must be a string")),
                };
                match name.as_str() {
                    "cert" => c.keys = Some(keys_from_cert_or_jwk(&string("cert")?)?),
                    "secret" => c.secret = string("secret")?,
                    "alg" => c.alg = string("alg")?,
                    "iss" => c.iss = string("iss")?,
                    "aud" => c.aud = string("aud")?,
                    "time" => time = Some(time_from(v)?),
                    _ => return Err(format!("unknown token validation constraint: {name}")),
                }
            }
        }
        // Without a time: the evaluation's (pinned) time.now_ns.
        c.time = time.unwrap_or_else(|| crate::engine::clock::now_ns() as f64);
        match (c.keys.is_some(), !c.secret.is_empty()) {
            (true, true) => Err("duplicate key constraints".into()),
            (false, false) => Err("no key constraint".into()),
            _ => Ok(c),
        }
    }

    /// OPA's `tokenConstraints.verify`.
    fn verify(&self, header: &TokenHeader, msg: &[u8], sig: &[u8]) -> bool {
        let alg = header.alg.as_str();
        if let Some(keys) = &self.keys {
            if !header.kid.is_empty()
                && let Some(key) = keys.iter().find(|k| k.kid == header.kid)
            {
                return jws_verify(&key.key, alg, msg, sig);
            }
            return keys
                .iter()
                .filter(|k| k.alg.is_empty() || k.alg == alg)
                .any(|k| jws_verify(&k.key, alg, msg, sig));
        }
        jws_verify(&Key::Secret(self.secret.as_bytes().to_vec()), alg, msg, sig)
    }

    fn valid_audience(&self, aud: &Value) -> bool {
        match aud {
            Value::String(s) => s.as_ref() == self.aud,
            Value::Array(items) => items
                .iter()
                .any(|i| matches!(i, Value::String(s) if s.as_ref() == self.aud)),
            _ => false,
        }
    }
}

fn decode_verify(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    let named = |m: String| anyhow::anyhow!("{name}: {m}");
    let constraints = match args.get(1) {
        Some(c @ Value::Object(_)) => Constraints::parse(c).map_err(named)?,
        other => anyhow::bail!(
            "{name}: operand 2 must be object but got {}",
            other.map_or("undefined", type_name)
        ),
    };
    let jwt = string_operand(name, args, 0)?;
    check_token(jwt, &constraints).map_err(named)
}

/// `decode_verify` past its operands: `[valid, header, payload]`.
fn check_token(jwt: &str, constraints: &Constraints) -> Res<Value> {
    let unverified = || {
        Value::from(vec![
            Value::from(false),
            Value::new_object(),
            Value::new_object(),
        ])
    };
    let mut text = jwt.to_string();
    let (header, payload) = loop {
        let token = split_token(&text)?;
        let header = token.decode_header()?;
        let fields = TokenHeader::parse(&header)?;
        if !fields.valid() || (!constraints.alg.is_empty() && constraints.alg != fields.alg) {
            return Ok(unverified());
        }
        let signature = base64url_decode(token.signature)?;
        if !constraints.verify(&fields, token.signing_input().as_bytes(), &signature) {
            return Ok(unverified());
        }
        let payload = token.decode_payload()?;
        if fields.cty.eq_ignore_ascii_case("JWT") {
            // A nested token: its payload is verified in turn.
            text = String::from_utf8_lossy(&payload).into_owned();
            continue;
        }
        break (header, payload);
    };
    let payload = json_object(&payload)?;
    if !constraints.iss.is_empty()
        && !matches!(field(&payload, "iss"), Some(Value::String(s)) if s.as_ref() == constraints.iss)
    {
        return Ok(unverified());
    }
    match field(&payload, "aud") {
        Some(aud) if !constraints.valid_audience(aud) => return Ok(unverified()),
        None if !constraints.aud.is_empty() => return Ok(unverified()),
        _ => {}
    }
    // `exp` and `nbf` are in seconds, the time in nanoseconds.
    let now = constraints.time / 1e9;
    if let Some(exp) = field(&payload, "exp") {
        if !matches!(exp, Value::Number(_)) {
            return Err("exp value must be a number".into());
        }
        if number_f64(exp).is_none_or(|exp| now >= exp) {
            return Ok(unverified());
        }
    }
    if let Some(nbf) = field(&payload, "nbf") {
        if !matches!(nbf, Value::Number(_)) {
            return Err("nbf value must be a number".into());
        }
        if number_f64(nbf).is_none_or(|nbf| now < nbf) {
            return Ok(unverified());
        }
    }
    Ok(Value::from(vec![Value::from(true), header, payload]))
}

// ---------------------------------------------------------------------------
// Signing

/// A signing key from a JWK.
enum Signer {
    Secret(Vec<u8>),
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

fn jwk_signer(jwk: &JsonMap) -> Res<Signer> {
    let kty = jwk_kty(jwk)?;
    if kty == "oct" {
        return Ok(Signer::Secret(jwk_required(jwk, "k")?));
    }
    let Some(d) = jwk_bytes(jwk, "d")? else {
        return Err(format!("jwsbb.Sign: a {kty} public key cannot sign"));
    };
    let bad = |e: String| format!("jwsbb.Sign: invalid {kty} private key: {e}");
    match kty.as_str() {
        "RSA" => {
            let n = jwk_required(jwk, "n")?;
            let e = jwk_required(jwk, "e")?;
            let bits = u32::try_from(n.len() * 8).map_err(|e| bad(e.to_string()))?;
            let uint = |b: &[u8]| BoxedUint::from_be_slice(b, bits).map_err(|e| bad(e.to_string()));
            let primes = match (jwk_bytes(jwk, "p")?, jwk_bytes(jwk, "q")?) {
                (Some(p), Some(q)) => vec![uint(&p)?, uint(&q)?],
                _ => Vec::new(),
            };
            let e = big_uint(&e).ok_or_else(|| bad("bad exponent".into()))?;
            rsa::PrivateKey::from_components(uint(&n)?, e, uint(&d)?, primes)
                .map(|k| Signer::Rsa(Box::new(k)))
                .map_err(|e| bad(e.to_string()))
        }
        "EC" => {
            let scalar =
                |size: usize| left_pad(&d, size).ok_or_else(|| bad("\"d\" too long".into()));
            match jwk_string(jwk, "crv")?.as_deref() {
                Some("P-256") => p256::ecdsa::SigningKey::from_slice(&scalar(32)?)
                    .map(Signer::P256)
                    .map_err(|e| bad(e.to_string())),
                Some("P-384") => p384::ecdsa::SigningKey::from_slice(&scalar(48)?)
                    .map(Signer::P384)
                    .map_err(|e| bad(e.to_string())),
                Some("P-521") => p521::ecdsa::SigningKey::from_slice(&scalar(66)?)
                    .map(Signer::P521)
                    .map_err(|e| bad(e.to_string())),
                other => Err(bad(format!("unsupported curve {other:?}"))),
            }
        }
        "OKP" if jwk_string(jwk, "crv")?.as_deref() == Some("Ed25519") => {
            let d: &[u8; 32] = d
                .as_slice()
                .try_into()
                .map_err(|_| bad("wrong Ed25519 key size".into()))?;
            Ok(Signer::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(d),
            )))
        }
        _ => Err(bad("unsupported key type".into())),
    }
}

/// jwx's `jwsbb.Sign`: the key must be of the algorithm's family.
fn jws_sign(signer: &Signer, alg: &str, msg: &[u8]) -> Res<Vec<u8>> {
    let mismatch = || format!("jwsbb.Sign: invalid key type for algorithm {alg}");
    let hash = Hash::of(alg);
    let failed = |e: String| format!("jwsbb.Sign: failed to sign: {e}");
    match (alg.get(..2), signer, hash) {
        (Some("HS"), Signer::Secret(k), Some(h)) => Ok(h.mac(k, msg)),
        (Some("RS"), Signer::Rsa(k), Some(h)) => match h {
            Hash::Sha256 => k.pkcs1v15_sign::<Sha256>(msg),
            Hash::Sha384 => k.pkcs1v15_sign::<Sha384>(msg),
            Hash::Sha512 => k.pkcs1v15_sign::<Sha512>(msg),
        }
        .map_err(|e| failed(e.to_string())),
        (Some("PS"), Signer::Rsa(k), Some(h)) => match h {
            Hash::Sha256 => k.pss_sign::<Sha256>(msg),
            Hash::Sha384 => k.pss_sign::<Sha384>(msg),
            Hash::Sha512 => k.pss_sign::<Sha512>(msg),
        }
        .map_err(|e| failed(e.to_string())),
        (Some("ES"), k, Some(h)) => {
            let digest = h.digest(msg);
            let sig = match k {
                Signer::P256(k) => {
                    PrehashSigner::<p256::ecdsa::Signature>::sign_prehash(k, &digest)
                        .map(|s| s.to_bytes().to_vec())
                }
                Signer::P384(k) => {
                    PrehashSigner::<p384::ecdsa::Signature>::sign_prehash(k, &digest)
                        .map(|s| s.to_bytes().to_vec())
                }
                Signer::P521(k) => {
                    PrehashSigner::<p521::ecdsa::Signature>::sign_prehash(k, &digest)
                        .map(|s| s.to_bytes().to_vec())
                }
                _ => return Err(mismatch()),
            };
            sig.map_err(|e| failed(e.to_string()))
        }
        (_, Signer::Ed25519(k), _) if alg == "EdDSA" => Ok(k.sign(msg).to_bytes().to_vec()),
        _ => Err(mismatch()),
    }
}

/// A header field as jwsbb reads it (valyala/fastjson underneath): the
/// error texts are fastjson's, which OPA passes on.
fn jws_header_string(header: &str, key: &str) -> Res<String> {
    let text = header.trim_start_matches([' ', '\t', '\n', '\r']);
    if text.is_empty() {
        return Err("cannot parse JSON: cannot parse empty string; unparsed tail: \"\"".into());
    }
    let value = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v,
        // fastjson takes anything starting like no other value for a
        // number, read lazily: such a header parses but has no fields.
        Err(_) if fastjson_number(text) => serde_json::Value::Null,
        Err(e) => return Err(format!("cannot parse JSON: {e}")),
    };
    match value.get(key) {
        None => Err(format!("jwsbb: header \"{key}\" not found")),
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "value doesn't contain string; it contains {}",
            match other {
                serde_json::Value::Object(_) => "object",
                serde_json::Value::Array(_) => "array",
                serde_json::Value::Number(_) => "number",
                serde_json::Value::Bool(true) => "true",
                serde_json::Value::Bool(false) => "false",
                _ => "null",
            }
        )),
    }
}

/// Whether fastjson reads `text` as a (raw, unchecked) number.
fn fastjson_number(text: &str) -> bool {
    if text.starts_with(['{', '[', '"', 't', 'f', 'n']) {
        return false;
    }
    let number_char = |c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E');
    let end = text.find(|c: char| !number_char(c)).unwrap_or(text.len());
    end > 0
        && text
            .get(end..)
            .is_some_and(|rest| rest.trim_matches([' ', '\t', '\n', '\r']).is_empty())
}

/// OPA's `commonBuiltinJWTEncodeSign`: the first key of the JWK (set)
/// signs `header.payload`, both base64url-encoded as given.
fn encode_sign(header: &str, payload: &str, jwk: &str) -> Res<String> {
    let keys = parse_jwk_set(jwk)?;
    let Some(key) = keys.first() else {
        return Err("no keys found in JWK set".into());
    };
    let alg = jws_header_string(header, "alg")
        .map_err(|e| format!("missing or invalid 'alg' header: {e}"))?;
    if !ALGORITHMS.contains(&alg.as_str()) {
        return Err(format!("unknown JWS algorithm: {alg}"));
    }
    let typ = jws_header_string(header, "typ");
    let json = serde_json::from_str::<serde::de::IgnoredAny>(payload).is_ok();
    if typ.as_deref().is_ok_and(|t| t != "JWT") || json {
        let input = format!(
            "{}.{}",
            base64url_encode(header.as_bytes()),
            base64url_encode(payload.as_bytes())
        );
        let signature = jws_sign(&jwk_signer(key)?, &alg, input.as_bytes())?;
        return Ok(format!("{input}.{}", base64url_encode(&signature)));
    }
    Err("type is JWT but payload is not JSON".into())
}

/// A value as OPA hands it to Go's `json.Marshal` (`ast.JSON`): keys
/// sorted, no spaces, `<`, `>`, `&`, U+2028 and U+2029 escaped, sets as
/// arrays, other keys as their JSON text.
fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_go_json(value, &mut out);
    out
}

fn write_go_json(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Undefined => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.format_decimal()),
        Value::String(s) => crate::json_text::write_go_string(s, true, out),
        Value::Array(items) => write_go_items(items.iter(), out),
        Value::Set(items) => write_go_items(items.iter(), out),
        Value::Object(fields) => {
            let sorted: BTreeMap<String, &Value> = fields
                .iter()
                .map(|(k, v)| match k {
                    Value::String(s) => (s.to_string(), v),
                    other => (go_json(other), v),
                })
                .collect();
            out.push('{');
            for (i, (k, v)) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                crate::json_text::write_go_string(k, true, out);
                out.push(':');
                write_go_json(v, out);
            }
            out.push('}');
        }
    }
}

fn write_go_items<'a>(items: impl Iterator<Item = &'a Value>, out: &mut String) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_go_json(item, out);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::extra_builtins::with_code;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    fn json(v: &str) -> Value {
        Value::from_json_str(v).unwrap()
    }

    /// The error as the engine sees it, code first.
    fn err(name: &str, args: &[Value]) -> String {
        with_code(call(name, args).unwrap_err()).to_string()
    }

    // RFC 7515 appendix A: the payload of A.1 to A.3, and the keys.
    const A_HEADER_1: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
    const A_PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    const A1_SIG: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const A1_JWK: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
    const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    const A3_SIG: &str =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    const A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
    /// A.1's `exp`, in nanoseconds, less a second.
    const BEFORE_EXP: f64 = 1_300_819_379e9;

    #[test]
    fn rfc7515_a1_hs256() {
        let token = format!("{A_HEADER_1}.{A_PAYLOAD}.{A1_SIG}");
        let constraints = json(&format!(r#"{{"cert": {A1_JWK:?}, "time": {BEFORE_EXP}}}"#));
        let out = call("io.jwt.decode_verify", &[s(&token), constraints]).unwrap();
        assert_eq!(
            out,
            json(
                r#"[true, {"typ": "JWT", "alg": "HS256"},
                    {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": true}]"#
            )
        );
        // Signed again from the JWK: the same token, byte for byte.
        let header = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
        let payload =
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
        let signed = call(
            "io.jwt.encode_sign_raw",
            &[s(header), s(payload), s(A1_JWK)],
        )
        .unwrap();
        assert_eq!(signed, s(&token));
    }

    #[test]
    fn rfc7515_a2_rs256() {
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{A_PAYLOAD}.{A2_SIG}");
        let jwk = format!(r#"{{"kty":"RSA","n":"{A2_N}","e":"AQAB"}}"#);
        let ok = call("io.jwt.verify_rs256", &[s(&token), s(&jwk)]).unwrap();
        assert_eq!(ok, Value::from(true));
        // Not with PSS, nor with a flipped signature byte.
        assert_eq!(
            call("io.jwt.verify_ps256", &[s(&token), s(&jwk)]).unwrap(),
            Value::from(false)
        );
        let bad = format!("eyJhbGciOiJSUzI1NiJ9.{A_PAYLOAD}.dC4{}", &A2_SIG[3..]);
        assert_eq!(
            call("io.jwt.verify_rs256", &[s(&bad), s(&jwk)]).unwrap(),
            Value::from(false)
        );
    }

    #[test]
    fn rfc7515_a3_es256() {
        let token = format!("eyJhbGciOiJFUzI1NiJ9.{A_PAYLOAD}.{A3_SIG}");
        let ok = call("io.jwt.verify_es256", &[s(&token), s(A3_JWK)]).unwrap();
        assert_eq!(ok, Value::from(true));
        let other_payload = format!("eyJhbGciOiJFUzI1NiJ9.e30.{A3_SIG}");
        let no = call("io.jwt.verify_es256", &[s(&other_payload), s(A3_JWK)]).unwrap();
        assert_eq!(no, Value::from(false));
    }

    #[test]
    fn signed_tokens_verify_back() {
        let d = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
        let private = format!(r#"{}, "d": "{d}"}}"#, A3_JWK.trim_end_matches('}'));
        let payload = json(r#"{"sub": "alice", "exp": 2000000000}"#);
        for (alg, key, public) in [
            ("ES256", private.as_str(), A3_JWK),
            ("HS256", A1_JWK, A1_JWK),
        ] {
            let header = json(&format!(r#"{{"alg": "{alg}", "typ": "JWT"}}"#));
            let token = call("io.jwt.encode_sign", &[header, payload.clone(), json(key)]).unwrap();
            let Value::String(token) = token else {
                panic!("not a string")
            };
            let constraints = json(&format!(r#"{{"cert": {public:?}, "time": 1e18}}"#));
            let out = call("io.jwt.decode_verify", &[s(&token), constraints]).unwrap();
            assert_eq!(out.as_array().unwrap()[0], Value::from(true), "{alg}");
            assert_eq!(out.as_array().unwrap()[2], payload, "{alg}");
        }
    }

    fn hs256(payload: &str) -> String {
        let header = json(r#"{"alg": "HS256"}"#);
        let jwk = json(r#"{"kty": "oct", "k": "c2VjcmV0"}"#);
        match call("io.jwt.encode_sign", &[header, json(payload), jwk]).unwrap() {
            Value::String(t) => t.to_string(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn claims_are_checked() {
        let unverified = json("[false, {}, {}]");
        let check = |token: &str, constraints: &str| {
            call("io.jwt.decode_verify", &[s(token), json(constraints)]).unwrap()
        };
        let token = hs256(r#"{"iss": "opa", "aud": ["a", "b"], "exp": 2000, "nbf": 1000}"#);
        let ok = r#"{"secret": "secret", "iss": "opa", "aud": "b", "time": 1500000000000}"#;
        assert_eq!(check(&token, ok).as_array().unwrap()[0], Value::from(true));
        for bad in [
            r#"{"secret": "secret", "iss": "opa", "aud": "b", "time": 2000000000000}"#,
            r#"{"secret": "secret", "iss": "opa", "aud": "b", "time": 999000000000}"#,
            r#"{"secret": "secret", "iss": "other", "aud": "b", "time": 1500000000000}"#,
            r#"{"secret": "secret", "iss": "opa", "aud": "c", "time": 1500000000000}"#,
            r#"{"secret": "secret", "iss": "opa", "time": 1500000000000}"#,
            r#"{"secret": "wrong", "iss": "opa", "aud": "b", "time": 1500000000000}"#,
            r#"{"secret": "secret", "alg": "HS512", "aud": "b", "time": 1500000000000}"#,
        ] {
            assert_eq!(check(&token, bad), unverified, "{bad}");
        }
        // Without a time: the wall clock, long past 2000.
        assert_eq!(
            check(&token, r#"{"secret": "secret", "aud": "a"}"#),
            unverified
        );
        let pinned = crate::engine::clock::with_pinned(1_500_000_000_000, || {
            check(&token, r#"{"secret": "secret", "aud": "a"}"#)
        });
        assert_eq!(pinned.as_array().unwrap()[0], Value::from(true));
    }

    #[test]
    fn malformed_input_is_an_error_as_opa_words_it() {
        assert!(err("io.jwt.decode", &[s("abc")]).contains("encoded JWT had no period separators"));
        assert!(
            err("io.jwt.decode", &[s("a.b")]).contains("encoded JWT must have 3 sections, found 2")
        );
        assert!(
            err(
                "io.jwt.decode",
                &[s("eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.e30.")]
            )
            .contains("JWT header had invalid encoding: illegal base64 data at input byte 13")
        );
        assert!(err("io.jwt.decode", &[Value::from(1)]).starts_with("eval_type_error: "));
        let dv = err(
            "io.jwt.decode_verify",
            &[s("a.b.c"), json(r#"{"secret": "x", "foo": 1}"#)],
        );
        assert!(
            dv.contains("unknown token validation constraint: foo"),
            "{dv}"
        );
        let dv = err("io.jwt.decode_verify", &[s("a.b.c"), json("{}")]);
        assert!(dv.contains("no key constraint"), "{dv}");
        let pem = "-----BEGIN CERT-----\nAAAA\n-----END CERT-----";
        assert!(
            err("io.jwt.verify_rs256", &[s("a.b.c"), s(pem)])
                .contains("failed to extract a Key from the PEM certificate")
        );
        assert!(
            err("io.jwt.verify_rs256", &[s("a.b.c"), s("{")])
                .contains("failed to parse a JWK key (set)")
        );
        let header = err("io.jwt.encode_sign_raw", &[s(""), s("{}"), s(A1_JWK)]);
        assert!(header.contains(
            "missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string"
        ));
        let typ = err(
            "io.jwt.encode_sign_raw",
            &[s(r#"{"alg":"HS256"}"#), s("e"), s(A1_JWK)],
        );
        assert!(typ.contains("type is JWT but payload is not JSON"));
        let exp = err(
            "io.jwt.decode_verify",
            &[
                s(&hs256(r#"{"exp": "x"}"#)),
                json(r#"{"secret": "secret"}"#),
            ],
        );
        assert!(exp.contains("exp value must be a number"));
    }

    #[test]
    fn decode_answers_header_payload_and_hex_signature() {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY";
        assert_eq!(
            call("io.jwt.decode", &[s(token)]).unwrap(),
            json(
                r#"[{"alg": "HS256", "typ": "JWT"}, {"iss": "opa", "sub": "0"},
                    "5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576"]"#
            )
        );
    }

    #[test]
    fn go_encodings() {
        assert_eq!(base64url_encode(b""), "");
        assert_eq!(base64url_encode(b"e"), "ZQ");
        assert_eq!(base64url_encode(b"{}"), "e30");
        assert_eq!(go_base64_decode(b"ZQ==", URL_ALPHABET).unwrap(), b"e");
        assert_eq!(go_base64_decode(b"Z\nQ=\r\n=", URL_ALPHABET).unwrap(), b"e");
        assert!(go_base64_decode(b"ZQ=", URL_ALPHABET).is_err());
        assert!(go_base64_decode(b"ZQ==ZQ==", URL_ALPHABET).is_err());
        assert_eq!(
            go_json(&json(r#"{"b": [1, "<&>"], "a": {"z": null, "y": 1.5}}"#)),
            r#"{"a":{"y":1.5,"z":null},"b":[1,"\u003c\u0026\u003e"]}"#
        );
        let (block, rest) =
            pem_decode(b"junk\n-----BEGIN X-----\nAAEC\n-----END X-----\n").unwrap();
        assert_eq!(
            (block.kind.as_slice(), block.bytes.as_slice(), rest),
            (&b"X"[..], &[0u8, 1, 2][..], &b""[..])
        );
    }

    /// Arbitrary bytes never panic: every builtin answers or errs.
    #[test]
    fn no_panics_on_odd_input() {
        let odd = [
            "",
            ".",
            "..",
            "...",
            "a.b.c",
            "====.==.=",
            "e30.e30.",
            "eyJhbGciOiJIUzI1NiJ9.e30.AA",
            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----",
            r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}"#,
            r#"{"kty": "RSA", "n": "", "e": ""}"#,
            r#"{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}"#,
            r#"{"kty": "RSA", "n": "AQ", "e": "AQAB", "d": "AQ", "p": "AQ", "q": "AQ"}"#,
            r#"{"kty": "RSA", "n": "AAAA", "e": "AA", "d": "AAAA"}"#,
            r#"{"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA", "d": "AA"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"AA"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"_____________________________________________w"}"#,
        ];
        for (name, _) in BUILTINS {
            for a in odd {
                for b in odd {
                    let _ = call(name, &[s(a), s(b), s(b)]);
                    let _ = call(name, &[s(a), json(r#"{"cert": "{}", "time": -1}"#)]);
                    for alg in ALGORITHMS {
                        let header = format!(r#"{{"alg": "{alg}"}}"#);
                        let _ = call(name, &[s(&header), s("{}"), s(b)]);
                    }
                }
            }
        }
    }
}
