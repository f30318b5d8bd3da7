//! Spans of time as the policy writes them: `"15m"`, `"4h"`, `"1h 30m"`, `"2d"`.
//!
//! Parsing uses the `humantime` crate. A span is measured in whatever time its user runs on:
//! an SLA target on a business calendar reads `"1d"` as 24 *business* hours.

use std::fmt;

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of time with second precision, written like `"1h 30m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(TimeDelta);

impl Span {
    /// A span of `seconds` seconds (negative values count as zero).
    pub fn seconds(seconds: i64) -> Span {
        Span(TimeDelta::seconds(seconds.max(0)))
    }

    /// A span of `minutes` minutes.
    pub fn minutes(minutes: i64) -> Span {
        Span::seconds(minutes.saturating_mul(60))
    }

    /// A span of `hours` hours.
    pub fn hours(hours: i64) -> Span {
        Span::seconds(hours.saturating_mul(3600))
    }

    /// The span as a chrono duration.
    pub fn delta(self) -> TimeDelta {
        self.0
    }

    /// Whether the span is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Parses `"15m"`, `"1h 30m"`, `"2d"` and the like.
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse(text: &str) -> Result<Span, String> {
        let std = humantime::parse_duration(text.trim()).map_err(|e| e.to_string())?;
        let secs = i64::try_from(std.as_secs()).map_err(|_| "too long".to_owned())?;
        if std.subsec_nanos() != 0 {
            return Err("use whole seconds".to_owned());
        }
        if secs > 100 * 365 * 86_400 {
            return Err("must be at most 100 years".to_owned());
        }
        Ok(Span(TimeDelta::seconds(secs)))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = u64::try_from(self.0.num_seconds()).unwrap_or(0);
        if secs == 0 {
            return f.write_str("0s");
        }
        write!(
            f,
            "{}",
            humantime::format_duration(std::time::Duration::from_secs(secs))
        )
    }
}

impl From<Span> for TimeDelta {
    fn from(s: Span) -> TimeDelta {
        s.0
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Span::parse(&text)
            .map_err(|e| serde::de::Error::custom(format!("invalid span {text:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        let s = Span::parse("1h 30m").unwrap();
        assert_eq!(s.delta(), TimeDelta::minutes(90));
        assert_eq!(s.to_string(), "1h 30m");
        assert_eq!(Span::parse(&s.to_string()).unwrap(), s);
        assert_eq!(Span::parse("2d").unwrap(), Span::hours(48));
        assert!(Span::parse("soon").is_err());
        assert!(Span::parse("-5m").is_err());
        assert!(Span::parse("1.5s").is_err());
    }
}
