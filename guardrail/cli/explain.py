"""``guardrail explain``: the decision for messages given on the command line, or a conversation
recorded in an audit file (``--audit``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from guardrail.cli._options import (
    REGISTRY_HELP,
    STORE_HELP,
    add_need_model,
    build_guard,
    json_arg,
)
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]

# The audit listing names this many conversations when the one asked for is not there.
_KNOWN_SHOWN = 10


def register(sub: Subcommands) -> None:
    """Add the ``explain`` subcommand."""
    parser = sub.add_parser("explain", help="explain the decision for one conversation")
    parser.add_argument("messages", nargs="*",
                        help="user messages, one argument per turn (not with --audit)")
    parser.add_argument("--context", help="stable context as a JSON object")
    parser.add_argument("--signals", help="behavioural signals as a JSON object")
    parser.add_argument("--registry", help=REGISTRY_HELP)
    parser.add_argument("--json", action="store_true", help="print the Decision as JSON")
    add_need_model(parser)
    parser.add_argument("--store", metavar="URL", help=STORE_HELP)
    parser.add_argument("--audit", metavar="FILE",
                        help="explain a conversation recorded in this audit JSONL file instead")
    parser.add_argument("--conversation", metavar="ID",
                        help="with --audit: the conversation to explain (default: list them)")
    parser.set_defaults(func=_explain)


def _explain(args: argparse.Namespace) -> int:
    if args.audit is not None or args.conversation is not None:
        return _explain_audit(args)
    if not args.messages:
        raise UserError("explain needs at least one message, or --audit FILE")
    guard = build_guard(args)
    conversation = {
        "messages": [{"role": "user", "content": m} for m in args.messages],
        "context": json_arg(args.context, "context"),
        "signals": json_arg(args.signals, "signals"),
    }
    decision = guard.check(conversation)
    if args.json:
        print(decision.model_dump_json(indent=2))
        return 0
    from guardrail.cli.render import render_decision  # rich is only needed for this view

    render_decision(decision)
    return 0


def _explain_audit(args: argparse.Namespace) -> int:
    from guardrail.audit import conversations, explain_conversation, load_audit

    if args.audit is None:
        raise UserError("--conversation needs --audit FILE")
    given = [name for name, value in (("messages", args.messages), ("--context", args.context),
                                      ("--signals", args.signals), ("--json", args.json)) if value]
    if given:
        raise UserError(f"--audit explains a recorded conversation; {', '.join(given)} "
                        "cannot be used with it")
    trail = load_audit(args.audit)
    for problem in trail.problems:
        print(f"guardrail: warning: {args.audit}: {problem} (skipped)", file=sys.stderr)
    known = conversations(trail.records)
    if args.conversation is None:
        for c in known:
            print(f"{c.conversation_id}\t{c.turns} turn(s)\tlast risk {c.last_risk_tier or '-'}")
        return 0
    records = [r for r in trail.records if r.conversation_id == args.conversation]
    if not records:
        ids = ", ".join(c.conversation_id for c in known[:_KNOWN_SHOWN]) or "(none)"
        more = f" and {len(known) - _KNOWN_SHOWN} more" if len(known) > _KNOWN_SHOWN else ""
        print(f"guardrail: no conversation {args.conversation!r} in {args.audit}; "
              f"known: {ids}{more}", file=sys.stderr)
        return 1
    print(explain_conversation(records))
    return 0
