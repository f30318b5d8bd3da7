//! Set-up shared by the benches (`mod common;` in each): the agents, profiles and tickets of
//! the intake workloads, the policy and tickets of the sweep workloads, commits cloned from
//! tickets an in-memory engine made (for batch loading), and the timed sweep loop.
//!
//! Not every bench uses every helper.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput};
use escalation::memory::{MemoryDirectory, MemoryProfiles, MemoryStore};
use escalation::ports::{Commit, TicketStore};
use escalation::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Engine,
    EngineBuilder, Impact, LogEntry, ManualClock, NewTicket, Policy, SupportTier, Symbol, TeamId,
    TenantId, Ticket, TicketId,
};

pub const CATEGORIES: &[&str] = &["billing", "login", "api", "performance", "data_export"];
/// Customers with a profile (`c0` .. `c999`).
pub const CUSTOMERS: usize = 1_000;
/// The sweep workloads: tickets are created at this many minutes and retried after as many.
pub const MINUTES: usize = 100;
/// The sweep workloads' customers (`c0` .. `c4999`, no profiles).
pub const SWEEP_CUSTOMERS: usize = 5_000;
/// Distinct intake tickets cloned into batches.
const TEMPLATES: usize = 60;

// ---- sizes ----

/// Whether this is a `cargo bench` run (rather than `cargo test` running a bench once).
pub fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Whether the name filter (if any) selects `name`; skips the setup of the others.
pub fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Open tickets for a sweep workload: 1,000,000 under `cargo bench`, 10,000 under `cargo test`.
pub fn sweep_tickets() -> usize {
    if full() { 1_000_000 } else { 10_000 }
}

// ---- intake ----

/// The intake workloads' clock: Monday 2026-11-23, 09:00 UTC.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// When the intake workloads' tickets were received: half an hour before [`start`].
pub fn received() -> DateTime<Utc> {
    start() - TimeDelta::minutes(30)
}

