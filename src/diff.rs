//! The difference between two stored versions: a unified text diff per file
//! (`similar`) and a semantic diff of the rule catalogs (rules added,
//! removed and changed, constants whose values changed, entrypoints).
//!
//! Rules are matched by package and name; the definitions of one name in a
//! package (a partial set defined five times, `default` beside its rule) are
//! paired in file order, aligned on their source so that one definition
//! inserted in the middle is "added" rather than shifting every one after
//! it. With no insertion or removal that is the k-th definition against the
//! k-th.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

use crate::bundle::Bundle;
use crate::error::Result;
use crate::store::{Store, StoredRule, VersionRef, VersionSummary};

/// Lines of context around each change in a unified diff.
pub const CONTEXT: usize = 3;

/// A diff of one file may not take longer than this (Myers then falls back
/// to a coarser but still correct diff).
const FILE_DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// One side of a diff.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub name: String,
    pub version: String,
    pub content_hash: String,
}

impl Side {
    fn of(v: &VersionSummary) -> Side {
        Side {
            name: v.name.clone(),
            version: v.version.clone(),
            content_hash: v.content_hash.clone(),
        }
    }

    pub fn reference(&self) -> VersionRef {
        VersionRef {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// Two versions compared.
#[derive(Debug, Clone, Serialize)]
pub struct VersionDiff {
    pub from: Side,
    pub to: Side,
    /// Both versions are of the same bundle name.
    pub same_bundle: bool,
    /// Both versions have the same content hash: nothing differs.
    pub identical: bool,
    pub summary: Summary,
    pub rules: RuleChanges,
    pub constants: Vec<ConstantChange>,
    pub entrypoints: EntrypointChanges,
    /// The files that differ, by path (unchanged files are counted only).
    pub files: Vec<FileDiff>,
}

impl VersionDiff {
    /// How a rule is named in a summary: bare when every rule the diff
    /// touches is in one package, `package.name` otherwise.
    pub fn rule_namer(&self) -> impl Fn(&str, &str) -> String + use<> {
        let packages: std::collections::BTreeSet<String> = self
            .rules
            .added
            .iter()
            .chain(&self.rules.removed)
            .map(|r| r.package.clone())
            .chain(self.rules.changed.iter().map(|c| c.package.clone()))
            .chain(self.constants.iter().map(|c| c.package.clone()))
            .collect();
        let qualify = packages.len() > 1;
        move |package: &str, name: &str| {
            if qualify {
                format!("{package}.{name}")
            } else {
                name.to_string()
            }
        }
    }
}

/// Counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files_added: usize,
    pub files_removed: usize,
    pub files_changed: usize,
    pub files_unchanged: usize,
    pub lines_added: usize,
    pub lines_removed: usize,
    pub rules_added: usize,
    pub rules_removed: usize,
    pub rules_changed: usize,
    pub constants_changed: usize,
    pub entrypoints_added: usize,
    pub entrypoints_removed: usize,
}

impl Summary {
    /// Whether the semantic diff found anything.
    pub fn semantic_changes(&self) -> bool {
        self.rules_added
            + self.rules_removed
            + self.rules_changed
            + self.constants_changed
            + self.entrypoints_added
            + self.entrypoints_removed
            > 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Removed,
    Changed,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Removed => "removed",
            FileStatus::Changed => "changed",
        }
    }
}

/// One file that differs.
#[derive(Debug, Clone, Serialize)]
pub struct FileDiff {
    pub path: String,
    pub status: FileStatus,
    /// `module`, `data`, `manifest`, `cases`.
    pub kind: &'static str,
    pub added: usize,
    pub removed: usize,
    /// The unified diff (`--- a/PATH`, `+++ b/PATH`, hunks with
    /// `@@ -a,b +c,d @@` headers and 3 lines of context).
    pub unified: String,
    /// The same hunks with both line numbers on every line.
    pub hunks: Vec<Hunk>,
}

/// One hunk of a unified diff. Line numbers are 1-based; a range of length
/// 0 starts at the line before it, as in `diff -u`.
#[derive(Debug, Clone, Serialize)]
pub struct Hunk {
    pub header: String,
    pub old_start: usize,
    pub old_lines: usize,
    pub new_start: usize,
    pub new_lines: usize,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    Context,
    Added,
    Removed,
}

impl LineTag {
    /// The unified-diff gutter: ` `, `+`, `-`.
    pub fn gutter(self) -> char {
        match self {
            LineTag::Context => ' ',
            LineTag::Added => '+',
            LineTag::Removed => '-',
        }
    }
}

/// One line of a hunk.
#[derive(Debug, Clone, Serialize)]
pub struct DiffLine {
    pub tag: LineTag,
    /// Its number in the old file (none for an added line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<usize>,
    /// Its number in the new file (none for a removed line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    /// Without its line ending.
    pub text: String,
}

/// The rules that differ.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleChanges {
    pub added: Vec<RuleState>,
    pub removed: Vec<RuleState>,
    pub changed: Vec<RuleChange>,
}

