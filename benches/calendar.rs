//! Business-calendar benchmark: `add(8 h)` and `elapsed(start, start + up to 30 days)` on a
//! Mon-Fri 09:00-17:00 America/New_York calendar with 10 US-federal-like holidays a year,
//! over 100,000 seeded starts in 2024-2028 (weekends, holidays, after-hours and DST
//! weekends included), against the `workclock` crate configured with the same schedule
//! on the same inputs.
//!
//! Each iteration runs all 100,000 inputs; the throughput is reported per element, so
//! criterion's "time" divided by 100,000 (or its elements/s) is the per-operation cost.
//! Our figures are *warm*: the lazily built year tables are built before measuring. The
//! `cold_year_table` bench measures building one year's table from scratch.
//!
//! Run: `cargo bench --bench calendar`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use escalation_core::calendar::{BusinessCalendar, CalendarSpec};

const INPUTS: usize = 100_000;
const SEED: u64 = 0x5EED_CA1E_11DA_2026;

/// A tiny deterministic PRNG (splitmix64), so the bench needs no `rand`.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).expect("valid nth weekday")
}

fn last_monday_of_may(year: i32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, 5, 31).expect("May 31");
    while d.weekday() != Weekday::Mon {
        d = d.pred_opt().expect("date");
    }
    d
}

/// Ten US-federal-like holidays per year (no weekend observance shifts).
fn holidays(years: std::ops::RangeInclusive<i32>) -> Vec<NaiveDate> {
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    years
        .flat_map(|y| {
            [
                ymd(y, 1, 1),
                nth_weekday(y, 1, Weekday::Mon, 3),
                nth_weekday(y, 2, Weekday::Mon, 3),
                last_monday_of_may(y),
                ymd(y, 6, 19),
                ymd(y, 7, 4),
                nth_weekday(y, 9, Weekday::Mon, 1),
                ymd(y, 11, 11),
                nth_weekday(y, 11, Weekday::Thu, 4),
                ymd(y, 12, 25),
            ]
        })
        .collect()
}

fn spec(holidays: &[NaiveDate]) -> CalendarSpec {
    let day = || vec![["09:00".to_string(), "17:00".to_string()]];
    CalendarSpec {
        timezone: "America/New_York".to_string(),
        hours: ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|k| (k.to_string(), day()))
            .collect(),
        holidays: holidays.to_vec(),
        overrides: Default::default(),
        breaks: Vec::new(),
    }
}

struct Inputs {
    starts: Vec<DateTime<Utc>>,
    ends: Vec<DateTime<Utc>>,
}

/// 100,000 starts over 2024-2028: 1/8 on holidays, 1/8 on DST weekends (Fri-Mon around
/// the March and November switches), 1/8 after hours on weekdays, the rest uniform (which
/// includes weekends); each end is start + up to 30 days.
fn inputs(holidays: &[NaiveDate]) -> Inputs {
    let mut rng = SplitMix64(SEED);
    let first = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .expect("rfc3339")
        .with_timezone(&Utc);
    let span_secs = 5 * 365 * 86_400;
    let range_holidays: Vec<NaiveDate> = holidays
        .iter()
        .copied()
        .filter(|d| (2024..=2028).contains(&d.year()))
        .collect();
    let local_midnight_utc = |d: NaiveDate| {
        // New York midnight is 04:00 or 05:00 UTC; 05:00 is inside the date either way.
        d.and_hms_opt(5, 0, 0).expect("time").and_utc()
    };
    let mut starts = Vec::with_capacity(INPUTS);
    let mut ends = Vec::with_capacity(INPUTS);
    for _ in 0..INPUTS {
        let start = match rng.below(8) {
            0 => {
                let d = range_holidays[rng.below(range_holidays.len() as u64) as usize];
                local_midnight_utc(d) + TimeDelta::seconds(rng.below(86_400) as i64 - 3600)
            }
            1 => {
                let year = 2024 + rng.below(5) as i32;
                let switch = if rng.below(2) == 0 {
                    nth_weekday(year, 3, Weekday::Sun, 2)
                } else {
                    nth_weekday(year, 11, Weekday::Sun, 1)
                };
                local_midnight_utc(switch) - TimeDelta::days(2)
                    + TimeDelta::seconds(rng.below(4 * 86_400) as i64)
            }
            2 => {
                let t = first + TimeDelta::days(rng.below(5 * 365) as i64);
                // 22:00-04:00 UTC is 17:00-00:00 New York.
                t + TimeDelta::hours(22) + TimeDelta::seconds(rng.below(6 * 3600) as i64)
            }
            _ => first + TimeDelta::seconds(rng.below(span_secs) as i64),
        };
        starts.push(start);
        ends.push(start + TimeDelta::seconds(rng.below(30 * 86_400) as i64));
    }
    Inputs { starts, ends }
}

