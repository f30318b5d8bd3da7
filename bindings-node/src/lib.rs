//! The native addon of the Node.js package `escalation` (`escalation.<platform>.node`, loaded
//! by the generated `index.js`).
//!
//! A thin adapter over `escalation-core`: every export converts its arguments, calls the core,
//! and converts the answer or the error. No domain logic lives here. The files mirror the
//! core's modules (`calendar`, `policy`, `error`), plus the conversions they share: `date`
//! (`Date`s and epoch milliseconds), `document` (JSON documents and texts) and `arrays`
//! (batches as `Float64Array`s or arrays).
//!
//! No panic crosses into Node: every export is `#[napi(catch_unwind)]`, and those that convert
//! arguments or call the core run their body in `error::guard`, which turns a panic into an
//! `Error` with code `INTERNAL` (getters only copy strings; a panic there would still be an
//! `Error`, from napi's catch).

// napi-derive registers exports only outside `cfg(test)`, so the crate's test build (which
// only `cargo clippy --all-targets` makes: the crate has `test = false`) sees them unused.
#![cfg_attr(test, allow(dead_code))]

mod arrays;
mod calendar;
mod date;
mod document;
mod error;
mod policy;

use napi::Env;
use napi_derive::napi;

/// `"release"` or `"debug"`: how the addon was compiled (the bench warns on a debug build).
#[napi]
pub const _BUILD_PROFILE: &str = if cfg!(debug_assertions) {
    "debug"
} else {
    "release"
};

/// Panics inside the addon, to test that a panic surfaces as an `Error` with code
/// `INTERNAL` and Node keeps running.
#[napi(js_name = "_panicForTest", catch_unwind)]
pub fn panic_for_test(env: &Env) -> napi::Result<()> {
    error::guard(env, || std::panic::panic_any("injected panic"))
}
