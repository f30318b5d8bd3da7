//! The store conformance suite: the behaviour every [`TicketStore`] must have, written once
//! and run against every adapter. The in-memory store ([`crate::memory::MemoryStore`]) is
//! the reference; its behaviour is the contract.
//!
//! An adapter runs the whole suite from one test:
//!
//! ```
//! use std::sync::Arc;
//! use escalation_core::memory::MemoryStore;
//! use escalation_core::ports::TicketStore;
//! # futures::executor::block_on(async {
//! escalation_core::testkit::conformance::run_all(|| async {
//!     Arc::new(MemoryStore::new()) as Arc<dyn TicketStore>
//! })
//! .await;
//! # });
//! ```
//!
//! or one `#[tokio::test]` per case with [`crate::store_conformance!`].
//!
//! Every case gets a fresh, empty store, uses fixed instants (no real time passes; leases
//! expire because the *given* `now` moves), and panics (with `assert!`) on the first
//! violation. Leases are held while `now < until`: at `until` itself the lease has ended.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::effect::{Delivery, Effect, EffectKind, EffectState};
use crate::error::{ErrorKind, Result};
use crate::ladder::Trigger;
use crate::log::{Actor, LogEntry, LogEvent};
use crate::model::{
    AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Fired, Impact, PageState,
    Priority, PriorityOverride, ProfileState, Resolution, Status, SupportTier, TeamId, TenantId,
    Ticket, TicketId, TicketRef,
};
use crate::ports::{
    ClaimDue, Claimed, ClaimedEffect, Commit, EffectOutcome, EventKinds, Fence, Inserted,
    Notification, NotificationKind, Page, TicketStore,
};
use crate::routing::NoEligibleAgent;
use crate::scoring::{Breakdown, Contribution, Score};
use crate::sla::{Pause, SlaClock, Target};
use crate::span::Span;
use crate::symbol::Symbol;
use crate::task::{EscalationTask, TaskStatus};

/// One conformance case: a name and a test that runs against a fresh store.
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's name (a snake_case identifier, also the test name the macro generates).
    pub name: &'static str,
    /// Runs the case against a fresh, empty store; panics on a violation.
    pub run: fn(Arc<dyn TicketStore>) -> BoxFuture<'static, ()>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

/// Every case of the suite, in a fixed order.
pub fn cases() -> Vec<Case> {
    crate::__store_conformance!(cases)
}

/// Runs every case, each on a fresh store from `factory`, and panics at the end with the
/// name and message of every failed case (all of them, not just the first).
///
/// # Panics
/// When a case fails.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn TicketStore>>,
{
    let all = cases();
    let mut failures = Vec::new();
    for case in &all {
        let store = factory().await;
        if let Err(payload) = AssertUnwindSafe((case.run)(store)).catch_unwind().await {
            failures.push(format!("- {}: {}", case.name, panic_message(&*payload)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} store conformance cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// Runs the case named `name` on a fresh store from `factory` (what each test that
/// [`crate::store_conformance!`] generates calls).
///
/// # Panics
/// When the case fails, or no case has that name.
pub async fn run_case<F, Fut>(name: &str, factory: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn TicketStore>>,
{
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no store conformance case named {name:?}"));
    (case.run)(factory().await).await;
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(panic with a non-text payload)".to_owned()
    }
}

/// The case list, written once: it builds [`cases`] and the tests of
/// [`crate::store_conformance!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance {
    (@list [cases] $($name:ident),* $(,)?) => {
        ::std::vec![$(
            $crate::testkit::conformance::Case {
                name: ::std::stringify!($name),
                run: |store| ::std::boxed::Box::pin($name(store)),
            }
        ),*]
    };
    (@list [tests $factory:expr] $($name:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $name() {
                $crate::testkit::conformance::run_case(::std::stringify!($name), $factory).await;
            }
        )*
    };
    ($($mode:tt)*) => {
        $crate::__store_conformance! { @list [$($mode)*]
            next_id_is_unique_and_increasing,
            insert_then_get_round_trips_every_field,
            insert_with_existing_intake_key_returns_existing_and_writes_nothing,
            insert_with_taken_id_is_conflict_and_writes_nothing,
            commit_is_atomic_and_ordered,
            update_with_stale_version_is_conflict_and_writes_nothing,
            update_increments_and_returns_version,
            update_of_unknown_ticket_is_not_found,
            update_many_writes_each_and_isolates_conflicts,
            effect_keys_are_unique,
            claim_due_in_next_check_order_up_to_now_and_limit,
            next_due_is_earliest,
            claimed_ticket_hidden_until_lease_expires,
            fenced_update_with_lost_lease_is_conflict_and_writes_nothing,
            update_without_fence_after_claim_releases_lease,
            claim_effects_in_due_order_with_limit_and_lease,
            finish_effect_delivered,
            finish_effect_retry_then_dead_letter,
            finish_effect_with_lost_lease_is_conflict_and_writes_nothing,
            finish_effect_of_unknown_effect_is_not_found,
            cancelled_page_trigger_is_not_claimable,
            cancelling_claimed_page_holds_resolve_until_lease_ends,
            tenant_scoping,
            agent_loads_follow_writes,
            tasks_created_listed_and_replaced,
            log_range_is_half_open_and_time_ordered,
            report_queries_resolved_between_and_get_many,
            log_range_of_filters_by_event_kind,
            retention_cleanup,
        }
    };
}

/// Defines one `#[tokio::test]` per conformance case (named after the case), each running
/// it on a fresh store from `factory` (a `Fn() -> impl Future<Output = Arc<dyn TicketStore>>`
/// expression, evaluated once per test).
///
/// Use it inside a module of its own, in a crate that has `tokio` (features `macros` and
/// `rt`) among its dev-dependencies:
///
/// ```ignore
/// mod conformance {
///     use std::sync::Arc;
///     use escalation_core::{memory::MemoryStore, ports::TicketStore};
///     escalation_core::store_conformance!(|| async {
///         Arc::new(MemoryStore::new()) as Arc<dyn TicketStore>
///     });
/// }
/// ```
#[macro_export]
macro_rules! store_conformance {
    ($factory:expr $(,)?) => {
        $crate::__store_conformance!(tests $factory);
    };
}

// --- fixtures --------------------------------------------------------------------------------

/// The instant every case's clock reads as zero (2027-01-15T08:00:00Z), in whole seconds.
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_800_000_000)
}

/// `t0() + seconds`.
pub fn at(seconds: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(seconds)
}

/// A valid, fully populated open ticket (status New, unassigned, no intake key, not in the
/// due index, version 0) of `tenant` with id `id`, built directly, not through an engine.
pub fn sample_ticket(tenant: &TenantId, id: TicketId) -> Ticket {
    let part = |factor: f64, weight: f64, points: f64| Contribution {
        factor,
        weight,
        points,
    };
    Ticket {
        id,
        tenant: tenant.clone(),
        customer: CustomerId::new("cust-42"),
        channel: Channel::Email,
        category: Symbol::intern("billing"),
        impact: Impact::Degraded,
        subject: Arc::from("Invoice total is wrong"),
        body: Arc::from("Line 3 is counted twice.\n\"Quotes\", 'apostrophes' and ünïcødé ✓"),
        received_at: at(-600),
        created_at: at(-590),
        status: Status::New,
        priority: Priority::High,
        score: Score {
            value: 62.5,
            band: Priority::High,
            breakdown: Breakdown {
                tier: part(0.75, 3.0, 25.0),
                impact: part(0.5, 3.0, 18.75),
                age: part(0.25, 1.0, 3.125),
                lifetime_value: part(0.5, 2.0, 15.625),
            },
            tier: CustomerTier::Premium,
            tier_assumed: false,
            impact: Impact::Degraded,
            age_seconds: 600,
        },
        priority_override: Some(PriorityOverride {
            priority: Priority::High,
            by: Arc::from("lead-1"),
            reason: Arc::from("renewal week"),
            at: at(-500),
        }),
        profile: ProfileState::Known {
            profile: Arc::new(CustomerProfile {
                customer: CustomerId::new("cust-42"),
                tier: CustomerTier::Premium,
                lifetime_value: 50_000.5,
                customer_since: at(-86_400 * 400),
                prior_tickets: 7,
                prior_escalations: 1,
                contact: Contact {
                    name: Arc::from("Dana Customer"),
                    email: Some(Arc::from("dana@example.com")),
                    phone: Some(Arc::from("+1 555 0100")),
                },
            }),
        },
        assignee: None,
        team: None,
        support_tier: SupportTier::Tier2,
        first_response_at: Some(at(-400)),
        last_customer_reply_at: Some(at(-300)),
        resolved_at: None,
        resolution: None,
        policy_version: Some(Arc::from("policy-7")),
        sla: vec![
            SlaClock {
                target: Target::FirstResponse,
                cycle: 0,
                rule: 1,
                priority: Priority::High,
                calendar: Arc::from("business"),
                budget: Span::hours(4),
                started_at: at(-590),
                consumed: TimeDelta::seconds(190),
                running_since: None,
                deadline: None,
                pauses: vec![Pause {
                    from: at(-500),
                    to: Some(at(-450)),
                }],
                stopped_at: Some(at(-400)),
                breached_at: None,
                warned: 0b01,
            },
            SlaClock {
                target: Target::Resolution,
                cycle: 0,
                rule: 1,
                priority: Priority::High,
                calendar: Arc::from("24x7"),
                budget: Span::minutes(30),
                started_at: at(-590),
                consumed: TimeDelta::seconds(60),
                running_since: Some(at(-450)),
                deadline: Some(at(1_290)),
                pauses: vec![Pause {
                    from: at(-500),
                    to: Some(at(-450)),
                }],
                stopped_at: None,
                breached_at: None,
                warned: 0,
            },
            SlaClock {
                target: Target::NextResponse,
                cycle: 2,
                rule: 0,
                priority: Priority::Normal,
                calendar: Arc::from("business"),
                budget: Span::minutes(15),
                started_at: at(-300),
                consumed: TimeDelta::seconds(900),
                running_since: None,
                deadline: None,
                pauses: Vec::new(),
                stopped_at: Some(at(-100)),
                breached_at: Some(at(-120)),
                warned: 0b11,
            },
        ],
        fired: vec![
            Fired {
                level: Arc::from("warn-agent"),
                target: Some(Target::Resolution),
                cycle: 0,
                sub: 1,
            },
            Fired {
                level: Arc::from("unacknowledged"),
                target: None,
                cycle: 0,
                sub: 0,
            },
        ],
        pages: vec![PageState {
            key: Arc::from("page-1"),
            level: Arc::from("page-oncall"),
            target: Some(Target::NextResponse),
            summary: Arc::from("Next response breached"),
            triggered_at: at(-120),
            sent: 2,
            repeat_every: Span::minutes(10),
            max_repeats: 3,
            ack_deadline: at(480),
            ack_timed_out: false,
            acknowledged: Some((at(-60), Arc::from("oncall-1"))),
            resolved_at: None,
        }],
        intake_key: None,
        route_retry_at: None,
        queue_reason: None,
        next_check: None,
        archived_at: None,
        version: 0,
    }
}

fn acme() -> TenantId {
    TenantId::new("acme")
}

fn globex() -> TenantId {
    TenantId::new("globex")
}

/// A log entry at `at(seconds)` told apart from others by `label`.
fn entry(seconds: i64, label: &str) -> LogEntry {
    LogEntry {
        at: at(seconds),
        actor: Actor::Host(Arc::from(label)),
        event: LogEvent::StatusChanged {
            from: Status::New,
            to: Status::InProgress,
            reason: Some(Arc::from(label)),
        },
    }
}

/// A pending manager-alert notification of `t` with idempotency key `key`, due `due` seconds
/// after [`t0`].
pub fn notify(t: &Ticket, key: &str, due: i64) -> Effect {
    effect(
        t,
        key,
        due,
        EffectKind::Notify {
            notification: Notification {
                key: Arc::from(key),
                tenant: t.tenant.clone(),
                ticket: t.id,
                kind: NotificationKind::ManagerAlert,
                to: Contact::email("Mona Manager", "mona@example.com"),
                subject: Arc::from(format!("Escalated: {key}")),
                body: Arc::from("Ticket breached its SLA."),
            },
        },
    )
}

fn page(t: &Ticket, dedup_key: &str, repeat: u32) -> Page {
    Page {
        dedup_key: Arc::from(dedup_key),
        tenant: t.tenant.clone(),
        ticket: t.id,
        summary: Arc::from("Resolution breached"),
        severity: Priority::Critical,
        repeat,
    }
}

fn page_trigger(t: &Ticket, key: &str, dedup_key: &str, repeat: u32, due: i64) -> Effect {
    effect(
        t,
        key,
        due,
        EffectKind::PageTrigger {
            page: page(t, dedup_key, repeat),
        },
    )
}

fn page_resolve(t: &Ticket, key: &str, dedup_key: &str, due: i64) -> Effect {
    effect(
        t,
        key,
        due,
        EffectKind::PageResolve {
            page: page(t, dedup_key, 1),
        },
    )
}

fn effect(t: &Ticket, key: &str, due: i64, kind: EffectKind) -> Effect {
    Effect {
        key: Arc::from(key),
        tenant: t.tenant.clone(),
        ticket: t.id,
        kind,
        created_at: at(due),
        not_before: at(due),
        state: EffectState::Pending,
        attempts: 0,
        next_attempt_at: at(due),
        last_error: None,
        finished_at: None,
    }
}

/// An open escalation task `id` of `t`, created `created` seconds after [`t0`].
pub fn task(t: &Ticket, id: &str, created: i64) -> EscalationTask {
    EscalationTask {
        id: Arc::from(id),
        tenant: t.tenant.clone(),
        ticket: t.id,
        level: Arc::from("manager"),
        target: Some(Target::Resolution),
        reason: Arc::from(format!("task {id}")),
        created_at: at(created),
        status: TaskStatus::Open,
        assignee: None,
        closed_at: None,
    }
}

fn claim(now: i64, limit: usize, lease_seconds: i64) -> ClaimDue {
    ClaimDue {
        now: at(now),
        limit,
        lease_for: TimeDelta::seconds(lease_seconds),
        holder: Arc::from("conformance"),
    }
}

fn fence(token: u64, now: i64) -> Fence {
    Fence {
        token,
        now: at(now),
    }
}

fn outcome(e: &Effect, token: u64, now: i64, delivery: Delivery, label: &str) -> EffectOutcome {
    EffectOutcome {
        tenant: e.tenant.clone(),
        key: e.key.clone(),
        fence: fence(token, now),
        delivery,
        log: entry(now, label),
    }
}

fn assert_kind<T: std::fmt::Debug>(r: Result<T>, kind: ErrorKind, what: &str) {
    match r {
        Err(e) => assert_eq!(e.kind(), kind, "{what}: expected {kind:?}, got error {e}"),
        Ok(v) => panic!("{what}: expected {kind:?}, got Ok({v:?})"),
    }
}

fn ids(claimed: &[Claimed]) -> Vec<TicketId> {
    claimed.iter().map(|c| c.ticket.id).collect()
}

fn keys(claimed: &[ClaimedEffect]) -> Vec<&str> {
    claimed.iter().map(|c| &*c.effect.key).collect()
}

/// A fresh ticket of `tenant` from the store's id sequence, with the other fields from
/// [`sample_ticket`].
async fn fresh(store: &Arc<dyn TicketStore>, tenant: &TenantId) -> Ticket {
    let id = store.next_id().await.expect("next_id");
    sample_ticket(tenant, id)
}

/// Inserts `commit`, expects a creation and returns the stored ticket (version 1).
async fn create(store: &Arc<dyn TicketStore>, commit: Commit) -> Ticket {
    match store.insert(commit).await.expect("insert") {
        Inserted::Created(t) => {
            assert_eq!(t.version, 1, "a created ticket is at version 1");
            t
        }
        Inserted::Existing(t) => panic!("insert: expected Created, got Existing({})", t.key()),
    }
}

/// Inserts a plain ticket of `tenant` due at `next_check` and returns it as stored.
async fn create_due(
    store: &Arc<dyn TicketStore>,
    tenant: &TenantId,
    next_check: Option<i64>,
) -> Ticket {
    let mut t = fresh(store, tenant).await;
    t.next_check = next_check.map(at);
    create(store, Commit::new(t, vec![entry(0, "created")], at(0))).await
}

/// Everything the store holds about one ticket, to show that a failed write wrote nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    ticket: Ticket,
    log: Vec<LogEntry>,
    effects: Vec<Effect>,
    tasks: Vec<EscalationTask>,
    tenant_tasks: Vec<EscalationTask>,
    next_due: Option<DateTime<Utc>>,
    next_effect_due: Option<DateTime<Utc>>,
}

