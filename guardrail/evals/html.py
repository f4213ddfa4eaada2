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

import base64
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any, Literal

from guardrail.evals.metrics import BASE_METRICS

__all__ = ["render_html"]

# The metrics the runner writes, in the order the report lists them; unknown ones follow, sorted.
METRIC_ORDER = BASE_METRICS
# Which way is good news, for colours and arrows. escalation_rate and sensitive_containment are
# neither: a handoff is right for some traffic and wrong for other, and the policy hands
# sensitive conversations to people on purpose, so their changes are shown uncoloured.
HIGHER_IS_BETTER = frozenset(
    {
        "need_accuracy",
        "need_macro_f1",
        "must_handoff_recall",
        "human_escape_success",
    }
)
LOWER_IS_BETTER = frozenset(
    {
        "wrongful_automation_rate",
        "wrongful_escalation_rate",
        "policy_breach_rate",
        "human_escape_turns",
        "time_to_human_turns",
        "max_cohort_gap",
        "value_bias_count",
    }
)

Kind = Literal["pct", "score", "turns", "number"]
_PCT_WORDS = ("rate", "recall", "accuracy", "success", "containment")

POLICY_COLOUR = "#2563eb"
BASELINE_COLOUR = "#9ca3af"
# How many scenario ids a table cell lists before folding the rest into a <details>.
_IDS_SHOWN = 5


# ---------------------------------------------------------------------------------------------
# Small helpers: escaping, numbers, formatting
# ---------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """`value` as text, escaped for element content and quoted attribute values alike."""
    return escape(value if isinstance(value, str) else str(value), quote=True)


