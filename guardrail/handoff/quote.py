"""The customer's own words behind a rule's evidence, for the summary's "they said" quote.

A rule's evidence is cut from *canonical* text: lower case, accents and punctuation gone, typos
corrected, "89.99 USD" read as "89 usd". Quoting that as what the customer said misquotes them,
and a human agent reading "89 usd" cannot tell the amount. So `quote` finds the same words in
the message as typed and returns that stretch instead, with amounts, case and punctuation as
they were.

The message is redacted *whole* first and the quote cut from the redacted text, so personal data
is masked with all its context (a code after "PIN", a password after its label), exactly as in
the transcript. The redacted message is then read word by word the way the rules read it
(`Normaliser.fold`, amounts collapsed the same way) and the evidence's words are aligned to it:
a word matches when it is the same, the same after leetspeak, one edit away (a corrected typo),
or several pieces that join into it ("c h a r g e", "cha rged"); a redaction tag on either side
stands for up to `_SPAN` words on the other; a few words may differ (slang the rules expand).
When nothing aligns, there is no quote: a summary says nothing rather than misquote.

Cost is bounded: messages are read up to their first `MAX_CHARS` characters, and the alignment
is a memoised search over (evidence word, message word, mismatches left).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from guardrail.handoff.details.model import MAX_CHARS
from guardrail.redact import redact
from guardrail.text import (  # the rules' own reading of amounts, symbols and leetspeak
    _DECIMALS,
    _LEET,
    _SYMBOL_IN_WORD,
    _SYMBOL_LETTER,
    _THOUSANDS,
    Normaliser,
    one_edit,
)

__all__ = ["quote"]

# A redaction tag as `redact` writes them: "[email]", "[card ****1111]", "[national-id]".
_TAG = re.compile(r"\[[a-z][a-z-]*(?: \*{4}[A-Za-z0-9]{4})?\]")
_WORD = re.compile(r"[a-z0-9]+")
_CHUNK = re.compile(r"\S+")
_TRUNCATED = "…"
_SPAN = 8  # the most words one redaction tag may stand for
_MAX_PIECES = 20  # spaced-out letters joined into one word ("c h a r g e b a c k")
_TRAILING = ",;:- \u2013\u2014"
_WILD = ""  # an evidence "word" that is a redaction tag


@dataclass(frozen=True, slots=True)
class _Unit:
    """One word of the redacted message as the rules read it, or a whole redaction tag
    (`word` empty), with the span of its text in the redacted message."""

    word: str
    start: int
    end: int


def quote(message: str, evidence: str, limit: int = 120) -> str | None:
    """The stretch of `message`, redacted, that the canonical `evidence` was read from.

    Args:
        message: the customer's message as typed.
        evidence: a rule's evidence: canonical words of that message, redacted (and perhaps
            cut, ending with "…").
        limit: the longest quote; a longer one is cut and ends with "…".

    Returns:
        The quote (redacted, as typed), or None when the evidence cannot be found in the
        message (decoded text, a message since trimmed, words the rules rewrote too far).
    """
    redacted = redact(message[:MAX_CHARS], limit=4 * MAX_CHARS)
    units = _units(redacted)
    words = _evidence_words(evidence)
    if not words or not units:
        return None
    found = _align(words, units, truncated=evidence.rstrip().endswith(_TRUNCATED))
    if found is None:
        return None
    first, last = found
    text = redacted[units[first].start : units[last].end].rstrip(_TRAILING)
    return redact(text, limit) if text else None


def _units(redacted: str) -> list[_Unit]:
    units: list[_Unit] = []
    at = 0
    for tag in [*_TAG.finditer(redacted), None]:
        end = tag.start() if tag is not None else len(redacted)
        for chunk in _CHUNK.finditer(redacted, at, end):
            units.extend(_Unit(w, chunk.start(), chunk.end()) for w in _read(chunk.group()))
        if tag is not None:
            units.append(_Unit(_WILD, tag.start(), tag.end()))
            at = tag.end()
    return units


def _read(chunk: str) -> list[str]:
    """The words the rules read in one run of text without spaces."""
    text = Normaliser.fold(chunk)
    text = _SYMBOL_IN_WORD.sub(lambda m: _SYMBOL_LETTER[m.group()], text)
    text = _DECIMALS.sub("", _THOUSANDS.sub("", text))
    return _WORD.findall(text)


def _evidence_words(evidence: str) -> list[str]:
    text = evidence.rstrip()
    if text.endswith(_TRUNCATED):
        text = text[: -len(_TRUNCATED)]
    words: list[str] = []
    at = 0
    for tag in [*_TAG.finditer(text), None]:
        end = tag.start() if tag is not None else len(text)
        words.extend(_WORD.findall(Normaliser.fold(text[at:end])))
        if tag is not None:
            words.append(_WILD)
            at = tag.end()
    return words


def _same(canonical: str, typed: str) -> bool:
    if canonical == typed or canonical == typed.translate(_LEET):
        return True
    return len(canonical) >= 4 and one_edit(canonical, typed)


def _align(words: list[str], units: list[_Unit], *, truncated: bool) -> tuple[int, int] | None:
    """(first, last) units of the earliest stretch the evidence aligns with, fewest misses."""
    memo: dict[tuple[int, int, int], int | None] = {}
    misses = len([w for w in words if w]) // 4

    def step(e: int, u: int, left: int) -> int | None:
        """The unit after the stretch matching words[e:] from unit u, or None."""
        if e == len(words):
            return u
        if u >= len(units):
            # A cut evidence may end inside its last word: all before it matched.
            return u if truncated and e == len(words) - 1 else None
        key = (e, u, left)
        if key in memo:
            return memo[key]
        result = _options(e, u, left, step)
        memo[key] = result
        return result

    def _options(e: int, u: int, left: int,
                 go: Callable[[int, int, int], int | None]) -> int | None:
        word, unit = words[e], units[u]
        if word == _WILD or unit.word == _WILD:
            # A tag stands for a few words on the other side (or for a tag there).
            if word == _WILD and unit.word == _WILD:
                end = go(e + 1, u + 1, left)
                if end is not None:
                    return end
            for span in range(1, _SPAN + 1):
                # A quote starts on a word or a tag the evidence has, not on words a tag ate.
                if word == _WILD and u + span <= len(units) and (e > 0 or unit.word == _WILD):
                    end = go(e + 1, u + span, left)
                    if end is not None:
                        return end
                # Not at either end: a quote starts and ends on words the evidence has.
                if unit.word == _WILD and e > 0 and e + span < len(words):
                    end = go(e + span, u + 1, left)
                    if end is not None:
                        return end
            return None
        last = truncated and e == len(words) - 1
        if _same(word, unit.word) or (last and unit.word.startswith(word)):
            end = go(e + 1, u + 1, left)
            if end is not None:
                return end
        joined = unit.word
        for more in range(u + 1, min(u + _MAX_PIECES, len(units))):
            piece = units[more].word
            if not piece or not word.startswith(joined):
                break
            joined += piece
            if joined == word:
                end = go(e + 1, more + 1, left)
                if end is not None:
                    return end
        if left > 0 and e not in (0, len(words) - 1):
            return go(e + 1, u + 1, left - 1)
        return None

    for start in range(len(units)):
        end = step(0, start, misses)
        if end is not None and end > start:
            return start, min(end, len(units)) - 1
    return None
