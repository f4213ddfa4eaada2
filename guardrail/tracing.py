"""OpenTelemetry tracing: one span per check, one per gated tool call, events for every effect.

The library uses only the OpenTelemetry *API*; the application (or the CLI / demo, through
`configure`) installs the SDK and its exporters. Without an SDK every span is a no-op costing a
few microseconds, and attributes are computed only for spans that are recorded.

Spans and their attributes (one ``guardrail.*`` namespace, plus the GenAI semantic-convention
attributes that apply):

``guardrail.check`` — one per `Guardrail.check`
    ``gen_ai.conversation.id``, ``guardrail.policy_version``, ``guardrail.need_state``,
    ``guardrail.need_confidence``, ``guardrail.risk_tier``, ``guardrail.segments``,
    ``guardrail.friction``, ``guardrail.handoff.required``, ``guardrail.handoff.offered``,
    ``guardrail.handoff.queue``, ``guardrail.handoff.priority``, ``guardrail.handoff.reasons``,
    ``guardrail.reason_codes``, ``guardrail.tools.denied``, ``guardrail.tools.confirm``,
    ``guardrail.retrieval_scope``, ``guardrail.directives``, ``guardrail.failsafe``.
    Events: ``guardrail.segment_assigned`` per segment (``guardrail.segment.id``,
    ``guardrail.segment.tier``, ``guardrail.reason_codes``, ``guardrail.evidence`` — redacted),
    ``guardrail.tool_verdict`` per tool that is not simply allowed (``gen_ai.tool.name``,
    ``guardrail.tool.verdict``, ``guardrail.reason_codes``), and ``guardrail.handoff`` when a
    human must take over.

``guardrail.tool_gate`` — one per tool call an adapter gates
    ``gen_ai.operation.name`` (``execute_tool``), ``gen_ai.tool.name``, ``gen_ai.tool.call.id``,
    ``gen_ai.conversation.id``, ``guardrail.tool.verdict``, ``guardrail.reason_codes``,
    ``guardrail.tool.bound_args``, ``guardrail.tool.outcome``; event ``guardrail.tool_verdict``.

``guardrail.handoff`` — one per handoff summary built and delivered by an adapter
    ``gen_ai.conversation.id``, ``guardrail.policy_version``, ``guardrail.handoff.queue``,
    ``guardrail.handoff.priority``, ``guardrail.handoff.mode``, ``guardrail.handoff.reasons``,
    ``guardrail.handoff.delivery`` (delivered, no_sink or failed: <type>; a failure also sets
    the span status to error); event ``guardrail.handoff_delivery``.

Event on the current span: ``guardrail.retrieval_scoped`` (allowed and dropped document sources,
and the reason codes of the drops).

Nothing else goes into a span: no message text, and evidence only as the redacted excerpt the
reason code already carries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from guardrail.redact import redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from guardrail.decision import Decision
    from guardrail.gate import CallCheck

__all__ = [
    "check_span",
    "configure",
    "handoff_span",
    "record_decision",
    "record_delivery",
    "record_retrieval",
    "record_verdict",
    "tool_gate_span",
]

_SCOPE = "guardrail"
AttributeValue = str | bool | int | float | Sequence[str]


@cache
def _tracer() -> Tracer:
    from guardrail._version import __version__

    return trace.get_tracer(_SCOPE, __version__)


@contextmanager
def check_span(conversation_id: str | None) -> Iterator[Span]:
    """The ``guardrail.check`` span around one check."""
    with _tracer().start_as_current_span("guardrail.check") as span:
        if conversation_id is not None and span.is_recording():
            span.set_attribute("gen_ai.conversation.id", conversation_id)
        yield span


def record_decision(span: Span, decision: Decision) -> None:
    """Put `decision` on the check span: attributes, then one event per effect."""
    if not span.is_recording():
        return
    handoff = decision.handoff
    attributes: dict[str, AttributeValue] = {
        "guardrail.policy_version": decision.policy_version,
        "guardrail.need_state": decision.need_state,
        "guardrail.need_confidence": round(decision.need_confidence, 4),
        "guardrail.risk_tier": decision.risk_tier,
        "guardrail.segments": decision.segment_ids(),
        "guardrail.detectors.friction": list(decision.friction),
        "guardrail.handoff.required": handoff.required,
        "guardrail.handoff.offered": handoff.offered,
        "guardrail.handoff.priority": handoff.priority,
        "guardrail.handoff.reasons": list(handoff.reasons),
        "guardrail.reason_codes": [str(r) for r in decision.reason_codes],
        "guardrail.tools.denied": [t.tool for t in decision.denied_tools],
        "guardrail.tools.confirm": decision.confirm_tools,
        "guardrail.retrieval_scope": list(decision.retrieval_scope),
        "guardrail.directives": list(decision.directives),
        "guardrail.failsafe": decision.failsafe,
    }
    if handoff.queue:
        attributes["guardrail.handoff.queue"] = handoff.queue
    span.set_attributes(attributes)
    for segment in decision.segments:
        span.add_event("guardrail.segment_assigned", {
            "guardrail.segment.id": segment.id,
            "guardrail.segment.tier": segment.tier,
            "guardrail.reason_codes": [str(r) for r in segment.reasons],
            "guardrail.evidence": [redact(r.evidence, 80) for r in segment.reasons if r.evidence],
        })
    for verdict in decision.tools:
        if verdict.verdict != "allow":
            span.add_event("guardrail.tool_verdict", {
                "gen_ai.tool.name": verdict.tool,
                "guardrail.tool.verdict": verdict.verdict,
                "guardrail.reason_codes": [str(r) for r in verdict.reasons],
            })
    if handoff.required:
        span.add_event("guardrail.handoff", {
            "guardrail.handoff.mode": handoff.mode,
            "guardrail.handoff.queue": handoff.queue or "",
            "guardrail.handoff.priority": handoff.priority,
            "guardrail.handoff.reasons": list(handoff.reasons),
        })
    if decision.failsafe:
        span.set_status(Status(StatusCode.ERROR, "fail-closed decision"))


@contextmanager
def tool_gate_span(
    tool: str, call_id: str | None, conversation_id: str | None
) -> Iterator[Span]:
    """The ``guardrail.tool_gate`` span around gating (and running) one tool call.

    A LangGraph interrupt (a confirmation pausing the run) passes through this span as an
    exception; it is control flow, not an error, so exceptions are not recorded here.
    """
    with _tracer().start_as_current_span(
        "guardrail.tool_gate", record_exception=False, set_status_on_exception=False
    ) as span:
        if span.is_recording():
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", tool)
            if call_id:
                span.set_attribute("gen_ai.tool.call.id", call_id)
            if conversation_id is not None:
                span.set_attribute("gen_ai.conversation.id", conversation_id)
        yield span


def record_verdict(span: Span, check: CallCheck, outcome: str | None = None) -> None:
    """Put the gate's verdict (and, once known, the outcome) on a tool-gate span."""
    if not span.is_recording():
        return
    codes = [str(r) for r in check.reasons]
    span.set_attributes({
        "guardrail.tool.verdict": check.action,
        "guardrail.reason_codes": codes,
        "guardrail.tool.bound_args": list(check.bound),
    })
    if outcome is not None:
        span.set_attribute("guardrail.tool.outcome", outcome)
    span.add_event("guardrail.tool_verdict", {
        "gen_ai.tool.name": check.tool,
        "guardrail.tool.verdict": check.action,
        "guardrail.reason_codes": codes,
    })


