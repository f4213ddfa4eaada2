"""One Guardrail (and one LangChain middleware) shared by many concurrent conversations.

Each conversation must get exactly the decision a fresh, unshared Guardrail gives it: no state
bleeds between conversation ids, whatever the interleaving of threads or asyncio tasks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from guardrail import Decision, Guardrail, Registry
from guardrail.adapters.langchain import GuardrailMiddleware, tool_verdicts
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.demo.tools import Backoffice, KeywordRetriever, load_documents, make_tools
from guardrail.detectors import RuleDetector
from guardrail.handoff import MemorySink
from guardrail.need import NeedModel, NeedPrediction
from guardrail.testing import RecordingDetector
from guardrail.testing.scripted import ScriptedChatModel, Tape

TODAY = date(2026, 6, 1)
N = 1_000
TURNS = 3


def _turns(n: int) -> list[list[dict[str, str]]]:
    """The three growing prefixes of conversation `n`: even ones dispute a charge, odd ones
    ask a how-to question; every text names the conversation so no two are alike."""
    if n % 2 == 0:
        users = [f"I was charged twice for order {n}, {n % 97 + 3} EUR each time.",
                 f"The order number is A-{n}.",
                 f"It was on my card ending {1000 + n % 9000}."]
    else:
        users = [f"How do I export invoice {n} as CSV?",
                 f"It is for workspace team-{n}.",
                 "Thanks, and where do I find the export history?"]
    messages: list[dict[str, str]] = []
    prefixes = []
    for turn, text in enumerate(users):
        if turn:
            messages.append({"role": "assistant", "content": f"Noted for {n}."})
        messages.append({"role": "user", "content": text})
        prefixes.append(list(messages))
    return prefixes


def _conversation(n: int, messages: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": f"conv-{n}", "messages": messages,
            "context": {"customer_id": f"cus_{n}", "plan": "pro" if n % 3 else "free"}}


@pytest.fixture(scope="module")
def expected(registry: Registry) -> dict[int, list[Decision]]:
    """Each conversation's decisions turn by turn, on a Guardrail of its own, one at a time."""
    reference = Guardrail(registry, clock=lambda: TODAY)
    out: dict[int, list[Decision]] = {}
    for n in range(N):
        out[n] = [reference.check(_conversation(n, m)) for m in _turns(n)]
        reference.forget_conversation(f"conv-{n}")
    # the two kinds of conversation really decide differently
    assert all(out[n][0].handoff.required for n in range(0, N, 2))
    assert not any(out[n][-1].handoff.required for n in range(1, N, 2))
    return out


def _check_all_turns(guard: Guardrail, n: int) -> list[Decision]:
    return [guard.check(_conversation(n, m)) for m in _turns(n)]


def test_threads_sharing_one_guardrail_get_unshared_decisions(
    registry: Registry, expected: dict[int, list[Decision]]
) -> None:
    shared = Guardrail(registry, clock=lambda: TODAY)
    # Turns are interleaved across conversations: each worker takes one (conversation, turn)
    # at a time, conversations advancing turn by turn in any order between them.
    locks = {n: threading.Lock() for n in range(N)}
    results: dict[tuple[int, int], Decision] = {}

    def one_turn(job: tuple[int, int]) -> None:
        n, turn = job
        with locks[n]:  # a conversation's own turns stay in order, like a real chat
            results[n, turn] = shared.check(_conversation(n, _turns(n)[turn]))

    with ThreadPoolExecutor(max_workers=16) as pool:
        for turn in range(TURNS):
            list(pool.map(one_turn, [(n, turn) for n in range(N)]))
    mismatched = [(n, t) for n in range(N) for t in range(TURNS)
                  if results[n, t] != expected[n][t]]
    assert mismatched == []
    assert len(shared._states) == N


def test_threads_each_running_whole_conversations(
    registry: Registry, expected: dict[int, list[Decision]]
) -> None:
    shared = Guardrail(registry, clock=lambda: TODAY)
    with ThreadPoolExecutor(max_workers=16) as pool:
        got = dict(zip(range(N), pool.map(lambda n: _check_all_turns(shared, n), range(N)),
                       strict=True))
    assert [n for n in range(N) if got[n] != expected[n]] == []


def test_asyncio_tasks_sharing_one_guardrail_get_unshared_decisions(
    registry: Registry, expected: dict[int, list[Decision]]
) -> None:
    shared = Guardrail(registry, clock=lambda: TODAY)

    async def conversation(n: int) -> list[Decision]:
        decisions = []
        for messages in _turns(n):
            decisions.append(await shared.acheck(_conversation(n, messages)))
            await asyncio.sleep(0)  # let every other conversation interleave here
        return decisions

    async def main() -> list[list[Decision]]:
        return await asyncio.gather(*(conversation(n) for n in range(N)))

    got = asyncio.run(main())
    assert [n for n in range(N) if got[n] != expected[n]] == []


