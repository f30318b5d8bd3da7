//! The store's operations as SQL. Each runs on the [`Conn`] its caller opened (inside a
//! transaction for every write), and is safe to run again after a lost connection.

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
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use crate::db::{Conn, Fail, R, col, corrupt};

// ---- encoding ----

fn sql_id(id: TicketId) -> R<i64> {
    i64::try_from(id.0).map_err(|_| Fail::Core(Error::invalid("ticket id", id, "above 2^63 - 1")))
}

fn ticket_id(n: i64) -> R<TicketId> {
    u64::try_from(n)
        .map(TicketId)
        .map_err(|_| corrupt(format!("negative ticket id {n}")))
}

fn sql_u64(n: u64, what: &str) -> R<i64> {
    i64::try_from(n).map_err(|_| Fail::Core(Error::invalid(what, n, "above 2^63 - 1")))
}

fn not_found(key: &TicketRef) -> Fail {
    Fail::Core(Error::NotFound {
        what: "ticket",
        id: key.to_string(),
    })
}

fn lease_lost(token: u64, what: &str) -> Fail {
    Fail::Core(Error::Conflict(format!(
        "lease {token} on {what} is no longer held"
    )))
}

fn doc<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> R<T> {
    Ok(col::<Json<T>>(row, i)?.0)
}

/// Whether the ticket exists in that tenant.
async fn ticket_in_tenant(c: &Conn<'_, '_>, key: &TicketRef) -> R<bool> {
    Ok(c.query_opt(
        "SELECT 1 FROM tickets WHERE id = $1 AND tenant = $2",
        &[&sql_id(key.id)?, &key.tenant.as_str()],
    )
    .await?
    .is_some())
}

// ---- tickets ----

pub(crate) async fn next_id(c: &Conn<'_, '_>) -> R<TicketId> {
    let row = c.query_one("SELECT nextval('ticket_ids')", &[]).await?;
    ticket_id(col(&row, 0)?)
}

/// A log row ready to insert: the run's instant, its kinds mask and its entries.
struct LogRow<'a> {
    at: i64,
    kinds: i64,
    entries: &'a [LogEntry],
}

/// A commit's log entries as rows: one per run of entries with the same `at` (usually one
/// per commit).
fn log_rows(log: &[LogEntry]) -> Vec<LogRow<'_>> {
    log.chunk_by(|a, b| a.at == b.at)
        .map(|run| LogRow {
            at: nanos(run[0].at),
            kinds: EventKinds::mask_of(run.iter().map(|e| &e.event)),
            entries: run,
        })
        .collect()
}

/// A commit's log rows as statement parameters: instants, kinds masks, bodies.
type LogArrays<'a> = (Vec<i64>, Vec<i64>, Vec<Json<&'a [LogEntry]>>);

fn log_arrays(log: &[LogEntry]) -> LogArrays<'_> {
    let rows = log_rows(log);
    (
        rows.iter().map(|r| r.at).collect(),
        rows.iter().map(|r| r.kinds).collect(),
        rows.iter().map(|r| Json(r.entries)).collect(),
    )
}

/// Appends log entries to ticket `id` (one statement for all the rows).
async fn append_log(c: &Conn<'_, '_>, id: i64, tenant: &str, log: &[LogEntry]) -> R<()> {
    if log.is_empty() {
        return Ok(());
    }
    let (at, kinds, bodies) = log_arrays(log);
    c.execute(
        "INSERT INTO log_rows (ticket, tenant, at, kinds, body)
         SELECT $1, $2, u.at, u.kinds, u.body
         FROM unnest($3::bigint[], $4::bigint[], $5::jsonb[]) WITH ORDINALITY
             AS u(at, kinds, body, n)
         ORDER BY u.n",
        &[&id, &tenant, &at, &kinds, &bodies],
    )
    .await?;
    Ok(())
}

/// Whether `commit` is written by one statement (the ticket row and its log rows), which
/// commits on its own without an explicit transaction: no effects, tasks or cancellations.
pub(crate) fn is_one_statement(commit: &Commit) -> bool {
    commit.effects.is_empty() && commit.tasks.is_empty() && commit.cancel_pages.is_empty()
}

/// The outcomes of a group of updates: a refusal (NotFound, Conflict, ...) is that write's
/// outcome; any other failure fails the group (the transaction is lost), reported as the
/// first transient failure if there is one (so the group is retried), else the first.
pub(crate) fn keep_refusals(all: Vec<R<u64>>) -> R<Vec<escalation_core::Result<u64>>> {
    let mut out = Vec::with_capacity(all.len());
    let mut failed: Option<Fail> = None;
    for r in all {
        match r {
            Ok(v) => out.push(Ok(v)),
            Err(Fail::Core(e)) => out.push(Err(e)),
            Err(f) => {
                if failed
                    .as_ref()
                    .is_none_or(|first| !first.transient() && f.transient())
                {
                    failed = Some(f);
                }
            }
        }
    }
    match failed {
        Some(f) => Err(f),
        None => Ok(out),
    }
}

