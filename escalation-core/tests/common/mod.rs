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

// --- SLA / escalation robustness helpers (used by exactly_once.rs and workflow_props.rs) ---

/// A policy whose budgets are short enough that many tickets breach within hours: a
/// Mon–Fri 09:00–17:00 New York `support` calendar for every priority but Critical, which
/// runs on `always`; warnings at 75 %, 90 % and 5 min before; customer notices wait for
/// support hours; pages repeat every 10 min (4 at most) and time out after 20 min; the
/// dispatcher retries up to 20 times so 30 % faults never dead-letter.
pub fn short_sla_policy() -> Policy {
    use escalation_core::ladder::{Action, PageSettings, Trigger};
    use escalation_core::sla::{TargetRule, WarningRules};
    use escalation_core::span::Span;
    use escalation_core::{CalendarSpec, Priority};

    let spec: CalendarSpec = serde_json::from_value(serde_json::json!({
        "timezone": "America/New_York",
        "hours": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]],
                  "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]],
                  "fri": [["09:00","17:00"]]},
        "holidays": []
    }))
    .unwrap();
    let rule =
        |p: Priority, first: i64, next: i64, resolution: i64, cal: Option<&str>| TargetRule {
            priority: Some(p),
            tier: None,
            first_response: Some(Span::minutes(first)),
            next_response: Some(Span::minutes(next)),
            resolution: Some(Span::minutes(resolution)),
            calendar: cal.map(str::to_owned),
        };
    let mut p = Policy {
        version: "sla-robustness".to_owned(),
        ..Policy::default()
    };
    p.calendars.insert("support".to_owned(), spec);
    p.sla.calendar = "support".to_owned();
    p.sla.targets = vec![
        rule(Priority::Critical, 10, 20, 60, Some("always")),
        rule(Priority::High, 30, 60, 240, None),
        rule(Priority::Normal, 60, 120, 480, None),
        rule(Priority::Low, 120, 240, 960, None),
    ];
    p.sla.warnings = WarningRules {
        percent: vec![75, 90],
        before: vec![Span::minutes(5)],
    };
    p.quiet_hours.customer_notice = Some("support".to_owned());
    for level in &mut p.ladder {
        if level.on == Trigger::SinceBreach {
            level.after = Some(Span::hours(2));
        }
        if level.actions.contains(&Action::Page) {
            level.page = PageSettings {
                repeat_every: Span::minutes(10),
                max_repeats: 4,
                ack_timeout: Span::minutes(20),
            };
        }
    }
    p.dispatch.max_attempts = 20;
    p.dispatch.backoff_base_seconds = 30;
    p.dispatch.backoff_max_seconds = 900;
    p.dispatch.batch = 64;
    p.validate().unwrap();
    p
}

/// Invariant checks over a ticket, its log, its effects and the fakes' journals. Each
/// returns the first violation it finds, as text naming the ticket and the key.
pub mod sla_checks {
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::hash::{Hash, Hasher};

    use escalation_core::effect::{Effect, EffectKind, EffectState};
    use escalation_core::ladder::Trigger;
    use escalation_core::sla::Target;
    use escalation_core::testkit::Journal;
    use escalation_core::{LogEntry, LogEvent, Policy, Status, Ticket};

    /// Each effect of the ticket has exactly one `effect_queued` entry with its key on the
    /// ticket's log, and each `effect_queued` entry names one of the ticket's effects.
    pub fn effects_logged(t: &Ticket, log: &[LogEntry], effects: &[Effect]) -> Result<(), String> {
        let mut queued: HashMap<&str, usize> = HashMap::new();
        for e in log {
            if let LogEvent::EffectQueued { key, .. } = &e.event {
                *queued.entry(&**key).or_default() += 1;
            }
        }
        for e in effects {
            if e.ticket != t.id {
                return Err(format!("effect {} listed under ticket {}", e.key, t.id));
            }
            let n = queued.get(&*e.key).copied().unwrap_or(0);
            if n != 1 {
                return Err(format!(
                    "ticket {}: effect {} has {n} effect_queued entries (want 1)",
                    t.id, e.key
                ));
            }
        }
        let keys: HashSet<&str> = effects.iter().map(|e| &*e.key).collect();
        match queued.keys().find(|k| !keys.contains(*k)) {
            Some(k) => Err(format!(
                "ticket {}: effect_queued entry {k} names no effect in the store",
                t.id
            )),
            None => Ok(()),
        }
    }

