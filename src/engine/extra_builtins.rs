//! OPA builtins regorus 0.14.1 lacks, registered as Gavel extensions:
//! `array.flatten`, `crypto.md5`, `crypto.sha1`, `crypto.sha256`,
//! `crypto.hmac.md5` / `sha1` / `sha256` / `sha512`, `crypto.hmac.equal`,
//! `net.cidr_intersects`, `net.cidr_merge`; and two regorus answers
//! differently, so Gavel's take precedence: `object.subset` (regorus panics
//! on an empty array and recurses where OPA compares) and `strings.count`
//! (regorus counts overlapping matches and panics on an empty one), and
//! `json.unmarshal` / `to_number`, which read numbers exactly and refuse
//! one too large to expand (regorus would take minutes over `1e999999999`).
//! Each
//! answers as OPA's (`v1/topdown/array.go`, `crypto.go`, `cidr.go`,
//! `subset.go`, `strings.go`): digests as lowercase
//! hex of the string's UTF-8 bytes; a wrong operand type is an error naming
//! the operand, as OPA's type errors do.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    ("net.cidr_intersects", 2),
    ("net.cidr_merge", 1),
    ("object.subset", 2),
    ("strings.count", 2),
    ("json.unmarshal", 1),
    ("to_number", 1),
];

/// How a table of builtins is answered: the builtin's name and arguments.
pub type Answer = fn(&str, &[Value]) -> anyhow::Result<Value>;

/// Every table of builtins Gavel registers over regorus, with the function
/// that answers it (an extension takes precedence over regorus's builtin
/// of the same name). The arities and the README's table read these too.
pub const EXTENSIONS: &[(&[(&str, u8)], Answer)] = &[
    (BUILTINS, call),
    (super::nd_cache::BUILTINS, super::nd_cache::answer),
    (super::regex_builtins::BUILTINS, super::regex_builtins::call),
    (super::text_builtins::BUILTINS, super::text_builtins::call),
    (super::jwt_builtins::BUILTINS, super::jwt_builtins::call),
    (
        super::graphql_builtins::BUILTINS,
        super::graphql_builtins::call,
    ),
    (
        super::net_string_builtins::BUILTINS,
        super::net_string_builtins::call,
    ),
    (super::x509_builtins::BUILTINS, super::x509_builtins::call),
    (super::aws_sign::BUILTINS, super::aws_sign::call),
    (
        super::schema_builtins::BUILTINS,
        super::schema_builtins::call,
    ),
    (
        super::conftest_builtins::BUILTINS,
        super::conftest_builtins::call,
    ),
];

/// Registers every table of `EXTENSIONS` on an engine. `strict`: whether
/// a builtin's error is the evaluation's error; when it is not, the call
/// is undefined, as OPA's non-strict evaluation has it (regorus passes an
/// extension's error up either way).
pub fn install(engine: &mut Engine, strict: &Arc<AtomicBool>) -> Result<()> {
    for &(table, answer) in EXTENSIONS {
        for &(name, n) in table {
            let strict = Arc::clone(strict);
            engine
                .add_extension(
                    name.to_string(),
                    n,
                    Box::new(move |args: Vec<Value>| {
                        // A panic in Gavel's own code is this call's error,
                        // naming the builtin, not the end of the run.
                        let answered = crate::panics::quietly(|| answer(name, &args))
                            .unwrap_or_else(|payload| {
                                Err(anyhow::anyhow!(
                                    "{name}: internal error: {}",
                                    crate::panics::message(payload.as_ref())
                                ))
                            });
                        match answered {
                            Err(e) if strict.load(Ordering::Relaxed) => Err(with_code(e)),
                            Err(_) => Ok(Value::Undefined),
                            ok => ok,
                        }
                    }),
                )
                .map_err(|e| Error::Engine(format!("registering {name}: {e}")))?;
        }
    }
    Ok(())
}

/// The arity of a builtin Gavel registers (v0's deprecated ones included).
pub fn gavel_arity(name: &str) -> Option<u8> {
    EXTENSIONS
        .iter()
        .flat_map(|(table, _)| table.iter())
        .chain(super::builtins::GAVEL_BUILTINS)
        .chain(super::net_string_builtins::V0_BUILTINS)
        .find(|(n, _)| *n == name)
        .map(|(_, n)| *n)
}

