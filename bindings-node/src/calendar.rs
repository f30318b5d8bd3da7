//! `BusinessCalendar`: business-time arithmetic over
//! [`escalation_core::calendar::BusinessCalendar`].
//!
//! Each method converts its arguments, calls the core and converts the answer back; instants
//! are `Date`s or epoch milliseconds (see `date.rs`), durations milliseconds. The batch forms
//! take a `Float64Array` of epoch milliseconds (answering with a `Float64Array`) or an array of
//! `Date`s and numbers (answering with an array); `NaN` stays `NaN` (see `arrays.rs`).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use escalation_core::calendar::CalendarSpec;
use escalation_core::error::Error;
use napi::Env;
use napi::JsDate;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;

use crate::arrays::{self, Batch};
use crate::date::{duration, instant, span_millis, to_date};
use crate::document::{self, Unsupported};
use crate::error::{Failure, guard};

/// A business calendar: a time zone, weekly hours, holidays, date overrides and breaks.
///
/// Immutable; the compiled year tables are built on first use and shared by every call.
/// Instants are `Date`s or epoch milliseconds; answers are `Date`s truncated to the
/// millisecond, which is all the precision JavaScript time has.
#[napi]
pub struct BusinessCalendar {
    pub(crate) inner: escalation_core::calendar::BusinessCalendar,
}

/// A business calendar's JSON form, as `new BusinessCalendar(...)` takes it and `toJSON()`
/// returns it (the core's `CalendarSpec`). Times are `"HH:MM"` (`"24:00"` ends a day), dates
/// `"YYYY-MM-DD"`. Declared for TypeScript only: the object itself goes through
/// `JSON.stringify` to the core, which names the offending field of a bad one.
#[napi(
    object,
    js_name = "CalendarSpec",
    object_from_js = false,
    object_to_js = false
)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct CalendarSpecObject {
    /// The IANA time zone of the hours, holidays, overrides and breaks (`America/New_York`).
    pub timezone: String,
    /// Weekly hours: for each weekday key (`mon` ... `sun`) its `[open, close]` windows.
    #[napi(
        ts_type = "Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', Array<[string, string]>>>"
    )]
    pub hours: HashMap<String, Vec<Vec<String>>>,
    /// Local dates on which the calendar is closed all day.
    pub holidays: Option<Vec<String>>,
    /// Local dates whose windows replace that weekday's (an empty list closes the date).
    #[napi(ts_type = "Record<string, Array<[string, string]>>")]
    pub overrides: Option<HashMap<String, Vec<Vec<String>>>>,
    /// Date-specific windows removed from business time.
    #[napi(ts_type = "Array<BreakSpec>")]
    pub breaks: Option<Vec<BreakSpecObject>>,
}

/// A break: local wall-clock time `[from, to)` on one date that is not business time.
#[napi(
    object,
    js_name = "BreakSpec",
    object_from_js = false,
    object_to_js = false
)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct BreakSpecObject {
    /// The local date, `"YYYY-MM-DD"`.
    pub date: String,
    /// When the break starts, `"HH:MM"`.
    pub from: String,
    /// When the break ends, `"HH:MM"` or `"24:00"`.
    pub to: String,
}

impl BusinessCalendar {
    fn build(spec: CalendarSpec) -> Result<BusinessCalendar, Failure> {
        Ok(BusinessCalendar {
            inner: escalation_core::calendar::BusinessCalendar::new(spec)?,
        })
    }
}

#[napi]
impl BusinessCalendar {
    /// Builds a calendar from its JSON form as an object: `{ timezone, hours, holidays,
    /// overrides, breaks }` (the last three optional). Throws `INVALID_INPUT` naming the
    /// offending field (`hours.mon[0]`, `holidays[1]`, ...).
    #[napi(constructor, catch_unwind, ts_args_type = "spec: CalendarSpec")]
    pub fn new(env: &Env, spec: Unknown<'_>) -> napi::Result<Self> {
        guard(env, || {
            let text = document::stringify(env, "calendar", spec, Unsupported::into_invalid)?;
            BusinessCalendar::build(CalendarSpec::from_json_str(&text)?)
        })
    }

