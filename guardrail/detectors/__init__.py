"""Detectors turn new text and signals into Findings; they never decide permissions."""

from __future__ import annotations

from guardrail.detectors.rules import RuleDetector, Scan

__all__ = ["RuleDetector", "Scan"]
