"""Escaping, numbers, formatting and colours shared by every part of the report."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any, Literal

from guardrail.evals.metrics import BASE_METRICS

__all__ = [
    "BASELINE_COLOUR",
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "METRIC_ORDER",
    "POLICY_COLOUR",
    "Kind",
]

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
        "language_human_escape_min",
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
        "language_recall_gap",
        "language_wrongful_gap",
        "languages_under_min_scenarios",
    }
)

Kind = Literal["pct", "score", "turns", "number"]
_PCT_WORDS = ("rate", "recall", "accuracy", "success", "containment")
# Shares (or gaps between shares) whose names say neither.
_PCT_METRICS = frozenset({"language_human_escape_min", "language_wrongful_gap"})

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
    if metric in _PCT_METRICS or any(word in metric for word in _PCT_WORDS):
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
        # A gap that rounds to zero is shown as 0.0, never "-0.0" (a float's sign of nothing).
        return f"{round(number * 100, 1) + 0.0:.1f} pp"
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
