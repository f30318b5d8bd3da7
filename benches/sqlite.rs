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

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use escalation::memory::{MemoryDirectory, MemoryProfiles, MemoryStore};
use escalation::ports::{Commit, Inserted, TicketStore};
use escalation::sqlite::SqliteStore;
use escalation::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Engine, Impact,
    LogEntry, ManualClock, NewTicket, Policy, SupportTier, Symbol, TeamId, TenantId, Ticket,
    TicketId,
};

const CATEGORIES: &[&str] = &["billing", "login", "api", "performance", "data_export"];
const CUSTOMERS: usize = 1_000;
const MINUTES: usize = 100;

/// Whether criterion's name filter (if any) selects `group`; skips the setup of the others.
fn selected(group: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| group.contains(f.as_str()))
}

fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Commits per `insert_batch` call.
fn batch_size() -> usize {
    if full() { 1_000 } else { 50 }
}

/// `create_ticket` calls timed one by one for p50/p99.
fn latency_calls() -> usize {
    if full() { 2_000 } else { 20 }
}

/// Tickets stored for the sweep: 1,000,000 under `cargo bench`, 10,000 under `cargo test`.
fn sweep_tickets() -> usize {
    if full() { 1_000_000 } else { 10_000 }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn profiles() -> MemoryProfiles {
    let tenant = TenantId::default_tenant();
    let profiles = MemoryProfiles::new();
    for i in 0..CUSTOMERS {
        profiles.insert(
            &tenant,
            CustomerProfile {
                customer: CustomerId::new(format!("c{i}")),
                tier: CustomerTier::ALL[i % CustomerTier::ALL.len()],
                lifetime_value: (i * 137 % 100_000) as f64,
                customer_since: start(),
                prior_tickets: 3,
                prior_escalations: 0,
                contact: Contact::email("Customer", "c@example.com"),
            },
        );
    }
    profiles
}

/// 20 agents as in `benches/intake.rs`.
fn directory() -> MemoryDirectory {
    let tenant = TenantId::default_tenant();
    let directory = MemoryDirectory::new();
    for i in 0..20 {
        directory.upsert_agent(
            &tenant,
            Agent {
                id: AgentId::new(format!("agent-{i:02}")),
                name: Arc::from("Agent"),
                tier: if i < 16 {
                    SupportTier::Tier1
                } else {
                    SupportTier::Tier2
                },
                skills: vec![
                    Symbol::intern(CATEGORIES[i % CATEGORIES.len()]),
                    Symbol::intern(CATEGORIES[(i + 2) % CATEGORIES.len()]),
                ],
                generalist: i % 7 == 0,
                email: None,
                capacity: u32::MAX,
                available: true,
                team: TeamId::new("support"),
            },
        );
    }
    directory
}

fn new_ticket(i: usize, received: DateTime<Utc>) -> NewTicket {
    let mut t = NewTicket::new(
        CustomerId::new(format!("c{}", i % CUSTOMERS)),
        Channel::ALL[i % Channel::ALL.len()],
        CATEGORIES[i % CATEGORIES.len()],
        Impact::ALL[i % Impact::ALL.len()],
        "Cannot export the monthly report",
        received,
    );
    t.body = "The export button spins forever since this morning.".into();
    t
}

/// A ticket and its log exactly as `create_ticket` wrote them (on an in-memory engine).
async fn template(engine: &Engine, new: NewTicket) -> (Ticket, Vec<LogEntry>) {
    let ticket = engine.create_ticket(new).await.unwrap();
    let log = engine.log(ticket.id).await.unwrap();
    // Only the ticket and its log are cloned: a commit carrying effects or tasks would need
    // fresh keys per clone.
    assert!(engine.effects(ticket.id).await.unwrap().is_empty());
    (ticket, log)
}

fn commit(template: &(Ticket, Vec<LogEntry>), id: u64) -> Commit {
    let mut ticket = template.0.clone();
    ticket.id = TicketId(id);
    ticket.version = 0;
    Commit::new(ticket, template.1.clone(), template.0.created_at)
}

fn open_store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(dir.path().join("escalation.db")).unwrap();
    assert!(store.capabilities().durable);
    store
}

// ---- 1. batch intake ----

