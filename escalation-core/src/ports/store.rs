use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::effect::{Delivery, Effect};
use crate::error::Result;
use crate::log::{LogEntry, LogEvent};
use crate::model::{AgentId, Status, TenantId, Ticket, TicketId, TicketRef};
use crate::task::{EscalationTask, TaskStatus};

/// What a store can do; the engine adapts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StoreCapabilities {
    /// Survives a restart of the process.
    pub durable: bool,
    /// Several processes may share it.
    pub shared: bool,
}

/// The outcome of [`TicketStore::insert`].
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// A new ticket, with its store-assigned id and version 1.
    Created(Ticket),
    /// A ticket with the same intake key already exists in the tenant; nothing was written.
    Existing(Ticket),
}

impl Inserted {
    /// The ticket, new or existing.
    pub fn into_ticket(self) -> Ticket {
        match self {
            Inserted::Created(t) | Inserted::Existing(t) => t,
        }
    }
}

/// Everything one atomic write commits: the ticket's new state, its new log entries, the
/// effects and tasks the change caused, and the pages whose pending repeats it cancels.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The ticket's new state (its `version` is the version it was read at).
    pub ticket: Ticket,
    /// Log entries to append.
    pub log: Vec<LogEntry>,
    /// Effects to add to the outbox; a key already present is left as it is.
    pub effects: Vec<Effect>,
    /// Escalation tasks to create; an id already present is left as it is.
    pub tasks: Vec<EscalationTask>,
    /// Page dedup keys whose pending triggers (repeats) are cancelled.
    pub cancel_pages: Vec<Arc<str>>,
    /// The writer's clock at the time of the write (stamped on cancellations).
    pub at: DateTime<Utc>,
}

impl Commit {
    /// A commit of a ticket and its log entries only, made at `at`.
    pub fn new(ticket: Ticket, log: Vec<LogEntry>, at: DateTime<Utc>) -> Commit {
        Commit {
            ticket,
            log,
            effects: Vec::new(),
            tasks: Vec::new(),
            cancel_pages: Vec::new(),
            at,
        }
    }
}

/// An effect claimed for delivery under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEffect {
    /// The effect as of the claim.
    pub effect: Effect,
    /// The lease token to fence the outcome with.
    pub token: u64,
}

/// The outcome of one delivery attempt, with the log entry that records it.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectOutcome {
    /// The effect's tenant.
    pub tenant: TenantId,
    /// The effect's key.
    pub key: Arc<str>,
    /// The lease token it was claimed with, and the dispatcher's time now.
    pub fence: Fence,
    /// What happened.
    pub delivery: Delivery,
    /// The entry appended to the ticket's log in the same write.
    pub log: LogEntry,
}

/// Proof that the writer still holds the lease it claimed a ticket with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    /// The lease token from [`Claimed::token`].
    pub token: u64,
    /// The writer's current time; the lease must not have expired by then.
    pub now: DateTime<Utc>,
}

/// A request to claim due tickets.
#[derive(Debug, Clone)]
pub struct ClaimDue {
    /// Tickets whose next check is at or before this instant are due.
    pub now: DateTime<Utc>,
    /// At most this many.
    pub limit: usize,
    /// How long the lease lasts; a claimer that dies releases the ticket when it ends.
    pub lease_for: TimeDelta,
    /// Who claims (an engine id), for diagnostics.
    pub holder: Arc<str>,
}

/// A ticket claimed under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The ticket as of the claim.
    pub ticket: Ticket,
    /// The lease token to fence the write with.
    pub token: u64,
    /// When the lease ends.
    pub until: DateTime<Utc>,
}

