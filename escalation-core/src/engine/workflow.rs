//! SLA clocks and the escalation ladder, applied to one ticket (workflow steps 5–8).
//!
//! [`Engine::evaluate`] is state-based and idempotent: it starts clocks that should run,
//! follows priority changes and pauses, records warnings and breaches that are due, and fires
//! every ladder step whose trigger is met and that has not fired yet (the ticket remembers
//! fired steps, and effect keys are unique in the store). Calling it twice at the same
//! instant changes nothing the second time.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::Engine;
use crate::calendar::BusinessCalendar;
use crate::effect::{Effect, EffectKind, EffectState};
use crate::ladder::{Action, LadderLevel, Trigger};
use crate::log::{Actor, LogEntry, LogEvent};
use crate::model::{Contact, Fired, PageState, Priority, Status, SupportTier, Ticket};
use crate::ports::{Commit, Notification, NotificationKind, Page};
use crate::sla::{SlaClock, Target};
use crate::task::{EscalationTask, TaskStatus};
use crate::templates::{NoticeContext, TicketFields};

/// What one change to a ticket writes besides the ticket: log entries, effects, tasks and
/// page cancellations. It becomes one atomic [`Commit`].
#[derive(Debug, Default)]
pub(crate) struct Change {
    pub(crate) log: Vec<LogEntry>,
    pub(crate) effects: Vec<Effect>,
    pub(crate) tasks: Vec<EscalationTask>,
    pub(crate) cancel_pages: Vec<Arc<str>>,
}

impl Change {
    pub(crate) fn with_log_capacity(n: usize) -> Change {
        Change {
            log: Vec::with_capacity(n),
            ..Change::default()
        }
    }

    pub(crate) fn push(&mut self, at: DateTime<Utc>, event: LogEvent) {
        self.log.push(LogEntry::engine(at, event));
    }

    pub(crate) fn into_commit(self, ticket: Ticket, at: DateTime<Utc>) -> Commit {
        Commit {
            ticket,
            log: self.log,
            effects: self.effects,
            tasks: self.tasks,
            cancel_pages: self.cancel_pages,
            at,
        }
    }
}

/// What a ladder step is about: the clock (if any) and the sub-index (warning or page).
#[derive(Debug, Clone, Copy)]
struct Occasion {
    trigger: Trigger,
    target: Option<Target>,
    cycle: u32,
    sub: u32,
    deadline: Option<DateTime<Utc>>,
}

impl Occasion {
    fn clock_part(&self) -> String {
        match self.target {
            Some(t) => format!("{t}.{}", self.cycle),
            None => "ticket".to_owned(),
        }
    }

    fn event_words(&self, warnings_label: Option<&str>) -> String {
        match self.trigger {
            Trigger::Warning => format!("reached the {} warning", warnings_label.unwrap_or("SLA")),
            Trigger::Breach => "breached".to_owned(),
            Trigger::SinceBreach => "is still breached".to_owned(),
            Trigger::Priority => "reached its priority threshold".to_owned(),
            Trigger::TierExhausted => "found no Tier 2 agent".to_owned(),
            Trigger::PageUnacknowledged => "has an unacknowledged page".to_owned(),
        }
    }
}

/// How many evaluation passes one call may make: an action (raise the priority) can make
/// another step due at the same instant, but never without bound.
const MAX_PASSES: usize = 4;

impl Engine {
    pub(crate) fn calendar_or_always(&self, name: &str) -> &BusinessCalendar {
        self.inner.calendars.get_or_always(name)
    }

    fn tier_of(&self, t: &Ticket) -> crate::model::CustomerTier {
        t.profile
            .profile()
            .map_or(self.inner.policy.scoring.default_tier, |p| p.tier)
    }

    /// Brings the ticket's clocks and ladder up to `now`. See the module documentation.
    pub(crate) async fn evaluate(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        if matches!(t.status, Status::Draft | Status::Resolved | Status::Closed) {
            return;
        }
        for _ in 0..MAX_PASSES {
            let before = (t.fired.len(), t.priority);
            self.start_clocks(t, now, change);
            self.follow_priority(t, now, change, false);
            self.follow_status(t, now, change);
            self.fire_clock_triggers(t, now, change).await;
            self.fire_ticket_triggers(t, now, change).await;
            self.repeat_pages(t, now, change).await;
            if (t.fired.len(), t.priority) == before {
                break;
            }
        }
    }

