//! `EscalationTask`: the work item a breach creates ([`escalation_core::task`]).

use chrono::{DateTime, Utc};
use escalation_core::task::EscalationTask;
use napi_derive::napi;

use crate::model::num;

/// An escalation task: created when a ladder level with `create_task` fires.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "EscalationTask"
)]
pub struct JsEscalationTask {
    /// The task's id.
    pub id: String,
    /// The tenant.
    pub tenant: String,
    /// The ticket it is about.
    pub ticket: f64,
    /// The ladder level that created it.
    pub level: String,
    /// The SLA target whose trigger fired, if any.
    #[napi(ts_type = "Target")]
    pub target: Option<String>,
    /// Why it was created.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Whether it is open.
    #[napi(ts_type = "TaskStatus")]
    pub status: String,
    /// The agent working on it.
    pub assignee: Option<String>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&EscalationTask> for JsEscalationTask {
    fn from(t: &EscalationTask) -> Self {
        JsEscalationTask {
            id: t.id.to_string(),
            tenant: t.tenant.to_string(),
            ticket: num(t.ticket.0),
            level: t.level.to_string(),
            target: t.target.map(|target| target.as_str().to_owned()),
            reason: t.reason.to_string(),
            created_at: t.created_at,
            status: t.status.as_str().to_owned(),
            assignee: t.assignee.as_ref().map(ToString::to_string),
            closed_at: t.closed_at,
        }
    }
}
