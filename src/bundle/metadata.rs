//! OPA `# METADATA` annotation blocks: YAML in comment lines directly above a
//! `package` or a rule. regorus drops comments, so Gavel reads them itself.
//!
//! A block starts at a line whose comment text is `METADATA` and runs over
//! the comment lines that follow, up to the first line that is not a comment
//! (or the next `# METADATA`). As in OPA, the YAML is the text after each `#`,
//! joined by newlines, so `# title: x` lines form a mapping indented by one.

use serde::Serialize;
use serde_json::{Map, Value};

/// One regulation clause a rule implements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Citation {
    pub regulation: String,
    pub clause: String,
}

impl Citation {
    /// `GFR 2017 Rule 173`: the form used in reasons and tables.
    pub fn label(&self) -> String {
        match (self.regulation.is_empty(), self.clause.is_empty()) {
            (false, false) => format!("{} {}", self.regulation, self.clause),
            (false, true) => self.regulation.clone(),
            _ => self.clause.clone(),
        }
    }
}

/// A `related_resources` entry: a URL, with an optional description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RelatedResource {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The parts of an annotation Gavel uses, plus everything under `custom`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Annotation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub related_resources: Vec<RelatedResource>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub entrypoint: bool,
    #[serde(skip_serializing_if = "Map::is_empty", default)]
    pub custom: Map<String, Value>,
    /// Derived from `custom.citations`, `custom.citation` or
    /// `custom.frameworks`; kept apart because every view needs it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub citations: Vec<Citation>,
}

impl Annotation {
    /// `custom.severity`, when it is a string.
    pub fn severity(&self) -> Option<&str> {
        self.custom.get("severity").and_then(Value::as_str)
    }
}

/// A parsed block and the lines it spans (1-based, inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataBlock {
    /// The `# METADATA` line.
    pub start_line: u32,
    /// The last comment line of the block: the annotated statement must
    /// start on the line after it.
    pub end_line: u32,
    pub annotation: Annotation,
}

/// An invalid block: the line it is about and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    pub line: u32,
    pub message: String,
}

/// Keys OPA accepts at the top of an annotation; any other is an error there.
const KNOWN_KEYS: &[&str] = &[
    "scope",
    "title",
    "description",
    "related_resources",
    "authors",
    "organizations",
    "schemas",
    "entrypoint",
    "custom",
    "compile",
];

const SCOPES: &[&str] = &["rule", "document", "package", "subpackages"];

/// Finds and parses every `# METADATA` block among a module's comments:
/// comments at column 1 on consecutive lines, the first `# METADATA`.
pub fn parse_comment_blocks(
    comments: &[crate::rego::lexer::Comment],
) -> Result<Vec<MetadataBlock>, MetadataError> {
    // Lay the column-1 comments out as lines of a text with nothing else,
    // so a gap (code, a blank line) ends a block.
    let mut source = String::new();
    let mut line = 1u32;
    for c in comments.iter().filter(|c| c.col == 1) {
        while line < c.line {
            source.push('\n');
            line += 1;
        }
        source.push('#');
        source.push_str(&c.text);
    }
    parse_blocks(&source)
}

