//! The policy document: scoring, routing and intake settings (and, as the engine grows,
//! calendars, SLA targets, the escalation ladder and retention).
//!
//! A policy loads from TOML ([`Policy::from_toml_str`]), JSON ([`Policy::from_json_str`]) or a
//! file ([`Policy::from_path`]). Loading never panics and reports every problem at once:
//! unknown keys, values of the wrong type and values out of range, each with its dotted path
//! and the offending value.

mod load;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, CalendarSpec};
use crate::error::{Error, PolicyProblem, Result};
use crate::ladder::{Action, LadderLevel, Trigger, default_ladder};
use crate::model::{CustomerTier, Impact, Priority, Status, SupportTier};
use crate::sla::{SlaPolicy, Target};
use crate::span::Span;
use crate::templates::{TemplatePolicy, Templates};

/// The whole policy document. Every field has a default, so an empty document is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// The policy's version label; pinned on tickets when their clocks start.
    pub version: String,
    /// How tickets are scored and banded into priorities.
    pub scoring: ScoringPolicy,
    /// How tickets are assigned to agents.
    pub routing: RoutingPolicy,
    /// How intake talks to the ProfileSource.
    pub intake: IntakePolicy,
    /// Named business calendars (`[calendars.support]`). The calendar
    /// [`ALWAYS_CALENDAR`] (open 24/7, UTC) is built in and cannot be redefined.
    pub calendars: BTreeMap<String, CalendarSpec>,
    /// SLA targets, pause rules and warnings.
    pub sla: SlaPolicy,
    /// The escalation ladder (`[[ladder]]`), in order.
    pub ladder: Vec<LadderLevel>,
    /// When notifications may reach each kind of recipient.
    pub quiet_hours: QuietHours,
    /// Notification content.
    pub templates: TemplatePolicy,
    /// The root-cause taxonomy `resolve` accepts.
    pub root_causes: Vec<String>,
    /// How effects are delivered.
    pub dispatch: DispatchPolicy,
    /// How long resolved tickets, drafts and log entries are kept ([`crate::Engine::cleanup`]).
    pub retention: RetentionPolicy,
}

/// The retention policy (`[retention]`), applied per tenant by [`crate::Engine::cleanup`].
/// Spans are wall-clock time (`"90d"`), not business time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicy {
    /// Resolved and closed tickets resolved longer ago than this are archived.
    pub archive_resolved_after: Span,
    /// Drafts never submitted, created longer ago than this, are deleted; so are
    /// escalation tasks still open (never taken up) on resolved or closed tickets.
    pub delete_drafts_after: Span,
    /// Log entries of archived tickets older than this are deleted, except escalation
    /// entries ([`crate::LogEvent::is_escalation`]).
    pub log_after: Span,
    /// Escalation log entries of archived tickets older than this are deleted; at least
    /// `log_after`.
    pub escalation_log_after: Span,
    /// Tickets handled per store transaction (1 to 10,000), so cleanup never holds the
    /// store's lock for long.
    pub batch: usize,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            archive_resolved_after: Span::hours(90 * 24),
            delete_drafts_after: Span::hours(30 * 24),
            log_after: Span::hours(365 * 24),
            escalation_log_after: Span::hours(730 * 24),
            batch: 500,
        }
    }
}

/// Per recipient kind, the calendar whose open hours a notification waits for
/// (none: deliver at once). Pages are never deferred.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QuietHours {
    /// Calendar for breach alerts to managers.
    pub manager_alert: Option<String>,
    /// Calendar for escalation notices to customers.
    pub customer_notice: Option<String>,
    /// Calendar for warnings to assignees.
    pub agent_warning: Option<String>,
}

/// How the dispatcher delivers effects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DispatchPolicy {
    /// Effects claimed per batch.
    pub batch: usize,
    /// How long a claimed effect stays leased to one dispatcher.
    pub lease_seconds: u64,
    /// How long a port call may take before it counts as a (retryable) failure.
    pub timeout_ms: u64,
    /// Attempts after which a failing effect is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay; it doubles with each attempt (with ±20 % jitter).
    pub backoff_base_seconds: u64,
    /// The longest retry delay.
    pub backoff_max_seconds: u64,
    /// The longest `Engine::run` sleeps between rounds when nothing is due.
    pub idle_seconds: u64,
}

