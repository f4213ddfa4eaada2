"""After a handoff: what each later turn of the same conversation does, decided in one place.

Once a conversation is handed off, a human has it. A customer who keeps writing would otherwise
get the same handoff message every turn (and the human the same summary every turn). So every
adapter asks `Followups.advance` what this turn is, and gets one of:

==============  =================================================================================
``handoff``     the first handoff: send the summary, show the handoff message
``update``      the handoff's queue or reasons changed: send the new summary; the customer gets
                the new queue's handoff message if the queue changed, else a status reply
``status``      still handed off, nothing new: no summary; the customer gets a status reply
                (variants rotated by how many they already had, so two in a row never repeat)
                and the sink a ``status`` `HandoffUpdate`
``withdrawn``   the decision no longer requires a person and every reason of the handoff was
                non-critical (a person asked for, friction): the sink gets a ``withdrawn``
                update and the assistant answers again
``none``        no handoff now and none before (or the critical handoff before was ended by an
                application's or agent's `verify`/`resolve`: nothing to withdraw)
==============  =================================================================================

Critical risks are never withdrawn by the customer's words: the engine keeps their segments
until `verify`/`resolve` (DESIGN principle 9), so the decision keeps requiring the handoff; and a
handoff with any reason outside the non-critical families is never reported withdrawn.

What is kept per conversation is small and holds no message text: the queue, the reason codes,
whether they were all non-critical, and the number of status replies. It is keyed by the sink
(the handoffs it already has are what must not be repeated) and the conversation id, bounded
least recently used, and shared by every adapter through `guardrail.adapters._turn`. A
conversation without an id cannot be followed: each of its handoff turns is a first one.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Literal

from guardrail.decision import Decision
from guardrail.errors import UserError

__all__ = [
    "FOLLOWUPS",
    "NON_CRITICAL_FAMILIES",
    "Followup",
    "FollowupKind",
    "Followups",
    "HandedOff",
    "withdrawable",
]

FollowupKind = Literal["handoff", "update", "status", "withdrawn", "none"]

NON_CRITICAL_FAMILIES = frozenset({"human", "friction"})
"""Reason-code families (the part before the first dot) a customer may withdraw in words."""

_WITHDRAWABLE_RISK = frozenset({"low", "medium"})
_MAX_CONVERSATIONS = 10_000


@dataclass(frozen=True, slots=True)
class HandedOff:
    """What is remembered of one conversation's handoff (no message text).

    Attributes:
        queue: the queue it went to.
        codes: the reason codes it was made for (without rule ids).
        reasons: the handoff's reasons as the decision gave them (``code#rule_id``).
        withdrawable: every reason was non-critical, so the customer may withdraw it.
        status_replies: status replies the customer has had since.
        replied_status: whether this turn's reply is a status reply (else the handoff message).
    """

    queue: str | None
    codes: frozenset[str]
    reasons: tuple[str, ...]
    withdrawable: bool
    status_replies: int = 0
    replied_status: bool = False


@dataclass(frozen=True, slots=True)
class Followup:
    """What this turn is (see the module docstring) and the state it leaves (`state`; for
    ``withdrawn`` and ``none`` the state before, or None)."""

    kind: FollowupKind
    state: HandedOff | None

    @property
    def sends_summary(self) -> bool:
        """Whether the summary goes to the sink this turn."""
        return self.kind in ("handoff", "update")


def _codes(reasons: list[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(r.split("#", 1)[0] for r in reasons)


def withdrawable(decision: Decision) -> bool:
    """Whether the customer may withdraw this decision's handoff in words: no failsafe, no risk
    above medium, and every reason code in a non-critical family."""
    codes = _codes(decision.handoff.reasons)
    return (
        bool(codes)
        and not decision.failsafe
        and decision.risk_tier in _WITHDRAWABLE_RISK
        and all(code.split(".", 1)[0] in NON_CRITICAL_FAMILIES for code in codes)
    )


class Followups:
    """Per (sink, conversation id): the handoff already made, bounded least recently used.

    Args:
        max_conversations: conversations kept; past it the least recently used is forgotten
            (its next handoff turn counts as a first one).

    Thread-safe: `advance` reads and writes one entry under a lock.

    Raises:
        UserError: `max_conversations` is below 1.
    """

    def __init__(self, max_conversations: int = _MAX_CONVERSATIONS) -> None:
        if max_conversations < 1:
            raise UserError("Followups needs max_conversations >= 1")
        self._max = max_conversations
        self._lock = threading.Lock()
        # key -> (a reference to the sink, to tell a new sink from a collected one whose id
        # was reused: weak, or strong for a sink that cannot be weakly referenced; state)
        self._entries: OrderedDict[Hashable, tuple[_Ref, HandedOff]] = OrderedDict()

    def advance(self, sink: object, conversation_id: str | None, decision: Decision) -> Followup:
        """What this turn of `conversation_id` is under `decision`, and remember it."""
        if conversation_id is None:
            if not decision.handoff.required:
                return Followup("none", None)
            return Followup("handoff", _first(decision))
        key, ref = _key(sink, conversation_id)
        with self._lock:
            entry = self._entries.get(key)
            previous = entry[1] if entry is not None and _alive(entry[0], sink) else None
            followup = _next(previous, decision)
            if followup.kind in ("withdrawn", "none"):
                self._entries.pop(key, None)
            elif followup.state is not None:
                self._entries[key] = (ref, followup.state)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return followup

    def state(self, sink: object, conversation_id: str | None) -> HandedOff | None:
        """What is remembered of the conversation's handoff to `sink`, if anything."""
        if conversation_id is None:
            return None
        key, _ = _key(sink, conversation_id)
        with self._lock:
            entry = self._entries.get(key)
        return entry[1] if entry is not None and _alive(entry[0], sink) else None


