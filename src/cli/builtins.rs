//! `gavel builtins`: every OPA builtin and whether Gavel has it (regorus's,
//! Gavel's own, or missing and why), from the one table in the code; the
//! README's table is this command's `--format md` output.

use serde::Serialize;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::engine::builtin_table::{OPA_BUILTINS, Support, markdown_table, support};

#[derive(Serialize)]
struct Row {
    name: &'static str,
    arity: u8,
    /// `regorus`, `gavel`, `operator` or `missing`.
    support: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_because: Option<&'static str>,
    nondeterministic: bool,
    deprecated: bool,
}

pub fn run(ctx: &mut Ctx) -> anyhow::Result<Status> {
    match ctx.format {
        Format::Md => write!(ctx.out, "{}", markdown_table())?,
        Format::Json => {
            let rows: Vec<Row> = OPA_BUILTINS
                .iter()
                .map(|b| {
                    let s = support(b);
                    Row {
                        name: b.name,
                        arity: b.arity,
                        support: match s {
                            Support::Regorus => "regorus",
                            Support::Gavel => "gavel",
                            Support::Operator => "operator",
                            Support::Missing(_) => "missing",
                        },
                        missing_because: match s {
                            Support::Missing(why) => Some(why),
                            _ => None,
                        },
                        nondeterministic: b.nondeterministic,
                        deprecated: b.deprecated,
                    }
                })
                .collect();
            write_json(ctx.out, &rows)?;
        }
        _ => {
            let width = OPA_BUILTINS.iter().map(|b| b.name.len()).max().unwrap_or(0);
            let mut missing = 0;
            for b in OPA_BUILTINS {
                let text = match support(b) {
                    Support::Regorus => "yes".to_string(),
                    Support::Gavel => "yes (Gavel)".to_string(),
                    Support::Operator => format!("yes (operator {})", b.infix.unwrap_or("")),
                    Support::Missing(why) => {
                        missing += 1;
                        format!("no: {why}")
                    }
                };
                writeln!(ctx.out, "{:width$}  {text}", b.name)?;
            }
            writeln!(
                ctx.out,
                "\n{} of OPA's {} builtins; {missing} missing",
                OPA_BUILTINS.len() - missing,
                OPA_BUILTINS.len()
            )?;
        }
    }
    Ok(Status::Ok)
}