impl Default for DispatchPolicy {
    fn default() -> Self {
        DispatchPolicy {
            batch: 256,
            lease_seconds: 60,
            timeout_ms: 10_000,
            max_attempts: 8,
            backoff_base_seconds: 30,
            backoff_max_seconds: 3_600,
            idle_seconds: 60,
        }
    }
}

/// The default root-cause taxonomy.
pub fn default_root_causes() -> Vec<String> {
    [
        "product_defect",
        "configuration",
        "user_error",
        "third_party",
        "capacity",
        "documentation_gap",
        "process",
        "other",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The name of the built-in calendar that is open 24/7 (wall-clock time).
pub const ALWAYS_CALENDAR: &str = "always";

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: "1".to_owned(),
            scoring: ScoringPolicy::default(),
            routing: RoutingPolicy::default(),
            intake: IntakePolicy::default(),
            calendars: BTreeMap::new(),
            sla: SlaPolicy::default(),
            ladder: default_ladder(),
            quiet_hours: QuietHours::default(),
            templates: TemplatePolicy::default(),
            root_causes: default_root_causes(),
            dispatch: DispatchPolicy::default(),
            retention: RetentionPolicy::default(),
        }
    }
}

/// The policy's calendars, compiled, by name; includes [`ALWAYS_CALENDAR`].
#[derive(Debug, Clone)]
pub struct Calendars {
    by_name: BTreeMap<String, BusinessCalendar>,
    always: BusinessCalendar,
}

impl Calendars {
    /// The calendar called `name`, if the policy defines it (or it is `always`).
    pub fn get(&self, name: &str) -> Option<&BusinessCalendar> {
        self.by_name.get(name)
    }

    /// The calendar called `name`, or `always` when there is none (a clock whose calendar a
    /// later policy dropped keeps counting, in wall-clock time).
    pub fn get_or_always(&self, name: &str) -> &BusinessCalendar {
        self.by_name.get(name).unwrap_or(&self.always)
    }

    /// The names of all calendars, `always` included.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// The weight of each scoring factor, each in `[0, 1]`; they need not sum to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    /// Weight of the customer's tier.
    pub tier: f64,
    /// Weight of the product impact.
    pub impact: f64,
    /// Weight of the ticket's age.
    pub age: f64,
    /// Weight of the customer's lifetime value.
    pub lifetime_value: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            tier: 0.30,
            impact: 0.45,
            age: 0.10,
            lifetime_value: 0.15,
        }
    }
}

/// The factor value (in `[0, 1]`) of each customer tier; non-decreasing from free to vip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierValues {
    /// Free.
    pub free: f64,
    /// Standard.
    pub standard: f64,
    /// Premium.
    pub premium: f64,
    /// Enterprise.
    pub enterprise: f64,
    /// VIP.
    pub vip: f64,
}

impl Default for TierValues {
    fn default() -> Self {
        TierValues {
            free: 0.0,
            standard: 0.25,
            premium: 0.5,
            enterprise: 0.8,
            vip: 1.0,
        }
    }
}

impl TierValues {
    /// The factor value of `tier`.
    pub fn of(&self, tier: CustomerTier) -> f64 {
        match tier {
            CustomerTier::Free => self.free,
            CustomerTier::Standard => self.standard,
            CustomerTier::Premium => self.premium,
            CustomerTier::Enterprise => self.enterprise,
            CustomerTier::Vip => self.vip,
        }
    }
}

/// The factor value (in `[0, 1]`) of each product impact; non-decreasing from
/// feature_request to outage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImpactValues {
    /// Feature request.
    pub feature_request: f64,
    /// Question.
    pub question: f64,
    /// Bug.
    pub bug: f64,
    /// Degraded.
    pub degraded: f64,
    /// Outage.
    pub outage: f64,
}

impl Default for ImpactValues {
    fn default() -> Self {
        ImpactValues {
            feature_request: 0.0,
            question: 0.2,
            bug: 0.5,
            degraded: 0.75,
            outage: 1.0,
        }
    }
}

impl ImpactValues {
    /// The factor value of `impact`.
    pub fn of(&self, impact: Impact) -> f64 {
        match impact {
            Impact::FeatureRequest => self.feature_request,
            Impact::Question => self.question,
            Impact::Bug => self.bug,
            Impact::Degraded => self.degraded,
            Impact::Outage => self.outage,
        }
    }
}

