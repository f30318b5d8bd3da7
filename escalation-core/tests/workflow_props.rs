#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Random workflows (a proptest state machine over create, events, replies, priority
//! overrides, clock moves, sweeps, dispatches, acknowledges and resolves) keep the SLA and
//! escalation invariants after every step: deadlines move only with paused time or a
//! priority change, every effect has its log entry, no page follows an acknowledge or a
//! resolve, and each breach escalates exactly once.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::effect::{Effect, EffectState};
use escalation_core::memory::{MemoryDirectory, MemoryProfiles, MemoryStore};
use escalation_core::ports::TicketStore;
use escalation_core::sla::Target;
use escalation_core::span::Span;
use escalation_core::testkit::{FlakyNotifier, FlakyPager};
use escalation_core::{
    Agent, Clock, Contact, CustomerTier, Engine, Error, Impact, LogEntry, ManualClock, Priority,
    Status, SupportTier, Team, TeamId, Ticket, TicketEvent, TicketId,
};
use futures::executor::block_on;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use common::sla_checks::{self, Fakes};
use common::{new_ticket, profile, short_sla_policy, tenant};

/// Monday 2026-12-07 13:00 UTC: 08:00 in New York, an hour before support opens.
fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-07T13:00:00Z")
        .unwrap()
        .to_utc()
}

const NOTIFIER_RATE: f64 = 0.3;
const PAGER_RATE: f64 = 0.3;

struct World {
    engine: Engine,
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    notifier: Arc<FlakyNotifier>,
    pager: Arc<FlakyPager>,
    seed: u64,
}