/// Adds effects (a key already present is left as it is) and tasks (likewise by id), both
/// re-pointed at `ticket`; returns the keys of the effects actually added.
async fn add_outbox(
    c: &Conn<'_, '_>,
    ticket: TicketId,
    effects: &[Effect],
    tasks: &[EscalationTask],
) -> R<Vec<Arc<str>>> {
    let id = sql_id(ticket)?;
    let mut added = Vec::new();
    if !effects.is_empty() {
        let effects: Vec<Effect> = effects
            .iter()
            .map(|e| Effect {
                ticket,
                ..e.clone()
            })
            .collect();
        let keys: Vec<&str> = effects.iter().map(|e| &*e.key).collect();
        let tenants: Vec<&str> = effects.iter().map(|e| e.tenant.as_str()).collect();
        let states: Vec<&str> = effects.iter().map(|e| e.state.as_str()).collect();
        let due: Vec<Option<i64>> = effects
            .iter()
            .map(|e| (e.state == EffectState::Pending).then(|| nanos(e.next_attempt_at)))
            .collect();
        let bodies: Vec<Json<&Effect>> = effects.iter().map(Json).collect();
        let rows = c
            .query(
                "INSERT INTO effects (key, tenant, ticket, state, due, body)
                 SELECT u.key, u.tenant, $1, u.state, u.due, u.body
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[])
                     WITH ORDINALITY AS u(key, tenant, state, due, body, n)
                 ORDER BY u.n
                 ON CONFLICT (key) DO NOTHING
                 RETURNING key",
                &[&id, &keys, &tenants, &states, &due, &bodies],
            )
            .await?;
        for r in &rows {
            added.push(Arc::<str>::from(col::<&str>(r, 0)?));
        }
    }
    if !tasks.is_empty() {
        let tasks: Vec<EscalationTask> = tasks
            .iter()
            .map(|t| EscalationTask {
                ticket,
                ..t.clone()
            })
            .collect();
        let ids: Vec<&str> = tasks.iter().map(|t| &*t.id).collect();
        let tenants: Vec<&str> = tasks.iter().map(|t| t.tenant.as_str()).collect();
        let statuses: Vec<&str> = tasks.iter().map(|t| t.status.as_str()).collect();
        let bodies: Vec<Json<&EscalationTask>> = tasks.iter().map(Json).collect();
        c.execute(
            "INSERT INTO tasks (id, tenant, ticket, status, body)
             SELECT u.id, u.tenant, $1, u.status, u.body
             FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[])
                 WITH ORDINALITY AS u(id, tenant, status, body, n)
             ORDER BY u.n
             ON CONFLICT (id) DO NOTHING",
            &[&id, &ids, &tenants, &statuses, &bodies],
        )
        .await?;
    }
    Ok(added)
}

/// The ticket of `tenant` holding intake key `key`, if any.
pub(crate) async fn find_by_intake_key(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    key: &str,
) -> R<Option<Ticket>> {
    c.query_opt(
        "SELECT body FROM tickets WHERE tenant = $1 AND intake_key = $2",
        &[&tenant.as_str(), &key],
    )
    .await?
    .map(|r| doc(&r, 0))
    .transpose()
}

/// Inserts a ticket row at version 1 with its log rows, unless its id or its intake key is
/// taken, raising the id sequence past it; one statement. Returns whether it was inserted.
async fn insert_row(c: &Conn<'_, '_>, ticket: &Ticket, log: &[LogEntry]) -> R<bool> {
    let (at, kinds, bodies) = log_arrays(log);
    let row = c
        .query_one(
            "WITH ins AS (
                 INSERT INTO tickets (id, tenant, version, intake_key, status, is_open, assignee,
                     due, resolved_at, archived_at, body)
                 VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT DO NOTHING
                 RETURNING id),
             raised AS (
                 SELECT setval('ticket_ids', ins.id) FROM ins, ticket_ids s
                 WHERE ins.id >= CASE WHEN s.is_called THEN s.last_value + 1
                                      ELSE s.last_value END),
             logged AS (
                 INSERT INTO log_rows (ticket, tenant, at, kinds, body)
                 SELECT ins.id, $2, u.at, u.kinds, u.body
                 FROM ins CROSS JOIN unnest($11::bigint[], $12::bigint[], $13::jsonb[])
                     WITH ORDINALITY AS u(at, kinds, body, n)
                 ORDER BY u.n)
             SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM raised)",
            &[
                &sql_id(ticket.id)?,
                &ticket.tenant.as_str(),
                &ticket.intake_key.as_deref(),
                &ticket.status.as_str(),
                &ticket.status.is_open(),
                &ticket.assignee.as_ref().map(AgentId::as_str),
                &ticket.next_check.map(nanos),
                &ticket.resolved_at.map(nanos),
                &ticket.archived_at.map(nanos),
                &Json(ticket),
                &at,
                &kinds,
                &bodies,
            ],
        )
        .await?;
    Ok(col::<i64>(&row, 0)? == 1)
}

