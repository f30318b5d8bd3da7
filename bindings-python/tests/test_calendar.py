"""BusinessCalendar: building it (keyword, dict and JSON forms), every method, its errors."""

from __future__ import annotations

import json
import pickle
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pytest

import escalation
from escalation import BusinessCalendar, EscalationError, InvalidInput, OutOfRange

from conftest import NEW_YORK, WEEKDAYS, ny

UTC = timezone.utc
H = timedelta(hours=1)

JSON_FORM = {
    "timezone": "America/New_York",
    "hours": {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "tue": [["09:00", "17:00"]],
    },
    "holidays": ["2026-12-25"],
    "overrides": {"2026-12-24": [["09:00", "13:00"]]},
    "breaks": [{"date": "2026-11-27", "from": "10:00", "to": "11:00"}],
}


# ---- building ----------------------------------------------------------------------------


def test_keyword_form_equals_the_json_form() -> None:
    by_keywords = BusinessCalendar(
        timezone="America/New_York",
        hours={"mon": [("09:00", "12:00"), ("13:00", "17:00")], "tue": [("09:00", "17:00")]},
        holidays=[date(2026, 12, 25)],
        overrides={date(2026, 12, 24): [("09:00", "13:00")]},
        breaks=[(date(2026, 11, 27), "10:00", "11:00")],
    )
    assert by_keywords == BusinessCalendar.from_dict(JSON_FORM)
    assert by_keywords == BusinessCalendar.from_json(json.dumps(JSON_FORM))
    assert by_keywords.to_dict() == JSON_FORM
    assert json.loads(by_keywords.to_json()) == JSON_FORM


def test_keyword_form_takes_time_objects_strings_zoneinfo_and_dict_breaks() -> None:
    calendar = BusinessCalendar(
        timezone=ZoneInfo("America/New_York"),
        hours={"mon": [(time(9), time(12)), ("13:00", "17:00")], "tue": [["09:00", "17:00"]]},
        holidays=["2026-12-25"],
        overrides={"2026-12-24": [(time(9), time(13))]},
        breaks=[{"date": date(2026, 11, 27), "from": time(10), "to": time(11)}],
    )
    assert calendar == BusinessCalendar.from_dict(JSON_FORM)
    assert calendar.timezone == "America/New_York"


def test_optional_parts_default_to_empty() -> None:
    calendar = BusinessCalendar("Etc/UTC", {"mon": [("09:00", "17:00")]})
    assert calendar.to_dict() == {
        "timezone": "Etc/UTC",
        "hours": {"mon": [["09:00", "17:00"]]},
        "holidays": [],
    }
    assert calendar == BusinessCalendar(
        "Etc/UTC", {"mon": [("09:00", "17:00")]}, holidays=None, overrides=None, breaks=None
    )


def test_repr_eq_hash_and_pickle(calendar: BusinessCalendar) -> None:
    text = repr(calendar)
    assert text.startswith("BusinessCalendar(timezone='America/New_York', hours={")
    assert "hours={'mon': [('09:00', '17:00')], 'tue': [('09:00', '17:00')]," in text
    assert "holidays=<1 dates>" in text
    same = BusinessCalendar.from_dict(calendar.to_dict())
    assert same == calendar and hash(same) == hash(calendar)
    assert calendar != BusinessCalendar("Etc/UTC", {"mon": [("09:00", "17:00")]})
    assert calendar != "a calendar"
    assert len({calendar, same}) == 1
    copy = pickle.loads(pickle.dumps(calendar))
    assert copy == calendar
    assert copy.add(ny(2026, 12, 24, 16), 2 * H) == calendar.add(ny(2026, 12, 24, 16), 2 * H)


