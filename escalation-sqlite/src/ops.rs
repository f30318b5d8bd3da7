//! The store's operations as SQL, each run inside a transaction by the caller.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use escalation_core::effect::{Delivery, Effect, EffectKind, EffectState};
use escalation_core::ports::{
    ClaimDue, Claimed, ClaimedEffect, CleanupBatch, CleanupQuery, Commit, Earliest, EffectOutcome,
    EventKinds, Fence, Inserted, earliest_claimable, from_nanos, nanos, nanos_saturated,
};
use escalation_core::task::EscalationTask;
use escalation_core::{AgentId, Error, LogEntry, TenantId, Ticket, TicketId, TicketRef};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{ErrorCode, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::worker::{Fail, R};

// ---- encoding ----

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

fn to_json<T: Serialize + ?Sized>(v: &T) -> R<String> {
    serde_json::to_string(v).map_err(|e| Fail::Core(Error::Internal(format!("encoding: {e}"))))
}

fn from_json<T: DeserializeOwned>(s: &str) -> R<T> {
    serde_json::from_str(s).map_err(|e| Fail::Core(corrupt(e)))
}

/// A ticket or log document as stored: plain JSON (TEXT, as schema version 1 wrote it) or
/// LZ4-compressed JSON (BLOB, what this version writes; see `migrations/0002`).
pub(crate) struct Stored {
    bytes: Vec<u8>,
    compressed: bool,
}

impl FromSql for Stored {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Stored> {
        match value {
            ValueRef::Text(t) => Ok(Stored {
                bytes: t.to_vec(),
                compressed: false,
            }),
            ValueRef::Blob(b) => Ok(Stored {
                bytes: b.to_vec(),
                compressed: true,
            }),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// The largest document a compressed body may claim to hold; a larger length prefix means
/// the row is corrupt (and is not allocated).
const MAX_DOCUMENT: usize = 64 << 20;

/// Encodes a ticket or log document for storage: JSON, LZ4-compressed.
fn to_stored<T: Serialize + ?Sized>(v: &T) -> R<Vec<u8>> {
    let json =
        serde_json::to_vec(v).map_err(|e| Fail::Core(Error::Internal(format!("encoding: {e}"))))?;
    Ok(lz4_flex::compress_prepend_size(&json))
}

/// Decodes a stored ticket or log document.
fn from_stored<T: DeserializeOwned>(s: &Stored) -> R<T> {
    if !s.compressed {
        return serde_json::from_slice(&s.bytes).map_err(|e| Fail::Core(corrupt(e)));
    }
    let claimed = s
        .bytes
        .first_chunk::<4>()
        .map(|n| u32::from_le_bytes(*n) as usize);
    if claimed.is_none_or(|n| n > MAX_DOCUMENT) {
        return Err(Fail::Core(corrupt("compressed document with a bad length")));
    }
    let json = lz4_flex::decompress_size_prepended(&s.bytes)
        .map_err(|e| Fail::Core(corrupt(format!("compressed document: {e}"))))?;
    serde_json::from_slice(&json).map_err(|e| Fail::Core(corrupt(e)))
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

/// A log row ready to insert: `(at, the run's entries as a stored JSON array, kinds mask)`.
type LogRow = (i64, Vec<u8>, i64);

/// Encodes a commit's log entries: one row per run of entries with the same `at` (usually
/// one row per commit).
fn encode_log(log: &[LogEntry]) -> R<Vec<LogRow>> {
    log.chunk_by(|a, b| a.at == b.at)
        .map(|run| {
            Ok((
                nanos(run[0].at),
                to_stored(run)?,
                EventKinds::mask_of(run.iter().map(|e| &e.event)),
            ))
        })
        .collect()
}

fn insert_log_rows(tx: &Transaction<'_>, id: i64, tenant: &str, rows: &[LogRow]) -> R<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO log_rows (ticket, tenant, at, body, kinds) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (at, body, kinds) in rows {
        stmt.execute(params![id, tenant, at, body, kinds])?;
    }
    Ok(())
}

/// Appends a commit's log entries.
fn append_log(tx: &Transaction<'_>, id: i64, tenant: &str, log: &[LogEntry]) -> R<()> {
    insert_log_rows(tx, id, tenant, &encode_log(log)?)
}

/// Decodes log rows (JSON arrays) in order into entries.
fn log_entries(bodies: &[Stored]) -> R<Vec<LogEntry>> {
    let mut out = Vec::with_capacity(bodies.len() * 4);
    for b in bodies {
        out.extend(from_stored::<Vec<LogEntry>>(b)?);
    }
    Ok(out)
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
                e.state.as_str(),
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

/// A commit to insert with its JSON already encoded: a batch encodes its commits before it
/// takes the write lock, on more than one thread.
pub(crate) struct EncodedInsert {
    /// The commit, its ticket at version 1.
    commit: Commit,
    ticket_doc: Vec<u8>,
    log_rows: Vec<LogRow>,
}

/// Encodes a commit for [`insert_encoded`].
pub(crate) fn encode_insert(mut commit: Commit) -> R<EncodedInsert> {
    commit.ticket.version = 1;
    let ticket_doc = to_stored(&commit.ticket)?;
    let log_rows = encode_log(&commit.log)?;
    Ok(EncodedInsert {
        commit,
        ticket_doc,
        log_rows,
    })
}

pub(crate) fn insert(tx: &Transaction<'_>, commit: &Commit) -> R<Inserted> {
    let encoded = encode_insert(commit.clone())?;
    match insert_encoded(tx, &encoded)? {
        Some(existing) => Ok(Inserted::Existing(existing)),
        None => {
            raise_id_counter(tx, encoded.commit.ticket.id)?;
            Ok(Inserted::Created(encoded.into_ticket()))
        }
    }
}

/// Raises the id counter to at least `id`, so `next_id` never hands out an inserted id.
pub(crate) fn raise_id_counter(tx: &Transaction<'_>, id: TicketId) -> R<()> {
    tx.prepare_cached("UPDATE counters SET value = max(value, ?1) WHERE name = 'ticket_id'")?
        .execute([sql_id(id)?])?;
    Ok(())
}

impl EncodedInsert {
    /// The ticket as inserted (at version 1).
    pub(crate) fn into_ticket(self) -> Ticket {
        self.commit.ticket
    }

    /// The ticket's id.
    pub(crate) fn id(&self) -> TicketId {
        self.commit.ticket.id
    }
}

/// Inserts an encoded commit, or returns the ticket that already holds its intake key (and
/// inserts nothing). The caller raises the id counter.
pub(crate) fn insert_encoded(tx: &Transaction<'_>, encoded: &EncodedInsert) -> R<Option<Ticket>> {
    let commit = &encoded.commit;
    let ticket = &commit.ticket;
    if let Some(k) = &ticket.intake_key {
        let existing: Option<Stored> = tx
            .prepare_cached("SELECT body FROM tickets WHERE tenant = ?1 AND intake_key = ?2")?
            .query_row(params![ticket.tenant.as_str(), &**k], |r| r.get(0))
            .optional()?;
        if let Some(body) = existing {
            return Ok(Some(from_stored(&body)?));
        }
    }
    let id = sql_id(ticket.id)?;
    let tenant = ticket.tenant.as_str();
    // The primary key refuses a taken id.
    let inserted = tx
        .prepare_cached(
            "INSERT INTO tickets
                 (id, tenant, version, intake_key, status, is_open, assignee, due, body,
                  resolved_at, archived_at)
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            id,
            tenant,
            ticket.intake_key.as_deref(),
            ticket.status.as_str(),
            ticket.status.is_open(),
            ticket.assignee.as_ref().map(AgentId::as_str),
            ticket.next_check.map(nanos),
            &encoded.ticket_doc,
            ticket.resolved_at.map(nanos),
            ticket.archived_at.map(nanos)
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
    if !commit.effects.is_empty() || !commit.tasks.is_empty() {
        add_outbox(tx, ticket.id, &commit.effects, &commit.tasks)?;
    }
    insert_log_rows(tx, id, tenant, &encoded.log_rows)?;
    Ok(None)
}

pub(crate) fn get(tx: &Transaction<'_>, key: &TicketRef) -> R<Ticket> {
    let body: Option<Stored> = tx
        .prepare_cached("SELECT body FROM tickets WHERE id = ?1 AND tenant = ?2")?
        .query_row(params![sql_id(key.id)?, key.tenant.as_str()], |r| r.get(0))
        .optional()?;
    match body {
        Some(b) => from_stored(&b),
        None => Err(not_found(key)),
    }
}

pub(crate) fn find_by_intake_key(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    key: &str,
) -> R<Option<Ticket>> {
    let body: Option<Stored> = tx
        .prepare_cached("SELECT body FROM tickets WHERE tenant = ?1 AND intake_key = ?2")?
        .query_row(params![tenant.as_str(), key], |r| r.get(0))
        .optional()?;
    body.map(|b| from_stored(&b)).transpose()
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
             lease_token = NULL, lease_until = NULL, lease_holder = NULL, body = ?7,
             resolved_at = ?8, archived_at = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        sql_u64(ticket.version, "version")?,
        ticket.status.as_str(),
        ticket.status.is_open(),
        ticket.assignee.as_ref().map(AgentId::as_str),
        ticket.next_check.map(nanos),
        to_stored(&ticket)?,
        ticket.resolved_at.map(nanos),
        ticket.archived_at.map(nanos)
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
        cancel.execute(params![key, e.state.as_str(), to_json(&e)?])?;
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
            e.next_attempt_at = from_nanos(until);
            delay.execute(params![&**key, until, to_json(&e)?])?;
        }
    }
    Ok(())
}

pub(crate) fn log(tx: &Transaction<'_>, key: &TicketRef) -> R<Vec<LogEntry>> {
    if !ticket_in_tenant(tx, key)? {
        return Err(not_found(key));
    }
    let bodies: Vec<Stored> = tx
        .prepare_cached("SELECT body FROM log_rows WHERE ticket = ?1 ORDER BY seq")?
        .query_map([sql_id(key.id)?], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    log_entries(&bodies)
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
    let rows: Vec<(i64, Stored)> = tx
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
            ticket: from_stored(&body)?,
            token: token.unsigned_abs(),
            until,
        });
    }
    Ok(out)
}

pub(crate) fn next_due(tx: &Transaction<'_>) -> R<Option<DateTime<Utc>>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, due, lease_until FROM tickets WHERE due IS NOT NULL ORDER BY due, id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))?;
    match earliest_claimable(None, rows)?.0 {
        None => Ok(None),
        Some(Earliest::LeaseEnd(n)) => Ok(Some(from_nanos(n))),
        Some(Earliest::Due(_, n)) if !nanos_saturated(n) => Ok(Some(from_nanos(n))),
        Some(Earliest::Due(id, _)) => {
            // Read back exactly from the document.
            let body: Stored = tx
                .prepare_cached("SELECT body FROM tickets WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            Ok(from_stored::<Ticket>(&body)?.next_check)
        }
    }
}

pub(crate) fn next_effect_due(tx: &Transaction<'_>) -> R<Option<DateTime<Utc>>> {
    let mut stmt = tx.prepare_cached(
        "SELECT key, due, lease_until FROM effects WHERE due IS NOT NULL ORDER BY due, key",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
    match earliest_claimable(None, rows)?.0 {
        None => Ok(None),
        Some(Earliest::LeaseEnd(n)) => Ok(Some(from_nanos(n))),
        Some(Earliest::Due(_, n)) if !nanos_saturated(n) => Ok(Some(from_nanos(n))),
        Some(Earliest::Due(key, _)) => {
            // Read back exactly from the document.
            let text: String = tx
                .prepare_cached(
                    "SELECT json_extract(body, '$.next_attempt_at') FROM effects WHERE key = ?1",
                )?
                .query_row([key], |r| r.get(0))?;
            DateTime::parse_from_rfc3339(&text)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| Fail::Core(corrupt(format!("instant {text:?}: {e}"))))
        }
    }
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
    .execute(params![&*outcome.key, e.state.as_str(), due, to_json(&e)?])?;
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
    log_range_of(tx, tenant, from, to, EventKinds::ALL)
}

pub(crate) fn log_range_of(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kinds: EventKinds,
) -> R<Vec<(TicketId, LogEntry)>> {
    let rows: Vec<(i64, Stored)> = tx
        .prepare_cached(
            "SELECT ticket, body FROM log_rows
             WHERE tenant = ?1 AND at >= ?2 AND at < ?3 AND (kinds & ?4) != 0
             ORDER BY at, ticket, seq",
        )?
        .query_map(
            params![tenant.as_str(), nanos(from), nanos(to), kinds.as_i64()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len() * 2);
    for (id, body) in &rows {
        let id = ticket_id(*id)?;
        out.extend(
            from_stored::<Vec<LogEntry>>(body)?
                .into_iter()
                .filter(|e| kinds.contains(&e.event))
                .map(|e| (id, e)),
        );
    }
    Ok(out)
}

/// Fills `resolved_at` of the rows written before schema version 3 from their documents.
pub(crate) fn backfill_resolved_at(tx: &Transaction<'_>) -> R<()> {
    let rows: Vec<(i64, Stored)> = tx
        .prepare("SELECT id, body FROM tickets WHERE status IN ('resolved', 'closed')")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut set = tx.prepare("UPDATE tickets SET resolved_at = ?2 WHERE id = ?1")?;
    for (id, body) in rows {
        let ticket: Ticket = from_stored(&body)?;
        set.execute(params![id, ticket.resolved_at.map(nanos)])?;
    }
    Ok(())
}

pub(crate) fn resolved_between(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> R<Vec<Ticket>> {
    let bodies: Vec<Stored> = tx
        .prepare_cached(
            "SELECT body FROM tickets
             WHERE tenant = ?1 AND resolved_at IS NOT NULL AND resolved_at >= ?2
               AND resolved_at < ?3
             ORDER BY resolved_at, id",
        )?
        .query_map(params![tenant.as_str(), nanos(from), nanos(to)], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    bodies.iter().map(from_stored).collect()
}

pub(crate) fn get_many(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    ids: &[TicketId],
) -> R<Vec<Ticket>> {
    let mut stmt = tx.prepare_cached("SELECT body FROM tickets WHERE id = ?1 AND tenant = ?2")?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let body: Option<Stored> = stmt
            .query_row(params![sql_id(*id)?, tenant.as_str()], |r| r.get(0))
            .optional()?;
        if let Some(b) = body {
            out.push(from_stored(&b)?);
        }
    }
    Ok(out)
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

// ---- retention ----

/// One batch of retention cleanup (see `TicketStore::cleanup`). The SQL only narrows the
/// tickets down to those that may have work (drafts; resolved or closed tickets not yet
/// archived and resolved before the cutoff, or with an open task; archived tickets with log
/// rows before the cutoff); the rules themselves are `CleanupQuery`'s, applied to the
/// decoded documents, so this store decides exactly as the memory store does.
pub(crate) fn cleanup(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    query: &CleanupQuery,
) -> R<CleanupBatch> {
    let after = query.after.map(sql_id).transpose()?.unwrap_or(0);
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let log_before = nanos(query.log_before.max(query.escalation_log_before));
    let candidates: Vec<(i64, Stored)> = tx
        .prepare_cached(
            "SELECT t.id, t.body FROM tickets t
             WHERE t.tenant = ?1 AND t.id > ?2
               AND t.status IN ('draft', 'resolved', 'closed') AND (
                 t.status = 'draft'
                 OR (t.status IN ('resolved', 'closed') AND t.archived_at IS NULL
                     AND t.resolved_at IS NOT NULL AND t.resolved_at < ?3)
                 OR (t.status IN ('resolved', 'closed') AND EXISTS (
                     SELECT 1 FROM tasks k WHERE k.ticket = t.id AND k.tenant = t.tenant
                       AND json_extract(k.body, '$.status') = 'open'))
                 OR (t.archived_at IS NOT NULL AND EXISTS (
                     SELECT 1 FROM log_rows l WHERE l.ticket = t.id AND l.at < ?4)))
             ORDER BY t.id LIMIT ?5",
        )?
        .query_map(
            params![
                tenant.as_str(),
                after,
                nanos(query.archive_before),
                log_before,
                limit
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut out = CleanupBatch::default();
    if candidates.len() == query.limit {
        out.next = candidates
            .last()
            .map(|(id, _)| ticket_id(*id))
            .transpose()?;
    }
    for (id, body) in candidates {
        let mut ticket: Ticket = from_stored(&body)?;
        if query.deletes_draft(&ticket) {
            out.deleted_drafts.push(ticket.id);
            if !query.dry_run {
                delete_ticket(tx, id)?;
            }
            continue;
        }
        let tasks: Vec<Arc<str>> = self::tasks(tx, tenant, Some(ticket.id))?
            .into_iter()
            .filter(|t| query.deletes_task(&ticket, t))
            .map(|t| t.id)
            .collect();
        if !query.dry_run {
            let mut delete = tx.prepare_cached("DELETE FROM tasks WHERE id = ?1")?;
            for t in &tasks {
                delete.execute([&**t])?;
            }
        }
        out.deleted_tasks.extend(tasks);
        if query.prunes_log_of(&ticket) {
            out.pruned_log_entries += prune_log(tx, id, log_before, query)?;
        }
        if query.archives(&ticket) {
            out.archived.push(ticket.id);
            if !query.dry_run {
                ticket.archived_at = Some(query.now);
                ticket.next_check = None;
                ticket.version += 1;
                tx.prepare_cached(
                    "UPDATE tickets SET version = ?2, due = NULL, lease_token = NULL,
                         lease_until = NULL, lease_holder = NULL, body = ?3, archived_at = ?4
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    sql_u64(ticket.version, "version")?,
                    to_stored(&ticket)?,
                    nanos(query.now)
                ])?;
                append_log(
                    tx,
                    id,
                    tenant.as_str(),
                    std::slice::from_ref(&query.archived_entry()),
                )?;
            }
        }
    }
    Ok(out)
}

/// Prunes (or, in a dry run, counts) the log entries of ticket `id` that `query` prunes,
/// among its rows before `before`: a row keeps the entries that remain (rewritten), and goes
/// when none remain. Returns the number of entries pruned.
fn prune_log(tx: &Transaction<'_>, id: i64, before: i64, query: &CleanupQuery) -> R<u64> {
    let rows: Vec<(i64, Stored)> = tx
        .prepare_cached("SELECT seq, body FROM log_rows WHERE ticket = ?1 AND at < ?2")?
        .query_map(params![id, before], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut pruned = 0u64;
    for (seq, body) in rows {
        let entries: Vec<LogEntry> = from_stored(&body)?;
        let before_len = entries.len();
        let kept: Vec<LogEntry> = entries.into_iter().filter(|e| !query.prunes(e)).collect();
        let gone = before_len - kept.len();
        if gone == 0 {
            continue;
        }
        pruned += gone as u64;
        if query.dry_run {
            continue;
        }
        if kept.is_empty() {
            tx.prepare_cached("DELETE FROM log_rows WHERE seq = ?1")?
                .execute([seq])?;
        } else {
            tx.prepare_cached("UPDATE log_rows SET body = ?2, kinds = ?3 WHERE seq = ?1")?
                .execute(params![
                    seq,
                    to_stored(&kept)?,
                    EventKinds::mask_of(kept.iter().map(|e| &e.event))
                ])?;
        }
    }
    Ok(pruned)
}

/// Deletes ticket `id` with its log, effects and tasks.
fn delete_ticket(tx: &Transaction<'_>, id: i64) -> R<()> {
    for sql in [
        "DELETE FROM log_rows WHERE ticket = ?1",
        "DELETE FROM effects WHERE ticket = ?1",
        "DELETE FROM tasks WHERE ticket = ?1",
        "DELETE FROM tickets WHERE id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([id])?;
    }
    Ok(())
}
