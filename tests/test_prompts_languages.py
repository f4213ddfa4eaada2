"""What the customer reads comes back in their language where `prompts/customer/` translates it;
the model is told the customer's language; a translation that does not fit is refused at load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from guardrail import Guardrail
from guardrail._resources import default_prompts_dir
from guardrail.errors import UserError
from guardrail.prompts import Prompts
from tests.conftest import make_conversation


def test_every_supported_language_has_its_customer_texts(rules_guard: Guardrail) -> None:
    prompts = Prompts.default()
    supported = set(rules_guard.registry.settings.languages.supported)
    assert supported - {prompts.adapter.language} <= set(prompts.translations)
    for lang, texts in prompts.translations.items():
        assert texts.handoff_message.default != prompts.adapter.handoff_message.default, lang
        assert texts.confirmation_question != prompts.adapter.confirmation_question, lang


@pytest.mark.parametrize(
    ("message", "lang", "queue"),
    [
        ("me robaron la tarjeta en el metro, bloquéenla ya", "es", "security_fraud"),
        ("Ich möchte bitte mit einem Mitarbeiter sprechen", "de", None),
        ("on m'a prélevé deux fois le même montant ce mois-ci", "fr", "billing_disputes"),
    ],
)
def test_the_handoff_message_is_in_the_customers_language(
    rules_guard: Guardrail, message: str, lang: str, queue: str | None
) -> None:
    decision = rules_guard.check(make_conversation(message))
    assert decision.handoff.required
    assert decision.language == lang
    prompts = Prompts.default()
    translated = prompts.translations[lang].handoff_message
    expected = translated.queues.get(decision.handoff.queue or "", translated.default)
    assert prompts.handoff_message(decision) == expected
    if queue is not None:
        assert decision.handoff.queue == queue
        assert expected == translated.queues[queue]


def test_a_language_without_a_translation_gets_the_source_texts(rules_guard: Guardrail) -> None:
    decision = rules_guard.check(make_conversation("I want to talk to a person please"))
    prompts = Prompts.default()
    english = prompts.adapter.handoff_message
    assert prompts.handoff_message(decision) == english.queues.get(
        decision.handoff.queue or "", english.default)
    unknown = decision.model_copy(update={"language": "pl"})
    assert prompts.handoff_message(unknown) == prompts.handoff_message(decision)
    assert prompts.confirmation_question("pl", tool="t", action="a", args="x=1") == (
        prompts.adapter.confirmation_question.format(tool="t", action="a", args="x=1"))


def test_the_model_is_told_the_customers_language(rules_guard: Guardrail) -> None:
    prompts = Prompts.default()
    spanish = rules_guard.check(make_conversation("¿Cómo cambio el correo de mi cuenta?"))
    english = rules_guard.check(make_conversation("How do I change the email on my account?"))
    assert (spanish.language, english.language) == ("es", "en")
    line = prompts.adapter.customer_language.format(language="es")
    assert line in prompts.system_text(spanish)
    assert prompts.adapter.customer_language.format(language="en") not in prompts.system_text(
        english)
    # The same directives in two languages are two cache entries, not one.
    same = spanish.model_copy(update={"directives": english.directives})
    assert line in prompts.system_text(same)
    assert line not in prompts.system_text(english)


def _copy_prompts(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(default_prompts_dir(), folder)
    return folder


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda t: t.replace("{args}", "{arguments}"),
         r"customer/es\.yaml: confirmation_question: placeholders"),
        (lambda t: t.replace("billing_disputes:", "no_such_queue:"),
         r"customer/es\.yaml: handoff_message\.queues\.no_such_queue: not a queue"),
        (lambda t: t.replace("confirmation_question:", "question:"),
         r"es\.yaml.*confirmation_question"),
    ],
)
def test_a_translation_that_does_not_fit_is_refused_at_load(
    tmp_path: Path, edit: object, error: str
) -> None:
    folder = _copy_prompts(tmp_path)
    spanish = folder / "customer" / "es.yaml"
    assert callable(edit)
    spanish.write_text(edit(spanish.read_text("utf-8")), "utf-8")
    with pytest.raises(UserError, match=error):
        Prompts.load(folder)


def test_a_translation_is_named_by_its_language_code(tmp_path: Path) -> None:
    folder = _copy_prompts(tmp_path)
    (folder / "customer" / "es.yaml").rename(folder / "customer" / "spanish.yaml")
    with pytest.raises(UserError, match="language code"):
        Prompts.load(folder)
