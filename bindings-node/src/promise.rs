//! Engine calls as Promises, on napi's tokio runtime.
//!
//! [`call`] reads a method's arguments on the JavaScript thread and gets back the core's
//! future; it then polls that future once, right there, inside the runtime's context. Most
//! calls on the in-memory store finish in that first poll, and their Promise is settled before
//! the method returns: no thread hand-off, no threadsafe function. A call that has to wait (for
//! SQLite's thread, PostgreSQL, a JavaScript port or the clock) goes on on the runtime's
//! workers (`Env::spawn_future_with_callback`), and its answer is converted on the JavaScript
//! thread when it is done.
//!
//! A failure rejects the Promise with the JavaScript `Error` of `error.rs`, code and fields
//! included (a `#[napi] async fn` would reject with code `GenericFailure`): argument errors
//! too, so an engine method never throws, it rejects. A panic, in the first poll or on the
//! runtime, rejects with code `INTERNAL`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::{Context, Poll, Waker};

use escalation_core::error::Error;
use futures::FutureExt;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, within_runtime_if_available};

use crate::error::{Failure, panic_error};

/// Runs an engine call: `prepare` reads the arguments and returns the core's future, whose
/// answer (already converted to its JavaScript form, `V`) resolves the Promise.
pub(crate) fn call<'env, V, F>(
    env: &'env Env,
    prepare: impl FnOnce() -> Result<F, Failure>,
) -> napi::Result<PromiseRaw<'env, V>>
where
    V: ToNapiValue + Send + 'static,
    F: Future<Output = Result<V, Error>> + Send + 'static,
{
    let work = match catch_unwind(AssertUnwindSafe(prepare)) {
        Ok(Ok(work)) => work,
        Ok(Err(failure)) => return PromiseRaw::reject(env, failure.into_js(env)),
        Err(payload) => return PromiseRaw::reject(env, internal(env, payload.as_ref())),
    };
    let mut work = Box::pin(AssertUnwindSafe(work).catch_unwind());
    let first =
        within_runtime_if_available(|| work.as_mut().poll(&mut Context::from_waker(Waker::noop())));
    match first {
        Poll::Ready(done) => match outcome(env, done) {
            Ok(value) => PromiseRaw::resolve(env, value),
            Err(error) => PromiseRaw::reject(env, error),
        },
        Poll::Pending => env
            .spawn_future_with_callback(async move { Ok(work.await) }, |env, done| {
                outcome(env, done)
            }),
    }
}

/// The answer of a finished call, or the JavaScript error to reject with.
fn outcome<V>(env: &Env, done: std::thread::Result<Result<V, Error>>) -> napi::Result<V> {
    match done {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::from(error).into_js(env)),
        Err(payload) => Err(internal(env, payload.as_ref())),
    }
}

#[cold]
fn internal(env: &Env, payload: &(dyn std::any::Any + Send)) -> napi::Error {
    Failure::from(panic_error(payload)).into_js(env)
}
