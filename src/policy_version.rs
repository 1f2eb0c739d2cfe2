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
        let rego_v0 = self.summary.rego_version == 0;
        let modules: Vec<(String, crate::rego::Module)> = self
            .bundle
            .modules()
            .map(|f| crate::rego::parse(&f.path, &f.text, rego_v0).map(|m| (f.path.clone(), m)))
            .collect::<Result<_>>()
            .ok()?;
        let keep = crate::engine::reach::reachable_files(&modules, entrypoint)?;
        let bundle = self.bundle.keeping_modules(|path| keep.contains(path));
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
