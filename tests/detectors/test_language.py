"""The language identifier: scripts, romanised Hindi, clear sentences in supported and unsupported
languages, too little text, code-switching, any str at all, threads, the cue file's validation and
the error when the model's package is missing. Behaviour only: which language a clear sentence is
in, never a confidence to the decimal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guardrail.detectors import language
from guardrail.detectors.language import (
    PIP_REQUIREMENT,
    LanguageIdentifier,
    LanguageModelMissingError,
    LanguageReading,
    load_cues,
)
from guardrail.errors import RegistryError

SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl", "hi")


@pytest.fixture(scope="module")
def ident() -> LanguageIdentifier:
    pytest.importorskip("py3langid", reason=f"the language model's package: {PIP_REQUIREMENT}")
    return LanguageIdentifier(SUPPORTED)


def well_formed(reading: LanguageReading, supported: tuple[str, ...] = SUPPORTED) -> None:
    assert reading.lang == "und" or (reading.lang.isascii() and reading.lang.islower()
                                     and 2 <= len(reading.lang) <= 3), reading
    assert 0.0 <= reading.confidence <= 1.0, reading
    if reading.lang == "und":
        assert reading.confidence == 0.0, reading
    assert reading.lang not in reading.mixed, reading
    assert set(reading.mixed) <= set(supported), reading
    assert len(reading.script) == 4, reading
    assert reading.script.istitle(), reading


@pytest.mark.parametrize("text", [
    "मेरे खाते से बिना बताए पैसे कट गए हैं",
    "कृपया मुझे किसी अधिकारी से बात करवाइए",
])
def test_devanagari_is_hindi(ident: LanguageIdentifier, text: str) -> None:
    reading = ident.identify(text)
    assert (reading.lang, reading.script) == ("hi", "Deva")
    assert reading.confidence >= 0.5


@pytest.mark.parametrize("text", [
    "mera card chori ho gaya hai block karo",
    "bhai mera paisa kab tak wapas aayega",
    "kal se app khul hi nahi raha hai, kya karu",
])
def test_romanised_hindi_is_hindi(ident: LanguageIdentifier, text: str) -> None:
    reading = ident.identify(text)
    assert (reading.lang, reading.script) == ("hi", "Latn")


@pytest.mark.parametrize(("text", "lang"), [
    ("Hola, quiero saber por qué me han cobrado dos veces este mes", "es"),
    ("Guten Tag, ich warte seit drei Wochen auf meine Rückerstattung", "de"),
    ("Goedemorgen, ik wil graag weten waarom mijn pakket nog niet is bezorgd", "nl"),
    ("Bonjour, je voudrais savoir pourquoi ma carte a été refusée hier", "fr"),
    ("Bom dia, gostaria de saber quando vou receber o meu reembolso", "pt"),
    ("Buongiorno, vorrei sapere perché il mio ordine non è ancora arrivato", "it"),
    ("Hello, I would like to know why my order has not arrived yet", "en"),
])
def test_a_clear_sentence_reads_as_its_language(
    ident: LanguageIdentifier, text: str, lang: str
) -> None:
    assert ident.identify(text).lang == lang


@pytest.mark.parametrize("text", [
    "Dzień dobry, chciałbym wiedzieć, dlaczego pobrano mi opłatę dwa razy",
    "Здравствуйте, почему с моей карты дважды списали деньги?",
    "你好，我想知道为什么我的订单还没有到",
    "Merhaba, siparişim neden hâlâ gelmedi öğrenmek istiyorum",
    "Habari, nataka kujua kwa nini nimetozwa pesa mara mbili",
])
def test_an_unsupported_language_is_not_read_as_a_supported_one(
    ident: LanguageIdentifier, text: str
) -> None:
    assert ident.identify(text).lang not in SUPPORTED


@pytest.mark.parametrize("text", [
    "Здравствуйте, почему с моей карты дважды списали деньги?",
    "你好，我想知道为什么我的订单还没有到",
])
def test_a_script_no_supported_language_uses_is_surely_unsupported(
    ident: LanguageIdentifier, text: str
) -> None:
    reading = ident.identify(text)
    assert reading.lang not in SUPPORTED
    assert reading.confidence >= 0.5  # enough for the engine to act on


@pytest.mark.parametrize("text", ["", "   ", "👍", "🙏🙏🙏", "12345", "?!", "ok", ":)"])
def test_no_text_to_go_on_is_undetermined(ident: LanguageIdentifier, text: str) -> None:
    reading = ident.identify(text)
    assert reading.lang == "und"
    assert reading.confidence == 0.0


def test_code_switching_names_the_other_language(ident: LanguageIdentifier) -> None:
    reading = ident.identify("necesito que me hagan el refund ya, please")
    assert reading.lang == "es"
    assert "en" in reading.mixed


def test_an_unsupported_language_is_still_named(ident: LanguageIdentifier) -> None:
    only_two = LanguageIdentifier(["en", "es"])
    reading = only_two.identify("Bonjour, je voudrais savoir pourquoi ma carte a été refusée")
    assert reading.lang == "fr"
    assert set(reading.mixed) <= {"en", "es"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=()), max_size=300))
@example("\ud800\udfff a lone surrogate")
@example("\u0301\u0301 marks without letters")
@example("'''''")
@example("ﷺ" * 2000)
@example("𝐡𝐞𝐥𝐥𝐨 𝐦𝐲 𝐜𝐚𝐫𝐝")
@example("\x00\x1b[31m")
def test_any_str_reads_without_raising(ident: LanguageIdentifier, text: str) -> None:
    # The unguarded reader: `identify` would turn a bug into "und", so test what it wraps.
    well_formed(ident._read(text))
    well_formed(ident.identify(text))


def test_one_identifier_serves_many_threads(ident: LanguageIdentifier) -> None:
    texts = [
        "mera card chori ho gaya hai block karo", "Ich möchte mein Abo kündigen",
        "同じ注文で二回請求されました", "hola", "", "Gdzie jest mój zwrot pieniędzy?",
        "meu cartão foi clonado", "ik wil een mens spreken", "मदद चाहिए",
    ] * 20
    serial = [ident.identify(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(ident.identify, texts)) == serial


def test_the_shipped_cue_file_is_valid() -> None:
    cues = load_cues()
    assert set(SUPPORTED) <= set(cues.cues)
    assert cues.cues["hi"].strong


def test_a_word_strong_in_two_languages_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("cues:\n  en: {strong: [the, Über]}\n  de: {strong: [uber]}\n", "utf-8")
    with pytest.raises(RegistryError, match="strong in en"):
        load_cues(path)


@pytest.mark.parametrize("text", [
    "cues: {en: {strong: [two words]}}",
    "cues: {EN: {strong: [the]}}",
    "cues: {en: {strong: [the], often: [a]}}",
])
def test_a_malformed_cue_file_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(RegistryError):
        load_cues(path)


def test_a_cue_file_of_ones_own_is_used(ident: LanguageIdentifier, tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("cues:\n  hi: {strong: [zzkarozz, zzbhaizz]}\n", "utf-8")
    own = LanguageIdentifier(SUPPORTED, cues_path=path)
    assert own.identify("zzbhaizz zzkarozz").lang == "hi"
    assert ident.identify("zzbhaizz zzkarozz").lang != "hi"


@pytest.mark.parametrize("supported", [[], ["english"], ["e1"]])
def test_supported_languages_must_be_primary_subtags(supported: list[str]) -> None:
    with pytest.raises(ValueError, match="supported languages"):
        LanguageIdentifier(supported)


@pytest.fixture
def without_the_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """py3langid made unimportable, and the loaded model and tables forgotten meanwhile."""
    monkeypatch.setattr(language, "_model", None)
    monkeypatch.setitem(sys.modules, "py3langid", None)
    monkeypatch.setitem(sys.modules, "py3langid.langid", None)
    language._shipped_tables.cache_clear()
    yield
    language._shipped_tables.cache_clear()


@pytest.mark.usefixtures("without_the_model")
def test_a_missing_model_package_is_an_import_error_naming_it() -> None:
    with pytest.raises(LanguageModelMissingError) as caught:
        LanguageIdentifier(SUPPORTED)
    assert isinstance(caught.value, ImportError)
    assert caught.value.name == "py3langid"
    assert PIP_REQUIREMENT in str(caught.value)
