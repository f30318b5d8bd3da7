//! The declarative form of a business calendar ([`CalendarSpec`]) and its validation.
//!
//! The spec keeps times as the strings the user wrote (`"09:00"`) so that validation can
//! report the offending value and its field path (`hours.mon[0]`), which a policy loader
//! prefixes with the calendar's own path (`calendars.support.hours.mon[0]`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, PolicyProblem};

/// The weekday keys accepted in [`CalendarSpec::hours`], Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One `[open, close)` window of local wall-clock time, as `["HH:MM", "HH:MM"]`.
///
/// `"24:00"` is accepted as a close and means the end of the day; a window never crosses
/// midnight (write `["22:00", "24:00"]` on one day and `["00:00", "06:00"]` on the next).
pub type WindowSpec = [String; 2];

/// A business calendar as written in a policy document (JSON or TOML).
///
/// ```json
/// {"timezone": "America/New_York",
///  "hours": {"mon": [["09:00","12:00"],["13:00","17:00"]], "tue": [["09:00","17:00"]]},
///  "holidays": ["2026-12-25"],
///  "overrides": {"2026-12-24": [["09:00","13:00"]]},
///  "breaks": [{"date": "2026-11-27", "from": "10:00", "to": "11:00"}]}
/// ```
///
/// Build a [`BusinessCalendar`](super::BusinessCalendar) from it with
/// [`BusinessCalendar::new`](super::BusinessCalendar::new), which validates it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// The IANA time zone whose wall clock the hours, holidays, overrides and breaks use.
    pub timezone: String,
    /// Weekly hours: for each weekday key (`mon` ... `sun`) its windows, sorted or not but
    /// never overlapping. A missing weekday is closed.
    pub hours: BTreeMap<String, Vec<WindowSpec>>,
    /// Local dates on which the calendar is closed all day; a holiday wins over an override.
    /// Accepts `"YYYY-MM-DD"` strings and TOML date literals.
    #[serde(default, deserialize_with = "lenient_dates")]
    pub holidays: Vec<NaiveDate>,
    /// Local dates whose hours replace that weekday's hours; an empty list closes the date.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<NaiveDate, Vec<WindowSpec>>,
    /// Date-specific `[from, to)` windows removed from business time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<BreakSpec>,
}

/// A break: local wall-clock time `[from, to)` on one date that is not business time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakSpec {
    /// The local date of the break (a `"YYYY-MM-DD"` string or a TOML date literal).
    #[serde(deserialize_with = "lenient_date")]
    pub date: NaiveDate,
    /// When the break starts, `"HH:MM"`.
    pub from: String,
    /// When the break ends, `"HH:MM"` or `"24:00"`; must be after `from`.
    pub to: String,
}

/// A window in seconds of the local day, `[open, close)`, with `close <= 86_400`.
pub(crate) type Window = (u32, u32);

/// The validated, parsed form of a spec that the table builder reads.
#[derive(Debug)]
pub(crate) struct Rules {
    /// The calendar's zone.
    pub(crate) tz: Tz,
    /// Weekly windows, indexed by days from Monday, sorted and disjoint.
    pub(crate) weekly: [Vec<Window>; 7],
    /// Closed dates.
    pub(crate) holidays: BTreeSet<NaiveDate>,
    /// Replacement windows per date, sorted and disjoint.
    pub(crate) overrides: HashMap<NaiveDate, Vec<Window>>,
    /// Break windows per date, sorted (they may overlap one another).
    pub(crate) breaks: HashMap<NaiveDate, Vec<Window>>,
}

