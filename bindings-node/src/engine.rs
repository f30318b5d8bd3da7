//! `Engine`: the escalation engine over [`escalation_core::Engine`], every call a Promise
//! (see `promise.rs`), and the answers that are not records of the model: `SweepReport`,
//! `DispatchReport`, `CleanupReport` and `Explanation`.
//!
//! Each method reads its arguments on the JavaScript thread, hands the core's future to
//! [`promise::call`], and converts the answer off the JavaScript thread where it can. Methods
//! never throw: a bad argument rejects the Promise like any other error, with its code.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use escalation_core::engine::{DispatchReport, Explanation};
use escalation_core::error::Error;
use escalation_core::model::{
    AgentId, Channel, CustomerId, Impact, NewTicket, Priority, TenantId, TicketEvent, TicketRef,
};
use escalation_core::ports::{AgentDirectory, Notifier, Pager, ProfileSource, TicketStore};
use escalation_core::report::{IsoWeek, ReportOptions};
use escalation_core::{CleanupReport, SweepReport};
use napi::bindgen_prelude::{
    ClassInstance, FromNapiValue, JavaScriptClassExt, PromiseRaw, ToNapiValue, Unknown, block_on,
};
use napi::{Env, ValueType};
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::watch;

use crate::calendar::BusinessCalendar;
use crate::clock::ManualClock;
use crate::date::instant;
use crate::document;
use crate::effect::JsEffect;
use crate::error::{Failure, guard};
use crate::log::{JsLogEntry, JsTicketLogEntry};
use crate::memory::{MemoryDirectory, MemoryNotifier, MemoryPager, MemoryProfiles, MemoryStore};
use crate::model::{JsTicketRecord, doc, num};
use crate::options::{self, DEFAULT_TENANT, Options};
use crate::policy::Policy;
use crate::ports::{JsPort, PortSpec};
use crate::promise;
use crate::record::from_js;
use crate::report::{JsArtReport, WeeklyReport};
use crate::store::{PostgresStore, SqliteStore};
use crate::task::JsEscalationTask;

type CoreEngine = escalation_core::Engine;

/// A count as a JavaScript number.
fn size(n: usize) -> f64 {
    n as f64
}

/// What one sweep did.
#[napi(object, object_from_js = false, js_name = "SweepReport")]
pub struct JsSweepReport {
    /// Due tickets claimed.
    pub claimed: f64,
    /// Queued tickets that got an agent.
    pub assigned: f64,
    /// Tickets whose priority band changed on rescoring.
    pub rescored: f64,
    /// Profiles that arrived on a retry.
    pub profiles_fetched: f64,
    /// Tickets another writer changed first (they are due again).
    pub conflicts: f64,
}

impl From<SweepReport> for JsSweepReport {
    fn from(r: SweepReport) -> Self {
        JsSweepReport {
            claimed: size(r.claimed),
            assigned: size(r.assigned),
            rescored: size(r.rescored),
            profiles_fetched: size(r.profiles_fetched),
            conflicts: size(r.conflicts),
        }
    }
}

/// What one dispatch did.
#[napi(object, object_from_js = false, js_name = "DispatchReport")]
pub struct JsDispatchReport {
    /// Due effects claimed.
    pub claimed: f64,
    /// Delivered.
    pub delivered: f64,
    /// Failed and scheduled again.
    pub retried: f64,
    /// Given up on.
    pub dead_lettered: f64,
    /// Effects another dispatcher finished first.
    pub conflicts: f64,
}

impl From<DispatchReport> for JsDispatchReport {
    fn from(r: DispatchReport) -> Self {
        JsDispatchReport {
            claimed: size(r.claimed),
            delivered: size(r.delivered),
            retried: size(r.retried),
            dead_lettered: size(r.dead_lettered),
            conflicts: size(r.conflicts),
        }
    }
}

/// What retention did, or would do on a dry run.
#[napi(object, object_from_js = false, js_name = "CleanupReport")]
pub struct JsCleanupReport {
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Tickets archived, in id order.
    pub archived: Vec<f64>,
    /// Drafts deleted, in id order.
    pub deleted_drafts: Vec<f64>,
    /// Escalation tasks deleted.
    pub deleted_tasks: Vec<String>,
    /// Log entries pruned.
    pub pruned_log_entries: f64,
}

