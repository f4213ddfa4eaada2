"""Stand-ins for the engine's seams, to test what happens when a detector, a classifier or the
policy fails.

Pass them to `Guardrail` instead of patching its internals::

    guard = Guardrail(registry, detector=FailingDetector(RuntimeError("boom")))
    guard = Guardrail(registry, need_model=FailingClassifier(TimeoutError()))
    guard = Guardrail(registry, need_model=ScriptedClassifier(prediction))
    guard = Guardrail(registry, policy=FailingPolicy("decide", RuntimeError("boom")))
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from typing import Literal

from guardrail.conversation import Message
from guardrail.decision import Decision
from guardrail.detectors.detector import Detector, Scan
from guardrail.engine.policy import RegistryPolicy
from guardrail.errors import UserError
from guardrail.need.classifier import NeedPrediction
from guardrail.policy import Facts
from guardrail.reasons import ReasonCode
from guardrail.registry import Registry

__all__ = [
    "FailingClassifier",
    "FailingDetector",
    "FailingPolicy",
    "RecordingDetector",
    "ScriptedClassifier",
    "ScriptedDetector",
]


class FailingDetector:
    """A `Detector` that raises `error` on the messages it is told to fail on.

    Args:
        error: what to raise: an exception, or an exception class (raised with no arguments).
        inner: the detector that reads the other messages (None: every message fails).
        at: the message indexes that fail (None: all of them).
    """

    def __init__(
        self,
        error: BaseException | type[BaseException] = RuntimeError,
        *,
        inner: Detector | None = None,
        at: Container[int] | None = None,
    ) -> None:
        self._error = error
        self._inner = inner
        self._at = at

    @property
    def name(self) -> str:
        """The inner detector's name, or ``failing``."""
        return self._inner.name if self._inner is not None else "failing"

    def scan(self, index: int, message: Message) -> Scan:
        """Raise for a failing message; the inner detector's scan otherwise."""
        if self._inner is None or self._at is None or index in self._at:
            raise self._error
        return self._inner.scan(index, message)


class ScriptedDetector:
    """A `Detector` whose every scan returns what `output` gives, well-formed or not (to test
    how the engine treats a detector that breaks its contract)."""

    name = "scripted"

    def __init__(self, output: Callable[[int, Message], object]) -> None:
        self._output = output

    def scan(self, index: int, message: Message) -> Scan:
        """Whatever the script says, unchecked."""
        return self._output(index, message)  # type: ignore[return-value]


class RecordingDetector:
    """A `Detector` that passes every message to `inner` and records which indexes it read.

    Attributes:
        scanned: the index of every message read, in order (readings of an injected message
            without its injection are read under that message's index too).
    """

    def __init__(self, inner: Detector) -> None:
        self._inner = inner
        self.scanned: list[int] = []

    @property
    def name(self) -> str:
        """The inner detector's name."""
        return self._inner.name

    def scan(self, index: int, message: Message) -> Scan:
        """Record `index`, then the inner detector's scan."""
        self.scanned.append(index)
        return self._inner.scan(index, message)


class FailingClassifier:
    """A `NeedClassifier` that raises `error` on every message.

    Args:
        error: what to raise: an exception, or an exception class (raised with no arguments).
    """

    def __init__(self, error: BaseException | type[BaseException] = RuntimeError) -> None:
        self._error = error

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """Raise."""
        raise self._error


class ScriptedClassifier:
    """A `NeedClassifier` that gives the same prediction for every message.

    Args:
        prediction: what every message is classified as.
        blocking_io: whether `Guardrail.acheck` should treat it as waiting on the network.
    """

    def __init__(self, prediction: NeedPrediction, *, blocking_io: bool = False) -> None:
        self.prediction = prediction
        self.blocking_io = blocking_io

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """The scripted prediction."""
        return self.prediction



class FailingPolicy:
    """A `Policy` that raises `error` at one step; the registry's own policy takes the other.

    Args:
        stage: the step that fails: ``"assign"`` (which segments hold) or ``"decide"``.
        error: what to raise: an exception, or an exception class (raised with no arguments).

    Raises:
        UserError: `stage` is neither step.
    """

    def __init__(
        self,
        stage: Literal["assign", "decide"],
        error: BaseException | type[BaseException] = RuntimeError,
    ) -> None:
        if stage not in ("assign", "decide"):
            raise UserError(f"FailingPolicy: stage must be 'assign' or 'decide', not {stage!r}")
        self.stage = stage
        self._error = error
        self._real = RegistryPolicy()

    def assign(self, registry: Registry, facts: Facts) -> dict[str, list[ReasonCode]]:
        """Raise at the assign stage; the registry's assignment otherwise."""
        if self.stage == "assign":
            raise self._error
        return self._real.assign(registry, facts)

    def decide(
        self,
        registry: Registry,
        facts: Facts,
        active: Mapping[str, list[ReasonCode]],
        *,
        held_out: Sequence[str] = (),
    ) -> Decision:
        """Raise at the decide stage; the registry's decision otherwise."""
        if self.stage == "decide":
            raise self._error
        return self._real.decide(registry, facts, active, held_out=held_out)
