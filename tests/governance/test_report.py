"""`build_report`: the metrics of hand-built conversations, worked out here from their
definitions, and a small report over real `Guardrail.check` decisions written by `AuditLog`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail.audit import AuditLog, DecisionRecord, OverrideRecord, load_audit
from guardrail.audit.record import AuditPolicy, DecisionActions, ShadowRecord, ShadowSide
from guardrail.decision import Handoff, SegmentAssignment
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.governance import Outcome
from guardrail.governance.report import (
    NEWCOMBE_METHOD,
    GovernanceReport,
    build_report,
)
from guardrail.governance.stats import newcombe_interval, percentile
from guardrail.registry import Registry

SINCE = datetime(2025, 3, 3, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=7)
TOP_KEYS = {"period", "policy_versions", "totals", "with_outcomes", "by_segment",
            "by_need_segment", "by_cohort",
            "by_arm", "arm_differences", "worse_segments", "drift", "incidents", "alerts",
            "overrides", "shadow"}
_seq = iter(range(1, 10**9))


def decision(
    cid: str, at: datetime, *, segments: Sequence[str] = (), handoff: bool = False,
    arm: str = "policy", need: str = "billing", held_out: Sequence[str] = (),
    language: str = "en", cohort: dict[str, str] | None = None, turn: int = 1,
    version: str = "v-test",
) -> DecisionRecord:
    """A decision record as `AuditLog.decision` writes one (no reasons: none are counted)."""
    return DecisionRecord(
        seq=next(_seq), conversation_id=cid, turn=turn, at=at.isoformat(),
        policy_version=version, need_state=need, need_confidence=0.9, risk_tier="low",
        failsafe=False,
        segments=[SegmentAssignment(id=s, tier="runtime", reasons=[]) for s in segments],
        policy=AuditPolicy(allowed_tools=[], confirm_tools=[], denied_tools={},
                           retrieval_scope=[], directives=[]),
        action=DecisionActions(handoff=Handoff(required=handoff)),
        arm=arm, held_out=list(held_out), language=language,  # type: ignore[arg-type]
        cohort=cohort or {},
    )


def outcome(cid: str, kind: str, at: datetime, **fields: Any) -> Outcome:
    return Outcome(conversation_id=cid, customer=f"k-{cid}", at=at, kind=kind,  # type: ignore[arg-type]
                   **fields)


def report(records: Sequence[Any], outcomes: Sequence[Outcome], registry: Registry,
           **kwargs: Any) -> GovernanceReport:
    return build_report(records, outcomes, registry=registry, since=SINCE, until=UNTIL, **kwargs)


T0 = SINCE + timedelta(hours=1)


def hand_built() -> tuple[list[Any], list[Outcome]]:
    """Six conversations in the period and one before it, each exercising some metrics."""
    records: list[Any] = [
        # a: automated billing, then reopened (wrongful automation), CSAT 2 then 4.
        decision("a", T0, segments=["billing"], cohort={"plan": "free", "channel": "chat"}),
        # b: asks for a person at turn 1, handed off at turn 2 (escape success); human after
        #    30 minutes; resolved, not first contact; post-handoff CSAT 5.
        decision("b", T0, segments=["human_requested"], language="de", cohort={"plan": "pro"}),
        decision("b", T0 + timedelta(minutes=1), segments=["human_requested"], handoff=True,
                 turn=2, language="de", need="access_restore"),
        # c: handed off at once; a human after 10 minutes; flagged wrongful escalation; CES 6.
        decision("c", T0, segments=["billing_dispute"], handoff=True, cohort={"plan": "free"}),
        # d: holdout, billing held out (assigned, not acted on); resolved first contact;
        #    repeat contact 3 days later (counted) and another 9 days later (outside 7).
        decision("d", T0, segments=[], held_out=["billing"], arm="holdout"),
        # e: asks for a person, never handed off within the next decision (escape failure).
        decision("e", T0, segments=["human_requested"], need="other"),
        decision("e", T0 + timedelta(minutes=1), turn=2, need="other"),
        decision("e", T0 + timedelta(minutes=2), turn=3, handoff=True, need="other"),
        # f: automated how-to, abandoned: nothing wrong with it.
        decision("f", T0, segments=["how_to"], need="how_to", version="v-other"),
        # g: started before the period, so it is not counted even though it goes on inside.
        decision("g", SINCE - timedelta(minutes=5), segments=["billing"]),
        decision("g", T0, segments=["billing"], turn=2),
        OverrideRecord(seq=next(_seq), conversation_id="c", turn=0, at=T0.isoformat(),
                       segment="billing_dispute", action="clear", who="ann", role="supervisor",
                       why="verified", policy_version="v-test"),
        ShadowRecord(seq=next(_seq), conversation_id="a", turn=1, at=T0.isoformat(),
                     differences=["handoff", "risk"], live=_side(), shadow=_side()),
    ]
    outcomes = [
        outcome("a", "reopened", T0 + timedelta(days=1)),
        outcome("a", "csat", T0 + timedelta(hours=1), score=2),
        outcome("a", "csat", T0 + timedelta(hours=2), score=4),
        outcome("b", "handed_off", T0 + timedelta(minutes=1),
                first_human_at=T0 + timedelta(minutes=31)),
        outcome("b", "resolved", T0 + timedelta(hours=3), first_contact=False),
        outcome("b", "post_handoff_csat", T0 + timedelta(hours=3), score=5),
        outcome("c", "handed_off", T0, first_human_at=T0 + timedelta(minutes=10)),
        outcome("c", "incident", T0 + timedelta(hours=1), incident="wrongful_escalation"),
        outcome("c", "ces", T0 + timedelta(hours=1), score=6),
        outcome("d", "resolved", T0 + timedelta(hours=1), first_contact=True),
        outcome("d", "repeat_contact", T0 + timedelta(days=3), need_state="billing"),
        outcome("d", "repeat_contact", T0 + timedelta(days=9), need_state="billing"),
        outcome("f", "abandoned", T0 + timedelta(minutes=5)),
        outcome("f", "incident", T0 + timedelta(minutes=6), incident="unsafe_action"),
        outcome("g", "reopened", T0 + timedelta(days=1)),
        outcome("zz", "reopened", T0),  # no decision: ignored
    ]
    return records, outcomes


def _side() -> ShadowSide:
    return ShadowSide(policy_version="v", need_state="billing", risk_tier="low", segments=[],
                      handoff=False, denied_tools=[], confirm_tools=[])


def test_metrics_of_hand_built_conversations(registry: Registry) -> None:
    records, outcomes = hand_built()
    result = report(records, outcomes, registry)
    t = result.totals
    assert t.conversations == 6  # a-f; g began before the period
    escalated = {"b", "c", "e"}
    assert t.escalation_rate == pytest.approx(len(escalated) / 6)
    assert (t.escalated, t.automated) == (3, 3)
    # Automated: a (reopened: wrong), d, f (abandoned: not a wrongful-automation signal).
    assert t.wrongful_automation_rate == pytest.approx(1 / 3)
    assert t.wrongful_escalation_rate == pytest.approx(1 / 3)  # c of b, c, e
    # b: first handoff at T0+1min, human at T0+31 -> 30; c: 10.
    assert t.time_to_human_minutes.n == 2
    assert t.time_to_human_minutes.median == pytest.approx(20.0)
    assert t.time_to_human_minutes.p90 == pytest.approx(percentile([10.0, 30.0], 90))
    assert t.first_contact_resolution == pytest.approx(1 / 2)  # d yes, b no
    assert t.repeat_contact_rate == pytest.approx(1 / 6)  # d (3 days; the 9-day one is late)
    assert t.reopen_rate == pytest.approx(1 / 6)
    assert (t.csat_mean, t.csat_n) == (4.0, 1)  # a's latest score
    assert (t.ces_mean, t.ces_n) == (6.0, 1)
    assert (t.post_handoff_csat_mean, t.post_handoff_csat_n) == (5.0, 1)
    assert t.human_escape_success == pytest.approx(1 / 2)  # b yes (next decision), e no
    assert t.incidents == {"wrongful_automation": 0, "wrongful_escalation": 1,
                           "unsafe_action": 1, "biased_routing": 0}
    assert result.incidents == t.incidents
    assert result.policy_versions == ["v-other", "v-test"]


def test_groups_segments_needs_cohorts_and_arms(registry: Registry) -> None:
    records, outcomes = hand_built()
    result = report(records, outcomes, registry)
    # Held-out segments count: d is in billing beside a.
    assert result.by_segment["billing"].conversations == 2
    assert result.by_segment["human_requested"].conversations == 2
    # The need is the last decision's: b ended in access_restore.
    assert "access_restore|human_requested" in result.by_need_segment
    assert "billing|human_requested" not in result.by_need_segment
    assert result.by_cohort["plan=free"].conversations == 2
    assert result.by_cohort["language=de"].conversations == 1
    assert result.by_cohort["language=en"].conversations == 5
    assert result.by_cohort["channel=chat"].conversations == 1
    assert result.by_arm["holdout"].conversations == 1
    assert result.by_arm["policy"].conversations == 5
    assert result.overrides.total == 1
    assert result.overrides.by_action == {"assert": 0, "clear": 1, "verify": 0}
    assert result.overrides.by_segment == {"billing_dispute": 1}
    assert result.shadow.total == 1
    assert result.shadow.by_difference == {"handoff": 1, "risk": 1, "tools": 0,
                                           "segments": 0, "need": 0}
    assert result.drift is None


def test_json_has_exactly_the_documented_keys(registry: Registry) -> None:
    records, outcomes = hand_built()
    data = report(records, outcomes, registry).to_json()
    assert set(data) == TOP_KEYS
    assert json.loads(json.dumps(data)) == data
    assert data["period"] == {"since": "2025-03-03T00:00:00Z", "until": "2025-03-10T00:00:00Z"}
    # The alerts' working data stays out of the JSON.
    assert "cohort_times" not in json.dumps(data)


def test_bad_periods_are_user_errors(registry: Registry) -> None:
    with pytest.raises(UserError, match="timezone"):
        build_report([], [], registry=registry, since=datetime(2025, 1, 1), until=UNTIL)
    with pytest.raises(UserError, match="end after"):
        build_report([], [], registry=registry, since=UNTIL, until=SINCE)


def arms_population(worse_in: str, n: int, policy_bad: int, holdout_bad: int) -> tuple[
        list[Any], list[Outcome]]:
    """`n` automated conversations per arm in segment `worse_in`, of which `policy_bad` and
    `holdout_bad` are reopened."""
    records: list[Any] = []
    outcomes: list[Outcome] = []
    for arm, bad in (("policy", policy_bad), ("holdout", holdout_bad)):
        for i in range(n):
            cid = f"{arm}-{i}"
            segs = {"segments": [worse_in]} if arm == "policy" else {"held_out": [worse_in]}
            records.append(decision(cid, T0 + timedelta(seconds=i), arm=arm, **segs))
            if i < bad:
                outcomes.append(outcome(cid, "reopened", T0 + timedelta(days=1)))
    return records, outcomes


def test_policy_worse_than_holdout_with_newcombe_interval(registry: Registry) -> None:
    least = registry.settings.governance.alerts.min_conversations
    n = least + 10
    records, outcomes = arms_population("billing", n, policy_bad=n // 2, holdout_bad=2)
    result = report(records, outcomes, registry)
    item = next(d for d in result.arm_differences
                if d.scope == "segment:billing" and d.metric == "wrongful_automation_rate")
    assert item.method == NEWCOMBE_METHOD
    assert item.policy == pytest.approx((n // 2) / n)
    assert item.holdout == pytest.approx(2 / n)
    assert (item.ci_low, item.ci_high) == pytest.approx(newcombe_interval(n // 2, n, 2, n))
    assert item.worse
    assert item.ci_low > 0
    assert result.worse_segments == ["billing"]
    # The same rates on fewer conversations than alerts.min_conversations are not "worse".
    small, small_out = arms_population("billing", least - 1, policy_bad=least // 2,
                                       holdout_bad=0)
    assert report(small, small_out, registry).worse_segments == []
    # Equal arms: nothing is worse.
    even, even_out = arms_population("billing", n, policy_bad=3, holdout_bad=3)
    assert report(even, even_out, registry).worse_segments == []


def test_no_holdout_means_no_differences(registry: Registry) -> None:
    records, outcomes = hand_built()
    policy_only = [r for r in records if getattr(r, "arm", "policy") == "policy"]
    assert report(policy_only, outcomes, registry).arm_differences == []


def test_drift_against_the_previous_period(registry: Registry) -> None:
    records, outcomes = hand_built()
    before = [decision(f"p{i}", T0 - timedelta(days=7), need="billing", segments=["billing"],
                       handoff=i == 0) for i in range(4)]
    previous = build_report(before, [], registry=registry, since=SINCE - timedelta(days=7),
                            until=SINCE)
    result = report(records + before, outcomes, registry, previous=previous)
    drift = result.drift
    assert drift is not None
    assert drift.previous == previous.period
    assert drift.escalation_rate.before == pytest.approx(1 / 4)
    assert drift.escalation_rate.after == pytest.approx(3 / 6)
    assert drift.escalation_rate.delta == pytest.approx(3 / 6 - 1 / 4)
    # Need mix: all billing before; a, c, d billing of six now (b access_restore, e other,
    # f how_to).
    assert drift.need_mix["billing"].before == 1.0
    assert drift.need_mix["billing"].after == pytest.approx(3 / 6)
    assert drift.need_mix["how_to"].before == 0.0
    shift = drift.by_segment["billing"]["conversations"]
    assert (shift.before, shift.after) == (4, 2)
    assert drift.by_segment["how_to"]["conversations"].before is None


def test_from_real_decisions_written_by_the_audit_log(tmp_path: Path,
                                                      rules_guard: Guardrail) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    plays = {
        "c-dispute": ["I was charged twice for my subscription, I want to dispute it"],
        "c-person": ["I want to talk to a human agent please"],
        "c-howto": ["How do I add a teammate to my workspace?"],
    }
    decided = {}
    for n, (cid, messages) in enumerate(plays.items()):
        conversation = {"id": cid, "messages": [{"role": "user", "content": m}
                                                for m in messages],
                        "context": {"plan": "pro", "locale": "en-GB"}}
        decided[cid] = rules_guard.check(conversation)
        log.decision(decided[cid], conversation_id=cid, turn=1,
                     at=T0 + timedelta(minutes=n), context=conversation["context"])
    trail = load_audit(path)
    assert not trail.problems
    outcomes = [outcome("c-howto", "reopened", T0 + timedelta(days=1))]
    result = build_report(trail.records, outcomes, registry=rules_guard.registry, since=SINCE,
                          until=UNTIL)
    assert result.totals.conversations == 3
    handed = sum(d.handoff.required for d in decided.values())
    assert result.totals.escalation_rate == pytest.approx(handed / 3)
    for cid, made in decided.items():
        for segment in made.segments:
            assert result.by_segment[segment.id].conversations >= 1, (cid, segment.id)
    assert result.by_cohort["plan=pro"].conversations == 3
    assert result.by_cohort["locale=en-GB"].conversations == 3
    assert result.policy_versions == [rules_guard.registry.version]
    automated = [c for c, d in decided.items() if not d.handoff.required]
    assert "c-howto" in automated
    assert result.totals.wrongful_automation_rate == pytest.approx(1 / len(automated))
