"""The engine tests' shared set-up: the example policy, a desk with agents and a customer,
the three stores, and a driver that runs the same test through ``Engine`` or ``AsyncEngine``."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from escalation import (
    Agent,
    AsyncEngine,
    CustomerProfile,
    Engine,
    ManualClock,
    MemoryDirectory,
    MemoryNotifier,
    MemoryPager,
    MemoryProfiles,
    MemoryStore,
    Policy,
    PostgresStore,
    SqliteStore,
    Team,
)

PROJECT = Path(__file__).resolve().parents[2]
POLICY_PATH = PROJECT / "examples" / "policy.toml"
# Monday 30 November 2026, 10:00 in New York: business hours on the support calendar.
START = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def postgres_url() -> str:
    url = os.environ.get("ESCALATION_PG_URL")
    if not url:
        raise RuntimeError(
            "ESCALATION_PG_URL is not set: run the suite with `make python-test`, which "
            "starts a throwaway PostgreSQL cluster (tests/scripts/with_postgres.sh)"
        )
    return url


def make_store(kind: str, tmp_path: Path) -> Any:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(tmp_path / "desk.db")
    if kind == "postgres":
        return PostgresStore(postgres_url(), schema="py_" + uuid.uuid4().hex[:12])
    raise ValueError(kind)


class Desk:
    """Alice and Bob (Tier 1, team-a, managed by Mona), Tara (Tier 2, team-b, Mark), and
    customer c-1 (Enterprise, contact Carla), on a manual clock."""

    def __init__(self, store: Any, start: datetime = START, **ports: Any) -> None:
        self.clock = ManualClock(start)
        self.directory = MemoryDirectory()
        for agent in (
            Agent(id="alice", name="Alice", tier="tier1", team="team-a", skills=["billing"],
                  email="alice@example.invalid"),
            Agent(id="bob", name="Bob", tier="tier1", team="team-a", generalist=True),
            Agent(id="tara", name="Tara", tier="tier2", team="team-b", generalist=True),
        ):
            self.directory.add_agent(agent)
        self.directory.add_team(
            Team(id="team-a", name="Team A", manager={"name": "Mona", "email": "mona@example.invalid"})
        )
        self.directory.add_team(
            {"id": "team-b", "name": "Team B", "manager": {"name": "Mark", "email": "mark@example.invalid"}}
        )
        self.profiles = MemoryProfiles()
        self.profiles.add(
            CustomerProfile(
                customer="c-1", tier="enterprise", lifetime_value=20000.0,
                customer_since=datetime(2020, 1, 1, tzinfo=timezone.utc),
                contact={"name": "Carla", "email": "carla@example.invalid"},
            )
        )
        self.notifier = MemoryNotifier()
        self.pager = MemoryPager()
        self.store = store
        self.ports: dict[str, Any] = {
            "profiles": self.profiles, "notifier": self.notifier, "pager": self.pager,
            "directory": self.directory,
        }
        self.ports.update(ports)
        self.policy = Policy.from_path(POLICY_PATH)

    def engine(self, mode: str = "sync", policy: Policy | None = None) -> Any:
        kwargs = dict(store=self.store, clock=self.clock, **self.ports)
        if mode == "sync":
            return Engine(policy or self.policy, **kwargs)
        return AsyncDriver(AsyncEngine(policy or self.policy, **kwargs))


class AsyncDriver:
    """Runs an ``AsyncEngine``'s coroutines to completion on one event loop, so a test
    written against the blocking API drives the asyncio one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.engine, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if asyncio.iscoroutine(result):
                return self.loop.run_until_complete(result)
            return result

        return call

    def close(self) -> None:
        self.loop.close()


def closing(engine: Any) -> Iterator[Any]:
    yield engine
    if isinstance(engine, AsyncDriver):
        engine.close()


__all__ = ["AsyncDriver", "Desk", "START", "closing", "make_store", "postgres_url", "utc"]
