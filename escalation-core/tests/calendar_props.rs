//! Property tests: every `BusinessCalendar` operation against a brute-force reference that
//! walks minute by minute in the calendar's zone, on random calendars (split days, 24-hour
//! days, holidays, overrides, breaks) in zones with unusual offsets and DST rules, with
//! start instants placed around the zone's transitions; plus algebraic invariants.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use escalation_core::calendar::{BreakSpec, BusinessCalendar, CalendarSpec};
use proptest::prelude::*;

const ZONES: [&str; 15] = [
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "America/Santiago",
    "Etc/UTC",
    "Asia/Beirut",
    "Pacific/Apia",
    "America/Havana",
];

const KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes around the start that the reference tabulates (each side).
const HALF_SPAN_MIN: i64 = 21 * 1440;

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_hhmm(text: &str) -> u32 {
    let (h, m) = text.split_once(':').expect("HH:MM");
    h.parse::<u32>().expect("hours") * 60 + m.parse::<u32>().expect("minutes")
}

/// One day's windows: closed, 24 h, DST-prone fixed windows, or 1-3 random windows.
fn day_windows() -> impl Strategy<Value = Vec<[String; 2]>> {
    let random = (1usize..=3).prop_flat_map(|n| {
        prop::collection::btree_set(0u32..=1440, 2 * n).prop_map(|set| {
            let points: Vec<u32> = set.into_iter().collect();
            points
                .chunks(2)
                .map(|pair| [hhmm(pair[0]), hhmm(pair[1])])
                .collect::<Vec<_>>()
        })
    });
    let fixed = |o: &str, c: &str| Just(vec![[o.to_string(), c.to_string()]]);
    prop_oneof![
        3 => Just(Vec::new()),
        2 => fixed("00:00", "24:00"),
        1 => fixed("01:00", "04:00"),
        1 => fixed("00:00", "01:00"),
        1 => fixed("23:00", "24:00"),
        1 => fixed("09:00", "17:00"),
        1 => Just(vec![
            ["00:00".to_string(), "02:30".to_string()],
            ["03:00".to_string(), "24:00".to_string()]
        ]),
        6 => random,
    ]
}

/// A zone, a start instant near one of its transitions (if it has any that year), and
/// a calendar whose dated entries fall around the start.
#[derive(Debug, Clone)]
struct Case {
    spec: CalendarSpec,
    start: DateTime<Utc>,
}

fn transition_days(tz: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let first = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
    let offset = |t: DateTime<Utc>| t.with_timezone(&tz).offset().fix().local_minus_utc();
    (0..366)
        .map(|d| first + TimeDelta::days(d))
        .filter(|&t| offset(t) != offset(t + TimeDelta::days(1)))
        .collect()
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ZONES.len(),
        2005i32..=2030,
        any::<u32>(),
        -3 * 1440i64..=4 * 1440,
        prop::collection::vec(day_windows(), 7),
    )
        .prop_flat_map(|(zone, year, pick, shift, week)| {
            let tz: Tz = ZONES[zone].parse().unwrap();
            let days = transition_days(tz, year);
            let anchor = if days.is_empty() {
                Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap()
                    + TimeDelta::days(i64::from(pick % 365))
            } else {
                days[pick as usize % days.len()]
            };
            let start = anchor + TimeDelta::minutes(shift);
            let local_date = start.with_timezone(&tz).date_naive();
            let near = move || (-12i64..=12).prop_map(move |d| local_date + TimeDelta::days(d));
            let breaks =
                prop::collection::vec((near(), prop::collection::btree_set(0u32..=1440, 2)), 0..=3);
            (
                Just((tz, start, week)),
                prop::collection::vec(near(), 0..=4),
                prop::collection::vec((near(), day_windows()), 0..=3),
                breaks,
            )
        })
        .prop_map(|((tz, start, week), holidays, overrides, breaks)| {
            let mut hours: BTreeMap<String, Vec<[String; 2]>> = KEYS
                .iter()
                .zip(week)
                .filter(|(_, w)| !w.is_empty())
                .map(|(k, w)| (k.to_string(), w))
                .collect();
            if hours.is_empty() {
                hours.insert(
                    "wed".to_string(),
                    vec![["09:00".to_string(), "17:00".to_string()]],
                );
            }
            let spec = CalendarSpec {
                timezone: tz.name().to_string(),
                hours,
                holidays,
                overrides: overrides.into_iter().collect(),
                breaks: breaks
                    .into_iter()
                    .map(|(date, set)| {
                        let v: Vec<u32> = set.into_iter().collect();
                        BreakSpec {
                            date,
                            from: hhmm(v[0]),
                            to: hhmm(v[1]),
                        }
                    })
                    .collect(),
            };
            Case { spec, start }
        })
}

