//! OPA builtins regorus 0.14.1 lacks, registered as Gavel extensions:
//! `array.flatten`, `crypto.md5`, `crypto.sha1`, `crypto.sha256`,
//! `crypto.hmac.md5` / `sha1` / `sha256` / `sha512`, `crypto.hmac.equal`.
//! Each answers as OPA's (`v1/topdown/array.go`, `crypto.go`): digests as
//! lowercase hex of the string's UTF-8 bytes; a wrong operand type is an
//! error naming the operand, as OPA's type errors do.

use hmac::{Hmac, KeyInit, Mac};
use regorus::{Engine, Value};
use sha2::Digest;

use crate::error::{Error, Result};

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[
    ("array.flatten", 1),
    ("crypto.md5", 1),
    ("crypto.sha1", 1),
    ("crypto.sha256", 1),
    ("crypto.hmac.md5", 2),
    ("crypto.hmac.sha1", 2),
    ("crypto.hmac.sha256", 2),
    ("crypto.hmac.sha512", 2),
    ("crypto.hmac.equal", 2),
];

pub fn install(engine: &mut Engine) -> Result<()> {
    for &(name, n) in BUILTINS {
        engine
            .add_extension(
                name.to_string(),
                n,
                Box::new(move |args: Vec<Value>| call(name, &args)),
            )
            .map_err(|e| Error::Engine(format!("registering {name}: {e}")))?;
    }
    Ok(())
}

fn string_operand<'a>(name: &str, args: &'a [Value], i: usize) -> anyhow::Result<&'a str> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_ref()),
        Some(other) => anyhow::bail!(
            "{name}: operand {} must be string but got {}",
            i + 1,
            type_name(other)
        ),
        None => anyhow::bail!("{name}: operand {} missing", i + 1),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Set(_) => "set",
        Value::Object(_) => "object",
        _ => "undefined",
    }
}

fn hmac_hex<M: Mac + KeyInit>(key: &str, message: &str) -> anyhow::Result<String> {
    let mut mac = <M as KeyInit>::new_from_slice(key.as_bytes())
        .map_err(|e| anyhow::anyhow!("invalid key: {e}"))?;
    mac.update(message.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    let hex_of = |bytes: &[u8]| Value::from(hex::encode(bytes));
    Ok(match name {
        "array.flatten" => {
            let Some(Value::Array(items)) = args.first() else {
                anyhow::bail!(
                    "{name}: operand 1 must be array but got {}",
                    args.first().map_or("undefined", type_name)
                );
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item {
                    Value::Array(inner) => out.extend(inner.iter().cloned()),
                    other => out.push(other.clone()),
                }
            }
            Value::from(out)
        }
        "crypto.md5" => hex_of(&md5::Md5::digest(string_operand(name, args, 0)?.as_bytes())),
        "crypto.sha1" => hex_of(&sha1::Sha1::digest(
            string_operand(name, args, 0)?.as_bytes(),
        )),
        "crypto.sha256" => hex_of(&sha2::Sha256::digest(
            string_operand(name, args, 0)?.as_bytes(),
        )),
        "crypto.hmac.md5" | "crypto.hmac.sha1" | "crypto.hmac.sha256" | "crypto.hmac.sha512" => {
            let message = string_operand(name, args, 0)?;
            let key = string_operand(name, args, 1)?;
            Value::from(match name {
                "crypto.hmac.md5" => hmac_hex::<Hmac<md5::Md5>>(key, message)?,
                "crypto.hmac.sha1" => hmac_hex::<Hmac<sha1::Sha1>>(key, message)?,
                "crypto.hmac.sha256" => hmac_hex::<Hmac<sha2::Sha256>>(key, message)?,
                _ => hmac_hex::<Hmac<sha2::Sha512>>(key, message)?,
            })
        }
        "crypto.hmac.equal" => {
            let (a, b) = (
                string_operand(name, args, 0)?,
                string_operand(name, args, 1)?,
            );
            // Constant time in the length, as Go's hmac.Equal.
            let same = a.len() == b.len()
                && a.bytes()
                    .zip(b.bytes())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0;
            Value::from(same)
        }
        _ => anyhow::bail!("{name}: not a Gavel builtin"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    /// Values from OPA's own cases and Go's crypto packages.
    #[test]
    fn answers_as_opa() {
        assert_eq!(
            call("crypto.hmac.md5", &[s("foo"), s("bar")]).unwrap(),
            s("31b6db9e5eb4addb42f1a6ca07367adc")
        );
        assert_eq!(
            call("crypto.md5", &[s("lorem ipsum")]).unwrap(),
            s("80a751fde577028640c419000e33eba6")
        );
        assert_eq!(
            call("crypto.sha256", &[s("")]).unwrap(),
            s("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(
            call("crypto.hmac.equal", &[s("ab"), s("ab")]).unwrap(),
            Value::from(true)
        );
        let nested = Value::from_json_str(r#"[[1, 2], "s", [[3]], 4]"#).unwrap();
        assert_eq!(
            call("array.flatten", &[nested]).unwrap(),
            Value::from_json_str(r#"[1, 2, "s", [3], 4]"#).unwrap()
        );
        let err = call("array.flatten", &[s("x")]).unwrap_err().to_string();
        assert_eq!(err, "array.flatten: operand 1 must be array but got string");
    }
}
