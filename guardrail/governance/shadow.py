"""Shadow policies: a candidate registry decides every turn beside the live one, never acting.

A policy change is a guess until it meets real traffic. ``Guardrail(..., shadow=candidate)``
runs a second, complete `Guardrail` on the candidate registry over the same conversations, turn
by turn, after the live decision is final, and keeps only what the candidate would have decided
differently (`guardrail.audit.writer.shadow_differences`: handoff, risk, tools, segments, need):

* as a `ShadowRecord` in the shadow audit log (`AuditLog.shadow`), which
  ``guardrail shadow-report`` summarises (`summarise`);
* as a ``guardrail.shadow.diff`` event on the live ``guardrail.check`` span, with both policy
  versions (`guardrail.tracing.record_shadow`).

What the shadow never does:

* **change the live decision.** The live `Decision` is returned as the live engine made it;
  every exception on the shadow path is caught, counted (`Shadow.failures`) and logged once
  per run of failures. Its only cost to the turn is the shadow check itself.
* **write history.** The shadow engine reads the live history store through `ReadOnlyStore`
  (so its friction segments see what the live ones see) and every write it attempts (contacts,
  remembered risks) is dropped: the store holds one record of each conversation, the live one.
* **trace itself.** Its own check runs `untraced`, so ``guardrail.check`` spans still count live
  turns only.

It shares the live engine's need model and injection model objects (both are read-only after
loading and already shared by every thread of the live engine), and keeps its own conversation
states and critical-risk memory. Events that end a critical segment (`Guardrail.verify` /
`resolve`) are not mirrored into it: after one, the shadow still holds the segment, and its
records for that conversation say so.

Sampling: `shadow_share` below 1 shadows that share of conversations, chosen by a salted hash of
the conversation id, so a conversation is shadowed on every turn or on none (a conversation
without an id is shadowed only at a share of 1).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from opentelemetry.trace import Span
from pydantic import Field

from guardrail._base import FrozenModel
from guardrail.audit.explain import audit_key, customer_turn
from guardrail.audit.record import AuditRecord, ShadowRecord
from guardrail.audit.writer import AuditLog, ShadowDifference, shadow_differences, shadow_side
from guardrail.conversation import Conversation
from guardrail.decision import Decision
from guardrail.errors import RegistryError, RegistryIssue, UserError
from guardrail.governance.arms import in_holdout
from guardrail.governance.outcomes import Outcome
from guardrail.governance.overrides import Override
from guardrail.history import HistoryEvent, HistoryStore
from guardrail.registry import Registry
from guardrail.tracing import Verbatim, record_shadow, untraced

__all__ = [
    "Checker",
    "ReadOnlyStore",
    "Shadow",
    "ShadowDifference",
    "ShadowGroup",
    "ShadowSummary",
    "candidate_registry",
    "shadow_differences",
    "shadow_side",
    "shadowed",
    "summarise",
]

_log = logging.getLogger("guardrail.governance")
# The sample is drawn apart from the holdout's (another salt), so the two never line up.
_SAMPLE_SALT: Final = "guardrail.shadow"


class Checker(Protocol):
    """What decides a turn for the shadow: a `Guardrail` on the candidate registry."""

    def check(self, conversation: Conversation) -> Decision:
        """The decision for the conversation's current turn."""
        ...


def candidate_registry(candidate: Registry | str | os.PathLike[str]) -> Registry:
    """The candidate registry, loaded now so a bad one fails at construction, not on a turn.

    Raises:
        RegistryError: the folder does not load; the first issue names it as the shadow's.
    """
    if isinstance(candidate, Registry):
        return candidate
    try:
        return Registry.load(Path(candidate))
    except RegistryError as exc:
        head = RegistryIssue("<shadow registry>", "", f"the candidate {candidate} did not load")
        raise RegistryError([head, *exc.issues]) from None


def shadowed(conversation_id: str | None, share: float) -> bool:
    """Whether a conversation is in the shadowed sample of `share` (stable for its id)."""
    if share >= 1.0:
        return True
    if conversation_id is None:
        return False
    return in_holdout(share, _SAMPLE_SALT, conversation_id)


