//! `gavel serve`: the command line of the decision-log server (src/serve):
//! its flags, the token and TLS checks made before it starts, and the
//! summary printed when it stops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use super::output::{Format, write_json};
use super::{Ctx, Status};
use crate::serve::auth::{TOKEN_ENV, load_token};
use crate::serve::limits::parse_size;
use crate::serve::{Config, Limits, log};
use crate::store::VersionRef;

/// The default address: loopback, one port above OPA's own 8181 so the
/// two can run side by side.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8282";

#[derive(Debug, clap::Args)]
#[command(after_help = "\
OPA points its decision-log plugin at it:
  services:
    gavel:
      url: http://127.0.0.1:8282
      credentials:
        bearer:
          token: \"${GAVEL_TOKEN}\"
  decision_logs:
    service: gavel
    resource: /logs
    reporting:
      min_delay_seconds: 1
      max_delay_seconds: 5

An upload is stored in one transaction and answered 200 once committed, with
any rejected events listed by index; 401 without the token, 413 past a size
limit, 400 for a body that is no JSON array, 503 (Retry-After) when the store
is busy. SIGTERM or SIGINT stops it after the requests in flight.")]
pub struct Args {
    /// Address to listen on. Default: loopback only.
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// File whose first line is the bearer token every request must carry
    /// (else $GAVEL_SERVE_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Accept requests without a token (loopback addresses only).
    #[arg(long, conflicts_with = "token_file")]
    pub no_auth: bool,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Path OPA POSTs its decision logs to (its decision_logs.resource).
    #[arg(long, default_value = "/logs", value_name = "PATH")]
    pub logs_path: String,
    /// Largest request body, as sent (K, M, G suffixes).
    #[arg(long, default_value = "8M", value_name = "SIZE")]
    pub max_body: String,
    /// Largest body once gunzipped: a gzip bomb stops here with 413.
    #[arg(long, default_value = "64M", value_name = "SIZE")]
    pub max_decompressed: String,
    /// Uploads read and stored at once; more wait their turn.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub max_uploads: usize,
    /// Also replay every received decision against this candidate version;
    /// the workbench's Replay / impact tab shows the running impact.
    #[arg(long, value_name = "NAME@VERSION")]
    pub shadow: Option<String>,
    /// Seconds one shadow replay may evaluate.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Seconds a shutdown waits for the requests in flight.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub grace: u64,
    /// Serve `GET /bundles/NAME` (the latest certified version of NAME,
    /// as `gavel bundle export` writes it), signed with this PEM key (RSA:
    /// RS256; P-256: ES256), kept outside the store.
    #[arg(long, value_name = "FILE")]
    pub bundle_signing_key: Option<PathBuf>,
    /// The signing key's id (OPA's `keys` config names it; default `default`).
    #[arg(long, value_name = "ID", requires = "bundle_signing_key")]
    pub bundle_keyid: Option<String>,
    /// The signature's `scope`.
    #[arg(long, value_name = "S", requires = "bundle_signing_key")]
    pub bundle_scope: Option<String>,
    /// Serve bundles without a signature (OPA loads them only when its
    /// bundle config names no verification key).
    #[arg(long, conflicts_with_all = ["bundle_signing_key", "bundle_keyid", "bundle_scope"])]
    pub unsigned_bundles: bool,
}

#[derive(Serialize)]
struct Summary {
    uploads: u64,
    stored: u64,
    already_stored: u64,
    rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    shadow_replayed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shadow_changed: Option<u64>,
}

pub fn run(ctx: &mut Ctx, args: Args) -> anyhow::Result<Status> {
    let token = load_token(args.token_file.as_deref(), std::env::var(TOKEN_ENV).ok())
        .map_err(anyhow::Error::msg)?;
    let loopback = args.listen.ip().is_loopback();
    match (&token, args.no_auth) {
        (Some(_), true) => {
            bail!("--no-auth and ${TOKEN_ENV} disagree: unset the variable or drop --no-auth")
        }
        (None, false) => bail!(
            "no token: give --token-file FILE or set ${TOKEN_ENV} (OPA sends it as \
             services.NAME.credentials.bearer.token), or --no-auth on a loopback address"
        ),
        (None, true) if !loopback => bail!(
            "--no-auth on {}: anyone who reaches it could write to the decision log; \
             give a token, or listen on a loopback address",
            args.listen
        ),
        _ => {}
    }
    if token.is_some() && args.tls_cert.is_none() && !loopback {
        log(&format!(
            "warning: the bearer token crosses the network in clear on {}; give --tls-cert and --tls-key",
            args.listen
        ));
    }
    let shadow = args
        .shadow
        .as_deref()
        .map(VersionRef::parse)
        .transpose()
        .context("--shadow")?;
    let limits = Limits {
        max_body: parse_size(&args.max_body).map_err(|e| anyhow::anyhow!("--max-body {e}"))?,
        max_decompressed: parse_size(&args.max_decompressed)
            .map_err(|e| anyhow::anyhow!("--max-decompressed {e}"))?,
        max_uploads: args.max_uploads.max(1),
        ..Limits::default()
    };
    let bundles = if args.bundle_signing_key.is_some() || args.unsigned_bundles {
        let signer = super::bundle::signer_of(
            args.bundle_signing_key.as_deref(),
            args.bundle_keyid.as_deref(),
            args.bundle_scope.as_deref(),
            None,
        )
        .context("--bundle-signing-key")?;
        Some(std::sync::Arc::new(crate::serve::bundles::BundleService {
            db: ctx.store_path()?,
            settings: ctx.settings()?,
            signer,
        }))
    } else {
        None
    };
    let store = ctx.open_store()?;
    let config = Config {
        bundles: bundles.clone(),
        listen: args.listen,
        token,
        tls: args.tls_cert.zip(args.tls_key),
        logs_path: args.logs_path.clone(),
        limits,
        shadow,
        db: ctx.store_path()?,
        grace: Duration::from_secs(args.grace),
        replay_timeout: super::eval::timeout(args.timeout)?,
    };
    let logs_path = args.logs_path;
    let served = crate::serve::run(store, config, |addr, scheme| {
        log(&format!(
            "listening on {scheme}://{addr} (POST {logs_path}{}); SIGTERM or Ctrl-C stops it",
            match &bundles {
                Some(b) if b.signer.is_some() => ", GET /bundles/NAME signed",
                Some(_) => ", GET /bundles/NAME unsigned",
                None => "",
            }
        ));
    })?;
    let summary = Summary {
        uploads: served.uploads,
        stored: served.stored,
        already_stored: served.already_stored,
        rejected: served.rejected,
        shadow_replayed: served.shadow.as_ref().map(|s| s.replayed),
        shadow_changed: served.shadow.as_ref().map(|s| s.changed),
    };
    if ctx.format == Format::Json {
        write_json(ctx.out, &summary)?;
    } else {
        writeln!(
            ctx.out,
            "stopped: {} uploads, {} decisions stored, {} already stored, {} events rejected",
            summary.uploads, summary.stored, summary.already_stored, summary.rejected
        )?;
        if let Some(s) = &served.shadow {
            writeln!(
                ctx.out,
                "shadow: {} replayed, {} changed, {} errors",
                s.replayed, s.changed, s.errors
            )?;
        }
    }
    if served.cut_off {
        log("some connections were closed before they finished: their clients retry");
    }
    Ok(Status::Ok)
}