async fn snapshot(store: &Arc<dyn TicketStore>, key: &TicketRef) -> Snapshot {
    Snapshot {
        ticket: store.get(key).await.expect("get"),
        log: store.log(key).await.expect("log"),
        effects: store.effects(key).await.expect("effects"),
        tasks: store.tasks(&key.tenant, Some(key.id)).await.expect("tasks"),
        tenant_tasks: store.tasks(&key.tenant, None).await.expect("tasks"),
        next_due: store.next_due().await.expect("next_due"),
        next_effect_due: store.next_effect_due().await.expect("next_effect_due"),
    }
}

/// A commit that would change everything about `t` (subject, next check, log, effects,
/// tasks), read at version `version`.
fn full_commit(t: &Ticket, version: u64, tag: &str) -> Commit {
    let mut changed = t.clone();
    changed.version = version;
    changed.subject = Arc::from(format!("changed by {tag}"));
    changed.next_check = Some(at(-1_000));
    changed.assignee = Some(AgentId::new(format!("agent-{tag}")));
    Commit {
        log: vec![entry(50, tag)],
        effects: vec![notify(t, &format!("{tag}-effect"), 0)],
        tasks: vec![task(t, &format!("{tag}-task"), 50)],
        cancel_pages: Vec::new(),
        ..Commit::new(changed, Vec::new(), at(50))
    }
}

// --- cases -----------------------------------------------------------------------------------

async fn next_id_is_unique_and_increasing(store: Arc<dyn TicketStore>) {
    let mut last = store.next_id().await.expect("next_id");
    for _ in 0..50 {
        let id = store.next_id().await.expect("next_id");
        assert!(id > last, "next_id went from {last} to {id}");
        last = id;
    }
    let t = sample_ticket(&acme(), last);
    create(&store, Commit::new(t, Vec::new(), at(0))).await;
    let after = store.next_id().await.expect("next_id");
    assert!(
        after > last,
        "next_id after an insert of {last} gave {after}"
    );
}

async fn insert_then_get_round_trips_every_field(store: Arc<dyn TicketStore>) {
    let mut t = fresh(&store, &acme()).await;
    t.status = Status::InProgress;
    t.assignee = Some(AgentId::new("agent-7"));
    t.team = Some(TeamId::new("team-billing"));
    t.resolved_at = Some(at(-200));
    t.resolution = Some(Resolution {
        summary: Arc::from("Credited the difference"),
        root_cause: Some(Arc::from("billing.double_count")),
        by: Arc::from("agent-7"),
        at: at(-200),
    });
    t.intake_key = Some(Arc::from("mail-0001"));
    t.route_retry_at = Some(at(900));
    t.queue_reason = Some(NoEligibleAgent {
        considered: 5,
        other_tier: 1,
        unavailable: 2,
        lacking_skill: 1,
        at_capacity: 1,
    });
    t.next_check = Some(at(300));
    t.version = 0;
    let log = vec![
        entry(-590, "first"),
        LogEntry::engine(
            at(-580),
            LogEvent::LevelFired {
                level: Arc::from("page-oncall"),
                trigger: Trigger::Breach,
                target: Some(Target::NextResponse),
                cycle: 2,
                category: Some(Symbol::intern("billing")),
                customer_tier: None,
            },
        ),
        LogEntry {
            at: at(-570),
            actor: Actor::Customer(CustomerId::new("cust-42")),
            event: LogEvent::CustomerReplied,
        },
    ];
    let stored = create(&store, Commit::new(t.clone(), log.clone(), at(0))).await;
    let mut expected = t.clone();
    expected.version = 1;
    assert_eq!(
        stored, expected,
        "insert returns the ticket as given, at version 1"
    );
    let read = store.get(&t.key()).await.expect("get");
    assert_eq!(read, expected, "get returns every field as inserted");
    let by_key = store
        .find_by_intake_key(&acme(), "mail-0001")
        .await
        .expect("find_by_intake_key");
    assert_eq!(by_key, Some(expected), "find_by_intake_key finds it");
    assert_eq!(
        store
            .find_by_intake_key(&acme(), "mail-0002")
            .await
            .expect("find_by_intake_key"),
        None,
        "an unknown intake key finds nothing"
    );
    assert_eq!(
        store.log(&t.key()).await.expect("log"),
        log,
        "the log round-trips"
    );
}

