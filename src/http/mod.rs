//! One rate-limited, retrying, self-authenticating HTTP client per source.
//!
//! Every request of a source goes through its [`ApiClient`], so the source's quota is respected by
//! all its concurrent slices together: its [`pace::Pacer`] spends the quota without tripping it,
//! adapts to the limit the server announces or enforces, and a 429's `Retry-After` sets a
//! cool-down that every task waits out, not just the one that was throttled.
//! Retries (backon, exponential with jitter) are bounded by count *and* total time; 401 renews the
//! token once; other client errors fail at once with the server's own message. Analytics query
//! POSTs are idempotent reads, so they are retried like GETs.

pub mod pace;
pub mod retry;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, Url};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::auth::{AuthError, TokenCache};
use retry::{Disposition, classify};

/// Wait assumed for a 429 that names no delay.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(3);

/// Why a request failed. Transient kinds are retried by [`ApiClient`]; what reaches the caller is
/// either permanent or the last error after the retries ran out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// No usable token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The server refused the request (4xx other than 401/429, or 501).
    #[error("{method} {path} was refused with HTTP {status}{code}: {message}{context}")]
    Rejected {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status.
        status: u16,
        /// ` (code)` from the error body, if any.
        code: String,
        /// The server's message.
        message: String,
        /// ` [contextId …]` for support cases, if any.
        context: String,
    },
    /// Throttled (429); retried after `retry_after`.
    #[error("{method} {path} was throttled (HTTP 429, retry after {retry_after:?})")]
    RateLimited {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// The wait the server asked for.
        retry_after: Duration,
    },
    /// Throttled with a wait longer than the configured cap (a daily quota, typically).
    #[error(
        "{method} {path} was throttled with Retry-After {retry_after:?}, longer than max_retry_after_secs ({cap:?}); resume the backfill later"
    )]
    RateLimitTooLong {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// The wait the server asked for.
        retry_after: Duration,
        /// The configured cap.
        cap: Duration,
    },
    /// A 5xx other than 501.
    #[error("{method} {path} failed with HTTP {status}: {message}")]
    ServerError {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// Timeout, connection refused or reset, or a body cut short.
    #[error("{method} {path}: {reason}")]
    Transport {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// What happened.
        reason: String,
    },
    /// A 2xx body that is not the JSON we expect.
    #[error("{method} {path} returned malformed JSON: {reason}")]
    Malformed {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// The parser's message.
        reason: String,
        /// True when the JSON is cut short or not JSON at all (worth another try).
        truncated: bool,
    },
    /// An async job could not deliver its results.
    #[error("{message}")]
    Job {
        /// What happened and what was tried.
        message: String,
    },
    /// The next wait (a `Retry-After`, or the backoff) would end past the request's retry budget
    /// (`max_retry_elapsed_secs`), so it was not started.
    #[error(
        "{last}; waiting {wait:?} more would exceed the retry budget (max_retry_elapsed_secs = {budget:?}, {spent:?} spent): resume later"
    )]
    RetryBudgetSpent {
        /// The wait that was refused.
        wait: Duration,
        /// Time spent on the request so far.
        spent: Duration,
        /// The budget.
        budget: Duration,
        /// The last error.
        last: Box<ApiError>,
    },
    /// A transient error that persisted through every retry.
    #[error("{last} (gave up after {attempts} attempts)")]
    RetriesExhausted {
        /// Requests sent.
        attempts: usize,
        /// The last error.
        last: Box<ApiError>,
    },
}

