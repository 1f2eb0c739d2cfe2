//! Builtins Gavel registers over regorus's (extensions take precedence):
//! - `sprintf`, `json.remove` and `json.filter` with OPA's results where
//!   regorus 0.14.1 differs (missing arguments print `%!v(MISSING)`; paths
//!   may start with `/`); each adjusts its arguments and calls regorus's
//!   own implementation;
//! - OPA's deprecated builtins, which `opa test --v0-compatible` still
//!   accepts in Rego v0 modules and regorus 0.14.1 does not have;
//! - guards on builtins that would take the process down in one call, which
//!   the evaluation time limit cannot interrupt: `numbers.range` and
//!   `numbers.range_step` allocate their whole result first (a range of
//!   10^14 numbers aborts on a failed allocation), and regorus's `sprintf`
//!   panics on a width past `u32` or a non-ASCII digit in a width.

use std::collections::BTreeSet;

use regorus::unstable::{BUILTINS, Expr, Ref, Source, Span};
use regorus::{Engine, Value};

use crate::error::{Error, Result};

/// The elements of an array or set argument.
fn elements(v: &Value, name: &str) -> anyhow::Result<Vec<Value>> {
    let json = serde_json::to_value(v)?;
    match json {
        serde_json::Value::Array(items) => Ok(items.into_iter().map(Value::from).collect()),
        _ => anyhow::bail!("{name}: operand must be an array or a set"),
    }
}

/// Calls regorus's own implementation of a builtin (shadowed by ours).
fn call_original(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    let (f, _) = BUILTINS
        .get(name)
        .ok_or_else(|| anyhow::anyhow!("{name}: no such builtin"))?;
    let source = Source::from_contents("<gavel builtin>".to_string(), " ".to_string())?;
    let span = Span {
        source,
        line: 1,
        col: 1,
        start: 0,
        end: 0,
    };
    let params: Vec<Ref<Expr>> = args
        .iter()
        .map(|_| {
            Ref::new(Expr::Null {
                span: span.clone(),
                value: Value::Null,
                eidx: 0,
            })
        })
        .collect();
    // Non-strict, as the engine runs: a builtin error is undefined. A panic
    // in regorus's builtin is an error, not the end of the process.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        f(&span, &params, args, false)
    })) {
        Ok(r) => Ok(r.unwrap_or(Value::Undefined)),
        Err(_) => anyhow::bail!("{name}: the builtin failed on these arguments"),
    }
}

/// The most numbers one `numbers.range` / `numbers.range_step` may make
/// (10 million take about 250 MB and a second in a debug build).
pub const MAX_RANGE: u64 = 10_000_000;

/// The widest `sprintf` field.
pub const MAX_WIDTH: u64 = 1_000_000;

/// Refuses a range of more than [`MAX_RANGE`] numbers before regorus
/// allocates it. Non-integer bounds go to regorus (undefined, as in OPA).
fn guarded_range(name: &'static str, args: &[Value]) -> anyhow::Result<Value> {
    let as_int = |v: &Value| v.as_number().ok().and_then(|n| n.as_i64());
    let (Some(a), Some(b)) = (as_int(&args[0]), as_int(&args[1])) else {
        return call_original(name, args);
    };
    let step = match args.get(2) {
        Some(s) => match as_int(s) {
            Some(s) if s > 0 => s.unsigned_abs(),
            _ => return call_original(name, args),
        },
        None => 1,
    };
    let count = a.abs_diff(b) / step + 1;
    if count > MAX_RANGE {
        anyhow::bail!(
            "{name}: {count} numbers from {a} to {b} are more than Gavel's limit of {MAX_RANGE} \
             (one builtin call cannot be stopped by the evaluation time limit)"
        );
    }
    call_original(name, args)
}

