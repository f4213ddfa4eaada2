"""The summary quotes the customer's own words, and `guardrail handoff` summarises only
conversations that need a handoff, routed to the registry's default queue where none is named.

Rule evidence is canonical text ("89 usd" for "89.99 USD"); the goal's "they said" must be the
message as typed (amounts, case, punctuation), redacted like the transcript.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail
from guardrail.cli import main
from guardrail.conversation import Conversation
from guardrail.handoff.quote import quote
from guardrail.handoff.summary import HandoffSummary
from guardrail.redact import redact

CARD, EMAIL = "4111 1111 1111 1111", "jane.doe@example.com"
_SAID = re.compile(r'\(they said: "(.*)"\)')


def conversation(text: str, cid: str = "q-1") -> Conversation:
    return Conversation.model_validate({"id": cid, "messages": [{"role": "user", "content": text}]})


def said(guard: Guardrail, text: str) -> str:
    conv = conversation(text)
    summary = HandoffSummary.build(guard.check(conv), conv)
    m = _SAID.search(summary.goal)
    assert m is not None, summary.goal
    return m.group(1)


# -- amounts, case and punctuation as typed ------------------------------------------------------


@pytest.mark.parametrize(("text", "typed"), [
    ("You charged me 89.99 USD TWICE for order #A-1234! Refund it.", "89.99 USD TWICE"),
    ("There's a charge of $1,250.50 on my account I never made.", "$1,250.50"),
    ("Me cobraron €1.299,00 dos veces este mes!", "€1.299,00"),
    ("Vous m'avez débité 1.299,00 € DEUX FOIS !", "débité 1.299,00 € DEUX FOIS"),
])
def test_the_quote_keeps_amounts_case_and_punctuation(guard: Guardrail, text: str,
                                                      typed: str) -> None:
    quoted = said(guard, text)
    assert typed in quoted
    assert quoted in redact(text, 1000)  # a stretch of the message itself, redacted
    # The canonical reading never leaks into the quote: "89 usd", "1299", "1250".
    assert not re.search(r"\b(89 usd|1299|1250)\b", quoted)


@pytest.mark.parametrize(("text", "typed"), [
    ("I want to speak to a HUMAN agent, NOW!!!", "HUMAN"),
    ("Quiero hablar con una PERSONA, por favor.", "Quiero hablar con una PERSONA"),
    ("Jemand hat mein Konto GEHACKT und das Passwort geändert!", "GEHACKT"),
    ("I don't recognise this charge, it wasn't me.", "wasn't me"),
])
def test_the_quote_is_the_customers_wording_in_any_language(guard: Guardrail, text: str,
                                                            typed: str) -> None:
    quoted = said(guard, text)
    assert typed in quoted
    assert quoted in text


# -- personal data stays redacted in the quote ---------------------------------------------------


def test_a_card_number_inside_the_quote_is_redacted(guard: Guardrail) -> None:
    text = f"There's a charge of $1,250.50 on card {CARD} I never made"
    quoted = said(guard, text)
    assert "$1,250.50" in quoted
    assert "[card ****1111]" in quoted
    assert "4111" not in quoted


def test_an_email_inside_the_quote_is_redacted(guard: Guardrail) -> None:
    # The rule's own evidence holds the folded address ("jane . doeaexample . com"): the
    # quote is cut from the redacted message instead, so no form of it survives.
    quoted = said(guard, f"You charged {EMAIL} twice for the same order")
    assert "[email]" in quoted
    assert "jane" not in quoted
    assert "example" not in quoted


@pytest.mark.parametrize(("text", "secret", "tag"), [
    ("you charged +44 7700 900123 twice for the same order", "7700", "[phone]"),
    ("you charged DE89370400440532013000 twice", "DE89", "[iban ****3000]"),
    ("you charged 4111-1111-1111-1111 twice", "4111", "[card ****1111]"),
])
def test_a_phone_iban_or_dashed_card_inside_the_quote_is_redacted(
    guard: Guardrail, text: str, secret: str, tag: str
) -> None:
    quoted = said(guard, text)
    assert tag in quoted
    assert secret not in quoted
    assert not re.search(r"\d{5}", quoted)


def test_personal_data_outside_the_quote_never_enters_it(guard: Guardrail) -> None:
    quoted = said(guard, f"Reach me at {EMAIL}. You charged me 89.99 USD twice, card {CARD}.")
    assert "89.99 USD" in quoted
    assert EMAIL not in quoted
    assert CARD not in quoted


# -- the alignment on its own --------------------------------------------------------------------


@pytest.mark.parametrize(("message", "evidence", "expected"), [
    ("you ch@rged me twice!", "charged me twice", "ch@rged me twice!"),
    ("you c h a r g e d me twice", "charged me twice", "c h a r g e d me twice"),
    ("you chraged me twice, sadly", "charged me twice", "chraged me twice"),
    ("I can't LOG IN", "cant log in", "can't LOG IN"),
    ("Card 4111111111111111 charged twice", "[card ****1111] charged twice",
     "[card ****1111] charged twice"),
])
def test_typos_leetspeak_spacing_and_tags_align(message: str, evidence: str,
                                                expected: str) -> None:
    assert quote(message, evidence) == expected


def test_evidence_the_message_does_not_hold_gives_no_quote() -> None:
    assert quote("hello there, how are you", "charged me twice") is None
    assert quote("", "charged me twice") is None
    assert quote("charged me twice", "") is None


def test_a_cut_evidence_still_aligns_on_what_it_kept() -> None:
    assert quote("They charged me twice yesterday", "charged me tw…") == "charged me twice"


def test_a_long_quote_is_cut() -> None:
    words = " ".join(f"word{i}" for i in range(60))
    quoted = quote(f"start {words} end", words, limit=40)
    assert quoted is not None
    assert len(quoted) <= 40
    assert quoted.endswith("…")


def test_a_summary_says_nothing_rather_than_misquote(guard: Guardrail) -> None:
    conv = conversation("You charged me 89.99 USD twice for the same order.")
    decision = guard.check(conv)
    segments = [
        seg.model_copy(update={"reasons": [
            r.model_copy(update={"evidence": "words the customer never typed"})
            for r in seg.reasons]})
        for seg in decision.segments
    ]
    summary = HandoffSummary.build(decision.model_copy(update={"segments": segments}), conv)
    assert "they said" not in summary.goal
    assert summary.goal  # the goal itself is still there


@pytest.mark.parametrize("source", ["message[0]:decoded:base64", "memory:message[0]", "rules"])
def test_evidence_not_typed_in_that_message_is_not_quoted(guard: Guardrail, source: str) -> None:
    # Decoded payloads and remembered findings were not typed in those words in that message.
    conv = conversation("You charged me 89.99 USD twice for the same order.")
    decision = guard.check(conv)
    segments = [
        seg.model_copy(update={"reasons": [r.model_copy(update={"source": source})
                                           for r in seg.reasons]})
        for seg in decision.segments
    ]
    summary = HandoffSummary.build(decision.model_copy(update={"segments": segments}), conv)
    assert "they said" not in summary.goal
    assert "they said" in HandoffSummary.build(decision, conv).goal


# -- the queue a summary names -------------------------------------------------------------------


def test_a_summary_without_a_routed_handoff_names_the_registry_default(guard: Guardrail) -> None:
    conv = conversation("How do I change my profile picture?")
    decision = guard.check(conv)
    assert not decision.handoff.required
    assert decision.handoff.queue is None
    default = guard.registry.settings.default_queue
    summary = HandoffSummary.build(decision, conv, default_queue=default)
    assert summary.queue == default
    assert f"## Handoff to {default} " in summary.to_markdown()
    bare = HandoffSummary.build(decision, conv)
    assert bare.queue is None
    assert "Handoff to" not in bare.to_markdown()  # no made-up queue
    assert "support" not in bare.narrative.split("Route to", 1)[1].split("(")[0]


# -- `guardrail handoff` -------------------------------------------------------------------------

DISPUTE = {"id": "d-1", "messages": [
    {"role": "user", "content": "You charged me 89.99 USD twice for the same order!"}]}
HOW_TO = {"id": "h-1", "messages": [
    {"role": "user", "content": "How do I change my profile picture?"}]}


def write(tmp_path: Path, name: str, *rows: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    return path


def test_cli_says_plainly_a_conversation_needs_no_handoff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "howto.json", HOW_TO)
    assert main(["handoff", "--input", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no "Handoff to ..." card for a case nobody escalated
    assert "'h-1'" in err
    assert "needs no handoff" in err


def test_cli_jsonl_summarises_those_that_need_one_and_names_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "batch.jsonl", DISPUTE, HOW_TO, {**DISPUTE, "id": "d-2"})
    assert main(["handoff", "--input", str(path), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["conversation_id"] for r in rows] == ["d-1", "d-2"]
    one = write(tmp_path, "one.jsonl", HOW_TO, DISPUTE)
    assert main(["handoff", "--input", str(one), "--format", "json"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 1  # JSONL in, one line per summary out
    assert all(r["queue"] == "billing_disputes" for r in rows)
    assert "89.99 USD" in rows[0]["goal"]
    assert "'h-1'" in err
    assert "d-1" not in err


def test_cli_exits_0_when_every_conversation_is_summarised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "disputes.jsonl", DISPUTE, {**DISPUTE, "id": "d-2"})
    assert main(["handoff", "--input", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.count("## Handoff to billing_disputes") == 2
    assert err == ""


def test_cli_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["handoff", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "needs no handoff" in text
    assert "1 at least one needs no handoff" in text
