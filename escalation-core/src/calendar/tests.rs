//! Unit tests: spec validation messages, exact DST examples, far-future arithmetic and
//! iCalendar holidays.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use serde_json::json;

use super::*;

fn spec(value: serde_json::Value) -> CalendarSpec {
    serde_json::from_value(value).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The (field, value, reason) of an `InvalidInput` error.
fn invalid(result: Result<BusinessCalendar, Error>) -> (String, String, String) {
    match result {
        Err(Error::InvalidInput {
            field,
            value,
            reason,
        }) => (field, value, reason),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

fn rejects(value: serde_json::Value, field: &str, got: &str, reason_part: &str) {
    let (f, v, r) = invalid(BusinessCalendar::new(spec(value)));
    assert_eq!(f, field);
    assert_eq!(v, got);
    assert!(
        r.contains(reason_part),
        "reason {r:?} lacks {reason_part:?}"
    );
}

#[test]
fn rejects_an_unknown_zone() {
    rejects(
        json!({"timezone": "Mars/Olympus_Mons", "hours": {"mon": [["09:00","17:00"]]}}),
        "timezone",
        "Mars/Olympus_Mons",
        "unknown IANA time zone",
    );
}

#[test]
fn rejects_hour_25() {
    rejects(
        json!({"timezone": "UTC", "hours": {"mon": [["25:00","26:00"]]}}),
        "hours.mon[0]",
        "25:00",
        "HH:MM",
    );
}

#[test]
fn rejects_single_digit_hours_and_bad_minutes() {
    rejects(
        json!({"timezone": "UTC", "hours": {"tue": [["09:00","12:00"], ["9:00","17:00"]]}}),
        "hours.tue[1]",
        "9:00",
        "HH:MM",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"tue": [["09:60","12:00"]]}}),
        "hours.tue[0]",
        "09:60",
        "HH:MM",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"tue": [["09:00","24:01"]]}}),
        "hours.tue[0]",
        "24:01",
        "HH:MM",
    );
}

#[test]
fn rejects_inverted_empty_and_overlapping_windows() {
    rejects(
        json!({"timezone": "UTC", "hours": {"wed": [["17:00","09:00"]]}}),
        "hours.wed[0]",
        "17:00-09:00",
        "closes before it opens",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"wed": [["09:00","09:00"]]}}),
        "hours.wed[0]",
        "09:00-09:00",
        "empty",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"wed": [["13:00","17:00"], ["09:00","13:30"]]}}),
        "hours.wed[0]",
        "13:00-17:00",
        "overlaps hours.wed[1]",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"mon": [["09:00","17:00"]]},
               "overrides": {"2026-12-24": [["09:00","13:00"], ["12:00","14:00"]]}}),
        "overrides.2026-12-24[1]",
        "12:00-14:00",
        "overlaps overrides.2026-12-24[0]",
    );
}

#[test]
fn touching_windows_are_accepted_and_merged() {
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "UTC",
        "hours": {"mon": [["12:00","17:00"], ["09:00","12:00"]]}})))
    .unwrap();
    let monday = utc("2026-11-23T09:00:00Z");
    assert_eq!(
        calendar
            .segments(monday, monday + TimeDelta::days(1))
            .count(),
        1
    );
    assert_eq!(
        calendar.elapsed(monday, monday + TimeDelta::days(1)),
        TimeDelta::hours(8)
    );
}

#[test]
fn rejects_an_unknown_weekday_key() {
    rejects(
        json!({"timezone": "UTC", "hours": {"mon": [["09:00","17:00"]], "monday": [["09:00","17:00"]]}}),
        "hours.monday",
        "monday",
        "unknown weekday",
    );
}

#[test]
fn rejects_a_calendar_without_weekly_hours() {
    rejects(
        json!({"timezone": "UTC", "hours": {}, "overrides": {"2026-12-24": [["09:00","13:00"]]}}),
        "hours",
        "{}",
        "weekly hours",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"mon": [], "sat": []}}),
        "hours",
        r#"{"mon":[],"sat":[]}"#,
        "weekly hours",
    );
}

