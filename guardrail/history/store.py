"""The `HistoryStore` interface every backend implements.

A store keeps three records, none with message text: `HistoryEvent` (what a customer did, read
per turn by friction), `Outcome` (what the help desk learnt later, read by governance reports)
and `Override` (a human agent's override of a segment, read with the conversation's history; its
``why`` is redacted). All are stored under the customer's key, so `forget` removes them all, and
they expire with the retention.

A store call either returns in about its ``timeout`` or raises a `StoreError`
(`StoreUnavailableError`, `StoreTimeoutError` or `StoreCorruptError`, in `guardrail.errors`,
each with its ``failsafe.store_*`` code), and nothing else.

Bad arguments (a naive datetime, an empty customer key) raise `UserError` instead: they are the
caller's bug, not the store's state. The engine turns a `StoreError` into a fail-closed
decision with the error's ``code`` as its reason.

The backends live beside this module: `MemoryStore` (one process, tests), `SQLiteStore` (one
machine, several processes) and `RedisStore` (shared); `open_store` picks one from a URL.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from guardrail.errors import (
    UserError,
)
from guardrail.governance.outcomes import Outcome
from guardrail.governance.overrides import Override
from guardrail.history.events import HistoryEvent

__all__ = [
    "DEFAULT_TIMEOUT",
    "Clock",
    "ClosingStore",
    "HistoryStore",
    "OverrideStore",
    "Retention",
    "aware",
    "check_conversation",
    "check_customer",
    "check_event",
    "check_outcome",
    "check_override",
    "check_retention",
    "check_timeout",
    "outcome_order",
    "utcnow",
]

DEFAULT_TIMEOUT = 0.25
"""Seconds one store call may take before it raises `StoreTimeoutError`."""

# Purging on `record` touches every customer's events, so it runs at most this often per store.
PURGE_INTERVAL = timedelta(minutes=1)

Clock = Callable[[], datetime]


class HistoryStore(Protocol):
    """Where friction finds what a customer did before: events in, events by time window out.

    Implementations hold no message text (`HistoryEvent` has no field for it), keep nothing
    past their retention, raise only `StoreError` (and `UserError` for bad arguments), and
    return or raise within their timeout. They are safe to share between threads.
    """

    def record(self, event: HistoryEvent) -> None:
        """Store `event`, replacing any event with the same (customer, event_id)."""
        ...

    def events(
        self, customer: str, since: datetime, until: datetime | None = None
    ) -> list[HistoryEvent]:
        """The customer's events with ``since <= at < until`` (no upper bound when `until` is
        None), sorted by time then event id, never older than the store's retention."""
        ...

    def record_outcome(self, outcome: Outcome) -> None:
        """Store `outcome`, replacing any outcome with the same (customer, outcome_id)."""
        ...

    def outcomes(
        self, since: datetime, until: datetime | None = None, *, conversation_id: str | None = None
    ) -> list[Outcome]:
        """Every customer's outcomes with ``since <= at < until`` (no upper bound when `until`
        is None), only `conversation_id`'s when given, sorted by time, customer then outcome id,
        never older than the store's retention. A report reads these; it is not a per-turn call."""
        ...

    def forget(self, customer: str) -> int:
        """Delete every event, outcome and override of `customer` (the stored key); returns how
        many."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete every event, outcome and override older than `before`, for all customers;
        returns the count."""
        ...

    def close(self) -> None:
        """Release connections; later calls raise `StoreUnavailableError`. Closing twice is fine."""
        ...


@runtime_checkable
class OverrideStore(Protocol):
    """A `HistoryStore` that also keeps agent overrides (`guardrail.governance.overrides`).

    Every shipped backend is one. A store written before overrides existed still serves
    friction and outcomes; the engine then keeps overrides in its process only.
    """

    def record_override(self, override: Override) -> None:
        """Store `override` (it must name its customer), replacing any override with the same
        (customer, override_id)."""
        ...

    def overrides(self, customer: str, conversation_id: str) -> list[Override]:
        """The overrides of one conversation of `customer`, sorted by time then override id,
        never older than the store's retention. Read with the conversation's history."""
        ...


def utcnow() -> datetime:
    """The current time in UTC (the stores' default clock)."""
    return datetime.now(UTC)


