//! Escalation tasks: records a breach creates for people to work on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{AgentId, TenantId, TicketId};
use crate::sla::Target;

/// Whether a task still needs work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting or in work.
    Open,
    /// Done.
    Closed,
}

impl TaskStatus {
    /// The status's name, as serialized (`open`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Closed => "closed",
        }
    }
}

/// An escalation task: created by the ladder, listed, assigned and closed by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationTask {
    /// Stable id (derived from the ladder step that created it, so it is created once).
    pub id: Arc<str>,
    /// The tenant.
    pub tenant: TenantId,
    /// The escalated ticket.
    pub ticket: TicketId,
    /// The ladder level that created it.
    pub level: Arc<str>,
    /// The SLA target whose trigger fired, if any.
    pub target: Option<Target>,
    /// Why, in words.
    pub reason: Arc<str>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Open or closed.
    pub status: TaskStatus,
    /// Who works on it.
    pub assignee: Option<AgentId>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}
