//! Why a decision came out as it did: its cited rules sorted into the
//! causes (fired rules the result names, with their messages and the lines
//! of theirs that ran), the helpers (rules that fired without being named
//! in the result) and the rules that did not fire. Shared by every screen
//! that explains a decision, so they list the same rules in the same order.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::engine::RuleOutcome;
use crate::store::StoredRule;

/// How the causes were told from the helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CauseBasis {
    /// The result names them: a string in it is the rule's name (the
    /// `"rule": "..."` of a finding).
    NamedInResult,
    /// The result is an object with a non-empty member of the rule's name
    /// (`{"deny": [...]}`).
    ResultMember,
    /// The result is the entrypoint rule's own value (`deny` queried).
    Entrypoint,
    /// Nothing in the result points at a rule.
    None,
}

impl CauseBasis {
    /// What the causes heading says about them.
    pub fn describe(self) -> &'static str {
        match self {
            CauseBasis::NamedInResult => "named in the result",
            CauseBasis::ResultMember => "members of the result",
            CauseBasis::Entrypoint => "the entrypoint's own value",
            CauseBasis::None => "none named in the result",
        }
    }
}

/// A fired rule the result names.
#[derive(Debug, Clone)]
pub struct Cause<'a> {
    pub rule: &'a RuleOutcome,
    /// The messages the result carries for it (`message` / `msg` beside its
    /// name), in the result's order.
    pub messages: Vec<String>,
    /// Its lines that ran, when the lines that ran and its extent are known.
    pub lines_ran: Option<Vec<u32>>,
}

/// A decision's cited rules, sorted.
#[derive(Debug, Clone)]
pub struct Explanation<'a> {
    pub causes: Vec<Cause<'a>>,
    pub basis: CauseBasis,
    /// Fired, not named in the result.
    pub helpers: Vec<&'a RuleOutcome>,
    pub not_fired: Vec<&'a RuleOutcome>,
}

impl Explanation<'_> {
    pub fn cited(&self) -> usize {
        self.causes.len() + self.helpers.len() + self.not_fired.len()
    }

    pub fn fired(&self) -> usize {
        self.causes.len() + self.helpers.len()
    }
}

/// Sorts `outcomes` (rules without a citation are left out) against the
/// decision's `result`. `entrypoint` is `a/b/rule`; `lines_ran` the
/// evaluation's lines by file, and `rules` the version's catalog, which
/// gives each rule's last line: with both, each cause gets its lines that
/// ran.
pub fn explain<'a>(
    outcomes: &'a [RuleOutcome],
    result: Option<&Value>,
    entrypoint: &str,
    lines_ran: Option<&BTreeMap<String, Vec<u32>>>,
    rules: &[StoredRule],
) -> Explanation<'a> {
    let cited: Vec<&RuleOutcome> = outcomes
        .iter()
        .filter(|o| !o.citations.is_empty())
        .collect();
    let fired: Vec<&RuleOutcome> = cited.iter().copied().filter(|o| o.fired).collect();
    let not_fired: Vec<&RuleOutcome> = cited.iter().copied().filter(|o| !o.fired).collect();

    let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(r) = result {
        collect_named(r, &mut named);
    }
    let is_named = |o: &RuleOutcome| {
        named.contains_key(&o.rule) || named.contains_key(&format!("{}.{}", o.package, o.rule))
    };
    let member = |o: &RuleOutcome| match result {
        Some(Value::Object(m)) => m.get(&o.rule).is_some_and(non_empty),
        _ => false,
    };
    let entry = entrypoint.trim_matches('/').replace('/', ".");
    let is_entrypoint = |o: &RuleOutcome| format!("{}.{}", o.package, o.rule) == entry;

    let (basis, test): (CauseBasis, &dyn Fn(&RuleOutcome) -> bool) =
        if fired.iter().any(|o| is_named(o)) {
            (CauseBasis::NamedInResult, &is_named)
        } else if fired.iter().any(|o| member(o)) {
            (CauseBasis::ResultMember, &member)
        } else if fired.iter().any(|o| is_entrypoint(o)) {
            (CauseBasis::Entrypoint, &is_entrypoint)
        } else {
            (CauseBasis::None, &|_| false)
        };
    let mut causes = Vec::new();
    let mut helpers = Vec::new();
    // A rule defined in several bodies is a cause once per body; its
    // messages go with the first.
    let mut told = std::collections::BTreeSet::new();
    for o in fired {
        if !test(o) {
            helpers.push(o);
            continue;
        }
        let messages = if told.insert((&o.package, &o.rule)) {
            named
                .get(&o.rule)
                .or_else(|| named.get(&format!("{}.{}", o.package, o.rule)))
                .cloned()
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        causes.push(Cause {
            rule: o,
            messages,
            lines_ran: lines_ran.and_then(|l| lines_of(o, l, rules)),
        });
    }
    Explanation {
        causes,
        basis,
        helpers,
        not_fired,
    }
}

