//! `escalation._native.Engine`: the engine over [`escalation_core::Engine`], whose every
//! method returns a `Call` that the public `escalation.Engine` waits for and
//! `escalation.AsyncEngine` awaits (`escalation/_engine.py`). Also the answers that are not
//! records of the model: `SweepReport`, `DispatchReport`, `CleanupReport` and `Explanation`.
//!
//! Each method converts its arguments with the GIL held, then hands the core call to a
//! `Call`; the answer is converted back when the call completes.

use std::str::FromStr;
use std::sync::Arc;

use chrono_tz::Tz;
use escalation_core::engine::{DispatchReport, Explanation};
use escalation_core::error::Error;
use escalation_core::model::{
    AgentId, Channel, CustomerId, Impact, NewTicket, Priority, TenantId, TicketEvent, TicketId,
    TicketRef,
};
use escalation_core::ports::{AgentDirectory, Notifier, Pager, ProfileSource, TicketStore};
use escalation_core::report::{IsoWeek, ReportOptions};
use escalation_core::{CleanupReport, Engine, SweepReport};
use pyo3::prelude::*;
use pyo3::types::PyInt;
use tokio::sync::watch;

use crate::calendar::PyBusinessCalendar;
use crate::clock::PyManualClock;
use crate::datetime::{to_utc, type_name};
use crate::error::{IntoPyResult, guard};
use crate::memory::{
    PyMemoryDirectory, PyMemoryNotifier, PyMemoryPager, PyMemoryProfiles, PyMemoryStore,
};
use crate::model::PyTicket;
use crate::policy::PyPolicy;
use crate::ports::HostPort;
use crate::record::{Doc, Out, from_doc, view};
use crate::runtime::{Convert, Owner, PyCall};
use crate::store::{PyPostgresStore, PySqliteStore};

view! {
    /// What one sweep did.
    PySweepReport("SweepReport", SweepReport)
    repr |r| format!("SweepReport(claimed={}, assigned={}, rescored={}, profiles_fetched={}, conflicts={})", r.claimed, r.assigned, r.rescored, r.profiles_fetched, r.conflicts);
    {
        /// Due tickets claimed.
        claimed => |r| r.claimed,
        /// Queued tickets that got an agent.
        assigned => |r| r.assigned,
        /// Tickets whose priority band changed on rescoring.
        rescored => |r| r.rescored,
        /// Profiles that arrived on a retry.
        profiles_fetched => |r| r.profiles_fetched,
        /// Tickets another writer changed first.
        conflicts => |r| r.conflicts,
    }
}

view! {
    /// What one dispatch did.
    PyDispatchReport("DispatchReport", DispatchReport)
    repr |r| format!("DispatchReport(claimed={}, delivered={}, retried={}, dead_lettered={}, conflicts={})", r.claimed, r.delivered, r.retried, r.dead_lettered, r.conflicts);
    {
        /// Due effects claimed.
        claimed => |r| r.claimed,
        /// Delivered.
        delivered => |r| r.delivered,
        /// Failed and scheduled again.
        retried => |r| r.retried,
        /// Given up on.
        dead_lettered => |r| r.dead_lettered,
        /// Effects another dispatcher finished first.
        conflicts => |r| r.conflicts,
    }
}

view! {
    /// What retention did, or would do on a dry run.
    PyCleanupReport("CleanupReport", CleanupReport)
    repr |r| format!("CleanupReport(dry_run={}, archived={}, deleted_drafts={}, deleted_tasks={}, pruned_log_entries={})", if r.dry_run { "True" } else { "False" }, r.archived.len(), r.deleted_drafts.len(), r.deleted_tasks.len(), r.pruned_log_entries);
    {
        /// Whether nothing was changed.
        dry_run => |r| r.dry_run,
        /// Tickets archived.
        archived => |r| r.archived,
        /// Drafts deleted.
        deleted_drafts => |r| r.deleted_drafts,
        /// Escalation tasks deleted.
        deleted_tasks => |r| r.deleted_tasks,
        /// Log entries pruned.
        pruned_log_entries => |r| r.pruned_log_entries,
    }
}

view! {
    /// Why a ticket's priority and deadlines are what they are.
    PyExplanation("Explanation", Explanation)
    repr |e| format!("Explanation(ticket={:?}, priority={:?}, targets={})", e.ticket.to_string(), e.priority.as_str(), e.targets.len());
    {
        /// The priority in force.
        priority => |e| e.priority,
        /// The score and its breakdown (a dict).
        score => |e| Doc(&e.score),
        /// The override, if any (a dict).
        priority_override => |e| e.priority_override.as_ref().map(Doc),
        /// The policy version the clocks were started under.
        policy_version => |e| e.policy_version,
        /// One dict per SLA clock: rule, calendar, budget, state, deadline, segments,
        /// holidays skipped, pauses and warnings.
        targets => |e| Doc(&e.targets),
    }
}

