//! `gavel packet NAME@VERSION [--out FILE] [--format md|html|json]`: the
//! certification packet for auditors. Markdown by default; with `--out` and
//! no `--format`, the file's extension (`.html`, `.json`, `.md`) chooses.

use std::path::PathBuf;

use anyhow::Context;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::packet::{build, html, markdown};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Md,
    Html,
    Json,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Md => "Markdown",
            Kind::Html => "HTML",
            Kind::Json => "JSON",
        }
    }
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let kind = match ctx.format {
        Format::Md => Kind::Md,
        Format::Html => Kind::Html,
        Format::Json => Kind::Json,
        Format::Junit => anyhow::bail!("--format junit is for `gavel test`"),
        // No format given: the output file's extension, else Markdown.
        Format::Text => match args
            .out
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("html" | "htm") => Kind::Html,
            Some("json") => Kind::Json,
            _ => Kind::Md,
        },
    };
    let settings = ctx.settings()?;
    let now = ctx.now()?;
    let store = ctx.open_store_read_only()?;
    let packet = build(&store, &reference, &settings, now)?;
    let mut text = match kind {
        Kind::Md => markdown(&packet),
        Kind::Html => html(&packet),
        Kind::Json => {
            let mut buf = Vec::new();
            write_json(&mut buf, &packet)?;
            String::from_utf8(buf)?
        }
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
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
