//! A simulated support desk: a seeded day of tickets flowing through the engine.
//!
//! Customers of every tier send a few hundred tickets over a simulated day; agents with
//! skills work in three shifts and resolve what they are given. The engine runs on a manual
//! clock, so the day takes well under a second, and every run with the same seed prints the
//! same decisions: a table of tickets by priority and assignee, and the logs of a few tickets.
//!
//! ```text
//! cargo run --release --example support_desk -- --seed 7 --tickets 400
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use clap::Parser;
use escalation::memory::{MemoryDirectory, MemoryProfiles, MemoryStore};
use escalation::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Engine, Impact,
    ManualClock, NewTicket, Policy, Priority, ProfileState, Status, SupportTier, Symbol, Team,
    TeamId, TenantId, TicketEvent, TicketId,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Simulate a day at a support desk and print what the engine decided.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Seed of the generator; the same seed gives the same day.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Tickets received over the day.
    #[arg(long, default_value_t = 400)]
    tickets: usize,
    /// The policy document (TOML or JSON).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml"))]
    policy: std::path::PathBuf,
    /// How many ticket logs to print.
    #[arg(long, default_value_t = 3)]
    show_logs: usize,
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

/// Things that happen during the simulated day, in time order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    ShiftChange(u32),
    Arrive(usize),
    Sweep,
    AgentReply(TicketId),
    Resolve(TicketId),
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
            email: None,
            capacity: rng.random_range(4..9),
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let policy = Policy::from_path(&args.policy)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let tenant = TenantId::default_tenant();

    let clock = Arc::new(ManualClock::new(start));
    let directory = Arc::new(MemoryDirectory::new());
    let profiles = Arc::new(MemoryProfiles::new());
    let store = Arc::new(MemoryStore::with_capacity(args.tickets));
    let desk = build_desk(&mut rng, &directory, &tenant);
    let customers = build_customers(&mut rng, &profiles, &tenant, start);
    let engine = Engine::builder()
        .policy(policy)
        .clock(clock.clone())
        .directory(directory.clone())
        .profiles(profiles.clone())
        .store(store.clone())
        .build()?;

    // The day's agenda: shift changes, arrivals and a sweep every five minutes.
    let mut agenda: BinaryHeap<Reverse<(DateTime<Utc>, Happening)>> = BinaryHeap::new();
    for shift in 0..3 {
        agenda.push(Reverse((
            start + TimeDelta::hours(8 * i64::from(shift)),
            Happening::ShiftChange(shift),
        )));
    }
    let mut arrivals = Vec::new();
    let day = 86_400.0;
    for i in 0..args.tickets {
        // More tickets in the European and American business day than at night.
        let mut at = rng.random_range(0.0..day);
        if at < 6.0 * 3600.0 && rng.random_bool(0.6) {
            at = rng.random_range(6.0 * 3600.0..day);
        }
        let at = start + TimeDelta::seconds(at as i64);
        arrivals.push(at);
        agenda.push(Reverse((at, Happening::Arrive(i))));
    }
    for m in (5..24 * 60).step_by(5) {
        agenda.push(Reverse((start + TimeDelta::minutes(m), Happening::Sweep)));
    }

    let mut tickets: Vec<TicketId> = Vec::new();
    let mut waiting: HashSet<TicketId> = HashSet::new();
    let mut queued_at_intake = 0usize;
    let mut assigned_by_sweep = 0usize;
    let end = start + TimeDelta::hours(24);

    while let Some(Reverse((at, what))) = agenda.pop() {
        if at >= end {
            break;
        }
        clock.set(at);
        match what {
            Happening::ShiftChange(shift) => {
                for (agent, s) in &desk.agents {
                    directory.set_available(&tenant, &agent.id, *s == shift)?;
                }
            }
            Happening::Arrive(i) => {
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
                let mut new = NewTicket::new(
                    customer,
                    channel,
                    category,
                    impact,
                    &format!("{impact} in {category}"),
                    arrivals[i] - TimeDelta::seconds(rng.random_range(0..120)),
                );
                new.body =
                    format!("Ticket {i}: details of the {impact} affecting {category}.").into();
                let t = engine.create_ticket(new).await?;
                tickets.push(t.id);
                if t.assignee.is_some() {
                    schedule_work(&mut rng, &mut agenda, at, t.id);
                } else {
                    queued_at_intake += 1;
                    waiting.insert(t.id);
                }
            }
            Happening::Sweep => {
                let report = engine.sweep().await?;
                if report.assigned > 0 {
                    let mut now_assigned = Vec::new();
                    for id in &waiting {
                        if engine.ticket(*id).await?.assignee.is_some() {
                            now_assigned.push(*id);
                        }
                    }
                    for id in now_assigned {
                        waiting.remove(&id);
                        assigned_by_sweep += 1;
                        schedule_work(&mut rng, &mut agenda, at, id);
                    }
                }
            }
            Happening::AgentReply(id) => {
                let t = engine.ticket(id).await?;
                if let Some(agent) = t.assignee {
                    engine
                        .record(id, TicketEvent::AgentReplied { agent })
                        .await?;
                }
            }
            Happening::Resolve(id) => {
                let t = engine.ticket(id).await?;
                if t.status.is_open() {
                    engine
                        .record(
                            id,
                            TicketEvent::StatusChanged {
                                to: Status::Resolved,
                                by: t.assignee.map_or("desk".to_owned(), |a| a.to_string()),
                                reason: Some("fixed".to_owned()),
                            },
                        )
                        .await?;
                }
            }
        }
    }

    print_report(
        &engine,
        &args,
        &desk,
        &tickets,
        queued_at_intake,
        assigned_by_sweep,
    )
    .await
}

