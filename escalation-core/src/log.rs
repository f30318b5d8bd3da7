//! The ticket log: who did what, when and why.
//!
//! Entries are stored as structured data and rendered as text only when read
//! ([`LogEntry`]'s `Display`), which keeps intake free of string formatting.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::ladder::{Action, Trigger};
use crate::model::{
    AgentId, Channel, CustomerId, CustomerTier, Impact, Priority, Status, SupportTier, TeamId,
};
use crate::routing::NoEligibleAgent;
use crate::scoring::ScoreNote;
use crate::sla::Target;
use crate::span::Span;
use crate::symbol::Symbol;

/// Who caused a log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// The engine itself (intake, sweep, dispatch).
    Engine,
    /// The host application, with the user name it gave.
    Host(Arc<str>),
    /// An agent.
    Agent(AgentId),
    /// The ticket's customer.
    Customer(CustomerId),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Engine => f.write_str("engine"),
            Actor::Host(who) => write!(f, "host:{who}"),
            Actor::Agent(id) => write!(f, "agent:{id}"),
            Actor::Customer(id) => write!(f, "customer:{id}"),
        }
    }
}

/// Why a ticket was scored again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RescoreReason {
    /// The ticket aged into another band.
    Aged,
    /// The customer's profile arrived after intake.
    ProfileArrived,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    /// The ticket was taken in (step 1).
    Created {
        /// How it arrived.
        channel: Channel,
        /// Its category.
        category: Symbol,
        /// Its impact.
        impact: Impact,
        /// Whether it was opened as a draft.
        draft: bool,
    },
    /// The customer's profile was fetched (step 2).
    ProfileFetched {
        /// The customer's tier.
        tier: CustomerTier,
    },
    /// The ProfileSource does not know the customer; the default tier applies.
    ProfileNotFound {
        /// The tier assumed.
        assumed: CustomerTier,
    },
    /// The ProfileSource failed or timed out; the default tier applies for now.
    ProfileUnavailable {
        /// The failure.
        reason: Arc<str>,
        /// Fetches tried so far.
        attempts: u32,
        /// When the engine fetches again, if it will.
        retry_at: Option<DateTime<Utc>>,
    },
    /// The ticket was scored (step 3).
    Scored {
        /// The score and each factor's points.
        score: ScoreNote,
    },
    /// The ticket was scored again.
    Rescored {
        /// The band before.
        from: Priority,
        /// The new score.
        score: ScoreNote,
        /// Why.
        reason: RescoreReason,
    },
    /// The host set the priority by hand.
    PriorityOverridden {
        /// The priority before.
        from: Priority,
        /// The priority in force now.
        to: Priority,
        /// The host's reason.
        reason: Arc<str>,
    },
    /// The host removed its priority override.
    PriorityOverrideCleared {
        /// The score's band, in force again.
        to: Priority,
    },
    /// An agent took the ticket (step 4).
    Assigned {
        /// The agent.
        agent: AgentId,
        /// Their team.
        team: TeamId,
        /// Their open tickets before this one.
        load: u32,
        /// Eligible agents.
        eligible: u32,
        /// Eligible agents with the same lowest load.
        tied: u32,
    },
    /// Nobody could take the ticket; it waits in the queue.
    Queued {
        /// What excluded each agent.
        why: NoEligibleAgent,
        /// When assignment is tried again.
        retry_at: DateTime<Utc>,
    },
    /// The agent directory failed; the ticket waits in the queue.
    DirectoryUnavailable {
        /// The failure.
        reason: Arc<str>,
        /// When assignment is tried again.
        retry_at: DateTime<Utc>,
    },
    /// The status changed.
    StatusChanged {
        /// Before.
        from: Status,
        /// After.
        to: Status,
        /// Why, when given.
        reason: Option<Arc<str>>,
    },
    /// An agent replied to the customer.
    AgentReplied {
        /// Whether it was the first response.
        first: bool,
    },
    /// The customer replied.
    CustomerReplied,
    /// An SLA clock started.
    SlaStarted {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// Its budget.
        budget: Span,
        /// The calendar it runs on.
        calendar: Arc<str>,
        /// The `[[sla.targets]]` rule that chose the budget.
        rule: usize,
        /// Its deadline.
        deadline: Option<DateTime<Utc>>,
    },
    /// A priority change gave a clock another budget.
    SlaRebudgeted {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// The priority the new budget is for.
        priority: Priority,
        /// The new budget.
        budget: Span,
        /// The new deadline (none while paused).
        deadline: Option<DateTime<Utc>>,
    },
    /// A clock paused; paused time is not consumed.
    SlaPaused {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// Business seconds used so far.
        used_seconds: i64,
    },
    /// A clock resumed.
    SlaResumed {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// Its deadline now.
        deadline: Option<DateTime<Utc>>,
    },
    /// A clock stopped: target met (or missed), or ticket resolved.
    SlaStopped {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// Business seconds used.
        used_seconds: i64,
        /// Whether it stopped before its deadline.
        met: bool,
    },
    /// A clock reached a warning.
    SlaWarning {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// Which warning (`"75%"`, `"15m before"`).
        label: Arc<str>,
        /// The deadline it warns of.
        deadline: Option<DateTime<Utc>>,
    },
    /// A clock breached: its deadline passed.
    SlaBreached {
        /// Which target.
        target: Target,
        /// Which cycle.
        cycle: u32,
        /// The deadline (the breach instant).
        deadline: DateTime<Utc>,
    },
    /// A ladder level fired.
    LevelFired {
        /// The level.
        level: Arc<str>,
        /// Its trigger.
        trigger: Trigger,
        /// The clock, for clock triggers.
        target: Option<Target>,
        /// The cycle.
        cycle: u32,
        /// The ticket's category when it fired (so reports count escalations by category
        /// from the log alone; absent in entries written before this field existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<Symbol>,
        /// The customer tier the ticket was scored with when it fired (likewise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_tier: Option<CustomerTier>,
    },
    /// An escalation task was created.
    TaskCreated {
        /// Its id.
        task: Arc<str>,
    },
    /// An effect was written to the outbox.
    EffectQueued {
        /// Its idempotency key.
        key: Arc<str>,
        /// What it is (`notify`, `page_trigger`, `page_resolve`).
        kind: Arc<str>,
        /// Not delivered before this instant (quiet hours).
        not_before: DateTime<Utc>,
    },
    /// An effect was delivered.
    EffectDelivered {
        /// Its key.
        key: Arc<str>,
        /// Attempts it took.
        attempts: u32,
    },
    /// A delivery failed and will be retried.
    EffectRetrying {
        /// Its key.
        key: Arc<str>,
        /// Attempts so far.
        attempts: u32,
        /// The failure.
        error: Arc<str>,
        /// When it is tried again.
        retry_at: DateTime<Utc>,
    },
    /// A delivery failed for good.
    EffectDeadLettered {
        /// Its key.
        key: Arc<str>,
        /// Attempts made.
        attempts: u32,
        /// The failure.
        error: Arc<str>,
    },
    /// An action had nobody to address.
    NoRecipient {
        /// The action.
        action: Action,
        /// Why.
        reason: Arc<str>,
    },
    /// The ticket moved to another support tier.
    MovedToTier {
        /// The new tier.
        tier: SupportTier,
        /// The new assignee, if one was found.
        agent: Option<AgentId>,
    },
    /// The ladder raised the priority.
    PriorityRaised {
        /// Before.
        from: Priority,
        /// After.
        to: Priority,
        /// The level that did it.
        level: Arc<str>,
    },
    /// A page was repeated.
    PageRepeated {
        /// The page's dedup key.
        page: Arc<str>,
        /// The page number (0 is the first).
        repeat: u32,
    },
    /// Somebody acknowledged a page; its repeats stop.
    PageAcknowledged {
        /// The page's dedup key.
        page: Arc<str>,
    },
    /// Nobody acknowledged a page in time.
    PageUnacknowledged {
        /// The page's dedup key.
        page: Arc<str>,
    },
    /// The ticket was resolved.
    Resolved {
        /// What was done.
        summary: Arc<str>,
        /// The root cause, if given.
        root_cause: Option<Arc<str>>,
    },
    /// Retention archived the resolved or closed ticket (see [`crate::Engine::cleanup`]).
    Archived,
}