impl ApiError {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited { .. }
            | ApiError::ServerError { .. }
            | ApiError::Transport { .. } => true,
            ApiError::Malformed { truncated, .. } => *truncated,
            _ => false,
        }
    }

    /// The wait the server asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whether the API refused because a query's result window was exceeded ("Pagination may not
    /// exceed 100000 results"): the caller should split its interval.
    pub fn is_result_window_exceeded(&self) -> bool {
        matches!(self, ApiError::Rejected { status: 400, message, .. } if message.to_ascii_lowercase().contains("may not exceed"))
    }

    /// Whether the failure is about credentials or tokens (exit code 3).
    pub fn is_auth(&self) -> bool {
        match self {
            ApiError::Auth(e) => !e.is_unavailable(),
            ApiError::RetriesExhausted { last, .. } | ApiError::RetryBudgetSpent { last, .. } => {
                last.is_auth()
            }
            _ => false,
        }
    }
}

/// Limits and retry bounds of one source's client.
#[derive(Debug, Clone)]
pub struct ApiClientSettings {
    /// Requests per minute for this OAuth client.
    pub requests_per_minute: NonZeroU32,
    /// Requests that may go back to back before pacing applies.
    pub burst: NonZeroU32,
    /// Retries of one request.
    pub max_retries: usize,
    /// Total wait across the retries of one request.
    pub max_retry_elapsed: Duration,
    /// Longest `Retry-After` honoured; longer fails the request.
    pub max_retry_after: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// First backoff delay for 5xx and transport errors.
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
}

