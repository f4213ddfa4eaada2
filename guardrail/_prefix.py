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

__all__ = ["leading_strings"]

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
