"""The exception hierarchy, and panics in Rust surfacing as EscalationError."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading

import pytest

import escalation
from escalation import EscalationError, InternalError, _native

# Each kind of the core's error, its class, its code and the builtin it also derives from.
KINDS = [
    ("InvalidInput", "INVALID_INPUT", ValueError),
    ("PolicyError", "POLICY_INVALID", ValueError),
    ("InvalidTransition", "INVALID_TRANSITION", None),
    ("NotFound", "NOT_FOUND", LookupError),
    ("Conflict", "CONFLICT", None),
    ("OutOfRange", "OUT_OF_RANGE", ValueError),
    ("PortError", "PORT_FAILED", None),
    ("Timeout", "TIMEOUT", TimeoutError),
    ("StoreError", "STORAGE", None),
    ("NotSupported", "NOT_SUPPORTED", NotImplementedError),
    ("InternalError", "INTERNAL", None),
]


def test_base_class() -> None:
    assert issubclass(EscalationError, Exception)
    assert EscalationError.__module__ == "escalation"
    assert EscalationError.is_retryable is False


@pytest.mark.parametrize(("name", "code", "builtin"), KINDS)
def test_one_subclass_per_kind(name: str, code: str, builtin: type | None) -> None:
    cls = getattr(escalation, name)
    assert cls is getattr(_native, name)
    assert issubclass(cls, EscalationError)
    assert cls.__module__ == "escalation" and cls.__qualname__ == name
    assert cls.kind == code
    assert cls.is_retryable is False
    assert cls.__doc__
    if builtin is not None:
        assert issubclass(cls, builtin)
    error = cls("something went wrong")
    assert str(error) == "something went wrong"
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == "something went wrong"


def test_every_exception_is_exported() -> None:
    names = {name for name, _, _ in KINDS} | {"EscalationError"}
    assert names <= set(escalation.__all__)
    assert set(_native.__all__) <= set(escalation.__all__)


def test_a_panic_surfaces_as_escalation_error() -> None:
    with pytest.raises(EscalationError) as caught:
        _native._panic_for_test()
    assert type(caught.value) is InternalError
    assert "panic in the Rust engine: injected panic" in str(caught.value)
    assert caught.value.kind == "INTERNAL" and caught.value.is_retryable is False


def test_a_panic_without_the_gil_surfaces_as_escalation_error() -> None:
    with pytest.raises(InternalError, match="injected panic \\(detached\\)"):
        _native._panic_for_test(detached=True)


def test_the_interpreter_keeps_working_after_panics_in_threads() -> None:
    caught: list[BaseException] = []

    def panic() -> None:
        try:
            _native._panic_for_test(detached=True)
        except BaseException as e:  # noqa: BLE001 - the test wants whatever arrives
            caught.append(e)

    threads = [threading.Thread(target=panic) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(caught) == 4 and all(isinstance(e, InternalError) for e in caught)


def test_a_panic_does_not_abort_the_process() -> None:
    """In a fresh interpreter: the panic is caught by ``except Exception`` and the process
    goes on to exit normally."""
    code = (
        "import escalation, escalation._native as n\n"
        "try:\n    n._panic_for_test()\n"
        "except Exception as e:\n    print(type(e).__name__)\n"
        "print('alive')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["InternalError", "alive"]
