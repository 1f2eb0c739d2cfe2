//! The command line: argument parsing, one module per subcommand, and the
//! exit-code contract (0 ok, 1 a check failed, 2 bad usage or bad input).

mod builtins;
mod bundle;
mod certify;
mod decisions;
mod demo;
mod diff;
mod drift;
mod eval;
mod exceptions;
mod import;
mod junit;
mod keys;
mod log;
mod matrix;
pub mod output;
mod packet;
mod replay;
mod rules;
mod serve;
mod test;
mod verify;
mod versions;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::store::Store;
use output::Format;

const EXIT_CODES: &str = "\
Exit codes: 0 success; 1 a check failed (a failing test, a BLOCK under --fail-on, \
a DIVERGED replay, a broken log or proof, a refused or invalid sign-off, an overdue exception); \
2 bad usage or bad input. \
(opa test uses 2 for failing tests and 1 for load errors; Gavel follows the scheme above.)";

#[derive(Debug, Parser)]
#[command(
    name = "gavel",
    version,
    about = "A terminal workbench for policy-as-code compliance: Rego policies, versions, decisions, replay and sign-off.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// A bundle directory to open in the workbench as a working copy: a
    /// draft evaluated, tested and diffed from disk, imported when ready.
    #[arg(value_name = "DIR")]
    pub working_copy: Option<PathBuf>,

    /// The store (SQLite file). Default: the platform data dir's gavel.db.
    #[arg(long, global = true, env = "GAVEL_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub format: Format,

    /// The workbench's theme: dark, light, high-contrast, or a theme file.
    #[arg(long, value_name = "THEME")]
    pub theme: Option<String>,

    /// Do not capture the mouse in the workbench.
    #[arg(long)]
    pub no_mouse: bool,

    /// The workbench's config file (default: the platform config dir's gavel/config.toml).
    #[arg(long, env = "GAVEL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The trusted signers (OpenSSH allowed_signers format, roles=... after
    /// each key). Default: the config file's [certification] allowed_signers,
    /// else $GAVEL_KEY_DIR/allowed_signers, else the config dir's
    /// gavel/allowed_signers.
    #[arg(
        long,
        global = true,
        env = "GAVEL_ALLOWED_SIGNERS",
        value_name = "FILE"
    )]
    pub allowed_signers: Option<PathBuf>,

    /// Without a command, the interactive workbench opens on the store.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import bundle directories as immutable policy versions.
    Import(import::Args),
    /// List the stored policy versions.
    Versions,
    /// List the rules of a version with their titles and citations.
    Rules(rules::Args),
    /// The regulation mapping matrix of a version, with its gaps.
    Matrix(matrix::Args),
    /// Evaluate a version on an input: result, outcome, and the cited rules that fired.
    Eval(eval::Args),
    /// Run Rego unit tests (opa test semantics) and case files, with coverage.
    Test(test::Args),
    /// Decision logs: import, list, show, export.
    #[command(subcommand)]
    Decisions(decisions::Command),
    /// Replay stored decisions under their own version or another one.
    Replay(replay::Args),
    /// Compare two versions: text diff per file and semantic diff of the rules.
    Diff(diff::Args),
    /// Sign off a version as one role (Ed25519-signed), on the evidence of its
    /// test run and replays; --verify checks every sign-off and the files.
    Certify(certify::Args),
    /// The certification packet of a version, for auditors (md, html or json).
    Packet(packet::Args),
    /// OPA bundles: `bundle export` writes a stored version as a signed bundle.
    #[command(subcommand)]
    Bundle(bundle::Command),
    /// Decisions made by a version that was not certified at the time, or
    /// that the store does not hold, grouped by version (exit 1 when any).
    Drift(drift::Args),
    /// Exceptions: logged overrides of a decision's outcome, due for follow-up.
    #[command(subcommand)]
    Exceptions(exceptions::Command),
    /// Check the store: SQLite's integrity, every version's files against its hash, and
    /// the decision log recomputed against its signed checkpoints (--checkpoint: and one
    /// kept elsewhere).
    Verify(verify::VerifyArgs),
    /// Signer keys: `keys new` makes one.
    #[command(subcommand)]
    Keys(keys::Command),
    /// The decision log's current signed checkpoint (C2SP tlog-checkpoint), for keeping.
    Checkpoint(log::CheckpointArgs),
    /// Check an inclusion proof offline: no store, only the proof, a checkpoint and the key.
    VerifyProof(log::VerifyProofArgs),
    /// Write a consistent online copy of the store, then verify the copy.
    Backup(verify::BackupArgs),
    /// Receive OPA's decision-log uploads over HTTP(S) and store them as
    /// `decisions import` does (bearer token, loopback by default).
    Serve(serve::Args),
    /// Every OPA builtin and whether Gavel has it (--format md: the README's table).
    Builtins,
    /// Seed a store with the bundled samples (every sample regime and its
    /// decisions) and open the workbench on it. Default store: the platform
    /// data dir's gavel/demo.db.
    Demo(demo::Args),
}

