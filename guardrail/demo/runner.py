"""`guardrail demo`: scripted support conversations through a real LangChain agent.

Each scenario in ``scenarios.yaml`` runs through `create_agent` with `GuardrailMiddleware`, an
in-memory checkpointer (confirmations pause and resume through LangGraph interrupts), the
back-office tools of `guardrail.demo.tools` and a scripted tool-calling chat model, so it runs
offline in seconds. ``--live`` swaps the scripted model for a real OpenAI model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import Field

from guardrail._base import FrozenModel
from guardrail._resources import default_prompts_dir
from guardrail._yaml import load_yaml
from guardrail.adapters.langchain import GuardrailMiddleware, tool_verdicts
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.demo.tools import Backoffice, KeywordRetriever, load_documents, make_tools
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.handoff import HandoffSummary, MemorySink
from guardrail.testing.scripted import ModelCall, ScriptedChatModel, Tape

__all__ = [
    "Scenario",
    "ScenarioRun",
    "ScriptedCall",
    "Step",
    "Turn",
    "TurnRun",
    "live_model",
    "load_scenarios",
    "run_demo",
    "run_scenario",
    "scripted_model",
]

_SCENARIOS = Path(__file__).with_name("scenarios.yaml")


class ScriptedCall(FrozenModel):
    """One tool call the scripted model makes."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Step(FrozenModel):
    """One model call of the script: a reply text or tool calls."""

    text: str | None = None
    tool_calls: list[ScriptedCall] = Field(default_factory=list)


class Turn(FrozenModel):
    """One customer message and the model calls scripted for it."""

    user: str = Field(min_length=1)
    model: list[Step] = Field(default_factory=list)


class Scenario(FrozenModel):
    """One demo conversation."""

    id: str
    title: str
    shows: str
    context: dict[str, Any] = Field(default_factory=dict)
    confirm: Literal["approve", "decline"] = "approve"
    turns: list[Turn] = Field(min_length=1)

    def script(self) -> list[list[AIMessage]]:
        """The scripted model's replies, turn by turn, with unique tool-call ids."""
        turns = []
        for t, turn in enumerate(self.turns):
            steps = []
            for k, step in enumerate(turn.model):
                calls = [
                    {"name": c.name, "args": dict(c.args), "id": f"call_{self.id}_{t}_{k}_{i}"}
                    for i, c in enumerate(step.tool_calls)
                ]
                steps.append(AIMessage(content=step.text or "", tool_calls=calls))
            turns.append(steps)
        return turns


class _ScenarioFile(FrozenModel):
    scenarios: list[Scenario]


def load_scenarios(path: Path = _SCENARIOS) -> list[Scenario]:
    """The demo scenarios, validated.

    Raises:
        UserError: the file is missing or does not match the scenario schema.
    """
    loaded, issues = load_yaml(path, _ScenarioFile)
    if loaded is None:
        problems = "; ".join(f"{i.path or '(file)'}: {i.message}" for i in issues)
        raise UserError(f"{path}: invalid demo scenarios: {problems}")
    return list(loaded.scenarios)


@dataclass
class TurnRun:
    """What happened in one customer turn."""

    user: str
    decision: dict[str, Any]
    model_calls: list[ModelCall]
    tool_calls: list[dict[str, Any]]
    reply: str
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None
    # Tool calls the script had for a turn in which the model was never called (a person took
    # over), with what the real gate says about each: shown so the block is visible.
    unplayed: list[dict[str, Any]] = field(default_factory=list)
    # Documents retrieved this turn whose planted instructions were withheld from the model.
    quarantined: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class ScenarioRun:
    """A scenario as it ran: its turns, the effects that really happened, the handoffs sent."""

    scenario: Scenario
    turns: list[TurnRun]
    executed: list[dict[str, Any]]
    retrieved: list[list[str]]
    handoffs: list[HandoffSummary]


ModelFactory = Callable[[Scenario], tuple[BaseChatModel, Tape | None]]


