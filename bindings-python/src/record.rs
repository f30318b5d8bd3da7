//! The record classes' machinery: each record (`Ticket`, `LogEntry`, `EscalationTask`, ...)
//! is a frozen Python class around the core value, with read-only attributes converted on
//! access, `to_dict()` (the JSON form the core serializes), `from_dict()` and a keyword
//! constructor (the same form), equality by value, and a short `repr`.
//!
//! Converting on access keeps a call's answer cheap: `create_ticket` hands back one object,
//! and only the attributes a caller reads are built.

use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use escalation_core::error::Error;
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyList, PyTzInfo};
use pyo3::{IntoPyObjectExt, PyClass};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::datetime::delta_to_py;
use crate::error::to_py_err;
use crate::json;

/// A value as a Python object.
pub(crate) trait Out {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! out_via_into {
    ($($ty:ty),*) => {$(
        impl Out for $ty {
            #[inline]
            fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.clone().into_bound_py_any(py)
            }
        }
    )*};
}
out_via_into!(u64, u32, usize, i64, f64, bool, String);

impl Out for str {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pyo3::types::PyString::new(py, self).into_any())
    }
}

impl<T: Out + ?Sized> Out for Arc<T> {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (**self).out(py)
    }
}

impl<T: Out> Out for Option<T> {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.out(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<T: Out> Out for [T] {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::empty(py);
        for v in self {
            list.append(v.out(py)?)?;
        }
        Ok(list.into_any())
    }
}

impl<T: Out> Out for Vec<T> {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.as_slice().out(py)
    }
}

impl<A: Out, B: Out> Out for (A, B) {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pyo3::types::PyTuple::new(py, [self.0.out(py)?, self.1.out(py)?])?.into_any())
    }
}

/// An instant as an aware `datetime` in UTC (microsecond precision, truncated).
impl Out for DateTime<Utc> {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let utc = PyTzInfo::utc(py)?;
        Ok(PyDateTime::new(
            py,
            self.year(),
            self.month() as u8,
            self.day() as u8,
            self.hour() as u8,
            self.minute() as u8,
            self.second() as u8,
            self.timestamp_subsec_micros(),
            Some(&utc),
        )?
        .into_any())
    }
}

impl Out for TimeDelta {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(delta_to_py(py, *self)?.into_any())
    }
}

/// Values whose Python form is their stable name (`Display`): ids, enums.
macro_rules! out_as_text {
    ($($ty:ty),* $(,)?) => {$(
        impl crate::record::Out for $ty {
            fn out<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                Ok(pyo3::types::PyString::new(py, &self.to_string()).into_any())
            }
        }
    )*};
}
pub(crate) use out_as_text;

/// A value shown as its JSON form (a dict), for the parts of a record that are documents
/// rather than records of their own (a score's breakdown, a resolution).
pub(crate) struct Doc<'a, T: Serialize>(pub(crate) &'a T);

impl<T: Serialize> Out for Doc<'_, T> {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_dict(py, self.0)
    }
}

/// `value`'s JSON form as Python dicts and lists.
pub(crate) fn to_dict<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let doc = serde_json::to_value(value).map_err(|e| {
        to_py_err(
            py,
            &Error::Internal(format!("a record did not serialize: {e}")),
            None,
        )
    })?;
    json::to_py(py, &doc)
}

/// Reads a record of type `T` from its JSON form (a mapping); `what` names it in errors.
pub(crate) fn from_doc<T: DeserializeOwned>(
    py: Python<'_>,
    what: &str,
    doc: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let value = json::to_json(doc, what)
        .map_err(|u| to_py_err(py, &u.into_invalid(&crate::datetime::repr(doc)), None))?;
    serde_json::from_value(value).map_err(|e| {
        to_py_err(
            py,
            &Error::invalid(what, crate::datetime::repr(doc), e.to_string()),
            None,
        )
    })
}

