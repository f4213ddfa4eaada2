"""The inline SVG charts, drawn here in Python: bars, heatmaps, the need-state mix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guardrail.evals.html._format import (
    BASELINE_COLOUR,
    POLICY_COLOUR,
    _cell_colour,
    _column_ranges,
    _e,
    _fmt,
    _fmt_share,
    _is_fraction,
    _map,
    _metric_label,
    _num,
    _text_width,
)

__all__ = [
    "bar_chart",
    "heatmap",
    "need_mix_chart",
]


def _bar(
    x: float, y: float, width: float, height: float, colour: str, title: str, shown: str,
    *, baseline: float,
) -> str:
    """One bar with its hover title and its value printed after it (`title` already escaped)."""
    return (
        f'<rect x="{x:.0f}" y="{y:.1f}" width="{width:.1f}" height="{height:.0f}" '
        f'fill="{colour}" class="bar"><title>{title}</title></rect>'
        f'<text x="{x + width + 5:.1f}" y="{y + height - baseline:.1f}" class="value">'
        f"{shown}</text>"
    )


def bar_chart(
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
                parts.append(_bar(label_w, y, bar_w, bar_h, colour,
                                  f"{_e(name)} {_e(metric)}: {shown}", shown, baseline=3))
            y += bar_h + gap
        y += group_gap - gap
    parts.append("</svg>")
    return "".join(parts)


def heatmap(rows: Mapping[str, Mapping[str, Any]], metrics: Sequence[str], chart_id: str) -> str:
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


def need_mix_chart(mix: Mapping[str, Any]) -> str:
    """The share of turns per decided need-state, before and after, as paired bars."""
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
            parts.append(_bar(label_w, y, bar_w, bar_h, colour, f"{_e(need)} {label}: {shown}",
                              shown, baseline=2))
            y += bar_h + gap
        y += group_gap - gap
    parts.append("</svg>")
    return "".join(parts)
