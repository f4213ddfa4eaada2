"""Agent overrides: a human agent puts a conversation in a segment, takes it out, or marks the
customer verified, with who, role and why (issue 18 item 4).

An `Override` is the record: what was done to which segment of which conversation, by whom, in
which role, why (redacted, bounded) and when. `Guardrail.override` validates and makes it
(`check_override` holds the rules the registry's ``settings.governance.overrides`` sets), stores
it in the history store beside the customer's events and outcomes, and the engine honours it
from the next check of the conversation, in both arms:

* ``assert`` adds the segment to the active ones (its routing, tools, handoff apply), with an
  ``override.agent`` reason whose rule id is the segment.
* ``clear`` takes the segment out even while its entry criteria hold. As with
  `Guardrail.verify`, what it clears is what the conversation held when it was made: the
  messages it covers are counted (`Override.through`), and a finding of the segment read from a
  *later* message brings the segment back (the override is then spent for that segment).
* ``verify`` is a clear of every segment the registry lets an agent end by verification
  (`Override.covers`); the engine also ends each like ``verify(by="agent")``.

The latest override of a segment wins (an assert after a clear puts it back). An override acts
on segments only: the risk tier still follows every finding, so the baseline and risk-tier tool
policies (which do not depend on segments) stay as strict as without it.

Without a history store, overrides live in this process only (`OverrideBooks`, bounded like the
risk memory); with one, every worker reads a conversation's overrides when it reads the store
for that conversation, so they survive a restart and reach other workers (and the CLI, a
separate process, can make them). They are forgotten with the customer and expire with the
retention.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Final, get_args

from pydantic import (
    AwareDatetime,
    Field,
    field_validator,
)

from guardrail._base import CheckedModel
from guardrail.audit.record import OverrideAction
from guardrail.errors import OverrideRefusedError, UserError
from guardrail.reasons import ENGINE_CODES, Finding, ReasonCode
from guardrail.redact import redact
from guardrail.registry import Registry

__all__ = [
    "OVERRIDE_ACTIONS",
    "OVERRIDE_CODE",
    "Applied",
    "Override",
    "OverrideAction",
    "OverrideBook",
    "OverrideBooks",
    "check_override",
]

OVERRIDE_CODE: Final = "override.agent"
"""The reason code every decision an override acts on carries (catalogued in ENGINE_CODES)."""
OVERRIDE_ACTIONS: Final[tuple[str, ...]] = get_args(OverrideAction)
# A conversation overridden more often than this keeps its latest overrides (an agent desk in a
# loop must not grow one conversation's book without bound).
_PER_CONVERSATION: Final = 64
_MAX_ID = 256


def _new_override_id() -> str:
    return uuid.uuid4().hex


class Override(CheckedModel):
    """One override of a segment for a conversation, as stored and audited (no message text).

    Building one from bad input raises `UserError` naming the field at fault.

    Attributes:
        conversation_id: the conversation it applies to.
        customer: the customer's key as stored (`guardrail.history.customer_key`), so it is
            forgotten with the customer; None when made without a store and without a known
            customer (then it lives in this process only).
        segment: the segment named (for ``verify``: the one the verification answers).
        action: ``assert``, ``clear`` or ``verify``.
        covers: the segments it takes the conversation out of (``clear``: the segment;
            ``verify``: every segment this agent may end by verification; ``assert``: none).
        who: the agent's id (an identifier, kept verbatim: it must not be personal data).
        role: the role it was made under (one of ``settings.governance.overrides.roles``).
        why: the reason given, redacted.
        at: when it was made; timezone-aware, normalised to UTC.
        through: how many messages of the conversation it covers (a finding read from message
            `through` or later brings a cleared segment back); None until the engine first
            applies it to the conversation, which sets it.
        policy_version: the registry version it was judged under.
        override_id: unique per customer; recording it again replaces the stored one.
    """

    what: ClassVar[str] = "override"

    conversation_id: str = Field(min_length=1, max_length=_MAX_ID)
    customer: str | None = Field(default=None, min_length=1, max_length=_MAX_ID)
    segment: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    action: OverrideAction
    covers: list[str] = Field(default_factory=list)
    who: str = Field(min_length=1, max_length=_MAX_ID)
    role: str = Field(min_length=1, max_length=64)
    why: str = Field(min_length=1, max_length=1000)
    at: AwareDatetime
    through: int | None = Field(default=None, ge=0)
    policy_version: str
    override_id: str = Field(
        default_factory=_new_override_id, min_length=1, max_length=_MAX_ID,
        pattern=r"^[A-Za-z0-9_.:-]+$",
    )

    @field_validator("who", "role", "why")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("who", "role")
    @classmethod
    def _identifier(cls, value: str) -> str:
        # Both are written verbatim into reasons, the audit log, spans and handoff summaries:
        # a line break or a control character would forge lines there, and personal data
        # would leave the process unredacted.
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError("must be an identifier: no spaces or control characters")
        if redact(value, _MAX_ID) != value:
            raise ValueError("must be an identifier, not personal data (redaction would mask "
                             "it)")
        return value

    @field_validator("why")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # Kept in one line wherever it is shown (summaries, explanations list one per line).
        return "".join(ch if ch.isprintable() else " " for ch in value)

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


    def reason(self) -> ReasonCode:
        """The reason the decisions it acts on carry: what was done, by whom, in which role,
        and why (already redacted)."""
        return ReasonCode(
            code=OVERRIDE_CODE, rule_id=self.segment, source=f"override:{self.action}",
            explanation=f"{ENGINE_CODES[OVERRIDE_CODE]}: {self.action} {self.segment}, by "
            f"{self.role} {self.who} ({self.why})",
        )


def check_override(registry: Registry, segment: str, action: str, role: str) -> list[str]:
    """Check an override against `registry`; the segments it takes the conversation out of.

    Raises:
        UserError: an unknown action or segment, a role the registry does not list, an
            ``assert`` of a failsafe segment (those are the engine's own, on failures), a
            ``clear`` of one, or a ``verify`` naming a segment an agent may not end by
            verification.
        OverrideRefusedError: the role may not clear (or verify away) a segment of critical
            risk (``settings.governance.overrides.critical_roles``).
    """
    if action not in OVERRIDE_ACTIONS:
        raise UserError(f"action: {action!r} is not one of {', '.join(OVERRIDE_ACTIONS)}")
    spec = registry.segment_by_id.get(segment)
    if spec is None:
        raise UserError(f"segment: {segment!r} is not a segment of this registry")
    settings = registry.settings.governance.overrides
    if role not in settings.roles:
        raise UserError(f"role: {role!r} may not override segments (the registry allows "
                        f"{', '.join(settings.roles)})")
    critical = role in settings.critical_roles
    if spec.tier == "failsafe" and action != "verify":
        raise UserError(f"segment: {segment!r} is a failsafe segment: the engine puts a "
                        "conversation there when a part of it fails, and no override may "
                        f"{action} it")
    if action == "assert":
        return []
    if action == "clear":
        if spec.risk == "critical" and not critical:
            raise OverrideRefusedError(segment, role, settings.critical_roles)
        return [segment]
    if "agent" not in spec.exit.verified_by:
        raise UserError(f"segment: {segment!r} is not ended by an agent's verification")
    if spec.risk == "critical" and not critical:
        raise OverrideRefusedError(segment, role, settings.critical_roles)
    # The customer is verified for every such segment; a critical one only with a role that
    # may clear critical risks.
    return [s.id for s in registry.segments if "agent" in s.exit.verified_by
            and s.tier != "failsafe" and (s.risk != "critical" or critical)]


def _covered(registry: Registry, made: Override) -> list[str]:
    """The segments a clearing override takes the conversation out of under `registry`.

    Judged again on every use: a stored override (written by another process, by hand, or
    under a registry that let its role do more) never clears more than `check_override`
    allows now; one it refuses clears nothing (the stricter reading).
    """
    try:
        allowed = check_override(registry, made.segment, made.action, made.role)
    except UserError:
        return []
    return [s for s in made.covers if s in allowed]


@dataclass(frozen=True, slots=True)
class _Binding:
    """What a clearing override covers in this process: the messages through `through`, known
    by fingerprint when this process saw them (a trimmed conversation's new messages are not)."""

    through: int
    prints: frozenset[int] | None

    def later(self, finding: Finding, print_of: Callable[[int], int | None]) -> bool:
        """Whether `finding` was read from a message the override does not cover."""
        if finding.index < 0:  # remembered or engine findings: what the override saw
            return False
        if finding.index >= self.through:
            return True
        mark = print_of(finding.index)
        return self.prints is not None and mark is not None and mark not in self.prints


@dataclass(frozen=True, slots=True)
class Applied:
    """What the overrides of a conversation did to one decision.

    Attributes:
        active: the active segments after the overrides, in registry order.
        asserted: the segments an override put there (kept in the holdout arm too).
        reasons: the reasons of the clearing overrides in force (asserted ones are among
            their segment's reasons).
        bound: overrides that learnt here how many messages they cover (to store again).
    """

    active: dict[str, list[ReasonCode]]
    asserted: frozenset[str]
    reasons: list[ReasonCode]
    bound: list[Override]


@dataclass
class OverrideBook:
    """One conversation's overrides, in the order they were made, and what they cover here."""

    customer: str | None = None
    overrides: OrderedDict[str, Override] = field(default_factory=OrderedDict)
    bindings: dict[str, _Binding] = field(default_factory=dict)
    spent: set[tuple[str, str]] = field(default_factory=set)  # (override id, segment)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, overrides: Iterable[Override]) -> None:
        """Take in overrides (made here or read from the store); an id already known is kept
        as known here, unless the stored one has learnt what it covers."""
        with self.lock:
            for made in overrides:
                known = self.overrides.get(made.override_id)
                if known is None or (known.through is None and made.through is not None):
                    self.overrides[made.override_id] = made
                if made.customer is not None:
                    self.customer = made.customer
            while len(self.overrides) > _PER_CONVERSATION:
                old, _ = self.overrides.popitem(last=False)
                self.bindings.pop(old, None)

    def apply(
        self,
        registry: Registry,
        active: Mapping[str, list[ReasonCode]],
        findings: Mapping[str, Finding],
        scanned: int,
        print_of: Callable[[int], int | None],
    ) -> Applied:
        """The active segments as the overrides leave them (see the module docstring).

        Args:
            registry: the registry in force (an override of a segment it lacks is ignored).
            active: the segments the policy assigned, with their reasons.
            findings: the conversation's findings, by rule id (the support of each segment).
            scanned: how many messages the conversation has had read.
            print_of: the fingerprint of message `i` (None when out of range).
        """
        with self.lock:
            ordered = sorted(self.overrides.values(), key=lambda o: o.at)
            asserted: dict[str, Override] = {}
            cleared: dict[str, Override] = {}
            for made in ordered:
                if made.action == "assert":
                    asserted[made.segment] = made
                    cleared.pop(made.segment, None)
                    continue
                for seg in _covered(registry, made):
                    cleared[seg] = made
                    asserted.pop(seg, None)
            out = dict(active)
            reasons: dict[str, ReasonCode] = {}
            bound: list[Override] = []
            for seg, made in cleared.items():
                if (made.override_id, seg) in self.spent:
                    continue
                binding = self._binding(made, scanned, print_of, bound)
                support = [findings[r.rule_id] for r in out.get(seg, ()) if r.rule_id in findings]
                if any(binding.later(f, print_of) for f in support):
                    self.spent.add((made.override_id, seg))  # reported again: it is back
                    continue
                out.pop(seg, None)
                reasons.setdefault(made.override_id, made.reason())
            for seg, made in asserted.items():
                if seg in registry.segment_by_id:
                    out[seg] = [*out.get(seg, ()), made.reason()]
        ordered_active = {s.id: out[s.id] for s in registry.segments if s.id in out}
        return Applied(ordered_active, frozenset(s for s in asserted if s in ordered_active),
                       list(reasons.values()), bound)

    def _binding(
        self,
        made: Override,
        scanned: int,
        print_of: Callable[[int], int | None],
        bound: list[Override],
    ) -> _Binding:
        binding = self.bindings.get(made.override_id)
        if binding is not None:
            return binding
        through = made.through
        if through is None:
            # Made where the conversation was not read (the CLI, another worker): it covers
            # what the conversation held when this engine first applied it, for every worker.
            through = scanned
            made = made.model_copy(update={"through": through})
            self.overrides[made.override_id] = made
            bound.append(made)
        # Stop at the first message this conversation lacks: a stored `through` is not
        # bounded by the conversation, and walking past its end would only find more gaps.
        marks: set[int] = set()
        prints: frozenset[int] | None = None
        for index in range(through):
            mark = print_of(index)
            if mark is None:
                break
            marks.add(mark)
        else:
            prints = frozenset(marks)
        binding = self.bindings[made.override_id] = _Binding(through, prints)
        return binding


class OverrideBooks:
    """The override books of conversations, by id, least recently used evicted past `limit`.

    Only overridden conversations have one. Without a history store this is where overrides
    live, so an evicted book's overrides are lost (the limit is many times the conversations
    kept); with a store they are read again with the conversation's history. Thread-safe.
    """

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._books: OrderedDict[str, OverrideBook] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conversation_id: str | None, *, create: bool = False) -> OverrideBook | None:
        """The book of a conversation; None when it has none (and `create` is False)."""
        if conversation_id is None:
            return None
        with self._lock:
            book = self._books.get(conversation_id)
            if book is not None:
                self._books.move_to_end(conversation_id)
            elif create:
                book = self._books[conversation_id] = OverrideBook()
                while len(self._books) > self._limit:
                    self._books.popitem(last=False)
            return book

    def forget_customer(self, customer: str) -> None:
        """Drop the books of every conversation of `customer` (its stored key)."""
        with self._lock:
            for conv_id in [k for k, b in self._books.items() if b.customer == customer]:
                del self._books[conv_id]

    def __len__(self) -> int:
        return len(self._books)