impl Rules {
    /// Appends the business windows of local date `date` to `out` (sorted, disjoint).
    pub(crate) fn day_windows(&self, date: NaiveDate, out: &mut Vec<Window>) {
        if self.holidays.contains(&date) {
            return;
        }
        let base = match self.overrides.get(&date) {
            Some(windows) => windows.as_slice(),
            None => self.weekly[date.weekday().num_days_from_monday() as usize].as_slice(),
        };
        let Some(breaks) = self.breaks.get(&date) else {
            out.extend_from_slice(base);
            return;
        };
        for &(open, close) in base {
            let mut cursor = open;
            for &(from, to) in breaks {
                if to <= cursor || from >= close {
                    continue;
                }
                if from > cursor {
                    out.push((cursor, from));
                }
                cursor = cursor.max(to);
                if cursor >= close {
                    break;
                }
            }
            if cursor < close {
                out.push((cursor, close));
            }
        }
    }
}

impl CalendarSpec {
    /// Parses a spec from its JSON form without validating it.
    ///
    /// Malformed dates are reported with their field path (`holidays[1]`,
    /// `overrides.<key>`, `breaks[0].date`); call [`CalendarSpec::validate`] (or
    /// [`BusinessCalendar::new`](super::BusinessCalendar::new)) for the remaining checks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the text is not JSON, a date is malformed, or the
    /// document does not have the calendar's shape (field `calendar`).
    pub fn from_json_str(text: &str) -> Result<CalendarSpec, Error> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid("calendar", abbreviate(text), e.to_string()))?;
        check_json_dates(&value)?;
        serde_json::from_value(value)
            .map_err(|e| Error::invalid("calendar", abbreviate(text), e.to_string()))
    }

    /// Reads the local dates of the all-day events (VEVENTs whose DTSTART is a DATE) of an
    /// iCalendar document; see [`holidays_from_ics`](super::ics::holidays_from_ics).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (field `holidays.ics`) when the text is not an iCalendar
    /// document or an all-day event is malformed.
    pub fn holidays_from_ics(text: &str) -> Result<Vec<NaiveDate>, Error> {
        super::ics::holidays_from_ics(text)
    }

    /// Reads an iCalendar file and returns the dates of its all-day events, like
    /// [`CalendarSpec::holidays_from_ics`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (field `holidays.ics`) when the file cannot be read or is not
    /// a valid iCalendar document.
    pub fn holidays_from_ics_file(path: impl AsRef<Path>) -> Result<Vec<NaiveDate>, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid("holidays.ics", path.display(), e.to_string()))?;
        super::ics::holidays_from_ics(&text)
    }

    /// Adds the all-day events of an iCalendar document to the holidays (sorted, without
    /// duplicates) and returns the spec, for building a calendar from a published feed.
    ///
    /// # Errors
    ///
    /// As [`CalendarSpec::holidays_from_ics`].
    pub fn with_ics_holidays(mut self, text: &str) -> Result<CalendarSpec, Error> {
        let dates = super::ics::holidays_from_ics(text)?;
        self.holidays.extend(dates);
        self.holidays.sort_unstable();
        self.holidays.dedup();
        Ok(self)
    }

    /// Checks the spec and returns its first problem.
    ///
    /// The field of the error is a path relative to the calendar: `timezone`, `hours`,
    /// `hours.mon`, `hours.mon[0]`, `overrides.2026-12-24[1]`, `breaks[2].from`, ...
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an unknown time zone, an unknown weekday key, a time
    /// that is not `HH:MM` between `00:00` and `24:00`, an empty, inverted or overlapping
    /// window, a calendar without weekly hours, or a break that does not end after it
    /// starts.
    pub fn validate(&self) -> Result<(), Error> {
        match self.compile() {
            Ok(_) => Ok(()),
            Err(mut problems) => Err(if problems.is_empty() {
                Error::Internal("calendar validation failed without a problem".into())
            } else {
                problems.swap_remove(0)
            }),
        }
    }

    /// Checks the spec and returns every problem at once, each with its path relative to
    /// the calendar (a policy loader prefixes it) and a message that includes the value.
    pub fn problems(&self) -> Vec<PolicyProblem> {
        match self.compile() {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| match e {
                    Error::InvalidInput {
                        field,
                        value,
                        reason,
                    } => PolicyProblem {
                        path: field,
                        message: format!("{reason}, got {value:?}"),
                    },
                    other => PolicyProblem {
                        path: String::new(),
                        message: other.to_string(),
                    },
                })
                .collect(),
        }
    }

    /// Validates and parses the spec into the rules the table builder reads.
    pub(crate) fn compile(&self) -> Result<Rules, Vec<Error>> {
        let mut problems = Vec::new();
        let tz = match self.timezone.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                problems.push(Error::invalid(
                    "timezone",
                    &self.timezone,
                    "unknown IANA time zone",
                ));
                None
            }
        };

        let mut weekly: [Vec<Window>; 7] = Default::default();
        for (key, windows) in &self.hours {
            let path = format!("hours.{key}");
            match WEEKDAY_KEYS.iter().position(|k| k == key) {
                Some(day) => {
                    if let Some(parsed) = parse_windows(&path, windows, &mut problems) {
                        weekly[day] = parsed;
                    }
                }
                None => problems.push(Error::invalid(
                    path,
                    key,
                    "unknown weekday; use mon, tue, wed, thu, fri, sat or sun",
                )),
            }
        }
        let has_weekly_windows = self
            .hours
            .iter()
            .any(|(k, w)| WEEKDAY_KEYS.contains(&k.as_str()) && !w.is_empty());
        if !has_weekly_windows {
            problems.push(Error::invalid(
                "hours",
                serde_json::to_string(&self.hours).unwrap_or_default(),
                "a calendar needs weekly hours on at least one weekday \
                 (overrides alone would leave it closed for ever after their last date)",
            ));
        }

        let mut overrides = HashMap::new();
        for (date, windows) in &self.overrides {
            let path = format!("overrides.{date}");
            if let Some(parsed) = parse_windows(&path, windows, &mut problems) {
                overrides.insert(*date, parsed);
            }
        }

        let mut breaks: HashMap<NaiveDate, Vec<Window>> = HashMap::new();
        for (i, b) in self.breaks.iter().enumerate() {
            let from = parse_time(&format!("breaks[{i}].from"), &b.from, &mut problems);
            let to = parse_time(&format!("breaks[{i}].to"), &b.to, &mut problems);
            if let (Some(from), Some(to)) = (from, to) {
                if from >= to {
                    problems.push(Error::invalid(
                        format!("breaks[{i}]"),
                        format!("{}-{}", b.from, b.to),
                        "a break must end after it starts",
                    ));
                } else {
                    breaks.entry(b.date).or_default().push((from, to));
                }
            }
        }
        for list in breaks.values_mut() {
            list.sort_unstable();
        }

        match tz {
            Some(tz) if problems.is_empty() => Ok(Rules {
                tz,
                weekly,
                holidays: self.holidays.iter().copied().collect(),
                overrides,
                breaks,
            }),
            _ => Err(problems),
        }
    }
}

