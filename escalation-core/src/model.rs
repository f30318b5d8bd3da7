//! The domain model: tickets, customers, agents, statuses and the events a host records.
//!
//! Text that travels with a ticket (subject, body, names) is held as `Arc<str>` so that
//! moving a ticket between the engine and a store shares it instead of copying it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scoring::Score;
use crate::symbol::Symbol;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps `id`.
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(Arc::from(id.as_ref()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", &*self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(Arc::from(s))
            }
        }
    };
}

string_id!(
    /// A tenant: every ticket belongs to exactly one, and stores scope every read and write by it.
    TenantId
);
string_id!(
    /// A customer, as the host and its ProfileSource know them.
    CustomerId
);
string_id!(
    /// An agent, as the AgentDirectory knows them.
    AgentId
);
string_id!(
    /// A team of agents; each team has a manager.
    TeamId
);

impl TenantId {
    /// The tenant of hosts that have only one.
    pub fn default_tenant() -> TenantId {
        thread_local! {
            static DEFAULT: TenantId = TenantId::new("default");
        }
        DEFAULT.with(Clone::clone)
    }
}

impl Default for TenantId {
    fn default() -> Self {
        TenantId::default_tenant()
    }
}

/// A ticket's id, unique within its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub u64);

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A ticket's full address: its tenant and its id.
///
/// A host with one tenant can pass a bare [`TicketId`]; it converts into the default tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TicketRef {
    /// The tenant the ticket belongs to.
    pub tenant: TenantId,
    /// The ticket's id.
    pub id: TicketId,
}

impl TicketRef {
    /// Addresses ticket `id` of `tenant`.
    pub fn new(tenant: TenantId, id: TicketId) -> TicketRef {
        TicketRef { tenant, id }
    }
}

impl From<TicketId> for TicketRef {
    fn from(id: TicketId) -> TicketRef {
        TicketRef {
            tenant: TenantId::default_tenant(),
            id,
        }
    }
}

impl From<&Ticket> for TicketRef {
    fn from(t: &Ticket) -> TicketRef {
        t.key()
    }
}

impl fmt::Display for TicketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.id)
    }
}

/// Implements `as_str`, `Display`, `FromStr` and `ALL` for a fieldless enum with snake_case names.
macro_rules! named_enum {
    ($name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name used in documents and bindings.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Error::invalid(
                        $what,
                        s,
                        format!("expected one of {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }
    };
}

/// How a ticket reached the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email.
    Email,
    /// Live chat.
    Chat,
    /// Phone call.
    Phone,
    /// A form on the host's website.
    WebForm,
    /// A social network.
    Social,
    /// The host's API.
    Api,
}
named_enum!(Channel, "channel", { Email => "email", Chat => "chat", Phone => "phone", WebForm => "web_form", Social => "social", Api => "api" });

/// How badly the customer's use of the product is affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// A request for something new.
    FeatureRequest,
    /// A question; nothing is broken.
    Question,
    /// A defect with a workaround.
    Bug,
    /// The product works, badly.
    Degraded,
    /// The product is down for the customer.
    Outage,
}
named_enum!(Impact, "impact", { FeatureRequest => "feature_request", Question => "question", Bug => "bug", Degraded => "degraded", Outage => "outage" });

/// A customer's commercial tier, from lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerTier {
    /// Free plan.
    Free,
    /// Standard plan.
    Standard,
    /// Premium plan.
    Premium,
    /// Enterprise contract.
    Enterprise,
    /// Hand-picked accounts.
    Vip,
}
named_enum!(CustomerTier, "tier", { Free => "free", Standard => "standard", Premium => "premium", Enterprise => "enterprise", Vip => "vip" });

/// The support tier that owns a ticket or that an agent works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportTier {
    /// First line.
    Tier1,
    /// Specialists.
    Tier2,
    /// Engineering.
    Tier3,
}
named_enum!(SupportTier, "support_tier", { Tier1 => "tier1", Tier2 => "tier2", Tier3 => "tier3" });

