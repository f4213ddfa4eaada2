"""OpenTelemetry tracing: one span per check, one per gated tool call, one per tool run.

The library uses only the OpenTelemetry *API*; the application (or the CLI / demo, through
`configure`) installs the SDK and its exporters. Without an SDK every span is a no-op costing a
few microseconds (the check span is not even opened: `check_span`), and attributes are computed
only for spans that are recorded.

Span names and attributes follow the OpenTelemetry GenAI semantic conventions where a GenAI
operation really happens, and stay in guardrail's own ``guardrail.*`` namespace where it does
not: checking a turn and gating a call are not GenAI operations, so their spans carry no
``gen_ai.operation.name`` and never an ``execute_tool``, ``chat`` or ``invoke_agent`` name.
A dashboard counting ``execute_tool`` spans (beside LangChain's or OpenInference's) therefore
counts the tools that ran, not the calls a model asked for.

``guardrail.check`` — one per `Guardrail.check`
    ``gen_ai.conversation.id``, ``guardrail.policy_version``, ``guardrail.need_state``,
    ``guardrail.need_confidence``, ``guardrail.risk_tier``, ``guardrail.segments``,
    ``guardrail.detectors.friction``, ``guardrail.handoff.required``, ``guardrail.handoff.offered``,
    ``guardrail.handoff.queue``, ``guardrail.handoff.priority``, ``guardrail.handoff.reasons``,
    ``guardrail.reason_codes``, ``guardrail.tools.denied``, ``guardrail.tools.confirm``,
    ``guardrail.retrieval_scope``, ``guardrail.directives``, ``guardrail.failsafe``,
    ``guardrail.language``.
    Events: ``guardrail.segment_assigned`` per segment (``guardrail.segment.id``,
    ``guardrail.segment.tier``, ``guardrail.reason_codes``, ``guardrail.evidence`` — redacted),
    ``guardrail.tool_verdict`` per tool that is not simply allowed (``gen_ai.tool.name``,
    ``guardrail.tool.verdict``, ``guardrail.reason_codes``), ``guardrail.handoff`` when a
    human must take over, and ``guardrail.shadow.diff`` when a shadow policy would have decided
    differently (both policy versions, ``guardrail.shadow.differences`` and the shadow's
    ``guardrail.shadow.*`` need, risk, segments, handoff and tools; its own check is untraced).

``guardrail.gate_tool {tool}`` — one per tool call an adapter gates, whatever the verdict
    ``gen_ai.tool.name``, ``gen_ai.tool.call.id``, ``gen_ai.conversation.id``,
    ``guardrail.tool.verdict``, ``guardrail.reason_codes``, ``guardrail.tool.bound_args``,
    ``guardrail.tool.outcome``; event ``guardrail.tool_verdict``. It spans the whole handling
    of the call: the check, the verdict, the confirmation asked for, the run and the screening
    of the result.

``execute_tool {tool}`` — the GenAI span, one per tool that actually runs
    ``gen_ai.operation.name`` (``execute_tool``), ``gen_ai.tool.name``, ``gen_ai.tool.call.id``,
    ``gen_ai.tool.type`` (``function``); on failure ``error.type`` and the status error. Opened
    by the adapter around exactly the call of the tool, only when the gate let it run (allowed,
    or confirmed), as a *child* of the call's gate span: the parent holds why the tool was
    allowed, the child what running it cost, and the tool's own spans (HTTP, SQL) nest under
    the child. A denied, declined or unapproved call, or one with no implementation, has a
    gate span and no ``execute_tool`` span. ``error.type`` is the exception's class name
    (``__qualname__``) when the tool raised, and ``tool_error`` when the framework had already
    turned the failure into an error result (a LangChain ``ToolMessage`` with status
    ``error``).

``guardrail.handoff`` — one per handoff summary built and delivered by an adapter
    ``gen_ai.conversation.id``, ``guardrail.policy_version``, ``guardrail.handoff.queue``,
    ``guardrail.handoff.priority``, ``guardrail.handoff.mode``, ``guardrail.handoff.reasons``,
    ``guardrail.handoff.delivery`` (delivered, no_sink or failed: <type>; a failure also sets
    the span status to error); event ``guardrail.handoff_delivery``.

Events on the current span: ``guardrail.retrieval_scoped`` (allowed and dropped document
sources, and the reason codes of the drops), ``guardrail.injection_quarantined`` (where an
untrusted text came from, what was done, how many parts were withheld, the reason codes).

Nothing else goes into a span: no message text, and evidence only as the redacted excerpt the
reason code already carries. Text that may quote the customer (evidence, document sources, a
tool's outcome, a delivery failure, the message and stack trace of an exception escaping a
``guardrail.check``, ``guardrail.handoff`` or ``execute_tool`` span, and a tool's name, which a
model may make up) goes through `guardrail.redact.redact`, the same pass as summaries, sinks,
the spool and the audit log. Identifiers the caller chooses (the conversation id, the tool call
id) are kept verbatim: they are the keys, so they must not be personal data.

Logs: `RedactingFilter` redacts a log record's message, arguments, exception and stack text in
place. Importing this module installs it for the whole ``guardrail`` logger tree (see
`install_log_redaction`), so no guardrail log line carries a card number or an e-mail address
quoted in an exception.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Final, Protocol

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from guardrail.redact import redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from guardrail.decision import Decision, Verdict
    from guardrail.reasons import ReasonCode

__all__ = [
    "ATTR_ARM",
    "ATTR_CONVERSATION_ID",
    "ATTR_DIRECTIVES",
    "ATTR_ERROR_TYPE",
    "ATTR_EVIDENCE",
    "ATTR_FAILSAFE",
    "ATTR_FRICTION",
    "ATTR_HANDOFF_DELIVERY",
    "ATTR_HANDOFF_MODE",
    "ATTR_HANDOFF_OFFERED",
    "ATTR_HANDOFF_PRIORITY",
    "ATTR_HANDOFF_QUEUE",
    "ATTR_HANDOFF_REASONS",
    "ATTR_HANDOFF_REQUIRED",
    "ATTR_HELD_OUT",
    "ATTR_LANGUAGE",
    "ATTR_NEED_CONFIDENCE",
    "ATTR_NEED_STATE",
    "ATTR_OPERATION_NAME",
    "ATTR_POLICY_VERSION",
    "ATTR_QUARANTINE_ACTION",
    "ATTR_QUARANTINE_SOURCE",
    "ATTR_QUARANTINE_WITHHELD",
    "ATTR_REASON_CODES",
    "ATTR_RETRIEVAL_ALLOWED",
    "ATTR_RETRIEVAL_DROPPED",
    "ATTR_RETRIEVAL_SCOPE",
    "ATTR_RISK_TIER",
    "ATTR_SEGMENTS",
    "ATTR_SEGMENT_ID",
    "ATTR_SEGMENT_TIER",
    "ATTR_SHADOW_DIFFERENCES",
    "ATTR_SHADOW_HANDOFF_REQUIRED",
    "ATTR_SHADOW_NEED_STATE",
    "ATTR_SHADOW_POLICY_VERSION",
    "ATTR_SHADOW_RISK_TIER",
    "ATTR_SHADOW_SEGMENTS",
    "ATTR_SHADOW_TOOLS_CONFIRM",
    "ATTR_SHADOW_TOOLS_DENIED",
    "ATTR_TOOLS_CONFIRM",
    "ATTR_TOOLS_DENIED",
    "ATTR_TOOL_BOUND_ARGS",
    "ATTR_TOOL_CALL_ID",
    "ATTR_TOOL_NAME",
    "ATTR_TOOL_OUTCOME",
    "ATTR_TOOL_TYPE",
    "ATTR_TOOL_VERDICT",
    "ERROR_TOOL_RESULT",
    "EVENT_HANDOFF",
    "EVENT_HANDOFF_DELIVERY",
    "EVENT_QUARANTINED",
    "EVENT_RETRIEVAL_SCOPED",
    "EVENT_SEGMENT_ASSIGNED",
    "EVENT_SHADOW_DIFF",
    "EVENT_TOOL_VERDICT",
    "OPERATION_EXECUTE_TOOL",
    "SPAN_CHECK",
    "SPAN_GATE_TOOL",
    "SPAN_HANDOFF",
    "TOOL_TYPE_FUNCTION",
    "GatedCall",
    "RedactingFilter",
    "Verbatim",
    "check_span",
    "configure",
    "execute_tool_span",
    "gate_tool_span",
    "handoff_span",
    "install_log_redaction",
    "record_decision",
    "record_delivery",
    "record_quarantine",
    "record_retrieval",
    "record_shadow",
    "record_tool_error",
    "record_verdict",
    "untraced",
]

# The names below are the wire contract dashboards and alerts are built on: change none of them
# without a note in the changelog.

SPAN_CHECK: Final = "guardrail.check"
"""The span around one `Guardrail.check`."""
SPAN_GATE_TOOL: Final = "guardrail.gate_tool"
"""The gate span's name, followed by the tool's: ``guardrail.gate_tool issue_refund``."""
SPAN_HANDOFF: Final = "guardrail.handoff"
"""The span around building and delivering one handoff summary."""

EVENT_SEGMENT_ASSIGNED: Final = "guardrail.segment_assigned"
"""One per segment the decision assigned."""
EVENT_TOOL_VERDICT: Final = "guardrail.tool_verdict"
"""One per tool that is not simply allowed (check span), or for the gated call (gate span)."""
EVENT_HANDOFF: Final = "guardrail.handoff"
"""On the check span when a human must take over."""
EVENT_HANDOFF_DELIVERY: Final = "guardrail.handoff_delivery"
"""How a handoff summary's delivery went."""
EVENT_RETRIEVAL_SCOPED: Final = "guardrail.retrieval_scoped"
"""Which document sources a retrieval scoping let through and which it dropped."""
EVENT_QUARANTINED: Final = "guardrail.injection_quarantined"
"""An untrusted text (tool result, document) carried an instruction and was quarantined."""
EVENT_SHADOW_DIFF: Final = "guardrail.shadow.diff"
"""On the check span when a shadow (candidate) policy would have decided the turn differently."""

