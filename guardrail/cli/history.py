"""``guardrail record`` and ``guardrail forget``: write to and erase from a history store."""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, get_args

from guardrail.cli._options import STORE_HELP, customer_salt, note, open_stream
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.history import EventKind, EventOutcome

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]

# The keys an event line may carry: identifiers and labels only, so no free text is kept.
_EVENT_KEYS: Final = frozenset(
    {"customer", "kind", "at", "need_state", "outcome", "conversation"}
)


def register(sub: Subcommands) -> None:
    """Add the ``record`` and ``forget`` subcommands."""
    record = sub.add_parser(
        "record", help="record a history event (an article view, a reopened ticket...)"
    )
    record.add_argument("--store", metavar="URL", required=True, help=STORE_HELP)
    record.add_argument("--customer", help="the customer id")
    record.add_argument("--kind", choices=list(get_args(EventKind)))
    record.add_argument("--at", help="ISO-8601 time with a timezone (default: now)")
    record.add_argument("--need-state", help="the need-state (contacts)")
    record.add_argument("--outcome", choices=list(get_args(EventOutcome)))
    record.add_argument("--conversation", help="the conversation id, if any")
    record.add_argument("--input", "-i",
                        help="JSONL of events instead of the flags, one object a line with the "
                             "same keys (customer, kind, at, need_state, outcome, conversation)")
    record.set_defaults(func=_record)

    forget = sub.add_parser("forget", help="delete everything the history store holds "
                                           "about a customer")
    forget.add_argument("customer", help="the customer id")
    forget.add_argument("--store", metavar="URL", required=True, help=STORE_HELP)
    forget.set_defaults(func=_forget)


def _store_guard(args: argparse.Namespace) -> Guardrail:
    """A rules-only Guardrail for the store commands (no model to load)."""
    return Guardrail(need_model=None, store=args.store, customer_salt=customer_salt())


def _record(args: argparse.Namespace) -> int:
    guard = _store_guard(args)
    try:
        if args.input:
            with ExitStack() as stack:
                lines = open_stream(args.input, "rb", stack).read().splitlines()
            events = [_event_line(raw, n) for n, raw in enumerate(lines, 1) if raw.strip()]
        else:
            if not args.customer or not args.kind:
                raise UserError("record needs --customer and --kind (or --input FILE)")
            events = [{"customer": args.customer, "kind": args.kind, "at": args.at,
                       "need_state": args.need_state, "outcome": args.outcome,
                       "conversation": args.conversation}]
        for event in events:
            guard.record_event(
                event["kind"], str(event["customer"]), at=_when(event.get("at")),
                need_state=event.get("need_state"), outcome=event.get("outcome"),
                conversation_id=event.get("conversation"),
            )
    finally:
        guard.close()
    note(args, f"recorded {len(events)} event(s)")
    return 0


def _event_line(raw: bytes, number: int) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise UserError(f"line {number}: not valid JSON") from None
    if not isinstance(data, dict) or "customer" not in data or "kind" not in data:
        raise UserError(f"line {number}: expected an object with customer and kind")
    unknown = set(data) - _EVENT_KEYS
    if unknown:
        raise UserError(f"line {number}: unknown key(s) {sorted(unknown)} (no free text is kept)")
    return data


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"--at / at: not an ISO-8601 time: {value!r}") from None
    if when.tzinfo is None:
        raise UserError(f"--at / at: {value!r} has no timezone (add Z or +00:00)")
    return when


def _forget(args: argparse.Namespace) -> int:
    guard = _store_guard(args)
    try:
        count = guard.forget_customer(args.customer)
    finally:
        guard.close()
    print(f"deleted {count} record(s) about that customer")
    return 0
