"""One Engine shared by 8 threads, and engines across fork()."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

import pytest

import escalation
from escalation import BusinessCalendar, Engine, MemoryStore, SqliteStore
from engine_support import START, Desk, make_store, utc


@pytest.mark.parametrize("store_kind", ["memory", "sqlite", "postgres"])
def test_eight_threads_share_one_engine(store_kind: str, tmp_path: Path) -> None:
    desk = Desk(make_store(store_kind, tmp_path))
    engine = desk.engine()
    per_thread, errors = 40, []
    created: dict[int, list[int]] = {}
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            barrier.wait()
            ids = []
            for i in range(per_thread):
                t = engine.create_ticket(
                    customer="c-1", category="billing", subject=f"thread {n} #{i}",
                    intake_key=f"{n}-{i}", priority="critical" if i % 10 == 0 else None,
                )
                t = engine.record(t, "agent_replied", agent=t.assignee or "bob")
                ids.append(t.id)
                if i % 7 == 0:
                    engine.sweep()
                    engine.dispatch()
            created[n] = ids
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    ids = [i for n in range(8) for i in created[n]]
    assert len(ids) == len(set(ids)) == 8 * per_thread
    for n in range(8):
        for i, tid in enumerate(created[n]):
            t = engine.ticket(tid)
            assert (t.subject, t.intake_key) == (f"thread {n} #{i}", f"{n}-{i}")
            assert t.first_response_at == START
            names = Counter(e.event for e in engine.log(t))
            assert names["created"] == 1 and names["agent_replied"] == 1
    # Critical tickets breach their 30-minute first-response clock... not: they were
    # answered at once. Resolution (8h on "always") breaches once each.
    desk.clock.set(utc("2026-11-30T23:00:00"))
    while engine.sweep().claimed:
        pass
    while engine.dispatch().claimed:
        pass
    critical = [i for n in range(8) for k, i in enumerate(created[n]) if k % 10 == 0]
    for tid in critical:
        assert Counter(e.event for e in engine.log(tid))["sla_breached"] == 1
    assert len(desk.pager.triggered()) == len(critical)


def _in_child(body) -> int:  # type: ignore[no-untyped-def]
    """Runs `body` in a forked child; returns its exit status (0 when it passed)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException as e:  # noqa: BLE001 - the status reports it
            os.write(2, f"child failed: {e!r}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_fails_fast_on_the_parents_engine_and_works_with_its_own(
    tmp_path: Path,
) -> None:
    parent = Engine(store=MemoryStore())
    parent.create_ticket(customer="c-1", category="billing", subject="before fork")
    sqlite = SqliteStore(tmp_path / "desk.db")

    def child() -> None:
        with pytest.raises(escalation.NotSupported, match="forked from it"):
            parent.create_ticket(customer="c-1", category="billing", subject="in child")
        with pytest.raises(escalation.NotSupported, match="post_fork"):
            Engine(store=sqlite)
        # A new engine (and store) in the child works: the runtime is rebuilt here.
        mine = Engine(store=SqliteStore(tmp_path / "child.db"))
        t = mine.create_ticket(customer="c-1", category="billing", subject="in child")
        assert mine.ticket(t.id).subject == "in child"
        calendar = BusinessCalendar(timezone="UTC", hours={"mon": [("09:00", "17:00")]})
        assert calendar.is_open(utc("2026-11-30T10:00:00"))

    assert _in_child(child) == 0
    # The parent is unaffected.
    assert parent.create_ticket(customer="c-1", category="billing", subject="after").id == 2
    assert Engine(store=sqlite).create_ticket(customer="c", category="b", subject="s").id == 1
