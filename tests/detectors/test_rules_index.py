"""The rule detector's shortcuts never change what it finds.

`RuleDetector._matches` skips branches by what a text lacks (needed words, literals, a word
near the start, the text's start: see `guardrail.detectors._prefilter`). Here it is compared
with the plain definition (every rule's whole regex at every word, in order) on real labelled
text, short and in long runs of customer lines, and the facts `_prefilter` reads from each
pattern are checked against what the patterns really match. `Normaliser`'s per-word shortcuts
(`_by_context`, `_rejoin`) are compared with plain per-position versions the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrail import Registry
from guardrail.conversation import Role
from guardrail.detectors._prefilter import anchored_at_start, most_spaces, required_literals
from guardrail.detectors.rules import RuleDetector, _bits, _mask, _start_index
from guardrail.text import Canonical, Normaliser

ROOT = Path(__file__).resolve().parents[2]
_SETS = ["dev/dev.jsonl", "dev2/dev2.jsonl", "dev3/dev3.jsonl", "dev4/dev4.jsonl",
         "lang/holdout_de.jsonl", "lang/holdout_hi.jsonl", "lang/holdout_nl.jsonl"]


def _lines() -> list[str]:
    lines: list[str] = []
    for name in _SETS:
        for raw in (ROOT / "evals" / name).read_text("utf-8").splitlines():
            lines.extend(m["content"] for m in json.loads(raw)["messages"])
    return lines


def _runs(lines: list[str], size: int = 2000, step: int = 37) -> Iterator[str]:
    """Long messages made of consecutive real lines (as `benchmarks/bench_check.py` does)."""
    for start in range(0, len(lines), step):
        text, i = "", start
        while len(text) < size and i < len(lines):
            text += lines[i] + " "
            i += 1
        yield text[:size]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lines = _lines()
    return [*lines, *_runs(lines)]


def _first_at_word(regex: re.Pattern[str], canonical: Canonical, begin: int = 0) -> int | None:
    """The first word, from word `begin` on, at which `regex` matches (what trying it at every
    word in order finds; `search` only skips the places where it cannot match)."""
    starts = canonical.starts
    at = {start: word for word, start in enumerate(starts)}
    position = starts[begin] if begin < len(starts) else len(canonical.text) + 1
    while (match := regex.search(canonical.text, position)) is not None:
        if match.start() in at:
            return at[match.start()]
        position = match.start() + 1
    return None


def _plain(
    detector: RuleDetector, registry: Registry, canonical: Canonical, allowed: frozenset[int]
) -> dict[int, tuple[tuple[int, int], str]]:
    """The detector's definition written plainly: each allowed rule's whole regex at every
    word in order; its first match not negated / a question / hypothetical is kept unless the
    rule's unless pattern matches at some word."""
    out = {}
    text = canonical.text
    for number, rule in enumerate(registry.rules):
        if number not in allowed:
            continue
        if rule.unless is not None and _first_at_word(rule.unless, canonical) is not None:
            continue
        word = _first_at_word(rule.regex, canonical)
        while word is not None:
            if not detector._suppressed(number, canonical, word):
                match = rule.regex.match(text, canonical.starts[word])
                assert match is not None
                out[number] = (match.span(), match.group())
                break
            word = _first_at_word(rule.regex, canonical, word + 1)
    return out


@pytest.mark.parametrize(("role", "least"), [("user", 5_000), ("tool", 10)])
def test_the_indexed_scan_finds_what_the_plain_definition_finds(
    registry: Registry, texts: list[str], role: Role, least: int
) -> None:
    detector = RuleDetector(registry)
    allowed = detector._by_role[role]
    matched = 0
    for text in texts:
        canonical = registry.normaliser.canonical(text)
        if not canonical.text:
            continue
        got = {n: (m.span(), m.group()) for n, m in detector._matches(canonical, allowed).items()}
        assert got == _plain(detector, registry, canonical, allowed), text
        matched += len(got)
    assert matched > least  # not two empty answers


def test_what_the_prefilter_reads_holds_for_every_match(
    registry: Registry, texts: list[str]
) -> None:
    """The first match of every branch of every rule that matches a text holds one of the
    branch's required literals, no more spaces than `most_spaces`, and starts at 0 when the
    branch is anchored."""
    groups = [rule.branches for rule in registry.rules] + [
        rule.unless_branches for rule in registry.rules
    ]
    combined = [rule.regex for rule in registry.rules] + [rule.unless for rule in registry.rules]
    facts = [
        [(b.regex, required_literals(b.regex), most_spaces(b.regex), anchored_at_start(b.regex))
         for b in group]
        for group in groups
    ]
    flat = [fact for group in facts for fact in group]
    assert sum(f[1] is not None for f in flat) > len(flat) // 2  # the facts are not all empty
    assert any(f[3] for f in flat)
    assert sum(f[2] is not None for f in flat) > len(flat) // 2
    checked = 0
    for text in {registry.normaliser.canonical(text).text for text in texts}:
        for regex_of_rule, group in zip(combined, facts, strict=True):
            if regex_of_rule is None or regex_of_rule.search(text) is None:
                continue
            for regex, literals, spaces, anchored in group:
                match = regex.search(text)
                if match is None:
                    continue
                checked += 1
                if literals is not None:
                    assert any(literal in match.group() for literal in literals), regex.pattern
                if spaces is not None:
                    assert match.group().count(" ") <= spaces, regex.pattern
                assert not anchored or match.start() == 0, regex.pattern
    assert checked > 1000


