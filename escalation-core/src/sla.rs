//! SLA targets and their clocks (workflow step 5).
//!
//! The policy's `[sla]` section maps a ticket's priority (and optionally its customer's tier)
//! to three targets: first response, next response and resolution, each a budget of business
//! time on a named calendar. A [`SlaClock`] spends a budget: it runs, pauses (paused time is
//! not consumed) and stops, and its deadline is always
//! `calendar.add(running_since, budget − consumed)`. So a deadline moves only when the clock is
//! paused and resumed, or when the budget changes with the priority.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;
use crate::error::Result;
use crate::model::{CustomerTier, Priority, Status};
use crate::span::Span;

/// The three SLA targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// From intake to the first agent reply.
    FirstResponse,
    /// From a customer reply (after the first response) to the next agent reply.
    NextResponse,
    /// From intake to resolution.
    Resolution,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [
        Target::FirstResponse,
        Target::NextResponse,
        Target::Resolution,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::NextResponse => "next_response",
            Target::Resolution => "resolution",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule of `[[sla.targets]]`: the budgets for tickets it matches.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetRule {
    /// Matches tickets of this priority only (any priority when absent).
    pub priority: Option<Priority>,
    /// Matches customers of this tier only (any tier when absent).
    pub tier: Option<CustomerTier>,
    /// Budget for the first response; no clock when absent.
    pub first_response: Option<Span>,
    /// Budget for each next response; no clock when absent.
    pub next_response: Option<Span>,
    /// Budget for the resolution; no clock when absent.
    pub resolution: Option<Span>,
    /// The calendar these budgets run on (the section's `calendar` when absent).
    pub calendar: Option<String>,
}

impl TargetRule {
    fn budgets(priority: Priority, first: i64, next: i64, resolution: i64) -> TargetRule {
        TargetRule {
            priority: Some(priority),
            first_response: Some(Span::minutes(first)),
            next_response: Some(Span::minutes(next)),
            resolution: Some(Span::minutes(resolution)),
            ..TargetRule::default()
        }
    }

    /// The budget this rule sets for `target`.
    pub fn budget(&self, target: Target) -> Option<Span> {
        match target {
            Target::FirstResponse => self.first_response,
            Target::NextResponse => self.next_response,
            Target::Resolution => self.resolution,
        }
    }

    fn matches(&self, priority: Priority, tier: CustomerTier) -> bool {
        self.priority.is_none_or(|p| p == priority) && self.tier.is_none_or(|t| t == tier)
    }
}

/// Statuses in which each target's clock pauses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PauseRules {
    /// First response pauses in these statuses (none by default).
    pub first_response: Vec<Status>,
    /// Next response pauses in these statuses (none by default).
    pub next_response: Vec<Status>,
    /// Resolution pauses in these statuses (Pending Customer and On Hold by default).
    pub resolution: Vec<Status>,
}

impl Default for PauseRules {
    fn default() -> Self {
        PauseRules {
            first_response: Vec::new(),
            next_response: Vec::new(),
            resolution: vec![Status::PendingCustomer, Status::OnHold],
        }
    }
}

impl PauseRules {
    /// Whether `target` pauses in `status`.
    pub fn pauses(&self, target: Target, status: Status) -> bool {
        let list = match target {
            Target::FirstResponse => &self.first_response,
            Target::NextResponse => &self.next_response,
            Target::Resolution => &self.resolution,
        };
        list.contains(&status)
    }
}

/// When to warn before a breach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WarningRules {
    /// Warn when this share (in percent, 1..99) of a budget is used up.
    pub percent: Vec<u8>,
    /// Warn this long (in the target's business time) before the deadline.
    pub before: Vec<Span>,
}

impl Default for WarningRules {
    fn default() -> Self {
        WarningRules {
            percent: vec![75, 90],
            before: Vec::new(),
        }
    }
}

impl WarningRules {
    /// How many warnings there are (percentages first, then lead times).
    pub fn len(&self) -> usize {
        self.percent.len() + self.before.len()
    }

