//! The in-memory adapters, for tests, simulations and single-process hosts
//! ([`escalation_core::memory`]): `MemoryStore`, `MemoryProfiles`, `MemoryDirectory`,
//! `MemoryNotifier` and `MemoryPager`.

use std::sync::Arc;

use escalation_core::memory::{
    MemoryDirectory, MemoryNotifier, MemoryPager, MemoryProfiles, MemoryStore, PagerCall,
};
use escalation_core::model::{AgentId, TenantId};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::error::{IntoPyResult, guard};
use crate::model::{PyAgent, PyCustomerProfile, PyTeam};
use crate::ports::{PyNotification, PyPage};
use crate::record::record_arg;

/// A ticket store in memory: fast, shared by the engines of one process, gone at exit.
#[pyclass(module = "escalation", name = "MemoryStore", frozen)]
pub struct PyMemoryStore {
    pub(crate) inner: Arc<MemoryStore>,
}

#[pymethods]
impl PyMemoryStore {
    #[new]
    fn new() -> PyMemoryStore {
        PyMemoryStore {
            inner: Arc::new(MemoryStore::new()),
        }
    }

    /// Tickets held.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!("MemoryStore(tickets={})", self.inner.len())
    }
}

/// Customer profiles in memory: a ProfileSource for tests and simulations.
#[pyclass(module = "escalation", name = "MemoryProfiles", frozen)]
pub struct PyMemoryProfiles {
    pub(crate) inner: Arc<MemoryProfiles>,
}

#[pymethods]
impl PyMemoryProfiles {
    #[new]
    fn new() -> PyMemoryProfiles {
        PyMemoryProfiles {
            inner: Arc::new(MemoryProfiles::new()),
        }
    }

    /// Adds (or replaces) a profile: a `CustomerProfile` or its dict form.
    #[pyo3(signature = (profile, *, tenant = "default"))]
    fn add(&self, py: Python<'_>, profile: &Bound<'_, PyAny>, tenant: &str) -> PyResult<()> {
        guard(py, || {
            let profile = record_arg(profile, "profile", |p: &PyCustomerProfile| {
                (*p.inner).clone()
            })?;
            self.inner.insert(&TenantId::from(tenant), profile);
            Ok(())
        })
    }
}

/// Agents and teams in memory: an AgentDirectory for tests and simulations.
#[pyclass(module = "escalation", name = "MemoryDirectory", frozen)]
pub struct PyMemoryDirectory {
    pub(crate) inner: Arc<MemoryDirectory>,
}

#[pymethods]
impl PyMemoryDirectory {
    #[new]
    fn new() -> PyMemoryDirectory {
        PyMemoryDirectory {
            inner: Arc::new(MemoryDirectory::new()),
        }
    }

    /// Adds (or replaces) an agent: an `Agent` or its dict form.
    #[pyo3(signature = (agent, *, tenant = "default"))]
    fn add_agent(&self, py: Python<'_>, agent: &Bound<'_, PyAny>, tenant: &str) -> PyResult<()> {
        guard(py, || {
            let agent = record_arg(agent, "agent", |a: &PyAgent| (*a.inner).clone())?;
            self.inner.upsert_agent(&TenantId::from(tenant), agent);
            Ok(())
        })
    }

    /// Adds (or replaces) a team: a `Team` or its dict form.
    #[pyo3(signature = (team, *, tenant = "default"))]
    fn add_team(&self, py: Python<'_>, team: &Bound<'_, PyAny>, tenant: &str) -> PyResult<()> {
        guard(py, || {
            let team = record_arg(team, "team", |t: &PyTeam| (*t.inner).clone())?;
            self.inner.upsert_team(&TenantId::from(tenant), team);
            Ok(())
        })
    }

    /// Marks an agent available or away.
    ///
    /// Raises `NotFound` for an unknown agent.
    #[pyo3(signature = (agent, available, *, tenant = "default"))]
    fn set_available(
        &self,
        py: Python<'_>,
        agent: &str,
        available: bool,
        tenant: &str,
    ) -> PyResult<()> {
        guard(py, || {
            self.inner
                .set_available(&TenantId::from(tenant), &AgentId::from(agent), available)
                .into_py_result(py)
        })
    }
}

/// A Notifier that keeps what it was sent (a repeated key counts once).
#[pyclass(module = "escalation", name = "MemoryNotifier", frozen)]
pub struct PyMemoryNotifier {
    pub(crate) inner: Arc<MemoryNotifier>,
}

#[pymethods]
impl PyMemoryNotifier {
    #[new]
    fn new() -> PyMemoryNotifier {
        PyMemoryNotifier {
            inner: Arc::new(MemoryNotifier::new()),
        }
    }

    /// Distinct notifications delivered, in order.
    fn delivered(&self) -> Vec<PyNotification> {
        self.inner
            .delivered()
            .into_iter()
            .map(PyNotification::wrap)
            .collect()
    }

    /// Raw `send` calls, repeats included.
    #[getter]
    fn calls(&self) -> u64 {
        self.inner.calls()
    }
}

/// A Pager that records its calls and keeps incident state per dedup key.
#[pyclass(module = "escalation", name = "MemoryPager", frozen)]
pub struct PyMemoryPager {
    pub(crate) inner: Arc<MemoryPager>,
}

#[pymethods]
impl PyMemoryPager {
    #[new]
    fn new() -> PyMemoryPager {
        PyMemoryPager {
            inner: Arc::new(MemoryPager::new()),
        }
    }

    /// Every call, in order: `("trigger", Page)` or `("resolve", dedup_key)`.
    fn calls<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        self.inner
            .calls()
            .into_iter()
            .map(|call| match call {
                PagerCall::Trigger(page) => {
                    let page = Bound::new(py, PyPage::wrap(page))?.into_any();
                    PyTuple::new(py, [PyString::new(py, "trigger").into_any(), page])
                }
                PagerCall::Resolve(key) => PyTuple::new(py, ["resolve", &*key]),
            })
            .collect()
    }

    /// The pages triggered, in order, repeats included.
    fn triggered(&self) -> Vec<PyPage> {
        self.inner
            .calls()
            .into_iter()
            .filter_map(|call| match call {
                PagerCall::Trigger(page) => Some(PyPage::wrap(page)),
                PagerCall::Resolve(_) => None,
            })
            .collect()
    }

    /// The dedup keys resolved, in order.
    fn resolved(&self) -> Vec<String> {
        self.inner
            .calls()
            .into_iter()
            .filter_map(|call| match call {
                PagerCall::Resolve(key) => Some(key.to_string()),
                PagerCall::Trigger(_) => None,
            })
            .collect()
    }

    /// Whether the incident of `dedup_key` is open (triggered, not resolved).
    fn is_open(&self, dedup_key: &str) -> bool {
        self.inner.is_open(dedup_key)
    }
}
