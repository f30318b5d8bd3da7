//! JavaScript errors: the one conversion from [`escalation_core::Error`] to a JS `Error`, and
//! the guard that turns a Rust panic into one.
//!
//! Every error the package throws, and every rejection of an engine call's Promise, is an
//! `Error` whose `code` is the core's stable
//! [`ErrorKind`](escalation_core::error::ErrorKind) code (`"INVALID_INPUT"`,
//! `"POLICY_INVALID"`, `"OUT_OF_RANGE"`, ...) and whose `isRetryable` says whether the same
//! call may succeed if tried again. Kind-specific fields ride along: `field`, `value` and
//! `reason` for `INVALID_INPUT`; `problems` (`{ path, message }` objects) for
//! `POLICY_INVALID`; `what` and `id` for `NOT_FOUND`. The message is the core's, with the
//! cause chain appended (`error: cause: cause`) and a context prefix where one applies
//! (`starts[3]: out of range: ...`). An argument of the wrong JavaScript type is a `TypeError`
//! with code `INVALID_INPUT`.
//!
//! No panic crosses into Node: every export that converts arguments or calls the core runs its
//! body inside [`guard`], which turns a panic into an `Error` with code `INTERNAL`, and every
//! export is also marked `#[napi(catch_unwind)]`, so a panic anywhere else (napi's own
//! conversions, a getter) becomes an `Error` too, never an abort.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use escalation_core::error::Error;
use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};
use napi::{Env, JsError, JsTypeError, JsValue, ValueType};
use napi_derive::napi;

/// One problem found in a policy document: where (`path`), and what is wrong (`message`).
#[napi(object, object_from_js = false)]
pub struct PolicyProblem {
    /// The dotted path of the offending field, e.g. `scoring.weights.tier`.
    pub path: String,
    /// What is wrong, including the offending value.
    pub message: String,
}

/// Why a call failed: what [`guard`] turns into the JavaScript error it throws.
pub(crate) enum Failure {
    /// A core error, or an argument the binding rejects in the core's terms; `context`
    /// (e.g. `starts[3]`) prefixes its message.
    Core {
        error: Error,
        context: Option<String>,
    },
    /// An argument of the wrong JavaScript type: a `TypeError` with code `INVALID_INPUT`.
    WrongType(Error),
    /// A JavaScript exception (or a failed napi call), passed on as it is.
    Js(napi::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Core {
            error,
            context: None,
        }
    }
}

impl From<napi::Error> for Failure {
    fn from(error: napi::Error) -> Self {
        Failure::Js(error)
    }
}

impl Failure {
    /// A core error about one item of a batch, `starts[3]: ...`.
    pub(crate) fn at(context: impl fmt::Display, error: Error) -> Failure {
        Failure::Core {
            error,
            context: Some(context.to_string()),
        }
    }

    /// `field` is not of the JavaScript type the call `expected` (`"a Date or a number"`).
    pub(crate) fn wrong_type(
        field: &dyn fmt::Display,
        value: &Unknown<'_>,
        expected: &str,
    ) -> Failure {
        Failure::WrongType(Error::invalid(
            field.to_string(),
            type_name(value),
            format!("must be {expected}"),
        ))
    }

    /// The failure in words, for a message that wraps it (a port's unreadable answer).
    pub(crate) fn message(&self) -> String {
        match self {
            Failure::Core { error, context } => message(error, context.as_deref()),
            Failure::WrongType(error) => message(error, None),
            Failure::Js(error) => error.reason.clone(),
        }
    }

    /// The JavaScript error to throw (or reject with) for this failure.
    pub(crate) fn into_js(self, env: &Env) -> napi::Error {
        let built = match self {
            Failure::Core { error, context } => js_error(env, &error, context.as_deref(), false),
            Failure::WrongType(error) => js_error(env, &error, None, true),
            Failure::Js(error) => return error,
        };
        built.unwrap_or_else(|failed| failed)
    }
}

/// The `typeof` of a JS value (`"null"` for null, `"Date"`, `"Array"` and `"typed array"` for
/// those objects), for messages.
pub(crate) fn type_name(value: &Unknown<'_>) -> &'static str {
    let name = match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        Ok(ValueType::Object) => "object",
        _ => "unknown",
    };
    if name != "object" {
        return name;
    }
    if value.is_date().unwrap_or(false) {
        "Date"
    } else if value.is_array().unwrap_or(false) {
        "Array"
    } else if value.is_typedarray().unwrap_or(false) {
        "typed array"
    } else {
        "object"
    }
}

/// The message of `err`: the context, the error and its cause chain, joined by `": "`.
fn message(err: &Error, context: Option<&str>) -> String {
    let mut text = match context {
        Some(context) => format!("{context}: {err}"),
        None => err.to_string(),
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Builds the JS `Error` (or `TypeError`) of `err`, with its code and fields, as a
/// `napi::Error` that throws exactly that object.
fn js_error(
    env: &Env,
    err: &Error,
    context: Option<&str>,
    type_error: bool,
) -> Result<napi::Error, napi::Error> {
    let base = napi::Error::new(err.kind().code(), message(err, context));
    let value = if type_error {
        JsTypeError::from(base).into_unknown(*env)
    } else {
        JsError::from(base).into_unknown(*env)
    };
    let mut object = Object::from_unknown(value)?;
    object.set_named_property("isRetryable", err.is_retryable())?;
    match err {
        Error::InvalidInput {
            field,
            value,
            reason,
        } => {
            object.set_named_property("field", field.as_str())?;
            object.set_named_property("value", value.as_str())?;
            object.set_named_property("reason", reason.as_str())?;
        }
        Error::PolicyInvalid { problems } => {
            let problems: Vec<PolicyProblem> = problems
                .iter()
                .map(|p| PolicyProblem {
                    path: p.path.clone(),
                    message: p.message.clone(),
                })
                .collect();
            object.set_named_property("problems", problems)?;
        }
        Error::NotFound { what, id } => {
            object.set_named_property("what", *what)?;
            object.set_named_property("id", id.as_str())?;
        }
        _ => {}
    }
    Ok(napi::Error::from(object.to_unknown()))
}

/// Runs an export's body, turning its [`Failure`] into the JS error to throw and a panic into
/// an `Error` with code `INTERNAL`.
#[inline]
pub(crate) fn guard<T>(env: &Env, body: impl FnOnce() -> Result<T, Failure>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(failure)) => Err(failure.into_js(env)),
        Err(payload) => Err(Failure::from(panic_error(payload.as_ref())).into_js(env)),
    }
}

/// The `INTERNAL` error that stands for a panic with `payload`.
#[cold]
pub(crate) fn panic_error(payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    Error::Internal(format!(
        "panic in the Rust engine: {what}; please report it"
    ))
}
