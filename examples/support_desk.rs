//! A simulated support desk: a seeded week of tickets flowing through the whole engine.
//!
//! Customers of every tier send tickets around the clock; agents with skills work in three
//! shifts (fewer at weekends), reply, ask customers for details and resolve with a root
//! cause; on-call engineers acknowledge pages, usually. The engine runs on a manual clock
//! that jumps from one due instant to the next, so the week takes about a second, and every
//! run with the same seed prints the same decisions: tickets by priority and assignee, the
//! SLA outcome per target, the highlights of the escalation log, and one explained deadline.
//!
//! At the end it prints the weekly escalation report of the simulated week in Markdown and
//! writes it as one HTML page (`--report-html`, by default `target/support_desk_report.html`).
//!
//! The tickets live in a SQLite file (`--db`, by default `target/support_desk.db`). A run on
//! a file that already holds a simulated week continues with the next one; a run that was
//! interrupted (even by `kill -9`) is picked up where it stopped: the arrivals carry intake
//! keys, so the ones already taken are not taken twice, and the open tickets are worked on
//! again. `--fresh` starts the file over; `--memory` runs on the in-memory store instead.
//!
//! ```text
//! cargo run --release --example support_desk -- --seed 7 --tickets 700 --days 7
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc, Weekday};
use clap::Parser;
use escalation::effect::{EffectKind, EffectState};
use escalation::memory::{MemoryDirectory, MemoryPager, MemoryProfiles, MemoryStore, PagerCall};
use escalation::ports::TicketStore;
use escalation::report::{IsoWeek, ReportOptions};
use escalation::sqlite::SqliteStore;
use escalation::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Engine, Impact,
    LogEvent, ManualClock, NewTicket, Policy, Priority, ProfileState, Status, SupportTier, Symbol,
    Team, TeamId, TenantId, Ticket, TicketEvent, TicketId,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Simulate a week at a support desk and print what the engine decided.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Seed of the generator; the same seed gives the same week.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Tickets received over the simulated period.
    #[arg(long, default_value_t = 700)]
    tickets: usize,
    /// Days to simulate, starting on a Monday.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// The policy document (TOML or JSON).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml"))]
    policy: std::path::PathBuf,
    /// How many ticket logs to print in full.
    #[arg(long, default_value_t = 2)]
    show_logs: usize,
    /// The SQLite database the tickets live in; a later run continues from it.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/target/support_desk.db"))]
    db: std::path::PathBuf,
    /// Delete the database first and start from the first week.
    #[arg(long)]
    fresh: bool,
    /// Where to write the weekly escalation report as one HTML page.
    #[arg(
        long,
        default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/target/support_desk_report.html")
    )]
    report_html: std::path::PathBuf,
    /// Run on the in-memory store (nothing is kept).
    #[arg(long, conflicts_with_all = ["db", "fresh"])]
    memory: bool,
}

const CATEGORIES: &[&str] = &[
    "billing",
    "login",
    "api",
    "performance",
    "data_export",
    "integrations",
    "account",
];

/// Things that happen during the simulated week, in time order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    ShiftChange(u32),
    Arrive(usize),
    AgentReply(TicketId),
    AskCustomer(TicketId),
    CustomerReply(TicketId),
    Resolve(TicketId),
    Acknowledge(TicketId, Arc<str>),
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, w) in weighted {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    weighted[0].0
}

struct Desk {
    agents: Vec<(Agent, u32)>, // agent and the shift (0, 1, 2) they work
}

