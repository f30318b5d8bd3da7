"""The batch methods on numpy datetime64 arrays (skipped when numpy is not installed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from escalation import BusinessCalendar, InvalidInput, OutOfRange

np = pytest.importorskip("numpy")

H = timedelta(hours=1)


def _utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc)


def _as_datetime64(t: datetime) -> Any:
    return np.datetime64(_utc(t).replace(tzinfo=None), "ns")


def _aware(array: Any) -> list[datetime]:
    """numpy datetimes (UTC by numpy's convention) as aware datetimes."""
    naive = np.asarray(array).astype("datetime64[us]").tolist()
    return [t.replace(tzinfo=timezone.utc) for t in naive]


def _starts(n: int, unit: str = "s") -> Any:
    first = np.datetime64("2026-01-01T00:00:00", unit)
    return first + np.arange(n) * np.timedelta64(97 * 60, "s").astype(f"m8[{unit}]")


@pytest.mark.parametrize("unit", ["s", "m", "ms", "us", "ns"])
def test_add_many_on_a_datetime64_array_matches_add(
    calendar: BusinessCalendar, unit: str
) -> None:
    starts = _starts(400, unit)
    ends = calendar.add_many(starts, 8 * H)
    assert isinstance(ends, np.ndarray)
    assert ends.dtype == np.dtype("datetime64[ns]")
    assert ends.shape == (400,)
    expected = [_as_datetime64(calendar.add(t, 8 * H)) for t in _aware(starts)]
    assert (ends == np.array(expected, dtype="datetime64[ns]")).all()


def test_nat_passes_through_and_shapes_are_kept(calendar: BusinessCalendar) -> None:
    starts = _starts(12).reshape(3, 4)
    starts[1, 2] = np.datetime64("NaT")
    ends = calendar.add_many(starts, H)
    assert ends.shape == (3, 4)
    assert np.isnat(ends[1, 2]) and np.isnat(ends).sum() == 1
    spans = calendar.elapsed_many(starts, starts + np.timedelta64(3, "D"))
    assert spans.shape == (3, 4) and spans.dtype == np.dtype("timedelta64[ns]")
    assert np.isnat(spans[1, 2])


def test_non_contiguous_arrays(calendar: BusinessCalendar) -> None:
    starts = _starts(20)
    every_other = starts[::2]
    assert not every_other.flags["C_CONTIGUOUS"]
    assert (calendar.add_many(every_other, H) == calendar.add_many(every_other.copy(), H)).all()


def test_elapsed_many_on_arrays_matches_elapsed(calendar: BusinessCalendar) -> None:
    starts = _starts(300)
    ends = starts + np.arange(300) * np.timedelta64(7, "h")
    spans = calendar.elapsed_many(starts, ends)
    assert spans.dtype == np.dtype("timedelta64[ns]")
    as_list = calendar.elapsed_many(_aware(starts), _aware(ends))
    assert [timedelta(microseconds=int(s) // 1000) for s in spans.astype("int64")] == as_list


def test_array_errors(calendar: BusinessCalendar) -> None:
    starts = _starts(10)
    with pytest.raises(InvalidInput, match="shape"):
        calendar.elapsed_many(starts, starts[:5])
    with pytest.raises(InvalidInput, match="a mix"):
        calendar.elapsed_many(starts, list(starts))
    far = np.array(["2026-01-05T14:00", "2200-12-31T21:00"], dtype="datetime64[m]")
    with pytest.raises(OutOfRange, match=r"^starts\[1\]: "):
        calendar.add_many(far, timedelta(days=3650))


def test_object_arrays_of_aware_datetimes_take_the_sequence_path(
    calendar: BusinessCalendar,
) -> None:
    aware = [datetime(2026, 3, 2, 14, tzinfo=timezone.utc), datetime(2026, 3, 3, 20, tzinfo=timezone.utc)]
    objects = np.array(aware, dtype=object)
    assert calendar.add_many(objects, H) == [calendar.add(t, H) for t in aware]
