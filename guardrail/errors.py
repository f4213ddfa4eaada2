"""The exceptions guardrail raises.

Every exception derives from one root, so callers can catch the library's errors and nothing else::

    GuardrailError
    ├── UserError              bad input from the caller (a conversation, a batch line, a JSON flag)
    ├── RegistryError          the policy registry is invalid; carries every RegistryIssue found
    ├── ToolDenied             a tool call the decision forbids; carries the Decision and the tool
    └── HandoffRequired        a human must take over; carries the Decision

`ToolDenied` and `HandoffRequired` are tripwires for adapters: they carry the decision that fired
them so the caller can log, explain or hand off without classifying the turn again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guardrail.decision import Decision

__all__ = [
    "GuardrailError",
    "HandoffRequired",
    "RegistryError",
    "RegistryIssue",
    "ToolDenied",
    "UserError",
]


class GuardrailError(Exception):
    """Root of every exception raised by guardrail."""


class UserError(GuardrailError):
    """The caller gave input guardrail cannot use; the message says what and where."""


@dataclass(frozen=True, slots=True)
class RegistryIssue:
    """One problem in a registry: the file, the YAML path inside it, and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class RegistryError(GuardrailError):
    """The registry failed validation. `issues` lists every problem, not just the first."""

    def __init__(self, issues: list[RegistryIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid registry ({len(self.issues)} problem(s)):\n{lines}")


class ToolDenied(GuardrailError):
    """A tool call was stopped by the decision; `decision` holds the reasons."""

    def __init__(self, tool: str, decision: Decision, message: str) -> None:
        self.tool = tool
        self.decision = decision
        super().__init__(message)


class HandoffRequired(GuardrailError):
    """The decision requires a human to take over the conversation now."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        reasons = ", ".join(decision.handoff.reasons) or "unspecified"
        super().__init__(f"handoff required: {reasons}")
