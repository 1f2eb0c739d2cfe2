//! The signed decision log from the command line: `gavel checkpoint`,
//! `gavel decisions prove ID`, `gavel verify-proof`, and the lines other
//! commands print about the log.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::error::Error;
use crate::sanitize::escape;
use crate::store::Store;
use crate::store::log::StoredCheckpoint;
use crate::tlog::key::read_verifier;
use crate::tlog::note::{Checkpoint, NoteVerifier, parse_note, verify_note};
use crate::tlog::proof::InclusionProof;
use crate::tlog::{base64_hash, merkle};
use crate::verify::{Anchor, read_anchor};

/// Says on stderr that this run made the log key, and where its verifier
/// key is: the one line an auditor must be given.
pub fn notice_new_key(store: &Store) {
    if let Some(path) = store.log_key_created() {
        eprintln!(
            "gavel: made the log key {} (it signs the decision log's checkpoints; give auditors {})",
            escape(&path.display().to_string()),
            escape(&path.with_extension("pub").display().to_string())
        );
    }
}

/// `log: N decisions, checkpoint #K signed (root …)`.
pub fn write_log_line(out: &mut dyn Write, store: &Store) -> anyhow::Result<()> {
    let head = store.log_head()?;
    match store.latest_checkpoint()? {
        Some(cp) if cp.size == head.size() && cp.root == head.root() => writeln!(
            out,
            "log: {} decisions, checkpoint #{} signed (root {})",
            head.size(),
            cp.id,
            short_root(&cp.root)
        )?,
        _ => writeln!(
            out,
            "log: {} decisions (root {}), no checkpoint signed at that size",
            head.size(),
            short_root(&head.root())
        )?,
    }
    Ok(())
}

pub fn short_root(h: &merkle::Hash) -> String {
    crate::verify::short_root(h)
}

/// The verifier key a check uses: `--key FILE`, else the local log key's
/// (when there is one; it is never made by a check).
pub fn verifier(key: Option<&Path>) -> anyhow::Result<Option<NoteVerifier>> {
    if let Some(path) = key {
        return Ok(Some(read_verifier(path)?));
    }
    Ok(crate::tlog::key::local_verifier(None)?)
}

/// Reads a kept checkpoint file and checks its signature.
pub fn read_kept(file: &Path, verifier: &NoteVerifier) -> anyhow::Result<Anchor> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    Ok(read_anchor(&file.display().to_string(), &text, verifier)?)
}

#[derive(Debug, clap::Args)]
pub struct CheckpointArgs {
    /// Write the signed checkpoint to this file (else it goes to stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Serialize)]
struct CheckpointDoc<'a> {
    origin: &'a str,
    #[serde(flatten)]
    checkpoint: &'a StoredCheckpoint,
    verifier_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    written_to: Option<String>,
}

/// `gavel checkpoint`: the log's current checkpoint, signed, for keeping.
pub fn checkpoint(ctx: &mut Ctx, args: CheckpointArgs) -> anyhow::Result<Status> {
    let store = ctx.open_store()?;
    let cp = store.checkpoint_now("checkpoint")?;
    let key = store
        .log_key()?
        .context("no log key is set for this store")?;
    notice_new_key(&store);
    let origin = store.log_head()?.origin;
    let written_to = match &args.out {
        Some(path) => {
            std::fs::write(path, &cp.note).map_err(|e| Error::io(path, e))?;
            let shown = path.display().to_string();
            store.record_export(cp.id, &shown)?;
            Some(shown)
        }
        None => None,
    };
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &CheckpointDoc {
                origin: &origin,
                checkpoint: &cp,
                verifier_key: key.verifier().to_text(),
                written_to,
            },
        )?;
        return Ok(Status::Ok);
    }
    match &written_to {
        None => write!(ctx.out, "{}", cp.note)?,
        Some(path) => {
            writeln!(
                ctx.out,
                "checkpoint #{}: {} decisions, root {} (log {})",
                cp.id,
                cp.size,
                base64_hash(&cp.root),
                escape(&origin)
            )?;
            writeln!(ctx.out, "written to {}", escape(path))?;
            writeln!(ctx.out, "verifier key: {}", key.verifier().to_text())?;
            writeln!(
                ctx.out,
                "keep both; later, `gavel verify --checkpoint {} --key FILE` proves the log still extends it",
                escape(path)
            )?;
        }
    }
    Ok(Status::Ok)
}