# GenAI semantic conventions (and the general ``error.type``). Copied, not imported: the
# incubating semconv package is no runtime dependency; tests/test_tracing_genai.py checks these
# against it when it is installed.
OPERATION_EXECUTE_TOOL: Final = "execute_tool"
"""The GenAI operation of running a tool: ``gen_ai.operation.name`` and the span name's head."""
TOOL_TYPE_FUNCTION: Final = "function"
"""``gen_ai.tool.type`` of a tool the application runs itself (every tool guardrail gates)."""
ATTR_CONVERSATION_ID: Final = "gen_ai.conversation.id"
"""The conversation id the caller gave."""
ATTR_OPERATION_NAME: Final = "gen_ai.operation.name"
"""The GenAI operation (``execute_tool``; only on ``execute_tool`` spans)."""
ATTR_TOOL_NAME: Final = "gen_ai.tool.name"
"""The tool's name (redacted, cut to 80 characters: a model may make one up)."""
ATTR_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
"""The model's id for the tool call."""
ATTR_TOOL_TYPE: Final = "gen_ai.tool.type"
"""``function``."""
ATTR_ERROR_TYPE: Final = "error.type"
"""Why an ``execute_tool`` span failed: the exception's class name, or `ERROR_TOOL_RESULT`."""
ERROR_TOOL_RESULT: Final = "tool_error"
"""``error.type`` of a tool whose failure the framework returned as an error result."""

