"""``guardrail handoff``: the summary a human agent would get for a conversation.

Only a conversation whose decision requires a handoff gets a summary: printing a "Handoff to
..." card for one that needs none would send a human agent a case nobody escalated. Such a
conversation is reported on stderr (with why: a person only offered, or not even that) and the
command exits 1, so a script can tell "summarised" from "nothing to hand off". In JSONL the
conversations that need a handoff are still summarised, in input order.
"""

from __future__ import annotations

import argparse
import json
import sys
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
        "handoff", help="print the handoff summary a human agent would get for a conversation",
        description="Print the handoff summary a human agent would get for each conversation "
        "that requires a handoff. A conversation that needs none gets no summary: it is named "
        "on stderr. In JSONL, the others are still summarised.",
        epilog="exit status: 0 every conversation was summarised; 1 at least one needs no "
        "handoff (those are listed on stderr); 2 the input or the options are invalid.",
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
    default_queue = guard.registry.settings.default_queue
    summaries = []
    unneeded = 0
    for number, chunk in enumerate(chunks, 1):
        line_id, conversation = parse_line(chunk, number)
        decision = guard.check(conversation)
        if not decision.handoff.required:
            unneeded += 1
            name = (f"conversation {line_id!r}" if line_id is not None
                    else "the conversation" if len(chunks) == 1 else f"line {number}")
            why = ("a person is only offered" if decision.handoff.offered
                   else "nothing calls for one")
            print(f"{name}: needs no handoff ({why}; need {decision.need_state}, risk "
                  f"{decision.risk_tier}); no summary printed", file=sys.stderr)
            continue
        summaries.append(HandoffSummary.build(decision, conversation,
                                              default_queue=default_queue))
    if args.format == "json":
        for summary in summaries:
            indent = 2 if len(chunks) == 1 else None  # JSONL in, JSONL out
            print(summary.model_dump_json(indent=indent))
    elif summaries:
        print("\n\n---\n\n".join(s.to_markdown() for s in summaries))
    return 1 if unneeded else 0


def _is_one_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False
