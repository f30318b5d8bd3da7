//! The SQLite store (`escalation::sqlite::SqliteStore`) on a file-backed database in a temp
//! dir, WAL mode, `synchronous=FULL` (as the store sets it): every returned commit is on disk.
//!
//! 1. Batch intake: `SqliteStore::insert_batch` of 1,000 commits per transaction (each a
//!    ticket as `create_ticket` builds it, with its seven log entries). Budget: at least
//!    50,000 tickets/s.
//! 2. One durable `Engine::create_ticket` on the SQLite store: p50/p99 over 2,000 calls are
//!    printed, criterion reports the mean.
//! 3. Sweep over 1,000,000 stored open tickets with 1 % due at each step (as
//!    `benches/sweep.rs` on the memory store): per due ticket, and with nothing due. The
//!    tickets are loaded with `insert_batch` (clones of tickets `create_ticket` made at each
//!    of the 100 minutes), not created one by one.
//!
//! 4. The weekly report over 1,000,000 stored tickets (20 weeks of history, one in ten
//!    escalated). Budget: under 2 s.
//!
//! Run: `cargo bench --bench sqlite`. Under `cargo test` each runs once on a tiny size.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use common::{DueSweep, MINUTES, full, selected, start};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use escalation::memory::MemoryStore;
use escalation::ports::{Commit, Inserted, TicketStore};
use escalation::sqlite::SqliteStore;
use escalation::{Engine, ManualClock, NewTicket, TenantId, TicketId};

/// Commits per `insert_batch` call.
fn batch_size() -> usize {
    if full() { 1_000 } else { 50 }
}

/// `create_ticket` calls timed one by one for p50/p99.
fn latency_calls() -> usize {
    if full() { 2_000 } else { 20 }
}

fn open_store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(dir.path().join("escalation.db")).unwrap();
    assert!(store.capabilities().durable);
    store
}

