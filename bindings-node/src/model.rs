//! The model's records as plain JavaScript objects: `Ticket` (with its `SlaClock`s and
//! `PageState`s), `CustomerProfile`, and the shapes of `Agent` and `Team`
//! ([`escalation_core::model`]).
//!
//! Top-level fields are camelCase; enumerations are the core's snake_case names (typed as
//! string literal unions in `src/header.d.ts`); instants are `Date`s, truncated to the
//! millisecond; a value that is not set is `null`. The parts of a record that are documents
//! rather than records of their own (a score's breakdown, a resolution, the ladder steps that
//! fired) are plain objects in the core's JSON form: snake_case keys, instants as RFC 3339
//! text.
//!
//! Answers are built off the JavaScript thread (on the runtime's worker that finished the
//! call) and only turned into objects on it.

use chrono::{DateTime, Utc};
use escalation_core::model::{Contact, CustomerProfile, PageState, ProfileState, Ticket};
use escalation_core::sla::{Pause, SlaClock};
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

use crate::date::span_millis;

/// A document's JSON form (`null` when it does not serialize, which the core's records never
/// do).
pub(crate) fn doc(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A counter or an id as a JavaScript number (exact below 2^53).
#[inline]
pub(crate) fn num(n: impl Into<u64>) -> f64 {
    n.into() as f64
}

/// How to reach a person: a customer's contact, a team's manager, a notification's recipient.
#[napi(object, js_name = "Contact")]
pub struct JsContact {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

impl From<&Contact> for JsContact {
    fn from(c: &Contact) -> Self {
        JsContact {
            name: c.name.to_string(),
            email: c.email.as_deref().map(str::to_owned),
            phone: c.phone.as_deref().map(str::to_owned),
        }
    }
}

/// What the ProfileSource knows about a customer. A port may give `customerSince` as a
/// `Date`, epoch milliseconds or RFC 3339 text; the engine's answers hold a `Date`, and every
/// field.
#[napi(object, object_from_js = false, js_name = "CustomerProfile")]
pub struct JsCustomerProfile {
    /// The customer's id.
    pub customer: String,
    /// The commercial tier.
    #[napi(ts_type = "CustomerTier")]
    pub tier: String,
    /// Revenue to date (0 when not given).
    pub lifetime_value: Option<f64>,
    /// When the account was opened.
    #[napi(ts_type = "Date | number | string")]
    pub customer_since: DateTime<Utc>,
    /// Tickets before this one (0 when not given).
    pub prior_tickets: Option<u32>,
    /// Escalations before this one (0 when not given).
    pub prior_escalations: Option<u32>,
    /// How to reach the customer.
    pub contact: JsContact,
}

impl From<&CustomerProfile> for JsCustomerProfile {
    fn from(p: &CustomerProfile) -> Self {
        JsCustomerProfile {
            customer: p.customer.to_string(),
            tier: p.tier.as_str().to_owned(),
            lifetime_value: Some(p.lifetime_value),
            customer_since: p.customer_since,
            prior_tickets: Some(p.prior_tickets),
            prior_escalations: Some(p.prior_escalations),
            contact: JsContact::from(&p.contact),
        }
    }
}

/// An agent, as an AgentDirectory reports them (`MemoryDirectory.addAgent` or a JavaScript
/// port's `agents()`).
#[napi(
    object,
    object_from_js = false,
    object_to_js = false,
    js_name = "Agent"
)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct JsAgent {
    /// The agent's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The tier the agent works in.
    #[napi(ts_type = "SupportTier")]
    pub tier: String,
    /// The agent's team.
    pub team: String,
    /// Categories the agent handles (none by default).
    pub skills: Option<Vec<String>>,
    /// Whether the agent takes any category (false by default).
    pub generalist: Option<bool>,
    /// Email address.
    pub email: Option<String>,
    /// Open tickets the agent takes at most (10 by default).
    pub capacity: Option<u32>,
    /// Whether the agent takes tickets now (true by default).
    pub available: Option<bool>,
}

/// A team and its manager, as an AgentDirectory reports them.
#[napi(object, object_from_js = false, object_to_js = false, js_name = "Team")]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct JsTeam {
    /// The team's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The manager, who gets the alerts.
    pub manager: JsContact,
}

