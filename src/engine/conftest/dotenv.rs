//! dotenv as conftest's `parser/dotenv` reads it: subosito/gotenv's
//! `StrictParse`, an object of strings.
//!
//! gotenv's rules, as read here: `KEY=value`, `KEY: value` and `export
//! KEY=value` (a key of letters, digits, `_` and `.`); a `#` starts a
//! comment outside quotes; `'...'` is taken as written, `"..."` reads
//! `\n`, `\r` and other backslash escapes; a quoted value may span lines;
//! `$VAR` and `${VAR}` (upper-case names) expand in unquoted and
//! double-quoted values, `\$` keeps the dollar. A line of another form is
//! an error.
//!
//! Unlike gotenv, a variable expands from the keys defined before it in
//! the file only, never from the process environment (unknown: empty), so
//! that an evaluation depends on its inputs alone.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// gotenv's `linePattern` (Go's `\s` and `\w` are ASCII).
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\A[\t\n\f\r ]*(?:export[\t\n\f\r ]+)?([0-9A-Za-z_.]+)(?:[\t\n\f\r ]*=[\t\n\f\r ]*|:[\t\n\f\r ]+?)('(?:'|[^'])*'|"(?:"|[^"])*"|[^#\n]+)?[\t\n\f\r ]*(?:[\t\n\f\r ]*#.*)?\z"#,
    )
    .expect("gotenv's line pattern")
});
static UNESCAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\([^$])").expect("gotenv's unescape pattern"));
static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\\)?(\$)(\{?([A-Z0-9_]+)?\}?)").expect("gotenv's variable pattern")
});
static VAR_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\$)(\{?([A-Z0-9_]+)\}?)").expect("gotenv's variable name pattern")
});

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = super::text(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let env = strict_parse(text).map_err(|e| format!("read .env file: {e}"))?;
    Ok(Value::Object(
        env.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    ))
}

/// gotenv's `splitLines`: on CR, LF or CRLF.
fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\r', '\n']) {
            None => {
                out.push(rest);
                break;
            }
            Some(i) => {
                out.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
        }
    }
    out
}

fn strict_parse(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    let lines = split_lines(text);
    let mut i = 0;
    while i < lines.len() {
        let mut line = lines[i].trim().to_string();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut quote: Option<char> = None;
        let idx = line.find('=').or_else(|| line.find(':'));
        if let Some(idx) = idx
            && idx > 0
            && idx < line.len() - 1
        {
            let val = line[idx + 1..].trim();
            if let Some(q @ ('"' | '\'')) = val.chars().next() {
                quote = Some(q);
                // gotenv looks for the closing quote in the value less its
                // first byte, then checks the byte at that index of the
                // whole value.
                if let Some(j) = val[1..].trim().rfind(q)
                    && val.as_bytes().get(j) != Some(&b'\\')
                {
                    quote = None;
                }
            }
        }
        while let Some(q) = quote {
            let Some(l) = lines.get(i) else { break };
            i += 1;
            line.push('\n');
            line.push_str(l);
            match l.rfind(q) {
                Some(j) if j > 0 && l.as_bytes()[j - 1] == b'\\' => continue,
                Some(_) => quote = None,
                None => {}
            }
        }
        if quote.is_some() {
            return Err("missing quotes".to_string());
        }
        parse_line(&line, &mut env)?;
    }
    Ok(env)
}

fn parse_line(s: &str, env: &mut BTreeMap<String, String>) -> Result<(), String> {
    let Some(m) = LINE.captures(s) else {
        let st = s.trim();
        if st.is_empty() || st.starts_with('#') {
            return Ok(());
        }
        if st.starts_with("export")
            && let Some((_, name)) = st.split_once(' ')
            && !env.contains_key(name)
        {
            return Err(format!("line `{st}` has an unset variable"));
        }
        return Err(format!("line `{s}` doesn't match format"));
    };
    let key = m.get(1).map_or("", |x| x.as_str()).trim().to_string();
    let mut val = m.get(2).map_or("", |x| x.as_str()).trim().to_string();
    let (mut single, mut double) = (false, false);
    if val.len() >= 2 {
        double = val.starts_with('"') && val.ends_with('"');
        single = val.starts_with('\'') && val.ends_with('\'');
        if single || double {
            val = val[1..val.len() - 1].to_string();
        }
    }
    if double {
        val = val.replace("\\n", "\n").replace("\\r", "\r");
        val = UNESCAPE.replace_all(&val, "$1").into_owned();
    }
    if !single {
        val = VARIABLE
            .replace_all(&val, |c: &regex::Captures| {
                let s = &c[0];
                if let Some(rest) = s.strip_prefix('\\') {
                    return rest.to_string();
                }
                match VAR_NAME.captures(s) {
                    None => s.to_string(),
                    Some(n) => env.get(&n[3]).cloned().unwrap_or_default(),
                }
            })
            .into_owned();
    }
    env.insert(key, val);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// conftest's `parser/dotenv/dotenv_test.go` sample.
    #[test]
    fn conftests_dotenv_test() {
        let sample = "MYSQL_HOST_PORT=3307\n\tMYSQL_IT_HOST_PORT=3308\n\tMYSQL_ROOT_PASSWORD=root\n\tMYSQL_DATABASE=root\n\tMYSQL_USER=root\n\tMYSQL_PASSWORD=root";
        assert_eq!(
            parse(sample.as_bytes()).unwrap(),
            json!({
                "MYSQL_HOST_PORT": "3307", "MYSQL_IT_HOST_PORT": "3308",
                "MYSQL_ROOT_PASSWORD": "root", "MYSQL_DATABASE": "root",
                "MYSQL_USER": "root", "MYSQL_PASSWORD": "root"
            })
        );
    }

    /// Cases after gotenv's own tests (`gotenv_test.go`'s formats).
    #[test]
    fn gotenv_formats() {
        let got = parse(
            b"# comment\nexport A=1\nB: two\nC = 'single $A'\nD=\"line\\nbreak $A\"\nE=${A}x # trailing\nF=\\$A\nG=\"multi\nline\"\nH=\nI=$UNSET.\n",
        )
        .unwrap();
        assert_eq!(
            got,
            json!({
                "A": "1", "B": "two", "C": "single $A", "D": "line\nbreak 1",
                "E": "1x", "F": "$A", "G": "multi\nline", "H": "", "I": "."
            })
        );
        assert_eq!(
            parse(b"not a line\n").unwrap_err(),
            "read .env file: line `not a line` doesn't match format"
        );
        assert_eq!(
            parse(b"A=\"open\n").unwrap_err(),
            "read .env file: missing quotes"
        );
    }
}