async fn insert_with_existing_intake_key_returns_existing_and_writes_nothing(
    store: Arc<dyn TicketStore>,
) {
    let mut a = fresh(&store, &acme()).await;
    a.intake_key = Some(Arc::from("form-17"));
    a.next_check = Some(at(100));
    let a = create(
        &store,
        Commit {
            effects: vec![notify(&a, "a-effect", 100)],
            tasks: vec![task(&a, "a-task", 0)],
            ..Commit::new(a.clone(), vec![entry(0, "a")], at(0))
        },
    )
    .await;
    let before = snapshot(&store, &a.key()).await;

    let mut b = fresh(&store, &acme()).await;
    b.intake_key = Some(Arc::from("form-17"));
    b.subject = Arc::from("the same form, submitted twice");
    b.next_check = Some(at(10));
    let got = store
        .insert(Commit {
            effects: vec![notify(&b, "b-effect", 10)],
            tasks: vec![task(&b, "b-task", 0)],
            ..Commit::new(b.clone(), vec![entry(0, "b")], at(0))
        })
        .await
        .expect("insert with an existing intake key");
    assert_eq!(
        got,
        Inserted::Existing(a.clone()),
        "a second insert with the same intake key returns the first ticket"
    );
    assert_kind(
        store.get(&b.key()).await,
        ErrorKind::NotFound,
        "get of the duplicate's id",
    );
    assert_eq!(
        snapshot(&store, &a.key()).await,
        before,
        "the duplicate insert wrote nothing (log, effects, tasks, due index)"
    );
    let claimed = store
        .claim_due(&claim(1_000, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&claimed), vec![a.id], "only the first ticket is due");
    let effects = store
        .claim_effects(&claim(1_000, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(
        keys(&effects),
        vec!["a-effect"],
        "the duplicate's effect was not written"
    );
}

async fn insert_with_taken_id_is_conflict_and_writes_nothing(store: Arc<dyn TicketStore>) {
    let a = fresh(&store, &acme()).await;
    let a = create(
        &store,
        Commit {
            effects: vec![notify(&a, "a-effect", 100)],
            tasks: vec![task(&a, "a-task", 0)],
            ..Commit::new(a.clone(), vec![entry(0, "a")], at(0))
        },
    )
    .await;
    let before = snapshot(&store, &a.key()).await;
    let mut b = sample_ticket(&acme(), a.id);
    b.subject = Arc::from("another ticket with the same id");
    b.intake_key = Some(Arc::from("other-key"));
    b.next_check = Some(at(5));
    let r = store
        .insert(Commit {
            effects: vec![notify(&b, "b-effect", 5)],
            tasks: vec![task(&b, "b-task", 0)],
            ..Commit::new(b, vec![entry(0, "b")], at(0))
        })
        .await;
    assert_kind(r, ErrorKind::Conflict, "insert with a taken id");
    assert_eq!(
        snapshot(&store, &a.key()).await,
        before,
        "the conflicting insert wrote nothing"
    );
    assert_eq!(
        store
            .find_by_intake_key(&acme(), "other-key")
            .await
            .expect("find_by_intake_key"),
        None,
        "the conflicting insert's intake key was not recorded"
    );
}

async fn commit_is_atomic_and_ordered(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let (e1, e2, e3) = (
        notify(&t, "e1", 30),
        page_trigger(&t, "e2", "pg", 0, 10),
        notify(&t, "e3", 20),
    );
    let (k1, k2, k3) = (task(&t, "k1", 5), task(&t, "k2", 5), task(&t, "k3", 40));
    let (l1, l2, l3, l4) = (
        entry(5, "l1"),
        entry(5, "l2"),
        entry(40, "l3"),
        entry(40, "l4"),
    );
    let stored = create(
        &store,
        Commit {
            effects: vec![e1.clone(), e2.clone()],
            tasks: vec![k1.clone(), k2.clone()],
            ..Commit::new(t.clone(), vec![l1.clone(), l2.clone()], at(5))
        },
    )
    .await;
    let key = t.key();
    assert_eq!(
        store.log(&key).await.expect("log"),
        vec![l1.clone(), l2.clone()]
    );
    assert_eq!(
        store.effects(&key).await.expect("effects"),
        vec![e1.clone(), e2.clone()],
        "the insert's effects, in commit order"
    );
    assert_eq!(
        store.tasks(&acme(), Some(t.id)).await.expect("tasks"),
        vec![k1.clone(), k2.clone()],
        "the insert's tasks, in commit order"
    );
    let v = store
        .update(
            Commit {
                effects: vec![e3.clone()],
                tasks: vec![k3.clone()],
                ..Commit::new(stored, vec![l3.clone(), l4.clone()], at(40))
            },
            None,
        )
        .await
        .expect("update");
    assert_eq!(v, 2);
    assert_eq!(
        store.log(&key).await.expect("log"),
        vec![l1, l2, l3, l4],
        "the log, oldest first"
    );
    assert_eq!(
        store.effects(&key).await.expect("effects"),
        vec![e1, e2, e3],
        "the effects, oldest first"
    );
    assert_eq!(
        store.tasks(&acme(), Some(t.id)).await.expect("tasks"),
        vec![k1, k2, k3],
        "the tasks, oldest first"
    );
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        Some(at(10))
    );
}

async fn update_with_stale_version_is_conflict_and_writes_nothing(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let t = create(
        &store,
        Commit {
            effects: vec![notify(&t, "first-effect", 100)],
            tasks: vec![task(&t, "first-task", 0)],
            ..Commit::new(t.clone(), vec![entry(0, "created")], at(0))
        },
    )
    .await;
    let mut next = t.clone();
    next.subject = Arc::from("second state");
    let v = store
        .update(Commit::new(next, vec![entry(10, "second")], at(10)), None)
        .await
        .expect("update at the current version");
    assert_eq!(v, 2);
    let before = snapshot(&store, &t.key()).await;
    for stale in [1, 3, 0] {
        let r = store
            .update(full_commit(&t, stale, &format!("stale{stale}")), None)
            .await;
        assert_kind(
            r,
            ErrorKind::Conflict,
            &format!("update read at version {stale}"),
        );
        assert_eq!(
            snapshot(&store, &t.key()).await,
            before,
            "an update read at version {stale} wrote nothing"
        );
    }
    assert_eq!(
        store
            .agent_loads(&acme(), &[&AgentId::new("agent-stale1")])
            .await
            .expect("agent_loads"),
        vec![0],
        "a failed update does not count toward loads"
    );
}

async fn update_increments_and_returns_version(store: Arc<dyn TicketStore>) {
    let t = create_due(&store, &acme(), None).await;
    let mut cur = t.clone();
    for expected in 2..=5u64 {
        cur.subject = Arc::from(format!("state {expected}"));
        let v = store
            .update(Commit::new(cur.clone(), Vec::new(), at(10)), None)
            .await
            .expect("update");
        assert_eq!(v, expected, "update returns the new version");
        let read = store.get(&t.key()).await.expect("get");
        assert_eq!(
            read.version, expected,
            "the stored ticket carries the new version"
        );
        let mut want = cur.clone();
        want.version = expected;
        assert_eq!(read, want, "the stored ticket is the committed state");
        cur = read;
    }
}

async fn update_many_writes_each_and_isolates_conflicts(store: Arc<dyn TicketStore>) {
    let a = create_due(&store, &acme(), None).await;
    let b = create_due(&store, &acme(), None).await;
    let c = create_due(&store, &acme(), None).await;
    let mut a2 = a.clone();
    a2.subject = Arc::from("a, second state");
    let mut stale_b = b.clone();
    stale_b.version += 7;
    stale_b.subject = Arc::from("never written");
    let mut c2 = c.clone();
    c2.subject = Arc::from("c, second state");
    let outcomes = store
        .update_many(vec![
            (Commit::new(a2.clone(), Vec::new(), at(10)), None),
            (Commit::new(stale_b, Vec::new(), at(10)), None),
            (Commit::new(c2.clone(), Vec::new(), at(10)), None),
        ])
        .await
        .expect("update_many");
    assert_eq!(outcomes.len(), 3, "one outcome per write");
    assert_eq!(
        outcomes[0].as_ref().ok(),
        Some(&2),
        "the first write commits"
    );
    assert!(
        matches!(&outcomes[1], Err(e) if e.kind() == ErrorKind::Conflict),
        "the stale write conflicts: {:?}",
        outcomes[1]
    );
    assert_eq!(
        outcomes[2].as_ref().ok(),
        Some(&2),
        "a conflict does not stop the rest"
    );
    assert_eq!(
        &*store.get(&a.key()).await.expect("get a").subject,
        "a, second state"
    );
    assert_eq!(
        store.get(&b.key()).await.expect("get b"),
        b,
        "the conflict wrote nothing"
    );
    assert_eq!(
        &*store.get(&c.key()).await.expect("get c").subject,
        "c, second state"
    );
    let empty = store.update_many(Vec::new()).await.expect("empty");
    assert!(empty.is_empty());
}

async fn update_of_unknown_ticket_is_not_found(store: Arc<dyn TicketStore>) {
    let known = create_due(&store, &acme(), None).await;
    let id = store.next_id().await.expect("next_id");
    let mut t = sample_ticket(&acme(), id);
    t.version = 1;
    let key = t.key();
    assert_kind(
        store.get(&key).await,
        ErrorKind::NotFound,
        "get of an unknown id",
    );
    assert_kind(
        store.log(&key).await,
        ErrorKind::NotFound,
        "log of an unknown id",
    );
    assert_kind(
        store.effects(&key).await,
        ErrorKind::NotFound,
        "effects of an unknown id",
    );
    assert_kind(
        store.update(Commit::new(t, Vec::new(), at(0)), None).await,
        ErrorKind::NotFound,
        "update of an unknown id",
    );
    assert_kind(
        store.get(&key).await,
        ErrorKind::NotFound,
        "the failed update created nothing",
    );
    assert_eq!(store.get(&known.key()).await.expect("get"), known);
}

async fn effect_keys_are_unique(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let first = notify(&t, "dup", 10);
    let t = create(
        &store,
        Commit {
            effects: vec![first.clone()],
            ..Commit::new(t.clone(), Vec::new(), at(0))
        },
    )
    .await;
    let mut second = notify(&t, "dup", 20);
    second.kind = EffectKind::PageTrigger {
        page: page(&t, "other", 0),
    };
    second.attempts = 3;
    let v = store
        .update(
            Commit {
                effects: vec![second.clone(), notify(&t, "fresh", 30)],
                ..Commit::new(t.clone(), Vec::new(), at(5))
            },
            None,
        )
        .await
        .expect("an update with a present effect key succeeds");
    assert_eq!(v, 2);
    let effects = store.effects(&t.key()).await.expect("effects");
    assert_eq!(
        effects,
        vec![first.clone(), notify(&t, "fresh", 30)],
        "a key already present is left as it is"
    );
    // Keys are unique in the store, not per ticket.
    let other = fresh(&store, &acme()).await;
    let other = create(
        &store,
        Commit {
            effects: vec![notify(&other, "dup", 1)],
            ..Commit::new(other.clone(), Vec::new(), at(0))
        },
    )
    .await;
    assert_eq!(
        store.effects(&other.key()).await.expect("effects"),
        Vec::<Effect>::new(),
        "another ticket's effect with a present key is not created"
    );
    assert_eq!(store.effects(&t.key()).await.expect("effects")[0], first);
    let claimed = store
        .claim_effects(&claim(1_000, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&claimed), vec!["dup", "fresh"], "one effect per key");
}

async fn claim_due_in_next_check_order_up_to_now_and_limit(store: Arc<dyn TicketStore>) {
    let c30 = create_due(&store, &acme(), Some(30)).await;
    let c10 = create_due(&store, &globex(), Some(10)).await;
    let _never_due = create_due(&store, &acme(), None).await;
    let c20 = create_due(&store, &acme(), Some(20)).await;
    let c50 = create_due(&store, &acme(), Some(50)).await;
    let c40 = create_due(&store, &acme(), Some(40)).await;

    assert_eq!(
        ids(&store
            .claim_due(&claim(5, 10, 300))
            .await
            .expect("claim_due")),
        Vec::<TicketId>::new(),
        "nothing is due before the earliest next check"
    );
    let first = store
        .claim_due(&claim(40, 2, 300))
        .await
        .expect("claim_due");
    assert_eq!(
        ids(&first),
        vec![c10.id, c20.id],
        "next-check order, at most `limit`"
    );
    for c in &first {
        assert_eq!(c.until, at(340), "leased until now + lease_for");
        assert_eq!(c.ticket, store.get(&c.ticket.key()).await.expect("get"));
    }
    assert_ne!(
        first[0].token, first[1].token,
        "each claim has its own token"
    );
    let second = store
        .claim_due(&claim(40, 10, 300))
        .await
        .expect("claim_due");
    assert_eq!(
        ids(&second),
        vec![c30.id, c40.id],
        "due at or before now, claimed ones skipped"
    );
    assert_eq!(
        ids(&store
            .claim_due(&claim(40, 0, 300))
            .await
            .expect("claim_due")),
        Vec::<TicketId>::new(),
        "limit 0 claims nothing"
    );
    let third = store
        .claim_due(&claim(60, 10, 300))
        .await
        .expect("claim_due");
    assert_eq!(
        ids(&third),
        vec![c50.id],
        "a ticket without next check is never due"
    );
}

async fn next_due_is_earliest(store: Arc<dyn TicketStore>) {
    assert_eq!(
        store.next_due().await.expect("next_due"),
        None,
        "empty store"
    );
    let _no_check = create_due(&store, &acme(), None).await;
    assert_eq!(
        store.next_due().await.expect("next_due"),
        None,
        "no next check"
    );
    let a = create_due(&store, &acme(), Some(30)).await;
    assert_eq!(store.next_due().await.expect("next_due"), Some(at(30)));
    let b = create_due(&store, &globex(), Some(10)).await;
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(10)),
        "across tenants"
    );
    let claimed = store
        .claim_due(&claim(10, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&claimed), vec![b.id]);
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(30)),
        "a claimed ticket counts from the end of its lease (70), after the next one"
    );
    let c = create_due(&store, &acme(), Some(0)).await;
    let held = store.claim_due(&claim(0, 10, 40)).await.expect("claim_due");
    assert_eq!(ids(&held), vec![c.id], "the lease on b hides it");
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(30)),
        "c, due at 0, is held until 40; a is due at 30"
    );
    let mut c2 = c.clone();
    c2.next_check = None;
    store
        .update(Commit::new(c2, Vec::new(), at(1)), None)
        .await
        .expect("update");
    let mut a1 = store.get(&a.key()).await.expect("get");
    a1.next_check = Some(at(100));
    store
        .update(Commit::new(a1, Vec::new(), at(1)), None)
        .await
        .expect("update");
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(70)),
        "b, due at 10 but leased, is claimable first: when its lease ends at 70"
    );
    let mut b2 = b.clone();
    b2.next_check = None;
    store
        .update(Commit::new(b2, Vec::new(), at(11)), None)
        .await
        .expect("update");
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(100)),
        "an update without next check leaves the due index"
    );
    let mut a2 = store.get(&a.key()).await.expect("get");
    a2.next_check = Some(at(5));
    store
        .update(Commit::new(a2, Vec::new(), at(11)), None)
        .await
        .expect("update");
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(5)),
        "an update moves the ticket in the due index"
    );
    let mut a3 = store.get(&a.key()).await.expect("get");
    a3.next_check = Some(at(500));
    store
        .update(Commit::new(a3, Vec::new(), at(12)), None)
        .await
        .expect("update");
    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(500)),
        "the old position is gone"
    );
}

