"""Shadow policies: a candidate registry decides beside the live one and never changes it.

The conversations are the dev set's (`evals/dev/dev.jsonl`), checked turn by turn as a chatbot
would; the candidate is an overlay of the shipped registry that disables a friction segment
(with a reason) and adds a stricter one (how-to questions go to a person, no tickets).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guardrail import Guardrail, Registry
from guardrail.audit import AuditLog, ShadowRecord, explain_conversation, read_audit
from guardrail.audit.writer import ShadowDifference
from guardrail.decision import Decision
from guardrail.errors import RegistryError, UserError
from guardrail.governance.shadow import shadowed, summarise
from guardrail.history import open_store
from guardrail.need.model import NeedModel
from guardrail.tracing import (
    ATTR_POLICY_VERSION,
    ATTR_SHADOW_DIFFERENCES,
    ATTR_SHADOW_HANDOFF_REQUIRED,
    ATTR_SHADOW_POLICY_VERSION,
    ATTR_SHADOW_SEGMENTS,
    EVENT_SHADOW_DIFF,
    SPAN_CHECK,
)
from tests.test_tracing import collect_spans

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "evals" / "dev" / "dev.jsonl"
DROPPED, ADDED, NEWLY_DENIED = "self_serve_failed", "how_to_to_person", "create_ticket"
CANDIDATE = f"""
extends: default
disable:
  - segment: {DROPPED}
    reason: Trial - does the friction segment help?
segments:
  - id: {ADDED}
    purpose: Trial - how-to questions go to a person and cannot open tickets.
    tier: runtime
    need_state: how_to
    entry: {{description: A how-to question., any: [{{need_state: how_to}}]}}
    exit: {{description: The need changes.}}
    routing: {{queue: general_support, priority: normal}}
    tools: {{denied: [{NEWLY_DENIED}]}}
    escalation: {{hard: [{{always: true}}]}}
    success_metrics: [trial]
    owner: tests
    last_reviewed: 2026-12-01