/// A port argument: ours (`Memory*`), or any Python object with the port's methods.
fn host_port(
    object: &Bound<'_, PyAny>,
    port: &'static str,
    methods: &[&'static str],
    required: &[&'static str],
) -> PyResult<Arc<HostPort>> {
    Ok(Arc::new(HostPort::new(object, port, methods, required)?))
}

fn ours<T: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync, R>(
    object: &Bound<'_, PyAny>,
    get: impl Fn(&T) -> R,
) -> Option<R> {
    object.cast::<T>().ok().map(|o| get(o.get()))
}

/// The engine, native half. See `escalation/_engine.py` for the public classes.
#[pyclass(module = "escalation._native", name = "Engine", frozen)]
pub struct PyEngine {
    engine: Engine,
    owner: Owner,
    /// The store's owner too: a forked child can't use the parent's store.
    store_owner: Option<Owner>,
    policy: Py<PyPolicy>,
    /// Counts `stop()` calls; `run` ends when it changes.
    stops: watch::Sender<u64>,
}

/// Wraps a core call whose answer converts with [`Out`].
fn call<T: Out + Send + 'static>(
    work: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> PyCall {
    PyCall::new(Box::pin(async move {
        let value = work.await?;
        let convert: Convert = Box::new(move |py| Ok(value.out(py)?.unbind()));
        Ok(convert)
    }))
}

impl PyEngine {
    fn check(&self, py: Python<'_>) -> PyResult<()> {
        self.owner.check(py)?;
        if let Some(owner) = &self.store_owner {
            owner.check(py)?;
        }
        Ok(())
    }

    /// A ticket argument: a `Ticket`, or an id in `tenant`.
    fn key(&self, ticket: &Bound<'_, PyAny>, tenant: Option<&str>) -> PyResult<TicketRef> {
        if let Ok(t) = ticket.cast::<PyTicket>() {
            return Ok(t.get().inner.key());
        }
        if ticket.is_instance_of::<PyInt>() {
            let id: u64 = ticket.extract().map_err(|_| {
                crate::error::to_py_err(
                    ticket.py(),
                    &Error::invalid(
                        "ticket",
                        crate::datetime::repr(ticket),
                        "must be an id >= 0",
                    ),
                    None,
                )
            })?;
            return Ok(TicketRef::new(
                TenantId::from(tenant.unwrap_or("default")),
                TicketId(id),
            ));
        }
        Err(crate::error::to_py_err(
            ticket.py(),
            &Error::invalid(
                "ticket",
                type_name(ticket),
                "must be a Ticket or a ticket id (int)",
            ),
            None,
        ))
    }

    /// A call on one ticket: checks the process, reads the ticket argument, and hands the
    /// engine and the ticket's address to `work`.
    fn on_ticket<T, F>(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        tenant: Option<&str>,
        work: impl FnOnce(Engine, TicketRef) -> F,
    ) -> PyResult<PyCall>
    where
        T: Out + Send + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        guard(py, || {
            self.check(py)?;
            let key = self.key(ticket, tenant)?;
            Ok(call(work(self.engine.clone(), key)))
        })
    }

    /// A call on the engine: checks the process and hands the engine to `work`, which may
    /// fail while reading the call's other arguments.
    fn on_engine<T, F>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(Engine) -> PyResult<F>,
    ) -> PyResult<PyCall>
    where
        T: Out + Send + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        guard(py, || {
            self.check(py)?;
            Ok(call(work(self.engine.clone())?))
        })
    }

    /// A call on a tenant: [`PyEngine::on_engine`] with the tenant too.
    fn on_tenant<T, F>(
        &self,
        py: Python<'_>,
        tenant: &str,
        work: impl FnOnce(Engine, TenantId) -> PyResult<F>,
    ) -> PyResult<PyCall>
    where
        T: Out + Send + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        self.on_engine(py, |e| work(e, TenantId::from(tenant)))
    }
}

fn parse<T: FromStr<Err = Error>>(py: Python<'_>, value: &str) -> PyResult<T> {
    value.parse::<T>().into_py_result(py)
}

