//! The rule catalog of a bundle: every module's package and rules (name,
//! kind, file, line span) with the METADATA annotation above each.
//!
//! Rules come from Gavel's Rego front end (`crate::rego`), the tree the
//! engine's text is written from, so a module that Gavel catalogs is a
//! module the engine reads the same way.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::Bundle;
use super::metadata::{self, Annotation, MetadataBlock};
use crate::error::{Error, Result};

/// What a rule is, in OPA's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// `r := v`, `r if ...`: one value.
    Complete,
    /// `r contains x if ...`: a set built by many definitions.
    PartialSet,
    /// `r[k] := v if ...`: an object built key by key.
    PartialObject,
    /// `f(x) := v if ...`
    Function,
    /// `default r := v`
    Default,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Complete => "complete",
            RuleKind::PartialSet => "partial_set",
            RuleKind::PartialObject => "partial_object",
            RuleKind::Function => "function",
            RuleKind::Default => "default",
        }
    }

    pub fn parse(s: &str) -> Option<RuleKind> {
        Some(match s {
            "complete" => RuleKind::Complete,
            "partial_set" => RuleKind::PartialSet,
            "partial_object" => RuleKind::PartialObject,
            "function" => RuleKind::Function,
            "default" => RuleKind::Default,
            _ => return None,
        })
    }
}

/// One rule definition (a rule name defined twice gives two entries).
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// Dotted, without `data.`: `gfr.procurement`.
    pub package: String,
    pub name: String,
    pub kind: RuleKind,
    pub file: String,
    pub line_start: u32,
    pub line_end: u32,
    /// Defined in a `*_test.rego` file: test scaffolding, not decision logic.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_test_module: bool,
    /// The literal of a constant (`threshold := 250000` gives `250000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<Annotation>,
}

impl RuleInfo {
    /// `test_*` and `todo_test_*` rules are tests, as `opa test` has it.
    pub fn is_test(&self) -> bool {
        self.name.starts_with("test_") || self.name.starts_with("todo_test_")
    }

    /// Part of the decision logic: neither a test nor a rule of a test file.
    pub fn is_policy(&self) -> bool {
        !self.is_test() && !self.in_test_module
    }

    /// `gfr/procurement/decision`: the path callers query and decision logs
    /// record.
    pub fn path(&self) -> String {
        format!(
            "{}/{}",
            self.package.replace('.', "/"),
            self.name.replace('.', "/")
        )
    }

    pub fn title(&self) -> Option<&str> {
        self.annotation.as_ref().and_then(|a| a.title.as_deref())
    }

    pub fn is_entrypoint(&self) -> bool {
        self.annotation.as_ref().is_some_and(|a| a.entrypoint)
    }

    pub fn citations(&self) -> &[metadata::Citation] {
        self.annotation
            .as_ref()
            .map_or(&[], |a| a.citations.as_slice())
    }
}

/// One module: its file, package and package-scope annotation.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleInfo {
    pub file: String,
    pub package: String,
    pub is_test: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<Annotation>,
}

/// Everything the catalog found, with warnings worth showing on import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    pub modules: Vec<ModuleInfo>,
    pub rules: Vec<RuleInfo>,
    pub warnings: Vec<String>,
}

impl Catalog {
    /// Catalogs every module of a bundle.
    pub fn build(bundle: &Bundle, rego_v0: bool) -> Result<Catalog> {
        let mut catalog = Catalog::default();
        let mut parsed = Vec::new();
        for file in bundle.modules() {
            let module = crate::rego::parse(&file.path, &file.text, rego_v0)?;
            crate::engine::nesting::check(&file.path, &module)?;
            parsed.push((file, module));
        }
        // What each rule requires, by package: the `not` warnings leave
        // out what an earlier statement already requires.
        let mut requirements: HashMap<String, Vec<(String, HashSet<String>)>> = HashMap::new();
        for (_, module) in &parsed {
            requirements
                .entry(module.package_name())
                .or_default()
                .extend(crate::engine::negation::rule_requirements(module));
        }
        let mut names: HashMap<String, crate::rego::walk::PackageRules> = HashMap::new();
        for (_, module) in &parsed {
            let entry = names.entry(module.package_name()).or_default();
            let one = crate::rego::walk::PackageRules::of([module]);
            entry.all.extend(one.all);
            entry.functions.extend(one.functions);
        }
        for (file, module) in parsed {
            let package = names
                .get(&module.package_name())
                .cloned()
                .unwrap_or_default();
            let reqs = requirements.get(&module.package_name());
            let by_rule = |name: &str| -> Vec<HashSet<String>> {
                reqs.into_iter()
                    .flatten()
                    .filter(|(n, _)| n == name)
                    .map(|(_, p)| p.clone())
                    .collect()
            };
            catalog.add_module(
                &file.path,
                &file.text,
                module,
                file.is_test_module(),
                &package,
                &by_rule,
            )?;
        }
        Ok(catalog)
    }

