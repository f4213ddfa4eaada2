"""Tool spans per the OpenTelemetry GenAI semantic conventions, with the real SDK.

Every gated call gets a ``guardrail.gate_tool {tool}`` span; an ``execute_tool {tool}`` span
opens, as its child, only when the tool really runs. Each scenario counts the runs the tools
themselves recorded and checks the trace has exactly that many ``execute_tool`` spans: through a
real LangChain `create_agent` with a scripted model, and through the real `openai` client
against the local Chat Completions server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from guardrail import Guardrail, tracing
from guardrail.adapters.langchain import GuardrailMiddleware
from guardrail.adapters.openai import (
    AsyncGuardedOpenAI,
    GuardedOpenAI,
    aexecute_tool_calls,
    execute_tool_calls,
)
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.demo.tools import Backoffice, KeywordRetriever, load_documents, make_tools
from guardrail.handoff import MemorySink
from guardrail.testing.scripted import ScriptedChatModel, Tape
from tests._servers.chat import ChatServer, chat_server
from tests.test_tracing import LEAKED, LEAKY, collect_spans

_EXPORTER = InMemorySpanExporter()

GATE, RUN = "guardrail.gate_tool", "execute_tool"
HOW_TO = "How do I export my invoices as CSV?"
CANCEL = "Please cancel my subscription at the end of this billing period."
CUSTOMER = {"customer_id": "cus_1"}


@pytest.fixture(scope="module", autouse=True)
def _collected() -> Iterator[None]:
    collect_spans(_EXPORTER)
    yield
    _EXPORTER.shutdown()  # the provider keeps the processor; later spans are dropped


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _spans(exporter: InMemorySpanExporter, kind: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith(f"{kind} ")]


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _only(exporter: InMemorySpanExporter, kind: str, tool: str) -> ReadableSpan:
    (span,) = [s for s in _spans(exporter, kind) if s.name == f"{kind} {tool}"]
    return span


def _child_of(child: ReadableSpan, parent: ReadableSpan) -> bool:
    return child.parent is not None and child.parent.span_id == parent.context.span_id


def _assert_conventions(exporter: InMemorySpanExporter) -> None:
    """What holds in every trace: each run span follows the GenAI conventions and sits under
    the gate span of its call; no other span claims to be a GenAI operation."""
    gates = _spans(exporter, GATE)
    for run in _spans(exporter, RUN):
        attrs = _attrs(run)
        tool = run.name.removeprefix(f"{RUN} ")
        assert attrs[tracing.ATTR_OPERATION_NAME] == "execute_tool"
        assert attrs[tracing.ATTR_TOOL_NAME] == tool
        assert attrs[tracing.ATTR_TOOL_TYPE] == "function"
        (gate,) = [g for g in gates if _child_of(run, g)]
        assert gate.name == f"{GATE} {tool}"
        assert attrs.get(tracing.ATTR_TOOL_CALL_ID) == _attrs(gate).get(tracing.ATTR_TOOL_CALL_ID)
        # allowed, or confirmed (LangChain turns a confirmation into an allow; the OpenAI
        # wrapper keeps the gate's confirm and records the approved run)
        assert _attrs(gate)[tracing.ATTR_TOOL_VERDICT] in {"allow", "confirm"}
        assert _attrs(gate)[tracing.ATTR_TOOL_OUTCOME] in {"executed", "failed"}
    for span in exporter.get_finished_spans():
        if not span.name.startswith(f"{RUN} "):
            assert tracing.ATTR_OPERATION_NAME not in _attrs(span), span.name
            assert "execute_tool" not in span.name


# -- LangChain: the tool runs inside `handler(request)` of wrap_tool_call ----------------------


class _ServiceDown(RuntimeError):
    """What a broken status tool raises."""


def _failing_tools(ran: list[str]) -> list[BaseTool]:
    """A status tool that raises, and an invoice tool whose failure LangChain catches."""

    def check_service_status() -> str:
        ran.append("check_service_status")
        raise _ServiceDown(f"status page down; {LEAKY}")

    def lookup_invoice(invoice_id: str, customer_id: str = "") -> str:
        ran.append("lookup_invoice")
        raise ToolException("invoice service timed out")

    return [
        StructuredTool.from_function(check_service_status, description="Read the status page."),
        StructuredTool.from_function(lookup_invoice, description="Read an invoice.",
                                     handle_tool_error=True),
    ]


def _agent(guard: Guardrail, turns: list[list[AIMessage]]) -> tuple[Any, Backoffice, list[str]]:
    office = Backoffice()
    failing: list[str] = []
    retriever = ScopedRetriever(retriever=KeywordRetriever(documents=load_documents()))
    agent = create_agent(
        ScriptedChatModel(tape=Tape(turns)),
        tools=[*make_tools(office, retriever), *_failing_tools(failing)],
        middleware=[GuardrailMiddleware(guard, context=CUSTOMER, sink=MemorySink())],
        checkpointer=InMemorySaver(),
    )
    return agent, office, failing


def _calls(*calls: tuple[str, dict[str, Any], str]) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": n, "args": a, "id": i} for n, a, i in calls])


def _say(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _config(thread: str) -> Any:
    return {"configurable": {"thread_id": thread}}


def _runs(office: Backoffice, failing: list[str]) -> list[str]:
    """The tools that ran, as they recorded it themselves."""
    return sorted([entry["tool"] for entry in office.log] + failing)


def test_langchain_an_allowed_and_a_denied_call_give_one_run(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    agent, office, failing = _agent(rules_guard, [[
        _calls(("search_docs", {"query": "export invoices csv"}, "c1"), ("reset_mfa", {}, "c2")),
        AIMessage("Done."),
    ]])
    agent.invoke(_say(HOW_TO), _config("lc-1"))
    assert _runs(office, failing) == ["search_docs"]
    assert [s.name for s in _spans(spans, RUN)] == ["execute_tool search_docs"]
    run = _only(spans, RUN, "search_docs")
    assert _attrs(run)[tracing.ATTR_TOOL_CALL_ID] == "c1"
    assert tracing.ATTR_ERROR_TYPE not in _attrs(run)
    assert run.status.status_code is StatusCode.UNSET
    denied = _only(spans, GATE, "reset_mfa")
    assert _attrs(denied)[tracing.ATTR_TOOL_VERDICT] == "deny"
    assert _attrs(denied)[tracing.ATTR_TOOL_OUTCOME] == "denied"
    assert len(_spans(spans, GATE)) == 2
    _assert_conventions(spans)


@pytest.mark.parametrize(("answer", "runs"), [
    pytest.param({"approved": False}, [], id="declined"),
    pytest.param({"approved": True}, ["cancel_subscription"], id="confirmed"),
])
def test_langchain_a_confirmation_runs_the_tool_only_when_confirmed(
    guard: Guardrail, spans: InMemorySpanExporter, answer: dict[str, bool], runs: list[str]
) -> None:
    agent, office, failing = _agent(guard, [[_calls(("cancel_subscription", {}, "c9")),
                                             AIMessage("ok")]])
    paused = agent.invoke(_say(CANCEL), _config("lc-confirm"))
    assert paused["__interrupt__"]
    assert _spans(spans, RUN) == []  # asking is not running
    agent.invoke(Command(resume=answer), _config("lc-confirm"))
    assert _runs(office, failing) == runs
    assert [s.name.removeprefix(f"{RUN} ") for s in _spans(spans, RUN)] == runs
    asked, answered = sorted(_spans(spans, GATE), key=lambda s: s.start_time or 0)
    assert _attrs(asked)[tracing.ATTR_TOOL_OUTCOME] == "awaiting_confirmation"
    assert _attrs(answered)[tracing.ATTR_TOOL_OUTCOME] == ("executed" if runs else "declined")
    _assert_conventions(spans)


def test_langchain_a_tool_that_raises_has_a_failed_run_span(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    agent, office, failing = _agent(rules_guard, [[_calls(("check_service_status", {}, "c3")),
                                                   AIMessage("...")]])
    with pytest.raises(_ServiceDown):
        agent.invoke(_say(HOW_TO), _config("lc-raise"))
    assert _runs(office, failing) == ["check_service_status"]
    run = _only(spans, RUN, "check_service_status")
    assert _attrs(run)[tracing.ATTR_ERROR_TYPE] == "_ServiceDown"
    assert run.status.status_code is StatusCode.ERROR
    (event,) = [e for e in run.events if e.name == "exception"]
    recorded = json.dumps(dict(event.attributes or {}), default=list)
    recorded += str(run.status.description)
    assert "_ServiceDown" in recorded
    for secret in LEAKED:  # the exception is recorded through the redactor
        assert secret not in recorded
    # the failure is the run's, not the gate's: the gate let the call through
    assert _only(spans, GATE, "check_service_status").status.status_code is not StatusCode.ERROR
    _assert_conventions(spans)


def test_langchain_a_failure_returned_as_an_error_message_fails_the_run_span(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    agent, office, failing = _agent(rules_guard, [[
        _calls(("lookup_invoice", {"invoice_id": "INV-7"}, "c4")), AIMessage("Sorry.")]])
    agent.invoke(_say(HOW_TO), _config("lc-handled"))
    assert _runs(office, failing) == ["lookup_invoice"]
    run = _only(spans, RUN, "lookup_invoice")
    assert _attrs(run)[tracing.ATTR_ERROR_TYPE] == tracing.ERROR_TOOL_RESULT
    assert run.status.status_code is StatusCode.ERROR
    assert _attrs(_only(spans, GATE, "lookup_invoice"))[tracing.ATTR_TOOL_OUTCOME] == "failed"
    _assert_conventions(spans)


def test_langchain_async_twin_opens_the_same_spans(
    rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    agent, office, failing = _agent(rules_guard, [[
        _calls(("search_docs", {"query": "export invoices csv"}, "c1"), ("reset_mfa", {}, "c2")),
        AIMessage("Done."),
    ]])
    asyncio.run(agent.ainvoke(_say(HOW_TO), _config("lc-async")))
    assert _runs(office, failing) == ["search_docs"]
    assert [s.name for s in _spans(spans, RUN)] == ["execute_tool search_docs"]
    assert len(_spans(spans, GATE)) == 2
    _assert_conventions(spans)


# -- OpenAI: the tool runs in execute_tool_calls / aexecute_tool_calls -------------------------


def _spec(name: str) -> dict[str, Any]:
    return {"type": "function",
            "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}


TOOLS = [_spec(n) for n in ("search_docs", "check_service_status", "issue_refund",
                            "cancel_subscription", "reset_mfa")]


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as httpd:
        yield httpd


@pytest.fixture
def guarded(server: ChatServer, rules_guard: Guardrail) -> Iterator[GuardedOpenAI]:
    with openai.OpenAI(base_url=server.url, api_key="test", max_retries=0) as client:
        yield GuardedOpenAI(client, rules_guard, sink=MemorySink())


class _Recorder:
    """Tool implementations that write down each run; `fail` names the ones that raise."""

    def __init__(self, *fail: str) -> None:
        self.ran: list[str] = []
        self.fail = set(fail)

    def tool(self, name: str) -> Any:
        def run(**kwargs: Any) -> str:
            self.ran.append(name)
            if name in self.fail:
                raise _ServiceDown(f"{name} broke; {LEAKY}")
            return f"{name} done"
        return run

    def tools(self) -> dict[str, Any]:
        return {spec["function"]["name"]: self.tool(spec["function"]["name"]) for spec in TOOLS}


def test_openai_allowed_denied_and_unapproved_calls(
    server: ChatServer, guarded: GuardedOpenAI, spans: InMemorySpanExporter
) -> None:
    server.reply(None, ("call_1", "search_docs", '{"query": "csv"}'),
                 ("call_2", "reset_mfa", "{}"), ("call_3", "issue_refund", '{"amount": 5}'))
    turn = guarded.create(model="m", messages=[{"role": "user", "content": HOW_TO}],
                          tools=TOOLS, context=CUSTOMER)
    recorder = _Recorder()
    execute_tool_calls(turn, recorder.tools())
    assert recorder.ran == ["search_docs"]
    assert [s.name for s in _spans(spans, RUN)] == ["execute_tool search_docs"]
    assert _attrs(_only(spans, RUN, "search_docs"))[tracing.ATTR_TOOL_CALL_ID] == "call_1"
    assert {s.name for s in _spans(spans, GATE)} == {
        f"{GATE} search_docs", f"{GATE} reset_mfa", f"{GATE} issue_refund"}
    _assert_conventions(spans)


@pytest.mark.parametrize(("approve", "runs"), [
    pytest.param((), [], id="not-approved"),
    pytest.param(lambda call: False, [], id="declined"),
    pytest.param(["call_1"], ["cancel_subscription"], id="approved"),
])
def test_openai_a_confirm_call_runs_only_when_approved(
    server: ChatServer, guarded: GuardedOpenAI, spans: InMemorySpanExporter, approve: Any,
    runs: list[str],
) -> None:
    server.reply(None, ("call_1", "cancel_subscription", "{}"))
    turn = guarded.create(model="m", messages=[{"role": "user", "content": CANCEL}],
                          tools=TOOLS, context=CUSTOMER)
    assert turn.needs_confirmation
    recorder = _Recorder()
    execute_tool_calls(turn, recorder.tools(), approve=approve)
    assert recorder.ran == runs
    assert [s.name.removeprefix(f"{RUN} ") for s in _spans(spans, RUN)] == runs
    gate = _only(spans, GATE, "cancel_subscription")
    assert _attrs(gate)[tracing.ATTR_TOOL_OUTCOME] == ("executed" if runs else "declined")
    _assert_conventions(spans)


def test_openai_a_tool_that_raises_has_a_failed_run_span(
    server: ChatServer, guarded: GuardedOpenAI, spans: InMemorySpanExporter
) -> None:
    server.reply(None, ("call_1", "check_service_status", "{}"),
                 ("call_2", "search_docs", '{"query": "csv"}'))
    turn = guarded.create(model="m", messages=[{"role": "user", "content": HOW_TO}],
                          tools=TOOLS, context=CUSTOMER)
    recorder = _Recorder("check_service_status")
    failed, found = execute_tool_calls(turn, recorder.tools())
    assert "_ServiceDown" in failed["content"]
    assert found["content"] == "search_docs done"
    assert recorder.ran == ["check_service_status", "search_docs"]
    assert len(_spans(spans, RUN)) == 2
    broken, fine = _only(spans, RUN, "check_service_status"), _only(spans, RUN, "search_docs")
    assert _attrs(broken)[tracing.ATTR_ERROR_TYPE] == "_ServiceDown"
    assert broken.status.status_code is StatusCode.ERROR
    assert tracing.ATTR_ERROR_TYPE not in _attrs(fine)
    assert fine.status.status_code is StatusCode.UNSET
    dumped = json.dumps([{"attributes": _attrs(s), "status": s.status.description,
                          "events": [dict(e.attributes or {}) for e in s.events]}
                         for s in spans.get_finished_spans()], default=list)
    for secret in LEAKED:
        assert secret not in dumped
    _assert_conventions(spans)


def test_openai_async_runs_open_the_same_spans(
    server: ChatServer, rules_guard: Guardrail, spans: InMemorySpanExporter
) -> None:
    server.reply(None, ("call_1", "search_docs", '{"query": "csv"}'),
                 ("call_2", "issue_refund", '{"amount": 5}'))
    ran: list[str] = []

    async def search_docs(**kwargs: Any) -> str:
        ran.append("search_docs")
        return "found"

    async def main() -> None:
        async with openai.AsyncOpenAI(base_url=server.url, api_key="test",
                                      max_retries=0) as client:
            guarded = AsyncGuardedOpenAI(client, rules_guard, sink=MemorySink())
            turn = await guarded.create(model="m", tools=TOOLS, context=CUSTOMER,
                                        messages=[{"role": "user", "content": HOW_TO}])
            await aexecute_tool_calls(turn, {"search_docs": search_docs,
                                             "issue_refund": _Recorder().tool("issue_refund")})

    asyncio.run(main())
    assert ran == ["search_docs"]
    assert [s.name for s in _spans(spans, RUN)] == ["execute_tool search_docs"]
    assert len(_spans(spans, GATE)) == 2
    _assert_conventions(spans)


def test_a_made_up_tool_name_is_redacted_in_span_names(
    server: ChatServer, guarded: GuardedOpenAI, spans: InMemorySpanExporter
) -> None:
    server.reply(None, ("call_1", "mail_jane.doe@example.com", "{}"))
    turn = guarded.create(model="m", messages=[{"role": "user", "content": HOW_TO}],
                          tools=TOOLS, context=CUSTOMER)
    execute_tool_calls(turn, {})
    (gate,) = _spans(spans, GATE)
    assert "jane.doe@example.com" not in gate.name
    assert "jane.doe@example.com" not in json.dumps(_attrs(gate), default=list)
    assert _attrs(gate)[tracing.ATTR_TOOL_VERDICT] == "deny"
    assert _spans(spans, RUN) == []


# -- the names are the conventions' names -------------------------------------------------------


def test_the_attribute_names_are_the_semantic_conventions() -> None:
    """The constants are copied (the incubating package is no runtime dependency); they must
    equal the installed semantic-conventions package's, when it is there."""
    gen_ai = pytest.importorskip("opentelemetry.semconv._incubating.attributes.gen_ai_attributes")
    error = pytest.importorskip("opentelemetry.semconv.attributes.error_attributes")
    assert tracing.ATTR_OPERATION_NAME == gen_ai.GEN_AI_OPERATION_NAME
    assert tracing.ATTR_TOOL_NAME == gen_ai.GEN_AI_TOOL_NAME
    assert tracing.ATTR_TOOL_CALL_ID == gen_ai.GEN_AI_TOOL_CALL_ID
    assert tracing.ATTR_TOOL_TYPE == gen_ai.GEN_AI_TOOL_TYPE
    assert tracing.ATTR_CONVERSATION_ID == gen_ai.GEN_AI_CONVERSATION_ID
    assert gen_ai.GenAiOperationNameValues.EXECUTE_TOOL.value == tracing.OPERATION_EXECUTE_TOOL
    assert tracing.ATTR_ERROR_TYPE == error.ERROR_TYPE
    exception = pytest.importorskip("opentelemetry.semconv.attributes.exception_attributes")
    assert tracing._EXCEPTION_MESSAGE == exception.EXCEPTION_MESSAGE
    assert tracing._EXCEPTION_STACKTRACE == exception.EXCEPTION_STACKTRACE
    tool_types = getattr(gen_ai, "GenAiToolTypeValues", None)  # not in every release
    if tool_types is not None:
        assert tool_types.FUNCTION.value == tracing.TOOL_TYPE_FUNCTION

