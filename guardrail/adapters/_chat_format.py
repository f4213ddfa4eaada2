"""Reading and writing the Chat Completions format: messages in, a guardrail conversation out.

Pure functions over plain mappings (the `openai` package is not needed here): the caller's
message list checked and converted, the decision's directives merged into the operator message,
tool specs and `tool_choice` narrowed to what the decision allows, and earlier tool calls listed
for the handoff summary. Every problem with the caller's input is a `UserError` naming where.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from guardrail._yaml import describe
from guardrail.conversation import Context, Conversation, Message, Role, Signals
from guardrail.errors import UserError
from guardrail.redact import redact

__all__ = [
    "OPERATOR_ROLES",
    "SCANNED_ROLES",
    "as_mapping",
    "call_parts",
    "content_text",
    "function_name",
    "history_tool_calls",
    "kind",
    "narrow_tool_choice",
    "to_conversation",
    "validated",
    "with_directives",
]

# Operator messages set the assistant up; they are not the customer's turn, so not scanned.
OPERATOR_ROLES = frozenset({"system", "developer"})
# "function" is the legacy name of a tool result.
SCANNED_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}
_TEXT_PARTS = frozenset({"text", "refusal"})

def kind(value: object) -> str:
    return type(value).__name__


def as_mapping(message: object, index: int) -> Mapping[str, Any]:
    """A message as a mapping; SDK objects (a returned `ChatCompletionMessage`) are dumped."""
    if isinstance(message, Mapping):
        return message
    if isinstance(message, BaseModel):
        return message.model_dump(mode="json", exclude_none=True)
    raise UserError(f"messages[{index}]: expected a message dict, got {kind(message)}")


def content_text(content: object, index: int, *, optional: bool) -> str:
    """The text of a message content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if content is None and optional:
        return ""
    if isinstance(content, list):
        texts = []
        for number, part in enumerate(content):
            if not isinstance(part, Mapping):
                raise UserError(
                    f"messages[{index}].content[{number}]: expected a content part dict, "
                    f"got {kind(part)}"
                )
            if part.get("type") in _TEXT_PARTS:
                value = part.get(part["type"])
                if not isinstance(value, str):
                    raise UserError(
                        f"messages[{index}].content[{number}]: {part['type']!r} must be a string"
                    )
                texts.append(value)
        return "\n".join(texts)
    raise UserError(
        f"messages[{index}].content: expected a string or a list of parts, got {kind(content)}"
    )


def validated(model: type[Context] | type[Signals], value: object, name: str) -> Any:
    if value is None or isinstance(value, model):
        return value if value is not None else model()
    if not isinstance(value, Mapping):
        raise UserError(f"{name} must be a {model.__name__} or a mapping, got {kind(value)}")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise UserError(describe(exc, name)) from None


def to_conversation(
    messages: Sequence[object],
    context: Context | Mapping[str, Any] | None,
    signals: Signals | Mapping[str, Any] | None,
    conversation_id: str | None,
) -> Conversation:
    """The guardrail conversation for an OpenAI message list (operator messages left out)."""
    if conversation_id is not None and not isinstance(conversation_id, str):
        raise UserError(f"conversation_id must be a string, got {kind(conversation_id)}")
    converted = []
    for index, raw in enumerate(messages):
        message = as_mapping(raw, index)
        role = message.get("role")
        if role in OPERATOR_ROLES:
            content_text(message.get("content"), index, optional=False)
            continue
        if not isinstance(role, str) or role not in SCANNED_ROLES:
            raise UserError(f"messages[{index}]: unknown role {role!r}")
        text = content_text(message.get("content"), index, optional=role == "assistant")
        converted.append({"role": SCANNED_ROLES[role], "content": text})
    if not converted:
        raise UserError("messages has no user, assistant or tool message to check")
    context_model = validated(Context, context, "context")
    signals_model = validated(Signals, signals, "signals")
    known = _HISTORIES.messages(conversation_id, converted)
    try:
        conversation = Conversation.model_validate(
            {
                "id": conversation_id,
                "messages": known if known is not None else converted,
                "context": context_model,
                "signals": signals_model,
            }
        )
    except ValidationError as exc:
        raise UserError(describe(exc, "conversation")) from None
    if known is None:
        _HISTORIES.keep(conversation_id, converted, conversation.messages)
    return conversation


