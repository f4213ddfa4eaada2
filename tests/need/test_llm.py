"""The LLM need classifier through the real `openai` client against a local HTTP server that
speaks the chat-completions protocol, and through a LangChain chat model.

The server plays scripted behaviours: a good answer, 429 then success, 500 until the deadline,
a hang past the client timeout, malformed JSON, and a refusal.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.runnables import RunnableLambda

from guardrail import Guardrail, Registry
from guardrail.need.llm import (
    LLMMalformedError,
    LLMNeedClassifier,
    LLMRefusedError,
    LLMTimeoutError,
    LLMUnavailableError,
    LLMVerdict,
    langchain_backend,
)
from tests._servers.http import Reply, Request, serve

GOOD = {"need_state": "billing", "confidence": 0.93, "risk_kind": "billing_dispute",
        "rationale": "The customer does not recognise a payment."}
CALM = {"need_state": "how_to", "confidence": 0.88, "risk_kind": "none", "rationale": "A question."}


class _Script:
    """What the server does for each request, in order; the last step repeats."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Any]] = [("ok", GOOD)]
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def next(self) -> tuple[str, Any]:
        with self.lock:
            return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]

    def respond(self, request: Request) -> Reply:
        """Record the request body and play the next step."""
        with self.lock:
            self.requests.append(request.json())
        kind, payload = self.next()
        if kind == "hang":  # a good answer, sent only after `payload` seconds
            return Reply(200, _completion(json.dumps(GOOD)), delay=payload)
        if kind == "status":
            return Reply(payload, {"error": {"message": "scripted", "type": "x"}})
        if kind == "refusal":
            return Reply(200, _completion(None, payload))
        return Reply(200, _completion(payload if isinstance(payload, str) else json.dumps(payload)))


def _completion(content: str | None, refusal: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@pytest.fixture
def server() -> Iterator[tuple[str, _Script]]:
    script = _Script()
    with serve(script.respond) as http:
        yield http.url("/v1"), script


def _classifier(url: str, registry: Registry, *, timeout: float = 2.0,
                deadline: float = 3.0) -> LLMNeedClassifier:
    client = openai.OpenAI(api_key="test-key", base_url=url, max_retries=0, timeout=timeout)
    return LLMNeedClassifier.from_openai(client, registry.settings.need_states,
                                         model="scripted", deadline=deadline)


def test_a_good_answer_is_parsed_and_sent_with_the_prompt_and_schema(
    server: tuple[str, _Script], registry: Registry
) -> None:
    url, script = server
    verdict = _classifier(url, registry).classify("there's a payment I never made")
    assert verdict == LLMVerdict(**GOOD)
    request = script.requests[0]
    assert request["messages"][0]["role"] == "system"
    assert "billing_dispute" in request["messages"][0]["content"]
    assert request["messages"][1]["content"] == "there's a payment I never made"
    assert request["response_format"]["type"] == "json_schema"


def test_429_then_success_retries(server: tuple[str, _Script], registry: Registry) -> None:
    url, script = server
    script.steps = [("status", 429), ("status", 429), ("ok", GOOD)]
    verdict = _classifier(url, registry).classify("hello")
    assert verdict.need_state == "billing"
    assert len(script.requests) == 3


def test_500_until_the_deadline_gives_unavailable(
    server: tuple[str, _Script], registry: Registry
) -> None:
    url, script = server
    script.steps = [("status", 500)]
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError):
        _classifier(url, registry, deadline=1.0).classify("hello")
    assert time.monotonic() - started < 5.0
    assert len(script.requests) >= 2


def test_a_hang_past_the_timeout_gives_timeout(
    server: tuple[str, _Script], registry: Registry
) -> None:
    url, script = server
    script.steps = [("hang", 2.0)]
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError):
        _classifier(url, registry, timeout=0.3, deadline=0.8).classify("hello")
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    "content",
    ["this is not json", json.dumps({"need_state": "billing"}),
     json.dumps({**GOOD, "need_state": "astrology"}), json.dumps({**GOOD, "confidence": 7})],
)
def test_malformed_output_is_an_error(
    server: tuple[str, _Script], registry: Registry, content: str
) -> None:
    url, script = server
    script.steps = [("ok", content)]
    with pytest.raises(LLMMalformedError):
        _classifier(url, registry).classify("hello")
    assert len(script.requests) == 1  # not retried: the same prompt would fail again


def test_a_refusal_is_an_error(server: tuple[str, _Script], registry: Registry) -> None:
    url, script = server
    script.steps = [("refusal", "I can't help with that.")]
    with pytest.raises(LLMRefusedError):
        _classifier(url, registry).classify("hello")


@pytest.mark.parametrize(
    ("step", "code"),
    [(("status", 500), "failsafe.llm_unavailable"), (("hang", 2.0), "failsafe.llm_timeout"),
     (("ok", "nope"), "failsafe.llm_malformed"), (("refusal", "no"), "failsafe.llm_refused")],
)
def test_every_llm_failure_fails_closed_in_the_engine(
    server: tuple[str, _Script], registry: Registry, step: tuple[str, Any], code: str
) -> None:
    url, script = server
    script.steps = [step]
    guard = Guardrail(registry, need_model=_classifier(url, registry, timeout=0.3, deadline=0.8))
    decision = guard.check({"messages": [{"role": "user", "content": "how do I export"}]})
    assert decision.failsafe
    assert code in {r.code for r in decision.reason_codes}
    assert "failsafe" in decision.segment_ids()
    assert not {"issue_refund", "apply_credit", "cancel_subscription"} & set(
        decision.allowed_tools + decision.confirm_tools
    )
    assert decision.handoff.offered


