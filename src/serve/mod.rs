//! `gavel serve`: one process that receives OPA's decision-log uploads over
//! HTTP(S) and stores them as `gavel decisions import` does, optionally
//! replaying each against a candidate version (live shadow mode).
//!
//! The HTTP stack is hyper 1 with axum's router (the usual, well-kept
//! choice in Rust; no hand-written HTTP), rustls for TLS. They need an
//! async runtime: tokio, and it stays inside this module. `run` builds the
//! runtime and returns once the server has stopped; the rest of Gavel stays
//! synchronous as STYLE.md asks. SQLite is written by one dedicated thread
//! (`writer`); parsing runs on tokio's blocking pool.

pub mod auth;
pub mod bundles;
pub mod ingest;
pub mod limits;
mod routes;
pub mod shadow;
mod tls;
mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

pub use limits::Limits;
pub use routes::log;

use crate::error::{Error, Result};
use crate::store::{Store, VersionRef};

/// How a server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The bearer token every request must carry; `None`: no authentication.
    pub token: Option<String>,
    /// PEM certificate chain and key: HTTPS instead of HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where uploads are POSTed (OPA: `decision_logs.resource`, default `/logs`).
    pub logs_path: String,
    pub limits: Limits,
    /// Replay each stored decision against this version too.
    pub shadow: Option<VersionRef>,
    /// The store's path (the shadow replay opens its own connection).
    pub db: PathBuf,
    /// How long a shutdown waits for requests in flight.
    pub grace: Duration,
    /// `GET /bundles/{name}`, when the server serves bundles.
    pub bundles: Option<Arc<bundles::BundleService>>,
    /// Evaluation timeout of a shadow replay.
    pub replay_timeout: Duration,
}

/// What a server did, once it has stopped.
#[derive(Debug, Clone, Default)]
pub struct Served {
    pub uploads: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub rejected: u64,
    pub shadow: Option<shadow::ShadowTotals>,
    /// Connections still open when the grace period ran out.
    pub cut_off: bool,
}

/// Runs the server on `store` until SIGTERM or SIGINT, then stops
/// accepting, lets requests in flight finish (their uploads are committed
/// before they are answered), drains the writer and the shadow replay, and
/// returns. `ready` is told the address it listens on (port 0 is chosen
/// by the system).
pub fn run(store: Store, config: Config, ready: impl FnOnce(SocketAddr, &str)) -> Result<Served> {
    if !config.logs_path.starts_with('/') || config.logs_path.contains(['{', '}', '*']) {
        return Err(Error::Invalid(format!(
            "--logs-path {:?}: give an absolute path such as /logs",
            config.logs_path
        )));
    }
    let acceptor = match &config.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key).map_err(Error::Invalid)?),
        None => None,
    };
    let shadow = match &config.shadow {
        Some(target) => Some(shadow::start(&config.db, target, config.replay_timeout)?),
        None => None,
    };
    let shadow_batch = shadow.as_ref().map(|s| s.batch_id.clone());
    let (writer_tx, writer) = writer::spawn(
        store,
        Some(config.db.clone()),
        shadow.as_ref().map(|s| s.sender.clone()),
    )
    .map_err(|e| Error::io("the store writer thread", e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("gavel-serve")
        .enable_all()
        .build()
        .map_err(|e| Error::io("the server's runtime", e))?;
    let shared = Arc::new(routes::Shared {
        writer: writer_tx,
        bundles: config.bundles.clone(),
        uploads: Semaphore::new(config.limits.max_uploads.max(1)),
        limits: config.limits.clone(),
    });
    let guard = Arc::new(auth::Guard {
        token: config.token.as_deref().map(Arc::from),
        limits: config.limits.clone(),
    });
    let app = routes::router(shared.clone(), &config.logs_path, guard);
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let cut_off = runtime.block_on(async {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::io(format!("--listen {}", config.listen), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("the listening socket", e))?;
        ready(local, scheme);
        if let Some(id) = &shadow_batch {
            log(&format!("shadow replay into batch {id}"));
        }
        Ok::<bool, Error>(serve(listener, app, acceptor, config.grace).await)
    })?;
    // Requests still waiting on a permit are gone with their connections.
    shared.uploads.close();
    drop(shared);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let totals = writer
        .join()
        .map_err(|_| Error::Engine("the store writer stopped on a panic".into()))?;
    let shadow_totals = match shadow {
        Some(s) => {
            drop(s.sender);
            Some(
                s.handle
                    .join()
                    .map_err(|_| Error::Engine("the shadow replay stopped on a panic".into()))??,
            )
        }
        None => None,
    };
    Ok(Served {
        uploads: totals.uploads,
        stored: totals.stored,
        already_stored: totals.already_stored,
        rejected: totals.rejected,
        shadow: shadow_totals,
        cut_off,
    })
}

/// Accepts connections until a signal, then shuts down gracefully: returns
/// whether connections were still open when `grace` ran out.
async fn serve(
    listener: TcpListener,
    app: axum::Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    grace: Duration,
) -> bool {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait, do not spin.
                    log(&format!("accepting a connection failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            signal = &mut stop => {
                log(&format!("{signal}: no new connections; finishing the requests in flight"));
                break;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(routes::Peer(peer));
                    app.clone().call(request)
                });
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            let served = match acceptor {
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), service))
                        .await
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(30), acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls)) => {
                            watcher
                                .watch(http.serve_connection(TokioIo::new(tls), service))
                                .await
                        }
                        Ok(Err(e)) => {
                            log(&format!("TLS handshake with {peer} failed: {e}"));
                            return;
                        }
                        Err(_) => {
                            log(&format!("TLS handshake with {peer} timed out"));
                            return;
                        }
                    }
                }
            };
            // A client that went away mid-request is routine.
            if let Err(e) = served
                && !e.is_incomplete_message()
                && !e.is_canceled()
            {
                log(&format!("connection from {peer}: {e}"));
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => false,
        _ = tokio::time::sleep(grace) => {
            log(&format!("connections still open after {} s: closing them", grace.as_secs()));
            true
        }
    }
}

/// Resolves on SIGTERM or SIGINT, naming which.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "interrupt"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}
