"""Business-calendar benchmark from Python: what a call costs over the Rust call, what the
batch form sustains, and the same inputs through the PyPI peers businesstimedelta and
workclock.

The schedule and the inputs are those of the Rust bench (benches/calendar.rs): Mon-Fri
09:00-17:00 America/New_York with 10 US-federal-like holidays a year, 100,000 starts in
2024-2028 drawn with the same seeded splitmix64 generator (one in eight on a holiday, one in
eight on a DST weekend, one in eight after hours, the rest uniform), each with an end up to
30 days later. Our year tables are warmed before measuring, as in the Rust bench.

Figures:
- ``add`` per call from Python, for UTC and for New York datetimes, against the Rust call
  timed in a Rust loop over the same instants (``escalation._native._time_rust_add``); the
  difference is the binding's overhead (argument conversion, the GIL release, building the
  answer datetime in the calendar's zone, and the Python loop itself);
- ``elapsed`` per call from Python;
- ``add_many`` and ``elapsed_many`` throughput on numpy ``datetime64[ns]`` arrays (1,000,000
  elements) and on lists of datetimes;
- the same operations through workclock (``Schedule.add``/``between``, ``add_many``/
  ``between_many``) and businesstimedelta (``start + BusinessTimeDelta``,
  ``Rules.difference``) when they are installed (``requirements-bench.txt``); a peer that is
  missing is skipped and said so. Each peer's answers are compared with ours.

Run: ``make python-bench`` (release build), or ``python bench/bench_calendar.py [--quick]``
in a venv where the package is installed. Timings take the best of several repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import escalation
from escalation import BusinessCalendar, _native

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
SEED = 0x5EED_CA1E_11DA_2026
MASK = (1 << 64) - 1
EIGHT_HOURS = timedelta(hours=8)
MON, THU, SUN = 0, 3, 6


class SplitMix64:
    """The Rust bench's generator, bit for bit."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def next(self) -> int:
        self.state = (self.state + 0x9E37_79B9_7F4A_7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def last_monday_of_may(year: int) -> date:
    d = date(year, 5, 31)
    return d - timedelta(days=(d.weekday() - MON) % 7)


def holidays(years: range) -> list[date]:
    out: list[date] = []
    for y in years:
        out += [
            date(y, 1, 1),
            nth_weekday(y, 1, MON, 3),
            nth_weekday(y, 2, MON, 3),
            last_monday_of_may(y),
            date(y, 6, 19),
            date(y, 7, 4),
            nth_weekday(y, 9, MON, 1),
            date(y, 11, 11),
            nth_weekday(y, 11, THU, 4),
            date(y, 12, 25),
        ]
    return out


def inputs(days_off: list[date], n: int) -> tuple[list[datetime], list[datetime]]:
    """The Rust bench's starts and ends (UTC), in the same order."""
    rng = SplitMix64(SEED)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    span_secs = 5 * 365 * 86_400
    in_range = [d for d in days_off if 2024 <= d.year <= 2028]

    def local_midnight_utc(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, 5, tzinfo=UTC)

    starts, ends = [], []
    for _ in range(n):
        kind = rng.below(8)
        if kind == 0:
            d = in_range[rng.below(len(in_range))]
            start = local_midnight_utc(d) + timedelta(seconds=rng.below(86_400) - 3600)
        elif kind == 1:
            year = 2024 + rng.below(5)
            switch = (
                nth_weekday(year, 3, SUN, 2) if rng.below(2) == 0 else nth_weekday(year, 11, SUN, 1)
            )
            start = (
                local_midnight_utc(switch)
                - timedelta(days=2)
                + timedelta(seconds=rng.below(4 * 86_400))
            )
        elif kind == 2:
            t = first + timedelta(days=rng.below(5 * 365))
            start = t + timedelta(hours=22) + timedelta(seconds=rng.below(6 * 3600))
        else:
            start = first + timedelta(seconds=rng.below(span_secs))
        starts.append(start)
        ends.append(start + timedelta(seconds=rng.below(30 * 86_400)))
    return starts, ends


def best(repeats: int, run: Callable[[], object]) -> float:
    """The best wall time of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def row(self, what: str, value: str, note: str = "") -> None:
        self.rows.append((what, value, note))
        print(f"  {what:<58} {value:>16}  {note}", flush=True)


def per_call_ns(seconds: float, calls: int) -> float:
    return seconds / calls * 1e9


def ns(x: float) -> str:
    return f"{x:,.0f} ns" if x >= 100 else f"{x:,.1f} ns"


def rate(ops: int, seconds: float) -> str:
    return f"{ops / seconds / 1e6:,.2f} M ops/s"


def measure_ours(report: Report, cal: BusinessCalendar, starts: list[datetime], ends: list[datetime], repeats: int) -> None:
    n = len(starts)
    ny_starts = [s.astimezone(NEW_YORK) for s in starts]
    add = cal.add
    elapsed = cal.elapsed

    rust_ns = min(_native._time_rust_add(cal, starts, EIGHT_HOURS, 3) for _ in range(repeats))
    report.figures["rust_add_ns"] = rust_ns
    report.row("add(start, 8h): the Rust call (Rust loop)", ns(rust_ns))

    def loop_add(items: list[datetime]) -> Callable[[], None]:
        def run() -> None:
            for s in items:
                add(s, EIGHT_HOURS)

        return run

    py_utc = per_call_ns(best(repeats, loop_add(starts)), n)
    py_ny = per_call_ns(best(repeats, loop_add(ny_starts)), n)
    report.figures.update(python_add_utc_ns=py_utc, python_add_ny_ns=py_ny)
    report.row("add(start, 8h) from Python, UTC datetimes", ns(py_utc), f"overhead {ns(py_utc - rust_ns)}")
    report.row("add(start, 8h) from Python, New York datetimes", ns(py_ny), f"overhead {ns(py_ny - rust_ns)}")

    def empty_loop() -> None:
        for s in starts:
            pass

    loop_ns = per_call_ns(best(repeats, empty_loop), n)
    report.figures["python_empty_loop_ns"] = loop_ns
    report.row("  (of which the bare Python for-loop)", ns(loop_ns))

    pairs = list(zip(starts, ends))

    def loop_elapsed() -> None:
        for a, b in pairs:
            elapsed(a, b)

    py_elapsed = per_call_ns(best(repeats, loop_elapsed), n)
    report.figures["python_elapsed_ns"] = py_elapsed
    report.row("elapsed(start, end <= 30 d) from Python", ns(py_elapsed))

    many = cal.add_many
    as_list_s = best(repeats, lambda: many(starts, EIGHT_HOURS))
    report.figures["add_many_list_ops_s"] = n / as_list_s
    report.row(f"add_many(list of {n:,} datetimes)", rate(n, as_list_s))

    try:
        import numpy as np
    except ImportError:
        report.notes.append("numpy is not installed: the array figures are skipped")
        print("  numpy is not installed: skipping the array figures")
        return
    big = 1_000_000
    reps = -(-big // n)
    arr_starts = np.tile(np.array([s.replace(tzinfo=None) for s in starts], dtype="datetime64[ns]"), reps)[:big]
    arr_ends = np.tile(np.array([e.replace(tzinfo=None) for e in ends], dtype="datetime64[ns]"), reps)[:big]
    out = many(arr_starts[:n], EIGHT_HOURS)
    expect = np.array([add(s, EIGHT_HOURS).astimezone(UTC).replace(tzinfo=None) for s in starts[:1000]], dtype="datetime64[ns]")
    assert (out[:1000] == expect).all(), "add_many disagrees with add"
    arr_s = best(repeats, lambda: many(arr_starts, EIGHT_HOURS))
    report.figures["add_many_numpy_ops_s"] = big / arr_s
    report.row(f"add_many(datetime64[ns] array of {big:,})", rate(big, arr_s), "budget >= 5 M ops/s")
    el_s = best(repeats, lambda: cal.elapsed_many(arr_starts, arr_ends))
    report.figures["elapsed_many_numpy_ops_s"] = big / el_s
    report.row(f"elapsed_many(two datetime64[ns] arrays of {big:,})", rate(big, el_s))


def measure_workclock(report: Report, cal: BusinessCalendar, days_off: list[date], starts: list[datetime], ends: list[datetime], repeats: int) -> None:
    try:
        import workclock
    except ImportError:
        report.notes.append("workclock is not installed: skipped (pip install -r requirements-bench.txt)")
        print("  workclock is not installed: skipped")
        return
    from datetime import time as clock

    version = getattr(workclock, "__version__", "?")
    sched = workclock.Schedule(
        [workclock.WorkDay(clock(9), clock(17)), workclock.Holidays(days_off)],
        time_zone="America/New_York",
    )
    n = len(starts)
    ours = cal.add_many(starts, EIGHT_HOURS)
    theirs = [sched.add(s, EIGHT_HOURS) for s in starts]
    agree_add = sum(a == b for a, b in zip(ours, theirs))
    ours_el = cal.elapsed_many(starts, ends)
    theirs_el = [sched.between(a, b) for a, b in zip(starts, ends)]
    agree_el = sum(a == b for a, b in zip(ours_el, theirs_el))
    report.figures["workclock"] = {"version": version, "add_agree": agree_add, "elapsed_agree": agree_el, "inputs": n}
    report.row(f"workclock {version}: answers agreeing with ours", f"add {agree_add:,}/{n:,}", f"elapsed {agree_el:,}/{n:,}")
    wadd = sched.add

    def loop() -> None:
        for s in starts:
            wadd(s, EIGHT_HOURS)

    per = per_call_ns(best(repeats, loop), n)
    report.figures["workclock"]["add_ns"] = per
    report.row("workclock Schedule.add(start, 8h) from Python", ns(per), f"theirs/ours {per / report.figures['python_add_utc_ns']:.1f}")
    pairs = list(zip(starts, ends))
    wbetween = sched.between

    def loop_between() -> None:
        for a, b in pairs:
            wbetween(a, b)

    per_el = per_call_ns(best(repeats, loop_between), n)
    report.figures["workclock"]["between_ns"] = per_el
    report.row("workclock Schedule.between(start, end) from Python", ns(per_el), f"theirs/ours {per_el / report.figures['python_elapsed_ns']:.1f}")
    lst = best(repeats, lambda: sched.add_many(starts, EIGHT_HOURS))
    report.figures["workclock"]["add_many_list_ops_s"] = n / lst
    report.row(f"workclock add_many(list of {n:,})", rate(n, lst), f"theirs/ours {report.figures['add_many_list_ops_s'] / (n / lst):.1f}")
    try:
        import numpy as np
    except ImportError:
        return
    big = 1_000_000
    reps = -(-big // n)
    arr = np.tile(np.array([s.replace(tzinfo=None) for s in starts], dtype="datetime64[ns]"), reps)[:big]
    arr_s = best(repeats, lambda: sched.add_many(arr, EIGHT_HOURS))
    report.figures["workclock"]["add_many_numpy_ops_s"] = big / arr_s
    report.row(f"workclock add_many(datetime64 array of {big:,})", rate(big, arr_s), f"theirs/ours {report.figures['add_many_numpy_ops_s'] / (big / arr_s):.1f}")


def measure_businesstimedelta(report: Report, cal: BusinessCalendar, days_off: list[date], starts: list[datetime], ends: list[datetime], count: int) -> None:
    try:
        import businesstimedelta as btd
        import pytz
    except ImportError:
        report.notes.append("businesstimedelta (or pytz) is not installed: skipped (pip install -r requirements-bench.txt)")
        print("  businesstimedelta is not installed: skipped")
        return
    from datetime import time as clock

    tz = pytz.timezone("America/New_York")
    rules = btd.Rules(
        [
            btd.WorkDayRule(start_time=clock(9), end_time=clock(17), working_days=[0, 1, 2, 3, 4], tz=tz),
            btd.HolidayRule(days_off, tz=tz),
        ]
    )
    delta = btd.BusinessTimeDelta(rules, hours=8)
    subset = starts[:count]
    sub_ends = ends[:count]
    theirs: list[datetime | None] = []
    t0 = time.perf_counter()
    for s in subset:
        try:
            theirs.append(s + delta)
        except Exception:  # noqa: BLE001 - a peer's failure counts as a disagreement
            theirs.append(None)
    add_s = time.perf_counter() - t0
    ours = cal.add_many(subset, EIGHT_HOURS)
    agree = sum(b is not None and a == b for a, b in zip(ours, theirs))
    t0 = time.perf_counter()
    spans: list[timedelta | None] = []
    for a, b in zip(subset, sub_ends):
        try:
            d = rules.difference(a, b)
            spans.append(timedelta(hours=d.hours, seconds=d.seconds))
        except Exception:  # noqa: BLE001
            spans.append(None)
    el_s = time.perf_counter() - t0
    agree_el = sum(b is not None and a == b for a, b in zip(cal.elapsed_many(subset, sub_ends), spans))
    per = per_call_ns(add_s, count)
    per_el = per_call_ns(el_s, count)
    report.figures["businesstimedelta"] = {
        "version": "1.0.1",
        "inputs": count,
        "add_agree": agree,
        "elapsed_agree": agree_el,
        "add_ns": per,
        "difference_ns": per_el,
    }
    report.row(f"businesstimedelta: answers agreeing with ours (first {count:,})", f"add {agree:,}/{count:,}", f"elapsed {agree_el:,}/{count:,}")
    report.row("businesstimedelta start + BusinessTimeDelta(8h)", ns(per), f"theirs/ours {per / report.figures['python_add_utc_ns']:.0f}")
    report.row("businesstimedelta Rules.difference(start, end)", ns(per_el), f"theirs/ours {per_el / report.figures['python_elapsed_ns']:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 inputs, 2 repeats")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    repeats = 2 if args.quick else 5
    btd_count = 1_000 if args.quick else 5_000

    print(f"escalation {escalation.__version__} ({_native._BUILD_PROFILE} build), "
          f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if _native._BUILD_PROFILE != "release":
        print("WARNING: a debug build; run `make python-bench` (maturin develop --release) for real figures")

    days_off = holidays(range(2023, 2030))
    cal = BusinessCalendar(
        timezone="America/New_York",
        hours={d: [("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays=days_off,
    )
    starts, ends = inputs(days_off, n)
    cal.add_many(starts, EIGHT_HOURS)  # warm the year tables (2024-2029)
    cal.elapsed_many(starts, ends)

    report = Report()
    report.figures.update(inputs=n, build=_native._BUILD_PROFILE, load_average=os.getloadavg())
    print(f"\n{n:,} inputs, best of {repeats}:")
    measure_ours(report, cal, starts, ends, repeats)
    measure_workclock(report, cal, days_off, starts, ends, repeats)
    measure_businesstimedelta(report, cal, days_off, starts, ends, btd_count)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for note in report.notes:
        print(f"note: {note}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.figures, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
