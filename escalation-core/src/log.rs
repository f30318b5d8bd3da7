//! The ticket log: who did what, when and why.
//!
//! Entries are stored as structured data and rendered as text only when read
//! ([`LogEntry`]'s `Display`), which keeps intake free of string formatting.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{AgentId, Channel, CustomerId, CustomerTier, Impact, Priority, Status, TeamId};
use crate::routing::NoEligibleAgent;
use crate::scoring::Score;
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
        /// The score and its breakdown.
        score: Score,
    },
    /// The ticket was scored again.
    Rescored {
        /// The band before.
        from: Priority,
        /// The new score.
        score: Score,
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
        }
    }
}
