"""What every adapter does for one turn, whatever framework it plugs into.

Gating one tool call (the gate, its ``guardrail.gate_tool`` span, the ``execute_tool`` span of
the run when the tool runs, and its audit record) and handing
a conversation over (build the summary, deliver it inside a ``guardrail.handoff`` span, audit the
delivery) are the same steps for LangChain and for the OpenAI client; they live here once, and
the adapters only translate their framework's messages to and from these steps. The async
handoff awaits an async sink (`adeliver`); the sync one refuses it (`deliver`).

Recording (spans and audit records) never breaks a turn: a failure there is logged once and
counted (`AuditLog.failures`), and the turn goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, cast

from opentelemetry.trace import INVALID_SPAN, Span

from guardrail.audit import AuditLog, ToolOutcome, audit_key, audited_exit, customer_turn
from guardrail.audit.writer import audited_override
from guardrail.conversation import Context, Conversation
from guardrail.decision import Decision
from guardrail.engine import ExitEvent, Guardrail
from guardrail.gate import CallCheck, check_tool_call
from guardrail.governance.overrides import Override, OverrideAction
from guardrail.handoff.followup import FOLLOWUPS, Followup
from guardrail.handoff.sinks import (
    HandoffUpdate,
    SinkLike,
    adeliver,
    adeliver_update,
    deliver,
    deliver_update,
)
from guardrail.handoff.summary import HandoffSummary
from guardrail.prompts import AdapterPrompts, Prompts
from guardrail.quarantine import Screened, UntrustedSource, screen
from guardrail.registry.schema import Verifier
from guardrail.tracing import (
    execute_tool_span,
    gate_tool_span,
    handoff_span,
    record_delivery,
    record_tool_error,
    record_verdict,
)

__all__ = [
    "ALREADY_HANDED_OFF",
    "AuditedExits",
    "afollow_up",
    "ahand_off",
    "audit_decision",
    "follow_up",
    "gate_call",
    "gate_span",
    "hand_off",
    "handoff_news",
    "handoff_reply",
    "known_fields",
    "record_outcome",
    "record_run_error",
    "run_span",
    "screen_untrusted",
]

_log = logging.getLogger("guardrail.adapters")

# Outcomes the audit log keeps; a call paused for consent is audited when it is answered.
_AUDITED_OUTCOMES = frozenset({"executed", "denied", "declined", "failed", "not_run"})
_CONTEXT_FIELDS = frozenset(Context.model_fields)


def known_fields(source: object) -> dict[str, Any]:
    """The `Context` fields of an application's own context (a mapping, or an object with
    attributes); anything else it holds is not guardrail's to read."""
    if isinstance(source, Mapping):
        return {k: v for k, v in source.items() if k in _CONTEXT_FIELDS}
    return {f: getattr(source, f) for f in _CONTEXT_FIELDS if hasattr(source, f)}


def gate_call(guard: Guardrail, decision: Decision, conv: Conversation, tool: str,
              arguments: Any) -> CallCheck:
    """The gate's verdict on calling `tool` with `arguments`, for the conversation's customer."""
    verified = {str(kind): values for kind, values in conv.context.verified_identity.items()}
    return check_tool_call(guard.registry, decision, tool, arguments, conv.context.customer_id,
                           verified)


def screen_untrusted(guard: Guardrail, text: str, texts: AdapterPrompts, name: str,
                     source: UntrustedSource = "tool_result") -> Screened:
    """`text` from a tool or a document as the model may read it (`guardrail.quarantine`):
    read by the engine's own detector, quarantined as the registry says."""
    screened = screen(guard.detector, text, source=source,
                      mode=guard.registry.settings.injection.quarantine, texts=texts, name=name)
    if screened.flagged:
        _log.info("%s from %s quarantined (%s): %s", source, name, screened.action,
                  ", ".join(r.code for r in screened.reasons))
    return screened


@contextmanager
def gate_span(tool: str, call_id: str | None, conv: Conversation) -> Iterator[Span]:
    """The span around gating (and running) one tool call of `conv`."""
    with _quiet_span(lambda: gate_tool_span(tool, call_id, conv.id)) as span:
        yield span


@contextmanager
def run_span(
    tool: str, call_id: str | None, *, passthrough: tuple[type[BaseException], ...] = ()
) -> Iterator[Span]:
    """The ``execute_tool`` span around exactly the call of a tool the gate let run; open it
    inside the call's `gate_span`, and never for a call that does not run. What the tool raises
    marks the span failed and passes through (except the `passthrough` control flow)."""
    with _quiet_span(lambda: execute_tool_span(tool, call_id, passthrough=passthrough)) as span:
        yield span