/// When an insert wrote nothing: the ticket holding its intake key (`Existing`), or, on a
/// retry after a lost connection, the ticket the first attempt committed (`Created`);
/// otherwise the id is taken by another ticket (`Conflict`).
async fn insert_refused(c: &Conn<'_, '_>, ticket: &Ticket, retry: bool) -> R<Inserted> {
    if let Some(k) = &ticket.intake_key
        && let Some(existing) = find_by_intake_key(c, &ticket.tenant, k).await?
    {
        if retry && existing.id == ticket.id && existing == *ticket {
            return Ok(Inserted::Created(existing));
        }
        return Ok(Inserted::Existing(existing));
    }
    if retry {
        let same = c
            .query_opt(
                "SELECT body FROM tickets WHERE id = $1 AND tenant = $2",
                &[&sql_id(ticket.id)?, &ticket.tenant.as_str()],
            )
            .await?
            .map(|r| doc::<Ticket>(&r, 0))
            .transpose()?;
        if same.is_some_and(|t| t == *ticket) {
            return Ok(Inserted::Created(ticket.clone()));
        }
    }
    Err(Fail::Core(Error::Conflict(format!(
        "ticket id {} is taken",
        ticket.id
    ))))
}

/// Inserts a ticket with its log, effects and tasks (see `TicketStore::insert`). `retry` is
/// set when an earlier attempt may have committed before its connection was lost.
pub(crate) async fn insert(c: &Conn<'_, '_>, commit: &Commit, retry: bool) -> R<Inserted> {
    let mut ticket = commit.ticket.clone();
    ticket.version = 1;
    if !insert_row(c, &ticket, &commit.log).await? {
        return insert_refused(c, &ticket, retry).await;
    }
    if !commit.effects.is_empty() || !commit.tasks.is_empty() {
        add_outbox(c, ticket.id, &commit.effects, &commit.tasks).await?;
    }
    Ok(Inserted::Created(ticket))
}

pub(crate) async fn get(c: &Conn<'_, '_>, key: &TicketRef) -> R<Ticket> {
    match c
        .query_opt(
            "SELECT body FROM tickets WHERE id = $1 AND tenant = $2",
            &[&sql_id(key.id)?, &key.tenant.as_str()],
        )
        .await?
    {
        Some(r) => doc(&r, 0),
        None => Err(not_found(key)),
    }
}

/// Commits a ticket's new state (see `TicketStore::update`). The write is one conditional
/// `UPDATE` (same tenant, same version, and with a fence the same unexpired lease); when it
/// changes no row, nothing else is written and the reason is reported.
pub(crate) async fn update(
    c: &Conn<'_, '_>,
    commit: &Commit,
    fence: Option<Fence>,
    retry: bool,
) -> R<u64> {
    let mut ticket = commit.ticket.clone();
    let key = ticket.key();
    let id = sql_id(key.id)?;
    let read_at = sql_u64(ticket.version, "version")?;
    ticket.version += 1;
    let token = fence.map(|f| sql_u64(f.token, "lease token")).transpose()?;
    let now = fence.map_or(0, |f| nanos(f.now));
    let (log_at, log_kinds, log_bodies) = log_arrays(&commit.log);
    let row = c
        .query_one(
            "WITH up AS (
                 UPDATE tickets SET version = $4, status = $5, is_open = $6, assignee = $7,
                     due = $8, lease_token = NULL, lease_until = NULL, lease_holder = NULL,
                     resolved_at = $9, archived_at = $10, body = $11
                 WHERE id = $1 AND tenant = $2 AND version = $3
                   AND ($12::bigint IS NULL OR (lease_token = $12 AND lease_until > $13))
                 RETURNING id),
             logged AS (
                 INSERT INTO log_rows (ticket, tenant, at, kinds, body)
                 SELECT up.id, $2, u.at, u.kinds, u.body
                 FROM up CROSS JOIN unnest($14::bigint[], $15::bigint[], $16::jsonb[])
                     WITH ORDINALITY AS u(at, kinds, body, n)
                 ORDER BY u.n)
             SELECT count(*) FROM up",
            &[
                &id,
                &key.tenant.as_str(),
                &read_at,
                &sql_u64(ticket.version, "version")?,
                &ticket.status.as_str(),
                &ticket.status.is_open(),
                &ticket.assignee.as_ref().map(AgentId::as_str),
                &ticket.next_check.map(nanos),
                &ticket.resolved_at.map(nanos),
                &ticket.archived_at.map(nanos),
                &Json(&ticket),
                &token,
                &now,
                &log_at,
                &log_kinds,
                &log_bodies,
            ],
        )
        .await?;
    if col::<i64>(&row, 0)? == 0 {
        return update_refused(c, &key, read_at, &ticket, fence, retry).await;
    }
    if !commit.effects.is_empty() || !commit.tasks.is_empty() {
        let added = add_outbox(c, key.id, &commit.effects, &commit.tasks).await?;
        if !commit.cancel_pages.is_empty() {
            cancel_pages(c, id, &added, &commit.cancel_pages, commit.at).await?;
        }
    } else if !commit.cancel_pages.is_empty() {
        cancel_pages(c, id, &[], &commit.cancel_pages, commit.at).await?;
    }
    Ok(ticket.version)
}

