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

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use common::{DueSweep, MINUTES};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use escalation::memory::MemoryStore;
use escalation::{Clock, ManualClock};

fn sweep(c: &mut Criterion) {
    sweep_on(c, false, "sweep_1m_open");
    sweep_on(c, true, "sweep_1m_open_business_calendar");
}

fn sweep_on(c: &mut Criterion, business_calendar: bool, name: &str) {
    let tickets = common::sweep_tickets();
    let due_per_minute = tickets / MINUTES;
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let store = Arc::new(MemoryStore::with_capacity(tickets));
    let engine = common::sweep_engine(business_calendar, store.clone(), clock.clone())
        .build()
        .unwrap();
    futures::executor::block_on(async {
        for minute in 0..MINUTES {
            clock.set(start + TimeDelta::minutes(minute as i64));
            for i in 0..due_per_minute {
                let t = common::sweep_ticket(i, clock.now());
                engine.create_ticket(t).await.unwrap();
            }
        }
    });
    assert_eq!(store.len(), tickets);
    let sweep = DueSweep {
        engine: &engine,
        clock: &clock,
        start,
        due_per_minute,
    };
    sweep.first();
    sweep.bench(c, name, SamplingMode::Auto, Duration::from_secs(8));
}

criterion_group!(benches, sweep);
criterion_main!(benches);
