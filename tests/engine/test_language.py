"""The customer's language: identified per message, carried on the decision, the summary and
the span; a language the policy does not support is restricted and offered a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail import Guardrail, HandoffSummary, Registry, RegistryError
from guardrail.conversation import to_conversation
from tests.conftest import make_conversation

POLISH = "Dzień dobry, chciałbym zmienić adres dostawy mojej paczki"
SPANISH = "Hola, quiero cambiar la dirección de envío de mi pedido"


def test_a_supported_language_is_carried_on_the_decision(rules_guard: Guardrail) -> None:
    decision = rules_guard.check(make_conversation(SPANISH))
    assert decision.language == "es"
    assert "language_unsupported" not in decision.segment_ids()
    assert decision.view()["language"] == "es"


def test_an_unsupported_language_is_restricted_and_offered_a_person(
    rules_guard: Guardrail, registry: Registry
) -> None:
    decision = rules_guard.check(make_conversation(POLISH))
    assert decision.language == "pl"
    assert "language_unsupported" in decision.segment_ids()
    assert decision.risk_tier != "low"
    assert decision.handoff.offered
    assert "reply_in_language" in decision.directives
    reasons = [r for r in decision.reason_codes if r.code == "language.unsupported"]
    assert reasons
    assert "pl" in reasons[0].explanation
    for tool in registry.tools_with_effects(["write", "money", "irreversible"]):
        assert decision.verdict(tool).verdict == "deny", tool


def test_writing_in_a_supported_language_ends_the_restriction(guard: Guardrail) -> None:
    first = guard.check(make_conversation(POLISH, id="c-lang"))
    assert "language_unsupported" in first.segment_ids()
    # "ok" says nothing about the language: the restriction stays.
    still = guard.check(make_conversation(POLISH, "ok", id="c-lang"))
    assert "language_unsupported" in still.segment_ids()
    assert still.language == "pl"
    back = guard.check(make_conversation(POLISH, "ok", "Sorry, I can write in English: where "
                                          "is my parcel?", id="c-lang"))
    assert "language_unsupported" not in back.segment_ids()
    assert back.language == "en"


def test_a_request_for_a_person_in_every_supported_language_is_honoured(
    rules_guard: Guardrail,
) -> None:
    asks = {
        "en": "can I talk to a real person",
        "es": "quiero hablar con una persona, por favor",
        "pt": "quero falar com um atendente humano",
        "fr": "je veux parler à un conseiller s'il vous plaît",
        "it": "vorrei parlare con un operatore",
        "de": "ich möchte mit einem Mitarbeiter sprechen",
        "nl": "ik wil graag een medewerker spreken",
        "hi": "मुझे किसी इंसान से बात करनी है",
    }
    for lang, text in asks.items():
        decision = rules_guard.check(make_conversation(text))
        assert decision.handoff.required, (lang, decision.explain())
        assert "human_requested" in decision.segment_ids(), lang


def test_the_summary_names_the_language(rules_guard: Guardrail) -> None:
    conversation = make_conversation("quiero hablar con una persona")
    decision = rules_guard.check(conversation)
    summary = HandoffSummary.build(decision, to_conversation(conversation))
    assert summary.language == "es"
    assert "**Language:** es" in summary.to_markdown()


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    source = Path(__file__).resolve().parents[2] / "segments"
    for path in source.glob("*.yaml"):
        _write(tmp_path, path.name, path.read_text(encoding="utf-8"))
    return tmp_path


def test_a_language_rule_must_carry_its_language_in_id_and_code(registry_copy: Path) -> None:
    _write(registry_copy, "90-lang-xx.yaml", """
rules:
  - id: dispute.doble
    code: risk.billing_dispute
    lang: es
    kind: risk
    risk: high
    need_state: billing
    explanation: A duplicate charge.
    patterns: ["cobro doble"]
""")
    with pytest.raises(RegistryError) as caught:
        Registry.load(registry_copy)
    text = str(caught.value)
    assert "rules[0].id: a 'es' rule's id starts with 'es.'" in text
    assert "rules[0].code: a 'es' rule's code ends with '.es'" in text


# A Swedish language file: its lexicon and one rule (Swedish is not shipped).
SWEDISH = """
language: {code: sv, name: Swedish, negators: [inte, aldrig]}
rules:
  - id: sv.human.request
    code: human.request.sv
    lang: sv
    kind: human
    explanation: Asks for a person.
    patterns: ["prata med en (manniska|person)"]
"""


def test_a_language_outside_the_supported_list_is_refused(registry_copy: Path) -> None:
    _write(registry_copy, "90-lang-sv.yaml", SWEDISH)
    with pytest.raises(RegistryError) as caught:
        Registry.load(registry_copy)
    assert "'sv' is not in settings.languages.supported" in str(caught.value)


def test_a_language_file_adds_its_lexicon_and_its_rules_answer_for_the_base_code(
    registry_copy: Path,
) -> None:
    settings = (registry_copy / "10-settings.yaml").read_text(encoding="utf-8")
    _write(registry_copy, "10-settings.yaml",
           settings.replace("supported: [en, es, fr, de, pt, it, nl, hi]",
                            "supported: [en, es, fr, de, pt, it, nl, hi, sv]"))
    _write(registry_copy, "90-lang-sv.yaml", SWEDISH)
    custom = Registry.load(registry_copy)
    assert "inte" in custom.negators_by_lang["sv"]  # its rules read its negators
    assert custom.languages["sv"].name == "Swedish"
    guard = Guardrail(custom, need_model=None)
    asked = guard.check(make_conversation("Hej, jag vill prata med en människa tack"))
    assert "human_requested" in asked.segment_ids()
    assert any(r.code == "human.request.sv" for r in asked.reason_codes)
    negated = guard.check(make_conversation("jag vill inte prata med en människa"))
    assert "human_requested" not in negated.segment_ids()
