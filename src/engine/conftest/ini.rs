//! INI as conftest's `parser/ini` reads it: go-ini's `ini.Load` with its
//! default options, then each section but `DEFAULT` (which holds the keys
//! written before any section) as an object of its keys, each value a
//! number when Go's `strconv.ParseFloat` reads it, else a boolean when
//! `strconv.ParseBool` does (`t`, `F`, `TRUE`, ...; `1` and `0` are
//! numbers first), else the string.
//!
//! go-ini's defaults, as read here: `=` or `:` ends a key (a key may be
//! quoted with `"` or `` ` ``); a line starting with `#` or `;` is a
//! comment; an unquoted value ends at the first `#` or `;` and loses one
//! pair of surrounding quotes (`"x"` or `'x'`, when it holds no other);
//! a value ending in `\` continues on the next line; a value in `"""` or
//! `` ` `` is taken as written, over several lines if need be; `[name]`
//! starts a section (its name as written between the brackets), a
//! section or key written again adds to it or replaces it; a key `-` is
//! numbered (`#1`, `#2`, ... in each section).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = super::text(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let sections = load(text).map_err(|e| format!("read ini file: {e}"))?;
    let mut out = Map::new();
    for (name, keys) in sections {
        if name == "DEFAULT" {
            continue;
        }
        let mut section = Map::new();
        for (k, v) in keys {
            section.insert(k, typed(&v)?);
        }
        out.insert(name, Value::Object(section));
    }
    Ok(Value::Object(out))
}

/// conftest's `convertKeyTypes` of one value.
fn typed(v: &str) -> Result<Value, String> {
    if let Some(f) = go_parse_float(v) {
        if !f.is_finite() {
            let shown = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(format!(
                "marshal ini to json: json: unsupported value: {shown}"
            ));
        }
        return Ok(super::go_float(f));
    }
    Ok(match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Value::Bool(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Value::Bool(false),
        _ => Value::String(v.to_string()),
    })
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text, `inf`/`infinity`/
/// `nan` (a value out of range is an error there, so not a number).
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let special = matches!(
        body.to_ascii_lowercase().as_str(),
        "inf" | "infinity" | "nan"
    );
    if !special
        && (body.is_empty()
            || !body
                .bytes()
                .all(|b| b.is_ascii_digit() || b"eE.+-".contains(&b)))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    (special || f.is_finite()).then_some(f)
}

/// Sections and their keys, by name.
type Sections = BTreeMap<String, BTreeMap<String, String>>;

struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Lines<'a> {
    /// The next line with its `\n`, as go-ini's `readUntil('\n')`.
    fn next_line(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let end = self.rest.find('\n').map_or(self.rest.len(), |i| i + 1);
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(line)
    }
}

fn load(text: &str) -> Result<Sections, String> {
    let mut sections: Sections = BTreeMap::new();
    let mut current = "DEFAULT".to_string();
    sections.entry(current.clone()).or_default();
    let mut counter = 1;
    let mut lines = Lines { rest: text };
    while let Some(raw) = lines.next_line() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            let Some(close) = line.rfind(']') else {
                return Err(format!("unclosed section: {line}"));
            };
            let name = &line[1..close];
            if name.is_empty() {
                return Err("empty section name".to_string());
            }
            current = name.to_string();
            sections.entry(current.clone()).or_default();
            counter = 1;
            continue;
        }
        let (mut key, offset) = key_name(line)?;
        if key == "-" {
            key = format!("#{counter}");
            counter += 1;
        }
        let value = value(&line[offset..], &mut lines)?;
        sections
            .entry(current.clone())
            .or_default()
            .insert(key, value);
    }
    Ok(sections)
}

/// go-ini's `readKeyName` with the delimiters `=:`: the key and where its
/// value starts.
fn key_name(line: &str) -> Result<(String, usize), String> {
    let shown = line.trim_end_matches(['\r', '\n']);
    let quote = if line.starts_with('"') {
        if line.len() > 6 && line.starts_with("\"\"\"") {
            "\"\"\""
        } else {
            "\""
        }
    } else if line.starts_with('`') {
        "`"
    } else {
        ""
    };
    if !quote.is_empty() {
        let start = quote.len();
        let Some(pos) = line[start..].find(quote) else {
            return Err(format!("missing closing key quote: {shown}"));
        };
        let pos = pos + start;
        let Some(i) = line[pos + start..].find(['=', ':']) else {
            return Err(format!("key-value delimiter not found: {shown}"));
        };
        return Ok((line[start..pos].trim().to_string(), pos + i + start + 1));
    }
    match line.find(['=', ':']) {
        None => Err(format!("key-value delimiter not found: {shown}")),
        Some(0) => Err(format!("empty key name: {shown}")),
        Some(i) => Ok((line[..i].trim().to_string(), i + 1)),
    }
}