# The guardrail.* namespace.
ATTR_POLICY_VERSION: Final = "guardrail.policy_version"
"""The registry version the decision was made under."""
ATTR_NEED_STATE: Final = "guardrail.need_state"
"""The need-state the turn was assigned."""
ATTR_NEED_CONFIDENCE: Final = "guardrail.need_confidence"
"""The need-state's confidence, rounded to 4 places."""
ATTR_RISK_TIER: Final = "guardrail.risk_tier"
"""The decision's risk tier."""
ATTR_SEGMENTS: Final = "guardrail.segments"
"""The ids of the segments assigned."""
ATTR_FRICTION: Final = "guardrail.detectors.friction"
"""The friction signals the detectors found."""
ATTR_HANDOFF_REQUIRED: Final = "guardrail.handoff.required"
"""Whether a human must take over now."""
ATTR_HANDOFF_OFFERED: Final = "guardrail.handoff.offered"
"""Whether a human must at least be offered."""
ATTR_HANDOFF_QUEUE: Final = "guardrail.handoff.queue"
"""The queue the handoff goes to."""
ATTR_HANDOFF_PRIORITY: Final = "guardrail.handoff.priority"
"""The handoff's priority."""
ATTR_HANDOFF_MODE: Final = "guardrail.handoff.mode"
"""Hand off at once, or after collecting what the conversation holds."""
ATTR_HANDOFF_REASONS: Final = "guardrail.handoff.reasons"
"""Why the handoff (reason codes as ``code#rule_id``)."""
ATTR_HANDOFF_DELIVERY: Final = "guardrail.handoff.delivery"
"""``delivered``, ``no_sink`` or ``failed: <error type>``."""
ATTR_REASON_CODES: Final = "guardrail.reason_codes"
"""Reason codes as ``code#rule_id``."""
ATTR_TOOLS_DENIED: Final = "guardrail.tools.denied"
"""The tools the decision denies."""
ATTR_TOOLS_CONFIRM: Final = "guardrail.tools.confirm"
"""The tools that need the customer's confirmation."""
ATTR_RETRIEVAL_SCOPE: Final = "guardrail.retrieval_scope"
"""The document scopes retrieval may draw from."""
ATTR_DIRECTIVES: Final = "guardrail.directives"
"""The behaviour directive ids."""
ATTR_FAILSAFE: Final = "guardrail.failsafe"
"""Whether the decision is the fail-closed one."""
ATTR_LANGUAGE: Final = "guardrail.language"
"""The customer's language (BCP 47; ``und`` when unknown)."""
ATTR_ARM: Final = "guardrail.arm"
"""``policy`` or ``holdout`` (`guardrail.governance.arms`)."""
ATTR_HELD_OUT: Final = "guardrail.held_out"
"""Holdout arm: the segments assigned but not acted on."""
ATTR_SEGMENT_ID: Final = "guardrail.segment.id"
"""A segment's id (segment event)."""
ATTR_SEGMENT_TIER: Final = "guardrail.segment.tier"
"""A segment's tier (segment event)."""
ATTR_EVIDENCE: Final = "guardrail.evidence"
"""Redacted evidence excerpts (segment event)."""
ATTR_TOOL_VERDICT: Final = "guardrail.tool.verdict"
"""``allow``, ``confirm`` or ``deny``."""
ATTR_TOOL_BOUND_ARGS: Final = "guardrail.tool.bound_args"
"""Argument names the gate bound to the session's customer."""
ATTR_TOOL_OUTCOME: Final = "guardrail.tool.outcome"
"""What happened to the gated call."""
ATTR_RETRIEVAL_ALLOWED: Final = "guardrail.retrieval.allowed"
"""Document sources a scoping let through (redacted)."""
ATTR_RETRIEVAL_DROPPED: Final = "guardrail.retrieval.dropped"
"""Document sources a scoping dropped (redacted)."""
ATTR_QUARANTINE_SOURCE: Final = "guardrail.quarantine.source"
"""Where a quarantined text came from: the tool's name or the document's source id (redacted)."""
ATTR_QUARANTINE_ACTION: Final = "guardrail.quarantine.action"
"""``redacted``, ``dropped`` or ``warned``."""
ATTR_QUARANTINE_WITHHELD: Final = "guardrail.quarantine.withheld"
"""How many parts of the text were withheld."""
ATTR_SHADOW_POLICY_VERSION: Final = "guardrail.shadow.policy_version"
"""The shadow (candidate) registry's version (shadow event; the live one is
``guardrail.policy_version``)."""
ATTR_SHADOW_DIFFERENCES: Final = "guardrail.shadow.differences"
"""The aspects the shadow decision differs in: handoff, risk, tools, segments, need."""
ATTR_SHADOW_NEED_STATE: Final = "guardrail.shadow.need_state"
"""The shadow decision's need-state."""
ATTR_SHADOW_RISK_TIER: Final = "guardrail.shadow.risk_tier"
"""The shadow decision's risk tier."""
ATTR_SHADOW_SEGMENTS: Final = "guardrail.shadow.segments"
"""The ids of the segments the shadow decision assigned."""
ATTR_SHADOW_HANDOFF_REQUIRED: Final = "guardrail.shadow.handoff.required"
"""Whether the shadow decision would have a human take over now."""
ATTR_SHADOW_TOOLS_DENIED: Final = "guardrail.shadow.tools.denied"
"""The tools the shadow decision denies."""
ATTR_SHADOW_TOOLS_CONFIRM: Final = "guardrail.shadow.tools.confirm"
"""The tools the shadow decision would have the customer confirm."""