/// Widths and precisions of a format string that regorus's `sprintf`
/// would panic on or allocate without bound.
fn check_widths(format: &str) -> anyhow::Result<()> {
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            continue;
        }
        // regorus reads `.` or a digit, then digits (`char::is_numeric`).
        let mut digits = String::new();
        if let Some(&first) = chars.peek()
            && (first == '.' || first.is_numeric())
        {
            chars.next();
            if first != '.' {
                digits.push(first);
            }
            while let Some(&d) = chars.peek()
                && d.is_numeric()
            {
                digits.push(d);
                chars.next();
            }
        }
        if digits.chars().any(|d| !d.is_ascii_digit()) {
            anyhow::bail!("sprintf: {digits:?} is not a width (ASCII digits only)");
        }
        if digits
            .parse::<u64>()
            .map_or(!digits.is_empty(), |w| w > MAX_WIDTH)
        {
            anyhow::bail!("sprintf: width {digits} is more than Gavel's limit of {MAX_WIDTH}");
        }
    }
    Ok(())
}

/// The verbs of a format string, as regorus's sprintf reads them: `%`, an
/// optional width or precision, one verb character; `%%` is a literal.
/// Returns the byte ranges of the verbs.
fn format_verbs(format: &str) -> Vec<(usize, usize)> {
    let mut verbs = Vec::new();
    let mut chars = format.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.peek() {
            Some((_, '%')) => {
                chars.next();
            }
            Some(_) => {
                while chars
                    .peek()
                    .is_some_and(|(_, c)| c.is_ascii_digit() || *c == '.')
                {
                    chars.next();
                }
                if let Some((i, v)) = chars.next() {
                    verbs.push((start, i + v.len_utf8()));
                }
            }
            None => {}
        }
    }
    verbs
}

/// Whether Gavel's `sprintf` gives what regorus's own gives (which the
/// bytecode VM runs) for this format and this many arguments: only when
/// arguments run short, or a width is out of bounds, do they part.
pub(crate) fn sprintf_reads_alike(format: &str, arguments: usize) -> bool {
    check_widths(format).is_ok()
        && format_verbs(format).len() <= arguments
        && !integer_precision_verbs(format).is_some_and(|v| v.iter().any(Option::is_some))
}

/// One `%` verb of a format: its byte span, flags, width, precision and
/// verb letter.
struct Verb {
    span: (usize, usize),
    flags: String,
    width: Option<usize>,
    precision: Option<usize>,
    letter: char,
}

/// For each argument-consuming verb in order, the verb when it is an
/// integer verb with a precision (`%.4d`, `%-6.3x`), which regorus cannot
/// print; `None` for the whole format when it indexes or stars its
/// arguments (`%[2]d`, `%*d`), which are left to regorus.
fn integer_precision_verbs(format: &str) -> Option<Vec<Option<Verb>>> {
    let mut out = Vec::new();
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if bytes.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        let flags_start = i;
        while i < bytes.len() && b"+- #0".contains(&bytes[i]) {
            i += 1;
        }
        let flags = format[flags_start..i].to_string();
        let number = |i: &mut usize| {
            let from = *i;
            while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                *i += 1;
            }
            format[from..*i].parse::<usize>().ok()
        };
        let width = number(&mut i);
        let precision = if bytes.get(i) == Some(&b'.') {
            i += 1;
            Some(number(&mut i).unwrap_or(0))
        } else {
            None
        };
        if matches!(bytes.get(i), Some(b'[' | b'*')) {
            return None;
        }
        let Some(letter) = format[i..].chars().next() else {
            break;
        };
        i += letter.len_utf8();
        let integer = matches!(letter, 'd' | 'x' | 'X' | 'o' | 'b') && precision.is_some();
        // regorus prints `%.2f` but not a flag or a width on a float.
        let float = letter == 'f' && (!flags.is_empty() || width.is_some());
        // Go's `%q` of an integer is a quoted character (`'\x01'`).
        let quoted = letter == 'q' && flags.is_empty() && width.is_none() && precision.is_none();
        out.push(
            ((integer || float || quoted) && !flags.contains('#')).then_some(Verb {
                span: (start, i),
                flags,
                width,
                precision,
                letter,
            }),
        );
    }
    Some(out)
}