/// Why an update changed no row: the ticket is not in that tenant (NotFound), its version
/// moved on or the lease was lost (Conflict). On a retry, a ticket already holding exactly
/// the new state means the first attempt committed before its connection was lost: that is
/// the write's success, with the new version.
async fn update_refused(
    c: &Conn<'_, '_>,
    key: &TicketRef,
    read_at: i64,
    new: &Ticket,
    fence: Option<Fence>,
    retry: bool,
) -> R<u64> {
    let Some(row) = c
        .query_opt(
            "SELECT version, body FROM tickets WHERE id = $1 AND tenant = $2",
            &[&sql_id(key.id)?, &key.tenant.as_str()],
        )
        .await?
    else {
        return Err(not_found(key));
    };
    let version: i64 = col(&row, 0)?;
    if retry && doc::<Ticket>(&row, 1).is_ok_and(|stored| stored == *new) {
        return Ok(new.version);
    }
    if version != read_at {
        return Err(Fail::Core(Error::Conflict(format!(
            "ticket {key} is at version {version}, the write was based on {read_at}"
        ))));
    }
    Err(match fence {
        Some(f) => lease_lost(f.token, &format!("ticket {key}")),
        None => Fail::Core(Error::Conflict(format!("ticket {key} changed"))),
    })
}

/// Cancels the ticket's pending triggers of the pages with these dedup keys. A trigger that
/// a dispatcher holds under a live lease may be on its way to the pager, so a resolve of
/// that page added by this commit waits until the latest such lease ends.
async fn cancel_pages(
    c: &Conn<'_, '_>,
    id: i64,
    added: &[Arc<str>],
    pages: &[Arc<str>],
    now: DateTime<Utc>,
) -> R<()> {
    let now_n = nanos(now);
    let rows = c
        .query(
            "SELECT key, lease_until, body FROM effects
             WHERE ticket = $1 AND state = 'pending' ORDER BY seq FOR UPDATE",
            &[&id],
        )
        .await?;
    let mut hold: HashMap<Arc<str>, i64> = HashMap::new();
    for row in &rows {
        let mut e: Effect = doc(row, 2)?;
        let page = match &e.kind {
            EffectKind::PageTrigger { page } if pages.contains(&page.dedup_key) => {
                page.dedup_key.clone()
            }
            _ => continue,
        };
        if let Some(until) = col::<Option<i64>>(row, 1)?.filter(|u| *u > now_n) {
            let h = hold.entry(page).or_insert(until);
            *h = (*h).max(until);
        }
        e.state = EffectState::Cancelled;
        e.finished_at = Some(now);
        c.execute(
            "UPDATE effects SET state = 'cancelled', due = NULL, lease_token = NULL,
                 lease_until = NULL, lease_holder = NULL, body = $2
             WHERE key = $1",
            &[&col::<&str>(row, 0)?, &Json(&e)],
        )
        .await?;
    }
    if hold.is_empty() {
        return Ok(());
    }
    for key in added {
        let Some(row) = c
            .query_opt("SELECT body, due FROM effects WHERE key = $1", &[&&**key])
            .await?
        else {
            continue;
        };
        let mut e: Effect = doc(&row, 0)?;
        let EffectKind::PageResolve { page } = &e.kind else {
            continue;
        };
        let Some(until) = hold.get(&page.dedup_key).copied() else {
            continue;
        };
        if col::<Option<i64>>(&row, 1)?.is_some_and(|at| at < until) {
            e.next_attempt_at = from_nanos(until);
            c.execute(
                "UPDATE effects SET due = $2, body = $3 WHERE key = $1",
                &[&&**key, &until, &Json(&e)],
            )
            .await?;
        }
    }
    Ok(())
}

pub(crate) async fn log(c: &Conn<'_, '_>, key: &TicketRef) -> R<Vec<LogEntry>> {
    if !ticket_in_tenant(c, key).await? {
        return Err(not_found(key));
    }
    let rows = c
        .query(
            "SELECT body FROM log_rows WHERE ticket = $1 ORDER BY seq",
            &[&sql_id(key.id)?],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len() * 4);
    for r in &rows {
        out.extend(doc::<Vec<LogEntry>>(r, 0)?);
    }
    Ok(out)
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

/// Claims due, unleased rows of `table` under leases until `until`; returns each claimed
/// row's token and document, in due order (then id for tickets, key bytes for effects).
/// One statement: `FOR UPDATE SKIP LOCKED` lets concurrent sweepers on other instances take
/// disjoint sets without waiting for each other, and each claimed row gets a fresh token
/// from the `lease_tokens` sequence.
async fn claim(
    c: &Conn<'_, '_>,
    request: &ClaimDue,
    until: DateTime<Utc>,
    table: Table,
) -> R<Vec<(u64, Row)>> {
    let sql = match table {
        Table::Tickets => {
            "WITH picked AS (
                 SELECT id FROM tickets
                 WHERE due IS NOT NULL AND due <= $1
                   AND (lease_until IS NULL OR lease_until <= $1)
                 ORDER BY due, id LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             UPDATE tickets t
             SET lease_token = nextval('lease_tokens'), lease_until = $3, lease_holder = $4
             FROM picked WHERE t.id = picked.id
             RETURNING t.due, t.id, ''::text, t.lease_token, t.body"
        }
        Table::Effects => {
            "WITH picked AS (
                 SELECT seq FROM effects
                 WHERE due IS NOT NULL AND due <= $1
                   AND (lease_until IS NULL OR lease_until <= $1)
                 ORDER BY due, key COLLATE \"C\" LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             UPDATE effects e
             SET lease_token = nextval('lease_tokens'), lease_until = $3, lease_holder = $4
             FROM picked WHERE e.seq = picked.seq
             RETURNING e.due, 0::bigint, e.key, e.lease_token, e.body"
        }
    };
    let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
    let rows = c
        .query(
            sql,
            &[
                &nanos(request.now),
                &limit,
                &nanos(until),
                &&*request.holder,
            ],
        )
        .await?;
    let mut keyed = Vec::with_capacity(rows.len());
    for r in rows {
        let order = (
            col::<i64>(&r, 0)?,
            col::<i64>(&r, 1)?,
            col::<String>(&r, 2)?,
        );
        keyed.push((order, col::<i64>(&r, 3)?.unsigned_abs(), r));
    }
    keyed.sort_by(|(a, ..), (b, ..)| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| a.2.as_bytes().cmp(b.2.as_bytes()))
    });
    Ok(keyed.into_iter().map(|(_, token, r)| (token, r)).collect())
}

