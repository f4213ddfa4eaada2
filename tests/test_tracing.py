"""OpenTelemetry tracing with the real SDK and an in-memory exporter.

One TracerProvider serves the whole test session (OpenTelemetry allows setting the global
provider once): `collect_spans` adds an exporter to it, installing it first if no test has;
each test clears the exporter and reads what its own code exported.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from guardrail import Guardrail, Registry
from guardrail.adapters.langchain import GuardrailMiddleware
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.demo.tools import Backoffice, KeywordRetriever, load_documents, make_tools
from guardrail.handoff import MemorySink
from guardrail.testing import FailingPolicy
from guardrail.testing.scripted import ScriptedChatModel, Tape
from tests._servers.http import Reply, serve

_EXPORTER = InMemorySpanExporter()


def collect_spans(exporter: InMemorySpanExporter) -> None:
    """Send every span finished from now on to `exporter` too, whichever test module set up the
    process's SDK provider (a second `set_tracer_provider` would be ignored)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))


@pytest.fixture(scope="session", autouse=True)
def _provider() -> None:
    collect_spans(_EXPORTER)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


CARD, EMAIL, PHONE = "4111 1111 1111 1111", "jane.doe@example.com", "+44 20 7946 0958"


def _check(guard: Guardrail, *texts: str, id: str = "conv-1") -> Any:
    return guard.check({
        "id": id,
        "messages": [{"role": "user", "content": t} for t in texts],
        "context": {"customer_id": "cus_1", "plan": "pro"},
    })


def _named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def _starting(exporter: InMemorySpanExporter, prefix: str) -> list[ReadableSpan]:
    """The spans whose name is `prefix` followed by a tool's name."""
    return [s for s in exporter.get_finished_spans() if s.name.startswith(f"{prefix} ")]


def _events(span: ReadableSpan, name: str) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == name]


def _dump(exporter: InMemorySpanExporter) -> str:
    """Everything exported: names, attributes and events, as one string."""
    out = []
    for span in exporter.get_finished_spans():
        out.append(json.dumps({
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "events": [{"name": e.name, "attributes": dict(e.attributes or {})}
                       for e in span.events],
        }, default=list))
    return "\n".join(out)


def test_a_dispute_turn(rules_guard: Guardrail, spans: InMemorySpanExporter) -> None:
    decision = _check(rules_guard, "I was charged twice for the same order, I want my money back",
                      id="dispute-1")
    (span,) = _named(spans, "guardrail.check")
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.conversation.id"] == "dispute-1"
    assert attrs["guardrail.policy_version"] == rules_guard.registry.version
    assert attrs["guardrail.need_state"] == "billing"
    assert attrs["guardrail.risk_tier"] == "high"
    assert "billing_dispute" in attrs["guardrail.segments"]
    assert attrs["guardrail.handoff.required"] is True
    assert attrs["guardrail.handoff.queue"] == "billing_disputes"
    assert list(attrs["guardrail.reason_codes"]) == [str(r) for r in decision.reason_codes]
    assert "issue_refund" in attrs["guardrail.tools.denied"]
    segments = {e["guardrail.segment.id"]: e for e in _events(span, "guardrail.segment_assigned")}
    assert set(segments) == set(decision.segment_ids())
    assert any(c.startswith("risk.billing_dispute#")
               for c in segments["billing_dispute"]["guardrail.reason_codes"])
    verdicts = {e["gen_ai.tool.name"]: e for e in _events(span, "guardrail.tool_verdict")}
    assert verdicts["issue_refund"]["guardrail.tool.verdict"] == "deny"
    (handoff,) = _events(span, "guardrail.handoff")
    assert handoff["guardrail.handoff.queue"] == "billing_disputes"


def test_a_lockout_turn(rules_guard: Guardrail, spans: InMemorySpanExporter) -> None:
    _check(rules_guard, "my account is locked after too many attempts", id="lock-1")
    (span,) = _named(spans, "guardrail.check")
    attrs = dict(span.attributes or {})
    assert "lockout" in attrs["guardrail.segments"]
    assert attrs["guardrail.handoff.queue"] == "account_access"
    verdicts = {e["gen_ai.tool.name"]: e["guardrail.tool.verdict"]
                for e in _events(span, "guardrail.tool_verdict")}
    assert verdicts["unlock_account"] == "deny"
    assert _events(span, "guardrail.handoff")


def test_a_how_to_turn(rules_guard: Guardrail, spans: InMemorySpanExporter) -> None:
    decision = _check(rules_guard, "How do I export my invoices as CSV?", id="howto-1")
    (span,) = _named(spans, "guardrail.check")
    attrs = dict(span.attributes or {})
    assert attrs["guardrail.handoff.required"] is False
    assert "guardrail.handoff.queue" not in attrs
    assert not _events(span, "guardrail.handoff")
    # an event for every tool that is not simply allowed, and only for those
    flagged = {e["gen_ai.tool.name"] for e in _events(span, "guardrail.tool_verdict")}
    assert flagged == {t.tool for t in decision.tools if t.verdict != "allow"}
    assert span.status.status_code is not StatusCode.ERROR


