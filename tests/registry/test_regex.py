"""The rule shortcut (`_prefix.leading_strings`) never changes what the rules find."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from guardrail import Message, Registry
from guardrail.detectors.rules import _KEY, RuleDetector
from guardrail.registry.regex import leading_strings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("abc", {"abc"}),
        ("(ab|cd)e", {"abe", "cde"}),
        ("a?bc", {"abc", "bc"}),
        ("x[yz]", {"xy", "xz"}),
        ("no", {"no"}),
        ("(?<![a-z])(un)?known", {"unk", "kno"}),
    ],
)
def test_leading_strings_of_small_patterns(pattern: str, expected: set[str]) -> None:
    assert leading_strings(re.compile(pattern)) == expected


def test_unknowable_patterns_fall_back_to_trying_everywhere() -> None:
    assert leading_strings(re.compile(r".foo")) is None
    assert leading_strings(re.compile(r"[^a]bc")) is None
    assert leading_strings(re.compile(r"\wbc")) is None


def _brute_force(registry: Registry, text: str) -> set[str]:
    canonical = registry.normaliser.canonical(text)
    return {r.spec.id for r in registry.rules if r.regex.search(canonical.text)}


def _user_texts() -> list[str]:
    texts = []
    sets = [ROOT / "evals" / "dev" / "dev.jsonl", ROOT / "evals" / "dev2" / "dev2.jsonl",
            ROOT / "evals" / "dev3" / "dev3.jsonl", ROOT / "evals" / "dev4" / "dev4.jsonl"]
    for path in sets:
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.extend(m["content"] for m in json.loads(line)["messages"] if m["role"] == "user")
    return texts


def _view(findings: list) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
    return [(f.rule_id, f.code, f.span, f.evidence) for f in findings]


def _plain_matches(
    detector: RuleDetector, registry: Registry, text: str
) -> tuple[list[tuple[str, tuple[int, int], str]], int]:
    """The detector's definition, written plainly: each user rule's whole regex tried at every
    word in order, the first match not negated / a question / hypothetical kept, then dropped
    if the rule's unless pattern matches anywhere. Also counts the matches an unless dropped."""
    canonical = registry.normaliser.canonical(text)
    out, dropped = [], 0
    for number, rule in enumerate(registry.rules):
        if "user" not in rule.spec.roles or not canonical.text:
            continue
        for word, start in enumerate(canonical.starts):
            match = rule.regex.match(canonical.text, start)
            if match is not None and not detector._suppressed(number, canonical, word):
                if rule.unless is not None and rule.unless.search(canonical.text):
                    dropped += 1
                else:
                    out.append((rule.spec.id, match.span(), match.group()))
                break
    return out, dropped


def test_the_detector_finds_exactly_what_its_plain_definition_finds(registry: Registry) -> None:
    """On every hand-written example message (and unless cases) the indexed single pass gives
    the same rules, spans and matched text as the plain definition above."""
    detector = RuleDetector(registry)
    texts = [*_user_texts(), *_UNLESS_CASES]
    assert len(texts) > 2000
    matched = dropped = 0
    for text in texts:
        canonical = registry.normaliser.canonical(text)
        got = detector._matches(canonical, detector._by_role["user"]) if canonical.text else {}
        view = [(registry.rules[n].spec.id, m.span(), m.group()) for n, m in sorted(got.items())]
        expected, unless = _plain_matches(detector, registry, text)
        assert view == expected, text
        matched += bool(view)
        dropped += unless
    assert matched > 1000  # the comparison is not between two empty lists
    assert dropped >= len(_UNLESS_CASES)  # and unless patterns were exercised


_UNLESS_CASES = [
    "there is a payment on my card I dont recognise, oh wait it was my daughter",
    "I lost my card but I found it again under the sofa",
    "how do I unlock a staff member's account that is locked",
    "do I need to speak to someone to change my plan",
]


def test_the_index_never_skips_a_rule_a_full_scan_finds(registry: Registry) -> None:
    """Ignoring negation and questions: a rule whose regex matches anywhere is tried there."""
    detector = RuleDetector(registry)
    for text in _user_texts():
        canonical = registry.normaliser.canonical(text)
        tried: dict[int, list[bool]] = {}
        for start in canonical.starts:
            for number, branches in detector._rules_for(canonical.text[start : start + _KEY]):
                tried.setdefault(number, []).extend(
                    b.match(canonical.text, start) is not None for _, b, _ in branches
                )
        for number, rule in enumerate(registry.rules):
            if rule.regex.search(canonical.text):
                assert any(tried.get(number, ())), (rule.spec.id, text)
            if rule.unless is not None and rule.unless.search(canonical.text):
                unless = number + len(registry.rules)
                assert any(tried.get(unless, ())), (rule.spec.id, "unless", text)
    # and the detector's own findings agree with a scan that ignores negation/questions
    sample = Message(role="user", content="I was charged twice and someone changed my email")
    found = {f.rule_id for f in detector.scan(0, sample).findings}
    assert found <= _brute_force(registry, sample.content)
    assert {"dispute.duplicate_charge", "takeover.credentials_changed"} <= found


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("i was charged twice", ({"charged"}, {"twice"})),
        ("(forgot|lost)(?: [a-z0-9]+){0,2} (password|pass code|log ?in)",
         ({"forgot", "lost"}, {"password", "pass", "login", "log"})),
        ("charges?", ({"charge", "charges"},)),
        ("(a b|c d)", ({"a", "c"},)),
        ("billing(?! (period|cycle))", ({"billing"},)),
        ("x[a-z]+ y", ({"y"},)),
        ("(?: [a-z]+)? locked", ({"locked"},)),
        ("[a-z]+", ()),
        ("(un)?lock", ({"lock", "unlock"},)),
    ],
)
def test_required_words_of_small_patterns(
    pattern: str, expected: tuple[set[str], ...], registry: Registry
) -> None:
    from guardrail.registry import compile_rule_pattern
    from guardrail.registry.regex import required_words

    # Compiled as the registry compiles it, word gaps refusing its negators.
    regex = compile_rule_pattern([pattern], registry.settings.gap_negators)
    assert required_words(regex.pattern) == tuple(frozenset(words) for words in expected)


def test_every_branch_that_matches_has_the_words_it_is_said_to_need(registry: Registry) -> None:
    """Soundness on real text: wherever a shipped rule branch matches a message, each word set
    `required_words` gave for it shares a word with that message (so skipping is exact)."""
    from guardrail.registry.regex import required_words

    branches = [
        (branch.regex, required_words(branch.regex.pattern))
        for rule in registry.rules
        for branch in [*rule.branches, *rule.unless_branches]
    ]
    assert sum(bool(needs) for _, needs in branches) > 0.8 * len(branches)
    hits = 0
    for text in _user_texts():
        canonical = registry.normaliser.canonical(text).text
        present = set(canonical.split(" "))
        for regex, needs in branches:
            if needs and regex.search(canonical):
                hits += 1
                assert all(words & present for words in needs), (regex.pattern, text)
    assert hits > 1000
