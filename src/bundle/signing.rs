//! OPA's bundle signing: the `.signatures.json` of a bundle, a JWT (RS256 or
//! ES256, chosen by the key's type) whose payload lists every file's SHA-256
//! as OPA's verifier recomputes it (JSON and YAML data and the manifest
//! hashed in OPA's canonical form, everything else as bytes).

use std::collections::BTreeMap;
use std::path::Path;

use data_encoding::BASE64URL_NOPAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A private key that signs bundles: RSA (RS256) or P-256 (ES256).
pub enum SigningKey {
    Rs256(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
    Es256(Box<p256::ecdsa::SigningKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.alg())
    }
}

impl SigningKey {
    /// Reads a PEM private key: `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE
    /// KEY` (SEC1, P-256) or `PRIVATE KEY` (PKCS#8, RSA or P-256). `what`
    /// names the key in errors (its file).
    pub fn from_pem(what: &str, pem: &str) -> Result<SigningKey> {
        let bad = |m: String| Error::input(what.to_string(), m);
        let label = pem
            .lines()
            .map(str::trim)
            .find_map(|l| {
                l.strip_prefix("-----BEGIN ")
                    .and_then(|r| r.strip_suffix("-----"))
            })
            .ok_or_else(|| bad("not a PEM file (no -----BEGIN ...----- line)".into()))?;
        match label {
            "RSA PRIVATE KEY" => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                let key = rsa::PrivateKey::from_pkcs1_pem(pem)
                    .map_err(|e| bad(format!("not a readable RSA private key: {e}")))?;
                Self::rsa(what, key)
            }
            "EC PRIVATE KEY" => {
                let key = p256::SecretKey::from_sec1_pem(pem).map_err(|e| {
                    bad(format!(
                        "not a readable P-256 private key ({e}); ES256 needs a P-256 (prime256v1) key"
                    ))
                })?;
                Ok(SigningKey::Es256(Box::new(key.into())))
            }
            "PRIVATE KEY" => {
                // One PKCS#8 trait serves both key crates.
                use p256::pkcs8::DecodePrivateKey as _;
                if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
                    return Ok(SigningKey::Es256(Box::new(key)));
                }
                match rsa::PrivateKey::from_pkcs8_pem(pem) {
                    Ok(key) => Self::rsa(what, key),
                    Err(e) => Err(bad(format!(
                        "a PKCS#8 key that is neither RSA nor P-256 ({e}): bundles are signed \
                         RS256 or ES256"
                    ))),
                }
            }
            "ENCRYPTED PRIVATE KEY" => Err(bad(
                "an encrypted private key: decrypt it first (openssl pkey -in KEY -out PLAIN)"
                    .into(),
            )),
            other => Err(bad(format!(
                "a PEM '{other}', not a private key (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)"
            ))),
        }
    }

    fn rsa(what: &str, key: rsa::PrivateKey) -> Result<SigningKey> {
        use rsa::traits::PublicKeyParts;
        let bits = key.n().bit_width();
        if bits < 2048 {
            return Err(Error::input(
                what.to_string(),
                format!("an RSA key of {bits} bits: RS256 needs at least 2048"),
            ));
        }
        Ok(SigningKey::Rs256(Box::new(rsa::pkcs1v15::SigningKey::<
            Sha256,
        >::new(key))))
    }

    /// Reads a PEM key file.
    pub fn from_file(path: &Path) -> Result<SigningKey> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_pem(&path.display().to_string(), &text)
    }

    /// `RS256` or `ES256`.
    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Rs256(_) => "RS256",
            SigningKey::Es256(_) => "ES256",
        }
    }

    /// The JWS signature of `message` (for ES256 the raw `r || s`, as
    /// RFC 7518 wants, not DER).
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        use signature_traits::{SignatureEncoding, Signer};
        match self {
            SigningKey::Rs256(k) => {
                let sig: rsa::pkcs1v15::Signature = k.sign(message);
                sig.to_vec()
            }
            SigningKey::Es256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_bytes().to_vec()
            }
        }
    }
}

/// The signature traits as the key crates re-export them.
mod signature_traits {
    pub use rsa::signature::{SignatureEncoding, Signer};
}

/// Who signs a bundle and with what claims: the key, its id (the JWT
/// header's `kid` and the payload's `keyid`, which OPA's `keys` config
/// names), an optional `scope` (OPA compares it with the key's configured
/// scope) and an optional issuer (`iss`).
#[derive(Debug)]
pub struct BundleSigner {
    pub key: SigningKey,
    pub keyid: String,
    pub scope: Option<String>,
    pub issuer: Option<String>,
}

impl BundleSigner {
    /// The `.signatures.json` text for these files (bundle path, content),
    /// issued at `iat` (seconds since the epoch).
    pub fn signatures_json(&self, files: &[(String, Vec<u8>)], iat: i64) -> Result<String> {
        let token = self.token(files, iat)?;
        Ok(format!("{}\n", json!({ "signatures": [token] })))
    }

