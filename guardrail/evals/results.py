"""results.json: what an eval found, gates included, in the shape the HTML report reads.

Shape (version 1; keep it stable, `guardrail.evals.html` and ``--compare`` depend on it)::

    {"version": 1, "policy_version", "registry", "started_at", "duration_s",
     "scenarios_total", "runs_total", "runs_passed", "passed",
     "arms": {"policy": ARM, "baseline": ARM (with --baseline)},
     "gates": [{"name", "metric", "arm", "op", "threshold", "value", "passed", "scenarios"}],
     "runs": [{"id", "scenario", "file", "tags", "cohort", "passed", "failures",
               "handoff_turn", "turns"}],
     "compare": null | COMPARE}
    ARM = {"metrics", "by_segment", "by_need_segment", "by_cohort", "disparities",
           "value_bias", "need_mix"}

``runs`` are the policy arm's. ``need_mix`` (share of turns per decided need-state) is kept so
a later ``--compare`` can show how the mix moved. A gate's ``scenarios`` are the runs that move
its metric the wrong way (run ids; scenario ids for the cohort gates), whether it passed or not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrail.errors import UserError
from guardrail.evals.config import EvalConfig, GateSpec
from guardrail.evals.judge import RunOutcome
from guardrail.evals.metrics import (
    ARM_METRICS,
    BASE_METRICS,
    Metrics,
    by_cohort,
    by_need_segment,
    by_segment,
    cohort_variants,
    compute,
    contributors,
    disparities,
    need_mix,
    value_bias,
)

__all__ = ["RESULTS_VERSION", "ArmResult", "build_results", "compare_results", "load_results"]

RESULTS_VERSION = 1
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class ArmResult:
    """One arm's judged runs and everything derived from them."""

    outcomes: tuple[RunOutcome, ...]
    json: dict[str, Any]
    variants: tuple[str, ...]
    biased: tuple[str, ...]

    @classmethod
    def build(cls, outcomes: Sequence[RunOutcome], config: EvalConfig) -> ArmResult:
        """Compute the arm's metrics, groups, disparities and value-bias list."""
        metrics: Metrics = compute(outcomes)
        cohorts = by_cohort(outcomes, config.cohort_values())
        spread = disparities(cohorts, config.disparity_tolerance)
        biased = value_bias(outcomes, config.bias_dimensions())
        metrics["max_cohort_gap"] = max((d.gap for d in spread), default=None)
        has_cohorts = any(o.cohort is not None for o in outcomes)
        metrics["value_bias_count"] = float(len(biased)) if has_cohorts else None
        return cls(
            outcomes=tuple(outcomes),
            json={
                "metrics": metrics,
                "by_segment": by_segment(outcomes),
                "by_need_segment": by_need_segment(outcomes),
                "by_cohort": cohorts,
                "disparities": [d.as_json() for d in spread],
                "value_bias": biased,
                "need_mix": need_mix(outcomes),
            },
            variants=tuple(cohort_variants(outcomes)),
            biased=tuple(biased),
        )


def _gate(gate: GateSpec, arms: Mapping[str, ArmResult]) -> dict[str, Any]:
    arm = arms.get(gate.arm)
    value = arm.json["metrics"].get(gate.metric) if arm is not None else None
    if value is None:  # nothing to measure: reported, not failed
        passed, too_high = True, False
    elif gate.op == ">=":
        passed, too_high = value >= gate.threshold - _EPSILON, False
    elif gate.op == "<=":
        passed, too_high = value <= gate.threshold + _EPSILON, True
    else:
        passed, too_high = abs(value - gate.threshold) <= _EPSILON, value > gate.threshold
    ids = [] if arm is None else contributors(
        gate.metric, arm.outcomes, too_high=too_high, variants=arm.variants, biased=arm.biased)
    return {"name": gate.name, "metric": gate.metric, "arm": gate.arm, "op": gate.op,
            "threshold": float(gate.threshold), "value": value, "passed": passed,
            "scenarios": ids}


