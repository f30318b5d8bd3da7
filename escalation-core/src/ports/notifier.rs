use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{Contact, TenantId, TicketId};

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A breach alert to the support manager.
    ManagerAlert,
    /// A notice to the customer that their ticket was escalated.
    CustomerNotice,
    /// A warning to the assignee that a deadline approaches.
    AgentWarning,
}

/// A rendered notification, ready to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable idempotency key; delivery is at-least-once, so a Notifier that can
    /// deduplicate should use it.
    pub key: Arc<str>,
    /// The tenant.
    pub tenant: TenantId,
    /// The ticket it is about.
    pub ticket: TicketId,
    /// Who it is for.
    pub kind: NotificationKind,
    /// The recipient.
    pub to: Contact,
    /// Subject line (already escaped for the channel).
    pub subject: Arc<str>,
    /// Body (already escaped for the channel).
    pub body: Arc<str>,
}

/// Delivers rendered notifications (email, chat, ...).
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Delivers `notification`.
    ///
    /// # Errors
    /// A retryable error makes the engine retry with backoff; a permanent one
    /// ([`crate::Error::port_permanent`]) dead-letters the notification.
    async fn send(&self, notification: &Notification) -> Result<()>;
}
