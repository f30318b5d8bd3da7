//! A realistic, hand-made weekly report shared by the rendering and schema tests: twelve
//! weeks of history, six categories, four customer tiers, both kinds of pattern, three
//! on-call engineers, five root causes, ART groups on every dimension and ten slow tickets
//! with links. Every optional field is present at least once and absent at least once.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use escalation_core::model::{TenantId, TicketId};
use escalation_core::report::{
    ArtGroup, ArtReport, ArtSplit, ArtStats, Dimension, DurationStats, IsoWeek, OnCallRow, Pattern,
    PatternKind, REPORT_SCHEMA_VERSION, RootCauseRow, SegmentRow, SlowTicket, TargetRow, Totals,
    WeekPoint, WeeklyReport,
};

pub const HOUR: i64 = 3600;

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

fn stats(mean: i64, median: i64, p90: i64) -> Option<DurationStats> {
    Some(DurationStats { mean, median, p90 })
}

fn art(count: u64, escalated: u64, business_median: i64, wall_median: i64) -> ArtSplit {
    let split = |count: u64, factor: i64| ArtStats {
        count,
        business: (count > 0).then(|| DurationStats {
            mean: business_median * factor * 6 / 5,
            median: business_median * factor,
            p90: business_median * factor * 3,
        }),
        wall: (count > 0).then(|| DurationStats {
            mean: wall_median * factor * 6 / 5,
            median: wall_median * factor,
            p90: wall_median * factor * 3,
        }),
    };
    ArtSplit {
        all: split(count, 1),
        escalated: split(escalated, 3),
        not_escalated: split(count - escalated, 1),
    }
}

fn segment(key: &str, escalations: u64, previous: u64) -> SegmentRow {
    SegmentRow {
        key: key.to_owned(),
        escalations,
        previous,
        change: (previous > 0).then(|| (escalations as f64 - previous as f64) / previous as f64),
    }
}

pub fn ticket_url(id: u64) -> String {
    format!("https://support.example.com/tickets/{id}")
}

