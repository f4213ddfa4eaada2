"""`RedisStore`: the history in Redis, shared by every worker that can reach the server.

Per customer, two keys for events, two for outcomes and two for agent overrides::

    {prefix}{<customer>}      hash        event_id -> the event as JSON
    {prefix}{<customer>}:t    sorted set  event_id -> unix time, for window queries and trimming
    {prefix}{<customer>}:o    hash        outcome_id -> the outcome as JSON
    {prefix}{<customer>}:ot   sorted set  outcome_id -> unix time
    {prefix}{<customer>}:v    hash        override_id -> the override as JSON
    {prefix}{<customer>}:vt   sorted set  override_id -> unix time

A customer's overrides are few (an agent's actions), so one conversation's are read by reading
the customer's within the retention and keeping that conversation's.

The braces are a Redis Cluster hash tag: both keys of a customer live on one slot, so the
transaction and scripts that touch both work there too. They also keep a customer key that
itself ends in ``:t`` from colliding with another customer's time index.

`record` is one MULTI/EXEC (hash, sorted set, trim, expiry), so readers never see half an
event. With a retention, each record drops the customer's events past it and sets both keys
to expire `retention` after the customer's last write; `purge` walks the other customers with
SCAN. `events` reads the window and the matching events in one server-side script.
`outcomes` (a report's read, not a per-turn one) walks every customer's outcome index with SCAN
and runs the same script on each.

Every command has the store's timeout on its socket and is never retried: a down server is
`StoreUnavailableError` at once, a stalled one `StoreTimeoutError` after the timeout.

The ``redis`` package is imported only when a `RedisStore` is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, cast

from guardrail.errors import StoreCorruptError, StoreTimeoutError, StoreUnavailableError, UserError
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

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore"]

# KEYS: hash, time index. ARGV: the exclusive upper score ("(1712345678.5"). Returns the count.
# Batches of 1000 stay under Lua's limit on unpack()ed arguments.
_TRIM = """
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for i = 1, #old, 1000 do
  local last = math.min(i + 999, #old)
  redis.call('HDEL', KEYS[1], unpack(old, i, last))
  redis.call('ZREM', KEYS[2], unpack(old, i, last))
end
return #old
"""
# KEYS: hash, time index. ARGV: low score (inclusive), high score (exclusive, "(x" or "+inf").
# Returns the events' JSON in time order, false where the hash lacks an indexed event.
_WINDOW = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[2])
local out = {}
for i = 1, #ids, 1000 do
  local got = redis.call('HMGET', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))
  for j = 1, #got do out[#out + 1] = got[j] end
end
return out
"""


def _import_redis() -> ModuleType:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("RedisStore needs the redis client: pip install 'redis>=5'") from exc
    return redis


class RedisStore(ClosingStore):
    """A `HistoryStore` in Redis (one server, or a Sentinel-managed primary).

    The client connects on first use, so making a store never blocks on the network, and a
    store made while Redis is down works once it is back.

    Args:
        url: ``redis://[user:password@]host:port/db`` or ``rediss://`` for TLS.
        timeout: seconds for connecting and for each command before `StoreTimeoutError`.
        prefix: put before every key, so several deployments can share one database.
        retention: how long events are kept; None keeps them until `purge`.
        clock: the current time, timezone-aware (for tests).

    Raises:
        UserError: the URL cannot be parsed.
        ImportError: the ``redis`` package is not installed.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = "guardrail:h:",
        retention: timedelta | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._timeout = check_timeout(timeout)
        self._retention = Retention(retention, clock)
        self.prefix = prefix
        self._redis = _import_redis()
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        try:
            self._client: redis.Redis = self._redis.Redis.from_url(
                url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                # redis-py retries with backoff by default; a retry would overrun the deadline.
                retry=Retry(NoBackoff(), 0),
                decode_responses=True,
            )
        except ValueError as exc:
            # The message may quote the URL, and Redis URLs carry passwords: do not repeat it.
            raise UserError(f"invalid Redis URL: {type(exc).__name__}") from None
        self._window = self._client.register_script(_WINDOW)
        self._closed = False

    # -- HistoryStore --------------------------------------------------------------------------

    def record(self, event: HistoryEvent) -> None:
        """Store `event`, replacing any event with the same (customer, event_id)."""
        if self._retention.expired(check_event(event)):
            return
        events, index = self._keys(event.customer)
        with self._translate():
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(events, event.event_id, event.model_dump_json())
            pipe.zadd(index, {event.event_id: event.at.timestamp()})
            cutoff = self._retention.cutoff()
            if cutoff is not None and self._retention.retention is not None:
                pipe.eval(_TRIM, 2, events, index, f"({cutoff.timestamp()!r}")
                seconds = max(1, math.ceil(self._retention.retention.total_seconds()))
                pipe.expire(events, seconds)
                pipe.expire(index, seconds)
            pipe.execute()

    def events(
        self, customer: str, since: datetime, until: datetime | None = None
    ) -> list[HistoryEvent]:
        """The customer's events with ``since <= at < until``, by time then event id."""
        low, high = self._retention.window(since, until)
        keys = self._keys(check_customer(customer))
        upper = "+inf" if high == math.inf else f"({high!r}"
        with self._translate():
            found = cast(list[str | None], self._window(keys=keys, args=[repr(low), upper]))
        out = []
        for raw in found:
            if raw is None:
                raise StoreCorruptError(f"customer {customer!r}: an indexed event is missing")
            try:
                out.append(HistoryEvent.model_validate_json(raw))
            except (UserError, ValueError) as exc:
                problem = f"customer {customer!r}: an event is not valid ({exc})"
                raise StoreCorruptError(problem) from None
        return out

    def record_outcome(self, outcome: Outcome) -> None:
        """Store `outcome`, replacing any outcome with the same (customer, outcome_id)."""
        if self._retention.expired(check_outcome(outcome)):
            return
        self._put(self._outcome_keys(outcome.customer), outcome.outcome_id,
                  outcome.model_dump_json(), outcome.at)

    def outcomes(
        self, since: datetime, until: datetime | None = None, *, conversation_id: str | None = None
    ) -> list[Outcome]:
        """Every customer's outcomes with ``since <= at < until``, by time, customer, id.

        Walks the customers with SCAN, so it takes a round trip per page of customers: a
        report's read. The timeout bounds each round trip, not the walk.
        """
        check_conversation(conversation_id)
        low, high = self._retention.window(since, until)
        upper = "+inf" if high == math.inf else f"({high!r}"
        pattern = _glob_escape(self.prefix) + "{*}:ot"
        out: list[Outcome] = []
        cursor = 0
        with self._translate():
            while True:
                cursor, keys = self._client.scan(cursor, match=pattern, count=500, _type="zset")
                for index in cast(list[str], keys):
                    found = cast(list[str | None], self._window(
                        keys=[index[: -len("t")], index], args=[repr(low), upper]
                    ))
                    out.extend(self._outcome_rows(index, found))
                if cursor == 0:
                    break
        return sorted(
            (o for o in out if conversation_id in (None, o.conversation_id)), key=outcome_order
        )

    def record_override(self, override: Override) -> None:
        """Store `override`, replacing any override with the same (customer, override_id)."""
        if self._retention.expired(check_override(override)):
            return
        self._put(self._override_keys(str(override.customer)), override.override_id,
                  override.model_dump_json(), override.at)

    def overrides(self, customer: str, conversation_id: str) -> list[Override]:
        """The overrides of one conversation of `customer`, by time then override id."""
        keys = self._override_keys(check_customer(customer))
        check_conversation(conversation_id)
        cutoff = self._retention.cutoff()
        low = "-inf" if cutoff is None else repr(cutoff.timestamp())
        with self._translate():
            found = cast(list[str | None], self._window(keys=list(keys), args=[low, "+inf"]))
        out = []
        for raw in found:
            if raw is None:
                raise StoreCorruptError(f"customer {customer!r}: an indexed override is missing")
            try:
                made = Override.model_validate_json(raw)
            except (UserError, ValueError) as exc:
                problem = f"customer {customer!r}: an override is not valid ({exc})"
                raise StoreCorruptError(problem) from None
            if made.conversation_id == conversation_id:
                out.append(made)
        return sorted(out, key=lambda o: (o.at, o.override_id))

    def forget(self, customer: str) -> int:
        """Delete every event, outcome and override of `customer`; returns how many there
        were."""
        events, index = self._keys(check_customer(customer))
        outcomes, outcome_index = self._outcome_keys(customer)
        overrides, override_index = self._override_keys(customer)
        with self._translate():
            pipe = self._client.pipeline(transaction=True)
            pipe.hlen(events)
            pipe.hlen(outcomes)
            pipe.hlen(overrides)
            pipe.delete(events, index, outcomes, outcome_index, overrides, override_index)
            count, outcome_count, override_count, _ = pipe.execute()
        return int(count) + int(outcome_count) + int(override_count)

    def purge(self, before: datetime) -> int:
        """Delete every event older than `before`, customer by customer; returns the count.

        Each SCAN page and its deletions are one round trip within the timeout; a purge that
        raises part-way keeps what it deleted, and running it again finishes the job.
        """
        bound = f"({aware(before, 'before').timestamp()!r}"
        removed = 0
        # Events: the index {c}:t trims the hash {c}; outcomes: the index {c}:ot trims {c}:o;
        # overrides: {c}:vt trims {c}:v.
        for suffix, strip in (("{*}:t", len(":t")), ("{*}:ot", len("t")), ("{*}:vt", len("t"))):
            pattern = _glob_escape(self.prefix) + suffix
            cursor = 0
            with self._translate():
                while True:
                    cursor, keys = self._client.scan(
                        cursor, match=pattern, count=500, _type="zset"
                    )
                    if keys:
                        pipe = self._client.pipeline(transaction=False)
                        for index in keys:
                            pipe.eval(_TRIM, 2, index[:-strip], index, bound)
                        removed += sum(int(n) for n in pipe.execute())
                    if cursor == 0:
                        break
        return removed

    def close(self) -> None:
        """Close the connection pool; later calls raise `StoreUnavailableError`."""
        self._closed = True
        self._client.close()


    # -- internals -----------------------------------------------------------------------------

    def _keys(self, customer: str) -> tuple[str, str]:
        events = f"{self.prefix}{{{customer}}}"
        return events, events + ":t"

    def _outcome_keys(self, customer: str) -> tuple[str, str]:
        outcomes = f"{self.prefix}{{{customer}}}:o"
        return outcomes, outcomes + "t"

    def _put(self, keys: tuple[str, str], item_id: str, body: str, at: datetime) -> None:
        """Store one outcome or override (hash, time index, trim, expiry) in one MULTI/EXEC."""
        records, index = keys
        with self._translate():
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(records, item_id, body)
            pipe.zadd(index, {item_id: at.timestamp()})
            cutoff = self._retention.cutoff()
            if cutoff is not None and self._retention.retention is not None:
                pipe.eval(_TRIM, 2, records, index, f"({cutoff.timestamp()!r}")
                seconds = max(1, math.ceil(self._retention.retention.total_seconds()))
                pipe.expire(records, seconds)
                pipe.expire(index, seconds)
            pipe.execute()

    def _override_keys(self, customer: str) -> tuple[str, str]:
        overrides = f"{self.prefix}{{{customer}}}:v"
        return overrides, overrides + "t"

    @staticmethod
    def _outcome_rows(index: str, found: list[str | None]) -> list[Outcome]:
        out = []
        for raw in found:
            if raw is None:
                raise StoreCorruptError(f"{index}: an indexed outcome is missing")
            try:
                out.append(Outcome.model_validate_json(raw))
            except (UserError, ValueError) as exc:
                raise StoreCorruptError(f"{index}: an outcome is not valid ({exc})") from None
        return out

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn the client's exceptions into `StoreError`s."""
        if self._closed:
            raise StoreUnavailableError("the Redis store is closed")
        errors = self._redis.exceptions
        try:
            yield
        except (errors.TimeoutError, TimeoutError) as exc:
            raise StoreTimeoutError(f"Redis did not answer within {self._timeout:g} s") from exc
        except errors.ResponseError as exc:
            if "WRONGTYPE" in str(exc):
                raise StoreCorruptError(f"a history key holds another type: {exc}") from exc
            raise StoreUnavailableError(f"Redis refused the command: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise StoreCorruptError(f"a history key holds bytes that are not UTF-8: {exc}") from exc
        except (errors.RedisError, OSError) as exc:
            raise StoreUnavailableError(f"Redis is unavailable: {exc}") from exc


def _glob_escape(text: str) -> str:
    """`text` matched literally by a Redis glob pattern."""
    return "".join("\\" + c if c in "\\*?[]" else c for c in text)
