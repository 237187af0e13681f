//! `ccetl.toml`: what the user writes, read strictly.
//!
//! The file says *where* data comes from and goes to; it never holds a secret. Credentials are
//! named by environment variable (`{ env = "NAME" }`, which `.env` can fill) or by file
//! (`{ file = "/run/secrets/x" }`). Every section denies unknown keys, so a typo is an error and not
//! a silently ignored setting. [`crate::plan`] turns a parsed file into a validated plan.
//!
//! This module knows the sections every run shares (`[output]`, `[pipeline]`, `[privacy]`,
//! `[auth]`, `[connections.*]`) and no vendor: a vendor's `[<vendor>.<tenant>]` tables are read by
//! the vendor itself with [`ConfigFile::tenants`], into its own strict section type, with the same
//! line-numbered errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

/// Why a configuration could not be loaded or planned. Messages name the key and what to fix, and
/// never include a credential's value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No configuration file where one was expected.
    #[error(
        "no configuration file at {path}: copy ccetl.example.toml to ccetl.toml and edit it, or pass --config PATH (`ccetl demo` needs none)"
    )]
    NotFound {
        /// Where we looked.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The TOML is malformed or has an unknown or mistyped key.
    #[error("{path}{location}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// ` line N` where known.
        location: String,
        /// The parser's message (without the source line, which could hold a secret).
        message: String,
    },
    /// A value is well-formed TOML but not acceptable.
    #[error("{key}: {message}")]
    Value {
        /// Dotted key, e.g. `genesys.acme.region`.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A credential's environment variable or file is missing.
    #[error("{key}: {message}")]
    MissingCredential {
        /// Dotted key, e.g. `genesys.acme.client_secret`.
        key: String,
        /// Which variable or file, and how to provide it.
        message: String,
    },
}

/// The whole `ccetl.toml`: the shared sections, parsed, and the vendors' tables, kept for the
/// vendors to read.
#[derive(Debug, Default)]
pub struct ConfigFile {
    /// Where partitions are written.
    pub output: OutputSection,
    /// How slices are scheduled.
    pub pipeline: PipelineSection,
    /// Personal data in `contacts`.
    pub privacy: PrivacySection,
    /// Where `ccetl auth` keeps tokens.
    pub auth: AuthSection,
    /// OAuth connections for `ccetl auth` (and sources running in a user's context).
    pub connections: BTreeMap<String, ConnectionSection>,
    /// The file (named in error messages).
    path: PathBuf,
    /// Its text, which vendor sections are read from.
    text: String,
    /// Every other top-level table: (name, line), in file order. Planning checks them against
    /// the registered vendors.
    vendor_tables: Vec<(String, usize)>,
}

/// The shared sections as serde reads them; other top-level tables are ignored here.
#[derive(Debug, Default, Deserialize)]
struct SharedSections {
    #[serde(default)]
    output: OutputSection,
    #[serde(default)]
    pipeline: PipelineSection,
    #[serde(default)]
    privacy: PrivacySection,
    #[serde(default)]
    auth: AuthSection,
    #[serde(default)]
    connections: BTreeMap<String, ConnectionSection>,
}

/// The top-level tables [`ConfigFile`] reads itself.
pub const SHARED_SECTIONS: &[&str] = &["output", "pipeline", "privacy", "auth", "connections"];

/// `[auth]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Folder of the token files; default `$XDG_CONFIG_HOME/ccetl/tokens` or `~/.config/ccetl/tokens`.
    pub token_dir: Option<PathBuf>,
}

/// `[connections.<name>]`: one OAuth client at one provider.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSection {
    /// A preset (`ccetl auth providers` lists them) or `custom`.
    pub provider: String,
    /// `authorization_code` (default) or `client_credentials`.
    pub grant: Option<String>,
    /// Client id.
    pub client_id: ValueRef,
    /// Client secret, `{ env = … }` or `{ file = … }`; omit for a public PKCE client.
    pub client_secret: Option<ValueRef>,
    /// Registered redirect URI: `http://127.0.0.1:<port>/callback` for the loopback listener
    /// (port optional), or the app's registered URL with `--paste`.
    pub redirect_uri: Option<String>,
    /// Scopes (space- or comma-separated entries are split); default the preset's.
    pub scopes: Option<Vec<String>>,
    /// Override whether PKCE is used.
    pub pkce: Option<bool>,
    /// Genesys region placeholder.
    pub region: Option<String>,
    /// Entra tenant id placeholder.
    pub tenant_id: Option<String>,
    /// ServiceNow / Salesforce instance placeholder.
    pub instance: Option<String>,
    /// SharePoint domain placeholder.
    pub domain: Option<String>,
    /// `custom`: the authorize endpoint.
    pub authorize_url: Option<String>,
    /// `custom`: the token endpoint.
    pub token_url: Option<String>,
}