fn to_jiff(t: DateTime<Utc>) -> jiff::Timestamp {
    jiff::Timestamp::new(t.timestamp(), t.timestamp_subsec_nanos() as i32).expect("timestamp")
}

fn workclock_schedule(holidays: &[NaiveDate]) -> workclock::Schedule {
    use jiff::civil::{date, time};
    let dates = holidays
        .iter()
        .map(|d| date(d.year() as i16, d.month() as i8, d.day() as i8));
    workclock::Schedule::builder()
        .time_zone("America/New_York")
        .rule(workclock::WorkDay::new(
            time(9, 0, 0, 0),
            time(17, 0, 0, 0),
            workclock::Weekdays::MON_TO_FRI,
        ))
        .rule(workclock::Holidays::new(dates))
        .build()
        .expect("workclock schedule")
}

fn bench(c: &mut Criterion) {
    let holidays = holidays(2023..=2029);
    let calendar = BusinessCalendar::new(spec(&holidays)).expect("calendar");
    let inputs = inputs(&holidays);
    let eight_hours = TimeDelta::hours(8);

    // Warm the lazy year tables (2024-2029) so the figures below are warm.
    for (&s, &e) in inputs.starts.iter().zip(&inputs.ends) {
        black_box(calendar.add(s, eight_hours).ok());
        black_box(calendar.elapsed(s, e));
    }

    let wc = workclock_schedule(&holidays);
    let j_starts: Vec<jiff::Timestamp> = inputs.starts.iter().map(|&t| to_jiff(t)).collect();
    let j_ends: Vec<jiff::Timestamp> = inputs.ends.iter().map(|&t| to_jiff(t)).collect();
    let j_eight = jiff::SignedDuration::from_hours(8);

    // Agreement on every input (printed, not asserted).
    let mut add_agree = 0usize;
    let mut elapsed_agree = 0usize;
    for i in 0..INPUTS {
        let ours = calendar.add(inputs.starts[i], eight_hours).expect("add");
        if let Ok(theirs) = wc.add(j_starts[i], j_eight)
            && theirs == to_jiff(ours)
        {
            add_agree += 1;
        }
        let ours = calendar.elapsed(inputs.starts[i], inputs.ends[i]);
        let theirs = wc.between(j_starts[i], j_ends[i]);
        if theirs.as_secs() == ours.num_seconds() && theirs.subsec_nanos() == ours.subsec_nanos() {
            elapsed_agree += 1;
        }
    }
    println!(
        "workclock agreement on {INPUTS} inputs: add(8h) {add_agree}, elapsed {elapsed_agree}"
    );

    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(INPUTS as u64));
    group.bench_function("ours/add_8h (warm, 100k inputs)", |b| {
        b.iter(|| {
            for &s in &inputs.starts {
                black_box(calendar.add(black_box(s), eight_hours).ok());
            }
        })
    });
    group.bench_function("ours/elapsed_30d (warm, 100k inputs)", |b| {
        b.iter(|| {
            for (&s, &e) in inputs.starts.iter().zip(&inputs.ends) {
                black_box(calendar.elapsed(black_box(s), black_box(e)));
            }
        })
    });
    group.sample_size(10);
    group.bench_function("workclock/add_8h (100k inputs)", |b| {
        b.iter(|| {
            for &s in &j_starts {
                black_box(wc.add(black_box(s), j_eight).ok());
            }
        })
    });
    group.bench_function("workclock/elapsed_30d (100k inputs)", |b| {
        b.iter(|| {
            for (&s, &e) in j_starts.iter().zip(&j_ends) {
                black_box(wc.between(black_box(s), black_box(e)));
            }
        })
    });
    group.finish();

    let mut cold = c.benchmark_group("calendar_cold");
    cold.sample_size(20);
    let probe = inputs.starts[0];
    cold.bench_function("ours/build one year table", |b| {
        b.iter_batched(
            || BusinessCalendar::new(spec(&holidays)).expect("calendar"),
            |fresh| black_box(fresh.is_open(probe)),
            BatchSize::SmallInput,
        )
    });
    cold.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