def record_run_error(span: Span) -> None:
    """Mark a `run_span` failed: the tool's failure came back as an error result, not raised."""
    _quietly("execute_tool span", lambda: record_tool_error(span))


def record_outcome(span: Span, check: CallCheck, outcome: str, audit: AuditLog | None,
                   conv: Conversation) -> None:
    """A gated call's verdict and outcome, on its span and (once final) in the audit log."""
    _quietly("tool-gate span", lambda: record_verdict(span, check, outcome))
    if outcome in _AUDITED_OUTCOMES:
        _audited(audit, "tool call", lambda log: log.tool_call(
            check.as_record(), conversation_id=audit_key(conv), turn=customer_turn(conv),
            outcome=cast(ToolOutcome, outcome)))


def audit_decision(audit: AuditLog | None, decision: Decision, conv: Conversation) -> None:
    """Record `decision` for the conversation's current customer turn, if there is a log."""
    _audited(audit, "decision", lambda log: log.decision(
        decision, conversation_id=audit_key(conv), turn=customer_turn(conv),
        context=conv.context))


def _audited(audit: AuditLog | None, what: str, write: Callable[[AuditLog], None]) -> None:
    """Write one audit record; a failure is counted on the log, never raised into the turn."""
    if audit is None:
        return
    try:
        write(audit)
    except Exception as exc:  # the writer keeps disk errors; this is a record it could not build
        try:
            audit.failed(exc, what)
        except Exception:  # pragma: no cover - a broken AuditLog subclass
            _log.exception("audit log failed to count a failure")


def _quietly(what: str, step: Callable[[], object]) -> None:
    """Run a recording step; a failure is logged (by type), never raised into the turn."""
    try:
        step()
    except Exception as exc:
        _log.warning("%s could not be recorded (%s)", what, type(exc).__name__)


@contextmanager
def _quiet_span(open_span: Callable[[], AbstractContextManager[Span]]) -> Iterator[Span]:
    """The span `open_span` makes, or a non-recording one when tracing fails: entering and
    leaving a span never raises into the turn; what the body raises passes through."""
    try:
        manager = open_span()
        span = manager.__enter__()
    except Exception as exc:
        _log.warning("a span could not be started (%s)", type(exc).__name__)
        yield INVALID_SPAN
        return
    try:
        yield span
    except BaseException as exc:
        try:
            manager.__exit__(type(exc), exc, exc.__traceback__)
        except Exception as closing:
            _log.warning("a span could not be ended (%s)", type(closing).__name__)
        raise
    else:
        _quietly("span end", lambda: manager.__exit__(None, None, None))


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


def _delivered(decision: Decision, conv: Conversation, summary: HandoffSummary, delivery: str,
               audit: AuditLog | None) -> tuple[HandoffSummary, str]:
    """Record how the delivery went, on the open handoff span and in the audit log."""
    _quietly("handoff delivery", lambda: record_delivery(delivery, decision.handoff.reasons))
    _audited(audit, "handoff", lambda log: log.handoff(
        summary, delivery=delivery, turn=customer_turn(conv), conversation_id=audit_key(conv)))
    return summary, delivery


ALREADY_HANDED_OFF = "already_handed_off"
"""The delivery of a later turn of a conversation already handed off: no summary was sent."""


def _advance(decision: Decision, conv: Conversation, sink: SinkLike | None) -> Followup:
    """This turn's place after a handoff (`guardrail.handoff.followup`); a failure there
    counts as a first handoff (sending the summary again beats losing it)."""
    try:
        return FOLLOWUPS.advance(sink, conv.id, decision)
    except Exception as exc:
        _log.error("handoff follow-up state failed (%s)", type(exc).__name__)
        return Followup("handoff" if decision.handoff.required else "none", None)


