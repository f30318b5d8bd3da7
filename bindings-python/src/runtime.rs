//! The binding's tokio runtime, and `Call`: one engine call that is either waited for
//! (`Engine`) or awaited (`AsyncEngine`).
//!
//! One runtime per process, built on first use. A process forked from one that had built it
//! gets its own on first use (the parent's worker threads do not exist in the child); objects
//! that hold threads or connections of the parent (engines and stores) refuse to work in the
//! child with a clear message instead of hanging ([`Owner::check`]).

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use escalation_core::error::Error;
use pyo3::intern;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use escalation_core::error::ErrorKind;

use crate::error::{IntoPyResult, guard, raise, to_py_err};

/// Turns a call's answer into its Python value, once the GIL is held again.
pub(crate) type Convert = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;
/// A call's work, not started yet.
pub(crate) type Pending = Pin<Box<dyn Future<Output = Result<Convert, Error>> + Send>>;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The runtime of this process, built on first use (and again in a forked child).
pub(crate) fn runtime() -> Result<Arc<Runtime>, Error> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, rt)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(rt.clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("escalation-worker")
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the tokio runtime: {e}")))?;
    let rt = Arc::new(rt);
    if let Some((_, old)) = slot.replace((pid, rt.clone())) {
        // The parent's runtime: its threads are not in this process, so it can't be shut
        // down here; leak it rather than block on threads that will never answer.
        std::mem::forget(old);
    }
    Ok(rt)
}

/// The process an object with threads or connections was made in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Owner {
    pid: u32,
    what: &'static str,
}

impl Owner {
    pub(crate) fn here(what: &'static str) -> Owner {
        Owner {
            pid: std::process::id(),
            what,
        }
    }

    /// Fails with `NotSupported` when called in a forked child of the process that made
    /// the object.
    pub(crate) fn check(&self, py: Python<'_>) -> PyResult<()> {
        if std::process::id() == self.pid {
            return Ok(());
        }
        Err(raise(
            py,
            ErrorKind::NotSupported,
            format!(
                "this {} was created in process {} and cannot be used in process {} forked \
                 from it (its threads and connections stay in the parent); create it in the \
                 child, e.g. in gunicorn's post_fork hook or lazily in each worker",
                self.what,
                self.pid,
                std::process::id()
            ),
        ))
    }
}

/// One engine call: `wait()` runs it to completion on this thread with the GIL released
/// (`Engine`), `await` runs it on the runtime while the event loop goes on (`AsyncEngine`).
/// A call runs once.
#[pyclass(module = "escalation._native", name = "Call", frozen)]
pub struct PyCall {
    work: Mutex<Option<Pending>>,
}

impl PyCall {
    pub(crate) fn new(work: Pending) -> PyCall {
        PyCall {
            work: Mutex::new(Some(work)),
        }
    }

    fn take(&self) -> Result<Pending, Error> {
        self.work
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| Error::InvalidInput {
                field: "call".into(),
                value: "already run".into(),
                reason: "an engine call runs once".into(),
            })
    }
}

/// Runs `work` to completion on the calling thread, with the GIL released.
pub(crate) fn wait(py: Python<'_>, work: Pending) -> PyResult<Py<PyAny>> {
    let rt = runtime().into_py_result(py)?;
    let done =
        py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(work))));
    match done {
        Ok(Ok(convert)) => guard(py, || convert(py)),
        Ok(Err(e)) => Err(to_py_err(py, &e, None)),
        Err(_) => guard(py, || {
            std::panic::panic_any("the engine call panicked with the GIL released")
        }),
    }
}

tokio::task_local! {
    /// The asyncio loop of the `AsyncEngine` call in progress: `async def` ports are awaited
    /// on it. Unset under `Engine`, whose calls have no loop to lend.
    pub(crate) static EVENT_LOOP: Arc<Py<PyAny>>;
}

/// Settles an asyncio future on its loop's thread (`loop.call_soon_threadsafe(settle)`),
/// unless it was cancelled meanwhile.
#[pyclass(module = "escalation._native", name = "_Settle", frozen)]
struct Settle {
    future: Py<PyAny>,
    outcome: Mutex<Option<PyResult<Py<PyAny>>>>,
}

impl Settle {
    fn new(future: Py<PyAny>, outcome: PyResult<Py<PyAny>>) -> Settle {
        Settle {
            future,
            outcome: Mutex::new(Some(outcome)),
        }
    }
}

/// A finished call's answer as Python sees it: its value, or the exception.
fn outcome(
    py: Python<'_>,
    done: std::thread::Result<Result<Convert, Error>>,
) -> PyResult<Py<PyAny>> {
    match done {
        Ok(Ok(convert)) => guard(py, || convert(py)),
        Ok(Err(e)) => Err(to_py_err(py, &e, None)),
        Err(_) => guard(py, || {
            std::panic::panic_any("the engine call panicked on the runtime")
        }),
    }
}

#[pymethods]
impl Settle {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let future = self.future.bind(py);
        if future.call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        match self
            .outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(Ok(value)) => future.call_method1("set_result", (value,))?,
            Some(Err(error)) => future.call_method1("set_exception", (error.into_value(py),))?,
            None => return Ok(()),
        };
        Ok(())
    }
}

/// Aborts the call's task when its asyncio future is cancelled.
#[pyclass(module = "escalation._native", name = "_CancelOnDone", frozen)]
struct CancelOnDone {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            self.task.abort();
        }
        Ok(())
    }
}

#[pymethods]
impl PyCall {
    /// Runs the call on this thread with the GIL released and returns its answer.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let work = self.take().into_py_result(py)?;
        wait(py, work)
    }

    /// Awaits the call: it runs on the runtime while the event loop goes on. Cancelling the
    /// awaiting task drops the call's work.
    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let work = self.take().into_py_result(py)?;
            let rt = runtime().into_py_result(py)?;
            let event_loop = py
                .import(intern!(py, "asyncio"))?
                .call_method0(intern!(py, "get_running_loop"))?;
            let future = event_loop.call_method0(intern!(py, "create_future"))?;
            let mut work = Box::pin(EVENT_LOOP.scope(
                Arc::new(event_loop.clone().unbind()),
                AssertUnwindSafe(work).catch_unwind(),
            ));
            // Most calls on a memory store finish in their first poll: run that poll here,
            // with the GIL released, and settle the future at once (no thread hand-off, no
            // turn of the event loop). A call that has to wait (I/O, a port) goes on polling
            // on the runtime, which registers its own wakers, and settles the future through
            // `call_soon_threadsafe`.
            let first = py.detach(|| {
                let _context = rt.enter();
                work.as_mut().poll(&mut Context::from_waker(Waker::noop()))
            });
            if let Poll::Ready(done) = first {
                Settle::new(future.clone().unbind(), outcome(py, done)).__call__(py)?;
                return future.call_method0(intern!(py, "__await__"));
            }
            let (loop_ref, future_ref) = (event_loop.unbind(), future.clone().unbind());
            let handle = rt.spawn(async move {
                let done = work.await;
                Python::attach(|py| {
                    let settle = Settle::new(future_ref, outcome(py, done));
                    // Fails only when the loop is closed: nobody is waiting any more.
                    let _ = loop_ref
                        .bind(py)
                        .call_method1(intern!(py, "call_soon_threadsafe"), (settle,));
                });
            });
            future.call_method1(
                intern!(py, "add_done_callback"),
                (CancelOnDone {
                    task: handle.abort_handle(),
                },),
            )?;
            future.call_method0(intern!(py, "__await__"))
        })
    }
}
