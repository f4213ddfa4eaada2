"""``guardrail shadow-report``: what a shadow (candidate) policy would have decided differently,
summarised from the shadow records of one or more audit files."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands
    from guardrail.governance.shadow import ShadowGroup, ShadowSummary

__all__ = ["register", "render_summary"]

# The groups of the text view, in order, with their headings.
_SECTIONS = (
    ("by_difference", "By difference"),
    ("by_segment", "By live segment"),
    ("by_need", "By live need-state"),
    ("segments_added", "Segments the shadow adds"),
    ("segments_dropped", "Segments the shadow drops"),
)


def register(sub: Subcommands) -> None:
    """Add the ``shadow-report`` subcommand."""
    parser = sub.add_parser(
        "shadow-report", help="summarise a shadow policy's differences from audit files",
        description="Count the turns on which the shadow (candidate) policy would have decided "
        "differently from the live one, by difference, live segment and need-state, with the "
        "handoffs each side alone would make and example conversations.",
    )
    parser.add_argument("--audit", metavar="FILE", action="append", required=True,
                        help="an audit JSONL file with shadow records (repeat for several)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--examples", metavar="N", type=int, default=3,
                        help="example conversation#turn per group (default: 3)")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from guardrail.audit import load_audit
    from guardrail.governance.shadow import summarise

    if args.examples < 0:
        raise UserError(f"--examples must be 0 or more, not {args.examples}")
    records = []
    for path in args.audit:
        trail = load_audit(path)
        for problem in trail.problems:
            print(f"guardrail: warning: {path}: {problem} (skipped)", file=sys.stderr)
        records.extend(trail.records)
    summary = summarise(records, examples=args.examples)
    if args.format == "json":
        print(summary.model_dump_json(indent=2))
    else:
        print(render_summary(summary))
    return 0


def render_summary(summary: ShadowSummary) -> str:
    """The plain-text view of a `ShadowSummary`."""
    if not summary.turns:
        return "No shadow differences recorded."
    lines = [f"Shadow policy differences: {summary.turns} turn(s) in "
             f"{summary.conversations} conversation(s)", "Policies (live -> shadow):"]
    lines.extend(f"  {pair}: {turns} turn(s)" for pair, turns in summary.policies.items())
    for field, heading in _SECTIONS:
        groups: dict[str, ShadowGroup] = getattr(summary, field)
        lines.append(f"{heading}:" + ("" if groups else " (none)"))
        width = max((len(key) for key in groups), default=0)
        lines.extend(f"  {key:<{width}}  {_group(group)}" for key, group in groups.items())
    lines.append(f"Shadow would hand off, live did not: {_group(summary.shadow_hands_off)}")
    lines.append(f"Live handed off, shadow would not: {_group(summary.live_hands_off)}")
    return "\n".join(lines)


def _group(group: ShadowGroup) -> str:
    text = f"{group.turns} turn(s) in {group.conversations} conversation(s)"
    return text + (f"; e.g. {', '.join(group.examples)}" if group.examples else "")
