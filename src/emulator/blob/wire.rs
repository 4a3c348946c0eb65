//! Blob Storage on the wire: the parsed request, the answer, and Azure's XML error body
//! (`<Error><Code>…</Code><Message>…RequestId:…Time:…</Message></Error>` plus
//! `x-ms-error-code`).
//!
//! Only shapes requests and answers; what to answer is decided in `ops`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};

/// The service version the emulator answers with (what the Rust SDK 0.21 sends).
pub(crate) const VERSION: &str = "2022-11-02";

/// One storage request, read whole.
#[derive(Debug)]
pub(crate) struct BlobReq {
    pub method: String,
    /// The raw (percent-encoded) path, as signed.
    pub path: String,
    pub path_q: String,
    /// Decoded path segments: account, container, then the blob name's parts.
    pub segs: Vec<String>,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl BlobReq {
    /// A query parameter (case-insensitive name).
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// A header as text.
    pub fn h(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True for GET and HEAD.
    pub fn is_read(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }

    /// `x-ms-meta-*` headers, names lower-cased as Azure stores them.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .headers
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str().strip_prefix("x-ms-meta-")?;
                Some((name.to_string(), v.to_str().ok()?.to_string()))
            })
            .collect();
        out.sort();
        out
    }
}

/// A storage answer before the pipeline adds the request id, version and date.
#[derive(Debug)]
pub(crate) struct StorageReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// HEAD answers carry the length of the body they do not send.
    pub head_length: Option<usize>,
}

impl StorageReply {
    /// An answer with no body.
    pub fn empty(status: u16) -> Self {
        StorageReply {
            status,
            headers: vec![],
            body: vec![],
            head_length: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// A storage error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StorageError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl StorageError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &str, message: &str) -> Self {
        StorageError {
            status,
            code: code.to_string(),
            message: message.to_string(),
            retry_after: None,
        }
    }

    /// 400 InvalidHeaderValue naming the header.
    pub fn invalid_header(name: &str) -> Self {
        StorageError::new(
            400,
            "InvalidHeaderValue",
            &format!("The value for one of the HTTP headers is not in the correct format. HeaderName: {name}"),
        )
    }

    /// 400 MissingRequiredHeader naming the header.
    pub fn missing_header(name: &str) -> Self {
        StorageError::new(
            400,
            "MissingRequiredHeader",
            &format!("An HTTP header that's mandatory for this request is not specified. HeaderName: {name}"),
        )
    }

    /// The answer, with the request id and time in the message as Azure writes them.
    pub fn into_reply(self, request_id: &str, time: &str) -> StorageReply {
        let body = format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code><Message>{}\nRequestId:{}\nTime:{}</Message></Error>",
            xml_escape(&self.code),
            xml_escape(&self.message),
            request_id,
            time
        );
        let mut reply = StorageReply {
            status: self.status,
            headers: vec![
                ("x-ms-error-code".to_string(), self.code.clone()),
                ("content-type".to_string(), "application/xml".to_string()),
            ],
            body: body.into_bytes(),
            head_length: None,
        };
        if let Some(s) = self.retry_after {
            reply
                .headers
                .push(("retry-after".to_string(), s.to_string()));
        }
        reply
    }
}

/// Escapes text for an XML element.
pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Turns a reply into an HTTP response.
pub(crate) fn to_response(reply: StorageReply, is_head: bool) -> Response<Body> {
    let length = reply.head_length.unwrap_or(reply.body.len());
    let body = if is_head {
        Body::empty()
    } else {
        Body::from(reply.body)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&length.to_string()) {
        headers.insert("content-length", v);
    }
    for (name, value) in reply.headers {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    resp
}
