//! The ports, for JavaScript: the `Notification` and `Page` records the engine hands a
//! Notifier and a Pager, and [`JsPort`], which lets any JavaScript object with the right
//! methods serve as a ProfileSource, Notifier, Pager or AgentDirectory
//! ([`escalation_core::ports`]).
//!
//! **Where JavaScript runs.** The engine works on napi's tokio runtime; a port method must run
//! on the JavaScript thread. Each `JsPort` owns one threadsafe function that runs Rust
//! closures there (its JavaScript function does nothing; the closure runs in napi's call-JS
//! callback, where the `Env` is at hand and every failure can be caught). A port call queues a
//! closure that calls the method (bound to its object at construction) through a small
//! JavaScript function, `new Promise((answer) => answer(method(...args)))`, so that a plain
//! answer, a Promise and a throw all arrive as one Promise, a thrown value kept as it is; the
//! outcome goes back over a channel the engine's future awaits. The threadsafe function is
//! weak, so it never keeps Node alive, and `engine.close()` releases it.
//!
//! **Failures.** A method that throws, or whose Promise rejects, is a retryable port failure
//! carrying the error's text (`Notifier failed: send(): Error: smtp down`), unless the error has
//! `permanent === true` (a `PermanentFailure`): then the failure is permanent and the effect is
//! dead-lettered at once. An answer the engine cannot read (a malformed profile) is a retryable
//! failure too. Nothing a port does crashes the process. The engine's timeouts
//! (`intake.profile_timeout_ms`, `dispatch.timeout_ms`, on its clock) apply: a port that has
//! not answered by then is given up on, and its Promise is ignored when it settles later.
//!
//! Each method gets the call's tenant as its last argument (JavaScript functions ignore extra
//! arguments).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use escalation_core::error::{Error, Result};
use escalation_core::model::{Agent, CustomerId, CustomerProfile, Team, TeamId, TenantId};
use escalation_core::ports::{
    AgentDirectory, Notification as CoreNotification, NotificationKind, Notifier, Page as CorePage,
    Pager, ProfileSource,
};
use napi::bindgen_prelude::{
    Array, CallbackContext, FromNapiValue, Function, FunctionRef, JsObjectValue,
    JsValuesTupleIntoVec, Object, PromiseRaw, Unknown,
};
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsValue, Status, ValueType, sys};
use napi_derive::napi;
use tokio::sync::oneshot;

use crate::error::Failure;
use crate::model::{JsContact, num};
use crate::options::is_nothing;
use crate::record::from_js;

/// A message for the Notifier to deliver: a manager alert, a customer notice or an agent
/// warning. `key` is its idempotency key, the same on every retry.
#[napi(object, object_from_js = false)]
pub struct Notification {
    /// The idempotency key: the same on every retry of this notification.
    pub key: String,
    /// The tenant.
    pub tenant: String,
    /// The ticket it is about.
    pub ticket: f64,
    /// Who it is for.
    #[napi(ts_type = "NotificationKind")]
    pub kind: String,
    /// The recipient.
    pub to: JsContact,
    /// The subject line.
    pub subject: String,
    /// The body (HTML, escaped).
    pub body: String,
}

impl From<&CoreNotification> for Notification {
    fn from(n: &CoreNotification) -> Self {
        Notification {
            key: n.key.to_string(),
            tenant: n.tenant.to_string(),
            ticket: num(n.ticket.0),
            kind: match n.kind {
                NotificationKind::ManagerAlert => "manager_alert",
                NotificationKind::CustomerNotice => "customer_notice",
                NotificationKind::AgentWarning => "agent_warning",
            }
            .to_owned(),
            to: JsContact::from(&n.to),
            subject: n.subject.to_string(),
            body: n.body.to_string(),
        }
    }
}

/// An on-call page for the Pager. Repeats share `dedupKey` and count up `repeat`.
#[napi(object, object_from_js = false)]
pub struct Page {
    /// The key shared by the page and its repeats (PagerDuty's dedup key).
    pub dedup_key: String,
    /// The tenant.
    pub tenant: String,
    /// The ticket.
    pub ticket: f64,
    /// The one-line summary.
    pub summary: String,
    /// The ticket's priority.
    #[napi(ts_type = "Priority")]
    pub severity: String,
    /// 0 for the first page, then 1, 2, ... for repeats.
    pub repeat: u32,
}

impl From<&CorePage> for Page {
    fn from(p: &CorePage) -> Self {
        Page {
            dedup_key: p.dedup_key.to_string(),
            tenant: p.tenant.to_string(),
            ticket: num(p.ticket.0),
            summary: p.summary.to_string(),
            severity: p.severity.as_str().to_owned(),
            repeat: p.repeat,
        }
    }
}

