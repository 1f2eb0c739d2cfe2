//! `gavel packet NAME@VERSION [--out FILE] [--format md|html|json]`: the
//! certification packet for auditors. Markdown by default; with `--out` and
//! no `--format`, the file's extension (`.html`, `.json`, `.md`) chooses.

use std::path::PathBuf;

use anyhow::Context;

use super::output::Format;
use super::{Ctx, Status};
use crate::packet::{PacketFormat, render};
use crate::sanitize::escape;
use crate::store::VersionRef;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version, as NAME@VERSION.
    #[arg(value_name = "NAME@VERSION")]
    version: String,
    /// Write the packet to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let kind = match ctx.format {
        Format::Md => PacketFormat::Markdown,
        Format::Html => PacketFormat::Html,
        Format::Json => PacketFormat::Json,
        Format::Junit => anyhow::bail!("--format junit is for `gavel test`"),
        // No format given: the output file's extension, else Markdown.
        Format::Text => args
            .out
            .as_deref()
            .map_or(PacketFormat::Markdown, PacketFormat::from_path),
    };
    let settings = ctx.settings()?;
    let now = ctx.now()?;
    let store = ctx.open_store_read_only()?;
    let (packet, text) = render(&store, &reference, &settings, now, kind)?;
    match &args.out {
        None => ctx.out.write_all(text.as_bytes())?,
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("{}", path.display()))?;
            writeln!(
                ctx.out,
                "wrote the certification packet of {} to {} ({}, {} bytes): {}",
                escape(&reference.to_string()),
                escape(&path.display().to_string()),
                kind.name(),
                text.len(),
                escape(&packet.certification.label)
            )?;
        }
    }
    Ok(Status::Ok)
}
