//! YAML as conftest's `parser/yaml` reads it: `sigs.k8s.io/yaml` (go-yaml
//! v2's YAML 1.1 reading, converted to JSON and unmarshalled into `any`).
//!
//! - The text is cut into documents where a line is exactly `---` (CRLF
//!   files on `\r\n---\r\n`); more than one gives an array of documents.
//!   Each part is read as one document (go-yaml reads the first document of
//!   a text and ignores the rest).
//! - Plain scalars resolve as go-yaml v2's `resolve`: `y`/`yes`/`on`/`true`
//!   (any of its spellings) are `true`, `n`/`no`/`off`/`false` are `false`,
//!   `~`/`null`/empty are null, integers in Go's base-prefix forms (`0x1F`,
//!   `0o17`, `017` octal, `0b101`) with `_` ignored, YAML floats, `.inf` and
//!   `.nan`; timestamps stay strings. A quoted scalar is a string; a custom
//!   tag (`!Ref x`) leaves the scalar a string.
//! - Keys become strings as `sigs.k8s.io/yaml` writes them (`true`, `1`,
//!   `1.5`); a null key is an error. `<<` merges maps as go-yaml v2 does
//!   (merged keys override keys written before the `<<`).
//! - Numbers are Go's `float64` (see [`super::go_float`]); a NaN or an
//!   infinity is an error, as Go's JSON encoder refuses them.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

use super::go_float;

/// Nodes a document may build, aliases expanded (go-yaml refuses
/// "excessive aliasing" too).
const MAX_NODES: usize = 5_000_000;

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let data = super::text(bytes);
    let documents = separate(&data);
    if documents.len() > 1 {
        let mut out = Vec::with_capacity(documents.len());
        for d in documents {
            out.push(first_document(&d).map_err(|e| {
                format!("unmarshal multiple documents: unmarshal subdocument yaml: {e}")
            })?);
        }
        return Ok(Value::Array(out));
    }
    first_document(&data).map_err(|e| format!("unmarshal yaml: {e}"))
}

/// conftest's `separateSubDocuments`.
fn separate(data: &str) -> Vec<String> {
    let lb = if data.contains("\r\n") { "\r\n" } else { "\n" };
    let sep = format!("{lb}---{lb}");
    let parts: Vec<&str> = data.split(sep.as_str()).collect();
    if data.starts_with('%') {
        if parts.len() <= 2 {
            return vec![data.to_string()];
        }
        let mut out = vec![format!("{}{sep}{}", parts[0], parts[1])];
        out.extend(parts[2..].iter().map(|p| p.to_string()));
        return out;
    }
    if parts.len() <= 1 {
        return vec![data.to_string()];
    }
    parts.into_iter().map(str::to_string).collect()
}

/// A YAML node as go-yaml v2 decodes it into `interface{}`.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in order; a `<<` key is `Merge`.
    Map(Vec<(Node, Node)>),
    Merge,
}

impl Node {
    fn size(&self) -> usize {
        match self {
            Node::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Node::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
            _ => 1,
        }
    }
}

enum Open {
    Seq(usize, Vec<Node>),
    Map(usize, Vec<(Node, Node)>, Option<Node>),
}

/// The first document of a text, as JSON.
fn first_document(text: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut built = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| e.to_string())?;
        let line = mark.line();
        let node = match event {
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart => continue,
            Event::SequenceStart(anchor, _) => {
                stack.push(Open::Seq(anchor, Vec::new()));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Open::Map(anchor, Vec::new(), None));
                continue;
            }
            Event::SequenceEnd => {
                let Some(Open::Seq(anchor, items)) = stack.pop() else {
                    return Err(format!("line {line}: unbalanced sequence"));
                };
                let node = Node::Seq(items);
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::MappingEnd => {
                let Some(Open::Map(anchor, entries, _)) = stack.pop() else {
                    return Err(format!("line {line}: unbalanced mapping"));
                };
                let node = Node::Map(entries);
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar(&value, style, tag.as_ref())
                    .map_err(|e| format!("line {}: {e}", line))?;
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::Alias(id) => {
                let node = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("line {line}: unknown anchor referenced"))?;
                built += node.size();
                if built > MAX_NODES {
                    return Err("document contains excessive aliasing".to_string());
                }
                node
            }
        };
        built += 1;
        match stack.last_mut() {
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
            None => root = Some(node),
        }
    }
    match root {
        None => Ok(Value::Null),
        Some(node) => to_json(node),
    }
}