def _update(followup: Followup, conv: Conversation,
            kind: Literal["status", "withdrawn"]) -> HandoffUpdate:
    state = followup.state
    return HandoffUpdate(
        conversation_id=conv.id, kind=kind, queue=state.queue if state else None,
        reasons=list(state.reasons) if state else [],
        status_replies=state.status_replies if state else 0,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"))


def hand_off(decision: Decision, conv: Conversation, tool_calls: Sequence[dict[str, Any]],
             sink: SinkLike | None, audit: AuditLog | None) -> tuple[HandoffSummary, str]:
    """Build the handoff summary, deliver it and audit it: (summary, delivery). Never raises:
    the summary degrades and delivery reports its failure (`guardrail.handoff`), and the span
    and the audit record are best effort.

    Once per conversation (`guardrail.handoff.followup`): a later turn that still requires
    the same handoff sends the sink a ``status`` update instead of the summary again, and
    its delivery is `ALREADY_HANDED_OFF`; new reasons or another queue send the new summary.
    `handoff_reply` is what the customer reads."""
    followup = _advance(decision, conv, sink)
    summary = HandoffSummary.build(decision, conv, tool_calls=tool_calls)
    if not followup.sends_summary:
        deliver_update(sink, _update(followup, conv, "status"))
        return summary, ALREADY_HANDED_OFF
    with _quiet_span(lambda: handoff_span(conv.id, decision)):
        return _delivered(decision, conv, summary, deliver(sink, summary), audit)


async def ahand_off(decision: Decision, conv: Conversation, tool_calls: Sequence[dict[str, Any]],
                    sink: SinkLike | None, audit: AuditLog | None) -> tuple[HandoffSummary, str]:
    """Async twin of `hand_off`: an async sink is awaited."""
    followup = _advance(decision, conv, sink)
    summary = HandoffSummary.build(decision, conv, tool_calls=tool_calls)
    if not followup.sends_summary:
        await adeliver_update(sink, _update(followup, conv, "status"))
        return summary, ALREADY_HANDED_OFF
    with _quiet_span(lambda: handoff_span(conv.id, decision)):
        return _delivered(decision, conv, summary, await adeliver(sink, summary), audit)


def handoff_reply(prompts: Prompts, decision: Decision, conv: Conversation,
                  sink: SinkLike | None) -> str:
    """What the customer reads on a handoff turn: the handoff message the first time (and
    when the queue changes), then a status reply rotated so two in a row never repeat."""
    try:
        state = FOLLOWUPS.state(sink, conv.id)
    except Exception:
        state = None
    if state is not None and state.replied_status:
        return prompts.status_reply(decision, state.status_replies - 1)
    return prompts.handoff_message(decision)


def follow_up(decision: Decision, conv: Conversation, sink: SinkLike | None) -> str | None:
    """On a turn that needs no handoff: a conversation handed off only for non-critical
    reasons (a person asked for, friction) whose customer withdrew sends the sink a
    ``withdrawn`` update; returns its delivery, or None when there was nothing to withdraw.
    Never raises."""
    followup = _advance(decision, conv, sink)
    if followup.kind != "withdrawn":
        return None
    return deliver_update(sink, _update(followup, conv, "withdrawn"))


async def afollow_up(decision: Decision, conv: Conversation, sink: SinkLike | None) -> str | None:
    """Async twin of `follow_up`: an async `update` is awaited."""
    followup = _advance(decision, conv, sink)
    if followup.kind != "withdrawn":
        return None
    return await adeliver_update(sink, _update(followup, conv, "withdrawn"))


class AuditedExits:
    """`verify`, `resolve` and `override` for an adapter holding a `guard` and an `audit` log:
    the exit event (DESIGN principle 9) or agent override is made by the guard and written to
    the audit log in one call."""

    guard: Guardrail
    audit: AuditLog | None

    def verify(
        self, conversation_id: str, segment: str, *, by: Verifier, who: str, why: str
    ) -> ExitEvent:
        """`Guardrail.verify`, with the event written to `audit`."""
        return audited_exit(self.audit, self.guard.verify(conversation_id, segment, by=by,
                                                          who=who, why=why))

    def resolve(
        self, conversation_id: str, segment: str, *, by: Verifier, who: str, why: str
    ) -> ExitEvent:
        """`Guardrail.resolve`, with the event written to `audit`."""
        return audited_exit(self.audit, self.guard.resolve(conversation_id, segment, by=by,
                                                           who=who, why=why))

    def override(
        self, conversation_id: str, segment: str, action: OverrideAction, *, who: str,
        role: str, why: str, customer_id: str | None = None,
    ) -> Override:
        """`Guardrail.override`, with the override written to `audit`."""
        return audited_override(self.audit, self.guard.override(
            conversation_id, segment, action, who=who, role=role, why=why,
            customer_id=customer_id))