def test_the_index_is_built_once_per_registry(registry: Registry) -> None:
    assert _start_index(registry) is RuleDetector(registry)._index


@pytest.mark.parametrize(
    "pattern",
    [r"[a-z]+(rechnung|gebuhr)", r"(?:^|x)abc", r"^(?!.*foo)(hi|hello)", r"a(?: [a-z]+){0,3} b",
     r"(un)?known (card|cards?)", r"x\w+y", r"(ab|cd)?ef+", r"(?i:abc)d"],
)
def test_prefilter_facts_on_small_patterns(pattern: str) -> None:
    """The facts hold on every substring start of strings built from the pattern's own
    letters (an exhaustive check on a small alphabet)."""
    regex = re.compile(pattern)
    literals, spaces, anchored = (
        required_literals(regex), most_spaces(regex), anchored_at_start(regex)
    )
    alphabet = sorted(set(re.sub(r"[^a-z ]", "", pattern)) | {" ", "x"})
    samples = ["hi", "hello", "abc", "xabc", "a b", "a q r b", "known card", "unknown cards",
               "xqy", "abef", "ef", "ABCd", "rechnungrechnung", "xrechnung", "hifoo"]
    samples += ["".join(alphabet[(i * 7 + j) % len(alphabet)] for j in range(i % 9 + 1))
                for i in range(200)]
    for sample in samples:
        for start in range(len(sample) + 1):
            match = regex.match(sample, start)
            if match is None:
                continue
            if literals is not None:
                assert any(literal in match.group() for literal in literals), sample
            if spaces is not None:
                assert match.group().count(" ") <= spaces, sample
            assert not anchored or start == 0, sample


def _plain_by_context(normaliser: Normaliser, read: list[str]) -> list[str]:
    """`Normaliser._by_context` written per position, as it was first written."""
    votes: dict[str, int] = {}
    for word in read:
        for lang in normaliser._langs.get(word, ()):
            votes[lang] = votes.get(lang, 0) + 1
    ranked = sorted(votes.values(), reverse=True)
    lead = None
    if ranked and (len(ranked) == 1 or ranked[0] > ranked[1]):
        lead = max(votes, key=votes.__getitem__)
    out = list(read)
    for i, word in enumerate(read):
        candidates = normaliser._ambiguous.get(word, ())
        winners = ([c for c in candidates if lead in normaliser._langs.get(c, ())]
                   if lead is not None else list(candidates))
        if len(winners) == 1:
            out[i] = winners[0]
    return out


def _plain_rejoin(normaliser: Normaliser, chunks: list[str]) -> list[str]:
    """`Normaliser._rejoin` written per position, as it was first written."""
    starts, words = normaliser._starts, normaliser._splittable
    out: list[str] = []
    i, count = 0, len(chunks)
    while i < count:
        chunk = chunks[i]
        end = (
            normaliser._rejoined(chunks, i)
            if chunk in starts and chunk not in words and i + 1 < count and (
                chunks[i + 1] not in words or (i + 2 < count and chunks[i + 2] not in words)
            )
            else None
        )
        if end is None:
            out.append(chunk)
            i += 1
        else:
            out.append("".join(chunks[i:end]))
            i = end
    return out


def test_normaliser_shortcuts_equal_their_plain_versions(
    registry: Registry, texts: list[str]
) -> None:
    normaliser = registry.normaliser
    rejoined = settled = 0
    for text in texts:
        folded = normaliser.fold(text)
        chunks = folded.split(" ")
        fast = normaliser._rejoin(chunks)
        assert fast == _plain_rejoin(normaliser, chunks), text
        rejoined += len(fast) != len(chunks)
        normaliser.canonical(text)  # leaves its typos' candidates in `_ambiguous`
        read = [word for chunk in chunks for word in normaliser._chunk(chunk)]
        fast_read = normaliser._by_context(read)
        assert fast_read == _plain_by_context(normaliser, read), text
        settled += fast_read != read
    assert rejoined > 10  # both paths were exercised, not only the way through
    assert settled > 10


def test_branch_masks_list_their_branches_in_order(registry: Registry) -> None:
    """`_possible` and the word loop keep sets of branch numbers as bit masks (`_mask`) and
    read them back in branch order (`_bits`): the round trip gives the sorted set, on the
    index's own sets and on the words' needed-branch sets."""
    index = _start_index(registry)
    sets = [set(range(index.count)), set(), {0}, {index.count - 1}, set(index.literals)]
    sets += [{b for b, (n, *_) in enumerate(index.tries) if n % 7 == k} for k in range(7)]
    for one, first, second in list(index.needed_by_word.values())[:2000]:
        sets += [set(_bits(one)), set(_bits(first)), set(_bits(second))]
    for branches in sets:
        assert _bits(_mask(branches)) == sorted(branches)
    assert _bits(index.broad) == sorted(index.literals)
    assert sum(len(_bits(needed[0] | needed[1])) for needed in index.needed_by_word.values()) > 0
