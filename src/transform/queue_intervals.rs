//! `queue_intervals`: one row per queue × media type × interval (30 minutes by default).
//!
//! Counts are conversations; each duration statistic comes as count, sum, min and max in seconds.
//! A statistic a source does not report is null; one that did not occur in an interval has count
//! 0, sum 0 and a null min/max. Sources fill the rows; this file only declares them.

use chrono::{DateTime, Utc};

crate::declare_rows! {
    /// One row of `queue_intervals`.
    pub struct QueueIntervalRow {
        interval_start: DateTime<Utc> =>
            "Start of the interval (UTC).",
        interval_end: DateTime<Utc> =>
            "End of the interval (UTC), exclusive.",
        queue_id: Option<String> =>
            "Queue id (null: not routed through a queue).",
        media_type: Option<String> =>
            "Media type: voice, chat, email, message, callback, ….",
        offered: Option<i64> =>
            "Conversations offered to the queue.",
        transferred: Option<i64> =>
            "Conversations transferred out.",
        answer_count: Option<i64> =>
            "Conversations answered.",
        answer_seconds_sum: Option<f64> =>
            "Total time from entering the queue to being answered, seconds.",
        answer_seconds_min: Option<f64> =>
            "Shortest time from entering the queue to being answered, seconds (null when count is 0).",
        answer_seconds_max: Option<f64> =>
            "Longest time from entering the queue to being answered, seconds (null when count is 0).",
        abandon_count: Option<i64> =>
            "Conversations abandoned in queue.",
        abandon_seconds_sum: Option<f64> =>
            "Total time before the customer hung up, seconds.",
        abandon_seconds_min: Option<f64> =>
            "Shortest time before the customer hung up, seconds (null when count is 0).",
        abandon_seconds_max: Option<f64> =>
            "Longest time before the customer hung up, seconds (null when count is 0).",
        wait_count: Option<i64> =>
            "Conversations waited in queue (answered, abandoned or flowed out).",
        wait_seconds_sum: Option<f64> =>
            "Total time waiting, seconds.",
        wait_seconds_min: Option<f64> =>
            "Shortest time waiting, seconds (null when count is 0).",
        wait_seconds_max: Option<f64> =>
            "Longest time waiting, seconds (null when count is 0).",
        talk_count: Option<i64> =>
            "Conversations talk segments.",
        talk_seconds_sum: Option<f64> =>
            "Total time talking, seconds.",
        talk_seconds_min: Option<f64> =>
            "Shortest time talking, seconds (null when count is 0).",
        talk_seconds_max: Option<f64> =>
            "Longest time talking, seconds (null when count is 0).",
        hold_count: Option<i64> =>
            "Conversations put on hold.",
        hold_seconds_sum: Option<f64> =>
            "Total time on hold, seconds.",
        hold_seconds_min: Option<f64> =>
            "Shortest time on hold, seconds (null when count is 0).",
        hold_seconds_max: Option<f64> =>
            "Longest time on hold, seconds (null when count is 0).",
        acw_count: Option<i64> =>
            "Conversations after-call work.",
        acw_seconds_sum: Option<f64> =>
            "Total time in wrap-up, seconds.",
        acw_seconds_min: Option<f64> =>
            "Shortest time in wrap-up, seconds (null when count is 0).",
        acw_seconds_max: Option<f64> =>
            "Longest time in wrap-up, seconds (null when count is 0).",
        handle_count: Option<i64> =>
            "Conversations handled.",
        handle_seconds_sum: Option<f64> =>
            "Total talk + hold + after-call work, seconds.",
        handle_seconds_min: Option<f64> =>
            "Shortest talk + hold + after-call work, seconds (null when count is 0).",
        handle_seconds_max: Option<f64> =>
            "Longest talk + hold + after-call work, seconds (null when count is 0).",
        extra: Option<String> =>
            "JSON object with what the response had beyond these columns: other group dimensions, other metrics, other statistics, views. Null when nothing.",
    }
}

/// The duration statistics of `queue_intervals`, each a group of four columns
/// (`<prefix>_count`, `<prefix>_seconds_sum`, `_min`, `_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueDuration {
    /// `answer_*`: entering the queue to being answered.
    Answer,
    /// `abandon_*`: waiting until the customer hung up.
    Abandon,
    /// `wait_*`: time in queue.
    Wait,
    /// `talk_*`: talking.
    Talk,
    /// `hold_*`: on hold.
    Hold,
    /// `acw_*`: after-call work.
    Acw,
    /// `handle_*`: talk + hold + after-call work.
    Handle,
}