class ReadOnlyStore:
    """A history store the shadow engine reads and never writes: writes are dropped.

    Reads go to the live store, so the shadow's friction sees the customer's real history and
    the agents' overrides; `forget` and `purge` are refused (they belong to the live engine).
    """

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def record(self, event: HistoryEvent) -> None:
        """Dropped: only the live engine records contacts and risks."""

    def events(
        self, customer: str, since: datetime, until: datetime | None = None
    ) -> list[HistoryEvent]:
        """The live store's events."""
        return self._store.events(customer, since, until)

    def record_outcome(self, outcome: Outcome) -> None:
        """Dropped: outcomes are the application's to record, on the live engine."""

    def outcomes(
        self, since: datetime, until: datetime | None = None, *, conversation_id: str | None = None
    ) -> list[Outcome]:
        """The live store's outcomes."""
        return self._store.outcomes(since, until, conversation_id=conversation_id)

    def record_override(self, override: Override) -> None:
        """Dropped: overrides are made on the live engine."""

    def overrides(self, customer: str, conversation_id: str) -> list[Override]:
        """The live store's overrides of the conversation (none when it keeps none), so the
        shadow honours what an agent decided for it as the live engine does."""
        read = getattr(self._store, "overrides", None)
        return [] if read is None else list(read(customer, conversation_id))

    def forget(self, customer: str) -> int:
        """Refused: forget a customer on the live engine."""
        raise UserError("the shadow's history store is read-only: forget on the live Guardrail")

    def purge(self, before: datetime) -> int:
        """Refused: purging belongs to the live engine."""
        raise UserError("the shadow's history store is read-only: purge on the live Guardrail")

    def close(self) -> None:
        """Nothing: the live engine closes its store."""


class Shadow:
    """A candidate policy evaluated beside the live one; see the module docstring.

    Built by `Guardrail` from its ``shadow=`` arguments (`build`); read it as `Guardrail.shadow`.

    Args:
        checker: the candidate's engine (a `Guardrail` on `registry`).
        registry: the candidate registry.
        share: the share of conversations shadowed, in [0, 1].
        audit: where `ShadowRecord`s go; None for the span events alone.

    Attributes:
        checked: turns the shadow decided.
        differed: turns on which it decided differently from the live policy.
        failures: turns on which the shadow path raised (the live decision stood).
    """

    def __init__(
        self,
        checker: Checker,
        registry: Registry,
        *,
        share: float = 1.0,
        audit: AuditLog | None = None,
    ) -> None:
        self.checker = checker
        self.registry = registry
        self.share = share
        self.audit = audit
        self.checked = 0
        self.differed = 0
        self.failures = 0
        self._lock = threading.Lock()
        self._failing = False

    @classmethod
    def build(
        cls,
        candidate: Registry | str | os.PathLike[str],
        make: Callable[[Registry], Checker],
        *,
        share: float = 1.0,
        audit: AuditLog | str | os.PathLike[str] | None = None,
    ) -> Shadow:
        """Load the candidate and build its engine with `make`; every problem raises now.

        Raises:
            UserError: `share` is not a number in [0, 1].
            RegistryError: the candidate registry does not load.
        """
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise UserError(f"shadow_share must be a number from 0 to 1, not {share!r}")
        registry = candidate_registry(candidate)
        if audit is not None and not isinstance(audit, AuditLog):
            audit = AuditLog(audit)
        if audit is None:
            _log.warning("shadow policy %s: no shadow_audit log, so its differences go to the "
                         "check spans only", Verbatim(registry.version))
        return cls(make(registry), registry, share=float(share), audit=audit)

    def observe(self, conversation: Conversation, live: Decision, span: Span) -> None:
        """Decide `conversation`'s turn under the candidate and record how it differs from
        `live`. Never raises and never touches `live`."""
        if not shadowed(conversation.id, self.share):
            return
        try:
            with untraced():
                decision = self.checker.check(conversation)
            differences = self._record(conversation, live, decision)
            if differences:
                record_shadow(span, live.policy_version, decision, differences)
        except Exception as exc:  # the shadow never reaches the live turn
            self._failed(exc)
            return
        with self._lock:
            self.checked += 1
            self.differed += bool(differences)
            if self._failing:
                self._failing = False
                _log.info("shadow policy %s: working again after %d failed turns",
                          Verbatim(self.registry.version), self.failures)

    def _record(
        self, conversation: Conversation, live: Decision, shadow: Decision
    ) -> list[ShadowDifference]:
        if self.audit is None:
            return shadow_differences(shadow_side(live), shadow_side(shadow))
        return self.audit.shadow(live, shadow, conversation_id=audit_key(conversation),
                                 turn=customer_turn(conversation), at=conversation.at)

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self.failures += 1
            first = not self._failing
            self._failing = True
        if first:
            # The type only: an exception raised on customer data may quote it.
            _log.error("shadow policy %s failed on a turn (%s); the live decision stands, "
                       "further failures are counted in Guardrail.shadow.failures",
                       Verbatim(self.registry.version), type(exc).__name__)


# -- the report ------------------------------------------------------------------------------


