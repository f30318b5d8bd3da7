//! `escalation.EscalationTask`: the work item a breach creates ([`escalation_core::task`]).

use escalation_core::task::{EscalationTask, TaskStatus};
use pyo3::prelude::*;

use crate::record::{Out, view};

impl Out for TaskStatus {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.as_str().out(py)
    }
}

view! {
    /// An escalation task: created when a ladder level with `create_task` fires.
    PyEscalationTask("EscalationTask", EscalationTask)
    repr |t| format!("EscalationTask(id={:?}, ticket={}, level={:?}, status={:?})", t.id.to_string(), t.ticket, t.level.to_string(), t.status.as_str());
    {
        /// The task's id.
        id => |t| t.id,
        /// The tenant.
        tenant => |t| t.tenant,
        /// The ticket it is about.
        ticket => |t| t.ticket,
        /// The ladder level that created it.
        level => |t| t.level,
        /// The clock it is about, if any.
        target => |t| t.target,
        /// Why it was created.
        reason => |t| t.reason,
        /// When.
        created_at => |t| t.created_at,
        /// `"open"` or `"closed"`.
        status => |t| t.status,
        /// The agent working on it, if any.
        assignee => |t| t.assignee,
        /// When it was closed.
        closed_at => |t| t.closed_at,
    }
}
