//! The model's records as Python classes: `Ticket` (with its `SlaClock`s and `PageState`s),
//! `CustomerProfile`, `Agent` and `Team`, over [`escalation_core::model`].
//!
//! Enumerations are their stable snake_case names (`"in_progress"`, `"critical"`), typed
//! with `Literal` in the stubs; ids are strings, ticket ids integers, instants aware UTC
//! datetimes.

use escalation_core::model::{
    Agent, AgentId, Channel, CustomerId, CustomerProfile, CustomerTier, Impact, PageState,
    Priority, Status, SupportTier, Team, TeamId, TenantId, Ticket, TicketId,
};
use escalation_core::sla::{SlaClock, Target};
use escalation_core::span::Span;
use escalation_core::symbol::Symbol;
use pyo3::prelude::*;

use crate::record::{Doc, Out, out_as_text, record, view};

out_as_text!(
    TenantId,
    CustomerId,
    AgentId,
    TeamId,
    Channel,
    Impact,
    CustomerTier,
    SupportTier,
    Priority,
    Status,
    Target,
    Span,
    Symbol,
);

impl Out for TicketId {
    fn out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.out(py)
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(
        || "None".to_owned(),
        |v| format!("{v:?}", v = v.to_string()),
    )
}

view! {
    /// A support ticket, as the store holds it. Read-only: change it through the engine
    /// (`record`, `resolve`, ...), which answers with the ticket as written.
    PyTicket("Ticket", Ticket)
    repr |t| format!(
        "Ticket(id={}, tenant={:?}, status={:?}, priority={:?}, assignee={}, version={})",
        t.id, t.tenant.to_string(), t.status.as_str(), t.priority.as_str(), opt(&t.assignee), t.version
    );
    {
        /// The id, unique within the store.
        id => |t| t.id,
        /// The owning tenant.
        tenant => |t| t.tenant,
        /// The customer who raised it.
        customer => |t| t.customer,
        /// How it arrived: `"email"`, `"chat"`, ...
        channel => |t| t.channel,
        /// What it is about.
        category => |t| t.category,
        /// How badly the customer is affected: `"question"`, `"outage"`, ...
        impact => |t| t.impact,
        /// The subject line.
        subject => |t| t.subject,
        /// The body.
        body => |t| t.body,
        /// When the customer sent it.
        received_at => |t| t.received_at,
        /// When the engine took it in.
        created_at => |t| t.created_at,
        /// The lifecycle state: `"new"`, `"in_progress"`, `"resolved"`, ...
        status => |t| t.status,
        /// The priority in force: `"low"`, `"normal"`, `"high"` or `"critical"`.
        priority => |t| t.priority,
        /// The score and its breakdown (a dict: `value`, `band`, `breakdown`, ...).
        score => |t| Doc(&t.score),
        /// A priority set by hand (a dict: `priority`, `by`, `reason`, `at`), or None.
        priority_override => |t| t.priority_override.as_ref().map(Doc),
        /// `"known"`, `"not_found"` or `"unavailable"`: whether the profile was fetched.
        profile_state => |t| match &t.profile {
            escalation_core::model::ProfileState::Known { .. } => "known",
            escalation_core::model::ProfileState::NotFound => "not_found",
            escalation_core::model::ProfileState::Unavailable { .. } => "unavailable",
        }.to_owned(),
        /// The customer profile the score used, when it was fetched.
        profile => |t| t.profile.profile().cloned(),
        /// The assigned agent, or None.
        assignee => |t| t.assignee,
        /// The assignee's team, or None.
        team => |t| t.team,
        /// The tier that owns it: `"tier1"`, `"tier2"` or `"tier3"`.
        support_tier => |t| t.support_tier,
        /// When an agent first replied.
        first_response_at => |t| t.first_response_at,
        /// When the customer last replied.
        last_customer_reply_at => |t| t.last_customer_reply_at,
        /// When it was last resolved.
        resolved_at => |t| t.resolved_at,
        /// How it was resolved (a dict: `summary`, `root_cause`, `by`, `at`), or None.
        resolution => |t| t.resolution.as_ref().map(Doc),
        /// The policy version its clocks were started under.
        policy_version => |t| t.policy_version,
        /// Its SLA clocks, finished ones included.
        sla => |t| t.sla,
        /// Its on-call pages.
        pages => |t| t.pages,
        /// The ladder steps that fired (dicts: `level`, `target`, `cycle`, `sub`), so each
        /// fires once.
        fired => |t| Doc(&t.fired),
        /// When a queued ticket is offered to the agents again, or None.
        route_retry_at => |t| t.route_retry_at,
        /// Why the last assignment failed while it waits in the queue (a dict), or None.
        queue_reason => |t| t.queue_reason.as_ref().map(Doc),
        /// The host's intake key, if it gave one.
        intake_key => |t| t.intake_key,
        /// The earliest instant the engine looks at it again, or None.
        next_check => |t| t.next_check,
        /// When retention archived it, or None.
        archived_at => |t| t.archived_at,
        /// The optimistic-concurrency version.
        version => |t| t.version,
    }
}

