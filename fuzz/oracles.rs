//! What each fuzz target checks, shared with the robustness suite
//! (tests/robustness/fuzz_backing.rs replays the seed corpora and every
//! crash the fuzzers found through these same functions, in CI).
#![allow(dead_code)]

use gavel::bundle::manifest::Manifest;
use gavel::bundle::metadata::parse_blocks;
use gavel::bundle::{Bundle, Catalog};
use gavel::decision_log::parse_line;
use gavel::engine::{LoadOptions, LoadedPolicy};
use gavel::sanitize::{escape, escape_multiline, needs_escape};

/// The METADATA parser on any text: blocks or an error, never a panic,
/// and every block inside the text.
pub fn metadata(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(blocks) = parse_blocks(text) {
        for b in blocks {
            assert!(b.start_line <= b.end_line);
            assert!(b.end_line as usize <= text.lines().count());
        }
    }
}

/// The `.manifest` reader on any text: a manifest or an error, never a
/// panic; a manifest it accepts reads back the same once written out.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = Manifest::parse(text) {
        let again = serde_json::to_string(&m).expect("a manifest serialises");
        assert_eq!(Manifest::parse(&again).as_ref(), Ok(&m), "{again}");
    }
}

/// One decision-log line, any bytes: a parsed line or a reason carrying
/// the line number; an accepted line is kept byte for byte, and reads back
/// as an object (numbers keep their text).
pub fn decision_line(data: &[u8]) {
    match parse_line(data, 7) {
        Ok(p) => {
            assert!(!p.decision_id.is_empty());
            assert_eq!(p.event.as_bytes(), data, "kept as it arrived");
            let v: serde_json::Value =
                gavel::json_text::parse(&p.event).expect("an accepted event parses");
            assert!(v.is_object());
        }
        Err(e) => {
            assert_eq!(e.line, 7);
            assert!(!e.reason.is_empty());
        }
    }
}

/// The display sanitizer: nothing that can drive a terminal survives, and
/// the multi-line form keeps exactly the text's line breaks.
pub fn sanitize(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    assert!(!escape(&text).chars().any(needs_escape));
    let multi = escape_multiline(&text);
    assert!(!multi.chars().any(|c| c != '\n' && needs_escape(c)));
    assert_eq!(multi.matches('\n').count(), text.matches('\n').count());
}

/// A Rego module, any text, through Gavel's whole load of a version (the
/// nesting check, the layout fixes, the METADATA catalog, regorus's parser
/// and analysis, the recursion and chain checks): an error or a loaded
/// policy, never a panic, a hang (libFuzzer's -timeout) or a stack
/// overflow.
pub fn rego(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(bundle) = Bundle::from_texts([("p.rego".to_string(), text.to_string())]) else {
        return;
    };
    if Catalog::build(&bundle, false).is_ok() {
        let _ = LoadedPolicy::load(&bundle, LoadOptions::new(false));
    }
}
