"""The `Detector` protocol: what a detector is given (one message) and gives back (a `Scan`).

The engine feeds each detector only messages it has not read before, in order. A detector may
raise: the engine turns any exception into a ``failsafe.detector_error`` finding, so a broken
detector restricts the decision and never loosens it or reaches the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from guardrail.conversation import Message
from guardrail.reasons import ENGINE_CODES, Finding
from guardrail.text import Canonical

__all__ = ["Detector", "Scan", "detector_error", "safe_scan"]


@dataclass(frozen=True, slots=True)
class Scan:
    """What scanning one message gave.

    Attributes:
        findings: what was found, each with its reason code.
        canonical: the canonical words the findings were read from (None when no rule reads
            messages of that role), so the need model does not fold the text again.
        readings: the message read again without its injected instructions, when it has some
            (see `guardrail.detectors.injection`); the first is the one the need comes from.
        decoded: what the message carries encoded (base64, hex, percent-encoding, rot13), read
            back: each payload's source (``message[i]:decoded:<encoding>``) and canonical words,
            so the learned injection model reads a payload as the rules do.
    """

    findings: list[Finding]
    canonical: Canonical | None
    readings: tuple[Scan, ...] = ()
    decoded: tuple[tuple[str, Canonical], ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The canonical words (empty when the message was not read)."""
        return self.canonical.words if self.canonical is not None else ()


@runtime_checkable
class Detector(Protocol):
    """Reads one message into findings; pure: the same message gives the same `Scan`."""

    @property
    def name(self) -> str:
        """Names the detector in a ``failsafe.detector_error`` finding (``detector.<name>``)."""
        ...

    def scan(self, index: int, message: Message) -> Scan:
        """The findings for message number `index` of the conversation."""
        ...


def safe_scan(detector: Detector, index: int, message: Message) -> Scan:
    """`detector.scan`, with any exception turned into a ``failsafe.detector_error`` finding: a
    detector bug must restrict, not crash or loosen."""
    try:
        return detector.scan(index, message)
    except Exception:
        return Scan([detector_error(detector.name, index)], None)


def detector_error(name: str, index: int) -> Finding:
    """The ``failsafe.detector_error`` finding for detector `name` failing on message `index`."""
    return Finding(
        kind="failsafe",
        code="failsafe.detector_error",
        rule_id=f"detector.{name}",
        source=f"message[{index}]",
        explanation=ENGINE_CODES["failsafe.detector_error"],
        index=index,
    )
