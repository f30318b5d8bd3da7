//! Delivery of the outbox (`Engine::dispatch`) and the background loop (`Engine::run`).
//!
//! Delivery is at least once: an effect is claimed under a lease, handed to its port with its
//! idempotency key, and marked delivered only after the port returned. A crash between the
//! two delivers it again; the key lets the port drop the repeat. Transient failures retry
//! with capped exponential backoff and jitter; permanent ones, and effects that failed
//! `dispatch.max_attempts` times, are dead-lettered. Every outcome is logged on the ticket in
//! the same store write that records it.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::pin;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::{Either, select};

use super::Engine;
use crate::effect::{Delivery, Effect, EffectKind};
use crate::error::{Error, Result};
use crate::log::{LogEntry, LogEvent};
use crate::ports::{ClaimDue, EffectOutcome, Fence};

/// What one dispatch round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DispatchReport {
    /// Effects claimed.
    pub claimed: usize,
    /// Effects delivered.
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retried: usize,
    /// Effects dead-lettered.
    pub dead_lettered: usize,
    /// Outcomes refused because the lease was lost (another dispatcher owns the effect now).
    pub conflicts: usize,
}

impl Engine {
    /// Delivers the effects that are due through the Notifier and the Pager.
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails; deliveries recorded before are kept.
    pub async fn dispatch(&self) -> Result<DispatchReport> {
        let inner = &*self.inner;
        let policy = &inner.policy.dispatch;
        let batch = policy.batch.max(1);
        let now = inner.clock.now();
        let request = ClaimDue {
            now,
            limit: batch,
            lease_for: TimeDelta::seconds(i64::try_from(policy.lease_seconds).unwrap_or(60)),
            holder: inner.id.clone(),
        };
        let mut report = DispatchReport::default();
        loop {
            let claimed = inner.store.claim_effects(&request).await?;
            let full = claimed.len() == batch;
            report.claimed += claimed.len();
            for c in claimed {
                let result = self.deliver(&c.effect).await;
                let at = inner.clock.now();
                let attempts = c.effect.attempts + 1;
                let key = c.effect.key.clone();
                let (delivery, event) = match result {
                    Ok(()) => (
                        Delivery::Delivered,
                        LogEvent::EffectDelivered {
                            key: key.clone(),
                            attempts,
                        },
                    ),
                    Err(e) if e.is_retryable() && attempts < policy.max_attempts => {
                        let retry_at = at + self.backoff(&key, attempts);
                        let error: Arc<str> = Arc::from(e.to_string());
                        (
                            Delivery::Retry {
                                at: retry_at,
                                error: error.clone(),
                            },
                            LogEvent::EffectRetrying {
                                key: key.clone(),
                                attempts,
                                error,
                                retry_at,
                            },
                        )
                    }
                    Err(e) => {
                        let error: Arc<str> = Arc::from(e.to_string());
                        (
                            Delivery::DeadLetter {
                                error: error.clone(),
                            },
                            LogEvent::EffectDeadLettered {
                                key: key.clone(),
                                attempts,
                                error,
                            },
                        )
                    }
                };
                let counted = match &delivery {
                    Delivery::Delivered => &mut report.delivered,
                    Delivery::Retry { .. } => &mut report.retried,
                    Delivery::DeadLetter { .. } => &mut report.dead_lettered,
                };
                let outcome = EffectOutcome {
                    tenant: c.effect.tenant.clone(),
                    key,
                    fence: Fence {
                        token: c.token,
                        now: at,
                    },
                    delivery,
                    log: LogEntry::engine(at, event),
                };
                match inner.store.finish_effect(outcome).await {
                    Ok(()) => *counted += 1,
                    Err(Error::Conflict(_)) => report.conflicts += 1,
                    Err(e) => return Err(e),
                }
            }
            if !full {
                return Ok(report);
            }
        }
    }

    /// Calls the port an effect goes to, with the policy's timeout.
    async fn deliver(&self, effect: &Effect) -> Result<()> {
        let inner = &*self.inner;
        let timeout_ms = inner.policy.dispatch.timeout_ms;
        let call = async {
            match &effect.kind {
                EffectKind::Notify { notification } => inner.notifier.send(notification).await,
                EffectKind::PageTrigger { page } => inner.pager.trigger(page).await,
                EffectKind::PageResolve { page } => inner.pager.resolve(&page.dedup_key).await,
            }
        };
        let port = match &effect.kind {
            EffectKind::Notify { .. } => "Notifier",
            _ => "Pager",
        };
        let deadline = inner.clock.now()
            + TimeDelta::milliseconds(i64::try_from(timeout_ms).unwrap_or(i64::MAX));
        match select(pin!(call), pin!(inner.clock.sleep_until(deadline))).await {
            Either::Left((r, _)) => r,
            Either::Right(((), _)) => Err(Error::Timeout {
                port,
                after_ms: timeout_ms,
            }),
        }
    }

    /// The delay before retry number `attempts`: base · 2^(attempts−1), capped, with ±20 %
    /// jitter derived from the key (deterministic, so runs on the manual clock repeat).
    fn backoff(&self, key: &str, attempts: u32) -> TimeDelta {
        let d = &self.inner.policy.dispatch;
        let base = d.backoff_base_seconds as f64;
        let raw = base * 2f64.powi(i32::try_from(attempts.saturating_sub(1)).unwrap_or(30));
        let capped = raw.min(d.backoff_max_seconds as f64);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (key, attempts).hash(&mut h);
        let unit = (h.finish() % 10_000) as f64 / 10_000.0; // [0, 1)
        let jittered = capped * (0.8 + 0.4 * unit);
        TimeDelta::milliseconds((jittered * 1000.0) as i64)
    }

    /// Sweeps and dispatches in a loop until `shutdown` completes, sleeping on the clock until
    /// the next ticket or effect is due (at most `dispatch.idle_seconds`).
    ///
    /// # Errors
    /// The first error that is not retryable; retryable ones are survived.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let mut shutdown = pin!(shutdown);
        loop {
            let round = async {
                self.sweep().await?;
                self.dispatch().await?;
                Ok::<(), Error>(())
            };
            match select(pin!(round), shutdown.as_mut()).await {
                Either::Left((Ok(()), _)) => {}
                Either::Left((Err(e), _)) if e.is_retryable() => {}
                Either::Left((Err(e), _)) => return Err(e),
                Either::Right(((), _)) => return Ok(()),
            }
            let wake = self.next_wake().await;
            match select(pin!(self.inner.clock.sleep_until(wake)), shutdown.as_mut()).await {
                Either::Left(((), _)) => {}
                Either::Right(((), _)) => return Ok(()),
            }
        }
    }

    async fn next_wake(&self) -> DateTime<Utc> {
        let inner = &*self.inner;
        let now = inner.clock.now();
        let idle = now
            + TimeDelta::seconds(i64::try_from(inner.policy.dispatch.idle_seconds).unwrap_or(60));
        let tickets = inner.store.next_due().await.ok().flatten();
        let effects = inner.store.next_effect_due().await.ok().flatten();
        [tickets, effects]
            .into_iter()
            .flatten()
            .fold(idle, DateTime::min)
            .max(now + TimeDelta::milliseconds(10))
    }
}
