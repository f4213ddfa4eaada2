"""The compiled policy's tables give what evaluating every condition afresh gives (issue 19).

`assign_segments` evaluates only the segments a turn's facts can reach (`CompiledPolicy.reachable`)
and `decide` takes what a set of active segments decides from a memoised plan; reasons of need and
signal conditions are memoised by what they are made of. Each is a fast path beside a plain one:
these tests run both on facts the engine builds from real labelled conversations (evals/), with
varied signals and context, on the shipped registry and on one with a segment file that uses the
conditions the shipped one does not (nested all_of/any_of, other segments, the risk tier).
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail, Registry
from guardrail import _policy_compile as tables
from guardrail import policy as _policy
from guardrail.conversation import Signals
from guardrail.decision import Decision
from guardrail.engine.policy import RegistryPolicy
from guardrail.labelled import read_cases
from guardrail.policy import CompiledPolicy, Facts, assign_segments, decide
from guardrail.reasons import RISK_ORDER, ReasonCode
from tests.registry.test_registry import shipped_texts

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)
# Conditions the shipped registry does not use, so the tables meet every kind of condition.
EXTRA_SEGMENTS = """
segments:
  - id: combo_dispute_need
    purpose: A dispute read as a billing need, or a lockout with a failed attempt.
    tier: runtime
    risk: medium
    entry:
      description: Nested conditions of every keyed kind.
      all:
        - any_of: [{rule: risk.billing_dispute}, {rule: risk.lockout}, {need_state: billing}]
      any:
        - all_of: [{need_state: billing}, {rule: risk.billing_dispute}]
        - all_of: [{rule: risk.lockout}, {signal: failed_attempts, op: ge, value: 1}]
        - {need_state: access_restore}
    exit:
      description: Never by text.
    escalation:
      hard: [{all_of: [{segment: billing_dispute}, {need_state: billing}]}]
      soft: [{signal: prior_escalations, op: ge, value: 1}]
    success_metrics: [test only]
    owner: tests
    last_reviewed: 2026-11-23

  - id: risky_anything
    purpose: Risk already high, whatever put it there.
    tier: runtime
    entry:
      description: Unkeyed conditions read the risk so far and earlier segments.
      any:
        - {risk_at_least: high}
        - {segment: combo_dispute_need}
    exit:
      description: Never by text.
    escalation:
      hard: [{risk_at_least: critical}]
    success_metrics: [test only]
    owner: tests
    last_reviewed: 2026-11-23

  - id: looping_need
    purpose: A need with signals beside it.
    tier: friction
    entry:
      description: A keyed all, an unkeyed any.
      all:
        - any_of: [{need_state: how_to}, {need_state: billing}, {rule: friction.self_serve_failed}]
      any:
        - {signal: articles_viewed_15m, op: ge, value: 1}
        - {signal: user_turns, op: ge, value: 2}
    exit:
      description: Solved.
      any: [{rule: exit.access_restored}]
    success_metrics: [test only]
    owner: tests
    last_reviewed: 2026-11-23
"""


class _Recording:
    """The registry's own policy, keeping every facts it assigns on and decides with."""

    def __init__(self) -> None:
        self.seen: list[tuple[Facts, dict[str, list[ReasonCode]]]] = []

    def assign(self, registry: Registry, facts: Facts) -> dict[str, list[ReasonCode]]:
        active = RegistryPolicy.assign(registry, facts)
        self.seen.append((facts, active))
        return active

    def decide(self, registry: Registry, facts: Facts,
               active: Mapping[str, list[ReasonCode]], **kw: Any) -> Decision:
        return RegistryPolicy.decide(registry, facts, active, **kw)


def _conversations() -> Iterator[dict[str, Any]]:
    """Every 12th labelled case of the dev, lang and public sets, whole and turn by turn, some
    with signals and context that put the friction and stable segments in play."""
    paths = sorted(ROOT.glob("evals/dev/*.jsonl")) + sorted(ROOT.glob("evals/lang/*.jsonl"))
    number = 0
    for path in paths:
        for case in read_cases(path):
            number += 1
            if number % 12:
                continue
            messages = [m.model_dump(mode="json") for m in case.messages]
            extra: dict[str, Any] = {}
            if number % 36 == 0:
                extra = {
                    "signals": {"failed_guided_attempts": number % 3,
                                "articles_viewed_15m": number % 4,
                                "minutes_since_article": 4.5, "prior_escalations": 1,
                                "reopened_tickets_7d": number % 2},
                    "context": {"renewal_date": (TODAY + timedelta(days=number % 40)).isoformat(),
                                "ltv": 12000.5},
                }
            yield {"messages": messages, "at": f"{TODAY.isoformat()}T12:00:00+00:00", **extra}
            for turn in range(1, len(messages)):
                if messages[turn - 1]["role"] == "user":
                    yield {"id": f"tables-{number}", "messages": messages[:turn], **extra}


