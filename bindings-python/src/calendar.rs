//! `escalation.BusinessCalendar`: business-time arithmetic over
//! [`escalation_core::calendar::BusinessCalendar`].
//!
//! Each method converts its arguments, releases the GIL around the core call and converts
//! the answer back. The batch forms take any iterable of aware datetimes (answering with a
//! list), or a numpy `datetime64` array (answering with a numpy array of the same shape,
//! `datetime64[ns]` or `timedelta64[ns]`, in UTC as numpy's datetimes are; `NaT` stays `NaT`).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::calendar::{BusinessCalendar, CalendarSpec, WEEKDAY_KEYS};
use escalation_core::error::Error;
use pyo3::prelude::*;
use pyo3::types::{PyDelta, PyList, PyString, PyTzInfo};
use serde_json::{Map, Value};

use crate::arrays;
use crate::datetime::{Indexed, delta_to_py, repr, to_delta, to_py, to_utc};
use crate::error::{IntoPyResult, guard, to_py_err};
use crate::json;

/// A business calendar: a time zone, weekly hours, holidays, date overrides and breaks.
///
/// Immutable and safe to share between threads; the compiled year tables are shared by
/// every thread that uses the calendar.
#[pyclass(module = "escalation", name = "BusinessCalendar", frozen)]
pub struct PyBusinessCalendar {
    pub(crate) inner: BusinessCalendar,
    /// The calendar's zone as a Python `tzinfo` (`zoneinfo.ZoneInfo`), for the answers.
    zone: Py<PyTzInfo>,
}

impl PyBusinessCalendar {
    /// Validates `spec` and builds the calendar.
    fn build(py: Python<'_>, spec: CalendarSpec) -> PyResult<PyBusinessCalendar> {
        let inner = BusinessCalendar::new(spec).into_py_result(py)?;
        PyBusinessCalendar::wrap(py, inner)
    }

    /// Wraps a core calendar, looking its zone up in Python's `zoneinfo`.
    pub(crate) fn wrap(py: Python<'_>, inner: BusinessCalendar) -> PyResult<PyBusinessCalendar> {
        let zone = PyTzInfo::timezone(py, inner.spec().timezone.as_str())?.unbind();
        Ok(PyBusinessCalendar { inner, zone })
    }

    /// Parses the JSON form (with the core's field paths in errors) and builds the calendar.
    fn from_value(py: Python<'_>, value: Value) -> PyResult<PyBusinessCalendar> {
        let spec = CalendarSpec::from_json_str(&value.to_string()).into_py_result(py)?;
        PyBusinessCalendar::build(py, spec)
    }

    fn spec_json(&self) -> Value {
        serde_json::to_value(self.inner.spec()).unwrap_or(Value::Null)
    }
}

/// A Python argument in the calendar's JSON form; `field` names it in errors.
fn field_json(field: &str, obj: &Bound<'_, PyAny>) -> Result<Value, Error> {
    json::to_json(obj, field).map_err(|u| u.into_invalid(&repr(obj)))
}

