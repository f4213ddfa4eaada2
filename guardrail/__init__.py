"""guardrail: deterministic, explainable runtime policy for AI support agents.

`Guardrail.check(conversation)` classifies a turn (need-state, risk tier, friction), gates tools
and retrieval, forces human handoff when it must, and gives a reason code for every effect.
"""

from guardrail._version import __version__
from guardrail.audit import AuditLog
from guardrail.conversation import Context, Conversation, Message, Signals
from guardrail.decision import Decision, Handoff, SegmentAssignment, ToolVerdict
from guardrail.detectors import Detector
from guardrail.engine import ExitEvent, Guardrail
from guardrail.engine.policy import Policy
from guardrail.errors import (
    GuardrailError,
    HandoffRequired,
    LLMError,
    MissingCustomerError,
    RegistryError,
    RegistryIssue,
    ToolDenied,
    UndeclaredToolError,
    UserError,
)
from guardrail.handoff import HandoffSummary
from guardrail.need import LLMNeedClassifier, LLMVerdict, NeedClassifier, NeedModel, NeedPrediction
from guardrail.reasons import Finding, ReasonCode
from guardrail.registry import Registry
from guardrail.registry.schema import ToolSpec

__all__ = [
    "AuditLog",
    "Context",
    "Conversation",
    "Decision",
    "Detector",
    "ExitEvent",
    "Finding",
    "Guardrail",
    "GuardrailError",
    "Handoff",
    "HandoffRequired",
    "HandoffSummary",
    "LLMError",
    "LLMNeedClassifier",
    "LLMVerdict",
    "Message",
    "MissingCustomerError",
    "NeedClassifier",
    "NeedModel",
    "NeedPrediction",
    "Policy",
    "ReasonCode",
    "Registry",
    "RegistryError",
    "RegistryIssue",
    "SegmentAssignment",
    "Signals",
    "ToolDenied",
    "ToolSpec",
    "ToolVerdict",
    "UndeclaredToolError",
    "UserError",
    "__version__",
]
