"""The issue-15 fuzz harness (``tools/fuzz.py``) at CI size, every count that must be 0 asserted.

The full run (100,000 checks, 20,000 handoff builds) is ``python tools/fuzz.py``; here the same
seeded generator runs ~1,500 checks and 500 handoff builds, and hypothesis drives it through
`strategies.randoms` so a failure it finds shrinks to a short input.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail import Registry
from tests.redteam.attempts import fuzz_tool

FUZZ = fuzz_tool()


@pytest.fixture(scope="module")
def summary(registry: Registry) -> Any:
    return FUZZ.run(1500, 500, seed=15, registry=registry)


def test_the_ci_run_is_the_size_asked(summary: Any) -> None:
    assert summary.inputs == 1500
    assert summary.handoff_builds >= 500
    assert summary.decisions > 750  # most inputs are valid conversations
    assert summary.failsafe_decisions > 0  # the failing guards were exercised


def test_no_check_crashes(summary: Any) -> None:
    assert summary.crashes == 0, summary.examples


def test_class1_no_handoff_build_crashes(summary: Any) -> None:
    assert summary.handoff_crashes == 0, summary.examples


def test_class3_no_failsafe_decision_is_looser_than_normal(summary: Any) -> None:
    assert summary.failsafe_looser == 0, summary.examples


def test_class10_no_check_takes_over_1s_of_its_own(summary: Any) -> None:
    assert summary.checks_over_1s_unexplained == 0, summary.examples


def test_the_evasion_transforms_keep_the_text_recoverable() -> None:
    text = "I was charged twice"
    assert FUZZ.spaced(text).replace("  ", "\0").replace(" ", "").replace("\0", " ") == text
    assert "".join(chr(ord(c) - 0xE0000) for c in FUZZ.tagged(text, "hidden")[6:]) == text
    assert FUZZ.full_width(text) != text
    assert FUZZ.confusable(text) != text


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.randoms(use_true_random=False))
def test_fuzz_examples_drawn_by_hypothesis_shrink_to_zero_counts(rng: random.Random) -> None:
    found = FUZZ.run(8, 4, seed=0, registry=REGISTRY, rng=rng, big=0.0)
    assert not any(found.zero_counts.values()), found.examples


REGISTRY = Registry.default()
