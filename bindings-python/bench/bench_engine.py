"""Engine benchmark from Python: what ``Engine.create_ticket`` costs over the Rust call.

Both sides take in the same tickets (customer ``c-1`` with a profile, category ``billing``,
two Tier 1 agents, the example policy, a memory store, received "now" on a manual clock):
the Rust side in a loop inside the extension (``escalation._native._time_rust_create_ticket``),
the Python side through ``Engine.create_ticket`` with keyword arguments, as a host calls it.
Each side runs on a fresh engine of its own, so both stores grow the same way. The
difference is the binding's overhead: the Python wrapper, argument conversion, the GIL
release around the call, the runtime hand-off and the answer object.

Run: ``make python-bench`` (release build), or ``python bench/bench_engine.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar, Union

from escalation import (
    Agent,
    AsyncEngine,
    CustomerProfile,
    Engine,
    ManualClock,
    MemoryDirectory,
    MemoryProfiles,
    MemoryStore,
    Policy,
    _native,
)

E = TypeVar("E", bound=Union[Engine, AsyncEngine])
POLICY = Path(__file__).resolve().parents[2] / "examples" / "policy.toml"
START = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)


def engine(kind: type[E]) -> E:
    """A fresh engine of `kind` on a memory store, with two agents and customer c-1."""
    directory = MemoryDirectory()
    for name in ("alice", "bob"):
        directory.add_agent(Agent(id=name, name=name, tier="tier1", team="team-a",
                                  generalist=True, capacity=1_000_000))
    profiles = MemoryProfiles()
    profiles.add(CustomerProfile(customer="c-1", tier="enterprise", lifetime_value=20000.0,
                                 customer_since=START, contact={"name": "Carla"}))
    return kind(Policy.from_path(POLICY), store=MemoryStore(), directory=directory,
                profiles=profiles, clock=ManualClock(START))


def python_ns(n: int) -> float:
    create = engine(Engine).create_ticket
    start = time.perf_counter_ns()
    for _ in range(n):
        create(customer="c-1", category="billing", subject="bench")
    return (time.perf_counter_ns() - start) / n


def async_ns(n: int) -> float:
    """Per call of ``await AsyncEngine.create_ticket``, one at a time on one event loop:
    the asyncio round trip (a future settled from the runtime's thread) included."""
    a = engine(AsyncEngine)

    async def run() -> float:
        create = a.create_ticket
        start = time.perf_counter_ns()
        for _ in range(n):
            await create(customer="c-1", category="billing", subject="bench")
        return (time.perf_counter_ns() - start) / n

    return asyncio.run(run())


def rust_ns(n: int) -> float:
    return _native._time_rust_create_ticket(engine(Engine)._native, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer tickets, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    n, repeats = (2_000, 2) if args.quick else (20_000, 5)
    if _native._BUILD_PROFILE != "release":
        print("warning: the extension is a debug build; run `make python-bench`", file=sys.stderr)
    rust = min(rust_ns(n) for _ in range(repeats))
    python = min(python_ns(n) for _ in range(repeats))
    awaited = min(async_ns(n) for _ in range(repeats))
    figures = {
        "tickets_per_run": n,
        "rust_create_ticket_ns": round(rust),
        "python_create_ticket_ns": round(python),
        "overhead_ns": round(python - rust),
        "async_create_ticket_ns": round(awaited),
        "python": platform.python_version(),
        "build": _native._BUILD_PROFILE,
    }
    print(f"create_ticket, {n} tickets per run, best of {repeats}:")
    print(f"  Rust call            {rust / 1000:8.2f} us")
    print(f"  Engine.create_ticket {python / 1000:8.2f} us")
    print(f"  overhead             {(python - rust) / 1000:8.2f} us  (budget 5 us)")
    print(f"  await AsyncEngine.create_ticket, one at a time {awaited / 1000:8.2f} us")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
