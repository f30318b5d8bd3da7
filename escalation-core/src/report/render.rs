//! Renders a [`WeeklyReport`] as Markdown (for chat and e-mail) and as one self-contained HTML
//! page with inline SVG charts (for the browser and for print).
//!
//! Both renderers are plain Rust building a `String` with `write!`, not minijinja templates.
//! The work here is arithmetic, not text: chart geometry, axis ticks, percentages and
//! durations are computed from typed fields, and the compiler checks every field name and
//! type, where a template would meet a serialized view model only at run time. Rendering is
//! therefore infallible (`fn(&WeeklyReport) -> String`), with no template source to compile
//! and no undefined-variable error to report. The two formats share one tabular view of the
//! report (a private `Table`), so a section's columns are decided once, and each format
//! escapes every cell on its way out: Markdown with backslashes, HTML with entities.
//! minijinja remains the tool for host-editable notification text ([`crate::templates`]);
//! the report's layout is not host-editable.

use std::fmt::{self, Write as _};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::model::{
    ArtGroup, ArtSplit, ArtStats, Dimension, DurationStats, PatternKind, SegmentRow, WeekPoint,
    WeeklyReport,
};

impl WeeklyReport {
    /// The report as Markdown; see [`markdown`].
    pub fn to_markdown(&self) -> String {
        markdown(self)
    }

    /// The report as one self-contained HTML page; see [`html`].
    pub fn to_html(&self) -> String {
        html(self)
    }

    /// The report as pretty-printed JSON, in the shape `docs/report.schema.json` describes.
    pub fn to_json(&self) -> String {
        // Cannot fail: the report is plain data with string keys only, which serde_json
        // always serializes. Were it to, an empty string (not JSON) makes a consumer fail loudly.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting of figures
// ---------------------------------------------------------------------------------------------

/// A duration in seconds, compact and to two units: `45 s`, `12 m 5 s`, `3 h 20 m`, `2 d 4 h`.
/// The smaller unit is rounded, so `3 h 19 m 45 s` reads `3 h 20 m`.
fn duration(seconds: i64) -> String {
    fn pair(big: u64, big_unit: &str, small: u64, small_unit: &str) -> String {
        if small == 0 {
            format!("{big} {big_unit}")
        } else {
            format!("{big} {big_unit} {small} {small_unit}")
        }
    }
    let sign = if seconds < 0 { "\u{2212}" } else { "" };
    let s = seconds.unsigned_abs();
    let body = if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        pair(s / 60, "m", s % 60, "s")
    } else {
        let minutes = (s + 30) / 60;
        if minutes < 24 * 60 {
            pair(minutes / 60, "h", minutes % 60, "m")
        } else {
            let hours = (s + 1800) / 3600;
            pair(hours / 24, "d", hours % 24, "h")
        }
    };
    format!("{sign}{body}")
}

fn optional_duration(seconds: Option<i64>) -> String {
    seconds.map_or_else(|| DASH.to_owned(), duration)
}

/// Shown where a figure is absent (no tickets, no acknowledged page, ...).
const DASH: &str = "\u{2013}";

/// A fraction as a percentage with `decimals` decimals: `0.0625` → `6.3 %`. Halves round away
/// from zero; a non-finite fraction (a host's bad data) reads as a dash.
fn percent(fraction: f64, decimals: i32) -> String {
    if !fraction.is_finite() {
        return DASH.to_owned();
    }
    let scale = 10f64.powi(decimals);
    let value = (fraction * 100.0 * scale).round() / scale + 0.0; // `+ 0.0` turns -0 into 0
    format!("{value:.prec$} %", prec = decimals.max(0) as usize)
}

/// How a week-over-week change reads, and whether it is good news.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tone {
    /// More escalations than the week before.
    Up,
    /// Fewer.
    Down,
    /// Unchanged, or nothing to compare.
    Flat,
}

/// `+25 %`, `−10 %`, `0 %`, `new` (none the week before), or a dash (none either week).
fn change(row: &SegmentRow) -> (String, Tone) {
    match row.change {
        Some(c) if c.is_finite() => {
            let pct = (c * 100.0).round() as i64;
            match pct.cmp(&0) {
                std::cmp::Ordering::Greater => (format!("+{pct} %"), Tone::Up),
                std::cmp::Ordering::Less => {
                    (format!("\u{2212}{} %", pct.unsigned_abs()), Tone::Down)
                }
                std::cmp::Ordering::Equal => ("0 %".to_owned(), Tone::Flat),
            }
        }
        Some(_) => (DASH.to_owned(), Tone::Flat),
        None if row.previous == 0 && row.escalations > 0 => ("new".to_owned(), Tone::Up),
        None => (DASH.to_owned(), Tone::Flat),
    }
}

fn pattern_reason(kind: &PatternKind) -> String {
    match kind {
        PatternKind::Growing { weeks } if *weeks == 1 => "growing for 1 week".to_owned(),
        PatternKind::Growing { weeks } => format!("growing for {weeks} weeks in a row"),
        PatternKind::Jump { change } => {
            let row = SegmentRow {
                key: String::new(),
                escalations: 1,
                previous: 1,
                change: Some(*change),
            };
            format!("jumped {} in a week", self::change(&row).0)
        }
    }
}

fn series_text(series: &[u64]) -> String {
    series
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" \u{2192} ")
}

fn target_title(target: &str) -> String {
    match target {
        "first_response" => "First response".to_owned(),
        "next_response" => "Next response".to_owned(),
        "resolution" => "Resolution".to_owned(),
        other => other.to_owned(),
    }
}

fn dimension_title(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Category => "Category",
        Dimension::CustomerTier => "Customer tier",
        Dimension::Priority => "Priority",
        Dimension::Team => "Team",
        Dimension::Channel => "Channel",
    }
}

/// The week's zone, or UTC (and the name `UTC`) when the host gave a name chrono-tz does
/// not know.
fn zone(report: &WeeklyReport) -> (Tz, String) {
    match report.timezone.parse::<Tz>() {
        Ok(tz) => (tz, report.timezone.clone()),
        Err(_) => (Tz::UTC, "UTC".to_owned()),
    }
}

/// `Mon 23 Nov – Sun 29 Nov 2026`, in the week's zone (the end is exclusive, so the last day
/// shown is the one before it).
fn date_range(report: &WeeklyReport) -> String {
    let (tz, _) = zone(report);
    let first = report.from.with_timezone(&tz);
    let last = if report.to > report.from {
        (report.to - TimeDelta::seconds(1)).with_timezone(&tz)
    } else {
        first
    };
    let start = if first.format("%Y").to_string() == last.format("%Y").to_string() {
        first.format("%a %-d %b").to_string()
    } else {
        first.format("%a %-d %b %Y").to_string()
    };
    format!("{start} \u{2013} {}", last.format("%a %-d %b %Y"))
}

fn timestamp(at: DateTime<Utc>, report: &WeeklyReport) -> String {
    let (tz, _) = zone(report);
    at.with_timezone(&tz)
        .format("%-d %b %Y %H:%M %Z")
        .to_string()
}

