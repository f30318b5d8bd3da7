//! The engine end to end on a SqliteStore file: intake, sweeps and dispatch on a manual
//! clock, then a restart (the store reopened from the file) and more of the same. The same
//! scenario on the in-memory reference store must end in exactly the same state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use chrono::TimeDelta;
use escalation_core::effect::{Effect, EffectState};
use escalation_core::memory::{
    MemoryDirectory, MemoryNotifier, MemoryPager, MemoryProfiles, MemoryStore,
};
use escalation_core::ports::TicketStore;
use escalation_core::task::EscalationTask;
use escalation_core::{
    Channel, Clock, Engine, Impact, LogEntry, ManualClock, NewTicket, Policy, TenantId, Ticket,
    TicketId,
};
use escalation_sqlite::SqliteStore;

use support::t0;

struct Ports {
    clock: Arc<ManualClock>,
    directory: Arc<MemoryDirectory>,
    profiles: Arc<MemoryProfiles>,
    notifier: Arc<MemoryNotifier>,
    pager: Arc<MemoryPager>,
}

impl Ports {
    fn new() -> Ports {
        let (directory, profiles) = support::directory_and_profiles();
        Ports {
            clock: Arc::new(ManualClock::new(t0())),
            directory,
            profiles,
            notifier: Arc::new(MemoryNotifier::new()),
            pager: Arc::new(MemoryPager::new()),
        }
    }

    fn engine(&self, store: Arc<dyn TicketStore>) -> Engine {
        Engine::builder()
            .policy(Policy::default())
            .store(store)
            .directory(self.directory.clone())
            .profiles(self.profiles.clone())
            .notifier(self.notifier.clone())
            .pager(self.pager.clone())
            .clock(self.clock.clone())
            .build()
            .unwrap()
    }
}

#[derive(Debug, PartialEq)]
struct State {
    tickets: Vec<(Ticket, Vec<LogEntry>, Vec<Effect>)>,
    tasks: Vec<EscalationTask>,
}

async fn state(engine: &Engine, ids: &[TicketId]) -> State {
    let tenant = TenantId::default_tenant();
    let mut tickets = Vec::new();
    for id in ids {
        let key = escalation_core::TicketRef::new(tenant.clone(), *id);
        tickets.push((
            engine.ticket(key.clone()).await.unwrap(),
            engine.log(key.clone()).await.unwrap(),
            engine.effects(key).await.unwrap(),
        ));
    }
    let tasks = engine.store().tasks(&tenant, None).await.unwrap();
    State { tickets, tasks }
}

/// Advances the clock in `steps` of `by`, sweeping and dispatching after each.
async fn run(engine: &Engine, ports: &Ports, steps: usize, by: TimeDelta) -> (usize, usize) {
    let (mut claimed, mut delivered) = (0, 0);
    for _ in 0..steps {
        ports.clock.advance(by);
        claimed += engine.sweep().await.unwrap().claimed;
        delivered += engine.dispatch().await.unwrap().delivered;
    }
    (claimed, delivered)
}

/// The scenario; `reopen` gives the store for the second half (the same one, or the file
/// reopened). Returns the end state and the notifier's deliveries.
async fn scenario(
    first: Arc<dyn TicketStore>,
    reopen: impl FnOnce(Arc<dyn TicketStore>) -> Arc<dyn TicketStore>,
) -> (State, State, usize) {
    let ports = Ports::new();
    let engine = ports.engine(first);
    let mut ids = Vec::new();
    let cases = [
        ("cust-0", "billing", Impact::Outage),
        ("cust-1", "login", Impact::Degraded),
        ("cust-2", "billing", Impact::Question),
        ("cust-0", "billing", Impact::Bug),
        ("cust-1", "billing", Impact::Outage),
        ("cust-2", "api", Impact::Bug),
    ];
    for (i, (customer, category, impact)) in cases.into_iter().enumerate() {
        let mut new = NewTicket::new(
            customer,
            Channel::Email,
            category,
            impact,
            "Something is wrong",
            ports.clock.now(),
        );
        new.intake_key = Some(format!("mail-{i}"));
        let t = engine.create_ticket(new.clone()).await.unwrap();
        // Idempotent intake: the same key gives the same ticket.
        assert_eq!(engine.create_ticket(new).await.unwrap().id, t.id);
        ids.push(t.id);
    }
    engine.dispatch().await.unwrap();
    let (claimed, _) = run(&engine, &ports, 12, TimeDelta::minutes(20)).await;
    assert!(claimed > 0, "tickets came due");
    let before = state(&engine, &ids).await;
    let store = engine.store();
    drop(engine);

    // Restart: a new engine on the reopened store continues where the old one stopped.
    let engine = ports.engine(reopen(store));
    assert_eq!(
        state(&engine, &ids).await,
        before,
        "the restart lost nothing"
    );
    run(&engine, &ports, 36, TimeDelta::minutes(20)).await;
    let after = state(&engine, &ids).await;
    assert_ne!(after, before, "work continued after the restart");
    for ((a, _, _), (b, _, _)) in before.tickets.iter().zip(&after.tickets) {
        assert!(b.version >= a.version);
    }
    // Every effect is delivered once at most (the notifier keeps first deliveries).
    let keys: Vec<_> = ports
        .notifier
        .delivered()
        .iter()
        .map(|n| n.key.clone())
        .collect();
    let unique: HashSet<_> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), unique.len());
    (before, after, keys.len())
}

fn reopen_file(path: &Path) -> impl FnOnce(Arc<dyn TicketStore>) -> Arc<dyn TicketStore> {
    let path = path.to_owned();
    move |store| {
        // Dropping the last handle stops the connection thread and closes the file.
        assert_eq!(Arc::strong_count(&store), 1, "the old engine is gone");
        drop(store);
        Arc::new(SqliteStore::open(&path).unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_end_to_end_with_restart_matches_memory_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine.db");
    let sqlite = Arc::new(SqliteStore::open(&path).unwrap());
    let (s_before, s_after, s_sent) = scenario(sqlite, reopen_file(&path)).await;
    let (m_before, m_after, m_sent) = scenario(Arc::new(MemoryStore::new()), |s| s).await;

    assert!(
        !s_after.tasks.is_empty(),
        "breaches created escalation tasks"
    );
    assert!(s_sent > 0, "notifications were delivered");
    let effects: Vec<&Effect> = s_after.tickets.iter().flat_map(|(_, _, e)| e).collect();
    assert!(!effects.is_empty());
    assert!(effects.iter().any(|e| e.state == EffectState::Delivered));
    assert_eq!(
        s_before, m_before,
        "SQLite and memory agree before the restart"
    );
    assert_eq!(s_after, m_after, "SQLite and memory agree at the end");
    assert_eq!(s_sent, m_sent);
}