#[test]
fn rejects_a_break_that_does_not_end_after_it_starts() {
    rejects(
        json!({"timezone": "UTC", "hours": {"mon": [["09:00","17:00"]]},
               "breaks": [{"date": "2026-11-27", "from": "10:00", "to": "11:00"},
                          {"date": "2026-11-27", "from": "11:00", "to": "11:00"}]}),
        "breaks[1]",
        "11:00-11:00",
        "must end after it starts",
    );
    rejects(
        json!({"timezone": "UTC", "hours": {"mon": [["09:00","17:00"]]},
               "breaks": [{"date": "2026-11-27", "from": "10:00", "to": "1100"}]}),
        "breaks[0].to",
        "1100",
        "HH:MM",
    );
}

#[test]
fn reports_malformed_dates_with_their_path() {
    let err = |text: &str| match CalendarSpec::from_json_str(text) {
        Err(Error::InvalidInput { field, value, .. }) => (field, value),
        other => panic!("expected InvalidInput, got {other:?}"),
    };
    assert_eq!(
        err(
            r#"{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-25","2026-13-01"]}"#
        ),
        ("holidays[1]".to_string(), "\"2026-13-01\"".to_string())
    );
    assert_eq!(
        err(
            r#"{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"overrides":{"24.12.2026":[]}}"#
        ),
        ("overrides.24.12.2026".to_string(), "24.12.2026".to_string())
    );
    assert_eq!(
        err(
            r#"{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"breaks":[{"date":"2026-2-3","from":"10:00","to":"11:00"}]}"#
        ),
        ("breaks[0].date".to_string(), "\"2026-2-3\"".to_string())
    );
}

#[test]
fn problems_lists_every_problem_with_its_path() {
    let s = spec(json!({"timezone": "Nowhere/City",
        "hours": {"mon": [["09:00","25:00"]], "xyz": []},
        "breaks": [{"date": "2026-11-27", "from": "12:00", "to": "11:00"}]}));
    let paths: Vec<String> = s.problems().into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        vec!["timezone", "hours.mon[0]", "hours.xyz", "breaks[0]"]
    );
    assert!(s.validate().is_err());
}

#[test]
fn the_example_spec_round_trips_through_json_and_toml() {
    let text = r#"{"timezone": "America/New_York",
        "hours": {"mon": [["09:00","12:00"],["13:00","17:00"]], "tue": [["09:00","17:00"]]},
        "holidays": ["2026-12-25"],
        "overrides": {"2026-12-24": [["09:00","13:00"]]},
        "breaks": [{"date": "2026-11-27", "from": "10:00", "to": "11:00"}]}"#;
    let parsed = CalendarSpec::from_json_str(text).unwrap();
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    );
    let toml_text = r#"
[calendars.support]
timezone = "America/New_York"
holidays = [2026-12-25]
breaks = [{ date = "2026-11-27", from = "10:00", to = "11:00" }]
[calendars.support.hours]
mon = [["09:00", "12:00"], ["13:00", "17:00"]]
tue = [["09:00", "17:00"]]
[calendars.support.overrides]
2026-12-24 = [["09:00", "13:00"]]
"#;
    #[derive(serde::Deserialize)]
    struct Policy {
        calendars: std::collections::BTreeMap<String, CalendarSpec>,
    }
    let policy: Policy = toml::from_str(toml_text).unwrap();
    assert_eq!(policy.calendars["support"], parsed);
    let calendar = BusinessCalendar::new(parsed).unwrap();
    assert_eq!(calendar.timezone(), chrono_tz::America::New_York);
    // Black Friday 2026: 09:00-10:00 and 11:00-17:00 New York (UTC-5).
    assert_eq!(
        calendar.elapsed(utc("2026-11-27T00:00:00Z"), utc("2026-11-28T00:00:00Z")),
        TimeDelta::hours(0)
    );
    // The break falls on a Friday, which has no hours; Monday has 7 h.
    assert_eq!(
        calendar.elapsed(utc("2026-11-30T00:00:00Z"), utc("2026-12-01T00:00:00Z")),
        TimeDelta::hours(7)
    );
    // Christmas Eve override (Thursday, no weekly hours): 09:00-13:00 EST.
    assert_eq!(
        calendar.elapsed(utc("2026-12-24T00:00:00Z"), utc("2026-12-25T00:00:00Z")),
        TimeDelta::hours(4)
    );
}

