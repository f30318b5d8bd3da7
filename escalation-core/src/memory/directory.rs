use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::{Agent, AgentId, Team, TeamId, TenantId};
use crate::ports::AgentDirectory;

/// An [`AgentDirectory`] in memory: agents and teams per tenant.
///
/// `agents` hands out a shared snapshot (`Arc<[Agent]>`), rebuilt only when the roster
/// changes, so intake does not copy the roster.
#[derive(Debug)]
pub struct MemoryDirectory {
    tenants: RwLock<HashMap<TenantId, Roster>>,
    /// The roster of a tenant without agents, shared rather than allocated per call.
    empty: Arc<[Agent]>,
}

impl Default for MemoryDirectory {
    fn default() -> Self {
        MemoryDirectory {
            tenants: RwLock::default(),
            empty: Arc::from(Vec::new()),
        }
    }
}

#[derive(Debug, Default)]
struct Roster {
    agents: Vec<Agent>,
    snapshot: Option<Arc<[Agent]>>,
    teams: HashMap<TeamId, Team>,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> MemoryDirectory {
        MemoryDirectory::default()
    }

    /// Adds or replaces `agent` in `tenant`.
    pub fn upsert_agent(&self, tenant: &TenantId, agent: Agent) {
        let mut map = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        let roster = map.entry(tenant.clone()).or_default();
        match roster.agents.iter_mut().find(|a| a.id == agent.id) {
            Some(slot) => *slot = agent,
            None => roster.agents.push(agent),
        }
        roster.snapshot = None;
    }

    /// Adds or replaces `team` in `tenant`.
    pub fn upsert_team(&self, tenant: &TenantId, team: Team) {
        let mut map = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        map.entry(tenant.clone())
            .or_default()
            .teams
            .insert(team.id.clone(), team);
    }

    /// Marks an agent available or not (on or off shift, away).
    ///
    /// # Errors
    /// [`Error::NotFound`] when the agent is not in the tenant.
    pub fn set_available(&self, tenant: &TenantId, agent: &AgentId, available: bool) -> Result<()> {
        let mut map = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        let roster = map.get_mut(tenant);
        let slot = roster
            .and_then(|r| {
                r.snapshot = None;
                r.agents.iter_mut().find(|a| &a.id == agent)
            })
            .ok_or_else(|| Error::NotFound {
                what: "agent",
                id: agent.to_string(),
            })?;
        slot.available = available;
        Ok(())
    }
}

#[async_trait]
impl AgentDirectory for MemoryDirectory {
    async fn agents(&self, tenant: &TenantId, _at: DateTime<Utc>) -> Result<Arc<[Agent]>> {
        {
            let map = self.tenants.read().unwrap_or_else(|e| e.into_inner());
            match map.get(tenant) {
                None => return Ok(self.empty.clone()),
                Some(Roster {
                    snapshot: Some(s), ..
                }) => return Ok(s.clone()),
                Some(_) => {}
            }
        }
        let mut map = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        let roster = map.entry(tenant.clone()).or_default();
        let snap: Arc<[Agent]> = Arc::from(roster.agents.clone());
        roster.snapshot = Some(snap.clone());
        Ok(snap)
    }

    async fn team(&self, tenant: &TenantId, team: &TeamId) -> Result<Option<Team>> {
        let map = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        Ok(map.get(tenant).and_then(|r| r.teams.get(team)).cloned())
    }
}
