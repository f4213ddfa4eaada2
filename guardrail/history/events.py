"""What the history store keeps: one `HistoryEvent` per thing a customer did, and nothing more.

DESIGN principle 8 (purpose-bound data): friction needs to know that a customer came back, what
they needed and how it ended, never what they wrote. So an event holds the customer's key, the
need-state, the event kind, an outcome and a time. There is no free-text field to fill, and
``extra="forbid"`` refuses one smuggled in under another name.

A ``risk`` event is the conversation's risk memory (principle 9): a critical finding (its rule
id and reason code, never the words that matched) kept under the conversation id, ``open``
until the application or an agent verifies or resolves it (then ``resolved``), so that trimmed
history or a restarted process does not forget a takeover reported earlier. It is deleted with
the customer and expires with the retention like every other event.

Customer ids can be pseudonymised before they reach a store: `customer_key` turns an id into a
salted SHA-256 key, so the store (and anyone who reads it) holds no directly identifying id.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import ClassVar, Literal

from pydantic import (
    AwareDatetime,
    Field,
    field_validator,
    model_validator,
)

from guardrail._base import CheckedModel
from guardrail.errors import UserError

__all__ = ["EventKind", "EventOutcome", "HistoryEvent", "customer_key"]

EventKind = Literal["contact", "reopen", "article_view", "guided_attempt", "escalation", "risk"]
EventOutcome = Literal["open", "resolved", "handed_off", "abandoned", "success", "failure"]

_MAX_ID = 256


def _new_event_id() -> str:
    return uuid.uuid4().hex


class HistoryEvent(CheckedModel):
    """One event in a customer's support history.

    Building one from bad input raises `UserError` naming the fields at fault (a naive
    datetime, an unknown kind, a field the model does not have).

    Attributes:
        kind: what happened.
        customer: the customer's key as stored; `customer_key` when ids are pseudonymised.
        at: when it happened; timezone-aware, normalised to UTC.
        need_state: the need-state the turn was classified as (a registry id).
        outcome: how it ended, when known.
        conversation_id: the conversation it belongs to.
        event_id: unique per customer; recording an event with an existing (customer,
            event_id) replaces it. A ``contact`` passes its conversation id, so recording the
            contact again as it progresses updates one event instead of adding another.
        code: for a ``risk`` event, the reason code of the remembered finding.
        rule_id: for a ``risk`` event, the id of the rule that found it.
    """

    what: ClassVar[str] = "history event"

    kind: EventKind
    customer: str = Field(min_length=1, max_length=_MAX_ID)
    at: AwareDatetime
    need_state: str | None = Field(default=None, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    outcome: EventOutcome | None = None
    conversation_id: str | None = Field(default=None, max_length=_MAX_ID)
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=_MAX_ID)
    code: str | None = Field(
        default=None, max_length=128, pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
    )
    rule_id: str | None = Field(default=None, max_length=128, pattern=r"^[a-z][a-z0-9_.-]*$")

    @model_validator(mode="after")
    def _risk_fields(self) -> HistoryEvent:
        # A risk event names what was found and whether it still stands; no other kind does.
        if self.kind == "risk":
            if self.code is None or self.rule_id is None or self.conversation_id is None:
                raise ValueError("a risk event needs code, rule_id and conversation_id")
            if self.outcome not in ("open", "resolved"):
                raise ValueError("a risk event's outcome is open or resolved")
        elif self.code is not None or self.rule_id is not None:
            raise ValueError("code and rule_id belong to risk events only")
        return self


    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


def customer_key(customer_id: str, salt: str | None) -> str:
    """The key a store keeps for `customer_id`.

    With a salt, the first 32 hex digits of ``sha256(salt + "\\0" + customer_id)``: stable for
    one salt, different under another, and not reversible without the salt. Keep the salt
    secret and stable (rotating it orphans every stored history). Without a salt, the id itself.

    Args:
        customer_id: the id the help desk knows the customer by (1 to 256 characters).
        salt: a deployment secret, or None to store ids as given.

    Raises:
        UserError: the id is empty or too long, or the salt is the empty string (an unset
            setting, most likely; pass None to store ids unhashed).
    """
    if not customer_id or len(customer_id) > _MAX_ID:
        raise UserError(f"a customer id must be 1 to {_MAX_ID} characters")
    if salt is None:
        return customer_id
    if not salt:
        raise UserError("the customer key salt is empty; pass None to store ids unhashed")
    digest = hashlib.sha256(f"{salt}\0{customer_id}".encode()).hexdigest()
    return digest[:32]
