//! The text regorus gets for a module: read by Gavel's front end, given
//! the readings OPA has that regorus lacks, and written back in v1 syntax
//! on the user's lines (errors, coverage and prints name them).

use crate::error::Result;
use crate::rego::Module;

/// A module as regorus gets it: the tree after the readings, and its text.
pub struct Read {
    pub module: Module,
    pub text: String,
}

/// Reads a module for the engine: nesting checked (nesting.rs), aliases
/// spelled out (aliases.rs), locals that shadow rules renamed
/// (shadowing.rs), operators called by name (operators.rs), the terms OPA binds before a `not`
/// (negation.rs), then `some .. in` over what may not be a collection
/// (some_in.rs), or for the bytecode VM the guards it needs (vm_guards.rs;
/// the VM iterates nothing over a scalar by itself, and the lookup costs
/// batch replay about a tenth of its speed); written back in v1 syntax.
pub fn read(file: &str, text: &str, rego_v0: bool, for_vm: bool) -> Result<Read> {
    let mut module = crate::rego::parse(file, text, rego_v0)?;
    super::nesting::check(file, &module)?;
    super::aliases::expand(&mut module);
    super::shadowing::rename_shadowing_locals(&mut module);
    super::operators::spell_out(&mut module);
    super::negation::bind_negated_terms(&mut module);
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
    Ok(Read { module, text })
}

/// The text regorus gets for a module (see [`read`]).
pub fn normalize(file: &str, text: &str, rego_v0: bool) -> Result<String> {
    Ok(read(file, text, rego_v0, false)?.text)
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