/// Parses `"HH:MM"` (00:00 to 24:00) into seconds of the day, recording a problem at `path`.
fn parse_time(path: &str, text: &str, problems: &mut Vec<Error>) -> Option<u32> {
    let parsed = match text.as_bytes() {
        [h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
            let hours = u32::from(h1 - b'0') * 10 + u32::from(h2 - b'0');
            let minutes = u32::from(m1 - b'0') * 10 + u32::from(m2 - b'0');
            (hours < 24 && minutes < 60 || hours == 24 && minutes == 0)
                .then_some(hours * 3600 + minutes * 60)
        }
        _ => None,
    };
    if parsed.is_none() {
        problems.push(Error::invalid(
            path,
            text,
            "must be a time \"HH:MM\" between 00:00 and 24:00",
        ));
    }
    parsed
}

/// Parses one day's windows at `path` (`hours.mon`), checking each and their overlaps.
fn parse_windows(
    path: &str,
    windows: &[WindowSpec],
    problems: &mut Vec<Error>,
) -> Option<Vec<Window>> {
    let before = problems.len();
    let mut parsed: Vec<(Window, usize)> = Vec::with_capacity(windows.len());
    for (i, [open, close]) in windows.iter().enumerate() {
        let field = format!("{path}[{i}]");
        let o = parse_time(&field, open, problems);
        let c = parse_time(&field, close, problems);
        if let (Some(o), Some(c)) = (o, c) {
            if o == c {
                problems.push(Error::invalid(
                    field,
                    format!("{open}-{close}"),
                    "the window is empty (it closes when it opens)",
                ));
            } else if c < o {
                problems.push(Error::invalid(
                    field,
                    format!("{open}-{close}"),
                    "the window closes before it opens (windows cannot cross midnight; \
                     split them at 24:00)",
                ));
            } else {
                parsed.push(((o, c), i));
            }
        }
    }
    parsed.sort_unstable();
    for pair in parsed.windows(2) {
        let ((_, prev_close), prev_i) = pair[0];
        let ((next_open, _), next_i) = pair[1];
        if next_open < prev_close {
            let [o, c] = &windows[next_i];
            problems.push(Error::invalid(
                format!("{path}[{next_i}]"),
                format!("{o}-{c}"),
                format!("the window overlaps {path}[{prev_i}]"),
            ));
        }
    }
    if problems.len() != before {
        return None;
    }
    // Touching windows ([09:00,12:00] and [12:00,17:00]) are merged.
    let mut merged: Vec<Window> = Vec::with_capacity(parsed.len());
    for ((o, c), _) in parsed {
        match merged.last_mut() {
            Some(last) if last.1 == o => last.1 = c,
            _ => merged.push((o, c)),
        }
    }
    Some(merged)
}

