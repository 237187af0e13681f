//! Conversation details, the source of `contacts`: the synchronous query for recent days and the
//! async jobs API for backfills (reference/genesys.md §2.1, §2.2, §5).
//!
//! Both stream pages of conversations into a bounded channel; the consumer de-duplicates on
//! `conversationId` and keeps the conversations that *started* in the slice, so windows may
//! overlap freely. Nothing is silently truncated: a window whose results exceed the API's result
//! window (100,000 for the query, ~400,000 per job) is split in two and fetched again, and a job
//! that ends FAILED, CANCELLED or EXPIRED is resubmitted a bounded number of times.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::queries::genesys_interval;
use crate::http::{AnswerDecoder, ApiClient, ApiError};
use crate::sources::scan::answer_text;

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
    /// Whether a window may be fetched by a job up to where the data lake ends and by the query
    /// after it: the two parts may return the same item, which conversations survive (each is
    /// admitted once, by id) and users' status records might not (whether the API clips a
    /// record at the interval's edges is unverified: one across the cut could come as two
    /// pieces and split a status row).
    pub split_at_lake: bool,
}

/// Conversation details.
pub const CONVERSATIONS: DetailsApi = DetailsApi {
    query_path: DETAILS_QUERY_PATH,
    jobs_path: JOBS_PATH,
    availability_path: AVAILABILITY_PATH,
    items: "conversations",
    split_at_lake: true,
};

/// User (status) details.
pub const USERS: DetailsApi = DetailsApi {
    query_path: "/api/v2/analytics/users/details/query",
    jobs_path: "/api/v2/analytics/users/details/jobs",
    availability_path: "/api/v2/analytics/users/details/jobs/availability",
    items: "users",
    split_at_lake: false,
};

/// Windows are not split below this length; a denser minute is an error, not a truncation.
const MIN_WINDOW: chrono::Duration = chrono::Duration::minutes(1);

/// A page of details as the fetcher needs it: the query's (`totalHits`) and a job's (`cursor`)
/// alike. `userDetails` in user details; the results member is absent on an empty page.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailsPage<T> {
    /// The page's conversations (or users).
    #[serde(default = "Vec::new", alias = "userDetails")]
    pub conversations: Vec<T>,
    /// The query's total: without it, paging cannot know where the results end.
    #[serde(default)]
    pub total_hits: Option<u64>,
    /// A job's next page.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl<T> DetailsPage<T> {
    /// The page for the fetcher, with what `read` makes of its results.
    pub fn decoded<O>(self, read: impl FnOnce(Vec<T>) -> O) -> DecodedPage<O> {
        DecodedPage {
            results: self.conversations.len() as u64,
            total_hits: self.total_hits,
            cursor: self.cursor,
            out: read(self.conversations),
        }
    }
}

/// One page, decoded by the caller of [`DetailsFetcher::fetch`]: what paging needs, and what the
/// caller made of the results (rows, say), which is what goes down the channel.
#[derive(Debug)]
pub struct DecodedPage<O> {
    /// Conversations (or users) on the page.
    pub results: u64,
    /// The query's `totalHits`.
    pub total_hits: Option<u64>,
    /// A job's cursor.
    pub cursor: Option<String>,
    /// What the caller keeps of the page.
    pub out: O,
}

/// How a caller of [`DetailsFetcher::fetch`] reads a page's bytes (see there): what paging needs
/// and what the caller keeps. Any such function or closure is one.
pub trait PageDecoder<T>: AnswerDecoder<DecodedPage<T>> {}

impl<T, F> PageDecoder<T> for F where F: AnswerDecoder<DecodedPage<T>> {}