/// A rule definition as one version has it: the stored rule and its path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleState {
    /// `gfr/procurement/decision`.
    pub path: String,
    #[serde(flatten)]
    pub rule: StoredRule,
}

impl std::ops::Deref for RuleState {
    type Target = StoredRule;

    fn deref(&self) -> &StoredRule {
        &self.rule
    }
}

impl From<&StoredRule> for RuleState {
    fn from(r: &StoredRule) -> RuleState {
        RuleState {
            path: r.path(),
            rule: r.clone(),
        }
    }
}

/// What changed in a rule present in both versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The source lines differ (beyond whitespace and a constant's value).
    Body,
    /// A constant's literal value.
    Value,
    Kind,
    Title,
    Description,
    Severity,
    Citations,
    Entrypoint,
    /// It moved to another file.
    File,
}

impl Aspect {
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Body => "body",
            Aspect::Value => "value",
            Aspect::Kind => "kind",
            Aspect::Title => "title",
            Aspect::Description => "description",
            Aspect::Severity => "severity",
            Aspect::Citations => "citations",
            Aspect::Entrypoint => "entrypoint",
            Aspect::File => "file",
        }
    }
}

/// A rule in both versions that differs.
#[derive(Debug, Clone, Serialize)]
pub struct RuleChange {
    pub package: String,
    pub name: String,
    pub path: String,
    pub changes: Vec<Aspect>,
    pub before: RuleState,
    pub after: RuleState,
}

impl RuleChange {
    /// Whether the only change is a constant's value (listed with the
    /// constants).
    pub fn value_only(&self) -> bool {
        self.changes == [Aspect::Value]
    }
}

/// A constant (`threshold := 250000`) whose value changed.
#[derive(Debug, Clone, Serialize)]
pub struct ConstantChange {
    pub package: String,
    pub name: String,
    pub path: String,
    /// `None`: not a constant on that side.
    pub before: Option<String>,
    pub after: Option<String>,
    /// Where it is in the new version.
    pub file: String,
    pub line: u32,
    /// Where it was in the old version.
    pub from_file: String,
    pub from_line: u32,
}

/// Entrypoint paths that appear or disappear.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EntrypointChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Compares two stored versions.
pub fn diff_versions(store: &Store, from: &VersionRef, to: &VersionRef) -> Result<VersionDiff> {
    let a = store.find_version(from)?;
    let b = store.find_version(to)?;
    let (bundle_a, bundle_b) = (store.bundle_of(a.id)?, store.bundle_of(b.id)?);
    let (rules_a, rules_b) = (store.rules_of(a.id)?, store.rules_of(b.id)?);
    let mut d = diff_parts(
        Side::of(&a),
        Side::of(&b),
        (&bundle_a, &rules_a),
        (&bundle_b, &rules_b),
    );
    d.identical = a.content_hash == b.content_hash;
    Ok(d)
}