/// Reports malformed dates of a JSON calendar with their field paths.
fn check_json_dates(value: &serde_json::Value) -> Result<(), Error> {
    let is_date = |s: &str| s.len() == 10 && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    const DATE_REASON: &str = "must be a date \"YYYY-MM-DD\"";
    if let Some(list) = value.get("holidays").and_then(|v| v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            if !item.as_str().is_some_and(is_date) {
                return Err(Error::invalid(format!("holidays[{i}]"), item, DATE_REASON));
            }
        }
    }
    if let Some(map) = value.get("overrides").and_then(|v| v.as_object()) {
        for key in map.keys() {
            if !is_date(key) {
                return Err(Error::invalid(format!("overrides.{key}"), key, DATE_REASON));
            }
        }
    }
    if let Some(list) = value.get("breaks").and_then(|v| v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            if let Some(date) = item.get("date")
                && !date.as_str().is_some_and(is_date)
            {
                return Err(Error::invalid(
                    format!("breaks[{i}].date"),
                    date,
                    DATE_REASON,
                ));
            }
        }
    }
    Ok(())
}

/// A date given as a `"YYYY-MM-DD"` string or as a TOML date literal (which toml hands
/// to serde as a one-entry map holding the date's text).
struct LenientDate(NaiveDate);

impl<'de> Deserialize<'de> for LenientDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = LenientDate;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date \"YYYY-MM-DD\"")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<LenientDate, E> {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(LenientDate)
                    .map_err(|_| E::custom(format!("invalid date {text:?}, expected YYYY-MM-DD")))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LenientDate, A::Error> {
                match map.next_entry::<String, String>()? {
                    Some((_, text)) => self.visit_str(&text),
                    None => Err(serde::de::Error::custom(
                        "expected a date, got an empty map",
                    )),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn lenient_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    LenientDate::deserialize(deserializer).map(|d| d.0)
}

fn lenient_dates<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<NaiveDate>, D::Error> {
    Vec::<LenientDate>::deserialize(deserializer).map(|v| v.into_iter().map(|d| d.0).collect())
}

/// Shortens a document for an error message.
fn abbreviate(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}
