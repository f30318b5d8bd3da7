//! The ports, for Python: the `Notification` and `Page` records the engine hands a
//! Notifier and a Pager, and the adapters that let any Python object with the right methods
//! serve as a ProfileSource, Notifier, Pager or AgentDirectory ([`escalation_core::ports`]).
//!
//! **Where host code runs.** A port method is called on a tokio blocking thread that
//! attaches to the interpreter, never on a runtime worker: the workers keep serving other
//! calls while Python runs. A method that returns an awaitable (`async def`) is awaited on
//! the event loop of the `AsyncEngine` call that needs it; under the blocking `Engine`,
//! which has no loop to lend, it runs with `asyncio.run` on the blocking thread.
//!
//! **Failures.** `escalation.PermanentFailure` means "do not retry" (a permanent
//! `PortError`); any other exception is a retryable one, with the exception's type and
//! message. The engine's timeouts (`intake.profile_timeout_ms`, `dispatch.timeout_ms`) apply:
//! a method that hangs past them is given up on (an awaited one is cancelled; a blocking one
//! keeps its thread until it returns).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use escalation_core::error::{Error, Result};
use escalation_core::model::{Agent, CustomerId, CustomerProfile, Team, TeamId, TenantId};
use escalation_core::ports::{
    AgentDirectory, Notification, NotificationKind, Notifier, Page, Pager, ProfileSource,
};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use tokio::sync::oneshot;

use crate::model::{PyAgent, PyCustomerProfile, PyTeam};
use crate::record::{Doc, Out, record, record_arg};
use crate::runtime::EVENT_LOOP;

impl Out for NotificationKind {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let name = match self {
            NotificationKind::ManagerAlert => "manager_alert",
            NotificationKind::CustomerNotice => "customer_notice",
            NotificationKind::AgentWarning => "agent_warning",
        };
        name.out(py)
    }
}

record! {
    /// A message for the Notifier to deliver: a manager alert, a customer notice or an agent
    /// warning. `key` is its idempotency key, the same on every retry.
    PyNotification("Notification", Notification)
    repr |n| format!("Notification(key={:?}, to={:?}, subject={:?})", n.key.to_string(), n.to.name.to_string(), n.subject.to_string());
    {
        /// The idempotency key: the same on every retry of this notification.
        key => |n| n.key,
        /// The tenant.
        tenant => |n| n.tenant,
        /// The ticket it is about.
        ticket => |n| n.ticket,
        /// `"manager_alert"`, `"customer_notice"` or `"agent_warning"`.
        kind => |n| n.kind,
        /// The recipient (a dict: `name`, `email`, `phone`).
        to => |n| Doc(&n.to),
        /// The subject line.
        subject => |n| n.subject,
        /// The body.
        body => |n| n.body,
    }
}

record! {
    /// An on-call page for the Pager. Repeats share `dedup_key` and count up `repeat`.
    PyPage("Page", Page)
    repr |p| format!("Page(dedup_key={:?}, ticket={}, severity={:?}, repeat={})", p.dedup_key.to_string(), p.ticket, p.severity.as_str(), p.repeat);
    {
        /// The key shared by the page and its repeats (PagerDuty's dedup key).
        dedup_key => |p| p.dedup_key,
        /// The tenant.
        tenant => |p| p.tenant,
        /// The ticket.
        ticket => |p| p.ticket,
        /// The one-line summary.
        summary => |p| p.summary,
        /// The ticket's priority.
        severity => |p| p.severity,
        /// 0 for the first page, then 1, 2, ... for repeats.
        repeat => |p| p.repeat,
    }
}

/// A Python object serving as a port.
pub(crate) struct HostPort {
    object: Arc<Py<PyAny>>,
    port: &'static str,
    /// The methods that take a `tenant` keyword (looked up once, at construction).
    tenant_aware: Vec<&'static str>,
    /// Methods the object has.
    present: Vec<&'static str>,
}

/// What a port method answered: the converted value, or an awaitable submitted to an event
/// loop (its future is in the call's [`Submission`]) with the conversion still to do.
enum Answer<T, C> {
    Done(T),
    Submitted(C),
}

/// Sends a finished `concurrent.futures.Future` back to the waiting call.
#[pyclass(module = "escalation._native", name = "_Wake", frozen)]
struct Wake {
    sender: std::sync::Mutex<Option<oneshot::Sender<()>>>,
}

#[pymethods]
impl Wake {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        if let Some(sender) = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = sender.send(());
        }
    }
}

/// An awaited port call's `concurrent.futures.Future`, shared by the call and the blocking
/// thread that submits the coroutine, so that a call the engine gives up on (its timeout) is
/// cancelled whenever that happens: after the submission (the guard cancels it) or before it
/// (the submitting thread sees the call abandoned and cancels at once).
#[derive(Default)]
struct Submission {
    future: Option<Py<PyAny>>,
    abandoned: bool,
}

