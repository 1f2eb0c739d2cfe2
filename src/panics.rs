//! Catching a panic without printing it: the batch workers turn a panic
//! inside the engine (a builtin regorus implements badly) into that
//! decision's ERROR, which already says what happened; the default hook's
//! "thread panicked at ..." on stderr would read like a crash.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The engine function a quiet panic came from (`builtins::objects::subset`).
    static PANICKED_IN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, catching a panic; while it runs, this thread's panics are not
/// printed (other threads' still are).
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                // Only on a panic: which of regorus's builtins it was, so the
                // error can name it (the message alone rarely does).
                let frame = engine_frame(&std::backtrace::Backtrace::force_capture().to_string());
                PANICKED_IN.with(|p| *p.borrow_mut() = frame);
            } else {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// What a caught panic said, with the regorus builtin it came from when
/// the stack shows one (`window size must be non-zero (in regorus's
/// builtins::objects::subset)`).
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    match PANICKED_IN.with(|p| p.borrow_mut().take()) {
        Some(frame) => format!("{text} (in regorus's {frame})"),
        None => text,
    }
}

/// The innermost frame of regorus's builtins in a printed backtrace,
/// without the crate name and symbol hash.
fn engine_frame(backtrace: &str) -> Option<String> {
    backtrace.lines().find_map(|line| {
        let at = line.find("regorus::builtins::")?;
        let name = line[at + "regorus::".len()..].trim();
        let name = name.split("::h").next().unwrap_or(name);
        let name = name.split(['{', '<']).next().unwrap_or(name);
        Some(name.trim_end_matches("::").to_string())
    })
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
    fn names_the_engine_frame() {
        let bt = "  10: std::panicking::begin_panic\n  11: regorus::builtins::objects::subset::h0123abcd\n             at /x/objects.rs:9\n  12: regorus::interpreter::Interpreter::eval_call";
        assert_eq!(
            engine_frame(bt).as_deref(),
            Some("builtins::objects::subset")
        );
        assert_eq!(engine_frame("  1: main"), None);
    }

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
