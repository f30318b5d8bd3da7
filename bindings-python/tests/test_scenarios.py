"""SLA, warnings and the escalation ladder, scenario by scenario, on a manual clock: the
Python port of ``escalation-core/tests/sla_scenarios.rs``.

Same policies, same inputs, same hand-computed instants and the same expected keys, states
and log events as the Rust suite. Time moves only when a test sets the ``ManualClock``,
usually to a ticket's ``next_check`` (``Sla.tick``), so each due instant is hit to the
second. Nothing sleeps and nothing reads the wall clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalation import (
    Agent,
    CustomerProfile,
    Effect,
    Engine,
    InvalidInput,
    LogEntry,
    ManualClock,
    MemoryDirectory,
    MemoryNotifier,
    MemoryPager,
    MemoryProfiles,
    MemoryStore,
    Notification,
    NotFound,
    PermanentFailure,
    Policy,
    Priority,
    SlaClock,
    Team,
    Ticket,
)

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")

# --- fixtures --------------------------------------------------------------------------------


def ny(y: int, m: int, d: int, h: int, minute: int) -> datetime:
    """An instant given as New York wall-clock time (EST in the weeks these tests use)."""
    return datetime(y, m, d, h, minute, tzinfo=NEW_YORK).astimezone(UTC)


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(UTC)


def rfc3339(t: datetime) -> str:
    """An instant as the records' JSON form writes it (``to_dict``, ``LogEntry.data``)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mins(m: int) -> timedelta:
    return timedelta(minutes=m)


def hours(h: int) -> timedelta:
    return timedelta(hours=h)


SECOND = timedelta(seconds=1)

#: The instant the Rust fixtures' profiles date from (``common::t0``).
T0 = datetime.fromtimestamp(1_800_000_000, UTC)

NO_WARNINGS = "[sla.warnings]\npercent = []\n"


def policy_v(version: str, sections: str, *, max_attempts: int | None = None) -> Policy:
    """Everything before the scenario's own sections: the support calendar (New York,
    Mon-Fri 09:00-17:00, Christmas off), a root-cause taxonomy, no age factor in the score,
    and a last, catch-all target rule without budgets, so priorities a scenario leaves out
    start no clock. A scenario without ``[[ladder]]`` levels has none (not the default
    ladder)."""
    text = f"""
version = "{version}"
root_causes = ["product_defect", "configuration", "other"]

[scoring.weights]
age = 0.0

[calendars.support]
timezone = "America/New_York"
holidays = ["2026-12-25"]

[calendars.support.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

{sections}

# Any other priority: no clocks.
[[sla.targets]]
"""
    policy = Policy.from_toml(text)
    if "[[ladder]]" not in sections or max_attempts is not None:
        doc = policy.to_dict()
        if "[[ladder]]" not in sections:
            doc["ladder"] = []
        if max_attempts is not None:
            doc["dispatch"]["max_attempts"] = max_attempts
        policy = Policy.from_dict(doc)
    return policy


def policy(sections: str, **kw: Any) -> Policy:
    return policy_v("v1", sections, **kw)


def alice() -> Agent:
    return Agent(id="alice", name="alice", tier="tier1", team="team-a", skills=["billing"],
                 email="alice@example.invalid")


def tara() -> Agent:
    return Agent(id="tara", name="tara", tier="tier2", team="team-b", skills=["billing"],
                 email="tara@example.invalid")


def team(team_id: str, manager: str) -> Team:
    return Team(id=team_id, name=team_id,
                manager={"name": manager, "email": f"{manager.lower()}@example.invalid"})


class Sla:
    """An engine on in-memory adapters and a manual clock, with a handle on every adapter:
    Alice (Tier 1, team-a, managed by Mona), teams team-a and team-b (managed by Mark), Tara
    (Tier 2, team-b) when ``tier2``, and customer ``c-1`` (Enterprise, contact Carla)."""

    def __init__(self, policy: Policy, start: datetime, tier2: bool = False,
                 notifier: Any = None) -> None:
        self.clock = ManualClock(start)
        self.store = MemoryStore()
        self.directory = MemoryDirectory()
        self.directory.add_agent(alice())
        if tier2:
            self.directory.add_agent(tara())
        self.directory.add_team(team("team-a", "Mona"))
        self.directory.add_team(team("team-b", "Mark"))
        self.profiles = MemoryProfiles()
        self.profiles.add(CustomerProfile(
            customer="c-1", tier="enterprise", lifetime_value=20_000.0,
            customer_since=T0 - timedelta(days=400), prior_tickets=3, prior_escalations=0,
            contact={"name": "Carla", "email": "carla@example.invalid"},
        ))
        self.notifier = MemoryNotifier()
        self.pager = MemoryPager()
        self.engines: list[Engine] = []
        self.engine = self._engine(policy, None, notifier or self.notifier)

    def _engine(self, policy: Policy, engine_id: str | None, notifier: Any) -> Engine:
        engine = Engine(policy, store=self.store, profiles=self.profiles, notifier=notifier,
                        pager=self.pager, directory=self.directory, clock=self.clock,
                        engine_id=engine_id)
        self.engines.append(engine)
        return engine

    def engine_with(self, engine_id: str, policy: Policy) -> Engine:
        """Another engine, with another policy, on the same store, adapters and clock."""
        return self._engine(policy, engine_id, self.notifier)

    def close(self) -> None:
        for engine in self.engines:
            engine.close()

    def now(self) -> datetime:
        return self.engine.now()

    def set(self, at: datetime) -> None:
        self.clock.set(at)
        assert self.now() == at, "the manual clock never goes backwards"

    def create(self, priority: Priority, subject: str = "Invoice is wrong",
               draft: bool = False) -> Ticket:
        """A ticket of customer c-1 in category billing, at ``priority`` (set at intake),
        received now."""
        return self.engine.create_ticket(customer="c-1", category="billing", subject=subject,
                                         channel="email", impact="bug", priority=priority,
                                         draft=draft, received_at=self.now())

    def ticket(self, t: Ticket) -> Ticket:
        return self.engine.ticket(t)

    def sweep(self) -> int:
        return self.engine.sweep().claimed

    def tick(self, t: Ticket) -> Ticket:
        """Moves the clock to the ticket's next check and sweeps; returns the ticket."""
        at = self.ticket(t).next_check
        assert at is not None, "the ticket is due again"
        self.set(at)
        assert self.sweep() >= 1, "a due ticket is claimed"
        return self.ticket(t)

    def status(self, t: Ticket, to: str) -> Ticket:
        return self.engine.record(t, "status_changed", to=to, by="host-user")

    def customer_replied(self, t: Ticket) -> Ticket:
        return self.engine.record(t, "customer_replied")

    def agent_replied(self, t: Ticket, agent: str = "alice") -> Ticket:
        return self.engine.record(t, "agent_replied", agent=agent)

    def log(self, t: Ticket) -> list[LogEntry]:
        return self.engine.log(t)

    def names_at(self, t: Ticket, at: datetime) -> list[str]:
        return [e.event for e in self.log(t) if e.at == at]

    def count(self, t: Ticket, name: str) -> int:
        return sum(1 for e in self.log(t) if e.event == name)

    def entries(self, t: Ticket, name: str) -> list[LogEntry]:
        return [e for e in self.log(t) if e.event == name]

    def effects(self, t: Ticket) -> list[Effect]:
        return self.engine.effects(t)

    def effect(self, t: Ticket, key: str) -> Effect:
        found = [e for e in self.effects(t) if e.key == key]
        assert found, f"no effect {key}"
        return found[0]

    def effect_keys(self, t: Ticket) -> list[str]:
        return [e.key for e in self.effects(t)]