    /// Rules of the decision logic (not tests, not test scaffolding).
    pub fn policy_rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rules.iter().filter(|r| r.is_policy())
    }

    pub fn entrypoints(&self) -> Vec<String> {
        let mut eps: Vec<String> = self
            .rules
            .iter()
            .filter(|r| r.is_entrypoint())
            .map(RuleInfo::path)
            .collect();
        eps.dedup();
        eps
    }

    fn add_module(
        &mut self,
        file: &str,
        text: &str,
        mut module: crate::rego::Module,
        is_test: bool,
        package: &crate::rego::walk::PackageRules,
        requirements: &dyn Fn(&str) -> Vec<HashSet<String>>,
    ) -> Result<()> {
        // Where OPA's reading of `not` differs from the one authors expect.
        for b in crate::engine::negation::bind_negated_terms(&mut module, package) {
            self.warnings.extend(crate::engine::negation::warning(
                file,
                text,
                &b,
                requirements,
            ));
        }
        let blocks = metadata::parse_comment_blocks(&module.comments)
            .map_err(|e| Error::input(format!("{file}:{}", e.line), e.message))?;
        let package = module.package_name();
        let package_line = module.package.span.line;
        let mut used = vec![false; blocks.len()];
        let annotation_for = |line: u32, used: &mut Vec<bool>| -> Option<(usize, &MetadataBlock)> {
            let i = blocks.iter().position(|b| b.end_line + 1 == line)?;
            used[i] = true;
            Some((i, &blocks[i]))
        };

        let package_annotation = match annotation_for(package_line, &mut used) {
            Some((_, b)) => {
                if let Some(scope @ ("rule" | "document")) = b.annotation.scope.as_deref() {
                    return Err(Error::input(
                        format!("{file}:{}", b.start_line),
                        format!(
                            "annotation scope '{scope}' must be applied to a rule, not a package"
                        ),
                    ));
                }
                Some(b.annotation.clone())
            }
            None => None,
        };
        self.modules.push(ModuleInfo {
            file: file.to_string(),
            package: package.clone(),
            is_test,
            annotation: package_annotation,
        });

        for rule in &module.rules {
            let span = rule.span;
            let annotation = match annotation_for(span.line, &mut used) {
                Some((_, b)) => {
                    if let Some(scope @ ("package" | "subpackages")) = b.annotation.scope.as_deref()
                    {
                        return Err(Error::input(
                            format!("{file}:{}", b.start_line),
                            format!(
                                "annotation scope '{scope}' must be applied to a package, not a rule"
                            ),
                        ));
                    }
                    Some(b.annotation.clone())
                }
                None => None,
            };
            self.rules.push(RuleInfo {
                package: package.clone(),
                name: rule.head.name_path(),
                kind: kind_of(rule.kind()),
                file: file.to_string(),
                line_start: span.line,
                line_end: span.end_line,
                in_test_module: is_test,
                value: constant_text(rule, text),
                annotation,
            });
        }
        for (block, used) in blocks.iter().zip(used) {
            if !used {
                self.warnings.push(format!(
                    "{file}:{}: METADATA block is not directly above a rule or package; it is ignored",
                    block.start_line
                ));
            }
        }
        Ok(())
    }
}

fn kind_of(kind: crate::rego::RuleKind) -> RuleKind {
    use crate::rego::RuleKind as K;
    match kind {
        K::Complete => RuleKind::Complete,
        K::PartialSet => RuleKind::PartialSet,
        K::PartialObject => RuleKind::PartialObject,
        K::Function => RuleKind::Function,
        K::Default => RuleKind::Default,
    }
}