    /// Whether no warning is configured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A label for warning `index`: `"75%"` or `"15m before"`.
    pub fn label(&self, index: usize) -> String {
        match self.percent.get(index) {
            Some(p) => format!("{p}%"),
            None => match self.before.get(index - self.percent.len()) {
                Some(b) => format!("{b} before"),
                None => format!("#{index}"),
            },
        }
    }
}

/// The `[sla]` section of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaPolicy {
    /// The calendar targets run on unless their rule names another.
    pub calendar: String,
    /// Rules, tried in order; the first that matches a ticket's priority and tier wins.
    pub targets: Vec<TargetRule>,
    /// Statuses in which each target pauses.
    pub pause: PauseRules,
    /// Warnings before a breach.
    pub warnings: WarningRules,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            calendar: crate::policy::ALWAYS_CALENDAR.to_owned(),
            targets: vec![
                TargetRule::budgets(Priority::Critical, 30, 2 * 60, 8 * 60),
                TargetRule::budgets(Priority::High, 2 * 60, 4 * 60, 24 * 60),
                TargetRule::budgets(Priority::Normal, 4 * 60, 8 * 60, 3 * 24 * 60),
                TargetRule::budgets(Priority::Low, 8 * 60, 24 * 60, 5 * 24 * 60),
            ],
            pause: PauseRules::default(),
            warnings: WarningRules::default(),
        }
    }
}

impl SlaPolicy {
    /// The index of the first rule matching `priority` and `tier`.
    pub fn rule_for(&self, priority: Priority, tier: CustomerTier) -> Option<usize> {
        self.targets.iter().position(|r| r.matches(priority, tier))
    }

    /// The calendar name rule `index` runs on.
    pub fn calendar_of(&self, index: usize) -> &str {
        self.targets
            .get(index)
            .and_then(|r| r.calendar.as_deref())
            .unwrap_or(&self.calendar)
    }
}

/// A paused stretch of a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When it paused.
    pub from: DateTime<Utc>,
    /// When it resumed; `None` while still paused.
    pub to: Option<DateTime<Utc>>,
}

/// One SLA clock of a ticket: a budget of business time being spent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    /// Which target.
    pub target: Target,
    /// 0 for first response and resolution; counts next-response cycles.
    pub cycle: u32,
    /// The index of the `[[sla.targets]]` rule that set the budget.
    pub rule: usize,
    /// The ticket priority the budget was chosen for.
    pub priority: Priority,
    /// The calendar it runs on.
    pub calendar: Arc<str>,
    /// The budget.
    pub budget: Span,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Business time used before `running_since`.
    pub consumed: TimeDelta,
    /// When it last started running; `None` while paused or stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since: Option<DateTime<Utc>>,
    /// The deadline while running: `add(running_since, budget − consumed)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// Paused stretches.
    pub pauses: Vec<Pause>,
    /// When it stopped (target met, ticket resolved, or cycle superseded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<DateTime<Utc>>,
    /// When it breached: the deadline second itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breached_at: Option<DateTime<Utc>>,
    /// Bit `i` is set once warning `i` fired.
    pub warned: u64,
}

