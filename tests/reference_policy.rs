//! The facade end to end: the reference policy document drives an engine built from the
//! re-exported API, and its business calendar behaves as the document says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use escalation::memory::MemoryDirectory;
use escalation::{
    Agent, AgentId, Channel, Engine, Impact, ManualClock, NewTicket, Policy, Status, SupportTier,
    Symbol, TeamId, TenantId,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn the_reference_policy_runs_an_engine_and_its_calendar_skips_thanksgiving() {
    let policy =
        Policy::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml")).unwrap();
    let directory = Arc::new(MemoryDirectory::new());
    directory.upsert_agent(
        &TenantId::default(),
        Agent {
            id: AgentId::new("ana"),
            name: Arc::from("Ana"),
            tier: SupportTier::Tier1,
            skills: vec![Symbol::intern("billing")],
            generalist: false,
            email: None,
            capacity: 3,
            available: true,
            team: TeamId::new("billing"),
        },
    );
    let clock = Arc::new(ManualClock::new(at("2026-11-25T14:00:00Z")));
    let engine = Engine::builder()
        .policy(policy)
        .clock(clock)
        .directory(directory)
        .build()
        .unwrap();

    let support = engine.calendar("support").expect("the document defines it");
    // Wednesday 2026-11-25 09:00 New York + 8 business hours: Thanksgiving (a holiday in the
    // document) and the weekend are skipped, so the budget ends Friday 17:00 local time.
    let start = at("2026-11-25T14:00:00Z");
    let end = support.add(start, TimeDelta::hours(16)).unwrap();
    assert_eq!(end, at("2026-11-27T22:00:00Z"));
    assert_eq!(support.elapsed(start, end), TimeDelta::hours(16));
    assert!(!support.is_open(at("2026-11-26T15:00:00Z")));
    assert!(
        engine
            .calendar("always")
            .unwrap()
            .is_open(at("2026-11-26T15:00:00Z"))
    );

    let t = futures::executor::block_on(engine.create_ticket(NewTicket::new(
        "cust-1",
        Channel::Chat,
        "billing",
        Impact::Outage,
        "Card declined on renewal",
        start,
    )))
    .unwrap();
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.assignee, Some(AgentId::new("ana")));
}