async fn claimed_ticket_hidden_until_lease_expires(store: Arc<dyn TicketStore>) {
    let t = create_due(&store, &acme(), Some(0)).await;
    let first = store
        .claim_due(&claim(10, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&first), vec![t.id]);
    assert_eq!(first[0].until, at(70));
    for now in [10, 20, 69] {
        assert_eq!(
            ids(&store
                .claim_due(&claim(now, 10, 60))
                .await
                .expect("claim_due")),
            Vec::<TicketId>::new(),
            "leased until {} (asked at {})",
            at(70),
            at(now)
        );
    }
    let again = store
        .claim_due(&claim(70, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(
        ids(&again),
        vec![t.id],
        "due again once the lease has ended"
    );
    assert_ne!(
        again[0].token, first[0].token,
        "a new claim gets a new token"
    );
    assert_eq!(again[0].until, at(130));
    assert_eq!(
        ids(&store
            .claim_due(&claim(100, 10, 60))
            .await
            .expect("claim_due")),
        Vec::<TicketId>::new(),
        "hidden again under the new lease"
    );
}

async fn fenced_update_with_lost_lease_is_conflict_and_writes_nothing(store: Arc<dyn TicketStore>) {
    let mut t = fresh(&store, &acme()).await;
    t.next_check = Some(at(0));
    let t = create(
        &store,
        Commit {
            effects: vec![notify(&t, "created-effect", 500)],
            tasks: vec![task(&t, "created-task", 0)],
            ..Commit::new(t.clone(), vec![entry(0, "created")], at(0))
        },
    )
    .await;
    let before = snapshot(&store, &t.key()).await;

    assert_kind(
        store
            .update(full_commit(&t, 1, "unclaimed"), Some(fence(1, 5)))
            .await,
        ErrorKind::Conflict,
        "a fenced update of a ticket nobody claimed",
    );
    assert_eq!(snapshot(&store, &t.key()).await, before);

    let c1 = store.claim_due(&claim(10, 1, 60)).await.expect("claim_due");
    assert_eq!(ids(&c1), vec![t.id]);
    let t1 = c1[0].token;
    // The claim moves nothing but the instant the ticket is next claimable: its lease end.
    let mut before = before;
    before.next_due = Some(c1[0].until);
    assert_eq!(snapshot(&store, &t.key()).await, before);
    assert_kind(
        store
            .update(
                full_commit(&t, 1, "wrong"),
                Some(fence(t1.wrapping_add(1_000), 20)),
            )
            .await,
        ErrorKind::Conflict,
        "a fenced update with a token that is not the lease's",
    );
    assert_kind(
        store
            .update(full_commit(&t, 1, "expired"), Some(fence(t1, 70)))
            .await,
        ErrorKind::Conflict,
        "a fenced update at the instant the lease ends",
    );
    assert_kind(
        store
            .update(full_commit(&t, 1, "late"), Some(fence(t1, 100)))
            .await,
        ErrorKind::Conflict,
        "a fenced update after the lease ended",
    );
    let mut after = before;
    assert_eq!(
        snapshot(&store, &t.key()).await,
        after,
        "failed fenced updates wrote nothing"
    );

    let c2 = store
        .claim_due(&claim(100, 1, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&c2), vec![t.id]);
    let t2 = c2[0].token;
    after.next_due = Some(c2[0].until);
    assert_kind(
        store
            .update(full_commit(&t, 1, "stale"), Some(fence(t1, 110)))
            .await,
        ErrorKind::Conflict,
        "a fenced update with the previous claim's token",
    );
    assert_eq!(snapshot(&store, &t.key()).await, after);

    let mut ok = t.clone();
    ok.next_check = Some(at(0));
    ok.subject = Arc::from("written under the lease");
    let v = store
        .update(
            Commit::new(ok, vec![entry(110, "fenced")], at(110)),
            Some(fence(t2, 110)),
        )
        .await
        .expect("a fenced update under the current lease");
    assert_eq!(v, 2);
    after.ticket = store.get(&t.key()).await.expect("get");
    assert_eq!(&*after.ticket.subject, "written under the lease");
    let released = store
        .claim_due(&claim(111, 1, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&released), vec![t.id], "the write released the lease");
}

async fn update_without_fence_after_claim_releases_lease(store: Arc<dyn TicketStore>) {
    let t = create_due(&store, &acme(), Some(0)).await;
    let other = create_due(&store, &acme(), Some(3)).await;
    let c = store
        .claim_due(&claim(10, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&c), vec![t.id, other.id]);
    let mut next = t.clone();
    next.next_check = Some(at(5));
    let v = store
        .update(Commit::new(next, vec![entry(20, "host")], at(20)), None)
        .await
        .expect("an update without fence on a claimed ticket");
    assert_eq!(v, 2);
    let again = store
        .claim_due(&claim(21, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(
        ids(&again),
        vec![t.id],
        "the unfenced write released the lease (the other ticket stays leased)"
    );
    assert_eq!(again[0].ticket.version, 2);
    assert_kind(
        store
            .update(
                Commit::new(again[0].ticket.clone(), Vec::new(), at(22)),
                Some(fence(c[0].token, 22)),
            )
            .await,
        ErrorKind::Conflict,
        "the first claim's token no longer fences",
    );
    store
        .update(
            Commit::new(again[0].ticket.clone(), Vec::new(), at(22)),
            Some(fence(again[0].token, 22)),
        )
        .await
        .expect("the new claim's token fences");
}

async fn claim_effects_in_due_order_with_limit_and_lease(store: Arc<dyn TicketStore>) {
    let a = fresh(&store, &acme()).await;
    let a = create(
        &store,
        Commit {
            effects: vec![notify(&a, "at30", 30), notify(&a, "at10", 10)],
            ..Commit::new(a.clone(), Vec::new(), at(0))
        },
    )
    .await;
    let b = fresh(&store, &globex()).await;
    create(
        &store,
        Commit {
            effects: vec![notify(&b, "at20", 20), notify(&b, "at90", 90)],
            ..Commit::new(b.clone(), Vec::new(), at(0))
        },
    )
    .await;
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        Some(at(10))
    );
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(5, 10, 60))
                .await
                .expect("claim_effects")
        ),
        Vec::<&str>::new(),
        "nothing is due yet"
    );
    let first = store
        .claim_effects(&claim(30, 1, 60))
        .await
        .expect("claim_effects");
    assert_eq!(
        keys(&first),
        vec!["at10"],
        "earliest first, at most `limit`"
    );
    assert_eq!(
        first[0].effect,
        store.effects(&a.key()).await.expect("effects")[1]
    );
    let second = store
        .claim_effects(&claim(30, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(
        keys(&second),
        vec!["at20", "at30"],
        "due at or before now, across tenants"
    );
    assert_ne!(second[0].token, second[1].token);
    assert_ne!(first[0].token, second[0].token);
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(69, 10, 60))
                .await
                .expect("claim_effects")
        ),
        Vec::<&str>::new(),
        "claimed effects are hidden while leased"
    );
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        Some(at(90)),
        "claimed effects count from the end of their leases (90); at90 is due then too"
    );
    let third = store
        .claim_effects(&claim(90, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(
        keys(&third),
        vec!["at10", "at20", "at30", "at90"],
        "due again once their leases ended"
    );
    assert_eq!(
        third[0].effect.attempts, 0,
        "a lease that ends is not an attempt"
    );
}

async fn finish_effect_delivered(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let e = notify(&t, "n1", 10);
    let t = create(
        &store,
        Commit {
            effects: vec![e.clone()],
            ..Commit::new(t.clone(), vec![entry(0, "created")], at(0))
        },
    )
    .await;
    let c = store
        .claim_effects(&claim(10, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&c), vec!["n1"]);
    assert_eq!(c[0].effect, e);
    let done = entry(12, "delivered");
    store
        .finish_effect(EffectOutcome {
            log: done.clone(),
            ..outcome(&e, c[0].token, 12, Delivery::Delivered, "")
        })
        .await
        .expect("finish_effect");
    let got = &store.effects(&t.key()).await.expect("effects")[0];
    let mut want = e.clone();
    want.state = EffectState::Delivered;
    want.attempts = 1;
    want.finished_at = Some(at(12));
    assert_eq!(got, &want, "delivered: state, attempts and finished_at");
    assert_eq!(
        store.log(&t.key()).await.expect("log"),
        vec![entry(0, "created"), done],
        "finish_effect appends its entry to the ticket's log"
    );
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        None
    );
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(10_000, 10, 60))
                .await
                .expect("claim_effects")
        ),
        Vec::<&str>::new(),
        "a delivered effect is never claimed again"
    );
    assert_kind(
        store
            .finish_effect(outcome(&e, c[0].token, 13, Delivery::Delivered, "twice"))
            .await,
        ErrorKind::Conflict,
        "finishing a finished effect",
    );
    assert_eq!(store.effects(&t.key()).await.expect("effects")[0], want);
    assert_eq!(store.log(&t.key()).await.expect("log").len(), 2);
}

