//! `gavel rules NAME@VERSION`

use serde::Serialize;

use super::output::{Align, Format, Shrink, Table, short_hash, terminal_width, write_json};
use super::{Ctx, Status};
use crate::sanitize::escape;
use crate::store::{StoredRule, VersionRef};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version, as NAME@VERSION.
    version: String,
}

#[derive(Serialize)]
struct RulesDoc<'a> {
    version: &'a VersionRef,
    content_hash: &'a str,
    entrypoints: Vec<String>,
    rules: &'a [StoredRule],
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let store = ctx.open_store_read_only()?;
    let version = store.find_version(&reference)?;
    let rules = store.rules_of(version.id)?;
    let entrypoints: Vec<String> = rules
        .iter()
        .filter(|r| r.entrypoint)
        .map(StoredRule::path)
        .collect();
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &RulesDoc {
                version: &reference,
                content_hash: &version.content_hash,
                entrypoints,
                rules: &rules,
            },
        )?;
        return Ok(Status::Ok);
    }
    let cited = rules.iter().filter(|r| !r.citations.is_empty()).count();
    writeln!(
        ctx.out,
        "{}  {}  {} rules ({} cited)",
        escape(&reference.to_string()),
        short_hash(&version.content_hash),
        rules.len(),
        cited
    )?;
    if !entrypoints.is_empty() {
        writeln!(ctx.out, "entrypoint: {}", escape(&entrypoints.join(", ")))?;
    }
    let titles = store.package_titles(version.id)?;
    writeln!(ctx.out)?;
    let mut t = Table::new(&[
        ("RULE", Shrink::End { min: 16 }, Align::Left),
        ("LINE", Shrink::Fixed, Align::Right),
        ("CITATION", Shrink::End { min: 14 }, Align::Left),
        ("TITLE", Shrink::End { min: 12 }, Align::Left),
    ])
    .indent(4);
    let (mut package, mut file) = (None, None);
    for rule in &rules {
        if package != Some(rule.package.as_str()) {
            package = Some(rule.package.as_str());
            file = None;
            match titles.iter().find(|(p, _)| p == &rule.package) {
                Some((_, title)) => t.section(&format!("{}  {}", rule.package, title)),
                None => t.section(&rule.package),
            }
        }
        if file != Some(rule.file.as_str()) {
            file = Some(rule.file.as_str());
            t.section(&format!("  {}", rule.file));
        }
        let citations: Vec<String> = rule.citations.iter().map(|c| c.label()).collect();
        let name = if rule.entrypoint {
            format!("{} (entrypoint)", rule.name)
        } else {
            rule.name.clone()
        };
        t.row(vec![
            name,
            rule.line_start.to_string(),
            if citations.is_empty() {
                "-".into()
            } else {
                citations.join("; ")
            },
            rule.title.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    write!(ctx.out, "{}", t.render(terminal_width()))?;
    Ok(Status::Ok)
}
