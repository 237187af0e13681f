//! The embedded simulator of the vendors' APIs (`ccetl sim`, `ccetl demo`, the tests).
//!
//! It is written from the API reference as an outside system would be, and shares no request or
//! response types with [`crate::sources`], so it catches a misreading instead of echoing it. It
//! serves the real paths, verbs, auth schemes and JSON shapes on 127.0.0.1, computes every answer
//! from the seeded [`generator`], enforces a per-client rate limit (429 with `Retry-After` and the
//! `inin-ratelimit-*` headers) and injects faults on request ([`Fault`]).

// Handlers answer errors as ready-made responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod cxone;
mod cxone_admin;
pub mod directory;
pub mod generator;
mod genesys;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

pub use generator::Generator;

/// Client id the simulator accepts by default.
pub const DEFAULT_CLIENT_ID: &str = "ccetl-sim-client";
/// Client secret the simulator accepts by default (a test value, not a secret).
pub const DEFAULT_CLIENT_SECRET: &str = "ccetl-sim-secret";

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 = chosen by the OS.
    pub port: u16,
    /// Seed of the generated contact center.
    pub seed: u64,
    /// API requests allowed per client per window; over it: 429.
    pub rate_limit: u32,
    /// Length of a rate-limit window (Genesys: 60 s).
    pub rate_window: Duration,
    /// Whether Genesys answers carry `inin-ratelimit-allowed`/`-count`/`-reset`, as the real API's
    /// do; off, a client learns the limit from 429s alone (CXone sends none either way).
    pub announce_rate_limits: bool,
    /// Conversations per day, as a multiple of the generator's (1.0: about 1,600 a weekday per
    /// vendor); for benchmarks at a chosen volume.
    pub volume: f64,
    /// Lifetime of issued tokens (`expires_in`).
    pub token_ttl: Duration,
    /// Accepted client id.
    pub client_id: String,
    /// Accepted client secret.
    pub client_secret: String,
    /// The simulator's "now" (`None`: the clock). Conversations start before it; those still
    /// running at it are ongoing (no `conversationEnd`).
    pub now: Option<DateTime<Utc>>,
    /// Result window of the synchronous details query (`pageSize × pageNumber`).
    pub details_result_cap: usize,
    /// Results one async details job may return.
    pub job_result_cap: usize,
    /// Time from submission until a job is FULFILLED (QUEUED for the first third, then PENDING).
    pub job_ready_after: Duration,
    /// How far the data lake lags behind "now" (`dataAvailabilityDate`).
    pub data_lake_lag: Duration,
    /// Redirect URIs registered for the client; a loopback one without a port matches any port.
    pub redirect_uris: Vec<String>,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// CXone access key id accepted by the password grant.
    pub cxone_access_key_id: String,
    /// CXone access key secret (ends in `==`, like real ones, to exercise URL encoding).
    pub cxone_access_key_secret: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            port: 0,
            seed: 42,
            rate_limit: 300,
            rate_window: Duration::from_secs(60),
            announce_rate_limits: true,
            volume: 1.0,
            token_ttl: Duration::from_secs(86_400),
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            now: None,
            details_result_cap: 100_000,
            job_result_cap: 400_000,
            job_ready_after: Duration::from_millis(600),
            data_lake_lag: Duration::from_secs(3 * 3600),
            redirect_uris: vec![
                "http://127.0.0.1/callback".into(),
                "https://ccetl.example/callback".into(),
            ],
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            cxone_access_key_id: "SIMACCESSKEYID0000000000000000000000000000".into(),
            cxone_access_key_secret: "c2ltLWFjY2Vzcy1rZXktc2VjcmV0+/sim==".into(),
        }
    }
}