async fn finish_effect_retry_then_dead_letter(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let e = page_trigger(&t, "p1", "pg-1", 0, 10);
    let t = create(
        &store,
        Commit {
            effects: vec![e.clone()],
            ..Commit::new(t.clone(), Vec::new(), at(0))
        },
    )
    .await;
    let c = store
        .claim_effects(&claim(10, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&c), vec!["p1"]);
    store
        .finish_effect(outcome(
            &e,
            c[0].token,
            11,
            Delivery::Retry {
                at: at(100),
                error: Arc::from("503 from pager"),
            },
            "retry",
        ))
        .await
        .expect("finish_effect retry");
    let mut want = e.clone();
    want.attempts = 1;
    want.last_error = Some(Arc::from("503 from pager"));
    want.next_attempt_at = at(100);
    assert_eq!(
        store.effects(&t.key()).await.expect("effects")[0],
        want,
        "retry: still pending, attempt counted, error kept, next attempt moved"
    );
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        Some(at(100))
    );
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(99, 10, 60))
                .await
                .expect("claim_effects")
        ),
        Vec::<&str>::new(),
        "not due before the retry time (the lease was released)"
    );
    let c2 = store
        .claim_effects(&claim(100, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&c2), vec!["p1"], "due again at the retry time");
    assert_eq!(c2[0].effect, want);
    store
        .finish_effect(outcome(
            &e,
            c2[0].token,
            101,
            Delivery::DeadLetter {
                error: Arc::from("400 bad routing key"),
            },
            "dead",
        ))
        .await
        .expect("finish_effect dead letter");
    want.attempts = 2;
    want.state = EffectState::DeadLettered;
    want.last_error = Some(Arc::from("400 bad routing key"));
    want.finished_at = Some(at(101));
    assert_eq!(
        store.effects(&t.key()).await.expect("effects")[0],
        want,
        "dead letter: final, attempts counted, error kept"
    );
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        None
    );
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(10_000, 10, 60))
                .await
                .expect("claim_effects")
        ),
        Vec::<&str>::new(),
        "a dead-lettered effect is never claimed again"
    );
    assert_eq!(
        store.log(&t.key()).await.expect("log"),
        vec![entry(11, "retry"), entry(101, "dead")],
        "each outcome appends its entry"
    );
}

async fn finish_effect_with_lost_lease_is_conflict_and_writes_nothing(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let e = notify(&t, "n1", 10);
    let t = create(
        &store,
        Commit {
            effects: vec![e.clone()],
            ..Commit::new(t.clone(), vec![entry(0, "created")], at(0))
        },
    )
    .await;
    let before = snapshot(&store, &t.key()).await;
    assert_kind(
        store
            .finish_effect(outcome(&e, 1, 10, Delivery::Delivered, "unclaimed"))
            .await,
        ErrorKind::Conflict,
        "finishing an effect nobody claimed",
    );
    let c1 = store
        .claim_effects(&claim(10, 10, 60))
        .await
        .expect("claim_effects");
    let t1 = c1[0].token;
    let mut before = before;
    before.next_effect_due = Some(at(70));
    assert_eq!(snapshot(&store, &t.key()).await, before);
    assert_kind(
        store
            .finish_effect(outcome(&e, t1, 70, Delivery::Delivered, "expired"))
            .await,
        ErrorKind::Conflict,
        "finishing at the instant the lease ends",
    );
    assert_kind(
        store
            .finish_effect(outcome(
                &e,
                t1.wrapping_add(1_000),
                20,
                Delivery::Delivered,
                "wrong",
            ))
            .await,
        ErrorKind::Conflict,
        "finishing with a token that is not the lease's",
    );
    assert_eq!(snapshot(&store, &t.key()).await, before, "nothing written");
    let c2 = store
        .claim_effects(&claim(80, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&c2), vec!["n1"], "due again after the lease ended");
    before.next_effect_due = Some(at(140));
    assert_kind(
        store
            .finish_effect(outcome(
                &e,
                t1,
                81,
                Delivery::Retry {
                    at: at(500),
                    error: Arc::from("x"),
                },
                "stale",
            ))
            .await,
        ErrorKind::Conflict,
        "finishing with the previous claim's token",
    );
    assert_eq!(snapshot(&store, &t.key()).await, before, "nothing written");
    store
        .finish_effect(outcome(&e, c2[0].token, 81, Delivery::Delivered, "ok"))
        .await
        .expect("finishing under the current lease");
    assert_eq!(
        store.effects(&t.key()).await.expect("effects")[0].state,
        EffectState::Delivered
    );
}

async fn finish_effect_of_unknown_effect_is_not_found(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let e = notify(&t, "n1", 10);
    let t = create(
        &store,
        Commit {
            effects: vec![e.clone()],
            ..Commit::new(t.clone(), vec![entry(0, "created")], at(0))
        },
    )
    .await;
    let c = store
        .claim_effects(&claim(10, 10, 60))
        .await
        .expect("claim_effects");
    let before = snapshot(&store, &t.key()).await;
    let unknown = notify(&t, "no-such-effect", 10);
    assert_kind(
        store
            .finish_effect(outcome(&unknown, c[0].token, 11, Delivery::Delivered, "x"))
            .await,
        ErrorKind::NotFound,
        "finishing an unknown effect",
    );
    let mut foreign = e.clone();
    foreign.tenant = globex();
    assert_kind(
        store
            .finish_effect(outcome(&foreign, c[0].token, 11, Delivery::Delivered, "x"))
            .await,
        ErrorKind::NotFound,
        "finishing an effect under another tenant",
    );
    assert_eq!(snapshot(&store, &t.key()).await, before, "nothing written");
}

