//! The HTTP routes of `gavel serve` and their answers: `POST <logs path>`
//! takes OPA's decision-log uploads; `GET /bundles/{name}` serves the
//! latest certified version as a signed bundle (bundles.rs); `GET /health`
//! says the server is up. Every route sits behind the bearer-token
//! middleware; a new route is one more `.route` in [`router`] with its
//! handler in its own module.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::ingest::parse_upload;
use super::limits::{BodyError, Encoding, Limits, bytes};
use super::writer::Job;

/// What the handlers share.
pub struct Shared {
    pub writer: mpsc::Sender<Job>,
    /// The bundle service, when the server was given a signing key (or
    /// told to serve unsigned bundles).
    pub bundles: Option<Arc<super::bundles::BundleService>>,
    /// One permit per upload being read, parsed or stored.
    pub uploads: Semaphore,
    pub limits: Limits,
}

/// Rejected events of one upload named in the server log, one line each;
/// the answer lists them all.
const LOGGED_REJECTIONS: usize = 20;

/// The peer of a connection, for the server log.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// The routes: `logs_path` for uploads, `/health`, all behind `guard`.
pub fn router(shared: Arc<Shared>, logs_path: &str, guard: Arc<super::auth::Guard>) -> Router {
    Router::new()
        .route(logs_path, post(receive_logs))
        .route("/bundles/{name}", get(super::bundles::get_bundle))
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(shared)
        .layer(axum::middleware::from_fn_with_state(
            guard,
            super::auth::require,
        ))
}

/// An error answer: `{"error": "..."}`.
pub fn error_response(status: StatusCode, message: &str) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(serde_json::json!({ "error": message })))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({}))
}

async fn not_found(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let message = format!("no route {} {}", request.method(), request.uri().path());
    let limits = &shared.limits;
    drain(request.into_body(), limits.max_body, limits.body_timeout).await;
    error_response(StatusCode::NOT_FOUND, &message).into_response()
}

/// `POST /logs`: an upload is read within the limits, parsed on the
/// blocking pool, stored by the writer in one transaction, and answered
/// 200 once that is committed, with any rejected events listed (OPA retries
/// anything but 2xx: a rejected event would never become good, so an
/// upload that was read is answered 2xx and the good events are kept).
async fn receive_logs(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<Peer>()
        .map_or_else(|| "?".to_string(), |p| p.0.to_string());
    match receive(&shared, request).await {
        Ok(report) => {
            for r in report.rejected.iter().take(LOGGED_REJECTIONS) {
                log(&format!(
                    "upload from {peer}: event {} rejected: {}",
                    r.index, r.reason
                ));
            }
            if report.rejected.len() > LOGGED_REJECTIONS {
                log(&format!(
                    "upload from {peer}: {} more events rejected (the answer lists them all)",
                    report.rejected.len() - LOGGED_REJECTIONS
                ));
            }
            (StatusCode::OK, Json(report)).into_response()
        }
        Err((status, message)) => {
            log(&format!(
                "upload from {peer}: {} {message}",
                status.as_u16()
            ));
            let mut response = error_response(status, &message).into_response();
            if status == StatusCode::SERVICE_UNAVAILABLE {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            }
            response
        }
    }
}

type Refusal = (StatusCode, String);

async fn receive(
    shared: &Shared,
    request: Request,
) -> Result<super::ingest::UploadReport, Refusal> {
    let limits = &shared.limits;
    let encoding = Encoding::from_header(
        request
            .headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let request = check_declared_length(request, limits).await?;
    let _permit = shared.uploads.acquire().await.map_err(|_| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down".to_string(),
        )
    })?;
    let body = read_body(request.into_body(), limits).await?;
    // Refused once the body is read, so the client reads the refusal.
    let encoding = encoding.map_err(refusal)?;
    let max = limits.max_decompressed;
    let parsed = tokio::task::spawn_blocking(move || parse_upload(&body, encoding, max))
        .await
        .map_err(|e| internal(&format!("parsing the upload stopped: {e}")))?
        .map_err(refusal)?;
    let (reply, answer) = oneshot::channel();
    shared
        .writer
        .send(Job {
            upload: parsed,
            reply,
        })
        .await
        .map_err(|_| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store writer has stopped".to_string(),
            )
        })?;
    match answer.await {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(failed)) => Err((
            if failed.transient {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            },
            failed.reason,
        )),
        Err(_) => Err(internal("the store writer stopped before answering")),
    }
}

/// A `Content-Length` past the limit is refused before the body is kept
/// (it is read and dropped when it is within [`DRAIN`] of the limit).
async fn check_declared_length(request: Request, limits: &Limits) -> Result<Request, Refusal> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limits.max_body as u64 => {
            if n <= limits.max_body.saturating_add(DRAIN) as u64 {
                drain(
                    request.into_body(),
                    DRAIN.saturating_add(limits.max_body),
                    limits.body_timeout,
                )
                .await;
            }
            Err(too_large(limits.max_body))
        }
        _ => Ok(request),
    }
}

/// Bytes of a refused body still read (and dropped) before the refusal
/// is answered: a client that is still sending then reads the answer
/// instead of a reset connection. Past this the connection is closed.
pub const DRAIN: usize = 32 << 20;

/// The body, at most `max_body` bytes, within `body_timeout`. A body past
/// the cap is read on and dropped (up to [`DRAIN`] more) before the 413.
async fn read_body(body: Body, limits: &Limits) -> Result<Vec<u8>, Refusal> {
    let read = async {
        let mut body = body;
        let mut kept = Vec::new();
        let (mut seen, mut over) = (0usize, false);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("reading the body failed: {e}"),
                )
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            seen = seen.saturating_add(data.len());
            if seen > limits.max_body {
                over = true;
                kept = Vec::new();
                if seen > limits.max_body.saturating_add(DRAIN) {
                    break;
                }
            } else {
                kept.extend_from_slice(&data);
            }
        }
        if over {
            Err(too_large(limits.max_body))
        } else {
            Ok(kept)
        }
    };
    match tokio::time::timeout(limits.body_timeout, read).await {
        Err(_) => Err((
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {} s",
                limits.body_timeout.as_secs()
            ),
        )),
        Ok(result) => result,
    }
}

/// Reads a refused request's body and drops it (at most `cap` bytes,
/// within `timeout`), so its answer reaches a client still sending.
pub async fn drain(body: Body, cap: usize, timeout: std::time::Duration) {
    let read = async {
        let mut body = body;
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                seen = seen.saturating_add(data.len());
                if seen > cap {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(timeout, read).await;
}

fn too_large(max: usize) -> Refusal {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the body is larger than {} (--max-body): refused whole",
            bytes(max)
        ),
    )
}

fn refusal(e: BodyError) -> Refusal {
    let status = match &e {
        BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        BodyError::Encoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        BodyError::Malformed(_) => StatusCode::BAD_REQUEST,
    };
    (status, e.to_string())
}

fn internal(message: &str) -> Refusal {
    (StatusCode::INTERNAL_SERVER_ERROR, message.to_string())
}

/// The server log: stderr, one line per event, escaped (it quotes what
/// clients sent).
pub fn log(message: &str) {
    eprintln!("gavel serve: {}", crate::sanitize::escape(message));
}
