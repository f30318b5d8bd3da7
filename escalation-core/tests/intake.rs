#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Intake (workflow steps 1–4), events, sweeps and store concurrency, on a manual clock.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use async_trait::async_trait;
use chrono::TimeDelta;
use escalation_core::log::RescoreReason;
use escalation_core::ports::{ClaimDue, Commit, Fence, ProfileSource, TicketStore};
use escalation_core::routing::NoEligibleAgent;
use escalation_core::scoring::{self, ScoreInput};
use escalation_core::{
    Actor, AgentId, Channel, CustomerId, CustomerProfile, CustomerTier, Error, ErrorKind, Impact,
    LogEvent, NewTicket, Policy, Priority, ProfileState, Status, SupportTier, SweepReport, Symbol,
    TenantId, TicketEvent, TicketRef,
};
use futures::executor::block_on;

use common::{Harness, agent, event_names, new_ticket, profile, secs, t0, tenant, without_sla};

fn status(to: Status) -> TicketEvent {
    TicketEvent::StatusChanged {
        to,
        by: "host-user".into(),
        reason: None,
    }
}

fn invalid_field(e: &Error) -> Option<&str> {
    match e {
        Error::InvalidInput { field, .. } => Some(field),
        _ => None,
    }
}

/// A Premium customer with a lifetime value that puts a Bug ticket just under High: it ages
/// into High about 5.4 hours after it was received (under the default policy).
fn premium_harness(agents: Vec<escalation_core::Agent>) -> Harness {
    let h = Harness::new(without_sla(Policy::default()), agents);
    h.profiles.insert(
        &tenant(),
        profile("c-premium", CustomerTier::Premium, 50_000.0),
    );
    h
}

// --- steps 1-4 -----------------------------------------------------------------------------

#[test]
fn create_ticket_runs_steps_1_to_4_and_logs_each_in_order() {
    let h = premium_harness(vec![agent("alice", &["billing"], 5, true)]);
    let received = t0() - secs(600);
    let t =
        block_on(
            h.engine
                .create_ticket(new_ticket("c-premium", "billing", Impact::Bug, received)),
        )
        .unwrap();

    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.assignee, Some(AgentId::new("alice")));
    assert_eq!(t.team.as_ref().map(|t| t.as_str()), Some("team-a"));
    assert_eq!(t.support_tier, SupportTier::Tier1);
    assert_eq!(t.created_at, t0());
    assert_eq!(t.received_at, received);
    assert_eq!(t.version, 1);
    assert_eq!(t.category, Symbol::intern("billing"));
    assert!(
        matches!(&t.profile, ProfileState::Known { profile } if profile.tier == CustomerTier::Premium)
    );

    // The score and its breakdown: what scoring says for these inputs, and its band.
    let expected = scoring::score(
        &ScoreInput {
            tier: CustomerTier::Premium,
            tier_assumed: false,
            impact: Impact::Bug,
            age: secs(600),
            lifetime_value: 50_000.0,
        },
        &h.engine.policy().scoring,
    );
    assert_eq!(t.score, expected);
    assert_eq!(t.priority, t.score.band);
    assert_eq!(t.priority, Priority::Normal);
    assert!(!t.score.tier_assumed);
    let b = &t.score.breakdown;
    let sum = b.tier.points + b.impact.points + b.age.points + b.lifetime_value.points;
    assert!((sum - t.score.value).abs() < 1e-9);
    assert!(b.age.points > 0.0, "ten minutes of age count");
    assert_eq!(t.score.age_seconds, 600);
    assert_eq!(
        t.next_check,
        scoring::next_band_change(&t.score, t.received_at, &h.engine.policy().scoring)
    );

    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(
        event_names(&log),
        [
            "created",
            "profile_fetched",
            "scored",
            "assigned",
            "status_changed"
        ]
    );
    assert!(log.iter().all(|e| e.at == t0() && e.actor == Actor::Engine));
    assert_eq!(
        log[0].event,
        LogEvent::Created {
            channel: Channel::Email,
            category: Symbol::intern("billing"),
            impact: Impact::Bug,
            draft: false,
        }
    );
    assert_eq!(
        log[1].event,
        LogEvent::ProfileFetched {
            tier: CustomerTier::Premium
        }
    );
    assert_eq!(
        log[2].event,
        LogEvent::Scored {
            score: t.score.note()
        }
    );
    assert_eq!(
        log[3].event,
        LogEvent::Assigned {
            agent: AgentId::new("alice"),
            team: escalation_core::TeamId::new("team-a"),
            load: 0,
            eligible: 1,
            tied: 1,
        }
    );
    assert!(matches!(
        &log[4].event,
        LogEvent::StatusChanged {
            from: Status::New,
            to: Status::InProgress,
            ..
        }
    ));
    // The stored ticket is the returned one.
    assert_eq!(block_on(h.engine.ticket(&t)).unwrap(), t);
    assert_eq!(h.store.len(), 1);
}