class ShadowGroup(FrozenModel):
    """The shadow records of one group: how many turns and conversations, and examples.

    Attributes:
        turns: records (one per turn) in the group.
        conversations: distinct conversations among them.
        examples: up to the number asked for, ``conversation_id#turn``, one per conversation,
            in the order the records were read.
    """

    turns: int = 0
    conversations: int = 0
    examples: list[str] = Field(default_factory=list)


class ShadowSummary(FrozenModel):
    """What ``guardrail shadow-report`` prints: shadow records grouped, with examples.

    Attributes:
        turns: turns on which the shadow differed (a turn checked more than once counts once).
        conversations: conversations with at least one such turn.
        policies: ``live -> shadow`` policy version pairs and their turns.
        by_difference: per aspect that differed (``handoff``, ``risk``, ``tools``,
            ``segments``, ``need``).
        by_segment: per segment the live decision had (``(none)`` for none).
        by_need: per live need-state.
        segments_added: per segment the shadow had and the live decision did not.
        segments_dropped: per segment the live decision had and the shadow did not.
        shadow_hands_off: turns the shadow would hand off and live did not.
        live_hands_off: turns live handed off and the shadow would not.
    """

    turns: int
    conversations: int
    policies: dict[str, int]
    by_difference: dict[str, ShadowGroup]
    by_segment: dict[str, ShadowGroup]
    by_need: dict[str, ShadowGroup]
    segments_added: dict[str, ShadowGroup]
    segments_dropped: dict[str, ShadowGroup]
    shadow_hands_off: ShadowGroup
    live_hands_off: ShadowGroup


class _Tally:
    """One group as it is counted."""

    def __init__(self) -> None:
        self.turns = 0
        self.seen: dict[str, int] = {}

    def add(self, record: ShadowRecord) -> None:
        self.turns += 1
        self.seen.setdefault(record.conversation_id, record.turn)

    def group(self, examples: int) -> ShadowGroup:
        shown = list(self.seen.items())[:examples]
        return ShadowGroup(turns=self.turns, conversations=len(self.seen),
                           examples=[f"{c}#{t}" for c, t in shown])


def summarise(records: Iterable[AuditRecord], *, examples: int = 3) -> ShadowSummary:
    """Group the shadow records among `records` (other record types are ignored).

    A turn checked more than once (an agent loop checks before every model call) can leave
    several records: the last one read for a (conversation, turn, live version, shadow version)
    is the one counted, as it is the decision that stood.

    Args:
        records: audit records, as `guardrail.audit.load_audit` reads them (file order).
        examples: how many example ``conversation#turn`` to keep per group (0: none).

    Raises:
        UserError: `examples` is negative.
    """
    if examples < 0:
        raise UserError(f"examples must be 0 or more, not {examples}")
    latest: dict[tuple[str, int, str, str], ShadowRecord] = {}
    for record in records:
        if isinstance(record, ShadowRecord):
            key = (record.conversation_id, record.turn, record.live.policy_version,
                   record.shadow.policy_version)
            latest.pop(key, None)  # re-inserted: counted in the order its last record came
            latest[key] = record
    tallies: dict[str, dict[str, _Tally]] = {
        name: {} for name in ("by_difference", "by_segment", "by_need", "segments_added",
                              "segments_dropped")}
    shadow_only, live_only = _Tally(), _Tally()
    policies: dict[str, int] = {}
    conversations: set[str] = set()
    for record in latest.values():
        live, shadow = record.live, record.shadow
        conversations.add(record.conversation_id)
        pair = f"{live.policy_version} -> {shadow.policy_version}"
        policies[pair] = policies.get(pair, 0) + 1
        groups: dict[str, list[str]] = {
            "by_difference": list(record.differences),
            "by_segment": live.segments or ["(none)"],
            "by_need": [live.need_state],
            "segments_added": [s for s in shadow.segments if s not in live.segments],
            "segments_dropped": [s for s in live.segments if s not in shadow.segments],
        }
        for name, labels in groups.items():
            for label in dict.fromkeys(labels):
                tallies[name].setdefault(label, _Tally()).add(record)
        if shadow.handoff and not live.handoff:
            shadow_only.add(record)
        elif live.handoff and not shadow.handoff:
            live_only.add(record)

    def grouped(name: str) -> dict[str, ShadowGroup]:
        found = tallies[name]
        return {key: found[key].group(examples)
                for key in sorted(found, key=lambda k: (-found[k].turns, k))}

    return ShadowSummary(
        turns=len(latest), conversations=len(conversations), policies=policies,
        by_difference=grouped("by_difference"), by_segment=grouped("by_segment"),
        by_need=grouped("by_need"), segments_added=grouped("segments_added"),
        segments_dropped=grouped("segments_dropped"),
        shadow_hands_off=shadow_only.group(examples), live_hands_off=live_only.group(examples),
    )