/// Go's `%W.Pd` (and `x`, `X`, `o`, `b`) of an integer: at least P digits,
/// zero-padded, then padded to W with spaces (the `0` flag is ignored
/// when a precision is given, as in Go).
fn format_integer(verb: &Verb, n: i128) -> String {
    let magnitude = n.unsigned_abs();
    let mut digits = match verb.letter {
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        'o' => format!("{magnitude:o}"),
        'b' => format!("{magnitude:b}"),
        _ => magnitude.to_string(),
    };
    let precision = verb.precision.unwrap_or(0);
    if precision == 0 && magnitude == 0 {
        digits.clear();
    }
    while digits.len() < precision {
        digits.insert(0, '0');
    }
    let sign = if n < 0 {
        "-"
    } else if verb.flags.contains('+') {
        "+"
    } else if verb.flags.contains(' ') {
        " "
    } else {
        ""
    };
    let text = format!("{sign}{digits}");
    let width = verb.width.unwrap_or(0);
    if verb.flags.contains('-') {
        format!("{text:<width$}")
    } else {
        format!("{text:>width$}")
    }
}

/// Go's `strconv.QuoteRune`, as `%q` prints an integer: `'a'`, `'\n'`,
/// `'\x01'`, `'\u00ad'`; a value that is no character is U+FFFD.
fn go_quote_rune(code: u32) -> String {
    let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
    let body = match c {
        '\x07' => "\\a".to_string(),
        '\x08' => "\\b".to_string(),
        '\x0c' => "\\f".to_string(),
        '\n' => "\\n".to_string(),
        '\r' => "\\r".to_string(),
        '\t' => "\\t".to_string(),
        '\x0b' => "\\v".to_string(),
        '\'' => "\\'".to_string(),
        '\\' => "\\\\".to_string(),
        c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => format!("\\x{:02x}", u32::from(c)),
        c if c.is_control() => {
            if u32::from(c) < 0x10000 {
                format!("\\u{:04x}", u32::from(c))
            } else {
                format!("\\U{:08x}", u32::from(c))
            }
        }
        c => c.to_string(),
    };
    format!("'{body}'")
}

/// Go's `%W.Pf` of a finite float: P decimals (6 by default), signed as
/// the flags say, padded to W with spaces, or zeros after the sign for `0`.
fn format_float(verb: &Verb, f: f64) -> String {
    let precision = verb.precision.unwrap_or(6);
    let digits = format!("{:.precision$}", f.abs());
    let sign = if f.is_sign_negative() && f != 0.0 {
        "-"
    } else if verb.flags.contains('+') {
        "+"
    } else if verb.flags.contains(' ') {
        " "
    } else {
        ""
    };
    let width = verb.width.unwrap_or(0);
    if verb.flags.contains('-') {
        format!("{:<width$}", format!("{sign}{digits}"))
    } else if verb.flags.contains('0') {
        let pad = width.saturating_sub(sign.len() + digits.len());
        format!("{sign}{}{digits}", "0".repeat(pad))
    } else {
        format!("{:>width$}", format!("{sign}{digits}"))
    }
}

