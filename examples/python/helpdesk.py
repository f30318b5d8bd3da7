"""A small helpdesk backend on Flask that embeds the escalation engine.

    pip install flask escalation      # or, in this repository: make python-dev
    python examples/python/helpdesk.py

Routes (JSON in, JSON out):

    POST /tickets                       {"customer", "category", "subject", ...}
    GET  /tickets/<id>                  the ticket with its SLA clocks
    POST /tickets/<id>/events           {"type": "status_changed", "to": ..., "by": ...}
    POST /tickets/<id>/resolve          {"summary", "root_cause", "by"}
    POST /sweep                         one sweep and one dispatch, now
    GET  /reports/weekly?year=&week=    Markdown, or HTML with &format=html

Engine errors become JSON ``{"kind", "message"}`` answers: 400 for bad input, 404 for an
unknown ticket, 409 for a refused status change or a lost race. ``create_app(engine)``
takes any engine, so tests can hand it one on a ``ManualClock`` and a ``MemoryStore``.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

import escalation
from escalation import (Agent, CustomerProfile, Engine, EscalationError, MemoryDirectory,
                        MemoryProfiles, Notification, Policy, SqliteStore, Team)

#: The reference policy of the repository (examples/policy.toml).
POLICY_PATH = Path(__file__).resolve().parent.parent / "policy.toml"

log = logging.getLogger("helpdesk")

HTTP_STATUS = [  # engine error -> HTTP status, first match wins
    (escalation.InvalidInput, 400), (escalation.PolicyError, 400),
    (escalation.NotFound, 404),
    (escalation.InvalidTransition, 409), (escalation.Conflict, 409),
]


class OutboxNotifier:
    """An ``escalation.Notifier`` that "emails" by logging and keeps what it sent.

    The engine calls ``send`` on a worker thread and retries it when it raises; a real
    notifier would talk to SMTP or Slack, raise ``escalation.PermanentFailure`` for a
    hopeless address, and use ``notification.key`` to drop a repeated delivery.
    """

    def __init__(self) -> None:
        self.outbox: list[Notification] = []
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        with self._lock:
            if any(sent.key == notification.key for sent in self.outbox):
                return  # a retry of a delivery that already went out
            self.outbox.append(notification)
        log.info("email to %s <%s>: %s", notification.to["name"], notification.to["email"],
                 notification.subject)


def demo_directory() -> MemoryDirectory:
    """Stands in for the staff directory: one Tier 1 agent and her team's manager."""
    directory = MemoryDirectory()
    directory.add_team(Team(id="billing", name="Billing",
                            manager={"name": "Mona", "email": "mona@example.com"}))
    directory.add_agent(Agent(id="alice", name="Alice", tier="tier1", team="billing",
                              skills=["billing"], email="alice@example.com"))
    return directory


def demo_profiles() -> MemoryProfiles:
    """Stands in for the CRM: one enterprise customer."""
    profiles = MemoryProfiles()
    profiles.add(CustomerProfile(
        customer="acme", tier="enterprise", lifetime_value=250_000.0,
        customer_since="2021-03-01T00:00:00Z", prior_tickets=12, prior_escalations=1,
        contact={"name": "Carla", "email": "carla@acme.example"}))
    return profiles


def build_engine(**overrides: Any) -> Engine:
    """The engine on the repository's policy; ``overrides`` replace its store, clock or
    ports (``Engine``'s keywords)."""
    ports: dict[str, Any] = {"notifier": OutboxNotifier(), "directory": demo_directory(),
                             "profiles": demo_profiles(), **overrides}
    if "store" not in ports:
        ports["store"] = SqliteStore(os.environ.get("HELPDESK_DB", "helpdesk.db"))
    return Engine(Policy.from_path(POLICY_PATH), **ports)


def body(*required: str) -> dict[str, Any]:
    """The request's JSON object; ``InvalidInput`` (400) when a required field is missing."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise escalation.InvalidInput("the body must be a JSON object")
    missing = [name for name in required if name not in data]
    if missing:
        raise escalation.InvalidInput(f"missing field(s): {', '.join(missing)}")
    return data


def create_app(engine: Engine | None = None) -> Flask:
    app = Flask(__name__)
    engine = engine if engine is not None else build_engine()
    app.extensions["escalation"] = engine

    @app.errorhandler(EscalationError)
    def engine_error(error: EscalationError) -> tuple[Response, int]:
        status = next((code for cls, code in HTTP_STATUS if isinstance(error, cls)), 500)
        return jsonify(kind=error.kind, message=str(error)), status

    @app.post("/tickets")
    def create_ticket() -> tuple[Response, int]:
        data = body("customer", "category", "subject")
        fields = ("customer", "category", "subject", "channel", "impact", "body",
                  "priority", "intake_key")
        ticket = engine.create_ticket(**{k: data[k] for k in fields if k in data})
        return jsonify(ticket.to_dict()), 201

    @app.get("/tickets/<int:ticket_id>")
    def get_ticket(ticket_id: int) -> Response:
        return jsonify(engine.ticket(ticket_id).to_dict())

    @app.post("/tickets/<int:ticket_id>/events")
    def record_event(ticket_id: int) -> Response:
        return jsonify(engine.record(ticket_id, body("type")).to_dict())

    @app.post("/tickets/<int:ticket_id>/resolve")
    def resolve(ticket_id: int) -> Response:
        data = body("summary", "root_cause", "by")
        ticket = engine.resolve(ticket_id, summary=data["summary"],
                                root_cause=data["root_cause"], by=data["by"])
        return jsonify(ticket.to_dict())

    @app.post("/sweep")
    def sweep() -> Response:
        # What engine.run() does in a loop: breaches and ladder steps, then deliveries.
        swept, dispatched = engine.sweep(), engine.dispatch()
        return jsonify(sweep=swept.to_dict(), dispatch=dispatched.to_dict())

    @app.get("/reports/weekly")
    def weekly_report() -> Response:
        year = request.args.get("year", type=int)
        week = request.args.get("week", type=int)
        if year is None or week is None:
            raise escalation.InvalidInput("year and week are required integers")
        report = engine.weekly_report(year, week, timezone="America/New_York")
        if request.args.get("format") == "html":
            return Response(report.to_html(), mimetype="text/html")
        return Response(report.to_markdown(), mimetype="text/markdown")

    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    engine = build_engine()
    # The engine's own loop (sweep, dispatch, sleep until something is due) on a thread of
    # its own; POST /sweep stays available for impatient demos.
    worker = threading.Thread(target=engine.run, name="escalation", daemon=True)
    worker.start()
    try:
        create_app(engine).run(port=int(os.environ.get("PORT", "5000")))
    finally:
        engine.stop()
        worker.join(timeout=10)
