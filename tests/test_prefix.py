"""The rule shortcut (`_prefix.leading_strings`) never changes what the rules find."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from guardrail import Message, Registry
from guardrail._prefix import leading_strings
from guardrail.detectors.rules import RuleDetector

ROOT = Path(__file__).resolve().parent.parent


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


def test_the_shortcut_finds_every_rule_a_full_scan_finds(registry: Registry) -> None:
    """On every hand-written example message: a rule the detector skips cannot match at all."""
    detector = RuleDetector(registry)
    texts = []
    sets = [ROOT / "evals" / "dev" / "dev.jsonl", ROOT / "evals" / "dev" / "holdout.jsonl",
            ROOT / "evals" / "dev2" / "dev2.jsonl", ROOT / "evals" / "dev3" / "dev3.jsonl",
            ROOT / "evals" / "dev4" / "dev4.jsonl"]
    for path in sets:
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.extend(m["content"] for m in json.loads(line)["messages"] if m["role"] == "user")
    assert len(texts) > 2000
    for text in texts:
        canonical = registry.normaliser.canonical(text)
        candidates = detector._candidates(canonical)
        for number, rule in enumerate(registry.rules):
            if rule.regex.search(canonical.text):
                starts = candidates.get(number) or []
                hit = any(rule.regex.match(canonical.text, s) for s in starts)
                assert hit, (rule.spec.id, text)
    # and the detector's own findings agree with a scan that ignores negation/questions
    sample = Message(role="user", content="I was charged twice and someone changed my email")
    found = {f.rule_id for f in detector.scan(0, sample).findings}
    assert found <= _brute_force(registry, sample.content)
    assert {"dispute.duplicate_charge", "takeover.credentials_changed"} <= found
