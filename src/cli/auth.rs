//! `ccetl auth`: sign in to the providers our users connect, and hand tokens to scripts —
//! `providers`, `login`, `token`, `status`, `logout`. Only `token` prints a token, and only on
//! standard output, because the user asked for it.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use clap::Subcommand;

use super::load_config;
use crate::auth::connection::{Grant, LoginOptions};
use crate::auth::providers::PRESETS;
use crate::auth::resolve::token_store;
use crate::auth::store::StoreError;
use crate::config::{ConfigError, ConfigFile, Environment};
use crate::error::{Error, ExitStatus};

/// `[connections.<name>]`, resolved with the process environment.
fn connection(
    config: &ConfigFile,
    name: &str,
) -> Result<crate::auth::connection::Connection, ConfigError> {
    let env = Environment::process().relative_to(config.base_dir());
    crate::auth::resolve::connection(config, name, &env)
}

/// `ccetl auth …`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// List the provider presets with their URLs and default scopes.
    Providers,
    /// Sign in to a connection (authorization code + PKCE, or client credentials) and store the tokens.
    Login {
        /// The `[connections.<name>]` to sign in to.
        connection: String,
        /// Paste the redirected URL instead of catching it on a loopback listener.
        #[arg(long)]
        paste: bool,
        /// Do not try to open a browser; just print the URL.
        #[arg(long)]
        no_browser: bool,
        /// Give up waiting for the redirect after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
    /// Print a valid access token (refreshed first if it is about to expire) for scripts.
    Token {
        /// The connection.
        connection: String,
    },
    /// Show each connection's state, without secrets.
    Status,
    /// Delete a connection's stored tokens.
    Logout {
        /// The connection.
        connection: String,
    },
}

/// Runs an auth subcommand.
pub async fn run(config_path: &Path, command: AuthCommand) -> Result<ExitStatus, Error> {
    match command {
        AuthCommand::Providers => {
            for p in PRESETS {
                outln!("{} — {}", p.name, p.title);
                outln!("  authorize: {}", p.authorize_url);
                outln!("  token:     {}", p.token_url);
                outln!(
                    "  scopes:    {}",
                    if p.default_scopes.is_empty() {
                        "(none; roles on the OAuth client)".to_string()
                    } else {
                        p.default_scopes.join(" ")
                    }
                );
                outln!("  pkce:      {}", if p.pkce { "S256" } else { "no" });
                if !p.authorize_params.is_empty() {
                    let params: Vec<String> = p
                        .authorize_params
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    outln!("  authorize parameters: {}", params.join("&"));
                }
                if !p.notes.is_empty() {
                    outln!("  note:      {}", p.notes);
                }
            }
            outln!("custom — explicit authorize_url and token_url");
            outln!("  aliases: atlassian = confluence");
            Ok(ExitStatus::Success)
        }
        AuthCommand::Login {
            connection: name,
            paste,
            no_browser,
            timeout_secs,
        } => {
            let config = load_config(config_path)?;
            let conn = connection(&config, &name)?;
            let store = token_store(&config);
            let options = LoginOptions {
                paste,
                open_browser: !no_browser,
                timeout: Duration::from_secs(timeout_secs.max(1)),
            };
            let token = conn.login(&store, &options).await?;
            eprintln!(
                "Signed in to {name}: tokens stored in {} (owner-only); access token {}; refresh token: {}.",
                store.path(&name).display(),
                describe_expiry(token.expires_at),
                if token.refresh_token.is_some() {
                    "yes"
                } else {
                    "no"
                }
            );
            Ok(ExitStatus::Success)
        }
        AuthCommand::Token { connection: name } => {
            let config = load_config(config_path)?;
            let conn = connection(&config, &name)?;
            let token = conn.valid_token(&token_store(&config), false).await?;
            outln!("{}", token.access_token);
            Ok(ExitStatus::Success)
        }
        AuthCommand::Status => {
            let config = load_config(config_path)?;
            let store = token_store(&config);
            if config.connections.is_empty() {
                outln!(
                    "No connections are configured: add a [connections.<name>] section (see ccetl.example.toml)."
                );
            }
            for name in config.connections.keys() {
                let conn = connection(&config, name)?;
                let state = match store.load(name) {
                    Ok(t) => format!(
                        "signed in {}; access token {}; refresh token: {}; scopes: {}",
                        t.obtained_at.format("%Y-%m-%d %H:%M UTC"),
                        describe_expiry(t.expires_at),
                        if t.refresh_token.is_some() {
                            "yes"
                        } else {
                            "no"
                        },
                        if t.scopes.is_empty() {
                            "-".to_string()
                        } else {
                            t.scopes.join(" ")
                        }
                    ),
                    Err(StoreError::NotLoggedIn { .. })
                        if conn.grant == Grant::ClientCredentials =>
                    {
                        "no token yet (client credentials: `ccetl auth token` fetches one)"
                            .to_string()
                    }
                    Err(StoreError::NotLoggedIn { .. }) => {
                        format!("not signed in: run `ccetl auth login {name}`")
                    }
                    Err(e) => e.to_string(),
                };
                outln!("{name} ({}, {}): {state}", conn.provider, conn.grant.name());
            }
            outln!("Token store: {}", store.dir().display());
            Ok(ExitStatus::Success)
        }
        AuthCommand::Logout { connection: name } => {
            let config = load_config(config_path)?;
            connection(&config, &name)?;
            let removed = token_store(&config)
                .delete(&name)
                .map_err(|e| Error::Runtime(e.to_string()))?;
            if removed {
                outln!("Removed the stored tokens of {name}.");
            } else {
                outln!("{name} had no stored tokens.");
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn describe_expiry(expires_at: Option<chrono::DateTime<Utc>>) -> String {
    match expires_at {
        None => "with no stated expiry".into(),
        Some(t) => {
            let left = t - Utc::now();
            if left.num_seconds() <= 0 {
                format!("expired {} min ago", (-left).num_minutes())
            } else {
                format!("valid for {} min", left.num_minutes())
            }
        }
    }
}
