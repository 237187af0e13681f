//! Query bodies users can edit (`queries/genesys/*.json`). The pipeline fills in `interval` and
//! `timeZone` per slice and sends the rest as written, so adding a filter or a metric needs no
//! code change. The built-in copies are compiled from the repository's `queries/` folder.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::ConfigError;

/// The built-in `queue_intervals.json`.
pub const QUEUE_INTERVALS_BUILTIN: &str =
    include_str!("../../../queries/genesys/queue_intervals.json");

/// Query files that feed a named dataset; every other `*.json` is a `metrics` query.
pub const DATASET_QUERIES: &[&str] = &[
    "queue_intervals",
    "contacts",
    "agent_presence",
    "agent_conversations",
];

/// The built-in `metrics` queries: (name, body).
pub const METRICS_BUILTIN: &[(&str, &str)] = &[(
    "handle_by_wrapup",
    include_str!("../../../queries/genesys/handle_by_wrapup.json"),
)];

/// Metrics that only the users aggregates query knows.
pub const USER_METRICS: &[&str] = &[
    "tSystemPresence",
    "tOrganizationPresence",
    "tAgentRoutingStatus",
];

/// Every metric name the reference lists for the aggregates queries (genesys.md §2.4: the Java
/// SDK's `MetricsEnum`, the additions of SDK v269, and the users aggregates metrics). Genesys adds
/// metrics with each release, so `ccetl queries` reports a name outside this list, and planning
/// does not refuse it.
pub const KNOWN_METRICS: &[&str] = &[
    "nBlindTransferred", "nBotInteractions", "nCobrowseSessions", "nConnected", "nConsult",
    "nConsultTransferred", "nError", "nOffered", "nOutbound", "nOutboundAbandoned",
    "nOutboundAttempted", "nOutboundConnected", "nOverSla", "nStateTransitionError",
    "nTransferred", "oExternalMediaCount", "oMediaCount", "oMessageCount", "oMessageSegmentCount",
    "oMessageTurn", "oServiceLevel", "oServiceTarget", "tAbandon", "tAcd", "tActiveCallback",
    "tActiveCallbackComplete", "tAcw", "tAgentResponseTime", "tAlert", "tAnswered",
    "tAverageAgentResponseTime", "tAverageCustomerResponseTime", "tBarging", "tCoaching",
    "tCoachingComplete", "tConnected", "tContacting", "tDialing", "tFirstConnect", "tFirstDial",
    "tFirstEngagement", "tFirstResponse", "tFlowOut", "tHandle", "tHeld", "tHeldComplete", "tIvr",
    "tMonitoring", "tMonitoringComplete", "tNotResponding", "tPark", "tParkComplete",
    "tShortAbandon", "tTalk", "tTalkComplete", "tUserResponseTime", "tVoicemail", "tWait",
    "nAgentDeclined", "nAlertExpired", "nCallbackAttempts", "nCallbackOverSla",
    "nCallbackScheduled", "nCfcOffered", "nConversations", "nTakeover", "oAudioMessageCount",
    "oCallbackServiceLevel", "oExternalAudioMessageCount", "oSkillExpressionApplications",
    "tAgentVideoConnected", "tCallbackAbandon", "tCallbackConnect", "tCallbackNotReached",
    "tCallbackVirtualWait", "tCfcAbandon", "tCfcAcd", "tCfcAnswered", "tCfcFlowOut",
    "tScreenMonitoring", "tSnippetRecord", "tTransmitting", "tSystemPresence",
    "tOrganizationPresence", "tAgentRoutingStatus",
];