    /// The JWT: header `{alg, kid, typ}`, payload `{files, keyid, iat,
    /// scope?, iss?}`.
    pub fn token(&self, files: &[(String, Vec<u8>)], iat: i64) -> Result<String> {
        let mut listed = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            listed.push(json!({
                "name": name,
                "hash": file_hash(name, bytes)?,
                "algorithm": "SHA-256",
            }));
        }
        let mut payload = Map::new();
        payload.insert("files".into(), Value::Array(listed));
        payload.insert("keyid".into(), Value::String(self.keyid.clone()));
        payload.insert("iat".into(), json!(iat));
        if let Some(s) = &self.scope {
            payload.insert("scope".into(), Value::String(s.clone()));
        }
        if let Some(i) = &self.issuer {
            payload.insert("iss".into(), Value::String(i.clone()));
        }
        let header = json!({ "alg": self.key.alg(), "kid": self.keyid, "typ": "JWT" });
        let signing_input = format!(
            "{}.{}",
            BASE64URL_NOPAD.encode(header.to_string().as_bytes()),
            BASE64URL_NOPAD.encode(Value::Object(payload).to_string().as_bytes())
        );
        let sig = self.key.sign(signing_input.as_bytes());
        Ok(format!("{signing_input}.{}", BASE64URL_NOPAD.encode(&sig)))
    }
}

/// Whether OPA hashes a bundle file as a structured document (its
/// `IsStructuredDoc`): `data.json`, `data.yaml`, `.manifest` and
/// `signatures.json` by base name; everything else (`data.yml` included)
/// as bytes.
pub fn is_structured(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    matches!(
        base,
        "data.json" | "data.yaml" | ".manifest" | "signatures.json"
    )
}

/// The lowercase hex SHA-256 OPA's verifier computes for a bundle file.
pub fn file_hash(name: &str, bytes: &[u8]) -> Result<String> {
    if !is_structured(name) {
        return Ok(hex::encode(Sha256::digest(bytes)));
    }
    let value = structured_value(name, bytes)?;
    let mut h = Sha256::new();
    canonical_walk(&value, &mut |b| h.update(b));
    Ok(hex::encode(h.finalize()))
}

/// A structured document as OPA's hasher sees it: objects with their keys
/// (the last of a repeated key wins, as in Go's map), arrays, strings,
/// numbers as their text (Go's `json.Number`), `true`/`false`/`null`.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Obj(BTreeMap<String, Doc>),
    Arr(Vec<Doc>),
    Str(String),
    Num(String),
    Lit(&'static str),
}

/// A structured file as OPA's `util.Unmarshal` reads it: a leading UTF-8
/// BOM dropped; JSON, numbers keeping their text; else YAML, converted to
/// JSON as OPA converts it (integers as integers, other numbers as Go
/// prints a float64).
fn structured_value(name: &str, bytes: &[u8]) -> Result<Doc> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::input(name.to_string(), "not UTF-8 text"))?;
        let mut p = RawJson { s: text, i: 0 };
        return p
            .value()
            .ok_or_else(|| Error::input(name.to_string(), "JSON that could not be walked"));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| Error::input(name.to_string(), "not UTF-8 text"))?;
    let yaml: yaml_serde::Value = yaml_serde::from_str(text)
        .map_err(|e| Error::input(name.to_string(), format!("neither JSON nor YAML: {e}")))?;
    yaml_to_doc(name, &yaml)
}

/// Walks JSON text already checked valid, keeping each number's text
/// (serde_json rewrites exponents: `1E2` becomes `1e+2`, Go keeps `1E2`).
struct RawJson<'a> {
    s: &'a str,
    i: usize,
}

impl RawJson<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn value(&mut self) -> Option<Doc> {
        self.ws();
        Some(match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut map = BTreeMap::new();
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Doc::Obj(map));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.expect(b':')?;
                    let v = self.value()?;
                    map.insert(key, v);
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                Doc::Obj(map)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(Doc::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                Doc::Arr(items)
            }
            b'"' => Doc::Str(self.string()?),
            b't' => self.word("true")?,
            b'f' => self.word("false")?,
            b'n' => self.word("null")?,
            _ => {
                let start = self.i;
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                if start == self.i {
                    return None;
                }
                Doc::Num(self.s[start..self.i].to_string())
            }
        })
    }

    fn word(&mut self, w: &'static str) -> Option<Doc> {
        self.s[self.i..].starts_with(w).then(|| {
            self.i += w.len();
            Doc::Lit(w)
        })
    }

    /// A string token, unescaped.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    break;
                }
                _ => self.i += 1,
            }
        }
        serde_json::from_str(self.s.get(start..self.i)?).ok()
    }
}

