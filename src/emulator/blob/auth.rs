//! Who may call the emulated storage account: Shared Key signatures checked as Azure checks
//! them (403 AuthenticationFailed on a bad one), and the emulator's bearer tokens (the
//! contributor token writes, the reader token only reads).
//!
//! Knows nothing of containers or blobs; it maps the `Authorization` header to allow or an error.

use azure_core::auth::Secret;

use super::wire::{BlobReq, StorageError};
use super::{ACCOUNT, ACCOUNT_KEY};
use crate::emulator::scenario::Tokens;

/// Checks the request's `Authorization` header.
pub(crate) fn check(req: &BlobReq, tokens: &Tokens) -> Result<(), StorageError> {
    let Some(header) = req.h("authorization") else {
        return Err(StorageError::new(
            401,
            "NoAuthenticationInformation",
            "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
        ));
    };
    if let Some(rest) = header.strip_prefix("SharedKey ") {
        return shared_key(req, rest);
    }
    if let Some(token) = header.strip_prefix("Bearer ") {
        return bearer(req, token.trim(), tokens);
    }
    Err(failed("The Authorization header is malformed."))
}

fn shared_key(req: &BlobReq, given: &str) -> Result<(), StorageError> {
    let Some((account, signature)) = given.split_once(':') else {
        return Err(failed("The Authorization header is malformed."));
    };
    if account != ACCOUNT {
        return Err(failed(&format!(
            "Issuer account '{account}' is not the account of this request."
        )));
    }
    if req.h("x-ms-date").or_else(|| req.h("date")).is_none() {
        return Err(failed("Request date header not specified."));
    }
    // Path-style URLs carry the account in the path; the SDK signs it twice
    // (`/account/account/container/blob`) and other clients once, as Azurite accepts both.
    let with_account = string_to_sign(req, &req.path);
    let bare = req
        .path
        .strip_prefix(&format!("/{ACCOUNT}"))
        .unwrap_or(&req.path);
    let without = string_to_sign(req, bare);
    let key = Secret::new(ACCOUNT_KEY);
    for candidate in [with_account, without] {
        if azure_core::hmac::hmac_sha256(&candidate, &key).is_ok_and(|s| s == signature) {
            return Ok(());
        }
    }
    Err(failed(
        "The MAC signature found in the HTTP request is not the same as any computed signature.",
    ))
}

fn bearer(req: &BlobReq, token: &str, tokens: &Tokens) -> Result<(), StorageError> {
    let contributor = token == tokens.contributor;
    if !contributor && token != tokens.reader {
        return Err(StorageError::new(
            401,
            "InvalidAuthenticationInfo",
            "Authentication information is not given in the correct format. Check the value of Authorization header.",
        ));
    }
    if !contributor && !req.is_read() {
        return Err(StorageError::new(
            403,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        ));
    }
    Ok(())
}

fn failed(detail: &str) -> StorageError {
    StorageError::new(
        403,
        "AuthenticationFailed",
        &format!("Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. {detail}"),
    )
}

/// Azure's Shared Key string to sign (blob service, version 2009-09-19 and later).
fn string_to_sign(req: &BlobReq, resource_path: &str) -> String {
    let h = |name: &str| req.h(name).unwrap_or("").to_string();
    let length = h("content-length");
    let length = if length == "0" { String::new() } else { length };
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}{}",
        req.method,
        h("content-encoding"),
        h("content-language"),
        length,
        h("content-md5"),
        h("content-type"),
        h("date"),
        h("if-modified-since"),
        h("if-match"),
        h("if-none-match"),
        h("if-unmodified-since"),
        h("range"),
        canonical_headers(req),
        canonical_resource(req, resource_path),
    )
}

fn canonical_headers(req: &BlobReq) -> String {
    let mut names: Vec<&str> = req
        .headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-ms-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|n| format!("{n}:{}\n", req.h(n).unwrap_or("").trim()))
        .collect()
}

fn canonical_resource(req: &BlobReq, path: &str) -> String {
    let mut out = format!("/{ACCOUNT}{path}");
    let mut names: Vec<String> = req.query.iter().map(|(k, _)| k.to_lowercase()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let mut values: Vec<&str> = req
            .query
            .iter()
            .filter(|(k, _)| k.to_lowercase() == name)
            .map(|(_, v)| v.as_str())
            .collect();
        values.sort_unstable();
        out.push_str(&format!("\n{name}:{}", values.join(",")));
    }
    out
}
