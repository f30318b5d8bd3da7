"""Ports written in Python: sync and ``async def`` methods, under ``Engine`` and
``AsyncEngine``; exceptions (retried), ``PermanentFailure`` (not retried), and methods that
hang past the policy's timeout. Time moves only on the manual clock."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import escalation
from escalation import (
    AsyncEngine,
    CustomerProfile,
    Engine,
    MemoryStore,
    Notification,
    Page,
    PermanentFailure,
)
from engine_support import START, Desk, utc

CARLA = {
    "customer": "c-1", "tier": "vip", "lifetime_value": 5000.0,
    "customer_since": "2019-05-01T00:00:00Z", "contact": {"name": "Carla"},
}


class Profiles:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def get_profile(self, customer_id: str, tenant: str) -> Any:
        self.calls.append((customer_id, tenant))
        return CARLA if customer_id == "c-1" else None


class AsyncProfiles:
    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def get_profile(self, customer_id: str) -> CustomerProfile | None:
        self.loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return CustomerProfile.from_dict(CARLA) if customer_id == "c-1" else None


class Outbox:
    """A notifier that fails its first `failures` calls with `error`."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.sent: list[Notification] = []
        self.failures = failures
        self.error = error or RuntimeError("smtp down")
        self.threads: set[int] = set()

    def send(self, notification: Notification) -> None:
        self.threads.add(threading.get_ident())
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent.append(notification)


class AsyncOutbox:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        await asyncio.sleep(0)
        self.sent.append(notification)


class Pages:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def trigger(self, page: Page) -> None:
        self.calls.append(("trigger", page))

    def resolve(self, dedup_key: str) -> None:
        self.calls.append(("resolve", dedup_key))


class Staff:
    def agents(self) -> list[Any]:
        return [
            {"id": "zed", "name": "Zed", "tier": "tier1", "team": "t", "generalist": True},
            escalation.Agent(id="yan", name="Yan", tier="tier2", team="t", generalist=True),
        ]

    def team(self, team_id: str, tenant: str = "default") -> Any:
        return {"id": team_id, "name": "T", "manager": {"name": "Tim", "email": "tim@x.invalid"}}


def test_python_ports_serve_the_whole_workflow_under_engine() -> None:
    profiles, outbox, pages = Profiles(), Outbox(), Pages()
    desk = Desk(MemoryStore(), profiles=profiles, notifier=outbox, pager=pages, directory=Staff())
    engine = desk.engine()
    t = engine.create_ticket(customer="c-1", category="billing", subject="s", priority="critical")
    assert profiles.calls == [("c-1", "default")]
    assert (t.profile_state, t.assignee) == ("known", "zed")
    assert t.profile is not None and t.profile.tier == "vip"
    other = engine.create_ticket(customer="c-9", category="x", subject="s", tenant="acme")
    assert other.profile_state == "not_found"
    assert profiles.calls[-1] == ("c-9", "acme")

    desk.clock.set(utc("2026-11-30T15:30:00"))
    engine.sweep()
    assert engine.dispatch().delivered >= 3
    assert {n.kind for n in outbox.sent} >= {"manager_alert", "customer_notice"}
    alert = next(n for n in outbox.sent if n.kind == "manager_alert")
    assert alert.to == {"name": "Tim", "email": "tim@x.invalid", "phone": None}
    # An async def trigger runs with asyncio.run under the blocking Engine.
    [(call, page)] = pages.calls
    assert (call, page.ticket, page.repeat) == ("trigger", t.id, 0)
    assert threading.get_ident() not in outbox.threads  # called off the caller's thread

    engine.resolve(t, summary="done", root_cause="other", by="zed")
    engine.dispatch()
    assert pages.calls[-1] == ("resolve", page.dedup_key)


