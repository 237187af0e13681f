//! The grants of unattended runs, with HTTP Basic client authentication and bounded retries:
//! - Genesys Cloud: client credentials, `grant_type=client_credentials`; the answer is
//!   `{access_token, token_type, expires_in}` with no refresh token (reference/genesys.md §1.2);
//! - NICE CXone: the password grant with an access key, `grant_type=password&username=<access key
//!   id>&password=<access key secret>`, both URL-encoded (secrets end in `==`); there is no client
//!   credentials grant for CXone back-end apps (reference/cxone.md §1.1).

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use crate::transport::describe_reqwest_error;

use super::{AuthError, FetchFuture, FetchedToken, TokenFetcher};

/// An unattended grant for one OAuth client at one token endpoint.
pub struct ServiceGrant {
    vendor: &'static str,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    /// `Some((access key id, access key secret))` for the password grant.
    access_key: Option<(String, SecretString)>,
    http: crate::transport::HttpClient,
    hint: &'static str,
}

/// A failure below OAuth: the request did not get a usable HTTP answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    #[error("{0}")]
    Http(String),
    #[error("HTTP {0}")]
    Status(u16),
}

impl TransportError {
    fn is_transient(&self) -> bool {
        match self {
            TransportError::Http(_) => true,
            TransportError::Status(s) => *s == 429 || (*s >= 500 && *s != 501),
        }
    }
}

pub(crate) type GrantError = RequestTokenError<TransportError, oauth2::basic::BasicErrorResponse>;

/// oauth2's HTTP client over reqwest 0.13 (oauth2 5 only ships one for reqwest 0.12): a 429 or
/// 5xx becomes a transport error, so callers can retry it.
pub(crate) struct OAuthHttp(pub(crate) crate::transport::HttpClient);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = TransportError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

impl ServiceGrant {
    /// The client credentials grant against `token_url`. `hint` tells the user what to check when the server refuses
    /// the credentials (which variables hold them, for instance).
    pub fn client_credentials(
        vendor: &'static str,
        token_url: String,
        client_id: String,
        client_secret: SecretString,
        timeout: Duration,
        hint: &'static str,
    ) -> Result<Self, AuthError> {
        let http = crate::transport::build_http_client(timeout).map_err(|reason| {
            AuthError::Unavailable {
                vendor,
                token_url: token_url.clone(),
                reason,
            }
        })?;
        Ok(Self {
            vendor,
            token_url,
            client_id,
            client_secret,
            access_key: None,
            http,
            hint,
        })
    }

    /// The password grant with an access key (CXone) instead of client credentials.
    pub fn with_access_key(
        mut self,
        access_key_id: String,
        access_key_secret: SecretString,
    ) -> Self {
        self.access_key = Some((access_key_id, access_key_secret));
        self
    }

    async fn fetch_once(&self) -> Result<FetchedToken, GrantError> {
        let token_url = TokenUrl::new(self.token_url.clone())
            .map_err(|e| RequestTokenError::Other(format!("invalid token URL: {e}")))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.client_secret.expose_secret().to_string(),
            ))
            .set_token_uri(token_url);
        let http = OAuthHttp(self.http.clone());
        let response = match &self.access_key {
            None => {
                client
                    .exchange_client_credentials()
                    .request_async(&http)
                    .await?
            }
            Some((id, secret)) => {
                let username = oauth2::ResourceOwnerUsername::new(id.clone());
                let password =
                    oauth2::ResourceOwnerPassword::new(secret.expose_secret().to_string());
                client
                    .exchange_password(&username, &password)
                    .request_async(&http)
                    .await?
            }
        };
        Ok(FetchedToken {
            access_token: SecretString::from(response.access_token().secret().to_string()),
            expires_in: response.expires_in(),
        })
    }

    fn to_auth_error(&self, error: GrantError) -> AuthError {
        let vendor = self.vendor;
        let token_url = self.token_url.clone();
        match error {
            RequestTokenError::ServerResponse(resp) => {
                let code = resp.error().as_ref().to_string();
                let hint = match resp.error() {
                    BasicErrorResponseType::InvalidClient
                    | BasicErrorResponseType::UnauthorizedClient => self.hint.to_string(),
                    BasicErrorResponseType::UnsupportedGrantType if self.access_key.is_none() => {
                        "the OAuth client must use the Client Credentials grant type".to_string()
                    }
                    _ => self.hint.to_string(),
                };
                AuthError::Rejected {
                    vendor,
                    token_url,
                    code,
                    description: resp
                        .error_description()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default(),
                    hint,
                }
            }
            RequestTokenError::Request(e) => AuthError::Unavailable {
                vendor,
                token_url,
                reason: e.to_string(),
            },
            RequestTokenError::Parse(e, _body) => AuthError::Malformed {
                vendor,
                token_url,
                reason: format!("at `{}`", e.path()),
            },
            RequestTokenError::Other(reason) => AuthError::Malformed {
                vendor,
                token_url,
                reason,
            },
        }
    }
}

async fn send(
    http: &crate::transport::HttpClient,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let request =
        reqwest::Request::try_from(request).map_err(|e| TransportError::Http(e.to_string()))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| TransportError::Http(describe_reqwest_error(&e)))?;
    let status = response.status();
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(TransportError::Status(status.as_u16()));
    }
    let mut builder = oauth2::http::Response::builder().status(status);
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| TransportError::Http(describe_reqwest_error(&e)))?;
    builder
        .body(body.to_vec())
        .map_err(|e| TransportError::Http(e.to_string()))
}

impl TokenFetcher for ServiceGrant {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let attempt = || self.fetch_once();
            attempt
                .retry(
                    ExponentialBuilder::default()
                        .with_min_delay(Duration::from_millis(500))
                        .with_max_delay(Duration::from_secs(10))
                        .with_max_times(4)
                        .with_jitter(),
                )
                .sleep(tokio::time::sleep)
                .when(|e| matches!(e, RequestTokenError::Request(t) if t.is_transient()))
                .notify(|e, delay| {
                    tracing::warn!(vendor = self.vendor, error = %e_text(e), delay_ms = delay.as_millis() as u64, "Token request failed; retrying.");
                })
                .await
                .map_err(|e| self.to_auth_error(e))
        })
    }
}

fn e_text(e: &GrantError) -> String {
    match e {
        RequestTokenError::Request(t) => t.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use oauth2::TokenResponse;

    #[test]
    fn the_genesys_token_answer_parses() {
        let json = include_str!("../../fixtures/genesys/token.json");
        let token: oauth2::basic::BasicTokenResponse = serde_json::from_str(json).unwrap();
        assert_eq!(
            token.expires_in(),
            Some(std::time::Duration::from_secs(86399))
        );
        assert!(token.refresh_token().is_none());
    }
}
