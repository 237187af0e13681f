//! Connections: a provider preset (or explicit URLs), a client, a redirect URI and scopes, and the
//! user-context flows on top of them — `ccetl auth login` (authorization code with PKCE and a
//! random `state`, caught by a loopback listener or pasted by the user), refresh with rotation,
//! and client credentials through the same commands. Tokens go to the [`TokenStore`].

use std::time::Duration;

use chrono::Utc;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::service_grant::{GrantError, OAuthHttp};
use super::store::{StoreError, StoredToken, TokenStore};
use super::{AuthError, FetchFuture, FetchedToken, TokenFetcher, renewal_margin};

/// Which grant a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Authorization code (+ PKCE where supported) with refresh tokens: user context.
    AuthorizationCode,
    /// Client credentials: no user, no refresh token.
    ClientCredentials,
}

impl Grant {
    /// The config and store name.
    pub fn name(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

/// A resolved connection.
#[derive(Clone)]
pub struct Connection {
    /// Its name in `ccetl.toml`.
    pub name: String,
    /// Preset name, or `custom`.
    pub provider: String,
    /// Authorize endpoint (authorization code only).
    pub authorize_url: Option<String>,
    /// Token endpoint.
    pub token_url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret (absent for public PKCE clients).
    pub client_secret: Option<SecretString>,
    /// Registered redirect URI.
    pub redirect_uri: Option<Url>,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// Whether to use PKCE (S256).
    pub pkce: bool,
    /// Extra authorize parameters (e.g. Google's `access_type=offline`).
    pub authorize_params: Vec<(String, String)>,
    /// The grant.
    pub grant: Grant,
}

/// How `login` receives the redirect.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Read the redirected URL from standard input instead of listening on loopback.
    pub paste: bool,
    /// Try to open a browser.
    pub open_browser: bool,
    /// Give up after this long.
    pub timeout: Duration,
}

/// Maps an OAuth error code to what the user should fix.
pub fn explain(connection: &str, code: &str, description: Option<&str>) -> String {
    let d = description.unwrap_or("").to_string();
    let dl = d.to_ascii_lowercase();
    let said = if d.is_empty() {
        String::new()
    } else {
        format!(" (the provider said: {d})")
    };
    let fix = if code == "redirect_uri_mismatch" || dl.contains("redirect") {
        format!(
            "the redirect URI must match the app's registration exactly — scheme, host, port, path and trailing slash: check `redirect_uri` of connection {connection}"
        )
    } else {
        match code {
            "invalid_client" | "unauthorized_client" => format!(
                "the provider does not accept the client (wrong client id or secret, an inactive app, or a grant the app may not use): check client_id/client_secret of connection {connection}"
            ),
            "invalid_scope" => format!(
                "a scope is missing, misspelt or not granted to the app: check `scopes` of connection {connection}"
            ),
            "invalid_grant" if dl.contains("refresh") => {
                format!(
                    "the refresh token has expired or was revoked: run `ccetl auth login {connection}` again"
                )
            }
            "invalid_grant" if dl.contains("verifier") || dl.contains("pkce") => {
                format!(
                    "the PKCE verifier did not match the challenge (a login from another attempt?): run `ccetl auth login {connection}` again"
                )
            }
            "invalid_grant" => format!(
                "the authorization code is invalid, expired or was already used: run `ccetl auth login {connection}` again and use the newest URL"
            ),
            "access_denied" => format!(
                "consent was denied at the provider: run `ccetl auth login {connection}` again and approve, or ask an administrator to grant consent"
            ),
            "unsupported_grant_type" => format!(
                "the app may not use this grant: enable it in the app's registration (connection {connection})"
            ),
            other => format!("the provider refused with `{other}`: check connection {connection}"),
        }
    };
    format!("{code}{said}: {fix}")
}

fn login_error(connection: &str, message: String) -> AuthError {
    AuthError::Login {
        connection: connection.to_string(),
        message,
    }
}

impl Connection {
    fn http(&self) -> Result<OAuthHttp, AuthError> {
        crate::transport::build_http_client(Duration::from_secs(60))
            .map(OAuthHttp)
            .map_err(|reason| login_error(&self.name, reason))
    }

