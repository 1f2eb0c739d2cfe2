//! The text regorus gets for a module: read by Gavel's front end, given
//! the readings OPA has that regorus lacks, and written back in v1 syntax
//! on the user's lines (errors, coverage and prints name them).

use std::collections::{BTreeSet, HashMap};

use crate::bundle::Bundle;
use crate::error::Result;
use crate::rego::Module;
use crate::rego::walk::PackageRules;

/// A module as regorus gets it: the tree after the readings, and its text.
pub struct Read {
    pub module: Module,
    pub text: String,
}

/// Reads every module of a bundle for the engine: each parsed and its
/// nesting checked (nesting.rs), functions defined in several modules of
/// a package joined in one (split_functions.rs), then aliases spelled out
/// (aliases.rs),
/// every call checked to name a function (function_check.rs; a host's
/// builtins come from capabilities.rs), builtins a `with` replaces wrapped
/// (builtin_mocks.rs), locals that shadow rules renamed (shadowing.rs), `with` targets and
/// values as OPA reads them (with_values.rs), operators called by name
/// (operators.rs), builtins called with an output argument
/// (output_args.rs), regex patterns in Go's ASCII classes
/// (regex_patterns.rs), `=` of known values in `every` (every_unify.rs), references with a computed step narrowed to the
/// rules they reach (dynamic_refs.rs; its rules come last, as a module of
/// their own), the terms OPA binds before a `not` (negation.rs), then
/// `some .. in` over what may not be a collection (some_in.rs), or for the
/// bytecode VM the guards it needs (vm_guards.rs; the VM iterates nothing
/// over a scalar by itself, and the lookup costs batch replay about a tenth
/// of its speed); each written back in v1 syntax. conftest's file builtins
/// are given their module's directory first (conftest_builtins.rs).
/// `base`: the version's checked data, when known.
pub fn read_bundle(
    bundle: &Bundle,
    rego_v0: bool,
    for_vm: bool,
    base: Option<&crate::bundle::data::DataIndex>,
) -> Result<Vec<(String, Read)>> {
    let host = super::capabilities::HostBuiltins::of(bundle)?;
    let mut parsed = Vec::new();
    for file in bundle.modules() {
        let module = crate::rego::parse(&file.path, &file.text, rego_v0)?;
        super::nesting::check(&file.path, &module)?;
        super::builtins::check_deprecated(&file.path, &module)?;
        parsed.push((file.path.clone(), module));
    }
    let joined = super::split_functions::split(&mut parsed)?;
    parsed.extend(joined);
    let value_rules: BTreeSet<String> = parsed
        .iter()
        .flat_map(|(_, m)| {
            let package = m.package_name();
            m.rules
                .iter()
                .filter(|r| r.head.args.is_none())
                .filter_map(move |r| {
                    Some(format!(
                        "data.{package}.{}",
                        super::recursion::rule_name(r)?
                    ))
                })
        })
        .collect();
    let mut by_package: HashMap<String, Vec<&Module>> = HashMap::new();
    for (_, m) in &parsed {
        by_package.entry(m.package_name()).or_default().push(m);
    }
    let packages: HashMap<String, PackageRules> = by_package
        .into_iter()
        .map(|(name, modules)| (name, PackageRules::of(modules)))
        .collect();
    let mut function_paths: BTreeSet<String> = parsed
        .iter()
        .flat_map(|(_, m)| {
            let package = m.package_name();
            m.rules
                .iter()
                .filter(|r| r.head.args.is_some())
                .filter_map(move |r| {
                    Some(format!(
                        "data.{package}.{}",
                        super::recursion::rule_name(r)?
                    ))
                })
        })
        .collect();
    let modules: Vec<&Module> = parsed.iter().map(|(_, m)| m).collect();
    let package_annotations = super::rego_metadata::collect(&modules);
    let mut generated = super::dynamic_refs::Generated::default();
    let mut wrappers =
        super::builtin_mocks::Wrappers::new(super::builtin_mocks::mocked_builtins(modules, &host));
    let mut out = Vec::new();
    for (path, mut module) in parsed {
        super::aliases::expand(&mut module);
        let package = packages
            .get(&module.package_name())
            .cloned()
            .unwrap_or_default();
        super::function_check::check(&path, &module, &package, &host)?;
        super::rego_metadata::rewrite(&mut module, &package_annotations);
        super::conftest_builtins::anchor_paths(&mut module, &path);
        super::dynamic_refs::rewrite(&mut module, &value_rules, base, &mut generated);
        super::builtin_mocks::rewrite(&mut module, &package, &function_paths, &host, &mut wrappers);
        function_paths.extend(wrappers.function_paths());
        out.push((path, finish(module, &package, &function_paths, for_vm)));
    }
    if let Some(text) = wrappers.module_text() {
        let module = crate::rego::parse(super::builtin_mocks::FILE, &text, false)?;
        let package = PackageRules::of([&module]);
        out.push((
            super::builtin_mocks::FILE.to_string(),
            finish(module, &package, &function_paths, for_vm),
        ));
    }
    if let Some(text) = generated.module_text() {
        let module = crate::rego::parse(super::dynamic_refs::FILE, &text, false)?;
        let package = PackageRules::of([&module]);
        out.push((
            super::dynamic_refs::FILE.to_string(),
            finish(module, &package, &function_paths, for_vm),
        ));
    }
    Ok(out)
}

