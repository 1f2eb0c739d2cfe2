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
