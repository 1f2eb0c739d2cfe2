//! Every function a module calls exists, checked at load as OPA's compiler
//! does (`rego_type_error: undefined function`): regorus would say so only
//! when the call runs, mid-test or mid-decision. Runs after aliases.rs, so
//! an imported name is already spelled `data.…`: a call is then to the
//! package's own function, to `data.…` (which regorus resolves), or to a
//! builtin.

use std::collections::HashSet;

use super::builtin_table::{Support, opa_builtin, support};
use super::capabilities::{FILE as CAPABILITIES, HostBuiltins, is_known};
use crate::error::{Error, Result};
use crate::rego::walk::{PackageRules, bound_vars, visit_rule_exprs};
use crate::rego::{ExprKind, Module};

/// OPA reports at most this many errors of one compilation.
const MAX_ERRORS: usize = 10;

/// Each call of `module` names a function that exists; otherwise an error
/// naming each unknown one with its file:line:col.
pub fn check(
    file: &str,
    module: &Module,
    package: &PackageRules,
    host: &HostBuiltins,
) -> Result<()> {
    let mut errors = Vec::new();
    for rule in &module.rules {
        let bound: HashSet<String> = bound_vars(rule);
        visit_rule_exprs(rule, &mut |e| {
            let ExprKind::Call { func, .. } = &e.kind else {
                return;
            };
            let Some(path) = func.static_path() else {
                return;
            };
            let Some(root) = path.first() else {
                return;
            };
            if root == "data"
                || root == "input"
                || package.all.contains(root)
                || bound.contains(root)
            {
                return;
            }
            let name = path.join(".");
            if let Some(problem) = unknown(&name, host) {
                errors.push(format!(
                    "{file}:{}:{}: {problem}",
                    func.span.line, func.span.col
                ));
            }
        });
    }
    if errors.is_empty() {
        return Ok(());
    }
    let more = errors.len().saturating_sub(MAX_ERRORS);
    errors.truncate(MAX_ERRORS);
    if more > 0 {
        errors.push(format!("... and {more} more"));
    }
    Err(Error::Invalid(errors.join("\n")))
}

/// Why `name` cannot be called, if it cannot.
fn unknown(name: &str, host: &HostBuiltins) -> Option<String> {
    // (A deprecated one in Rego v1 is refused before: builtins.rs.)
    if host.contains(name) || is_known(name) {
        return None;
    }
    if let Some(b) = opa_builtin(name)
        && let Support::Missing(why) = support(b)
    {
        return Some(format!(
            "rego_type_error: builtin {name} is not supported by Gavel: {why} (see `gavel builtins`)"
        ));
    }
    Some(format!(
        "rego_type_error: undefined function {name} (a host's builtin? declare it in \
         {CAPABILITIES} or with --capabilities FILE)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_src(src: &str, host: &HostBuiltins) -> Result<()> {
        let m = crate::rego::parse("p.rego", src, false).unwrap();
        assert!(m.rego_v1);
        let package = PackageRules::of([&m]);
        check("p.rego", &m, &package, host)
    }

    #[test]
    fn names_each_unknown_function_where_it_is_called() {
        let src = "package p\n\nf(x) := x\n\nallow if {\n  f(1)\n  count([]) == 0\n  ec.oci.blob(\"x\")\n  data.lib.g(1)\n}\n\nz if h(2)\n";
        let err = check_src(src, &HostBuiltins::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("p.rego:8:3: rego_type_error: undefined function ec.oci.blob"),
            "{err}"
        );
        assert!(
            err.contains("p.rego:12:6: rego_type_error: undefined function h"),
            "{err}"
        );
        assert!(
            !err.contains("data.lib.g") && !err.contains("count"),
            "{err}"
        );
        let host = HostBuiltins::parse(
            "capabilities.json",
            r#"{"builtins": [{"name": "ec.oci.blob", "decl": {"args": [{}]}},
                             {"name": "h", "decl": {"args": [{}]}}]}"#,
        )
        .unwrap();
        check_src(src, &host).unwrap();
    }

    #[test]
    fn a_builtin_gavel_lacks_says_why() {
        let err = check_src(
            "package p\n\nx := rego.parse_module(\"p.rego\", \"package p\")\n",
            &HostBuiltins::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "p.rego:3:6: rego_type_error: builtin rego.parse_module is not supported by Gavel"
            ),
            "{err}"
        );
    }
}
