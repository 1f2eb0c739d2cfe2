//! conftest's custom builtins, registered as Gavel extensions so that
//! conftest policy libraries run here: `parse_config(parser, content)`,
//! `parse_config_file(path)` and `parse_combined_config_files(paths)`.
//! Each answers as conftest's `builtins/parse_config.go`:
//!
//! - `parse_config` takes one of conftest's parser names (`yaml`, `json`,
//!   `toml`, `hcl2`, `ini`, `dotenv`, `xml`, `properties`, `jsonc`, ...;
//!   no aliases such as `yml`) and the text, and gives what that parser
//!   gives (see `conftest/` for each format's shape);
//! - `parse_config_file` picks the parser from the path as conftest's
//!   `parser.NewFromPath` does (`.yml`/`.yaml`, `.tf`/`.hcl`/`.tfvars`,
//!   `.env`, `Dockerfile`, else the extension's name);
//! - `parse_combined_config_files` gives `[{path, contents}]`, sorted by
//!   path, a file holding a list (a multi-document YAML file) giving one
//!   entry per element, as conftest's `CombineConfigurations`.
//!
//! A path is read relative to the directory of the policy file that makes
//! the call, as conftest joins it to `filepath.Dir(bctx.Location.File)`
//! (an absolute path too: Go's `filepath.Join` keeps it under that
//! directory). regorus tells an extension nothing of its caller, so each
//! module's calls are given their file's directory when it is loaded
//! ([`anchor_paths`]): the argument becomes `__gavel_conftest_path(DIR,
//! arg)`. Under `gavel test DIR` a module's file is named as the user gave
//! DIR, so the paths are conftest's; a stored version's modules are named
//! from the bundle's root, read from the current directory. A call in a
//! query outside any module reads from the current directory. Files are
//! read up to 64 MiB.
//!
//! The process environment is not read (conftest's dotenv parser expands
//! `$VAR` from it): an evaluation here depends on its inputs only.

use std::collections::BTreeMap;

use regorus::Value;

use super::conftest;
use crate::engine::extra_builtins::{string_operand, type_name};
use crate::rego::{Expr, ExprKind, Module};

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[
    ("parse_config", 2),
    ("parse_config_file", 1),
    ("parse_combined_config_files", 1),
    (PATH_HELPER, 2),
];

/// The helper [`anchor_paths`] wraps a path argument in: joins a module's
/// directory and a path (each path of an array or set), as Go's
/// `filepath.Join`; any other value passes through for the builtin to
/// refuse.
pub const PATH_HELPER: &str = "__gavel_conftest_path";

/// The largest configuration file read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    match name {
        "parse_config" => {
            let parser = string_operand(name, args, 0)?;
            let content = string_operand(name, args, 1)?;
            let format = conftest::Format::named(parser)
                .map_err(|e| anyhow::anyhow!("{name}: create config parser: {e}"))?;
            let parsed = format
                .parse(content.as_bytes())
                .map_err(|e| anyhow::anyhow!("{name}: unmarshal config: {e}"))?;
            Ok(super::convert::to_rego(&parsed))
        }
        "parse_config_file" => {
            let path = string_operand(name, args, 0)?;
            let format = conftest::Format::for_path(path)
                .map_err(|e| anyhow::anyhow!("{name}: create config parser: {e}"))?;
            let bytes = read_file(path)
                .map_err(|e| anyhow::anyhow!("{name}: read config file {path}: {e}"))?;
            let parsed = format
                .parse(&bytes)
                .map_err(|e| anyhow::anyhow!("{name}: unmarshal config: {e}"))?;
            Ok(super::convert::to_rego(&parsed))
        }
        "parse_combined_config_files" => {
            let paths = string_list(name, args.first())?;
            let combined = combine(&paths)
                .map_err(|e| anyhow::anyhow!("{name}: parse combine configurations: {e}"))?;
            Ok(super::convert::to_rego(&combined))
        }
        PATH_HELPER => {
            let dir = string_operand(name, args, 0)?;
            Ok(match args.get(1) {
                Some(Value::String(p)) => Value::from(join(dir, p)),
                Some(Value::Array(items)) => {
                    Value::from(items.iter().map(|v| joined(dir, v)).collect::<Vec<_>>())
                }
                Some(Value::Set(items)) => Value::from(
                    items
                        .iter()
                        .map(|v| joined(dir, v))
                        .collect::<std::collections::BTreeSet<_>>(),
                ),
                Some(other) => other.clone(),
                None => anyhow::bail!("{name}: operand 2 missing"),
            })
        }
        _ => anyhow::bail!("{name}: not a conftest builtin"),
    }
}

