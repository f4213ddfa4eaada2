"""The adapters' fast builders and kept histories give exactly what the ordinary paths give.

`built_message` / `built_conversation` must make the objects `model_construct` makes, and
`to_conversation`'s kept histories (a conversation sent again validates only its new messages)
the conversation a first-time validation makes, with the same errors, on real labelled text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guardrail import UserError
from guardrail.adapters import _chat_format
from guardrail.adapters._build import built_conversation, built_message
from guardrail.adapters._chat_format import to_conversation
from guardrail.conversation import Context, Conversation, Message, Signals

ROOT = Path(__file__).resolve().parents[2]


def _cases(limit: int = 150) -> list[dict[str, Any]]:
    lines = (ROOT / "evals" / "dev" / "dev.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[:limit]]


def _state(model: Any) -> tuple[Any, ...]:
    """Everything a pydantic instance holds, the order of its fields included."""
    return (type(model), list(model.__dict__.items()), model.model_fields_set,
            model.__pydantic_extra__, model.__pydantic_private__)


def test_built_models_are_what_model_construct_builds() -> None:
    context, signals = Context(customer_id="cus_1"), Signals(reopened_tickets_7d=2)
    for case in _cases():
        pairs = [(m["role"], m["content"]) for m in case["messages"]]
        built = [built_message(role, text) for role, text in pairs]
        constructed = [Message.model_construct(role=role, content=text) for role, text in pairs]
        assert [_state(m) for m in built] == [_state(m) for m in constructed]
        conv = built_conversation(case["id"], built, context, signals)
        reference = Conversation.model_construct(id=case["id"], messages=constructed,
                                                 context=context, signals=signals)
        assert _state(conv) == _state(reference)
        assert conv == reference
        assert conv == Conversation.model_validate(reference.model_dump())
    one, other = built_message("user", "a"), built_message("user", "a")
    assert one.model_fields_set is not other.model_fields_set  # not one shared set


def _fresh(messages: list[Any], conversation_id: str | None) -> Conversation | str:
    """What `to_conversation` makes with no history kept (or the error it raises)."""
    _chat_format._HISTORIES._kept.clear()
    return _outcome(messages, conversation_id)


def _outcome(messages: list[Any], conversation_id: str | None) -> Conversation | str:
    try:
        return to_conversation(messages, {"customer_id": "cus_1"}, None, conversation_id)
    except UserError as exc:
        return f"UserError: {exc}"


def test_kept_histories_give_what_a_first_validation_gives() -> None:
    """Each real conversation sent turn by turn under one id (the history grows), then with
    an earlier message edited, a message too long, an id too long: every outcome is what the
    same input gives with nothing kept."""
    for case in _cases():
        messages = [{"role": "system", "content": "Be brief."}, *case["messages"]]
        steps: list[tuple[list[Any], str]] = [
            (messages[:n], case["id"]) for n in range(2, len(messages) + 1)]
        edited = [*messages[:1], {**messages[1], "content": messages[1]["content"] + "!"},
                  *messages[2:]]
        too_long = [*messages, {"role": "user", "content": "x" * 4_000_001}]
        steps += [(edited, case["id"]), (too_long, case["id"]), (messages, case["id"]),
                  (messages, "i" * 300)]
        _chat_format._HISTORIES._kept.clear()
        seen = [_outcome(list(m), cid) for m, cid in steps]
        expected = [_fresh(list(m), cid) for m, cid in steps]
        assert seen == expected
        assert isinstance(seen[-2], Conversation)
        assert isinstance(seen[-3], str)  # the message too long
        assert isinstance(seen[-1], str)  # the id too long


def test_a_kept_history_is_not_shared_with_the_conversation() -> None:
    case = _cases(1)[0]
    _chat_format._HISTORIES._kept.clear()
    first = to_conversation(case["messages"][:1], None, None, "shared")
    second = to_conversation(case["messages"], None, None, "shared")
    assert first.messages == [Message(**case["messages"][0])]
    assert second.messages == [Message(**m) for m in case["messages"]]
    assert _chat_format._HISTORIES._kept["shared"][1] is not second.messages


@pytest.mark.parametrize("conversation_id", [None, "no-history"])
def test_a_bad_message_raises_the_same_error(conversation_id: str | None) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "tool", "content": "x" * 4_000_001}]
    first = _outcome(messages[:1], conversation_id)
    assert isinstance(first, Conversation)
    with pytest.raises(UserError) as raised:
        to_conversation(messages, None, None, conversation_id)
    _chat_format._HISTORIES._kept.clear()
    with pytest.raises(UserError) as fresh:
        to_conversation(messages, None, None, conversation_id)
    assert str(raised.value) == str(fresh.value)