def scripted_model(scenario: Scenario) -> tuple[BaseChatModel, Tape | None]:
    """The offline model: plays back the scenario's script."""
    tape = Tape(scenario.script())
    return ScriptedChatModel(tape=tape), tape


def live_model(scenario: Scenario) -> tuple[BaseChatModel, Tape | None]:
    """A real OpenAI model (needs ``OPENAI_API_KEY``; honours ``OPENAI_BASE_URL``).

    Raises:
        UserError: no API key, or langchain-openai is not installed.
    """
    if not os.environ.get("OPENAI_API_KEY"):
        raise UserError("--live needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL)")
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        from guardrail._install import pip_hint

        raise UserError(f"--live needs langchain-openai: {pip_hint('live')}") from None
    model = os.environ.get("GUARDRAIL_DEMO_MODEL", "gpt-4o-mini")
    return ChatOpenAI(
        model=model,
        temperature=0,
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        max_retries=2,
        timeout=60,
    ), None


def run_scenario(
    scenario: Scenario,
    guard: Guardrail,
    model_factory: ModelFactory = scripted_model,
) -> ScenarioRun:
    """Play `scenario` through a real agent guarded by `GuardrailMiddleware`."""
    model, tape = model_factory(scenario)
    office = Backoffice()
    retriever = ScopedRetriever(retriever=KeywordRetriever(documents=load_documents()))
    sink = MemorySink()
    middleware = GuardrailMiddleware(guard, context=scenario.context, sink=sink)
    agent = create_agent(
        model,
        tools=make_tools(office, retriever),
        system_prompt=(default_prompts_dir() / "demo_system.md").read_text("utf-8"),
        middleware=[middleware],
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": f"demo-{scenario.id}"}}
    turns: list[TurnRun] = []
    seen_calls = seen_quarantined = 0
    handoff_seen: dict[str, Any] | None = None
    for t, turn in enumerate(scenario.turns):
        result = agent.invoke({"messages": [{"role": "user", "content": turn.user}]}, config)
        confirmations = []
        while result.get("__interrupt__"):
            for pending in result["__interrupt__"]:
                confirmations.append({**pending.value, "answer": scenario.confirm})
            result = agent.invoke(
                Command(resume={"approved": scenario.confirm == "approve"}), config
            )
        calls = tool_verdicts(result["messages"])
        handoff = result.get("guardrail_handoff")
        replies = [m for m in result["messages"] if m.type == "ai"]
        model_calls = [c for c in tape.calls if c.turn == t] if tape else []
        unplayed = []
        if tape is not None and not model_calls:
            for step in turn.model:
                for call in step.tool_calls:
                    check = middleware.check_call(result["messages"], call.name, call.args)
                    unplayed.append(check.as_record())
        turns.append(TurnRun(
            user=turn.user,
            decision=result.get("guardrail", {}),
            model_calls=model_calls,
            tool_calls=calls[seen_calls:],
            reply=replies[-1].text if replies else "",
            confirmations=confirmations,
            handoff=handoff if handoff and handoff != handoff_seen else None,
            unplayed=unplayed,
            quarantined=office.quarantined[seen_quarantined:],
        ))
        seen_calls, seen_quarantined = len(calls), len(office.quarantined)
        handoff_seen = handoff
    return ScenarioRun(scenario, turns, office.log, office.retrieved, sink.summaries)


def run_demo(
    ids: Sequence[str] | None = None,
    *,
    live: bool = False,
    guard: Guardrail | None = None,
) -> list[ScenarioRun]:
    """Run the demo scenarios (all, or those in `ids`).

    Raises:
        UserError: an unknown scenario id, or ``live`` without what it needs.
    """
    scenarios = load_scenarios()
    if ids:
        known = {s.id for s in scenarios}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UserError(f"unknown demo scenario(s) {unknown}; known: {sorted(known)}")
        scenarios = [s for s in scenarios if s.id in ids]
    guard = guard if guard is not None else Guardrail.from_defaults()
    factory = live_model if live else scripted_model
    return [run_scenario(s, guard, factory) for s in scenarios]
