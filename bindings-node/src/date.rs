//! JavaScript `Date`s and epoch milliseconds to chrono instants and back, and durations in
//! milliseconds.
//!
//! An instant argument is a `Date` or a number of milliseconds since the Unix epoch (UTC).
//! JavaScript time has millisecond precision, so answers are `Date`s (or epoch milliseconds)
//! truncated towards the past to the millisecond; a number with a fraction of a millisecond is
//! read to the nanosecond. The calendar's windows are whole minutes, so the truncation only
//! shows for such fractional inputs. An Invalid Date (or `NaN`) is an `INVALID_INPUT` error in
//! the single-instant methods; the batch methods pass `NaN` through instead.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::error::Error;
use napi::JsDate;
use napi::bindgen_prelude::{FromNapiValue, Unknown};
use napi::{Env, JsValue, ValueType};

use crate::error::Failure;

const NANOS_PER_MILLI: f64 = 1_000_000.0;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
/// Milliseconds beyond which an `f64` no longer fits a `TimeDelta` (about 292 million years).
const MAX_MILLIS: f64 = 9.2e18;

/// What an instant argument may be, for messages.
pub(crate) const INSTANT_TYPES: &str = "a Date or a number of epoch milliseconds";

/// The epoch milliseconds of a `Date` or a number (`NaN` for an Invalid Date); `field` names
/// the argument in errors.
#[inline]
pub(crate) fn millis(field: &dyn fmt::Display, value: &Unknown<'_>) -> Result<f64, Failure> {
    match value.get_type()? {
        ValueType::Number => Ok(f64::from_unknown(*value)?),
        ValueType::Object if value.is_date()? => Ok(JsDate::from_unknown(*value)?.value_of()?),
        _ => Err(Failure::wrong_type(field, value, INSTANT_TYPES)),
    }
}

/// The instant of a `Date` or a number of epoch milliseconds; `field` names the argument.
#[inline]
pub(crate) fn instant(
    field: &dyn fmt::Display,
    value: &Unknown<'_>,
) -> Result<DateTime<Utc>, Failure> {
    let ms = millis(field, value)?;
    Ok(from_millis(field, ms)?)
}

/// The instant `ms` milliseconds after the epoch, to the nanosecond.
#[inline]
pub(crate) fn from_millis(field: &dyn fmt::Display, ms: f64) -> Result<DateTime<Utc>, Error> {
    if ms.is_nan() {
        return Err(Error::invalid(
            field.to_string(),
            "Invalid Date",
            "must be a valid Date (its time is NaN)",
        ));
    }
    let whole = ms.floor();
    // 0 ..= 1_000_000 nanoseconds: the fraction of the millisecond.
    let nanos = ((ms - whole) * NANOS_PER_MILLI).round() as i64;
    (whole.abs() < MAX_MILLIS)
        .then(|| DateTime::from_timestamp_millis(whole as i64))
        .flatten()
        .and_then(|t| t.checked_add_signed(TimeDelta::nanoseconds(nanos)))
        .ok_or_else(|| Error::invalid(field.to_string(), ms, "is outside the range of dates"))
}

/// `t` in epoch milliseconds, truncated towards the past.
#[inline]
pub(crate) fn to_millis(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64
}

/// `t` as a JavaScript `Date` (truncated towards the past to the millisecond).
#[inline]
pub(crate) fn to_date(env: &Env, t: DateTime<Utc>) -> Result<JsDate<'_>, Failure> {
    Ok(env.create_date(to_millis(t))?)
}

/// A duration argument in milliseconds (a finite number, fractions read to the nanosecond).
#[inline]
pub(crate) fn duration(field: &str, value: &Unknown<'_>) -> Result<TimeDelta, Failure> {
    if value.get_type()? != ValueType::Number {
        return Err(Failure::wrong_type(
            &field,
            value,
            "a number of milliseconds",
        ));
    }
    let ms = f64::from_unknown(*value)?;
    if !ms.is_finite() || ms.abs() >= MAX_MILLIS {
        return Err(Error::invalid(field, ms, "must be a finite number of milliseconds").into());
    }
    let whole = ms.trunc();
    let nanos = ((ms - whole) * NANOS_PER_MILLI).round() as i64;
    TimeDelta::try_milliseconds(whole as i64)
        .and_then(|d| d.checked_add(&TimeDelta::nanoseconds(nanos)))
        .ok_or_else(|| Error::invalid(field, ms, "is too large a duration").into())
}

/// A span in milliseconds (exact: fractions of a millisecond are kept).
#[inline]
pub(crate) fn span_millis(d: TimeDelta) -> f64 {
    let nanos = d.subsec_nanos() as f64 / NANOS_PER_MILLI;
    d.num_seconds() as f64 * (NANOS_PER_SECOND as f64 / NANOS_PER_MILLI) + nanos
}

/// A field name with an index, `starts[3]`, formatted only when an error needs it.
pub(crate) struct Indexed<'a>(pub(crate) &'a str, pub(crate) usize);

impl fmt::Display for Indexed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}
