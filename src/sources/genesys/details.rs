//! Conversation details, the source of `contacts`: the synchronous query for recent days and the
//! async jobs API for backfills (reference/genesys.md §2.1, §2.2, §5).
//!
//! Both stream pages of conversations into a bounded channel; the consumer de-duplicates on
//! `conversationId` and keeps the conversations that *started* in the slice, so windows may
//! overlap freely. Nothing is silently truncated: a window whose results exceed the API's result
//! window (100,000 for the query, ~400,000 per job) is split in two and fetched again, and a job
//! that ends FAILED, CANCELLED or EXPIRED is resubmitted a bounded number of times.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::queries::genesys_interval;
use crate::http::{ApiClient, ApiError};

/// `POST` the synchronous details query.
pub const DETAILS_QUERY_PATH: &str = "/api/v2/analytics/conversations/details/query";
/// Async details jobs.
pub const JOBS_PATH: &str = "/api/v2/analytics/conversations/details/jobs";
/// Data lake availability.
pub const AVAILABILITY_PATH: &str = "/api/v2/analytics/conversations/details/jobs/availability";

/// One of the two details APIs, which page and run jobs the same way: conversations (for
/// `contacts`) and users (for `agent_status`).
#[derive(Debug)]
pub struct DetailsApi {
    /// The synchronous query.
    pub query_path: &'static str,
    /// Async jobs.
    pub jobs_path: &'static str,
    /// Data lake availability.
    pub availability_path: &'static str,
    /// What its results are, for messages (`conversations`).
    pub items: &'static str,
}

/// Conversation details.
pub const CONVERSATIONS: DetailsApi = DetailsApi {
    query_path: DETAILS_QUERY_PATH,
    jobs_path: JOBS_PATH,
    availability_path: AVAILABILITY_PATH,
    items: "conversations",
};

/// User (status) details.
pub const USERS: DetailsApi = DetailsApi {
    query_path: "/api/v2/analytics/users/details/query",
    jobs_path: "/api/v2/analytics/users/details/jobs",
    availability_path: "/api/v2/analytics/users/details/jobs/availability",
    items: "users",
};

/// Windows are not split below this length; a denser minute is an error, not a truncation.
const MIN_WINDOW: chrono::Duration = chrono::Duration::minutes(1);

/// `AnalyticsConversation` (with or without participant attributes), read leniently.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailConversation {
    /// Conversation id.
    pub conversation_id: String,
    /// ISO-8601 start.
    #[serde(default)]
    pub conversation_start: Option<String>,
    /// ISO-8601 end; absent while the conversation is ongoing.
    #[serde(default)]
    pub conversation_end: Option<String>,
    /// `inbound` / `outbound`.
    #[serde(default)]
    pub originating_direction: Option<String>,
    /// Participants.
    #[serde(default)]
    pub participants: Vec<DetailParticipant>,
    /// Every other member (divisionIds, mediaStats…), kept for `extra`.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A participant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailParticipant {
    /// Participant id.
    #[serde(default)]
    pub participant_id: Option<String>,
    /// customer, acd, agent, ivr, …
    #[serde(default)]
    pub purpose: Option<String>,
    /// The agent's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Sessions.
    #[serde(default)]
    pub sessions: Vec<DetailSession>,
    /// Participant data (async jobs only).
    #[serde(default)]
    pub attributes: Option<Map<String, Value>>,
}

/// A session.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailSession {
    /// Session id.
    #[serde(default)]
    pub session_id: Option<String>,
    /// voice, chat, email, message, …
    #[serde(default)]
    pub media_type: Option<String>,
    /// Caller address.
    #[serde(default)]
    pub ani: Option<String>,
    /// Dialled address.
    #[serde(default)]
    pub dnis: Option<String>,
    /// Segments.
    #[serde(default)]
    pub segments: Vec<DetailSegment>,
    /// Metrics.
    #[serde(default)]
    pub metrics: Vec<DetailMetric>,
}

/// A segment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailSegment {
    /// ISO-8601 start.
    #[serde(default)]
    pub segment_start: Option<String>,
    /// ISO-8601 end; absent while the segment is open.
    #[serde(default)]
    pub segment_end: Option<String>,
    /// interact, hold, wrapup, delay, …
    #[serde(default)]
    pub segment_type: Option<String>,
    /// Queue.
    #[serde(default)]
    pub queue_id: Option<String>,
    /// Wrap-up code.
    #[serde(default)]
    pub wrap_up_code: Option<String>,
    /// How the segment ended.
    #[serde(default)]
    pub disconnect_type: Option<String>,
}

