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
//! The child and the checks that do not depend on the store are
//! `escalation_core::testkit::process`'s (`crash_child`, `kill_loop`, `check_after_kill`,
//! `check_drained`); here are how to connect, read the tables raw and check their sanity.
//!
//! The number of kills is `ESCALATION_PG_CRASH_RUNS` (default 50); the seed of the kill
//! times `ESCALATION_PG_CRASH_SEED`. The child is the ignored test `crash_child` of this same
//! binary, started through `std::env::current_exe()`; run alone, it returns at once. Needs
//! a database: run through `tests/scripts/with_postgres.sh` (see `support`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use escalation_core::TenantId;
use escalation_core::ports::TicketStore;
use escalation_core::testkit::process::{self, AfterKill};

const ROLE: &str = "ESCALATION_PG_CRASH_ROLE";
const DIR: &str = "ESCALATION_PG_CRASH_DIR";
const SCHEMA: &str = "ESCALATION_PG_CRASH_SCHEMA";
/// Intake goes round these many tenants (`tenant-00`, ...).
const TENANTS: u64 = 4;

fn tenants() -> Vec<TenantId> {
    (0..TENANTS)
        .map(|t| TenantId::new(format!("tenant-{t:02}")))
        .collect()
}

/// The child: `work` loops until killed; `drain` finishes all work and exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of crash_kill_loop"]
async fn crash_child() {
    let Some((role, dir)) = process::child_env(ROLE, DIR) else {
        return;
    };
    let schema = std::env::var(SCHEMA).unwrap();
    let store: Arc<dyn TicketStore> =
        Arc::new(support::child_store(schema, format!("crash-{role}")).await);
    process::crash_child(&role, &dir, store, &tenants()).await;
}

fn child(dir: &Path, schema: &str, role: &str) -> Command {
    let mut cmd = process::child_test("crash_child");
    cmd.env(ROLE, role)
        .env(DIR, dir)
        .env(SCHEMA, schema)
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

/// The checks after each kill: the tables' sanity, then the store-independent ones (the
/// acknowledged intakes looked up in the tickets' `tenant` and `intake_key` columns).
fn check_database(
    rt: &tokio::runtime::Runtime,
    client: &tokio_postgres::Client,
    schema: &str,
    dir: &Path,
) -> AfterKill {
    rt.block_on(check_sanity(client, schema));
    let stored: HashSet<(String, String)> = rt
        .block_on(client.query(
            &format!(
                "SELECT tenant, intake_key FROM {schema}.tickets WHERE intake_key IS NOT NULL"
            ),
            &[],
        ))
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    process::check_after_kill(
        dir,
        &tenants(),
        |tenant, key| stored.contains(&(tenant.to_string(), key.to_owned())),
        || rt.block_on(support::read_contents(client, schema)),
    )
}

#[test]
fn crash_kill_loop() {
    let runs: usize = process::env_or("ESCALATION_PG_CRASH_RUNS", 50);
    let seed: u64 = process::env_or("ESCALATION_PG_CRASH_SEED", 0x5eed_cafe);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rt = process::runtime();
    // Create and migrate the schema once, before the first child.
    let (schema, client) = rt.block_on(async {
        (
            support::migrated_schema("crash").await,
            support::raw_client().await,
        )
    });
    let kills = process::kill_loop(
        runs,
        seed,
        30..=300,
        || child(dir, &schema, "work").spawn().unwrap(),
        || check_database(&rt, &client, &schema, dir),
    );
    let status = child(dir, &schema, "drain").status().unwrap();
    assert!(status.success(), "the drain child failed: {status}");
    let drained = check_database(&rt, &client, &schema, dir);
    let contents = rt.block_on(support::read_contents(&client, &schema));
    let breached = process::check_drained(dir, &contents);
    rt.block_on(async {
        client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    });
    println!(
        "{}",
        kills.summary(contents.tickets.len(), breached, &drained)
    );
}