/// The lowest score of each priority band; anything below `normal` is Low.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bands {
    /// Lowest Critical score.
    pub critical: f64,
    /// Lowest High score.
    pub high: f64,
    /// Lowest Normal score.
    pub normal: f64,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            critical: 70.0,
            high: 50.0,
            normal: 25.0,
        }
    }
}

impl Bands {
    /// The priority band of `score`.
    pub fn priority(&self, score: f64) -> Priority {
        if score >= self.critical {
            Priority::Critical
        } else if score >= self.high {
            Priority::High
        } else if score >= self.normal {
            Priority::Normal
        } else {
            Priority::Low
        }
    }
}

/// Scoring settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoringPolicy {
    /// Factor weights.
    pub weights: Weights,
    /// Factor value per customer tier.
    pub tier_values: TierValues,
    /// Factor value per product impact.
    pub impact_values: ImpactValues,
    /// The age, in hours, at which the age factor reaches 1; it grows linearly before.
    pub age_saturation_hours: f64,
    /// The lifetime value at which its factor reaches 1; it grows logarithmically before.
    pub lifetime_value_cap: f64,
    /// The tier assumed when the customer's profile is unknown.
    pub default_tier: CustomerTier,
    /// Score thresholds of the priority bands.
    pub bands: Bands,
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        ScoringPolicy {
            weights: Weights::default(),
            tier_values: TierValues::default(),
            impact_values: ImpactValues::default(),
            age_saturation_hours: 72.0,
            lifetime_value_cap: 1_000_000.0,
            default_tier: CustomerTier::Standard,
            bands: Bands::default(),
        }
    }
}

/// Routing settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoutingPolicy {
    /// The tier new tickets are assigned in.
    pub intake_tier: SupportTier,
    /// How long a queued ticket waits before the next assignment attempt.
    pub retry_after_seconds: u64,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy {
            intake_tier: SupportTier::Tier1,
            retry_after_seconds: 300,
        }
    }
}

/// Intake settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakePolicy {
    /// How long intake waits for the ProfileSource before scoring at the default tier.
    pub profile_timeout_ms: u64,
    /// How long after a failed fetch the engine fetches the profile again.
    pub profile_retry_seconds: u64,
    /// Fetch attempts after which the engine stops asking and keeps the default tier.
    pub profile_max_attempts: u32,
}

impl Default for IntakePolicy {
    fn default() -> Self {
        IntakePolicy {
            profile_timeout_ms: 2_000,
            profile_retry_seconds: 300,
            profile_max_attempts: 10,
        }
    }
}

impl Policy {
    /// Loads a policy from TOML text.
    ///
    /// # Errors
    /// [`Error::PolicyInvalid`] listing every problem (syntax, unknown key, wrong type,
    /// value out of range), each with its path and value, sorted by path.
    pub fn from_toml_str(text: &str) -> Result<Policy> {
        load::from_toml_str(text)
    }

    /// Loads a policy from JSON text.
    ///
    /// # Errors
    /// [`Error::PolicyInvalid`] listing every problem, as for [`Policy::from_toml_str`].
    pub fn from_json_str(text: &str) -> Result<Policy> {
        load::from_json_str(text)
    }

