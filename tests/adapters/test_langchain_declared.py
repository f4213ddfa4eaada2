"""The middleware says when the agent's tools and the catalogue disagree, and lets Python declare.

A real `create_agent` with the demo's tools plus tools of the application's own (a flight
desk's), a scripted model, and the default registry: an undeclared tool is an error before the
model is asked (or a warning, once), `ToolSpec`s passed to the middleware make such tools
gated like shipped ones, and a session without a customer is reported instead of silently
denying every customer-bound call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import InMemorySaver

from guardrail import Guardrail, MissingCustomerError, ToolSpec, UndeclaredToolError, UserError
from guardrail.adapters.langchain import GuardrailMiddleware, tool_verdicts
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.demo.tools import Backoffice, KeywordRetriever, load_documents, make_tools
from guardrail.handoff import MemorySink
from guardrail.testing.scripted import ScriptedChatModel, Tape
from tests.adapters.test_langchain import CUSTOMER, call, config, say, tool_messages

QUESTION = "What is the status of my booking please?"
WEATHER = ToolSpec(name="weather_at", description="Read the weather at an airport.",
                   effects=["read"])
STATUS = ToolSpec(name="flight_status", description="Read the status of a booking.",
                  effects=["read"], customer_args=["customer_id"])


@dataclass
class Desk:
    """The flight desk's own tools, recording what ran."""

    log: list[dict[str, str]]

    def tools(self) -> list[BaseTool]:
        @tool
        def weather_at(airport: str) -> str:
            """Read the weather at an airport."""
            self.log.append({"tool": "weather_at", "airport": airport})
            return "Sunny."

        @tool
        def flight_status(booking: str, customer_id: str = "") -> str:
            """Read the status of a booking."""
            self.log.append({"tool": "flight_status", "booking": booking,
                             "customer_id": customer_id})
            return "On time."

        return [weather_at, flight_status]


@dataclass
class Agent:
    agent: Any
    tape: Tape
    desk: Desk
    tools: list[BaseTool]


def build(middleware: GuardrailMiddleware, turns: Sequence[Sequence[AIMessage]]) -> Agent:
    desk = Desk(log=[])
    retriever = ScopedRetriever(retriever=KeywordRetriever(documents=load_documents()))
    tools = [*make_tools(Backoffice(), retriever), *desk.tools()]
    tape = Tape(turns)
    agent = create_agent(ScriptedChatModel(tape=tape), tools=tools, middleware=[middleware],
                         checkpointer=InMemorySaver())
    return Agent(agent, tape, desk, tools)


def status_call() -> list[list[AIMessage]]:
    return [[call("flight_status", {"booking": "BK-1"}), AIMessage("It is on time.")]]


def guardrail_warnings(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "guardrail" and r.levelno == logging.WARNING and name in r.getMessage()]


# -- undeclared tools --------------------------------------------------------------------------


def test_an_undeclared_tool_stops_the_first_turn_before_the_model_is_asked(
    guard: Guardrail,
) -> None:
    a = build(GuardrailMiddleware(guard, context=CUSTOMER, sink=MemorySink()), status_call())
    with pytest.raises(UndeclaredToolError) as raised:
        a.agent.invoke(say(QUESTION), config("undeclared"))
    assert raised.value.tools == ["flight_status", "weather_at"]
    assert "ToolSpec(" in str(raised.value)
    assert a.tape.calls == []
    assert a.desk.log == []


def test_check_tools_raises_right_after_create_agent(guard: Guardrail) -> None:
    middleware = GuardrailMiddleware(guard, context=CUSTOMER, sink=MemorySink())
    a = build(middleware, status_call())
    with pytest.raises(UndeclaredToolError, match="flight_status, weather_at"):
        middleware.check_tools(a.tools)
    # the shipped demo's tools are all in the catalogue
    retriever = ScopedRetriever(retriever=KeywordRetriever(documents=load_documents()))
    assert middleware.check_tools(make_tools(Backoffice(), retriever)) == []


def test_declared_tools_are_shown_gated_and_bound_like_shipped_ones(guard: Guardrail) -> None:
    middleware = GuardrailMiddleware(guard, context=CUSTOMER, sink=MemorySink(),
                                     tools=[WEATHER, STATUS])
    a = build(middleware, status_call())
    assert middleware.check_tools(a.tools) == []
    result = a.agent.invoke(say(QUESTION), config("declared"))
    assert {"weather_at", "flight_status"} <= set(a.tape.calls[0].tools)
    assert a.desk.log == [{"tool": "flight_status", "booking": "BK-1", "customer_id": "cus_1"}]
    verdict = tool_verdicts(result["messages"])[-1]
    assert verdict["action"] == "allow"
    assert verdict["bound"] == ["customer_id"]
    assert result["guardrail"]["policy_version"] == guard.registry.version