def aware(value: datetime, name: str) -> datetime:
    """`value` in UTC; a naive datetime is a `UserError` (its zone would be a guess)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise UserError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def check_event(event: HistoryEvent) -> HistoryEvent:
    """`event` if it is a `HistoryEvent` (a dict would reach the backend unvalidated)."""
    if not isinstance(event, HistoryEvent):
        raise UserError(f"record() takes a HistoryEvent, got {type(event).__name__}")
    return event


def check_outcome(outcome: Outcome) -> Outcome:
    """`outcome` if it is an `Outcome` (a dict would reach the backend unvalidated)."""
    if not isinstance(outcome, Outcome):
        raise UserError(f"record_outcome() takes an Outcome, got {type(outcome).__name__}")
    return outcome


def check_override(override: Override) -> Override:
    """`override` if it is an `Override` that names its customer (the key it is stored and
    forgotten under)."""
    if not isinstance(override, Override):
        raise UserError(f"record_override() takes an Override, got {type(override).__name__}")
    if override.customer is None:
        raise UserError("an override is stored under its customer: set customer")
    return override


def check_conversation(conversation_id: str | None) -> str | None:
    """`conversation_id` if it is None or a usable id (1 to 256 characters)."""
    if conversation_id is not None and (
        not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 256
    ):
        raise UserError(f"a conversation id must be 1 to 256 characters, got {conversation_id!r}")
    return conversation_id


def outcome_order(outcome: Outcome) -> tuple[datetime, str, str]:
    """The order `HistoryStore.outcomes` returns outcomes in."""
    return outcome.at, outcome.customer, outcome.outcome_id


def check_customer(customer: str) -> str:
    """`customer` if it is a usable stored key (1 to 256 characters)."""
    if not isinstance(customer, str) or not 0 < len(customer) <= 256:
        raise UserError(f"a customer key must be 1 to 256 characters, got {customer!r}")
    return customer


def check_timeout(timeout: float) -> float:
    """`timeout` if it is a positive, finite number of seconds."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise UserError(f"timeout must be a number of seconds, got {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise UserError(f"timeout must be positive and finite, got {timeout!r}")
    return float(timeout)


def check_retention(retention: timedelta | None) -> timedelta | None:
    """`retention` if it is None (keep until purged) or a positive duration."""
    if retention is not None and (
        not isinstance(retention, timedelta) or retention <= timedelta(0)
    ):
        raise UserError(f"retention must be a positive timedelta or None, got {retention!r}")
    return retention


class Retention:
    """A store's retention: the oldest time it may return, and when `record` should purge.

    Args:
        retention: how long events are kept; None keeps them until `purge`.
        clock: the current time (timezone-aware); injectable so tests need not wait days.
    """

    def __init__(self, retention: timedelta | None, clock: Clock) -> None:
        self.retention = check_retention(retention)
        self.clock = clock
        self._lock = threading.Lock()
        self._last_purge: datetime | None = None

    def cutoff(self) -> datetime | None:
        """Events before this time are past retention (None: no retention)."""
        if self.retention is None:
            return None
        return aware(self.clock(), "clock()") - self.retention

    def window(self, since: datetime, until: datetime | None) -> tuple[float, float]:
        """``[since, until)`` as unix seconds, `since` raised to the retention cutoff."""
        low = aware(since, "since")
        cutoff = self.cutoff()
        if cutoff is not None and cutoff > low:
            low = cutoff
        high = math.inf if until is None else aware(until, "until").timestamp()
        return low.timestamp(), high

    def expired(self, event: HistoryEvent | Outcome | Override) -> bool:
        """Whether `event` (or outcome) is already past retention (storing it would be
        pointless)."""
        cutoff = self.cutoff()
        return cutoff is not None and event.at < cutoff

    def purge_due(self) -> datetime | None:
        """The cutoff to purge before, when a purge is due (at most once per `PURGE_INTERVAL`)."""
        if self.retention is None:
            return None
        now = aware(self.clock(), "clock()")
        with self._lock:
            if self._last_purge is not None and now - self._last_purge < PURGE_INTERVAL:
                return None
            self._last_purge = now
        return now - self.retention


class ClosingStore:
    """Base of the shipped stores: a store is a context manager that closes itself."""

    def close(self) -> None:
        """Release the store's resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