fn clock(target: Target, cycle: u32) -> String {
    if cycle == 0 {
        target.to_string()
    } else {
        format!("{target}#{cycle}")
    }
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "(paused)".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn secs(s: i64) -> String {
    Span::seconds(s).to_string()
}

impl LogEvent {
    /// The event's stable snake_case name (the `type` tag of its serialized form).
    pub fn name(&self) -> &'static str {
        match self {
            LogEvent::Created { .. } => "created",
            LogEvent::ProfileFetched { .. } => "profile_fetched",
            LogEvent::ProfileNotFound { .. } => "profile_not_found",
            LogEvent::ProfileUnavailable { .. } => "profile_unavailable",
            LogEvent::Scored { .. } => "scored",
            LogEvent::Rescored { .. } => "rescored",
            LogEvent::PriorityOverridden { .. } => "priority_overridden",
            LogEvent::PriorityOverrideCleared { .. } => "priority_override_cleared",
            LogEvent::Assigned { .. } => "assigned",
            LogEvent::Queued { .. } => "queued",
            LogEvent::DirectoryUnavailable { .. } => "directory_unavailable",
            LogEvent::StatusChanged { .. } => "status_changed",
            LogEvent::AgentReplied { .. } => "agent_replied",
            LogEvent::CustomerReplied => "customer_replied",
            LogEvent::SlaStarted { .. } => "sla_started",
            LogEvent::SlaRebudgeted { .. } => "sla_rebudgeted",
            LogEvent::SlaPaused { .. } => "sla_paused",
            LogEvent::SlaResumed { .. } => "sla_resumed",
            LogEvent::SlaStopped { .. } => "sla_stopped",
            LogEvent::SlaWarning { .. } => "sla_warning",
            LogEvent::SlaBreached { .. } => "sla_breached",
            LogEvent::LevelFired { .. } => "level_fired",
            LogEvent::TaskCreated { .. } => "task_created",
            LogEvent::EffectQueued { .. } => "effect_queued",
            LogEvent::EffectDelivered { .. } => "effect_delivered",
            LogEvent::EffectRetrying { .. } => "effect_retrying",
            LogEvent::EffectDeadLettered { .. } => "effect_dead_lettered",
            LogEvent::NoRecipient { .. } => "no_recipient",
            LogEvent::MovedToTier { .. } => "moved_to_tier",
            LogEvent::PriorityRaised { .. } => "priority_raised",
            LogEvent::PageRepeated { .. } => "page_repeated",
            LogEvent::PageAcknowledged { .. } => "page_acknowledged",
            LogEvent::PageUnacknowledged { .. } => "page_unacknowledged",
            LogEvent::Resolved { .. } => "resolved",
            LogEvent::Archived => "archived",
        }
    }

    /// Whether this is an escalation event, whose entries retention keeps for
    /// `retention.escalation_log_after` rather than the shorter `retention.log_after`:
    /// SLA warnings and breaches, ladder levels fired, escalation tasks created, moves to
    /// another tier, ladder priority raises, pages (repeated, acknowledged, unacknowledged)
    /// and the resolution (it carries the root cause). The one place this set is defined.
    pub fn is_escalation(&self) -> bool {
        match self {
            LogEvent::SlaWarning { .. }
            | LogEvent::SlaBreached { .. }
            | LogEvent::LevelFired { .. }
            | LogEvent::TaskCreated { .. }
            | LogEvent::MovedToTier { .. }
            | LogEvent::PriorityRaised { .. }
            | LogEvent::PageRepeated { .. }
            | LogEvent::PageAcknowledged { .. }
            | LogEvent::PageUnacknowledged { .. }
            | LogEvent::Resolved { .. } => true,
            LogEvent::Created { .. }
            | LogEvent::ProfileFetched { .. }
            | LogEvent::ProfileNotFound { .. }
            | LogEvent::ProfileUnavailable { .. }
            | LogEvent::Scored { .. }
            | LogEvent::Rescored { .. }
            | LogEvent::PriorityOverridden { .. }
            | LogEvent::PriorityOverrideCleared { .. }
            | LogEvent::Assigned { .. }
            | LogEvent::Queued { .. }
            | LogEvent::DirectoryUnavailable { .. }
            | LogEvent::StatusChanged { .. }
            | LogEvent::AgentReplied { .. }
            | LogEvent::CustomerReplied
            | LogEvent::SlaStarted { .. }
            | LogEvent::SlaRebudgeted { .. }
            | LogEvent::SlaPaused { .. }
            | LogEvent::SlaResumed { .. }
            | LogEvent::SlaStopped { .. }
            | LogEvent::EffectQueued { .. }
            | LogEvent::EffectDelivered { .. }
            | LogEvent::EffectRetrying { .. }
            | LogEvent::EffectDeadLettered { .. }
            | LogEvent::NoRecipient { .. }
            | LogEvent::Archived => false,
        }
    }
}

