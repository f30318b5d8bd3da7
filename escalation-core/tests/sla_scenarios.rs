#![allow(clippy::unwrap_used, clippy::expect_used)]
//! SLA, warnings and the escalation ladder, scenario by scenario, on a manual clock
//! (workflow steps 5–9): exact instants, exact effect keys and exact log events.
//!
//! Every scenario runs on in-memory adapters. Time moves only when a test sets the manual
//! clock, usually to a ticket's `next_check`, so each due instant is hit to the second.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::America::New_York;
use escalation_core::effect::{Effect, EffectKind, EffectState};
use escalation_core::memory::{
    MemoryDirectory, MemoryNotifier, MemoryPager, MemoryProfiles, MemoryStore, PagerCall,
};
use escalation_core::ports::{Notification, NotificationKind, Notifier};
use escalation_core::sla::{Pause, Target};
use escalation_core::span::Span;
use escalation_core::task::TaskStatus;
use escalation_core::{
    Agent, AgentId, Channel, Contact, CustomerTier, Engine, Error, LogEntry, LogEvent, ManualClock,
    NewTicket, Policy, Priority, Status, SupportTier, Team, TeamId, TenantId, Ticket, TicketEvent,
    TicketId, TicketRef,
};
use futures::executor::block_on;

use common::{event_names, profile, tenant};

// --- fixtures ------------------------------------------------------------------------------

/// An instant given as New York wall-clock time (EST in the weeks these tests use).
fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .to_utc()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn mins(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

fn hours(h: i64) -> TimeDelta {
    TimeDelta::hours(h)
}

/// Everything before the scenario's own `[sla]`, `[[ladder]]`, ... sections: the support
/// calendar (New York, Mon–Fri 09:00–17:00, Christmas off), a root-cause taxonomy, and no
/// age factor in the score, so no ticket changes priority band while the clock moves; a
/// last, catch-all target rule without budgets, so priorities a scenario leaves out start no
/// clock.
fn policy_v(version: &str, sections: &str) -> Policy {
    let text = format!(
        r#"
version = "{version}"
root_causes = ["product_defect", "configuration", "other"]

[scoring.weights]
age = 0.0

[calendars.support]
timezone = "America/New_York"
holidays = ["2026-12-25"]

[calendars.support.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

{sections}

# Any other priority: no clocks.
[[sla.targets]]
"#
    );
    let mut p = Policy::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    if !sections.contains("[[ladder]]") {
        // Each scenario names its own levels; none means none, not the default ladder.
        p.ladder.clear();
    }
    p
}

fn policy(sections: &str) -> Policy {
    policy_v("v1", sections)
}

/// An engine on in-memory adapters and a manual clock, with a handle on every adapter.
struct Sla {
    engine: Engine,
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    directory: Arc<MemoryDirectory>,
    profiles: Arc<MemoryProfiles>,
    notifier: Arc<MemoryNotifier>,
    pager: Arc<MemoryPager>,
}

fn team(id: &str, manager: &str) -> Team {
    Team {
        id: TeamId::new(id),
        name: Arc::from(id),
        manager: Contact::email(
            manager,
            &format!("{}@example.invalid", manager.to_lowercase()),
        ),
    }
}

fn alice() -> Agent {
    Agent::new("alice", SupportTier::Tier1, "team-a")
        .with_skills(&["billing"])
        .with_email("alice@example.invalid")
}

fn tara() -> Agent {
    Agent::new("tara", SupportTier::Tier2, "team-b")
        .with_skills(&["billing"])
        .with_email("tara@example.invalid")
}

impl Sla {
    /// Alice (Tier 1, team-a, managed by Mona), teams team-a and team-b (managed by Mark),
    /// Tara (Tier 2, team-b) when `tier2`, and customer `c-1` (Enterprise, contact Carla).
    fn new(policy: Policy, start: DateTime<Utc>, tier2: bool) -> Sla {
        Sla::with_notifier(policy, start, tier2, None)
    }

    fn with_notifier(
        policy: Policy,
        start: DateTime<Utc>,
        tier2: bool,
        notifier: Option<Arc<dyn Notifier>>,
    ) -> Sla {
        let clock = Arc::new(ManualClock::new(start));
        let store = Arc::new(MemoryStore::new());
        let directory = Arc::new(MemoryDirectory::new());
        directory.upsert_agent(&tenant(), alice());
        if tier2 {
            directory.upsert_agent(&tenant(), tara());
        }
        directory.upsert_team(&tenant(), team("team-a", "Mona"));
        directory.upsert_team(&tenant(), team("team-b", "Mark"));
        let profiles = Arc::new(MemoryProfiles::new());
        let mut carla = profile("c-1", CustomerTier::Enterprise, 20_000.0);
        carla.contact = Contact::email("Carla", "carla@example.invalid");
        profiles.insert(&tenant(), carla);
        let memory_notifier = Arc::new(MemoryNotifier::new());
        let pager = Arc::new(MemoryPager::new());
        let engine = Engine::builder()
            .policy(policy)
            .store(store.clone())
            .directory(directory.clone())
            .profiles(profiles.clone())
            .notifier(notifier.unwrap_or_else(|| memory_notifier.clone()))
            .pager(pager.clone())
            .clock(clock.clone())
            .build()
            .unwrap();
        Sla {
            engine,
            clock,
            store,
            directory,
            profiles,
            notifier: memory_notifier,
            pager,
        }
    }

    /// Another engine, with another policy, on the same store, adapters and clock.
    fn engine_with(&self, id: &str, policy: Policy) -> Engine {
        Engine::builder()
            .engine_id(id)
            .policy(policy)
            .store(self.store.clone())
            .directory(self.directory.clone())
            .profiles(self.profiles.clone())
            .notifier(self.notifier.clone())
            .pager(self.pager.clone())
            .clock(self.clock.clone())
            .build()
            .unwrap()
    }

    fn now(&self) -> DateTime<Utc> {
        self.engine.now()
    }

    fn set(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        assert_eq!(self.now(), at, "the manual clock never goes backwards");
    }

    /// A ticket of customer c-1 in category billing, at `priority` (set at intake), received
    /// now.
    fn create(&self, priority: Priority) -> Ticket {
        self.create_with(priority, "Invoice is wrong", false)
    }

    fn create_with(&self, priority: Priority, subject: &str, draft: bool) -> Ticket {
        let new = NewTicket {
            priority_override: Some(priority),
            draft,
            ..NewTicket::new(
                "c-1",
                Channel::Email,
                "billing",
                escalation_core::Impact::Bug,
                subject,
                self.now(),
            )
        };
        block_on(self.engine.create_ticket(new)).unwrap()
    }

    fn ticket(&self, t: &Ticket) -> Ticket {
        block_on(self.engine.ticket(t)).unwrap()
    }

    fn sweep(&self) -> usize {
        block_on(self.engine.sweep()).unwrap().claimed
    }

    /// Moves the clock to the ticket's next check and sweeps; returns the ticket as written.
    fn tick(&self, t: &Ticket) -> Ticket {
        let at = self.ticket(t).next_check.expect("the ticket is due again");
        self.set(at);
        assert!(self.sweep() >= 1, "a due ticket is claimed");
        self.ticket(t)
    }

    fn record(&self, t: &Ticket, event: TicketEvent) -> Ticket {
        block_on(self.engine.record(t, event)).unwrap()
    }

    fn status(&self, t: &Ticket, to: Status) -> Ticket {
        self.record(
            t,
            TicketEvent::StatusChanged {
                to,
                by: "host-user".into(),
                reason: None,
            },
        )
    }

    fn log(&self, t: &Ticket) -> Vec<LogEntry> {
        block_on(self.engine.log(t)).unwrap()
    }

    fn names_at(&self, t: &Ticket, at: DateTime<Utc>) -> Vec<&'static str> {
        let log: Vec<LogEntry> = self.log(t).into_iter().filter(|e| e.at == at).collect();
        event_names(&log)
    }

    fn count(&self, t: &Ticket, name: &str) -> usize {
        self.log(t)
            .iter()
            .filter(|e| e.event.name() == name)
            .count()
    }

    fn effects(&self, t: &Ticket) -> Vec<Effect> {
        block_on(self.engine.effects(t)).unwrap()
    }

    fn effect(&self, t: &Ticket, key: &str) -> Effect {
        self.effects(t)
            .into_iter()
            .find(|e| &*e.key == key)
            .unwrap_or_else(|| panic!("no effect {key}"))
    }

    fn effect_keys(&self, t: &Ticket) -> Vec<String> {
        self.effects(t).iter().map(|e| e.key.to_string()).collect()
    }

    fn clock_of(t: &Ticket, target: Target, cycle: u32) -> &escalation_core::sla::SlaClock {
        t.sla
            .iter()
            .find(|c| c.target == target && c.cycle == cycle)
            .unwrap_or_else(|| panic!("no {target} clock, cycle {cycle}"))
    }
}

fn key(t: &Ticket, rest: &str) -> String {
    format!("default/{}/{rest}", t.id)
}

fn notification(e: &Effect) -> &Notification {
    match &e.kind {
        EffectKind::Notify { notification } => notification,
        other => panic!("not a notification: {other:?}"),
    }
}

fn invalid_field(e: &Error) -> Option<&str> {
    match e {
        Error::InvalidInput { field, .. } => Some(field),
        _ => None,
    }
}

/// A Notifier that fails every call, transiently or permanently, and counts the calls.
struct FailingNotifier {
    permanent: bool,
    calls: AtomicU32,
}

#[async_trait]
impl Notifier for FailingNotifier {
    async fn send(&self, _n: &Notification) -> escalation_core::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(if self.permanent {
            Error::port_permanent("Notifier", "mailbox does not exist")
        } else {
            Error::port_transient("Notifier", "451 try again later")
        })
    }
}

const NO_WARNINGS: &str = "[sla.warnings]\npercent = []\n";