/// The format and arguments with each verb regorus cannot print (an
/// integer with a precision, a float with flags or a width) printed by
/// Gavel as Go prints it (as `%s` of its text), when there is one.
fn with_integer_precision(format: &str, values: &[Value]) -> Option<(String, Vec<Value>)> {
    let verbs = integer_precision_verbs(format)?;
    let mut out = String::with_capacity(format.len());
    let mut args = values.to_vec();
    let mut at = 0;
    let mut changed = false;
    for (k, verb) in verbs.iter().enumerate() {
        let Some(verb) = verb else { continue };
        let Some(Value::Number(n)) = values.get(k) else {
            continue;
        };
        let text = if verb.letter == 'q' {
            // Only an integer: a string's `%q` is regorus's to print.
            match n.as_i64().and_then(|i| u32::try_from(i).ok()) {
                Some(i) => go_quote_rune(i),
                None => continue,
            }
        } else if verb.letter == 'f' {
            // An integer under `%f` is Go's `%!f(int64=…)`: regorus's to say.
            if n.as_i64().is_some() {
                continue;
            }
            match n.as_f64() {
                Some(f) if f.is_finite() => format_float(verb, f),
                _ => continue,
            }
        } else {
            match n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
            {
                Some(i) => format_integer(verb, i),
                None => continue,
            }
        };
        out.push_str(&format[at..verb.span.0]);
        out.push_str("%s");
        at = verb.span.1;
        args[k] = Value::from(text);
        changed = true;
    }
    out.push_str(&format[at..]);
    changed.then_some((out, args))
}

/// `sprintf` as Go (and so OPA) prints it when arguments run short: each
/// verb without an argument becomes `%!v(MISSING)` (with its own verb).
fn sprintf(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Ok(format), Ok(values)) = (args[0].as_string(), args[1].as_array()) else {
        return call_original("sprintf", &args);
    };
    // `%.4d`: regorus refuses a precision on an integer verb; Go pads.
    if let Some((format, values)) = with_integer_precision(format, values.as_slice()) {
        return sprintf(vec![Value::from(format), Value::from(values)]);
    }
    check_widths(format)?;
    let verbs = format_verbs(format);
    if verbs.len() <= values.len() {
        return call_original("sprintf", &args);
    }
    let mut adjusted = String::with_capacity(format.len() + 16);
    let mut at = 0;
    for (k, (start, end)) in verbs.iter().enumerate() {
        if k < values.len() {
            continue;
        }
        adjusted.push_str(&format[at..*start]);
        let verb = format[*start..*end].chars().last().unwrap_or('v');
        adjusted.push_str(&format!("%%!{verb}(MISSING)"));
        at = *end;
    }
    adjusted.push_str(&format[at..]);
    call_original("sprintf", &[Value::from(adjusted), args[1].clone()])
}

/// `json.remove` / `json.filter` paths: OPA reads `/a/b` as `a/b`.
fn strip_leading_slashes(paths: &Value) -> Value {
    let fix = |v: &Value| match v.as_string() {
        Ok(s) if s.starts_with('/') => Value::from(s.trim_start_matches('/')),
        _ => v.clone(),
    };
    match paths {
        Value::Array(items) => Value::from(items.iter().map(fix).collect::<Vec<Value>>()),
        Value::Set(items) => Value::from(items.iter().map(fix).collect::<BTreeSet<Value>>()),
        other => other.clone(),
    }
}

/// The builtins Gavel registers that regorus does not have, with their
/// arities (v0's deprecated ones only in v0 engines; the deprecated casts
/// and `net.cidr_overlap` are `net_string_builtins::V0_BUILTINS`).
pub const GAVEL_BUILTINS: &[(&str, u8)] = &[
    (super::some_in::ITERABLE, 1),
    ("re_match", 2),
    ("any", 1),
    ("all", 1),
    ("set_diff", 2),
];