def clock_of(t: Ticket, target: str, cycle: int) -> SlaClock:
    found = [c for c in t.sla if c.target == target and c.cycle == cycle]
    assert found, f"no {target} clock, cycle {cycle}"
    return found[0]


def key(t: Ticket, rest: str) -> str:
    return f"default/{t.id}/{rest}"


def notification(e: Effect) -> Notification:
    assert e.kind == "notify", f"not a notification: {e!r}"
    n = e.notification
    assert n is not None
    return n


@pytest.fixture
def make_sla() -> Iterator[Any]:
    made: list[Sla] = []

    def make(policy: Policy, start: datetime, tier2: bool = False, notifier: Any = None) -> Sla:
        h = Sla(policy, start, tier2, notifier)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


# --- 1. the breach second --------------------------------------------------------------------


def test_a_breach_is_recorded_at_the_deadline_second_and_logged_once(make_sla: Any) -> None:
    p = policy("""
[sla]
calendar = "support"
[sla.warnings]
percent = []
before = ["1s"]
[[sla.targets]]
priority = "high"
first_response = "1h"

[[ladder]]
name = "breach"
on = "breach"
actions = ["create_task"]
""")
    # Monday 16:30 New York: 30 business minutes today, 30 tomorrow from 09:00.
    h = make_sla(p, ny(2026, 11, 30, 16, 30))
    t = h.create("high")
    deadline = ny(2026, 12, 1, 9, 30)
    assert deadline == utc("2026-12-01T14:30:00Z")
    assert clock_of(t, "first_response", 0).deadline == deadline
    # The "1s before" warning makes the ticket due one second before the deadline.
    assert t.next_check == deadline - SECOND

    # Overnight nothing is due.
    h.set(ny(2026, 11, 30, 23, 0))
    assert h.sweep() == 0

    # One second before: the ticket is looked at, warned, not breached.
    t1 = h.tick(t)
    assert h.now() == deadline - SECOND
    assert clock_of(t1, "first_response", 0).breached_at is None
    assert h.count(t, "sla_breached") == 0
    assert h.count(t, "sla_warning") == 1
    assert t1.next_check == deadline

    # The deadline second itself.
    t2 = h.tick(t)
    assert h.now() == deadline
    assert clock_of(t2, "first_response", 0).breached_at == deadline
    assert h.names_at(t, deadline) == ["sla_breached", "level_fired", "task_created"]
    [breach] = h.entries(t, "sla_breached")
    assert breach.data == {"type": "sla_breached", "target": "first_response", "cycle": 0,
                           "deadline": rfc3339(deadline)}
    assert t2.next_check is None, "nothing is pending after the breach"

    # More sweeps and events: still one breach, one task.
    h.set(deadline + hours(1))
    assert h.sweep() == 0
    h.customer_replied(t)
    h.set(deadline + hours(30))
    h.sweep()
    h.customer_replied(t)
    assert h.count(t, "sla_breached") == 1
    assert h.count(t, "level_fired") == 1
    assert len(h.engine.tasks(ticket=t.id)) == 1
    assert clock_of(h.ticket(t), "first_response", 0).breached_at == deadline


def test_a_late_sweep_records_the_breach_at_the_deadline_not_at_the_sweep(make_sla: Any) -> None:
    p = policy(f'[sla]\ncalendar = "support"\n{NO_WARNINGS}'
               '[[sla.targets]]\npriority = "high"\nfirst_response = "2h"\n')
    h = make_sla(p, ny(2026, 11, 30, 9, 0))
    t = h.create("high")
    deadline = ny(2026, 11, 30, 11, 0)
    assert t.next_check == deadline
    h.set(deadline + mins(17))
    assert h.sweep() == 1
    t = h.ticket(t)
    assert clock_of(t, "first_response", 0).breached_at == deadline
    [entry] = h.entries(t, "sla_breached")
    assert entry.at == deadline + mins(17), "logged when seen"


# --- 2. warnings -----------------------------------------------------------------------------


def test_warnings_fall_at_75_and_90_percent_of_business_time_and_each_warns_the_assignee_once(
    make_sla: Any,
) -> None:
    p = policy("""
[sla]
calendar = "support"
[sla.warnings]
percent = [75, 90]
[[sla.targets]]
priority = "high"
first_response = "4h"

[[ladder]]
name = "warn-assignee"
on = "warning"
actions = ["warn_agent"]
""")
    # Monday 15:00 New York: 2 h today, 2 h on Tuesday from 09:00.
    h = make_sla(p, ny(2026, 11, 30, 15, 0))
    t = h.create("high")
    w75 = ny(2026, 12, 1, 10, 0)  # 3 h of business time in
    w90 = ny(2026, 12, 1, 10, 36)  # 3 h 36 m in
    deadline = ny(2026, 12, 1, 11, 0)
    assert w75 == utc("2026-12-01T15:00:00Z")
    assert clock_of(t, "first_response", 0).deadline == deadline
    assert t.next_check == w75

    # Monday's close and Tuesday's opening are not due.
    h.set(ny(2026, 11, 30, 17, 0))
    assert h.sweep() == 0
    h.set(ny(2026, 12, 1, 9, 59))
    assert h.sweep() == 0

    t1 = h.tick(t)
    assert h.now() == w75
    assert h.names_at(t, w75) == ["sla_warning", "level_fired", "effect_queued"]
    k0 = key(t, "agent/first_response.0/warn-assignee~0")
    assert h.effect_keys(t) == [k0]
    e0 = h.effect(t, k0)
    n0 = notification(e0)
    assert n0.kind == "agent_warning"
    assert n0.to["name"] == "alice"
    assert n0.to["email"] == "alice@example.invalid"
    assert e0.not_before == w75
    assert clock_of(t1, "first_response", 0).warned == 0b01
    assert t1.next_check == w90

    t2 = h.tick(t)
    assert h.now() == w90
    k1 = key(t, "agent/first_response.0/warn-assignee~1")
    assert h.effect_keys(t) == [k0, k1]
    assert clock_of(t2, "first_response", 0).warned == 0b11
    assert t2.next_check == deadline
    labels = [(e.data["label"], e.at) for e in h.entries(t, "sla_warning")]
    assert labels == [("75%", w75), ("90%", w90)]

    # The deadline passes; later sweeps and events warn no more.
    h.tick(t)
    h.set(deadline + hours(5))
    h.sweep()
    h.customer_replied(t)
    assert h.count(t, "sla_warning") == 2
    assert h.effect_keys(t) == [k0, k1]


# --- 3, 4. pauses ----------------------------------------------------------------------------


def resolution_policy(budget: str) -> Policy:
    return policy(f'[sla]\ncalendar = "support"\n{NO_WARNINGS}'
                  '[[sla.targets]]\npriority = "critical"\nresolution = "1h"\n'
                  f'[[sla.targets]]\npriority = "high"\nresolution = "{budget}"\n')