    /// Each clock has one `sla_breached` entry if it breached (at its breach instant), none
    /// otherwise, and no entry names a clock the ticket does not have.
    pub fn breaches_once(t: &Ticket, log: &[LogEntry]) -> Result<(), String> {
        let mut seen: HashMap<(Target, u32), Vec<chrono::DateTime<chrono::Utc>>> = HashMap::new();
        for e in log {
            if let LogEvent::SlaBreached {
                target,
                cycle,
                deadline,
            } = &e.event
            {
                seen.entry((*target, *cycle)).or_default().push(*deadline);
            }
        }
        for c in &t.sla {
            let got = seen.remove(&(c.target, c.cycle)).unwrap_or_default();
            let want: Vec<_> = c.breached_at.into_iter().collect();
            if got != want {
                return Err(format!(
                    "ticket {}: clock {}.{} breached at {:?} but the log has sla_breached {:?}",
                    t.id, c.target, c.cycle, c.breached_at, got
                ));
            }
        }
        match seen.keys().next() {
            Some((target, cycle)) => Err(format!(
                "ticket {}: sla_breached for {target}.{cycle}, a clock it does not have",
                t.id
            )),
            None => Ok(()),
        }
    }

    /// `ticket.fired` has no duplicate, and its steps match the `level_fired` entries of the
    /// log one to one (by level, target and cycle).
    pub fn fired_once(t: &Ticket, log: &[LogEntry]) -> Result<(), String> {
        let distinct: HashSet<_> = t.fired.iter().collect();
        if distinct.len() != t.fired.len() {
            return Err(format!(
                "ticket {}: a ladder step is recorded twice in {:?}",
                t.id, t.fired
            ));
        }
        let mut balance: BTreeMap<(String, Option<Target>, u32), i64> = BTreeMap::new();
        for f in &t.fired {
            *balance
                .entry((f.level.to_string(), f.target, f.cycle))
                .or_default() += 1;
        }
        for e in log {
            if let LogEvent::LevelFired {
                level,
                target,
                cycle,
                ..
            } = &e.event
            {
                *balance
                    .entry((level.to_string(), *target, *cycle))
                    .or_default() -= 1;
            }
        }
        match balance.iter().find(|(_, n)| **n != 0) {
            Some((k, n)) => Err(format!(
                "ticket {}: ladder step {k:?} is in ticket.fired {n:+} times more than in the log",
                t.id
            )),
            None => Ok(()),
        }
    }

