//! `Engine::explain`: why each deadline is where it is.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use super::Engine;
use crate::error::Result;
use crate::model::{Priority, PriorityOverride, TicketRef};
use crate::scoring::Score;
use crate::sla::{Pause, Target};
use crate::span::Span;

/// At most this many calendar segments are listed per target.
const MAX_SEGMENTS: usize = 200;

/// Why a ticket has its priority and its deadlines.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The ticket.
    pub ticket: TicketRef,
    /// The priority in force.
    pub priority: Priority,
    /// The score and its breakdown.
    pub score: Score,
    /// The host's (or the ladder's) override, if any.
    pub priority_override: Option<PriorityOverride>,
    /// The policy version the clocks were started under.
    pub policy_version: Option<Arc<str>>,
    /// One entry per SLA clock.
    pub targets: Vec<TargetExplanation>,
}

/// How one SLA clock's deadline came about.
#[derive(Debug, Clone, Serialize)]
pub struct TargetExplanation {
    /// The target.
    pub target: Target,
    /// The cycle (next-response cycles count from 1).
    pub cycle: u32,
    /// The rule that chose the budget, as written in the policy.
    pub rule: String,
    /// The calendar it runs on.
    pub calendar: Arc<str>,
    /// The budget.
    pub budget: Span,
    /// `running`, `paused`, `met`, `missed` or `breached`.
    pub state: &'static str,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// The deadline while running (or the breach instant once breached).
    pub deadline: Option<DateTime<Utc>>,
    /// When it stopped, once met or missed.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Business seconds used so far.
    pub used_seconds: i64,
    /// Business seconds left (negative once breached).
    pub remaining_seconds: i64,
    /// The business-time segments the budget is spent in, pauses taken out.
    pub segments: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Holidays between the start and the deadline that the calendar skipped.
    pub holidays_skipped: Vec<NaiveDate>,
    /// Paused stretches, whose business time was not consumed.
    pub pauses: Vec<Pause>,
    /// Each warning: its label, when it falls (or fell) due, and whether it fired.
    pub warnings: Vec<(String, Option<DateTime<Utc>>, bool)>,
}

impl Engine {
    /// Explains a ticket's priority and, for each SLA target, its deadline: the calendar
    /// segments used, the holidays skipped, the pauses subtracted, and the rule that chose
    /// the target.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the ticket does not exist in its tenant.
    pub async fn explain(&self, key: impl Into<TicketRef>) -> Result<Explanation> {
        let t = self.inner.store.get(&key.into()).await?;
        let now = self.inner.clock.now();
        let sla = &self.inner.policy.sla;
        let mut targets = Vec::with_capacity(t.sla.len());
        for clock in &t.sla {
            let cal = self.calendar_or_always(&clock.calendar);
            let used = clock.used(cal, now);
            let end = clock
                .stopped_at
                .or(clock.deadline)
                .or(clock.breached_at)
                .unwrap_or(now);
            let end = if clock.stopped_at.is_none() && clock.breached_at.is_some() {
                now.max(end)
            } else {
                end
            };
            let mut segments = Vec::new();
            for (a, b) in cal.segments(clock.started_at, end) {
                subtract_pauses(a, b, &clock.pauses, now, &mut segments);
                if segments.len() >= MAX_SEGMENTS {
                    segments.truncate(MAX_SEGMENTS);
                    break;
                }
            }
            let tz = cal.timezone();
            let first = clock.started_at.with_timezone(&tz).date_naive();
            let last = end.with_timezone(&tz).date_naive();
            let holidays_skipped = cal
                .spec()
                .holidays
                .iter()
                .copied()
                .filter(|d| *d >= first && *d <= last)
                .collect();
            let state = if clock.stopped_at.is_some() {
                if clock.breached_at.is_some() {
                    "missed"
                } else {
                    "met"
                }
            } else if clock.breached_at.is_some() {
                "breached"
            } else if clock.is_paused() {
                "paused"
            } else {
                "running"
            };
            let warnings = (0..sla.warnings.len())
                .map(|i| {
                    let fired = clock.warned & (1 << i) != 0;
                    (
                        sla.warnings.label(i),
                        clock.warning_at(cal, &sla.warnings, i),
                        fired,
                    )
                })
                .collect();
            targets.push(TargetExplanation {
                target: clock.target,
                cycle: clock.cycle,
                rule: describe_rule(self, clock.rule),
                calendar: clock.calendar.clone(),
                budget: clock.budget,
                state,
                started_at: clock.started_at,
                deadline: clock.deadline.or(clock.breached_at),
                stopped_at: clock.stopped_at,
                used_seconds: used.num_seconds(),
                remaining_seconds: (clock.budget.delta() - used).num_seconds(),
                segments,
                holidays_skipped,
                pauses: clock.pauses.clone(),
                warnings,
            });
        }
        Ok(Explanation {
            ticket: t.key(),
            priority: t.priority,
            score: t.score,
            priority_override: t.priority_override.clone(),
            policy_version: t.policy_version.clone(),
            targets,
        })
    }
}

fn describe_rule(engine: &Engine, index: usize) -> String {
    match engine.inner.policy.sla.targets.get(index) {
        Some(r) => format!(
            "sla.targets[{index}] (priority {}, tier {})",
            r.priority
                .map_or_else(|| "any".to_owned(), |p| p.to_string()),
            r.tier.map_or_else(|| "any".to_owned(), |t| t.to_string())
        ),
        None => format!("sla.targets[{index}] (no longer in the policy)"),
    }
}

/// Appends `[a, b)` minus the paused stretches.
fn subtract_pauses(
    a: DateTime<Utc>,
    b: DateTime<Utc>,
    pauses: &[Pause],
    now: DateTime<Utc>,
    out: &mut Vec<(DateTime<Utc>, DateTime<Utc>)>,
) {
    let mut start = a;
    for p in pauses {
        let (pa, pb) = (p.from, p.to.unwrap_or(now));
        if pb <= start || pa >= b {
            continue;
        }
        if pa > start {
            out.push((start, pa));
        }
        start = start.max(pb);
        if start >= b {
            return;
        }
    }
    if start < b {
        out.push((start, b));
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        writeln!(
            f,
            "ticket {}: priority {} ({})",
            self.ticket, self.priority, self.score
        )?;
        if let Some(o) = &self.priority_override {
            writeln!(f, "  priority set by {}: {}", o.by, o.reason)?;
        }
        for t in &self.targets {
            writeln!(
                f,
                "  {}{}: {} of {} on calendar {} by {}; {} — deadline {}",
                t.target,
                if t.cycle > 0 {
                    format!("#{}", t.cycle)
                } else {
                    String::new()
                },
                Span::seconds(t.used_seconds),
                t.budget,
                t.calendar,
                t.rule,
                t.state,
                t.deadline.map_or_else(|| "(paused)".to_owned(), ts)
            )?;
            for (a, b) in t.segments.iter().take(6) {
                writeln!(f, "    business time {} .. {}", ts(*a), ts(*b))?;
            }
            if t.segments.len() > 6 {
                writeln!(f, "    ... {} more segments", t.segments.len() - 6)?;
            }
            for d in &t.holidays_skipped {
                writeln!(f, "    holiday skipped: {d}")?;
            }
            for p in &t.pauses {
                writeln!(
                    f,
                    "    paused {} .. {}",
                    ts(p.from),
                    p.to.map_or_else(|| "now".to_owned(), ts)
                )?;
            }
        }
        Ok(())
    }
}