/// A paused stretch of an SLA clock.
#[napi(object, object_from_js = false, use_nullable = true, js_name = "Pause")]
pub struct JsPause {
    /// When it paused.
    pub from: DateTime<Utc>,
    /// When it resumed; `null` while still paused.
    pub to: Option<DateTime<Utc>>,
}

impl From<&Pause> for JsPause {
    fn from(p: &Pause) -> Self {
        JsPause {
            from: p.from,
            to: p.to,
        }
    }
}

/// One SLA clock of a ticket: a target in one cycle, with its business-time budget and
/// deadline.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "SlaClock"
)]
pub struct JsSlaClock {
    /// The target.
    #[napi(ts_type = "Target")]
    pub target: String,
    /// The cycle (0 for the first; next-response clocks count their cycles).
    pub cycle: u32,
    /// The index of the policy's `[[sla.targets]]` rule that chose the budget.
    pub rule: u32,
    /// The priority whose budget it runs on.
    #[napi(ts_type = "Priority")]
    pub priority: String,
    /// The calendar it counts in.
    pub calendar: String,
    /// The budget, as the policy writes it (`"8h"`).
    pub budget: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Business time used before `runningSince`, in milliseconds.
    pub consumed_ms: f64,
    /// When it last started running, while it runs.
    pub running_since: Option<DateTime<Utc>>,
    /// The deadline, while it runs.
    pub deadline: Option<DateTime<Utc>>,
    /// Its pauses.
    pub pauses: Vec<JsPause>,
    /// When it stopped (the target was met, or the ticket resolved).
    pub stopped_at: Option<DateTime<Utc>>,
    /// When it breached.
    pub breached_at: Option<DateTime<Utc>>,
    /// The warnings that fired, as a bit set (bit `i` for the policy's warning `i`).
    pub warned: f64,
    /// Whether it is paused now.
    pub is_paused: bool,
    /// Whether it is running now.
    pub is_running: bool,
}

impl From<&SlaClock> for JsSlaClock {
    fn from(c: &SlaClock) -> Self {
        JsSlaClock {
            target: c.target.as_str().to_owned(),
            cycle: c.cycle,
            rule: u32::try_from(c.rule).unwrap_or(u32::MAX),
            priority: c.priority.as_str().to_owned(),
            calendar: c.calendar.to_string(),
            budget: c.budget.to_string(),
            started_at: c.started_at,
            consumed_ms: span_millis(c.consumed),
            running_since: c.running_since,
            deadline: c.deadline,
            pauses: c.pauses.iter().map(JsPause::from).collect(),
            stopped_at: c.stopped_at,
            breached_at: c.breached_at,
            warned: num(c.warned),
            is_paused: c.is_paused(),
            is_running: c.is_running(),
        }
    }
}

/// Who acknowledged a page, and when.
#[napi(object, object_from_js = false, js_name = "PageAcknowledgement")]
pub struct JsPageAcknowledgement {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
}

/// An on-call page of a ticket and its repeats.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "PageState"
)]
pub struct JsPageState {
    /// The dedup key the page and its repeats share (acknowledge with it).
    pub key: String,
    /// The ladder level that raised it.
    pub level: String,
    /// The SLA target it is about, if any.
    #[napi(ts_type = "Target")]
    pub target: Option<String>,
    /// The summary every repeat carries.
    pub summary: String,
    /// When it was first sent.
    pub triggered_at: DateTime<Utc>,
    /// Pages sent so far.
    pub sent: u32,
    /// Pages sent at most.
    pub max_repeats: u32,
    /// When it counts as unacknowledged.
    pub ack_deadline: DateTime<Utc>,
    /// Whether the unacknowledged levels fired.
    pub ack_timed_out: bool,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<JsPageAcknowledgement>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Whether it still repeats and waits for an acknowledgement.
    pub is_active: bool,
}

