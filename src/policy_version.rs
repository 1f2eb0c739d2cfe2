//! A stored version made ready to evaluate: its summary, its files, its
//! rule catalog and a prepared engine, all from the store (never from the
//! files on disk, which may have changed since).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::bundle::Bundle;
use crate::engine::{LoadOptions, LoadedPolicy};
use crate::error::Result;
use crate::store::{Store, StoredRule, VersionRef, VersionSummary};

pub struct PolicyVersion {
    pub summary: VersionSummary,
    pub bundle: Bundle,
    pub rules: Vec<StoredRule>,
    pub policy: LoadedPolicy,
    /// Entrypoint -> the part of the version it reaches, when that is less
    /// than the whole (built on first use; see `slice`).
    slices: Mutex<HashMap<String, Option<Arc<Slice>>>>,
}

/// The modules of a version one entrypoint can reach (engine::reach), with
/// all its data, loaded on their own: an evaluation there costs what the
/// entrypoint reads, not what the library holds.
pub struct Slice {
    pub bundle: Bundle,
    pub policy: LoadedPolicy,
}

impl PolicyVersion {
    /// Loads `reference` from the store; `timeout` limits each evaluation.
    pub fn load(store: &Store, reference: &VersionRef, timeout: Duration) -> Result<PolicyVersion> {
        let summary = store.find_version(reference)?;
        let bundle = store.bundle_of(summary.id)?;
        let rules = store.rules_of(summary.id)?;
        let policy = LoadedPolicy::load(
            &bundle,
            LoadOptions {
                rego_v0: summary.rego_version == 0,
                timeout,
            },
        )?;
        Ok(PolicyVersion::new(summary, bundle, rules, policy))
    }

    /// Loads `reference` to evaluate one entrypoint (`None`: the version's
    /// marked one): its engine holds only the modules that entrypoint
    /// reaches (engine::reach), so a one-off evaluation of a large library
    /// reads and prepares only those. `bundle` and `rules` stay whole; the
    /// engine answers for that entrypoint alone.
    pub fn load_reaching(
        store: &Store,
        reference: &VersionRef,
        timeout: Duration,
        entrypoint: Option<&str>,
    ) -> Result<PolicyVersion> {
        let summary = store.find_version(reference)?;
        let bundle = store.bundle_of(summary.id)?;
        let rules = store.rules_of(summary.id)?;
        let opts = LoadOptions {
            rego_v0: summary.rego_version == 0,
            timeout,
        };
        let entrypoint = crate::engine::resolve_entrypoint(&rules, entrypoint)?;
        let policy = match reaching(&bundle, opts.rego_v0, &entrypoint) {
            Some(part) => LoadedPolicy::load(&part, opts)?,
            None => LoadedPolicy::load(&bundle, opts)?,
        };
        Ok(PolicyVersion::new(summary, bundle, rules, policy))
    }

    pub fn new(
        summary: VersionSummary,
        bundle: Bundle,
        rules: Vec<StoredRule>,
        policy: LoadedPolicy,
    ) -> PolicyVersion {
        PolicyVersion {
            summary,
            bundle,
            rules,
            policy,
            slices: Mutex::new(HashMap::new()),
        }
    }

    /// The part of this version `entrypoint` reaches, loaded on its own;
    /// `None` when it reaches every module (or the part does not load,
    /// which the whole version then answers for, as before).
    pub fn slice(&self, entrypoint: &str) -> Option<Arc<Slice>> {
        let mut slices = self.slices.lock().unwrap_or_else(|e| e.into_inner());
        slices
            .entry(entrypoint.to_string())
            .or_insert_with(|| self.load_slice(entrypoint).map(Arc::new))
            .clone()
    }

    fn load_slice(&self, entrypoint: &str) -> Option<Slice> {
        let bundle = reaching(&self.bundle, self.summary.rego_version == 0, entrypoint)?;
        let mut policy = LoadedPolicy::load(&bundle, self.policy.options()).ok()?;
        if self.policy.is_strict() {
            policy.set_strict_builtin_errors(true);
        }
        Some(Slice { bundle, policy })
    }

    /// The engine that answers for `entrypoint`: its slice's, else the
    /// whole version's.
    pub fn with_policy_for<T>(
        &self,
        entrypoint: &str,
        f: impl FnOnce(&LoadedPolicy, &Bundle) -> T,
    ) -> T {
        match self.slice(entrypoint) {
            Some(s) => f(&s.policy, &s.bundle),
            None => f(&self.policy, &self.bundle),
        }
    }

    pub fn reference(&self) -> VersionRef {
        self.summary.reference()
    }
}

/// The bundle with only the modules `entrypoint` reaches, or `None` when
/// that is all of them (or a module does not parse: the whole bundle then
/// reports it).
fn reaching(bundle: &Bundle, rego_v0: bool, entrypoint: &str) -> Option<Bundle> {
    let modules: Vec<(String, crate::rego::Module)> = bundle
        .modules()
        .map(|f| crate::rego::parse(&f.path, &f.text, rego_v0).map(|m| (f.path.clone(), m)))
        .collect::<Result<_>>()
        .ok()?;
    let keep = crate::engine::reach::reachable_files(&modules, entrypoint)?;
    Some(bundle.keeping_modules(|path| keep.contains(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library of two applications and a shared helper: each entrypoint
    /// is prepared with its own modules and the helper, nothing else, and
    /// answers as the whole version does.
    #[test]
    fn an_entrypoint_is_prepared_with_the_modules_it_reaches() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib");
        for (file, text) in [
            (
                "a/a.rego",
                "package app.a\nimport data.lib.h\nallow if h.ok(input.x)\n",
            ),
            ("b/b.rego", "package app.b\ndeny if input.y\n"),
            ("lib/h.rego", "package lib.h\nok(x) if x > data.cfg.min\n"),
            ("cfg/data.json", r#"{"min": 1}"#),
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let opts = crate::import::ImportOptions {
            name: Some("lib".into()),
            version: Some("1.0.0".into()),
            ..Default::default()
        };
        crate::import::import_bundle(&mut store, &root, &opts).unwrap();
        let reference = VersionRef::parse("lib@1.0.0").unwrap();
        let timeout = crate::engine::DEFAULT_TIMEOUT;
        let part =
            PolicyVersion::load_reaching(&store, &reference, timeout, Some("app/a/allow")).unwrap();
        let loaded: std::collections::BTreeSet<&String> =
            part.policy.coverable_lines().keys().collect();
        assert_eq!(
            loaded.into_iter().cloned().collect::<Vec<_>>(),
            ["a/a.rego", "lib/h.rego"]
        );
        let whole = PolicyVersion::load(&store, &reference, timeout).unwrap();
        let slice = whole.slice("app/b/deny").expect("app.b reaches one module");
        assert_eq!(
            slice.policy.coverable_lines().keys().collect::<Vec<_>>(),
            ["b/b.rego"]
        );
        for x in [0, 2] {
            let input = regorus::Value::from_json_str(&format!(r#"{{"x": {x}}}"#)).unwrap();
            let on = |p: &LoadedPolicy| p.evaluate_result_value("app/a/allow", &input, 0).unwrap();
            assert_eq!(on(&part.policy), on(&whole.policy), "x = {x}");
        }
    }
}
