"""The engine: normalise -> detect -> assign -> decide -> record, once per turn, on new text.

`Guardrail.check` is the product. It keeps a small, bounded state per conversation id
(`guardrail.engine.state`) so that turn 500 costs what turn 5 costs. A risk found in turn 2
stays until its segment's exit criteria are met by a later message. Any failure inside gives a
restricted, fail-closed decision with a ``failsafe.*`` reason, never a permissive one and never
an exception in the caller's face (bad *input* is the caller's and raises `UserError`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from guardrail.conversation import Conversation, Message, Signals, to_conversation
from guardrail.decision import Decision
from guardrail.detectors.detector import Detector, safe_scan
from guardrail.detectors.injection import InjectionDetector
from guardrail.detectors.language import LanguageGate, LanguageIdentifier
from guardrail.detectors.need import NeedDetector
from guardrail.detectors.rules import RuleDetector
from guardrail.engine.history import HistoryLink, open_or_broken
from guardrail.engine.policy import Policy, RegistryPolicy, assign_settled
from guardrail.engine.state import (
    ConversationState,
    ConversationStates,
    note_language,
    track_user_message,
)
from guardrail.errors import RegistryError
from guardrail.history import EventKind, EventOutcome, HistoryStore
from guardrail.need.classifier import NeedClassifier
from guardrail.need.model import NeedModel
from guardrail.policy import Facts, failsafe_decision
from guardrail.reasons import Finding
from guardrail.registry import Registry
from guardrail.tracing import check_span, record_decision

__all__ = ["Guardrail"]

_UNSEEN_CONFIDENCE = 0.3
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
            used are evicted; an evicted conversation is simply rescanned in full).
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
    ) -> None:
        if isinstance(registry, Registry):
            self.registry = registry
            self._registry_source: str | Path | None = None
        else:
            self.registry = Registry.load(registry)
            self._registry_source = registry
        self.registry_error: RegistryError | None = None
        self._clock = clock
        self._given_detector = detector
        self._policy: Policy = RegistryPolicy() if policy is None else policy
        if need_model is not None and isinstance(need_model, str | Path):
            need_model = NeedModel.default() if str(need_model) == "default" else (
                NeedModel.load(need_model))
        self._need_model = need_model
        self._use(self.registry)
        if isinstance(store, str):
            store = open_or_broken(store, self.registry.settings.history)
        self._history = HistoryLink(store, customer_salt)
        self._states = ConversationStates(max_conversations)

    @classmethod
    def from_defaults(cls) -> Guardrail:
        """A Guardrail on the shipped default registry."""
        return cls(Registry.default(), need_model="default")

    @property
    def need_classifier(self) -> NeedClassifier | None:
        """The need classifier every user message goes through (None: the rules alone)."""
        return self._need_model

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

        Raises:
            UserError: `conversation` is not a valid conversation.
        """
        conv = to_conversation(conversation)
        with check_span(conv.id) as span:
            state = self._states.get(conv.id)
            try:
                decision = self._check(conv, state)
            except Exception as exc:  # the one broad except: any internal failure fails closed
                # Principle 4 holds on this path too: a request for a human found is honoured.
                human = [f for f in state.findings.values() if f.kind == "human"]
                if conv.id is not None:
                    self.forget_conversation(conv.id)  # its state may be half-updated
                decision = failsafe_decision(
                    self.registry, "failsafe.engine_error", type(exc).__name__, human=human
                )
            record_decision(span, decision)
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
            fresh = Registry.load(self._registry_source)
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

    def forget_conversation(self, conversation_id: str) -> None:
        """Drop the incremental state kept for a conversation."""
        self._states.forget(conversation_id)

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

    def forget_customer(self, customer_id: str) -> int:
        """Delete everything the history store holds about a customer; returns the count.

        Raises:
            UserError: no store configured.
            StoreError: the store failed (nothing is assumed deleted).
        """
        return self._history.forget_customer(customer_id)

    def close(self) -> None:
        """Close the history store's connections."""
        self._history.close()

    # -- the turn ------------------------------------------------------------------------------

    def _check(self, conv: Conversation, state: ConversationState) -> Decision:
        """One turn: normalise and detect the new messages, read the history, assign the
        segments and decide, record the contact."""
        with state.lock:
            turns_before = state.user_turns
            new = self._detect(conv.messages, state)
            now = conv.at or datetime.now(UTC)
            signals, sources, failed = self._history.signals(
                conv, state, now, self.registry.settings.history,
                self.registry.settings.default_need_state,
            )
            new.extend(failed)
            inputs = (signals, conv.context, conv.at.date() if conv.at else self._clock())
            standing = state.standing_decision(new, turns_before, inputs)
            if standing is not None:
                return standing
            state.decision = self._decide(conv, state, new, inputs[2], signals, sources)
            state.decided_on = inputs
            self._history.record_contact(conv, state, state.decision, now)
            return state.decision

    def _detect(self, messages: list[Message], state: ConversationState) -> list[Finding]:
        """Read the messages not read yet into findings; each user message also goes through
        the need classifier and moves the conversation's need (`track_user_message`)."""
        new: list[Finding] = []
        for index in state.unread(messages):
            message = messages[index]
            scan = safe_scan(self._detector, index, message)
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
        return new

    def _decide(
        self,
        conv: Conversation,
        state: ConversationState,
        new: list[Finding],
        today: date,
        signals: Signals,
        sources: Mapping[str, str],
    ) -> Decision:
        registry = self.registry
        need = state.need_state or registry.settings.default_need_state
        confidence = state.need_confidence if state.need_state else _UNSEEN_CONFIDENCE

        def facts(findings: list[Finding] | Mapping[str, Finding]) -> Facts:
            values = list(findings.values()) if isinstance(findings, Mapping) else findings
            return Facts.build(values, need, confidence, signals, conv.context,
                               state.user_turns, today, state.other_needs, state.need_source,
                               state.reported_failures, sources, state.language)

        for finding in new:
            state.findings[finding.rule_id] = finding
        current, active = assign_settled(self._policy, registry, state, facts)
        return self._policy.decide(registry, current, active)

    def _use(self, registry: Registry) -> None:
        """Put `registry` in force, with the detectors built for it."""
        self.registry = registry
        inner = self._given_detector or RuleDetector(registry)
        self._detector: Detector = InjectionDetector(inner)
        self._need = NeedDetector(self._need_model, registry)
        self._language = LanguageIdentifier(registry.settings.languages.supported)
        self._gate = LanguageGate(registry)