/// Refuses a Rego v1 module (or a v0 one with `import rego.v1`) that calls
/// one of OPA's deprecated builtins (`any`, `cast_string`,
/// `net.cidr_overlap`, ...), as OPA's compiler does: `file:line:col:
/// rego_type_error: deprecated built-in function calls in expression: any`.
/// A call whose first name is a rule of the module's package, or an import,
/// is not the builtin.
pub fn check_deprecated(file: &str, module: &crate::rego::Module) -> Result<()> {
    use crate::rego::ExprKind;
    if !module.rego_v1 {
        return Ok(());
    }
    let own = crate::rego::walk::PackageRules::of([module]);
    let imported: BTreeSet<String> = module
        .imports
        .iter()
        .filter_map(|i| match &i.alias {
            Some((alias, _)) => Some(alias.clone()),
            None => i.path.static_path().and_then(|p| p.last().cloned()),
        })
        .collect();
    let mut found = None;
    for rule in &module.rules {
        crate::rego::walk::visit_rule_exprs(rule, &mut |e| {
            let ExprKind::Call { func, .. } = &e.kind else {
                return;
            };
            let Some(path) = func.static_path() else {
                return;
            };
            if found.is_some() || own.all.contains(&path[0]) || imported.contains(&path[0]) {
                return;
            }
            let name = path.join(".");
            if super::builtin_table::opa_builtin(&name).is_some_and(|b| b.deprecated) {
                found = Some((e.span, name));
            }
        });
    }
    match found {
        Some((span, name)) => Err(Error::input(
            format!("{file}:{}:{}", span.line, span.col),
            format!("rego_type_error: deprecated built-in function calls in expression: {name}"),
        )),
        None => Ok(()),
    }
}

/// Registers the builtins every engine gets.
pub fn install(engine: &mut Engine) -> Result<()> {
    let add = |engine: &mut Engine, name: &str, n: u8, f: Box<dyn regorus::Extension>| {
        engine
            .add_extension(name.to_string(), n, f)
            .map_err(|e| Error::Engine(format!("registering {name}: {e}")))
    };
    add(engine, "sprintf", 2, Box::new(sprintf))?;
    // `some x in C` reads `C` through this (some_in.rs): a collection as
    // it is, anything else undefined, which iterates nothing.
    add(
        engine,
        super::some_in::ITERABLE,
        1,
        Box::new(|args: Vec<Value>| {
            Ok(match &args[0] {
                v @ (Value::Array(_) | Value::Set(_) | Value::Object(_)) => v.clone(),
                _ => Value::Undefined,
            })
        }),
    )?;
    add(
        engine,
        "numbers.range",
        2,
        Box::new(|args: Vec<Value>| guarded_range("numbers.range", &args)),
    )?;
    add(
        engine,
        "numbers.range_step",
        3,
        Box::new(|args: Vec<Value>| guarded_range("numbers.range_step", &args)),
    )?;
    for name in ["json.remove", "json.filter"] {
        add(
            engine,
            name,
            2,
            Box::new(move |args: Vec<Value>| {
                call_original(name, &[args[0].clone(), strip_leading_slashes(&args[1])])
            }),
        )?;
    }
    Ok(())
}

