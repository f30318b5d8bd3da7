//! The weekly report and the resolution metrics against a fixed synthetic data set: every
//! figure is checked against numbers worked out by hand in the comments.
//!
//! The data live in America/New_York on a Mon–Fri 09:00–17:00 calendar with Thanksgiving
//! (2026-11-26) as a holiday. The report is for ISO week 2026-W48 (Mon 2026-11-23 to Sun
//! 2026-11-29 in New York, 2026-11-23T05:00Z to 2026-11-30T05:00Z), with four weeks of
//! history (W45–W48).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use escalation_core::ladder::Trigger;
use escalation_core::log::{LogEntry, LogEvent};
use escalation_core::memory::MemoryStore;
use escalation_core::model::{Fired, PageState, Resolution};
use escalation_core::ports::{Commit, TicketStore};
use escalation_core::report::{
    Dimension, DurationStats, IsoWeek, PatternKind, ReportOptions, duration_stats,
};
use escalation_core::sla::Target;
use escalation_core::span::Span;
use escalation_core::testkit::conformance::sample_ticket;
use escalation_core::{
    Channel, CustomerTier, Engine, ManualClock, Policy, Priority, Status, Symbol, TeamId, TenantId,
    Ticket, TicketId,
};

const POLICY: &str = r#"
version = "report-test"

[calendars.business]
timezone = "America/New_York"
holidays = ["2026-11-26"]

[calendars.business.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]
"#;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn tenant() -> TenantId {
    TenantId::new("acme")
}

fn engine(store: Arc<MemoryStore>) -> Engine {
    Engine::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .store(store)
        .clock(Arc::new(ManualClock::new(utc(2026, 12, 1, 12, 0))))
        .build()
        .unwrap()
}

