"""The handoff summary a human agent acts on: its fields, its renderings, the CLI and the LLM
narrative with its deterministic fallback (the real openai client against a local server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from guardrail import Guardrail
from guardrail.cli import main
from guardrail.conversation import Conversation
from guardrail.handoff.narrative import LLMNarrator
from guardrail.handoff.summary import HandoffSummary
from guardrail.prompts import Prompts
from tests._servers.chat import ChatServer, chat_server

CARD, EMAIL, PHONE = "4111 1111 1111 1111", "jane.doe@example.com", "+44 20 7946 0958"

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
    assert "took 49 eur twice" in summary.goal  # the customer's own words, redacted
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
