//! Java properties as conftest's `parser/properties` reads them:
//! magiconair/properties' `LoadString`, then `Map()`: an object of the
//! values as written (its `${key}` references are checked, not expanded).
//!
//! magiconair's lexer, as read here: a line whose first non-blank is `#`
//! or `!` is a comment; a key ends at an unescaped blank, `:` or `=`; then
//! blanks, one `:` or `=`, blanks; the value runs to the end of the line,
//! a `\` before the line's end joining the next line (its leading blanks
//! dropped); `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes, `\` before any
//! other character keeps that character. A key written again replaces the
//! value. A `${` without its `}`, or a circular reference, is an error.

use std::collections::BTreeMap;

use serde_json::Value;

const BLANKS: &[char] = &[' ', '\x0c', '\t'];
const MAX_EXPANSION_DEPTH: usize = 64;

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = super::text(bytes);
    let props = lex(&text).map_err(|e| format!("parse properties file: {e}"))?;
    for value in props.values() {
        check(value, &mut Vec::new(), &props).map_err(|e| format!("parse properties file: {e}"))?;
    }
    Ok(Value::Object(
        props
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    ))
}

fn lex(text: &str) -> Result<BTreeMap<String, String>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = BTreeMap::new();
    let eol = |c: char| c == '\n' || c == '\r';
    // An escape after its backslash: the character it stands for.
    let escape = |chars: &[char], i: &mut usize, buf: &mut String| -> Result<(), String> {
        let Some(&c) = chars.get(*i) else {
            return Err("premature EOF".to_string());
        };
        *i += 1;
        match c {
            'f' => buf.push('\x0c'),
            'n' => buf.push('\n'),
            'r' => buf.push('\r'),
            't' => buf.push('\t'),
            'u' => {
                let hex: String = chars.iter().skip(*i).take(4).collect();
                if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err("invalid unicode literal".to_string());
                }
                *i += 4;
                let code = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                buf.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            other => buf.push(other),
        }
        Ok(())
    };
    while i < chars.len() {
        let c = chars[i];
        if eol(c) || BLANKS.contains(&c) {
            i += 1;
            continue;
        }
        if c == '#' || c == '!' {
            while i < chars.len() && !eol(chars[i]) {
                i += 1;
            }
            continue;
        }
        let mut key = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                i += 1;
                escape(&chars, &mut i, &mut key)?;
            } else if " \x0c\t\r\n:=".contains(c) {
                break;
            } else {
                key.push(c);
                i += 1;
            }
        }
        if key.is_empty() {
            return Err(format!("unexpected value at character {i}"));
        }
        while i < chars.len() && BLANKS.contains(&chars[i]) {
            i += 1;
        }
        if i < chars.len() && (chars[i] == ':' || chars[i] == '=') {
            i += 1;
        }
        while i < chars.len() && BLANKS.contains(&chars[i]) {
            i += 1;
        }
        let mut value = String::new();
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            if c == '\\' {
                if chars.get(i).is_some_and(|&n| eol(n)) {
                    i += 1;
                    while i < chars.len() && BLANKS.contains(&chars[i]) {
                        i += 1;
                    }
                } else {
                    escape(&chars, &mut i, &mut value)?;
                }
            } else if eol(c) {
                break;
            } else {
                value.push(c);
            }
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// magiconair's `expand`, as its `check` runs it: only its errors count.
fn check(s: &str, keys: &mut Vec<String>, values: &BTreeMap<String, String>) -> Result<(), String> {
    if keys.len() > MAX_EXPANSION_DEPTH {
        return Err("expansion too deep".to_string());
    }
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(len) = after.find('}') else {
            return Err("malformed expression".to_string());
        };
        let key = &after[..len];
        if keys.iter().any(|k| k == key) {
            return Err(format!("circular reference in: {}", keys.join(", ")));
        }
        let value = values.get(key).map_or("", String::as_str);
        keys.push(key.to_string());
        check(value, keys, values)?;
        keys.pop();
        rest = &after[len + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// conftest's `parser/properties/properties_test.go` sample.
    #[test]
    fn conftests_properties_test() {
        let sample = "# This is a simle properties file\n    SAMPLE_KEY=https://example.com/\n! some comment=not-a-prop\nmy-property=some-value";
        assert_eq!(
            parse(sample.as_bytes()).unwrap(),
            json!({"SAMPLE_KEY": "https://example.com/", "my-property": "some-value"})
        );
    }

    #[test]
    fn magiconair_lexing() {
        let got = parse(b"a b\nc : d\ne=f \\\n    g\nh\\ i=j\\tk\nl=\\u0041${a}\nempty\n").unwrap();
        assert_eq!(
            got,
            json!({"a": "b", "c": "d", "e": "f g", "h i": "j\tk", "l": "A${a}", "empty": ""})
        );
        assert!(
            parse(b"a=${b\n")
                .unwrap_err()
                .contains("malformed expression")
        );
        assert!(
            parse(b"a=${b}\nb=${a}\n")
                .unwrap_err()
                .contains("circular reference")
        );
    }
}