impl From<CleanupReport> for JsCleanupReport {
    fn from(r: CleanupReport) -> Self {
        JsCleanupReport {
            dry_run: r.dry_run,
            archived: r.archived.iter().map(|t| num(t.0)).collect(),
            deleted_drafts: r.deleted_drafts.iter().map(|t| num(t.0)).collect(),
            deleted_tasks: r.deleted_tasks.iter().map(ToString::to_string).collect(),
            pruned_log_entries: num(r.pruned_log_entries),
        }
    }
}

/// Why a ticket's priority and deadlines are what they are.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "Explanation"
)]
pub struct JsExplanation {
    /// The priority in force.
    #[napi(ts_type = "Priority")]
    pub priority: String,
    /// The score and its breakdown.
    #[napi(ts_type = "Record<string, unknown>")]
    pub score: Value,
    /// The override, if any.
    #[napi(ts_type = "Record<string, unknown>")]
    pub priority_override: Option<Value>,
    /// The policy version the clocks were started under.
    pub policy_version: Option<String>,
    /// One document per SLA clock: `target`, `rule`, `calendar`, `budget`, `state`,
    /// `deadline`, `segments`, `holidays_skipped`, `pauses`, `warnings`, ...
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub targets: Value,
    /// The explanation in words.
    pub text: String,
}

impl From<Explanation> for JsExplanation {
    fn from(e: Explanation) -> Self {
        JsExplanation {
            priority: e.priority.as_str().to_owned(),
            score: doc(&e.score),
            priority_override: e.priority_override.as_ref().map(doc),
            policy_version: e.policy_version.as_deref().map(str::to_owned),
            targets: doc(&e.targets),
            text: e.to_string(),
        }
    }
}

/// The options of `new Engine(...)`. A port left out is an empty in-memory one; the clock is
/// the system clock unless a `ManualClock` is given.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct EngineOptions {
    /// The policy (the default policy when left out).
    #[napi(ts_type = "Policy")]
    pub policy: Option<()>,
    /// The ticket store (a new `MemoryStore` when left out).
    #[napi(ts_type = "MemoryStore | SqliteStore | PostgresStore")]
    pub store: Option<()>,
    /// Customer profiles.
    #[napi(ts_type = "MemoryProfiles | ProfileSource")]
    pub profiles: Option<()>,
    /// Delivers notifications.
    #[napi(ts_type = "MemoryNotifier | Notifier")]
    pub notifier: Option<()>,
    /// Pages on-call.
    #[napi(ts_type = "MemoryPager | Pager")]
    pub pager: Option<()>,
    /// Agents and teams.
    #[napi(ts_type = "MemoryDirectory | AgentDirectory")]
    pub directory: Option<()>,
    /// The clock (the system clock when left out).
    #[napi(ts_type = "ManualClock")]
    pub clock: Option<()>,
    /// This engine's name, recorded as the holder of its leases.
    pub engine_id: Option<String>,
}

/// The input of `engine.createTicket`.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct NewTicketInput {
    /// The customer who raised it.
    pub customer: String,
    /// What it is about.
    pub category: String,
    /// The subject line.
    pub subject: String,
    /// How it arrived (`'email'` by default).
    #[napi(ts_type = "Channel")]
    pub channel: Option<String>,
    /// How badly the customer is affected (`'question'` by default).
    #[napi(ts_type = "Impact")]
    pub impact: Option<String>,
    /// The body (empty by default).
    pub body: Option<String>,
    /// When the customer sent it (now by default).
    #[napi(ts_type = "Date | number")]
    pub received_at: Option<()>,
    /// The tenant (`'default'` by default).
    pub tenant: Option<String>,
    /// Written but not submitted: no SLA clocks until it moves to `new`.
    pub draft: Option<bool>,
    /// The host's key: a repeated key in the tenant answers the first ticket.
    pub intake_key: Option<String>,
    /// A priority set by hand.
    #[napi(ts_type = "Priority")]
    pub priority: Option<String>,
}