/// An error as OPA words it: its code first (`eval_type_error` for an
/// operand of the wrong type, `eval_builtin_error` otherwise).
pub(crate) fn with_code(e: anyhow::Error) -> anyhow::Error {
    let text = e.to_string();
    // OPA's operand type errors read `operand N must be ...`; `operand N:
    // element must be ...` (net.cidr_contains_matches) is a builtin error.
    let type_error = text.match_indices(": operand ").any(|(i, m)| {
        let rest = &text[i + m.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && rest[digits..].starts_with(" must be ")
    });
    let code = if type_error {
        "eval_type_error"
    } else {
        "eval_builtin_error"
    };
    anyhow::anyhow!("{code}: {text}")
}

pub(crate) fn string_operand<'a>(
    name: &str,
    args: &'a [Value],
    i: usize,
) -> anyhow::Result<&'a str> {
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

pub(crate) fn type_name(v: &Value) -> &'static str {
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

pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
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
        "net.cidr_intersects" => {
            let parse = |i: usize| -> anyhow::Result<ipnet::IpNet> {
                let s = string_operand(name, args, i)?;
                parse_cidr(s).ok_or_else(|| anyhow::anyhow!("{name}: invalid CIDR address: {s}"))
            };
            let (a, b) = (parse(0)?, parse(1)?);
            Value::from(a.contains(&b.network()) || b.contains(&a.network()))
        }
        "net.cidr_merge" => cidr_merge(name, args.first())?,
        "object.subset" => Value::from(
            match (args.first(), args.get(1)) {
                (Some(sup), Some(sub)) => subset(sup, sub),
                _ => None,
            }
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{name}: both arguments object.subset must be of the same type or array and set"
                )
            })?,
        ),
        // Numbers are read exactly (json_text.rs), and one whose value has
        // more digits than Gavel reads anywhere is refused before regorus
        // expands it (`"1e999999999"` would take minutes).
        "json.unmarshal" => {
            let text = string_operand(name, args, 0)?;
            let json = crate::json_text::parse(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            super::convert::to_rego(&json)
        }
        "to_number" => match args.first() {
            Some(Value::Null) => Value::from(0u64),
            Some(Value::Bool(b)) => Value::from(u64::from(*b)),
            Some(n @ Value::Number(_)) => n.clone(),
            // OPA reads the string as a JSON number.
            Some(Value::String(s)) => match crate::json_text::parse(s) {
                Ok(json @ serde_json::Value::Number(_)) => super::convert::to_rego(&json),
                _ => anyhow::bail!("{name}: could not parse string as number"),
            },
            other => anyhow::bail!(
                "{name}: operand 1 must be one of {{boolean, null, number, string}} but got {}",
                other.map_or("undefined", type_name)
            ),
        },
        "strings.count" => {
            let (search, sub) = (
                string_operand(name, args, 0)?,
                string_operand(name, args, 1)?,
            );
            // Go's strings.Count: non-overlapping; an empty one matches
            // before each character and at the end.
            Value::from(if sub.is_empty() {
                search.chars().count() + 1
            } else {
                search.matches(sub).count()
            })
        }
        _ => anyhow::bail!("{name}: not a Gavel builtin"),
    })
}

/// OPA's `object.subset` (`subset.go`): `None` when the operands are not
/// two objects, two sets, two arrays, or an array and a set.
fn subset(sup: &Value, sub: &Value) -> Option<bool> {
    Some(match (sup, sub) {
        (Value::Object(sup), Value::Object(sub)) => sub.iter().all(|(k, v)| {
            sup.get(k).is_some_and(|s| {
                // Equal values, or a nested object, set or array subset;
                // an array against a set is not one here (OPA's objectSubset).
                s == v
                    || (!matches!((s, v), (Value::Array(_), Value::Set(_)))
                        && subset(s, v) == Some(true))
            })
        }),
        (Value::Set(sup), Value::Set(sub)) => sub.iter().all(|v| sup.contains(v)),
        (Value::Array(sup), Value::Array(sub)) => {
            sub.is_empty()
                || sup
                    .as_slice()
                    .windows(sub.len())
                    .any(|w| w == sub.as_slice())
        }
        // OPA counts each element of the array found in the set, duplicates
        // included, and stops at zero: an empty array never matches.
        (Value::Array(sup), Value::Set(sub)) => {
            let mut unmatched = sub.len();
            sup.iter().any(|v| {
                if sub.contains(v) {
                    unmatched = unmatched.saturating_sub(1);
                }
                unmatched == 0
            })
        }
        _ => return None,
    })
}