struct Spec {
    id: u64,
    category: &'static str,
    tier: CustomerTier,
    priority: Priority,
    team: Option<&'static str>,
    channel: Channel,
    created: DateTime<Utc>,
    resolved: Option<(DateTime<Utc>, Option<&'static str>)>,
    escalated: bool,
}

/// A ticket per `spec`, with a resolution clock on the business calendar.
fn ticket(spec: &Spec) -> Ticket {
    let mut t = sample_ticket(&tenant(), TicketId(spec.id));
    t.category = Symbol::intern(spec.category);
    t.score.tier = spec.tier;
    t.priority = spec.priority;
    t.team = spec.team.map(TeamId::new);
    t.channel = spec.channel;
    t.created_at = spec.created;
    t.received_at = spec.created;
    t.pages = Vec::new();
    t.fired = if spec.escalated {
        vec![Fired {
            level: Arc::from("manager"),
            target: Some(Target::Resolution),
            cycle: 0,
            sub: 0,
        }]
    } else {
        Vec::new()
    };
    for c in &mut t.sla {
        c.calendar = Arc::from("business");
        c.target = Target::Resolution;
    }
    t.sla.truncate(1);
    t.subject = Arc::from(format!("ticket {}", spec.id));
    if let Some((at, cause)) = spec.resolved {
        t.status = Status::Resolved;
        t.resolved_at = Some(at);
        t.resolution = Some(Resolution {
            summary: Arc::from("done"),
            root_cause: cause.map(Arc::from),
            by: Arc::from("agent"),
            at,
        });
    } else {
        t.status = Status::InProgress;
        t.resolved_at = None;
        t.resolution = None;
    }
    t.next_check = None;
    t
}

/// A level fired on `t`; `facets` says whether the entry carries the ticket's category and
/// tier (entries written before those fields existed do not: the report reads the ticket).
fn fired(t: &Ticket, at: DateTime<Utc>, target: Target, facets: bool) -> LogEntry {
    LogEntry::engine(
        at,
        LogEvent::LevelFired {
            level: Arc::from("manager"),
            trigger: Trigger::Breach,
            target: Some(target),
            cycle: 0,
            category: facets.then_some(t.category),
            customer_tier: facets.then_some(t.score.tier),
        },
    )
}

fn breached(at: DateTime<Utc>, target: Target) -> LogEntry {
    LogEntry::engine(
        at,
        LogEvent::SlaBreached {
            target,
            cycle: 0,
            deadline: at,
        },
    )
}

fn stopped(at: DateTime<Utc>, target: Target, met: bool) -> LogEntry {
    LogEntry::engine(
        at,
        LogEvent::SlaStopped {
            target,
            cycle: 0,
            used_seconds: 60,
            met,
        },
    )
}

fn warned(at: DateTime<Utc>, target: Target) -> LogEntry {
    LogEntry::engine(
        at,
        LogEvent::SlaWarning {
            target,
            cycle: 0,
            label: Arc::from("75%"),
            deadline: Some(at),
        },
    )
}

fn created(t: &Ticket) -> LogEntry {
    LogEntry::engine(
        t.created_at,
        LogEvent::Created {
            channel: t.channel,
            category: t.category,
            impact: t.impact,
            draft: false,
        },
    )
}

fn page(key: &str, triggered: DateTime<Utc>, sent: u32, ack: Option<(i64, &str)>) -> PageState {
    PageState {
        key: Arc::from(key),
        level: Arc::from("page-oncall"),
        target: Some(Target::FirstResponse),
        summary: Arc::from("breached"),
        triggered_at: triggered,
        sent,
        repeat_every: Span::minutes(10),
        max_repeats: 3,
        ack_deadline: triggered + TimeDelta::minutes(15),
        ack_timed_out: false,
        acknowledged: ack.map(|(s, by)| (triggered + TimeDelta::seconds(s), Arc::from(by))),
        resolved_at: None,
    }
}

async fn insert(store: &MemoryStore, t: Ticket, mut log: Vec<LogEntry>) {
    log.sort_by_key(|e| e.at);
    let at = t.created_at;
    store.insert(Commit::new(t, log, at)).await.unwrap();
}

/// The data set described in the module docs; returns the store.
async fn data_set() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    // T1: Fri 11-20 16:00 EST (21:00Z) to Tue 11-24 10:00 EST (15:00Z).
    //   business: Fri 16–17 (1 h) + Mon 8 h + Tue 9–10 (1 h) = 10 h = 36,000 s
    //   wall: 3 d 18 h = 90 h = 324,000 s. Escalated, root cause "bug".
    let t1 = ticket(&Spec {
        id: 1,
        category: "billing",
        tier: CustomerTier::Premium,
        priority: Priority::High,
        team: Some("t1"),
        channel: Channel::Email,
        created: utc(2026, 11, 20, 21, 0),
        resolved: Some((utc(2026, 11, 24, 15, 0), Some("bug"))),
        escalated: true,
    });
    // T2: Wed 11-25 16:00 EST to Fri 11-27 10:00 EST, across Thanksgiving.
    //   business: Wed 1 h + Thu 0 (holiday) + Fri 1 h = 7,200 s; wall 42 h = 151,200 s.
    let t2 = ticket(&Spec {
        id: 2,
        category: "login",
        tier: CustomerTier::Standard,
        priority: Priority::Normal,
        team: None,
        channel: Channel::Chat,
        created: utc(2026, 11, 25, 21, 0),
        resolved: Some((utc(2026, 11, 27, 15, 0), Some("config"))),
        escalated: false,
    });
    // T3: Mon 11-23 09:00–12:00 EST: 10,800 s both ways. Escalated, no root cause.
    let t3 = ticket(&Spec {
        id: 3,
        category: "billing",
        tier: CustomerTier::Standard,
        priority: Priority::Normal,
        team: Some("t1"),
        channel: Channel::Email,
        created: utc(2026, 11, 23, 14, 0),
        resolved: Some((utc(2026, 11, 23, 17, 0), None)),
        escalated: true,
    });
    // T4: resolved the week before (W47): not in this week's figures.
    let t4 = ticket(&Spec {
        id: 4,
        category: "login",
        tier: CustomerTier::Standard,
        priority: Priority::Low,
        team: None,
        channel: Channel::Chat,
        created: utc(2026, 11, 16, 14, 0),
        resolved: Some((utc(2026, 11, 20, 14, 0), Some("bug"))),
        escalated: true,
    });
    let (l1, l2, l3) = (vec![created(&t1)], vec![created(&t2)], vec![created(&t3)]);
    insert(&store, t1, l1).await;
    insert(&store, t2, l2).await;
    insert(&store, t3, l3).await;
    let l4 = vec![created(&t4)];
    insert(&store, t4, l4).await;