#[test]
fn an_unknown_customer_is_scored_at_the_default_tier() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("nobody", "billing", Impact::Outage, t0())),
    )
    .unwrap();
    assert_eq!(t.profile, ProfileState::NotFound);
    assert!(t.score.tier_assumed);
    assert_eq!(t.score.tier, h.engine.policy().scoring.default_tier);
    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(
        log[1].event,
        LogEvent::ProfileNotFound {
            assumed: CustomerTier::Standard
        }
    );
}

#[test]
fn a_priority_override_at_intake_wins_and_is_logged() {
    let h = premium_harness(vec![agent("alice", &["billing"], 5, true)]);
    let t = block_on(h.engine.create_ticket(NewTicket {
        priority_override: Some(Priority::Critical),
        ..new_ticket("c-premium", "billing", Impact::Bug, t0())
    }))
    .unwrap();
    assert_eq!(t.score.band, Priority::Normal);
    assert_eq!(t.priority, Priority::Critical);
    let o = t.priority_override.as_ref().expect("override kept");
    assert_eq!(o.priority, Priority::Critical);
    assert_eq!(o.at, t0());
    // With the priority fixed by hand and nothing else pending, nothing is due.
    assert_eq!(t.next_check, None);

    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(
        event_names(&log),
        [
            "created",
            "profile_fetched",
            "scored",
            "priority_overridden",
            "assigned",
            "status_changed"
        ]
    );
    assert!(matches!(
        &log[3].event,
        LogEvent::PriorityOverridden {
            from: Priority::Normal,
            to: Priority::Critical,
            ..
        }
    ));
    assert!(matches!(&log[3].actor, Actor::Host(_)));
}

#[test]
fn a_host_override_wins_survives_a_sweep_and_clearing_it_restores_the_band() {
    // No agent, so the ticket stays queued and every sweep past its retry revisits it.
    let h = premium_harness(vec![]);
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-premium", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    assert_eq!(t.priority, Priority::Normal);

    let t = block_on(h.engine.record(
        &t,
        TicketEvent::PriorityOverridden {
            priority: Priority::Low,
            by: "lead".into(),
            reason: "duplicate of #12".into(),
        },
    ))
    .unwrap();
    assert_eq!(t.priority, Priority::Low);
    assert_eq!(t.version, 2);
    let log = block_on(h.engine.log(&t)).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.actor, Actor::Host(Arc::from("lead")));
    assert_eq!(
        last.event,
        LogEvent::PriorityOverridden {
            from: Priority::Normal,
            to: Priority::Low,
            reason: Arc::from("duplicate of #12"),
        }
    );

    // Six hours later the score has aged into High, but the override stays in force.
    h.clock.advance(TimeDelta::hours(6));
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(report.claimed, 1);
    let t = block_on(h.engine.ticket(&t)).unwrap();
    assert_eq!(t.score.band, Priority::High);
    assert_eq!(t.priority, Priority::Low);
    assert!(t.priority_override.is_some());

    let t = block_on(h.engine.record(
        &t,
        TicketEvent::PriorityOverrideCleared { by: "lead".into() },
    ))
    .unwrap();
    assert_eq!(t.priority_override, None);
    assert_eq!(t.priority, Priority::High);
    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(
        log.last().unwrap().event,
        LogEvent::PriorityOverrideCleared { to: Priority::High }
    );
}

// --- validation and scoping ----------------------------------------------------------------

