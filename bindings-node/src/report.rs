//! `WeeklyReport` and `ArtReport` ([`escalation_core::report`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use escalation_core::report::ArtReport;
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::Value;

use crate::document;
use crate::error::guard;
use crate::model::doc;

/// Average resolution time (mean, median, p90) in business and wall-clock seconds, overall
/// and grouped by category, customer tier, priority, team and channel.
#[napi(object, object_from_js = false, js_name = "ArtReport")]
pub struct JsArtReport {
    /// The start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// The end of the period (exclusive).
    pub to: DateTime<Utc>,
    /// All, escalated and not escalated: `{ all, escalated, not_escalated }`, each with
    /// `count` and `business`/`wall` stats in seconds.
    #[napi(ts_type = "Record<string, unknown>")]
    pub overall: Value,
    /// One row per dimension and value.
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub groups: Value,
}

impl From<&ArtReport> for JsArtReport {
    fn from(r: &ArtReport) -> Self {
        JsArtReport {
            from: r.from,
            to: r.to,
            overall: doc(&r.overall),
            groups: doc(&r.groups),
        }
    }
}

/// The weekly escalation report. `toJson()`, `toMarkdown()` and `toHtml()` render it; the
/// getters hold its sections in the core's JSON form (`toJSON()` gives all of it).
#[napi]
pub struct WeeklyReport {
    inner: Arc<escalation_core::report::WeeklyReport>,
}

impl WeeklyReport {
    pub(crate) fn wrap(report: escalation_core::report::WeeklyReport) -> Self {
        WeeklyReport {
            inner: Arc::new(report),
        }
    }
}

#[napi]
impl WeeklyReport {
    /// The report format's version.
    #[napi(getter, catch_unwind)]
    pub fn schema_version(&self) -> u32 {
        self.inner.schema_version
    }

    /// The ISO week, `"2026-W49"`.
    #[napi(getter, catch_unwind)]
    pub fn week(&self) -> String {
        self.inner.week.to_string()
    }

    /// The tenant.
    #[napi(getter, catch_unwind)]
    pub fn tenant(&self) -> String {
        self.inner.tenant.to_string()
    }

    /// The zone the week is cut in.
    #[napi(getter, catch_unwind)]
    pub fn timezone(&self) -> String {
        self.inner.timezone.clone()
    }

    /// The week's start (inclusive).
    #[napi(getter, catch_unwind)]
    pub fn from(&self) -> DateTime<Utc> {
        self.inner.from
    }

    /// The week's end (exclusive).
    #[napi(getter, catch_unwind)]
    pub fn to(&self) -> DateTime<Utc> {
        self.inner.to
    }

    /// When the report was made (the engine's clock).
    #[napi(getter, catch_unwind)]
    pub fn generated_at(&self) -> DateTime<Utc> {
        self.inner.generated_at
    }

    /// Totals: created, resolved, escalations, breaches, breach rate.
    #[napi(getter, catch_unwind, ts_return_type = "Record<string, unknown>")]
    pub fn totals(&self) -> Value {
        doc(&self.inner.totals)
    }

    /// Warnings, breaches and breach rate per SLA target.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn targets(&self) -> Value {
        doc(&self.inner.targets)
    }

    /// The top categories by escalations, with week-over-week change.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn top_categories(&self) -> Value {
        doc(&self.inner.top_categories)
    }

    /// The customer tiers by escalations.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn top_segments(&self) -> Value {
        doc(&self.inner.top_segments)
    }

    /// Flagged patterns: growth or jumps, by category.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn patterns(&self) -> Value {
        doc(&self.inner.patterns)
    }

    /// Pages per on-call engineer, with time to acknowledge.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn on_call(&self) -> Value {
        doc(&self.inner.on_call)
    }

    /// Mean time to acknowledge the week's pages, in seconds (`null` without any).
    #[napi(getter, catch_unwind)]
    pub fn mean_time_to_ack(&self) -> Option<f64> {
        self.inner.mean_time_to_ack.map(|s| s as f64)
    }

    /// Root causes of the escalated tickets resolved in the week.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn root_causes(&self) -> Value {
        doc(&self.inner.root_causes)
    }

    /// Average resolution time of the tickets resolved in the week.
    #[napi(getter, catch_unwind)]
    pub fn art(&self) -> JsArtReport {
        JsArtReport::from(&self.inner.art)
    }

    /// The slowest tickets resolved in the week.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn slowest(&self) -> Value {
        doc(&self.inner.slowest)
    }

    /// Escalations and breaches per week, oldest first, this week last.
    #[napi(
        getter,
        catch_unwind,
        ts_return_type = "Array<Record<string, unknown>>"
    )]
    pub fn history(&self) -> Value {
        doc(&self.inner.history)
    }

    /// The report as JSON text (the schema in `docs/report.schema.json`).
    #[napi(catch_unwind)]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The report as Markdown.
    #[napi(catch_unwind)]
    pub fn to_markdown(&self) -> String {
        self.inner.to_markdown()
    }

    /// The report as one self-contained HTML page with inline SVG charts.
    #[napi(catch_unwind)]
    pub fn to_html(&self) -> String {
        self.inner.to_html()
    }

    /// The report's JSON form as a plain object, so `JSON.stringify(report)` writes what
    /// `toJson()` does.
    #[napi(
        js_name = "toJSON",
        catch_unwind,
        ts_return_type = "Record<string, unknown>"
    )]
    pub fn to_json_object<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        guard(env, || document::to_object(env, &*self.inner))
    }
}
