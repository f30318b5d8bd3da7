//! `escalation.WeeklyReport` and `escalation.ArtReport` ([`escalation_core::report`]).

use escalation_core::report::{ArtReport, WeeklyReport};
use pyo3::prelude::*;

use crate::record::{Doc, view};

view! {
    /// Average resolution time (mean, median, p90) in business and wall-clock seconds,
    /// overall and grouped by category, customer tier, priority, team and channel.
    PyArtReport("ArtReport", ArtReport)
    repr |r| format!("ArtReport(from_={:?}, to={:?}, resolved={})", r.from.to_rfc3339(), r.to.to_rfc3339(), r.overall.all.count);
    {
        /// The start of the period (inclusive).
        from_ => |r| r.from,
        /// The end of the period (exclusive).
        to => |r| r.to,
        /// All, escalated and not escalated (a dict of stats).
        overall => |r| Doc(&r.overall),
        /// One row per dimension and value (a list of dicts).
        groups => |r| Doc(&r.groups),
    }
}

view! {
    /// The weekly escalation report. `to_json()`, `to_markdown()` and `to_html()` render it;
    /// the attributes hold its sections as dicts and lists (the JSON form).
    PyWeeklyReport("WeeklyReport", WeeklyReport)
    repr |r| format!("WeeklyReport(tenant={:?}, week={:?}, escalations={}, breaches={})", r.tenant.to_string(), r.week.to_string(), r.totals.escalations, r.totals.breaches);
    {
        /// The report format's version.
        schema_version => |r| r.schema_version,
        /// The tenant.
        tenant => |r| r.tenant,
        /// The ISO week, `"2026-W48"`.
        week => |r| r.week.to_string(),
        /// The zone the week is cut in.
        timezone => |r| r.timezone,
        /// The week's start (inclusive).
        from_ => |r| r.from,
        /// The week's end (exclusive).
        to => |r| r.to,
        /// When the report was made.
        generated_at => |r| r.generated_at,
        /// Totals: created, resolved, escalations, breaches, breach rate.
        totals => |r| Doc(&r.totals),
        /// Warnings, breaches and breach rate per target.
        targets => |r| Doc(&r.targets),
        /// The top categories by escalations, with week-over-week change.
        top_categories => |r| Doc(&r.top_categories),
        /// The top segments (customer tier and priority).
        top_segments => |r| Doc(&r.top_segments),
        /// Flagged patterns: growth or jumps.
        patterns => |r| Doc(&r.patterns),
        /// Pages per engineer, with time to acknowledge.
        on_call => |r| Doc(&r.on_call),
        /// Mean time to acknowledge a page over the week, in seconds (None without pages).
        mean_time_to_ack => |r| r.mean_time_to_ack,
        /// Root causes of the week's resolutions.
        root_causes => |r| Doc(&r.root_causes),
        /// Average resolution time.
        art => |r| r.art,
        /// The slowest tickets.
        slowest => |r| Doc(&r.slowest),
        /// Escalations per week, this week included.
        history => |r| Doc(&r.history),
    }
}

#[pymethods]
impl PyWeeklyReport {
    /// The report as JSON (the schema in `docs/report.schema.json`).
    fn to_json(&self, py: Python<'_>) -> String {
        py.detach(|| self.inner.to_json())
    }

    /// The report as Markdown.
    fn to_markdown(&self, py: Python<'_>) -> String {
        py.detach(|| self.inner.to_markdown())
    }

    /// The report as one self-contained HTML page with inline SVG charts.
    fn to_html(&self, py: Python<'_>) -> String {
        py.detach(|| self.inner.to_html())
    }
}
