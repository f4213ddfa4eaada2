"""Devanagari written the way Hindi speakers type it in Latin letters ("मेरा कार्ड" -> "mera kard").

Hindi customers write in Devanagari and in romanised Hindi, often in one conversation. Reading
Devanagari as romanised Hindi lets one set of Hindi rules (and one set of model features) serve
both. The mapping is the common chat spelling, not a scholarly transliteration: long and short
vowels fold together ("aa" -> "a", "ee" -> "i"), the inherent vowel is dropped where Hindi
drops it (at the end of a word, and between syllables: "करना" -> "karna", "समझना" ->
"samajhna"), nasal signs become "n". English loanwords come out as spoken ("कार्ड" -> "kard",
"ब्लॉक" -> "blok"); rules list those spellings beside the English ones.
"""

from __future__ import annotations

import re

__all__ = ["romanise_devanagari"]

# Consonants, each carrying the inherent vowel "a" until a vowel sign or virama says otherwise.
_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n",
    "च": "ch", "छ": "chh", "ज": "j", "झ": "jh", "ञ": "n",
    "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n",
    "त": "t", "थ": "th", "द": "d", "ध": "dh", "न": "n",
    "प": "p", "फ": "f", "ब": "b", "भ": "bh", "म": "m",
    "य": "y", "र": "r", "ल": "l", "व": "v", "श": "sh", "ष": "sh", "स": "s", "ह": "h",
    "ळ": "l",
}
# A consonant with the nukta below it (NFKC splits the precomposed letters into base + nukta).
_NUKTA_FORMS = {"क": "q", "ख": "kh", "ग": "g", "ज": "z", "ड": "r", "ढ": "rh", "फ": "f", "य": "y"}
_VOWEL_SIGNS = {
    "ा": "a", "ि": "i", "ी": "i", "ु": "u", "ू": "u", "ृ": "ri", "े": "e", "ै": "ai",
    "ो": "o", "ौ": "au", "ॉ": "o", "ॅ": "e", "ॆ": "e", "ॊ": "o",
}
_VOWELS = {
    "अ": "a", "आ": "a", "इ": "i", "ई": "i", "उ": "u", "ऊ": "u", "ऋ": "ri", "ए": "e",
    "ऐ": "ai", "ओ": "o", "औ": "au", "ऑ": "o", "ऍ": "e", "ऎ": "e", "ऒ": "o",
}
_NASALS = {"ं": "n", "ँ": "n", "\u0903": "h"}  # anusvara, chandrabindu, visarga
_VIRAMA = "्"
_NUKTA = "़"
_OTHER = {"।": " . ", "॥": " . ", "ऽ": "", "॰": "."} | {chr(0x0966 + d): str(d) for d in range(10)}
_RUN = re.compile(r"[\u0900-\u097f]+")
# Letters spaced out ("म े र ा   ख ा त ा"): a vowel sign never starts a word, so a space before
# one is the mark of spacing. Where there are some, the spaces before signs go, and then each
# run of one-syllable pieces between single spaces is one word (words are apart by two or more).
_SIGN = "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
_SPACED_SIGN = re.compile(f" (?=[{_SIGN}])")
_SYLLABLE = f"[\u0904-\u0939\u0958-\u0961\u0972-\u097f][{_SIGN}]*"
_SPACED_RUN = re.compile(f"(?<![^ ] )(?<!\\S){_SYLLABLE}(?: {_SYLLABLE})+(?!\\S)(?! [^ ])")
_MIN_SPACED_SIGNS = 2


class _Unit:
    """One written syllable: a consonant (or none) and the vowel after it."""

    __slots__ = ("base", "coda", "consonant", "inherent", "vowel")

    def __init__(self, consonant: str, vowel: str, inherent: bool, base: str = "") -> None:
        self.base = base  # the Devanagari consonant read (a nukta after it changes it)
        self.consonant = consonant
        self.vowel = vowel
        self.inherent = inherent  # the vowel is the unwritten "a" (may be dropped)
        self.coda = ""

    def voiced(self) -> bool:
        return bool(self.vowel)


def _word(run: str) -> str:
    units: list[_Unit] = []
    out: list[str] = []

    def flush() -> None:
        _drop_schwas(units)
        out.append("".join(u.consonant + u.vowel + u.coda for u in units))
        units.clear()

    for ch in run:
        last = units[-1] if units else None
        if ch in _CONSONANTS:
            units.append(_Unit(_CONSONANTS[ch], "a", True, ch))
        elif ch == _NUKTA and last is not None:
            last.consonant = _NUKTA_FORMS.get(last.base, last.consonant)
        elif ch in _VOWEL_SIGNS:
            if last is not None and last.consonant and last.inherent:
                last.vowel, last.inherent = _VOWEL_SIGNS[ch], False
            else:
                units.append(_Unit("", _VOWEL_SIGNS[ch], False))
        elif ch == _VIRAMA:
            if last is not None:
                last.vowel, last.inherent = "", False
        elif ch in _VOWELS:
            units.append(_Unit("", _VOWELS[ch], False))
        elif ch in _NASALS:
            if last is not None:
                last.coda += _NASALS[ch]
                last.inherent = False  # a nasalised vowel is always said
            else:
                out.append(_NASALS[ch])
        else:
            flush()
            out.append(_OTHER.get(ch, " "))
    flush()
    return "".join(out)


def _drop_schwas(units: list[_Unit]) -> None:
    """Drop the unwritten "a" where Hindi does not say it, right to left: at the end of a word
    of two or more syllables, and inside a word between a voiced syllable and a consonant that
    has its own vowel."""
    last = len(units) - 1
    for i in range(last, 0, -1):
        unit = units[i]
        if not unit.inherent or not unit.consonant:
            continue
        between = i < last and units[i - 1].voiced() and units[i + 1].consonant
        if i == last or (between and units[i + 1].voiced()):
            unit.vowel, unit.inherent = "", False


def romanise_devanagari(text: str) -> str:
    """`text` with every run of Devanagari written in chat-style Latin letters (the text itself,
    unchanged, when it has none: one regex search)."""
    if not _RUN.search(text):
        return text
    if len(_SPACED_SIGN.findall(text)) >= _MIN_SPACED_SIGNS:
        text = _SPACED_SIGN.sub("", text)
        text = _SPACED_RUN.sub(lambda m: m.group().replace(" ", ""), text)
    return _RUN.sub(lambda m: _word(m.group()), text)