def test_the_llm_may_raise_risk_but_not_lower_it(
    server: tuple[str, _Script], registry: Registry
) -> None:
    url, script = server
    guard = Guardrail(registry, need_model=_classifier(url, registry))
    script.steps = [("ok", GOOD)]
    raised = guard.check({"messages": [{"role": "user", "content": "what is this 12.99 thing"}]})
    assert raised.handoff.required
    reason = next(r for r in raised.reason_codes if r.code == "model.risk_suspected")
    assert "llm" in reason.explanation
    assert "billing_dispute" in reason.explanation
    assert "0.93" in reason.explanation
    script.steps = [("ok", CALM)]
    kept = guard.check({"messages": [{"role": "user", "content": "I was charged twice"}]})
    assert kept.handoff.required
    assert "billing_dispute" in kept.segment_ids()
    assert kept.risk_tier == "high"


def test_through_a_langchain_chat_model(registry: Registry) -> None:
    class Scripted(FakeListChatModel):
        """A chat model whose structured output is scripted (LangChain's fake has none)."""

        def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
            answers = iter([schema(**GOOD)])
            return RunnableLambda(lambda messages: next(answers))

    model = Scripted(responses=["unused"])
    classifier = LLMNeedClassifier.from_langchain(model, registry.settings.need_states)
    assert classifier.classify("a payment I never made").risk_kind == "billing_dispute"


def test_langchain_rate_limits_are_retried(registry: Registry) -> None:
    class RateLimited(Exception):
        status_code = 429

    calls: list[int] = []

    class Flaky(FakeListChatModel):
        def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
            def answer(messages: Any) -> Any:
                calls.append(1)
                if len(calls) < 3:
                    raise RateLimited("slow down")
                return schema(**CALM)

            return RunnableLambda(answer)

    classifier = LLMNeedClassifier.from_langchain(
        Flaky(responses=["unused"]), registry.settings.need_states, deadline=5.0
    )
    assert classifier.classify("how do I export").need_state == "how_to"
    assert len(calls) == 3


def test_acheck_runs_the_llm_off_the_event_loop(
    server: tuple[str, _Script], registry: Registry
) -> None:
    """While the LLM hangs, other coroutines keep running."""
    import asyncio

    url, script = server
    script.steps = [("hang", 0.5), ("ok", GOOD)]
    guard = Guardrail(registry, need_model=_classifier(url, registry, timeout=2.0))
    ticks: list[float] = []
    finished: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    async def classify() -> Any:
        decision = await guard.acheck(
            {"messages": [{"role": "user", "content": "what is this charge"}]}
        )
        finished.append(time.monotonic())
        return decision

    async def both() -> Any:
        decision, _ = await asyncio.gather(classify(), ticker())
        return decision

    decision = asyncio.run(both())
    assert decision.handoff.required
    # Inline, the 0.5 s hang would freeze the loop and at most one tick could come first.
    assert sum(t < finished[0] for t in ticks) >= 3


# -- class 10 of the hardening issue: the deadline is a hard total ----------------------------
# The bounds below are correctness bounds (the deadline plus scheduling slack), not speed targets.
_SLACK = 0.5


@pytest.mark.parametrize("client_timeout", [None, 0.3], ids=["no-client-timeout", "0.3s"])
def test_class10_the_deadline_is_a_hard_total_with_any_client_timeout(
    server: tuple[str, _Script], registry: Registry, client_timeout: float | None
) -> None:
    url, script = server
    script.steps = [("hang", 4.0)]
    client = openai.OpenAI(api_key="test-key", base_url=url, max_retries=0,
                           timeout=client_timeout)
    classifier = LLMNeedClassifier.from_openai(client, registry.settings.need_states,
                                               model="scripted", deadline=0.8)
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError):
        classifier.classify("hello")
    assert time.monotonic() - started < 0.8 + _SLACK


def test_class10_a_hung_langchain_model_is_abandoned_at_the_deadline(registry: Registry) -> None:
    released = threading.Event()

    def hang(_messages: Any) -> Any:
        released.wait(4.0)
        return LLMVerdict(**GOOD)

    classifier = LLMNeedClassifier(
        langchain_backend(RunnableLambda(hang)), registry.settings.need_states, deadline=0.6
    )
    started = time.monotonic()
    try:
        with pytest.raises(LLMTimeoutError):
            classifier.classify("hello")
        assert time.monotonic() - started < 0.6 + _SLACK
    finally:
        released.set()


def test_class10_the_engine_fails_closed_within_the_deadline_when_the_llm_hangs(
    server: tuple[str, _Script], registry: Registry
) -> None:
    url, script = server
    script.steps = [("hang", 4.0)]
    client = openai.OpenAI(api_key="test-key", base_url=url, max_retries=0, timeout=None)
    guard = Guardrail(registry, need_model=LLMNeedClassifier.from_openai(
        client, registry.settings.need_states, model="scripted", deadline=0.7))
    started = time.monotonic()
    decision = guard.check({"messages": [{"role": "user", "content": "how do I export"}]})
    assert time.monotonic() - started < 0.7 + _SLACK
    assert "failsafe.llm_timeout" in {r.code for r in decision.reason_codes}
