"""Run by `tests/test_fresh_install.py` with the interpreter of a fresh venv that installed only
the built wheel, by its distribution name (``guardrail-support[agents]``): nothing from this
checkout is importable there. It talks to the test's local OpenAI-protocol server (argv[1]) and
prints one JSON line of what it saw; the test asserts on that.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import sys

from agents import (
    Agent,
    InputGuardrailTripwireTriggered,
    OpenAIChatCompletionsModel,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from openai import AsyncOpenAI, OpenAI

import guardrail
from guardrail import Guardrail
from guardrail.adapters.openai import GuardedOpenAI
from guardrail.adapters.openai_agents import GuardrailAgents, tripped
from guardrail.handoff import MemorySink

CUSTOMER = {"customer_id": "cus_1"}


def main(url: str) -> None:
    set_tracing_disabled(True)
    seen: dict[str, object] = {
        "distribution": importlib.metadata.version("guardrail-support"),
        "module": guardrail.__file__,
    }
    guard = Guardrail.from_defaults()
    ran: list[str] = []

    @function_tool
    def search_docs(query: str) -> str:
        """Search the help center."""
        ran.append(f"search_docs:{query}")
        return "Settings > Security > SSO."

    @function_tool
    def issue_refund(customer_id: str, amount: float) -> str:
        """Refund the customer."""
        ran.append(f"issue_refund:{customer_id}")
        return "Refunded."

    model = OpenAIChatCompletionsModel(
        model="scripted", openai_client=AsyncOpenAI(base_url=url, api_key="test", max_retries=0))
    sink = MemorySink()
    agent = GuardrailAgents(guard, sink=sink).agent(
        Agent(name="support", instructions="You are the support assistant.", model=model,
              tools=[search_docs, issue_refund]))
    result = asyncio.run(Runner.run(agent, "How do I set up SSO?", context=CUSTOMER))
    seen["agent_answer"] = result.final_output
    try:
        asyncio.run(Runner.run(agent, "I was charged twice for the same order",
                               context=CUSTOMER))
        seen["agent_dispute"] = "answered by the model"
    except InputGuardrailTripwireTriggered as exc:
        verdict = tripped(exc)
        seen["agent_dispute"] = verdict.decision.handoff.queue if verdict else None
    seen["agent_summaries"] = len(sink.summaries)
    seen["tools_ran"] = ran

    with OpenAI(base_url=url, api_key="test", max_retries=0) as client:
        guarded = GuardedOpenAI(client, guard)
        tools = [{"type": "function", "name": name,
                  "parameters": {"type": "object", "properties": {}}}
                 for name in ("search_docs", "issue_refund")]
        response = guarded.responses.create(
            model="scripted", input="How do I add a user to my team?", tools=tools,
            context=CUSTOMER)
        seen["responses_calls"] = [item.name for item in response.output
                                   if item.type == "function_call"]
        seen["responses_refund"] = response.decision.verdict("issue_refund").verdict
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])
