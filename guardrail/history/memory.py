"""`MemoryStore`: the history in a dict, for one process (tests, demos, a single worker)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from guardrail.errors import StoreTimeoutError, StoreUnavailableError
from guardrail.governance.outcomes import Outcome
from guardrail.governance.overrides import Override
from guardrail.history.events import HistoryEvent
from guardrail.history.store import (
    DEFAULT_TIMEOUT,
    Clock,
    ClosingStore,
    Retention,
    aware,
    check_conversation,
    check_customer,
    check_event,
    check_outcome,
    check_override,
    check_timeout,
    outcome_order,
    utcnow,
)

__all__ = ["MemoryStore"]

_Record = TypeVar("_Record", HistoryEvent, Outcome, Override)


class MemoryStore(ClosingStore):
    """A `HistoryStore` in this process's memory; lost when the process exits.

    Args:
        timeout: seconds to wait for the lock another thread holds before `StoreTimeoutError`.
        retention: how long events are kept; None keeps them until `purge`.
        clock: the current time, timezone-aware (for tests).
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retention: timedelta | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._timeout = check_timeout(timeout)
        self._retention = Retention(retention, clock)
        self._lock = threading.Lock()
        self._events: dict[str, dict[str, HistoryEvent]] | None = {}
        self._outcomes: dict[str, dict[str, Outcome]] = {}
        self._overrides: dict[str, dict[str, Override]] = {}

    def record(self, event: HistoryEvent) -> None:
        """Store `event`, replacing any event with the same (customer, event_id)."""
        if self._retention.expired(check_event(event)):
            return
        cutoff = self._retention.purge_due()
        with self._locked() as events:
            events.setdefault(event.customer, {})[event.event_id] = event
            if cutoff is not None:
                self._purge_all(events, cutoff)

    def events(
        self, customer: str, since: datetime, until: datetime | None = None
    ) -> list[HistoryEvent]:
        """The customer's events with ``since <= at < until``, by time then event id."""
        check_customer(customer)
        low, high = self._retention.window(since, until)
        with self._locked() as events:
            found = list(events.get(customer, {}).values())
        return sorted(
            (e for e in found if low <= e.at.timestamp() < high),
            key=lambda e: (e.at, e.event_id),
        )

    def record_outcome(self, outcome: Outcome) -> None:
        """Store `outcome`, replacing any outcome with the same (customer, outcome_id)."""
        if self._retention.expired(check_outcome(outcome)):
            return
        cutoff = self._retention.purge_due()
        with self._locked() as events:
            self._outcomes.setdefault(outcome.customer, {})[outcome.outcome_id] = outcome
            if cutoff is not None:
                self._purge_all(events, cutoff)

    def outcomes(
        self, since: datetime, until: datetime | None = None, *, conversation_id: str | None = None
    ) -> list[Outcome]:
        """Every customer's outcomes with ``since <= at < until``, by time, customer, id."""
        check_conversation(conversation_id)
        low, high = self._retention.window(since, until)
        with self._locked():
            found = [o for per in self._outcomes.values() for o in per.values()]
        return sorted(
            (o for o in found if low <= o.at.timestamp() < high
             and conversation_id in (None, o.conversation_id)),
            key=outcome_order,
        )

    def record_override(self, override: Override) -> None:
        """Store `override`, replacing any override with the same (customer, override_id)."""
        if self._retention.expired(check_override(override)):
            return
        cutoff = self._retention.purge_due()
        with self._locked() as events:
            own = self._overrides.setdefault(str(override.customer), {})
            own[override.override_id] = override
            if cutoff is not None:
                self._purge_all(events, cutoff)

    def overrides(self, customer: str, conversation_id: str) -> list[Override]:
        """The overrides of one conversation of `customer`, by time then override id."""
        check_customer(customer)
        check_conversation(conversation_id)
        cutoff = self._retention.cutoff()
        with self._locked():
            found = list(self._overrides.get(customer, {}).values())
        return sorted(
            (o for o in found if o.conversation_id == conversation_id
             and (cutoff is None or o.at >= cutoff)),
            key=lambda o: (o.at, o.override_id),
        )

    def forget(self, customer: str) -> int:
        """Delete every event, outcome and override of `customer`; returns how many there were."""
        check_customer(customer)
        with self._locked() as events:
            return (len(events.pop(customer, {})) + len(self._outcomes.pop(customer, {}))
                    + len(self._overrides.pop(customer, {})))

    def purge(self, before: datetime) -> int:
        """Delete every event, outcome and override older than `before`; returns the count."""
        cutoff = aware(before, "before")
        with self._locked() as events:
            return self._purge_all(events, cutoff)

    def close(self) -> None:
        """Drop every event, outcome and override; later calls raise `StoreUnavailableError`."""
        with self._lock:
            self._events = None
            self._outcomes = {}
            self._overrides = {}

    def _purge_all(self, events: dict[str, dict[str, HistoryEvent]], cutoff: datetime) -> int:
        return _purge(events, cutoff) + _purge(self._outcomes, cutoff) + _purge(
            self._overrides, cutoff)


    @contextmanager
    def _locked(self) -> Iterator[dict[str, dict[str, HistoryEvent]]]:
        if not self._lock.acquire(timeout=self._timeout):
            raise StoreTimeoutError(f"the memory store stayed locked for {self._timeout:g} s")
        try:
            if self._events is None:
                raise StoreUnavailableError("the memory store is closed")
            yield self._events
        finally:
            self._lock.release()


def _purge(events: dict[str, dict[str, _Record]], before: datetime) -> int:
    removed = 0
    for customer in list(events):
        kept = {k: e for k, e in events[customer].items() if e.at >= before}
        removed += len(events[customer]) - len(kept)
        if kept:
            events[customer] = kept
        else:
            del events[customer]
    return removed
