//! `escalation.LogEntry`: one entry of a ticket's audit log ([`escalation_core::log`]).

use escalation_core::log::LogEntry;

use crate::record::{Doc, view};

view! {
    /// One entry of a ticket's log: when, who, and what (with its reasons).
    PyLogEntry("LogEntry", LogEntry)
    repr |e| format!("LogEntry(at={:?}, actor={:?}, event={:?})", e.at.to_rfc3339(), e.actor.to_string(), e.event.name());
    {
        /// When it happened.
        at => |e| e.at,
        /// Who did it: `"engine"`, `"host:<who>"`, `"agent:<id>"` or `"customer:<id>"`.
        actor => |e| e.actor.to_string(),
        /// The event's name: `"created"`, `"sla_breached"`, `"level_fired"`, ...
        event => |e| e.event.name().to_owned(),
        /// The event with its fields (a dict whose `type` is `event`).
        data => |e| Doc(&e.event),
    }
}