/// `[privacy]`: what happens to phone numbers in `contacts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySection {
    /// `pseudonymize` (keyed hash, default), `raw` (explicit opt-in) or `drop`.
    #[serde(default = "default_personal_data")]
    pub personal_data: String,
    /// The hash key: `{ env = "NAME" }` or `{ file = "PATH" }`; keep it stable so hashes join
    /// across runs.
    pub pseudonymize_key: Option<ValueRef>,
}

impl Default for PrivacySection {
    fn default() -> Self {
        Self {
            personal_data: default_personal_data(),
            pseudonymize_key: None,
        }
    }
}

fn default_personal_data() -> String {
    "pseudonymize".to_string()
}

/// `[output]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// Root directory of the datasets (a relative path is relative to the configuration file's
    /// folder, whatever the working directory: cron starts jobs anywhere).
    #[serde(default = "default_output_dir")]
    pub dir: PathBuf,
    /// Where the datasets go, as a URL: `s3://bucket/prefix`, `gs://…`, `az://…`, `abfss://…`,
    /// `file:///path` or a plain path. Takes the place of `dir` (not both).
    #[serde(default)]
    pub url: Option<String>,
    /// The object store's own settings (`object_store`'s keys: `aws_endpoint`,
    /// `aws_allow_http`, `aws_region`, `google_service_account`, `azure_storage_account_name`,
    /// …), over the standard environment variables. Secrets belong in the environment.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// How long a store lock's lease lasts without renewal, in seconds: a run killed outright
    /// holds its sources that long (its renewal runs every third of it).
    #[serde(default = "default_lock_lease_secs")]
    pub lock_lease_secs: u64,
}

impl Default for OutputSection {
    fn default() -> Self {
        Self {
            dir: default_output_dir(),
            url: None,
            options: BTreeMap::new(),
            lock_lease_secs: default_lock_lease_secs(),
        }
    }
}

fn default_lock_lease_secs() -> u64 {
    60
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("output")
}

/// `[pipeline]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    /// Slices fetched at once per source; all of them share the source's rate limit. A fetch that
    /// pages several requests at once (a day of Genesys conversations on the details query)
    /// takes them all, with this many of its pages asked for at a time.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Slices in flight across all sources at once (every source runs at the same time, each
    /// under its own quota; this caps memory and open files).
    #[serde(default = "default_max_slices_in_flight")]
    pub max_slices_in_flight: usize,
    /// Days before the target date that `ccetl run` fetches again, because vendors keep
    /// correcting recent data.
    #[serde(default = "default_lookback_days")]
    pub lookback_days: u32,
    /// How far back `ccetl run` catches up missed nights: days after the last final partition
    /// that are missing, and provisional ones, within this many days before yesterday.
    #[serde(default = "default_max_catchup_days")]
    pub max_catchup_days: u32,
    /// Seconds the slices in flight get to finish after SIGINT or SIGTERM before they are
    /// abandoned (their temporary files removed, no `_SUCCESS`).
    #[serde(default = "default_stop_grace_secs")]
    pub stop_grace_secs: u64,
}

impl Default for PipelineSection {
    fn default() -> Self {
        Self {
            concurrency: default_concurrency(),
            max_slices_in_flight: default_max_slices_in_flight(),
            lookback_days: default_lookback_days(),
            max_catchup_days: default_max_catchup_days(),
            stop_grace_secs: default_stop_grace_secs(),
        }
    }
}

fn default_concurrency() -> usize {
    4
}

fn default_max_slices_in_flight() -> usize {
    16
}

fn default_lookback_days() -> u32 {
    1
}

fn default_max_catchup_days() -> u32 {
    31
}

fn default_stop_grace_secs() -> u64 {
    30
}

