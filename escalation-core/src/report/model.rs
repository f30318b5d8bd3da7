//! The typed weekly escalation report and the resolution-time (ART) metrics.
//!
//! Every figure is plain data (serde-serializable); [`super::render`] turns a
//! [`WeeklyReport`] into Markdown and into one self-contained HTML page. Durations are whole
//! seconds (`i64`) so that the JSON form is exact and language-neutral; shares and rates are
//! fractions in `0.0..=1.0`; week-over-week changes are fractions too (`0.25` = +25 %), absent
//! when the previous week had none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{TenantId, TicketId};

/// The version of the report's JSON schema (`docs/report.schema.json`). It grows only by
/// added optional fields within a version.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// An ISO 8601 week (`2026-W48`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IsoWeek {
    /// The ISO week-numbering year.
    pub year: i32,
    /// The week, 1–53.
    pub week: u32,
}

impl std::fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// Mean, median and 90th percentile of a set of durations, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    /// Arithmetic mean, rounded to the second.
    pub mean: i64,
    /// Median (the mean of the two middle values for an even count, rounded down).
    pub median: i64,
    /// 90th percentile, nearest-rank method (the smallest value with at least 90 % of the
    /// values at or below it).
    pub p90: i64,
}

/// Resolution times of a set of tickets, in business time and in wall-clock time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtStats {
    /// How many tickets the figures cover; the figures are absent when it is zero.
    pub count: u64,
    /// From creation to resolution on the ticket's resolution calendar.
    pub business: Option<DurationStats>,
    /// From creation to resolution on the wall clock.
    pub wall: Option<DurationStats>,
}

/// ART of one group, split by whether its tickets were escalated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtSplit {
    /// Every ticket of the group.
    pub all: ArtStats,
    /// Tickets on which at least one escalation level fired.
    pub escalated: ArtStats,
    /// Tickets on which none fired.
    pub not_escalated: ArtStats,
}

/// What an ART group is keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The ticket's category.
    Category,
    /// The customer's tier (segment).
    CustomerTier,
    /// The ticket's priority at resolution.
    Priority,
    /// The team of the agent who held the ticket (`unassigned` when none).
    Team,
    /// The intake channel.
    Channel,
}

impl Dimension {
    /// Every dimension, in report order.
    pub const ALL: [Dimension; 5] = [
        Dimension::Category,
        Dimension::CustomerTier,
        Dimension::Priority,
        Dimension::Team,
        Dimension::Channel,
    ];

    /// The name used in JSON and in the rendered report.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Category => "category",
            Dimension::CustomerTier => "customer_tier",
            Dimension::Priority => "priority",
            Dimension::Team => "team",
            Dimension::Channel => "channel",
        }
    }
}

/// ART of the tickets of one dimension value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtGroup {
    /// The dimension.
    pub dimension: Dimension,
    /// The value (`billing`, `premium`, `critical`, a team id, `email`, ...).
    pub key: String,
    /// The figures.
    pub art: ArtSplit,
}

/// Average resolution time over a window: overall and grouped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtReport {
    /// Start of the window (inclusive).
    pub from: DateTime<Utc>,
    /// End of the window (exclusive).
    pub to: DateTime<Utc>,
    /// Every ticket resolved in the window.
    pub overall: ArtSplit,
    /// One entry per (dimension, value) seen, ordered by dimension then key.
    pub groups: Vec<ArtGroup>,
}

/// Totals of the week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Tickets created in the week.
    pub created: u64,
    /// Tickets resolved in the week.
    pub resolved: u64,
    /// Distinct tickets on which an escalation level fired in the week.
    pub escalated_tickets: u64,
    /// Escalation levels fired in the week.
    pub escalations: u64,
    /// SLA breaches in the week.
    pub breaches: u64,
    /// SLA clocks stopped in the week (met or missed): the breach rate's base.
    pub clocks_ended: u64,
    /// The share of `clocks_ended` that had missed their deadline (0 when no clock ended).
    /// Not `breaches / clocks_ended`: a breach is counted in the week it happens, the clock
    /// in the week it stops.
    pub breach_rate: f64,
}

/// Escalations and breaches of one SLA target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    /// Clocks of this target stopped in the week (met or missed).
    pub clocks_ended: u64,
    /// Warnings raised.
    pub warnings: u64,
    /// Breaches.
    pub breaches: u64,
    /// Escalation levels fired by this target's clocks.
    pub escalations: u64,
    /// The share of `clocks_ended` that had missed their deadline (0 when none ended).
    pub breach_rate: f64,
}