/// A ticket's priority, from lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Critical: pages on-call on breach.
    Critical,
}
named_enum!(Priority, "priority", { Low => "low", Normal => "normal", High => "high", Critical => "critical" });

/// A ticket's place in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Written but not submitted.
    Draft,
    /// Submitted, waiting for an agent.
    New,
    /// An agent works on it.
    InProgress,
    /// Waiting for the customer's answer.
    PendingCustomer,
    /// Parked by the desk (for example waiting for a third party).
    OnHold,
    /// Solved; the customer may still reopen it.
    Resolved,
    /// Final.
    Closed,
}
named_enum!(Status, "status", { Draft => "draft", New => "new", InProgress => "in_progress", PendingCustomer => "pending_customer", OnHold => "on_hold", Resolved => "resolved", Closed => "closed" });

impl Status {
    /// Whether the transition table allows moving from `self` to `to`.
    ///
    /// | from | to |
    /// |---|---|
    /// | draft | new, closed |
    /// | new | in_progress, pending_customer, on_hold, resolved, closed |
    /// | in_progress | new, pending_customer, on_hold, resolved, closed |
    /// | pending_customer | in_progress, on_hold, resolved, closed |
    /// | on_hold | in_progress, pending_customer, resolved, closed |
    /// | resolved | in_progress (reopen), closed |
    /// | closed | nothing |
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, New | Closed)
                | (
                    New,
                    InProgress | PendingCustomer | OnHold | Resolved | Closed
                )
                | (
                    InProgress,
                    New | PendingCustomer | OnHold | Resolved | Closed
                )
                | (PendingCustomer, InProgress | OnHold | Resolved | Closed)
                | (OnHold, InProgress | PendingCustomer | Resolved | Closed)
                | (Resolved, InProgress | Closed)
        )
    }

    /// Checks a transition against the table.
    ///
    /// # Errors
    /// [`Error::InvalidTransition`] naming both states when the table forbids it.
    pub fn transition(self, to: Status) -> Result<Status> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(Error::InvalidTransition { from: self, to })
        }
    }

    /// Whether the ticket still needs work (New, In Progress, Pending Customer, On Hold).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::InProgress | Status::PendingCustomer | Status::OnHold
        )
    }
}

/// How to reach a person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Display name.
    pub name: Arc<str>,
    /// Email address, if known.
    #[serde(default)]
    pub email: Option<Arc<str>>,
    /// Phone number, if known.
    #[serde(default)]
    pub phone: Option<Arc<str>>,
}

impl Contact {
    /// A contact with a name and an email address.
    pub fn email(name: &str, email: &str) -> Contact {
        Contact {
            name: Arc::from(name),
            email: Some(Arc::from(email)),
            phone: None,
        }
    }
}

/// What the ProfileSource knows about a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerProfile {
    /// Who.
    pub customer: CustomerId,
    /// Commercial tier.
    pub tier: CustomerTier,
    /// Revenue to date, in the host's currency.
    #[serde(default)]
    pub lifetime_value: f64,
    /// When the account was opened.
    pub customer_since: DateTime<Utc>,
    /// Tickets before this one.
    #[serde(default)]
    pub prior_tickets: u32,
    /// Escalations before this one.
    #[serde(default)]
    pub prior_escalations: u32,
    /// How to reach the customer.
    pub contact: Contact,
}

/// Whether the ticket's customer profile is known, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProfileState {
    /// Fetched; scoring used it.
    Known {
        /// The profile as fetched.
        profile: Arc<CustomerProfile>,
    },
    /// The ProfileSource does not know the customer; scoring used the policy's default tier.
    NotFound,
    /// The ProfileSource failed or timed out; scoring used the default tier and the engine
    /// fetches again on a later sweep.
    Unavailable {
        /// Why the last fetch failed.
        reason: Arc<str>,
        /// Fetches tried so far.
        attempts: u32,
        /// When the engine fetches again; `None` once it gave up.
        retry_at: Option<DateTime<Utc>>,
    },
}

