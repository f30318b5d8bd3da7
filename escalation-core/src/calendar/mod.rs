//! Business calendars: when a support team is working, and business-time arithmetic
//! (deadlines, elapsed business time) over it.
//!
//! A [`BusinessCalendar`] is built from a [`CalendarSpec`]: an IANA time zone, weekly
//! hours, holidays, date overrides and breaks. An instant is business time when its local
//! wall-clock time in the calendar's zone lies in a window of that local date, so
//! business time is measured in real seconds: a window that a spring-forward gap
//! swallows contributes only the local times that exist, and a fall-back hour inside a
//! window counts twice.
//!
//! # Supported range
//!
//! Instants from 1900-01-01T00:00:00Z (inclusive) to 2201-01-01T00:00:00Z (exclusive).
//! Outside it the calendar is treated as closed: [`BusinessCalendar::elapsed`] and
//! [`BusinessCalendar::is_open`] never fail, while the operations that must find an
//! instant return [`Error::OutOfRange`] when the answer would lie outside.
//!
//! chrono-tz (0.10) carries each zone's transitions only up to 2099 (tzdb's compiled
//! horizon); after the last one the zone keeps its last offset for ever. So from 2100 on
//! a DST zone stays on whichever offset it had at the end of 2099 (standard time for the
//! northern hemisphere, summer time for e.g. Pacific/Auckland): deadlines in 2100-2200
//! are computed without DST.
//!
//! # Performance
//!
//! The calendar compiles lazily, one UTC year at a time, into a table of UTC intervals
//! with running totals (see `table.rs`), cached in the calendar (thread-safe, shared by
//! clones). After the first use of a year, [`elapsed`](BusinessCalendar::elapsed) and
//! [`is_open`](BusinessCalendar::is_open) cost O(1) and [`add`](BusinessCalendar::add)
//! O(1) plus a short search; durations spanning many years skip whole years by their
//! totals.

mod ics;
mod offsets;
mod spec;
mod table;

use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

pub use ics::holidays_from_ics;
pub use spec::{BreakSpec, CalendarSpec, WEEKDAY_KEYS, WindowSpec};

use crate::error::Error;
use spec::Rules;
use table::{YEARS, YearIndex, YearTable};

const NANOS: i64 = 1_000_000_000;

/// A compiled business calendar; cheap to clone (the compiled state is shared).
#[derive(Clone)]
pub struct BusinessCalendar {
    inner: Arc<Compiled>,
}

struct Compiled {
    spec: CalendarSpec,
    rules: Rules,
    years: Box<[OnceLock<YearTable>]>,
    /// Open all the time (the built-in `always`): business time is wall time, so the
    /// operations need no table inside the supported range.
    continuous: bool,
}

impl fmt::Debug for BusinessCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let built = self
            .inner
            .years
            .iter()
            .filter(|y| y.get().is_some())
            .count();
        f.debug_struct("BusinessCalendar")
            .field("spec", &self.inner.spec)
            .field("years_built", &built)
            .finish()
    }
}

/// Where an instant lies in the tables: its year, the first interval of that year ending
/// after it, and the business nanoseconds of the year before it.
#[derive(Clone, Copy)]
struct Position {
    year: usize,
    interval: usize,
    cum: i64,
}

impl BusinessCalendar {
    /// Validates `spec` and builds the calendar (its tables are built lazily on use).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the first invalid field; see
    /// [`CalendarSpec::validate`].
    pub fn new(spec: CalendarSpec) -> Result<BusinessCalendar, Error> {
        let rules = match spec.compile() {
            Ok(rules) => rules,
            Err(mut problems) => {
                return Err(if problems.is_empty() {
                    Error::Internal("calendar validation failed without a problem".into())
                } else {
                    problems.swap_remove(0)
                });
            }
        };
        let years = (0..YEARS).map(|_| OnceLock::new()).collect();
        Ok(BusinessCalendar {
            inner: Arc::new(Compiled {
                spec,
                rules,
                years,
                continuous: false,
            }),
        })
    }

    /// The calendar that is always open (24/7, UTC): the policy's built-in `always`
    /// calendar, for which business time is wall time.
    pub fn always() -> BusinessCalendar {
        let day = || vec![["00:00".to_string(), "24:00".to_string()]];
        let spec = CalendarSpec {
            timezone: "Etc/UTC".to_string(),
            hours: WEEKDAY_KEYS
                .iter()
                .map(|k| (k.to_string(), day()))
                .collect(),
            holidays: Vec::new(),
            overrides: Default::default(),
            breaks: Vec::new(),
        };
        let rules = Rules {
            tz: Tz::Etc__UTC,
            weekly: std::array::from_fn(|_| vec![(0, 86_400)]),
            holidays: Default::default(),
            overrides: Default::default(),
            breaks: Default::default(),
        };
        let years = (0..YEARS).map(|_| OnceLock::new()).collect();
        BusinessCalendar {
            inner: Arc::new(Compiled {
                spec,
                rules,
                years,
                continuous: true,
            }),
        }
    }

