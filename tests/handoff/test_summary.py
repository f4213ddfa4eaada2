"""The handoff summary a human agent acts on: its fields, its renderings, the CLI and the LLM
narrative with its deterministic fallback (the real openai client against a local server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guardrail import Guardrail
from guardrail.cli import main
from guardrail.conversation import Conversation
from guardrail.handoff import MemorySink
from guardrail.handoff.details import (
    CardHint,
    DateMention,
    Details,
    Device,
    ErrorMention,
    Integration,
    Reference,
)
from guardrail.handoff.details.model import MAX_ITEMS
from guardrail.handoff.narrative import LLMNarrator
from guardrail.handoff.summary import HandoffSummary
from guardrail.prompts import Prompts
from guardrail.reasons import ADAPTER_CODES
from tests._servers.chat import ChatServer, chat_server

CARD, EMAIL, PHONE = "4111 1111 1111 1111", "jane.doe@example.com", "+44 20 7946 0958"
SUMMARY_ERROR = "failsafe.summary_error"  # spelled out: it must not depend on the code under test

DISPUTE = {
    "id": "c-1",
    "messages": [
        {"role": "user", "content": "Hi, can you pull up my last invoice please?"},
        {"role": "assistant", "content": "Your last invoice, INV-2041, is 49.00 EUR."},
        {"role": "user", "content": f"You took 49.00 EUR twice on 3 March for INV-2041, I only "
                                    f"authorised one payment. Card {CARD}. Reach me at {EMAIL} "
                                    f"or {PHONE}."},
    ],
    "context": {"customer_id": "cus_1", "plan": "starter", "sla": "business-4h",
                "preferences": ["email only"]},
    "signals": {"same_intent_contacts_7d": 1},
}

LOCKOUT = {
    "id": "c-2",
    "messages": [
        {"role": "user", "content": "I can't log in, my authenticator code keeps getting "
                                    "rejected. iPhone 13."},
        {"role": "assistant", "content": "Step 1: set your phone's clock to automatic."},
        {"role": "user", "content": "did that, still not working"},
        {"role": "assistant", "content": "Step 2: sign in with a backup code."},
        {"role": "user", "content": "tried a backup code too, still doesn't work"},
    ],
    "context": {"customer_id": "cus_2"},
}


def summary_of(guard: Guardrail, data: dict[str, Any], **kwargs: Any) -> HandoffSummary:
    conversation = Conversation.model_validate(data)
    return HandoffSummary.build(guard.check(conversation), conversation, **kwargs)


def test_a_dispute_summary_holds_what_the_agent_needs(guard: Guardrail) -> None:
    summary = summary_of(guard, DISPUTE)
    texts = Prompts.default().handoff
    assert summary.queue == "billing_disputes"
    assert summary.sla == "business-4h"
    assert summary.goal.startswith(texts.goals["billing_dispute"].split("{")[0])
    assert '"took 49.00 EUR twice"' in summary.goal  # the customer's own words, as typed
    assert summary.at_stake.startswith(texts.stakes["billing_dispute"])
    assert [r.value for r in summary.details.references] == ["INV-2041"]
    assert [(a.value, a.currency) for a in summary.details.amounts] == [("49.00", "EUR")]
    assert [c.value for c in summary.details.card_last4] == ["1111"]
    assert "3 March" in [d.value for d in summary.details.dates]
    assert summary.missing == []  # reference, amount, date and card were all given
    assert any("Contacted support about this 1 time" in t for t in summary.tried)
    assert summary.customer["preferences"] == ["email only"]
    assert summary.narrative_source == "deterministic"
    assert summary.goal in summary.narrative


def test_no_personal_data_beyond_the_last_four_digits(guard: Guardrail) -> None:
    summary = summary_of(guard, DISPUTE)
    for text in (summary.model_dump_json(), summary.to_markdown()):
        for secret in (CARD, CARD.replace(" ", ""), EMAIL, PHONE, "4111 1111"):
            assert secret not in text
    assert "1111" in summary.model_dump_json()  # the last four, where they belong


def test_a_lockout_summary_lists_the_guided_steps_that_failed(guard: Guardrail) -> None:
    summary = summary_of(guard, LOCKOUT)
    assert summary.queue == "account_access"
    steps = [t for t in summary.tried if t.startswith("Step given")]
    assert len(steps) == 2
    assert "clock" in steps[0]
    assert "still not working" in steps[0]
    assert [d.value for d in summary.details.devices] == ["iPhone 13"]
    # an access problem still needs the error message the customer saw
    assert summary.missing


def test_what_is_missing_is_what_was_not_said(guard: Guardrail) -> None:
    summary = summary_of(guard, {"messages": [
        {"role": "user", "content": "there is a charge on my card I never made"}]})
    assert summary.need_state == "billing"
    assert len(summary.missing) >= 2


def test_the_markdown_has_every_section(guard: Guardrail) -> None:
    markdown = summary_of(guard, LOCKOUT).to_markdown()
    for heading in ("**Goal:**", "**At stake:**", "### Details already given", "### Still to ask",
                    "### Already tried", "### Segments", "### Last messages (redacted)"):
        assert heading in markdown


def test_the_summary_schema_is_published() -> None:
    schema = HandoffSummary.model_json_schema()
    assert {"goal", "at_stake", "tried", "details", "missing", "narrative"} <= set(
        schema["properties"])


# -- the CLI -------------------------------------------------------------------------------------


def test_cli_handoff_prints_json_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "conversation.json"
    path.write_text(json.dumps(DISPUTE, indent=2), "utf-8")
    assert main(["handoff", "--input", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["queue"] == "billing_disputes"
    assert data["details"]["references"][0]["value"] == "INV-2041"
    assert main(["handoff", "--input", str(path)]) == 0
    assert "## Handoff to billing_disputes" in capsys.readouterr().out


def test_cli_handoff_reads_jsonl_and_reports_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps(DISPUTE) + "\n" + json.dumps(LOCKOUT) + "\n", "utf-8")
    assert main(["handoff", "--input", str(path), "--format", "json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["queue"] for line in lines] == ["billing_disputes", "account_access"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": "nope"}', "utf-8")
    assert main(["handoff", "--input", str(bad)]) == 2
    assert "messages" in capsys.readouterr().err
    empty = tmp_path / "empty.json"
    empty.write_text("\n", "utf-8")
    assert main(["handoff", "--input", str(empty)]) == 2
    assert "no conversation" in capsys.readouterr().err


# -- the optional LLM narrative ------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as httpd:
        yield httpd


def _narrator(server: ChatServer) -> tuple[LLMNarrator, openai.OpenAI]:
    client = openai.OpenAI(base_url=server.url, api_key="test", max_retries=0, timeout=5)
    return LLMNarrator.from_openai(client, model="m", deadline=5, max_attempts=2), client


def test_an_llm_narrative_replaces_only_the_narrative(
    guard: Guardrail, server: ChatServer
) -> None:
    summary = summary_of(guard, DISPUTE)
    server.reply(f"The customer was charged twice for INV-2041; write to {EMAIL}.")
    narrator, client = _narrator(server)
    with client:
        told = narrator.narrate(summary)
    assert told.narrative_source == "llm"
    assert "INV-2041" in told.narrative
    assert EMAIL not in told.narrative  # the answer is redacted too
    assert told.model_dump(exclude={"narrative", "narrative_source"}) == summary.model_dump(
        exclude={"narrative", "narrative_source"})
    (request,) = server.requests
    sent = request["body"]["messages"]
    assert sent[0]["role"] == "system"
    assert CARD not in sent[1]["content"]  # the model only sees the redacted summary


@pytest.mark.parametrize("replies", [[], [""], [None]], ids=["server-down", "empty", "no-text"])
def test_any_llm_failure_keeps_the_deterministic_narrative(
    guard: Guardrail, server: ChatServer, replies: list[str | None]
) -> None:
    summary = summary_of(guard, DISPUTE)
    for reply in replies:
        server.reply(reply)
    narrator, client = _narrator(server)
    with client:
        told = narrator.narrate(summary)
    assert told == summary
    assert told.narrative_source == "deterministic"


# -- issue 15, class 1: the handoff path cannot raise ------------------------------------------

HUGE_AMOUNT = "I was charged twice, $" + "9" * 41
FUZZ_CASES = 2_000


def _conversation(*texts: str, **context: Any) -> Conversation:
    return Conversation.model_validate({
        "messages": [{"role": "user", "content": t} for t in texts], "context": context})


def test_class1_a_41_digit_amount_is_cut_not_rejected(rules_guard: Guardrail) -> None:
    conversation = _conversation(HUGE_AMOUNT)
    summary = HandoffSummary.build(rules_guard.check(conversation), conversation)
    assert SUMMARY_ERROR not in " ".join(summary.reasons)  # the full summary, not the fallback
    [amount] = summary.details.amounts
    assert len(amount.text) == 40
    assert amount.text.startswith("$999")
    assert amount.text.endswith("…")
    assert "## Handoff to billing_disputes" in summary.to_markdown()


def test_class1_bounded_detail_fields_cut_with_a_marker() -> None:
    cut = {
        "references": Reference(message=0, kind="invoice", value="X" * 99).value,
        "dates": DateMention(message=0, value="d" * 99).value,
        "errors": ErrorMention(message=0, value="e" * 999).value,
        "devices": Device(message=0, kind="device", value="v" * 99).value,
        "integrations": Integration(message=0, value="i" * 99).value,
        "card_last4": CardHint(message=0, brand="b" * 99).brand or "",
    }
    limits = {"references": 32, "dates": 60, "errors": 80, "devices": 60, "integrations": 40,
              "card_last4": 32}
    for name, value in cut.items():
        assert len(value) == limits[name], name
        assert value.endswith("…"), name
    many = Details(integrations=[Integration(message=0, value=f"p{i}") for i in range(60)])
    assert len(many.integrations) == MAX_ITEMS
    # A cut value holds still when a spooled summary is read back.
    assert Reference.model_validate({"message": 0, "kind": "invoice",
                                     "value": cut["references"]}).value == cut["references"]


def test_class1_a_part_that_fails_gives_the_minimal_summary(rules_guard: Guardrail) -> None:
    conversation = _conversation(f"I want a human now, write to {EMAIL}")
    decision = rules_guard.check(conversation)
    # A tool call record that cannot be serialised: every sink would fail on it.
    summary = HandoffSummary.build(decision, conversation,
                                   tool_calls=[{"tool": "x", "action": "y", "arg": object()}])
    assert summary.reasons == [*decision.handoff.reasons, f"{SUMMARY_ERROR}#handoff.summary"]
    assert (summary.queue, summary.priority, summary.mode) == (
        decision.handoff.queue, decision.handoff.priority, decision.handoff.mode)
    assert summary.goal == Prompts.default().handoff.goals[SUMMARY_ERROR]
    assert summary.transcript
    assert EMAIL not in summary.model_dump_json()
    assert "[email]" in summary.transcript[-1]["content"]
    assert SUMMARY_ERROR in summary.to_markdown()

    shipped = Prompts.default()
    texts = shipped.handoff.model_copy(update={"narrative": "{no_such_field}"})
    broken = Prompts(shipped.directives, shipped.adapter, texts, shipped.translations)
    fallback = HandoffSummary.build(decision, conversation, prompts=broken)
    assert fallback.reasons == summary.reasons


def test_class1_the_minimal_summary_is_there_to_call(rules_guard: Guardrail) -> None:
    conversation = _conversation("there is a charge on my card I never made")
    decision = rules_guard.check(conversation)
    summary = HandoffSummary.minimal(decision, conversation, ValueError("boom"))
    assert summary.reasons[-1].startswith(SUMMARY_ERROR)
    assert SUMMARY_ERROR in ADAPTER_CODES  # catalogued, with its one plain sentence
    assert summary.need_state == decision.need_state
    assert summary.missing  # nothing was extracted, so everything is still to ask
    assert summary.to_markdown()


def test_class1_to_markdown_renders_a_summary_read_back_from_anywhere(
    rules_guard: Guardrail,
) -> None:
    conversation = _conversation("I want a human")
    data = HandoffSummary.build(rules_guard.check(conversation), conversation).model_dump()
    odd = HandoffSummary.model_validate({**data, "transcript": [{"speaker": "user"}]})
    markdown = odd.to_markdown()
    assert isinstance(markdown, str)
    assert str(odd.queue) in markdown


def test_class1_preferences_are_redacted(rules_guard: Guardrail) -> None:
    conversation = _conversation("I want a human", preferences=[
        f"email me at {EMAIL}", f"or call {PHONE}", "keep it short"])
    summary = HandoffSummary.build(rules_guard.check(conversation), conversation)
    for text in (summary.model_dump_json(), summary.to_markdown()):
        assert EMAIL not in text
        assert PHONE not in text
    assert summary.customer["preferences"][-1] == "keep it short"


def test_class1_both_adapters_hand_off_and_keep_working(guard: Guardrail) -> None:
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage
    from langgraph.checkpoint.memory import InMemorySaver

    from guardrail.adapters.langchain import GuardrailMiddleware
    from guardrail.adapters.openai import GuardedOpenAI
    from guardrail.testing.scripted import ScriptedChatModel, Tape

    memory = MemorySink()
    with chat_server() as server, openai.OpenAI(base_url=server.url, api_key="test",
                                                max_retries=0) as client:
        guarded = GuardedOpenAI(client, guard, sink=memory)
        history: list[dict[str, Any]] = []
        for text in (HUGE_AMOUNT, "I want a human"):
            history.append({"role": "user", "content": text})
            turn = guarded.create(model="m", messages=history)
            assert turn.handoff is not None
            history.append(turn.message)
    agent = create_agent(ScriptedChatModel(tape=Tape([[AIMessage("...")]] * 2)), tools=[],
                         middleware=[GuardrailMiddleware(guard, sink=memory)],
                         checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "class1"}}
    for text in (HUGE_AMOUNT, "I want a human"):
        result = agent.invoke({"messages": [{"role": "user", "content": text}]}, config)
        assert result["guardrail_handoff"]["delivery"] == "delivered"
    assert len(memory.summaries) >= 2
    assert all(s.details.amounts or SUMMARY_ERROR in " ".join(s.reasons)
               for s in memory.summaries[:1])


# A handful of the shapes that broke summaries: numbers and ids past every field's limit, odd
# unicode, and a 100 KB message.
_NASTY = st.one_of(
    st.text(max_size=300),
    st.builds(lambda word, digits: f"charged me {word}{digits}",
              st.sampled_from(["$", "€", "USD ", "", "Rs. ", "¥"]),
              st.text(alphabet="0123456789.,", min_size=30, max_size=400)),
    st.builds(lambda kind, tail: f"my {kind} {tail}",
              st.sampled_from(["invoice", "order #", "ticket", "error", "iPhone", "version",
                               "paid by", "on March"]),
              st.text(alphabet=st.characters(codec="utf-8"), min_size=30, max_size=300)),
    st.builds(lambda chunk, n: (chunk * n)[:100_000],
              st.text(min_size=1, max_size=40), st.integers(1, 100_000)),
)


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@example(texts=[HUGE_AMOUNT, "I want a human"], preferences=[])
@given(texts=st.lists(_NASTY, min_size=1, max_size=3),
       preferences=st.lists(st.text(max_size=80), max_size=3))
def test_class1_build_and_markdown_never_raise(
    rules_guard: Guardrail, texts: list[str], preferences: list[str]
) -> None:
    conversation = _conversation(*[t or "?" for t in texts], preferences=preferences)
    summary = HandoffSummary.build(rules_guard.check(conversation), conversation)
    assert isinstance(summary.to_markdown(), str)
    assert SUMMARY_ERROR not in " ".join(summary.reasons)  # and the full summary, at that


def test_class1_fuzzed_handoffs_all_build(rules_guard: Guardrail) -> None:
    from tests.handoff.fuzz import fuzz_builds

    crashed, total = fuzz_builds(FUZZ_CASES, seed=15, guard=rules_guard)
    assert (crashed, total) == (0, FUZZ_CASES)
