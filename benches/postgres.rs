//! The PostgreSQL store (`escalation::postgres::PostgresStore`) on the database named by
//! `ESCALATION_PG_URL`. Run it on a durable cluster (fsync on, `synchronous_commit=on`): every
//! returned commit is then on disk. Each phase works in a fresh schema of its own, dropped
//! afterwards.
//!
//! 1. Single intake: `Engine::create_ticket` (one durable transaction per ticket) from N
//!    concurrent tasks on one engine (N = 1 and 16; a pool of N connections), each calling
//!    in a loop for a fixed time: tickets/s, and p50/p99 per call.
//! 2. Batch intake: `PostgresStore::insert_batch` of 1,000 commits per transaction (each a
//!    ticket as `create_ticket` builds it, with its seven log entries, cloned from tickets an
//!    in-memory engine made), prepared as `benches/sqlite.rs` prepares its batch intake.
//! 3. Sweep with 1, 2 and 4 instances: 100,000 open tickets are loaded with `insert_batch`,
//!    all due at one instant (queued tickets whose routing retry falls due then; the
//!    sweepers' manual clock stands at that instant). Each instance is a `PostgresStore` (its
//!    own pool) and an `Engine` of its own; the instances run in this process, as tasks on
//!    one multi-thread Tokio runtime, each calling `Engine::sweep` until it claims nothing.
//!    Every instance count starts from a fresh schema loaded the same way. Reported: due
//!    tickets swept per second, from the start until the last instance is done.
//!
//! While a phase is timed, the phase's sessions are sampled from `pg_stat_activity` every
//! 10 ms (state and wait event: on CPU, waiting on a lock, on the WAL, or idle in a
//! transaction while the engine works; and which statements are active), and CPU use is read from `/proc`: of the machine, of
//! the database server's processes (when it runs on this machine) and of this process, as
//! shares of all cores. "Lock waits" is the share of the busy session samples (not idle in
//! the pool) that were waiting on a heavyweight lock (row, tuple or transaction).
//!
//! Run: `tests/scripts/with_postgres.sh --durable cargo bench --features postgres --bench
//! postgres` (a full run takes about three minutes). Arguments that are not flags select
//! phases by name (`intake_single`, `intake_batch`, `sweep`). Sizes, from the environment:
//!
//! - `ESCALATION_PG_BENCH_CREATE_SECS`: seconds each `create_ticket` run lasts (10);
//! - `ESCALATION_PG_BENCH_CONCURRENCY`: concurrent callers, a comma list (`1,16`);
//! - `ESCALATION_PG_BENCH_BATCH`: commits per `insert_batch` (1,000);
//! - `ESCALATION_PG_BENCH_BATCHES`: batches timed (50);
//! - `ESCALATION_PG_BENCH_SWEEP_TICKETS`: tickets due for the sweep (100,000);
//! - `ESCALATION_PG_BENCH_INSTANCES`: sweeping instances, a comma list (`1,2,4`).
//!
//! Under `cargo test` (no `--bench` argument) the defaults are tiny.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::{MINUTES, Template, full, percentile, selected, start};
use escalation::memory::MemoryStore;
use escalation::ports::{Commit, Inserted, TicketStore};
use escalation::postgres::{PostgresOptions, PostgresStore};
use escalation::{Engine, ManualClock, SweepReport};

/// `create_ticket` calls per caller before the timed run (opens the pool's connections).
const WARMUP_CALLS: usize = 5;
/// Commits per `insert_batch` when loading the sweep's tickets (not timed as intake).
const LOAD_CHUNK: usize = 5_000;
/// Connections per sweeping instance (a sweep holds one at a time).
const SWEEP_POOL: usize = 2;

// ---- sizes ----

fn fail(message: &str) -> ! {
    eprintln!("benches/postgres.rs: {message}");
    std::process::exit(2);
}

