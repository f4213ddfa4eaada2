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
from typing import Any

# The stdlib's own regex parser: private, but stable across 3.11+ and the only exact source of
# what a compiled pattern can match. Loaded by name because typeshed does not describe it.
C: Any = importlib.import_module("re._constants")
_parser: Any = importlib.import_module("re._parser")

__all__ = ["leading_strings", "required_words"]

_LIMIT = 600


class _Unknown(Exception):
    pass


def _cap(strings: set[str]) -> set[str]:
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


def leading_strings(regex: re.Pattern[str], length: int = 3) -> frozenset[str] | None:
    """The strings of up to `length` characters that a match of `regex` can start with.

    A string shorter than `length` means a match can end after it. None when unknown.
    """
    try:
        parsed = _parser.parse(regex.pattern, regex.flags)
        return frozenset(_seq(list(parsed), length))
    except (_Unknown, RecursionError):
        return None


def _is_space(item: Any) -> bool:
    return bool(item[0] is C.LITERAL and item[1] == ord(" "))


def _ends_word(rest: list[Any]) -> bool:
    """Does whatever follows (`rest` of the sequence, then the pattern's end) begin with a space
    or nothing? Nothing is a word end: patterns are anchored with ``(?![a-z0-9])``."""
    try:
        return _seq(rest, 1) <= {" ", ""}
    except (_Unknown, RecursionError):
        return False


def _run_words(items: list[Any], start: int, stop: int) -> frozenset[str] | None:
    """The words a match of ``items[start:stop]`` must begin with, when that run starts at a
    word start: each alternative's first word, complete because a space or the run's end (at a
    word end) closes it. None when the run cannot be spelled out or can match nothing."""
    try:
        strings = _seq(items[start:stop], _WORD_ROOM)
    except (_Unknown, RecursionError):
        return None
    closed = _ends_word(items[stop:])
    words = set()
    for string in strings:
        if len(string) >= _WORD_ROOM:
            return None  # cut short: not the whole run
        word, space, _ = string.partition(" ")
        if not word or not (space or closed):
            return None
        words.add(word)
    return frozenset(words)


_WORD_ROOM = 64
_ZERO_WIDTH = (C.ASSERT, C.ASSERT_NOT, C.AT)


def required_words(pattern: str, flags: int = 0, most: int = 2) -> tuple[frozenset[str], ...]:
    """Sets of whole words a match of `pattern` must contain: for each set, at least one of its
    words appears in the matched text as a complete word (text of words joined by single spaces,
    the pattern anchored so a match starts and ends at word boundaries).

    Read from the runs of the pattern that follow its start or a literal space; at most `most`
    sets, those with the longest shortest word (the most telling). Empty when none is known,
    which only means nothing can be skipped.
    """
    try:
        items = list(_parser.parse(pattern, flags))
    except (re.error, RecursionError):
        return ()
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
        if start and not _is_space(items[start - 1]):
            continue
        if _is_space(items[start]):
            continue
        stop = next((k for k in range(start + 1, len(items)) if _is_space(items[k])), len(items))
        words = _run_words(items, start, stop)
        if words is None and stop > start + 1:
            words = _run_words(items, start, start + 1)
        if words:
            found.append(words)
    found.sort(key=lambda words: (-min(map(len, words)), len(words)))
    return tuple(found[:most])