/// The readings that need only the module itself, then the text.
fn finish(
    mut module: Module,
    package: &PackageRules,
    function_paths: &BTreeSet<String>,
    for_vm: bool,
) -> Read {
    super::some_in::bind_walk_outputs(&mut module, package);
    super::shadowing::rename_shadowing_locals(&mut module, package);
    super::with_values::bind_with_values(&mut module, package, function_paths);
    super::operators::spell_out(&mut module, package);
    super::output_args::bind_output_arguments(&mut module, package);
    super::regex_patterns::ascii_classes(&mut module);
    super::every_unify::compare_in_every(&mut module, package);
    super::negation::bind_negated_terms(&mut module, package);
    if for_vm {
        super::vm_guards::guard(&mut module);
    } else {
        super::some_in::read_through_iterable(&mut module);
    }
    let text = crate::rego::emit(
        &module,
        crate::rego::EmitOptions {
            from_v0: !module.rego_v1,
        },
    );
    Read { module, text }
}

/// The text regorus gets for a lone module (see [`read_bundle`]).
pub fn normalize(file: &str, text: &str, rego_v0: bool) -> Result<String> {
    let bundle = Bundle::from_texts([(file.to_string(), text.to_string())])?;
    let mut read = read_bundle(&bundle, rego_v0, false, None)?;
    Ok(read.swap_remove(0).1.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_become_full_references_on_the_same_lines() {
        let src = "package t\n\nimport data.p\nimport data.q.r as s\n\ntest_z if {\n  p.z == {1} with input as {\"k\": 1}\n  s.f(1)\n}\nv if {\n  p := 3\n}\nu if { p.y; x := {\"p\": p} }\n";
        let out = normalize("t.rego", src, false).unwrap();
        // Compared without spaces: the emitter lays tokens out its own way.
        let lines: Vec<String> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<String>())
            .collect();
        assert_eq!(lines.len(), src.lines().count());
        assert_eq!(lines[6], "data.p.z=={1}withinputas{\"k\":1};");
        assert_eq!(lines[7], "data.q.r.f(1)");
        // A local of the same name is not an alias.
        assert_eq!(lines[10], "p:=3");
        assert_eq!(lines[12], "uif{data.p.y;x:={\"p\":data.p}}");
        // Imports are spelled out, so regorus gets none.
        assert_eq!(lines[2], "");
    }
}
