//! `agent_status` from user details (reference/genesys.md §2.4, genesys-entities.md §12): each
//! agent's `primaryPresence` and `routingStatus` records of the slice's day — from the query
//! (paged by `paging.pageNumber` until `totalHits` users are covered) or from async jobs (paged
//! by cursor), through the same fetcher as conversation details — cut into status intervals and
//! clipped to the day by [`StatusTimeline`] (whether the API clips records at the interval edges
//! is unverified, so ccetl clips itself).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::details::{DetailsFetcher, DetailsSettings, USERS, owned_results};
use super::rows::instant;
use crate::http::ApiClient;
use crate::sources::{RowSender, SliceReport, SliceRequest, SourceError};
use crate::transform::TransformError;
use crate::transform::agent_status::{StatusRecord, StatusTimeline};

/// One user's records, as the query and the job results list them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    user_id: String,
    #[serde(default)]
    primary_presence: Vec<Record>,
    #[serde(default)]
    routing_status: Vec<Record>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    start_time: String,
    end_time: Option<String>,
    system_presence: Option<String>,
    organization_presence_id: Option<String>,
    routing_status: Option<String>,
}

impl Record {
    fn read(self) -> Result<StatusRecord, TransformError> {
        Ok(StatusRecord {
            start: instant("startTime", &self.start_time)?,
            end: self
                .end_time
                .as_deref()
                .map(|t| instant("endTime", t))
                .transpose()?,
            system_presence: self.system_presence,
            organization_presence_id: self.organization_presence_id,
            routing_status: self.routing_status,
        })
    }
}

/// Fetches one day of user details — by the query (pages of `details_page_size` users), or by
/// async jobs for dates at least `details_jobs_after_days` old, as for conversations — and hands
/// over its `agent_status` rows, agent by agent.
pub async fn fetch(
    client: &ApiClient,
    settings: &DetailsSettings,
    slice: &SliceRequest,
    rows: &RowSender,
) -> Result<SliceReport, SourceError> {
    let use_jobs = settings.by_jobs(slice.date, slice.today);
    let body = serde_json::Map::from_iter([("order".to_string(), json!("asc"))]);
    let fetcher = DetailsFetcher {
        api: &USERS,
        client,
        settings,
        body: &body,
        pages_at_once: 1,
    };
    let (tx, mut pages) = mpsc::channel::<Vec<UserDetail>>(4);
    let producer = fetcher.fetch(slice.start, slice.end, use_jobs, &owned_results, tx);
    // A user's records may come on several pages (and windows): gathered before the cut. The
    // consumer owns the receiver: when it stops, the producer's next send fails.
    let consumer = async move {
        let mut timelines: BTreeMap<String, StatusTimeline> = BTreeMap::new();
        let mut records = 0u64;
        while let Some(page) = pages.recv().await {
            for detail in page {
                let timeline = timelines.entry(detail.user_id).or_default();
                for r in detail.primary_presence {
                    records += 1;
                    timeline.presence(r.read()?);
                }
                for r in detail.routing_status {
                    records += 1;
                    timeline.routing(r.read()?);
                }
            }
        }
        Ok::<_, TransformError>((timelines, records))
    };
    let (produced, consumed) = tokio::join!(producer, consumer);
    let (timelines, records) = consumed?;
    let report = produced?;
    let fetched_at = chrono::Utc::now();
    let mut ongoing = 0u64;
    for (user, timeline) in timelines {
        let agent_rows = timeline.rows(&user, slice.start, slice.end, fetched_at);
        ongoing += agent_rows.iter().filter(|r| r.ongoing).count() as u64;
        rows.send(agent_rows).await?;
    }
    let mut provisional = Vec::new();
    if ongoing > 0 {
        provisional.push(format!(
            "{ongoing} status(es) were still going on (fetched again by a later run)"
        ));
    }
    let mut details = report.details();
    details.insert("records_received".to_string(), records.into());
    Ok(SliceReport {
        days: Default::default(),
        details,
        skipped: BTreeMap::new(),
        provisional,
    })
}