/// What a command found: success, a check that failed (exit 1), or bad
/// input it has already reported on stderr (exit 2) while it went on with
/// the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    CheckFailed,
    InputRejected,
}

/// Shared by every command: the output stream and format.
pub struct Ctx<'a> {
    pub out: &'a mut dyn Write,
    pub format: Format,
    pub db: Option<PathBuf>,
    /// `--config`: the config file (its `[certification]` table).
    pub config: Option<PathBuf>,
    /// `--allowed-signers`: the trusted signers file.
    pub allowed_signers: Option<PathBuf>,
}

impl Ctx<'_> {
    /// The config file's `[certification]` settings (defaults when there
    /// is no config file), with the trusted signers read.
    pub fn settings(&self) -> Result<crate::certify::Settings, Error> {
        let path = self
            .config
            .clone()
            .or_else(crate::tui::config::Config::default_path);
        let mut settings = crate::tui::config::Config::load(path.as_deref())
            .map(|c| c.certification)
            .map_err(Error::Invalid)?;
        settings.load_trust(self.allowed_signers.as_deref(), path.as_deref())?;
        Ok(settings)
    }

    /// Now, for reading: `GAVEL_NOW` when set (RFC 3339), else the clock.
    pub fn now(&self) -> Result<chrono::DateTime<chrono::Utc>, Error> {
        crate::certify::now_from_env()
    }

    /// Now, for a record: says whether `GAVEL_NOW` pinned it.
    pub fn clock(&self) -> Result<crate::certify::Clock, Error> {
        crate::certify::Clock::from_env()
    }

    /// The store's path: `--db`, else the default.
    pub fn store_path(&self) -> Result<PathBuf, Error> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => Store::default_path(),
        }
    }

    /// Opens the store for a check: read-only, never created or migrated,
    /// refused (and left as it was) when it is not a Gavel store.
    pub fn open_store_read_only(&self) -> Result<Store, Error> {
        Store::open_read_only(&self.store_path()?)
    }

    /// Opens the store, with the log key that signs its checkpoints.
    pub fn open_store(&self) -> Result<Store, Error> {
        let mut store = Store::open(&self.store_path()?)?;
        store.use_default_log_key();
        let clock = self.clock()?;
        if clock.pinned {
            store.pin_clock(clock.now);
        }
        Ok(store)
    }
}

/// Parses the arguments, runs the command, and maps the result to an exit
/// code. Diagnostics go to stderr, results to stdout.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let command = match cli.command {
        // A word that is no command and no directory is most likely a
        // mistyped command: say so, as clap would, not "not a directory".
        None if cli
            .working_copy
            .as_ref()
            .is_some_and(|d| !d.exists() && d.components().count() == 1) =>
        {
            let word = cli
                .working_copy
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            eprintln!(
                "gavel: '{word}' is neither a command nor a directory{}",
                suggestion(&word)
            );
            return ExitCode::from(2);
        }
        None => {
            return finish(workbench(crate::tui::Options {
                db: match &cli.db {
                    Some(p) => p.clone(),
                    None => match Store::default_path() {
                        Ok(p) => p,
                        Err(e) => return finish(Err(e.into())),
                    },
                },
                theme: cli.theme,
                no_mouse: cli.no_mouse,
                config: cli.config,
                allowed_signers: cli.allowed_signers,
                working_copy: cli.working_copy,
            }));
        }
        Some(Command::Demo(args)) => {
            return finish(demo::run(
                &cli.db,
                args,
                crate::tui::Options {
                    db: PathBuf::new(),
                    theme: cli.theme,
                    no_mouse: cli.no_mouse,
                    config: cli.config,
                    allowed_signers: cli.allowed_signers,
                    working_copy: None,
                },
            ));
        }
        Some(_) if cli.working_copy.is_some() => {
            eprintln!(
                "gavel: a bundle directory opens the workbench on it (`gavel DIR`); with a command, give it to the command (`gavel test DIR`)"
            );
            return ExitCode::from(2);
        }
        Some(c) => c,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut ctx = Ctx {
        out: &mut out,
        format: cli.format,
        db: cli.db.clone(),
        config: cli.config.clone(),
        allowed_signers: cli.allowed_signers.clone(),
    };
    let result = run(&mut ctx, command).and_then(|s| {
        ctx.out.flush()?;
        Ok(s)
    });
    match result {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::CheckFailed) => ExitCode::from(1),
        Ok(Status::InputRejected) => ExitCode::from(2),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if matches!(e.downcast_ref::<Error>(), Some(Error::Check(_))) => {
            report_error(&e);
            ExitCode::from(1)
        }
        Err(e) => {
            report_error(&e);
            ExitCode::from(2)
        }
    }
}