/// Compares two versions given as their files and rule catalogs.
pub fn diff_parts(
    from: Side,
    to: Side,
    (bundle_a, rules_a): (&Bundle, &[StoredRule]),
    (bundle_b, rules_b): (&Bundle, &[StoredRule]),
) -> VersionDiff {
    let files = diff_files(bundle_a, bundle_b);
    let (rules, constants) = diff_rules(bundle_a, rules_a, bundle_b, rules_b);
    let entrypoints = diff_entrypoints(rules_a, rules_b);
    let files_unchanged = bundle_a
        .files
        .iter()
        .filter(|f| {
            bundle_b
                .files
                .iter()
                .any(|g| g.path == f.path && g.sha256 == f.sha256)
        })
        .count();
    let count = |s: FileStatus| files.iter().filter(|f| f.status == s).count();
    let summary = Summary {
        files_added: count(FileStatus::Added),
        files_removed: count(FileStatus::Removed),
        files_changed: count(FileStatus::Changed),
        files_unchanged,
        lines_added: files.iter().map(|f| f.added).sum(),
        lines_removed: files.iter().map(|f| f.removed).sum(),
        rules_added: rules.added.len(),
        rules_removed: rules.removed.len(),
        rules_changed: rules.changed.len(),
        constants_changed: constants.len(),
        entrypoints_added: entrypoints.added.len(),
        entrypoints_removed: entrypoints.removed.len(),
    };
    VersionDiff {
        same_bundle: from.name == to.name,
        identical: files.is_empty(),
        from,
        to,
        summary,
        rules,
        constants,
        entrypoints,
        files,
    }
}

/// The files that differ, in path order.
fn diff_files(a: &Bundle, b: &Bundle) -> Vec<FileDiff> {
    let old: BTreeMap<&str, _> = a.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let new: BTreeMap<&str, _> = b.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let paths: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut out = Vec::new();
    for path in paths {
        let (status, before, after, kind) = match (old.get(path), new.get(path)) {
            (Some(x), Some(y)) if x.sha256 == y.sha256 => continue,
            (Some(x), Some(y)) => (
                FileStatus::Changed,
                x.text.as_str(),
                y.text.as_str(),
                y.kind,
            ),
            (Some(x), None) => (FileStatus::Removed, x.text.as_str(), "", x.kind),
            (None, Some(y)) => (FileStatus::Added, "", y.text.as_str(), y.kind),
            (None, None) => continue,
        };
        let (old_name, new_name) = match status {
            FileStatus::Added => ("/dev/null".to_string(), format!("b/{path}")),
            FileStatus::Removed => (format!("a/{path}"), "/dev/null".to_string()),
            FileStatus::Changed => (format!("a/{path}"), format!("b/{path}")),
        };
        let t = text_diff(before, after, &old_name, &new_name);
        out.push(FileDiff {
            path: path.to_string(),
            status,
            kind: kind.as_str(),
            added: t.added,
            removed: t.removed,
            unified: t.unified,
            hunks: t.hunks,
        });
    }
    out
}

/// A unified diff of two texts and its counts.
pub struct TextChanges {
    pub added: usize,
    pub removed: usize,
    pub unified: String,
    pub hunks: Vec<Hunk>,
}

/// Line diff of two texts, with `CONTEXT` lines of context.
pub fn text_diff(before: &str, after: &str, old_name: &str, new_name: &str) -> TextChanges {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(FILE_DIFF_TIMEOUT)
        .diff_lines(before, after);
    let (mut added, mut removed) = (0, 0);
    for c in diff.iter_all_changes() {
        match c.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let mut hunks = Vec::new();
    let mut udiff = diff.unified_diff();
    udiff.context_radius(CONTEXT);
    for hunk in udiff.iter_hunks() {
        let ops = hunk.ops();
        let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
            continue;
        };
        let (os, oe) = (first.old_range().start, last.old_range().end);
        let (ns, ne) = (first.new_range().start, last.new_range().end);
        let lines = hunk
            .iter_changes()
            .map(|c| DiffLine {
                tag: match c.tag() {
                    ChangeTag::Equal => LineTag::Context,
                    ChangeTag::Insert => LineTag::Added,
                    ChangeTag::Delete => LineTag::Removed,
                },
                old: c.old_index().map(|i| i + 1),
                new: c.new_index().map(|i| i + 1),
                text: c
                    .to_string_lossy()
                    .trim_end_matches(['\n', '\r'])
                    .to_string(),
            })
            .collect();
        hunks.push(Hunk {
            header: hunk.header().to_string(),
            old_start: if oe > os { os + 1 } else { os },
            old_lines: oe - os,
            new_start: if ne > ns { ns + 1 } else { ns },
            new_lines: ne - ns,
            lines,
        });
    }
    let unified = diff
        .unified_diff()
        .context_radius(CONTEXT)
        .header(old_name, new_name)
        .to_string();
    TextChanges {
        added,
        removed,
        unified,
        hunks,
    }
}