def _first(decision: Decision) -> HandedOff:
    return HandedOff(queue=decision.handoff.queue, codes=_codes(decision.handoff.reasons),
                     reasons=tuple(decision.handoff.reasons), withdrawable=withdrawable(decision))


def _next(previous: HandedOff | None, decision: Decision) -> Followup:
    if not decision.handoff.required:
        if previous is None:
            return Followup("none", None)
        return Followup("withdrawn" if previous.withdrawable else "none", previous)
    if previous is None:
        return Followup("handoff", _first(decision))
    codes = _codes(decision.handoff.reasons)
    if decision.handoff.queue != previous.queue or not codes <= previous.codes:
        same_queue = decision.handoff.queue == previous.queue
        state = HandedOff(
            queue=decision.handoff.queue,
            codes=previous.codes | codes,
            reasons=tuple(dict.fromkeys([*previous.reasons, *decision.handoff.reasons])),
            withdrawable=previous.withdrawable and withdrawable(decision),
            status_replies=previous.status_replies + (1 if same_queue else 0),
            replied_status=same_queue,
        )
        return Followup("update", state)
    return Followup("status", replace(previous, status_replies=previous.status_replies + 1,
                                      replied_status=True))


_Ref = Callable[[], object]


def _key(sink: object, conversation_id: str) -> tuple[Hashable, _Ref]:
    owner = getattr(sink, "__self__", sink)  # a bound method is a new object on each access
    try:
        ref: _Ref = weakref.ref(owner)
    except TypeError:
        # Not weakly referable (a list's `append`, a slotted object, None): held strongly, so
        # its id cannot pass to a new sink that would then never get its first summary. The
        # entries are bounded, so are the sinks they hold.
        def ref(owner: object = owner) -> object:
            return owner
    return (id(owner), conversation_id), ref


def _alive(ref: _Ref, sink: object) -> bool:
    """Whether an entry made with `ref` belongs to `sink` (not a collected one with its id)."""
    return ref() is getattr(sink, "__self__", sink)


FOLLOWUPS = Followups()
"""The one follow-up state every adapter shares (`guardrail.adapters._turn`)."""