const BOOLS: &[(&str, bool)] = &[
    ("y", true),
    ("Y", true),
    ("yes", true),
    ("Yes", true),
    ("YES", true),
    ("true", true),
    ("True", true),
    ("TRUE", true),
    ("on", true),
    ("On", true),
    ("ON", true),
    ("n", false),
    ("N", false),
    ("no", false),
    ("No", false),
    ("NO", false),
    ("false", false),
    ("False", false),
    ("FALSE", false),
    ("off", false),
    ("Off", false),
    ("OFF", false),
];

/// The tag of a scalar, as go-yaml's short form (`!!int`), if any.
fn short_tag(tag: Option<&Tag>) -> Option<String> {
    let t = tag?;
    Some(match t.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", t.suffix),
        h if h.starts_with("tag:yaml.org,2002:") => {
            format!("!!{}{}", &h["tag:yaml.org,2002:".len()..], t.suffix)
        }
        h => format!("{h}{}", t.suffix),
    })
}

fn scalar(value: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Node, String> {
    let tag = short_tag(tag);
    match tag.as_deref() {
        None if style != TScalarStyle::Plain => Ok(Node::Str(value.to_string())),
        None => Ok(resolve_plain(value)),
        Some("!!str" | "!!timestamp" | "!!binary") => Ok(Node::Str(value.to_string())),
        Some(t @ ("!!int" | "!!float" | "!!bool" | "!!null")) => {
            let resolved = resolve_plain(value);
            let kind = match &resolved {
                Node::Null => "!!null",
                Node::Bool(_) => "!!bool",
                Node::Int(_) | Node::Uint(_) => "!!int",
                Node::Float(_) => "!!float",
                _ => "!!str",
            };
            match (t, resolved) {
                ("!!float", Node::Int(i)) => Ok(Node::Float(i as f64)),
                ("!!float", Node::Uint(u)) => Ok(Node::Float(u as f64)),
                (_, r) if kind == t => Ok(r),
                _ => Err(format!("cannot decode {kind} `{value}` as a {t}")),
            }
        }
        // A tag go-yaml does not resolve leaves the text a string.
        Some(_) => Ok(Node::Str(value.to_string())),
    }
}

/// go-yaml v2's `resolve` of an untagged plain scalar.
fn resolve_plain(s: &str) -> Node {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        ".nan" | ".NaN" | ".NAN" => return Node::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Node::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Node::Float(f64::NEG_INFINITY),
        "<<" => return Node::Merge,
        _ => {}
    }
    if let Some((_, b)) = BOOLS.iter().find(|(w, _)| *w == s) {
        return Node::Bool(*b);
    }
    match s.as_bytes()[0] {
        b'.' => match go_parse_float(s) {
            Some(f) => Node::Float(f),
            None => Node::Str(s.to_string()),
        },
        b'0'..=b'9' | b'+' | b'-' => {
            let plain = s.replace('_', "");
            if let Some(i) = go_parse_int(&plain) {
                return Node::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Node::Uint(u);
            }
            if yaml_style_float(&plain)
                && let Some(f) = go_parse_float(&plain)
            {
                return Node::Float(f);
            }
            if let Some(bits) = plain.strip_prefix("0b")
                && let Ok(i) = i64::from_str_radix(bits, 2)
            {
                return Node::Int(i);
            }
            if let Some(bits) = plain.strip_prefix("-0b")
                && let Ok(i) = i64::from_str_radix(&format!("-{bits}"), 2)
            {
                return Node::Int(i);
            }
            Node::Str(s.to_string())
        }
        _ => Node::Str(s.to_string()),
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exp_ok
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text (what the YAML
/// callers give it).
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse().ok();
    }
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || b"eE.+-".contains(&b))
    {
        return None;
    }
    s.parse().ok()
}

