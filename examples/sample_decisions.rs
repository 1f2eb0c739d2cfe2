//! Regenerates `sample-decisions/`: OPA decision-log JSONL made by the
//! sample versions, several hundred decisions per regime, deterministic.
//!
//!     cargo run --release --example sample_decisions
//!
//! Inputs are the regimes' case inputs (of every version, so that inputs
//! whose outcome changes between versions are among them), varied with a
//! seeded generator. Each decision is evaluated by Gavel's engine under the
//! version that "made" it, with `time.now_ns` pinned to the decision's time
//! (recorded in `nd_builtin_cache`, as OPA records it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use gavel::bundle::{Bundle, Catalog};
use gavel::canonical::canonical_json;
use gavel::engine::{EvalRequest, LoadOptions, LoadedPolicy, clock, resolve_entrypoint};
use gavel::store::StoredRule;
use serde_json::{Map, Value, json};

const PER_REGIME: usize = 300;
/// 2026-10-01T00:00:00Z
const START_NS: i64 = 1_790_812_800_000_000_000;

/// splitmix64: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Varies a case input: numbers scaled, flags flipped, list items dropped,
/// now and then a field dropped.
fn vary(v: &Value, rng: &mut Rng, depth: usize) -> Value {
    match v {
        Value::Number(n) if rng.chance(0.25) => {
            let factor = 0.6 + rng.below(80) as f64 / 100.0;
            match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => json!(((i as f64) * factor).round() as i64),
                (None, Some(f)) => json!((f * factor * 100.0).round() / 100.0),
                _ => v.clone(),
            }
        }
        Value::Bool(b) if rng.chance(0.08) => json!(!b),
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(|i| vary(i, rng, depth + 1)).collect();
            if !out.is_empty() && rng.chance(0.1) {
                out.pop();
            }
            Value::Array(out)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, item) in m {
                if depth > 0 && rng.chance(0.03) {
                    continue;
                }
                out.insert(k.clone(), vary(item, rng, depth + 1));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

struct Loaded {
    version: String,
    policy: LoadedPolicy,
    rules: Vec<StoredRule>,
}

fn load(dir: &Path) -> Loaded {
    let bundle = Bundle::read_dir(dir).unwrap();
    let catalog = Catalog::build(&bundle, false).unwrap();
    Loaded {
        version: bundle.manifest.revision.clone().unwrap(),
        rules: catalog.policy_rules().map(StoredRule::from).collect(),
        policy: LoadedPolicy::load(&bundle, LoadOptions::new(false)).unwrap(),
    }
}

fn case_inputs(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir.join("cases")) else {
        return out;
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        out.extend(cases.into_iter().map(|c| c["input"].clone()));
    }
    out
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = root.join("sample-decisions");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut regimes: Vec<PathBuf> = std::fs::read_dir(root.join("sample-policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    regimes.sort();
    for (r, regime) in regimes.iter().enumerate() {
        let name = regime.file_name().unwrap().to_string_lossy().to_string();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(regime)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort_by(|a, b| {
            let v = |p: &Path| {
                semver::Version::parse(&p.file_name().unwrap().to_string_lossy()).unwrap()
            };
            v(a).cmp(&v(b))
        });
        let versions: Vec<Loaded> = dirs.iter().map(|d| load(d)).collect();
        let inputs: Vec<Value> = dirs.iter().flat_map(|d| case_inputs(d)).collect();
        // Decisions come from every version but the newest, so each stored
        // decision has a next version to be replayed against.
        let makers = &versions[..versions.len().saturating_sub(1).max(1)];
        let mut rng = Rng(0x6761_7665_6c00 + r as u64);
        let mut lines = Vec::with_capacity(PER_REGIME);
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for i in 0..PER_REGIME {
            let maker = &makers[i * makers.len() / PER_REGIME];
            let base = &inputs[rng.below(inputs.len() as u64) as usize];
            let input = if i % 4 == 0 {
                base.clone()
            } else {
                vary(base, &mut rng, 0)
            };
            let now_ns =
                START_NS + (i as i64) * 7 * 60_000_000_000 + rng.below(60_000_000_000) as i64;
            let entrypoint = resolve_entrypoint(&maker.rules, None).unwrap();
            let eval = maker
                .policy
                .evaluate(
                    &[],
                    &EvalRequest {
                        entrypoint: &entrypoint,
                        input: &input,
                        extra_data: None,
                        now_ns,
                    },
                )
                .unwrap();
            *outcomes
                .entry(format!("{}:{}", maker.version, eval.outcome))
                .or_default() += 1;
            let mut event = Map::new();
            event.insert("decision_id".into(), json!(rng.uuid()));
            event.insert("path".into(), json!(entrypoint));
            event.insert("input".into(), input);
            if let Some(result) = eval.result {
                event.insert("result".into(), result);
            }
            event.insert("timestamp".into(), json!(clock::format_rfc3339_ns(now_ns)));
            event.insert(
                "bundles".into(),
                json!({ name.clone(): {"revision": maker.version} }),
            );
            event.insert(
                "labels".into(),
                json!({"id": "gavel-sample-decider", "version": "1.4.2", "env": "staging"}),
            );
            event.insert(
                "nd_builtin_cache".into(),
                json!({"time.now_ns": {"[]": now_ns}}),
            );
            event.insert(
                "metrics".into(),
                json!({"timer_rego_query_eval_ns": 40_000 + rng.below(90_000)}),
            );
            event.insert("req_id".into(), json!(i + 1));
            lines.push(canonical_json(&Value::Object(event)));
        }
        let path = out_dir.join(format!("{name}.jsonl"));
        let mut f = std::fs::File::create(&path).unwrap();
        for l in &lines {
            writeln!(f, "{l}").unwrap();
        }
        println!(
            "{}: {} decisions {:?}",
            path.display(),
            lines.len(),
            outcomes
        );
    }
}