/// A session metric: `n*` counts, `t*` milliseconds.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DetailMetric {
    /// Metric name.
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryPage<T> {
    /// Absent on an empty page; `userDetails` in user details.
    #[serde(default = "Vec::new", alias = "userDetails")]
    conversations: Vec<T>,
    /// Required: without it, paging cannot know where the results end.
    #[serde(default)]
    total_hits: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobSubmitted {
    job_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobStatus {
    state: String,
    #[serde(default)]
    error_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobPage<T> {
    #[serde(default = "Vec::new", alias = "userDetails")]
    conversations: Vec<T>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Availability {
    #[serde(default)]
    data_availability_date: Option<String>,
}

/// How details are fetched, and their limits.
#[derive(Debug, Clone)]
pub struct DetailsSettings {
    /// Page size of the synchronous query (the API allows 100).
    pub page_size: u64,
    /// Result window of the synchronous query (`pageSize × pageNumber`).
    pub result_cap: u64,
    /// Slices whose date is at least this many days old use async jobs.
    pub jobs_after_days: u32,
    /// Page size of job results.
    pub job_page_size: u64,
    /// Results one job may return.
    pub job_result_cap: u64,
    /// First wait between job status polls; it grows by half each poll.
    pub job_poll_initial: Duration,
    /// Longest wait between polls.
    pub job_poll_max: Duration,
    /// Give up on a job that is not done by then.
    pub job_timeout: Duration,
    /// Resubmissions after FAILED, CANCELLED or EXPIRED.
    pub job_resubmits: u32,
    /// Consecutive days one job covers in a backfill.
    pub job_max_days: u32,
}

impl Default for DetailsSettings {
    fn default() -> Self {
        Self {
            page_size: 100,
            result_cap: 100_000,
            jobs_after_days: 7,
            job_page_size: 1000,
            job_result_cap: 400_000,
            job_poll_initial: Duration::from_secs(3),
            job_poll_max: Duration::from_secs(30),
            job_timeout: Duration::from_secs(1800),
            job_resubmits: 2,
            job_max_days: 7,
        }
    }
}

/// What fetching a slice's details took.
#[derive(Debug, Clone, Default)]
pub struct DetailsReport {
    /// `query` or `jobs`.
    pub method: &'static str,
    /// Windows split because their results exceeded a result cap.
    pub splits: u32,
    /// Jobs resubmitted after FAILED/CANCELLED/EXPIRED.
    pub resubmits: u32,
    /// Why jobs were not used although the slice is old enough, if so.
    pub fallback: Option<String>,
}

impl DetailsReport {
    /// The facts a partition manifest records.
    pub fn details(&self) -> std::collections::BTreeMap<String, Value> {
        let mut d = std::collections::BTreeMap::new();
        d.insert("method".into(), self.method.into());
        d.insert("window_splits".into(), self.splits.into());
        d.insert("job_resubmits".into(), self.resubmits.into());
        if let Some(reason) = &self.fallback {
            d.insert("jobs_fallback".into(), reason.clone().into());
        }
        d
    }
}

enum WindowError {
    TooLarge,
    Api(ApiError),
}

impl From<ApiError> for WindowError {
    fn from(e: ApiError) -> Self {
        if e.is_result_window_exceeded() {
            WindowError::TooLarge
        } else {
            WindowError::Api(e)
        }
    }
}

fn closed_channel() -> ApiError {
    ApiError::Job {
        message: "the consumer of details pages stopped (see its error)".into(),
    }
}

/// Fetches conversation (or user) details for `[start, end)` into `pages`.
pub struct DetailsFetcher<'a> {
    /// Which details API.
    pub api: &'static DetailsApi,
    /// The source's client.
    pub client: &'a ApiClient,
    /// Limits.
    pub settings: &'a DetailsSettings,
    /// The user's query body (filters, order); `interval` and `paging` are set per request.
    pub body: &'a Map<String, Value>,
}

impl DetailsFetcher<'_> {
    /// Streams every conversation with activity in the window (and more: the consumer filters)
    /// into `pages`, by async jobs when `use_jobs` and the data lake has the window, else by the
    /// synchronous query.
    pub async fn fetch<T: DeserializeOwned + Send>(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        use_jobs: bool,
        pages: mpsc::Sender<Vec<T>>,
    ) -> Result<DetailsReport, ApiError> {
        let mut report = DetailsReport {
            method: "query",
            ..DetailsReport::default()
        };
        if use_jobs {
            let availability: Availability = self
                .client
                .get_json(self.api.availability_path, &[])
                .await?;
            let available = availability
                .data_availability_date
                .as_deref()
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                .map(|d| d.with_timezone(&Utc));
            match available {
                Some(available) if available >= end => {
                    report.method = "jobs";
                    self.split_windows(start, end, &mut report, |a, b| {
                        self.job_window(a, b, &pages)
                    })
                    .await?;
                    return Ok(report);
                }
                other => {
                    let reason = match other {
                        Some(d) => format!("the data lake has data until {d} only"),
                        None => "the data lake did not say how far it has data".to_string(),
                    };
                    tracing::info!(%start, %end, reason = %reason, "Using the details query instead of an async job.");
                    report.fallback = Some(reason);
                }
            }
        }
        self.split_windows(start, end, &mut report, |a, b| {
            self.query_window(a, b, &pages)
        })
        .await?;
        Ok(report)
    }

    async fn split_windows<F, Fut>(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        report: &mut DetailsReport,
        mut window: F,
    ) -> Result<(), ApiError>
    where
        F: FnMut(DateTime<Utc>, DateTime<Utc>) -> Fut,
        Fut: std::future::Future<Output = Result<u32, WindowError>>,
    {
        let mut pending = vec![(start, end)];
        while let Some((a, b)) = pending.pop() {
            match window(a, b).await {
                Ok(resubmits) => report.resubmits += resubmits,
                Err(WindowError::TooLarge) if b - a > MIN_WINDOW => {
                    let mid = a + (b - a) / 2;
                    tracing::info!(window = %genesys_interval(a, b), "Window exceeds the result cap; splitting it.");
                    report.splits += 1;
                    pending.push((mid, b));
                    pending.push((a, mid));
                }
                Err(WindowError::TooLarge) => {
                    return Err(ApiError::Job {
                        message: format!(
                            "more {} in {} than the API's result window allows",
                            self.api.items,
                            genesys_interval(a, b)
                        ),
                    });
                }
                Err(WindowError::Api(e)) => return Err(e),
            }
        }
        Ok(())
    }

    async fn query_window<T: DeserializeOwned + Send>(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        pages: &mpsc::Sender<Vec<T>>,
    ) -> Result<u32, WindowError> {
        let size = self.settings.page_size.max(1);
        let mut page_number = 1u64;
        loop {
            if size * page_number > self.settings.result_cap {
                return Err(WindowError::TooLarge);
            }
            let mut body = self.body.clone();
            body.insert("interval".into(), Value::String(genesys_interval(a, b)));
            body.insert(
                "paging".into(),
                serde_json::json!({"pageSize": size, "pageNumber": page_number}),
            );
            let page: QueryPage<T> = self
                .client
                .post_json(self.api.query_path, &Value::Object(body))
                .await?;
            let total_hits = page.total_hits.ok_or_else(|| {
                WindowError::Api(ApiError::Malformed {
                    method: "POST".into(),
                    path: self.api.query_path.into(),
                    reason: "a details page without totalHits: cannot tell where the results end"
                        .into(),
                    truncated: false,
                })
            })?;
            if page_number == 1 && total_hits > self.settings.result_cap {
                return Err(WindowError::TooLarge);
            }
            let n = page.conversations.len() as u64;
            if n > 0 {
                pages
                    .send(page.conversations)
                    .await
                    .map_err(|_| WindowError::Api(closed_channel()))?;
            }
            // totalHits moves while a day still receives traffic: stop on a short page, or when
            // the latest total is covered.
            if n < size || size * page_number >= total_hits {
                return Ok(0);
            }
            page_number += 1;
        }
    }

    async fn job_window<T: DeserializeOwned + Send>(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        pages: &mpsc::Sender<Vec<T>>,
    ) -> Result<u32, WindowError> {
        let mut submissions = 0u32;
        loop {
            submissions += 1;
            let mut body = self.body.clone();
            body.insert("interval".into(), Value::String(genesys_interval(a, b)));
            body.remove("paging");
            let job: JobSubmitted = self
                .client
                .post_json(self.api.jobs_path, &Value::Object(body))
                .await?;
            let job_path = format!("{}/{}", self.api.jobs_path, job.job_id);
            let outcome = self.wait_for_job(&job_path).await;
            let ended = match outcome {
                Ok(None) => match self.read_job(&job_path, pages).await {
                    Ok(()) => {
                        self.delete_job(&job_path).await;
                        return Ok(submissions - 1);
                    }
                    // A job that vanished or expired while being read: resubmit it.
                    Err(WindowError::Api(ApiError::Rejected {
                        status: 404,
                        message,
                        ..
                    })) => format!("its results disappeared ({message})"),
                    Err(e) => {
                        self.delete_job(&job_path).await;
                        return Err(e);
                    }
                },
                Ok(Some(ended)) => ended,
                Err(e) => {
                    self.delete_job(&job_path).await;
                    return Err(WindowError::Api(e));
                }
            };
            self.delete_job(&job_path).await;
            if submissions > self.settings.job_resubmits {
                return Err(WindowError::Api(ApiError::Job {
                    message: format!(
                        "the async details job for {} {ended}, {submissions} times; giving up on this slice",
                        genesys_interval(a, b)
                    ),
                }));
            }
            tracing::warn!(window = %genesys_interval(a, b), job = %job.job_id, reason = %ended, "Async details job did not complete; resubmitting.");
        }
    }

    /// Polls until FULFILLED (`None`) or a terminal state (`Some(description)`).
    async fn wait_for_job(&self, job_path: &str) -> Result<Option<String>, ApiError> {
        let started = tokio::time::Instant::now();
        let mut delay = self.settings.job_poll_initial;
        loop {
            let status: JobStatus = self.client.get_json(job_path, &[]).await?;
            match status.state.as_str() {
                "FULFILLED" => return Ok(None),
                "FAILED" | "CANCELLED" | "EXPIRED" => {
                    let detail = status
                        .error_message
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default();
                    return Ok(Some(format!("ended {}{detail}", status.state)));
                }
                _ => {}
            }
            if started.elapsed() > self.settings.job_timeout {
                return Err(ApiError::Job {
                    message: format!(
                        "async details job {job_path} still {} after {:?}",
                        status.state, self.settings.job_timeout
                    ),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay.saturating_mul(3) / 2).min(self.settings.job_poll_max);
        }
    }

    async fn read_job<T: DeserializeOwned + Send>(
        &self,
        job_path: &str,
        pages: &mpsc::Sender<Vec<T>>,
    ) -> Result<(), WindowError> {
        let results = format!("{job_path}/results");
        let mut cursor: Option<String> = None;
        let mut received = 0u64;
        loop {
            let mut query = vec![("pageSize", self.settings.job_page_size.to_string())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let page: JobPage<T> = self.client.get_json(&results, &query).await?;
            received += page.conversations.len() as u64;
            // More than one job may return (`details_job_result_cap`): the window is too large
            // even if this API did not refuse it; what was read is deduplicated downstream.
            if received > self.settings.job_result_cap {
                return Err(WindowError::TooLarge);
            }
            if !page.conversations.is_empty() {
                pages
                    .send(page.conversations)
                    .await
                    .map_err(|_| WindowError::Api(closed_channel()))?;
            }
            match page.cursor {
                Some(c) if !c.is_empty() => cursor = Some(c),
                _ => return Ok(()),
            }
        }
    }

    async fn delete_job(&self, job_path: &str) {
        if let Err(e) = self.client.delete(job_path).await {
            tracing::debug!(job = job_path, error = %e, "Could not delete the async job (it expires on its own).");
        }
    }
}

/// Counts per metric name (used by the transform).
pub fn metric_sums<'a>(
    sessions: impl Iterator<Item = &'a DetailSession>,
) -> BTreeMap<&'a str, f64> {
    let mut sums = BTreeMap::new();
    for s in sessions {
        for m in &s.metrics {
            *sums.entry(m.name.as_str()).or_insert(0.0) += m.value;
        }
    }
    sums
}
