//! Builtins Gavel registers over regorus's (extensions take precedence):
//! OPA's deprecated builtins, which `opa test --v0-compatible` still accepts
//! in Rego v0 modules and regorus 0.14.1 does not have.

use std::collections::BTreeSet;

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

/// Registers `re_match`, `any`, `all`, `set_diff`, `cast_array`, `cast_set`.
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
    add(
        engine,
        "cast_array",
        1,
        Box::new(|args: Vec<Value>| Ok(Value::from(elements(&args[0], "cast_array")?))),
    )?;
    add(
        engine,
        "cast_set",
        1,
        Box::new(|args: Vec<Value>| {
            Ok(Value::from(
                elements(&args[0], "cast_set")?
                    .into_iter()
                    .collect::<BTreeSet<Value>>(),
            ))
        }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