def test_no_personal_data_in_any_span(rules_guard: Guardrail, spans: InMemorySpanExporter) -> None:
    _check(rules_guard, f"I never made this payment with card {CARD}, call me on {PHONE} or "
                   f"email {EMAIL}", id="pii-1")
    dumped = _dump(spans)
    assert "guardrail.check" in dumped
    for secret in (CARD, CARD.replace(" ", ""), EMAIL, PHONE):
        assert secret not in dumped


def test_a_fail_closed_decision_is_an_error_span(
    registry: Registry, spans: InMemorySpanExporter
) -> None:
    policy = FailingPolicy("decide", RuntimeError("bug"))
    failing = Guardrail(registry, need_model=None, policy=policy)
    decision = _check(failing, "hello", id="fs-1")
    assert decision.failsafe
    (span,) = _named(spans, "guardrail.check")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["guardrail.failsafe"] is True
    assert "failsafe.engine_error#engine" in (span.attributes or {})["guardrail.reason_codes"]


def _agent(guard: Guardrail, turns: list[list[AIMessage]], sink: Any) -> tuple[Any, Backoffice]:
    office = Backoffice()
    retriever = ScopedRetriever(retriever=KeywordRetriever(documents=load_documents()))
    agent = create_agent(
        ScriptedChatModel(tape=Tape(turns)),
        tools=make_tools(office, retriever),
        middleware=[GuardrailMiddleware(guard, context={"customer_id": "cus_1"}, sink=sink)],
        checkpointer=InMemorySaver(),
    )
    return agent, office


def _call(name: str, args: dict[str, Any], id: str) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": id}])


