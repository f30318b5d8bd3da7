"""``Engine`` (blocking) and ``AsyncEngine`` (asyncio), in the style of httpx's ``Client``
and ``AsyncClient``.

Both drive the same native engine: each method hands one call to the Rust engine, which
runs it with the GIL released. ``Engine`` waits for it on the calling thread; ``AsyncEngine``
awaits it while the event loop goes on. An ``Engine`` is safe to share between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Union

from escalation import _native
from escalation._native import (
    ArtReport,
    BusinessCalendar,
    CleanupReport,
    DispatchReport,
    Effect,
    EscalationTask,
    Explanation,
    LogEntry,
    ManualClock,
    MemoryStore,
    Policy,
    PostgresStore,
    SqliteStore,
    SweepReport,
    Ticket,
    WeeklyReport,
)
from escalation._types import Channel, EventType, Impact, Priority

Store = Union[MemoryStore, SqliteStore, PostgresStore]
TicketKey = Union[Ticket, int]
"""A ticket, or its id (in the default tenant, or the ``tenant`` given)."""


def _event(event: EventType | Mapping[str, Any], fields: dict[str, Any]) -> Mapping[str, Any]:
    if isinstance(event, str):
        return {"type": event, **fields}
    if fields:
        raise TypeError("give the event either as a mapping or as a type with keywords")
    return event


class _Base:
    """What both engines share: construction and the calls that need no waiting."""

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        store: Store | None = None,
        profiles: Any = None,
        notifier: Any = None,
        pager: Any = None,
        directory: Any = None,
        clock: ManualClock | None = None,
        engine_id: str | None = None,
    ) -> None:
        """An engine on ``store`` (a new ``MemoryStore`` by default) and the given ports.

        Each port is one of ours (``MemoryProfiles``, ``MemoryNotifier``, ``MemoryPager``,
        ``MemoryDirectory``) or any object with the port's methods (see
        ``escalation.ProfileSource`` and the other protocols); a port left out is an empty
        in-memory one. The clock is the system clock unless a ``ManualClock`` is given.

        Raises ``PolicyError`` when the policy does not validate.
        """
        self._native = _native.Engine(
            policy,
            store=store,
            profiles=profiles,
            notifier=notifier,
            pager=pager,
            directory=directory,
            clock=clock,
            engine_id=engine_id,
        )

    @property
    def policy(self) -> Policy:
        """The policy in force."""
        return self._native.policy

    def now(self) -> datetime:
        """The engine's current instant (its clock's), in UTC."""
        return self._native.now()

    def calendar(self, name: str) -> BusinessCalendar | None:
        """The policy's calendar called ``name`` (``"always"`` is built in), or None."""
        return self._native.calendar(name)

    def stop(self) -> None:
        """Ends every ``run`` in progress, after its current step."""
        self._native.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._native!r})"


