"""After a handoff: status replies instead of the same handoff message, one summary per
conversation (an update when the reasons change), and ``withdrawn`` when a customer withdraws a
non-critical request; critical risks are never withdrawn by the customer's words.

Through the real adapters (LangChain `create_agent` with a scripted model; the OpenAI wrapper
with the real `openai` client against the local server) and on `Followups` itself.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from guardrail import Guardrail, UserError
from guardrail.adapters.langchain import GuardrailMiddleware
from guardrail.adapters.openai import AsyncGuardedOpenAI, GuardedOpenAI
from guardrail.conversation import Conversation
from guardrail.decision import Decision
from guardrail.handoff import (
    CallableSink,
    HandoffSummary,
    HandoffUpdate,
    MemorySink,
    adeliver_update,
    deliver_update,
)
from guardrail.handoff.followup import Followups, withdrawable
from guardrail.prompts import Prompts
from guardrail.testing.scripted import ScriptedChatModel, Tape
from tests._servers.chat import ChatServer, chat_server

ASK_HUMAN = "I want to talk to a human please."
WITHDRAW = "never mind, I don't need a person anymore"
TAKEOVER = "Someone hacked my account and changed my password"
IT_WAS_ME = "never mind, it was me, ignore it"
STILL_THERE = ["hello??", "is anyone there?", "ok, waiting", "any news?"]
PROMPTS = Prompts.default()
CUSTOMER = {"customer_id": "cus_1"}


def decide(guard: Guardrail, cid: str, *texts: str) -> Decision:
    messages: list[dict[str, str]] = []
    for text in texts:
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    return guard.check(Conversation.model_validate({"id": cid, "messages": messages[:-1]}))


def assert_never_repeats(replies: list[str]) -> None:
    assert all(a != b for a, b in itertools.pairwise(replies)), replies


# -- the follow-up state on its own --------------------------------------------------------------


def test_one_handoff_then_status_then_withdrawn(guard: Guardrail) -> None:
    followups, sink = Followups(), object()
    kinds = []
    texts = [ASK_HUMAN]
    kinds.append(followups.advance(sink, "f-1", decide(guard, "f-1", *texts)).kind)
    for more in STILL_THERE[:2]:
        texts.append(more)
        kinds.append(followups.advance(sink, "f-1", decide(guard, "f-1", *texts)).kind)
    state = followups.state(sink, "f-1")
    assert state is not None
    assert state.status_replies == 2
    assert state.withdrawable
    texts.append(WITHDRAW)
    kinds.append(followups.advance(sink, "f-1", decide(guard, "f-1", *texts)).kind)
    assert kinds == ["handoff", "status", "status", "withdrawn"]
    assert followups.state(sink, "f-1") is None  # the next request for a person is a new one


def test_new_reasons_are_an_update_and_critical_is_never_withdrawable(guard: Guardrail) -> None:
    followups, sink = Followups(), object()
    first = followups.advance(sink, "f-2", decide(guard, "f-2", ASK_HUMAN))
    assert first.kind == "handoff"
    second = followups.advance(sink, "f-2", decide(guard, "f-2", ASK_HUMAN, TAKEOVER))
    assert second.kind == "update"
    assert second.sends_summary
    assert second.state is not None
    assert not second.state.withdrawable
    assert second.state.queue == "security_fraud"
    assert not withdrawable(decide(guard, "f-x", TAKEOVER))
    assert withdrawable(decide(guard, "f-y", ASK_HUMAN))


def test_the_state_holds_no_message_text_and_is_bounded(guard: Guardrail) -> None:
    followups, sink = Followups(max_conversations=2), object()
    for cid in ("a", "b", "c"):
        followups.advance(sink, cid, decide(guard, cid, ASK_HUMAN))
    assert followups.state(sink, "a") is None  # least recently used, dropped
    state = followups.state(sink, "c")
    assert state is not None
    held = repr(state).casefold()
    assert "talk to a human" not in held
    assert "human please" not in held


def test_another_sink_or_no_conversation_id_starts_over(guard: Guardrail) -> None:
    followups = Followups()
    decision = decide(guard, "f-3", ASK_HUMAN)
    one, other = MemorySink(), MemorySink()
    assert followups.advance(one, "f-3", decision).kind == "handoff"
    assert followups.advance(one, "f-3", decision).kind == "status"
    assert followups.advance(other, "f-3", decision).kind == "handoff"
    assert followups.advance(one, None, decision).kind == "handoff"
    assert followups.advance(one, None, decision).kind == "handoff"


class _Slotted:
    """A sink that cannot be weakly referenced."""

    __slots__ = ("summaries",)

    def __init__(self) -> None:
        self.summaries: list[object] = []

    def send(self, summary: object) -> None:
        self.summaries.append(summary)


def test_a_new_sink_never_inherits_a_dead_sinks_handoff(guard: Guardrail) -> None:
    # A sink that cannot be weakly referenced is held by its entry: once it is gone, a new sink
    # at the same address would otherwise read as it and never get its first summary.
    followups = Followups()
    decision = decide(guard, "f-4", ASK_HUMAN)
    for _ in range(20):
        sink: object = _Slotted()
        assert followups.advance(sink, "f-4", decision).kind == "handoff"
        del sink
    listed: list[object] = []
    assert followups.advance(listed.append, "f-4", decision).kind == "handoff"
    assert followups.advance(listed.append, "f-4", decision).kind == "status"


@pytest.mark.parametrize("size", [0, -1])
def test_the_state_needs_room_for_one_conversation(size: int) -> None:
    with pytest.raises(UserError):
        Followups(max_conversations=size)


# -- the status replies --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", *sorted(PROMPTS.translations)])
def test_status_replies_rotate_in_every_customer_language(guard: Guardrail,
                                                          language: str) -> None:
    decision = decide(guard, "s-1", ASK_HUMAN).model_copy(update={"language": language})
    replies = [PROMPTS.status_reply(decision, n) for n in range(7)]
    assert_never_repeats(replies)
    assert PROMPTS.handoff_message(decision) not in replies
    if language != "en":  # translated, not the English fallback
        assert set(replies).isdisjoint(PROMPTS.adapter.status_replies)


def test_a_prompt_folder_with_one_status_reply_is_refused(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "prompts"
    for name in ("directives.yaml", "handoff.yaml"):
        (tmp_path / name).write_text((root / name).read_text("utf-8"), "utf-8")
    adapter = (root / "adapter.yaml").read_text("utf-8")
    head = adapter.split("status_replies:")[0]
    (tmp_path / "adapter.yaml").write_text(head + "status_replies:\n  - Only one.\n", "utf-8")
    with pytest.raises(UserError, match="status_replies"):
        Prompts.load(tmp_path)
    (tmp_path / "adapter.yaml").write_text(head + "status_replies: [Same., Same.]\n", "utf-8")
    with pytest.raises(UserError, match="status_replies"):
        Prompts.load(tmp_path)


# -- updates reach only sinks that take them -----------------------------------------------------


def _update(kind: Any = "withdrawn") -> HandoffUpdate:
    return HandoffUpdate(conversation_id="u-1", kind=kind, queue="general_support",
                         reasons=["human.request#human.broad"], created_at="2026-01-01T00:00:00")


def test_a_sink_without_update_gets_nothing_and_a_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[object] = []
    with caplog.at_level(logging.DEBUG, logger="guardrail.handoff"):
        assert deliver_update(CallableSink(got.append), _update()) == "unsupported"
        assert deliver_update(got.append, _update()) == "unsupported"
    assert got == []
    assert any("no update() method" in r.getMessage() and r.levelno == logging.DEBUG
               for r in caplog.records)
    assert deliver_update(None, _update()) == "no_sink"


def test_update_delivery_never_raises_and_an_async_one_is_awaited() -> None:
    class Broken:
        def send(self, summary: HandoffSummary) -> None: ...

        def update(self, update: HandoffUpdate) -> None:
            raise ConnectionError("down")

    class Async:
        def __init__(self) -> None:
            self.updates: list[HandoffUpdate] = []

        def send(self, summary: HandoffSummary) -> None: ...

        async def update(self, update: HandoffUpdate) -> None:
            self.updates.append(update)

    assert deliver_update(Broken(), _update()) == "failed: ConnectionError"
    sink = Async()
    assert deliver_update(sink, _update()) == "failed: TypeError"  # would send nothing
    assert asyncio.run(adeliver_update(sink, _update())) == "delivered"
    assert [u.kind for u in sink.updates] == ["withdrawn"]


# -- through LangChain's create_agent ------------------------------------------------------------


def agent_for(guard: Guardrail, sink: MemorySink, replies: list[str]) -> tuple[Any, Tape]:
    tape = Tape([[AIMessage(r)] for r in replies])
    middleware = GuardrailMiddleware(guard, context=CUSTOMER, sink=sink)
    agent = create_agent(ScriptedChatModel(tape=tape), tools=[], middleware=[middleware],
                         checkpointer=InMemorySaver())
    return agent, tape


def say(agent: Any, text: str, thread: str) -> str:
    result = agent.invoke({"messages": [{"role": "user", "content": text}]},
                          {"configurable": {"thread_id": thread}})
    return str(result["messages"][-1].text)


def test_langchain_status_replies_then_withdrawn(guard: Guardrail) -> None:
    sink = MemorySink()
    agent, tape = agent_for(guard, sink, [f"reply {n}" for n in range(8)])
    replies = [say(agent, ASK_HUMAN, "lc-1")]
    replies += [say(agent, text, "lc-1") for text in STILL_THERE]
    assert replies[0] == PROMPTS.adapter.handoff_message.queues.get(
        "general_support", PROMPTS.adapter.handoff_message.default)
    assert set(replies[1:]) <= set(PROMPTS.adapter.status_replies)
    assert_never_repeats(replies)
    assert tape.calls == []  # the model is not called while a person has the conversation
    assert len(sink.summaries) == 1  # one handoff, not one per turn
    assert [u.kind for u in sink.updates] == ["status"] * len(STILL_THERE)
    assert [u.status_replies for u in sink.updates] == list(range(1, len(STILL_THERE) + 1))
    answer = say(agent, WITHDRAW, "lc-1")
    assert answer.startswith("reply ")  # the assistant answers again
    assert sink.updates[-1].kind == "withdrawn"
    assert sink.updates[-1].conversation_id == "lc-1"
    assert len(sink.summaries) == 1


def test_langchain_takeover_is_not_withdrawn_by_the_customers_words(guard: Guardrail) -> None:
    sink = MemorySink()
    agent, tape = agent_for(guard, sink, ["should not be said"] * 4)
    first = say(agent, TAKEOVER, "lc-2")
    assert first == PROMPTS.adapter.handoff_message.queues["security_fraud"]
    second = say(agent, IT_WAS_ME, "lc-2")
    assert second in PROMPTS.adapter.status_replies
    assert tape.calls == []
    assert len(sink.summaries) == 1
    assert "withdrawn" not in [u.kind for u in sink.updates]


def test_langchain_new_reasons_send_an_update_to_the_new_queue(guard: Guardrail) -> None:
    sink = MemorySink()
    agent, _ = agent_for(guard, sink, [])
    say(agent, ASK_HUMAN, "lc-3")
    reply = say(agent, TAKEOVER, "lc-3")
    assert [s.queue for s in sink.summaries] == ["general_support", "security_fraud"]
    assert reply == PROMPTS.adapter.handoff_message.queues["security_fraud"]  # a new team


# -- through the OpenAI wrapper ------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as httpd:
        yield httpd


def test_openai_status_replies_then_withdrawn(guard: Guardrail, server: ChatServer) -> None:
    sink = MemorySink()
    history: list[dict[str, Any]] = []
    replies = []
    with openai.OpenAI(base_url=server.url, api_key="test", max_retries=0) as client:
        guarded = GuardedOpenAI(client, guard, sink=sink)
        for text in [ASK_HUMAN, *STILL_THERE]:
            history.append({"role": "user", "content": text})
            turn = guarded.create(model="m", messages=history, context=CUSTOMER,
                                  conversation_id="oa-1")
            assert turn.handoff is not None
            history.append(dict(turn.message))
            replies.append(str(turn.message["content"]))
        assert server.requests == []  # the model is never called while handed off
        assert len(sink.summaries) == 1
        assert turn.delivery == "already_handed_off"
        assert_never_repeats(replies)
        assert set(replies[1:]) <= set(PROMPTS.adapter.status_replies)
        server.reply("Happy to help again.")
        history.append({"role": "user", "content": WITHDRAW})
        turn = guarded.create(model="m", messages=history, context=CUSTOMER,
                              conversation_id="oa-1")
    assert turn.handoff is None
    assert turn.message["content"] == "Happy to help again."
    assert [u.kind for u in sink.updates][-1] == "withdrawn"
    assert len(server.requests) == 1


def test_async_openai_takeover_keeps_the_handoff(guard: Guardrail, server: ChatServer) -> None:
    sink = MemorySink()

    async def run() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=server.url, api_key="test",
                                      max_retries=0) as client:
            guarded = AsyncGuardedOpenAI(client, guard, sink=sink)
            history: list[dict[str, Any]] = []
            turns = []
            for text in [TAKEOVER, IT_WAS_ME, "please, it was really me"]:
                history.append({"role": "user", "content": text})
                turn = await guarded.create(model="m", messages=history, context=CUSTOMER,
                                            conversation_id="oa-2")
                history.append(dict(turn.message))
                turns.append(turn)
            return turns

    turns = asyncio.run(run())
    assert all(t.decision.handoff.required for t in turns)
    assert server.requests == []
    assert len(sink.summaries) == 1
    assert [u.kind for u in sink.updates] == ["status", "status"]
    assert_never_repeats([str(t.message["content"]) for t in turns])
