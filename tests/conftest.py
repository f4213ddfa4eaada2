"""Shared fixtures: the shipped registry, the `guard` family and conversation builders.

A `Guardrail` on a loaded registry is built in microseconds, so each test gets a fresh one
(`guard`: the default need model; `rules_guard`: the rules alone) and shares no conversation
state; only `stateless_guard`, for the many parametrised checks without an id, is shared, and
fails any test that leaves state in it.
"""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail, Registry
from guardrail._resources import default_registry_dir
from guardrail.history import HistoryStore
from tests._servers.stores import BACKENDS, StoreFactory, store_factory

ConversationFactory = Callable[..., dict[str, Any]]

# The date `stateless_guard` believes it is, so renewal windows do not drift with the calendar.
TODAY = date(2026, 6, 1)


def registry_with_settings(folder: Path, old: str, new: str) -> Registry:
    """The shipped registry copied to `folder` with `old` replaced by `new` in its settings
    file (the replacement must happen)."""
    shutil.copytree(default_registry_dir(), folder)
    settings = folder / "10-settings.yaml"
    text = settings.read_text("utf-8")
    assert old in text, f"{old!r} is not in the shipped settings"
    settings.write_text(text.replace(old, new), "utf-8")
    return Registry.load(folder)


def make_conversation(
    *messages: str | Mapping[str, str],
    id: str | None = None,
    signals: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A conversation dict as a chatbot would pass it to `Guardrail.check`.

    Plain strings are user messages; a mapping is taken as a whole message
    (``{"role": "tool", "content": ...}``) so tests can mix in assistant and tool turns.
    """
    conversation: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": m} if isinstance(m, str) else dict(m) for m in messages
        ]
    }
    if id is not None:
        conversation["id"] = id
    if signals is not None:
        conversation["signals"] = dict(signals)
    if context is not None:
        conversation["context"] = dict(context)
    return conversation


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The registry shipped in segments/, loaded once for the whole run."""
    return Registry.default()


@pytest.fixture
def guard(registry: Registry) -> Guardrail:
    """A fresh Guardrail (no per-conversation state carried between tests)."""
    return Guardrail(registry)


@pytest.fixture
def rules_guard(registry: Registry) -> Guardrail:
    """A fresh Guardrail on the rules alone (no need model), so need-states do not hinge on the
    learned model."""
    return Guardrail(registry, need_model=None)


@pytest.fixture(scope="session")
def _session_guard(registry: Registry) -> Guardrail:
    return Guardrail(registry, clock=lambda: TODAY)


@pytest.fixture
def stateless_guard(_session_guard: Guardrail) -> Iterator[Guardrail]:
    """One shared Guardrail (clock fixed at TODAY) for conversations *without* an id.

    Building a Guardrail indexes every rule, so the many parametrised checks that keep no
    per-conversation state share one. A test that leaves state behind fails at teardown.
    """
    yield _session_guard
    leaked = list(_session_guard._states)
    _session_guard._states.clear()
    assert not leaked, f"stateless_guard kept state for {leaked}; use the `guard` fixture"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each history-store backend in turn: memory, a real SQLite file, a real Redis."""
    return str(request.param)


@pytest.fixture
def prefix() -> str:
    """A Redis key prefix of this test's own."""
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture
def make_store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, prefix: str
) -> Iterator[StoreFactory]:
    """Makes stores of `backend` (all on one file / key prefix within a test; Redis from the
    test module's ``redis_url`` fixture), closed after."""
    with store_factory(backend, request, tmp_path, prefix) as make:
        yield make


@pytest.fixture
def store(make_store: StoreFactory) -> HistoryStore:
    """One store of `backend`."""
    return make_store()


@pytest.fixture
def conversation() -> ConversationFactory:
    """`make_conversation`, as a fixture."""
    return make_conversation


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """DESIGN principle 7: no network on the default path. Any connection beyond this machine
    fails the test; loopback stays open for the local servers tests start themselves."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create = socket.create_connection

    def _host(address: object) -> object:
        return address[0] if isinstance(address, tuple) else address

    def connect(self: socket.socket, address: Any) -> None:
        if _host(address) not in _LOOPBACK:
            raise AssertionError(f"a test tried to open a network connection: {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if _host(address) not in _LOOPBACK:
            raise AssertionError(f"a test tried to open a network connection: {address!r}")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if _host(address) not in _LOOPBACK:
            raise AssertionError(f"a test tried to open a network connection: {address!r}")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