def test_pending_customer_over_a_weekend_moves_the_deadline_by_the_paused_business_time_only(
    make_sla: Any,
) -> None:
    h = make_sla(resolution_policy("8h"), ny(2026, 12, 4, 13, 0))
    t = h.create("high")
    # Friday 13:00-17:00 (4 h), Monday 09:00-13:00 (4 h).
    original = ny(2026, 12, 7, 13, 0)
    assert clock_of(t, "resolution", 0).deadline == original

    # Friday 15:00: waiting for the customer, 2 h used.
    paused_at = ny(2026, 12, 4, 15, 0)
    h.set(paused_at)
    t1 = h.status(t, "pending_customer")
    c = clock_of(t1, "resolution", 0)
    assert c.is_paused and not c.is_running
    assert c.pauses == [(paused_at, None)]
    assert c.running_since is None
    assert c.consumed == hours(2)
    assert c.deadline is None
    assert t1.next_check is None, "a paused clock is never due"
    assert h.names_at(t, paused_at) == ["status_changed", "sla_paused"]

    # Nothing happens over the weekend.
    h.set(ny(2026, 12, 5, 12, 0))
    assert h.sweep() == 0
    h.set(ny(2026, 12, 6, 23, 59))
    assert h.sweep() == 0

    # Monday 10:00: back in progress.
    resumed_at = ny(2026, 12, 7, 10, 0)
    h.set(resumed_at)
    t2 = h.status(t, "in_progress")
    c = clock_of(t2, "resolution", 0)
    cal = h.engine.calendar("support")
    assert cal is not None
    paused_business = cal.elapsed(paused_at, resumed_at)
    assert paused_business == hours(3), "Fri 15-17 and Mon 09-10; no weekend"
    expected = ny(2026, 12, 7, 16, 0)
    assert c.deadline == expected
    assert cal.add(original, paused_business) == expected
    assert c.consumed == hours(2)
    assert c.running_since == resumed_at
    assert c.pauses == [(paused_at, resumed_at)]
    assert t2.next_check == expected
    [resumed] = h.entries(t, "sla_resumed")
    assert resumed.data == {"type": "sla_resumed", "target": "resolution", "cycle": 0,
                            "deadline": rfc3339(expected)}

    # And it breaches at the moved deadline, not the original one.
    h.set(original)
    assert h.sweep() == 0
    t3 = h.tick(t)
    assert h.now() == expected
    assert clock_of(t3, "resolution", 0).breached_at == expected


def holiday_scenario(make_sla: Any) -> tuple[Sla, Ticket]:
    """Thursday 24 Dec 2026 15:00 New York, 8 h resolution; paused at 16:00 (1 h used),
    resumed on Monday 28 Dec at 09:30, Christmas (Friday) being a holiday."""
    h = make_sla(resolution_policy("8h"), ny(2026, 12, 24, 15, 0))
    t = h.create("high")
    # Thursday 15-17 (2 h); Friday is Christmas; Monday 09:00-15:00 (6 h).
    assert clock_of(t, "resolution", 0).deadline == ny(2026, 12, 28, 15, 0)
    h.set(ny(2026, 12, 24, 16, 0))
    h.status(t, "on_hold")
    h.set(ny(2026, 12, 25, 12, 0))
    assert h.sweep() == 0
    h.set(ny(2026, 12, 28, 9, 30))
    t = h.status(t, "in_progress")
    return h, t


def test_on_hold_over_a_holiday_consumes_no_business_time_on_the_holiday(make_sla: Any) -> None:
    h, t = holiday_scenario(make_sla)
    c = clock_of(t, "resolution", 0)
    assert c.consumed == hours(1)
    # 7 h left from Monday 09:30: 16:30.
    assert c.deadline == ny(2026, 12, 28, 16, 30)
    assert c.deadline == utc("2026-12-28T21:30:00Z")
    cal = h.engine.calendar("support")
    assert cal is not None
    assert cal.elapsed(ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 9, 30)) == mins(90), \
        "Thu 16-17 and Mon 09:00-09:30 only"
    assert c.pauses == [(ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 9, 30))]
    assert t.next_check == c.deadline


# --- 5. next response ------------------------------------------------------------------------


def test_next_response_restarts_on_customer_replies_and_the_oldest_unanswered_reply_counts(
    make_sla: Any,
) -> None:
    p = policy(f'[sla]\ncalendar = "always"\n{NO_WARNINGS}'
               '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n'
               'next_response = "2h"\n')
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("high")
    assert len(t.sla) == 1, "only first response; next response waits"

    # A customer reply before the first response starts nothing.
    h.set(start + mins(5))
    assert len(h.customer_replied(t).sla) == 1

    # First response at +10 m.
    h.set(start + mins(10))
    t2 = h.agent_replied(t)
    fr = clock_of(t2, "first_response", 0)
    assert fr.stopped_at == start + mins(10)
    assert fr.breached_at is None
    assert t2.first_response_at == start + mins(10)

    # Customer reply at +20 m: cycle 1.
    h.set(start + mins(20))
    t3 = h.customer_replied(t)
    c1 = clock_of(t3, "next_response", 1)
    assert c1.started_at == start + mins(20)
    assert c1.deadline == start + mins(140)
    assert t3.next_check == start + mins(140)

    # Agent reply at +30 m: cycle 1 met.
    h.set(start + mins(30))
    t4 = h.agent_replied(t)
    c1 = clock_of(t4, "next_response", 1)
    assert c1.stopped_at == start + mins(30)
    assert c1.consumed == mins(10)
    assert t4.next_check is None

    # Customer reply at +40 m: cycle 2.
    h.set(start + mins(40))
    t5 = h.customer_replied(t)
    c2 = clock_of(t5, "next_response", 2)
    assert c2.started_at == start + mins(40)
    assert c2.deadline == start + mins(160)

    # Another customer reply at +50 m, still unanswered: no restart, no cycle 3.
    h.set(start + mins(50))
    t6 = h.customer_replied(t)
    assert t6.last_customer_reply_at == start + mins(50)
    c2 = clock_of(t6, "next_response", 2)
    assert c2.started_at == start + mins(40)
    assert c2.deadline == start + mins(160)
    assert [(c.target, c.cycle) for c in t6.sla] == [
        ("first_response", 0), ("next_response", 1), ("next_response", 2)]
    started = [(e.data["target"], e.data["cycle"], e.at) for e in h.entries(t, "sla_started")]
    assert started == [
        ("first_response", 0, start),
        ("next_response", 1, start + mins(20)),
        ("next_response", 2, start + mins(40)),
    ]
    # Cycle 2 breaches at its own deadline.
    t7 = h.tick(t)
    assert h.now() == start + mins(160)
    assert clock_of(t7, "next_response", 2).breached_at == start + mins(160)


# --- 6. priority raised mid-ticket -----------------------------------------------------------


def test_a_host_override_to_critical_rebudgets_running_clocks_from_their_running_since(
    make_sla: Any,
) -> None:
    p = policy(f'[sla]\ncalendar = "support"\n{NO_WARNINGS}'
               '[[sla.targets]]\npriority = "critical"\nfirst_response = "30m"\n'
               'resolution = "4h"\n'
               '[[sla.targets]]\npriority = "high"\nfirst_response = "2h"\nresolution = "8h"\n')
    h = make_sla(p, ny(2026, 11, 30, 9, 0))
    t = h.create("high")
    assert clock_of(t, "resolution", 0).rule == 1

    h.set(ny(2026, 11, 30, 9, 30))
    h.agent_replied(t)
    h.set(ny(2026, 11, 30, 10, 0))
    h.status(t, "on_hold")
    h.set(ny(2026, 11, 30, 11, 0))
    t1 = h.status(t, "in_progress")
    r = clock_of(t1, "resolution", 0)
    assert r.consumed == hours(1)
    assert r.running_since == ny(2026, 11, 30, 11, 0)
    # 7 h left: Monday 11-17 (6 h), Tuesday 09-10.
    assert r.deadline == ny(2026, 12, 1, 10, 0)

    at = ny(2026, 11, 30, 12, 0)
    h.set(at)
    t2 = h.engine.record(t, "priority_overridden", priority="critical", by="host-user",
                         reason="outage for a VIP")
    assert t2.priority == "critical"
    r = clock_of(t2, "resolution", 0)
    cal = h.engine.calendar("support")
    assert cal is not None
    expected = cal.add(r.running_since, hours(4) - r.consumed)
    assert expected == ny(2026, 11, 30, 14, 0)
    assert r.deadline == expected
    assert r.budget == "4h"
    assert clock_of(t2, "resolution", 0).rule == 0
    assert r.priority == "critical"
    assert r.consumed == hours(1), "used time is kept"
    # The met first response keeps its budget.
    fr = clock_of(t2, "first_response", 0)
    assert fr.budget == "2h"
    assert fr.priority == "high"

    assert h.names_at(t, at) == ["priority_overridden", "sla_rebudgeted"]
    assert [e.data for e in h.entries(t, "sla_rebudgeted")] == [{
        "type": "sla_rebudgeted", "target": "resolution", "cycle": 0, "priority": "critical",
        "budget": "4h", "deadline": rfc3339(expected),
    }]
    assert t2.next_check == expected