fn env_num<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().replace('_', "").parse().unwrap_or_else(|_| {
            fail(&format!("{name}={v:?} is not a valid number"));
        }),
        _ => default,
    }
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            let list: Option<Vec<usize>> = v
                .split(',')
                .map(|n| n.trim().parse().ok().filter(|n| *n > 0))
                .collect();
            list.unwrap_or_else(|| {
                fail(&format!(
                    "{name}={v:?} is not a comma list of positive numbers"
                ))
            })
        }
        _ => default.to_vec(),
    }
}

struct Sizes {
    create_secs: f64,
    concurrency: Vec<usize>,
    batch: usize,
    batches: usize,
    sweep_tickets: usize,
    instances: Vec<usize>,
}

impl Sizes {
    fn from_env() -> Sizes {
        let full = full();
        let sizes = Sizes {
            create_secs: env_num(
                "ESCALATION_PG_BENCH_CREATE_SECS",
                if full { 10.0 } else { 0.5 },
            ),
            concurrency: env_list("ESCALATION_PG_BENCH_CONCURRENCY", &[1, 16]),
            batch: env_num("ESCALATION_PG_BENCH_BATCH", if full { 1_000 } else { 50 }),
            batches: env_num("ESCALATION_PG_BENCH_BATCHES", if full { 50 } else { 2 }),
            sweep_tickets: env_num(
                "ESCALATION_PG_BENCH_SWEEP_TICKETS",
                if full { 100_000 } else { 1_000 },
            ),
            instances: env_list("ESCALATION_PG_BENCH_INSTANCES", &[1, 2, 4]),
        };
        if !(sizes.create_secs > 0.0 && sizes.create_secs.is_finite()) {
            fail("ESCALATION_PG_BENCH_CREATE_SECS must be a positive number of seconds");
        }
        if sizes.batch == 0 || sizes.batches == 0 || sizes.sweep_tickets == 0 {
            fail("ESCALATION_PG_BENCH_BATCH, _BATCHES and _SWEEP_TICKETS must be positive");
        }
        sizes
    }
}

// ---- the database ----

/// A plain connection (not one of a store's), driven on the current runtime.
async fn raw_client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| fail(&format!("cannot connect to ESCALATION_PG_URL: {e}")));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// The schema of phase `label` for this run, empty.
async fn fresh_schema(url: &str, label: &str) -> String {
    let schema = format!("bench_{}_{label}", std::process::id());
    drop_schema(url, &schema).await;
    schema
}

async fn drop_schema(url: &str, schema: &str) {
    raw_client(url)
        .await
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
        .unwrap();
}

/// The `application_name` of a phase's sessions, by which the sampler finds them.
fn app_name(label: &str) -> String {
    format!("escalation_bench_{}_{label}", std::process::id())
}

async fn connect(url: &str, schema: &str, pool: usize, app: &str) -> PostgresStore {
    let store = PostgresStore::connect_with(
        PostgresOptions::new(url)
            .schema(schema)
            .pool_size(pool)
            .application_name(app),
    )
    .await
    .unwrap();
    assert!(store.capabilities().durable);
    store
}

// ---- what the machine and the server were doing ----

/// CPU clock ticks: of the whole machine (busy, total), of this process, and of the database
/// server's processes (when it runs on this machine).
#[derive(Clone)]
struct CpuTicks {
    busy: u64,
    total: u64,
    process: u64,
    server: BTreeMap<i32, u64>,
}

/// User and system ticks of a process, if it is a `postgres` process (`self` for this one).
fn process_ticks(pid: &str, postgres: bool) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (name, after) = stat.rsplit_once(')')?;
    if postgres && !name.ends_with("(postgres") {
        return None;
    }
    let mut f = after.split_whitespace().skip(11);
    let utime: u64 = f.next()?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some(utime + stime)
}

fn cpu_ticks(server_pids: &[i32]) -> Option<CpuTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = fields.iter().sum();
    // idle + iowait
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    Some(CpuTicks {
        busy: total - idle,
        total,
        process: process_ticks("self", false)?,
        server: server_pids
            .iter()
            .filter_map(|pid| Some((*pid, process_ticks(&pid.to_string(), true)?)))
            .collect(),
    })
}

