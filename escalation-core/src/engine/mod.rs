//! The engine: runs the workflow against the ports.
//!
//! Intake ([`Engine::create_ticket`]) runs steps 1–4 (create, fetch the profile, score,
//! assign) and starts the SLA clocks, writing the ticket with its log in one atomic store
//! write. Events ([`Engine::record`], [`Engine::resolve`], [`Engine::acknowledge`]) are applied
//! under optimistic concurrency. The sweep ([`Engine::sweep`]) claims only the tickets that are
//! due through the store's due index and evaluates their clocks and the escalation ladder
//! (`workflow.rs`); the dispatcher ([`Engine::dispatch`]) delivers the outbox; [`Engine::run`]
//! loops over both. [`Engine::explain`] says why each deadline is where it is.

mod cleanup;
mod dispatch;
mod explain;
mod workflow;

pub use cleanup::CleanupReport;
pub use dispatch::DispatchReport;
pub use explain::{Explanation, TargetExplanation};

use std::collections::HashMap;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::{Either, select};

use crate::calendar::BusinessCalendar;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::log::{Actor, LogEntry, LogEvent, RescoreReason};
use crate::memory::{MemoryDirectory, MemoryNotifier, MemoryPager, MemoryProfiles, MemoryStore};
use crate::model::{
    AgentId, NewTicket, PriorityOverride, ProfileState, Status, SupportTier, TenantId, Ticket,
    TicketEvent, TicketId, TicketRef,
};
use crate::policy::{Calendars, Policy};
use crate::ports::{AgentDirectory, ClaimDue, Fence, Notifier, Pager, ProfileSource, TicketStore};
use crate::routing::{self, Route};
use crate::scoring::{self, ScoreInput};
use crate::symbol::Symbol;
use smallvec::SmallVec;

/// Reasons and actors the engine writes often, shared instead of allocated each time.
struct Words {
    assigned: Arc<str>,
    customer_replied: Arc<str>,
    intake: Arc<str>,
    set_at_intake: Arc<str>,
}

impl Words {
    fn new() -> Words {
        Words {
            assigned: Arc::from("assigned"),
            customer_replied: Arc::from("customer replied"),
            intake: Arc::from("intake"),
            set_at_intake: Arc::from("set at intake"),
        }
    }
}
use crate::templates::Templates;
use workflow::Change;

/// How many due tickets one claim takes.
const SWEEP_BATCH: usize = 256;
/// How long a sweep's lease on a ticket lasts.
const SWEEP_LEASE: TimeDelta = TimeDelta::seconds(60);
/// How many revisited tickets a sweep writes back at once to a durable store.
const SWEEP_WRITE_GROUP: usize = 64;
/// How often `record` re-reads and re-applies an event after a concurrent write.
const RECORD_ATTEMPTS: usize = 5;