/// The decoding for owned results (user details): the page's results themselves. The text is
/// checked as UTF-8 once, which `serde_json` would do string by string.
pub fn owned_results<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<DecodedPage<Vec<T>>, serde_json::Error> {
    let page: DetailsPage<T> = serde_json::from_str(answer_text(bytes)?)?;
    Ok(page.decoded(|results| results))
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

impl DetailsSettings {
    /// Whether a slice whose (last) date is `date` is old enough for async jobs.
    pub fn by_jobs(&self, date: chrono::NaiveDate, today: chrono::NaiveDate) -> bool {
        (today - date).num_days() >= i64::from(self.jobs_after_days)
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
    /// Where the data lake ended within the window: jobs fetched what came before, the query
    /// the rest.
    pub query_from: Option<DateTime<Utc>>,
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
        if let Some(from) = self.query_from {
            d.insert(
                "query_from".into(),
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    .into(),
            );
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

/// The UTC midnight that starts `t`'s day.
fn utc_midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_time(chrono::NaiveTime::MIN).and_utc()
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
    /// Query pages requested at once once the first has told how many there are (still handed
    /// on in page order).
    pub pages_at_once: usize,
}

impl DetailsFetcher<'_> {
    /// Streams every conversation with activity in the window (and more: the consumer filters),
    /// each page as `decode` reads it from the answer's bytes, into `pages`: by async jobs when
    /// `use_jobs` and the data lake has the window, else by the synchronous query. When the lake
    /// ends within the window (and the API allows it: [`DetailsApi::split_at_lake`]), jobs fetch
    /// it up to the lake's last midnight (UTC) and the query the days after: a backfill's last
    /// days (the lake lags hours behind) do not turn a week's job into a week of query pages.
    /// `decode` must not keep state: a page it read may still be dropped (a window found too
    /// large is split and fetched again).
    pub async fn fetch<T, D>(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        use_jobs: bool,
        decode: &D,
        pages: mpsc::Sender<T>,
    ) -> Result<DetailsReport, ApiError>
    where
        T: Send,
        D: PageDecoder<T>,
    {
        let mut report = DetailsReport {
            method: "query",
            ..DetailsReport::default()
        };
        // Where the query starts: the window's start, unless jobs fetched its beginning.
        let mut query_from = start;
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
            // Where jobs stop: the window's end when the lake has it all; else, where allowed,
            // the lake's last midnight. Jobs select by activity in their interval, so every
            // conversation that started before the cut is in them; the query after it selects
            // by start (the day touched, in some readings of the reference: hence a UTC
            // midnight), and a conversation found by both is admitted once.
            let jobs_until = match available {
                Some(available) if available >= end => Some(end),
                Some(available) if self.api.split_at_lake => {
                    Some(utc_midnight(available)).filter(|cut| *cut > start && *cut < end)
                }
                _ => None,
            };
            match jobs_until {
                Some(until) => {
                    report.method = "jobs";
                    self.split_windows(start, until, &mut report, |a, b| {
                        self.job_window(a, b, decode, &pages)
                    })
                    .await?;
                    if until == end {
                        return Ok(report);
                    }
                    tracing::info!(%start, %end, query_from = %until, "The data lake ends within the window: async jobs up to its last midnight, the details query after.");
                    report.query_from = Some(until);
                    query_from = until;
                }
                None => {
                    let reason = match available {
                        Some(d) => format!("the data lake has data until {d} only"),
                        None => "the data lake did not say how far it has data".to_string(),
                    };
                    tracing::info!(%start, %end, reason = %reason, "Using the details query instead of an async job.");
                    report.fallback = Some(reason);
                }
            }
        }
        self.split_windows(query_from, end, &mut report, |a, b| {
            self.query_window(a, b, decode, &pages)
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

    /// The query's pages of `[a, b)`, in order, into `pages`. The first page's `totalHits` says
    /// how many follow; those are asked for `pages_at_once` at a time and handed on in page order,
    /// so that the rows are what paging one by one would give.
    async fn query_window<T, D>(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        decode: &D,
        pages: &mpsc::Sender<T>,
    ) -> Result<u32, WindowError>
    where
        T: Send,
        D: PageDecoder<T>,
    {
        let size = self.settings.page_size.max(1);
        // The last page inside the result window (`pageSize × pageNumber` ≤ the cap).
        let last_allowed = self.settings.result_cap / size;
        let mut next = 1u64;
        let mut total_hits: Option<u64> = None;
        loop {
            if next > last_allowed {
                return Err(WindowError::TooLarge);
            }
            // The pages the latest total calls for (just the next one while it is unknown).
            let until = total_hits.map_or(next, |t| t.div_ceil(size).clamp(next, last_allowed));
            let mut answers = futures_util::stream::iter(next..=until)
                .map(|number| async move { (number, self.query_page(a, b, number, decode).await) })
                .buffered(self.pages_at_once.max(1));
            while let Some((number, page)) = answers.next().await {
                let page = page?;
                let total = page.total_hits.ok_or_else(|| {
                    WindowError::Api(ApiError::Malformed {
                        method: "POST".into(),
                        path: self.api.query_path.into(),
                        reason:
                            "a details page without totalHits: cannot tell where the results end"
                                .into(),
                        truncated: false,
                    })
                })?;
                if number == 1 && total > self.settings.result_cap {
                    return Err(WindowError::TooLarge);
                }
                let n = page.results;
                if n > 0 {
                    pages
                        .send(page.out)
                        .await
                        .map_err(|_| WindowError::Api(closed_channel()))?;
                }
                // totalHits moves while a day still receives traffic: stop on a short page, or
                // when the latest total is covered (pages asked for beyond it are dropped).
                if n < size || size * number >= total {
                    return Ok(0);
                }
                total_hits = Some(total);
            }
            next = until + 1;
        }
    }

    /// Page `number` of the query for `[a, b)`, as `decode` reads it.
    async fn query_page<T, D>(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        number: u64,
        decode: &D,
    ) -> Result<DecodedPage<T>, ApiError>
    where
        D: PageDecoder<T>,
    {
        let mut body = self.body.clone();
        body.insert("interval".into(), Value::String(genesys_interval(a, b)));
        body.insert(
            "paging".into(),
            serde_json::json!({"pageSize": self.settings.page_size.max(1), "pageNumber": number}),
        );
        self.client
            .post_decoded(self.api.query_path, &Value::Object(body), decode)
            .await
    }

    async fn job_window<T, D>(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        decode: &D,
        pages: &mpsc::Sender<T>,
    ) -> Result<u32, WindowError>
    where
        T: Send,
        D: PageDecoder<T>,
    {
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
                Ok(None) => match self.read_job(&job_path, decode, pages).await {
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

    async fn read_job<T, D>(
        &self,
        job_path: &str,
        decode: &D,
        pages: &mpsc::Sender<T>,
    ) -> Result<(), WindowError>
    where
        T: Send,
        D: PageDecoder<T>,
    {
        let results = format!("{job_path}/results");
        let mut cursor: Option<String> = None;
        let mut received = 0u64;
        loop {
            let mut query = vec![("pageSize", self.settings.job_page_size.to_string())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let page = self.client.get_decoded(&results, &query, decode).await?;
            received += page.results;
            // More than one job may return (`details_job_result_cap`): the window is too large
            // even if this API did not refuse it; what was read is deduplicated downstream.
            if received > self.settings.job_result_cap {
                return Err(WindowError::TooLarge);
            }
            if page.results > 0 {
                pages
                    .send(page.out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_results_read_user_details_pages_and_say_what_is_wrong() {
        let owned = owned_results::<Value>(br#"{"userDetails": [{"userId": "u"}], "cursor": "c"}"#)
            .unwrap();
        assert_eq!((owned.results, owned.cursor.as_deref()), (1, Some("c")));
        let empty = owned_results::<Value>(br#"{"totalHits": 0}"#).unwrap();
        assert_eq!((empty.results, empty.total_hits), (0, Some(0)));
        let e = owned_results::<Value>(br#"{"userDetails": [{"userId": "u"#).unwrap_err();
        assert!(e.is_eof(), "{e}");
        // Invalid UTF-8 is an error that says where.
        let e = owned_results::<Value>(b"{\"userDetails\": [{\"userId\": \"\xff\"}]}").unwrap_err();
        assert!(e.is_syntax() && e.to_string().contains("invalid unicode"), "{e}");
    }
}
