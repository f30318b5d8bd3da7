//! Crash robustness: a child process runs the engine on a SQLite file (intake with intake
//! keys, sweeps, dispatch) and is SIGKILLed at a random moment, over and over; after each
//! kill the parent checks the file. Then one last child drains all due work.
//!
//! Checks after every kill: `PRAGMA integrity_check` is `ok`; every intake the child saw
//! acknowledged is in the store (`find_by_intake_key`); every line of the receiver's journal
//! is the delivery of an effect in the store, and every effect marked delivered is in the
//! journal (repeats in the journal are at-least-once redeliveries after a kill, counted and
//! printed). After the drain: no effect is pending, and every running SLA clock whose
//! deadline passed has breached, with one `sla_breached` entry and one `level_fired` entry
//! per fired ladder step.
//!
//! The number of kills is `ESCALATION_CRASH_RUNS` (default 100); the long run is
//! `ESCALATION_CRASH_RUNS=1000 cargo test --release -p escalation-sqlite --test crash`.
//! The child is the ignored test `crash_child` of this same binary, started through
//! `std::env::current_exe()`; run alone, it returns at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use escalation_core::effect::EffectState;
use escalation_core::ports::TicketStore;
use escalation_core::{Channel, Clock, Impact, ManualClock, NewTicket, Policy, TenantId};
use escalation_sqlite::SqliteStore;

use support::{Journal, check_escalations, delivery_line, integrity_check, read_contents, t0};

const ROLE: &str = "ESCALATION_CRASH_ROLE";
const DIR: &str = "ESCALATION_CRASH_DIR";
/// Tickets taken in per loop iteration of the child.
const PER_ITERATION: u64 = 3;
/// Manual-clock minutes per loop iteration of the child (so breaches, and with them
/// effects, happen while children are being killed).
const STEP_MINUTES: i64 = 5;

struct Files {
    db: PathBuf,
    acked: PathBuf,
    journal: PathBuf,
    iteration: PathBuf,
}

fn files(dir: &Path) -> Files {
    Files {
        db: dir.join("crash.db"),
        acked: dir.join("acked"),
        journal: dir.join("journal"),
        iteration: dir.join("iteration"),
    }
}

/// The child: `work` loops until killed; `drain` finishes all work and exits.
#[test]
#[ignore = "a child process of crash_kill_loop"]
fn crash_child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(DIR).unwrap());
    let f = files(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // The iteration that was under way when the last child died is run again: the same
        // instant and the same intake keys (intake is idempotent).
        let mut iteration: i64 = std::fs::read_to_string(&f.iteration)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let clock = Arc::new(ManualClock::new(
            t0() + TimeDelta::minutes(STEP_MINUTES * iteration),
        ));
        let store: Arc<dyn TicketStore> = Arc::new(SqliteStore::open(&f.db).unwrap());
        let journal = Arc::new(Journal::open(&f.journal));
        let acked = Journal::open(&f.acked);
        let engine = support::engine(
            "crash-child",
            Policy::default(),
            store.clone(),
            clock.clone(),
            journal,
        );
        if role == "drain" {
            // Five days on, an hour at a time, then until nothing is left to do.
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
            std::fs::write(dir.join("drained_at"), clock.now().to_rfc3339()).unwrap();
            return;
        }
        assert_eq!(role, "work");
        let cases = [
            ("cust-0", "billing", Impact::Outage),
            ("cust-1", "login", Impact::Degraded),
            ("cust-2", "api", Impact::Bug),
        ];
        loop {
            clock.set(t0() + TimeDelta::minutes(STEP_MINUTES * iteration));
            for j in 0..PER_ITERATION {
                let n = iteration as u64 * PER_ITERATION + j;
                let (customer, category, impact) = cases[(n % 3) as usize];
                let mut new = NewTicket::new(
                    customer,
                    Channel::Email,
                    category,
                    impact,
                    "Something is wrong",
                    clock.now(),
                );
                let key = format!("t-{n}");
                new.intake_key = Some(key.clone());
                engine.create_ticket(new).await.unwrap();
                acked.append(&key).unwrap();
            }
            engine.sweep().await.unwrap();
            engine.dispatch().await.unwrap();
            iteration += 1;
            std::fs::write(&f.iteration, iteration.to_string()).unwrap();
        }
    });
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn child(dir: &Path, role: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "crash_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(ROLE, role)
    .env(DIR, dir)
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    cmd
}

/// The checks after each kill. Returns the number of repeated deliveries in the journal.
fn check_file(dir: &Path, rt: &tokio::runtime::Runtime) -> (usize, usize, usize) {
    let f = files(dir);
    assert_eq!(integrity_check(&f.db), "ok");
    let acked: HashSet<String> = support::read_lines(&f.acked).into_iter().collect();
    let store = SqliteStore::open(&f.db).unwrap();
    let tenant = TenantId::default_tenant();
    rt.block_on(async {
        for key in &acked {
            let found = store.find_by_intake_key(&tenant, key).await.unwrap();
            assert!(
                found.is_some(),
                "acknowledged intake {key} is not in the store"
            );
        }
    });
    drop(store);
    let contents = read_contents(&f.db);
    let lines: HashMap<String, usize> =
        support::read_lines(&f.journal)
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
    let repeats = lines.values().filter(|n| **n > 1).count();
    (acked.len(), contents.effects.len(), repeats)
}

#[test]
fn crash_kill_loop() {
    let runs: usize = std::env::var("ESCALATION_CRASH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let seed: u64 = std::env::var("ESCALATION_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let mut repeats = 0;
    for run in 0..runs {
        let mut c = child(dir, "work").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(20 + rng.below(181)));
        if let Some(status) = c.try_wait().unwrap() {
            panic!("run {run}: the child exited by itself ({status}) before the kill");
        }
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
        let (acked, effects, r) = check_file(dir, &rt);
        repeats = r;
        if run % 10 == 9 || run + 1 == runs {
            println!(
                "run {}: {acked} intakes acknowledged, {effects} effects, {r} repeated deliveries",
                run + 1
            );
        }
    }
    let status = child(dir, "drain").status().unwrap();
    assert!(status.success(), "the drain child failed: {status}");
    let f = files(dir);
    assert_eq!(integrity_check(&f.db), "ok");
    let drained_at = chrono::DateTime::parse_from_rfc3339(
        std::fs::read_to_string(dir.join("drained_at"))
            .unwrap()
            .trim(),
    )
    .unwrap()
    .to_utc();
    let contents = read_contents(&f.db);
    let pending: Vec<_> = contents
        .effects
        .iter()
        .filter(|e| e.state == EffectState::Pending)
        .map(|e| e.key.clone())
        .collect();
    assert!(pending.is_empty(), "effects still pending: {pending:?}");
    let breached = check_escalations(&contents, drained_at);
    let (acked, effects, r) = check_file(dir, &rt);
    assert!(breached > 0, "tickets breached");
    println!(
        "{runs} kills + drain in {:?} (seed {seed}): {} tickets, {acked} intakes acknowledged, \
         {effects} effects, {breached} breached clocks, {r} deliveries repeated after kills \
         ({repeats} before the drain)",
        started.elapsed(),
        contents.tickets.len()
    );
}