/// A closure to run on the JavaScript thread.
type Job = Box<dyn FnOnce(&Env) + Send>;

/// Runs [`Job`]s on the JavaScript thread. Weak: it never keeps Node alive.
type JsThread = ThreadsafeFunction<Job, (), (), Status, false, true>;

/// Calls a port method and answers a Promise of its result, whatever the method does: a
/// value, a Promise (or any thenable), a throw (a rejection with the thrown value, kept as it
/// is, so `permanent` can be read off it).
const CALL_PORT: &str =
    "(function callPort(method, args) { return new Promise((answer) => answer(method(...args))) })";

/// The arguments of a JavaScript call, as raw values.
struct Args(Vec<sys::napi_value>);

impl JsValuesTupleIntoVec for Args {
    fn into_vec(self, _env: sys::napi_env) -> napi::Result<Vec<sys::napi_value>> {
        Ok(self.0)
    }
}

/// A JavaScript function kept across calls: a port method (bound to its object) or
/// [`CALL_PORT`].
type Callable = FunctionRef<Args, Unknown<'static>>;

/// Fills in a port method's arguments on the JavaScript thread.
type Fill = Box<dyn FnOnce(&mut Array<'_>) -> napi::Result<()> + Send>;

/// Reads a method's answer on the JavaScript thread.
type Read<T> = fn(&Env, Unknown<'_>) -> std::result::Result<T, Failure>;

/// A port as JavaScript sees it: the engine option that takes it, its name, the methods the
/// engine calls, and those an object must have.
pub(crate) struct PortSpec {
    pub(crate) option: &'static str,
    pub(crate) name: &'static str,
    pub(crate) methods: &'static [&'static str],
    pub(crate) required: &'static [&'static str],
}

/// A JavaScript object serving as a port.
pub(crate) struct JsPort {
    port: &'static str,
    /// `None` once the engine is closed.
    bridge: RwLock<Option<Bridge>>,
}

struct Bridge {
    thread: JsThread,
    call_port: Arc<Callable>,
    methods: Vec<(&'static str, Arc<Callable>)>,
}

impl JsPort {
    /// Wraps `object`, which must have the `spec.required` methods (else a `TypeError` with
    /// code `INVALID_INPUT` naming the option).
    pub(crate) fn new(
        env: &Env,
        object: Unknown<'_>,
        spec: &'static PortSpec,
    ) -> std::result::Result<JsPort, Failure> {
        let port = spec.name;
        if object.get_type()? != ValueType::Object {
            let wanted = format!("a {port} (an object with {}())", spec.required.join("(), "));
            return Err(Failure::wrong_type(&spec.option, &object, &wanted));
        }
        let target = Object::from_unknown(object)?;
        let mut bound = Vec::with_capacity(spec.methods.len());
        for &method in spec.methods {
            let value: Unknown<'_> = target.get_named_property(method)?;
            if value.get_type()? != ValueType::Function {
                if spec.required.contains(&method) {
                    return Err(Failure::WrongType(Error::invalid(
                        spec.option,
                        format!("an object without {method}()"),
                        format!("{port} needs a method {method}()"),
                    )));
                }
                continue;
            }
            let function: Function<'_, Args, Unknown<'static>> = Function::from_unknown(value)?;
            bound.push((method, Arc::new(function.bind(target)?.create_ref()?)));
        }
        let call_port: Function<'_, Args, Unknown<'static>> = env.run_script(CALL_PORT)?;
        Ok(JsPort {
            port,
            bridge: RwLock::new(Some(Bridge {
                thread: js_thread(env)?,
                call_port: Arc::new(call_port.create_ref()?),
                methods: bound,
            })),
        })
    }

    /// Releases the threadsafe function and the methods: later calls fail (retryably).
    pub(crate) fn close(&self) {
        let bridge = self
            .bridge
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(bridge);
    }

    fn has(&self, method: &str) -> bool {
        self.bridge
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|b| b.method(method).is_some())
    }

    /// Calls `method` with the arguments `fill` sets, on the JavaScript thread, and reads its
    /// answer (or its Promise's) with `read`.
    async fn call<T: Send + 'static>(
        &self,
        method: &'static str,
        fill: impl FnOnce(&mut Array<'_>) -> napi::Result<()> + Send + 'static,
        read: Read<T>,
    ) -> Result<T> {
        let (sender, receiver) = oneshot::channel();
        let reply = Reply {
            port: self.port,
            method,
            sender,
        };
        self.queue(Box::new(fill), read, reply)?;
        receiver.await.unwrap_or_else(|_| {
            Err(Error::port_transient(
                self.port,
                format!("{method}() did not answer"),
            ))
        })
    }

