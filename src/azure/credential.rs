//! Credentials: which identity baton uses to talk to ARM ([`CredentialChoice`]) and how it is
//! built ([`create_credential`]). Every credential is wrapped so that a failure to get a token
//! surfaces as [`ArmError::Credential`] naming the credential and the reason. It must never
//! print, log or `Debug` a token.

use crate::azure::error::{chain_text, ArmError, CredentialFailure};
use async_trait::async_trait;
use azure_core::auth::{AccessToken, Secret, TokenCredential};
use azure_identity::TokenCredentialOptions;
use std::sync::Arc;

/// Which identity to use.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialChoice {
    /// `azure_identity::create_credential()`: honours `AZURE_CREDENTIAL_KIND`, else the default
    /// chain (environment, App Service, VM managed identity, Azure CLI).
    Default,
    /// The Azure CLI's login (`az account get-access-token`).
    Cli,
    /// The VM's system-assigned managed identity (IMDS).
    ManagedIdentity,
    /// A service principal or workload identity from `AZURE_*` environment variables.
    Environment,
    /// A fixed bearer token (the emulator; tests). Never printed.
    StaticToken(String),
}

impl std::fmt::Debug for CredentialChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialChoice::StaticToken(_) => f.write_str("StaticToken(<redacted>)"),
            other => f.write_str(other.kind()),
        }
    }
}

impl CredentialChoice {
    /// Short name used in errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialChoice::Default => "default",
            CredentialChoice::Cli => "azure-cli",
            CredentialChoice::ManagedIdentity => "managed-identity",
            CredentialChoice::Environment => "environment",
            CredentialChoice::StaticToken(_) => "static-token",
        }
    }
}

/// Builds the chosen credential, wrapped so token failures name the credential.
pub fn create_credential(choice: &CredentialChoice) -> Result<Arc<dyn TokenCredential>, ArmError> {
    let kind = choice.kind();
    let fail = |e: azure_core::Error| ArmError::Credential {
        kind: kind.to_owned(),
        reason: chain_text(&e),
    };
    let inner: Arc<dyn TokenCredential> = match choice {
        CredentialChoice::Default => azure_identity::create_credential().map_err(fail)?,
        CredentialChoice::Cli => Arc::new(azure_identity::AzureCliCredential::new()),
        CredentialChoice::ManagedIdentity => Arc::new(
            azure_identity::VirtualMachineManagedIdentityCredential::new(
                TokenCredentialOptions::default(),
            ),
        ),
        CredentialChoice::Environment => Arc::new(
            azure_identity::EnvironmentCredential::create(TokenCredentialOptions::default())
                .map_err(fail)?,
        ),
        CredentialChoice::StaticToken(token) => {
            // A token with a line break would end up as a broken Authorization header at the
            // first request; refuse it here, without quoting it.
            if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ArmError::Credential {
                    kind: kind.to_owned(),
                    reason: "the token is empty or contains spaces, line breaks or control \
                             characters"
                        .to_owned(),
                });
            }
            Arc::new(StaticTokenCredential::new(token))
        }
    };
    Ok(Arc::new(NamedCredential { kind, inner }))
}

/// A credential returning one fixed token (valid for a day from each request).
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: Secret,
}

impl StaticTokenCredential {
    /// Wraps a fixed token.
    pub fn new(token: &str) -> Self {
        StaticTokenCredential {
            token: Secret::new(token.to_owned()),
        }
    }
}

impl std::fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticTokenCredential(<redacted>)")
    }
}

#[async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(&self, _scopes: &[&str]) -> azure_core::Result<AccessToken> {
        let expires = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        Ok(AccessToken::new(self.token.clone(), expires))
    }

    async fn clear_cache(&self) -> azure_core::Result<()> {
        Ok(())
    }
}

/// Wraps any credential so its errors carry a [`CredentialFailure`] naming it.
#[derive(Debug)]
struct NamedCredential {
    kind: &'static str,
    inner: Arc<dyn TokenCredential>,
}

#[async_trait]
impl TokenCredential for NamedCredential {
    async fn get_token(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
        self.inner.get_token(scopes).await.map_err(|e| {
            let failure = CredentialFailure {
                kind: self.kind.to_owned(),
                reason: chain_text(&e),
            };
            azure_core::Error::new(azure_core::error::ErrorKind::Credential, failure)
        })
    }

    async fn clear_cache(&self) -> azure_core::Result<()> {
        self.inner.clear_cache().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_tokens() {
        let c = CredentialChoice::StaticToken("s3cr3t".into());
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let cred = StaticTokenCredential::new("s3cr3t");
        assert!(!format!("{cred:?}").contains("s3cr3t"));
        let built = create_credential(&c).unwrap();
        assert!(!format!("{built:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn static_token_is_returned() {
        let built = create_credential(&CredentialChoice::StaticToken("tok".into())).unwrap();
        let t = built.get_token(&["x/.default"]).await.unwrap();
        assert_eq!(t.token.secret(), "tok");
    }

    #[test]
    fn a_static_token_that_is_not_one_word_is_refused_unquoted() {
        for bad in ["", "a b", "tok\n", "\ttok", "t\u{7}"] {
            let err =
                create_credential(&CredentialChoice::StaticToken(bad.into())).expect_err("refused");
            let text = err.to_string();
            assert!(text.contains("static-token"), "{text}");
            assert!(bad.is_empty() || !text.contains(bad), "{text}");
        }
    }

    #[derive(Debug)]
    struct Broken;

    #[async_trait]
    impl TokenCredential for Broken {
        async fn get_token(&self, _: &[&str]) -> azure_core::Result<AccessToken> {
            Err(azure_core::Error::message(
                azure_core::error::ErrorKind::Other,
                "az: command not found",
            ))
        }
        async fn clear_cache(&self) -> azure_core::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn failures_name_the_credential() {
        let named = NamedCredential {
            kind: "azure-cli",
            inner: Arc::new(Broken),
        };
        let err = named.get_token(&["s"]).await.unwrap_err();
        let arm = ArmError::from_azure(&err, "GET", "u");
        assert_eq!(
            arm,
            ArmError::Credential {
                kind: "azure-cli".into(),
                reason: "az: command not found".into()
            }
        );
    }
}
