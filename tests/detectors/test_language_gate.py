"""A rule written for one language does not read a message read confidently as another
supported language (`settings.languages.rule_gate`); the default language's rules read every
message, and a message whose language is unclear keeps every rule."""

from __future__ import annotations

import pytest

from guardrail import Guardrail
from guardrail.detectors.language import LanguageIdentifier
from guardrail.registry import Registry
from tests.conftest import make_conversation
from tests.registry.test_registry import shipped_texts

ITALIAN_CONTEXT = "in questo contesto non sto contestando niente, volevo solo sapere il saldo"


@pytest.fixture(scope="module")
def ungated() -> Guardrail:
    texts = shipped_texts()
    settings = texts["10-settings.yaml"]
    assert "    rule_gate: 0.9\n" in settings
    texts["10-settings.yaml"] = settings.replace("    rule_gate: 0.9\n", "    rule_gate: null\n")
    return Guardrail(Registry.from_texts(texts), need_model=None)


def _rule_ids(guard: Guardrail, message: str) -> set[str]:
    return {r.rule_id for r in guard.check(make_conversation(message)).reason_codes}


def test_another_languages_rule_does_not_fire_on_a_confident_message(
    rules_guard: Guardrail, ungated: Guardrail
) -> None:
    # The premise: without the gate a Portuguese rule reads the Italian words as a dispute.
    assert any(i.startswith("pt.") for i in _rule_ids(ungated, ITALIAN_CONTEXT))
    decision = rules_guard.check(make_conversation(ITALIAN_CONTEXT))
    assert decision.language == "it"
    assert not decision.handoff.required, decision.segment_ids()
    assert not any(i.startswith("pt.") for i in _rule_ids(rules_guard, ITALIAN_CONTEXT))


@pytest.mark.parametrize(
    ("message", "lang", "prefix"),
    [
        ("Quero contestar essa compra no cartão, não reconheço", "pt", "pt."),
        ("No reconozco este cargo de 49 euros en mi tarjeta", "es", "es."),
    ],
)
def test_a_languages_rules_still_read_its_own_messages(
    rules_guard: Guardrail, message: str, lang: str, prefix: str
) -> None:
    decision = rules_guard.check(make_conversation(message))
    assert decision.language == lang
    assert decision.handoff.required
    assert any(i.startswith(prefix) for i in _rule_ids(rules_guard, message))


def test_the_default_languages_rules_read_every_message(rules_guard: Guardrail) -> None:
    message = ("hola buenas tardes, tengo un problema con mi cuenta del banco y necesito ayuda "
               "urgente porque I was charged twice")
    decision = rules_guard.check(make_conversation(message))
    assert decision.language == "es"  # read confidently as Spanish, and still
    supported = set(rules_guard.registry.settings.languages.supported)
    english = {i for i in _rule_ids(rules_guard, message)
               if i.split(".", 1)[0] not in supported and i in _all_rule_ids(rules_guard)}
    assert decision.handoff.required
    assert english  # an English rule fired


def _all_rule_ids(guard: Guardrail) -> set[str]:
    return {r.spec.id for r in guard.registry.rules}


def test_a_message_of_unclear_language_keeps_every_rule(
    rules_guard: Guardrail, ungated: Guardrail
) -> None:
    identifier = LanguageIdentifier(rules_guard.registry.settings.languages.supported)
    for message in ("contesto", "fraude!!"):
        gate = rules_guard.registry.settings.languages.rule_gate
        assert gate is not None
        assert identifier.identify(message).confidence < gate  # the premise: unclear
        assert _rule_ids(rules_guard, message) == _rule_ids(ungated, message)
