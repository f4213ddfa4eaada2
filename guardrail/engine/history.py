"""The engine's link to the history store: friction read across conversations, contacts written.

Each conversation with a customer id reads the store once (its customer's events, and the agent
overrides of the conversation, `guardrail.governance.overrides`); its contact (need-state and
outcome, no text) is written back when it changes, and so are its critical risks (``risk``
events: rule id, code, time; `guardrail.engine.risk`). A store that fails never takes the
chatbot down: a read failure adds a ``failsafe.store_*`` finding (the customer is treated as
possibly looping), a write failure is logged and retried on the next check, and a store that
cannot be opened at start-up is kept as one that fails every call the same way.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import ValidationError

from guardrail._yaml import describe
from guardrail.conversation import Conversation, Signals
from guardrail.decision import Decision
from guardrail.detectors.friction import history_signals, lookback, merge_signals
from guardrail.engine.risk import RiskMark
from guardrail.engine.state import ConversationState
from guardrail.errors import UserError
from guardrail.governance.overrides import Override
from guardrail.history import (
    EventOutcome,
    HistoryEvent,
    HistoryStore,
    OverrideStore,
    StoreError,
    customer_key,
    open_store,
)
from guardrail.reasons import ENGINE_CODES, Finding
from guardrail.registry.schema import HistorySettings

__all__ = ["HistoryLink", "open_or_broken"]

_log = logging.getLogger("guardrail.engine")


class HistoryLink:
    """Reads and writes one history store for the engine.

    Args:
        store: the store, or None for none (then the caller's signals are used as given).
        salt: when given, customer ids are stored as salted hashes.
    """

    def __init__(self, store: HistoryStore | None, salt: str | None) -> None:
        self.store = store
        self._salt = salt

    def key(self, customer_id: str) -> str:
        """The key a customer's events are stored under."""
        return customer_key(customer_id, self._salt)

    def signals(
        self,
        conv: Conversation,
        state: ConversationState,
        now: datetime,
        windows: HistorySettings,
        default_need: str,
    ) -> tuple[Signals, Mapping[str, str], list[Finding]]:
        """The caller's signals merged with the store's, reading the store once a conversation.

        Returns:
            The merged signals, the source of each, and the ``failsafe.store_*`` finding when
            this check's read failed (else nothing).
        """
        customer = conv.context.customer_id
        if self.store is None or not customer:
            return conv.signals, {}, []
        failed: list[Finding] = []
        if state.history is None and not state.history_failed:
            state.history_started = now
            try:
                stored = self.key(customer)
                state.history = tuple(self.store.events(stored, now - lookback(windows), now))
                if conv.id is not None and isinstance(self.store, OverrideStore):
                    state.overrides = tuple(self.store.overrides(stored, conv.id))
            except Exception as exc:  # any store failure fails closed for friction
                code = getattr(exc, "code", None)
                if not (isinstance(exc, StoreError) and code in ENGINE_CODES):
                    code = "failsafe.store_unavailable"
                state.history_failed = True
                failed.append(Finding(kind="failsafe", code=code, rule_id="history",
                                      source="history_store",
                                      explanation=f"{ENGINE_CODES[code]} ({type(exc).__name__})"))
        if state.history is None:
            return conv.signals, {}, failed
        need = state.need_state or default_need
        # Windows are minutes to days wide: within one minute and one need the answer is the
        # same, so later turns of a conversation do not recount the events.
        key = (need, int(now.timestamp() // 60), conv.signals)
        if state.merged is not None and state.merged[0] == key:
            return state.merged[1], state.merged[2], failed
        found = history_signals(
            state.history,
            need_state=need,
            now=now,
            started=state.history_started or now,
            conversation_id=conv.id,
            windows=windows,
        )
        signals, sources = merge_signals(conv.signals, found)
        state.merged = (key, signals, sources)
        return signals, sources, failed

    def record_contact(
        self, conv: Conversation, state: ConversationState, decision: Decision, now: datetime
    ) -> None:
        """Write this conversation's contact (need-state and outcome, no text) when it changes."""
        customer = conv.context.customer_id
        if self.store is None or not customer or conv.id is None or state.history_failed:
            return
        outcome = "handed_off" if decision.handoff.required else "open"
        if state.recorded == (decision.need_state, outcome):
            return
        event = HistoryEvent(
            kind="contact", customer=self.key(customer),
            at=state.history_started or now, need_state=decision.need_state, outcome=outcome,
            conversation_id=conv.id, event_id=conv.id,
        )
        try:
            self.store.record(event)
        except Exception as exc:  # the decision stands; the next check tries again
            _log.warning("history store: contact not recorded (%s)", type(exc).__name__)
            return
        state.recorded = (decision.need_state, outcome)

    def record_risks(
        self,
        customer: str | None,
        conversation_id: str | None,
        marks: Iterable[RiskMark],
        outcome: EventOutcome,
        at: datetime,
    ) -> None:
        """Write remembered risks (``open``) or their retirement (``resolved``) as ``risk``
        events: rule id, code, time, conversation id. A failed write is logged; the memory in
        this process still holds them."""
        if self.store is None or customer is None or conversation_id is None:
            return
        for mark in marks:
            rule_id, code = mark.finding.rule_id, mark.finding.code
            # One event per (conversation, rule), so "resolved" replaces "open".
            digest = hashlib.sha256(f"{conversation_id}\0{rule_id}".encode()).hexdigest()[:32]
            try:
                self.store.record(HistoryEvent(
                    kind="risk", customer=customer, at=at, outcome=outcome, code=code,
                    rule_id=rule_id, conversation_id=conversation_id, event_id=f"risk:{digest}",
                ))
            except Exception as exc:  # the decision stands on the memory in this process
                _log.warning("history store: risk not recorded (%s)", type(exc).__name__)

    def record_override(self, override: Override, *, strict: bool = False) -> None:
        """Write an override: one just made (`strict`: a store that cannot keep it is a
        `UserError`, a failed write raises), or one the engine learnt more about (how many
        messages it covers; a failed write is logged, this process applies it either way)."""
        if override.customer is None or self.store is None:
            return
        if not isinstance(self.store, OverrideStore):
            if strict:
                raise UserError(f"the history store ({type(self.store).__name__}) does not keep "
                                "overrides (it has no record_override/overrides)")
            return
        if strict:
            self.store.record_override(override)
            return
        try:
            self.store.record_override(override)
        except Exception as exc:
            _log.warning("history store: override not recorded (%s)", type(exc).__name__)

    def record_event(self, customer_id: str, fields: Mapping[str, object]) -> None:
        """Record an event from outside a conversation (see `Guardrail.record_event`).

        Args:
            customer_id: whose event it is (stored under `key`).
            fields: the event's other fields (``kind``, ``at``, ``need_state``...).

        Raises:
            UserError: an invalid event, or a ``risk`` event (those end only through
                `Guardrail.verify` / `resolve`, which are audited).
        """
        if fields.get("kind") == "risk":
            raise UserError("risk events are written by the engine; end a critical segment with "
                            "Guardrail.verify or Guardrail.resolve")
        store = self._configured()
        try:
            event = HistoryEvent.model_validate({**fields, "customer": self.key(customer_id)})
        except ValidationError as exc:
            raise UserError(describe(exc, "history event")) from None
        store.record(event)

    def forget_customer(self, customer_id: str) -> int:
        """Delete what the store holds about a customer (see `Guardrail.forget_customer`)."""
        return self._configured().forget(self.key(customer_id))

    def close(self) -> None:
        """Close the store's connections."""
        if self.store is not None:
            self.store.close()

    def _configured(self) -> HistoryStore:
        if self.store is None:
            raise UserError("no history store: create the Guardrail with store=...")
        return self.store


class _BrokenStore:
    """A store that could not be opened: every call fails the way opening did.

    A chatbot must not go down because its history file is damaged or its Redis is away at
    start-up; each decision fails closed for friction instead, with the reason.
    """

    def __init__(self, error: StoreError) -> None:
        self._error = error

    def _fail(self, *args: object, **kwargs: object) -> Any:
        raise self._error

    record = events = forget = purge = record_outcome = outcomes = _fail
    record_override = overrides = _fail

    def close(self) -> None:
        pass


def open_or_broken(url: str, windows: HistorySettings) -> HistoryStore:
    """`open_store(url)` with the registry's timeout and retention; a store that fails to open
    is kept as one whose every call fails the same way.

    Raises:
        UserError: the URL itself is invalid (a configuration mistake, not an outage).
    """
    try:
        return open_store(
            url, timeout=windows.timeout_ms / 1000, retention=timedelta(days=windows.retention_days)
        )
    except StoreError as exc:
        _log.error("history store %s could not be opened: %s", url.split("://")[0], exc.code)
        return cast(HistoryStore, _BrokenStore(exc))