fn yaml_to_doc(name: &str, v: &yaml_serde::Value) -> Result<Doc> {
    use yaml_serde::Value as Y;
    Ok(match v {
        Y::Null => Doc::Lit("null"),
        Y::Bool(true) => Doc::Lit("true"),
        Y::Bool(false) => Doc::Lit("false"),
        Y::Number(n) => Doc::Num(if let Some(i) = n.as_i64() {
            i.to_string()
        } else if let Some(u) = n.as_u64() {
            u.to_string()
        } else {
            go_float(n.as_f64().unwrap_or(0.0))
        }),
        Y::String(s) => Doc::Str(s.clone()),
        Y::Sequence(items) => Doc::Arr(
            items
                .iter()
                .map(|i| yaml_to_doc(name, i))
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    Y::Null => "null".to_string(),
                    _ => {
                        return Err(Error::input(
                            name.to_string(),
                            "a mapping key that is not a scalar",
                        ));
                    }
                };
                out.insert(key, yaml_to_doc(name, v)?);
            }
            Doc::Obj(out)
        }
        Y::Tagged(t) => yaml_to_doc(name, &t.value)?,
    })
}

/// A float64 as Go's `encoding/json` prints it: shortest digits, plain
/// between 1e-6 and 1e21, else with an exponent (`1e+21`, `1e-7`).
fn go_float(f: f64) -> String {
    let a = f.abs();
    if a == 0.0 || (1e-6..1e21).contains(&a) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s,
    }
}

/// OPA's canonical form of a structured document, as its signature hasher
/// walks it (`bundle/hash.go`): objects as `{` key `:` value `,`... `}` with
/// keys in byte order, arrays as `[`...`]`, scalars as Go's JSON encoder
/// writes them without HTML escaping.
pub fn canonical_walk(v: &Doc, out: &mut dyn FnMut(&[u8])) {
    match v {
        Doc::Obj(o) => {
            out(b"{");
            for (i, (k, v)) in o.iter().enumerate() {
                if i > 0 {
                    out(b",");
                }
                out(go_string(k).as_bytes());
                out(b":");
                canonical_walk(v, out);
            }
            out(b"}");
        }
        Doc::Arr(a) => {
            out(b"[");
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out(b",");
                }
                canonical_walk(e, out);
            }
            out(b"]");
        }
        Doc::Str(s) => out(go_string(s).as_bytes()),
        Doc::Num(n) => out(n.as_bytes()),
        Doc::Lit(l) => out(l.as_bytes()),
    }
}

/// A string as Go's `json.Encoder` with `SetEscapeHTML(false)` writes it.
fn go_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    crate::json_text::write_go_string(s, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        let v = structured_value("data.json", text.as_bytes()).unwrap();
        let mut out = Vec::new();
        canonical_walk(&v, &mut |b| out.extend_from_slice(b));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_form_is_opas() {
        assert_eq!(
            canonical(
                r#"{ "b": [1, 2.50, 1E2], "a": {"y": null, "x": true}, "<&>": "\u2028\t\u0001" }"#
            ),
            r#"{"<&>":"\u2028\t\u0001","a":{"x":true,"y":null},"b":[1,2.50,1E2]}"#
        );
    }

    #[test]
    fn data_files_hash_by_content_not_layout() {
        let a = file_hash("x/data.json", b"{\"a\": 1, \"b\": [true]}").unwrap();
        let b = file_hash("x/data.json", b"{\n  \"b\": [ true ],\n  \"a\": 1\n}\n").unwrap();
        assert_eq!(a, b);
        assert_ne!(
            a,
            file_hash("x/data.json", b"{\"a\": 2, \"b\": [true]}").unwrap()
        );
        // A module, and data.yml, are hashed as bytes.
        assert_eq!(
            file_hash("p.rego", b"package p\n").unwrap(),
            hex::encode(Sha256::digest(b"package p\n"))
        );
        assert_eq!(
            file_hash("data.yml", b"a: 1\n").unwrap(),
            hex::encode(Sha256::digest(b"a: 1\n"))
        );
        // YAML data as OPA converts it to JSON.
        assert_eq!(
            file_hash("data.yaml", b"b: 1.5\na: [1, x]\n").unwrap(),
            file_hash("data.json", br#"{"a":[1,"x"],"b":1.5}"#).unwrap()
        );
    }

    #[test]
    fn go_prints_floats_so() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1e-7), "1e-7");
        assert_eq!(go_float(0.000001), "0.000001");
    }

    #[test]
    fn keys_are_read_or_refused_with_the_file_named() {
        let e = SigningKey::from_pem("k.pem", "hello")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("k.pem: not a PEM file"), "{e}");
        let e = SigningKey::from_pem(
            "k.pem",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not a private key"), "{e}");
        let e = SigningKey::from_pem(
            "k.pem",
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("P-256"), "{e}");
    }
}
