//! `ManualClock`: a clock that moves only when told to
//! ([`escalation_core::clock::ManualClock`]). Engines use the system clock unless given one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use escalation_core::clock::{Clock, ManualClock as CoreClock};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;

use crate::date::{duration, instant};
use crate::error::guard;

/// A clock for tests and simulations: it stands still until `set` or `advance` moves it, and
/// then wakes what waits on it (the engine's timeouts, `run`'s sleeps). It never goes
/// backwards: an earlier instant is ignored.
#[napi]
pub struct ManualClock {
    pub(crate) inner: Arc<CoreClock>,
}

#[napi]
impl ManualClock {
    /// A clock stopped at `start`.
    #[napi(constructor, catch_unwind, ts_args_type = "start: Date | number")]
    pub fn new(env: &Env, start: Unknown<'_>) -> napi::Result<ManualClock> {
        guard(env, || {
            Ok(ManualClock {
                inner: Arc::new(CoreClock::new(instant(&"start", &start)?)),
            })
        })
    }

    /// The current instant.
    #[napi(catch_unwind)]
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }

    /// Moves the clock to `to` (never backwards).
    #[napi(catch_unwind, ts_args_type = "to: Date | number")]
    pub fn set(&self, env: &Env, to: Unknown<'_>) -> napi::Result<()> {
        guard(env, || {
            self.inner.set(instant(&"to", &to)?);
            Ok(())
        })
    }

    /// Moves the clock forward by `ms` milliseconds.
    #[napi(catch_unwind, ts_args_type = "ms: number")]
    pub fn advance(&self, env: &Env, ms: Unknown<'_>) -> napi::Result<()> {
        guard(env, || {
            self.inner.advance(duration("ms", &ms)?);
            Ok(())
        })
    }
}
