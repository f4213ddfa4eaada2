"""The per-language section: each language's scenarios, runs and key metrics, with the gap to
English, under the four overall language metrics the gates read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrail.evals.html._format import (
    _cell_colour,
    _change,
    _column_ranges,
    _e,
    _fmt,
    _fmt_delta,
    _fmt_gap,
    _map,
    _metric_label,
    _num,
    _section,
    _value_cell,
)
from guardrail.evals.schema import DEFAULT_LANGUAGE

__all__ = ["language_section"]

# The columns of the table, in order (the per-language metrics the language gates compare).
COLUMNS = (
    "human_escape_success",
    "must_handoff_recall",
    "wrongful_escalation_rate",
    "need_accuracy",
)
# The overall metrics shown above the table: (metric, label, shown as a gap).
HEADLINE = (
    ("language_human_escape_min", "Lowest human escape", False),
    ("language_recall_gap", "Must-handoff recall gap to en", True),
    ("language_wrongful_gap", "Wrongful escalation gap to en", True),
    ("languages_under_min_scenarios", "Languages short of scenarios", False),
)


def _count(value: Any) -> str:
    number = _num(value)
    return "n/a" if number is None else str(int(number))


def _versus(metric: str, value: Any, english: Any) -> str:
    """The small line under a cell: the difference to English, coloured by direction."""
    mine, theirs = _num(value), _num(english)
    if mine is None or theirs is None:
        return ""
    delta = mine - theirs
    title = f"{_fmt(metric, mine)} vs {_fmt(metric, theirs)} in {DEFAULT_LANGUAGE}"
    return (
        f'<span class="base delta {_change(metric, delta)}" title="{_e(title)}">'
        f"{_fmt_delta(metric, delta)} vs {DEFAULT_LANGUAGE}</span>"
    )


def language_section(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """Metrics per language (``by_language``), English first, with each one's gap to English."""
    languages = {str(k): _map(v) for k, v in _map(policy.get("by_language")).items()}
    if not languages:
        return _section(
            "languages", "Languages", '<p class="empty">No per-language metrics in this file.</p>'
        )
    overall = _map(policy.get("metrics"))
    minimum = next(
        (n for entry in languages.values() if (n := _num(entry.get("min_scenarios"))) is not None),
        None,
    )
    facts = []
    for metric, label, is_gap in HEADLINE:
        value = overall.get(metric)
        shown = _fmt_gap(metric, value) if is_gap else _fmt(metric, value)
        if metric == "languages_under_min_scenarios" and minimum is not None:
            label = f"Languages under {int(minimum)} scenarios"
        facts.append(f'<div data-metric="{_e(metric)}"><dt>{label}</dt><dd>{shown}</dd></div>')

    rows = {code: _map(entry.get("metrics")) for code, entry in languages.items()}
    english = rows.get(DEFAULT_LANGUAGE)
    base_languages = _map(baseline.get("by_language")) if baseline is not None else None
    ranges = _column_ranges(rows, COLUMNS)
    head = "<th>Language</th><th>Scenarios</th><th>Runs</th>" + "".join(
        f"<th>{_metric_label(m)}</th>" for m in COLUMNS
    )
    body = []
    for code, entry in languages.items():
        row = rows[code]
        base = (
            _map(_map(base_languages.get(code)).get("metrics"))
            if base_languages is not None
            else None
        )
        short = entry.get("enough_scenarios") is False
        scenarios = _num(entry.get("scenarios"))
        badge = (
            f' <span class="badge fail">under {_count(entry.get("min_scenarios"))}</span>'
            if short
            else ""
        )
        cells = (
            f'<td class="key"><code>{_e(code)}</code></td>'
            f'<td class="num" data-sort="{"" if scenarios is None else int(scenarios)}">'
            f"{_count(scenarios)}{badge}</td>"
            f'<td class="num">{_count(entry.get("runs"))}</td>'
        )
        for metric in COLUMNS:
            extra = ""
            if english is not None and code != DEFAULT_LANGUAGE:
                extra += _versus(metric, row.get(metric), english.get(metric))
            if base is not None and metric in base:
                extra += f'<span class="base">base {_fmt(metric, base.get(metric))}</span>'
            cells += _value_cell(
                metric,
                row.get(metric),
                extra,
                f"background:{_cell_colour(metric, row.get(metric), ranges)}",
            )
        flagged = ' class="flagged"' if short else ""
        body.append(f'<tr{flagged} data-language="{_e(code)}">{cells}</tr>')
    table = (
        '<div class="scroll"><table class="sortable heat" id="language-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
    note = (
        "Policy arm. A scenario's language is its <code>lang:</code> tag (<code>en</code> "
        "without one). The metrics count each scenario once, as written: cohort runs replace the "
        "context, not the language, and are checked under Cohort disparity (they are counted "
        "under Runs). The small figure under a cell is the difference to English; n/a means the "
        "language has no scenario of that kind, which is reported, not failed. A highlighted row "
        "has fewer scenarios than the config asks for."
        + (" Small grey figures marked base are the baseline arm." if base_languages else "")
    )
    return _section(
        "languages",
        "Languages",
        f'<dl class="facts" id="language-gaps">{"".join(facts)}</dl>{table}',
        note,
    )
