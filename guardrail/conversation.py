"""What guardrail reads on every turn: the messages, the stable context and the behavioural signals.

Context is tier A (stable: who the customer is and what they bought); Signals are the behavioural
tier (what they did recently). Per DESIGN principle 5, context may change routing, priority and
language, never automation eligibility, tool permissions or access to a human: the registry loader
enforces that no permission-bearing segment reads context.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError

from guardrail._base import FrozenModel
from guardrail._yaml import describe
from guardrail.errors import UserError

__all__ = ["Context", "Conversation", "Message", "Role", "Signals", "UserRole", "to_conversation"]

Role = Literal["user", "assistant", "tool", "system"]
UserRole = Literal["admin", "end_user", "billing"]


class Message(FrozenModel):
    """One message of the conversation."""

    role: Role
    content: str = Field(max_length=4_000_000)


class Context(FrozenModel):
    """Stable context (tier A). Never changes what the AI may do, only routing and tone."""

    customer_id: str | None = Field(default=None, max_length=256)
    plan: str | None = Field(default=None, max_length=64)
    entitlements: list[str] = Field(default_factory=list, max_length=64)
    sla: str | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=35)
    channel: str | None = Field(default=None, max_length=64)
    tech_stack: list[str] = Field(default_factory=list, max_length=64)
    role: UserRole | None = None
    renewal_date: date | None = None
    preferences: list[str] = Field(
        default_factory=list,
        max_length=16,
        description='Explicit customer preferences, e.g. "keep it short".',
    )
    ltv: float | None = Field(default=None, ge=0, description="Lifetime value; routing only.")


class Signals(FrozenModel):
    """Behavioural signals (tier B inputs). Counts are non-negative; unknown fields are errors."""

    reopened_tickets_7d: int = Field(default=0, ge=0)
    same_intent_contacts_7d: int = Field(
        default=0, ge=0, description="Earlier contacts about the same need in the last 7 days."
    )
    articles_viewed_15m: int = Field(default=0, ge=0)
    minutes_since_article: float | None = Field(default=None, ge=0)
    last_ces: float | None = Field(default=None, ge=1, le=7, description="Customer effort, 1-7.")
    last_csat: float | None = Field(default=None, ge=1, le=5, description="Satisfaction, 1-5.")
    prior_escalations: int = Field(default=0, ge=0)
    failed_guided_attempts: int = Field(default=0, ge=0)
    verification_failures: int = Field(default=0, ge=0)


class Conversation(FrozenModel):
    """A conversation as the chatbot holds it. `id` lets the engine scan only new messages.

    `at` is when the latest message was sent (timezone required); the history windows and the
    date are taken from it, so offline replays reproduce them. Default: now.
    """

    id: str | None = Field(default=None, max_length=256)
    at: AwareDatetime | None = None
    messages: list[Message] = Field(min_length=1)
    context: Context = Field(default_factory=Context)
    signals: Signals = Field(default_factory=Signals)


def to_conversation(value: Conversation | Mapping[str, Any]) -> Conversation:
    """`value` as a `Conversation` (a mapping is validated; a Conversation is returned as is).

    Raises:
        UserError: `value` is not a valid conversation; the message says where.
    """
    if isinstance(value, Conversation):
        return value
    if not isinstance(value, Mapping):
        raise UserError(f"expected a Conversation or a mapping, got {type(value).__name__}")
    try:
        return Conversation.model_validate(value)
    except ValidationError as exc:
        raise UserError(describe(exc, "conversation")) from None