fn build_desk(rng: &mut ChaCha8Rng, directory: &MemoryDirectory, tenant: &TenantId) -> Desk {
    let teams = [
        ("billing", "Billing & Accounts", "Maria Lopez"),
        ("platform", "Platform", "Sam Okafor"),
        ("integrations", "Integrations", "Lena Fischer"),
    ];
    for (id, name, manager) in teams {
        directory.upsert_team(
            tenant,
            Team {
                id: TeamId::new(id),
                name: Arc::from(name),
                manager: Contact::email(manager, &format!("{}@desk.example", id)),
            },
        );
    }
    let names = [
        "ana", "ben", "chen", "dara", "eli", "fay", "gus", "hana", "ivan", "jo", "kai", "lia",
        "max", "noor", "omar", "pia", "quinn", "rui", "sara", "tom", "uma", "vic", "wen", "xia",
    ];
    let mut agents = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let tier = if i % 5 == 4 {
            SupportTier::Tier2
        } else {
            SupportTier::Tier1
        };
        let team = teams[i % teams.len()].0;
        let mut skills: Vec<Symbol> = Vec::new();
        for _ in 0..3 {
            let s = Symbol::intern(CATEGORIES[rng.random_range(0..CATEGORIES.len())]);
            if !skills.contains(&s) {
                skills.push(s);
            }
        }
        let agent = Agent {
            id: AgentId::new(name),
            name: Arc::from(*name),
            tier,
            skills,
            generalist: i % 6 == 0,
            email: Some(Arc::from(format!("{name}@desk.example"))),
            capacity: rng.random_range(6..11),
            available: false,
            team: TeamId::new(team),
        };
        directory.upsert_agent(tenant, agent.clone());
        agents.push((agent, (i % 3) as u32));
    }
    Desk { agents }
}

fn build_customers(
    rng: &mut ChaCha8Rng,
    profiles: &MemoryProfiles,
    tenant: &TenantId,
    start: DateTime<Utc>,
) -> Vec<CustomerId> {
    let mut ids = Vec::new();
    for i in 0..180 {
        let id = CustomerId::new(format!("cust-{i:03}"));
        ids.push(id.clone());
        // One customer in twenty is unknown to the CRM.
        if rng.random_range(0..20) == 0 {
            continue;
        }
        let tier = pick(
            rng,
            &[
                (CustomerTier::Free, 35),
                (CustomerTier::Standard, 35),
                (CustomerTier::Premium, 15),
                (CustomerTier::Enterprise, 10),
                (CustomerTier::Vip, 5),
            ],
        );
        let base = match tier {
            CustomerTier::Free => 0.0,
            CustomerTier::Standard => 500.0,
            CustomerTier::Premium => 5_000.0,
            CustomerTier::Enterprise => 80_000.0,
            CustomerTier::Vip => 400_000.0,
        };
        profiles.insert(
            tenant,
            CustomerProfile {
                customer: id.clone(),
                tier,
                lifetime_value: base * rng.random_range(0.5..2.0),
                customer_since: start - TimeDelta::days(rng.random_range(10..2000)),
                prior_tickets: rng.random_range(0..40),
                prior_escalations: rng.random_range(0..4),
                contact: Contact::email(
                    &format!("Customer {i}"),
                    &format!("cust-{i:03}@customer.example"),
                ),
            },
        );
    }
    ids
}

type Agenda = BinaryHeap<Reverse<(DateTime<Utc>, Happening)>>;

fn at(agenda: &mut Agenda, when: DateTime<Utc>, what: Happening) {
    agenda.push(Reverse((when, what)));
}

fn is_weekend(t: DateTime<Utc>) -> bool {
    matches!(t.weekday(), Weekday::Sat | Weekday::Sun)
}

/// One planned arrival: when, and what the customer sends.
struct Arrival {
    when: DateTime<Utc>,
    ticket: NewTicket,
}