/// The options of `engine.weeklyReport`.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct WeeklyReportOptions {
    /// The tenant (`'default'` by default).
    pub tenant: Option<String>,
    /// The IANA zone whose Monday 00:00 starts the week (`'UTC'` by default).
    pub timezone: Option<String>,
    /// Categories listed (10).
    pub top: Option<u32>,
    /// Slowest tickets listed (10).
    pub slowest: Option<u32>,
    /// Weeks of history, this one included (8).
    pub history_weeks: Option<u32>,
    /// Weeks of growth in a row that flag a category (3).
    pub growth_weeks: Option<u32>,
    /// The growth over the week before that flags a category (0.5 = +50 %).
    pub jump: Option<f64>,
    /// The host's link to a ticket: `{tenant}` and `{id}` are replaced.
    pub ticket_url: Option<String>,
}

/// `value` as our class `T`, read with `get`; `None` when it is something else.
fn ours<T, R>(
    env: &Env,
    value: &Unknown<'_>,
    get: impl FnOnce(&T) -> R,
) -> Result<Option<R>, Failure>
where
    T: JavaScriptClassExt + 'static,
    for<'a> ClassInstance<'a, T>: FromNapiValue,
{
    if !T::instance_of(env, value)? {
        return Ok(None);
    }
    let instance = ClassInstance::<T>::from_unknown(*value)?;
    Ok(Some(get(&instance)))
}

const PROFILE_SOURCE: PortSpec = PortSpec {
    option: "profiles",
    name: "ProfileSource",
    methods: &["getProfile"],
    required: &["getProfile"],
};
const NOTIFIER: PortSpec = PortSpec {
    option: "notifier",
    name: "Notifier",
    methods: &["send"],
    required: &["send"],
};
const PAGER: PortSpec = PortSpec {
    option: "pager",
    name: "Pager",
    methods: &["trigger", "resolve"],
    required: &["trigger", "resolve"],
};
const AGENT_DIRECTORY: PortSpec = PortSpec {
    option: "directory",
    name: "AgentDirectory",
    methods: &["agents", "team"],
    required: &["agents"],
};

/// Builds the core engine from the options, remembering the JavaScript ports it made.
struct Assembly<'a> {
    env: &'a Env,
    ports: Vec<Arc<JsPort>>,
}

impl Assembly<'_> {
    /// A port option: one of ours (`M`, whose adapter `mine` gives), or an object with the
    /// port's methods (made a port by `wrap`).
    fn port<M, P: ?Sized>(
        &mut self,
        value: Unknown<'_>,
        mine: fn(&M) -> Arc<P>,
        spec: &'static PortSpec,
        wrap: fn(Arc<JsPort>) -> Arc<P>,
    ) -> Result<Arc<P>, Failure>
    where
        M: JavaScriptClassExt + 'static,
        for<'i> ClassInstance<'i, M>: FromNapiValue,
    {
        if let Some(mine) = ours(self.env, &value, mine)? {
            return Ok(mine);
        }
        let port = Arc::new(JsPort::new(self.env, value, spec)?);
        self.ports.push(port.clone());
        Ok(wrap(port))
    }

    fn store(&self, value: Unknown<'_>) -> Result<Arc<dyn TicketStore>, Failure> {
        let env = self.env;
        if let Some(s) = ours(env, &value, |s: &MemoryStore| s.inner.clone())? {
            return Ok(s);
        }
        if let Some(s) = ours(env, &value, |s: &SqliteStore| s.inner.clone())? {
            return Ok(s);
        }
        if let Some(s) = ours(env, &value, |s: &PostgresStore| s.inner.clone())? {
            return Ok(s);
        }
        Err(Failure::wrong_type(
            &"store",
            &value,
            "a MemoryStore, SqliteStore or PostgresStore",
        ))
    }

    fn build(&mut self, options: &Options<'_>) -> Result<Engine, Failure> {
        let env = self.env;
        let policy = match options.get("policy")? {
            Some(p) => ours(env, &p, |p: &Policy| p.inner.clone())?
                .ok_or_else(|| Failure::wrong_type(&"policy", &p, "a Policy"))?,
            None => Arc::new(escalation_core::Policy::default()),
        };
        let mut builder = CoreEngine::builder().policy((*policy).clone());
        if let Some(store) = options.get("store")? {
            builder = builder.store(self.store(store)?);
        }
        if let Some(p) = options.get("profiles")? {
            let mine = |m: &MemoryProfiles| -> Arc<dyn ProfileSource> { m.inner.clone() };
            builder = builder.profiles(self.port(p, mine, &PROFILE_SOURCE, |p| p)?);
        }
        if let Some(n) = options.get("notifier")? {
            let mine = |m: &MemoryNotifier| -> Arc<dyn Notifier> { m.inner.clone() };
            builder = builder.notifier(self.port(n, mine, &NOTIFIER, |p| p)?);
        }
        if let Some(p) = options.get("pager")? {
            let mine = |m: &MemoryPager| -> Arc<dyn Pager> { m.inner.clone() };
            builder = builder.pager(self.port(p, mine, &PAGER, |p| p)?);
        }
        if let Some(d) = options.get("directory")? {
            let mine = |m: &MemoryDirectory| -> Arc<dyn AgentDirectory> { m.inner.clone() };
            builder = builder.directory(self.port(d, mine, &AGENT_DIRECTORY, |p| p)?);
        }
        if let Some(c) = options.get("clock")? {
            let clock = ours(env, &c, |c: &ManualClock| c.inner.clone())?
                .ok_or_else(|| Failure::wrong_type(&"clock", &c, "a ManualClock"))?;
            builder = builder.clock(clock);
        }
        if let Some(id) = options.opt_text("engineId")? {
            builder = builder.engine_id(id);
        }
        Ok(Engine {
            engine: builder.build()?,
            policy,
            ports: std::mem::take(&mut self.ports),
            stops: watch::Sender::new(0),
        })
    }
}

