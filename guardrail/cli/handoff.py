"""``guardrail handoff``: the summary a human agent would get for a conversation."""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from typing import TYPE_CHECKING

from guardrail.batch import parse_line
from guardrail.cli._options import add_guard_options, build_guard, open_stream
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``handoff`` subcommand."""
    parser = sub.add_parser(
        "handoff", help="print the handoff summary a human agent would get for a conversation"
    )
    parser.add_argument("--input", "-i", required=True,
                        help="a conversation in the batch input format (one JSON object, or "
                             "JSONL: one summary per line), or - for stdin")
    parser.add_argument("--format", choices=["json", "markdown"], default="markdown")
    add_guard_options(parser)
    parser.set_defaults(func=_handoff)


def _handoff(args: argparse.Namespace) -> int:
    from guardrail.handoff.summary import HandoffSummary

    with ExitStack() as stack:
        raw = open_stream(args.input, "rb", stack).read()
    # One JSON object (pretty-printed or not) or JSONL, one conversation a line.
    chunks = [raw] if raw.lstrip().startswith(b"{") and _is_one_object(raw) else [
        line for line in raw.splitlines() if line.strip()
    ]
    if not chunks:
        raise UserError(f"{args.input}: no conversation in the input")
    guard = build_guard(args)
    summaries = []
    for number, chunk in enumerate(chunks, 1):
        _, conversation = parse_line(chunk, number)
        summaries.append(HandoffSummary.build(guard.check(conversation), conversation))
    if args.format == "json":
        for summary in summaries:
            indent = 2 if len(summaries) == 1 else None
            print(summary.model_dump_json(indent=indent))
    else:
        print("\n\n---\n\n".join(s.to_markdown() for s in summaries))
    return 0


def _is_one_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False
