//! `Policy`: loading and validating policy documents with [`escalation_core::Policy`].
//!
//! Loading never stops at the first problem: the `Error` (code `POLICY_INVALID`) lists every
//! problem in `problems`, each with its dotted path (`scoring.weights.tier`) and a message
//! that names the offending value, and its message lists them all too.

use std::sync::Arc;

use escalation_core::error::Error;
use escalation_core::policy::ALWAYS_CALENDAR;
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;

use crate::calendar::BusinessCalendar;
use crate::document::{self, Unsupported};
use crate::error::guard;

/// A validated policy document: scoring, routing, calendars, SLA targets, the escalation
/// ladder, quiet hours, templates, delivery and retention. Immutable.
#[napi]
pub struct Policy {
    pub(crate) inner: Arc<escalation_core::Policy>,
}

impl Policy {
    fn wrap(policy: escalation_core::Policy) -> Policy {
        Policy {
            inner: Arc::new(policy),
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::wrap(escalation_core::Policy::default())
    }
}

#[napi]
impl Policy {
    /// The default policy (what an empty document gives).
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Loads a policy from TOML text; throws `POLICY_INVALID` listing every problem.
    #[napi(factory, catch_unwind, ts_args_type = "text: string")]
    pub fn from_toml(env: &Env, text: Unknown<'_>) -> napi::Result<Policy> {
        guard(env, || {
            let text = document::text("text", &text)?;
            Ok(Policy::wrap(escalation_core::Policy::from_toml_str(&text)?))
        })
    }

    /// Loads a policy from JSON text.
    #[napi(factory, catch_unwind, ts_args_type = "text: string")]
    pub fn from_json(env: &Env, text: Unknown<'_>) -> napi::Result<Policy> {
        guard(env, || {
            let text = document::text("text", &text)?;
            Ok(Policy::wrap(escalation_core::Policy::from_json_str(&text)?))
        })
    }

    /// Loads a policy from its JSON form as an object (what `toJSON()` returns).
    #[napi(factory, catch_unwind, ts_args_type = "value: Record<string, unknown>")]
    pub fn from_object(env: &Env, value: Unknown<'_>) -> napi::Result<Policy> {
        guard(env, || {
            let text = document::stringify(env, "policy", value, Unsupported::into_policy)?;
            Ok(Policy::wrap(escalation_core::Policy::from_json_str(&text)?))
        })
    }

    /// Loads a policy file: JSON when its name ends in `.json`, TOML otherwise. Throws
    /// `INVALID_INPUT` (field `path`) when the file cannot be read.
    #[napi(factory, catch_unwind, ts_args_type = "path: string")]
    pub fn from_path(env: &Env, path: Unknown<'_>) -> napi::Result<Policy> {
        guard(env, || {
            let path = document::text("path", &path)?;
            Ok(Policy::wrap(escalation_core::Policy::from_path(&path)?))
        })
    }

    /// The policy's version label.
    #[napi(getter, catch_unwind)]
    pub fn version(&self) -> String {
        self.inner.version.clone()
    }

    /// The names of the policy's calendars (with the built-in `always`).
    #[napi(getter, catch_unwind)]
    pub fn calendar_names(&self) -> Vec<String> {
        let mut names = vec![ALWAYS_CALENDAR.to_owned()];
        names.extend(self.inner.calendars.keys().cloned());
        names
    }

    /// The calendar named `name` (`"always"` is built in: open 24/7, UTC); throws
    /// `NOT_FOUND` when there is none.
    #[napi(catch_unwind, ts_args_type = "name: string")]
    pub fn calendar(&self, env: &Env, name: Unknown<'_>) -> napi::Result<BusinessCalendar> {
        guard(env, || {
            let name = document::text("name", &name)?;
            let calendars = self.inner.calendars()?;
            let inner = calendars.get(&name).cloned().ok_or(Error::NotFound {
                what: "calendar",
                id: name,
            })?;
            Ok(BusinessCalendar { inner })
        })
    }

    /// The policy's JSON form as a plain object; every field is present.
    #[napi(
        js_name = "toJSON",
        catch_unwind,
        ts_return_type = "Record<string, unknown>"
    )]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        guard(env, || document::to_object(env, &*self.inner))
    }
}
