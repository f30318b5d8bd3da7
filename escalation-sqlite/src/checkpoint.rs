//! A background checkpointer for large writes.
//!
//! In WAL mode every page is written twice: into the WAL at commit, and later into the main
//! file by a checkpoint. SQLite's automatic checkpoint runs on the committing connection,
//! inside the write path, once the WAL passes 1,000 pages. After a large write (a batch
//! intake, a group of sweep write-backs) the store pokes this thread instead, which copies
//! the new frames on its own connection with a `PASSIVE` checkpoint: it never blocks the
//! writer or readers, and the writer's next transaction starts on a short WAL. The automatic
//! checkpoint stays on as the safety net for when this thread falls behind.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use escalation_core::{Error, Result};
use rusqlite::Connection;

use crate::worker::{BUSY_TIMEOUT, storage};

#[derive(Debug)]
pub(crate) struct Checkpointer {
    poke: Option<mpsc::SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to `path` (already migrated) and starts the thread.
    pub(crate) fn spawn(path: &Path) -> Result<Checkpointer> {
        let conn = Connection::open(path).map_err(storage)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(storage)?;
        // One pending poke is enough: a checkpoint copies every frame there is.
        let (poke, pokes) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("escalation-sqlite-checkpoint".into())
            .spawn(move || {
                // Ends when the store drops its sender.
                while pokes.recv().is_ok() {
                    // A failed or partial checkpoint is not an error: the frames stay in
                    // the WAL, readable, until the next one (or the automatic one).
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| Error::Storage {
                message: format!("cannot start the SQLite checkpoint thread: {e}"),
                retryable: false,
            })?;
        Ok(Checkpointer {
            poke: Some(poke),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon (never waits).
    pub(crate) fn poke(&self) {
        if let Some(p) = &self.poke {
            let _ = p.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.poke.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