/// A value that may be written inline or, better, read from the environment or a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValueRef {
    /// Written in the file. Refused for secrets.
    Inline(String),
    /// `{ env = "NAME" }`: read from this environment variable (or `.env`).
    Env {
        /// The variable's name.
        env: String,
    },
    /// `{ file = "PATH" }`: read from this file, trailing newline trimmed.
    File {
        /// The file's path.
        file: PathBuf,
    },
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl ConfigFile {
    /// Parses TOML text; `path` only names the file in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |e: toml::de::Error| {
            // toml's Display quotes the offending source line, which may hold a pasted secret:
            // report the line number and the message only.
            ConfigError::Invalid {
                path: path.to_path_buf(),
                location: e
                    .span()
                    .map(|span| format!(" line {}", line_of(text, span.start)))
                    .unwrap_or_default(),
                message: e.message().trim().to_string(),
            }
        };
        let document = toml::de::DeTable::parse(text).map_err(invalid)?;
        let mut vendor_tables: Vec<(String, usize)> = document
            .get_ref()
            .iter()
            .filter(|(k, _)| !SHARED_SECTIONS.contains(&k.get_ref().as_ref()))
            .map(|(k, _)| (k.get_ref().to_string(), line_of(text, k.span().start)))
            .collect();
        vendor_tables.sort_by_key(|(_, line)| *line);
        let shared: SharedSections = toml::from_str(text).map_err(invalid)?;
        Ok(Self {
            output: shared.output,
            pipeline: shared.pipeline,
            privacy: shared.privacy,
            auth: shared.auth,
            connections: shared.connections,
            path: path.to_path_buf(),
            text: text.to_string(),
            vendor_tables,
        })
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            }
        })?;
        Self::parse(&text, path)
    }

    /// The file this configuration came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder relative paths in the file resolve against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// A path written in the file: a relative one resolves against the file's folder.
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir().join(path)
        }
    }

    /// The output: `--output` (a URL, or a path relative to the working directory) if given,
    /// else `[output] url` or `dir` (a relative path resolved against the file's folder). An
    /// object-store URL opens the store (with `[output] options`); any other scheme is refused.
    pub fn output(&self, cli_override: Option<&Path>) -> Result<crate::sink::Output, ConfigError> {
        if self.output.url.is_some() && self.output.dir != default_output_dir() {
            return Err(value_error(
                "output.url",
                "set either `url` or `dir` in [output], not both",
            ));
        }
        if self.output.lock_lease_secs < 3 || self.output.lock_lease_secs > 3600 {
            return Err(value_error(
                "output.lock_lease_secs",
                format!(
                    "{} is out of range (3 to 3600)",
                    self.output.lock_lease_secs
                ),
            ));
        }
        let (raw, key, relative_to_file) = match (cli_override, &self.output.url) {
            (Some(dir), _) => (dir.to_path_buf(), "--output", false),
            (None, Some(url)) => (PathBuf::from(url), "output.url", true),
            (None, None) => (self.output.dir.clone(), "output.dir", true),
        };
        if let Some(url) = raw.to_str().filter(|t| crate::sink::store::is_store_url(t)) {
            let store = crate::sink::StoreOutput::open(url, &self.output.options)
                .map_err(|e| value_error(e.option.as_deref().unwrap_or(key), e.message))?
                .with_lease(std::time::Duration::from_secs(self.output.lock_lease_secs));
            return Ok(crate::sink::Output::Store(store));
        }
        let dir = local_output_dir(&raw, key)?;
        Ok(crate::sink::Output::Local(if relative_to_file {
            self.resolve_path(&dir)
        } else {
            dir
        }))
    }

    /// The top-level tables that are not shared sections, with their line: each must name a
    /// registered vendor (planning checks).
    pub fn vendor_tables(&self) -> &[(String, usize)] {
        &self.vendor_tables
    }

    /// A vendor's `[<vendor>.<tenant>]` tables, each read into the vendor's own section type
    /// (which should deny unknown fields); errors carry the line, as for the shared sections.
    pub fn tenants<S: DeserializeOwned>(
        &self,
        vendor: &str,
    ) -> Result<BTreeMap<String, S>, ConfigError> {
        let invalid = |e: toml::de::Error| ConfigError::Invalid {
            path: self.path.clone(),
            location: e
                .span()
                .map(|span| format!(" line {}", line_of(&self.text, span.start)))
                .unwrap_or_default(),
            message: format!("[{vendor}]: {}", e.message().trim()),
        };
        let document = toml::de::DeTable::parse(&self.text).map_err(invalid)?;
        let Some((_, table)) = document
            .into_inner()
            .into_iter()
            .find(|(k, _)| k.get_ref() == vendor)
        else {
            return Ok(BTreeMap::new());
        };
        BTreeMap::<String, S>::deserialize(table.into_deserializer()).map_err(invalid)
    }
}

/// Where `{ env = "NAME" }` values come from: the process environment (which `.env` fills), with
/// overrides a caller supplies itself (the demo hands the simulator's test credentials this way,
/// so that they go through the same resolution as a user's). No `Debug`: it holds secrets.
#[derive(Clone, Default)]
pub struct Environment {
    overrides: BTreeMap<String, String>,
    base_dir: PathBuf,
}

