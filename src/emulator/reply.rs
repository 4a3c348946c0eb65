//! ARM answers: a status, an optional JSON body and headers, or an ARM error
//! (`{error:{code,message,details?}}` plus `x-ms-error-code`).
//!
//! Only shapes answers; deciding what to answer belongs to the routes.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

/// A successful (or 202) ARM answer before the pipeline adds request ids and throttle headers.
#[derive(Debug)]
pub(crate) struct ArmReply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl ArmReply {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        ArmReply {
            status: 200,
            body: Some(body),
            headers: vec![],
        }
    }

    /// An answer with the given status and no body.
    pub fn empty(status: u16) -> Self {
        ArmReply {
            status,
            body: None,
            headers: vec![],
        }
    }

    /// Add a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// An ARM error answer (boxed: errors are rare and results stay small).
#[derive(Debug, Clone)]
pub(crate) struct ArmError(Box<ArmErrorInner>);

impl std::ops::Deref for ArmError {
    type Target = ArmErrorInner;
    fn deref(&self) -> &ArmErrorInner {
        &self.0
    }
}

impl std::ops::DerefMut for ArmError {
    fn deref_mut(&mut self) -> &mut ArmErrorInner {
        &mut self.0
    }
}

/// The fields of an [`ArmError`].
#[derive(Debug, Clone)]
pub(crate) struct ArmErrorInner {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<(String, String)>,
    pub retry_after: Option<u64>,
    pub headers: Vec<(&'static str, String)>,
}

impl ArmError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ArmError(Box::new(ArmErrorInner {
            status,
            code: code.to_string(),
            message: message.into(),
            target: None,
            details: vec![],
            retry_after: None,
            headers: vec![],
        }))
    }

    /// Set `error.target`.
    pub fn target(mut self, target: &str) -> Self {
        self.target = Some(target.to_string());
        self
    }

    /// Add an entry to `error.details`.
    pub fn detail(mut self, code: &str, message: &str) -> Self {
        self.details.push((code.to_string(), message.to_string()));
        self
    }

    /// Set Retry-After (only for 429 and 503).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 404 ResourceGroupNotFound.
    pub fn group_not_found(rg: &str) -> Self {
        ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        )
    }

    /// 404 ResourceNotFound for `{provider}/{type}/{name}`.
    pub fn not_found(kind: &str, name: &str, rg: &str) -> Self {
        ArmError::new(
            404,
            "ResourceNotFound",
            format!(
                "The Resource '{kind}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    /// 400 InvalidRequestContent for a body that is not what the API expects.
    pub fn bad_body(why: &str) -> Self {
        ArmError::new(
            400,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {why}"),
        )
    }

    /// The JSON body `{error:{..}}`.
    pub fn body(&self) -> Value {
        let mut err = json!({"code": self.code, "message": self.message});
        if let Some(t) = &self.target {
            err["target"] = json!(t);
        }
        if !self.details.is_empty() {
            err["details"] = self
                .details
                .iter()
                .map(|(c, m)| json!({"code": c, "message": m}))
                .collect();
        }
        json!({ "error": err })
    }

    /// As a reply (for the Location monitor of a failed operation).
    pub fn into_reply(self) -> ArmReply {
        let mut reply = ArmReply {
            status: self.status,
            body: Some(self.body()),
            headers: self.headers.clone(),
        };
        reply.headers.push(("x-ms-error-code", self.code.clone()));
        if let Some(s) = self.retry_after {
            reply.headers.push(("retry-after", s.to_string()));
        }
        reply
    }
}

/// Turn a reply into an HTTP response.
pub(crate) fn to_response(reply: ArmReply) -> Response<Body> {
    let body = match &reply.body {
        Some(v) => Body::from(v.to_string()),
        None => Body::empty(),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    if reply.body.is_some() {
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    } else {
        headers.insert("content-length", HeaderValue::from_static("0"));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(name, v);
        }
    }
    resp
}
