"""A request for a person is honoured in every supported language, typos and missing accents
included, by the rules alone (the learned model may only add to them)."""

from __future__ import annotations

import pytest

from guardrail import Guardrail
from tests.conftest import make_conversation

# (language, message): each misspelt the way hurried customers type, no accents.
REQUESTS = [
    ("en", "can i tlak to a humna pls"),
    ("en", "i wnat a real persn not a bot"),
    ("es", "kiero ablar con una persona reaal"),
    ("es", "pasame con un asesro porfa"),
    ("pt", "quero falr com um atendnte humano"),
    ("pt", "me passa pra um atendente pf, nao quero robo"),
    ("fr", "je veu parler a un conseiler svp"),
    ("fr", "passez moi un humain, pas un robot"),
    ("it", "voglio parlre con un operatroe"),
    ("it", "mi passi un operatore umano per favore"),
    ("de", "ich moechte mit einem mitarbieter sprechen"),
    ("de", "bitte verbinden sie mich mit enem menschen"),
    ("nl", "ik wil een medewerkr spreken"),
    ("nl", "kan ik met een echt persoon praten aub"),
    ("hi", "mujhe kisi insaan se baat karni hai"),
    ("hi", "agent se baat karao plz"),
    ("hi", "मुझे किसी एजेंट से बात करनी है"),
]


@pytest.mark.parametrize(("lang", "message"), REQUESTS, ids=[f"{lang}-{i}" for i, (lang, _) in
                                                             enumerate(REQUESTS)])
def test_a_request_for_a_person_is_honoured(
    rules_guard: Guardrail, lang: str, message: str
) -> None:
    decision = rules_guard.check(make_conversation(message))
    assert decision.handoff.required, (message, decision.segment_ids())
    assert "human_requested" in decision.segment_ids()


def test_every_supported_language_is_covered(rules_guard: Guardrail) -> None:
    assert {lang for lang, _ in REQUESTS} == set(
        rules_guard.registry.settings.languages.supported)
