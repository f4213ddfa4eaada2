"""The segment-performance report as one self-contained HTML page.

It is drawn with the eval report's parts (`guardrail.evals.html`): the same page shell
(`page`: inline CSS, the small sorting / filtering script pinned by hash in the
Content-Security-Policy), the same escaping. It loads nothing. Every string from the report
(segment ids, cohort values, policy versions) is escaped; a null reads "n/a".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from guardrail.evals.html._format import _e, _fmt_time, _list, _map, _num, _section
from guardrail.evals.html._sections import page
from guardrail.governance.report import BOOTSTRAP_METHOD, NEWCOMBE_METHOD, GovernanceReport
from guardrail.governance.stats import BOOTSTRAP_RESAMPLES

__all__ = ["render_html"]

# (heading, key in a metrics object, how it is shown): the columns of every metrics table.
_COLUMNS: Final = (
    ("conversations", "conversations", "count"),
    ("escalation", "escalation_rate", "pct"),
    ("time to human (median min)", "time_to_human_minutes.median", "minutes"),
    ("p90 min", "time_to_human_minutes.p90", "minutes"),
    ("first-contact resolution", "first_contact_resolution", "pct"),
    ("repeat contact", "repeat_contact_rate", "pct"),
    ("reopen", "reopen_rate", "pct"),
    ("CES", "ces_mean", "score"),
    ("CSAT", "csat_mean", "score"),
    ("post-handoff CSAT", "post_handoff_csat_mean", "score"),
    ("wrongful automation", "wrongful_automation_rate", "pct"),
    ("wrongful escalation", "wrongful_escalation_rate", "pct"),
    ("human escape", "human_escape_success", "pct"),
    ("incidents", "incidents", "count"),
)
_NAV: Final = (
    ("alerts", "Alerts"), ("overall", "Overall"), ("arms", "Policy vs holdout"),
    ("segments", "By segment"), ("need-segment", "Need &times; segment"),
    ("cohorts", "Cohorts"), ("drift", "Drift"), ("governance", "Overrides &amp; shadow"),
)


def render_html(report: GovernanceReport | Mapping[str, Any]) -> str:
    """One self-contained HTML page for a report (or its `to_json` data)."""
    data: Mapping[str, Any] = report.to_json() if isinstance(report, GovernanceReport) else report
    period = _map(data.get("period"))
    alerts = [_map(a) for a in _list(data.get("alerts"))]
    return page(
        title=f"guardrail report {period.get('since', '')} to {period.get('until', '')}",
        heading="Guardrail segment-performance report",
        header=_header(data, period, alerts),
        nav=_NAV,
        sections=[
            _alerts(alerts),
            _section("overall", "Overall and by arm", _table("overall-table", "group", {
                "all": data.get("totals"), **_map(data.get("by_arm"))})),
            _arms(data),
            _section("segments", "By segment", _table(
                "segment-table", "segment", _map(data.get("by_segment")),
                flagged=set(_list(data.get("worse_segments"))))),
            _section("need-segment", "Need &times; segment", _table(
                "need-segment-table", "need | segment", _map(data.get("by_need_segment"))),
                "The need is that of the conversation's last decision."),
            _section("cohorts", "By cohort", _table(
                "cohort-table", "cohort", _map(data.get("by_cohort")))),
            _drift(data.get("drift")),
            _governance(data),
        ],
        generated_by="guardrail report",
    )


def _header(data: Mapping[str, Any], period: Mapping[str, Any], alerts: list[Any]) -> str:
    status = "fail" if alerts else "pass"
    verdict = f"{len(alerts)} ALERT(S)" if alerts else "no alerts"
    versions = " ".join(f"<code>{_e(v)}</code>" for v in _list(data.get("policy_versions")))
    conversations = _map(data.get("totals")).get("conversations", "n/a")
    return (
        f'<div class="banner {status}" id="verdict"><span class="verdict">{verdict}</span>'
        f'<span class="why">{_fmt_time(period.get("since"))} to '
        f"{_fmt_time(period.get('until'))}</span></div>"
        f'<dl class="facts"><div><dt>conversations</dt><dd>{_e(conversations)}</dd></div>'
        f"<div><dt>policy versions</dt><dd>{versions or 'n/a'}</dd></div></dl>"
    )


def _alerts(alerts: list[Mapping[str, Any]]) -> str:
    if not alerts:
        return _section("alerts", "Alerts", '<p class="ok">No threshold crossed.</p>')
    rows = "".join(
        f'<tr class="flagged"><td><code>{_e(a.get("kind"))}</code></td>'
        f'<td><code>{_e(a.get("subject"))}</code></td>{_cell(a.get("value"), "number")}'
        f'{_cell(a.get("threshold"), "number")}<td>{_e(a.get("message"))}</td></tr>'
        for a in alerts
    )
    return _section("alerts", "Alerts", (
        '<table id="alerts-table" class="sortable"><thead><tr><th>kind</th><th>subject</th>'
        f"<th>value</th><th>threshold</th><th>message</th></tr></thead><tbody>{rows}</tbody>"
        "</table>"))


def _arms(data: Mapping[str, Any]) -> str:
    note = (
        "Policy minus holdout, with a 95% interval. Rates: Newcombe's hybrid score interval "
        f"(method 10, <code>{NEWCOMBE_METHOD}</code>) from each arm's Wilson score interval. "
        f"Means and medians: a percentile bootstrap (<code>{BOOTSTRAP_METHOD}</code>, "
        f"{BOOTSTRAP_RESAMPLES} resamples, fixed seed). A row is marked worse when the interval "
        "excludes 0 on the bad side and each arm has enough conversations."
    )
    items = [_map(d) for d in _list(data.get("arm_differences"))]
    if not items:
        return _section("arms", "Policy vs holdout",
                        '<p class="empty">No holdout conversations in this period.</p>', note)
    rows = "".join(
        f'<tr{" class=flagged" if d.get("worse") is True else ""}>'
        f'<td class="key"><code>{_e(d.get("scope"))}</code></td><td>{_e(d.get("metric"))}</td>'
        + "".join(_cell(d.get(k), "number") for k in
                  ("policy", "holdout", "difference", "ci_low", "ci_high"))
        + f'<td>{_e(d.get("method"))}</td><td>{"worse" if d.get("worse") is True else ""}'
        "</td></tr>"
        for d in items
    )
    table = (
        '<div class="scroll"><table id="arm-table" class="sortable" data-filter><thead><tr>'
        "<th>scope</th><th>metric</th><th>policy</th><th>holdout</th><th>difference</th>"
        "<th>CI low</th><th>CI high</th><th>method</th><th>verdict</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )
    return _section("arms", "Policy vs holdout", table, note)


def _drift(drift: Any) -> str:
    if not isinstance(drift, Mapping):
        return _section("drift", "Drift", '<p class="empty">No previous period compared '
                        "(<code>--compare-since</code> / <code>--compare-until</code>).</p>")
    shift_rows = [("escalation_rate", _map(drift.get("escalation_rate")))]
    shift_rows += [(f"need mix: {need}", _map(s))
                   for need, s in sorted(_map(drift.get("need_mix")).items())]
    for segment, metrics in sorted(_map(drift.get("by_segment")).items()):
        shift_rows += [(f"{segment}: {metric}", _map(s))
                       for metric, s in sorted(_map(metrics).items())]
    rows = "".join(
        f'<tr><td class="key">{_e(name)}</td>' + "".join(
            _cell(shift.get(k), "number") for k in ("before", "after", "delta")) + "</tr>"
        for name, shift in shift_rows
    )
    previous = _map(drift.get("previous"))
    note = (f"Against {_fmt_time(previous.get('since'))} to {_fmt_time(previous.get('until'))}. "
            "Rates and need shares are fractions (0 to 1).")
    return _section("drift", "Drift", (
        '<div class="scroll"><table id="drift-table" class="sortable" data-filter><thead><tr>'
        "<th>what</th><th>before</th><th>after</th><th>change</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"), note)


def _governance(data: Mapping[str, Any]) -> str:
    overrides, shadow = _map(data.get("overrides")), _map(data.get("shadow"))
    incidents = _map(data.get("incidents"))
    parts = [
        ("incidents", incidents),
        (f"overrides by action (total {_e(overrides.get('total', 0))})",
         _map(overrides.get("by_action"))),
        ("overrides by segment", _map(overrides.get("by_segment"))),
        (f"shadow differences (total {_e(shadow.get('total', 0))})",
         _map(shadow.get("by_difference"))),
    ]
    tables = "".join(
        f"<div><h3>{title}</h3><table><tbody>" + ("".join(
            f'<tr><td class="key"><code>{_e(k)}</code></td>{_cell(v, "count")}</tr>'
            for k, v in sorted(counts.items())) or
            '<tr><td class="empty">none</td></tr>') + "</tbody></table></div>"
        for title, counts in parts
    )
    return _section("governance", "Incidents, overrides and shadow",
                    f'<div class="pair" id="governance-tables">{tables}</div>')


def _table(
    table_id: str, head: str, groups: Mapping[str, Any], flagged: set[str] | None = None
) -> str:
    if not groups:
        return '<p class="empty">No conversations.</p>'
    heads = "".join(f"<th>{_e(label)}</th>" for label, _, _ in _COLUMNS)
    rows = "".join(
        f'<tr{" class=flagged" if flagged and key in flagged else ""}>'
        f'<td class="key"><code>{_e(key)}</code></td>'
        + "".join(_cell(_get(_map(metrics), path), kind) for _, path, kind in _COLUMNS)
        + "</tr>"
        for key, metrics in groups.items()
    )
    return (f'<div class="scroll"><table id="{table_id}" class="sortable wrap-heads" '
            f'data-filter><thead><tr><th>{_e(head)}</th>{heads}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def _get(metrics: Mapping[str, Any], path: str) -> Any:
    if path == "incidents":
        counts = _map(metrics.get("incidents"))
        return sum(v for v in counts.values() if _num(v) is not None)
    head, _, rest = path.partition(".")
    value = metrics.get(head)
    return _map(value).get(rest) if rest else value


def _cell(value: Any, kind: str) -> str:
    number = _num(value)
    if number is None:
        return '<td class="num na" data-sort="">n/a</td>'
    if kind == "pct":
        shown = f"{number * 100:.1f}%"
    elif kind == "count":
        shown = f"{number:.0f}"
    elif kind in ("minutes", "score"):
        shown = f"{number:.2f}"
    else:
        shown = f"{number:.4g}"
    return f'<td class="num" data-sort="{number:.9g}">{shown.replace("-", "&minus;", 1)}</td>'
