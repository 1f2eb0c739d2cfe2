//! A stored version made ready to evaluate: its summary, its files, its
//! rule catalog and a prepared engine, all from the store (never from the
//! files on disk, which may have changed since).

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
        Ok(PolicyVersion {
            summary,
            bundle,
            rules,
            policy,
        })
    }

    pub fn reference(&self) -> VersionRef {
        self.summary.reference()
    }
}