#[test]
fn holidays_and_breaks_win_over_overrides() {
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "UTC",
        "hours": {"thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]},
        "holidays": ["2026-12-25"],
        "overrides": {"2026-12-25": [["09:00","13:00"]], "2026-12-24": [["08:00","12:00"]]},
        "breaks": [{"date": "2026-12-24", "from": "10:00", "to": "10:30"}]})))
    .unwrap();
    let day = |d: &str| {
        let t = utc(&format!("{d}T00:00:00Z"));
        calendar.elapsed(t, t + TimeDelta::days(1))
    };
    assert_eq!(day("2026-12-25"), TimeDelta::zero());
    assert_eq!(day("2026-12-24"), TimeDelta::minutes(210));
    assert_eq!(day("2026-12-31"), TimeDelta::hours(8));
}

#[test]
fn new_york_spring_forward_window_has_two_hours() {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 01:00-04:00 holds 2 real hours.
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "America/New_York",
        "hours": {"sun": [["01:00","04:00"]]}})))
    .unwrap();
    let day = utc("2026-03-08T05:00:00Z"); // local midnight
    assert_eq!(
        calendar.elapsed(day, day + TimeDelta::days(1)),
        TimeDelta::hours(2)
    );
    let segments: Vec<_> = calendar.segments(day, day + TimeDelta::days(1)).collect();
    assert_eq!(
        segments,
        vec![(utc("2026-03-08T06:00:00Z"), utc("2026-03-08T08:00:00Z"))]
    );
    assert_eq!(
        calendar.add(day, TimeDelta::hours(2)).unwrap(),
        utc("2026-03-08T04:00:00-04:00")
    );
}

#[test]
fn new_york_fall_back_hour_counts_twice() {
    // 2026-11-01: 01:00-02:00 happens twice (EDT then EST).
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "America/New_York",
        "hours": {"sun": [["01:00","02:00"]]}})))
    .unwrap();
    let day = utc("2026-11-01T04:00:00Z"); // local midnight (EDT)
    assert_eq!(
        calendar.elapsed(day, day + TimeDelta::days(1)),
        TimeDelta::hours(2)
    );
    assert_eq!(
        calendar.add(day, TimeDelta::minutes(90)).unwrap(),
        utc("2026-11-01T01:30:00-05:00")
    );
    assert!(calendar.is_open(utc("2026-11-01T01:59:59-04:00")));
    assert!(calendar.is_open(utc("2026-11-01T01:00:00-05:00")));
    assert!(!calendar.is_open(utc("2026-11-01T02:00:00-05:00")));
}

#[test]
fn apia_skipped_2011_12_30() {
    // Samoa moved across the date line: 2011-12-29 24:00 (-10) became 2011-12-31 00:00 (+14).
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "Pacific/Apia",
        "hours": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]],
                  "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]],
                  "fri": [["09:00","17:00"]], "sat": [["09:00","17:00"]]}})))
    .unwrap();
    let thursday_open = utc("2011-12-29T09:00:00-10:00");
    let saturday_close = utc("2011-12-31T17:00:00+14:00");
    // Thursday 29th and Saturday 31st only: Friday 30th never happened.
    assert_eq!(
        calendar.elapsed(thursday_open, saturday_close),
        TimeDelta::hours(16)
    );
    assert_eq!(
        calendar
            .add(utc("2011-12-29T16:00:00-10:00"), TimeDelta::hours(2))
            .unwrap(),
        utc("2011-12-31T10:00:00+14:00")
    );
}

#[test]
fn far_future_add_in_2199() {
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "America/New_York",
        "hours": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]],
                  "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]],
                  "fri": [["09:00","17:00"]]}})))
    .unwrap();
    // 2199-12-30 is a Monday; chrono-tz has no DST rules past 2099, so New York stays
    // on EST (UTC-5).
    let start = utc("2199-12-30T16:00:00-05:00");
    assert_eq!(
        calendar.add(start, TimeDelta::hours(8)).unwrap(),
        utc("2199-12-31T16:00:00-05:00")
    );
    assert_eq!(
        calendar.add(start, TimeDelta::hours(10)).unwrap(),
        utc("2200-01-01T10:00:00-05:00")
    );
    // July 2199 is still EST.
    assert!(calendar.is_open(utc("2199-07-01T09:00:00-05:00")));
    assert!(!calendar.is_open(utc("2199-07-01T08:30:00-05:00")));
    // Beyond the range: no answer.
    let late = utc("2200-12-31T16:00:00-05:00");
    assert!(matches!(
        calendar.add(late, TimeDelta::hours(8)),
        Err(Error::OutOfRange(_))
    ));
    assert!(matches!(
        calendar.next_open(utc("2201-06-01T00:00:00Z")),
        Err(Error::OutOfRange(_))
    ));
    assert_eq!(
        calendar.elapsed(late, utc("2300-01-01T00:00:00Z")),
        TimeDelta::hours(1)
    );
}

