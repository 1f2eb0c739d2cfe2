//! regorus, set up the way Gavel needs it: a version's modules and data in
//! one prepared engine, OPA's non-strict builtin errors, `time.now_ns`
//! pinned per evaluation, an evaluation time limit, coverage and prints.

pub mod aliases;
pub mod aws_sign;
pub mod builtin_mocks;
pub mod builtin_table;
pub mod builtins;
pub mod capabilities;
pub mod cases;
pub mod clock;
mod conftest;
pub mod conftest_builtins;
pub mod convert;
pub mod coverage;
pub mod dynamic_refs;
pub mod evaluate;
pub mod every_unify;
pub mod extra_builtins;
pub mod fast;
pub mod function_check;
pub mod graphql_builtins;
pub mod jwt_builtins;
pub mod nd_cache;
pub mod negation;
pub mod nesting;
pub mod net_string_builtins;
pub mod normalize;
pub mod operators;
pub mod outcome;
pub mod output_args;
pub mod reach;
pub mod recursion;
pub mod regex_builtins;
pub mod regex_patterns;
pub mod rego_metadata;
pub mod schema_builtins;
pub mod shadowing;
pub mod some_in;
pub mod split_functions;
pub mod suite;
pub mod testing;
pub mod text_builtins;
pub mod vm_builtins;
pub mod vm_guards;
pub mod with_values;
mod x509_builtins;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};

use crate::bundle::catalog::located_error;
use crate::bundle::{Bundle, data};
use crate::error::{Error, Result};

pub use evaluate::{EvalRequest, Evaluation, RuleOutcome, resolve_entrypoint};

/// The default evaluation time limit, as `opa test --timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How to load a version.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    pub rego_v0: bool,
    /// Each evaluation (a decision, a test) stops with an error past this.
    pub timeout: Duration,
}

