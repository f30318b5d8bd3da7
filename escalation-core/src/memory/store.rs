use std::collections::{BTreeSet, HashMap};

use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::log::LogEntry;
use crate::model::{AgentId, TenantId, Ticket, TicketId, TicketRef};
use crate::ports::{ClaimDue, Claimed, Fence, Inserted, StoreCapabilities, TicketStore};

/// A [`TicketStore`] in memory: one mutex around hash maps and a B-tree due index.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rows: FxHashMap<TicketId, Row>,
    intake_keys: HashMap<(TenantId, Arc<str>), TicketId>,
    due: BTreeSet<(DateTime<Utc>, TicketId)>,
    loads: HashMap<TenantId, FxHashMap<AgentId, u32>>,
    last_id: u64,
    last_token: u64,
}

#[derive(Debug)]
struct Row {
    ticket: Ticket,
    log: Vec<LogEntry>,
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
                rows: FxHashMap::with_capacity_and_hasher(tickets, Default::default()),
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
}

#[async_trait]
impl TicketStore for MemoryStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::default()
    }

    async fn insert(&self, mut ticket: Ticket, log: Vec<LogEntry>) -> Result<Inserted> {
        let mut st = self.lock();
        if let Some(k) = &ticket.intake_key
            && let Some(id) = st.intake_keys.get(&(ticket.tenant.clone(), k.clone()))
        {
            let existing = st.rows.get(id).map(|r| r.ticket.clone()).ok_or_else(|| {
                Error::Internal(format!("intake key points at missing ticket {id}"))
            })?;
            return Ok(Inserted::Existing(existing));
        }
        st.last_id += 1;
        ticket.id = TicketId(st.last_id);
        ticket.version = 1;
        if let Some(k) = &ticket.intake_key {
            st.intake_keys
                .insert((ticket.tenant.clone(), k.clone()), ticket.id);
        }
        if let Some(at) = ticket.next_check {
            st.due.insert((at, ticket.id));
        }
        st.add_load(&ticket, 1);
        let out = ticket.clone();
        st.rows.insert(
            ticket.id,
            Row {
                due_at: ticket.next_check,
                ticket,
                log,
                lease: None,
            },
        );
        Ok(Inserted::Created(out))
    }

    async fn get(&self, key: &TicketRef) -> Result<Ticket> {
        Ok(self.lock().row(key)?.ticket.clone())
    }

    async fn find_by_intake_key(&self, tenant: &TenantId, key: &str) -> Result<Option<Ticket>> {
        let st = self.lock();
        let id = st.intake_keys.get(&(tenant.clone(), Arc::from(key)));
        Ok(id.and_then(|id| st.rows.get(id)).map(|r| r.ticket.clone()))
    }

    async fn update(
        &self,
        mut ticket: Ticket,
        log: Vec<LogEntry>,
        fence: Option<Fence>,
    ) -> Result<Ticket> {
        let key = ticket.key();
        let mut guard = self.lock();
        let st = &mut *guard;
        let row = match st.rows.get_mut(&key.id) {
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
            match row.lease {
                Some((token, until)) if token == f.token && until > f.now => {}
                _ => {
                    return Err(Error::Conflict(format!(
                        "lease {} on ticket {key} is no longer held",
                        f.token
                    )));
                }
            }
        }
        ticket.version += 1;
        let old_due = row.due_at.take();
        row.due_at = ticket.next_check;
        row.lease = None;
        row.log.extend(log);
        let old = std::mem::replace(&mut row.ticket, ticket);
        let out = row.ticket.clone();
        if let Some(at) = old_due {
            st.due.remove(&(at, key.id));
        }
        if let Some(at) = out.next_check {
            st.due.insert((at, key.id));
        }
        if counts_toward_load(&old) != counts_toward_load(&out) {
            st.add_load(&old, -1);
            st.add_load(&out, 1);
        }
        Ok(out)
    }

    async fn log(&self, key: &TicketRef) -> Result<Vec<LogEntry>> {
        Ok(self.lock().row(key)?.log.clone())
    }

    async fn claim_due(&self, request: &ClaimDue) -> Result<Vec<Claimed>> {
        let mut guard = self.lock();
        let st = &mut *guard;
        let due: Vec<(DateTime<Utc>, TicketId)> = st
            .due
            .iter()
            .take_while(|(at, _)| *at <= request.now)
            .take(request.limit)
            .copied()
            .collect();
        let until = request
            .now
            .checked_add_signed(request.lease_for)
            .ok_or_else(|| Error::invalid("lease_for", request.lease_for, "out of range"))?;
        let mut out = Vec::with_capacity(due.len());
        for entry in due {
            st.due.remove(&entry);
            let Some(row) = st.rows.get_mut(&entry.1) else {
                continue;
            };
            st.last_token += 1;
            let token = st.last_token;
            row.lease = Some((token, until));
            row.due_at = Some(until);
            st.due.insert((until, entry.1));
            out.push(Claimed {
                ticket: row.ticket.clone(),
                token,
                until,
            });
        }
        Ok(out)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.lock().due.first().map(|(at, _)| *at))
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
}