    /// Starts first response and resolution once the ticket is open.
    fn start_clocks(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        if !t.sla.is_empty() || !t.status.is_open() {
            return;
        }
        t.policy_version = Some(self.inner.policy_version.clone());
        for target in [Target::FirstResponse, Target::Resolution] {
            self.start_clock(t, target, 0, now, change);
        }
    }

    pub(crate) fn start_clock(
        &self,
        t: &mut Ticket,
        target: Target,
        cycle: u32,
        now: DateTime<Utc>,
        change: &mut Change,
    ) {
        let sla = &self.inner.policy.sla;
        let Some(rule) = sla.rule_for(t.priority, self.tier_of(t)) else {
            return;
        };
        let Some(budget) = sla.targets.get(rule).and_then(|r| r.budget(target)) else {
            return;
        };
        let name = sla.calendar_of(rule);
        let cal = self.calendar_or_always(name);
        match SlaClock::start(
            target,
            cycle,
            rule,
            t.priority,
            Arc::from(name),
            cal,
            budget,
            now,
        ) {
            Ok(clock) => {
                change.push(
                    now,
                    LogEvent::SlaStarted {
                        target,
                        cycle,
                        budget,
                        calendar: clock.calendar.clone(),
                        rule,
                        deadline: clock.deadline,
                    },
                );
                t.sla.push(clock);
            }
            Err(e) => change.push(
                now,
                LogEvent::NoRecipient {
                    action: Action::CreateTask,
                    reason: Arc::from(format!("{target} clock not started: {e}")),
                },
            ),
        }
    }

    /// Gives running and paused clocks the budget of the ticket's current priority (all of
    /// them with `force`, after a policy edit). Breached clocks keep their budget: the
    /// breach stands.
    pub(crate) fn follow_priority(
        &self,
        t: &mut Ticket,
        now: DateTime<Utc>,
        change: &mut Change,
        force: bool,
    ) {
        let sla = &self.inner.policy.sla;
        let tier = self.tier_of(t);
        let priority = t.priority;
        let rule = sla.rule_for(priority, tier);
        for clock in t.sla.iter_mut().filter(|c| c.stopped_at.is_none()) {
            if clock.priority == priority && !force {
                continue;
            }
            let budget = rule
                .and_then(|r| sla.targets.get(r))
                .and_then(|r| r.budget(clock.target));
            let (Some(rule), Some(budget), None) = (rule, budget, clock.breached_at) else {
                clock.priority = priority;
                continue;
            };
            let name = sla.calendar_of(rule);
            let old = self.calendar_or_always(&clock.calendar);
            let new = self.calendar_or_always(name);
            if clock
                .rebudget(old, Arc::from(name), new, rule, priority, budget, now)
                .is_ok()
            {
                change.push(
                    now,
                    LogEvent::SlaRebudgeted {
                        target: clock.target,
                        cycle: clock.cycle,
                        priority,
                        budget,
                        deadline: clock.deadline,
                    },
                );
            }
        }
    }

    /// Pauses and resumes clocks as the status asks.
    fn follow_status(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        let pause = &self.inner.policy.sla.pause;
        let status = t.status;
        for clock in t.sla.iter_mut().filter(|c| c.stopped_at.is_none()) {
            let cal = self.calendar_or_always(&clock.calendar);
            let should_pause = pause.pauses(clock.target, status);
            if should_pause && clock.is_running() {
                clock.pause(cal, now);
                change.push(
                    now,
                    LogEvent::SlaPaused {
                        target: clock.target,
                        cycle: clock.cycle,
                        used_seconds: clock.consumed.num_seconds(),
                    },
                );
            } else if !should_pause && clock.is_paused() && clock.resume(cal, now).is_ok() {
                change.push(
                    now,
                    LogEvent::SlaResumed {
                        target: clock.target,
                        cycle: clock.cycle,
                        deadline: clock.deadline,
                    },
                );
            }
        }
    }

