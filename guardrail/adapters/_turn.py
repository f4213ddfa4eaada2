"""What every adapter does for one turn, whatever framework it plugs into.

Gating one tool call (the gate, its ``guardrail.tool_gate`` span and its audit record) and handing
a conversation over (build the summary, deliver it inside a ``guardrail.handoff`` span, audit the
delivery) are the same steps for LangChain and for the OpenAI client; they live here once, and
the adapters only translate their framework's messages to and from these steps. The async
handoff awaits an async sink (`adeliver`); the sync one refuses it (`deliver`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from opentelemetry.trace import Span

from guardrail.audit import AuditLog, ToolOutcome, audit_key, customer_turn
from guardrail.conversation import Conversation
from guardrail.decision import Decision
from guardrail.engine import Guardrail
from guardrail.gate import CallCheck, check_tool_call
from guardrail.handoff.sinks import SinkLike, adeliver, deliver
from guardrail.handoff.summary import HandoffSummary
from guardrail.tracing import handoff_span, record_delivery, record_verdict, tool_gate_span

__all__ = [
    "ahand_off",
    "audit_decision",
    "gate_call",
    "gate_span",
    "hand_off",
    "handoff_news",
    "record_outcome",
]

# Outcomes the audit log keeps; a call paused for consent is audited when it is answered.
_AUDITED_OUTCOMES = frozenset({"executed", "denied", "declined", "failed", "not_run"})


def gate_call(guard: Guardrail, decision: Decision, conv: Conversation, tool: str,
              arguments: Any) -> CallCheck:
    """The gate's verdict on calling `tool` with `arguments`, for the conversation's customer."""
    return check_tool_call(guard.registry, decision, tool, arguments, conv.context.customer_id)


@contextmanager
def gate_span(tool: str, call_id: str | None, conv: Conversation) -> Iterator[Span]:
    """The span around gating (and running) one tool call of `conv`."""
    with tool_gate_span(tool, call_id, conv.id) as span:
        yield span


def record_outcome(span: Span, check: CallCheck, outcome: str, audit: AuditLog | None,
                   conv: Conversation) -> None:
    """A gated call's verdict and outcome, on its span and (once final) in the audit log."""
    record_verdict(span, check, outcome)
    if audit is not None and outcome in _AUDITED_OUTCOMES:
        audit.tool_call(check.as_record(), conversation_id=audit_key(conv),
                        turn=customer_turn(conv), outcome=cast(ToolOutcome, outcome))


def audit_decision(audit: AuditLog | None, decision: Decision, conv: Conversation) -> None:
    """Record `decision` for the conversation's current customer turn, if there is a log."""
    if audit is not None:
        audit.decision(decision, conversation_id=audit_key(conv), turn=customer_turn(conv))


def handoff_news(previous: Mapping[str, Any] | None, decision: Decision) -> bool:
    """Whether the human needs a (new) summary: none sent yet, another queue, or a new reason.

    A customer who keeps writing after the handoff restates the same problem in other words;
    re-sending the summary for that would flood the queue.
    """
    if not previous:
        return True

    def codes(reasons: Sequence[str]) -> set[str]:
        return {r.split("#", 1)[0] for r in reasons}

    return previous.get("queue") != decision.handoff.queue or not codes(
        decision.handoff.reasons
    ) <= codes(previous.get("reasons", []))


@dataclass(slots=True)
class _Handoff:
    summary: HandoffSummary
    delivery: str = ""


@contextmanager
def _handing_off(decision: Decision, conv: Conversation, tool_calls: Sequence[dict[str, Any]],
                 audit: AuditLog | None) -> Iterator[_Handoff]:
    """The steps around delivery: build the summary, open the span; then record and audit
    the `delivery` the caller set."""
    handoff = _Handoff(HandoffSummary.build(decision, conv, tool_calls=tool_calls))
    with handoff_span(conv.id, decision):
        yield handoff
        record_delivery(handoff.delivery, decision.handoff.reasons)
    if audit is not None:
        audit.handoff(handoff.summary, delivery=handoff.delivery, turn=customer_turn(conv),
                      conversation_id=audit_key(conv))


def hand_off(decision: Decision, conv: Conversation, tool_calls: Sequence[dict[str, Any]],
             sink: SinkLike | None, audit: AuditLog | None) -> tuple[HandoffSummary, str]:
    """Build the handoff summary, deliver it (never raises) and audit it: (summary, delivery)."""
    with _handing_off(decision, conv, tool_calls, audit) as handoff:
        handoff.delivery = deliver(sink, handoff.summary)
    return handoff.summary, handoff.delivery


async def ahand_off(decision: Decision, conv: Conversation, tool_calls: Sequence[dict[str, Any]],
                    sink: SinkLike | None, audit: AuditLog | None) -> tuple[HandoffSummary, str]:
    """Async twin of `hand_off`: an async sink is awaited."""
    with _handing_off(decision, conv, tool_calls, audit) as handoff:
        handoff.delivery = await adeliver(sink, handoff.summary)
    return handoff.summary, handoff.delivery