/// `(date, "HH:MM", "HH:MM")` breaks as the JSON form's `{"date", "from", "to"}` objects.
fn break_objects(breaks: Value) -> Value {
    match breaks {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| match item {
                    Value::Array(parts) if parts.len() == 3 => {
                        let mut object = Map::new();
                        for (key, part) in ["date", "from", "to"].into_iter().zip(parts) {
                            object.insert(key.to_owned(), part);
                        }
                        Value::Object(object)
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

#[pymethods]
impl PyBusinessCalendar {
    /// Builds a calendar from keyword arguments; see the class docstring.
    #[new]
    #[pyo3(signature = (timezone, hours, holidays = None, overrides = None, breaks = None))]
    fn new(
        py: Python<'_>,
        timezone: &Bound<'_, PyAny>,
        hours: &Bound<'_, PyAny>,
        holidays: Option<&Bound<'_, PyAny>>,
        overrides: Option<&Bound<'_, PyAny>>,
        breaks: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyBusinessCalendar> {
        guard(py, || {
            // A `zoneinfo.ZoneInfo` stands for its key.
            let timezone = match timezone.cast::<PyString>() {
                Ok(name) => name.to_string(),
                Err(_) => timezone.getattr("key")?.extract::<String>()?,
            };
            let mut doc = Map::new();
            doc.insert("timezone".to_owned(), Value::String(timezone));
            let parts = [
                ("hours", Some(hours)),
                ("holidays", holidays),
                ("overrides", overrides),
                ("breaks", breaks),
            ];
            for (key, value) in parts {
                if let Some(value) = value.filter(|v| !v.is_none()) {
                    let value = field_json(key, value).into_py_result(py)?;
                    let value = if key == "breaks" {
                        break_objects(value)
                    } else {
                        value
                    };
                    doc.insert(key.to_owned(), value);
                }
            }
            PyBusinessCalendar::from_value(py, Value::Object(doc))
        })
    }

    /// Builds a calendar from its JSON form as a dict (`{"timezone": ..., "hours": ...}`).
    #[staticmethod]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<PyBusinessCalendar> {
        guard(py, || {
            let value = field_json("calendar", d).into_py_result(py)?;
            PyBusinessCalendar::from_value(py, value)
        })
    }

    /// Builds a calendar from its JSON form as text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<PyBusinessCalendar> {
        guard(py, || {
            let spec = CalendarSpec::from_json_str(text).into_py_result(py)?;
            PyBusinessCalendar::build(py, spec)
        })
    }

    /// The calendar's IANA time zone.
    #[getter]
    fn timezone(&self) -> String {
        self.inner.spec().timezone.clone()
    }

    /// The calendar's JSON form as a dict (what `from_dict` takes).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || json::to_py(py, &self.spec_json()))
    }

    /// The calendar's JSON form as text (what `from_json` takes).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.spec_json().to_string()))
    }

    /// The deadline `duration` of business time after `start`: the earliest `t >= start`
    /// with `elapsed(start, t) >= duration`, as an aware datetime in the calendar's zone.
    fn add<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        duration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let start = to_utc(&"start", start)?;
            let duration = to_delta(&"duration", duration)?;
            let end = py
                .detach(|| self.inner.add(start, duration))
                .into_py_result(py)?;
            to_py(py, end, self.zone.bind(py))
        })
    }

    /// The instant `duration` of business time before `end`: the latest `t <= end` with
    /// `elapsed(t, end) >= duration`.
    fn subtract<'py>(
        &self,
        py: Python<'py>,
        end: &Bound<'py, PyAny>,
        duration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let end = to_utc(&"end", end)?;
            let duration = to_delta(&"duration", duration)?;
            let start = py
                .detach(|| self.inner.subtract(end, duration))
                .into_py_result(py)?;
            to_py(py, start, self.zone.bind(py))
        })
    }

    /// The business time in `[a, b)`; negative when `b` is before `a`.
    fn elapsed<'py>(
        &self,
        py: Python<'py>,
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDelta>> {
        guard(py, || {
            let a = to_utc(&"a", a)?;
            let b = to_utc(&"b", b)?;
            let d = py.detach(|| self.inner.elapsed(a, b));
            delta_to_py(py, d)
        })
    }

    /// Whether `t` is business time.
    fn is_open(&self, py: Python<'_>, t: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(py, || {
            let t = to_utc(&"t", t)?;
            Ok(py.detach(|| self.inner.is_open(t)))
        })
    }

    /// `t` itself when it is business time, else the next opening after it.
    fn next_open<'py>(
        &self,
        py: Python<'py>,
        t: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let t = to_utc(&"t", t)?;
            let open = py.detach(|| self.inner.next_open(t)).into_py_result(py)?;
            to_py(py, open, self.zone.bind(py))
        })
    }

    /// `t` itself when the instant just before it is business time, else the previous close.
    fn previous_close<'py>(
        &self,
        py: Python<'py>,
        t: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let t = to_utc(&"t", t)?;
            let close = py
                .detach(|| self.inner.previous_close(t))
                .into_py_result(py)?;
            to_py(py, close, self.zone.bind(py))
        })
    }

    /// `add(start, duration)` for each start: a list for an iterable of datetimes, a
    /// `datetime64[ns]` array (UTC) for a numpy `datetime64` array.
    fn add_many<'py>(
        &self,
        py: Python<'py>,
        starts: &Bound<'py, PyAny>,
        duration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let duration = to_delta(&"duration", duration)?;
            if let Some(starts) = arrays::datetimes(starts)? {
                let ends = py
                    .detach(|| arrays::map_instants(&starts.nanos, |t| self.inner.add(t, duration)))
                    .map_err(|(i, e)| to_py_err(py, &e, Some(&format!("starts[{i}]"))))?;
                return arrays::shaped_array(py, ends, &starts.shape);
            }
            let starts = instants("starts", starts)?;
            let ends = py
                .detach(|| {
                    starts
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| self.inner.add(t, duration).map_err(|e| (i, e)))
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|(i, e)| to_py_err(py, &e, Some(&format!("starts[{i}]"))))?;
            let zone = self.zone.bind(py);
            let items = ends
                .into_iter()
                .map(|t| to_py(py, t, zone))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        })
    }

    /// `elapsed(a, b)` for each pair of `starts` and `ends` (of the same length): a list of
    /// timedeltas, or a `timedelta64[ns]` array for numpy `datetime64` arrays.
    fn elapsed_many<'py>(
        &self,
        py: Python<'py>,
        starts: &Bound<'py, PyAny>,
        ends: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            match (arrays::datetimes(starts)?, arrays::datetimes(ends)?) {
                (Some(starts), Some(ends)) => {
                    if starts.shape != ends.shape {
                        let err = Error::invalid(
                            "ends",
                            format!("shape {:?}", ends.shape),
                            format!("must have the shape of starts, {:?}", starts.shape),
                        );
                        return Err(to_py_err(py, &err, None));
                    }
                    let spans = py
                        .detach(|| {
                            arrays::zip_instants(&starts.nanos, &ends.nanos, |a, b| {
                                self.inner.elapsed(a, b)
                            })
                        })
                        .map_err(|(i, e)| to_py_err(py, &e, Some(&format!("ends[{i}]"))))?;
                    return arrays::shaped_array(py, spans, &starts.shape);
                }
                (None, None) => {}
                _ => {
                    let err = Error::invalid(
                        "ends",
                        "a mix of a numpy array and a sequence",
                        "pass two numpy datetime64 arrays or two sequences of datetimes",
                    );
                    return Err(to_py_err(py, &err, None));
                }
            }
            let starts = instants("starts", starts)?;
            let ends = instants("ends", ends)?;
            if starts.len() != ends.len() {
                let err = Error::invalid(
                    "ends",
                    format!("{} items", ends.len()),
                    format!("must have as many items as starts ({})", starts.len()),
                );
                return Err(to_py_err(py, &err, None));
            }
            let spans: Vec<TimeDelta> = py.detach(|| {
                starts
                    .iter()
                    .zip(&ends)
                    .map(|(&a, &b)| self.inner.elapsed(a, b))
                    .collect()
            });
            let items = spans
                .into_iter()
                .map(|d| delta_to_py(py, d))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        })
    }

    fn __repr__(&self) -> String {
        let spec = self.inner.spec();
        // Monday first, as a person writes a week.
        let mut days: Vec<_> = spec.hours.iter().collect();
        days.sort_by_key(|(day, _)| WEEKDAY_KEYS.iter().position(|k| k == day));
        let hours = days
            .into_iter()
            .map(|(day, windows)| {
                let windows = windows
                    .iter()
                    .map(|[open, close]| format!("({open:?}, {close:?})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{day:?}: [{windows}]")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut text = format!(
            "BusinessCalendar(timezone={:?}, hours={{{hours}}}",
            spec.timezone
        );
        let counts = [
            ("holidays", spec.holidays.len(), "dates"),
            ("overrides", spec.overrides.len(), "dates"),
            ("breaks", spec.breaks.len(), "breaks"),
        ];
        for (name, count, what) in counts {
            if count > 0 {
                text.push_str(&format!(", {name}=<{count} {what}>"));
            }
        }
        text.push(')');
        text.replace('"', "'")
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyBusinessCalendar>()
            .is_ok_and(|other| other.get().inner.spec() == self.inner.spec())
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.spec_json().to_string().hash(&mut hasher);
        hasher.finish()
    }

    /// Pickles as the JSON form.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = py.get_type::<PyBusinessCalendar>().getattr("from_json")?;
        Ok((from_json, (self.spec_json().to_string(),)))
    }
}

/// The UTC instants of an iterable of aware datetimes; `field` names it in errors.
fn instants(field: &str, items: &Bound<'_, PyAny>) -> PyResult<Vec<DateTime<Utc>>> {
    let iter = items.try_iter()?;
    let mut out = Vec::with_capacity(items.len().unwrap_or(0));
    for (i, item) in iter.enumerate() {
        out.push(to_utc(&Indexed(field, i), &item?)?);
    }
    Ok(out)
}

/// Times `rounds` passes of the core's `add` over `starts` with the GIL released, and
/// returns nanoseconds per call: the Rust figure the bench compares `add` from Python with.
#[pyfunction]
pub(crate) fn _time_rust_add(
    py: Python<'_>,
    calendar: &Bound<'_, PyBusinessCalendar>,
    starts: &Bound<'_, PyAny>,
    duration: &Bound<'_, PyAny>,
    rounds: usize,
) -> PyResult<f64> {
    guard(py, || {
        let calendar = &calendar.get().inner;
        let starts = instants("starts", starts)?;
        let duration = to_delta(&"duration", duration)?;
        let calls = (starts.len() * rounds).max(1);
        Ok(py.detach(|| {
            let clock = Instant::now();
            for _ in 0..rounds {
                for &start in &starts {
                    let _ = black_box(calendar.add(black_box(start), black_box(duration)));
                }
            }
            clock.elapsed().as_nanos() as f64 / calls as f64
        }))
    })
}