impl From<&PageState> for JsPageState {
    fn from(p: &PageState) -> Self {
        JsPageState {
            key: p.key.to_string(),
            level: p.level.to_string(),
            target: p.target.map(|t| t.as_str().to_owned()),
            summary: p.summary.to_string(),
            triggered_at: p.triggered_at,
            sent: p.sent,
            max_repeats: p.max_repeats,
            ack_deadline: p.ack_deadline,
            ack_timed_out: p.ack_timed_out,
            acknowledged: p
                .acknowledged
                .as_ref()
                .map(|(at, by)| JsPageAcknowledgement {
                    at: *at,
                    by: by.to_string(),
                }),
            resolved_at: p.resolved_at,
            is_active: p.is_active(),
        }
    }
}

/// A ticket's plain-object form: what `Ticket.toJSON()` returns (and `JSON.stringify`
/// writes), with every field of the ticket.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "TicketJSON"
)]
pub struct JsTicket {
    /// The id, unique within the store.
    pub id: f64,
    /// The owning tenant.
    pub tenant: String,
    /// The customer who raised it.
    pub customer: String,
    /// How it arrived.
    #[napi(ts_type = "Channel")]
    pub channel: String,
    /// What it is about.
    pub category: String,
    /// How badly the customer is affected.
    #[napi(ts_type = "Impact")]
    pub impact: String,
    /// The subject line.
    pub subject: String,
    /// The body.
    pub body: String,
    /// When the customer sent it.
    pub received_at: DateTime<Utc>,
    /// When the engine took it in.
    pub created_at: DateTime<Utc>,
    /// Its place in the lifecycle.
    #[napi(ts_type = "Status")]
    pub status: String,
    /// The priority in force.
    #[napi(ts_type = "Priority")]
    pub priority: String,
    /// The score and its breakdown (`value`, `band`, `breakdown`, ...).
    #[napi(ts_type = "Record<string, unknown>")]
    pub score: Value,
    /// A priority set by hand (`priority`, `by`, `reason`, `at`).
    #[napi(ts_type = "Record<string, unknown>")]
    pub priority_override: Option<Value>,
    /// Whether the customer's profile was fetched.
    #[napi(ts_type = "ProfileStateName")]
    pub profile_state: String,
    /// The profile the score used, when it was fetched.
    pub profile: Option<JsCustomerProfile>,
    /// The assigned agent.
    pub assignee: Option<String>,
    /// The assignee's team.
    pub team: Option<String>,
    /// The support tier that owns it.
    #[napi(ts_type = "SupportTier")]
    pub support_tier: String,
    /// When an agent first replied.
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the customer last replied.
    pub last_customer_reply_at: Option<DateTime<Utc>>,
    /// When it was last resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved (`summary`, `root_cause`, `by`, `at`).
    #[napi(ts_type = "Record<string, unknown>")]
    pub resolution: Option<Value>,
    /// The policy version its clocks were started under.
    pub policy_version: Option<String>,
    /// Its SLA clocks, finished ones included.
    pub sla: Vec<JsSlaClock>,
    /// Its on-call pages.
    pub pages: Vec<JsPageState>,
    /// The ladder steps that fired (`level`, `target`, `cycle`, `sub`), so each fires once.
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub fired: Value,
    /// The host's intake key, if it gave one.
    pub intake_key: Option<String>,
    /// When a queued ticket is offered to the agents again.
    pub route_retry_at: Option<DateTime<Utc>>,
    /// Why the last assignment failed, while it waits in the queue.
    #[napi(ts_type = "Record<string, unknown>")]
    pub queue_reason: Option<Value>,
    /// The earliest instant the engine looks at it again.
    pub next_check: Option<DateTime<Utc>>,
    /// When retention archived it.
    pub archived_at: Option<DateTime<Utc>>,
    /// The optimistic-concurrency version.
    pub version: f64,
}

