//! The compiled form of a calendar: per UTC year, the business intervals as UTC
//! nanoseconds with running totals.
//!
//! Layout: a [`YearTable`] holds the year's intervals `[starts[k], ends[k])` (sorted,
//! disjoint, non-adjacent, clipped to the UTC year) and `cum[k]`, the business
//! nanoseconds of the year before interval `k` (`cum[n]` is the year's total). A bucket
//! index (`buckets[j]` = first interval ending after the start of the `j`-th 2^45 ns
//! (~9.8 h) slice of the year) finds the interval of an instant with a short scan, so the
//! business position of an instant costs O(1), and [`YearIndex`] finds an instant's year
//! in O(1) as well.

use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate};

use super::offsets::offset_pieces;
use super::spec::{Rules, Window};

/// The first UTC year covered by the tables.
pub(crate) const FIRST_YEAR: i32 = 1900;
/// The last UTC year covered by the tables.
pub(crate) const LAST_YEAR: i32 = 2200;
/// How many years the tables cover.
pub(crate) const YEARS: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;

const NANOS: i64 = 1_000_000_000;
const DAY_SECS: i64 = 86_400;
/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const UNIX_EPOCH_CE_DAYS: i64 = 719_163;
/// Width of an in-year bucket: 2^45 ns, about 9.8 hours.
const BUCKET_SHIFT: u32 = 45;
/// Width of a year-lookup bucket: 2^50 ns, about 13 days (less than a year).
const YEAR_BUCKET_SHIFT: u32 = 50;

/// Finds the UTC year of an instant in O(1).
#[derive(Debug)]
pub(crate) struct YearIndex {
    /// `starts[i]`: first nanosecond of year `FIRST_YEAR + i`; `starts[YEARS]` ends the range.
    starts: Vec<i64>,
    /// For each 2^50 ns bucket of the range, the year index of its first nanosecond.
    bucket_year: Vec<u16>,
}

impl YearIndex {
    /// The shared index.
    pub(crate) fn get() -> &'static YearIndex {
        static INDEX: OnceLock<YearIndex> = OnceLock::new();
        INDEX.get_or_init(YearIndex::build)
    }

    fn build() -> YearIndex {
        let starts: Vec<i64> = (FIRST_YEAR..=LAST_YEAR + 1)
            .map(|y| year_start_secs(y) * NANOS)
            .collect();
        let first = starts[0];
        let last = starts[YEARS];
        // The range spans more than i64::MAX nanoseconds: measure it as u64.
        let buckets = ((last.wrapping_sub(first) as u64 >> YEAR_BUCKET_SHIFT) + 1) as usize;
        let mut bucket_year = Vec::with_capacity(buckets);
        let mut year = 0usize;
        for b in 0..buckets {
            let t = first.wrapping_add(((b as u64) << YEAR_BUCKET_SHIFT) as i64);
            while year + 1 < YEARS && starts[year + 1] <= t {
                year += 1;
            }
            bucket_year.push(year as u16);
        }
        YearIndex {
            starts,
            bucket_year,
        }
    }

    /// First nanosecond of the supported range (1900-01-01T00:00:00Z).
    pub(crate) fn range_start(&self) -> i64 {
        self.starts[0]
    }

    /// First nanosecond after the supported range (2201-01-01T00:00:00Z).
    pub(crate) fn range_end(&self) -> i64 {
        self.starts[YEARS]
    }

    /// First nanosecond of year index `year`.
    pub(crate) fn year_start(&self, year: usize) -> i64 {
        self.starts[year]
    }

    /// The year index of `ns`, which must lie in `[range_start, range_end)`.
    #[inline]
    pub(crate) fn year_of(&self, ns: i64) -> usize {
        let b = (ns.wrapping_sub(self.starts[0]) as u64 >> YEAR_BUCKET_SHIFT) as usize;
        let y = self.bucket_year[b] as usize;
        if ns >= self.starts[y + 1] { y + 1 } else { y }
    }
}

/// Unix seconds of January 1st, 00:00 UTC, of `year`.
fn year_start_secs(year: i32) -> i64 {
    NaiveDate::from_ymd_opt(year, 1, 1).map_or(0, local_day_secs)
}

/// Seconds from the epoch to `date` 00:00 as if the date were UTC.
fn local_day_secs(date: NaiveDate) -> i64 {
    (i64::from(date.num_days_from_ce()) - UNIX_EPOCH_CE_DAYS) * DAY_SECS
}

/// One UTC year's business intervals.
#[derive(Debug)]
pub(crate) struct YearTable {
    /// First nanosecond of the year.
    year_start: i64,
    /// Interval starts, UTC nanoseconds.
    pub(crate) starts: Box<[i64]>,
    /// Interval ends, UTC nanoseconds.
    pub(crate) ends: Box<[i64]>,
    /// Business nanoseconds of the year before each interval; one more entry (the total).
    pub(crate) cum: Box<[i64]>,
    /// Per 2^45 ns bucket, the first interval that ends after the bucket's start.
    buckets: Box<[u32]>,
}

impl YearTable {
    /// The number of intervals.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// The business nanoseconds of the whole year.
    #[inline]
    pub(crate) fn total(&self) -> i64 {
        self.cum[self.starts.len()]
    }