/// Two Tier 1 agents with little capacity (so tickets queue), one Tier 2 agent for
/// billing only (so moves to Tier 2 sometimes find nobody), teams with managers, and a
/// customer per tier; `x-unknown` has no profile.
fn world(seed: u64) -> World {
    let clock = Arc::new(ManualClock::new(start()));
    let store = Arc::new(MemoryStore::new());
    let directory = Arc::new(MemoryDirectory::new());
    for (id, manager) in [("team-a", "ann"), ("team-b", "bob")] {
        directory.upsert_team(
            &tenant(),
            Team {
                id: TeamId::new(id),
                name: Arc::from(id),
                manager: Contact::email(manager, "manager@example.invalid"),
            },
        );
    }
    for a in [
        Agent::new("t1-billing", SupportTier::Tier1, "team-a")
            .with_skills(&["billing"])
            .with_capacity(3),
        Agent {
            generalist: true,
            ..Agent::new("t1-any", SupportTier::Tier1, "team-a").with_capacity(2)
        },
        Agent::new("t2-billing", SupportTier::Tier2, "team-b")
            .with_skills(&["billing"])
            .with_capacity(2),
    ] {
        directory.upsert_agent(&tenant(), a);
    }
    let profiles = Arc::new(MemoryProfiles::new());
    for tier in CustomerTier::ALL {
        profiles.insert(&tenant(), profile(&format!("c-{tier}"), *tier, 10_000.0));
    }
    let notifier = Arc::new(FlakyNotifier::new(NOTIFIER_RATE, seed));
    let pager = Arc::new(FlakyPager::new(PAGER_RATE, seed ^ 1));
    let engine = Engine::builder()
        .policy(short_sla_policy())
        .store(store.clone())
        .directory(directory)
        .profiles(profiles)
        .notifier(notifier.clone())
        .pager(pager.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    World {
        engine,
        clock,
        store,
        notifier,
        pager,
        seed,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        customer: usize,
        category: usize,
        impact: Impact,
        priority: Option<Priority>,
        draft: bool,
    },
    /// A status change to any status: allowed or not.
    Status {
        ticket: usize,
        to: Status,
    },
    /// A status change the transition table forbids from the ticket's status.
    ForbiddenStatus {
        ticket: usize,
        pick: usize,
    },
    AgentReply {
        ticket: usize,
    },
    CustomerReply {
        ticket: usize,
    },
    /// Overrides the priority, or clears the override with `None`.
    Priority {
        ticket: usize,
        priority: Option<Priority>,
    },
    Advance {
        minutes: i64,
    },
    Sweep,
    Dispatch,
    /// Acknowledges one of the active pages, if any.
    Ack {
        pick: usize,
    },
    Resolve {
        ticket: usize,
    },
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(Priority::ALL.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    let ticket = 0usize..8;
    prop_oneof![
        3 => (0usize..6, 0usize..3, prop::sample::select(Impact::ALL.to_vec()),
              prop::option::weighted(0.4, priority()), prop::bool::weighted(0.1))
            .prop_map(|(customer, category, impact, priority, draft)| Op::Create {
                customer, category, impact, priority, draft
            }),
        2 => (ticket.clone(), prop::sample::select(Status::ALL.to_vec()))
            .prop_map(|(ticket, to)| Op::Status { ticket, to }),
        1 => (ticket.clone(), 0usize..7).prop_map(|(ticket, pick)| Op::ForbiddenStatus { ticket, pick }),
        2 => ticket.clone().prop_map(|ticket| Op::AgentReply { ticket }),
        2 => ticket.clone().prop_map(|ticket| Op::CustomerReply { ticket }),
        1 => (ticket.clone(), prop::option::weighted(0.8, priority()))
            .prop_map(|(ticket, priority)| Op::Priority { ticket, priority }),
        4 => prop_oneof![1i64..=30, 1i64..=240, 1i64..=1_440]
            .prop_map(|minutes| Op::Advance { minutes }),
        3 => Just(Op::Sweep),
        2 => Just(Op::Dispatch),
        2 => (0usize..8).prop_map(|pick| Op::Ack { pick }),
        1 => ticket.prop_map(|ticket| Op::Resolve { ticket }),
    ]
}

/// What a clock looked like at the last check.
#[derive(Debug, Clone, PartialEq)]
struct ClockSeen {
    deadline: Option<DateTime<Utc>>,
    /// The priority, rule and budget it runs on.
    budget: (Priority, usize, Span),
    /// Running, stopped, and how many pauses it had: a deadline may move only when these
    /// (or the budget) changed.
    pause_state: (bool, bool, usize),
}

struct Model {
    world: World,
    tickets: Vec<TicketId>,
    clocks: HashMap<(TicketId, Target, u32), ClockSeen>,
}

/// A ticket with its log and effects, to show that a failed event wrote nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    ticket: Ticket,
    log: Vec<LogEntry>,
    effects: Vec<Effect>,
}

fn fail(msg: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(msg.into())
}

impl Model {
    fn pick(&self, i: usize) -> Option<TicketId> {
        (!self.tickets.is_empty()).then(|| self.tickets[i % self.tickets.len()])
    }

    async fn snapshot(&self, id: TicketId) -> Snapshot {
        let e = &self.world.engine;
        Snapshot {
            ticket: e.ticket(id).await.unwrap(),
            log: e.log(id).await.unwrap(),
            effects: e.effects(id).await.unwrap(),
        }
    }

    /// Records `event`; an event that fails must leave the ticket, its log and its effects
    /// as they were.
    async fn record(
        &self,
        id: TicketId,
        event: TicketEvent,
    ) -> Result<Result<Ticket, Error>, TestCaseError> {
        let before = self.snapshot(id).await;
        let result = self.world.engine.record(id, event.clone()).await;
        if let Err(e) = &result {
            let after = self.snapshot(id).await;
            prop_assert!(
                before == after,
                "{event:?} failed with {e} but changed ticket {id}"
            );
        }
        Ok(result)
    }

    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let engine = self.world.engine.clone();
        match op {
            Op::Create {
                customer,
                category,
                impact,
                priority,
                draft,
            } => {
                let customer = match CustomerTier::ALL.get(*customer) {
                    Some(tier) => format!("c-{tier}"),
                    None => "x-unknown".to_owned(),
                };
                let category = ["billing", "api", "legal"][*category];
                let mut new = new_ticket(&customer, category, *impact, self.world.clock.now());
                new.priority_override = *priority;
                new.draft = *draft;
                let t = engine.create_ticket(new).await.unwrap();
                self.tickets.push(t.id);
            }
            Op::Status { ticket, to } => {
                let Some(id) = self.pick(*ticket) else {
                    return Ok(());
                };
                let pre = engine.ticket(id).await.unwrap();
                let result = self.record(id, status(*to)).await?;
                match &result {
                    Ok(t) => prop_assert!(
                        t.status == *to || (*to == Status::New && t.status == Status::InProgress),
                        "{:?} -> {to:?} gave {:?}",
                        pre.status,
                        t.status
                    ),
                    Err(Error::InvalidTransition { from, to: got }) => prop_assert!(
                        !from.can_become(*got) && got == to,
                        "{from:?} -> {got:?} refused though the table allows it"
                    ),
                    Err(_) => {}
                }
                // Only a New ticket can change status before the event applies (a move to
                // Tier 2 assigns it); for the others the table decides.
                let allowed = pre.status.can_become(*to)
                    && !(*to == Status::InProgress && pre.assignee.is_none());
                if pre.status != Status::New && allowed {
                    prop_assert!(
                        result.is_ok(),
                        "{:?} -> {to:?} refused: {:?}",
                        pre.status,
                        result.err()
                    );
                }
            }
            Op::ForbiddenStatus { ticket, pick } => {
                let Some(id) = self.pick(*ticket) else {
                    return Ok(());
                };
                let pre = engine.ticket(id).await.unwrap();
                let forbidden: Vec<Status> = Status::ALL
                    .iter()
                    .copied()
                    .filter(|s| !pre.status.can_become(*s))
                    .collect();
                let to = forbidden[pick % forbidden.len()];
                let result = self.record(id, status(to)).await?;
                if pre.status != Status::New {
                    prop_assert!(
                        matches!(result, Err(Error::InvalidTransition { from, to: t }) if from == pre.status && t == to),
                        "{:?} -> {to:?} gave {:?}",
                        pre.status,
                        result.map(|t| t.status)
                    );
                }
            }
            Op::AgentReply { ticket } => {
                let Some(id) = self.pick(*ticket) else {
                    return Ok(());
                };
                let pre = engine.ticket(id).await.unwrap();
                let agent = pre.assignee.clone().unwrap_or_else(|| "t1-any".into());
                let result = self.record(id, TicketEvent::AgentReplied { agent }).await?;
                prop_assert_eq!(result.is_ok(), pre.status != Status::Closed, "{:?}", result);
            }
            Op::CustomerReply { ticket } => {
                let Some(id) = self.pick(*ticket) else {
                    return Ok(());
                };
                let pre = engine.ticket(id).await.unwrap();
                let result = self.record(id, TicketEvent::CustomerReplied).await?;
                if pre.status == Status::Closed {
                    prop_assert!(result.is_err());
                }
                // (An unassigned ticket waiting on the customer or resolved refuses the
                // reply: see `a_customer_reply_reopens_an_unassigned_*` below.)
            }
            Op::Priority { ticket, priority } => {
                let Some(id) = self.pick(*ticket) else {
                    return Ok(());
                };
                let pre = engine.ticket(id).await.unwrap();
                let event = match priority {
                    Some(p) => TicketEvent::PriorityOverridden {
                        priority: *p,
                        by: "host".into(),
                        reason: "customer called".into(),
                    },
                    None => TicketEvent::PriorityOverrideCleared { by: "host".into() },
                };
                let result = self.record(id, event).await?;
                prop_assert_eq!(result.is_ok(), pre.status != Status::Closed, "{:?}", result);
            }
            Op::Advance { minutes } => self.world.clock.advance(TimeDelta::minutes(*minutes)),
            Op::Sweep => {
                let r = engine.sweep().await.unwrap();
                prop_assert_eq!(r.conflicts, 0);
            }
            Op::Dispatch => {
                let r = engine.dispatch().await.unwrap();
                prop_assert_eq!(r.dead_lettered + r.conflicts, 0);
            }
            Op::Ack { pick } => {
                let mut active = Vec::new();
                for id in &self.tickets {
                    let t = engine.ticket(*id).await.unwrap();
                    for p in t.pages.iter().filter(|p| p.is_active()) {
                        active.push((*id, p.key.clone()));
                    }
                }
                if let Some((id, key)) = active.get(pick % active.len().max(1)) {
                    let t = engine.acknowledge(*id, key, "on-call").await.unwrap();
                    let page = t.pages.iter().find(|p| p.key == *key).unwrap();
                    prop_assert!(page.acknowledged.is_some());
                }
            }
            Op::Resolve { ticket } => {
                let Some(id) = self.pick(*ticket) else {
                    return Ok(());
                };
                let before = self.snapshot(id).await;
                let result = engine.resolve(id, "done", "configuration", "host").await;
                match &result {
                    Ok(t) => prop_assert_eq!(t.status, Status::Resolved),
                    Err(_) => {
                        let after = self.snapshot(id).await;
                        prop_assert!(before == after, "a failed resolve changed ticket {}", id);
                    }
                }
                prop_assert_eq!(
                    result.is_ok(),
                    before.ticket.status.can_become(Status::Resolved),
                    "{:?}",
                    result.map(|t| t.status)
                );
            }
        }
        Ok(())
    }

    /// Checks every invariant on every ticket, and remembers the clocks for the next check.
    async fn check(&mut self, after: &Op) -> Result<(), TestCaseError> {
        let engine = self.world.engine.clone();
        let mut effects_total = 0;
        for id in self.tickets.clone() {
            let Snapshot {
                ticket: t,
                log,
                effects,
            } = self.snapshot(id).await;
            effects_total += effects.len();
            for c in [
                sla_checks::effects_logged(&t, &log, &effects),
                sla_checks::breaches_once(&t, &log),
                sla_checks::fired_once(&t, &log),
                sla_checks::breach_levels_fired(engine.policy(), &t),
                sla_checks::no_page_after_stop(&t, &log, &effects),
            ] {
                c.map_err(|e| fail(format!("after {after:?}: {e}")))?;
            }
            for c in &t.sla {
                let seen = ClockSeen {
                    deadline: c.deadline,
                    budget: (c.priority, c.rule, c.budget),
                    pause_state: (
                        c.running_since.is_some(),
                        c.stopped_at.is_some(),
                        c.pauses.len(),
                    ),
                };
                if let Some(prev) = self.clocks.insert((t.id, c.target, c.cycle), seen.clone())
                    && prev.budget == seen.budget
                    && prev.pause_state == seen.pause_state
                {
                    prop_assert_eq!(
                        prev.deadline,
                        seen.deadline,
                        "after {:?}: ticket {} clock {}.{} moved its deadline without a pause or a priority change",
                        after,
                        t.id,
                        c.target,
                        c.cycle
                    );
                }
            }
        }
        prop_assert_eq!(effects_total, self.world.store.all_effects().len());
        Ok(())
    }

    /// Delivers everything still pending and reconciles the outbox with the fakes.
    async fn drain_and_reconcile(&mut self) -> Result<(), TestCaseError> {
        let w = &self.world;
        for _ in 0..10_000 {
            let r = w.engine.dispatch().await.unwrap();
            prop_assert_eq!(r.dead_lettered + r.conflicts, 0);
            match w.store.next_effect_due().await.unwrap() {
                Some(at) => w.clock.set(at.max(w.clock.now() + TimeDelta::seconds(1))),
                None => break,
            }
        }
        let all = w.store.all_effects();
        prop_assert!(
            all.iter()
                .all(|e| matches!(e.state, EffectState::Delivered | EffectState::Cancelled)),
            "effects left pending"
        );
        let (notifier, triggers, resolves) =
            (w.notifier.journal(), w.pager.triggers(), w.pager.resolves());
        sla_checks::deliveries_match(
            &all,
            &Fakes {
                notifier: &notifier,
                triggers: &triggers,
                resolves: &resolves,
                notifier_plan: (NOTIFIER_RATE, w.seed),
                pager_plan: (PAGER_RATE, w.seed ^ 1),
            },
        )
        .map_err(fail)?;
        self.check(&Op::Dispatch).await
    }
}

