//! `gavel verify`: the decision chain, walked.

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::verify::verify_chain;

pub fn run(ctx: &mut Ctx) -> anyhow::Result<Status> {
    let store = ctx.open_store()?;
    let report = verify_chain(&store)?;
    if ctx.format == Format::Json {
        write_json(ctx.out, &report)?;
    } else {
        match &report.broken {
            None => writeln!(
                ctx.out,
                "chain OK: {} decisions, head {}",
                report.decisions,
                if report.head.is_empty() {
                    "(empty)"
                } else {
                    report.head.get(..16).unwrap_or(&report.head)
                }
            )?,
            Some(b) => writeln!(ctx.out, "chain BROKEN: {}", b.describe())?,
        }
    }
    Ok(if report.ok() {
        Status::Ok
    } else {
        Status::CheckFailed
    })
}
