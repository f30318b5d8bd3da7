//! `LogEntry`: one entry of a ticket's audit log ([`escalation_core::log`]).

use chrono::{DateTime, Utc};
use escalation_core::log::LogEntry;
use escalation_core::model::TicketId;
use napi_derive::napi;
use serde_json::Value;

use crate::model::{doc, num};

/// One entry of a ticket's log: when, who, and what (with its reasons).
#[napi(object, object_from_js = false, js_name = "LogEntry")]
pub struct JsLogEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: `"engine"`, `"host:<who>"`, `"agent:<id>"` or `"customer:<id>"`.
    pub actor: String,
    /// The event's name: `"created"`, `"sla_breached"`, `"level_fired"`, ...
    pub event: String,
    /// The event with its fields, in the core's JSON form (its `type` is `event`).
    #[napi(ts_type = "{ type: string } & Record<string, unknown>")]
    pub data: Value,
}

impl From<&LogEntry> for JsLogEntry {
    fn from(e: &LogEntry) -> Self {
        JsLogEntry {
            at: e.at,
            actor: e.actor.to_string(),
            event: e.event.name().to_owned(),
            data: doc(&e.event),
        }
    }
}

/// A log entry of a tenant's log, with its ticket (`engine.logRange`).
#[napi(object, object_from_js = false, js_name = "TicketLogEntry")]
pub struct JsTicketLogEntry {
    /// The ticket's id.
    pub ticket: f64,
    /// The entry.
    pub entry: JsLogEntry,
}

impl From<&(TicketId, LogEntry)> for JsTicketLogEntry {
    fn from((ticket, entry): &(TicketId, LogEntry)) -> Self {
        JsTicketLogEntry {
            ticket: num(ticket.0),
            entry: JsLogEntry::from(entry),
        }
    }
}