// --- 1. the breach second --------------------------------------------------------------------

#[test]
fn a_breach_is_recorded_at_the_deadline_second_and_logged_once() {
    let p = policy(
        r#"
[sla]
calendar = "support"
[sla.warnings]
percent = []
before = ["1s"]
[[sla.targets]]
priority = "high"
first_response = "1h"

[[ladder]]
name = "breach"
on = "breach"
actions = ["create_task"]
"#,
    );
    // Monday 16:30 New York: 30 business minutes today, 30 tomorrow from 09:00.
    let h = Sla::new(p, ny(2026, 11, 30, 16, 30), false);
    let t = h.create(Priority::High);
    let deadline = ny(2026, 12, 1, 9, 30);
    assert_eq!(deadline, utc("2026-12-01T14:30:00Z"));
    let fr = Sla::clock_of(&t, Target::FirstResponse, 0);
    assert_eq!(fr.deadline, Some(deadline));
    // The "1s before" warning makes the ticket due one second before the deadline.
    assert_eq!(t.next_check, Some(deadline - TimeDelta::seconds(1)));

    // Overnight nothing is due.
    h.set(ny(2026, 11, 30, 23, 0));
    assert_eq!(h.sweep(), 0);

    // One second before: the ticket is looked at, warned, not breached.
    let t1 = h.tick(&t);
    assert_eq!(h.now(), deadline - TimeDelta::seconds(1));
    let fr = Sla::clock_of(&t1, Target::FirstResponse, 0);
    assert_eq!(fr.breached_at, None);
    assert_eq!(h.count(&t, "sla_breached"), 0);
    assert_eq!(h.count(&t, "sla_warning"), 1);
    assert_eq!(t1.next_check, Some(deadline));

    // The deadline second itself.
    let t2 = h.tick(&t);
    assert_eq!(h.now(), deadline);
    assert_eq!(
        Sla::clock_of(&t2, Target::FirstResponse, 0).breached_at,
        Some(deadline)
    );
    assert_eq!(
        h.names_at(&t, deadline),
        ["sla_breached", "level_fired", "task_created"]
    );
    let breach = h
        .log(&t)
        .into_iter()
        .find(|e| e.event.name() == "sla_breached")
        .unwrap();
    assert_eq!(
        breach.event,
        LogEvent::SlaBreached {
            target: Target::FirstResponse,
            cycle: 0,
            deadline,
        }
    );
    assert_eq!(t2.next_check, None, "nothing is pending after the breach");

    // More sweeps and events: still one breach, one task.
    h.set(deadline + hours(1));
    assert_eq!(h.sweep(), 0);
    h.record(&t, TicketEvent::CustomerReplied);
    h.set(deadline + hours(30));
    h.sweep();
    h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(h.count(&t, "sla_breached"), 1);
    assert_eq!(h.count(&t, "level_fired"), 1);
    assert_eq!(
        block_on(h.engine.tasks(&tenant(), Some(t.id)))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        Sla::clock_of(&h.ticket(&t), Target::FirstResponse, 0).breached_at,
        Some(deadline)
    );
}

#[test]
fn a_late_sweep_records_the_breach_at_the_deadline_not_at_the_sweep() {
    let p = policy(&format!(
        "[sla]\ncalendar = \"support\"\n{NO_WARNINGS}[[sla.targets]]\npriority = \"high\"\nfirst_response = \"2h\"\n"
    ));
    let h = Sla::new(p, ny(2026, 11, 30, 9, 0), false);
    let t = h.create(Priority::High);
    let deadline = ny(2026, 11, 30, 11, 0);
    assert_eq!(t.next_check, Some(deadline));
    h.set(deadline + mins(17));
    assert_eq!(h.sweep(), 1);
    let t = h.ticket(&t);
    assert_eq!(
        Sla::clock_of(&t, Target::FirstResponse, 0).breached_at,
        Some(deadline)
    );
    let log = h.log(&t);
    let entry = log
        .iter()
        .find(|e| e.event.name() == "sla_breached")
        .unwrap();
    assert_eq!(entry.at, deadline + mins(17), "logged when seen");
}

// --- 2. warnings -----------------------------------------------------------------------------