/// Claims due tickets under leases (see `TicketStore::claim_due`).
pub(crate) async fn claim_due(c: &Conn<'_, '_>, request: &ClaimDue) -> R<Vec<Claimed>> {
    let until = lease_end(request)?;
    claim(c, request, until, Table::Tickets)
        .await?
        .iter()
        .map(|(token, r)| {
            Ok(Claimed {
                ticket: doc(r, 4)?,
                token: *token,
                until,
            })
        })
        .collect()
}

/// Rows read per page when looking for the earliest claimable instant.
const PAGE: i64 = 256;

/// The earliest claimable instant among the rows of `table` with a due instant (see
/// `TicketStore::next_due`), read in pages in `(due, key)` order; the key of the row whose
/// own due instant it is, if so.
async fn earliest(c: &Conn<'_, '_>, table: Table) -> R<Option<Earliest<String>>> {
    let (first, next) = match table {
        Table::Tickets => (
            "SELECT id::text, due, lease_until FROM tickets
             WHERE due IS NOT NULL ORDER BY due, id LIMIT $1",
            "SELECT id::text, due, lease_until FROM tickets
             WHERE due IS NOT NULL AND (due, id) > ($2, $3::text::bigint)
             ORDER BY due, id LIMIT $1",
        ),
        Table::Effects => (
            "SELECT key, due, lease_until FROM effects
             WHERE due IS NOT NULL ORDER BY due, key COLLATE \"C\" LIMIT $1",
            "SELECT key, due, lease_until FROM effects
             WHERE due IS NOT NULL AND (due, key COLLATE \"C\") > ($2, $3::text COLLATE \"C\")
             ORDER BY due, key COLLATE \"C\" LIMIT $1",
        ),
    };
    let mut best = None;
    let mut rows = c.query(first, &[&PAGE]).await?;
    loop {
        let decoded: Vec<(String, i64, Option<i64>)> = rows
            .iter()
            .map(|r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?)))
            .collect::<R<_>>()?;
        // The page's last (due, key): where the next page starts.
        let Some((last_key, last_due, _)) = decoded.last().cloned() else {
            return Ok(best);
        };
        let full = decoded.len() as i64 == PAGE;
        let (found, read_all) = earliest_claimable(best, decoded.into_iter().map(Ok::<_, Fail>))?;
        best = found;
        if !read_all || !full {
            return Ok(best);
        }
        rows = c.query(next, &[&PAGE, &last_due, &last_key]).await?;
    }
}

#[derive(Clone, Copy)]
enum Table {
    Tickets,
    Effects,
}

/// The earliest instant a claim on `table` could take a row (see `TicketStore::next_due`
/// and `next_effect_due`). An instant outside the integer column's range is read back
/// exactly from the row's document.
async fn next_claimable(c: &Conn<'_, '_>, table: Table) -> R<Option<DateTime<Utc>>> {
    match earliest(c, table).await? {
        None => Ok(None),
        Some(Earliest::LeaseEnd(n)) => Ok(Some(from_nanos(n))),
        Some(Earliest::Due(_, n)) if !nanos_saturated(n) => Ok(Some(from_nanos(n))),
        Some(Earliest::Due(key, _)) => match table {
            Table::Tickets => {
                let id: i64 = key.parse().map_err(corrupt)?;
                let row = c
                    .query_one("SELECT body FROM tickets WHERE id = $1", &[&id])
                    .await?;
                Ok(doc::<Ticket>(&row, 0)?.next_check)
            }
            Table::Effects => {
                let row = c
                    .query_one("SELECT body FROM effects WHERE key = $1", &[&key])
                    .await?;
                Ok(Some(doc::<Effect>(&row, 0)?.next_attempt_at))
            }
        },
    }
}

pub(crate) async fn next_due(c: &Conn<'_, '_>) -> R<Option<DateTime<Utc>>> {
    next_claimable(c, Table::Tickets).await
}

pub(crate) async fn next_effect_due(c: &Conn<'_, '_>) -> R<Option<DateTime<Utc>>> {
    next_claimable(c, Table::Effects).await
}

// ---- effects ----

/// Claims pending effects under leases (see `TicketStore::claim_effects`).
pub(crate) async fn claim_effects(c: &Conn<'_, '_>, request: &ClaimDue) -> R<Vec<ClaimedEffect>> {
    let until = lease_end(request)?;
    claim(c, request, until, Table::Effects)
        .await?
        .iter()
        .map(|(token, r)| {
            Ok(ClaimedEffect {
                effect: doc(r, 4)?,
                token: *token,
            })
        })
        .collect()
}