view! {
    /// One SLA clock of a ticket: a target (`"first_response"`, `"next_response"`,
    /// `"resolution"`) in one cycle, with its business-time budget and deadline.
    PySlaClock("SlaClock", SlaClock)
    repr |c| format!(
        "SlaClock(target={:?}, cycle={}, budget={:?}, deadline={}, breached_at={})",
        c.target.to_string(), c.cycle, c.budget.to_string(), opt(&c.deadline), opt(&c.breached_at)
    );
    {
        /// The target.
        target => |c| c.target,
        /// The cycle (0 for the first; next-response clocks restart per reply).
        cycle => |c| c.cycle,
        /// The index of the policy's target rule that chose the budget.
        rule => |c| c.rule,
        /// The warnings that fired, as a bit set (bit `i` for the policy's warning `i`).
        warned => |c| c.warned,
        /// Whether it is paused now.
        is_paused => |c| c.is_paused(),
        /// Whether it is running now.
        is_running => |c| c.is_running(),
        /// The priority whose budget it runs on.
        priority => |c| c.priority,
        /// The calendar it counts in.
        calendar => |c| c.calendar,
        /// The budget, as written in the policy (`"4h"`).
        budget => |c| c.budget,
        /// When it started.
        started_at => |c| c.started_at,
        /// Business time used before `running_since`.
        consumed => |c| c.consumed,
        /// When it last started running, if it is running.
        running_since => |c| c.running_since,
        /// The deadline, while it runs.
        deadline => |c| c.deadline,
        /// When it stopped (the target was met), if it did.
        stopped_at => |c| c.stopped_at,
        /// When it breached, if it did.
        breached_at => |c| c.breached_at,
        /// Its pauses: `(from, to)` pairs, `to` None while paused.
        pauses => |c| c.pauses.iter().map(|p| (p.from, p.to)).collect::<Vec<_>>(),
    }
}

view! {
    /// An on-call page of a ticket and its repeats.
    PyPageState("PageState", PageState)
    repr |p| format!(
        "PageState(key={:?}, level={:?}, sent={}, acknowledged={})",
        p.key.to_string(), p.level.to_string(), p.sent, p.acknowledged.is_some()
    );
    {
        /// The dedup key shared by the page and its repeats (acknowledge with it).
        key => |p| p.key,
        /// The ladder level that raised it.
        level => |p| p.level,
        /// The clock it is about, if any.
        target => |p| p.target,
        /// The summary every repeat carries.
        summary => |p| p.summary,
        /// When it was first sent.
        triggered_at => |p| p.triggered_at,
        /// Pages sent so far.
        sent => |p| p.sent,
        /// Pages sent at most.
        max_repeats => |p| p.max_repeats,
        /// When it counts as unacknowledged.
        ack_deadline => |p| p.ack_deadline,
        /// Whether the unacknowledged levels fired.
        ack_timed_out => |p| p.ack_timed_out,
        /// `(at, by)` once acknowledged, else None.
        acknowledged => |p| p.acknowledged,
        /// When it was resolved.
        resolved_at => |p| p.resolved_at,
        /// Whether it still repeats and waits for an acknowledgement.
        is_active => |p| p.is_active(),
    }
}

record! {
    /// What the ProfileSource knows about a customer. Build one with keywords:
    /// `CustomerProfile(customer="c-1", tier="enterprise", lifetime_value=20000.0,
    /// customer_since=datetime(...), prior_tickets=0, prior_escalations=0,
    /// contact={"name": "Carla", "email": "carla@example.com"})`.
    PyCustomerProfile("CustomerProfile", CustomerProfile)
    repr |p| format!(
        "CustomerProfile(customer={:?}, tier={:?}, lifetime_value={})",
        p.customer.to_string(), p.tier.as_str(), p.lifetime_value
    );
    {
        /// The customer's id.
        customer => |p| p.customer,
        /// The commercial tier: `"free"`, `"standard"`, `"premium"`, `"enterprise"`, `"vip"`.
        tier => |p| p.tier,
        /// Revenue to date.
        lifetime_value => |p| p.lifetime_value,
        /// When the account was opened.
        customer_since => |p| p.customer_since,
        /// Tickets before this one.
        prior_tickets => |p| p.prior_tickets,
        /// Escalations before this one.
        prior_escalations => |p| p.prior_escalations,
        /// How to reach the customer (a dict: `name`, `email`, `phone`).
        contact => |p| Doc(&p.contact),
    }
}

record! {
    /// An agent, as the AgentDirectory reports them. Build one with keywords:
    /// `Agent(id="alice", name="Alice", tier="tier1", team="team-a", skills=["billing"],
    /// capacity=10, available=True, email="alice@example.com")`.
    PyAgent("Agent", Agent)
    repr |a| format!(
        "Agent(id={:?}, tier={:?}, team={:?}, available={})",
        a.id.to_string(), a.tier.as_str(), a.team.to_string(), if a.available { "True" } else { "False" }
    );
    {
        /// The agent's id.
        id => |a| a.id,
        /// Display name.
        name => |a| a.name,
        /// The tier the agent works in.
        tier => |a| a.tier,
        /// Categories the agent handles.
        skills => |a| a.skills,
        /// Whether the agent takes any category.
        generalist => |a| a.generalist,
        /// Email address.
        email => |a| a.email,
        /// Open tickets the agent takes at most.
        capacity => |a| a.capacity,
        /// Whether the agent takes tickets now.
        available => |a| a.available,
        /// The agent's team.
        team => |a| a.team,
    }
}

record! {
    /// A team and its manager. Build one with keywords:
    /// `Team(id="team-a", name="Team A", manager={"name": "Mona", "email": "mona@example.com"})`.
    PyTeam("Team", Team)
    repr |t| format!("Team(id={:?}, name={:?})", t.id.to_string(), t.name.to_string());
    {
        /// The team's id.
        id => |t| t.id,
        /// Display name.
        name => |t| t.name,
        /// The manager (a dict: `name`, `email`, `phone`).
        manager => |t| Doc(&t.manager),
    }
}
