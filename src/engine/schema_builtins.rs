//! `json.match_schema` and `json.verify_schema` as OPA 1.20 answers them.
//! regorus has both, but answers a match `[true, null]` and a mismatch
//! `[false, "<its own message>"]`, where OPA answers `[true, []]` and
//! `[false, [{"desc", "error", "field", "type"}, ...]]` in the words,
//! order and field naming of the JSON Schema validator it embeds (OPA's
//! fork of gojsonschema, `internal/gojsonschema`). Gavel's take precedence
//! (extra_builtins.rs) and the VM uses them too (vm_builtins.rs).
//!
//! The validator here walks a schema as gojsonschema walks it, because the
//! answer is its list of errors, not only a verdict: which errors, in which
//! order, under which field, and the scores by which it picks the branch of
//! an `anyOf` / `oneOf` / `contains` whose errors it reports. A general
//! validator (the `jsonschema` crate regorus uses) agrees on most verdicts
//! but not on these, nor on the schemas it refuses, so it is not used.
//! What follows gojsonschema where a standard validator would not:
//!
//! - drafts 4, 6 and 7, detected from `$schema`; without one, gojsonschema's
//!   "hybrid" draft: `id` or `$id`, `exclusiveMinimum` boolean or number,
//!   boolean schemas, `const`, `contains`, `propertyNames`, `if`/`then`/
//!   `else` all read. The schema itself is not checked against the draft's
//!   meta-schema (OPA does not ask for it), only read keyword by keyword;
//!   a keyword of the wrong shape is the error, in gojsonschema's words;
//! - a `$ref` replaces its schema: the keywords beside it are not applied;
//! - `enum`, `const` and `uniqueItems` compare values as JSON text after a
//!   round trip through float64 (1 and 1.0 are equal, 2^53 + 1 is 2^53);
//! - `format`: `date-time` also takes a bare date or time, `email` is Go's
//!   `net/mail` address (a display name and angle brackets allowed), `ipv4`
//!   is any IP with a dot (`::ffff:1.2.3.4` too), `uri` is what Go's
//!   `url.Parse` takes with a scheme; unknown formats pass;
//! - `pattern` and `patternProperties` are Go regular expressions (RE2).
//!
//! Where Go's answer depends on its map order (the order of errors from
//! sibling properties, `dependencies` or `patternProperties`; which of two
//! invalid subschemas under `properties` or `definitions` is reported),
//! OPA's answer varies from run to run; Gavel's follows the keys' sorted
//! order.
//!
//! `$ref`: references inside the schema (`#/definitions/x`, `#`, `$id`s)
//! and the draft-04/06/07 meta-schemas, which gojsonschema carries with it.
//! OPA fetches any other `http(s)` reference and reads `file://` ones;
//! Gavel does neither (its evaluation has no network or file access):
//! such a reference is an error, `remote reference loading disabled: <ref>`
//! (OPA's own words where its capabilities forbid the host).
//!
//! A schema that refers to itself without consuming the document
//! (`{"$ref": "#"}` alone, or through `allOf`) makes OPA recurse until Go's
//! stack overflows and the process dies; here it is the call's error.
//!
//! Also different: a number keeps the text regorus gives it, where OPA
//! keeps the policy's (`{"minLength": 2.0}` is an integer here, "must be of
//! an integer" in OPA); a value past float64 under `enum` / `const` /
//! `uniqueItems` is an error naming it (OPA dereferences nil and reports a
//! runtime error); JSON text nested past 1000 levels is invalid.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use regorus::Value;

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[("json.match_schema", 2), ("json.verify_schema", 1)];

pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    match name {
        "json.verify_schema" => {
            let answer = args
                .first()
                .ok_or_else(|| "operand 1 missing".to_string())
                .and_then(operand)
                .and_then(|schema| Schema::compile(schema).map(|_| ()));
            Ok(Value::from(match answer {
                Ok(()) => vec![Value::Bool(true), Value::Null],
                Err(e) => vec![Value::Bool(false), Value::from(format!("jsonschema: {e}"))],
            }))
        }
        "json.match_schema" => {
            let fail = |e: String| anyhow::anyhow!("{name}: {e}");
            let (Some(document), Some(schema)) = (args.first(), args.get(1)) else {
                anyhow::bail!("{name}: operands missing");
            };
            let document = operand(document).map_err(fail)?;
            let schema = operand(schema).map_err(fail)?;
            let schema = Schema::compile(schema).map_err(fail)?;
            let errors = schema.validate(&document).map_err(fail)?;
            let valid = errors.is_empty();
            let errors: Vec<Value> = errors
                .into_iter()
                .map(|e| {
                    let field = e.field();
                    let error = format!("{field}: {}", e.desc);
                    let mut o = BTreeMap::new();
                    o.insert(Value::from("desc"), Value::from(e.desc));
                    o.insert(Value::from("error"), Value::from(error));
                    o.insert(Value::from("field"), Value::from(field));
                    o.insert(Value::from("type"), Value::from(e.kind));
                    Value::from(o)
                })
                .collect();
            Ok(Value::from(vec![Value::Bool(valid), Value::from(errors)]))
        }
        _ => anyhow::bail!("{name}: not a schema builtin"),
    }
}

/// An operand as OPA's `astValueToJSONSchemaLoader` reads it: a string is
/// JSON text, an object or array is used as it is.
fn operand(v: &Value) -> Result<Json, String> {
    match v {
        Value::String(s) => parse_json(s).ok_or_else(|| "invalid JSON string".to_string()),
        Value::Object(_) | Value::Array(_) => from_rego(v),
        _ => Err("wrong type, expected string or object".to_string()),
    }
}

// ---------------------------------------------------------------------------
// JSON values, numbers kept exact (gojsonschema decodes with UseNumber).

#[derive(Clone, Debug)]
enum Json {
    Null,
    Bool(bool),
    Num(Dec),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

fn from_rego(v: &Value) -> Result<Json, String> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            Json::Num(Dec::parse(&n.format_decimal()).ok_or_else(|| "invalid number".to_string())?)
        }
        Value::String(s) => Json::Str(s.to_string()),
        Value::Array(items) => Json::Arr(items.iter().map(from_rego).collect::<Result<_, _>>()?),
        Value::Set(items) => Json::Arr(items.iter().map(from_rego).collect::<Result<_, _>>()?),
        Value::Object(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m.iter() {
                // A key that is not a string is its JSON text, as OPA's
                // `ast.JSON` writes it.
                let key = match k {
                    Value::String(s) => s.to_string(),
                    other => serde_json::to_string(other).map_err(|e| e.to_string())?,
                };
                out.insert(key, from_rego(v)?);
            }
            Json::Obj(out)
        }
        _ => return Err("undefined value".to_string()),
    })
}

/// Strict JSON (Go's `json.Valid`): one value, whitespace around it.
fn parse_json(text: &str) -> Option<Json> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &str, v: Json) -> Option<Json> {
        self.s[self.i..].starts_with(word.as_bytes()).then(|| {
            self.i += word.len();
            v
        })
    }

    fn value(&mut self) -> Option<Json> {
        self.depth += 1;
        // Go's decoder refuses nesting past 10000; this one past 1000, so
        // that the schema's reading and the walk stay within the stack.
        if self.depth > 1_000 {
            return None;
        }
        let v = match *self.s.get(self.i)? {
            b'n' => self.literal("null", Json::Null),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if !self.eat(b']') {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Json::Arr(items))
            }
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.ws();
                        if !self.eat(b':') {
                            return None;
                        }
                        self.ws();
                        let v = self.value()?;
                        m.insert(k, v);
                        self.ws();
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Json::Obj(m))
            }
            _ => self.number(),
        };
        self.depth -= 1;
        v
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - from
        };
        if self.eat(b'0') {
            // No leading zeros.
        } else if digits(self) == 0 {
            return None;
        }
        if self.eat(b'.') && digits(self) == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if digits(self) == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Dec::parse(text).map(Json::Num)
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let h = std::str::from_utf8(h).ok()?;
        let v = u32::from_str_radix(h, 16).ok()?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        Some(v)
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) && self.s[self.i..].starts_with(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                match self.hex4() {
                                    Some(l) if (0xDC00..0xE000).contains(&l) => {
                                        let c = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
                                        char::from_u32(c).unwrap_or('\u{FFFD}')
                                    }
                                    _ => {
                                        self.i = save;
                                        '\u{FFFD}'
                                    }
                                }
                            } else {
                                char::from_u32(u).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return None,
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..0x20 => return None,
                _ => out.push(b),
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

/// `value` as Go's `json.Marshal` writes it after a round trip through
/// `interface{}` (gojsonschema's `marshalWithoutNumber`): numbers as
/// float64, keys sorted, `<`, `>`, `&` escaped.
fn go_marshal(v: &Json, out: &mut String) -> Result<(), String> {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Num(d) => out.push_str(&go_float(d)?),
        Json::Str(s) => go_string(s, out),
        Json::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_marshal(item, out)?;
            }
            out.push(']');
        }
        Json::Obj(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_marshal(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn marshal_without_number(v: &Json) -> Result<String, String> {
    let mut out = String::new();
    go_marshal(v, &mut out)?;
    Ok(out)
}

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A number as Go writes a float64 in JSON: shortest digits, exponent
/// form below 1e-6 and from 1e21.
fn go_float(d: &Dec) -> Result<String, String> {
    let f: f64 = d
        .text
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite())
        .ok_or_else(|| {
            format!(
                "json: cannot unmarshal number {} into Go value of type float64",
                d.text
            )
        })?;
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        Ok(format!("{mantissa}e{sign}{digits}"))
    } else {
        Ok(format!("{f}"))
    }
}

// ---------------------------------------------------------------------------
// Exact decimal numbers (Go's big.Rat of a JSON number).

#[derive(Clone, Debug)]
struct Dec {
    /// The number as written.
    text: String,
    neg: bool,
    /// Significant digits, no leading or trailing zeros; empty for zero.
    digits: String,
    /// value = digits × 10^exp.
    exp: i64,
}