    /// Builds a calendar from its JSON form as text.
    #[napi(factory, catch_unwind, ts_args_type = "text: string")]
    pub fn from_json(env: &Env, text: Unknown<'_>) -> napi::Result<Self> {
        guard(env, || {
            let text = document::text("text", &text)?;
            BusinessCalendar::build(CalendarSpec::from_json_str(&text)?)
        })
    }

    /// The calendar's IANA time zone.
    #[napi(getter, catch_unwind)]
    pub fn timezone(&self) -> String {
        self.inner.spec().timezone.clone()
    }

    /// The calendar's JSON form as a plain object (what the constructor takes), so
    /// `JSON.stringify(calendar)` writes what `BusinessCalendar.fromJson` reads.
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "CalendarSpec")]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        guard(env, || document::to_object(env, self.inner.spec()))
    }

    /// The deadline `ms` milliseconds of business time after `start`: the earliest
    /// `t >= start` with `elapsed(start, t) >= ms`. Throws `OUT_OF_RANGE` when that lies
    /// outside 1900-01-01 to 2201-01-01 UTC.
    #[napi(
        catch_unwind,
        ts_args_type = "start: Date | number, ms: number",
        ts_return_type = "Date"
    )]
    pub fn add<'env>(
        &self,
        env: &'env Env,
        start: Unknown<'_>,
        ms: Unknown<'_>,
    ) -> napi::Result<JsDate<'env>> {
        guard(env, || {
            let start = instant(&"start", &start)?;
            let end = self.inner.add(start, duration("ms", &ms)?)?;
            to_date(env, end)
        })
    }

    /// The instant `ms` milliseconds of business time before `end`: the latest `t <= end`
    /// with `elapsed(t, end) >= ms`.
    #[napi(
        catch_unwind,
        ts_args_type = "end: Date | number, ms: number",
        ts_return_type = "Date"
    )]
    pub fn subtract<'env>(
        &self,
        env: &'env Env,
        end: Unknown<'_>,
        ms: Unknown<'_>,
    ) -> napi::Result<JsDate<'env>> {
        guard(env, || {
            let end = instant(&"end", &end)?;
            let start = self.inner.subtract(end, duration("ms", &ms)?)?;
            to_date(env, start)
        })
    }

    /// The business time in `[a, b)` in milliseconds; negative when `b` is before `a`.
    #[napi(catch_unwind, ts_args_type = "a: Date | number, b: Date | number")]
    pub fn elapsed(&self, env: &Env, a: Unknown<'_>, b: Unknown<'_>) -> napi::Result<f64> {
        guard(env, || {
            let a = instant(&"a", &a)?;
            let b = instant(&"b", &b)?;
            Ok(span_millis(self.inner.elapsed(a, b)))
        })
    }

    /// Whether `t` is business time.
    #[napi(catch_unwind, ts_args_type = "t: Date | number")]
    pub fn is_open(&self, env: &Env, t: Unknown<'_>) -> napi::Result<bool> {
        guard(env, || Ok(self.inner.is_open(instant(&"t", &t)?)))
    }

    /// `t` itself when it is business time, else the next opening after it.
    #[napi(
        catch_unwind,
        ts_args_type = "t: Date | number",
        ts_return_type = "Date"
    )]
    pub fn next_open<'env>(&self, env: &'env Env, t: Unknown<'_>) -> napi::Result<JsDate<'env>> {
        guard(env, || {
            let open = self.inner.next_open(instant(&"t", &t)?)?;
            to_date(env, open)
        })
    }

    /// `t` itself when the instant just before it is business time, else the previous close.
    #[napi(
        catch_unwind,
        ts_args_type = "t: Date | number",
        ts_return_type = "Date"
    )]
    pub fn previous_close<'env>(
        &self,
        env: &'env Env,
        t: Unknown<'_>,
    ) -> napi::Result<JsDate<'env>> {
        guard(env, || {
            let close = self.inner.previous_close(instant(&"t", &t)?)?;
            to_date(env, close)
        })
    }

    /// `add(start, ms)` for each start: a `Float64Array` of epoch milliseconds for a
    /// `Float64Array`, an array of `Date`s for an array. `NaN` (or an Invalid Date) in gives
    /// `NaN` (or an Invalid Date) out.
    #[napi(
        catch_unwind,
        ts_generic_types = "T extends Float64Array | Array<Date | number>",
        ts_args_type = "starts: T, ms: number",
        ts_return_type = "T extends Float64Array ? Float64Array : Array<Date>"
    )]
    pub fn add_many<'env>(
        &self,
        env: &'env Env,
        starts: Unknown<'_>,
        ms: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        guard(env, || {
            let starts = arrays::batch("starts", &starts)?;
            let d = duration("ms", &ms)?;
            let ends = arrays::map_millis("starts", starts.millis(), |t| self.inner.add(t, d))?;
            match starts {
                Batch::Buffer(_) => arrays::buffer(env, ends),
                Batch::List(_) => arrays::dates(env, &ends),
            }
        })
    }

    /// `elapsed(a, b)` in milliseconds for each pair of `starts` and `ends` (of the same
    /// length, both `Float64Array`s or both arrays): a `Float64Array` for `Float64Array`s, an
    /// array of numbers for arrays. `NaN` on either side gives `NaN`.
    #[napi(
        catch_unwind,
        ts_generic_types = "T extends Float64Array | Array<Date | number>",
        ts_args_type = "starts: T, ends: T extends Float64Array ? Float64Array : Array<Date | number>",
        ts_return_type = "T extends Float64Array ? Float64Array : Array<number>"
    )]
    pub fn elapsed_many<'env>(
        &self,
        env: &'env Env,
        starts: Unknown<'_>,
        ends: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        guard(env, || {
            let starts = arrays::batch("starts", &starts)?;
            let ends = arrays::batch("ends", &ends)?;
            if starts.is_buffer() != ends.is_buffer() {
                return Err(Error::invalid(
                    "ends",
                    "a mix of a Float64Array and an array",
                    "pass two Float64Arrays or two arrays",
                )
                .into());
            }
            let (a, b) = (starts.millis(), ends.millis());
            if a.len() != b.len() {
                return Err(Error::invalid(
                    "ends",
                    format!("{} items", b.len()),
                    format!("must have as many items as starts ({})", a.len()),
                )
                .into());
            }
            let spans = arrays::zip_millis(a, b, |a, b| self.inner.elapsed(a, b))?;
            if starts.is_buffer() {
                arrays::buffer(env, spans)
            } else {
                arrays::numbers(env, spans)
            }
        })
    }
}

