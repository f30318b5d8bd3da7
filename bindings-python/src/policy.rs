//! `escalation.Policy` and `escalation.PolicyProblem`: loading and validating policy
//! documents with [`escalation_core::Policy`].
//!
//! Loading never stops at the first problem: a `PolicyError` lists every problem with its
//! dotted path (`scoring.weights.tier`) and a message that names the offending value.

use std::path::PathBuf;
use std::sync::Arc;

use escalation_core::Policy;
use escalation_core::error::{Error, PolicyProblem};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::calendar::PyBusinessCalendar;
use crate::error::{IntoPyResult, guard};
use crate::json;

/// One problem found in a policy document: where (`path`), and what is wrong (`message`).
#[pyclass(module = "escalation", name = "PolicyProblem", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyPolicyProblem {
    /// The dotted path of the offending field, e.g. `scoring.weights.tier`.
    #[pyo3(get)]
    path: String,
    /// What is wrong, including the offending value.
    #[pyo3(get)]
    message: String,
}

impl From<PolicyProblem> for PyPolicyProblem {
    fn from(problem: PolicyProblem) -> Self {
        PyPolicyProblem {
            path: problem.path,
            message: problem.message,
        }
    }
}

#[pymethods]
impl PyPolicyProblem {
    #[new]
    fn new(path: String, message: String) -> Self {
        PyPolicyProblem { path, message }
    }

    /// `{"path": ..., "message": ...}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("path", &self.path)?;
        dict.set_item("message", &self.message)?;
        Ok(dict)
    }

    fn __str__(&self) -> String {
        format!("{}: {}", self.path, self.message)
    }

    fn __repr__(&self) -> String {
        format!(
            "PolicyProblem(path={}, message={})",
            py_str(&self.path),
            py_str(&self.message)
        )
    }
}

/// A Python string literal of `s` (for reprs).
fn py_str(s: &str) -> String {
    Python::attach(|py| {
        pyo3::types::PyString::new(py, s)
            .repr()
            .map_or_else(|_| format!("{s:?}"), |r| r.to_string())
    })
}

/// A validated policy document: scoring, routing, calendars, SLA targets, the escalation
/// ladder, quiet hours, templates, delivery and retention. Immutable.
#[pyclass(module = "escalation", name = "Policy", frozen)]
pub struct PyPolicy {
    pub(crate) inner: Arc<Policy>,
}

impl PyPolicy {
    pub(crate) fn wrap(policy: Policy) -> PyPolicy {
        PyPolicy {
            inner: Arc::new(policy),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::to_value(&*self.inner).unwrap_or(serde_json::Value::Null)
    }
}

#[pymethods]
impl PyPolicy {
    /// The default policy (what an empty document gives).
    #[new]
    fn new() -> PyPolicy {
        PyPolicy::wrap(Policy::default())
    }

    /// Loads a policy from TOML text.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<PyPolicy> {
        guard(py, || {
            let policy = py
                .detach(|| Policy::from_toml_str(text))
                .into_py_result(py)?;
            Ok(PyPolicy::wrap(policy))
        })
    }

    /// Loads a policy from JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<PyPolicy> {
        guard(py, || {
            let policy = py
                .detach(|| Policy::from_json_str(text))
                .into_py_result(py)?;
            Ok(PyPolicy::wrap(policy))
        })
    }

    /// Loads a policy file: JSON when its name ends in `.json`, TOML otherwise.
    #[staticmethod]
    fn from_path(py: Python<'_>, path: PathBuf) -> PyResult<PyPolicy> {
        guard(py, || {
            let policy = py.detach(|| Policy::from_path(&path)).into_py_result(py)?;
            Ok(PyPolicy::wrap(policy))
        })
    }

    /// Loads a policy from its JSON form as a dict (dates, times and timedeltas accepted).
    #[staticmethod]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<PyPolicy> {
        guard(py, || {
            let value = json::to_json(d, "")
                .map_err(json::Unsupported::into_policy)
                .into_py_result(py)?;
            let policy = py.detach(|| Policy::from_value(value)).into_py_result(py)?;
            Ok(PyPolicy::wrap(policy))
        })
    }

    /// The policy's version label.
    #[getter]
    fn version(&self) -> String {
        self.inner.version.clone()
    }

    /// The names of the policy's calendars (with the built-in `always`).
    #[getter]
    fn calendar_names(&self) -> Vec<String> {
        let mut names = vec![escalation_core::policy::ALWAYS_CALENDAR.to_owned()];
        names.extend(self.inner.calendars.keys().cloned());
        names
    }

    /// The calendar named `name` (`"always"` is built in: open 24/7, UTC).
    fn calendar(&self, py: Python<'_>, name: &str) -> PyResult<PyBusinessCalendar> {
        guard(py, || {
            let calendars = self.inner.calendars().into_py_result(py)?;
            let calendar = calendars
                .get(name)
                .cloned()
                .ok_or_else(|| Error::NotFound {
                    what: "calendar",
                    id: name.to_owned(),
                })
                .into_py_result(py)?;
            PyBusinessCalendar::wrap(py, calendar)
        })
    }

    /// The policy's JSON form as a dict (what `from_dict` takes); every field is present.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || json::to_py(py, &self.json()))
    }

    /// The policy's JSON form as text (what `from_json` takes).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.json().to_string()))
    }

    fn __repr__(&self) -> String {
        let p = &*self.inner;
        let calendars = p
            .calendars
            .keys()
            .map(|k| py_str(k))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "Policy(version={}, calendars=[{calendars}], sla_calendar={}, sla_targets={}, \
             ladder_levels={}, root_causes={})",
            py_str(&p.version),
            py_str(&p.sla.calendar),
            p.sla.targets.len(),
            p.ladder.len(),
            p.root_causes.len(),
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyPolicy>()
            .is_ok_and(|other| *other.get().inner == *self.inner)
    }

    /// Pickles as the JSON form.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = py.get_type::<PyPolicy>().getattr("from_json")?;
        Ok((from_json, (self.json().to_string(),)))
    }
}
