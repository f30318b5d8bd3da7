//! Python `datetime`/`timedelta` to chrono and back.
//!
//! An instant must be an aware `datetime`: its UTC offset (`utcoffset()`, which honours
//! `fold` in a repeated hour) turns its wall-clock fields into a UTC instant. A naive
//! datetime is rejected with `InvalidInput` (a `ValueError`) that says to attach a tzinfo.
//! Instants go back to Python as aware datetimes in the calendar's zone: built in UTC and
//! moved with `astimezone`, so Python's own zone data renders the same instant.

use std::fmt;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use escalation_core::error::Error;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyTimeAccess, PyTzInfo, PyTzInfoAccess,
};

use crate::error::to_py_err;

const NANOS_PER_MICRO: i64 = 1_000;
const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// The UTC instant of an aware datetime; `field` names the argument in errors.
#[inline]
pub(crate) fn to_utc(field: &dyn fmt::Display, obj: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    let py = obj.py();
    let dt = obj.cast::<PyDateTime>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{field} must be an aware datetime.datetime, got {}",
            type_name(obj)
        ))
    })?;
    let Some(tzinfo) = dt.get_tzinfo() else {
        return Err(naive(py, field, dt));
    };
    let offset = if tzinfo.is(PyTzInfo::utc(py)?.as_any()) {
        TimeDelta::zero()
    } else {
        let offset = dt.call_method0(intern!(py, "utcoffset"))?;
        if offset.is_none() {
            return Err(naive(py, field, dt));
        }
        to_delta(field, &offset)?
    };
    let local = NaiveDate::from_ymd_opt(dt.get_year(), dt.get_month().into(), dt.get_day().into())
        .and_then(|date| {
            date.and_hms_micro_opt(
                dt.get_hour().into(),
                dt.get_minute().into(),
                dt.get_second().into(),
                dt.get_microsecond(),
            )
        })
        .ok_or_else(|| {
            to_py_err(
                py,
                &Error::invalid(
                    field.to_string(),
                    repr(dt.as_any()),
                    "not a valid date and time",
                ),
                None,
            )
        })?;
    local
        .checked_sub_signed(offset)
        .map(|utc| utc.and_utc())
        .ok_or_else(|| {
            to_py_err(
                py,
                &Error::invalid(field.to_string(), repr(dt.as_any()), "out of range"),
                None,
            )
        })
}

#[cold]
fn naive(py: Python<'_>, field: &dyn fmt::Display, dt: &Bound<'_, PyDateTime>) -> PyErr {
    to_py_err(
        py,
        &Error::invalid(
            field.to_string(),
            repr(dt.as_any()),
            "a naive datetime has no time zone; attach a tzinfo, e.g. \
             dt.replace(tzinfo=zoneinfo.ZoneInfo(\"America/New_York\")) or \
             datetime.now(timezone.utc)",
        ),
        None,
    )
}

/// A `timedelta` as a chrono duration; `field` names the argument in errors.
#[inline]
pub(crate) fn to_delta(field: &dyn fmt::Display, obj: &Bound<'_, PyAny>) -> PyResult<TimeDelta> {
    let delta = obj.cast::<PyDelta>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{field} must be a datetime.timedelta, got {}",
            type_name(obj)
        ))
    })?;
    let seconds = i64::from(delta.get_days()) * SECONDS_PER_DAY + i64::from(delta.get_seconds());
    Ok(TimeDelta::seconds(seconds) + TimeDelta::microseconds(delta.get_microseconds().into()))
}

/// `t` as an aware datetime in `zone` (microsecond precision, truncated towards the past).
#[inline]
pub(crate) fn to_py<'py>(
    py: Python<'py>,
    t: DateTime<Utc>,
    zone: &Bound<'py, PyTzInfo>,
) -> PyResult<Bound<'py, PyAny>> {
    use chrono::{Datelike, Timelike};
    let utc_zone = PyTzInfo::utc(py)?;
    let utc = PyDateTime::new(
        py,
        t.year(),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
        t.timestamp_subsec_micros(),
        Some(&utc_zone),
    )?;
    utc.call_method1(intern!(py, "astimezone"), (zone,))
}

/// A chrono duration as a `timedelta` (microsecond precision, truncated towards the past).
#[inline]
pub(crate) fn delta_to_py(py: Python<'_>, d: TimeDelta) -> PyResult<Bound<'_, PyDelta>> {
    let micros = d.num_seconds() * MICROS_PER_SECOND
        + i64::from(d.subsec_nanos()).div_euclid(NANOS_PER_MICRO);
    let days = micros.div_euclid(SECONDS_PER_DAY * MICROS_PER_SECOND);
    let rest = micros.rem_euclid(SECONDS_PER_DAY * MICROS_PER_SECOND);
    let days = i32::try_from(days).map_err(|_| {
        to_py_err(
            py,
            &Error::OutOfRange(format!("{d} does not fit a timedelta")),
            None,
        )
    })?;
    // `rest` is below one day, so both parts fit an i32.
    PyDelta::new(
        py,
        days,
        (rest / MICROS_PER_SECOND) as i32,
        (rest % MICROS_PER_SECOND) as i32,
        false,
    )
}

/// The name of `obj`'s type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "an unknown type".to_owned(), |n| n.to_string())
}

/// `repr(obj)`, for messages.
pub(crate) fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map_or_else(|_| "<unrepresentable>".to_owned(), |r| r.to_string())
}

/// A field name with an index, `starts[3]`, formatted only when an error needs it.
pub(crate) struct Indexed<'a>(pub(crate) &'a str, pub(crate) usize);

impl fmt::Display for Indexed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}