/// Finds and parses every `# METADATA` block in a text whose comment lines
/// start at column 1.
pub fn parse_blocks(source: &str) -> Result<Vec<MetadataBlock>, MetadataError> {
    let lines: Vec<&str> = source.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_metadata_marker(lines[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut yaml_lines = Vec::new();
        i += 1;
        while i < lines.len() && lines[i].starts_with('#') && !is_metadata_marker(lines[i]) {
            yaml_lines.push(&lines[i][1..]);
            i += 1;
        }
        let start_line = line_no(start);
        let end_line = line_no(i - 1);
        let annotation = parse_yaml(&yaml_lines.join("\n"), start_line)?;
        blocks.push(MetadataBlock {
            start_line,
            end_line,
            annotation,
        });
    }
    Ok(blocks)
}

fn line_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn is_metadata_marker(line: &str) -> bool {
    line.strip_prefix('#')
        .is_some_and(|rest| rest.trim() == "METADATA")
}

/// Parses the YAML of one block; `marker_line` is the `# METADATA` line, so
/// YAML line n is file line `marker_line + n`.
fn parse_yaml(yaml: &str, marker_line: u32) -> Result<Annotation, MetadataError> {
    let at = |yaml_line: usize| marker_line + u32::try_from(yaml_line).unwrap_or(0);
    if yaml.trim().is_empty() {
        return Ok(Annotation::default());
    }
    let value: Value = yaml_serde::from_str(yaml).map_err(|e| {
        let line = e.location().map_or(marker_line + 1, |l| at(l.line()));
        MetadataError {
            line,
            message: format!("invalid METADATA YAML: {}", strip_yaml_position(&e)),
        }
    })?;
    let Value::Object(map) = value else {
        return Err(MetadataError {
            line: marker_line + 1,
            message: "invalid METADATA: expected a YAML mapping".into(),
        });
    };
    let key_line = |key: &str| -> u32 {
        yaml.lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map_or(marker_line + 1, |n| at(n + 1))
    };
    for key in map.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            return Err(MetadataError {
                line: key_line(key),
                message: format!("invalid METADATA attribute '{key}'"),
            });
        }
    }
    let text = |key: &str| -> Result<Option<String>, MetadataError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(MetadataError {
                line: key_line(key),
                message: format!("METADATA '{key}' must be a string, found {other}"),
            }),
        }
    };
    let scope = text("scope")?;
    if let Some(s) = &scope
        && !SCOPES.contains(&s.as_str())
    {
        return Err(MetadataError {
            line: key_line("scope"),
            message: format!(
                "invalid METADATA scope '{s}' (rule, document, package or subpackages)"
            ),
        });
    }
    let entrypoint = match map.get("entrypoint") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(MetadataError {
                line: key_line("entrypoint"),
                message: format!("METADATA 'entrypoint' must be true or false, found {other}"),
            });
        }
    };
    let related_resources =
        related_resources(map.get("related_resources")).map_err(|message| MetadataError {
            line: key_line("related_resources"),
            message,
        })?;
    let custom = match map.get("custom") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(MetadataError {
                line: key_line("custom"),
                message: format!("METADATA 'custom' must be a mapping, found {other}"),
            });
        }
    };
    let citations = citations(&custom).map_err(|message| MetadataError {
        line: key_line("custom"),
        message,
    })?;
    Ok(Annotation {
        scope,
        title: text("title")?,
        description: text("description")?,
        related_resources,
        entrypoint,
        custom,
        citations,
    })
}

/// yaml_serde appends "at line L column C" counted inside the block; the
/// caller reports the file line instead.
fn strip_yaml_position(e: &yaml_serde::Error) -> String {
    let msg = e.to_string();
    match msg.find(" at line ") {
        Some(pos) => msg[..pos].to_string(),
        None => msg,
    }
}

fn related_resources(value: Option<&Value>) -> Result<Vec<RelatedResource>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(format!(
                "METADATA 'related_resources' must be a list, found {other}"
            ));
        }
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(url) => Ok(RelatedResource {
                reference: url.clone(),
                description: None,
            }),
            Value::Object(m) => {
                let reference = m
                    .get("ref")
                    .and_then(Value::as_str)
                    .ok_or("a related_resources entry needs a 'ref'")?;
                Ok(RelatedResource {
                    reference: reference.to_string(),
                    description: m
                        .get("description")
                        .and_then(Value::as_str)
                        .map(String::from),
                })
            }
            other => Err(format!("invalid related_resources entry {other}")),
        })
        .collect()
}

/// Citations from `custom`: `citations: [{regulation, clause}]` (or plain
/// strings), `citation: "..."`, and Trivy's `frameworks: {name: [clauses]}`.
fn citations(custom: &Map<String, Value>) -> Result<Vec<Citation>, String> {
    let mut out = Vec::new();
    match custom.get("citations") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                out.push(citation_item(item)?);
            }
        }
        Some(other) => return Err(format!("custom.citations must be a list, found {other}")),
    }
    match custom.get("citation") {
        None | Some(Value::Null) => {}
        Some(item) => out.push(citation_item(item)?),
    }
    if let Some(Value::Object(frameworks)) = custom.get("frameworks") {
        for (framework, clauses) in frameworks {
            let clauses: Vec<String> = match clauses {
                Value::Array(items) => items.iter().map(value_text).collect(),
                other => vec![value_text(other)],
            };
            for clause in clauses {
                out.push(Citation {
                    regulation: framework.clone(),
                    clause,
                });
            }
        }
    }
    Ok(out)
}

