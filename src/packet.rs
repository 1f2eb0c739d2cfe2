//! The certification packet: one self-contained document for auditors about
//! one version. `build` gathers it as a serialisable struct (the JSON form);
//! `markdown` and `html` render that same struct, so the three never say
//! different things. Every string from a bundle, a decision log or a user is
//! escaped for its format (and control characters made visible first).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::certify::{
    CheckedSignoff, Evidence, Requirements, Settings, Status, certification_of, pct, short_batch,
    stamp,
};
use crate::diff::{Summary as DiffSummary, diff_versions};
use crate::engine::testing::TestStatus;
use crate::error::Result;
use crate::exceptions::{Exception, State};
use crate::matrix::{Gap, Matrix, MatrixRow};
use crate::sanitize;
use crate::store::exceptions::ExceptionFilter;
use crate::store::signoffs::{ReplayBatch, StoredFile};
use crate::store::versions::version_order;
use crate::store::{Store, VersionRef};

pub const PACKET_KIND: &str = "gavel-certification-packet/1";

/// The whole packet.
#[derive(Debug, Clone, Serialize)]
pub struct Packet {
    pub packet: &'static str,
    pub generated_at: String,
    pub generated_by: String,
    pub version: VersionSection,
    pub files: Vec<StoredFile>,
    pub certification: CertificationSection,
    pub matrix: MatrixSection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_run: Option<TestRunSection>,
    pub replay: ReplaySection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<DiffSection>,
    pub signoffs: Vec<CheckedSignoff>,
    pub exceptions: ExceptionsSection,
    /// Why a new sign-off would be refused on today's evidence (empty: it
    /// would not be).
    pub open_findings: Vec<String>,
    /// The decision log: its size and latest signed checkpoint.
    pub log: LogSection,
    /// The version's decisions against its certification: since it was
    /// certified, and any made while it was not (drift).
    pub drift: crate::drift::VersionDrift,
}

