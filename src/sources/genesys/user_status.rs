//! `agent_status` from user details (reference/genesys.md §2.4, genesys-entities.md §12): each
//! agent's `primaryPresence` and `routingStatus` records of the slice's day, paged by
//! `paging.pageNumber` until `totalHits` users are covered, cut into status intervals and clipped
//! to the day by [`StatusTimeline`] (whether the API clips records at the interval edges is
//! unverified, so ccetl clips itself).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::queries::genesys_interval;
use super::rows::instant;
use crate::http::ApiClient;
use crate::sources::{RowSender, SliceReport, SliceRequest, SourceError};
use crate::transform::TransformError;
use crate::transform::agent_status::{StatusRecord, StatusTimeline};

/// `POST` the user details query.
pub const USER_DETAILS_PATH: &str = "/api/v2/analytics/users/details/query";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserDetailsPage {
    #[serde(default)]
    user_details: Vec<UserDetail>,
    total_hits: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserDetail {
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

/// Fetches one day of user details, `page_size` users a page (the details page size: 100 by
/// default, what the peers use; the API's maximum is unverified), and hands over its
/// `agent_status` rows, agent by agent.
pub async fn fetch(
    client: &ApiClient,
    slice: &SliceRequest,
    page_size: u64,
    rows: &RowSender,
) -> Result<SliceReport, SourceError> {
    let mut timelines: BTreeMap<String, StatusTimeline> = BTreeMap::new();
    let (mut page_number, mut pages, mut records) = (1u64, 0u64, 0u64);
    loop {
        let body = json!({
            "interval": genesys_interval(slice.start, slice.end),
            "order": "asc",
            "paging": {"pageSize": page_size, "pageNumber": page_number},
        });
        let page: UserDetailsPage = client.post_json(USER_DETAILS_PATH, &body).await?;
        pages += 1;
        let n = page.user_details.len() as u64;
        // A user's records may come on several pages: they are gathered before the cut.
        for detail in page.user_details {
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
        let covered = page
            .total_hits
            .map_or(n < page_size, |total| page_number * page_size >= total);
        if n == 0 || covered {
            break;
        }
        page_number += 1;
    }
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
    Ok(SliceReport {
        details: BTreeMap::from([
            ("method".to_string(), Value::from("users/details/query")),
            ("pages".to_string(), pages.into()),
            ("records_received".to_string(), records.into()),
        ]),
        skipped: BTreeMap::new(),
        provisional,
    })
}
