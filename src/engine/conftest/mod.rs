//! conftest's configuration parsers (its `parser/` packages), one file per
//! format, each giving the document conftest gives a policy: the value its
//! Go parser unmarshals into `any`, as OPA's `ast.InterfaceToValue` makes a
//! Rego value of it. Most of conftest's parsers go through Go's
//! `encoding/json`, so their numbers are `float64`: [`go_float`] gives such
//! a number as Rego holds it.

mod dotenv;
mod hcl2;
mod ini;
mod properties;
mod toml;
mod xml;
mod yaml;

use serde_json::Value;

/// A conftest parser Gavel has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Jsonc,
    Toml,
    Hcl2,
    Ini,
    Dotenv,
    Properties,
    Xml,
}

/// conftest's parser names (`parser.Parsers()` and `New`) that Gavel does
/// not parse.
const NOT_HERE: &[&str] = &[
    "cue",
    "cyclonedx",
    "dockerfile",
    "edn",
    "groovy",
    "hcl1",
    "hocon",
    "ignore",
    "jsonnet",
    "nginx",
    "spdx",
    "textproto",
    "vcl",
];

/// The names of the parsers Gavel has.
pub const PARSERS: &[&str] = &[
    "yaml",
    "json",
    "jsonc",
    "toml",
    "hcl2",
    "ini",
    "dotenv",
    "properties",
    "xml",
];

impl Format {
    /// The parser conftest's `parser.New` gives for a name.
    pub fn named(name: &str) -> Result<Format, String> {
        Ok(match name {
            "yaml" => Format::Yaml,
            "json" => Format::Json,
            "jsonc" => Format::Jsonc,
            "toml" => Format::Toml,
            "hcl2" => Format::Hcl2,
            "ini" => Format::Ini,
            "dotenv" => Format::Dotenv,
            "properties" => Format::Properties,
            "xml" => Format::Xml,
            other if NOT_HERE.contains(&other) => {
                return Err(format!(
                    "conftest's {other} parser is not one Gavel has (it has {})",
                    PARSERS.join(", ")
                ));
            }
            other => return Err(format!("unknown parser: {other}")),
        })
    }

    /// The parser conftest's `parser.NewFromPath` picks for a file.
    pub fn for_path(path: &str) -> Result<Format, String> {
        let base = path.rsplit('/').next().unwrap_or(path);
        let file_name = base.to_lowercase();
        let ext = match base.rfind('.') {
            Some(i) => base[i + 1..].to_lowercase(),
            None => String::new(),
        };
        let named = |n: &str| Format::named(n).map_err(|e| format!("new: {e}"));
        if file_name == "dockerfile" || file_name.starts_with("dockerfile.") || ext == "dockerfile"
        {
            return named("dockerfile");
        }
        match ext.as_str() {
            "yml" | "yaml" => return Ok(Format::Yaml),
            "hcl" | "tf" | "tfvars" => return Ok(Format::Hcl2),
            "gitignore" | "dockerignore" => return named("ignore"),
            _ => {}
        }
        if file_name == ".env" || file_name.starts_with(".env.") || ext == "env" {
            return Ok(Format::Dotenv);
        }
        if file_name == "nginx.conf" {
            return named("nginx");
        }
        if file_name == "jenkinsfile" || file_name.starts_with("jenkinsfile.") {
            return named("groovy");
        }
        if matches!(ext.as_str(), "textproto" | "textpb") {
            return named("textproto");
        }
        named(&ext)
    }

