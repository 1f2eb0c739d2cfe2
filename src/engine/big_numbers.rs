//! Number literals past float64's range (`1e400`, `-2.5e1000`) as OPA
//! reads them: exact numbers. regorus holds big integers exactly, but its
//! lexer checks each literal with serde_json, which refuses one past
//! float64 and fails the whole module. Each such literal is written as a
//! product of literals regorus reads exactly (`(1 * 1e300 * 1e100)`), so
//! the module loads and the value compares as OPA compares it. Literals
//! that are not integers at that size cannot be, and stay as written.

use crate::rego::walk::visit_rule_exprs_mut;
use crate::rego::{BinOp, Expr, ExprKind, Module};

/// The largest power of ten regorus reads exactly from a literal that
/// serde_json accepts.
const STEP: u32 = 300;

/// Rewrites every literal of `module` past float64's range, in place.
pub fn spell_out(module: &mut Module) {
    for rule in &mut module.rules {
        // Children first: a `-` before a literal sees the product already.
        visit_rule_exprs_mut(rule, &mut |e| match &mut e.kind {
            ExprKind::Number(text) => {
                if let Some(kind) = as_product(text, e.span) {
                    e.kind = kind;
                }
            }
            // regorus takes `-` before a literal only: `(0 - product)`.
            ExprKind::Neg(inner) if is_product(inner) => {
                let product = std::mem::replace(&mut **inner, Expr::new(e.span, ExprKind::Null));
                e.kind = ExprKind::Paren(Box::new(Expr::new(
                    e.span,
                    ExprKind::Binary {
                        op: BinOp::Sub,
                        lhs: Box::new(Expr::new(e.span, ExprKind::Number("0".to_string()))),
                        rhs: Box::new(product),
                    },
                )));
            }
            _ => {}
        });
    }
}

/// A product this pass wrote: `(digits * 1e300 ...)`.
fn is_product(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Paren(p) if matches!(&p.kind, ExprKind::Binary { op: BinOp::Mul, rhs, .. } if matches!(&rhs.kind, ExprKind::Number(t) if t.starts_with("1e"))))
}

/// `text` as a product of literals, when it is an integer past float64.
fn as_product(text: &str, at: crate::rego::Span) -> Option<ExprKind> {
    if text.parse::<f64>().map_or(true, f64::is_finite) {
        return None;
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = unsigned.split_once(['e', 'E'])?;
    let exponent: i64 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    // value = digits × 10^scale
    let scale = exponent.checked_sub(i64::try_from(fraction.len()).ok()?)?;
    if scale < 0 || digits.is_empty() || digits.len() > STEP as usize {
        return None;
    }
    let mut scale = u32::try_from(scale).ok()?;
    let literal = |t: String| Expr::new(at, ExprKind::Number(t));
    let mut product = literal(if negative {
        format!("-{digits}")
    } else {
        digits.to_string()
    });
    while scale > 0 {
        let step = scale.min(STEP);
        scale -= step;
        product = Expr::new(
            at,
            ExprKind::Binary {
                op: BinOp::Mul,
                lhs: Box::new(product),
                rhs: Box::new(literal(format!("1e{step}"))),
            },
        );
    }
    Some(ExprKind::Paren(Box::new(product)))
}

#[cfg(test)]
mod tests {
    use crate::bundle::Bundle;
    use crate::engine::{LoadOptions, LoadedPolicy};
    use regorus::Value;

    #[test]
    fn literals_past_float64_load_and_compare_exactly() {
        let src = "package p\n\nbig := 1e400\n\norder := [1e400 > 1e399, -2.5e400 < -2e400, 1e400 == 10e399, 1e400 > 1e308]\n";
        let b = Bundle::from_texts([("p.rego".to_string(), src.to_string())]).unwrap();
        let p = LoadedPolicy::load(&b, LoadOptions::new(false)).unwrap();
        let order = p.engine().clone().eval_rule("data.p.order".into()).unwrap();
        assert_eq!(
            order,
            Value::from_json_str("[true, true, true, true]").unwrap()
        );
    }
}
