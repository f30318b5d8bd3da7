"""Policy: loading from TOML, JSON, a file and a dict; every problem with its path."""

from __future__ import annotations

import json
import pickle
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from escalation import (
    BusinessCalendar,
    EscalationError,
    InvalidInput,
    NotFound,
    Policy,
    PolicyError,
    PolicyProblem,
)

from conftest import ny

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "policy.toml"

CALENDAR_TOML = """
version = "test-1"

[calendars.support]
timezone = "America/New_York"
holidays = ["2026-11-26"]

[calendars.support.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

[sla]
calendar = "support"
"""


def test_default_policy() -> None:
    policy = Policy()
    assert policy == Policy.from_toml("") == Policy.from_dict({}) == Policy.from_json("{}")
    assert policy.calendar_names == ["always"]
    assert repr(policy).startswith("Policy(version=")


def test_from_toml_reads_calendars_and_sla() -> None:
    policy = Policy.from_toml(CALENDAR_TOML)
    assert policy.version == "test-1"
    assert policy.calendar_names == ["always", "support"]
    assert repr(policy) == (
        "Policy(version='test-1', calendars=['support'], sla_calendar='support', "
        f"sla_targets={len(policy.to_dict()['sla']['targets'])}, ladder_levels="
        f"{len(policy.to_dict()['ladder'])}, root_causes={len(policy.to_dict()['root_causes'])})"
    )
    support = policy.calendar("support")
    assert isinstance(support, BusinessCalendar)
    # Thanksgiving (26 November 2026) is a holiday on the support calendar.
    assert support.add(ny(2026, 11, 25, 16), timedelta(hours=2)) == ny(2026, 11, 27, 10)
    always = policy.calendar("always")
    assert always.add(ny(2026, 11, 25, 16), timedelta(hours=2)) == ny(2026, 11, 25, 18)
    with pytest.raises(NotFound) as caught:
        policy.calendar("sales")
    assert isinstance(caught.value, LookupError)
    assert (caught.value.what, caught.value.id) == ("calendar", "sales")


def test_to_dict_round_trips_through_every_form(tmp_path: Path) -> None:
    policy = Policy.from_toml(CALENDAR_TOML)
    as_dict = policy.to_dict()
    assert as_dict["version"] == "test-1"
    assert as_dict["calendars"]["support"]["timezone"] == "America/New_York"
    assert Policy.from_dict(as_dict) == policy
    assert Policy.from_json(policy.to_json()) == policy
    assert json.loads(policy.to_json()) == as_dict
    path = tmp_path / "policy.json"
    path.write_text(policy.to_json())
    assert Policy.from_path(path) == policy
    assert Policy.from_path(str(path)) == policy
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert policy != Policy() and policy != "a policy"
    with pytest.raises(TypeError):
        hash(policy)


def test_from_dict_takes_python_dates_times_and_timedeltas() -> None:
    by_dict = Policy.from_dict(
        {
            "version": "test-1",
            "calendars": {
                "support": {
                    "timezone": "America/New_York",
                    "holidays": [date(2026, 11, 26)],
                    "hours": {day: [(time(9), time(17))] for day in ("mon", "tue", "wed", "thu", "fri")},
                }
            },
            "sla": {"calendar": "support"},
        }
    )
    assert by_dict == Policy.from_toml(CALENDAR_TOML)
    spans = Policy.from_dict({"retention": {"archive_resolved_after": timedelta(days=30)}})
    assert spans == Policy.from_toml('[retention]\narchive_resolved_after = "30d"\n')


def test_reference_policy_file_loads() -> None:
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is not in this checkout")
    policy = Policy.from_path(REFERENCE)
    assert policy.version == "2026-11"
    assert "support" in policy.calendar_names
    assert Policy.from_dict(policy.to_dict()) == policy


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_toml(
            "[scoring.weights]\ntier = 1.7\nage = -1\n\n[scoring]\nunknown_knob = 3\n"
        )
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, EscalationError)
    assert error.kind == "POLICY_INVALID" and error.is_retryable is False
    paths = [p.path for p in error.problems]
    assert paths == sorted(paths)
    assert "scoring.weights.tier" in paths and "scoring.weights.age" in paths
    assert "scoring.unknown_knob" in paths
    tier = next(p for p in error.problems if p.path == "scoring.weights.tier")
    assert tier == PolicyProblem("scoring.weights.tier", "must be between 0 and 1, got 1.7")
    assert str(tier) == "scoring.weights.tier: must be between 0 and 1, got 1.7"
    assert repr(tier) == (
        "PolicyProblem(path='scoring.weights.tier', message='must be between 0 and 1, got 1.7')"
    )
    assert tier.to_dict() == {"path": "scoring.weights.tier", "message": tier.message}
    assert hash(tier) == hash(PolicyProblem(tier.path, tier.message))
    # The message lists them all too.
    for problem in error.problems:
        assert problem.path in str(error)


def test_problems_from_every_loader() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_json('{"scoring": {"weights": {"lifetime_value": 1.01}}}')
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("scoring.weights.lifetime_value", "must be between 0 and 1, got 1.01")
    ]
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict({"scoring": {"weights": {"tier": 2, "impact": "high"}}})
    paths = {p.path for p in caught.value.problems}
    assert {"scoring.weights.tier", "scoring.weights.impact"} <= paths
    with pytest.raises(PolicyError) as caught:
        Policy.from_toml("this is not = = toml")
    assert caught.value.problems[0].path == "(document)"
    with pytest.raises(PolicyError) as caught:
        Policy.from_json("[1, 2]")
    assert caught.value.problems[0].path == "(document)"


def test_calendar_problems_carry_the_calendar_path() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_toml(
            '[calendars.support]\ntimezone = "Mars/Base"\n[calendars.support.hours]\n'
            'mon = [["9:00", "17:00"]]\n'
        )
    paths = [p.path for p in caught.value.problems]
    assert "calendars.support.timezone" in paths
    assert "calendars.support.hours.mon[0]" in paths


def test_from_dict_rejects_values_without_a_json_form() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict({"scoring": {"weights": {"tier": object()}}})
    assert caught.value.problems[0].path == "scoring.weights.tier"
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict({"scoring": {"weights": {"tier": float("nan")}}})
    assert caught.value.problems[0].path == "scoring.weights.tier"
    assert "finite" in caught.value.problems[0].message
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict([("version", "x")])  # type: ignore[arg-type]
    assert caught.value.problems[0].path == "(document)"


def test_from_path_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        Policy.from_path(tmp_path / "missing.toml")
    assert caught.value.field == "path"
    bad = tmp_path / "bad.toml"
    bad.write_text("[scoring.weights]\ntier = 5\n")
    with pytest.raises(PolicyError) as caught_policy:
        Policy.from_path(bad)
    assert caught_policy.value.problems[0].path == "scoring.weights.tier"