    /// For a continuous calendar, `t + d` when both ends lie inside the supported range.
    fn continuous_shift(&self, t: DateTime<Utc>, d: TimeDelta) -> Option<DateTime<Utc>> {
        if !self.inner.continuous {
            return None;
        }
        let index = YearIndex::get();
        let inside = |x: DateTime<Utc>| {
            to_nanos(x).is_some_and(|ns| ns >= index.range_start() && ns < index.range_end())
        };
        let end = t.checked_add_signed(d)?;
        (inside(t) && inside(end)).then_some(end)
    }

    /// The spec the calendar was built from.
    pub fn spec(&self) -> &CalendarSpec {
        &self.inner.spec
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.inner.rules.tz
    }

    /// The first instant of the supported range, 1900-01-01T00:00:00Z.
    pub fn range_start() -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(YearIndex::get().range_start())
    }

    /// The first instant after the supported range, 2201-01-01T00:00:00Z.
    pub fn range_end() -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(YearIndex::get().range_end())
    }

    /// Whether `t` is business time. Instants outside the supported range are closed.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        let Some(ns) = in_range(t) else {
            return false;
        };
        if self.inner.continuous {
            return true;
        }
        let table = self.year(YearIndex::get().year_of(ns));
        let k = table.first_ending_after(ns);
        k < table.len() && table.starts[k] <= ns
    }

    /// The business time in `[a, b)`; negative when `b` is before `a`
    /// (`elapsed(b, a) == -elapsed(a, b)`). Time outside the supported range counts as
    /// closed. Exact to the nanosecond.
    pub fn elapsed(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let (a, b) = (clamp(a), clamp(b));
        if a == b {
            return TimeDelta::zero();
        }
        if self.inner.continuous {
            return delta_from_nanos(i128::from(b) - i128::from(a));
        }
        let (lo, hi, sign) = if a < b { (a, b, 1) } else { (b, a, -1) };
        let pa = self.position(lo);
        let pb = self.position(hi);
        let ns: i128 = if pa.year == pb.year {
            i128::from(pb.cum - pa.cum)
        } else {
            let mut sum = i128::from(self.year(pa.year).total() - pa.cum);
            for y in pa.year + 1..pb.year {
                sum += i128::from(self.year(y).total());
            }
            sum + i128::from(pb.cum)
        };
        delta_from_nanos(sign * ns)
    }

    /// The deadline `d` of business time after `start`: the earliest `t >= start` with
    /// `elapsed(start, t) >= d`.
    ///
    /// A budget used up exactly at a close gives that close (not the next opening), and
    /// `add(s, 0) == s` even when `s` is closed. A negative `d` goes backwards:
    /// `add(s, -d) == subtract(s, d)`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] when the answer would lie outside the supported range.
    pub fn add(&self, start: DateTime<Utc>, d: TimeDelta) -> Result<DateTime<Utc>, Error> {
        if let Some(end) = self.continuous_shift(start, d) {
            return Ok(end);
        }
        let ns = delta_nanos(d);
        match ns.cmp(&0) {
            std::cmp::Ordering::Equal => Ok(start),
            std::cmp::Ordering::Greater => self.forward(start, ns),
            std::cmp::Ordering::Less => self.backward(start, -ns),
        }
    }

    /// The instant `d` of business time before `end`: the latest `t <= end` with
    /// `elapsed(t, end) >= d`.
    ///
    /// A budget used up exactly at an opening gives that opening, and
    /// `subtract(e, 0) == e`. A negative `d` goes forwards:
    /// `subtract(e, -d) == add(e, d)`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] when the answer would lie outside the supported range.
    pub fn subtract(&self, end: DateTime<Utc>, d: TimeDelta) -> Result<DateTime<Utc>, Error> {
        if let Some(start) = self.continuous_shift(end, -d) {
            return Ok(start);
        }
        let ns = delta_nanos(d);
        match ns.cmp(&0) {
            std::cmp::Ordering::Equal => Ok(end),
            std::cmp::Ordering::Greater => self.backward(end, ns),
            std::cmp::Ordering::Less => self.forward(end, -ns),
        }
    }

    /// `t` itself when it is business time, else the next opening after it.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] when no opening follows `t` within the supported range.
    pub fn next_open(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        let index = YearIndex::get();
        let ns = to_nanos(t).map_or(index.range_end(), |ns| ns.max(index.range_start()));
        if ns >= index.range_end() {
            return Err(out_of_range(format!("no opening after {t}")));
        }
        let p = self.position(ns);
        let table = self.year(p.year);
        if p.interval < table.len() {
            let start = table.starts[p.interval];
            return Ok(if start <= ns {
                t.max(Self::range_start())
            } else {
                DateTime::from_timestamp_nanos(start)
            });
        }
        for y in p.year + 1..YEARS {
            if let Some(&start) = self.year(y).starts.first() {
                return Ok(DateTime::from_timestamp_nanos(start));
            }
        }
        Err(out_of_range(format!("no opening after {t}")))
    }

    /// `t` itself when the instant just before it is business time, else the previous
    /// close before it.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] when no business time precedes `t` within the supported
    /// range.
    pub fn previous_close(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        let index = YearIndex::get();
        let ns = to_nanos(t).map_or(index.range_start(), |ns| ns.min(index.range_end()));
        if ns <= index.range_start() {
            return Err(out_of_range(format!("no close before {t}")));
        }
        // Past the range, `t` stands for the range's end (the calendar is closed after it).
        let t = if to_nanos(t) == Some(ns) {
            t
        } else {
            DateTime::from_timestamp_nanos(ns)
        };
        let p = self.position(ns);
        let table = self.year(p.year);
        if p.interval < table.len() && table.starts[p.interval] < ns {
            return Ok(t);
        }
        if p.interval > 0 {
            let end = table.ends[p.interval - 1];
            return Ok(if end >= ns {
                t
            } else {
                DateTime::from_timestamp_nanos(end)
            });
        }
        for y in (0..p.year).rev() {
            if let Some(&end) = self.year(y).ends.last() {
                return Ok(if end >= ns {
                    t
                } else {
                    DateTime::from_timestamp_nanos(end)
                });
            }
        }
        Err(out_of_range(format!("no close before {t}")))
    }

    /// The business intervals overlapping `[from, to)`, clipped to it, in order, as
    /// `[open, close)` pairs; for explaining how a deadline was reached. Adjacent
    /// intervals (24/7 calendars, a year boundary) come merged.
    pub fn segments(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let (from, to) = (clamp(from), clamp(to));
        let start = if from < to {
            let p = self.position(from);
            Some((p.year, p.interval))
        } else {
            None
        };
        Segments {
            calendar: self,
            next: start,
            from,
            to,
        }
    }

    /// The table of year index `year`, built on first use.
    #[inline]
    fn year(&self, year: usize) -> &YearTable {
        self.inner.years[year].get_or_init(|| YearTable::build(&self.inner.rules, year))
    }

    /// The position of `ns`, which must lie in `[range_start, range_end]`.
    #[inline]
    fn position(&self, ns: i64) -> Position {
        let index = YearIndex::get();
        if ns >= index.range_end() {
            let year = YEARS - 1;
            let table = self.year(year);
            return Position {
                year,
                interval: table.len(),
                cum: table.total(),
            };
        }
        let year = index.year_of(ns);
        let (interval, cum) = self.year(year).position(ns);
        Position {
            year,
            interval,
            cum,
        }
    }

    /// `add` for a positive number of nanoseconds.
    fn forward(&self, start: DateTime<Utc>, d: i128) -> Result<DateTime<Utc>, Error> {
        let index = YearIndex::get();
        let raw = to_nanos(start);
        let ns = match raw {
            Some(ns) if ns < index.range_end() => ns.max(index.range_start()),
            _ => {
                return Err(out_of_range(format!(
                    "{start} is after the supported range"
                )));
            }
        };
        let p = self.position(ns);
        let table = self.year(p.year);
        let available = i128::from(table.total() - p.cum);
        if d <= available {
            let target = p.cum + d as i64;
            let end = table.forward_to(target, p.interval);
            return Ok(shift(start, ns, raw == Some(ns), end));
        }
        let mut remaining = d - available;
        for y in p.year + 1..YEARS {
            let table = self.year(y);
            let total = i128::from(table.total());
            if remaining <= total {
                return Ok(DateTime::from_timestamp_nanos(
                    table.forward_to(remaining as i64, 0),
                ));
            }
            remaining -= total;
        }
        Err(out_of_range(format!(
            "adding {} of business time to {start} goes past {}",
            delta_from_nanos(d),
            Self::range_end()
        )))
    }

    /// `subtract` for a positive number of nanoseconds.
    fn backward(&self, end: DateTime<Utc>, d: i128) -> Result<DateTime<Utc>, Error> {
        let index = YearIndex::get();
        let raw = to_nanos(end);
        let ns = match raw {
            Some(ns) if ns > index.range_start() => ns.min(index.range_end()),
            _ => return Err(out_of_range(format!("{end} is before the supported range"))),
        };
        let p = self.position(ns);
        let table = self.year(p.year);
        if d <= i128::from(p.cum) {
            let target = p.cum - d as i64;
            let start = table.backward_to(target, p.interval);
            return Ok(shift(end, ns, raw == Some(ns), start));
        }
        let mut remaining = d - i128::from(p.cum);
        for y in (0..p.year).rev() {
            let table = self.year(y);
            let total = i128::from(table.total());
            if remaining <= total {
                let target = (total - remaining) as i64;
                return Ok(DateTime::from_timestamp_nanos(
                    table.backward_to(target, table.len().saturating_sub(1)),
                ));
            }
            remaining -= total;
        }
        Err(out_of_range(format!(
            "subtracting {} of business time from {end} goes before {}",
            delta_from_nanos(d),
            Self::range_start()
        )))
    }
}

