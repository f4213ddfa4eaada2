"""`run_eval`: scenarios in, the `EvalReport` out (play, judge per arm, measure, gate)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from guardrail._progress import progress_bar
from guardrail.errors import UserError
from guardrail.evals.config import EvalConfig
from guardrail.evals.judge import ArmName, judge, views
from guardrail.evals.report import CascadeReport, EvalReport
from guardrail.evals.results import ArmResult, build_results
from guardrail.evals.runner import PARALLEL_THRESHOLD, RunTrace, expand_runs, play_all
from guardrail.evals.schema import Scenario
from guardrail.need import CascadeClassifier, NeedClassifier
from guardrail.registry import Registry

__all__ = ["cascade_report", "run_eval"]


def run_eval(
    scenarios: Sequence[Scenario],
    *,
    registry: Registry | None = None,
    config: EvalConfig | None = None,
    need_model: NeedClassifier | str | Path | None = "default",
    baseline: bool = False,
    jobs: int | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    progress: bool | None = None,
    now: datetime | None = None,
) -> EvalReport:
    """Run every scenario (and its cohort runs) and return what they found.

    Args:
        scenarios: from `load_scenarios` (validated against the same registry).
        registry: the policy under test (default: the shipped one).
        config: cohorts, tolerance and gates (default: `EvalConfig()`, no gates).
        need_model: ``"default"``, a model folder, a need classifier, or None for the rules
            alone. With a `CascadeClassifier` the report says how often it consulted its LLM
            (`EvalReport.cascade`).
        baseline: also judge the runs under the baseline arm (no segmentation).
        jobs: worker processes (default: the number of cores); 1 runs sequentially.
        parallel_threshold: at most this many runs are played without a process pool.
        progress: show a progress bar on stderr (default: when stderr is a terminal).
        now: when scenarios with no ``at`` happen (default: the start of the eval).

    Raises:
        UserError: the config names a human segment the registry does not have.
    """
    registry = registry or Registry.default()
    config = config or EvalConfig()
    if config.human_segment not in registry.segment_by_id:
        raise UserError(f"eval config: human_segment {config.human_segment!r} is not a segment "
                        f"of the registry in {registry.source}")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    runs = expand_runs(scenarios, config.cohort_values())
    show = sys.stderr.isatty() if progress is None else progress
    with _progress_bar(len(runs), show) as advance:
        traces = play_all(runs, registry, need_model=need_model, now=now or started, jobs=jobs,
                          parallel_threshold=parallel_threshold, progress=advance)
    names: list[ArmName] = ["policy", "baseline"] if baseline else ["policy"]
    arms: dict[str, ArmResult] = {
        arm: ArmResult.build(
            [judge(t, views(t, arm, registry, config.human_segment), config.human_segment)
             for t in traces],
            config,
        )
        for arm in names
    }
    report = build_results(
        arms=arms, config=config, policy_version=registry.version, registry=registry.source,
        started_at=started.isoformat(), duration_s=round(time.perf_counter() - clock, 3),
        scenarios_total=len(scenarios),
    )
    if isinstance(need_model, CascadeClassifier):
        report = report.model_copy(update={"cascade": cascade_report(traces)})
    return report


def cascade_report(traces: Sequence[RunTrace]) -> CascadeReport:
    """How many played user turns an LLM cascade sent to its LLM, and why."""
    turns = [turn for trace in traces for turn in trace.turns]
    reasons = Counter(turn.llm for turn in turns if turn.llm)
    consulted = sum(reasons.values())
    return CascadeReport(turns=len(turns), consulted=consulted,
                         share=consulted / len(turns) if turns else None,
                         by_reason=dict(sorted(reasons.items())))


@contextmanager
def _progress_bar(total: int, show: bool) -> Iterator[Callable[[int], None] | None]:
    if not show:
        yield None
        return
    with progress_bar("scenario runs", total) as advance:
        yield advance