class Engine(_Base):
    """The escalation engine, blocking: each method returns when the work is done.

    ::

        engine = Engine(Policy.from_path("policy.toml"), store=SqliteStore("desk.db"))
        ticket = engine.create_ticket(customer="c-1", category="billing", subject="Invoice")
        engine.sweep(); engine.dispatch()
    """

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops ``run`` loops in progress. The store stays open for other engines."""
        self.stop()

    def create_ticket(
        self,
        *,
        customer: str,
        category: str,
        subject: str,
        channel: Channel = "email",
        impact: Impact = "question",
        body: str = "",
        received_at: datetime | None = None,
        tenant: str = "default",
        draft: bool = False,
        intake_key: str | None = None,
        priority: Priority | None = None,
    ) -> Ticket:
        """Takes a ticket in: creates it, fetches the profile, scores it, assigns a Tier 1
        agent and starts its SLA clocks, all in one atomic write.

        ``received_at`` defaults to now; ``priority`` sets the priority by hand; a repeated
        ``intake_key`` in the tenant returns the first ticket. Raises ``InvalidInput``
        naming the field for bad input, ``StoreError`` when the store fails.
        """
        return self._native.create_ticket(
            customer=customer, category=category, subject=subject, channel=channel,
            impact=impact, body=body, received_at=received_at, tenant=tenant, draft=draft,
            intake_key=intake_key, priority=priority,
        ).wait()

    def record(
        self,
        ticket: TicketKey,
        event: EventType | Mapping[str, Any],
        /,
        *,
        tenant: str | None = None,
        **fields: Any,
    ) -> Ticket:
        """Records an event: ``record(t, "status_changed", to="pending_customer", by="ann")``,
        ``record(t, "customer_replied")``, ``record(t, "agent_replied", agent="alice")``, or
        the event as a mapping with its ``type``. Returns the ticket as written.

        Raises ``InvalidTransition`` for a status change the table forbids, ``NotFound``
        for an unknown ticket, ``InvalidInput`` for a malformed event.
        """
        return self._native.record(ticket, _event(event, fields), tenant=tenant).wait()

    def resolve(
        self, ticket: TicketKey, *, summary: str, root_cause: str, by: str,
        tenant: str | None = None,
    ) -> Ticket:
        """Resolves the ticket with a summary and a root cause from the policy's taxonomy."""
        return self._native.resolve(
            ticket, summary=summary, root_cause=root_cause, by=by, tenant=tenant
        ).wait()

    def acknowledge(
        self, ticket: TicketKey, *, page: str, by: str, tenant: str | None = None
    ) -> Ticket:
        """Acknowledges the on-call page with dedup key ``page``: its repeats stop."""
        return self._native.acknowledge(ticket, page=page, by=by, tenant=tenant).wait()

    def recalculate(self, ticket: TicketKey, *, tenant: str | None = None) -> Ticket:
        """Re-budgets the ticket's running clocks under the policy in force."""
        return self._native.recalculate(ticket, tenant=tenant).wait()

    def ticket(self, ticket: TicketKey, *, tenant: str | None = None) -> Ticket:
        """The ticket as stored. Raises ``NotFound``."""
        return self._native.ticket(ticket, tenant=tenant).wait()

    def log(self, ticket: TicketKey, *, tenant: str | None = None) -> list[LogEntry]:
        """The ticket's audit log, oldest first."""
        return self._native.log(ticket, tenant=tenant).wait()

    def effects(self, ticket: TicketKey, *, tenant: str | None = None) -> list[Effect]:
        """The ticket's deliveries (notifications and pages) and their states."""
        return self._native.effects(ticket, tenant=tenant).wait()

    def explain(self, ticket: TicketKey, *, tenant: str | None = None) -> Explanation:
        """Why the ticket's priority and deadlines are what they are."""
        return self._native.explain(ticket, tenant=tenant).wait()

    def sweep(self) -> SweepReport:
        """Looks at every due ticket (and only those): breaches, warnings, ladder steps,
        queued assignments, profile retries."""
        return self._native.sweep().wait()

    def dispatch(self) -> DispatchReport:
        """Delivers the due notifications and pages through the ports."""
        return self._native.dispatch().wait()

    def run(self) -> None:
        """Sweeps and dispatches until ``stop()`` is called from another thread (or a
        signal handler raises, e.g. Ctrl-C, whose exception this re-raises)."""
        self._native.run(check_signals=True).wait()

    def tasks(self, *, tenant: str = "default", ticket: int | None = None) -> list[EscalationTask]:
        """The escalation tasks of the tenant, or of one ticket."""
        return self._native.tasks(tenant=tenant, ticket=ticket).wait()

    def assign_task(
        self, task: str, agent: str | None, *, tenant: str = "default"
    ) -> EscalationTask:
        """Assigns an escalation task to an agent (None unassigns it)."""
        return self._native.assign_task(task, agent, tenant=tenant).wait()

    def close_task(self, task: str, *, tenant: str = "default") -> EscalationTask:
        """Closes an escalation task."""
        return self._native.close_task(task, tenant=tenant).wait()

    def log_range(
        self, start: datetime, end: datetime, *, tenant: str = "default"
    ) -> list[tuple[int, LogEntry]]:
        """The tenant's log entries in ``[start, end)``, as ``(ticket id, entry)`` pairs."""
        return self._native.log_range(start, end, tenant=tenant).wait()

    def metrics(self, start: datetime, end: datetime, *, tenant: str = "default") -> ArtReport:
        """Average resolution time of the tickets resolved in ``[start, end)``."""
        return self._native.metrics(start, end, tenant=tenant).wait()

    def weekly_report(
        self, year: int, week: int, *, tenant: str = "default", timezone: str = "UTC",
        top: int = 10, slowest: int = 10, history_weeks: int = 8, growth_weeks: int = 3,
        jump: float = 0.5, ticket_url: str | None = None,
    ) -> WeeklyReport:
        """The escalation report of ISO week ``year``-W``week``, cut in ``timezone``."""
        return self._native.weekly_report(
            year, week, tenant=tenant, timezone=timezone, top=top, slowest=slowest,
            history_weeks=history_weeks, growth_weeks=growth_weeks, jump=jump,
            ticket_url=ticket_url,
        ).wait()

    def cleanup(self, *, tenant: str = "default", dry_run: bool = False) -> CleanupReport:
        """Applies the policy's retention: archives, deletes drafts, prunes logs."""
        return self._native.cleanup(tenant=tenant, dry_run=dry_run).wait()