#[test]
fn warnings_fall_at_75_and_90_percent_of_business_time_and_each_warns_the_assignee_once() {
    let p = policy(
        r#"
[sla]
calendar = "support"
[sla.warnings]
percent = [75, 90]
[[sla.targets]]
priority = "high"
first_response = "4h"

[[ladder]]
name = "warn-assignee"
on = "warning"
actions = ["warn_agent"]
"#,
    );
    // Monday 15:00 New York: 2 h today, 2 h on Tuesday from 09:00.
    let h = Sla::new(p, ny(2026, 11, 30, 15, 0), false);
    let t = h.create(Priority::High);
    let w75 = ny(2026, 12, 1, 10, 0); // 3 h of business time in
    let w90 = ny(2026, 12, 1, 10, 36); // 3 h 36 m in
    let deadline = ny(2026, 12, 1, 11, 0);
    assert_eq!(w75, utc("2026-12-01T15:00:00Z"));
    assert_eq!(
        Sla::clock_of(&t, Target::FirstResponse, 0).deadline,
        Some(deadline)
    );
    assert_eq!(t.next_check, Some(w75));

    // Monday's close and Tuesday's opening are not due.
    h.set(ny(2026, 11, 30, 17, 0));
    assert_eq!(h.sweep(), 0);
    h.set(ny(2026, 12, 1, 9, 59));
    assert_eq!(h.sweep(), 0);

    let t1 = h.tick(&t);
    assert_eq!(h.now(), w75);
    assert_eq!(
        h.names_at(&t, w75),
        ["sla_warning", "level_fired", "effect_queued"]
    );
    let k0 = key(&t, "agent/first_response.0/warn-assignee~0");
    assert_eq!(h.effect_keys(&t), std::slice::from_ref(&k0));
    let e0 = h.effect(&t, &k0);
    let n0 = notification(&e0);
    assert_eq!(n0.kind, NotificationKind::AgentWarning);
    assert_eq!(&*n0.to.name, "alice");
    assert_eq!(n0.to.email.as_deref(), Some("alice@example.invalid"));
    assert_eq!(e0.not_before, w75);
    assert_eq!(Sla::clock_of(&t1, Target::FirstResponse, 0).warned, 0b01);
    assert_eq!(t1.next_check, Some(w90));

    let t2 = h.tick(&t);
    assert_eq!(h.now(), w90);
    let k1 = key(&t, "agent/first_response.0/warn-assignee~1");
    assert_eq!(h.effect_keys(&t), [k0.clone(), k1.clone()]);
    assert_eq!(Sla::clock_of(&t2, Target::FirstResponse, 0).warned, 0b11);
    assert_eq!(t2.next_check, Some(deadline));
    let labels: Vec<String> = h
        .log(&t)
        .iter()
        .filter_map(|e| match &e.event {
            LogEvent::SlaWarning { label, .. } => Some(format!("{label}@{}", e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(labels, [format!("75%@{w75}"), format!("90%@{w90}")]);

    // The deadline passes; later sweeps and events warn no more.
    h.tick(&t);
    h.set(deadline + hours(5));
    h.sweep();
    h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(h.count(&t, "sla_warning"), 2);
    assert_eq!(h.effect_keys(&t), [k0, k1]);
}

// --- 3, 4. pauses --------------------------------------------------------------------------

fn resolution_policy(budget: &str) -> Policy {
    policy(&format!(
        "[sla]\ncalendar = \"support\"\n{NO_WARNINGS}[[sla.targets]]\npriority = \"critical\"\nresolution = \"1h\"\n[[sla.targets]]\npriority = \"high\"\nresolution = \"{budget}\"\n"
    ))
}

#[test]
fn pending_customer_over_a_weekend_moves_the_deadline_by_the_paused_business_time_only() {
    let h = Sla::new(resolution_policy("8h"), ny(2026, 12, 4, 13, 0), false);
    let t = h.create(Priority::High);
    // Friday 13:00–17:00 (4 h), Monday 09:00–13:00 (4 h).
    let original = ny(2026, 12, 7, 13, 0);
    assert_eq!(
        Sla::clock_of(&t, Target::Resolution, 0).deadline,
        Some(original)
    );

    // Friday 15:00: waiting for the customer, 2 h used.
    let paused_at = ny(2026, 12, 4, 15, 0);
    h.set(paused_at);
    let t1 = h.status(&t, Status::PendingCustomer);
    let c = Sla::clock_of(&t1, Target::Resolution, 0);
    assert!(c.is_paused());
    assert_eq!(c.consumed, hours(2));
    assert_eq!(c.deadline, None);
    assert_eq!(t1.next_check, None, "a paused clock is never due");
    assert_eq!(h.names_at(&t, paused_at), ["status_changed", "sla_paused"]);

    // Nothing happens over the weekend.
    h.set(ny(2026, 12, 5, 12, 0));
    assert_eq!(h.sweep(), 0);
    h.set(ny(2026, 12, 6, 23, 59));
    assert_eq!(h.sweep(), 0);

    // Monday 10:00: back in progress.
    let resumed_at = ny(2026, 12, 7, 10, 0);
    h.set(resumed_at);
    let t2 = h.status(&t, Status::InProgress);
    let c = Sla::clock_of(&t2, Target::Resolution, 0);
    let cal = h.engine.calendar("support").unwrap();
    let paused_business = cal.elapsed(paused_at, resumed_at);
    assert_eq!(
        paused_business,
        hours(3),
        "Fri 15–17 and Mon 09–10; no weekend"
    );
    let expected = ny(2026, 12, 7, 16, 0);
    assert_eq!(c.deadline, Some(expected));
    assert_eq!(cal.add(original, paused_business).unwrap(), expected);
    assert_eq!(c.consumed, hours(2));
    assert_eq!(c.running_since, Some(resumed_at));
    assert_eq!(
        c.pauses,
        [Pause {
            from: paused_at,
            to: Some(resumed_at)
        }]
    );
    assert_eq!(t2.next_check, Some(expected));
    let resumed = h
        .log(&t)
        .into_iter()
        .find(|e| e.event.name() == "sla_resumed")
        .unwrap();
    assert_eq!(
        resumed.event,
        LogEvent::SlaResumed {
            target: Target::Resolution,
            cycle: 0,
            deadline: Some(expected)
        }
    );

    // And it breaches at the moved deadline, not the original one.
    h.set(original);
    assert_eq!(h.sweep(), 0);
    let t3 = h.tick(&t);
    assert_eq!(h.now(), expected);
    assert_eq!(
        Sla::clock_of(&t3, Target::Resolution, 0).breached_at,
        Some(expected)
    );
}

/// Thursday 24 Dec 2026 15:00 New York, 8 h resolution; paused at 16:00 (1 h used), resumed
/// on Monday 28 Dec at 09:30, Christmas (Friday) being a holiday.
fn holiday_scenario() -> (Sla, Ticket) {
    let h = Sla::new(resolution_policy("8h"), ny(2026, 12, 24, 15, 0), false);
    let t = h.create(Priority::High);
    // Thursday 15–17 (2 h); Friday is Christmas; Monday 09:00–15:00 (6 h).
    assert_eq!(
        Sla::clock_of(&t, Target::Resolution, 0).deadline,
        Some(ny(2026, 12, 28, 15, 0))
    );
    h.set(ny(2026, 12, 24, 16, 0));
    h.status(&t, Status::OnHold);
    h.set(ny(2026, 12, 25, 12, 0));
    assert_eq!(h.sweep(), 0);
    h.set(ny(2026, 12, 28, 9, 30));
    let t = h.status(&t, Status::InProgress);
    (h, t)
}

#[test]
fn on_hold_over_a_holiday_consumes_no_business_time_on_the_holiday() {
    let (h, t) = holiday_scenario();
    let c = Sla::clock_of(&t, Target::Resolution, 0);
    assert_eq!(c.consumed, hours(1));
    // 7 h left from Monday 09:30: 16:30.
    assert_eq!(c.deadline, Some(ny(2026, 12, 28, 16, 30)));
    assert_eq!(c.deadline, Some(utc("2026-12-28T21:30:00Z")));
    let cal = h.engine.calendar("support").unwrap();
    assert_eq!(
        cal.elapsed(ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 9, 30)),
        mins(90),
        "Thu 16–17 and Mon 09:00–09:30 only"
    );
    assert_eq!(
        c.pauses,
        [Pause {
            from: ny(2026, 12, 24, 16, 0),
            to: Some(ny(2026, 12, 28, 9, 30))
        }]
    );
    assert_eq!(t.next_check, c.deadline);
}

// --- 5. next response ------------------------------------------------------------------------

#[test]
fn next_response_restarts_on_customer_replies_and_the_oldest_unanswered_reply_counts() {
    let p = policy(&format!(
        "[sla]\ncalendar = \"always\"\n{NO_WARNINGS}[[sla.targets]]\npriority = \"high\"\nfirst_response = \"1h\"\nnext_response = \"2h\"\n"
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::High);
    assert_eq!(t.sla.len(), 1, "only first response; next response waits");

    // A customer reply before the first response starts nothing.
    h.set(start + mins(5));
    let t1 = h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(t1.sla.len(), 1);

    // First response at +10 m.
    h.set(start + mins(10));
    let alice = TicketEvent::AgentReplied {
        agent: AgentId::new("alice"),
    };
    let t2 = h.record(&t, alice.clone());
    let fr = Sla::clock_of(&t2, Target::FirstResponse, 0);
    assert_eq!(fr.stopped_at, Some(start + mins(10)));
    assert_eq!(fr.breached_at, None);
    assert_eq!(t2.first_response_at, Some(start + mins(10)));

    // Customer reply at +20 m: cycle 1.
    h.set(start + mins(20));
    let t3 = h.record(&t, TicketEvent::CustomerReplied);
    let c1 = Sla::clock_of(&t3, Target::NextResponse, 1);
    assert_eq!(c1.started_at, start + mins(20));
    assert_eq!(c1.deadline, Some(start + mins(140)));
    assert_eq!(t3.next_check, Some(start + mins(140)));

    // Agent reply at +30 m: cycle 1 met.
    h.set(start + mins(30));
    let t4 = h.record(&t, alice.clone());
    let c1 = Sla::clock_of(&t4, Target::NextResponse, 1);
    assert_eq!(c1.stopped_at, Some(start + mins(30)));
    assert_eq!(c1.consumed, mins(10));
    assert_eq!(t4.next_check, None);

    // Customer reply at +40 m: cycle 2.
    h.set(start + mins(40));
    let t5 = h.record(&t, TicketEvent::CustomerReplied);
    let c2 = Sla::clock_of(&t5, Target::NextResponse, 2);
    assert_eq!(c2.started_at, start + mins(40));
    assert_eq!(c2.deadline, Some(start + mins(160)));

    // Another customer reply at +50 m, still unanswered: no restart, no cycle 3.
    h.set(start + mins(50));
    let t6 = h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(t6.last_customer_reply_at, Some(start + mins(50)));
    let c2 = Sla::clock_of(&t6, Target::NextResponse, 2);
    assert_eq!(c2.started_at, start + mins(40));
    assert_eq!(c2.deadline, Some(start + mins(160)));
    let cycles: Vec<(Target, u32)> = t6.sla.iter().map(|c| (c.target, c.cycle)).collect();
    assert_eq!(
        cycles,
        [
            (Target::FirstResponse, 0),
            (Target::NextResponse, 1),
            (Target::NextResponse, 2)
        ]
    );
    let started: Vec<(Target, u32, DateTime<Utc>)> = h
        .log(&t)
        .iter()
        .filter_map(|e| match &e.event {
            LogEvent::SlaStarted { target, cycle, .. } => Some((*target, *cycle, e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        started,
        [
            (Target::FirstResponse, 0, start),
            (Target::NextResponse, 1, start + mins(20)),
            (Target::NextResponse, 2, start + mins(40)),
        ]
    );
    // Cycle 2 breaches at its own deadline.
    let t7 = h.tick(&t);
    assert_eq!(h.now(), start + mins(160));
    assert_eq!(
        Sla::clock_of(&t7, Target::NextResponse, 2).breached_at,
        Some(start + mins(160))
    );
}

// --- 6. priority raised mid-ticket -----------------------------------------------------------

#[test]
fn a_host_override_to_critical_rebudgets_running_clocks_from_their_running_since() {
    let p = policy(&format!(
        "[sla]\ncalendar = \"support\"\n{NO_WARNINGS}\
         [[sla.targets]]\npriority = \"critical\"\nfirst_response = \"30m\"\nresolution = \"4h\"\n\
         [[sla.targets]]\npriority = \"high\"\nfirst_response = \"2h\"\nresolution = \"8h\"\n"
    ));
    let h = Sla::new(p, ny(2026, 11, 30, 9, 0), false);
    let t = h.create(Priority::High);
    assert_eq!(Sla::clock_of(&t, Target::Resolution, 0).rule, 1);

    h.set(ny(2026, 11, 30, 9, 30));
    h.record(
        &t,
        TicketEvent::AgentReplied {
            agent: AgentId::new("alice"),
        },
    );
    h.set(ny(2026, 11, 30, 10, 0));
    h.status(&t, Status::OnHold);
    h.set(ny(2026, 11, 30, 11, 0));
    let t1 = h.status(&t, Status::InProgress);
    let r = Sla::clock_of(&t1, Target::Resolution, 0);
    assert_eq!(r.consumed, hours(1));
    assert_eq!(r.running_since, Some(ny(2026, 11, 30, 11, 0)));
    // 7 h left: Monday 11–17 (6 h), Tuesday 09–10.
    assert_eq!(r.deadline, Some(ny(2026, 12, 1, 10, 0)));

    let at = ny(2026, 11, 30, 12, 0);
    h.set(at);
    let t2 = h.record(
        &t,
        TicketEvent::PriorityOverridden {
            priority: Priority::Critical,
            by: "host-user".into(),
            reason: "outage for a VIP".into(),
        },
    );
    assert_eq!(t2.priority, Priority::Critical);
    let r = Sla::clock_of(&t2, Target::Resolution, 0);
    let cal = h.engine.calendar("support").unwrap();
    let expected = cal
        .add(r.running_since.unwrap(), hours(4) - r.consumed)
        .unwrap();
    assert_eq!(expected, ny(2026, 11, 30, 14, 0));
    assert_eq!(r.deadline, Some(expected));
    assert_eq!(r.budget, Span::hours(4));
    assert_eq!(r.rule, 0);
    assert_eq!(r.priority, Priority::Critical);
    assert_eq!(r.consumed, hours(1), "used time is kept");
    // The met first response keeps its budget.
    let fr = Sla::clock_of(&t2, Target::FirstResponse, 0);
    assert_eq!(fr.budget, Span::hours(2));
    assert_eq!(fr.priority, Priority::High);

    assert_eq!(
        h.names_at(&t, at),
        ["priority_overridden", "sla_rebudgeted"]
    );
    let rebudgeted: Vec<LogEvent> = h
        .log(&t)
        .into_iter()
        .filter(|e| e.event.name() == "sla_rebudgeted")
        .map(|e| e.event)
        .collect();
    assert_eq!(
        rebudgeted,
        [LogEvent::SlaRebudgeted {
            target: Target::Resolution,
            cycle: 0,
            priority: Priority::Critical,
            budget: Span::hours(4),
            deadline: Some(expected),
        }]
    );
    assert_eq!(t2.next_check, Some(expected));
}

// --- 7. breach actions -------------------------------------------------------------------------

const BREACH_LADDER: &str = r#"
[[ladder]]
name = "breach"
on = "breach"
targets = ["first_response"]
actions = ["create_task", "alert_manager", "notify_customer", "move_to_tier2"]

[[ladder]]
name = "tier2-exhausted"
on = "tier_exhausted"
actions = ["alert_manager"]
"#;

fn first_response_policy(ladder: &str) -> Policy {
    policy(&format!(
        "[sla]\ncalendar = \"always\"\n{NO_WARNINGS}\
         [[sla.targets]]\npriority = \"critical\"\nfirst_response = \"30m\"\n\
         [[sla.targets]]\npriority = \"high\"\nfirst_response = \"1h\"\n{ladder}"
    ))
}

#[test]
fn a_breach_creates_a_task_alerts_the_manager_notifies_the_customer_and_moves_to_tier2() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(first_response_policy(BREACH_LADDER), start, true);
    let t = h.create(Priority::High);
    assert_eq!(t.assignee, Some(AgentId::new("alice")));
    let breach = start + hours(1);
    let t1 = h.tick(&t);
    assert_eq!(h.now(), breach);

    assert_eq!(
        h.names_at(&t, breach),
        [
            "sla_breached",
            "level_fired",
            "task_created",
            "effect_queued",
            "effect_queued",
            "assigned",
            "moved_to_tier"
        ]
    );
    assert_eq!(t1.assignee, Some(AgentId::new("tara")));
    assert_eq!(t1.team, Some(TeamId::new("team-b")));
    assert_eq!(t1.support_tier, SupportTier::Tier2);
    assert_eq!(t1.status, Status::InProgress);
    let moved = h
        .log(&t)
        .into_iter()
        .find(|e| e.event.name() == "moved_to_tier")
        .unwrap();
    assert_eq!(
        moved.event,
        LogEvent::MovedToTier {
            tier: SupportTier::Tier2,
            agent: Some(AgentId::new("tara"))
        }
    );

    let manager = key(&t, "manager/first_response.0/breach~0");
    let customer = key(&t, "customer/first_response.0/breach~0");
    assert_eq!(h.effect_keys(&t), [manager.clone(), customer.clone()]);
    let m = h.effect(&t, &manager);
    let m = notification(&m);
    assert_eq!(m.kind, NotificationKind::ManagerAlert);
    assert_eq!(&*m.to.name, "Mona", "the manager of the team that breached");
    let c = h.effect(&t, &customer);
    let c = notification(&c);
    assert_eq!(c.kind, NotificationKind::CustomerNotice);
    assert_eq!(c.to.email.as_deref(), Some("carla@example.invalid"));

    let tasks = block_on(h.engine.tasks(&tenant(), Some(t.id))).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(&*tasks[0].id, key(&t, "task/first_response.0/breach~0"));
    assert!(
        !h.log(&t).iter().any(|e| e.event.name() == "level_fired"
            && matches!(&e.event, LogEvent::LevelFired { level, .. } if &**level == "tier2-exhausted"))
    );
}

#[test]
fn without_a_tier2_agent_the_ticket_stays_and_tier_exhausted_alerts_the_manager_once() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(first_response_policy(BREACH_LADDER), start, false);
    let t = h.create(Priority::High);
    let breach = start + hours(1);
    let t1 = h.tick(&t);
    assert_eq!(t1.assignee, Some(AgentId::new("alice")));
    assert_eq!(t1.team, Some(TeamId::new("team-a")));
    assert_eq!(t1.support_tier, SupportTier::Tier1);
    assert_eq!(t1.route_retry_at, None);
    assert_eq!(t1.queue_reason, None);

    let fired: Vec<(String, escalation_core::ladder::Trigger)> = h
        .log(&t)
        .iter()
        .filter_map(|e| match &e.event {
            LogEvent::LevelFired { level, trigger, .. } => Some((level.to_string(), *trigger)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fired,
        [
            (
                "breach".to_owned(),
                escalation_core::ladder::Trigger::Breach
            ),
            (
                "tier2-exhausted".to_owned(),
                escalation_core::ladder::Trigger::TierExhausted
            )
        ]
    );
    let moved = h
        .log(&t)
        .into_iter()
        .find(|e| e.event.name() == "moved_to_tier")
        .unwrap();
    assert_eq!(
        moved.event,
        LogEvent::MovedToTier {
            tier: SupportTier::Tier2,
            agent: None
        }
    );
    let exhausted = key(&t, "manager/ticket/tier2-exhausted~0");
    assert_eq!(
        h.effect_keys(&t),
        [
            key(&t, "manager/first_response.0/breach~0"),
            key(&t, "customer/first_response.0/breach~0"),
            exhausted.clone()
        ]
    );
    let e = h.effect(&t, &exhausted);
    let n = notification(&e);
    assert_eq!(n.kind, NotificationKind::ManagerAlert);
    assert_eq!(&*n.to.name, "Mona");
    assert!(h.log(&t).iter().all(|e| e.at == breach || e.at == start));

    // Later events do not exhaust the tier again.
    h.set(breach + hours(2));
    h.record(&t, TicketEvent::CustomerReplied);
    h.sweep();
    assert_eq!(h.effects(&t).len(), 3);
    assert_eq!(h.count(&t, "level_fired"), 2);
}

// --- 8, 9, 10. pages ---------------------------------------------------------------------------

fn page_policy(repeat_every: &str, max_repeats: u32, ack_timeout: &str, extra: &str) -> Policy {
    first_response_policy(&format!(
        r#"
[[ladder]]
name = "page-critical"
on = "breach"
min_priority = "critical"
actions = ["page"]
page = {{ repeat_every = "{repeat_every}", max_repeats = {max_repeats}, ack_timeout = "{ack_timeout}" }}
{extra}"#
    ))
}

fn page_triggers(h: &Sla, t: &Ticket) -> Vec<(String, EffectState, DateTime<Utc>)> {
    h.effects(t)
        .into_iter()
        .filter(|e| matches!(e.kind, EffectKind::PageTrigger { .. }))
        .map(|e| (e.key.to_string(), e.state, e.created_at))
        .collect()
}

#[test]
fn a_critical_page_repeats_every_15_minutes_until_acknowledged_then_stops() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(page_policy("15m", 10, "2h", ""), start, false);
    let t = h.create(Priority::Critical);
    let breach = start + mins(30);
    let t1 = h.tick(&t);
    assert_eq!(h.now(), breach);
    let page = key(&t, "page/first_response.0/page-critical~0");
    assert_eq!(t1.pages.len(), 1);
    assert_eq!(&*t1.pages[0].key, page);
    assert_eq!(t1.pages[0].triggered_at, breach);
    assert_eq!(t1.next_check, Some(breach + mins(15)));
    block_on(h.engine.dispatch()).unwrap();

    let t2 = h.tick(&t);
    assert_eq!(h.now(), breach + mins(15));
    assert_eq!(t2.next_check, Some(breach + mins(30)));
    block_on(h.engine.dispatch()).unwrap();
    h.tick(&t);
    assert_eq!(h.now(), breach + mins(30));
    assert_eq!(
        page_triggers(&h, &t),
        [
            (format!("{page}/0"), EffectState::Delivered, breach),
            (
                format!("{page}/1"),
                EffectState::Delivered,
                breach + mins(15)
            ),
            (format!("{page}/2"), EffectState::Pending, breach + mins(30)),
        ]
    );
    let repeats: Vec<(u32, DateTime<Utc>)> = h
        .log(&t)
        .iter()
        .filter_map(|e| match &e.event {
            LogEvent::PageRepeated { repeat, .. } => Some((*repeat, e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(repeats, [(1, breach + mins(15)), (2, breach + mins(30))]);

    // Acknowledged five minutes later: the pending repeat is cancelled.
    let acked = breach + mins(35);
    h.set(acked);
    let t3 = block_on(h.engine.acknowledge(&t, &page, "oncall-olga")).unwrap();
    assert_eq!(
        t3.pages[0].acknowledged,
        Some((acked, Arc::from("oncall-olga")))
    );
    assert_eq!(t3.next_check, None);
    let cancelled = h.effect(&t, &format!("{page}/2"));
    assert_eq!(cancelled.state, EffectState::Cancelled);
    assert_eq!(cancelled.finished_at, Some(acked));
    assert_eq!(h.names_at(&t, acked), ["page_acknowledged"]);

    // Acknowledging again changes nothing; an unknown page is NotFound.
    block_on(h.engine.acknowledge(&t, &page, "oncall-olga")).unwrap();
    assert_eq!(h.count(&t, "page_acknowledged"), 1);
    let err = block_on(h.engine.acknowledge(&t, "no-such-page", "oncall-olga")).unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "page", .. }), "{err}");

    // No more repeats, ever; nothing more reaches the pager.
    for later in [mins(45), mins(60), hours(3), hours(24)] {
        h.set(breach + later);
        h.sweep();
        block_on(h.engine.dispatch()).unwrap();
    }
    assert_eq!(page_triggers(&h, &t).len(), 3);
    let calls = h.pager.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(matches!(&calls[0], PagerCall::Trigger(p) if *p.dedup_key == *page && p.repeat == 0));
    assert!(matches!(&calls[1], PagerCall::Trigger(p) if *p.dedup_key == *page && p.repeat == 1));

    // The acknowledged page is still open at the pager; resolving the ticket closes it.
    assert!(h.pager.is_open(&page));
    block_on(
        h.engine
            .resolve(&t, "Restarted the job", "configuration", "oncall-olga"),
    )
    .unwrap();
    assert_eq!(
        h.effect(&t, &format!("{page}/resolve")).kind.name(),
        "page_resolve"
    );
    block_on(h.engine.dispatch()).unwrap();
    assert_eq!(
        h.pager.calls().last(),
        Some(&PagerCall::Resolve(Arc::from(page.as_str())))
    );
    assert!(!h.pager.is_open(&page));
}

#[test]
fn max_repeats_is_honoured_and_an_unacknowledged_page_escalates_at_its_ack_timeout() {
    let start = utc("2026-11-30T15:00:00Z");
    let extra = r#"
[[ladder]]
name = "page-unacked"
on = "page_unacknowledged"
actions = ["alert_manager"]
"#;
    let h = Sla::new(page_policy("10m", 3, "45m", extra), start, false);
    let t = h.create(Priority::Critical);
    let breach = start + mins(30);
    h.tick(&t);
    assert_eq!(h.now(), breach);
    h.tick(&t);
    assert_eq!(h.now(), breach + mins(10));
    let t1 = h.tick(&t);
    assert_eq!(h.now(), breach + mins(20));
    assert_eq!(t1.pages[0].sent, 3);
    // No fourth page: the next thing due is the acknowledgement timeout.
    assert_eq!(t1.next_check, Some(breach + mins(45)));
    h.set(breach + mins(30));
    assert_eq!(h.sweep(), 0);

    let t2 = h.tick(&t);
    assert_eq!(h.now(), breach + mins(45));
    assert!(t2.pages[0].ack_timed_out);
    let page = key(&t, "page/first_response.0/page-critical~0");
    let alert = key(&t, "manager/first_response.0/page-unacked~0");
    assert_eq!(
        h.names_at(&t, breach + mins(45)),
        ["page_unacknowledged", "level_fired", "effect_queued"]
    );
    assert_eq!(
        h.effect_keys(&t),
        [
            format!("{page}/0"),
            format!("{page}/1"),
            format!("{page}/2"),
            alert.clone()
        ]
    );
    assert_eq!(
        notification(&h.effect(&t, &alert)).kind,
        NotificationKind::ManagerAlert
    );
    assert_eq!(t2.next_check, None);

    for later in [hours(1), hours(5), hours(48)] {
        h.set(breach + later);
        h.sweep();
    }
    h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(h.effects(&t).len(), 4);
    assert_eq!(h.count(&t, "page_unacknowledged"), 1);
    assert_eq!(h.count(&t, "page_repeated"), 2);
}

#[test]
fn resolving_cancels_pending_page_repeats_and_resolves_the_page_at_the_pager() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(page_policy("15m", 10, "2h", ""), start, false);
    let t = h.create(Priority::Critical);
    let breach = start + mins(30);
    h.tick(&t);
    block_on(h.engine.dispatch()).unwrap();
    h.tick(&t); // repeat 1, left pending
    let page = key(&t, "page/first_response.0/page-critical~0");
    assert!(h.pager.is_open(&page));

    // A root cause outside the taxonomy is refused, and changes nothing.
    let at = breach + mins(20);
    h.set(at);
    let before = h.ticket(&t);
    let err = block_on(
        h.engine
            .resolve(&t, "Fixed the invoice job", "gremlins", "lead-lee"),
    )
    .unwrap_err();
    assert_eq!(invalid_field(&err), Some("root_cause"), "{err}");
    assert!(err.to_string().contains("gremlins"), "{err}");
    assert_eq!(h.ticket(&t), before);

    let t1 = block_on(
        h.engine
            .resolve(&t, "Fixed the invoice job", "product_defect", "lead-lee"),
    )
    .unwrap();
    assert_eq!(t1.status, Status::Resolved);
    assert_eq!(t1.resolved_at, Some(at));
    let r = t1.resolution.as_ref().unwrap();
    assert_eq!(&*r.summary, "Fixed the invoice job");
    assert_eq!(r.root_cause.as_deref(), Some("product_defect"));
    assert_eq!(&*r.by, "lead-lee");
    assert_eq!(r.at, at);
    assert_eq!(t1.pages[0].resolved_at, Some(at));
    assert_eq!(t1.next_check, None);
    let resolved = h
        .log(&t)
        .into_iter()
        .find(|e| e.event.name() == "resolved")
        .unwrap();
    assert_eq!(resolved.at, at);
    assert_eq!(
        resolved.event,
        LogEvent::Resolved {
            summary: Arc::from("Fixed the invoice job"),
            root_cause: Some(Arc::from("product_defect")),
        }
    );

    let effects = h.effects(&t);
    let states: Vec<(String, &'static str, EffectState)> = effects
        .iter()
        .map(|e| (e.key.to_string(), e.kind.name(), e.state))
        .collect();
    assert_eq!(
        states,
        [
            (format!("{page}/0"), "page_trigger", EffectState::Delivered),
            (format!("{page}/1"), "page_trigger", EffectState::Cancelled),
            (
                format!("{page}/resolve"),
                "page_resolve",
                EffectState::Pending
            ),
        ]
    );

    let report = block_on(h.engine.dispatch()).unwrap();
    assert_eq!(report.delivered, 1);
    let calls = h.pager.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(matches!(&calls[0], PagerCall::Trigger(p) if p.repeat == 0));
    assert_eq!(calls[1], PagerCall::Resolve(Arc::from(page.as_str())));
    assert!(!h.pager.is_open(&page));

    // Nothing more once resolved.
    h.set(at + hours(4));
    assert_eq!(h.sweep(), 0);
    assert_eq!(block_on(h.engine.dispatch()).unwrap().claimed, 0);
    assert_eq!(h.pager.calls().len(), 2);
}

// --- 11. quiet hours -----------------------------------------------------------------------------

#[test]
fn quiet_hours_defer_a_saturday_customer_notice_to_monday_nine_but_never_a_page() {
    let p = policy(&format!(
        r#"
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "critical"
first_response = "30m"

[[ladder]]
name = "breach"
on = "breach"
actions = ["notify_customer", "page"]
page = {{ repeat_every = "15m", max_repeats = 1, ack_timeout = "72h" }}

[quiet_hours]
customer_notice = "support"
"#
    ));
    // Saturday 09:00 New York.
    let start = ny(2026, 12, 5, 9, 0);
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::Critical);
    let breach = start + mins(30);
    h.tick(&t);
    assert_eq!(h.now(), breach);
    let monday = ny(2026, 12, 7, 9, 0);
    assert_eq!(monday, utc("2026-12-07T14:00:00Z"));

    let notice = key(&t, "customer/first_response.0/breach~0");
    let page = key(&t, "page/first_response.0/breach~0");
    let n = h.effect(&t, &notice);
    assert_eq!(n.not_before, monday);
    assert_eq!(n.next_attempt_at, monday);
    let p0 = h.effect(&t, &format!("{page}/0"));
    assert_eq!(p0.not_before, breach, "pages are never deferred");

    let r = block_on(h.engine.dispatch()).unwrap();
    assert_eq!(r.delivered, 1);
    assert_eq!(h.pager.calls().len(), 1);
    assert!(h.notifier.delivered().is_empty());

    for before in [ny(2026, 12, 6, 12, 0), monday - TimeDelta::seconds(1)] {
        h.set(before);
        assert_eq!(block_on(h.engine.dispatch()).unwrap().delivered, 0);
        assert!(h.notifier.delivered().is_empty());
        assert_eq!(h.effect(&t, &notice).state, EffectState::Pending);
    }

    h.set(monday);
    assert_eq!(block_on(h.engine.dispatch()).unwrap().delivered, 1);
    let delivered = h.notifier.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(&*delivered[0].key, notice);
    assert_eq!(delivered[0].kind, NotificationKind::CustomerNotice);
    let e = h.effect(&t, &notice);
    assert_eq!(e.state, EffectState::Delivered);
    assert_eq!(e.finished_at, Some(monday));
}

// --- 12. intake outside business hours -----------------------------------------------------------

#[test]
fn a_ticket_created_on_saturday_night_counts_its_first_response_from_monday_nine() {
    let p = policy(
        r#"
[sla]
calendar = "support"
[sla.warnings]
percent = [75]
[[sla.targets]]
priority = "high"
first_response = "2h"
"#,
    );
    let created = ny(2026, 12, 5, 23, 0);
    assert_eq!(created, utc("2026-12-06T04:00:00Z"));
    let h = Sla::new(p, created, false);
    let t = h.create(Priority::High);
    let fr = Sla::clock_of(&t, Target::FirstResponse, 0);
    assert_eq!(fr.started_at, created);
    let cal = h.engine.calendar("support").unwrap();
    let monday = cal.next_open(created).unwrap();
    assert_eq!(monday, ny(2026, 12, 7, 9, 0));
    assert_eq!(fr.deadline, Some(ny(2026, 12, 7, 11, 0)));
    assert_eq!(fr.deadline, Some(utc("2026-12-07T16:00:00Z")));
    assert_eq!(fr.deadline, Some(monday + hours(2)));
    // The 75 % warning: 1 h 30 m into Monday.
    assert_eq!(t.next_check, Some(ny(2026, 12, 7, 10, 30)));
    h.set(ny(2026, 12, 7, 9, 0));
    assert_eq!(h.sweep(), 0, "nothing is due at the opening itself");
}

// --- 13. since_breach --------------------------------------------------------------------------

#[test]
fn since_breach_fires_exactly_two_hours_after_the_breach_raises_the_priority_one_step_once() {
    let p = policy(&format!(
        r#"
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "high"
resolution = "30m"
[[sla.targets]]
priority = "normal"
resolution = "1h"

[[ladder]]
name = "still-breached"
on = "since_breach"
targets = ["resolution"]
after = "2h"
actions = ["raise_priority"]
"#
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::Normal);
    let breach = start + hours(1);
    let t1 = h.tick(&t);
    assert_eq!(h.now(), breach);
    assert_eq!(
        Sla::clock_of(&t1, Target::Resolution, 0).breached_at,
        Some(breach)
    );
    assert_eq!(t1.next_check, Some(breach + hours(2)));

    h.set(breach + hours(2) - TimeDelta::seconds(1));
    assert_eq!(h.sweep(), 0);
    assert_eq!(h.ticket(&t).priority, Priority::Normal);

    let t2 = h.tick(&t);
    let at = breach + hours(2);
    assert_eq!(h.now(), at);
    assert_eq!(h.names_at(&t, at), ["level_fired", "priority_raised"]);
    assert_eq!(t2.priority, Priority::High, "one step, not to critical");
    let o = t2.priority_override.as_ref().unwrap();
    assert_eq!(&*o.by, "ladder:still-breached");
    assert_eq!(o.at, at);
    let raised = h
        .log(&t)
        .into_iter()
        .find(|e| e.event.name() == "priority_raised")
        .unwrap();
    assert_eq!(
        raised.event,
        LogEvent::PriorityRaised {
            from: Priority::Normal,
            to: Priority::High,
            level: Arc::from("still-breached"),
        }
    );
    assert_eq!(t2.next_check, None);

    for later in [hours(3), hours(10), hours(50)] {
        h.set(breach + later);
        h.sweep();
    }
    h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(h.count(&t, "priority_raised"), 1);
    assert_eq!(h.count(&t, "level_fired"), 1);
    assert_eq!(h.ticket(&t).priority, Priority::High);
}

#[test]
fn since_breach_does_not_fire_for_a_clock_that_was_met_late_and_stopped() {
    // First response breached at 16:00 and was met (late) at 16:30: the clock is stopped, so
    // nothing is "still breached" two hours later, whatever event makes the engine look.
    let p = policy(&format!(
        r#"
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "high"
first_response = "1h"
resolution = "24h"

[[ladder]]
name = "still-breached"
on = "since_breach"
targets = ["first_response"]
after = "2h"
actions = ["raise_priority"]
"#
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::High);
    h.tick(&t);
    assert_eq!(h.now(), start + hours(1));
    h.set(start + mins(90));
    let t1 = h.record(
        &t,
        TicketEvent::AgentReplied {
            agent: AgentId::new("alice"),
        },
    );
    let fr = Sla::clock_of(&t1, Target::FirstResponse, 0);
    assert_eq!(fr.stopped_at, Some(start + mins(90)));
    assert_eq!(fr.breached_at, Some(start + hours(1)));
    // Nothing is scheduled for the stopped clock...
    assert_eq!(t1.next_check, Some(start + hours(24)));
    // ...so an event three hours after the breach must not fire it either.
    h.set(start + hours(4));
    let t2 = h.record(&t, TicketEvent::CustomerReplied);
    assert_eq!(t2.priority, Priority::High);
    assert_eq!(h.count(&t, "level_fired"), 0);
    assert_eq!(h.count(&t, "priority_raised"), 0);
}

// --- 14. escalation tasks ------------------------------------------------------------------------

#[test]
fn escalation_tasks_are_listed_assigned_and_closed_and_created_once_per_breach() {
    let p = policy(&format!(
        r#"
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "high"
first_response = "1h"
resolution = "3h"

[[ladder]]
name = "breach"
on = "breach"
actions = ["create_task"]
"#
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::High);
    h.tick(&t);
    let first = key(&t, "task/first_response.0/breach~0");
    // Repeated looks at the ticket create nothing new.
    h.set(start + mins(70));
    assert_eq!(h.sweep(), 0);
    h.record(&t, TicketEvent::CustomerReplied);
    h.set(start + mins(80));
    h.record(&t, TicketEvent::CustomerReplied);
    let tasks = block_on(h.engine.tasks(&tenant(), Some(t.id))).unwrap();
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(&*task.id, first);
    assert_eq!(task.ticket, t.id);
    assert_eq!(&*task.level, "breach");
    assert_eq!(task.target, Some(Target::FirstResponse));
    assert_eq!(&*task.reason, "first_response breached");
    assert_eq!(task.created_at, start + hours(1));
    assert_eq!(task.status, TaskStatus::Open);
    assert_eq!(task.assignee, None);

    // The resolution breach is another task.
    h.tick(&t);
    assert_eq!(h.now(), start + hours(3));
    let second = key(&t, "task/resolution.0/breach~0");
    let ids: Vec<String> = block_on(h.engine.tasks(&tenant(), None))
        .unwrap()
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(ids, [first.clone(), second.clone()]);

    h.set(start + hours(4));
    let assigned = block_on(
        h.engine
            .assign_task(&tenant(), &first, Some(AgentId::new("alice"))),
    )
    .unwrap();
    assert_eq!(assigned.assignee, Some(AgentId::new("alice")));
    let closed = block_on(h.engine.close_task(&tenant(), &first)).unwrap();
    assert_eq!(closed.status, TaskStatus::Closed);
    assert_eq!(closed.closed_at, Some(start + hours(4)));
    h.set(start + hours(5));
    let again = block_on(h.engine.close_task(&tenant(), &first)).unwrap();
    assert_eq!(
        again.closed_at,
        Some(start + hours(4)),
        "closing twice keeps the first close"
    );

    let tasks = block_on(h.engine.tasks(&tenant(), Some(t.id))).unwrap();
    assert_eq!(tasks[0].status, TaskStatus::Closed);
    assert_eq!(tasks[0].assignee, Some(AgentId::new("alice")));
    assert_eq!(tasks[1].status, TaskStatus::Open);

    let err = block_on(h.engine.assign_task(&tenant(), "nope", None)).unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "task", .. }), "{err}");
    let other = TenantId::new("acme");
    assert!(block_on(h.engine.tasks(&other, None)).unwrap().is_empty());
    assert!(
        block_on(h.engine.close_task(&other, &first)).is_err(),
        "another tenant's task reads as not found"
    );
    assert!(
        block_on(h.engine.tasks(&tenant(), Some(TicketId(999))))
            .unwrap()
            .is_empty()
    );
}

// --- 15, 16. dispatch ------------------------------------------------------------------------------

const ALERT_LADDER: &str = r#"
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager", "notify_customer"]
"#;

#[test]
fn dispatch_delivers_each_effect_once_and_marks_it_delivered() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(first_response_policy(ALERT_LADDER), start, false);
    let t = h.create(Priority::High);
    h.tick(&t);
    let at = start + hours(1);
    let manager = key(&t, "manager/first_response.0/breach~0");
    let customer = key(&t, "customer/first_response.0/breach~0");
    assert!(
        h.effects(&t)
            .iter()
            .all(|e| e.state == EffectState::Pending)
    );

    let r = block_on(h.engine.dispatch()).unwrap();
    assert_eq!(
        (r.claimed, r.delivered, r.retried, r.dead_lettered),
        (2, 2, 0, 0)
    );
    for e in h.effects(&t) {
        assert_eq!(e.state, EffectState::Delivered, "{}", e.key);
        assert_eq!(e.attempts, 1);
        assert_eq!(e.finished_at, Some(at));
    }
    // Effects due at one instant go out in key order.
    let keys: Vec<String> = h
        .notifier
        .delivered()
        .iter()
        .map(|n| n.key.to_string())
        .collect();
    assert_eq!(keys, [customer.clone(), manager.clone()]);
    assert_eq!(h.notifier.calls(), 2);

    let r = block_on(h.engine.dispatch()).unwrap();
    assert_eq!(r, Default::default());
    h.set(at + hours(1));
    assert_eq!(block_on(h.engine.dispatch()).unwrap().claimed, 0);
    assert_eq!(h.notifier.calls(), 2);

    let delivered: Vec<LogEvent> = h
        .log(&t)
        .into_iter()
        .filter(|e| e.event.name() == "effect_delivered")
        .map(|e| e.event)
        .collect();
    assert_eq!(
        delivered,
        [
            LogEvent::EffectDelivered {
                key: Arc::from(customer.as_str()),
                attempts: 1
            },
            LogEvent::EffectDelivered {
                key: Arc::from(manager.as_str()),
                attempts: 1
            },
        ]
    );
}

fn failing(permanent: bool, max_attempts: u32) -> (Sla, Arc<FailingNotifier>, Ticket) {
    let notifier = Arc::new(FailingNotifier {
        permanent,
        calls: AtomicU32::new(0),
    });
    let mut p = first_response_policy(
        r#"
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager"]
"#,
    );
    p.dispatch.max_attempts = max_attempts;
    let h = Sla::with_notifier(
        p,
        utc("2026-11-30T15:00:00Z"),
        false,
        Some(notifier.clone()),
    );
    let t = h.create(Priority::High);
    h.tick(&t);
    (h, notifier, t)
}

#[test]
fn a_permanent_failure_dead_letters_at_the_first_attempt() {
    let (h, notifier, t) = failing(true, 8);
    let at = h.now();
    let k = key(&t, "manager/first_response.0/breach~0");
    let r = block_on(h.engine.dispatch()).unwrap();
    assert_eq!(
        (r.claimed, r.delivered, r.retried, r.dead_lettered),
        (1, 0, 0, 1)
    );
    let e = h.effect(&t, &k);
    assert_eq!(e.state, EffectState::DeadLettered);
    assert_eq!(e.attempts, 1);
    assert_eq!(e.finished_at, Some(at));
    assert!(
        e.last_error
            .as_deref()
            .unwrap()
            .contains("mailbox does not exist"),
        "{:?}",
        e.last_error
    );
    assert_eq!(h.names_at(&t, at).last(), Some(&"effect_dead_lettered"));
    assert!(matches!(
        &h.log(&t).last().unwrap().event,
        LogEvent::EffectDeadLettered { key, attempts: 1, .. } if **key == *k
    ));
    h.set(at + hours(2));
    assert_eq!(block_on(h.engine.dispatch()).unwrap().claimed, 0);
    assert_eq!(notifier.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_transient_failure_retries_with_jittered_backoff_then_dead_letters_after_max_attempts() {
    let (h, notifier, t) = failing(false, 3);
    let k = key(&t, "manager/first_response.0/breach~0");
    let first = h.now();
    let r = block_on(h.engine.dispatch()).unwrap();
    assert_eq!((r.delivered, r.retried, r.dead_lettered), (0, 1, 0));
    let e = h.effect(&t, &k);
    assert_eq!(e.state, EffectState::Pending);
    assert_eq!(e.attempts, 1);
    let wait = e.next_attempt_at - first;
    assert!(
        wait >= TimeDelta::seconds(24) && wait <= TimeDelta::seconds(36),
        "30 s ± 20 %, got {wait}"
    );
    assert!(e.last_error.as_deref().unwrap().contains("451"));
    assert!(matches!(
        &h.log(&t).last().unwrap().event,
        LogEvent::EffectRetrying { attempts: 1, retry_at, .. } if *retry_at == e.next_attempt_at
    ));

    // Not before its retry instant.
    h.set(e.next_attempt_at - TimeDelta::milliseconds(1));
    assert_eq!(block_on(h.engine.dispatch()).unwrap().claimed, 0);

    h.set(e.next_attempt_at);
    let second = h.now();
    assert_eq!(block_on(h.engine.dispatch()).unwrap().retried, 1);
    let e = h.effect(&t, &k);
    assert_eq!(e.attempts, 2);
    let wait = e.next_attempt_at - second;
    assert!(
        wait >= TimeDelta::seconds(48) && wait <= TimeDelta::seconds(72),
        "60 s ± 20 %, got {wait}"
    );

    h.set(e.next_attempt_at);
    let third = h.now();
    let r = block_on(h.engine.dispatch()).unwrap();
    assert_eq!((r.retried, r.dead_lettered), (0, 1));
    let e = h.effect(&t, &k);
    assert_eq!(e.state, EffectState::DeadLettered);
    assert_eq!(e.attempts, 3);
    assert_eq!(e.finished_at, Some(third));
    assert_eq!(notifier.calls.load(Ordering::SeqCst), 3);
    assert_eq!(h.count(&t, "effect_retrying"), 2);
    assert_eq!(h.count(&t, "effect_dead_lettered"), 1);
    h.set(third + hours(1));
    assert_eq!(block_on(h.engine.dispatch()).unwrap().claimed, 0);
}

// --- 17. templates ---------------------------------------------------------------------------------

#[test]
fn customer_text_is_escaped_in_bodies_and_kept_on_one_line_in_subjects() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(first_response_policy(ALERT_LADDER), start, false);
    let subject = "Refund <script>alert(1)</script>\r\nBcc: victim@example.com";
    let t = h.create_with(Priority::High, subject, false);
    h.tick(&t);
    let m = h.effect(&t, &key(&t, "manager/first_response.0/breach~0"));
    let m = notification(&m);
    assert_eq!(
        &*m.subject,
        format!(
            "[HIGH] Ticket #{} breached: Refund <script>alert(1)</script>  Bcc: victim@example.com",
            t.id
        )
    );
    assert!(!m.subject.contains(['\r', '\n']));
    assert!(m.body.contains("&lt;script&gt;alert(1)&lt;"), "{}", m.body);
    assert!(!m.body.contains("<script"), "{}", m.body);
    let c = h.effect(&t, &key(&t, "customer/first_response.0/breach~0"));
    let c = notification(&c);
    assert!(!c.subject.contains(['\r', '\n']));
    assert!(c.body.contains("&lt;script&gt;"), "{}", c.body);
    assert!(!c.body.contains("<script"), "{}", c.body);
    assert!(c.body.contains("Dear Carla"), "{}", c.body);
    // Delivered as queued.
    block_on(h.engine.dispatch()).unwrap();
    let sent = h.notifier.delivered();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent.iter().find(|n| n.key == m.key), Some(m));
    assert_eq!(sent.iter().find(|n| n.key == c.key), Some(c));
}

// --- 18. explain --------------------------------------------------------------------------------

#[test]
fn explain_lists_rule_calendar_holidays_pauses_and_segments_that_add_up_to_the_budget() {
    let (h, t) = holiday_scenario();
    h.set(ny(2026, 12, 28, 10, 0));
    let x = block_on(h.engine.explain(&t)).unwrap();
    assert_eq!(x.policy_version.as_deref(), Some("v1"));
    assert_eq!(x.targets.len(), 1);
    let r = &x.targets[0];
    assert_eq!(r.target, Target::Resolution);
    assert!(r.rule.starts_with("sla.targets[1]"), "{}", r.rule);
    assert!(r.rule.contains("high"), "{}", r.rule);
    assert_eq!(&*r.calendar, "support");
    assert_eq!(r.budget, Span::hours(8));
    assert_eq!(r.state, "running");
    assert_eq!(r.started_at, ny(2026, 12, 24, 15, 0));
    assert_eq!(r.deadline, Some(ny(2026, 12, 28, 16, 30)));
    assert_eq!(
        r.holidays_skipped,
        [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]
    );
    assert_eq!(
        r.pauses,
        [Pause {
            from: ny(2026, 12, 24, 16, 0),
            to: Some(ny(2026, 12, 28, 9, 30))
        }]
    );
    assert_eq!(
        r.segments,
        [
            (ny(2026, 12, 24, 15, 0), ny(2026, 12, 24, 16, 0)),
            (ny(2026, 12, 28, 9, 30), ny(2026, 12, 28, 16, 30)),
        ]
    );
    let total: TimeDelta = r.segments.iter().map(|(a, b)| *b - *a).sum();
    assert_eq!(total, r.budget.delta());
    assert_eq!(r.used_seconds, 90 * 60);
    assert_eq!(r.remaining_seconds, 8 * 3600 - 90 * 60);
    let text = x.to_string();
    assert!(text.contains("holiday skipped: 2026-12-25"), "{text}");
    assert!(text.contains("paused 2026-12-24T21:00:00Z"), "{text}");
}

// --- 19. policy versions ---------------------------------------------------------------------------

fn versioned(version: &str, resolution: &str) -> Policy {
    policy_v(
        version,
        &format!(
            "[sla]\ncalendar = \"always\"\n[sla.warnings]\npercent = [50]\n\
             [[sla.targets]]\npriority = \"high\"\nfirst_response = \"1h\"\nresolution = \"{resolution}\"\n"
        ),
    )
}

#[test]
fn a_ticket_keeps_its_pinned_budgets_under_an_edited_policy_until_recalculated() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(versioned("v1", "8h"), start, false);
    let t = h.create(Priority::High);
    assert_eq!(t.policy_version.as_deref(), Some("v1"));
    h.set(start + mins(10));
    h.record(
        &t,
        TicketEvent::AgentReplied {
            agent: AgentId::new("alice"),
        },
    );
    let v2 = h.engine_with("engine-v2", versioned("v2", "6h"));

    // The v2 engine sweeps the ticket at its 50 % warning: the v1 budget stands.
    let half = start + hours(4);
    h.set(half);
    assert_eq!(block_on(v2.sweep()).unwrap().claimed, 1);
    let t1 = h.ticket(&t);
    assert_eq!(h.names_at(&t, half), ["sla_warning"]);
    let r = Sla::clock_of(&t1, Target::Resolution, 0);
    assert_eq!(r.budget, Span::hours(8));
    assert_eq!(r.deadline, Some(start + hours(8)));
    assert_eq!(t1.policy_version.as_deref(), Some("v1"));
    h.set(half + mins(30));
    block_on(v2.record(&t, TicketEvent::CustomerReplied)).unwrap();
    let r = Sla::clock_of(&h.ticket(&t), Target::Resolution, 0).clone();
    assert_eq!(r.budget, Span::hours(8));

    // Recalculated: v2's budget, from the same start.
    let at = start + hours(5);
    h.set(at);
    let t2 = block_on(v2.recalculate(&t)).unwrap();
    assert_eq!(t2.policy_version.as_deref(), Some("v2"));
    let r = Sla::clock_of(&t2, Target::Resolution, 0);
    assert_eq!(r.budget, Span::hours(6));
    assert_eq!(r.deadline, Some(start + hours(6)));
    assert_eq!(r.priority, Priority::High);
    assert!(h.names_at(&t, at).contains(&"sla_rebudgeted"));
    assert_eq!(t2.next_check, Some(start + hours(6)));
    let x = block_on(v2.explain(&t)).unwrap();
    assert_eq!(x.policy_version.as_deref(), Some("v2"));
}

#[test]
fn recalculate_keeps_each_clock_priority_equal_to_the_ticket_priority() {
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(versioned("v1", "8h"), start, false);
    let t = h.create(Priority::High);
    // First response breaches at 16:00 (still open, not stopped).
    h.set(start + hours(1));
    assert_eq!(h.sweep(), 1);
    assert_eq!(
        Sla::clock_of(&h.ticket(&t), Target::FirstResponse, 0).breached_at,
        Some(start + hours(1))
    );
    let v2 = h.engine_with("engine-v2", versioned("v2", "6h"));
    h.set(start + hours(5));
    let t2 = block_on(v2.recalculate(&t)).unwrap();
    for c in &t2.sla {
        assert_eq!(
            c.priority,
            Priority::High,
            "the {} clock's budget is the High one",
            c.target
        );
    }
    assert_eq!(
        Sla::clock_of(&t2, Target::Resolution, 0).budget,
        Span::hours(6)
    );
}

// --- 20. drafts ---------------------------------------------------------------------------------

#[test]
fn a_draft_has_no_clocks_until_submitted_and_they_start_at_the_submission() {
    let p = policy(&format!(
        "[sla]\ncalendar = \"always\"\n{NO_WARNINGS}[[sla.targets]]\npriority = \"high\"\nfirst_response = \"1h\"\nresolution = \"8h\"\n"
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create_with(Priority::High, "Draft question", true);
    assert_eq!(t.status, Status::Draft);
    assert!(t.sla.is_empty());
    assert_eq!(t.policy_version, None);
    assert_eq!(t.next_check, None);
    h.set(start + hours(3));
    assert_eq!(h.sweep(), 0);
    assert!(h.ticket(&t).sla.is_empty());

    let submitted = start + hours(4);
    h.set(submitted);
    let t1 = h.status(&t, Status::New);
    assert_eq!(t1.status, Status::InProgress, "assigned on submission");
    assert_eq!(t1.policy_version.as_deref(), Some("v1"));
    let fr = Sla::clock_of(&t1, Target::FirstResponse, 0);
    assert_eq!(fr.started_at, submitted);
    assert_eq!(fr.deadline, Some(submitted + hours(1)));
    let res = Sla::clock_of(&t1, Target::Resolution, 0);
    assert_eq!(res.started_at, submitted);
    assert_eq!(res.deadline, Some(submitted + hours(8)));
    assert_eq!(t1.next_check, Some(submitted + hours(1)));
    let started: Vec<DateTime<Utc>> = h
        .log(&t)
        .iter()
        .filter(|e| e.event.name() == "sla_started")
        .map(|e| e.at)
        .collect();
    assert_eq!(started, [submitted, submitted]);
}

// --- 21. resolved, reopened, closed -----------------------------------------------------------------

#[test]
fn resolved_tickets_are_never_due_and_reopening_resumes_resolution_with_the_time_used() {
    let p = policy(&format!(
        "[sla]\ncalendar = \"always\"\n{NO_WARNINGS}[[sla.targets]]\npriority = \"high\"\nfirst_response = \"1h\"\nresolution = \"4h\"\n"
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::High);
    h.set(start + mins(10));
    h.record(
        &t,
        TicketEvent::AgentReplied {
            agent: AgentId::new("alice"),
        },
    );
    let resolved_at = start + hours(1);
    h.set(resolved_at);
    let t1 = block_on(
        h.engine
            .resolve(&t, "Explained the invoice", "other", "alice"),
    )
    .unwrap();
    assert_eq!(t1.next_check, None);
    let r = Sla::clock_of(&t1, Target::Resolution, 0);
    assert_eq!(r.stopped_at, Some(resolved_at));
    assert_eq!(r.consumed, hours(1));
    assert_eq!(r.deadline, None);
    let stopped: Vec<LogEvent> = h
        .log(&t)
        .into_iter()
        .filter(|e| e.at == resolved_at && e.event.name() == "sla_stopped")
        .map(|e| e.event)
        .collect();
    assert_eq!(
        stopped,
        [LogEvent::SlaStopped {
            target: Target::Resolution,
            cycle: 0,
            used_seconds: 3600,
            met: true
        }]
    );
    // Far past the old deadline, nothing is due and nothing breaches.
    h.set(start + hours(10));
    assert_eq!(h.sweep(), 0);
    assert_eq!(h.count(&t, "sla_breached"), 0);

    // Reopened at +10 h: 3 h left.
    let reopened = start + hours(10);
    let t2 = h.status(&t, Status::InProgress);
    assert_eq!(t2.resolution, None);
    assert_eq!(t2.resolved_at, None);
    let r = Sla::clock_of(&t2, Target::Resolution, 0);
    assert_eq!(r.stopped_at, None);
    assert_eq!(r.running_since, Some(reopened));
    assert_eq!(r.consumed, hours(1));
    assert_eq!(r.deadline, Some(reopened + hours(3)));
    assert!(
        Sla::clock_of(&t2, Target::FirstResponse, 0)
            .stopped_at
            .is_some(),
        "first response stays met"
    );
    assert_eq!(t2.next_check, Some(reopened + hours(3)));
    assert_eq!(h.names_at(&t, reopened), ["status_changed", "sla_resumed"]);

    // Closed: never due again, and events are refused.
    h.set(reopened + hours(1));
    let t3 = h.status(&t, Status::Closed);
    assert_eq!(t3.next_check, None);
    assert_eq!(Sla::clock_of(&t3, Target::Resolution, 0).consumed, hours(2));
    h.set(reopened + hours(10));
    assert_eq!(h.sweep(), 0);
    let err = block_on(h.engine.record(&t, TicketEvent::CustomerReplied)).unwrap_err();
    assert_eq!(invalid_field(&err), Some("event"), "{err}");
    assert_eq!(h.count(&t, "sla_breached"), 0);
}

// --- 22. the priority trigger ---------------------------------------------------------------------

#[test]
fn the_priority_trigger_pages_a_critical_ticket_at_intake_once() {
    let p = policy(&format!(
        r#"
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
resolution = "8h"

[[ladder]]
name = "page-on-critical"
on = "priority"
min_priority = "critical"
actions = ["page"]
page = {{ repeat_every = "15m", max_repeats = 1, ack_timeout = "8h" }}
"#
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let t = h.create(Priority::Critical);
    let page = key(&t, "page/ticket/page-on-critical~0");
    assert_eq!(t.pages.len(), 1);
    assert_eq!(&*t.pages[0].key, page);
    assert_eq!(t.pages[0].triggered_at, start);
    assert_eq!(h.effect_keys(&t), [format!("{page}/0")]);
    let e = h.effect(&t, &format!("{page}/0"));
    match &e.kind {
        EffectKind::PageTrigger { page: p } => {
            assert_eq!(p.severity, Priority::Critical);
            assert_eq!(p.repeat, 0);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.not_before, start);
    assert_eq!(block_on(h.engine.dispatch()).unwrap().delivered, 1);
    assert!(h.pager.is_open(&page));

    for m in [5, 20, 60] {
        h.set(start + mins(m));
        h.record(&t, TicketEvent::CustomerReplied);
        h.sweep();
    }
    assert_eq!(h.count(&t, "level_fired"), 1);
    assert_eq!(h.effects(&t).len(), 1);
    assert_eq!(h.ticket(&t).fired.len(), 1);

    // A High ticket is not paged, until the host raises it to Critical.
    let u = h.create(Priority::High);
    assert!(u.pages.is_empty());
    assert!(h.effects(&u).is_empty());
    let raised_at = start + mins(70);
    h.set(raised_at);
    let u1 = h.record(
        &u,
        TicketEvent::PriorityOverridden {
            priority: Priority::Critical,
            by: "host-user".into(),
            reason: "VIP".into(),
        },
    );
    assert_eq!(u1.pages.len(), 1);
    assert_eq!(u1.pages[0].triggered_at, raised_at);
    assert_eq!(
        h.effect_keys(&u),
        [key(&u, "page/ticket/page-on-critical~0/0")]
    );
}

// --- 23. log_range -----------------------------------------------------------------------------

#[test]
fn log_range_returns_one_tenants_entries_in_time_order_within_from_to() {
    let p = policy(&format!(
        "[sla]\ncalendar = \"always\"\n{NO_WARNINGS}[[sla.targets]]\npriority = \"high\"\nfirst_response = \"1h\"\n"
    ));
    let start = utc("2026-11-30T15:00:00Z");
    let h = Sla::new(p, start, false);
    let a = h.create(Priority::High);
    h.set(start + mins(5));
    h.record(&a, TicketEvent::CustomerReplied);
    h.set(start + mins(10));
    let acme = TenantId::new("acme");
    let other = block_on(h.engine.create_ticket(NewTicket {
        tenant: acme.clone(),
        priority_override: Some(Priority::High),
        ..NewTicket::new(
            "c-9",
            Channel::Chat,
            "billing",
            escalation_core::Impact::Bug,
            "Other tenant",
            h.now(),
        )
    }))
    .unwrap();
    h.set(start + mins(20));
    let b = h.create(Priority::High);
    h.set(start + mins(25));
    h.record(&a, TicketEvent::CustomerReplied);
    h.set(start + mins(30));
    h.record(&b, TicketEvent::CustomerReplied);

    let range = |from: DateTime<Utc>, to: DateTime<Utc>| {
        block_on(h.engine.log_range(&tenant(), from, to)).unwrap()
    };
    let count_a0 = h.log(&a).iter().filter(|e| e.at == start).count();
    let count_b0 = h
        .log(&b)
        .iter()
        .filter(|e| e.at == start + mins(20))
        .count();

    // [start, start + 20 m): ticket a only; b's intake at +20 m is excluded.
    let first = range(start, start + mins(20));
    assert_eq!(first.len(), count_a0 + 1);
    assert!(first.iter().all(|(id, _)| *id == a.id));
    assert_eq!(first.last().unwrap().1.at, start + mins(5));

    let all = range(start, start + mins(31));
    let seen: Vec<(TicketId, DateTime<Utc>)> = all.iter().map(|(id, e)| (*id, e.at)).collect();
    let mut expected = vec![(a.id, start); count_a0];
    expected.push((a.id, start + mins(5)));
    expected.extend(std::iter::repeat_n((b.id, start + mins(20)), count_b0));
    expected.push((a.id, start + mins(25)));
    expected.push((b.id, start + mins(30)));
    assert_eq!(seen, expected);
    assert!(all.iter().all(|(id, _)| *id != other.id));
    // Within one ticket and instant, the log's own order is kept.
    let a_log = h.log(&a);
    let a_in_range: Vec<&LogEntry> = all
        .iter()
        .filter(|(id, _)| *id == a.id)
        .map(|(_, e)| e)
        .collect();
    assert_eq!(a_in_range, a_log.iter().collect::<Vec<_>>());

    let acme_log = block_on(h.engine.log_range(&acme, start, start + hours(1))).unwrap();
    assert!(!acme_log.is_empty());
    assert!(acme_log.iter().all(|(id, _)| *id == other.id));
    assert!(range(start + mins(31), start + hours(1)).is_empty());
    assert!(range(start + mins(30), start + mins(30)).is_empty());
    // The other tenant's ticket does not exist in the default tenant.
    let err = block_on(h.engine.log(TicketRef::new(tenant(), other.id))).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}
