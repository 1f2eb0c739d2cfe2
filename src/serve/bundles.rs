//! `GET /bundles/{name}`: the bundle service OPA's bundle plugin polls. It
//! answers with the latest certified version of NAME as the signed bundle
//! `gavel bundle export` writes (bundle/export.rs), with an `ETag` that
//! changes only when the bundle's content, certification or key does, and
//! `304 Not Modified` when OPA already holds it (`If-None-Match`). A name
//! with no certified version is 404: OPA keeps what it has.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::routes::{Shared, error_response};
use crate::bundle::export::{ExportOptions, export_bundle, latest_certified};
use crate::bundle::signing::BundleSigner;
use crate::certify::Settings;
use crate::error::Error;
use crate::store::Store;

/// What the bundle route needs: the store, the certification settings that
/// say what is certified, and the key that signs (`None`: unsigned, as the
/// operator asked with `--unsigned-bundles`).
#[derive(Debug)]
pub struct BundleService {
    pub db: PathBuf,
    pub settings: Settings,
    pub signer: Option<BundleSigner>,
}

pub async fn get_bundle(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let Some(service) = shared.bundles.clone() else {
        return error_response(
            StatusCode::NOT_FOUND,
            "this server serves no bundles: start it with --bundle-signing-key FILE (or --unsigned-bundles)",
        )
        .into_response();
    };
    let held = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let lookup = name.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let store = Store::open_read_only(&service.db)?;
        let Some(v) = latest_certified(&store, &service.settings, &lookup)? else {
            return Ok(None);
        };
        export_bundle(
            &store,
            &v.name,
            &v.version,
            &ExportOptions {
                settings: &service.settings,
                signer: service.signer.as_ref(),
                allow_uncertified: false,
                issued_at: chrono::Utc::now().timestamp(),
            },
        )
        .map(Some)
    })
    .await;
    let bundle = match answer {
        Ok(Ok(Some(b))) => b,
        Ok(Ok(None)) => {
            return error_response(
                StatusCode::NOT_FOUND,
                &format!("no certified version of {}", crate::sanitize::escape(&name)),
            )
            .into_response();
        }
        Ok(Err(e)) => {
            let status = match e {
                Error::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            super::routes::log(&format!(
                "GET /bundles/{}: {e}",
                crate::sanitize::escape(&name)
            ));
            return error_response(status, &e.to_string()).into_response();
        }
        Err(_) => {
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, "the export stopped")
                .into_response();
        }
    };
    let etag = format!("\"{}\"", bundle.digest);
    let Ok(etag_value) = HeaderValue::from_str(&etag) else {
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "unprintable digest")
            .into_response();
    };
    let fresh = held.is_some_and(|h| h.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(bundle.bytes));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/gzip"),
        );
        r
    };
    response.headers_mut().insert(header::ETAG, etag_value);
    response
}