@pytest.mark.parametrize(
    ("kwargs", "field", "in_message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown IANA time zone"),
        ({"hours": {"mon": [("9:00", "17:00")]}}, "hours.mon[0]", "HH:MM"),
        ({"hours": {"mon": [(time(9, 0, 30), "17:00")]}}, "hours.mon[0]", "09:00:30"),
        ({"hours": {"mon": [("17:00", "09:00")]}}, "hours.mon[0]", "cross midnight"),
        (
            {"hours": {"mon": [("09:00", "12:00"), ("11:00", "17:00")]}},
            "hours.mon[1]",
            "overlaps hours.mon[0]",
        ),
        ({"hours": {"monday": [("09:00", "17:00")]}}, "hours.monday", "unknown weekday"),
        ({"hours": {}}, "hours", "weekly hours"),
        ({"holidays": [date(2026, 1, 1), "2026-13-01"]}, "holidays[1]", "YYYY-MM-DD"),
        ({"holidays": [datetime(2026, 1, 1)]}, "holidays[0]", "YYYY-MM-DD"),
        ({"overrides": {"tomorrow": []}}, "overrides.tomorrow", "YYYY-MM-DD"),
        ({"breaks": [(date(2026, 1, 2), "11:00", "10:00")]}, "breaks[0]", "end after"),
        ({"breaks": [("2026-1-2", "10:00", "11:00")]}, "breaks[0].date", "YYYY-MM-DD"),
        ({"hours": {"mon": [(object(), "17:00")]}}, "hours.mon[0][0]", "no JSON form"),
        ({"overrides": {1: []}}, "overrides", "keys must be strings"),
    ],
)
def test_invalid_calendars_name_the_field(
    kwargs: dict[str, Any], field: str, in_message: str
) -> None:
    arguments: dict[str, Any] = {"timezone": "America/New_York", "hours": {"mon": [("09:00", "17:00")]}}
    arguments.update(kwargs)
    with pytest.raises(InvalidInput) as caught:
        BusinessCalendar(**arguments)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, EscalationError)
    assert error.field == field, str(error)
    assert in_message in str(error)
    assert error.kind == "INVALID_INPUT" and error.is_retryable is False


def test_from_dict_and_from_json_reject_malformed_documents() -> None:
    with pytest.raises(InvalidInput) as caught:
        BusinessCalendar.from_json("{not json")
    assert caught.value.field == "calendar"
    with pytest.raises(InvalidInput) as caught:
        BusinessCalendar.from_dict({**JSON_FORM, "weekends": True})
    assert "weekends" in str(caught.value)
    with pytest.raises(InvalidInput):
        BusinessCalendar.from_dict({"hours": {"mon": [["09:00", "17:00"]]}})  # no timezone
    with pytest.raises(InvalidInput) as caught:
        BusinessCalendar.from_dict({**JSON_FORM, "holidays": ["2026-02-30"]})
    assert caught.value.field == "holidays[0]"


# ---- single instants ---------------------------------------------------------------------


def test_add_skips_holidays_and_weekends(calendar: BusinessCalendar) -> None:
    # Thursday 24 December 16:00: one hour that day, Christmas and the weekend closed.
    end = calendar.add(ny(2026, 12, 24, 16), 2 * H)
    assert end == ny(2026, 12, 28, 10)
    assert end.tzinfo is NEW_YORK or getattr(end.tzinfo, "key", None) == "America/New_York"
    assert end.isoformat() == "2026-12-28T10:00:00-05:00"


def test_a_budget_used_up_at_a_close_is_that_close(calendar: BusinessCalendar) -> None:
    assert calendar.add(ny(2026, 12, 22, 9), 8 * H) == ny(2026, 12, 22, 17)
    assert calendar.subtract(ny(2026, 12, 22, 17), 8 * H) == ny(2026, 12, 22, 9)