impl From<&Ticket> for JsTicket {
    fn from(t: &Ticket) -> Self {
        JsTicket {
            id: num(t.id.0),
            tenant: t.tenant.to_string(),
            customer: t.customer.to_string(),
            channel: t.channel.as_str().to_owned(),
            category: t.category.to_string(),
            impact: t.impact.as_str().to_owned(),
            subject: t.subject.to_string(),
            body: t.body.to_string(),
            received_at: t.received_at,
            created_at: t.created_at,
            status: t.status.as_str().to_owned(),
            priority: t.priority.as_str().to_owned(),
            score: doc(&t.score),
            priority_override: t.priority_override.as_ref().map(doc),
            profile_state: match &t.profile {
                ProfileState::Known { .. } => "known",
                ProfileState::NotFound => "not_found",
                ProfileState::Unavailable { .. } => "unavailable",
            }
            .to_owned(),
            profile: t.profile.profile().map(JsCustomerProfile::from),
            assignee: t.assignee.as_ref().map(ToString::to_string),
            team: t.team.as_ref().map(ToString::to_string),
            support_tier: t.support_tier.as_str().to_owned(),
            first_response_at: t.first_response_at,
            last_customer_reply_at: t.last_customer_reply_at,
            resolved_at: t.resolved_at,
            resolution: t.resolution.as_ref().map(doc),
            policy_version: t.policy_version.as_deref().map(str::to_owned),
            sla: t.sla.iter().map(JsSlaClock::from).collect(),
            pages: t.pages.iter().map(JsPageState::from).collect(),
            fired: doc(&t.fired),
            intake_key: t.intake_key.as_deref().map(str::to_owned),
            route_retry_at: t.route_retry_at,
            queue_reason: t.queue_reason.as_ref().map(doc),
            next_check: t.next_check,
            archived_at: t.archived_at,
            version: num(t.version),
        }
    }
}

fn text(v: &impl ToString) -> String {
    v.to_string()
}

/// A support ticket, as the store holds it. Change it through the engine (`record`,
/// `resolve`, ...), which answers with the ticket as written.
///
/// Its properties are read from the stored ticket when accessed, so an engine call answers
/// with one small object whatever the ticket holds; `toJSON()` gives every field as a plain
/// object (what `JSON.stringify` writes, and what to compare with `assert.deepEqual`).
#[napi(js_name = "Ticket")]
pub struct JsTicketRecord {
    inner: std::sync::Arc<Ticket>,
}

impl From<Ticket> for JsTicketRecord {
    fn from(t: Ticket) -> Self {
        JsTicketRecord {
            inner: std::sync::Arc::new(t),
        }
    }
}

