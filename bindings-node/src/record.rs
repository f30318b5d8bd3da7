//! Records in: a JavaScript object (a customer profile, an agent, a team, a ticket event) read
//! as the core's record, through its JSON form.
//!
//! The object goes through `JSON.stringify` (so a `Date` is written as ISO 8601 text and
//! `undefined` fields are left out), its keys are read in the core's snake_case
//! (`customerSince` is `customer_since`; snake_case keys are taken as they are), and the
//! instants given as numbers are read as epoch milliseconds. The core's deserializer then
//! checks it; what it rejects is an `INVALID_INPUT` error naming the record (`profile`,
//! `agent`, `event`, ...).

use escalation_core::error::Error;
use napi::Env;
use napi::bindgen_prelude::Unknown;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::date::from_millis;
use crate::document::{self, Unsupported};
use crate::error::Failure;

/// How much of a rejected record its error shows.
const SHOWN: usize = 120;

/// Reads the record `value` (or, for a `Vec`, an array of them) as a `T`; `what` names it in
/// errors, and `instants` are the snake_case fields that may be given as epoch milliseconds.
pub(crate) fn from_js<T: DeserializeOwned>(
    env: &Env,
    what: &str,
    value: Unknown<'_>,
    instants: &[&str],
) -> Result<T, Failure> {
    let text = document::stringify(env, what, value, Unsupported::into_invalid)?;
    let shown = || {
        let mut shown: String = text.chars().take(SHOWN).collect();
        if shown.len() < text.len() {
            shown.push_str("...");
        }
        shown
    };
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| Error::invalid(what, shown(), e.to_string()))?;
    let doc = match doc {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| snake_case(what, item, instants))
                .collect::<Result<_, _>>()?,
        ),
        doc => snake_case(what, doc, instants)?,
    };
    Ok(serde_json::from_value(doc).map_err(|e| Error::invalid(what, shown(), e.to_string()))?)
}

/// `doc` with its keys in snake_case and its `instants` given as numbers in RFC 3339.
fn snake_case(what: &str, doc: Value, instants: &[&str]) -> Result<Value, Error> {
    let Value::Object(fields) = doc else {
        return Ok(doc);
    };
    let mut out = Map::with_capacity(fields.len());
    for (key, value) in fields {
        let key = snake_key(&key);
        let value = match value {
            Value::Number(ms) if instants.contains(&key.as_str()) => {
                let ms = ms.as_f64().unwrap_or(f64::NAN);
                Value::String(from_millis(&format!("{what}.{key}"), ms)?.to_rfc3339())
            }
            value => value,
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// `customerSince` as `customer_since`.
fn snake_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