#[test]
fn a_century_of_24_7_business_time() {
    let calendar = BusinessCalendar::always();
    let start = utc("2001-03-04T05:06:07.123456789Z");
    let century = TimeDelta::days(36_524);
    let end = calendar.add(start, century).unwrap();
    assert_eq!(end, start + century);
    assert_eq!(calendar.elapsed(start, end), century);
    assert_eq!(calendar.subtract(end, century).unwrap(), start);
    assert_eq!(calendar.segments(start, end).count(), 1);
    // 300 years of wall time overflow i64 nanoseconds; elapsed still exact.
    let all = calendar.elapsed(
        BusinessCalendar::range_start(),
        BusinessCalendar::range_end(),
    );
    assert_eq!(
        all,
        BusinessCalendar::range_end() - BusinessCalendar::range_start()
    );
}

#[test]
fn sub_second_precision_is_exact() {
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "Asia/Kathmandu",
        "hours": {"mon": [["09:00","17:00"]]}})))
    .unwrap();
    let open = utc("2026-11-23T09:00:00+05:45");
    let close = utc("2026-11-23T17:00:00+05:45");
    let tiny = TimeDelta::nanoseconds(1);
    assert_eq!(calendar.add(open, tiny).unwrap(), open + tiny);
    assert_eq!(calendar.elapsed(open - tiny, open + tiny), tiny);
    assert_eq!(
        calendar
            .add(close - tiny, TimeDelta::nanoseconds(2))
            .unwrap(),
        utc("2026-11-30T09:00:00.000000001+05:45")
    );
    assert_eq!(
        calendar
            .subtract(open + tiny, TimeDelta::nanoseconds(2))
            .unwrap(),
        utc("2026-11-16T16:59:59.999999999+05:45")
    );
    assert_eq!(calendar.previous_close(close + tiny).unwrap(), close);
    assert_eq!(calendar.previous_close(close).unwrap(), close);
    assert_eq!(
        calendar.next_open(close).unwrap(),
        utc("2026-11-30T09:00:00+05:45")
    );
}

#[test]
fn add_that_ends_at_a_close_returns_the_close() {
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "Europe/Berlin",
        "hours": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]]}})))
    .unwrap();
    let monday = utc("2026-11-23T09:00:00+01:00");
    assert_eq!(
        calendar.add(monday, TimeDelta::hours(8)).unwrap(),
        utc("2026-11-23T17:00:00+01:00")
    );
    assert_eq!(
        calendar
            .subtract(utc("2026-11-24T17:00:00+01:00"), TimeDelta::hours(8))
            .unwrap(),
        utc("2026-11-24T09:00:00+01:00")
    );
    assert_eq!(
        calendar.add(monday, -TimeDelta::hours(1)).unwrap(),
        utc("2026-11-17T16:00:00+01:00")
    );
}

#[test]
fn year_boundaries_are_seamless() {
    // Auckland is UTC+13 in summer, so its local new year happens in the previous UTC year.
    let calendar = BusinessCalendar::new(spec(json!({"timezone": "Pacific/Auckland",
        "hours": {"mon": [["00:00","24:00"]], "tue": [["00:00","24:00"]], "wed": [["00:00","24:00"]],
                  "thu": [["00:00","24:00"]], "fri": [["00:00","24:00"]], "sat": [["00:00","24:00"]],
                  "sun": [["00:00","24:00"]]}})))
    .unwrap();
    let start = utc("2026-12-31T20:00:00Z");
    assert_eq!(
        calendar.add(start, TimeDelta::hours(10)).unwrap(),
        utc("2027-01-01T06:00:00Z")
    );
    assert_eq!(
        calendar
            .segments(start, start + TimeDelta::hours(10))
            .collect::<Vec<_>>(),
        vec![(start, start + TimeDelta::hours(10))]
    );
    assert_eq!(
        calendar
            .previous_close(utc("2027-01-01T00:00:00Z"))
            .unwrap(),
        utc("2027-01-01T00:00:00Z")
    );
}