impl Default for ApiClientSettings {
    fn default() -> Self {
        Self {
            requests_per_minute: NonZeroU32::new(300).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            max_retries: 6,
            max_retry_elapsed: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(180),
            request_timeout: Duration::from_secs(120),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Counters a run summary reports.
#[derive(Debug, Default)]
pub struct RequestStats {
    /// HTTP requests sent to the API (token requests excluded).
    pub requests: AtomicU64,
    /// 429 answers.
    pub throttled: AtomicU64,
    /// Retries after any transient failure.
    pub retries: AtomicU64,
    /// Token renewals forced by a 401.
    pub reauths: AtomicU64,
}

/// Requests counted for one unit of work (a slice), whichever client sends them: the pipeline
/// runs a slice inside [`counting`], and every request, 429 and retry sent from within it is added
/// here too, so a manifest can say what its slice cost.
#[derive(Debug, Default)]
pub struct WorkRequests {
    /// Requests sent.
    pub requests: AtomicU64,
    /// 429 answers.
    pub throttled: AtomicU64,
    /// Retries.
    pub retries: AtomicU64,
}

tokio::task_local! {
    static WORK: Arc<WorkRequests>;
}

/// Runs `work`, counting its requests into `counter`.
pub async fn counting<F: std::future::Future>(counter: Arc<WorkRequests>, work: F) -> F::Output {
    WORK.scope(counter, work).await
}

fn count_for_work(pick: fn(&WorkRequests) -> &AtomicU64) {
    let _ = WORK.try_with(|w| pick(w).fetch_add(1, Ordering::Relaxed));
}

impl RequestStats {
    fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot: (requests, throttled, retries, reauths).
    pub fn snapshot(&self) -> (u64, u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.throttled.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
            self.reauths.load(Ordering::Relaxed),
        )
    }
}

/// Answer bodies are read into buffers kept for the next answer: a details page (200 KB, or a
/// job's 2 MB) collected by `Response::bytes` was a fresh allocation each time, which glibc maps
/// and unmaps, and the copy into it faulted every page in (16% of the jobs path's CPU in a
/// profile). At most [`KEPT_BODY_BUFFERS`] are kept, none over [`KEPT_BODY_BYTES`].
struct BodyBuffer(Vec<u8>);

/// Buffers kept: about the requests in flight at once.
const KEPT_BODY_BUFFERS: usize = 8;
/// A buffer grown past this (an unusually large answer) is freed, not kept.
const KEPT_BODY_BYTES: usize = 8 << 20;

static BODY_BUFFERS: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

impl BodyBuffer {
    /// An empty buffer, with the room a kept one has.
    fn take() -> Self {
        let kept = BODY_BUFFERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        BodyBuffer(kept.unwrap_or_default())
    }
}

impl std::ops::Deref for BodyBuffer {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl std::ops::DerefMut for BodyBuffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for BodyBuffer {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() > KEPT_BODY_BYTES {
            return;
        }
        buffer.clear();
        let mut kept = BODY_BUFFERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() < KEPT_BODY_BUFFERS {
            kept.push(buffer);
        }
    }
}

/// The HTTP client of one source (one OAuth client, one quota).
pub struct ApiClient {
    vendor: &'static str,
    base: Url,
    http: crate::transport::HttpClient,
    tokens: Arc<TokenCache>,
    pacer: pace::Pacer,
    settings: ApiClientSettings,
    stats: Arc<RequestStats>,
}

impl ApiClient {
    /// A client for the API at `base` (paths are appended to it).
    pub fn new(
        vendor: &'static str,
        base: Url,
        tokens: Arc<TokenCache>,
        settings: ApiClientSettings,
    ) -> Result<Self, String> {
        let http = crate::transport::build_http_client(settings.request_timeout)?;
        Ok(Self {
            vendor,
            base,
            http,
            tokens,
            pacer: pace::Pacer::new(settings.requests_per_minute, settings.burst),
            settings,
            stats: Arc::new(RequestStats::default()),
        })
    }

    /// The counters of this client.
    pub fn stats(&self) -> Arc<RequestStats> {
        self.stats.clone()
    }

    /// The token cache (to pre-check credentials, or count fetches).
    pub fn tokens(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// POSTs a JSON body and parses the JSON answer, with rate limiting, retries and one re-auth.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, ApiError> {
        let bytes = encode_body(path, body)?;
        self.request(Method::POST, path, &[], Some(bytes), &from_json)
            .await
    }

    /// POSTs a JSON body and hands the answer's bytes to `decode`, with the retries of
    /// [`post_json`](Self::post_json): for answers read borrowed, straight from the bytes, into
    /// what a caller keeps (rows), so that nothing owned is built in between. A syntax error
    /// `decode` reports (a truncated body, say) is retried like any other.
    pub async fn post_decoded<T, D>(
        &self,
        path: &str,
        body: &serde_json::Value,
        decode: &D,
    ) -> Result<T, ApiError>
    where
        D: AnswerDecoder<T>,
    {
        let bytes = encode_body(path, body)?;
        self.request(Method::POST, path, &[], Some(bytes), decode)
            .await
    }

    /// GETs with query parameters and hands the answer's bytes to `decode` (see
    /// [`post_decoded`](Self::post_decoded)).
    pub async fn get_decoded<T, D>(
        &self,
        path: &str,
        query: &[(&str, String)],
        decode: &D,
    ) -> Result<T, ApiError>
    where
        D: AnswerDecoder<T>,
    {
        self.request(Method::GET, path, query, None, decode).await
    }

    /// GETs a JSON document with query parameters. An empty body (204) parses as JSON `null`, so
    /// `T = Option<…>` sees `None`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.request(Method::GET, path, query, None, &from_json)
            .await
    }

    /// DELETEs a resource (an async job, say); the answer body is ignored.
    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.request::<serde::de::IgnoredAny, _>(Method::DELETE, path, &[], None, &from_json)
            .await
            .map(|_| ())
    }