    fn grant_error(&self, error: GrantError) -> AuthError {
        match error {
            RequestTokenError::ServerResponse(resp) => {
                let code = match resp.error() {
                    BasicErrorResponseType::Extension(c) => c.clone(),
                    other => other.as_ref().to_string(),
                };
                login_error(
                    &self.name,
                    explain(
                        &self.name,
                        &code,
                        resp.error_description().map(String::as_str),
                    ),
                )
            }
            RequestTokenError::Request(e) => login_error(
                &self.name,
                format!(
                    "the token endpoint {} could not be reached: {e}",
                    self.token_url
                ),
            ),
            RequestTokenError::Parse(e, _body) => login_error(
                &self.name,
                format!(
                    "the token endpoint {} answered something that is not a token response (at `{}`)",
                    self.token_url,
                    e.path()
                ),
            ),
            RequestTokenError::Other(m) => login_error(
                &self.name,
                format!("the token endpoint {} failed: {m}", self.token_url),
            ),
        }
    }

    fn stored(
        &self,
        response: &BasicTokenResponse,
        previous_refresh: Option<String>,
    ) -> StoredToken {
        let now = Utc::now();
        StoredToken {
            connection: self.name.clone(),
            provider: self.provider.clone(),
            grant: self.grant.name().to_string(),
            access_token: response.access_token().secret().to_string(),
            expires_at: response
                .expires_in()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| now + d),
            // A rotated refresh token replaces the old one; otherwise the old one stays valid.
            refresh_token: response
                .refresh_token()
                .map(|r| r.secret().to_string())
                .or(previous_refresh),
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_else(|| self.scopes.clone()),
            obtained_at: now,
        }
    }

    fn token_uri(&self) -> Result<TokenUrl, AuthError> {
        TokenUrl::new(self.token_url.clone())
            .map_err(|e| login_error(&self.name, format!("invalid token URL: {e}")))
    }

    async fn client_credentials(&self) -> Result<StoredToken, AuthError> {
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_token_uri(self.token_uri()?);
        if let Some(secret) = &self.client_secret {
            client =
                client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
        }
        let response = client
            .exchange_client_credentials()
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .request_async(&self.http()?)
            .await
            .map_err(|e| self.grant_error(e))?;
        Ok(self.stored(&response, None))
    }

    /// Signs in and stores the tokens.
    pub async fn login(
        &self,
        store: &TokenStore,
        options: &LoginOptions,
    ) -> Result<StoredToken, AuthError> {
        let token = match self.grant {
            Grant::ClientCredentials => self.client_credentials().await?,
            Grant::AuthorizationCode => self.authorization_code(options).await?,
        };
        store
            .save(&token)
            .map_err(|e| login_error(&self.name, e.to_string()))?;
        Ok(token)
    }

