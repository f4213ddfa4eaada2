"""Rule patterns compiled: the ``~`` gap, word gaps that never step over a negator, branches.

A rule's patterns are written over the normalised text (see `guardrail.registry.schema.RuleSpec`)
and compiled here, once, when the registry loads. Each pattern also becomes a `Branch` that
carries what lets the detector skip it cheaply (see `guardrail.registry.regex`). The negators a
word gap may not step over are the registry's ``settings.gap_negators``: nothing here knows a
language.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from guardrail.registry.regex import leading_strings_of, parse, required_words_of, space_edges_of
from guardrail.registry.schema import RuleSpec

__all__ = [
    "BRANCH_KEY",
    "Branch",
    "CompiledRule",
    "compile_any_of",
    "compile_branch",
    "compile_rule_pattern",
    "expand",
    "words_by_language",
]

# A branch is filed under the strings of up to this many characters its matches can start with.
BRANCH_KEY = 6
_GAP = "(?: [a-z0-9]+){0,3} "
# A gap of words in a pattern never steps over a negator, so "my account isn't locked" does not
# match "account ... locked" (negators before a match are handled by the detector).
_GAP_WORD = "(?: [a-z0-9]+)"
_GAP_WORD_OR_BREAK = "(?: [a-z0-9.]+)"
# A repeat whose body can itself repeat without bound may backtrack exponentially; bounded
# outer repeats up to this many are fine ("(?: [a-z]+){0,3}", the word gaps rules use).
_SAFE_OUTER_REPEAT = 20
_sre_c: Any = importlib.import_module("re._constants")
# A whole word in a pattern's source: between spaces, "|" and group brackets, so neither the
# letter of an escape (\s) nor part of a word spelt with a group ("r(?:u|ue)ck", "colou?r").
_WHOLE_WORD = re.compile(r"(?:^|(?<=[ |(:]))[a-z]+(?=$|[ |)])")
# A group right after digits is a number's suffix ("[0-9]+(st|nd|rd|th)"), never a word.
_NUMBER_SUFFIX = re.compile(r"(?:\[0-9\]|\\d)[+*?]?\([^()]*\)")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


@dataclass(frozen=True, slots=True)
class Branch:
    """One pattern of a rule, compiled on its own (anchored like the rule), with what lets a
    detector skip it: the strings its matches can start with (None: unknown, try it anywhere)
    and the word sets a match must draw on (see `regex.required_words`). `space_edges`: whether
    some way through the pattern starts, and ends, with a space (see `regex.space_edges_of`);
    the registry refuses such a pattern, which its word boundaries make (almost) dead."""

    regex: re.Pattern[str]
    starts: frozenset[str] | None
    needs: tuple[frozenset[str], ...]
    space_edges: tuple[bool, bool] = (False, False)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with each of its patterns (and ``unless`` patterns) compiled.

    Attributes:
        spec: the rule as written in the registry.
        branches: one `Branch` per pattern.
        unless_branches: one `Branch` per ``unless`` pattern.
        gap_negators: the words its word gaps may not step over (the registry's setting).
    """

    spec: RuleSpec
    branches: tuple[Branch, ...]
    unless_branches: tuple[Branch, ...] = ()
    gap_negators: tuple[str, ...] = ()

    @property
    def regex(self) -> re.Pattern[str]:
        """The rule's patterns as one regular expression (what the branches add up to)."""
        return compile_rule_pattern(self.spec.patterns, self.gap_negators)

    @property
    def unless(self) -> re.Pattern[str] | None:
        """The ``unless`` patterns as one regular expression, or None."""
        if not self.spec.unless:
            return None
        return compile_rule_pattern(self.spec.unless, self.gap_negators)


@lru_cache(maxsize=16)
def _safe_gaps(gap_negators: tuple[str, ...]) -> tuple[str, str]:
    """The word gap and the word-or-break gap that refuse to step onto any of `gap_negators`."""
    words = "|".join(re.escape(word) for word in gap_negators)
    word = f"(?: (?!(?:{words})(?![a-z0-9]))[a-z0-9]+)"
    return word, word.replace("[a-z0-9]+)", "[a-z0-9.]+)")