    /// Queues the call of `reply.method` on the JavaScript thread.
    fn queue<T: Send + 'static>(&self, fill: Fill, read: Read<T>, reply: Reply<T>) -> Result<()> {
        let (port, method) = (self.port, reply.method);
        let bridge = self.bridge.read().unwrap_or_else(|e| e.into_inner());
        let Some(bridge) = bridge.as_ref() else {
            let message = format!("{method}() was not called: the engine is closed");
            return Err(Error::port_transient(port, message));
        };
        let Some(function) = bridge.method(method) else {
            let message = format!("the {port} has no method {method}()");
            return Err(Error::port_permanent(port, message));
        };
        let call_port = bridge.call_port.clone();
        let job: Job = Box::new(move |env| match start(env, &call_port, &function, fill) {
            Ok(promise) => settle_later(promise, read, reply),
            Err(error) => reply.not_called(&error),
        });
        match bridge
            .thread
            .call(job, ThreadsafeFunctionCallMode::NonBlocking)
        {
            Status::Ok => Ok(()),
            status => Err(Error::port_transient(
                port,
                format!("{method}() was not called: Node.js is shutting down ({status})"),
            )),
        }
    }
}

impl Bridge {
    fn method(&self, name: &str) -> Option<Arc<Callable>> {
        self.methods
            .iter()
            .find(|(m, _)| *m == name)
            .map(|(_, f)| f.clone())
    }
}

/// A weak threadsafe function that runs each [`Job`] it is called with.
fn js_thread(env: &Env) -> napi::Result<JsThread> {
    let idle = env.create_function_from_closure::<(), (), _>("escalationPortCall", |_| Ok(()))?;
    idle.build_threadsafe_function::<Job>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx: ThreadsafeCallContext<Job>| {
            // A panic drops the job's reply: the engine sees "did not answer".
            let _ = catch_unwind(AssertUnwindSafe(|| (ctx.value)(&ctx.env)));
            Ok(())
        })
}

/// Calls `function` with the arguments `fill` sets, through [`CALL_PORT`]: a Promise of its
/// answer.
fn start<'env>(
    env: &'env Env,
    call_port: &Callable,
    function: &Callable,
    fill: Fill,
) -> napi::Result<Unknown<'env>> {
    let mut args = Array::from_vec(env, Vec::<Unknown<'_>>::new())?;
    fill(&mut args)?;
    let function = function.borrow_back(env)?;
    call_port
        .borrow_back(env)?
        .call(Args(vec![function.raw(), args.raw()]))
}

/// Where a port call's outcome goes, and what to call it in messages.
struct Reply<T> {
    port: &'static str,
    method: &'static str,
    sender: oneshot::Sender<Result<T>>,
}

impl<T> Reply<T> {
    fn send(self, outcome: Result<T>) {
        // The engine may have given up (a timeout): then nobody listens.
        let _ = self.sender.send(outcome);
    }

    /// The method could not be called: `error` says why.
    fn not_called(self, error: &napi::Error) {
        let message = format!("{}() was not called: {error}", self.method);
        let error = Error::port_transient(self.port, message);
        self.send(Err(error));
    }

    /// Reads the method's answer `value`.
    fn answer(self, env: &Env, value: Unknown<'_>, read: Read<T>) {
        let outcome = read(env, value).map_err(|failure| {
            Error::port_transient(
                self.port,
                format!("{}() answered {}", self.method, failure.message()),
            )
        });
        self.send(outcome);
    }

    /// The method threw `error`, or its Promise rejected with it.
    fn fail(self, error: Unknown<'_>) {
        let message = format!("{}(): {}", self.method, describe(error));
        let error = if is_permanent(error) {
            Error::port_permanent(self.port, message)
        } else {
            Error::port_transient(self.port, message)
        };
        self.send(Err(error));
    }
}

/// Replies when the Promise `promise` settles.
fn settle_later<T: 'static>(promise: Unknown<'_>, read: Read<T>, reply: Reply<T>) {
    let (port, method) = (reply.port, reply.method);
    let slot = Rc::new(RefCell::new(Some(reply)));
    let (on_answer, on_failure) = (slot.clone(), slot.clone());
    let attached = PromiseRaw::<Unknown<'_>>::from_unknown(promise).and_then(|promise| {
        promise
            .then(move |ctx: CallbackContext<Unknown<'_>>| {
                if let Some(reply) = on_answer.borrow_mut().take() {
                    reply.answer(&ctx.env, ctx.value, read);
                }
                Ok(())
            })?
            .catch(move |ctx: CallbackContext<Unknown<'_>>| {
                if let Some(reply) = on_failure.borrow_mut().take() {
                    reply.fail(ctx.value);
                }
                Ok(())
            })
            .map(drop)
    });
    if let Err(error) = attached
        && let Some(reply) = slot.borrow_mut().take()
    {
        reply.send(Err(Error::port_transient(
            port,
            format!("{method}() could not be awaited: {error}"),
        )));
    }
}

