"""The need classifier as a detector: it reads each new user message, and may only add findings.

Its handoff score counts only where the rules saw no risk and no request for a person in the
same message: the classifier fills the rules' gaps, it does not second-guess them. A classifier
that fails gives a ``failsafe.*`` finding (its own engine code when it carries one, as the LLM
errors do) and no prediction: a failure restricts, it never loosens or crashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from guardrail.conversation import Message
from guardrail.detectors.detector import Scan
from guardrail.detectors.injection import stricter
from guardrail.detectors.rules import rule_codes
from guardrail.errors import GuardrailError
from guardrail.need.classifier import NeedClassifier, NeedPrediction
from guardrail.reasons import ENGINE_CODES, Finding
from guardrail.registry import Registry

__all__ = ["NeedDetector", "NeedReading"]


@dataclass(frozen=True, slots=True)
class NeedReading:
    """What the classifier made of one user message.

    Attributes:
        findings: what it adds (a suspected risk, or the failsafe of its failure).
        prediction: its view of the message (None: no classifier, or it failed).
        read: its view of each reading without injection that has words.
    """

    findings: list[Finding] = field(default_factory=list)
    prediction: NeedPrediction | None = None
    read: list[NeedPrediction] = field(default_factory=list)


class NeedDetector:
    """Runs a `NeedClassifier` on user messages under a registry's model settings.

    Args:
        classifier: the need classifier, or None for the rules alone.
        registry: where the handoff threshold, the normaliser and the scan bound come from.
    """

    def __init__(self, classifier: NeedClassifier | None, registry: Registry) -> None:
        self.classifier = classifier
        self._registry = registry

    def read(self, index: int, message: Message, scan: Scan) -> NeedReading:
        """Classify user message number `index`, given what the other detectors found in it."""
        if self.classifier is None:
            return NeedReading()
        found = scan.findings
        try:
            canonical = scan.canonical
            if canonical is None:
                text = message.content[: self._registry.settings.max_scan_chars]
                canonical = self._registry.normaliser.canonical(text)
            prediction = self.classifier.predict_message(
                message.content, canonical.words, rule_codes(found)
            )
            read = [
                self.classifier.predict_message(
                    reading.canonical.text if reading.canonical else "", reading.words,
                    rule_codes(reading.findings),
                )
                for reading in scan.readings
                if [w for w in reading.words if w != "."]
            ]
            if read:
                prediction = stricter(prediction, read)
        except Exception as exc:  # a model failure restricts; it never loosens or crashes
            code = getattr(exc, "code", None)
            if not (isinstance(exc, GuardrailError) and code in ENGINE_CODES):
                code = "failsafe.need_model_error"
            return NeedReading([_failsafe(index, code, exc)])
        threshold = self._registry.settings.model.handoff_threshold
        ruled = any(f.kind in ("risk", "human") for f in found)
        if ruled or prediction.handoff is None or prediction.handoff < threshold:
            return NeedReading([], prediction, read)
        suspected = Finding(
            kind="risk",
            code="model.risk_suspected",
            rule_id="need_model",
            source=f"message[{index}]",
            explanation=(
                f"The {prediction.source} classifier rates this message as one a person "
                f"must handle{f' ({prediction.risk_kind})' if prediction.risk_kind else ''} "
                f"(score {prediction.handoff:.2f} >= {threshold:g})"
            ),
            risk="high",
            index=index,
        )
        return NeedReading([suspected], prediction, read)


def _failsafe(index: int, code: str, exc: Exception) -> Finding:
    return Finding(
        kind="failsafe",
        code=code,
        rule_id="need_model",
        source=f"message[{index}]",
        explanation=f"{ENGINE_CODES[code]} ({type(exc).__name__})",
        index=index,
    )
