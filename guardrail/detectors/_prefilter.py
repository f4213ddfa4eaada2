"""Cheap necessary conditions for a rule branch, read from its parsed regex.

The rule detector tries a branch at every word whose leading characters the branch can start
with. A few branches can start at almost any word (``[a-z]+(rechnung|gebuhr|...)`` for German
compounds, ``^(?!.*...)``) and fail at nearly all of them; multi-word branches ("card ... lost
it") fail wherever the words they need are not near. Three facts read from the pattern let the
detector skip them without calling the regex:

- `required_literals`: strings one of which every match contains ("rechnung", "gebuhr", ...),
  so a text holding none of them cannot match anywhere (a few substring searches, once per text);
- `anchored_at_start`: every match begins at the start of the text (``^``), so the branch is
  tried at the first word only;
- `most_spaces`: how many words a match can span, so the words a branch needs must be among
  the next few words, not merely somewhere in the text.

All only ever rule out what cannot match, so skipping on them never changes a result; when a
pattern is too wide to read they answer "unknown" (None, False) and nothing is skipped.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from guardrail.registry.regex import parse

__all__ = ["anchored_at_start", "most_spaces", "required_literals"]

_C: Any = importlib.import_module("re._constants")
_REPEATS = (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (_C.ASSERT, _C.ASSERT_NOT, _C.AT)
_MOST_STRINGS = 64  # exact strings of a piece of pattern kept before it counts as "any"
_MOST_CLASS = 8  # a character class wider than this is "any character"
_SHORTEST_USEFUL = 3  # a literal shorter than this is in nearly every text: no use as a filter
_TELLING = 5

# What a piece of pattern tells: the finite set of strings it matches (None: too many to list),
# and a set of strings one of which each of its matches contains (None: none known).
_Reading = tuple[frozenset[str] | None, frozenset[str] | None]


def required_literals(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of `regex` contains, each at least three characters
    long; None when no such set is known (the pattern reads as "anything" somewhere)."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        _, required = _sequence(parse(regex.pattern, regex.flags))
    except (re.error, RecursionError):
        return None
    if not required or min(map(len, required)) < _SHORTEST_USEFUL:
        return None
    return required


def anchored_at_start(regex: re.Pattern[str]) -> bool:
    """Whether every match of `regex` starts at the start of the text (every way through the
    pattern opens with ``^`` or ``\\A``, past zero-width assertions), so ``regex.match(text,
    pos)`` can only succeed at ``pos == 0``."""
    if regex.flags & re.MULTILINE:
        return False
    try:
        return _anchored(parse(regex.pattern, regex.flags))
    except (re.error, RecursionError):
        return False


def _anchored(items: list[Any]) -> bool:
    for op, value in items:
        if op is _C.AT:
            return value in (_C.AT_BEGINNING, _C.AT_BEGINNING_STRING)
        if op in (_C.ASSERT, _C.ASSERT_NOT):
            continue  # zero width: what follows starts at the same place
        if op is _C.SUBPATTERN:
            return not value[1] & re.MULTILINE and _anchored(value[3])
        if op is _C.BRANCH:
            return all(_anchored(branch) for branch in value[1])
        return False
    return False  # nothing but assertions: an empty match can start anywhere


def _sequence(items: list[Any]) -> _Reading:
    """Read a sequence: consecutive pieces with known strings join into longer exact strings
    (a "run"); each run, and what each other piece requires, is a candidate requirement, and
    the most telling one is kept (`_best`)."""
    run = frozenset({""})
    candidates: list[frozenset[str]] = []
    exact = True
    for item in items:
        strings, required = _item(item)
        if strings is None:  # the run ends here; what the piece requires is a candidate
            candidates.append(run)
            if required is not None:
                candidates.append(required)
            exact = False
            run = frozenset({""})
            continue
        joined = _join(run, strings)
        if joined is None:  # too many strings: the run so far stands alone, a new one begins
            candidates.append(run)
            exact = False
            joined = strings
        run = joined
    candidates.append(run)
    return (run if exact else None), _best(candidates)


def _item(item: Any) -> _Reading:
    op, value = item
    if op is _C.LITERAL:
        return frozenset({chr(value)}), None
    if op in _ZERO_WIDTH:
        return frozenset({""}), None  # consumes nothing: the text on both sides is contiguous
    if op is _C.IN:
        chars = _class(value)
        return chars, None
    if op is _C.SUBPATTERN:
        _, add_flags, _, body = value
        if add_flags & re.IGNORECASE:
            return None, None
        return _sequence(body)
    if op is _C.BRANCH:
        readings = [_sequence(branch) for branch in value[1]]
        strings: frozenset[str] | None = None
        if all(s is not None for s, _ in readings):
            union = frozenset().union(*(s for s, _ in readings if s is not None))
            strings = union if len(union) <= _MOST_STRINGS else None
        # Each way through must supply one of its own required strings.
        anyway: set[str] = set()
        for s, r in readings:
            own = r if r is not None else s
            if own is None or "" in own:
                return strings, None
            anyway |= own
        return strings, frozenset(anyway)
    if op in _REPEATS:
        low, high, sub = value
        once, needed = _sequence(sub)
        # At least one repetition happens when `low` >= 1: what it requires, the whole does.
        return _repeated(once, low, high), (needed if low >= 1 else None)
    return None, None  # any character, a back reference, ...: unknown, which is always safe


def _repeated(strings: frozenset[str] | None, low: int, high: int) -> frozenset[str] | None:
    """The strings `strings` repeated `low` to `high` times, when few enough to list."""
    if strings is None or high > 3:
        return None
    out: set[str] = set()
    current: frozenset[str] | None = frozenset({""})
    for count in range(high + 1):
        if current is None:
            return None
        if count >= low:
            out |= current
        current = _join(current, strings)
    return frozenset(out) if len(out) <= _MOST_STRINGS else None


def _join(heads: frozenset[str], tails: frozenset[str]) -> frozenset[str] | None:
    if len(heads) * len(tails) > _MOST_STRINGS:
        return None
    return frozenset(h + t for h in heads for t in tails)


def _class(items: list[Any]) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, value in items:
        if op is _C.LITERAL:
            chars.add(chr(value))
        elif op is _C.RANGE and value[1] - value[0] < _MOST_CLASS:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        else:  # a wide range, a negated class, a category: any character, as far as we know
            return None
        if len(chars) > _MOST_CLASS:
            return None
    return frozenset(chars)


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The requirement cheapest to check that still tells: among those whose strings all have
    `_TELLING` characters or more (rare in unrelated text), the one with fewest strings (then
    the longest shortest string); failing that, the one whose shortest string is longest.
    None when every candidate allows the empty string."""
    useful = [c for c in candidates if c and "" not in c]
    if not useful:
        return None
    return max(useful, key=lambda c: (min(map(len, c)) >= _TELLING, -len(c), min(map(len, c))))


