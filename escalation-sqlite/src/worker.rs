//! The connection thread, transactions with busy retries, and error mapping.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use escalation_core::{Error, Result};
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

/// How long one statement waits on a lock inside SQLite before it reports busy.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a transaction is retried on `SQLITE_BUSY` before the (retryable) error is
/// reported. SQLite releases the locks of a crashed process, so this is only reached when
/// another writer holds the database for minutes.
const MAX_BUSY_WAIT: Duration = Duration::from_secs(600);

/// A failure inside a job: SQLite's (maybe busy, then retried) or the engine's own.
#[derive(Debug)]
pub(crate) enum Fail {
    Sql(rusqlite::Error),
    Core(Error),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::Sql(e)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Core(e)
    }
}

/// The result type of the SQL operations.
pub(crate) type R<T> = std::result::Result<T, Fail>;

pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Maps a rusqlite error to [`Error::Storage`]; busy and locked are retryable.
pub(crate) fn storage(e: rusqlite::Error) -> Error {
    Error::Storage {
        retryable: is_busy(&e),
        message: e.to_string(),
    }
}

pub(crate) fn finish<T>(r: R<T>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(Fail::Sql(e)) => Err(storage(e)),
        Err(Fail::Core(e)) => Err(e),
    }
}

/// Runs `attempt` until it does not fail with `SQLITE_BUSY` (backing off between tries).
pub(crate) fn retry_busy<T>(mut attempt: impl FnMut() -> R<T>) -> Result<T> {
    let start = Instant::now();
    let mut backoff = Duration::from_millis(1);
    loop {
        match attempt() {
            Err(Fail::Sql(e)) if is_busy(&e) && start.elapsed() < MAX_BUSY_WAIT => {
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(50));
            }
            other => return finish(other),
        }
    }
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits it; any error rolls it back.
/// A busy database retries the whole transaction.
pub(crate) fn write_tx<T>(
    conn: &mut Connection,
    mut f: impl FnMut(&Transaction<'_>) -> R<T>,
) -> Result<T> {
    retry_busy(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    })
}

/// Runs `f` in a deferred (read) transaction, so it reads one snapshot.
pub(crate) fn read_tx<T>(
    conn: &mut Connection,
    mut f: impl FnMut(&Transaction<'_>) -> R<T>,
) -> Result<T> {
    retry_busy(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    })
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The thread that owns the connection and runs jobs one at a time.
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

fn gone() -> Error {
    Error::Storage {
        message: "the SQLite connection thread has stopped".into(),
        retryable: false,
    }
}

impl Worker {
    /// Moves `conn` to a new thread.
    pub(crate) fn spawn(mut conn: Connection) -> Result<Worker> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("escalation-sqlite".into())
            .spawn(move || {
                // Ends when the store drops its sender; the connection closes with it.
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| Error::Storage {
                message: format!("cannot start the SQLite connection thread: {e}"),
                retryable: false,
            })?;
        Ok(Worker {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }

    /// Runs `f` on the connection thread and waits (asynchronously) for its result.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let out = catch_unwind(AssertUnwindSafe(|| f(conn))).unwrap_or_else(|_| {
                Err(Error::Internal(
                    "a SQLite store operation panicked".to_owned(),
                ))
            });
            // The caller may have gone away (its future was dropped); nothing to do then.
            let _ = reply.send(out);
        });
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the thread after the queued jobs; joining it makes sure
        // the connection is closed (and the WAL checkpointed) before a reopen.
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