    async fn authorization_code(&self, options: &LoginOptions) -> Result<StoredToken, AuthError> {
        let name = &self.name;
        let authorize_url = self
            .authorize_url
            .clone()
            .ok_or_else(|| login_error(name, "this connection has no authorize URL".into()))?;
        let registered = self
            .redirect_uri
            .clone()
            .ok_or_else(|| login_error(name, "set `redirect_uri` (e.g. \"http://127.0.0.1:8765/callback\") and register it with the app".into()))?;
        let loopback = matches!(
            registered.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]")
        );
        if !loopback && !options.paste {
            return Err(login_error(
                name,
                format!(
                    "redirect URI {registered} is not a loopback address, so ccetl cannot catch the redirect: add --paste and paste the URL your browser lands on"
                ),
            ));
        }
        // The loopback listener: the registered port, or one the OS picks (RFC 8252 §7.3).
        let (listener, redirect) = if loopback && !options.paste {
            let port = registered.port().unwrap_or(0);
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .map_err(|e| {
                    login_error(
                        name,
                        format!("cannot listen on 127.0.0.1:{port} for the redirect: {e}"),
                    )
                })?;
            let actual = listener
                .local_addr()
                .map_err(|e| login_error(name, e.to_string()))?
                .port();
            let mut redirect = registered.clone();
            let _ = redirect.set_port(Some(actual));
            (Some(listener), redirect)
        } else {
            (None, registered.clone())
        };
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(authorize_url)
                    .map_err(|e| login_error(name, format!("invalid authorize URL: {e}")))?,
            )
            .set_token_uri(self.token_uri()?)
            .set_redirect_uri(
                RedirectUrl::new(redirect.to_string())
                    .map_err(|e| login_error(name, e.to_string()))?,
            );
        if let Some(secret) = &self.client_secret {
            client =
                client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
        }
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new));
        let verifier = if self.pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            Some(verifier)
        } else {
            None
        };
        for (k, v) in &self.authorize_params {
            request = request.add_extra_param(k.clone(), v.clone());
        }
        let (url, state) = request.url();
        eprintln!(
            "Open this URL in a browser to sign in to {} ({}):",
            name, self.provider
        );
        eprintln!("  {url}");
        if options.open_browser {
            open_browser(url.as_str());
        }
        let receive = async {
            match listener {
                Some(listener) => receive_on_loopback(listener, redirect.path()).await,
                None => {
                    eprintln!(
                        "Then paste the full URL your browser was redirected to, and press Enter:"
                    );
                    read_pasted_url().await
                }
            }
        };
        let params = tokio::time::timeout(options.timeout, receive)
            .await
            .map_err(|_| {
                login_error(
                    name,
                    format!(
                        "no redirect within {:?}; run `ccetl auth login {name}` again",
                        options.timeout
                    ),
                )
            })?
            .map_err(|m| login_error(name, m))?;
        if let Some(error) = params.error {
            return Err(login_error(
                name,
                explain(name, &error, params.error_description.as_deref()),
            ));
        }
        if params.state.as_deref() != Some(state.secret().as_str()) {
            return Err(login_error(
                name,
                format!(
                    "the `state` in the redirect does not match this login (a stale tab or a forged redirect): run `ccetl auth login {name}` again and use the newest URL"
                ),
            ));
        }
        let code = params
            .code
            .ok_or_else(|| login_error(name, "the redirect carries no `code`".into()))?;
        let mut exchange = client.exchange_code(AuthorizationCode::new(code));
        if let Some(verifier) = verifier {
            exchange = exchange.set_pkce_verifier(verifier);
        }
        let response = exchange
            .request_async(&self.http()?)
            .await
            .map_err(|e| self.grant_error(e))?;
        Ok(self.stored(&response, None))
    }

    /// A stored token valid for at least the renewal margin, refreshed (and re-stored) if needed.
    /// `force` refreshes even a token that has not expired (the API refused it).
    pub async fn valid_token(
        &self,
        store: &TokenStore,
        force: bool,
    ) -> Result<StoredToken, AuthError> {
        let stored = match store.load(&self.name) {
            Ok(t) => Some(t),
            Err(StoreError::NotLoggedIn { .. }) if self.grant == Grant::ClientCredentials => None,
            Err(e) => return Err(login_error(&self.name, e.to_string())),
        };
        if let Some(t) = &stored
            && !force
            && let Some(expires_at) = t.expires_at
        {
            let lifetime = (expires_at - t.obtained_at).to_std().unwrap_or_default();
            let margin = chrono::Duration::from_std(renewal_margin(lifetime)).unwrap_or_default();
            if Utc::now() + margin < expires_at {
                return Ok(t.clone());
            }
        }
        let token = match (self.grant, stored) {
            (Grant::ClientCredentials, _) => self.client_credentials().await?,
            (Grant::AuthorizationCode, Some(t)) => {
                let refresh = t.refresh_token.clone().ok_or_else(|| {
                    login_error(&self.name, format!("the access token expired and there is no refresh token (is `offline_access` in scopes?): run `ccetl auth login {}`", self.name))
                })?;
                self.refresh(&refresh).await?
            }
            (Grant::AuthorizationCode, None) => {
                return Err(login_error(
                    &self.name,
                    format!("not logged in: run `ccetl auth login {}`", self.name),
                ));
            }
        };
        store
            .save(&token)
            .map_err(|e| login_error(&self.name, e.to_string()))?;
        Ok(token)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<StoredToken, AuthError> {
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_token_uri(self.token_uri()?);
        if let Some(secret) = &self.client_secret {
            client =
                client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
        }
        let response = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
            .request_async(&self.http()?)
            .await
            .map_err(|e| match e {
                // A refresh the server refuses as invalid_grant is always an expired or revoked token.
                RequestTokenError::ServerResponse(r)
                    if matches!(r.error(), BasicErrorResponseType::InvalidGrant) =>
                {
                    login_error(
                        &self.name,
                        explain(
                            &self.name,
                            "invalid_grant",
                            Some(&format!(
                                "refresh token refused: {}",
                                r.error_description().map(String::as_str).unwrap_or("")
                            )),
                        ),
                    )
                }
                other => self.grant_error(other),
            })?;
        Ok(self.stored(&response, Some(refresh_token.to_string())))
    }
}