/// One entry of a ticket's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What, and why.
    pub event: LogEvent,
}

impl LogEntry {
    /// An entry by the engine.
    pub fn engine(at: DateTime<Utc>, event: LogEvent) -> LogEntry {
        LogEntry {
            at,
            actor: Actor::Engine,
            event,
        }
    }
}

impl fmt::Display for LogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.actor,
            self.event
        )
    }
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Created {
                channel,
                category,
                impact,
                draft,
            } => write!(
                f,
                "created{} via {channel}: category {category}, impact {impact}",
                if *draft { " as draft" } else { "" }
            ),
            LogEvent::ProfileFetched { tier } => write!(f, "profile fetched: tier {tier}"),
            LogEvent::ProfileNotFound { assumed } => {
                write!(
                    f,
                    "customer unknown to the profile source; assumed tier {assumed}"
                )
            }
            LogEvent::ProfileUnavailable {
                reason,
                attempts,
                retry_at,
            } => {
                write!(
                    f,
                    "profile unavailable after {attempts} attempt(s) ({reason})"
                )?;
                match retry_at {
                    Some(at) => write!(
                        f,
                        "; retry at {}",
                        at.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                    None => f.write_str("; giving up, default tier kept"),
                }
            }
            LogEvent::Scored { score } => write!(f, "{score}"),
            LogEvent::Rescored {
                from,
                score,
                reason,
            } => {
                let why = match reason {
                    RescoreReason::Aged => "aged",
                    RescoreReason::ProfileArrived => "profile arrived",
                };
                write!(f, "rescored ({why}), was {from}: {score}")
            }
            LogEvent::PriorityOverridden { from, to, reason } => {
                write!(f, "priority overridden from {from} to {to}: {reason}")
            }
            LogEvent::PriorityOverrideCleared { to } => {
                write!(f, "priority override cleared; score band {to} applies")
            }
            LogEvent::Assigned {
                agent,
                team,
                load,
                eligible,
                tied,
            } => {
                write!(
                    f,
                    "assigned to {agent} (team {team}): least loaded with {load} open of {eligible} eligible"
                )?;
                if *tied > 1 {
                    write!(f, ", round-robin among {tied} tied")?;
                }
                Ok(())
            }
            LogEvent::Queued { why, retry_at } => write!(
                f,
                "queued, no eligible agent among {} ({} other tier, {} unavailable, {} lacking skill, {} at capacity); retry at {}",
                why.considered,
                why.other_tier,
                why.unavailable,
                why.lacking_skill,
                why.at_capacity,
                retry_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            LogEvent::DirectoryUnavailable { reason, retry_at } => write!(
                f,
                "queued, agent directory unavailable ({reason}); retry at {}",
                retry_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            LogEvent::StatusChanged { from, to, reason } => {
                write!(f, "status {from} -> {to}")?;
                if let Some(r) = reason {
                    write!(f, ": {r}")?;
                }
                Ok(())
            }
            LogEvent::AgentReplied { first } => f.write_str(if *first {
                "first response sent"
            } else {
                "agent replied"
            }),
            LogEvent::CustomerReplied => f.write_str("customer replied"),
            LogEvent::SlaStarted {
                target,
                cycle,
                budget,
                calendar,
                rule,
                deadline,
            } => {
                write!(
                    f,
                    "{} clock started: {budget} on calendar {calendar} (sla.targets[{rule}]), due {}",
                    clock(*target, *cycle),
                    when(*deadline)
                )
            }
            LogEvent::SlaRebudgeted {
                target,
                cycle,
                priority,
                budget,
                deadline,
            } => write!(
                f,
                "{} budget now {budget} for priority {priority}, due {}",
                clock(*target, *cycle),
                when(*deadline)
            ),
            LogEvent::SlaPaused {
                target,
                cycle,
                used_seconds,
            } => write!(
                f,
                "{} paused after {} used",
                clock(*target, *cycle),
                secs(*used_seconds)
            ),
            LogEvent::SlaResumed {
                target,
                cycle,
                deadline,
            } => write!(
                f,
                "{} resumed, due {}",
                clock(*target, *cycle),
                when(*deadline)
            ),
            LogEvent::SlaStopped {
                target,
                cycle,
                used_seconds,
                met,
            } => write!(
                f,
                "{} stopped after {} used ({})",
                clock(*target, *cycle),
                secs(*used_seconds),
                if *met { "met" } else { "missed" }
            ),
            LogEvent::SlaWarning {
                target,
                cycle,
                label,
                deadline,
            } => write!(
                f,
                "{} warning {label}: due {}",
                clock(*target, *cycle),
                when(*deadline)
            ),
            LogEvent::SlaBreached {
                target,
                cycle,
                deadline,
            } => write!(
                f,
                "{} BREACHED at its deadline {}",
                clock(*target, *cycle),
                when(Some(*deadline))
            ),
            LogEvent::LevelFired {
                level,
                trigger,
                target,
                cycle,
                ..
            } => {
                write!(f, "ladder level {level} fired on {}", trigger.as_str())?;
                if let Some(t) = target {
                    write!(f, " of {}", clock(*t, *cycle))?;
                }
                Ok(())
            }
            LogEvent::TaskCreated { task } => write!(f, "escalation task {task} created"),
            LogEvent::EffectQueued {
                key,
                kind,
                not_before,
            } => write!(
                f,
                "{kind} {key} queued, not before {}",
                when(Some(*not_before))
            ),
            LogEvent::EffectDelivered { key, attempts } => {
                write!(f, "{key} delivered (attempt {attempts})")
            }
            LogEvent::EffectRetrying {
                key,
                attempts,
                error,
                retry_at,
            } => write!(
                f,
                "{key} failed (attempt {attempts}: {error}); retry at {}",
                when(Some(*retry_at))
            ),
            LogEvent::EffectDeadLettered {
                key,
                attempts,
                error,
            } => write!(
                f,
                "{key} dead-lettered after {attempts} attempt(s): {error}"
            ),
            LogEvent::NoRecipient { action, reason } => {
                write!(f, "{} skipped: {reason}", action.as_str())
            }
            LogEvent::MovedToTier { tier, agent } => match agent {
                Some(a) => write!(f, "moved to {tier}, assigned to {a}"),
                None => write!(f, "moved to {tier}, but no {tier} agent is available"),
            },
            LogEvent::PriorityRaised { from, to, level } => {
                write!(
                    f,
                    "priority raised from {from} to {to} by ladder level {level}"
                )
            }
            LogEvent::PageRepeated { page, repeat } => {
                write!(f, "page {page} repeated (#{repeat})")
            }
            LogEvent::PageAcknowledged { page } => {
                write!(f, "page {page} acknowledged; repeats stop")
            }
            LogEvent::PageUnacknowledged { page } => {
                write!(f, "page {page} not acknowledged in time")
            }
            LogEvent::Resolved {
                summary,
                root_cause,
            } => write!(
                f,
                "resolved ({}): {summary}",
                root_cause.as_deref().unwrap_or("no root cause given")
            ),
            LogEvent::Archived => f.write_str("archived under the retention policy"),
        }
    }
}