#[pymethods]
impl PyExplanation {
    /// The explanation as text: rule, calendar, holidays skipped, pauses and segments.
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

#[pymethods]
impl PyEngine {
    #[new]
    #[pyo3(signature = (policy = None, *, store = None, profiles = None, notifier = None, pager = None, directory = None, clock = None, engine_id = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        policy: Option<Py<PyPolicy>>,
        store: Option<&Bound<'_, PyAny>>,
        profiles: Option<&Bound<'_, PyAny>>,
        notifier: Option<&Bound<'_, PyAny>>,
        pager: Option<&Bound<'_, PyAny>>,
        directory: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyManualClock>>,
        engine_id: Option<String>,
    ) -> PyResult<PyEngine> {
        guard(py, || {
            let policy = match policy {
                Some(p) => p,
                None => Py::new(py, PyPolicy::wrap(escalation_core::Policy::default()))?,
            };
            let mut builder = Engine::builder().policy((*policy.get().inner).clone());
            let mut store_owner = None;
            if let Some(store) = store {
                let chosen: Arc<dyn TicketStore> =
                    if let Some(s) = ours(store, |s: &PyMemoryStore| s.inner.clone()) {
                        s
                    } else if let Some((s, owner)) =
                        ours(store, |s: &PySqliteStore| (s.inner.clone(), s.owner))
                    {
                        owner.check(py)?;
                        store_owner = Some(owner);
                        s
                    } else if let Some((s, owner)) =
                        ours(store, |s: &PyPostgresStore| (s.inner.clone(), s.owner))
                    {
                        owner.check(py)?;
                        store_owner = Some(owner);
                        s
                    } else {
                        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                            "store must be a MemoryStore, SqliteStore or PostgresStore, got {}",
                            type_name(store)
                        )));
                    };
                builder = builder.store(chosen);
            }
            if let Some(p) = profiles {
                let port: Arc<dyn ProfileSource> =
                    match ours(p, |m: &PyMemoryProfiles| m.inner.clone()) {
                        Some(m) => m,
                        None => host_port(p, "ProfileSource", &["get_profile"], &["get_profile"])?,
                    };
                builder = builder.profiles(port);
            }
            if let Some(n) = notifier {
                let port: Arc<dyn Notifier> = match ours(n, |m: &PyMemoryNotifier| m.inner.clone())
                {
                    Some(m) => m,
                    None => host_port(n, "Notifier", &["send"], &["send"])?,
                };
                builder = builder.notifier(port);
            }
            if let Some(p) = pager {
                let port: Arc<dyn Pager> = match ours(p, |m: &PyMemoryPager| m.inner.clone()) {
                    Some(m) => m,
                    None => {
                        host_port(p, "Pager", &["trigger", "resolve"], &["trigger", "resolve"])?
                    }
                };
                builder = builder.pager(port);
            }
            if let Some(d) = directory {
                let port: Arc<dyn AgentDirectory> =
                    match ours(d, |m: &PyMemoryDirectory| m.inner.clone()) {
                        Some(m) => m,
                        None => host_port(d, "AgentDirectory", &["agents", "team"], &["agents"])?,
                    };
                builder = builder.directory(port);
            }
            if let Some(clock) = clock {
                builder = builder.clock(clock.get().inner.clone());
            }
            if let Some(id) = engine_id {
                builder = builder.engine_id(id);
            }
            let engine = builder.build().into_py_result(py)?;
            Ok(PyEngine {
                engine,
                owner: Owner::here("Engine"),
                store_owner,
                policy,
                stops: watch::Sender::new(0),
            })
        })
    }

    /// The policy in force.
    #[getter]
    fn policy(&self, py: Python<'_>) -> Py<PyPolicy> {
        self.policy.clone_ref(py)
    }

    /// The engine's current instant (its clock's), as an aware datetime in UTC.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.engine.now().out(py)
    }

    /// The policy's calendar called `name` (`"always"` is built in), or None.
    fn calendar(&self, py: Python<'_>, name: &str) -> PyResult<Option<PyBusinessCalendar>> {
        guard(py, || {
            self.engine
                .calendar(name)
                .map(|c| PyBusinessCalendar::wrap(py, c.clone()))
                .transpose()
        })
    }

    #[pyo3(signature = (*, customer, category, subject, channel, impact, body, received_at, tenant, draft, intake_key, priority))]
    #[allow(clippy::too_many_arguments)]
    fn create_ticket(
        &self,
        py: Python<'_>,
        customer: &str,
        category: String,
        subject: &str,
        channel: &str,
        impact: &str,
        body: &str,
        received_at: Option<&Bound<'_, PyAny>>,
        tenant: &str,
        draft: bool,
        intake_key: Option<String>,
        priority: Option<&str>,
    ) -> PyResult<PyCall> {
        guard(py, || {
            self.check(py)?;
            let received_at = match received_at {
                Some(t) => to_utc(&"received_at", t)?,
                None => self.engine.now(),
            };
            let new = NewTicket {
                tenant: TenantId::from(tenant),
                customer: CustomerId::from(customer),
                channel: parse::<Channel>(py, channel)?,
                category,
                impact: parse::<Impact>(py, impact)?,
                subject: Arc::from(subject),
                body: Arc::from(body),
                received_at,
                draft,
                intake_key,
                priority_override: priority.map(|p| parse::<Priority>(py, p)).transpose()?,
            };
            let engine = self.engine.clone();
            Ok(call(async move { engine.create_ticket(new).await }))
        })
    }

    /// Records an event given in its dict form (`{"type": "status_changed", ...}`).
    #[pyo3(signature = (ticket, event, *, tenant = None))]
    fn record(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        event: &Bound<'_, PyAny>,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        let event: TicketEvent = guard(py, || from_doc(py, "event", event))?;
        self.on_ticket(py, ticket, tenant, |e, key| async move {
            e.record(key, event).await
        })
    }

    #[pyo3(signature = (ticket, *, summary, root_cause, by, tenant = None))]
    fn resolve(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        summary: String,
        root_cause: String,
        by: String,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(py, ticket, tenant, |e, key| async move {
            e.resolve(key, &summary, &root_cause, &by).await
        })
    }

    #[pyo3(signature = (ticket, *, page, by, tenant = None))]
    fn acknowledge(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        page: String,
        by: String,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(py, ticket, tenant, |e, key| async move {
            e.acknowledge(key, &page, &by).await
        })
    }

    #[pyo3(signature = (ticket, *, tenant = None))]
    fn recalculate(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(py, ticket, tenant, |e, key| async move {
            e.recalculate(key).await
        })
    }

    #[pyo3(signature = (ticket, *, tenant = None))]
    fn ticket(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(
            py,
            ticket,
            tenant,
            |e, key| async move { e.ticket(key).await },
        )
    }

    #[pyo3(signature = (ticket, *, tenant = None))]
    fn log(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(py, ticket, tenant, |e, key| async move { e.log(key).await })
    }

    #[pyo3(signature = (ticket, *, tenant = None))]
    fn effects(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(
            py,
            ticket,
            tenant,
            |e, key| async move { e.effects(key).await },
        )
    }

    #[pyo3(signature = (ticket, *, tenant = None))]
    fn explain(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        tenant: Option<&str>,
    ) -> PyResult<PyCall> {
        self.on_ticket(
            py,
            ticket,
            tenant,
            |e, key| async move { e.explain(key).await },
        )
    }

    fn sweep(&self, py: Python<'_>) -> PyResult<PyCall> {
        self.on_engine(py, |e| Ok(async move { e.sweep().await }))
    }

    fn dispatch(&self, py: Python<'_>) -> PyResult<PyCall> {
        self.on_engine(py, |e| Ok(async move { e.dispatch().await }))
    }

    /// Sweeps and dispatches until `stop()`. With `check_signals`, a signal handler that
    /// raises (Ctrl-C) ends the run with its exception (for the blocking `Engine.run`).
    #[pyo3(signature = (*, check_signals = false))]
    fn run(&self, py: Python<'_>, check_signals: bool) -> PyResult<PyCall> {
        guard(py, || {
            self.check(py)?;
            let engine = self.engine.clone();
            let mut stops = self.stops.subscribe();
            stops.mark_unchanged();
            Ok(PyCall::new(Box::pin(async move {
                let interrupted: Arc<std::sync::Mutex<Option<PyErr>>> = Arc::default();
                let seen = interrupted.clone();
                let shutdown = async move {
                    let stopped = async {
                        let _ = stops.changed().await;
                    };
                    if !check_signals {
                        return stopped.await;
                    }
                    let signals = async {
                        loop {
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                            if let Err(e) = Python::attach(|py| py.check_signals()) {
                                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                                return;
                            }
                        }
                    };
                    futures::future::select(Box::pin(stopped), Box::pin(signals)).await;
                };
                let result = engine.run(shutdown).await;
                let interrupted = interrupted.lock().unwrap_or_else(|e| e.into_inner()).take();
                result?;
                let convert: Convert = Box::new(move |py| match interrupted {
                    Some(e) => Err(e),
                    None => Ok(py.None()),
                });
                Ok(convert)
            })))
        })
    }

    /// Ends every `run` in progress (they return after their current step).
    fn stop(&self) {
        self.stops.send_modify(|n| *n = n.wrapping_add(1));
    }

    #[pyo3(signature = (*, tenant = "default", ticket = None))]
    fn tasks(&self, py: Python<'_>, tenant: &str, ticket: Option<u64>) -> PyResult<PyCall> {
        self.on_tenant(py, tenant, |e, tenant| {
            Ok(async move { e.tasks(&tenant, ticket.map(TicketId)).await })
        })
    }

    #[pyo3(signature = (task, agent, *, tenant = "default"))]
    fn assign_task(
        &self,
        py: Python<'_>,
        task: String,
        agent: Option<String>,
        tenant: &str,
    ) -> PyResult<PyCall> {
        let agent = agent.as_deref().map(AgentId::from);
        self.on_tenant(py, tenant, |e, tenant| {
            Ok(async move { e.assign_task(&tenant, &task, agent).await })
        })
    }

    #[pyo3(signature = (task, *, tenant = "default"))]
    fn close_task(&self, py: Python<'_>, task: String, tenant: &str) -> PyResult<PyCall> {
        self.on_tenant(py, tenant, |e, tenant| {
            Ok(async move { e.close_task(&tenant, &task).await })
        })
    }

    #[pyo3(signature = (start, end, *, tenant = "default"))]
    fn log_range(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        tenant: &str,
    ) -> PyResult<PyCall> {
        self.on_tenant(py, tenant, |e, tenant| {
            let (from, to) = (to_utc(&"start", start)?, to_utc(&"end", end)?);
            Ok(async move { e.log_range(&tenant, from, to).await })
        })
    }

    #[pyo3(signature = (start, end, *, tenant = "default"))]
    fn metrics(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        tenant: &str,
    ) -> PyResult<PyCall> {
        self.on_tenant(py, tenant, |e, tenant| {
            let (from, to) = (to_utc(&"start", start)?, to_utc(&"end", end)?);
            Ok(async move { e.resolution_metrics(&tenant, from, to).await })
        })
    }

    #[pyo3(signature = (year, week, *, tenant = "default", timezone = "UTC", top = 10, slowest = 10, history_weeks = 8, growth_weeks = 3, jump = 0.5, ticket_url = None))]
    #[allow(clippy::too_many_arguments)]
    fn weekly_report(
        &self,
        py: Python<'_>,
        year: i32,
        week: u32,
        tenant: &str,
        timezone: &str,
        top: usize,
        slowest: usize,
        history_weeks: u32,
        growth_weeks: u32,
        jump: f64,
        ticket_url: Option<String>,
    ) -> PyResult<PyCall> {
        self.on_tenant(py, tenant, |e, tenant| {
            let zone = Tz::from_str(timezone).map_err(|_| {
                crate::error::to_py_err(
                    py,
                    &Error::invalid("timezone", timezone, "not an IANA time zone name"),
                    None,
                )
            })?;
            let options = ReportOptions {
                timezone: zone,
                top,
                slowest,
                history_weeks,
                growth_weeks,
                jump,
                ticket_url,
            };
            Ok(async move {
                e.weekly_report(&tenant, IsoWeek { year, week }, &options)
                    .await
            })
        })
    }

    #[pyo3(signature = (*, tenant = "default", dry_run = false))]
    fn cleanup(&self, py: Python<'_>, tenant: &str, dry_run: bool) -> PyResult<PyCall> {
        self.on_tenant(py, tenant, |e, tenant| {
            Ok(async move { e.cleanup(&tenant, dry_run).await })
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.engine)
    }
}

/// Nanoseconds per `create_ticket` timed in a Rust loop on `engine` (`rounds` tickets of
/// customer `c-1`, category `billing`, received now): the bench's baseline for the
/// binding's overhead.
#[pyfunction]
pub(crate) fn _time_rust_create_ticket(
    py: Python<'_>,
    engine: &Bound<'_, PyEngine>,
    rounds: usize,
) -> PyResult<f64> {
    guard(py, || {
        let engine = engine.get().engine.clone();
        let rt = crate::runtime::runtime().into_py_result(py)?;
        let elapsed = py.detach(|| {
            rt.block_on(async {
                let clock = std::time::Instant::now();
                for _ in 0..rounds {
                    let new = NewTicket::new(
                        "c-1",
                        Channel::Email,
                        "billing",
                        Impact::Question,
                        "bench",
                        engine.now(),
                    );
                    std::hint::black_box(engine.create_ticket(new).await)?;
                }
                Ok::<_, Error>(clock.elapsed())
            })
        });
        let elapsed = elapsed.into_py_result(py)?;
        Ok(elapsed.as_nanos() as f64 / rounds.max(1) as f64)
    })
}
