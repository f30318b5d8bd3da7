//! The escalation ladder (workflow steps 6–8): levels that fire once per SLA clock (or once
//! per ticket) when their trigger is met, and the actions they take.
//!
//! ```toml
//! [[ladder]]
//! name = "breach"
//! on = "breach"
//! targets = ["first_response", "resolution"]
//! actions = ["create_task", "alert_manager", "notify_customer", "move_to_tier2"]
//!
//! [[ladder]]
//! name = "page-critical"
//! on = "breach"
//! min_priority = "critical"
//! actions = ["page"]
//! page = { repeat_every = "15m", max_repeats = 4, ack_timeout = "30m" }
//! ```

use serde::{Deserialize, Serialize};

use crate::model::Priority;
use crate::sla::Target;
use crate::span::Span;

/// What makes a level fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A warning of a clock (each configured warning fires the level once per clock).
    Warning,
    /// A clock's deadline passed.
    Breach,
    /// `after` has passed since a clock breached.
    SinceBreach,
    /// The ticket's priority reached `min_priority` (once per ticket).
    Priority,
    /// A move to Tier 2 found no Tier 2 agent (once per ticket).
    TierExhausted,
    /// A page was not acknowledged within its `ack_timeout` (once per page).
    PageUnacknowledged,
}

impl Trigger {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Warning => "warning",
            Trigger::Breach => "breach",
            Trigger::SinceBreach => "since_breach",
            Trigger::Priority => "priority",
            Trigger::TierExhausted => "tier_exhausted",
            Trigger::PageUnacknowledged => "page_unacknowledged",
        }
    }
}

/// What a level does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create an escalation task the host can list, assign and close.
    CreateTask,
    /// Alert the support manager of the assignee's team.
    AlertManager,
    /// Tell the customer their ticket was escalated.
    NotifyCustomer,
    /// Warn the assignee.
    WarnAgent,
    /// Re-route the ticket to a Tier 2 agent.
    MoveToTier2,
    /// Raise the priority one step (the deadlines follow).
    RaisePriority,
    /// Page on-call, repeating until acknowledged (see [`PageSettings`]).
    Page,
}

impl Action {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateTask => "create_task",
            Action::AlertManager => "alert_manager",
            Action::NotifyCustomer => "notify_customer",
            Action::WarnAgent => "warn_agent",
            Action::MoveToTier2 => "move_to_tier2",
            Action::RaisePriority => "raise_priority",
            Action::Page => "page",
        }
    }
}

/// How a page repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageSettings {
    /// Time between repeats while nobody acknowledges.
    pub repeat_every: Span,
    /// Pages sent at most, the first included.
    pub max_repeats: u32,
    /// Time after the first page after which an unacknowledged page fires the
    /// `page_unacknowledged` levels.
    pub ack_timeout: Span,
}

impl Default for PageSettings {
    fn default() -> Self {
        PageSettings {
            repeat_every: Span::minutes(15),
            max_repeats: 4,
            ack_timeout: Span::minutes(30),
        }
    }
}

/// One level of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LadderLevel {
    /// A unique name; it appears in logs and idempotency keys.
    pub name: String,
    /// The trigger.
    pub on: Trigger,
    /// For clock triggers: the targets it applies to (all when empty).
    pub targets: Vec<Target>,
    /// Fires only for tickets at or above this priority; for `on = "priority"`, the
    /// priority that fires it.
    pub min_priority: Option<Priority>,
    /// For `on = "since_breach"`: how long after the breach (wall-clock time).
    pub after: Option<Span>,
    /// What it does, in order.
    pub actions: Vec<Action>,
    /// How pages repeat, for the `page` action.
    pub page: PageSettings,
}

impl Default for LadderLevel {
    fn default() -> Self {
        LadderLevel {
            name: String::new(),
            on: Trigger::Breach,
            targets: Vec::new(),
            min_priority: None,
            after: None,
            actions: Vec::new(),
            page: PageSettings::default(),
        }
    }
}

impl LadderLevel {
    /// Whether the level applies to `target` (clock triggers) at `priority`.
    pub fn applies(&self, target: Option<Target>, priority: Priority) -> bool {
        let target_ok = match target {
            Some(t) => self.targets.is_empty() || self.targets.contains(&t),
            None => true,
        };
        target_ok && self.min_priority.is_none_or(|p| priority >= p)
    }
}

/// The default ladder: warn the assignee on warnings; on a breach of first response or
/// resolution, create a task, alert the manager, notify the customer and move to Tier 2;
/// page on-call for critical breaches; raise the priority four hours after a breach; alert
/// the manager when Tier 2 is exhausted or a page goes unacknowledged.
pub fn default_ladder() -> Vec<LadderLevel> {
    vec![
        LadderLevel {
            name: "warn-assignee".to_owned(),
            on: Trigger::Warning,
            actions: vec![Action::WarnAgent],
            ..LadderLevel::default()
        },
        LadderLevel {
            name: "breach".to_owned(),
            on: Trigger::Breach,
            targets: vec![Target::FirstResponse, Target::Resolution],
            actions: vec![
                Action::CreateTask,
                Action::AlertManager,
                Action::NotifyCustomer,
                Action::MoveToTier2,
            ],
            ..LadderLevel::default()
        },
        LadderLevel {
            name: "next-response-breach".to_owned(),
            on: Trigger::Breach,
            targets: vec![Target::NextResponse],
            actions: vec![Action::AlertManager],
            ..LadderLevel::default()
        },
        LadderLevel {
            name: "page-critical".to_owned(),
            on: Trigger::Breach,
            min_priority: Some(Priority::Critical),
            actions: vec![Action::Page],
            ..LadderLevel::default()
        },
        LadderLevel {
            name: "still-breached".to_owned(),
            on: Trigger::SinceBreach,
            targets: vec![Target::Resolution],
            after: Some(Span::hours(4)),
            actions: vec![Action::RaisePriority, Action::AlertManager],
            ..LadderLevel::default()
        },
        LadderLevel {
            name: "tier2-exhausted".to_owned(),
            on: Trigger::TierExhausted,
            actions: vec![Action::AlertManager],
            ..LadderLevel::default()
        },
        LadderLevel {
            name: "page-unacknowledged".to_owned(),
            on: Trigger::PageUnacknowledged,
            actions: vec![Action::AlertManager],
            ..LadderLevel::default()
        },
    ]
}