/// Records a delivery attempt (see `TicketStore::finish_effect`). The write is one `UPDATE`
/// conditional on the lease (token and end) and the pending state; a stale lease changes no
/// row and is a Conflict.
pub(crate) async fn finish_effect(c: &Conn<'_, '_>, outcome: &EffectOutcome) -> R<()> {
    let row = c
        .query_opt(
            "SELECT ticket, body FROM effects WHERE key = $1 AND tenant = $2 FOR UPDATE",
            &[&&*outcome.key, &outcome.tenant.as_str()],
        )
        .await?;
    let Some(row) = row else {
        return Err(Fail::Core(Error::NotFound {
            what: "effect",
            id: outcome.key.to_string(),
        }));
    };
    let ticket: i64 = col(&row, 0)?;
    let mut e: Effect = doc(&row, 1)?;
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
    let n = c
        .execute(
            "UPDATE effects SET state = $2, due = $3, lease_token = NULL, lease_until = NULL,
                 lease_holder = NULL, body = $4
             WHERE key = $1 AND state = 'pending' AND lease_token = $5 AND lease_until > $6",
            &[
                &&*outcome.key,
                &e.state.as_str(),
                &due,
                &Json(&e),
                &sql_u64(outcome.fence.token, "lease token")?,
                &nanos(now),
            ],
        )
        .await?;
    if n == 0 {
        return Err(lease_lost(
            outcome.fence.token,
            &format!("effect {}", outcome.key),
        ));
    }
    append_log(
        c,
        ticket,
        outcome.tenant.as_str(),
        std::slice::from_ref(&outcome.log),
    )
    .await
}

pub(crate) async fn effects(c: &Conn<'_, '_>, key: &TicketRef) -> R<Vec<Effect>> {
    if !ticket_in_tenant(c, key).await? {
        return Err(not_found(key));
    }
    let rows = c
        .query(
            "SELECT body FROM effects WHERE ticket = $1 ORDER BY seq",
            &[&sql_id(key.id)?],
        )
        .await?;
    rows.iter().map(|r| doc(r, 0)).collect()
}

// ---- tasks, log range, reports, loads ----

pub(crate) async fn tasks(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    ticket: Option<TicketId>,
) -> R<Vec<EscalationTask>> {
    let ticket = ticket.map(sql_id).transpose()?;
    let rows = c
        .query(
            "SELECT body FROM tasks WHERE tenant = $1 AND ($2::bigint IS NULL OR ticket = $2)
             ORDER BY seq",
            &[&tenant.as_str(), &ticket],
        )
        .await?;
    rows.iter().map(|r| doc(r, 0)).collect()
}

pub(crate) async fn put_task(c: &Conn<'_, '_>, task: &EscalationTask) -> R<()> {
    let n = c
        .execute(
            "UPDATE tasks SET ticket = $3, status = $4, body = $5 WHERE id = $1 AND tenant = $2",
            &[
                &&*task.id,
                &task.tenant.as_str(),
                &sql_id(task.ticket)?,
                &task.status.as_str(),
                &Json(task),
            ],
        )
        .await?;
    if n == 0 {
        return Err(Fail::Core(Error::NotFound {
            what: "task",
            id: task.id.to_string(),
        }));
    }
    Ok(())
}

pub(crate) async fn log_range_of(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kinds: EventKinds,
) -> R<Vec<(TicketId, LogEntry)>> {
    let rows = c
        .query(
            "SELECT ticket, body FROM log_rows
             WHERE tenant = $1 AND at >= $2 AND at < $3 AND (kinds & $4) <> 0
             ORDER BY at, ticket, seq",
            &[&tenant.as_str(), &nanos(from), &nanos(to), &kinds.as_i64()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len() * 2);
    for r in &rows {
        let id = ticket_id(col(r, 0)?)?;
        out.extend(
            doc::<Vec<LogEntry>>(r, 1)?
                .into_iter()
                .filter(|e| kinds.contains(&e.event))
                .map(|e| (id, e)),
        );
    }
    Ok(out)
}

pub(crate) async fn resolved_between(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> R<Vec<Ticket>> {
    let rows = c
        .query(
            "SELECT body FROM tickets
             WHERE tenant = $1 AND resolved_at IS NOT NULL AND resolved_at >= $2
               AND resolved_at < $3
             ORDER BY resolved_at, id",
            &[&tenant.as_str(), &nanos(from), &nanos(to)],
        )
        .await?;
    rows.iter().map(|r| doc(r, 0)).collect()
}

pub(crate) async fn get_many(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    ids: &[TicketId],
) -> R<Vec<Ticket>> {
    let sql_ids: Vec<i64> = ids.iter().map(|id| sql_id(*id)).collect::<R<_>>()?;
    let rows = c
        .query(
            "SELECT id, body FROM tickets WHERE tenant = $1 AND id = ANY($2)",
            &[&tenant.as_str(), &sql_ids],
        )
        .await?;
    let mut found: HashMap<i64, &Row> = HashMap::with_capacity(rows.len());
    for r in &rows {
        found.insert(col(r, 0)?, r);
    }
    sql_ids
        .iter()
        .filter_map(|id| found.get(id))
        .map(|r| doc(r, 1))
        .collect()
}

pub(crate) async fn agent_loads(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    agents: &[AgentId],
) -> R<Vec<u32>> {
    let names: Vec<&str> = agents.iter().map(AgentId::as_str).collect();
    let rows = c
        .query(
            "SELECT assignee, count(*) FROM tickets
             WHERE tenant = $1 AND is_open AND assignee = ANY($2)
             GROUP BY assignee",
            &[&tenant.as_str(), &names],
        )
        .await?;
    let mut loads: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for r in &rows {
        loads.insert(col(r, 0)?, col(r, 1)?);
    }
    Ok(names
        .iter()
        .map(|a| {
            loads
                .get(*a)
                .map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX))
        })
        .collect())
}