async fn cancelled_page_trigger_is_not_claimable(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let trig = page_trigger(&t, "pg-a/1", "pg-a", 1, 100);
    let other = page_trigger(&t, "pg-b/1", "pg-b", 1, 200);
    let note = notify(&t, "n1", 300);
    let t = create(
        &store,
        Commit {
            effects: vec![trig.clone(), other.clone(), note.clone()],
            ..Commit::new(t.clone(), Vec::new(), at(0))
        },
    )
    .await;
    let resolve = page_resolve(&t, "pg-a/resolve", "pg-a", 50);
    let v = store
        .update(
            Commit {
                effects: vec![resolve.clone()],
                cancel_pages: vec![Arc::from("pg-a")],
                ..Commit::new(t.clone(), vec![entry(50, "ack")], at(50))
            },
            None,
        )
        .await
        .expect("update cancelling a page");
    assert_eq!(v, 2);
    let mut cancelled = trig.clone();
    cancelled.state = EffectState::Cancelled;
    cancelled.finished_at = Some(at(50));
    assert_eq!(
        store.effects(&t.key()).await.expect("effects"),
        vec![cancelled, other, note, resolve],
        "the page's pending trigger is cancelled at the commit's instant; others untouched; \
         the resolve (nobody held the trigger) keeps its time"
    );
    assert_eq!(
        store.next_effect_due().await.expect("next_effect_due"),
        Some(at(50))
    );
    let claimed = store
        .claim_effects(&claim(10_000, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(
        keys(&claimed),
        vec!["pg-a/resolve", "pg-b/1", "n1"],
        "a cancelled trigger is not claimable"
    );
}

async fn cancelling_claimed_page_holds_resolve_until_lease_ends(store: Arc<dyn TicketStore>) {
    let t = fresh(&store, &acme()).await;
    let trig = page_trigger(&t, "pg/0", "pg", 0, 10);
    let t = create(
        &store,
        Commit {
            effects: vec![trig.clone()],
            ..Commit::new(t.clone(), Vec::new(), at(0))
        },
    )
    .await;
    let c = store
        .claim_effects(&claim(10, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&c), vec!["pg/0"]);
    let resolve = page_resolve(&t, "pg/resolve", "pg", 20);
    store
        .update(
            Commit {
                effects: vec![resolve.clone()],
                cancel_pages: vec![Arc::from("pg")],
                ..Commit::new(t.clone(), Vec::new(), at(20))
            },
            None,
        )
        .await
        .expect("update cancelling a claimed page");
    let effects = store.effects(&t.key()).await.expect("effects");
    assert_eq!(
        effects[0].state,
        EffectState::Cancelled,
        "the claimed trigger is cancelled"
    );
    assert_eq!(effects[0].finished_at, Some(at(20)));
    assert_eq!(
        effects[1].next_attempt_at,
        at(70),
        "the resolve waits for the trigger's lease to end"
    );
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(69, 10, 60))
                .await
                .expect("claim_effects")
        ),
        Vec::<&str>::new(),
        "the resolve is not claimable while the trigger may still be in flight"
    );
    assert_kind(
        store
            .finish_effect(outcome(&trig, c[0].token, 30, Delivery::Delivered, "late"))
            .await,
        ErrorKind::Conflict,
        "finishing a cancelled trigger",
    );
    assert_eq!(
        keys(
            &store
                .claim_effects(&claim(70, 10, 60))
                .await
                .expect("claim_effects")
        ),
        vec!["pg/resolve"],
        "the resolve is due when the lease ends"
    );
}

async fn tenant_scoping(store: Arc<dyn TicketStore>) {
    let mut a = fresh(&store, &acme()).await;
    a.intake_key = Some(Arc::from("shared-key"));
    a.assignee = Some(AgentId::new("agent-1"));
    a.next_check = Some(at(10));
    let a = create(
        &store,
        Commit {
            effects: vec![notify(&a, "a-effect", 10)],
            tasks: vec![task(&a, "a-task", 0)],
            ..Commit::new(a.clone(), vec![entry(5, "a")], at(5))
        },
    )
    .await;
    let before = snapshot(&store, &a.key()).await;
    let foreign = TicketRef::new(globex(), a.id);
    assert_kind(
        store.get(&foreign).await,
        ErrorKind::NotFound,
        "get under another tenant",
    );
    assert_kind(
        store.log(&foreign).await,
        ErrorKind::NotFound,
        "log under another tenant",
    );
    assert_kind(
        store.effects(&foreign).await,
        ErrorKind::NotFound,
        "effects under another tenant",
    );
    let mut hijack = a.clone();
    hijack.tenant = globex();
    hijack.subject = Arc::from("hijacked");
    assert_kind(
        store
            .update(Commit::new(hijack, vec![entry(6, "x")], at(6)), None)
            .await,
        ErrorKind::NotFound,
        "update under another tenant",
    );
    let mut task_hijack = task(&a, "a-task", 0);
    task_hijack.tenant = globex();
    task_hijack.status = TaskStatus::Closed;
    assert_kind(
        store.put_task(task_hijack).await,
        ErrorKind::NotFound,
        "put_task under another tenant",
    );
    assert_eq!(
        snapshot(&store, &a.key()).await,
        before,
        "nothing written to the owner's ticket"
    );
    assert_eq!(
        store.tasks(&globex(), None).await.expect("tasks"),
        Vec::<EscalationTask>::new(),
        "tasks are per tenant"
    );
    assert_eq!(
        store.tasks(&globex(), Some(a.id)).await.expect("tasks"),
        Vec::<EscalationTask>::new(),
        "tasks of a foreign ticket"
    );
    assert_eq!(
        store
            .log_range(&globex(), at(0), at(1_000))
            .await
            .expect("log_range"),
        Vec::new(),
        "log_range is per tenant"
    );
    assert_eq!(
        store
            .agent_loads(&globex(), &[&AgentId::new("agent-1")])
            .await
            .expect("agent_loads"),
        vec![0],
        "loads are per tenant"
    );
    assert_eq!(
        store
            .find_by_intake_key(&globex(), "shared-key")
            .await
            .expect("find_by_intake_key"),
        None,
        "intake keys are per tenant"
    );
    let mut b = fresh(&store, &globex()).await;
    b.intake_key = Some(Arc::from("shared-key"));
    let b = create(
        &store,
        Commit {
            tasks: vec![task(&b, "b-task", 0)],
            ..Commit::new(b.clone(), vec![entry(7, "b")], at(7))
        },
    )
    .await;
    assert_eq!(
        store
            .find_by_intake_key(&acme(), "shared-key")
            .await
            .expect("find_by_intake_key"),
        Some(a.clone())
    );
    assert_eq!(
        store
            .find_by_intake_key(&globex(), "shared-key")
            .await
            .expect("find_by_intake_key"),
        Some(b.clone())
    );
    assert_eq!(
        store.tasks(&globex(), None).await.expect("tasks"),
        vec![task(&b, "b-task", 0)]
    );
    assert_eq!(
        store.tasks(&acme(), None).await.expect("tasks"),
        vec![task(&a, "a-task", 0)]
    );
    assert_eq!(
        store
            .log_range(&acme(), at(0), at(1_000))
            .await
            .expect("log_range"),
        vec![(a.id, entry(5, "a"))]
    );
    assert_eq!(
        store
            .log_range(&globex(), at(0), at(1_000))
            .await
            .expect("log_range"),
        vec![(b.id, entry(7, "b"))]
    );
    assert_eq!(
        store
            .log_range_of(&globex(), at(0), at(1_000), EventKinds::ALL)
            .await
            .expect("log_range_of"),
        vec![(b.id, entry(7, "b"))],
        "log_range_of is per tenant"
    );
    assert_eq!(
        store
            .get_many(&globex(), &[a.id, b.id])
            .await
            .expect("get_many"),
        vec![b.clone()],
        "get_many skips another tenant's ticket"
    );
    // An effect claimed under its own tenant cannot be finished under another.
    let claimed = store
        .claim_effects(&claim(10, 10, 60))
        .await
        .expect("claim_effects");
    assert_eq!(keys(&claimed), vec!["a-effect"]);
    let mut foreign_outcome = outcome(
        &claimed[0].effect,
        claimed[0].token,
        11,
        Delivery::Delivered,
        "foreign",
    );
    foreign_outcome.tenant = globex();
    assert_kind(
        store.finish_effect(foreign_outcome).await,
        ErrorKind::NotFound,
        "finish_effect under another tenant",
    );
    let effects = store.effects(&a.key()).await.expect("effects");
    assert_eq!(
        (effects[0].state, effects[0].attempts),
        (EffectState::Pending, 0),
        "the foreign outcome was not recorded"
    );
    assert_eq!(
        store.log(&a.key()).await.expect("log"),
        before.log,
        "the foreign outcome wrote no log entry"
    );
    // A claimed ticket cannot be written under another tenant with the claim's fence.
    let claimed = store
        .claim_due(&claim(10, 10, 60))
        .await
        .expect("claim_due");
    assert_eq!(ids(&claimed), vec![a.id]);
    let mut fenced_hijack = claimed[0].ticket.clone();
    fenced_hijack.tenant = globex();
    assert_kind(
        store
            .update(
                Commit::new(fenced_hijack, vec![entry(11, "x")], at(11)),
                Some(fence(claimed[0].token, 11)),
            )
            .await,
        ErrorKind::NotFound,
        "fenced update under another tenant",
    );
    assert_eq!(
        store.get(&a.key()).await.expect("get"),
        a,
        "the fenced foreign update wrote nothing"
    );
}