    /// Loads a policy from a `.json` file (by extension, in any case) or a TOML file
    /// (any other name).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the path when the file cannot be read;
    /// [`Error::PolicyInvalid`] when its content is invalid.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Policy> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid("path", path.display(), format!("cannot read: {e}")))?;
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Policy::from_json_str(&text),
            _ => Policy::from_toml_str(&text),
        }
    }

    /// Loads a policy from an already-parsed JSON value (the form bindings pass dicts in).
    ///
    /// # Errors
    /// [`Error::PolicyInvalid`] listing every problem.
    pub fn from_value(value: serde_json::Value) -> Result<Policy> {
        load::from_json_value(value)
    }

    /// Compiles the policy's calendars (and the built-in `always`).
    ///
    /// # Errors
    /// [`Error::PolicyInvalid`] when a calendar spec is invalid, with paths under
    /// `calendars.<name>`.
    pub fn calendars(&self) -> Result<Calendars> {
        let mut problems = Vec::new();
        self.check_calendars(&mut problems);
        if !problems.is_empty() {
            return Err(Error::PolicyInvalid { problems });
        }
        let mut by_name = BTreeMap::new();
        by_name.insert(ALWAYS_CALENDAR.to_owned(), BusinessCalendar::always());
        for (name, spec) in &self.calendars {
            let cal = BusinessCalendar::new(spec.clone()).map_err(|e| Error::PolicyInvalid {
                problems: vec![PolicyProblem {
                    path: format!("calendars.{name}"),
                    message: e.to_string(),
                }],
            })?;
            by_name.insert(name.clone(), cal);
        }
        Ok(Calendars {
            by_name,
            always: BusinessCalendar::always(),
        })
    }

    /// Whether `name` is a calendar of this policy (or `always`).
    pub fn has_calendar(&self, name: &str) -> bool {
        name == ALWAYS_CALENDAR || self.calendars.contains_key(name)
    }

    fn check_sla(&self, problems: &mut Vec<PolicyProblem>) {
        let mut report =
            |path: String, message: String| problems.push(PolicyProblem { path, message });
        let sla = &self.sla;
        if !self.has_calendar(&sla.calendar) {
            report(
                "sla.calendar".to_owned(),
                format!("names no calendar, got {:?}", sla.calendar),
            );
        }
        for (i, rule) in sla.targets.iter().enumerate() {
            if let Some(c) = &rule.calendar
                && !self.has_calendar(c)
            {
                report(
                    format!("sla.targets[{i}].calendar"),
                    format!("names no calendar, got {c:?}"),
                );
            }
            for target in Target::ALL {
                if rule.budget(target).is_some_and(|b| b.is_zero()) {
                    report(
                        format!("sla.targets[{i}].{target}"),
                        "must be longer than 0s, got 0s".to_owned(),
                    );
                }
            }
        }
        for p in Priority::ALL {
            for t in CustomerTier::ALL {
                if sla.rule_for(*p, *t).is_none() {
                    report(
                        "sla.targets".to_owned(),
                        format!(
                            "no rule matches priority {p} and tier {t}; add a rule without priority and tier as the last one"
                        ),
                    );
                }
            }
        }
        for (i, p) in sla.warnings.percent.iter().enumerate() {
            if !(1..=99).contains(p) {
                report(
                    format!("sla.warnings.percent[{i}]"),
                    format!("must be between 1 and 99, got {p}"),
                );
            }
        }
        for (i, b) in sla.warnings.before.iter().enumerate() {
            if b.is_zero() {
                report(
                    format!("sla.warnings.before[{i}]"),
                    "must be longer than 0s, got 0s".to_owned(),
                );
            }
        }
        if sla.warnings.len() > 32 {
            report(
                "sla.warnings".to_owned(),
                format!("at most 32 warnings, got {}", sla.warnings.len()),
            );
        }
        for target in Target::ALL {
            let list = match target {
                Target::FirstResponse => &sla.pause.first_response,
                Target::NextResponse => &sla.pause.next_response,
                Target::Resolution => &sla.pause.resolution,
            };
            for (i, s) in list.iter().enumerate() {
                if !matches!(
                    s,
                    Status::PendingCustomer | Status::OnHold | Status::New | Status::InProgress
                ) {
                    report(
                        format!("sla.pause.{target}[{i}]"),
                        format!(
                            "only open statuses (new, in_progress, pending_customer, on_hold) can pause a clock, got {s}"
                        ),
                    );
                }
            }
        }
    }

    fn check_ladder(&self, problems: &mut Vec<PolicyProblem>) {
        let mut report =
            |path: String, message: String| problems.push(PolicyProblem { path, message });
        let mut names = std::collections::BTreeSet::new();
        for (i, level) in self.ladder.iter().enumerate() {
            let at = |field: &str| format!("ladder[{i}].{field}");
            if level.name.trim().is_empty() {
                report(at("name"), "must not be empty".to_owned());
            } else if !level
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                report(
                    at("name"),
                    format!(
                        "uses only letters, digits, '_' and '-', got {:?}",
                        level.name
                    ),
                );
            } else if !names.insert(level.name.as_str()) {
                report(
                    at("name"),
                    format!("must be unique, got {:?} twice", level.name),
                );
            }
            if level.actions.is_empty() {
                report(at("actions"), "must name at least one action".to_owned());
            }
            match (level.on, level.after) {
                (Trigger::SinceBreach, None) => report(
                    at("after"),
                    "is required when on = \"since_breach\"".to_owned(),
                ),
                (Trigger::SinceBreach, Some(a)) if a.is_zero() => {
                    report(at("after"), "must be longer than 0s, got 0s".to_owned())
                }
                (Trigger::SinceBreach, Some(_)) | (_, None) => {}
                (on, Some(_)) => report(
                    at("after"),
                    format!(
                        "only applies to on = \"since_breach\", not {:?}",
                        on.as_str()
                    ),
                ),
            }
            if level.on == Trigger::Priority && level.min_priority.is_none() {
                report(
                    at("min_priority"),
                    "is required when on = \"priority\"".to_owned(),
                );
            }
            if !level.targets.is_empty()
                && !matches!(
                    level.on,
                    Trigger::Warning | Trigger::Breach | Trigger::SinceBreach
                )
            {
                report(
                    at("targets"),
                    format!(
                        "only applies to clock triggers (warning, breach, since_breach), not {:?}",
                        level.on.as_str()
                    ),
                );
            }
            if level.actions.contains(&Action::Page) {
                let p = &level.page;
                if p.repeat_every.is_zero() {
                    report(
                        at("page.repeat_every"),
                        "must be longer than 0s, got 0s".to_owned(),
                    );
                }
                if p.max_repeats == 0 || p.max_repeats > 100 {
                    report(
                        at("page.max_repeats"),
                        format!("must be between 1 and 100, got {}", p.max_repeats),
                    );
                }
                if p.ack_timeout.is_zero() {
                    report(
                        at("page.ack_timeout"),
                        "must be longer than 0s, got 0s".to_owned(),
                    );
                }
            }
        }
    }

    fn check_delivery(&self, problems: &mut Vec<PolicyProblem>) {
        let q = &self.quiet_hours;
        for (field, cal) in [
            ("manager_alert", &q.manager_alert),
            ("customer_notice", &q.customer_notice),
            ("agent_warning", &q.agent_warning),
        ] {
            if let Some(c) = cal
                && !self.has_calendar(c)
            {
                problems.push(PolicyProblem {
                    path: format!("quiet_hours.{field}"),
                    message: format!("names no calendar, got {c:?}"),
                });
            }
        }
        if let Err(mut p) = Templates::compile(&self.templates) {
            problems.append(&mut p);
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.root_causes.is_empty() {
            problems.push(PolicyProblem {
                path: "root_causes".to_owned(),
                message: "must list at least one root cause".to_owned(),
            });
        }
        for (i, c) in self.root_causes.iter().enumerate() {
            if c.trim().is_empty() || !seen.insert(c.as_str()) {
                problems.push(PolicyProblem {
                    path: format!("root_causes[{i}]"),
                    message: format!("must be non-empty and unique, got {c:?}"),
                });
            }
        }
        let d = &self.dispatch;
        let mut range = |field: &str, v: u64, lo: u64, hi: u64| {
            if !(lo..=hi).contains(&v) {
                problems.push(PolicyProblem {
                    path: format!("dispatch.{field}"),
                    message: format!("must be between {lo} and {hi}, got {v}"),
                });
            }
        };
        range(
            "batch",
            u64::try_from(d.batch).unwrap_or(u64::MAX),
            1,
            10_000,
        );
        range("lease_seconds", d.lease_seconds, 1, 3_600);
        range("timeout_ms", d.timeout_ms, 1, 600_000);
        range("max_attempts", u64::from(d.max_attempts), 1, 100);
        range("backoff_base_seconds", d.backoff_base_seconds, 1, 86_400);
        range(
            "backoff_max_seconds",
            d.backoff_max_seconds,
            d.backoff_base_seconds.max(1),
            7 * 86_400,
        );
        range("idle_seconds", d.idle_seconds, 1, 86_400);
    }

    fn check_retention(&self, problems: &mut Vec<PolicyProblem>) {
        let r = &self.retention;
        let mut report = |field: &str, message: String| {
            problems.push(PolicyProblem {
                path: format!("retention.{field}"),
                message,
            })
        };
        for (field, span) in [
            ("archive_resolved_after", r.archive_resolved_after),
            ("delete_drafts_after", r.delete_drafts_after),
            ("log_after", r.log_after),
            ("escalation_log_after", r.escalation_log_after),
        ] {
            if span.is_zero() {
                report(field, "must be longer than 0s, got 0s".to_owned());
            }
        }
        if r.escalation_log_after < r.log_after {
            report(
                "escalation_log_after",
                format!(
                    "must not be shorter than retention.log_after ({}), got {}",
                    r.log_after, r.escalation_log_after
                ),
            );
        }
        if !(1..=10_000).contains(&r.batch) {
            report(
                "batch",
                format!("must be between 1 and 10000, got {}", r.batch),
            );
        }
    }

    fn check_calendars(&self, problems: &mut Vec<PolicyProblem>) {
        for (name, spec) in &self.calendars {
            if name == ALWAYS_CALENDAR {
                problems.push(PolicyProblem {
                    path: format!("calendars.{name}"),
                    message: "is built in (open 24/7) and cannot be redefined".to_owned(),
                });
                continue;
            }
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                problems.push(PolicyProblem {
                    path: format!("calendars.{name}"),
                    message: format!(
                        "a calendar name uses only letters, digits, '_' and '-', got {name:?}"
                    ),
                });
            }
            for p in spec.problems() {
                problems.push(PolicyProblem {
                    path: format!("calendars.{name}.{}", p.path),
                    message: p.message,
                });
            }
        }
    }

    /// Validates an in-memory policy (one built in code rather than loaded).
    ///
    /// # Errors
    /// [`Error::PolicyInvalid`] listing every problem.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        self.check(&mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            problems.sort_by(|a, b| a.path.cmp(&b.path));
            Err(Error::PolicyInvalid { problems })
        }
    }

    pub(crate) fn check(&self, problems: &mut Vec<PolicyProblem>) {
        self.check_calendars(problems);
        self.check_sla(problems);
        self.check_ladder(problems);
        self.check_delivery(problems);
        self.check_retention(problems);
        let mut report = |path: &str, message: String| {
            problems.push(PolicyProblem {
                path: path.to_owned(),
                message,
            })
        };
        if self.version.trim().is_empty() {
            report("version", "must not be empty".to_owned());
        }

        let s = &self.scoring;
        let w = &s.weights;
        for (name, v) in [
            ("tier", w.tier),
            ("impact", w.impact),
            ("age", w.age),
            ("lifetime_value", w.lifetime_value),
        ] {
            unit_interval(&mut report, &format!("scoring.weights.{name}"), v);
        }
        if [w.tier, w.impact, w.age, w.lifetime_value]
            .iter()
            .all(|v| *v == 0.0)
        {
            report("scoring.weights", "must not all be 0".to_owned());
        }

        let t = &s.tier_values;
        let tiers = [
            ("free", t.free),
            ("standard", t.standard),
            ("premium", t.premium),
            ("enterprise", t.enterprise),
            ("vip", t.vip),
        ];
        non_decreasing(&mut report, "scoring.tier_values", &tiers);
        let i = &s.impact_values;
        let impacts = [
            ("feature_request", i.feature_request),
            ("question", i.question),
            ("bug", i.bug),
            ("degraded", i.degraded),
            ("outage", i.outage),
        ];
        non_decreasing(&mut report, "scoring.impact_values", &impacts);

        if !(s.age_saturation_hours.is_finite()
            && s.age_saturation_hours > 0.0
            && s.age_saturation_hours <= 8_760.0)
        {
            report(
                "scoring.age_saturation_hours",
                format!(
                    "must be greater than 0 and at most 8760, got {}",
                    s.age_saturation_hours
                ),
            );
        }
        if !(s.lifetime_value_cap.is_finite() && s.lifetime_value_cap >= 1.0) {
            report(
                "scoring.lifetime_value_cap",
                format!("must be at least 1, got {}", s.lifetime_value_cap),
            );
        }

        let b = &s.bands;
        for (name, v) in [
            ("critical", b.critical),
            ("high", b.high),
            ("normal", b.normal),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                report(
                    &format!("scoring.bands.{name}"),
                    format!("must be greater than 0 and at most 100, got {v}"),
                );
            }
        }
        if b.high >= b.critical {
            report(
                "scoring.bands.high",
                format!(
                    "must be below scoring.bands.critical ({}), got {}",
                    b.critical, b.high
                ),
            );
        }
        if b.normal >= b.high {
            report(
                "scoring.bands.normal",
                format!(
                    "must be below scoring.bands.high ({}), got {}",
                    b.high, b.normal
                ),
            );
        }

        let r = &self.routing;
        if !(1..=86_400).contains(&r.retry_after_seconds) {
            report(
                "routing.retry_after_seconds",
                format!("must be between 1 and 86400, got {}", r.retry_after_seconds),
            );
        }

        let n = &self.intake;
        if !(1..=60_000).contains(&n.profile_timeout_ms) {
            report(
                "intake.profile_timeout_ms",
                format!("must be between 1 and 60000, got {}", n.profile_timeout_ms),
            );
        }
        if !(1..=86_400).contains(&n.profile_retry_seconds) {
            report(
                "intake.profile_retry_seconds",
                format!(
                    "must be between 1 and 86400, got {}",
                    n.profile_retry_seconds
                ),
            );
        }
        if n.profile_max_attempts == 0 {
            report(
                "intake.profile_max_attempts",
                "must be at least 1, got 0".to_owned(),
            );
        }
    }
}

