//! Where `ccetl auth` keeps tokens: one JSON file per connection, readable by its owner only
//! (0600, in a 0700 folder), written atomically (temporary file, then rename). It holds the access
//! token, its expiry, the refresh token, the scopes and when it was obtained — never the client
//! secret. A file others can read is refused rather than used.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What is stored for a connection. Holds raw tokens: never logged; `Debug` redacts them.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredToken {
    /// Connection name.
    pub connection: String,
    /// Provider preset.
    pub provider: String,
    /// `authorization_code` or `client_credentials`.
    pub grant: String,
    /// The access token.
    pub access_token: String,
    /// When it expires, if the server said.
    pub expires_at: Option<DateTime<Utc>>,
    /// The refresh token, if any (rotated ones replace it).
    pub refresh_token: Option<String>,
    /// Granted (or requested) scopes.
    pub scopes: Vec<String>,
    /// When the access token was obtained.
    pub obtained_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("connection", &self.connection)
            .field("provider", &self.provider)
            .field("expires_at", &self.expires_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Why the store could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// No tokens for this connection.
    #[error("no stored tokens for connection {connection:?}: run `ccetl auth login {connection}`")]
    NotLoggedIn {
        /// The connection.
        connection: String,
    },
    /// The file's permissions let others read it.
    #[error(
        "{path} is readable by other users (mode {mode:o}); refusing to use it: run `chmod 600 {path}` and `ccetl auth login` again, since the token may have leaked"
    )]
    Insecure {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// I/O or a corrupt file.
    #[error("token store {path}: {reason}")]
    Io {
        /// The file or folder.
        path: String,
        /// What happened.
        reason: String,
    },
}

/// The folder of token files.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

/// `$XDG_CONFIG_HOME/ccetl/tokens`, else `~/.config/ccetl/tokens`.
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("ccetl").join("tokens")
}

impl TokenStore {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a connection.
    pub fn path(&self, connection: &str) -> PathBuf {
        self.dir.join(format!("{connection}.json"))
    }

    fn io(path: &Path, e: impl std::fmt::Display) -> StoreError {
        StoreError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// Loads a connection's tokens, refusing a file that others can read.
    pub fn load(&self, connection: &str) -> Result<StoredToken, StoreError> {
        let path = self.path(connection);
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotLoggedIn {
                    connection: connection.to_string(),
                });
            }
            Err(e) => return Err(Self::io(&path, e)),
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Insecure {
                path: path.display().to_string(),
                mode,
            });
        }
        let text = fs::read_to_string(&path).map_err(|e| Self::io(&path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Self::io(&path, format!("not a token file ({})", e.classify() as u8)))
    }

    /// Saves a connection's tokens atomically with mode 0600.
    pub fn save(&self, token: &StoredToken) -> Result<PathBuf, StoreError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| Self::io(&self.dir, e))?;
        let path = self.path(&token.connection);
        let tmp = self
            .dir
            .join(format!(".{}.{}.tmp", token.connection, std::process::id()));
        let _ = fs::remove_file(&tmp);
        let text = serde_json::to_vec_pretty(token).map_err(|e| Self::io(&path, e))?;
        let result = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(Self::io(&path, e));
        }
        Ok(path)
    }

    /// Deletes a connection's tokens; `false` if there were none.
    pub fn delete(&self, connection: &str) -> Result<bool, StoreError> {
        let path = self.path(connection);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Self::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> StoredToken {
        StoredToken {
            connection: "sp".into(),
            provider: "sharepoint".into(),
            grant: "authorization_code".into(),
            access_token: "at-very-secret".into(),
            expires_at: Some(Utc::now()),
            refresh_token: Some("rt-very-secret".into()),
            scopes: vec!["openid".into()],
            obtained_at: Utc::now(),
        }
    }

    #[test]
    fn saved_files_are_owner_only_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("tokens"));
        let token = token();
        let path = store.save(&token).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(store.load("sp").unwrap(), token);
        // no temporary file is left behind
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 1);
        assert!(store.delete("sp").unwrap());
        assert!(matches!(
            store.load("sp"),
            Err(StoreError::NotLoggedIn { .. })
        ));
    }

    #[test]
    fn a_world_readable_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let path = store.save(&token()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load("sp").unwrap_err();
        assert!(
            matches!(err, StoreError::Insecure { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn debug_output_hides_tokens() {
        let shown = format!("{:?}", token());
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