impl Dec {
    fn parse(text: &str) -> Option<Dec> {
        let t = text.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
            None => (t, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let all = format!("{int}{frac}");
        let mut exp = exp.saturating_sub(frac.len() as i64);
        let trimmed = all.trim_start_matches('0');
        let without_trailing = trimmed.trim_end_matches('0');
        exp = exp.saturating_add((trimmed.len() - without_trailing.len()) as i64);
        let digits = without_trailing.to_string();
        let zero = digits.is_empty();
        Some(Dec {
            text: text.to_string(),
            neg: neg && !zero,
            exp: if zero { 0 } else { exp },
            digits,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    fn is_int(&self) -> bool {
        self.is_zero() || self.exp >= 0
    }

    fn cmp_abs(&self, o: &Dec) -> Ordering {
        match (self.is_zero(), o.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let adj = |d: &Dec| d.digits.len() as i64 + d.exp;
        adj(self)
            .cmp(&adj(o))
            .then_with(|| self.digits.as_bytes().cmp(o.digits.as_bytes()))
    }

    fn cmp(&self, o: &Dec) -> Ordering {
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_abs(o),
            (true, true) => o.cmp_abs(self),
        }
    }

    /// Whether `self / m` is an integer (`m` > 0).
    fn is_multiple_of(&self, m: &Dec) -> bool {
        use num_bigint::BigUint;
        if self.is_zero() {
            return true;
        }
        // self = A × 10^p, m = B × 10^q, A and B without trailing zeros:
        // A × 10^(p-q) must be a multiple of B; with p < q it cannot be.
        let k = self.exp.saturating_sub(m.exp);
        if k < 0 {
            return false;
        }
        let (Ok(a), Ok(b)) = (self.digits.parse::<BigUint>(), m.digits.parse::<BigUint>()) else {
            return false;
        };
        // Past B's own count of twos and fives, more tens change nothing.
        let k = k.min(4 * m.digits.len() as i64 + 4) as u32;
        (a * BigUint::from(10u32).pow(k)) % b == BigUint::from(0u32)
    }

    /// The number as Go prints a `*big.Float` made from it with `%v`
    /// (shortest digits, `%g` style: exponent form below 1e-4 and from
    /// 1e+06).
    fn go_big_float(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mant = self.digits.as_bytes();
        let point = mant.len() as i64 + self.exp;
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let e = point - 1;
        if !(-4..6).contains(&e) {
            out.push(mant[0] as char);
            if mant.len() > 1 {
                out.push('.');
                out.push_str(std::str::from_utf8(&mant[1..]).unwrap_or(""));
            }
            out.push('e');
            out.push(if e < 0 { '-' } else { '+' });
            let e = e.abs();
            if e < 10 {
                out.push('0');
            }
            out.push_str(&e.to_string());
        } else {
            let frac = (mant.len() as i64 - point).max(0);
            let at = |i: i64| -> char {
                if i >= 0 && (i as usize) < mant.len() {
                    mant[i as usize] as char
                } else {
                    '0'
                }
            };
            if point > 0 {
                for i in 0..point {
                    out.push(at(i));
                }
            } else {
                out.push('0');
            }
            if frac > 0 {
                out.push('.');
                for i in 0..frac {
                    out.push(at(point + i));
                }
            }
        }
        out
    }

    /// Go's `mustBeInteger`: an integer whose text `strconv.ParseInt`
    /// reads (`2.0` and `1e2` are not).
    fn as_int(&self) -> Option<i64> {
        if !self.is_int() {
            return None;
        }
        self.text.parse().ok()
    }
}

// ---------------------------------------------------------------------------
// References: URLs as Go's `net/url` resolves and prints them, JSON
// pointers as gojsonpointer reads them.

#[derive(Clone, Debug, Default)]
struct Url {
    scheme: String,
    opaque: String,
    /// `//` and what follows up to the path, when present.
    authority: Option<String>,
    path: String,
    query: Option<String>,
    fragment: String,
}

impl Url {
    fn parse(s: &str) -> Url {
        let mut u = Url::default();
        let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
        u.fragment = fragment.to_string();
        let mut rest = rest;
        let scheme_end = rest.find(':').filter(|&i| {
            i > 0
                && rest.as_bytes()[0].is_ascii_alphabetic()
                && rest[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        if let Some(i) = scheme_end {
            u.scheme = rest[..i].to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
        if let Some((r, q)) = rest.split_once('?') {
            u.query = Some(q.to_string());
            rest = r;
        }
        if !u.scheme.is_empty() && !rest.starts_with('/') {
            u.opaque = rest.to_string();
            return u;
        }
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find('/').unwrap_or(after.len());
            u.authority = Some(after[..end].to_string());
            rest = &after[end..];
        }
        u.path = rest.to_string();
        u
    }

    fn host(&self) -> &str {
        let a = self.authority.as_deref().unwrap_or("");
        a.rsplit_once('@').map_or(a, |(_, h)| h)
    }

    /// Go's `URL.ResolveReference`.
    fn resolve(&self, r: &Url) -> Url {
        let mut url = r.clone();
        if r.scheme.is_empty() {
            url.scheme = self.scheme.clone();
        }
        if !r.scheme.is_empty() || r.authority.is_some() {
            url.path = resolve_path(&r.path, "");
            return url;
        }
        if !r.opaque.is_empty() {
            url.authority = None;
            url.path.clear();
            return url;
        }
        if r.path.is_empty() && r.query.is_none() {
            url.query = self.query.clone();
            if r.fragment.is_empty() {
                url.fragment = self.fragment.clone();
            }
        }
        url.authority = self.authority.clone();
        url.path = resolve_path(&self.path, &r.path);
        url
    }

    fn without_fragment(&self) -> Url {
        Url {
            fragment: String::new(),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&self.opaque);
        } else {
            if let Some(a) = &self.authority {
                if !a.is_empty() || !self.path.is_empty() {
                    out.push_str("//");
                }
                out.push_str(a);
            }
            if !self.path.is_empty() && !self.path.starts_with('/') && !self.host().is_empty() {
                out.push('/');
            }
            if out.is_empty()
                && self
                    .path
                    .split('/')
                    .next()
                    .is_some_and(|seg| seg.contains(':'))
            {
                out.push_str("./");
            }
            out.push_str(&self.path);
        }
        if let Some(q) = &self.query {
            out.push('?');
            out.push_str(q);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&self.fragment);
        }
        f.write_str(&out)
    }
}

/// Go's `resolvePath`: a relative path against a base, dot segments
/// removed; a non-empty result starts with `/`.
fn resolve_path(base: &str, r: &str) -> String {
    let full = if r.is_empty() {
        base.to_string()
    } else if !r.starts_with('/') {
        let i = base.rfind('/').map_or(0, |i| i + 1);
        format!("{}{r}", &base[..i])
    } else {
        r.to_string()
    };
    if full.is_empty() {
        return String::new();
    }
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = full.split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 || out.first().is_some_and(|s| !s.is_empty()) {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    format!("/{}", joined.trim_start_matches('/'))
}

/// A reference as gojsonreference reads it: `parent` inherits `child`.
fn inherit(parent: &str, child: &str) -> String {
    Url::parse(parent)
        .without_fragment()
        .resolve(&Url::parse(child))
        .to_string()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                b.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON pointer of a reference's fragment, resolved in `doc`.
fn pointer_get(doc: &Json, fragment: &str) -> Result<Json, String> {
    let fragment = percent_decode(fragment);
    // A fragment that is not a pointer (`#foo`) points at the document.
    let Some(tokens) = fragment.strip_prefix('/') else {
        return Ok(doc.clone());
    };
    let mut node = doc;
    for token in tokens.split('/') {
        node = match node {
            Json::Obj(m) => {
                let key = token.replace("~1", "/").replace("~0", "~");
                m.get(&key)
                    .ok_or_else(|| format!("Object has no key '{key}'"))?
            }
            Json::Arr(items) => {
                let i: i64 =
                    go_atoi(token).ok_or_else(|| format!("Invalid array index '{token}'"))?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i))
                    .ok_or_else(|| format!("Out of bound array[0,{}] index '{i}'", items.len()))?
            }
            _ => return Err(format!("Invalid token reference '{token}'")),
        };
    }
    Ok(node.clone())
}

/// Go's `strconv.Atoi`.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------
// Reading a schema (gojsonschema's `Compile` and `parseSchema`).

type Draft = u32;
const DRAFT4: Draft = 4;
const DRAFT6: Draft = 6;
const DRAFT7: Draft = 7;
/// No `$schema`: every draft's keywords read.
const HYBRID: Draft = u32::MAX;

const JSON_TYPES: [&str; 7] = [
    "array", "boolean", "integer", "number", "null", "object", "string",
];

enum Additional {
    Absent,
    Bool(bool),
    Schema(usize),
}

enum Dependency {
    Properties(Vec<String>),
    Schema(usize),
}

/// One schema node, as gojsonschema's `SubSchema`.
struct Sub {
    pass: Option<bool>,
    types: Vec<String>,
    ref_schema: Option<usize>,
    items: Vec<usize>,
    items_single: bool,
    properties: Vec<(String, usize)>,
    multiple_of: Option<Dec>,
    maximum: Option<Dec>,
    exclusive_maximum: Option<Dec>,
    minimum: Option<Dec>,
    exclusive_minimum: Option<Dec>,
    min_length: Option<i64>,
    max_length: Option<i64>,
    pattern: Option<(String, regex::Regex)>,
    format: String,
    min_properties: Option<i64>,
    max_properties: Option<i64>,
    required: Vec<String>,
    dependencies: BTreeMap<String, Dependency>,
    additional_properties: Additional,
    pattern_properties: Vec<(regex::Regex, usize)>,
    property_names: Option<usize>,
    min_items: Option<i64>,
    max_items: Option<i64>,
    unique_items: bool,
    contains: Option<usize>,
    additional_items: Additional,
    constant: Option<String>,
    enumeration: Option<Vec<String>>,
    one_of: Vec<usize>,
    any_of: Vec<usize>,
    all_of: Vec<usize>,
    not: Option<usize>,
    if_: Option<usize>,
    then: Option<usize>,
    else_: Option<usize>,
}

impl Default for Sub {
    fn default() -> Self {
        Sub {
            pass: None,
            types: Vec::new(),
            ref_schema: None,
            items: Vec::new(),
            items_single: false,
            properties: Vec::new(),
            multiple_of: None,
            maximum: None,
            exclusive_maximum: None,
            minimum: None,
            exclusive_minimum: None,
            min_length: None,
            max_length: None,
            pattern: None,
            format: String::new(),
            min_properties: None,
            max_properties: None,
            required: Vec::new(),
            dependencies: BTreeMap::new(),
            additional_properties: Additional::Absent,
            pattern_properties: Vec::new(),
            property_names: None,
            min_items: None,
            max_items: None,
            unique_items: false,
            contains: None,
            additional_items: Additional::Absent,
            constant: None,
            enumeration: None,
            one_of: Vec::new(),
            any_of: Vec::new(),
            all_of: Vec::new(),
            not: None,
            if_: None,
            then: None,
            else_: None,
        }
    }
}

/// A compiled schema: its nodes, the root first.
struct Schema {
    subs: Vec<Sub>,
}

#[derive(Default)]
struct Compiler {
    subs: Vec<Sub>,
    /// Documents by reference (gojsonschema's schema pool).
    pool: HashMap<String, (Rc<Json>, Option<Draft>)>,
    /// Nodes made for a `$ref`, by reference (its reference pool).
    refs: HashMap<String, usize>,
}

fn invalid_type(expected: &str, given: &str) -> String {
    format!("Invalid type. Expected: {expected}, given: {given}")
}

fn get_string<'a>(m: &'a BTreeMap<String, Json>, key: &str) -> Result<Option<&'a str>, String> {
    match m.get(key) {
        None => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_type("string", key)),
    }
}

fn get_slice<'a>(m: &'a BTreeMap<String, Json>, key: &str) -> Result<&'a [Json], String> {
    match m.get(key) {
        None => Ok(&[]),
        Some(Json::Arr(a)) => Ok(a),
        Some(_) => Err(format!("{key} must be of an array")),
    }
}

