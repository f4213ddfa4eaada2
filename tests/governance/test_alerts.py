"""`check_alerts` against the shipped thresholds, and alert events in a JSONL sink."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail.errors import UserError
from guardrail.governance import Outcome
from guardrail.governance.alerts import ALERT_EVENT, check_alerts
from guardrail.governance.delivery import deliver_alerts
from guardrail.registry import Registry
from tests.governance.test_report import T0, arms_population, decision, outcome, report


def handoffs(plan: str, n: int, minutes: float, start: int = 0) -> tuple[list[Any], list[Outcome]]:
    """`n` conversations on `plan`, handed off at once, a human after `minutes`."""
    records, outcomes = [], []
    for i in range(start, start + n):
        cid = f"{plan}-{i}"
        records.append(decision(cid, T0, handoff=True, segments=["lockout"], cohort={"plan": plan}))
        outcomes.append(outcome(cid, "handed_off", T0,
                                first_human_at=T0 + timedelta(minutes=minutes)))
    return records, outcomes


def test_no_alert_on_a_quiet_period(registry: Registry) -> None:
    records, outcomes = handoffs("pro", 40, 5)
    assert report(records, outcomes, registry).alerts == []


def test_wrongful_automation_above_the_threshold(registry: Registry) -> None:
    alerts = registry.settings.governance.alerts
    n = alerts.min_conversations
    bad = int(n * alerts.wrongful_automation_rate) + 2  # type: ignore[operator]
    records, outcomes = arms_population("billing", n, policy_bad=bad, holdout_bad=bad)
    policy = [r for r in records if r.arm == "policy"]
    fired = report(policy, outcomes, registry).alerts
    assert [(a.kind, a.subject) for a in fired] == [("wrongful_automation", "billing")]
    assert fired[0].value == pytest.approx(bad / n)
    assert fired[0].threshold == alerts.wrongful_automation_rate
    # One conversation fewer than min_conversations: reported, never alerted on.
    few = [r for r in policy if r.conversation_id != "policy-0"]
    assert report(few, outcomes, registry).alerts == []


def test_a_slower_cohort_alerts_on_the_gap_to_the_others(registry: Registry) -> None:
    alerts = registry.settings.governance.alerts
    n, gap = alerts.min_conversations, alerts.time_to_human_gap_minutes
    assert gap is not None
    slow, slow_out = handoffs("free", n, 5 + gap + 1)
    fast, fast_out = handoffs("pro", n // 2, 5)
    fast2, fast2_out = handoffs("team", n - n // 2, 5)
    result = report(slow + fast + fast2, slow_out + fast_out + fast2_out, registry)
    fired = [a for a in result.alerts if a.kind == "time_to_human_gap"]
    assert [a.subject for a in fired] == ["plan=free"]
    assert fired[0].value == pytest.approx(gap + 1)
    # Within the threshold: no alert.
    near, near_out = handoffs("free", n, 5 + gap)
    assert not report(near + fast + fast2, near_out + fast_out + fast2_out, registry).alerts


def test_listed_incidents_alert_once_per_kind(registry: Registry) -> None:
    records = [decision(f"c{i}", T0) for i in range(3)]
    outcomes = [outcome(f"c{i}", "incident", T0, incident="unsafe_action") for i in range(3)]
    outcomes.append(outcome("c0", "incident", T0, incident="biased_routing"))
    fired = report(records, outcomes, registry).alerts
    listed = registry.settings.governance.alerts.incidents
    assert [(a.kind, a.subject, a.value) for a in fired] == [
        ("incident", kind, 3 if kind == "unsafe_action" else 1)
        for kind in sorted(listed) if kind in ("unsafe_action", "biased_routing")]


def test_holdout_worse_alerts_per_worse_segment(registry: Registry) -> None:
    n = registry.settings.governance.alerts.min_conversations + 20
    # Few wrong in either arm's absolute terms (below the wrongful-automation threshold)...
    records, outcomes = arms_population("billing", n, policy_bad=n // 8, holdout_bad=0)
    result = report(records, outcomes, registry)
    fired = [a for a in result.alerts if a.kind == "holdout_worse"]
    assert result.worse_segments == ["billing"]
    assert [a.subject for a in fired] == ["billing"]
    assert "wrongful_automation_rate" in fired[0].message
    assert check_alerts(result, registry) == result.alerts


def test_alert_events_are_appended_to_a_jsonl_sink(tmp_path: Path, registry: Registry) -> None:
    records = [decision("c0", T0)]
    result = report(records, [outcome("c0", "incident", T0, incident="unsafe_action")], registry)
    sink = tmp_path / "alerts.jsonl"
    assert deliver_alerts(result, sink) == 1
    assert deliver_alerts(result, sink) == 1
    events = [json.loads(line) for line in sink.read_text().splitlines()]
    assert len(events) == 2
    assert events[0]["event"] == ALERT_EVENT
    assert events[0]["kind"] == "incident"
    assert events[0]["subject"] == "unsafe_action"
    assert events[0]["period"] == result.to_json()["period"]
    quiet = report(records, [], registry)
    assert deliver_alerts(quiet, tmp_path / "none.jsonl") == 0
    assert not (tmp_path / "none.jsonl").exists()
    with pytest.raises(UserError, match="not supported"):
        deliver_alerts(result, "ftp://pager.example/hook")
    with pytest.raises(UserError, match="cannot write"):
        deliver_alerts(result, tmp_path / "missing" / "alerts.jsonl")
