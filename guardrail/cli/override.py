"""``guardrail override``: a human agent overrides a segment for a conversation, from a desk's
script or a terminal (`Guardrail.override`).

The override is stored in the history store, so the chatbot's workers honour it when they next
read the conversation's history; the CLI is a separate process and has no other way to reach
them. Printed on stdout as one JSON object (the customer as its stored key, the ``why``
redacted); written to ``--audit`` as an override record when given.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from guardrail.audit.writer import AuditLog, audited_override
from guardrail.cli._options import REGISTRY_HELP, STORE_HELP, customer_salt, note
from guardrail.engine import Guardrail
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``override`` subcommand."""
    parser = sub.add_parser(
        "override",
        help="override a segment for a conversation as a human agent (assert, clear, verify)",
    )
    parser.add_argument("--store", metavar="URL", required=True, help=STORE_HELP)
    parser.add_argument("--registry", help=REGISTRY_HELP + " (its roles and segments)")
    parser.add_argument("--conversation", required=True, help="the conversation id")
    parser.add_argument("--customer", required=True,
                        help="the customer id the conversation is with (the store's key)")
    parser.add_argument("--segment", required=True,
                        help="the segment (for --verify: the one the verification answers)")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--assert", dest="action", action="store_const", const="assert",
                        help="put the conversation in the segment")
    action.add_argument("--clear", dest="action", action="store_const", const="clear",
                        help="take the conversation out of the segment (a later report of "
                             "the same risk brings it back)")
    action.add_argument("--verify", dest="action", action="store_const", const="verify",
                        help="the customer was verified: end every segment an agent's "
                             "verification ends")
    parser.add_argument("--who", required=True, help="the agent's id")
    parser.add_argument("--role", required=True,
                        help="the role acted in (the registry's governance.overrides.roles)")
    parser.add_argument("--why", required=True, help="the reason (stored and audited redacted)")
    parser.add_argument("--at", help="ISO-8601 time with a timezone (default: now)")
    parser.add_argument("--audit", metavar="FILE", help="append an override record to this "
                                                        "audit log")
    parser.set_defaults(func=_override)


def _override(args: argparse.Namespace) -> int:
    at = _when(args.at)
    guard = Guardrail(args.registry, need_model=None, injection_model=None, store=args.store,
                      customer_salt=customer_salt())
    try:
        made = guard.override(args.conversation, args.segment, args.action, who=args.who,
                              role=args.role, why=args.why, at=at, customer_id=args.customer)
    finally:
        guard.close()
    if args.audit:
        audit = AuditLog(args.audit)
        audited_override(audit, made)
        if audit.failures:
            raise UserError(f"--audit: the override is recorded in the store, but the audit "
                            f"record could not be written to {args.audit}")
    print(made.model_dump_json())
    note(args, f"recorded: {made.action} {made.segment} on conversation "
               f"{made.conversation_id} by {made.role} {made.who}")
    return 0


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--at: not an ISO-8601 time: {value!r}") from None
    if when.tzinfo is None:
        raise UserError(f"--at: {value!r} has no timezone (add Z or +00:00)")
    return when