fn surrounded(s: &str, q: char) -> bool {
    s.len() >= 2 && s.starts_with(q) && s.ends_with(q) && s.matches(q).count() == 2
}

/// go-ini's `readValue` with its default options.
fn value(input: &str, lines: &mut Lines) -> Result<String, String> {
    let line = input.trim_start();
    if line.is_empty() {
        return Ok(String::new());
    }
    let quote = if line.len() > 3 && line.starts_with("\"\"\"") {
        "\"\"\""
    } else if line.starts_with('`') {
        "`"
    } else {
        ""
    };
    if !quote.is_empty() {
        let start = quote.len();
        return match line[start..].rfind(quote) {
            Some(pos) => Ok(line[start..start + pos].to_string()),
            None => multiline(line, &line[start..], quote, lines),
        };
    }
    let mut line = line.trim().to_string();
    if line.ends_with('\\') {
        line.pop();
        return Ok(continued(line, lines));
    }
    if let Some(i) = line.find(['#', ';']) {
        line = line[..i].trim().to_string();
    }
    if surrounded(&line, '\'') || surrounded(&line, '"') {
        line = line[1..line.len() - 1].to_string();
    }
    Ok(line)
}

/// go-ini's `readMultilines`: up to the line holding the closing quote.
fn multiline(first: &str, start: &str, quote: &str, lines: &mut Lines) -> Result<String, String> {
    let mut val = start.to_string();
    loop {
        let Some(next) = lines.next_line() else {
            return Err(format!(
                "missing closing key quote from {:?} to {:?}",
                first, ""
            ));
        };
        if let Some(pos) = next.rfind(quote) {
            val.push_str(&next[..pos]);
            return Ok(val);
        }
        val.push_str(next);
        if lines.rest.is_empty() {
            return Err(format!(
                "missing closing key quote from {first:?} to {next:?}"
            ));
        }
    }
}

/// go-ini's `readContinuationLines`.
fn continued(mut val: String, lines: &mut Lines) -> String {
    while let Some(data) = lines.next_line() {
        let next = data.trim();
        if next.is_empty() {
            break;
        }
        val.push_str(next);
        if !val.ends_with('\\') {
            break;
        }
        val.pop();
    }
    val
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// conftest's `parser/ini/ini_test.go` sample and type cases.
    #[test]
    fn conftests_ini_tests() {
        let sample = "[Local Variables]\n\tName=name\n\tTitle=title\n\tVisibility=show/hide\n\tDelay=10\n\n\n\t[Navigation Controls]\n\tOnNext=node path\n\tHelp=help file\n\n\t# Test comment";
        assert_eq!(
            parse(sample.as_bytes()).unwrap(),
            json!({
                "Local Variables": {"Name": "name", "Title": "title", "Visibility": "show/hide", "Delay": 10},
                "Navigation Controls": {"OnNext": "node path", "Help": "help file"}
            })
        );
        assert_eq!(typed("3.0").unwrap(), json!(3));
        assert_eq!(typed("conftest").unwrap(), json!("conftest"));
        assert_eq!(typed("true").unwrap(), json!(true));
    }

    #[test]
    fn go_ini_defaults() {
        let got = parse(
            b"top = dropped\n[s]\na = 1 ; comment\nb: \"quoted\"\nc = http://x/#frag\nd = t\ne = 1\nf = long \\\n  value\ng = `raw ; kept`\n\"k k\" = v\n- = first\n- = second\nh = 1e3\ni = 0x10\n[s]\nj = again\n",
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"s": {
                "a": 1, "b": "quoted", "c": "http://x/", "d": true, "e": 1,
                "f": "long value", "g": "raw ; kept", "k k": "v",
                "#1": "first", "#2": "second", "h": 1000, "i": "0x10", "j": "again"
            }})
        );
        assert_eq!(
            parse(b"[s]\nnokey\n").unwrap_err(),
            "read ini file: key-value delimiter not found: nokey"
        );
        assert!(
            parse(b"[s]\nx = nan\n")
                .unwrap_err()
                .contains("unsupported value: NaN")
        );
    }
}
