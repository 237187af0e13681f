//! Reading JSON records the way vendors write them (CXone's habits first, reference/cxone.md
//! §2, §5; every vendor's entity lists use it too): numbers and booleans may arrive as strings
//! (`"54"`, `"True"`), durations as ISO-8601 strings with day and fractional parts
//! (`P1DT19H18M29.651S`) or as plain seconds, keys in camelCase or PascalCase, and field names
//! that change between API versions (`ACWSeconds` → `acwSeconds`). A [`Record`] looks fields up
//! case-insensitively under all their names and remembers which it used, so everything else can
//! go to the `extra` column instead of being dropped.

use std::cell::RefCell;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A value that is not what its field should hold.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field {field}: {value:?} is not {expected}")]
pub struct FieldError {
    /// The field.
    pub field: String,
    /// The raw value.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

/// Parses an ISO-8601 duration (`PT5H48M1.139S`, `P1DT19H18M29.651S`, `PT0S`, `P2W`) into
/// seconds. Years and months are refused: their length is not fixed.
pub fn parse_iso_duration(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let rest = t
        .strip_prefix('P')
        .ok_or_else(|| format!("{text:?} does not start with P"))?;
    if rest.is_empty() {
        return Err(format!("{text:?} has no components"));
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut parts = 0;
    let mut parse = |part: &str, units: &[(char, f64)], fraction_ok: char| -> Result<(), String> {
        let mut number = String::new();
        let mut last_unit = usize::MAX;
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' || ch == ',' {
                number.push(if ch == ',' { '.' } else { ch });
                continue;
            }
            let index = units
                .iter()
                .position(|(u, _)| *u == ch)
                .ok_or_else(|| format!("{text:?}: unexpected {ch:?}"))?;
            if last_unit != usize::MAX && index <= last_unit {
                return Err(format!("{text:?}: components out of order"));
            }
            if number.is_empty() || (number.contains('.') && ch != fraction_ok) {
                return Err(format!("{text:?}: bad number before {ch:?}"));
            }
            let value: f64 = number
                .parse()
                .map_err(|_| format!("{text:?}: bad number {number:?}"))?;
            total += value * units[index].1;
            parts += 1;
            last_unit = index;
            number.clear();
        }
        if number.is_empty() {
            Ok(())
        } else {
            Err(format!("{text:?}: number without a unit"))
        }
    };
    parse(date, &[('W', 604_800.0), ('D', 86_400.0)], '\0')?;
    if let Some(time) = time {
        if time.is_empty() {
            return Err(format!("{text:?}: T without time components"));
        }
        parse(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)], 'S')?;
    }
    if parts == 0 {
        return Err(format!("{text:?} has no components"));
    }
    // Milliseconds are the finest unit CXone sends; rounding removes binary noise.
    Ok((total * 1000.0).round() / 1000.0)
}

/// A number sent as a number or a string; finite only (`"NaN"` and `"inf"` are not numbers
/// CXone sends, so they are refused rather than written).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// A boolean sent as a boolean, `"True"`/`"False"` (any case), `"1"`/`"0"` or a number.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A duration in seconds: an ISO-8601 string, or seconds as a number or numeric string; never
/// negative, never infinite.
pub fn duration_seconds(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) if s.trim().starts_with('P') => parse_iso_duration(s).ok(),
        other => number(other),
    }
    .filter(|f| f.is_finite() && *f >= 0.0)
}

/// One record with case-insensitive, multi-name lookups that remember what they consumed.
pub struct Record<'a> {
    fields: &'a Map<String, Value>,
    used: RefCell<BTreeSet<String>>,
}