def _run(outcome: RunOutcome) -> dict[str, Any]:
    cohort = outcome.cohort
    return {
        "id": outcome.run_id, "scenario": outcome.scenario_id, "file": outcome.file,
        "tags": list(outcome.tags),
        "cohort": None if cohort is None else {"dimension": cohort.dimension,
                                               "value": cohort.value},
        "passed": outcome.passed, "failures": [f.as_json() for f in outcome.failures],
        "handoff_turn": outcome.handoff_turn, "turns": outcome.turns,
    }


def build_results(
    *,
    arms: Mapping[str, ArmResult],
    config: EvalConfig,
    policy_version: str,
    registry: str,
    started_at: str,
    duration_s: float,
    scenarios_total: int,
) -> dict[str, Any]:
    """The results.json object (``compare`` left None; see `compare_results`)."""
    policy = arms["policy"]
    gates = [_gate(g, arms) for g in config.gates]
    return {
        "version": RESULTS_VERSION,
        "policy_version": policy_version,
        "registry": registry,
        "started_at": started_at,
        "duration_s": duration_s,
        "scenarios_total": scenarios_total,
        "runs_total": len(policy.outcomes),
        "runs_passed": sum(o.passed for o in policy.outcomes),
        "passed": all(g["passed"] for g in gates),
        "arms": {name: arm.json for name, arm in arms.items()},
        "gates": gates,
        "runs": [_run(o) for o in policy.outcomes],
        "compare": None,
    }


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results.json written by ``guardrail eval --output``.

    Raises:
        UserError: the file is missing, not JSON, or not a version-1 results file.
    """
    try:
        data: Any = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    arms = data.get("arms") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("version") != RESULTS_VERSION
            or not isinstance(arms, dict) or not isinstance(arms.get("policy"), dict)
            or not isinstance(data.get("runs"), list)):
        raise UserError(f"{path}: not a version-{RESULTS_VERSION} results.json of guardrail eval")
    return data


def _delta(before: Any, after: Any) -> dict[str, float | None]:
    b = before if isinstance(before, int | float) else None
    a = after if isinstance(after, int | float) else None
    return {"before": b, "after": a, "delta": a - b if a is not None and b is not None else None}


def compare_results(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """The ``compare`` object: how the policy arm moved since `previous` (a results.json).

    Runs are matched by id; a run in only one of the two is neither newly failing nor newly
    passing.
    """
    now, then = current["arms"]["policy"], previous["arms"]["policy"]
    before_metrics: Mapping[str, Any] = then.get("metrics", {})
    metrics_delta = {m: _delta(before_metrics.get(m), now["metrics"].get(m))
                     for m in ARM_METRICS}
    mix_before: Mapping[str, float] = then.get("need_mix", {})
    mix_after: Mapping[str, float] = now.get("need_mix", {})
    needs = sorted(set(mix_before) | set(mix_after))
    segments_before: Mapping[str, Mapping[str, Any]] = then.get("by_segment", {})
    segments_after: Mapping[str, Mapping[str, Any]] = now.get("by_segment", {})
    by_segment_delta = {
        s: {m: _delta(segments_before.get(s, {}).get(m), segments_after.get(s, {}).get(m))
            for m in BASE_METRICS}
        for s in sorted(set(segments_before) | set(segments_after))
    }
    was = {r.get("id"): r.get("passed") for r in previous["runs"] if isinstance(r, dict)}
    newly_failing = [r["id"] for r in current["runs"] if was.get(r["id"]) is True
                     and not r["passed"]]
    newly_passing = [r["id"] for r in current["runs"] if was.get(r["id"]) is False
                     and r["passed"]]
    escalation = _delta(before_metrics.get("escalation_rate"),
                        now["metrics"].get("escalation_rate"))
    return {
        "previous": {"policy_version": str(previous.get("policy_version", "")),
                     "started_at": str(previous.get("started_at", ""))},
        "metrics_delta": metrics_delta,
        "need_mix": {n: {"before": float(mix_before.get(n, 0.0)),
                         "after": float(mix_after.get(n, 0.0))} for n in needs},
        "escalation_rate": {"before": escalation["before"], "after": escalation["after"]},
        "by_segment_delta": by_segment_delta,
        "newly_failing": newly_failing,
        "newly_passing": newly_passing,
    }