/// The decision log as the packet saw it.
#[derive(Debug, Clone, Serialize)]
pub struct LogSection {
    pub origin: String,
    pub decisions: u64,
    /// The latest signed checkpoint (C2SP tlog-checkpoint note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<crate::store::log::StoredCheckpoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionSection {
    pub name: String,
    pub version: String,
    pub content_hash: String,
    pub imported_at: String,
    pub rego_version: u8,
    pub rules: i64,
    /// Every file still hashes to the content hash.
    pub intact: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificationSection {
    pub status: Status,
    pub label: String,
    pub required_roles: Vec<String>,
    pub signed_roles: Vec<String>,
    pub missing_roles: Vec<String>,
    pub invalid_signoffs: usize,
    pub requirements: Requirements,
    /// The allowed_signers file the sign-offs were checked against.
    pub trust: crate::allowed_signers::TrustSummary,
    /// Where stored rows differ from what the hashed source gives now.
    pub rederived_problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixSection {
    pub regulations: usize,
    pub clauses: usize,
    /// Whether the tests and coverage columns come from a recorded run.
    pub tested: bool,
    pub rows: Vec<MatrixRow>,
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestRunSection {
    /// The suite as it ran when the packet was made (never a stored row).
    pub ran_at: String,
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub coverage: Option<f64>,
    pub covered_lines: Option<usize>,
    pub not_covered_lines: Option<usize>,
    pub threshold: f64,
    pub meets_threshold: bool,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub status: String,
    pub name: String,
    pub file: String,
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplaySection {
    /// Stored decisions made with the version.
    pub decisions: u64,
    /// The newest batch replay of them under the version itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<ReplayBatch>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffSection {
    pub previous: String,
    pub previous_hash: String,
    pub summary: DiffSummary,
    pub rules_added: Vec<String>,
    pub rules_removed: Vec<String>,
    pub rules_changed: Vec<ChangedRule>,
    pub constants: Vec<ChangedConstant>,
    pub entrypoints_added: Vec<String>,
    pub entrypoints_removed: Vec<String>,
    pub files: Vec<ChangedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangedRule {
    pub path: String,
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangedConstant {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangedFile {
    pub path: String,
    pub status: String,
    pub added: usize,
    pub removed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExceptionsSection {
    pub open: usize,
    pub overdue: usize,
    pub resolved: usize,
    pub resolved_late: usize,
    /// The open ones (overdue first), then the resolved ones.
    pub items: Vec<Exception>,
}

/// A packet's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketFormat {
    Markdown,
    Html,
    Json,
}

impl PacketFormat {
    /// The format a file's extension asks for (`.html`/`.htm`, `.json`),
    /// else Markdown.
    pub fn from_path(path: &std::path::Path) -> PacketFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("html" | "htm") => PacketFormat::Html,
            Some("json") => PacketFormat::Json,
            _ => PacketFormat::Markdown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PacketFormat::Markdown => "Markdown",
            PacketFormat::Html => "HTML",
            PacketFormat::Json => "JSON",
        }
    }
}

/// The packet of `reference` at `now` as the text of a file in `format`
/// (ending in a newline): what `gavel packet` prints or writes, and what
/// the workbench writes.
pub fn render(
    store: &Store,
    reference: &VersionRef,
    settings: &Settings,
    now: DateTime<Utc>,
    format: PacketFormat,
) -> Result<(Packet, String)> {
    let packet = build(store, reference, settings, now)?;
    let mut text = match format {
        PacketFormat::Markdown => markdown(&packet),
        PacketFormat::Html => html(&packet),
        PacketFormat::Json => {
            let as_json = |e: &dyn std::fmt::Display| {
                crate::error::Error::Invalid(format!("the packet as JSON: {e}"))
            };
            let mut buf = Vec::new();
            let formatter = sanitize::JsonEscaping(serde_json::ser::PrettyFormatter::new());
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
            packet.serialize(&mut ser).map_err(|e| as_json(&e))?;
            String::from_utf8(buf).map_err(|e| as_json(&e))?
        }
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok((packet, text))
}

/// Gathers the packet of `reference` at `now`.
pub fn build(
    store: &Store,
    reference: &VersionRef,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Packet> {
    let v = store.find_version(reference)?;
    let head = store.log_head()?;
    let mut evidence = Evidence::gather(store, &v, settings)?;
    let mut certification = certification_of(store, &v, settings)?;
    // The test evidence is the suite run now, not a stored row.
    let rederived = crate::certify::rederive(store, &v, &mut certification)?;
    let rules = store.rules_of(v.id)?;
    let report = rederived.report.as_ref();
    let matrix = Matrix::build(&rules, report.and_then(|r| r.coverage.as_ref()));
    let threshold = evidence.requirements.coverage_threshold;
    let test_run = report.map(|run| {
        let failures = run
            .tests
            .iter()
            .filter(|t| matches!(t.result, TestStatus::Fail | TestStatus::Error))
            .map(|t| Failure {
                status: t.result.as_str().to_string(),
                name: t.name.clone(),
                file: t.file.clone(),
                line: t.line,
                message: t.error.clone().or(t.diff.clone()),
            })
            .collect();
        let cov = run.coverage.as_ref();
        let coverage = cov.map(|c| c.coverage);
        TestRunSection {
            ran_at: stamp(now),
            total: run.summary.total,
            pass: run.summary.pass,
            fail: run.summary.fail,
            error: run.summary.error,
            skip: run.summary.skip,
            coverage,
            covered_lines: cov.map(|c| c.covered_lines),
            not_covered_lines: cov.map(|c| c.not_covered_lines),
            threshold,
            meets_threshold: coverage.is_some_and(|c| c >= threshold),
            failures,
        }
    });
    let previous = store
        .list_versions()?
        .into_iter()
        .filter(|p| {
            p.name == v.name && version_order(&p.version, &v.version) == std::cmp::Ordering::Less
        })
        .max_by(|a, b| version_order(&a.version, &b.version));
    let diff = match previous {
        None => None,
        Some(p) => {
            let d = diff_versions(store, &p.reference(), reference)?;
            Some(DiffSection {
                previous: p.reference().to_string(),
                previous_hash: p.content_hash.clone(),
                summary: d.summary.clone(),
                rules_added: d.rules.added.iter().map(|r| r.path.clone()).collect(),
                rules_removed: d.rules.removed.iter().map(|r| r.path.clone()).collect(),
                rules_changed: d
                    .rules
                    .changed
                    .iter()
                    .filter(|c| !c.value_only())
                    .map(|c| ChangedRule {
                        path: c.path.clone(),
                        changes: c.changes.iter().map(|a| a.as_str().to_string()).collect(),
                    })
                    .collect(),
                constants: d
                    .constants
                    .iter()
                    .map(|c| ChangedConstant {
                        path: c.path.clone(),
                        before: c.before.clone(),
                        after: c.after.clone(),
                    })
                    .collect(),
                entrypoints_added: d.entrypoints.added.clone(),
                entrypoints_removed: d.entrypoints.removed.clone(),
                files: d
                    .files
                    .iter()
                    .map(|f| ChangedFile {
                        path: f.path.clone(),
                        status: f.status.as_str().to_string(),
                        added: f.added,
                        removed: f.removed,
                    })
                    .collect(),
            })
        }
    };
    let mut items = crate::exceptions::list(
        store,
        &ExceptionFilter {
            version_id: Some(v.id),
            ..ExceptionFilter::default()
        },
        now,
    )?;
    let rank = |s: State| match s {
        State::Overdue => 0,
        State::Open => 1,
        State::ResolvedLate => 2,
        State::Resolved => 3,
    };
    items.sort_by_key(|e| (rank(e.state), e.row.id));
    let count = |s: State| items.iter().filter(|e| e.state == s).count();
    let exceptions = ExceptionsSection {
        open: count(State::Open) + count(State::Overdue),
        overdue: count(State::Overdue),
        resolved: count(State::Resolved) + count(State::ResolvedLate),
        resolved_late: count(State::ResolvedLate),
        items,
    };
    let mut open_findings = evidence.refusals_beside_tests();
    if let Some(t) = &test_run {
        if t.fail + t.error > 0 {
            open_findings.push(format!(
                "the suite has {} failing and {} erroring tests",
                t.fail, t.error
            ));
        }
        if !t.meets_threshold {
            open_findings.push(format!(
                "the suite covers {} of policy lines, under the {} threshold (from {})",
                t.coverage
                    .map_or_else(|| "none".into(), |c| format!("{c:.2}%")),
                pct(threshold),
                evidence.requirements.threshold_from
            ));
        }
    }
    evidence.test_run = None;
    let drift = crate::drift::version_drift(store, settings, &v)?;
    Ok(Packet {
        drift,
        packet: PACKET_KIND,
        generated_at: stamp(now),
        generated_by: format!("gavel {}", env!("CARGO_PKG_VERSION")),
        version: VersionSection {
            name: v.name.clone(),
            version: v.version.clone(),
            content_hash: v.content_hash.clone(),
            imported_at: v.imported_at.clone(),
            rego_version: v.rego_version,
            rules: v.rules,
            intact: evidence.hash_problems.is_empty(),
            hash_problems: evidence.hash_problems.clone(),
        },
        files: store.version_files(v.id)?,
        certification: CertificationSection {
            status: certification.status,
            label: certification.label(),
            required_roles: certification.required_roles.clone(),
            signed_roles: certification.signed_roles.clone(),
            missing_roles: certification.missing_roles.clone(),
            invalid_signoffs: certification.invalid_signoffs,
            requirements: certification.requirements.clone(),
            trust: certification.trust.clone(),
            rederived_problems: rederived.all_problems(),
        },
        matrix: MatrixSection {
            regulations: matrix.regulations(),
            clauses: matrix.clauses(),
            tested: matrix.tested,
            rows: matrix.rows,
            gaps: matrix.gaps,
        },
        test_run,
        replay: ReplaySection {
            decisions: evidence.decisions,
            batch: evidence.replay.clone(),
        },
        diff,
        signoffs: certification.signoffs,
        exceptions,
        open_findings,
        log: LogSection {
            origin: head.origin.clone(),
            decisions: head.size(),
            checkpoint: store.latest_checkpoint()?,
        },
    })
}

/// What a sign-off's signature is, for the packet's reader.
const SIGNATURE_NOTE: &str = "Each sign-off is an SSH signature (SSHSIG, namespace gavel-signoff) \
     over its payload: one line of canonical JSON and a newline, which binds the version, its \
     content hash, the role, the signer, the requirements, the suite's counts at signing, the \
     replay verdicts and the decision log's checkpoint. OpenSSH checks it against the \
     allowed_signers file with nothing of Gavel's (the commands below); Gavel also requires the \
     file to grant the signer the role (roles= after the key) and one role per signer.";

impl Packet {
    pub fn reference(&self) -> String {
        format!("{}@{}", self.version.name, self.version.version)
    }

    /// What certification requires and where each requirement comes from.
    pub fn requirements_line(&self) -> String {
        let r = &self.certification.requirements;
        format!(
            "Required roles: {} (from {}). Coverage threshold: {} of policy lines (from {}). \
             Separation of duties: {} (from {}).",
            self.certification.required_roles.join(", "),
            r.roles_from,
            pct(r.coverage_threshold),
            r.threshold_from,
            if r.separation_of_duties {
                "on, one role per signer and key"
            } else {
                "OFF"
            },
            r.duties_from
        )
    }

    /// The trusted signers file the sign-offs were checked against.
    pub fn trust_line(&self) -> String {
        let t = &self.certification.trust;
        match (&t.path, &t.sha256) {
            (Some(path), Some(sha)) => format!(
                "Trusted signers: {path} (allowed_signers, sha256:{sha}, {} entr{}).",
                t.signers,
                if t.signers == 1 { "y" } else { "ies" }
            ),
            (Some(path), None) => format!(
                "Trusted signers: none; there is no allowed_signers file at {path}, so no sign-off counts."
            ),
            _ => "Trusted signers: none; no allowed_signers file was given, so no sign-off counts."
                .into(),
        }
    }

    /// The OpenSSH command that checks `s` against the trust file.
    pub fn ssh_keygen_command(&self, s: &CheckedSignoff) -> String {
        s.ssh_keygen_command(
            self.certification
                .trust
                .path
                .as_deref()
                .unwrap_or("allowed_signers"),
        )
    }

    /// The version's decisions against its certification, as one line.
    pub fn drift_line(&self) -> String {
        let d = &self.drift;
        let listed = if d.first_drift.is_empty() {
            String::new()
        } else {
            format!(" The earliest {} of them:", d.first_drift.len())
        };
        match &d.certified_at {
            Some(at) if d.drift == 0 => format!(
                "Certified at {at}. {} stored decisions were made by this version, {} since it was \
                 certified; none before: no drift.",
                d.decisions, d.since_certification
            ),
            Some(at) => format!(
                "Certified at {at}. {} stored decisions were made by this version: {} since it was \
                 certified, {} made before it was certified (DRIFT).{listed}",
                d.decisions, d.since_certification, d.drift
            ),
            None if d.decisions == 0 => {
                "Not certified; no stored decision was made by this version.".to_string()
            }
            None => format!(
                "Not certified: every one of the {} stored decisions made by this version is DRIFT \
                 (made by a version not certified at the time).{listed}",
                d.decisions
            ),
        }
    }

    /// The verdicts of the replay evidence, as one line.
    fn replay_line(&self) -> String {
        match (&self.replay.batch, self.replay.decisions) {
            (_, 0) => "The version has no stored decisions: there is nothing to replay.".into(),
            (None, n) => {
                format!("{n} stored decisions; none has been replayed under this version.")
            }
            (Some(b), n) => format!(
                "{} of {n} stored decisions replayed under this version on {} (batch {}): \
                 DETERMINISTIC {}, DIVERGED {}, ERROR {}.",
                b.replayed,
                b.replayed_at,
                short_batch(&b.batch_id),
                b.deterministic,
                b.diverged,
                b.errors
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Markdown

/// Text in a Markdown paragraph or table cell.
fn md(s: &str) -> String {
    let s = sanitize::escape(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '[' | ']' | '`' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Text in a Markdown code span (names, paths, hashes). The span is
/// opened and closed by more backticks than the longest run inside it, so
/// no value can close it early and let markup out (CommonMark 6.1).
fn code(s: &str) -> String {
    let s = sanitize::escape(s).replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        format!("`{s}`")
    } else {
        let fence = "`".repeat(longest + 1);
        format!("{fence} {s} {fence}")
    }
}

/// The HTML packet's Content-Security-Policy: nothing may load or run; the
/// one style sheet is allowed by its hash.
fn content_security_policy() -> String {
    use sha2::{Digest, Sha256};
    let hash = data_encoding::BASE64.encode(&Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; script-src 'none'; \
         base-uri 'none'; form-action 'none'"
    )
}

fn opt_pct(p: Option<f64>) -> String {
    p.map_or_else(|| "-".into(), |c| format!("{c:.0}%"))
}

/// The packet as Markdown.
pub fn markdown(p: &Packet) -> String {
    let mut o = String::new();
    let r = p.reference();
    let _ = writeln!(o, "# Certification packet: {}\n", md(&r));
    let _ = writeln!(
        o,
        "Generated {} by {}. Content hash {}.\n",
        md(&p.generated_at),
        md(&p.generated_by),
        code(&p.version.content_hash)
    );
    let _ = writeln!(
        o,
        "**Status: {} {}**\n",
        p.certification.status.glyph(),
        md(&p.certification.label)
    );
    let _ = writeln!(o, "{}\n", md(&p.requirements_line()));
    let _ = writeln!(o, "{}\n", md(&p.trust_line()));
    if !p.open_findings.is_empty() {
        let _ = writeln!(o, "Open findings (a sign-off today would be refused):\n");
        for f in &p.open_findings {
            let _ = writeln!(o, "- {}", md(f));
        }
        let _ = writeln!(o);
    }
    if !p.certification.rederived_problems.is_empty() {
        let _ = writeln!(
            o,
            "✗ The stored rows differ from what the hashed source gives now:\n"
        );
        for f in &p.certification.rederived_problems {
            let _ = writeln!(o, "- {}", md(f));
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## 1. Version\n");
    let _ = writeln!(o, "| field | value |\n|---|---|");
    let _ = writeln!(o, "| name | {} |", code(&p.version.name));
    let _ = writeln!(o, "| version | {} |", code(&p.version.version));
    let _ = writeln!(o, "| content hash | {} |", code(&p.version.content_hash));
    let _ = writeln!(o, "| imported | {} |", md(&p.version.imported_at));
    let _ = writeln!(o, "| Rego version | v{} |", p.version.rego_version);
    let _ = writeln!(o, "| rules | {} |", p.version.rules);
    let _ = writeln!(
        o,
        "| files intact | {} |\n",
        if p.version.intact {
            "✓ yes: every stored file hashes to the content hash".to_string()
        } else {
            format!("✗ NO: {}", md(&p.version.hash_problems.join("; ")))
        }
    );
    let _ = writeln!(o, "### Files ({})\n", p.files.len());
    let _ = writeln!(o, "| path | kind | lines | SHA-256 |\n|---|---|---:|---|");
    for f in &p.files {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            code(&f.path),
            md(&f.kind),
            f.lines,
            code(&f.sha256)
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## 2. Regulation mapping matrix\n");
    let _ = writeln!(
        o,
        "{} rows over {} clauses of {} regulations; {} rules cite nothing.{}\n",
        p.matrix.rows.len(),
        p.matrix.clauses,
        p.matrix.regulations,
        p.matrix.gaps.len(),
        if p.matrix.tested {
            " Tests and coverage per rule come from the test run in section 3."
        } else {
            " No test run with coverage is recorded: tests and coverage are unknown."
        }
    );
    let _ = writeln!(
        o,
        "| regulation | clause | rule | defined at | tests | coverage |\n|---|---|---|---|---:|---:|"
    );
    for row in &p.matrix.rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md(&row.regulation),
            md(&row.clause),
            code(&row.rule),
            code(&format!("{}:{}", row.file, row.line)),
            row.tests.map_or_else(|| "-".into(), |t| t.to_string()),
            opt_pct(row.coverage)
        );
    }
    if !p.matrix.gaps.is_empty() {
        let _ = writeln!(o, "\nGaps (rules with no citation):\n");
        for g in &p.matrix.gaps {
            let _ = writeln!(
                o,
                "- {} at {}",
                code(&format!("{}.{}", g.package, g.rule)),
                code(&format!("{}:{}", g.file, g.line))
            );
        }
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## 3. Test run\n");
    match &p.test_run {
        None => {
            let _ = writeln!(o, "✗ The suite does not run.\n");
        }
        Some(t) => {
            let _ = writeln!(
                o,
                "The whole suite, run when this packet was made ({}): {} tests, {} passed, {} failed, {} errors, {} skipped.\n",
                md(&t.ran_at),
                t.total,
                t.pass,
                t.fail,
                t.error,
                t.skip
            );
            let _ = writeln!(
                o,
                "Coverage: {} of policy lines ({} covered, {} not covered); threshold {}: {}.\n",
                t.coverage
                    .map_or_else(|| "-".into(), |c| format!("{c:.2}%")),
                t.covered_lines.unwrap_or(0),
                t.not_covered_lines.unwrap_or(0),
                pct(t.threshold),
                if t.meets_threshold {
                    "✓ met"
                } else {
                    "✗ NOT met"
                }
            );
            if t.failures.is_empty() {
                let _ = writeln!(o, "✓ No failures.\n");
            } else {
                let _ = writeln!(o, "| status | test | at | message |\n|---|---|---|---|");
                for f in &t.failures {
                    let _ = writeln!(
                        o,
                        "| ✗ {} | {} | {} | {} |",
                        md(&f.status),
                        code(&f.name),
                        code(&format!("{}:{}", f.file, f.line)),
                        md(f.message.as_deref().unwrap_or(""))
                    );
                }
                let _ = writeln!(o);
            }
        }
    }

    let _ = writeln!(o, "## 4. Replay evidence\n");
    let _ = writeln!(o, "{}\n", md(&p.replay_line()));

    let _ = writeln!(o, "## 5. Changes since the previous version\n");
    match &p.diff {
        None => {
            let _ = writeln!(
                o,
                "No earlier version of {} is stored.\n",
                code(&p.version.name)
            );
        }
        Some(d) => {
            let s = &d.summary;
            let _ = writeln!(
                o,
                "Against {} ({}): files {} added, {} removed, {} changed, {} unchanged; lines +{} -{}; \
                 rules {} added, {} removed, {} changed; {} constants changed.\n",
                code(&d.previous),
                code(&d.previous_hash),
                s.files_added,
                s.files_removed,
                s.files_changed,
                s.files_unchanged,
                s.lines_added,
                s.lines_removed,
                s.rules_added,
                s.rules_removed,
                s.rules_changed,
                s.constants_changed
            );
            for (label, list) in [
                ("Rules added", &d.rules_added),
                ("Rules removed", &d.rules_removed),
                ("Entrypoints added", &d.entrypoints_added),
                ("Entrypoints removed", &d.entrypoints_removed),
            ] {
                if !list.is_empty() {
                    let items: Vec<String> = list.iter().map(|x| code(x)).collect();
                    let _ = writeln!(o, "- {label}: {}", items.join(", "));
                }
            }
            for c in &d.rules_changed {
                let _ = writeln!(
                    o,
                    "- Rule changed: {} ({})",
                    code(&c.path),
                    md(&c.changes.join(", "))
                );
            }
            for c in &d.constants {
                let _ = writeln!(
                    o,
                    "- Constant {}: {} -> {}",
                    code(&c.path),
                    code(c.before.as_deref().unwrap_or("(none)")),
                    code(c.after.as_deref().unwrap_or("(none)"))
                );
            }
            if !d.files.is_empty() {
                let _ = writeln!(o, "\n| file | change | + | - |\n|---|---|---:|---:|");
                for f in &d.files {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {} | {} |",
                        code(&f.path),
                        md(&f.status),
                        f.added,
                        f.removed
                    );
                }
            }
            let _ = writeln!(o);
        }
    }

    let _ = writeln!(o, "## 6. Sign-offs\n");
    if p.signoffs.is_empty() {
        let _ = writeln!(o, "No role has signed off.\n");
    } else {
        let _ = writeln!(
            o,
            "| # | role | signer | signed at | test run | key | trusted by | signature |\n|---|---|---|---|---|---|---|---|"
        );
        for s in &p.signoffs {
            let check = if s.valid {
                "✓ valid".to_string()
            } else {
                format!("✗ INVALID: {}", md(&s.problems.join("; ")))
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | #{} | {} | {} | {} |",
                s.row.id,
                md(&s.row.role),
                md(&s.row.signer),
                md(&s.time_label()),
                s.row.test_run_id,
                code(&s.key_fingerprint),
                s.trusted_by.as_deref().map_or("✗ no".into(), code),
                check
            );
        }
        let _ = writeln!(o);
        for s in p.signoffs.iter().filter(|s| s.row.statement.is_some()) {
            let _ = writeln!(
                o,
                "> {} ({}): {}\n",
                md(&s.row.signer),
                md(&s.row.role),
                md(s.row.statement.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(o, "{}\n", md(SIGNATURE_NOTE));
        for s in p.signoffs.iter().filter(|s| s.is_sshsig()) {
            let _ = writeln!(
                o,
                "Sign-off #{} ({}): save the payload line below as `payload.json` and the signature \
                 as `signoff.sig`, then run:\n",
                s.row.id,
                md(&s.row.role)
            );
            let _ = writeln!(o, "{}", fenced(&p.ssh_keygen_command(s)));
            let _ = writeln!(o, "{}", fenced(s.row.payload.trim_end_matches('\n')));
            let _ = writeln!(o, "{}", fenced(s.row.signature.trim_end_matches('\n')));
        }
    }

    let _ = writeln!(o, "## 7. Exceptions\n");
    let e = &p.exceptions;
    let _ = writeln!(
        o,
        "{} open ({} overdue), {} resolved ({} late).\n",
        e.open, e.overdue, e.resolved, e.resolved_late
    );
    if !e.items.is_empty() {
        let _ = writeln!(
            o,
            "| # | state | decision | override | owner | logged | due | reason | follow-up |\n|---|---|---|---|---|---|---|---|---|"
        );
        for x in &e.items {
            let follow = x.row.resolution.as_ref().map_or_else(
                || md(&x.timing),
                |r| format!("{} ({})", md(&r.note), md(&x.timing)),
            );
            let _ = writeln!(
                o,
                "| {} | {} {} | {} | {} | {} | {} | {} | {} | {} |",
                x.row.id,
                x.state.glyph(),
                md(x.state.as_str()),
                code(&x.row.decision_id),
                md(&x.override_label()),
                md(&x.row.owner),
                md(&x.row.created_at),
                md(&x.row.due_at),
                md(&x.row.reason),
                follow
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## 8. Decision log\n");
    let l = &p.log;
    let _ = writeln!(
        o,
        "The store's decision log {} holds {} decisions, a Merkle tree (RFC 9162).\n",
        code(&l.origin),
        l.decisions
    );
    match &l.checkpoint {
        Some(cp) => {
            let _ = writeln!(
                o,
                "Its latest signed checkpoint (#{}, {} decisions, {}, {}). Keep it: \
                 `gavel verify --checkpoint FILE --key KEY` later proves the log still extends it, and \
                 `gavel verify-proof` checks a decision's inclusion proof against it.\n",
                cp.id,
                cp.size,
                md(&cp.reason),
                md(&cp.created_at)
            );
            let _ = writeln!(o, "{}", fenced(&cp.note));
        }
        None => {
            let _ = writeln!(
                o,
                "No checkpoint has been signed (`gavel checkpoint` signs one).\n"
            );
        }
    }

    let _ = writeln!(o, "## 9. Decisions and drift\n");
    let _ = writeln!(o, "{}\n", md(&p.drift_line()));
    if !p.drift.first_drift.is_empty() {
        let _ = writeln!(
            o,
            "| decision | timestamp | outcome | path | source |\n|---|---|---|---|---|"
        );
        for d in &p.drift.first_drift {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                code(&d.decision_id),
                md(&d.timestamp),
                md(&d.outcome),
                md(&d.path),
                md(&d.source)
            );
        }
        let _ = writeln!(o);
    }
    o
}

/// A fenced code block that no run of backticks in `text` can close.
fn fenced(text: &str) -> String {
    let text = sanitize::escape_multiline(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", text.trim_end_matches('\n'))
}

// ---------------------------------------------------------------------------
// HTML

/// Text for HTML (control characters made visible first).
fn h(s: &str) -> String {
    let s = sanitize::escape(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #111; background: #fff; margin: 2rem auto; max-width: 62rem; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #333; padding-bottom: .15rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin-top: 1.2rem; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88em;
              overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92em; }
th, td { border: 1px solid #999; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #eee; }
td.n, th.n { text-align: right; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.status { font-size: 1.15rem; font-weight: bold; padding: .5rem .8rem; border: 2px solid #333;
          display: inline-block; margin: .6rem 0; }
.ok { color: #0a5c1a; }
.bad { color: #9b0000; font-weight: bold; }
.muted { color: #555; }
blockquote { border-left: 4px solid #999; margin: .5rem 0; padding: .2rem .8rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  section { break-inside: auto; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The packet as one self-contained HTML page (no scripts, no external
/// resources), readable on screen and on paper.
/// Escapes each line of a block for `<pre>`, keeping its line breaks.
fn h_lines(s: &str) -> String {
    s.lines().map(h).collect::<Vec<_>>().join("\n")
}

pub fn html(p: &Packet) -> String {
    let mut o = String::new();
    let r = p.reference();
    let ok = |b: bool, yes: &str, no: &str| {
        if b {
            format!("<span class=\"ok\">✓ {}</span>", h(yes))
        } else {
            format!("<span class=\"bad\">✗ {}</span>", h(no))
        }
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>Certification packet: {}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n",
        content_security_policy(),
        h(&p.generated_by),
        h(&r)
    );
    let _ = writeln!(o, "<h1>Certification packet: {}</h1>", h(&r));
    let _ = writeln!(
        o,
        "<p class=\"muted\">Generated {} by {}. Content hash <code>{}</code>.</p>",
        h(&p.generated_at),
        h(&p.generated_by),
        h(&p.version.content_hash)
    );
    let _ = writeln!(
        o,
        "<div class=\"status\">Status: {} {}</div>",
        p.certification.status.glyph(),
        h(&p.certification.label)
    );
    let _ = writeln!(o, "<p>{}</p>", h(&p.requirements_line()));
    let _ = writeln!(o, "<p>{}</p>", h(&p.trust_line()));
    if !p.certification.rederived_problems.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"bad\">✗ The stored rows differ from what the hashed source gives now:</p><ul>"
        );
        for f in &p.certification.rederived_problems {
            let _ = writeln!(o, "<li>{}</li>", h(f));
        }
        let _ = writeln!(o, "</ul>");
    }
    if !p.open_findings.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"bad\">Open findings (a sign-off today would be refused):</p><ul>"
        );
        for f in &p.open_findings {
            let _ = writeln!(o, "<li>{}</li>", h(f));
        }
        let _ = writeln!(o, "</ul>");
    }

    let _ = writeln!(o, "<section>\n<h2>1. Version</h2>\n<table>");
    for (k, v) in [
        ("name", format!("<code>{}</code>", h(&p.version.name))),
        ("version", format!("<code>{}</code>", h(&p.version.version))),
        (
            "content hash",
            format!("<code>{}</code>", h(&p.version.content_hash)),
        ),
        ("imported", h(&p.version.imported_at)),
        ("Rego version", format!("v{}", p.version.rego_version)),
        ("rules", p.version.rules.to_string()),
        (
            "files intact",
            ok(
                p.version.intact,
                "yes: every stored file hashes to the content hash",
                &format!("NO: {}", p.version.hash_problems.join("; ")),
            ),
        ),
    ] {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    let _ = writeln!(o, "</table>\n<h3>Files ({})</h3>", p.files.len());
    let _ = writeln!(
        o,
        "<table>\n<thead><tr><th>path</th><th>kind</th><th class=\"n\">lines</th><th>SHA-256</th></tr></thead>\n<tbody>"
    );
    for f in &p.files {
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            h(&f.path),
            h(&f.kind),
            f.lines,
            h(&f.sha256)
        );
    }
    let _ = writeln!(o, "</tbody></table>\n</section>");

    let _ = writeln!(o, "<section>\n<h2>2. Regulation mapping matrix</h2>");
    let _ = writeln!(
        o,
        "<p>{} rows over {} clauses of {} regulations; {} rules cite nothing. {}</p>",
        p.matrix.rows.len(),
        p.matrix.clauses,
        p.matrix.regulations,
        p.matrix.gaps.len(),
        if p.matrix.tested {
            "Tests and coverage per rule come from the test run in section 3."
        } else {
            "No test run with coverage is recorded: tests and coverage are unknown."
        }
    );
    let _ = writeln!(
        o,
        "<table>\n<thead><tr><th>regulation</th><th>clause</th><th>rule</th><th>defined at</th>\
         <th class=\"n\">tests</th><th class=\"n\">coverage</th></tr></thead>\n<tbody>"
    );
    for row in &p.matrix.rows {
        let untested = row.tests == Some(0);
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}:{}</code></td>\
             <td class=\"n{}\">{}</td><td class=\"n\">{}</td></tr>",
            h(&row.regulation),
            h(&row.clause),
            h(&row.rule),
            h(&row.file),
            row.line,
            if untested { " bad" } else { "" },
            row.tests.map_or_else(|| "-".into(), |t| t.to_string()),
            h(&opt_pct(row.coverage))
        );
    }
    let _ = writeln!(o, "</tbody></table>");
    if !p.matrix.gaps.is_empty() {
        let _ = writeln!(o, "<p>Gaps (rules with no citation):</p><ul>");
        for g in &p.matrix.gaps {
            let _ = writeln!(
                o,
                "<li><code>{}.{}</code> at <code>{}:{}</code></li>",
                h(&g.package),
                h(&g.rule),
                h(&g.file),
                g.line
            );
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(o, "</section>");

    let _ = writeln!(o, "<section>\n<h2>3. Test run</h2>");
    match &p.test_run {
        None => {
            let _ = writeln!(o, "<p class=\"bad\">✗ The suite does not run.</p>");
        }
        Some(t) => {
            let _ = writeln!(
                o,
                "<p>The whole suite, run when this packet was made ({}): {} tests, {} passed, {} failed, {} errors, {} skipped.</p>",
                h(&t.ran_at),
                t.total,
                t.pass,
                t.fail,
                t.error,
                t.skip
            );
            let _ = writeln!(
                o,
                "<p>Coverage: {} of policy lines ({} covered, {} not covered); threshold {}: {}.</p>",
                t.coverage
                    .map_or_else(|| "-".into(), |c| format!("{c:.2}%")),
                t.covered_lines.unwrap_or(0),
                t.not_covered_lines.unwrap_or(0),
                h(&pct(t.threshold)),
                ok(t.meets_threshold, "met", "NOT met")
            );
            if t.failures.is_empty() {
                let _ = writeln!(o, "<p>{}</p>", ok(true, "No failures.", ""));
            } else {
                let _ = writeln!(
                    o,
                    "<table>\n<thead><tr><th>status</th><th>test</th><th>at</th><th>message</th></tr></thead>\n<tbody>"
                );
                for f in &t.failures {
                    let _ = writeln!(
                        o,
                        "<tr><td class=\"bad\">✗ {}</td><td><code>{}</code></td><td><code>{}:{}</code></td><td>{}</td></tr>",
                        h(&f.status),
                        h(&f.name),
                        h(&f.file),
                        f.line,
                        h(f.message.as_deref().unwrap_or(""))
                    );
                }
                let _ = writeln!(o, "</tbody></table>");
            }
        }
    }
    let _ = writeln!(o, "</section>");

    let _ = writeln!(
        o,
        "<section>\n<h2>4. Replay evidence</h2>\n<p>{}</p>\n</section>",
        h(&p.replay_line())
    );

    let _ = writeln!(
        o,
        "<section>\n<h2>5. Changes since the previous version</h2>"
    );
    match &p.diff {
        None => {
            let _ = writeln!(
                o,
                "<p>No earlier version of <code>{}</code> is stored.</p>",
                h(&p.version.name)
            );
        }
        Some(d) => {
            let s = &d.summary;
            let _ = writeln!(
                o,
                "<p>Against <code>{}</code> (<code>{}</code>): files {} added, {} removed, {} changed, \
                 {} unchanged; lines +{} -{}; rules {} added, {} removed, {} changed; {} constants changed.</p>",
                h(&d.previous),
                h(&d.previous_hash),
                s.files_added,
                s.files_removed,
                s.files_changed,
                s.files_unchanged,
                s.lines_added,
                s.lines_removed,
                s.rules_added,
                s.rules_removed,
                s.rules_changed,
                s.constants_changed
            );
            let _ = writeln!(o, "<ul>");
            for (label, list) in [
                ("Rules added", &d.rules_added),
                ("Rules removed", &d.rules_removed),
                ("Entrypoints added", &d.entrypoints_added),
                ("Entrypoints removed", &d.entrypoints_removed),
            ] {
                if !list.is_empty() {
                    let items: Vec<String> = list
                        .iter()
                        .map(|x| format!("<code>{}</code>", h(x)))
                        .collect();
                    let _ = writeln!(o, "<li>{label}: {}</li>", items.join(", "));
                }
            }
            for c in &d.rules_changed {
                let _ = writeln!(
                    o,
                    "<li>Rule changed: <code>{}</code> ({})</li>",
                    h(&c.path),
                    h(&c.changes.join(", "))
                );
            }
            for c in &d.constants {
                let _ = writeln!(
                    o,
                    "<li>Constant <code>{}</code>: <code>{}</code> → <code>{}</code></li>",
                    h(&c.path),
                    h(c.before.as_deref().unwrap_or("(none)")),
                    h(c.after.as_deref().unwrap_or("(none)"))
                );
            }
            let _ = writeln!(o, "</ul>");
            if !d.files.is_empty() {
                let _ = writeln!(
                    o,
                    "<table>\n<thead><tr><th>file</th><th>change</th><th class=\"n\">+</th><th class=\"n\">−</th></tr></thead>\n<tbody>"
                );
                for f in &d.files {
                    let _ = writeln!(
                        o,
                        "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        h(&f.path),
                        h(&f.status),
                        f.added,
                        f.removed
                    );
                }
                let _ = writeln!(o, "</tbody></table>");
            }
        }
    }
    let _ = writeln!(o, "</section>");

    let _ = writeln!(o, "<section>\n<h2>6. Sign-offs</h2>");
    if p.signoffs.is_empty() {
        let _ = writeln!(o, "<p>No role has signed off.</p>");
    } else {
        let _ = writeln!(
            o,
            "<table>\n<thead><tr><th class=\"n\">#</th><th>role</th><th>signer</th><th>signed at</th>\
             <th>test run</th><th>key</th><th>trusted by</th><th>signature</th></tr></thead>\n<tbody>"
        );
        for s in &p.signoffs {
            let _ = writeln!(
                o,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>#{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                s.row.id,
                h(&s.row.role),
                h(&s.row.signer),
                h(&s.time_label()),
                s.row.test_run_id,
                h(&s.key_fingerprint),
                s.trusted_by
                    .as_deref()
                    .map_or("✗ no".into(), |t| format!("<code>{}</code>", h(t))),
                ok(
                    s.valid,
                    "valid",
                    &format!("INVALID: {}", s.problems.join("; "))
                )
            );
        }
        let _ = writeln!(o, "</tbody></table>");
        for s in p.signoffs.iter().filter(|s| s.row.statement.is_some()) {
            let _ = writeln!(
                o,
                "<blockquote>{} <span class=\"muted\">({}, {})</span></blockquote>",
                h(s.row.statement.as_deref().unwrap_or("")),
                h(&s.row.signer),
                h(&s.row.role)
            );
        }
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", h(SIGNATURE_NOTE));
        for s in p.signoffs.iter().filter(|s| s.is_sshsig()) {
            let _ = writeln!(
                o,
                "<p>Sign-off #{} ({}): save the payload line as <code>payload.json</code> and the \
                 signature as <code>signoff.sig</code>, then run:</p>\n<pre>{}</pre>\n<pre>{}</pre>\n<pre>{}</pre>",
                s.row.id,
                h(&s.row.role),
                h(&p.ssh_keygen_command(s)),
                h_lines(s.row.payload.trim_end_matches('\n')),
                h_lines(s.row.signature.trim_end_matches('\n'))
            );
        }
    }
    let _ = writeln!(o, "</section>");

    let _ = writeln!(o, "<section>\n<h2>7. Exceptions</h2>");
    let e = &p.exceptions;
    let _ = writeln!(
        o,
        "<p>{} open (<span class=\"{}\">{} overdue</span>), {} resolved ({} late).</p>",
        e.open,
        if e.overdue > 0 { "bad" } else { "ok" },
        e.overdue,
        e.resolved,
        e.resolved_late
    );
    if !e.items.is_empty() {
        let _ = writeln!(
            o,
            "<table>\n<thead><tr><th class=\"n\">#</th><th>state</th><th>decision</th><th>override</th>\
             <th>owner</th><th>logged</th><th>due</th><th>reason</th><th>follow-up</th></tr></thead>\n<tbody>"
        );
        for x in &e.items {
            let follow = x.row.resolution.as_ref().map_or_else(
                || h(&x.timing),
                |r| {
                    format!(
                        "{} <span class=\"muted\">({})</span>",
                        h(&r.note),
                        h(&x.timing)
                    )
                },
            );
            let _ = writeln!(
                o,
                "<tr><td class=\"n\">{}</td><td class=\"{}\">{} {}</td><td><code>{}</code></td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                x.row.id,
                if x.state == State::Overdue { "bad" } else { "" },
                x.state.glyph(),
                h(x.state.as_str()),
                h(&x.row.decision_id),
                h(&x.override_label()),
                h(&x.row.owner),
                h(&x.row.created_at),
                h(&x.row.due_at),
                h(&x.row.reason),
                follow
            );
        }
        let _ = writeln!(o, "</tbody></table>");
    }
    let _ = writeln!(o, "</section>");
    let l = &p.log;
    let _ = writeln!(
        o,
        "<section>\n<h2>8. Decision log</h2>\n<p>The store's decision log <code>{}</code> holds {} decisions, a Merkle tree (RFC 9162).</p>",
        h(&l.origin),
        l.decisions
    );
    match &l.checkpoint {
        Some(cp) => {
            let _ = writeln!(
                o,
                "<p>Its latest signed checkpoint (#{}, {} decisions, {}, {}). Keep it: \
                 <code>gavel verify --checkpoint FILE --key KEY</code> later proves the log still extends it.</p>\n<pre class=\"mono\">{}</pre>",
                cp.id,
                cp.size,
                h(&cp.reason),
                h(&cp.created_at),
                cp.note.lines().map(h).collect::<Vec<_>>().join("\n")
            );
        }
        None => {
            let _ = writeln!(o, "<p>No checkpoint has been signed.</p>");
        }
    }
    let _ = writeln!(
        o,
        "</section>\n<section>\n<h2>9. Decisions and drift</h2>\n<p>{}</p>",
        h(&p.drift_line())
    );
    if !p.drift.first_drift.is_empty() {
        let _ = writeln!(
            o,
            "<table><thead><tr><th>decision</th><th>timestamp</th><th>outcome</th><th>path</th><th>source</th></tr></thead><tbody>"
        );
        for d in &p.drift.first_drift {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h(&d.decision_id),
                h(&d.timestamp),
                h(&d.outcome),
                h(&d.path),
                h(&d.source)
            );
        }
        let _ = writeln!(o, "</tbody></table>");
    }
    let _ = writeln!(o, "</section>\n</body>\n</html>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_per_format() {
        assert_eq!(h("<b>&\"x\x1b"), "&lt;b&gt;&amp;&quot;x^[");
        assert_eq!(md("a|b_c <x>"), "a\\|b\\_c &lt;x&gt;");
        assert_eq!(code("a`b|c"), "`` a`b\\|c ``");
        // A double backtick cannot close the span: three open and close it.
        assert_eq!(code("x``<img>"), "``` x``<img> ```");
        assert_eq!(code("x\u{202e}y"), "`x<U+202E>y`");
    }

    /// What a Markdown renderer makes of hostile values, in a table cell
    /// and a paragraph: never a live tag.
    #[test]
    fn no_value_renders_as_markup() {
        use pulldown_cmark::{Options, Parser, html};
        let hostile = [
            "``<img src=x onerror=alert(1)>``",
            "`<img src=x onerror=alert(2)>`",
            "a````b<script>x</script>",
            "|<img src=x>|`",
            "\\`<b>x</b>",
        ];
        for v in hostile {
            let doc = format!(
                "| file | value |\n|---|---|\n| {} | {} |\n\nText {} and {}.\n",
                code(v),
                md(v),
                code(v),
                md(v)
            );
            let mut out = String::new();
            html::push_html(&mut out, Parser::new_ext(&doc, Options::ENABLE_TABLES));
            for tag in ["<img", "<script", "<b>"] {
                assert!(!out.contains(tag), "{v:?} rendered {tag}: {out}");
            }
        }
    }
}
