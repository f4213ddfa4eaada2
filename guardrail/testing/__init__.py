"""Test helpers users can build on: fakes for the engine's seams (failing and scripted
detectors and classifiers, a failing policy) and a scripted, tool-calling chat model.

The chat model needs ``langchain-core`` and is imported only when asked for, so the fakes work
without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guardrail.testing.fake import (
    FailingClassifier,
    FailingDetector,
    FailingPolicy,
    RecordingDetector,
    ScriptedClassifier,
    ScriptedDetector,
)

if TYPE_CHECKING:
    from guardrail.testing.scripted import ModelCall, ScriptedChatModel, Tape

__all__ = [
    "FailingClassifier",
    "FailingDetector",
    "FailingPolicy",
    "ModelCall",
    "RecordingDetector",
    "ScriptedChatModel",
    "ScriptedClassifier",
    "ScriptedDetector",
    "Tape",
]

_SCRIPTED = frozenset({"ModelCall", "ScriptedChatModel", "Tape"})


def __getattr__(name: str) -> Any:
    if name in _SCRIPTED:
        from guardrail.testing import scripted

        return getattr(scripted, name)
    raise AttributeError(f"module 'guardrail.testing' has no attribute {name!r}")