    // E1 (api, premium): escalations W45 1, W46 2, W47 3, W48 4, all on first response; and
    // its pages.
    let mut api = ticket(&Spec {
        id: 10,
        category: "api",
        tier: CustomerTier::Premium,
        priority: Priority::Critical,
        team: Some("t2"),
        channel: Channel::Api,
        created: utc(2026, 10, 26, 14, 0),
        resolved: None,
        escalated: true,
    });
    api.pages = vec![
        // W47: not this week's.
        page("p0", utc(2026, 11, 16, 14, 0), 1, Some((60, "oncall-b"))),
        page("p1", utc(2026, 11, 24, 14, 0), 2, Some((300, "oncall-a"))),
        page("p2", utc(2026, 11, 25, 14, 0), 1, Some((600, "oncall-a"))),
        page("p3", utc(2026, 11, 26, 14, 0), 3, None),
    ];
    let mut api_log = Vec::new();
    let mondays = [
        utc(2026, 11, 2, 15, 0),
        utc(2026, 11, 9, 15, 0),
        utc(2026, 11, 16, 15, 0),
        utc(2026, 11, 23, 15, 0),
    ];
    for (w, monday) in mondays.iter().enumerate() {
        for k in 0..=w {
            // Old-style entries (no category or tier) in the first two weeks.
            api_log.push(fired(
                &api,
                *monday + TimeDelta::hours(k as i64),
                Target::FirstResponse,
                w >= 2,
            ));
        }
    }
    // W48: 3 warnings and 2 breaches of first response, and 4 first-response clocks
    // stopped, one of them missed.
    for k in 0..3 {
        api_log.push(warned(utc(2026, 11, 24, 16, k), Target::FirstResponse));
    }
    api_log.push(breached(utc(2026, 11, 24, 18, 0), Target::FirstResponse));
    api_log.push(breached(utc(2026, 11, 25, 18, 0), Target::FirstResponse));
    for k in 0..4 {
        api_log.push(stopped(
            utc(2026, 11, 27, 16, k),
            Target::FirstResponse,
            k != 0,
        ));
    }
    insert(&store, api, api_log).await;

    // E2 (billing, standard): escalations W47 2, W48 4, on resolution; a resolution breach in
    // W47 and one in W48; one resolution clock stopped in W48, met.
    let bill = ticket(&Spec {
        id: 11,
        category: "billing",
        tier: CustomerTier::Standard,
        priority: Priority::High,
        team: Some("t1"),
        channel: Channel::Email,
        created: utc(2026, 11, 16, 13, 0),
        resolved: None,
        escalated: true,
    });
    let mut bill_log = vec![
        fired(&bill, utc(2026, 11, 17, 15, 0), Target::Resolution, true),
        fired(&bill, utc(2026, 11, 18, 15, 0), Target::Resolution, false),
        breached(utc(2026, 11, 18, 15, 0), Target::Resolution),
        breached(utc(2026, 11, 26, 15, 0), Target::Resolution),
        stopped(utc(2026, 11, 28, 15, 0), Target::Resolution, true),
    ];
    for k in 0..4 {
        bill_log.push(fired(
            &bill,
            utc(2026, 11, 24, 15, k),
            Target::Resolution,
            true,
        ));
    }
    insert(&store, bill, bill_log).await;
    store
}

fn options() -> ReportOptions {
    ReportOptions {
        timezone: chrono_tz::America::New_York,
        top: 10,
        slowest: 2,
        history_weeks: 4,
        growth_weeks: 3,
        jump: 0.5,
        ticket_url: Some("https://desk.example/{tenant}/t/{id}".to_owned()),
    }
}

const W48: IsoWeek = IsoWeek {
    year: 2026,
    week: 48,
};

