//! # escalation-sqlite
//!
//! A [`TicketStore`] for the escalation engine on SQLite (bundled, through `rusqlite`).
//!
//! - **Durable.** The database runs in WAL mode with `synchronous=FULL`; a commit that
//!   returned is on disk. Every write is one `BEGIN IMMEDIATE` transaction, so a ticket's
//!   state, its log entries, effects, tasks and cancellations commit together or not at all.
//! - **Shared.** Several processes may open the same file: writers serialize on SQLite's
//!   lock. A busy database is waited on (a busy timeout, then a retry loop with backoff), so
//!   callers do not see `SQLITE_BUSY`.
//! - **Off the async workers.** Each [`SqliteStore`] owns one connection on a dedicated
//!   thread; the async trait methods send it jobs over a channel and await the reply.
//! - **Schema.** Migrations in `migrations/` are applied on open inside one transaction
//!   and recorded in the `schema_version` table. Documents (tickets, log entries, effects,
//!   tasks) are stored as JSON next to the indexed columns the queries need. Uniqueness of
//!   ticket ids, effect keys, task ids and `(tenant, intake key)` is enforced by constraints.
//!
//! ```no_run
//! use std::sync::Arc;
//! use escalation_core::Engine;
//! use escalation_sqlite::SqliteStore;
//!
//! let store = SqliteStore::open("escalation.db")?;
//! let engine = Engine::builder().store(Arc::new(store)).build()?;
//! # Ok::<(), escalation_core::Error>(())
//! ```
//!
//! The behaviour matches `escalation_core::memory::MemoryStore` (the reference contract),
//! including leases and fencing, page-cancellation holds and tenant scoping.
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod checkpoint;
mod ops;
mod schema;
mod worker;

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use escalation_core::effect::Effect;
use escalation_core::ports::{
    ClaimDue, Claimed, ClaimedEffect, CleanupBatch, CleanupQuery, Commit, EffectOutcome,
    EventKinds, Fence, Inserted, StoreCapabilities, TicketStore,
};
use escalation_core::task::EscalationTask;
use escalation_core::{AgentId, LogEntry, Result, TenantId, Ticket, TicketId, TicketRef};
use rusqlite::Connection;

use crate::worker::{Worker, read_tx, storage, write_tx};

/// A [`TicketStore`] on a SQLite database.
///
/// Dropping it stops its connection thread (after the jobs already queued) and closes the
/// connection.
#[derive(Debug)]
pub struct SqliteStore {
    worker: Worker,
    durable: bool,
    /// Declared after `worker`, so it stops after the connection thread (which drains its
    /// queued jobs first).
    checkpointer: Option<checkpoint::Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating it if needed) the database at `path`, applies pending migrations and
    /// starts the connection thread.
    ///
    /// This is a blocking call (it opens the file and migrates it on the calling thread);
    /// call it at startup, or inside `spawn_blocking` from async code.
    ///
    /// # Errors
    /// [`escalation_core::Error::Storage`] when the file cannot be opened or migrated, or
    /// was written by a newer version of this crate.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let conn = Connection::open(path.as_ref()).map_err(storage)?;
        let mut store = SqliteStore::start(conn, true)?;
        store.checkpointer = Some(checkpoint::Checkpointer::spawn(path.as_ref())?);
        Ok(store)
    }

    /// A private, empty in-memory database (for tests); it is gone when the store drops.
    ///
    /// # Errors
    /// [`escalation_core::Error::Storage`] when SQLite fails to start.
    pub fn open_in_memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(storage)?;
        SqliteStore::start(conn, false)
    }

    fn start(mut conn: Connection, durable: bool) -> Result<SqliteStore> {
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        schema::enforce_foreign_keys(&conn)?;
        Ok(SqliteStore {
            worker: Worker::spawn(conn)?,
            durable,
            checkpointer: None,
        })
    }

    /// The schema version this build migrates databases to.
    pub fn schema_version() -> i64 {
        schema::MIGRATIONS.last().map_or(0, |(v, _)| *v)
    }

    /// Inserts many tickets in one transaction, with the semantics of
    /// [`TicketStore::insert`] for each (a later commit sees the earlier ones, so a repeated
    /// intake key yields [`Inserted::Existing`]). Returns one outcome per commit, in order.
    ///
    /// # Errors
    /// [`escalation_core::Error::Conflict`] when an id is taken (nothing of the batch is
    /// written); [`escalation_core::Error::Storage`] when the store fails.
    pub async fn insert_batch(&self, commits: Vec<Commit>) -> Result<Vec<Inserted>> {
        let out = self
            .worker
            .call(move |conn| {
                if commits.len() < PIPELINE_FROM {
                    let encoded: Vec<ops::EncodedInsert> =
                        worker::finish(commits.into_iter().map(ops::encode_insert).collect())?;
                    let mut feed = Feed::ready(encoded);
                    let existing = write_tx(conn, |tx| insert_all(tx, &mut feed))?;
                    return Ok(outcomes(feed, existing));
                }
                // A large batch is encoded (JSON, compression) on a second thread while
                // this one inserts the rows already encoded.
                std::thread::scope(|scope| {
                    let (send, receive) = std::sync::mpsc::sync_channel(8);
                    scope.spawn(move || encode_chunks(commits, &send));
                    let mut feed = Feed::streaming(receive);
                    let existing = write_tx(conn, |tx| insert_all(tx, &mut feed))?;
                    Ok(outcomes(feed, existing))
                })
            })
            .await;
        self.checkpoint_soon();
        out
    }

    /// After a large write: lets the checkpoint thread copy the new WAL frames.
    fn checkpoint_soon(&self) {
        if let Some(c) = &self.checkpointer {
            c.poke();
        }
    }
}