/// One batch of retention cleanup ([`TicketStore::cleanup`]): the cutoffs, where the
/// previous batch stopped, and whether to write.
///
/// The rules are the methods of this type, so every store selects exactly the same things
/// (and a dry run exactly what a real run removes).
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupQuery {
    /// Resolved and closed tickets, not yet archived, resolved before this are archived
    /// (a ticket closed without ever being resolved has no resolution instant and is kept).
    pub archive_before: DateTime<Utc>,
    /// Drafts created before this are deleted, and so are open escalation tasks created
    /// before this on resolved or closed tickets.
    pub drafts_before: DateTime<Utc>,
    /// Log entries of archived tickets before this are pruned, unless they are escalation
    /// entries.
    pub log_before: DateTime<Utc>,
    /// Every log entry of an archived ticket before this is pruned; at or before
    /// `log_before`.
    pub escalation_log_before: DateTime<Utc>,
    /// Only tickets with a larger id are looked at (the previous batch's
    /// [`CleanupBatch::next`]).
    pub after: Option<TicketId>,
    /// At most this many tickets are looked at.
    pub limit: usize,
    /// The cleaner's clock: the archive instant and the time of the `Archived` log entry.
    pub now: DateTime<Utc>,
    /// Select only: report what a real run would do and write nothing.
    pub dry_run: bool,
}

impl CleanupQuery {
    /// Whether `ticket` is archived by this cleanup.
    pub fn archives(&self, ticket: &Ticket) -> bool {
        matches!(ticket.status, Status::Resolved | Status::Closed)
            && ticket.archived_at.is_none()
            && ticket
                .resolved_at
                .is_some_and(|at| at < self.archive_before)
    }

    /// Whether `ticket` is a draft (never submitted) that this cleanup deletes, with its log,
    /// effects and tasks.
    pub fn deletes_draft(&self, ticket: &Ticket) -> bool {
        ticket.status == Status::Draft && ticket.created_at < self.drafts_before
    }

    /// Whether `task` of `ticket` is deleted: still open (never taken up) on a resolved or
    /// closed ticket, and created before `drafts_before`.
    pub fn deletes_task(&self, ticket: &Ticket, task: &EscalationTask) -> bool {
        matches!(ticket.status, Status::Resolved | Status::Closed)
            && task.status == TaskStatus::Open
            && task.created_at < self.drafts_before
    }

    /// Whether the log of `ticket` is pruned: it is archived, or archived by this cleanup.
    pub fn prunes_log_of(&self, ticket: &Ticket) -> bool {
        ticket.archived_at.is_some() || self.archives(ticket)
    }

    /// Whether `entry` of a ticket whose log is pruned goes: older than
    /// `escalation_log_before`, or older than `log_before` and not an escalation entry.
    pub fn prunes(&self, entry: &LogEntry) -> bool {
        entry.at < self.escalation_log_before
            || (entry.at < self.log_before && !entry.event.is_escalation())
    }

    /// The entry an archive appends to the ticket's log.
    pub fn archived_entry(&self) -> LogEntry {
        LogEntry::engine(self.now, crate::log::LogEvent::Archived)
    }
}

/// What one batch of cleanup did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CleanupBatch {
    /// Tickets archived, in id order.
    pub archived: Vec<TicketId>,
    /// Drafts deleted, in id order.
    pub deleted_drafts: Vec<TicketId>,
    /// Escalation tasks deleted, by ticket id then creation order.
    pub deleted_tasks: Vec<Arc<str>>,
    /// Log entries pruned.
    pub pruned_log_entries: u64,
    /// Where the next batch starts ([`CleanupQuery::after`]); `None` when no ticket is left.
    pub next: Option<TicketId>,
}

