//! The exception classes, and the one conversion from [`escalation_core::Error`] to them.
//!
//! `EscalationError(Exception)` is the base; each [`ErrorKind`] has a subclass (some of them
//! also derive from the builtin a Python caller expects: `InvalidInput` and `PolicyError` are
//! `ValueError`s, `NotFound` is a `LookupError`, ...). Every instance carries `kind` (the
//! stable code, `"POLICY_INVALID"`) and `is_retryable`.
//!
//! No panic crosses into Python: the entry points run inside [`guard`], which turns a panic
//! into `InternalError` (a subclass of `EscalationError`), instead of pyo3's `PanicException`
//! (a `BaseException` that `except Exception` would not catch).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use escalation_core::error::{Error, ErrorKind};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

use crate::policy::PyPolicyProblem;

/// One exception class: its name, the core kind it stands for, the builtin it also derives
/// from (besides `EscalationError`), and its docstring.
struct ClassSpec {
    name: &'static str,
    kind: ErrorKind,
    builtin: Option<&'static str>,
    doc: &'static str,
}

const CLASSES: &[ClassSpec] = &[
    ClassSpec {
        name: "InvalidInput",
        kind: ErrorKind::InvalidInput,
        builtin: Some("ValueError"),
        doc: "An argument or a field of an input document is invalid; `field`, `value` and \
              `reason` say which and why.",
    },
    ClassSpec {
        name: "PolicyError",
        kind: ErrorKind::PolicyInvalid,
        builtin: Some("ValueError"),
        doc: "A policy document failed validation; `problems` lists every problem with its \
              path.",
    },
    ClassSpec {
        name: "InvalidTransition",
        kind: ErrorKind::InvalidTransition,
        builtin: None,
        doc: "A status change that the transition table does not allow.",
    },
    ClassSpec {
        name: "NotFound",
        kind: ErrorKind::NotFound,
        builtin: Some("LookupError"),
        doc: "The requested record does not exist (or belongs to another tenant); `what` and \
              `id` say which.",
    },
    ClassSpec {
        name: "Conflict",
        kind: ErrorKind::Conflict,
        builtin: None,
        doc: "A write lost an optimistic-concurrency race or a lease; re-read and retry.",
    },
    ClassSpec {
        name: "OutOfRange",
        kind: ErrorKind::OutOfRange,
        builtin: Some("ValueError"),
        doc: "No answer exists within the supported range (1900-01-01 to 2201-01-01 UTC).",
    },
    ClassSpec {
        name: "PortError",
        kind: ErrorKind::Port,
        builtin: None,
        doc: "A port (ProfileSource, Notifier, Pager, AgentDirectory) failed.",
    },
    ClassSpec {
        name: "Timeout",
        kind: ErrorKind::Timeout,
        builtin: Some("TimeoutError"),
        doc: "A port did not answer in time.",
    },
    ClassSpec {
        name: "StoreError",
        kind: ErrorKind::Storage,
        builtin: None,
        doc: "The ticket store failed; `is_retryable` tells whether trying again may help.",
    },
    ClassSpec {
        name: "NotSupported",
        kind: ErrorKind::NotSupported,
        builtin: Some("NotImplementedError"),
        doc: "The adapter does not implement this optional operation.",
    },
    ClassSpec {
        name: "InternalError",
        kind: ErrorKind::Internal,
        builtin: None,
        doc: "A bug in the engine (a broken invariant or a panic in Rust); please report it.",
    },
];