/// A profile for each of the [`CUSTOMERS`], tiers cycled.
pub fn profiles() -> MemoryProfiles {
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

/// 20 available agents without a capacity limit: 16 in tier 1, 4 in tier 2, two skills each.
pub fn directory() -> MemoryDirectory {
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

/// An engine on `store` with the [`profiles`] and the [`directory`], its manual clock at
/// `now` (default policy unless the caller sets one).
pub fn intake_engine(store: Arc<dyn TicketStore>, now: DateTime<Utc>) -> EngineBuilder {
    Engine::builder()
        .store(store)
        .profiles(Arc::new(profiles()))
        .directory(Arc::new(directory()))
        .clock(Arc::new(ManualClock::new(now)))
}

/// Intake ticket number `i`: customer, channel, category and impact cycled.
pub fn new_ticket(i: usize, received: DateTime<Utc>) -> NewTicket {
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

// ---- sweep ----

/// The sweep policy: a queued ticket is looked at again after 100 minutes ([`MINUTES`]), the
/// score ignores age, and SLA clocks run (60 days to first response, 90 to resolution). The
/// clocks are on the wall-clock calendar (`always`), or with `business_calendar` on a Mon–Fri
/// 09:00–17:00 New York calendar with holidays, whose instants go through the calendar's
/// tables.
pub fn sweep_policy(business_calendar: bool) -> Policy {
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

/// An engine on `store` with the [`sweep_policy`] and no agents (every ticket waits in the
/// queue) or profiles, on `clock`.
pub fn sweep_engine(
    business_calendar: bool,
    store: Arc<dyn TicketStore>,
    clock: Arc<ManualClock>,
) -> EngineBuilder {
    Engine::builder()
        .policy(sweep_policy(business_calendar))
        .store(store)
        .directory(Arc::new(MemoryDirectory::new()))
        .clock(clock)
}

/// The sweep workloads' ticket, from customer `c{customer % 5000}`, received `at`.
pub fn sweep_ticket(customer: usize, at: DateTime<Utc>) -> NewTicket {
    NewTicket::new(
        CustomerId::new(format!("c{}", customer % SWEEP_CUSTOMERS)),
        Channel::Email,
        "billing",
        Impact::Bug,
        "Export fails",
        at,
    )
}

/// Asserts that `t`, made at `at` on a [`sweep_engine`], waits in the queue until its routing
/// retry [`MINUTES`] later.
pub fn assert_queued(t: &Template, at: DateTime<Utc>) {
    assert_eq!(
        t.0.next_check,
        Some(at + TimeDelta::minutes(MINUTES as i64))
    );
    assert_eq!(t.0.route_retry_at, t.0.next_check);
}

// ---- commits cloned from templates (batch loading) ----

/// A ticket and its log exactly as `create_ticket` wrote them.
pub type Template = (Ticket, Vec<LogEntry>);

/// A ticket and its log exactly as `create_ticket` wrote them (on an in-memory engine).
pub async fn template(engine: &Engine, new: NewTicket) -> Template {
    let ticket = engine.create_ticket(new).await.unwrap();
    let log = engine.log(ticket.id).await.unwrap();
    // Only the ticket and its log are cloned: a commit carrying effects or tasks would need
    // fresh keys per clone.
    assert!(engine.effects(ticket.id).await.unwrap().is_empty());
    (ticket, log)
}

/// Templates of intake tickets `0..count` ([`new_ticket`]) made by `engine`.
pub async fn templates(engine: &Engine, count: usize, received: DateTime<Utc>) -> Vec<Template> {
    let mut v = Vec::with_capacity(count);
    for i in 0..count {
        v.push(template(engine, new_ticket(i, received)).await);
    }
    v
}

/// A few distinct intake tickets (channels, categories, impacts), to be cycled: made by an
/// in-memory [`intake_engine`] whose clock stands at `now`.
pub async fn intake_templates(now: DateTime<Utc>, received: DateTime<Utc>) -> Vec<Template> {
    let memory = intake_engine(Arc::new(MemoryStore::new()), now)
        .build()
        .unwrap();
    templates(&memory, TEMPLATES, received).await
}

/// Prints the templates' average JSON size and log length, after `label: `.
pub fn print_template_size(label: &str, templates: &[Template]) {
    let json: usize = templates
        .iter()
        .map(|(t, _)| serde_json::to_string(t).unwrap().len())
        .sum::<usize>()
        / templates.len();
    println!(
        "{label}: a ticket is ~{json} bytes of JSON with {} log entries",
        templates[0].1.len()
    );
}

/// A new ticket `id` (version 0) cloned from `template`, with its log.
pub fn commit(template: &Template, id: u64) -> Commit {
    let mut ticket = template.0.clone();
    ticket.id = TicketId(id);
    ticket.version = 0;
    Commit::new(ticket, template.1.clone(), template.0.created_at)
}

/// `size` commits cycling through `templates`, with the ids after `*next` (which is
/// advanced past them).
pub fn batch_commits(templates: &[Template], size: usize, next: &mut u64) -> Vec<Commit> {
    (0..size)
        .map(|i| {
            *next += 1;
            commit(&templates[i % templates.len()], *next)
        })
        .collect()
}

/// [`commit`] for a sweep workload: from customer `c{customer % 5000}`.
pub fn sweep_commit(template: &Template, id: u64, customer: usize) -> Commit {
    let mut c = commit(template, id);
    c.ticket.customer = CustomerId::new(format!("c{}", customer % SWEEP_CUSTOMERS));
    c
}

// ---- measuring ----

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// A sweep workload ready to time: tickets created at each of [`MINUTES`] minutes from
/// `start`, `due_per_minute` at each, every one retried [`MINUTES`] minutes later.
pub struct DueSweep<'a> {
    pub engine: &'a Engine,
    pub clock: &'a ManualClock,
    pub start: DateTime<Utc>,
    pub due_per_minute: usize,
}

impl DueSweep<'_> {
    /// The first sweep (not measured): at minute 100 + k the tickets created at minute k are
    /// due, so at minute 100 those of minute 0. How long it took.
    pub fn first(&self) -> Duration {
        self.clock
            .set(self.start + TimeDelta::minutes(MINUTES as i64));
        let t0 = Instant::now();
        let warm = futures::executor::block_on(self.engine.sweep()).unwrap();
        let took = t0.elapsed();
        assert_eq!(warm.claimed, self.due_per_minute);
        took
    }

    /// Criterion group `name` after [`DueSweep::first`]: a sweep a minute later each time
    /// (per due ticket, 10 samples over `measurement`), then a sweep with nothing due.
    pub fn bench(
        &self,
        c: &mut Criterion,
        name: &str,
        sampling: SamplingMode,
        measurement: Duration,
    ) {
        let mut minute = MINUTES as i64;
        let mut group = c.benchmark_group(name);
        group.sampling_mode(sampling);
        group.sample_size(10);
        group.measurement_time(measurement);
        group.throughput(Throughput::Elements(self.due_per_minute as u64));
        group.bench_function("1%_due (per due ticket)", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    minute += 1;
                    self.clock.set(self.start + TimeDelta::minutes(minute));
                    let t0 = Instant::now();
                    let report = futures::executor::block_on(self.engine.sweep()).unwrap();
                    total += t0.elapsed();
                    assert_eq!(report.claimed, self.due_per_minute);
                }
                total
            });
        });
        group.finish();

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        group.bench_function("nothing_due", |b| {
            b.iter(|| {
                let report = futures::executor::block_on(self.engine.sweep()).unwrap();
                assert_eq!(report.claimed, 0);
            });
        });
        group.finish();
    }
}