def most_spaces(regex: re.Pattern[str]) -> int | None:
    """The most spaces a match of `regex` can hold; None when unbounded or unknown.

    Canonical text is words joined by single spaces, so a match starting at word ``w`` lies
    within words ``w`` to ``w + most_spaces``: a word the match needs must be among them.
    """
    try:
        return _spaces(parse(regex.pattern, regex.flags))
    except (re.error, RecursionError, _Unbounded):
        return None


class _Unbounded(Exception):
    pass


def _spaces(items: list[Any]) -> int:
    total = 0
    for op, value in items:
        if op is _C.LITERAL:
            total += value == ord(" ")
        elif op is _C.IN:  # a negated class or a category may match a space: count one
            total += any(
                kind in (_C.NEGATE, _C.CATEGORY)
                or (kind is _C.LITERAL and item == ord(" "))
                or (kind is _C.RANGE and item[0] <= ord(" ") <= item[1])
                for kind, item in value
            )
        elif op in (_C.ANY, _C.NOT_LITERAL):
            total += 1
        elif op is _C.BRANCH:
            total += max(_spaces(branch) for branch in value[1])
        elif op is _C.SUBPATTERN:
            total += _spaces(value[3])
        elif op in _REPEATS:
            _, high, sub = value
            inner = _spaces(sub)
            if inner and high == _C.MAXREPEAT:
                raise _Unbounded
            total += high * inner
        elif op not in _ZERO_WIDTH:  # a back reference, a conditional, ...: unknown
            raise _Unbounded
    return total
