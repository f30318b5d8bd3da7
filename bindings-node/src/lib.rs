//! The native addon of the Node.js package `escalation` (`escalation.<platform>.node`, loaded
//! by the generated `index.js`; the package's main module, `lib.js`, re-exports it and adds
//! `PermanentFailure`).
//!
//! A thin adapter over `escalation-core` and its stores: every export converts its arguments,
//! calls the core, and converts the answer or the error. No domain logic lives here. The files
//! mirror the core's modules (`calendar`, `policy`, `error`, `engine`, `model`, `log`, `task`,
//! `effect`, `report`, `ports`, `memory`, `clock`) and the stores (`store`), plus what they
//! share: `date` (`Date`s and epoch milliseconds), `document` (JSON documents and texts),
//! `arrays` (batches), `options` (option objects and their fields), `record` (records in, from
//! plain objects) and `promise` (engine calls as Promises on napi's tokio runtime).
//!
//! No panic crosses into Node: every export is `#[napi(catch_unwind)]`, and those that convert
//! arguments or call the core run their body in `error::guard` (or, for the engine's calls,
//! `promise::call`, which also catches a panic inside the call's future), which turns a panic
//! into an `Error` with code `INTERNAL` (getters only copy strings; a panic there would still
//! be an `Error`, from napi's catch). Port methods written in JavaScript run in a closure that
//! catches panics too (`ports.rs`).

// napi-derive registers exports only outside `cfg(test)`, so the crate's test build (which
// only `cargo clippy --all-targets` makes: the crate has `test = false`) sees them unused.
#![cfg_attr(test, allow(dead_code))]

mod arrays;
mod calendar;
mod clock;
mod date;
mod document;
mod effect;
mod engine;
mod error;
mod log;
mod memory;
mod model;
mod options;
mod policy;
mod ports;
mod promise;
mod record;
mod report;
mod store;
mod task;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

/// `"release"` or `"debug"`: how the addon was compiled (the bench warns on a debug build).
#[napi]
pub const _BUILD_PROFILE: &str = if cfg!(debug_assertions) {
    "debug"
} else {
    "release"
};

/// Panics inside the addon, to test that a panic surfaces as an `Error` with code
/// `INTERNAL` and Node keeps running: thrown at once without an argument, or rejecting the
/// returned Promise from inside an engine call's future, in its first poll on the JavaScript
/// thread (`'promise'`) or later on the runtime (`'runtime'`).
#[napi(
    js_name = "_panicForTest",
    catch_unwind,
    ts_args_type = "place?: 'promise' | 'runtime'",
    ts_return_type = "Promise<void> | undefined"
)]
pub fn panic_for_test<'env>(
    env: &'env Env,
    place: Option<String>,
) -> napi::Result<Option<PromiseRaw<'env, ()>>> {
    match place.as_deref() {
        Some("promise") => promise::call(env, || {
            Ok(async { injected_panic("injected panic (promise)") })
        })
        .map(Some),
        Some("runtime") => promise::call(env, || {
            Ok(async {
                tokio::task::yield_now().await;
                injected_panic("injected panic (runtime)")
            })
        })
        .map(Some),
        _ => error::guard(env, || std::panic::panic_any("injected panic")),
    }
}

/// An engine call's answer that is a panic.
fn injected_panic(message: &'static str) -> Result<(), escalation_core::Error> {
    std::panic::panic_any(message)
}