class _Histories:
    """The validated messages of recent conversations, so a conversation sent again with one
    more turn validates only its new messages (the caller resends the whole history on every
    call: validating all of it again grew with the conversation, ~1 us a message).

    Keyed by conversation id (no id, nothing kept); bounded, least recently used dropped. A
    `Message` is immutable and a pure function of (role, text), so one validated earlier is
    the one validating again would make; a new message that does not validate on its own
    sends the whole conversation down the ordinary path, which raises the very same error.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._kept: OrderedDict[str, tuple[list[tuple[str, str]], list[Message]]] = OrderedDict()
        self._lock = threading.Lock()

    def messages(self, conversation_id: str | None,
                 converted: list[dict[str, str]]) -> list[Message] | None:
        """The `Message`s for `converted`, the known prefix reused; None when there is no
        kept history to build on, or a new message is invalid."""
        if conversation_id is None:
            return None
        with self._lock:
            kept = self._kept.get(conversation_id)
        if kept is None:
            return None
        pairs, known = kept
        n = len(pairs)
        if n > len(converted) or any(
            (m["role"], m["content"]) != pair for m, pair in zip(converted, pairs, strict=False)
        ):
            return None
        out = list(known)
        try:
            out.extend(Message.model_validate(m) for m in converted[n:])
        except ValidationError:
            return None
        self._store(conversation_id, [*pairs, *((m["role"], m["content"]) for m in converted[n:])],
                    out)
        return out

    def keep(self, conversation_id: str | None, converted: list[dict[str, str]],
             messages: list[Message]) -> None:
        """Remember the messages validated for `converted`."""
        if conversation_id is not None:
            self._store(conversation_id, [(m["role"], m["content"]) for m in converted],
                        list(messages))

    def _store(self, conversation_id: str, pairs: list[tuple[str, str]],
               messages: list[Message]) -> None:
        with self._lock:
            self._kept[conversation_id] = (pairs, messages)
            self._kept.move_to_end(conversation_id)
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)


_HISTORIES = _Histories(limit=1_024)


def with_directives(messages: list[Any], text: str) -> list[Any]:
    """A copy of `messages` with `text` added to the first operator message, or in a new one."""
    out = list(messages)
    if not text:
        return out
    for index, raw in enumerate(out):
        message = as_mapping(raw, index)
        if message.get("role") not in OPERATOR_ROLES:
            continue
        content = message.get("content")
        if isinstance(content, list):
            merged: object = [*content, {"type": "text", "text": text}]
        else:
            merged = f"{content}\n\n{text}" if content else text
        out[index] = {**message, "content": merged}
        return out
    return [{"role": "system", "content": text}, *out]


def function_name(tool: Mapping[str, Any]) -> str | None:
    """The name of a function tool spec; None for every other kind of tool."""
    if tool.get("type") != "function":
        return None
    function = tool.get("function")
    if isinstance(function, Mapping) and isinstance(function.get("name"), str):
        return cast(str, function["name"])
    return None


def narrow_tool_choice(choice: object, offered: set[str | None]) -> object | None:
    """`tool_choice` narrowed to the offered tools; None when it names none of them."""
    if choice is None or isinstance(choice, str):
        return choice
    if not isinstance(choice, Mapping):
        return None
    if choice.get("type") == "function":
        return choice if function_name(choice) in offered else None
    if choice.get("type") == "allowed_tools":
        inner = choice.get("allowed_tools")
        if not isinstance(inner, Mapping) or not isinstance(inner.get("tools"), list):
            return None
        kept = [
            t for t in inner["tools"] if isinstance(t, Mapping) and function_name(t) in offered
        ]
        if not kept:
            return None
        return {**choice, "allowed_tools": {**inner, "tools": kept}}
    return None  # a custom-tool choice: custom tools are never sent


def call_parts(call: Any) -> tuple[str, Any]:
    """The tool name and raw arguments of a returned tool call (function or custom)."""
    kind = getattr(call, "type", None)
    if kind == "function":
        return str(call.function.name), call.function.arguments
    if kind == "custom":
        return str(call.custom.name), call.custom.input
    return "", None


def history_tool_calls(messages: Sequence[object]) -> list[dict[str, Any]]:
    """What the assistant asked to do earlier in the conversation, for the handoff summary.

    The verdicts of earlier turns are not in the history, so each is recorded as requested.
    """
    records = []
    for index, raw in enumerate(messages):
        message = as_mapping(raw, index)
        calls = message.get("tool_calls") if message.get("role") == "assistant" else None
        for call in calls if isinstance(calls, list) else ():
            if not isinstance(call, Mapping):
                continue
            function = call.get("function")
            if not isinstance(function, Mapping):
                continue
            arguments = function.get("arguments")
            records.append(
                {
                    "tool": str(function.get("name", "")),
                    "action": "requested",
                    "reason_codes": [],
                    "tool_call_id": str(call.get("id", "")),
                    "args": redact(arguments if isinstance(arguments, str) else "", 80),
                }
            )
    return records
