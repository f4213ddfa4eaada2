"""Building the `EvalReport`: one arm's figures, the gates applied, and ``--compare``.

The report's shape (results.json) is documented in `guardrail.evals.report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from guardrail.evals.config import EvalConfig, GateSpec
from guardrail.evals.judge import RunOutcome
from guardrail.evals.metrics import (
    ARM_METRICS,
    BASE_METRICS,
    Metrics,
    by_cohort,
    by_language,
    by_need_segment,
    by_segment,
    cohort_variants,
    compute,
    contributors,
    disparities,
    language_metrics,
    need_mix,
    short_languages,
    value_bias,
)
from guardrail.evals.report import (
    ArmReport,
    CohortRef,
    Comparison,
    EvalReport,
    FailureReport,
    GateResult,
    LanguageReport,
    MetricDelta,
    MetricTable,
    PreviousRun,
    RunReport,
    ShareChange,
)

__all__ = ["ArmResult", "build_results", "compare_results"]

_EPSILON: Final = 1e-9


@dataclass(frozen=True, slots=True)
class ArmResult:
    """One arm's judged runs and everything derived from them."""

    outcomes: tuple[RunOutcome, ...]
    report: ArmReport
    variants: tuple[str, ...]
    biased: tuple[str, ...]
    short: tuple[str, ...] = ()

    @classmethod
    def build(cls, outcomes: Sequence[RunOutcome], config: EvalConfig) -> ArmResult:
        """Compute the arm's metrics, groups, disparities, value-bias list and languages."""
        metrics: Metrics = compute(outcomes)
        cohorts = by_cohort(outcomes, config.cohort_values())
        spread = disparities(cohorts, config.disparity_tolerance)
        biased = value_bias(outcomes, config.bias_dimensions())
        metrics["max_cohort_gap"] = max((d.gap for d in spread), default=None)
        has_cohorts = any(o.cohort is not None for o in outcomes)
        metrics["value_bias_count"] = float(len(biased)) if has_cohorts else None
        languages = by_language(outcomes)
        minimum = config.min_scenarios_per_language
        metrics.update(language_metrics(languages, minimum))
        return cls(
            outcomes=tuple(outcomes),
            report=ArmReport(
                metrics=metrics,
                by_segment=by_segment(outcomes),
                by_need_segment=by_need_segment(outcomes),
                by_cohort=cohorts,
                disparities=[d.report() for d in spread],
                value_bias=biased,
                need_mix=need_mix(outcomes),
                by_language={
                    code: LanguageReport(scenarios=group.scenarios, runs=group.runs,
                                         min_scenarios=minimum,
                                         enough_scenarios=group.scenarios >= minimum,
                                         metrics=group.metrics)
                    for code, group in languages.items()
                },
            ),
            variants=tuple(cohort_variants(outcomes)),
            biased=tuple(biased),
            short=tuple(short_languages(languages, minimum)),
        )


def _gate(gate: GateSpec, arms: Mapping[str, ArmResult]) -> GateResult:
    arm = arms.get(gate.arm)
    value = arm.report.metrics.get(gate.metric) if arm is not None else None
    if value is None:  # nothing to measure: reported, not failed
        passed, too_high = True, False
    elif gate.op == ">=":
        passed, too_high = value >= gate.threshold - _EPSILON, False
    elif gate.op == "<=":
        passed, too_high = value <= gate.threshold + _EPSILON, True
    else:
        passed, too_high = abs(value - gate.threshold) <= _EPSILON, value > gate.threshold
    ids = [] if arm is None else contributors(
        gate.metric, arm.outcomes, too_high=too_high, variants=arm.variants, biased=arm.biased,
        short=arm.short)
    return GateResult(name=gate.name, metric=gate.metric, arm=gate.arm, op=gate.op,
                      threshold=float(gate.threshold), value=value, passed=passed,
                      scenarios=ids)


def _run(outcome: RunOutcome) -> RunReport:
    cohort = outcome.cohort
    return RunReport(
        id=outcome.run_id, scenario=outcome.scenario_id, file=outcome.file,
        tags=list(outcome.tags),
        cohort=None if cohort is None else CohortRef(dimension=cohort.dimension,
                                                     value=cohort.value),
        passed=outcome.passed,
        failures=[FailureReport(turn=f.turn, check=f.check, expected=f.expected,
                                actual=f.actual) for f in outcome.failures],
        handoff_turn=outcome.handoff_turn, turns=outcome.turns,
    )


def build_results(
    *,
    arms: Mapping[str, ArmResult],
    config: EvalConfig,
    policy_version: str,
    registry: str,
    started_at: str,
    duration_s: float,
    scenarios_total: int,
) -> EvalReport:
    """The report of an eval (``compare`` left None; see `compare_results`)."""
    policy = arms["policy"]
    gates = [_gate(g, arms) for g in config.gates]
    return EvalReport(
        policy_version=policy_version,
        registry=registry,
        started_at=started_at,
        duration_s=duration_s,
        scenarios_total=scenarios_total,
        runs_total=len(policy.outcomes),
        runs_passed=sum(o.passed for o in policy.outcomes),
        passed=all(g.passed for g in gates),
        arms={name: arm.report for name, arm in arms.items()},
        gates=gates,
        runs=[_run(o) for o in policy.outcomes],
    )


def _delta(before: float | None, after: float | None) -> MetricDelta:
    return MetricDelta(before=before, after=after,
                       delta=after - before if after is not None and before is not None else None)


def _segment_delta(before: MetricTable, after: MetricTable) -> dict[str, MetricDelta]:
    return {m: _delta(before.get(m), after.get(m)) for m in BASE_METRICS}


def compare_results(current: EvalReport, previous: EvalReport) -> Comparison:
    """How the policy arm moved since `previous` (an earlier report).

    Runs are matched by id; a run in only one of the two is neither newly failing nor newly
    passing.
    """
    now, then = current.policy, previous.policy
    needs = sorted(set(then.need_mix) | set(now.need_mix))
    segments = sorted(set(then.by_segment) | set(now.by_segment))
    was = {r.id: r.passed for r in previous.runs}
    escalation = _delta(then.metrics.get("escalation_rate"), now.metrics.get("escalation_rate"))
    return Comparison(
        previous=PreviousRun(policy_version=previous.policy_version,
                             started_at=previous.started_at),
        metrics_delta={m: _delta(then.metrics.get(m), now.metrics.get(m)) for m in ARM_METRICS},
        need_mix={n: ShareChange(before=then.need_mix.get(n, 0.0),
                                 after=now.need_mix.get(n, 0.0)) for n in needs},
        escalation_rate=ShareChange(before=escalation.before, after=escalation.after),
        by_segment_delta={s: _segment_delta(then.by_segment.get(s, {}),
                                            now.by_segment.get(s, {})) for s in segments},
        newly_failing=[r.id for r in current.runs if was.get(r.id) is True and not r.passed],
        newly_passing=[r.id for r in current.runs if was.get(r.id) is False and r.passed],
    )
