//! Retention (workflow step 10): `Engine::cleanup` archives old resolved tickets, deletes
//! stale drafts and untaken escalation tasks, and prunes the logs of archived tickets, in
//! batches, under the policy's `[retention]` section.
//!
//! *Archived* means: the ticket stays in the store (`get`, reports and audits keep working)
//! with `archived_at` set and an `Archived` log entry, but has left every working index (it
//! is never due, counts toward no load) and takes no more events. Only archived tickets
//! have their logs pruned; escalation entries ([`crate::LogEvent::is_escalation`]) stay for
//! `retention.escalation_log_after`, the others for `retention.log_after`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Engine;
use crate::error::Result;
use crate::model::{TenantId, TicketId};
use crate::ports::CleanupQuery;
use crate::span::Span;

/// What a cleanup removed and archived (or, in a dry run, would have).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupReport {
    /// Whether this was a dry run (nothing was written).
    pub dry_run: bool,
    /// Resolved and closed tickets archived, in id order.
    pub archived: Vec<TicketId>,
    /// Drafts deleted (never submitted), in id order.
    pub deleted_drafts: Vec<TicketId>,
    /// Escalation tasks deleted (still open on resolved or closed tickets), by ticket.
    pub deleted_tasks: Vec<Arc<str>>,
    /// Log entries of archived tickets pruned.
    pub pruned_log_entries: u64,
}

impl CleanupReport {
    /// Whether the cleanup found nothing to do.
    pub fn is_empty(&self) -> bool {
        self.archived.is_empty()
            && self.deleted_drafts.is_empty()
            && self.deleted_tasks.is_empty()
            && self.pruned_log_entries == 0
    }
}

fn before(now: DateTime<Utc>, span: Span) -> DateTime<Utc> {
    now.checked_sub_signed(span.delta())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Engine {
    /// Applies the retention policy to `tenant`: archives resolved and closed tickets
    /// resolved more than `retention.archive_resolved_after` ago, deletes drafts and open
    /// escalation tasks of resolved tickets older than `retention.delete_drafts_after`, and
    /// prunes the logs of archived tickets (see the module documentation).
    ///
    /// It works in batches of `retention.batch` tickets, each one store transaction, so it
    /// never holds the store's lock for long; cutoffs come from the engine's clock, read
    /// once. With `dry_run` it writes nothing and reports exactly what a real run at the same
    /// instant would do. A second run at the same instant does nothing.
    ///
    /// # Errors
    /// [`crate::Error::NotSupported`] when the store has no cleanup;
    /// [`crate::Error::Storage`] when the store fails (the batches before are kept).
    pub async fn cleanup(&self, tenant: &TenantId, dry_run: bool) -> Result<CleanupReport> {
        let inner = &*self.inner;
        let policy = &inner.policy.retention;
        let now = self.now();
        let mut query = CleanupQuery {
            archive_before: before(now, policy.archive_resolved_after),
            drafts_before: before(now, policy.delete_drafts_after),
            log_before: before(now, policy.log_after),
            escalation_log_before: before(now, policy.escalation_log_after.max(policy.log_after)),
            after: None,
            limit: policy.batch.max(1),
            now,
            dry_run,
        };
        let mut report = CleanupReport {
            dry_run,
            ..CleanupReport::default()
        };
        loop {
            let batch = inner.store.cleanup(tenant, &query).await?;
            report.archived.extend(batch.archived);
            report.deleted_drafts.extend(batch.deleted_drafts);
            report.deleted_tasks.extend(batch.deleted_tasks);
            report.pruned_log_entries += batch.pruned_log_entries;
            match batch.next {
                Some(next) if query.after.is_none_or(|a| next > a) => query.after = Some(next),
                _ => break,
            }
        }
        Ok(report)
    }
}