/// Registers `re_match`, `any`, `all`, `set_diff`, and
/// `net_string_builtins::V0_BUILTINS` (the casts, `net.cidr_overlap`).
pub fn install_v0(engine: &mut Engine) -> Result<()> {
    let add = |engine: &mut Engine, name: &str, n: u8, f: Box<dyn regorus::Extension>| {
        engine
            .add_extension(name.to_string(), n, f)
            .map_err(|e| Error::Engine(format!("registering {name}: {e}")))
    };
    add(
        engine,
        "re_match",
        2,
        Box::new(|args: Vec<Value>| {
            let (pattern, value) = (args[0].as_string()?, args[1].as_string()?);
            let re = regex::Regex::new(pattern)?;
            Ok(Value::from(re.is_match(value)))
        }),
    )?;
    add(
        engine,
        "any",
        1,
        Box::new(|args: Vec<Value>| {
            Ok(Value::from(
                elements(&args[0], "any")?.contains(&Value::from(true)),
            ))
        }),
    )?;
    add(
        engine,
        "all",
        1,
        Box::new(|args: Vec<Value>| {
            Ok(Value::from(
                elements(&args[0], "all")?
                    .iter()
                    .all(|v| *v == Value::from(true)),
            ))
        }),
    )?;
    add(
        engine,
        "set_diff",
        2,
        Box::new(|args: Vec<Value>| {
            let a: BTreeSet<Value> = elements(&args[0], "set_diff")?.into_iter().collect();
            let b: BTreeSet<Value> = elements(&args[1], "set_diff")?.into_iter().collect();
            Ok(Value::from(
                a.difference(&b).cloned().collect::<BTreeSet<Value>>(),
            ))
        }),
    )?;
    for &(name, n) in super::net_string_builtins::V0_BUILTINS {
        add(
            engine,
            name,
            n,
            Box::new(move |args: Vec<Value>| {
                super::net_string_builtins::call(name, &args)
                    .map_err(super::extra_builtins::with_code)
            }),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, rule: &str) -> Value {
        let mut e = Engine::new();
        install(&mut e).unwrap();
        e.add_policy("p.rego".into(), src.into()).unwrap();
        e.eval_rule(format!("data.p.{rule}")).unwrap()
    }

    #[test]
    fn sprintf_pads_integers_to_their_precision_as_go() {
        // The reference OPA engine's answers.
        let src = "package p\na := sprintf(\"CVE-%s-%0.4d\", [\"High\", 11])\nb := sprintf(\"%.3d|%5.2d|%-6.3d|%+.2d|%.3x\", [7, 3, -4, 5, 255])\nc := sprintf(\"%.0d|%d\", [0, 9])\n";
        assert_eq!(eval(src, "a"), Value::from("CVE-High-0011"));
        assert_eq!(eval(src, "b"), Value::from("007|   03|-004  |+05|0ff"));
        assert_eq!(eval(src, "c"), Value::from("|9"));
        let quoted = "package p\nq := sprintf(\"%q|%q|%q\", [1, 97, \"s\"])\n";
        assert_eq!(eval(quoted, "q"), Value::from("'\\x01'|'a'|\"s\""));
        let floats = "package p\nf := sprintf(\"%08.3f|%8.3f|%-8.2f|%+.1f\", [3.14159, 3.14159, 2.5, 1.25])\n";
        assert_eq!(
            eval(floats, "f"),
            Value::from("0003.142|   3.142|2.50    |+1.2")
        );
    }

    #[test]
    fn sprintf_with_missing_arguments_prints_as_go() {
        let src = "package p\na := sprintf(\"%v %v\", [1])\nb := sprintf(\"%v-%d\", [\"x\", 2])\nc := sprintf(\"100%% %s %d\", [\"done\"])\n";
        assert_eq!(eval(src, "a"), Value::from("1 %!v(MISSING)"));
        assert_eq!(eval(src, "b"), Value::from("x-2"));
        assert_eq!(eval(src, "c"), Value::from("100% done %!d(MISSING)"));
    }

    fn eval_err(src: &str, rule: &str) -> String {
        let mut e = Engine::new();
        e.set_strict_builtin_errors(false);
        install(&mut e).unwrap();
        e.add_policy("p.rego".into(), src.into()).unwrap();
        format!("{:#}", e.eval_rule(format!("data.p.{rule}")).unwrap_err())
    }

    #[test]
    fn ranges_past_the_limit_are_errors_not_aborts() {
        let src = "package p\nok := count(numbers.range(1, 1000))\ndown := numbers.range(3, 1)\n\
                   step := numbers.range_step(0, 10, 5)\nfrac := numbers.range(1.5, 3)\n\
                   huge := numbers.range(1, 100000000000000)\n\
                   huge_step := numbers.range_step(0, 100000000000000, 3)\n";
        assert_eq!(eval(src, "ok"), Value::from(1000));
        assert_eq!(
            serde_json::to_string(&eval(src, "down")).unwrap(),
            "[3,2,1]"
        );
        assert_eq!(
            serde_json::to_string(&eval(src, "step")).unwrap(),
            "[0,5,10]"
        );
        assert_eq!(eval(src, "frac"), Value::Undefined);
        let err = eval_err(src, "huge");
        assert!(err.contains("p.rego:6:"), "{err}");
        assert!(
            err.contains("numbers.range: 100000000000000 numbers from 1 to 100000000000000"),
            "{err}"
        );
        assert!(eval_err(src, "huge_step").contains("numbers.range_step: 33333333333334 numbers"));
    }

    #[test]
    fn sprintf_widths_that_would_panic_are_errors() {
        let src = "package p\nwide := sprintf(\"%099999999999d\", [1])\n\
                   odd := sprintf(\"%½d\", [1])\nok := sprintf(\"%05d|%.2f\", [42, 3.14159])\n";
        assert!(eval_err(src, "wide").contains("width 099999999999 is more than"));
        assert!(eval_err(src, "odd").contains("is not a width"));
        assert_eq!(eval(src, "ok"), Value::from("00042|3.14"));
    }

    #[test]
    fn json_paths_may_start_with_a_slash() {
        let src = "package p\ndoc := {\"a\": {\"b\": 1, \"c\": 2}, \"d\": 3}\nr := json.remove(doc, [\"/a/b\"])\nf := json.filter(doc, [\"/a/b\", \"d\"])\n";
        assert_eq!(
            serde_json::to_string(&eval(src, "r")).unwrap(),
            r#"{"a":{"c":2},"d":3}"#
        );
        assert_eq!(
            serde_json::to_string(&eval(src, "f")).unwrap(),
            r#"{"a":{"b":1},"d":3}"#
        );
    }

    #[test]
    fn deprecated_builtins_are_refused_in_v1_as_opa_refuses_them() {
        let check = |src: &str, v1: bool| {
            let m = crate::rego::parse("p.rego", src, !v1).unwrap();
            check_deprecated("p.rego", &m).map_err(|e| e.to_string())
        };
        let err = check("package p\n\nx := cast_string(\"a\")\n", true).unwrap_err();
        assert!(
            err.contains("p.rego:3:6")
                && err.contains(
                    "rego_type_error: deprecated built-in function calls in expression: cast_string"
                ),
            "{err}"
        );
        let err = check(
            "package p\nx if net.cidr_overlap(\"10.0.0.0/8\", \"10.1.1.1\")\n",
            true,
        )
        .unwrap_err();
        assert!(err.contains("net.cidr_overlap"), "{err}");
        // The package's own function of that name; v0 modules.
        assert!(check("package p\nany(x) := true\ny := any([1])\n", true).is_ok());
        assert!(check("package p\ny = any([true])\n", false).is_ok());
        // A v0 module with `import rego.v1` is held to v1's rules.
        assert!(check("package p\nimport rego.v1\ny := any([true])\n", false).is_err());
    }

    #[test]
    fn deprecated_builtins_in_v0() {
        let mut e = Engine::new();
        e.set_rego_v0(true);
        install_v0(&mut e).unwrap();
        e.add_policy(
            "p.rego".into(),
            "package p\nr { re_match(\"^a\", \"abc\") }\nn { not re_match(\"^b\", \"abc\") }\na { any([false, true]) }\nl { not all([true, false]) }\nd = set_diff({1, 2, 3}, {2})\nc = cast_set([1, 1, 2])\n".into(),
        )
        .unwrap();
        for r in ["r", "n", "a", "l"] {
            assert_eq!(
                e.eval_rule(format!("data.p.{r}")).unwrap(),
                Value::from(true),
                "{r}"
            );
        }
        assert_eq!(
            serde_json::to_string(&e.eval_rule("data.p.d".into()).unwrap()).unwrap(),
            "[1,3]"
        );
        assert_eq!(
            serde_json::to_string(&e.eval_rule("data.p.c".into()).unwrap()).unwrap(),
            "[1,2]"
        );
    }
}
