//! `ccetl auth` end to end against the simulator as an authorization server: the test plays the
//! browser (it follows the authorize redirect), ccetl catches the code on its loopback listener or
//! reads the pasted URL, stores tokens owner-only, refreshes them, and the API accepts them.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ccetl::sim::{SimConfig, Simulator};

const SECRET: &str = "auth-test-client-secret-value";
const SECRET_ENV: &str = "CCETL_TEST_AUTH_SECRET";

fn write_config(dir: &Path, base: &str) -> PathBuf {
    let path = dir.join("ccetl.toml");
    let text = format!(
        r#"[output]
dir = "{out}"

[auth]
token_dir = "{tokens}"

[connections.sim]
provider = "custom"
authorize_url = "{base}/oauth/authorize"
token_url = "{base}/oauth/token"
client_id = "ccetl-sim-client"
client_secret = {{ env = "{SECRET_ENV}" }}
redirect_uri = "http://127.0.0.1/callback"
scopes = ["openid offline_access"]

[connections.simpaste]
provider = "custom"
authorize_url = "{base}/oauth/authorize"
token_url = "{base}/oauth/token"
client_id = "ccetl-sim-client"
client_secret = {{ env = "{SECRET_ENV}" }}
redirect_uri = "https://ccetl.example/callback"

[connections.simcc]
provider = "custom"
grant = "client_credentials"
token_url = "{base}/oauth/token"
client_id = "ccetl-sim-client"
client_secret = {{ env = "{SECRET_ENV}" }}

[genesys.acme]
login_url = "{base}"
api_url = "{base}"
connection = "sim"
datasets = ["queue_intervals"]

[cxone.cx]
discovery_url = "{base}"
api_url = "{base}"
connection = "sim"
datasets = ["queue_intervals"]
requests_per_minute = 6000
burst = 100
"#,
        out = dir.join("out").display(),
        tokens = dir.join("tokens").display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn ccetl(dir: &Path, config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccetl"));
    cmd.current_dir(dir)
        .arg("--config")
        .arg(config)
        .args(args)
        .env(SECRET_ENV, SECRET)
        .env_remove("RUST_LOG")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// A running `ccetl auth login`, with the authorize URL it printed and its stderr so far.
struct Login {
    child: Child,
    url: String,
    stderr: mpsc::Receiver<String>,
}

impl Login {
    // The child is waited for in `finish`, and killed and reaped by `Drop` otherwise.
    #[allow(clippy::zombie_processes)]
    fn start(dir: &Path, config: &Path, args: &[&str]) -> Login {
        let mut child = ccetl(dir, config, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = String::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no authorize URL printed; stderr so far: {seen}"));
            seen.push_str(&line);
            seen.push('\n');
            if let Some(url) = line
                .trim()
                .strip_prefix("http")
                .map(|rest| format!("http{rest}"))
            {
                return Login {
                    child,
                    url,
                    stderr: rx,
                };
            }
        }
    }

    fn paste(&mut self, url: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{url}").unwrap();
    }

    /// Waits for the exit; returns the code and everything it printed.
    async fn finish(mut self) -> (i32, String) {
        tokio::task::spawn_blocking(move || {
            let status = self.child.wait().unwrap();
            let mut text: String = self.stderr.try_iter().collect::<Vec<_>>().join("\n");
            std::thread::sleep(Duration::from_millis(50));
            text.extend(self.stderr.try_iter().map(|l| format!("\n{l}")));
            let mut out = String::new();
            if let Some(mut stdout) = self.child.stdout.take() {
                let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
            }
            (status.code().unwrap_or(-1), format!("{out}{text}"))
        })
        .await
        .unwrap()
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not follow redirects (the test looks at each hop).
fn browser() -> reqwest::Client {
    ccetl::transport::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The browser: GET the authorize URL and return where the server redirects (not following it).
async fn authorize(url: &str) -> String {
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        302,
        "{}",
        response.text().await.unwrap_or_default()
    );
    response.headers()["location"].to_str().unwrap().to_string()
}

fn query_param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

/// Whether the simulator's API accepts a bearer token.
async fn api_accepts(sim: &Simulator, token: &str) -> bool {
    let body = serde_json::json!({"interval": "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z", "metrics": ["nOffered"]});
    let response = browser()
        .post(format!(
            "{}/api/v2/analytics/conversations/aggregates/query",
            sim.base_url()
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    response.status().is_success()
}

fn stored(dir: &Path, connection: &str) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(dir.join("tokens").join(format!("{connection}.json"))).unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_on_loopback_then_token_refresh_and_a_source_in_user_context() {
    let sim = Simulator::start(SimConfig {
        client_secret: SECRET.into(),
        token_ttl: Duration::from_secs(3),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim.base_url());

    let login = Login::start(
        dir.path(),
        &config,
        &[
            "auth",
            "login",
            "sim",
            "--no-browser",
            "--timeout-secs",
            "60",
        ],
    );
    assert!(
        login.url.contains("code_challenge_method=S256") && login.url.contains("state="),
        "{}",
        login.url
    );
    let redirect = authorize(&login.url).await;
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    // The browser lands on ccetl's loopback listener, which answers with a short page.
    let page = browser()
        .get(&redirect)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in"), "{page}");
    let (code, printed) = login.finish().await;
    assert_eq!(code, 0, "{printed}");

    let file = dir.path().join("tokens/sim.json");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let first = stored(dir.path(), "sim");
    assert!(
        first.get("client_secret").is_none()
            && !std::fs::read_to_string(&file).unwrap().contains(SECRET)
    );

    let out = output(ccetl(dir.path(), &config, &["auth", "token", "sim"])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token1 = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(api_accepts(&sim, &token1).await);

    // Sources of both vendors run in the user's context with the stored connection.
    let out = output(ccetl(
        dir.path(),
        &config,
        &["backfill", "--from", "2026-11-01", "--to", "2026-11-02"],
    ))
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for source in ["source=genesys/tenant=acme", "source=cxone/tenant=cx"] {
        assert!(
            dir.path()
                .join("out/queue_intervals")
                .join(source)
                .join("date=2026-11-02/_SUCCESS")
                .exists(),
            "{source}"
        );
    }

    // After expiry, `token` refreshes: a new access token, a rotated refresh token.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(
        !api_accepts(&sim, &token1).await,
        "the first token has expired"
    );
    let out = output(ccetl(dir.path(), &config, &["auth", "token", "sim"])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token2 = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(token1, token2);
    assert!(api_accepts(&sim, &token2).await);
    let second = stored(dir.path(), "sim");
    assert_ne!(
        first["refresh_token"], second["refresh_token"],
        "the rotated refresh token is kept"
    );

    // status says what there is without printing it.
    let out = output(ccetl(dir.path(), &config, &["auth", "status"])).await;
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        status.contains("sim (custom, authorization_code): signed in"),
        "{status}"
    );
    for secret in [
        SECRET,
        token2.as_str(),
        second["refresh_token"].as_str().unwrap(),
    ] {
        assert!(
            !status.contains(secret) && !printed.contains(secret),
            "a secret was printed"
        );
    }

    let out = output(ccetl(dir.path(), &config, &["auth", "logout", "sim"])).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(!file.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_mode_and_every_documented_failure_has_a_clear_message() {
    let sim = Simulator::start(SimConfig {
        client_secret: SECRET.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim.base_url());
    let login = |dir: &Path| {
        Login::start(
            dir,
            &config,
            &[
                "auth",
                "login",
                "simpaste",
                "--paste",
                "--no-browser",
                "--timeout-secs",
                "60",
            ],
        )
    };

    // Paste mode: the user pastes the URL the browser was sent to.
    let mut l = login(dir.path());
    let first = authorize(&l.url).await;
    assert!(
        first.starts_with("https://ccetl.example/callback?code="),
        "{first}"
    );
    l.paste(&first);
    let (code, printed) = l.finish().await;
    assert_eq!(code, 0, "{printed}");
    let mut outputs = vec![printed];

    let mut expect_failure = |code: i32, printed: String, needle: &str| {
        assert_eq!(code, 3, "{printed}");
        assert!(
            printed.contains(needle),
            "expected {needle:?} in: {printed}"
        );
        outputs.push(printed);
    };

    // State mismatch: a redirect that does not belong to this login.
    let mut l = login(dir.path());
    let redirect = authorize(&l.url).await;
    l.paste(&with_param(&redirect, "state", "forged-state"));
    let (code, printed) = l.finish().await;
    expect_failure(code, printed, "state");

    // A code used twice.
    let mut l = login(dir.path());
    let state = query_param(&l.url, "state");
    l.paste(&format!(
        "https://ccetl.example/callback?code={}&state={state}",
        query_param(&first, "code")
    ));
    let (code, printed) = l.finish().await;
    expect_failure(code, printed, "already used");

    // A wrong PKCE verifier: the code was issued for another challenge.
    let mut l = login(dir.path());
    let other = with_param(
        &l.url,
        "code_challenge",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    let redirect = authorize(&other).await;
    l.paste(&redirect);
    let (code, printed) = l.finish().await;
    expect_failure(code, printed, "PKCE");

    // Consent denied.
    sim.deny_next_consent();
    let mut l = login(dir.path());
    let redirect = authorize(&l.url).await;
    assert!(redirect.contains("error=access_denied"));
    l.paste(&redirect);
    let (code, printed) = l.finish().await;
    expect_failure(code, printed, "consent was denied");

    // An expired refresh token: log in again, says the message.
    sim.expire_refresh_tokens();
    let file = dir.path().join("tokens/simpaste.json");
    let mut token = stored(dir.path(), "simpaste");
    token["expires_at"] = serde_json::json!("2020-01-01T00:00:00Z");
    std::fs::write(&file, serde_json::to_vec(&token).unwrap()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = output(ccetl(dir.path(), &config, &["auth", "token", "simpaste"])).await;
    expect_failure(
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        "ccetl auth login simpaste",
    );

    // A store others can read is refused.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = output(ccetl(dir.path(), &config, &["auth", "token", "simpaste"])).await;
    expect_failure(
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        "chmod 600",
    );

    for printed in &outputs {
        assert!(
            !printed.contains(SECRET),
            "the client secret was printed: {printed}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_connections_use_the_same_commands() {
    let sim = Simulator::start(SimConfig {
        client_secret: SECRET.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim.base_url());
    let out = output(ccetl(dir.path(), &config, &["auth", "login", "simcc"])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = output(ccetl(dir.path(), &config, &["auth", "token", "simcc"])).await;
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(api_accepts(&sim, &token).await);
    let out = output(ccetl(dir.path(), &config, &["auth", "providers"])).await;
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/authorize")
    );
}