impl Environment {
    /// The process environment.
    pub fn process() -> Self {
        Self::default()
    }

    /// The same, with `name` set to `value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.overrides.insert(name.into(), value.into());
        self
    }

    /// The same, resolving relative `{ file = … }` paths against `dir` (the configuration
    /// file's folder).
    pub fn relative_to(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }

    /// A variable's value, the overrides first.
    pub fn var(&self, name: &str) -> Option<String> {
        self.overrides
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }

    /// Resolves a non-secret value (inline, env or file).
    pub fn value(&self, key: &str, value: &ValueRef) -> Result<String, ConfigError> {
        match value {
            ValueRef::Inline(v) => Ok(v.clone()),
            other => self.external(key, other),
        }
    }

    /// Resolves a secret: only from the environment or a file, never inline.
    pub fn secret(
        &self,
        key: &str,
        value: &ValueRef,
    ) -> Result<secrecy::SecretString, ConfigError> {
        match value {
            ValueRef::Inline(_) => Err(ConfigError::Value {
                key: key.to_string(),
                message: "secrets are not accepted in the configuration file; write `{ env = \"NAME\" }` and set NAME in the environment or .env, or `{ file = \"PATH\" }`".to_string(),
            }),
            other => self.external(key, other).map(secrecy::SecretString::from),
        }
    }

    fn external(&self, key: &str, value: &ValueRef) -> Result<String, ConfigError> {
        match value {
            ValueRef::Inline(v) => Ok(v.clone()),
            ValueRef::Env { env } => match self.var(env) {
                Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                Some(_) => Err(ConfigError::MissingCredential {
                    key: key.to_string(),
                    message: format!(
                        "environment variable {env} is empty; set it (or put it in .env)"
                    ),
                }),
                None => Err(ConfigError::MissingCredential {
                    key: key.to_string(),
                    message: format!(
                        "environment variable {env} is not set; export it, put `{env}=…` in .env, or use `{{ file = \"PATH\" }}`"
                    ),
                }),
            },
            ValueRef::File { file } => match std::fs::read_to_string(self.base_dir.join(file)) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                Ok(_) => Err(ConfigError::MissingCredential {
                    key: key.to_string(),
                    message: format!("file {} is empty", file.display()),
                }),
                Err(e) => Err(ConfigError::MissingCredential {
                    key: key.to_string(),
                    message: format!("cannot read file {}: {e}", file.display()),
                }),
            },
        }
    }
}

/// The local folder an output setting names (`key` says which: `output.dir` or `--output`).
///
/// Plain paths and `file://` URLs are local folders. Any other URL scheme is refused (object
/// stores are opened before, by [`Config::output`]): written as a path it would become a local
/// folder named `s3:`, and a run that lands there exits 0 while the warehouse sees nothing.
pub fn local_output_dir(raw: &Path, key: &str) -> Result<PathBuf, ConfigError> {
    let Some(text) = raw.to_str() else {
        return Ok(raw.to_path_buf());
    };
    let Some((scheme, rest)) = text.split_once("://") else {
        return Ok(raw.to_path_buf());
    };
    let is_scheme = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        return Ok(raw.to_path_buf());
    }
    if scheme.eq_ignore_ascii_case("file") {
        // file:///abs/path or file://localhost/abs/path; a relative one has no URL form.
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        if !path.starts_with('/') {
            return Err(value_error(
                key,
                format!(
                    "`{text}` is not a local file URL: write file:///absolute/path or a plain path"
                ),
            ));
        }
        return Ok(PathBuf::from(path));
    }
    if crate::sink::store::is_store_url(text) {
        return Err(value_error(
            key,
            format!(
                "`{text}`: this command writes to a local folder only (a path or file:///path)"
            ),
        ));
    }
    Err(value_error(
        key,
        format!(
            "`{text}`: writing to `{scheme}://` is not supported; {}",
            crate::sink::store::supported()
        ),
    ))
}