#[test]
fn invalid_new_tickets_are_rejected_naming_the_field() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let base = new_ticket("c-1", "billing", Impact::Bug, t0());
    let cases: Vec<(&str, NewTicket)> = vec![
        (
            "subject",
            NewTicket {
                subject: "".into(),
                ..base.clone()
            },
        ),
        (
            "subject",
            NewTicket {
                subject: "   ".into(),
                ..base.clone()
            },
        ),
        (
            "customer",
            NewTicket {
                customer: CustomerId::new(""),
                ..base.clone()
            },
        ),
        (
            "received_at",
            NewTicket {
                received_at: t0() + TimeDelta::days(2),
                ..base.clone()
            },
        ),
        (
            "category",
            NewTicket {
                category: "x".repeat(129),
                ..base.clone()
            },
        ),
        (
            "category",
            NewTicket {
                category: String::new(),
                ..base.clone()
            },
        ),
        (
            "tenant",
            NewTicket {
                tenant: TenantId::new(""),
                ..base.clone()
            },
        ),
        (
            "intake_key",
            NewTicket {
                intake_key: Some(" ".into()),
                ..base.clone()
            },
        ),
    ];
    for (field, new) in cases {
        let err = block_on(h.engine.create_ticket(new.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{field}: {err}");
        assert_eq!(invalid_field(&err), Some(field), "{new:?}: {err}");
        assert!(err.to_string().contains(field), "{err}");
        assert!(!err.is_retryable());
    }
    assert!(h.store.is_empty(), "a rejected ticket was written");

    // The limits themselves are accepted.
    let ok = block_on(h.engine.create_ticket(NewTicket {
        category: "x".repeat(128),
        received_at: t0() + TimeDelta::days(1),
        ..base
    }))
    .unwrap();
    assert_eq!(ok.status, Status::New, "nobody has that category");
}

#[test]
fn intake_with_an_intake_key_is_idempotent() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let first = block_on(h.engine.create_ticket(NewTicket {
        intake_key: Some("mail-4711".into()),
        ..new_ticket("c-1", "billing", Impact::Bug, t0())
    }))
    .unwrap();
    h.clock.advance(secs(5));
    let again = block_on(h.engine.create_ticket(NewTicket {
        intake_key: Some("mail-4711".into()),
        subject: "a resend with another subject".into(),
        ..new_ticket("c-1", "billing", Impact::Bug, t0())
    }))
    .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again, first);
    assert_eq!(h.store.len(), 1);
    assert_eq!(block_on(h.engine.log(&first)).unwrap().len(), 5);
    // Only one ticket counts toward alice's load.
    let loads = block_on(
        h.engine
            .store()
            .agent_loads(&tenant(), &[&AgentId::new("alice")]),
    )
    .unwrap();
    assert_eq!(loads, [1]);

    // Another key, or the same key in another tenant, opens another ticket.
    let other = block_on(h.engine.create_ticket(NewTicket {
        intake_key: Some("mail-4712".into()),
        ..new_ticket("c-1", "billing", Impact::Bug, t0())
    }))
    .unwrap();
    assert_ne!(other.id, first.id);
    let elsewhere = block_on(h.engine.create_ticket(NewTicket {
        tenant: TenantId::new("acme"),
        intake_key: Some("mail-4711".into()),
        ..new_ticket("c-1", "billing", Impact::Bug, t0())
    }))
    .unwrap();
    assert_ne!(elsewhere.id, first.id);
    assert_eq!(h.store.len(), 3);
}