#[test]
fn calendar_is_shareable() {
    fn assert_traits<T: Clone + Send + Sync + std::fmt::Debug>() {}
    assert_traits::<BusinessCalendar>();
    let calendar = BusinessCalendar::always();
    let t = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let c = calendar.clone();
            std::thread::spawn(move || c.add(t, TimeDelta::hours(i)).unwrap())
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), t + TimeDelta::hours(i as i64));
    }
}

const ICS: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//escalation//test//EN\r
BEGIN:VEVENT\r
UID:1@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261225\r
DTEND;VALUE=DATE:20261226\r
SUMMARY:Christmas Day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261228\r
DTEND;VALUE=DATE:20261231\r
SUMMARY:Year-end shutdown\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3@test\r
DTSTAMP:20260101T000000Z\r
DTSTART:20261224T140000Z\r
DTEND:20261224T170000Z\r
SUMMARY:Office party (timed: not a holiday)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:4@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20270101\r
SUMMARY:New Year (no DTEND: one day)\r
END:VEVENT\r
END:VCALENDAR\r
";

#[test]
fn holidays_come_from_all_day_ics_events() {
    let dates = CalendarSpec::holidays_from_ics(ICS).unwrap();
    assert_eq!(
        dates,
        vec![
            date("2026-12-25"),
            date("2026-12-28"),
            date("2026-12-29"),
            date("2026-12-30"),
            date("2027-01-01"),
        ]
    );
    let spec = spec(
        json!({"timezone": "UTC", "hours": {"thu": [["09:00","17:00"]]},
                           "holidays": ["2026-12-25", "2026-12-03"]}),
    )
    .with_ics_holidays(ICS)
    .unwrap();
    assert_eq!(spec.holidays.len(), 6);
    assert_eq!(spec.holidays[0], date("2026-12-03"));
    let calendar = BusinessCalendar::new(spec).unwrap();
    // Thursday 2026-12-24 (party day) stays open; Thursday 2026-12-31 is open too.
    assert!(calendar.is_open(utc("2026-12-24T10:00:00Z")));
    assert!(!calendar.is_open(utc("2026-12-03T10:00:00Z")));
}

#[test]
fn rejects_text_that_is_not_ics() {
    match CalendarSpec::holidays_from_ics("this is not a calendar") {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "holidays.ics"),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// `always` skips the tables (business time is wall time); it must agree, to the
/// nanosecond and at the range's edges, with the same 24/7 calendar built from a spec.
#[test]
fn always_agrees_with_the_table_built_24_7_calendar() {
    let always = BusinessCalendar::always();
    let tables = BusinessCalendar::new(always.spec().clone()).unwrap();
    let edge = BusinessCalendar::range_end();
    let start = BusinessCalendar::range_start();
    let instants = [
        utc("2026-03-08T06:59:59.123456789Z"),
        utc("1999-12-31T23:59:59Z"),
        start,
        start - TimeDelta::seconds(5),
        edge - TimeDelta::seconds(1),
        edge,
        edge + TimeDelta::days(3),
    ];
    let spans = [
        TimeDelta::zero(),
        TimeDelta::nanoseconds(1),
        TimeDelta::hours(8),
        TimeDelta::days(400),
        -TimeDelta::hours(8),
        TimeDelta::seconds(2),
    ];
    for &t in &instants {
        assert_eq!(always.is_open(t), tables.is_open(t), "is_open({t})");
        for &u in &instants {
            assert_eq!(
                always.elapsed(t, u),
                tables.elapsed(t, u),
                "elapsed({t}, {u})"
            );
        }
        for &d in &spans {
            let a = always.add(t, d).map_err(|e| e.kind());
            let b = tables.add(t, d).map_err(|e| e.kind());
            assert_eq!(a, b, "add({t}, {d})");
            let a = always.subtract(t, d).map_err(|e| e.kind());
            let b = tables.subtract(t, d).map_err(|e| e.kind());
            assert_eq!(a, b, "subtract({t}, {d})");
        }
    }
}
