use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::error::Result;
use crate::log::LogEntry;
use crate::model::{AgentId, TenantId, Ticket, TicketRef};

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

/// Tickets, their logs, and the due index.
///
/// Writes are atomic: a ticket's new state and its log entries commit together or not at
/// all. Updates carry the version they were read at (optimistic concurrency). Every read and
/// write is scoped by tenant: a ticket of another tenant reads as `NotFound`.
#[async_trait]
pub trait TicketStore: Send + Sync + 'static {
    /// What this store can do.
    fn capabilities(&self) -> StoreCapabilities;

    /// Inserts a new ticket with its first log entries, assigning its id and version 1.
    /// When the ticket has an intake key already used in its tenant, writes nothing and
    /// returns the existing ticket.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn insert(&self, ticket: Ticket, log: Vec<LogEntry>) -> Result<Inserted>;

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

    /// Writes a ticket's new state and appends `log`, if the stored version still equals
    /// `ticket.version` (and, with a fence, the lease is still held). Increments the version,
    /// files the ticket under `ticket.next_check` in the due index and releases any lease.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the version moved on or the lease was lost;
    /// [`crate::Error::NotFound`] when the ticket does not exist in that tenant.
    async fn update(
        &self,
        ticket: Ticket,
        log: Vec<LogEntry>,
        fence: Option<Fence>,
    ) -> Result<Ticket>;

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

    /// The earliest next check in the due index, if any (for sleeping between sweeps).
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>>;

    /// The number of open tickets each of `agents` owns in `tenant`, in the same order.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store fails.
    async fn agent_loads(&self, tenant: &TenantId, agents: &[&AgentId]) -> Result<Vec<u32>>;
}
