"""Detectors turn new text and signals into Findings; they never decide permissions.

A `Detector` reads one message into a `Scan` (findings, each with its reason code, and the
canonical words). `RuleDetector` reads the registry's rules; `InjectionDetector` wraps it,
reads a user message again without its injected instructions, and asks the learned
`InjectionModel` about user messages and tool results no rule flagged. Friction is read from
signals and the history store (`guardrail.detectors.friction`), not from a message.
"""

from __future__ import annotations

from guardrail.detectors.detector import Detector, Scan
from guardrail.detectors.injection import InjectionDetector
from guardrail.detectors.injection_model import InjectionModel
from guardrail.detectors.rules import RuleDetector

__all__ = ["Detector", "InjectionDetector", "InjectionModel", "RuleDetector", "Scan"]