    /// On an open ticket, every breached clock that still runs (or is paused) has fired
    /// each breach level that applies to it at the ticket's priority exactly once. (A
    /// stopped clock is done: it escalated with the priority it had while it ran.)
    pub fn breach_levels_fired(policy: &Policy, t: &Ticket) -> Result<(), String> {
        if !t.status.is_open() {
            return Ok(());
        }
        for c in t
            .sla
            .iter()
            .filter(|c| c.breached_at.is_some() && c.stopped_at.is_none())
        {
            for level in policy
                .ladder
                .iter()
                .filter(|l| l.on == Trigger::Breach && l.applies(Some(c.target), t.priority))
            {
                let n = t
                    .fired
                    .iter()
                    .filter(|f| {
                        *f.level == *level.name && f.target == Some(c.target) && f.cycle == c.cycle
                    })
                    .count();
                if n != 1 {
                    return Err(format!(
                        "ticket {} ({}, {}): breached clock {}.{} fired level {} {n} times (want 1)",
                        t.id, t.status, t.priority, c.target, c.cycle, level.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// No page trigger is created after its page was acknowledged or resolved, or while the
    /// ticket is resolved or closed; none stays pending or is delivered after that instant.
    pub fn no_page_after_stop(
        t: &Ticket,
        log: &[LogEntry],
        effects: &[Effect],
    ) -> Result<(), String> {
        let mut page_of: HashMap<&str, &str> = HashMap::new();
        for e in effects {
            if let EffectKind::PageTrigger { page } = &e.kind {
                page_of.insert(&e.key, &page.dedup_key);
            }
        }
        for page in &t.pages {
            let stop = [page.acknowledged.as_ref().map(|a| a.0), page.resolved_at]
                .into_iter()
                .flatten()
                .min();
            let Some(stop) = stop else { continue };
            for e in effects
                .iter()
                .filter(|e| page_of.get(&*e.key).is_some_and(|k| *k == &*page.key))
            {
                if e.created_at > stop {
                    return Err(format!(
                        "ticket {}: trigger {} created at {} after its page stopped at {stop}",
                        t.id, e.key, e.created_at
                    ));
                }
                if e.state == EffectState::Pending {
                    return Err(format!(
                        "ticket {}: trigger {} still pending after its page stopped at {stop}",
                        t.id, e.key
                    ));
                }
                if e.state == EffectState::Delivered && e.finished_at.is_some_and(|f| f > stop) {
                    return Err(format!(
                        "ticket {}: trigger {} delivered at {:?} after its page stopped at {stop}",
                        t.id, e.key, e.finished_at
                    ));
                }
            }
        }
        let mut closed = false;
        let mut acked: HashSet<&str> = HashSet::new();
        for entry in log {
            match &entry.event {
                LogEvent::StatusChanged {
                    to: Status::Resolved | Status::Closed,
                    ..
                } => closed = true,
                LogEvent::StatusChanged {
                    from: Status::Resolved,
                    ..
                } => closed = false,
                LogEvent::PageAcknowledged { page } => {
                    acked.insert(page);
                }
                LogEvent::EffectQueued { key, kind, .. } if &**kind == "page_trigger" => {
                    if closed {
                        return Err(format!(
                            "ticket {}: trigger {key} queued at {} while the ticket is resolved or closed",
                            t.id, entry.at
                        ));
                    }
                    if page_of.get(&**key).is_some_and(|p| acked.contains(p)) {
                        return Err(format!(
                            "ticket {}: trigger {key} queued at {} after its page was acknowledged",
                            t.id, entry.at
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The fault `testkit`'s FlakyNotifier/FlakyPager built with `rate` and `seed` injects on
    /// call number `attempt` (from 1) with `key`: `None` for a clean delivery, `Some(true)`
    /// for a delivery reported as an error, `Some(false)` for an error or a timeout.
    pub fn planned_fault(rate: f64, seed: u64, key: &str, attempt: u32) -> Option<bool> {
        let per_mille = (rate.clamp(0.0, 1.0) * 1000.0) as u64;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (seed, key, attempt).hash(&mut h);
        let roll = h.finish();
        if roll % 1000 >= per_mille {
            return None;
        }
        Some((roll / 1000) % 3 == 2)
    }

    /// The fakes' journals and the (rate, seed) each fake was built with.
    pub struct Fakes<'a> {
        pub notifier: &'a Journal,
        pub triggers: &'a Journal,
        pub resolves: &'a Journal,
        pub notifier_plan: (f64, u64),
        pub pager_plan: (f64, u64),
    }

    /// Reconciles the outbox with the fakes exactly. For each effect with `n` recorded
    /// attempts, the fake's plan must fail calls 1..n-1 and pass call n when it is
    /// Delivered (fail them all otherwise), and the receiver must hold as many deliveries of
    /// its key as the plan says reached it. The fakes saw no call the store did not record
    /// (raw calls and faults add up) and received no key that is not an effect's.
    pub fn deliveries_match(effects: &[Effect], fakes: &Fakes<'_>) -> Result<(), String> {
        // (raw calls, faults, keys with deliveries) per journal: notifier, triggers, resolves.
        let mut sums = [(0u64, 0u64, 0usize); 3];
        for e in effects {
            let (which, plan, jkey): (usize, (f64, u64), &str) = match &e.kind {
                EffectKind::Notify { .. } => (0, fakes.notifier_plan, &e.key),
                EffectKind::PageTrigger { .. } => (1, fakes.pager_plan, &e.key),
                EffectKind::PageResolve { page } => (2, fakes.pager_plan, &page.dedup_key),
            };
            let journal = [fakes.notifier, fakes.triggers, fakes.resolves][which];
            let faults: Vec<Option<bool>> = (1..=e.attempts)
                .map(|a| planned_fault(plan.0, plan.1, &e.key, a))
                .collect();
            let delivered = e.state == EffectState::Delivered;
            let consistent = if delivered {
                faults.last().is_some_and(Option::is_none)
                    && faults[..faults.len() - 1].iter().all(Option::is_some)
            } else {
                faults.iter().all(Option::is_some)
            };
            if !consistent {
                return Err(format!(
                    "effect {} ({:?}, {} attempts): the fake's calls {faults:?} do not match",
                    e.key, e.state, e.attempts
                ));
            }
            let want = faults.iter().filter(|f| **f == Some(true)).count() + usize::from(delivered);
            let got = journal.deliveries.get(jkey).copied().unwrap_or(0) as usize;
            if got != want {
                return Err(format!(
                    "effect {} ({:?}, {} attempts): the receiver got it {got} times, want {want}",
                    e.key, e.state, e.attempts
                ));
            }
            let s = &mut sums[which];
            s.0 += u64::from(e.attempts);
            s.1 += faults.iter().filter(|f| f.is_some()).count() as u64;
            s.2 += usize::from(want > 0);
        }
        for (name, journal, (raw, faults, keys)) in [
            ("notifier", fakes.notifier, sums[0]),
            ("pager triggers", fakes.triggers, sums[1]),
            ("pager resolves", fakes.resolves, sums[2]),
        ] {
            if journal.raw_calls != raw || journal.injected_faults != faults {
                return Err(format!(
                    "{name}: {} raw calls and {} faults, the store recorded {raw} attempts and {faults} planned faults",
                    journal.raw_calls, journal.injected_faults
                ));
            }
            if journal.deliveries.len() != keys || journal.order.len() != keys {
                return Err(format!(
                    "{name}: {} keys received, {keys} effects reached it",
                    journal.deliveries.len()
                ));
            }
        }
        Ok(())
    }
}