_SCOPE: Final = "guardrail"
# The exception event's attributes (general semantic conventions), set redacted by us in place
# of the SDK's verbatim copy.
_EXCEPTION_MESSAGE: Final = "exception.message"
_EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
# Span text is cut to this length after redaction: enough to recognise, too short to leak.
_EXCERPT: Final = 80
# An exception's message and a log line are cut longer: they are read to debug, not to skim.
_MESSAGE: Final = 1_000
_STACK: Final = 16_000
AttributeValue = str | bool | int | float | Sequence[str]


class GatedCall(Protocol):
    """What a gate span records of the gate's answer (`guardrail.gate.CallCheck` fits).

    Declared here so the recorder does not import the gate it records.
    """

    @property
    def tool(self) -> str:
        """The tool name as the model called it."""

    @property
    def action(self) -> Verdict:
        """``allow``, ``confirm`` or ``deny``."""

    @property
    def reasons(self) -> Sequence[ReasonCode]:
        """Why; empty for a plain allow."""

    @property
    def bound(self) -> Sequence[str]:
        """The argument names filled in from the session."""


@cache
def _tracer() -> Tracer:
    from guardrail._version import __version__

    return trace.get_tracer(_SCOPE, __version__)


def _record_error(span: Span, exc: BaseException) -> None:
    """Record `exc` on `span` as the SDK would, but with its message and stack trace redacted.

    The SDK's own recording (``record_exception=True``) copies ``str(exc)`` verbatim into the
    event and the span status, and an exception raised on customer data quotes it.
    """
    if not span.is_recording():
        return
    message = redact(str(exc), _MESSAGE)
    span.record_exception(exc, escaped=True, attributes={
        _EXCEPTION_MESSAGE: message,
        _EXCEPTION_STACKTRACE: redact("".join(traceback.format_exception(exc)), _STACK),
    })
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {message}"))


