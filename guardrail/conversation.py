"""What guardrail reads on every turn: the messages, the stable context and the behavioural signals.

Context is tier A (stable: who the customer is and what they bought); Signals are the behavioural
tier (what they did recently). Per DESIGN principle 5, context may change routing, priority and
language, never automation eligibility, tool permissions or access to a human: the registry loader
enforces that no permission-bearing segment reads context.

The models are the boundary: what they accept, the engine can compute with. Counts are bounded
integers, numbers are finite and in range, `at` lies in the supported years, and text is valid
Unicode (a lone surrogate is refused, not cleaned: cleaning could split a word the rules must
see). Anything else is a `UserError` naming the field, never an internal failure later on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError, field_validator

from guardrail._base import FrozenModel
from guardrail._yaml import describe
from guardrail.errors import UserError

__all__ = [
    "AT_RANGE",
    "MAX_COUNT",
    "Context",
    "Conversation",
    "Message",
    "Role",
    "Signals",
    "UserRole",
    "to_conversation",
]

Role = Literal["user", "assistant", "tool", "system"]
UserRole = Literal["admin", "end_user", "billing"]
# Identifiers an application may verify for the session (the gate's identity kinds but the id).
VerifiedKind = Literal["email", "phone", "account_number", "order_number"]
_MAX_IDENTITY_VALUES = 16
_MAX_IDENTITY_CHARS = 256

# The largest count a signal may carry. The windows are days wide; a count past this is a caller
# bug, and an unbounded one overflows the float arithmetic policy does (10**309 -> inf).
MAX_COUNT = 1_000_000
# The most minutes a duration signal may carry (about 190 years).
_MAX_MINUTES = 1e8
# When a conversation's latest message may have been sent (UTC, start inclusive, end exclusive).
# A window, not "now +- N": offline replays of old traffic must keep validating, and the history
# store's windows are subtracted from `at`, which must not leave the calendar (year 1 - 90 days).
AT_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


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
    ltv: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Lifetime value; routing only."
    )
    verified_identity: dict[VerifiedKind, list[str]] = Field(
        default_factory=dict,
        description=(
            "What the application verified about the session's customer besides customer_id"
            " (e-mails, phones, account and order numbers): the tool gate binds identity"
            " arguments to these values. Personal data: never copied into summaries or spans."
        ),
    )

    @field_validator("verified_identity")
    @classmethod
    def _bounded_identity(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, values in value.items():
            if len(values) > _MAX_IDENTITY_VALUES:
                raise ValueError(f"at most {_MAX_IDENTITY_VALUES} {kind} values")
            if any(not v or len(v) > _MAX_IDENTITY_CHARS for v in values):
                raise ValueError(f"each {kind} value must be 1 to {_MAX_IDENTITY_CHARS} characters")
        return value


class Signals(FrozenModel):
    """Behavioural signals (tier B inputs). Counts in 0..MAX_COUNT, numbers finite; no unknowns."""

    reopened_tickets_7d: int = Field(default=0, ge=0, le=MAX_COUNT)
    same_intent_contacts_7d: int = Field(
        default=0, ge=0, le=MAX_COUNT,
        description="Earlier contacts about the same need in the last 7 days.",
    )
    articles_viewed_15m: int = Field(default=0, ge=0, le=MAX_COUNT)
    minutes_since_article: float | None = Field(
        default=None, ge=0, le=_MAX_MINUTES, allow_inf_nan=False
    )
    last_ces: float | None = Field(
        default=None, ge=1, le=7, allow_inf_nan=False, description="Customer effort, 1-7."
    )
    last_csat: float | None = Field(
        default=None, ge=1, le=5, allow_inf_nan=False, description="Satisfaction, 1-5."
    )
    prior_escalations: int = Field(default=0, ge=0, le=MAX_COUNT)
    failed_guided_attempts: int = Field(default=0, ge=0, le=MAX_COUNT)
    verification_failures: int = Field(default=0, ge=0, le=MAX_COUNT)


# The signals of a conversation that gives none: one instance for all. Every field is an
# immutable number and the model is frozen, so sharing it cannot leak between conversations;
# validating a conversation no longer builds and validates a fresh default each time.
_NO_SIGNALS = Signals()


class Conversation(FrozenModel):
    """A conversation as the chatbot holds it. `id` lets the engine scan only new messages.

    `at` is when the latest message was sent (timezone required, kept as given: its local date
    is the customer's "today"); the history windows and the date are taken from it, so offline
    replays reproduce them. It must fall in `AT_RANGE` (2000-01-01 to 2100-01-01 UTC).
    Default: now.
    """

    id: str | None = Field(default=None, max_length=256)
    at: AwareDatetime | None = None
    messages: list[Message] = Field(min_length=1)
    context: Context = Field(default_factory=Context)
    signals: Signals = Field(default_factory=lambda: _NO_SIGNALS)

    @field_validator("at")
    @classmethod
    def _at_in_range(cls, at: datetime | None) -> datetime | None:
        if at is not None and not AT_RANGE[0] <= at < AT_RANGE[1]:
            start, end = (bound.date().isoformat() for bound in AT_RANGE)
            raise ValueError(
                f"{at.isoformat()} is outside the supported range {start} to {end} (UTC); pass"
                " when the latest message was sent, with its timezone"
            )
        return at


def to_conversation(value: Conversation | Mapping[str, Any]) -> Conversation:
    """`value` as a `Conversation` (a mapping is validated; a Conversation is returned as is).

    Raises:
        UserError: `value` is not a valid conversation; the message says where.
    """
    if isinstance(value, Conversation):
        return value
    if type(value) is not dict and not isinstance(value, Mapping):  # a dict skips the ABC
        raise UserError(f"expected a Conversation or a mapping, got {type(value).__name__}")
    try:
        return Conversation.model_validate(value)
    except ValidationError as exc:
        raise UserError(describe(exc, "conversation")) from None
