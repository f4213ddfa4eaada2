"""Reason codes: why every effect of a decision happened.

A `ReasonCode` is what callers, traces and audit logs see. A `Finding` is what a detector returns
on the hot path; it becomes a `ReasonCode` when it contributes to a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["RISK_ORDER", "Finding", "FindingKind", "ReasonCode", "RiskTier"]

RiskTier = Literal["low", "medium", "high", "critical"]
RISK_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

FindingKind = Literal["risk", "need", "human", "injection", "friction", "exit", "failsafe"]


class ReasonCode(BaseModel):
    """One reason: a dotted code, the rule that produced it, redacted evidence and its source.

    Attributes:
        code: dotted snake_case family, e.g. ``risk.billing_dispute``.
        rule_id: the id of the registry rule or segment that produced it.
        evidence: a short, redacted excerpt of what matched ("" for signals and failsafes).
        source: where it came from: ``message[3]``, ``signal:failed_guided_attempts``,
            ``context:renewal_date`` or ``engine``.
        explanation: one sentence of plain language.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    rule_id: str
    evidence: str = ""
    source: str
    explanation: str

    def __str__(self) -> str:
        return f"{self.code}#{self.rule_id}"

    def sentence(self) -> str:
        """Render the reason as one plain sentence, with its evidence and source."""
        text = self.explanation.rstrip(".")
        if self.evidence:
            return f'{text} ("{self.evidence}", {self.source}).'
        return f"{text} ({self.source})."


@dataclass(frozen=True, slots=True)
class Finding:
    """A detector's raw output for one rule match or signal, before policy is applied."""

    kind: FindingKind
    code: str
    rule_id: str
    source: str
    explanation: str
    evidence: str = ""
    need_state: str | None = None
    risk: RiskTier | None = None
    weight: float = 1.0
    index: int = -1  # message index, -1 for signals and engine findings

    def reason(self) -> ReasonCode:
        """The public reason code for this finding."""
        return ReasonCode(
            code=self.code,
            rule_id=self.rule_id,
            evidence=self.evidence,
            source=self.source,
            explanation=self.explanation,
        )