def expand(pattern: str, gap_negators: Sequence[str] = ()) -> str:
    """`pattern` as a plain regular expression: ``~`` becomes a gap of up to three words, and
    every word gap refuses to step onto one of `gap_negators` (when there are any)."""
    expanded = pattern.replace(" ~ ", "~").replace("~", _GAP)
    if not gap_negators:
        return expanded
    word, word_or_break = _safe_gaps(tuple(gap_negators))
    expanded = expanded.replace(_GAP_WORD, word)
    return expanded.replace(_GAP_WORD_OR_BREAK, word_or_break)


def compile_any_of(
    patterns: Sequence[str], gap_negators: Sequence[str] = ()
) -> re.Pattern[str] | None:
    """Patterns as one unanchored regular expression, or None when there are none."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{expand(p, gap_negators)})" for p in patterns))


def compile_rule_pattern(
    patterns: Iterable[str], gap_negators: Sequence[str] = ()
) -> re.Pattern[str]:
    """Compile a rule's patterns into one regex, anchored on word boundaries."""
    body = "|".join(f"(?:{expand(p, gap_negators)})" for p in patterns)
    return re.compile(f"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


def compile_branch(pattern: str, gap_negators: Sequence[str] = ()) -> Branch | None:
    """`pattern` compiled as a rule branch, parsed once for the checks and the skip data; None
    when it repeats a repeat (catastrophic backtracking). Memoised: a registry loaded again
    (a reload, a copy with one file changed) compiles only the patterns it has not seen.

    Raises:
        re.error: the pattern does not compile.
    """
    return _compile_branch(pattern, tuple(gap_negators))


@lru_cache(maxsize=1 << 15)
def _compile_branch(pattern: str, gap_negators: tuple[str, ...]) -> Branch | None:
    items = parse(expand(pattern, gap_negators))
    if _nested_quantifier(items):
        return None
    regex = compile_rule_pattern([pattern], gap_negators)
    starts = None
    for length in range(BRANCH_KEY, 0, -1):
        starts = leading_strings_of(items, length)
        if starts is not None:
            break
    return Branch(regex, starts, required_words_of(items), space_edges_of(items))


def _nested_quantifier(parsed: list[Any]) -> bool:
    """Whether a parsed pattern repeats (without a small bound) something that repeats without
    bound. Read from the parse tree, so inner groups cannot hide it: ``(a+)+``, ``((a)+)+`` and
    ``(?:(?:a)+)+`` all count.
    """
    repeats = {getattr(_sre_c, name) for name in _REPEATS if hasattr(_sre_c, name)}
    unbounded = _sre_c.MAXREPEAT

    def walk(items: Any, inside: bool) -> bool:
        for op, value in items:
            if op in repeats:
                _low, high, body = value
                open_ended = high is unbounded
                if inside and open_ended:
                    return True
                outer = open_ended or high > _SAFE_OUTER_REPEAT
                if walk(body, inside or outer):
                    return True
            elif op is _sre_c.SUBPATTERN:
                if walk(value[3], inside):
                    return True
            elif op is _sre_c.BRANCH:
                if any(walk(branch, inside) for branch in value[1]):
                    return True
            elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT) and walk(value[1], inside):
                return True
        return False

    return walk(parsed, False)


def words_by_language(rules: Iterable[CompiledRule], default: str) -> dict[str, set[str]]:
    """Language code -> the whole words its rules' patterns (and ``unless`` patterns) spell
    out, short ones included ("ke", "na"); a rule without ``lang`` is the `default` language's.
    What one language may not rewrite or treat as a negator in another's text."""
    words: dict[str, set[str]] = {}
    for rule in rules:
        found = words.setdefault(rule.spec.lang or default, set())
        for pattern in (*rule.spec.patterns, *rule.spec.unless):
            found.update(_WHOLE_WORD.findall(_NUMBER_SUFFIX.sub(" ", pattern)))
    return words