/// A rule's lines that ran: those of its file between its first and last
/// line (the catalog knows the last).
fn lines_of(
    o: &RuleOutcome,
    lines_ran: &BTreeMap<String, Vec<u32>>,
    rules: &[StoredRule],
) -> Option<Vec<u32>> {
    let rule = rules.iter().find(|r| {
        r.file == o.file && r.line_start == o.line && r.name == o.rule && r.package == o.package
    })?;
    Some(
        lines_ran
            .get(&o.file)
            .map(|ls| {
                ls.iter()
                    .copied()
                    .filter(|l| (rule.line_start..=rule.line_end).contains(l))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Every string in `v`, as a key of `named`; the value: the messages that
/// sit beside it in an object (`{"rule": "x", "message": "..."}`).
fn collect_named(v: &Value, named: &mut BTreeMap<String, Vec<String>>) {
    match v {
        Value::String(s) => {
            named.entry(s.clone()).or_default();
        }
        Value::Array(items) => items.iter().for_each(|i| collect_named(i, named)),
        Value::Object(m) => {
            let message = ["message", "msg", "reason", "description"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str));
            for (k, item) in m {
                if let (Value::String(s), Some(msg)) = (item, message)
                    && !["message", "msg", "reason", "description"].contains(&k.as_str())
                {
                    named.entry(s.clone()).or_default().push(msg.to_string());
                } else {
                    collect_named(item, named);
                }
            }
        }
        _ => {}
    }
}

/// A member that holds something: not null, false, empty or zero-length.
fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// `[1,2,3,5,7,8]` -> `["1-3", "5", "7-8"]` (sorted, duplicates dropped).
pub fn line_ranges(lines: &[u32]) -> Vec<String> {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if end > start {
            format!("{start}-{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(name: &str, fired: bool) -> RuleOutcome {
        RuleOutcome {
            package: "p".into(),
            rule: name.into(),
            file: "p.rego".into(),
            line: 1,
            title: None,
            citations: vec![crate::bundle::Citation {
                regulation: "R".into(),
                clause: "1".into(),
            }],
            severity: None,
            fired,
        }
    }

    #[test]
    fn rules_the_result_names_come_first_with_their_messages() {
        let outcomes = vec![
            rule("block", true),
            rule("too_few", true),
            rule("quiet", false),
            rule("late", true),
        ];
        let result = json!({"outcome": "BLOCK", "reasons": [
            {"rule": "too_few", "message": "2 quotes; 3 required"},
            {"rule": "late", "message": "filed late"}]});
        let e = explain(&outcomes, Some(&result), "p/decision", None, &[]);
        assert_eq!(e.basis, CauseBasis::NamedInResult);
        let causes: Vec<_> = e.causes.iter().map(|c| c.rule.rule.as_str()).collect();
        assert_eq!(causes, ["too_few", "late"]);
        assert_eq!(e.causes[0].messages, ["2 quotes; 3 required"]);
        assert_eq!(e.helpers.len(), 1);
        assert_eq!(e.not_fired.len(), 1);
        assert_eq!((e.fired(), e.cited()), (3, 4));
    }

    #[test]
    fn a_member_of_the_result_or_the_entrypoint_is_a_cause_when_nothing_is_named() {
        let outcomes = vec![rule("deny", true), rule("helper", true)];
        let e = explain(
            &outcomes,
            Some(&json!({"deny": ["x"], "allow": false})),
            "p/main",
            None,
            &[],
        );
        assert_eq!(e.basis, CauseBasis::ResultMember);
        assert_eq!(e.causes[0].rule.rule, "deny");
        let e = explain(&outcomes, Some(&json!(["bad"])), "p/deny", None, &[]);
        assert_eq!(e.basis, CauseBasis::Entrypoint);
        assert_eq!(e.causes[0].rule.rule, "deny");
        let e = explain(&outcomes, None, "p/other", None, &[]);
        assert_eq!(e.basis, CauseBasis::None);
        assert_eq!(e.helpers.len(), 2);
    }

    #[test]
    fn ranges_are_compact() {
        assert_eq!(line_ranges(&[8, 1, 2, 3, 5, 7, 8]), ["1-3", "5", "7-8"]);
        assert!(line_ranges(&[]).is_empty());
    }
}
