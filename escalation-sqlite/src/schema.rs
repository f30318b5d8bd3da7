//! Connection settings and migrations.

use escalation_core::{Error, Result};
use rusqlite::Connection;

use crate::worker::{BUSY_TIMEOUT, R, retry_busy, write_tx};

/// The migrations, in order: `(version, sql)`. A released migration is never edited.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_compact_documents.sql")),
    (3, include_str!("../migrations/0003_resolved_at.sql")),
    (4, include_str!("../migrations/0004_cleanup.sql")),
    (5, include_str!("../migrations/0005_log_kinds.sql")),
];

/// Sets the pragmas: busy timeout, WAL, `synchronous=FULL`. Foreign keys are
/// enforced from [`enforce_foreign_keys`] on, after the migrations.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(crate::worker::storage)?;
    retry_busy(|| -> R<()> {
        // An in-memory database answers "memory"; a file database switches to WAL.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Off while migrating (a migration may rebuild a table others reference; the
        // bundled SQLite turns enforcement on by default).
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // The page cache stays at SQLite's default (2 MiB): a WAL connection may drop its
        // whole cache when a transaction begins, and walking a large one each time cost
        // more (measured: batch intake 29 k/s with 64 MiB, 39 k/s with the default).
        Ok(())
    })
}

/// Turns foreign-key enforcement on (after the migrations, which rebuild tables).
pub(crate) fn enforce_foreign_keys(conn: &Connection) -> Result<()> {
    retry_busy(|| -> R<()> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    })
}

/// Applies the migrations the database lacks, in one transaction, and checks the foreign
/// keys before committing.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64> {
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    write_tx(conn, |tx| {
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version    INTEGER PRIMARY KEY NOT NULL,
                applied_at TEXT NOT NULL
            ) STRICT;",
        )?;
        let current: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )?;
        if current > latest {
            return Err(Error::Storage {
                message: format!(
                    "the database is at schema version {current}, newer than this build \
                     knows ({latest})"
                ),
                retryable: false,
            }
            .into());
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql)?;
            if *version == 3 {
                crate::ops::backfill_resolved_at(tx)?;
            }
            tx.execute(
                "INSERT INTO schema_version (version, applied_at)
                 VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                [version],
            )?;
        }
        if current < latest {
            let dangling: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                    row.get(0)
                })?;
            if dangling > 0 {
                return Err(Error::Storage {
                    message: format!(
                        "migrating to schema version {latest} left {dangling} rows whose \
                         ticket is missing"
                    ),
                    retryable: false,
                }
                .into());
            }
        }
        Ok(latest)
    })
}
