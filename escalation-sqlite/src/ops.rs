//! The store's operations as SQL, each run inside a transaction by the caller.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use escalation_core::effect::{Delivery, Effect, EffectKind, EffectState};
use escalation_core::ports::{
    ClaimDue, Claimed, ClaimedEffect, Commit, EffectOutcome, Fence, Inserted,
};
use escalation_core::task::EscalationTask;
use escalation_core::{AgentId, Error, LogEntry, TenantId, Ticket, TicketId, TicketRef};
use rusqlite::{ErrorCode, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::worker::{Fail, R};

// ---- encoding ----

/// An instant as unix nanoseconds; instants outside 1677..2262 are clamped (they only
/// order the indexes; the documents keep the exact value).
pub(crate) fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

fn instant(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

fn sql_id(id: TicketId) -> R<i64> {
    i64::try_from(id.0).map_err(|_| Fail::Core(Error::invalid("ticket id", id, "above 2^63 - 1")))
}

fn ticket_id(n: i64) -> R<TicketId> {
    u64::try_from(n)
        .map(TicketId)
        .map_err(|_| Fail::Core(corrupt(format!("negative ticket id {n}"))))
}

fn sql_u64(n: u64, what: &str) -> R<i64> {
    i64::try_from(n).map_err(|_| Fail::Core(Error::invalid(what, n, "above 2^63 - 1")))
}

fn corrupt(message: impl std::fmt::Display) -> Error {
    Error::Storage {
        message: format!("corrupt row: {message}"),
        retryable: false,
    }
}

fn to_json<T: Serialize>(v: &T) -> R<String> {
    serde_json::to_string(v).map_err(|e| Fail::Core(Error::Internal(format!("encoding: {e}"))))
}

fn from_json<T: DeserializeOwned>(s: &str) -> R<T> {
    serde_json::from_str(s).map_err(|e| Fail::Core(corrupt(e)))
}

fn state_name(s: EffectState) -> &'static str {
    match s {
        EffectState::Pending => "pending",
        EffectState::Delivered => "delivered",
        EffectState::DeadLettered => "dead_lettered",
        EffectState::Cancelled => "cancelled",
    }
}

fn not_found(key: &TicketRef) -> Fail {
    Fail::Core(Error::NotFound {
        what: "ticket",
        id: key.to_string(),
    })
}

/// A (token, until) lease as stored.
type Lease = Option<(i64, i64)>;

fn lease(token: Option<i64>, until: Option<i64>) -> Lease {
    token.zip(until)
}

fn check_fence(lease: Lease, fence: Fence, what: &str) -> R<()> {
    match lease {
        Some((token, until))
            if u64::try_from(token).is_ok_and(|t| t == fence.token) && until > nanos(fence.now) =>
        {
            Ok(())
        }
        _ => Err(Fail::Core(Error::Conflict(format!(
            "lease {} on {what} is no longer held",
            fence.token
        )))),
    }
}

fn bump(tx: &Transaction<'_>, counter: &str) -> R<i64> {
    Ok(tx
        .prepare_cached("UPDATE counters SET value = value + 1 WHERE name = ?1 RETURNING value")?
        .query_row([counter], |r| r.get(0))?)
}

/// Whether the ticket exists in that tenant.
fn ticket_in_tenant(tx: &Transaction<'_>, key: &TicketRef) -> R<bool> {
    let id = sql_id(key.id)?;
    let tenant: Option<String> = tx
        .prepare_cached("SELECT tenant FROM tickets WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(tenant.is_some_and(|t| t == key.tenant.as_str()))
}

// ---- tickets ----

pub(crate) fn next_id(tx: &Transaction<'_>) -> R<TicketId> {
    ticket_id(bump(tx, "ticket_id")?)
}

fn append_log(tx: &Transaction<'_>, id: i64, tenant: &str, log: &[LogEntry]) -> R<()> {
    let mut stmt =
        tx.prepare_cached("INSERT INTO log (ticket, tenant, at, body) VALUES (?1, ?2, ?3, ?4)")?;
    for entry in log {
        stmt.execute(params![id, tenant, nanos(entry.at), to_json(entry)?])?;
    }
    Ok(())
}

/// Adds effects (a key already present is left as it is) and tasks (likewise by id);
/// returns the keys of the effects actually added.
fn add_outbox(
    tx: &Transaction<'_>,
    ticket: TicketId,
    effects: &[Effect],
    tasks: &[EscalationTask],
) -> R<Vec<Arc<str>>> {
    let id = sql_id(ticket)?;
    let mut added = Vec::new();
    if !effects.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO effects (key, tenant, ticket, state, due, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (key) DO NOTHING",
        )?;
        for e in effects {
            let mut e = e.clone();
            e.ticket = ticket;
            let due = (e.state == EffectState::Pending).then(|| nanos(e.next_attempt_at));
            let n = stmt.execute(params![
                &*e.key,
                e.tenant.as_str(),
                id,
                state_name(e.state),
                due,
                to_json(&e)?
            ])?;
            if n == 1 {
                added.push(e.key.clone());
            }
        }
    }
    if !tasks.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO tasks (id, tenant, ticket, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
        )?;
        for t in tasks {
            let mut t = t.clone();
            t.ticket = ticket;
            stmt.execute(params![&*t.id, t.tenant.as_str(), id, to_json(&t)?])?;
        }
    }
    Ok(added)
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

pub(crate) fn insert(tx: &Transaction<'_>, commit: &Commit) -> R<Inserted> {
    let mut ticket = commit.ticket.clone();
    if let Some(k) = &ticket.intake_key {
        let existing: Option<String> = tx
            .prepare_cached("SELECT body FROM tickets WHERE tenant = ?1 AND intake_key = ?2")?
            .query_row(params![ticket.tenant.as_str(), &**k], |r| r.get(0))
            .optional()?;
        if let Some(body) = existing {
            return Ok(Inserted::Existing(from_json(&body)?));
        }
    }
    let id = sql_id(ticket.id)?;
    ticket.version = 1;
    // The primary key refuses a taken id.
    let inserted = tx
        .prepare_cached(
            "INSERT INTO tickets (id, tenant, version, intake_key, status, is_open, assignee, due, body)
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            id,
            ticket.tenant.as_str(),
            ticket.intake_key.as_deref(),
            ticket.status.as_str(),
            ticket.status.is_open(),
            ticket.assignee.as_ref().map(AgentId::as_str),
            ticket.next_check.map(nanos),
            to_json(&ticket)?
        ]);
    match inserted {
        Ok(_) => {}
        Err(e) if is_constraint(&e) => {
            return Err(Fail::Core(Error::Conflict(format!(
                "ticket id {} is taken",
                ticket.id
            ))));
        }
        Err(e) => return Err(e.into()),
    }
    tx.prepare_cached("UPDATE counters SET value = max(value, ?1) WHERE name = 'ticket_id'")?
        .execute([id])?;
    if !commit.effects.is_empty() || !commit.tasks.is_empty() {
        add_outbox(tx, ticket.id, &commit.effects, &commit.tasks)?;
    }
    append_log(tx, id, ticket.tenant.as_str(), &commit.log)?;
    Ok(Inserted::Created(ticket))
}

