"""Shared fixtures: a Mon-Fri 09:00-17:00 New York calendar with a holiday, and its zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from escalation import BusinessCalendar

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def ny(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
    microsecond: int = 0,
) -> datetime:
    """An aware datetime in New York."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=NEW_YORK)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(
        timezone="America/New_York",
        hours={day: [("09:00", "17:00")] for day in WEEKDAYS},
        holidays=[date(2026, 12, 25)],
    )