impl ProfileState {
    /// The profile, when known.
    pub fn profile(&self) -> Option<&CustomerProfile> {
        match self {
            ProfileState::Known { profile } => Some(profile),
            _ => None,
        }
    }

    /// When a sweep should fetch the profile again, if it should.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ProfileState::Unavailable { retry_at, .. } => *retry_at,
            _ => None,
        }
    }
}

/// A priority the host set by hand; it wins over the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorityOverride {
    /// The priority in force.
    pub priority: Priority,
    /// Who set it.
    pub by: Arc<str>,
    /// Why.
    pub reason: Arc<str>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Id, unique within the store.
    pub id: TicketId,
    /// Owning tenant.
    pub tenant: TenantId,
    /// The customer who raised it.
    pub customer: CustomerId,
    /// How it arrived.
    pub channel: Channel,
    /// What it is about; matched against agent skills.
    pub category: Symbol,
    /// How badly the customer is affected.
    pub impact: Impact,
    /// Subject line, as the customer wrote it.
    pub subject: Arc<str>,
    /// Body, as the customer wrote it.
    pub body: Arc<str>,
    /// When the customer sent it.
    pub received_at: DateTime<Utc>,
    /// When the engine took it in.
    pub created_at: DateTime<Utc>,
    /// Lifecycle state.
    pub status: Status,
    /// The priority in force (the override's, if any, else the score's band).
    pub priority: Priority,
    /// The computed score and its breakdown.
    pub score: Score,
    /// A priority set by hand, which wins over the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_override: Option<PriorityOverride>,
    /// The customer profile the score used.
    pub profile: ProfileState,
    /// The agent who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<AgentId>,
    /// The team of the assignee, when assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    /// The tier that owns it.
    pub support_tier: SupportTier,
    /// When an agent first replied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the customer last replied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_customer_reply_at: Option<DateTime<Utc>>,
    /// When it was last resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved: summary and root cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// The policy version whose SLA budgets the clocks were started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<Arc<str>>,
    /// The SLA clocks, finished ones included (one per target and cycle).
    pub sla: Vec<crate::sla::SlaClock>,
    /// Ladder steps that fired, so each fires exactly once.
    pub fired: Vec<Fired>,
    /// On-call pages raised for this ticket.
    pub pages: Vec<PageState>,
    /// The host's key for idempotent intake, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake_key: Option<Arc<str>>,
    /// When a queued ticket is offered to the agents again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_retry_at: Option<DateTime<Utc>>,
    /// Why the last assignment attempt failed, while the ticket waits in the queue; a retry
    /// that fails for the same reason is not logged again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_reason: Option<crate::routing::NoEligibleAgent>,
    /// The earliest instant the engine must look at this ticket again (the due index key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_check: Option<DateTime<Utc>>,
    /// When retention archived it ([`crate::Engine::cleanup`]). An archived ticket is
    /// resolved or closed, stays readable (reports and audits keep working) but has left
    /// every working index: it is never due, counts toward no agent's load and takes no
    /// more events. Its older log entries are pruned under the retention policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version; the store increments it on every write.
    pub version: u64,
}

impl Ticket {
    /// This ticket's address.
    pub fn key(&self) -> TicketRef {
        TicketRef {
            tenant: self.tenant.clone(),
            id: self.id,
        }
    }
}

/// How a ticket was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// What was done.
    pub summary: Arc<str>,
    /// The root cause, from the policy's taxonomy (none when resolved by a plain status
    /// change).
    pub root_cause: Option<Arc<str>>,
    /// Who resolved it.
    pub by: Arc<str>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A ladder step that fired: level, and the clock (target and cycle) or warning it fired for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fired {
    /// The level's name.
    pub level: Arc<str>,
    /// The clock's target, for clock triggers.
    pub target: Option<crate::sla::Target>,
    /// The clock's cycle (or 0).
    pub cycle: u32,
    /// The warning index for warnings, the page number for page triggers, else 0.
    pub sub: u32,
}

