"""Type stubs of the native module ``escalation._native`` (checked by ``mypy.stubtest``)."""

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from collections.abc import Generator
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar, final, overload

from escalation._types import Channel, CustomerTier, Impact, Priority, Status, SupportTier, Target

__version__: Final[str]
__all__ = [
    "Agent",
    "ArtReport",
    "BusinessCalendar",
    "CleanupReport",
    "Conflict",
    "CustomerProfile",
    "DispatchReport",
    "Effect",
    "Engine",
    "EscalationError",
    "EscalationTask",
    "Explanation",
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
    "OutOfRange",
    "Page",
    "PageState",
    "PermanentFailure",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PortError",
    "PostgresStore",
    "SlaClock",
    "SqliteStore",
    "StoreError",
    "SweepReport",
    "Team",
    "Ticket",
    "Timeout",
    "WeeklyReport",
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

# ---- records ------------------------------------------------------------------------------
@final
class Ticket:
    """A support ticket as stored. Read-only; change it through the engine."""
    @property
    def id(self) -> int: ...
    @property
    def tenant(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def category(self) -> str: ...
    @property
    def impact(self) -> Impact: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def status(self) -> Status: ...
    @property
    def priority(self) -> Priority: ...
    @property
    def score(self) -> dict[str, Any]: ...
    @property
    def priority_override(self) -> dict[str, Any] | None: ...
    @property
    def profile_state(self) -> Literal['known', 'not_found', 'unavailable']: ...
    @property
    def profile(self) -> CustomerProfile | None: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def team(self) -> str | None: ...
    @property
    def support_tier(self) -> SupportTier: ...
    @property
    def first_response_at(self) -> datetime | None: ...
    @property
    def last_customer_reply_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def resolution(self) -> dict[str, Any] | None: ...
    @property
    def policy_version(self) -> str | None: ...
    @property
    def sla(self) -> list[SlaClock]: ...
    @property
    def pages(self) -> list[PageState]: ...
    @property
    def fired(self) -> list[dict[str, Any]]: ...
    @property
    def route_retry_at(self) -> datetime | None: ...
    @property
    def queue_reason(self) -> dict[str, Any] | None: ...
    @property
    def intake_key(self) -> str | None: ...
    @property
    def next_check(self) -> datetime | None: ...
    @property
    def archived_at(self) -> datetime | None: ...
    @property
    def version(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class SlaClock:
    """One SLA clock of a ticket: a target in one cycle."""
    @property
    def target(self) -> Target: ...
    @property
    def cycle(self) -> int: ...
    @property
    def rule(self) -> int: ...
    @property
    def warned(self) -> int: ...
    @property
    def is_paused(self) -> bool: ...
    @property
    def is_running(self) -> bool: ...
    @property
    def priority(self) -> Priority: ...
    @property
    def calendar(self) -> str: ...
    @property
    def budget(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def consumed(self) -> timedelta: ...
    @property
    def running_since(self) -> datetime | None: ...
    @property
    def deadline(self) -> datetime | None: ...
    @property
    def stopped_at(self) -> datetime | None: ...
    @property
    def breached_at(self) -> datetime | None: ...
    @property
    def pauses(self) -> list[tuple[datetime, datetime | None]]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class PageState:
    """An on-call page of a ticket and its repeats."""
    @property
    def key(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def target(self) -> Target | None: ...
    @property
    def summary(self) -> str: ...
    @property
    def triggered_at(self) -> datetime: ...
    @property
    def sent(self) -> int: ...
    @property
    def max_repeats(self) -> int: ...
    @property
    def ack_deadline(self) -> datetime: ...
    @property
    def ack_timed_out(self) -> bool: ...
    @property
    def acknowledged(self) -> tuple[datetime, str] | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def is_active(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class CustomerProfile:
    """What the ProfileSource knows about a customer."""
    def __new__(cls, **fields: Any) -> CustomerProfile:
        """Builds the record from keyword arguments in its JSON form."""
    @staticmethod
    def from_dict(doc: Mapping[str, Any]) -> CustomerProfile:
        """Reads the record from its JSON form."""
    @property
    def customer(self) -> str: ...
    @property
    def tier(self) -> CustomerTier: ...
    @property
    def lifetime_value(self) -> float: ...
    @property
    def customer_since(self) -> datetime: ...
    @property
    def prior_tickets(self) -> int: ...
    @property
    def prior_escalations(self) -> int: ...
    @property
    def contact(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Agent:
    """An agent, as the AgentDirectory reports them."""
    def __new__(cls, **fields: Any) -> Agent:
        """Builds the record from keyword arguments in its JSON form."""
    @staticmethod
    def from_dict(doc: Mapping[str, Any]) -> Agent:
        """Reads the record from its JSON form."""
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def tier(self) -> SupportTier: ...
    @property
    def skills(self) -> list[str]: ...
    @property
    def generalist(self) -> bool: ...
    @property
    def email(self) -> str | None: ...
    @property
    def capacity(self) -> int: ...
    @property
    def available(self) -> bool: ...
    @property
    def team(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Team:
    """A team and its manager."""
    def __new__(cls, **fields: Any) -> Team:
        """Builds the record from keyword arguments in its JSON form."""
    @staticmethod
    def from_dict(doc: Mapping[str, Any]) -> Team:
        """Reads the record from its JSON form."""
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def manager(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class LogEntry:
    """One entry of a ticket's audit log."""
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class EscalationTask:
    """An escalation task, created when a ladder level with create_task fires."""
    @property
    def id(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def ticket(self) -> int: ...
    @property
    def level(self) -> str: ...
    @property
    def target(self) -> Target | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def status(self) -> Literal['open', 'closed']: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Effect:
    """A delivery to the Notifier or the Pager, as the outbox holds it."""
    @property
    def key(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def ticket(self) -> int: ...
    @property
    def kind(self) -> Literal['notify', 'page_trigger', 'page_resolve']: ...
    @property
    def notification(self) -> Notification | None: ...
    @property
    def page(self) -> Page | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def not_before(self) -> datetime: ...
    @property
    def state(self) -> Literal['pending', 'delivered', 'dead_lettered', 'cancelled']: ...
    @property
    def attempts(self) -> int: ...
    @property
    def next_attempt_at(self) -> datetime: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def finished_at(self) -> datetime | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Notification:
    """A message for the Notifier; ``key`` is the same on every retry."""
    def __new__(cls, **fields: Any) -> Notification:
        """Builds the record from keyword arguments in its JSON form."""
    @staticmethod
    def from_dict(doc: Mapping[str, Any]) -> Notification:
        """Reads the record from its JSON form."""
    @property
    def key(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def ticket(self) -> int: ...
    @property
    def kind(self) -> Literal['manager_alert', 'customer_notice', 'agent_warning']: ...
    @property
    def to(self) -> dict[str, Any]: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Page:
    """An on-call page for the Pager; repeats share ``dedup_key``."""
    def __new__(cls, **fields: Any) -> Page:
        """Builds the record from keyword arguments in its JSON form."""
    @staticmethod
    def from_dict(doc: Mapping[str, Any]) -> Page:
        """Reads the record from its JSON form."""
    @property
    def dedup_key(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def ticket(self) -> int: ...
    @property
    def summary(self) -> str: ...
    @property
    def severity(self) -> Priority: ...
    @property
    def repeat(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class SweepReport:
    """What one sweep did."""
    @property
    def claimed(self) -> int: ...
    @property
    def assigned(self) -> int: ...
    @property
    def rescored(self) -> int: ...
    @property
    def profiles_fetched(self) -> int: ...
    @property
    def conflicts(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class DispatchReport:
    """What one dispatch did."""
    @property
    def claimed(self) -> int: ...
    @property
    def delivered(self) -> int: ...
    @property
    def retried(self) -> int: ...
    @property
    def dead_lettered(self) -> int: ...
    @property
    def conflicts(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class CleanupReport:
    """What retention did, or would do on a dry run."""
    @property
    def dry_run(self) -> bool: ...
    @property
    def archived(self) -> list[int]: ...
    @property
    def deleted_drafts(self) -> list[int]: ...
    @property
    def deleted_tasks(self) -> list[str]: ...
    @property
    def pruned_log_entries(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Explanation:
    """Why a ticket's priority and deadlines are what they are; ``str()`` gives it as text."""
    @property
    def priority(self) -> Priority: ...
    @property
    def score(self) -> dict[str, Any]: ...
    @property
    def priority_override(self) -> dict[str, Any] | None: ...
    @property
    def policy_version(self) -> str | None: ...
    @property
    def targets(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class ArtReport:
    """Average resolution time, overall and grouped."""
    @property
    def from_(self) -> datetime: ...
    @property
    def to(self) -> datetime: ...
    @property
    def overall(self) -> dict[str, Any]: ...
    @property
    def groups(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class WeeklyReport:
    """The weekly escalation report."""
    @property
    def schema_version(self) -> int: ...
    @property
    def tenant(self) -> str: ...
    @property
    def week(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def from_(self) -> datetime: ...
    @property
    def to(self) -> datetime: ...
    @property
    def generated_at(self) -> datetime: ...
    @property
    def totals(self) -> dict[str, Any]: ...
    @property
    def targets(self) -> list[dict[str, Any]]: ...
    @property
    def top_categories(self) -> list[dict[str, Any]]: ...
    @property
    def top_segments(self) -> list[dict[str, Any]]: ...
    @property
    def patterns(self) -> list[dict[str, Any]]: ...
    @property
    def on_call(self) -> list[dict[str, Any]]: ...
    @property
    def mean_time_to_ack(self) -> int | None: ...
    @property
    def root_causes(self) -> list[dict[str, Any]]: ...
    @property
    def art(self) -> ArtReport: ...
    @property
    def slowest(self) -> list[dict[str, Any]]: ...
    @property
    def history(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]:
        """The record's JSON form."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def to_json(self) -> str: ...
    def to_markdown(self) -> str: ...
    def to_html(self) -> str: ...


# ---- ports, stores, clock -----------------------------------------------------------------

class PermanentFailure(Exception):
    """Raised by a port to say that retrying the same call will not help."""

    kind: str
    is_retryable: bool

@final
class MemoryStore:
    """A ticket store in memory."""

    def __new__(cls) -> MemoryStore: ...
    def __len__(self) -> int: ...

@final
class SqliteStore:
    """A ticket store in one SQLite file (``":memory:"`` for an in-memory database)."""

    def __new__(cls, path: str | os.PathLike[str]) -> SqliteStore: ...

@final
class PostgresStore:
    """A ticket store in PostgreSQL, for many app instances sharing one database."""

    def __new__(
        cls,
        dsn: str,
        *,
        schema: str | None = None,
        pool_size: int | None = None,
        row_level_security: bool = False,
        application_name: str | None = None,
    ) -> PostgresStore: ...

@final
class MemoryProfiles:
    """Customer profiles in memory: a ProfileSource."""

    def __new__(cls) -> MemoryProfiles: ...
    def add(
        self, profile: CustomerProfile | Mapping[str, Any], *, tenant: str = "default"
    ) -> None: ...

@final
class MemoryDirectory:
    """Agents and teams in memory: an AgentDirectory."""

    def __new__(cls) -> MemoryDirectory: ...
    def add_agent(self, agent: Agent | Mapping[str, Any], *, tenant: str = "default") -> None: ...
    def add_team(self, team: Team | Mapping[str, Any], *, tenant: str = "default") -> None: ...
    def set_available(self, agent: str, available: bool, *, tenant: str = "default") -> None: ...

@final
class MemoryNotifier:
    """A Notifier that keeps what it was sent."""

    def __new__(cls) -> MemoryNotifier: ...
    def delivered(self) -> list[Notification]: ...
    @property
    def calls(self) -> int: ...

@final
class MemoryPager:
    """A Pager that records its calls."""

    def __new__(cls) -> MemoryPager: ...
    def triggered(self) -> list[Page]: ...
    def resolved(self) -> list[str]: ...
    def calls(self) -> list[tuple[Literal["trigger"], Page] | tuple[Literal["resolve"], str]]: ...
    def is_open(self, dedup_key: str) -> bool: ...

@final
class ManualClock:
    """A clock that moves only when told to (never backwards)."""

    def __new__(cls, start: datetime) -> ManualClock: ...
    def now(self) -> datetime: ...
    def set(self, to: datetime) -> None: ...
    def advance(self, by: timedelta) -> None: ...

# ---- the native engine (wrapped by escalation.Engine and escalation.AsyncEngine) -----------

_T = TypeVar("_T")

@final
class Call(Generic[_T]):
    """One engine call: ``wait()`` runs it on this thread, ``await`` on the runtime."""

    def wait(self) -> _T: ...
    def __await__(self) -> Generator[Any, Any, _T]: ...

@final
class Engine:
    """The native engine; use ``escalation.Engine`` or ``escalation.AsyncEngine``."""

    def __new__(
        cls,
        policy: Policy | None = None,
        *,
        store: Any = None,
        profiles: Any = None,
        notifier: Any = None,
        pager: Any = None,
        directory: Any = None,
        clock: ManualClock | None = None,
        engine_id: str | None = None,
    ) -> Engine: ...
    @property
    def policy(self) -> Policy: ...
    def now(self) -> datetime: ...
    def calendar(self, name: str) -> BusinessCalendar | None: ...
    def create_ticket(
        self,
        *,
        customer: str,
        category: str,
        subject: str,
        channel: str,
        impact: str,
        body: str,
        received_at: datetime | None,
        tenant: str,
        draft: bool,
        intake_key: str | None,
        priority: str | None,
    ) -> Call[Ticket]: ...
    def record(
        self, ticket: Ticket | int, event: Mapping[str, Any], *, tenant: str | None = None
    ) -> Call[Ticket]: ...
    def resolve(
        self,
        ticket: Ticket | int,
        *,
        summary: str,
        root_cause: str,
        by: str,
        tenant: str | None = None,
    ) -> Call[Ticket]: ...
    def acknowledge(
        self, ticket: Ticket | int, *, page: str, by: str, tenant: str | None = None
    ) -> Call[Ticket]: ...
    def recalculate(self, ticket: Ticket | int, *, tenant: str | None = None) -> Call[Ticket]: ...
    def ticket(self, ticket: Ticket | int, *, tenant: str | None = None) -> Call[Ticket]: ...
    def log(self, ticket: Ticket | int, *, tenant: str | None = None) -> Call[list[LogEntry]]: ...
    def effects(
        self, ticket: Ticket | int, *, tenant: str | None = None
    ) -> Call[list[Effect]]: ...
    def explain(
        self, ticket: Ticket | int, *, tenant: str | None = None
    ) -> Call[Explanation]: ...
    def sweep(self) -> Call[SweepReport]: ...
    def dispatch(self) -> Call[DispatchReport]: ...
    def run(self, *, check_signals: bool = False) -> Call[None]: ...
    def stop(self) -> None: ...
    def tasks(
        self, *, tenant: str = "default", ticket: int | None = None
    ) -> Call[list[EscalationTask]]: ...
    def assign_task(
        self, task: str, agent: str | None, *, tenant: str = "default"
    ) -> Call[EscalationTask]: ...
    def close_task(self, task: str, *, tenant: str = "default") -> Call[EscalationTask]: ...
    def log_range(
        self, start: datetime, end: datetime, *, tenant: str = "default"
    ) -> Call[list[tuple[int, LogEntry]]]: ...
    def metrics(
        self, start: datetime, end: datetime, *, tenant: str = "default"
    ) -> Call[ArtReport]: ...
    def weekly_report(
        self,
        year: int,
        week: int,
        *,
        tenant: str = "default",
        timezone: str = "UTC",
        top: int = 10,
        slowest: int = 10,
        history_weeks: int = 8,
        growth_weeks: int = 3,
        jump: float = 0.5,
        ticket_url: str | None = None,
    ) -> Call[WeeklyReport]: ...
    def cleanup(self, *, tenant: str = "default", dry_run: bool = False) -> Call[CleanupReport]: ...

# ---- hidden test and bench hooks ----------------------------------------------------------

_BUILD_PROFILE: Final[str]
"""``"release"`` or ``"debug"``: how the extension was compiled."""

def _panic_for_test(detached: bool = False) -> None:
    """Panics inside the binding (to test that it surfaces as ``InternalError``)."""

def _time_rust_add(
    calendar: BusinessCalendar, starts: Iterable[datetime], duration: timedelta, rounds: int
) -> float:
    """Nanoseconds per call of the Rust ``add`` over ``starts``, ``rounds`` times."""

def _time_rust_create_ticket(engine: Engine, rounds: int) -> float:
    """Nanoseconds per ``create_ticket`` timed in a Rust loop on ``engine``."""
