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
//!
//! A builtin regorus does not know as one (Gavel's own, `io.jwt.*`, or a
//! host's from capabilities.rs) cannot be a `with` target there either: when
//! a `with` replaces one, every call of it goes through a wrapper function
//! (`x_io__jwt__decode_verify(__a0, __a1) := io.jwt.decode_verify(__a0,
//! __a1)`), and the `with` replaces the wrapper, as it would a function.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::builtin_table::opa_builtin;
use super::capabilities::HostBuiltins;
use crate::rego::walk::{PackageRules, bound_vars, visit_rule_bodies_mut, visit_rule_exprs_mut};
use crate::rego::{Expr, ExprKind, Module, RefArg, Span};

/// The generated module's file and package.
pub const FILE: &str = "__gavel_builtin_mocks.rego";
const PACKAGE: &str = "__gavel_builtin_mocks";

/// The builtins named as `with` replacements, with their arities.
#[derive(Debug, Default)]
pub struct Wrappers {
    used: BTreeMap<String, u8>,
    /// Builtins regorus cannot mock itself that a `with` replaces: each
    /// of their calls goes through a wrapper.
    mocked: BTreeMap<String, u8>,
}

impl Wrappers {
    /// Wrappers for the builtins of `mocked` (see [`mocked_builtins`]).
    pub fn new(mocked: BTreeMap<String, u8>) -> Wrappers {
        Wrappers {
            used: BTreeMap::new(),
            mocked,
        }
    }

    /// The wrappers that are functions, as `data.` paths.
    pub fn function_paths(&self) -> impl Iterator<Item = String> + '_ {
        let used = self
            .used
            .iter()
            .filter(|(_, arity)| **arity > 0)
            .map(|(name, _)| format!("data.{PACKAGE}.{}", wrapper_name(name)));
        let mocked = self
            .mocked
            .keys()
            .map(|name| format!("data.{PACKAGE}.{}", mocked_name(name)));
        used.chain(mocked)
    }

    /// The generated module, when any `with` needed one.
    pub fn module_text(&self) -> Option<String> {
        if self.used.is_empty() && self.mocked.is_empty() {
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
        for (name, &arity) in &self.mocked {
            let args: Vec<String> = (0..arity).map(|i| format!("__a{i}")).collect();
            let args = args.join(", ");
            text.push_str(&format!(
                "{}({args}) := {name}({args})\n",
                mocked_name(name)
            ));
        }
        Some(text)
    }
}

fn wrapper_name(builtin: &str) -> String {
    format!("b_{}", builtin.replace('.', "__"))
}

fn mocked_name(builtin: &str) -> String {
    format!("x_{}", builtin.replace('.', "__"))
}

/// The arity of a builtin regorus does not know as one: Gavel's own or
/// a host's.
fn extension_arity(name: &str, host: &HostBuiltins) -> Option<u8> {
    super::extra_builtins::gavel_arity(name).or_else(|| host.declared.get(name).copied())
}

/// The builtins regorus cannot mock that some `with` of `modules`
/// replaces, with their arities (none of arity 0: a value replaces those
/// without a wrapper).
pub fn mocked_builtins<'a>(
    modules: impl IntoIterator<Item = &'a Module>,
    host: &HostBuiltins,
) -> BTreeMap<String, u8> {
    let mut out = BTreeMap::new();
    for module in modules {
        let package = PackageRules::of([module]);
        for rule in &module.rules {
            crate::rego::walk::visit_rule_bodies(rule, &mut |body| {
                for lit in &body.literals {
                    for w in &lit.with {
                        let Some(path) = w.target.static_path() else {
                            continue;
                        };
                        if path.first().is_none_or(|r| package.all.contains(r)) {
                            continue;
                        }
                        let name = path.join(".");
                        if let Some(arity) = extension_arity(&name, host)
                            && arity > 0
                        {
                            out.insert(name, arity);
                        }
                    }
                }
            });
        }
    }
    out
}
/// Points every `with` whose replacement is a builtin at its wrapper.
/// `function_paths`: the version's functions, `data.a.b.f`.
pub fn rewrite(
    module: &mut Module,
    package: &PackageRules,
    function_paths: &BTreeSet<String>,
    host: &HostBuiltins,
    wrappers: &mut Wrappers,
) {
    for rule in &mut module.rules {
        let bound: HashSet<String> = bound_vars(rule);
        let mocked = &wrappers.mocked;
        if !mocked.is_empty() {
            // Every call of a mocked builtin, and every `with` naming it,
            // goes through its wrapper.
            let wrapped = |e: &Expr| -> Option<String> {
                let path = e.static_path()?;
                let root = path.first()?;
                if bound.contains(root) || package.all.contains(root) {
                    return None;
                }
                let name = path.join(".");
                mocked.contains_key(&name).then_some(name)
            };
            visit_rule_exprs_mut(rule, &mut |e| {
                if let ExprKind::Call { func, .. } = &mut e.kind
                    && let Some(name) = wrapped(func)
                {
                    **func = data_ref(&mocked_name(&name), func.span);
                }
            });
            visit_rule_bodies_mut(rule, &mut |body| {
                for lit in &mut body.literals {
                    for w in &mut lit.with {
                        if let Some(name) = wrapped(&w.target) {
                            w.target = data_ref(&mocked_name(&name), w.target.span);
                        }
                    }
                }
            });
        }
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
                    let Some(arity) = opa_builtin(&name)
                        .map(|b| b.arity)
                        .or_else(|| extension_arity(&name, host))
                    else {
                        continue;
                    };
                    wrappers.used.insert(name.clone(), arity);
                    w.value = data_ref(&wrapper_name(&name), w.value.span);
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

/// `data.__gavel_builtin_mocks.<wrapper>`, where the builtin's name was.
fn data_ref(wrapper: &str, at: Span) -> Expr {
    let dot = |n: String| RefArg::Dot {
        name: n,
        span: Span { col: 0, ..at },
    };
    Expr::new(
        at,
        ExprKind::Ref {
            head: Box::new(Expr::new(at, ExprKind::Var("data".to_string()))),
            path: vec![dot(PACKAGE.to_string()), dot(wrapper.to_string())],
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