#[test]
fn a_ticket_of_another_tenant_reads_as_not_found() {
    let h = Harness::new(without_sla(Policy::default()), vec![]);
    let acme = TenantId::new("acme");
    let t = block_on(h.engine.create_ticket(NewTicket {
        tenant: acme.clone(),
        ..new_ticket("c-1", "billing", Impact::Bug, t0())
    }))
    .unwrap();
    assert_eq!(t.tenant, acme);
    let own = TicketRef::new(acme, t.id);
    assert_eq!(block_on(h.engine.ticket(own.clone())).unwrap().id, t.id);

    for other in [
        TicketRef::new(TenantId::new("globex"), t.id),
        TicketRef::from(t.id), // the default tenant
    ] {
        let err = block_on(h.engine.ticket(other.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{other}");
        let err = block_on(h.engine.log(other.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err =
            block_on(h.engine.record(other.clone(), TicketEvent::CustomerReplied)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let mut foreign = t.clone();
        foreign.tenant = other.tenant.clone();
        let err = block_on(
            h.engine
                .store()
                .update(Commit::new(foreign, vec![], t0()), None),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
    // Nothing leaked into the ticket through the failed writes.
    assert_eq!(block_on(h.engine.ticket(own)).unwrap(), t);
}

// --- profile source failures ---------------------------------------------------------------

/// A ProfileSource that fails until told it is healthy, then answers from a table.
#[derive(Default)]
struct Flaky {
    healthy: AtomicBool,
    calls: AtomicU32,
    table: escalation_core::memory::MemoryProfiles,
}

#[async_trait]
impl ProfileSource for Flaky {
    async fn profile(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> escalation_core::Result<Option<Arc<CustomerProfile>>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.healthy.load(Ordering::SeqCst) {
            self.table.profile(tenant, customer).await
        } else {
            Err(Error::port_transient("ProfileSource", "CRM is down"))
        }
    }
}

#[test]
fn a_failing_profile_source_is_retried_by_the_sweep() {
    let source = Arc::new(Flaky::default());
    source
        .table
        .insert(&tenant(), profile("c-1", CustomerTier::Premium, 50_000.0));
    let h = Harness::with_profiles(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
        Some(source.clone()),
    );
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    let retry_at = t0() + secs(300);
    match &t.profile {
        ProfileState::Unavailable {
            reason,
            attempts,
            retry_at: r,
        } => {
            assert!(reason.contains("CRM is down"), "{reason}");
            assert_eq!(*attempts, 1);
            assert_eq!(*r, Some(retry_at));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(t.score.tier_assumed);
    assert_eq!(t.score.tier, CustomerTier::Standard);
    assert_eq!(
        t.status,
        Status::InProgress,
        "a failing source does not block routing"
    );
    assert_eq!(t.next_check, Some(retry_at));
    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(
        event_names(&log),
        [
            "created",
            "profile_unavailable",
            "scored",
            "assigned",
            "status_changed"
        ]
    );

    // Not yet due.
    h.clock.advance(secs(299));
    assert_eq!(block_on(h.engine.sweep()).unwrap(), SweepReport::default());
    assert_eq!(source.calls.load(Ordering::SeqCst), 1);

    source.healthy.store(true, Ordering::SeqCst);
    h.clock.advance(secs(1));
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(report.claimed, 1);
    assert_eq!(report.profiles_fetched, 1);
    assert_eq!(source.calls.load(Ordering::SeqCst), 2);

    let t = block_on(h.engine.ticket(&t)).unwrap();
    assert!(
        matches!(&t.profile, ProfileState::Known { profile } if profile.tier == CustomerTier::Premium)
    );
    assert!(!t.score.tier_assumed);
    assert_eq!(t.score.tier, CustomerTier::Premium);
    assert_eq!(t.priority, t.score.band);
    let log = block_on(h.engine.log(&t)).unwrap();
    let tail: Vec<_> = event_names(&log).split_off(5);
    assert_eq!(tail, ["profile_fetched", "rescored"]);
    match &log.last().unwrap().event {
        LogEvent::Rescored {
            from,
            score,
            reason,
        } => {
            assert_eq!(*reason, RescoreReason::ProfileArrived);
            assert_eq!(*from, Priority::Normal);
            assert_eq!(*score, t.score.note());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(log.last().unwrap().at, t0() + secs(300));
    // Nothing else is due right away.
    assert_eq!(block_on(h.engine.sweep()).unwrap().claimed, 0);
}

#[test]
fn the_engine_stops_fetching_after_profile_max_attempts() {
    let source = Arc::new(Flaky::default());
    let mut policy = without_sla(Policy::default());
    policy.intake.profile_max_attempts = 2;
    let h = Harness::with_profiles(
        policy,
        vec![agent("alice", &["billing"], 5, true)],
        Some(source.clone()),
    );
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    h.clock.advance(secs(300));
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(report.claimed, 1);
    assert_eq!(report.profiles_fetched, 0);
    let t = block_on(h.engine.ticket(&t)).unwrap();
    assert!(matches!(
        t.profile,
        ProfileState::Unavailable {
            attempts: 2,
            retry_at: None,
            ..
        }
    ));
    assert_eq!(t.next_check, None);
    h.clock.advance(TimeDelta::days(1));
    assert_eq!(block_on(h.engine.sweep()).unwrap().claimed, 0);
    assert_eq!(source.calls.load(Ordering::SeqCst), 2);
}

/// A ProfileSource that never answers.
#[derive(Default)]
struct Hanging {
    entered: AtomicBool,
    never: tokio::sync::Notify,
}

#[async_trait]
impl ProfileSource for Hanging {
    async fn profile(
        &self,
        _tenant: &TenantId,
        _customer: &CustomerId,
    ) -> escalation_core::Result<Option<Arc<CustomerProfile>>> {
        self.entered.store(true, Ordering::SeqCst);
        self.never.notified().await;
        Ok(None)
    }
}

async fn yield_until(mut done: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never became true");
}

#[tokio::test]
async fn a_profile_source_that_never_answers_times_out_on_the_clock() {
    let source = Arc::new(Hanging::default());
    let h = Harness::with_profiles(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
        Some(source.clone()),
    );
    let engine = h.engine.clone();
    let task = tokio::spawn(async move {
        engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0()))
            .await
    });
    yield_until(|| source.entered.load(Ordering::SeqCst)).await;
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!task.is_finished(), "intake did not wait for the source");

    // One millisecond short of the timeout: still waiting.
    h.clock.advance(TimeDelta::milliseconds(1_999));
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!task.is_finished(), "intake gave up before the timeout");
    assert!(h.store.is_empty());

    h.clock.advance(TimeDelta::milliseconds(1));
    let t = task.await.unwrap().unwrap();
    match &t.profile {
        ProfileState::Unavailable {
            reason,
            attempts,
            retry_at,
        } => {
            assert!(reason.contains("timed out"), "{reason}");
            assert!(reason.contains("2000 ms"), "{reason}");
            assert_eq!(*attempts, 1);
            assert_eq!(*retry_at, Some(t0() + secs(300)));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(t.score.tier_assumed);
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.created_at, t0());
    let log = h.engine.log(&t).await.unwrap();
    assert!(
        log.iter().any(|e| matches!(
            &e.event,
            LogEvent::ProfileUnavailable { reason, attempts: 1, .. } if reason.contains("timed out")
        )),
        "{log:?}"
    );
}

// --- queueing and the sweep ----------------------------------------------------------------

#[test]
fn a_sweep_with_nothing_due_claims_nothing() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    assert_eq!(block_on(h.engine.sweep()).unwrap(), SweepReport::default());
    // An assigned ticket of a known low-value customer has nothing pending.
    h.profiles
        .insert(&tenant(), profile("c-free", CustomerTier::Free, 0.0));
    let t =
        block_on(
            h.engine
                .create_ticket(new_ticket("c-free", "billing", Impact::Question, t0())),
        )
        .unwrap();
    assert_eq!(t.next_check, None);
    h.clock.advance(TimeDelta::days(30));
    assert_eq!(block_on(h.engine.sweep()).unwrap(), SweepReport::default());
    assert_eq!(block_on(h.engine.ticket(&t)).unwrap().version, 1);
}

#[test]
fn no_eligible_agent_queues_the_ticket_and_a_later_sweep_assigns_it() {
    let mut tier2 = agent("carol", &["billing"], 5, true);
    tier2.tier = SupportTier::Tier2;
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![
            agent("alice", &["billing"], 5, false),
            agent("bob", &["network"], 5, true),
            tier2,
        ],
    );
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    let retry_at = t0() + secs(300);
    assert_eq!(t.status, Status::New);
    assert_eq!(t.assignee, None);
    assert_eq!(t.team, None);
    assert_eq!(t.route_retry_at, Some(retry_at));
    assert_eq!(t.next_check, Some(retry_at));
    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(
        event_names(&log),
        ["created", "profile_not_found", "scored", "queued"]
    );
    assert_eq!(
        log[3].event,
        LogEvent::Queued {
            why: NoEligibleAgent {
                considered: 3,
                other_tier: 1,
                unavailable: 1,
                lacking_skill: 1,
                at_capacity: 0,
            },
            retry_at,
        }
    );
    let text = log[3].to_string();
    assert!(text.contains("1 unavailable"), "{text}");

    h.directory
        .set_available(&tenant(), &AgentId::new("alice"), true)
        .unwrap();
    // Just before the retry nothing is due.
    h.clock.advance(secs(299));
    assert_eq!(block_on(h.engine.sweep()).unwrap(), SweepReport::default());

    h.clock.advance(secs(1));
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(
        report,
        SweepReport {
            claimed: 1,
            assigned: 1,
            ..SweepReport::default()
        }
    );
    let t = block_on(h.engine.ticket(&t)).unwrap();
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.assignee, Some(AgentId::new("alice")));
    assert_eq!(t.route_retry_at, None);
    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(&event_names(&log)[4..], ["assigned", "status_changed"]);
    assert!(log[4..].iter().all(|e| e.at == retry_at));
    // Assigned now, so the next sweep has nothing to do.
    assert_eq!(block_on(h.engine.sweep()).unwrap().claimed, 0);
}

#[test]
fn a_queued_ticket_stays_queued_while_nobody_is_eligible() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, false)],
    );
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    h.clock.advance(secs(300));
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(report.claimed, 1);
    assert_eq!(report.assigned, 0);
    let t = block_on(h.engine.ticket(&t)).unwrap();
    assert_eq!(t.status, Status::New);
    assert_eq!(t.route_retry_at, Some(t0() + secs(600)));
    assert_eq!(t.next_check, Some(t0() + secs(600)));
    let log = block_on(h.engine.log(&t)).unwrap();
    assert_eq!(event_names(&log).last(), Some(&"queued"));
}

// --- events --------------------------------------------------------------------------------

fn assigned_ticket(h: &Harness) -> escalation_core::Ticket {
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    assert_eq!(t.status, Status::InProgress);
    t
}

#[test]
fn status_transitions_through_record() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = assigned_ticket(&h);

    h.clock.advance(secs(60));
    let t = block_on(h.engine.record(
        &t,
        TicketEvent::StatusChanged {
            to: Status::PendingCustomer,
            by: "alice".into(),
            reason: Some("asked for logs".into()),
        },
    ))
    .unwrap();
    assert_eq!(t.status, Status::PendingCustomer);
    let log = block_on(h.engine.log(&t)).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.actor, Actor::Host(Arc::from("alice")));
    assert_eq!(
        last.event,
        LogEvent::StatusChanged {
            from: Status::InProgress,
            to: Status::PendingCustomer,
            reason: Some(Arc::from("asked for logs")),
        }
    );

    // The customer's reply moves it back to In Progress.
    h.clock.advance(secs(60));
    let t = block_on(h.engine.record(&t, TicketEvent::CustomerReplied)).unwrap();
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.last_customer_reply_at, Some(t0() + secs(120)));
    let log = block_on(h.engine.log(&t)).unwrap();
    let n = log.len();
    assert_eq!(
        &event_names(&log)[n - 2..],
        ["customer_replied", "status_changed"]
    );
    assert_eq!(log[n - 2].actor, Actor::Customer(CustomerId::new("c-1")));
    assert!(matches!(
        log[n - 1].event,
        LogEvent::StatusChanged {
            from: Status::PendingCustomer,
            to: Status::InProgress,
            ..
        }
    ));

    // A reply while In Progress changes no status.
    let t = block_on(h.engine.record(&t, TicketEvent::CustomerReplied)).unwrap();
    assert_eq!(t.status, Status::InProgress);

    h.clock.advance(secs(60));
    let t = block_on(h.engine.record(&t, status(Status::Resolved))).unwrap();
    assert_eq!(t.status, Status::Resolved);
    assert_eq!(t.resolved_at, Some(t0() + secs(180)));
    assert_eq!(t.next_check, None);
    // A resolved ticket no longer counts toward alice's load.
    let loads = block_on(
        h.engine
            .store()
            .agent_loads(&tenant(), &[&AgentId::new("alice")]),
    )
    .unwrap();
    assert_eq!(loads, [0]);

    let t = block_on(h.engine.record(&t, status(Status::Closed))).unwrap();
    assert_eq!(t.status, Status::Closed);
    assert_eq!(t.resolved_at, Some(t0() + secs(180)));
    let version = t.version;

    // A closed ticket takes no event.
    for to in Status::ALL {
        let err = block_on(h.engine.record(&t, status(*to))).unwrap_err();
        assert!(
            matches!(err, Error::InvalidTransition { from: Status::Closed, to: got } if got == *to),
            "{err:?}"
        );
    }
    for event in [
        TicketEvent::CustomerReplied,
        TicketEvent::AgentReplied {
            agent: AgentId::new("alice"),
        },
        TicketEvent::Reassigned {
            agent: AgentId::new("alice"),
            by: "lead".into(),
        },
    ] {
        let err = block_on(h.engine.record(&t, event.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{event:?}: {err}");
        assert!(err.to_string().contains("closed"), "{err}");
    }
    let after = block_on(h.engine.ticket(&t)).unwrap();
    assert_eq!(after.version, version, "a rejected event was written");
}

/// Closed is final: a priority override (or clearing one) on a closed ticket must be
/// rejected like every other event.
#[test]
fn a_closed_ticket_rejects_priority_events() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = assigned_ticket(&h);
    block_on(h.engine.record(&t, status(Status::Resolved))).unwrap();
    let t = block_on(h.engine.record(&t, status(Status::Closed))).unwrap();
    for event in [
        TicketEvent::PriorityOverridden {
            priority: Priority::Critical,
            by: "lead".into(),
            reason: "late".into(),
        },
        TicketEvent::PriorityOverrideCleared { by: "lead".into() },
    ] {
        let result = block_on(h.engine.record(&t, event.clone()));
        assert!(
            result.is_err(),
            "{event:?} was accepted on a closed ticket: {result:?}"
        );
    }
    assert_eq!(block_on(h.engine.ticket(&t)).unwrap().version, t.version);
}

