//! A host's own builtins, declared in OPA's capabilities format: a
//! library written for conftest, a build system (`ec.*`) or a scanner
//! calls builtins its host adds. The bundle's `capabilities.json` (or
//! `--capabilities FILE`, stored in the version as that file) declares
//! them:
//!
//! ```json
//! {"builtins": [{"name": "ec.oci.blob",
//!                "decl": {"type": "function", "args": [{"type": "string"}],
//!                         "result": {"type": "string"}}}]}
//! ```
//!
//! Each declared builtin Gavel does not have is registered with the arity
//! of its `decl`; tests stub it with `with ec.oci.blob as ...`. Called
//! unmocked, it is that evaluation's error naming it: Gavel cannot run the
//! host's code. Builtins the file also lists that Gavel has keep Gavel's
//! answer, and builtins the file leaves out stay available: here the file
//! declares a host, it does not fence a sandbox as OPA's `--capabilities`
//! can.

use std::collections::BTreeMap;

use regorus::{Engine, Value};
use serde::Deserialize;

use crate::bundle::{Bundle, FileKind};
use crate::error::{Error, Result};

/// The file, at a bundle's root, that declares the host's builtins.
pub const FILE: &str = "capabilities.json";

/// The builtins a version's capabilities file declares that Gavel lacks:
/// name -> arity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostBuiltins {
    pub declared: BTreeMap<String, u8>,
}

#[derive(Deserialize)]
struct CapabilitiesFile {
    #[serde(default)]
    builtins: Vec<Declared>,
}

#[derive(Deserialize)]
struct Declared {
    name: String,
    #[serde(default)]
    decl: Option<Decl>,
}

#[derive(Deserialize)]
struct Decl {
    #[serde(default)]
    args: Vec<serde_json::Value>,
    #[serde(default)]
    variadic: Option<serde_json::Value>,
}

impl HostBuiltins {
    /// The host builtins of a bundle (none without a capabilities file;
    /// bundles run together each bring theirs).
    pub fn of(bundle: &Bundle) -> Result<HostBuiltins> {
        let mut out = HostBuiltins::default();
        for file in bundle.files_of(FileKind::Capabilities) {
            let host = HostBuiltins::parse(&file.path, &file.text)?;
            for (name, arity) in host.declared {
                match out.declared.get(&name) {
                    Some(&other) if other != arity => {
                        return Err(Error::Invalid(format!(
                            "{}: {name} is declared with {arity} arguments here and {other} \
                             in another capabilities file",
                            file.path
                        )));
                    }
                    _ => {
                        out.declared.insert(name, arity);
                    }
                }
            }
        }
        Ok(out)
    }

    /// `--capabilities FILE`: the file joins the bundle as its
    /// `capabilities.json` (so a stored version keeps it and replays with
    /// it); a bundle that has one already is refused rather than merged
    /// silently.
    pub fn add_to(bundle: &mut Bundle, file: &std::path::Path) -> Result<()> {
        let text = crate::bundle::read_text_file(file, FileKind::Capabilities)?;
        HostBuiltins::parse(&file.display().to_string(), &text)?;
        if let Some(existing) = bundle.files_of(FileKind::Capabilities).next() {
            return Err(Error::Invalid(format!(
                "--capabilities {}: the bundle has its own {} already; merge the two into it",
                file.display(),
                existing.path
            )));
        }
        bundle.files.push(crate::bundle::BundleFile::new(
            FILE.to_string(),
            FileKind::Capabilities,
            text,
        ));
        bundle.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// Reads OPA's capabilities JSON; `path` names the file in errors.
    pub fn parse(path: &str, text: &str) -> Result<HostBuiltins> {
        let file: CapabilitiesFile = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(format!(
                "{path}:{}:{}: not an OPA capabilities file: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let mut declared = BTreeMap::new();
        for (i, b) in file.builtins.into_iter().enumerate() {
            if b.name.is_empty() || b.name.split('.').any(|part| !is_name(part)) {
                return Err(Error::Invalid(format!(
                    "{path}: builtins[{i}]: {:?} is not a builtin name",
                    b.name
                )));
            }
            if is_known(&b.name) {
                continue;
            }
            let Some(decl) = b.decl else {
                return Err(Error::Invalid(format!(
                    "{path}: builtins[{i}] ({}): no `decl` giving its arguments",
                    b.name
                )));
            };
            if decl.variadic.is_some() {
                return Err(Error::Invalid(format!(
                    "{path}: builtins[{i}] ({}): a variadic host builtin cannot be declared \
                     (Gavel registers a fixed number of arguments)",
                    b.name
                )));
            }
            let arity = u8::try_from(decl.args.len()).map_err(|_| {
                Error::Invalid(format!(
                    "{path}: builtins[{i}] ({}): too many arguments",
                    b.name
                ))
            })?;
            declared.insert(b.name, arity);
        }
        Ok(HostBuiltins { declared })
    }

    pub fn is_empty(&self) -> bool {
        self.declared.is_empty()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.declared.contains_key(name)
    }

    /// Registers each declared builtin: called, it is an error saying
    /// that only a `with` can answer it here.
    pub fn install(&self, engine: &mut Engine) -> Result<()> {
        for (name, &arity) in &self.declared {
            let message = format!(
                "{name} is a host builtin declared in {FILE}: Gavel cannot run the host's code; \
                 stub it with `with {name} as ...`"
            );
            engine
                .add_extension(
                    name.clone(),
                    arity,
                    Box::new(move |_: Vec<Value>| Err(anyhow::anyhow!("{message}"))),
                )
                .map_err(|e| Error::Engine(format!("registering {name}: {e}")))?;
        }
        Ok(())
    }
}

fn is_name(part: &str) -> bool {
    let mut chars = part.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A builtin Gavel answers itself (regorus's, or one of Gavel's).
pub fn is_known(name: &str) -> bool {
    name == "print"
        || super::extra_builtins::gavel_arity(name).is_some()
        || regorus::unstable::BUILTINS.contains_key(name)
        || super::builtin_table::opa_builtin(name).is_some_and(|b| {
            !matches!(
                super::builtin_table::support(b),
                super::builtin_table::Support::Missing(_)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_what_gavel_lacks_with_its_arity() {
        let text = r#"{"builtins": [
            {"name": "count", "decl": {"type": "function", "args": [{"type": "any"}]}},
            {"name": "ec.oci.blob", "decl": {"type": "function", "args": [{"type": "string"}],
             "result": {"type": "string"}}},
            {"name": "scanner.score", "decl": {"type": "function", "args": [{}, {}]}}
        ]}"#;
        let host = HostBuiltins::parse("capabilities.json", text).unwrap();
        assert_eq!(
            host.declared,
            BTreeMap::from([
                ("ec.oci.blob".to_string(), 1),
                ("scanner.score".to_string(), 2)
            ])
        );
    }

    #[test]
    fn a_bad_file_says_where() {
        let err = HostBuiltins::parse("caps.json", "{\n  \"builtins\": [1]\n}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("caps.json:2:"), "{err}");
        let err = HostBuiltins::parse("caps.json", r#"{"builtins": [{"name": "a b"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("builtins[0]"), "{err}");
        let err = HostBuiltins::parse("caps.json", r#"{"builtins": [{"name": "host.f"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `decl`"), "{err}");
    }
}