/// Whether a thrown value asks not to be retried: `permanent === true` (a `PermanentFailure`).
fn is_permanent(error: Unknown<'_>) -> bool {
    let Ok(ValueType::Object) = error.get_type() else {
        return false;
    };
    Object::from_unknown(error)
        .and_then(|o| o.get_named_property::<Unknown<'_>>("permanent"))
        .and_then(|p| Ok(p.get_type()? == ValueType::Boolean && bool::from_unknown(p)?))
        .unwrap_or(false)
}

/// A thrown value in words: `String(error)` (`"Error: smtp down"`).
fn describe(error: Unknown<'_>) -> String {
    error
        .coerce_to_string()
        .and_then(|s| s.into_utf8())
        .and_then(|s| s.into_owned())
        .unwrap_or_else(|_| "a value without a string form".to_owned())
}

/// Ignores a method's answer (`send`, `trigger`, `resolve`).
fn nothing(_env: &Env, _value: Unknown<'_>) -> std::result::Result<(), Failure> {
    Ok(())
}

/// `null` (or `undefined`) as `None`, anything else read by `read`.
fn optional<T>(
    value: Unknown<'_>,
    read: impl FnOnce(Unknown<'_>) -> std::result::Result<T, Failure>,
) -> std::result::Result<Option<T>, Failure> {
    if is_nothing(&value)? {
        return Ok(None);
    }
    read(value).map(Some)
}

#[async_trait]
impl ProfileSource for JsPort {
    async fn profile(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Option<Arc<CustomerProfile>>> {
        let (customer, tenant) = (customer.to_string(), tenant.to_string());
        self.call(
            "getProfile",
            move |args| {
                args.set(0, customer)?;
                args.set(1, tenant)
            },
            |env, value| {
                optional(value, |v| {
                    from_js::<CustomerProfile>(env, "profile", v, &["customer_since"])
                })
                .map(|p| p.map(Arc::new))
            },
        )
        .await
    }
}

#[async_trait]
impl Notifier for JsPort {
    async fn send(&self, notification: &CoreNotification) -> Result<()> {
        let tenant = notification.tenant.to_string();
        let notification = Notification::from(notification);
        self.call(
            "send",
            move |args| {
                args.set(0, notification)?;
                args.set(1, tenant)
            },
            nothing,
        )
        .await
    }
}

#[async_trait]
impl Pager for JsPort {
    async fn trigger(&self, page: &CorePage) -> Result<()> {
        let tenant = page.tenant.to_string();
        let page = Page::from(page);
        self.call(
            "trigger",
            move |args| {
                args.set(0, page)?;
                args.set(1, tenant)
            },
            nothing,
        )
        .await
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        let key = dedup_key.to_owned();
        // The dedup key starts with the tenant (`tenant/ticket/...`).
        let tenant = key.split('/').next().unwrap_or_default().to_owned();
        self.call(
            "resolve",
            move |args| {
                args.set(0, key)?;
                args.set(1, tenant)
            },
            nothing,
        )
        .await
    }
}

#[async_trait]
impl AgentDirectory for JsPort {
    async fn agents(&self, tenant: &TenantId, _at: DateTime<Utc>) -> Result<Arc<[Agent]>> {
        let tenant = tenant.to_string();
        self.call(
            "agents",
            move |args| args.set(0, tenant),
            |env, value| {
                if !value.is_array()? {
                    return Err(Failure::wrong_type(&"agents", &value, "an array of agents"));
                }
                from_js::<Vec<Agent>>(env, "agents", value, &[]).map(Arc::from)
            },
        )
        .await
    }

    async fn team(&self, tenant: &TenantId, team: &TeamId) -> Result<Option<Team>> {
        if !self.has("team") {
            return Ok(None);
        }
        let (team, tenant) = (team.to_string(), tenant.to_string());
        self.call(
            "team",
            move |args| {
                args.set(0, team)?;
                args.set(1, tenant)
            },
            |env, value| optional(value, |v| from_js::<Team>(env, "team", v, &[])),
        )
        .await
    }
}
