//! `gavel versions`: the stored versions with their hashes and their
//! certification (draft, partially signed with the roles missing, certified).

use serde::Serialize;

use super::output::{
    Align, Format, Shrink, Table, short_hash, short_time, terminal_width, write_json,
};
use super::{Ctx, Status};
use crate::certify::{Certification, statuses};
use crate::sanitize::escape;
use crate::store::VersionSummary;

/// A version as `--format json` lists it.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    version: &'a VersionSummary,
    certification: CertDoc<'a>,
}

#[derive(Serialize)]
struct CertDoc<'a> {
    status: crate::certify::Status,
    required_roles: &'a [String],
    signed_roles: &'a [String],
    missing_roles: &'a [String],
    invalid_signoffs: usize,
}

pub fn run(ctx: &mut Ctx) -> anyhow::Result<Status> {
    let settings = ctx.settings()?;
    let store = ctx.open_store_read_only()?;
    let versions = store.list_versions()?;
    let certs = statuses(&store, &versions, &settings)?;
    if ctx.format == Format::Json {
        let rows: Vec<Row> = versions
            .iter()
            .zip(&certs)
            .map(|(v, c)| Row {
                version: v,
                certification: CertDoc {
                    status: c.status,
                    required_roles: &c.required_roles,
                    signed_roles: &c.signed_roles,
                    missing_roles: &c.missing_roles,
                    invalid_signoffs: c.invalid_signoffs,
                },
            })
            .collect();
        write_json(ctx.out, &rows)?;
        return Ok(Status::Ok);
    }
    if versions.is_empty() {
        writeln!(
            ctx.out,
            "no policy versions stored yet in {}: gavel import BUNDLE_DIR",
            escape(&store.path().display().to_string())
        )?;
        return Ok(Status::Ok);
    }
    let mut t = Table::new(&[
        ("NAME", Shrink::End { min: 12 }, Align::Left),
        ("VERSION", Shrink::Fixed, Align::Left),
        ("HASH", Shrink::Fixed, Align::Left),
        ("RULES", Shrink::Fixed, Align::Right),
        ("FILES", Shrink::Fixed, Align::Right),
        ("STATUS", Shrink::End { min: 9 }, Align::Left),
        ("IMPORTED", Shrink::End { min: 10 }, Align::Left),
    ]);
    for (v, c) in versions.iter().zip(&certs) {
        t.row(vec![
            v.name.clone(),
            v.version.clone(),
            short_hash(&v.content_hash),
            v.rules.to_string(),
            v.files.to_string(),
            cell(c),
            short_time(&v.imported_at),
        ]);
    }
    write!(ctx.out, "{}", t.render(terminal_width()))?;
    Ok(Status::Ok)
}

/// `✓ certified`, `◐ missing audit, security`, `○ draft`.
fn cell(c: &Certification) -> String {
    let mut s = match c.status {
        crate::certify::Status::PartiallySigned => {
            format!("◐ missing {}", c.missing_roles.join(", "))
        }
        other => format!("{} {}", other.glyph(), other.as_str()),
    };
    if c.invalid_signoffs > 0 {
        s.push_str(&format!(" ({} invalid)", c.invalid_signoffs));
    }
    s
}
