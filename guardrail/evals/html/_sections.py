"""The sections of the page, in reading order: header, gates, overall, by segment, need x
segment, (languages: `_language`), cohorts, drift, failing runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guardrail.evals.html._charts import (
    bar_chart,
    heatmap,
    need_mix_chart,
)
from guardrail.evals.html._format import (
    BASELINE_COLOUR,
    POLICY_COLOUR,
    _anchor,
    _cell_colour,
    _column_ranges,
    _delta_cell,
    _e,
    _fmt,
    _fmt_any,
    _fmt_duration,
    _fmt_gap,
    _fmt_time,
    _ids,
    _list,
    _map,
    _metric_label,
    _metric_names,
    _num,
    _ordered_metrics,
    _section,
    _value_cell,
)

__all__ = [
    "cohort_section",
    "drift_section",
    "failing_section",
    "gates_section",
    "header_section",
    "need_segment_section",
    "overall_section",
    "segment_section",
]


def header_section(results: Mapping[str, Any], runs: list[Mapping[str, Any]]) -> str:
    """The verdict banner and what was run: policy, registry, when, how long, how many runs."""
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
    cascade = _map(results.get("cascade"))
    if cascade:
        consulted = _num(cascade.get("share"))
        reasons = ", ".join(f"{_e(k)} {_e(v)}" for k, v in _map(cascade.get("by_reason")).items())
        facts.append((
            "LLM cascade",
            f'<span id="cascade-share">{_e(cascade.get("consulted", "n/a"))} / '
            f'{_e(cascade.get("turns", "n/a"))} user turns'
            f'{"" if consulted is None else f" ({consulted * 100:.1f}%)"}</span>'
            f'{f" <small>{reasons}</small>" if reasons else ""}',
        ))
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


def gates_section(results: Mapping[str, Any], links: Mapping[str, str]) -> str:
    """Every gate: condition, value, verdict, and the runs that move it the wrong way."""
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


def overall_section(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """The overall metrics, policy beside baseline with the difference, table and chart."""
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
    chart = bar_chart(metrics, series, "overall-chart", "policy and baseline per metric")
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


def segment_section(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """Metrics per segment named in the scenarios, as a heatmap and a table."""
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
        heatmap(rows, metrics, "segment-heatmap") + table,
        note,
    )


def need_segment_section(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """Metrics per need-state x segment pair named together in the scenarios."""
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


def cohort_section(policy: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """Metrics per cohort value, and the disparities across each dimension."""
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


def drift_section(results: Mapping[str, Any], links: Mapping[str, str]) -> str:
    """How the policy moved since the compared results: deltas, need mix, newly failing runs."""
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
        parts.append("<h3>Need-state mix</h3>" + need_mix_chart(mix))

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


def failing_section(runs: list[Mapping[str, Any]]) -> str:
    """Every failing run with each expectation that did not hold."""
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