def test_asyncio_with_a_blocking_classifier_runs_checks_in_worker_threads(
    registry: Registry, expected: dict[int, list[Decision]]
) -> None:
    """A need classifier marked `blocking_io` (an LLM) sends `acheck` to worker threads, so
    conversations really run in parallel there; results must not change."""
    model = NeedModel.default()

    class Blocking:
        blocking_io = True

        def predict_message(
            self, text: str, words: Sequence[str], rule_codes: Sequence[str]
        ) -> NeedPrediction:
            return model.predict_message(text, words, rule_codes)

    shared = Guardrail(registry, clock=lambda: TODAY, need_model=Blocking())
    subset = range(0, N, 5)

    async def conversation(n: int) -> list[Decision]:
        return [await shared.acheck(_conversation(n, m)) for m in _turns(n)]

    async def main() -> list[list[Decision]]:
        return await asyncio.gather(*(conversation(n) for n in subset))

    got = dict(zip(subset, asyncio.run(main()), strict=True))
    assert [n for n in subset if got[n] != expected[n]] == []


# -- bounded state ------------------------------------------------------------------------------


def test_state_is_bounded_and_an_evicted_conversation_is_rescanned(
    registry: Registry, expected: dict[int, list[Decision]]
) -> None:
    reader = RecordingDetector(RuleDetector(registry))
    guard = Guardrail(registry, clock=lambda: TODAY, max_conversations=100, detector=reader)
    with ThreadPoolExecutor(max_workers=16) as pool:
        first = list(pool.map(lambda n: _check_all_turns(guard, n), range(N)))
    assert len(guard._states) <= 100
    assert first == [expected[n] for n in range(N)]
    evicted = [n for n in range(N) if f"conv-{n}" not in guard._states]
    assert len(evicted) >= N - 100
    assert 0 in evicted
    assert 1 in evicted
    reader.scanned.clear()
    for n in (0, 1, 2, 3):
        last = _turns(n)[-1]
        assert guard.check(_conversation(n, last)) == expected[n][-1]
    # rescanned in full: every message of each evicted conversation read again
    assert reader.scanned == [i for n in (0, 1, 2, 3) for i in range(len(_turns(n)[-1]))]
    assert len(guard._states) <= 100


# -- the LangChain middleware shared by concurrent runs -----------------------------------------


@dataclass
class Session:
    customer_id: str


RUNS = 20


def test_one_middleware_shared_by_concurrent_agent_runs(registry: Registry) -> None:
    guard = Guardrail(registry, clock=lambda: TODAY)
    sink = MemorySink()
    middleware = GuardrailMiddleware(guard, sink=sink)  # context: each run's own Session
    office = Backoffice()
    tape = Tape([[AIMessage(content="", tool_calls=[
        {"name": "get_account_status", "args": {}, "id": "s1"}]), AIMessage("Here it is.")]])
    retriever = ScopedRetriever(retriever=KeywordRetriever(documents=load_documents()))
    agent = create_agent(ScriptedChatModel(tape=tape), tools=make_tools(office, retriever),
                         middleware=[middleware], context_schema=Session,
                         checkpointer=InMemorySaver())
    start = threading.Barrier(RUNS)

    def run(i: int) -> dict[str, Any]:
        text = (f"I was charged twice for order {i}" if i % 2 == 0
                else f"How do I export invoice {i} as CSV? Please check my account status.")
        start.wait()
        return dict(agent.invoke({"messages": [{"role": "user", "content": text}]},
                                 {"configurable": {"thread_id": f"run-{i}"}},
                                 context=Session(customer_id=f"cus_{i}")))

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        results = list(pool.map(run, range(RUNS)))

    for i, result in enumerate(results):
        view = result["guardrail"]
        tools = [m for m in result["messages"] if isinstance(m, ToolMessage)]
        if i % 2 == 0:
            assert view["handoff"]["required"], i
            assert "billing_dispute" in view["segments"]
            assert tools == []
            assert result["guardrail_handoff"]["conversation_id"] == f"run-{i}"
            assert result["guardrail_handoff"]["customer"]["customer_id"] == f"cus_{i}"
        else:
            assert not view["handoff"]["required"], i
            assert "billing_dispute" not in view["segments"]
            (status,) = tools
            # the tool ran bound to this run's customer, never another run's
            assert str(status.content).startswith(f"cus_{i}: "), (i, status.content)
            assert tool_verdicts(result["messages"])[0]["bound"] == ["customer_id"]
    ran_for = sorted(entry["customer_id"] for entry in office.log)
    assert ran_for == sorted(f"cus_{i}" for i in range(1, RUNS, 2))
    assert sorted((s.conversation_id or "", s.customer["customer_id"])
                  for s in sink.summaries) == sorted(
        (f"run-{i}", f"cus_{i}") for i in range(0, RUNS, 2))