/// The size of the database file in `dir`, in MiB.
fn file_mib(dir: &tempfile::TempDir) -> u64 {
    std::fs::metadata(dir.path().join("escalation.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        >> 20
}

// ---- 1. batch intake ----

fn batch_intake(c: &mut Criterion) {
    if !selected("sqlite_batch_intake") {
        return;
    }
    let batch = batch_size();
    let templates =
        futures::executor::block_on(common::intake_templates(start(), common::received()));
    common::print_template_size("sqlite batch intake", &templates);

    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let first = futures::executor::block_on(store.next_id()).unwrap().0;
    // Ids are handed out here (insert raises the store's id counter to the largest id
    // inserted), so no `next_id` round trip per ticket.
    let mut next = first;

    let mut group = c.benchmark_group("sqlite_batch_intake");
    group.throughput(Throughput::Elements(batch as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(format!("insert_batch ({batch} commits)"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let commits = common::batch_commits(&templates, batch, &mut next);
                let t0 = Instant::now();
                let out = futures::executor::block_on(store.insert_batch(commits)).unwrap();
                total += t0.elapsed();
                assert!(matches!(out.last(), Some(Inserted::Created(_))));
            }
            total
        });
    });
    group.finish();
    println!(
        "sqlite batch intake: {} tickets stored at the end",
        next - first
    );

    // Where the time goes: the JSON encoding alone, and the same batches on an in-memory
    // database (no WAL, no fsync, no checkpoint).
    let commits = common::batch_commits(&templates, batch, &mut 0);
    let t0 = Instant::now();
    for c in &commits {
        std::hint::black_box(serde_json::to_string(&c.ticket).unwrap());
        for e in &c.log {
            std::hint::black_box(serde_json::to_string(e).unwrap());
        }
    }
    let encode = t0.elapsed();
    let memory = SqliteStore::open_in_memory().unwrap();
    let rounds = if full() { 50 } else { 2 };
    let mut total = Duration::ZERO;
    for r in 0..rounds {
        let commits = common::batch_commits(&templates, batch, &mut ((r * batch) as u64));
        let t0 = Instant::now();
        futures::executor::block_on(memory.insert_batch(commits)).unwrap();
        total += t0.elapsed();
    }
    let per_batch = total / u32::try_from(rounds).unwrap();
    println!(
        "sqlite batch intake breakdown ({batch} commits): JSON encoding {encode:.2?}; \
         insert_batch on an in-memory database {per_batch:.2?} ({:.0} tickets/s)",
        batch as f64 / per_batch.as_secs_f64()
    );
}

// ---- 2. create_ticket latency ----

fn create_latency(c: &mut Criterion) {
    if !selected("sqlite_create_ticket") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = common::intake_engine(Arc::new(open_store(&dir)), start())
        .build()
        .unwrap();
    let received = common::received();
    let mut i = 0;

    let n = latency_calls();
    let mut each = Vec::with_capacity(n);
    futures::executor::block_on(async {
        for _ in 0..n {
            let t = common::new_ticket(i, received);
            i += 1;
            let t0 = Instant::now();
            std::hint::black_box(engine.create_ticket(t).await.unwrap());
            each.push(t0.elapsed());
        }
    });
    each.sort_unstable();
    let mean = each.iter().sum::<Duration>() / u32::try_from(n).unwrap();
    println!(
        "sqlite create_ticket over {n} calls: p50 {:?}, p99 {:?}, mean {mean:?}, max {:?}",
        common::percentile(&each, 0.50),
        common::percentile(&each, 0.99),
        each[n - 1],
    );

    let mut group = c.benchmark_group("sqlite_create_ticket");
    group.throughput(Throughput::Elements(1));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("create_ticket (durable)", |b| {
        b.iter_custom(|iters| {
            let input: Vec<NewTicket> = (0..iters)
                .map(|_| {
                    i += 1;
                    common::new_ticket(i, received)
                })
                .collect();
            futures::executor::block_on(async {
                let t0 = Instant::now();
                for t in input {
                    std::hint::black_box(engine.create_ticket(t).await.unwrap());
                }
                t0.elapsed()
            })
        });
    });
    group.finish();
}

// ---- 3. sweep ----

fn sweep(c: &mut Criterion) {
    if !selected("sqlite_sweep_1m_open") {
        return;
    }
    let tickets = common::sweep_tickets();
    let due_per_minute = tickets / MINUTES;
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();

    // One ticket per minute, made by create_ticket on a memory engine with the same policy and
    // no agents: it waits in the queue, next check (route retry) 100 minutes later.
    let memory_clock = Arc::new(ManualClock::new(start));
    let memory = common::sweep_engine(false, Arc::new(MemoryStore::new()), memory_clock.clone())
        .build()
        .unwrap();
    let templates: Vec<_> = futures::executor::block_on(async {
        let mut v = Vec::new();
        for minute in 0..MINUTES {
            let at = start + TimeDelta::minutes(minute as i64);
            memory_clock.set(at);
            let t = common::template(&memory, common::sweep_ticket(0, at)).await;
            common::assert_queued(&t, at);
            v.push(t);
        }
        v
    });

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open_store(&dir));
    let setup = Instant::now();
    let mut id = 0u64;
    futures::executor::block_on(async {
        for (minute, template) in templates.iter().enumerate() {
            for chunk in 0..due_per_minute.div_ceil(10_000) {
                let n = (due_per_minute - chunk * 10_000).min(10_000);
                let commits: Vec<Commit> = (0..n)
                    .map(|i| {
                        id += 1;
                        common::sweep_commit(template, id, i)
                    })
                    .collect();
                store.insert_batch(commits).await.unwrap();
            }
            if full() && minute % 10 == 9 {
                println!(
                    "sqlite sweep setup: {id} tickets in {:.1?}",
                    setup.elapsed()
                );
            }
        }
    });
    println!(
        "sqlite sweep setup: {id} tickets via insert_batch in {:.1?} (database file {} MiB)",
        setup.elapsed(),
        file_mib(&dir)
    );
    assert_eq!(id as usize, tickets);

    let clock = Arc::new(ManualClock::new(start));
    let engine = common::sweep_engine(false, store, clock.clone())
        .build()
        .unwrap();
    let sweep = DueSweep {
        engine: &engine,
        clock: &clock,
        start,
        due_per_minute,
    };
    println!(
        "sqlite sweep: first sweep of {due_per_minute} due took {:.1?}",
        sweep.first()
    );
    sweep.bench(
        c,
        "sqlite_sweep_1m_open",
        SamplingMode::Flat,
        Duration::from_secs(30),
    );
}

// ---- 4. weekly report ----

/// Tickets stored for the report: 1,000,000 under `cargo bench`, 20,000 under `cargo test`.
fn report_tickets() -> usize {
    if full() { 1_000_000 } else { 20_000 }
}