fn must_be_integer(m: &BTreeMap<String, Json>, key: &str) -> Result<Option<i64>, String> {
    let Some(v) = m.get(key) else {
        return Ok(None);
    };
    let n = match v {
        Json::Num(d) => d.as_int(),
        _ => None,
    }
    .ok_or_else(|| format!("{key} must be of an integer"))?;
    if n < 0 {
        return Err(format!("{key} must be greater than or equal to 0"));
    }
    Ok(Some(n))
}

fn must_be_number(v: &Json) -> Option<Dec> {
    match v {
        Json::Num(d) => Some(d.clone()),
        _ => None,
    }
}

/// gojsonschema's `parseSchemaURL`: the draft a document's `$schema` names.
fn parse_schema_url(doc: &Json) -> Result<Option<Draft>, String> {
    let m = match doc {
        Json::Bool(_) => return Ok(None),
        Json::Obj(m) => m,
        _ => return Err("schema is invalid".to_string()),
    };
    match m.get("$schema") {
        None => Ok(None),
        Some(Json::Str(s)) => {
            let url = Url::parse(s).to_string();
            Ok(META_SCHEMAS
                .iter()
                .find(|(_, u, _)| *u == url)
                .map(|(d, _, _)| *d))
        }
        Some(_) => Err("$schema must be of type string".to_string()),
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at_path<'a>(doc: &'a Json, path: &[Step]) -> Option<&'a Json> {
    path.iter().try_fold(doc, |node, step| match (node, step) {
        (Json::Obj(m), Step::Key(k)) => m.get(k),
        (Json::Arr(a), Step::Index(i)) => a.get(*i),
        _ => None,
    })
}

impl Schema {
    fn compile(doc: Json) -> Result<Schema, String> {
        let mut c = Compiler::default();
        let doc = c.parse_references(doc, "", true)?;
        let draft = parse_schema_url(&doc)?.unwrap_or(HYBRID);
        c.subs.push(Sub::default());
        c.parse(&doc, 0, draft)?;
        Ok(Schema { subs: c.subs })
    }
}

impl Compiler {
    fn new_sub(&mut self) -> usize {
        self.subs.push(Sub::default());
        self.subs.len() - 1
    }

    /// gojsonschema's `parseReferences`: every `$ref` made absolute, every
    /// node with an `$id` (or `id`) pooled under it, the document pooled
    /// under `reference`.
    fn parse_references(
        &mut self,
        mut doc: Json,
        reference: &str,
        pooled: bool,
    ) -> Result<Rc<Json>, String> {
        if pooled && self.pool.contains_key(reference) {
            return Err(format!("Reference already exists: \"{reference}\""));
        }
        let draft = parse_schema_url(&doc)?;
        let mut ids = Vec::new();
        let top = self.rewrite(&mut doc, reference, &mut Vec::new(), &mut ids);
        let doc = Rc::new(doc);
        for (id, path) in ids {
            if let Some(node) = at_path(&doc, &path) {
                self.pool.insert(id, (Rc::new(node.clone()), draft));
            }
        }
        if pooled {
            self.pool
                .insert(reference.to_string(), (Rc::clone(&doc), draft));
        }
        top.map(|()| doc)
    }