fn batch_intake(c: &mut Criterion) {
    if !selected("sqlite_batch_intake") {
        return;
    }
    let batch = batch_size();
    let memory = Engine::builder()
        .store(Arc::new(MemoryStore::new()))
        .profiles(Arc::new(profiles()))
        .directory(Arc::new(directory()))
        .clock(Arc::new(ManualClock::new(start())))
        .build()
        .unwrap();
    let received = start() - TimeDelta::minutes(30);
    // A few distinct tickets (channels, categories, impacts), cycled.
    let templates: Vec<_> = futures::executor::block_on(async {
        let mut v = Vec::new();
        for i in 0..60 {
            v.push(template(&memory, new_ticket(i, received)).await);
        }
        v
    });
    let json: usize = templates
        .iter()
        .map(|(t, _)| serde_json::to_string(t).unwrap().len())
        .sum::<usize>()
        / templates.len();
    println!(
        "sqlite batch intake: a ticket is ~{json} bytes of JSON with {} log entries",
        templates[0].1.len()
    );

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
                let commits: Vec<Commit> = (0..batch)
                    .map(|i| {
                        next += 1;
                        commit(&templates[i % templates.len()], next)
                    })
                    .collect();
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
    let commits: Vec<Commit> = (0..batch)
        .map(|i| commit(&templates[i % templates.len()], i as u64 + 1))
        .collect();
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
        let commits: Vec<Commit> = (0..batch)
            .map(|i| commit(&templates[i % templates.len()], (r * batch + i) as u64 + 1))
            .collect();
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn create_latency(c: &mut Criterion) {
    if !selected("sqlite_create_ticket") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder()
        .store(Arc::new(open_store(&dir)))
        .profiles(Arc::new(profiles()))
        .directory(Arc::new(directory()))
        .clock(Arc::new(ManualClock::new(start())))
        .build()
        .unwrap();
    let received = start() - TimeDelta::minutes(30);
    let mut i = 0;

    let n = latency_calls();
    let mut each = Vec::with_capacity(n);
    futures::executor::block_on(async {
        for _ in 0..n {
            let t = new_ticket(i, received);
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
        percentile(&each, 0.50),
        percentile(&each, 0.99),
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
                    new_ticket(i, received)
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

/// The policy of `benches/sweep.rs` (wall-clock SLA calendar).
fn sweep_policy() -> Policy {
    Policy::from_toml_str(
        r#"
        [routing]
        retry_after_seconds = 6000
        [scoring.weights]
        age = 0.0
        [[sla.targets]]
        first_response = "60d"
        resolution = "90d"
        "#,
    )
    .unwrap()
}

fn sweep(c: &mut Criterion) {
    if !selected("sqlite_sweep_1m_open") {
        return;
    }
    let tickets = sweep_tickets();
    let due_per_minute = tickets / MINUTES;
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();

    // One ticket per minute, made by create_ticket on a memory engine with the same policy and
    // no agents: it waits in the queue, next check (route retry) 100 minutes later.
    let memory_clock = Arc::new(ManualClock::new(start));
    let memory = Engine::builder()
        .policy(sweep_policy())
        .store(Arc::new(MemoryStore::new()))
        .directory(Arc::new(MemoryDirectory::new()))
        .clock(memory_clock.clone())
        .build()
        .unwrap();
    let templates: Vec<_> = futures::executor::block_on(async {
        let mut v = Vec::new();
        for minute in 0..MINUTES {
            let at = start + TimeDelta::minutes(minute as i64);
            memory_clock.set(at);
            let new = NewTicket::new(
                CustomerId::new("c0"),
                Channel::Email,
                "billing",
                Impact::Bug,
                "Export fails",
                at,
            );
            let t = template(&memory, new).await;
            assert_eq!(
                t.0.next_check,
                Some(at + TimeDelta::minutes(MINUTES as i64))
            );
            assert_eq!(t.0.route_retry_at, t.0.next_check);
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
                        let mut c = commit(template, id);
                        c.ticket.customer = CustomerId::new(format!("c{}", i % 5_000));
                        c
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
    let size = std::fs::metadata(dir.path().join("escalation.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "sqlite sweep setup: {id} tickets via insert_batch in {:.1?} (database file {} MiB)",
        setup.elapsed(),
        size >> 20
    );
    assert_eq!(id as usize, tickets);

    let clock = Arc::new(ManualClock::new(start));
    let engine = Engine::builder()
        .policy(sweep_policy())
        .store(store)
        .directory(Arc::new(MemoryDirectory::new()))
        .clock(clock.clone())
        .build()
        .unwrap();
    // Minute 100 + k makes the tickets created at minute k due.
    let mut minute = MINUTES as i64;
    clock.set(start + TimeDelta::minutes(minute));
    let t0 = Instant::now();
    let warm = futures::executor::block_on(engine.sweep()).unwrap();
    assert_eq!(warm.claimed, due_per_minute);
    println!(
        "sqlite sweep: first sweep of {due_per_minute} due took {:.1?}",
        t0.elapsed()
    );

    let mut group = c.benchmark_group("sqlite_sweep_1m_open");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
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

    let mut group = c.benchmark_group("sqlite_sweep_1m_open");
    group.throughput(Throughput::Elements(1));
    group.bench_function("nothing_due", |b| {
        b.iter(|| {
            let report = futures::executor::block_on(engine.sweep()).unwrap();
            assert_eq!(report.claimed, 0);
        });
    });
    group.finish();
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
    let memory = Engine::builder()
        .store(Arc::new(MemoryStore::new()))
        .profiles(Arc::new(profiles()))
        .directory(Arc::new(directory()))
        .clock(Arc::new(ManualClock::new(first_monday)))
        .build()
        .unwrap();
    let templates: Vec<_> = futures::executor::block_on(async {
        let mut v = Vec::new();
        for i in 0..60 {
            v.push(template(&memory, new_ticket(i, first_monday)).await);
        }
        v
    });
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
    let size = std::fs::metadata(dir.path().join("escalation.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "sqlite weekly report setup: {tickets} tickets over {WEEKS} weeks in {:.1?} \
         (database file {} MiB)",
        setup.elapsed(),
        size >> 20
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
