//! HTTP hardening around the whole app: the Content-Security-Policy with a
//! per-response nonce for the script Leptos writes to start the app, the
//! other protective headers, and the Origin check that refuses cross-site
//! state changes.

use crate::error::AppError;
use axum::extract::Request;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::RngCore;

/// The nonce of one response, put in the request's extensions for the
/// renderer to stamp on the scripts it writes.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn generate() -> Self {
        let mut bytes = [0_u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// The policy: the app's own files, its one inline bootstrap script by
/// nonce, WASM compilation, nothing from elsewhere, and no framing.
fn content_security_policy(nonce: &str, development: bool) -> String {
    // cargo-leptos' live reload talks over a websocket in development only.
    let connect = if development { "'self' ws:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src {connect}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the security headers to every response, errors included.
pub async fn security_headers(
    development: bool,
    served_over_tls: bool,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::generate();
    let policy = content_security_policy(&nonce.0, development);
    request.extensions_mut().insert(nonce);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if served_over_tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Whether a request that changes state may come from where it says.
///
/// Browsers send `Origin` on every cross-site POST, so a mismatch with the
/// host the request was sent to is a forged request and is refused. A
/// request without `Origin` is from a non-browser client (or a very old
/// browser) unless `Sec-Fetch-Site` says it is cross-site; the session
/// cookie's SameSite=Lax covers what remains.
pub fn origin_allowed(
    method: &Method,
    origin: Option<&str>,
    host: Option<&str>,
    fetch_site: Option<&str>,
) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    match origin {
        Some(origin) => {
            let authority = origin.parse::<axum::http::Uri>().ok().and_then(|uri| {
                uri.authority()
                    .map(|authority| authority.as_str().to_owned())
            });
            matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host))
        }
        None => !matches!(fetch_site, Some("cross-site" | "same-site")),
    }
}

fn request_origin_allowed(request: &Request) -> bool {
    let header_text = |name: HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let host = header_text(header::HOST).or_else(|| request.uri().authority().map(|a| a.as_str()));
    origin_allowed(
        request.method(),
        header_text(header::ORIGIN),
        host,
        header_text(HeaderName::from_static("sec-fetch-site")),
    )
}

/// Refuses state-changing requests from other origins with 403.
pub async fn check_origin(request: Request, next: Next) -> Response {
    if !request_origin_allowed(&request) {
        let error = AppError::Forbidden("requests from another site are refused".into());
        let body = serde_json::to_string(&error).unwrap_or_default();
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_and_non_browser_writes_pass_cross_site_ones_do_not() {
        let post = Method::POST;
        let host = Some("crm.example.com");
        assert!(origin_allowed(
            &post,
            Some("https://crm.example.com"),
            host,
            None
        ));
        assert!(origin_allowed(
            &post,
            Some("http://CRM.example.com"),
            host,
            None
        ));
        assert!(!origin_allowed(
            &post,
            Some("https://evil.example"),
            host,
            None
        ));
        assert!(!origin_allowed(
            &post,
            Some("https://crm.example.com.evil.example"),
            host,
            None
        ));
        assert!(!origin_allowed(&post, Some("null"), host, None));
        assert!(!origin_allowed(
            &post,
            Some("https://crm.example.com:8443"),
            host,
            None
        ));
        assert!(origin_allowed(&post, None, host, None));
        assert!(origin_allowed(&post, None, host, Some("same-origin")));
        assert!(!origin_allowed(&post, None, host, Some("cross-site")));
        assert!(origin_allowed(
            &Method::GET,
            Some("https://evil.example"),
            host,
            None
        ));
    }

    #[test]
    fn the_policy_allows_only_the_nonce_inline_and_no_framing() {
        let policy = content_security_policy("abc", false);
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!policy.contains("ws:"));
    }
}
