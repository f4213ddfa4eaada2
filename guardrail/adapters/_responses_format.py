"""Reading the Responses API format: input items in, the conversation the guardrail reads out.

Pure functions over plain mappings, as `guardrail.adapters._chat_format` is for Chat Completions:
the input items read as Chat Completions messages (so the same conversation builder, screening
and handoff summary serve both APIs), function tools named, and ``tool_choice`` narrowed to the
tools the decision allows. Every problem with the caller's input is a `UserError` naming where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import BaseModel

from guardrail.adapters._chat_format import kind
from guardrail.errors import UserError

__all__ = ["as_item", "chat_view", "function_name", "narrow_tool_choice"]

# Input items that carry nothing the guardrail reads (the model's own reasoning).
_SKIPPED_ITEMS = frozenset({"reasoning"})
# Content part types that carry text, and the Chat Completions part each becomes.
_TEXT_PARTS = {"input_text": "text", "output_text": "text", "text": "text", "refusal": "refusal"}


def as_item(raw: object, index: int) -> Mapping[str, Any]:
    """An input item as a mapping; SDK objects (an earlier response's output) are dumped."""
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, BaseModel):  # an output item of an earlier response
        return raw.model_dump(mode="json", exclude_none=True, by_alias=True)
    raise UserError(f"input[{index}]: expected an input item dict, got {kind(raw)}")


def _parts(content: object, index: int) -> object:
    """A Responses content (a string or parts) as Chat Completions content."""
    if not isinstance(content, list):
        return content
    parts: list[object] = []
    for number, part in enumerate(content):
        if not isinstance(part, Mapping):
            raise UserError(f"input[{index}].content[{number}]: expected a content part dict, "
                            f"got {kind(part)}")
        target = _TEXT_PARTS.get(str(part.get("type")))
        if target is not None:
            parts.append({"type": target, target: part.get(target)})
    return parts


def _output_text(output: object, index: int) -> str:
    if isinstance(output, str):
        return output
    parts = _parts(output, index)
    if not isinstance(parts, list):
        raise UserError(f"input[{index}].output: expected a string or a list of parts, "
                        f"got {kind(output)}")
    return "\n".join(str(p.get("text", "")) for p in parts if isinstance(p, Mapping))


def chat_view(items: Sequence[object]) -> list[dict[str, Any]]:
    """The input items as Chat Completions messages: what the guardrail reads of them."""
    messages: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        item = as_item(raw, index)
        item_type = item.get("type", "message" if "role" in item else None)
        if item_type == "message":
            messages.append({"role": item.get("role"),
                             "content": _parts(item.get("content"), index)})
        elif item_type == "function_call":
            call = {"id": str(item.get("call_id", "")), "type": "function",
                    "function": {"name": str(item.get("name", "")),
                                 "arguments": item.get("arguments", "")}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif item_type == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": str(item.get("call_id", "")),
                             "content": _output_text(item.get("output"), index)})
        elif item_type in _SKIPPED_ITEMS:
            continue
        elif item_type == "item_reference":
            raise UserError(f"input[{index}]: item_reference hides the item from the guardrail;"
                            " send the item itself")
        else:
            raise UserError(f"input[{index}]: {item_type!r} items are not gated; only messages,"
                            " function_call and function_call_output items are")
    return messages


def function_name(tool: Mapping[str, Any]) -> str | None:
    """The name of a Responses function tool; None for every other kind of tool."""
    if tool.get("type") == "function" and isinstance(tool.get("name"), str):
        return cast(str, tool["name"])
    return None


def narrow_tool_choice(choice: object, offered: set[str | None]) -> object | None:
    """`tool_choice` narrowed to the offered function tools; None when it names none of them."""
    if choice is None or isinstance(choice, str):
        return choice
    if not isinstance(choice, Mapping):
        return None
    if choice.get("type") == "function":
        return choice if choice.get("name") in offered else None
    if choice.get("type") == "allowed_tools" and isinstance(choice.get("tools"), list):
        kept = [t for t in choice["tools"]
                if isinstance(t, Mapping) and function_name(t) in offered]
        return {**choice, "tools": kept} if kept else None
    return None  # a hosted or custom tool: those are never sent
