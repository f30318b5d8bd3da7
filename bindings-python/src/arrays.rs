//! numpy `datetime64` arrays in and out of the batch methods.
//!
//! numpy stays optional: an argument is taken for an array only when numpy is already
//! imported (it must be, for the caller to hold an array) and the argument is an `ndarray`
//! of a `datetime64` dtype. Its values are converted to nanoseconds and copied out while the
//! GIL is held, so the Rust loop that runs without the GIL never reads memory that Python
//! code could change meanwhile. `NaT` in gives `NaT` out.

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::error::Error;
use numpy::datetime::{Datetime, Timedelta, units::Nanoseconds};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyUntypedArray};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::type_object::PyTypeCheck;

/// numpy's `NaT` as an `int64`.
const NAT: i64 = i64::MIN;

/// The instants of a `datetime64` array, in nanoseconds since the epoch (UTC), row-major.
pub(crate) struct Instants {
    pub(crate) nanos: Vec<i64>,
    pub(crate) shape: Vec<usize>,
}

/// The instants of `obj` when it is a numpy `datetime64` array; `None` for anything else.
pub(crate) fn datetimes(obj: &Bound<'_, PyAny>) -> PyResult<Option<Instants>> {
    let py = obj.py();
    let modules = py
        .import(intern!(py, "sys"))?
        .getattr(intern!(py, "modules"))?;
    if !modules.contains(intern!(py, "numpy"))? || !PyUntypedArray::type_check(obj) {
        return Ok(None);
    }
    let kind = obj
        .getattr(intern!(py, "dtype"))?
        .getattr(intern!(py, "kind"))?;
    if !kind.eq("M")? {
        return Ok(None);
    }
    let numpy = py.import(intern!(py, "numpy"))?;
    let array = numpy
        .call_method1(intern!(py, "asarray"), (obj, "datetime64[ns]"))?
        .cast_into::<PyArrayDyn<Datetime<Nanoseconds>>>()?;
    let array = array.readonly();
    let view = array.as_array();
    let shape = view.shape().to_vec();
    let nanos = match array.as_slice() {
        Ok(slice) => slice.iter().map(|&t| i64::from(t)).collect(),
        Err(_) => view.iter().map(|&t| i64::from(t)).collect(),
    };
    Ok(Some(Instants { nanos, shape }))
}

fn instant(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

fn nanos_of(t: DateTime<Utc>) -> Result<i64, Error> {
    t.timestamp_nanos_opt()
        .ok_or_else(|| Error::OutOfRange(format!("{t} does not fit datetime64[ns]")))
}

/// `f` applied to each instant (`NaT` passes through); the first error with its index.
pub(crate) fn map_instants(
    nanos: &[i64],
    f: impl Fn(DateTime<Utc>) -> Result<DateTime<Utc>, Error>,
) -> Result<Vec<Datetime<Nanoseconds>>, (usize, Error)> {
    nanos
        .iter()
        .enumerate()
        .map(|(i, &ns)| {
            if ns == NAT {
                return Ok(Datetime::from(NAT));
            }
            f(instant(ns))
                .and_then(nanos_of)
                .map(Datetime::from)
                .map_err(|e| (i, e))
        })
        .collect()
}

/// `f` applied to each pair (`NaT` on either side gives `NaT`); the first error with its
/// index.
pub(crate) fn zip_instants(
    a: &[i64],
    b: &[i64],
    f: impl Fn(DateTime<Utc>, DateTime<Utc>) -> TimeDelta,
) -> Result<Vec<Timedelta<Nanoseconds>>, (usize, Error)> {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (&a, &b))| {
            if a == NAT || b == NAT {
                return Ok(Timedelta::from(NAT));
            }
            let d = f(instant(a), instant(b));
            d.num_nanoseconds().map(Timedelta::from).ok_or_else(|| {
                (
                    i,
                    Error::OutOfRange(format!("{d} does not fit timedelta64[ns]")),
                )
            })
        })
        .collect()
}

/// A numpy array of `shape` holding `values` (`datetime64[ns]` or `timedelta64[ns]`).
pub(crate) fn shaped_array<'py, T: numpy::Element>(
    py: Python<'py>,
    values: Vec<T>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    let array = PyArray1::from_vec(py, values);
    if shape.len() == 1 {
        return Ok(array.into_any());
    }
    Ok(array.reshape(shape.to_vec())?.into_any())
}