/// The sample report of tenant `acme-eu` for 2026-W48 (Europe/Berlin).
pub fn sample_report() -> WeeklyReport {
    let history: Vec<WeekPoint> = [
        (37, 9, 2),
        (38, 12, 3),
        (39, 10, 1),
        (40, 14, 4),
        (41, 11, 2),
        (42, 16, 5),
        (43, 13, 3),
        (44, 18, 4),
        (45, 17, 6),
        (46, 22, 5),
        (47, 26, 7),
        (48, 31, 9),
    ]
    .into_iter()
    .map(|(week, escalations, breaches)| WeekPoint {
        week: IsoWeek { year: 2026, week },
        escalations,
        breaches,
    })
    .collect();

    let categories = [
        "billing",
        "login & sso",
        "data export",
        "api",
        "mobile app",
        "onboarding",
    ];
    let category_counts = [(11, 6), (7, 8), (5, 2), (4, 4), (3, 0), (1, 2)];
    let top_categories = categories
        .iter()
        .zip(category_counts)
        .map(|(key, (now, before))| segment(key, now, before))
        .collect();

    let tiers = ["enterprise", "business", "pro", "free"];
    let top_segments = tiers
        .iter()
        .zip([(14, 9), (9, 10), (6, 5), (2, 2)])
        .map(|(key, (now, before))| segment(key, now, before))
        .collect();

    let mut groups = Vec::new();
    let mut group = |dimension, key: &str, count, escalated, median_hours: i64| {
        groups.push(ArtGroup {
            dimension,
            key: key.to_owned(),
            art: art(
                count,
                escalated,
                median_hours * HOUR / 2,
                median_hours * HOUR,
            ),
        });
    };
    for (key, (count, esc, h)) in categories.iter().zip([
        (38, 9, 5),
        (24, 6, 3),
        (12, 3, 9),
        (15, 3, 7),
        (9, 2, 4),
        (6, 0, 2),
    ]) {
        group(Dimension::Category, key, count, esc, h);
    }
    for (key, (count, esc, h)) in
        tiers
            .iter()
            .zip([(22, 10, 3), (31, 8, 4), (28, 4, 6), (23, 1, 10)])
    {
        group(Dimension::CustomerTier, key, count, esc, h);
    }
    for (key, (count, esc, h)) in
        ["P1", "P2", "P3", "P4"]
            .iter()
            .zip([(6, 5, 1), (21, 10, 3), (47, 6, 6), (30, 2, 12)])
    {
        group(Dimension::Priority, key, count, esc, h);
    }
    for (key, (count, esc, h)) in
        ["tier1", "tier2", "unassigned"]
            .iter()
            .zip([(70, 8, 4), (32, 14, 6), (2, 1, 30)])
    {
        group(Dimension::Team, key, count, esc, h);
    }
    for (key, (count, esc, h)) in
        ["email", "chat", "phone"]
            .iter()
            .zip([(61, 12, 6), (33, 6, 2), (10, 5, 3)])
    {
        group(Dimension::Channel, key, count, esc, h);
    }
    // A group with no escalated ticket: its escalated figures are absent.
    groups.push(ArtGroup {
        dimension: Dimension::Channel,
        key: "web form".to_owned(),
        art: ArtSplit {
            all: ArtStats {
                count: 1,
                business: stats(1800, 1800, 1800),
                wall: stats(2400, 2400, 2400),
            },
            escalated: ArtStats::default(),
            not_escalated: ArtStats {
                count: 1,
                business: stats(1800, 1800, 1800),
                wall: stats(2400, 2400, 2400),
            },
        },
    });

    let subjects = [
        "Invoice shows VAT twice for EU customers",
        "SSO login loops back to the sign-in page after IdP update",
        "CSV export truncates rows after 65,535",
        "API returns 502 on bulk update (> 500 items)",
        "Refund not received after 14 days",
        "Mobile app crashes on Android 15 when opening attachments",
        "Cannot invite teammates: \"seat limit reached\" but we have 3 free seats",
        "Webhook deliveries delayed by several hours",
        "Password reset e-mail never arrives",
        "Data export stuck at 99 %",
    ];
    let slow_categories = [
        "billing",
        "login & sso",
        "data export",
        "api",
        "billing",
        "mobile app",
        "onboarding",
        "api",
        "login & sso",
        "data export",
    ];
    let slowest = subjects
        .iter()
        .zip(slow_categories)
        .enumerate()
        .map(|(i, (subject, category))| {
            let id = 48_210 + (i as u64) * 37;
            let business = (62 - 5 * i as i64) * HOUR + (i as i64) * 7 * 60;
            SlowTicket {
                id: TicketId(id),
                subject: (*subject).to_owned(),
                category: category.to_owned(),
                priority: ["P1", "P2", "P2", "P3", "P3", "P2", "P3", "P4", "P3", "P4"][i]
                    .to_owned(),
                business_seconds: business,
                wall_seconds: business * 3 + 5 * HOUR,
                escalated: i % 3 != 2,
                url: (i != 9).then(|| ticket_url(id)),
            }
        })
        .collect();

    WeeklyReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tenant: TenantId::new("acme-eu"),
        week: IsoWeek {
            year: 2026,
            week: 48,
        },
        timezone: "Europe/Berlin".to_owned(),
        from: at(2026, 11, 22, 23, 0),
        to: at(2026, 11, 29, 23, 0),
        generated_at: at(2026, 11, 30, 5, 30),
        totals: Totals {
            created: 131,
            resolved: 104,
            escalated_tickets: 23,
            escalations: 31,
            breaches: 9,
            clocks_ended: 212,
            breach_rate: 9.0 / 212.0,
        },
        targets: vec![
            TargetRow {
                target: "first_response".into(),
                clocks_ended: 104,
                warnings: 12,
                breaches: 4,
                escalations: 13,
                breach_rate: 4.0 / 104.0,
            },
            TargetRow {
                target: "next_response".into(),
                clocks_ended: 66,
                warnings: 7,
                breaches: 2,
                escalations: 8,
                breach_rate: 2.0 / 66.0,
            },
            TargetRow {
                target: "resolution".into(),
                clocks_ended: 42,
                warnings: 5,
                breaches: 3,
                escalations: 10,
                breach_rate: 3.0 / 42.0,
            },
        ],
        top_categories,
        top_segments,
        patterns: vec![
            Pattern {
                category: "billing".into(),
                kind: PatternKind::Growing { weeks: 3 },
                series: vec![2, 3, 3, 4, 6, 11],
            },
            Pattern {
                category: "data export".into(),
                kind: PatternKind::Jump { change: 1.5 },
                series: vec![1, 2, 1, 2, 2, 5],
            },
        ],
        on_call: vec![
            OnCallRow {
                engineer: "Dana Whitfield".into(),
                pages: 5,
                repeats: 2,
                acknowledged: 5,
                mean_time_to_ack: Some(7 * 60 + 40),
            },
            OnCallRow {
                engineer: "Ravi Menon".into(),
                pages: 3,
                repeats: 0,
                acknowledged: 3,
                mean_time_to_ack: Some(3 * 60 + 5),
            },
            OnCallRow {
                engineer: "platform-oncall".into(),
                pages: 1,
                repeats: 3,
                acknowledged: 0,
                mean_time_to_ack: None,
            },
        ],
        mean_time_to_ack: Some(6 * 60),
        root_causes: vec![
            RootCauseRow {
                cause: "product bug".into(),
                count: 7,
                share: 7.0 / 19.0,
            },
            RootCauseRow {
                cause: "configuration".into(),
                count: 5,
                share: 5.0 / 19.0,
            },
            RootCauseRow {
                cause: "third-party outage".into(),
                count: 3,
                share: 3.0 / 19.0,
            },
            RootCauseRow {
                cause: "missing documentation".into(),
                count: 2,
                share: 2.0 / 19.0,
            },
            RootCauseRow {
                cause: "unspecified".into(),
                count: 2,
                share: 2.0 / 19.0,
            },
        ],
        art: ArtReport {
            from: at(2026, 11, 22, 23, 0),
            to: at(2026, 11, 29, 23, 0),
            overall: art(104, 23, 2 * HOUR + 1200, 5 * HOUR),
            groups,
        },
        slowest,
        history,
    }
}

/// A report of a week in which nothing happened: every list empty, every figure zero or
/// absent.
pub fn empty_report() -> WeeklyReport {
    WeeklyReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tenant: TenantId::new("quiet-tenant"),
        week: IsoWeek {
            year: 2027,
            week: 1,
        },
        timezone: "America/New_York".to_owned(),
        from: at(2027, 1, 4, 5, 0),
        to: at(2027, 1, 11, 5, 0),
        generated_at: at(2027, 1, 11, 12, 0),
        totals: Totals::default(),
        targets: Vec::new(),
        top_categories: Vec::new(),
        top_segments: Vec::new(),
        patterns: Vec::new(),
        on_call: Vec::new(),
        mean_time_to_ack: None,
        root_causes: Vec::new(),
        art: ArtReport {
            from: at(2027, 1, 4, 5, 0),
            to: at(2027, 1, 11, 5, 0),
            overall: ArtSplit::default(),
            groups: Vec::new(),
        },
        slowest: Vec::new(),
        history: Vec::new(),
    }
}