#[test]
fn an_invalid_transition_names_both_states() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = assigned_ticket(&h);
    let err = block_on(h.engine.record(&t, status(Status::Draft))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidTransition);
    assert!(matches!(
        err,
        Error::InvalidTransition {
            from: Status::InProgress,
            to: Status::Draft
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("in_progress") && text.contains("draft"),
        "{text}"
    );
    // A transition to the same state is not a transition either.
    let err = block_on(h.engine.record(&t, status(Status::InProgress))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidTransition);
    // An event without an actor is invalid input naming the field.
    let err = block_on(h.engine.record(
        &t,
        TicketEvent::StatusChanged {
            to: Status::OnHold,
            by: " ".into(),
            reason: None,
        },
    ))
    .unwrap_err();
    assert_eq!(invalid_field(&err), Some("by"));
    assert_eq!(block_on(h.engine.ticket(&t)).unwrap().version, t.version);
}

#[test]
fn a_customer_reply_reopens_a_resolved_ticket() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = assigned_ticket(&h);
    let t = block_on(h.engine.record(&t, status(Status::Resolved))).unwrap();
    assert!(t.resolved_at.is_some());
    h.clock.advance(secs(30));
    let t = block_on(h.engine.record(&t, TicketEvent::CustomerReplied)).unwrap();
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.resolved_at, None);
    assert_eq!(t.assignee, Some(AgentId::new("alice")));
}