pub(crate) fn get(tx: &Transaction<'_>, key: &TicketRef) -> R<Ticket> {
    let body: Option<String> = tx
        .prepare_cached("SELECT body FROM tickets WHERE id = ?1 AND tenant = ?2")?
        .query_row(params![sql_id(key.id)?, key.tenant.as_str()], |r| r.get(0))
        .optional()?;
    match body {
        Some(b) => from_json(&b),
        None => Err(not_found(key)),
    }
}

pub(crate) fn find_by_intake_key(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    key: &str,
) -> R<Option<Ticket>> {
    let body: Option<String> = tx
        .prepare_cached("SELECT body FROM tickets WHERE tenant = ?1 AND intake_key = ?2")?
        .query_row(params![tenant.as_str(), key], |r| r.get(0))
        .optional()?;
    body.map(|b| from_json(&b)).transpose()
}

pub(crate) fn update(tx: &Transaction<'_>, commit: &Commit, fence: Option<Fence>) -> R<u64> {
    let mut ticket = commit.ticket.clone();
    let key = ticket.key();
    let id = sql_id(key.id)?;
    let row: Option<(String, i64, Option<i64>, Option<i64>)> = tx
        .prepare_cached(
            "SELECT tenant, version, lease_token, lease_until FROM tickets WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (version, lease) = match row {
        Some((tenant, version, token, until)) if tenant == key.tenant.as_str() => {
            (version, self::lease(token, until))
        }
        _ => return Err(not_found(&key)),
    };
    if u64::try_from(version).ok() != Some(ticket.version) {
        return Err(Fail::Core(Error::Conflict(format!(
            "ticket {key} is at version {version}, the write was based on {}",
            ticket.version
        ))));
    }
    if let Some(f) = fence {
        check_fence(lease, f, &format!("ticket {key}"))?;
    }
    let added = add_outbox(tx, key.id, &commit.effects, &commit.tasks)?;
    if !commit.cancel_pages.is_empty() {
        cancel_pages(tx, id, &added, &commit.cancel_pages, commit.at)?;
    }
    ticket.version += 1;
    tx.prepare_cached(
        "UPDATE tickets SET version = ?2, status = ?3, is_open = ?4, assignee = ?5, due = ?6,
             lease_token = NULL, lease_until = NULL, lease_holder = NULL, body = ?7
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        sql_u64(ticket.version, "version")?,
        ticket.status.as_str(),
        ticket.status.is_open(),
        ticket.assignee.as_ref().map(AgentId::as_str),
        ticket.next_check.map(nanos),
        to_json(&ticket)?
    ])?;
    append_log(tx, id, key.tenant.as_str(), &commit.log)?;
    Ok(ticket.version)
}

