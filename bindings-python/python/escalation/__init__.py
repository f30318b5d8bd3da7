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

Errors are ``EscalationError`` subclasses, one per kind (``PolicyError``, ``InvalidInput``,
``NotFound``, ...), each with ``kind`` and ``is_retryable``.
"""

from escalation._native import (
    BusinessCalendar,
    Conflict,
    EscalationError,
    InternalError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotSupported,
    OutOfRange,
    Policy,
    PolicyError,
    PolicyProblem,
    PortError,
    StoreError,
    Timeout,
    __version__,
)

__all__ = [
    "BusinessCalendar",
    "Conflict",
    "EscalationError",
    "InternalError",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "NotSupported",
    "OutOfRange",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PortError",
    "StoreError",
    "Timeout",
    "__version__",
]