def test_async_ports_run_on_the_callers_event_loop() -> None:
    profiles, outbox, pages = AsyncProfiles(), AsyncOutbox(), Pages()

    async def main() -> None:
        desk = Desk(MemoryStore(), profiles=profiles, notifier=outbox, pager=pages)
        async with AsyncEngine(desk.policy, store=desk.store, clock=desk.clock,
                               profiles=profiles, notifier=outbox, pager=pages,
                               directory=desk.directory) as engine:
            t = await engine.create_ticket(customer="c-1", category="billing", subject="s",
                                           priority="critical")
            assert t.profile_state == "known"
            assert profiles.loops == [asyncio.get_running_loop()]
            desk.clock.set(utc("2026-11-30T15:30:00"))
            await engine.sweep()
            # Many calls at once on one loop.
            reports = await asyncio.gather(engine.dispatch(), engine.dispatch())
            assert sum(r.delivered for r in reports) >= 3
            assert len(outbox.sent) == sum(r.delivered for r in reports) - 1  # one page
            assert [c for c, _ in pages.calls] == ["trigger"]

    asyncio.run(main())


def test_an_exception_is_retried_and_permanent_failure_is_not() -> None:
    flaky = Outbox(failures=1)
    desk = Desk(MemoryStore(), notifier=flaky)
    engine = desk.engine()
    t = engine.create_ticket(customer="c-1", category="billing", subject="s", priority="critical")
    desk.clock.set(utc("2026-11-30T15:30:00"))
    engine.sweep()
    first = engine.dispatch()
    assert first.retried == 1 and first.dead_lettered == 0
    [failed] = [e for e in engine.effects(t) if e.state == "pending"]
    assert failed.attempts == 1
    assert failed.last_error is not None and "RuntimeError: smtp down" in failed.last_error
    desk.clock.set(failed.next_attempt_at)
    assert engine.dispatch().delivered == 1
    assert all(e.state == "delivered" for e in engine.effects(t) if e.kind == "notify")

    refused = Outbox(failures=100, error=PermanentFailure("mailbox does not exist"))
    desk = Desk(MemoryStore(), notifier=refused)
    engine = desk.engine()
    t = engine.create_ticket(customer="c-1", category="billing", subject="s", priority="critical")
    desk.clock.set(utc("2026-11-30T15:30:00"))
    engine.sweep()
    report = engine.dispatch()
    notices = [e for e in engine.effects(t) if e.kind == "notify"]
    assert report.dead_lettered == len(notices) >= 2 and report.retried == 0
    assert all(e.attempts == 1 and e.state == "dead_lettered" for e in notices)
    assert "mailbox does not exist" in (notices[0].last_error or "")


def test_a_profile_source_that_raises_leaves_the_ticket_scored_and_retries_later() -> None:
    class Broken:
        def __init__(self) -> None:
            self.calls = 0

        def get_profile(self, customer_id: str) -> None:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("CRM unreachable")
            return None

    broken = Broken()
    desk = Desk(MemoryStore(), profiles=broken)
    engine = desk.engine()
    t = engine.create_ticket(customer="c-1", category="billing", subject="s")
    assert t.profile_state == "unavailable"
    assert any("ConnectionError: CRM unreachable" in str(e.data) for e in engine.log(t))
    desk.clock.advance(timedelta(minutes=5))  # profile_retry_seconds = 300
    assert engine.sweep().profiles_fetched == 0  # the retry answered "not found"
    assert engine.ticket(t).profile_state == "not_found"
    assert broken.calls == 2


def test_a_sync_port_that_hangs_past_the_timeout_is_given_up_on() -> None:
    entered, release = threading.Event(), threading.Event()

    class Hanging:
        def get_profile(self, customer_id: str) -> None:
            entered.set()
            release.wait(60)

    desk = Desk(MemoryStore(), profiles=Hanging())
    engine = desk.engine()
    answer: list[Any] = []
    intake = threading.Thread(
        target=lambda: answer.append(
            engine.create_ticket(customer="c-1", category="billing", subject="s")
        )
    )
    intake.start()
    assert entered.wait(30)
    desk.clock.advance(timedelta(milliseconds=2000))  # intake.profile_timeout_ms
    intake.join(30)
    release.set()
    assert not intake.is_alive()
    [t] = answer
    assert t.profile_state == "unavailable"
    unavailable = next(e for e in engine.log(t) if e.event == "profile_unavailable")
    assert "ProfileSource timed out after 2000 ms" in str(unavailable.data)