def _num(value: Any) -> float | None:
    """A finite number, or None for null, NaN, infinities, booleans and anything not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _kind(metric: str) -> Kind:
    if metric.endswith("_turns"):
        return "turns"
    if "f1" in metric:
        return "score"
    if any(word in metric for word in _PCT_WORDS):
        return "pct"
    return "number"


def _is_fraction(metric: str) -> bool:
    """Whether the metric lives on a fixed 0..1 scale (percentages and F1)."""
    return _kind(metric) in ("pct", "score")


def _fmt(metric: str, value: Any) -> str:
    """A metric value as the page shows it (not escaped: the result holds only safe characters)."""
    number = _num(value)
    if number is None:
        return "n/a"
    kind = _kind(metric)
    if kind == "pct":
        return f"{number * 100:.1f}%"
    if kind == "score":
        return f"{number:.3f}"
    if kind == "turns":
        return f"{number:.2f}"
    return f"{number:.4g}"


def _fmt_delta(metric: str, value: Any) -> str:
    """A signed difference: percentage points for percentages."""
    number = _num(value)
    if number is None:
        return "n/a"
    kind = _kind(metric)
    if kind == "pct":
        number, text = number * 100, "{:+.1f} pp"
    elif kind == "score":
        text = "{:+.3f}"
    elif kind == "turns":
        text = "{:+.2f}"
    else:
        text = "{:+.4g}"
    shown = text.format(number)
    # "+0.0 pp" and "-0.0 pp" both mean no change at the shown precision.
    if shown.lstrip("+-").strip("0. p") == "":
        return "&plusmn;" + shown.lstrip("+-")
    return shown.replace("-", "&minus;", 1)


def _fmt_gap(metric: str, value: Any) -> str:
    """An unsigned gap between two groups."""
    number = _num(value)
    if number is None:
        return "n/a"
    if _kind(metric) == "pct":
        return f"{number * 100:.1f} pp"
    return _fmt(metric, number)


def _fmt_share(value: Any, as_percent: bool) -> str:
    number = _num(value)
    if number is None:
        return "n/a"
    return f"{number * 100:.1f}%" if as_percent else f"{number:.4g}"


def _change(metric: str, delta: Any) -> Literal["better", "worse", "same", "neutral", "na"]:
    """Whether a positive-or-negative change of `metric` is good news."""
    number = _num(delta)
    if number is None:
        return "na"
    if abs(number) < 1e-12:
        return "same"
    if metric in HIGHER_IS_BETTER:
        return "better" if number > 0 else "worse"
    if metric in LOWER_IS_BETTER:
        return "better" if number < 0 else "worse"
    return "neutral"


def _arrow(delta: Any) -> str:
    number = _num(delta)
    if number is None or abs(number) < 1e-12:
        return "&#9644;" if number is not None else ""
    return "&#9650;" if number > 0 else "&#9660;"


def _delta_cell(metric: str, delta: Any, title: str = "") -> str:
    change = _change(metric, delta)
    number = _num(delta)
    sort = "" if number is None else f"{number:.9g}"
    title_attr = f' title="{_e(title)}"' if title else ""
    return (
        f'<td class="num delta {change}" data-sort="{sort}"{title_attr}>'
        f'<span class="arrow" aria-hidden="true">{_arrow(delta)}</span> '
        f"{_fmt_delta(metric, delta)}</td>"
    )


def _value_cell(metric: str, value: Any, extra: str = "", style: str = "") -> str:
    number = _num(value)
    sort = "" if number is None else f"{number:.9g}"
    cls = "num na" if number is None else "num"
    style_attr = f' style="{style}"' if style else ""
    return f'<td class="{cls}" data-sort="{sort}"{style_attr}>{_fmt(metric, value)}{extra}</td>'


def _ordered_metrics(names: Iterable[str]) -> list[str]:
    present = {n for n in names if isinstance(n, str)}
    known = [m for m in METRIC_ORDER if m in present]
    return known + sorted(present - set(METRIC_ORDER))


def _metric_names(*tables: Mapping[str, Any]) -> list[str]:
    names: set[str] = set()
    for table in tables:
        names.update(k for k in table if isinstance(k, str))
    return _ordered_metrics(names)


def _metric_label(metric: str) -> str:
    return _e(metric.replace("_", " "))


def _fmt_time(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "n/a"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _e(value)
    shown = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is not None:
        shown += " UTC" if offset.total_seconds() == 0 else moment.strftime(" %z")
    return _e(shown)


def _fmt_duration(value: Any) -> str:
    seconds = _num(value)
    if seconds is None:
        return "n/a"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {rest:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def _fmt_any(value: Any) -> str:
    """An expected/actual value from a check, as escaped text."""
    if isinstance(value, str):
        return _e(value)
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return _e(text)


def _anchor(prefix: str, key: str) -> str:
    """A safe, stable element id for an arbitrary (user-supplied) key."""
    return f"{prefix}-{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()[:12]}"


def _ids(ids: Sequence[Any], links: Mapping[str, str] | None = None) -> str:
    """A list of ids as <code> chips, linked to `links[id]` where given; past a few, the rest
    fold into a <details>."""
    items = [str(i) for i in ids]
    if not items:
        return '<span class="muted">&mdash;</span>'

    def chip(item: str) -> str:
        if links is not None and item in links:
            return f'<a href="#{links[item]}"><code>{_e(item)}</code></a>'
        return f"<code>{_e(item)}</code>"

    head = " ".join(chip(i) for i in items[:_IDS_SHOWN])
    if len(items) <= _IDS_SHOWN:
        return head
    rest = " ".join(chip(i) for i in items[_IDS_SHOWN:])
    return f"{head} <details><summary>{len(items) - _IDS_SHOWN} more</summary>{rest}</details>"


def _goodness(metric: str, value: float, low: float, high: float) -> float | None:
    """0 (poor) .. 1 (good) for colouring, or None when the metric has no good direction.

    Fractions use a steep curve (x**4) so that, say, 80% recall or a 20% breach rate already
    reads as poor; turns are coloured relative to the other rows of the same column.
    """
    if metric not in HIGHER_IS_BETTER and metric not in LOWER_IS_BETTER:
        return None
    if _is_fraction(metric):
        good = min(max(value, 0.0), 1.0)
        if metric in LOWER_IS_BETTER:
            good = 1.0 - good
        return float(good**4)
    if high - low < 1e-12:
        return None
    good = (value - low) / (high - low)
    return 1.0 - good if metric in LOWER_IS_BETTER else good


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


_POOR = (248, 180, 180)
_MIDDLING = (253, 230, 138)
_GOOD = (187, 247, 208)
_NEUTRAL = "#eef2f7"


def _heat(goodness: float | None) -> str:
    if goodness is None:
        return _NEUTRAL
    if goodness < 0.5:
        r, g, b = _blend(_POOR, _MIDDLING, goodness * 2)
    else:
        r, g, b = _blend(_MIDDLING, _GOOD, (goodness - 0.5) * 2)
    return f"#{r:02x}{g:02x}{b:02x}"


def _column_ranges(
    rows: Mapping[str, Mapping[str, Any]], metrics: Sequence[str]
) -> dict[str, tuple[float, float]]:
    ranges: dict[str, tuple[float, float]] = {}
    for metric in metrics:
        values = [v for row in rows.values() if (v := _num(_map(row).get(metric))) is not None]
        if values:
            ranges[metric] = (min(values), max(values))
    return ranges


def _cell_colour(metric: str, value: Any, ranges: Mapping[str, tuple[float, float]]) -> str:
    number = _num(value)
    if number is None:
        return _NEUTRAL
    low, high = ranges.get(metric, (number, number))
    return _heat(_goodness(metric, number, low, high))


def _text_width(text: str, size: float = 12) -> float:
    """A rough width of `text` in the page's sans-serif font, for laying out SVG labels."""
    return len(text) * size * 0.58


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


