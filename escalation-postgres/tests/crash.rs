//! Kill test: a child process runs the engine on a PostgreSQL store (intake with intake keys
//! over a few tenants, sweeps, dispatch, on a manual clock that moves five minutes per
//! iteration) and is SIGKILLed at a random moment, over and over; after each kill the parent
//! checks the database. Then one last child drains all due work.
//!
//! Checks after every kill, read straight from the database with a raw client: referential
//! sanity in SQL (no log row, effect or task without its ticket in its tenant; every
//! ticket's version at least 1, and the documents agree with their indexed columns; no
//! effect key twice; a pending effect, and only a pending one, is in the due index); every
//! intake the child saw acknowledged is in the store, in its tenant; every line of the
//! receiver's journal is the delivery of an effect in the store, and every effect marked
//! delivered is in the journal (repeats in the journal are at-least-once redeliveries after
//! a kill, counted and printed). After the drain: no effect is pending, and every running
//! SLA clock whose deadline passed has breached, with one `sla_breached` entry and one
//! `level_fired` entry per fired ladder step.
//!
//! The number of kills is `ESCALATION_PG_CRASH_RUNS` (default 50); the seed of the kill
//! times `ESCALATION_PG_CRASH_SEED`. The child is the ignored test `crash_child` of this same
//! binary, started through `std::env::current_exe()`; run alone, it returns at once. Needs
//! a database: run through `tests/scripts/with_postgres.sh` (see `support`).
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
use escalation_core::testkit::process::{
    self, Journal, Rng, check_escalations, delivery_line, read_lines, t0,
};
use escalation_core::{Channel, Clock, Impact, ManualClock, NewTicket, Policy, TenantId};
use escalation_postgres::{PostgresOptions, PostgresStore};

const ROLE: &str = "ESCALATION_PG_CRASH_ROLE";
const DIR: &str = "ESCALATION_PG_CRASH_DIR";
const SCHEMA: &str = "ESCALATION_PG_CRASH_SCHEMA";
/// Tickets taken in per loop iteration of the child.
const PER_ITERATION: u64 = 3;
/// Manual-clock minutes per loop iteration of the child (so breaches, and with them
/// effects, happen while children are being killed).
const STEP_MINUTES: i64 = 5;
/// Intake goes round these many tenants (`tenant-00`, ...).
const TENANTS: u64 = 4;

struct Files {
    acked: PathBuf,
    journal: PathBuf,
    iteration: PathBuf,
    drained_at: PathBuf,
}

fn files(dir: &Path) -> Files {
    Files {
        acked: dir.join("acked"),
        journal: dir.join("journal"),
        iteration: dir.join("iteration"),
        drained_at: dir.join("drained_at"),
    }
}

fn tenants() -> Vec<TenantId> {
    (0..TENANTS)
        .map(|t| TenantId::new(format!("tenant-{t:02}")))
        .collect()
}

/// Ticket `n`'s intake key and tenant.
fn intake(n: u64) -> (String, TenantId) {
    (
        format!("t-{n}"),
        TenantId::new(format!("tenant-{:02}", n % TENANTS)),
    )
}

/// The child: `work` loops until killed; `drain` finishes all work and exits.
#[test]
#[ignore = "a child process of crash_kill_loop"]
fn crash_child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(DIR).unwrap());
    let schema = std::env::var(SCHEMA).unwrap();
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
        let options = PostgresOptions::new(support::url())
            .schema(schema)
            .pool_size(4)
            .application_name(format!("crash-{role}"));
        let store: Arc<dyn TicketStore> =
            Arc::new(PostgresStore::connect_with(options).await.unwrap());
        let journal = Arc::new(Journal::open(&f.journal));
        let acked = Journal::open(&f.acked);
        let engine = process::engine(
            "crash-child",
            Policy::default(),
            store.clone(),
            clock.clone(),
            journal,
            &tenants(),
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
                let (key, tenant) = intake(n);
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
    });
}

fn child(dir: &Path, schema: &str, role: &str) -> Command {
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
    .env(SCHEMA, schema)
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    cmd
}

