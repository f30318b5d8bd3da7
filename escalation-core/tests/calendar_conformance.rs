//! Runs the shared business-time conformance vectors (`fixtures/business_time.jsonl`,
//! taken from the public test suites of zendesk/biz and seatgeek/businesstime) against
//! `BusinessCalendar`, reporting every failing case at once with its `source`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::calendar::{BusinessCalendar, CalendarSpec};
use serde_json::Value;

const CASES: &str = include_str!("fixtures/business_time.jsonl");

fn instant(case: &Value, key: &str) -> Result<DateTime<Utc>, String> {
    let text = case[key]
        .as_str()
        .ok_or_else(|| format!("`{key}` is not a string"))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{key}` {text:?}: {e}"))
}

/// Runs one case; `Err` describes the mismatch.
fn run(case: &Value) -> Result<(), String> {
    let spec: CalendarSpec = serde_json::from_value(case["schedule"].clone())
        .map_err(|e| format!("schedule does not parse: {e}"))?;
    let calendar = BusinessCalendar::new(spec).map_err(|e| format!("schedule rejected: {e}"))?;
    let start = instant(case, "start")?;
    let op = case["op"].as_str().unwrap_or_default();
    let expected = &case["expected"];
    let seconds = || {
        case["duration_seconds"]
            .as_i64()
            .map(TimeDelta::seconds)
            .ok_or_else(|| "no duration_seconds".to_string())
    };
    let check_instant = |got: Result<DateTime<Utc>, _>| -> Result<(), String> {
        let want = instant(case, "expected")?;
        match got {
            Ok(got) if got == want => Ok(()),
            Ok(got) => Err(format!("expected {want}, got {got}")),
            Err(e) => Err(format!("expected {want}, got error {e}")),
        }
    };
    match op {
        "add" => check_instant(calendar.add(start, seconds()?)),
        "subtract" => check_instant(calendar.subtract(start, seconds()?)),
        "next_open" => check_instant(calendar.next_open(start)),
        "previous_close" => check_instant(calendar.previous_close(start)),
        "elapsed" => {
            let end = instant(case, "end")?;
            let want = expected
                .as_i64()
                .ok_or_else(|| "expected is not an integer".to_string())?;
            let got = calendar.elapsed(start, end);
            if got == TimeDelta::seconds(want) {
                Ok(())
            } else {
                Err(format!("expected {want} s, got {} s", got.num_seconds()))
            }
        }
        "is_open" => {
            let want = expected
                .as_bool()
                .ok_or_else(|| "expected is not a bool".to_string())?;
            let got = calendar.is_open(start);
            if got == want {
                Ok(())
            } else {
                Err(format!("expected {want}, got {got}"))
            }
        }
        other => Err(format!("unknown op {other:?}")),
    }
}

#[test]
fn every_conformance_case_passes() {
    let mut count = 0;
    let mut failures = Vec::new();
    for (line, text) in CASES.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        count += 1;
        let case: Value = match serde_json::from_str(text) {
            Ok(case) => case,
            Err(e) => {
                failures.push(format!("line {}: not JSON: {e}", line + 1));
                continue;
            }
        };
        if let Err(why) = run(&case) {
            failures.push(format!(
                "line {} [{}] {} {}: {why}",
                line + 1,
                case["source"].as_str().unwrap_or("?"),
                case["op"].as_str().unwrap_or("?"),
                case["start"].as_str().unwrap_or("?"),
            ));
        }
    }
    assert_eq!(count, 106, "the fixture should hold 106 cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