/// A rule's source lines, normalised: two bodies that differ only in
/// whitespace compare equal.
fn normalized_source(bundle: &Bundle, r: &StoredRule) -> String {
    let Some(file) = bundle.files.iter().find(|f| f.path == r.file) else {
        return String::new();
    };
    let start = r.line_start.max(1) as usize;
    let end = (r.line_end as usize).max(start);
    let lines: Vec<&str> = file
        .text
        .lines()
        .skip(start - 1)
        .take(end - start + 1)
        .collect();
    normalize_whitespace(&lines.join("\n"))
}

/// Rego source with every run of whitespace outside string literals made
/// one space (see [`crate::rego::squeeze`]): two bodies that differ only in
/// layout compare equal; a changed comment is a change.
pub fn normalize_whitespace(src: &str) -> String {
    crate::rego::squeeze(src)
}

fn diff_rules(
    bundle_a: &Bundle,
    rules_a: &[StoredRule],
    bundle_b: &Bundle,
    rules_b: &[StoredRule],
) -> (RuleChanges, Vec<ConstantChange>) {
    // Definitions grouped by (package, name), each group in file order
    // (rules_of returns rules by file, then line).
    type Group<'r> = Vec<(&'r StoredRule, String)>;
    fn group<'r>(
        bundle: &Bundle,
        rules: &'r [StoredRule],
    ) -> BTreeMap<(&'r str, &'r str), Group<'r>> {
        let mut m: BTreeMap<(&str, &str), Group> = BTreeMap::new();
        for r in rules {
            m.entry((r.package.as_str(), r.name.as_str()))
                .or_default()
                .push((r, normalized_source(bundle, r)));
        }
        m
    }
    let ga = group(bundle_a, rules_a);
    let gb = group(bundle_b, rules_b);

    let mut added: Vec<&StoredRule> = Vec::new();
    let mut removed: Vec<&StoredRule> = Vec::new();
    let mut pairs: Vec<(&StoredRule, &str, &StoredRule, &str)> = Vec::new();
    let keys: BTreeSet<(&str, &str)> = ga.keys().chain(gb.keys()).copied().collect();
    let empty: Group = Vec::new();
    for key in keys {
        let old = ga.get(&key).unwrap_or(&empty);
        let new = gb.get(&key).unwrap_or(&empty);
        let old_src: Vec<&str> = old.iter().map(|(_, s)| s.as_str()).collect();
        let new_src: Vec<&str> = new.iter().map(|(_, s)| s.as_str()).collect();
        for op in similar::capture_diff_slices(Algorithm::Myers, &old_src, &new_src) {
            match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    for i in 0..len {
                        let (x, sx) = &old[old_index + i];
                        let (y, sy) = &new[new_index + i];
                        pairs.push((x, sx, y, sy));
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => removed.extend(old[old_index..old_index + old_len].iter().map(|p| p.0)),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => added.extend(new[new_index..new_index + new_len].iter().map(|p| p.0)),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let n = old_len.min(new_len);
                    for i in 0..n {
                        let (x, sx) = &old[old_index + i];
                        let (y, sy) = &new[new_index + i];
                        pairs.push((x, sx, y, sy));
                    }
                    removed.extend(old[old_index + n..old_index + old_len].iter().map(|p| p.0));
                    added.extend(new[new_index + n..new_index + new_len].iter().map(|p| p.0));
                }
            }
        }
    }

    let mut changed = Vec::new();
    let mut constants = Vec::new();
    for (x, sx, y, sy) in pairs {
        let mut aspects = Vec::new();
        let (vx, vy) = (literal(x, sx), literal(y, sy));
        if (vx.is_some() || vy.is_some()) && x.value != y.value {
            aspects.push(Aspect::Value);
            constants.push(ConstantChange {
                package: y.package.clone(),
                name: y.name.clone(),
                path: y.path(),
                before: vx.clone(),
                after: vy.clone(),
                file: y.file.clone(),
                line: y.line_start,
                from_file: x.file.clone(),
                from_line: x.line_start,
            });
        }
        if sx != sy && !only_value_differs(sx, sy, vx.as_deref(), vy.as_deref()) {
            aspects.push(Aspect::Body);
        }
        if x.kind != y.kind {
            aspects.push(Aspect::Kind);
        }
        if x.title != y.title {
            aspects.push(Aspect::Title);
        }
        if x.description != y.description {
            aspects.push(Aspect::Description);
        }
        if x.severity != y.severity {
            aspects.push(Aspect::Severity);
        }
        if x.citations != y.citations {
            aspects.push(Aspect::Citations);
        }
        if x.entrypoint != y.entrypoint {
            aspects.push(Aspect::Entrypoint);
        }
        if x.file != y.file {
            aspects.push(Aspect::File);
        }
        if !aspects.is_empty() {
            aspects.sort();
            changed.push(RuleChange {
                package: y.package.clone(),
                name: y.name.clone(),
                path: y.path(),
                changes: aspects,
                before: x.into(),
                after: y.into(),
            });
        }
    }
    // Reading order: the new version's file order for what is there, the
    // old version's for what is gone.
    let pos = |r: &RuleState| (r.file.clone(), r.line_start);
    changed.sort_by_key(|c| pos(&c.after));
    constants.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let mut added: Vec<RuleState> = added.into_iter().map(RuleState::from).collect();
    let mut removed: Vec<RuleState> = removed.into_iter().map(RuleState::from).collect();
    added.sort_by_key(pos);
    removed.sort_by_key(pos);
    (
        RuleChanges {
            added,
            removed,
            changed,
        },
        constants,
    )
}

