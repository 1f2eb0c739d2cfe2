//! XML as conftest's `parser/xml` reads it: basgys/goxml2json's `Convert`
//! (no type plugins: every value a string).
//!
//! goxml2json's shape, as made here: an element is an object of its
//! attributes (`-name`) and child elements (by local name: one child an
//! object or string, several of the same name an array), with its text
//! under `#content` when it has any; an element with neither attributes
//! nor children is its text (trimmed of blanks and non-graphic characters;
//! empty for `<a/>`). The document is an object of its root element(s).
//! An element's text is the last text run in it (goxml2json keeps the last
//! one Go's decoder reports; a comment or a child element ends a run).
//! A syntax error ends the reading without an error, as goxml2json ignores
//! the decoder's errors: what was read (complete elements) is the result,
//! and an empty result is the empty string.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use serde_json::{Map, Value};

#[derive(Default)]
struct Node {
    children: BTreeMap<String, Vec<Node>>,
    data: String,
}

impl Node {
    fn add(&mut self, label: String, child: Node) {
        self.children.entry(label).or_default().push(child);
    }

    fn to_json(&self) -> Value {
        if self.children.is_empty() {
            return Value::String(self.data.clone());
        }
        let mut out = Map::new();
        if !self.data.is_empty() {
            out.insert("#content".to_string(), Value::String(self.data.clone()));
        }
        for (label, nodes) in &self.children {
            let v = match nodes.as_slice() {
                [one] => one.to_json(),
                many => Value::Array(many.iter().map(Node::to_json).collect()),
            };
            out.insert(label.clone(), v);
        }
        Value::Object(out)
    }
}

fn local(name: &str) -> String {
    match name.rfind(':') {
        Some(i) => name[i + 1..].to_string(),
        None => name.to_string(),
    }
}

/// goxml2json's `trimNonGraphic`: leading and trailing characters that are
/// spaces or not graphic dropped.
fn trim_non_graphic(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c.is_control() || c == '\u{feff}')
        .to_string()
}

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = super::text(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    // The open elements: label and node; the root at the bottom.
    let mut stack: Vec<(String, Node)> = vec![(String::new(), Node::default())];
    // The text run being read (Go reports a run with its references as
    // one piece of character data).
    let mut run: Option<String> = None;
    let flush = |stack: &mut Vec<(String, Node)>, run: &mut Option<String>| {
        if let Some(t) = run.take()
            && let Some((_, node)) = stack.last_mut()
        {
            node.data = trim_non_graphic(&t);
        }
    };
    // A decoder error ends the reading, as goxml2json ignores it.
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Text(t) => run
                .get_or_insert_with(String::new)
                .push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.into_inner();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => break,
                        }
                    }
                    Err(_) => break,
                };
                run.get_or_insert_with(String::new).push_str(&resolved);
            }
            Event::CData(c) => {
                flush(&mut stack, &mut run);
                let content = c.into_inner().replace("\r\n", "\n");
                if !content.is_empty()
                    && let Some((_, node)) = stack.last_mut()
                {
                    node.data = trim_non_graphic(&content);
                }
            }
            Event::Start(e) => {
                flush(&mut stack, &mut run);
                if !open(&e, &mut stack) {
                    break;
                }
            }
            Event::Empty(e) => {
                flush(&mut stack, &mut run);
                if !open(&e, &mut stack) {
                    break;
                }
                close(&mut stack);
            }
            Event::End(_) => {
                flush(&mut stack, &mut run);
                close(&mut stack);
            }
            Event::Eof => {
                flush(&mut stack, &mut run);
                break;
            }
            _ => flush(&mut stack, &mut run),
        }
    }
    Ok(finish(stack))
}

/// An element opened, its attributes its first children; false for an
/// attribute Go's decoder refuses.
fn open(e: &quick_xml::events::BytesStart, stack: &mut Vec<(String, Node)>) -> bool {
    let mut node = Node::default();
    for attr in e.attributes() {
        let Ok(attr) = attr else {
            return false;
        };
        let Ok(value) = quick_xml::escape::unescape(&attr.value) else {
            return false;
        };
        node.add(
            format!("-{}", local(attr.key.as_ref())),
            Node {
                data: value.replace("\r\n", "\n"),
                ..Node::default()
            },
        );
    }
    stack.push((local(e.name().as_ref()), node));
    true
}

/// The open element closed: added to its parent.
fn close(stack: &mut Vec<(String, Node)>) {
    if stack.len() > 1
        && let Some((label, node)) = stack.pop()
        && let Some((_, parent)) = stack.last_mut()
    {
        parent.add(label, node);
    }
}

/// The root's JSON (elements still open are dropped, as goxml2json adds an
/// element to its parent only at its end).
fn finish(mut stack: Vec<(String, Node)>) -> Value {
    stack.truncate(1);
    stack
        .pop()
        .map_or(Value::String(String::new()), |(_, root)| root.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// conftest's `parser/xml/xml_test.go` sample.
    #[test]
    fn conftests_xml_test() {
        let sample = "<note>\n\t<to>foo</to>\n\t<from>bar</from>\n\t<heading>Reminder</heading>\n\t<body>baz</body>\n\t</note>";
        assert_eq!(
            parse(sample.as_bytes()).unwrap(),
            json!({"note": {"to": "foo", "from": "bar", "heading": "Reminder", "body": "baz"}})
        );
    }

    /// goxml2json's shapes (its `converter_test.go` kinds of input).
    #[test]
    fn goxml2json_shapes() {
        let got = parse(
            br#"<?xml version="1.0"?>
<!-- c -->
<project xmlns:x="urn:x" version="4.0">
  <x:dep id="a">  a &amp; b  </x:dep>
  <x:dep id="b"/>
  <name>demo</name>
  <empty/>
  <mixed>text<b>bold</b></mixed>
  <data><![CDATA[ <raw> ]]></data>
</project>
"#,
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"project": {
                "-x": "urn:x", "-version": "4.0",
                "dep": [{"-id": "a", "#content": "a & b"}, {"-id": "b"}],
                "name": "demo", "empty": "",
                "mixed": {"#content": "text", "b": "bold"},
                "data": "<raw>"
            }})
        );
    }

    /// goxml2json ignores the decoder's errors: complete elements are kept.
    #[test]
    fn errors_end_the_reading() {
        assert_eq!(parse(b"").unwrap(), json!(""));
        assert_eq!(parse(b"<a><b>x</b>").unwrap(), json!(""));
        assert_eq!(parse(b"<r><a>1</a><b>2</c></r>").unwrap(), json!(""));
    }
}
