//! Bearer-token authentication as OPA's `services.credentials.bearer`
//! sends it (`Authorization: Bearer TOKEN`): the token read from a file or
//! the environment, and a middleware that answers 401 before a request's
//! body is read, so an unauthenticated upload stores nothing.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::routes::error_response;

/// The environment variable holding the token when `--token-file` is not given.
pub const TOKEN_ENV: &str = "GAVEL_SERVE_TOKEN";

/// The shortest token accepted: a guessable token is no lock.
const MIN_TOKEN: usize = 16;

/// Reads the token: the file's first line, else `GAVEL_SERVE_TOKEN`.
/// `Ok(None)` when neither is given.
pub fn load_token(file: Option<&Path>, env: Option<String>) -> Result<Option<String>, String> {
    let (token, from) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--token-file {}: {e}", path.display()))?;
            (
                text.lines().next().unwrap_or("").trim().to_string(),
                format!("--token-file {}", path.display()),
            )
        }
        None => match env {
            Some(t) => (t.trim().to_string(), TOKEN_ENV.to_string()),
            None => return Ok(None),
        },
    };
    check_token(&token).map_err(|e| format!("{from}: {e}"))?;
    Ok(Some(token))
}

/// A token must be long enough and sendable in a header as it is.
fn check_token(token: &str) -> Result<(), String> {
    if token.len() < MIN_TOKEN {
        return Err(format!(
            "the token has {} characters; use at least {MIN_TOKEN} (e.g. `openssl rand -hex 32`)",
            token.len()
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the token must be printable ASCII without spaces".into());
    }
    Ok(())
}

/// Whether an `Authorization` header carries `token` as a bearer token.
/// The scheme is matched without case, as RFC 9110 says; the token is
/// compared in constant time.
pub fn authorized(header: Option<&HeaderValue>, token: &str) -> bool {
    let Some(value) = header.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Some((scheme, given)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && same(given.trim().as_bytes(), token.as_bytes())
}

/// Constant-time equality of two byte strings (the length is not secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the middleware checks, and how much of a refused body it reads.
pub struct Guard {
    /// `None`: every request is let through (`--no-auth`).
    pub token: Option<Arc<str>>,
    pub limits: super::Limits,
}

/// The middleware: with a token, every request must carry it. A refused
/// request's body is read and dropped (bounded) before the 401, so a
/// client still sending reads the answer; nothing of it is kept.
pub async fn require(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if let Some(token) = &guard.token
        && !authorized(request.headers().get(header::AUTHORIZATION), token)
    {
        let why = if request.headers().contains_key(header::AUTHORIZATION) {
            "the bearer token is not the one this server was given"
        } else {
            "no `Authorization: Bearer TOKEN` header (OPA: services.NAME.credentials.bearer.token)"
        };
        super::routes::log(&format!(
            "{} {}: 401 {why}",
            request.method(),
            request.uri().path()
        ));
        let limits = &guard.limits;
        super::routes::drain(request.into_body(), limits.max_body, limits.body_timeout).await;
        let mut response = error_response(StatusCode::UNAUTHORIZED, why).into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"gavel\""),
        );
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_matched_exactly() {
        let t = "0123456789abcdef";
        let h = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(authorized(Some(&h("Bearer 0123456789abcdef")), t));
        assert!(authorized(Some(&h("bearer 0123456789abcdef")), t));
        assert!(!authorized(Some(&h("Bearer 0123456789abcdeF")), t));
        assert!(!authorized(Some(&h("Bearer 0123456789abcde")), t));
        assert!(!authorized(Some(&h("Basic 0123456789abcdef")), t));
        assert!(!authorized(Some(&h("Bearer")), t));
        assert!(!authorized(None, t));
    }

    #[test]
    fn short_or_spaced_tokens_are_refused() {
        assert!(check_token("short").is_err());
        assert!(check_token("0123456789 abcdef").is_err());
        assert!(check_token("0123456789abcdef").is_ok());
        assert_eq!(load_token(None, None), Ok(None));
        assert_eq!(
            load_token(None, Some(" 0123456789abcdef\n".into())),
            Ok(Some("0123456789abcdef".into()))
        );
        let e = load_token(Some(Path::new("/nonexistent/token")), None).unwrap_err();
        assert!(e.contains("--token-file /nonexistent/token"), "{e}");
    }
}