/// Times `rounds` passes of the core's `add` over `starts` (epoch milliseconds) in a Rust
/// loop and returns nanoseconds per call: the Rust figure the bench compares `add` from
/// JavaScript with.
#[napi(
    js_name = "_timeRustAdd",
    catch_unwind,
    ts_args_type = "calendar: BusinessCalendar, starts: Float64Array, ms: number, rounds: number"
)]
pub fn time_rust_add(
    env: &Env,
    calendar: &BusinessCalendar,
    starts: Unknown<'_>,
    ms: Unknown<'_>,
    rounds: u32,
) -> napi::Result<f64> {
    guard(env, || {
        let starts = arrays::batch("starts", &starts)?;
        let starts = starts
            .millis()
            .iter()
            .enumerate()
            .map(|(i, &ms)| crate::date::from_millis(&crate::date::Indexed("starts", i), ms))
            .collect::<Result<Vec<_>, _>>()?;
        let d = duration("ms", &ms)?;
        let calendar = &calendar.inner;
        let calls = (starts.len() * rounds as usize).max(1);
        let clock = Instant::now();
        for _ in 0..rounds {
            for &start in &starts {
                let _ = black_box(calendar.add(black_box(start), black_box(d)));
            }
        }
        Ok(clock.elapsed().as_nanos() as f64 / calls as f64)
    })
}