@contextmanager
def _redacted_span(name: str) -> Iterator[Span]:
    with _tracer().start_as_current_span(
        name, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except BaseException as exc:
            _record_error(span, exc)
            raise


# What `check_span` gives when nothing could record it: the current span stays current.
_UNTRACED: Final = nullcontext(trace.INVALID_SPAN)


def check_span(conversation_id: str | None) -> AbstractContextManager[Span]:
    """The ``guardrail.check`` span around one check (an escaping exception is recorded
    redacted).

    Without a tracer provider (no SDK installed or configured) and with no recording span
    current, the API's no-op tracer would make the current non-recording span current again
    and record nothing: that costs about ten microseconds per check, so it is skipped and a
    non-recording span is returned at once. Anything else (an SDK provider, or a span of some
    other provider current) takes the full path, so what is recorded is unchanged.
    """
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider) and (
        not trace.get_current_span().is_recording()
    ):
        return _UNTRACED
    return _check_span(conversation_id)


@contextmanager
def _check_span(conversation_id: str | None) -> Iterator[Span]:
    with _redacted_span(SPAN_CHECK) as span:
        if conversation_id is not None and span.is_recording():
            span.set_attribute(ATTR_CONVERSATION_ID, conversation_id)
        yield span


def record_decision(span: Span, decision: Decision) -> None:
    """Put `decision` on the check span: attributes, then one event per effect."""
    if not span.is_recording():
        return
    handoff = decision.handoff
    attributes: dict[str, AttributeValue] = {
        ATTR_POLICY_VERSION: decision.policy_version,
        ATTR_NEED_STATE: decision.need_state,
        ATTR_NEED_CONFIDENCE: round(decision.need_confidence, 4),
        ATTR_RISK_TIER: decision.risk_tier,
        ATTR_SEGMENTS: decision.segment_ids(),
        ATTR_FRICTION: list(decision.friction),
        ATTR_HANDOFF_REQUIRED: handoff.required,
        ATTR_HANDOFF_OFFERED: handoff.offered,
        ATTR_HANDOFF_PRIORITY: handoff.priority,
        ATTR_HANDOFF_REASONS: list(handoff.reasons),
        ATTR_REASON_CODES: [str(r) for r in decision.reason_codes],
        ATTR_TOOLS_DENIED: decision.denied_tools,
        ATTR_TOOLS_CONFIRM: decision.confirm_tools,
        ATTR_RETRIEVAL_SCOPE: list(decision.retrieval_scope),
        ATTR_DIRECTIVES: list(decision.directives),
        ATTR_FAILSAFE: decision.failsafe,
        ATTR_LANGUAGE: decision.language,
        ATTR_ARM: decision.arm,
    }
    if decision.held_out:
        attributes[ATTR_HELD_OUT] = list(decision.held_out)
    if handoff.queue:
        attributes[ATTR_HANDOFF_QUEUE] = handoff.queue
    span.set_attributes(attributes)
    for segment in decision.segments:
        span.add_event(EVENT_SEGMENT_ASSIGNED, {
            ATTR_SEGMENT_ID: segment.id,
            ATTR_SEGMENT_TIER: segment.tier,
            ATTR_REASON_CODES: [str(r) for r in segment.reasons],
            ATTR_EVIDENCE: [redact(r.evidence, _EXCERPT) for r in segment.reasons if r.evidence],
        })
    for verdict in decision.tools:
        if verdict.verdict != "allow":
            span.add_event(EVENT_TOOL_VERDICT, {
                ATTR_TOOL_NAME: verdict.tool,
                ATTR_TOOL_VERDICT: verdict.verdict,
                ATTR_REASON_CODES: [str(r) for r in verdict.reasons],
            })
    if handoff.required:
        span.add_event(EVENT_HANDOFF, {
            ATTR_HANDOFF_MODE: handoff.mode,
            ATTR_HANDOFF_QUEUE: handoff.queue or "",
            ATTR_HANDOFF_PRIORITY: handoff.priority,
            ATTR_HANDOFF_REASONS: list(handoff.reasons),
        })
    if decision.failsafe:
        span.set_status(Status(StatusCode.ERROR, "fail-closed decision"))


def record_shadow(
    span: Span, live_version: str, shadow: Decision, differences: Sequence[str]
) -> None:
    """Put a ``guardrail.shadow.diff`` event on the (live) check span: both policy versions,
    the aspects that differ and what the shadow decided (names and tiers, no text)."""
    if not span.is_recording():
        return
    span.add_event(EVENT_SHADOW_DIFF, {
        ATTR_POLICY_VERSION: live_version,
        ATTR_SHADOW_POLICY_VERSION: shadow.policy_version,
        ATTR_SHADOW_DIFFERENCES: list(differences),
        ATTR_SHADOW_NEED_STATE: shadow.need_state,
        ATTR_SHADOW_RISK_TIER: shadow.risk_tier,
        ATTR_SHADOW_SEGMENTS: shadow.segment_ids(),
        ATTR_SHADOW_HANDOFF_REQUIRED: shadow.handoff.required,
        ATTR_SHADOW_TOOLS_DENIED: shadow.denied_tools,
        ATTR_SHADOW_TOOLS_CONFIRM: shadow.confirm_tools,
    })