/// Cancels the ticket's pending triggers of the pages with these dedup keys. A trigger that
/// a dispatcher holds under a live lease may be on its way to the pager, so a resolve of
/// that page added by this commit waits until the latest such lease ends.
fn cancel_pages(
    tx: &Transaction<'_>,
    id: i64,
    added: &[Arc<str>],
    pages: &[Arc<str>],
    now: DateTime<Utc>,
) -> R<()> {
    let now_n = nanos(now);
    let rows: Vec<(String, Option<i64>, String)> = tx
        .prepare_cached(
            "SELECT body, lease_until, key FROM effects
             WHERE ticket = ?1 AND state = 'pending' ORDER BY seq",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut hold: HashMap<Arc<str>, i64> = HashMap::new();
    let mut cancel = tx.prepare_cached(
        "UPDATE effects SET state = ?2, due = NULL, lease_token = NULL, lease_until = NULL,
             lease_holder = NULL, body = ?3
         WHERE key = ?1",
    )?;
    for (body, lease_until, key) in rows {
        let mut e: Effect = from_json(&body)?;
        let page = match &e.kind {
            EffectKind::PageTrigger { page } if pages.contains(&page.dedup_key) => {
                page.dedup_key.clone()
            }
            _ => continue,
        };
        if e.state != EffectState::Pending {
            continue;
        }
        if let Some(until) = lease_until.filter(|u| *u > now_n) {
            let h = hold.entry(page).or_insert(until);
            *h = (*h).max(until);
        }
        e.state = EffectState::Cancelled;
        e.finished_at = Some(now);
        cancel.execute(params![key, state_name(e.state), to_json(&e)?])?;
    }
    if hold.is_empty() {
        return Ok(());
    }
    let mut read = tx.prepare_cached("SELECT body, due FROM effects WHERE key = ?1")?;
    let mut delay = tx.prepare_cached("UPDATE effects SET due = ?2, body = ?3 WHERE key = ?1")?;
    for key in added {
        let Some((body, due)) = read
            .query_row([&**key], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })
            .optional()?
        else {
            continue;
        };
        let mut e: Effect = from_json(&body)?;
        let EffectKind::PageResolve { page } = &e.kind else {
            continue;
        };
        let Some(until) = hold.get(&page.dedup_key).copied() else {
            continue;
        };
        if due.is_some_and(|at| at < until) {
            e.next_attempt_at = instant(until);
            delay.execute(params![&**key, until, to_json(&e)?])?;
        }
    }
    Ok(())
}

pub(crate) fn log(tx: &Transaction<'_>, key: &TicketRef) -> R<Vec<LogEntry>> {
    if !ticket_in_tenant(tx, key)? {
        return Err(not_found(key));
    }
    let bodies: Vec<String> = tx
        .prepare_cached("SELECT body FROM log WHERE ticket = ?1 ORDER BY seq")?
        .query_map([sql_id(key.id)?], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    bodies.iter().map(|b| from_json(b)).collect()
}

fn lease_end(request: &ClaimDue) -> R<DateTime<Utc>> {
    request
        .now
        .checked_add_signed(request.lease_for)
        .ok_or_else(|| {
            Fail::Core(Error::invalid(
                "lease_for",
                request.lease_for,
                "out of range",
            ))
        })
}

fn limit(request: &ClaimDue) -> i64 {
    i64::try_from(request.limit).unwrap_or(i64::MAX)
}

/// Whether any ticket is due and unleased at `now` (a read, so an idle sweep takes no lock).
pub(crate) fn any_due(tx: &Transaction<'_>, now: DateTime<Utc>) -> R<bool> {
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tickets
             WHERE due IS NOT NULL AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ?1))",
        )?
        .query_row([nanos(now)], |r| r.get(0))?)
}