/// The reference: a minute is business time iff its local time lies in a window of
/// its local date (holiday > override > weekly hours, minus breaks).
struct Reference {
    tz: Tz,
    weekly: [Vec<(u32, u32)>; 7],
    holidays: HashSet<NaiveDate>,
    overrides: HashMap<NaiveDate, Vec<(u32, u32)>>,
    breaks: Vec<(NaiveDate, u32, u32)>,
}

fn minutes(windows: &[[String; 2]]) -> Vec<(u32, u32)> {
    windows
        .iter()
        .map(|[o, c]| (parse_hhmm(o), parse_hhmm(c)))
        .collect()
}

impl Reference {
    fn new(spec: &CalendarSpec) -> Reference {
        let mut weekly: [Vec<(u32, u32)>; 7] = Default::default();
        for (k, w) in &spec.hours {
            let day = KEYS.iter().position(|x| x == k).unwrap();
            weekly[day] = minutes(w);
        }
        Reference {
            tz: spec.timezone.parse().unwrap(),
            weekly,
            holidays: spec.holidays.iter().copied().collect(),
            overrides: spec
                .overrides
                .iter()
                .map(|(d, w)| (*d, minutes(w)))
                .collect(),
            breaks: spec
                .breaks
                .iter()
                .map(|b| (b.date, parse_hhmm(&b.from), parse_hhmm(&b.to)))
                .collect(),
        }
    }

    fn is_open(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.tz).naive_local();
        let date = local.date();
        let m = local.hour() * 60 + local.minute();
        if self.holidays.contains(&date) {
            return false;
        }
        let windows = self
            .overrides
            .get(&date)
            .unwrap_or(&self.weekly[date.weekday().num_days_from_monday() as usize]);
        windows.iter().any(|&(o, c)| o <= m && m < c)
            && !self
                .breaks
                .iter()
                .any(|&(d, f, to)| d == date && f <= m && m < to)
    }
}

/// The reference tabulated minute by minute over `[base, base + len minutes)`.
struct Walk {
    base: DateTime<Utc>,
    open: Vec<bool>,
    /// `count[i]`: open minutes in `[base, base + i)`.
    count: Vec<i64>,
}

impl Walk {
    fn new(reference: &Reference, base: DateTime<Utc>, len: i64) -> Walk {
        let open: Vec<bool> = (0..len)
            .map(|i| reference.is_open(base + TimeDelta::minutes(i)))
            .collect();
        let mut count = Vec::with_capacity(open.len() + 1);
        count.push(0);
        for &o in &open {
            count.push(count.last().unwrap() + i64::from(o));
        }
        Walk { base, open, count }
    }

    fn at(&self, i: usize) -> DateTime<Utc> {
        self.base + TimeDelta::minutes(i as i64)
    }

    fn index(&self, t: DateTime<Utc>) -> usize {
        let i = (t - self.base).num_minutes();
        assert!(
            i >= 0 && (i as usize) < self.open.len(),
            "{t} outside the walk"
        );
        i as usize
    }

    fn elapsed_minutes(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        self.count[self.index(b)] - self.count[self.index(a)]
    }

    /// Earliest t >= s with d open minutes in [s, t); None past the walk.
    fn add(&self, s: DateTime<Utc>, d: i64) -> Option<DateTime<Utc>> {
        let i = self.index(s);
        if d == 0 {
            return Some(s);
        }
        (i + 1..self.count.len())
            .find(|&j| self.count[j] - self.count[i] >= d)
            .map(|j| self.at(j))
    }

    /// Latest t <= e with d open minutes in [t, e); None before the walk.
    fn subtract(&self, e: DateTime<Utc>, d: i64) -> Option<DateTime<Utc>> {
        let i = self.index(e);
        (0..=i)
            .rev()
            .find(|&j| self.count[i] - self.count[j] >= d)
            .map(|j| self.at(j))
    }

    fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.index(t)..self.open.len())
            .find(|&j| self.open[j])
            .map(|j| self.at(j))
    }

    fn previous_close(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (1..=self.index(t))
            .rev()
            .find(|&j| self.open[j - 1])
            .map(|j| self.at(j))
    }

    fn end(&self) -> DateTime<Utc> {
        self.at(self.open.len())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn operations_match_the_minute_walk(
        case in case(),
        d in prop_oneof![Just(0i64), 1i64..=180, 1i64..=3 * 1440],
        offsets in prop::collection::vec(-14 * 1440i64..=14 * 1440, 3),
    ) {
        let calendar = BusinessCalendar::new(case.spec.clone()).unwrap();
        let reference = Reference::new(&case.spec);
        let start = case.start;
        let walk = Walk::new(&reference, start - TimeDelta::minutes(HALF_SPAN_MIN), 2 * HALF_SPAN_MIN);
        let points: Vec<DateTime<Utc>> = std::iter::once(start)
            .chain(offsets.iter().map(|&m| start + TimeDelta::minutes(m)))
            .collect();
        let dur = TimeDelta::minutes(d);

        for &p in &points {
            prop_assert_eq!(calendar.is_open(p), walk.open[walk.index(p)], "is_open({})", p);
            match walk.next_open(p) {
                Some(want) => prop_assert_eq!(calendar.next_open(p).unwrap(), want, "next_open({})", p),
                None => prop_assert!(calendar.next_open(p).unwrap() >= walk.end()),
            }
            match walk.previous_close(p) {
                Some(want) => prop_assert_eq!(calendar.previous_close(p).unwrap(), want, "previous_close({})", p),
                None => prop_assert!(calendar.previous_close(p).unwrap() <= walk.base),
            }
            for &q in &points {
                prop_assert_eq!(
                    calendar.elapsed(p, q),
                    TimeDelta::minutes(walk.elapsed_minutes(p, q)),
                    "elapsed({}, {})", p, q
                );
            }
        }
        match walk.add(start, d) {
            Some(want) => prop_assert_eq!(calendar.add(start, dur).unwrap(), want, "add({}, {})", start, d),
            None => prop_assert!(calendar.add(start, dur).unwrap() >= walk.end()),
        }
        match walk.subtract(start, d) {
            Some(want) => prop_assert_eq!(calendar.subtract(start, dur).unwrap(), want, "subtract({}, {})", start, d),
            None => prop_assert!(calendar.subtract(start, dur).unwrap() < walk.base),
        }
        // Negative durations mirror the other direction.
        prop_assert_eq!(calendar.add(start, -dur).unwrap(), calendar.subtract(start, dur).unwrap());
        prop_assert_eq!(calendar.subtract(start, -dur).unwrap(), calendar.add(start, dur).unwrap());
    }

    #[test]
    fn invariants_hold(
        case in case(),
        d1 in 0i64..=20 * 1440 * 60,
        d2 in 0i64..=20 * 1440 * 60,
        nanos in 0i64..1_000_000_000,
        offsets in prop::collection::vec(-30 * 86_400i64..=30 * 86_400, 2),
    ) {
        let calendar = BusinessCalendar::new(case.spec.clone()).unwrap();
        // Sub-second start and durations.
        let s = case.start + TimeDelta::nanoseconds(nanos);
        let (lo, hi) = (TimeDelta::seconds(d1.min(d2)), TimeDelta::seconds(d1.max(d2)) + TimeDelta::nanoseconds(nanos));
        let t_lo = calendar.add(s, lo).unwrap();
        let t_hi = calendar.add(s, hi).unwrap();
        prop_assert_eq!(calendar.elapsed(s, t_lo), lo);
        prop_assert_eq!(calendar.elapsed(s, t_hi), hi);
        prop_assert!(t_lo <= t_hi, "add is monotone in d");
        prop_assert!(t_lo >= s);

        let a = s + TimeDelta::seconds(offsets[0]);
        let c = s + TimeDelta::seconds(offsets[1]);
        prop_assert_eq!(calendar.elapsed(a, s) + calendar.elapsed(s, c), calendar.elapsed(a, c));
        prop_assert_eq!(calendar.elapsed(a, c), -calendar.elapsed(c, a));

        // Round trips: back from a deadline lands on the first business instant at or
        // after the start; forward from a look-back lands on the last close at or before
        // the end.
        if hi > TimeDelta::zero() {
            prop_assert_eq!(calendar.subtract(t_hi, hi).unwrap(), calendar.next_open(s).unwrap());
            let back = calendar.subtract(s, hi).unwrap();
            prop_assert_eq!(calendar.elapsed(back, s), hi);
            prop_assert_eq!(calendar.add(back, hi).unwrap(), calendar.previous_close(s).unwrap());
        }
        prop_assert!(calendar.subtract(t_hi, hi).unwrap() >= s);

        // Segments tile the business time of a range.
        let total = calendar
            .segments(a.min(c), a.max(c))
            .fold(TimeDelta::zero(), |acc, (x, y)| acc + (y - x));
        prop_assert_eq!(total, calendar.elapsed(a.min(c), a.max(c)));
    }
}
