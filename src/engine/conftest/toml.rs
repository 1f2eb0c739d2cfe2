//! TOML as conftest's `parser/toml` reads it: BurntSushi/toml into `any`
//! (integers stay `int64`, floats `float64`), made a Rego value by OPA,
//! which writes a date-time as Go's `time.Time` marshals to JSON (RFC 3339
//! with nanoseconds, trailing zeros dropped). BurntSushi gives a local
//! date-time, date or time the zero offset, so they read `...Z`; a local
//! date is at midnight, a local time on `0000-01-01`.

use serde_json::{Map, Value};

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = super::text(bytes);
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: ")
            })
            .unwrap_or_default();
        format!("unmarshal toml: toml: {at}{}", e.message())
    })?;
    convert(toml::Value::Table(table))
}

fn convert(v: toml::Value) -> Result<Value, String> {
    Ok(match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!("unmarshal toml: unsupported value: {f}"));
            }
            super::go_float(f)
        }
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(go_time_json(&d)),
        toml::Value::Array(items) => {
            Value::Array(items.into_iter().map(convert).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(t) => {
            let mut out = Map::new();
            for (k, v) in t {
                out.insert(k, convert(v)?);
            }
            Value::Object(out)
        }
    })
}

/// A TOML date-time as Go's `time.Time.MarshalJSON` writes BurntSushi's
/// value of it.
fn go_time_json(d: &toml::value::Datetime) -> String {
    let (y, mo, da) = d.date.map_or((0, 1, 1), |x| (x.year, x.month, x.day));
    let (h, mi, s, ns) = d
        .time
        .map_or((0, 0, 0, 0), |t| (t.hour, t.minute, t.second, t.nanosecond));
    let mut out = format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}");
    if ns > 0 {
        let frac = format!("{ns:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    match d.offset {
        Some(toml::value::Offset::Custom { minutes }) if minutes != 0 => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let m = minutes.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
        }
        _ => out.push('Z'),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// conftest's `parser/toml/toml_test.go` sample.
    #[test]
    fn conftests_toml_test() {
        let got = parse(
            b"defaultEntryPoints = [\"http\", \"https\"]\n\n[entryPoints]\n\t[entryPoints.http]\n\taddress = \":80\"\n\tcompress = true",
        )
        .unwrap();
        assert_eq!(
            got,
            json!({
                "defaultEntryPoints": ["http", "https"],
                "entryPoints": {"http": {"address": ":80", "compress": true}}
            })
        );
    }

    #[test]
    fn values_as_burntsushi_and_opa_give_them() {
        let got = parse(
            b"i = 9007199254740993\nf = 1.5\nodt = 1979-05-27T00:32:00.500-07:00\nutc = 1979-05-27T07:32:00+00:00\nldt = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00.999999\n[[srv]]\nname = \"a\"\n[[srv]]\nname = \"b\"\n",
        )
        .unwrap();
        assert_eq!(
            got,
            json!({
                "i": 9007199254740993i64,
                "f": 1.5,
                "odt": "1979-05-27T00:32:00.5-07:00",
                "utc": "1979-05-27T07:32:00Z",
                "ldt": "1979-05-27T07:32:00Z",
                "ld": "1979-05-27T00:00:00Z",
                "lt": "0000-01-01T07:32:00.999999Z",
                "srv": [{"name": "a"}, {"name": "b"}]
            })
        );
        let err = parse(b"a = \n").unwrap_err();
        assert!(err.starts_with("unmarshal toml: toml: line 1: "), "{err}");
    }
}
