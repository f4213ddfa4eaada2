"""Delivery off the customer's turn: `deliver`/`adeliver` wait a bounded time, hand the rest to
the sink's background worker, and retry failed handoffs until they are delivered.

Real sinks throughout: a flaky sink that fails until it is switched on, `MemorySink`, and the
webhook sinks against the shared local HTTP server scripted to stall.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest

from guardrail import Guardrail
from guardrail.conversation import Conversation
from guardrail.handoff import (
    AsyncWebhookSink,
    HandoffSummary,
    MemorySink,
    WebhookSink,
    adeliver,
    deliver,
)
from tests._servers.http import Reply, serve

# The wait a turn gets by default, spelled out here (it is the contract, not a detail).
BOUND = 2.0


class Flaky:
    """A sink that raises ConnectionError until `up` is set; keeps what it received."""

    def __init__(self) -> None:
        self.up = False
        self.received: list[HandoffSummary] = []
        self.lock = threading.Lock()

    def send(self, summary: HandoffSummary) -> None:
        if not self.up:
            raise ConnectionError("desk down")
        with self.lock:
            self.received.append(summary)

    def ids(self) -> list[str | None]:
        return [s.conversation_id for s in self.received]


@pytest.fixture
def summary(rules_guard: Guardrail) -> HandoffSummary:
    conversation = Conversation.model_validate(
        {"id": "conv-1", "messages": [{"role": "user", "content": "I want a human"}]})
    built = HandoffSummary.build(rules_guard.check(conversation), conversation)
    rules_guard.forget_conversation("conv-1")
    return built


def another(summary: HandoffSummary, conversation_id: str) -> HandoffSummary:
    return summary.model_copy(update={"conversation_id": conversation_id})


def test_class7_a_failed_delivery_is_retried_on_the_next_call(summary: HandoffSummary) -> None:
    flaky = Flaky()
    assert deliver(flaky, summary) == "failed: ConnectionError"
    assert deliver(flaky, another(summary, "conv-2")) == "failed: ConnectionError"
    flaky.up = True
    assert deliver(flaky, another(summary, "conv-3")) == "delivered"
    assert flaky.ids() == ["conv-1", "conv-2", "conv-3"]  # oldest first, nothing lost


def test_class7_adeliver_retries_a_failed_async_delivery(summary: HandoffSummary) -> None:
    flaky = Flaky()

    async def async_sink(s: HandoffSummary) -> None:
        await asyncio.sleep(0)
        flaky.send(s)

    async def run() -> list[str]:
        first = await adeliver(async_sink, summary)
        flaky.up = True
        return [first, await adeliver(async_sink, another(summary, "conv-2"))]

    assert asyncio.run(run()) == ["failed: ConnectionError", "delivered"]
    assert flaky.ids() == ["conv-1", "conv-2"]


def test_class7_without_a_spool_failed_handoffs_wait_in_a_bounded_queue(
    summary: HandoffSummary, caplog: pytest.LogCaptureFixture
) -> None:
    from guardrail.handoff import BackgroundSink

    flaky = Flaky()
    sink = BackgroundSink(flaky, max_pending=2)
    with caplog.at_level(logging.ERROR, logger="guardrail.handoff"):
        for n in range(3):
            assert deliver(sink, another(summary, f"c{n}")) == "failed: ConnectionError"
    dropped = [r.getMessage() for r in caplog.records if "DROPPED" in r.getMessage()]
    assert len(dropped) == 1
    assert "c0" in dropped[0]
    assert "I want a human" not in caplog.text  # the conversation id, never the transcript
    flaky.up = True
    assert deliver(sink, another(summary, "c3")) == "delivered"
    assert flaky.ids() == ["c1", "c2", "c3"]


def test_class7_a_hanging_webhook_does_not_hold_the_turn(summary: HandoffSummary) -> None:
    delivered = threading.Event()
    with serve(lambda _: Reply(200, {"ok": True}, delay=BOUND + 1.5)) as local, \
            WebhookSink(local.url("/handoffs")) as webhook:  # the default limits

        def sink(s: HandoffSummary) -> None:
            webhook.send(s)
            delivered.set()

        started = time.monotonic()
        status = deliver(sink, summary)
        waited = time.monotonic() - started
        assert status == "pending"
        assert waited < BOUND + 1.0
        assert delivered.wait(30)  # the worker carried on and the desk got it
    assert len(local.requests) == 1


def test_class7_a_hanging_async_webhook_does_not_hold_the_turn(summary: HandoffSummary) -> None:
    from guardrail.handoff import BackgroundSink

    async def run(url: str) -> tuple[str, float]:
        async with AsyncWebhookSink(url) as webhook:
            started = time.monotonic()
            status = await adeliver(BackgroundSink(webhook, wait=0.3), summary)
            waited = time.monotonic() - started
            while not local.requests:  # let the send finish before the client closes
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)
            return status, waited

    with serve(lambda _: Reply(200, {"ok": True}, delay=1.0)) as local:
        status, waited = asyncio.run(run(local.url("/handoffs")))
    assert status == "pending"
    assert waited < 1.0


def test_the_wait_is_configurable_and_checked(summary: HandoffSummary) -> None:
    from guardrail.errors import UserError
    from guardrail.handoff import BackgroundSink
    from guardrail.handoff.sinks import DEFAULT_WAIT

    assert DEFAULT_WAIT == BOUND
    memory = MemorySink()
    assert deliver(BackgroundSink(memory, wait=0.5), summary) == "delivered"
    assert memory.summaries == [summary]
    for bad in ({"wait": -1.0}, {"wait": 601.0}, {"max_pending": 0}):
        with pytest.raises(UserError):
            BackgroundSink(memory, **bad)  # type: ignore[arg-type]


def test_a_background_sink_raises_on_send_when_not_delivered(summary: HandoffSummary) -> None:
    from guardrail.errors import SinkError
    from guardrail.handoff import BackgroundSink

    with pytest.raises(SinkError, match="ConnectionError"):
        BackgroundSink(Flaky()).send(summary)


def test_deliver_never_raises_even_for_a_sink_that_is_not_one(summary: HandoffSummary) -> None:
    odd: Any = 42  # not callable: the worker's attempt raises TypeError
    assert deliver(odd, summary) == "failed: TypeError"
