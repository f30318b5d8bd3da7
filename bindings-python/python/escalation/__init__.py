"""escalation: an embeddable engine for customer-support ticket escalation.

The Python package over the Rust engine. Everything here comes from the private native
module ``escalation._native``; this file re-exports it under its public names.

Business time::

    from datetime import datetime, timedelta, date
    from zoneinfo import ZoneInfo
    from escalation import BusinessCalendar

    cal = BusinessCalendar(
        timezone="America/New_York",
        hours={day: [("09:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[date(2026, 12, 25)],
    )
    start = datetime(2026, 12, 24, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    cal.add(start, timedelta(hours=2))  # 2026-12-28 10:00-05:00 (Christmas, a weekend)

The engine::

    from escalation import Engine, Policy, SqliteStore, MemoryNotifier

    engine = Engine(Policy.from_path("policy.toml"), store=SqliteStore("desk.db"),
                    notifier=MyEmailNotifier())
    ticket = engine.create_ticket(customer="c-1", category="billing", subject="Invoice")
    engine.sweep()      # breaches, warnings, the escalation ladder
    engine.dispatch()   # notifications and pages through the ports

``AsyncEngine`` offers the same methods as coroutines. Errors are ``EscalationError`` subclasses, one per kind (``PolicyError``, ``InvalidInput``,
``NotFound``, ...), each with ``kind`` and ``is_retryable``.
"""

from escalation._native import (
    Agent,
    ArtReport,
    BusinessCalendar,
    CleanupReport,
    Conflict,
    CustomerProfile,
    DispatchReport,
    Effect,
    EscalationError,
    EscalationTask,
    Explanation,
    InternalError,
    InvalidInput,
    InvalidTransition,
    LogEntry,
    ManualClock,
    MemoryDirectory,
    MemoryNotifier,
    MemoryPager,
    MemoryProfiles,
    MemoryStore,
    NotFound,
    NotSupported,
    Notification,
    OutOfRange,
    Page,
    PageState,
    PermanentFailure,
    Policy,
    PolicyError,
    PolicyProblem,
    PortError,
    PostgresStore,
    SlaClock,
    SqliteStore,
    StoreError,
    SweepReport,
    Team,
    Ticket,
    Timeout,
    WeeklyReport,
    __version__,
)
from escalation._engine import (
    AsyncEngine,
    Engine,
    Store,
    TicketKey,
)
from escalation._ports import (
    AgentDirectory,
    Notifier,
    Pager,
    ProfileSource,
)
from escalation._types import (
    Channel,
    CustomerTier,
    EventType,
    Impact,
    Priority,
    Status,
    SupportTier,
    Target,
)

__all__ = [
    "Agent",
    "AgentDirectory",
    "ArtReport",
    "AsyncEngine",
    "BusinessCalendar",
    "Channel",
    "CleanupReport",
    "Conflict",
    "CustomerProfile",
    "CustomerTier",
    "DispatchReport",
    "Effect",
    "Engine",
    "EscalationError",
    "EscalationTask",
    "EventType",
    "Explanation",
    "Impact",
    "InternalError",
    "InvalidInput",
    "InvalidTransition",
    "LogEntry",
    "ManualClock",
    "MemoryDirectory",
    "MemoryNotifier",
    "MemoryPager",
    "MemoryProfiles",
    "MemoryStore",
    "NotFound",
    "NotSupported",
    "Notification",
    "Notifier",
    "OutOfRange",
    "Page",
    "PageState",
    "Pager",
    "PermanentFailure",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PortError",
    "PostgresStore",
    "Priority",
    "ProfileSource",
    "SlaClock",
    "SqliteStore",
    "Status",
    "Store",
    "StoreError",
    "SupportTier",
    "SweepReport",
    "Target",
    "Team",
    "Ticket",
    "TicketKey",
    "Timeout",
    "WeeklyReport",
    "__version__",
]
