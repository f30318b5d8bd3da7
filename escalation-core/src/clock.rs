//! The Clock port: the only way time enters the engine.
//!
//! [`SystemClock`] reads the system clock; [`ManualClock`] is set and advanced by tests and
//! simulations, and wakes sleepers when it passes their deadline.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

/// Tells the time, and sleeps until an instant.
#[async_trait]
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Completes once [`Clock::now`] is at or past `deadline`.
    async fn sleep_until(&self, deadline: DateTime<Utc>);
}

/// The system clock; sleeps on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, deadline: DateTime<Utc>) {
        let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// A clock that moves only when told to; every time-dependent test runs on it.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    ticks: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        let (ticks, _) = watch::channel(start);
        ManualClock {
            now: Mutex::new(start),
            ticks,
        }
    }

    /// Moves the clock to `to` (never backwards: an earlier instant is ignored) and wakes
    /// sleepers whose deadline has come.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        if to > *now {
            *now = to;
            self.ticks.send_replace(to);
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: TimeDelta) {
        let target = {
            let now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            now.checked_add_signed(by).unwrap_or(*now)
        };
        self.set(target);
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn sleep_until(&self, deadline: DateTime<Utc>) {
        let mut rx = self.ticks.subscribe();
        loop {
            if *rx.borrow_and_update() >= deadline {
                return;
            }
            if rx.changed().await.is_err() {
                // The clock is gone; nothing will ever wake us.
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn manual_clock_wakes_sleepers_only_when_advanced_past_their_deadline() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ManualClock::new(t0);
        let mut sleep = Box::pin(clock.sleep_until(t0 + TimeDelta::minutes(5)));
        assert!((&mut sleep).now_or_never().is_none());
        clock.advance(TimeDelta::minutes(4));
        assert!((&mut sleep).now_or_never().is_none());
        clock.advance(TimeDelta::minutes(1));
        assert!(sleep.now_or_never().is_some());
        clock.set(t0); // never backwards
        assert_eq!(clock.now(), t0 + TimeDelta::minutes(5));
    }
}
