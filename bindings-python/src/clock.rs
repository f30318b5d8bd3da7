//! `escalation.ManualClock`: a clock that moves only when told to
//! ([`escalation_core::clock::ManualClock`]). Engines use the system clock unless given one.

use std::sync::Arc;

use escalation_core::clock::ManualClock;
use pyo3::prelude::*;

use crate::datetime::{to_delta, to_utc};
use crate::error::guard;
use crate::record::Out;

/// A clock for tests and simulations: it stands still until `set` or `advance` moves it,
/// and then wakes what sleeps on it (the engine's timeouts, `run`'s waits). It never goes
/// backwards: an earlier instant is ignored.
#[pyclass(module = "escalation", name = "ManualClock", frozen)]
pub struct PyManualClock {
    pub(crate) inner: Arc<ManualClock>,
}

#[pymethods]
impl PyManualClock {
    /// A clock stopped at `start` (an aware datetime).
    #[new]
    fn new(py: Python<'_>, start: &Bound<'_, PyAny>) -> PyResult<PyManualClock> {
        guard(py, || {
            Ok(PyManualClock {
                inner: Arc::new(ManualClock::new(to_utc(&"start", start)?)),
            })
        })
    }

    /// The current instant, as an aware datetime in UTC.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        use escalation_core::clock::Clock;
        self.inner.now().out(py)
    }

    /// Moves the clock to `to` (never backwards).
    fn set(&self, py: Python<'_>, to: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let to = to_utc(&"to", to)?;
            py.detach(|| self.inner.set(to));
            Ok(())
        })
    }

    /// Moves the clock forward by `by` (a timedelta).
    fn advance(&self, py: Python<'_>, by: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let by = to_delta(&"by", by)?;
            py.detach(|| self.inner.advance(by));
            Ok(())
        })
    }

    fn __repr__(&self) -> String {
        use escalation_core::clock::Clock;
        format!("ManualClock({:?})", self.inner.now().to_rfc3339())
    }
}