/// Opens the workbench on `--db` (or the default store).
/// "; did you mean `gavel verify`?" for the command nearest a mistyped
/// word, when one is near enough.
fn suggestion(word: &str) -> String {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .map(|name| (strsim::jaro(word, &name), name))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| format!("; did you mean `gavel {name}`? (gavel --help lists them)"))
        .unwrap_or_else(|| " (gavel --help lists the commands)".to_string())
}

fn workbench(options: crate::tui::Options) -> anyhow::Result<Status> {
    crate::tui::run(&options)?;
    Ok(Status::Ok)
}

fn finish(result: anyhow::Result<Status>) -> ExitCode {
    match result {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::CheckFailed) => ExitCode::from(1),
        Ok(Status::InputRejected) => ExitCode::from(2),
        Err(e) => {
            report_error(&e);
            ExitCode::from(2)
        }
    }
}

fn run(ctx: &mut Ctx, command: Command) -> anyhow::Result<Status> {
    if ctx.format == Format::Junit && !matches!(command, Command::Test(_)) {
        anyhow::bail!("--format junit is for `gavel test`; use text or json here");
    }
    if matches!(ctx.format, Format::Md | Format::Html)
        && !matches!(command, Command::Packet(_))
        && !(ctx.format == Format::Md && matches!(command, Command::Builtins))
    {
        anyhow::bail!(
            "--format md and html are for `gavel packet` (md also for `gavel builtins`); use text or json here"
        );
    }
    match command {
        Command::Import(args) => import::run(ctx, args),
        Command::Versions => versions::run(ctx),
        Command::Rules(args) => rules::run(ctx, args),
        Command::Matrix(args) => matrix::run(ctx, args),
        Command::Eval(args) => eval::run(ctx, args),
        Command::Test(args) => test::run(ctx, args),
        Command::Decisions(cmd) => decisions::run(ctx, cmd),
        Command::Replay(args) => replay::run(ctx, args),
        Command::Diff(args) => diff::run(ctx, args),
        Command::Certify(args) => certify::run(ctx, args),
        Command::Packet(args) => packet::run(ctx, args),
        Command::Bundle(cmd) => bundle::run(ctx, cmd),
        Command::Drift(args) => drift::run(ctx, args),
        Command::Exceptions(cmd) => exceptions::run(ctx, cmd),
        Command::Verify(args) => verify::run(ctx, args),
        Command::Checkpoint(args) => log::checkpoint(ctx, args),
        Command::Keys(cmd) => keys::run(ctx, cmd),
        Command::VerifyProof(args) => log::verify_proof(ctx, args),
        Command::Serve(args) => serve::run(ctx, args),
        Command::Builtins => builtins::run(ctx),
        Command::Backup(args) => verify::backup(ctx, args),
        Command::Demo(_) => anyhow::bail!("`gavel demo` opens the workbench; run it on its own"),
    }
}

/// A closed pipe (`gavel rules x | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(broken)
            || matches!(c.downcast_ref::<Error>(), Some(Error::Io { cause, .. }) if broken(cause))
    })
}

/// Prints an error on stderr, escaped: it may quote untrusted input.
pub fn report_error(e: &dyn std::fmt::Display) {
    eprintln!("gavel: {}", crate::sanitize::escape(&format!("{e:#}")));
}
