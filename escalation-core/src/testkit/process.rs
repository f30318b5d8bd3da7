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
//! - [`env_or`] for the tests' size knobs, [`child_test`] to start an ignored test of the
//!   running test binary as a child process, [`child_env`] for the child to read its role,
//!   [`wait_all`] to wait for several, and [`runtime`] for the parent's own store calls.
//! - The kill test: [`crash_child`], the child's whole life (work until killed, or drain);
//!   [`kill_loop`], the parent's loop of spawn, SIGKILL and checks; [`check_after_kill`] and
//!   [`check_drained`], the store-independent checks after each kill and after the drain.
//! - Several processes on one store: [`Schedule`], the manual-clock schedule they step
//!   through together (a loose barrier on progress files) with [`Tally`], what each child's
//!   sweeps and dispatches did; [`Deliveries`] and [`check_deliveries`], every delivered
//!   effect exactly once across the children's journals; [`check_some_breached`].
//!
//! (The [`Journal`] here is a file shared between processes; the in-memory journal of the
//! fault-injecting fakes is [`crate::testkit::fakes::Journal`].)

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::{Clock, ManualClock};
use crate::effect::{Effect, EffectKind, EffectState};
use crate::engine::{DispatchReport, Engine, SweepReport};
use crate::error::{Error, Result};
use crate::log::{LogEntry, LogEvent};
use crate::memory::{MemoryDirectory, MemoryProfiles};
use crate::model::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Impact, NewTicket,
    SupportTier, TeamId, TenantId, Ticket,
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

/// The environment variable `name` parsed as a `T`; `default` when it is unset or does not
/// parse.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A command that runs the ignored test `test` of the running test binary (found through
/// `std::env::current_exe()`), alone, on one test thread, with its output shown and no
/// stdin: the way a process-level test starts its children. Add the child's environment
/// (and, to silence it, `stdout(Stdio::null())`) before spawning it.
///
/// # Panics
/// When the running executable cannot be found.
pub fn child_test(test: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        test,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .stdin(Stdio::null());
    cmd
}

/// A current-thread runtime with every driver enabled: for a parent test that calls a store
/// (`block_on`) between its child processes, from synchronous code.
///
/// # Panics
/// When the runtime cannot be built.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// In a child that [`child_test`] started: the role and the shared directory its parent put
/// in the environment variables `role_var` and `dir_var`; `None` when the test runs by
/// itself, not as a child (then it should return at once).
///
/// # Panics
/// When the role is set but the directory is not.
pub fn child_env(role_var: &str, dir_var: &str) -> Option<(String, PathBuf)> {
    let role = std::env::var(role_var).ok()?;
    Some((role, PathBuf::from(std::env::var(dir_var).unwrap())))
}

