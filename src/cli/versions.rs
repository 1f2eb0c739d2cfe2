//! `gavel versions`

use super::output::{
    Align, Format, Shrink, Table, short_hash, short_time, terminal_width, write_json,
};
use super::{Ctx, Status};

pub fn run(ctx: &mut Ctx) -> anyhow::Result<Status> {
    let store = ctx.open_store()?;
    let versions = store.list_versions()?;
    if ctx.format == Format::Json {
        write_json(ctx.out, &versions)?;
        return Ok(Status::Ok);
    }
    if versions.is_empty() {
        writeln!(
            ctx.out,
            "no policy versions stored yet: gavel import BUNDLE_DIR"
        )?;
        return Ok(Status::Ok);
    }
    let mut t = Table::new(&[
        ("NAME", Shrink::End { min: 12 }, Align::Left),
        ("VERSION", Shrink::Fixed, Align::Left),
        ("HASH", Shrink::Fixed, Align::Left),
        ("RULES", Shrink::Fixed, Align::Right),
        ("FILES", Shrink::Fixed, Align::Right),
        ("IMPORTED", Shrink::End { min: 10 }, Align::Left),
    ]);
    for v in &versions {
        t.row(vec![
            v.name.clone(),
            v.version.clone(),
            short_hash(&v.content_hash),
            v.rules.to_string(),
            v.files.to_string(),
            short_time(&v.imported_at),
        ]);
    }
    write!(ctx.out, "{}", t.render(terminal_width()))?;
    Ok(Status::Ok)
}