/// A ticket argument: its id (in the default tenant), or `{ id, tenant }` (a `Ticket` works).
fn ticket_key(value: &Unknown<'_>) -> Result<TicketRef, Failure> {
    match value.get_type()? {
        ValueType::Number => Ok(TicketRef::new(
            TenantId::from(DEFAULT_TENANT),
            options::ticket_id("ticket", value)?,
        )),
        ValueType::Object => {
            let key = Options::required("ticket", *value)?;
            let id = key.get("id")?.ok_or_else(|| {
                Failure::WrongType(Error::invalid("ticket.id", "undefined", "must be a number"))
            })?;
            Ok(TicketRef::new(
                key.tenant()?,
                options::ticket_id("ticket.id", &id)?,
            ))
        }
        _ => Err(Failure::wrong_type(
            &"ticket",
            value,
            "a ticket id or a ticket ({ id, tenant })",
        )),
    }
}

/// The input of `createTicket` as the core's `NewTicket`, received `now` unless it says when.
/// The fields of `createTicket`'s input, in the order `_createTicket` takes them.
const NEW_TICKET_FIELDS: [&str; 11] = [
    "customer",
    "category",
    "subject",
    "channel",
    "impact",
    "body",
    "receivedAt",
    "tenant",
    "draft",
    "intakeKey",
    "priority",
];

fn new_ticket(input: &Options<'_>, now: DateTime<Utc>) -> Result<NewTicket, Failure> {
    let or = |name: &str, default: &str| -> Result<String, Failure> {
        Ok(input.opt_text(name)?.unwrap_or_else(|| default.to_owned()))
    };
    Ok(NewTicket {
        tenant: input.tenant()?,
        customer: CustomerId::from(input.text("customer")?.as_str()),
        channel: Channel::from_str(&or("channel", "email")?)?,
        category: input.text("category")?,
        impact: Impact::from_str(&or("impact", "question")?)?,
        subject: Arc::from(input.text("subject")?),
        body: Arc::from(or("body", "")?),
        received_at: input.opt_instant("receivedAt")?.unwrap_or(now),
        draft: input.opt_bool("draft")?.unwrap_or(false),
        intake_key: input.opt_text("intakeKey")?,
        priority_override: input
            .opt_text("priority")?
            .map(|p| Priority::from_str(&p))
            .transpose()?,
    })
}

