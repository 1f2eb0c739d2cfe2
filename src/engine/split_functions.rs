//! A function defined in several modules of one package, as OPA allows
//! (test helpers copied into each `_test.rego` of a package are common).
//! regorus 0.14.1 binds every definition's parameters with the binding
//! plans of the first module it finds, so a call fails with `binding plan
//! not found for parameter x`. Here each module's definitions of such a
//! function are renamed (`f` -> `f__gavel_m1`), and one generated module of
//! the package defines `f` once per module by calling them:
//!
//! ```text
//! package lib.sbom_test
//! _sbom(__a0) := _sbom__gavel_m0(__a0)
//! _sbom(__a0) := _sbom__gavel_m1(__a0)
//! ```
//!
//! which gives OPA's answer (every definition counts, differing outputs
//! conflict). `default` definitions stay where they are.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Result;
use crate::rego::{ExprKind, Module};

/// The generated modules' file names start with this.
pub const FILE_PREFIX: &str = "__gavel_functions_";

/// Renames the definitions of every function spread over modules of a
/// package, in place, and returns the generated modules that join them.
pub fn split(parsed: &mut [(String, Module)]) -> Result<Vec<(String, Module)>> {
    // package -> function -> (arity, modules defining it)
    let mut spread: BTreeMap<String, BTreeMap<String, (usize, BTreeSet<usize>)>> = BTreeMap::new();
    for (i, (_, m)) in parsed.iter().enumerate() {
        for r in &m.rules {
            let (Some(args), ExprKind::Var(name)) = (&r.head.args, &r.head.reference.kind) else {
                continue;
            };
            if r.default {
                continue;
            }
            let entry = spread
                .entry(m.package_name())
                .or_default()
                .entry(name.clone())
                .or_insert((args.len(), BTreeSet::new()));
            entry.1.insert(i);
        }
    }
    let mut generated = Vec::new();
    for (package, functions) in spread {
        let mut text = String::new();
        for (name, (arity, modules)) in functions {
            if modules.len() < 2 {
                continue;
            }
            let params: Vec<String> = (0..arity).map(|i| format!("__a{i}")).collect();
            let params = params.join(", ");
            for (k, &i) in modules.iter().enumerate() {
                let renamed = format!("{name}__gavel_m{k}");
                for r in &mut parsed[i].1.rules {
                    if !r.default
                        && r.head.args.is_some()
                        && matches!(&r.head.reference.kind, ExprKind::Var(n) if *n == name)
                    {
                        r.head.reference.kind = ExprKind::Var(renamed.clone());
                    }
                }
                text.push_str(&format!("{name}({params}) := {renamed}({params})\n"));
            }
        }
        if text.is_empty() {
            continue;
        }
        let file = format!("{FILE_PREFIX}{}.rego", generated.len());
        let module = crate::rego::parse(&file, &format!("package {package}\n\n{text}"), false)?;
        generated.push((file, module));
    }
    Ok(generated)
}

#[cfg(test)]
mod tests {
    use crate::bundle::Bundle;
    use crate::engine::{LoadOptions, LoadedPolicy};
    use regorus::Value;

    #[test]
    fn a_function_defined_in_two_modules_answers_as_opa() {
        let b = Bundle::from_texts([
            (
                "a_test.rego".to_string(),
                "package t\n\nf(x) := {\"c\": x}\n\ng(x) := 1 if x == 1\n\nr := [f(1), g(1), g(2)]\n"
                    .to_string(),
            ),
            (
                "b_test.rego".to_string(),
                "package t\n\nf(x) := {\"c\": x}\n\ng(x) := 2 if x == 2\n\ndefault h(_) := 0\n"
                    .to_string(),
            ),
        ])
        .unwrap();
        let p = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let r = p.engine().clone().eval_rule("data.t.r".into()).unwrap();
        assert_eq!(r, Value::from_json_str(r#"[{"c": 1}, 1, 2]"#).unwrap());
    }
}
