//! The in-memory adapters, for tests, simulations and single-process hosts
//! ([`escalation_core::memory`]): `MemoryStore`, `MemoryProfiles`, `MemoryDirectory`,
//! `MemoryNotifier` and `MemoryPager`.
//!
//! Records come in as plain objects (`{ customer, tier, customerSince, contact }`, read by
//! `record.rs`); a bad one throws `INVALID_INPUT` naming it.

use std::sync::Arc;

use escalation_core::memory::{
    MemoryDirectory as CoreDirectory, MemoryNotifier as CoreNotifier, MemoryPager as CorePager,
    MemoryProfiles as CoreProfiles, MemoryStore as CoreStore, PagerCall,
};
use escalation_core::model::{Agent, AgentId, CustomerProfile, Team};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;

use crate::document;
use crate::error::guard;
use crate::options;
use crate::ports::{Notification, Page};
use crate::record::from_js;

/// A ticket store in memory: fast, shared by the engines of one process, gone at exit.
#[napi]
pub struct MemoryStore {
    pub(crate) inner: Arc<CoreStore>,
}

#[napi]
impl MemoryStore {
    /// An empty store.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default, reason = "a JavaScript constructor")]
    pub fn new() -> MemoryStore {
        MemoryStore {
            inner: Arc::new(CoreStore::new()),
        }
    }

    /// Tickets held.
    #[napi(getter, catch_unwind)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}

/// Customer profiles in memory: a ProfileSource for tests and simulations.
#[napi]
pub struct MemoryProfiles {
    pub(crate) inner: Arc<CoreProfiles>,
}

#[napi]
impl MemoryProfiles {
    /// No profiles.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default, reason = "a JavaScript constructor")]
    pub fn new() -> MemoryProfiles {
        MemoryProfiles {
            inner: Arc::new(CoreProfiles::new()),
        }
    }

    /// Adds (or replaces) a profile in `tenant` (`"default"`). Throws `INVALID_INPUT` for a
    /// malformed one.
    #[napi(
        catch_unwind,
        ts_args_type = "profile: CustomerProfile, tenant?: string"
    )]
    pub fn add(
        &self,
        env: &Env,
        profile: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        guard(env, || {
            let profile: CustomerProfile = from_js(env, "profile", profile, &["customer_since"])?;
            self.inner.insert(&options::tenant(tenant)?, profile);
            Ok(())
        })
    }
}

/// Agents and teams in memory: an AgentDirectory for tests and simulations.
#[napi]
pub struct MemoryDirectory {
    pub(crate) inner: Arc<CoreDirectory>,
}

#[napi]
impl MemoryDirectory {
    /// No agents, no teams.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default, reason = "a JavaScript constructor")]
    pub fn new() -> MemoryDirectory {
        MemoryDirectory {
            inner: Arc::new(CoreDirectory::new()),
        }
    }

    /// Adds (or replaces) an agent in `tenant` (`"default"`).
    #[napi(catch_unwind, ts_args_type = "agent: Agent, tenant?: string")]
    pub fn add_agent(
        &self,
        env: &Env,
        agent: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        guard(env, || {
            let agent: Agent = from_js(env, "agent", agent, &[])?;
            self.inner.upsert_agent(&options::tenant(tenant)?, agent);
            Ok(())
        })
    }

    /// Adds (or replaces) a team in `tenant` (`"default"`).
    #[napi(catch_unwind, ts_args_type = "team: Team, tenant?: string")]
    pub fn add_team(
        &self,
        env: &Env,
        team: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        guard(env, || {
            let team: Team = from_js(env, "team", team, &[])?;
            self.inner.upsert_team(&options::tenant(tenant)?, team);
            Ok(())
        })
    }

