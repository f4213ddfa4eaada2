"""A self-contained HTML report of an eval run: results.json (version 1) in, one page out.

`render_html(results)` returns a single HTML document with inline CSS, inline SVG charts drawn
here in Python, and a few lines of inline JS (click a column head to sort, a filter box on long
tables) that the page does not need in order to be read. It loads nothing: no fonts, no
stylesheets, no scripts, no images, and its Content-Security-Policy forbids any fetch and allows
only its own script (by hash), so a string that slipped through escaping still could not run.

Every string taken from the results is escaped: scenario ids, expectations, tags and cohort values
come from user files. Missing optional parts (no baseline arm, no compare, no runs) are shown as
absent rather than failing; a null metric reads "n/a".
"""


from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrail.evals.html._assets import NAV
from guardrail.evals.html._format import (
    _anchor,
    _list,
    _map,
)
from guardrail.evals.html._language import language_section
from guardrail.evals.html._sections import (
    cohort_section,
    drift_section,
    failing_section,
    gates_section,
    header_section,
    need_segment_section,
    overall_section,
    page,
    segment_section,
)
from guardrail.evals.report import EvalReport

__all__ = ["render_html"]


def render_html(results: EvalReport | Mapping[str, Any]) -> str:
    """One self-contained HTML page for an eval report, or a results.json dict (version 1).

    A dict is read tolerantly (it may come from any file): extra keys and missing optional
    parts (no baseline arm, no `compare`, no runs, null metric values: "n/a") are shown as
    absent rather than failing.
    """
    if isinstance(results, EvalReport):
        results = results.model_dump(mode="json")
    arms = _map(results.get("arms"))
    policy = _map(arms.get("policy"))
    baseline_raw = arms.get("baseline")
    baseline = baseline_raw if isinstance(baseline_raw, Mapping) else None
    runs = [_map(r) for r in _list(results.get("runs"))]
    # Where an id in the gates or the drift lists links to: its failing run, or for a scenario
    # id the first failing run of that scenario.
    links: dict[str, str] = {}
    for item in runs:
        if item.get("passed") is not True:
            links.setdefault(str(item.get("scenario", "")), _anchor("run", str(item.get("id", ""))))
    for item in runs:
        if item.get("passed") is not True:
            links[str(item.get("id", ""))] = _anchor("run", str(item.get("id", "")))

    title = f"guardrail eval: {results.get('policy_version', 'n/a')}"
    passed = results.get("passed")
    verdict = "passed" if passed is True else "FAILED" if passed is False else "no verdict"
    return page(
        title=f"{title} ({verdict})",
        heading="Guardrail eval report",
        header=header_section(results, runs),
        nav=NAV,
        sections=[
            gates_section(results, links),
            overall_section(policy, baseline),
            segment_section(policy, baseline),
            need_segment_section(policy, baseline),
            language_section(policy, baseline),
            cohort_section(policy, baseline),
            drift_section(results, links),
            failing_section(runs),
        ],
        generated_by="guardrail eval from results.json",
    )