/// A [`ConfigError::Value`] for `key`.
pub fn value_error(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        key: key.to_string(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_dirs_are_local_folders_or_file_urls() {
        let local = |raw: &str| local_output_dir(Path::new(raw), "output.dir");
        assert_eq!(local("out").unwrap(), PathBuf::from("out"));
        assert_eq!(local("/data/ccetl").unwrap(), PathBuf::from("/data/ccetl"));
        assert_eq!(
            local("file:///data/ccetl").unwrap(),
            PathBuf::from("/data/ccetl")
        );
        assert_eq!(
            local("file://localhost/data/ccetl").unwrap(),
            PathBuf::from("/data/ccetl")
        );
        // A folder whose name merely contains a colon is still a folder.
        assert_eq!(local("a:b/c").unwrap(), PathBuf::from("a:b/c"));
        for url in ["ftp://h/out", "hdfs://n/p", "HTTP://x/y"] {
            let error = local(url).unwrap_err().to_string();
            assert!(error.starts_with("output.dir: "), "{error}");
            assert!(
                error.contains(url) && error.contains("not supported") && error.contains("s3://"),
                "{error}"
            );
        }
        // Where only a folder will do (the demo), a store URL is named as such.
        let error = local("s3://bucket/out").unwrap_err().to_string();
        assert!(error.contains("local folder only"), "{error}");
        assert!(local("file://relative/path").is_err());
    }

    #[test]
    fn an_output_url_opens_its_store_and_a_file_url_or_path_stays_local() {
        let file = |text: &str| ConfigFile::parse(text, Path::new("/etc/ccetl/ccetl.toml"));
        let config = file(
            "[output]\nurl = \"s3://bucket/out/\"\n[output.options]\naws_region = \"eu-west-1\"\n",
        )
        .unwrap();
        match config.output(None).unwrap() {
            crate::sink::Output::Store(store) => assert_eq!(store.url(), "s3://bucket/out"),
            other => panic!("not a store: {other}"),
        }
        // `az://container/…` takes its account from AZURE_STORAGE_ACCOUNT_NAME or the options.
        let no_account = file("").unwrap().output(Some(Path::new("az://c/p")));
        assert!(
            no_account
                .unwrap_err()
                .to_string()
                .contains("Account must be specified")
        );
        for (url, kind) in [
            ("gs://b/p", "gs"),
            ("abfss://c@acct.dfs.core.windows.net/p", "abfss"),
        ] {
            let output = file("").unwrap().output(Some(Path::new(url)));
            let output = output.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(output.local().is_none(), "{kind}");
        }
        let local = file("[output]\nurl = \"file:///data/out\"\n")
            .unwrap()
            .output(None)
            .unwrap();
        assert_eq!(local.local(), Some(Path::new("/data/out")));
        let relative = file("[output]\ndir = \"out\"\n")
            .unwrap()
            .output(None)
            .unwrap();
        assert_eq!(relative.local(), Some(Path::new("/etc/ccetl/out")));
        let both = file("[output]\ndir = \"out\"\nurl = \"s3://b/p\"\n")
            .unwrap()
            .output(None);
        assert!(both.unwrap_err().to_string().contains("not both"));
        let unknown =
            file("[output]\nurl = \"s3://b/p\"\n[output.options]\naws_colour = \"blue\"\n")
                .unwrap()
                .output(None);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("output.options.aws_colour")
        );
        let refused = file("").unwrap().output(Some(Path::new("ftp://h/p")));
        assert!(refused.unwrap_err().to_string().contains("not supported"));
    }

    #[test]
    fn the_example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ccetl.example.toml");
        let config = ConfigFile::load(&path).expect("example config parses");
        let names: Vec<&str> = config
            .vendor_tables()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["genesys", "cxone"]);
        let genesys: BTreeMap<String, toml::Table> = config.tenants("genesys").unwrap();
        assert!(genesys.contains_key("acme"));
        assert!(genesys["acme"]["client_secret"].is_table());
        assert!(config.connections.contains_key("sharepoint"));
        let cxone: BTreeMap<String, toml::Table> = config.tenants("cxone").unwrap();
        assert_eq!(cxone["acme"]["api_version"].as_str(), Some("v31.0"));
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line_number() {
        let text = "[output]\ndir = \"out\"\n\n[pipeline]\nconcurrancy = 3\n";
        let err = ConfigFile::parse(text, Path::new("ccetl.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 5"), "{msg}");
        assert!(msg.contains("concurrancy"), "{msg}");
    }

    #[test]
    fn parse_errors_do_not_quote_the_source_line() {
        let text = "[genesys.x]\nclient_id = \"id\"\nclient_secret = \"hunter2-very-secret\nregion = \"us_east_1\"\n";
        let err = ConfigFile::parse(text, Path::new("ccetl.toml")).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn inline_secrets_are_refused_without_echoing_them() {
        let err = Environment::process()
            .secret(
                "genesys.x.client_secret",
                &ValueRef::Inline("hunter2".into()),
            )
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("env"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn missing_env_var_names_the_variable() {
        let err = Environment::process()
            .secret(
                "genesys.x.client_secret",
                &ValueRef::Env {
                    env: "CCETL_TEST_SURELY_UNSET_VAR".into(),
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("CCETL_TEST_SURELY_UNSET_VAR"));
    }
}
