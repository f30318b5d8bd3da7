use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{Priority, TenantId, TicketId};

/// A page to the on-call engineer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Stable dedup key (PagerDuty's `dedup_key`); repeats of one page share it.
    pub dedup_key: Arc<str>,
    /// The tenant.
    pub tenant: TenantId,
    /// The ticket it is about.
    pub ticket: TicketId,
    /// One-line summary.
    pub summary: Arc<str>,
    /// The ticket's priority.
    pub severity: Priority,
    /// 0 for the first page, then 1, 2, ... for its repeats (a resolve carries the number
    /// of pages sent).
    pub repeat: u32,
}

impl Page {
    /// The idempotency key of this one call: the dedup key and the repeat number.
    pub fn call_key(&self) -> String {
        format!("{}/{}", self.dedup_key, self.repeat)
    }
}

/// Pages on-call, PagerDuty-like: trigger, and resolve when the ticket is resolved.
#[async_trait]
pub trait Pager: Send + Sync + 'static {
    /// Triggers (or re-triggers) `page`.
    ///
    /// # Errors
    /// A retryable error makes the engine retry; a permanent one dead-letters the page.
    async fn trigger(&self, page: &Page) -> Result<()>;

    /// Resolves the page with `dedup_key`.
    ///
    /// # Errors
    /// As for [`Pager::trigger`].
    async fn resolve(&self, dedup_key: &str) -> Result<()>;
}