def test_an_async_port_that_hangs_past_the_timeout_is_cancelled() -> None:
    cancelled = threading.Event()

    class Hanging:
        def __init__(self) -> None:
            self.entered = asyncio.Event()

        async def get_profile(self, customer_id: str) -> None:
            self.entered.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    async def main() -> None:
        hanging = Hanging()
        desk = Desk(MemoryStore(), profiles=hanging)
        engine = AsyncEngine(desk.policy, store=desk.store, clock=desk.clock,
                             profiles=hanging, directory=desk.directory)
        intake = asyncio.ensure_future(
            engine.create_ticket(customer="c-1", category="billing", subject="s")
        )
        await asyncio.wait_for(hanging.entered.wait(), 30)
        desk.clock.advance(timedelta(seconds=2))
        t = await asyncio.wait_for(intake, 30)
        assert t.profile_state == "unavailable"
        for _ in range(3000):
            if cancelled.is_set():
                break
            await asyncio.sleep(0.01)
        assert cancelled.is_set()

    asyncio.run(main())


def test_a_notifier_that_hangs_past_the_timeout_is_retried() -> None:
    entered, release = threading.Event(), threading.Event()

    class Hanging:
        def send(self, notification: Notification) -> None:
            entered.set()
            release.wait(60)

    desk = Desk(MemoryStore(), notifier=Hanging())
    engine = desk.engine()
    t = engine.create_ticket(customer="c-1", category="billing", subject="s", priority="critical")
    desk.clock.set(utc("2026-11-30T15:30:00"))
    engine.sweep()
    reports: list[Any] = []
    dispatch = threading.Thread(target=lambda: reports.append(engine.dispatch()))
    dispatch.start()
    assert entered.wait(30)
    # Each notification waits at most dispatch.timeout_ms (10 s) on the engine's clock.
    for _ in range(50):
        desk.clock.advance(timedelta(seconds=10))
        dispatch.join(0.2)
        if not dispatch.is_alive():
            break
    release.set()
    dispatch.join(30)
    [report] = reports
    assert report.retried >= 1
    timed_out = [e for e in engine.effects(t) if e.last_error and "10000 ms" in e.last_error]
    assert timed_out


def test_ports_missing_a_method_are_refused_at_construction() -> None:
    class NoTrigger:
        def resolve(self, dedup_key: str) -> None: ...

    with pytest.raises(TypeError, match=r"Pager needs a method trigger\(\)"):
        Engine(pager=NoTrigger())
    with pytest.raises(TypeError, match="get_profile"):
        Engine(profiles=object())


def test_the_protocols_describe_the_ports() -> None:
    assert isinstance(Profiles(), escalation.ProfileSource)
    assert isinstance(Outbox(), escalation.Notifier)
    assert isinstance(Pages(), escalation.Pager)
    assert isinstance(Staff(), escalation.AgentDirectory)
    assert not isinstance(object(), escalation.Notifier)
    assert issubclass(PermanentFailure, Exception)
    assert not issubclass(PermanentFailure, escalation.EscalationError)


def test_records_handed_to_ports_can_be_built_for_host_tests() -> None:
    n = Notification(key="k", tenant="default", ticket=1, kind="manager_alert",
                     to={"name": "Mona"}, subject="s", body="b")
    assert (n.key, n.kind, n.to["name"]) == ("k", "manager_alert", "Mona")
    p = Page(dedup_key="d", tenant="default", ticket=1, summary="s", severity="critical",
             repeat=0)
    assert Page.from_dict(p.to_dict()) == p
    with pytest.raises(escalation.InvalidInput) as bad:
        Page(dedup_key="d")
    assert "missing field" in str(bad.value)
    assert START == datetime(2026, 11, 30, 15, tzinfo=timezone.utc)
