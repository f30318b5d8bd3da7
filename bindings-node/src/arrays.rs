//! Batches of instants in and out of the batch methods (`addMany`, `elapsedMany`).
//!
//! A batch is a `Float64Array` of epoch milliseconds (answered with a new `Float64Array`) or an
//! array of `Date`s and epoch-millisecond numbers (answered with an array). Either is copied
//! out before the Rust loop runs (for a `Float64Array`, one `memcpy`): reading an array's items
//! may run JavaScript (a getter), which could detach another argument's buffer, so no borrowed
//! view of JavaScript memory outlives the conversion. `NaN` (or an Invalid Date) passes
//! through: `NaN` in gives `NaN` (or an Invalid Date) out.

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::error::Error;
use napi::bindgen_prelude::{
    Array, Float64Array, Float64ArraySlice, FromNapiValue, ToNapiValue, Unknown,
};
use napi::{Env, JsValue};

use crate::date::{INSTANT_TYPES, Indexed, from_millis, millis, span_millis, to_millis};
use crate::error::Failure;

/// The instants of a batch argument, in epoch milliseconds.
pub(crate) enum Batch {
    /// From a `Float64Array`.
    Buffer(Vec<f64>),
    /// From an array of `Date`s and numbers.
    List(Vec<f64>),
}

impl Batch {
    /// The epoch milliseconds of the batch.
    pub(crate) fn millis(&self) -> &[f64] {
        match self {
            Batch::Buffer(buffer) => buffer,
            Batch::List(list) => list,
        }
    }

    pub(crate) fn is_buffer(&self) -> bool {
        matches!(self, Batch::Buffer(_))
    }
}

const BATCH_TYPES: &str = "a Float64Array of epoch milliseconds or an array of Dates and numbers";

/// Reads a batch argument; `field` names it in errors.
pub(crate) fn batch(field: &str, value: &Unknown<'_>) -> Result<Batch, Failure> {
    if value.is_typedarray()? {
        return Float64ArraySlice::from_unknown(*value)
            .map(|buffer| Batch::Buffer(buffer.to_vec()))
            .map_err(|_| Failure::wrong_type(&field, value, BATCH_TYPES));
    }
    if !value.is_array()? {
        return Err(Failure::wrong_type(&field, value, BATCH_TYPES));
    }
    let array = Array::from_unknown(*value)?;
    let mut out = Vec::with_capacity(array.len() as usize);
    for i in 0..array.len() {
        let item = array.get::<Unknown<'_>>(i)?;
        let item = match item {
            Some(item) => millis(&Indexed(field, i as usize), &item)?,
            None => {
                return Err(Failure::WrongType(Error::invalid(
                    Indexed(field, i as usize).to_string(),
                    "a hole",
                    format!("must be {INSTANT_TYPES}"),
                )));
            }
        };
        out.push(item);
    }
    Ok(Batch::List(out))
}

/// `f` applied to each instant of `field` (`NaN` passes through), in epoch milliseconds; the
/// first error names its index.
pub(crate) fn map_millis(
    field: &str,
    ms: &[f64],
    f: impl Fn(DateTime<Utc>) -> Result<DateTime<Utc>, Error>,
) -> Result<Vec<f64>, Failure> {
    ms.iter()
        .enumerate()
        .map(|(i, &ms)| {
            if ms.is_nan() {
                return Ok(f64::NAN);
            }
            let t = from_millis(&Indexed(field, i), ms)?;
            f(t).map(to_millis)
                .map_err(|e| Failure::at(Indexed(field, i), e))
        })
        .collect()
}

/// `f` applied to each pair (`NaN` on either side gives `NaN`), in milliseconds.
pub(crate) fn zip_millis(
    a: &[f64],
    b: &[f64],
    f: impl Fn(DateTime<Utc>, DateTime<Utc>) -> TimeDelta,
) -> Result<Vec<f64>, Failure> {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (&a, &b))| {
            if a.is_nan() || b.is_nan() {
                return Ok(f64::NAN);
            }
            let a = from_millis(&Indexed("starts", i), a)?;
            let b = from_millis(&Indexed("ends", i), b)?;
            Ok(span_millis(f(a, b)))
        })
        .collect()
}

/// Numbers as a new `Float64Array`.
pub(crate) fn buffer(env: &Env, values: Vec<f64>) -> Result<Unknown<'_>, Failure> {
    Ok(Float64Array::new(values).into_unknown(env)?)
}

/// Numbers as an array of numbers.
pub(crate) fn numbers(env: &Env, values: Vec<f64>) -> Result<Unknown<'_>, Failure> {
    Ok(values.into_unknown(env)?)
}

/// Epoch milliseconds as an array of `Date`s (`NaN` as an Invalid Date).
pub(crate) fn dates<'env>(env: &'env Env, ms: &[f64]) -> Result<Unknown<'env>, Failure> {
    let len = u32::try_from(ms.len())
        .map_err(|_| Error::invalid("starts", ms.len(), "has too many items for an array"))?;
    let mut array = env.create_array(len)?;
    for (i, &ms) in (0..len).zip(ms) {
        array.set(i, env.create_date(ms)?)?;
    }
    Ok(array.to_unknown())
}
