"""What the help desk learns after a conversation: one `Outcome` per fact, and no text.

A decision says what the guardrail did; an outcome says how it turned out (resolved on first
contact, reopened, handed off and when a human first answered, a CSAT score, an incident). The
governance report joins the two by ``conversation_id``: the audit log gives the need-state,
segments and handoff of every turn, the outcomes give what happened afterwards, so rates per
period, segment, need or arm are computed from these two records alone.

DESIGN principle 8 (purpose-bound data): an outcome holds identifiers, labels, numbers and
times. ``category`` is a label (letters, digits, ``_-.:``, no spaces), so no message text fits
in it, and ``extra="forbid"`` refuses a field smuggled in under another name. Outcomes are kept
in the history store under the customer's key, so they are forgotten with the customer and
expire with the store's retention.

Each kind carries only its own fields (a score on ``reopened`` is refused, not ignored): a
report must not count a number that means nothing.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import ClassVar, Final, Literal, get_args

from pydantic import (
    AwareDatetime,
    Field,
    field_validator,
    model_validator,
)

from guardrail._base import CheckedModel

__all__ = ["INCIDENTS", "OUTCOME_KINDS", "SCORE_RANGES", "IncidentKind", "Outcome", "OutcomeKind"]

OutcomeKind = Literal[
    "resolved", "reopened", "repeat_contact", "abandoned", "handed_off", "csat", "ces",
    "post_handoff_csat", "incident",
]
IncidentKind = Literal[
    "wrongful_automation", "wrongful_escalation", "unsafe_action", "biased_routing"
]
OUTCOME_KINDS: Final[tuple[str, ...]] = get_args(OutcomeKind)
INCIDENTS: Final[tuple[str, ...]] = get_args(IncidentKind)

SCORE_RANGES: Final[dict[str, tuple[int, int]]] = {
    "csat": (1, 5), "ces": (1, 7), "post_handoff_csat": (1, 5),
}
"""The inclusive score scale of each scored kind (CSAT 1-5, CES 1-7)."""

# The optional fields each kind may carry, and those it must.
_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "resolved": frozenset({"first_contact"}),
    "reopened": frozenset(),
    "repeat_contact": frozenset({"need_state"}),
    "abandoned": frozenset(),
    "handed_off": frozenset({"first_human_at"}),
    "csat": frozenset({"score"}),
    "ces": frozenset({"score"}),
    "post_handoff_csat": frozenset({"score"}),
    "incident": frozenset({"incident", "category"}),
}
_REQUIRED: Final[dict[str, frozenset[str]]] = {
    "resolved": frozenset({"first_contact"}),
    "repeat_contact": frozenset({"need_state"}),
    "csat": frozenset({"score"}),
    "ces": frozenset({"score"}),
    "post_handoff_csat": frozenset({"score"}),
    "incident": frozenset({"incident"}),
}
_OPTIONAL = ("first_contact", "need_state", "first_human_at", "score", "incident", "category")
_MAX_ID = 256


def _new_outcome_id() -> str:
    return uuid.uuid4().hex


class Outcome(CheckedModel):
    """One thing the help desk learnt about a conversation after the fact.

    Building one from bad input raises `UserError` naming the field at fault.

    Attributes:
        conversation_id: the conversation it is about (the audit log's ``conversation_id``).
        customer: the customer's key as stored (`guardrail.history.customer_key`), so the
            outcome is forgotten with the customer.
        at: when it happened (for ``handed_off``: when the handoff happened); timezone-aware,
            normalised to UTC.
        kind: what happened.
        first_contact: ``resolved`` only, required: resolved within the first contact.
        need_state: ``repeat_contact`` only, required: the need the customer came back for.
        first_human_at: ``handed_off`` only: when the first human message came (not before
            `at`); None while no human has answered.
        score: ``csat`` / ``post_handoff_csat`` (1 to 5) and ``ces`` (1 to 7), required.
        incident: ``incident`` only, required: what went wrong.
        category: ``incident`` only: a free label of the deployment's own (``refund.policy``).
        outcome_id: unique per customer; recording an outcome with an existing (customer,
            outcome_id) replaces it, so a retried delivery keeps one. Pass the help desk's own
            event id to make retries idempotent; a random one is made otherwise.
    """

    what: ClassVar[str] = "outcome"

    conversation_id: str = Field(min_length=1, max_length=_MAX_ID)
    customer: str = Field(min_length=1, max_length=_MAX_ID)
    at: AwareDatetime
    kind: OutcomeKind
    first_contact: bool | None = Field(default=None, strict=True)
    need_state: str | None = Field(default=None, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    first_human_at: AwareDatetime | None = None
    score: float | None = Field(default=None, allow_inf_nan=False)
    incident: IncidentKind | None = None
    category: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"
    )
    outcome_id: str = Field(
        default_factory=_new_outcome_id, min_length=1, max_length=_MAX_ID,
        pattern=r"^[A-Za-z0-9_.:-]+$",
    )

    @field_validator("at", "first_human_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @field_validator("score", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        # A bool is an int to Python, and "4" a number to pydantic; neither is a score.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"must be a number, got {type(value).__name__}")
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Outcome:
        allowed, required = _ALLOWED[self.kind], _REQUIRED.get(self.kind, frozenset())
        for name in _OPTIONAL:
            present = getattr(self, name) is not None
            if present and name not in allowed:
                raise ValueError(f"{name}: does not belong to a {self.kind!r} outcome")
            if not present and name in required:
                raise ValueError(f"{name}: a {self.kind!r} outcome needs it")
        if self.score is not None:
            low, high = SCORE_RANGES[self.kind]
            if not (math.isfinite(self.score) and low <= self.score <= high):
                raise ValueError(f"score: a {self.kind} score is {low} to {high}, "
                                 f"got {self.score!r}")
        if self.first_human_at is not None and self.first_human_at < self.at:
            raise ValueError("first_human_at: before the handoff (at)")
        return self
