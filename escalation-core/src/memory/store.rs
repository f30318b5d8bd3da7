use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;

use crate::effect::{Delivery, Effect, EffectKind, EffectState};
use crate::error::{Error, Result};
use crate::log::LogEntry;
use crate::model::{AgentId, TenantId, Ticket, TicketId, TicketRef};
use crate::ports::{
    ClaimDue, Claimed, ClaimedEffect, CleanupBatch, CleanupQuery, Commit, EffectOutcome, Fence,
    Inserted, StoreCapabilities, TicketStore,
};
use crate::task::EscalationTask;

/// A [`TicketStore`] in memory: one mutex around hash maps and B-tree due indexes.
///
/// It is a full store, not a mock: it keeps every guarantee the conformance suite checks
/// (atomic commits, versions, leases and fencing, unique effect keys, tenant scoping).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rows: Rows,
    intake_keys: HashMap<(TenantId, Arc<str>), TicketId>,
    due: BTreeSet<(DateTime<Utc>, TicketId)>,
    loads: HashMap<TenantId, FxHashMap<AgentId, u32>>,
    effects: HashMap<Arc<str>, EffectRow>,
    effects_due: BTreeSet<(DateTime<Utc>, Arc<str>)>,
    tasks: HashMap<Arc<str>, EscalationTask>,
    task_order: Vec<Arc<str>>,
    last_id: u64,
    last_token: u64,
}

/// Ticket rows in one dense vector.
///
/// Rows are large (the ticket itself is several hundred bytes), so a hash table of rows
/// would touch a fresh page of a huge, sparse allocation on almost every insert; appending
/// to a vector touches memory in order. Ids from [`TicketStore::next_id`] are dense, so
/// ticket `n` sits at position `n − 1` and needs no index; only ids that break the sequence
/// go through the `sparse` map. A deleted row (a draft retention removed) leaves an empty
/// slot, so the positions of the others do not move.
#[derive(Debug, Default)]
struct Rows {
    rows: Vec<Option<Row>>,
    sparse: FxHashMap<TicketId, usize>,
    live: usize,
}

impl Rows {
    fn with_capacity(n: usize) -> Rows {
        Rows {
            rows: Vec::with_capacity(n),
            sparse: FxHashMap::default(),
            live: 0,
        }
    }

    fn position(&self, id: &TicketId) -> Option<usize> {
        let dense = usize::try_from(id.0).ok()?.checked_sub(1)?;
        match self.rows.get(dense) {
            Some(Some(row)) if row.ticket.id == *id => Some(dense),
            _ => self.sparse.get(id).copied(),
        }
    }

    fn get(&self, id: &TicketId) -> Option<&Row> {
        self.position(id)
            .and_then(|i| self.rows.get(i))
            .and_then(Option::as_ref)
    }

    fn get_mut(&mut self, id: &TicketId) -> Option<&mut Row> {
        self.position(id)
            .and_then(|i| self.rows.get_mut(i))
            .and_then(Option::as_mut)
    }

    fn contains_key(&self, id: &TicketId) -> bool {
        self.get(id).is_some()
    }

    fn insert(&mut self, id: TicketId, row: Row) {
        if usize::try_from(id.0).ok() != Some(self.rows.len() + 1) {
            self.sparse.insert(id, self.rows.len());
        }
        self.rows.push(Some(row));
        self.live += 1;
    }

    fn remove(&mut self, id: &TicketId) -> Option<Row> {
        let i = self.position(id)?;
        let row = self.rows.get_mut(i).and_then(Option::take)?;
        self.sparse.remove(id);
        self.live -= 1;
        Some(row)
    }

    fn len(&self) -> usize {
        self.live
    }

    fn values(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().flatten()
    }
}

#[derive(Debug)]
struct Row {
    ticket: Ticket,
    log: Vec<LogEntry>,
    effects: Vec<Arc<str>>,
    due_at: Option<DateTime<Utc>>,
    lease: Option<(u64, DateTime<Utc>)>,
}