    fn rewrite(
        &self,
        node: &mut Json,
        base: &str,
        path: &mut Vec<Step>,
        ids: &mut Vec<(String, Vec<Step>)>,
    ) -> Result<(), String> {
        match node {
            Json::Arr(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push(Step::Index(i));
                    let _ = self.rewrite(item, base, path, ids);
                    path.pop();
                }
            }
            Json::Obj(m) => {
                let key_id = if m.contains_key("id") { "id" } else { "$id" };
                let mut local = base.to_string();
                if let Some(Json::Str(id)) = m.get(key_id) {
                    let r = inherit(base, id);
                    if self.pool.contains_key(&r) || ids.iter().any(|(k, _)| *k == r) {
                        return Err(format!("Reference already exists: \"{r}\""));
                    }
                    ids.push((r.clone(), path.clone()));
                    local = r;
                }
                if let Some(Json::Str(r)) = m.get_mut("$ref") {
                    *r = inherit(&local, r);
                }
                for (k, v) in m.iter_mut() {
                    // const and enum are values, not schemas.
                    if k == "const" || k == "enum" {
                        continue;
                    }
                    path.push(Step::Key(k.clone()));
                    if k == "properties" || k == "dependencies" || k == "patternProperties" {
                        // Their keys are names, not keywords.
                        if let Json::Obj(children) = v {
                            for (ck, cv) in children.iter_mut() {
                                path.push(Step::Key(ck.clone()));
                                let _ = self.rewrite(cv, &local, path, ids);
                                path.pop();
                            }
                        }
                    } else {
                        let _ = self.rewrite(v, &local, path, ids);
                    }
                    path.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// gojsonschema's `schemaPool.GetDocument`.
    fn get_document(&mut self, reference: &str) -> Result<(Rc<Json>, Option<Draft>), String> {
        if let Some(found) = self.pool.get(reference) {
            return Ok(found.clone());
        }
        let url = Url::parse(reference);
        let base = url.without_fragment().to_string();
        if let Some((doc, draft)) = self.pool.get(&base).cloned() {
            let node = Rc::new(pointer_get(&doc, &url.fragment)?);
            self.pool
                .insert(reference.to_string(), (Rc::clone(&node), draft));
            return Ok((node, draft));
        }
        let canonical = (url.scheme == "file" && url.path.starts_with('/'))
            || (!url.scheme.is_empty() && !url.host().is_empty());
        if !canonical {
            return Err(format!("Reference {reference} must be canonical"));
        }
        let Some((_, _, text)) = META_SCHEMAS.iter().find(|(_, u, _)| *u == base) else {
            return Err(if url.scheme == "file" {
                format!("file reference loading disabled: {reference}")
            } else {
                format!("remote reference loading disabled: {reference}")
            });
        };
        let doc = parse_json(text).ok_or("invalid meta-schema")?;
        let doc = match self.parse_references(doc.clone(), &base, true) {
            Ok(doc) => doc,
            Err(_) => Rc::new(doc),
        };
        let draft = parse_schema_url(&doc).ok().flatten();
        Ok((Rc::new(pointer_get(&doc, &url.fragment)?), draft))
    }

    fn sub_schema(&mut self, v: &Json, draft: Draft) -> Result<usize, String> {
        let i = self.new_sub();
        self.parse(v, i, draft)?;
        Ok(i)
    }

    /// gojsonschema's `parseSchema`, keyword by keyword in its order.
    fn parse(&mut self, node: &Json, idx: usize, draft: Draft) -> Result<(), String> {
        if draft >= DRAFT6
            && let Json::Bool(b) = node
        {
            self.subs[idx].pass = Some(*b);
            return Ok(());
        }
        let Json::Obj(m) = node else {
            return Err("Expected: Valid Schema, given: Invalid JSON".to_string());
        };
        let key_id = match draft {
            DRAFT4 => "id",
            HYBRID if m.contains_key("id") => "id",
            _ => "$id",
        };
        get_string(m, key_id)?;

        if let Some(v) = m.get("definitions") {
            let Json::Obj(defs) = v else {
                return Err(invalid_type("Array Of Schemas", "definitions"));
            };
            for dv in defs.values() {
                match dv {
                    Json::Bool(_) | Json::Obj(_) => {
                        self.sub_schema(dv, draft)?;
                    }
                    _ => return Err(invalid_type("Array Of Schemas", "definitions")),
                }
            }
        }

        get_string(m, "title")?;
        get_string(m, "description")?;

        if let Some(r) = get_string(m, "$ref")? {
            let key = Url::parse(r).to_string();
            match self.refs.get(&key) {
                Some(&target) => self.subs[idx].ref_schema = Some(target),
                None => return self.parse_reference(&key, idx, draft),
            }
        }

        if let Some(t) = m.get("type") {
            let wrong = || invalid_type("type", "string/Array Of Strings");
            let names: Vec<&str> = match t {
                Json::Str(s) => vec![s],
                Json::Arr(a) => a
                    .iter()
                    .map(|x| match x {
                        Json::Str(s) => Ok(s.as_str()),
                        _ => Err(wrong()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(wrong()),
            };
            for name in names {
                if !JSON_TYPES.contains(&name) {
                    return Err(format!(
                        "has a primitive type that is NOT VALID -- given: /{name}/ Expected valid values are:[{}]",
                        JSON_TYPES.join(" ")
                    ));
                }
                if self.subs[idx].types.iter().any(|t| t == name) {
                    return Err(format!("{name} type is duplicated"));
                }
                self.subs[idx].types.push(name.to_string());
            }
        }

        if let Some(p) = m.get("properties") {
            let Json::Obj(props) = p else {
                return Err("Properties must be of type object".to_string());
            };
            for (k, v) in props {
                let i = self.new_sub();
                self.subs[idx].properties.push((k.clone(), i));
                self.parse(v, i, draft)?;
            }
        }

        if let Some(v) = m.get("additionalProperties") {
            self.subs[idx].additional_properties = match v {
                Json::Bool(b) => Additional::Bool(*b),
                Json::Obj(_) => Additional::Schema(self.sub_schema(v, draft)?),
                _ => return Err(invalid_type("boolean/Valid Schema", "additionalProperties")),
            };
        }

        match m.get("patternProperties") {
            None => {}
            Some(Json::Obj(pp)) => {
                for (k, v) in pp {
                    let re = super::regex_builtins::compiled(k)
                        .map_err(|_| format!("Invalid regex pattern '{k}'"))?;
                    let i = self.sub_schema(v, draft)?;
                    self.subs[idx].pattern_properties.push((re, i));
                }
            }
            Some(_) => return Err(invalid_type("Valid Schema", "patternProperties")),
        }

        if draft >= DRAFT6
            && let Some(v) = m.get("propertyNames")
        {
            match v {
                Json::Bool(_) | Json::Obj(_) => {
                    self.subs[idx].property_names = Some(self.sub_schema(v, draft)?);
                }
                _ => return Err(invalid_type("Valid Schema", "patternProperties")),
            }
        }

        if let Some(d) = m.get("dependencies") {
            let Json::Obj(deps) = d else {
                return Err("dependencies must be of type object".to_string());
            };
            let wrong = || "Dependency must be of type Schema Or Array Of Strings".to_string();
            for (k, v) in deps {
                match v {
                    Json::Arr(names) => {
                        let names = names
                            .iter()
                            .map(|n| match n {
                                Json::Str(s) => Ok(s.clone()),
                                _ => Err(wrong()),
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        if !names.is_empty() {
                            self.subs[idx]
                                .dependencies
                                .insert(k.clone(), Dependency::Properties(names));
                        }
                    }
                    Json::Bool(_) | Json::Obj(_) => {
                        let i = self.sub_schema(v, draft)?;
                        self.subs[idx]
                            .dependencies
                            .insert(k.clone(), Dependency::Schema(i));
                    }
                    _ => return Err(wrong()),
                }
            }
        }

        if let Some(items) = m.get("items") {
            let wrong = || invalid_type("Valid Schema/Array Of Schemas", "items");
            match items {
                Json::Arr(list) => {
                    for item in list {
                        if !matches!(item, Json::Obj(_) | Json::Bool(_)) {
                            return Err(wrong());
                        }
                        let i = self.new_sub();
                        self.subs[idx].items.push(i);
                        self.parse(item, i, draft)?;
                    }
                }
                Json::Obj(_) | Json::Bool(_) => {
                    let i = self.new_sub();
                    self.subs[idx].items.push(i);
                    self.parse(items, i, draft)?;
                    self.subs[idx].items_single = true;
                }
                _ => return Err(wrong()),
            }
        }

        if let Some(v) = m.get("additionalItems") {
            self.subs[idx].additional_items = match v {
                Json::Bool(b) => Additional::Bool(*b),
                Json::Obj(_) => Additional::Schema(self.sub_schema(v, draft)?),
                _ => return Err(invalid_type("boolean/Valid Schema", "additionalItems")),
            };
        }

        if let Some(v) = m.get("multipleOf") {
            let n = must_be_number(v).ok_or_else(|| invalid_type("Number", "multipleOf"))?;
            if n.is_zero() || n.neg {
                return Err("multipleOf must be strictly greater than 0".to_string());
            }
            self.subs[idx].multiple_of = Some(n);
        }

        for (key, exclusive) in [
            ("minimum", "exclusiveMinimum"),
            ("maximum", "exclusiveMaximum"),
        ] {
            let mut bound = None;
            let mut exclusive_bound = None;
            if let Some(v) = m.get(key) {
                bound =
                    Some(must_be_number(v).ok_or_else(|| format!("{key} must be of a Number"))?);
            }
            if let Some(v) = m.get(exclusive) {
                let without = || format!("{exclusive} cannot be used without {key}");
                match (draft, v) {
                    (DRAFT4 | HYBRID, Json::Bool(b)) => {
                        if bound.is_none() {
                            return Err(without());
                        }
                        if *b {
                            exclusive_bound = bound.take();
                        }
                    }
                    (DRAFT4, _) => return Err(invalid_type("boolean", exclusive)),
                    (_, Json::Num(d)) => exclusive_bound = Some(d.clone()),
                    (HYBRID, _) => return Err(invalid_type("boolean/number", exclusive)),
                    _ => return Err(invalid_type("number", exclusive)),
                }
            }
            let sub = &mut self.subs[idx];
            if key == "minimum" {
                sub.minimum = bound;
                sub.exclusive_minimum = exclusive_bound;
            } else {
                sub.maximum = bound;
                sub.exclusive_maximum = exclusive_bound;
            }
        }

        let min_length = must_be_integer(m, "minLength")?;
        self.subs[idx].min_length = min_length;
        let max_length = must_be_integer(m, "maxLength")?;
        self.subs[idx].max_length = max_length;
        if let (Some(lo), Some(hi)) = (min_length, max_length)
            && lo > hi
        {
            return Err("minLength cannot be greater than maxLength".to_string());
        }

        if let Some(p) = get_string(m, "pattern")? {
            let re = super::regex_builtins::compiled(p)
                .map_err(|_| "pattern must be a valid regex".to_string())?;
            self.subs[idx].pattern = Some((p.to_string(), re));
        }
        if let Some(f) = get_string(m, "format")? {
            self.subs[idx].format = f.to_string();
        }

        let min_properties = must_be_integer(m, "minProperties")?;
        self.subs[idx].min_properties = min_properties;
        let max_properties = must_be_integer(m, "maxProperties")?;
        self.subs[idx].max_properties = max_properties;
        if let (Some(lo), Some(hi)) = (min_properties, max_properties)
            && lo > hi
        {
            return Err("minProperties cannot be greater than maxProperties".to_string());
        }

        for r in get_slice(m, "required")? {
            let Json::Str(s) = r else {
                return Err(invalid_type("string", "required"));
            };
            if self.subs[idx].required.contains(s) {
                return Err("required items must be unique".to_string());
            }
            self.subs[idx].required.push(s.clone());
        }

        self.subs[idx].min_items = must_be_integer(m, "minItems")?;
        self.subs[idx].max_items = must_be_integer(m, "maxItems")?;

        if let Some(v) = m.get("uniqueItems") {
            let Json::Bool(b) = v else {
                return Err("uniqueItems must be of a boolean".to_string());
            };
            self.subs[idx].unique_items = *b;
        }

        if draft >= DRAFT6
            && let Some(v) = m.get("contains")
        {
            self.subs[idx].contains = Some(self.sub_schema(v, draft)?);
        }

        if draft >= DRAFT6
            && let Some(v) = m.get("const")
        {
            self.subs[idx].constant = Some(marshal_without_number(v)?);
        }

        let values = get_slice(m, "enum")?;
        if m.contains_key("enum") {
            let mut allowed = Vec::with_capacity(values.len());
            for v in values {
                let text = marshal_without_number(v)?;
                if allowed.contains(&text) {
                    return Err("enum items must be unique".to_string());
                }
                allowed.push(text);
            }
            self.subs[idx].enumeration = Some(allowed);
        }

        for key in ["oneOf", "anyOf", "allOf"] {
            for v in get_slice(m, key)? {
                let i = self.new_sub();
                let sub = &mut self.subs[idx];
                match key {
                    "oneOf" => sub.one_of.push(i),
                    "anyOf" => sub.any_of.push(i),
                    _ => sub.all_of.push(i),
                }
                self.parse(v, i, draft)?;
            }
        }

        let conditions: &[&str] = if draft >= DRAFT7 {
            &["not", "if", "then", "else"]
        } else {
            &["not"]
        };
        for &key in conditions {
            let Some(v) = m.get(key) else { continue };
            if !matches!(v, Json::Bool(_) | Json::Obj(_)) {
                return Err(format!("{key} must be of an object"));
            }
            let i = self.sub_schema(v, draft)?;
            let sub = &mut self.subs[idx];
            match key {
                "not" => sub.not = Some(i),
                "if" => sub.if_ = Some(i),
                "then" => sub.then = Some(i),
                _ => sub.else_ = Some(i),
            }
        }
        Ok(())
    }

    /// gojsonschema's `parseReference`: the referenced document read as
    /// a schema of its own, made once per reference.
    fn parse_reference(&mut self, key: &str, idx: usize, draft: Draft) -> Result<(), String> {
        let target = self.new_sub();
        self.refs.entry(key.to_string()).or_insert(target);
        let (doc, doc_draft) = self.get_document(key)?;
        if !matches!(&*doc, Json::Bool(_) | Json::Obj(_)) {
            return Err("Valid Schema must be of type object".to_string());
        }
        self.parse(&doc, target, doc_draft.unwrap_or(draft))?;
        self.subs[idx].ref_schema = Some(target);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Validating a document (gojsonschema's `validateRecursive` and friends),
// with its scores: the branch of an anyOf / oneOf / contains whose errors
// are reported is the one that scored highest.

/// How deep schemas may nest while validating one document node chain;
/// only a schema that refers to itself without consuming the document
/// (where OPA overflows its stack) gets there.
const MAX_DEPTH: usize = 1000;

struct Failure {
    kind: &'static str,
    /// `(Root).a.0.b`.
    context: String,
    desc: String,
}

impl Failure {
    fn field(&self) -> String {
        field_of(&self.context)
    }
}

fn field_of(context: &str) -> String {
    context
        .strip_prefix("(Root).")
        .unwrap_or(context)
        .to_string()
}

#[derive(Default)]
struct Outcome {
    errors: Vec<Failure>,
    score: i64,
}

impl Outcome {
    fn add(&mut self, kind: &'static str, context: &str, desc: String) {
        self.errors.push(Failure {
            kind,
            context: context.to_string(),
            desc,
        });
        self.score -= 2;
    }

    fn merge(&mut self, other: Outcome) {
        self.errors.extend(other.errors);
        self.score += other.score;
    }

    fn valid(&self) -> bool {
        self.errors.is_empty()
    }
}

struct Validator<'a> {
    subs: &'a [Sub],
    depth: usize,
    broken: Option<String>,
}

impl Schema {
    fn validate(&self, doc: &Json) -> Result<Vec<Failure>, String> {
        let mut v = Validator {
            subs: &self.subs,
            depth: 0,
            broken: None,
        };
        let mut out = Outcome::default();
        v.recursive(0, doc, &mut out, "(Root)");
        match v.broken {
            Some(e) => Err(e),
            None => Ok(out.errors),
        }
    }
}

fn types_text(types: &[String]) -> String {
    match types {
        [one] => one.clone(),
        many => format!("[{}]", many.join(",")),
    }
}

impl Validator<'_> {
    fn sub_validate(&mut self, s: usize, node: &Json, context: &str) -> Outcome {
        let mut out = Outcome::default();
        self.recursive(s, node, &mut out, context);
        out
    }

    fn recursive(&mut self, s: usize, node: &Json, out: &mut Outcome, context: &str) {
        if self.broken.is_some() {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.broken = Some("schema refers to itself without end".to_string());
            return;
        }
        self.depth += 1;
        self.node(s, node, out, context);
        self.depth -= 1;
    }

    fn node(&mut self, s: usize, node: &Json, out: &mut Outcome, context: &str) {
        let subs = self.subs;
        let sub = &subs[s];
        if let Some(pass) = sub.pass {
            if !pass {
                out.add(
                    "false",
                    context,
                    "False always fails validation".to_string(),
                );
            }
            return;
        }
        if let Some(target) = sub.ref_schema {
            self.recursive(target, node, out, context);
            return;
        }
        let given = match node {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Str(_) => "string",
            Json::Arr(_) => "array",
            Json::Obj(_) => "object",
            Json::Num(d) if d.is_int() => "integer",
            Json::Num(_) => "number",
        };
        let has = |t: &str| sub.types.iter().any(|x| x == t);
        let valid_type = has(given) || (given == "integer" && has("number"));
        if !sub.types.is_empty() && !valid_type {
            out.add(
                "invalid_type",
                context,
                format!(
                    "Invalid type. Expected: {}, given: {given}",
                    types_text(&sub.types)
                ),
            );
            return;
        }
        self.schema(sub, node, out, context);
        match node {
            Json::Num(d) => {
                number(sub, d, out, context);
                self.common(sub, node, out, context);
            }
            Json::Arr(items) => {
                self.array(sub, items, out, context);
                self.common(sub, node, out, context);
            }
            Json::Obj(m) => {
                self.object(sub, m, out, context);
                self.common(sub, node, out, context);
                for (name, child) in &sub.properties {
                    if let Some(v) = m.get(name) {
                        self.recursive(*child, v, out, &format!("{context}.{name}"));
                    }
                }
            }
            Json::Str(text) => {
                self.common(sub, node, out, context);
                string(sub, text, out, context);
            }
            Json::Null | Json::Bool(_) => self.common(sub, node, out, context),
        }
        out.score += 1;
    }

    fn schema(&mut self, sub: &Sub, node: &Json, out: &mut Outcome, context: &str) {
        if !sub.any_of.is_empty() {
            let mut validated = false;
            let mut best: Option<Outcome> = None;
            for &a in &sub.any_of {
                let r = self.sub_validate(a, node, context);
                validated = r.valid();
                if validated {
                    break;
                }
                if best.as_ref().is_none_or(|b| r.score > b.score) {
                    best = Some(r);
                }
            }
            if !validated {
                out.add(
                    "number_any_of",
                    context,
                    "Must validate at least one schema (anyOf)".to_string(),
                );
                if let Some(b) = best {
                    out.merge(b);
                }
            }
        }

        if !sub.one_of.is_empty() {
            let mut validated = 0;
            let mut best: Option<Outcome> = None;
            for &o in &sub.one_of {
                let r = self.sub_validate(o, node, context);
                if r.valid() {
                    validated += 1;
                } else if validated == 0 && best.as_ref().is_none_or(|b| r.score > b.score) {
                    best = Some(r);
                }
            }
            if validated != 1 {
                out.add(
                    "number_one_of",
                    context,
                    "Must validate one and only one schema (oneOf)".to_string(),
                );
                if validated == 0
                    && let Some(b) = best
                {
                    out.merge(b);
                }
            }
        }

        if !sub.all_of.is_empty() {
            let mut validated = 0;
            for &a in &sub.all_of {
                let r = self.sub_validate(a, node, context);
                if r.valid() {
                    validated += 1;
                }
                out.merge(r);
            }
            if validated != sub.all_of.len() {
                out.add(
                    "number_all_of",
                    context,
                    "Must validate all the schemas (allOf)".to_string(),
                );
            }
        }

        if let Some(n) = sub.not
            && self.sub_validate(n, node, context).valid()
        {
            out.add(
                "number_not",
                context,
                "Must not validate the schema (not)".to_string(),
            );
        }

        if let Json::Obj(m) = node {
            for key in m.keys() {
                match sub.dependencies.get(key) {
                    Some(Dependency::Properties(names)) => {
                        for name in names {
                            if !m.contains_key(name) {
                                out.add(
                                    "missing_dependency",
                                    context,
                                    format!("Has a dependency on {name}"),
                                );
                            }
                        }
                    }
                    Some(Dependency::Schema(d)) => self.recursive(*d, node, out, context),
                    None => {}
                }
            }
        }

        if let Some(i) = sub.if_ {
            let condition = self.sub_validate(i, node, context).valid();
            let (branch, kind, desc) = if condition {
                (
                    sub.then,
                    "condition_then",
                    "Must validate \"then\" as \"if\" was valid",
                )
            } else {
                (
                    sub.else_,
                    "condition_else",
                    "Must validate \"else\" as \"if\" was not valid",
                )
            };
            if let Some(b) = branch {
                let r = self.sub_validate(b, node, context);
                if !r.valid() {
                    out.add(kind, context, desc.to_string());
                    out.merge(r);
                }
            }
        }

        out.score += 1;
    }

    fn common(&mut self, sub: &Sub, node: &Json, out: &mut Outcome, context: &str) {
        if sub.constant.is_some() || sub.enumeration.is_some() {
            let text = match marshal_without_number(node) {
                Ok(t) => t,
                Err(e) => {
                    self.broken = Some(e);
                    return;
                }
            };
            if let Some(c) = &sub.constant
                && text != *c
            {
                out.add(
                    "const",
                    context,
                    format!("{} does not match: {c}", field_of(context)),
                );
            }
            if let Some(allowed) = &sub.enumeration
                && !allowed.contains(&text)
            {
                out.add(
                    "enum",
                    context,
                    format!(
                        "{} must be one of the following: {}",
                        field_of(context),
                        allowed.join(", ")
                    ),
                );
            }
        }
        if !sub.format.is_empty()
            && let Json::Str(s) = node
            && !is_format(&sub.format, s)
        {
            out.add(
                "format",
                context,
                format!("Does not match format '{}'", sub.format),
            );
        }
        out.score += 1;
    }

    fn array(&mut self, sub: &Sub, items: &[Json], out: &mut Outcome, context: &str) {
        let n = items.len();
        if sub.items_single {
            for (i, item) in items.iter().enumerate() {
                let r = self.sub_validate(sub.items[0], item, &format!("{context}.{i}"));
                out.merge(r);
            }
        } else if !sub.items.is_empty() {
            let schemas = sub.items.len();
            for (i, (&s, item)) in sub.items.iter().zip(items).enumerate() {
                let r = self.sub_validate(s, item, &format!("{context}.{i}"));
                out.merge(r);
            }
            if schemas < n {
                match sub.additional_items {
                    Additional::Bool(false) => out.add(
                        "array_no_additional_items",
                        context,
                        "No additional items allowed on array".to_string(),
                    ),
                    Additional::Schema(a) => {
                        for (i, item) in items.iter().enumerate().skip(schemas) {
                            let r = self.sub_validate(a, item, &format!("{context}.{i}"));
                            out.merge(r);
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(min) = sub.min_items
            && (n as i64) < min
        {
            out.add(
                "array_min_items",
                context,
                format!("Array must have at least {min} items"),
            );
        }
        if let Some(max) = sub.max_items
            && (n as i64) > max
        {
            out.add(
                "array_max_items",
                context,
                format!("Array must have at most {max} items"),
            );
        }
        if sub.unique_items {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (j, item) in items.iter().enumerate() {
                let text = match marshal_without_number(item) {
                    Ok(t) => t,
                    Err(e) => {
                        self.broken = Some(e);
                        return;
                    }
                };
                if let Some(i) = seen.get(&text) {
                    out.add(
                        "unique",
                        context,
                        format!("array items[{i},{j}] must be unique"),
                    );
                }
                seen.insert(text, j);
            }
        }
        if let Some(c) = sub.contains {
            let mut validated = false;
            let mut best: Option<Outcome> = None;
            for (i, item) in items.iter().enumerate() {
                let r = self.sub_validate(c, item, &format!("{context}.{i}"));
                if r.valid() {
                    validated = true;
                    break;
                }
                if best.as_ref().is_none_or(|b| r.score > b.score) {
                    best = Some(r);
                }
            }
            if !validated {
                out.add(
                    "contains",
                    context,
                    "At least one of the items must match".to_string(),
                );
                if let Some(b) = best {
                    out.merge(b);
                }
            }
        }
        out.score += 1;
    }

    fn object(&mut self, sub: &Sub, m: &BTreeMap<String, Json>, out: &mut Outcome, context: &str) {
        let n = m.len() as i64;
        if let Some(min) = sub.min_properties
            && n < min
        {
            out.add(
                "array_min_properties",
                context,
                format!("Must have at least {min} properties"),
            );
        }
        if let Some(max) = sub.max_properties
            && n > max
        {
            out.add(
                "array_max_properties",
                context,
                format!("Must have at most {max} properties"),
            );
        }
        for name in &sub.required {
            if m.contains_key(name) {
                out.score += 1;
            } else {
                out.add("required", context, format!("{name} is required"));
            }
        }
        for (key, value) in m {
            let found = sub.properties.iter().any(|(name, _)| name == key);
            let mut matched = false;
            for (re, s) in &sub.pattern_properties {
                if re.is_match(key) {
                    matched = true;
                    let r = self.sub_validate(*s, value, &format!("{context}.{key}"));
                    out.merge(r);
                }
            }
            if matched {
                out.score += 1;
            }
            if !found && !matched {
                match sub.additional_properties {
                    Additional::Bool(false) => out.add(
                        "additional_property_not_allowed",
                        context,
                        format!("Additional property {key} is not allowed"),
                    ),
                    Additional::Schema(a) => {
                        let r = self.sub_validate(a, value, &format!("{context}.{key}"));
                        out.merge(r);
                    }
                    _ => {}
                }
            }
        }
        if let Some(p) = sub.property_names {
            for key in m.keys() {
                let r = self.sub_validate(p, &Json::Str(key.clone()), context);
                if !r.valid() {
                    out.add(
                        "invalid_property_name",
                        context,
                        format!("Property name of \"{key}\" does not match"),
                    );
                    out.merge(r);
                }
            }
        }
        out.score += 1;
    }
}

fn string(sub: &Sub, text: &str, out: &mut Outcome, context: &str) {
    let len = text.chars().count() as i64;
    if let Some(min) = sub.min_length
        && len < min
    {
        out.add(
            "string_gte",
            context,
            format!("String length must be greater than or equal to {min}"),
        );
    }
    if let Some(max) = sub.max_length
        && len > max
    {
        out.add(
            "string_lte",
            context,
            format!("String length must be less than or equal to {max}"),
        );
    }
    if let Some((source, re)) = &sub.pattern
        && !re.is_match(text)
    {
        out.add(
            "pattern",
            context,
            format!("Does not match pattern '{source}'"),
        );
    }
    out.score += 1;
}

fn number(sub: &Sub, d: &Dec, out: &mut Outcome, context: &str) {
    if let Some(m) = &sub.multiple_of
        && !d.is_multiple_of(m)
    {
        out.add(
            "multiple_of",
            context,
            format!("Must be a multiple of {}", m.go_big_float()),
        );
    }
    if let Some(max) = &sub.maximum
        && d.cmp(max) == Ordering::Greater
    {
        out.add(
            "number_lte",
            context,
            format!("Must be less than or equal to {}", max.go_big_float()),
        );
    }
    if let Some(max) = &sub.exclusive_maximum
        && d.cmp(max) != Ordering::Less
    {
        out.add(
            "number_lt",
            context,
            format!("Must be less than {}", max.go_big_float()),
        );
    }
    if let Some(min) = &sub.minimum
        && d.cmp(min) == Ordering::Less
    {
        out.add(
            "number_gte",
            context,
            format!("Must be greater than or equal to {}", min.go_big_float()),
        );
    }
    if let Some(min) = &sub.exclusive_minimum
        && d.cmp(min) != Ordering::Greater
    {
        out.add(
            "number_gt",
            context,
            format!("Must be greater than {}", min.go_big_float()),
        );
    }
    out.score += 1;
}

// ---------------------------------------------------------------------------
// Formats (gojsonschema's `FormatCheckers`, with Go's parsers).

fn is_format(format: &str, s: &str) -> bool {
    use std::sync::LazyLock;
    static HOSTNAME: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9]))*$",
        )
        .expect("hostname pattern")
    });
    static URI_TEMPLATE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^([^{]*(\{[^}]*\})?)*$").expect("template pattern"));
    static UUID: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new("^(?i)[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")
            .expect("uuid pattern")
    });
    static JSON_POINTER: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new("^(?:/(?:[^~/]|~0|~1)*)*$").expect("pointer pattern"));
    static RELATIVE_POINTER: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new("^(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)$")
            .expect("relative pointer pattern")
    });
    match format {
        "date" => go_time(s, &[Layout::Date]),
        "time" => go_time(s, &[Layout::ClockZone, Layout::Clock]),
        "date-time" => go_time(
            s,
            &[
                Layout::Clock,
                Layout::ClockZone,
                Layout::Date,
                Layout::Rfc3339,
            ],
        ),
        "hostname" => HOSTNAME.is_match(s) && s.len() < 256,
        "email" | "idn-email" => go_mail_address(s),
        "ipv4" => s.parse::<std::net::IpAddr>().is_ok() && s.contains('.'),
        "ipv6" => s.parse::<std::net::IpAddr>().is_ok() && s.contains(':'),
        "uri" | "iri" => {
            go_url(s).is_some_and(|(scheme, _)| !scheme.is_empty()) && !s.contains('\\')
        }
        "uri-reference" | "iri-reference" => go_url(s).is_some() && !s.contains('\\'),
        "uri-template" => {
            !s.contains('\\') && go_url(s).is_some_and(|(_, path)| URI_TEMPLATE.is_match(&path))
        }
        "uuid" => UUID.is_match(s),
        "regex" => s.is_empty() || super::regex_builtins::compiled(s).is_ok(),
        "json-pointer" => JSON_POINTER.is_match(s),
        "relative-json-pointer" => RELATIVE_POINTER.is_match(s),
        _ => true,
    }
}

#[derive(Clone, Copy)]
enum Layout {
    /// `15:04:05`
    Clock,
    /// `15:04:05Z07:00`
    ClockZone,
    /// `2006-01-02`
    Date,
    /// `2006-01-02T15:04:05Z07:00`
    Rfc3339,
}

/// Whether Go's `time.Parse` takes `s` in one of the layouts.
fn go_time(s: &str, layouts: &[Layout]) -> bool {
    layouts.iter().any(|layout| {
        let mut p = TimeParser { s: s.as_bytes() };
        let ok = match layout {
            Layout::Clock => p.clock(),
            Layout::ClockZone => p.clock() && p.zone(),
            Layout::Date => p.date(),
            Layout::Rfc3339 => p.date() && p.literal(b'T') && p.clock() && p.zone(),
        };
        ok && p.s.is_empty()
    })
}

struct TimeParser<'a> {
    s: &'a [u8],
}

impl TimeParser<'_> {
    fn literal(&mut self, b: u8) -> bool {
        match self.s.split_first() {
            Some((&c, rest)) if c == b => {
                self.s = rest;
                true
            }
            _ => false,
        }
    }

    /// Go's `getnum`: two digits, or one when not `fixed`.
    fn num(&mut self, fixed: bool) -> Option<u32> {
        let d = |i: usize| {
            self.s
                .get(i)
                .filter(|c| c.is_ascii_digit())
                .map(|c| u32::from(c - b'0'))
        };
        let first = d(0)?;
        match d(1) {
            Some(second) => {
                self.s = &self.s[2..];
                Some(first * 10 + second)
            }
            None if !fixed => {
                self.s = &self.s[1..];
                Some(first)
            }
            None => None,
        }
    }

    fn date(&mut self) -> bool {
        let Some(year) = self.s.get(..4).filter(|y| y.iter().all(u8::is_ascii_digit)) else {
            return false;
        };
        let year: u32 = year.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0'));
        self.s = &self.s[4..];
        if !self.literal(b'-') {
            return false;
        }
        let Some(month) = self.num(true).filter(|m| (1..=12).contains(m)) else {
            return false;
        };
        if !self.literal(b'-') {
            return false;
        }
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        self.num(true).is_some_and(|d| (1..=days).contains(&d))
    }

    fn clock(&mut self) -> bool {
        let ok = self.num(false).is_some_and(|h| h < 24)
            && self.literal(b':')
            && self.num(true).is_some_and(|m| m < 60)
            && self.literal(b':')
            && self.num(true).is_some_and(|s| s < 60);
        if !ok {
            return false;
        }
        // A fraction of a second may follow, though the layout has none.
        if matches!(self.s.first(), Some(b'.' | b','))
            && self.s.get(1).is_some_and(u8::is_ascii_digit)
        {
            let n = 1 + self.s[1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            self.s = &self.s[n..];
        }
        true
    }

    fn zone(&mut self) -> bool {
        if self.literal(b'Z') {
            return true;
        }
        if !(self.literal(b'+') || self.literal(b'-')) {
            return false;
        }
        self.num(true).is_some_and(|h| h <= 24)
            && self.literal(b':')
            && self.num(true).is_some_and(|m| m <= 60)
    }
}

/// Whether Go's `net/mail.ParseAddress` takes `s`: `local@domain`, or a
/// display name and `<local@domain>`; comments in parentheses around.
fn go_mail_address(s: &str) -> bool {
    let mut p = MailParser { s };
    p.address() && p.skip_cfws() && p.s.is_empty()
}

struct MailParser<'a> {
    s: &'a str,
}

fn is_atext(c: char, dot: bool) -> bool {
    match c {
        '.' => dot,
        '(' | ')' | '<' | '>' | '[' | ']' | ':' | ';' | '@' | '\\' | ',' | '"' => false,
        c => ('!'..='~').contains(&c) || c as u32 >= 0x80,
    }
}

fn is_vchar(c: char) -> bool {
    ('!'..='~').contains(&c) || c as u32 >= 0x80
}

impl MailParser<'_> {
    fn skip_space(&mut self) {
        self.s = self.s.trim_start_matches([' ', '\t']);
    }