def test_answers_are_in_the_calendars_zone_whatever_the_input_zone(
    calendar: BusinessCalendar,
) -> None:
    tokyo = datetime(2026, 12, 23, 6, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 22 Dec 16:00 NY
    fixed = datetime(2026, 12, 22, 16, 0, tzinfo=timezone(timedelta(hours=-5)))
    utc = datetime(2026, 12, 22, 21, 0, tzinfo=UTC)
    for start in (tokyo, fixed, utc):
        end = calendar.add(start, 2 * H)
        assert end == ny(2026, 12, 23, 10)
        assert end.utcoffset() == timedelta(hours=-5)
        assert getattr(end.tzinfo, "key", None) == "America/New_York"


def test_zero_and_negative_durations(calendar: BusinessCalendar) -> None:
    saturday = ny(2026, 12, 26, 12)
    assert calendar.add(saturday, timedelta(0)) == saturday
    assert calendar.subtract(saturday, timedelta(0)) == saturday
    assert calendar.add(ny(2026, 12, 28, 10), -2 * H) == calendar.subtract(
        ny(2026, 12, 28, 10), 2 * H
    )
    assert calendar.subtract(ny(2026, 12, 24, 16), -2 * H) == ny(2026, 12, 28, 10)


def test_elapsed_is_signed_and_keeps_microseconds(calendar: BusinessCalendar) -> None:
    a = ny(2026, 12, 24, 16, 0, 0, 250)
    b = ny(2026, 12, 28, 10)
    assert calendar.elapsed(a, b) == timedelta(hours=2) - timedelta(microseconds=250)
    assert calendar.elapsed(b, a) == -calendar.elapsed(a, b)
    assert calendar.elapsed(a, a) == timedelta(0)


def test_is_open_next_open_previous_close(calendar: BusinessCalendar) -> None:
    assert calendar.is_open(ny(2026, 12, 23, 9)) is True
    assert calendar.is_open(ny(2026, 12, 23, 17)) is False
    assert calendar.is_open(ny(2026, 12, 25, 12)) is False  # a holiday
    assert calendar.next_open(ny(2026, 12, 24, 18)) == ny(2026, 12, 28, 9)
    assert calendar.next_open(ny(2026, 12, 23, 12)) == ny(2026, 12, 23, 12)
    assert calendar.previous_close(ny(2026, 12, 27, 12)) == ny(2026, 12, 24, 17)
    assert calendar.previous_close(ny(2026, 12, 23, 17)) == ny(2026, 12, 23, 17)
    assert calendar.previous_close(ny(2026, 12, 23, 12)) == ny(2026, 12, 23, 12)


def test_fold_picks_the_second_of_a_repeated_hour() -> None:
    always = BusinessCalendar(
        "America/New_York", {day: [("00:00", "24:00")] for day in (*WEEKDAYS, "sat", "sun")}
    )
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)
    assert always.elapsed(first, second) == H
    later = always.add(first, H)
    assert later == second and later.fold == 1


def test_breaks_and_overrides_apply() -> None:
    calendar = BusinessCalendar.from_dict(JSON_FORM)
    # Christmas Eve is a Thursday, which has no weekly hours; its override opens 09:00-13:00.
    assert calendar.is_open(ny(2026, 12, 24, 12)) is True
    assert calendar.is_open(ny(2026, 12, 24, 13)) is False
    # Monday's lunch gap is closed.
    assert calendar.is_open(ny(2026, 11, 30, 12, 30)) is False
    with_break = BusinessCalendar(
        "America/New_York",
        {"tue": [("09:00", "17:00")]},
        breaks=[(date(2026, 11, 24), "10:00", "11:00")],
    )
    assert with_break.is_open(ny(2026, 11, 24, 10, 30)) is False
    assert with_break.is_open(ny(2026, 12, 1, 10, 30)) is True
    assert with_break.elapsed(ny(2026, 11, 24), ny(2026, 11, 25)) == 7 * H


class NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the datetime counts as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


METHODS: list[tuple[str, Callable[[BusinessCalendar, datetime], object]]] = [
    ("add", lambda c, t: c.add(t, H)),
    ("subtract", lambda c, t: c.subtract(t, H)),
    ("elapsed", lambda c, t: c.elapsed(t, ny(2026, 12, 1))),
    ("elapsed", lambda c, t: c.elapsed(ny(2026, 12, 1), t)),
    ("is_open", lambda c, t: c.is_open(t)),
    ("next_open", lambda c, t: c.next_open(t)),
    ("previous_close", lambda c, t: c.previous_close(t)),
    ("add_many", lambda c, t: c.add_many([ny(2026, 12, 1), t], H)),
    ("elapsed_many", lambda c, t: c.elapsed_many([t], [t])),
]


