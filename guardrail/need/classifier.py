"""The need classifier protocol and what a classifier gives back (`NeedPrediction`).

The learned model (`NeedModel`, the default) and the LLM classifier (`LLMNeedClassifier`) both
satisfy `NeedClassifier`; the engine runs whichever it was given on each new user message. A
classifier may raise: the engine turns any exception into a fail-closed ``failsafe.*`` finding
(a `GuardrailError` carrying an engine code keeps its code, as the LLM errors do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["NeedClassifier", "NeedPrediction"]


@dataclass(frozen=True, slots=True)
class NeedPrediction:
    """The model's view of one message: need-state probabilities and the handoff score."""

    probabilities: dict[str, float]
    handoff: float | None
    risk_kind: str | None = None  # the kind of risk, when the classifier names one (LLM)
    source: str = "need_model"

    @property
    def need_state(self) -> str:
        """The most probable need-state."""
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def confidence(self) -> float:
        """The probability of the most probable need-state."""
        return self.probabilities[self.need_state]


@runtime_checkable
class NeedClassifier(Protocol):
    """Anything that reads a user message into a `NeedPrediction` (the learned model, an LLM).

    A classifier that waits on the network sets a true ``blocking_io`` attribute, so
    `Guardrail.acheck` runs it in a worker thread instead of on the event loop.
    """

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """Classify one user message (raw `text`, its canonical `words`, matched rule codes)."""
        ...
