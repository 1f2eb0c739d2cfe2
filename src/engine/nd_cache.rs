//! OPA's non-deterministic builtins, recorded and replayed as OPA's
//! `nd_builtin_cache` does: `http.send`, `rand.intn`, `uuid.rfc4122` and
//! `net.lookup_ip_addr` (`time.now_ns` is pinned by clock.rs), and
//! `io.jwt.decode_verify` / `io.jwt.encode_sign*` (`computed`: answered
//! from the record when it has them, computed otherwise).
//!
//! OPA writes each call's answer into the decision event under
//! `{builtin: {args-json: value}}`, the key being the call's arguments as a
//! JSON array (Go's encoding: compact, object keys sorted, `<`, `>`, `&`
//! escaped), precisely so the decision can be replayed. Here:
//! - in a **replay** session every one of these builtins answers from the
//!   decision's cache and never runs live; a call the cache does not hold
//!   is noted as missing, and the replay is an ERROR naming the call;
//! - in a **live** session (an evaluation, a test) each answers live and is
//!   remembered for the rest of the evaluation, as OPA fixes them per query
//!   (`rand.intn("k", 10)` twice gives one number), and what was answered
//!   is what `gavel eval --record` writes into the event. `http.send` is
//!   never called live: Gavel makes no network requests, so a live call
//!   is noted as missing and the evaluation fails naming it (tests stub it
//!   with `with http.send as ...`, as OPA test suites do).
//!
//! A session lives in a thread-local: each worker thread evaluates with its
//! own engine clone, and regorus extensions cannot carry per-call state.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use regorus::Value as RegoValue;
use serde_json::Value;

use super::convert;

/// The builtins answered here, with their arities (vm_builtins.rs installs
/// them in VM programs by their place in this list).
pub const BUILTINS: &[(&str, u8)] = &[
    ("http.send", 1),
    ("net.lookup_ip_addr", 1),
    ("rand.intn", 2),
    ("uuid.rfc4122", 1),
];

/// Calls and their answers: builtin -> key (see `args_key`) -> value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NdCache {
    calls: BTreeMap<String, BTreeMap<String, Value>>,
}

impl NdCache {
    /// An event's `nd_builtin_cache` as OPA wrote it. Keys are read as JSON
    /// and written again the one way `args_key` writes them, so a key Go
    /// escaped differently still matches; a key that is not JSON is kept.
    pub fn from_event(cache: Option<&Value>) -> NdCache {
        let mut calls = BTreeMap::new();
        if let Some(Value::Object(builtins)) = cache {
            for (name, entries) in builtins {
                let Value::Object(entries) = entries else {
                    continue;
                };
                let by_key: BTreeMap<String, Value> = entries
                    .iter()
                    .map(|(k, v)| {
                        let key = serde_json::from_str::<Value>(k)
                            .map(|parsed| go_json(&parsed))
                            .unwrap_or_else(|_| k.clone());
                        (key, v.clone())
                    })
                    .collect();
                calls.insert(name.clone(), by_key);
            }
        }
        NdCache { calls }
    }