@pytest.mark.parametrize(("name", "call"), METHODS, ids=[f"{m[0]}-{i}" for i, m in enumerate(METHODS)])
@pytest.mark.parametrize("naive", [datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 9, tzinfo=NoOffset())])
def test_a_naive_datetime_is_a_value_error_that_says_to_attach_a_tzinfo(
    calendar: BusinessCalendar,
    name: str,
    call: Callable[[BusinessCalendar, datetime], object],
    naive: datetime,
) -> None:
    with pytest.raises(ValueError, match="attach a tzinfo") as caught:
        call(calendar, naive)
    assert isinstance(caught.value, InvalidInput)


def test_wrong_types_are_type_errors(calendar: BusinessCalendar) -> None:
    with pytest.raises(TypeError, match="start must be an aware datetime.datetime, got str"):
        calendar.add("2026-12-01T09:00:00Z", H)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="duration must be a datetime.timedelta, got int"):
        calendar.add(ny(2026, 12, 1, 9), 3600)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a must be an aware datetime.datetime, got date"):
        calendar.elapsed(date(2026, 12, 1), ny(2026, 12, 1, 9))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calendar.add_many(12, H)


def test_answers_outside_the_supported_range_raise_out_of_range(
    calendar: BusinessCalendar,
) -> None:
    with pytest.raises(OutOfRange) as caught:
        calendar.add(ny(2200, 12, 31, 16), timedelta(days=3650))
    assert isinstance(caught.value, ValueError)
    assert caught.value.kind == "OUT_OF_RANGE"
    with pytest.raises(OutOfRange):
        calendar.next_open(datetime(2300, 1, 1, tzinfo=UTC))
    with pytest.raises(OutOfRange):
        calendar.previous_close(datetime(1800, 1, 1, tzinfo=UTC))
    # Outside the range the calendar is closed, which needs no answer instant.
    assert calendar.is_open(datetime(2300, 1, 2, 12, tzinfo=UTC)) is False
    assert calendar.elapsed(datetime(2300, 1, 1, tzinfo=UTC), datetime(2301, 1, 1, tzinfo=UTC)) == timedelta(0)


# ---- batches: sequences ------------------------------------------------------------------


def _starts(n: int) -> list[datetime]:
    first = ny(2026, 1, 1)
    return [first + timedelta(minutes=97 * i) for i in range(n)]


def test_add_many_on_a_sequence_matches_add(calendar: BusinessCalendar) -> None:
    starts = _starts(500)
    ends = calendar.add_many(starts, 8 * H)
    assert isinstance(ends, list)
    assert ends == [calendar.add(s, 8 * H) for s in starts]
    assert all(getattr(e.tzinfo, "key", None) == "America/New_York" for e in ends)
    assert calendar.add_many(iter(starts[:3]), H) == [calendar.add(s, H) for s in starts[:3]]
    assert calendar.add_many((s for s in starts[:3]), H) == [calendar.add(s, H) for s in starts[:3]]
    assert calendar.add_many([], H) == []


def test_elapsed_many_on_sequences_matches_elapsed(calendar: BusinessCalendar) -> None:
    starts = _starts(300)
    ends = [s + timedelta(hours=7 * i) for i, s in enumerate(starts)]
    spans = calendar.elapsed_many(starts, ends)
    assert spans == [calendar.elapsed(a, b) for a, b in zip(starts, ends)]
    with pytest.raises(InvalidInput, match="as many items as starts"):
        calendar.elapsed_many(starts, ends[:-1])


def test_batch_errors_name_the_index(calendar: BusinessCalendar) -> None:
    starts = _starts(5)
    starts[3] = starts[3].replace(tzinfo=None)
    with pytest.raises(InvalidInput) as caught:
        calendar.add_many(starts, H)
    assert caught.value.field == "starts[3]"
    far = [ny(2026, 1, 5, 9), ny(2200, 12, 31, 16)]
    with pytest.raises(OutOfRange, match=r"^starts\[1\]: "):
        calendar.add_many(far, timedelta(days=3650))


# ---- the exception hierarchy in action ---------------------------------------------------


def test_calendar_errors_are_escalation_errors(calendar: BusinessCalendar) -> None:
    with pytest.raises(EscalationError):
        calendar.add(datetime(2026, 1, 1), H)
    assert escalation.InvalidInput is InvalidInput