// ---- retention ----

/// One batch of retention cleanup (see `TicketStore::cleanup`). The SQL only narrows the
/// tickets down to those that may have work; the rules themselves are `CleanupQuery`'s,
/// applied to the decoded documents, so this store decides exactly as the memory store does.
/// A real run locks the batch's tickets (`FOR UPDATE`), so a concurrent write to one of
/// them waits, then finds its version moved on.
pub(crate) async fn cleanup(
    c: &Conn<'_, '_>,
    tenant: &TenantId,
    query: &CleanupQuery,
) -> R<CleanupBatch> {
    let after = query.after.map(sql_id).transpose()?.unwrap_or(0);
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let log_before = nanos(query.log_before.max(query.escalation_log_before));
    let select = "SELECT t.id, t.body FROM tickets t
         WHERE t.tenant = $1 AND t.id > $2
           AND t.status IN ('draft', 'resolved', 'closed') AND (
             t.status = 'draft'
             OR (t.status IN ('resolved', 'closed') AND t.archived_at IS NULL
                 AND t.resolved_at IS NOT NULL AND t.resolved_at < $3)
             OR (t.status IN ('resolved', 'closed') AND EXISTS (
                 SELECT 1 FROM tasks k WHERE k.ticket = t.id AND k.tenant = t.tenant
                   AND k.status = 'open'))
             OR (t.archived_at IS NOT NULL AND EXISTS (
                 SELECT 1 FROM log_rows l WHERE l.ticket = t.id AND l.at < $4)))
         ORDER BY t.id LIMIT $5";
    let locked = format!("{select} FOR UPDATE OF t");
    let candidates = c
        .query(
            if query.dry_run { select } else { &locked },
            &[
                &tenant.as_str(),
                &after,
                &nanos(query.archive_before),
                &log_before,
                &limit,
            ],
        )
        .await?;
    let mut out = CleanupBatch::default();
    if candidates.len() == query.limit {
        out.next = candidates
            .last()
            .map(|r| col(r, 0).and_then(ticket_id))
            .transpose()?;
    }
    for row in &candidates {
        let id: i64 = col(row, 0)?;
        let mut ticket: Ticket = doc(row, 1)?;
        if query.deletes_draft(&ticket) {
            out.deleted_drafts.push(ticket.id);
            if !query.dry_run {
                delete_ticket(c, id).await?;
            }
            continue;
        }
        let tasks: Vec<Arc<str>> = self::tasks(c, tenant, Some(ticket.id))
            .await?
            .into_iter()
            .filter(|t| query.deletes_task(&ticket, t))
            .map(|t| t.id)
            .collect();
        if !query.dry_run && !tasks.is_empty() {
            let ids: Vec<&str> = tasks.iter().map(|t| &**t).collect();
            c.execute("DELETE FROM tasks WHERE id = ANY($1)", &[&ids])
                .await?;
        }
        out.deleted_tasks.extend(tasks);
        if query.prunes_log_of(&ticket) {
            out.pruned_log_entries += prune_log(c, id, log_before, query).await?;
        }
        if query.archives(&ticket) {
            out.archived.push(ticket.id);
            if !query.dry_run {
                ticket.archived_at = Some(query.now);
                ticket.next_check = None;
                ticket.version += 1;
                c.execute(
                    "UPDATE tickets SET version = $2, due = NULL, lease_token = NULL,
                         lease_until = NULL, lease_holder = NULL, body = $3, archived_at = $4
                     WHERE id = $1",
                    &[
                        &id,
                        &sql_u64(ticket.version, "version")?,
                        &Json(&ticket),
                        &nanos(query.now),
                    ],
                )
                .await?;
                append_log(
                    c,
                    id,
                    tenant.as_str(),
                    std::slice::from_ref(&query.archived_entry()),
                )
                .await?;
            }
        }
    }
    Ok(out)
}

/// Prunes (or, in a dry run, counts) the log entries of ticket `id` that `query` prunes,
/// among its rows before `before`: a row keeps the entries that remain (rewritten), and goes
/// when none remain. Returns the number of entries pruned.
async fn prune_log(c: &Conn<'_, '_>, id: i64, before: i64, query: &CleanupQuery) -> R<u64> {
    let rows = c
        .query(
            "SELECT seq, body FROM log_rows WHERE ticket = $1 AND at < $2 ORDER BY seq",
            &[&id, &before],
        )
        .await?;
    let mut pruned = 0u64;
    for row in &rows {
        let seq: i64 = col(row, 0)?;
        let entries: Vec<LogEntry> = doc(row, 1)?;
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
            c.execute("DELETE FROM log_rows WHERE seq = $1", &[&seq])
                .await?;
        } else {
            c.execute(
                "UPDATE log_rows SET body = $2, kinds = $3 WHERE seq = $1",
                &[
                    &seq,
                    &Json(&kept),
                    &EventKinds::mask_of(kept.iter().map(|e| &e.event)),
                ],
            )
            .await?;
        }
    }
    Ok(pruned)
}