    /// Warnings, breaches and time-since-breach steps of every clock.
    async fn fire_clock_triggers(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        let warnings = &self.inner.policy.sla.warnings;
        let mut due = Vec::new();
        // Stopped clocks are done: a target met late was escalated while it ran.
        for clock in t.sla.iter_mut().filter(|c| c.stopped_at.is_none()) {
            let cal = self.calendar_or_always(&clock.calendar);
            // Warnings in the order they fall due, then the breach. Warnings a late look
            // finds overtaken by the breach are spent without firing: the breach says more.
            let mut ws: Vec<(DateTime<Utc>, usize)> = (0..warnings.len())
                .filter(|i| clock.warning_may_be_due(warnings, *i, now))
                .filter_map(|i| clock.warning_at(cal, warnings, i).map(|at| (at, i)))
                .filter(|(at, _)| *at <= now)
                .collect();
            ws.sort();
            if clock.deadline.is_some_and(|d| d <= now) {
                for (_, i) in ws.drain(..) {
                    clock.warned |= 1 << i;
                }
            }
            for (_, i) in ws {
                clock.warned |= 1 << i;
                let label: Arc<str> = Arc::from(warnings.label(i));
                change.push(
                    now,
                    LogEvent::SlaWarning {
                        target: clock.target,
                        cycle: clock.cycle,
                        label,
                        deadline: clock.deadline,
                    },
                );
                due.push(Occasion {
                    trigger: Trigger::Warning,
                    target: Some(clock.target),
                    cycle: clock.cycle,
                    sub: u32::try_from(i).unwrap_or(u32::MAX),
                    deadline: clock.deadline,
                });
            }
            if clock.check_breach(now)
                && let Some(deadline) = clock.breached_at
            {
                change.push(
                    now,
                    LogEvent::SlaBreached {
                        target: clock.target,
                        cycle: clock.cycle,
                        deadline,
                    },
                );
            }
            if let Some(b) = clock.breached_at {
                due.push(Occasion {
                    trigger: Trigger::Breach,
                    target: Some(clock.target),
                    cycle: clock.cycle,
                    sub: 0,
                    deadline: Some(b),
                });
                for level in &self.inner.policy.ladder {
                    if level.on == Trigger::SinceBreach
                        && level.after.is_some_and(|a| b + a.delta() <= now)
                    {
                        due.push(Occasion {
                            trigger: Trigger::SinceBreach,
                            target: Some(clock.target),
                            cycle: clock.cycle,
                            sub: 0,
                            deadline: Some(b),
                        });
                        break;
                    }
                }
            }
        }
        for occasion in due {
            self.fire(t, occasion, now, change).await;
        }
    }

    /// Priority thresholds, and pages nobody acknowledged.
    async fn fire_ticket_triggers(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        self.fire(
            t,
            Occasion {
                trigger: Trigger::Priority,
                target: None,
                cycle: 0,
                sub: 0,
                deadline: None,
            },
            now,
            change,
        )
        .await;
        let mut unacked = Vec::new();
        for (i, page) in t.pages.iter_mut().enumerate() {
            if page.is_active() && !page.ack_timed_out && page.ack_deadline <= now {
                page.ack_timed_out = true;
                change.push(
                    now,
                    LogEvent::PageUnacknowledged {
                        page: page.key.clone(),
                    },
                );
                unacked.push(Occasion {
                    trigger: Trigger::PageUnacknowledged,
                    target: page.target,
                    cycle: 0,
                    sub: u32::try_from(i).unwrap_or(u32::MAX),
                    deadline: None,
                });
            }
        }
        for occasion in unacked {
            self.fire(t, occasion, now, change).await;
        }
    }

    /// Fires every level of `occasion.trigger` that applies and has not fired for it yet.
    async fn fire(
        &self,
        t: &mut Ticket,
        occasion: Occasion,
        now: DateTime<Utc>,
        change: &mut Change,
    ) {
        for level in self
            .inner
            .policy
            .ladder
            .iter()
            .filter(|l| l.on == occasion.trigger)
        {
            if !level.applies(occasion.target, t.priority) {
                continue;
            }
            let due = match occasion.trigger {
                Trigger::Priority => level.min_priority.is_some_and(|p| t.priority >= p),
                Trigger::SinceBreach => {
                    let after = level.after.map_or(TimeDelta::zero(), |a| a.delta());
                    occasion.deadline.is_some_and(|b| b + after <= now)
                }
                _ => true,
            };
            if !due {
                continue;
            }
            let fired = Fired {
                level: Arc::from(level.name.as_str()),
                target: occasion.target,
                cycle: occasion.cycle,
                sub: occasion.sub,
            };
            if t.fired.contains(&fired) {
                continue;
            }
            t.fired.push(fired);
            change.push(
                now,
                LogEvent::LevelFired {
                    level: Arc::from(level.name.as_str()),
                    trigger: occasion.trigger,
                    target: occasion.target,
                    cycle: occasion.cycle,
                    category: Some(t.category),
                    customer_tier: Some(t.score.tier),
                },
            );
            for action in &level.actions {
                self.act(t, level, *action, &occasion, now, change).await;
            }
        }
    }