/// The options of `weeklyReport`, the core's defaults for those not given.
fn report_options(options: &Options<'_>) -> Result<ReportOptions, Failure> {
    let zone = options
        .opt_text("timezone")?
        .unwrap_or_else(|| "UTC".to_owned());
    let defaults = ReportOptions::default();
    let count = |name: &str, max: u64, default: usize| -> Result<usize, Failure> {
        Ok(options
            .opt_count(name, max)?
            .map_or(default, |n| n as usize))
    };
    let weeks = |name: &str, default: u32| -> Result<u32, Failure> {
        Ok(options.opt_count(name, 520)?.map_or(default, |n| n as u32))
    };
    Ok(ReportOptions {
        timezone: Tz::from_str(&zone)
            .map_err(|_| Error::invalid("timezone", &zone, "not an IANA time zone name"))?,
        top: count("top", 10_000, defaults.top)?,
        slowest: count("slowest", 10_000, defaults.slowest)?,
        history_weeks: weeks("historyWeeks", defaults.history_weeks)?,
        growth_weeks: weeks("growthWeeks", defaults.growth_weeks)?,
        jump: options.opt_number("jump")?.unwrap_or(defaults.jump),
        ticket_url: options.opt_text("ticketUrl")?,
    })
}

/// The escalation engine. Every method returns a Promise that rejects with the core's error
/// codes; `close()` releases the JavaScript ports so the process can exit.
#[napi]
pub struct Engine {
    engine: CoreEngine,
    policy: Arc<escalation_core::Policy>,
    /// The ports written in JavaScript, released by `close()`.
    ports: Vec<Arc<JsPort>>,
    /// Counts `stop()` calls; `run` ends when it changes.
    stops: watch::Sender<u64>,
}

impl Engine {
    /// A call on one ticket: reads the ticket argument and hands the engine and the ticket's
    /// address to `work`, which may read its other arguments.
    fn on_ticket<'env, V, F>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
        work: impl FnOnce(CoreEngine, TicketRef) -> Result<F, Failure>,
    ) -> napi::Result<PromiseRaw<'env, V>>
    where
        V: ToNapiValue + Send + 'static,
        F: Future<Output = Result<V, Error>> + Send + 'static,
    {
        promise::call(env, || work(self.engine.clone(), ticket_key(&ticket)?))
    }

    /// A call on the engine: hands it to `work`, which reads the arguments.
    fn on_engine<'env, V, F>(
        &self,
        env: &'env Env,
        work: impl FnOnce(CoreEngine) -> Result<F, Failure>,
    ) -> napi::Result<PromiseRaw<'env, V>>
    where
        V: ToNapiValue + Send + 'static,
        F: Future<Output = Result<V, Error>> + Send + 'static,
    {
        promise::call(env, || work(self.engine.clone()))
    }
}

/// A call that answers a ticket.
async fn ticket_of(
    work: impl Future<Output = Result<escalation_core::Ticket, Error>>,
) -> Result<JsTicketRecord, Error> {
    work.await.map(JsTicketRecord::from)
}

#[napi]
impl Engine {
    /// An engine on `options.store` (a new `MemoryStore` by default) and the given ports:
    /// ours (`MemoryProfiles`, `MemoryNotifier`, ...) or any object with the port's methods.
    /// Throws `POLICY_INVALID` when the policy does not validate, and a `TypeError` (code
    /// `INVALID_INPUT`) for an option of the wrong kind or a port missing a method.
    #[napi(constructor, catch_unwind, ts_args_type = "options?: EngineOptions")]
    pub fn new(env: &Env, options: Option<Unknown<'_>>) -> napi::Result<Engine> {
        guard(env, || {
            let options = Options::new("options", options)?;
            Assembly {
                env,
                ports: Vec::new(),
            }
            .build(&options)
        })
    }

    /// The policy in force.
    #[napi(getter, catch_unwind)]
    pub fn policy(&self) -> Policy {
        Policy {
            inner: self.policy.clone(),
        }
    }

    /// The engine's current instant (its clock's).
    #[napi(catch_unwind)]
    pub fn now(&self) -> DateTime<Utc> {
        self.engine.now()
    }

    /// The policy's calendar called `name` (`"always"` is built in), or `null`.
    #[napi(catch_unwind, ts_args_type = "name: string")]
    pub fn calendar(&self, env: &Env, name: Unknown<'_>) -> napi::Result<Option<BusinessCalendar>> {
        guard(env, || {
            let name = document::text("name", &name)?;
            Ok(self
                .engine
                .calendar(&name)
                .map(|c| BusinessCalendar { inner: c.clone() }))
        })
    }

