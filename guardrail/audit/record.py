"""The audit records: one JSON line each, keyed by conversation and turn, schema version 1.

A turn leaves a **decision** record (segments and their reasons, the policy they produced, the
handoff it required, the arm and the cohort the conversation was in), one **tool call** record
per call the gate checked (its verdict and what then happened) and a **handoff** record (where it
went and whether it arrived). An **exit event** record says who ended a critical segment, how
and why (DESIGN principle 9), and an **override** record who overrode a segment for a
conversation, in which role, and why: both belong to the conversation, not to a turn. A
**shadow** record is what a candidate policy evaluated beside the live one would have decided
differently on a turn (never acted on).

Records added after schema version 1 was first written (override, shadow) and fields added to
the decision record (arm, held_out, language, cohort) have defaults, so files written before
them read as they always did.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, TypeAlias

from pydantic import Field, JsonValue

from guardrail._base import FrozenModel
from guardrail.decision import (
    UNDETERMINED_LANGUAGE,
    Arm,
    Handoff,
    Priority,
    SegmentAssignment,
    Verdict,
)
from guardrail.reasons import RiskTier

__all__ = [
    "AUDIT_SCHEMA_VERSION",
    "AuditPolicy",
    "AuditRecord",
    "DecisionActions",
    "DecisionRecord",
    "ExitEventRecord",
    "HandoffRecord",
    "OverrideAction",
    "OverrideRecord",
    "ShadowRecord",
    "ShadowSide",
    "ToolCallRecord",
    "ToolOutcome",
]

AUDIT_SCHEMA_VERSION: Final = 1
"""The ``v`` of every record `AuditLog` writes, and the only one the reader reads."""

COHORT_FIELDS: Final = ("locale", "channel", "region", "plan")
"""The conversation context fields a decision record keeps as its cohort (labels, no text)."""

OverrideAction = Literal["assert", "clear", "verify"]
"""What an agent override does to a segment for one conversation: put the conversation in it,
take it out, or mark the customer verified (which ends the segments a verification ends)."""

ToolOutcome = Literal["executed", "denied", "declined", "failed", "not_run"]
"""What happened to a gated tool call: it ran, the gate denied it, the customer declined the
confirmation, it ran and failed, or it never ran for another reason (the loop stopped first)."""


class _Record(FrozenModel):
    v: Literal[1] = AUDIT_SCHEMA_VERSION
    type: str
    seq: int = Field(ge=1, description="Order of writing within one AuditLog instance.")
    conversation_id: str = Field(min_length=1)
    turn: int = Field(ge=0, description="The customer's turn number.")
    at: str = Field(description="When the record was made: UTC, ISO 8601.")


class AuditPolicy(FrozenModel):
    """What the decision let the agent do.

    Attributes:
        allowed_tools: tools the agent may call without asking.
        confirm_tools: tools that need the customer's explicit confirmation first.
        denied_tools: each denied tool with its reasons as ``code#rule_id``.
        retrieval_scope: document scopes retrieval may draw from.
        directives: behaviour directive ids.
    """

    allowed_tools: list[str]
    confirm_tools: list[str]
    denied_tools: dict[str, list[str]]
    retrieval_scope: list[str]
    directives: list[str]


class DecisionActions(FrozenModel):
    """What the decision set in motion: whether a human takes over, and how."""

    handoff: Handoff


class DecisionRecord(_Record):
    """The decision for one turn: segment -> policy -> action, with the policy version.

    Segment reasons keep their redacted evidence and one plain sentence each.
    """

    type: Literal["decision"] = "decision"
    policy_version: str
    need_state: str
    need_confidence: float = Field(ge=0.0, le=1.0)
    risk_tier: RiskTier
    failsafe: bool
    segments: list[SegmentAssignment]
    policy: AuditPolicy
    action: DecisionActions
    arm: Arm = "policy"
    held_out: list[str] = Field(
        default_factory=list, description="Holdout arm: segments assigned but not acted on."
    )
    language: str = UNDETERMINED_LANGUAGE
    cohort: dict[str, str] = Field(
        default_factory=dict,
        description="The conversation's context labels among COHORT_FIELDS that were set.",
    )


class ToolCallRecord(_Record):
    """One tool call as the gate judged it (`action`) and what then happened (`outcome`)."""

    type: Literal["tool_call"] = "tool_call"
    tool: str
    action: Verdict
    reason_codes: list[str] = Field(default_factory=list)
    bound: list[str] = Field(default_factory=list)
    args: dict[str, JsonValue] = Field(default_factory=dict)
    outcome: ToolOutcome


class HandoffRecord(_Record):
    """A handoff to a human: where it went, why, and whether it arrived (never the transcript)."""

    type: Literal["handoff"] = "handoff"
    queue: str | None
    priority: Priority
    reasons: list[str]
    delivery: str = Field(description='"delivered", "no_sink" or "failed: <error type>".')
    policy_version: str


class ExitEventRecord(_Record):
    """An explicit event that ended a critical segment: who, how, why (redacted) and what it
    retired (``code#rule_id``, never evidence). `at` is when the event happened; `turn` is the
    customer's turn when the caller knew it, else 0 (an agent desk or the CLI acts between
    turns)."""

    type: Literal["exit_event"] = "exit_event"
    segment: str = Field(min_length=1)
    # Kept as the engine named them (the recorder sits below the engine and the registry, whose
    # vocabularies these are): a record is never refused for a name the registry added.
    kind: str = Field(min_length=1, description='"verified" or "resolved".')
    by: str = Field(min_length=1, description='"application" or "agent".')
    who: str = Field(min_length=1)
    why: str = Field(description="The reason given, redacted.")
    retired: list[str] = Field(default_factory=list)
    policy_version: str


class OverrideRecord(_Record):
    """A human agent (or the application for them) overrode a segment for a conversation:
    `action` on `segment`, by `who` in `role`, and why (redacted). `turn` is the customer's
    turn when known, else 0."""

    type: Literal["override"] = "override"
    segment: str = Field(min_length=1)
    action: OverrideAction
    who: str = Field(min_length=1)
    role: str = Field(min_length=1)
    why: str = Field(description="The reason given, redacted.")
    policy_version: str


class ShadowSide(FrozenModel):
    """What one policy decided on a turn, as a shadow record compares it."""

    policy_version: str
    need_state: str
    risk_tier: RiskTier
    segments: list[str]
    handoff: bool
    denied_tools: list[str]
    confirm_tools: list[str]


class ShadowRecord(_Record):
    """A turn on which the shadow (candidate) policy would have decided differently from the
    live one: which aspects differ (``handoff``, ``risk``, ``tools``, ``segments``, ``need``)
    and both sides. The live decision was the one acted on."""

    type: Literal["shadow"] = "shadow"
    differences: list[Literal["handoff", "risk", "tools", "segments", "need"]] = Field(
        min_length=1
    )
    live: ShadowSide
    shadow: ShadowSide


AuditRecord: TypeAlias = Annotated[
    DecisionRecord | ToolCallRecord | HandoffRecord | ExitEventRecord | OverrideRecord
    | ShadowRecord,
    Field(discriminator="type"),
]
"""Any audit record; the ``type`` field says which."""