fn schedule_work(
    rng: &mut ChaCha8Rng,
    agenda: &mut BinaryHeap<Reverse<(DateTime<Utc>, Happening)>>,
    now: DateTime<Utc>,
    id: TicketId,
) {
    let reply = now + TimeDelta::minutes(rng.random_range(5..90));
    let resolve = reply + TimeDelta::minutes(rng.random_range(10..150));
    agenda.push(Reverse((reply, Happening::AgentReply(id))));
    agenda.push(Reverse((resolve, Happening::Resolve(id))));
}

async fn print_report(
    engine: &Engine,
    args: &Args,
    desk: &Desk,
    ids: &[TicketId],
    queued_at_intake: usize,
    assigned_by_sweep: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut all = Vec::with_capacity(ids.len());
    for id in ids {
        all.push(engine.ticket(*id).await?);
    }
    println!(
        "escalation support desk: seed {}, {} tickets over one simulated day, {} agents in 3 shifts (policy {})\n",
        args.seed,
        all.len(),
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
                let (tier, team) = agent.map_or(("?", "?".to_owned()), |(x, _)| {
                    (x.tier.as_str(), x.team.to_string())
                });
                format!("{a} ({tier}, {team})")
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

    let unknown = all
        .iter()
        .filter(|t| !matches!(t.profile, ProfileState::Known { .. }))
        .count();
    let by_status = |s: Status| all.iter().filter(|t| t.status == s).count();
    println!(
        "Status at the end of the day: {} resolved, {} in progress, {} new",
        by_status(Status::Resolved),
        by_status(Status::InProgress),
        by_status(Status::New)
    );
    println!(
        "Routing: {} tickets found no eligible agent at intake; sweeps assigned {} of them later",
        queued_at_intake, assigned_by_sweep
    );
    println!("Profiles: {unknown} tickets were scored at the default tier (customer unknown)\n");

    // The logs of a few telling tickets.
    let mut shown = Vec::new();
    let first_critical = all.iter().find(|t| t.priority == Priority::Critical);
    let queued_then_assigned = {
        let mut found = None;
        for t in all.iter().filter(|t| t.assignee.is_some()) {
            let log = engine.log(t.id).await?;
            if log
                .iter()
                .any(|e| matches!(e.event, escalation::LogEvent::Queued { .. }))
            {
                found = Some(t);
                break;
            }
        }
        found
    };
    let unknown_profile = all
        .iter()
        .find(|t| !matches!(t.profile, ProfileState::Known { .. }));
    for t in [first_critical, queued_then_assigned, unknown_profile]
        .into_iter()
        .flatten()
    {
        if shown.len() < args.show_logs && !shown.contains(&t.id) {
            shown.push(t.id);
        }
    }
    for id in shown {
        let t = engine.ticket(id).await?;
        println!(
            "Log of ticket {} ({}, {} via {}, customer {}):",
            t.id, t.priority, t.impact, t.channel, t.customer
        );
        for entry in engine.log(id).await? {
            println!("  {entry}");
        }
        println!();
    }
    Ok(())
}