#[test]
fn agent_replied_sets_first_response_at_only_once() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = assigned_ticket(&h);
    assert_eq!(t.first_response_at, None);
    h.clock.advance(secs(90));
    let reply = TicketEvent::AgentReplied {
        agent: AgentId::new("alice"),
    };
    let t = block_on(h.engine.record(&t, reply.clone())).unwrap();
    assert_eq!(t.first_response_at, Some(t0() + secs(90)));
    h.clock.advance(secs(90));
    let t = block_on(h.engine.record(&t, reply)).unwrap();
    assert_eq!(t.first_response_at, Some(t0() + secs(90)));
    let log = block_on(h.engine.log(&t)).unwrap();
    let replies: Vec<_> = log
        .iter()
        .filter_map(|e| match &e.event {
            LogEvent::AgentReplied { first } => Some((*first, e.actor.clone(), e.at)),
            _ => None,
        })
        .collect();
    let alice = Actor::Agent(AgentId::new("alice"));
    assert_eq!(
        replies,
        [
            (true, alice.clone(), t0() + secs(90)),
            (false, alice, t0() + secs(180))
        ]
    );
}

// --- concurrency ---------------------------------------------------------------------------

fn queued_then_due(h: &Harness) -> escalation_core::Ticket {
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    assert_eq!(t.status, Status::New);
    h.directory
        .set_available(&tenant(), &AgentId::new("alice"), true)
        .unwrap();
    h.clock.advance(secs(300));
    t
}