    async fn request<T, D>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        decode: &D,
    ) -> Result<T, ApiError>
    where
        D: AnswerDecoder<T>,
    {
        let reauthed = AtomicBool::new(false);
        let attempts = AtomicU64::new(0);
        // The retry budget counts every wait, Retry-After and cool-downs included: a wait that
        // would end past it is not started.
        let started = Instant::now();
        let budget = self.settings.max_retry_elapsed;
        let refused_wait: std::sync::Mutex<Option<Duration>> = std::sync::Mutex::new(None);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.max_retries)
            .with_jitter();
        let attempt = || {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.send_once(
                &method,
                path,
                query,
                body.as_deref(),
                &reauthed,
                (started, budget),
                decode,
            )
        };
        let result = attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(ApiError::is_retryable)
            .adjust(|e, delay| {
                let wait = delay.map(|d| e.retry_after().unwrap_or(d))?;
                if started.elapsed() + wait > budget {
                    *refused_wait.lock().unwrap_or_else(|p| p.into_inner()) = Some(wait);
                    return None;
                }
                Some(wait)
            })
            .notify(|e, delay| {
                RequestStats::inc(&self.stats.retries);
                count_for_work(|w| &w.retries);
                tracing::warn!(
                    vendor = self.vendor,
                    error = %e,
                    delay_ms = delay.as_millis() as u64,
                    "Request failed; retrying."
                );
            })
            .await;
        let refused = *refused_wait.lock().unwrap_or_else(|p| p.into_inner());
        result.map_err(|e| {
            if let Some(wait) = refused {
                ApiError::RetryBudgetSpent {
                    wait,
                    spent: started.elapsed(),
                    budget,
                    last: Box::new(e),
                }
            } else if e.is_retryable() {
                ApiError::RetriesExhausted {
                    attempts: attempts.load(Ordering::Relaxed) as usize,
                    last: Box::new(e),
                }
            } else {
                e
            }
        })
    }

    fn log_adjustment(&self, adjustment: pace::Adjustment) {
        if let Some(quota) = adjustment.lowered_to {
            tracing::info!(
                vendor = self.vendor,
                requests_per_minute = quota,
                "The API allows fewer requests than configured; pacing to {quota} a minute."
            );
        }
        if let Some(pause) = adjustment.pause {
            tracing::debug!(
                vendor = self.vendor,
                pause_ms = pause.as_millis() as u64,
                "The API's rate window is full; waiting for it to reset."
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_once<T, D>(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        reauthed: &AtomicBool,
        (started, budget): (Instant, Duration),
        decode: &D,
    ) -> Result<T, ApiError>
    where
        D: AnswerDecoder<T>,
    {
        let mut url =
            self.base
                .join(path.trim_start_matches('/'))
                .map_err(|e| ApiError::Transport {
                    method: method.to_string(),
                    path: path.into(),
                    reason: format!("invalid URL: {e}"),
                })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        loop {
            // The shared cool-down (another task's 429, say) is a wait of this request too, and
            // one that would end past the retry budget is not started.
            let request_turn = self
                .pacer
                .admit(|until| {
                    let now = Instant::now();
                    if until.duration_since(started) > budget {
                        let wait = until.duration_since(now);
                        return Err(ApiError::RetryBudgetSpent {
                            wait,
                            spent: now.duration_since(started),
                            budget,
                            last: Box::new(ApiError::RateLimited {
                                method: method.to_string(),
                                path: path.into(),
                                retry_after: wait,
                            }),
                        });
                    }
                    Ok(())
                })
                .await?;
            let token = self.tokens.get().await?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.secret().expose_secret())
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_vec());
            }
            RequestStats::inc(&self.stats.requests);
            count_for_work(|w| &w.requests);
            let transport = |reason: String| ApiError::Transport {
                method: method.to_string(),
                path: path.into(),
                reason,
            };
            let mut response = request
                .send()
                .await
                .map_err(|e| transport(crate::transport::describe_reqwest_error(&e)))?;
            let status = response.status().as_u16();
            if status != 429 {
                let adjustment = self.pacer.answered(response.headers(), &request_turn);
                self.log_adjustment(adjustment);
            }
            drop(request_turn);
            let correlation = response
                .headers()
                .get("inin-correlation-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            match classify(status) {
                Disposition::Success => {
                    let mut bytes = BodyBuffer::take();
                    bytes.reserve(response.content_length().unwrap_or(0) as usize);
                    while let Some(chunk) = response
                        .chunk()
                        .await
                        .map_err(|e| transport(crate::transport::describe_reqwest_error(&e)))?
                    {
                        bytes.extend_from_slice(&chunk);
                    }
                    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                        b"null"
                    } else {
                        &bytes
                    };
                    return decode(bytes).map_err(|e| ApiError::Malformed {
                        method: method.to_string(),
                        path: path.into(),
                        reason: e.to_string(),
                        truncated: e.is_eof() || e.is_syntax(),
                    });
                }
                Disposition::Unauthorized => {
                    if reauthed.swap(true, Ordering::SeqCst) {
                        return Err(ApiError::Auth(AuthError::TokenRefused {
                            vendor: self.vendor,
                        }));
                    }
                    RequestStats::inc(&self.stats.reauths);
                    tracing::info!(
                        vendor = self.vendor,
                        path,
                        "API answered 401; renewing the token once."
                    );
                    self.tokens
                        .invalidate(token.generation(), Instant::now())
                        .await;
                    continue;
                }
                Disposition::RateLimited => {
                    RequestStats::inc(&self.stats.throttled);
                    count_for_work(|w| &w.throttled);
                    let adjustment = self.pacer.throttled(response.headers());
                    self.log_adjustment(adjustment);
                    let delay = retry::retry_after(response.headers(), SystemTime::now())
                        .unwrap_or(DEFAULT_RETRY_AFTER);
                    if delay > self.settings.max_retry_after {
                        return Err(ApiError::RateLimitTooLong {
                            method: method.to_string(),
                            path: path.into(),
                            retry_after: delay,
                            cap: self.settings.max_retry_after,
                        });
                    }
                    self.pacer.pause(delay);
                    return Err(ApiError::RateLimited {
                        method: method.to_string(),
                        path: path.into(),
                        retry_after: delay,
                    });
                }
                Disposition::Transient => {
                    let header = status_description(&response);
                    let text = response.text().await.unwrap_or_default();
                    let body = ErrorBody::parse(&text).or_header(header);
                    return Err(ApiError::ServerError {
                        method: method.to_string(),
                        path: path.into(),
                        status,
                        message: body.message,
                    });
                }
                Disposition::Permanent => {
                    let header = status_description(&response);
                    let text = response.text().await.unwrap_or_default();
                    let body = ErrorBody::parse(&text).or_header(header);
                    let context = match (body.context_id, correlation.is_empty()) {
                        (Some(c), _) => format!(" [contextId {c}]"),
                        (None, false) => format!(" [correlation id {correlation}]"),
                        (None, true) => String::new(),
                    };
                    return Err(ApiError::Rejected {
                        method: method.to_string(),
                        path: path.into(),
                        status,
                        code: body.code.map(|c| format!(" ({c})")).unwrap_or_default(),
                        message: body.message,
                        context,
                    });
                }
            }
        }
    }
}

