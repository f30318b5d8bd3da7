"""The type stubs match the native module (mypy.stubtest), and serve a typed caller."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ALLOWLIST = str(Path(__file__).resolve().parents[1] / "stubtest-allowlist.txt")


def test_stubtest() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "escalation", "--allowlist", ALLOWLIST],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_tests_type_check_against_the_stubs() -> None:
    """The suite uses the package as a typed caller would; mypy must accept it."""
    tests = __file__.rsplit("/", 1)[0]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", tests],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