/// Waits for every child to exit.
///
/// # Panics
/// When a child exits unsuccessfully (`child {i} failed: {status}`, `i` its place in
/// `children`), or when they have not all exited within `timeout`; the children still
/// running are killed first.
pub fn wait_all(children: Vec<Child>, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut children: Vec<(Child, Option<ExitStatus>)> =
        children.into_iter().map(|c| (c, None)).collect();
    let kill_all = |children: &mut Vec<(Child, Option<ExitStatus>)>| {
        for (c, s) in children.iter_mut() {
            if s.is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    };
    while children.iter().any(|(_, s)| s.is_none()) {
        for (c, s) in &mut children {
            if s.is_none() {
                *s = c.try_wait().unwrap();
            }
        }
        if let Some(i) = children
            .iter()
            .position(|(_, s)| s.is_some_and(|s| !s.success()))
        {
            let status = children[i].1.unwrap();
            kill_all(&mut children);
            panic!("child {i} failed: {status}");
        }
        if Instant::now() > deadline {
            kill_all(&mut children);
            panic!("the children did not finish in {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Tickets a kill test's child takes in per iteration of its loop.
pub const CRASH_PER_ITERATION: u64 = 3;

/// Manual-clock minutes per iteration of a kill test's child (so breaches, and with them
/// effects, happen while children are being killed).
pub const CRASH_STEP_MINUTES: i64 = 5;

/// The files a kill test's children and parent share in one directory.
struct CrashFiles {
    /// The intake keys the children saw acknowledged, one a line.
    acked: PathBuf,
    /// The receiver's journal of deliveries.
    journal: PathBuf,
    /// The iteration the last child was at.
    iteration: PathBuf,
    /// The instant the drain child finished at (RFC 3339).
    drained_at: PathBuf,
}

impl CrashFiles {
    fn in_dir(dir: &Path) -> CrashFiles {
        CrashFiles {
            acked: dir.join("acked"),
            journal: dir.join("journal"),
            iteration: dir.join("iteration"),
            drained_at: dir.join("drained_at"),
        }
    }
}

/// The intake key (`t-{n}`) and tenant of a kill test's ticket `n`: the tickets go round
/// `tenants`.
pub fn crash_intake(n: u64, tenants: &[TenantId]) -> (String, TenantId) {
    let tenant = &tenants[(n % tenants.len() as u64) as usize];
    (format!("t-{n}"), tenant.clone())
}

/// The whole life of a kill test's child, an engine `crash-child` on `store` serving
/// `tenants`, with its files in `dir` (it runs again, with the same instant and the same
/// intake keys, the iteration that was under way when the last child died: intake is
/// idempotent).
///
/// - `role` `work`: loops until killed. Each iteration sets the manual clock to
///   `t0 + iteration · CRASH_STEP_MINUTES`, takes in [`CRASH_PER_ITERATION`] tickets (intake
///   keys and tenants from [`crash_intake`]), recording each key once acknowledged, sweeps,
///   dispatches and records the next iteration.
/// - `role` `drain`: five days on, an hour at a time, then ten minutes at a time until
///   nothing is left to do; records the instant it finished at (see [`check_drained`]).
///
/// # Panics
/// On any error, and on another role.
pub async fn crash_child(
    role: &str,
    dir: &Path,
    store: Arc<dyn TicketStore>,
    tenants: &[TenantId],
) {
    let f = CrashFiles::in_dir(dir);
    let mut iteration: i64 = std::fs::read_to_string(&f.iteration)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let clock = Arc::new(ManualClock::new(
        t0() + TimeDelta::minutes(CRASH_STEP_MINUTES * iteration),
    ));
    let journal = Arc::new(Journal::open(&f.journal));
    let acked = Journal::open(&f.acked);
    let engine = engine(
        "crash-child",
        Policy::default(),
        store.clone(),
        clock.clone(),
        journal,
        tenants,
    );
    if role == "drain" {
        for _ in 0..(5 * 24) {
            clock.advance(TimeDelta::hours(1));
            engine.sweep().await.unwrap();
            engine.dispatch().await.unwrap();
        }
        loop {
            let s = engine.sweep().await.unwrap();
            let d = engine.dispatch().await.unwrap();
            let now = clock.now();
            let effect_due = store.next_effect_due().await.unwrap();
            if s.claimed == 0 && d.claimed == 0 && effect_due.is_none_or(|t| t > now) {
                break;
            }
            clock.advance(TimeDelta::minutes(10));
        }
        std::fs::write(&f.drained_at, clock.now().to_rfc3339()).unwrap();
        return;
    }
    assert_eq!(role, "work");
    let cases = [
        ("cust-0", "billing", Impact::Outage),
        ("cust-1", "login", Impact::Degraded),
        ("cust-2", "api", Impact::Bug),
    ];
    loop {
        clock.set(t0() + TimeDelta::minutes(CRASH_STEP_MINUTES * iteration));
        for j in 0..CRASH_PER_ITERATION {
            let n = iteration as u64 * CRASH_PER_ITERATION + j;
            let (customer, category, impact) = cases[(n % 3) as usize];
            let mut new = NewTicket::new(
                customer,
                Channel::Email,
                category,
                impact,
                "Something is wrong",
                clock.now(),
            );
            let (key, tenant) = crash_intake(n, tenants);
            new.tenant = tenant;
            new.intake_key = Some(key.clone());
            engine.create_ticket(new).await.unwrap();
            acked.append(&key).unwrap();
        }
        engine.sweep().await.unwrap();
        engine.dispatch().await.unwrap();
        iteration += 1;
        std::fs::write(&f.iteration, iteration.to_string()).unwrap();
    }
}

/// What the checks after a kill (or after the drain) counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AfterKill {
    /// Intakes the children saw acknowledged.
    pub acked: usize,
    /// Effects in the store.
    pub effects: usize,
    /// Journal lines delivered more than once (at-least-once redeliveries after a kill).
    pub repeats: usize,
}

/// The store-independent checks after a kill, on the files of a kill test in `dir` whose
/// children served `tenants`:
///
/// - every intake the children saw acknowledged is in the store, in its tenant:
///   `stored(tenant, key)` says whether the store holds it (`stored` is dropped before
///   `contents` is called);
/// - every line of the receiver's journal is the delivery of an effect in `contents()`, and
///   every effect marked delivered is in the journal.
///
/// # Panics
/// On the first violation.
pub fn check_after_kill(
    dir: &Path,
    tenants: &[TenantId],
    stored: impl FnMut(&TenantId, &str) -> bool,
    contents: impl FnOnce() -> Contents,
) -> AfterKill {
    let f = CrashFiles::in_dir(dir);
    let acked: HashSet<String> = read_lines(&f.acked).into_iter().collect();
    check_acked(&acked, tenants, stored);
    let contents = contents();
    let lines: HashMap<String, usize> =
        read_lines(&f.journal)
            .into_iter()
            .fold(HashMap::new(), |mut m, l| {
                *m.entry(l).or_default() += 1;
                m
            });
    let effect_lines: HashSet<String> = contents.effects.iter().map(delivery_line).collect();
    for line in lines.keys() {
        assert!(
            effect_lines.contains(line),
            "journal line {line} is not an effect in the store"
        );
    }
    for e in &contents.effects {
        if e.state == EffectState::Delivered {
            assert!(
                lines.contains_key(&delivery_line(e)),
                "effect {} is marked delivered but the receiver never got it",
                e.key
            );
        }
    }
    AfterKill {
        acked: acked.len(),
        effects: contents.effects.len(),
        repeats: lines.values().filter(|n| **n > 1).count(),
    }
}

fn check_acked(
    acked: &HashSet<String>,
    tenants: &[TenantId],
    mut stored: impl FnMut(&TenantId, &str) -> bool,
) {
    for key in acked {
        let n: u64 = key.strip_prefix("t-").unwrap().parse().unwrap();
        let (_, tenant) = crash_intake(n, tenants);
        assert!(
            stored(&tenant, key),
            "acknowledged intake {key} of {tenant} is not in the store"
        );
    }
}

/// The checks after the drain child of a kill test in `dir` finished, on what the store
/// then holds: no effect is pending, and every escalation due by the instant the drain
/// finished at happened exactly once ([`check_escalations`]), some clocks having breached.
/// Returns the number of breached clocks.
///
/// # Panics
/// On the first violation.
pub fn check_drained(dir: &Path, contents: &Contents) -> usize {
    let drained_at = DateTime::parse_from_rfc3339(
        std::fs::read_to_string(CrashFiles::in_dir(dir).drained_at)
            .unwrap()
            .trim(),
    )
    .unwrap()
    .to_utc();
    let pending: Vec<_> = contents
        .effects
        .iter()
        .filter(|e| e.state == EffectState::Pending)
        .map(|e| e.key.clone())
        .collect();
    assert!(pending.is_empty(), "effects still pending: {pending:?}");
    let breached = check_escalations(contents, drained_at);
    assert!(breached > 0, "tickets breached");
    breached
}

/// What a [`kill_loop`] did.
#[derive(Debug, Clone)]
pub struct Kills {
    /// The number of kills.
    pub runs: usize,
    /// The seed of the kill times.
    pub seed: u64,
    /// What the checks after the last kill counted.
    pub last: AfterKill,
    started: Instant,
    took: Duration,
}

impl Kills {
    /// The closing line of a kill test: the kills and the drain (the time since the loop),
    /// the `tickets` and `breached` clocks in the store after the drain, and what the checks
    /// after the drain counted.
    pub fn summary(&self, tickets: usize, breached: usize, drained: &AfterKill) -> String {
        format!(
            "{} kills in {:?} + drain in {:?} (seed {}): {tickets} tickets, {} intakes \
             acknowledged, {} effects, {breached} breached clocks, {} deliveries repeated \
             after kills ({} before the drain)",
            self.runs,
            self.took,
            self.started.elapsed() - self.took,
            self.seed,
            drained.acked,
            drained.effects,
            drained.repeats,
            self.last.repeats
        )
    }
}

/// The parent's loop of a kill test, `runs` times: `spawn` a child, let it work a random
/// time in `kill_after_ms` milliseconds (from [`Rng`] seeded with `seed`), SIGKILL it and
/// run the `check`s. Prints the counts every ten kills and after the last.
///
/// # Panics
/// When a child exits by itself before its kill; on any failed check.
pub fn kill_loop(
    runs: usize,
    seed: u64,
    kill_after_ms: RangeInclusive<u64>,
    mut spawn: impl FnMut() -> Child,
    mut check: impl FnMut() -> AfterKill,
) -> Kills {
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut last = AfterKill::default();
    let spread = kill_after_ms.end() - kill_after_ms.start() + 1;
    for run in 0..runs {
        let mut c = spawn();
        std::thread::sleep(Duration::from_millis(
            kill_after_ms.start() + rng.below(spread),
        ));
        if let Some(status) = c.try_wait().unwrap() {
            panic!("run {run}: the child exited by itself ({status}) before the kill");
        }
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
        last = check();
        if run % 10 == 9 || run + 1 == runs {
            println!(
                "run {}: {} intakes acknowledged, {} effects, {} repeated deliveries",
                run + 1,
                last.acked,
                last.effects,
                last.repeats
            );
        }
    }
    Kills {
        runs,
        seed,
        last,
        started,
        took: started.elapsed(),
    }
}

/// The policy of engines that share a store on one [`Schedule`]: the default, with an
/// hour's dispatch lease (longer than the children's skew, see [`Schedule::max_skew`]) and
/// queued tickets (two agents of capacity 2 per tenant cannot take them all) retried daily.
pub fn schedule_policy() -> Policy {
    let mut p = Policy::default();
    p.dispatch.lease_seconds = 3_600;
    p.routing.retry_after_seconds = 86_400;
    p
}

/// The manual-clock schedule several child processes step through together, each on its
/// own clock: `t0 + k·step_minutes` for `k` in `0..=steps`. A loose barrier on progress
/// files in a shared directory keeps them close: a child starts step `k` once every child
/// has finished step `k - max_skew`.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// How many children step through it.
    pub children: usize,
    /// Minutes per step.
    pub step_minutes: i64,
    /// The last step.
    pub steps: i64,
    /// How many steps a child may run ahead of the slowest one, so the others' clocks are
    /// at most `max_skew - 1` steps behind. Leases are in clock time, so that must stay
    /// below the dispatch lease, or a lagging dispatcher's lease would look expired to a
    /// leading one, and its effect would legitimately go out twice.
    pub max_skew: i64,
}

impl Schedule {
    /// The instant of step `k`.
    pub fn instant(&self, k: i64) -> DateTime<Utc> {
        t0() + TimeDelta::minutes(self.step_minutes * k)
    }

    /// The instant of the last step.
    pub fn final_instant(&self) -> DateTime<Utc> {
        self.instant(self.steps)
    }

    /// Child `i`'s journal in `dir`.
    pub fn journal(dir: &Path, i: usize) -> PathBuf {
        dir.join(format!("journal-{i}"))
    }

    fn progress(dir: &Path, i: usize) -> PathBuf {
        dir.join(format!("progress-{i}"))
    }

    /// The last step child `i` finished (-1: none yet).
    fn read_progress(dir: &Path, i: usize) -> i64 {
        std::fs::read_to_string(Schedule::progress(dir, i))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(-1)
    }

    /// Child `me`'s run through the schedule with `engine` on `store`, its manual `clock`
    /// and the other children's progress in `dir`. At each step: wait for the slowest child
    /// (the loose barrier), set the clock to the step's instant, run `at_step(k)` (the
    /// scenario's own work of the step), sweep and dispatch, record the step as finished.
    /// Then, at the final instant, sweep and dispatch until no ticket is due and no effect
    /// is pending (another child may still hold some under lease).
    ///
    /// # Panics
    /// On any error.
    pub async fn run(
        &self,
        dir: &Path,
        me: usize,
        engine: &Engine,
        store: &dyn TicketStore,
        clock: &ManualClock,
        mut at_step: impl AsyncFnMut(i64),
    ) -> Tally {
        let mut tally = Tally::default();
        for k in 0..=self.steps {
            while (0..self.children).any(|i| Schedule::read_progress(dir, i) < k - self.max_skew) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            clock.set(self.instant(k));
            at_step(k).await;
            tally.sweep_and_dispatch(engine).await;
            std::fs::write(Schedule::progress(dir, me), k.to_string()).unwrap();
        }
        let now = self.final_instant();
        loop {
            tally.sweep_and_dispatch(engine).await;
            let due = store.next_due().await.unwrap();
            let effect_due = store.next_effect_due().await.unwrap();
            if due.is_none_or(|t| t > now) && effect_due.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tally
    }
}

/// What one child's sweeps and dispatches did, added up (displayed as `claimed {claimed}
/// tickets, delivered {delivered}, {conflicts} conflicts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Due tickets claimed by sweeps.
    pub claimed: usize,
    /// Sweep and dispatch conflicts.
    pub conflicts: usize,
    /// Effects delivered.
    pub delivered: usize,
}

impl Tally {
    /// Adds a sweep's and a dispatch's reports.
    pub fn add(&mut self, s: &SweepReport, d: &DispatchReport) {
        self.claimed += s.claimed;
        self.conflicts += s.conflicts + d.conflicts;
        self.delivered += d.delivered;
    }

    /// One sweep and one dispatch of `engine`, added.
    ///
    /// # Panics
    /// When either fails.
    pub async fn sweep_and_dispatch(&mut self, engine: &Engine) {
        let s = engine.sweep().await.unwrap();
        let d = engine.dispatch().await.unwrap();
        self.add(&s, &d);
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "claimed {} tickets, delivered {}, {} conflicts",
            self.claimed, self.delivered, self.conflicts
        )
    }
}

/// Who delivered what, from several named journals: for each journal line, the journals
/// that hold it and its place in each, as `(journal, line number)`.
#[derive(Debug, Default)]
pub struct Deliveries(HashMap<String, Vec<(String, usize)>>);

impl Deliveries {
    /// Reads the `journals`, each a name and a path (a missing file is empty).
    pub fn read<N: Into<String>>(journals: impl IntoIterator<Item = (N, PathBuf)>) -> Deliveries {
        let mut seen: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (name, path) in journals {
            let name = name.into();
            for (at, l) in read_lines(&path).into_iter().enumerate() {
                seen.entry(l).or_default().push((name.clone(), at));
            }
        }
        Deliveries(seen)
    }

    /// The deliveries of `e`, as `(journal, line number)`.
    pub fn of(&self, e: &Effect) -> &[(String, usize)] {
        self.0.get(&delivery_line(e)).map_or(&[][..], Vec::as_slice)
    }
}

/// Which deliveries of cancelled effects [`check_deliveries`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledDeliveries {
    /// None: a cancelled effect is in no journal.
    Never,
    /// The race the store contract allows: a page repeat (trigger) that a dispatcher had
    /// claimed when the ticket's resolve cancelled it may be on its way to the pager, so it
    /// may be delivered, at most once; the page's resolve is then held until that claim's
    /// lease ends, so it is delivered later than the cancellation, and where one journal
    /// holds both a page's trigger and its resolve the trigger comes first.
    PageRepeatsInFlight,
}

/// What [`check_deliveries`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// Effects delivered (each exactly once).
    pub delivered: usize,
    /// Effects cancelled.
    pub cancelled: usize,
    /// Cancelled effects delivered anyway (page repeats already on their way).
    pub cancelled_in_flight: usize,
}

