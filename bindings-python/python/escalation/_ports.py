"""The ports a host implements in Python, as ``typing.Protocol`` classes.

Any object with the right methods serves; it need not inherit from these. A method may be
``async def`` (awaited on the event loop of the ``AsyncEngine`` call that needs it, or run
with ``asyncio.run`` under the blocking ``Engine``). Methods are called on a worker thread,
never on the thread that called the engine.

A method that also takes a ``tenant`` keyword argument receives the tenant of the call.
Raising :class:`escalation.PermanentFailure` means "do not retry"; any other exception is
retried under the policy's backoff. The policy's timeouts apply to every call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, Protocol, TypeVar, Union, runtime_checkable

from escalation._native import Agent, CustomerProfile, Notification, Page, Team

ProfileAnswer = Union[CustomerProfile, Mapping[str, Any], None]
AgentsAnswer = Iterable[Union[Agent, Mapping[str, Any]]]
TeamAnswer = Union[Team, Mapping[str, Any], None]


@runtime_checkable
class ProfileSource(Protocol):
    """Knows customers: the host's CRM."""

    def get_profile(self, customer_id: str) -> ProfileAnswer | Awaitable[ProfileAnswer]:
        """The customer's profile, or None when the customer is unknown."""
        ...


@runtime_checkable
class Notifier(Protocol):
    """Delivers manager alerts, customer notices and agent warnings: email, Slack, ...

    ``notification.key`` is the same on every retry: use it to drop duplicates.
    """

    def send(self, notification: Notification) -> None | Awaitable[None]:
        """Delivers one notification."""
        ...


@runtime_checkable
class Pager(Protocol):
    """Pages the on-call engineer: PagerDuty, Opsgenie, ..."""

    def trigger(self, page: Page) -> None | Awaitable[None]:
        """Sends a page (repeats share ``page.dedup_key``)."""
        ...

    def resolve(self, dedup_key: str) -> None | Awaitable[None]:
        """Resolves the incident of ``dedup_key`` (its ticket was resolved)."""
        ...


@runtime_checkable
class AgentDirectory(Protocol):
    """Knows the agents and teams: the host's staff directory."""

    def agents(self) -> AgentsAnswer | Awaitable[AgentsAnswer]:
        """Every agent, available or not."""
        ...

    def team(self, team_id: str) -> TeamAnswer | Awaitable[TeamAnswer]:
        """The team and its manager, or None (optional: without it, no manager alerts)."""
        ...


T = TypeVar("T")


async def _await(awaitable: Awaitable[T]) -> T:
    """Any awaitable as a coroutine (what ``asyncio.run`` takes)."""
    return await awaitable


__all__ = ["AgentDirectory", "Notifier", "Pager", "ProfileSource"]