/// The created classes: the base, then one per entry of [`CLASSES`], in order.
struct Classes {
    base: Py<PyType>,
    by_kind: Vec<(ErrorKind, &'static str, Py<PyType>)>,
}

static CLASS_TABLE: PyOnceLock<Classes> = PyOnceLock::new();
static PERMANENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `escalation.PermanentFailure`: raised by a host's port to say "do not retry".
pub(crate) fn permanent_failure(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    PERMANENT
        .get_or_try_init(py, || {
            make_class(
                py,
                "PermanentFailure",
                PyTuple::new(py, [py.get_type::<PyException>()])?,
                "Raised by a port (ProfileSource, Notifier, Pager, AgentDirectory) to say that \
                 retrying the same call will not help: the engine gives up on it at once \
                 (a notification is dead-lettered). Any other exception is retried.",
                "PORT_FAILED",
            )
            .map(Bound::unbind)
        })
        .map(|class| class.bind(py))
}

/// Creates `class NAME(*bases)` in module `escalation` with the class attributes of `dict`.
fn make_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: Bound<'py, PyTuple>,
    doc: &str,
    kind: &str,
) -> PyResult<Bound<'py, PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "escalation")?;
    dict.set_item("__qualname__", name)?;
    dict.set_item("__doc__", doc)?;
    dict.set_item("kind", kind)?;
    dict.set_item("is_retryable", false)?;
    Ok(py
        .get_type::<PyType>()
        .call1((name, bases, dict))?
        .cast_into::<PyType>()?)
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    CLASS_TABLE.get_or_try_init(py, || {
        let base = make_class(
            py,
            "EscalationError",
            PyTuple::new(py, [py.get_type::<PyException>()])?,
            "The base class of every error the engine reports. `kind` is its stable code \
             (\"POLICY_INVALID\", \"NOT_FOUND\", ...); `is_retryable` says whether the same call \
             may succeed if tried again.",
            "INTERNAL",
        )?;
        let builtins = py.import("builtins")?;
        let mut by_kind = Vec::with_capacity(CLASSES.len());
        for spec in CLASSES {
            let bases = match spec.builtin {
                Some(builtin) => PyTuple::new(py, [base.as_any(), &builtins.getattr(builtin)?])?,
                None => PyTuple::new(py, [&base])?,
            };
            let class = make_class(py, spec.name, bases, spec.doc, spec.kind.code())?;
            by_kind.push((spec.kind, spec.name, class.unbind()));
        }
        Ok(Classes {
            base: base.unbind(),
            by_kind,
        })
    })
}

/// Adds `EscalationError` and its subclasses to module `m`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let table = classes(py)?;
    m.add("EscalationError", table.base.bind(py))?;
    for (_, name, class) in &table.by_kind {
        m.add(*name, class.bind(py))?;
    }
    m.add("PermanentFailure", permanent_failure(py)?)?;
    Ok(())
}

/// The class of `kind` (the base for a kind this binding does not know yet).
fn class_of(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyType>> {
    let table = classes(py)?;
    Ok(table
        .by_kind
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or(&table.base, |(_, _, class)| class)
        .bind(py)
        .clone())
}

/// Converts a core error into the exception of its kind, with its attributes set; `context`
/// (e.g. `starts[3]`) prefixes the message.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error, context: Option<&str>) -> PyErr {
    match build(py, err, context) {
        Ok(exception) => exception,
        Err(failed) => failed,
    }
}

/// An exception of `kind` with `message`, for errors the binding itself finds (a fork).
pub(crate) fn raise(py: Python<'_>, kind: ErrorKind, message: String) -> PyErr {
    let made = class_of(py, kind).and_then(|class| {
        let exception = class.call1((message,))?;
        exception.setattr("kind", kind.code())?;
        exception.setattr("is_retryable", false)?;
        Ok(PyErr::from_value(exception))
    });
    match made {
        Ok(exception) => exception,
        Err(failed) => failed,
    }
}

fn build(py: Python<'_>, err: &Error, context: Option<&str>) -> PyResult<PyErr> {
    let message = match context {
        Some(context) => format!("{context}: {err}"),
        None => err.to_string(),
    };
    let exception = class_of(py, err.kind())?.call1((message,))?;
    exception.setattr("kind", err.kind().code())?;
    exception.setattr("is_retryable", err.is_retryable())?;
    match err {
        Error::InvalidInput {
            field,
            value,
            reason,
        } => {
            exception.setattr("field", field)?;
            exception.setattr("value", value)?;
            exception.setattr("reason", reason)?;
        }
        Error::PolicyInvalid { problems } => {
            let list = PyList::empty(py);
            for problem in problems {
                list.append(PyPolicyProblem::from(problem.clone()))?;
            }
            exception.setattr("problems", list)?;
        }
        Error::NotFound { what, id } => {
            exception.setattr("what", *what)?;
            exception.setattr("id", id)?;
        }
        _ => {}
    }
    Ok(PyErr::from_value(exception))
}

/// `Result<T, escalation_core::Error>` to `PyResult<T>` (the orphan rule forbids a `From`).
pub(crate) trait IntoPyResult<T> {
    /// Converts the error with [`to_py_err`].
    fn into_py_result(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    #[inline]
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e, None))
    }
}

/// Runs an entry point's body, turning a panic into `InternalError`.
#[inline]
pub(crate) fn guard<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(panic_error(py, payload.as_ref())),
    }
}

#[cold]
fn panic_error(py: Python<'_>, payload: &(dyn Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let err = Error::Internal(format!(
        "panic in the Rust engine: {what}; please report it"
    ));
    to_py_err(py, &err, None)
}