fn citation_item(item: &Value) -> Result<Citation, String> {
    match item {
        Value::String(s) => Ok(Citation {
            regulation: s.clone(),
            clause: String::new(),
        }),
        Value::Object(m) => {
            let regulation = m.get("regulation").map(value_text).unwrap_or_default();
            let clause = m.get("clause").map(value_text).unwrap_or_default();
            if regulation.is_empty() && clause.is_empty() {
                return Err(format!(
                    "a citation needs 'regulation' and 'clause', found {item}"
                ));
            }
            Ok(Citation { regulation, clause })
        }
        other => Err(format!("invalid citation {other}")),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> MetadataBlock {
        let blocks = parse_blocks(src).expect("parses");
        assert_eq!(blocks.len(), 1, "{blocks:?}");
        blocks.into_iter().next().unwrap()
    }

    #[test]
    fn full_block_above_a_rule() {
        let src = "package p\n\n# METADATA\n# title: Rationale\n# description: Needs one.\n# related_resources:\n#   - ref: https://example.org/gfr\n#     description: GFR 2017, Rule 173\n# custom:\n#   citations:\n#     - {regulation: \"GFR 2017\", clause: \"Rule 173\"}\n#     - {regulation: \"CVC Guidelines\", clause: \"Contract award\"}\n#   severity: high\ndeny contains r if { r := 1 }\n";
        let b = one(src);
        assert_eq!((b.start_line, b.end_line), (3, 13));
        let a = b.annotation;
        assert_eq!(a.title.as_deref(), Some("Rationale"));
        assert_eq!(a.description.as_deref(), Some("Needs one."));
        assert_eq!(a.related_resources[0].reference, "https://example.org/gfr");
        assert_eq!(
            a.related_resources[0].description.as_deref(),
            Some("GFR 2017, Rule 173")
        );
        assert_eq!(a.citations.len(), 2);
        assert_eq!(a.citations[0].label(), "GFR 2017 Rule 173");
        assert_eq!(a.severity(), Some("high"));
    }

    #[test]
    fn blocks_with_no_blank_line_between_rules() {
        let src = "package p\n# METADATA\n# title: A\na := 1\n# METADATA\n# title: B\nb := 2\n";
        let blocks = parse_blocks(src).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].start_line, blocks[0].end_line), (2, 3));
        assert_eq!((blocks[1].start_line, blocks[1].end_line), (5, 6));
        assert_eq!(blocks[1].annotation.title.as_deref(), Some("B"));
    }

    #[test]
    fn two_markers_back_to_back_are_two_blocks() {
        let src = "# METADATA\n# title: A\n# METADATA\n# title: B\nb := 2\n";
        let blocks = parse_blocks(src).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].end_line, 2);
        assert_eq!(blocks[1].end_line, 4);
    }

    #[test]
    fn package_scope_block_above_package() {
        let src = "# METADATA\n# scope: package\n# title: Procurement\npackage gfr.procurement\n";
        let b = one(src);
        assert_eq!(b.annotation.scope.as_deref(), Some("package"));
        assert_eq!(b.annotation.title.as_deref(), Some("Procurement"));
        assert_eq!(b.end_line, 3);
    }

    #[test]
    fn related_resources_as_plain_urls() {
        let src = "# METADATA\n# related_resources:\n# - https://a.example\n# - https://b.example\nr := 1\n";
        let a = one(src).annotation;
        assert_eq!(a.related_resources.len(), 2);
        assert_eq!(a.related_resources[1].reference, "https://b.example");
        assert_eq!(a.related_resources[1].description, None);
    }

    #[test]
    fn plain_string_citation_and_frameworks() {
        let src = "# METADATA\n# custom:\n#   citation: GFR 2017 Rule 160\n#   frameworks:\n#     cis-aws-1.4: [\"2.5\", \"2.6\"]\nr := 1\n";
        let a = one(src).annotation;
        let labels: Vec<String> = a.citations.iter().map(Citation::label).collect();
        assert_eq!(
            labels,
            ["GFR 2017 Rule 160", "cis-aws-1.4 2.5", "cis-aws-1.4 2.6"]
        );
    }

    #[test]
    fn entrypoint_flag() {
        let a = one("# METADATA\n# entrypoint: true\ndecision := 1\n").annotation;
        assert!(a.entrypoint);
    }

    #[test]
    fn empty_block_is_an_empty_annotation() {
        let b = one("# METADATA\nr := 1\n");
        assert_eq!(b.annotation, Annotation::default());
        assert_eq!(b.end_line, 1);
    }

    #[test]
    fn invalid_yaml_names_the_file_line() {
        let src = "package p\n\n# METADATA\n# title: ok\n# custom: {a: [1, 2\nr := 1\n";
        let err = parse_blocks(src).unwrap_err();
        assert!(err.message.starts_with("invalid METADATA YAML"), "{err:?}");
        assert!((4..=6).contains(&err.line), "{err:?}");
    }

    #[test]
    fn unknown_attribute_is_an_error_on_its_line() {
        let err = parse_blocks("# METADATA\n# title: x\n# citations: []\nr := 1\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("'citations'"), "{err:?}");
    }

    #[test]
    fn bad_scope_and_bad_types_are_errors() {
        assert!(parse_blocks("# METADATA\n# scope: everything\nr := 1\n").is_err());
        assert!(parse_blocks("# METADATA\n# entrypoint: yes please\nr := 1\n").is_err());
        assert!(parse_blocks("# METADATA\n# custom: [1]\nr := 1\n").is_err());
        assert!(parse_blocks("# METADATA\n# custom:\n#   citations: 3\nr := 1\n").is_err());
    }

    #[test]
    fn indented_comments_are_not_blocks() {
        assert!(
            parse_blocks("r if {\n  # METADATA\n  true\n}\n")
                .unwrap()
                .is_empty()
        );
    }
}