/// Batches of at least this many commits encode on a second thread.
const PIPELINE_FROM: usize = 128;

/// Commits per chunk handed from the encoding thread to the connection thread.
const CHUNK: usize = 64;

/// Encodes commits in chunks and sends them on; stops at the first failure (sent on) or when
/// the receiver is gone.
fn encode_chunks(
    commits: Vec<Commit>,
    send: &std::sync::mpsc::SyncSender<worker::R<Vec<ops::EncodedInsert>>>,
) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for commit in commits {
        match ops::encode_insert(commit) {
            Ok(e) => chunk.push(e),
            Err(fail) => {
                let _ = send.send(Err(fail));
                return;
            }
        }
        if chunk.len() == CHUNK && send.send(Ok(std::mem::take(&mut chunk))).is_err() {
            return;
        }
    }
    if !chunk.is_empty() {
        let _ = send.send(Ok(chunk));
    }
}

/// The encoded commits of a batch, received as they are encoded and kept, so that a
/// transaction retried after a busy database walks them again from the start.
struct Feed {
    got: Vec<ops::EncodedInsert>,
    more: Option<std::sync::mpsc::Receiver<worker::R<Vec<ops::EncodedInsert>>>>,
}

impl Feed {
    fn ready(got: Vec<ops::EncodedInsert>) -> Feed {
        Feed { got, more: None }
    }

    fn streaming(more: std::sync::mpsc::Receiver<worker::R<Vec<ops::EncodedInsert>>>) -> Feed {
        Feed {
            got: Vec::new(),
            more: Some(more),
        }
    }

    /// The `i`th encoded commit, waiting for it if needed; `None` past the last one.
    fn get(&mut self, i: usize) -> worker::R<Option<&ops::EncodedInsert>> {
        while i >= self.got.len() {
            let Some(more) = &self.more else {
                return Ok(None);
            };
            match more.recv() {
                Ok(chunk) => self.got.extend(chunk?),
                // The encoder is done (it sends every chunk before it drops the sender).
                Err(_) => self.more = None,
            }
        }
        Ok(self.got.get(i))
    }
}

/// Inserts every commit of the feed, then raises the id counter once. Returns, per commit,
/// the ticket already holding its intake key, if any (then nothing was inserted for it).
fn insert_all(tx: &rusqlite::Transaction<'_>, feed: &mut Feed) -> worker::R<Vec<Option<Ticket>>> {
    let mut out = Vec::new();
    let mut top = None;
    let mut i = 0;
    while let Some(e) = feed.get(i)? {
        let existing = ops::insert_encoded(tx, e)?;
        if existing.is_none() {
            top = top.max(Some(e.id()));
        }
        out.push(existing);
        i += 1;
    }
    if let Some(id) = top {
        ops::raise_id_counter(tx, id)?;
    }
    Ok(out)
}

/// The outcomes of a committed batch: the encoded tickets move into `Created`.
fn outcomes(feed: Feed, existing: Vec<Option<Ticket>>) -> Vec<Inserted> {
    feed.got
        .into_iter()
        .zip(existing)
        .map(|(e, old)| match old {
            Some(t) => Inserted::Existing(t),
            None => Inserted::Created(e.into_ticket()),
        })
        .collect()
}

#[async_trait]
impl TicketStore for SqliteStore {
    fn capabilities(&self) -> StoreCapabilities {
        let mut caps = StoreCapabilities::default();
        caps.durable = self.durable;
        caps.shared = self.durable;
        caps
    }

    async fn next_id(&self) -> Result<TicketId> {
        self.worker.call(|conn| write_tx(conn, ops::next_id)).await
    }

    async fn insert(&self, commit: Commit) -> Result<Inserted> {
        self.worker
            .call(move |conn| write_tx(conn, |tx| ops::insert(tx, &commit)))
            .await
    }

