//! The fast path of batch replay: regorus's bytecode VM (RVM), about four
//! times faster than its interpreter on the sample policies. It has no
//! coverage and no `with`. Its program is compiled from the version's
//! modules with the guards of `vm_guards.rs`: without them it read an
//! undefined `:=` differently from the interpreter (22 of 3,900 sample
//! evaluations); with them, none of 237,900 (the samples and random
//! mutations of their inputs, `tests/vm_agreement.rs`). How far its answers
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
use crate::bundle::{Bundle, data};

/// `time.now_ns` may be called more than once in an evaluation; each call
/// takes one queued response.
const NOW_RESPONSES: usize = 64;

/// Builtins the VM would run without Gavel's guards (see `compile_fast`).
const UNGUARDED: &[&str] = &["numbers.range"];

/// A version's entrypoint compiled for the VM, shareable between workers.
pub struct FastProgram {
    program: Arc<Program>,
    data: RegoValue,
    query: String,
    timeout: Duration,
}

impl LoadedPolicy {
    /// Compiles `entrypoint` (`a/b/c`) for the VM, or `None` when the VM
    /// cannot take this policy (the interpreter is used then).
    pub fn compile_fast(
        &self,
        bundle: &Bundle,
        entrypoint: &str,
        timeout: Duration,
    ) -> Option<FastProgram> {
        // The VM calls regorus's own builtins, not the guarded ones Gavel
        // registers over them (engine::builtins): a policy that calls one
        // whose unguarded form can exhaust memory stays on the interpreter.
        if bundle
            .modules()
            .any(|m| UNGUARDED.iter().any(|b| m.text.contains(b)))
        {
            return None;
        }
        let query = format!("data.{}", entrypoint.replace('/', "."));
        let mut engine = self.vm_engine(bundle).ok()?;
        let compiled = engine
            .compile_with_entrypoint(&query.as_str().into())
            .ok()?;
        let program = Compiler::compile_from_policy_with_host_await(
            &compiled,
            &[query.as_str()],
            &[("time.now_ns", 0)],
        )
        .ok()?;
        let data = RegoValue::from(data::merged_data(bundle).ok()?);
        Some(FastProgram {
            program,
            data,
            query,
            timeout,
        })
    }
}

/// One worker's VM for one program.
pub struct FastEvaluator {
    vm: RegoVM,
    query: String,
}

impl FastEvaluator {
    pub fn new(p: &FastProgram) -> Option<FastEvaluator> {
        let mut vm = RegoVM::new();
        vm.load_program(p.program.clone());
        vm.set_data(p.data.clone()).ok()?;
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
        self.vm.set_input(convert::to_rego(input));
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
