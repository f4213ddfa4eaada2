"""The holdout arm (issue 18 item 2): who is in it, and that the safety set and the tool gate
provably stay on in it.

The promise checked here is the one a team needs before it turns a holdout on: a customer in the
holdout arm loses the policy's routing, priorities and friction handling, never a forced human
and never a denial the gate makes for safety. It is checked segment by segment over every shipped
segment (alone and beside every other), and end to end on real conversations.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guardrail import Guardrail
from guardrail.audit import AuditLog, load_audit
from guardrail.audit.record import DecisionRecord
from guardrail.conversation import Context, Conversation, Signals
from guardrail.decision import Decision
from guardrail.gate import check_tool_call
from guardrail.governance.arms import arm_of, in_holdout, safety_set
from guardrail.policy import Facts, decide
from guardrail.reasons import RISK_ORDER, ReasonCode
from guardrail.registry import Registry
from guardrail.tracing import ATTR_ARM, ATTR_HELD_OUT
from tests.governance._holdout import customer_in, holdout_overlay
from tests.test_tracing import collect_spans

ROOT = Path(__file__).resolve().parents[2]
# The segments the issue names as the always-human safety set: disputes, fraud, takeover,
# legal, safety, a request for a person (and the lockout and fail-closed ones of this registry).
NAMED_SAFETY = {"billing_dispute", "fraud_takeover", "legal_threat", "safety", "human_requested",
                "lockout", "failsafe"}
_STRICT = {"allow": 0, "confirm": 1, "deny": 2}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return Registry.load(holdout_overlay(tmp_path_factory.mktemp("reg"), 0.5))


_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def span_exporter() -> Iterator[InMemorySpanExporter]:
    collect_spans(_EXPORTER)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.shutdown()  # the provider keeps the processor; later spans are dropped


# -- assignment --------------------------------------------------------------------------------


def test_the_share_of_customers_in_the_holdout_is_the_configured_share(registry: Registry) -> None:
    n, share = 20_000, 0.1
    inside = sum(in_holdout(share, "s", f"customer-{i}") for i in range(n))
    sigma = math.sqrt(n * share * (1 - share))
    assert abs(inside - n * share) < 4 * sigma


def test_a_customer_stays_in_one_arm_across_conversations_and_processes(
    registry: Registry,
) -> None:
    first, second = Guardrail(registry), Guardrail(registry)
    for customer in (customer_in(registry, "holdout"), customer_in(registry, "policy")):
        arms = {
            guard.check({"id": f"{customer}-{n}", "context": {"customer_id": customer},
                         "messages": [{"role": "user", "content": "how do I export my data"}]}).arm
            for guard in (first, second) for n in range(3)
        }
        assert len(arms) == 1


def test_a_new_salt_draws_a_new_holdout_and_share_zero_turns_it_off(tmp_path: Path) -> None:
    ids = [f"c{i}" for i in range(400)]
    one = {i for i in ids if in_holdout(0.5, "a", i)}
    other = {i for i in ids if in_holdout(0.5, "b", i)}
    assert one != other
    assert one
    assert other
    off = Registry.load(holdout_overlay(tmp_path, 0.0))
    conv = Conversation.model_validate({"id": "x", "context": {"customer_id": "c1"},
                                        "messages": [{"role": "user", "content": "hi"}]})
    assert arm_of(off, conv) == "policy"


def test_turning_the_holdout_on_or_changing_its_share_changes_the_policy_version(
    tmp_path: Path,
) -> None:
    versions = {Registry.load(holdout_overlay(tmp_path, s)).version for s in (0.0, 0.1, 0.2)}
    assert len(versions) == 3


def test_without_customer_or_conversation_id_the_policy_serves(registry: Registry) -> None:
    conv = Conversation.model_validate({"messages": [{"role": "user", "content": "hi"}]})
    assert arm_of(registry, conv) == "policy"


def test_a_holdout_larger_than_half_or_an_unknown_kept_segment_is_refused(tmp_path: Path) -> None:
    from guardrail.errors import RegistryError, UserError
    with pytest.raises((RegistryError, UserError)):
        Registry.load(holdout_overlay(tmp_path, 0.6))
    folder = tmp_path / "bad-keep"
    folder.mkdir()
    (folder / "00.yaml").write_text(
        "extends: default\nsettings:\n  governance:\n    holdout:\n      keep: [no_such]\n",
        encoding="utf-8")
    with pytest.raises(RegistryError, match="no_such"):
        Registry.load(folder)


# -- every shipped segment ---------------------------------------------------------------------


def _facts(registry: Registry) -> Facts:
    return Facts.build([], registry.settings.default_need_state, 0.9, Signals(),
                       Context(customer_id="cus_1"), 1, date(2026, 12, 7))


def _reason(segment: str) -> list[ReasonCode]:
    return [ReasonCode(code="test.entered", rule_id=segment, source="test",
                       explanation="Entered for the test")]


def _holdout(registry: Registry, facts: Facts, active: dict[str, list[ReasonCode]]) -> Decision:
    kept = safety_set(registry)
    return decide(registry, facts, {s: r for s, r in active.items() if s in kept},
                  held_out=[s for s in active if s not in kept])


def _never_looser(strict: Decision, loose: Decision) -> list[str]:
    """The tools `strict` lets through more easily than `loose` does."""
    theirs = {t.tool: t.verdict for t in loose.tools}
    return [t.tool for t in strict.tools if _STRICT[t.verdict] < _STRICT[theirs[t.tool]]]


def test_the_safety_set_holds_every_segment_that_forces_a_person_and_those_the_issue_names(
    registry: Registry,
) -> None:
    kept = safety_set(registry)
    forcing = {s.id for s in registry.segments if s.escalation.hard or s.tier == "failsafe"}
    assert {s.id for s in registry.segments} >= NAMED_SAFETY
    assert kept >= NAMED_SAFETY
    assert forcing <= kept
    # and it is not everything: need, friction and stable segments are what the holdout drops
    assert {s.id for s in registry.segments if s.tier in ("friction", "stable")}.isdisjoint(kept)


@pytest.mark.parametrize("segment", [s.id for s in Registry.default().segments])
def test_each_shipped_segment_alone_keeps_the_safety_set_and_the_gate_in_the_holdout(
    registry: Registry, segment: str,
) -> None:
    facts = _facts(registry)
    policy = decide(registry, facts, {segment: _reason(segment)})
    holdout = _holdout(registry, facts, {segment: _reason(segment)})
    baseline = decide(registry, facts, {}, held_out=[segment])  # the gate with no segment acting
    assert holdout.risk_tier == policy.risk_tier
    assert holdout.handoff.required == policy.handoff.required
    assert not _never_looser(holdout, baseline)  # the gate: never looser than the baseline's
    if segment in safety_set(registry):
        assert holdout.segment_ids() == [segment]
        assert holdout.held_out == []
        assert holdout.handoff == policy.handoff
        assert [(t.tool, t.verdict) for t in holdout.tools] == [
            (t.tool, t.verdict) for t in policy.tools]
        assert holdout.retrieval_scope == policy.retrieval_scope
    else:
        assert holdout.segment_ids() == []
        assert holdout.held_out == [segment]
        assert not holdout.handoff.offered or policy.handoff.offered
        assert holdout.handoff.priority == "normal"


def test_every_safety_segment_beside_every_other_segment_acts_as_in_the_policy(
    registry: Registry,
) -> None:
    facts = _facts(registry)
    kept = safety_set(registry)
    checked = 0
    for safe in sorted(kept):
        alone = decide(registry, facts, {safe: _reason(safe)})
        for other in registry.segments:
            if other.id == safe:
                continue
            active = {safe: _reason(safe), other.id: _reason(other.id)}
            policy = decide(registry, facts, active)
            holdout = _holdout(registry, facts, active)
            assert holdout.handoff.required == policy.handoff.required, (safe, other.id)
            if policy.handoff.required and other.id not in kept:
                assert holdout.handoff.queue == alone.handoff.queue
            assert not _never_looser(holdout, alone), (safe, other.id)
            assert RISK_ORDER[holdout.risk_tier] == RISK_ORDER[policy.risk_tier]
            checked += 1
    assert checked == len(kept) * (len(registry.segments) - 1)


# -- end to end --------------------------------------------------------------------------------


def _conversations(limit: int = 160) -> Iterator[dict[str, object]]:
    for path in ("evals/dev/dev.jsonl", "evals/dev2/dev2.jsonl"):
        with open(ROOT / path, encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                if n >= limit // 2:
                    break
                row = json.loads(line)
                yield {"id": row["id"], "messages": row["messages"]}


def test_on_real_conversations_the_holdout_hands_off_and_gates_as_the_safety_set_demands(
    registry: Registry,
) -> None:
    guard = Guardrail(registry)
    kept = safety_set(registry)
    policy_customer, holdout_customer = (customer_in(registry, "policy"),
                                         customer_in(registry, "holdout"))
    seen_held = seen_forced = 0
    for row in _conversations():
        policy = guard.check({**row, "id": f"p-{row['id']}",
                              "context": {"customer_id": policy_customer}})
        holdout = guard.check({**row, "id": f"h-{row['id']}",
                               "context": {"customer_id": holdout_customer}})
        assert (policy.arm, holdout.arm) == ("policy", "holdout")
        assert set(holdout.segment_ids()) == set(policy.segment_ids()) & kept
        assert set(holdout.held_out) == set(policy.segment_ids()) - kept
        assert holdout.risk_tier == policy.risk_tier
        assert holdout.handoff.required == policy.handoff.required
        assert holdout.handoff.queue == policy.handoff.queue or not policy.handoff.required
        # every denial the policy arm makes for safety (baseline, risk tier, a safety segment)
        # the holdout arm makes too
        for verdict in policy.denials:
            sources = {r.source for r in verdict.reasons}
            if any(s == "baseline" or s.startswith("risk.") or s.removeprefix("segment:") in kept
                   for s in sources):
                assert verdict.tool in holdout.denied_tools, (row["id"], verdict.tool)
        # the binding half of the gate is the same: another customer's refund is denied
        other = check_tool_call(registry, holdout, "issue_refund",
                                {"customer_id": "someone_else", "amount": 5}, holdout_customer)
        assert other.action == "deny"
        seen_held += bool(holdout.held_out)
        seen_forced += holdout.handoff.required
    assert seen_held
    assert seen_forced


def test_the_arm_is_on_the_decision_the_audit_record_and_the_span(
    registry: Registry, tmp_path: Path, span_exporter: InMemorySpanExporter,
) -> None:
    customer = customer_in(registry, "holdout")
    guard = Guardrail(registry)
    conv = {"id": "arm-1", "context": {"customer_id": customer, "channel": "chat",
                                       "region": "EU", "plan": "pro"},
            "messages": [{"role": "user", "content": "third time asking, the guide did not "
                                                    "help and I am fed up, how do I export"}]}
    decision = guard.check(conv)
    assert decision.arm == "holdout"
    assert any(r.code == "governance.holdout" for r in decision.reason_codes)
    log = AuditLog(tmp_path / "audit.jsonl")
    log.decision(decision, conversation_id="arm-1", turn=1,
                 context=Conversation.model_validate(conv).context)
    (record,) = [r for r in load_audit(tmp_path / "audit.jsonl").records
                 if isinstance(r, DecisionRecord)]
    assert record.arm == "holdout"
    assert record.held_out == decision.held_out
    assert record.cohort == {"channel": "chat", "region": "EU", "plan": "pro"}
    assert record.language == decision.language
    spans = [s for s in span_exporter.get_finished_spans() if s.name == "guardrail.check"]
    assert spans
    assert spans[-1].attributes is not None
    assert spans[-1].attributes[ATTR_ARM] == "holdout"
    if decision.held_out:
        assert list(spans[-1].attributes[ATTR_HELD_OUT]) == decision.held_out  # type: ignore[arg-type]
