//! Bearer-token checks: which token may read, which may write, and the ARM 401/403 answers.
//!
//! Knows nothing about resources; it only maps a token and a method to allow or an error.

use super::reply::ArmError;
use super::scenario::Tokens;

/// Who a request acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Principal {
    /// May read and write.
    Contributor,
    /// May only read.
    Reader,
}

/// Check the `Authorization` header of a request.
pub(crate) fn check(
    tokens: &Tokens,
    authorization: Option<&str>,
    is_read: bool,
    sub: &str,
    path: &str,
    method: &str,
) -> Result<Principal, ArmError> {
    let Some(header) = authorization else {
        return Err(ArmError::new(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
        .www_authenticate());
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    let principal = if token == tokens.contributor {
        Principal::Contributor
    } else if token == tokens.reader {
        Principal::Reader
    } else if token == "expired" {
        return Err(ArmError::new(
            401,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        )
        .www_authenticate());
    } else if token.is_empty() {
        return Err(ArmError::new(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing or malformed.",
        )
        .www_authenticate());
    } else {
        return Err(ArmError::new(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
        .www_authenticate());
    };
    if principal == Principal::Reader && !is_read {
        let action = path.trim_start_matches('/');
        return Err(ArmError::new(
            403,
            "AuthorizationFailed",
            format!(
                "The client 'baton-reader' with object id '00000000-0000-0000-0000-00000000beef' does not have authorization to perform action '{method} {action}' over scope '/subscriptions/{sub}' or the scope is invalid. If access was recently granted, please refresh your credentials."
            ),
        ));
    }
    Ok(principal)
}

impl ArmError {
    fn www_authenticate(mut self) -> Self {
        self.headers.push((
            "www-authenticate",
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"".to_string(),
        ));
        self
    }
}