impl QueueDuration {
    /// Every duration group, in column order.
    pub const ALL: [QueueDuration; 7] = [
        QueueDuration::Answer,
        QueueDuration::Abandon,
        QueueDuration::Wait,
        QueueDuration::Talk,
        QueueDuration::Hold,
        QueueDuration::Acw,
        QueueDuration::Handle,
    ];
}

/// One duration statistic: count, and sum, min and max in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DurationStats {
    /// Occurrences.
    pub count: Option<i64>,
    /// Total, seconds.
    pub sum_seconds: Option<f64>,
    /// Shortest, seconds.
    pub min_seconds: Option<f64>,
    /// Longest, seconds.
    pub max_seconds: Option<f64>,
}

impl DurationStats {
    /// Nothing occurred: count 0, sum 0, no min or max.
    pub const ZERO: DurationStats = DurationStats {
        count: Some(0),
        sum_seconds: Some(0.0),
        min_seconds: None,
        max_seconds: None,
    };

    /// Only a count and a sum (sources that report no extremes).
    pub fn count_and_sum(count: Option<i64>, sum_seconds: Option<f64>) -> Self {
        Self {
            count,
            sum_seconds,
            min_seconds: None,
            max_seconds: None,
        }
    }
}

impl QueueIntervalRow {
    /// Sets one duration group's four columns.
    pub fn set_duration(&mut self, which: QueueDuration, stats: DurationStats) {
        let DurationStats {
            count,
            sum_seconds,
            min_seconds,
            max_seconds,
        } = stats;
        let (c, s, lo, hi) = match which {
            QueueDuration::Answer => (
                &mut self.answer_count,
                &mut self.answer_seconds_sum,
                &mut self.answer_seconds_min,
                &mut self.answer_seconds_max,
            ),
            QueueDuration::Abandon => (
                &mut self.abandon_count,
                &mut self.abandon_seconds_sum,
                &mut self.abandon_seconds_min,
                &mut self.abandon_seconds_max,
            ),
            QueueDuration::Wait => (
                &mut self.wait_count,
                &mut self.wait_seconds_sum,
                &mut self.wait_seconds_min,
                &mut self.wait_seconds_max,
            ),
            QueueDuration::Talk => (
                &mut self.talk_count,
                &mut self.talk_seconds_sum,
                &mut self.talk_seconds_min,
                &mut self.talk_seconds_max,
            ),
            QueueDuration::Hold => (
                &mut self.hold_count,
                &mut self.hold_seconds_sum,
                &mut self.hold_seconds_min,
                &mut self.hold_seconds_max,
            ),
            QueueDuration::Acw => (
                &mut self.acw_count,
                &mut self.acw_seconds_sum,
                &mut self.acw_seconds_min,
                &mut self.acw_seconds_max,
            ),
            QueueDuration::Handle => (
                &mut self.handle_count,
                &mut self.handle_seconds_sum,
                &mut self.handle_seconds_min,
                &mut self.handle_seconds_max,
            ),
        };
        (*c, *s, *lo, *hi) = (count, sum_seconds, min_seconds, max_seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::Dataset;

    #[test]
    fn the_schema_is_the_declared_contract() {
        let schema = Dataset::QueueIntervals.schema();
        let listing: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| {
                format!(
                    "{} {}{}",
                    f.name(),
                    f.data_type(),
                    if f.is_nullable() { "" } else { " NOT NULL" }
                )
            })
            .collect();
        insta::assert_snapshot!(listing.join("\n"));
    }

    #[test]
    fn every_duration_group_sets_its_own_columns() {
        for (i, which) in QueueDuration::ALL.iter().enumerate() {
            let mut row = QueueIntervalRow::default();
            row.set_duration(
                *which,
                DurationStats {
                    count: Some(i as i64 + 1),
                    sum_seconds: Some(1.5),
                    min_seconds: Some(0.5),
                    max_seconds: Some(1.0),
                },
            );
            let counts = [
                row.answer_count,
                row.abandon_count,
                row.wait_count,
                row.talk_count,
                row.hold_count,
                row.acw_count,
                row.handle_count,
            ];
            let set: Vec<usize> = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_some())
                .map(|(j, _)| j)
                .collect();
            assert_eq!(set, vec![i], "{which:?}");
            assert_eq!(counts[i], Some(i as i64 + 1));
        }
    }
}
