//! Fixtures shared by the integration tests: agents, profiles, tickets and an engine on a
//! manual clock with in-memory adapters.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::memory::{MemoryDirectory, MemoryProfiles, MemoryStore};
use escalation_core::ports::ProfileSource;
use escalation_core::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Engine, Impact,
    LogEntry, ManualClock, NewTicket, Policy, SupportTier, Symbol, TeamId, TenantId,
};

/// The instant every test clock starts at.
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

pub fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

/// A Tier 1 agent of team `team-a`.
pub fn agent(id: &str, skills: &[&str], capacity: u32, available: bool) -> Agent {
    Agent {
        id: AgentId::new(id),
        name: Arc::from(id),
        tier: SupportTier::Tier1,
        skills: skills.iter().map(|s| Symbol::intern(s)).collect(),
        generalist: false,
        email: None,
        capacity,
        available,
        team: TeamId::new("team-a"),
    }
}

pub fn profile(customer: &str, tier: CustomerTier, lifetime_value: f64) -> CustomerProfile {
    CustomerProfile {
        customer: CustomerId::new(customer),
        tier,
        lifetime_value,
        customer_since: t0() - TimeDelta::days(400),
        prior_tickets: 3,
        prior_escalations: 0,
        contact: Contact::email(customer, "customer@example.invalid"),
    }
}

/// A submitted ticket in the default tenant.
pub fn new_ticket(customer: &str, category: &str, impact: Impact, at: DateTime<Utc>) -> NewTicket {
    NewTicket::new(
        customer,
        Channel::Email,
        category,
        impact,
        "Something is wrong",
        at,
    )
}

pub fn tenant() -> TenantId {
    TenantId::default_tenant()
}

/// An engine on in-memory adapters and a manual clock, with handles on each adapter.
pub struct Harness {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub store: Arc<MemoryStore>,
    pub directory: Arc<MemoryDirectory>,
    pub profiles: Arc<MemoryProfiles>,
}

impl Harness {
    pub fn new(policy: Policy, agents: Vec<Agent>) -> Harness {
        Harness::with_profiles(policy, agents, None)
    }

    /// Like [`Harness::new`], with another ProfileSource than the `profiles` table.
    pub fn with_profiles(
        policy: Policy,
        agents: Vec<Agent>,
        source: Option<Arc<dyn ProfileSource>>,
    ) -> Harness {
        let clock = Arc::new(ManualClock::new(t0()));
        let store = Arc::new(MemoryStore::new());
        let directory = Arc::new(MemoryDirectory::new());
        for a in agents {
            directory.upsert_agent(&tenant(), a);
        }
        let profiles = Arc::new(MemoryProfiles::new());
        let source: Arc<dyn ProfileSource> = source.unwrap_or_else(|| profiles.clone());
        let engine = Engine::builder()
            .policy(policy)
            .store(store.clone())
            .directory(directory.clone())
            .profiles(source)
            .clock(clock.clone())
            .build()
            .unwrap();
        Harness {
            engine,
            clock,
            store,
            directory,
            profiles,
        }
    }

    /// Another engine on the same store, directory, profiles and clock.
    pub fn second_engine(&self, id: &str) -> Engine {
        Engine::builder()
            .engine_id(id)
            .policy(self.engine.policy().clone())
            .store(self.store.clone())
            .directory(self.directory.clone())
            .profiles(self.profiles.clone())
            .clock(self.clock.clone())
            .build()
            .unwrap()
    }
}

/// A short name for each log event, for comparing sequences.
pub fn event_name(e: &LogEntry) -> &'static str {
    e.event.name()
}

pub fn event_names(log: &[LogEntry]) -> Vec<&'static str> {
    log.iter().map(event_name).collect()
}

/// `policy` with no SLA clocks and an empty ladder: for tests about intake, routing and
/// scoring alone, whose logs and due instants must not mix in SLA work.
pub fn without_sla(mut policy: Policy) -> Policy {
    policy.sla.targets = vec![escalation_core::sla::TargetRule::default()];
    policy.ladder.clear();
    policy
}