def record_retrieval(allowed: Sequence[str], dropped: Sequence[tuple[str, str]]) -> None:
    """An event on the current span: which document sources a scoping let through."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.add_event("guardrail.retrieval_scoped", {
        "guardrail.retrieval.allowed": [redact(s, 80) for s in allowed],
        "guardrail.retrieval.dropped": [redact(s, 80) for s, _ in dropped],
        "guardrail.reason_codes": sorted({code for _, code in dropped}),
    })


@contextmanager
def handoff_span(conversation_id: str | None, decision: Decision) -> Iterator[Span]:
    """The ``guardrail.handoff`` span around building and delivering a handoff summary."""
    with _tracer().start_as_current_span("guardrail.handoff") as span:
        if span.is_recording():
            if conversation_id is not None:
                span.set_attribute("gen_ai.conversation.id", conversation_id)
            span.set_attributes({
                "guardrail.policy_version": decision.policy_version,
                "guardrail.handoff.queue": decision.handoff.queue or "",
                "guardrail.handoff.priority": decision.handoff.priority,
                "guardrail.handoff.mode": decision.handoff.mode,
                "guardrail.handoff.reasons": list(decision.handoff.reasons),
            })
        yield span


def record_delivery(delivery: str, reasons: Sequence[str]) -> None:
    """An event on the current span: how the handoff summary's delivery went."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attribute("guardrail.handoff.delivery", delivery)
    span.add_event("guardrail.handoff_delivery", {
        "guardrail.handoff.delivery": delivery,
        "guardrail.handoff.reasons": list(reasons),
    })
    if delivery.startswith("failed"):
        span.set_status(Status(StatusCode.ERROR, f"handoff delivery {delivery}"))


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
        raise UserError(
            "tracing needs the OpenTelemetry SDK: pip install 'guardrail[otel]'"
        ) from None
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
                raise UserError(
                    "the otlp exporter needs opentelemetry-exporter-otlp-proto-http: "
                    "pip install 'guardrail[otel]'"
                ) from None
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name != "none":
            raise UserError(f"unknown trace exporter {name!r}: use console, otlp or none")
    trace.set_tracer_provider(provider)
    return provider

