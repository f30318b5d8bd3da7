//! Several processes on one SQLite file: the parent takes in many tickets, then four child
//! processes sweep and dispatch concurrently on the same manual-clock schedule, each
//! delivering into its own journal. Nothing crashes, so every escalation must happen
//! exactly once and every effect must be delivered exactly once across the four journals.
//!
//! Checks: every child exits successfully (a child panics, so exits non-zero, on any error,
//! busy included); `PRAGMA integrity_check` is `ok`; no effect is left pending; each
//! delivered effect appears exactly once in the union of the journals and no journal line
//! is foreign; per ticket, each breached clock has exactly one `sla_breached` entry, no
//! running clock is past its deadline unbreached, and `level_fired` entries match the
//! ladder steps the ticket records as fired, each once.
//!
//! The schedule, the children's loop and the exactly-once checks are
//! `escalation_core::testkit::process`'s (`Schedule`, `check_deliveries`,
//! `check_some_breached`); here are the intake, how to open the file and read it raw.
//!
//! Ticket count: `ESCALATION_PROCESS_TICKETS`, default 20,000 in release and 4,000 in
//! debug builds. The children are the ignored test `process_child` of this same binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use escalation_core::ports::TicketStore;
use escalation_core::testkit::process::{
    self, CancelledDeliveries, Deliveries, Journal, Schedule, schedule_policy, t0,
};
use escalation_core::{Channel, Engine, Impact, ManualClock, NewTicket, TenantId};
use escalation_sqlite::SqliteStore;

use support::{integrity_check, read_contents};

const ROLE: &str = "ESCALATION_PROCESS_ROLE";
const DIR: &str = "ESCALATION_PROCESS_DIR";
const CHILDREN: usize = 4;
/// Every child steps through `t0 + k·10 minutes` for `k` in `0..=36`, at most three steps
/// ahead of the slowest one (the skew stays below the dispatch lease, an hour).
const SCHEDULE: Schedule = Schedule {
    children: CHILDREN,
    step_minutes: 10,
    steps: 36,
    max_skew: 3,
};

fn engine(
    id: &str,
    store: Arc<dyn TicketStore>,
    clock: Arc<ManualClock>,
    journal: PathBuf,
) -> Engine {
    process::engine(
        id,
        schedule_policy(),
        store,
        clock,
        Arc::new(Journal::open(&journal)),
        &[TenantId::default_tenant()],
    )
}

#[tokio::test]
#[ignore = "a child process of four_processes_share_one_file"]
async fn process_child() {
    let Some((role, dir)) = process::child_env(ROLE, DIR) else {
        return;
    };
    let me: usize = role.parse().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let store: Arc<dyn TicketStore> = Arc::new(SqliteStore::open(dir.join("shared.db")).unwrap());
    let engine = engine(
        &format!("child-{me}"),
        store.clone(),
        clock.clone(),
        Schedule::journal(&dir, me),
    );
    let tally = SCHEDULE
        .run(&dir, me, &engine, &*store, &clock, async |_| {})
        .await;
    println!("child {me}: {tally}");
}

#[test]
fn four_processes_share_one_file() {
    let n: usize = process::env_or(
        "ESCALATION_PROCESS_TICKETS",
        if cfg!(debug_assertions) {
            4_000
        } else {
            20_000
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("shared.db");
    let started = Instant::now();

    // Intake through one engine (the normal path: create_ticket, one write per ticket).
    let rt = process::runtime();
    rt.block_on(async {
        let store: Arc<dyn TicketStore> = Arc::new(SqliteStore::open(&db).unwrap());
        let clock = Arc::new(ManualClock::new(t0()));
        let engine = engine("intake", store, clock, dir.join("journal-intake"));
        let cases = [
            ("cust-0", "billing", Impact::Outage),
            ("cust-1", "login", Impact::Degraded),
            ("cust-2", "api", Impact::Bug),
            ("cust-2", "billing", Impact::Question),
        ];
        for i in 0..n {
            let (customer, category, impact) = cases[i % cases.len()];
            let mut new = NewTicket::new(customer, Channel::Email, category, impact, "Help", t0());
            new.intake_key = Some(format!("p-{i}"));
            engine.create_ticket(new).await.unwrap();
        }
    });
    let intake = started.elapsed();

    let children = (0..CHILDREN)
        .map(|i| {
            process::child_test("process_child")
                .env(ROLE, i.to_string())
                .env(DIR, dir)
                .spawn()
                .unwrap()
        })
        .collect();
    process::wait_all(children, Duration::from_secs(900));
    let concurrent = started.elapsed() - intake;

    assert_eq!(integrity_check(&db), "ok");
    let contents = read_contents(&db);
    assert_eq!(contents.tickets.len(), n);
    let seen = Deliveries::read(
        (0..CHILDREN)
            .map(|i| (format!("child {i}"), Schedule::journal(dir, i)))
            .chain([("intake".to_owned(), dir.join("journal-intake"))]),
    );
    let counts = process::check_deliveries(&contents, &seen, CancelledDeliveries::Never);
    let (breached, breached_tickets) =
        process::check_some_breached(&contents, SCHEDULE.final_instant());
    println!(
        "{n} tickets: intake {intake:?}, 4 children {concurrent:?}; {breached_tickets} tickets \
         breached ({breached} clocks), {} effects, {} delivered exactly once",
        contents.effects.len(),
        counts.delivered
    );
}