    /// Takes a ticket in: creates it, fetches the profile, scores it, assigns a Tier 1 agent
    /// and starts its SLA clocks, in one atomic write. A repeated `intakeKey` in the tenant
    /// answers the first ticket.
    #[napi(
        catch_unwind,
        ts_args_type = "input: NewTicketInput",
        ts_return_type = "Promise<Ticket>"
    )]
    pub fn create_ticket<'env>(
        &self,
        env: &'env Env,
        input: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        self.on_engine(env, |e| {
            let new = new_ticket(&Options::required("input", input)?, e.now())?;
            Ok(ticket_of(async move { e.create_ticket(new).await }))
        })
    }

    /// `createTicket` with the input's fields one by one, in the order of `NEW_TICKET_FIELDS`
    /// (`lib.js` calls this: it reads the fields in JavaScript, which is faster).
    #[napi(catch_unwind, js_name = "_createTicket", skip_typescript)]
    #[allow(clippy::too_many_arguments)]
    pub fn create_ticket_fields<'env>(
        &self,
        env: &'env Env,
        customer: Unknown<'_>,
        category: Unknown<'_>,
        subject: Unknown<'_>,
        channel: Unknown<'_>,
        impact: Unknown<'_>,
        body: Unknown<'_>,
        received_at: Unknown<'_>,
        tenant: Unknown<'_>,
        draft: Unknown<'_>,
        intake_key: Unknown<'_>,
        priority: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        let values = [
            customer,
            category,
            subject,
            channel,
            impact,
            body,
            received_at,
            tenant,
            draft,
            intake_key,
            priority,
        ];
        let fields: [(&'static str, Unknown<'_>); 11] =
            std::array::from_fn(|i| (NEW_TICKET_FIELDS[i], values[i]));
        self.on_engine(env, |e| {
            let new = new_ticket(&Options::fields(&fields), e.now())?;
            Ok(ticket_of(async move { e.create_ticket(new).await }))
        })
    }

    /// Records an event (`{ type: 'status_changed', to, by }`, `{ type: 'customer_replied' }`,
    /// ...). Rejects with `INVALID_TRANSITION` for a status change the table forbids.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey, event: TicketEvent",
        ts_return_type = "Promise<Ticket>"
    )]
    pub fn record<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
        event: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        self.on_ticket(env, ticket, |e, key| {
            let event: TicketEvent = from_js(env, "event", event, &[])?;
            Ok(ticket_of(async move { e.record(key, event).await }))
        })
    }

    /// Resolves the ticket with a summary and a root cause from the policy's taxonomy.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey, resolution: { summary: string; rootCause: string; by: string }",
        ts_return_type = "Promise<Ticket>"
    )]
    pub fn resolve<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
        resolution: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        self.on_ticket(env, ticket, |e, key| {
            let r = Options::required("resolution", resolution)?;
            let (summary, cause, by) = (r.text("summary")?, r.text("rootCause")?, r.text("by")?);
            Ok(ticket_of(async move {
                e.resolve(key, &summary, &cause, &by).await
            }))
        })
    }

    /// Acknowledges the on-call page with dedup key `page`: its repeats stop.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey, ack: { page: string; by: string }",
        ts_return_type = "Promise<Ticket>"
    )]
    pub fn acknowledge<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
        ack: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        self.on_ticket(env, ticket, |e, key| {
            let ack = Options::required("ack", ack)?;
            let (page, by) = (ack.text("page")?, ack.text("by")?);
            Ok(ticket_of(
                async move { e.acknowledge(key, &page, &by).await },
            ))
        })
    }

    /// Re-budgets the ticket's running clocks under the policy in force.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey",
        ts_return_type = "Promise<Ticket>"
    )]
    pub fn recalculate<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        self.on_ticket(env, ticket, |e, key| {
            Ok(ticket_of(async move { e.recalculate(key).await }))
        })
    }

    /// The ticket as stored. Rejects with `NOT_FOUND`.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey",
        ts_return_type = "Promise<Ticket>"
    )]
    pub fn ticket<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsTicketRecord>> {
        self.on_ticket(env, ticket, |e, key| {
            Ok(ticket_of(async move { e.ticket(key).await }))
        })
    }

    /// The ticket's audit log, oldest first.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey",
        ts_return_type = "Promise<LogEntry[]>"
    )]
    pub fn log<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, Vec<JsLogEntry>>> {
        self.on_ticket(env, ticket, |e, key| {
            Ok(async move { Ok(e.log(key).await?.iter().map(JsLogEntry::from).collect()) })
        })
    }

    /// The ticket's deliveries (notifications and pages) and their states.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey",
        ts_return_type = "Promise<Effect[]>"
    )]
    pub fn effects<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, Vec<JsEffect>>> {
        self.on_ticket(env, ticket, |e, key| {
            Ok(async move { Ok(e.effects(key).await?.iter().map(JsEffect::from).collect()) })
        })
    }

    /// Why the ticket's priority and deadlines are what they are.
    #[napi(
        catch_unwind,
        ts_args_type = "ticket: TicketKey",
        ts_return_type = "Promise<Explanation>"
    )]
    pub fn explain<'env>(
        &self,
        env: &'env Env,
        ticket: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, JsExplanation>> {
        self.on_ticket(env, ticket, |e, key| {
            Ok(async move { e.explain(key).await.map(JsExplanation::from) })
        })
    }

    /// Looks at every due ticket (and only those): breaches, warnings, ladder steps, queued
    /// assignments, profile retries.
    #[napi(catch_unwind, ts_return_type = "Promise<SweepReport>")]
    pub fn sweep<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, JsSweepReport>> {
        self.on_engine(env, |e| {
            Ok(async move { e.sweep().await.map(JsSweepReport::from) })
        })
    }

    /// Delivers the due notifications and pages through the ports.
    #[napi(catch_unwind, ts_return_type = "Promise<DispatchReport>")]
    pub fn dispatch<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, JsDispatchReport>> {
        self.on_engine(env, |e| {
            Ok(async move { e.dispatch().await.map(JsDispatchReport::from) })
        })
    }

    /// Sweeps and dispatches until `stop()` or `close()`, sleeping on the engine's clock
    /// until something is due.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn run<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let mut stops = self.stops.subscribe();
        stops.mark_unchanged();
        self.on_engine(env, |e| {
            Ok(async move {
                e.run(async move {
                    let _ = stops.changed().await;
                })
                .await
            })
        })
    }

    /// Ends every `run` in progress (each returns after its current step).
    #[napi(catch_unwind)]
    pub fn stop(&self) {
        self.stops.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Stops `run` loops and releases every JavaScript port, so nothing of the engine keeps
    /// Node running. Ports called afterwards fail (retryably). The store stays open.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.stop();
        for port in &self.ports {
            port.close();
        }
        PromiseRaw::resolve(env, ())
    }

    /// The escalation tasks of a tenant, or of one ticket.
    #[napi(
        catch_unwind,
        ts_args_type = "options?: { tenant?: string; ticket?: number }",
        ts_return_type = "Promise<EscalationTask[]>"
    )]
    pub fn tasks<'env>(
        &self,
        env: &'env Env,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Vec<JsEscalationTask>>> {
        self.on_engine(env, |e| {
            let options = Options::new("options", options)?;
            let tenant = options.tenant()?;
            let ticket = options
                .get("ticket")?
                .map(|t| options::ticket_id("ticket", &t))
                .transpose()?;
            Ok(async move {
                let tasks = e.tasks(&tenant, ticket).await?;
                Ok(tasks.iter().map(JsEscalationTask::from).collect())
            })
        })
    }

    /// Assigns an escalation task to an agent (`null` unassigns it). Rejects with
    /// `NOT_FOUND` for an unknown task.
    #[napi(
        catch_unwind,
        ts_args_type = "task: string, agent: string | null, tenant?: string",
        ts_return_type = "Promise<EscalationTask>"
    )]
    pub fn assign_task<'env>(
        &self,
        env: &'env Env,
        task: Unknown<'_>,
        agent: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, JsEscalationTask>> {
        self.on_engine(env, |e| {
            let task = document::text("task", &task)?;
            let agent = match options::is_nothing(&agent)? {
                true => None,
                false => Some(AgentId::from(document::text("agent", &agent)?.as_str())),
            };
            let tenant = options::tenant(tenant)?;
            Ok(async move {
                let task = e.assign_task(&tenant, &task, agent).await?;
                Ok(JsEscalationTask::from(&task))
            })
        })
    }

    /// Closes an escalation task.
    #[napi(
        catch_unwind,
        ts_args_type = "task: string, tenant?: string",
        ts_return_type = "Promise<EscalationTask>"
    )]
    pub fn close_task<'env>(
        &self,
        env: &'env Env,
        task: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, JsEscalationTask>> {
        self.on_engine(env, |e| {
            let task = document::text("task", &task)?;
            let tenant = options::tenant(tenant)?;
            Ok(async move {
                let task = e.close_task(&tenant, &task).await?;
                Ok(JsEscalationTask::from(&task))
            })
        })
    }

    /// The tenant's log entries in `[start, end)`, with their tickets.
    #[napi(
        catch_unwind,
        ts_args_type = "start: Date | number, end: Date | number, tenant?: string",
        ts_return_type = "Promise<TicketLogEntry[]>"
    )]
    pub fn log_range<'env>(
        &self,
        env: &'env Env,
        start: Unknown<'_>,
        end: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Vec<JsTicketLogEntry>>> {
        self.on_engine(env, |e| {
            let (from, to) = (instant(&"start", &start)?, instant(&"end", &end)?);
            let tenant = options::tenant(tenant)?;
            Ok(async move {
                let entries = e.log_range(&tenant, from, to).await?;
                Ok(entries.iter().map(JsTicketLogEntry::from).collect())
            })
        })
    }

    /// Average resolution time of the tickets resolved in `[start, end)`.
    #[napi(
        catch_unwind,
        ts_args_type = "start: Date | number, end: Date | number, tenant?: string",
        ts_return_type = "Promise<ArtReport>"
    )]
    pub fn metrics<'env>(
        &self,
        env: &'env Env,
        start: Unknown<'_>,
        end: Unknown<'_>,
        tenant: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, JsArtReport>> {
        self.on_engine(env, |e| {
            let (from, to) = (instant(&"start", &start)?, instant(&"end", &end)?);
            let tenant = options::tenant(tenant)?;
            Ok(async move {
                let report = e.resolution_metrics(&tenant, from, to).await?;
                Ok(JsArtReport::from(&report))
            })
        })
    }

    /// The escalation report of ISO week `year`-W`week`, cut in `options.timezone`.
    #[napi(
        catch_unwind,
        ts_args_type = "year: number, week: number, options?: WeeklyReportOptions",
        ts_return_type = "Promise<WeeklyReport>"
    )]
    pub fn weekly_report<'env>(
        &self,
        env: &'env Env,
        year: Unknown<'_>,
        week: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, WeeklyReport>> {
        self.on_engine(env, |e| {
            let week = IsoWeek {
                year: i32::try_from(options::count("year", &year, 9999)?).unwrap_or(0),
                week: u32::try_from(options::count("week", &week, 53)?).unwrap_or(0),
            };
            let options = Options::new("options", options)?;
            let (tenant, report) = (options.tenant()?, report_options(&options)?);
            Ok(async move {
                let report = e.weekly_report(&tenant, week, &report).await?;
                Ok(WeeklyReport::wrap(report))
            })
        })
    }

    /// Applies the policy's retention to a tenant: archives, deletes drafts, prunes logs.
    /// With `dryRun`, changes nothing and reports what it would do.
    #[napi(
        catch_unwind,
        ts_args_type = "options?: { tenant?: string; dryRun?: boolean }",
        ts_return_type = "Promise<CleanupReport>"
    )]
    pub fn cleanup<'env>(
        &self,
        env: &'env Env,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, JsCleanupReport>> {
        self.on_engine(env, |e| {
            let options = Options::new("options", options)?;
            let tenant = options.tenant()?;
            let dry_run = options.opt_bool("dryRun")?.unwrap_or(false);
            Ok(async move { e.cleanup(&tenant, dry_run).await.map(JsCleanupReport::from) })
        })
    }
}

/// Nanoseconds per `create_ticket` timed in a Rust loop on `engine` (`rounds` tickets of
/// customer `c-1`, category `billing`, received now): the bench's baseline for the binding's
/// overhead. Blocks the JavaScript thread while it runs.
#[napi(js_name = "_timeRustCreateTicket", catch_unwind)]
pub fn time_rust_create_ticket(env: &Env, engine: &Engine, rounds: u32) -> napi::Result<f64> {
    guard(env, || {
        let engine = engine.engine.clone();
        let elapsed = block_on(async {
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
        })?;
        Ok(elapsed.as_nanos() as f64 / f64::from(rounds.max(1)))
    })
}
