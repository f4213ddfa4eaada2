"""Which strings a regular expression's matches can start with (used to skip rules cheaply).

Every rule match starts at a word. If we know the set of 1-3 character strings a rule's match can
begin with, a message whose words begin with none of them cannot match, and where some do, the
rule only needs trying at those words. `leading_strings` computes that set from the parsed
pattern; when it cannot (a wildcard, a negated class, too many combinations) it returns None
and the rule is simply tried everywhere, so the shortcut never changes a result.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, TypeVar

# The stdlib's own regex parser: private, but stable across 3.11+ and the only exact source of
# what a compiled pattern can match. Loaded by name because typeshed does not describe it.
C: Any = importlib.import_module("re._constants")
_parser: Any = importlib.import_module("re._parser")

__all__ = [
    "leading_strings",
    "leading_strings_of",
    "parse",
    "required_words",
    "required_words_of",
    "space_edges_of",
]

_LIMIT = 600


class _Unknown(Exception):
    pass


_T = TypeVar("_T")


def _cap(strings: set[_T]) -> set[_T]:
    if len(strings) > _LIMIT:
        raise _Unknown
    return strings


def _class(items: list[Any]) -> set[str]:
    chars: set[str] = set()
    for op, value in items:
        if op is C.LITERAL:
            chars.add(chr(value))
        elif op is C.RANGE:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        else:  # NEGATE, CATEGORY: too wide to enumerate
            raise _Unknown
    return chars


def _seq(items: list[Any], room: int) -> set[str]:
    """Strings (at most `room` long; shorter only if the sequence can end there)."""
    out = {""}
    for item in items:
        nxt: set[str] = set()
        for prefix in out:
            left = room - len(prefix)
            if left == 0:
                nxt.add(prefix)
                continue
            nxt.update(prefix + s for s in _item(item, left))
        out = _cap(nxt)
    return out


def _item(item: Any, room: int) -> set[str]:
    op, value = item
    if op is C.LITERAL:
        return {chr(value)}
    if op is C.IN:
        return _class(value)
    if op is C.BRANCH:
        return _cap(set().union(*(_seq(branch, room) for branch in value[1])))
    if op is C.SUBPATTERN:
        return _seq(value[3], room)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, high, sub = value
        result: set[str] = set()
        current = {""}
        count = 0
        while True:
            if count >= low:
                result |= current
            if count == high or all(len(s) >= room for s in current):
                break
            grown = set()
            for prefix in current:
                left = room - len(prefix)
                if left == 0:
                    grown.add(prefix)
                else:
                    grown.update(prefix + s for s in _seq(sub, left))
            if grown == current:
                break
            current = _cap(grown)
            count += 1
        return _cap(result | {s for s in current if len(s) >= room})
    if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
        return {""}  # zero width; ignoring it only widens the set
    raise _Unknown


def parse(pattern: str, flags: int = 0) -> list[Any]:
    """The parsed items of `pattern` (what the functions below read). Parsing is most of their
    cost, so a caller reading one pattern several ways parses it once.

    Raises:
        re.error: the pattern does not parse.
    """
    try:
        return list(_parser.parse(pattern, flags))
    except RecursionError:
        raise re.error("pattern nested too deeply") from None


def leading_strings(regex: re.Pattern[str], length: int = 3) -> frozenset[str] | None:
    """The strings of up to `length` characters that a match of `regex` can start with.

    A string shorter than `length` means a match can end after it. None when unknown.
    """
    try:
        return leading_strings_of(parse(regex.pattern, regex.flags), length)
    except re.error:
        return None


def leading_strings_of(items: list[Any], length: int) -> frozenset[str] | None:
    """`leading_strings` of a parsed pattern."""
    try:
        return frozenset(_seq(items, length))
    except (_Unknown, RecursionError):
        return None


def _is_space(item: Any) -> bool:
    return bool(item[0] is C.LITERAL and item[1] == ord(" "))


# (text, closed): text up to and including the first space (closed), or all of a match that
# has no space (open).
_Word = tuple[str, bool]
_LONGEST = 40  # an open text longer than this is not a word we can name


def _join(head: _Word, tail: _Word) -> _Word:
    text = head[0] + tail[0]
    cut = text.find(" ")
    if cut >= 0:
        return text[: cut + 1], True
    if len(text) > _LONGEST:
        raise _Unknown
    return text, False


def _first_seq(items: list[Any]) -> set[_Word]:
    out: set[_Word] = {("", False)}
    for item in items:
        if all(closed for _, closed in out):
            break
        parts = _first_item(item)
        out = _cap({w if w[1] else _join(w, p) for w in out for p in parts})
    return out


def _first_item(item: Any) -> set[_Word]:
    op, value = item
    if op is C.LITERAL:
        return {_join(("", False), (chr(value), False))}
    if op is C.IN:
        return {_join(("", False), (c, False)) for c in _class(value)}
    if op is C.BRANCH:
        spelled: set[_Word] = set()
        for branch in value[1]:
            spelled |= _first_seq(branch)
        return _cap(spelled)
    if op is C.SUBPATTERN:
        return _first_seq(value[3])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, high, sub = value
        result: set[_Word] = set()
        current: set[_Word] = {("", False)}
        count = 0
        while True:
            if count >= low:
                result |= current
            if count == high or all(closed for _, closed in current):
                break
            grown = _cap({w if w[1] else _join(w, p) for w in current for p in _first_seq(sub)})
            if grown == current:
                break
            current = grown
            count += 1
        return _cap(result | {w for w in current if w[1]})
    if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
        return {("", False)}
    raise _Unknown


_ZERO_WIDTH = (C.ASSERT, C.ASSERT_NOT, C.AT)


def required_words(pattern: str, flags: int = 0, most: int = 2) -> tuple[frozenset[str], ...]:
    """`required_words_of` the parsed `pattern` (empty when it does not parse)."""
    try:
        return required_words_of(parse(pattern, flags), most)
    except re.error:
        return ()


def required_words_of(items: list[Any], most: int = 2) -> tuple[frozenset[str], ...]:
    """Sets of whole words a match of `pattern` must contain: for each set, at least one of its
    words appears in the matched text as a complete word (text of words joined by single spaces,
    the pattern anchored so a match starts and ends at word boundaries).

    At the pattern's start and after each literal space of its top level a word begins; the
    words that can stand there are spelled out up to the next space (or the match's end, a word
    end too). At most `most` sets, those with the longest shortest word (the most telling).
    Empty when none is known, which only means nothing can be skipped.
    """
    items = list(items)
    while True:  # "(?<!..)(?:body)(?!..)": read the body (the anchors are zero width)
        while items and items[0][0] in _ZERO_WIDTH:
            items.pop(0)
        while items and items[-1][0] in _ZERO_WIDTH:
            items.pop()
        if len(items) != 1 or items[0][0] is not C.SUBPATTERN:
            break
        inner = list(items[0][1][3])
        if len(inner) == 1 and inner[0][0] is C.BRANCH:
            break
        items = inner
    found: list[frozenset[str]] = []
    for start in range(len(items)):
        if (start and not _is_space(items[start - 1])) or _is_space(items[start]):
            continue
        try:
            spelled = _first_seq(items[start:])
        except (_Unknown, RecursionError):
            continue
        words = frozenset(text.rstrip(" ") for text, _ in spelled)
        if words and "" not in words:
            found.append(words)
    found.sort(key=lambda words: (-min(map(len, words)), len(words)))
    return tuple(found[:most])


def space_edges_of(items: list[Any]) -> tuple[bool, bool]:
    """Whether some way through a parsed pattern starts (first) or ends (second) with a space.

    A rule's match is anchored on word boundaries and canonical text has single spaces between
    words, a clause break never doubled nor first: a match that ends with a space can only be
    followed by a clause break (``"(a |the )?"`` left empty at the end of a pattern), one that
    ends with ``". "`` never. So such a way through is dead or nearly so, and always a slip:
    the word boundary already ends the match at a word. Zero-width assertions are looked
    through; ``$`` and ``^`` end the way (nothing can follow them).
    """
    return _space_edge(items, reverse=False)[0], _space_edge(items, reverse=True)[0]


def _space_edge(items: list[Any], reverse: bool) -> tuple[bool, bool]:
    """(some way through `items` has a space at its start, or its end when `reverse`; the
    items can match the empty string, so the item before (or after) is at the edge too)."""
    for op, value in reversed(items) if reverse else items:
        if op in (C.ASSERT, C.ASSERT_NOT):
            continue
        if op is C.LITERAL:
            return value == ord(" "), False
        if op is C.IN:
            return any(
                (kind is C.LITERAL and item == ord(" "))
                or (kind is C.RANGE and item[0] <= ord(" ") <= item[1])
                for kind, item in value
            ), False
        if op is C.BRANCH:
            ways = [_space_edge(branch, reverse) for branch in value[1]]
            if any(space for space, _ in ways):
                return True, False
            if not any(empty for _, empty in ways):
                return False, False
            continue
        if op is C.SUBPATTERN:
            space, empty = _space_edge(value[3], reverse)
            if space or not empty:
                return space, False
            continue
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, _high, body = value
            space, empty = _space_edge(body, reverse)
            if space:
                return True, False
            if low > 0 and not empty:
                return False, False
            continue
        return False, False  # "^", "$", any character, a back-reference: no space forced here
    return False, True
