"""Devanagari read as chat-style romanised Hindi, so one set of Hindi rules serves both."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrail.registry import Registry
from guardrail.translit import romanise_devanagari


def _read(text: str) -> str:
    return romanise_devanagari(unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize(
    ("devanagari", "typed"),
    [
        ("मेरा कार्ड चोरी हो गया", "mera kard chori ho gaya"),  # final schwa dropped
        ("करना", "karna"),  # medial schwa dropped
        ("समझना", "samajhna"),  # ... right to left
        ("पैसे नहीं आए", "paise nahin ae"),  # nasal sign as n
        ("फ़्रॉड", "frod"),  # nukta and the English o
        ("खाता", "khata"),  # long vowels fold
    ],
)
def test_devanagari_reads_as_people_type_it(devanagari: str, typed: str) -> None:
    assert _read(devanagari) == typed


def test_latin_text_and_digits_pass_through() -> None:
    assert _read("UPI ११२ fail, मेरा card") == "UPI 112 fail, mera card"


def test_the_normaliser_reads_both_scripts_alike(registry: Registry) -> None:
    canonical = registry.normaliser.canonical
    assert canonical("मेरा कार्ड चोरी हो गया").text == canonical("mera kard chori ho gaya").text


@given(st.text(alphabet=st.characters(min_codepoint=0x0900, max_codepoint=0x097F), max_size=40))
def test_any_devanagari_string_becomes_ascii_without_error(text: str) -> None:
    out = romanise_devanagari(text)
    assert out.isascii()