fn joined(dir: &str, v: &Value) -> Value {
    match v {
        Value::String(p) => Value::from(join(dir, p)),
        other => other.clone(),
    }
}

/// The paths of `parse_combined_config_files`: an array or a set of
/// strings (conftest decodes either as a list).
fn string_list(name: &str, arg: Option<&Value>) -> anyhow::Result<Vec<String>> {
    let items: Vec<&Value> = match arg {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Set(items)) => items.iter().collect(),
        other => anyhow::bail!(
            "{name}: operand 1 must be array but got {}",
            other.map_or("undefined", type_name)
        ),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.to_string()),
            other => anyhow::bail!(
                "{name}: operand 1 must be array of strings but got {} at index {i}",
                type_name(other)
            ),
        })
        .collect()
}

/// conftest's `ParseConfigurations` then `CombineConfigurations`.
fn combine(paths: &[String]) -> Result<serde_json::Value, String> {
    // A map by path, as conftest's (a path given twice is read once).
    let mut parsed: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for path in paths {
        let format = conftest::Format::for_path(path)
            .map_err(|e| format!("new parser: {e}, path: {path}"))?;
        let bytes =
            read_file(path).map_err(|e| format!("get configuration content: {e}, path: {path}"))?;
        let value = format
            .parse(&bytes)
            .map_err(|e| format!("parser unmarshal: {e}, path: {path}"))?;
        parsed.insert(path.clone(), value);
    }
    let mut out = Vec::new();
    for (path, value) in parsed {
        let entry = |contents: serde_json::Value| serde_json::json!({ "path": path.clone(), "contents": contents });
        match value {
            serde_json::Value::Array(docs) => out.extend(docs.into_iter().map(entry)),
            other => out.push(entry(other)),
        }
    }
    Ok(serde_json::Value::Array(out))
}

/// A file's bytes, sized before they are read.
fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("open {path}: {}", io_text(&e)))?;
    if meta.is_dir() {
        return Err(format!("read {path}: is a directory"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{path} has {} bytes: Gavel reads configuration files of at most {} MiB",
            meta.len(),
            MAX_FILE_BYTES >> 20
        ));
    }
    std::fs::read(path).map_err(|e| format!("open {path}: {}", io_text(&e)))
}

/// An I/O error as Go words the common ones.
fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Go's `filepath.Join(dir, path)` (on `/`-separated paths): the two
/// joined and cleaned; an empty path gives the directory.
pub fn join(dir: &str, path: &str) -> String {
    match (dir.is_empty(), path.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(path),
        (false, true) => clean(dir),
        (false, false) => clean(&format!("{dir}/{path}")),
    }
}

/// Go's `filepath.Clean`: one separator at a time, no `.`, `..` resolved
/// lexically, `.` for nothing.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// Go's `filepath.Dir` of a module's file.
fn dir_of(file: &str) -> String {
    match file.rfind('/') {
        Some(i) => clean(&file[..=i]),
        None => ".".to_string(),
    }
}