/// A rule's value when it is a literal constant (`250000`, `"INR"`,
/// `["a", "b"]`, a raw string), not an expression (`union({...})`): the
/// catalog records the right-hand side of every body-less `:=`, and a
/// string without its quotes (which the rule's source puts back).
fn literal(r: &StoredRule, src: &str) -> Option<String> {
    let v = r.value.as_deref()?.trim();
    if serde_json::from_str::<serde::de::IgnoredAny>(v).is_ok() {
        return Some(v.to_string());
    }
    [('"', '"'), ('`', '`')]
        .into_iter()
        .map(|(open, close)| format!("{open}{v}{close}"))
        .find(|quoted| src.ends_with(quoted.as_str()))
}

/// Whether two normalised bodies differ only in a constant's literal: the
/// old body with its (last) occurrence of the old value replaced by the new
/// value is the new body.
fn only_value_differs(a: &str, b: &str, va: Option<&str>, vb: Option<&str>) -> bool {
    let (Some(va), Some(vb)) = (va, vb) else {
        return false;
    };
    let va = normalize_whitespace(va);
    let vb = normalize_whitespace(vb);
    let (va, vb) = (va.as_str(), vb.as_str());
    match a.rfind(va) {
        Some(i) if !va.is_empty() => format!("{}{}{}", &a[..i], vb, &a[i + va.len()..]) == b,
        _ => false,
    }
}

