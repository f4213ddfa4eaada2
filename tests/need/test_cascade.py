"""The cascade (`CascadeClassifier`): the shipped learned model on every message, the LLM only
where it is unsure, through the real `openai` client against the local chat-completions server
(`tests._servers.chat`), which counts every request it gets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from guardrail import Guardrail, NeedModel, NeedPrediction, Registry
from guardrail.detectors.language import LanguageIdentifier
from guardrail.errors import UserError
from guardrail.need import CascadeClassifier
from guardrail.need.llm import LLMMalformedError, LLMNeedClassifier
from guardrail.testing.fake import ScriptedClassifier
from tests._servers.chat import ChatServer, chat_server

CONFIDENT = "how do I reset my password"  # the shipped model: access_restore, all words known
# Chosen for the shipped model (retrained on every supported language on 2026-12-07): a
# retrain may move them, and the premises each test asserts first say so.
UNSURE = "yeah that one thing again"  # the shipped model: below 0.5, every word known
NOVEL = "snorkel vexation plonk on my frobnicator"  # confident, but a third of its words unseen
# The third language round's model (2^18 buckets, rows in 44% of them) hashes half of these
# made-up words onto known buckets, so the novelty check no longer sees them (at 2^20 buckets it
# does, but that model fell under the eval suite's need-accuracy floor): issue 14's note.
COLLIDING = pytest.mark.xfail(
    strict=True, reason="known regression: the shipped model's hashed buckets are 44% full, "
    "so known_share counts most unseen words as known")
SPANISH = "no puedo entrar en mi cuenta desde ayer y necesito ayuda con mi tarjeta"

CALM_BILLING = {"need_state": "billing", "confidence": 0.9, "risk_kind": "none",
                "rationale": "A question about a charge."}
DISPUTE = {"need_state": "billing", "confidence": 0.95, "risk_kind": "billing_dispute",
           "rationale": "The customer does not recognise a payment."}


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with chat_server() as server:
        yield server


@pytest.fixture(scope="module")
def local() -> NeedModel:
    return NeedModel.default()


@pytest.fixture(scope="module")
def english() -> LanguageIdentifier:
    """The languages the shipped model was trained on."""
    return LanguageIdentifier(["en"])


def _llm(chat: ChatServer, registry: Registry, *, deadline: float = 3.0) -> LLMNeedClassifier:
    client = openai.OpenAI(api_key="test-key", base_url=chat.url, max_retries=0, timeout=2.0)
    return LLMNeedClassifier.from_openai(client, registry.settings.need_states,
                                         model="scripted", deadline=deadline)


def _cascade(chat: ChatServer, registry: Registry, local: NeedModel, **options: Any
             ) -> CascadeClassifier:
    return CascadeClassifier(
        local, _llm(chat, registry),
        min_confidence=registry.settings.model.min_confidence, **options,
    )


def _words(registry: Registry, text: str) -> list[str]:
    return list(registry.normaliser.canonical(text).words)


def _predict(cascade: CascadeClassifier, registry: Registry, text: str) -> NeedPrediction:
    return cascade.predict_message(text, _words(registry, text), ())


def _user_texts(chat: ChatServer) -> list[str]:
    return [r["body"]["messages"][-1]["content"] for r in chat.requests]


def test_a_confident_familiar_message_never_reaches_the_llm(
    chat: ChatServer, registry: Registry, local: NeedModel, english: LanguageIdentifier
) -> None:
    cascade = _cascade(chat, registry, local, identifier=english)
    alone = local.predict_message(CONFIDENT, _words(registry, CONFIDENT), ())
    assert alone.confidence >= registry.settings.model.min_confidence  # the premise
    assert local.known_share(_words(registry, CONFIDENT)) == 1.0

    assert _predict(cascade, registry, CONFIDENT) == alone
    decision = Guardrail(registry, need_model=cascade).check(
        {"messages": [{"role": "user", "content": CONFIDENT}]}
    )
    assert decision.need_state == "access_restore"
    assert not decision.failsafe
    assert chat.requests == []
    assert (cascade.seen, cascade.consulted, cascade.consulted_share) == (2, 0, 0.0)


@pytest.mark.parametrize(("text", "reason"), [
    (UNSURE, "low_confidence"), pytest.param(NOVEL, "novel", marks=COLLIDING)])
def test_an_unsure_message_asks_the_llm_whose_need_wins_but_never_lowers_the_handoff(
    chat: ChatServer, registry: Registry, local: NeedModel, text: str, reason: str
) -> None:
    cascade = _cascade(chat, registry, local)
    alone = local.predict_message(text, _words(registry, text), ())
    assert alone.need_state != "billing"
    assert alone.handoff is not None
    assert alone.handoff > 0.1
    chat.reply(json.dumps(CALM_BILLING))  # the LLM's handoff score: 0

    combined = _predict(cascade, registry, text)

    assert _user_texts(chat) == [text]
    assert combined.need_state == "billing"
    assert combined.confidence == pytest.approx(0.9)
    assert combined.handoff == alone.handoff  # the LLM's 0 does not lower it
    assert combined.risk_kind is None
    assert combined.source == "need_model+llm"
    assert cascade.consulted_by[reason] == 1


def test_the_llm_raises_the_handoff_through_the_engine(
    chat: ChatServer, registry: Registry, local: NeedModel
) -> None:
    cascade = _cascade(chat, registry, local)
    chat.reply(json.dumps(DISPUTE))
    decision = Guardrail(registry, need_model=cascade).check(
        {"messages": [{"role": "user", "content": UNSURE}]}
    )
    assert len(chat.requests) == 1
    assert decision.handoff.required
    reason = next(r for r in decision.reason_codes if r.code == "model.risk_suspected")
    assert "need_model+llm" in reason.explanation
    assert "billing_dispute" in reason.explanation
    assert "0.95" in reason.explanation


@pytest.mark.parametrize(
    ("scripted", "code"),
    [("this is not json", "failsafe.llm_malformed"), (None, "failsafe.llm_unavailable")],
)
def test_a_failing_llm_fails_closed_only_where_it_was_asked(
    chat: ChatServer, registry: Registry, local: NeedModel, scripted: str | None, code: str
) -> None:
    if scripted is not None:
        chat.reply(scripted)  # else nothing is scripted: the server answers 500
    cascade = CascadeClassifier(
        local, _llm(chat, registry, deadline=0.5),
        min_confidence=registry.settings.model.min_confidence,
    )
    guard = Guardrail(registry, need_model=cascade)

    failed = guard.check({"messages": [{"role": "user", "content": UNSURE}]})

    assert chat.requests
    assert failed.failsafe
    assert code in {r.code for r in failed.reason_codes}
    assert "failsafe" in failed.segment_ids()
    assert not {"issue_refund", "apply_credit", "cancel_subscription"} & set(
        failed.allowed_tools + failed.confirm_tools
    )
    assert failed.handoff.offered
    # A confident message does not wait on the failing LLM, nor fail with it.
    asked = len(chat.requests)
    fine = guard.check({"messages": [{"role": "user", "content": CONFIDENT}]})
    assert not fine.failsafe
    assert len(chat.requests) == asked
    assert (cascade.seen, cascade.consulted) == (2, 1)


def test_a_failing_llm_raises_from_the_cascade_itself(
    chat: ChatServer, registry: Registry, local: NeedModel
) -> None:
    chat.reply("{}")
    cascade = _cascade(chat, registry, local)
    with pytest.raises(LLMMalformedError):
        _predict(cascade, registry, UNSURE)
    assert (cascade.seen, cascade.consulted) == (1, 1)  # asked, even though it failed


@COLLIDING
def test_consulted_share_counts_each_message_once(
    chat: ChatServer, registry: Registry, local: NeedModel
) -> None:
    cascade = _cascade(chat, registry, local)
    assert cascade.consulted_share == 0.0
    texts = [CONFIDENT, UNSURE, "I want to change my email address", NOVEL, "ok thanks"]
    for _ in range(2):
        chat.reply(json.dumps(CALM_BILLING))
    sources = [_predict(cascade, registry, text).source for text in texts]
    assert sources == ["need_model", "need_model+llm", "need_model", "need_model+llm",
                       "need_model"]
    assert _user_texts(chat) == [UNSURE, NOVEL]
    assert (cascade.seen, cascade.consulted) == (5, 2)
    assert cascade.consulted_share == pytest.approx(0.4)
    assert cascade.consulted_by == {"low_confidence": 1, "novel": 1, "language": 0}


def test_the_counters_are_exact_across_threads(
    chat: ChatServer, registry: Registry, local: NeedModel
) -> None:
    cascade = _cascade(chat, registry, local)
    threads, each = 8, 6
    for _ in range(threads * each // 2):
        chat.reply(json.dumps(CALM_BILLING))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(each):
                _predict(cascade, registry, UNSURE if i % 2 else CONFIDENT)
        except BaseException as exc:  # pragma: no cover - reported by the assert below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert len(chat.requests) == threads * each // 2
    assert (cascade.seen, cascade.consulted) == (threads * each, threads * each // 2)
    assert cascade.consulted_share == pytest.approx(0.5)


def test_a_language_the_local_model_was_not_trained_on_asks_the_llm(
    chat: ChatServer, registry: Registry, local: NeedModel, english: LanguageIdentifier
) -> None:
    # Only the language check: confidence and novelty turned off.
    only_language: dict[str, Any] = {"min_confidence": 0.0, "max_unknown_share": 1.0}
    without = CascadeClassifier(local, _llm(chat, registry), **only_language)
    _predict(without, registry, SPANISH)
    assert without.consulted == 0
    assert chat.requests == []

    cascade = CascadeClassifier(local, _llm(chat, registry), identifier=english,
                                **only_language)
    chat.reply(json.dumps(CALM_BILLING))
    assert _predict(cascade, registry, SPANISH).source == "need_model+llm"
    assert _predict(cascade, registry, CONFIDENT).source == "need_model"
    assert _predict(cascade, registry, "ok").source == "need_model"  # too short to tell: "und"
    assert _user_texts(chat) == [SPANISH]
    assert cascade.consulted_by == {"low_confidence": 0, "novel": 0, "language": 1}


@COLLIDING
def test_known_share_reads_the_words_the_model_was_trained_on(
    registry: Registry, local: NeedModel
) -> None:
    assert local.known_share(_words(registry, "I was charged twice for my order")) == 1.0
    assert local.known_share([]) == 1.0
    assert local.known_share(["."]) == 1.0
    made_up = ["zorblax", "quuxified", "frobnicator", "wibbleflang"]
    assert local.known_share(made_up) <= 0.25
    assert local.known_share(["refund", *made_up[:1]]) == pytest.approx(
        (1 + local.known_share(made_up[:1])) / 2
    )


def test_a_local_classifier_without_known_share_is_never_novel(
    chat: ChatServer, registry: Registry
) -> None:
    sure = ScriptedClassifier(NeedPrediction({"how_to": 0.9, "other": 0.1}, 0.2))
    cascade = CascadeClassifier(sure, _llm(chat, registry), max_unknown_share=0.0)
    assert _predict(cascade, registry, NOVEL).source == "need_model"
    assert chat.requests == []


def test_blocking_io_follows_the_llm(chat: ChatServer, registry: Registry, local: NeedModel
                                     ) -> None:
    instant = ScriptedClassifier(NeedPrediction({"other": 1.0}, 0.0), blocking_io=False)
    waits = ScriptedClassifier(NeedPrediction({"other": 1.0}, 0.0), blocking_io=True)
    assert CascadeClassifier(local, _llm(chat, registry)).blocking_io is True
    assert CascadeClassifier(local, instant).blocking_io is False
    assert CascadeClassifier(waits, instant).blocking_io is False


@pytest.mark.parametrize(
    "options",
    [{"min_confidence": 1.5}, {"min_confidence": -0.1}, {"max_unknown_share": 2.0}],
)
def test_bad_settings_are_refused(local: NeedModel, options: dict[str, Any]) -> None:
    instant = ScriptedClassifier(NeedPrediction({"other": 1.0}, 0.0))
    with pytest.raises(UserError):
        CascadeClassifier(local, instant, **options)
