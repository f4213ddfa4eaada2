"""``guardrail record``, ``record-outcome`` and ``forget``: write to and erase from a history store.

Outcomes have their own command rather than more flags on ``record``: ``record --outcome`` is how
a history event ended (``open``, ``resolved``...) and ``record --kind`` takes event kinds
(``reopen``), while an outcome's kinds overlap those words with other meanings (``reopened``,
``handed_off``) and carry fields events do not have (score, incident). Two commands keep every
flag meaning one thing, and each ``--help`` lists only what applies.
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, get_args

from guardrail.cli._options import REGISTRY_HELP, STORE_HELP, customer_salt, note, open_stream
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.governance import INCIDENTS, OUTCOME_KINDS, Outcome
from guardrail.history import EventKind, EventOutcome

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]

# The keys an event line may carry: identifiers and labels only, so no free text is kept.
_EVENT_KEYS: Final = frozenset(
    {"customer", "kind", "at", "need_state", "outcome", "conversation"}
)
# The keys an outcome line may carry (``conversation`` and ``customer`` as in event lines).
_OUTCOME_KEYS: Final = frozenset(
    {"customer", "conversation", "kind", "at", "first_contact", "need_state", "first_human_at",
     "score", "incident", "category", "outcome_id"}
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

    outcome = sub.add_parser(
        "record-outcome",
        help="record what the help desk learnt after a conversation (resolved, CSAT, incident...)",
    )
    outcome.add_argument("--store", metavar="URL", required=True, help=STORE_HELP)
    outcome.add_argument("--registry", help=REGISTRY_HELP + " (checks --need-state)")
    outcome.add_argument("--conversation", help="the conversation id")
    outcome.add_argument("--customer", help="the customer id the conversation was with")
    outcome.add_argument("--kind", choices=list(OUTCOME_KINDS))
    outcome.add_argument("--at", help="ISO-8601 time with a timezone (default: now); for "
                                      "handed_off, when the handoff happened")
    outcome.add_argument("--first-contact", action=argparse.BooleanOptionalAction,
                         default=None, help="resolved: within the first contact, or not")
    outcome.add_argument("--need-state", help="repeat_contact: the need the customer came back for")
    outcome.add_argument("--first-human-at",
                         help="handed_off: ISO-8601 time of the first human message")
    outcome.add_argument("--score", type=float,
                         help="csat / post_handoff_csat: 1 to 5; ces: 1 to 7")
    outcome.add_argument("--incident", choices=list(INCIDENTS), help="incident: what went wrong")
    outcome.add_argument("--category", help="incident: a label of your own (letters, digits, _-.:)")
    outcome.add_argument("--id", dest="outcome_id",
                         help="your id for this fact: recording it again replaces it (retries)")
    outcome.add_argument("--input", "-i",
                         help="JSONL of outcomes instead of the flags, one object a line with "
                              f"the keys {', '.join(sorted(_OUTCOME_KEYS))}; every line is "
                              "checked before any is written")
    outcome.set_defaults(func=_record_outcome)

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


def _record_outcome(args: argparse.Namespace) -> int:
    if args.input:
        with ExitStack() as stack:
            lines = open_stream(args.input, "rb", stack).read().splitlines()
        rows = [(n, _outcome_line(raw, n)) for n, raw in enumerate(lines, 1) if raw.strip()]
    else:
        if not args.conversation or not args.customer or not args.kind:
            raise UserError("record-outcome needs --conversation, --customer and --kind "
                            "(or --input FILE)")
        row = {key: getattr(args, key) for key in sorted(_OUTCOME_KEYS - {"conversation"})}
        rows = [(0, {**row, "conversation": args.conversation})]
    # Check every line before writing any, so a bad line 50 does not leave 49 recorded.
    checked = [(n, _outcome_fields(row, n)) for n, row in rows]
    guard = Guardrail(args.registry, need_model=None, store=args.store,
                      customer_salt=customer_salt())
    try:
        for n, (conversation, customer, fields) in checked:
            try:
                guard.record_outcome(conversation, fields.pop("kind"), customer_id=customer,
                                     **fields)
            except UserError as exc:
                raise UserError(f"{_where(n)}{exc}") from None
    finally:
        guard.close()
    note(args, f"recorded {len(checked)} outcome(s)")
    return 0


def _outcome_line(raw: bytes, number: int) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise UserError(f"line {number}: not valid JSON") from None
    if not isinstance(data, dict):
        raise UserError(f"line {number}: expected an object")
    unknown = set(data) - _OUTCOME_KEYS
    if unknown:
        raise UserError(f"line {number}: unknown key(s) {sorted(unknown)} (no free text is kept)")
    for key in ("customer", "conversation", "kind"):
        if not isinstance(data.get(key), str):
            raise UserError(f"line {number}: {key} must be a string")
    return data


def _outcome_fields(row: dict[str, Any], number: int) -> tuple[str, str, dict[str, Any]]:
    """(conversation, customer, the other fields) of a row, validated as an `Outcome`."""
    try:
        fields = {k: v for k, v in row.items()
                  if k not in ("conversation", "customer") and v is not None}
        for key in ("at", "first_human_at"):
            if key in fields:
                fields[key] = _when(fields[key], key)
        fields.setdefault("at", datetime.now(UTC))
        # The stored customer key is made by the engine; any non-empty key validates the rest.
        Outcome.model_validate({**fields, "conversation_id": row["conversation"],
                                "customer": "-"})
    except UserError as exc:
        raise UserError(f"{_where(number)}{exc}") from None
    return str(row["conversation"]), str(row["customer"]), fields


def _where(number: int) -> str:
    return f"line {number}: " if number else ""


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


def _when(value: Any, name: str = "--at / at") -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"{name}: not an ISO-8601 time: {value!r}") from None
    if when.tzinfo is None:
        raise UserError(f"{name}: {value!r} has no timezone (add Z or +00:00)")
    return when


def _forget(args: argparse.Namespace) -> int:
    guard = _store_guard(args)
    try:
        count = guard.forget_customer(args.customer)
    finally:
        guard.close()
    print(f"deleted {count} record(s) about that customer")
    return 0
