"""The engine: normalise -> detect -> assign -> decide -> record, once per turn, on new text.

`Guardrail.check` is the product. It keeps a small, bounded state per conversation id
(`guardrail.engine.state`) so that turn 500 costs what turn 5 costs. A risk found in turn 2
stays until its segment's exit criteria are met by a later message; a takeover, fraud or
dispute (a segment whose exit is ``verified_by`` someone) stays until the application or an
agent ends it with `Guardrail.verify` / `resolve`, and is remembered by conversation id when
the history is trimmed (`guardrail.engine.risk`). Any failure inside gives a
restricted, fail-closed decision with a ``failsafe.*`` reason, never a permissive one and never
an exception in the caller's face (bad *input* is the caller's and raises `UserError`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guardrail._yaml import describe
from guardrail.audit.writer import AuditLog
from guardrail.conversation import Conversation, Message, Signals, to_conversation
from guardrail.decision import Arm, Decision
from guardrail.detectors.detector import Detector, Scan, detector_error, safe_scan
from guardrail.detectors.injection import InjectionDetector, bridged, with_bridge
from guardrail.detectors.injection_model import InjectionModel
from guardrail.detectors.language import LanguageGate, LanguageIdentifier
from guardrail.detectors.need import NeedDetector
from guardrail.detectors.rules import RuleDetector
from guardrail.engine.history import HistoryLink, open_or_broken
from guardrail.engine.policy import Policy, RegistryPolicy, assign_settled
from guardrail.engine.risk import (
    ExitEvent,
    ExitKind,
    RiskMemories,
    RiskMemory,
    disarm,
    fingerprint,
)
from guardrail.engine.state import (
    ConversationState,
    ConversationStates,
    note_language,
    note_sources,
    track_user_message,
)
from guardrail.errors import RegistryError, RegistryIssue, UserError
from guardrail.governance import IncidentKind, Outcome, OutcomeKind
from guardrail.governance.arms import arm_of, holdout_reason, split_active
from guardrail.governance.overrides import (
    Override,
    OverrideAction,
    OverrideBooks,
    check_override,
)
from guardrail.governance.shadow import ReadOnlyStore, Shadow
from guardrail.history import EventKind, EventOutcome, HistoryStore
from guardrail.need.classifier import NeedClassifier
from guardrail.need.model import NeedModel
from guardrail.policy import Facts, failsafe_decision
from guardrail.reasons import Finding, ReasonCode
from guardrail.redact import redact
from guardrail.registry import Registry
from guardrail.registry.schema import ToolSpec, Verifier
from guardrail.tracing import check_span, record_decision

__all__ = ["ExitEvent", "Guardrail"]

_UNSEEN_CONFIDENCE = 0.3
# An override's `why` is kept this long, redacted (an exit event's bound).
_WHY_LIMIT = 1000
# How far ahead of this clock an override's `at` may be (another host's clock).
_CLOCK_SKEW = timedelta(minutes=5)
# Conversations with a critical risk are few: their memory outlives many times the states kept.
_RISK_MEMORY_PER_STATE = 10
_log = logging.getLogger("guardrail.engine")


class Guardrail:
    """Classifies each turn and decides what the agent may do.

    Args:
        registry: a loaded `Registry`, a folder to load one from, or None for the shipped default.
        need_model: the need classifier: ``"default"`` (the shipped learned model), a folder
            written by ``guardrail train``, a loaded `NeedModel`, an `LLMNeedClassifier` (any
            `NeedClassifier`), or None for the rules alone. Whatever it is, it can only add
            restrictions.
        clock: today's date, for date-based context (renewal windows); defaults to `date.today`.
            A conversation's `at` overrides it.
        max_conversations: how many conversations' incremental state to keep (least recently
            used are evicted; an evicted conversation is simply rescanned in full). The critical
            risks of conversations are kept apart, for ten times as many (and in the store).
        store: the history store friction reads across conversations: a `HistoryStore` or a
            URL (``memory://``, ``sqlite:///path.db``, ``redis://host:port/0``); None for
            none. Each conversation with a customer id reads it once, and its contact
            (need-state, outcome; no text) is written back.
        customer_salt: when given, customer ids are stored as salted hashes.
        detector: the `Detector` that reads each message; None for the registry's rules
            (rebuilt on `reload_registry`). A user message with injected instructions is read
            again without them either way. `guardrail.testing` has failing ones for tests.
        policy: the `Policy` that assigns segments and decides; None for the registry's own.
            `guardrail.testing.FailingPolicy` makes either step fail.
        injection_model: the learned injection detector beside the phrase rules: ``"default"``
            (the shipped model), a folder written by ``tools/train_injection_model.py``, a
            loaded `InjectionModel`, or None for the rules alone (so does the registry's
            ``settings.injection.model: false``). It reads user messages and tool results, and
            can only add an injection finding.
        shadow: a candidate registry (or its folder) evaluated beside this one on every
            turn, never acting: a second Guardrail with its own conversation states, this
            one's need and injection models, and read-only use of the store
            (`guardrail.governance.shadow`). Loaded now: a bad one raises `RegistryError`.
        shadow_share: the share of conversations shadowed (a stable hash of the id picks them).
        shadow_audit: the `AuditLog` (or its file) the shadow's differences are written to;
            None for the check span's ``guardrail.shadow.diff`` events alone.

    Example:
        >>> guard = Guardrail.from_defaults()
        >>> message = {"role": "user", "content": "I was charged twice"}
        >>> decision = guard.check({"messages": [message]})
        >>> decision.handoff.required
        True
    """

    def __init__(
        self,
        registry: Registry | str | Path | None = None,
        *,
        need_model: NeedClassifier | str | Path | None = "default",
        clock: Callable[[], date] = date.today,
        max_conversations: int = 10_000,
        store: HistoryStore | str | None = None,
        customer_salt: str | None = None,
        detector: Detector | None = None,
        policy: Policy | None = None,
        injection_model: InjectionModel | str | Path | None = "default",
        shadow: Registry | str | Path | None = None,
        shadow_share: float = 1.0,
        shadow_audit: AuditLog | str | Path | None = None,
    ) -> None:
        if isinstance(registry, Registry):
            self.registry = registry
            self._registry_source: str | Path | None = None
        else:
            self.registry = Registry.load(registry)
            self._registry_source = registry
        self.registry_error: RegistryError | None = None
        self._declared: dict[str, ToolSpec] = {}
        self._clock = clock
        self._given_detector = detector
        self._policy: Policy = RegistryPolicy() if policy is None else policy
        if need_model is not None and isinstance(need_model, str | Path):
            need_model = NeedModel.default() if str(need_model) == "default" else (
                NeedModel.load(need_model))
        self._need_model = need_model
        if injection_model is not None and isinstance(injection_model, str | Path):
            injection_model = InjectionModel.default() if str(injection_model) == "default" else (
                InjectionModel.load(injection_model))
        self._injection_model = injection_model
        self._use(self.registry)
        if isinstance(store, str):
            store = open_or_broken(store, self.registry.settings.history)
        self._history = HistoryLink(store, customer_salt)
        self._states = ConversationStates(max_conversations)
        self._memory = RiskMemories(max(1, max_conversations) * _RISK_MEMORY_PER_STATE)
        self._overrides = OverrideBooks(max(1, max_conversations) * _RISK_MEMORY_PER_STATE)
        live_store = self._history.store
        self._shadow = None if shadow is None else Shadow.build(
            shadow, lambda candidate: Guardrail(
                candidate, need_model=self._need_model, clock=clock,
                max_conversations=max_conversations, customer_salt=customer_salt,
                store=None if live_store is None else ReadOnlyStore(live_store),
                injection_model=self._injection_model),
            share=shadow_share, audit=shadow_audit)

    @classmethod
    def from_defaults(cls) -> Guardrail:
        """A Guardrail on the shipped default registry."""
        return cls(Registry.default(), need_model="default")

    @property
    def detector(self) -> Detector:
        """What reads every message: the rules (or the detector given), with the injection
        readings and the learned injection model. `guardrail.quarantine.screen` reads
        untrusted text with it, so a tool result is judged as the engine judges it."""
        return self._detector

    @property
    def need_classifier(self) -> NeedClassifier | None:
        """The need classifier every user message goes through (None: the rules alone)."""
        return self._need_model

    @property
    def shadow(self) -> Shadow | None:
        """The candidate policy evaluated beside this one (None: none); its counters say how
        many turns it decided, differed on and failed on."""
        return self._shadow

    @property
    def store(self) -> HistoryStore | None:
        """The history store friction reads across conversations (None: none); assignable."""
        return self._history.store

    @store.setter
    def store(self, store: HistoryStore | None) -> None:
        self._history.store = store

    # -- public API ----------------------------------------------------------------------------

    def check(self, conversation: Conversation | Mapping[str, Any]) -> Decision:
        """Decide the current turn of `conversation` (pass the whole conversation every turn).

        An internal failure never reaches the caller and never loosens the decision: it is
        rebuilt from everything found so far under the registry's failsafe segments
        (``failsafe.engine_error``), or, when even that fails, every tool is denied and a
        person takes over now (``failsafe.unrecoverable``); see `failsafe_decision`.

        Raises:
            UserError: `conversation` is not a valid conversation (out-of-range signals or
                `at`, invalid text...); the message names the field.
        """
        conv = to_conversation(conversation)
        with check_span(conv.id) as span:
            state = self._states.get(conv.id)
            try:
                decision = self._check(conv, state)
            except Exception as exc:  # the one broad except: any internal failure fails closed
                if conv.id is not None:
                    self.forget_conversation(conv.id)  # its state may be half-updated

                def found() -> Facts:
                    # Everything the conversation holds, whichever step failed: the findings
                    # kept, every message read again on a fresh state (this turn's may be lost
                    # or half-tracked), every need it was read as, the signals last merged.
                    fresh = ConversationState()
                    new = self._detect(conv.messages, fresh)
                    merged = state.merged
                    signals, sources = ((merged[1], merged[2]) if merged is not None
                                        and merged[0][2] == conv.signals else (conv.signals, {}))
                    needs = {fresh.need_state, state.need_state, *fresh.other_needs,
                             *state.other_needs}
                    return Facts.build(
                        [*state.findings.values(), *new, *self._remembered(conv.id)],
                        fresh.need_state or state.need_state
                        or self.registry.settings.default_need_state,
                        0.0, signals, conv.context, max(fresh.user_turns, state.user_turns),
                        conv.at.date() if conv.at else self._clock(),
                        frozenset(need for need in needs if need), fresh.need_source,
                        max(fresh.reported_failures, state.reported_failures), sources,
                        fresh.language,
                    )

                with state.lock:  # no other check of this conversation moves it meanwhile
                    decision = failsafe_decision(
                        self.registry, "failsafe.engine_error", type(exc).__name__, found,
                        known=(*state.findings.values(), *self._remembered(conv.id)),
                    )
                arm = _safe_arm(self.registry, conv)
                if arm != decision.arm:  # restricted either way; counted in its arm
                    decision = decision.model_copy(update={"arm": arm})
            record_decision(span, decision)
            if self._shadow is not None:  # after the decision is final; never changes it
                self._shadow.observe(conv, decision, span)
            return decision

    async def acheck(self, conversation: Conversation | Mapping[str, Any]) -> Decision:
        """Async twin of `check`, sharing its code.

        The rules and the learned model are a fraction of a millisecond of CPU, so they run
        inline; a need classifier that waits on the network (an LLM) runs in a worker thread so
        the event loop is never blocked for its timeouts and retries.
        """
        if getattr(self._need_model, "blocking_io", False):
            return await asyncio.to_thread(self.check, conversation)
        return self.check(conversation)

    def reload_registry(self) -> bool:
        """Load the registry again from its folder; keep the current one if the new one is bad.

        Policy is edited while a chatbot runs. A valid new version replaces the old one at
        once (conversations are rescanned under it on their next check); an invalid one is
        refused: the last valid version stays in force, the problems are logged and kept in
        `registry_error`, and False is returned.

        A Guardrail built from a `Registry` object reloads the shipped default folder only if
        that is what it was given; otherwise it reloads the folder it was built from.
        """
        try:
            try:
                fresh = Registry.load(self._registry_source).with_tools(self._declared.values())
            except UserError as exc:  # a declared tool would loosen the new catalogue's
                raise RegistryError([RegistryIssue("<declared tools>", "", str(exc))]) from exc
        except RegistryError as exc:
            self.registry_error = exc
            _log.error("registry reload refused, keeping %s: %s", self.registry.version, exc)
            return False
        self.registry_error = None
        if fresh.version == self.registry.version:
            return True
        self._use(fresh)
        self._states.clear()
        _log.info("registry reloaded: %s", fresh.version)
        return True

    def declare_tools(self, tools: Iterable[ToolSpec]) -> None:
        """Add `tools` to the tool catalogue in force (a declared tool replaces a catalogue tool
        of the same name); they survive `reload_registry`.

        A tool the catalogue lacks is hidden from the model and every call to it is denied
        (``policy.unknown_tool``): declare each tool the agent has, with its effects and the
        arguments that must be the session customer's. The policy version changes with it.
        """
        added = {tool.name: tool for tool in tools}
        if not added or all(self._declared.get(n) == t for n, t in added.items()):
            return
        self._declared.update(added)
        self._use(self.registry.with_tools(added.values()))
        self._states.clear()

    def forget_conversation(self, conversation_id: str) -> None:
        """Drop the incremental state kept for a conversation.

        Its critical risks are not forgotten with it (they end through `verify` / `resolve`,
        or with the customer, `forget_customer`).
        """
        self._states.forget(conversation_id)

    def verify(
        self,
        conversation_id: str,
        segment: str,
        *,
        by: Verifier,
        who: str,
        why: str,
        at: datetime | None = None,
    ) -> ExitEvent:
        """End a critical segment because the customer was verified (or the change confirmed
        theirs) by the application or an agent.

        Takeover, fraud and dispute segments (exit ``verified_by`` in the registry) end only
        this way, never on the customer's own words. The findings that held the segment open are
        retired for this conversation (a new report in a later message brings it back); the
        next decision no longer has the segment and carries the event's reason. Write the
        returned event to the audit log.

        Args:
            conversation_id: the conversation's id, as passed to `check`.
            segment: the segment to end, e.g. ``fraud_takeover``.
            by: ``application`` or ``agent``; must be in the segment's ``exit.verified_by``.
            who: the agent's id, or the application component's.
            why: the reason, in plain words ("passed step-up verification").
            at: when (timezone-aware); defaults to now.

        Returns:
            The event, with what it retired (empty when the segment was not active).

        Raises:
            UserError: unknown segment, a segment `by` may not end, or bad who/why/at.
        """
        event = self._end("verified", conversation_id, segment, by, who, why, at)
        self._mirror("verify", lambda g: g.verify(conversation_id, segment, by=by, who=who,
                                                  why=why, at=event.at))
        return event

    def resolve(
        self,
        conversation_id: str,
        segment: str,
        *,
        by: Verifier,
        who: str,
        why: str,
        at: datetime | None = None,
    ) -> ExitEvent:
        """End a critical segment because its case was resolved by the application or an agent
        (the dispute was settled, the fraud case closed). Same contract as `verify`.

        Raises:
            UserError: unknown segment, a segment `by` may not end, or bad who/why/at.
        """
        event = self._end("resolved", conversation_id, segment, by, who, why, at)
        self._mirror("resolve", lambda g: g.resolve(conversation_id, segment, by=by, who=who,
                                                    why=why, at=event.at))
        return event

    def override(
        self,
        conversation_id: str,
        segment: str,
        action: OverrideAction,
        *,
        who: str,
        role: str,
        why: str,
        at: datetime | None = None,
        customer_id: str | None = None,
    ) -> Override:
        """Override a segment for a conversation, as a human agent (or the application for
        them); honoured from the conversation's next check, in both arms, with an
        ``override.agent`` reason (`guardrail.governance.overrides`).

        * ``assert``: the conversation is in `segment` (its routing, tools and handoff apply).
        * ``clear``: it is not, even while the entry criteria hold; a finding of the segment in
          a message after the override brings it back.
        * ``verify``: the customer was verified; every segment the registry lets an agent end
          by verification is ended like `verify` with ``by="agent"`` (a critical one only
          with a role of ``critical_roles``), in one override.

        An override moves segments only: the risk tier still follows every finding, so it
        never loosens the tool gate below the baseline and risk-tier tool policies (which do
        not depend on segments). The latest override of a segment wins. Write the returned
        override to the audit log (`AuditLog.override`; the adapters' ``override`` does).

        With a history store it is stored under the customer's key, so it survives a restart,
        reaches every worker that reads the conversation's history afterwards (a worker reads
        it once per conversation state: one that already holds the conversation sees it after
        `forget_conversation`), is forgotten with the customer and expires with the retention.
        Without a store it lives in this process only (bounded, like the risk memory).

        Args:
            conversation_id: the conversation's id, as passed to `check`.
            segment: the segment (for ``verify``: the one the verification answers).
            action: ``assert``, ``clear`` or ``verify``.
            who: the agent's id (kept verbatim: an identifier, not a name).
            role: the role acted in; one of ``settings.governance.overrides.roles``.
            why: the reason in plain words; stored and audited redacted.
            at: when (timezone-aware); defaults to now.
            customer_id: the customer the conversation is with; needed with a store unless a
                check of this conversation named it in its context.

        Raises:
            UserError: unknown segment or action, a role the registry does not list, a failsafe
                segment, empty who/why, a naive `at`, or a store but no known customer.
            OverrideRefusedError: clearing a segment of critical risk without a critical role.
            StoreError: the store failed (nothing is recorded or applied).
        """
        covers = check_override(self.registry, segment, action, role)
        state = self._states.peek(conversation_id)
        memory = self._memory.get(conversation_id)
        book = self._overrides.get(conversation_id)
        known = [state.customer if state else None, memory.customer if memory else None,
                 book.customer if book else None]
        customer = (self._history.key(customer_id) if customer_id
                    else next((k for k in known if k), None))
        store = self._history.store
        if store is not None and customer is None:
            raise UserError("customer_id: the override is stored under the conversation's "
                            "customer; name them (no check of this conversation did)")
        made = Override.model_validate({
            "conversation_id": conversation_id, "customer": customer, "segment": segment,
            "action": action, "covers": covers, "who": who, "role": role,
            "why": redact(why, _WHY_LIMIT) if isinstance(why, str) else why,
            "at": datetime.now(UTC) if at is None else at,
            "through": state.scanned if state is not None and state.scanned else None,
            "policy_version": self.registry.version,
        })
        if made.at > datetime.now(UTC) + _CLOCK_SKEW:
            # The latest override of a segment wins: one dated ahead would pin itself.
            raise UserError(f"at: {made.at.isoformat()} is in the future")
        if store is not None:
            # The store would drop it unseen: say so instead of reporting it recorded.
            kept_days = self.registry.settings.history.retention_days
            if made.at < datetime.now(UTC) - timedelta(days=kept_days):
                raise UserError(f"at: {made.at.isoformat()} is older than the history "
                                f"retention ({kept_days:g} days), so it would not be kept")
            self._history.record_override(made, strict=True)
        if action == "verify":
            for seg in covers:
                self._end("verified", conversation_id, seg, "agent", made.who, made.why, made.at)
        book = self._overrides.get(conversation_id, create=True)
        if book is not None:
            book.add([made])
        if state is not None:
            with state.lock:
                state.decided_on = None  # the next check decides afresh
        self._mirror("override", lambda g: g.override(
            conversation_id, segment, action, who=who, role=role, why=why, at=made.at,
            customer_id=customer_id))
        return made

    def record_event(
        self,
        kind: EventKind,
        customer_id: str,
        *,
        at: datetime | None = None,
        need_state: str | None = None,
        outcome: EventOutcome | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Record an event from outside a conversation (an article view, a reopened ticket...).

        Raises:
            UserError: no store configured, or an invalid event.
            StoreError: the store failed.
        """
        self._history.record_event(customer_id, {
            "kind": kind, "at": at or datetime.now(UTC), "need_state": need_state,
            "outcome": outcome, "conversation_id": conversation_id,
        })

    def record_outcome(
        self,
        conversation_id: str,
        kind: OutcomeKind,
        *,
        customer_id: str,
        at: datetime | None = None,
        first_contact: bool | None = None,
        need_state: str | None = None,
        first_human_at: datetime | None = None,
        score: float | None = None,
        incident: IncidentKind | None = None,
        category: str | None = None,
        outcome_id: str | None = None,
    ) -> Outcome:
        """Record what the help desk learnt about a conversation afterwards (no text).

        Stored in the history store under the same salted key as the customer's events, so
        `forget_customer` deletes it and the retention expires it. Each kind takes only its
        own fields: ``resolved`` needs `first_contact`; ``repeat_contact`` a `need_state` of
        this registry; ``handed_off`` may give `first_human_at` (at or after `at`, the
        handoff); ``csat`` and ``post_handoff_csat`` a `score` of 1 to 5, ``ces`` 1 to 7;
        ``incident`` an `incident` kind and optionally a `category` label. See
        `guardrail.governance.Outcome`.

        Args:
            conversation_id: the conversation's id, as passed to `check`.
            kind: what happened.
            customer_id: the customer the conversation was with (the engine keeps no
                customer id per conversation, so the caller names it).
            at: when it happened (timezone-aware); defaults to now.
            outcome_id: the help desk's id for this fact; recording it again replaces the
                stored one, so retries are idempotent. A random one when omitted.

        Returns:
            The outcome as stored (its ``customer`` is the stored key).

        Raises:
            UserError: no store configured, a field that is invalid or does not belong to
                `kind`, a need-state this registry does not have, or an `at` older than the
                registry's history retention (the store would not keep it).
            StoreError: the store failed (nothing is assumed recorded).
        """
        store = self._history.store
        if store is None:
            raise UserError("no history store: create the Guardrail with store=...")
        if need_state is not None and need_state not in self.registry.settings.need_states:
            raise UserError(f"need_state: {need_state!r} is not a need-state of this registry "
                            f"({', '.join(self.registry.settings.need_states)})")
        fields: dict[str, object] = {
            "conversation_id": conversation_id, "customer": self._history.key(customer_id),
            "at": datetime.now(UTC) if at is None else at, "kind": kind,
            "first_contact": first_contact, "need_state": need_state,
            "first_human_at": first_human_at, "score": score, "incident": incident,
            "category": category,
        }
        if outcome_id is not None:
            fields["outcome_id"] = outcome_id
        outcome = Outcome.model_validate(fields)
        # The store would drop it unseen: say so instead of reporting it recorded.
        kept_days = self.registry.settings.history.retention_days
        if outcome.at < datetime.now(UTC) - timedelta(days=kept_days):
            raise UserError(f"at: {outcome.at.isoformat()} is older than the history retention "
                            f"({kept_days:g} days), so it would not be kept")
        store.record_outcome(outcome)
        return outcome

    def forget_customer(self, customer_id: str) -> int:
        """Delete everything the history store holds about a customer; returns the count.

        The risk memory of their conversations in this process goes too.

        Raises:
            UserError: no store configured.
            StoreError: the store failed (nothing is assumed deleted).
        """
        count = self._history.forget_customer(customer_id)
        self._forget_in_process(self._history.key(customer_id))
        self._mirror("forget_customer",
                     lambda g: g._forget_in_process(g._history.key(customer_id)))
        return count

    def _forget_in_process(self, key: str) -> None:
        """Drop what this process keeps under a customer's key (risk memory, overrides)."""
        self._memory.forget_customer(key)
        self._overrides.forget_customer(key)

    def _mirror(self, what: str, act: Callable[[Guardrail], object]) -> None:
        """Repeat on the shadow engine what a person or the application did on this one
        (ended a segment, overrode one, forgot a customer), so the shadow is not left holding
        what the live engine let go. Best effort: the live call has already succeeded, and a
        candidate that refuses (it lacks the segment or the role) only logs."""
        checker = None if self._shadow is None else self._shadow.checker
        if not isinstance(checker, Guardrail):
            return
        try:
            act(checker)
        except Exception as exc:  # the shadow never fails a live call
            _log.warning("shadow policy did not mirror %s: %s", what, type(exc).__name__)

    def close(self) -> None:
        """Close the history store's connections."""
        self._history.close()

    # -- the turn ------------------------------------------------------------------------------

    def _check(self, conv: Conversation, state: ConversationState) -> Decision:
        """One turn: normalise and detect the new messages, read the history, assign the
        segments and decide, record the contact."""
        with state.lock:
            try:
                return self._turn(conv, state)
            finally:
                if conv.id is not None:  # the state is kept: no raw evidence stays in it
                    for finding in state.findings.values():
                        if finding.raw_evidence is not None:
                            finding.seal()

    def _turn(self, conv: Conversation, state: ConversationState) -> Decision:
        """`_check`'s work, under the conversation's lock."""
        turns_before = state.user_turns
        memory = self._memory.get(conv.id)
        new = self._detect(conv.messages, state, memory)
        now = conv.at or datetime.now(UTC)
        signals, sources, failed = self._history.signals(
            conv, state, now, self.registry.settings.history,
            self.registry.settings.default_need_state,
        )
        new.extend(failed)
        memory = self._restore(conv, state, memory)
        if memory is not None:
            # Critical findings a rescan (trimmed history, eviction) did not read again.
            new.extend(memory.reinstate(state.findings.keys() | {f.rule_id for f in new}))
        inputs = (signals, conv.context, conv.at.date() if conv.at else self._clock())
        standing = state.standing_decision(new, turns_before, inputs)
        if standing is not None:
            return standing
        state.decision = self._decide(conv, state, new, inputs[2], signals, sources, now)
        state.decided_on = inputs
        self._history.record_contact(conv, state, state.decision, now)
        return state.decision

    def _detect(
        self, messages: list[Message], state: ConversationState, memory: RiskMemory | None = None
    ) -> list[Finding]:
        """Read the messages not read yet into findings; each user message also goes through
        the need classifier and moves the conversation's need (`track_user_message`).

        Nothing in a message with an injection ends anything (`disarm`), and the findings a
        verified event retired are not revived by reading their messages again (`screen`).
        """
        new: list[Finding] = []
        for index in state.unread(messages):
            message = messages[index]
            scan = safe_scan(self._detector, index, message)
            if message.role == "user":
                scan = self._joined(index, message, scan, state)
            if message.role == "user" and _injected(scan.findings, new, state):
                # a request split around an injection counts whole (`bridged`)
                joined = bridged(messages, index)
                if joined is not None:
                    scan = with_bridge(scan, safe_scan(self._detector, index, joined), index)
            scan = disarm(scan)
            note_sources(state, message, scan.findings)
            if message.role != "user":
                new.extend(scan.findings)
                continue
            reading = self._language.identify(message.content)
            scan = self._gate.apply(scan, reading)  # a language's rules on its own messages
            note_language(state, index, reading.lang, reading.confidence, self.registry)
            new.extend(scan.findings)
            need = self._need.read(index, message, scan)
            new.extend(need.findings)
            track_user_message(state, messages, index, scan, need, self.registry)
        state.mark_read(messages)
        return new if memory is None else memory.screen(new, messages)

    def _decide(
        self,
        conv: Conversation,
        state: ConversationState,
        new: list[Finding],
        today: date,
        signals: Signals,
        sources: Mapping[str, str],
        now: datetime,
    ) -> Decision:
        registry = self.registry
        need = state.need_state or registry.settings.default_need_state
        confidence = state.need_confidence if state.need_state else _UNSEEN_CONFIDENCE

        def facts(findings: list[Finding] | Mapping[str, Finding]) -> Facts:
            # A list first: checking a dict against the `Mapping` ABC costs more than the rest.
            values = findings if isinstance(findings, list) else list(findings.values())
            return Facts.build(values, need, confidence, signals, conv.context,
                               state.user_turns, today, state.other_needs, state.need_source,
                               state.reported_failures, sources, state.language)

        for finding in new:
            state.findings[finding.rule_id] = finding
        current, active = assign_settled(self._policy, registry, state, facts)
        active, pinned, overridden = self._overridden(conv, state, active)
        events = self._remember(conv, state, active, now)
        if arm_of(registry, conv) == "holdout":
            decision = self._holdout(current, active, events, pinned)
        else:
            decision = self._policy.decide(registry, current, active)
            overridden = [*(e.reason() for e in events), *overridden]
        if not overridden:
            return decision
        reasons = [*decision.reason_codes, *overridden]
        return decision.model_copy(update={"reason_codes": reasons})

    def _overridden(
        self, conv: Conversation, state: ConversationState, active: dict[str, list[ReasonCode]]
    ) -> tuple[dict[str, list[ReasonCode]], frozenset[str], list[ReasonCode]]:
        """`active` as the conversation's agent overrides leave it, the segments they assert
        (acted on in both arms) and the reasons of those that clear
        (`guardrail.governance.overrides`)."""
        if state.customer is None and conv.context.customer_id:
            state.customer = self._history.key(conv.context.customer_id)
        book = self._overrides.get(conv.id, create=bool(state.overrides))
        if book is None:
            return active, frozenset(), []
        if state.overrides:
            book.add(state.overrides)
            state.overrides = ()
        messages = conv.messages

        def print_of(index: int) -> int | None:
            return fingerprint(messages[index]) if 0 <= index < len(messages) else None

        applied = book.apply(self.registry, active, state.findings, state.scanned, print_of)
        for made in applied.bound:
            self._history.record_override(made)
        return applied.active, applied.asserted, applied.reasons

    def _holdout(
        self,
        facts: Facts,
        active: Mapping[str, list[ReasonCode]],
        events: list[ExitEvent],
        pinned: frozenset[str] = frozenset(),
    ) -> Decision:
        """The holdout arm's decision: only the safety set acts (`guardrail.governance.arms`),
        and the segments an agent asserted (`pinned`: a person's call, not the policy's); the
        segments set aside are named on the decision and in its reasons."""
        kept, held_out = split_active(self.registry, active)
        if pinned:
            kept = {s: r for s, r in active.items() if s in kept or s in pinned}
            held_out = [s for s in held_out if s not in pinned]
        decide: Any = self._policy.decide  # `held_out=` is an optional part of the protocol
        decision: Decision = (decide(self.registry, facts, kept, held_out=held_out) if held_out
                              else decide(self.registry, facts, kept))
        reasons = [*decision.reason_codes, *(e.reason() for e in events),
                   holdout_reason(held_out)]
        return decision.model_copy(update={"reason_codes": reasons, "arm": "holdout",
                                           "held_out": held_out})

    # -- risk memory ---------------------------------------------------------------------------

    def _remembered(self, conversation_id: str | None) -> list[Finding]:
        """The critical findings remembered for a conversation and not yet ended by an event
        (for a decision rebuilt after a failure: it must stay at least this strict)."""
        memory = self._memory.get(conversation_id)
        return [] if memory is None else memory.reinstate(())

    def _restore(
        self, conv: Conversation, state: ConversationState, memory: RiskMemory | None
    ) -> RiskMemory | None:
        """Take the conversation's stored risk events into its memory, once per state (the
        store was read this check for a fresh, trimmed or evicted state)."""
        if state.history is None or state.risk_restored:
            return memory
        state.risk_restored = True
        stored = [e for e in state.history if e.kind == "risk" and e.conversation_id == conv.id]
        if not stored:
            return memory
        memory = self._memory.get(conv.id, create=True)
        if memory is not None:
            memory.restore(stored, self.registry)
        return memory

    def _remember(
        self,
        conv: Conversation,
        state: ConversationState,
        active: Mapping[str, list[ReasonCode]],
        now: datetime,
    ) -> list[ExitEvent]:
        """Remember the findings holding a verified-exit segment open (and store the new ones);
        the events that ended segments of this conversation, for the decision's reasons."""
        held = any(self.registry.segment_by_id[s].remembered for s in active)
        memory = self._memory.get(conv.id, create=held)
        if memory is None:
            return []
        customer = conv.context.customer_id
        if customer:
            memory.customer = self._history.key(customer)
        added, exited = memory.remember(self.registry, active, state.findings, state.sources,
                                        state.scanned, now)
        if added:
            self._history.record_risks(memory.customer, conv.id, added, "open", now)
        if exited:
            self._history.record_risks(memory.customer, conv.id, exited, "resolved", now)
        return list(memory.events)

    def _end(
        self,
        kind: ExitKind,
        conversation_id: str,
        segment: str,
        by: Verifier,
        who: str,
        why: str,
        at: datetime | None,
    ) -> ExitEvent:
        """`verify` and `resolve`: retire what holds `segment` open in the conversation."""
        spec = self.registry.segment_by_id.get(segment)
        if spec is None:
            raise UserError(f"unknown segment {segment!r}")
        if by not in spec.exit.verified_by:
            allowed = ", ".join(spec.exit.verified_by) or "nobody (it ends by its exit criteria)"
            raise UserError(f"segment {segment!r} is ended by {allowed}, not by {by!r}")
        when = at or datetime.now(UTC)
        try:
            event = ExitEvent(conversation_id=conversation_id, segment=segment, kind=kind,
                              by=by, who=who, why=why, at=when, retired=[],
                              policy_version=self.registry.version)
        except ValidationError as exc:
            raise UserError(describe(exc, f"{kind} event")) from None
        memory = self._memory.get(conversation_id)
        state = self._states.peek(conversation_id)
        if memory is None:
            return event
        with state.lock if state is not None else contextlib.nullcontext():
            sources = state.sources if state is not None else {}
            scanned = state.scanned if state is not None else 0
            gone = memory.retire(segment, sources, scanned)
            if not gone:
                return event
            event = event.model_copy(update={"retired": [m.finding.reason() for m in gone]})
            memory.events.append(event)
            if state is not None:
                for mark in gone:
                    state.findings.pop(mark.finding.rule_id, None)
                state.decided_on = None  # the next check decides afresh
        self._history.record_risks(memory.customer, conversation_id, gone, "resolved", when)
        return event

    def _joined(
        self, index: int, message: Message, scan: Scan, state: ConversationState
    ) -> Scan:
        """`scan` with an injection split over this customer message and the one before
        (`InjectionDetector.joined`); the state keeps this message's trace for the next. A
        failure here is a detector failure: it restricts (``failsafe.detector_error``)."""
        try:
            scan, state.injection_trace = self._injection.joined(
                index, message, scan, state.injection_trace)
        except Exception:
            state.injection_trace = None
            failed = detector_error("injection.joined", index)
            scan = replace(scan, findings=[*scan.findings, failed])
        return scan

    def _use(self, registry: Registry) -> None:
        """Put `registry` in force, with the detectors built for it."""
        self.registry = registry
        inner = self._given_detector or RuleDetector(registry)
        injection = registry.settings.injection
        self._injection = InjectionDetector(
            inner, self._injection_model if injection.model else None,
            injection.model_threshold, injection.tool_threshold,
        )
        self._detector: Detector = self._injection
        self._need = NeedDetector(self._need_model, registry)
        self._language = LanguageIdentifier(registry.settings.languages.supported)
        self._gate = LanguageGate(registry)


def _safe_arm(registry: Registry, conv: Conversation) -> Arm:
    """The conversation's arm for a failsafe decision (``policy`` if even that fails)."""
    try:
        return arm_of(registry, conv)
    except Exception:
        return "policy"


def _injected(found: Sequence[Finding], new: Sequence[Finding], state: ConversationState) -> bool:
    """Whether this conversation holds an injection so far (this message, this turn, before)."""
    return any(f.kind == "injection" for f in chain(found, new, state.findings.values()))