/// The escalation engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    id: Arc<str>,
    policy: Arc<Policy>,
    /// The policy's version, shared by every ticket it pins.
    policy_version: Arc<str>,
    words: Words,
    calendars: Calendars,
    templates: Templates,
    store: Arc<dyn TicketStore>,
    profiles: Arc<dyn ProfileSource>,
    notifier: Arc<dyn Notifier>,
    pager: Arc<dyn Pager>,
    directory: Arc<dyn AgentDirectory>,
    clock: Arc<dyn Clock>,
    /// The agent that won the last round-robin tie, per tenant and tier.
    round_robin: Mutex<HashMap<(TenantId, SupportTier), AgentId>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("id", &self.inner.id)
            .field("policy_version", &self.inner.policy.version)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Engine`]; every port defaults to its in-memory adapter and the clock to the
/// system clock.
#[derive(Default)]
pub struct EngineBuilder {
    id: Option<String>,
    policy: Option<Policy>,
    store: Option<Arc<dyn TicketStore>>,
    profiles: Option<Arc<dyn ProfileSource>>,
    notifier: Option<Arc<dyn Notifier>>,
    pager: Option<Arc<dyn Pager>>,
    directory: Option<Arc<dyn AgentDirectory>>,
    clock: Option<Arc<dyn Clock>>,
}

impl EngineBuilder {
    /// The policy (default: [`Policy::default`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The ticket store (default: a new [`MemoryStore`]).
    pub fn store(mut self, store: Arc<dyn TicketStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The profile source (default: an empty [`MemoryProfiles`]).
    pub fn profiles(mut self, profiles: Arc<dyn ProfileSource>) -> Self {
        self.profiles = Some(profiles);
        self
    }

    /// The notifier (default: a [`MemoryNotifier`]).
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The pager (default: a [`MemoryPager`]).
    pub fn pager(mut self, pager: Arc<dyn Pager>) -> Self {
        self.pager = Some(pager);
        self
    }

    /// The agent directory (default: an empty [`MemoryDirectory`]).
    pub fn directory(mut self, directory: Arc<dyn AgentDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// The clock (default: [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// A name for this engine instance, recorded as the holder of its leases.
    pub fn engine_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Builds the engine.
    ///
    /// # Errors
    /// [`Error::PolicyInvalid`] when the policy does not validate.
    pub fn build(self) -> Result<Engine> {
        let policy = self.policy.unwrap_or_default();
        policy.validate()?;
        let calendars = policy.calendars()?;
        let templates = Templates::compile(&policy.templates)
            .map_err(|problems| Error::PolicyInvalid { problems })?;
        Ok(Engine {
            inner: Arc::new(Inner {
                id: Arc::from(self.id.unwrap_or_else(|| "engine".to_owned())),
                policy_version: Arc::from(policy.version.as_str()),
                words: Words::new(),
                policy: Arc::new(policy),
                calendars,
                templates,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                profiles: self
                    .profiles
                    .unwrap_or_else(|| Arc::new(MemoryProfiles::new())),
                notifier: self
                    .notifier
                    .unwrap_or_else(|| Arc::new(MemoryNotifier::new())),
                pager: self.pager.unwrap_or_else(|| Arc::new(MemoryPager::new())),
                directory: self
                    .directory
                    .unwrap_or_else(|| Arc::new(MemoryDirectory::new())),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                round_robin: Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Due tickets claimed.
    pub claimed: usize,
    /// Queued tickets that got an agent.
    pub assigned: usize,
    /// Tickets whose priority band changed on rescoring.
    pub rescored: usize,
    /// Profiles that arrived on a retry.
    pub profiles_fetched: usize,
    /// Tickets another writer changed first; they are due again under their new state.
    pub conflicts: usize,
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, value, "must not be empty"));
    }
    if value.chars().count() > max {
        let shown: String = value.chars().take(40).collect();
        return Err(Error::invalid(
            field,
            format!("{shown}..."),
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

fn validate_new_ticket(new: &NewTicket, now: DateTime<Utc>) -> Result<()> {
    check_text("tenant", new.tenant.as_str(), 128)?;
    check_text("customer", new.customer.as_str(), 256)?;
    check_text("category", &new.category, 128)?;
    check_text("subject", &new.subject, 1_000)?;
    if new.body.len() > 1 << 20 {
        return Err(Error::invalid(
            "body",
            format!("{} bytes", new.body.len()),
            "must be at most 1 MiB",
        ));
    }
    if let Some(k) = &new.intake_key {
        check_text("intake_key", k, 256)?;
    }
    if new.received_at > now + TimeDelta::days(1) {
        return Err(Error::invalid(
            "received_at",
            new.received_at.to_rfc3339(),
            "must not be more than a day in the future",
        ));
    }
    Ok(())
}

fn host(by: &str) -> Result<Actor> {
    check_text("by", by, 256)?;
    Ok(Actor::Host(Arc::from(by)))
}

impl Engine {
    /// Starts building an engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The policy's calendar called `name` (`always` is built in).
    pub fn calendar(&self, name: &str) -> Option<&BusinessCalendar> {
        self.inner.calendars.get(name)
    }

    /// The current instant on the engine's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The store the engine writes to.
    pub fn store(&self) -> Arc<dyn TicketStore> {
        self.inner.store.clone()
    }

    /// The notifier effects are delivered through.
    pub fn notifier(&self) -> Arc<dyn Notifier> {
        self.inner.notifier.clone()
    }

    /// The pager pages are delivered through.
    pub fn pager(&self) -> Arc<dyn Pager> {
        self.inner.pager.clone()
    }

    /// The agent directory.
    pub fn directory(&self) -> Arc<dyn AgentDirectory> {
        self.inner.directory.clone()
    }

    /// Takes a ticket in: creates it, fetches the customer's profile, scores it and assigns a
    /// Tier 1 agent (workflow steps 1–4), and records each step in its log. The ticket, its
    /// log and its place in the due index are written in one atomic store write.
    ///
    /// A failing or slow ProfileSource never loses the ticket: it is scored at the policy's
    /// default tier, flagged, and re-scored when a later fetch succeeds. When no agent is
    /// eligible the ticket stays New and queued, and a later sweep tries again. With an
    /// `intake_key` already used in the tenant, returns the existing ticket.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field when `new` is invalid;
    /// [`Error::Storage`] when the store fails (nothing was written).
    pub async fn create_ticket(&self, new: NewTicket) -> Result<Ticket> {
        let inner = &*self.inner;
        let now = inner.clock.now();
        validate_new_ticket(&new, now)?;
        if let Some(k) = &new.intake_key
            && let Some(t) = inner.store.find_by_intake_key(&new.tenant, k).await?
        {
            return Ok(t);
        }
        let category = Symbol::intern(&new.category);
        let id = inner.store.next_id().await?;
        // Intake of an assigned ticket writes exactly seven entries (created, profile, score,
        // assignment, status, two clocks).
        let mut change = Change::with_log_capacity(7);
        let log = &mut change.log;
        log.push(LogEntry::engine(
            now,
            LogEvent::Created {
                channel: new.channel,
                category,
                impact: new.impact,
                draft: new.draft,
            },
        ));
        let profile = self
            .fetch_profile(&new.tenant, &new.customer, now, 0, log)
            .await;
        let policy = &inner.policy;
        let score = scoring::score(
            &score_input(&profile, new.impact, now - new.received_at, policy),
            &policy.scoring,
        );
        log.push(LogEntry::engine(
            now,
            LogEvent::Scored {
                score: score.note(),
            },
        ));
        let mut ticket = Ticket {
            id,
            tenant: new.tenant,
            customer: new.customer,
            channel: new.channel,
            category,
            impact: new.impact,
            subject: new.subject,
            body: new.body,
            received_at: new.received_at,
            created_at: now,
            status: if new.draft {
                Status::Draft
            } else {
                Status::New
            },
            priority: score.band,
            score,
            priority_override: None,
            profile,
            assignee: None,
            team: None,
            support_tier: policy.routing.intake_tier,
            first_response_at: None,
            last_customer_reply_at: None,
            resolved_at: None,
            resolution: None,
            policy_version: None,
            sla: Vec::new(),
            fired: Vec::new(),
            pages: Vec::new(),
            intake_key: new.intake_key.map(Arc::from),
            route_retry_at: None,
            queue_reason: None,
            next_check: None,
            archived_at: None,
            version: 0,
        };
        if let Some(p) = new.priority_override {
            let reason = inner.words.set_at_intake.clone();
            log.push(LogEntry {
                at: now,
                actor: Actor::Host(inner.words.intake.clone()),
                event: LogEvent::PriorityOverridden {
                    from: ticket.priority,
                    to: p,
                    reason: reason.clone(),
                },
            });
            ticket.priority = p;
            ticket.priority_override = Some(PriorityOverride {
                priority: p,
                by: inner.words.intake.clone(),
                reason,
                at: now,
            });
        }
        if ticket.status == Status::New {
            self.assign(&mut ticket, now, &mut change.log).await;
        }
        self.evaluate(&mut ticket, now, &mut change).await;
        ticket.next_check = self.next_check(&ticket, now);
        Ok(inner
            .store
            .insert(change.into_commit(ticket, now))
            .await?
            .into_ticket())
    }

    /// Records an event on a ticket (status change, reply, priority override, manual
    /// assignment) and returns the ticket as written. A concurrent write makes it re-read
    /// the ticket and apply the event again, a few times, before giving up.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket does not exist in its tenant;
    /// [`Error::InvalidTransition`] naming both states when the transition table forbids it;
    /// [`Error::InvalidInput`] naming the field when the event is invalid;
    /// [`Error::Conflict`] when concurrent writers kept winning.
    pub async fn record(&self, key: impl Into<TicketRef>, event: TicketEvent) -> Result<Ticket> {
        let key = key.into();
        for _ in 0..RECORD_ATTEMPTS {
            let (mut ticket, now, mut change) = self.begin_change(&key).await?;
            self.apply(&mut ticket, &event, now, &mut change).await?;
            if let Some(written) = self.commit_change(ticket, change, now).await? {
                return Ok(written);
            }
        }
        Err(kept_conflicting(&key))
    }

    /// Applies a synchronous change to a ticket under optimistic concurrency: read, bring
    /// the clocks up to now, change, commit; on a concurrent write, again.
    async fn change_ticket<F>(&self, key: &TicketRef, f: F) -> Result<Ticket>
    where
        F: Fn(&Engine, &mut Ticket, DateTime<Utc>, &mut Change) -> Result<()>,
    {
        for _ in 0..RECORD_ATTEMPTS {
            let (mut ticket, now, mut change) = self.begin_change(key).await?;
            f(self, &mut ticket, now, &mut change)?;
            if let Some(written) = self.commit_change(ticket, change, now).await? {
                return Ok(written);
            }
        }
        Err(kept_conflicting(key))
    }

    /// Reads a ticket for a change and brings its clocks up to now, so whatever fell due
    /// before the change happens first.
    async fn begin_change(&self, key: &TicketRef) -> Result<(Ticket, DateTime<Utc>, Change)> {
        let mut ticket = self.inner.store.get(key).await?;
        if ticket.archived_at.is_some() {
            return Err(Error::invalid("ticket", key, "the ticket is archived"));
        }
        let now = self.inner.clock.now();
        let mut change = Change::default();
        self.evaluate(&mut ticket, now, &mut change).await;
        Ok((ticket, now, change))
    }

    /// Evaluates the changed ticket and commits it; `None` when a concurrent write won.
    async fn commit_change(
        &self,
        mut ticket: Ticket,
        mut change: Change,
        now: DateTime<Utc>,
    ) -> Result<Option<Ticket>> {
        self.evaluate(&mut ticket, now, &mut change).await;
        ticket.next_check = self.next_check(&ticket, now);
        let mut written = ticket.clone();
        match self
            .inner
            .store
            .update(change.into_commit(ticket, now), None)
            .await
        {
            Ok(version) => {
                written.version = version;
                Ok(Some(written))
            }
            Err(Error::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Resolves a ticket with a summary and a root cause from the policy's taxonomy: stops
    /// its clocks, cancels pending page repeats and sends a resolve to the Pager for each page.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `summary`, `root_cause` or `by`;
    /// [`Error::InvalidTransition`] when the ticket cannot be resolved from its status;
    /// [`Error::NotFound`] when it does not exist in its tenant.
    pub async fn resolve(
        &self,
        key: impl Into<TicketRef>,
        summary: &str,
        root_cause: &str,
        by: &str,
    ) -> Result<Ticket> {
        let key = key.into();
        check_text("summary", summary, 10_000)?;
        let actor = host(by)?;
        let causes = &self.inner.policy.root_causes;
        if !causes.iter().any(|c| c == root_cause) {
            return Err(Error::invalid(
                "root_cause",
                root_cause,
                format!("must be one of {}", causes.join(", ")),
            ));
        }
        let summary: Arc<str> = Arc::from(summary);
        let root_cause: Arc<str> = Arc::from(root_cause);
        let by: Arc<str> = Arc::from(by);
        self.change_ticket(&key, |engine, t, now, change| {
            let from = t.status;
            t.status = from.transition(Status::Resolved)?;
            t.resolved_at = Some(now);
            t.resolution = Some(crate::model::Resolution {
                summary: summary.clone(),
                root_cause: Some(root_cause.clone()),
                by: by.clone(),
                at: now,
            });
            change.log.push(LogEntry {
                at: now,
                actor: actor.clone(),
                event: LogEvent::StatusChanged {
                    from,
                    to: Status::Resolved,
                    reason: None,
                },
            });
            change.log.push(LogEntry {
                at: now,
                actor: actor.clone(),
                event: LogEvent::Resolved {
                    summary: summary.clone(),
                    root_cause: Some(root_cause.clone()),
                },
            });
            engine.finish(t, now, change);
            Ok(())
        })
        .await
    }

    /// Acknowledges page `page` (its dedup key) of a ticket: its repeats stop and pending
    /// repeats are cancelled. Acknowledging twice changes nothing.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket or the page does not exist;
    /// [`Error::InvalidInput`] naming `by` when it is empty.
    pub async fn acknowledge(
        &self,
        key: impl Into<TicketRef>,
        page: &str,
        by: &str,
    ) -> Result<Ticket> {
        let key = key.into();
        host(by)?;
        let by: Arc<str> = Arc::from(by);
        self.change_ticket(&key, |_, t, now, change| {
            if Engine::acknowledge_page(t, page, &by, now, change) {
                Ok(())
            } else {
                Err(Error::NotFound {
                    what: "page",
                    id: page.to_owned(),
                })
            }
        })
        .await
    }

    /// Applies the current policy's SLA budgets to a ticket's open clocks (after a policy
    /// edit; otherwise tickets keep the budgets they started with) and pins the current
    /// policy version on it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket does not exist in its tenant.
    pub async fn recalculate(&self, key: impl Into<TicketRef>) -> Result<Ticket> {
        let key = key.into();
        self.change_ticket(&key, |engine, t, now, change| {
            engine.follow_priority(t, now, change, true);
            t.policy_version = Some(engine.inner.policy_version.clone());
            Ok(())
        })
        .await
    }

    /// The escalation tasks of a tenant (of one ticket when given), oldest first.
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails.
    pub async fn tasks(
        &self,
        tenant: &TenantId,
        ticket: Option<TicketId>,
    ) -> Result<Vec<crate::task::EscalationTask>> {
        self.inner.store.tasks(tenant, ticket).await
    }

    /// Assigns an escalation task to an agent (or unassigns it with `None`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when no task has that id in the tenant.
    pub async fn assign_task(
        &self,
        tenant: &TenantId,
        task: &str,
        agent: Option<AgentId>,
    ) -> Result<crate::task::EscalationTask> {
        let mut t = self.find_task(tenant, task).await?;
        t.assignee = agent;
        self.inner.store.put_task(t.clone()).await?;
        Ok(t)
    }

    /// Closes an escalation task.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no task has that id in the tenant.
    pub async fn close_task(
        &self,
        tenant: &TenantId,
        task: &str,
    ) -> Result<crate::task::EscalationTask> {
        let mut t = self.find_task(tenant, task).await?;
        if t.status == crate::task::TaskStatus::Open {
            t.status = crate::task::TaskStatus::Closed;
            t.closed_at = Some(self.inner.clock.now());
            self.inner.store.put_task(t.clone()).await?;
        }
        Ok(t)
    }

    async fn find_task(
        &self,
        tenant: &TenantId,
        task: &str,
    ) -> Result<crate::task::EscalationTask> {
        self.inner
            .store
            .tasks(tenant, None)
            .await?
            .into_iter()
            .find(|t| &*t.id == task)
            .ok_or_else(|| Error::NotFound {
                what: "task",
                id: task.to_owned(),
            })
    }

    /// The effects (notifications and pages) a ticket caused, with their delivery state.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket does not exist in its tenant.
    pub async fn effects(&self, key: impl Into<TicketRef>) -> Result<Vec<crate::effect::Effect>> {
        self.inner.store.effects(&key.into()).await
    }

    /// The escalation log of a tenant between `from` (inclusive) and `to` (exclusive).
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails.
    pub async fn log_range(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        self.inner.store.log_range(tenant, from, to).await
    }

    /// Reads a ticket.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist in its tenant.
    pub async fn ticket(&self, key: impl Into<TicketRef>) -> Result<Ticket> {
        self.inner.store.get(&key.into()).await
    }

    /// Reads a ticket's log, oldest first.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket does not exist in its tenant.
    pub async fn log(&self, key: impl Into<TicketRef>) -> Result<Vec<LogEntry>> {
        self.inner.store.log(&key.into()).await
    }

    /// Looks at every ticket that is due, and only those: retries profile fetches and
    /// assignment of queued tickets, and rescores tickets that aged into another band.
    /// Each ticket is claimed under a lease, so several engines may sweep one store.
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails; work done before the failure is kept.
    pub async fn sweep(&self) -> Result<SweepReport> {
        let inner = &*self.inner;
        let mut report = SweepReport::default();
        loop {
            // Each batch is claimed as of now, so its leases run from the claim.
            let now = inner.clock.now();
            let request = ClaimDue {
                now,
                limit: SWEEP_BATCH,
                lease_for: SWEEP_LEASE,
                holder: inner.id.clone(),
            };
            let batch = inner.store.claim_due(&request).await?;
            let full = batch.len() == SWEEP_BATCH;
            report.claimed += batch.len();
            // Writes go back in groups (one transaction each on stores that can), flushed
            // early if half the lease has gone, so slow ports never cost a whole batch its
            // lease.
            let flush_by = now + SWEEP_LEASE / 2;
            // Grouping pays where each transaction costs a flush to disk; an in-memory store
            // is fastest written ticket by ticket.
            let group = if inner.store.capabilities().durable {
                SWEEP_WRITE_GROUP
            } else {
                1
            };
            let mut pending = Vec::with_capacity(group);
            for claimed in batch {
                // Each ticket is looked at as of its own moment, not the sweep's start.
                let at = inner.clock.now();
                let (ticket, change) = self.revisit(claimed.ticket, at, &mut report).await;
                pending.push((change.into_commit(ticket, at), claimed.token));
                if pending.len() >= group || inner.clock.now() >= flush_by {
                    self.write_back(&mut pending, &mut report).await?;
                }
            }
            self.write_back(&mut pending, &mut report).await?;
            if !full {
                return Ok(report);
            }
        }
    }

    /// Commits a sweep's pending writes, each fenced by its lease at the time of the write:
    /// work that outlived its lease is refused and counted as a conflict.
    async fn write_back(
        &self,
        pending: &mut Vec<(crate::ports::Commit, u64)>,
        report: &mut SweepReport,
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let now = self.inner.clock.now();
        let writes = pending
            .drain(..)
            .map(|(commit, token)| (commit, Some(Fence { token, now })))
            .collect();
        for outcome in self.inner.store.update_many(writes).await? {
            match outcome {
                Ok(_) => {}
                Err(Error::Conflict(_)) => report.conflicts += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn revisit(
        &self,
        mut t: Ticket,
        now: DateTime<Utc>,
        report: &mut SweepReport,
    ) -> (Ticket, Change) {
        let mut change = Change::default();
        let log = &mut change.log;
        let policy = &self.inner.policy;
        let mut reason = RescoreReason::Aged;
        if let ProfileState::Unavailable {
            attempts, retry_at, ..
        } = &t.profile
            && retry_at.is_some_and(|at| at <= now)
        {
            let attempts = *attempts;
            t.profile = self
                .fetch_profile(&t.tenant, &t.customer, now, attempts, log)
                .await;
            if t.profile.profile().is_some() {
                report.profiles_fetched += 1;
                reason = RescoreReason::ProfileArrived;
            }
        }
        if t.status.is_open() || t.status == Status::Draft {
            let from = t.score.band;
            t.score = scoring::score(
                &score_input(&t.profile, t.impact, now - t.received_at, policy),
                &policy.scoring,
            );
            if t.score.band != from || reason == RescoreReason::ProfileArrived {
                if t.score.band != from {
                    report.rescored += 1;
                }
                log.push(LogEntry::engine(
                    now,
                    LogEvent::Rescored {
                        from,
                        score: t.score.note(),
                        reason,
                    },
                ));
            }
            if t.priority_override.is_none() {
                t.priority = t.score.band;
            }
        }
        if t.status == Status::New
            && t.assignee.is_none()
            && t.route_retry_at.is_some_and(|at| at <= now)
        {
            self.assign(&mut t, now, log).await;
            if t.assignee.is_some() {
                report.assigned += 1;
            }
        }
        self.evaluate(&mut t, now, &mut change).await;
        t.next_check = self.next_check(&t, now);
        (t, change)
    }

    async fn apply(
        &self,
        t: &mut Ticket,
        event: &TicketEvent,
        now: DateTime<Utc>,
        change: &mut Change,
    ) -> Result<()> {
        match event {
            TicketEvent::StatusChanged { to, by, reason } => {
                let actor = host(by)?;
                let from = t.status;
                t.status = from.transition(*to)?;
                if t.status == Status::InProgress && t.assignee.is_none() {
                    return Err(Error::invalid(
                        "to",
                        "in_progress",
                        "the ticket has no assignee; assign it first (TicketEvent::Reassigned)",
                    ));
                }
                change.log.push(LogEntry {
                    at: now,
                    actor,
                    event: LogEvent::StatusChanged {
                        from,
                        to: *to,
                        reason: reason.as_deref().map(Arc::from),
                    },
                });
                self.entered(t, from, now, change).await;
            }
            TicketEvent::AgentReplied { agent } => {
                ensure_not_closed(t, "agent_replied")?;
                check_text("agent", agent.as_str(), 256)?;
                let first = t.first_response_at.is_none();
                if first {
                    t.first_response_at = Some(now);
                }
                change.log.push(LogEntry {
                    at: now,
                    actor: Actor::Agent(agent.clone()),
                    event: LogEvent::AgentReplied { first },
                });
                self.agent_replied(t, now, change);
            }
            TicketEvent::CustomerReplied => {
                ensure_not_closed(t, "customer_replied")?;
                t.last_customer_reply_at = Some(now);
                change.log.push(LogEntry {
                    at: now,
                    actor: Actor::Customer(t.customer.clone()),
                    event: LogEvent::CustomerReplied,
                });
                self.customer_replied(t, now, change);
                if matches!(t.status, Status::PendingCustomer | Status::Resolved) {
                    let from = t.status;
                    // The engine's own move, not the host's: an unassigned ticket goes back
                    // to the queue (New) even where the table offers hosts no such move.
                    let to = if t.assignee.is_some() {
                        Status::InProgress
                    } else {
                        Status::New
                    };
                    t.status = to;
                    change.push(
                        now,
                        LogEvent::StatusChanged {
                            from,
                            to,
                            reason: Some(self.inner.words.customer_replied.clone()),
                        },
                    );
                    self.entered(t, from, now, change).await;
                }
            }
            TicketEvent::PriorityOverridden {
                priority,
                by,
                reason,
            } => {
                let actor = host(by)?;
                ensure_not_closed(t, "priority_overridden")?;
                check_text("reason", reason, 1_000)?;
                let reason: Arc<str> = Arc::from(reason.as_str());
                change.log.push(LogEntry {
                    at: now,
                    actor,
                    event: LogEvent::PriorityOverridden {
                        from: t.priority,
                        to: *priority,
                        reason: reason.clone(),
                    },
                });
                t.priority = *priority;
                t.priority_override = Some(PriorityOverride {
                    priority: *priority,
                    by: Arc::from(by.as_str()),
                    reason,
                    at: now,
                });
            }
            TicketEvent::PriorityOverrideCleared { by } => {
                let actor = host(by)?;
                ensure_not_closed(t, "priority_override_cleared")?;
                t.priority_override = None;
                t.priority = t.score.band;
                change.log.push(LogEntry {
                    at: now,
                    actor,
                    event: LogEvent::PriorityOverrideCleared { to: t.priority },
                });
            }
            TicketEvent::Reassigned { agent, by } => {
                let actor = host(by)?;
                ensure_not_closed(t, "reassigned")?;
                let agents = self.inner.directory.agents(&t.tenant, now).await?;
                let chosen =
                    agents
                        .iter()
                        .find(|a| &a.id == agent)
                        .ok_or_else(|| Error::NotFound {
                            what: "agent",
                            id: agent.to_string(),
                        })?;
                t.assignee = Some(chosen.id.clone());
                t.team = Some(chosen.team.clone());
                t.support_tier = chosen.tier;
                t.route_retry_at = None;
                t.queue_reason = None;
                change.log.push(LogEntry {
                    at: now,
                    actor,
                    event: LogEvent::Assigned {
                        agent: chosen.id.clone(),
                        team: chosen.team.clone(),
                        load: 0,
                        eligible: 1,
                        tied: 1,
                    },
                });
                if t.status == Status::New {
                    t.status = Status::InProgress;
                    change.push(
                        now,
                        LogEvent::StatusChanged {
                            from: Status::New,
                            to: Status::InProgress,
                            reason: Some(self.inner.words.assigned.clone()),
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Side effects of entering `t.status` from `from`.
    async fn entered(&self, t: &mut Ticket, from: Status, now: DateTime<Utc>, change: &mut Change) {
        match t.status {
            Status::Resolved | Status::Closed => {
                if t.status == Status::Resolved {
                    t.resolved_at = Some(now);
                }
                self.finish(t, now, change);
            }
            Status::InProgress if from == Status::Resolved => {
                t.resolved_at = None;
                t.resolution = None;
                self.reopened(t, now, change);
            }
            Status::New => {
                // Submitted from draft, handed back to the queue, or reopened unassigned.
                if from == Status::Resolved {
                    t.resolution = None;
                    self.reopened(t, now, change);
                }
                t.resolved_at = None;
                t.assignee = None;
                t.team = None;
                self.assign(t, now, &mut change.log).await;
            }
            _ => {}
        }
    }

    /// Fetches a profile, waiting at most the policy's timeout, and logs the outcome.
    async fn fetch_profile(
        &self,
        tenant: &TenantId,
        customer: &crate::model::CustomerId,
        now: DateTime<Utc>,
        attempts_before: u32,
        log: &mut Vec<LogEntry>,
    ) -> ProfileState {
        let inner = &*self.inner;
        let intake = &inner.policy.intake;
        let mut fetch = pin!(inner.profiles.profile(tenant, customer));
        // Most sources answer at once; only a pending fetch pays for a timer.
        let result = match futures::poll!(fetch.as_mut()) {
            Poll::Ready(r) => r,
            Poll::Pending => {
                let timeout = TimeDelta::milliseconds(
                    i64::try_from(intake.profile_timeout_ms).unwrap_or(i64::MAX),
                );
                let sleep = pin!(inner.clock.sleep_until(now + timeout));
                match select(fetch, sleep).await {
                    Either::Left((r, _)) => r,
                    Either::Right(((), _)) => Err(Error::Timeout {
                        port: "ProfileSource",
                        after_ms: intake.profile_timeout_ms,
                    }),
                }
            }
        };
        let attempts = attempts_before + 1;
        match result {
            Ok(Some(profile)) => {
                log.push(LogEntry::engine(
                    now,
                    LogEvent::ProfileFetched { tier: profile.tier },
                ));
                ProfileState::Known { profile }
            }
            Ok(None) => {
                log.push(LogEntry::engine(
                    now,
                    LogEvent::ProfileNotFound {
                        assumed: inner.policy.scoring.default_tier,
                    },
                ));
                ProfileState::NotFound
            }
            Err(e) => {
                let reason: Arc<str> = Arc::from(e.to_string());
                let retry_at = (attempts < intake.profile_max_attempts).then(|| {
                    now + TimeDelta::seconds(
                        i64::try_from(intake.profile_retry_seconds).unwrap_or(i64::MAX / 1000),
                    )
                });
                log.push(LogEntry::engine(
                    now,
                    LogEvent::ProfileUnavailable {
                        reason: reason.clone(),
                        attempts,
                        retry_at,
                    },
                ));
                ProfileState::Unavailable {
                    reason,
                    attempts,
                    retry_at,
                }
            }
        }
    }

    /// Tries to give `t` an agent of its tier; queues it with the reason otherwise.
    async fn assign(&self, t: &mut Ticket, now: DateTime<Utc>, log: &mut Vec<LogEntry>) {
        let inner = &*self.inner;
        let retry_at = now
            + TimeDelta::seconds(
                i64::try_from(inner.policy.routing.retry_after_seconds).unwrap_or(60),
            );
        let agents = match inner.directory.agents(&t.tenant, now).await {
            Ok(a) => a,
            Err(e) => {
                t.route_retry_at = Some(retry_at);
                log.push(LogEntry::engine(
                    now,
                    LogEvent::DirectoryUnavailable {
                        reason: Arc::from(e.to_string()),
                        retry_at,
                    },
                ));
                return;
            }
        };
        // Ask the store for the loads of the agents who could take the ticket at all.
        let tier = t.support_tier;
        // Small rosters stay on the stack: no allocation per intake for routing.
        let candidates: SmallVec<[usize; 32]> = agents
            .iter()
            .enumerate()
            .filter(|(_, a)| a.tier == tier && a.available && a.handles(t.category))
            .map(|(i, _)| i)
            .collect();
        let mut loads: SmallVec<[u32; 32]> = smallvec::smallvec![0u32; agents.len()];
        if !candidates.is_empty() {
            let ids: SmallVec<[&AgentId; 32]> = candidates.iter().map(|&i| &agents[i].id).collect();
            match inner.store.agent_loads(&t.tenant, &ids).await {
                Ok(l) => {
                    for (&i, n) in candidates.iter().zip(l) {
                        loads[i] = n;
                    }
                }
                Err(e) => {
                    t.route_retry_at = Some(retry_at);
                    log.push(LogEntry::engine(
                        now,
                        LogEvent::DirectoryUnavailable {
                            reason: Arc::from(format!("agent loads unavailable: {e}")),
                            retry_at,
                        },
                    ));
                    return;
                }
            }
        }
        let rr_key = (t.tenant.clone(), tier);
        let decision = {
            let mut rr = inner.round_robin.lock().unwrap_or_else(|e| e.into_inner());
            let decision = routing::route(t.category, tier, &agents, &loads, rr.get(&rr_key));
            if let Route::Assigned { agent, .. } = &decision {
                rr.insert(rr_key, agent.clone());
            }
            decision
        };
        match decision {
            Route::Assigned {
                agent,
                team,
                load,
                eligible,
                tied,
            } => {
                t.assignee = Some(agent.clone());
                t.team = Some(team.clone());
                t.route_retry_at = None;
                t.queue_reason = None;
                log.push(LogEntry::engine(
                    now,
                    LogEvent::Assigned {
                        agent,
                        team,
                        load,
                        eligible,
                        tied,
                    },
                ));
                if t.status == Status::New {
                    t.status = Status::InProgress;
                    log.push(LogEntry::engine(
                        now,
                        LogEvent::StatusChanged {
                            from: Status::New,
                            to: Status::InProgress,
                            reason: Some(self.inner.words.assigned.clone()),
                        },
                    ));
                }
            }
            Route::Queued(why) => {
                t.route_retry_at = Some(retry_at);
                if t.queue_reason != Some(why) {
                    t.queue_reason = Some(why);
                    log.push(LogEntry::engine(now, LogEvent::Queued { why, retry_at }));
                }
            }
        }
    }

    /// The earliest instant the engine must look at `t` again.
    fn next_check(&self, t: &Ticket, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !(t.status.is_open() || t.status == Status::Draft) {
            return None;
        }
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |at: Option<DateTime<Utc>>| {
            if let Some(at) = at {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        };
        if t.status == Status::New && t.assignee.is_none() {
            consider(t.route_retry_at);
        }
        consider(t.profile.retry_at());
        consider(self.next_sla_check(t));
        if t.status.is_open() && t.priority_override.is_none() {
            consider(scoring::next_band_change(
                &t.score,
                t.received_at,
                &self.inner.policy.scoring,
            ));
        }
        // Never due again within the same sweep.
        next.map(|at| at.max(now + TimeDelta::seconds(1)))
    }
}

fn kept_conflicting(key: &TicketRef) -> Error {
    Error::Conflict(format!(
        "ticket {key}: concurrent writes kept winning after {RECORD_ATTEMPTS} attempts"
    ))
}

fn ensure_not_closed(t: &Ticket, event: &str) -> Result<()> {
    if t.status == Status::Closed {
        Err(Error::invalid("event", event, "the ticket is closed"))
    } else {
        Ok(())
    }
}

fn score_input(
    profile: &ProfileState,
    impact: crate::model::Impact,
    age: TimeDelta,
    policy: &Policy,
) -> ScoreInput {
    match profile.profile() {
        Some(p) => ScoreInput {
            tier: p.tier,
            tier_assumed: false,
            impact,
            age,
            lifetime_value: p.lifetime_value,
        },
        None => ScoreInput {
            tier: policy.scoring.default_tier,
            tier_assumed: true,
            impact,
            age,
            lifetime_value: 0.0,
        },
    }
}
