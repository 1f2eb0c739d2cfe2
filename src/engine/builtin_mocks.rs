//! A builtin as the replacement of a `with` (`with count as object.union_n`,
//! `with f as count`, `with time.now_ns as opa.runtime`), as OPA allows:
//! regorus reads a builtin's name there as an unsafe variable. Each such
//! builtin gets a wrapper of its arity in a generated module, and the
//! `with` names the wrapper:
//!
//! ```text
//! package __gavel_builtin_mocks
//! count(__a0) := count(__a0)        # written as b_count
//! opa__runtime := opa.runtime()     # arity 0: a value, as OPA mocks it
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::builtin_table::opa_builtin;
use crate::rego::walk::{PackageRules, bound_vars, visit_rule_bodies_mut};
use crate::rego::{Expr, ExprKind, Module, RefArg, Span};

/// The generated module's file and package.
pub const FILE: &str = "__gavel_builtin_mocks.rego";
const PACKAGE: &str = "__gavel_builtin_mocks";

/// The builtins named as `with` replacements, with their arities.
#[derive(Debug, Default)]
pub struct Wrappers {
    used: BTreeMap<String, u8>,
}

impl Wrappers {
    /// The wrappers that are functions, as `data.` paths.
    pub fn function_paths(&self) -> impl Iterator<Item = String> + '_ {
        self.used
            .iter()
            .filter(|(_, arity)| **arity > 0)
            .map(|(name, _)| format!("data.{PACKAGE}.{}", wrapper_name(name)))
    }

    /// The generated module, when any `with` needed one.
    pub fn module_text(&self) -> Option<String> {
        if self.used.is_empty() {
            return None;
        }
        let mut text = format!("package {PACKAGE}\n\n");
        for (name, &arity) in &self.used {
            let args: Vec<String> = (0..arity).map(|i| format!("__a{i}")).collect();
            let args = args.join(", ");
            if arity == 0 {
                text.push_str(&format!("{} := {name}()\n", wrapper_name(name)));
            } else {
                text.push_str(&format!(
                    "{}({args}) := {name}({args})\n",
                    wrapper_name(name)
                ));
            }
        }
        Some(text)
    }
}

fn wrapper_name(builtin: &str) -> String {
    format!("b_{}", builtin.replace('.', "__"))
}

/// Points every `with` whose replacement is a builtin at its wrapper.
/// `function_paths`: the version's functions, `data.a.b.f`.
pub fn rewrite(
    module: &mut Module,
    package: &PackageRules,
    function_paths: &BTreeSet<String>,
    wrappers: &mut Wrappers,
) {
    for rule in &mut module.rules {
        let bound: HashSet<String> = bound_vars(rule);
        visit_rule_bodies_mut(rule, &mut |body| {
            for lit in &mut body.literals {
                for w in &mut lit.with {
                    if !replaces_a_function(&w.target, package, function_paths) {
                        continue;
                    }
                    let Some(path) = w.value.static_path() else {
                        continue;
                    };
                    let Some(root) = path.first() else {
                        continue;
                    };
                    if bound.contains(root)
                        || package.all.contains(root)
                        || root == "data"
                        || root == "input"
                    {
                        continue;
                    }
                    let name = path.join(".");
                    let Some(builtin) = opa_builtin(&name) else {
                        continue;
                    };
                    wrappers.used.insert(name.clone(), builtin.arity);
                    w.value = wrapper_ref(&name, w.value.span);
                }
            }
        });
    }
}

/// A `with` target that is a builtin or a function (not `input` or a
/// document of `data`).
fn replaces_a_function(
    target: &Expr,
    package: &PackageRules,
    function_paths: &BTreeSet<String>,
) -> bool {
    match target.root_var() {
        Some("input") => false,
        Some("data") => target
            .static_path()
            .is_some_and(|p| function_paths.contains(&p.join("."))),
        Some(root) => !package.all.contains(root) || package.functions.contains(root),
        None => false,
    }
}

/// `data.__gavel_builtin_mocks.b_<name>`, where the builtin's name was.
fn wrapper_ref(builtin: &str, at: Span) -> Expr {
    let dot = |n: String| RefArg::Dot {
        name: n,
        span: Span { col: 0, ..at },
    };
    Expr::new(
        at,
        ExprKind::Ref {
            head: Box::new(Expr::new(at, ExprKind::Var("data".to_string()))),
            path: vec![dot(PACKAGE.to_string()), dot(wrapper_name(builtin))],
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::bundle::Bundle;
    use crate::engine::{LoadOptions, LoadedPolicy};
    use regorus::Value;

    fn eval(src: &str, rule: &str) -> Value {
        let b = Bundle::from_texts([("p.rego".to_string(), src.to_string())]).unwrap();
        let p = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        p.engine().clone().eval_rule(rule.into()).unwrap()
    }

    #[test]
    fn a_builtin_replaces_a_builtin_or_a_function() {
        let src = "package p\n\
            a := x if { x = count([{}, {\"foo\": 3}]) with count as object.union_n }\n\
            b := x if { x = object.union_n([{}, {\"foo\": 3}]) with object.union_n as count }\n\
            f(_) := 2\n\
            c := y if { y = f([1]) with f as count }\n\
            d if { f([1], 1) with f as count }\n";
        assert_eq!(eval(src, "data.p.b"), Value::from(2));
        assert_eq!(eval(src, "data.p.c"), Value::from(1));
        assert_eq!(eval(src, "data.p.d"), Value::from(true));
        assert_eq!(
            crate::engine::convert::to_json(&eval(src, "data.p.a"))
                .unwrap()
                .unwrap(),
            serde_json::json!({"foo": 3})
        );
    }
}