/// An on-call page and its repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageState {
    /// The dedup key shared by the page and its repeats.
    pub key: Arc<str>,
    /// The ladder level that raised it.
    pub level: Arc<str>,
    /// The clock it is about, if any.
    pub target: Option<crate::sla::Target>,
    /// The one-line summary every repeat carries.
    pub summary: Arc<str>,
    /// When it was first sent.
    pub triggered_at: DateTime<Utc>,
    /// Pages sent so far, the first included.
    pub sent: u32,
    /// Time between repeats.
    pub repeat_every: crate::span::Span,
    /// Pages sent at most.
    pub max_repeats: u32,
    /// When it counts as unacknowledged.
    pub ack_deadline: DateTime<Utc>,
    /// Whether the unacknowledged levels fired.
    pub ack_timed_out: bool,
    /// When and by whom it was acknowledged.
    pub acknowledged: Option<(DateTime<Utc>, Arc<str>)>,
    /// When it was resolved (the ticket was resolved).
    pub resolved_at: Option<DateTime<Utc>>,
}

impl PageState {
    /// Whether the page still repeats and waits for an acknowledgement.
    pub fn is_active(&self) -> bool {
        self.acknowledged.is_none() && self.resolved_at.is_none()
    }

    /// When the next repeat is due, if any.
    pub fn next_repeat_at(&self) -> Option<DateTime<Utc>> {
        if !self.is_active() || self.sent >= self.max_repeats {
            return None;
        }
        self.triggered_at.checked_add_signed(
            self.repeat_every.delta() * i32::try_from(self.sent).unwrap_or(i32::MAX),
        )
    }
}

/// What a host hands the engine to open a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Owning tenant; the default tenant when the host has one.
    #[serde(default)]
    pub tenant: TenantId,
    /// The customer who raised it.
    pub customer: CustomerId,
    /// How it arrived.
    pub channel: Channel,
    /// What it is about.
    pub category: String,
    /// How badly the customer is affected.
    pub impact: Impact,
    /// Subject line; shared with the ticket, not copied.
    pub subject: Arc<str>,
    /// Body; shared with the ticket, not copied.
    #[serde(default = "empty_text")]
    pub body: Arc<str>,
    /// When the customer sent it.
    pub received_at: DateTime<Utc>,
    /// Opens the ticket as a Draft (not submitted, not routed) when true.
    #[serde(default)]
    pub draft: bool,
    /// The host's key for idempotent intake: a second create with the same key in the same
    /// tenant returns the first ticket instead of opening another.
    #[serde(default)]
    pub intake_key: Option<String>,
    /// A priority the host sets up front; it wins over the score.
    #[serde(default)]
    pub priority_override: Option<Priority>,
}

impl NewTicket {
    /// A submitted ticket in the default tenant, received now-ish; fill in the rest with
    /// struct-update syntax.
    pub fn new(
        customer: impl Into<CustomerId>,
        channel: Channel,
        category: &str,
        impact: Impact,
        subject: &str,
        received_at: DateTime<Utc>,
    ) -> NewTicket {
        NewTicket {
            tenant: TenantId::default_tenant(),
            customer: customer.into(),
            channel,
            category: category.to_owned(),
            impact,
            subject: Arc::from(subject),
            body: empty_text(),
            received_at,
            draft: false,
            intake_key: None,
            priority_override: None,
        }
    }
}

fn empty_text() -> Arc<str> {
    Arc::from("")
}

/// Something that happened to a ticket, recorded by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TicketEvent {
    /// An agent or the host moves the ticket to another status.
    StatusChanged {
        /// The new status.
        to: Status,
        /// Who did it.
        by: String,
        /// Why, if given.
        #[serde(default)]
        reason: Option<String>,
    },
    /// An agent replied to the customer.
    AgentReplied {
        /// The agent.
        agent: AgentId,
    },
    /// The customer replied; a ticket Pending Customer goes back to In Progress.
    CustomerReplied,
    /// The host sets the priority by hand.
    PriorityOverridden {
        /// The priority in force from now on.
        priority: Priority,
        /// Who set it.
        by: String,
        /// Why.
        reason: String,
    },
    /// The host removes a priority override; the score's band is in force again.
    PriorityOverrideCleared {
        /// Who removed it.
        by: String,
    },
    /// The host assigns the ticket to an agent by hand.
    Reassigned {
        /// The new assignee.
        agent: AgentId,
        /// Who did it.
        by: String,
    },
}

