"""One calendar shared by many threads, and the GIL released around the Rust loops."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pytest

from escalation import BusinessCalendar

from conftest import WEEKDAYS

UTC = timezone.utc
THREADS = 8


def _fresh_calendar() -> BusinessCalendar:
    """A calendar none of whose year tables is built yet, so the threads race to build them."""
    return BusinessCalendar(
        timezone="Europe/Berlin",
        hours={day: [("08:00", "12:00"), ("13:00", "18:00")] for day in WEEKDAYS},
        holidays=[date(2027, 1, 1), date(2028, 12, 25)],
    )


def _starts(seed: int, n: int) -> list[datetime]:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    return [first + timedelta(minutes=(seed * 7919 + i * 104729) % (4 * 365 * 1440)) for i in range(n)]


def test_threads_calling_one_calendar_get_the_serial_answers() -> None:
    shared = _fresh_calendar()
    work = [_starts(seed, 400) for seed in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def run(starts: list[datetime]) -> tuple[list[datetime], list[timedelta], list[bool]]:
        barrier.wait()
        adds = [shared.add(s, timedelta(hours=9)) for s in starts]
        spans = shared.elapsed_many(starts, adds[::-1])
        opens = [shared.is_open(s) for s in starts]
        return adds, spans, opens

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, work))

    serial = _fresh_calendar()
    for starts, (adds, spans, opens) in zip(work, results):
        expected = [serial.add(s, timedelta(hours=9)) for s in starts]
        assert adds == expected
        assert spans == serial.elapsed_many(starts, expected[::-1])
        assert opens == [serial.is_open(s) for s in starts]


def test_add_many_releases_the_gil() -> None:
    """While add_many runs over a big array, another Python thread keeps running."""
    np = pytest.importorskip("numpy")
    calendar = _fresh_calendar()
    starts = np.datetime64("2025-01-01T00:00:00", "s") + np.arange(1_500_000) * np.timedelta64(
        83, "s"
    )
    calendar.add_many(starts[:1000], timedelta(hours=9))  # builds the first year's table
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        while len(ticks) < 3:
            time.sleep(0.001)
        before = time.perf_counter()
        calendar.add_many(starts, timedelta(hours=9))
        after = time.perf_counter()
    finally:
        stop.set()
        ticker.join()
    span = after - before
    # With the GIL held for the whole call the ticker could only run in a switch interval
    # (5 ms) at either end; ticks in the middle half show it ran during the Rust loop.
    middle = [t for t in ticks if before + span / 4 < t < after - span / 4]
    assert span > 0.04, f"the call took only {span * 1000:.1f} ms: too short to tell"
    assert middle, f"no tick during {span * 1000:.0f} ms of add_many"