/// Gives each call of `parse_config_file` and `parse_combined_config_files`
/// in a module its file's directory (see the module's documentation), unless
/// the module defines a rule of that name.
pub fn anchor_paths(module: &mut Module, file: &str) {
    let own: std::collections::HashSet<String> =
        module.rules.iter().map(|r| r.name().to_string()).collect();
    let dir = dir_of(file);
    for rule in &mut module.rules {
        crate::rego::walk::visit_rule_exprs_mut(rule, &mut |e| {
            let ExprKind::Call { func, args } = &mut e.kind else {
                return;
            };
            let ExprKind::Var(name) = &func.kind else {
                return;
            };
            if !matches!(
                name.as_str(),
                "parse_config_file" | "parse_combined_config_files"
            ) || own.contains(name)
                || args.len() != 1
            {
                return;
            }
            let arg = args.remove(0);
            let at = arg.span;
            let helper = Expr::new(
                at,
                ExprKind::Call {
                    func: Box::new(Expr::new(at, ExprKind::Var(PATH_HELPER.to_string()))),
                    args: vec![
                        Expr::new(
                            at,
                            ExprKind::String {
                                value: dir.clone(),
                                raw: false,
                            },
                        ),
                        arg,
                    ],
                },
            );
            args.push(helper);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::extra_builtins::with_code;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    /// Go's `filepath.Join` and `Clean`.
    #[test]
    fn paths_join_as_go_joins_them() {
        assert_eq!(
            join("examples/hcl2/policy", "disk.tf"),
            "examples/hcl2/policy/disk.tf"
        );
        assert_eq!(
            join("examples/nginx/policy", "../nginx.conf"),
            "examples/nginx/nginx.conf"
        );
        assert_eq!(join(".", "a.yaml"), "a.yaml");
        // An absolute path stays under the directory, as with Go's Join.
        assert_eq!(join("policy", "/etc/x.yaml"), "policy/etc/x.yaml");
        assert_eq!(join("/", "../a"), "/a");
        assert_eq!(clean("a//b/./c/.."), "a/b");
        assert_eq!(clean("../../x"), "../../x");
        assert_eq!(clean(""), ".");
        assert_eq!(dir_of("p.rego"), ".");
        assert_eq!(dir_of("a/b/p.rego"), "a/b");
        assert_eq!(dir_of("/p.rego"), "/");
    }

    #[test]
    fn the_path_helper_joins_strings_arrays_and_sets() {
        assert_eq!(
            call(PATH_HELPER, &[s("d"), s("x.yaml")]).unwrap(),
            s("d/x.yaml")
        );
        assert_eq!(
            call(
                PATH_HELPER,
                &[s("d"), Value::from(vec![s("a"), Value::from(1)])]
            )
            .unwrap(),
            Value::from(vec![s("d/a"), Value::from(1)])
        );
        // Anything else is left for the builtin to refuse.
        assert_eq!(
            call(PATH_HELPER, &[s("d"), Value::from(1)]).unwrap(),
            Value::from(1)
        );
    }

    #[test]
    fn errors_as_conftest_words_them() {
        let err = |name: &str, args: &[Value]| with_code(call(name, args).unwrap_err()).to_string();
        assert_eq!(
            err("parse_config", &[s("yml"), s("a: 1")]),
            "eval_builtin_error: parse_config: create config parser: unknown parser: yml"
        );
        assert!(
            err("parse_config", &[s("json"), s("{")]).starts_with(
                "eval_builtin_error: parse_config: unmarshal config: unmarshal json: "
            )
        );
        assert_eq!(
            err("parse_config", &[Value::from(1), s("")]),
            "eval_type_error: parse_config: operand 1 must be string but got number"
        );
        assert_eq!(
            err("parse_config_file", &[s("/nonexistent/x.yaml")]),
            "eval_builtin_error: parse_config_file: read config file /nonexistent/x.yaml: open /nonexistent/x.yaml: no such file or directory"
        );
        assert_eq!(
            err("parse_config_file", &[s("x.unknown")]),
            "eval_builtin_error: parse_config_file: create config parser: new: unknown parser: unknown"
        );
        assert_eq!(
            err("parse_combined_config_files", &[s("x.yaml")]),
            "eval_type_error: parse_combined_config_files: operand 1 must be array but got string"
        );
        assert!(err("parse_combined_config_files", &[Value::from(vec![s("/nonexistent/a.yaml")])])
            .ends_with("get configuration content: open /nonexistent/a.yaml: no such file or directory, path: /nonexistent/a.yaml"));
    }

    /// conftest's `CombineConfigurations`: sorted by path, a list one entry
    /// per element (its `examples/kubernetes/combine` layout).
    #[test]
    fn combined_files_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
        std::fs::write(p("service.yaml"), "kind: Service\n").unwrap();
        std::fs::write(
            p("deployment.yaml"),
            "kind: Deployment\n---\nkind: ConfigMap\n",
        )
        .unwrap();
        let got = call(
            "parse_combined_config_files",
            &[Value::from(vec![
                s(&p("service.yaml")),
                s(&p("deployment.yaml")),
            ])],
        )
        .unwrap();
        let got = crate::engine::convert::to_json(&got).unwrap().unwrap();
        assert_eq!(
            got,
            serde_json::json!([
                {"path": p("deployment.yaml"), "contents": {"kind": "Deployment"}},
                {"path": p("deployment.yaml"), "contents": {"kind": "ConfigMap"}},
                {"path": p("service.yaml"), "contents": {"kind": "Service"}},
            ])
        );
    }

    /// A module's calls get its directory; a module defining a rule of the
    /// name keeps its own.
    #[test]
    fn calls_are_anchored_to_their_module() {
        let src = "package p\n\nx := parse_config_file(\"a.yaml\")\n\ny := parse_combined_config_files([\"b.yaml\"])\n";
        let out = crate::engine::normalize::normalize("dir/sub/p.rego", src, false).unwrap();
        assert!(
            out.contains("parse_config_file(__gavel_conftest_path(\"dir/sub\", \"a.yaml\"))"),
            "{out}"
        );
        assert!(
            out.contains("__gavel_conftest_path(\"dir/sub\", [\"b.yaml\"])"),
            "{out}"
        );
        let own = "package p\n\nparse_config_file(x) := x\n\ny := parse_config_file(\"a\")\n";
        let out = crate::engine::normalize::normalize("d/p.rego", own, false).unwrap();
        assert!(!out.contains(PATH_HELPER), "{out}");
    }
}
