"""What every extractor shares: the prepared text of one message, the spans already claimed,
and match helpers whose cost stays flat however big the message or the vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from guardrail.errors import RegistryError, RegistryIssue
from guardrail.handoff.details.model import MAX_CHARS, Item
from guardrail.handoff.details.vocab import VOCAB_FILE

__all__ = [
    "CARDISH",
    "CARD_WORD",
    "LETTER_AHEAD",
    "NOT_AFTER_WORD",
    "NOT_IN_WORD",
    "PHONEISH",
    "PHONE_WORD",
    "Found",
    "Names",
    "Scan",
    "alt",
    "blank_card",
    "blank_phone",
    "fold",
    "matches",
    "nfkc",
    "non_overlapping",
    "prepare",
    "window",
]

# A message stuffed with thousands of look-alike matches must not cost more than this per pattern.
_MAX_MATCHES = 200


_T = TypeVar("_T")


_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CARDISH = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONEISH = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{7,}\d(?!\w)")
CARD_WORD = re.compile(
    r"(?i:\b(?:card|visa|master\s?card|amex|debit|credit|account|acct|iban|method|paypal)\b)"
)
# Word edges for vocabulary that is not only Latin: Devanagari vowel signs are not `\w`, so
# "कल" (yesterday) must not match the start of "कला" (art).
NOT_IN_WORD = r"(?![\w\u0900-\u097f])"
NOT_AFTER_WORD = r"(?<![\w\u0900-\u097f])"
# Before an alternation of words that all start with a letter: fails at once on spaces and
# digits, so a long message costs one cheap test per character, not one per word listed.
LETTER_AHEAD = r"(?=[^\W\d_])"
PHONE_WORD = re.compile(r"(?i:\b(?:phone|mobile|number|sim|line|cell|whatsapp|tel)\b)")


def prepare(text: str) -> str:
    # NFKC can expand a character many times over, so the text is cut before and after it.
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])[:MAX_CHARS]
    return _CONTROL.sub(" ", _INVISIBLE.sub("", text))


def blank_card(m: re.Match[str]) -> str:
    card = sum(c.isdigit() for c in m.group()) >= 13
    return " " * len(m.group()) if card else m.group()


def blank_phone(m: re.Match[str]) -> str:
    # A plain run of digits after "ref" is an id; a phone number is written with a "+", a
    # leading 0 or separators.
    phone = m.group()
    shaped = phone[0] in "+(0" or not phone.isdigit()
    digits = sum(c.isdigit() for c in phone)
    return " " * len(phone) if shaped and (phone[0] == "+" or digits >= 9) else phone


@dataclass(slots=True)
class Scan:
    """One message: `text` has card numbers blanked, `plain` phone numbers too; `claimed` holds
    the spans extractors have taken, so one piece of text becomes at most one item."""

    index: int
    text: str
    plain: str
    claimed: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.claimed)

    def claim(self, start: int, end: int) -> None:
        self.claimed.append((start, end))


def matches(pattern: re.Pattern[str] | Names, text: str) -> Iterator[re.Match[str]]:
    for count, match in enumerate(pattern.finditer(text)):
        if count >= _MAX_MATCHES:
            return
        yield match


@dataclass(frozen=True, slots=True)
class Names:
    """A pattern of many names, run only where a word that starts one of them begins.

    A long alternation tried at every character is the slow part of a big message; finding the
    words first (a fast scan) and trying the pattern only at the few that can start a name keeps
    the cost per character flat however many names the vocabulary lists.
    """

    pattern: re.Pattern[str]
    firsts: frozenset[str]

    @classmethod
    def of(cls, names: Sequence[str], template: str) -> Names:
        """`template` holds ``{}`` where the alternation of `names` goes."""
        firsts = frozenset(_first_word(n) for n in names)
        return cls(re.compile(template.format(alt(names))), firsts)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Non-overlapping matches, left to right, like `re.Pattern.finditer`."""
        done = 0
        for count, word in enumerate(_WORD.finditer(text)):
            if count >= 50 * _MAX_MATCHES:
                return
            if word.start() >= done and word.group().casefold() in self.firsts:
                m = self.pattern.match(text, word.start())
                if m is not None:
                    done = m.end()
                    yield m


_WORD = re.compile(r"[^\W_]+")


def _first_word(name: str) -> str:
    m = _WORD.match(name)
    if m is None:
        raise RegistryError([RegistryIssue(VOCAB_FILE, "", f"{name!r} must start with a letter")])
    return m.group().casefold()


def window(text: str, start: int, end: int, before: int, after: int) -> str:
    return text[max(0, start - before) : end + after]


def alt(words: Sequence[str]) -> str:
    """A regex alternation of literal words, longest first, any run of spaces matching one."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


# Where a candidate item starts; `_dedupe` orders by (message, start) and drops repeats by key.
@dataclass(frozen=True, slots=True)
class Found:
    start: int
    key: object
    item: Item


def nfkc(text: str) -> str:
    """A vocabulary word in the form `prepare` gives the text ("nº" -> "no", "फ़" decomposed)."""
    return unicodedata.normalize("NFKC", text)


def fold(text: str) -> str:
    return " ".join(nfkc(text).casefold().split())


def non_overlapping(candidates: list[tuple[int, int, _T]]) -> list[tuple[int, int, _T]]:
    """Earliest first; of two that overlap, the one starting first (then the longer) wins."""
    kept: list[tuple[int, int, _T]] = []
    for start, end, item in sorted(candidates, key=lambda c: (c[0], c[0] - c[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, item))
    return kept
