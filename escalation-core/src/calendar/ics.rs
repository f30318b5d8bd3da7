//! Holidays from iCalendar (RFC 5545) documents, read with the `icalendar` crate's parser.
//!
//! Only all-day events count: VEVENTs whose DTSTART is a DATE. Such an event covers every
//! date in `[DTSTART, DTEND)`; without DTEND it covers the dates of its DURATION when that
//! is whole days or weeks (`P3D`, `P1W`), else its start date only. Timed events are
//! ignored, and so are recurrence rules (RRULE/RDATE are not expanded: holiday feeds list
//! each year's dates).

use chrono::{Days, NaiveDate};
use icalendar::{Calendar, Component, DatePerhapsTime};

use crate::error::Error;

/// The longest all-day event accepted, in days; longer ones are surely not holidays.
const MAX_EVENT_DAYS: u64 = 366;

/// Returns the sorted, de-duplicated local dates of the all-day events of `text`.
///
/// # Errors
///
/// [`Error::InvalidInput`] (field `holidays.ics`) when the text is not an iCalendar
/// document, or an all-day event ends before it starts or lasts more than 366 days.
pub fn holidays_from_ics(text: &str) -> Result<Vec<NaiveDate>, Error> {
    let calendar: Calendar = text.parse().map_err(|e: String| {
        Error::invalid(
            "holidays.ics",
            first_line(text),
            format!("not an iCalendar document: {e}"),
        )
    })?;
    let mut dates = Vec::new();
    for component in &calendar.components {
        let Some(event) = component.as_event() else {
            continue;
        };
        let Some(DatePerhapsTime::Date(start)) = event.get_start() else {
            continue;
        };
        let days = match event.get_end() {
            Some(DatePerhapsTime::Date(end)) => {
                let days = end.signed_duration_since(start).num_days();
                if days < 0 {
                    return Err(Error::invalid(
                        "holidays.ics",
                        format!("DTSTART {start} DTEND {end}"),
                        "an all-day event ends before it starts",
                    ));
                }
                days.max(1).unsigned_abs()
            }
            _ => event
                .property_value("DURATION")
                .and_then(whole_days)
                .unwrap_or(1),
        };
        if days > MAX_EVENT_DAYS {
            return Err(Error::invalid(
                "holidays.ics",
                format!("DTSTART {start}, {days} days"),
                "an all-day event lasts more than 366 days",
            ));
        }
        for i in 0..days {
            if let Some(date) = start.checked_add_days(Days::new(i)) {
                dates.push(date);
            }
        }
    }
    dates.sort_unstable();
    dates.dedup();
    Ok(dates)
}

/// Days of an RFC 5545 duration made of whole days or weeks (`P2D`, `P1W`, `+P3D`).
fn whole_days(duration: &str) -> Option<u64> {
    let rest = duration.trim().strip_prefix('+').unwrap_or(duration.trim());
    let rest = rest.strip_prefix('P')?;
    if let Some(n) = rest.strip_suffix('D') {
        n.parse().ok()
    } else if let Some(n) = rest.strip_suffix('W') {
        n.parse::<u64>().ok().map(|w| w * 7)
    } else {
        None
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