    /// Marks an agent available or away. Throws `NOT_FOUND` for an unknown agent.
    #[napi(
        catch_unwind,
        ts_args_type = "agent: string, available: boolean, tenant?: string"
    )]
    pub fn set_available(
        &self,
        env: &Env,
        agent: Unknown<'_>,
        available: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        guard(env, || {
            let agent = AgentId::from(document::text("agent", &agent)?.as_str());
            let available = options::boolean("available", &available)?;
            Ok(self
                .inner
                .set_available(&options::tenant(tenant)?, &agent, available)?)
        })
    }
}

/// A Notifier that keeps what it was sent (a repeated key counts once).
#[napi]
pub struct MemoryNotifier {
    pub(crate) inner: Arc<CoreNotifier>,
}

#[napi]
impl MemoryNotifier {
    /// Nothing sent yet.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default, reason = "a JavaScript constructor")]
    pub fn new() -> MemoryNotifier {
        MemoryNotifier {
            inner: Arc::new(CoreNotifier::new()),
        }
    }

    /// The distinct notifications delivered, in order.
    #[napi(catch_unwind)]
    pub fn delivered(&self) -> Vec<Notification> {
        self.inner
            .delivered()
            .iter()
            .map(Notification::from)
            .collect()
    }

    /// Raw `send` calls, repeats included.
    #[napi(getter, catch_unwind)]
    pub fn calls(&self) -> f64 {
        self.inner.calls() as f64
    }
}

/// One call a `MemoryPager` received: `{ type: 'trigger', page }` or
/// `{ type: 'resolve', dedupKey }`.
#[napi(object, object_from_js = false, js_name = "PagerCall")]
pub struct JsPagerCall {
    /// `"trigger"` or `"resolve"`.
    #[napi(js_name = "type", ts_type = "'trigger' | 'resolve'")]
    pub kind: String,
    /// The page, for a trigger.
    pub page: Option<Page>,
    /// The dedup key, for a resolve.
    pub dedup_key: Option<String>,
}

/// A Pager that records its calls and keeps incident state per dedup key.
#[napi]
pub struct MemoryPager {
    pub(crate) inner: Arc<CorePager>,
}

#[napi]
impl MemoryPager {
    /// No calls yet.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default, reason = "a JavaScript constructor")]
    pub fn new() -> MemoryPager {
        MemoryPager {
            inner: Arc::new(CorePager::new()),
        }
    }

    /// Every call, in order.
    #[napi(
        catch_unwind,
        ts_return_type = "Array<{ type: 'trigger'; page: Page } | { type: 'resolve'; dedupKey: string }>"
    )]
    pub fn calls(&self) -> Vec<JsPagerCall> {
        self.inner
            .calls()
            .into_iter()
            .map(|call| match call {
                PagerCall::Trigger(page) => JsPagerCall {
                    kind: "trigger".to_owned(),
                    page: Some(Page::from(&page)),
                    dedup_key: None,
                },
                PagerCall::Resolve(key) => JsPagerCall {
                    kind: "resolve".to_owned(),
                    page: None,
                    dedup_key: Some(key.to_string()),
                },
            })
            .collect()
    }

    /// The pages triggered, in order, repeats included.
    #[napi(catch_unwind)]
    pub fn triggered(&self) -> Vec<Page> {
        self.inner
            .calls()
            .iter()
            .filter_map(|call| match call {
                PagerCall::Trigger(page) => Some(Page::from(page)),
                PagerCall::Resolve(_) => None,
            })
            .collect()
    }

    /// The dedup keys resolved, in order.
    #[napi(catch_unwind)]
    pub fn resolved(&self) -> Vec<String> {
        self.inner
            .calls()
            .iter()
            .filter_map(|call| match call {
                PagerCall::Resolve(key) => Some(key.to_string()),
                PagerCall::Trigger(_) => None,
            })
            .collect()
    }

    /// Whether the incident of `dedupKey` is open (triggered, not resolved).
    #[napi(catch_unwind, ts_args_type = "dedupKey: string")]
    pub fn is_open(&self, env: &Env, dedup_key: Unknown<'_>) -> napi::Result<bool> {
        guard(env, || {
            Ok(self.inner.is_open(&document::text("dedupKey", &dedup_key)?))
        })
    }
}