/// Referential sanity of the store's tables, in SQL: each query counts violations.
async fn check_sanity(client: &tokio_postgres::Client, schema: &str) {
    let checks = [
        (
            "log rows without their ticket",
            "SELECT count(*) FROM {s}.log_rows l WHERE NOT EXISTS
                 (SELECT 1 FROM {s}.tickets t WHERE t.id = l.ticket AND t.tenant = l.tenant)",
        ),
        (
            "effects without their ticket",
            "SELECT count(*) FROM {s}.effects e WHERE NOT EXISTS
                 (SELECT 1 FROM {s}.tickets t WHERE t.id = e.ticket AND t.tenant = e.tenant)",
        ),
        (
            "tasks without their ticket",
            "SELECT count(*) FROM {s}.tasks k WHERE NOT EXISTS
                 (SELECT 1 FROM {s}.tickets t WHERE t.id = k.ticket AND t.tenant = k.tenant)",
        ),
        (
            "tickets below version 1",
            "SELECT count(*) FROM {s}.tickets WHERE version < 1",
        ),
        (
            "tickets whose document disagrees with their row",
            "SELECT count(*) FROM {s}.tickets WHERE (body->>'id')::bigint IS DISTINCT FROM id
                 OR body->>'tenant' IS DISTINCT FROM tenant
                 OR (body->>'version')::bigint IS DISTINCT FROM version
                 OR body->>'intake_key' IS DISTINCT FROM intake_key
                 OR body->>'status' IS DISTINCT FROM status",
        ),
        (
            "effect keys held by more than one row",
            "SELECT count(*) FROM (SELECT key FROM {s}.effects GROUP BY key
                 HAVING count(*) > 1) d",
        ),
        (
            "effects whose document disagrees with their row",
            "SELECT count(*) FROM {s}.effects WHERE body->>'key' IS DISTINCT FROM key
                 OR body->>'tenant' IS DISTINCT FROM tenant
                 OR (body->>'ticket')::bigint IS DISTINCT FROM ticket
                 OR body->>'state' IS DISTINCT FROM state",
        ),
        (
            "effects in the due index but not pending, or pending but not in it",
            "SELECT count(*) FROM {s}.effects WHERE (state = 'pending') <> (due IS NOT NULL)",
        ),
    ];
    for (what, sql) in checks {
        let row = client
            .query_one(&sql.replace("{s}", schema), &[])
            .await
            .unwrap();
        let n: i64 = row.get(0);
        assert_eq!(n, 0, "{n} {what}");
    }
}

/// The checks after each kill. Returns the acknowledged intakes, the effects and the
/// repeated deliveries in the journal.
async fn check_database(
    client: &tokio_postgres::Client,
    schema: &str,
    dir: &Path,
) -> (usize, usize, usize) {
    let f = files(dir);
    check_sanity(client, schema).await;
    let acked: HashSet<String> = read_lines(&f.acked).into_iter().collect();
    let stored: HashSet<(String, String)> = client
        .query(
            &format!(
                "SELECT tenant, intake_key FROM {schema}.tickets WHERE intake_key IS NOT NULL"
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for key in &acked {
        let n: u64 = key.strip_prefix("t-").unwrap().parse().unwrap();
        let (_, tenant) = intake(n);
        assert!(
            stored.contains(&(tenant.to_string(), key.clone())),
            "acknowledged intake {key} of {tenant} is not in the store"
        );
    }
    let contents = support::read_contents(client, schema).await;
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
    let repeats = lines.values().filter(|n| **n > 1).count();
    (acked.len(), contents.effects.len(), repeats)
}

#[test]
fn crash_kill_loop() {
    let runs: usize = std::env::var("ESCALATION_PG_CRASH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let seed: u64 = std::env::var("ESCALATION_PG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let options = support::options("crash");
    let schema = options.schema.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        // Create and migrate the schema once, before the first child.
        drop(PostgresStore::connect_with(options).await.unwrap());
        support::raw_client().await
    });
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut repeats = 0;
    for run in 0..runs {
        let mut c = child(dir, &schema, "work").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(30 + rng.below(271)));
        if let Some(status) = c.try_wait().unwrap() {
            panic!("run {run}: the child exited by itself ({status}) before the kill");
        }
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
        let (acked, effects, r) = rt.block_on(check_database(&client, &schema, dir));
        repeats = r;
        if run % 10 == 9 || run + 1 == runs {
            println!(
                "run {}: {acked} intakes acknowledged, {effects} effects, {r} repeated deliveries",
                run + 1
            );
        }
    }
    let kills = started.elapsed();
    let status = child(dir, &schema, "drain").status().unwrap();
    assert!(status.success(), "the drain child failed: {status}");
    let f = files(dir);
    let drained_at = chrono::DateTime::parse_from_rfc3339(
        std::fs::read_to_string(&f.drained_at).unwrap().trim(),
    )
    .unwrap()
    .to_utc();
    let (contents, (acked, effects, r)) = rt.block_on(async {
        let contents = support::read_contents(&client, &schema).await;
        (contents, check_database(&client, &schema, dir).await)
    });
    let pending: Vec<_> = contents
        .effects
        .iter()
        .filter(|e| e.state == EffectState::Pending)
        .map(|e| e.key.clone())
        .collect();
    assert!(pending.is_empty(), "effects still pending: {pending:?}");
    let breached = check_escalations(&contents, drained_at);
    assert!(breached > 0, "tickets breached");
    rt.block_on(async {
        client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    });
    println!(
        "{runs} kills in {kills:?} + drain in {:?} (seed {seed}): {} tickets, {acked} intakes \
         acknowledged, {effects} effects, {breached} breached clocks, {r} deliveries repeated \
         after kills ({repeats} before the drain)",
        started.elapsed() - kills,
        contents.tickets.len()
    );
}
