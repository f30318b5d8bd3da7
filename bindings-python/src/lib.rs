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
mod clock;
mod datetime;
mod effect;
mod engine;
mod error;
mod json;
mod log;
mod memory;
mod model;
mod policy;
mod ports;
mod record;
mod report;
mod runtime;
mod store;
mod task;

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
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<engine::PySweepReport>()?;
    m.add_class::<engine::PyDispatchReport>()?;
    m.add_class::<engine::PyCleanupReport>()?;
    m.add_class::<engine::PyExplanation>()?;
    m.add_class::<runtime::PyCall>()?;
    m.add_class::<model::PyTicket>()?;
    m.add_class::<model::PySlaClock>()?;
    m.add_class::<model::PyPageState>()?;
    m.add_class::<model::PyCustomerProfile>()?;
    m.add_class::<model::PyAgent>()?;
    m.add_class::<model::PyTeam>()?;
    m.add_class::<log::PyLogEntry>()?;
    m.add_class::<task::PyEscalationTask>()?;
    m.add_class::<effect::PyEffect>()?;
    m.add_class::<report::PyWeeklyReport>()?;
    m.add_class::<report::PyArtReport>()?;
    m.add_class::<ports::PyNotification>()?;
    m.add_class::<ports::PyPage>()?;
    m.add_class::<memory::PyMemoryStore>()?;
    m.add_class::<memory::PyMemoryProfiles>()?;
    m.add_class::<memory::PyMemoryDirectory>()?;
    m.add_class::<memory::PyMemoryNotifier>()?;
    m.add_class::<memory::PyMemoryPager>()?;
    m.add_class::<store::PySqliteStore>()?;
    m.add_class::<store::PyPostgresStore>()?;
    m.add_class::<clock::PyManualClock>()?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(calendar::_time_rust_add, m)?)?;
    m.add_function(wrap_pyfunction!(engine::_time_rust_create_ticket, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // For the bench, which warns when it measures a debug build.
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    m.add("_BUILD_PROFILE", profile)?;
    let all = [
        "Agent",
        "ArtReport",
        "BusinessCalendar",
        "CleanupReport",
        "Conflict",
        "CustomerProfile",
        "DispatchReport",
        "Effect",
        "Engine",
        "EscalationError",
        "EscalationTask",
        "Explanation",
        "InternalError",
        "InvalidInput",
        "InvalidTransition",
        "LogEntry",
        "ManualClock",
        "MemoryDirectory",
        "MemoryNotifier",
        "MemoryPager",
        "MemoryProfiles",
        "MemoryStore",
        "NotFound",
        "NotSupported",
        "Notification",
        "OutOfRange",
        "Page",
        "PageState",
        "PermanentFailure",
        "Policy",
        "PolicyError",
        "PolicyProblem",
        "PortError",
        "PostgresStore",
        "SlaClock",
        "SqliteStore",
        "StoreError",
        "SweepReport",
        "Team",
        "Ticket",
        "Timeout",
        "WeeklyReport",
    ];
    m.add("__all__", all.to_vec())?;
    Ok(())
}