/// The weekly report over 1,000,000 stored tickets: 20 weeks of 50,000 tickets, one in ten
/// escalated (a level fired and a breach logged two hours after intake, one in five of
/// those paged and acknowledged), four in five resolved with a root cause a few hours to
/// days later. The report is for the last full week, with 8 weeks of history.
fn weekly_report(c: &mut Criterion) {
    use escalation::log::{LogEntry as Entry, LogEvent};
    use escalation::model::{Fired, PageState, Resolution};
    use escalation::report::{IsoWeek, ReportOptions};
    use escalation::sla::Target;

    if !selected("sqlite_weekly_report") {
        return;
    }
    let tickets = report_tickets();
    const WEEKS: usize = 20;
    let first_monday = Utc.with_ymd_and_hms(2026, 7, 13, 0, 0, 0).unwrap();
    let templates =
        futures::executor::block_on(common::intake_templates(first_monday, first_monday));
    let causes = [
        "bug",
        "configuration",
        "capacity",
        "third_party",
        "user_error",
    ];
    let week = TimeDelta::days(7);
    let per_week = tickets / WEEKS;
    let step = week / i32::try_from(per_week).unwrap();
    let make = |n: usize| -> Commit {
        let (tmpl, log) = &templates[n % templates.len()];
        let created = first_monday
            + week * i32::try_from(n / per_week).unwrap()
            + step * i32::try_from(n % per_week).unwrap();
        let shift = created - tmpl.created_at;
        let mut t = tmpl.clone();
        t.id = TicketId(n as u64 + 1);
        t.version = 0;
        t.created_at = created;
        t.received_at = created;
        t.next_check = None;
        let mut log: Vec<Entry> = log
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.at += shift;
                e
            })
            .collect();
        if n.is_multiple_of(10) {
            let at = created + TimeDelta::hours(2);
            t.fired = vec![Fired {
                level: Arc::from("manager"),
                target: Some(Target::FirstResponse),
                cycle: 0,
                sub: 0,
            }];
            log.push(Entry::engine(
                at,
                LogEvent::SlaBreached {
                    target: Target::FirstResponse,
                    cycle: 0,
                    deadline: at,
                },
            ));
            log.push(Entry::engine(
                at,
                LogEvent::LevelFired {
                    level: Arc::from("manager"),
                    trigger: escalation::ladder::Trigger::Breach,
                    target: Some(Target::FirstResponse),
                    cycle: 0,
                    category: Some(t.category),
                    customer_tier: Some(t.score.tier),
                },
            ));
            if n.is_multiple_of(50) {
                t.pages = vec![PageState {
                    key: Arc::from(format!("page-{n}")),
                    level: Arc::from("page"),
                    target: Some(Target::FirstResponse),
                    summary: Arc::from("breached"),
                    triggered_at: at,
                    sent: 1,
                    repeat_every: escalation::span::Span::minutes(10),
                    max_repeats: 3,
                    ack_deadline: at + TimeDelta::minutes(15),
                    ack_timed_out: false,
                    acknowledged: Some((
                        at + TimeDelta::minutes((n % 13) as i64),
                        Arc::from(format!("oncall-{}", n % 4)),
                    )),
                    resolved_at: None,
                }];
            }
        }
        if n % 5 != 4 {
            let at = created + TimeDelta::hours(1 + (n % 70) as i64);
            t.status = escalation::Status::Resolved;
            t.resolved_at = Some(at);
            t.resolution = Some(Resolution {
                summary: Arc::from("fixed"),
                root_cause: Some(Arc::from(causes[n % causes.len()])),
                by: Arc::from("agent"),
                at,
            });
            log.push(Entry::engine(
                at,
                LogEvent::Resolved {
                    summary: Arc::from("fixed"),
                    root_cause: Some(Arc::from(causes[n % causes.len()])),
                },
            ));
        }
        log.sort_by_key(|e| e.at);
        Commit::new(t, log, created)
    };

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open_store(&dir));
    let setup = Instant::now();
    futures::executor::block_on(async {
        for chunk in (0..tickets).collect::<Vec<_>>().chunks(10_000) {
            let commits: Vec<Commit> = chunk.iter().map(|n| make(*n)).collect();
            store.insert_batch(commits).await.unwrap();
        }
    });
    println!(
        "sqlite weekly report setup: {tickets} tickets over {WEEKS} weeks in {:.1?} \
         (database file {} MiB)",
        setup.elapsed(),
        file_mib(&dir)
    );
    let now = first_monday + week * i32::try_from(WEEKS).unwrap();
    let engine = Engine::builder()
        .store(store)
        .clock(Arc::new(ManualClock::new(now)))
        .build()
        .unwrap();
    // The last full week of the data (week 19 of 20: week 20's tickets resolve later).
    let report_week = IsoWeek::of(now - week - week, chrono_tz::UTC);
    let options = ReportOptions {
        ticket_url: Some("https://desk.example/{tenant}/tickets/{id}".to_owned()),
        ..ReportOptions::default()
    };
    let tenant = TenantId::default_tenant();
    let t0 = Instant::now();
    let report =
        futures::executor::block_on(engine.weekly_report(&tenant, report_week, &options)).unwrap();
    println!(
        "sqlite weekly report {report_week}: first run {:.1?}; {} created, {} resolved, {} \
         escalations, {} pages",
        t0.elapsed(),
        report.totals.created,
        report.totals.resolved,
        report.totals.escalations,
        report.on_call.iter().map(|p| p.pages).sum::<u64>()
    );
    assert_eq!(report.totals.created as usize, per_week);
    assert!(report.totals.escalations > 0 && !report.on_call.is_empty());

    let mut group = c.benchmark_group("sqlite_weekly_report");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(
        "weekly_report (1M tickets stored, 8 weeks of history)",
        |b| {
            b.iter(|| {
                futures::executor::block_on(engine.weekly_report(&tenant, report_week, &options))
                    .unwrap()
            });
        },
    );
    group.finish();
}

criterion_group!(benches, batch_intake, create_latency, sweep, weekly_report);
criterion_main!(benches);