/// The digits and base of a Go base-0 integer (after its sign).
fn base_prefixed(s: &str) -> (&str, u32) {
    if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (r, 8)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (r, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign).
fn go_parse_uint(s: &str) -> Option<u64> {
    let (digits, base) = base_prefixed(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    u64::from_str_radix(digits, base).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest)?;
    if negative {
        if u <= i64::MAX as u64 + 1 {
            Some((u as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// A number as it leaves Go's JSON encoder and comes back as `float64`.
fn number(f: f64) -> Result<Value, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            }
        ));
    }
    Ok(go_float(f))
}

fn to_json(node: Node) -> Result<Value, String> {
    Ok(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => number(i as f64)?,
        Node::Uint(u) => number(u as f64)?,
        Node::Float(f) => number(f)?,
        Node::Str(s) => Value::String(s),
        Node::Merge => Value::String("<<".to_string()),
        Node::Seq(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Node::Map(entries) => {
            let mut out = Map::new();
            merge_into(entries, &mut out)?;
            Value::Object(out)
        }
    })
}

/// A mapping's entries in order into `out`, `<<` merging as go-yaml v2.
fn merge_into(entries: Vec<(Node, Node)>, out: &mut Map<String, Value>) -> Result<(), String> {
    for (key, value) in entries {
        if let Node::Merge = key {
            match value {
                Node::Map(inner) => merge_into(inner, out)?,
                Node::Seq(maps) => {
                    // Each map of the list, the last first: the first wins.
                    for m in maps.into_iter().rev() {
                        let Node::Map(inner) = m else {
                            return Err("map merge requires map or sequence of maps as the value"
                                .to_string());
                        };
                        merge_into(inner, out)?;
                    }
                }
                _ => {
                    return Err(
                        "map merge requires map or sequence of maps as the value".to_string()
                    );
                }
            }
            continue;
        }
        let key = key_string(key)?;
        out.insert(key, to_json(value)?);
    }
    Ok(())
}

/// A key as `sigs.k8s.io/yaml` makes it a JSON object's key.
fn key_string(key: Node) -> Result<String, String> {
    Ok(match key {
        Node::Str(s) => s,
        Node::Merge => "<<".to_string(),
        Node::Int(i) => i.to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Float(f) => {
            if f.is_nan() {
                ".nan".to_string()
            } else if f.is_infinite() {
                if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
            } else {
                go_format_g32(f)
            }
        }
        Node::Null => {
            return Err("error converting YAML to JSON: unsupported map key of type: <nil>".into());
        }
        Node::Uint(u) => {
            return Err(format!(
                "error converting YAML to JSON: unsupported map key of type: uint64, key: {u}"
            ));
        }
        Node::Seq(_) | Node::Map(_) => {
            return Err("error converting YAML to JSON: invalid map key".to_string());
        }
    })
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that
/// read back as the same `float32`, in exponent form when the exponent is
/// below -4 or from 6 on (Go's rule for the shortest precision).
fn go_format_g32(f: f64) -> String {
    let x = f as f32;
    // Rust's `{:e}` of an f32 is its shortest round-trip digits.
    let e = format!("{x:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let eprec = 6;
    let sign = if negative { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    } else {
        format!("{sign}{}", format_plain(&digits, exp))
    }
}

/// Digits `d1d2...` with the decimal point after exponent `exp`.
fn format_plain(digits: &str, exp: i32) -> String {
    let n = digits.len() as i32;
    if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else if exp + 1 >= n {
        format!("{digits}{}", "0".repeat((exp + 1 - n) as usize))
    } else {
        let (a, b) = digits.split_at((exp + 1) as usize);
        format!("{a}.{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(s: &str) -> Value {
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("{e}: {s}"))
    }

    /// conftest's `parser/yaml/yaml_test.go` cases.
    #[test]
    fn conftests_yaml_tests() {
        assert_eq!(yaml(""), Value::Null);
        assert_eq!(yaml("sample: true"), json!({"sample": true}));
        let three = json!([{"sample": true}, {"hello": true}, {"nice": true}]);
        assert_eq!(
            yaml("---\nsample: true\n---\nhello: true\n---\nnice: true"),
            three
        );
        assert_eq!(
            yaml("---\r\nsample: true\r\n---\r\nhello: true\r\n---\r\nnice: true"),
            three
        );
        let err =
            parse(b"---\nvalid: true\n---\ninvalid:\n  - not closed\n[\n---\nalso_valid: true")
                .unwrap_err();
        assert!(err.starts_with("unmarshal multiple documents"), "{err}");
        assert_eq!(
            yaml("%YAML 1.1\n---\ngroup_id: 1234"),
            json!({"group_id": 1234})
        );
        assert_eq!(
            yaml("%YAML 1.1\n---\ngroup_id: 1234\n---\nother_id: 5678\n---\nthird_id: 9012"),
            json!([{"group_id": 1234}, {"other_id": 5678}, {"third_id": 9012}])
        );
    }

    /// go-yaml v2's YAML 1.1 scalars, as `sigs.k8s.io/yaml` gives them.
    #[test]
    fn yaml_1_1_scalars() {
        let got = yaml(
            "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: ~\ng: 0777\nh: 0x1F\ni: 1_000\nj: 0b101\nk: 1e3\nl: .5\nm: 2001-12-14\nnn: 'yes'\no: \"12\"\np: !!str 12\nq: !Ref web\nr: 08\ns: +12\nt: 12:30\n",
        );
        assert_eq!(
            got,
            json!({
                "a": true, "b": false, "c": true, "d": false, "e": true, "f": null,
                "g": 511, "h": 31, "i": 1000, "j": 5, "k": 1000, "l": 0.5,
                "m": "2001-12-14", "nn": "yes", "o": "12", "p": "12", "q": "web",
                "r": 8, "s": 12, "t": "12:30"
            })
        );
    }

    /// GitHub Actions' `on:` is the key `true` under YAML 1.1, as conftest
    /// policies for workflows find it.
    #[test]
    fn keys_become_strings() {
        assert_eq!(
            yaml("on: push\n1: one\n1.5: x\nno: n\n"),
            json!({"true": "push", "1": "one", "1.5": "x", "false": false})
        );
        assert!(parse(b"~: x\n").is_err());
    }

    #[test]
    fn anchors_aliases_and_merges() {
        let got = yaml(
            "base: &b {x: 1, w: 2}\nlist: &l [1, 2]\nuse: *l\nmerged:\n  w: 9\n  <<: *b\n  z: 3\nmulti:\n  <<: [{p: 1}, {p: 2, q: 2}]\n",
        );
        assert_eq!(got["use"], json!([1, 2]));
        // Merged keys override those written before the `<<`.
        assert_eq!(got["merged"], json!({"x": 1, "w": 2, "z": 3}));
        assert_eq!(got["multi"], json!({"p": 1, "q": 2}));
    }

    /// conftest splits only on a line that is exactly `---`; a text read
    /// whole gives its first document.
    #[test]
    fn documents_as_conftest_cuts_them() {
        assert_eq!(yaml("a: 1\n---\n"), json!([{"a": 1}, null]));
        assert_eq!(yaml("a: 1\n--- # c\nb: 2\n"), json!({"a": 1}));
        assert_eq!(yaml("- 1\n- 2\n"), json!([1, 2]));
    }

    #[test]
    fn numbers_are_float64() {
        assert_eq!(
            yaml("a: 9007199254740993"),
            json!({"a": 9007199254740992i64})
        );
        assert_eq!(yaml("a: 1.0"), json!({"a": 1}));
        assert!(
            parse(b"a: .nan")
                .unwrap_err()
                .contains("unsupported value: NaN")
        );
    }

    #[test]
    fn float_keys_as_go_writes_them() {
        assert_eq!(go_format_g32(1.5), "1.5");
        assert_eq!(go_format_g32(0.1), "0.1");
        assert_eq!(go_format_g32(1e6), "1e+06");
        assert_eq!(go_format_g32(100000.0), "100000");
        assert_eq!(go_format_g32(0.0001), "0.0001");
        assert_eq!(go_format_g32(0.00001), "1e-05");
        assert_eq!(go_format_g32(-2.25), "-2.25");
    }
}
