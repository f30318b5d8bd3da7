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
//! The child and the checks that do not depend on the store are
//! `escalation_core::testkit::process`'s (`crash_child`, `kill_loop`, `check_after_kill`,
//! `check_drained`); here are how to open the file, read it raw and check its integrity.
//!
//! The number of kills is `ESCALATION_CRASH_RUNS` (default 100); the long run is
//! `ESCALATION_CRASH_RUNS=1000 cargo test --release -p escalation-sqlite --test crash`.
//! The child is the ignored test `crash_child` of this same binary, started through
//! `std::env::current_exe()`; run alone, it returns at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use escalation_core::TenantId;
use escalation_core::ports::TicketStore;
use escalation_core::testkit::process::{self, AfterKill};
use escalation_sqlite::SqliteStore;

use support::{integrity_check, read_contents};

const ROLE: &str = "ESCALATION_CRASH_ROLE";
const DIR: &str = "ESCALATION_CRASH_DIR";

fn db(dir: &Path) -> PathBuf {
    dir.join("crash.db")
}

/// The one tenant the children serve.
fn tenants() -> [TenantId; 1] {
    [TenantId::default_tenant()]
}

/// The child: `work` loops until killed; `drain` finishes all work and exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of crash_kill_loop"]
async fn crash_child() {
    let Some((role, dir)) = process::child_env(ROLE, DIR) else {
        return;
    };
    let store: Arc<dyn TicketStore> = Arc::new(SqliteStore::open(db(&dir)).unwrap());
    process::crash_child(&role, &dir, store, &tenants()).await;
}

fn child(dir: &Path, role: &str) -> Command {
    let mut cmd = process::child_test("crash_child");
    cmd.env(ROLE, role).env(DIR, dir).stdout(Stdio::null());
    cmd
}

/// The checks after each kill: the file's integrity, then the store-independent ones (the
/// acknowledged intakes looked up with `find_by_intake_key`).
fn check_file(dir: &Path, rt: &tokio::runtime::Runtime) -> AfterKill {
    let db = db(dir);
    assert_eq!(integrity_check(&db), "ok");
    let store = SqliteStore::open(&db).unwrap();
    process::check_after_kill(
        dir,
        &tenants(),
        move |tenant, key| {
            rt.block_on(store.find_by_intake_key(tenant, key))
                .unwrap()
                .is_some()
        },
        || read_contents(&db),
    )
}

#[test]
fn crash_kill_loop() {
    let runs: usize = process::env_or("ESCALATION_CRASH_RUNS", 100);
    let seed: u64 = process::env_or("ESCALATION_CRASH_SEED", 0x5eed_cafe);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rt = process::runtime();
    let kills = process::kill_loop(
        runs,
        seed,
        20..=200,
        || child(dir, "work").spawn().unwrap(),
        || check_file(dir, &rt),
    );
    let status = child(dir, "drain").status().unwrap();
    assert!(status.success(), "the drain child failed: {status}");
    let drained = check_file(dir, &rt);
    let contents = read_contents(&db(dir));
    let breached = process::check_drained(dir, &contents);
    println!(
        "{}",
        kills.summary(contents.tickets.len(), breached, &drained)
    );
}
