"""Every exception guardrail raises, in one place.

Every exception derives from one root, so callers can catch the library's errors and nothing else::

    GuardrailError
    ├── UserError                  bad input from the caller (conversation, batch line, flag)
    │   ├── ScenarioError          eval scenario files or eval config failed validation
    │   ├── UndeclaredToolError    the agent has tools the catalogue does not declare
    │   ├── MissingCustomerError   customer-bound tools, but the session names no customer
    │   └── OverrideRefusedError   the role may not clear a segment of critical risk
    ├── RegistryError              the policy registry is invalid; carries every RegistryIssue
    ├── ToolDenied                 a tool call the decision forbids; carries Decision and tool
    ├── HandoffRequired            a human must take over; carries the Decision
    ├── StoreError                 the history store failed (code failsafe.store_error)
    │   ├── StoreUnavailableError  cannot connect, I/O error, store closed (.store_unavailable)
    │   ├── StoreTimeoutError      past the deadline: lock held, server stalled (.store_timeout)
    │   └── StoreCorruptError      the file or data is not a valid store (.store_corrupt)
    ├── LanguageModelMissingError  the language identifier's package is missing (an ImportError)
    ├── LLMError                   the LLM classifier gave no usable answer (failsafe.llm_error)
    │   ├── LLMUnavailableError    rate limits, 5xx, connection failures (.llm_unavailable)
    │   ├── LLMTimeoutError        attempts timed out until the deadline (.llm_timeout)
    │   ├── LLMMalformedError      the output did not match the schema (.llm_malformed)
    │   └── LLMRefusedError        the model refused to classify (.llm_refused)
    └── SinkError                  a handoff was not delivered (retryable, spooled, status)
        └── AlertDeliveryError     a webhook did not take every alert event (sent, undelivered)

`ToolDenied` and `HandoffRequired` are tripwires for adapters: they carry the decision that fired
them so the caller can log, explain or hand off without classifying the turn again. The store and
LLM errors carry the ``failsafe.*`` reason code (`code`) the engine reports when it fails closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guardrail.decision import Decision

__all__ = [
    "AlertDeliveryError",
    "GuardrailError",
    "HandoffRequired",
    "LLMError",
    "LLMMalformedError",
    "LLMRefusedError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "LanguageModelMissingError",
    "MissingCustomerError",
    "OverrideRefusedError",
    "RegistryError",
    "RegistryIssue",
    "ScenarioError",
    "SinkError",
    "StoreCorruptError",
    "StoreError",
    "StoreTimeoutError",
    "StoreUnavailableError",
    "ToolDenied",
    "UndeclaredToolError",
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


class StoreError(GuardrailError):
    """The history store failed; `code` is the ``failsafe.*`` reason the engine reports."""

    code = "failsafe.store_error"


class StoreUnavailableError(StoreError):
    """The store cannot be reached: connection refused, I/O error, or the store was closed."""

    code = "failsafe.store_unavailable"


class StoreTimeoutError(StoreError):
    """The store did not answer before the deadline (a lock held too long, a stalled server)."""

    code = "failsafe.store_timeout"


class StoreCorruptError(StoreError):
    """The store holds something that is not a history store (another file, undecodable data)."""

    code = "failsafe.store_corrupt"


class LLMError(GuardrailError):
    """The LLM classifier could not give a usable answer; `code` is the failsafe reason."""

    code = "failsafe.llm_error"


class LLMUnavailableError(LLMError):
    """Rate limits, server errors or connection failures lasted past the deadline."""

    code = "failsafe.llm_unavailable"


class LLMTimeoutError(LLMError):
    """Attempts timed out until the deadline."""

    code = "failsafe.llm_timeout"


class LLMMalformedError(LLMError):
    """The model's output did not match the schema."""

    code = "failsafe.llm_malformed"


class LLMRefusedError(LLMError):
    """The model refused to classify."""

    code = "failsafe.llm_refused"


