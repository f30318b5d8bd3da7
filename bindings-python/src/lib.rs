//! The native module of the Python package `escalation` (`escalation._native`).
//!
//! A thin adapter over `escalation-core`: every method converts its arguments, releases the
//! GIL around the core call, and converts the answer or the error. No domain logic lives
//! here. The files mirror the core's modules (`calendar`, `policy`, `error`), plus the
//! conversions they share (`datetime`, `json`, `arrays`).
//!
//! No panic crosses into Python: every entry point that converts arguments or calls the core
//! runs inside `error::guard`, which turns a panic into `escalation.InternalError`, a subclass
//! of `escalation.EscalationError` (the rest, getters and reprs, only copy and format strings).

mod arrays;
mod calendar;
mod datetime;
mod error;
mod json;
mod policy;

use pyo3::prelude::*;

/// Panics inside the binding, to test that a panic surfaces as `EscalationError`; with
/// `detached=True` the panic happens while the GIL is released.
#[pyfunction]
#[pyo3(signature = (detached = false))]
fn _panic_for_test(py: Python<'_>, detached: bool) -> PyResult<()> {
    error::guard(py, || {
        if detached {
            py.detach(|| std::panic::panic_any("injected panic (detached)"));
        }
        std::panic::panic_any("injected panic")
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<calendar::PyBusinessCalendar>()?;
    m.add_class::<policy::PyPolicy>()?;
    m.add_class::<policy::PyPolicyProblem>()?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(calendar::_time_rust_add, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // For the bench, which warns when it measures a debug build.
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    m.add("_BUILD_PROFILE", profile)?;
    let all = [
        "BusinessCalendar",
        "Conflict",
        "EscalationError",
        "InternalError",
        "InvalidInput",
        "InvalidTransition",
        "NotFound",
        "NotSupported",
        "OutOfRange",
        "Policy",
        "PolicyError",
        "PolicyProblem",
        "PortError",
        "StoreError",
        "Timeout",
    ];
    m.add("__all__", all.to_vec())?;
    Ok(())
}
