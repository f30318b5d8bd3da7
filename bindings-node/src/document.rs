//! Documents (calendar specs, policies) in and out: a JavaScript object is written as JSON
//! text with the platform's own `JSON.stringify` and read by the core, which reports every
//! problem with its field path; a document goes back to JavaScript as a plain object through
//! `JSON.parse`. Texts (TOML or JSON) and paths are strings.
//!
//! `JSON.stringify` leaves out properties whose value is `undefined` (so an optional part may
//! be `undefined`), calls `toJSON()` (so a `BusinessCalendar` stands for its JSON form), writes
//! a `Date` as an ISO 8601 string, and throws on a cycle or a `BigInt`: that exception reaches
//! the caller as it is. It would also write `NaN` and `±Infinity` as `null`, which the core
//! reads as "not set" (the default), so a non-finite number is refused first, with its path.

use escalation_core::error::{Error, PolicyProblem};
use napi::bindgen_prelude::{Array, FromNapiValue, Function, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, ValueType};
use serde::Serialize;

use crate::error::Failure;

/// How deep [`finite_numbers`] looks: deeper than any calendar or policy document.
const MAX_DEPTH: usize = 64;

/// A value that has no JSON form: where it is and why.
pub(crate) struct Unsupported {
    path: String,
    value: String,
    message: String,
}

impl Unsupported {
    /// As an `INVALID_INPUT` error (for calendars).
    pub(crate) fn into_invalid(self) -> Error {
        Error::invalid(self.path, self.value, self.message)
    }

    /// As a `POLICY_INVALID` error with one problem (for policies).
    pub(crate) fn into_policy(self) -> Error {
        Error::PolicyInvalid {
            problems: vec![PolicyProblem {
                path: self.path,
                message: format!("{}, got {}", self.message, self.value),
            }],
        }
    }
}

/// The global `JSON` object's function `name` (`stringify` or `parse`).
fn json_function<'env>(env: &'env Env, name: &str) -> Result<Function<'env>, Failure> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    Ok(json.get_named_property(name)?)
}

/// The JSON text of the object `value` (`JSON.stringify(value)`); `field` names it when it is
/// not an object, and `unsupported` makes the error for a value without a JSON form.
pub(crate) fn stringify(
    env: &Env,
    field: &str,
    value: Unknown<'_>,
    unsupported: fn(Unsupported) -> Error,
) -> Result<String, Failure> {
    if value.get_type()? != ValueType::Object {
        return Err(Failure::wrong_type(&field, &value, "an object"));
    }
    // First, so that a cycle is the TypeError of JSON.stringify rather than a deep walk.
    let text = json_function(env, "stringify")?.call(value)?;
    let text = String::from_unknown(text)?;
    finite_numbers(value, &mut String::new(), 0)?.map_or(Ok(text), |u| Err(unsupported(u).into()))
}

/// The first number in `value` that JSON cannot hold (`NaN`, `±Infinity`), with its path
/// (`scoring.weights.tier`, `hours.mon[0][1]`); `None` when there is none. Objects with a
/// `toJSON` method (a `Date`, a `BusinessCalendar`) stand for what it returns and are skipped.
fn finite_numbers(
    value: Unknown<'_>,
    path: &mut String,
    depth: usize,
) -> Result<Option<Unsupported>, Failure> {
    match value.get_type()? {
        ValueType::Number => {
            let n = f64::from_unknown(value)?;
            if n.is_finite() {
                return Ok(None);
            }
            return Ok(Some(Unsupported {
                path: if path.is_empty() {
                    "(document)".to_owned()
                } else {
                    path.clone()
                },
                value: n.to_string(),
                message: "must be a finite number (JSON has no NaN or Infinity)".to_owned(),
            }));
        }
        ValueType::Object if depth < MAX_DEPTH => {}
        _ => return Ok(None),
    }
    let len = path.len();
    if value.is_array()? {
        let array = Array::from_unknown(value)?;
        for i in 0..array.len() {
            if let Some(item) = array.get::<Unknown<'_>>(i)? {
                path.push_str(&format!("[{i}]"));
                let found = finite_numbers(item, path, depth + 1)?;
                path.truncate(len);
                if found.is_some() {
                    return Ok(found);
                }
            }
        }
        return Ok(None);
    }
    let object = Object::from_unknown(value)?;
    let to_json: Unknown<'_> = object.get_named_property("toJSON")?;
    if to_json.get_type()? == ValueType::Function {
        return Ok(None);
    }
    for key in Object::keys(&object)? {
        let item: Unknown<'_> = object.get_named_property(&key)?;
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&key);
        let found = finite_numbers(item, path, depth + 1)?;
        path.truncate(len);
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// `value` as a plain JavaScript object (`JSON.parse` of its JSON form).
pub(crate) fn to_object<'env>(
    env: &'env Env,
    value: &impl Serialize,
) -> Result<Unknown<'env>, Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Error::Internal(format!("cannot write the JSON form: {e}")))?;
    let text = env.create_string(&text)?;
    Ok(json_function(env, "parse")?.call(text.to_unknown())?)
}

/// A string argument (a document's text or a path); `field` names it in errors.
pub(crate) fn text(field: &str, value: &Unknown<'_>) -> Result<String, Failure> {
    if value.get_type()? != ValueType::String {
        return Err(Failure::wrong_type(&field, value, "a string"));
    }
    Ok(String::from_unknown(*value)?)
}