    /// The cache as an event carries it.
    pub fn to_event(&self) -> Value {
        Value::Object(
            self.calls
                .iter()
                .map(|(name, entries)| {
                    let entries = entries.iter().map(|(k, v)| (k.clone(), v.clone()));
                    (name.clone(), Value::Object(entries.collect()))
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.calls.values().all(BTreeMap::is_empty)
    }

    /// Whether it holds calls of builtins other than `time.now_ns` (which
    /// replay pins on its own).
    pub fn has_calls(&self) -> bool {
        self.calls
            .iter()
            .any(|(name, entries)| name != "time.now_ns" && !entries.is_empty())
    }

    fn get(&self, name: &str, key: &str) -> Option<&Value> {
        self.calls.get(name)?.get(key)
    }

    fn insert(&mut self, name: &str, key: String, value: Value) {
        self.calls
            .entry(name.to_string())
            .or_default()
            .insert(key, value);
    }
}

/// What one session saw.
#[derive(Debug, Default)]
pub struct NdOutcome {
    /// Every call answered, with its answer (what `--record` writes).
    pub recorded: NdCache,
    /// Calls that could not be answered, as `name(args)`: missing from the
    /// replayed decision's cache, or `http.send` outside replay.
    pub missing: Vec<String>,
}

impl NdOutcome {
    /// The error an evaluation ends with when a call could not be answered.
    pub fn error(&self, replay: bool) -> Option<String> {
        let first = self.missing.first()?;
        let more = match self.missing.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        Some(if replay {
            format!(
                "the policy called {first}{more}, which the decision's nd_builtin_cache does not \
                 hold: replay answers non-deterministic builtins only from the recorded cache"
            )
        } else {
            format!("the policy called {first}{more}: {NO_LIVE_HTTP}")
        })
    }
}

/// Why a live `http.send` fails, wherever it is reported.
const NO_LIVE_HTTP: &str = "Gavel makes no network requests; it answers http.send only when \
     replaying a decision that recorded the call (in tests, stub it: `with http.send as ...`)";

enum Mode {
    Live,
    /// `None`: the decision recorded no calls.
    Replay(Option<Arc<NdCache>>),
}

struct Session {
    mode: Mode,
    outcome: NdOutcome,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

/// Runs `f` as one live evaluation; inside a session already open (a
/// replay's), `f` runs in that one and the outcome here is empty.
pub fn live<T>(f: impl FnOnce() -> T) -> (T, NdOutcome) {
    if SESSION.with(|s| s.borrow().is_some()) {
        return (f(), NdOutcome::default());
    }
    in_session(Mode::Live, f)
}

/// Runs `f` as the replay of a decision whose cache is `cache` (`None`:
/// the decision recorded no calls, so any call is missing).
pub fn replaying<T>(cache: Option<Arc<NdCache>>, f: impl FnOnce() -> T) -> (T, NdOutcome) {
    in_session(Mode::Replay(cache), f)
}

fn in_session<T>(mode: Mode, f: impl FnOnce() -> T) -> (T, NdOutcome) {
    struct Restore(Option<Session>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SESSION.with(|s| *s.borrow_mut() = previous);
        }
    }
    let fresh = Session {
        mode,
        outcome: NdOutcome::default(),
    };
    let mut restore = Restore(SESSION.with(|s| s.borrow_mut().replace(fresh)));
    let value = f();
    let ended = SESSION.with(|s| s.borrow_mut().take());
    // Put back the outer session now; the guard covers a panic in `f`.
    SESSION.with(|s| *s.borrow_mut() = restore.0.take());
    (value, ended.map(|s| s.outcome).unwrap_or_default())
}

/// One call of the builtin `name`, answered as the session says.
pub fn answer(name: &str, args: &[RegoValue]) -> anyhow::Result<RegoValue> {
    let json_args: Vec<Value> = args
        .iter()
        .map(|a| convert::to_json(a).ok().flatten().unwrap_or(Value::Null))
        .collect();
    let key = go_json(&Value::Array(json_args.clone()));
    let call = || format!("{name}({})", display_args(&json_args));
    SESSION.with(|s| {
        let mut session = s.borrow_mut();
        let Some(session) = session.as_mut() else {
            // Outside a session (a bare engine): live, nothing remembered.
            return live_answer(name, args).map(|v| convert::to_rego(&v));
        };
        if let Some(seen) = session.outcome.recorded.get(name, &key) {
            return Ok(convert::to_rego(seen));
        }
        let value = match &session.mode {
            Mode::Replay(cache) => match cache.as_ref().and_then(|c| c.get(name, &key)) {
                Some(v) => v.clone(),
                None => {
                    session.outcome.missing.push(call());
                    anyhow::bail!("{}: not in the decision's nd_builtin_cache", call());
                }
            },
            Mode::Live => match live_answer(name, args) {
                Ok(v) => v,
                Err(e) => {
                    if name == "http.send" {
                        session.outcome.missing.push(call());
                    }
                    return Err(e);
                }
            },
        };
        session
            .outcome
            .recorded
            .insert(name, key.clone(), value.clone());
        Ok(convert::to_rego(&value))
    })
}

/// One call of a builtin OPA records though Gavel can compute it
/// (`io.jwt.decode_verify`, `io.jwt.encode_sign*`): in a replay, the
/// decision's recorded answer when it has one; otherwise `compute`'s, which
/// a live session records as OPA would.
pub fn computed(
    name: &str,
    args: &[RegoValue],
    compute: impl FnOnce() -> anyhow::Result<RegoValue>,
) -> anyhow::Result<RegoValue> {
    if SESSION.with(|s| s.borrow().is_none()) {
        return compute();
    }
    let json_args: Vec<Value> = args
        .iter()
        .map(|a| convert::to_json(a).ok().flatten().unwrap_or(Value::Null))
        .collect();
    let key = go_json(&Value::Array(json_args));
    let known = SESSION.with(|s| {
        let session = s.borrow();
        let session = session.as_ref()?;
        if let Some(seen) = session.outcome.recorded.get(name, &key) {
            return Some(seen.clone());
        }
        match &session.mode {
            Mode::Replay(Some(cache)) => cache.get(name, &key).cloned(),
            _ => None,
        }
    });
    let value = match known {
        Some(v) => v,
        // Computed outside the borrow: the builtin may itself read the
        // session (decode_verify reads the pinned clock).
        None => {
            let computed = compute()?;
            match convert::to_json(&computed) {
                Ok(Some(v)) => v,
                // Nothing JSON can record: answered, not recorded.
                _ => return Ok(computed),
            }
        }
    };
    SESSION.with(|s| {
        if let Some(session) = s.borrow_mut().as_mut() {
            session.outcome.recorded.insert(name, key, value.clone());
        }
    });
    Ok(convert::to_rego(&value))
}

/// A call's arguments for a message: short, one line.
fn display_args(args: &[Value]) -> String {
    let text = args.iter().map(go_json).collect::<Vec<_>>().join(", ");
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn live_answer(name: &str, args: &[RegoValue]) -> anyhow::Result<Value> {
    match name {
        "rand.intn" => {
            let n = match args.get(1) {
                Some(RegoValue::Number(n)) => n
                    .as_i64()
                    .ok_or_else(|| anyhow::anyhow!("rand.intn: operand 2 must be integer"))?,
                Some(other) => anyhow::bail!(
                    "rand.intn: operand 2 must be number but got {}",
                    super::extra_builtins::type_name(other)
                ),
                None => anyhow::bail!("rand.intn: operand 2 missing"),
            };
            super::extra_builtins::string_operand(name, args, 0)?;
            let n = n.unsigned_abs();
            if n == 0 {
                return Ok(Value::from(0));
            }
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("rand.intn: {e}"))?;
            Ok(Value::from(u64::from_le_bytes(bytes) % n))
        }
        "uuid.rfc4122" => {
            super::extra_builtins::string_operand(name, args, 0)?;
            Ok(Value::from(uuid::Uuid::new_v4().to_string()))
        }
        "net.lookup_ip_addr" => {
            use std::net::ToSocketAddrs;
            let host = super::extra_builtins::string_operand(name, args, 0)?;
            let addrs = (host, 0u16)
                .to_socket_addrs()
                .map_err(|e| anyhow::anyhow!("net.lookup_ip_addr: {e}"))?;
            let ips: std::collections::BTreeSet<String> =
                addrs.map(|a| a.ip().to_string()).collect();
            Ok(Value::from(ips.into_iter().collect::<Vec<_>>()))
        }
        "http.send" => anyhow::bail!("http.send: {NO_LIVE_HTTP}"),
        _ => anyhow::bail!("{name}: not a non-deterministic builtin Gavel records"),
    }
}

/// A JSON value as Go's `encoding/json` writes it: compact, object keys
/// sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. OPA's cache keys are
/// this text of the call's argument array.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_go_json(v, &mut out);
    out
}

fn write_go_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, &Value> = m.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_go_string(k, out);
                out.push(':');
                write_go_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => push_go_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn push_go_string(s: &str, out: &mut String) {
    let plain = Value::String(s.to_string()).to_string();
    for c in plain.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

/// The caches of many decisions, parsed once each (replay batches).
pub type NdCaches = HashMap<String, Arc<NdCache>>;

#[cfg(test)]
mod tests {
    use super::*;
    use regorus::Engine;
    use serde_json::json;

    fn engine(policy: &str) -> Engine {
        let mut e = Engine::new();
        crate::engine::extra_builtins::install(&mut e, &Default::default()).unwrap();
        e.set_strict_builtin_errors(false);
        e.add_policy("p.rego".into(), policy.into()).unwrap();
        e
    }

    #[test]
    fn keys_are_go_json_of_the_arguments() {
        let v = json!([{"url": "https://x/?a=1&b=<2>", "method": "get"}]);
        assert_eq!(
            go_json(&v),
            r#"[{"method":"get","url":"https://x/?a=1\u0026b=\u003c2\u003e"}]"#
        );
        // A key written with other spacing or escapes reads as the same call.
        let cache = NdCache::from_event(Some(&json!({"http.send": {
            "[{\"url\": \"https://x/?a=1&b=<2>\", \"method\": \"get\"}]": {"status_code": 200}
        }})));
        assert_eq!(
            cache.get("http.send", &go_json(&v)),
            Some(&json!({"status_code": 200}))
        );
    }

    #[test]
    fn replay_answers_from_the_cache_and_names_a_missing_call() {
        let mut e =
            engine("package p\nr := http.send({\"method\": \"get\", \"url\": input.u}).body.ok\n");
        let cache = Arc::new(NdCache::from_event(Some(&json!({"http.send": {
            "[{\"method\":\"get\",\"url\":\"https://hr/1\"}]": {"status_code": 200, "body": {"ok": true}}
        }}))));
        e.set_input(RegoValue::from(json!({"u": "https://hr/1"})));
        let (v, out) = replaying(Some(cache.clone()), || e.eval_rule("data.p.r".into()));
        assert_eq!(v.unwrap(), RegoValue::from(true));
        assert!(out.missing.is_empty());
        assert!(out.recorded.has_calls());

        e.set_input(RegoValue::from(json!({"u": "https://hr/2"})));
        let (v, out) = replaying(Some(cache), || e.eval_rule("data.p.r".into()));
        // Outside strict mode the call is undefined, as OPA has a builtin's
        // error; the session still names it, which makes the replay an ERROR.
        assert_eq!(v.unwrap(), RegoValue::Undefined);
        assert_eq!(
            out.missing,
            vec![r#"http.send({"method":"get","url":"https://hr/2"})"#.to_string()]
        );
        assert!(out.error(true).unwrap().contains("nd_builtin_cache"));
    }

    #[test]
    fn live_calls_are_fixed_per_evaluation_and_recorded() {
        let mut e = engine(
            "package p\nsame if rand.intn(\"k\", 1000000) == rand.intn(\"k\", 1000000)\n\
             u := uuid.rfc4122(\"a\")\n",
        );
        let (v, out) = live(|| e.eval_rule("data.p.same".into()));
        assert_eq!(v.unwrap(), RegoValue::from(true));
        assert_eq!(out.recorded.calls["rand.intn"].len(), 1);
        let (u, out) = live(|| e.eval_rule("data.p.u".into()));
        let recorded = out.recorded.to_event();
        assert_eq!(
            recorded["uuid.rfc4122"]["[\"a\"]"],
            convert::to_json(&u.unwrap()).unwrap().unwrap()
        );
        // What was recorded replays to the same answer.
        let cache = Arc::new(NdCache::from_event(Some(&recorded)));
        let (again, out) = replaying(Some(cache), || e.eval_rule("data.p.u".into()));
        assert!(out.missing.is_empty());
        assert_eq!(
            convert::to_json(&again.unwrap()).unwrap().unwrap(),
            recorded["uuid.rfc4122"]["[\"a\"]"]
        );
    }

    #[test]
    fn http_send_is_not_called_live_and_a_with_stub_wins() {
        let mut e = engine(
            "package p\nr := http.send({\"method\": \"get\", \"url\": \"https://x\"}).status_code\n\
             stubbed := x if { x := r with http.send as {\"status_code\": 204} }\n",
        );
        let (v, out) = live(|| e.eval_rule("data.p.r".into()));
        assert_eq!(v.unwrap(), RegoValue::Undefined);
        assert_eq!(out.missing.len(), 1);
        assert!(out.error(false).unwrap().contains("no network requests"));
        let (v, out) = live(|| e.eval_rule("data.p.stubbed".into()));
        assert_eq!(v.unwrap(), RegoValue::from(204));
        assert!(out.missing.is_empty());
    }

    #[test]
    fn jwt_signing_is_recorded_and_replayed_from_the_record() {
        let mut e = engine(
            "package p\nt := io.jwt.encode_sign({\"alg\": \"HS256\"}, {\"a\": 1}, {\"kty\": \"oct\", \"k\": \"c2VjcmV0\"})\n",
        );
        let (live_token, out) = live(|| e.eval_rule("data.p.t".into()));
        let live_token = convert::to_json(&live_token.unwrap()).unwrap().unwrap();
        let recorded = out.recorded.to_event();
        let key = r#"[{"alg":"HS256"},{"a":1},{"k":"c2VjcmV0","kty":"oct"}]"#;
        assert_eq!(recorded["io.jwt.encode_sign"][key], live_token);
        // A replay answers from the record, even where computing would differ.
        let cache = Arc::new(NdCache::from_event(Some(
            &json!({"io.jwt.encode_sign": {key: "recorded.token.sig"}}),
        )));
        let (v, out) = replaying(Some(cache), || e.eval_rule("data.p.t".into()));
        assert_eq!(v.unwrap(), RegoValue::from("recorded.token.sig"));
        assert!(out.missing.is_empty());
        // Without a record it is computed, not an ERROR.
        let (v, out) = replaying(None, || e.eval_rule("data.p.t".into()));
        assert_eq!(convert::to_json(&v.unwrap()).unwrap().unwrap(), live_token);
        assert!(out.missing.is_empty());
    }
}