#[test]
fn two_engines_sweeping_one_store_handle_a_due_ticket_once() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, false)],
    );
    let other = h.second_engine("engine-b");
    let t = queued_then_due(&h);
    let (a, b) = block_on(futures::future::join(h.engine.sweep(), other.sweep()));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.claimed + b.claimed, 1, "{a:?} {b:?}");
    assert_eq!(a.assigned + b.assigned, 1, "{a:?} {b:?}");
    let log = block_on(h.engine.log(&t)).unwrap();
    let assignments = log
        .iter()
        .filter(|e| matches!(e.event, LogEvent::Assigned { .. }))
        .count();
    assert_eq!(assignments, 1);
    let t = block_on(other.ticket(&t)).unwrap();
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.version, 2);
}

#[test]
fn a_claim_leases_the_ticket_and_fences_late_writers() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, false)],
    );
    let other = h.second_engine("engine-b");
    let t = queued_then_due(&h);
    let store: Arc<dyn TicketStore> = h.store.clone();
    let claim = |holder: &str| ClaimDue {
        now: h.clock_now(),
        limit: 10,
        lease_for: secs(60),
        holder: Arc::from(holder),
    };

    let first = block_on(store.claim_due(&claim("a"))).unwrap();
    assert_eq!(first.len(), 1);
    let first = first.into_iter().next().unwrap();
    assert_eq!(first.ticket.id, t.id);
    assert_eq!(first.until, h.clock_now() + secs(60));

    // While the lease is held nobody else gets the ticket.
    assert!(block_on(store.claim_due(&claim("b"))).unwrap().is_empty());
    assert_eq!(block_on(other.sweep()).unwrap().claimed, 0);
    h.clock.advance(secs(59));
    assert!(block_on(store.claim_due(&claim("b"))).unwrap().is_empty());

    // Once it expires, a new claim succeeds, and the old holder's write is fenced off.
    h.clock.advance(secs(1));
    let second = block_on(store.claim_due(&claim("b"))).unwrap();
    assert_eq!(second.len(), 1);
    let second = second.into_iter().next().unwrap();
    assert_ne!(second.token, first.token);
    assert_eq!(second.ticket.version, first.ticket.version);
    let late = Fence {
        token: first.token,
        now: h.clock_now(),
    };
    let err = block_on(store.update(Commit::new(first.ticket.clone(), vec![], t0()), Some(late)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.is_retryable());

    // The current holder's write goes through and releases the lease.
    let current = Fence {
        token: second.token,
        now: h.clock_now(),
    };
    let written = block_on(store.update(
        Commit::new(second.ticket.clone(), vec![], t0()),
        Some(current),
    ))
    .unwrap();
    assert_eq!(written, second.ticket.version + 1);

    // A holder whose lease ran out cannot write either, even if nobody claimed since.
    h.clock.advance(secs(300));
    let third = block_on(store.claim_due(&claim("c"))).unwrap();
    assert_eq!(third.len(), 1);
    let third = third.into_iter().next().unwrap();
    h.clock.advance(secs(61));
    let expired = Fence {
        token: third.token,
        now: h.clock_now(),
    };
    let err =
        block_on(store.update(Commit::new(third.ticket, vec![], t0()), Some(expired))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl ClockNow for Harness {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.now()
    }
}

#[test]
fn an_update_based_on_a_stale_version_conflicts() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
    );
    let t = assigned_ticket(&h);
    let store = h.engine.store();
    let a = block_on(store.get(&t.key())).unwrap();
    let stale = a.clone();
    let written = block_on(store.update(Commit::new(a, vec![], t0()), None)).unwrap();
    assert_eq!(written, t.version + 1);
    let err = block_on(store.update(Commit::new(stale, vec![], t0()), None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(matches!(err, Error::Conflict(_)));
    assert!(err.is_retryable());
    // The engine's record re-reads, so it is not affected by the earlier writer.
    let t = block_on(h.engine.record(&t, status(Status::OnHold))).unwrap();
    assert_eq!(t.status, Status::OnHold);
    assert_eq!(t.version, written + 1);
}

// --- aging ---------------------------------------------------------------------------------

#[test]
fn a_ticket_is_rescored_exactly_when_it_ages_into_the_next_band() {
    let h = premium_harness(vec![agent("alice", &["billing"], 5, true)]);
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-premium", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    assert_eq!(t.priority, Priority::Normal);
    let next = t.next_check.expect("age lifts the band");
    assert_eq!(
        Some(next),
        scoring::next_band_change(&t.score, t.received_at, &h.engine.policy().scoring)
    );
    assert!(next > t0() + TimeDelta::hours(5) && next < t0() + TimeDelta::hours(6));

    h.clock.set(next - secs(1));
    assert_eq!(block_on(h.engine.sweep()).unwrap(), SweepReport::default());
    assert_eq!(
        block_on(h.engine.ticket(&t)).unwrap().priority,
        Priority::Normal
    );

    h.clock.set(next);
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(
        report,
        SweepReport {
            claimed: 1,
            rescored: 1,
            ..SweepReport::default()
        }
    );
    let t = block_on(h.engine.ticket(&t)).unwrap();
    assert_eq!(t.priority, Priority::High);
    assert_eq!(t.score.band, Priority::High);
    assert_eq!(t.score.age_seconds, (next - t0()).num_seconds());
    let log = block_on(h.engine.log(&t)).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.at, next);
    assert_eq!(
        last.event,
        LogEvent::Rescored {
            from: Priority::Normal,
            score: t.score.note(),
            reason: RescoreReason::Aged,
        }
    );
    // High -> Critical would need more than the age can add, so nothing is due any more.
    assert_eq!(t.next_check, None);
}

