"""The need classifier as a detector: it reads each new user message, and may only add findings.

Its handoff score counts only where the rules saw no risk and no request for a person in the
same message: the classifier fills the rules' gaps, it does not second-guess them. A classifier
that fails gives a ``failsafe.*`` finding (its own engine code when it carries one, as the LLM
errors do) and no prediction: a failure restricts, it never loosens or crashes.

The classifier and the registry must agree on the need-states. A learned model that knows
other ones than the registry (a registry overlay added one; the model was trained for another
registry) is warned about once, and read only on the need-states both know (the others
dropped, the rest renormalised); a need-state only the registry knows can then be set by its
rules alone, and a message whose rules find one keeps the rules' need (the model cannot weigh
it). With fewer than two shared need-states the model is not run at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from guardrail.conversation import Message
from guardrail.detectors.detector import Scan
from guardrail.detectors.injection import stricter
from guardrail.detectors.rules import rule_codes
from guardrail.errors import GuardrailError
from guardrail.need.cascade import CascadeClassifier
from guardrail.need.classifier import NeedClassifier, NeedPrediction
from guardrail.reasons import ENGINE_CODES, Finding
from guardrail.registry import Registry

__all__ = ["NeedDetector", "NeedReading", "known_need_states"]

_log = logging.getLogger("guardrail.need")
# (model's need-states, registry's) pairs already warned about: a Guardrail rebuilds its
# detectors on every reload and declared tool, and one warning per pair is enough.
_warned: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
_warned_lock = threading.Lock()
# Fewer shared need-states than this and the model is not run (one class is no choice).
_MIN_SHARED = 2


def known_need_states(classifier: NeedClassifier | None) -> tuple[str, ...] | None:
    """The need-states `classifier` knows, when it says (a `NeedModel`, or a cascade whose
    local model is one); None when it does not say (an LLM told the registry's own)."""
    if isinstance(classifier, CascadeClassifier):
        classifier = classifier.local
    states = getattr(classifier, "need_states", None)
    if isinstance(states, Sequence) and not isinstance(states, str):
        return tuple(str(s) for s in states)
    return None


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
        self._registry = registry
        wanted = registry.settings.need_states
        self._known = frozenset(wanted)
        self._narrow = False
        self._unknown: frozenset[str] = frozenset()
        model = known_need_states(classifier)
        if model is not None and set(model) != self._known:
            self._unknown = self._known - set(model)
            shared = [s for s in model if s in self._known]
            _warn_once(model, tuple(wanted), shared, registry.source)
            self._narrow = True
            if len(shared) < _MIN_SHARED:
                classifier = None
        self.classifier = classifier

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
            if self._narrow:
                prediction = self._restrict(prediction)
                read = [self._restrict(r) for r in read]
            if read:
                prediction = stricter(prediction, read)
        except Exception as exc:  # a model failure restricts; it never loosens or crashes
            code = getattr(exc, "code", None)
            if not (isinstance(exc, GuardrailError) and code in ENGINE_CODES):
                code = "failsafe.need_model_error"
            return NeedReading([_failsafe(index, code, exc)])
        threshold = self._registry.settings.model.handoff_threshold
        ruled = any(f.kind in ("risk", "human") for f in found)
        # A need-state the model never learned, found by the rules in this message: the model
        # cannot weigh it, so it does not get to replace it (its handoff score still counts).
        unknown = bool(self._unknown) and any(
            f.need_state in self._unknown for f in found if f.need_state)
        need = None if unknown else prediction
        if ruled or prediction.handoff is None or prediction.handoff < threshold:
            return NeedReading([], need, read)
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
        return NeedReading([suspected], need, read)

    def _restrict(self, prediction: NeedPrediction) -> NeedPrediction:
        """`prediction` on the registry's need-states only, renormalised."""
        kept = {s: p for s, p in prediction.probabilities.items() if s in self._known}
        total = sum(kept.values())
        if total <= 0:
            # The model put everything on need-states the registry does not know: it has no
            # view on this message's need (its handoff score still counts).
            kept, total = {s: 1.0 for s in self._known}, float(len(self._known))
        return replace(prediction, probabilities={s: p / total for s, p in kept.items()})


def _warn_once(model: tuple[str, ...], registry: tuple[str, ...], shared: Sequence[str],
               source: str) -> None:
    with _warned_lock:
        if (model, registry) in _warned:
            return
        _warned.add((model, registry))
    only_registry = [s for s in registry if s not in model]
    only_model = [s for s in model if s not in registry]
    if len(shared) < _MIN_SHARED:
        effect = (f"they share fewer than {_MIN_SHARED}, so the model is not run: need-states "
                  "come from the registry's rules alone")
    else:
        effect = (f"the model is read on the {len(shared)} shared ones only (renormalised)"
                  + (f"; {only_registry} can only be set by the registry's rules"
                     if only_registry else ""))
    _log.warning(
        "the need model and the registry %s disagree on need-states: model %s, registry %s "
        "(model only: %s; registry only: %s); %s. Retrain with `guardrail train --registry` "
        "to make it learn the registry's.",
        source, list(model), list(registry), only_model, only_registry, effect,
    )


def _failsafe(index: int, code: str, exc: Exception) -> Finding:
    return Finding(
        kind="failsafe",
        code=code,
        rule_id="need_model",
        source=f"message[{index}]",
        explanation=f"{ENGINE_CODES[code]} ({type(exc).__name__})",
        index=index,
    )
