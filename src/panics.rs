//! Catching a panic without printing it: the batch workers turn a panic
//! inside the engine (a builtin regorus implements badly) into that
//! decision's ERROR, which already says what happened; the default hook's
//! "thread panicked at ..." on stderr would read like a crash.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, catching a panic; while it runs, this thread's panics are not
/// printed (other threads' still are).
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// What a caught panic said.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// Runs one call into the engine; a panic inside it (a builtin regorus
/// implements badly: `object.subset([1, 2], [])`) becomes that call's
/// error, so one evaluation fails and the run goes on.
pub fn engine_call<T, E: std::fmt::Display>(f: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    match quietly(f) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(payload) => Err(format!(
            "the engine failed inside a builtin: {}",
            message(payload.as_ref())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        assert!(quietly(|| panic!("inside")).is_err());
        assert_eq!(quietly(|| 7).ok(), Some(7));
        let err = engine_call(|| -> Result<(), String> { panic!("window size must be non-zero") })
            .unwrap_err();
        assert_eq!(
            err,
            "the engine failed inside a builtin: window size must be non-zero"
        );
    }
}