    fn consume(&mut self, c: char) -> bool {
        match self.s.strip_prefix(c) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    /// Spaces and (nested) comments; false on an unclosed comment.
    fn skip_cfws(&mut self) -> bool {
        loop {
            self.skip_space();
            if !self.s.starts_with('(') {
                return true;
            }
            if !self.comment() {
                return false;
            }
        }
    }

    fn comment(&mut self) -> bool {
        let mut depth = 0;
        let mut escaped = false;
        for (i, c) in self.s.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.s = &self.s[i + 1..];
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    fn atom(&mut self, permissive: bool) -> Option<&str> {
        let end = self
            .s
            .char_indices()
            .find(|&(_, c)| !is_atext(c, true))
            .map_or(self.s.len(), |(i, _)| i);
        if end == 0 {
            return None;
        }
        let atom = &self.s[..end];
        if !permissive && (atom.starts_with('.') || atom.contains("..") || atom.ends_with('.')) {
            return None;
        }
        let (atom, rest) = self.s.split_at(end);
        self.s = rest;
        Some(atom)
    }

    fn quoted_string(&mut self) -> Option<String> {
        let mut out = String::new();
        let mut escaped = false;
        for (i, c) in self.s.char_indices().skip(1) {
            if escaped {
                if !is_vchar(c) && c != ' ' && c != '\t' {
                    return None;
                }
                out.push(c);
                escaped = false;
            } else if c == '"' {
                self.s = &self.s[i + 1..];
                return Some(out);
            } else if c == '\\' {
                escaped = true;
            } else if is_vchar(c) || c == ' ' || c == '\t' {
                out.push(c);
            } else {
                return None;
            }
        }
        None
    }

    fn addr_spec(&mut self) -> bool {
        let saved = self.s;
        let ok = self.addr_spec_inner();
        if !ok {
            self.s = saved;
        }
        ok
    }

    fn addr_spec_inner(&mut self) -> bool {
        self.skip_space();
        if self.s.is_empty() {
            return false;
        }
        let local = if self.s.starts_with('"') {
            self.quoted_string().filter(|q| !q.is_empty()).is_some()
        } else {
            self.atom(false).is_some()
        };
        if !local || !self.consume('@') {
            return false;
        }
        self.skip_space();
        if self.s.is_empty() {
            return false;
        }
        if self.consume('[') {
            let Some(end) = self.s.find(']') else {
                return false;
            };
            let literal = &self.s[..end];
            self.s = &self.s[end + 1..];
            literal.parse::<std::net::IpAddr>().is_ok()
        } else {
            self.atom(false).is_some()
        }
    }

    fn address(&mut self) -> bool {
        self.skip_space();
        if self.s.is_empty() {
            return false;
        }
        if self.addr_spec() {
            self.skip_space();
            if self.s.starts_with('(') {
                return self.comment();
            }
            return true;
        }
        if !self.s.starts_with('<') {
            // The display name: words (atoms, dots allowed, or quoted).
            let mut words = 0;
            loop {
                if words > 0 && !self.skip_cfws() {
                    return false;
                }
                self.skip_space();
                if self.s.is_empty() {
                    break;
                }
                let word = if self.s.starts_with('"') {
                    self.quoted_string().is_some()
                } else {
                    self.atom(true).is_some()
                };
                if !word {
                    break;
                }
                words += 1;
            }
            if words == 0 {
                return false;
            }
        }
        self.skip_space();
        self.consume('<') && self.addr_spec() && self.consume('>')
    }
}

/// What Go's `url.Parse` makes of `s`, if it takes it: the scheme and the
/// (unescaped) path.
fn go_url(s: &str) -> Option<(String, String)> {
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    unescape(fragment)?;
    if rest == "*" {
        return Some((String::new(), "*".to_string()));
    }
    let mut scheme = "";
    let mut rest = rest;
    for (i, b) in rest.bytes().enumerate() {
        if b.is_ascii_alphabetic() {
            continue;
        }
        if b.is_ascii_digit() || b"+-.".contains(&b) {
            if i == 0 {
                break;
            }
            continue;
        }
        if b == b':' {
            if i == 0 {
                return None;
            }
            scheme = &rest[..i];
            rest = &rest[i + 1..];
        }
        break;
    }
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            return Some((scheme.to_ascii_lowercase(), String::new()));
        }
        if rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
            return None;
        }
    }
    let mut path = rest;
    if (!scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        path = &after[end..];
        let host = match authority.rfind('@') {
            Some(i) => {
                let user = &authority[..i];
                if !user
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b))
                {
                    return None;
                }
                &authority[i + 1..]
            }
            None => authority,
        };
        let port_ok = |port: &str| {
            port.is_empty()
                || port
                    .strip_prefix(':')
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
        };
        if host.starts_with('[') {
            let i = host.rfind(']')?;
            if !port_ok(&host[i + 1..]) {
                return None;
            }
        } else if let Some(i) = host.rfind(':')
            && !port_ok(&host[i..])
        {
            return None;
        }
        let host_ok = host.bytes().all(|b| {
            b >= 0x80 || b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"%".contains(&b)
        });
        if !host_ok {
            return None;
        }
        unescape(host)?;
    }
    Some((scheme.to_ascii_lowercase(), unescape(path)?))
}