/// The iterator of [`BusinessCalendar::segments`].
struct Segments<'a> {
    calendar: &'a BusinessCalendar,
    /// The next raw interval to look at: (year, interval index).
    next: Option<(usize, usize)>,
    from: i64,
    to: i64,
}

impl Segments<'_> {
    /// The next raw interval clipped to `[from, to)`, crossing years as needed.
    fn raw(&mut self) -> Option<(i64, i64)> {
        loop {
            let (year, k) = self.next?;
            if YearIndex::get().year_start(year) >= self.to {
                self.next = None;
                return None;
            }
            let table = self.calendar.year(year);
            if k >= table.len() {
                self.next = (year + 1 < YEARS).then_some((year + 1, 0));
                continue;
            }
            let (s, e) = (table.starts[k], table.ends[k]);
            if s >= self.to {
                self.next = None;
                return None;
            }
            self.next = Some((year, k + 1));
            return Some((s.max(self.from), e.min(self.to)));
        }
    }
}

impl Iterator for Segments<'_> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        let (start, mut end) = self.raw()?;
        // Merge intervals split only by a year boundary.
        while let Some((year, k)) = self.next {
            let table = self.calendar.year(year);
            match table.starts.get(k) {
                Some(&s) if s == end && s < self.to => {
                    end = table.ends[k].min(self.to);
                    self.next = Some((year, k + 1));
                }
                Some(_) => break,
                None => {
                    if year + 1 < YEARS && YearIndex::get().year_start(year + 1) == end {
                        self.next = Some((year + 1, 0));
                    } else {
                        break;
                    }
                }
            }
        }
        Some((
            DateTime::from_timestamp_nanos(start),
            DateTime::from_timestamp_nanos(end),
        ))
    }
}