/// The query of the redirect.
#[derive(Debug, Default)]
struct RedirectParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn parse_redirect_query(query: &str) -> RedirectParams {
    let mut p = RedirectParams::default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "code" => p.code = v,
            "state" => p.state = v,
            "error" => p.error = v,
            "error_description" => p.error_description = v,
            _ => {}
        }
    }
    p
}

const PAGE_OK: &str = "<!doctype html><title>ccetl</title><h1>Signed in.</h1><p>You can close this window and go back to the terminal.</p>";
const PAGE_FAILED: &str = "<!doctype html><title>ccetl</title><h1>Sign-in did not complete.</h1><p>See the terminal for what to do.</p>";

/// Answers requests on the loopback listener until one arrives at the redirect path.
async fn receive_on_loopback(
    listener: tokio::net::TcpListener,
    path: &str,
) -> Result<RedirectParams, String> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("the loopback listener failed: {e}"))?;
        let mut buffer = Vec::with_capacity(2048);
        let mut chunk = [0u8; 1024];
        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let request = String::from_utf8_lossy(&buffer);
        let target = request
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/");
        let (request_path, query) = target.split_once('?').unwrap_or((target, ""));
        if request_path != path {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let params = parse_redirect_query(query);
        let page = if params.code.is_some() && params.error.is_none() {
            PAGE_OK
        } else {
            PAGE_FAILED
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
        return Ok(params);
    }
}

/// Reads the redirected URL from standard input.
async fn read_pasted_url() -> Result<RedirectParams, String> {
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot read the pasted URL: {e}"))?;
    let line = line.trim();
    if line.is_empty() {
        return Err("nothing was pasted: paste the full URL your browser was redirected to".into());
    }
    let url = Url::parse(line).map_err(|_| {
        "that is not a URL: paste the full address from the browser's address bar".to_string()
    })?;
    Ok(parse_redirect_query(url.query().unwrap_or("")))
}

/// Opens a browser where there is one; silently does nothing elsewhere (the URL is printed).
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        Some("open")
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        Some("xdg-open")
    } else {
        None
    };
    if let Some(opener) = opener {
        let _ = std::process::Command::new(opener)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

/// A source's token from a stored user connection: the stored access token while it is valid,
/// refreshed (and re-stored, rotation included) when it expires or the API refuses it.
pub struct StoredConnectionToken {
    connection: Connection,
    store: TokenStore,
    handed_out: std::sync::Mutex<Option<String>>,
}

impl StoredConnectionToken {
    /// Wraps a connection and its store.
    pub fn new(connection: Connection, store: TokenStore) -> Self {
        Self {
            connection,
            store,
            handed_out: std::sync::Mutex::new(None),
        }
    }
}

impl TokenFetcher for StoredConnectionToken {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            // Asked again for the token we already handed out: the API refused it or it expired.
            let previous = self
                .handed_out
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let mut token = self.connection.valid_token(&self.store, false).await?;
            if previous.as_deref() == Some(token.access_token.as_str()) {
                token = self.connection.valid_token(&self.store, true).await?;
            }
            *self.handed_out.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(token.access_token.clone());
            let expires_in = token
                .expires_at
                .and_then(|e| (e - Utc::now()).to_std().ok());
            Ok(FetchedToken {
                access_token: SecretString::from(token.access_token),
                expires_in,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_errors_say_what_to_fix() {
        let e = explain("sp", "invalid_client", None);
        assert!(e.contains("client_id/client_secret"), "{e}");
        assert!(explain("sp", "invalid_scope", None).contains("`scopes`"));
        assert!(
            explain("sp", "invalid_grant", Some("refresh token expired"))
                .contains("ccetl auth login sp")
        );
        assert!(
            explain(
                "sp",
                "invalid_grant",
                Some("AADSTS50011: The redirect URI specified in the request does not match")
            )
            .contains("trailing slash")
        );
        assert!(explain("sp", "redirect_uri_mismatch", None).contains("redirect_uri"));
        assert!(
            explain("sp", "access_denied", Some("The user denied consent")).contains("approve")
        );
    }

    #[test]
    fn redirect_queries_are_parsed() {
        let p = parse_redirect_query("code=abc%2F1&state=xyz&scope=openid");
        assert_eq!(
            (p.code.as_deref(), p.state.as_deref()),
            (Some("abc/1"), Some("xyz"))
        );
        let p = parse_redirect_query("error=access_denied&error_description=User+denied&state=s");
        assert_eq!(
            (p.error.as_deref(), p.error_description.as_deref()),
            (Some("access_denied"), Some("User denied"))
        );
    }
}
