//! The bundle revision Gavel writes into an exported bundle's `.manifest`
//! and reads back from decision logs: `NAME@VERSION sha256:<64 hex>`, the
//! version and its content hash. OPA logs it as `bundles.<name>.revision`
//! with every decision, whatever name its config gives the bundle.

use crate::store::VersionRef;

/// `NAME@VERSION sha256:<hex>`.
pub fn format(version: &VersionRef, content_hash: &str) -> String {
    format!("{version} {content_hash}")
}

/// A revision Gavel wrote: the version and content hash it names, or `None`
/// for any other revision (a plain `1.1.0`, someone else's text).
pub fn parse(revision: &str) -> Option<(VersionRef, String)> {
    let (reference, hash) = revision.split_once(' ')?;
    let hex = hash.strip_prefix("sha256:")?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    let reference = VersionRef::parse(reference).ok()?;
    Some((reference, hash.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_reads_back() {
        let r = VersionRef::parse("gfr-procurement@1.1.0").unwrap();
        let hash = format!("sha256:{}", "ab".repeat(32));
        let text = format(&r, &hash);
        assert_eq!(text, format!("gfr-procurement@1.1.0 {hash}"));
        assert_eq!(parse(&text), Some((r, hash.clone())));
        assert_eq!(parse("1.1.0"), None);
        assert_eq!(parse("gfr@1.1.0 sha256:abc"), None);
        assert_eq!(parse(&format!("gfr@1.1.0 {}", hash.to_uppercase())), None);
        assert_eq!(parse(&format!("gfr 1.1.0 {hash}")), None);
    }
}