/// A record argument or a port's answer: our class, or its JSON form.
pub(crate) fn record_arg<T, P>(
    value: &Bound<'_, PyAny>,
    what: &str,
    inner: impl Fn(&P) -> T,
) -> PyResult<T>
where
    T: DeserializeOwned,
    P: PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
{
    match value.cast::<P>() {
        Ok(ours) => Ok(inner(ours.get())),
        Err(_) => from_doc(value.py(), what, value),
    }
}

/// Reads keyword arguments as a record of type `T` (the keyword constructor).
pub(crate) fn from_fields<T: DeserializeOwned>(
    py: Python<'_>,
    what: &str,
    fields: Option<&Bound<'_, PyDict>>,
) -> PyResult<T> {
    match fields {
        Some(fields) => from_doc(py, what, fields.as_any()),
        None => from_doc(py, what, PyDict::new(py).as_any()),
    }
}

/// Equality of two serializable values by their JSON form.
pub(crate) fn same<T: Serialize>(a: &T, b: &T) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Declares a read-only record class: a frozen pyclass around `Arc<$ty>`, its getters (each
/// an expression over the value `$t`, converted with [`Out`]), `to_dict`, `__eq__` and
/// `__repr__`.
macro_rules! view {
    (
        $(#[$meta:meta])*
        $py:ident($name:literal, $ty:ty)
        repr |$r:ident| $repr:expr;
        { $($(#[$fmeta:meta])* $field:ident => |$t:ident| $e:expr),* $(,)? }
    ) => {
        $(#[$meta])*
        #[pyo3::pyclass(module = "escalation", name = $name, frozen)]
        pub struct $py {
            pub(crate) inner: std::sync::Arc<$ty>,
        }

        impl $py {
            #[allow(dead_code)]
            pub(crate) fn wrap(inner: impl Into<std::sync::Arc<$ty>>) -> $py {
                $py { inner: inner.into() }
            }
        }

        impl crate::record::Out for $ty {
            fn out<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                Ok(pyo3::Bound::new(py, $py::wrap(self.clone()))?.into_any())
            }
        }

        #[pyo3::pymethods]
        impl $py {
            /// The record's JSON form: dicts, lists, strings and numbers; instants as
            /// RFC 3339 strings.
            fn to_dict<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                crate::error::guard(py, || crate::record::to_dict(py, &*self.inner))
            }

            fn __eq__(&self, other: &pyo3::Bound<'_, pyo3::PyAny>) -> bool {
                other
                    .cast::<$py>()
                    .is_ok_and(|o| crate::record::same(&*self.inner, &*o.get().inner))
            }

            fn __repr__(&self) -> String {
                let $r = &*self.inner;
                $repr
            }

            $(
                $(#[$fmeta])*
                #[getter]
                fn $field<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    #[allow(unused_imports)]
                    use crate::record::Out;
                    let $t = &*self.inner;
                    ($e).out(py)
                }
            )*
        }
    };
}
pub(crate) use view;

/// Declares a record class that Python can also build: [`view!`] plus a keyword
/// constructor and `from_dict`, both reading the JSON form.
macro_rules! record {
    (
        $(#[$meta:meta])*
        $py:ident($name:literal, $ty:ty)
        $($rest:tt)*
    ) => {
        crate::record::view! { $(#[$meta])* $py($name, $ty) $($rest)* }

        #[pyo3::pymethods]
        impl $py {
            #[new]
            #[pyo3(signature = (**fields))]
            fn __new__(
                py: pyo3::Python<'_>,
                fields: Option<&pyo3::Bound<'_, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$py> {
                crate::error::guard(py, || {
                    Ok($py::wrap(crate::record::from_fields::<$ty>(py, $name, fields)?))
                })
            }

            /// Reads the record from its JSON form (what `to_dict` returns).
            #[staticmethod]
            fn from_dict(
                py: pyo3::Python<'_>,
                doc: &pyo3::Bound<'_, pyo3::PyAny>,
            ) -> pyo3::PyResult<$py> {
                crate::error::guard(py, || {
                    Ok($py::wrap(crate::record::from_doc::<$ty>(py, $name, doc)?))
                })
            }
        }
    };
}
pub(crate) use record;