    async fn get(&self, key: &TicketRef) -> Result<Ticket> {
        let key = key.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::get(tx, &key)))
            .await
    }

    async fn find_by_intake_key(&self, tenant: &TenantId, key: &str) -> Result<Option<Ticket>> {
        let (tenant, key) = (tenant.clone(), key.to_owned());
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::find_by_intake_key(tx, &tenant, &key)))
            .await
    }

    async fn update(&self, commit: Commit, fence: Option<Fence>) -> Result<u64> {
        self.worker
            .call(move |conn| write_tx(conn, |tx| ops::update(tx, &commit, fence)))
            .await
    }

    async fn update_many(&self, writes: Vec<(Commit, Option<Fence>)>) -> Result<Vec<Result<u64>>> {
        // One transaction (one flush to disk) for the whole group; each write runs under its
        // own savepoint, so a conflicting one is rolled back alone.
        let large = writes.len() >= 16;
        let out = self
            .worker
            .call(move |conn| {
                write_tx(conn, |tx| {
                    let mut out = Vec::with_capacity(writes.len());
                    for (commit, fence) in &writes {
                        tx.execute_batch("SAVEPOINT one_write")?;
                        match ops::update(tx, commit, *fence) {
                            Ok(version) => {
                                tx.execute_batch("RELEASE one_write")?;
                                out.push(Ok(version));
                            }
                            Err(worker::Fail::Core(e)) => {
                                tx.execute_batch("ROLLBACK TO one_write; RELEASE one_write")?;
                                out.push(Err(e));
                            }
                            Err(fail) => return Err(fail),
                        }
                    }
                    Ok(out)
                })
            })
            .await;
        if large {
            self.checkpoint_soon();
        }
        out
    }

    async fn log(&self, key: &TicketRef) -> Result<Vec<LogEntry>> {
        let key = key.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::log(tx, &key)))
            .await
    }

    async fn claim_due(&self, request: &ClaimDue) -> Result<Vec<Claimed>> {
        let request = request.clone();
        self.worker
            .call(move |conn| {
                // Most sweeps find nothing due: look in a read transaction first, and take
                // the write lock only when there is something to claim.
                if !read_tx(conn, |tx| ops::any_due(tx, request.now))? {
                    return Ok(Vec::new());
                }
                write_tx(conn, |tx| ops::claim_due(tx, &request))
            })
            .await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.worker.call(|conn| read_tx(conn, ops::next_due)).await
    }

    async fn claim_effects(&self, request: &ClaimDue) -> Result<Vec<ClaimedEffect>> {
        let request = request.clone();
        self.worker
            .call(move |conn| {
                if !read_tx(conn, |tx| ops::any_effect_due(tx, request.now))? {
                    return Ok(Vec::new());
                }
                write_tx(conn, |tx| ops::claim_effects(tx, &request))
            })
            .await
    }

    async fn finish_effect(&self, outcome: EffectOutcome) -> Result<()> {
        self.worker
            .call(move |conn| write_tx(conn, |tx| ops::finish_effect(tx, &outcome)))
            .await
    }

    async fn effects(&self, key: &TicketRef) -> Result<Vec<Effect>> {
        let key = key.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::effects(tx, &key)))
            .await
    }

    async fn next_effect_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.worker
            .call(|conn| read_tx(conn, ops::next_effect_due))
            .await
    }

    async fn tasks(
        &self,
        tenant: &TenantId,
        ticket: Option<TicketId>,
    ) -> Result<Vec<EscalationTask>> {
        let tenant = tenant.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::tasks(tx, &tenant, ticket)))
            .await
    }

    async fn put_task(&self, task: EscalationTask) -> Result<()> {
        self.worker
            .call(move |conn| write_tx(conn, |tx| ops::put_task(tx, &task)))
            .await
    }

    async fn log_range(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        let tenant = tenant.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::log_range(tx, &tenant, from, to)))
            .await
    }

    async fn log_range_of(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kinds: EventKinds,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        let tenant = tenant.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::log_range_of(tx, &tenant, from, to, kinds)))
            .await
    }

    async fn resolved_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Ticket>> {
        let tenant = tenant.clone();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::resolved_between(tx, &tenant, from, to)))
            .await
    }

    async fn get_many(&self, tenant: &TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let (tenant, ids) = (tenant.clone(), ids.to_vec());
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::get_many(tx, &tenant, &ids)))
            .await
    }

    async fn agent_loads(&self, tenant: &TenantId, agents: &[&AgentId]) -> Result<Vec<u32>> {
        let tenant = tenant.clone();
        let agents: Vec<AgentId> = agents.iter().map(|a| (*a).clone()).collect();
        self.worker
            .call(move |conn| read_tx(conn, |tx| ops::agent_loads(tx, &tenant, &agents)))
            .await
    }

    async fn cleanup(&self, tenant: &TenantId, query: &CleanupQuery) -> Result<CleanupBatch> {
        let (tenant, query) = (tenant.clone(), query.clone());
        self.worker
            .call(move |conn| {
                if query.dry_run {
                    read_tx(conn, |tx| ops::cleanup(tx, &tenant, &query))
                } else {
                    write_tx(conn, |tx| ops::cleanup(tx, &tenant, &query))
                }
            })
            .await
    }
}
