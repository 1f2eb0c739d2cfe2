//! The fast path of batch replay: regorus's bytecode VM (RVM), about four
//! times faster than its interpreter on the sample policies. It has no
//! coverage and no `with`. Its program is compiled from the version's
//! modules with the guards of `vm_guards.rs`: without them it read an
//! undefined `:=` differently from the interpreter (22 of 3,900 sample
//! evaluations); with them, none on the samples and random mutations of
//! their inputs (`tests/vm_agreement.rs`; a run of 237,900 found only an
//! interpreter error, since fixed in `some_in.rs`). How far its answers
//! are trusted is replay's call (`replay::vm_trust`). `time.now_ns` is
//! pinned through the VM's host-await mechanism.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use regorus::Value as RegoValue;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::RegoVM;
use regorus::rvm::program::Program;
use regorus::utils::limits::ExecutionTimerConfig;
use serde_json::Value;

use super::{LoadedPolicy, convert};
use crate::bundle::Bundle;
use crate::rego::ExprKind;

/// `time.now_ns` may be called more than once in an evaluation; each call
/// takes one queued response.
const NOW_RESPONSES: usize = 64;

/// Builtins the VM would run without Gavel's guards (see `compile_fast`);
/// `numbers.range_step` too.
const UNGUARDED: &[&str] = &["numbers.range"];

/// Builtins Gavel reads as OPA does where regorus's own (which the VM runs)
/// do not, for some arguments (engine::builtins): `sprintf` with fewer
/// arguments than verbs, JSON paths with a leading `/`.
const READ_DIFFERENTLY: &[&str] = &["json.remove", "json.filter"];

/// A version's entrypoint compiled for the VM, shareable between workers.
pub struct FastProgram {
    program: Arc<Program>,
    data: RegoValue,
    query: String,
    timeout: Duration,
    /// Whether the VM gives the interpreter's answer wherever it answers, as
    /// far as the builtins tell (see `new_answers_trusted`).
    builtins_alike: bool,
}

impl FastProgram {
    /// Whether an answer of this program that differs from the recorded
    /// result may stand without the interpreter (replay::vm_trust checks
    /// it): not when the policy calls a builtin Gavel reads differently
    /// from regorus, or `sprintf` in a way that could differ.
    pub fn new_answers_trusted(&self) -> bool {
        self.builtins_alike
    }

    /// The function the VM calls for a builtin.
    #[cfg(test)]
    pub(crate) fn resolved_builtin(&self, name: &str) -> Option<regorus::unstable::BuiltinFcn> {
        let at = self
            .program
            .builtin_info_table
            .iter()
            .position(|b| b.name == name)?;
        self.program.resolved_builtins.get(at).copied()
    }
}

/// The VM compiler's refusal as a reader wants it: its kind and where
/// (`WithKeywordUnsupported at w.rego:4:3`).
fn vm_refusal(e: &regorus::languages::rego::compiler::SpannedCompilerError) -> String {
    match &e.span {
        Some(at) => format!(
            "{:?} at {}:{}:{}",
            e.error,
            at.source.file(),
            at.line,
            at.col
        ),
        None => format!("{:?}", e.error),
    }
}

/// An error's first line that says something: what a count of refusals is
/// keyed by.
fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no reason given")
        .to_string()
}

impl LoadedPolicy {
    /// Compiles `entrypoint` (`a/b/c`) for the VM, or says why the VM
    /// cannot take this policy (the interpreter is used then).
    pub fn compile_fast(
        &self,
        bundle: &Bundle,
        entrypoint: &str,
        timeout: Duration,
    ) -> std::result::Result<FastProgram, String> {
        // The VM calls regorus's own builtins, not the guarded ones Gavel
        // registers over them (engine::builtins): a policy that calls one
        // whose unguarded form can exhaust memory stays on the interpreter.
        let query = format!("data.{}", entrypoint.replace('/', "."));
        let (mut engine, trees) = self
            .vm_engine(bundle)
            .map_err(|e| format!("reading it for the VM: {e}"))?;
        let called = called_functions(&trees);
        if let Some(b) = UNGUARDED.iter().find(|b| called.contains(**b)) {
            return Err(format!("it calls {b}, which the VM runs unguarded"));
        }
        let compiled = engine
            .compile_with_entrypoint(&query.as_str().into())
            .map_err(|e| format!("regorus's compiler: {}", first_line(&e.to_string())))?;
        let mut program = Compiler::compile_from_policy_with_host_await(
            &compiled,
            &[query.as_str()],
            &[("time.now_ns", 0)],
        )
        .map_err(|e| format!("regorus's VM compiler: {}", vm_refusal(&e)))?;
        // Fresh from the compiler, so not shared yet (were it shared, the
        // VM would run regorus's builtins, which answer alike, slower).
        if let Some(p) = Arc::get_mut(&mut program) {
            super::vm_builtins::install(p);
        }
        // The engine's own data document (shared, not parsed again).
        let data = engine.get_data();
        let builtins_alike = trees.iter().all(|(_, m)| builtins_alike(m));
        Ok(FastProgram {
            program,
            data,
            query,
            timeout,
            builtins_alike,
        })
    }
}

