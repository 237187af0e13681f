//! Business dates: which days a command covers, and the UTC interval of each day in a source's
//! time zone (23 or 25 hours on daylight-saving days).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

fn usage(message: String) -> crate::Error {
    crate::Error::Usage(message)
}

/// The longest range one backfill may cover, to catch typos like `--from 2016-…`.
pub const MAX_RANGE_DAYS: u64 = 3700;

/// Which dates to extract, as the command line said.
#[derive(Debug, Clone)]
pub enum DateSelection {
    /// `ccetl run`: one date (default yesterday in the source's time zone) plus `lookback_days`
    /// days before it.
    Run {
        /// The target date; `None` = yesterday.
        date: Option<NaiveDate>,
        /// Days before the target to fetch again; `None` = the configured value.
        lookback_days: Option<u32>,
    },
    /// `ccetl backfill`: an inclusive range.
    Range {
        /// First date.
        from: NaiveDate,
        /// Last date (inclusive).
        to: NaiveDate,
    },
}

/// The UTC interval `[start, end)` of a business date in a time zone (23 or 25 hours on
/// daylight-saving days).
pub fn day_interval(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = local_midnight(date, tz);
    let end = local_midnight(date + Days::new(1), tz);
    (start, end)
}

fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    // Where midnight does not exist (a DST gap at 00:00), the day starts at the first valid minute.
    for minutes in 0..=180u32 {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(minutes * 60, 0)
            .unwrap_or(NaiveTime::MIN);
        if let Some(t) = tz.from_local_datetime(&date.and_time(time)).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    date.and_time(NaiveTime::MIN).and_utc()
}

/// Resolves the dates of one source: ascending, none in the future, at most [`MAX_RANGE_DAYS`].
pub fn plan_dates(
    selection: &DateSelection,
    lookback_default: u32,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<NaiveDate>, crate::Error> {
    let today = now.with_timezone(&tz).date_naive();
    let (from, to) = match selection {
        DateSelection::Run {
            date,
            lookback_days,
        } => {
            let target = match date {
                Some(d) => *d,
                None => today
                    .pred_opt()
                    .ok_or_else(|| usage("cannot compute yesterday".into()))?,
            };
            let lookback = lookback_days.unwrap_or(lookback_default) as u64;
            let from = target
                .checked_sub_days(Days::new(lookback))
                .ok_or_else(|| usage("--lookback-days goes before the calendar starts".into()))?;
            (from, target)
        }
        DateSelection::Range { from, to } => {
            if from > to {
                return Err(usage(format!(
                    "--from {from} is after --to {to}: the range is inclusive, so give the earlier date first"
                )));
            }
            (*from, *to)
        }
    };
    if to > today {
        return Err(usage(format!(
            "{to} is in the future in time zone {tz} (today is {today}); there is no data to extract yet"
        )));
    }
    let days = (to - from).num_days() as u64 + 1;
    if days > MAX_RANGE_DAYS {
        return Err(usage(format!(
            "{from}..{to} covers {days} days, more than {MAX_RANGE_DAYS}; split the backfill"
        )));
    }
    Ok(from.iter_days().take(days as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dst_days_have_23_and_25_hours() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let (s, e) = day_interval(d("2026-03-29"), tz);
        assert_eq!((e - s).num_hours(), 23);
        assert_eq!(s.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        let (s, e) = day_interval(d("2026-10-25"), tz);
        assert_eq!((e - s).num_hours(), 25);
        let (s, e) = day_interval(d("2026-11-20"), Tz::UTC);
        assert_eq!(
            (s.to_rfc3339().as_str(), (e - s).num_hours()),
            ("2026-11-20T00:00:00+00:00", 24)
        );
    }

    #[test]
    fn run_defaults_to_yesterday_in_the_time_zone() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T23:30:00Z")
            .unwrap()
            .to_utc();
        let sel = DateSelection::Run {
            date: None,
            lookback_days: Some(0),
        };
        assert_eq!(
            plan_dates(&sel, 1, Tz::UTC, now).unwrap(),
            vec![d("2026-11-21")]
        );
        // In Tokyo it is already the 23rd.
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        assert_eq!(
            plan_dates(&sel, 1, tokyo, now).unwrap(),
            vec![d("2026-11-22")]
        );
        let sel = DateSelection::Run {
            date: None,
            lookback_days: None,
        };
        assert_eq!(
            plan_dates(&sel, 1, Tz::UTC, now).unwrap(),
            vec![d("2026-11-20"), d("2026-11-21")]
        );
    }

    #[test]
    fn ranges_are_inclusive_and_checked() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc();
        let sel = DateSelection::Range {
            from: d("2026-11-01"),
            to: d("2026-11-07"),
        };
        assert_eq!(plan_dates(&sel, 0, Tz::UTC, now).unwrap().len(), 7);
        let backwards = DateSelection::Range {
            from: d("2026-11-07"),
            to: d("2026-11-01"),
        };
        assert!(
            plan_dates(&backwards, 0, Tz::UTC, now)
                .unwrap_err()
                .to_string()
                .contains("after --to")
        );
        let future = DateSelection::Range {
            from: d("2026-11-20"),
            to: d("2026-11-30"),
        };
        assert!(
            plan_dates(&future, 0, Tz::UTC, now)
                .unwrap_err()
                .to_string()
                .contains("future")
        );
    }
}
