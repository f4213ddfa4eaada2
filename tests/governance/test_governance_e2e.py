"""Issue 18's done-when: two simulated weeks of live traffic (1,200 + 600 conversations) through
the engine with a SQLite history store, an audit log and a 30% holdout; outcomes recorded with a
planted ground truth (`tests/governance/_simulate.py`); then ``guardrail report`` (the real CLI,
in a subprocess) must find exactly the planted problems and point the holdout comparison the
right way:

* the segment that automates badly (``incident``) and no other: a wrongful-automation alert;
* the cohort with slower escalation (``region=APAC``) and no other: a time-to-human alert;
* the one unsafe action: an incident alert;
* friction (repeat contacts): the policy arm reopens less than the holdout, significantly;
* ``billing``: the policy arm reopens more than the holdout: the one "worse" segment;
* ``--compare`` against the week before shows the need mix moving towards incidents.

Every expected figure is computed here from what the simulation played and planted, never
copied from a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail
from guardrail.audit import AuditLog
from tests.governance._simulate import Plan, Played, Truth, simulate

NOW = datetime.now(UTC).replace(microsecond=0)
WEEK = NOW - timedelta(days=8)
BEFORE = WEEK - timedelta(days=7)


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth, Truth, Path]:
    root = tmp_path_factory.mktemp("governance")
    policy = root / "policy"
    policy.mkdir()
    (policy / "00-holdout.yaml").write_text(
        "extends: default\nsettings:\n  governance:\n    holdout:\n      share: 0.3\n",
        encoding="utf-8")
    guard = Guardrail(policy, store=f"sqlite:///{root / 'history.db'}")
    audit = AuditLog(root / "audit.jsonl")
    previous = simulate(guard, audit, BEFORE, Plan(
        conversations=600, mix={"how_to": 0.35, "billing": 0.25, "incident": 0.05,
                                "friction": 0.15, "dispute": 0.12, "human": 0.08},
        bad_segment=None, slow_cohort=None, hurt_segment=None, unsafe_actions=0, seed=17),
        prefix="w0")
    week = simulate(guard, audit, WEEK, Plan(), prefix="w1")
    guard.close()
    return root, week, previous, policy


def _report(root: Path, policy: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = root / f"report-{len(extra)}.json"
    sink = root / "alerts.jsonl"
    sink.unlink(missing_ok=True)
    args = [sys.executable, "-m", "guardrail", "report", "--audit", str(root / "audit.jsonl"),
            "--store", f"sqlite:///{root / 'history.db'}", "--registry", str(policy),
            "--since", WEEK.isoformat(), "--until", (WEEK + timedelta(days=7)).isoformat(),
            "--json", str(out), "--alert-sink", str(sink), *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)
    assert out.exists(), done.stderr
    alerts = sink.read_text(encoding="utf-8") if sink.exists() else ""
    return done.returncode, json.loads(out.read_text(encoding="utf-8")), alerts


def _in(segment: str) -> Callable[[Played], bool]:
    return lambda p: segment in p.decision.segment_ids() or segment in p.decision.held_out


def _rate(truth: Truth, pick: Callable[[Played], bool]) -> float:
    automated = truth.automated(pick)
    return sum(p.id in truth.reopened for p in automated) / len(automated)


def test_the_report_finds_exactly_the_planted_problems(
    traffic: tuple[Path, Truth, Truth, Path],
) -> None:
    root, week, _, policy = traffic
    code, report, sent = _report(root, policy)
    assert code == 1  # alerts fired: a scheduled job pages someone
    assert report["totals"]["conversations"] == len(week.played)

    kinds = {(a["kind"], a["subject"]) for a in report["alerts"]}
    assert ("wrongful_automation", "incident") in kinds
    assert ("time_to_human_gap", "region=APAC") in kinds
    assert ("incident", "unsafe_action") in kinds
    assert ("holdout_worse", "billing") in kinds
    # exactly those: no other segment, cohort or incident kind is flagged
    assert kinds == {("wrongful_automation", "incident"), ("time_to_human_gap", "region=APAC"),
                     ("incident", "unsafe_action"), ("holdout_worse", "billing")}
    assert len(sent.splitlines()) == len(report["alerts"])  # each alert went to the sink

    # the figures behind them are the planted ones
    incident = report["by_segment"]["incident"]
    assert incident["wrongful_automation_rate"] == pytest.approx(_rate(week, _in("incident")))
    for segment, metrics in report["by_segment"].items():
        if segment != "incident" and metrics["conversations"] >= 30 and (
                metrics.get("wrongful_automation_rate") is not None):
            assert metrics["wrongful_automation_rate"] <= 0.15, segment
    apac = report["by_cohort"]["region=APAC"]["time_to_human_minutes"]["median"]
    others = sorted(m for p in week.played if (m := week.handed_off.get(p.id)) is not None
                    and p.cohort["region"] != "APAC")
    assert apac - others[len(others) // 2] > 15


def test_the_holdout_comparison_points_the_right_way(
    traffic: tuple[Path, Truth, Truth, Path],
) -> None:
    root, week, _, policy = traffic
    _, report, _ = _report(root, policy)
    assert report["by_arm"]["holdout"]["conversations"] == sum(
        p.decision.arm == "holdout" for p in week.played)

    def diff(scope: str, metric: str) -> dict[str, Any]:
        return next(d for d in report["arm_differences"]
                    if d["scope"] == scope and d["metric"] == metric)

    friction = diff("segment:repeat_issue", "reopen_rate")
    assert friction["policy"] < friction["holdout"]
    assert friction["ci_high"] < 0  # significantly better under the policy
    assert friction["method"]
    billing = diff("segment:billing", "reopen_rate")
    assert billing["policy"] > billing["holdout"]
    assert billing["ci_low"] > 0
    assert report["worse_segments"] == ["billing"]


def test_compare_shows_the_need_mix_moving_towards_incidents(
    traffic: tuple[Path, Truth, Truth, Path],
) -> None:
    root, week, previous, policy = traffic
    _, report, _ = _report(root, policy, "--compare-since", BEFORE.isoformat(),
                           "--compare-until", (BEFORE + timedelta(days=7)).isoformat())
    mix = report["drift"]["need_mix"]

    def share(truth: Truth, need: str) -> float:
        return sum(p.decision.need_state == need for p in truth.played) / len(truth.played)

    assert share(week, "incident") > share(previous, "incident") + 0.05  # planted, and played
    for need, moved in mix.items():
        assert moved["before"] == pytest.approx(share(previous, need))
        assert moved["after"] == pytest.approx(share(week, need))
    assert max(mix, key=lambda need: mix[need]["delta"]) == "incident"
    escalated = report["drift"]["escalation_rate"]
    assert escalated["before"] == pytest.approx(
        sum(p.decision.handoff.required for p in previous.played) / len(previous.played))