/// The names of every function a version calls (`sprintf`, `data.lib.f`).
fn called_functions(trees: &super::Trees) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for (_, module) in trees {
        for rule in &module.rules {
            crate::rego::walk::visit_rule_exprs(rule, &mut |e| {
                if let ExprKind::Call { func, .. } = &e.kind
                    && let Some(path) = func.static_path()
                {
                    out.insert(path.join("."));
                }
            });
        }
    }
    out
}

/// Whether every builtin call of a module reads the same on the VM as on
/// Gavel's interpreter: none of READ_DIFFERENTLY, and every `sprintf` a
/// literal format with a literal array of at least as many arguments as it
/// has verbs, and widths in bounds.
fn builtins_alike(module: &crate::rego::Module) -> bool {
    let mut alike = true;
    for rule in &module.rules {
        crate::rego::walk::visit_rule_exprs(rule, &mut |e| {
            let ExprKind::Call { func, args } = &e.kind else {
                return;
            };
            let name = func.static_path().map(|p| p.join(".")).unwrap_or_default();
            if READ_DIFFERENTLY.contains(&name.as_str()) {
                alike = false;
            }
            if name == "sprintf" {
                let literal = match (args.first().map(|a| &a.kind), args.get(1).map(|a| &a.kind)) {
                    (Some(ExprKind::String { value, .. }), Some(ExprKind::Array(items))) => {
                        super::builtins::sprintf_reads_alike(value, items.len())
                    }
                    _ => false,
                };
                alike &= literal;
            }
        });
    }
    alike
}

/// One worker's VM for one program.
pub struct FastEvaluator {
    vm: RegoVM,
    query: String,
}

impl FastEvaluator {
    pub fn new(p: &FastProgram) -> Option<FastEvaluator> {
        let mut vm = RegoVM::new();
        // This VM's own program and data, sharing no reference counts with
        // the other workers' (see `convert::deep_copy`): with them shared,
        // batch replay on two cores ran a fifth slower.
        let mut program = Program::clone(&p.program);
        program.literals = program.literals.iter().map(convert::deep_copy).collect();
        program.rule_tree = convert::deep_copy(&program.rule_tree);
        vm.load_program(Arc::new(program));
        vm.set_data(convert::deep_copy(&p.data)).ok()?;
        // The instruction cap is a safety net; the time limit is the rule.
        vm.set_max_instructions(usize::MAX / 2);
        vm.set_execution_timer_config(Some(ExecutionTimerConfig {
            limit: p.timeout,
            check_interval: NonZeroU32::new(256).unwrap_or(NonZeroU32::MIN),
        }));
        Some(FastEvaluator {
            vm,
            query: p.query.clone(),
        })
    }

    /// The result (`None`: undefined), or `None` in the outer option when
    /// the VM failed (the caller falls back to the interpreter).
    pub fn eval(&mut self, input: &Value, now_ns: i64) -> Option<Option<Value>> {
        self.eval_value(&convert::to_rego(input), now_ns)
    }

    /// `eval` on an input that is already the engine's value.
    pub fn eval_value(&mut self, input: &RegoValue, now_ns: i64) -> Option<Option<Value>> {
        self.vm.set_input(input.clone());
        self.vm.set_host_await_responses([(
            RegoValue::from("time.now_ns"),
            vec![RegoValue::from(now_ns); NOW_RESPONSES],
        )]);
        let v = self.vm.execute_entry_point_by_name(&self.query).ok()?;
        convert::to_json(&v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LoadOptions;

    #[test]
    fn new_answers_are_trusted_only_where_the_builtins_read_alike() {
        let trusted = |body: &str| {
            let text = format!("package p\nr := {body}\n");
            let b = Bundle::from_texts([("p.rego".to_string(), text)]).unwrap();
            let policy = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
            policy
                .compile_fast(&b, "p/r", Duration::from_secs(5))
                .expect("compiles")
                .new_answers_trusted()
        };
        assert!(trusted("sprintf(\"%v is %d\", [input.a, 1])"));
        assert!(trusted("upper(\"a\")"));
        assert!(!trusted("sprintf(\"%v is %d\", [input.a])"));
        assert!(!trusted("sprintf(\"%9999999999d\", [1])"));
        assert!(!trusted("sprintf(input.f, [1])"));
        assert!(!trusted("sprintf(\"%v\", input.args)"));
        assert!(!trusted("json.remove({\"a\": 1}, [\"/a\"])"));
    }

    #[test]
    fn agrees_with_the_interpreter_and_pins_time() {
        let b = Bundle::from_texts([(
            "p.rego".to_string(),
            "package p\ndecision := {\"outcome\": o, \"now\": time.now_ns()} if {\n  o := \"BLOCK\"\n  input.amount > data.cfg.max\n}\n"
                .to_string(),
        ), ("cfg/data.json".to_string(), r#"{"max": 10}"#.to_string())])
        .unwrap();
        let policy = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let program = policy
            .compile_fast(&b, "p/decision", Duration::from_secs(5))
            .expect("compiles");
        let mut fast = FastEvaluator::new(&program).unwrap();
        for amount in [5, 50] {
            let input = serde_json::json!({"amount": amount});
            let slow = policy.evaluate_result("p/decision", &input, 42).unwrap();
            assert_eq!(fast.eval(&input, 42), Some(slow.clone()), "amount {amount}");
        }
        assert_eq!(
            fast.eval(&serde_json::json!({"amount": 50}), 7)
                .unwrap()
                .unwrap()["now"],
            serde_json::json!(7)
        );
    }
}