#[tokio::test]
async fn every_figure_of_the_weekly_report() {
    let engine = engine(data_set().await);
    let r = engine
        .weekly_report(&tenant(), W48, &options())
        .await
        .unwrap();

    assert_eq!(r.week.to_string(), "2026-W48");
    assert_eq!(r.timezone, "America/New_York");
    assert_eq!(
        (r.from, r.to),
        (utc(2026, 11, 23, 5, 0), utc(2026, 11, 30, 5, 0))
    );
    assert_eq!(r.generated_at, utc(2026, 12, 1, 12, 0));

    // Created in W48: T2 and T3 (T1 was created on 11-20). Resolved: T1, T2, T3.
    // Escalations: 4 (api) + 4 (billing) = 8 on 2 tickets. Breaches: 2 + 1 = 3.
    // Clocks ended: 4 first response (1 missed) + 1 resolution = 5, breach rate 1/5.
    let t = r.totals;
    assert_eq!((t.created, t.resolved), (2, 3));
    assert_eq!((t.escalations, t.escalated_tickets, t.breaches), (8, 2, 3));
    assert_eq!(t.clocks_ended, 5);
    assert!((t.breach_rate - 0.2).abs() < 1e-12);

    let targets: Vec<_> = r
        .targets
        .iter()
        .map(|x| {
            (
                x.target.as_str(),
                x.clocks_ended,
                x.warnings,
                x.breaches,
                x.escalations,
            )
        })
        .collect();
    assert_eq!(
        targets,
        vec![
            ("first_response", 4, 3, 2, 4),
            ("next_response", 0, 0, 0, 0),
            ("resolution", 1, 0, 1, 4),
        ]
    );
    assert!((r.targets[0].breach_rate - 0.25).abs() < 1e-12);
    assert_eq!(r.targets[1].breach_rate, 0.0);
    assert_eq!(r.targets[2].breach_rate, 0.0);

    // api 4 (3 before: +1/3), billing 4 (2 before: +100 %); ties by name.
    let cats: Vec<_> = r
        .top_categories
        .iter()
        .map(|c| (c.key.as_str(), c.escalations, c.previous))
        .collect();
    assert_eq!(cats, vec![("api", 4, 3), ("billing", 4, 2)]);
    assert!((r.top_categories[0].change.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!((r.top_categories[1].change.unwrap() - 1.0).abs() < 1e-12);
    // The api ticket's customer is premium, the billing one's standard.
    let segs: Vec<_> = r
        .top_segments
        .iter()
        .map(|c| (c.key.as_str(), c.escalations, c.previous))
        .collect();
    assert_eq!(segs, vec![("premium", 4, 3), ("standard", 4, 2)]);

    // api grew three weeks in a row (1, 2, 3, 4); billing doubled (0, 0, 2, 4).
    assert_eq!(r.patterns.len(), 2);
    assert_eq!(r.patterns[0].category, "api");
    assert_eq!(r.patterns[0].kind, PatternKind::Growing { weeks: 3 });
    assert_eq!(r.patterns[0].series, vec![1, 2, 3, 4]);
    assert_eq!(r.patterns[1].category, "billing");
    assert_eq!(r.patterns[1].kind, PatternKind::Jump { change: 1.0 });
    assert_eq!(r.patterns[1].series, vec![0, 0, 2, 4]);

    // History: escalations 1, 2, 3+2, 4+4; breaches 0, 0, 1, 3.
    let hist: Vec<_> = r
        .history
        .iter()
        .map(|h| (h.week.week, h.escalations, h.breaches))
        .collect();
    assert_eq!(hist, vec![(45, 1, 0), (46, 2, 0), (47, 5, 1), (48, 8, 3)]);

    // Pages this week: p1 (acked after 300 s, sent twice), p2 (600 s), p3 (never acked,
    // sent three times). Mean time to acknowledge (300 + 600) / 2 = 450 s.
    let pages: Vec<_> = r
        .on_call
        .iter()
        .map(|p| {
            (
                p.engineer.as_str(),
                p.pages,
                p.repeats,
                p.acknowledged,
                p.mean_time_to_ack,
            )
        })
        .collect();
    assert_eq!(
        pages,
        vec![
            ("oncall-a", 2, 1, 2, Some(450)),
            ("(unacknowledged)", 1, 2, 0, None)
        ]
    );
    assert_eq!(r.mean_time_to_ack, Some(450));

    // Escalated tickets resolved this week: T1 ("bug") and T3 (none given).
    let causes: Vec<_> = r
        .root_causes
        .iter()
        .map(|c| (c.cause.as_str(), c.count, c.share))
        .collect();
    assert_eq!(causes, vec![("bug", 1, 0.5), ("unspecified", 1, 0.5)]);

    // Slowest in business time: T1 (36,000 s), T3 (10,800 s).
    let slow: Vec<_> = r
        .slowest
        .iter()
        .map(|s| (s.id.0, s.business_seconds, s.wall_seconds, s.url.as_deref()))
        .collect();
    assert_eq!(
        slow,
        vec![
            (1, 36_000, 324_000, Some("https://desk.example/acme/t/1")),
            (3, 10_800, 10_800, Some("https://desk.example/acme/t/3")),
        ]
    );
    assert_eq!(r.slowest[0].priority, "high");
    assert!(r.slowest[0].escalated);
}

#[tokio::test]
async fn resolution_times_across_a_weekend_and_a_holiday() {
    let engine = engine(data_set().await);
    let (from, to) = W48.bounds(chrono_tz::America::New_York).unwrap();
    let art = engine
        .resolution_metrics(&tenant(), from, to)
        .await
        .unwrap();
    // Business: T1 36,000 (weekend), T2 7,200 (Thanksgiving), T3 10,800.
    //   sorted 7,200 10,800 36,000: mean 18,000, median 10,800, p90 (rank 3) 36,000.
    // Wall: 324,000, 151,200, 10,800: mean 162,000, median 151,200, p90 324,000.
    assert_eq!(art.overall.all.count, 3);
    assert_eq!(
        art.overall.all.business,
        Some(DurationStats {
            mean: 18_000,
            median: 10_800,
            p90: 36_000
        })
    );
    assert_eq!(
        art.overall.all.wall,
        Some(DurationStats {
            mean: 162_000,
            median: 151_200,
            p90: 324_000
        })
    );
    // Escalated: T1 and T3: mean 23,400, median (10,800 + 36,000) / 2 = 23,400, p90 36,000.
    assert_eq!(
        art.overall.escalated.business,
        Some(DurationStats {
            mean: 23_400,
            median: 23_400,
            p90: 36_000
        })
    );
    assert_eq!(art.overall.not_escalated.count, 1);
    assert_eq!(art.overall.not_escalated.business.unwrap().mean, 7_200);

    let group = |d: Dimension, key: &str| {
        art.groups
            .iter()
            .find(|g| g.dimension == d && g.key == key)
            .unwrap_or_else(|| panic!("no group {d:?} {key}"))
            .art
            .clone()
    };
    assert_eq!(group(Dimension::Category, "billing").all.count, 2);
    assert_eq!(
        group(Dimension::Category, "login")
            .all
            .business
            .unwrap()
            .p90,
        7_200
    );
    assert_eq!(group(Dimension::Team, "unassigned").all.count, 1);
    assert_eq!(group(Dimension::Team, "t1").all.count, 2);
    assert_eq!(
        group(Dimension::Priority, "high").all.wall.unwrap().mean,
        324_000
    );
    assert_eq!(group(Dimension::Channel, "chat").all.count, 1);
    assert_eq!(group(Dimension::CustomerTier, "standard").all.count, 2);
    // Groups come by dimension, then key.
    let order: Vec<_> = art
        .groups
        .iter()
        .map(|g| (g.dimension, g.key.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[tokio::test]
async fn a_week_with_a_dst_change() {
    // 2026-W44 in New York runs from Mon 10-26 00:00 EDT (04:00Z) to Mon 11-02 00:00 EST
    // (05:00Z): 169 hours, since clocks fell back on Sunday 11-01.
    let ny = chrono_tz::America::New_York;
    let w44 = IsoWeek {
        year: 2026,
        week: 44,
    };
    let (from, to) = w44.bounds(ny).unwrap();
    assert_eq!(
        (from, to),
        (utc(2026, 10, 26, 4, 0), utc(2026, 11, 2, 5, 0))
    );
    assert_eq!(to - from, TimeDelta::hours(169));
    assert_eq!(IsoWeek::of(utc(2026, 11, 2, 4, 59), ny), w44);
    assert_eq!(IsoWeek::of(utc(2026, 11, 2, 5, 0), ny).week, 45);

    let store = Arc::new(MemoryStore::new());
    // Created Fri 10-30 16:00 EDT (20:00Z), resolved Sun 11-01 23:30 EST (11-02 04:30Z):
    // inside W44 only because the week has 169 hours. Business: Fri 16–17 = 3,600 s (the
    // weekend is closed). Wall: 10-30 20:00Z to 11-02 04:30Z = 56 h 30 m = 203,400 s.
    let t = ticket(&Spec {
        id: 7,
        category: "api",
        tier: CustomerTier::Vip,
        priority: Priority::Critical,
        team: None,
        channel: Channel::Phone,
        created: utc(2026, 10, 30, 20, 0),
        resolved: Some((utc(2026, 11, 2, 4, 30), Some("bug"))),
        escalated: true,
    });
    let log = vec![
        created(&t),
        fired(&t, utc(2026, 11, 2, 4, 30), Target::Resolution, true),
        // 11-02 05:00Z is Monday 00:00 EST: the next week.
        breached(utc(2026, 11, 2, 5, 0), Target::Resolution),
    ];
    insert(&store, t, log).await;
    let engine = engine(store);
    let r = engine
        .weekly_report(
            &tenant(),
            w44,
            &ReportOptions {
                timezone: ny,
                ..ReportOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((r.totals.created, r.totals.resolved), (1, 1));
    assert_eq!((r.totals.escalations, r.totals.breaches), (1, 0));
    assert_eq!(r.history.len(), 8);
    assert_eq!(r.slowest.len(), 1);
    assert_eq!(r.slowest[0].business_seconds, 3_600);
    assert_eq!(r.slowest[0].wall_seconds, 203_400);
    assert_eq!(r.slowest[0].url, None);
    // The week after holds the breach.
    let next = engine
        .weekly_report(
            &tenant(),
            IsoWeek {
                year: 2026,
                week: 45,
            },
            &ReportOptions {
                timezone: ny,
                ..ReportOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((next.totals.escalations, next.totals.breaches), (0, 1));
    assert_eq!(next.history.last().unwrap().breaches, 1);
    assert_eq!(next.history[next.history.len() - 2].escalations, 1);
}

#[test]
fn duration_statistics_by_hand() {
    assert_eq!(duration_stats(&[]), None);
    assert_eq!(
        duration_stats(&[5]),
        Some(DurationStats {
            mean: 5,
            median: 5,
            p90: 5
        })
    );
    // 1..=10: mean 5.5 rounds to 6, median (5 + 6) / 2 = 5 (rounded down), p90 rank 9 = 9.
    let v: Vec<i64> = (1..=10).rev().collect();
    assert_eq!(
        duration_stats(&v),
        Some(DurationStats {
            mean: 6,
            median: 5,
            p90: 9
        })
    );
    // 1..=11: p90 rank ceil(9.9) = 10.
    let v: Vec<i64> = (1..=11).collect();
    assert_eq!(duration_stats(&v).unwrap().p90, 10);
}

#[tokio::test]
async fn bad_options_and_weeks_are_typed_errors() {
    let engine = engine(Arc::new(MemoryStore::new()));
    let err = engine
        .weekly_report(
            &tenant(),
            IsoWeek {
                year: 2026,
                week: 54,
            },
            &ReportOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("week"), "{err}");
    let err = engine
        .weekly_report(
            &tenant(),
            W48,
            &ReportOptions {
                history_weeks: 1,
                ..ReportOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("history_weeks"), "{err}");
    let err = engine
        .resolution_metrics(&tenant(), utc(2026, 1, 2, 0, 0), utc(2026, 1, 1, 0, 0))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("from"), "{err}");
    // An empty week is a report of zeros, not an error.
    let r = engine
        .weekly_report(&tenant(), W48, &options())
        .await
        .unwrap();
    assert_eq!(r.totals.escalations, 0);
    assert!(r.slowest.is_empty() && r.on_call.is_empty() && r.patterns.is_empty());
    assert_eq!(r.art.overall.all.business, None);
}
