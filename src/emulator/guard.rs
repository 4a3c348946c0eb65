//! The control API's gate (`/_emulator/*` and the `/_vm/*` heartbeats): it has no token, so it
//! answers only requests addressed to a loopback `Host` (a web page that rebinds its own name
//! to 127.0.0.1 still sends its own name), and its mutating routes only `application/json`
//! bodies (a browser cannot send those cross-origin without a CORS preflight, which the
//! emulator never grants). ARM routes are not gated: they check bearer tokens like Azure does.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::net::IpAddr;

/// Refuses a control request that is not loopback-addressed JSON (see the module doc).
pub(crate) async fn control_gate(req: Request, next: Next) -> Response {
    if !host_is_loopback(req.headers()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "the control API answers only requests whose Host is localhost, 127.0.0.0/8 or [::1]",
        );
    }
    if is_mutating(req.method()) && !is_json(req.headers()) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "control requests that change the emulator need Content-Type: application/json",
        );
    }
    next.run(req).await
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn is_mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn host_is_loopback(headers: &HeaderMap) -> bool {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_loopback_authority)
}

/// `localhost`, a loopback IPv4 address or `[::1]`, with or without a port.
pub(crate) fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_authority;

    #[test]
    fn only_loopback_names_and_addresses_pass() {
        for ok in [
            "127.0.0.1:8780",
            "127.1.2.3",
            "localhost",
            "LOCALHOST:1",
            "[::1]:8780",
            "[::1]",
        ] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for bad in [
            "evil.example:8780",
            "localhost.evil.example",
            "0.0.0.0:8780",
            "10.0.0.5",
            "[::]:1",
            "[fe80::1]",
            "",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }
}