/// Escalations of one category or customer segment, this week and the week before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The category, or the customer tier.
    pub key: String,
    /// Escalation levels fired this week on tickets of this key.
    pub escalations: u64,
    /// The same, the week before.
    pub previous: u64,
    /// `(escalations - previous) / previous`; absent when `previous` is 0.
    pub change: Option<f64>,
}

/// Why a category is flagged as a recurring pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PatternKind {
    /// Escalations grew week over week for `weeks` weeks in a row (ending this week).
    Growing {
        /// Consecutive weeks of growth.
        weeks: u32,
    },
    /// Escalations grew by more than the policy's threshold this week.
    Jump {
        /// The growth, as a fraction (`0.6` = +60 %).
        change: f64,
    },
}

/// A category whose escalations are trending up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pattern {
    /// The category.
    pub category: String,
    /// Why it is flagged.
    pub kind: PatternKind,
    /// Escalations per week, oldest first, ending with this week (the report's history
    /// length).
    pub series: Vec<u64>,
}

/// Pages of one on-call engineer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnCallRow {
    /// Who acknowledged, or the page's routing target when nobody did.
    pub engineer: String,
    /// Pages triggered (first sends, not repeats).
    pub pages: u64,
    /// Repeats sent.
    pub repeats: u64,
    /// Pages acknowledged.
    pub acknowledged: u64,
    /// Mean time from trigger to acknowledgement, in seconds (absent when none was).
    pub mean_time_to_ack: Option<i64>,
}

/// One root cause and how often it was given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RootCauseRow {
    /// The cause (`unspecified` when the resolution gave none).
    pub cause: String,
    /// Escalated tickets resolved in the week with this cause.
    pub count: u64,
    /// `count` over all escalated tickets resolved in the week.
    pub share: f64,
}

/// One of the slowest tickets resolved in the week.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlowTicket {
    /// The ticket.
    pub id: TicketId,
    /// Its subject.
    pub subject: String,
    /// Its category.
    pub category: String,
    /// Its priority at resolution (`critical`, `high`, `normal` or `low`).
    pub priority: String,
    /// Resolution time in business seconds.
    pub business_seconds: i64,
    /// Resolution time in wall-clock seconds.
    pub wall_seconds: i64,
    /// Whether an escalation level fired on it.
    pub escalated: bool,
    /// The host's link to the ticket (from `ReportOptions::ticket_url`), if any.
    pub url: Option<String>,
}

/// Escalations and breaches of one past week, for the trend chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekPoint {
    /// The week.
    pub week: IsoWeek,
    /// Escalation levels fired.
    pub escalations: u64,
    /// SLA breaches.
    pub breaches: u64,
}

/// The weekly escalation report of one tenant for one ISO week.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeeklyReport {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tenant.
    pub tenant: TenantId,
    /// The week.
    pub week: IsoWeek,
    /// The zone the week's boundaries are taken in (IANA name).
    pub timezone: String,
    /// Monday 00:00 of the week, in that zone, as UTC.
    pub from: DateTime<Utc>,
    /// The next Monday 00:00, as UTC (exclusive).
    pub to: DateTime<Utc>,
    /// When the report was computed (the engine's clock).
    pub generated_at: DateTime<Utc>,
    /// Totals.
    pub totals: Totals,
    /// Per SLA target, in the order first_response, next_response, resolution.
    pub targets: Vec<TargetRow>,
    /// Categories by escalations this week, descending (ties by key), at most
    /// `ReportOptions::top`.
    pub top_categories: Vec<SegmentRow>,
    /// Customer tiers by escalations this week, descending (every tier that escalated this
    /// week or the week before).
    pub top_segments: Vec<SegmentRow>,
    /// Recurring patterns, by category.
    pub patterns: Vec<Pattern>,
    /// Pages per on-call engineer, by pages descending.
    pub on_call: Vec<OnCallRow>,
    /// Mean time to acknowledge over every acknowledged page of the week, in seconds.
    pub mean_time_to_ack: Option<i64>,
    /// Root causes of the escalated tickets resolved in the week, by count descending.
    pub root_causes: Vec<RootCauseRow>,
    /// ART of the tickets resolved in the week.
    pub art: ArtReport,
    /// The slowest tickets resolved in the week (business time, descending), at most
    /// `ReportOptions::slowest`.
    pub slowest: Vec<SlowTicket>,
    /// Escalations and breaches per week, oldest first, ending with this week.
    pub history: Vec<WeekPoint>,
}