/// `%XX` sequences decoded; None where one is malformed.
fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = (*b.get(i + 1)? as char).to_digit(16)?;
            let l = (*b.get(i + 2)? as char).to_digit(16)?;
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

// ---------------------------------------------------------------------------
// The meta-schemas of drafts 4, 6 and 7 (json-schema.org's), which
// gojsonschema answers a `$ref` to without fetching them.

const META_SCHEMAS: [(Draft, &str, &str); 3] = [
    (
        DRAFT4,
        "http://json-schema.org/draft-04/schema",
        DRAFT4_META,
    ),
    (
        DRAFT6,
        "http://json-schema.org/draft-06/schema",
        DRAFT6_META,
    ),
    (
        DRAFT7,
        "http://json-schema.org/draft-07/schema",
        DRAFT7_META,
    ),
];

const DRAFT4_META: &str = r##"{"id":"http://json-schema.org/draft-04/schema#","$schema":"http://json-schema.org/draft-04/schema#","description":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"positiveInteger":{"type":"integer","minimum":0},"positiveIntegerDefault0":{"allOf":[{"$ref":"#/definitions/positiveInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"minItems":1,"uniqueItems":true}},"type":"object","properties":{"id":{"type":"string"},"$schema":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"default":{},"multipleOf":{"type":"number","minimum":0,"exclusiveMinimum":true},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"boolean","default":false},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"boolean","default":false},"maxLength":{"$ref":"#/definitions/positiveInteger"},"minLength":{"$ref":"#/definitions/positiveIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"anyOf":[{"type":"boolean"},{"$ref":"#"}],"default":{}},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":{}},"maxItems":{"$ref":"#/definitions/positiveInteger"},"minItems":{"$ref":"#/definitions/positiveIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"maxProperties":{"$ref":"#/definitions/positiveInteger"},"minProperties":{"$ref":"#/definitions/positiveIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"anyOf":[{"type":"boolean"},{"$ref":"#"}],"default":{}},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"enum":{"type":"array","minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"format":{"type":"string"},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"}},"dependencies":{"exclusiveMaximum":["maximum"],"exclusiveMinimum":["minimum"]},"default":{}}"##;

