//! regorus, set up the way Gavel needs it: a version's modules and data in
//! one prepared engine, with OPA's non-strict builtin errors.

use regorus::{Engine, Value};

use crate::bundle::catalog::located_error;
use crate::bundle::{Bundle, data};
use crate::error::{Error, Result};

/// A version loaded into regorus and checked: every module parsed, the data
/// merged, and the engine's own checks (safety, scheduling) run once.
pub struct LoadedPolicy {
    engine: Engine,
}

impl LoadedPolicy {
    /// Loads every module and the merged data of a bundle.
    pub fn load(bundle: &Bundle, rego_v0: bool) -> Result<LoadedPolicy> {
        let mut engine = Engine::new();
        engine.set_rego_v0(rego_v0);
        // OPA treats builtin errors as undefined outside strict mode.
        engine.set_strict_builtin_errors(false);
        for module in bundle.modules() {
            engine
                .add_policy(module.path.clone(), module.text.clone())
                .map_err(|e| located_error(&module.path, &e.to_string()))?;
        }
        let data = data::merged_data(bundle)?;
        let text = serde_json::to_string(&data).map_err(|e| Error::Engine(e.to_string()))?;
        engine
            .add_data(Value::from_json_str(&text).map_err(|e| Error::Engine(e.to_string()))?)
            .map_err(|e| Error::Invalid(format!("data: {e}")))?;
        // add_policy only parses: the engine analyses the modules at the
        // first evaluation, so evaluate a trivial query to surface its errors.
        engine
            .eval_query("true".to_string(), false)
            .map_err(|e| located_error("policy", &e.to_string()))?;
        Ok(LoadedPolicy { engine })
    }

    /// The prepared engine; clone it per evaluation or worker.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
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
            ("p.rego", "package p\nallow if data.cfg.limit > 2\n"),
            ("cfg/data.json", r#"{"limit": 3}"#),
        ]);
        let p = LoadedPolicy::load(&b, false).unwrap();
        let mut e = p.engine().clone();
        assert_eq!(
            e.eval_rule("data.p.allow".into()).unwrap(),
            Value::from(true)
        );
    }

    #[test]
    fn analysis_errors_are_located() {
        let b = bundle(&[("p.rego", "package p\n\nallow if {\n  x == 1\n}\n")]);
        let err = LoadedPolicy::load(&b, false)
            .err()
            .expect("unsafe var")
            .to_string();
        assert!(err.starts_with("p.rego:4:"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
