"""The eval config (``evals/config.yaml``): cohort values, the disparity tolerance, the fewest
scenarios a language may have, gates, and optionally the scenarios it is for.

A gate names a metric of one arm, an operator and a threshold; ``guardrail eval`` exits 1 when
one fails. A gate whose metric has no data (no scenario of that kind, or the baseline arm was
not run) is reported as such and does not fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from guardrail._base import FrozenModel
from guardrail._yaml import load_yaml
from guardrail.errors import RegistryIssue
from guardrail.evals.metrics import ARM_METRICS
from guardrail.evals.schema import EVALS_DIR, ScenarioError

__all__ = [
    "DEFAULT_CONFIG",
    "Arm",
    "CohortDimension",
    "EvalConfig",
    "GateOp",
    "GateSpec",
    "load_config",
]

DEFAULT_CONFIG: Final = EVALS_DIR / "config.yaml"
"""The config ``guardrail eval`` reads when given none (in the source tree's ``evals/``)."""

Arm = Literal["policy", "baseline"]
GateOp = Literal[">=", "<=", "=="]
# The stable context fields a cohort run may replace (customer_id is an identity, not a cohort).
CohortDimension = Literal["plan", "locale", "region", "channel", "sla"]

_DEFAULT_COHORTS: dict[CohortDimension, list[str]] = {
    "plan": ["free", "pro", "enterprise"],
    "locale": ["en-US", "en-GB", "de-DE", "hi-IN"],
    "region": ["US", "EU", "IN"],
    "channel": ["chat", "email", "voice"],
}


class GateSpec(FrozenModel):
    """One pass/fail condition on a metric: ``value <op> threshold``."""

    name: str = Field(min_length=1)
    metric: str = Field(description="A metric of the arm (see guardrail.evals.metrics).")
    arm: Arm = "policy"
    op: GateOp
    threshold: float

    @field_validator("metric")
    @classmethod
    def _known(cls, metric: str) -> str:
        if metric not in ARM_METRICS:
            raise PydanticCustomError("unknown_metric", "unknown metric '{metric}' (known: "
                                      "{known})", {"metric": metric,
                                                   "known": ", ".join(ARM_METRICS)})
        return metric


class EvalConfig(FrozenModel):
    """What `guardrail eval` runs cohorts over and which gates it enforces."""

    cohorts: dict[CohortDimension, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in _DEFAULT_COHORTS.items()},
        description="For scenarios with `cohorts: true`: one more run per value, replacing "
        "that one context field.",
    )
    disparity_tolerance: float = Field(
        default=0.0, ge=0,
        description="A metric's max-min gap across the values of a dimension above this is "
        "flagged (DESIGN principle 5: the same messages get the same decisions, so 0).",
    )
    value_bias_dimensions: list[CohortDimension] | None = Field(
        default=None,
        description="Dimensions under which a high-risk scenario kept in automation for one "
        "value but handed off for another is a failure (default: every cohort dimension).",
    )
    human_segment: str = Field(
        default="human_requested",
        description="The segment that marks an explicit request for a person (the baseline "
        "arm hands off on it).",
    )
    min_scenarios_per_language: int = Field(
        default=40, ge=0,
        description="A language (lang:<code> tag; en without one) with fewer scenarios than "
        "this is counted by the languages_under_min_scenarios metric, so a gate on it can "
        "fail the run; a language with no scenario at all is not counted.",
    )
    gates: list[GateSpec] = Field(default_factory=list)
    scenarios: list[str] | None = Field(
        default=None, min_length=1,
        description="Scenario files or folders, relative to this config file: what `guardrail "
        "eval --config` runs when given no paths, so a config and its scenarios (`guardrail "
        "eval --init`) run from any folder. `load_config` makes them absolute.",
    )

    def bias_dimensions(self) -> list[str]:
        """The dimensions the value-bias check compares across."""
        chosen = self.cohorts if self.value_bias_dimensions is None else self.value_bias_dimensions
        return [str(dimension) for dimension in chosen]

    def cohort_values(self) -> dict[str, list[str]]:
        """`cohorts` keyed by plain strings (dimension -> values, in config order)."""
        return {str(dimension): list(values) for dimension, values in self.cohorts.items()}


def load_config(path: str | Path | None = None) -> EvalConfig:
    """Load and validate an eval config; None: `DEFAULT_CONFIG` if it exists, else the defaults.

    Raises:
        ScenarioError: every problem, with the file and YAML path.
    """
    if path is None:
        if not DEFAULT_CONFIG.is_file():
            return EvalConfig()
        path = DEFAULT_CONFIG
    shown = str(path)
    config, issues = load_yaml(Path(path), EvalConfig, shown)
    if config is None:
        raise ScenarioError(issues, "eval config")
    issues = _check(config, shown)
    if issues:
        raise ScenarioError(issues, "eval config")
    if config.scenarios is not None:
        here = Path(path).resolve().parent
        config = config.model_copy(update={"scenarios": [str(here / s) for s in config.scenarios]})
    return config


def _check(config: EvalConfig, shown: str) -> list[RegistryIssue]:
    issues: list[RegistryIssue] = []
    for dimension, values in config.cohorts.items():
        if not values:
            issues.append(RegistryIssue(shown, f"cohorts.{dimension}", "no values"))
        if len(set(values)) != len(values):
            issues.append(RegistryIssue(shown, f"cohorts.{dimension}", "duplicate values"))
    for i, dimension in enumerate(config.value_bias_dimensions or ()):
        if dimension not in config.cohorts:
            issues.append(RegistryIssue(shown, f"value_bias_dimensions[{i}]",
                                        f"{dimension!r} is not a dimension under cohorts"))
    names: set[str] = set()
    for i, gate in enumerate(config.gates):
        if gate.name in names:
            issues.append(RegistryIssue(shown, f"gates[{i}].name",
                                        f"duplicate gate name {gate.name!r}"))
        names.add(gate.name)
    return issues
