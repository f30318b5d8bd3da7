//! Computing the resolution metrics and the weekly report from a store.
//!
//! Everything is read through the [`TicketStore`] port: the log of the weeks involved
//! ([`TicketStore::log_range`]), the tickets resolved in the week
//! ([`TicketStore::resolved_between`]) and the tickets the week's escalations touched
//! ([`TicketStore::get_many`]). Nothing is cached: the same store contents and options give
//! the same report.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::model::*;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::log::LogEvent;
use crate::model::{TenantId, Ticket, TicketId};
use crate::ports::EventKinds;
use crate::sla::Target;

/// How the weekly report is cut and what it flags.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportOptions {
    /// The zone whose Monday 00:00 starts the week (UTC by default).
    pub timezone: Tz,
    /// How many categories `top_categories` lists.
    pub top: usize,
    /// How many tickets `slowest` lists.
    pub slowest: usize,
    /// Weeks in `history` and in each pattern's series, this week included (at least 2).
    pub history_weeks: u32,
    /// A category is flagged as growing when its escalations grew week over week this many
    /// weeks in a row, ending this week.
    pub growth_weeks: u32,
    /// A category is flagged as jumping when its escalations grew by more than this fraction
    /// over the week before (`0.5` = +50 %).
    pub jump: f64,
    /// The host's link to a ticket: `{tenant}` and `{id}` are replaced (the tenant
    /// percent-encoded). No links when absent.
    pub ticket_url: Option<String>,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            timezone: Tz::UTC,
            top: 10,
            slowest: 10,
            history_weeks: 8,
            growth_weeks: 3,
            jump: 0.5,
            ticket_url: None,
        }
    }
}

impl IsoWeek {
    /// The ISO week `instant` falls in, in `tz`.
    pub fn of(instant: DateTime<Utc>, tz: Tz) -> IsoWeek {
        let w = instant.with_timezone(&tz).date_naive().iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    /// Its Monday.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `week` when the week does not exist in that year.
    pub fn monday(self) -> Result<NaiveDate> {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .ok_or_else(|| Error::invalid("week", self, "no such ISO week"))
    }

    /// The week before.
    ///
    /// # Errors
    /// As [`IsoWeek::monday`].
    pub fn previous(self) -> Result<IsoWeek> {
        let monday = self.monday()? - TimeDelta::days(7);
        let w = monday.iso_week();
        Ok(IsoWeek {
            year: w.year(),
            week: w.week(),
        })
    }

    /// `[Monday 00:00, next Monday 00:00)` in `tz`, as UTC instants. A Monday whose
    /// midnight does not exist in the zone (a DST gap) starts at the first instant after.
    ///
    /// # Errors
    /// As [`IsoWeek::monday`].
    pub fn bounds(self, tz: Tz) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        let monday = self.monday()?;
        Ok((
            local_midnight(monday, tz)?,
            local_midnight(monday + TimeDelta::days(7), tz)?,
        ))
    }
}

fn local_midnight(day: NaiveDate, tz: Tz) -> Result<DateTime<Utc>> {
    // A gap at midnight is at most a few hours long; the first hour that exists starts it.
    for hour in 0..4 {
        let local = day
            .and_hms_opt(hour, 0, 0)
            .ok_or_else(|| Error::invalid("week", day, "out of range"))?;
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return Ok(t.with_timezone(&Utc));
        }
    }
    Err(Error::invalid("week", day, "no midnight in the zone"))
}

/// Mean, median and p90 of `values` (seconds), as [`DurationStats`] documents them.
pub fn duration_stats(values: &[i64]) -> Option<DurationStats> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    let sum: i128 = v.iter().map(|x| i128::from(*x)).sum();
    let mean = (sum as f64 / n as f64).round() as i64;
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        let s = i128::from(v[n / 2 - 1]) + i128::from(v[n / 2]);
        i64::try_from(s.div_euclid(2)).unwrap_or(i64::MAX)
    };
    // Nearest rank: the smallest value with at least 90 % of the values at or below it.
    let rank = (n * 9).div_ceil(10).max(1);
    Some(DurationStats {
        mean,
        median,
        p90: v[rank - 1],
    })
}