/// A fault to inject: the next `count` requests whose path starts with `path` get `kind`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// Path prefix, e.g. `/api/v2/analytics`.
    pub path: String,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it affects.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// What an injected fault does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After`, if given) and a Genesys-style error body.
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` header value, verbatim.
        #[serde(default)]
        retry_after: Option<String>,
        /// Error message in the body.
        #[serde(default)]
        message: Option<String>,
    },
    /// Answer 200 with a body that is cut short.
    MalformedJson,
    /// Answer 200 with this body, verbatim (wrong shapes, unknown members).
    Body {
        /// The JSON text.
        body: String,
    },
    /// Wait this long, then answer normally.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Revoke every token issued by the vendor the path belongs to (CXone's or Genesys's), then
    /// answer normally (which gives 401). The other vendor's tokens are its own server's.
    ExpireTokens,
    /// Answer normally, but cut the connection after half of the body (a reset mid-body).
    ResetMidBody,
}

/// How the next submitted async job ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// FULFILLED, with results.
    Fulfill,
    /// FAILED, with an `errorMessage`.
    Fail,
    /// EXPIRED before its results were read.
    Expire,
}

/// An async details job.
pub(crate) struct SimJob {
    /// A user details job (else conversation details).
    pub(crate) users: bool,
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) query: serde_json::Value,
    pub(crate) submitted: Instant,
    pub(crate) outcome: JobOutcome,
}

/// An issued authorization code.
#[derive(Clone)]
pub(crate) struct CodeGrant {
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<(String, String)>,
    pub(crate) scopes: Vec<String>,
    pub(crate) used: bool,
    pub(crate) issued: Instant,
}

/// An issued refresh token.
pub(crate) struct RefreshGrant {
    pub(crate) scopes: Vec<String>,
    pub(crate) expires: Instant,
}

/// One request the simulator saw.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// When it arrived.
    pub at: Instant,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Status answered.
    pub status: u16,
}

/// Counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SimStats {
    /// Token requests (any outcome).
    pub token_requests: u64,
    /// Tokens issued.
    pub tokens_issued: u64,
    /// API requests (any outcome).
    pub api_requests: u64,
    /// 429 answers from the rate limit.
    pub throttled: u64,
    /// Faults fired.
    pub faults_fired: u64,
    /// Async jobs submitted.
    pub jobs_submitted: u64,
}

struct RateWindow {
    started: Instant,
    count: u32,
}

/// The client a CXone access token is recorded under (Genesys tokens: their OAuth client id).
pub(crate) const CXONE_TOKEN_CLIENT: &str = "cxone";

pub(crate) struct Inner {
    tokens: HashMap<String, (String, Instant)>,
    windows: HashMap<String, RateWindow>,
    faults: Vec<Fault>,
    log: VecDeque<RequestRecord>,
    pub(crate) stats: SimStats,
    token_counter: u64,
    pub(crate) jobs: HashMap<String, SimJob>,
    pub(crate) job_faults: VecDeque<JobOutcome>,
    pub(crate) job_counter: u64,
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) refresh_tokens: HashMap<String, RefreshGrant>,
    pub(crate) deny_consent: u32,
}

/// Shared simulator state.
pub(crate) struct SimState {
    pub(crate) config: SimConfig,
    pub(crate) generator: Generator,
    pub(crate) cxone_generator: Generator,
    /// The Genesys org's entity lists.
    pub(crate) directory: directory::Directory,
    /// The CXone tenant's entity lists.
    pub(crate) cxone_directory: directory::Directory,
    inner: Mutex<Inner>,
}

const LOG_LIMIT: usize = 100_000;

impl SimState {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn issue_token(&self, client_id: &str) -> String {
        let mut inner = self.lock();
        inner.token_counter += 1;
        inner.stats.tokens_issued += 1;
        // Random per process and unique: good enough for a loopback test server.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(
            nanos ^ inner.token_counter,
        );
        let token = format!(
            "sim-{:x}-{:032x}",
            inner.token_counter,
            rand::Rng::r#gen::<u128>(&mut rng)
        );
        let expires = Instant::now() + self.config.token_ttl;
        inner
            .tokens
            .insert(token.clone(), (client_id.to_string(), expires));
        token
    }

    /// The client id behind a bearer token, or the 401 to answer.
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> Result<String, Response> {
        let Some(value) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(error_response(
                StatusCode::UNAUTHORIZED,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
            ));
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or("");
        let inner = self.lock();
        match inner.tokens.get(token) {
            Some((client, expires)) if *expires > Instant::now() => Ok(client.clone()),
            _ => Err(error_response(
                StatusCode::UNAUTHORIZED,
                "bad.credentials",
                "Invalid login credentials.",
            )),
        }
    }

    /// The gate of every API request: counts it, checks the bearer token, applies the client's
    /// rate limit; the headers to add to the answer, or the answer to give instead.
    pub(crate) fn admit(&self, headers: &HeaderMap) -> Result<HeaderMap, Response> {
        self.lock().stats.api_requests += 1;
        let client = self.authorize(headers)?;
        self.rate_limit(&client, self.config.announce_rate_limits)
    }

    /// Counts a request against the client's window; the headers to add, or the 429 to answer.
    /// `announce` adds Genesys's `inin-ratelimit-*` headers; CXone documents no limit and sends
    /// none, only the 429 and its `Retry-After`.
    pub(crate) fn rate_limit(&self, client: &str, announce: bool) -> Result<HeaderMap, Response> {
        let mut inner = self.lock();
        let now = Instant::now();
        let window = self.config.rate_window;
        let entry = inner
            .windows
            .entry(client.to_string())
            .or_insert(RateWindow {
                started: now,
                count: 0,
            });
        if now.duration_since(entry.started) >= window {
            entry.started = now;
            entry.count = 0;
        }
        entry.count += 1;
        let count = entry.count;
        let reset = window.saturating_sub(now.duration_since(entry.started));
        let reset_secs = reset.as_secs_f64().ceil().max(1.0) as u64;
        let mut headers = HeaderMap::new();
        let set = |h: &mut HeaderMap, k: &'static str, v: String| {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        };
        if announce {
            set(
                &mut headers,
                "inin-ratelimit-allowed",
                self.config.rate_limit.to_string(),
            );
            set(
                &mut headers,
                "inin-ratelimit-count",
                count.min(self.config.rate_limit).to_string(),
            );
            set(&mut headers, "inin-ratelimit-reset", reset_secs.to_string());
        }
        if count > self.config.rate_limit {
            inner.stats.throttled += 1;
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "too.many.requests",
                &format!(
                    "Rate limit exceeded the maximum [{}] requests within [{}] seconds",
                    self.config.rate_limit,
                    window.as_secs()
                ),
            );
            set(&mut headers, "retry-after", reset_secs.to_string());
            response.headers_mut().extend(headers);
            return Err(response);
        }
        Ok(headers)
    }
}

/// A Genesys `ErrorBody`.
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "message": message,
        "code": code,
        "status": status.as_u16(),
        "contextId": format!("sim-{:08x}", fastish_id()),
        "details": [],
        "errors": [],
    });
    (status, axum::Json(body)).into_response()
}

fn fastish_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn faults_and_log(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let at = Instant::now();
    let fault = {
        let mut inner = state.lock();
        let position = inner
            .faults
            .iter()
            .position(|f| path.starts_with(&f.path) && f.count > 0);
        position.map(|i| {
            inner.stats.faults_fired += 1;
            let fault = inner.faults[i].clone();
            inner.faults[i].count -= 1;
            if inner.faults[i].count == 0 {
                inner.faults.remove(i);
            }
            fault
        })
    };
    let response = match fault.map(|f| f.kind) {
        Some(FaultKind::Status {
            status,
            retry_after,
            message,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = match status.as_u16() {
                429 => "too.many.requests",
                400 => "bad.request",
                503 => "service.unavailable",
                504 => "request.timeout",
                _ if status.is_server_error() => "internal.server.error",
                _ => "bad.request",
            };
            let mut response = error_response(
                status,
                code,
                message.as_deref().unwrap_or("Injected fault."),
            );
            if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert("retry-after", v);
            }
            response
        }
        Some(FaultKind::MalformedJson) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            Body::from("{\"results\": [ {\"group\": "),
        )
            .into_response(),
        Some(FaultKind::Body { body }) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            Body::from(body),
        )
            .into_response(),
        Some(FaultKind::Delay { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(request).await
        }
        Some(FaultKind::ExpireTokens) => {
            let cxone_path = request.uri().path().starts_with("/inContactAPI");
            state
                .lock()
                .tokens
                .retain(|_, (client, _)| (client == CXONE_TOKEN_CLIENT) != cxone_path);
            next.run(request).await
        }
        Some(FaultKind::ResetMidBody) => {
            let (mut parts, body) = next.run(request).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
        }
        None => next.run(request).await,
    };
    let mut inner = state.lock();
    if inner.log.len() >= LOG_LIMIT {
        inner.log.pop_front();
    }
    inner.log.push_back(RequestRecord {
        at,
        method,
        path,
        status: response.status().as_u16(),
    });
    response
}

async fn add_fault(
    State(state): State<Arc<SimState>>,
    axum::Json(fault): axum::Json<Fault>,
) -> StatusCode {
    state.lock().faults.push(fault);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct JobFaultRequest {
    outcome: JobOutcome,
    #[serde(default = "one")]
    count: u32,
}

async fn add_job_fault(
    State(state): State<Arc<SimState>>,
    axum::Json(request): axum::Json<JobFaultRequest>,
) -> StatusCode {
    let mut inner = state.lock();
    for _ in 0..request.count {
        inner.job_faults.push_back(request.outcome);
    }
    StatusCode::NO_CONTENT
}

async fn deny_consent(State(state): State<Arc<SimState>>) -> StatusCode {
    state.lock().deny_consent += 1;
    StatusCode::NO_CONTENT
}

async fn stats(State(state): State<Arc<SimState>>) -> axum::Json<SimStats> {
    axum::Json(state.lock().stats.clone())
}

async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "not.found",
        "The requested resource was not found.",
    )
}

fn router(state: Arc<SimState>) -> Router {
    use genesys::{aggregates, details, entities, user_details, users};
    let mut router = Router::new()
        .route(
            user_details::USER_DETAILS_PATH,
            post(user_details::user_details),
        )
        .route(entities::QUEUES_PATH, get(entities::queues))
        .route(entities::USERS_PATH, get(entities::users))
        .route(entities::WRAPUP_CODES_PATH, get(entities::wrapup_codes))
        .route(entities::SKILLS_PATH, get(entities::skills))
        .route(entities::DIVISIONS_PATH, get(entities::divisions))
        .route(entities::TEAMS_PATH, get(entities::teams))
        .route(entities::PRESENCE_PATH, get(entities::presence_definitions));
    for prefix in ["inContactAPI", "incontactapi"] {
        router = router
            .route(
                &format!("/{prefix}/services/{{version}}/agents/state-history"),
                get(cxone_admin::agent_state_history),
            )
            .route(
                &format!("/{prefix}/services/{{version}}/contacts/state-history"),
                get(cxone_admin::contact_state_history),
            );
        for (resource, handler) in cxone_admin::RESOURCES {
            router = router.route(
                &format!("/{prefix}/services/{{version}}/{resource}"),
                get(*handler),
            );
        }
    }
    router
        .route("/oauth/token", post(genesys::token))
        .route("/oauth/authorize", get(genesys::authorize))
        .route("/__sim/deny-consent", post(deny_consent))
        .route(
            aggregates::CONVERSATION_AGGREGATES_PATH,
            post(aggregates::conversation_aggregates),
        )
        .route(users::USER_AGGREGATES_PATH, post(users::user_aggregates))
        .route(details::DETAILS_QUERY_PATH, post(details::details_query))
        .route(details::JOBS_PATH, post(details::submit_job))
        .route(details::AVAILABILITY_PATH, get(details::availability))
        .route(details::USER_JOBS_PATH, post(details::submit_user_job))
        .route(
            &format!("{}/availability", details::USER_JOBS_PATH),
            get(details::availability),
        )
        .route(
            &format!("{}/{{job_id}}", details::USER_JOBS_PATH),
            get(details::job_status).delete(details::delete_job),
        )
        .route(
            &format!("{}/{{job_id}}/results", details::USER_JOBS_PATH),
            get(details::job_results),
        )
        .route(
            &format!("{}/{{job_id}}", details::JOBS_PATH),
            get(details::job_status).delete(details::delete_job),
        )
        .route(
            &format!("{}/{{job_id}}/results", details::JOBS_PATH),
            get(details::job_results),
        )
        .route(
            "/.well-known/openid-configuration",
            get(cxone::openid_configuration),
        )
        .route(
            "/.well-known/cxone-configuration",
            get(cxone::cxone_configuration),
        )
        .route("/auth/token", post(cxone::token))
        .route(
            "/inContactAPI/services/{version}/skills/summary",
            get(cxone::skills_summary),
        )
        .route(
            "/inContactAPI/services/{version}/agents/performance",
            get(cxone::agents_performance),
        )
        .route(
            "/inContactAPI/services/{version}/contacts/completed",
            get(cxone::contacts_completed),
        )
        .route(
            "/incontactapi/services/{version}/skills/summary",
            get(cxone::skills_summary),
        )
        .route(
            "/incontactapi/services/{version}/agents/performance",
            get(cxone::agents_performance),
        )
        .route(
            "/incontactapi/services/{version}/contacts/completed",
            get(cxone::contacts_completed),
        )
        .route("/__sim/faults", post(add_fault))
        .route("/__sim/job-faults", post(add_job_fault))
        .route("/__sim/stats", get(stats))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults_and_log,
        ))
        .with_state(state)
}

/// A configuration that reaches a running simulator: `ccetl.toml` text whose credentials are
/// named by environment variables, and the values the simulator accepts for them (test values,
/// not secrets). `ccetl demo` runs it; `ccetl sim` prints it.
pub struct ClientConfig {
    /// The configuration file's text.
    pub toml: String,
    /// `(variable, value)` for every `{ env = … }` in it.
    pub env: Vec<(String, String)>,
}

/// A running simulator; stops when dropped.
pub struct Simulator {
    addr: SocketAddr,
    state: Arc<SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Simulator {
    /// Binds 127.0.0.1 and starts serving in the background.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let generator = Generator::new(config.seed).with_volume(config.volume);
        let cxone_generator =
            Generator::new(config.seed ^ cxone::CXONE_SEED_XOR).with_volume(config.volume);
        let state = Arc::new(SimState {
            directory: directory::Directory::new(&generator),
            cxone_directory: directory::Directory::new(&cxone_generator),
            generator,
            cxone_generator,
            config,
            inner: Mutex::new(Inner {
                tokens: HashMap::new(),
                windows: HashMap::new(),
                faults: Vec::new(),
                log: VecDeque::new(),
                stats: SimStats::default(),
                token_counter: 0,
                jobs: HashMap::new(),
                job_faults: VecDeque::new(),
                job_counter: 0,
                codes: HashMap::new(),
                refresh_tokens: HashMap::new(),
                deny_consent: 0,
            }),
        });
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A configuration with one tenant of each simulated vendor, named `tenant`, writing into
    /// `output_dir`, at `requests_per_minute` per source. Days before yesterday come from async
    /// jobs (few requests), polled quickly; yesterday from the details query.
    pub fn client_config(
        &self,
        tenant: &str,
        requests_per_minute: u32,
        output_dir: &std::path::Path,
    ) -> ClientConfig {
        let url = self.base_url();
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let config = self.config();
        let env = [
            ("CCETL_SIM_GENESYS_CLIENT_ID", config.client_id.as_str()),
            (
                "CCETL_SIM_GENESYS_CLIENT_SECRET",
                config.client_secret.as_str(),
            ),
            ("CCETL_SIM_CXONE_CLIENT_ID", config.client_id.as_str()),
            (
                "CCETL_SIM_CXONE_CLIENT_SECRET",
                config.client_secret.as_str(),
            ),
            (
                "CCETL_SIM_CXONE_ACCESS_KEY_ID",
                config.cxone_access_key_id.as_str(),
            ),
            (
                "CCETL_SIM_CXONE_ACCESS_KEY_SECRET",
                config.cxone_access_key_secret.as_str(),
            ),
            // Synthetic data: a fixed key, so the hashes are stable between demo runs.
            (
                "CCETL_SIM_PSEUDONYMIZE_KEY",
                "ccetl-demo-pseudonymisation-key",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let toml = format!(
            r#"# ccetl.toml for the simulator at {url} (test credentials: see the export lines)
[output]
dir = {output}

[privacy]
pseudonymize_key = {{ env = "CCETL_SIM_PSEUDONYMIZE_KEY" }}

[genesys.{tenant}]
login_url = "{url}"
api_url = "{url}"
client_id = {{ env = "CCETL_SIM_GENESYS_CLIENT_ID" }}
client_secret = {{ env = "CCETL_SIM_GENESYS_CLIENT_SECRET" }}
requests_per_minute = {requests_per_minute}
burst = 10
details_jobs_after_days = 2
details_job_poll_secs = 0.3

[cxone.{tenant}]
discovery_url = "{url}"
client_id = {{ env = "CCETL_SIM_CXONE_CLIENT_ID" }}
client_secret = {{ env = "CCETL_SIM_CXONE_CLIENT_SECRET" }}
access_key_id = {{ env = "CCETL_SIM_CXONE_ACCESS_KEY_ID" }}
access_key_secret = {{ env = "CCETL_SIM_CXONE_ACCESS_KEY_SECRET" }}
requests_per_minute = {requests_per_minute}
burst = 10
"#,
            output = quote(&output_dir.display().to_string()),
        );
        ClientConfig { toml, env }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    /// The generator behind every answer (the ground truth for tests).
    pub fn generator(&self) -> &Generator {
        &self.state.generator
    }

    /// The CXone tenant's generator (its truth).
    pub fn cxone_generator(&self) -> &Generator {
        &self.state.cxone_generator
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.state.lock().stats.clone()
    }

    /// Every request so far (the most recent 100,000).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.lock().log.iter().cloned().collect()
    }

    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        self.state.lock().faults.push(fault);
    }

    /// Tokens currently valid (so tests can check that none leaks into output).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().tokens.keys().cloned().collect()
    }

    /// Makes the next `count` submitted async jobs end with `outcome`.
    pub fn inject_job_fault(&self, outcome: JobOutcome, count: u32) {
        let mut inner = self.state.lock();
        for _ in 0..count {
            inner.job_faults.push_back(outcome);
        }
    }

    /// Makes the next authorization request end in "the user denied consent".
    pub fn deny_next_consent(&self) {
        self.state.lock().deny_consent += 1;
    }

    /// Expires every refresh token now.
    pub fn expire_refresh_tokens(&self) {
        self.state.lock().refresh_tokens.clear();
    }

    /// Revokes every issued token now.
    pub fn revoke_tokens(&self) {
        self.state.lock().tokens.clear();
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
