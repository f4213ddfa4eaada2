"""The customer history friction reads: events in, events by time window out, nothing else kept.

The same stores keep `guardrail.governance.Outcome` records (what the help desk learnt after a
conversation) under the same customer key, so forgetting a customer forgets both.

    events.py   HistoryEvent (no text field, by design), customer_key
    store.py    the HistoryStore protocol (its errors are in guardrail.errors)
    memory.py   MemoryStore    one process
    sqlite.py   SQLiteStore    one machine, many processes
    redis.py    RedisStore     shared (imports ``redis`` only when made)
    url.py      open_store     memory://, sqlite://, redis:// URLs
"""

from guardrail.errors import StoreCorruptError, StoreError, StoreTimeoutError, StoreUnavailableError
from guardrail.history.events import EventKind, EventOutcome, HistoryEvent, customer_key
from guardrail.history.memory import MemoryStore
from guardrail.history.redis import RedisStore
from guardrail.history.sqlite import SQLiteStore
from guardrail.history.store import (
    DEFAULT_TIMEOUT,
    HistoryStore,
    OverrideStore,
)
from guardrail.history.url import open_store

__all__ = [
    "DEFAULT_TIMEOUT",
    "EventKind",
    "EventOutcome",
    "HistoryEvent",
    "HistoryStore",
    "MemoryStore",
    "OverrideStore",
    "RedisStore",
    "SQLiteStore",
    "StoreCorruptError",
    "StoreError",
    "StoreTimeoutError",
    "StoreUnavailableError",
    "customer_key",
    "open_store",
]