    /// The first interval that ends after `t` (`len()` if none); `t` must lie in the year.
    #[inline]
    pub(crate) fn first_ending_after(&self, t: i64) -> usize {
        let b = ((t - self.year_start) >> BUCKET_SHIFT) as usize;
        let mut k = self.buckets.get(b).map_or(self.len(), |&k| k as usize);
        while k < self.ends.len() && self.ends[k] <= t {
            k += 1;
        }
        k
    }

    /// The interval index `k` of [`first_ending_after`](Self::first_ending_after) and the
    /// business nanoseconds of the year before `t`.
    #[inline]
    pub(crate) fn position(&self, t: i64) -> (usize, i64) {
        let k = self.first_ending_after(t);
        if k < self.starts.len() && self.starts[k] <= t {
            (k, self.cum[k] + (t - self.starts[k]))
        } else {
            (k, self.cum[k])
        }
    }

    /// The earliest instant whose business position in the year is `target`
    /// (`0 < target <= total`), searching from interval `hint` onwards.
    #[inline]
    pub(crate) fn forward_to(&self, target: i64, hint: usize) -> i64 {
        // The answer is the last interval k with cum[k] < target.
        let n = self.len();
        let mut k = hint.min(n.saturating_sub(1));
        let mut steps = 0;
        while k + 1 < n && self.cum[k + 1] < target {
            k += 1;
            steps += 1;
            if steps == 8 {
                k += self.cum[k + 1..n].partition_point(|&c| c < target);
                break;
            }
        }
        self.starts[k] + (target - self.cum[k])
    }

    /// The latest instant whose business position in the year is `target`
    /// (`0 <= target < total`), searching from interval `hint` backwards.
    #[inline]
    pub(crate) fn backward_to(&self, target: i64, hint: usize) -> i64 {
        // The answer is the last interval k (< n) with cum[k] <= target.
        let n = self.len();
        let mut k = hint.min(n.saturating_sub(1));
        let mut steps = 0;
        while k > 0 && self.cum[k] > target {
            k -= 1;
            steps += 1;
            if steps == 8 {
                k = self.cum[..=k]
                    .partition_point(|&c| c <= target)
                    .saturating_sub(1);
                break;
            }
        }
        self.starts[k] + (target - self.cum[k])
    }

    /// Builds the table of UTC year index `year` from the rules.
    pub(crate) fn build(rules: &Rules, year: usize) -> YearTable {
        let index = YearIndex::get();
        let year_start = index.year_start(year);
        let year_end = index.year_start(year + 1);
        let (s0, s1) = (year_start / NANOS, year_end / NANOS);

        // Offsets ±3 days around the year cover every local date whose windows can reach
        // it (UTC offsets stay within ±26 h).
        let pieces = offset_pieces(rules.tz, s0 - 3 * DAY_SECS, s1 + 3 * DAY_SECS);

        let mut raw: Vec<(i64, i64)> = Vec::with_capacity(800);
        let mut windows: Vec<Window> = Vec::with_capacity(8);
        let first_date = date_of_secs(s0 - 2 * DAY_SECS);
        let last_date = date_of_secs(s1 + 2 * DAY_SECS);
        let mut date = first_date;
        while date <= last_date {
            windows.clear();
            rules.day_windows(date, &mut windows);
            let day = local_day_secs(date);
            for &(open, close) in &windows {
                let (a, b) = (day + i64::from(open), day + i64::from(close));
                // The instants of this piece whose local time t + offset is in [a, b).
                for p in &pieces {
                    let lo = (a - p.offset).max(p.start).max(s0);
                    let hi = (b - p.offset).min(p.end).min(s1);
                    if lo < hi {
                        raw.push((lo, hi));
                    }
                }
            }
            match date.checked_add_days(Days::new(1)) {
                Some(next) => date = next,
                None => break,
            }
        }
        raw.sort_unstable();

        let mut starts: Vec<i64> = Vec::with_capacity(raw.len());
        let mut ends: Vec<i64> = Vec::with_capacity(raw.len());
        for (lo, hi) in raw {
            match ends.last_mut() {
                Some(end) if *end >= lo * NANOS => *end = (*end).max(hi * NANOS),
                _ => {
                    starts.push(lo * NANOS);
                    ends.push(hi * NANOS);
                }
            }
        }
        let mut cum = Vec::with_capacity(starts.len() + 1);
        let mut total = 0i64;
        for (s, e) in starts.iter().zip(&ends) {
            cum.push(total);
            total += e - s;
        }
        cum.push(total);

        let bucket_count = (((year_end - year_start) >> BUCKET_SHIFT) + 1) as usize;
        let mut buckets = Vec::with_capacity(bucket_count);
        let mut k = 0usize;
        for b in 0..bucket_count {
            let t = year_start + ((b as i64) << BUCKET_SHIFT);
            while k < ends.len() && ends[k] <= t {
                k += 1;
            }
            buckets.push(k as u32);
        }

        YearTable {
            year_start,
            starts: starts.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
            cum: cum.into_boxed_slice(),
            buckets: buckets.into_boxed_slice(),
        }
    }
}

/// The UTC date of Unix second `secs`.
fn date_of_secs(secs: i64) -> NaiveDate {
    let days = secs.div_euclid(DAY_SECS) + UNIX_EPOCH_CE_DAYS;
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(NaiveDate::MIN)
}
