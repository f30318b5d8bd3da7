"""Type stubs of the native module ``escalation._native`` (checked by ``mypy.stubtest``)."""

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, ClassVar, Final, final, overload

__version__: Final[str]
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
]

# ---- errors -------------------------------------------------------------------------------

class EscalationError(Exception):
    """The base class of every error the engine reports."""

    kind: str
    """The stable code of the error's kind: ``"POLICY_INVALID"``, ``"NOT_FOUND"``, ..."""
    is_retryable: bool
    """Whether the same call may succeed if tried again."""

class InvalidInput(EscalationError, ValueError):
    """An argument or a field of an input document is invalid."""

    field: str
    value: str
    reason: str

class PolicyError(EscalationError, ValueError):
    """A policy document failed validation; ``problems`` lists every problem."""

    problems: list[PolicyProblem]

class InvalidTransition(EscalationError):
    """A status change that the transition table does not allow."""

class NotFound(EscalationError, LookupError):
    """The requested record does not exist (or belongs to another tenant)."""

    what: str
    id: str

class Conflict(EscalationError):
    """A write lost an optimistic-concurrency race or a lease; re-read and retry."""

class OutOfRange(EscalationError, ValueError):
    """No answer exists within the supported range (1900-01-01 to 2201-01-01 UTC)."""

class PortError(EscalationError):
    """A port (ProfileSource, Notifier, Pager, AgentDirectory) failed."""

class Timeout(EscalationError, TimeoutError):
    """A port did not answer in time."""

class StoreError(EscalationError):
    """The ticket store failed."""

class NotSupported(EscalationError, NotImplementedError):
    """The adapter does not implement this optional operation."""

class InternalError(EscalationError):
    """A bug in the engine (a broken invariant or a panic in Rust)."""

# ---- business calendars -------------------------------------------------------------------

_Time = str | time
_Window = tuple[_Time, _Time] | Sequence[_Time]
_Date = date | str
_Break = tuple[_Date, _Time, _Time] | Mapping[str, Any]

@final
class BusinessCalendar:
    """A business calendar: a time zone, weekly hours, holidays, date overrides and breaks.

    Instants are aware ``datetime`` objects (a naive one raises ``InvalidInput``, a
    ``ValueError``); answers are aware datetimes in the calendar's zone. Immutable and safe to
    share between threads.
    """

    def __new__(
        cls,
        timezone: str | tzinfo,
        hours: Mapping[str, Iterable[_Window]],
        holidays: Iterable[_Date] | None = None,
        overrides: Mapping[_Date, Iterable[_Window]] | None = None,
        breaks: Iterable[_Break] | None = None,
    ) -> BusinessCalendar: ...
    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> BusinessCalendar:
        """Builds a calendar from its JSON form as a dict."""
    @staticmethod
    def from_json(text: str) -> BusinessCalendar:
        """Builds a calendar from its JSON form as text."""
    @property
    def timezone(self) -> str:
        """The calendar's IANA time zone."""
    def to_dict(self) -> dict[str, Any]:
        """The calendar's JSON form as a dict."""
    def to_json(self) -> str:
        """The calendar's JSON form as text."""
    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest ``t >= start`` with ``elapsed(start, t) >= duration``."""
    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        """The latest ``t <= end`` with ``elapsed(t, end) >= duration``."""
    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """The business time in ``[a, b)``; negative when ``b`` is before ``a``."""
    def is_open(self, t: datetime) -> bool:
        """Whether ``t`` is business time."""
    def next_open(self, t: datetime) -> datetime:
        """``t`` when it is business time, else the next opening."""
    def previous_close(self, t: datetime) -> datetime:
        """``t`` when the instant just before it is business time, else the previous close."""
    @overload
    def add_many(self, starts: Iterable[datetime], duration: timedelta) -> list[datetime]: ...
    @overload
    def add_many(self, starts: Any, duration: timedelta) -> Any: ...
    @overload
    def elapsed_many(
        self, starts: Iterable[datetime], ends: Iterable[datetime]
    ) -> list[timedelta]: ...
    @overload
    def elapsed_many(self, starts: Any, ends: Any) -> Any: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...

# ---- policies -----------------------------------------------------------------------------

@final
class PolicyProblem:
    """One problem found in a policy document."""

    def __new__(cls, path: str, message: str) -> PolicyProblem: ...
    @property
    def path(self) -> str:
        """The dotted path of the offending field, e.g. ``scoring.weights.tier``."""
    @property
    def message(self) -> str:
        """What is wrong, including the offending value."""
    def to_dict(self) -> dict[str, str]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Policy:
    """A validated policy document. ``Policy()`` is the default policy."""

    def __new__(cls) -> Policy: ...
    @staticmethod
    def from_toml(text: str) -> Policy:
        """Loads a policy from TOML text; ``PolicyError`` lists every problem."""
    @staticmethod
    def from_json(text: str) -> Policy:
        """Loads a policy from JSON text."""
    @staticmethod
    def from_path(path: str | os.PathLike[str]) -> Policy:
        """Loads a policy file: JSON when its name ends in ``.json``, TOML otherwise."""
    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Policy:
        """Loads a policy from its JSON form as a dict."""
    @property
    def version(self) -> str:
        """The policy's version label."""
    @property
    def calendar_names(self) -> list[str]:
        """The names of the policy's calendars (with the built-in ``always``)."""
    def calendar(self, name: str) -> BusinessCalendar:
        """The calendar named ``name``; ``NotFound`` when there is none."""
    def to_dict(self) -> dict[str, Any]:
        """The policy's JSON form as a dict; every field is present."""
    def to_json(self) -> str:
        """The policy's JSON form as text."""
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

# ---- hidden test and bench hooks ----------------------------------------------------------

_BUILD_PROFILE: Final[str]
"""``"release"`` or ``"debug"``: how the extension was compiled."""

def _panic_for_test(detached: bool = False) -> None:
    """Panics inside the binding (to test that it surfaces as ``InternalError``)."""

def _time_rust_add(
    calendar: BusinessCalendar, starts: Iterable[datetime], duration: timedelta, rounds: int
) -> float:
    """Nanoseconds per call of the Rust ``add`` over ``starts``, ``rounds`` times."""