fn unit_interval(report: &mut impl FnMut(&str, String), path: &str, v: f64) {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        report(path, format!("must be between 0 and 1, got {v}"));
    }
}

fn non_decreasing(report: &mut impl FnMut(&str, String), section: &str, values: &[(&str, f64)]) {
    for (name, v) in values {
        unit_interval(report, &format!("{section}.{name}"), *v);
    }
    for pair in values.windows(2) {
        let [(lo_name, lo), (hi_name, hi)] = pair else {
            continue;
        };
        if hi < lo {
            report(
                &format!("{section}.{hi_name}"),
                format!("must not be below {section}.{lo_name} ({lo}), got {hi}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_document_gives_the_defaults() {
        let p = Policy::from_toml_str("").unwrap();
        assert_eq!(p, Policy::default());
        p.validate().unwrap();
    }

    #[test]
    fn calendars_load_from_toml_and_always_is_built_in() {
        let p = Policy::from_toml_str(
            r#"
            [calendars.support]
            timezone = "America/New_York"
            holidays = ["2026-12-25"]
            [calendars.support.hours]
            mon = [["09:00", "17:00"]]
            fri = [["09:00", "12:00"], ["13:00", "17:00"]]
            "#,
        )
        .unwrap();
        let cals = p.calendars().unwrap();
        assert_eq!(cals.names().collect::<Vec<_>>(), ["always", "support"]);
        let support = cals.get("support").unwrap();
        // Friday 2026-11-27 12:30 New York (17:30 UTC) is the lunch gap.
        let lunch = chrono::DateTime::parse_from_rfc3339("2026-11-27T17:30:00Z")
            .unwrap()
            .to_utc();
        assert!(!support.is_open(lunch));
        assert!(support.is_open(lunch + chrono::TimeDelta::hours(1)));
        assert!(cals.get("always").unwrap().is_open(lunch));
    }

    #[test]
    fn calendar_problems_carry_their_path_in_the_policy() {
        let err = Policy::from_toml_str(
            r#"
            [calendars.always]
            timezone = "Etc/UTC"
            hours = { mon = [["09:00", "17:00"]] }
            [calendars.support]
            timezone = "Mars/Olympus"
            hours = { mon = [["09:00", "25:00"]] }
            "#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("calendars.always: is built in"), "{text}");
        assert!(text.contains("calendars.support.timezone"), "{text}");
        assert!(text.contains("Mars/Olympus"), "{text}");
        assert!(text.contains("calendars.support.hours.mon[0]"), "{text}");
        assert!(text.contains("25:00"), "{text}");
    }

    #[test]
    fn retention_loads_spans_and_names_bad_fields() {
        let p = Policy::from_toml_str(
            r#"
            [retention]
            archive_resolved_after = "60d"
            batch = 50
            "#,
        )
        .unwrap();
        assert_eq!(p.retention.archive_resolved_after, Span::hours(60 * 24));
        assert_eq!(p.retention.batch, 50);
        assert_eq!(p.retention.log_after, Span::hours(365 * 24));
        let err = Policy::from_toml_str(
            r#"
            [retention]
            log_after = "400d"
            escalation_log_after = "100d"
            delete_drafts_after = "0s"
            batch = 0
            "#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("retention.escalation_log_after"), "{text}");
        assert!(text.contains("retention.delete_drafts_after"), "{text}");
        assert!(text.contains("retention.batch"), "{text}");
        assert!(!text.contains("retention.log_after:"), "{text}");
    }

    #[test]
    fn bands_map_scores() {
        let b = Bands::default();
        assert_eq!(b.priority(100.0), Priority::Critical);
        assert_eq!(b.priority(b.critical), Priority::Critical);
        assert_eq!(b.priority(b.high), Priority::High);
        assert_eq!(b.priority(b.normal), Priority::Normal);
        assert_eq!(b.priority(0.0), Priority::Low);
    }
}