/// The arrivals of simulated period `period` (`days` days from `start`), in time order. They
/// depend only on the seed and the period, so a resumed run plans the same ones; each carries
/// an intake key, so one already taken is not taken again.
fn plan_arrivals(
    args: &Args,
    period: u32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    customers: &[CustomerId],
) -> Vec<Arrival> {
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ (u64::from(period) << 40) ^ 0xA5A5);
    let span = (end - start).num_seconds() as f64;
    let mut out = Vec::with_capacity(args.tickets);
    for i in 0..args.tickets {
        // Busier on weekdays and in the day than at night and at weekends.
        let mut when = start + TimeDelta::seconds(rng.random_range(0.0..span) as i64);
        for _ in 0..2 {
            if is_weekend(when) || !(6..22).contains(&chrono::Timelike::hour(&when)) {
                when = start + TimeDelta::seconds(rng.random_range(0.0..span) as i64);
            }
        }
        let customer = customers[rng.random_range(0..customers.len())].clone();
        let channel = pick(
            &mut rng,
            &[
                (Channel::Email, 40),
                (Channel::Chat, 25),
                (Channel::WebForm, 15),
                (Channel::Phone, 10),
                (Channel::Api, 5),
                (Channel::Social, 5),
            ],
        );
        let impact = pick(
            &mut rng,
            &[
                (Impact::Question, 35),
                (Impact::Bug, 30),
                (Impact::Degraded, 15),
                (Impact::FeatureRequest, 12),
                (Impact::Outage, 8),
            ],
        );
        let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
        let mut ticket = NewTicket::new(
            customer,
            channel,
            category,
            impact,
            &format!("{impact} in {category}"),
            when - TimeDelta::seconds(rng.random_range(0..120)),
        );
        ticket.body = format!("Ticket {i}: details of the {impact} affecting {category}.").into();
        ticket.intake_key = Some(format!("week-{period}-arrival-{i}"));
        out.push(Arrival { when, ticket });
    }
    out.sort_by_key(|a| a.when);
    out
}

/// The shift on duty at `t` (three 8-hour shifts from midnight).
fn shift_at(t: DateTime<Utc>) -> u32 {
    chrono::Timelike::hour(&t) / 8
}

