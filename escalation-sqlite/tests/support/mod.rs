//! Helpers shared by the process-level tests (`crash.rs`, `processes.rs`): journaling
//! ports, the engine's fixed ports, and readers of a database file's raw contents.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::effect::{Effect, EffectKind};
use escalation_core::log::LogEvent;
use escalation_core::memory::{MemoryDirectory, MemoryProfiles};
use escalation_core::ports::{Notification, Notifier, Page, Pager, TicketStore};
use escalation_core::{
    Agent, AgentId, Clock, Contact, CustomerId, CustomerProfile, CustomerTier, Engine, Error,
    LogEntry, Policy, Result, SupportTier, Symbol, TeamId, TenantId, Ticket,
};

/// The start of every test's manual clock.
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

/// An append-only file of lines; a line is on disk (`sync_data`) before `append` returns.
#[derive(Debug)]
pub struct Journal(Mutex<File>);

impl Journal {
    pub fn open(path: &Path) -> Journal {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        Journal(Mutex::new(f))
    }

    pub fn append(&self, line: &str) -> std::io::Result<()> {
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(format!("{line}\n").as_bytes())?;
        f.flush()?;
        f.sync_data()
    }
}

/// The lines of a journal (missing file: none). A torn last line cannot happen (a killed
/// process does not lose what it wrote), but an empty trailing line is skipped.
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn port_err(port: &'static str, e: std::io::Error) -> Error {
    Error::port_transient(port, e.to_string())
}

/// The receiving side of notifications and pages: records each delivery in a journal.
#[derive(Debug, Clone)]
pub struct JournalPorts(pub Arc<Journal>);

#[async_trait]
impl Notifier for JournalPorts {
    async fn send(&self, n: &Notification) -> Result<()> {
        self.0
            .append(&format!("notify:{}", n.key))
            .map_err(|e| port_err("Notifier", e))
    }
}

#[async_trait]
impl Pager for JournalPorts {
    async fn trigger(&self, page: &Page) -> Result<()> {
        self.0
            .append(&format!("trigger:{}", page.call_key()))
            .map_err(|e| port_err("Pager", e))
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        self.0
            .append(&format!("resolve:{dedup_key}"))
            .map_err(|e| port_err("Pager", e))
    }
}

/// The line a delivery of `e` writes to a journal.
pub fn delivery_line(e: &Effect) -> String {
    match &e.kind {
        EffectKind::Notify { notification } => format!("notify:{}", notification.key),
        EffectKind::PageTrigger { page } => format!("trigger:{}", page.call_key()),
        EffectKind::PageResolve { page } => format!("resolve:{}", page.dedup_key),
    }
}

/// The directory and profiles every engine of these tests uses.
pub fn directory_and_profiles() -> (Arc<MemoryDirectory>, Arc<MemoryProfiles>) {
    let tenant = TenantId::default_tenant();
    let directory = Arc::new(MemoryDirectory::new());
    for (id, skill) in [("ana", "billing"), ("bo", "login")] {
        directory.upsert_agent(
            &tenant,
            Agent {
                id: AgentId::new(id),
                name: Arc::from(id),
                tier: SupportTier::Tier1,
                skills: vec![Symbol::intern(skill)].into_iter().collect(),
                generalist: false,
                email: None,
                capacity: 2,
                available: true,
                team: TeamId::new("team-a"),
            },
        );
    }
    let profiles = Arc::new(MemoryProfiles::new());
    for (i, tier) in [
        CustomerTier::Vip,
        CustomerTier::Enterprise,
        CustomerTier::Free,
    ]
    .into_iter()
    .enumerate()
    {
        profiles.insert(
            &tenant,
            CustomerProfile {
                customer: CustomerId::new(format!("cust-{i}")),
                tier,
                lifetime_value: 1000.0 * i as f64,
                customer_since: t0() - TimeDelta::days(400),
                prior_tickets: 3,
                prior_escalations: 0,
                contact: Contact::email(&format!("cust-{i}"), "customer@example.invalid"),
            },
        );
    }
    (directory, profiles)
}

/// An engine on `store` delivering into `journal`.
pub fn engine(
    id: &str,
    policy: Policy,
    store: Arc<dyn TicketStore>,
    clock: Arc<dyn Clock>,
    journal: Arc<Journal>,
) -> Engine {
    let (directory, profiles) = directory_and_profiles();
    let ports = JournalPorts(journal);
    Engine::builder()
        .engine_id(id)
        .policy(policy)
        .store(store)
        .directory(directory)
        .profiles(profiles)
        .notifier(Arc::new(ports.clone()))
        .pager(Arc::new(ports))
        .clock(clock)
        .build()
        .unwrap()
}