/// What `ccetl queries` found in one folder (or the built-ins): every file checked on its own,
/// so one bad file does not hide the others.
#[derive(Debug, Default)]
pub struct QueryCheck {
    /// One line per valid aggregates query: (query, dataset it feeds).
    pub aggregates: Vec<(AggregateQuery, &'static str)>,
    /// The `contacts` query, if valid.
    pub contacts: Option<QueryFile>,
    /// What is wrong, one entry per problem (file and message).
    pub problems: Vec<String>,
    /// What the reader should know (built-in queries a folder hides).
    pub notes: Vec<String>,
}

/// Checks every query of `dir` (or the built-ins), each on its own.
pub fn check_queries(dir: Option<&Path>) -> QueryCheck {
    let mut check = QueryCheck::default();
    let aggregates: [(&str, &str, &'static str, &[&str]); 3] = [
        (
            "queue_intervals",
            QUEUE_INTERVALS_BUILTIN,
            "queue_intervals",
            &["queueId", "mediaType"],
        ),
        (
            "agent_presence",
            AGENT_PRESENCE_BUILTIN,
            "agent_intervals",
            &["userId"],
        ),
        (
            "agent_conversations",
            AGENT_CONVERSATIONS_BUILTIN,
            "agent_intervals",
            &["userId"],
        ),
    ];
    for (name, builtin, feeds, grain) in aggregates {
        match AggregateQuery::load(dir, name, builtin)
            .and_then(|q| q.require_group_by(grain).map(|_| q))
        {
            Ok(q) => check.aggregates.push((q, feeds)),
            Err(e) => check.problems.push(e.to_string()),
        }
    }
    match QueryFile::load(dir, "contacts", CONTACTS_BUILTIN) {
        Ok(q) => check.contacts = Some(q),
        Err(e) => check.problems.push(e.to_string()),
    }
    match dir {
        None => {
            for (name, text) in METRICS_BUILTIN {
                match AggregateQuery::parse(
                    name,
                    text,
                    &format!("built-in queries/genesys/{name}.json"),
                ) {
                    Ok(q) => check.aggregates.push((q, "metrics")),
                    Err(e) => check.problems.push(e.to_string()),
                }
            }
        }
        Some(dir) => {
            let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(dir) {
                Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
                Err(e) => {
                    check
                        .problems
                        .push(format!("queries_dir: cannot list {}: {e}", dir.display()));
                    Vec::new()
                }
            };
            files.sort();
            for path in files {
                let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                if path.extension().and_then(|e| e.to_str()) != Some("json")
                    || DATASET_QUERIES.contains(&name)
                {
                    continue;
                }
                let parsed = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))
                    .and_then(|text| {
                        AggregateQuery::parse(name, &text, &path.display().to_string())
                            .map_err(|e| e.to_string())
                    });
                match parsed {
                    Ok(q) => check.aggregates.push((q, "metrics")),
                    Err(e) => check.problems.push(e),
                }
            }
            for (name, _) in METRICS_BUILTIN {
                if !dir.join(format!("{name}.json")).exists() {
                    check.notes.push(format!(
                        "{} has no {name}.json: the built-in metrics query {name} does not run for this source (copy queries/genesys/{name}.json there to keep it)",
                        dir.display()
                    ));
                }
            }
        }
    }
    for (q, _) in &check.aggregates {
        if let Err(e) = q.endpoint() {
            check.problems.push(e.to_string());
        }
        for metric in q.metrics() {
            if !KNOWN_METRICS.contains(&metric) {
                check.problems.push(format!(
                    "{}: unknown metric {metric:?}: not among the {} metrics the API reference lists (a typo? if Genesys added it since, the query still runs)",
                    q.origin,
                    KNOWN_METRICS.len()
                ));
            }
        }
    }
    check
}

/// Which aggregates endpoint a query goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateEndpoint {
    /// `POST /api/v2/analytics/conversations/aggregates/query`.
    Conversations,
    /// `POST /api/v2/analytics/users/aggregates/query`.
    Users,
}

impl AggregateEndpoint {
    /// The request path.
    pub fn path(self) -> &'static str {
        match self {
            AggregateEndpoint::Conversations => "/api/v2/analytics/conversations/aggregates/query",
            AggregateEndpoint::Users => "/api/v2/analytics/users/aggregates/query",
        }
    }
}

/// Every `metrics` query: the `*.json` files of `dir` not named after a dataset, or the built-in
/// ones when `dir` is `None`. Sorted by name.
pub fn metrics_queries(dir: Option<&Path>) -> Result<Vec<AggregateQuery>, ConfigError> {
    let mut queries = Vec::new();
    match dir {
        None => {
            for (name, text) in METRICS_BUILTIN {
                queries.push(AggregateQuery::parse(
                    name,
                    text,
                    &format!("built-in queries/genesys/{name}.json"),
                )?);
            }
        }
        Some(dir) => {
            let entries = std::fs::read_dir(dir).map_err(|e| ConfigError::Value {
                key: "queries_dir".into(),
                message: format!("cannot list {}: {e}", dir.display()),
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .map(str::to_string)
                else {
                    continue;
                };
                if path.extension().and_then(|e| e.to_str()) != Some("json")
                    || DATASET_QUERIES.contains(&name.as_str())
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Value {
                    key: "queries_dir".into(),
                    message: format!("cannot read {}: {e}", path.display()),
                })?;
                queries.push(AggregateQuery::parse(
                    &name,
                    &text,
                    &path.display().to_string(),
                )?);
            }
        }
    }
    for q in &queries {
        q.endpoint()?;
    }
    queries.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(queries)
}