def _section(anchor: str, title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f'<section id="{anchor}"><h2>{title}</h2>{note_html}{body}</section>'


def _header(results: Mapping[str, Any], runs: list[Mapping[str, Any]]) -> str:
    passed = results.get("passed")
    gates = [_map(g) for g in _list(results.get("gates"))]
    gates_failed = sum(1 for g in gates if g.get("passed") is not True)
    runs_total = _num(results.get("runs_total"))
    runs_passed = _num(results.get("runs_passed"))
    if runs_total is None:
        runs_total = float(len(runs))
    if runs_passed is None:
        runs_passed = float(sum(1 for r in runs if r.get("passed") is True))
    runs_failed = int(runs_total) - int(runs_passed)

    if passed is True:
        verdict, cls = "PASSED", "pass"
    elif passed is False:
        verdict, cls = "FAILED", "fail"
    else:
        verdict, cls = "NO VERDICT", "unknown"
    parts = []
    if gates:
        parts.append(
            "all gates passed"
            if gates_failed == 0
            else f"{gates_failed} of {len(gates)} gate{'s' if len(gates) != 1 else ''} failed"
        )
    else:
        parts.append("no gates configured")
    parts.append(
        "every run passed"
        if runs_failed <= 0
        else f"{runs_failed} run{'s' if runs_failed != 1 else ''} failed"
    )
    share = f" ({runs_passed / runs_total * 100:.1f}%)" if runs_total > 0 else ""
    facts = [
        ("Policy version", f"<code>{_e(results.get('policy_version', 'n/a'))}</code>"),
        ("Registry", _e(results.get("registry", "n/a"))),
        ("Started", _fmt_time(results.get("started_at"))),
        ("Duration", _fmt_duration(results.get("duration_s"))),
        ("Runs passed", f"{int(runs_passed)} / {int(runs_total)}{share}"),
        ("Scenarios", _e(results.get("scenarios_total", "n/a"))),
    ]
    facts_html = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    version = results.get("version")
    warning = (
        f'<p class="warn">This page reads results.json version 1; this file says version '
        f"{_e(version)}. Some parts may be missing.</p>"
        if version != 1
        else ""
    )
    return (
        f'<header><div class="banner {cls}" id="verdict" role="status">'
        f'<span class="verdict">{verdict}</span><span class="why">{_e("; ".join(parts))}</span>'
        f'</div><dl class="facts">{facts_html}</dl>{warning}</header>'
    )


_OPS = {">=": "&ge;", "<=": "&le;", "==": "=", ">": "&gt;", "<": "&lt;"}


def _gates(results: Mapping[str, Any], links: Mapping[str, str]) -> str:
    gates = [_map(g) for g in _list(results.get("gates"))]
    if not gates:
        return _section("gates", "Gates", '<p class="empty">No gates configured.</p>')
    rows = []
    for gate in gates:
        metric = str(gate.get("metric", ""))
        ok = gate.get("passed") is True
        op = str(gate.get("op", ""))
        if not ok:
            result = '<span class="badge fail">FAIL</span>'
        elif _num(gate.get("value")) is None:
            # The runner passes a gate whose metric has no data; say so rather than "pass".
            result = '<span class="badge neutral">no data</span>'
        else:
            result = '<span class="badge pass">pass</span>'

        # Contributing ids are run ids (scenario ids for the cohort gates); a failing one links
        # to its row under "Failing runs".
        scenarios = _list(gate.get("scenarios"))
        rows.append(
            f'<tr class="gate {"pass" if ok else "fail"}" data-gate="{_e(gate.get("name", ""))}">'
            f"<td class=\"gate-name\">{_e(gate.get('name', ''))}</td>"
            f"<td><code>{_e(metric)}</code></td>"
            f"<td>{_e(gate.get('arm', ''))}</td>"
            f'<td class="op">{_OPS.get(op, _e(op))}</td>'
            f"{_value_cell(metric, gate.get('threshold'))}"
            f"{_value_cell(metric, gate.get('value'))}"
            f'<td data-sort="{int(ok)}">{result}</td>'
            f'<td class="ids">{_ids(scenarios, links)}</td></tr>'
        )
    head = (
        "<thead><tr><th>Gate</th><th>Metric</th><th>Arm</th><th>Op</th><th>Threshold</th>"
        "<th>Value</th><th>Result</th><th>Contributing runs</th></tr></thead>"
    )
    table = f'<table class="sortable" id="gates-table">{head}<tbody>{"".join(rows)}</tbody></table>'
    return _section("gates", "Gates", table)


def _bar_chart(
    metrics: Sequence[str],
    series: Sequence[tuple[str, str, Mapping[str, Any]]],
    chart_id: str,
    label: str,
) -> str:
    """Horizontal bars: one group per metric, one bar per series (name, colour, values).

    Percentages and F1 share a fixed 0..100% scale (the grey track is 100%); turns and other
    numbers are scaled to the largest value in their own group, marked "own scale".
    """
    label_w = max([_text_width(m.replace("_", " ")) for m in metrics] + [120]) + 16
    track_w, value_w = 330.0, 70.0
    bar_h, gap, group_gap, top = 14.0, 3.0, 14.0, 30.0
    width = label_w + track_w + value_w
    group_h = len(series) * bar_h + (len(series) - 1) * gap
    height = top + len(metrics) * (group_h + group_gap) + 4
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-label="{_e(label)}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}">'
    ]
    x = label_w
    for name, colour, _ in series:
        parts.append(
            f'<rect x="{x:.0f}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16:.0f}" y="16" class="legend">{_e(name)}</text>'
        )
        x += _text_width(name) + 40
    y = top
    for metric in metrics:
        values = [_num(_map(vals).get(metric)) for _, _, vals in series]
        fixed = _is_fraction(metric)
        peak = max([v for v in values if v is not None] + [0.0])
        scale = 1.0 if fixed else (peak * 1.1 if peak > 0 else 1.0)
        centre = y + group_h / 2
        parts.append(
            f'<text x="{label_w - 8:.0f}" y="{centre + 4:.1f}" text-anchor="end" class="label">'
            f"{_metric_label(metric)}</text>"
        )
        if not fixed:
            parts.append(
                f'<text x="{label_w - 8:.0f}" y="{centre + 15:.1f}" text-anchor="end" '
                f'class="sublabel">own scale</text>'
            )
        for (name, colour, _), value in zip(series, values, strict=True):
            parts.append(
                f'<rect x="{label_w:.0f}" y="{y:.1f}" width="{track_w:.0f}" height="{bar_h:.0f}" '
                f'class="track"/>'
            )
            shown = _fmt(metric, value)
            if value is None:
                parts.append(
                    f'<text x="{label_w + 6:.0f}" y="{y + bar_h - 3:.1f}" class="value na">'
                    f"{name}: n/a</text>"
                )
            else:
                bar_w = max(0.0, min(value / scale, 1.0)) * track_w
                parts.append(
                    f'<rect x="{label_w:.0f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.0f}" '
                    f'fill="{colour}" class="bar"><title>{_e(name)} {_e(metric)}: {shown}</title>'
                    f"</rect>"
                    f'<text x="{label_w + bar_w + 5:.1f}" y="{y + bar_h - 3:.1f}" class="value">'
                    f"{shown}</text>"
                )
            y += bar_h + gap
        y += group_gap - gap
    parts.append("</svg>")
    return "".join(parts)