#[napi]
impl JsTicketRecord {
    /// Every field as a plain object.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> JsTicket {
        JsTicket::from(&*self.inner)
    }

    /// The id, unique within the store.
    #[napi(getter)]
    pub fn id(&self) -> f64 {
        num(self.inner.id.0)
    }

    /// The owning tenant.
    #[napi(getter)]
    pub fn tenant(&self) -> String {
        text(&self.inner.tenant)
    }

    /// The customer who raised it.
    #[napi(getter)]
    pub fn customer(&self) -> String {
        text(&self.inner.customer)
    }

    /// How it arrived.
    #[napi(getter, ts_return_type = "Channel")]
    pub fn channel(&self) -> &'static str {
        self.inner.channel.as_str()
    }

    /// What it is about.
    #[napi(getter)]
    pub fn category(&self) -> String {
        text(&self.inner.category)
    }

    /// How badly the customer is affected.
    #[napi(getter, ts_return_type = "Impact")]
    pub fn impact(&self) -> &'static str {
        self.inner.impact.as_str()
    }

    /// The subject line.
    #[napi(getter)]
    pub fn subject(&self) -> String {
        text(&self.inner.subject)
    }

    /// The body.
    #[napi(getter)]
    pub fn body(&self) -> String {
        text(&self.inner.body)
    }

    /// When the customer sent it.
    #[napi(getter)]
    pub fn received_at(&self) -> DateTime<Utc> {
        self.inner.received_at
    }

    /// When the engine took it in.
    #[napi(getter)]
    pub fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }

    /// Its place in the lifecycle.
    #[napi(getter, ts_return_type = "Status")]
    pub fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }

    /// The priority in force.
    #[napi(getter, ts_return_type = "Priority")]
    pub fn priority(&self) -> &'static str {
        self.inner.priority.as_str()
    }

    /// The score and its breakdown (`value`, `band`, `breakdown`, ...).
    #[napi(getter, ts_return_type = "Record<string, unknown>")]
    pub fn score(&self) -> Value {
        doc(&self.inner.score)
    }

    /// A priority set by hand (`priority`, `by`, `reason`, `at`), or null.
    #[napi(getter, ts_return_type = "Record<string, unknown> | null")]
    pub fn priority_override(&self) -> Option<Value> {
        self.inner.priority_override.as_ref().map(doc)
    }

    /// Whether the customer's profile was fetched.
    #[napi(getter, ts_return_type = "ProfileStateName")]
    pub fn profile_state(&self) -> &'static str {
        match &self.inner.profile {
            ProfileState::Known { .. } => "known",
            ProfileState::NotFound => "not_found",
            ProfileState::Unavailable { .. } => "unavailable",
        }
    }

    /// The profile the score used, when it was fetched.
    #[napi(getter, ts_return_type = "CustomerProfile | null")]
    pub fn profile(&self) -> Option<JsCustomerProfile> {
        self.inner.profile.profile().map(JsCustomerProfile::from)
    }

    /// The assigned agent, or null.
    #[napi(getter, ts_return_type = "string | null")]
    pub fn assignee(&self) -> Option<String> {
        self.inner.assignee.as_ref().map(text)
    }

    /// The assignee's team, or null.
    #[napi(getter, ts_return_type = "string | null")]
    pub fn team(&self) -> Option<String> {
        self.inner.team.as_ref().map(text)
    }

    /// The support tier that owns it.
    #[napi(getter, ts_return_type = "SupportTier")]
    pub fn support_tier(&self) -> &'static str {
        self.inner.support_tier.as_str()
    }

    /// When an agent first replied, or null.
    #[napi(getter, ts_return_type = "Date | null")]
    pub fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.inner.first_response_at
    }

    /// When the customer last replied, or null.
    #[napi(getter, ts_return_type = "Date | null")]
    pub fn last_customer_reply_at(&self) -> Option<DateTime<Utc>> {
        self.inner.last_customer_reply_at
    }

    /// When it was last resolved, or null.
    #[napi(getter, ts_return_type = "Date | null")]
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.inner.resolved_at
    }

    /// How it was resolved (`summary`, `root_cause`, `by`, `at`), or null.
    #[napi(getter, ts_return_type = "Record<string, unknown> | null")]
    pub fn resolution(&self) -> Option<Value> {
        self.inner.resolution.as_ref().map(doc)
    }

    /// The policy version its clocks were started under, or null.
    #[napi(getter, ts_return_type = "string | null")]
    pub fn policy_version(&self) -> Option<String> {
        self.inner.policy_version.as_ref().map(text)
    }

    /// Its SLA clocks, finished ones included.
    #[napi(getter)]
    pub fn sla(&self) -> Vec<JsSlaClock> {
        self.inner.sla.iter().map(JsSlaClock::from).collect()
    }

    /// Its on-call pages.
    #[napi(getter)]
    pub fn pages(&self) -> Vec<JsPageState> {
        self.inner.pages.iter().map(JsPageState::from).collect()
    }

    /// The ladder steps that fired (`level`, `target`, `cycle`, `sub`), so each fires once.
    #[napi(getter, ts_return_type = "Array<Record<string, unknown>>")]
    pub fn fired(&self) -> Value {
        doc(&self.inner.fired)
    }

    /// The host's intake key, or null.
    #[napi(getter, ts_return_type = "string | null")]
    pub fn intake_key(&self) -> Option<String> {
        self.inner.intake_key.as_ref().map(text)
    }

    /// When a queued ticket is offered to the agents again, or null.
    #[napi(getter, ts_return_type = "Date | null")]
    pub fn route_retry_at(&self) -> Option<DateTime<Utc>> {
        self.inner.route_retry_at
    }

    /// Why the last assignment failed, while it waits in the queue, or null.
    #[napi(getter, ts_return_type = "Record<string, unknown> | null")]
    pub fn queue_reason(&self) -> Option<Value> {
        self.inner.queue_reason.as_ref().map(doc)
    }

    /// The earliest instant the engine looks at it again, or null.
    #[napi(getter, ts_return_type = "Date | null")]
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        self.inner.next_check
    }

    /// When retention archived it, or null.
    #[napi(getter, ts_return_type = "Date | null")]
    pub fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.inner.archived_at
    }

    /// The optimistic-concurrency version.
    #[napi(getter)]
    pub fn version(&self) -> f64 {
        num(self.inner.version)
    }
}