impl SlaClock {
    /// Starts a clock at `now` with `budget` on `calendar`.
    ///
    /// # Errors
    /// [`crate::Error::OutOfRange`] when the deadline falls outside the calendar's range.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        target: Target,
        cycle: u32,
        rule: usize,
        priority: Priority,
        calendar_name: Arc<str>,
        calendar: &BusinessCalendar,
        budget: Span,
        now: DateTime<Utc>,
    ) -> Result<SlaClock> {
        Ok(SlaClock {
            target,
            cycle,
            rule,
            priority,
            calendar: calendar_name,
            budget,
            started_at: now,
            consumed: TimeDelta::zero(),
            running_since: Some(now),
            deadline: Some(calendar.add(now, budget.delta())?),
            pauses: Vec::new(),
            stopped_at: None,
            breached_at: None,
            warned: 0,
        })
    }

    /// Whether the clock is spending its budget.
    pub fn is_running(&self) -> bool {
        self.running_since.is_some()
    }

    /// Whether the clock is paused.
    pub fn is_paused(&self) -> bool {
        self.stopped_at.is_none() && self.running_since.is_none()
    }

    /// Business time used up to `now`.
    pub fn used(&self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> TimeDelta {
        match self.running_since {
            Some(since) if now > since => self.consumed + calendar.elapsed(since, now),
            _ => self.consumed,
        }
    }

    /// Business time left at `now` (negative once breached).
    pub fn remaining(&self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> TimeDelta {
        self.budget.delta() - self.used(calendar, now)
    }

    /// Records a breach if the deadline has come; returns whether it breached just now.
    pub fn check_breach(&mut self, now: DateTime<Utc>) -> bool {
        match self.deadline {
            Some(d) if self.breached_at.is_none() && d <= now => {
                self.breached_at = Some(d);
                true
            }
            _ => false,
        }
    }

    /// Pauses at `now`: the time used so far is banked and the deadline cleared.
    pub fn pause(&mut self, calendar: &BusinessCalendar, now: DateTime<Utc>) {
        if let Some(since) = self.running_since.take() {
            if now > since {
                self.consumed += calendar.elapsed(since, now);
            }
            self.deadline = None;
            self.pauses.push(Pause {
                from: now,
                to: None,
            });
        }
    }

    /// Resumes at `now`; the deadline moves by exactly the business time spent paused.
    ///
    /// # Errors
    /// [`crate::Error::OutOfRange`] when the deadline falls outside the calendar's range.
    pub fn resume(&mut self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> Result<()> {
        if self.stopped_at.is_some() || self.running_since.is_some() {
            return Ok(());
        }
        if let Some(p) = self.pauses.last_mut() {
            p.to.get_or_insert(now);
        }
        self.running_since = Some(now);
        self.deadline = Some(calendar.add(now, self.budget.delta() - self.consumed)?);
        Ok(())
    }

    /// Stops the clock for good at `now` (target met, ticket resolved).
    pub fn stop(&mut self, calendar: &BusinessCalendar, now: DateTime<Utc>) {
        if self.stopped_at.is_some() {
            return;
        }
        if let Some(since) = self.running_since.take() {
            if now > since {
                self.consumed += calendar.elapsed(since, now);
            }
        } else if let Some(p) = self.pauses.last_mut() {
            p.to.get_or_insert(now);
        }
        self.deadline = None;
        self.stopped_at = Some(now);
    }

    /// Reopens a stopped resolution clock at `now`, keeping the time already used.
    ///
    /// # Errors
    /// [`crate::Error::OutOfRange`] when the deadline falls outside the calendar's range.
    pub fn reopen(&mut self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> Result<()> {
        if self.stopped_at.take().is_some() {
            self.running_since = Some(now);
            self.deadline = Some(calendar.add(now, self.budget.delta() - self.consumed)?);
        }
        Ok(())
    }

    /// Changes the budget and calendar (a priority change chose another rule) at `now`. The
    /// business time used so far is kept; a running clock's deadline becomes
    /// `calendar.add(now, budget − used)`, a paused one's is set when it resumes.
    ///
    /// # Errors
    /// [`crate::Error::OutOfRange`] when the deadline falls outside the calendar's range.
    #[allow(clippy::too_many_arguments)]
    pub fn rebudget(
        &mut self,
        old_calendar: &BusinessCalendar,
        calendar_name: Arc<str>,
        calendar: &BusinessCalendar,
        rule: usize,
        priority: Priority,
        budget: Span,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Compute everything first, so an out-of-range deadline leaves the clock untouched.
        let (running_since, consumed, deadline) = match self.running_since {
            Some(since) => {
                let (since, consumed) = if self.calendar != calendar_name {
                    // Bank what the old calendar counted; the new one counts from now.
                    let used = if now > since {
                        old_calendar.elapsed(since, now)
                    } else {
                        TimeDelta::zero()
                    };
                    (now, self.consumed + used)
                } else {
                    (since, self.consumed)
                };
                let deadline = calendar.add(since, budget.delta() - consumed)?;
                (Some(since), consumed, Some(deadline))
            }
            None => (None, self.consumed, None),
        };
        self.rule = rule;
        self.priority = priority;
        self.budget = budget;
        self.calendar = calendar_name;
        self.running_since = running_since;
        self.consumed = consumed;
        self.deadline = deadline;
        Ok(())
    }

    /// The instant warning `index` of `rules` falls due, if the clock is running and the
    /// warning has not fired. A lead time as long as the budget never fires.
    pub fn warning_at(
        &self,
        calendar: &BusinessCalendar,
        rules: &WarningRules,
        index: usize,
    ) -> Option<DateTime<Utc>> {
        if self.warned & (1 << index) != 0 || self.breached_at.is_some() {
            return None;
        }
        let since = self.running_since?;
        let budget = self.budget.delta();
        match rules.percent.get(index) {
            Some(p) => {
                let at = budget * i32::from(*p) / 100;
                calendar.add(since, at - self.consumed).ok()
            }
            None => {
                let lead = rules.before.get(index - rules.percent.len())?.delta();
                if lead >= budget {
                    return None;
                }
                calendar.subtract(self.deadline?, lead).ok()
            }
        }
    }

    /// The earliest instant this clock needs attention: its next warning or its deadline.
    ///
    /// Only two warnings can be the next one: the smallest unfired share of the budget (the
    /// calendar's `add` never goes back as the amount grows) and the longest unfired lead
    /// time (likewise for `subtract`), so at most two calendar operations are made.
    pub fn next_instant(
        &self,
        calendar: &BusinessCalendar,
        rules: &WarningRules,
    ) -> Option<DateTime<Utc>> {
        if !self.is_running() || self.breached_at.is_some() {
            return None;
        }
        let unfired = |i: usize| self.warned & (1 << i) == 0;
        let budget = self.budget.delta();
        let share = (0..rules.percent.len())
            .filter(|i| unfired(*i))
            .min_by_key(|i| rules.percent[*i]);
        let lead = (0..rules.before.len())
            .map(|j| (j + rules.percent.len(), rules.before[j].delta()))
            .filter(|(i, lead)| unfired(*i) && *lead < budget)
            .max_by_key(|(_, lead)| *lead)
            .map(|(i, _)| i);
        let mut next = self.deadline;
        for i in share.into_iter().chain(lead) {
            if let Some(at) = self.warning_at(calendar, rules, i) {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        next
    }

    /// Whether warning `index` of `rules` may be due at `now`, decided without the calendar:
    /// a share-of-budget warning falls no earlier than its business time after the clock
    /// started running counted as wall-clock time (business time never runs faster than the
    /// wall clock). Lead-time warnings have no such bound and always may be due.
    pub fn warning_may_be_due(
        &self,
        rules: &WarningRules,
        index: usize,
        now: DateTime<Utc>,
    ) -> bool {
        let (Some(since), Some(p)) = (self.running_since, rules.percent.get(index)) else {
            return true;
        };
        let at = self.budget.delta() * i32::from(*p) / 100 - self.consumed;
        since
            .checked_add_signed(at)
            .is_none_or(|earliest| earliest <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarSpec;

    fn nine_to_five() -> BusinessCalendar {
        let spec: CalendarSpec = serde_json::from_value(serde_json::json!({
            "timezone": "Etc/UTC",
            "hours": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]],
                      "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]],
                      "fri": [["09:00","17:00"]]},
            "holidays": []
        }))
        .unwrap();
        BusinessCalendar::new(spec).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn pause_over_a_weekend_moves_the_deadline_by_the_paused_business_time_only() {
        let cal = nine_to_five();
        // Friday 2026-11-27 15:00, 4 business hours: Monday 11:00.
        let mut c = SlaClock::start(
            Target::Resolution,
            0,
            0,
            Priority::High,
            Arc::from("support"),
            &cal,
            Span::hours(4),
            at("2026-11-27T15:00:00Z"),
        )
        .unwrap();
        assert_eq!(c.deadline, Some(at("2026-11-30T11:00:00Z")));
        c.pause(&cal, at("2026-11-27T16:00:00Z"));
        assert_eq!(c.consumed, TimeDelta::hours(1));
        c.resume(&cal, at("2026-11-30T10:00:00Z")).unwrap();
        assert_eq!(c.deadline, Some(at("2026-11-30T13:00:00Z")));
        assert_eq!(c.pauses.len(), 1);
    }

    /// `next_instant` (at most two calendar operations) equals the earliest of the deadline
    /// and every unfired warning, and `warning_may_be_due` never rules out a due warning,
    /// for every combination of fired warnings, over starts across nights and a weekend.
    #[test]
    fn next_instant_is_the_earliest_warning_or_deadline() {
        let cal = nine_to_five();
        let rules = WarningRules {
            percent: vec![90, 50, 75],
            before: vec![Span::minutes(30), Span::hours(2), Span::hours(9)],
        };
        let mut checked = 0;
        for start_hour in [0, 8, 9, 13, 16, 17, 23, 60, 70] {
            let start = at("2026-11-27T00:00:00Z") + TimeDelta::hours(start_hour);
            for budget in [Span::hours(1), Span::hours(4), Span::hours(10)] {
                let base = SlaClock::start(
                    Target::Resolution,
                    0,
                    0,
                    Priority::Normal,
                    Arc::from("support"),
                    &cal,
                    budget,
                    start,
                )
                .unwrap();
                for warned in 0..(1u64 << rules.len()) {
                    let mut c = base.clone();
                    c.warned = warned;
                    let brute = (0..rules.len())
                        .filter_map(|i| c.warning_at(&cal, &rules, i))
                        .chain(c.deadline)
                        .min();
                    assert_eq!(
                        c.next_instant(&cal, &rules),
                        brute,
                        "start {start}, budget {budget:?}, warned {warned:b}"
                    );
                    for i in 0..rules.len() {
                        for probe_hours in [0, 1, 3, 12, 50, 100] {
                            let now = start + TimeDelta::hours(probe_hours);
                            if c.warning_at(&cal, &rules, i).is_some_and(|w| w <= now) {
                                assert!(c.warning_may_be_due(&rules, i, now));
                            }
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 9 * 3 * 64);
    }

    #[test]
    fn warnings_fall_at_their_share_of_the_budget() {
        let cal = nine_to_five();
        let rules = WarningRules {
            percent: vec![75],
            before: vec![Span::minutes(30)],
        };
        let c = SlaClock::start(
            Target::FirstResponse,
            0,
            0,
            Priority::High,
            Arc::from("support"),
            &cal,
            Span::hours(4),
            at("2026-11-30T09:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            c.warning_at(&cal, &rules, 0),
            Some(at("2026-11-30T12:00:00Z"))
        );
        assert_eq!(
            c.warning_at(&cal, &rules, 1),
            Some(at("2026-11-30T12:30:00Z"))
        );
        assert_eq!(
            c.next_instant(&cal, &rules),
            Some(at("2026-11-30T12:00:00Z"))
        );
    }

    #[test]
    fn breach_is_the_deadline_second() {
        let cal = BusinessCalendar::always();
        let mut c = SlaClock::start(
            Target::Resolution,
            0,
            0,
            Priority::High,
            Arc::from("always"),
            &cal,
            Span::minutes(10),
            at("2026-11-30T09:00:00Z"),
        )
        .unwrap();
        assert!(!c.check_breach(at("2026-11-30T09:09:59Z")));
        assert!(c.check_breach(at("2026-11-30T09:30:00Z")));
        assert_eq!(c.breached_at, Some(at("2026-11-30T09:10:00Z")));
        assert!(!c.check_breach(at("2026-11-30T09:31:00Z")));
    }
}