/// Whether any effect is due and unleased at `now`.
pub(crate) fn any_effect_due(tx: &Transaction<'_>, now: DateTime<Utc>) -> R<bool> {
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM effects
             WHERE due IS NOT NULL AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ?1))",
        )?
        .query_row([nanos(now)], |r| r.get(0))?)
}

pub(crate) fn claim_due(tx: &Transaction<'_>, request: &ClaimDue) -> R<Vec<Claimed>> {
    let until = lease_end(request)?;
    let now = nanos(request.now);
    // A claimed ticket keeps its place in the due index; its lease hides it from other
    // claims until the lease ends (then it is due again) or its write moves it.
    let rows: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT id, body FROM tickets
             WHERE due IS NOT NULL AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
             ORDER BY due, id LIMIT ?2",
        )?
        .query_map(params![now, limit(request)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut lease = tx.prepare_cached(
        "UPDATE tickets SET lease_token = ?2, lease_until = ?3, lease_holder = ?4 WHERE id = ?1",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, body) in rows {
        let token = bump(tx, "lease_token")?;
        lease.execute(params![id, token, nanos(until), &*request.holder])?;
        out.push(Claimed {
            ticket: from_json(&body)?,
            token: token.unsigned_abs(),
            until,
        });
    }
    Ok(out)
}

/// The earliest `due` of a table, read back exactly from the document's `field`.
fn earliest(tx: &Transaction<'_>, sql: &str) -> R<Option<DateTime<Utc>>> {
    let text: Option<Option<String>> = tx
        .prepare_cached(sql)?
        .query_row([], |r| r.get(0))
        .optional()?;
    match text.flatten() {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| Fail::Core(corrupt(format!("instant {s:?}: {e}")))),
    }
}

pub(crate) fn next_due(tx: &Transaction<'_>) -> R<Option<DateTime<Utc>>> {
    earliest(
        tx,
        "SELECT json_extract(body, '$.next_check') FROM tickets
         WHERE due IS NOT NULL ORDER BY due, id LIMIT 1",
    )
}

pub(crate) fn next_effect_due(tx: &Transaction<'_>) -> R<Option<DateTime<Utc>>> {
    earliest(
        tx,
        "SELECT json_extract(body, '$.next_attempt_at') FROM effects
         WHERE due IS NOT NULL ORDER BY due, key LIMIT 1",
    )
}

// ---- effects ----

