//! Genesys Cloud as the simulator serves it (reference/genesys.md): the client-credentials token
//! endpoint, conversation aggregates, conversation details (synchronous query and async jobs).

pub(crate) mod aggregates;
pub(crate) mod details;
pub(crate) mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::SimState;

/// `POST /oauth/token`: client credentials with HTTP Basic (RFC 6749 §2.3.1) or in the form body.
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.lock().stats.token_requests += 1;
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (status, axum::Json(json!({"error": error, "description": description, "error_description": description}))).into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
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
                .map(|(id, secret)| (form_decode(id), form_decode(secret)))
        });
    let credentials = from_basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication required",
        );
    };
    if id != state.config.client_id || secret != state.config.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client not found or secret invalid",
        );
    }
    let access_token = state.issue_token(&id);
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": state.config.token_ttl.as_secs(),
    }))
    .into_response()
}

/// RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
fn form_decode(text: &str) -> String {
    let decoded = form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned());
    decoded.unwrap_or_else(|| text.to_string())
}