/// Deletes ticket `id` with its log, effects and tasks.
async fn delete_ticket(c: &Conn<'_, '_>, id: i64) -> R<()> {
    for sql in [
        "DELETE FROM log_rows WHERE ticket = $1",
        "DELETE FROM effects WHERE ticket = $1",
        "DELETE FROM tasks WHERE ticket = $1",
        "DELETE FROM tickets WHERE id = $1",
    ] {
        c.execute(sql, &[&id]).await?;
    }
    Ok(())
}

/// Inserts many tickets in one transaction (see `PostgresStore::insert_batch`): the ticket
/// rows in one statement, then the log rows, effects and tasks of those inserted.
pub(crate) async fn insert_batch(
    c: &Conn<'_, '_>,
    commits: &[Commit],
    retry: bool,
) -> R<Vec<Inserted>> {
    let tickets: Vec<Ticket> = commits
        .iter()
        .map(|cm| Ticket {
            version: 1,
            ..cm.ticket.clone()
        })
        .collect();
    let ids: Vec<i64> = tickets.iter().map(|t| sql_id(t.id)).collect::<R<_>>()?;
    let tenants: Vec<&str> = tickets.iter().map(|t| t.tenant.as_str()).collect();
    let keys: Vec<Option<&str>> = tickets.iter().map(|t| t.intake_key.as_deref()).collect();
    let statuses: Vec<&str> = tickets.iter().map(|t| t.status.as_str()).collect();
    let open: Vec<bool> = tickets.iter().map(|t| t.status.is_open()).collect();
    let assignees: Vec<Option<&str>> = tickets
        .iter()
        .map(|t| t.assignee.as_ref().map(AgentId::as_str))
        .collect();
    let due: Vec<Option<i64>> = tickets.iter().map(|t| t.next_check.map(nanos)).collect();
    let resolved: Vec<Option<i64>> = tickets.iter().map(|t| t.resolved_at.map(nanos)).collect();
    let archived: Vec<Option<i64>> = tickets.iter().map(|t| t.archived_at.map(nanos)).collect();
    let bodies: Vec<Json<&Ticket>> = tickets.iter().map(Json).collect();
    let rows = c
        .query(
            "WITH ins AS (
                 INSERT INTO tickets (id, tenant, version, intake_key, status, is_open,
                     assignee, due, resolved_at, archived_at, body)
                 SELECT u.id, u.tenant, 1, u.intake_key, u.status, u.is_open, u.assignee,
                     u.due, u.resolved_at, u.archived_at, u.body
                 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bool[],
                     $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::jsonb[])
                     WITH ORDINALITY AS u(id, tenant, intake_key, status, is_open, assignee,
                         due, resolved_at, archived_at, body, n)
                 ORDER BY u.n
                 ON CONFLICT DO NOTHING
                 RETURNING id),
             top AS (SELECT max(id) AS id FROM ins),
             raised AS (
                 SELECT setval('ticket_ids', top.id) FROM top, ticket_ids s
                 WHERE top.id >= CASE WHEN s.is_called THEN s.last_value + 1
                                      ELSE s.last_value END)
             SELECT id, (SELECT count(*) FROM raised) FROM ins",
            &[
                &ids, &tenants, &keys, &statuses, &open, &assignees, &due, &resolved, &archived,
                &bodies,
            ],
        )
        .await?;
    let mut inserted = std::collections::HashSet::with_capacity(rows.len());
    for r in &rows {
        inserted.insert(col::<i64>(r, 0)?);
    }
    // The log rows, effects and tasks of the inserted tickets, the log in one statement.
    let mut log_ticket = Vec::new();
    let mut log_tenant = Vec::new();
    let mut log_at = Vec::new();
    let mut log_kinds = Vec::new();
    let mut log_body = Vec::new();
    let mut out = Vec::with_capacity(commits.len());
    for ((commit, ticket), id) in commits.iter().zip(&tickets).zip(&ids) {
        if !inserted.contains(id) {
            out.push(insert_refused(c, ticket, retry).await?);
            continue;
        }
        if !commit.effects.is_empty() || !commit.tasks.is_empty() {
            add_outbox(c, ticket.id, &commit.effects, &commit.tasks).await?;
        }
        for row in log_rows(&commit.log) {
            log_ticket.push(*id);
            log_tenant.push(ticket.tenant.as_str());
            log_at.push(row.at);
            log_kinds.push(row.kinds);
            log_body.push(Json(row.entries));
        }
        out.push(Inserted::Created(ticket.clone()));
    }
    if !log_ticket.is_empty() {
        c.execute(
            "INSERT INTO log_rows (ticket, tenant, at, kinds, body)
             SELECT u.ticket, u.tenant, u.at, u.kinds, u.body
             FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::jsonb[])
                 WITH ORDINALITY AS u(ticket, tenant, at, kinds, body, n)
             ORDER BY u.n",
            &[&log_ticket, &log_tenant, &log_at, &log_kinds, &log_body],
        )
        .await?;
    }
    Ok(out)
}