/// Samples a phase's sessions in `pg_stat_activity` and the machine's CPU while it runs.
struct Probe {
    stop: Arc<AtomicBool>,
    sampler: tokio::task::JoinHandle<Tallies>,
    server_pids: Vec<i32>,
    cpu: Option<CpuTicks>,
}

/// Sampling rounds; session samples per state; active session samples per statement.
type Tallies = (u64, BTreeMap<String, u64>, BTreeMap<String, u64>);

/// What a probe saw.
struct Observed {
    /// Shares of the machine's CPU time: busy, used by the database server's processes (if
    /// it runs here), used by this process.
    cpu: Option<(f64, Option<f64>, f64)>,
    /// Share of session samples per state (and wait event), largest first.
    states: Vec<(String, f64)>,
    /// Share of the busy session samples (not idle in the pool) waiting on a heavyweight lock.
    lock_waits: f64,
    /// Share of the active session samples per statement (its start), largest first.
    statements: Vec<(String, f64)>,
    samples: u64,
}

impl Probe {
    async fn start(url: &str, app: &str) -> Probe {
        let client = raw_client(url).await;
        // Every process of the server: backends and background processes.
        let server_pids: Vec<i32> = client
            .query("SELECT pid FROM pg_stat_activity", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let app = app.to_owned();
        let sampler = tokio::spawn({
            let stop = stop.clone();
            async move {
                let query = client
                    .prepare(
                        "SELECT coalesce(state, ''), coalesce(wait_event_type, ''),
                                coalesce(wait_event, ''), coalesce(query, '')
                         FROM pg_stat_activity WHERE application_name = $1",
                    )
                    .await
                    .unwrap();
                let mut rounds = 0;
                let mut tally = BTreeMap::<String, u64>::new();
                let mut statements = BTreeMap::<String, u64>::new();
                while !stop.load(Ordering::Relaxed) {
                    for row in client.query(&query, &[&app]).await.unwrap() {
                        let (state, kind, event): (String, String, String) =
                            (row.get(0), row.get(1), row.get(2));
                        if state == "active" {
                            let text: String = row.get(3);
                            let words: Vec<&str> = text.split_whitespace().collect();
                            let mut head = words.join(" ");
                            if let Some((cut, _)) = head.char_indices().nth(60) {
                                head.truncate(cut);
                                head.push_str("...");
                            }
                            *statements.entry(head).or_default() += 1;
                        }
                        let key = match state.as_str() {
                            "active" if kind.is_empty() => "active, on CPU".to_owned(),
                            "active" => format!("active, waiting {kind}:{event}"),
                            "idle in transaction" => {
                                "idle in transaction (the engine's turn)".to_owned()
                            }
                            "idle" => "idle (in the pool)".to_owned(),
                            other => other.to_owned(),
                        };
                        *tally.entry(key).or_default() += 1;
                    }
                    rounds += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (rounds, tally, statements)
            }
        });
        Probe {
            stop,
            sampler,
            cpu: cpu_ticks(&server_pids),
            server_pids,
        }
    }

    async fn finish(self) -> Observed {
        let cpu = match (self.cpu, cpu_ticks(&self.server_pids)) {
            (Some(a), Some(b)) if b.total > a.total => {
                let total = (b.total - a.total) as f64;
                // Only processes seen at both ends (a backend that exited took its ticks).
                let server = (!a.server.is_empty()).then(|| {
                    let ticks: u64 = a
                        .server
                        .iter()
                        .filter_map(|(pid, t0)| Some(b.server.get(pid)?.saturating_sub(*t0)))
                        .sum();
                    ticks as f64 / total
                });
                Some((
                    b.busy.saturating_sub(a.busy) as f64 / total,
                    server,
                    b.process.saturating_sub(a.process) as f64 / total,
                ))
            }
            _ => None,
        };
        self.stop.store(true, Ordering::Relaxed);
        let (rounds, tally, statements) = self.sampler.await.unwrap();
        let active: u64 = statements.values().sum();
        let mut statements: Vec<(String, f64)> = statements
            .into_iter()
            .map(|(k, n)| (k, n as f64 / active.max(1) as f64))
            .collect();
        statements.sort_by(|a, b| b.1.total_cmp(&a.1));
        let all: u64 = tally.values().sum();
        let idle = tally.get("idle (in the pool)").copied().unwrap_or(0);
        let locks: u64 = tally
            .iter()
            .filter(|(k, _)| k.starts_with("active, waiting Lock:"))
            .map(|(_, n)| n)
            .sum();
        let mut states: Vec<(String, f64)> = tally
            .into_iter()
            .map(|(k, n)| (k, n as f64 / all.max(1) as f64))
            .collect();
        states.sort_by(|a, b| b.1.total_cmp(&a.1));
        Observed {
            cpu,
            states,
            lock_waits: locks as f64 / (all - idle).max(1) as f64,
            statements,
            samples: rounds,
        }
    }
}

impl Observed {
    fn print(&self, phase: &str) {
        let states: Vec<String> = self
            .states
            .iter()
            .take(6)
            .map(|(k, s)| format!("{k} {:.0}%", s * 100.0))
            .collect();
        println!(
            "  {phase}: sessions over {} samples: {}",
            self.samples,
            states.join(", ")
        );
        for (statement, share) in self.statements.iter().take(3) {
            println!(
                "  {phase}: {:.0}% of active samples in `{statement}`",
                share * 100.0
            );
        }
    }

    fn other_cpu(&self) -> Option<f64> {
        match self.cpu {
            Some((busy, Some(server), own)) => Some((busy - server - own).max(0.0)),
            _ => None,
        }
    }

    fn notes(&self) -> String {
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        let cpu = match self.cpu {
            Some((busy, Some(server), own)) => format!(
                "CPU {} busy: server {}, bench {}, other {}",
                pct(busy),
                pct(server),
                pct(own),
                pct(self.other_cpu().unwrap_or(0.0))
            ),
            Some((busy, None, own)) => format!("CPU {} busy: bench {}", pct(busy), pct(own)),
            None => "CPU n/a".to_owned(),
        };
        format!("{cpu}; lock waits {:.1}%", self.lock_waits * 100.0)
    }
}

// ---- results ----

struct Row {
    phase: &'static str,
    config: String,
    tickets: usize,
    elapsed: Duration,
    detail: String,
    observed: String,
    /// Share of all cores that processes other than the server and the bench used.
    other_cpu: Option<f64>,
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

// ---- 1. single intake ----

/// `callers` tasks calling `create_ticket` until `calls` each or `deadline`; per call, when
/// it returned and how long it took.
async fn create_tickets(
    engine: &Engine,
    callers: usize,
    next: &Arc<AtomicUsize>,
    calls: usize,
    deadline: Instant,
) -> Vec<(Instant, Duration)> {
    let received = common::received();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let engine = engine.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut each = Vec::new();
                while each.len() < calls && Instant::now() < deadline {
                    let t = common::new_ticket(next.fetch_add(1, Ordering::Relaxed), received);
                    let t0 = Instant::now();
                    std::hint::black_box(engine.create_ticket(t).await.unwrap());
                    let done = Instant::now();
                    each.push((done, done - t0));
                }
                each
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

async fn intake_single(url: &str, callers: usize, secs: f64) -> Row {
    let label = format!("intake_c{callers}");
    let schema = fresh_schema(url, &label).await;
    let app = app_name(&label);
    let store = connect(url, &schema, callers, &app).await;
    let engine = common::intake_engine(Arc::new(store), start())
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let far = Instant::now() + Duration::from_secs(3_600);
    create_tickets(&engine, callers, &next, WARMUP_CALLS, far).await;

    let probe = Probe::start(url, &app).await;
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(secs);
    let calls = create_tickets(&engine, callers, &next, usize::MAX, deadline).await;
    let elapsed = t0.elapsed();
    let observed = probe.finish().await;
    drop(engine);
    drop_schema(url, &schema).await;

    // The rate in the first and in the last tenth of the run: every ticket stays open and
    // assigned, and the engine counts each candidate agent's open tickets at every intake.
    let tenth = elapsed / 10;
    let in_window = |from: Duration, to: Duration| {
        calls
            .iter()
            .filter(|(done, _)| (from..to).contains(&(*done - t0)))
            .count()
    };
    let first = rate(in_window(Duration::ZERO, tenth), tenth);
    let last = rate(in_window(elapsed - tenth, elapsed), tenth);
    let mut each: Vec<Duration> = calls.iter().map(|(_, d)| *d).collect();
    each.sort_unstable();
    let n = each.len();
    let detail = format!(
        "p50 {}, p99 {}, max {}; {first:.0}/s in the first tenth, {last:.0}/s in the last",
        ms(percentile(&each, 0.50)),
        ms(percentile(&each, 0.99)),
        ms(each[n - 1])
    );
    let config = format!(
        "{callers} concurrent caller{}",
        if callers == 1 { "" } else { "s" }
    );
    println!(
        "intake_single, {config}: {n} tickets in {elapsed:.2?}, {:.0} tickets/s; per call {detail}",
        rate(n, elapsed)
    );
    observed.print("intake_single");
    Row {
        phase: "create_ticket",
        config,
        tickets: n,
        elapsed,
        detail,
        observed: observed.notes(),
        other_cpu: observed.other_cpu(),
    }
}

// ---- 2. batch intake ----

async fn intake_batch(url: &str, batch: usize, batches: usize) -> Row {
    let templates = common::intake_templates(start(), common::received()).await;
    common::print_template_size("intake_batch", &templates);

    let label = "intake_batch";
    let schema = fresh_schema(url, label).await;
    let app = app_name(label);
    let store = connect(url, &schema, 2, &app).await;
    // Ids are handed out here (insert raises the store's id counter to the largest id
    // inserted), so no `next_id` round trip per ticket.
    let mut next = store.next_id().await.unwrap().0;
    let mut make = || common::batch_commits(&templates, batch, &mut next);
    // Warm-up: two batches, not timed.
    for _ in 0..2 {
        store.insert_batch(make()).await.unwrap();
    }

    let probe = Probe::start(url, &app).await;
    let mut each = Vec::with_capacity(batches);
    for _ in 0..batches {
        let commits = make();
        let t0 = Instant::now();
        let out = store.insert_batch(commits).await.unwrap();
        each.push(t0.elapsed());
        assert!(matches!(out.last(), Some(Inserted::Created(_))));
    }
    let observed = probe.finish().await;
    drop(store);
    drop_schema(url, &schema).await;

    let elapsed: Duration = each.iter().sum();
    each.sort_unstable();
    let n = batch * batches;
    let detail = format!(
        "per batch p50 {}, max {}",
        ms(percentile(&each, 0.50)),
        ms(each[batches - 1])
    );
    println!(
        "intake_batch: {n} tickets in {batches} batches of {batch}, {elapsed:.2?} in \
         insert_batch, {:.0} tickets/s; {detail}",
        rate(n, elapsed)
    );
    observed.print("intake_batch");
    Row {
        phase: "insert_batch",
        config: format!("{} commits per batch", thousands(batch as u64)),
        tickets: n,
        elapsed,
        detail,
        observed: observed.notes(),
        other_cpu: observed.other_cpu(),
    }
}

// ---- 3. sweep ----

/// Queued tickets made at `at` by `create_ticket` on a memory engine with the sweep policy
/// and no agents: each is looked at again (routing retry) 100 minutes later.
async fn sweep_templates(at: DateTime<Utc>) -> Vec<Template> {
    let clock = Arc::new(ManualClock::new(at));
    let memory = common::sweep_engine(false, Arc::new(MemoryStore::new()), clock)
        .build()
        .unwrap();
    let templates = common::templates(&memory, 20, at).await;
    for t in &templates {
        common::assert_queued(t, at);
    }
    templates
}

async fn sweep(url: &str, tickets: usize, instances: usize, anomalies: &mut Vec<String>) -> Row {
    let created = start();
    let due_at = created + TimeDelta::minutes(MINUTES as i64);
    let templates = sweep_templates(created).await;

    let label = format!("sweep_k{instances}");
    let schema = fresh_schema(url, &label).await;
    let loader = connect(url, &schema, 1, &app_name(&format!("{label}_load"))).await;
    let setup = Instant::now();
    let mut id = 0u64;
    while (id as usize) < tickets {
        let n = (tickets - id as usize).min(LOAD_CHUNK);
        let commits: Vec<Commit> = (0..n)
            .map(|i| {
                id += 1;
                common::sweep_commit(&templates[i % templates.len()], id, id as usize)
            })
            .collect();
        loader.insert_batch(commits).await.unwrap();
    }
    let load = setup.elapsed();
    assert_eq!(loader.next_due().await.unwrap(), Some(due_at));

    // The instances: a store (pool) and an engine each, all connected before the clock runs.
    let app = app_name(&label);
    let mut engines = Vec::new();
    for i in 0..instances {
        let store = connect(url, &schema, SWEEP_POOL, &app).await;
        engines.push(
            common::sweep_engine(false, Arc::new(store), Arc::new(ManualClock::new(due_at)))
                .engine_id(format!("sweeper-{i}"))
                .build()
                .unwrap(),
        );
    }

    let probe = Probe::start(url, &app).await;
    let go = Arc::new(tokio::sync::Barrier::new(instances + 1));
    let tasks: Vec<_> = engines
        .iter()
        .map(|engine| {
            let engine = engine.clone();
            let go = go.clone();
            tokio::spawn(async move {
                go.wait().await;
                let t0 = Instant::now();
                let mut total = SweepReport::default();
                let mut sweeps = 0;
                loop {
                    let r = engine.sweep().await.unwrap();
                    sweeps += 1;
                    total.claimed += r.claimed;
                    total.conflicts += r.conflicts;
                    if r.claimed == 0 {
                        break;
                    }
                }
                (total, sweeps, t0.elapsed())
            })
        })
        .collect();
    go.wait().await;
    let t0 = Instant::now();
    let mut per_instance = Vec::new();
    for t in tasks {
        per_instance.push(t.await.unwrap());
    }
    let elapsed = t0.elapsed();
    let observed = probe.finish().await;

    let claimed: usize = per_instance.iter().map(|(r, _, _)| r.claimed).sum();
    let conflicts: usize = per_instance.iter().map(|(r, _, _)| r.conflicts).sum();
    let left = loader.next_due().await.unwrap();
    if left.is_some_and(|at| at <= due_at) {
        anomalies.push(format!(
            "sweep with {instances} instance(s): tickets still due after every instance \
             stopped (next due {left:?})"
        ));
    }
    if claimed != tickets || conflicts != 0 {
        anomalies.push(format!(
            "sweep with {instances} instance(s): {claimed} claims for {tickets} due tickets, \
             {conflicts} conflicts"
        ));
    }
    drop(engines);
    drop(loader);
    drop_schema(url, &schema).await;

    let shares: Vec<String> = per_instance
        .iter()
        .map(|(r, sweeps, d)| format!("{} in {d:.1?} ({sweeps} sweeps)", r.claimed))
        .collect();
    println!(
        "sweep, {instances} instance(s): {tickets} due tickets (loaded in {load:.1?}, {:.0} \
         tickets/s in batches of {LOAD_CHUNK}) swept in {elapsed:.2?}, {:.0} tickets/s; per \
         instance: {}",
        rate(tickets, load),
        rate(tickets, elapsed),
        shares.join(", ")
    );
    observed.print("sweep");
    let spread = if instances > 1 {
        let counts: Vec<usize> = per_instance.iter().map(|(r, _, _)| r.claimed).collect();
        format!(
            "claimed per instance {}..{}",
            counts.iter().min().unwrap(),
            counts.iter().max().unwrap()
        )
    } else {
        format!("{} sweeps", per_instance[0].1)
    };
    Row {
        phase: "sweep",
        config: format!(
            "{instances} instance{}",
            if instances == 1 { "" } else { "s" }
        ),
        tickets,
        elapsed,
        detail: spread,
        observed: observed.notes(),
        other_cpu: observed.other_cpu(),
    }
}

// ---- main ----

async fn server_settings(url: &str) -> String {
    let client = raw_client(url).await;
    let mut out = Vec::new();
    for setting in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "shared_buffers",
    ] {
        let row = client
            .query_one(&format!("SHOW {setting}"), &[])
            .await
            .unwrap();
        out.push(format!("{setting}={}", row.get::<_, String>(0)));
    }
    out.join(", ")
}

async fn run(url: &str, sizes: &Sizes) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut anomalies = Vec::new();
    if selected("intake_single") {
        for &callers in &sizes.concurrency {
            rows.push(intake_single(url, callers, sizes.create_secs).await);
        }
    }
    if selected("intake_batch") {
        rows.push(intake_batch(url, sizes.batch, sizes.batches).await);
    }
    if selected("sweep") {
        for &instances in &sizes.instances {
            rows.push(sweep(url, sizes.sweep_tickets, instances, &mut anomalies).await);
        }
    }
    (rows, anomalies)
}

fn print_table(settings: &str, rows: &[Row], anomalies: &[String]) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!("PostgreSQL store ({settings}; {cpus} CPUs shared by server and bench)");
    let header = [
        "phase",
        "configuration",
        "tickets",
        "time",
        "tickets/s",
        "detail",
        "CPU (share of all cores); lock waits",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.phase.to_owned(),
                r.config.clone(),
                thousands(r.tickets as u64),
                format!("{:.2} s", r.elapsed.as_secs_f64()),
                thousands(rate(r.tickets, r.elapsed).round() as u64),
                r.detail.clone(),
                r.observed.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let line = |row: [&str; 7]| {
        let mut s = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            // Numbers right-aligned, text left-aligned.
            if (2..=4).contains(&i) {
                s.push_str(&format!("{c:>w$}  "));
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header);
    println!("{}", "-".repeat(widths.iter().sum::<usize>() + 2 * 6));
    for row in &cells {
        line(row.each_ref().map(String::as_str));
    }
    for r in rows {
        if let Some(other) = r.other_cpu.filter(|o| *o > 0.1) {
            println!(
                "WARNING: {} ({}): other processes used {:.0}% of the CPU meanwhile; the \
                 figure is likely depressed",
                r.phase,
                r.config,
                other * 100.0
            );
        }
    }
    for a in anomalies {
        println!("WARNING: {a}");
    }
    if settings.contains("fsync=off") || settings.contains("synchronous_commit=off") {
        println!(
            "WARNING: the server does not flush commits to disk (fsync or synchronous_commit \
             off): these are not durable figures (tests/scripts/with_postgres.sh --durable)"
        );
    }
}

fn main() {
    let url = match std::env::var("ESCALATION_PG_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => fail(
            "ESCALATION_PG_URL is not set: run this benchmark against a database, e.g. \
             `tests/scripts/with_postgres.sh --durable cargo bench --features postgres \
             --bench postgres` (a throwaway durable cluster)",
        ),
    };
    let sizes = Sizes::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let settings = server_settings(&url).await;
        println!("benches/postgres.rs on PostgreSQL ({settings})");
        let (rows, anomalies) = run(&url, &sizes).await;
        print_table(&settings, &rows, &anomalies);
    });
}