def _overall(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    p_metrics = _map(policy.get("metrics"))
    b_metrics = _map(baseline.get("metrics")) if baseline is not None else {}
    metrics = _metric_names(p_metrics, b_metrics)
    if not metrics:
        return _section("overall", "Overall metrics", '<p class="empty">No metrics.</p>')
    head = "<th>Metric</th><th>Policy</th>"
    if baseline is not None:
        head += "<th>Baseline</th><th>Policy &minus; baseline</th>"
    rows = []
    for metric in metrics:
        row = f"<td><code>{_e(metric)}</code></td>{_value_cell(metric, p_metrics.get(metric))}"
        if baseline is not None:
            p, b = _num(p_metrics.get(metric)), _num(b_metrics.get(metric))
            row += _value_cell(metric, b_metrics.get(metric))
            row += _delta_cell(metric, None if p is None or b is None else p - b)
        rows.append(f'<tr data-metric="{_e(metric)}">{row}</tr>')
    table = (
        f'<table class="sortable" id="overall-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    series: list[tuple[str, str, Mapping[str, Any]]] = [("policy", POLICY_COLOUR, p_metrics)]
    if baseline is not None:
        series.append(("baseline", BASELINE_COLOUR, b_metrics))
    chart = _bar_chart(metrics, series, "overall-chart", "policy and baseline per metric")
    note = (
        "Green differences are improvements over the baseline, red ones regressions; "
        "escalation rate and sensitive containment have no good direction and stay uncoloured."
        if baseline is not None
        else "This run has no baseline arm, so there is nothing to compare the policy with."
    )
    return _section(
        "overall",
        "Overall metrics",
        f'<div class="pair"><div>{table}</div><div>{chart}</div></div>',
        note,
    )


def _heatmap(rows: Mapping[str, Mapping[str, Any]], metrics: Sequence[str], chart_id: str) -> str:
    """An SVG grid: one row per segment, one column per metric, coloured poor..good."""
    names = sorted(rows)
    ranges = _column_ranges(rows, metrics)
    cell_w, cell_h, head_h = 74.0, 22.0, 128.0
    label_w = min(max([_text_width(n) for n in names] + [80]) + 16, 300)
    # The last rotated column label leans right past the grid.
    tail = max([_text_width(m) * 0.77 - cell_w / 2 for m in metrics[-1:]] + [0.0])
    width = label_w + cell_w * len(metrics) + 10 + tail
    height = head_h + cell_h * len(names) + 4
    parts = [
        f'<svg id="{chart_id}" class="chart heatmap" role="img" '
        f'aria-label="metric by segment, coloured from poor (red) to good (green)" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}">'
    ]
    for j, metric in enumerate(metrics):
        x = label_w + j * cell_w + cell_w / 2
        parts.append(
            f'<text transform="translate({x:.1f},{head_h - 6:.0f}) rotate(-40)" class="label">'
            f"{_metric_label(metric)}</text>"
        )
    for i, name in enumerate(names):
        y = head_h + i * cell_h
        shown_name = name if len(name) <= 42 else name[:40] + "..."
        parts.append(
            f'<text x="{label_w - 8:.0f}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" '
            f'class="label"><title>{_e(name)}</title>{_e(shown_name)}</text>'
        )
        row = _map(rows[name])
        for j, metric in enumerate(metrics):
            x = label_w + j * cell_w
            value = row.get(metric)
            shown = _fmt(metric, value)
            parts.append(
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{cell_w - 2:.0f}" height="{cell_h - 2:.0f}" '
                f'fill="{_cell_colour(metric, value, ranges)}" class="cell">'
                f"<title>{_e(name)} / {_e(metric)}: {shown}</title></rect>"
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + cell_h / 2 + 3:.1f}" '
                f'text-anchor="middle" class="cellvalue{" na" if shown == "n/a" else ""}">'
                f"{shown}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _segment_table(
    table_id: str,
    keys: Sequence[tuple[str, ...]],
    key_heads: Sequence[str],
    policy_rows: Mapping[str, Any],
    baseline_rows: Mapping[str, Any] | None,
    raw_keys: Sequence[str],
    metrics: Sequence[str],
    filterable: bool,
) -> str:
    ranges = _column_ranges({k: _map(policy_rows.get(k)) for k in raw_keys}, metrics)
    head = "".join(f"<th>{h}</th>" for h in key_heads) + "".join(
        f"<th>{_metric_label(m)}</th>" for m in metrics
    )
    body = []
    for key_cells, raw in zip(keys, raw_keys, strict=True):
        row = _map(policy_rows.get(raw))
        base = _map(baseline_rows.get(raw)) if baseline_rows is not None else None
        cells = "".join(f'<td class="key"><code>{_e(k)}</code></td>' for k in key_cells)
        for metric in metrics:
            extra = ""
            if base is not None and metric in base:
                extra = f'<span class="base">base {_fmt(metric, base.get(metric))}</span>'
            cells += _value_cell(
                metric,
                row.get(metric),
                extra,
                f"background:{_cell_colour(metric, row.get(metric), ranges)}",
            )
        body.append(f"<tr>{cells}</tr>")
    filter_attr = ' data-filter="1"' if filterable else ""
    return (
        f'<div class="scroll"><table class="sortable heat" id="{table_id}"{filter_attr}>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _by_segment(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    rows = {str(k): _map(v) for k, v in _map(policy.get("by_segment")).items()}
    if not rows:
        return _section(
            "segments", "Metrics by segment", '<p class="empty">No per-segment metrics.</p>'
        )
    metrics = _metric_names(*rows.values())
    base_rows = _map(baseline.get("by_segment")) if baseline is not None else None
    names = sorted(rows)
    table = _segment_table(
        "segment-table", [(n,) for n in names], ["Segment"], rows, base_rows, names, metrics,
        filterable=len(names) > 12,
    )
    note = (
        "Policy arm. Colour runs from red (poor) through amber to green (good); escalation rate, "
        "sensitive containment and n/a stay grey. Turn counts are coloured relative to the other "
        "segments."
        + (" Small grey figures are the baseline arm." if base_rows is not None else "")
    )
    return _section(
        "segments",
        "Metrics by segment",
        _heatmap(rows, metrics, "segment-heatmap") + table,
        note,
    )


def _by_need_segment(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    raw = {str(k): _map(v) for k, v in _map(policy.get("by_need_segment")).items()}
    if not raw:
        return _section(
            "need-segment", "Need &times; segment", '<p class="empty">No need &times; segment '
            "metrics.</p>"
        )

    def split(key: str) -> tuple[str, str]:
        need, _, segment = key.partition("|")
        return need, segment

    ordered = sorted(raw, key=split)
    metrics = _metric_names(*raw.values())
    base_rows = _map(baseline.get("by_need_segment")) if baseline is not None else None
    table = _segment_table(
        "need-segment-table", [split(k) for k in ordered], ["Need", "Segment"], raw, base_rows,
        ordered, metrics, filterable=True,
    )
    return _section(
        "need-segment",
        "Need &times; segment",
        table,
        "Policy arm, one row per labelled need and segment that fired. "
        "Click a column head to sort.",
    )


def _cohorts(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    by_cohort = {str(k): _map(v) for k, v in _map(policy.get("by_cohort")).items()}
    disparities = [_map(d) for d in _list(policy.get("disparities"))]
    base_disparities = (
        [_map(d) for d in _list(baseline.get("disparities"))] if baseline is not None else []
    )
    dimensions = sorted(set(by_cohort) | {str(d.get("dimension")) for d in disparities})
    blocks = []
    for dimension in dimensions:
        groups = {str(k): _map(v) for k, v in by_cohort.get(dimension, {}).items()}
        values = sorted(groups)
        found = {str(d.get("metric")): d for d in disparities if d.get("dimension") == dimension}
        base_found = {
            str(d.get("metric")): d for d in base_disparities if d.get("dimension") == dimension
        }
        metrics = _ordered_metrics(set(_metric_names(*groups.values())) | set(found))
        head = "<th>Metric</th>" + "".join(f"<th><code>{_e(v)}</code></th>" for v in values)
        head += "<th>Gap</th><th>Tolerance</th>"
        if baseline is not None:
            head += "<th>Baseline gap</th>"
        head += "<th>Status</th>"
        rows = []
        for metric in metrics:
            disparity = found.get(metric)
            # Mark the lowest and highest cohort, unless they are level.
            low_group = high_group = None
            if disparity is not None and (_num(disparity.get("gap")) or 0.0) > 0:
                low_group = str(_map(disparity.get("min")).get("group"))
                high_group = str(_map(disparity.get("max")).get("group"))
            cells = f"<td><code>{_e(metric)}</code></td>"
            for value in values:
                mark = ""
                if value == low_group:
                    mark = '<span class="mark">min</span>'
                elif value == high_group:
                    mark = '<span class="mark">max</span>'
                cells += _value_cell(metric, groups[value].get(metric), mark)
            if disparity is not None:
                flagged = disparity.get("flagged") is True
                cells += f'<td class="num">{_fmt_gap(metric, disparity.get("gap"))}</td>'
                cells += f'<td class="num">{_fmt_gap(metric, disparity.get("tolerance"))}</td>'
            else:
                flagged = False
                cells += '<td class="num muted">&mdash;</td><td class="num muted">&mdash;</td>'
            if baseline is not None:
                base = base_found.get(metric)
                base_gap = _fmt_gap(metric, base.get("gap")) if base else "&mdash;"
                cells += f'<td class="num">{base_gap}</td>'
            if disparity is None:
                status = '<span class="muted">not checked</span>'
            elif flagged:
                status = '<span class="badge fail">over tolerance</span>'
            else:
                status = '<span class="badge pass">within</span>'
            cls = ' class="flagged"' if flagged else ""
            rows.append(f'<tr{cls} data-metric="{_e(metric)}">{cells}<td>{status}</td></tr>')
        n_flagged = sum(1 for d in found.values() if d.get("flagged") is True)
        summary = (
            f'<span class="badge fail">{n_flagged} flagged</span>'
            if n_flagged
            else '<span class="badge pass">none flagged</span>'
        )
        blocks.append(
            f'<h3>By <code>{_e(dimension)}</code> {summary}</h3>'
            f'<div class="scroll"><table class="sortable cohort" '
            f'id="{_anchor("cohort", dimension)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
    if not blocks:
        blocks.append('<p class="empty">No cohort metrics in this run.</p>')

    bias_parts = []
    for arm_name, arm in (("policy", policy), ("baseline", baseline)):
        if arm is None:
            continue
        ids = _list(arm.get("value_bias"))
        shown = _ids(ids) if ids else '<span class="ok">none</span>'
        bias_parts.append(f"<li><strong>{arm_name}</strong> ({len(ids)}): {shown}</li>")
    bias = (
        '<h3 id="value-bias">Value bias</h3><p class="note">High-risk scenarios kept in '
        "automation for one cohort value (such as the plan) but handed off for another.</p>"
        f'<ul class="bias">{"".join(bias_parts)}</ul>'
    )
    return _section(
        "cohorts",
        "Cohort disparity",
        "".join(blocks) + bias,
        "Policy arm. A row is highlighted when the gap between the best and worst cohort "
        "exceeds its tolerance.",
    )


def _need_mix_chart(mix: Mapping[str, Any]) -> str:
    needs = sorted(str(k) for k in mix)
    values = [
        (_num(_map(mix[n]).get("before")), _num(_map(mix[n]).get("after"))) for n in needs
    ]
    flat = [v for pair in values for v in pair if v is not None]
    as_percent = all(0.0 <= v <= 1.0 for v in flat)
    peak = max([*flat, 0.0])
    scale = peak * 1.15 if peak > 0 else 1.0
    label_w = max([_text_width(n) for n in needs] + [90]) + 16
    track_w, value_w, bar_h, gap, group_gap, top = 380.0, 70.0, 12.0, 2.0, 12.0, 28.0
    width = label_w + track_w + value_w
    height = top + len(needs) * (2 * bar_h + gap + group_gap) + 4
    parts = [
        f'<svg id="need-mix-chart" class="chart" role="img" aria-label="need-state mix before '
        f'and after" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}">'
        f'<rect x="{label_w:.0f}" y="6" width="12" height="12" fill="{BASELINE_COLOUR}"/>'
        f'<text x="{label_w + 16:.0f}" y="16" class="legend">before</text>'
        f'<rect x="{label_w + 80:.0f}" y="6" width="12" height="12" fill="{POLICY_COLOUR}"/>'
        f'<text x="{label_w + 96:.0f}" y="16" class="legend">after</text>'
    ]
    y = top
    for need, (before, after) in zip(needs, values, strict=True):
        parts.append(
            f'<text x="{label_w - 8:.0f}" y="{y + bar_h + 4:.1f}" text-anchor="end" '
            f'class="label">{_e(need)}</text>'
        )
        for label, colour, value in (
            ("before", BASELINE_COLOUR, before),
            ("after", POLICY_COLOUR, after),
        ):
            shown = _fmt_share(value, as_percent)
            bar_w = 0.0 if value is None else max(0.0, min(value / scale, 1.0)) * track_w
            parts.append(
                f'<rect x="{label_w:.0f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.0f}" '
                f'fill="{colour}" class="bar"><title>{_e(need)} {label}: {shown}</title></rect>'
                f'<text x="{label_w + bar_w + 5:.1f}" y="{y + bar_h - 2:.1f}" class="value">'
                f"{shown}</text>"
            )
            y += bar_h + gap
        y += group_gap - gap
    parts.append("</svg>")
    return "".join(parts)


def _drift(results: Mapping[str, Any], links: Mapping[str, str]) -> str:
    compare = results.get("compare")
    if not isinstance(compare, Mapping):
        return _section(
            "drift",
            "Drift since the previous run",
            '<p class="empty">No previous run to compare with.</p>',
        )
    previous = _map(compare.get("previous"))
    intro = (
        f'<p>Compared with policy <code>{_e(previous.get("policy_version", "n/a"))}</code>, '
        f"run started {_fmt_time(previous.get('started_at'))}.</p>"
    )
    parts = [intro]

    deltas = {str(k): _map(v) for k, v in _map(compare.get("metrics_delta")).items()}
    escalation = _map(compare.get("escalation_rate"))
    if escalation and "escalation_rate" not in deltas:
        before, after = _num(escalation.get("before")), _num(escalation.get("after"))
        deltas["escalation_rate"] = {
            "before": before,
            "after": after,
            "delta": None if before is None or after is None else after - before,
        }
    if deltas:
        rows = []
        for metric in _ordered_metrics(deltas):
            d = deltas[metric]
            rows.append(
                f'<tr data-metric="{_e(metric)}"><td><code>{_e(metric)}</code></td>'
                f"{_value_cell(metric, d.get('before'))}{_value_cell(metric, d.get('after'))}"
                f"{_delta_cell(metric, d.get('delta'))}</tr>"
            )
        parts.append(
            '<h3>Metric changes</h3><table class="sortable" id="drift-table"><thead><tr>'
            "<th>Metric</th><th>Before</th><th>After</th><th>Change</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    mix = _map(compare.get("need_mix"))
    if mix:
        parts.append("<h3>Need-state mix</h3>" + _need_mix_chart(mix))

    seg_delta = {str(k): _map(v) for k, v in _map(compare.get("by_segment_delta")).items()}
    if seg_delta:
        metrics = _metric_names(*seg_delta.values())
        head = "<th>Segment</th>" + "".join(f"<th>{_metric_label(m)}</th>" for m in metrics)
        rows = []
        for segment in sorted(seg_delta):
            cells = f'<td class="key"><code>{_e(segment)}</code></td>'
            for metric in metrics:
                d = _map(seg_delta[segment].get(metric))
                if not d:
                    cells += '<td class="num muted" data-sort="">&mdash;</td>'
                    continue
                title = f"{_fmt(metric, d.get('before'))} -> {_fmt(metric, d.get('after'))}"
                cells += _delta_cell(metric, d.get("delta"), title)
            rows.append(f"<tr>{cells}</tr>")
        filter_attr = ' data-filter="1"' if len(rows) > 12 else ""
        parts.append(
            '<h3>Changes by segment</h3><p class="note">Hover a cell for before &rarr; after.</p>'
            '<div class="scroll"><table class="sortable wrap-heads" id="segment-drift-table"'
            f"{filter_attr}><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )

    newly_failing = _list(compare.get("newly_failing"))
    newly_passing = _list(compare.get("newly_passing"))
    parts.append(
        '<div class="pair"><div><h3>Newly failing runs '
        f'<span class="badge {"fail" if newly_failing else "pass"}">{len(newly_failing)}</span>'
        f'</h3><div id="newly-failing">{_ids(newly_failing, links)}</div></div>'
        f'<div><h3>Newly passing runs <span class="badge neutral">{len(newly_passing)}</span>'
        f'</h3><div id="newly-passing">{_ids(newly_passing)}</div></div></div>'
    )
    return _section("drift", "Drift since the previous run", "".join(parts))


def _failing_runs(runs: list[Mapping[str, Any]]) -> str:
    failing = [r for r in runs if r.get("passed") is not True]
    if not runs:
        return _section("failing", "Failing runs", '<p class="empty">No runs in this file.</p>')
    if not failing:
        return _section(
            "failing", "Failing runs", f'<p class="ok">All {len(runs)} runs passed.</p>'
        )
    rows = []
    for run in failing:
        run_id = str(run.get("id", ""))
        scenario = str(run.get("scenario", ""))
        cohort = run.get("cohort")
        if isinstance(cohort, Mapping):
            cohort_html = (
                f"<code>{_e(cohort.get('dimension', ''))}</code>="
                f"<code>{_e(cohort.get('value', ''))}</code>"
            )
        else:
            cohort_html = '<span class="muted">&mdash;</span>'
        failures = [_map(f) for f in _list(run.get("failures"))]
        if failures:
            items = "".join(
                f"<tr><td class=\"num\">{_e(f.get('turn', ''))}</td>"
                f"<td><code>{_e(f.get('check', ''))}</code></td>"
                f'<td class="expected">{_fmt_any(f.get("expected"))}</td>'
                f'<td class="actual">{_fmt_any(f.get("actual"))}</td></tr>'
                for f in failures
            )
            checks = (
                '<table class="checks"><thead><tr><th>Turn</th><th>Check</th><th>Expected</th>'
                f"<th>Actual</th></tr></thead><tbody>{items}</tbody></table>"
            )
        else:
            checks = '<span class="muted">no failed check recorded</span>'
        tags = " ".join(f'<span class="tag">{_e(t)}</span>' for t in _list(run.get("tags")))
        handoff = _num(run.get("handoff_turn"))
        turns = _num(run.get("turns"))
        rows.append(
            f'<tr id="{_anchor("run", run_id)}" class="run">'
            f'<td><code class="run-id">{_e(run_id)}</code>'
            f'<div class="sub">scenario '
            f"<code>{_e(scenario)}</code></div>"
            f'<div class="sub">{_e(run.get("file", ""))}</div><div>{tags}</div></td>'
            f'<td class="cohort">{cohort_html}</td>'
            f'<td class="num" data-sort="{len(failures)}">{len(failures)}</td>'
            f'<td class="num">{"n/a" if turns is None else int(turns)}</td>'
            f'<td class="num">{"none" if handoff is None else int(handoff)}</td>'
            f"<td>{checks}</td></tr>"
        )
    table = (
        '<table class="sortable" id="failing-table" data-filter="1"><thead><tr>'
        "<th>Run</th><th>Cohort</th><th>Failed checks</th><th>Turns</th><th>Handoff turn</th>"
        f"<th>What failed</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _section(
        "failing",
        f"Failing runs ({len(failing)} of {len(runs)})",
        f'<div class="scroll">{table}</div>',
    )


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;color:#111827;background:#f8fafc}
main{max-width:1240px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:20px;margin:8px 0 12px}
h2{font-size:17px;margin:0 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;
margin:14px 0}
nav{font-size:13px;margin:6px 0 0}
nav a{margin-right:14px;color:#1d4ed8;text-decoration:none}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;
padding:1px 4px;border-radius:3px;overflow-wrap:break-word}
td.key,td.key code,td.cohort{white-space:nowrap}
a code{color:#1d4ed8}
.banner{display:flex;align-items:baseline;gap:16px;padding:14px 18px;border-radius:8px;
color:#fff}
.banner.pass{background:#15803d}.banner.fail{background:#b91c1c}.banner.unknown{background:#6b7280}
.verdict{font-size:26px;font-weight:700;letter-spacing:.04em}
.why{font-size:15px}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:12px 0 0}
.facts div{min-width:120px}
.facts dt{font-size:11px;text-transform:uppercase;color:#6b7280;letter-spacing:.05em}
.facts dd{margin:0;font-size:15px;font-weight:600}
.warn{background:#fef3c7;border:1px solid #f59e0b;padding:6px 10px;border-radius:6px}
table{border-collapse:collapse;margin:4px 0 8px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{font-size:12px;color:#374151;background:#f9fafb;white-space:nowrap}
table.heat td{padding:3px 6px}
table.heat th,table.wrap-heads th{white-space:normal;min-width:58px;max-width:92px;
vertical-align:bottom}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.na,.muted{color:#9ca3af}
.base{display:block;font-size:11px;color:#6b7280}
.mark{display:inline-block;margin-left:4px;font-size:10px;color:#374151;
border:1px solid #9ca3af;border-radius:3px;padding:0 3px}
.delta.better{color:#15803d;font-weight:600}.delta.worse{color:#b91c1c;font-weight:600}
.delta.same,.delta.neutral{color:#374151}
.badge{display:inline-block;font-size:11px;font-weight:700;padding:1px 7px;border-radius:10px;
text-transform:uppercase;letter-spacing:.03em}
.badge.pass{background:#dcfce7;color:#166534}.badge.fail{background:#fee2e2;color:#991b1b}
.badge.neutral{background:#e5e7eb;color:#374151}
tr.gate.fail td{background:#fef2f2}
tr.flagged td{background:#fee2e2}
tr.flagged td:first-child{box-shadow:inset 4px 0 0 #dc2626}
.ids code{display:inline-block;margin:1px 0}
td.gate-name{min-width:150px}td.ids{max-width:460px}
details summary{cursor:pointer;color:#1d4ed8;font-size:12px}
.note{color:#4b5563;font-size:12.5px;margin:0 0 8px}
.empty{color:#6b7280;font-style:italic}
.ok{color:#15803d;font-weight:600}
.pair{display:flex;flex-wrap:wrap;gap:12px 32px;align-items:flex-start}
.scroll{overflow-x:auto;max-width:100%}
.chart{max-width:100%;height:auto;display:block;margin:6px 0}
.chart text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#111827}
.chart .sublabel{font-size:10px;fill:#6b7280}
.chart .value{font-size:11px;fill:#374151}
.chart .na{fill:#9ca3af}
.chart .track{fill:#f3f4f6}
.chart .cellvalue{font-size:11px}
.run .sub{font-size:11px;color:#6b7280;margin-top:2px}
.tag{display:inline-block;font-size:10.5px;background:#eef2ff;color:#3730a3;border-radius:3px;
padding:0 5px;margin:2px 3px 0 0}
table.checks{margin:0;font-size:12.5px}
table.checks th,table.checks td{padding:2px 6px}
.expected{color:#166534}.actual{color:#991b1b}
.expected,.actual{word-break:break-word;max-width:320px}
th.sort{cursor:pointer}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:9px}
th[aria-sort=descending]::after{content:" \\25BC";font-size:9px}
input.filter{margin:4px 0;padding:4px 8px;width:280px;border:1px solid #d1d5db;border-radius:4px}
footer{color:#6b7280;font-size:12px;text-align:center;margin-top:20px}
@media print{body{background:#fff}section{break-inside:avoid;border:none}
input.filter,nav{display:none}}
"""

# Sorting and filtering only; the page reads the same without it. It also marks <html data-js>
# so a test can see that it ran under the page's Content-Security-Policy.
_JS = """(function(){
var d=document;d.documentElement.setAttribute("data-js","1");
function key(c){if(!c){return "";}var v=c.getAttribute("data-sort");
return v===null?c.textContent.trim():v;}
function cmp(x,y){var a=Number(x),b=Number(y);return !isNaN(a)&&!isNaN(b)?a-b:x.localeCompare(y);}
Array.prototype.forEach.call(d.querySelectorAll("table.sortable"),function(t){
if(!t.tHead||!t.tBodies.length){return;}var heads=t.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){th.classList.add("sort");th.tabIndex=0;
function go(){var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var asc=th.getAttribute("aria-sort")!=="ascending";
Array.prototype.forEach.call(heads,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",asc?"ascending":"descending");
rows.sort(function(r,s){var x=key(r.cells[i]),y=key(s.cells[i]);
if(x===""||y===""){return x===y?0:(x===""?1:-1);}return asc?cmp(x,y):cmp(y,x);});
rows.forEach(function(r){body.appendChild(r);});}
th.addEventListener("click",go);
th.addEventListener("keydown",function(e){if(e.key==="Enter"){go();}});});});
Array.prototype.forEach.call(d.querySelectorAll("table[data-filter]"),function(t){
var box=d.createElement("input");box.type="search";box.className="filter";
box.placeholder="Filter rows";box.setAttribute("aria-label","Filter rows");
var host=t.parentNode.classList.contains("scroll")?t.parentNode:t;
host.parentNode.insertBefore(box,host);
box.addEventListener("input",function(){var q=box.value.toLowerCase();
Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
r.hidden=q!==""&&r.textContent.toLowerCase().indexOf(q)<0;});});});
})();"""

_NAV = (
    ("gates", "Gates"),
    ("overall", "Overall"),
    ("segments", "By segment"),
    ("need-segment", "Need &times; segment"),
    ("cohorts", "Cohorts"),
    ("drift", "Drift"),
    ("failing", "Failing runs"),
)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render_html(results: Mapping[str, Any]) -> str:
    """One self-contained HTML page for a results.json dict (schema version 1).

    Tolerates extra keys and missing optional parts: no baseline arm, no `compare`, no runs,
    null metric values ("n/a").
    """
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
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in _NAV)
    body = "".join(
        [
            _header(results, runs),
            f"<nav>{nav}</nav>",
            _gates(results, links),
            _overall(policy, baseline),
            _by_segment(policy, baseline),
            _by_need_segment(policy, baseline),
            _cohorts(policy, baseline),
            _drift(results, links),
            _failing_runs(runs),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)} ({verdict})</title><style>{_CSS}</style></head>"
        f"<body><main><h1>Guardrail eval report</h1>{body}"
        "<footer>Generated by guardrail eval from results.json. Self-contained: this page "
        "loads nothing from the network.</footer></main>"
        f"<script>{_JS}</script></body></html>\n"
    )