# --- 7. breach actions -----------------------------------------------------------------------

BREACH_LADDER = """
[[ladder]]
name = "breach"
on = "breach"
targets = ["first_response"]
actions = ["create_task", "alert_manager", "notify_customer", "move_to_tier2"]

[[ladder]]
name = "tier2-exhausted"
on = "tier_exhausted"
actions = ["alert_manager"]
"""


def first_response_policy(ladder: str, **kw: Any) -> Policy:
    return policy(f'[sla]\ncalendar = "always"\n{NO_WARNINGS}'
                  '[[sla.targets]]\npriority = "critical"\nfirst_response = "30m"\n'
                  '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n'
                  f"{ladder}", **kw)


def test_a_breach_creates_a_task_alerts_the_manager_notifies_the_customer_and_moves_to_tier2(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(first_response_policy(BREACH_LADDER), start, tier2=True)
    t = h.create("high")
    assert t.assignee == "alice"
    breach = start + hours(1)
    t1 = h.tick(t)
    assert h.now() == breach

    assert h.names_at(t, breach) == [
        "sla_breached", "level_fired", "task_created", "effect_queued", "effect_queued",
        "assigned", "moved_to_tier",
    ]
    assert t1.assignee == "tara"
    assert t1.team == "team-b"
    assert t1.support_tier == "tier2"
    assert t1.status == "in_progress"
    [moved] = h.entries(t, "moved_to_tier")
    assert moved.data == {"type": "moved_to_tier", "tier": "tier2", "agent": "tara"}

    manager = key(t, "manager/first_response.0/breach~0")
    customer = key(t, "customer/first_response.0/breach~0")
    assert h.effect_keys(t) == [manager, customer]
    m = notification(h.effect(t, manager))
    assert m.kind == "manager_alert"
    assert m.to["name"] == "Mona", "the manager of the team that breached"
    c = notification(h.effect(t, customer))
    assert c.kind == "customer_notice"
    assert c.to["email"] == "carla@example.invalid"

    tasks = h.engine.tasks(ticket=t.id)
    assert len(tasks) == 1
    assert tasks[0].id == key(t, "task/first_response.0/breach~0")
    assert [e.data["level"] for e in h.entries(t, "level_fired")] == ["breach"]


def test_without_a_tier2_agent_the_ticket_stays_and_tier_exhausted_alerts_the_manager_once(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(first_response_policy(BREACH_LADDER), start)
    t = h.create("high")
    breach = start + hours(1)
    t1 = h.tick(t)
    assert t1.assignee == "alice"
    assert t1.team == "team-a"
    assert t1.support_tier == "tier1"
    assert t1.route_retry_at is None
    assert t1.queue_reason is None

    fired = [(e.data["level"], e.data["trigger"]) for e in h.entries(t, "level_fired")]
    assert fired == [("breach", "breach"), ("tier2-exhausted", "tier_exhausted")]
    [moved] = h.entries(t, "moved_to_tier")
    assert moved.data == {"type": "moved_to_tier", "tier": "tier2", "agent": None}
    exhausted = key(t, "manager/ticket/tier2-exhausted~0")
    assert h.effect_keys(t) == [
        key(t, "manager/first_response.0/breach~0"),
        key(t, "customer/first_response.0/breach~0"),
        exhausted,
    ]
    n = notification(h.effect(t, exhausted))
    assert n.kind == "manager_alert"
    assert n.to["name"] == "Mona"
    assert all(e.at in (breach, start) for e in h.log(t))

    # Later events do not exhaust the tier again.
    h.set(breach + hours(2))
    h.customer_replied(t)
    h.sweep()
    assert len(h.effects(t)) == 3
    assert h.count(t, "level_fired") == 2


# --- 8, 9, 10. pages -------------------------------------------------------------------------


def page_policy(repeat_every: str, max_repeats: int, ack_timeout: str, extra: str = "") -> Policy:
    return first_response_policy(f"""
[[ladder]]
name = "page-critical"
on = "breach"
min_priority = "critical"
actions = ["page"]
page = {{ repeat_every = "{repeat_every}", max_repeats = {max_repeats}, ack_timeout = "{ack_timeout}" }}
{extra}""")


def page_triggers(h: Sla, t: Ticket) -> list[tuple[str, str, datetime]]:
    return [(e.key, e.state, e.created_at) for e in h.effects(t) if e.kind == "page_trigger"]


def test_a_critical_page_repeats_every_15_minutes_until_acknowledged_then_stops(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(page_policy("15m", 10, "2h"), start)
    t = h.create("critical")
    breach = start + mins(30)
    t1 = h.tick(t)
    assert h.now() == breach
    page = key(t, "page/first_response.0/page-critical~0")
    assert len(t1.pages) == 1
    assert t1.pages[0].key == page
    assert t1.pages[0].triggered_at == breach
    assert t1.next_check == breach + mins(15)
    h.engine.dispatch()

    t2 = h.tick(t)
    assert h.now() == breach + mins(15)
    assert t2.next_check == breach + mins(30)
    h.engine.dispatch()
    h.tick(t)
    assert h.now() == breach + mins(30)
    assert page_triggers(h, t) == [
        (f"{page}/0", "delivered", breach),
        (f"{page}/1", "delivered", breach + mins(15)),
        (f"{page}/2", "pending", breach + mins(30)),
    ]
    repeats = [(e.data["repeat"], e.at) for e in h.entries(t, "page_repeated")]
    assert repeats == [(1, breach + mins(15)), (2, breach + mins(30))]

    # Acknowledged five minutes later: the pending repeat is cancelled.
    acked = breach + mins(35)
    h.set(acked)
    t3 = h.engine.acknowledge(t, page=page, by="oncall-olga")
    assert t3.pages[0].acknowledged == (acked, "oncall-olga")
    assert t3.next_check is None
    cancelled = h.effect(t, f"{page}/2")
    assert cancelled.state == "cancelled"
    assert cancelled.finished_at == acked
    assert h.names_at(t, acked) == ["page_acknowledged"]

    # Acknowledging again changes nothing; an unknown page is NotFound.
    h.engine.acknowledge(t, page=page, by="oncall-olga")
    assert h.count(t, "page_acknowledged") == 1
    with pytest.raises(NotFound) as err:
        h.engine.acknowledge(t, page="no-such-page", by="oncall-olga")
    assert err.value.what == "page"

    # No more repeats, ever; nothing more reaches the pager.
    for later in (mins(45), mins(60), hours(3), hours(24)):
        h.set(breach + later)
        h.sweep()
        h.engine.dispatch()
    assert len(page_triggers(h, t)) == 3
    assert [(p.dedup_key, p.repeat) for p in h.pager.triggered()] == [(page, 0), (page, 1)]
    assert h.pager.resolved() == []

    # The acknowledged page is still open at the pager; resolving the ticket closes it.
    assert h.pager.is_open(page)
    h.engine.resolve(t, summary="Restarted the job", root_cause="configuration",
                     by="oncall-olga")
    assert h.effect(t, f"{page}/resolve").kind == "page_resolve"
    h.engine.dispatch()
    assert h.pager.resolved() == [page]
    assert len(h.pager.triggered()) == 2
    assert not h.pager.is_open(page)


def test_max_repeats_is_honoured_and_an_unacknowledged_page_escalates_at_its_ack_timeout(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    extra = """
[[ladder]]
name = "page-unacked"
on = "page_unacknowledged"
actions = ["alert_manager"]
"""
    h = make_sla(page_policy("10m", 3, "45m", extra), start)
    t = h.create("critical")
    breach = start + mins(30)
    h.tick(t)
    assert h.now() == breach
    h.tick(t)
    assert h.now() == breach + mins(10)
    t1 = h.tick(t)
    assert h.now() == breach + mins(20)
    assert t1.pages[0].sent == 3
    # No fourth page: the next thing due is the acknowledgement timeout.
    assert t1.next_check == breach + mins(45)
    h.set(breach + mins(30))
    assert h.sweep() == 0

    t2 = h.tick(t)
    assert h.now() == breach + mins(45)
    assert t2.pages[0].ack_timed_out is True
    page = key(t, "page/first_response.0/page-critical~0")
    alert = key(t, "manager/first_response.0/page-unacked~0")
    assert h.names_at(t, breach + mins(45)) == [
        "page_unacknowledged", "level_fired", "effect_queued"]
    assert h.effect_keys(t) == [f"{page}/0", f"{page}/1", f"{page}/2", alert]
    assert notification(h.effect(t, alert)).kind == "manager_alert"
    assert t2.next_check is None

    for later in (hours(1), hours(5), hours(48)):
        h.set(breach + later)
        h.sweep()
    h.customer_replied(t)
    assert len(h.effects(t)) == 4
    assert h.count(t, "page_unacknowledged") == 1
    assert h.count(t, "page_repeated") == 2


def test_resolving_cancels_pending_page_repeats_and_resolves_the_page_at_the_pager(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(page_policy("15m", 10, "2h"), start)
    t = h.create("critical")
    breach = start + mins(30)
    h.tick(t)
    h.engine.dispatch()
    h.tick(t)  # repeat 1, left pending
    page = key(t, "page/first_response.0/page-critical~0")
    assert h.pager.is_open(page)

    # A root cause outside the taxonomy is refused, and changes nothing.
    at = breach + mins(20)
    h.set(at)
    before = h.ticket(t)
    with pytest.raises(InvalidInput) as err:
        h.engine.resolve(t, summary="Fixed the invoice job", root_cause="gremlins",
                         by="lead-lee")
    assert err.value.field == "root_cause"
    assert "gremlins" in str(err.value)
    assert h.ticket(t) == before

    t1 = h.engine.resolve(t, summary="Fixed the invoice job", root_cause="product_defect",
                          by="lead-lee")
    assert t1.status == "resolved"
    assert t1.resolved_at == at
    assert t1.resolution == {"summary": "Fixed the invoice job", "root_cause": "product_defect",
                             "by": "lead-lee", "at": rfc3339(at)}
    assert t1.pages[0].resolved_at == at
    assert t1.next_check is None
    [resolved] = h.entries(t, "resolved")
    assert resolved.at == at
    assert resolved.data == {"type": "resolved", "summary": "Fixed the invoice job",
                             "root_cause": "product_defect"}

    assert [(e.key, e.kind, e.state) for e in h.effects(t)] == [
        (f"{page}/0", "page_trigger", "delivered"),
        (f"{page}/1", "page_trigger", "cancelled"),
        (f"{page}/resolve", "page_resolve", "pending"),
    ]

    report = h.engine.dispatch()
    assert report.delivered == 1
    assert [(p.dedup_key, p.repeat) for p in h.pager.triggered()] == [(page, 0)]
    assert h.pager.resolved() == [page]
    assert [call for call, _ in h.pager.calls()] == ["trigger", "resolve"]
    assert not h.pager.is_open(page)

    # Nothing more once resolved.
    h.set(at + hours(4))
    assert h.sweep() == 0
    assert h.engine.dispatch().claimed == 0
    assert len(h.pager.triggered()) == 1
    assert len(h.pager.resolved()) == 1


# --- 11. quiet hours -------------------------------------------------------------------------


def test_quiet_hours_defer_a_saturday_customer_notice_to_monday_nine_but_never_a_page(
    make_sla: Any,
) -> None:
    p = policy(f"""
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "critical"
first_response = "30m"

[[ladder]]
name = "breach"
on = "breach"
actions = ["notify_customer", "page"]
page = {{ repeat_every = "15m", max_repeats = 1, ack_timeout = "72h" }}

[quiet_hours]
customer_notice = "support"
""")
    # Saturday 09:00 New York.
    start = ny(2026, 12, 5, 9, 0)
    h = make_sla(p, start)
    t = h.create("critical")
    breach = start + mins(30)
    h.tick(t)
    assert h.now() == breach
    monday = ny(2026, 12, 7, 9, 0)
    assert monday == utc("2026-12-07T14:00:00Z")

    notice = key(t, "customer/first_response.0/breach~0")
    page = key(t, "page/first_response.0/breach~0")
    n = h.effect(t, notice)
    assert n.not_before == monday
    assert n.next_attempt_at == monday
    assert h.effect(t, f"{page}/0").not_before == breach, "pages are never deferred"

    assert h.engine.dispatch().delivered == 1
    assert len(h.pager.triggered()) == 1
    assert h.notifier.delivered() == []

    for before in (ny(2026, 12, 6, 12, 0), monday - SECOND):
        h.set(before)
        assert h.engine.dispatch().delivered == 0
        assert h.notifier.delivered() == []
        assert h.effect(t, notice).state == "pending"

    h.set(monday)
    assert h.engine.dispatch().delivered == 1
    delivered = h.notifier.delivered()
    assert len(delivered) == 1
    assert delivered[0].key == notice
    assert delivered[0].kind == "customer_notice"
    e = h.effect(t, notice)
    assert e.state == "delivered"
    assert e.finished_at == monday


# --- 12. intake outside business hours -------------------------------------------------------


def test_a_ticket_created_on_saturday_night_counts_its_first_response_from_monday_nine(
    make_sla: Any,
) -> None:
    p = policy("""
[sla]
calendar = "support"
[sla.warnings]
percent = [75]
[[sla.targets]]
priority = "high"
first_response = "2h"
""")
    created = ny(2026, 12, 5, 23, 0)
    assert created == utc("2026-12-06T04:00:00Z")
    h = make_sla(p, created)
    t = h.create("high")
    fr = clock_of(t, "first_response", 0)
    assert fr.started_at == created
    cal = h.engine.calendar("support")
    assert cal is not None
    monday = cal.next_open(created)
    assert monday == ny(2026, 12, 7, 9, 0)
    assert fr.deadline == ny(2026, 12, 7, 11, 0)
    assert fr.deadline == utc("2026-12-07T16:00:00Z")
    assert fr.deadline == monday + hours(2)
    # The 75 % warning: 1 h 30 m into Monday.
    assert t.next_check == ny(2026, 12, 7, 10, 30)
    h.set(ny(2026, 12, 7, 9, 0))
    assert h.sweep() == 0, "nothing is due at the opening itself"


# --- 13. since_breach ------------------------------------------------------------------------


def test_since_breach_fires_exactly_two_hours_after_the_breach_raises_the_priority_one_step_once(
    make_sla: Any,
) -> None:
    p = policy(f"""
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "high"
resolution = "30m"
[[sla.targets]]
priority = "normal"
resolution = "1h"

[[ladder]]
name = "still-breached"
on = "since_breach"
targets = ["resolution"]
after = "2h"
actions = ["raise_priority"]
""")
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("normal")
    breach = start + hours(1)
    t1 = h.tick(t)
    assert h.now() == breach
    assert clock_of(t1, "resolution", 0).breached_at == breach
    assert t1.next_check == breach + hours(2)

    h.set(breach + hours(2) - SECOND)
    assert h.sweep() == 0
    assert h.ticket(t).priority == "normal"

    t2 = h.tick(t)
    at = breach + hours(2)
    assert h.now() == at
    assert h.names_at(t, at) == ["level_fired", "priority_raised"]
    assert t2.priority == "high", "one step, not to critical"
    o = t2.priority_override
    assert o is not None
    assert o["by"] == "ladder:still-breached"
    assert o["at"] == rfc3339(at)
    [raised] = h.entries(t, "priority_raised")
    assert raised.data == {"type": "priority_raised", "from": "normal", "to": "high",
                           "level": "still-breached"}
    assert t2.next_check is None

    for later in (hours(3), hours(10), hours(50)):
        h.set(breach + later)
        h.sweep()
    h.customer_replied(t)
    assert h.count(t, "priority_raised") == 1
    assert h.count(t, "level_fired") == 1
    assert h.ticket(t).priority == "high"


def test_since_breach_does_not_fire_for_a_clock_that_was_met_late_and_stopped(
    make_sla: Any,
) -> None:
    # First response breached at 16:00 and was met (late) at 16:30: the clock is stopped, so
    # nothing is "still breached" two hours later, whatever event makes the engine look.
    p = policy(f"""
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "high"
first_response = "1h"
resolution = "24h"

[[ladder]]
name = "still-breached"
on = "since_breach"
targets = ["first_response"]
after = "2h"
actions = ["raise_priority"]
""")
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("high")
    h.tick(t)
    assert h.now() == start + hours(1)
    h.set(start + mins(90))
    t1 = h.agent_replied(t)
    fr = clock_of(t1, "first_response", 0)
    assert fr.stopped_at == start + mins(90)
    assert fr.breached_at == start + hours(1)
    # Nothing is scheduled for the stopped clock...
    assert t1.next_check == start + hours(24)
    # ...so an event three hours after the breach must not fire it either.
    h.set(start + hours(4))
    t2 = h.customer_replied(t)
    assert t2.priority == "high"
    assert h.count(t, "level_fired") == 0
    assert h.count(t, "priority_raised") == 0


# --- 14. escalation tasks --------------------------------------------------------------------


def test_escalation_tasks_are_listed_assigned_and_closed_and_created_once_per_breach(
    make_sla: Any,
) -> None:
    p = policy(f"""
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
priority = "high"
first_response = "1h"
resolution = "3h"

[[ladder]]
name = "breach"
on = "breach"
actions = ["create_task"]
""")
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("high")
    h.tick(t)
    first = key(t, "task/first_response.0/breach~0")
    # Repeated looks at the ticket create nothing new.
    h.set(start + mins(70))
    assert h.sweep() == 0
    h.customer_replied(t)
    h.set(start + mins(80))
    h.customer_replied(t)
    tasks = h.engine.tasks(ticket=t.id)
    assert len(tasks) == 1
    task = tasks[0]
    assert task.id == first
    assert task.ticket == t.id
    assert task.level == "breach"
    assert task.target == "first_response"
    assert task.reason == "first_response breached"
    assert task.created_at == start + hours(1)
    assert task.status == "open"
    assert task.assignee is None

    # The resolution breach is another task.
    h.tick(t)
    assert h.now() == start + hours(3)
    second = key(t, "task/resolution.0/breach~0")
    assert [x.id for x in h.engine.tasks()] == [first, second]

    h.set(start + hours(4))
    assigned = h.engine.assign_task(first, "alice")
    assert assigned.assignee == "alice"
    closed = h.engine.close_task(first)
    assert closed.status == "closed"
    assert closed.closed_at == start + hours(4)
    h.set(start + hours(5))
    again = h.engine.close_task(first)
    assert again.closed_at == start + hours(4), "closing twice keeps the first close"

    tasks = h.engine.tasks(ticket=t.id)
    assert tasks[0].status == "closed"
    assert tasks[0].assignee == "alice"
    assert tasks[1].status == "open"

    with pytest.raises(NotFound) as err:
        h.engine.assign_task("nope", None)
    assert err.value.what == "task"
    assert h.engine.tasks(tenant="acme") == []
    with pytest.raises(NotFound):
        # Another tenant's task reads as not found.
        h.engine.close_task(first, tenant="acme")
    assert h.engine.tasks(ticket=999) == []


# --- 15, 16. dispatch ------------------------------------------------------------------------

ALERT_LADDER = """
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager", "notify_customer"]
"""


def test_dispatch_delivers_each_effect_once_and_marks_it_delivered(make_sla: Any) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(first_response_policy(ALERT_LADDER), start)
    t = h.create("high")
    h.tick(t)
    at = start + hours(1)
    manager = key(t, "manager/first_response.0/breach~0")
    customer = key(t, "customer/first_response.0/breach~0")
    assert [e.state for e in h.effects(t)] == ["pending", "pending"]

    r = h.engine.dispatch()
    assert (r.claimed, r.delivered, r.retried, r.dead_lettered) == (2, 2, 0, 0)
    for e in h.effects(t):
        assert (e.state, e.attempts, e.finished_at) == ("delivered", 1, at), e.key
    # Effects due at one instant go out in key order.
    assert [n.key for n in h.notifier.delivered()] == [customer, manager]
    assert h.notifier.calls == 2

    r = h.engine.dispatch()
    assert (r.claimed, r.delivered, r.retried, r.dead_lettered, r.conflicts) == (0, 0, 0, 0, 0)
    h.set(at + hours(1))
    assert h.engine.dispatch().claimed == 0
    assert h.notifier.calls == 2

    assert [e.data for e in h.entries(t, "effect_delivered")] == [
        {"type": "effect_delivered", "key": customer, "attempts": 1},
        {"type": "effect_delivered", "key": manager, "attempts": 1},
    ]


class FailingNotifier:
    """A Notifier that fails every call, transiently or permanently, and counts the calls.
    (Called on the engine's worker threads, hence the lock.)"""

    def __init__(self, permanent: bool) -> None:
        self.permanent = permanent
        self.calls = 0
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        with self._lock:
            self.calls += 1
        if self.permanent:
            raise PermanentFailure("mailbox does not exist")
        raise ConnectionError("451 try again later")


def failing(make_sla: Any, permanent: bool, max_attempts: int) -> tuple[Sla, FailingNotifier,
                                                                         Ticket]:
    notifier = FailingNotifier(permanent)
    p = first_response_policy("""
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager"]
""", max_attempts=max_attempts)
    assert p.to_dict()["dispatch"]["max_attempts"] == max_attempts
    h = make_sla(p, utc("2026-11-30T15:00:00Z"), notifier=notifier)
    t = h.create("high")
    h.tick(t)
    return h, notifier, t


def test_a_permanent_failure_dead_letters_at_the_first_attempt(make_sla: Any) -> None:
    h, notifier, t = failing(make_sla, True, 8)
    at = h.now()
    k = key(t, "manager/first_response.0/breach~0")
    r = h.engine.dispatch()
    assert (r.claimed, r.delivered, r.retried, r.dead_lettered) == (1, 0, 0, 1)
    e = h.effect(t, k)
    assert e.state == "dead_lettered"
    assert e.attempts == 1
    assert e.finished_at == at
    assert e.last_error is not None and "mailbox does not exist" in e.last_error, e.last_error
    assert h.names_at(t, at)[-1] == "effect_dead_lettered"
    last = h.log(t)[-1]
    assert last.event == "effect_dead_lettered"
    assert (last.data["key"], last.data["attempts"]) == (k, 1)
    h.set(at + hours(2))
    assert h.engine.dispatch().claimed == 0
    assert notifier.calls == 1


def test_a_transient_failure_retries_with_jittered_backoff_then_dead_letters_after_max_attempts(
    make_sla: Any,
) -> None:
    h, notifier, t = failing(make_sla, False, 3)
    k = key(t, "manager/first_response.0/breach~0")
    first = h.now()
    r = h.engine.dispatch()
    assert (r.delivered, r.retried, r.dead_lettered) == (0, 1, 0)
    e = h.effect(t, k)
    assert e.state == "pending"
    assert e.attempts == 1
    wait = e.next_attempt_at - first
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=36), f"30 s +- 20 %, got {wait}"
    assert e.last_error is not None and "451" in e.last_error, e.last_error
    last = h.log(t)[-1]
    assert (last.event, last.data["attempts"]) == ("effect_retrying", 1)
    assert utc(last.data["retry_at"]) == e.next_attempt_at

    # Not before its retry instant.
    h.set(e.next_attempt_at - timedelta(milliseconds=1))
    assert h.engine.dispatch().claimed == 0

    h.set(e.next_attempt_at)
    second = h.now()
    assert h.engine.dispatch().retried == 1
    e = h.effect(t, k)
    assert e.attempts == 2
    wait = e.next_attempt_at - second
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72), f"60 s +- 20 %, got {wait}"

    h.set(e.next_attempt_at)
    third = h.now()
    r = h.engine.dispatch()
    assert (r.retried, r.dead_lettered) == (0, 1)
    e = h.effect(t, k)
    assert e.state == "dead_lettered"
    assert e.attempts == 3
    assert e.finished_at == third
    assert notifier.calls == 3
    assert h.count(t, "effect_retrying") == 2
    assert h.count(t, "effect_dead_lettered") == 1
    h.set(third + hours(1))
    assert h.engine.dispatch().claimed == 0


# --- 17. templates ---------------------------------------------------------------------------


def test_customer_text_is_escaped_in_bodies_and_kept_on_one_line_in_subjects(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(first_response_policy(ALERT_LADDER), start)
    subject = "Refund <script>alert(1)</script>\r\nBcc: victim@example.com"
    t = h.create("high", subject=subject)
    h.tick(t)
    m = notification(h.effect(t, key(t, "manager/first_response.0/breach~0")))
    assert m.subject == (f"[HIGH] Ticket #{t.id} breached: "
                         "Refund <script>alert(1)</script>  Bcc: victim@example.com")
    assert "\r" not in m.subject and "\n" not in m.subject
    assert "&lt;script&gt;alert(1)&lt;" in m.body, m.body
    assert "<script" not in m.body, m.body
    c = notification(h.effect(t, key(t, "customer/first_response.0/breach~0")))
    assert "\r" not in c.subject and "\n" not in c.subject
    assert "&lt;script&gt;" in c.body, c.body
    assert "<script" not in c.body, c.body
    assert "Dear Carla" in c.body, c.body
    # Delivered as queued.
    h.engine.dispatch()
    sent = h.notifier.delivered()
    assert len(sent) == 2
    assert [n for n in sent if n.key == m.key] == [m]
    assert [n for n in sent if n.key == c.key] == [c]


# --- 18. explain -----------------------------------------------------------------------------


def test_explain_lists_rule_calendar_holidays_pauses_and_segments_that_add_up_to_the_budget(
    make_sla: Any,
) -> None:
    h, t = holiday_scenario(make_sla)
    h.set(ny(2026, 12, 28, 10, 0))
    x = h.engine.explain(t)
    assert x.policy_version == "v1"
    assert len(x.targets) == 1
    r = x.targets[0]
    assert r["target"] == "resolution"
    assert r["rule"].startswith("sla.targets[1]"), r["rule"]
    assert "high" in r["rule"], r["rule"]
    assert r["calendar"] == "support"
    assert r["budget"] == "8h"
    assert r["state"] == "running"
    assert utc(r["started_at"]) == ny(2026, 12, 24, 15, 0)
    assert utc(r["deadline"]) == ny(2026, 12, 28, 16, 30)
    assert r["holidays_skipped"] == ["2026-12-25"]
    assert [(utc(p["from"]), utc(p["to"])) for p in r["pauses"]] == [
        (ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 9, 30))]
    segments = [(utc(a), utc(b)) for a, b in r["segments"]]
    assert segments == [
        (ny(2026, 12, 24, 15, 0), ny(2026, 12, 24, 16, 0)),
        (ny(2026, 12, 28, 9, 30), ny(2026, 12, 28, 16, 30)),
    ]
    assert sum((b - a for a, b in segments), timedelta()) == hours(8)
    assert r["used_seconds"] == 90 * 60
    assert r["remaining_seconds"] == 8 * 3600 - 90 * 60
    text = str(x)
    assert "holiday skipped: 2026-12-25" in text, text
    assert "paused 2026-12-24T21:00:00Z" in text, text


# --- 19. policy versions ---------------------------------------------------------------------


def versioned(version: str, resolution: str) -> Policy:
    return policy_v(version, '[sla]\ncalendar = "always"\n[sla.warnings]\npercent = [50]\n'
                             '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n'
                             f'resolution = "{resolution}"\n')


def test_a_ticket_keeps_its_pinned_budgets_under_an_edited_policy_until_recalculated(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(versioned("v1", "8h"), start)
    t = h.create("high")
    assert t.policy_version == "v1"
    h.set(start + mins(10))
    h.agent_replied(t)
    v2 = h.engine_with("engine-v2", versioned("v2", "6h"))

    # The v2 engine sweeps the ticket at its 50 % warning: the v1 budget stands.
    half = start + hours(4)
    h.set(half)
    assert v2.sweep().claimed == 1
    t1 = h.ticket(t)
    assert h.names_at(t, half) == ["sla_warning"]
    r = clock_of(t1, "resolution", 0)
    assert r.budget == "8h"
    assert r.deadline == start + hours(8)
    assert t1.policy_version == "v1"
    h.set(half + mins(30))
    v2.record(t, "customer_replied")
    assert clock_of(h.ticket(t), "resolution", 0).budget == "8h"

    # Recalculated: v2's budget, from the same start.
    at = start + hours(5)
    h.set(at)
    t2 = v2.recalculate(t)
    assert t2.policy_version == "v2"
    r = clock_of(t2, "resolution", 0)
    assert r.budget == "6h"
    assert r.deadline == start + hours(6)
    assert r.priority == "high"
    assert "sla_rebudgeted" in h.names_at(t, at)
    assert t2.next_check == start + hours(6)
    assert v2.explain(t).policy_version == "v2"


def test_recalculate_keeps_each_clock_priority_equal_to_the_ticket_priority(
    make_sla: Any,
) -> None:
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(versioned("v1", "8h"), start)
    t = h.create("high")
    # First response breaches at 16:00 (still open, not stopped).
    h.set(start + hours(1))
    assert h.sweep() == 1
    assert clock_of(h.ticket(t), "first_response", 0).breached_at == start + hours(1)
    v2 = h.engine_with("engine-v2", versioned("v2", "6h"))
    h.set(start + hours(5))
    t2 = v2.recalculate(t)
    assert [(c.target, c.priority) for c in t2.sla] == [
        ("first_response", "high"), ("resolution", "high")]
    assert clock_of(t2, "resolution", 0).budget == "6h"


# --- 20. drafts ------------------------------------------------------------------------------


def test_a_draft_has_no_clocks_until_submitted_and_they_start_at_the_submission(
    make_sla: Any,
) -> None:
    p = policy(f'[sla]\ncalendar = "always"\n{NO_WARNINGS}'
               '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n'
               'resolution = "8h"\n')
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("high", subject="Draft question", draft=True)
    assert t.status == "draft"
    assert t.sla == []
    assert t.policy_version is None
    assert t.next_check is None
    h.set(start + hours(3))
    assert h.sweep() == 0
    assert h.ticket(t).sla == []

    submitted = start + hours(4)
    h.set(submitted)
    t1 = h.status(t, "new")
    assert t1.status == "in_progress", "assigned on submission"
    assert t1.policy_version == "v1"
    fr = clock_of(t1, "first_response", 0)
    assert fr.started_at == submitted
    assert fr.deadline == submitted + hours(1)
    res = clock_of(t1, "resolution", 0)
    assert res.started_at == submitted
    assert res.deadline == submitted + hours(8)
    assert t1.next_check == submitted + hours(1)
    assert [e.at for e in h.entries(t, "sla_started")] == [submitted, submitted]


# --- 21. resolved, reopened, closed ----------------------------------------------------------


def test_resolved_tickets_are_never_due_and_reopening_resumes_resolution_with_the_time_used(
    make_sla: Any,
) -> None:
    p = policy(f'[sla]\ncalendar = "always"\n{NO_WARNINGS}'
               '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n'
               'resolution = "4h"\n')
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("high")
    h.set(start + mins(10))
    h.agent_replied(t)
    resolved_at = start + hours(1)
    h.set(resolved_at)
    t1 = h.engine.resolve(t, summary="Explained the invoice", root_cause="other", by="alice")
    assert t1.next_check is None
    r = clock_of(t1, "resolution", 0)
    assert r.stopped_at == resolved_at
    assert r.consumed == hours(1)
    assert r.deadline is None
    stopped = [e.data for e in h.entries(t, "sla_stopped") if e.at == resolved_at]
    assert stopped == [{"type": "sla_stopped", "target": "resolution", "cycle": 0,
                        "used_seconds": 3600, "met": True}]
    # Far past the old deadline, nothing is due and nothing breaches.
    h.set(start + hours(10))
    assert h.sweep() == 0
    assert h.count(t, "sla_breached") == 0

    # Reopened at +10 h: 3 h left.
    reopened = start + hours(10)
    t2 = h.status(t, "in_progress")
    assert t2.resolution is None
    assert t2.resolved_at is None
    r = clock_of(t2, "resolution", 0)
    assert r.stopped_at is None
    assert r.running_since == reopened
    assert r.consumed == hours(1)
    assert r.deadline == reopened + hours(3)
    assert clock_of(t2, "first_response", 0).stopped_at is not None, "first response stays met"
    assert t2.next_check == reopened + hours(3)
    assert h.names_at(t, reopened) == ["status_changed", "sla_resumed"]

    # Closed: never due again, and events are refused.
    h.set(reopened + hours(1))
    t3 = h.status(t, "closed")
    assert t3.next_check is None
    assert clock_of(t3, "resolution", 0).consumed == hours(2)
    h.set(reopened + hours(10))
    assert h.sweep() == 0
    with pytest.raises(InvalidInput) as err:
        h.customer_replied(t)
    assert err.value.field == "event"
    assert h.count(t, "sla_breached") == 0


# --- 22. the priority trigger ----------------------------------------------------------------


def test_the_priority_trigger_pages_a_critical_ticket_at_intake_once(make_sla: Any) -> None:
    p = policy(f"""
[sla]
calendar = "always"
{NO_WARNINGS}
[[sla.targets]]
resolution = "8h"

[[ladder]]
name = "page-on-critical"
on = "priority"
min_priority = "critical"
actions = ["page"]
page = {{ repeat_every = "15m", max_repeats = 1, ack_timeout = "8h" }}
""")
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    t = h.create("critical")
    page = key(t, "page/ticket/page-on-critical~0")
    assert len(t.pages) == 1
    assert t.pages[0].key == page
    assert t.pages[0].triggered_at == start
    assert h.effect_keys(t) == [f"{page}/0"]
    e = h.effect(t, f"{page}/0")
    assert e.kind == "page_trigger"
    assert e.page is not None
    assert (e.page.severity, e.page.repeat) == ("critical", 0)
    assert e.not_before == start
    assert h.engine.dispatch().delivered == 1
    assert h.pager.is_open(page)

    for m in (5, 20, 60):
        h.set(start + mins(m))
        h.customer_replied(t)
        h.sweep()
    assert h.count(t, "level_fired") == 1
    assert len(h.effects(t)) == 1
    assert len(h.ticket(t).fired) == 1

    # A High ticket is not paged, until the host raises it to Critical.
    u = h.create("high")
    assert u.pages == []
    assert h.effects(u) == []
    raised_at = start + mins(70)
    h.set(raised_at)
    u1 = h.engine.record(u, "priority_overridden", priority="critical", by="host-user",
                         reason="VIP")
    assert len(u1.pages) == 1
    assert u1.pages[0].triggered_at == raised_at
    assert h.effect_keys(u) == [key(u, "page/ticket/page-on-critical~0/0")]


# --- 23. log_range ---------------------------------------------------------------------------


def test_log_range_returns_one_tenants_entries_in_time_order_within_from_to(
    make_sla: Any,
) -> None:
    p = policy(f'[sla]\ncalendar = "always"\n{NO_WARNINGS}'
               '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n')
    start = utc("2026-11-30T15:00:00Z")
    h = make_sla(p, start)
    a = h.create("high")
    h.set(start + mins(5))
    h.customer_replied(a)
    h.set(start + mins(10))
    other = h.engine.create_ticket(customer="c-9", category="billing", subject="Other tenant",
                                   channel="chat", impact="bug", priority="high",
                                   tenant="acme", received_at=h.now())
    h.set(start + mins(20))
    b = h.create("high")
    h.set(start + mins(25))
    h.customer_replied(a)
    h.set(start + mins(30))
    h.customer_replied(b)

    def log_range(start_: datetime, end: datetime) -> list[tuple[int, LogEntry]]:
        return h.engine.log_range(start_, end)

    count_a0 = sum(1 for e in h.log(a) if e.at == start)
    count_b0 = sum(1 for e in h.log(b) if e.at == start + mins(20))
    assert count_a0 > 0 and count_b0 > 0

    # [start, start + 20 m): ticket a only; b's intake at +20 m is excluded.
    first = log_range(start, start + mins(20))
    assert len(first) == count_a0 + 1
    assert all(ticket_id == a.id for ticket_id, _ in first)
    assert first[-1][1].at == start + mins(5)

    everything = log_range(start, start + mins(31))
    expected = [(a.id, start)] * count_a0
    expected.append((a.id, start + mins(5)))
    expected.extend([(b.id, start + mins(20))] * count_b0)
    expected.append((a.id, start + mins(25)))
    expected.append((b.id, start + mins(30)))
    assert [(ticket_id, e.at) for ticket_id, e in everything] == expected
    # Within one ticket and instant, the log's own order is kept.
    assert [e for ticket_id, e in everything if ticket_id == a.id] == h.log(a)

    acme_log = h.engine.log_range(start, start + hours(1), tenant="acme")
    assert acme_log != []
    assert all(ticket_id == other.id for ticket_id, _ in acme_log)
    assert log_range(start + mins(31), start + hours(1)) == []
    assert log_range(start + mins(30), start + mins(30)) == []
    # The other tenant's ticket does not exist in the default tenant.
    assert other.id not in (a.id, b.id)
    with pytest.raises(NotFound):
        h.engine.log(other.id)