    /// The document conftest's parser gives for these bytes.
    pub fn parse(self, bytes: &[u8]) -> Result<Value, String> {
        match self {
            Format::Yaml => yaml::parse(bytes),
            Format::Json => json(strip_bom(bytes)).map_err(|e| format!("unmarshal json: {e}")),
            Format::Jsonc => json(&strip_jsonc(bytes)).map_err(|e| format!("unmarshal jsonc: {e}")),
            Format::Toml => toml::parse(bytes),
            Format::Hcl2 => hcl2::parse(bytes),
            Format::Ini => ini::parse(bytes),
            Format::Dotenv => dotenv::parse(bytes),
            Format::Properties => properties::parse(bytes),
            Format::Xml => xml::parse(bytes),
        }
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Text as Go reads bytes into a string for parsing: invalid UTF-8 as
/// U+FFFD.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// JSON as Go's `encoding/json` unmarshals it into `any`: every number a
/// `float64`.
fn json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let v: Value = serde_json::from_slice(bytes)?;
    Ok(as_go_json(v))
}

/// Every number of a JSON document made a `float64`, as a round trip
/// through Go's `encoding/json` into `any` makes it.
fn as_go_json(v: Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map_or(Value::Null, go_float),
        Value::Array(items) => Value::Array(items.into_iter().map(as_go_json).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, as_go_json(v))).collect()),
        other => other,
    }
}

/// A Go `float64` as OPA holds it: an integral value as an integer (the
/// same number to Rego), any other as a float. Not finite: null (Go's JSON
/// encoder refuses it; the callers report that first).
pub fn go_float(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// JSON with comments as muhammadmuzzammil1998/jsonc reads it: `//` and
/// `/* */` comments outside strings removed.
fn strip_jsonc(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match (b, bytes.get(i + 1)) {
            (b'"', _) => {
                in_string = true;
                out.push(b);
                i += 1;
            }
            (b'/', Some(b'/')) => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parsers_by_name_as_conftests_new() {
        assert_eq!(Format::named("yaml"), Ok(Format::Yaml));
        assert_eq!(Format::named("dotenv"), Ok(Format::Dotenv));
        // conftest has no aliases.
        assert_eq!(Format::named("yml"), Err("unknown parser: yml".to_string()));
        assert_eq!(Format::named(""), Err("unknown parser: ".to_string()));
        assert!(
            Format::named("cue")
                .unwrap_err()
                .contains("not one Gavel has")
        );
    }

    /// conftest's `parser/parser_test.go` (TestNewFromPath) cases for the
    /// formats Gavel has.
    #[test]
    fn parsers_by_path_as_conftests_new_from_path() {
        for (path, want) in [
            ("file.yaml", Format::Yaml),
            ("file.yml", Format::Yaml),
            ("file.json", Format::Json),
            ("file.JSON", Format::Json),
            ("file.toml", Format::Toml),
            ("main.tf", Format::Hcl2),
            ("terraform.tfvars", Format::Hcl2),
            ("file.hcl", Format::Hcl2),
            ("file.ini", Format::Ini),
            (".env", Format::Dotenv),
            (".env.prod", Format::Dotenv),
            ("prod.env", Format::Dotenv),
            ("dir/app.properties", Format::Properties),
            ("file.xml", Format::Xml),
            ("file.jsonc", Format::Jsonc),
            ("terragrunt.hcl.json", Format::Json),
            ("terragrunt.hcl.jsonc", Format::Jsonc),
        ] {
            assert_eq!(Format::for_path(path), Ok(want), "{path}");
        }
        assert_eq!(
            Format::for_path("file.txt"),
            Err("new: unknown parser: txt".to_string())
        );
        assert_eq!(
            Format::for_path("noext"),
            Err("new: unknown parser: ".to_string())
        );
        assert!(Format::for_path("Dockerfile").is_err());
    }

    /// conftest's `parser/json/json_test.go`: a BOM is skipped; numbers
    /// are Go's float64.
    #[test]
    fn json_as_go_reads_it() {
        let got = Format::Json
            .parse(b"\xEF\xBB\xBF{\"a\": 1, \"b\": [1.5, true, null], \"c\": 9007199254740993}")
            .unwrap();
        assert_eq!(
            got,
            json!({"a": 1, "b": [1.5, true, null], "c": 9007199254740992i64})
        );
        assert!(
            Format::Json
                .parse(b"{")
                .unwrap_err()
                .starts_with("unmarshal json: ")
        );
    }

    #[test]
    fn jsonc_drops_comments() {
        let got = Format::Jsonc
            .parse(b"{\n // a comment\n \"a\": \"x//y\", /* more */ \"b\": 2\n}")
            .unwrap();
        assert_eq!(got, json!({"a": "x//y", "b": 2}));
    }
}