    fn effect_key(t: &Ticket, recipient: &str, occasion: &Occasion, level: &LadderLevel) -> String {
        format!(
            "{}/{}/{recipient}/{}/{}~{}",
            t.tenant,
            t.id,
            occasion.clock_part(),
            level.name,
            occasion.sub
        )
    }

    fn notice_context(
        &self,
        t: &Ticket,
        occasion: &Occasion,
        level: &LadderLevel,
    ) -> NoticeContext {
        let label = (occasion.trigger == Trigger::Warning).then(|| {
            self.inner
                .policy
                .sla
                .warnings
                .label(usize::try_from(occasion.sub).unwrap_or(usize::MAX))
        });
        let customer_name = t
            .profile
            .profile()
            .map_or_else(|| t.customer.to_string(), |p| p.contact.name.to_string());
        NoticeContext::new(
            TicketFields {
                id: t.id.0,
                tenant: t.tenant.to_string(),
                subject: t.subject.to_string(),
                category: t.category.to_string(),
                priority: t.priority.to_string(),
                status: t.status.to_string(),
                customer: t.customer.to_string(),
                assignee: t.assignee.as_ref().map(ToString::to_string),
                channel: t.channel.to_string(),
                impact: t.impact.to_string(),
            },
            &customer_name,
            occasion.event_words(label.as_deref()),
            occasion.target.map(|x| x.to_string()),
            occasion
                .deadline
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            &level.name,
        )
    }

    /// When a notification for `kind` may go out: the next opening of its quiet-hours
    /// calendar, or now.
    fn not_before(&self, kind: NotificationKind, now: DateTime<Utc>) -> DateTime<Utc> {
        let q = &self.inner.policy.quiet_hours;
        let calendar = match kind {
            NotificationKind::ManagerAlert => &q.manager_alert,
            NotificationKind::CustomerNotice => &q.customer_notice,
            NotificationKind::AgentWarning => &q.agent_warning,
        };
        calendar
            .as_deref()
            .and_then(|c| self.inner.calendars.get(c))
            .and_then(|c| c.next_open(now).ok())
            .unwrap_or(now)
    }

