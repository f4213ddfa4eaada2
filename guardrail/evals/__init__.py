"""The scenario eval suite behind ``guardrail eval`` and ``guardrail drift``.

    schema.py    scenario files: models, `load_scenarios` (every problem, with file and path)
    config.py    evals/config.yaml: cohort values, disparity tolerance, scenarios per language,
                 gates
    runner.py    play runs (scenario x cohort) through the engine; a process pool for many
    judge.py     expectations per arm (policy, baseline) -> `RunOutcome`
    metrics.py   metric definitions; groups by segment, need x segment, cohort, language;
                 disparities and the gaps between languages
    report.py    `EvalReport`: the typed results (results.json is its JSON form), `load_results`
    results.py   building the report: arm figures, gates, ``--compare``
    suite.py     `run_eval`: all of the above in order
    junit.py     junit.xml;  summary.py  the terminal view;  drift.py  production drift
    html/        report.html (`render_html(report)`), imported only when writing it
"""

from guardrail.evals.config import EvalConfig, GateSpec, load_config
from guardrail.evals.drift import compare_batches, read_batch
from guardrail.evals.junit import junit_xml
from guardrail.evals.metrics import ARM_METRICS, BASE_METRICS, LANGUAGE_METRICS
from guardrail.evals.report import RESULTS_VERSION, EvalReport, load_results
from guardrail.evals.results import compare_results
from guardrail.evals.schema import Scenario, ScenarioError, ScenarioFile, load_scenarios
from guardrail.evals.suite import run_eval

__all__ = [
    "ARM_METRICS",
    "BASE_METRICS",
    "LANGUAGE_METRICS",
    "RESULTS_VERSION",
    "EvalConfig",
    "EvalReport",
    "GateSpec",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "compare_batches",
    "compare_results",
    "junit_xml",
    "load_config",
    "load_results",
    "load_scenarios",
    "read_batch",
    "run_eval",
]