/// A network as Go's `net.ParseCIDR` reads it (OPA's reading), its address
/// masked: the address as `netip.ParseAddr` reads it (no leading zeros in
/// an IPv4 octet, no zone), a decimal prefix length (leading zeros read).
/// An IPv4-mapped IPv6 address makes an IPv6 network.
pub(crate) fn parse_cidr(s: &str) -> Option<ipnet::IpNet> {
    let (bytes, is4, prefix) = super::net_string_builtins::parse_cidr_parts(s)?;
    let prefix = u8::try_from(prefix).ok()?;
    let net = if is4 {
        let [.., a, b, c, d] = bytes;
        ipnet::IpNet::V4(ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(a, b, c, d), prefix).ok()?)
    } else {
        ipnet::IpNet::V6(ipnet::Ipv6Net::new(std::net::Ipv6Addr::from(bytes), prefix).ok()?)
    };
    Some(net.trunc())
}

/// OPA's `net.cidr_merge`: the smallest set of networks covering the
/// given addresses and networks. A bare IPv4 address takes Go's classful
/// default mask (`DefaultMask`: /8, /16 or /24); a bare IPv6 address is an
/// error. Each family is merged on its own.
fn cidr_merge(name: &str, arg: Option<&Value>) -> anyhow::Result<Value> {
    let items: Vec<&Value> = match arg {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Set(items)) => items.iter().collect(),
        other => anyhow::bail!(
            "{name}: operand 1 must be one of {{array, set}} but got {}",
            other.map_or("undefined", type_name)
        ),
    };
    let mut nets = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(s) = item else {
            anyhow::bail!("{name}: element must be string");
        };
        let s: &str = s.as_ref();
        let ip = super::net_string_builtins::parse_ip(s).map(|b| {
            std::net::Ipv6Addr::from(b)
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(b.into()), std::net::IpAddr::V4)
        });
        let net = match ip.ok_or(()) {
            Ok(std::net::IpAddr::V4(ip)) => {
                let prefix = match ip.octets()[0] {
                    0..0x80 => 8,
                    0x80..0xC0 => 16,
                    _ => 24,
                };
                ipnet::IpNet::V4(ipnet::Ipv4Net::new(ip, prefix)?.trunc())
            }
            Ok(std::net::IpAddr::V6(_)) => {
                anyhow::bail!("{name}: IPv6 invalid: needs prefix length")
            }
            Err(()) => {
                parse_cidr(s).ok_or_else(|| anyhow::anyhow!("{name}: invalid CIDR address: {s}"))?
            }
        };
        nets.push(net);
    }
    Ok(Value::from(
        ipnet::IpNet::aggregate(&nets)
            .into_iter()
            .map(|n| Value::from(n.to_string()))
            .collect::<std::collections::BTreeSet<Value>>(),
    ))
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
        let merged = call(
            "net.cidr_merge",
            &[Value::from_json_str(
                r#"["192.0.128.0/24", "192.0.129.0/24", "192.0.2.112", "fe80::/120"]"#,
            )
            .unwrap()],
        )
        .unwrap();
        assert_eq!(
            merged,
            Value::from_json_str(r#"["192.0.128.0/23", "192.0.2.0/24", "fe80::/120"]"#)
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .cloned()
                .collect::<std::collections::BTreeSet<Value>>()
                .into()
        );
        assert_eq!(
            call(
                "net.cidr_intersects",
                &[s("192.168.1.0/25"), s("192.168.1.64/25")]
            )
            .unwrap(),
            Value::from(true)
        );
        let v = |j: &str| Value::from_json_str(j).unwrap();
        let subset_of = |a: &str, b: &str| call("object.subset", &[v(a), v(b)]).unwrap();
        assert_eq!(subset_of("[1, 2]", "[]"), Value::from(true));
        assert_eq!(subset_of("[1, 2, 3]", "[2, 3]"), Value::from(true));
        assert_eq!(subset_of("[1, 2, 3]", "[1, 3]"), Value::from(false));
        assert_eq!(
            subset_of(r#"{"a": {"b": [1, 2], "c": 3}}"#, r#"{"a": {"b": [2]}}"#),
            Value::from(true)
        );
        assert_eq!(
            call("strings.count", &[s("aaaa"), s("aa")]).unwrap(),
            Value::from(2)
        );
        assert_eq!(
            call("strings.count", &[s("héé"), s("")]).unwrap(),
            Value::from(4)
        );
        // A number too large to expand is refused at once, not computed.
        assert!(call("json.unmarshal", &[s("[1e999999999]")]).is_err());
        assert!(call("to_number", &[s("1e999999999")]).is_err());
        assert_eq!(
            call("json.unmarshal", &[s(r#"{"n": 1e400}"#)]).unwrap(),
            v(r#"{"n": 1e400}"#)
        );
        let err = call("array.flatten", &[s("x")]).unwrap_err().to_string();
        assert_eq!(err, "array.flatten: operand 1 must be array but got string");
    }
}