/// One resolved ticket's resolution time.
struct Resolved<'t> {
    ticket: &'t Ticket,
    business: i64,
    wall: i64,
    escalated: bool,
}

fn art_stats(items: &[&Resolved<'_>]) -> ArtStats {
    let business: Vec<i64> = items.iter().map(|r| r.business).collect();
    let wall: Vec<i64> = items.iter().map(|r| r.wall).collect();
    ArtStats {
        count: items.len() as u64,
        business: duration_stats(&business),
        wall: duration_stats(&wall),
    }
}

fn art_split(items: &[&Resolved<'_>]) -> ArtSplit {
    let (esc, not): (Vec<&Resolved<'_>>, Vec<&Resolved<'_>>) =
        items.iter().partition(|r| r.escalated);
    ArtSplit {
        all: art_stats(items),
        escalated: art_stats(&esc),
        not_escalated: art_stats(&not),
    }
}

fn dimension_key(t: &Ticket, d: Dimension) -> String {
    match d {
        Dimension::Category => t.category.to_string(),
        Dimension::CustomerTier => t.score.tier.to_string(),
        Dimension::Priority => t.priority.to_string(),
        Dimension::Team => t
            .team
            .as_ref()
            .map_or_else(|| "unassigned".to_owned(), ToString::to_string),
        Dimension::Channel => t.channel.to_string(),
    }
}

/// ART of already-timed resolved tickets: overall and per dimension value.
fn art_report(items: &[Resolved<'_>], from: DateTime<Utc>, to: DateTime<Utc>) -> ArtReport {
    let all: Vec<&Resolved<'_>> = items.iter().collect();
    let mut groups = Vec::new();
    for d in Dimension::ALL {
        let mut by: BTreeMap<String, Vec<&Resolved<'_>>> = BTreeMap::new();
        for r in items {
            by.entry(dimension_key(r.ticket, d)).or_default().push(r);
        }
        for (key, members) in by {
            groups.push(ArtGroup {
                dimension: d,
                key,
                art: art_split(&members),
            });
        }
    }
    ArtReport {
        from,
        to,
        overall: art_split(&all),
        groups,
    }
}

impl Engine {
    /// Resolution time of one resolved ticket: business seconds on its resolution clock's
    /// calendar (the wall clock when it has none), and wall-clock seconds, both from creation
    /// to its last resolution. Pauses are not subtracted: this is how long the customer
    /// waited, in the desk's hours.
    fn resolution_time(&self, t: &Ticket) -> Option<(i64, i64)> {
        let resolved = t.resolved_at?;
        let wall = (resolved - t.created_at).num_seconds().max(0);
        let calendar = t
            .sla
            .iter()
            .rev()
            .find(|c| c.target == Target::Resolution)
            .and_then(|c| self.calendar(&c.calendar));
        let business = match calendar {
            Some(cal) if resolved > t.created_at => {
                cal.elapsed(t.created_at, resolved).num_seconds()
            }
            _ => wall,
        };
        Some((business, wall))
    }

    fn resolved_items<'t>(&self, tickets: &'t [Ticket]) -> Vec<Resolved<'t>> {
        tickets
            .iter()
            .filter_map(|t| {
                let (business, wall) = self.resolution_time(t)?;
                Some(Resolved {
                    ticket: t,
                    business,
                    wall,
                    escalated: !t.fired.is_empty(),
                })
            })
            .collect()
    }

    /// Average resolution time (mean, median and p90, in business and wall-clock time) of
    /// the tickets of `tenant` resolved in `[from, to)`: overall, escalated and not, and by
    /// category, customer tier, priority, team and channel.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `from > to`; [`Error::Storage`] when the store fails.
    pub async fn resolution_metrics(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ArtReport> {
        if from > to {
            return Err(Error::invalid("from", from, "after `to`"));
        }
        let tickets = self.store().resolved_between(tenant, from, to).await?;
        Ok(art_report(&self.resolved_items(&tickets), from, to))
    }

    /// The weekly escalation report of `tenant` for ISO week `week` (see [`WeeklyReport`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a week that does not exist or options out of range;
    /// [`Error::Storage`] when the store fails.
    pub async fn weekly_report(
        &self,
        tenant: &TenantId,
        week: IsoWeek,
        options: &ReportOptions,
    ) -> Result<WeeklyReport> {
        if options.history_weeks < 2 {
            return Err(Error::invalid(
                "history_weeks",
                options.history_weeks,
                "at least 2 (this week and the one before)",
            ));
        }
        if !options.jump.is_finite() || options.jump < 0.0 {
            return Err(Error::invalid(
                "jump",
                options.jump,
                "a fraction of 0 or more",
            ));
        }
        let tz = options.timezone;
        let (from, to) = week.bounds(tz)?;
        // Oldest first, ending with this week.
        let mut weeks = vec![week];
        for _ in 1..options.history_weeks {
            let oldest = weeks[0];
            weeks.insert(0, oldest.previous()?);
        }
        // Each week's start, oldest first: the log is bucketed by them.
        let mut starts = Vec::with_capacity(weeks.len());
        for w in &weeks {
            starts.push(w.bounds(tz)?.0);
        }
        let history_from = starts[0];
        let store = self.store();
        // Earlier weeks: only escalations and breaches count; this week: more kinds.
        let mut log = store
            .log_range_of(
                tenant,
                history_from,
                from,
                EventKinds::of(&["level_fired", "sla_breached"]),
            )
            .await?;
        log.extend(
            store
                .log_range_of(
                    tenant,
                    from,
                    to,
                    EventKinds::of(&[
                        "created",
                        "level_fired",
                        "sla_breached",
                        "sla_warning",
                        "sla_stopped",
                        "page_acknowledged",
                        "page_repeated",
                    ]),
                )
                .await?,
        );

        // Bucket the log by week (index into `weeks`).
        let week_of = |at: DateTime<Utc>| starts.partition_point(|s| *s <= at).saturating_sub(1);
        let this = weeks.len() - 1;

        // The tickets to read: those whose escalations lack their category and tier in the
        // log (entries written before the log carried them), and those with page activity
        // this week (their page states).
        let unfaceted: BTreeSet<TicketId> = log
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e.event,
                    LogEvent::LevelFired { category: None, .. }
                        | LogEvent::LevelFired {
                            customer_tier: None,
                            ..
                        }
                )
            })
            .map(|(id, _)| *id)
            .collect();
        let paged_ids: BTreeSet<TicketId> = log
            .iter()
            .filter(|(_, e)| e.at >= from)
            .filter(|(_, e)| {
                matches!(
                    e.event,
                    LogEvent::LevelFired { .. }
                        | LogEvent::PageAcknowledged { .. }
                        | LogEvent::PageRepeated { .. }
                )
            })
            .map(|(id, _)| *id)
            .collect();
        let wanted: Vec<TicketId> = unfaceted.union(&paged_ids).copied().collect();
        let touched: HashMap<TicketId, Ticket> = store
            .get_many(tenant, &wanted)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();

        let mut history: Vec<WeekPoint> = weeks
            .iter()
            .map(|w| WeekPoint {
                week: *w,
                escalations: 0,
                breaches: 0,
            })
            .collect();
        // Escalations per category and per customer tier, per week.
        let mut by_category: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut by_tier: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut totals = Totals::default();
        let mut targets: BTreeMap<Target, TargetRow> = Target::ALL
            .iter()
            .map(|t| {
                (
                    *t,
                    TargetRow {
                        target: t.as_str().to_owned(),
                        clocks_ended: 0,
                        warnings: 0,
                        breaches: 0,
                        escalations: 0,
                        breach_rate: 0.0,
                    },
                )
            })
            .collect();
        let mut missed: BTreeMap<Target, u64> = BTreeMap::new();
        let mut escalated_this_week: BTreeSet<TicketId> = BTreeSet::new();
        for (id, entry) in &log {
            let w = week_of(entry.at);
            match &entry.event {
                LogEvent::LevelFired {
                    target,
                    category,
                    customer_tier,
                    ..
                } => {
                    history[w].escalations += 1;
                    // As the entry recorded them when it fired; else as the ticket is now.
                    let ticket = touched.get(id);
                    let category = category.or(ticket.map(|t| t.category));
                    let tier = customer_tier.or(ticket.map(|t| t.score.tier));
                    if let Some(c) = category {
                        by_category
                            .entry(c.to_string())
                            .or_insert_with(|| vec![0; weeks.len()])[w] += 1;
                    }
                    if let Some(tier) = tier {
                        by_tier
                            .entry(tier.to_string())
                            .or_insert_with(|| vec![0; weeks.len()])[w] += 1;
                    }
                    if w == this {
                        totals.escalations += 1;
                        escalated_this_week.insert(*id);
                        if let Some(row) = target.and_then(|t| targets.get_mut(&t)) {
                            row.escalations += 1;
                        }
                    }
                }
                LogEvent::SlaBreached { target, .. } => {
                    history[w].breaches += 1;
                    if w == this {
                        totals.breaches += 1;
                        if let Some(row) = targets.get_mut(target) {
                            row.breaches += 1;
                        }
                    }
                }
                _ if w != this => {}
                LogEvent::Created { .. } => totals.created += 1,
                LogEvent::SlaWarning { target, .. } => {
                    if let Some(row) = targets.get_mut(target) {
                        row.warnings += 1;
                    }
                }
                LogEvent::SlaStopped { target, met, .. } => {
                    totals.clocks_ended += 1;
                    if let Some(row) = targets.get_mut(target) {
                        row.clocks_ended += 1;
                    }
                    if !met {
                        *missed.entry(*target).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        totals.escalated_tickets = escalated_this_week.len() as u64;
        let all_missed: u64 = missed.values().sum();
        totals.breach_rate = rate(all_missed, totals.clocks_ended);
        for (target, row) in &mut targets {
            row.breach_rate = rate(missed.get(target).copied().unwrap_or(0), row.clocks_ended);
        }

        // Resolved this week: ART, root causes, slowest.
        let resolved = store.resolved_between(tenant, from, to).await?;
        totals.resolved = resolved.len() as u64;
        let items = self.resolved_items(&resolved);
        let art = art_report(&items, from, to);
        let mut causes: BTreeMap<String, u64> = BTreeMap::new();
        for r in items.iter().filter(|r| r.escalated) {
            let cause = r
                .ticket
                .resolution
                .as_ref()
                .and_then(|res| res.root_cause.as_deref())
                .unwrap_or("unspecified");
            *causes.entry(cause.to_owned()).or_default() += 1;
        }
        let escalated_resolved: u64 = causes.values().sum();
        let mut root_causes: Vec<RootCauseRow> = causes
            .into_iter()
            .map(|(cause, count)| RootCauseRow {
                cause,
                count,
                share: rate(count, escalated_resolved),
            })
            .collect();
        root_causes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.cause.cmp(&b.cause)));
        let mut slow: Vec<&Resolved<'_>> = items.iter().collect();
        slow.sort_by(|a, b| {
            b.business
                .cmp(&a.business)
                .then_with(|| b.wall.cmp(&a.wall))
                .then_with(|| a.ticket.id.cmp(&b.ticket.id))
        });
        let slowest = slow
            .into_iter()
            .take(options.slowest)
            .map(|r| SlowTicket {
                id: r.ticket.id,
                subject: r.ticket.subject.to_string(),
                category: r.ticket.category.to_string(),
                priority: r.ticket.priority.to_string(),
                business_seconds: r.business,
                wall_seconds: r.wall,
                escalated: r.escalated,
                url: options
                    .ticket_url
                    .as_deref()
                    .map(|template| ticket_link(template, tenant, r.ticket.id)),
            })
            .collect();

        // Pages triggered this week, per engineer.
        let mut on_call: BTreeMap<String, (OnCallRow, Vec<i64>)> = BTreeMap::new();
        let mut all_acks = Vec::new();
        for id in &paged_ids {
            let Some(t) = touched.get(id) else { continue };
            for p in t
                .pages
                .iter()
                .filter(|p| p.triggered_at >= from && p.triggered_at < to)
            {
                let engineer = p
                    .acknowledged
                    .as_ref()
                    .map_or_else(|| "(unacknowledged)".to_owned(), |(_, by)| by.to_string());
                let (row, acks) = on_call.entry(engineer.clone()).or_insert_with(|| {
                    (
                        OnCallRow {
                            engineer,
                            pages: 0,
                            repeats: 0,
                            acknowledged: 0,
                            mean_time_to_ack: None,
                        },
                        Vec::new(),
                    )
                });
                row.pages += 1;
                row.repeats += u64::from(p.sent.saturating_sub(1));
                if let Some((at, _)) = &p.acknowledged {
                    row.acknowledged += 1;
                    let secs = (*at - p.triggered_at).num_seconds().max(0);
                    acks.push(secs);
                    all_acks.push(secs);
                }
            }
        }
        let mut on_call: Vec<OnCallRow> = on_call
            .into_values()
            .map(|(mut row, acks)| {
                row.mean_time_to_ack = duration_stats(&acks).map(|s| s.mean);
                row
            })
            .collect();
        on_call.sort_by(|a, b| {
            b.pages
                .cmp(&a.pages)
                .then_with(|| a.engineer.cmp(&b.engineer))
        });

        let segment_rows = |map: &BTreeMap<String, Vec<u64>>| -> Vec<SegmentRow> {
            let mut rows: Vec<SegmentRow> = map
                .iter()
                .filter(|(_, s)| s[this] > 0 || s[this - 1] > 0)
                .map(|(key, s)| SegmentRow {
                    key: key.clone(),
                    escalations: s[this],
                    previous: s[this - 1],
                    change: change(s[this], s[this - 1]),
                })
                .collect();
            rows.sort_by(|a, b| {
                b.escalations
                    .cmp(&a.escalations)
                    .then_with(|| a.key.cmp(&b.key))
            });
            rows
        };
        let mut top_categories = segment_rows(&by_category);
        top_categories.retain(|r| r.escalations > 0);
        top_categories.truncate(options.top);
        let top_segments = segment_rows(&by_tier);

        let mut patterns = Vec::new();
        for (category, series) in &by_category {
            let mut growing = 0u32;
            for w in (1..=this).rev() {
                if series[w] > series[w - 1] {
                    growing += 1;
                } else {
                    break;
                }
            }
            let kind = if options.growth_weeks > 0 && growing >= options.growth_weeks {
                Some(PatternKind::Growing { weeks: growing })
            } else {
                change(series[this], series[this - 1])
                    .filter(|c| *c > options.jump)
                    .map(|change| PatternKind::Jump { change })
            };
            if let Some(kind) = kind {
                patterns.push(Pattern {
                    category: category.clone(),
                    kind,
                    series: series.clone(),
                });
            }
        }

        Ok(WeeklyReport {
            schema_version: REPORT_SCHEMA_VERSION,
            tenant: tenant.clone(),
            week,
            timezone: tz.name().to_owned(),
            from,
            to,
            generated_at: self.now(),
            totals,
            targets: targets.into_values().collect(),
            top_categories,
            top_segments,
            patterns,
            on_call,
            mean_time_to_ack: duration_stats(&all_acks).map(|s| s.mean),
            root_causes,
            art,
            slowest,
            history,
        })
    }
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn change(now: u64, before: u64) -> Option<f64> {
    (before > 0).then(|| (now as f64 - before as f64) / before as f64)
}

/// The host's ticket link: `{tenant}` (percent-encoded) and `{id}` replaced.
fn ticket_link(template: &str, tenant: &TenantId, id: TicketId) -> String {
    let mut encoded = String::new();
    for b in tenant.as_str().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    template
        .replace("{tenant}", &encoded)
        .replace("{id}", &id.to_string())
}
