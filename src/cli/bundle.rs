//! `gavel bundle export NAME@VERSION --out FILE.tar.gz`: a stored version
//! as a signed OPA bundle (bundle/export.rs does the work).

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::bundle::export::{ExportOptions, export_bundle};
use crate::bundle::signing::{BundleSigner, SigningKey};
use crate::sanitize::escape;
use crate::store::VersionRef;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write a stored version as an OPA bundle (.tar.gz) that OPA loads
    /// unchanged: its modules and data as stored (tests, cases/ and
    /// capabilities.json left out), a .manifest whose revision is
    /// `NAME@VERSION sha256:HASH` (what decision logs then name, and drift
    /// matches) with the certification and sign-offs under
    /// metadata.gavel, signed as OPA verifies bundles (.signatures.json,
    /// RS256 or ES256 by the key's type). Only a certified version is
    /// exported unless --allow-uncertified.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The version, as NAME@VERSION.
    #[arg(value_name = "NAME@VERSION")]
    version: String,
    /// The bundle file to write (.tar.gz).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// The PEM private key that signs the bundle (RSA: RS256; P-256:
    /// ES256), kept outside the store.
    #[arg(long, value_name = "FILE", required_unless_present = "unsigned")]
    signing_key: Option<PathBuf>,
    /// The key's id: the JWT's `kid` and `keyid`, the name OPA's
    /// `keys` config gives the public key (default: `default`).
    #[arg(long, value_name = "ID", requires = "signing_key")]
    keyid: Option<String>,
    /// The signature's `scope` (OPA checks it against the key's or the
    /// bundle's configured scope).
    #[arg(long, value_name = "S", requires = "signing_key")]
    scope: Option<String>,
    /// The signature's issuer (`iss`).
    #[arg(long, value_name = "ISS", requires = "signing_key")]
    issuer: Option<String>,
    /// Write the bundle without a signature (OPA then loads it only when
    /// its bundle config names no verification key).
    #[arg(long, conflicts_with_all = ["signing_key", "keyid", "scope", "issuer"])]
    unsigned: bool,
    /// Export a draft or partly signed version; its manifest says it is
    /// NOT certified.
    #[arg(long)]
    allow_uncertified: bool,
}

pub fn run(ctx: &mut Ctx, cmd: Command) -> anyhow::Result<Status> {
    match cmd {
        Command::Export(args) => export(ctx, args),
    }
}

/// The signer of `--signing-key` and its `--keyid`, `--scope`, `--issuer`
/// (`gavel serve` takes them as `--bundle-…`); `None` without a key.
pub fn signer_of(
    key: Option<&std::path::Path>,
    keyid: Option<&str>,
    scope: Option<&str>,
    issuer: Option<&str>,
) -> anyhow::Result<Option<BundleSigner>> {
    let Some(path) = key else {
        return Ok(None);
    };
    Ok(Some(BundleSigner {
        key: SigningKey::from_file(path)?,
        keyid: match keyid {
            Some(k) if !k.trim().is_empty() => k.to_string(),
            Some(_) => anyhow::bail!("keyid: empty"),
            None => "default".to_string(),
        },
        scope: scope.map(str::to_string),
        issuer: issuer.map(str::to_string),
    }))
}

fn export(ctx: &mut Ctx, args: ExportArgs) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let signer = signer_of(
        args.signing_key.as_deref(),
        args.keyid.as_deref(),
        args.scope.as_deref(),
        args.issuer.as_deref(),
    )?;
    let settings = ctx.settings()?;
    let now = ctx.now()?;
    let store = ctx.open_store_read_only()?;
    let bundle = export_bundle(
        &store,
        &reference.name,
        &reference.version,
        &ExportOptions {
            settings: &settings,
            signer: signer.as_ref(),
            allow_uncertified: args.allow_uncertified,
            issued_at: now.timestamp(),
        },
    )?;
    std::fs::write(&args.out, &bundle.bytes).with_context(|| format!("{}", args.out.display()))?;
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &json!({
                "out": args.out.display().to_string(),
                "version": bundle.version.to_string(),
                "revision": bundle.revision,
                "content_hash": bundle.content_hash,
                "certification": bundle.status,
                "label": bundle.certification_label,
                "digest": bundle.digest,
                "bytes": bundle.bytes.len(),
                "files": bundle.files,
                "left_out": bundle.left_out,
                "signed": bundle.signed.as_ref().map(|(alg, kid)| json!({"alg": alg, "keyid": kid, "scope": args.scope})),
            }),
        )?;
        return Ok(Status::Ok);
    }
    writeln!(
        ctx.out,
        "wrote {} ({} bytes, {} files): {}",
        escape(&args.out.display().to_string()),
        bundle.bytes.len(),
        bundle.files.len(),
        escape(&bundle.version.to_string())
    )?;
    writeln!(ctx.out, "  revision  {}", escape(&bundle.revision))?;
    writeln!(
        ctx.out,
        "  status    {}",
        escape(&bundle.certification_label)
    )?;
    match &bundle.signed {
        Some((alg, kid)) => writeln!(
            ctx.out,
            "  signed    {alg}, keyid {}{}",
            escape(kid),
            args.scope
                .as_deref()
                .map(|s| format!(", scope {}", escape(s)))
                .unwrap_or_default()
        )?,
        None => writeln!(ctx.out, "  signed    no (--unsigned)")?,
    }
    if !bundle.left_out.is_empty() {
        writeln!(
            ctx.out,
            "  left out  {} (tests, cases, capabilities: not loaded by OPA)",
            escape(&bundle.left_out.join(", "))
        )?;
    }
    if bundle.status != crate::certify::Status::Certified {
        writeln!(
            ctx.out,
            "  WARNING   not certified: the manifest's metadata.gavel.certification says so"
        )?;
    }
    Ok(Status::Ok)
}
