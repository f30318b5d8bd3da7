//! `escalation.Effect`: an outbox entry, one delivery to a port ([`escalation_core::effect`]).

use escalation_core::effect::{Effect, EffectKind, EffectState};
use pyo3::prelude::*;

use crate::record::{Out, view};

impl Out for EffectState {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.as_str().out(py)
    }
}

view! {
    /// A delivery to the Notifier or the Pager, as the outbox holds it.
    PyEffect("Effect", Effect)
    repr |e| format!("Effect(key={:?}, kind={:?}, state={:?}, attempts={})", e.key.to_string(), e.kind.name(), e.state.as_str(), e.attempts);
    {
        /// The idempotency key (the same across retries).
        key => |e| e.key,
        /// The tenant.
        tenant => |e| e.tenant,
        /// The ticket.
        ticket => |e| e.ticket,
        /// `"notify"`, `"page_trigger"` or `"page_resolve"`.
        kind => |e| e.kind.name().to_owned(),
        /// The notification, for `"notify"`.
        notification => |e| match &e.kind {
            EffectKind::Notify { notification } => Some(notification.clone()),
            _ => None,
        },
        /// The page, for `"page_trigger"` and `"page_resolve"`.
        page => |e| match &e.kind {
            EffectKind::PageTrigger { page } | EffectKind::PageResolve { page } => Some(page.clone()),
            EffectKind::Notify { .. } => None,
        },
        /// When it was created.
        created_at => |e| e.created_at,
        /// Not delivered before this instant (quiet hours).
        not_before => |e| e.not_before,
        /// `"pending"`, `"delivered"`, `"dead_lettered"` or `"cancelled"`.
        state => |e| e.state,
        /// Delivery attempts so far.
        attempts => |e| e.attempts,
        /// When the next attempt is due.
        next_attempt_at => |e| e.next_attempt_at,
        /// The last failure, if any.
        last_error => |e| e.last_error,
        /// When it was delivered, dead-lettered or cancelled.
        finished_at => |e| e.finished_at,
    }
}