fn set_shift(desk: &Desk, directory: &MemoryDirectory, tenant: &TenantId, now: DateTime<Utc>) {
    let (shift, weekend) = (shift_at(now), is_weekend(now));
    for (i, (agent, s)) in desk.agents.iter().enumerate() {
        let on = *s == shift && !(weekend && i % 2 == 1);
        directory
            .set_available(tenant, &agent.id, on)
            .expect("the agent exists");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let policy = Policy::from_path(&args.policy)?;
    let root_causes = policy.root_causes.clone();
    // The desk and the customers are the same in every run with this seed.
    let mut setup = ChaCha8Rng::seed_from_u64(args.seed);
    // Monday 2026-11-23, a week with Thanksgiving (a holiday in the reference policy).
    let base = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let tenant = TenantId::default_tenant();

    let store: Arc<dyn TicketStore> = if args.memory {
        Arc::new(MemoryStore::with_capacity(args.tickets))
    } else {
        if args.fresh {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = args.db.clone().into_os_string();
                file.push(suffix);
                match std::fs::remove_file(&file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
        }
        if let Some(dir) = args.db.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Arc::new(SqliteStore::open(&args.db)?)
    };
    let directory = Arc::new(MemoryDirectory::new());
    let profiles = Arc::new(MemoryProfiles::new());
    let pager = Arc::new(MemoryPager::new());
    let desk = build_desk(&mut setup, &directory, &tenant);
    let customers = build_customers(&mut setup, &profiles, &tenant, base);

    // Which period to simulate, and from when: the first whose last arrival was not taken
    // yet, from just after the last thing the store saw happen in it.
    let days = TimeDelta::days(i64::from(args.days));
    let mut period = 0u32;
    let (start, end, arrivals, taken) = loop {
        let start = base + days * i32::try_from(period)?;
        let end = start + days;
        let arrivals = plan_arrivals(&args, period, start, end, &customers);
        let mut taken = Vec::new();
        for a in &arrivals {
            let key = a.ticket.intake_key.as_deref().unwrap_or_default();
            match store.find_by_intake_key(&tenant, key).await? {
                Some(t) => taken.push(t),
                None => break,
            }
        }
        if taken.len() < arrivals.len() || arrivals.is_empty() {
            break (start, end, arrivals, taken);
        }
        period += 1;
    };
    let mut now = start;
    if let Some(last) = taken.last() {
        now = now.max(last.created_at);
        // The sweeps after the last arrival may have logged later instants.
        for (_, e) in store.log_range(&tenant, now, end).await? {
            now = now.max(e.at);
        }
    }
    let resumed = !taken.is_empty() || period > 0;
    let clock = Arc::new(ManualClock::new(now));
    let engine = Engine::builder()
        .policy(policy)
        .clock(clock.clone())
        .directory(directory.clone())
        .profiles(profiles.clone())
        .pager(pager.clone())
        .store(store.clone())
        .build()?;
    let mut rng = ChaCha8Rng::seed_from_u64(
        args.seed ^ (u64::from(period) << 40) ^ now.timestamp().unsigned_abs(),
    );
    if resumed {
        println!(
            "(continuing {}: period {} ({} simulated days from {}), resuming at {}; {} of its \
             {} tickets already taken)\n",
            args.db.display(),
            period + 1,
            args.days,
            start.date_naive(),
            now.format("%Y-%m-%d %H:%M"),
            taken.len(),
            arrivals.len()
        );
    }

    let mut agenda = Agenda::new();
    set_shift(&desk, &directory, &tenant, now);
    for shift in 0..3 * args.days {
        let when = start + TimeDelta::hours(8 * i64::from(shift));
        if when > now {
            at(&mut agenda, when, Happening::ShiftChange(shift % 3));
        }
    }
    for (i, a) in arrivals.iter().enumerate().skip(taken.len()) {
        at(&mut agenda, a.when.max(now), Happening::Arrive(i));
    }
    let mut ids: Vec<TicketId> = Vec::new();
    let mut working: HashSet<TicketId> = HashSet::new();
    // The tickets an interrupted run took are worked on again from where they are.
    for t in &taken {
        ids.push(t.id);
        let t = engine.ticket(t.id).await?;
        if t.status == Status::PendingCustomer {
            at(
                &mut agenda,
                now + TimeDelta::hours(rng.random_range(1..40)),
                Happening::CustomerReply(t.id),
            );
        } else if t.status.is_open() && t.assignee.is_some() {
            working.insert(t.id);
            schedule_work(&mut rng, &mut agenda, now, t.id);
        }
        for p in t.pages.iter().filter(|p| p.is_active()) {
            if rng.random_bool(0.8) {
                let later = now + TimeDelta::minutes(rng.random_range(3..40));
                at(
                    &mut agenda,
                    later,
                    Happening::Acknowledge(t.id, p.key.clone()),
                );
            }
        }
    }

    let mut pages_seen = 0usize;
    loop {
        // Jump to whichever comes first: the next happening, or the next instant the engine
        // has work (a deadline, a warning, a retry, a deferred notification).
        let next_happening = agenda.peek().map(|Reverse((t, _))| *t);
        let due = [store.next_due().await?, store.next_effect_due().await?]
            .into_iter()
            .flatten()
            .min();
        let next = match (next_happening, due) {
            (Some(h), Some(d)) if d < h => d,
            (Some(h), _) => h,
            (None, Some(d)) => d,
            (None, None) => break,
        };
        if next >= end {
            break;
        }
        // A deadline the store had due before a resumed run's start is handled now.
        now = next.max(now);
        clock.set(now);
        if next_happening.is_some_and(|h| h <= now) {
            let Some(Reverse((_, what))) = agenda.pop() else {
                break;
            };
            happen(
                &engine,
                &desk,
                &directory,
                &arrivals,
                &root_causes,
                &tenant,
                &mut rng,
                &mut agenda,
                &mut ids,
                &mut working,
                now,
                what,
            )
            .await?;
        }
        let swept = engine.sweep().await?;
        let dispatched = engine.dispatch().await?;
        // Tickets the sweep assigned start being worked on.
        if swept.assigned > 0 {
            let mut started = Vec::new();
            for id in ids.iter().filter(|id| !working.contains(id)) {
                if engine.ticket(*id).await?.assignee.is_some() {
                    started.push(*id);
                }
            }
            for id in started {
                working.insert(id);
                schedule_work(&mut rng, &mut agenda, now, id);
            }
        }
        // On-call acknowledges most pages within minutes; some ring on.
        if dispatched.delivered > 0 {
            let calls = pager.calls();
            for call in &calls[pages_seen..] {
                if let PagerCall::Trigger(page) = call
                    && page.repeat == 0
                    && rng.random_bool(0.8)
                {
                    let later = now + TimeDelta::minutes(rng.random_range(3..40));
                    at(
                        &mut agenda,
                        later,
                        Happening::Acknowledge(page.ticket, page.dedup_key.clone()),
                    );
                }
            }
            pages_seen = calls.len();
        }
    }

    print_report(&engine, store.as_ref(), &args, &desk, &ids, start, end).await?;

    // The weekly escalation report of the week the period started in: Markdown here, one
    // HTML page on disk.
    let week = IsoWeek::of(start, chrono_tz::UTC);
    let report = engine
        .weekly_report(
            &tenant,
            week,
            &ReportOptions {
                ticket_url: Some("https://desk.example/{tenant}/tickets/{id}".to_owned()),
                ..ReportOptions::default()
            },
        )
        .await?;
    println!("\n{}", report.to_markdown());
    if let Some(dir) = args.report_html.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.report_html, report.to_html())?;
    println!(
        "(the weekly report as one HTML page: {})",
        args.report_html.display()
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn happen(
    engine: &Engine,
    desk: &Desk,
    directory: &MemoryDirectory,
    arrivals: &[Arrival],
    root_causes: &[String],
    tenant: &TenantId,
    rng: &mut ChaCha8Rng,
    agenda: &mut Agenda,
    ids: &mut Vec<TicketId>,
    working: &mut HashSet<TicketId>,
    now: DateTime<Utc>,
    what: Happening,
) -> Result<(), Box<dyn std::error::Error>> {
    match what {
        Happening::ShiftChange(_) => set_shift(desk, directory, tenant, now),
        Happening::Arrive(i) => {
            let t = engine.create_ticket(arrivals[i].ticket.clone()).await?;
            ids.push(t.id);
            if t.assignee.is_some() {
                working.insert(t.id);
                schedule_work(rng, agenda, now, t.id);
            }
        }
        Happening::AgentReply(id) => {
            let t = engine.ticket(id).await?;
            if let (Some(agent), true) = (t.assignee.clone(), t.status.is_open()) {
                engine
                    .record(id, TicketEvent::AgentReplied { agent })
                    .await?;
                // One ticket in five needs more details from the customer.
                if rng.random_bool(0.2) {
                    at(
                        agenda,
                        now + TimeDelta::minutes(1),
                        Happening::AskCustomer(id),
                    );
                }
            }
        }
        Happening::AskCustomer(id) => {
            if engine.ticket(id).await?.status == Status::InProgress {
                engine
                    .record(
                        id,
                        TicketEvent::StatusChanged {
                            to: Status::PendingCustomer,
                            by: "agent".to_owned(),
                            reason: Some("asked for details".to_owned()),
                        },
                    )
                    .await?;
                at(
                    agenda,
                    now + TimeDelta::hours(rng.random_range(1..40)),
                    Happening::CustomerReply(id),
                );
            }
        }
        Happening::CustomerReply(id) => {
            if engine.ticket(id).await?.status.is_open() {
                engine.record(id, TicketEvent::CustomerReplied).await?;
                at(
                    agenda,
                    now + TimeDelta::minutes(rng.random_range(10..300)),
                    Happening::AgentReply(id),
                );
            }
        }
        Happening::Resolve(id) => {
            let t = engine.ticket(id).await?;
            if t.status == Status::PendingCustomer {
                // Waiting on the customer: try again later.
                at(agenda, now + TimeDelta::hours(4), Happening::Resolve(id));
            } else if t.status.is_open() && t.assignee.is_some() {
                let cause = &root_causes[rng.random_range(0..root_causes.len())];
                let by = t.assignee.map_or("desk".to_owned(), |a| a.to_string());
                engine
                    .resolve(id, "fixed and confirmed with the customer", cause, &by)
                    .await?;
            }
        }
        Happening::Acknowledge(id, page) => {
            let t = engine.ticket(id).await?;
            if t.pages.iter().any(|p| p.key == page && p.is_active()) {
                engine.acknowledge(id, &page, "oncall").await?;
            }
        }
    }
    Ok(())
}

fn schedule_work(rng: &mut ChaCha8Rng, agenda: &mut Agenda, now: DateTime<Utc>, id: TicketId) {
    // Most first replies are prompt; some are late enough to breach.
    let reply = now
        + TimeDelta::minutes(if rng.random_bool(0.85) {
            rng.random_range(5..60)
        } else {
            rng.random_range(60..600)
        });
    let resolve = reply + TimeDelta::minutes(rng.random_range(20..400));
    at(agenda, reply, Happening::AgentReply(id));
    at(agenda, resolve, Happening::Resolve(id));
}

async fn print_report(
    engine: &Engine,
    store: &dyn TicketStore,
    args: &Args,
    desk: &Desk,
    ids: &[TicketId],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut all: Vec<Ticket> = Vec::with_capacity(ids.len());
    for id in ids {
        all.push(engine.ticket(*id).await?);
    }
    println!(
        "escalation support desk: seed {}, {} tickets over {} simulated days from {}, {} agents in 3 shifts (policy {})\n",
        args.seed,
        all.len(),
        args.days,
        start.date_naive(),
        desk.agents.len(),
        engine.policy().version
    );

    // Tickets by assignee and priority.
    let order = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];
    let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for t in &all {
        let who = match &t.assignee {
            Some(a) => {
                let agent = desk.agents.iter().find(|(x, _)| &x.id == a);
                let team = agent.map_or("?".to_owned(), |(x, _)| x.team.to_string());
                format!("{a} ({}, {team})", t.support_tier)
            }
            None => "(queued)".to_owned(),
        };
        let col = order.iter().position(|p| *p == t.priority).unwrap_or(3);
        table.entry(who).or_default()[col] += 1;
    }
    println!("Tickets by assignee and priority");
    println!(
        "{:<28} {:>8} {:>6} {:>7} {:>5} {:>6}",
        "assignee", "critical", "high", "normal", "low", "total"
    );
    let mut totals = [0usize; 4];
    for (who, counts) in &table {
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        println!(
            "{:<28} {:>8} {:>6} {:>7} {:>5} {:>6}",
            who,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts.iter().sum::<usize>()
        );
    }
    println!(
        "{:<28} {:>8} {:>6} {:>7} {:>5} {:>6}\n",
        "all",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals.iter().sum::<usize>()
    );

    // SLA outcome per target.
    println!("SLA clocks by target");
    println!(
        "{:<16} {:>8} {:>6} {:>8} {:>8} {:>8}",
        "target", "started", "met", "missed", "running", "breached"
    );
    for target in escalation::sla::Target::ALL {
        let clocks: Vec<_> = all
            .iter()
            .flat_map(|t| t.sla.iter())
            .filter(|c| c.target == target)
            .collect();
        let met = clocks
            .iter()
            .filter(|c| c.stopped_at.is_some() && c.breached_at.is_none())
            .count();
        let missed = clocks
            .iter()
            .filter(|c| c.stopped_at.is_some() && c.breached_at.is_some())
            .count();
        let running = clocks.iter().filter(|c| c.stopped_at.is_none()).count();
        let breached = clocks.iter().filter(|c| c.breached_at.is_some()).count();
        println!(
            "{:<16} {:>8} {:>6} {:>8} {:>8} {:>8}",
            target.as_str(),
            clocks.len(),
            met,
            missed,
            running,
            breached
        );
    }
    let by_status = |s: Status| all.iter().filter(|t| t.status == s).count();
    let unknown = all
        .iter()
        .filter(|t| !matches!(t.profile, ProfileState::Known { .. }))
        .count();
    println!(
        "\nStatus at the end: {} resolved, {} in progress, {} pending customer, {} new; {} scored at the default tier (customer unknown)",
        by_status(Status::Resolved),
        by_status(Status::InProgress),
        by_status(Status::PendingCustomer),
        by_status(Status::New),
        unknown
    );

    // The escalation log's highlights.
    let log = engine
        .log_range(&TenantId::default_tenant(), start, end)
        .await?;
    let count = |name: &str| log.iter().filter(|(_, e)| e.event.name() == name).count();
    let mut effects = Vec::new();
    for t in &all {
        effects.extend(store.effects(&t.key()).await?);
    }
    let delivered = |kind: &str| {
        effects
            .iter()
            .filter(|e| e.state == EffectState::Delivered && e.kind.name() == kind)
            .count()
    };
    let deferred = effects
        .iter()
        .filter(|e| e.not_before > e.created_at)
        .count();
    let tasks = engine.tasks(&TenantId::default_tenant(), None).await?;
    println!("\nEscalation log highlights ({} entries)", log.len());
    println!(
        "  warnings {}, breaches {}, ladder steps {}, escalation tasks {} ({} open)",
        count("sla_warning"),
        count("sla_breached"),
        count("level_fired"),
        tasks.len(),
        tasks
            .iter()
            .filter(|t| t.status == escalation::task::TaskStatus::Open)
            .count()
    );
    println!(
        "  moved to Tier 2 {}, priorities raised {}, pages acknowledged {}, pages unacknowledged {}",
        log.iter()
            .filter(|(_, e)| matches!(&e.event, LogEvent::MovedToTier { agent: Some(_), .. }))
            .count(),
        count("priority_raised"),
        count("page_acknowledged"),
        count("page_unacknowledged")
    );
    println!(
        "  delivered: {} notifications, {} page triggers, {} page resolves; {} notifications waited for business hours; {} cancelled repeats",
        delivered("notify"),
        delivered("page_trigger"),
        delivered("page_resolve"),
        deferred,
        effects
            .iter()
            .filter(|e| e.state == EffectState::Cancelled)
            .count()
    );
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    for t in &all {
        if let Some(c) = t.resolution.as_ref().and_then(|r| r.root_cause.clone()) {
            *causes.entry(c.to_string()).or_default() += 1;
        }
    }
    let causes: Vec<String> = causes.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("  root causes: {}", causes.join(", "));

    // The first breaches, as the log tells them.
    println!("\nFirst breaches:");
    for (id, e) in log
        .iter()
        .filter(|(_, e)| e.event.name() == "sla_breached")
        .take(5)
    {
        println!("  ticket {id}: {e}");
    }

    // Full logs of telling tickets: one that paged on-call, one whose customer notice waited.
    let paged = all.iter().find(|t| !t.pages.is_empty());
    let waited = effects
        .iter()
        .find(|e| e.not_before > e.created_at && matches!(e.kind, EffectKind::Notify { .. }))
        .and_then(|e| all.iter().find(|t| t.id == e.ticket));
    let mut shown = Vec::new();
    for t in [paged, waited].into_iter().flatten() {
        if shown.len() < args.show_logs && !shown.contains(&t.id) {
            shown.push(t.id);
        }
    }
    for id in &shown {
        let t = engine.ticket(*id).await?;
        println!(
            "\nLog of ticket {} ({}, {} via {}, customer {}):",
            t.id, t.priority, t.impact, t.channel, t.customer
        );
        for entry in engine.log(*id).await? {
            println!("  {entry}");
        }
    }
    if let Some(id) = shown.first() {
        println!(
            "\nWhy its deadlines are where they are:\n{}",
            engine.explain(*id).await?
        );
    }
    Ok(())
}