/// The built-in `agent_presence.json` (users aggregates).
pub const AGENT_PRESENCE_BUILTIN: &str =
    include_str!("../../../queries/genesys/agent_presence.json");
/// The built-in `agent_conversations.json` (conversation aggregates by userId).
pub const AGENT_CONVERSATIONS_BUILTIN: &str =
    include_str!("../../../queries/genesys/agent_conversations.json");

/// The built-in `contacts.json` (details query: order and filters).
pub const CONTACTS_BUILTIN: &str = include_str!("../../../queries/genesys/contacts.json");

/// A query body read from `queries/<vendor>/<name>.json`: a JSON object and its fingerprint.
#[derive(Debug, Clone)]
pub struct QueryFile {
    name: String,
    origin: String,
    body: Map<String, Value>,
    fingerprint: String,
}

impl QueryFile {
    /// Loads `<dir>/<name>.json`, or the built-in text when `dir` is `None` or has no such file.
    pub fn load(dir: Option<&Path>, name: &str, builtin: &str) -> Result<Self, ConfigError> {
        // A file in `dir` overrides the built-in body; without one the built-in is used.
        let dir = dir.filter(|d| d.join(format!("{name}.json")).exists());
        let (text, origin) = match dir {
            Some(dir) => {
                let path = dir.join(format!("{name}.json"));
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Value {
                    key: "queries_dir".into(),
                    message: format!("cannot read {}: {e}", path.display()),
                })?;
                (text, path.display().to_string())
            }
            None => (
                builtin.to_string(),
                format!("built-in queries/genesys/{name}.json"),
            ),
        };
        Self::parse(name, &text, &origin)
    }

    /// Parses a body; `origin` names it in errors.
    pub fn parse(name: &str, text: &str, origin: &str) -> Result<Self, ConfigError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Value {
            key: origin.to_string(),
            message: format!("not valid JSON: {e}"),
        })?;
        let Value::Object(body) = value else {
            return Err(ConfigError::Value {
                key: origin.to_string(),
                message: "the query must be a JSON object".into(),
            });
        };
        let canonical = serde_json::to_string(&body).unwrap_or_default();
        let fingerprint = crate::transform::hex(&Sha256::digest(canonical.as_bytes())[..8]);
        Ok(Self {
            name: name.to_string(),
            origin: origin.to_string(),
            body,
            fingerprint,
        })
    }

    /// The file stem.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The body as written.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// A short hash of the body, recorded in partition manifests.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// An aggregates query body, validated at planning time.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    name: String,
    origin: String,
    body: Map<String, Value>,
    fingerprint: String,
}

impl AggregateQuery {
    /// Loads `<dir>/<name>.json`, or the built-in text when `dir` is `None`.
    pub fn load(dir: Option<&Path>, name: &str, builtin: &str) -> Result<Self, ConfigError> {
        Self::validate(QueryFile::load(dir, name, builtin)?)
    }

    /// Parses a query body; `origin` names it in errors.
    pub fn parse(name: &str, text: &str, origin: &str) -> Result<Self, ConfigError> {
        Self::validate(QueryFile::parse(name, text, origin)?)
    }

