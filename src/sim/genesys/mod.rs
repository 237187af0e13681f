//! Genesys Cloud as the simulator serves it (reference/genesys.md): the login host as an OAuth
//! authorization server (client credentials, authorization code with PKCE, refresh tokens), conversation aggregates, conversation details (synchronous query and async jobs).

pub(crate) mod aggregates;
pub(crate) mod details;
pub(crate) mod entities;
pub(crate) mod user_details;
pub(crate) mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use std::time::Instant;

use sha2::{Digest, Sha256};

use super::{CodeGrant, RefreshGrant, SimState};

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"error": error, "description": description, "error_description": description}),
        ),
    )
        .into_response()
}

/// A plain page for errors the authorization server must not redirect (unknown client, an
/// unregistered redirect URI: RFC 6749 §4.1.2.1).
fn error_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "text/html; charset=utf-8")],
        format!("<!doctype html><h1>Sign-in error</h1><p>{message}</p>"),
    )
        .into_response()
}

/// Whether `uri` is registered: exactly, or a loopback URI registered without a port, which
/// matches any port (RFC 8252 §7.3).
fn redirect_registered(registered: &[String], uri: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(uri) else {
        return false;
    };
    registered.iter().any(|r| {
        if r == uri {
            return true;
        }
        let Ok(r) = reqwest::Url::parse(r) else {
            return false;
        };
        let loopback = matches!(r.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        loopback
            && r.port().is_none()
            && r.scheme() == u.scheme()
            && r.host_str() == u.host_str()
            && r.path() == u.path()
    })
}

fn random_token(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(
        nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    format!("{prefix}-{n:x}-{:032x}", rand::Rng::r#gen::<u128>(&mut rng))
}

/// `GET /oauth/authorize`: approves a test user at once (or denies, when asked to), and redirects
/// back with `code` and `state`.
pub(crate) async fn authorize(
    State(state): State<Arc<SimState>>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let get = |k: &str| params.get(k).map(String::as_str);
    if get("client_id") != Some(state.config.client_id.as_str()) {
        return error_page("Unknown client_id.");
    }
    let Some(redirect_uri) = get("redirect_uri") else {
        return error_page("redirect_uri is required.");
    };
    if !redirect_registered(&state.config.redirect_uris, redirect_uri) {
        return error_page(
            "redirect_uri mismatch: this redirect URI is not registered for the client.",
        );
    }
    let mut target = match reqwest::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page("redirect_uri is not a URL."),
    };
    let scopes: Vec<String> = get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let deny = {
        let mut inner = state.lock();
        let deny = inner.deny_consent > 0;
        inner.deny_consent = inner.deny_consent.saturating_sub(1);
        deny
    };
    {
        let mut query = target.query_pairs_mut();
        if get("response_type") != Some("code") {
            query.append_pair("error", "unsupported_response_type");
        } else if deny {
            query
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The user denied consent.");
        } else if let Some(bad) = scopes.iter().find(|s| s.contains("invalid")) {
            query
                .append_pair("error", "invalid_scope")
                .append_pair("error_description", &format!("Unknown scope {bad}."));
        } else {
            let code = random_token("code");
            let method = get("code_challenge_method").unwrap_or("plain").to_string();
            state.lock().codes.insert(
                code.clone(),
                CodeGrant {
                    redirect_uri: redirect_uri.to_string(),
                    challenge: get("code_challenge").map(|c| (c.to_string(), method)),
                    scopes: scopes.clone(),
                    used: false,
                    issued: Instant::now(),
                },
            );
            query.append_pair("code", &code);
        }
        if let Some(s) = get("state") {
            query.append_pair("state", s);
        }
    }
    (
        StatusCode::FOUND,
        [(axum::http::header::LOCATION, target.to_string())],
    )
        .into_response()
}

/// `POST /oauth/token`: `client_credentials` (HTTP Basic per RFC 6749 §2.3.1, or in the form
/// body), `authorization_code` (checks the code, its single use, the redirect URI and the PKCE
/// verifier) and `refresh_token` (with rotation and expiry).
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.lock().stats.token_requests += 1;
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let from_basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (form_decode(id), Some(form_decode(secret))))
        });
    let credentials = from_basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret").cloned(),
        ))
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication required",
        );
    };
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    // Confidential when a secret is sent; public clients may use the code and refresh grants only.
    let secret_ok = match &secret {
        Some(s) => *s == state.config.client_secret,
        None => grant != "client_credentials",
    };
    if id != state.config.client_id || !secret_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client not found or secret invalid",
        );
    }
    match grant {
        "client_credentials" => {
            let access_token = state.issue_token(&id);
            axum::Json(json!({"access_token": access_token, "token_type": "bearer", "expires_in": state.config.token_ttl.as_secs()})).into_response()
        }
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let grant = {
                let mut inner = state.lock();
                match inner.codes.get_mut(&code) {
                    None => {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_grant",
                            "The authorization code is invalid or expired.",
                        );
                    }
                    Some(g) if g.used => {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_grant",
                            "The authorization code was already used.",
                        );
                    }
                    Some(g) if g.issued.elapsed() > std::time::Duration::from_secs(600) => {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_grant",
                            "The authorization code is invalid or expired.",
                        );
                    }
                    Some(g) => {
                        g.used = true;
                        g.clone()
                    }
                }
            };
            if form.get("redirect_uri") != Some(&grant.redirect_uri) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The redirect_uri does not match the authorization request.",
                );
            }
            if let Some((challenge, method)) = &grant.challenge {
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let computed = match method.as_str() {
                    "S256" => base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(Sha256::digest(verifier.as_bytes())),
                    _ => verifier.clone(),
                };
                if verifier.is_empty() || computed != *challenge {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "The PKCE code_verifier does not match the code_challenge.",
                    );
                }
            }
            issue_user_tokens(&state, &id, grant.scopes)
        }
        "refresh_token" => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let scopes = {
                let mut inner = state.lock();
                match inner.refresh_tokens.remove(&presented) {
                    Some(r) if r.expires > Instant::now() => r.scopes,
                    _ => {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_grant",
                            "The refresh token is expired or revoked.",
                        );
                    }
                }
            };
            issue_user_tokens(&state, &id, scopes)
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials, authorization_code or refresh_token",
        ),
    }
}

/// An access token plus a new (rotated) refresh token.
fn issue_user_tokens(state: &SimState, client_id: &str, scopes: Vec<String>) -> Response {
    let access_token = state.issue_token(client_id);
    let refresh_token = random_token("refresh");
    state.lock().refresh_tokens.insert(
        refresh_token.clone(),
        RefreshGrant {
            scopes: scopes.clone(),
            expires: Instant::now() + state.config.refresh_token_ttl,
        },
    );
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": state.config.token_ttl.as_secs(),
        "refresh_token": refresh_token,
        "scope": scopes.join(" "),
    }))
    .into_response()
}

/// RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
pub(crate) fn form_decode(text: &str) -> String {
    let decoded = form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned());
    decoded.unwrap_or_else(|| text.to_string())
}