/// What a database file holds, read straight from its tables.
pub struct Contents {
    pub tickets: Vec<Ticket>,
    pub log: HashMap<i64, Vec<LogEntry>>,
    pub effects: Vec<Effect>,
}

pub fn read_contents(path: &Path) -> Contents {
    let conn = rusqlite::Connection::open(path).unwrap();
    // Documents are JSON text, or LZ4-compressed JSON blobs (ticket and log documents).
    let bodies = |sql: &str| -> Vec<(i64, Vec<u8>)> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| {
            let json = match r.get_ref(1)? {
                rusqlite::types::ValueRef::Text(t) => t.to_vec(),
                rusqlite::types::ValueRef::Blob(b) => {
                    lz4_flex::decompress_size_prepended(b).unwrap()
                }
                other => panic!("unexpected body {other:?}"),
            };
            Ok((r.get(0)?, json))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    };
    let tickets = bodies("SELECT id, body FROM tickets ORDER BY id")
        .into_iter()
        .map(|(_, b)| serde_json::from_slice(&b).unwrap())
        .collect();
    let mut log: HashMap<i64, Vec<LogEntry>> = HashMap::new();
    for (t, b) in bodies("SELECT ticket, body FROM log_rows ORDER BY seq") {
        let entries: Vec<LogEntry> = serde_json::from_slice(&b).unwrap();
        log.entry(t).or_default().extend(entries);
    }
    let effects = bodies("SELECT seq, body FROM effects ORDER BY seq")
        .into_iter()
        .map(|(_, b)| serde_json::from_slice(&b).unwrap())
        .collect();
    Contents {
        tickets,
        log,
        effects,
    }
}

/// `PRAGMA integrity_check` on a fresh connection.
pub fn integrity_check(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .unwrap()
}

/// Checks that every escalation due by `now` happened, and exactly once: a running clock
/// whose deadline passed has breached; each breach is logged once; each fired ladder step
/// is logged once. Returns the number of breached clocks.
pub fn check_escalations(c: &Contents, now: DateTime<Utc>) -> usize {
    let mut breached = 0;
    for t in &c.tickets {
        let log = c.log.get(&(t.id.0 as i64)).map_or(&[][..], Vec::as_slice);
        let mut breaches: HashMap<(String, u32), usize> = HashMap::new();
        let mut fired_logged: HashMap<(String, String, u32), usize> = HashMap::new();
        for e in log {
            match &e.event {
                LogEvent::SlaBreached { target, cycle, .. } => {
                    *breaches.entry((format!("{target:?}"), *cycle)).or_default() += 1;
                }
                LogEvent::LevelFired {
                    level,
                    target,
                    cycle,
                    ..
                } => {
                    *fired_logged
                        .entry((level.to_string(), format!("{target:?}"), *cycle))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        for clock in &t.sla {
            let running = clock.stopped_at.is_none() && clock.running_since.is_some();
            let overdue = clock.deadline.is_some_and(|d| d <= now);
            let key = (format!("{:?}", clock.target), clock.cycle);
            let logged = breaches.get(&key).copied().unwrap_or(0);
            if clock.breached_at.is_some() {
                breached += 1;
                assert_eq!(
                    logged, 1,
                    "ticket {}: clock {key:?} breach logged {logged} times",
                    t.id
                );
            } else {
                assert!(
                    !(running && overdue),
                    "ticket {}: clock {key:?} is past its deadline {:?} at {now} but not breached",
                    t.id,
                    clock.deadline
                );
                assert_eq!(
                    logged, 0,
                    "ticket {}: breach of {key:?} logged, not recorded",
                    t.id
                );
            }
        }
        let unique: HashSet<_> = t.fired.iter().collect();
        assert_eq!(
            unique.len(),
            t.fired.len(),
            "ticket {}: a step fired twice",
            t.id
        );
        let mut fired_state: HashMap<(String, String, u32), usize> = HashMap::new();
        for f in &t.fired {
            *fired_state
                .entry((f.level.to_string(), format!("{:?}", f.target), f.cycle))
                .or_default() += 1;
        }
        assert_eq!(
            fired_logged, fired_state,
            "ticket {}: level_fired entries do not match the fired steps",
            t.id
        );
    }
    breached
}