class SinkError(GuardrailError):
    """A handoff (or an alert event) could not be delivered.

    Attributes:
        retryable: whether a later attempt may succeed (a timeout or a 503, not a 400).
        spooled: whether the handoff was written to a spool for `replay`.
        status: the last HTTP status the receiver answered, if any.
    """

    def __init__(self, message: str, *, retryable: bool, spooled: bool = False,
                 status: int | None = None) -> None:
        self.retryable = retryable
        self.spooled = spooled
        self.status = status
        super().__init__(message)


class UndeclaredToolError(UserError):
    """The agent was given tools the tool catalogue does not declare; `tools` names them.

    Such a tool would be hidden from the model and every call to it denied
    (``policy.unknown_tool``), so the adapters refuse it at construction instead of at the
    customer's expense. The message says how to declare them.
    """

    def __init__(self, tools: Sequence[str]) -> None:
        self.tools = sorted(set(tools))
        names = ", ".join(self.tools)
        super().__init__(
            f"tool(s) not in the tool catalogue: {names}. guardrail would hide them from the "
            "model and deny every call (policy.unknown_tool). Declare each one: pass "
            "tools=[ToolSpec(name=..., description=..., effects=[...], customer_args=[...])] "
            "to the adapter (or Guardrail.declare_tools), or add it to a registry overlay's "
            "tools file. To only warn, pass undeclared='warn'."
        )


class OverrideRefusedError(UserError):
    """An agent override the registry does not let its role make: clearing (or verifying away)
    a segment of critical risk needs a role in ``settings.governance.overrides.critical_roles``.

    Carries the `segment`, the `role` refused and the `allowed` roles, so a desk can say who to
    ask instead.
    """

    def __init__(self, segment: str, role: str, allowed: Sequence[str]) -> None:
        self.segment = segment
        self.role = role
        self.allowed = list(allowed)
        super().__init__(
            f"role {role!r} may not clear {segment!r}, a segment of critical risk; ask someone "
            f"in one of these roles: {', '.join(self.allowed)}"
        )


class MissingCustomerError(UserError):
    """Customer-bound tools exist but the session's context has no ``customer_id``.

    Every call to such a tool would be denied (its customer arguments cannot be bound), so the
    adapters say so instead of denying silently. `tools` names the customer-bound tools.
    """

    def __init__(self, tools: Sequence[str]) -> None:
        self.tools = sorted(set(tools))
        super().__init__(
            f"the session has no customer_id, so every call to these customer-bound tools will "
            f"be denied: {', '.join(self.tools)}. Pass context={{'customer_id': ...}} (the "
            "signed-in customer), or pass missing_customer='warn' if anonymous sessions are "
            "expected."
        )


class ScenarioError(UserError):
    """Eval input (scenario files, the eval config) failed validation; `issues` lists them all."""

    def __init__(self, issues: Sequence[RegistryIssue], what: str = "scenarios") -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid {what} ({len(self.issues)} problem(s)):\n{lines}")


class LanguageModelMissingError(GuardrailError, ImportError):
    """The language identifier's package is not installed; the message names the pip requirement."""


class AlertDeliveryError(SinkError):
    """Alert events a webhook did not take, after its retries.

    Delivery stops at the first event that fails (the receiver is failing, and every further
    event would spend its own retries), so that event and those after it are undelivered.

    Attributes:
        sent: events delivered before the failure.
        undelivered: events not delivered.
        fallback: the JSONL file they were appended to, or None if none was given.
        spooled: whether they are safe in `fallback`.
        retryable, status: those of the last failure (`SinkError`).
    """

    def __init__(self, message: str, *, sent: int, undelivered: int, fallback: str | None,
                 cause: SinkError) -> None:
        self.sent = sent
        self.undelivered = undelivered
        self.fallback = fallback
        super().__init__(message, retryable=cause.retryable, spooled=fallback is not None,
                         status=cause.status)
