//! HTTP hardening around the whole app: the Content-Security-Policy with a
//! per-response nonce for the script Leptos writes to start the app, the
//! other protective headers, the Origin check that refuses cross-site
//! state changes, and which address a request counts as coming from.

use crate::error::AppError;
use axum::extract::Request;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use ipnet::IpNet;
use rand::RngCore;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

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

/// The reverse proxies whose `X-Forwarded-For` is believed: environment
/// variable `TRUSTED_PROXIES`, addresses and CIDR blocks separated by
/// commas. Empty (the default), the TCP peer is always the client, so no
/// caller can pick the address its attempts are counted under.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `TRUSTED_PROXIES` entry that is neither an address nor a CIDR block.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither an IP address nor a CIDR block (like 10.0.0.0/8 or 2001:db8::/32)")]
pub struct NotAProxyAddress(String);

impl FromStr for TrustedProxies {
    type Err = NotAProxyAddress;

    /// Reads `10.0.0.1, 192.168.0.0/16, fd00::/8`; spaces and empty entries
    /// are ignored, anything else unreadable is refused.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| {
                        // Addresses are compared in canonical form, where
                        // ::ffff:10.0.0.1 is 10.0.0.1.
                        entry
                            .parse::<IpAddr>()
                            .map(|address| IpNet::from(address.to_canonical()))
                    })
                    .map_err(|_| NotAProxyAddress(entry.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port as some
/// proxies write it (`203.0.113.7:51234`, `[2001:db8::1]:443`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// The client a request counts as coming from, for rate limits.
///
/// A peer that is not a trusted proxy is the client, whatever its
/// `X-Forwarded-For` says: anyone can write that header. From a trusted
/// proxy, the header is read from the right, where each proxy appended the
/// address it was connected from; the first address that is not itself a
/// trusted proxy is the client. Whatever lies left of it was written by the
/// client and is ignored. If the header ends before that, or holds
/// something unreadable, the last proxy reached stands for its clients.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer.to_canonical();
    if !trusted.contains(client) {
        return client;
    }
    let forwarded: Vec<&str> = headers
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    for entry in forwarded.iter().rev().flat_map(|value| value.rsplit(',')) {
        let Some(hop) = forwarded_address(entry) else {
            return client;
        };
        client = hop;
        if !trusted.contains(hop) {
            return hop;
        }
    }
    client
}

/// What attempts from `address` are counted under: an IPv4 address itself,
/// an IPv6 address's /64. One subscriber commonly holds a whole /64 and
/// could otherwise take a fresh address, and a fresh budget, per attempt.
pub fn rate_limit_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(address) => IpAddr::V6(Ipv6Addr::from(u128::from(address) & (u128::MAX << 64))),
        v4 => v4,
    }
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

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn trusted_proxies_read_addresses_and_blocks_and_refuse_anything_else() {
        let proxies: TrustedProxies = " 127.0.0.1, 10.0.0.0/8,,fd00::/8 ,::ffff:192.168.0.1"
            .parse()
            .expect("a valid list");
        for inside in [
            "127.0.0.1",
            "10.200.3.4",
            "fd12::1",
            "192.168.0.1",
            "::ffff:10.1.1.1",
        ] {
            assert!(proxies.contains(ip(inside)), "{inside}");
        }
        for outside in ["127.0.0.2", "11.0.0.1", "fe80::1", "192.168.0.2"] {
            assert!(!proxies.contains(ip(outside)), "{outside}");
        }
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::default()));
        let refused = "10.0.0.1, proxy.internal"
            .parse::<TrustedProxies>()
            .unwrap_err();
        assert!(
            refused.to_string().contains("\"proxy.internal\""),
            "{refused}"
        );
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        let peer = ip("198.51.100.20");
        assert_eq!(
            client_address(peer, &forwarded(&["203.0.113.7"]), &none),
            peer
        );
        let elsewhere: TrustedProxies = "10.0.0.0/8".parse().expect("list");
        assert_eq!(
            client_address(peer, &forwarded(&["10.0.0.1"]), &elsewhere),
            peer
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_address_is_the_client() {
        let proxies: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().expect("list");
        let peer = ip("127.0.0.1");
        let client = |values: &[&str]| client_address(peer, &forwarded(values), &proxies);
        assert_eq!(client(&["203.0.113.7"]), ip("203.0.113.7"));
        // The client wrote the left part itself; proxies appended the rest.
        assert_eq!(
            client(&["1.2.3.4, 203.0.113.7, 10.0.0.5"]),
            ip("203.0.113.7")
        );
        assert_eq!(
            client(&["1.2.3.4", "203.0.113.7:5123", "10.0.0.5"]),
            ip("203.0.113.7")
        );
        assert_eq!(client(&["[2001:db8::9]:443"]), ip("2001:db8::9"));
        // No header, or only proxies: the last proxy reached.
        assert_eq!(client(&[]), peer);
        assert_eq!(client(&["10.0.0.9, 10.0.0.5"]), ip("10.0.0.9"));
        // Something unreadable: the proxy that passed it on.
        assert_eq!(client(&["203.0.113.7, garbage, 10.0.0.5"]), ip("10.0.0.5"));
        assert_eq!(client(&["garbage"]), peer);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_ipv4_per_address() {
        assert_eq!(
            rate_limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            rate_limit_key(ip("2001:db8:1:2::1")),
            rate_limit_key(ip("2001:db8:1:2:ffff::1"))
        );
        assert_ne!(
            rate_limit_key(ip("2001:db8:1:2::1")),
            rate_limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(rate_limit_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(rate_limit_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }
}