fn diff_entrypoints(a: &[StoredRule], b: &[StoredRule]) -> EntrypointChanges {
    let set = |rules: &[StoredRule]| -> BTreeSet<String> {
        rules
            .iter()
            .filter(|r| r.entrypoint)
            .map(StoredRule::path)
            .collect()
    };
    let (ea, eb) = (set(a), set(b));
    EntrypointChanges {
        added: eb.difference(&ea).cloned().collect(),
        removed: ea.difference(&eb).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Catalog;

    const PARAMS_1: &str = "package p\n\n# METADATA\n# title: Threshold\n# custom:\n#   citations:\n#     - {regulation: \"GFR 2017\", clause: \"Rule 155\"}\nthreshold := 250000\n\nlimit := 10\n\ncurrency := \"INR\"\n\njoined := concat(\",\", [\"a\"])\n";
    const PARAMS_2: &str = "package p\n\n# METADATA\n# title: Threshold\n# custom:\n#   citations:\n#     - {regulation: \"GFR 2017\", clause: \"Rule 155\"}\nthreshold := 300000\n\nlimit  :=  10\n\ncurrency := \"USD\"\n\njoined := concat(\",\", [\"b\"])\n";
    const RULES_1: &str = "package p\n\n# METADATA\n# title: Too big\n# entrypoint: true\ndeny contains \"big\" if {\n\tinput.v > threshold\n}\n\ndeny contains \"neg\" if {\n\tinput.v < 0\n}\n\n# METADATA\n# title: Old title\nwarn if input.v > 1\n\ngone if false\n";
    const RULES_2: &str = "package p\n\n# METADATA\n# title: Too big\n# entrypoint: true\ndeny contains \"big\" if {\n\tinput.v > threshold\n}\n\ndeny contains \"zero\" if {\n\tinput.v == 0\n}\n\ndeny contains \"neg\" if {\n    input.v < 0\n}\n\n# METADATA\n# title: New title\n# custom:\n#   citations: [\"Rule 1\"]\nwarn if input.v > 2\n";

    fn store_with(versions: &[(&str, &[(&str, &str)])]) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        for (reference, files) in versions {
            let bundle = Bundle::from_texts(
                files
                    .iter()
                    .map(|(p, t)| (p.to_string(), t.to_string()))
                    .collect::<Vec<_>>(),
            )
            .unwrap();
            let catalog = Catalog::build(&bundle, false).unwrap();
            store
                .store_version(
                    &VersionRef::parse(reference).unwrap(),
                    &bundle,
                    &catalog,
                    false,
                    None,
                )
                .unwrap();
        }
        store
    }

    fn r(s: &str) -> VersionRef {
        VersionRef::parse(s).unwrap()
    }

    #[test]
    fn identical_versions_have_no_changes() {
        let files: &[(&str, &str)] = &[("p/params.rego", PARAMS_1), ("p/rules.rego", RULES_1)];
        let store = store_with(&[("a@1", files), ("b@1", files)]);
        for other in ["a@1", "b@1"] {
            let d = diff_versions(&store, &r("a@1"), &r(other)).unwrap();
            assert!(d.identical);
            assert!(d.files.is_empty());
            assert!(!d.summary.semantic_changes(), "{:?}", d.summary);
            assert_eq!(d.summary.files_unchanged, 2);
            assert_eq!(d.same_bundle, other == "a@1");
        }
    }

    #[test]
    fn semantic_changes() {
        let store = store_with(&[
            (
                "p@1",
                &[("p/params.rego", PARAMS_1), ("p/rules.rego", RULES_1)],
            ),
            (
                "p@2",
                &[("p/params.rego", PARAMS_2), ("p/rules.rego", RULES_2)],
            ),
        ]);
        let d = diff_versions(&store, &r("p@1"), &r("p@2")).unwrap();
        assert!(!d.identical);
        // The constant: value only, not a body change; `limit` changed only
        // in whitespace and is not reported at all.
        assert_eq!(d.constants.len(), 2);
        let c = &d.constants[0];
        assert_eq!(c.name, "threshold");
        assert_eq!(
            (c.before.as_deref(), c.after.as_deref()),
            (Some("250000"), Some("300000"))
        );
        assert_eq!((c.file.as_str(), c.line), ("p/params.rego", 8));
        // A string constant, shown with its quotes.
        let s = &d.constants[1];
        assert_eq!(
            (s.name.as_str(), s.before.as_deref(), s.after.as_deref()),
            ("currency", Some("\"INR\""), Some("\"USD\""))
        );
        let changed: Vec<(&str, &[Aspect])> = d
            .rules
            .changed
            .iter()
            .map(|c| (c.name.as_str(), c.changes.as_slice()))
            .collect();
        assert_eq!(
            changed,
            [
                ("threshold", &[Aspect::Value][..]),
                ("currency", &[Aspect::Value][..]),
                // An expression, not a constant: its change is a body change.
                ("joined", &[Aspect::Body][..]),
                (
                    "warn",
                    &[Aspect::Body, Aspect::Title, Aspect::Citations][..]
                ),
            ]
        );
        // A definition inserted between two others is added; the one after
        // it (re-indented) is matched, not shifted.
        let added: Vec<(&str, u32)> = d
            .rules
            .added
            .iter()
            .map(|r| (r.name.as_str(), r.line_start))
            .collect();
        assert_eq!(added, [("deny", 10)]);
        let removed: Vec<&str> = d.rules.removed.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(removed, ["gone"]);
        assert!(d.entrypoints.added.is_empty() && d.entrypoints.removed.is_empty());
        assert_eq!(d.summary.rules_changed, 4);
        assert_eq!(d.summary.files_changed, 2);
    }

    #[test]
    fn renamed_file_is_removed_and_added() {
        let store = store_with(&[
            (
                "p@1",
                &[("p/params.rego", PARAMS_1), ("p/rules.rego", RULES_1)],
            ),
            (
                "p@2",
                &[("p/params.rego", PARAMS_1), ("p/policy.rego", RULES_1)],
            ),
        ]);
        let d = diff_versions(&store, &r("p@1"), &r("p@2")).unwrap();
        let files: Vec<(&str, FileStatus)> = d
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.status))
            .collect();
        assert_eq!(
            files,
            [
                ("p/policy.rego", FileStatus::Added),
                ("p/rules.rego", FileStatus::Removed)
            ]
        );
        let lines = RULES_1.lines().count();
        assert_eq!((d.files[0].added, d.files[0].removed), (lines, 0));
        assert_eq!((d.files[1].added, d.files[1].removed), (0, lines));
        assert!(
            d.files[0]
                .unified
                .starts_with("--- /dev/null\n+++ b/p/policy.rego\n@@ -0,0 +1,")
        );
        assert!(
            d.files[1]
                .unified
                .starts_with("--- a/p/rules.rego\n+++ /dev/null\n@@ -1,")
        );
        // The rules moved with the file: same rules, another file.
        assert!(d.rules.added.is_empty() && d.rules.removed.is_empty());
        assert!(d.rules.changed.iter().all(|c| c.changes == [Aspect::File]));
        assert_eq!(d.summary.files_unchanged, 1);
    }

    #[test]
    fn entrypoints_added_and_removed() {
        let store = store_with(&[
            ("p@1", &[("p/rules.rego", RULES_1)]),
            (
                "p@2",
                &[(
                    "p/rules.rego",
                    "package p\n\n# METADATA\n# entrypoint: true\nallow if input.ok\n",
                )],
            ),
        ]);
        let d = diff_versions(&store, &r("p@1"), &r("p@2")).unwrap();
        assert_eq!(d.entrypoints.added, ["p/allow"]);
        assert_eq!(d.entrypoints.removed, ["p/deny"]);
    }

    #[test]
    fn hunks_carry_both_line_numbers() {
        let a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
        let b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n";
        let t = text_diff(a, b, "a/x", "b/x");
        assert_eq!((t.added, t.removed), (2, 1));
        assert!(
            t.unified
                .starts_with("--- a/x\n+++ b/x\n@@ -2,9 +2,10 @@\n"),
            "{}",
            t.unified
        );
        assert!(t.unified.contains("\n-5\n+five\n"));
        assert_eq!(t.hunks.len(), 1);
        let h = &t.hunks[0];
        assert_eq!(
            (h.old_start, h.old_lines, h.new_start, h.new_lines),
            (2, 9, 2, 10)
        );
        let five = h.lines.iter().find(|l| l.text == "five").unwrap();
        assert_eq!(
            (five.tag, five.old, five.new),
            (LineTag::Added, None, Some(5))
        );
        let six = h.lines.iter().find(|l| l.text == "6").unwrap();
        assert_eq!((six.old, six.new), (Some(6), Some(6)));
        // Far-apart changes make separate hunks.
        let c = "x\n2\n3\n4\n5\n6\n7\n8\n9\ny\n";
        assert_eq!(text_diff(a, c, "a", "b").hunks.len(), 2);
    }

    #[test]
    fn value_only_detection() {
        assert!(only_value_differs("t := 1", "t := 2", Some("1"), Some("2")));
        assert!(!only_value_differs(
            "t := 1",
            "u := 2",
            Some("1"),
            Some("2")
        ));
        assert!(!only_value_differs("t := 1", "t := 2", None, Some("2")));
        assert!(only_value_differs(
            "t := [1, 2]",
            "t := [1, 3]",
            Some("[1,\n  2]"),
            Some("[1, 3]")
        ));
    }

    #[test]
    fn whitespace_outside_strings_is_not_a_change() {
        assert_eq!(
            normalize_whitespace("  deny  contains x if {\n\t\tx := \"a  b\"   # two  spaces\n}\n"),
            "deny contains x if { x := \"a  b\" # two spaces }"
        );
        assert_eq!(normalize_whitespace("x := `a \n  b`"), "x := `a \n  b`");
        assert_eq!(normalize_whitespace("x := \"\\\"  \""), "x := \"\\\"  \"");
        assert_ne!(
            normalize_whitespace("x := 1"),
            normalize_whitespace("x := 2")
        );
    }
}
