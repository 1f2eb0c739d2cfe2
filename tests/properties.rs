//! Property tests of the parsers that take untrusted text (issue 7 backs
//! each fuzz target with one): they never panic, and what they promise holds
//! for any input.

use gavel::bundle::manifest::Manifest;
use gavel::bundle::metadata::parse_blocks;
use gavel::decision_log::parse_line;
use gavel::sanitize::{escape, escape_multiline, needs_escape};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// METADATA blocks: any text, and text shaped like comment blocks.
    #[test]
    fn metadata_parser_never_panics(text in "(# ?(METADATA|[a-z_]{1,8}: ?[^\n]{0,12}|- [^\n]{0,8}|  [^\n]{0,10})\n|[a-z]{0,6}\n){0,12}") {
        if let Ok(blocks) = parse_blocks(&text) {
            for b in blocks {
                prop_assert!(b.start_line <= b.end_line);
                prop_assert!(b.end_line as usize <= text.lines().count());
            }
        }
    }

    #[test]
    fn metadata_parser_takes_any_text(text in "\\PC{0,200}") {
        let _ = parse_blocks(&text);
    }

    /// The manifest reader: any text gives a manifest or an error.
    #[test]
    fn manifest_reader_never_panics(text in "\\PC{0,120}") {
        let _ = Manifest::parse(&text);
    }

    #[test]
    fn manifest_reader_on_json_shapes(text in r#"\{("(revision|roots|rego_version|metadata)": ?(-?[0-9]{1,3}|"[a-z.]{0,5}"|\[[0-9",a-z ]{0,8}\]|\{\}|null|true),? ?){0,4}\}"#) {
        let _ = Manifest::parse(&text);
    }

    /// A decision-log line: any bytes give a parsed line or a reason with
    /// the line number.
    #[test]
    fn decision_log_line_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), line in 1u64..1_000_000) {
        if let Err(e) = parse_line(&bytes, line) {
            prop_assert_eq!(e.line, line);
            prop_assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn decision_log_line_on_event_shapes(text in r#"\{("(decision_id|path|input|result|timestamp|bundles)": ?("[a-z0-9:TZ-]{0,12}"|\{\}|[0-9]{1,4}|null|\[\]),? ?){0,6}\}"#) {
        if let Ok(p) = parse_line(text.as_bytes(), 1) {
            prop_assert!(!p.decision_id.is_empty());
            prop_assert_eq!(p.event.as_str(), text.as_str(), "kept as it arrived");
        }
    }

    /// The display sanitizer: nothing that can drive a terminal survives.
    #[test]
    fn sanitizer_output_is_inert(text in "\\PC{0,60}|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a ]{0,60}") {
        prop_assert!(!escape(&text).chars().any(needs_escape));
        prop_assert!(!escape_multiline(&text).chars().any(|c| c != '\n' && needs_escape(c)));
        prop_assert_eq!(escape_multiline(&text).matches('\n').count(), text.matches('\n').count());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A Rego module through Gavel's whole load of a version (nesting
    /// check, layout fixes, catalog, regorus, recursion and chain checks),
    /// on a worker-sized stack: an error or a policy, never a panic or an
    /// overflow (backs the `rego` fuzz target).
    #[test]
    fn rego_load_never_panics(body in "([a-z]{1,3} (:=|=|if|contains) |[\\[\\]{}()]|[0-9]|\"[a-z]{0,3}\"|[-+*/|&.,;:]|not |some |in |every |\n|# [\\[{(]{0,3}\n){0,60}") {
        let src = format!("package p\n\n{body}\n");
        let loaded = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let bundle = gavel::bundle::Bundle::from_texts([("p.rego".to_string(), src)]).unwrap();
                if gavel::bundle::Catalog::build(&bundle, false).is_ok() {
                    let _ = gavel::engine::LoadedPolicy::load(&bundle, gavel::engine::LoadOptions::new(false));
                }
            })
            .unwrap()
            .join();
        prop_assert!(loaded.is_ok());
    }

    /// Gavel's Rego parser takes any text: a module or a located error.
    #[test]
    fn rego_parser_takes_any_text(text in "\\PC{0,300}", v0 in any::<bool>()) {
        if let Err(e) = gavel::rego::parse("p.rego", &text, v0) {
            prop_assert!(e.to_string().starts_with("p.rego:"));
        }
    }

    /// Rego-shaped text: tokens of the language in any order.
    #[test]
    fn rego_parser_takes_any_tokens(text in "(package p\n|import [a-z.]{1,8}\n|[a-z]{1,3}|[0-9.e]{1,4}|\"[a-z]{0,3}\"|`[a-z\n]{0,3}`|:=|==|[-+*/%&|<>=!.,;:(){}\\[\\] \n]|if |else |not |some |every |in |contains |with |as |default |#[a-z ]{0,5}\n){0,80}", v0 in any::<bool>()) {
        let src = format!("package p\n{text}");
        if let Ok(module) = gavel::rego::parse("p.rego", &src, v0) {
            let _ = gavel::rego::emit(&module, Default::default());
        }
    }

    /// The front end and the nesting check: any text parses or gives a
    /// located error, without a panic, and a module the check accepts is
    /// within the limit.
    #[test]
    fn nesting_check_accepts_only_what_is_within_limits(text in "([\\[\\]{}()]|[-+.,|:;]|:=|[a-z0-9 ]|\"[\\[{]{0,2}\"|`[\\[\n]{0,2}`|#[\\[(]{0,2}\n|\n){0,400}") {
        use gavel::engine::nesting::{check, measure, MAX_EXPRESSION_DEPTH};
        let src = format!("package p\nx := {text}\n");
        if let Ok(module) = gavel::rego::parse("p.rego", &src, false) {
            if check("p.rego", &module).is_ok() {
                prop_assert!(measure(&module) <= MAX_EXPRESSION_DEPTH);
            } else {
                prop_assert!(measure(&module) > MAX_EXPRESSION_DEPTH);
            }
        }
    }
}
