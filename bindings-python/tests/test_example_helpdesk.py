"""The Flask helpdesk example (examples/python/helpdesk.py), driven with Flask's test client
on an engine with a ManualClock and a MemoryStore: no server, no sleeps, no wall clock.

The example runs on the repository's policy (examples/policy.toml): a High ticket of an
enterprise customer gets a 2 h first-response budget on the New York support calendar
(Mon-Fri 09:00-17:00), warnings at 75 % and 90 %, and on breach a task, a manager alert, a
customer notice and a move to Tier 2 (none here, so a "tier2-exhausted" manager alert).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from escalation import Engine, ManualClock, MemoryPager, MemoryStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"
sys.path.insert(0, str(EXAMPLES))
import helpdesk  # type: ignore[import-not-found]  # noqa: E402

UTC = timezone.utc
#: Monday 30 Nov 2026, 10:00 in New York: business hours.
START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
NEW_TICKET = {"customer": "acme", "category": "billing", "subject": "Invoice is wrong",
              "impact": "bug", "channel": "web_form"}


class Desk:
    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.notifier = helpdesk.OutboxNotifier()
        self.pager = MemoryPager()
        self.engine: Engine = helpdesk.build_engine(
            store=MemoryStore(), clock=self.clock, notifier=self.notifier, pager=self.pager)
        self.client = helpdesk.create_app(self.engine).test_client()

    def create(self) -> dict[str, Any]:
        r = self.client.post("/tickets", json=NEW_TICKET)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def sweep(self) -> dict[str, Any]:
        r = self.client.post("/sweep")
        assert r.status_code == 200, r.get_json()
        return r.get_json()


@pytest.fixture
def desk() -> Iterator[Desk]:
    d = Desk()
    yield d
    d.engine.close()


def test_the_example_uses_the_repository_policy() -> None:
    assert helpdesk.POLICY_PATH == EXAMPLES.parent / "policy.toml"
    assert helpdesk.POLICY_PATH.is_file()


def test_create_read_and_record_an_event(desk: Desk) -> None:
    t = desk.create()
    assert (t["customer"], t["category"], t["channel"], t["impact"]) == (
        "acme", "billing", "web_form", "bug")
    assert t["status"] == "in_progress"
    assert t["assignee"] == "alice"
    assert t["priority"] == "high"
    assert t["policy_version"] == "2026-11"
    assert t["created_at"] == "2026-11-30T15:00:00Z"
    clocks = {c["target"]: (c["budget"], c["deadline"]) for c in t["sla"]}
    # 2 h from Monday 10:00 New York: 12:00 (17:00 UTC); 2 business days: Tuesday 8 Dec
    # 10:00 (Thanksgiving, 26 Nov, is already behind).
    assert clocks == {"first_response": ("2h", "2026-11-30T17:00:00Z"),
                      "resolution": ("2days", "2026-12-08T15:00:00Z")}
    # The 75 % warning of the first response is the next thing due: 1 h 30 m in.
    assert t["next_check"] == "2026-11-30T16:30:00Z"

    r = desk.client.get(f"/tickets/{t['id']}")
    assert r.status_code == 200
    assert r.get_json() == t
    assert r.get_json() == desk.engine.ticket(t["id"]).to_dict()

    desk.clock.set(datetime(2026, 11, 30, 15, 20, tzinfo=UTC))
    r = desk.client.post(f"/tickets/{t['id']}/events",
                         json={"type": "agent_replied", "agent": "alice"})
    assert r.status_code == 200, r.get_json()
    reply = r.get_json()
    assert reply["version"] == t["version"] + 1
    first = next(c for c in reply["sla"] if c["target"] == "first_response")
    assert first["stopped_at"] == "2026-11-30T15:20:00Z"
    assert [e.event for e in desk.engine.log(t["id"])][-2:] == ["agent_replied", "sla_stopped"]


def test_a_warning_then_a_breach_reach_the_python_notifier_through_post_sweep(
    desk: Desk,
) -> None:
    t = desk.create()
    tid = t["id"]
    assert desk.sweep()["sweep"]["claimed"] == 0, "nothing is due yet"
    assert desk.notifier.outbox == []

    # 75 % of the 2 h budget: Alice is warned.
    desk.clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    result = desk.sweep()
    assert result["sweep"]["claimed"] == 1
    assert (result["dispatch"]["delivered"], result["dispatch"]["dead_lettered"]) == (1, 0)
    [warning] = desk.notifier.outbox
    assert warning.key == f"default/{tid}/agent/first_response.0/warn-assignee~0"
    assert warning.kind == "agent_warning"
    assert warning.to["email"] == "alice@example.com"

    # The deadline second: the breach ladder fires. (This sweep comes after the 90 % and
    # "15m before" instants too, but the clock has breached: no more warnings.)
    desk.clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    result = desk.sweep()
    assert result["sweep"]["claimed"] == 1
    assert (result["dispatch"]["delivered"], result["dispatch"]["dead_lettered"]) == (3, 0)
    breach = f"default/{tid}/manager/first_response.0/breach~0"
    notice = f"default/{tid}/customer/first_response.0/breach~0"
    exhausted = f"default/{tid}/manager/ticket/tier2-exhausted~0"
    # Effects due at one instant go out in key order.
    assert [n.key for n in desk.notifier.outbox] == [warning.key, notice, breach, exhausted]
    sent = {n.key: n for n in desk.notifier.outbox}
    assert sent[breach].kind == "manager_alert"
    assert sent[breach].to == {"name": "Mona", "email": "mona@example.com", "phone": None}
    assert sent[breach].subject == f"[HIGH] Ticket #{tid} breached: Invoice is wrong"
    assert sent[notice].kind == "customer_notice"
    assert sent[notice].to["email"] == "carla@acme.example"
    assert sent[notice].subject == f"Your request #{tid} has been escalated"
    assert sent[exhausted].kind == "manager_alert"

    ticket = desk.client.get(f"/tickets/{tid}").get_json()
    first = next(c for c in ticket["sla"] if c["target"] == "first_response")
    assert first["breached_at"] == "2026-11-30T17:00:00Z"
    assert all(e.state == "delivered" for e in desk.engine.effects(tid))

    # Nothing is delivered twice.
    count = len(desk.notifier.outbox)
    result = desk.sweep()
    assert result["dispatch"]["claimed"] == 0
    assert len(desk.notifier.outbox) == count


def test_resolve(desk: Desk) -> None:
    t = desk.create()
    desk.clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    r = desk.client.post(f"/tickets/{t['id']}/resolve",
                         json={"summary": "Reissued the invoice", "root_cause": "configuration",
                               "by": "alice"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] == "2026-11-30T16:00:00Z"
    assert body["resolution"] == {"summary": "Reissued the invoice",
                                  "root_cause": "configuration", "by": "alice",
                                  "at": "2026-11-30T16:00:00Z"}
    assert body.get("next_check") is None  # to_dict() leaves out None fields


def test_errors_are_json_with_kind_and_message(desk: Desk) -> None:
    t = desk.create()
    tid = t["id"]

    def check(r: Any, status: int, kind: str, *words: str) -> None:
        assert r.status_code == status, r.get_json()
        assert r.is_json
        body = r.get_json()
        assert set(body) == {"kind", "message"}
        assert body["kind"] == kind
        for word in words:
            assert word in body["message"], body["message"]

    # 400: the engine's InvalidInput, and the example's own checks.
    check(desk.client.post("/tickets", json={**NEW_TICKET, "impact": "meh"}),
          400, "INVALID_INPUT", "impact", "meh")
    check(desk.client.post("/tickets", json={"customer": "acme"}),
          400, "INVALID_INPUT", "category", "subject")
    check(desk.client.post("/tickets", data="not json", content_type="text/plain"),
          400, "INVALID_INPUT")
    check(desk.client.post(f"/tickets/{tid}/events", json={"type": "nope"}),
          400, "INVALID_INPUT", "nope")
    check(desk.client.post(f"/tickets/{tid}/resolve",
                           json={"summary": "x", "root_cause": "gremlins", "by": "alice"}),
          400, "INVALID_INPUT", "root_cause", "gremlins")
    check(desk.client.get("/reports/weekly?year=2026"), 400, "INVALID_INPUT", "week")
    check(desk.client.get("/reports/weekly?year=2026&week=60"), 400, "INVALID_INPUT", "W60")

    # 404: an unknown ticket, on every ticket route.
    check(desk.client.get("/tickets/999"), 404, "NOT_FOUND", "999")
    check(desk.client.post("/tickets/999/events", json={"type": "customer_replied"}),
          404, "NOT_FOUND", "999")
    check(desk.client.post("/tickets/999/resolve",
                           json={"summary": "x", "root_cause": "other", "by": "alice"}),
          404, "NOT_FOUND", "999")

    # 409: a status change the transition table refuses.
    check(desk.client.post(f"/tickets/{tid}/events",
                           json={"type": "status_changed", "to": "draft", "by": "alice"}),
          409, "INVALID_TRANSITION", "in_progress", "draft")
    # The refused requests changed nothing.
    assert desk.engine.ticket(tid).to_dict() == t


def test_the_error_table_maps_each_kind_to_its_status() -> None:
    import escalation

    def status(error: type) -> int:
        return next(code for cls, code in helpdesk.HTTP_STATUS if issubclass(error, cls))

    assert [status(e) for e in (escalation.InvalidInput, escalation.PolicyError,
                                escalation.NotFound, escalation.InvalidTransition,
                                escalation.Conflict)] == [400, 400, 404, 409, 409]


def test_weekly_report_in_markdown_and_html(desk: Desk) -> None:
    t = desk.create()
    desk.clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    desk.sweep()  # the first response breaches
    desk.clock.set(datetime(2026, 11, 30, 18, 0, tzinfo=UTC))
    desk.client.post(f"/tickets/{t['id']}/resolve",
                     json={"summary": "Fixed", "root_cause": "configuration", "by": "alice"})

    r = desk.client.get("/reports/weekly?year=2026&week=49")
    assert r.status_code == 200
    assert r.mimetype == "text/markdown"
    text = r.get_data(as_text=True)
    assert text.startswith("# Weekly escalation report — default, 2026-W49\n")
    assert "- **1** tickets created, **1** resolved." in text
    assert "| billing | 2 | 0 | new |" in text, text
    assert "| configuration | 1 | 100.0 % |" in text, text

    r = desk.client.get("/reports/weekly?year=2026&week=49&format=html")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert html.startswith("<!DOCTYPE html>")
    assert "2026-W49" in html

    # An empty week renders too.
    r = desk.client.get("/reports/weekly?year=2026&week=40")
    assert r.status_code == 200
    assert "- **0** tickets created, **0** resolved." in r.get_data(as_text=True)