pub(crate) fn claim_effects(tx: &Transaction<'_>, request: &ClaimDue) -> R<Vec<ClaimedEffect>> {
    let until = lease_end(request)?;
    let now = nanos(request.now);
    let rows: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT key, body FROM effects
             WHERE due IS NOT NULL AND due <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
             ORDER BY due, key LIMIT ?2",
        )?
        .query_map(params![now, limit(request)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut lease = tx.prepare_cached(
        "UPDATE effects SET lease_token = ?2, lease_until = ?3, lease_holder = ?4 WHERE key = ?1",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (key, body) in rows {
        let token = bump(tx, "lease_token")?;
        lease.execute(params![key, token, nanos(until), &*request.holder])?;
        out.push(ClaimedEffect {
            effect: from_json(&body)?,
            token: token.unsigned_abs(),
        });
    }
    Ok(out)
}

pub(crate) fn finish_effect(tx: &Transaction<'_>, outcome: &EffectOutcome) -> R<()> {
    /// tenant, ticket, lease token, lease end, body.
    type EffectRow = (String, i64, Option<i64>, Option<i64>, String);
    let row: Option<EffectRow> = tx
        .prepare_cached(
            "SELECT tenant, ticket, lease_token, lease_until, body FROM effects WHERE key = ?1",
        )?
        .query_row([&*outcome.key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let (ticket, lease, body) = match row {
        Some((tenant, ticket, token, until, body)) if tenant == outcome.tenant.as_str() => {
            (ticket, self::lease(token, until), body)
        }
        _ => {
            return Err(Fail::Core(Error::NotFound {
                what: "effect",
                id: outcome.key.to_string(),
            }));
        }
    };
    check_fence(lease, outcome.fence, &format!("effect {}", outcome.key))?;
    let mut e: Effect = from_json(&body)?;
    if e.state != EffectState::Pending {
        return Err(Fail::Core(Error::Conflict(format!(
            "effect {} is no longer pending",
            outcome.key
        ))));
    }
    let now = outcome.fence.now;
    e.attempts = e.attempts.saturating_add(1);
    let mut due = None;
    match &outcome.delivery {
        Delivery::Delivered => {
            e.state = EffectState::Delivered;
            e.finished_at = Some(now);
        }
        Delivery::Retry { at, error } => {
            e.next_attempt_at = *at;
            e.last_error = Some(error.clone());
            due = Some(nanos(*at));
        }
        Delivery::DeadLetter { error } => {
            e.state = EffectState::DeadLettered;
            e.last_error = Some(error.clone());
            e.finished_at = Some(now);
        }
    }
    tx.prepare_cached(
        "UPDATE effects SET state = ?2, due = ?3, lease_token = NULL, lease_until = NULL,
             lease_holder = NULL, body = ?4
         WHERE key = ?1",
    )?
    .execute(params![
        &*outcome.key,
        state_name(e.state),
        due,
        to_json(&e)?
    ])?;
    let tenant: Option<String> = tx
        .prepare_cached("SELECT tenant FROM tickets WHERE id = ?1")?
        .query_row([ticket], |r| r.get(0))
        .optional()?;
    if let Some(tenant) = tenant {
        append_log(tx, ticket, &tenant, std::slice::from_ref(&outcome.log))?;
    }
    Ok(())
}

pub(crate) fn effects(tx: &Transaction<'_>, key: &TicketRef) -> R<Vec<Effect>> {
    if !ticket_in_tenant(tx, key)? {
        return Err(not_found(key));
    }
    let bodies: Vec<String> = tx
        .prepare_cached("SELECT body FROM effects WHERE ticket = ?1 ORDER BY seq")?
        .query_map([sql_id(key.id)?], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    bodies.iter().map(|b| from_json(b)).collect()
}

// ---- tasks, log range, loads ----

pub(crate) fn tasks(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    ticket: Option<TicketId>,
) -> R<Vec<EscalationTask>> {
    let ticket = ticket.map(sql_id).transpose()?;
    let bodies: Vec<String> = tx
        .prepare_cached(
            "SELECT body FROM tasks WHERE tenant = ?1 AND (?2 IS NULL OR ticket = ?2)
             ORDER BY seq",
        )?
        .query_map(params![tenant.as_str(), ticket], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    bodies.iter().map(|b| from_json(b)).collect()
}

pub(crate) fn put_task(tx: &Transaction<'_>, task: &EscalationTask) -> R<()> {
    let n = tx
        .prepare_cached("UPDATE tasks SET ticket = ?3, body = ?4 WHERE id = ?1 AND tenant = ?2")?
        .execute(params![
            &*task.id,
            task.tenant.as_str(),
            sql_id(task.ticket)?,
            to_json(task)?
        ])?;
    if n == 0 {
        return Err(Fail::Core(Error::NotFound {
            what: "task",
            id: task.id.to_string(),
        }));
    }
    Ok(())
}

pub(crate) fn log_range(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> R<Vec<(TicketId, LogEntry)>> {
    let rows: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT ticket, body FROM log WHERE tenant = ?1 AND at >= ?2 AND at < ?3
             ORDER BY at, ticket, seq",
        )?
        .query_map(params![tenant.as_str(), nanos(from), nanos(to)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    rows.iter()
        .map(|(id, b)| Ok((ticket_id(*id)?, from_json(b)?)))
        .collect()
}

pub(crate) fn agent_loads(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    agents: &[AgentId],
) -> R<Vec<u32>> {
    let mut stmt = tx.prepare_cached(
        "SELECT count(*) FROM tickets WHERE tenant = ?1 AND assignee = ?2 AND is_open = 1",
    )?;
    agents
        .iter()
        .map(|a| {
            let n: i64 = stmt.query_row(params![tenant.as_str(), a.as_str()], |r| r.get(0))?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .collect()
}
