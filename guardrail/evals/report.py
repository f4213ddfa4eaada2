"""`EvalReport`: what an eval found, typed; results.json is its JSON form.

Shape (version 1; keep it stable: ``--compare`` reads earlier files and the HTML report reads
this one)::

    {"version": 1, "policy_version", "registry", "started_at", "duration_s",
     "scenarios_total", "runs_total", "runs_passed", "passed",
     "arms": {"policy": ARM, "baseline": ARM (with --baseline)},
     "gates": [{"name", "metric", "arm", "op", "threshold", "value", "passed", "scenarios"}],
     "runs": [{"id", "scenario", "file", "tags", "cohort", "passed", "failures",
               "handoff_turn", "turns"}],
     "compare": null | COMPARE}
    ARM = {"metrics", "by_segment", "by_need_segment", "by_cohort", "disparities",
           "value_bias", "need_mix", "by_language": {CODE: LANGUAGE}}
    LANGUAGE = {"scenarios", "runs", "min_scenarios", "enough_scenarios", "metrics"}

``runs`` are the policy arm's. ``by_language`` (English first, then by code) has one entry per
language of the scenarios (``lang:<code>`` tag, ``en`` without one): its ``metrics`` are over
the runs as written (one per scenario: ``scenarios`` of them), ``runs`` counts its cohort runs
too, and ``enough_scenarios`` says whether it has at least ``min_scenarios`` (the config's
``min_scenarios_per_language``). It is absent (read as ``{}``) from files written before it.
``need_mix`` (share of turns per decided need-state) is kept so a later ``--compare`` can show
how the mix moved. A gate's ``scenarios`` are the runs that move its metric the wrong way (run
ids; scenario ids for the cohort gates; ``lang:<code>`` for the languages short of scenarios),
whether it passed or not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, JsonValue, ValidationError

from guardrail._base import FrozenModel
from guardrail._yaml import describe
from guardrail.errors import UserError

__all__ = [
    "RESULTS_VERSION",
    "ArmReport",
    "CascadeReport",
    "CohortRef",
    "Comparison",
    "DisparityReport",
    "EvalReport",
    "Extreme",
    "FailureReport",
    "GateResult",
    "LanguageReport",
    "MetricDelta",
    "MetricTable",
    "PreviousRun",
    "RunReport",
    "ShareChange",
    "load_results",
]

RESULTS_VERSION: Final = 1
"""The ``version`` of the results.json this guardrail writes, and the only one it reads."""

MetricTable = dict[str, float | None]
"""Metric name -> value; None when the group has nothing to count."""


class Extreme(FrozenModel):
    """One end of a disparity: the value and the cohort value (group) it was measured under."""

    value: float
    group: str


class DisparityReport(FrozenModel):
    """The spread of one metric across the values of one cohort dimension."""

    metric: str
    dimension: str
    gap: float
    min: Extreme
    max: Extreme
    tolerance: float
    flagged: bool


class LanguageReport(FrozenModel):
    """One language: its scenarios, its runs, and its metrics over the runs as written."""

    scenarios: int
    runs: int
    min_scenarios: int
    enough_scenarios: bool
    metrics: MetricTable


class ArmReport(FrozenModel):
    """One arm's metrics, overall and by group, with its disparities and value-bias list."""

    metrics: MetricTable
    by_segment: dict[str, MetricTable]
    by_need_segment: dict[str, MetricTable]
    by_cohort: dict[str, dict[str, MetricTable]]
    disparities: list[DisparityReport]
    value_bias: list[str]
    need_mix: dict[str, float]
    by_language: dict[str, LanguageReport] = Field(default_factory=dict)


class GateResult(FrozenModel):
    """A gate as it was applied: its condition, the value measured, and the runs to blame."""

    name: str
    metric: str
    arm: Literal["policy", "baseline"]
    op: Literal[">=", "<=", "=="]
    threshold: float
    value: float | None
    passed: bool
    scenarios: list[str]


class CohortRef(FrozenModel):
    """The cohort value a run replaced (one context field)."""

    dimension: str
    value: str


class FailureReport(FrozenModel):
    """One expectation that did not hold (`turn` is 1-based)."""

    turn: int
    check: str
    expected: JsonValue
    actual: JsonValue


class RunReport(FrozenModel):
    """One run of the policy arm: a scenario as written, or under one cohort value."""

    id: str
    scenario: str
    file: str
    tags: list[str]
    cohort: CohortRef | None
    passed: bool
    failures: list[FailureReport]
    handoff_turn: int | None
    turns: int


class MetricDelta(FrozenModel):
    """A metric before and after, and the difference when both exist."""

    before: float | None
    after: float | None
    delta: float | None


class ShareChange(FrozenModel):
    """A share before and after."""

    before: float | None
    after: float | None


class PreviousRun(FrozenModel):
    """Which earlier eval a comparison is against."""

    policy_version: str
    started_at: str


class Comparison(FrozenModel):
    """How the policy arm moved since an earlier results.json (``--compare``)."""

    previous: PreviousRun
    metrics_delta: dict[str, MetricDelta]
    need_mix: dict[str, ShareChange]
    escalation_rate: ShareChange
    by_segment_delta: dict[str, dict[str, MetricDelta]]
    newly_failing: list[str]
    newly_passing: list[str]


class CascadeReport(FrozenModel):
    """How often an LLM cascade (`guardrail.need.CascadeClassifier`) consulted its LLM: user
    turns of every run (cohort runs included) at which the local model was not trusted alone."""

    turns: int = Field(ge=0)
    consulted: int = Field(ge=0)
    share: float | None = Field(description="consulted / turns (None: no turn)")
    by_reason: dict[str, int] = Field(
        description="consulted turns by the first check that held: low_confidence, novel, "
        "language")


class EvalReport(FrozenModel):
    """Everything one ``guardrail eval`` found; `to_json` is the results.json text."""

    version: Literal[1] = RESULTS_VERSION
    policy_version: str
    registry: str
    started_at: str
    duration_s: float
    scenarios_total: int
    runs_total: int
    runs_passed: int
    passed: bool
    arms: dict[str, ArmReport]
    gates: list[GateResult]
    runs: list[RunReport]
    compare: Comparison | None = None
    cascade: CascadeReport | None = None

    @property
    def policy(self) -> ArmReport:
        """The policy arm (always present)."""
        return self.arms["policy"]

    @property
    def baseline(self) -> ArmReport | None:
        """The baseline arm, when it was run."""
        return self.arms.get("baseline")

    def to_json(self) -> str:
        """The results.json text (two-space indent, a final newline)."""
        return json.dumps(self.model_dump(mode="json"), indent=2) + "\n"


def load_results(path: str | Path) -> EvalReport:
    """Read a results.json written by ``guardrail eval --output``.

    Raises:
        UserError: the file is missing, not JSON, or not a version-1 results file.
    """
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != RESULTS_VERSION:
        raise UserError(f"{path}: not a version-{RESULTS_VERSION} results.json of guardrail eval")
    try:
        report = EvalReport.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"{path}: not a version-{RESULTS_VERSION} results.json of guardrail "
                        f"eval ({describe(exc, 'results', limit=3)})") from None
    if "policy" not in report.arms:
        raise UserError(f"{path}: not a version-{RESULTS_VERSION} results.json of guardrail eval "
                        "(no policy arm)")
    return report