    pub(crate) fn queue_effect(
        t: &Ticket,
        key: Arc<str>,
        kind: EffectKind,
        not_before: DateTime<Utc>,
        now: DateTime<Utc>,
        change: &mut Change,
    ) {
        change.push(
            now,
            LogEvent::EffectQueued {
                key: key.clone(),
                kind: Arc::from(kind.name()),
                not_before,
            },
        );
        change.effects.push(Effect {
            key,
            tenant: t.tenant.clone(),
            ticket: t.id,
            kind,
            created_at: now,
            not_before,
            state: EffectState::Pending,
            attempts: 0,
            next_attempt_at: not_before,
            last_error: None,
            finished_at: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        t: &Ticket,
        level: &LadderLevel,
        occasion: &Occasion,
        kind: NotificationKind,
        recipient: &str,
        to: Contact,
        now: DateTime<Utc>,
        change: &mut Change,
    ) {
        let ctx = self.notice_context(t, occasion, level);
        let (subject, body) = match self.inner.templates.render(kind, &ctx) {
            Ok(r) => r,
            Err(e) => {
                change.push(
                    now,
                    LogEvent::NoRecipient {
                        action: Action::AlertManager,
                        reason: Arc::from(format!("template failed: {e}")),
                    },
                );
                return;
            }
        };
        let key: Arc<str> = Arc::from(Self::effect_key(t, recipient, occasion, level));
        let notification = Notification {
            key: key.clone(),
            tenant: t.tenant.clone(),
            ticket: t.id,
            kind,
            to,
            subject,
            body,
        };
        let not_before = self.not_before(kind, now);
        Self::queue_effect(
            t,
            key,
            EffectKind::Notify { notification },
            not_before,
            now,
            change,
        );
    }

    async fn act(
        &self,
        t: &mut Ticket,
        level: &LadderLevel,
        action: Action,
        occasion: &Occasion,
        now: DateTime<Utc>,
        change: &mut Change,
    ) {
        let skip = |change: &mut Change, reason: &str| {
            change.push(
                now,
                LogEvent::NoRecipient {
                    action,
                    reason: Arc::from(reason),
                },
            );
        };
        match action {
            Action::CreateTask => {
                let id: Arc<str> = Arc::from(Self::effect_key(t, "task", occasion, level));
                let label = (occasion.trigger == Trigger::Warning).then(|| {
                    self.inner
                        .policy
                        .sla
                        .warnings
                        .label(usize::try_from(occasion.sub).unwrap_or(usize::MAX))
                });
                let reason = format!(
                    "{} {}",
                    occasion
                        .target
                        .map_or_else(|| "ticket".to_owned(), |x| x.to_string()),
                    occasion.event_words(label.as_deref())
                );
                change.tasks.push(EscalationTask {
                    id: id.clone(),
                    tenant: t.tenant.clone(),
                    ticket: t.id,
                    level: Arc::from(level.name.as_str()),
                    target: occasion.target,
                    reason: Arc::from(reason),
                    created_at: now,
                    status: TaskStatus::Open,
                    assignee: None,
                    closed_at: None,
                });
                change.push(now, LogEvent::TaskCreated { task: id });
            }
            Action::AlertManager => {
                let Some(team) = t.team.clone() else {
                    return skip(change, "the ticket has no team, so no manager");
                };
                match self.inner.directory.team(&t.tenant, &team).await {
                    Ok(Some(team)) => {
                        self.notify(
                            t,
                            level,
                            occasion,
                            NotificationKind::ManagerAlert,
                            "manager",
                            team.manager,
                            now,
                            change,
                        )
                        .await;
                    }
                    Ok(None) => skip(change, &format!("team {team} is unknown to the directory")),
                    Err(e) => skip(change, &format!("agent directory failed: {e}")),
                }
            }
            Action::NotifyCustomer => match t.profile.profile().map(|p| p.contact.clone()) {
                Some(contact) => {
                    self.notify(
                        t,
                        level,
                        occasion,
                        NotificationKind::CustomerNotice,
                        "customer",
                        contact,
                        now,
                        change,
                    )
                    .await;
                }
                None => skip(change, "the customer's contact is unknown"),
            },
            Action::WarnAgent => {
                let Some(agent) = t.assignee.clone() else {
                    return skip(change, "the ticket has no assignee");
                };
                let contact = match self.inner.directory.agents(&t.tenant, now).await {
                    Ok(agents) => agents.iter().find(|a| a.id == agent).map(|a| Contact {
                        name: a.name.clone(),
                        email: a.email.clone(),
                        phone: None,
                    }),
                    Err(_) => None,
                }
                .unwrap_or_else(|| Contact {
                    name: Arc::from(agent.as_str()),
                    email: None,
                    phone: None,
                });
                self.notify(
                    t,
                    level,
                    occasion,
                    NotificationKind::AgentWarning,
                    "agent",
                    contact,
                    now,
                    change,
                )
                .await;
            }
            Action::MoveToTier2 => {
                if t.support_tier >= SupportTier::Tier2 {
                    return;
                }
                let previous = (t.assignee.clone(), t.team.clone(), t.support_tier);
                t.support_tier = SupportTier::Tier2;
                t.assignee = None;
                // Routing's own entries are kept only if it found someone; a failed attempt
                // is logged once, below, as an exhausted tier.
                let mut routing_log = Vec::new();
                self.assign(t, now, &mut routing_log).await;
                if t.assignee.is_some() {
                    change.log.append(&mut routing_log);
                    change.push(
                        now,
                        LogEvent::MovedToTier {
                            tier: SupportTier::Tier2,
                            agent: t.assignee.clone(),
                        },
                    );
                } else {
                    // Nobody in Tier 2: the current owner keeps it, and the exhausted
                    // tier is escalated.
                    (t.assignee, t.team, t.support_tier) = previous;
                    t.route_retry_at = None;
                    t.queue_reason = None;
                    change.push(
                        now,
                        LogEvent::MovedToTier {
                            tier: SupportTier::Tier2,
                            agent: None,
                        },
                    );
                    Box::pin(self.fire(
                        t,
                        Occasion {
                            trigger: Trigger::TierExhausted,
                            target: None,
                            cycle: 0,
                            sub: 0,
                            deadline: None,
                        },
                        now,
                        change,
                    ))
                    .await;
                }
            }
            Action::RaisePriority => {
                let to = match t.priority {
                    Priority::Low => Priority::Normal,
                    Priority::Normal => Priority::High,
                    Priority::High | Priority::Critical => Priority::Critical,
                };
                if to != t.priority {
                    change.push(
                        now,
                        LogEvent::PriorityRaised {
                            from: t.priority,
                            to,
                            level: Arc::from(level.name.as_str()),
                        },
                    );
                    t.priority = to;
                    t.priority_override = Some(crate::model::PriorityOverride {
                        priority: to,
                        by: Arc::from(format!("ladder:{}", level.name)),
                        reason: Arc::from("raised by the escalation ladder"),
                        at: now,
                    });
                }
            }
            Action::Page => {
                let key: Arc<str> = Arc::from(Self::effect_key(t, "page", occasion, level));
                let ctx = self.notice_context(t, occasion, level);
                let summary = self
                    .inner
                    .templates
                    .page_summary(&ctx)
                    .unwrap_or_else(|_| Arc::from(format!("ticket {} needs on-call", t.id)));
                let settings = &level.page;
                t.pages.push(PageState {
                    key: key.clone(),
                    level: Arc::from(level.name.as_str()),
                    target: occasion.target,
                    triggered_at: now,
                    sent: 1,
                    repeat_every: settings.repeat_every,
                    max_repeats: settings.max_repeats,
                    ack_deadline: now + settings.ack_timeout.delta(),
                    ack_timed_out: false,
                    acknowledged: None,
                    resolved_at: None,
                    summary: summary.clone(),
                });
                let page = Page {
                    dedup_key: key.clone(),
                    tenant: t.tenant.clone(),
                    ticket: t.id,
                    summary,
                    severity: t.priority,
                    repeat: 0,
                };
                Self::queue_effect(
                    t,
                    Arc::from(format!("{key}/0")),
                    EffectKind::PageTrigger { page },
                    now,
                    now,
                    change,
                );
            }
        }
    }

    /// Sends the next repeat of every active page that is due (one per call: a late sweep
    /// catches up by skipping missed repeats, never by paging in a burst).
    async fn repeat_pages(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        let mut due = Vec::new();
        for page in t.pages.iter_mut() {
            let Some(at) = page.next_repeat_at() else {
                continue;
            };
            if at > now {
                continue;
            }
            let every = page.repeat_every.delta().num_seconds().max(1);
            let elapsed = (now - page.triggered_at).num_seconds().max(0);
            let should_have_sent = u32::try_from(elapsed / every + 1)
                .unwrap_or(u32::MAX)
                .min(page.max_repeats);
            let repeat = should_have_sent.saturating_sub(1);
            page.sent = should_have_sent;
            due.push((page.key.clone(), page.summary.clone(), repeat));
        }
        for (key, summary, repeat) in due {
            change.push(
                now,
                LogEvent::PageRepeated {
                    page: key.clone(),
                    repeat,
                },
            );
            let page = Page {
                dedup_key: key.clone(),
                tenant: t.tenant.clone(),
                ticket: t.id,
                summary,
                severity: t.priority,
                repeat,
            };
            Self::queue_effect(
                t,
                Arc::from(format!("{key}/{repeat}")),
                EffectKind::PageTrigger { page },
                now,
                now,
                change,
            );
        }
    }

    /// Stops every clock (the ticket is resolved or closed) and resolves its pages.
    pub(crate) fn finish(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        self.stop_clocks(t, |_| true, now, change);
        let mut resolved = Vec::new();
        for page in t.pages.iter_mut().filter(|p| p.resolved_at.is_none()) {
            page.resolved_at = Some(now);
            change.cancel_pages.push(page.key.clone());
            resolved.push((page.key.clone(), page.summary.clone(), page.sent));
        }
        for (key, summary, sent) in resolved {
            let page = Page {
                dedup_key: key.clone(),
                tenant: t.tenant.clone(),
                ticket: t.id,
                summary,
                severity: t.priority,
                repeat: sent,
            };
            Self::queue_effect(
                t,
                Arc::from(format!("{key}/resolve")),
                EffectKind::PageResolve { page },
                now,
                now,
                change,
            );
        }
    }

    /// Stops the clocks an agent reply satisfies: first response, and the running
    /// next-response cycle.
    pub(crate) fn agent_replied(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        self.stop_clocks(
            t,
            |target| matches!(target, Target::FirstResponse | Target::NextResponse),
            now,
            change,
        );
    }

    /// Stops the open clocks whose target `which` selects, logging each (met or missed).
    fn stop_clocks(
        &self,
        t: &mut Ticket,
        which: impl Fn(Target) -> bool,
        now: DateTime<Utc>,
        change: &mut Change,
    ) {
        for clock in t
            .sla
            .iter_mut()
            .filter(|c| c.stopped_at.is_none() && which(c.target))
        {
            let cal = self.calendar_or_always(&clock.calendar);
            clock.stop(cal, now);
            change.push(
                now,
                LogEvent::SlaStopped {
                    target: clock.target,
                    cycle: clock.cycle,
                    used_seconds: clock.consumed.num_seconds(),
                    met: clock.breached_at.is_none(),
                },
            );
        }
    }

    /// Starts a next-response cycle on a customer reply, once the first response is done and
    /// no cycle is waiting for an answer already (the oldest unanswered reply counts).
    pub(crate) fn customer_replied(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        let first_done = t
            .sla
            .iter()
            .any(|c| c.target == Target::FirstResponse && c.stopped_at.is_some());
        let waiting = t
            .sla
            .iter()
            .any(|c| c.target == Target::NextResponse && c.stopped_at.is_none());
        if first_done && !waiting {
            let cycle = u32::try_from(
                t.sla
                    .iter()
                    .filter(|c| c.target == Target::NextResponse)
                    .count(),
            )
            .unwrap_or(u32::MAX)
                + 1;
            self.start_clock(t, Target::NextResponse, cycle, now, change);
        }
    }

    /// Reopens the resolution clock of a reopened ticket, keeping the time already used.
    pub(crate) fn reopened(&self, t: &mut Ticket, now: DateTime<Utc>, change: &mut Change) {
        for clock in t
            .sla
            .iter_mut()
            .filter(|c| c.target == Target::Resolution && c.stopped_at.is_some())
        {
            let cal = self.calendar_or_always(&clock.calendar);
            if clock.reopen(cal, now).is_ok() {
                change.push(
                    now,
                    LogEvent::SlaResumed {
                        target: clock.target,
                        cycle: clock.cycle,
                        deadline: clock.deadline,
                    },
                );
            }
        }
    }

    /// Acknowledges page `key`: its repeats stop and pending ones are cancelled.
    pub(crate) fn acknowledge_page(
        t: &mut Ticket,
        key: &str,
        by: &Arc<str>,
        now: DateTime<Utc>,
        change: &mut Change,
    ) -> bool {
        let Some(page) = t.pages.iter_mut().find(|p| &*p.key == key) else {
            return false;
        };
        if page.acknowledged.is_none() {
            page.acknowledged = Some((now, by.clone()));
            change.cancel_pages.push(page.key.clone());
            change.log.push(LogEntry {
                at: now,
                actor: Actor::Host(by.clone()),
                event: LogEvent::PageAcknowledged {
                    page: page.key.clone(),
                },
            });
        }
        true
    }

    /// The earliest instant a clock, a ladder step or a page of `t` needs attention.
    pub(crate) fn next_sla_check(&self, t: &Ticket) -> Option<DateTime<Utc>> {
        if matches!(t.status, Status::Draft | Status::Resolved | Status::Closed) {
            return None;
        }
        let policy = &self.inner.policy;
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |at: Option<DateTime<Utc>>| {
            if let Some(at) = at {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        };
        for clock in &t.sla {
            if clock.stopped_at.is_some() {
                continue;
            }
            let cal = self.calendar_or_always(&clock.calendar);
            consider(clock.next_instant(cal, &policy.sla.warnings));
            if let Some(b) = clock.breached_at {
                for level in policy
                    .ladder
                    .iter()
                    .filter(|l| l.on == Trigger::SinceBreach)
                {
                    let fired = t.fired.iter().any(|f| {
                        &*f.level == level.name.as_str()
                            && f.target == Some(clock.target)
                            && f.cycle == clock.cycle
                    });
                    if !fired && level.applies(Some(clock.target), t.priority) {
                        consider(level.after.map(|a| b + a.delta()));
                    }
                }
            }
        }
        for page in t.pages.iter().filter(|p| p.is_active()) {
            consider(page.next_repeat_at());
            if !page.ack_timed_out {
                consider(Some(page.ack_deadline));
            }
        }
        next
    }
}