async fn agent_loads_follow_writes(store: Arc<dyn TicketStore>) {
    let (ag_a, ag_b, ag_c) = (AgentId::new("a"), AgentId::new("b"), AgentId::new("c"));
    let loads = |agents: Vec<AgentId>| {
        let store = store.clone();
        async move {
            let refs: Vec<&AgentId> = agents.iter().collect();
            store
                .agent_loads(&acme(), &refs)
                .await
                .expect("agent_loads")
        }
    };
    let all = || vec![ag_a.clone(), ag_b.clone(), ag_c.clone()];
    assert_eq!(loads(all()).await, vec![0, 0, 0], "empty store");
    let mut made = Vec::new();
    for (agent, status) in [
        (Some(&ag_a), Status::New),
        (Some(&ag_a), Status::InProgress),
        (Some(&ag_b), Status::Resolved),
        (Some(&ag_b), Status::OnHold),
        (Some(&ag_b), Status::PendingCustomer),
        (Some(&ag_c), Status::Draft),
        (Some(&ag_c), Status::Closed),
        (None, Status::New),
    ] {
        let mut t = fresh(&store, &acme()).await;
        t.assignee = agent.cloned();
        t.status = status;
        made.push(create(&store, Commit::new(t, Vec::new(), at(0))).await);
    }
    let mut other_tenant = fresh(&store, &globex()).await;
    other_tenant.assignee = Some(ag_c.clone());
    create(&store, Commit::new(other_tenant, Vec::new(), at(0))).await;

    assert_eq!(
        loads(all()).await,
        vec![2, 2, 0],
        "open (new, in progress, pending customer, on hold) assigned tickets count"
    );
    assert_eq!(
        loads(vec![ag_c.clone(), ag_a.clone()]).await,
        vec![0, 2],
        "in the order asked"
    );
    assert_eq!(loads(Vec::new()).await, Vec::<u32>::new());

    let update = |t: &Ticket, f: &(dyn Fn(&mut Ticket) + Sync)| {
        let mut t = t.clone();
        f(&mut t);
        let store = store.clone();
        async move {
            store
                .update(Commit::new(t, Vec::new(), at(10)), None)
                .await
                .expect("update");
        }
    };
    // Reassign a → b.
    update(&made[0], &|t| t.assignee = Some(AgentId::new("b"))).await;
    assert_eq!(loads(all()).await, vec![1, 3, 0], "reassigned");
    // Resolve one of a's.
    update(&made[1], &|t| t.status = Status::Resolved).await;
    assert_eq!(loads(all()).await, vec![0, 3, 0], "resolved");
    // Reopen b's resolved ticket.
    update(&made[2], &|t| t.status = Status::InProgress).await;
    assert_eq!(loads(all()).await, vec![0, 4, 0], "reopened");
    // Submit c's draft.
    update(&made[5], &|t| t.status = Status::New).await;
    assert_eq!(loads(all()).await, vec![0, 4, 1], "draft submitted");
    // Unassign one of b's.
    update(&made[3], &|t| t.assignee = None).await;
    assert_eq!(loads(all()).await, vec![0, 3, 1], "unassigned");
    // Assign the unassigned one to a.
    update(&made[7], &|t| t.assignee = Some(AgentId::new("a"))).await;
    assert_eq!(loads(all()).await, vec![1, 3, 1], "assigned");
    // A no-op write keeps the count.
    let cur = store.get(&made[7].key()).await.expect("get");
    update(&cur, &|_| {}).await;
    assert_eq!(loads(all()).await, vec![1, 3, 1], "an unrelated write");
    // A failed (stale) write changes nothing.
    let r = store
        .update(
            Commit::new(
                Ticket {
                    status: Status::Closed,
                    ..made[7].clone()
                },
                Vec::new(),
                at(20),
            ),
            None,
        )
        .await;
    assert_kind(r, ErrorKind::Conflict, "stale write");
    assert_eq!(loads(all()).await, vec![1, 3, 1], "a failed write");
}

async fn tasks_created_listed_and_replaced(store: Arc<dyn TicketStore>) {
    let t1 = fresh(&store, &acme()).await;
    let (k1, k2) = (task(&t1, "k1", 0), task(&t1, "k2", 0));
    let t1 = create(
        &store,
        Commit {
            tasks: vec![k1.clone(), k2.clone()],
            ..Commit::new(t1.clone(), Vec::new(), at(0))
        },
    )
    .await;
    let t2 = fresh(&store, &acme()).await;
    let k3 = task(&t2, "k3", 5);
    create(
        &store,
        Commit {
            tasks: vec![k3.clone()],
            ..Commit::new(t2.clone(), Vec::new(), at(5))
        },
    )
    .await;
    let k4 = task(&t1, "k4", 10);
    let mut k1_again = task(&t1, "k1", 10);
    k1_again.reason = Arc::from("created again");
    store
        .update(
            Commit {
                tasks: vec![k1_again, k4.clone()],
                ..Commit::new(t1.clone(), Vec::new(), at(10))
            },
            None,
        )
        .await
        .expect("update");
    assert_eq!(
        store.tasks(&acme(), None).await.expect("tasks"),
        vec![k1.clone(), k2.clone(), k3.clone(), k4.clone()],
        "all of the tenant's tasks, oldest first; a present id is left as it is"
    );
    assert_eq!(
        store.tasks(&acme(), Some(t1.id)).await.expect("tasks"),
        vec![k1.clone(), k2.clone(), k4.clone()],
        "one ticket's tasks"
    );
    assert_eq!(
        store.tasks(&acme(), Some(t2.id)).await.expect("tasks"),
        vec![k3.clone()]
    );
    let mut closed = k2.clone();
    closed.status = TaskStatus::Closed;
    closed.assignee = Some(AgentId::new("agent-9"));
    closed.closed_at = Some(at(20));
    closed.reason = Arc::from("handled");
    store.put_task(closed.clone()).await.expect("put_task");
    assert_eq!(
        store.tasks(&acme(), Some(t1.id)).await.expect("tasks"),
        vec![k1.clone(), closed.clone(), k4.clone()],
        "put_task replaces the task in place"
    );
    let mut unknown = task(&t1, "k-unknown", 0);
    unknown.status = TaskStatus::Closed;
    assert_kind(
        store.put_task(unknown).await,
        ErrorKind::NotFound,
        "put_task of an unknown id",
    );
    assert_eq!(
        store.tasks(&acme(), None).await.expect("tasks"),
        vec![k1, closed, k3, k4],
        "put_task of an unknown id created nothing"
    );
}

async fn log_range_is_half_open_and_time_ordered(store: Arc<dyn TicketStore>) {
    let t1 = fresh(&store, &acme()).await;
    let t1 = create(
        &store,
        Commit::new(
            t1.clone(),
            vec![entry(10, "t1@10"), entry(20, "t1@20"), entry(40, "t1@40")],
            at(10),
        ),
    )
    .await;
    let t2 = fresh(&store, &acme()).await;
    let t2 = create(
        &store,
        Commit::new(
            t2.clone(),
            vec![entry(5, "t2@5"), entry(30, "t2@30")],
            at(5),
        ),
    )
    .await;
    let g = fresh(&store, &globex()).await;
    create(&store, Commit::new(g, vec![entry(12, "g@12")], at(12))).await;
    store
        .update(
            Commit::new(t2.clone(), vec![entry(15, "t2@15")], at(15)),
            None,
        )
        .await
        .expect("update");
    store
        .update(
            Commit::new(t1.clone(), vec![entry(4, "t1@4")], at(25)),
            None,
        )
        .await
        .expect("update");
    let got = store
        .log_range(&acme(), at(5), at(30))
        .await
        .expect("log_range");
    assert_eq!(
        got,
        vec![
            (t2.id, entry(5, "t2@5")),
            (t1.id, entry(10, "t1@10")),
            (t2.id, entry(15, "t2@15")),
            (t1.id, entry(20, "t1@20")),
        ],
        "entries with from <= at < to, in time order, of the tenant only"
    );
    assert_eq!(
        store
            .log_range(&acme(), at(30), at(30))
            .await
            .expect("log_range"),
        Vec::new(),
        "an empty range"
    );
    let all = store
        .log_range(&acme(), at(0), at(100))
        .await
        .expect("log_range");
    let times: Vec<DateTime<Utc>> = all.iter().map(|(_, e)| e.at).collect();
    assert_eq!(
        times,
        [4, 5, 10, 15, 20, 30, 40].map(at).to_vec(),
        "every entry of the tenant, in time order"
    );
}

async fn report_queries_resolved_between_and_get_many(store: Arc<dyn TicketStore>) {
    let resolve = |mut t: Ticket, when: i64| {
        t.status = Status::Resolved;
        t.resolved_at = Some(at(when));
        t
    };
    let a = fresh(&store, &acme()).await;
    let a = create(&store, Commit::new(resolve(a, 20), Vec::new(), at(0))).await;
    let b = fresh(&store, &acme()).await;
    let b = create(&store, Commit::new(resolve(b, 10), Vec::new(), at(0))).await;
    let open = create_due(&store, &acme(), None).await;
    let g = fresh(&store, &globex()).await;
    let g = create(&store, Commit::new(resolve(g, 15), Vec::new(), at(0))).await;
    let ids = |v: &[Ticket]| v.iter().map(|t| t.id).collect::<Vec<_>>();

    let got = store
        .resolved_between(&acme(), at(10), at(21))
        .await
        .expect("resolved_between");
    assert_eq!(
        ids(&got),
        vec![b.id, a.id],
        "in resolved_at order, one tenant"
    );
    assert_eq!(got[1], a, "whole tickets");
    let got = store
        .resolved_between(&acme(), at(11), at(20))
        .await
        .expect("resolved_between");
    assert_eq!(
        ids(&got),
        Vec::<TicketId>::new(),
        "half-open: 20 is outside [11, 20)"
    );

    // Reopened: no longer resolved at 10; resolved again at 30.
    let mut b2 = b.clone();
    b2.status = Status::InProgress;
    b2.resolved_at = None;
    store
        .update(Commit::new(b2, Vec::new(), at(25)), None)
        .await
        .expect("update");
    let got = store
        .resolved_between(&acme(), at(0), at(100))
        .await
        .expect("resolved_between");
    assert_eq!(ids(&got), vec![a.id], "a reopened ticket leaves the range");
    let mut b3 = store.get(&b.key()).await.expect("get");
    b3 = resolve(b3, 30);
    store
        .update(Commit::new(b3, Vec::new(), at(30)), None)
        .await
        .expect("update");
    let got = store
        .resolved_between(&acme(), at(0), at(100))
        .await
        .expect("resolved_between");
    assert_eq!(ids(&got), vec![a.id, b.id]);
    let got = store
        .resolved_between(&globex(), at(0), at(100))
        .await
        .expect("resolved_between");
    assert_eq!(ids(&got), vec![g.id]);

    let many = store
        .get_many(&acme(), &[open.id, g.id, TicketId(999_999), a.id])
        .await
        .expect("get_many");
    assert_eq!(
        ids(&many),
        vec![open.id, a.id],
        "in the order asked; unknown and foreign ids skipped"
    );
}

// --- retention -------------------------------------------------------------------------------

async fn retention_cleanup(store: Arc<dyn TicketStore>) {
    cleanup_scenario(store, 2).await;
}

