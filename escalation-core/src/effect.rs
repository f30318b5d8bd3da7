//! Effects: notifications and pages written in the same atomic store write as the state
//! change that caused them, then delivered at least once by the dispatcher.
//!
//! Each effect has a stable idempotency key, `tenant/ticket/recipient/clock/level/repeat`; the
//! store keeps keys unique, so an effect can never be created twice, and the key travels
//! with every delivery so the receiving side can deduplicate.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{TenantId, TicketId};
use crate::ports::{Notification, Page};

/// What an effect delivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EffectKind {
    /// A notification through the Notifier.
    Notify {
        /// The rendered notification.
        notification: Notification,
    },
    /// A page (or a repeat of one) through the Pager.
    PageTrigger {
        /// The page.
        page: Page,
    },
    /// Resolves a page at the Pager.
    PageResolve {
        /// The page being resolved.
        page: Page,
    },
}

impl EffectKind {
    /// A short name: `notify`, `page_trigger`, `page_resolve`.
    pub fn name(&self) -> &'static str {
        match self {
            EffectKind::Notify { .. } => "notify",
            EffectKind::PageTrigger { .. } => "page_trigger",
            EffectKind::PageResolve { .. } => "page_resolve",
        }
    }

    /// The page's dedup key, for page effects.
    pub fn page_key(&self) -> Option<&Arc<str>> {
        match self {
            EffectKind::PageTrigger { page } | EffectKind::PageResolve { page } => {
                Some(&page.dedup_key)
            }
            EffectKind::Notify { .. } => None,
        }
    }
}

/// Where an effect is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectState {
    /// Waiting for delivery (or for a retry).
    Pending,
    /// Delivered.
    Delivered,
    /// Failed permanently, or too often; kept for inspection.
    DeadLettered,
    /// No longer wanted (a page repeat after an acknowledge or a resolve).
    Cancelled,
}

impl EffectState {
    /// The state's name, as serialized (`pending`, `delivered`, `dead_lettered`,
    /// `cancelled`); stores keep it in an indexed column.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectState::Pending => "pending",
            EffectState::Delivered => "delivered",
            EffectState::DeadLettered => "dead_lettered",
            EffectState::Cancelled => "cancelled",
        }
    }
}

/// One effect in the store's outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// The idempotency key; unique in the store.
    pub key: Arc<str>,
    /// The tenant.
    pub tenant: TenantId,
    /// The ticket that caused it.
    pub ticket: TicketId,
    /// What to deliver.
    pub kind: EffectKind,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Not delivered before this instant (quiet hours).
    pub not_before: DateTime<Utc>,
    /// Where it is in its life.
    pub state: EffectState,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the dispatcher may try next.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<Arc<str>>,
    /// When it was delivered, dead-lettered or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Delivered.
    Delivered,
    /// Failed; try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why it failed.
        error: Arc<str>,
    },
    /// Failed for good.
    DeadLetter {
        /// Why.
        error: Arc<str>,
    },
}