class AsyncEngine(_Base):
    """The escalation engine for asyncio: each method is a coroutine, and the work runs on
    the engine's runtime while the event loop goes on. Ports may be ``async def``.

    ::

        async with AsyncEngine(policy, notifier=SlackNotifier()) as engine:
            ticket = await engine.create_ticket(customer="c-1", category="billing",
                                                subject="Invoice")
    """

    async def __aenter__(self) -> AsyncEngine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stops ``run`` loops in progress. The store stays open for other engines."""
        self.stop()

    async def create_ticket(
        self,
        *,
        customer: str,
        category: str,
        subject: str,
        channel: Channel = "email",
        impact: Impact = "question",
        body: str = "",
        received_at: datetime | None = None,
        tenant: str = "default",
        draft: bool = False,
        intake_key: str | None = None,
        priority: Priority | None = None,
    ) -> Ticket:
        """See ``Engine.create_ticket``."""
        return await self._native.create_ticket(
            customer=customer, category=category, subject=subject, channel=channel,
            impact=impact, body=body, received_at=received_at, tenant=tenant, draft=draft,
            intake_key=intake_key, priority=priority,
        )

    async def record(
        self,
        ticket: TicketKey,
        event: EventType | Mapping[str, Any],
        /,
        *,
        tenant: str | None = None,
        **fields: Any,
    ) -> Ticket:
        """See ``Engine.record``."""
        return await self._native.record(ticket, _event(event, fields), tenant=tenant)

    async def resolve(
        self, ticket: TicketKey, *, summary: str, root_cause: str, by: str,
        tenant: str | None = None,
    ) -> Ticket:
        """See ``Engine.resolve``."""
        return await self._native.resolve(
            ticket, summary=summary, root_cause=root_cause, by=by, tenant=tenant
        )

    async def acknowledge(
        self, ticket: TicketKey, *, page: str, by: str, tenant: str | None = None
    ) -> Ticket:
        """See ``Engine.acknowledge``."""
        return await self._native.acknowledge(ticket, page=page, by=by, tenant=tenant)

    async def recalculate(self, ticket: TicketKey, *, tenant: str | None = None) -> Ticket:
        """See ``Engine.recalculate``."""
        return await self._native.recalculate(ticket, tenant=tenant)

    async def ticket(self, ticket: TicketKey, *, tenant: str | None = None) -> Ticket:
        """See ``Engine.ticket``."""
        return await self._native.ticket(ticket, tenant=tenant)

    async def log(self, ticket: TicketKey, *, tenant: str | None = None) -> list[LogEntry]:
        """See ``Engine.log``."""
        return await self._native.log(ticket, tenant=tenant)

    async def effects(self, ticket: TicketKey, *, tenant: str | None = None) -> list[Effect]:
        """See ``Engine.effects``."""
        return await self._native.effects(ticket, tenant=tenant)

    async def explain(self, ticket: TicketKey, *, tenant: str | None = None) -> Explanation:
        """See ``Engine.explain``."""
        return await self._native.explain(ticket, tenant=tenant)

    async def sweep(self) -> SweepReport:
        """See ``Engine.sweep``."""
        return await self._native.sweep()

    async def dispatch(self) -> DispatchReport:
        """See ``Engine.dispatch``."""
        return await self._native.dispatch()

    async def run(self) -> None:
        """Sweeps and dispatches until ``stop()`` or until the task is cancelled."""
        await self._native.run()

    async def tasks(
        self, *, tenant: str = "default", ticket: int | None = None
    ) -> list[EscalationTask]:
        """See ``Engine.tasks``."""
        return await self._native.tasks(tenant=tenant, ticket=ticket)

    async def assign_task(
        self, task: str, agent: str | None, *, tenant: str = "default"
    ) -> EscalationTask:
        """See ``Engine.assign_task``."""
        return await self._native.assign_task(task, agent, tenant=tenant)

    async def close_task(self, task: str, *, tenant: str = "default") -> EscalationTask:
        """See ``Engine.close_task``."""
        return await self._native.close_task(task, tenant=tenant)

    async def log_range(
        self, start: datetime, end: datetime, *, tenant: str = "default"
    ) -> list[tuple[int, LogEntry]]:
        """See ``Engine.log_range``."""
        return await self._native.log_range(start, end, tenant=tenant)

    async def metrics(
        self, start: datetime, end: datetime, *, tenant: str = "default"
    ) -> ArtReport:
        """See ``Engine.metrics``."""
        return await self._native.metrics(start, end, tenant=tenant)

    async def weekly_report(
        self, year: int, week: int, *, tenant: str = "default", timezone: str = "UTC",
        top: int = 10, slowest: int = 10, history_weeks: int = 8, growth_weeks: int = 3,
        jump: float = 0.5, ticket_url: str | None = None,
    ) -> WeeklyReport:
        """See ``Engine.weekly_report``."""
        return await self._native.weekly_report(
            year, week, tenant=tenant, timezone=timezone, top=top, slowest=slowest,
            history_weeks=history_weeks, growth_weeks=growth_weeks, jump=jump,
            ticket_url=ticket_url,
        )

    async def cleanup(self, *, tenant: str = "default", dry_run: bool = False) -> CleanupReport:
        """See ``Engine.cleanup``."""
        return await self._native.cleanup(tenant=tenant, dry_run=dry_run)


__all__ = ["AsyncEngine", "Engine", "Store", "TicketKey"]
