//! Data files merged into one document as OPA does: `a/b/data.json` lands
//! under `data.a.b`; objects merge key by key; two files that give the same
//! key a non-object value conflict.

use serde_json::{Map, Value};

use super::{Bundle, BundleFile, FileKind};
use crate::error::{Error, Result};

/// Parses one data file (JSON, or YAML for `.yaml`/`.yml`).
pub fn parse_data_file(file: &BundleFile) -> Result<Value> {
    if file.path.ends_with(".json") {
        serde_json::from_str(&file.text).map_err(|e| {
            Error::input(
                format!("{}:{}:{}", file.path, e.line(), e.column()),
                format!("invalid JSON: {e}"),
            )
        })
    } else {
        yaml_serde::from_str(&file.text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            Error::input(
                format!("{}:{line}", file.path),
                format!("invalid YAML: {e}"),
            )
        })
    }
}

/// A data file's document placed under its directory's path.
fn wrapped(bundle: &Bundle, file: &BundleFile) -> Result<Value> {
    let value = parse_data_file(file)?;
    let dir: Vec<&str> = bundle
        .data_relative(&file.path)
        .rsplit_once('/')
        .map(|(d, _)| d.split('/').collect())
        .unwrap_or_default();
    if dir.is_empty() && !value.is_object() {
        return Err(Error::input(
            file.path.clone(),
            "a data file at the bundle root must hold a JSON object",
        ));
    }
    let mut wrapped = value;
    for key in dir.iter().rev() {
        let mut m = Map::new();
        m.insert((*key).to_string(), wrapped);
        wrapped = Value::Object(m);
    }
    Ok(wrapped)
}

/// The merged data document of a bundle.
pub fn merged_data(bundle: &Bundle) -> Result<Value> {
    let mut root = Value::Object(Map::new());
    let files: Vec<&BundleFile> = bundle.files_of(FileKind::Data).collect();
    for (i, file) in files.iter().enumerate() {
        let value = wrapped(bundle, file)?;
        merge(&mut root, value, &mut vec!["data".to_string()]).map_err(|at| {
            // Only now, on the error path, find the file it conflicts with
            // (the first earlier one holding that path).
            let keys: Vec<&str> = at.split('.').skip(1).collect();
            let other = files[..i].iter().find(|f| {
                wrapped(bundle, f)
                    .is_ok_and(|v| keys.iter().try_fold(&v, |v, k| v.get(*k)).is_some())
            });
            let other = other.map_or("another data file".to_string(), |f| f.path.clone());
            Error::input(file.path.clone(), format!("conflicts with {other} at {at}"))
        })?;
    }
    Ok(root)
}

/// Deep-merges `from` into `into`; on conflict returns the dotted path.
fn merge(into: &mut Value, from: Value, path: &mut Vec<String>) -> std::result::Result<(), String> {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                path.push(k.clone());
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v, path)?,
                    None => {
                        a.insert(k, v);
                    }
                }
                path.pop();
            }
            Ok(())
        }
        _ => Err(path.join(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        let mut texts: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        texts.push(("p.rego".into(), "package p".into()));
        Bundle::from_texts(texts).unwrap()
    }

    #[test]
    fn merges_under_directory_paths() {
        let b = bundle(&[
            ("data.json", r#"{"top": 1, "a": {"x": 1}}"#),
            ("a/data.yaml", "y: 2\n"),
            ("a/b/data.json", r#"{"z": [3]}"#),
        ]);
        let d = merged_data(&b).unwrap();
        assert_eq!(
            d,
            serde_json::json!({"top": 1, "a": {"x": 1, "y": 2, "b": {"z": [3]}}})
        );
    }

    #[test]
    fn conflicts_name_the_path() {
        let b = bundle(&[
            ("data.json", r#"{"a": {"x": 1}}"#),
            ("a/data.json", r#"{"x": 2}"#),
        ]);
        let err = merged_data(&b).unwrap_err().to_string();
        assert_eq!(err, "data.json: conflicts with a/data.json at data.a.x");
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let b = bundle(&[("a/data.json", "{\n  \"x\": ,\n}")]);
        let err = merged_data(&b).unwrap_err().to_string();
        assert!(err.starts_with("a/data.json:2:"), "{err}");
    }

    #[test]
    fn combined_bundles_keep_their_data_paths() {
        let a = bundle(&[("x/data.json", r#"{"a": 1}"#)]);
        let b = bundle(&[("y/data.json", r#"{"b": 2}"#)]);
        let c = Bundle::combine(vec![("dir/one".into(), a), ("two".into(), b)]);
        assert_eq!(
            merged_data(&c).unwrap(),
            serde_json::json!({"x": {"a": 1}, "y": {"b": 2}})
        );
        assert!(c.files.iter().any(|f| f.path == "dir/one/p.rego"));
    }

    #[test]
    fn a_scalar_at_the_root_is_refused() {
        assert!(merged_data(&bundle(&[("data.json", "3")])).is_err());
    }
}