/// How a caller reads an answer's bytes into `T` (inside the retry loop, so that a syntax error it
/// reports is retried like any other). Any such function or closure is one.
pub trait AnswerDecoder<T>: Fn(&[u8]) -> Result<T, serde_json::Error> + Sync {}

impl<T, F> AnswerDecoder<T> for F where F: Fn(&[u8]) -> Result<T, serde_json::Error> + Sync {}

/// The decoding of [`ApiClient::post_json`] and [`ApiClient::get_json`]: the whole answer as `T`.
fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
}

fn encode_body(path: &str, body: &serde_json::Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body).map_err(|e| ApiError::Malformed {
        method: "POST".into(),
        path: path.into(),
        reason: format!("cannot encode the request body: {e}"),
        truncated: false,
    })
}

const NO_MESSAGE: &str = "(no message)";

/// The useful parts of an error answer: Genesys's `ErrorBody {message, code, contextId}`, or the
/// start of whatever text came back.
struct ErrorBody {
    message: String,
    code: Option<String>,
    context_id: Option<String>,
}

/// CXone may put the error text only in the `icStatusDescription` header.
fn status_description(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("icStatusDescription")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

impl ErrorBody {
    /// Uses the header's text when the body had none.
    fn or_header(mut self, header: Option<String>) -> Self {
        if let Some(h) = header
            && self.message == NO_MESSAGE
        {
            self.message = h;
        }
        self
    }

    fn parse(text: &str) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_str(text).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|j| j.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let message = field("message")
            .or_else(|| field("error_description"))
            .or_else(|| field("error"))
            .unwrap_or_else(|| {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    NO_MESSAGE.to_string()
                } else {
                    trimmed.chars().take(300).collect()
                }
            });
        Self {
            message,
            code: field("code"),
            context_id: field("contextId"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_buffers_come_back_empty_and_only_a_few_of_a_bounded_size_are_kept() {
        // Other tests share the buffers: what holds here holds whoever took them before.
        let mut big = BodyBuffer::take();
        big.reserve(KEPT_BODY_BYTES + 1);
        let mut used: Vec<BodyBuffer> = (0..3 * KEPT_BODY_BUFFERS)
            .map(|i| {
                let mut b = BodyBuffer::take();
                b.extend_from_slice(format!("answer {i}").as_bytes());
                b
            })
            .collect();
        used.push(big);
        drop(used);
        let kept = BODY_BUFFERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|b| (b.len(), b.capacity()))
            .collect::<Vec<_>>();
        assert!(kept.len() <= KEPT_BODY_BUFFERS, "{kept:?}");
        assert!(
            kept.iter()
                .all(|&(len, capacity)| len == 0 && capacity <= KEPT_BODY_BYTES),
            "{kept:?}"
        );
        assert!(!kept.is_empty(), "used buffers are kept");
        assert!(BodyBuffer::take().is_empty());
    }

    #[test]
    fn genesys_error_bodies_give_message_code_and_context() {
        let body = ErrorBody::parse(
            r#"{"message":"Metric nFoo is not valid","code":"bad.request","status":400,"contextId":"abc","details":[],"errors":[]}"#,
        );
        assert_eq!(body.message, "Metric nFoo is not valid");
        assert_eq!(body.code.as_deref(), Some("bad.request"));
        assert_eq!(body.context_id.as_deref(), Some("abc"));
        let plain = ErrorBody::parse("<html>Bad gateway</html>");
        assert_eq!(plain.message, "<html>Bad gateway</html>");
    }

    #[test]
    fn cxone_error_text_comes_from_the_header_when_the_body_is_empty() {
        let body = ErrorBody::parse("").or_header(Some("startDate must be before endDate".into()));
        assert_eq!(body.message, "startDate must be before endDate");
        let body =
            ErrorBody::parse(r#"{"message":"from the body"}"#).or_header(Some("header".into()));
        assert_eq!(body.message, "from the body");
    }

    #[test]
    fn only_transient_errors_are_retryable() {
        let m = || "POST".to_string();
        let p = || "/x".to_string();
        assert!(
            ApiError::ServerError {
                method: m(),
                path: p(),
                status: 503,
                message: String::new()
            }
            .is_retryable()
        );
        assert!(
            ApiError::RateLimited {
                method: m(),
                path: p(),
                retry_after: Duration::from_secs(1)
            }
            .is_retryable()
        );
        assert!(
            !ApiError::Rejected {
                method: m(),
                path: p(),
                status: 400,
                code: String::new(),
                message: String::new(),
                context: String::new()
            }
            .is_retryable()
        );
        assert!(
            !ApiError::Malformed {
                method: m(),
                path: p(),
                reason: String::new(),
                truncated: false
            }
            .is_retryable()
        );
        assert!(
            ApiError::Malformed {
                method: m(),
                path: p(),
                reason: String::new(),
                truncated: true
            }
            .is_retryable()
        );
    }
}