/// The instant `to` (nanoseconds), computed from `from` (whose nanoseconds are
/// `from_ns` when `exact`; else `from` was clamped and is not used) by adding the difference: cheaper than converting
/// nanoseconds to a date from scratch when the two are close.
#[inline]
fn shift(from: DateTime<Utc>, from_ns: i64, exact: bool, to: i64) -> DateTime<Utc> {
    if exact {
        from.checked_add_signed(TimeDelta::nanoseconds(to - from_ns))
            .unwrap_or_else(|| DateTime::from_timestamp_nanos(to))
    } else {
        DateTime::from_timestamp_nanos(to)
    }
}

/// Nanoseconds since the epoch, if they fit an `i64` (1677 to 2262).
#[inline]
fn to_nanos(t: DateTime<Utc>) -> Option<i64> {
    t.timestamp()
        .checked_mul(NANOS)?
        .checked_add(i64::from(t.timestamp_subsec_nanos()))
}

/// Nanoseconds since the epoch when `t` is inside the supported range.
#[inline]
fn in_range(t: DateTime<Utc>) -> Option<i64> {
    let index = YearIndex::get();
    to_nanos(t).filter(|&ns| ns >= index.range_start() && ns < index.range_end())
}

/// Nanoseconds since the epoch, clamped to `[range_start, range_end]`.
#[inline]
fn clamp(t: DateTime<Utc>) -> i64 {
    let index = YearIndex::get();
    let (lo, hi) = (index.range_start(), index.range_end());
    match to_nanos(t) {
        Some(ns) => ns.clamp(lo, hi),
        None if t.timestamp() < 0 => lo,
        None => hi,
    }
}

/// The nanoseconds of a duration (exact; an `i128` holds any `TimeDelta`).
#[inline]
fn delta_nanos(d: TimeDelta) -> i128 {
    i128::from(d.num_seconds()) * i128::from(NANOS) + i128::from(d.subsec_nanos())
}

/// A duration from nanoseconds (saturating; business time in range always fits).
fn delta_from_nanos(ns: i128) -> TimeDelta {
    let nanos = i128::from(NANOS);
    let secs = i64::try_from(ns.div_euclid(nanos)).unwrap_or(i64::MAX);
    let sub = ns.rem_euclid(nanos) as u32;
    TimeDelta::new(secs, sub).unwrap_or(TimeDelta::MAX)
}

fn out_of_range(message: String) -> Error {
    Error::OutOfRange(message)
}

#[cfg(test)]
mod tests;
