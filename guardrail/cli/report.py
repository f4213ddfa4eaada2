"""``guardrail report``: segment performance for a period, from audit logs and outcomes.

Exit codes: 0 no alert; 1 at least one alert fired (each also sent to ``--alert-sink``, a JSONL
file or an http(s) webhook, so a scheduled job can page someone; a webhook that does not take
them is an error on stderr, and they go to ``--alert-fallback`` if given, still exit 1); 2 bad
input (a time, a file, the store). Unreadable audit lines are reported on stderr and skipped, as
``explain --audit`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from guardrail.cli._options import REGISTRY_HELP, STORE_HELP, note
from guardrail.cli.history import _when
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.audit import AuditRecord
    from guardrail.cli._options import Subcommands
    from guardrail.governance.report import GovernanceReport, Metrics

__all__ = ["register"]

# The text view's column headings, in the order `_table` fills them.
_TEXT_COLUMNS: Final = ("convs", "escal", "tth_med", "fcr", "repeat", "reopen", "csat",
                        "wr_auto", "wr_esc")


def register(sub: Subcommands) -> None:
    """Add the ``report`` subcommand."""
    parser = sub.add_parser(
        "report", help="segment performance for a period: audit logs joined to outcomes, "
                       "policy vs holdout, drift and alerts")
    parser.add_argument("--audit", metavar="FILE", action="append", required=True,
                        help="an audit JSONL file (repeat for several)")
    parser.add_argument("--store", metavar="URL", required=True,
                        help=STORE_HELP.replace("for friction across conversations",
                                                "holding the outcomes"))
    parser.add_argument("--since", required=True, help="period start, ISO 8601 with a zone")
    parser.add_argument("--until", required=True, help="period end (excluded), ISO 8601")
    parser.add_argument("--registry", help=REGISTRY_HELP + " (alert thresholds, repeat window)")
    parser.add_argument("--compare-since", metavar="ISO",
                        help="start of a previous period to compare with (drift)")
    parser.add_argument("--compare-until", metavar="ISO", help="end of that previous period")
    parser.add_argument("--json", metavar="OUT", help="write the report as JSON here")
    parser.add_argument("--html", metavar="OUT", help="write the self-contained HTML report here")
    parser.add_argument("--alert-sink", metavar="PATH|URL",
                        help="append each alert as an event line to this JSONL file, or POST "
                             "it as JSON to this http(s) URL (retried like the handoff webhook)")
    parser.add_argument("--alert-fallback", metavar="FILE",
                        help="with a URL --alert-sink: append the alert events the webhook did "
                             "not take to this JSONL file")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="what to print on stdout (default: text tables)")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from guardrail.audit import load_audit
    from guardrail.governance.delivery import alert_webhook_url
    from guardrail.governance.report import build_report
    from guardrail.governance.report_html import render_html
    from guardrail.history import open_store
    from guardrail.registry import Registry

    since, until = _time(args.since, "--since"), _time(args.until, "--until")
    # Check the sink before the work, so a typo is not found only once alerts fire.
    webhook = alert_webhook_url(args.alert_sink) if args.alert_sink else None
    if args.alert_fallback and webhook is None:
        raise UserError("--alert-fallback goes with an http(s) --alert-sink")
    previous_period = None
    if (args.compare_since is None) != (args.compare_until is None):
        raise UserError("--compare-since and --compare-until go together")
    if args.compare_since is not None:
        previous_period = (_time(args.compare_since, "--compare-since"),
                           _time(args.compare_until, "--compare-until"))
    registry = Registry.load(Path(args.registry) if args.registry else None)
    records: list[AuditRecord] = []
    for path in args.audit:
        trail = load_audit(path)
        for problem in trail.problems:
            print(f"guardrail: warning: {path}: {problem} (skipped)", file=sys.stderr)
        records.extend(trail.records)
    earliest = min(since, previous_period[0]) if previous_period else since
    store = open_store(args.store)
    try:
        # Outcomes arrive after their conversation: read everything from the earliest start.
        outcomes = store.outcomes(earliest)
    finally:
        store.close()
    previous = None
    if previous_period is not None:
        previous = build_report(records, outcomes, registry=registry,
                                since=previous_period[0], until=previous_period[1])
    report = build_report(records, outcomes, registry=registry, since=since, until=until,
                          previous=previous)
    data = report.to_json()
    if args.json:
        _write(args.json, json.dumps(data, indent=2) + "\n")
    if args.html:
        _write(args.html, render_html(report))
    if args.format == "json":
        print(json.dumps(data, indent=2))
    else:
        print(_text(report))
    if report.alerts and args.alert_sink:
        _send_alerts(args, report, "the alert webhook" if webhook else args.alert_sink)
    # Nothing measured is not "all good": a scheduled job must see it as a failure.
    if not report.totals.conversations:
        print(f"guardrail: error: no conversation of the period {since.isoformat()} .. "
              f"{until.isoformat()} in the audit log(s): nothing was measured (is the audit "
              "log written, and is the period right?)", file=sys.stderr)
        return 1
    if not report.with_outcomes:
        print(f"guardrail: error: none of the {report.totals.conversations} conversations of "
              "the period has an outcome in the store: the outcome metrics and their alerts "
              "measured nothing (are outcomes recorded, to this store?)", file=sys.stderr)
        return 1
    return 1 if report.alerts else 0


def _send_alerts(args: argparse.Namespace, report: GovernanceReport, where: str) -> None:
    """Send the alerts; a webhook that does not take them is an error line, not a traceback:
    the exit code is already 1, as for any alert."""
    from guardrail.errors import AlertDeliveryError
    from guardrail.governance.delivery import deliver_alerts

    try:
        sent = deliver_alerts(report, args.alert_sink, fallback=args.alert_fallback)
    except AlertDeliveryError as exc:
        print(f"guardrail: error: alert delivery failed: {exc}", file=sys.stderr)
    else:
        note(args, f"sent {sent} alert(s) to {where}")


def _time(value: str, flag: str) -> datetime:
    moment = _when(value, flag)  # the record commands' reading: ISO 8601 with a zone
    if moment is None:  # pragma: no cover - argparse gives a string
        raise UserError(f"{flag} needs a time")
    return moment


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def _text(report: GovernanceReport) -> str:
    """Compact plain-text tables (no rich needed)."""
    period = report.period
    lines = [f"guardrail report {period.since.isoformat()} to {period.until.isoformat()}  "
             f"policy {', '.join(report.policy_versions) or '-'}", ""]
    lines += _table("group", {"all": report.totals, **report.by_arm})
    lines += ["", *_table("segment", report.by_segment)]
    lines += ["", *_table("cohort", report.by_cohort)]
    worse = [d for d in report.arm_differences if d.worse]
    lines += ["", f"policy vs holdout: {len(report.arm_differences)} comparison(s), "
                  f"{len(worse)} worse"]
    lines += [f"  WORSE {d.scope} {d.metric}: {d.difference:+.3g} "
              f"[{d.ci_low:+.3g}, {d.ci_high:+.3g}] ({d.method})" for d in worse]
    if report.drift is not None:
        shift = report.drift.escalation_rate
        lines.append(f"drift: escalation rate {_fmt(shift.before, True)} -> "
                     f"{_fmt(shift.after, True)}")
    incidents = ", ".join(f"{k} {v}" for k, v in report.incidents.items() if v) or "none"
    lines += [f"incidents: {incidents}", f"alerts: {len(report.alerts)}"]
    lines += [f"  ALERT {a.kind} {a.subject}: {a.message}" for a in report.alerts]
    return "\n".join(lines)


def _table(head: str, groups: dict[str, Metrics]) -> list[str]:
    if not groups:
        return [f"{head}: none"]
    width = max(len(head), *(len(k) for k in groups)) + 2
    out = [head.ljust(width) + "".join(c.rjust(9) for c in _TEXT_COLUMNS)]
    for key, m in groups.items():
        values = (_fmt(m.conversations, False), _fmt(m.escalation_rate, True),
                  _fmt(m.time_to_human_minutes.median, False),
                  _fmt(m.first_contact_resolution, True), _fmt(m.repeat_contact_rate, True),
                  _fmt(m.reopen_rate, True), _fmt(m.csat_mean, False),
                  _fmt(m.wrongful_automation_rate, True), _fmt(m.wrongful_escalation_rate, True))
        out.append(key.ljust(width) + "".join(v.rjust(9) for v in values))
    return out


def _fmt(value: float | None, percent: bool) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{value:.1%}"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"