const DRAFT6_META: &str = r##"{"$schema":"http://json-schema.org/draft-06/schema#","$id":"http://json-schema.org/draft-06/schema#","title":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"allOf":[{"$ref":"#/definitions/nonNegativeInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}},"type":["object","boolean"],"properties":{"$id":{"type":"string","format":"uri-reference"},"$schema":{"type":"string","format":"uri"},"$ref":{"type":"string","format":"uri-reference"},"title":{"type":"string"},"description":{"type":"string"},"default":{},"examples":{"type":"array","items":{}},"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/definitions/nonNegativeInteger"},"minLength":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"$ref":"#"},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":{}},"maxItems":{"$ref":"#/definitions/nonNegativeInteger"},"minItems":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"contains":{"$ref":"#"},"maxProperties":{"$ref":"#/definitions/nonNegativeInteger"},"minProperties":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"$ref":"#"},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"propertyNames":{"$ref":"#"},"const":{},"enum":{"type":"array","minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"format":{"type":"string"},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"}},"default":{}}"##;

const DRAFT7_META: &str = r##"{"$schema":"http://json-schema.org/draft-07/schema#","$id":"http://json-schema.org/draft-07/schema#","title":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"allOf":[{"$ref":"#/definitions/nonNegativeInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}},"type":["object","boolean"],"properties":{"$id":{"type":"string","format":"uri-reference"},"$schema":{"type":"string","format":"uri"},"$ref":{"type":"string","format":"uri-reference"},"$comment":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"default":true,"readOnly":{"type":"boolean","default":false},"examples":{"type":"array","items":true},"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/definitions/nonNegativeInteger"},"minLength":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"$ref":"#"},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":true},"maxItems":{"$ref":"#/definitions/nonNegativeInteger"},"minItems":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"contains":{"$ref":"#"},"maxProperties":{"$ref":"#/definitions/nonNegativeInteger"},"minProperties":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"$ref":"#"},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"propertyNames":{"format":"regex"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"propertyNames":{"$ref":"#"},"const":true,"enum":{"type":"array","items":true,"minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"format":{"type":"string"},"contentMediaType":{"type":"string"},"contentEncoding":{"type":"string"},"if":{"$ref":"#"},"then":{"$ref":"#"},"else":{"$ref":"#"},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"}},"default":true}"##;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The builtin's answer on JSON texts, as JSON.
    fn answer(name: &str, args: &[&str]) -> Result<serde_json::Value, String> {
        let args: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
        call(name, &args)
            .map(|v| crate::engine::convert::to_json(&v).unwrap().unwrap())
            .map_err(|e| e.to_string())
    }

    fn matched(document: &str, schema: &str) -> serde_json::Value {
        answer("json.match_schema", &[document, schema]).unwrap()
    }

    fn error(field: &str, kind: &str, desc: &str) -> serde_json::Value {
        json!({"desc": desc, "error": format!("{field}: {desc}"), "field": field, "type": kind})
    }

    /// Every answer below is OPA 1.20.2's.
    #[test]
    fn matches_and_mismatches_as_opa() {
        assert_eq!(
            matched(r#"{"a": "x"}"#, r#"{"type": "object"}"#),
            json!([true, []])
        );
        assert_eq!(
            matched(
                r#"{"a": 1}"#,
                r#"{"type": "object", "properties": {"a": {"type": "string"}}}"#
            ),
            json!([
                false,
                [error(
                    "a",
                    "invalid_type",
                    "Invalid type. Expected: string, given: integer"
                )]
            ])
        );
        // Required first, then the properties; nested fields joined by dots.
        assert_eq!(
            matched(
                r#"{"b": 1, "n": {"a": [{"b": 1}]}}"#,
                r#"{"required": ["a", "b", "c"], "properties": {"b": {"type": ["string", "null"]},
                   "n": {"properties": {"a": {"items": {"properties": {"b": {"type": "string"}}}}}}}}"#
            ),
            json!([
                false,
                [
                    error("(Root)", "required", "a is required"),
                    error("(Root)", "required", "c is required"),
                    error(
                        "b",
                        "invalid_type",
                        "Invalid type. Expected: [string,null], given: integer"
                    ),
                    error(
                        "n.a.0.b",
                        "invalid_type",
                        "Invalid type. Expected: string, given: integer"
                    ),
                ]
            ])
        );
        // anyOf reports the branch that scored best.
        assert_eq!(
            matched(
                r#"{"a": 1, "b": "x", "c": 3}"#,
                r#"{"anyOf": [{"required": ["z"]},
                    {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
                    {"properties": {"c": {"type": "string"}}, "required": ["a", "b"]}]}"#
            ),
            json!([
                false,
                [
                    error(
                        "(Root)",
                        "number_any_of",
                        "Must validate at least one schema (anyOf)"
                    ),
                    error(
                        "c",
                        "invalid_type",
                        "Invalid type. Expected: string, given: integer"
                    ),
                ]
            ])
        );
        // Numbers as Go prints a big.Float; values as Go's json.Marshal.
        assert_eq!(
            matched(
                "1e30",
                r#"{"maximum": 12345678901.5, "minimum": 1e40, "exclusiveMaximum": 0.00001}"#
            ),
            json!([
                false,
                [
                    error(
                        "(Root)",
                        "number_lte",
                        "Must be less than or equal to 1.23456789015e+10"
                    ),
                    error("(Root)", "number_lt", "Must be less than 1e-05"),
                    error(
                        "(Root)",
                        "number_gte",
                        "Must be greater than or equal to 1e+40"
                    ),
                ]
            ])
        );
        assert_eq!(
            matched(
                r#""x\ty""#,
                r#"{"enum": ["x\u0001y", "<q>", null, 1e21, 1e-7, 0.1, 123456789012345678]}"#
            ),
            json!([
                false,
                [error(
                    "(Root)",
                    "enum",
                    r#"(Root) must be one of the following: "x\u0001y", "\u003cq\u003e", null, 1e+21, 1e-7, 0.1, 123456789012345680"#
                )]
            ])
        );
        assert_eq!(
            matched(
                r#"[{"a": 1, "b": 2}, {"b": 2, "a": 1.0}, 1, 1, 1]"#,
                r#"{"uniqueItems": true, "contains": {"type": "string"}}"#
            ),
            json!([
                false,
                [
                    error("(Root)", "unique", "array items[0,1] must be unique"),
                    error("(Root)", "unique", "array items[2,3] must be unique"),
                    error("(Root)", "unique", "array items[3,4] must be unique"),
                    error("(Root)", "contains", "At least one of the items must match"),
                    error(
                        "0",
                        "invalid_type",
                        "Invalid type. Expected: string, given: object"
                    ),
                ]
            ])
        );
    }

    #[test]
    fn references_as_opa() {
        let schema = r##"{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"type": "integer"}},
            "properties": {"x": {"$ref": "#/definitions/a", "type": "string"}, "y": {"$ref": "#"}}}"##;
        assert_eq!(
            matched(r#"{"x": "s", "y": {"y": {"x": 1.5}}}"#, schema),
            json!([
                false,
                [
                    error(
                        "x",
                        "invalid_type",
                        "Invalid type. Expected: integer, given: string"
                    ),
                    error(
                        "y.y.x",
                        "invalid_type",
                        "Invalid type. Expected: integer, given: number"
                    ),
                ]
            ])
        );
        // The draft meta-schemas are known without fetching them.
        assert_eq!(
            matched(
                r#"{"minLength": -1}"#,
                r##"{"$ref": "http://json-schema.org/draft-07/schema#"}"##
            ),
            json!([
                false,
                [
                    error(
                        "minLength",
                        "number_gte",
                        "Must be greater than or equal to 0"
                    ),
                    error(
                        "minLength",
                        "number_all_of",
                        "Must validate all the schemas (allOf)"
                    ),
                ]
            ])
        );
        let verify = |schema: &str| answer("json.verify_schema", &[schema]).unwrap();
        assert_eq!(
            verify(r##"{"$ref": "#/definitions/s"}"##),
            json!([false, "jsonschema: Object has no key 'definitions'"])
        );
        assert_eq!(
            verify(r#"{"$ref": "other.json"}"#),
            json!([false, "jsonschema: Reference /other.json must be canonical"])
        );
        // Gavel fetches nothing.
        assert_eq!(
            verify(r#"{"$ref": "https://example.com/s.json"}"#),
            json!([
                false,
                "jsonschema: remote reference loading disabled: https://example.com/s.json"
            ])
        );
        // A schema that refers to itself without end is an error (OPA's
        // stack overflows).
        let looping = answer(
            "json.match_schema",
            &["1", r##"{"allOf": [{"$ref": "#"}]}"##],
        );
        assert!(looping.unwrap_err().contains("refers to itself"));
    }

    #[test]
    fn schema_errors_as_opa() {
        let verify = |schema: &str| answer("json.verify_schema", &[schema]).unwrap();
        assert_eq!(verify(r#"{"type": "object"}"#), json!([true, null]));
        assert_eq!(verify("true"), json!([true, null]));
        for (schema, message) in [
            (
                r#"{"type": "foo"}"#,
                "has a primitive type that is NOT VALID -- given: /foo/ Expected valid values are:[array boolean integer number null object string]",
            ),
            ("{", "invalid JSON string"),
            ("5", "schema is invalid"),
            (
                r#"{"definitions": 1}"#,
                "Invalid type. Expected: Array Of Schemas, given: definitions",
            ),
            (
                r#"{"items": 1}"#,
                "Invalid type. Expected: Valid Schema/Array Of Schemas, given: items",
            ),
            (
                r#"{"oneOf": [1]}"#,
                "Expected: Valid Schema, given: Invalid JSON",
            ),
            (r#"{"minimum": "1"}"#, "minimum must be of a Number"),
            (
                r#"{"exclusiveMinimum": true}"#,
                "exclusiveMinimum cannot be used without minimum",
            ),
            (
                r#"{"exclusiveMinimum": "x"}"#,
                "Invalid type. Expected: boolean/number, given: exclusiveMinimum",
            ),
            (r#"{"minLength": 1.5}"#, "minLength must be of an integer"),
            (
                r#"{"minLength": 3, "maxLength": 2}"#,
                "minLength cannot be greater than maxLength",
            ),
            (r#"{"pattern": "^(?!x)"}"#, "pattern must be a valid regex"),
            (
                r#"{"patternProperties": {"(": {}}}"#,
                "Invalid regex pattern '('",
            ),
            (r#"{"properties": 1}"#, "Properties must be of type object"),
            (
                r#"{"dependencies": {"a": [1]}}"#,
                "Dependency must be of type Schema Or Array Of Strings",
            ),
            (
                r#"{"required": ["a", "a"]}"#,
                "required items must be unique",
            ),
            (r#"{"enum": [1, 1.0]}"#, "enum items must be unique"),
            (r#"{"if": 1}"#, "if must be of an object"),
            (r#"{"$schema": 1}"#, "$schema must be of type string"),
            (
                r##"{"$schema": "http://json-schema.org/draft-04/schema#", "items": true}"##,
                "Expected: Valid Schema, given: Invalid JSON",
            ),
            (
                r##"{"$schema": "http://json-schema.org/draft-06/schema#", "exclusiveMinimum": true}"##,
                "Invalid type. Expected: number, given: exclusiveMinimum",
            ),
        ] {
            assert_eq!(
                verify(schema),
                json!([false, format!("jsonschema: {message}")]),
                "{schema}"
            );
        }
        // match_schema: the same words, as the call's error.
        assert_eq!(
            answer("json.match_schema", &["{}", r#"{"type": "foo"}"#]).unwrap_err(),
            "json.match_schema: has a primitive type that is NOT VALID -- given: /foo/ Expected valid values are:[array boolean integer number null object string]"
        );
        let wrong = call("json.match_schema", &[Value::from(1u64), Value::from("{}")]);
        assert_eq!(
            wrong.unwrap_err().to_string(),
            "json.match_schema: wrong type, expected string or object"
        );
    }

    #[test]
    fn formats_as_go_reads_them() {
        let failing = |format: &str, values: &[&str]| -> Vec<String> {
            values
                .iter()
                .filter(|v| !is_format(format, v))
                .map(|v| v.to_string())
                .collect()
        };
        assert_eq!(
            failing(
                "date-time",
                &[
                    "2020-01-01T10:00:00Z",
                    "2020-01-01T1:00:00.5+02:00",
                    "10:00:00",
                    "2020-02-29",
                    "2021-02-29",
                    "2020-01-01t10:00:00Z",
                    "2020-01-01T10:00:60Z",
                    "2020-01-01 10:00:00Z"
                ]
            ),
            [
                "2021-02-29",
                "2020-01-01t10:00:00Z",
                "2020-01-01T10:00:60Z",
                "2020-01-01 10:00:00Z"
            ]
        );
        assert_eq!(
            failing(
                "email",
                &[
                    "a@b",
                    "A <a@b.c>",
                    "\"x y\"@b.c",
                    "a@[1.2.3.4]",
                    "a@[x]",
                    "a..b@c",
                    "a b@c",
                    "a@b (c)"
                ]
            ),
            ["a@[x]", "a..b@c", "a b@c"]
        );
        assert_eq!(
            failing("ipv4", &["1.2.3.4", "::ffff:1.2.3.4", "01.2.3.4", "::1"]),
            ["01.2.3.4", "::1"]
        );
        assert_eq!(
            failing(
                "uri",
                &[
                    "http://a.b/c",
                    "mailto:x@y",
                    "a.b/c",
                    "http://a b/",
                    "http://a/%zz",
                    "http://a/\\b"
                ]
            ),
            ["a.b/c", "http://a b/", "http://a/%zz", "http://a/\\b"]
        );
        assert_eq!(
            failing("hostname", &["a.b", "-a.b", "a_b", "xn--bcher-kva.example"]),
            ["-a.b", "a_b"]
        );
        assert!(is_format("no-such-format", "x"));
    }

    #[test]
    fn numbers_as_go_prints_them() {
        let big = |t: &str| Dec::parse(t).unwrap().go_big_float();
        assert_eq!(big("100"), "100");
        assert_eq!(big("1000000"), "1e+06");
        assert_eq!(big("999999.5"), "999999.5");
        assert_eq!(big("0.0001"), "0.0001");
        assert_eq!(big("-0.00001234"), "-1.234e-05");
        assert_eq!(
            big("12345678901234567890123"),
            "1.2345678901234567890123e+22"
        );
        assert_eq!(big("-0.0"), "0");
        let float = |t: &str| go_float(&Dec::parse(t).unwrap()).unwrap();
        assert_eq!(float("1.0"), "1");
        assert_eq!(float("1e21"), "1e+21");
        assert_eq!(float("1e-7"), "1e-7");
        assert_eq!(float("0.000001"), "0.000001");
        let multiple = |a: &str, m: &str| {
            Dec::parse(a)
                .unwrap()
                .is_multiple_of(&Dec::parse(m).unwrap())
        };
        assert!(multiple("0.3", "0.1") && multiple("1e30", "0.01") && multiple("0", "7"));
        assert!(!multiple("0.015", "0.01") && !multiple("2.5", "5") && !multiple("1e-10", "0.1"));
    }

    /// The bytecode VM answers with Gavel's builtins too.
    #[test]
    fn the_vm_answers_as_the_interpreter() {
        use crate::bundle::Bundle;
        use crate::engine::fast::FastEvaluator;
        use crate::engine::{LoadOptions, LoadedPolicy};
        let text =
            "package p\nr := [json.match_schema(input.d, input.s), json.verify_schema(input.s)]\n";
        let b = Bundle::from_texts([("p.rego".to_string(), text.to_string())]).unwrap();
        let policy = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let program = policy
            .compile_fast(&b, "p/r", std::time::Duration::from_secs(5))
            .expect("compiles");
        let mut vm = FastEvaluator::new(&program).unwrap();
        let input = json!({"d": {"a": 1}, "s": {"properties": {"a": {"type": "string"}}}});
        let want = json!([
            [
                false,
                [error(
                    "a",
                    "invalid_type",
                    "Invalid type. Expected: string, given: integer"
                )]
            ],
            [true, null]
        ]);
        assert_eq!(
            policy.evaluate_result("p/r", &input, 1).unwrap(),
            Some(want.clone())
        );
        assert_eq!(vm.eval(&input, 1), Some(Some(want)));
    }
}