impl<'a> Record<'a> {
    /// Wraps a JSON object.
    pub fn new(fields: &'a Map<String, Value>) -> Self {
        Self {
            fields,
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// The raw value under any of `names` (case-insensitive); JSON null and "" count as absent.
    pub fn raw(&self, names: &[&str]) -> Option<&'a Value> {
        for name in names {
            if let Some((key, value)) = self
                .fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
            {
                self.used.borrow_mut().insert(key.clone());
                if value.is_null() || value.as_str().is_some_and(|s| s.is_empty()) {
                    return None;
                }
                return Some(value);
            }
        }
        None
    }

    fn typed<T>(
        &self,
        names: &[&str],
        expected: &'static str,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> Result<Option<T>, FieldError> {
        match self.raw(names) {
            None => Ok(None),
            Some(v) => convert(v).map(Some).ok_or_else(|| FieldError {
                field: names[0].to_string(),
                value: v.to_string(),
                expected,
            }),
        }
    }

    /// A number.
    pub fn number(&self, names: &[&str]) -> Result<Option<f64>, FieldError> {
        self.typed(names, "a number", number)
    }

    /// An integer.
    pub fn integer(&self, names: &[&str]) -> Result<Option<i64>, FieldError> {
        // Within ±2^53: the integers a JSON number holds exactly, and far from i64's ends.
        self.typed(names, "an integer", |v| {
            number(v)
                .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                .map(|f| f as i64)
        })
    }

    /// A boolean.
    pub fn boolean(&self, names: &[&str]) -> Result<Option<bool>, FieldError> {
        self.typed(names, "a boolean", boolean)
    }

    /// A duration in seconds.
    pub fn duration(&self, names: &[&str]) -> Result<Option<f64>, FieldError> {
        self.typed(names, "a duration (ISO-8601 or seconds)", duration_seconds)
    }

    /// A string; numbers are written out (ids arrive both ways).
    pub fn string(&self, names: &[&str]) -> Option<String> {
        self.raw(names).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// An ISO-8601 timestamp.
    pub fn timestamp(&self, names: &[&str]) -> Result<Option<DateTime<Utc>>, FieldError> {
        self.typed(names, "an ISO-8601 timestamp", |v| {
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
                .map(|t| t.with_timezone(&Utc))
        })
    }

    /// Every field no lookup used, as a JSON object string (`None` when there are none).
    pub fn unused_json(&self) -> Option<String> {
        let used = self.used.borrow();
        let rest: Map<String, Value> = self
            .fields
            .iter()
            .filter(|(k, _)| !used.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!rest.is_empty()).then(|| Value::Object(rest).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_durations_with_days_fractions_and_zero() {
        assert_eq!(parse_iso_duration("PT0S"), Ok(0.0));
        assert_eq!(parse_iso_duration("PT5H48M1.139S"), Ok(20881.139));
        assert_eq!(parse_iso_duration("P1DT19H18M29.651S"), Ok(155909.651));
        assert_eq!(parse_iso_duration("PT4M24.63S"), Ok(264.63));
        assert_eq!(parse_iso_duration("P2D"), Ok(172800.0));
        assert_eq!(parse_iso_duration("P1W"), Ok(604800.0));
        assert_eq!(parse_iso_duration("PT0,5S"), Ok(0.5));
    }

    #[test]
    fn malformed_durations_are_clear_errors() {
        for bad in [
            "", "P", "PT", "5M", "PT5", "PT5X", "PT1.5H", "PT5S3M", "P1Y", "P1M", "PTS", "PT-3S",
        ] {
            let err = parse_iso_duration(bad).unwrap_err();
            assert!(
                err.contains(&format!("{bad:?}")) || bad.is_empty(),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn strings_for_numbers_and_booleans() {
        assert_eq!(number(&json!("54")), Some(54.0));
        assert_eq!(number(&json!(" 20.37 ")), Some(20.37));
        assert_eq!(number(&json!(12)), Some(12.0));
        assert_eq!(number(&json!("n/a")), None);
        assert_eq!(boolean(&json!("True")), Some(true));
        assert_eq!(boolean(&json!("false")), Some(false));
        assert_eq!(boolean(&json!(true)), Some(true));
        assert_eq!(boolean(&json!("maybe")), None);
        assert_eq!(duration_seconds(&json!("101")), Some(101.0));
        assert_eq!(duration_seconds(&json!("PT1M")), Some(60.0));
    }

    #[test]
    fn records_find_fields_by_any_name_and_keep_the_rest() {
        let fields = json!({"ACWSeconds": "187", "contactId": 2789879875u64, "isLogged": "True", "brandNew": 1, "refuseReason": ""})
            .as_object()
            .cloned()
            .unwrap();
        let r = Record::new(&fields);
        assert_eq!(
            r.number(&["acwSeconds", "ACWSeconds"]).unwrap(),
            Some(187.0)
        );
        assert_eq!(r.string(&["contactId"]), Some("2789879875".into()));
        assert_eq!(r.boolean(&["isLogged"]).unwrap(), Some(true));
        assert_eq!(r.string(&["refuseReason"]), None);
        assert_eq!(r.unused_json().unwrap(), r#"{"brandNew":1}"#);
        let bad = json!({"holdSeconds": "lots"}).as_object().cloned().unwrap();
        let err = Record::new(&bad).number(&["holdSeconds"]).unwrap_err();
        assert!(err.to_string().contains("holdSeconds") && err.to_string().contains("a number"));
    }
}