def test_warn_logs_once_per_tool_set_and_the_tool_stays_hidden_and_denied(
    guard: Guardrail, caplog: pytest.LogCaptureFixture
) -> None:
    middleware = GuardrailMiddleware(guard, context=CUSTOMER, sink=MemorySink(),
                                     undeclared="warn")
    a = build(middleware, [*status_call(), *status_call()])
    with caplog.at_level(logging.WARNING, logger="guardrail"):
        first = a.agent.invoke(say(QUESTION), config("warn-1"))
        a.agent.invoke(say(QUESTION), config("warn-2"))
    assert len(guardrail_warnings(caplog, "flight_status")) == 1
    assert "flight_status" not in a.tape.calls[0].tools
    assert a.desk.log == []
    assert "policy.unknown_tool" in str(tool_messages(first)[0].content)
    assert middleware.check_tools(a.tools) == ["flight_status", "weather_at"]


def test_the_async_hook_checks_the_tools_too(guard: Guardrail) -> None:
    a = build(GuardrailMiddleware(guard, context=CUSTOMER, sink=MemorySink()), status_call())
    with pytest.raises(UndeclaredToolError):
        asyncio.run(a.agent.ainvoke(say(QUESTION), config("async")))
    assert a.tape.calls == []


# -- sessions without a customer ----------------------------------------------------------------


def test_an_anonymous_session_warns_once_and_customer_bound_calls_stay_denied(
    guard: Guardrail, caplog: pytest.LogCaptureFixture
) -> None:
    middleware = GuardrailMiddleware(guard, context={"plan": "pro"}, sink=MemorySink(),
                                     tools=[WEATHER, STATUS])
    a = build(middleware, [*status_call(), *status_call()])
    with caplog.at_level(logging.WARNING, logger="guardrail"):
        first = a.agent.invoke(say(QUESTION), config("anon-1"))
        a.agent.invoke(say(QUESTION), config("anon-2"))
    (warning,) = guardrail_warnings(caplog, "customer_id")
    assert "flight_status" in warning
    assert "lookup_invoice" in warning
    assert a.desk.log == []
    assert "policy.customer_unbound" in str(tool_messages(first)[0].content)


def test_missing_customer_error_stops_an_anonymous_session(guard: Guardrail) -> None:
    middleware = GuardrailMiddleware(guard, context={"plan": "pro"}, sink=MemorySink(),
                                     tools=[WEATHER, STATUS], missing_customer="error")
    a = build(middleware, status_call())
    with pytest.raises(MissingCustomerError) as raised:
        middleware.check_tools(a.tools)  # a fixed context is checked right away
    assert "flight_status" in raised.value.tools
    with pytest.raises(MissingCustomerError):
        a.agent.invoke(say(QUESTION), config("anon-error"))
    assert a.tape.calls == []
    assert a.desk.log == []


def test_missing_customer_is_read_per_session_from_a_runtime_context(guard: Guardrail) -> None:
    def context(runtime: Any) -> dict[str, Any]:
        return dict(runtime.context)

    middleware = GuardrailMiddleware(guard, context=context, sink=MemorySink(),
                                     tools=[WEATHER, STATUS], missing_customer="error")
    a = build(middleware, [*status_call(), *status_call()])
    assert middleware.check_tools(a.tools) == []  # no fixed context: checked per session
    a.agent.invoke(say(QUESTION), config("signed-in"), context={"customer_id": "cus_7"})
    assert a.desk.log == [{"tool": "flight_status", "booking": "BK-1", "customer_id": "cus_7"}]
    with pytest.raises(MissingCustomerError):
        a.agent.invoke(say(QUESTION), config("anonymous"), context={"plan": "pro"})


# -- the arguments are checked -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"undeclared": "ignore"}, "undeclared must be"),
        ({"missing_customer": "raise"}, "missing_customer must be"),
        ({"tools": ["weather_at"]}, "tools= takes ToolSpec"),
    ],
)
def test_bad_arguments_are_a_clear_user_error(
    guard: Guardrail, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(UserError, match=match):
        GuardrailMiddleware(guard, **kwargs)
