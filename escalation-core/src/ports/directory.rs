use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::model::{Agent, Team, TeamId, TenantId};

/// Agents (skills, tier, capacity, availability) and teams with their managers.
#[async_trait]
pub trait AgentDirectory: Send + Sync + 'static {
    /// The agents of `tenant` as they stand at `at` (availability reflects shifts).
    ///
    /// # Errors
    /// Any error; the engine queues the ticket and tries to assign it again later.
    async fn agents(&self, tenant: &TenantId, at: DateTime<Utc>) -> Result<Arc<[Agent]>>;

    /// The team `team` of `tenant`, with its manager, or `None` if unknown.
    ///
    /// # Errors
    /// Any error the directory reports.
    async fn team(&self, tenant: &TenantId, team: &TeamId) -> Result<Option<Team>>;
}
