//! `gavel certify NAME@VERSION --role ROLE --signer NAME [--statement TEXT]`
//! and `gavel certify --verify NAME@VERSION`.

use std::path::PathBuf;

use super::output::{Format, short_hash, write_json};
use super::{Ctx, Status};
use crate::certify::{
    Certification, CertifyOutcome, CheckedSignoff, Evidence, SignRequest, VerifyReport, certify,
    pct, short_batch, verify,
};
use crate::sanitize::escape;
use crate::store::VersionRef;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version to sign off, or with --verify to check.
    #[arg(value_name = "NAME@VERSION")]
    version: String,
    /// Check every sign-off's signature and that the version's files still
    /// hash to the certified hash; exit 1 unless all hold and every required
    /// role signed.
    #[arg(long, conflicts_with_all = ["role", "signer", "statement", "key"])]
    verify: bool,
    /// The role signing off (by default legal, compliance, audit and
    /// security must each sign; see [certification] in the config file and
    /// metadata.certification in the bundle's .manifest).
    #[arg(long, required_unless_present = "verify")]
    role: Option<String>,
    /// Who signs: a principal the allowed_signers file lists for the key
    /// (default: the one it lists).
    #[arg(long)]
    signer: Option<String>,
    /// What the signer attests, signed with the rest.
    #[arg(long)]
    statement: Option<String>,
    /// The signer's Ed25519 key file (an OpenSSH private key without a
    /// passphrase, or PKCS#8 PEM; `gavel keys new --out FILE` makes one; it
    /// must exist). Default: $GAVEL_KEY_DIR/signer.key, else the config
    /// dir's gavel/signer.key, made on first use.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let reference = VersionRef::parse(&args.version)?;
    let settings = ctx.settings()?;
    if args.verify {
        let store = ctx.open_store_read_only()?;
        let report = verify(&store, &reference, &settings)?;
        if ctx.format == Format::Json {
            write_json(ctx.out, &report)?;
        } else {
            print_verify(ctx, &report)?;
        }
        return Ok(if report.ok {
            Status::Ok
        } else {
            Status::CheckFailed
        });
    }
    let now = ctx.clock()?;
    let key = crate::certify::KeyChoice::from_option(args.key)?;
    let store = ctx.open_store()?;
    let outcome = certify(
        &store,
        &reference,
        &SignRequest {
            role: args.role.as_deref().unwrap_or_default(),
            signer: args.signer.as_deref(),
            statement: args.statement.as_deref(),
            now,
        },
        &key,
        &settings,
    )?;
    super::log::notice_new_key(&store);
    if ctx.format == Format::Json {
        write_json(ctx.out, &outcome)?;
    } else {
        print_outcome(ctx, &reference, &outcome)?;
    }
    Ok(match outcome {
        CertifyOutcome::Signed { .. } => Status::Ok,
        CertifyOutcome::Refused { .. } => Status::CheckFailed,
    })
}

fn print_outcome(ctx: &mut Ctx, reference: &VersionRef, o: &CertifyOutcome) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    let name = escape(&reference.to_string()).into_owned();
    match o {
        CertifyOutcome::Refused { reasons, evidence } => {
            writeln!(out, "refused: {name} may not be signed off yet")?;
            for r in reasons {
                writeln!(out, "  - {}", escape(r))?;
            }
            print_evidence(out, evidence, false)?;
        }
        CertifyOutcome::Signed {
            signoff,
            key_path,
            key_created,
            evidence,
            certification,
        } => {
            let s = &signoff.row;
            writeln!(
                out,
                "signed off {name} as {}: sign-off #{} by {} at {}",
                escape(&s.role),
                s.id,
                escape(&s.signer),
                escape(&signoff.time_label())
            )?;
            print_evidence(out, evidence, true)?;
            writeln!(
                out,
                "  key           {} ({}{})",
                signoff.key_fingerprint,
                escape(&key_path.display().to_string()),
                if *key_created {
                    ", a new key pair made now"
                } else {
                    ""
                }
            )?;
            writeln!(out, "status: {}", status_line(certification))?;
        }
    }
    Ok(())
}

