"""The per-turn glue of issue 19: a conversation payload validated with a shared default.

A conversation that gives no signals gets one shared `Signals` instance instead of a fresh one
per validation; these pin that it is what a fresh default gives, on real labelled payloads, and
that the sharing stays safe (the default holds immutable values only) and validation stays.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from guardrail.conversation import Conversation, Signals, to_conversation
from guardrail.errors import UserError

_EVALS = Path(__file__).resolve().parents[2] / "evals"
_SETS = ("dev/dev.jsonl", "dev2/dev2.jsonl", "dev3/dev3.jsonl", "dev4/dev4.jsonl")


def _payloads(per_set: int = 150) -> list[dict[str, Any]]:
    """Conversation payloads (messages, and context / signals / at where a case has them)
    from the labelled dev sets, as a caller would pass them."""
    out: list[dict[str, Any]] = []
    for name in _SETS:
        path = _EVALS / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for raw in itertools.islice(lines, per_set):
                case = json.loads(raw)
                out.append({k: case[k] for k in ("messages", "context", "signals", "at")
                            if case.get(k) is not None})
    return out


PAYLOADS = _payloads()


def test_there_are_payloads() -> None:
    assert len(PAYLOADS) > 100
    assert any("signals" not in p for p in PAYLOADS)


def test_a_payload_validates_as_with_a_fresh_default() -> None:
    for payload in PAYLOADS:
        conv = to_conversation(payload)
        fresh = Conversation.model_validate(
            {**payload, "signals": payload.get("signals", Signals())})
        assert conv.signals == fresh.signals
        assert conv.model_dump() == fresh.model_dump()
        assert ("signals" in conv.model_fields_set) == ("signals" in payload)


def test_given_signals_are_the_ones_given() -> None:
    for payload in PAYLOADS[:50]:
        given = {**payload, "signals": {"reopened_tickets_7d": 2, "last_ces": 6.5}}
        conv = to_conversation(given)
        assert conv.signals == Signals(reopened_tickets_7d=2, last_ces=6.5)
        assert conv.signals != to_conversation(payload).signals
        assert "signals" in conv.model_fields_set


def test_the_shared_default_holds_only_immutable_values() -> None:
    # Sharing one instance is safe only while no field can be mutated in place.
    default = to_conversation({"messages": [{"role": "user", "content": "hi"}]}).signals
    assert default == Signals()
    hash(default)  # frozen with hashable (immutable) values only, else TypeError
    assert all(isinstance(v, int | float | type(None)) for v in default.model_dump().values())


def test_a_mapping_that_is_not_a_dict_is_still_validated() -> None:
    payload = MappingProxyType({"messages": [{"role": "user", "content": "I was charged twice"}]})
    assert to_conversation(payload) == to_conversation(dict(payload))
    with pytest.raises(UserError):
        to_conversation(MappingProxyType({"messages": []}))


@pytest.mark.parametrize("bad", [
    {"messages": [{"role": "user", "content": "x"}], "signals": {"reopened_tickets_7d": -1}},
    {"messages": [{"role": "user", "content": "x"}], "signals": {"unknown": 1}},
    {"messages": [{"role": "robot", "content": "x"}]},
    ["not", "a", "mapping"],
])
def test_bad_input_still_raises_user_error(bad: Any) -> None:
    with pytest.raises(UserError):
        to_conversation(bad)