/// An agent, as the AgentDirectory reports them at a given instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// Id.
    pub id: AgentId,
    /// Display name.
    pub name: Arc<str>,
    /// The tier the agent works in.
    pub tier: SupportTier,
    /// Categories the agent handles.
    #[serde(default)]
    pub skills: Vec<Symbol>,
    /// A generalist takes any category.
    #[serde(default)]
    pub generalist: bool,
    /// Where the agent's warnings go, if known.
    #[serde(default)]
    pub email: Option<Arc<str>>,
    /// Open tickets the agent can own at once (10 when left out).
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    /// On shift and not away (true when left out).
    #[serde(default = "yes")]
    pub available: bool,
    /// The agent's team.
    pub team: TeamId,
}

fn default_capacity() -> u32 {
    10
}

fn yes() -> bool {
    true
}

impl Agent {
    /// An available agent of `tier` in `team`, named after its id, with no skills and a
    /// capacity of 10; refine it with the `with_*` methods.
    pub fn new(id: impl Into<AgentId>, tier: SupportTier, team: impl Into<TeamId>) -> Agent {
        let id = id.into();
        Agent {
            name: Arc::from(id.as_str()),
            id,
            tier,
            skills: Vec::new(),
            generalist: false,
            email: None,
            capacity: default_capacity(),
            available: true,
            team: team.into(),
        }
    }

    /// The agent with these skills (categories they handle).
    pub fn with_skills(mut self, skills: &[&str]) -> Agent {
        self.skills = skills.iter().map(|s| Symbol::intern(s)).collect();
        self
    }

    /// The agent with this capacity (open tickets at once).
    pub fn with_capacity(mut self, capacity: u32) -> Agent {
        self.capacity = capacity;
        self
    }

    /// The agent with this email address (where warnings go).
    pub fn with_email(mut self, email: &str) -> Agent {
        self.email = Some(Arc::from(email));
        self
    }

    /// Whether the agent handles `category`.
    pub fn handles(&self, category: Symbol) -> bool {
        self.generalist || self.skills.contains(&category)
    }
}

/// A team and its manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// Id.
    pub id: TeamId,
    /// Display name.
    pub name: Arc<str>,
    /// The support manager alerted on breaches.
    pub manager: Contact,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_table_allows_and_forbids() {
        assert!(Status::New.can_become(Status::InProgress));
        assert!(Status::Resolved.can_become(Status::InProgress));
        assert!(!Status::Closed.can_become(Status::InProgress));
        assert!(!Status::Draft.can_become(Status::Resolved));
        assert!(!Status::New.can_become(Status::New));
        let err = Status::Closed.transition(Status::New).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid status transition from closed to new"
        );
        assert!(matches!(
            err,
            Error::InvalidTransition {
                from: Status::Closed,
                to: Status::New
            }
        ));
    }

    #[test]
    fn every_status_pair_is_decided_by_the_table() {
        let mut allowed = 0;
        for &from in Status::ALL {
            for &to in Status::ALL {
                match from.transition(to) {
                    Ok(s) => {
                        assert_eq!(s, to);
                        allowed += 1;
                    }
                    Err(e) => assert!(e.to_string().contains(from.as_str())),
                }
            }
        }
        assert_eq!(allowed, 2 + 5 + 5 + 4 + 4 + 2);
    }

    #[test]
    fn names_round_trip() {
        for &c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
        }
        let err = "fax".parse::<Channel>().unwrap_err();
        assert!(err.to_string().contains("channel"));
        assert!(err.to_string().contains("fax"));
    }
}
