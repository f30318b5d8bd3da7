"""The 106 shared business-time conformance cases (tests/fixtures/business_time.jsonl, a copy
of escalation-core's, taken from the public suites of zendesk/biz and seatgeek/businesstime),
run through ``BusinessCalendar`` exactly as escalation-core/tests/calendar_conformance.rs
runs them through the Rust calendar."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalation import BusinessCalendar

FIXTURE = Path(__file__).parent / "fixtures" / "business_time.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


def test_the_fixture_holds_106_cases() -> None:
    assert len(CASES) == 106


def _instant(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    assert t.tzinfo is not None, text
    return t


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{i + 1}-{c['op']}" for i, c in enumerate(CASES)]
)
def test_conformance_case(case: dict[str, Any]) -> None:
    calendar = BusinessCalendar.from_dict(case["schedule"])
    start = _instant(case["start"])
    op = case["op"]
    where = f"{case['source']}: {case.get('notes', '')}"
    if op in ("add", "subtract", "next_open", "previous_close"):
        if op == "add":
            got = calendar.add(start, timedelta(seconds=case["duration_seconds"]))
        elif op == "subtract":
            got = calendar.subtract(start, timedelta(seconds=case["duration_seconds"]))
        elif op == "next_open":
            got = calendar.next_open(start)
        else:
            got = calendar.previous_close(start)
        assert got == _instant(case["expected"]), where
        # Answers come back aware, in the calendar's zone.
        assert getattr(got.tzinfo, "key", None) == case["schedule"]["timezone"], where
    elif op == "elapsed":
        got_span = calendar.elapsed(start, _instant(case["end"]))
        assert got_span == timedelta(seconds=case["expected"]), where
    elif op == "is_open":
        assert calendar.is_open(start) is case["expected"], where
    else:
        pytest.fail(f"unknown op {op!r}")


def test_conformance_elapsed_cases_in_one_batch() -> None:
    """The batch form agrees with the one-at-a-time form on the same cases."""
    for case in (c for c in CASES if c["op"] == "elapsed"):
        calendar = BusinessCalendar.from_dict(case["schedule"])
        start, end = _instant(case["start"]), _instant(case["end"])
        assert calendar.elapsed_many([start], [end]) == [timedelta(seconds=case["expected"])]