/// Tickets, their logs, and the due index.
///
/// Writes are atomic: a ticket's new state and its log entries commit together or not at
/// all. Updates carry the version they were read at (optimistic concurrency). Every read and
/// write is scoped by tenant: a ticket of another tenant reads as `NotFound`.
#[async_trait]
pub trait TicketStore: Send + Sync + 'static {
    /// What this store can do.
    fn capabilities(&self) -> StoreCapabilities;

    /// Hands out a fresh ticket id (ids are never reused; a gap is harmless).
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn next_id(&self) -> Result<TicketId>;

    /// Inserts a new ticket (with an id from [`TicketStore::next_id`]) with its first log
    /// entries, effects and tasks, at version 1. When the ticket has an intake key already
    /// used in its tenant, writes nothing and returns the existing ticket.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the id is taken; [`crate::Error::Storage`] when the
    /// store fails.
    async fn insert(&self, commit: Commit) -> Result<Inserted>;

    /// Reads a ticket.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when it does not exist in that tenant.
    async fn get(&self, key: &TicketRef) -> Result<Ticket>;

    /// Reads a ticket by the host's intake key.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn find_by_intake_key(&self, tenant: &TenantId, key: &str) -> Result<Option<Ticket>>;

    /// Commits a ticket's new state with its log entries, effects, tasks and cancellations,
    /// if the stored version still equals `commit.ticket.version` (and, with a fence, the
    /// lease is still held). Increments the version, files the ticket under its
    /// `next_check` in the due index and releases any lease. Returns the new version.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the version moved on or the lease was lost (nothing
    /// is written); [`crate::Error::NotFound`] when the ticket does not exist in that tenant.
    async fn update(&self, commit: Commit, fence: Option<Fence>) -> Result<u64>;

    /// Commits several updates, each exactly as [`TicketStore::update`] would, and returns
    /// each one's outcome: a conflict on one leaves the others unaffected. A store that can
    /// writes them in one transaction (one flush to disk for a whole sweep batch); the
    /// default writes them one by one.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails as a whole (then none is written).
    async fn update_many(&self, writes: Vec<(Commit, Option<Fence>)>) -> Result<Vec<Result<u64>>> {
        let mut out = Vec::with_capacity(writes.len());
        for (commit, fence) in writes {
            out.push(self.update(commit, fence).await);
        }
        Ok(out)
    }

    /// The log of a ticket, oldest first.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the ticket does not exist in that tenant.
    async fn log(&self, key: &TicketRef) -> Result<Vec<LogEntry>>;

    /// Claims up to `limit` due tickets (next check at or before `now`, not leased), in
    /// next-check order, leasing each until `now + lease_for`. A claimed ticket whose lease
    /// expires is due again.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn claim_due(&self, request: &ClaimDue) -> Result<Vec<Claimed>>;

    /// The earliest instant at which [`TicketStore::claim_due`] could return a ticket, if
    /// any (for sleeping between sweeps): the earliest due instant, where a ticket under a
    /// lease counts as due when its lease ends (so a crashed worker's claim does not make a
    /// sweeper spin until then).
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>>;

    /// Claims up to `limit` pending effects whose next attempt is due at `now`, earliest
    /// first, leasing each until `now + lease_for`. An effect whose lease expires is due again.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn claim_effects(&self, request: &ClaimDue) -> Result<Vec<ClaimedEffect>>;

    /// Records a delivery attempt's outcome and appends its log entry, if the lease is still
    /// held.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the lease was lost (nothing is written);
    /// [`crate::Error::NotFound`] when the effect does not exist in that tenant.
    async fn finish_effect(&self, outcome: EffectOutcome) -> Result<()>;

    /// The effects of a ticket, oldest first.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the ticket does not exist in that tenant.
    async fn effects(&self, key: &TicketRef) -> Result<Vec<Effect>>;

    /// The earliest instant at which [`TicketStore::claim_effects`] could return an effect,
    /// if any: the earliest next attempt among pending effects, where a leased one counts
    /// from the end of its lease.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn next_effect_due(&self) -> Result<Option<DateTime<Utc>>>;

    /// The escalation tasks of `tenant` (of one ticket when given), oldest first.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn tasks(
        &self,
        tenant: &TenantId,
        ticket: Option<TicketId>,
    ) -> Result<Vec<EscalationTask>>;

    /// Replaces a task (the host assigned or closed it).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when no task has that id in that tenant.
    async fn put_task(&self, task: EscalationTask) -> Result<()>;

    /// Log entries of `tenant` with `from <= at < to`, in time order.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn log_range(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(TicketId, LogEntry)>>;

    /// Log entries of `tenant` with `from <= at < to` whose event is one of `kinds`, in time
    /// order: [`TicketStore::log_range`] filtered. The default filters `log_range`; a store
    /// that knows the kinds of its rows reads only the rows that hold one (the reports read
    /// weeks of log for a handful of kinds).
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn log_range_of(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kinds: EventKinds,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        let mut all = self.log_range(tenant, from, to).await?;
        all.retain(|(_, e)| kinds.contains(&e.event));
        Ok(all)
    }

    /// The tickets of `tenant` resolved in `[from, to)` (by [`Ticket::resolved_at`], the
    /// last resolution; closed tickets included), in `(resolved_at, id)` order. For the
    /// resolution metrics and the weekly report.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn resolved_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Ticket>>;

    /// The tickets of `tenant` among `ids`, in the order of `ids`; an id unknown in that
    /// tenant is skipped. The default calls [`TicketStore::get`] for each; a store may read
    /// them in one go.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn get_many(&self, tenant: &TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.get(&TicketRef::new(tenant.clone(), *id)).await {
                Ok(t) => out.push(t),
                Err(e) if e.kind() == crate::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The number of open tickets each of `agents` owns in `tenant`, in the same order.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn agent_loads(&self, tenant: &TenantId, agents: &[&AgentId]) -> Result<Vec<u32>>;

    /// Runs one batch of retention cleanup in `tenant`, in one transaction: looks at up to
    /// `query.limit` tickets with an id above `query.after`, in id order, and applies the
    /// rules of [`CleanupQuery`] to each:
    ///
    /// - a draft it deletes goes with its log, effects, tasks and intake key;
    /// - a ticket it archives gets `archived_at = now`, a new version, no next check (it
    ///   leaves the due index) and an `Archived` log entry;
    /// - the tasks it deletes go;
    /// - the log entries it prunes go (on SQLite, a log row keeps only its remaining
    ///   entries, and goes when none remain).
    ///
    /// With `query.dry_run` it writes nothing and reports the same. A ticket under a lease is
    /// archived all the same: the version moves on, so the lease holder's write is refused.
    /// Running it again changes nothing more (idempotent). The default reports
    /// `NotSupported`.
    ///
    /// # Errors
    /// [`crate::Error::NotSupported`] when the store has no cleanup;
    /// [`crate::Error::Storage`] when the store fails (then nothing of the batch is written).
    async fn cleanup(&self, tenant: &TenantId, query: &CleanupQuery) -> Result<CleanupBatch> {
        let _ = (tenant, query);
        Err(crate::Error::NotSupported("retention cleanup"))
    }
}

