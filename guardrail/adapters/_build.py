"""Guardrail's `Message` and `Conversation` built from values an adapter already holds.

`BaseModel.model_construct` skips validation but is slower than validating (it walks every
field for aliases and defaults): about 3.7 us for a two-field `Message` against 1 us validated,
and 6.5 us for a `Conversation`. An adapter that converts a framework's messages on every model
and tool call pays that per call, so these build the very objects `model_construct` builds (the
same ``__dict__``, in field order, the same fields set, no extra, no private state; pinned by
``tests/adapters/test_build.py``) in under a microsecond. Use them only for values that are
already what the model holds: a role from guardrail's own vocabulary, text the adapter made.
"""

from __future__ import annotations

from guardrail.conversation import Context, Conversation, Message, Role, Signals

__all__ = ["built_conversation", "built_message"]

_set = object.__setattr__
_MESSAGE_FIELDS = ("role", "content")
_CONVERSATION_FIELDS = ("id", "messages", "context", "signals")


def built_message(role: Role, content: str) -> Message:
    """What ``Message.model_construct(role=role, content=content)`` builds."""
    message = Message.__new__(Message)
    _set(message, "__dict__", {"role": role, "content": content})
    _set(message, "__pydantic_fields_set__", set(_MESSAGE_FIELDS))
    _set(message, "__pydantic_extra__", None)
    _set(message, "__pydantic_private__", None)
    return message


def built_conversation(conversation_id: str | None, messages: list[Message], context: Context,
                       signals: Signals) -> Conversation:
    """What ``Conversation.model_construct(id=..., messages=..., context=..., signals=...)``
    builds (``at`` left at its default, None)."""
    conversation = Conversation.__new__(Conversation)
    _set(conversation, "__dict__", {"id": conversation_id, "at": None, "messages": messages,
                                    "context": context, "signals": signals})
    _set(conversation, "__pydantic_fields_set__", set(_CONVERSATION_FIELDS))
    _set(conversation, "__pydantic_extra__", None)
    _set(conversation, "__pydantic_private__", None)
    return conversation