/// A link target the report may show: absolute `http(s)` or relative. Anything else (for
/// example `javascript:`) is rendered as plain text.
fn safe_url(url: &str) -> Option<&str> {
    let lower = url.trim_start().to_ascii_lowercase();
    let scheme_end = lower.find(':');
    let path_start = lower.find(['/', '?', '#']);
    let has_scheme = match (scheme_end, path_start) {
        (Some(colon), Some(slash)) => colon < slash,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let ok = !url.is_empty()
        && !url.chars().any(char::is_control)
        && (!has_scheme || lower.starts_with("http://") || lower.starts_with("https://"));
    ok.then_some(url)
}

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

/// Escapes host-supplied text for Markdown (CommonMark and GitHub tables): backslash-escapes
/// the characters that start emphasis, links, code, HTML and table cells, and turns line
/// breaks into spaces so that a value stays in its table row.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes what would end a Markdown link destination or a table cell.
fn md_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '|' => out.push_str("%7C"),
            '`' => out.push_str("%60"),
            '\\' => out.push_str("%5C"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML content and quoted attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The tabular view shared by both formats
// ---------------------------------------------------------------------------------------------

/// One cell: text that each format escapes on the way out.
enum Cell {
    /// Text (host-supplied or generated).
    Text(String),
    /// A link to a ticket; the URL has passed [`safe_url`].
    Link { label: String, url: String },
    /// A week-over-week change.
    Change(String, Tone),
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }
}

/// A column: its heading and whether it holds figures (right-aligned).
struct Column {
    title: String,
    numeric: bool,
    /// Short text that reads badly when wrapped (ids, categories, priorities).
    nowrap: bool,
    /// The heading under a band (HTML), where the band says the rest: `Median` under
    /// `Business time`.
    short: Option<&'static str>,
}

impl Column {
    fn under_band(mut self, short: &'static str) -> Column {
        self.short = Some(short);
        self
    }
}

fn text_col(title: impl Into<String>) -> Column {
    Column {
        title: title.into(),
        numeric: false,
        nowrap: false,
        short: None,
    }
}

fn short_col(title: impl Into<String>) -> Column {
    Column {
        title: title.into(),
        numeric: false,
        nowrap: true,
        short: None,
    }
}

fn num_col(title: impl Into<String>) -> Column {
    Column {
        title: title.into(),
        numeric: true,
        nowrap: true,
        short: None,
    }
}

/// A section's table, or the one line that says why it is empty.
struct Table {
    columns: Vec<Column>,
    /// Headings over groups of columns (title, span), HTML only; empty for none.
    bands: Vec<(&'static str, usize)>,
    rows: Vec<Vec<Cell>>,
    empty: &'static str,
}

fn targets_table(report: &WeeklyReport) -> Table {
    Table {
        columns: vec![
            text_col("Target"),
            num_col("Clocks ended"),
            num_col("Warnings"),
            num_col("Breaches"),
            num_col("Breach rate"),
            num_col("Escalations"),
        ],
        rows: report
            .targets
            .iter()
            .map(|t| {
                vec![
                    Cell::text(target_title(&t.target)),
                    Cell::text(t.clocks_ended.to_string()),
                    Cell::text(t.warnings.to_string()),
                    Cell::text(t.breaches.to_string()),
                    Cell::text(percent(t.breach_rate, 1)),
                    Cell::text(t.escalations.to_string()),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty: "No SLA clock ended this week.",
    }
}

fn segments_table(rows: &[SegmentRow], key_title: &str, empty: &'static str) -> Table {
    Table {
        columns: vec![
            text_col(key_title),
            num_col("Escalations"),
            num_col("Previous week"),
            num_col("Change"),
        ],
        rows: rows
            .iter()
            .map(|row| {
                let (text, tone) = change(row);
                vec![
                    Cell::text(row.key.clone()),
                    Cell::text(row.escalations.to_string()),
                    Cell::text(row.previous.to_string()),
                    Cell::Change(text, tone),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty,
    }
}

fn patterns_table(report: &WeeklyReport) -> Table {
    Table {
        columns: vec![
            short_col("Category"),
            text_col("Signal"),
            num_col("Escalations per week"),
        ],
        rows: report
            .patterns
            .iter()
            .map(|p| {
                vec![
                    Cell::text(p.category.clone()),
                    Cell::text(pattern_reason(&p.kind)),
                    Cell::text(series_text(&p.series)),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty: "No recurring patterns this week.",
    }
}

fn on_call_table(report: &WeeklyReport) -> Table {
    Table {
        columns: vec![
            text_col("Engineer"),
            num_col("Pages"),
            num_col("Repeats"),
            num_col("Acknowledged"),
            num_col("Mean time to ack"),
        ],
        rows: report
            .on_call
            .iter()
            .map(|r| {
                vec![
                    Cell::text(r.engineer.clone()),
                    Cell::text(r.pages.to_string()),
                    Cell::text(r.repeats.to_string()),
                    Cell::text(r.acknowledged.to_string()),
                    Cell::text(optional_duration(r.mean_time_to_ack)),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty: "No pages this week.",
    }
}

fn root_causes_table(report: &WeeklyReport) -> Table {
    Table {
        columns: vec![text_col("Root cause"), num_col("Tickets"), num_col("Share")],
        rows: report
            .root_causes
            .iter()
            .map(|r| {
                vec![
                    Cell::text(r.cause.clone()),
                    Cell::text(r.count.to_string()),
                    Cell::text(percent(r.share, 1)),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty: "No escalated ticket was resolved this week.",
    }
}

fn stats_cells(stats: Option<DurationStats>) -> [Cell; 3] {
    match stats {
        Some(s) => [
            Cell::text(duration(s.mean)),
            Cell::text(duration(s.median)),
            Cell::text(duration(s.p90)),
        ],
        None => [Cell::text(DASH), Cell::text(DASH), Cell::text(DASH)],
    }
}

fn art_overall_table(overall: &ArtSplit) -> Table {
    let row = |name: &str, s: &ArtStats| {
        let mut cells = vec![Cell::text(name), Cell::text(s.count.to_string())];
        cells.extend(stats_cells(s.business));
        cells.extend(stats_cells(s.wall));
        cells
    };
    let rows = if overall.all.count == 0 {
        Vec::new()
    } else {
        vec![
            row("All tickets", &overall.all),
            row("Escalated", &overall.escalated),
            row("Not escalated", &overall.not_escalated),
        ]
    };
    Table {
        columns: vec![
            text_col("Tickets"),
            num_col("Count"),
            num_col("Business mean").under_band("Mean"),
            num_col("Business median").under_band("Median"),
            num_col("Business p90").under_band("p90"),
            num_col("Wall mean").under_band("Mean"),
            num_col("Wall median").under_band("Median"),
            num_col("Wall p90").under_band("p90"),
        ],
        rows,
        bands: vec![("", 2), ("Business time", 3), ("Wall clock", 3)],
        empty: "No tickets were resolved this week.",
    }
}

fn median_of(stats: Option<DurationStats>) -> String {
    optional_duration(stats.map(|s| s.median))
}

fn art_group_table(dimension: Dimension, groups: &[&ArtGroup]) -> Table {
    Table {
        columns: vec![
            text_col(dimension_title(dimension)),
            num_col("Tickets"),
            num_col("Escalated"),
            num_col("Business median").under_band("Median"),
            num_col("Business p90").under_band("p90"),
            num_col("Business median, escalated").under_band("Escalated"),
            num_col("Business median, not escalated").under_band("Not escalated"),
            num_col("Wall median").under_band("Median"),
            num_col("Wall p90").under_band("p90"),
        ],
        rows: groups
            .iter()
            .map(|g| {
                vec![
                    Cell::text(g.key.clone()),
                    Cell::text(g.art.all.count.to_string()),
                    Cell::text(g.art.escalated.count.to_string()),
                    Cell::text(median_of(g.art.all.business)),
                    Cell::text(optional_duration(g.art.all.business.map(|s| s.p90))),
                    Cell::text(median_of(g.art.escalated.business)),
                    Cell::text(median_of(g.art.not_escalated.business)),
                    Cell::text(median_of(g.art.all.wall)),
                    Cell::text(optional_duration(g.art.all.wall.map(|s| s.p90))),
                ]
            })
            .collect(),
        bands: vec![
            ("", 3),
            ("Business time", 2),
            ("Business median", 2),
            ("Wall clock", 2),
        ],
        empty: "No groups.",
    }
}

/// The ART groups of each dimension that has any, in report order.
fn groups_by_dimension(report: &WeeklyReport) -> Vec<(Dimension, Vec<&ArtGroup>)> {
    Dimension::ALL
        .iter()
        .filter_map(|&d| {
            let groups: Vec<&ArtGroup> = report
                .art
                .groups
                .iter()
                .filter(|g| g.dimension == d)
                .collect();
            (!groups.is_empty()).then_some((d, groups))
        })
        .collect()
}

fn slowest_table(report: &WeeklyReport) -> Table {
    Table {
        columns: vec![
            short_col("Ticket"),
            text_col("Subject"),
            short_col("Category"),
            short_col("Priority"),
            num_col("Business time"),
            num_col("Wall time"),
            short_col("Escalated"),
        ],
        rows: report
            .slowest
            .iter()
            .map(|t| {
                let label = format!("#{}", t.id);
                let ticket = match t.url.as_deref().and_then(safe_url) {
                    Some(url) => Cell::Link {
                        label,
                        url: url.to_owned(),
                    },
                    None => Cell::Text(label),
                };
                vec![
                    ticket,
                    Cell::text(t.subject.clone()),
                    Cell::text(t.category.clone()),
                    Cell::text(t.priority.clone()),
                    Cell::text(duration(t.business_seconds)),
                    Cell::text(duration(t.wall_seconds)),
                    Cell::text(if t.escalated { "yes" } else { "no" }),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty: "No tickets were resolved this week.",
    }
}

fn history_table(report: &WeeklyReport) -> Table {
    Table {
        columns: vec![
            text_col("Week"),
            num_col("Escalations"),
            num_col("SLA breaches"),
        ],
        rows: report
            .history
            .iter()
            .map(|p| {
                vec![
                    Cell::text(p.week.to_string()),
                    Cell::text(p.escalations.to_string()),
                    Cell::text(p.breaches.to_string()),
                ]
            })
            .collect(),
        bands: Vec::new(),
        empty: "No history.",
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

fn md_table(out: &mut String, table: &Table) {
    if table.rows.is_empty() {
        let _ = writeln!(out, "{}\n", table.empty);
        return;
    }
    let titles: Vec<String> = table.columns.iter().map(|c| md(&c.title)).collect();
    let _ = writeln!(out, "| {} |", titles.join(" | "));
    let rule: Vec<&str> = table
        .columns
        .iter()
        .map(|c| if c.numeric { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(text) | Cell::Change(text, _) => md(text),
                Cell::Link { label, url } => format!("[{}]({})", md(label), md_url(url)),
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// Renders the report as Markdown (CommonMark with GitHub tables), for a chat message, an
/// e-mail or a wiki page: a title with the tenant, the ISO week and its dates, a summary of
/// the totals, then one table per section. A section with nothing to show says so in one
/// line. Every host-supplied string (subjects, categories, causes, names) is escaped, so it
/// can neither break a table nor inject markup.
pub fn markdown(report: &WeeklyReport) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let (_, zone_name) = zone(report);
    let t = &report.totals;
    let _ = writeln!(
        out,
        "# Weekly escalation report \u{2014} {}, {}\n",
        md(report.tenant.as_str()),
        report.week
    );
    let _ = writeln!(
        out,
        "{} ({}). Generated {}.\n",
        date_range(report),
        md(&zone_name),
        timestamp(report.generated_at, report)
    );

    out.push_str("## Summary\n\n");
    let _ = writeln!(
        out,
        "- **{}** tickets created, **{}** resolved.",
        t.created, t.resolved
    );
    let _ = writeln!(
        out,
        "- **{}** tickets escalated; **{}** escalation levels fired.",
        t.escalated_tickets, t.escalations
    );
    let _ = writeln!(
        out,
        "- **{}** SLA breaches of {} clocks ended: breach rate **{}**.",
        t.breaches,
        t.clocks_ended,
        percent(t.breach_rate, 1)
    );
    let pages: u64 = report.on_call.iter().map(|r| r.pages).sum();
    match report.mean_time_to_ack {
        Some(mtta) => {
            let _ = writeln!(
                out,
                "- **{pages}** on-call pages, acknowledged in **{}** on average.",
                duration(mtta)
            );
        }
        None => {
            let _ = writeln!(out, "- **{pages}** on-call pages, none acknowledged.");
        }
    }
    let overall = &report.art.overall;
    match overall.all.business {
        Some(all) => {
            let _ = writeln!(
                out,
                "- Median resolution time **{}** in business time (escalated {}, not escalated {}).",
                duration(all.median),
                median_of(overall.escalated.business),
                median_of(overall.not_escalated.business)
            );
        }
        None => out.push_str("- No tickets were resolved this week.\n"),
    }
    out.push('\n');

    out.push_str("## Escalations and breaches per week\n\n");
    md_table(&mut out, &history_table(report));
    out.push_str("## SLA targets\n\n");
    md_table(&mut out, &targets_table(report));
    out.push_str("## Top categories\n\n");
    md_table(
        &mut out,
        &segments_table(
            &report.top_categories,
            "Category",
            "No category escalated this week or the week before.",
        ),
    );
    out.push_str("## Customer segments\n\n");
    md_table(
        &mut out,
        &segments_table(
            &report.top_segments,
            "Customer tier",
            "No customer tier escalated this week or the week before.",
        ),
    );
    out.push_str("## Recurring patterns\n\n");
    md_table(&mut out, &patterns_table(report));
    out.push_str("## On-call pages\n\n");
    md_table(&mut out, &on_call_table(report));
    if let Some(mtta) = report.mean_time_to_ack {
        let _ = writeln!(
            out,
            "Mean time to acknowledge over all pages: **{}**.\n",
            duration(mtta)
        );
    }
    out.push_str("## Root causes of escalated tickets\n\n");
    md_table(&mut out, &root_causes_table(report));
    out.push_str("## Resolution time (ART)\n\n");
    md_table(&mut out, &art_overall_table(overall));
    for (dimension, groups) in groups_by_dimension(report) {
        let _ = writeln!(
            out,
            "### By {}\n",
            dimension_title(dimension).to_lowercase()
        );
        md_table(&mut out, &art_group_table(dimension, &groups));
    }
    out.push_str("## Slowest tickets\n\n");
    md_table(&mut out, &slowest_table(report));
    let _ = writeln!(
        out,
        "_Business time counts only the hours on the ticket's resolution calendar \
         (1 d = 24 such hours). Schema version {}._",
        report.schema_version
    );
    out
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

const STYLE: &str = r#"
:root {
  --ink: #1f2933; --muted: #616e7c; --faint: #9aa5b1; --line: #e4e7eb; --rule: #cbd2d9;
  --page: #f4f6f8; --card: #ffffff; --accent: #3e6d9c; --accent-soft: #b6c8da;
  --warm: #b8643f; --good: #2f7d5b;
}
* { box-sizing: border-box; }
html {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 14px; line-height: 1.45; color: var(--ink); background: var(--page);
}
body { margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 32px 24px 40px; }
header.masthead { margin-bottom: 20px; }
.eyebrow { margin: 0; color: var(--muted); font-size: .86rem; letter-spacing: .06em;
  text-transform: uppercase; }
h1 { margin: 4px 0 2px; font-size: 1.86rem; font-weight: 650; letter-spacing: -.01em; }
h1 .week { color: var(--muted); font-weight: 500; }
.range { margin: 0; color: var(--muted); }
h2 { margin: 0 0 12px; font-size: 1.07rem; font-weight: 650; }
h3 { margin: 18px 0 8px; font-size: .93rem; font-weight: 600; color: var(--muted); }
.kpis { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; }
.kpi .label { display: block; color: var(--muted); font-size: .86rem; }
.kpi .value { display: block; margin-top: 2px; font-size: 1.7rem; font-weight: 600;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.kpi .sub { display: block; color: var(--muted); font-size: .86rem;
  font-variant-numeric: tabular-nums; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 18px 20px; margin-top: 16px; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px;
  align-items: start; }
.grid > section.card, .stack > section.card:first-child { margin-top: 0; }
.row { margin-top: 16px; }
figure { margin: 0 0 12px; }
svg.chart { display: block; max-width: 100%; height: auto; overflow: visible; }
svg.chart text { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
svg.chart text.value { fill: var(--ink); }
svg.chart text.axis-label { font-size: 11px; fill: var(--faint); }
svg.chart text.note { font-size: 13px; fill: var(--faint); }
svg.chart .grid-line { stroke: var(--line); stroke-width: 1; }
svg.chart .axis { stroke: var(--rule); stroke-width: 1; }
svg.chart .s-accent { fill: var(--accent); }
svg.chart .s-soft { fill: var(--accent-soft); }
svg.chart .s-warm { fill: var(--warm); }
svg.chart .s-muted { fill: #9fb3c8; }
svg.chart .line-warm { fill: none; stroke: var(--warm); stroke-width: 2; }
svg.chart .dot-warm { fill: var(--card); stroke: var(--warm); stroke-width: 2; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: .86rem; font-weight: 600; color: var(--muted);
  border-bottom: 1px solid var(--rule); padding: 6px 8px; vertical-align: bottom; }
tr.bands th, tr.bands td { padding: 4px 8px 3px; text-align: center; font-size: .79rem;
  letter-spacing: .04em; text-transform: uppercase; }
tr.bands th { border-bottom: 1px solid var(--line); }
tr.bands td { border-bottom: none; }
td { padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow-wrap: break-word; }
tr.section th { padding: 14px 8px 4px; font-size: .86rem; font-weight: 650; color: var(--ink);
  border-bottom: 1px solid var(--rule); }
tbody tr:last-child td { border-bottom: none; }
th.num, td.num { text-align: right; }
td.num, td.nowrap { white-space: nowrap; }
td.up { color: var(--warm); font-weight: 600; }
td.down { color: var(--good); font-weight: 600; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.empty { margin: 0; color: var(--muted); font-style: italic; }
.note { margin: 8px 0 0; color: var(--muted); font-size: .86rem; }
footer { margin-top: 20px; color: var(--muted); font-size: .86rem; }
@media (max-width: 760px) {
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .grid { grid-template-columns: minmax(0, 1fr); }
}
@media print {
  @page { size: A4; margin: 12mm; }
  html { background: #fff; font-size: 10.5px; }
  main { max-width: none; padding: 0 3px; }
  .kpis { gap: 8px; }
  .kpi { padding: 8px 10px; }
  section.card, .kpi { border: 1px solid var(--rule); border-radius: 0; background: none; }
  section, figure, .kpi, svg.chart { break-inside: avoid; page-break-inside: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  svg.chart { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; }
}
"#;

fn html_table(out: &mut String, table: &Table) {
    if table.rows.is_empty() {
        let _ = write!(out, r#"<p class="empty">{}</p>"#, esc(table.empty));
        return;
    }
    out.push_str("<table>");
    html_head(out, table, None);
    out.push_str("<tbody>");
    html_rows(out, table);
    out.push_str("</tbody></table>");
}

/// One table of several sections that share their columns (the ART groups of every
/// dimension): the header once, then a heading row and the rows of each section.
fn html_sectioned_table(out: &mut String, sections: &[(String, Table)]) {
    let Some((_, first)) = sections.first() else {
        return;
    };
    out.push_str(r#"<table class="sectioned">"#);
    html_head(out, first, Some(""));
    for (title, table) in sections {
        let _ = write!(
            out,
            r#"<tbody><tr class="section"><th scope="rowgroup" colspan="{}">{}</th></tr>"#,
            table.columns.len(),
            esc(title)
        );
        html_rows(out, table);
        out.push_str("</tbody>");
    }
    out.push_str("</table>");
}

fn html_head(out: &mut String, table: &Table, first_title: Option<&str>) {
    out.push_str("<thead>");
    if !table.bands.is_empty() {
        out.push_str(r#"<tr class="bands">"#);
        for (title, span) in &table.bands {
            if title.is_empty() {
                let _ = write!(out, r#"<td colspan="{span}"></td>"#);
            } else {
                let _ = write!(
                    out,
                    r#"<th scope="colgroup" colspan="{span}">{}</th>"#,
                    esc(title)
                );
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("<tr>");
    for (i, column) in table.columns.iter().enumerate() {
        let class = if column.numeric {
            r#" class="num""#
        } else {
            ""
        };
        let title = match (i, first_title, column.short) {
            (0, Some(first), _) => first,
            (_, _, Some(short)) if !table.bands.is_empty() => short,
            _ => &column.title,
        };
        let _ = write!(out, r#"<th scope="col"{class}>{}</th>"#, esc(title));
    }
    out.push_str("</tr></thead>");
}

fn html_rows(out: &mut String, table: &Table) {
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let column = table.columns.get(i);
            let mut classes = Vec::new();
            if column.is_some_and(|c| c.numeric) {
                classes.push("num");
            } else if column.is_some_and(|c| c.nowrap) {
                classes.push("nowrap");
            }
            let content = match cell {
                Cell::Text(text) => esc(text),
                Cell::Link { label, url } => {
                    format!(r#"<a href="{}">{}</a>"#, esc(url), esc(label))
                }
                Cell::Change(text, tone) => {
                    match tone {
                        Tone::Up => classes.push("up"),
                        Tone::Down => classes.push("down"),
                        Tone::Flat => {}
                    }
                    esc(text)
                }
            };
            if classes.is_empty() {
                let _ = write!(out, "<td>{content}</td>");
            } else {
                let _ = write!(out, r#"<td class="{}">{content}</td>"#, classes.join(" "));
            }
        }
        out.push_str("</tr>");
    }
}

fn kpi(out: &mut String, label: &str, value: &str, sub: &str) {
    let _ = write!(
        out,
        r#"<div class="kpi"><span class="label">{}</span><span class="value">{}</span><span class="sub">{}</span></div>"#,
        esc(label),
        esc(value),
        esc(sub)
    );
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Renders the report as one self-contained HTML5 page: inline CSS, inline SVG charts, no
/// script, and no external resource (the only URLs are the host's ticket links in the
/// slowest-tickets table). It reads well on screen and when printed (`@media print`: no
/// backgrounds needed, rows and charts are not split across pages). Every host-supplied
/// string is HTML-escaped; every chart shows a "no data" line rather than dividing by zero.
pub fn html(report: &WeeklyReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let (_, zone_name) = zone(report);
    let t = &report.totals;
    let tenant = esc(report.tenant.as_str());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n\
         <title>Escalation report \u{00b7} {tenant} \u{00b7} {}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<main>\n",
        report.week
    );
    let _ = write!(
        out,
        r#"<header class="masthead"><p class="eyebrow">Weekly escalation report</p><h1>{tenant} <span class="week">{}</span></h1><p class="range">{} &middot; {}</p></header>"#,
        report.week,
        esc(&date_range(report)),
        esc(&zone_name)
    );

    // Key figures.
    out.push_str(r#"<section class="kpis" aria-label="Key figures">"#);
    kpi(
        &mut out,
        "Tickets created",
        &t.created.to_string(),
        &format!("{} resolved", t.resolved),
    );
    kpi(
        &mut out,
        "Escalated tickets",
        &t.escalated_tickets.to_string(),
        &plural(
            t.escalations,
            "escalation level fired",
            "escalation levels fired",
        ),
    );
    kpi(
        &mut out,
        "SLA breach rate",
        &percent(t.breach_rate, 1),
        &format!("{} of {} clocks ended", t.breaches, t.clocks_ended),
    );
    let pages: u64 = report.on_call.iter().map(|r| r.pages).sum();
    kpi(
        &mut out,
        "Time to acknowledge",
        &optional_duration(report.mean_time_to_ack),
        &if pages == 0 {
            "no pages this week".to_owned()
        } else {
            format!("mean over {}", plural(pages, "page", "pages"))
        },
    );
    let overall = &report.art.overall;
    kpi(
        &mut out,
        "Median resolution",
        &median_of(overall.all.business),
        &match overall.all.business {
            Some(s) => format!("business time \u{00b7} p90 {}", duration(s.p90)),
            None => "no tickets resolved".to_owned(),
        },
    );
    out.push_str("</section>\n");

    // Trend.
    out.push_str(r#"<section class="card" id="trend"><h2>Escalations and SLA breaches per week</h2><figure>"#);
    out.push_str(&trend_chart(&report.history));
    out.push_str("</figure></section>\n");

    // SLA targets.
    out.push_str(r#"<section class="card" id="targets"><h2>SLA targets</h2>"#);
    html_table(&mut out, &targets_table(report));
    out.push_str("</section>\n");

    // Categories beside segments, patterns and root causes.
    out.push_str(r#"<div class="grid row"><div class="stack"><section class="card" id="categories"><h2>Top categories</h2><figure>"#);
    out.push_str(&categories_chart(&report.top_categories));
    out.push_str("</figure>");
    if !report.top_categories.is_empty() {
        html_table(
            &mut out,
            &segments_table(
                &report.top_categories,
                "Category",
                "No category escalated this week or the week before.",
            ),
        );
    }
    out.push_str(r#"</section></div><div class="stack"><section class="card" id="segments"><h2>Customer segments</h2>"#);
    html_table(
        &mut out,
        &segments_table(
            &report.top_segments,
            "Customer tier",
            "No customer tier escalated this week or the week before.",
        ),
    );
    out.push_str(r#"</section><section class="card" id="patterns"><h2>Recurring patterns</h2>"#);
    html_table(&mut out, &patterns_table(report));
    out.push_str(r#"</section><section class="card" id="root-causes"><h2>Root causes of escalated tickets</h2><figure>"#);
    out.push_str(&root_causes_chart(report));
    out.push_str("</figure></section></div></div>\n");

    // On-call pages.
    out.push_str(r#"<section class="card" id="on-call"><h2>On-call pages</h2>"#);
    html_table(&mut out, &on_call_table(report));
    if let Some(mtta) = report.mean_time_to_ack {
        let _ = write!(
            out,
            r#"<p class="note">Mean time to acknowledge over all pages: <strong>{}</strong>.</p>"#,
            esc(&duration(mtta))
        );
    }
    out.push_str("</section>\n");

    // Resolution time.
    out.push_str(r#"<section class="card" id="art"><h2>Resolution time (ART)</h2><figure>"#);
    out.push_str(&art_chart(report));
    out.push_str("</figure>");
    if overall.all.count > 0 {
        html_table(&mut out, &art_overall_table(overall));
    }
    let sections: Vec<(String, Table)> = groups_by_dimension(report)
        .into_iter()
        .map(|(dimension, groups)| {
            (
                format!("By {}", dimension_title(dimension).to_lowercase()),
                art_group_table(dimension, &groups),
            )
        })
        .collect();
    if !sections.is_empty() {
        out.push_str("<h3>By group</h3>");
        html_sectioned_table(&mut out, &sections);
    }
    out.push_str("</section>\n");

    // Slowest tickets.
    out.push_str(r#"<section class="card" id="slowest"><h2>Slowest tickets</h2>"#);
    html_table(&mut out, &slowest_table(report));
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<footer>Generated {} \u{00b7} schema version {} \u{00b7} Business time counts only the \
         hours on the ticket's resolution calendar (1 d = 24 such hours).</footer>\n\
         </main>\n</body>\n</html>\n",
        esc(&timestamp(report.generated_at, report)),
        report.schema_version
    );
    out
}

// ---------------------------------------------------------------------------------------------
// SVG charts
// ---------------------------------------------------------------------------------------------

/// A coordinate or length, written with at most one decimal; a non-finite value is written
/// as `0` so that no `NaN` can reach the page.
#[derive(Clone, Copy)]
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() {
            (self.0 * 10.0).round() / 10.0 + 0.0
        } else {
            0.0
        };
        if v.fract() == 0.0 {
            write!(f, "{}", v as i64)
        } else {
            write!(f, "{v:.1}")
        }
    }
}

/// What the values of a chart are.
#[derive(Clone, Copy)]
enum Unit {
    Count,
    Seconds,
    Fraction,
}

impl Unit {
    fn label(self, value: f64) -> String {
        match self {
            Unit::Count => format!("{}", value.round() as i64),
            Unit::Seconds => duration(value.round() as i64),
            Unit::Fraction => percent(value, 1),
        }
    }

    fn tick(self, value: f64) -> String {
        match self {
            _ if value == 0.0 => "0".to_owned(),
            Unit::Fraction => percent(value, 0),
            other => other.label(value),
        }
    }

    /// Candidate tick steps, smallest first.
    fn steps(self) -> Vec<f64> {
        match self {
            Unit::Count => (0..19)
                .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
                .collect(),
            Unit::Seconds => vec![
                1.0,
                2.0,
                5.0,
                10.0,
                15.0,
                30.0,
                60.0,
                120.0,
                300.0,
                600.0,
                900.0,
                1800.0,
                3600.0,
                7200.0,
                10800.0,
                21600.0,
                43200.0,
                86400.0,
                172_800.0,
                432_000.0,
                604_800.0,
                1_209_600.0,
                2_592_000.0,
                7_776_000.0,
                31_536_000.0,
            ],
            Unit::Fraction => (-2..19)
                .flat_map(|k| [1.0, 2.0, 2.5, 5.0].map(|m| m * 10f64.powi(k)))
                .collect(),
        }
    }
}

/// An axis from 0 to `top` in ticks of `step`; `top > 0` always.
struct Scale {
    step: f64,
    top: f64,
}

impl Scale {
    const MAX_TICKS: f64 = 5.0;

    fn new(max: f64, unit: Unit) -> Scale {
        let steps = unit.steps();
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            0.0
        };
        let fallback = steps.last().copied().unwrap_or(1.0);
        let step = steps
            .iter()
            .copied()
            .find(|s| (max / s).ceil() <= Self::MAX_TICKS)
            .unwrap_or_else(|| (max / Self::MAX_TICKS / fallback).ceil() * fallback);
        let top = (max / step).ceil().max(1.0) * step;
        Scale { step, top }
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let n = (self.top / self.step).round() as u32;
        (0..=n).map(move |k| f64::from(k) * self.step)
    }

    /// `value` as a fraction of the axis, clamped to `0..=1`.
    fn at(&self, value: f64) -> f64 {
        if value.is_finite() {
            (value / self.top).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

fn svg_open(out: &mut String, id: &str, w: f64, h: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" id="{id}" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        N(w),
        N(h),
        N(w),
        N(h),
        esc(title),
        esc(desc)
    );
}

/// A chart with nothing to draw: its frame, axis label and a "no data" line.
fn no_data_chart(id: &str, w: f64, title: &str, axis_label: &str, note: &str) -> String {
    let h = 96.0;
    let mut out = String::new();
    svg_open(&mut out, id, w, h, title, note);
    let _ = write!(
        out,
        r#"<line class="axis" x1="12" y1="{y}" x2="{x2}" y2="{y}"/><text class="note" x="{cx}" y="44" text-anchor="middle">{}</text><text class="axis-label" x="{cx}" y="{ly}" text-anchor="middle">{}</text></svg>"#,
        esc(note),
        esc(axis_label),
        y = N(h - 34.0),
        x2 = N(w - 12.0),
        cx = N(w / 2.0),
        ly = N(h - 12.0),
    );
    out
}

/// Shortens a label to `max` characters, with an ellipsis.
fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('\u{2026}');
        s
    }
}

/// (a) Escalations (bars) and SLA breaches (line) per week.
fn trend_chart(history: &[WeekPoint]) -> String {
    const W: f64 = 920.0;
    const H: f64 = 280.0;
    const ID: &str = "chart-trend";
    let title = "Escalations and SLA breaches per week";
    if history.is_empty() {
        return no_data_chart(
            ID,
            W,
            title,
            "ISO week",
            "No data: the report has no history.",
        );
    }
    let (left, right, top, bottom) = (56.0, 16.0, 36.0, 58.0);
    let (pw, ph) = (W - left - right, H - top - bottom);
    let max = history
        .iter()
        .map(|p| p.escalations.max(p.breaches))
        .max()
        .unwrap_or(0);
    let scale = Scale::new(max as f64, Unit::Count);
    let y = |v: f64| top + ph - scale.at(v) * ph;
    let n = history.len() as f64;
    let band = pw / n;
    let bar = (band * 0.56).min(44.0);
    let cx = |i: usize| left + band * (i as f64 + 0.5);

    let first = history
        .first()
        .map(|p| p.week.to_string())
        .unwrap_or_default();
    let last = history
        .last()
        .map(|p| p.week.to_string())
        .unwrap_or_default();
    let mut out = String::new();
    svg_open(
        &mut out,
        ID,
        W,
        H,
        title,
        &format!(
            "Escalation levels fired (bars) and SLA breaches (line) per ISO week, {first} to {last}."
        ),
    );
    for tick in scale.ticks() {
        let _ = write!(
            out,
            r#"<line class="grid-line" x1="{l}" y1="{y}" x2="{r}" y2="{y}"/><text x="{tx}" y="{ty}" text-anchor="end">{}</text>"#,
            Unit::Count.tick(tick),
            l = N(left),
            r = N(W - right),
            y = N(y(tick)),
            tx = N(left - 8.0),
            ty = N(y(tick) + 4.0),
        );
    }
    let _ = write!(
        out,
        r#"<line class="axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>"#,
        l = N(left),
        r = N(W - right),
        b = N(top + ph)
    );
    for (i, p) in history.iter().enumerate() {
        let v = p.escalations as f64;
        let class = if i + 1 == history.len() {
            "s-accent"
        } else {
            "s-muted"
        };
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{x}" y="{y}" width="{w}" height="{h}" rx="2"><title>{}: {} escalations, {} breaches</title></rect><text class="value" x="{cx}" y="{vy}" text-anchor="middle">{}</text>"#,
            p.week,
            p.escalations,
            p.breaches,
            p.escalations,
            x = N(cx(i) - bar / 2.0),
            y = N(y(v)),
            w = N(bar),
            h = N(top + ph - y(v)),
            cx = N(cx(i)),
            vy = N(y(v) - 5.0),
        );
        let year_changes = i == 0
            || history
                .get(i - 1)
                .is_some_and(|q| q.week.year != p.week.year);
        let _ = write!(
            out,
            r#"<text x="{x}" y="{y}" text-anchor="middle">W{:02}</text>"#,
            p.week.week,
            x = N(cx(i)),
            y = N(top + ph + 16.0)
        );
        if year_changes {
            let _ = write!(
                out,
                r#"<text class="axis-label" x="{x}" y="{y}" text-anchor="middle">{}</text>"#,
                p.week.year,
                x = N(cx(i)),
                y = N(top + ph + 29.0)
            );
        }
    }
    let points: Vec<String> = history
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{},{}", N(cx(i)), N(y(p.breaches as f64))))
        .collect();
    if points.len() > 1 {
        let _ = write!(
            out,
            r#"<polyline class="line-warm" points="{}"/>"#,
            points.join(" ")
        );
    }
    for (i, p) in history.iter().enumerate() {
        let _ = write!(
            out,
            r#"<circle class="dot-warm" cx="{}" cy="{}" r="3.5"><title>{}: {} breaches</title></circle>"#,
            N(cx(i)),
            N(y(p.breaches as f64)),
            p.week,
            p.breaches
        );
    }
    if max == 0 {
        let _ = write!(
            out,
            r#"<text class="note" x="{}" y="{}" text-anchor="middle">No escalations or breaches in these weeks.</text>"#,
            N(left + pw / 2.0),
            N(top + ph / 2.0)
        );
    }
    // Axis labels and legend.
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(14 {my}) rotate(-90)" text-anchor="middle">per week</text><text class="axis-label" x="{mx}" y="{ly}" text-anchor="middle">ISO week</text>"#,
        my = N(top + ph / 2.0),
        mx = N(left + pw / 2.0),
        ly = N(H - 6.0),
    );
    legend(
        &mut out,
        left,
        20.0,
        &[
            (Mark::Swatch("s-muted"), "Escalations"),
            (Mark::Swatch("s-accent"), "This week"),
            (Mark::Line, "SLA breaches"),
        ],
    );
    out.push_str("</svg>");
    out
}

/// The mark of a legend entry.
enum Mark {
    /// A filled square of a CSS class.
    Swatch(&'static str),
    /// The breach line with its dot.
    Line,
}

/// A one-line legend from `x` along the baseline `y`. Text widths are estimated at 7 px per
/// character, generous for the system fonts at 11 px.
fn legend(out: &mut String, mut x: f64, y: f64, items: &[(Mark, &str)]) {
    for (mark, name) in items {
        let width = match mark {
            Mark::Swatch(class) => {
                let _ = write!(
                    out,
                    r#"<rect class="{class}" x="{}" y="{}" width="12" height="12" rx="2"/>"#,
                    N(x),
                    N(y - 10.0)
                );
                12.0
            }
            Mark::Line => {
                let _ = write!(
                    out,
                    r#"<line class="line-warm" x1="{}" y1="{y}" x2="{}" y2="{y}"/><circle class="dot-warm" cx="{}" cy="{y}" r="3.5"/>"#,
                    N(x),
                    N(x + 22.0),
                    N(x + 11.0),
                    y = N(y - 4.0)
                );
                22.0
            }
        };
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            N(x + width + 5.0),
            N(y),
            esc(name)
        );
        x += width + 5.0 + 7.0 * name.chars().count() as f64 + 16.0;
    }
}

/// One series of a horizontal bar chart: its legend name and CSS class.
struct Series {
    name: &'static str,
    class: &'static str,
}

/// One row (group of bars) of a horizontal bar chart.
struct BarRow {
    label: String,
    values: Vec<Option<f64>>,
    /// Appended to the first bar's value label (`36.8 % · 7 tickets`).
    note: Option<String>,
}

impl BarRow {
    /// The value label of series `s`: the figure, or a dash when absent.
    fn value_label(&self, s: usize, unit: Unit) -> String {
        let value = self
            .values
            .get(s)
            .copied()
            .flatten()
            .filter(|v| v.is_finite());
        let text = value.map_or_else(|| DASH.to_owned(), |v| unit.label(v));
        match (&self.note, s) {
            (Some(note), 0) => format!("{text} \u{00b7} {note}"),
            _ => text,
        }
    }
}

/// A horizontal bar chart: rows of one bar per series.
struct BarChart<'a> {
    id: &'a str,
    title: &'a str,
    desc: String,
    axis_label: &'a str,
    series: &'a [Series],
    rows: Vec<BarRow>,
    unit: Unit,
    empty: &'a str,
    width: f64,
}

impl BarChart<'_> {
    fn render(&self) -> String {
        if self.rows.is_empty() {
            return no_data_chart(self.id, self.width, self.title, self.axis_label, self.empty);
        }
        let w = self.width;
        let has_legend = self.series.len() > 1;
        // Room on the right for the longest value label, at about 6.5 px per character.
        let longest = (0..self.series.len())
            .flat_map(|s| self.rows.iter().map(move |r| (r, s)))
            .map(|(r, s)| r.value_label(s, self.unit).chars().count())
            .max()
            .unwrap_or(0);
        let right = (longest as f64 * 6.5 + 12.0).clamp(40.0, 200.0);
        let (left, top, bottom) = (140.0, if has_legend { 30.0 } else { 10.0 }, 44.0);
        let bar_h = if has_legend { 11.0 } else { 15.0 };
        let gap = 2.0;
        let count = self.series.len() as f64;
        let row_h = count * bar_h + (count - 1.0).max(0.0) * gap + 14.0;
        let ph = row_h * self.rows.len() as f64;
        let h = top + ph + bottom;
        let pw = w - left - right;
        let max = self
            .rows
            .iter()
            .flat_map(|r| r.values.iter().flatten().copied())
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let scale = Scale::new(max, self.unit);
        let x = |v: f64| left + scale.at(v) * pw;

        let mut out = String::new();
        svg_open(&mut out, self.id, w, h, self.title, &self.desc);
        for tick in scale.ticks() {
            let _ = write!(
                out,
                r#"<line class="grid-line" x1="{x}" y1="{t}" x2="{x}" y2="{b}"/><text x="{x}" y="{ty}" text-anchor="middle">{}</text>"#,
                esc(&self.unit.tick(tick)),
                x = N(x(tick)),
                t = N(top),
                b = N(top + ph),
                ty = N(top + ph + 15.0),
            );
        }
        let _ = write!(
            out,
            r#"<line class="axis" x1="{l}" y1="{t}" x2="{l}" y2="{b}"/>"#,
            l = N(left),
            t = N(top),
            b = N(top + ph)
        );
        for (r, row) in self.rows.iter().enumerate() {
            let row_top = top + r as f64 * row_h + 7.0;
            let bars_h = row_h - 14.0;
            let _ = write!(
                out,
                r#"<text class="value" x="{x}" y="{y}" text-anchor="end">{}<title>{}</title></text>"#,
                esc(&clip(&row.label, 20)),
                esc(&row.label),
                x = N(left - 8.0),
                y = N(row_top + bars_h / 2.0 + 4.0),
            );
            for (s, series) in self.series.iter().enumerate() {
                let by = row_top + s as f64 * (bar_h + gap);
                let value = row
                    .values
                    .get(s)
                    .copied()
                    .flatten()
                    .filter(|v| v.is_finite());
                let text = row.value_label(s, self.unit);
                let end = value.map_or(left, x);
                let _ = write!(
                    out,
                    r#"<rect class="{}" x="{l}" y="{y}" width="{w}" height="{h}" rx="2"><title>{}, {}: {}</title></rect><text x="{tx}" y="{ty}">{}</text>"#,
                    series.class,
                    esc(&row.label),
                    esc(series.name),
                    esc(&text),
                    esc(&text),
                    l = N(left),
                    y = N(by),
                    w = N(end - left),
                    h = N(bar_h),
                    tx = N(end + 5.0),
                    ty = N(by + bar_h - 2.0),
                );
            }
        }
        if max <= 0.0 {
            let _ = write!(
                out,
                r#"<text class="note" x="{}" y="{}" text-anchor="middle">All values are zero.</text>"#,
                N(left + pw / 2.0),
                N(top + 12.0)
            );
        }
        let _ = write!(
            out,
            r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            N(left + pw / 2.0),
            N(h - 6.0),
            esc(self.axis_label)
        );
        if has_legend {
            let items: Vec<(Mark, &str)> = self
                .series
                .iter()
                .map(|s| (Mark::Swatch(s.class), s.name))
                .collect();
            legend(&mut out, left, 18.0, &items);
        }
        out.push_str("</svg>");
        out
    }
}

/// (b) Top categories, this week against the week before.
fn categories_chart(rows: &[SegmentRow]) -> String {
    BarChart {
        id: "chart-categories",
        title: "Escalations by category, this week and the week before",
        desc: rows
            .iter()
            .map(|r| {
                format!(
                    "{}: {} (previous week {})",
                    r.key, r.escalations, r.previous
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        axis_label: "escalation levels fired",
        series: &[
            Series {
                name: "This week",
                class: "s-accent",
            },
            Series {
                name: "Previous week",
                class: "s-soft",
            },
        ],
        rows: rows
            .iter()
            .map(|r| BarRow {
                label: r.key.clone(),
                values: vec![Some(r.escalations as f64), Some(r.previous as f64)],
                note: None,
            })
            .collect(),
        unit: Unit::Count,
        empty: "No data: no category escalated this week or the week before.",
        width: 440.0,
    }
    .render()
}

/// (c) Median business resolution time, escalated against not escalated: overall, then per
/// priority.
fn art_chart(report: &WeeklyReport) -> String {
    let median = |s: &ArtStats| s.business.map(|d| d.median as f64);
    let overall = &report.art.overall;
    let mut rows = Vec::new();
    if overall.all.count > 0 {
        rows.push(BarRow {
            label: "All tickets".to_owned(),
            values: vec![median(&overall.escalated), median(&overall.not_escalated)],
            note: None,
        });
    }
    rows.extend(
        report
            .art
            .groups
            .iter()
            .filter(|g| g.dimension == Dimension::Priority)
            .map(|g| BarRow {
                label: g.key.clone(),
                values: vec![median(&g.art.escalated), median(&g.art.not_escalated)],
                note: None,
            }),
    );
    BarChart {
        id: "chart-art",
        title: "Median resolution time in business time, escalated and not escalated",
        desc: "Median business resolution time of escalated and of not escalated tickets, over \
               all tickets resolved this week and per priority."
            .to_owned(),
        axis_label: "median resolution time (business time)",
        series: &[
            Series {
                name: "Escalated",
                class: "s-warm",
            },
            Series {
                name: "Not escalated",
                class: "s-accent",
            },
        ],
        rows,
        unit: Unit::Seconds,
        empty: "No data: no tickets were resolved this week.",
        width: 920.0,
    }
    .render()
}

/// (d) Share of each root cause among the escalated tickets resolved.
fn root_causes_chart(report: &WeeklyReport) -> String {
    BarChart {
        id: "chart-root-causes",
        title: "Root causes of escalated tickets resolved this week",
        desc: report
            .root_causes
            .iter()
            .map(|r| format!("{}: {} ({})", r.cause, r.count, percent(r.share, 1)))
            .collect::<Vec<_>>()
            .join("; "),
        axis_label: "share of escalated tickets resolved",
        series: &[Series {
            name: "Share",
            class: "s-accent",
        }],
        rows: report
            .root_causes
            .iter()
            .map(|r| BarRow {
                label: r.cause.clone(),
                values: vec![Some(r.share)],
                note: Some(plural(r.count, "ticket", "tickets")),
            })
            .collect(),
        unit: Unit::Fraction,
        empty: "No data: no escalated ticket was resolved this week.",
        width: 440.0,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{TenantId, TicketId};
    use crate::report::{
        ArtReport, IsoWeek, OnCallRow, Pattern, RootCauseRow, SlowTicket, TargetRow, Totals,
    };

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
    }

    fn stats(mean: i64, median: i64, p90: i64) -> Option<DurationStats> {
        Some(DurationStats { mean, median, p90 })
    }

    fn empty_report() -> WeeklyReport {
        WeeklyReport {
            schema_version: crate::report::REPORT_SCHEMA_VERSION,
            tenant: TenantId::new("acme"),
            week: IsoWeek {
                year: 2026,
                week: 48,
            },
            timezone: "Europe/Berlin".to_owned(),
            from: at(2026, 11, 22, 23),
            to: at(2026, 11, 29, 23),
            generated_at: at(2026, 11, 30, 6),
            totals: Totals::default(),
            targets: Vec::new(),
            top_categories: Vec::new(),
            top_segments: Vec::new(),
            patterns: Vec::new(),
            on_call: Vec::new(),
            mean_time_to_ack: None,
            root_causes: Vec::new(),
            art: ArtReport {
                from: at(2026, 11, 22, 23),
                to: at(2026, 11, 29, 23),
                ..ArtReport::default()
            },
            slowest: Vec::new(),
            history: Vec::new(),
        }
    }

    /// A small report whose figures are easy to check by hand.
    fn small_report() -> WeeklyReport {
        let mut r = empty_report();
        r.totals = Totals {
            created: 120,
            resolved: 98,
            escalated_tickets: 14,
            escalations: 21,
            breaches: 5,
            clocks_ended: 80,
            breach_rate: 5.0 / 80.0,
        };
        r.targets = vec![TargetRow {
            target: "first_response".to_owned(),
            clocks_ended: 40,
            warnings: 6,
            breaches: 3,
            escalations: 9,
            breach_rate: 3.0 / 40.0,
        }];
        r.top_categories = vec![
            SegmentRow {
                key: "billing".into(),
                escalations: 10,
                previous: 8,
                change: Some(0.25),
            },
            SegmentRow {
                key: "login".into(),
                escalations: 9,
                previous: 10,
                change: Some(-0.1),
            },
            SegmentRow {
                key: "sso".into(),
                escalations: 3,
                previous: 0,
                change: None,
            },
        ];
        r.patterns = vec![Pattern {
            category: "billing".into(),
            kind: PatternKind::Growing { weeks: 3 },
            series: vec![2, 5, 8, 10],
        }];
        r.on_call = vec![OnCallRow {
            engineer: "alice_ops".into(),
            pages: 3,
            repeats: 1,
            acknowledged: 3,
            mean_time_to_ack: Some(250),
        }];
        r.mean_time_to_ack = Some(250);
        r.root_causes = vec![RootCauseRow {
            cause: "config".into(),
            count: 2,
            share: 0.4,
        }];
        r.art.overall = ArtSplit {
            all: ArtStats {
                count: 98,
                business: stats(9000, 7200, 30000),
                wall: stats(1, 2, 3),
            },
            escalated: ArtStats {
                count: 14,
                business: stats(40000, 36000, 90000),
                wall: None,
            },
            not_escalated: ArtStats {
                count: 84,
                business: stats(5000, 3600, 9000),
                wall: None,
            },
        };
        r.slowest = vec![SlowTicket {
            id: TicketId(123),
            subject: "<script>alert(1)</script> | *bold* [x]".into(),
            category: "billing".into(),
            priority: "P1".into(),
            business_seconds: 12_000,
            wall_seconds: 187_200,
            escalated: true,
            url: Some("https://support.example.com/t/123?a=1&b=2".into()),
        }];
        r.history = vec![
            WeekPoint {
                week: IsoWeek {
                    year: 2026,
                    week: 47,
                },
                escalations: 17,
                breaches: 4,
            },
            WeekPoint {
                week: IsoWeek {
                    year: 2026,
                    week: 48,
                },
                escalations: 21,
                breaches: 5,
            },
        ];
        r
    }

    #[test]
    fn durations_are_compact_and_rounded() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(250), "4 m 10 s");
        assert_eq!(duration(600), "10 m");
        assert_eq!(duration(12_000), "3 h 20 m");
        assert_eq!(duration(3 * 3600 + 19 * 60 + 45), "3 h 20 m");
        assert_eq!(duration(187_200), "2 d 4 h");
        assert_eq!(duration(86_399), "1 d");
        assert_eq!(duration(-90), "\u{2212}1 m 30 s");
    }

    #[test]
    fn percentages_and_changes() {
        assert_eq!(percent(0.0625, 1), "6.3 %");
        assert_eq!(percent(0.4, 1), "40.0 %");
        assert_eq!(percent(-0.0001, 1), "0.0 %");
        assert_eq!(percent(f64::NAN, 1), DASH);
        let row = |escalations, previous, change| SegmentRow {
            key: String::new(),
            escalations,
            previous,
            change,
        };
        assert_eq!(
            change(&row(10, 8, Some(0.25))),
            ("+25 %".to_owned(), Tone::Up)
        );
        assert_eq!(
            change(&row(9, 10, Some(-0.1))),
            ("\u{2212}10 %".to_owned(), Tone::Down)
        );
        assert_eq!(change(&row(3, 0, None)).0, "new");
        assert_eq!(change(&row(0, 0, None)).0, DASH);
    }

    #[test]
    fn markdown_has_the_expected_figures() {
        let md = markdown(&small_report());
        assert!(
            md.starts_with("# Weekly escalation report \u{2014} acme, 2026-W48\n"),
            "{md}"
        );
        assert!(
            md.contains("Mon 23 Nov \u{2013} Sun 29 Nov 2026 (Europe/Berlin)"),
            "{md}"
        );
        assert!(md.contains("Generated 30 Nov 2026 07:00 CET."), "{md}");
        assert!(md.contains("breach rate **6.3 %**"), "{md}");
        assert!(
            md.contains("| First response | 40 | 6 | 3 | 7.5 % | 9 |"),
            "{md}"
        );
        assert!(md.contains("| billing | 10 | 8 | +25 % |"), "{md}");
        assert!(md.contains("| login | 9 | 10 | \u{2212}10 % |"), "{md}");
        assert!(md.contains("| sso | 3 | 0 | new |"), "{md}");
        assert!(
            md.contains(
                "| billing | growing for 3 weeks in a row | 2 \u{2192} 5 \u{2192} 8 \u{2192} 10 |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| alice\\_ops | 3 | 1 | 3 | 4 m 10 s |"),
            "{md}"
        );
        assert!(md.contains("| config | 2 | 40.0 % |"), "{md}");
        assert!(
            md.contains(
                "| Escalated | 14 | 11 h 7 m | 10 h | 1 d 1 h | \u{2013} | \u{2013} | \u{2013} |"
            ),
            "{md}"
        );
        assert!(md.contains("| 2026-W48 | 21 | 5 |"), "{md}");
        assert!(!md.contains("No pages this week."));
        assert!(
            md.contains("No customer tier escalated this week or the week before."),
            "{md}"
        );
    }

    #[test]
    fn markdown_escapes_host_strings() {
        let md = markdown(&small_report());
        let row = md.lines().find(|l| l.starts_with("| [#123]")).unwrap();
        assert_eq!(
            row,
            "| [#123](https://support.example.com/t/123?a=1&b=2) | \\<script\\>alert(1)\\</script\\> \\| \\*bold\\* \\[x\\] | billing | P1 | 3 h 20 m | 2 d 4 h | yes |"
        );
        // The row still has exactly as many cells as the header.
        assert_eq!(row.matches(" | ").count(), 6);
        assert!(!md.contains("<script>"));
    }

    #[test]
    fn markdown_names_empty_sections_in_one_line() {
        let md = markdown(&empty_report());
        for line in [
            "No pages this week.",
            "No SLA clock ended this week.",
            "No recurring patterns this week.",
            "No escalated ticket was resolved this week.",
            "No history.",
        ] {
            assert!(md.contains(&format!("{line}\n")), "{line} missing in\n{md}");
        }
        assert!(
            !md.contains("| --- |"),
            "an empty report has no table:\n{md}"
        );
    }

    #[test]
    fn html_escapes_host_strings_and_has_no_script() {
        let html = html(&small_report());
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; | *bold* [x]"));
        assert!(!html.contains("<script"));
        assert!(
            html.contains(r#"<a href="https://support.example.com/t/123?a=1&amp;b=2">#123</a>"#)
        );
        let without_ticket_link = html.replace(
            r#"href="https://support.example.com/t/123?a=1&amp;b=2""#,
            "",
        );
        assert!(
            !without_ticket_link.contains("http:"),
            "an external URL is left"
        );
        assert!(
            !without_ticket_link.contains("https:"),
            "an external URL is left"
        );
        assert!(!html.contains("url("), "no CSS resource may be loaded");
    }

    #[test]
    fn html_rejects_script_urls_and_escapes_the_tenant() {
        let mut report = small_report();
        report.tenant = TenantId::new("O'Brien & <Co>");
        if let Some(t) = report.slowest.first_mut() {
            t.url = Some("javascript:alert(1)".into());
        }
        let html = html(&report);
        assert!(!html.contains("javascript:"));
        assert!(html.contains("<title>Escalation report \u{00b7} O&#39;Brien &amp; &lt;Co&gt; \u{00b7} 2026-W48</title>"));
        let md = markdown(&report);
        assert!(md.contains("| #123 |"), "no link without a safe URL:\n{md}");
    }

    #[test]
    fn html_has_the_expected_figures_and_charts() {
        let html = html(&small_report());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<meta charset="utf-8">"#));
        assert!(html.contains("@media print"));
        assert!(html.contains(r#"<span class="value">6.3 %</span>"#));
        assert!(html.contains(r#"<td class="num up">+25 %</td>"#));
        assert!(html.contains("<td class=\"num down\">\u{2212}10 %</td>"));
        assert_eq!(html.matches("<svg ").count(), 4);
        assert_eq!(html.matches("<title id=").count(), 4);
        assert!(html.contains(r#"viewBox="0 0 920 280""#));
        // History max 21 → ticks of 5 up to 25; the 21 bar is 21/25 of the plot height.
        assert!(html.contains(">25</text>"));
    }

    #[test]
    fn empty_and_zero_reports_render_without_nan() {
        let mut zero = small_report();
        zero.history.iter_mut().for_each(|p| {
            p.escalations = 0;
            p.breaches = 0;
        });
        zero.top_categories.iter_mut().for_each(|r| {
            r.escalations = 0;
            r.previous = 0;
            r.change = None;
        });
        zero.root_causes.iter_mut().for_each(|r| r.share = f64::NAN);
        zero.totals.breach_rate = f64::INFINITY;
        for report in [empty_report(), zero] {
            let html = html(&report);
            for bad in ["NaN", "inf", "Infinity"] {
                assert!(!html.contains(bad), "{bad} in\n{html}");
            }
            assert_eq!(html.matches("<svg ").count(), 4);
            let md = markdown(&report);
            assert!(!md.contains("NaN") && !md.contains("inf"));
        }
        let html = html(&empty_report());
        assert!(html.contains("No data: the report has no history."));
        assert!(html.contains("No pages this week."));
    }

    #[test]
    fn scales_are_nice() {
        let s = Scale::new(21.0, Unit::Count);
        assert_eq!((s.step, s.top), (5.0, 25.0));
        let s = Scale::new(0.0, Unit::Count);
        assert_eq!((s.step, s.top), (1.0, 1.0));
        let s = Scale::new(0.4, Unit::Fraction);
        assert_eq!((s.step, s.top), (0.1, 0.4));
        let s = Scale::new(36_000.0, Unit::Seconds);
        assert_eq!((s.step, s.top), (7_200.0, 36_000.0));
        let s = Scale::new(f64::NAN, Unit::Seconds);
        assert!(s.top > 0.0);
    }

    #[test]
    fn json_round_trips() {
        let report = small_report();
        let back: WeeklyReport = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(back, report);
        assert_eq!(report.to_markdown(), markdown(&report));
        assert_eq!(report.to_html(), html(&report));
    }
}