type SharedSubmission = Arc<std::sync::Mutex<Submission>>;

fn lock(shared: &SharedSubmission) -> std::sync::MutexGuard<'_, Submission> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a submitted future (the GIL is held), or cancels it when the call was abandoned.
fn submitted(shared: &SharedSubmission, future: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut submission = lock(shared);
    if submission.abandoned {
        drop(submission);
        future.call_method0(intern!(future.py(), "cancel"))?;
    } else {
        submission.future = Some(future.clone().unbind());
    }
    Ok(())
}

/// Cancels the submitted coroutine when the call is dropped before its answer was taken.
struct CancelOnDrop(SharedSubmission);

impl CancelOnDrop {
    /// The finished future, taken out so that dropping the guard leaves it alone.
    fn take(&self) -> Option<Py<PyAny>> {
        lock(&self.0).future.take()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let future = {
            let mut submission = lock(&self.0);
            submission.abandoned = true;
            submission.future.take()
        };
        if let (Some(future), Ok(handle)) = (future, tokio::runtime::Handle::try_current()) {
            handle.spawn_blocking(move || {
                Python::attach(|py| {
                    let _ = future.bind(py).call_method0("cancel");
                })
            });
        }
    }
}

impl HostPort {
    /// Wraps `object`; `methods` are the methods the port calls, `required` those it must
    /// have.
    pub(crate) fn new(
        object: &Bound<'_, PyAny>,
        port: &'static str,
        methods: &[&'static str],
        required: &[&'static str],
    ) -> PyResult<HostPort> {
        let py = object.py();
        let inspect = py.import(intern!(py, "inspect"))?;
        let mut tenant_aware = Vec::new();
        let mut present = Vec::new();
        for method in methods {
            let Ok(callable) = object.getattr(*method) else {
                if required.contains(method) {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "{port} needs a method {method}(); {} has none",
                        crate::datetime::type_name(object)
                    )));
                }
                continue;
            };
            present.push(*method);
            if let Ok(signature) = inspect.call_method1(intern!(py, "signature"), (&callable,)) {
                let parameters = signature.getattr(intern!(py, "parameters"))?;
                if parameters.contains("tenant")? {
                    tenant_aware.push(*method);
                }
            }
        }
        Ok(HostPort {
            object: Arc::new(object.clone().unbind()),
            port,
            tenant_aware,
            present,
        })
    }

    fn has(&self, method: &str) -> bool {
        self.present.contains(&method)
    }

    /// Calls `method` with the arguments `args` builds, off the runtime's workers, awaits
    /// an awaitable answer, and converts the answer with `convert`.
    async fn call<T: Send + 'static>(
        &self,
        method: &'static str,
        tenant: &TenantId,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>> + Send + 'static,
        convert: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<T> + Send + 'static,
    ) -> Result<T> {
        let port = self.port;
        let object = self.object.clone();
        let tenant = self
            .tenant_aware
            .contains(&method)
            .then(|| tenant.to_string());
        let event_loop = EVENT_LOOP.try_with(Arc::clone).ok();
        let (sender, receiver) = oneshot::channel();
        let cancel = CancelOnDrop(SharedSubmission::default());
        let shared = cancel.0.clone();
        let finished = |e: tokio::task::JoinError| {
            Error::port_transient(port, format!("{method}() did not finish: {e}"))
        };
        // One hop to a blocking thread for a plain answer (call and convert), two for an
        // awaitable (submit; then read the result and convert once the loop is done with it).
        let answer = tokio::task::spawn_blocking(move || {
            Python::attach(|py| -> PyResult<Answer<T, _>> {
                let kwargs = PyDict::new(py);
                if let Some(tenant) = tenant {
                    kwargs.set_item(intern!(py, "tenant"), tenant)?;
                }
                let value = object
                    .bind(py)
                    .getattr(method)?
                    .call(args(py)?, Some(&kwargs))?;
                if !value.hasattr(intern!(py, "__await__"))? {
                    return Ok(Answer::Done(convert(&value)?));
                }
                let asyncio = py.import(intern!(py, "asyncio"))?;
                let Some(event_loop) = event_loop else {
                    let value =
                        asyncio.call_method1(intern!(py, "run"), (coroutine(py, &value)?,))?;
                    return Ok(Answer::Done(convert(&value)?));
                };
                let future = asyncio.call_method1(
                    intern!(py, "run_coroutine_threadsafe"),
                    (coroutine(py, &value)?, event_loop.bind(py)),
                )?;
                future.call_method1(
                    intern!(py, "add_done_callback"),
                    (Wake {
                        sender: std::sync::Mutex::new(Some(sender)),
                    },),
                )?;
                submitted(&shared, &future)?;
                Ok(Answer::Submitted(convert))
            })
            .map_err(|e| failure(port, method, e))
        })
        .await
        .map_err(finished)??;
        let convert = match answer {
            Answer::Done(value) => return Ok(value),
            Answer::Submitted(convert) => convert,
        };
        let _ = receiver.await;
        let future = cancel.take();
        tokio::task::spawn_blocking(move || {
            Python::attach(|py| match future {
                Some(future) => convert(&future.bind(py).call_method0(intern!(py, "result"))?),
                None => convert(&py.None().into_bound(py)),
            })
            .map_err(|e| failure(port, method, e))
        })
        .await
        .map_err(finished)?
    }
}