def _seen(registry: Registry) -> list[tuple[Facts, dict[str, list[ReasonCode]]]]:
    recording = _Recording()
    guard = Guardrail(registry, policy=recording)
    for conversation in _conversations():
        guard.check(conversation)
    facts = [f for f, _ in recording.seen]
    # The same facts with signals that need no message: the caller's and a derived one.
    more = [dataclasses.replace(f, signals=Signals(failed_guided_attempts=2, last_ces=2.25),
                                signal_sources={"failed_guided_attempts": "history"})
            for f in facts[::5]]
    return [*recording.seen, *((f, assign_segments(registry, f)) for f in more)]


@pytest.fixture(scope="module", params=["shipped", "extended"])
def registry(request: pytest.FixtureRequest) -> Registry:
    texts = shipped_texts()
    if request.param == "extended":
        texts["45-segments-tables.yaml"] = EXTRA_SEGMENTS
    return Registry.from_texts(texts)


@pytest.fixture(scope="module")
def seen(registry: Registry) -> list[tuple[Facts, dict[str, list[ReasonCode]]]]:
    return _seen(registry)


def _every_segment(registry: Registry, facts: Facts) -> dict[str, list[ReasonCode]]:
    """The plain way: every segment's entry evaluated, in registry order."""
    active: dict[str, list[ReasonCode]] = {}
    state = tables.State(facts, active)
    state.risk = max((RISK_ORDER[f.risk] for f in facts.findings if f.risk is not None),
                     default=0)
    for seg, entry in CompiledPolicy.of(registry).entries:
        reasons = entry(state)
        if reasons is not None:
            active[seg.id] = tables.dedupe(reasons)
            state.risk = max(state.risk, RISK_ORDER[seg.risk])
    return active


def _cold() -> None:
    """Forget every memo of the compiled policies and of reasons."""
    tables._COMPILED.clear()
    tables._MADE_REASONS.clear()
    tables._POLICY_REASONS.clear()
    _policy._PLAIN_HANDOFFS.clear()
    _policy._HANDOFFS.clear()
    _policy._ASSIGNMENTS.clear()


def test_the_segments_reached_are_those_evaluating_all_of_them_gives(
    registry: Registry, seen: list[tuple[Facts, dict[str, list[ReasonCode]]]]
) -> None:
    assert len({tuple(a) for _, a in seen}) > 10  # many different assignments met
    for facts, _ in seen:
        fast = assign_segments(registry, facts)
        assert list(fast.items()) == list(_every_segment(registry, facts).items())


def test_the_extended_registry_puts_its_own_segments_in_play(
    registry: Registry, seen: list[tuple[Facts, dict[str, list[ReasonCode]]]]
) -> None:
    if "combo_dispute_need" not in registry.segment_by_id:
        pytest.skip("shipped registry")
    met = {seg for _, active in seen for seg in active}
    assert {"combo_dispute_need", "risky_anything", "looping_need"} <= met


def test_a_warm_decision_is_the_one_built_from_nothing(
    registry: Registry, seen: list[tuple[Facts, dict[str, list[ReasonCode]]]]
) -> None:
    """Decisions made with every memo warm (plans and reasons made for other facts) equal those
    made with every memo forgotten, in every field and reason, and with segments held out."""
    warm: list[Decision] = []
    for facts, active in seen:
        warm.append(decide(registry, facts, active))
        ids = list(active)
        if len(ids) >= 2:
            kept = {s: active[s] for s in ids[::2]}
            warm.append(decide(registry, facts, kept, held_out=ids[1::2]))
    cold: list[Decision] = []
    for facts, active in seen:
        _cold()
        cold.append(decide(registry, facts, active))
        ids = list(active)
        if len(ids) >= 2:
            _cold()
            kept = {s: active[s] for s in ids[::2]}
            cold.append(decide(registry, facts, kept, held_out=ids[1::2]))
    assert len(warm) == len(cold)
    assert any(d.handoff.required for d in warm)
    assert any(d.held_out for d in warm)
    for a, b in zip(warm, cold, strict=True):
        assert a.model_dump() == b.model_dump()


def test_a_pickled_facts_assigns_and_decides_the_same_after_the_memos_are_forgotten(
    registry: Registry, seen: list[tuple[Facts, dict[str, list[ReasonCode]]]]
) -> None:
    """Assignment with warm memos equals assignment from nothing (reasons made for other facts
    are never handed to these)."""
    sample = seen[::7]
    warm = [(assign_segments(registry, f), a) for f, a in sample]
    clones = pickle.loads(pickle.dumps([f for f, _ in sample]))
    for (got, recorded), facts in zip(warm, clones, strict=True):
        _cold()
        assert got == recorded == assign_segments(registry, facts)