"""
HOW_TO = "how do i set up voicemail"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def candidate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("candidate")
    (folder / "00-overlay.yaml").write_text(CANDIDATE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def model() -> NeedModel:
    return NeedModel.default()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.default()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    collect_spans(_EXPORTER)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def dev_turns(count: int) -> list[dict[str, Any]]:
    """The first `count` dev conversations as the payloads of their customer turns, in order,
    each with a customer (so a store has someone to read and write)."""
    turns = []
    for n, line in enumerate(DEV.read_text("utf-8").splitlines()[:count]):
        case = json.loads(line)
        messages = case["messages"]
        for end, message in enumerate(messages, start=1):
            if message["role"] == "user":
                turns.append({"id": case["id"], "messages": messages[:end],
                              "context": {"customer_id": f"cus_{n % 40}"}})
    return turns


def run(guard: Guardrail, turns: list[dict[str, Any]]) -> list[Decision]:
    return [guard.check(turn) for turn in turns]


# -- the live decision -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_run(
    candidate: Path, model: NeedModel, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[dict[str, Any]], list[Decision], list[Decision], Path, Guardrail]:
    """150 dev conversations, turn by turn, with and without the shadow (and its audit)."""
    turns = dev_turns(150)
    audit = tmp_path_factory.mktemp("audit") / "shadow.jsonl"
    plain = run(Guardrail(registry, need_model=model), turns)
    guard = Guardrail(registry, need_model=model, shadow=candidate, shadow_audit=audit)
    return turns, plain, run(guard, turns), audit, guard


def test_the_live_decision_is_the_same_with_and_without_a_shadow(dev_run: Any) -> None:
    turns, plain, shadowed_run, _, guard = dev_run
    assert [d.model_dump() for d in shadowed_run] == [d.model_dump() for d in plain]
    assert guard.shadow is not None
    assert (guard.shadow.checked, guard.shadow.failures) == (len(turns), 0)
    assert 0 < guard.shadow.differed < len(turns)


def test_the_records_hold_exactly_what_the_overlay_changes(dev_run: Any, candidate: Path) -> None:
    turns, live, _, audit, guard = dev_run
    records = [r for r in read_audit(audit) if isinstance(r, ShadowRecord)]
    assert len(records) == guard.shadow.differed
    by_turn = {(r.conversation_id, r.turn): r for r in records}
    assert len(by_turn) == len(records)
    shadow_version = Registry.load(candidate).version
    for turn, decision in zip(turns, live, strict=True):
        key = (turn["id"], sum(m["role"] == "user" for m in turn["messages"]))
        record = by_turn.get(key)
        segments = set(decision.segment_ids())
        # What the overlay must change, read off the live decision alone.
        must_drop = DROPPED in segments
        # The added segment enters as the shipped how_to segment does (same criterion).
        must_hand_off = "how_to" in segments and not decision.handoff.required
        if must_drop or must_hand_off:
            assert record is not None, key
        if record is None:
            continue
        assert record.live.policy_version == decision.policy_version
        assert record.shadow.policy_version == shadow_version
        assert DROPPED not in record.shadow.segments
        added = ADDED in record.shadow.segments
        assert added == ("how_to" in record.shadow.segments) == ("how_to" in segments)
        assert ("handoff" in record.differences) == must_hand_off
        assert record.shadow.handoff == (decision.handoff.required or added)
        if added and NEWLY_DENIED not in decision.denied_tools:
            assert "tools" in record.differences
            assert NEWLY_DENIED in record.shadow.denied_tools
        assert ("segments" in record.differences) == (set(record.shadow.segments) != segments)
    assert any(DROPPED in r.live.segments for r in records)  # the sample holds a dropped one


def test_the_summary_groups_the_records(dev_run: Any) -> None:
    _, _, _, audit, _ = dev_run
    records = [r for r in read_audit(audit) if isinstance(r, ShadowRecord)]
    summary = summarise(read_audit(audit), examples=2)
    assert summary.turns == len(records)
    kinds: set[str] = {k for r in records for k in r.differences}
    assert set(summary.by_difference) == kinds
    for kind in kinds:
        group = summary.by_difference[kind]
        own = [r for r in records if kind in r.differences]
        assert group.turns == len(own)
        assert group.conversations == len({r.conversation_id for r in own})
        assert len(group.examples) == min(2, group.conversations)
        assert set(group.examples) <= {f"{r.conversation_id}#{r.turn}" for r in own}
    for need, group in summary.by_need.items():
        assert group.turns == sum(r.live.need_state == need for r in records)
    for segment, group in summary.by_segment.items():
        assert group.turns == sum(segment in r.live.segments for r in records)
    assert summary.segments_dropped[DROPPED].turns == sum(DROPPED in r.live.segments
                                                          for r in records)
    assert summary.segments_added[ADDED].turns == sum(ADDED in r.shadow.segments for r in records)
    assert summary.shadow_hands_off.turns == sum(r.shadow.handoff and not r.live.handoff
                                                 for r in records) > 0
    assert summary.live_hands_off.turns == sum(r.live.handoff and not r.shadow.handoff
                                               for r in records)


def test_explain_shows_a_shadow_record_as_one_line(dev_run: Any) -> None:
    _, _, _, audit, _ = dev_run
    record = next(r for r in read_audit(audit) if isinstance(r, ShadowRecord)
                  and "handoff" in r.differences)
    text = explain_conversation([record])
    lines = [line for line in text.splitlines() if "Shadow policy" in line]
    assert len(lines) == 1
    assert record.shadow.policy_version in lines[0]
    assert "handoff required" in lines[0]
    assert "Actions: (none recorded)" in text


def test_the_difference_names_are_the_records(registry: Registry) -> None:
    field = ShadowRecord.model_fields["differences"].annotation
    assert set(get_args(ShadowDifference)) == set(get_args(get_args(field)[0]))


# -- failures, sampling, async ---------------------------------------------------------------


def test_a_shadow_that_raises_never_changes_the_live_result_and_is_counted(
    candidate: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    turns = dev_turns(20)
    plain = run(Guardrail(registry, need_model=None), turns)
    guard = Guardrail(registry, need_model=None, shadow=candidate, shadow_audit=None)
    assert guard.shadow is not None
    calls: list[str] = []

    def boom(conversation: object) -> Decision:
        calls.append("called")
        raise RuntimeError("candidate broke on 4111 1111 1111 1111")

    monkeypatch.setattr(guard.shadow.checker, "check", boom)
    with caplog.at_level(logging.ERROR, logger="guardrail.governance"):
        decisions = run(guard, turns)
    assert [d.model_dump() for d in decisions] == [d.model_dump() for d in plain]
    # Called once a turn, after the live decision; no retry adds a second call to a turn.
    assert len(calls) == len(turns) == guard.shadow.failures
    assert guard.shadow.checked == 0
    errors = [r for r in caplog.records
              if r.name == "guardrail.governance" and r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "RuntimeError" in errors[0].getMessage()
    assert "4111" not in errors[0].getMessage()


def test_sampling_shadows_about_the_share_and_always_the_same_conversations() -> None:
    ids = [f"conv-{i}" for i in range(4000)]
    picked = {i for i in ids if shadowed(i, 0.3)}
    assert 0.27 < len(picked) / len(ids) < 0.33
    assert picked == {i for i in ids if shadowed(i, 0.3)}
    assert all(shadowed(i, 1.0) for i in ids)
    assert not any(shadowed(i, 0.0) for i in ids)
    assert not shadowed(None, 0.5)
    assert shadowed(None, 1.0)


def test_the_engine_shadows_the_sampled_conversations_on_every_turn(
    candidate: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    for _ in range(2):  # a second engine (another process) picks the same conversations
        guard = Guardrail(registry, need_model=None, shadow=candidate, shadow_share=0.3)
        assert guard.shadow is not None
        checked: list[str] = []
        original = guard.shadow.checker.check

        def spy(conversation: Any, original: Any = original, checked: list[str] = checked) -> Any:
            checked.append(conversation.id)
            return original(conversation)

        monkeypatch.setattr(guard.shadow.checker, "check", spy)
        for i in range(300):
            messages = [{"role": "user", "content": HOW_TO}]
            guard.check({"id": f"c{i}", "messages": messages})
            guard.check({"id": f"c{i}", "messages": [
                *messages, {"role": "assistant", "content": "Open Settings."},
                {"role": "user", "content": "thanks"}]})
        seen.append(checked)
    assert seen[0] == seen[1]
    picked = set(seen[0])
    assert all(seen[0].count(c) == 2 for c in picked)  # every turn of a shadowed conversation
    assert picked == {f"c{i}" for i in range(300) if shadowed(f"c{i}", 0.3)}
    assert 0.2 < len(picked) / 300 < 0.4


def test_acheck_runs_the_shadow_too(candidate: Path, registry: Registry, tmp_path: Path) -> None:
    audit = tmp_path / "a.jsonl"
    guard = Guardrail(registry, need_model=None, shadow=candidate, shadow_audit=AuditLog(audit))
    plain = Guardrail(registry, need_model=None)
    turn = {"id": "async-1", "messages": [{"role": "user", "content": HOW_TO}]}
    decision = asyncio.run(guard.acheck(turn))
    assert decision.model_dump() == plain.check(turn).model_dump()
    assert guard.shadow is not None
    assert guard.shadow.checked == 1
    assert [r.conversation_id for r in read_audit(audit)] == ["async-1"]


# -- construction ----------------------------------------------------------------------------


def test_a_candidate_that_does_not_load_fails_at_construction(
    registry: Registry, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "00-overlay.yaml").write_text(
        "extends: default\ndisable:\n  - segment: human_requested\n    reason: not wanted\n",
        "utf-8")
    with pytest.raises(RegistryError) as raised:
        Guardrail(registry, need_model=None, shadow=bad)
    assert "<shadow registry>" in str(raised.value)
    assert "human_requested" in str(raised.value)
    with pytest.raises(RegistryError, match="shadow registry"):
        Guardrail(registry, need_model=None, shadow=tmp_path / "missing")
    for share in (1.5, -0.1, True):
        with pytest.raises(UserError, match="shadow_share"):
            Guardrail(registry, need_model=None, shadow=registry, shadow_share=share)


def test_without_an_audit_log_a_warning_says_so_once(
    candidate: Path, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="guardrail.governance"):
        guard = Guardrail(registry, need_model=None, shadow=candidate)
        for i in range(3):
            guard.check({"id": f"w{i}", "messages": [{"role": "user", "content": HOW_TO}]})
    warned = [r for r in caplog.records if r.name == "guardrail.governance"]
    assert len(warned) == 1
    assert "shadow_audit" in warned[0].getMessage()
    assert guard.shadow is not None
    assert guard.shadow.differed == 3


def test_the_shadow_shares_the_models_and_keeps_its_own_states(
    candidate: Path, model: NeedModel, registry: Registry
) -> None:
    guard = Guardrail(registry, need_model=model, shadow=candidate)
    assert guard.shadow is not None
    shadow = guard.shadow.checker
    assert isinstance(shadow, Guardrail)
    assert shadow.need_classifier is guard.need_classifier
    assert shadow._injection_model is guard._injection_model
    assert shadow._states is not guard._states
    assert shadow.registry.version == Registry.load(candidate).version != guard.registry.version
    assert shadow.shadow is None


# -- the store and the span ------------------------------------------------------------------


def test_the_shadow_reads_the_store_and_never_writes_it(
    candidate: Path, registry: Registry, tmp_path: Path
) -> None:
    turns = dev_turns(40)
    runs = []
    for name, shadow in (("plain", None), ("shadowed", candidate)):
        url = f"sqlite:///{tmp_path / name}.db"
        guard = Guardrail(registry, need_model=None, store=url, shadow=shadow)
        decisions = run(guard, turns)
        guard.close()
        store = open_store(url)
        events = sorted((e.customer, e.kind, e.event_id, e.need_state, e.outcome)
                        for c in range(40) for e in store.events(f"cus_{c}", _EPOCH))
        store.close()
        runs.append((events, [d.model_dump() for d in decisions]))
    assert runs[0][0]  # the live engine wrote contacts
    assert runs[0] == runs[1]


def test_the_span_event_carries_both_versions(
    candidate: Path, registry: Registry, spans: InMemorySpanExporter
) -> None:
    guard = Guardrail(registry, need_model=None, shadow=candidate)
    live = guard.check({"id": "span-1", "messages": [{"role": "user", "content": HOW_TO}]})
    same = guard.check({"id": "span-2", "messages": [
        {"role": "user", "content": "I was charged twice this month"}]})
    checks = [s for s in spans.get_finished_spans() if s.name == SPAN_CHECK]
    assert len(checks) == 2  # the shadow's own check leaves no span
    first, second = checks
    events = [e for e in first.events if e.name == EVENT_SHADOW_DIFF]
    assert len(events) == 1
    attributes = events[0].attributes or {}
    assert attributes[ATTR_POLICY_VERSION] == live.policy_version == registry.version
    assert attributes[ATTR_SHADOW_POLICY_VERSION] == Registry.load(candidate).version
    assert "handoff" in attributes[ATTR_SHADOW_DIFFERENCES]  # type: ignore[operator]
    assert attributes[ATTR_SHADOW_HANDOFF_REQUIRED] is True
    assert not live.handoff.required
    assert ADDED in attributes[ATTR_SHADOW_SEGMENTS]  # type: ignore[operator]
    # A dispute is handed off under both policies: nothing differs, no event.
    assert same.handoff.required
    assert not [e for e in second.events if e.name == EVENT_SHADOW_DIFF]


def test_a_turn_checked_twice_is_counted_once(
    candidate: Path, registry: Registry, tmp_path: Path
) -> None:
    audit = tmp_path / "a.jsonl"
    guard = Guardrail(registry, need_model=None, shadow=candidate, shadow_audit=audit)
    turn = {"id": "twice", "messages": [{"role": "user", "content": HOW_TO}]}
    guard.check(turn)
    guard.check(turn)  # an agent loop checks before every model call
    records = read_audit(audit)
    assert len(records) == 2
    assert summarise(records).turns == 1


def test_the_audit_log_writes_nothing_when_the_policies_agree(
    registry: Registry, tmp_path: Path
) -> None:
    guard = Guardrail(registry, need_model=None)
    decision = guard.check({"id": "x", "messages": [{"role": "user", "content": HOW_TO}]})
    log = AuditLog(tmp_path / "a.jsonl")
    assert log.shadow(decision, decision, conversation_id="x", turn=1) == []
    assert not (tmp_path / "a.jsonl").exists()
    other = decision.model_copy(update={"need_state": "billing", "risk_tier": "high"})
    assert log.shadow(decision, other, conversation_id="x", turn=1) == ["risk", "need"]
    (record,) = read_audit(tmp_path / "a.jsonl")
    assert isinstance(record, ShadowRecord)
    assert record.differences == ["risk", "need"]
