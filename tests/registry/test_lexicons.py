"""Each language's lexicon applies to its own rules: a word that negates in one language is an
ordinary word in another (Italian "mai" = never, Hindi "mai" = I), so it must not cancel the
other language's (or the default language's) rules."""

from __future__ import annotations

import pytest

from guardrail import Guardrail
from guardrail.errors import RegistryError
from guardrail.registry import Registry
from tests.conftest import make_conversation
from tests.registry.test_registry import shipped_texts


def test_negators_are_scoped_to_their_language(registry: Registry) -> None:
    default = registry.negators
    assert "mai" not in default
    assert "not" in default
    assert "mai" in registry.negators_by_lang["it"]
    assert "mai" not in registry.negators_by_lang["hi"]
    for code, spec in registry.languages.items():
        assert default | set(spec.negators) == registry.negators_by_lang[code], code
    # The default language's rules also read code-switched text: they take the other
    # languages' negators, except those another language's rules use as an ordinary word.
    english = registry.negators_by_lang[registry.settings.languages.default]
    assert {"nicht", "niet", "nunca"} <= english
    assert english.isdisjoint({"mai", "pas"})


@pytest.mark.parametrize(
    ("message", "segment"),
    [
        ("mai charged twice ho gaya", "billing_dispute"),  # Hinglish: "I got charged twice"
        ("mai locked out ho gaya account se", "lockout"),
        ("nahi yaar, mai charged twice hua", "billing_dispute"),
    ],
)
def test_another_languages_negator_does_not_cancel_a_trigger(
    rules_guard: Guardrail, message: str, segment: str
) -> None:
    decision = rules_guard.check(make_conversation(message))
    assert decision.handoff.required, decision.segment_ids()
    assert segment in decision.segment_ids()


@pytest.mark.parametrize(
    "message",
    [
        "my account is not locked, I just want to change the email",
        "non ho mai avuto un addebito doppio, volevo solo sapere come funziona la fattura",
    ],
)
def test_a_languages_own_negators_still_negate(rules_guard: Guardrail, message: str) -> None:
    decision = rules_guard.check(make_conversation(message))
    assert not decision.handoff.required, decision.segment_ids()


def test_slang_that_is_another_languages_word_is_refused() -> None:
    texts = shipped_texts()
    french = texts["52-lang-fr.yaml"]
    assert "slang: {" in french
    # A made-up French shorthand "mera" for "merci": "mera" (my) is a word the Hindi rules
    # read, and they never read "merci".
    texts["52-lang-fr.yaml"] = french.replace("slang: {", "slang: {mera: merci, ", 1)
    with pytest.raises(RegistryError) as caught:
        Registry.from_texts(texts)
    (issue,) = [i for i in caught.value.issues if i.path == "language.slang.mera"]
    assert issue.file == "52-lang-fr.yaml"
    assert "hi rules" in issue.message


def test_an_ambiguous_typo_follows_the_language_of_its_message() -> None:
    from guardrail.text import Normaliser

    normaliser = Normaliser(
        ["charge"], [], 5,
        secondary=["parlare", "parle", "voglio", "operatore", "veux", "conseiller"],
        languages={"it": ["parlare", "voglio", "operatore"],
                   "fr": ["parle", "veux", "conseiller"], "en": ["charge"]},
    )
    assert normaliser.canonical("voglio parlre con un operatore").words[1] == "parlare"
    assert normaliser.canonical("je veux parlre a un conseiller").words[2] == "parle"
    # No other word to go by, or as many for each: the typo is left as written.
    assert normaliser.canonical("parlre").words == ("parlre",)
    assert normaliser.canonical("voglio parlre conseiller").words[1] == "parlre"


def test_the_shipped_normaliser_reads_typos_in_the_messages_language(registry: Registry) -> None:
    words = registry.normaliser.canonical("voglio parlre con un operatroe").words
    assert words[1] == "parlare"
    assert words[-1] == "operatore"