/// Checks the store's effects against the journals of every process that delivered: no
/// effect is pending or dead-lettered; each delivered effect is in exactly one journal, once;
/// a cancelled effect is in none but as `cancelled` allows; no two effects have one delivery
/// line, and no journal line is foreign.
///
/// # Panics
/// On the first violation, naming the effect.
pub fn check_deliveries(
    c: &Contents,
    seen: &Deliveries,
    cancelled: CancelledDeliveries,
) -> DeliveryCounts {
    let page_resolves: HashMap<&str, &Effect> = c
        .effects
        .iter()
        .filter_map(|e| match &e.kind {
            EffectKind::PageResolve { page } => Some((&*page.dedup_key, e)),
            _ => None,
        })
        .collect();
    let mut counts = DeliveryCounts::default();
    let mut lines_of_effects = HashSet::new();
    for e in &c.effects {
        assert_ne!(
            e.state,
            EffectState::Pending,
            "effect {} still pending",
            e.key
        );
        assert_ne!(e.state, EffectState::DeadLettered, "effect {} dead", e.key);
        let by = seen.of(e);
        if e.state == EffectState::Delivered {
            counts.delivered += 1;
            assert_eq!(
                by.len(),
                1,
                "effect {} delivered by (journal, line) {by:?}",
                e.key
            );
        } else {
            counts.cancelled += 1;
            if !by.is_empty() {
                let EffectKind::PageTrigger { page } = &e.kind else {
                    panic!(
                        "cancelled effect {} delivered by (journal, line) {by:?}",
                        e.key
                    );
                };
                assert!(
                    cancelled == CancelledDeliveries::PageRepeatsInFlight,
                    "cancelled page trigger {} delivered by (journal, line) {by:?}",
                    e.key
                );
                assert_eq!(
                    by.len(),
                    1,
                    "cancelled page trigger {} delivered by (journal, line) {by:?}",
                    e.key
                );
                let resolve = page_resolves
                    .get(&*page.dedup_key)
                    .unwrap_or_else(|| panic!("cancelled trigger {} without a resolve", e.key));
                assert!(
                    resolve.state == EffectState::Delivered
                        && e.finished_at.is_some_and(|at| resolve.next_attempt_at > at),
                    "cancelled page trigger {} was delivered (by {}), but the page's resolve \
                     {} was not held past the cancellation at {:?}: {:?} at {}",
                    e.key,
                    by[0].0,
                    resolve.key,
                    e.finished_at,
                    resolve.state,
                    resolve.next_attempt_at
                );
                counts.cancelled_in_flight += 1;
            }
        }
        assert!(
            lines_of_effects.insert(delivery_line(e)),
            "two effects, one delivery line"
        );
    }
    for line in seen.0.keys() {
        assert!(lines_of_effects.contains(line), "foreign delivery {line}");
    }
    if cancelled == CancelledDeliveries::PageRepeatsInFlight {
        // Where one journal holds both, a page's triggers come before its resolve.
        for e in &c.effects {
            let EffectKind::PageTrigger { page } = &e.kind else {
                continue;
            };
            let Some(resolve) = page_resolves.get(&*page.dedup_key) else {
                continue;
            };
            let resolved_by = seen.of(resolve);
            for (journal, at) in seen.of(e) {
                for (resolver, resolved_at) in resolved_by {
                    assert!(
                        journal != resolver || at < resolved_at,
                        "{journal} delivered page trigger {} after the page's resolve",
                        e.key
                    );
                }
            }
        }
    }
    counts
}

/// [`check_escalations`] at `now`, and that a proper subset of the tickets breached (some,
/// not all). Returns the breached clocks and the tickets with a breached clock.
///
/// # Panics
/// On the first violation.
pub fn check_some_breached(c: &Contents, now: DateTime<Utc>) -> (usize, usize) {
    let breached = check_escalations(c, now);
    let n = c.tickets.len();
    let breached_tickets = c
        .tickets
        .iter()
        .filter(|t| t.sla.iter().any(|c| c.breached_at.is_some()))
        .count();
    assert!(
        breached_tickets > 0 && breached_tickets < n,
        "a proper subset of the tickets breached ({breached_tickets} of {n})"
    );
    (breached, breached_tickets)
}
