"""Every engine capability through ``Engine`` and ``AsyncEngine``, on the memory, SQLite and
PostgreSQL stores: intake, events, the sweep and the ladder, dispatch, pages, tasks, the
audit log, explanations, ART, the weekly report, cleanup, and the errors."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import escalation
from escalation import (
    Engine,
    LogEntry,
    ManualClock,
    MemoryStore,
    Policy,
    PostgresStore,
    SqliteStore,
    Ticket,
)
from engine_support import START, Desk, closing, make_store, utc

STORES = ["memory", "sqlite", "postgres"]
MODES = ["sync", "async"]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def desk(store_kind: str, tmp_path: Path) -> Desk:
    return Desk(make_store(store_kind, tmp_path))


@pytest.fixture
def engine(desk: Desk, mode: str) -> Any:
    yield from closing(desk.engine(mode))


def clock_of(t: Ticket, target: str) -> Any:
    return next(c for c in t.sla if c.target == target)


def test_a_critical_ticket_breaches_escalates_pages_and_resolves(desk: Desk, engine: Any) -> None:
    t = engine.create_ticket(
        customer="c-1", category="billing", subject="Invoice is wrong", impact="bug",
        priority="critical",
    )
    assert isinstance(t, Ticket)
    assert (t.status, t.priority, t.support_tier) == ("in_progress", "critical", "tier1")
    assert t.assignee in {"alice", "bob"}
    assert t.profile is not None and t.profile.tier == "enterprise"
    assert t.profile_state == "known"
    assert t.received_at == START
    # Critical tickets run on the "always" calendar: 30 minutes to first response.
    assert clock_of(t, "first_response").deadline == utc("2026-11-30T15:30:00")
    assert engine.ticket(t.id) == t

    desk.clock.set(utc("2026-11-30T15:30:00"))
    assert engine.sweep().claimed >= 1
    t = engine.ticket(t)
    assert clock_of(t, "first_response").breached_at == utc("2026-11-30T15:30:00")
    assert (t.support_tier, t.assignee) == ("tier2", "tara")

    [task] = engine.tasks(ticket=t.id)
    assert (task.ticket, task.level, task.status) == (t.id, "breach", "open")

    report = engine.dispatch()
    assert report.delivered == report.claimed >= 3
    kinds = {n.kind for n in desk.notifier.delivered()}
    assert {"manager_alert", "customer_notice"} <= kinds
    to_manager = next(n for n in desk.notifier.delivered() if n.kind == "manager_alert")
    assert to_manager.to["email"] == "mona@example.invalid"
    [page] = desk.pager.triggered()
    assert (page.ticket, page.severity, page.repeat) == (t.id, "critical", 0)
    assert all(e.state == "delivered" for e in engine.effects(t))

    key = engine.ticket(t).pages[0].key
    assert desk.pager.is_open(key)
    t = engine.acknowledge(t, page=key, by="oncall-1")
    assert t.pages[0].acknowledged == (utc("2026-11-30T15:30:00"), "oncall-1")
    assert not t.pages[0].is_active

    explained = engine.explain(t)
    first = next(x for x in explained.targets if x["target"] == "first_response")
    assert (first["state"], first["budget"]) == ("breached", "30m")
    assert explained.priority == "critical"

    assert engine.assign_task(task.id, "tara").assignee == "tara"
    closed = engine.close_task(task.id)
    assert (closed.status, closed.closed_at) == ("closed", utc("2026-11-30T15:30:00"))

    desk.clock.set(utc("2026-11-30T15:40:00"))
    t = engine.record(t, "agent_replied", agent="tara")
    assert t.first_response_at == utc("2026-11-30T15:40:00")
    t = engine.record(t, "status_changed", to="pending_customer", by="tara")
    assert t.status == "pending_customer"
    t = engine.record(t.id, {"type": "customer_replied"})
    assert (t.status, t.last_customer_reply_at) == ("in_progress", utc("2026-11-30T15:40:00"))

    desk.clock.set(utc("2026-11-30T16:00:00"))
    t = engine.resolve(t, summary="Credit note issued", root_cause="product_defect", by="tara")
    assert t.status == "resolved"
    assert t.resolution is not None and t.resolution["root_cause"] == "product_defect"
    assert desk.pager.resolved() == []  # acknowledged pages are resolved on dispatch
    engine.dispatch()
    assert desk.pager.resolved() == [key]

    names = [e.event for e in engine.log(t)]
    for name in ("created", "profile_fetched", "assigned", "sla_breached", "level_fired",
                 "task_created", "page_acknowledged", "resolved"):
        assert name in names, name
    assert names.count("sla_breached") == 1
    entries = engine.log_range(START, START + timedelta(days=1))
    assert entries and all(tid == t.id and isinstance(e, LogEntry) for tid, e in entries)
    assert [e for _, e in entries] == engine.log(t)

    art = engine.metrics(START, START + timedelta(days=1))
    assert art.overall["all"]["count"] == 1
    assert art.overall["escalated"]["count"] == 1
    # Resolved one hour after it was received; critical runs on "always".
    assert art.overall["all"]["wall"]["mean"] == 3600

    week = engine.weekly_report(2026, 49, timezone="America/New_York")
    assert (week.week, week.tenant, week.timezone) == ("2026-W49", "default", "America/New_York")
    assert week.totals["breaches"] >= 1 and week.totals["created"] == 1
    assert json.loads(week.to_json())["week"] == {"year": 2026, "week": 49}
    assert "2026-W49" in week.to_markdown()
    assert "<svg" in week.to_html()
    assert week.to_dict()["totals"] == week.totals
    assert week.mean_time_to_ack == 0  # acknowledged the second it was sent

    dry = engine.cleanup(dry_run=True)
    assert dry.dry_run and dry.archived == []  # resolved today: nothing is 90 days old
    desk.clock.set(START + timedelta(days=91))
    assert engine.cleanup(dry_run=True).archived == [t.id]
    done = engine.cleanup()
    assert (done.dry_run, done.archived) == (False, [t.id])
    assert engine.ticket(t).archived_at == START + timedelta(days=91)


def test_intake_keys_make_creation_idempotent(engine: Any) -> None:
    a = engine.create_ticket(customer="c-1", category="billing", subject="s", intake_key="m-1")
    b = engine.create_ticket(customer="c-1", category="billing", subject="s", intake_key="m-1")
    assert a == b
    other = engine.create_ticket(customer="c-1", category="billing", subject="s", intake_key="m-1",
                                 tenant="acme")
    assert (other.tenant, other.id != a.id) == ("acme", True)
    assert engine.ticket(other.id, tenant="acme") == other
    with pytest.raises(escalation.NotFound):
        engine.ticket(other.id)  # another tenant's id


def test_drafts_recalculate_and_priority_overrides(engine: Any) -> None:
    d = engine.create_ticket(customer="c-1", category="billing", subject="s", draft=True)
    assert (d.status, d.sla) == ("draft", [])
    d = engine.record(d, "status_changed", to="new", by="host")
    assert {c.target for c in d.sla} == {"first_response", "resolution"}
    d = engine.record(d, "priority_overridden", priority="critical", by="ann", reason="CEO")
    assert d.priority == "critical" and d.priority_override is not None
    assert d.priority_override["reason"] == "CEO"
    d = engine.record(d, "priority_override_cleared", by="ann")
    assert d.priority_override is None
    assert engine.recalculate(d).version == d.version + 1


@pytest.mark.parametrize("store_kind", ["memory"])
def test_errors_are_typed_and_name_the_field(engine: Any) -> None:
    with pytest.raises(escalation.InvalidInput) as bad:
        engine.create_ticket(customer=" ", category="billing", subject="s")
    assert (bad.value.field, bad.value.kind, bad.value.is_retryable) == (
        "customer", "INVALID_INPUT", False)
    assert isinstance(bad.value, ValueError)
    with pytest.raises(escalation.InvalidInput) as channel:
        engine.create_ticket(customer="c-1", category="billing", subject="s", channel="fax")
    assert channel.value.field == "channel"
    with pytest.raises(escalation.InvalidInput, match="tzinfo"):
        from datetime import datetime
        engine.create_ticket(customer="c-1", category="b", subject="s",
                             received_at=datetime(2026, 11, 30, 10))
    with pytest.raises(escalation.NotFound) as missing:
        engine.ticket(999)
    assert isinstance(missing.value, LookupError) and missing.value.kind == "NOT_FOUND"
    t = engine.create_ticket(customer="c-1", category="billing", subject="s")
    with pytest.raises(escalation.InvalidTransition):
        engine.record(t, "status_changed", to="draft", by="host")
    with pytest.raises(escalation.InvalidInput) as event:
        engine.record(t, "teleported")
    assert event.value.field == "event"
    with pytest.raises(escalation.InvalidInput):
        engine.resolve(t, summary="done", root_cause="not-in-taxonomy", by="ann")
    with pytest.raises(escalation.InvalidInput):
        engine.ticket("1")  # type: ignore[arg-type]
    with pytest.raises(escalation.InvalidInput) as zone:
        engine.weekly_report(2026, 49, timezone="Mars/Olympus")
    assert zone.value.field == "timezone"
    with pytest.raises(escalation.NotFound):
        engine.close_task("no-such-task")


def test_records_have_reprs_dicts_and_equality(engine: Any) -> None:
    t = engine.create_ticket(customer="c-1", category="billing", subject="Invoice")
    assert repr(t).startswith(f'Ticket(id={t.id}, tenant="default", status="in_progress"')
    doc = t.to_dict()
    assert (doc["id"], doc["subject"], doc["status"]) == (t.id, "Invoice", "in_progress")
    assert t == engine.ticket(t.id) and t != engine.record(t, "customer_replied")
    assert t != doc
    profile = t.profile
    assert profile is not None
    assert escalation.CustomerProfile.from_dict(profile.to_dict()) == profile
    assert "CustomerProfile(customer=\"c-1\"" in repr(profile)
    entry = engine.log(t)[0]
    assert (entry.event, entry.actor, entry.data["type"]) == ("created", "engine", "created")
    with pytest.raises(TypeError):
        hash(t)


def test_engine_options_and_bad_ports(desk: Desk) -> None:
    with pytest.raises(TypeError, match="store must be"):
        Engine(store="desk.db")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="send"):
        Engine(notifier=object())
    with pytest.raises(escalation.PolicyError):
        Engine(Policy.from_dict({"version": "x", "scoring": {"weights": {"tier": -1.0}}}))
    engine = desk.engine()
    assert engine.policy.version == "2026-11"
    assert engine.now() == START
    calendar = engine.calendar("support")
    assert calendar is not None and calendar.timezone == "America/New_York"
    assert engine.calendar("nope") is None
    assert "Engine" in repr(engine)


@pytest.mark.parametrize("store_kind", ["memory"])
def test_run_loops_until_stopped(desk: Desk, mode: str) -> None:
    engine = desk.engine(mode)
    t = engine.create_ticket(customer="c-1", category="billing", subject="s", priority="critical")
    desk.clock.set(utc("2026-11-30T15:31:00"))
    if mode == "sync":
        runner = threading.Thread(target=engine.run)
        runner.start()
        _wait_until(lambda: len(desk.pager.triggered()) == 1)
        engine.stop()
        runner.join(timeout=30)
        assert not runner.is_alive()
    else:
        async def main() -> None:
            import asyncio
            task = asyncio.ensure_future(engine.engine.run())
            while len(desk.pager.triggered()) != 1:
                await asyncio.sleep(0.01)
            engine.stop()
            await asyncio.wait_for(task, 30)

        engine.loop.run_until_complete(main())
    assert engine.ticket(t).sla[0].breached_at is not None
    if mode == "async":
        engine.close()


@pytest.mark.parametrize("store_kind", ["memory"])
def test_cancelling_an_async_run_stops_it(desk: Desk) -> None:
    import asyncio

    engine = desk.engine("async")

    async def main() -> None:
        task = asyncio.ensure_future(engine.engine.run())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    engine.loop.run_until_complete(main())
    engine.close()


def _wait_until(condition: Any) -> None:
    """Polls `condition` (a delivery made by the engine's own thread) for up to 30 s."""
    import time

    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("the condition never held")


def test_manual_clock_never_goes_backwards() -> None:
    clock = ManualClock(START)
    clock.advance(timedelta(minutes=5))
    clock.set(START)
    assert clock.now() == START + timedelta(minutes=5)
    assert "ManualClock(" in repr(clock)


@pytest.mark.parametrize("store_kind", ["memory"])
def test_ctrl_c_ends_a_blocking_run_with_keyboard_interrupt(desk: Desk) -> None:
    import os
    import signal

    engine = desk.engine()
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        # Started inside the block, so the interrupt cannot land outside it.
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            engine.run()
    finally:
        timer.cancel()
    # The engine still works afterwards.
    assert engine.create_ticket(customer="c-1", category="billing", subject="s").id == 1


def test_the_in_memory_adapters_and_store_options(tmp_path: Path) -> None:
    desk = Desk(MemoryStore())
    assert len(desk.store) == 0
    with pytest.raises(escalation.InvalidInput) as bad_profile:
        desk.profiles.add({"customer": "c-2"})
    assert "customer_since" in str(bad_profile.value) or "tier" in str(bad_profile.value)
    with pytest.raises(escalation.InvalidInput):
        desk.directory.add_agent({"id": "x", "name": "X", "tier": "tier9", "team": "t"})
    with pytest.raises(escalation.NotFound):
        desk.directory.set_available("nobody", False)
    desk.directory.set_available("alice", False)
    desk.directory.set_available("bob", False)
    desk.profiles.add(
        {"customer": "c-3", "tier": "vip", "customer_since": "2021-03-01T00:00:00Z",
         "contact": {"name": "V"}},
        tenant="acme",
    )
    engine = desk.engine()
    queued = engine.create_ticket(customer="c-1", category="billing", subject="s")
    assert (queued.status, queued.assignee) == ("new", None)
    assert queued.queue_reason is not None and queued.route_retry_at is not None
    vip = engine.create_ticket(customer="c-3", category="billing", subject="s", tenant="acme")
    assert vip.profile is not None and vip.profile.tier == "vip"
    assert len(desk.store) == 2
    assert (desk.notifier.calls, desk.pager.calls()) == (0, [])
    assert repr(desk.store) == "MemoryStore(tickets=2)"

    # SQLite in memory, and a file that another store (and engine) opens again.
    in_memory = Engine(store=SqliteStore(":memory:"))
    assert in_memory.create_ticket(customer="c", category="b", subject="s").id == 1
    path = tmp_path / "desk.db"
    first = Engine(store=SqliteStore(path))
    t = first.create_ticket(customer="c", category="b", subject="kept")
    assert Engine(store=SqliteStore(path)).ticket(t.id).subject == "kept"
    assert repr(SqliteStore(path)) == f"SqliteStore({str(path)!r})".replace("'", '"')


def test_postgres_store_options_are_checked() -> None:
    from engine_support import postgres_url

    with pytest.raises(escalation.InvalidInput) as pool:
        PostgresStore(postgres_url(), pool_size=0)
    assert pool.value.field == "pool_size"
    with pytest.raises(escalation.InvalidInput) as schema:
        PostgresStore(postgres_url(), schema="bad schema!")
    assert schema.value.field == "schema"
    with pytest.raises(escalation.StoreError):
        PostgresStore("postgres://nobody@127.0.0.1:1/none")
    # Row-level security refuses a superuser (the test cluster's user is one).
    with pytest.raises(escalation.EscalationError, match="(?i)superuser|bypassrls"):
        PostgresStore(postgres_url(), schema="py_rls_refused", row_level_security=True)
    store = PostgresStore(postgres_url(), schema="py_options", pool_size=2,
                          application_name="pytest")
    assert repr(store) == 'PostgresStore(schema="py_options")'
