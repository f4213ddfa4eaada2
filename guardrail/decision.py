"""The decision guardrail makes on every turn, and the pieces it is made of.

Adapters, traces, handoff summaries and evals are all views of a `Decision`; it is a frozen
pydantic model so it can be logged, compared and replayed as JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from guardrail.reasons import ReasonCode, RiskTier

__all__ = [
    "PRIORITY_ORDER",
    "UNDETERMINED_LANGUAGE",
    "Arm",
    "Decision",
    "Handoff",
    "Priority",
    "SegmentAssignment",
    "SegmentTier",
    "ToolVerdict",
    "Verdict",
]

# BCP 47's "undetermined": a message too short or too mixed to tell its language.
UNDETERMINED_LANGUAGE = "und"

Priority = Literal["low", "normal", "high", "urgent"]
PRIORITY_ORDER: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
Verdict = Literal["allow", "confirm", "deny"]
SegmentTier = Literal["runtime", "friction", "stable", "failsafe"]
Arm = Literal["policy", "holdout"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentAssignment(_Frozen):
    """A segment the conversation is in, with the reasons it entered."""

    id: str
    tier: SegmentTier
    reasons: list[ReasonCode]


class ToolVerdict(_Frozen):
    """What the decision says about one tool, and why (empty reasons only for a plain allow)."""

    tool: str
    verdict: Verdict
    reasons: list[ReasonCode] = Field(default_factory=list)


class Handoff(_Frozen):
    """Whether a human must take over now (`required`) or must at least be offered (`offered`).

    `reasons` are reason-code strings (``code#rule_id``); `mode` says whether to hand off at once
    or after collecting what the conversation already holds.
    """

    required: bool = False
    offered: bool = False
    mode: Literal["none", "immediate", "after_collect"] = "none"
    reasons: list[str] = Field(default_factory=list)
    queue: str | None = None
    priority: Priority = "normal"


class Decision(_Frozen):
    """Everything guardrail decided about one turn.

    Attributes:
        need_state: what the customer needs (a need-state id from the registry).
        need_confidence: 0-1 confidence in `need_state`.
        risk_tier: ``low`` < ``medium`` < ``high`` < ``critical``.
        segments: every segment the conversation is in, with reasons.
        friction: the ids of the friction segments among `segments`.
        tools: one verdict per catalogue tool (allow, confirm or deny), each with its reasons;
            `allowed_tools`, `confirm_tools` and `denied_tools` (names) and `denials` (the deny
            verdicts with their reasons) are views of it.
        retrieval_scope: document scopes retrieval may draw from.
        directives: how the assistant must behave (ids; texts live in ``prompts/``).
        handoff: whether and how a human takes over.
        reason_codes: every reason behind the decision, deduplicated, in order of appearance.
        policy_version: content hash of the registry that made the decision.
        failsafe: True when a component failed and the decision was restricted because of it.
        language: the language of the customer's latest message that had one (BCP 47 primary
            subtag, ``und`` while undetermined); replies and summaries use it.
        arm: ``policy``, or ``holdout`` for a customer the registry's holdout serves with the
            baseline policy (only the safety set and the tool gate act).
        held_out: in the holdout arm, the segments the conversation is in that were not acted
            on (so reports compare the arms segment by segment); empty in the policy arm.
    """

    need_state: str
    need_confidence: float = Field(ge=0.0, le=1.0)
    risk_tier: RiskTier
    segments: list[SegmentAssignment]
    friction: list[str]
    tools: list[ToolVerdict]
    retrieval_scope: list[str]
    directives: list[str]
    handoff: Handoff
    reason_codes: list[ReasonCode]
    policy_version: str
    failsafe: bool = False
    language: str = UNDETERMINED_LANGUAGE
    arm: Arm = "policy"
    held_out: list[str] = Field(default_factory=list)

    @property
    def allowed_tools(self) -> list[str]:
        """Tools the agent may call without asking."""
        return [t.tool for t in self.tools if t.verdict == "allow"]

    @property
    def confirm_tools(self) -> list[str]:
        """Tools the agent may call only after the customer explicitly confirms."""
        return [t.tool for t in self.tools if t.verdict == "confirm"]

    @property
    def denied_tools(self) -> list[str]:
        """Tools the agent may not call (`denials` has the reasons)."""
        return [t.tool for t in self.tools if t.verdict == "deny"]

    @property
    def denials(self) -> list[ToolVerdict]:
        """The deny verdicts, each with its reasons."""
        return [t for t in self.tools if t.verdict == "deny"]

    def view(self) -> dict[str, Any]:
        """The decision as compact JSON-ready data: the one projection the agent state, the audit
        log's policy and the batch output are cut from. Reasons are ``code#rule_id`` strings;
        denied tools map to the reasons they are denied for."""
        return {
            "need_state": self.need_state,
            "need_confidence": self.need_confidence,
            "risk_tier": self.risk_tier,
            "segments": self.segment_ids(),
            "friction": list(self.friction),
            "allowed_tools": self.allowed_tools,
            "confirm_tools": self.confirm_tools,
            "denied_tools": {t.tool: [str(r) for r in t.reasons] for t in self.denials},
            "retrieval_scope": list(self.retrieval_scope),
            "directives": list(self.directives),
            "handoff": self.handoff.model_dump(mode="json"),
            "reason_codes": [str(r) for r in self.reason_codes],
            "policy_version": self.policy_version,
            "failsafe": self.failsafe,
            "language": self.language,
            "arm": self.arm,
            "held_out": list(self.held_out),
        }

    def verdict(self, tool: str) -> ToolVerdict:
        """The verdict for `tool`. A tool the decision does not know is denied (fail closed)."""
        for known in self.tools:
            if known.tool == tool:
                return known
        return ToolVerdict(
            tool=tool,
            verdict="deny",
            reasons=[
                ReasonCode(
                    code="policy.unknown_tool",
                    rule_id="catalogue",
                    source="engine",
                    explanation=f"The tool {tool!r} is not in the tool catalogue",
                )
            ],
        )

    def segment_ids(self) -> list[str]:
        """The ids of every segment, in assignment order."""
        return [s.id for s in self.segments]

    def explain(self) -> str:
        """A readable, plain-text account of the decision, one reason per line."""
        lines = [
            f"Need-state: {self.need_state} (confidence {self.need_confidence:.2f})",
            f"Risk tier: {self.risk_tier}",
            f"Policy version: {self.policy_version}",
        ]
        if self.arm == "holdout":
            lines.append("Arm: holdout (baseline policy; safety set and tool gate on; not acted "
                         f"on: {', '.join(self.held_out) or '(none)'})")
        if self.handoff.required:
            lines.append(
                f"Handoff: REQUIRED ({self.handoff.mode}) to queue {self.handoff.queue}, "
                f"priority {self.handoff.priority}"
            )
        elif self.handoff.offered:
            lines.append("Handoff: offered (the customer can ask for a human at any time)")
        else:
            lines.append("Handoff: not required")
        lines.append("Segments:")
        for seg in self.segments or []:
            lines.append(f"  - {seg.id} [{seg.tier}]")
            lines.extend(f"      {reason.sentence()}" for reason in seg.reasons)
        if not self.segments:
            lines.append("  (none)")
        lines.append(f"Allowed tools: {', '.join(self.allowed_tools) or '(none)'}")
        lines.append(f"Confirm first: {', '.join(self.confirm_tools) or '(none)'}")
        lines.append("Denied tools:")
        for denied in self.denials:
            why = "; ".join(f"{r.code}#{r.rule_id}" for r in denied.reasons)
            lines.append(f"  - {denied.tool}: {why}")
        if not self.denied_tools:
            lines.append("  (none)")
        lines.append(f"Retrieval scope: {', '.join(self.retrieval_scope) or '(none)'}")
        lines.append(f"Directives: {', '.join(self.directives) or '(none)'}")
        lines.append("Reasons:")
        lines.extend(f"  - {r}: {r.sentence()}" for r in self.reason_codes)
        return "\n".join(lines)