#[derive(Debug)]
struct EffectRow {
    effect: Effect,
    /// The instant under which the effect sits in `effects_due`, while pending.
    due_at: Option<DateTime<Utc>>,
    lease: Option<(u64, DateTime<Utc>)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// An empty store with room for `tickets` tickets, so intake never waits on a rehash.
    pub fn with_capacity(tickets: usize) -> MemoryStore {
        MemoryStore {
            state: Mutex::new(State {
                rows: Rows::with_capacity(tickets),
                ..State::default()
            }),
        }
    }

    /// How many tickets the store holds, across tenants.
    pub fn len(&self) -> usize {
        self.lock().rows.len()
    }

    /// Whether the store holds no ticket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every effect in the outbox, across tenants, in key order (for tests and tools).
    pub fn all_effects(&self) -> Vec<Effect> {
        let st = self.lock();
        let mut out: Vec<Effect> = st.effects.values().map(|r| r.effect.clone()).collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn counts_toward_load(t: &Ticket) -> Option<(TenantId, AgentId)> {
    match &t.assignee {
        Some(a) if t.status.is_open() => Some((t.tenant.clone(), a.clone())),
        _ => None,
    }
}

fn not_found(key: &TicketRef) -> Error {
    Error::NotFound {
        what: "ticket",
        id: key.to_string(),
    }
}

impl State {
    /// Removes a ticket with everything that hangs off it: due entry, load, intake key,
    /// effects and tasks.
    fn delete_ticket(&mut self, id: &TicketId) {
        let Some(row) = self.rows.remove(id) else {
            return;
        };
        if let Some(at) = row.due_at {
            self.due.remove(&(at, *id));
        }
        self.add_load(&row.ticket, -1);
        if let Some(k) = &row.ticket.intake_key {
            self.intake_keys
                .remove(&(row.ticket.tenant.clone(), k.clone()));
        }
        for key in &row.effects {
            if let Some(e) = self.effects.remove(key)
                && let Some(at) = e.due_at
            {
                self.effects_due.remove(&(at, key.clone()));
            }
        }
        let tasks = &mut self.tasks;
        self.task_order.retain(|k| match tasks.get(k) {
            Some(t) if t.ticket == *id => {
                tasks.remove(k);
                false
            }
            _ => true,
        });
    }

    fn row(&self, key: &TicketRef) -> Result<&Row> {
        match self.rows.get(&key.id) {
            Some(row) if row.ticket.tenant == key.tenant => Ok(row),
            _ => Err(not_found(key)),
        }
    }

    fn add_load(&mut self, t: &Ticket, delta: i64) {
        if let Some(k) = counts_toward_load(t) {
            let n = self.loads.entry(k.0).or_default().entry(k.1).or_insert(0);
            *n = if delta >= 0 {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            };
        }
    }

    /// Adds effects (a key already present is left alone) and tasks; returns the new keys.
    fn add_outbox(
        &mut self,
        id: TicketId,
        effects: Vec<Effect>,
        tasks: Vec<EscalationTask>,
    ) -> Vec<Arc<str>> {
        let mut added = Vec::new();
        for mut e in effects {
            if self.effects.contains_key(&e.key) {
                continue;
            }
            e.ticket = id;
            let due_at = (e.state == EffectState::Pending).then_some(e.next_attempt_at);
            if let Some(at) = due_at {
                self.effects_due.insert((at, e.key.clone()));
            }
            added.push(e.key.clone());
            self.effects.insert(
                e.key.clone(),
                EffectRow {
                    effect: e,
                    due_at,
                    lease: None,
                },
            );
        }
        for mut t in tasks {
            if self.tasks.contains_key(&t.id) {
                continue;
            }
            t.ticket = id;
            self.task_order.push(t.id.clone());
            self.tasks.insert(t.id.clone(), t);
        }
        added
    }

    /// Cancels the pending triggers of the pages with these dedup keys, among `effects`.
    /// A trigger that a dispatcher has claimed may be on its way to the pager right now, so
    /// the page's resolve (among `added`) waits until that claim's lease ends: the pager must
    /// never see a trigger after the resolve.
    fn cancel_pages(
        &mut self,
        effects: &[Arc<str>],
        added: &[Arc<str>],
        pages: &[Arc<str>],
        now: DateTime<Utc>,
    ) {
        if pages.is_empty() {
            return;
        }
        let mut hold: HashMap<Arc<str>, DateTime<Utc>> = HashMap::new();
        for key in effects {
            let Some(row) = self.effects.get_mut(key) else {
                continue;
            };
            let page = match &row.effect.kind {
                EffectKind::PageTrigger { page } if pages.contains(&page.dedup_key) => {
                    page.dedup_key.clone()
                }
                _ => continue,
            };
            if row.effect.state != EffectState::Pending {
                continue;
            }
            if let Some((_, until)) = row.lease.filter(|(_, until)| *until > now) {
                let h = hold.entry(page).or_insert(until);
                *h = (*h).max(until);
            }
            row.effect.state = EffectState::Cancelled;
            row.effect.finished_at = Some(now);
            row.lease = None;
            if let Some(at) = row.due_at.take() {
                self.effects_due.remove(&(at, key.clone()));
            }
        }
        for key in added {
            let Some(row) = self.effects.get_mut(key) else {
                continue;
            };
            let EffectKind::PageResolve { page } = &row.effect.kind else {
                continue;
            };
            let Some(until) = hold.get(&page.dedup_key).copied() else {
                continue;
            };
            if let Some(at) = row.due_at
                && at < until
            {
                self.effects_due.remove(&(at, key.clone()));
                self.effects_due.insert((until, key.clone()));
                row.due_at = Some(until);
                row.effect.next_attempt_at = until;
            }
        }
    }
}

/// The earliest instant a claim could take one of `entries` (due instants in ascending
/// order, each with its lease): a leased entry is claimable when its lease ends. Walks only
/// the entries due before the best instant found so far, so it stops at the first unleased
/// one.
pub(crate) fn earliest_claimable(
    entries: impl Iterator<Item = (DateTime<Utc>, Option<(u64, DateTime<Utc>)>)>,
) -> Option<DateTime<Utc>> {
    let mut best: Option<DateTime<Utc>> = None;
    for (due, lease) in entries {
        if best.is_some_and(|b| due >= b) {
            break;
        }
        let at = lease.map_or(due, |(_, end)| end.max(due));
        best = Some(best.map_or(at, |b| b.min(at)));
    }
    best
}

fn check_fence(lease: Option<(u64, DateTime<Utc>)>, fence: Fence, what: &str) -> Result<()> {
    match lease {
        Some((token, until)) if token == fence.token && until > fence.now => Ok(()),
        _ => Err(Error::Conflict(format!(
            "lease {} on {what} is no longer held",
            fence.token
        ))),
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::default()
    }

    async fn insert(&self, commit: Commit) -> Result<Inserted> {
        let Commit {
            mut ticket,
            log,
            effects,
            tasks,
            cancel_pages: _,
            at: _,
        } = commit;
        let mut st = self.lock();
        if let Some(k) = &ticket.intake_key
            && let Some(id) = st.intake_keys.get(&(ticket.tenant.clone(), k.clone()))
        {
            let existing = st.rows.get(id).map(|r| r.ticket.clone()).ok_or_else(|| {
                Error::Internal(format!("intake key points at missing ticket {id}"))
            })?;
            return Ok(Inserted::Existing(existing));
        }
        if st.rows.contains_key(&ticket.id) {
            return Err(Error::Conflict(format!("ticket id {} is taken", ticket.id)));
        }
        st.last_id = st.last_id.max(ticket.id.0);
        ticket.version = 1;
        if let Some(k) = &ticket.intake_key {
            st.intake_keys
                .insert((ticket.tenant.clone(), k.clone()), ticket.id);
        }
        if let Some(at) = ticket.next_check {
            st.due.insert((at, ticket.id));
        }
        st.add_load(&ticket, 1);
        let effect_keys = if effects.is_empty() && tasks.is_empty() {
            Vec::new()
        } else {
            st.add_outbox(ticket.id, effects, tasks)
        };
        let out = ticket.clone();
        st.rows.insert(
            ticket.id,
            Row {
                due_at: ticket.next_check,
                ticket,
                log,
                effects: effect_keys,
                lease: None,
            },
        );
        Ok(Inserted::Created(out))
    }

    async fn next_id(&self) -> Result<TicketId> {
        let mut st = self.lock();
        st.last_id += 1;
        Ok(TicketId(st.last_id))
    }

    async fn get(&self, key: &TicketRef) -> Result<Ticket> {
        Ok(self.lock().row(key)?.ticket.clone())
    }

    async fn find_by_intake_key(&self, tenant: &TenantId, key: &str) -> Result<Option<Ticket>> {
        let st = self.lock();
        let id = st.intake_keys.get(&(tenant.clone(), Arc::from(key)));
        Ok(id.and_then(|id| st.rows.get(id)).map(|r| r.ticket.clone()))
    }

    async fn update(&self, commit: Commit, fence: Option<Fence>) -> Result<u64> {
        let Commit {
            mut ticket,
            log,
            effects,
            tasks,
            cancel_pages,
            at: now,
        } = commit;
        let key = ticket.key();
        let mut guard = self.lock();
        let st = &mut *guard;
        let row = match st.rows.get(&key.id) {
            Some(row) if row.ticket.tenant == key.tenant => row,
            _ => return Err(not_found(&key)),
        };
        if row.ticket.version != ticket.version {
            return Err(Error::Conflict(format!(
                "ticket {key} is at version {}, the write was based on {}",
                row.ticket.version, ticket.version
            )));
        }
        if let Some(f) = fence {
            check_fence(row.lease, f, &format!("ticket {key}"))?;
        }
        // Validated: from here on the write cannot fail, so it is all or nothing.
        let added = st.add_outbox(key.id, effects, tasks);
        let Some(row) = st.rows.get_mut(&key.id) else {
            return Err(not_found(&key));
        };
        row.effects.extend(added.iter().cloned());
        let row_effects = if cancel_pages.is_empty() {
            Vec::new()
        } else {
            row.effects.clone()
        };
        ticket.version += 1;
        let old_due = row.due_at.take();
        row.due_at = ticket.next_check;
        row.lease = None;
        row.log.extend(log);
        let version = ticket.version;
        let next_check = ticket.next_check;
        let old_load = counts_toward_load(&row.ticket);
        let new_load = counts_toward_load(&ticket);
        // The old state is dropped after the lock is released.
        let old = std::mem::replace(&mut row.ticket, ticket);
        st.cancel_pages(&row_effects, &added, &cancel_pages, now);
        if let Some(at) = old_due {
            st.due.remove(&(at, key.id));
        }
        if let Some(at) = next_check {
            st.due.insert((at, key.id));
        }
        if old_load != new_load {
            st.add_load(&old, -1);
            if let Some((tenant, agent)) = new_load {
                let n = st
                    .loads
                    .entry(tenant)
                    .or_default()
                    .entry(agent)
                    .or_insert(0);
                *n = n.saturating_add(1);
            }
        }
        drop(guard);
        drop(old);
        Ok(version)
    }

    async fn log(&self, key: &TicketRef) -> Result<Vec<LogEntry>> {
        Ok(self.lock().row(key)?.log.clone())
    }

    async fn claim_due(&self, request: &ClaimDue) -> Result<Vec<Claimed>> {
        let until = request
            .now
            .checked_add_signed(request.lease_for)
            .ok_or_else(|| Error::invalid("lease_for", request.lease_for, "out of range"))?;
        let mut guard = self.lock();
        let State {
            due,
            rows,
            last_token,
            ..
        } = &mut *guard;
        // A claimed ticket keeps its place in the due index; its lease hides it from other
        // claims until the lease ends (then it is due again) or its write moves it.
        let mut out = Vec::new();
        for (_, id) in due.iter().take_while(|(at, _)| *at <= request.now) {
            if out.len() == request.limit {
                break;
            }
            let Some(row) = rows.get_mut(id) else {
                continue;
            };
            if row.lease.is_some_and(|(_, end)| end > request.now) {
                continue;
            }
            *last_token += 1;
            row.lease = Some((*last_token, until));
            out.push(Claimed {
                ticket: row.ticket.clone(),
                token: *last_token,
                until,
            });
        }
        Ok(out)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let guard = self.lock();
        Ok(earliest_claimable(guard.due.iter().map(|(at, id)| {
            (*at, guard.rows.get(id).and_then(|r| r.lease))
        })))
    }

    async fn claim_effects(&self, request: &ClaimDue) -> Result<Vec<ClaimedEffect>> {
        let until = request
            .now
            .checked_add_signed(request.lease_for)
            .ok_or_else(|| Error::invalid("lease_for", request.lease_for, "out of range"))?;
        let mut guard = self.lock();
        let State {
            effects_due,
            effects,
            last_token,
            ..
        } = &mut *guard;
        // As for tickets: a claimed effect keeps its place; its lease hides it until it ends.
        let mut out = Vec::new();
        for (_, key) in effects_due.iter().take_while(|(at, _)| *at <= request.now) {
            if out.len() == request.limit {
                break;
            }
            let Some(row) = effects.get_mut(key) else {
                continue;
            };
            if row.lease.is_some_and(|(_, end)| end > request.now) {
                continue;
            }
            *last_token += 1;
            row.lease = Some((*last_token, until));
            out.push(ClaimedEffect {
                effect: row.effect.clone(),
                token: *last_token,
            });
        }
        Ok(out)
    }

    async fn finish_effect(&self, outcome: EffectOutcome) -> Result<()> {
        let mut guard = self.lock();
        let st = &mut *guard;
        let row = match st.effects.get_mut(&outcome.key) {
            Some(r) if r.effect.tenant == outcome.tenant => r,
            _ => {
                return Err(Error::NotFound {
                    what: "effect",
                    id: outcome.key.to_string(),
                });
            }
        };
        check_fence(row.lease, outcome.fence, &format!("effect {}", outcome.key))?;
        if row.effect.state != EffectState::Pending {
            return Err(Error::Conflict(format!(
                "effect {} is no longer pending",
                outcome.key
            )));
        }
        let now = outcome.fence.now;
        row.lease = None;
        row.effect.attempts += 1;
        let old_due = row.due_at.take();
        match outcome.delivery {
            Delivery::Delivered => {
                row.effect.state = EffectState::Delivered;
                row.effect.finished_at = Some(now);
            }
            Delivery::Retry { at, error } => {
                row.effect.next_attempt_at = at;
                row.effect.last_error = Some(error);
                row.due_at = Some(at);
            }
            Delivery::DeadLetter { error } => {
                row.effect.state = EffectState::DeadLettered;
                row.effect.last_error = Some(error);
                row.effect.finished_at = Some(now);
            }
        }
        let new_due = row.due_at;
        let ticket = row.effect.ticket;
        if let Some(at) = old_due {
            st.effects_due.remove(&(at, outcome.key.clone()));
        }
        if let Some(at) = new_due {
            st.effects_due.insert((at, outcome.key.clone()));
        }
        if let Some(r) = st.rows.get_mut(&ticket) {
            r.log.push(outcome.log);
        }
        Ok(())
    }

    async fn effects(&self, key: &TicketRef) -> Result<Vec<Effect>> {
        let st = self.lock();
        let row = st.row(key)?;
        Ok(row
            .effects
            .iter()
            .filter_map(|k| st.effects.get(k).map(|r| r.effect.clone()))
            .collect())
    }

    async fn next_effect_due(&self) -> Result<Option<DateTime<Utc>>> {
        let guard = self.lock();
        Ok(earliest_claimable(guard.effects_due.iter().map(
            |(at, key)| (*at, guard.effects.get(key).and_then(|r| r.lease)),
        )))
    }

    async fn tasks(
        &self,
        tenant: &TenantId,
        ticket: Option<TicketId>,
    ) -> Result<Vec<EscalationTask>> {
        let st = self.lock();
        Ok(st
            .task_order
            .iter()
            .filter_map(|id| st.tasks.get(id))
            .filter(|t| &t.tenant == tenant && ticket.is_none_or(|id| t.ticket == id))
            .cloned()
            .collect())
    }

    async fn put_task(&self, task: EscalationTask) -> Result<()> {
        let mut st = self.lock();
        match st.tasks.get_mut(&task.id) {
            Some(t) if t.tenant == task.tenant => {
                *t = task;
                Ok(())
            }
            _ => Err(Error::NotFound {
                what: "task",
                id: task.id.to_string(),
            }),
        }
    }

    async fn log_range(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        let st = self.lock();
        let mut out: Vec<(TicketId, LogEntry)> = st
            .rows
            .values()
            .filter(|r| &r.ticket.tenant == tenant)
            .flat_map(|r| {
                r.log
                    .iter()
                    .filter(|e| e.at >= from && e.at < to)
                    .map(move |e| (r.ticket.id, e.clone()))
            })
            .collect();
        out.sort_by_key(|(id, e)| (e.at, *id));
        Ok(out)
    }

    async fn resolved_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Ticket>> {
        let st = self.lock();
        let mut out: Vec<Ticket> = st
            .rows
            .values()
            .filter(|r| {
                &r.ticket.tenant == tenant
                    && r.ticket.resolved_at.is_some_and(|at| at >= from && at < to)
            })
            .map(|r| r.ticket.clone())
            .collect();
        out.sort_by_key(|t| (t.resolved_at, t.id));
        Ok(out)
    }

    async fn agent_loads(&self, tenant: &TenantId, agents: &[&AgentId]) -> Result<Vec<u32>> {
        let st = self.lock();
        let Some(loads) = st.loads.get(tenant) else {
            return Ok(vec![0; agents.len()]);
        };
        Ok(agents
            .iter()
            .map(|a| loads.get(*a).copied().unwrap_or(0))
            .collect())
    }

    async fn cleanup(&self, tenant: &TenantId, query: &CleanupQuery) -> Result<CleanupBatch> {
        let mut guard = self.lock();
        let st = &mut *guard;
        let mut ids: Vec<TicketId> = st
            .rows
            .values()
            .filter(|r| &r.ticket.tenant == tenant && query.after.is_none_or(|a| r.ticket.id > a))
            .map(|r| r.ticket.id)
            .collect();
        ids.sort_unstable();
        let mut out = CleanupBatch::default();
        let looked_at = ids.len().min(query.limit);
        if ids.len() > query.limit {
            out.next = ids.get(looked_at.saturating_sub(1)).copied();
        }
        for id in ids.into_iter().take(looked_at) {
            if st
                .rows
                .get(&id)
                .is_some_and(|r| query.deletes_draft(&r.ticket))
            {
                out.deleted_drafts.push(id);
                if !query.dry_run {
                    st.delete_ticket(&id);
                }
                continue;
            }
            let Some(row) = st.rows.get(&id) else {
                continue;
            };
            let tasks: Vec<Arc<str>> = st
                .task_order
                .iter()
                .filter_map(|k| st.tasks.get(k))
                .filter(|t| t.ticket == id && &t.tenant == tenant)
                .filter(|t| query.deletes_task(&row.ticket, t))
                .map(|t| t.id.clone())
                .collect();
            let archive = query.archives(&row.ticket);
            let prune = if query.prunes_log_of(&row.ticket) {
                row.log.iter().filter(|e| query.prunes(e)).count()
            } else {
                0
            };
            if archive {
                out.archived.push(id);
            }
            out.pruned_log_entries += prune as u64;
            if query.dry_run {
                out.deleted_tasks.extend(tasks);
                continue;
            }
            if !tasks.is_empty() {
                st.task_order.retain(|k| !tasks.contains(k));
                for k in &tasks {
                    st.tasks.remove(k);
                }
            }
            out.deleted_tasks.extend(tasks);
            let Some(row) = st.rows.get_mut(&id) else {
                continue;
            };
            if prune > 0 {
                row.log.retain(|e| !query.prunes(e));
            }
            if archive {
                row.ticket.archived_at = Some(query.now);
                row.ticket.next_check = None;
                row.ticket.version += 1;
                row.lease = None;
                row.log.push(query.archived_entry());
                if let Some(at) = row.due_at.take() {
                    st.due.remove(&(at, id));
                }
            }
        }
        Ok(out)
    }
}