@contextmanager
def untraced() -> Iterator[None]:
    """Spans opened inside are not sampled (under the SDK's default parent-based sampler).

    A shadow policy runs a whole second check inside the live one; its own ``guardrail.check``
    span would be counted by every dashboard as a turn. Its result goes on the live span as a
    ``guardrail.shadow.diff`` event instead.
    """
    current = trace.get_current_span().get_span_context()
    unsampled = trace.NonRecordingSpan(trace.SpanContext(
        trace_id=current.trace_id, span_id=current.span_id, is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.DEFAULT),
    ))
    with trace.use_span(unsampled, end_on_exit=False):
        yield


@lru_cache(maxsize=1024)
def _tool_label(tool: str) -> str:
    """A tool's name as spans carry it: a model may call a tool by any name, even one quoting
    the customer, and a span name is indexed by every backend (cached: names repeat)."""
    return redact(tool, _EXCERPT)


@contextmanager
def gate_tool_span(
    tool: str, call_id: str | None, conversation_id: str | None
) -> Iterator[Span]:
    """The ``guardrail.gate_tool {tool}`` span around gating (and running) one tool call.

    Not a GenAI operation: it carries the gate's verdict, and the ``execute_tool`` span of the
    run, when the tool runs, opens inside it (`execute_tool_span`). A LangGraph interrupt (a
    confirmation pausing the run) passes through this span as an exception; it is control flow,
    not an error, so exceptions are not recorded here.
    """
    label = _tool_label(tool)
    with _tracer().start_as_current_span(
        f"{SPAN_GATE_TOOL} {label}", record_exception=False, set_status_on_exception=False
    ) as span:
        if span.is_recording():
            span.set_attribute(ATTR_TOOL_NAME, label)
            if call_id:
                span.set_attribute(ATTR_TOOL_CALL_ID, call_id)
            if conversation_id is not None:
                span.set_attribute(ATTR_CONVERSATION_ID, conversation_id)
        yield span


@contextmanager
def execute_tool_span(
    tool: str, call_id: str | None, *, passthrough: tuple[type[BaseException], ...] = ()
) -> Iterator[Span]:
    """The GenAI ``execute_tool {tool}`` span around running one tool the gate let through.

    Open it around exactly the call of the tool, and only when the tool runs: a call that was
    denied, declined or never approved gets no such span, so counting these spans counts the
    tools that ran. An exception escaping it sets ``error.type`` (the exception's class name)
    and the status error, and is recorded redacted, except those in `passthrough`: control flow
    such as a LangGraph interrupt raised inside the tool, which pauses the run rather than
    failing the tool.

    Args:
        tool: the tool's name.
        call_id: the model's id for the call, if it gave one.
        passthrough: exception types that leave the span without marking it failed.
    """
    label = _tool_label(tool)
    with _tracer().start_as_current_span(
        f"{OPERATION_EXECUTE_TOOL} {label}", record_exception=False,
        set_status_on_exception=False,
    ) as span:
        if span.is_recording():
            span.set_attributes({
                ATTR_OPERATION_NAME: OPERATION_EXECUTE_TOOL,
                ATTR_TOOL_NAME: label,
                ATTR_TOOL_TYPE: TOOL_TYPE_FUNCTION,
            })
            if call_id:
                span.set_attribute(ATTR_TOOL_CALL_ID, call_id)
        try:
            yield span
        except passthrough:
            raise
        except Exception as exc:
            if span.is_recording():
                span.set_attribute(ATTR_ERROR_TYPE, type(exc).__qualname__)
            _record_error(span, exc)
            raise


def record_tool_error(span: Span, error_type: str = ERROR_TOOL_RESULT) -> None:
    """Mark an ``execute_tool`` span failed when the tool's failure came back as a result.

    A framework may catch what the tool raised and hand back an error result instead (LangChain's
    ``ToolMessage`` with status ``error``); the span still says the run failed, with
    `error_type` as ``error.type`` (the exception itself is no longer at hand).
    """
    if not span.is_recording():
        return
    span.set_attribute(ATTR_ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, error_type))


