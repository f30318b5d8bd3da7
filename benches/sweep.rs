//! Sweep cost: 1,000,000 open tickets, 1 % of them due at each step.
//!
//! Every ticket waits in the queue (no agent is on shift) and carries running SLA clocks, so
//! a due ticket is fully revisited: rescored, offered to the agents again, its clocks
//! evaluated, and written back with a new next-check. Tickets are created at 100 different
//! minutes and retried every 100 minutes, so each minute of the manual clock makes exactly
//! 1 % (10,000) of them due. Budgets: at most 2 µs per due ticket, and at most 50 µs for a
//! sweep when nothing is due.
//!
//! Run: `cargo bench --bench sweep` (setup takes a few seconds: it creates 1M tickets).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use escalation::memory::{MemoryDirectory, MemoryStore};
use escalation::{Channel, Clock, CustomerId, Engine, Impact, ManualClock, NewTicket, Policy};

const MINUTES: usize = 100;

/// 1,000,000 under `cargo bench`; 10,000 when `cargo test` runs the bench once as a test.
fn tickets() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        10_000
    }
}

/// Clocks on the wall-clock calendar (`always`), or on a Mon–Fri 09:00–17:00 New York
/// calendar with holidays, whose instants go through the calendar's tables.
fn policy(business_calendar: bool) -> Policy {
    let calendar = if business_calendar {
        r#"
        [calendars.support]
        timezone = "America/New_York"
        holidays = ["2026-11-26", "2026-12-25", "2027-01-01"]
        hours = { mon = [["09:00", "17:00"]], tue = [["09:00", "17:00"]], wed = [["09:00", "17:00"]], thu = [["09:00", "17:00"]], fri = [["09:00", "17:00"]] }
        [sla]
        calendar = "support"
        "#
    } else {
        ""
    };
    Policy::from_toml_str(&format!(
        r#"
        [routing]
        retry_after_seconds = 6000
        [scoring.weights]
        age = 0.0
        [[sla.targets]]
        first_response = "60d"
        resolution = "90d"
        {calendar}
        "#
    ))
    .unwrap()
}

fn sweep(c: &mut Criterion) {
    sweep_on(c, false, "sweep_1m_open");
    sweep_on(c, true, "sweep_1m_open_business_calendar");
}

fn sweep_on(c: &mut Criterion, business_calendar: bool, name: &str) {
    let tickets = tickets();
    let due_per_minute = tickets / MINUTES;
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let store = Arc::new(MemoryStore::with_capacity(tickets));
    let engine = Engine::builder()
        .policy(policy(business_calendar))
        .store(store.clone())
        .directory(Arc::new(MemoryDirectory::new()))
        .clock(clock.clone())
        .build()
        .unwrap();
    futures::executor::block_on(async {
        for minute in 0..MINUTES {
            clock.set(start + TimeDelta::minutes(minute as i64));
            for i in 0..due_per_minute {
                let t = NewTicket::new(
                    CustomerId::new(format!("c{}", i % 5_000)),
                    Channel::Email,
                    "billing",
                    Impact::Bug,
                    "Export fails",
                    clock.now(),
                );
                engine.create_ticket(t).await.unwrap();
            }
        }
    });
    assert_eq!(store.len(), tickets);
    // Minute 100 + k makes the tickets created at minute k due.
    let mut minute = MINUTES as i64;
    clock.set(start + TimeDelta::minutes(minute));
    let warm = futures::executor::block_on(engine.sweep()).unwrap();
    assert_eq!(warm.claimed, due_per_minute);

    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(due_per_minute as u64));
    group.bench_function("1%_due (per due ticket)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                minute += 1;
                clock.set(start + TimeDelta::minutes(minute));
                let t0 = Instant::now();
                let report = futures::executor::block_on(engine.sweep()).unwrap();
                total += t0.elapsed();
                assert_eq!(report.claimed, due_per_minute);
            }
            total
        });
    });
    group.finish();

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.bench_function("nothing_due", |b| {
        b.iter(|| {
            let report = futures::executor::block_on(engine.sweep()).unwrap();
            assert_eq!(report.claimed, 0);
        });
    });
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