fn status(to: Status) -> TicketEvent {
    TicketEvent::StatusChanged {
        to,
        by: "host".into(),
        reason: None,
    }
}

async fn run(ops: Vec<Op>, seed: u64) -> Result<(), TestCaseError> {
    let mut model = Model {
        world: world(seed),
        tickets: Vec::new(),
        clocks: HashMap::new(),
    };
    for op in &ops {
        model.step(op).await?;
        model.check(op).await?;
    }
    model.drain_and_reconcile().await
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 4_096,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_workflows_keep_the_sla_and_escalation_invariants(
        ops in prop::collection::vec(op(), 1..=40),
        seed in any::<u64>(),
    ) {
        block_on(run(ops, seed))?;
    }
}

/// Long runs with many tickets and clock moves, to reach breaches, pages, repeats and
/// the ladder's later steps more often than short random runs do.
#[test]
fn a_busy_day_keeps_the_invariants() {
    let mut ops = Vec::new();
    for i in 0..24 {
        ops.push(Op::Create {
            customer: i % 6,
            category: i % 3,
            impact: Impact::ALL[i % Impact::ALL.len()],
            priority: [None, Some(Priority::Critical), None, Some(Priority::High)][i % 4],
            draft: false,
        });
        ops.push(Op::Advance { minutes: 7 });
        ops.push(Op::Sweep);
        ops.push(Op::Dispatch);
        if i % 3 == 0 {
            ops.push(Op::Ack { pick: i });
        }
        if i % 5 == 0 {
            ops.push(Op::Status {
                ticket: i,
                to: Status::PendingCustomer,
            });
        }
        if i % 4 == 1 {
            ops.push(Op::CustomerReply { ticket: i + 3 });
            ops.push(Op::AgentReply { ticket: i + 1 });
        }
        if i % 7 == 6 {
            ops.push(Op::Resolve { ticket: i / 2 });
        }
    }
    for _ in 0..40 {
        ops.push(Op::Advance { minutes: 17 });
        ops.push(Op::Sweep);
        ops.push(Op::Dispatch);
    }
    block_on(run(ops, 42)).unwrap();
}