    fn validate(file: QueryFile) -> Result<Self, ConfigError> {
        let origin = file.origin.clone();
        let invalid = |message: &str| ConfigError::Value {
            key: origin.clone(),
            message: message.to_string(),
        };
        let metrics = file
            .body
            .get("metrics")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("`metrics` must be a list of metric names"))?;
        if metrics.is_empty() || !metrics.iter().all(Value::is_string) {
            return Err(invalid(
                "`metrics` must be a non-empty list of metric names",
            ));
        }
        if let Some(g) = file.body.get("granularity")
            && !g.is_string()
        {
            return Err(invalid(
                "`granularity` must be an ISO-8601 duration such as \"PT30M\"",
            ));
        }
        Ok(Self {
            name: file.name,
            origin: file.origin,
            body: file.body,
            fingerprint: file.fingerprint,
        })
    }

    /// The endpoint, from the metrics: presence and routing-status metrics go to the users
    /// aggregates query, all others to the conversation aggregates query; a mix is an error.
    pub fn endpoint(&self) -> Result<AggregateEndpoint, ConfigError> {
        let metrics: Vec<&str> = self.metrics();
        let users = metrics.iter().filter(|m| USER_METRICS.contains(m)).count();
        match users {
            0 => Ok(AggregateEndpoint::Conversations),
            n if n == metrics.len() => Ok(AggregateEndpoint::Users),
            _ => Err(ConfigError::Value {
                key: self.origin.clone(),
                message: format!(
                    "mixes user metrics ({}) with conversation metrics; they are different queries: split the file",
                    USER_METRICS.join(", ")
                ),
            }),
        }
    }

    /// The metric names.
    pub fn metrics(&self) -> Vec<&str> {
        self.body
            .get("metrics")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The `groupBy` dimensions.
    pub fn group_by(&self) -> Vec<&str> {
        self.body
            .get("groupBy")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The granularity, if set.
    pub fn granularity(&self) -> Option<&str> {
        self.body.get("granularity").and_then(Value::as_str)
    }

    /// Requires `groupBy` to contain each of `dims` (the dataset's grain).
    pub fn require_group_by(&self, dims: &[&str]) -> Result<(), ConfigError> {
        let group_by: Vec<&str> = self
            .body
            .get("groupBy")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for dim in dims {
            if !group_by.contains(dim) {
                return Err(ConfigError::Value {
                    key: self.origin.clone(),
                    message: format!("`groupBy` must include \"{dim}\" (the dataset's grain)"),
                });
            }
        }
        Ok(())
    }

    /// The query's name (file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A short hash of the body, recorded in partition manifests.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The body to send for one slice.
    pub fn body_for(&self, start: DateTime<Utc>, end: DateTime<Utc>, time_zone: &str) -> Value {
        let mut body = self.body.clone();
        body.insert(
            "interval".into(),
            Value::String(genesys_interval(start, end)),
        );
        body.insert("timeZone".into(), Value::String(time_zone.to_string()));
        Value::Object(body)
    }
}

/// `2026-11-20T00:00:00.000Z/2026-11-21T00:00:00.000Z`.
pub fn genesys_interval(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "{}/{}",
        start.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        end.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_builtin_queue_intervals_query_is_valid() {
        let q = AggregateQuery::load(None, "queue_intervals", QUEUE_INTERVALS_BUILTIN).unwrap();
        q.require_group_by(&["queueId", "mediaType"]).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
        let body = q.body_for(start, end, "Europe/Berlin");
        assert_eq!(
            body["interval"],
            "2026-11-20T00:00:00.000Z/2026-11-21T00:00:00.000Z"
        );
        assert_eq!(body["timeZone"], "Europe/Berlin");
        assert_eq!(body["granularity"], "PT30M");
        let metrics: Vec<&str> = body["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m.as_str())
            .collect();
        for m in [
            "nOffered",
            "tAnswered",
            "tAbandon",
            "tHandle",
            "tTalk",
            "tHeld",
            "tAcw",
            "tWait",
            "nTransferred",
        ] {
            assert!(metrics.contains(&m), "{m}");
        }
    }

    #[test]
    fn broken_queries_are_config_errors() {
        assert!(AggregateQuery::parse("q", "{", "q.json").is_err());
        assert!(AggregateQuery::parse("q", "[]", "q.json").is_err());
        assert!(AggregateQuery::parse("q", r#"{"metrics": []}"#, "q.json").is_err());
        let q = AggregateQuery::parse(
            "q",
            r#"{"metrics": ["nOffered"], "groupBy": ["mediaType"]}"#,
            "q.json",
        )
        .unwrap();
        assert!(q.require_group_by(&["queueId"]).is_err());
    }

    #[test]
    fn several_days_a_query_need_every_granularity_to_divide_an_hour() {
        let mut queries = GenesysQueries::load(None).unwrap();
        queries.check_days_apart().unwrap();
        for (granularity, ok) in [
            (Some("PT15M"), true),
            (Some("PT30M"), true),
            (Some("PT1H"), true),
            (Some("PT45S"), true),
            (Some("PT2H"), false),
            (Some("PT1H30M"), false),
            (Some("PT7M"), false),
            (Some("PT0M"), false),
            (Some("PT0.5S"), false),
            (Some("P1D"), false),
            (Some("P1DT1H"), false),
            (Some("PT"), false),
            (Some("PT30"), false),
            (Some("PT30M15M"), false),
            (Some("pt30m"), false),
            (None, false),
        ] {
            let body = match granularity {
                Some(g) => format!(r#"{{"metrics": ["nOffered"], "granularity": "{g}"}}"#),
                None => r#"{"metrics": ["nOffered"]}"#.to_string(),
            };
            queries.metrics = vec![AggregateQuery::parse("daily", &body, "queries/daily.json").unwrap()];
            match queries.check_days_apart() {
                Ok(()) => assert!(ok, "{granularity:?} accepted"),
                Err(message) => {
                    assert!(!ok, "{granularity:?} refused: {message}");
                    assert!(
                        message.contains("queries/daily.json (metrics)")
                            && message.contains("aggregates_max_days = 1"),
                        "{message}"
                    );
                }
            }
        }
    }
}

/// Every query a Genesys source runs, loaded from one folder (files there override the built-in
/// ones) and validated together.
#[derive(Debug, Clone)]
pub struct GenesysQueries {
    /// `queue_intervals.json` (conversation aggregates by queue and media type).
    pub queue_intervals: AggregateQuery,
    /// `contacts.json` (details query: order and filters).
    pub contacts: QueryFile,
    /// `agent_presence.json` (users aggregates).
    pub agent_presence: AggregateQuery,
    /// `agent_conversations.json` (conversation aggregates by userId).
    pub agent_conversations: AggregateQuery,
    /// Every other `*.json`: the `metrics` dataset.
    pub metrics: Vec<AggregateQuery>,
}

impl GenesysQueries {
    /// Loads and validates the queries of `dir` (or the built-in ones).
    pub fn load(dir: Option<&Path>) -> Result<Self, ConfigError> {
        let queue_intervals =
            AggregateQuery::load(dir, "queue_intervals", QUEUE_INTERVALS_BUILTIN)?;
        queue_intervals.require_group_by(&["queueId", "mediaType"])?;
        let agent_presence = AggregateQuery::load(dir, "agent_presence", AGENT_PRESENCE_BUILTIN)?;
        agent_presence.require_group_by(&["userId"])?;
        if agent_presence.endpoint()? != AggregateEndpoint::Users {
            return Err(ConfigError::Value {
                key: agent_presence.origin.clone(),
                message: format!(
                    "agent_presence must ask for user metrics only ({})",
                    USER_METRICS.join(", ")
                ),
            });
        }
        let agent_conversations =
            AggregateQuery::load(dir, "agent_conversations", AGENT_CONVERSATIONS_BUILTIN)?;
        agent_conversations.require_group_by(&["userId"])?;
        agent_conversations.endpoint()?;
        queue_intervals.endpoint()?;
        Ok(Self {
            queue_intervals,
            contacts: QueryFile::load(dir, "contacts", CONTACTS_BUILTIN)?,
            agent_presence,
            agent_conversations,
            metrics: metrics_queries(dir)?,
        })
    }

    /// Whether every aggregates query can cover several days, its buckets then split by day:
    /// each must set a `granularity` that divides an hour (`PT15M`, `PT30M`, `PT1H`), so that no
    /// bucket spans a midnight, a DST change included. Without one, the API answers one bucket
    /// for the whole interval. The error names the query that cannot.
    pub fn check_days_apart(&self) -> Result<(), String> {
        for (query, dataset) in self.aggregates() {
            let granularity = query.granularity();
            let divides_an_hour = |seconds: f64| {
                seconds >= 1.0 && seconds.fract() == 0.0 && 3600 % (seconds as u64) == 0
            };
            if !granularity
                .and_then(|g| crate::sources::lenient::parse_iso_duration(g).ok())
                .is_some_and(divides_an_hour)
            {
                return Err(format!(
                    "aggregates over several days need each query's granularity to divide an hour (PT15M, PT30M, PT1H), so that no bucket spans midnight; {} ({dataset}) has {}: set aggregates_max_days = 1 or change its granularity",
                    query.origin,
                    granularity.map_or("none".to_string(), |g| format!("\"{g}\""))
                ));
            }
        }
        Ok(())
    }

    /// Every aggregates query, each with the dataset it feeds.
    pub fn aggregates(&self) -> Vec<(&AggregateQuery, &'static str)> {
        let mut all = vec![
            (&self.queue_intervals, "queue_intervals"),
            (&self.agent_presence, "agent_intervals"),
            (&self.agent_conversations, "agent_intervals"),
        ];
        all.extend(self.metrics.iter().map(|q| (q, "metrics")));
        all
    }
}
