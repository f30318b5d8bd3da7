//! Helpers for process-level tests of a store adapter: several engine processes on one
//! store, or a writer killed with SIGKILL over and over. Whatever the store, such a test
//! needs the same pieces, collected here:
//!
//! - [`Journal`]: an append-only file of lines, each on disk before `append` returns, so a
//!   killed process loses nothing it wrote; [`read_lines`] reads one back.
//! - [`JournalPorts`]: a Notifier and Pager that record each delivery in a [`Journal`], as
//!   the line [`delivery_line`] gives for the effect delivered; comparing the journals with
//!   the store's effects shows what was delivered, how often and by whom.
//! - [`directory_and_profiles`] and [`engine`]: the fixed agents, customer profiles and ports
//!   of the engines under test, for one tenant or several.
//! - [`Contents`]: what the store holds, read straight from its tables by the adapter's own
//!   test code, and [`check_escalations`], the exactly-once checks on it.
//! - [`t0`], the start of every manual clock, and [`Rng`], a small deterministic generator
//!   for kill times.
//!
//! (The [`Journal`] here is a file shared between processes; the in-memory journal of the
//! fault-injecting fakes is [`crate::testkit::fakes::Journal`].)

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::Clock;
use crate::effect::{Effect, EffectKind};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::log::{LogEntry, LogEvent};
use crate::memory::{MemoryDirectory, MemoryProfiles};
use crate::model::{
    Agent, AgentId, Contact, CustomerId, CustomerProfile, CustomerTier, SupportTier, TeamId,
    TenantId, Ticket,
};
use crate::policy::Policy;
use crate::ports::{Notification, Notifier, Page, Pager, TicketStore};
use crate::symbol::Symbol;

/// The start of every process test's manual clock.
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

/// An append-only file of lines; a line is on disk (`sync_data`) before `append` returns.
#[derive(Debug)]
pub struct Journal(Mutex<File>);

impl Journal {
    /// Opens (creating it if missing) the journal file at `path` for appending.
    ///
    /// # Panics
    /// When the file cannot be opened.
    pub fn open(path: &Path) -> Journal {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        Journal(Mutex::new(f))
    }

    /// Appends `line` and a newline, and syncs the file's data to disk.
    ///
    /// # Errors
    /// The I/O error of the write or the sync.
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

/// The receiving side of notifications and pages: records each delivery in a journal (one
/// line per call, as [`delivery_line`] writes it).
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

/// The directory and profiles every engine of these tests uses, the same in each of
/// `tenants`: two Tier 1 agents of capacity 2 (`ana`, skill `billing`; `bo`, skill `login`)
/// in `team-a`, and customers `cust-0` (VIP), `cust-1` (Enterprise) and `cust-2` (Free).
pub fn directory_and_profiles(tenants: &[TenantId]) -> (Arc<MemoryDirectory>, Arc<MemoryProfiles>) {
    let directory = Arc::new(MemoryDirectory::new());
    let profiles = Arc::new(MemoryProfiles::new());
    for tenant in tenants {
        for (id, skill) in [("ana", "billing"), ("bo", "login")] {
            directory.upsert_agent(
                tenant,
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
        for (i, tier) in [
            CustomerTier::Vip,
            CustomerTier::Enterprise,
            CustomerTier::Free,
        ]
        .into_iter()
        .enumerate()
        {
            profiles.insert(
                tenant,
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
    }
    (directory, profiles)
}

/// An engine named `id` on `store`, serving `tenants` (see [`directory_and_profiles`]) and
/// delivering into `journal` through [`JournalPorts`].
///
/// # Panics
/// When the engine cannot be built (an invalid policy).
pub fn engine(
    id: &str,
    policy: Policy,
    store: Arc<dyn TicketStore>,
    clock: Arc<dyn Clock>,
    journal: Arc<Journal>,
    tenants: &[TenantId],
) -> Engine {
    let (directory, profiles) = directory_and_profiles(tenants);
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

/// What a store holds, read straight from its tables (each adapter's tests have their own
/// reader).
#[derive(Debug, Default)]
pub struct Contents {
    /// Every ticket, of every tenant.
    pub tickets: Vec<Ticket>,
    /// Each ticket's log entries in order, by ticket id.
    pub log: HashMap<i64, Vec<LogEntry>>,
    /// Every effect, of every tenant.
    pub effects: Vec<Effect>,
}

/// Checks that every escalation due by `now` happened, and exactly once: a running clock
/// whose deadline passed has breached; each breach is logged once; each fired ladder step
/// is logged once. Returns the number of breached clocks.
///
/// # Panics
/// On the first violation, naming the ticket.
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

/// A small deterministic generator (xorshift64*), for kill times and the like.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value; 0 is made non-zero).
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}