// --- customer replies to unassigned tickets ---------------------------------------------------

/// A `legal` ticket nobody takes: only the Tier 1 generalist handles `legal`, so once they
/// are at capacity the next ones stay New and unassigned.
fn unassigned_ticket(w: &World, customer: &str) -> Ticket {
    loop {
        let t = block_on(w.engine.create_ticket(new_ticket(
            customer,
            "legal",
            Impact::Question,
            start(),
        )))
        .unwrap();
        if t.assignee.is_none() {
            return t;
        }
    }
}

#[test]
fn a_customer_reply_reopens_an_unassigned_ticket_waiting_on_the_customer() {
    let w = world(3);
    let t = unassigned_ticket(&w, "c-premium");
    assert_eq!(t.status, Status::New);
    // The desk asks the customer something before anyone took the ticket
    // (New -> Pending Customer is in the transition table), and the customer answers.
    let t = block_on(w.engine.record(&t, status(Status::PendingCustomer))).unwrap();
    assert_eq!(t.status, Status::PendingCustomer);
    w.clock.advance(TimeDelta::minutes(5));
    let t = block_on(w.engine.record(&t, TicketEvent::CustomerReplied)).expect(
        "a customer reply to a ticket waiting on the customer must be accepted (it goes back to the queue)",
    );
    assert_eq!(t.status, Status::New);
    assert!(
        t.sla
            .iter()
            .filter(|c| c.target == Target::Resolution)
            .all(|c| c.is_running()),
        "the resolution clock runs again"
    );
}

#[test]
fn a_customer_reply_reopens_an_unassigned_resolved_ticket() {
    let w = world(4);
    let t = unassigned_ticket(&w, "c-vip");
    let t = block_on(
        w.engine
            .resolve(&t, "answered by mail", "user_error", "host"),
    )
    .unwrap();
    assert_eq!(t.status, Status::Resolved);
    w.clock.advance(TimeDelta::hours(1));
    let t = block_on(w.engine.record(&t, TicketEvent::CustomerReplied)).expect(
        "a customer reply to a resolved ticket must reopen it (back to the queue when unassigned)",
    );
    assert_eq!(t.status, Status::New);
    assert_eq!(t.resolved_at, None);
}