impl LoadOptions {
    pub fn new(rego_v0: bool) -> LoadOptions {
        LoadOptions {
            rego_v0,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A version loaded into regorus and checked: every module parsed, the data
/// merged, and the engine's own checks (safety, scheduling) run once.
pub struct LoadedPolicy {
    engine: Engine,
    opts: LoadOptions,
    /// Package -> the packages its modules import (`data.` stripped).
    imports: HashMap<String, BTreeSet<String>>,
    test_files: HashSet<String>,
    /// Policy file -> the lines coverage can mark (see coverage.rs).
    coverable: HashMap<String, BTreeSet<u32>>,
    /// Whether Gavel's builtins' errors are errors (shared by every clone
    /// of the engine; see `extra_builtins::install`).
    strict: Arc<AtomicBool>,
}

impl LoadedPolicy {
    /// Loads every module and the merged data of a bundle.
    pub fn load(bundle: &Bundle, opts: LoadOptions) -> Result<LoadedPolicy> {
        let strict = Arc::new(AtomicBool::new(false));
        let (mut engine, trees) = prepared_engine(bundle, opts, false, true, &strict)?;
        engine.set_gather_prints(true);
        let imports = imports_by_package(&trees);
        let test_files: HashSet<String> = bundle
            .modules()
            .filter(|m| m.is_test_module())
            .map(|m| m.path.clone())
            .collect();
        let coverable = trees
            .iter()
            .filter(|(f, _)| {
                !test_files.contains(f)
                    && f != dynamic_refs::FILE
                    && f != builtin_mocks::FILE
                    && !f.starts_with(split_functions::FILE_PREFIX)
            })
            .map(|(f, m)| (f.clone(), coverage::coverable_lines(m)))
            .collect();
        Ok(LoadedPolicy {
            engine,
            opts,
            imports,
            test_files,
            coverable,
            strict,
        })
    }

    /// Checks that a version loads, as [`LoadedPolicy::load`] would load it,
    /// without giving the engine its data: every module parsed and read,
    /// the data files read and checked for conflicts (their object keys
    /// only, see `bundle::data::check`), and the engine's own checks run.
    /// An import needs no more, and holds a data file's text and shape
    /// rather than its values (which take several times the text).
    pub fn check(bundle: &Bundle, opts: LoadOptions) -> Result<()> {
        let strict = Arc::new(AtomicBool::new(false));
        prepared_engine(bundle, opts, false, false, &strict).map(drop)
    }

    /// Builtin errors become evaluation errors instead of undefined, as
    /// `opa eval --strict-builtin-errors` (clones made after this inherit it).
    pub fn set_strict_builtin_errors(&mut self, strict: bool) {
        self.engine.set_strict_builtin_errors(strict);
        self.strict
            .store(strict, std::sync::atomic::Ordering::Relaxed);
    }

    /// How this was loaded.
    pub fn options(&self) -> LoadOptions {
        self.opts
    }

    /// Whether builtin errors are errors (see `set_strict_builtin_errors`).
    pub fn is_strict(&self) -> bool {
        self.strict.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The prepared engine; clone it per evaluation or worker.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn is_test_file(&self, file: &str) -> bool {
        self.test_files.contains(file)
    }

    /// Policy file -> the lines coverage can mark.
    pub fn coverable_lines(&self) -> &HashMap<String, BTreeSet<u32>> {
        &self.coverable
    }

    /// An engine for compiling the VM's program of this version, and the
    /// modules it was given.
    pub(crate) fn vm_engine(&self, bundle: &Bundle) -> Result<(Engine, Trees)> {
        prepared_engine(bundle, self.opts, true, true, &self.strict)
    }

    /// A package and every package its modules import.
    pub fn package_and_imports(&self, package: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::from([package.to_string()]);
        if let Some(imports) = self.imports.get(package) {
            out.extend(imports.iter().cloned());
        }
        out
    }
}

/// Each module as regorus was given it: its file and tree.
pub(crate) type Trees = Vec<(String, crate::rego::Module)>;

/// An engine with a version's modules and data, checked. `for_vm`: the
/// modules carry the guards the bytecode VM needs (vm_guards.rs); only the
/// VM's program is compiled from such an engine. `with_data`: the engine is
/// given the data document (else the data files are only checked).
fn prepared_engine(
    bundle: &Bundle,
    opts: LoadOptions,
    for_vm: bool,
    with_data: bool,
    strict: &Arc<AtomicBool>,
) -> Result<(Engine, Trees)> {
    let mut engine = Engine::new();
    // Every module reaches regorus in v1 syntax (normalize.rs).
    engine.set_rego_v0(false);
    engine.set_policy_length_config(crate::rego::engine_length_limits());
    // OPA treats builtin errors as undefined outside strict mode.
    engine.set_strict_builtin_errors(false);
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: opts.timeout,
        check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
    });
    clock::install(&mut engine)?;
    builtins::install(&mut engine)?;
    extra_builtins::install(&mut engine, strict)?;
    capabilities::HostBuiltins::of(bundle)?.install(&mut engine)?;
    if opts.rego_v0 {
        builtins::install_v0(&mut engine)?;
    }
    // The data files read, checked for conflicts, and indexed by path,
    // without their values.
    let data = data::check(bundle)?;
    let mut trees = Vec::new();
    for (path, read) in normalize::read_bundle(bundle, opts.rego_v0, for_vm, Some(&data))? {
        engine
            .add_policy(path.clone(), read.text)
            .map_err(|e| located_error(&path, &e.to_string()))?;
        trees.push((path, read.module));
    }
    // Before anything evaluates: regorus would overflow its stack on a
    // recursive rule and take the process down with it.
    let modules: Vec<(String, &crate::rego::Module)> =
        trees.iter().map(|(f, m)| (f.clone(), m)).collect();
    recursion::check(&modules)?;
    drop(data);
    engine
        .add_data(Value::new_object())
        .map_err(|e| Error::Invalid(format!("data: {e}")))?;
    if with_data {
        // One file at a time, parsed straight into the engine's values:
        // the document is never held twice (serde_json's tree and
        // regorus's), and the merge is regorus's own (check found no
        // conflict).
        data::engine_data(bundle, |value| {
            engine
                .add_data(value)
                .map_err(|e| Error::Invalid(format!("data: {e}")))
        })?;
    }
    // add_policy only parses: the engine analyses the modules at the
    // first evaluation, so evaluate a trivial query to surface its errors.
    engine
        .eval_query("true".to_string(), false)
        .map_err(|e| located_error("policy", &e.to_string()))?;
    Ok((engine, trees))
}

fn imports_by_package(trees: &Trees) -> HashMap<String, BTreeSet<String>> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (_, module) in trees {
        let entry = out.entry(module.package_name()).or_default();
        for import in &module.imports {
            if let Some(path) = import.path.static_path()
                && path.first().map(String::as_str) == Some("data")
                && path.len() > 1
            {
                entry.insert(path[1..].join("."));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        Bundle::from_texts(files.iter().map(|(p, t)| (p.to_string(), t.to_string()))).unwrap()
    }

    #[test]
    fn loads_modules_and_data() {
        let b = bundle(&[
            (
                "p.rego",
                "package p\nimport data.cfg\nallow if data.cfg.limit > 2\n",
            ),
            ("cfg/data.json", r#"{"limit": 3}"#),
        ]);
        let p = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let mut e = p.engine().clone();
        assert_eq!(
            e.eval_rule("data.p.allow".into()).unwrap(),
            Value::from(true)
        );
        assert_eq!(
            p.package_and_imports("p"),
            BTreeSet::from(["cfg".to_string(), "p".to_string()])
        );
    }

    /// The deepest modules the nesting limit and the chain limit accept
    /// load and evaluate on a thread with a worker's 2 MiB stack, in a
    /// debug build too (see nesting.rs and recursion.rs for where each
    /// shape overflows without them).
    #[test]
    fn the_deepest_accepted_policies_run_on_a_worker_stack() {
        use nesting::MAX_EXPRESSION_DEPTH;
        // `x :=` weighs 1; each shape stays just under the limit.
        let room = MAX_EXPRESSION_DEPTH - 1;
        let chain = |steps: usize, step: &dyn Fn(usize) -> String| -> String {
            (1..=steps).map(|i| step(i) + "\n").collect()
        };
        let shapes = [
            format!("x := {}1", "1 + ".repeat(room)),
            format!("x := count([input{}])", ".a".repeat(room - 7)),
            format!(
                "x := {}1{}",
                "abs(1 + ".repeat(room / 4),
                ")".repeat(room / 4)
            ),
            format!("x := {}1{}", "[1, ".repeat(room / 4), "]".repeat(room / 4)),
            format!("x := {}1{}", "[".repeat(room / 4), "]".repeat(room / 4)),
            format!(
                "x := {}1{}",
                "{\"a\": ".repeat(room / 4),
                "}".repeat(room / 4)
            ),
            // Chains of rules: plain steps cost 8, so 36 of them and `x`...
            format!(
                "r0 := 1\n{}x := r36",
                chain(36, &|i| format!("r{i} := r{} + 1", i - 1))
            ),
            // ...a reference 21 levels deep costs 28 a step...
            format!(
                "r0 := 1\n{}x := r10",
                chain(10, &|i| format!("r{i} := r{}{}", i - 1, " + 1".repeat(20)))
            ),
            // ...and a comprehension step 10 (its collection is read
            // through a builtin, see some_in.rs).
            format!(
                "r0 := [1]\n{}x := r29",
                chain(29, &|i| format!(
                    "r{i} := [y | some y in r{}; y > 0]",
                    i - 1
                ))
            ),
        ];
        for shape in shapes {
            let src = format!("package p\n\n{shape}\n");
            let handle = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let b = bundle(&[("p.rego", &src)]);
                    crate::bundle::Catalog::build(&b, false)
                        .unwrap_or_else(|e| panic!("{e}: {src}"));
                    let p = LoadedPolicy::load(&b, LoadOptions::new(false))
                        .unwrap_or_else(|e| panic!("{e}: {src}"));
                    let mut e = p.engine().clone();
                    e.set_input(Value::from_json_str("{}").unwrap());
                    // (`input.a.a...` is undefined on `{}`: evaluated all the same.)
                    e.eval_rule("data.p.x".to_string())
                        .unwrap_or_else(|e| panic!("{e}: {src}"));
                })
                .unwrap();
            handle
                .join()
                .expect("evaluated without overflowing its stack");
        }
    }

    #[test]
    fn analysis_errors_are_located() {
        let b = bundle(&[("p.rego", "package p\n\nallow if {\n  x == 1\n}\n")]);
        let err = LoadedPolicy::load(&b, LoadOptions::new(false))
            .err()
            .expect("unsafe var")
            .to_string();
        assert!(err.starts_with("p.rego:4:"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
