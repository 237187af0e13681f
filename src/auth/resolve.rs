//! `[connections.<name>]` and `[auth]` of `ccetl.toml`, resolved: provider presets filled in,
//! endpoints checked, credentials read. `ccetl auth` and sources running in a user's context
//! (`connection = "<name>"`) both start here.

use reqwest::Url;

use super::connection::{Connection, Grant};
use super::providers::{self, Placeholders};
use super::store::TokenStore;
use crate::config::{ConfigError, ConfigFile, Environment, value_error};
use crate::transport::parse_endpoint_url;

/// Connection names become file names: letters, digits, `-` and `_`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The token store of `[auth] token_dir` (a relative path from the configuration file's folder).
pub fn token_store(config: &ConfigFile) -> TokenStore {
    TokenStore::new(
        config
            .auth
            .token_dir
            .as_deref()
            .map(|d| config.resolve_path(d))
            .unwrap_or_else(crate::auth::store::default_dir),
    )
}

/// Checks an endpoint URL: https, or http on a loopback address only.
fn endpoint_url(key: &str, text: &str) -> Result<String, ConfigError> {
    parse_endpoint_url(text).map_err(|message| value_error(key, message))
}

/// Resolves `[connections.<name>]`.
pub fn connection(
    config: &ConfigFile,
    name: &str,
    env: &Environment,
) -> Result<Connection, ConfigError> {
    let key = |k: &str| format!("connections.{name}.{k}");
    let section = config
        .connections
        .get(name)
        .ok_or_else(|| ConfigError::Value {
            key: format!("connections.{name}"),
            message: format!(
                "no such connection; configured: {}",
                if config.connections.is_empty() {
                    "none".to_string()
                } else {
                    config
                        .connections
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        })?;
    if !valid_name(name) {
        return Err(ConfigError::Value {
            key: format!("connections.{name}"),
            message: "connection names may use letters, digits, '-' and '_' only (they become file names)".into(),
        });
    }
    let grant = match section.grant.as_deref().unwrap_or("authorization_code") {
        "authorization_code" => Grant::AuthorizationCode,
        "client_credentials" => Grant::ClientCredentials,
        other => {
            return Err(ConfigError::Value {
                key: key("grant"),
                message: format!(
                    "{other:?} is not \"authorization_code\" or \"client_credentials\""
                ),
            });
        }
    };
    let values = Placeholders {
        region: section.region.clone(),
        tenant_id: section.tenant_id.clone(),
        instance: section.instance.clone(),
        domain: section.domain.clone(),
    };
    let placeholder_error = |k: &'static str| {
        move |message: String| ConfigError::Value {
            key: key(k),
            message,
        }
    };
    let (authorize_url, token_url, default_scopes, pkce, params) =
        if section.provider == "custom" {
            let token = section
                .token_url
                .as_deref()
                .ok_or_else(|| ConfigError::Value {
                    key: key("token_url"),
                    message:
                        "a custom provider needs token_url (and authorize_url for a user login)"
                            .into(),
                })?;
            let authorize = section
                .authorize_url
                .as_deref()
                .map(|a| endpoint_url(&key("authorize_url"), a))
                .transpose()?;
            (
                authorize,
                endpoint_url(&key("token_url"), token)?,
                Vec::new(),
                true,
                Vec::new(),
            )
        } else {
            let preset = providers::preset(&section.provider).ok_or_else(|| ConfigError::Value {
            key: key("provider"),
            message: format!(
                "unknown provider {:?}; use one of: {}, custom (see `ccetl auth providers`)",
                section.provider,
                providers::PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
            ),
        })?;
            if section.authorize_url.is_some() || section.token_url.is_some() {
                return Err(ConfigError::Value {
                    key: key("token_url"),
                    message: "explicit URLs go with provider = \"custom\"".into(),
                });
            }
            let scopes = preset
                .default_scopes
                .iter()
                .map(|s| providers::fill(s, &values))
                .collect::<Result<Vec<_>, _>>()
                .map_err(placeholder_error("scopes"))?;
            (
                Some(
                    providers::fill(preset.authorize_url, &values)
                        .map_err(placeholder_error("provider"))?,
                ),
                providers::fill(preset.token_url, &values)
                    .map_err(placeholder_error("provider"))?,
                scopes,
                preset.pkce,
                preset
                    .authorize_params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
    // Scopes are space-separated on the wire; some UIs use commas: normalise.
    let scopes = match &section.scopes {
        Some(list) => list
            .iter()
            .flat_map(|s| s.split([' ', ',']))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => default_scopes,
    };
    let redirect_uri = section
        .redirect_uri
        .as_deref()
        .map(|r| {
            Url::parse(r).map_err(|e| ConfigError::Value {
                key: key("redirect_uri"),
                message: format!("{r:?} is not a URL: {e}"),
            })
        })
        .transpose()?;
    Ok(Connection {
        name: name.to_string(),
        provider: section.provider.clone(),
        authorize_url,
        token_url,
        client_id: env.value(&key("client_id"), &section.client_id)?,
        client_secret: section
            .client_secret
            .as_ref()
            .map(|s| env.secret(&key("client_secret"), s))
            .transpose()?,
        redirect_uri,
        scopes,
        pkce: section.pkce.unwrap_or(pkce),
        authorize_params: params,
        grant,
    })
}
