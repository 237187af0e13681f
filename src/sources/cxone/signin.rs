//! Signing in to CXone (reference/cxone.md §1): the token endpoint comes from
//! `/.well-known/openid-configuration`; the password grant with an API user's access key gives a
//! one-hour token; the tenant id in the token's claims leads to the tenant's API base in
//! `/.well-known/cxone-configuration?tenantId=` (looked up once per run).

use std::time::Duration;

use base64::Engine;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::auth::{AuthError, FetchFuture, ServiceGrant, TokenCache, TokenFetcher};

pub(super) const HINT: &str = "check the access key id and secret (the variables or files named in ccetl.toml; secrets end in '=' and are sent URL-encoded), the app's client id and secret, and that the access key's user has reporting permissions";

#[derive(Deserialize)]
struct OpenIdConfiguration {
    token_endpoint: String,
}

#[derive(Deserialize)]
struct CxoneConfiguration {
    api_endpoint: String,
}

fn unavailable(url: &str, reason: impl std::fmt::Display) -> AuthError {
    AuthError::Unavailable {
        vendor: "CXone",
        token_url: url.to_string(),
        reason: reason.to_string(),
    }
}

async fn get_document<T: serde::de::DeserializeOwned>(
    http: &crate::transport::HttpClient,
    url: Url,
) -> Result<T, AuthError> {
    let response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| unavailable(url.as_str(), crate::transport::describe_reqwest_error(&e)))?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        let why = response
            .headers()
            .get("icStatusDescription")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return Err(unavailable(url.as_str(), format!("HTTP {status} {why}")));
    }
    response.json().await.map_err(|e| AuthError::Malformed {
        vendor: "CXone",
        token_url: url.to_string(),
        reason: e.to_string(),
    })
}

/// The access-key grant, with its token endpoint discovered on first use.
pub(super) struct AccessKeyGrant {
    pub(super) discovery: Url,
    pub(super) client_id: String,
    pub(super) client_secret: SecretString,
    pub(super) access_key_id: String,
    pub(super) access_key_secret: SecretString,
    pub(super) timeout: Duration,
    pub(super) grant: OnceCell<ServiceGrant>,
}

impl TokenFetcher for AccessKeyGrant {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let grant = self
                .grant
                .get_or_try_init(|| async {
                    let http = crate::transport::build_http_client(self.timeout)
                        .map_err(|e| unavailable(self.discovery.as_str(), e))?;
                    let url = self
                        .discovery
                        .join(".well-known/openid-configuration")
                        .map_err(|e| unavailable(self.discovery.as_str(), e))?;
                    let config: OpenIdConfiguration = get_document(&http, url).await?;
                    Ok::<_, AuthError>(
                        ServiceGrant::client_credentials(
                            "CXone",
                            config.token_endpoint,
                            self.client_id.clone(),
                            self.client_secret.clone(),
                            self.timeout,
                            HINT,
                        )?
                        .with_access_key(
                            self.access_key_id.clone(),
                            self.access_key_secret.clone(),
                        ),
                    )
                })
                .await?;
            grant.fetch().await
        })
    }
}

/// One interval's report rows: (start, end, rows).
/// The `tenantId` claim of a JWT access token.
pub fn tenant_id(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("tenantId")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The tenant's API base: the `tenantId` claim of a fresh token, then `cxone-configuration`.
pub(super) async fn discover_api_base(
    tokens: &TokenCache,
    discovery_base: &Url,
    timeout: Duration,
) -> Result<Url, AuthError> {
    let token = tokens.get().await?;
    let malformed = |reason: String| AuthError::Malformed {
        vendor: "CXone",
        token_url: discovery_base.to_string(),
        reason,
    };
    let tenant = tenant_id(token.secret().expose_secret()).ok_or_else(|| {
        malformed("the access token carries no tenantId claim; set api_url in the [cxone.<tenant>] section".into())
    })?;
    let http = crate::transport::build_http_client(timeout)
        .map_err(|e| unavailable(discovery_base.as_str(), e))?;
    let mut url = discovery_base
        .join(".well-known/cxone-configuration")
        .map_err(|e| unavailable(discovery_base.as_str(), e))?;
    url.query_pairs_mut().append_pair("tenantId", &tenant);
    let config: CxoneConfiguration = get_document(&http, url).await?;
    crate::transport::parse_base_url(&config.api_endpoint)
        .map_err(|e| malformed(format!("cxone-configuration api_endpoint: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_id_comes_from_the_token_claims() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"tenantId":"11eb660f","icBUId":4599570}"#);
        assert_eq!(
            tenant_id(&format!("eyJhbGciOiJSUzI1NiJ9.{claims}.sig")),
            Some("11eb660f".into())
        );
        assert_eq!(tenant_id("opaque-token"), None);
    }
}
