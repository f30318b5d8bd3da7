//! `Effect`: an outbox entry, one delivery to the Notifier or the Pager
//! ([`escalation_core::effect`]).

use chrono::{DateTime, Utc};
use escalation_core::effect::{Effect, EffectKind};
use napi_derive::napi;

use crate::model::num;
use crate::ports::{Notification, Page};

/// A delivery to the Notifier or the Pager, as the outbox holds it.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "Effect"
)]
pub struct JsEffect {
    /// The idempotency key (the same across retries).
    pub key: String,
    /// The tenant.
    pub tenant: String,
    /// The ticket that caused it.
    pub ticket: f64,
    /// What it delivers.
    #[napi(ts_type = "EffectKind")]
    pub kind: String,
    /// The notification, for `"notify"`.
    pub notification: Option<Notification>,
    /// The page, for `"page_trigger"` and `"page_resolve"`.
    pub page: Option<Page>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Not delivered before this instant (quiet hours).
    pub not_before: DateTime<Utc>,
    /// Where it is in its life.
    #[napi(ts_type = "EffectState")]
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was delivered, dead-lettered or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&Effect> for JsEffect {
    fn from(e: &Effect) -> Self {
        let (notification, page) = match &e.kind {
            EffectKind::Notify { notification } => (Some(Notification::from(notification)), None),
            EffectKind::PageTrigger { page } | EffectKind::PageResolve { page } => {
                (None, Some(Page::from(page)))
            }
        };
        JsEffect {
            key: e.key.to_string(),
            tenant: e.tenant.to_string(),
            ticket: num(e.ticket.0),
            kind: e.kind.name().to_owned(),
            notification,
            page,
            created_at: e.created_at,
            not_before: e.not_before,
            state: e.state.as_str().to_owned(),
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error.as_deref().map(str::to_owned),
            finished_at: e.finished_at,
        }
    }
}