def record_verdict(span: Span, check: GatedCall, outcome: str | None = None) -> None:
    """Put the gate's verdict (and, once known, the outcome) on a gate span.

    Args:
        span: the ``guardrail.gate_tool`` span.
        check: the gate's answer for the call (a `guardrail.gate.CallCheck`).
        outcome: what happened to the call, once known.
    """
    if not span.is_recording():
        return
    codes = [str(r) for r in check.reasons]
    span.set_attributes({
        ATTR_TOOL_VERDICT: check.action,
        ATTR_REASON_CODES: codes,
        ATTR_TOOL_BOUND_ARGS: list(check.bound),
    })
    if outcome is not None:
        span.set_attribute(ATTR_TOOL_OUTCOME, redact(outcome, _EXCERPT))
    span.add_event(EVENT_TOOL_VERDICT, {
        ATTR_TOOL_NAME: _tool_label(check.tool),
        ATTR_TOOL_VERDICT: check.action,
        ATTR_REASON_CODES: codes,
    })


def record_retrieval(allowed: Sequence[str], dropped: Sequence[tuple[str, str]]) -> None:
    """An event on the current span: which document sources a scoping let through."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.add_event(EVENT_RETRIEVAL_SCOPED, {
        ATTR_RETRIEVAL_ALLOWED: [redact(s, _EXCERPT) for s in allowed],
        ATTR_RETRIEVAL_DROPPED: [redact(s, _EXCERPT) for s, _ in dropped],
        ATTR_REASON_CODES: sorted({code for _, code in dropped}),
    })


def record_quarantine(source: str, action: str, withheld: int, codes: Sequence[str]) -> None:
    """An event on the current span: an untrusted text was quarantined (no text of it)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.add_event(EVENT_QUARANTINED, {
        ATTR_QUARANTINE_SOURCE: redact(source, _EXCERPT),
        ATTR_QUARANTINE_ACTION: action,
        ATTR_QUARANTINE_WITHHELD: withheld,
        ATTR_REASON_CODES: sorted(set(codes)),
    })


@contextmanager
def handoff_span(conversation_id: str | None, decision: Decision) -> Iterator[Span]:
    """The ``guardrail.handoff`` span around building and delivering a handoff summary (an
    escaping exception is recorded redacted)."""
    with _redacted_span(SPAN_HANDOFF) as span:
        if span.is_recording():
            if conversation_id is not None:
                span.set_attribute(ATTR_CONVERSATION_ID, conversation_id)
            span.set_attributes({
                ATTR_POLICY_VERSION: decision.policy_version,
                ATTR_HANDOFF_QUEUE: decision.handoff.queue or "",
                ATTR_HANDOFF_PRIORITY: decision.handoff.priority,
                ATTR_HANDOFF_MODE: decision.handoff.mode,
                ATTR_HANDOFF_REASONS: list(decision.handoff.reasons),
            })
        yield span