/// An awaitable as a coroutine (what `run_coroutine_threadsafe` and `asyncio.run` take).
fn coroutine<'py>(py: Python<'py>, awaitable: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let inspect = py.import(intern!(py, "inspect"))?;
    if inspect
        .call_method1(intern!(py, "iscoroutine"), (awaitable,))?
        .is_truthy()?
    {
        return Ok(awaitable.clone());
    }
    // Any other awaitable (a Future, a Task): wrap it.
    py.import(intern!(py, "escalation._ports"))?
        .call_method1(intern!(py, "_await"), (awaitable,))
}

/// A Python exception from a port as a port failure: permanent for `PermanentFailure`.
fn failure(port: &'static str, method: &str, error: PyErr) -> Error {
    Python::attach(|py| {
        let permanent = crate::error::permanent_failure(py)
            .map(|class| error.is_instance(py, class))
            .unwrap_or(false);
        let kind = error
            .get_type(py)
            .name()
            .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
        let message = format!("{method}() raised {kind}: {}", error.value(py));
        if permanent {
            Error::port_permanent(port, message)
        } else {
            Error::port_transient(port, message)
        }
    })
}

#[async_trait]
impl ProfileSource for HostPort {
    async fn profile(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Option<Arc<CustomerProfile>>> {
        let customer = customer.to_string();
        self.call(
            "get_profile",
            tenant,
            move |py| PyTuple::new(py, [customer]),
            |value| {
                if value.is_none() {
                    return Ok(None);
                }
                let profile = record_arg(value, "CustomerProfile", |p: &PyCustomerProfile| {
                    (*p.inner).clone()
                })?;
                Ok(Some(Arc::new(profile)))
            },
        )
        .await
    }
}

#[async_trait]
impl Notifier for HostPort {
    async fn send(&self, notification: &Notification) -> Result<()> {
        let notification = notification.clone();
        self.call(
            "send",
            &notification.tenant.clone(),
            move |py| PyTuple::new(py, [PyNotification::wrap(notification)]),
            |_| Ok(()),
        )
        .await
    }
}

#[async_trait]
impl Pager for HostPort {
    async fn trigger(&self, page: &Page) -> Result<()> {
        let page = page.clone();
        self.call(
            "trigger",
            &page.tenant.clone(),
            move |py| PyTuple::new(py, [PyPage::wrap(page)]),
            |_| Ok(()),
        )
        .await
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        let key = dedup_key.to_owned();
        // The dedup key starts with the tenant (`tenant/ticket/...`).
        let tenant = TenantId::from(key.split('/').next().unwrap_or_default());
        self.call(
            "resolve",
            &tenant,
            move |py| PyTuple::new(py, [key]),
            |_| Ok(()),
        )
        .await
    }
}

#[async_trait]
impl AgentDirectory for HostPort {
    async fn agents(&self, tenant: &TenantId, _at: DateTime<Utc>) -> Result<Arc<[Agent]>> {
        self.call(
            "agents",
            tenant,
            |py| Ok(PyTuple::empty(py)),
            |value| {
                let mut agents = Vec::new();
                for item in value.try_iter()? {
                    let item = item?;
                    agents.push(record_arg(&item, "Agent", |a: &PyAgent| {
                        (*a.inner).clone()
                    })?);
                }
                Ok(Arc::from(agents))
            },
        )
        .await
    }

    async fn team(&self, tenant: &TenantId, team: &TeamId) -> Result<Option<Team>> {
        if !self.has("team") {
            return Ok(None);
        }
        let team = team.to_string();
        self.call(
            "team",
            tenant,
            move |py| PyTuple::new(py, [team]),
            |value| {
                if value.is_none() {
                    return Ok(None);
                }
                record_arg(value, "Team", |t: &PyTeam| (*t.inner).clone()).map(Some)
            },
        )
        .await
    }
}