#[derive(Debug, clap::Args)]
pub struct ProveArgs {
    /// The decision to prove.
    #[arg(value_name = "DECISION_ID")]
    id: String,
    /// Prove against this kept checkpoint (its size), not the latest one.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// The verifier key of --checkpoint (default: the local log key's).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Write the proof to this file (else it goes to stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `gavel decisions prove ID`.
pub fn prove(ctx: &mut Ctx, args: ProveArgs) -> anyhow::Result<Status> {
    let store = ctx.open_store()?;
    let origin = store.log_head()?.origin;
    let (size, root, against) = match &args.checkpoint {
        Some(file) => {
            let Some(v) = verifier(args.key.as_deref())? else {
                bail!(
                    "no key to check {}'s signature: pass --key FILE",
                    file.display()
                );
            };
            let kept = read_kept(file, &v)?.checkpoint;
            if kept.origin != origin {
                bail!(
                    "{}: the checkpoint is of the log {}, this store's log is {origin}",
                    file.display(),
                    kept.origin
                );
            }
            (kept.size, kept.root, file.display().to_string())
        }
        None => {
            let cp = store.checkpoint_now("proof")?;
            notice_new_key(&store);
            (
                cp.size,
                cp.root,
                format!("the store's checkpoint #{}", cp.id),
            )
        }
    };
    let seq: Option<(i64, String)> = store
        .conn()
        .query_row(
            "SELECT seq, event FROM decisions WHERE decision_id = ?1",
            [&args.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let Some((seq, event)) = seq else {
        bail!("no decision {} in the store", args.id);
    };
    let record = store
        .record_text(seq)?
        .with_context(|| format!("decision {} vanished", args.id))?;
    let position = u64::try_from(seq).unwrap_or(0);
    if position > size {
        bail!(
            "decision {} is at log position {position}, after {against} (size {size}): prove it against a later checkpoint",
            args.id
        );
    }
    if store.root_at(size)? != root {
        return Err(Error::Check(format!(
            "the store's log does not extend {against}: run gavel verify --checkpoint"
        ))
        .into());
    }
    let proof = InclusionProof {
        origin,
        decision_id: args.id.clone(),
        position,
        size,
        record,
        event,
        hashes: store.inclusion_proof(position - 1, size)?,
    };
    let checkpoint = Checkpoint {
        origin: proof.origin.clone(),
        size,
        root,
        extensions: Vec::new(),
    };
    // What is handed out must check, against the store's own tree.
    proof
        .verify(&checkpoint)
        .map_err(|e| Error::Check(format!("decision {}: {e}: run gavel verify", args.id)))?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, proof.to_text()).map_err(|e| Error::io(path, e))?;
            if ctx.format == Format::Text {
                writeln!(
                    ctx.out,
                    "proof of decision {} (position {position} of {size}, against {}) written to {}",
                    escape(&args.id),
                    escape(&against),
                    escape(&path.display().to_string())
                )?;
            }
        }
        None => write!(ctx.out, "{}", proof.to_text())?,
    }
    Ok(Status::Ok)
}

#[derive(Debug, clap::Args)]
pub struct VerifyProofArgs {
    /// The proof file (`gavel decisions prove ID --out FILE`).
    #[arg(value_name = "PROOF")]
    proof: PathBuf,
    /// The signed checkpoint it proves against.
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,
    /// The log's verifier key (`name+hash+key`, the log key's `.pub`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
}

#[derive(Serialize)]
struct ProofReport<'a> {
    ok: bool,
    decision_id: &'a str,
    position: u64,
    size: u64,
    origin: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<crate::tlog::record::LeafRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

/// `gavel verify-proof PROOF --checkpoint FILE --key PUB`: offline, no store.
pub fn verify_proof(ctx: &mut Ctx, args: VerifyProofArgs) -> anyhow::Result<Status> {
    let v = read_verifier(&args.key)?;
    let cp_text =
        std::fs::read_to_string(&args.checkpoint).map_err(|e| Error::io(&args.checkpoint, e))?;
    let cp_label = args.checkpoint.display().to_string();
    let note = parse_note(&cp_text)
        .map_err(|e| Error::input(format!("{cp_label}:{}", e.line), e.message))?;
    let checkpoint = Checkpoint::parse(&note.text)
        .map_err(|e| Error::input(format!("{cp_label}:{}", e.line), e.message))?;
    let proof_text = std::fs::read_to_string(&args.proof).map_err(|e| Error::io(&args.proof, e))?;
    let proof = InclusionProof::parse(&proof_text)
        .map_err(|e| Error::input(format!("{}:{}", args.proof.display(), e.line), e.message))?;
    let result = verify_note(&note, &v)
        .map_err(|e| format!("the checkpoint is not signed by {}: {e}", v.to_text()))
        .and_then(|()| proof.verify(&checkpoint));
    let (record, timestamp, problem) = match result {
        Ok((r, event)) => {
            let t = event
                .get("timestamp")
                .and_then(|t| t.as_str())
                .unwrap_or("(none)")
                .to_string();
            (Some(r), t, None)
        }
        Err(e) => (None, String::new(), Some(e)),
    };
    let ok = problem.is_none();
    if ctx.format == Format::Json {
        write_json(
            ctx.out,
            &ProofReport {
                ok,
                decision_id: &proof.decision_id,
                position: proof.position,
                size: proof.size,
                origin: &proof.origin,
                record,
                problem,
            },
        )?;
    } else if let Some(r) = &record {
        writeln!(
            ctx.out,
            "proof OK: decision {} is at position {} of the log {} at size {}, whose checkpoint {} signed",
            escape(&proof.decision_id),
            proof.position,
            escape(&proof.origin),
            proof.size,
            escape(v.name())
        )?;
        writeln!(
            ctx.out,
            "  outcome {}, time {}, version {}{}",
            escape(&r.outcome),
            escape(&timestamp),
            escape(r.version.as_deref().unwrap_or("(not in the store)")),
            r.policy_hash
                .as_deref()
                .map(|h| format!(" ({})", escape(h)))
                .unwrap_or_default()
        )?;
    } else {
        writeln!(
            ctx.out,
            "proof FAILED: decision {}: {}",
            escape(&proof.decision_id),
            escape(problem.as_deref().unwrap_or(""))
        )?;
    }
    Ok(if ok { Status::Ok } else { Status::CheckFailed })
}