/// The literal of a constant (`threshold := 250000`): a complete rule with
/// a value and no body. A string reads as its JSON text.
fn constant_text(rule: &crate::rego::Rule, source: &str) -> Option<String> {
    use crate::rego::ExprKind;
    if rule.kind() != crate::rego::RuleKind::Complete || !rule.bodies.is_empty() {
        return None;
    }
    let (_, value) = rule.head.value.as_ref()?;
    Some(match &value.kind {
        ExprKind::String { value, .. } => serde_json::to_string(value).unwrap_or_default(),
        _ => value.span.text(source).to_string(),
    })
}

/// Turns regorus's rustc-style message (`--> file:line:col`, a source
/// excerpt, `error: message`) into one `file:line:col: message` error.
pub fn located_error(file: &str, raw: &str) -> Error {
    let (location, message) = split_engine_message(raw);
    Error::input(location.unwrap_or_else(|| file.to_string()), message)
}

/// Splits a regorus message into its location and its one-line message.
pub fn split_engine_message(raw: &str) -> (Option<String>, String) {
    let location = raw
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|l| l.trim().to_string());
    let message = raw
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| {
            raw.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        });
    (location, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        let b = Bundle::from_texts([("p/m.rego".to_string(), text.to_string())]).unwrap();
        Catalog::build(&b, false).unwrap()
    }

    #[test]
    fn rules_kinds_spans_and_annotations() {
        let src = "# METADATA\n# title: Module\npackage a.b\n\n# METADATA\n# title: Threshold\n# custom:\n#   citation: GFR 2017 Rule 154\nthreshold := 250000\n\ndeny contains msg if {\n  input.x > threshold\n  msg := \"x\"\n}\n\nf(x) := y if {\n  y := x + 1\n}\n\ndefault allow := false\n\nobj[k] := 1 if {\n  some k in input.ks\n}\n\n# METADATA\n# entrypoint: true\ndecision := {\"outcome\": \"APPROVE\"}\n";
        let c = catalog(src);
        assert_eq!(c.modules[0].package, "a.b");
        assert_eq!(
            c.modules[0].annotation.as_ref().unwrap().title.as_deref(),
            Some("Module")
        );
        let r: Vec<(&str, RuleKind, u32, u32)> = c
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.kind, r.line_start, r.line_end))
            .collect();
        assert_eq!(
            r,
            [
                ("threshold", RuleKind::Complete, 9, 9),
                ("deny", RuleKind::PartialSet, 11, 14),
                ("f", RuleKind::Function, 16, 18),
                ("allow", RuleKind::Default, 20, 20),
                ("obj", RuleKind::PartialObject, 22, 24),
                ("decision", RuleKind::Complete, 28, 28),
            ]
        );
        assert_eq!(c.rules[0].value.as_deref(), Some("250000"));
        let s = catalog("package p\ncur := \"INR\"\nraw := `a\\b`\n");
        assert_eq!(s.rules[0].value.as_deref(), Some("\"INR\""));
        assert_eq!(s.rules[1].value.as_deref(), Some("\"a\\\\b\""));
        assert_eq!(c.rules[0].citations()[0].label(), "GFR 2017 Rule 154");
        assert_eq!(c.entrypoints(), ["a/b/decision"]);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn a_block_separated_by_a_blank_line_is_a_warning() {
        let c = catalog("package p\n\n# METADATA\n# title: X\n\nr := 1\n");
        assert!(c.rules[0].annotation.is_none());
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with("p/m.rego:3:"), "{:?}", c.warnings);
    }

    #[test]
    fn scope_misuse_is_an_error() {
        let b = Bundle::from_texts([(
            "m.rego".to_string(),
            "package p\n# METADATA\n# scope: package\nr := 1\n".to_string(),
        )])
        .unwrap();
        let err = Catalog::build(&b, false).unwrap_err().to_string();
        assert!(err.starts_with("m.rego:2:"), "{err}");
    }

    #[test]
    fn syntax_errors_are_one_located_line() {
        let b = Bundle::from_texts([(
            "x/bad.rego".to_string(),
            "package p\n\nr if {\n  1 +\n}\n".to_string(),
        )])
        .unwrap();
        let err = Catalog::build(&b, false).unwrap_err().to_string();
        assert!(err.starts_with("x/bad.rego:"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn v0_syntax_needs_v0() {
        let text = "package p\nallow { input.x }\n";
        let b = Bundle::from_texts([("m.rego".to_string(), text.to_string())]).unwrap();
        assert!(Catalog::build(&b, false).is_err());
        let c = Catalog::build(&b, true).unwrap();
        assert_eq!(c.rules[0].name, "allow");
    }
}
