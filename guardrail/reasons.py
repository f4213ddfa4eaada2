"""Reason codes: why every effect of a decision happened, and the catalogue of fixed codes.

A `ReasonCode` is what callers, traces and audit logs see. A `Finding` is what a detector returns
on the hot path; it becomes a `ReasonCode` when it contributes to a decision.

The codes guardrail emits itself (not from a registry rule) are catalogued here, one plain
sentence each, in two parts: `ENGINE_CODES` (the engine's fail-closed and model codes, which
segment criteria may refer to) and `ADAPTER_CODES` (tool gating and retrieval scoping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from guardrail._base import FrozenModel
from guardrail.redact import redact

__all__ = [
    "ADAPTER_CODES",
    "ENGINE_CODES",
    "RISK_ORDER",
    "Finding",
    "FindingKind",
    "ReasonCode",
    "RiskTier",
]

RiskTier = Literal["low", "medium", "high", "critical"]
RISK_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

# Reason codes the engine itself emits (not from a rule); criteria may refer to them.
ENGINE_CODES: dict[str, str] = {
    "failsafe.detector_error": "A detector failed, so the decision was restricted",
    "failsafe.need_model_error": "The need-state model failed, so the decision was restricted",
    "failsafe.llm_error": "The LLM classifier failed, so the decision was restricted",
    "failsafe.llm_unavailable": (
        "The LLM classifier stayed unavailable until its deadline, so the decision was restricted"
    ),
    "failsafe.llm_timeout": "The LLM classifier timed out, so the decision was restricted",
    "failsafe.llm_malformed": (
        "The LLM classifier's answer was malformed, so the decision was restricted"
    ),
    "failsafe.llm_refused": "The LLM classifier refused, so the decision was restricted",
    "language.unsupported": "The customer wrote in a language this policy does not support",
    "model.risk_suspected": "The learned model rates the message as one a person must handle",
    "model.injection_suspected": (
        "The learned injection model rates the text as an attempt to override the assistant's"
        " instructions"
    ),
    "failsafe.oversized_input": (
        "A message was longer than the scan budget, so the decision was restricted"
    ),
    "failsafe.unscanned_input": (
        "Part of a very long message was not read, so the decision was restricted"
    ),
    "failsafe.store_unavailable": (
        "The history store could not be reached, so the customer is treated as possibly looping"
    ),
    "failsafe.store_timeout": (
        "The history store did not answer in time, so the customer is treated as possibly looping"
    ),
    "failsafe.store_corrupt": (
        "The history store's data could not be read, so the customer is treated as possibly"
        " looping"
    ),
    "failsafe.engine_error": (
        "Part of the engine failed, so the decision was rebuilt from everything found so far"
        " and restricted"
    ),
    "failsafe.unrecoverable": (
        "The engine failed and what was found could not be rebuilt, so every tool is denied and"
        " a person takes over now"
    ),
    "exit.verified": "The application or an agent verified the customer, which ended the segment",
    "exit.case_resolved": "The application or an agent resolved the case, which ended the segment",
    "override.agent": "A human agent overrode the policy for this conversation",
}

# Reason codes the adapters emit when they gate a tool call or scope retrieval.
ADAPTER_CODES: dict[str, str] = {
    "policy.unknown_tool": "The tool is not in the tool catalogue, so it may not run",
    "policy.tool_denied": "The decision for this turn denies the tool",
    "policy.customer_mismatch": "The call names a different customer than the session's",
    "policy.customer_unbound": (
        "The tool acts on a customer but the session has no customer id to bind it to"
    ),
    "policy.invalid_arguments": "The tool call's arguments are not a JSON object",
    "policy.identity_mismatch": (
        "The call names an e-mail, phone, account or order number the session did not verify"
        " as its customer's"
    ),
    "policy.tool_unavailable": "The tool is allowed but this application gave no implementation",
    "policy.handoff_in_progress": "A human is taking over, so the assistant may not act",
    "policy.confirmation_required": "The tool needs the customer's explicit confirmation first",
    "policy.confirmed": "The customer explicitly confirmed this call",
    "policy.confirmation_declined": "The confirmation was declined, so the tool did not run",
    "policy.confirmation_unavailable": (
        "The tool needs a confirmation but there is no way to ask for one here"
        " (no checkpointer), so it did not run"
    ),
    "policy.confirmation_mismatch": (
        "The call differs from what the customer confirmed, so it did not run"
    ),
    "policy.duplicate_call_id": (
        "The model gave more than one call the same tool call id, so none of them ran"
    ),
    "policy.already_executed": (
        "This tool call id already ran in this conversation, so it was not run again"
    ),
    "policy.arguments_changed": (
        "The call's arguments changed after the gate checked them, so it did not run"
    ),
    "retrieval.out_of_scope": "The document's scope is outside the decision's retrieval scope",
    "retrieval.unscoped": "The document carries no scope metadata, so it cannot be checked",
    "retrieval.stack_mismatch": "The document is for a different product stack or integration",
    "retrieval.role_mismatch": "The document is for a different user role",
    "retrieval.region_mismatch": "The document applies to a different region",
    "retrieval.not_authoritative": (
        "Only authoritative documents may answer here, and this one is not marked so"
    ),
    "retrieval.no_decision": "No decision was in force, so no document could be allowed",
    "failsafe.summary_error": (
        "The handoff summary could not be built in full, so a minimal one was sent"
    ),
    "injection.redacted": (
        "Part of an untrusted text (tool result or document) carried instructions to the"
        " assistant, so that part was withheld from the model"
    ),
    "injection.dropped": (
        "An untrusted text (tool result or document) carried instructions to the assistant, so"
        " all of it was withheld from the model"
    ),
    "injection.warned": (
        "An untrusted text (tool result or document) carried instructions to the assistant; it"
        " was passed on marked as data"
    ),
}

FindingKind = Literal[
    "risk", "need", "human", "injection", "friction", "exit", "failsafe", "language", "topic"
]


class ReasonCode(FrozenModel):
    """One reason: a dotted code, the rule that produced it, redacted evidence and its source.

    Attributes:
        code: dotted snake_case family, e.g. ``risk.billing_dispute``.
        rule_id: the id of the registry rule or segment that produced it.
        evidence: a short, redacted excerpt of what matched ("" for signals and failsafes).
        source: where it came from: ``message[3]``, ``signal:failed_guided_attempts``,
            ``context:renewal_date`` or ``engine``.
        explanation: one sentence of plain language.
    """

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
    """A detector's raw output for one rule match or signal, before policy is applied.

    `evidence` is always redacted text. A detector that matched raw text may pass it as
    `raw_evidence` instead (with no `evidence`): it is redacted (`guardrail.redact.redact`)
    the first time `evidence` is read, by `reason` or anyone else, and the raw text is
    dropped then. Most findings of a turn are never rendered into a reason, so most evidence
    is never redacted; the engine reads the evidence of every finding it keeps past the
    check, so no raw text stays in a conversation's state (`Guardrail.check`).
    """

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
    span: tuple[int, int] | None = None  # where it matched in the message's canonical text
    # Unredacted evidence not read yet (None once `evidence` holds its redaction). Not part of
    # equality: two findings are equal when their redacted evidence is.
    raw_evidence: str | None = field(default=None, repr=False, compare=False)
    # Built once each: a finding kept over many turns is rendered every turn, and its base code
    # is read by every rule-code and policy lookup.
    _reason: ReasonCode | None = field(default=None, init=False, repr=False, compare=False)
    _base: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.raw_evidence is not None:
            if self.evidence:  # redacted evidence given as well (a `replace`): it stands
                object.__setattr__(self, "raw_evidence", None)
            else:  # left unset, so reading it goes through `__getattr__`, once
                object.__delattr__(self, "evidence")

    if not TYPE_CHECKING:  # (so that mypy still flags unknown attributes)

        def __getattr__(self, name: str) -> str:
            # Python calls this only for an attribute that is not set: the evidence of a
            # finding built from `raw_evidence`, on its first read.
            if name != "evidence":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            raw = self.raw_evidence
            if raw is None:  # another thread redacted it meanwhile (evidence is set first)
                return object.__getattribute__(self, "evidence")
            evidence = redact(raw)
            object.__setattr__(self, "evidence", evidence)
            object.__setattr__(self, "raw_evidence", None)
            return evidence

    @property
    def base_code(self) -> str:
        """The code without its language: a language's rule ("es.dispute.duplicate", code
        "risk.billing_dispute.es") is a "risk.billing_dispute" finding, which is what segments
        name and what the need model learns from."""
        base = self._base
        if base is None:
            lang = self.rule_id.partition(".")[0]
            base = code = self.code
            if code.endswith(f".{lang}") and code.count(".") > 1:
                base = code[: -len(lang) - 1]
            object.__setattr__(self, "_base", base)
        return base

    def reason(self) -> ReasonCode:
        """The public reason code for this finding (built once; it is immutable)."""
        made = self._reason
        if made is None:
            made = ReasonCode(
                code=self.code,
                rule_id=self.rule_id,
                evidence=self.evidence,
                source=self.source,
                explanation=self.explanation,
            )
            object.__setattr__(self, "_reason", made)
        return made

    def seal(self) -> None:
        """Redact the evidence now if it is still raw (before the finding is kept)."""
        if self.raw_evidence is not None:
            _ = self.evidence