#[test]
fn one_sweep_handles_more_due_tickets_than_one_claim_batch() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 1_000, false)],
    );
    let n = 300;
    for _ in 0..n {
        block_on(
            h.engine
                .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
        )
        .unwrap();
    }
    h.directory
        .set_available(&tenant(), &AgentId::new("alice"), true)
        .unwrap();
    h.clock.advance(secs(300));
    let report = block_on(h.engine.sweep()).unwrap();
    assert_eq!(report.claimed, n);
    assert_eq!(report.assigned, n);
    assert_eq!(block_on(h.engine.sweep()).unwrap(), SweepReport::default());
    let loads = block_on(
        h.engine
            .store()
            .agent_loads(&tenant(), &[&AgentId::new("alice")]),
    )
    .unwrap();
    assert_eq!(loads, [u32::try_from(n).unwrap()]);
}

/// A ProfileSource that fails once, then never answers.
#[derive(Default)]
struct FailsThenHangs {
    calls: AtomicU32,
    hanging: AtomicBool,
    never: tokio::sync::Notify,
}

#[async_trait]
impl ProfileSource for FailsThenHangs {
    async fn profile(
        &self,
        _tenant: &TenantId,
        _customer: &CustomerId,
    ) -> escalation_core::Result<Option<Arc<CustomerProfile>>> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(Error::port_transient("ProfileSource", "CRM is down"));
        }
        self.hanging.store(true, Ordering::SeqCst);
        self.never.notified().await;
        Ok(None)
    }
}

/// The sweep claims a ticket under a 60 s lease, then waits on a slow ProfileSource while
/// the clock runs past the lease. Its write must be fenced with the time of the write (the
/// `Fence::now` contract: "the writer's current time"), so the store rejects it as a lost
/// lease instead of accepting work done after the lease ended.
#[tokio::test]
async fn a_sweep_that_outlives_its_lease_does_not_write() {
    let source = Arc::new(FailsThenHangs::default());
    let h = Harness::with_profiles(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, true)],
        Some(source.clone()),
    );
    let t = h
        .engine
        .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0()))
        .await
        .unwrap();
    assert_eq!(t.next_check, Some(t0() + secs(300)));
    h.clock.advance(secs(300));
    let engine = h.engine.clone();
    let sweep = tokio::spawn(async move { engine.sweep().await });
    yield_until(|| source.hanging.load(Ordering::SeqCst)).await;
    // The lease ends at t0 + 360 s; the fetch times out (2 s) only once the clock is past it.
    h.clock.advance(secs(61));
    let report = sweep.await.unwrap().unwrap();
    assert_eq!(report.claimed, 1);
    let after = h.engine.ticket(&t).await.unwrap();
    assert_eq!(
        (report.conflicts, after.version),
        (1, t.version),
        "a write made after the lease expired was accepted: {report:?}"
    );
}

/// In Progress means someone works on it: a queued ticket cannot be moved there by a status
/// change alone (it would be owned by nobody and never routed), only by an assignment.
#[test]
fn a_queued_ticket_cannot_be_put_in_progress_without_an_assignee() {
    let h = Harness::new(
        without_sla(Policy::default()),
        vec![agent("alice", &["billing"], 5, false)],
    );
    let t = block_on(
        h.engine
            .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0())),
    )
    .unwrap();
    let err = block_on(h.engine.record(&t, status(Status::InProgress))).unwrap_err();
    assert_eq!(invalid_field(&err), Some("to"));
    let unchanged = block_on(h.engine.ticket(&t)).unwrap();
    assert_eq!(
        (unchanged.status, unchanged.version),
        (Status::New, t.version)
    );
    let t = block_on(h.engine.record(
        &t,
        TicketEvent::Reassigned {
            agent: AgentId::new("alice"),
            by: "lead".to_owned(),
        },
    ))
    .unwrap();
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.assignee, Some(AgentId::new("alice")));
}