/// The retention scenario on a fixed data set, with cleanup batches of `batch` tickets:
/// a dry run lists exactly what the real run then does, a second run does nothing,
/// escalation entries inside their retention survive, young drafts and submitted tickets
/// are kept. Every batch size gives the same result.
pub async fn cleanup_scenario(store: Arc<dyn TicketStore>, batch: usize) {
    use crate::clock::ManualClock;
    use crate::engine::{CleanupReport, Engine};
    use crate::policy::{Policy, RetentionPolicy};

    let day = |d: i64| TimeDelta::days(d);
    let now = at(0) + day(1_000);
    let ago = |d: i64| now - day(d);
    let acme = TenantId::new("acme");
    let other = TenantId::new("other");
    let entry = |at: DateTime<Utc>, event: LogEvent| LogEntry::engine(at, event);
    let created = |draft: bool| LogEvent::Created {
        channel: Channel::Email,
        category: Symbol::intern("billing"),
        impact: Impact::Bug,
        draft,
    };
    let breached = |at: DateTime<Utc>| LogEvent::SlaBreached {
        target: Target::Resolution,
        cycle: 0,
        deadline: at,
    };
    let task = |id: &str, tenant: &TenantId, created_at: DateTime<Utc>, status: TaskStatus| {
        EscalationTask {
            id: Arc::from(id),
            tenant: tenant.clone(),
            ticket: TicketId(0),
            level: Arc::from("manager"),
            target: Some(Target::Resolution),
            reason: Arc::from("breached"),
            created_at,
            status,
            assignee: None,
            closed_at: None,
        }
    };
    let mut ids = Vec::new();
    let mut seed = async |tenant: &TenantId,
                          status: Status,
                          created_at: DateTime<Utc>,
                          resolved_at: Option<DateTime<Utc>>,
                          log: Vec<LogEntry>,
                          tasks: Vec<EscalationTask>| {
        let id = store.next_id().await.unwrap();
        let mut t = sample_ticket(tenant, id);
        t.status = status;
        t.created_at = created_at;
        t.received_at = created_at;
        t.resolved_at = resolved_at;
        t.next_check = Some(now + day(1));
        let mut commit = Commit::new(t, log, created_at);
        commit.tasks = tasks;
        store.insert(commit).await.unwrap();
        ids.push(id);
        id
    };
    // 1: resolved 100 days ago: archived; its log pruned down to what retention keeps.
    let resolved_old = seed(
        &acme,
        Status::Resolved,
        ago(900),
        Some(ago(100)),
        vec![
            entry(ago(800), created(false)),
            entry(
                ago(800),
                LogEvent::TaskCreated {
                    task: Arc::from("t-old"),
                },
            ),
            entry(ago(400), LogEvent::AgentReplied { first: true }),
            entry(ago(400), breached(ago(400))),
            entry(
                ago(100),
                LogEvent::StatusChanged {
                    from: Status::InProgress,
                    to: Status::Resolved,
                    reason: None,
                },
            ),
        ],
        vec![
            task("acme-open-old", &acme, ago(100), TaskStatus::Open),
            task("acme-closed", &acme, ago(100), TaskStatus::Closed),
        ],
    )
    .await;
    // 2: closed, resolved 95 days ago: archived, nothing to prune.
    let closed_old = seed(
        &acme,
        Status::Closed,
        ago(120),
        Some(ago(95)),
        vec![entry(ago(120), created(false))],
        vec![],
    )
    .await;
    // 3: resolved 10 days ago: kept; its open task of 40 days goes, the 5-day one stays.
    let resolved_young = seed(
        &acme,
        Status::Resolved,
        ago(60),
        Some(ago(10)),
        vec![entry(ago(60), created(false))],
        vec![
            task("acme-open-40", &acme, ago(40), TaskStatus::Open),
            task("acme-open-5", &acme, ago(5), TaskStatus::Open),
        ],
    )
    .await;
    // 4: a draft of 40 days: deleted. 5: a draft of 10 days: kept.
    let draft_old = seed(
        &acme,
        Status::Draft,
        ago(40),
        None,
        vec![entry(ago(40), created(true))],
        vec![],
    )
    .await;
    let draft_young = seed(
        &acme,
        Status::Draft,
        ago(10),
        None,
        vec![entry(ago(10), created(true))],
        vec![],
    )
    .await;
    // 6: submitted and still open, very old: never touched, nor its open task.
    let open_old = seed(
        &acme,
        Status::New,
        ago(900),
        None,
        vec![
            entry(ago(900), created(false)),
            entry(ago(800), breached(ago(800))),
        ],
        vec![task("acme-open-on-open", &acme, ago(800), TaskStatus::Open)],
    )
    .await;
    // 7: closed without ever being resolved: no resolution instant, kept.
    let closed_unresolved = seed(
        &acme,
        Status::Closed,
        ago(500),
        None,
        vec![entry(ago(500), created(false))],
        vec![],
    )
    .await;
    // Another tenant's old draft is not acme's to clean.
    let foreign_draft = seed(
        &other,
        Status::Draft,
        ago(400),
        None,
        vec![entry(ago(400), created(true))],
        vec![],
    )
    .await;

    let clock = Arc::new(ManualClock::new(now));
    let policy = Policy {
        retention: RetentionPolicy {
            batch,
            ..RetentionPolicy::default()
        },
        ..Policy::default()
    };
    let engine = Engine::builder()
        .store(store.clone())
        .clock(clock)
        .policy(policy)
        .build()
        .unwrap();

    let expected = CleanupReport {
        dry_run: true,
        archived: vec![resolved_old, closed_old],
        deleted_drafts: vec![draft_old],
        deleted_tasks: vec![Arc::from("acme-open-old"), Arc::from("acme-open-40")],
        // Ticket 1: created and task_created (older than the escalation retention) and
        // agent_replied (older than the log retention).
        pruned_log_entries: 3,
    };
    let dry = engine.cleanup(&acme, true).await.unwrap();
    assert_eq!(dry, expected, "dry run with batch {batch}");
    // The dry run wrote nothing.
    let key = |id: TicketId| TicketRef::new(acme.clone(), id);
    assert_eq!(store.log(&key(resolved_old)).await.unwrap().len(), 5);
    assert!(store.get(&key(draft_old)).await.is_ok());
    assert!(
        store
            .get(&key(resolved_old))
            .await
            .unwrap()
            .archived_at
            .is_none()
    );
    assert_eq!(store.tasks(&acme, None).await.unwrap().len(), 5);

    let real = engine.cleanup(&acme, false).await.unwrap();
    assert_eq!(
        real,
        CleanupReport {
            dry_run: false,
            ..dry.clone()
        },
        "the real run does what the dry run listed (batch {batch})"
    );

    // Archived: still readable, out of the due index, with its `Archived` entry.
    for id in [resolved_old, closed_old] {
        let t = store.get(&key(id)).await.unwrap();
        assert_eq!(t.archived_at, Some(now));
        assert_eq!(t.next_check, None);
        let log = store.log(&key(id)).await.unwrap();
        assert_eq!(log.last().map(|e| &e.event), Some(&LogEvent::Archived));
    }
    let log = store.log(&key(resolved_old)).await.unwrap();
    let names: Vec<&str> = log.iter().map(|e| e.event.name()).collect();
    assert_eq!(names, ["sla_breached", "status_changed", "archived"]);
    assert_eq!(log[0].at, ago(400));
    // Not archived, not deleted, not pruned.
    for id in [resolved_young, draft_young, open_old, closed_unresolved] {
        let t = store.get(&key(id)).await.unwrap();
        assert_eq!(t.archived_at, None, "ticket {id}");
    }
    assert_eq!(store.log(&key(open_old)).await.unwrap().len(), 2);
    assert_eq!(
        store.get(&key(draft_old)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(
        store
            .get(&TicketRef::new(other.clone(), foreign_draft))
            .await
            .is_ok()
    );
    let tasks: Vec<String> = store
        .tasks(&acme, None)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(tasks, ["acme-closed", "acme-open-5", "acme-open-on-open"]);
    // The sweep never sees an archived ticket.
    let due = store
        .claim_due(&ClaimDue {
            now: now + day(2),
            limit: 100,
            lease_for: TimeDelta::seconds(60),
            holder: Arc::from("test"),
        })
        .await
        .unwrap();
    let due: Vec<TicketId> = due.iter().map(|c| c.ticket.id).collect();
    assert!(
        !due.contains(&resolved_old) && !due.contains(&closed_old),
        "{due:?}"
    );

    // Idempotent: a second run at the same instant, dry or real, finds nothing.
    let again = engine.cleanup(&acme, false).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert!(engine.cleanup(&acme, true).await.unwrap().is_empty());
    let _ = ids;
}

async fn log_range_of_filters_by_event_kind(store: Arc<dyn TicketStore>) {
    let breach = |s: i64| LogEntry {
        at: at(s),
        actor: Actor::Engine,
        event: LogEvent::SlaBreached {
            target: Target::Resolution,
            cycle: 0,
            deadline: at(s),
        },
    };
    let t = fresh(&store, &acme()).await;
    // One commit mixing kinds at one instant (one stored row where a store groups them),
    // then one of a single kind.
    let t = create(
        &store,
        Commit::new(
            t.clone(),
            vec![entry(10, "t@10"), breach(10), entry(10, "t@10b")],
            at(10),
        ),
    )
    .await;
    store
        .update(
            Commit::new(t.clone(), vec![entry(20, "t@20")], at(20)),
            None,
        )
        .await
        .expect("update");
    let g = fresh(&store, &globex()).await;
    create(&store, Commit::new(g, vec![breach(15)], at(15))).await;

    let of = |names: &'static [&'static str]| {
        let store = store.clone();
        async move {
            store
                .log_range_of(&acme(), at(0), at(100), EventKinds::of(names))
                .await
                .expect("log_range_of")
        }
    };
    assert_eq!(
        of(&["sla_breached"]).await,
        vec![(t.id, breach(10))],
        "only the kinds asked for, of the tenant only, out of a mixed commit"
    );
    let all = store
        .log_range(&acme(), at(0), at(100))
        .await
        .expect("log_range");
    assert_eq!(all.len(), 4);
    assert_eq!(
        of(&["sla_breached", "status_changed"]).await,
        all,
        "every kind present: the whole range, in order"
    );
    assert_eq!(
        store
            .log_range_of(&acme(), at(0), at(100), EventKinds::ALL)
            .await
            .expect("log_range_of"),
        all
    );
    assert_eq!(
        of(&["status_changed"]).await,
        vec![
            (t.id, entry(10, "t@10")),
            (t.id, entry(10, "t@10b")),
            (t.id, entry(20, "t@20")),
        ]
    );
    assert_eq!(
        of(&["level_fired"]).await,
        Vec::new(),
        "a kind no entry has"
    );
    assert_eq!(
        store
            .log_range_of(&acme(), at(11), at(100), EventKinds::of(&["sla_breached"]))
            .await
            .expect("log_range_of"),
        Vec::new(),
        "half-open range as log_range"
    );
}
