//! Intake throughput: `Engine::create_ticket` through the whole pipeline (validate, fetch the
//! profile, score, route, write ticket + log) on the in-memory adapters.
//!
//! Budget: at most 2 µs per ticket. Run with `cargo bench --bench intake`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use escalation::memory::{MemoryDirectory, MemoryProfiles, MemoryStore};
use escalation::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Engine, Impact,
    ManualClock, NewTicket, Policy, SupportTier, Symbol, TeamId, TenantId,
};

const CATEGORIES: &[&str] = &["billing", "login", "api", "performance", "data_export"];
const CUSTOMERS: usize = 1_000;

fn engine(capacity: usize, policy: Policy) -> Engine {
    let tenant = TenantId::default_tenant();
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let profiles = MemoryProfiles::new();
    for i in 0..CUSTOMERS {
        profiles.insert(
            &tenant,
            CustomerProfile {
                customer: CustomerId::new(format!("c{i}")),
                tier: CustomerTier::ALL[i % CustomerTier::ALL.len()],
                lifetime_value: (i * 137 % 100_000) as f64,
                customer_since: start,
                prior_tickets: 3,
                prior_escalations: 0,
                contact: Contact::email("Customer", "c@example.com"),
            },
        );
    }
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
    Engine::builder()
        .policy(policy)
        .store(Arc::new(MemoryStore::with_capacity(capacity)))
        .profiles(Arc::new(profiles))
        .directory(Arc::new(directory))
        .clock(Arc::new(ManualClock::new(start)))
        .build()
        .unwrap()
}

fn tickets(n: usize) -> Vec<NewTicket> {
    let received = Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap();
    (0..n)
        .map(|i| {
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
        })
        .collect()
}

fn intake(c: &mut Criterion) {
    let mut group = c.benchmark_group("intake");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    let variants = [
        ("create_ticket", Policy::default()),
        // The same without SLA clocks, to show what starting two clocks costs.
        ("create_ticket (no SLA targets)", {
            let mut p = Policy::default();
            p.sla.targets = vec![escalation::sla::TargetRule::default()];
            p
        }),
    ];
    for (name, policy) in variants {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let n = usize::try_from(iters).unwrap();
                let engine = engine(n, policy.clone());
                let input = tickets(n);
                futures::executor::block_on(async {
                    let start = Instant::now();
                    for t in input {
                        std::hint::black_box(engine.create_ticket(t).await.unwrap());
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, intake);
criterion_main!(benches);