/// The evidence; `ran_now`: the test run is the one made at signing.
fn print_evidence(out: &mut dyn std::io::Write, e: &Evidence, ran_now: bool) -> anyhow::Result<()> {
    writeln!(out, "  content hash  {}", escape(&e.content_hash))?;
    match &e.test_run {
        Some(run) => {
            let s = &run.summary;
            writeln!(
                out,
                "  test run      #{}{}: {} tests, {} passed, {} failed, {} errors; coverage {} (threshold {})",
                run.id,
                if ran_now { " (run now)" } else { "" },
                s.total,
                s.pass,
                s.fail,
                s.error,
                run.coverage
                    .map_or_else(|| "-".into(), |c| format!("{c:.2}%")),
                pct(e.requirements.coverage_threshold)
            )?;
        }
        None => writeln!(
            out,
            "  test run      the suite runs with coverage when the sign-off is made"
        )?,
    }
    match (&e.replay, e.decisions) {
        (_, 0) => writeln!(out, "  replay        no stored decisions to replay")?,
        (None, n) => writeln!(out, "  replay        {n} stored decisions, none replayed")?,
        (Some(r), n) => writeln!(
            out,
            "  replay        {} of {n} decisions replayed under it (batch {}, {}): DETERMINISTIC {}, DIVERGED {}, ERROR {}",
            r.replayed,
            short_batch(&r.batch_id),
            escape(&r.replayed_at),
            r.deterministic,
            r.diverged,
            r.errors
        )?,
    }
    Ok(())
}

/// `certified`, `partially signed (missing ...)`, `draft`, with the glyph.
pub(crate) fn status_line(c: &Certification) -> String {
    format!("{} {}", c.status.glyph(), escape(&c.label()))
}

fn signoff_line(s: &CheckedSignoff) -> String {
    let check = if s.valid {
        "valid".to_string()
    } else {
        format!("INVALID: {}", s.problems.join("; "))
    };
    escape(&format!(
        "{} #{} {:<11} {}  {}  {}  {check}",
        if s.valid { "✓" } else { "✗" },
        s.row.id,
        s.row.role,
        s.row.signer,
        s.row.signed_at,
        s.key_fingerprint
    ))
    .into_owned()
}

fn print_verify(ctx: &mut Ctx, r: &VerifyReport) -> anyhow::Result<()> {
    let out = &mut *ctx.out;
    let c = &r.certification;
    writeln!(
        out,
        "{}  {}",
        escape(&c.version),
        short_hash(&c.content_hash)
    )?;
    if r.hash_problems.is_empty() {
        writeln!(
            out,
            "files      ✓ every stored file hashes to the certified content hash"
        )?;
    } else {
        for p in &r.hash_problems {
            writeln!(out, "files      ✗ CHANGED: {}", escape(p))?;
        }
    }
    let t = &c.trust;
    match (&t.path, &t.sha256) {
        (Some(path), Some(sha)) => writeln!(
            out,
            "signers    {} (sha256:{}, {} entries)",
            escape(path),
            &sha[..16.min(sha.len())],
            t.signers
        )?,
        (Some(path), None) => writeln!(
            out,
            "signers    ✗ no allowed_signers file at {}: no sign-off counts",
            escape(path)
        )?,
        _ => writeln!(
            out,
            "signers    ✗ no allowed_signers file: no sign-off counts"
        )?,
    }
    match &r.suite_now {
        Some(now) => writeln!(out, "suite now  {}", escape(&now.label()))?,
        None => writeln!(out, "suite now  ✗ does not run")?,
    }
    for p in &r.rederived_problems {
        writeln!(out, "source     ✗ DIFFERS: {}", escape(p))?;
    }
    if c.signoffs.is_empty() {
        writeln!(out, "sign-offs  none")?;
    } else {
        writeln!(out, "sign-offs:")?;
        for s in &c.signoffs {
            writeln!(out, "  {}", signoff_line(s))?;
        }
    }
    writeln!(out, "status: {}", status_line(c))?;
    if r.ok {
        writeln!(
            out,
            "verify OK: certified; every signature, signer, hash and derived row checks"
        )?;
    } else {
        let mut why = Vec::new();
        if !r.hash_problems.is_empty() {
            why.push("the files changed".to_string());
        }
        if !r.rederived_problems.is_empty() {
            why.push("stored rows differ from the source".to_string());
        }
        if c.invalid_signoffs > 0 {
            why.push(format!("{} sign-off(s) do not verify", c.invalid_signoffs));
        }
        if !c.missing_roles.is_empty() {
            why.push(format!("not signed by {}", c.missing_roles.join(", ")));
        }
        writeln!(out, "verify FAILED: {}", escape(&why.join("; ")))?;
    }
    Ok(())
}