def record_delivery(delivery: str, reasons: Sequence[str]) -> None:
    """An event on the current span: how the handoff summary's delivery went."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    delivery = redact(delivery, _EXCERPT)
    span.set_attribute(ATTR_HANDOFF_DELIVERY, delivery)
    span.add_event(EVENT_HANDOFF_DELIVERY, {
        ATTR_HANDOFF_DELIVERY: delivery,
        ATTR_HANDOFF_REASONS: list(reasons),
    })
    if delivery.startswith("failed"):
        span.set_status(Status(StatusCode.ERROR, f"handoff delivery {delivery}"))


# -- logs ------------------------------------------------------------------------------------------

_LOGGER: Final = "guardrail"
_DONE: Final = "_guardrail_redacted"  # set on a record once it is redacted


class Verbatim(str):
    """A log argument `RedactingFilter` keeps as it is: an identifier guardrail made itself.

    A handoff key (32 hex characters) or a policy version (``sha256:381ab892...``) reads to the
    redactor like a secret or a long number, yet it is what an operator searches the logs for.
    Wrap it where it is logged, ``_log.info("handoff %s failed", Verbatim(key))``, and every
    occurrence of it in the line (also inside an exception's text) survives redaction. Never
    wrap anything a customer, a tool or a model wrote.
    """

    __slots__ = ()


class RedactingFilter(logging.Filter):
    """A `logging.Filter` that redacts a record in place and always lets it through.

    The message is rendered (``msg % args``) and redacted, so ``args`` are dropped; an
    exception is rendered to text and redacted into ``exc_text`` (``exc_info`` is cleared, so no
    handler formats the raw exception again), and so is ``stack_info``. A record that cannot be
    rendered is replaced by a line saying so rather than logged raw. Add it to any handler or
    logger that may see guardrail's records; `install_log_redaction` does so for guardrail's
    own loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` (once) and keep it."""
        if getattr(record, _DONE, False):
            return True
        try:
            kept = _verbatim(record.args)
            record.msg = _protected(record.getMessage(), kept)
            record.args = None
            if record.exc_info:
                record.exc_text = _protected(
                    "".join(traceback.format_exception(*record.exc_info)).rstrip(), kept
                )
                record.exc_info = None
            elif record.exc_text:
                record.exc_text = _protected(record.exc_text, kept)
            if record.stack_info:
                record.stack_info = redact(record.stack_info, _STACK)
        # A log call must never raise, and a record that cannot be redacted must not go out raw.
        except Exception as exc:
            record.msg = f"[log record withheld: redaction failed ({type(exc).__name__})]"
            record.args = record.exc_info = None
            record.exc_text = record.stack_info = None
        setattr(record, _DONE, True)
        return True


def _verbatim(args: object) -> list[str]:
    values = args.values() if isinstance(args, Mapping) else args if isinstance(args, tuple) else ()
    # Longest first, so a key that contains a shorter one is protected whole.
    return sorted({v for v in values if isinstance(v, Verbatim) and v}, key=len, reverse=True)


def _protected(text: str, kept: Sequence[str]) -> str:
    """`text` redacted, except the `kept` identifiers, which come back exactly as they were."""
    if not kept:
        return redact(text, _STACK)
    # Each kept value is swapped for a marker the redactor leaves alone (a control character
    # and a letter), then swapped back.
    for i, value in enumerate(kept):
        text = text.replace(value, f"\x00{chr(0x41 + i % 26)}{i // 26 or ''}\x00")
    text = redact(text, _STACK)
    for i, value in enumerate(kept):
        text = text.replace(f"\x00{chr(0x41 + i % 26)}{i // 26 or ''}\x00", value)
    return text


class _RedactingHandler(logging.Handler):
    """Redacts, in place, every record that propagates through the ``guardrail`` logger.

    A logger's filters only see records logged on that very logger, never those of its
    children (``guardrail.adapters.openai``); a handler sees both, and the record it is given is
    the object the root logger's handlers receive next. It writes nothing itself, except what
    Python's last-resort handler would have written when no other handler is configured.
    """

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self._redactor = RedactingFilter()

    def handle(self, record: logging.LogRecord) -> bool:
        self._redactor.filter(record)
        if not self._others_handle(record):
            last = logging.lastResort
            if last is not None and record.levelno >= last.level:
                last.handle(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Nothing to write: `handle` redacts."""

    def _others_handle(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(h is not self for h in logger.handlers):
                return True
            if not logger.propagate:
                return False
            logger = logger.parent
        return False


def install_log_redaction(name: str = _LOGGER) -> None:
    """Redact every record logged under `name` (default the ``guardrail`` tree); idempotent.

    Puts `RedactingFilter` on the logger itself and a redacting handler on it that catches the
    records of its child loggers on their way up, before the root logger's handlers (where an
    application's handlers usually are) format them. Handlers an application attaches to a
    *child* logger see a record before it reaches this one: put a `RedactingFilter` on those.
    Called when this module is imported, for the ``guardrail`` tree; like the ``NullHandler``
    libraries usually add, it changes nothing else about how guardrail's logs are routed.
    """
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    if not any(isinstance(h, _RedactingHandler) for h in logger.handlers):
        logger.addHandler(_RedactingHandler())


install_log_redaction()


def configure(
    exporter: str | None = None, *, service_name: str = "guardrail"
) -> TracerProvider | None:
    """Install the OpenTelemetry SDK with the exporters asked for (for the CLI and the demo).

    Args:
        exporter: ``console``, ``otlp``, ``none``, or a comma-separated list; default the
            standard ``OTEL_TRACES_EXPORTER`` variable (unset: no tracing). The OTLP exporter
            reads the standard ``OTEL_EXPORTER_OTLP_*`` variables.
        service_name: ``service.name`` unless ``OTEL_SERVICE_NAME`` says otherwise.

    Returns:
        The provider installed (call ``shutdown()`` to flush), or None when tracing is off.

    Raises:
        UserError: an unknown exporter, or a missing package for the one asked for.
    """
    from guardrail.errors import UserError

    wanted = exporter if exporter is not None else os.environ.get("OTEL_TRACES_EXPORTER", "")
    names = [n.strip().lower() for n in wanted.split(",") if n.strip()]
    if not names or names == ["none"]:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        from guardrail._install import pip_hint

        raise UserError(f"tracing needs the OpenTelemetry SDK: {pip_hint('otel')}") from None
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    for name in names:
        if name == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )
            except ImportError:
                from guardrail._install import pip_hint

                raise UserError(
                    "the otlp exporter needs opentelemetry-exporter-otlp-proto-http: "
                    f"{pip_hint('otel')}"
                ) from None
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name != "none":
            raise UserError(f"unknown trace exporter {name!r}: use console, otlp or none")
    trace.set_tracer_provider(provider)
    return provider

