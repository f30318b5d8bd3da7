//! Helpers shared by the process-level tests (`crash.rs`, `processes.rs`) and `engine.rs`:
//! the store-independent pieces are `escalation_core::testkit::process`'s (journaling ports,
//! the engine's fixed ports, the child processes, the exactly-once checks); here are the
//! default tenant's directory and profiles, and SQLite's own readers of a database file's
//! raw contents.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use escalation_core::memory::{MemoryDirectory, MemoryProfiles};
use escalation_core::testkit::process::{self, Contents};
use escalation_core::{LogEntry, TenantId};

pub use escalation_core::testkit::process::t0;

/// The directory and profiles every engine of these tests uses (the default tenant).
pub fn directory_and_profiles() -> (Arc<MemoryDirectory>, Arc<MemoryProfiles>) {
    process::directory_and_profiles(&[TenantId::default_tenant()])
}

/// What the database file at `path` holds, read straight from its tables.
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