/// For store adapters that index instants as integers: `t` as unix nanoseconds. Instants
/// outside 1677–2262 are clamped to `i64::MIN`/`i64::MAX` (they only order an index; the
/// stored document keeps the exact value, see [`nanos_saturated`]).
pub fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The instant `n` unix nanoseconds after the epoch (the inverse of [`nanos`] where that is
/// exact).
pub fn from_nanos(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

/// Whether [`nanos`] clamped: the instant must be read back from the document.
pub fn nanos_saturated(n: i64) -> bool {
    n == i64::MAX || n == i64::MIN
}

/// Which row holds the earliest claimable instant, and how it is known (see
/// [`earliest_claimable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earliest<K> {
    /// The row's own due instant (as the store's integer column holds it).
    Due(K, i64),
    /// The end of the lease on a row due earlier.
    LeaseEnd(i64),
}

impl<K> Earliest<K> {
    /// The instant, as the store's integer column holds it.
    pub fn at(&self) -> i64 {
        match self {
            Earliest::Due(_, n) | Earliest::LeaseEnd(n) => *n,
        }
    }
}

/// For store adapters that keep instants as integers: the earliest instant a claim could take
/// one of the rows `(key, due, lease_until)`, read in ascending `due` order. A leased row is
/// claimable when its lease ends. Stops reading at the first row due after the best instant
/// found so far (usually the first unleased row), so the store may stream the rows.
///
/// `best` is the best found in earlier pages (`None` at first). Returns the best found and
/// whether the rows were read to their end without stopping: a store that reads in pages
/// reads the next page only then, and passes the best on.
///
/// # Errors
/// The first error the rows carry.
pub fn earliest_claimable<K, E>(
    mut best: Option<Earliest<K>>,
    rows: impl IntoIterator<Item = std::result::Result<(K, i64, Option<i64>), E>>,
) -> std::result::Result<(Option<Earliest<K>>, bool), E> {
    for row in rows {
        let (key, due, lease) = row?;
        if best.as_ref().is_some_and(|b| due >= b.at()) {
            return Ok((best, false));
        }
        let candidate = match lease {
            Some(end) if end > due => Earliest::LeaseEnd(end),
            _ => Earliest::Due(key, due),
        };
        if best.as_ref().is_none_or(|b| candidate.at() < b.at()) {
            best = Some(candidate);
        }
    }
    Ok((best, true))
}

/// A set of log event kinds, named as [`LogEvent::name`] names them; a 64-bit mask a store
/// may keep next to its log rows. Kinds this version does not list share one "other" bit,
/// which every set contains, so a filter never drops an event it cannot name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKinds(u64);

impl EventKinds {
    /// Bit positions: index in this list; anything else is [`EventKinds::OTHER`].
    const NAMES: [&'static str; 34] = [
        "created",
        "profile_fetched",
        "profile_not_found",
        "profile_unavailable",
        "scored",
        "rescored",
        "priority_overridden",
        "priority_override_cleared",
        "assigned",
        "queued",
        "directory_unavailable",
        "status_changed",
        "agent_replied",
        "customer_replied",
        "sla_started",
        "sla_rebudgeted",
        "sla_paused",
        "sla_resumed",
        "sla_stopped",
        "sla_warning",
        "sla_breached",
        "level_fired",
        "task_created",
        "effect_queued",
        "effect_delivered",
        "effect_retrying",
        "effect_dead_lettered",
        "no_recipient",
        "moved_to_tier",
        "priority_raised",
        "page_repeated",
        "page_acknowledged",
        "page_unacknowledged",
        "resolved",
    ];
    const OTHER: u64 = 1 << 63;

    /// Every kind.
    pub const ALL: EventKinds = EventKinds(u64::MAX);

    fn bit_of(name: &str) -> u64 {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map_or(Self::OTHER, |i| 1 << i)
    }

    /// The kinds named (by [`LogEvent::name`]); an unknown name adds nothing but the
    /// "other" bit every set has.
    pub fn of(names: &[&str]) -> EventKinds {
        EventKinds(names.iter().fold(Self::OTHER, |m, n| m | Self::bit_of(n)))
    }

    /// The mask of the kinds of `events` (what a store keeps next to a log row).
    pub fn mask_of<'e>(events: impl IntoIterator<Item = &'e LogEvent>) -> i64 {
        let m = events
            .into_iter()
            .fold(0u64, |m, e| m | Self::bit_of(e.name()));
        i64::from_ne_bytes(m.to_ne_bytes())
    }

    /// The set as a signed 64-bit mask (as SQL stores integers).
    pub fn as_i64(self) -> i64 {
        i64::from_ne_bytes(self.0.to_ne_bytes())
    }

    /// Whether `event` is of one of the kinds.
    pub fn contains(self, event: &LogEvent) -> bool {
        self.0 & Self::bit_of(event.name()) != 0
    }
}
