//! `time.now_ns` pinned to the decision's time, so recording and replaying
//! agree. regorus extensions take precedence over its builtins, and cannot
//! be replaced once added; the pinned value lives in a thread-local, so every
//! worker thread (each with its own engine clone) pins its own evaluation.

use std::cell::Cell;

use regorus::{Engine, Value};

use crate::error::{Error, Result};

thread_local! {
    static PINNED_NOW_NS: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Registers the pinned `time.now_ns` on an engine.
pub fn install(engine: &mut Engine) -> Result<()> {
    engine
        .add_extension(
            "time.now_ns".to_string(),
            0,
            Box::new(|_args: Vec<Value>| {
                let now = PINNED_NOW_NS.with(Cell::get).unwrap_or_else(wall_clock_ns);
                Ok(Value::from(now))
            }),
        )
        .map_err(|e| Error::Engine(format!("pinning time.now_ns: {e}")))
}

/// Runs `f` with `time.now_ns` pinned to `now_ns` on this thread.
pub fn with_pinned<T>(now_ns: i64, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<i64>);
    impl Drop for Reset {
        fn drop(&mut self) {
            PINNED_NOW_NS.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(PINNED_NOW_NS.with(|c| c.replace(Some(now_ns))));
    f()
}

/// Nanoseconds since the epoch as `time.now_ns()` answers them: this
/// thread's pinned time if an evaluation pinned one, else the wall clock.
pub fn now_ns() -> i64 {
    PINNED_NOW_NS.with(Cell::get).unwrap_or_else(wall_clock_ns)
}

/// Nanoseconds since the Unix epoch, now.
pub fn wall_clock_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// RFC 3339 text -> nanoseconds since the epoch.
/// A time bound as a user writes it: RFC 3339, or a bare date (its start,
/// or its end when `end_of_day`).
pub fn parse_time_bound(t: &str, end_of_day: bool) -> Option<i64> {
    if let Some(ns) = parse_rfc3339_ns(t) {
        return Some(ns);
    }
    let suffix = if end_of_day {
        "T23:59:59.999999999Z"
    } else {
        "T00:00:00Z"
    };
    parse_rfc3339_ns(&format!("{t}{suffix}"))
}

pub fn parse_rfc3339_ns(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

/// Nanoseconds since the epoch -> RFC 3339 UTC text with nanoseconds.
pub fn format_rfc3339_ns(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_time_is_seen_and_restored() {
        let mut e = Engine::new();
        install(&mut e).unwrap();
        e.add_policy("p.rego".into(), "package p\nt := time.now_ns()\n".into())
            .unwrap();
        let v = with_pinned(1_700_000_000_123_456_789, || {
            e.clone().eval_rule("data.p.t".into()).unwrap()
        });
        assert_eq!(v, Value::from(1_700_000_000_123_456_789_i64));
        let live = e.eval_rule("data.p.t".into()).unwrap().as_i64().unwrap();
        assert!(live > 1_700_000_000_123_456_789);
    }

    #[test]
    fn with_mocking_still_wins() {
        let mut e = Engine::new();
        install(&mut e).unwrap();
        e.add_policy(
            "p.rego".into(),
            "package p\nt := time.now_ns()\nu := x if { x := t with time.now_ns as 5 }\n".into(),
        )
        .unwrap();
        let v = with_pinned(9, || e.eval_rule("data.p.u".into()).unwrap());
        assert_eq!(v, Value::from(5));
    }

    #[test]
    fn rfc3339_round_trip() {
        let ns = parse_rfc3339_ns("2026-11-22T10:31:00.123456789Z").unwrap();
        assert_eq!(format_rfc3339_ns(ns), "2026-11-22T10:31:00.123456789Z");
        assert_eq!(
            parse_rfc3339_ns("2026-11-22T10:31:00+05:30"),
            parse_rfc3339_ns("2026-11-22T05:01:00Z")
        );
        assert_eq!(parse_rfc3339_ns("yesterday"), None);
    }
}