def test_the_middleware_traces_gating_retrieval_and_handoff(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    agent, _ = _agent(rules_guard, [
        [_call("search_docs", {"query": "export invoices csv"}, "c1"),
         _call("reset_mfa", {}, "c2"), AIMessage("Done.")],
        [AIMessage("...")],
    ], MemorySink())
    config: Any = {"configurable": {"thread_id": "agent-1"}}
    agent.invoke({"messages": [{"role": "user", "content": "How do I export invoices as CSV?"}]},
                 config)
    gates = {(s.attributes or {})["gen_ai.tool.name"]: s
             for s in _starting(spans, "guardrail.gate_tool")}
    search, refund = gates["search_docs"], gates["reset_mfa"]
    assert search.name == "guardrail.gate_tool search_docs"
    assert (search.attributes or {})["guardrail.tool.verdict"] == "allow"
    assert (search.attributes or {})["guardrail.tool.outcome"] == "executed"
    assert (search.attributes or {})["gen_ai.conversation.id"] == "agent-1"
    assert (search.attributes or {})["gen_ai.tool.call.id"] == "c1"
    # the retrieval happens while the tool runs, so its event is on the run's span
    (run,) = _named(spans, "execute_tool search_docs")
    assert run.parent is not None
    assert run.parent.span_id == search.context.span_id
    (scoped,) = _events(run, "guardrail.retrieval_scoped")
    assert "kb-export-invoices" in scoped["guardrail.retrieval.allowed"]
    assert (refund.attributes or {})["guardrail.tool.verdict"] == "deny"
    assert (refund.attributes or {})["guardrail.tool.outcome"] == "denied"
    # the check made for the tool call is a child of its gate span
    checks = _named(spans, "guardrail.check")
    assert any(c.parent is not None and c.parent.span_id == search.context.span_id
               for c in checks)

    spans.clear()
    agent.invoke({"messages": [{"role": "user", "content": "let me talk to a human"}]}, config)
    (handoff,) = _named(spans, "guardrail.handoff")
    assert (handoff.attributes or {})["guardrail.handoff.delivery"] == "delivered"
    assert (handoff.attributes or {})["guardrail.handoff.queue"] == "general_support"


def test_a_failed_delivery_shows_in_the_trace(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    def broken(summary: Any) -> None:
        raise ConnectionError("down")

    agent, _ = _agent(rules_guard, [[AIMessage("...")]], broken)
    agent.invoke({"messages": [{"role": "user", "content": "I want a human now"}]},
                 {"configurable": {"thread_id": "agent-2"}})
    (handoff,) = _named(spans, "guardrail.handoff")
    assert handoff.status.status_code is StatusCode.ERROR
    (event,) = _events(handoff, "guardrail.handoff_delivery")
    assert event["guardrail.handoff.delivery"] == "failed: ConnectionError"


def test_a_paused_confirmation_is_not_an_error_span(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    agent, _ = _agent(rules_guard, [[_call("cancel_subscription", {}, "c9"), AIMessage("ok")]],
                      MemorySink())
    result = agent.invoke(
        {"messages": [{"role": "user", "content": "Please cancel my subscription."}]},
        {"configurable": {"thread_id": "agent-3"}})
    assert result["__interrupt__"]
    (gate,) = _named(spans, "guardrail.gate_tool cancel_subscription")
    assert gate.status.status_code is not StatusCode.ERROR
    assert (gate.attributes or {})["guardrail.tool.verdict"] == "confirm"
    assert (gate.attributes or {})["guardrail.tool.outcome"] == "awaiting_confirmation"
    assert not gate.events or all(e.name != "exception" for e in gate.events)


def test_demo_trace_console_prints_spans() -> None:
    """`guardrail demo --trace console` configures the SDK itself (a fresh process)."""
    env = {**os.environ, "OTEL_SERVICE_NAME": "guardrail-test"}
    done = subprocess.run(
        [sys.executable, "-m", "guardrail.cli", "demo", "--trace", "console",
         "--scenario", "human_request", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"name": "guardrail.check"' in done.stdout
    assert '"name": "guardrail.handoff"' in done.stdout
    assert '"service.name": "guardrail-test"' in done.stdout


def test_unknown_exporter_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from guardrail.cli import main

    assert main(["demo", "--trace", "zipkin", "--scenario", "human_request"]) == 2
    assert "unknown trace exporter" in capsys.readouterr().err


def test_demo_trace_otlp_exports_to_the_collector_in_the_environment() -> None:
    """The real OTLP/HTTP exporter, pointed by the standard variables at a local collector."""
    accepted = Reply(headers={"content-type": "application/x-protobuf"})
    with serve(lambda request: accepted) as collector:
        env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url(),
               "OTEL_TRACES_EXPORTER": "otlp"}
        done = subprocess.run(
            [sys.executable, "-m", "guardrail.cli", "demo", "--scenario", "human_request",
             "--json"],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )
    received = [(r.path, len(r.body)) for r in collector.requests if r.method == "POST"]
    assert done.returncode == 0, done.stderr
    assert received
    assert all(path == "/v1/traces" for path, _ in received)
    assert sum(size for _, size in received) > 0


def test_the_check_span_carries_the_customers_language(
    spans: InMemorySpanExporter, registry: Registry
) -> None:
    guard = Guardrail(registry, need_model=None)
    _check(guard, "Bonjour, je voudrais changer mon adresse de livraison")
    checks = _named(spans, "guardrail.check")
    assert checks
    assert checks[-1].attributes is not None
    assert checks[-1].attributes["guardrail.language"] == "fr"


# -- class 9: customer text on spans and in logs goes through the redactor -------------------------

# Personal data the built-in redaction used to let through: an obfuscated e-mail address, a
# one-time code, a password after a short label and a local phone number.
LEAKY = ("write to jane(at)example(dot)com, code 482913, pw=hunter2, call 555-0142, "
         f"card {CARD}")
LEAKED = ("example", "482913", "hunter2", "0142", "4111 1111")


def test_class9_span_evidence_is_redacted(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    from guardrail.tracing import check_span, record_decision

    decision = _check(rules_guard, "I was charged twice for the same order", id="leak-1")
    # Evidence a classifier or an overlay rule produced from customer text, not yet redacted.
    leaky = decision.model_copy(update={"segments": [
        s.model_copy(update={"reasons": [r.model_copy(update={"evidence": LEAKY})
                                         for r in s.reasons]})
        for s in decision.segments
    ]})
    spans.clear()
    with check_span("leak-1") as span:
        record_decision(span, leaky)
    dumped = _dump(spans)
    assert "guardrail.evidence" in dumped
    for secret in LEAKED:
        assert secret not in dumped


@pytest.mark.parametrize("which", ["check", "handoff"])
def test_class9_an_exception_escaping_a_span_is_recorded_redacted(
    rules_guard: Guardrail, spans: InMemorySpanExporter, which: str
) -> None:
    from guardrail.tracing import check_span, handoff_span

    decision = _check(rules_guard, "talk to a human please", id="leak-2")
    spans.clear()
    span_of = check_span("leak-2") if which == "check" else handoff_span("leak-2", decision)
    # the caller still gets the real error; only what the span records is redacted
    with pytest.raises(ValueError, match="hunter2"), span_of:
        raise ValueError(f"tool failed on {LEAKY}")
    (span,) = spans.get_finished_spans()
    (event,) = [e for e in span.events if e.name == "exception"]
    attrs = dict(event.attributes or {})
    assert attrs["exception.type"] == "ValueError"
    assert "[email]" in str(attrs["exception.message"])
    assert "ValueError" in str(attrs["exception.stacktrace"])
    assert span.status.status_code is StatusCode.ERROR
    recorded = json.dumps(attrs, default=list) + str(span.status.description)
    for secret in LEAKED:
        assert secret not in recorded


@pytest.mark.parametrize(
    "name", ["guardrail", "guardrail.adapters.openai", "guardrail.handoff.sinks",
             "guardrail.a_logger_made_after_import"],
)
def test_class9_guardrail_log_records_are_redacted(
    caplog: pytest.LogCaptureFixture, name: str
) -> None:
    logger = logging.getLogger(name)
    try:
        raise RuntimeError(f"upstream said: {LEAKY}")
    except RuntimeError as exc:
        with caplog.at_level(logging.INFO, logger=name):
            logger.warning("tool %s (%s) failed: %s", "refund", "call_1", exc, exc_info=exc)
            logger.info("customer wrote %r", {"note": LEAKY})
    records = [r for r in caplog.records if r.name == name]
    assert len(records) == 2
    assert "RuntimeError" in caplog.text  # the type and the stack survive, redacted
    assert "[email]" in caplog.text
    for secret in LEAKED:
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in records)


def test_class9_the_redacting_filter_serves_any_handler() -> None:
    from guardrail.tracing import RedactingFilter

    record = logging.LogRecord("app", logging.ERROR, __file__, 1, "payload %s", (LEAKY,), None)
    assert RedactingFilter().filter(record) is True
    assert record.args is None
    for secret in LEAKED:
        assert secret not in record.getMessage()
    # a record whose message cannot be rendered is withheld, never logged raw
    broken = logging.LogRecord("app", logging.ERROR, __file__, 1, "%d", (LEAKY,), None)
    assert RedactingFilter().filter(broken) is True
    assert broken.getMessage().startswith("[log record withheld")


def test_class9_identifiers_marked_verbatim_survive_log_redaction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from guardrail.tracing import Verbatim

    key, version = "ea57df055ef6d88ecfafc00d9133226a", "sha256:381ab8929422c1e9"
    logger = logging.getLogger("guardrail.handoff.sinks")
    with caplog.at_level(logging.INFO, logger="guardrail.handoff.sinks"):
        logger.error("handoff %s (policy %s) not delivered: %s", Verbatim(key),
                     Verbatim(version), f"receiver said: handoff {key} for {LEAKY}")
        logger.error("handoff %s not delivered", key)  # not marked: read like any text
    marked, unmarked = (r.getMessage() for r in caplog.records if r.name == logger.name)
    assert marked.count(key) == 2
    assert version in marked
    assert key not in unmarked
    for secret in LEAKED:
        assert secret not in caplog.text


_WITHOUT_SDK = '''
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guardrail import Guardrail
from guardrail.tracing import check_span

guard = Guardrail(need_model=None, injection_model=None)
turn = {"id": "c-1", "messages": [{"role": "user", "content": "I was charged twice"}]}

# 1. No provider: no span is made; the current span stays current; the check decides.
outside = trace.get_current_span()
with check_span("c-1") as span:
    assert not span.is_recording()
    assert trace.get_current_span() is outside
assert guard.check(turn).handoff.required

# 2. Another provider's span current (global provider still unset): as the API's no-op tracer
# does, the check runs under a non-recording span, so nothing inside lands on the caller's span.
local = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(local))
with provider.get_tracer("app").start_as_current_span("app") as app:
    with check_span("c-1") as span:
        assert not span.is_recording()
        assert trace.get_current_span() is not app
        assert not trace.get_current_span().is_recording()
    guard.check({**turn, "id": "c-2"})
assert [s.name for s in local.get_finished_spans()] == ["app"]
assert not local.get_finished_spans()[0].events

# 3. An SDK installed after import is picked up by the next check.
exported = InMemorySpanExporter()
sdk = TracerProvider()
sdk.add_span_processor(SimpleSpanProcessor(exported))
trace.set_tracer_provider(sdk)
guard.check({**turn, "id": "c-3"})
(check,) = [s for s in exported.get_finished_spans() if s.name == "guardrail.check"]
assert check.attributes["gen_ai.conversation.id"] == "c-3"
assert check.attributes["guardrail.handoff.required"] is True
print("ok")
'''


def test_the_check_span_without_an_sdk_and_with_one_installed_later() -> None:
    """Without a tracer provider the check span is skipped (nothing could record it); with
    another provider's span current, or an SDK installed later, it is made as before. A fresh
    process: the tests above install the SDK for the whole session."""
    done = subprocess.run([sys.executable, "-c", _WITHOUT_SDK], capture_output=True, text=True,
                          timeout=120, check=False, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
