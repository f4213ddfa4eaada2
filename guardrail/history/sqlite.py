"""`SQLiteStore`: the history in one SQLite file, shared by every process on the machine.

One table of events, keyed by (customer, event_id) so recording a contact again updates it; an
index on (customer, at) serves the per-turn window query and one on (at) keeps the retention
purge from scanning the table while it holds the write lock. Outcomes have a table of their own,
keyed by (customer, outcome_id), with indexes on (at) for the report's window and the purge and
on (conversation_id) for one conversation's outcomes. Agent overrides have a third, keyed by
(customer, override_id), read by (customer, conversation_id) and purged by (at). The file runs
in WAL mode, so readers never wait for a writer and writers wait for each other at most
``timeout`` (SQLite's busy timeout).

Every call is bounded: a lock held past the timeout, or a statement still running at it (a
progress handler interrupts it), raises `StoreTimeoutError`. Each statement is its own transaction,
so an interrupted one leaves nothing half-written.

The file is created readable by its owner only (it holds customer keys); SQLite gives its
``-wal`` and ``-shm`` files the same permissions. The schema version lives in
``PRAGMA user_version``; an older file is migrated in place when opened: version 1 (before risk
events) gains the two risk columns, version 2 (before outcomes) the outcomes table, version 3
(before overrides) the overrides table.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from guardrail.errors import (
    StoreCorruptError,
    StoreError,
    StoreTimeoutError,
    StoreUnavailableError,
    UserError,
)
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
    utcnow,
)

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = 4

_OUTCOMES = (
    """CREATE TABLE outcomes (
        customer TEXT NOT NULL,
        outcome_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at REAL NOT NULL,
        first_contact INTEGER,
        need_state TEXT,
        first_human_at REAL,
        score REAL,
        incident TEXT,
        category TEXT,
        PRIMARY KEY (customer, outcome_id)
    )""",
    "CREATE INDEX outcomes_at ON outcomes (at)",
    "CREATE INDEX outcomes_conversation ON outcomes (conversation_id)",
)
# An override's fields beside its keys are one JSON document: read back only whole, per
# conversation, and validated as an `Override` then.
_OVERRIDES = (
    """CREATE TABLE overrides (
        customer TEXT NOT NULL,
        override_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        at REAL NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (customer, override_id)
    )""",
    "CREATE INDEX overrides_conversation ON overrides (customer, conversation_id)",
    "CREATE INDEX overrides_at ON overrides (at)",
)
_SCHEMA = (
    """CREATE TABLE events (
        customer TEXT NOT NULL,
        event_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at REAL NOT NULL,
        need_state TEXT,
        outcome TEXT,
        conversation_id TEXT,
        code TEXT,
        rule_id TEXT,
        PRIMARY KEY (customer, event_id)
    )""",
    "CREATE INDEX events_customer_at ON events (customer, at)",
    "CREATE INDEX events_at ON events (at)",
    *_OUTCOMES,
    *_OVERRIDES,
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
# Each step takes a file from the version it is keyed by to the next one.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 1 -> 2: risk events (the conversation's risk memory) carry their code and rule id.
    1: (
        "ALTER TABLE events ADD COLUMN code TEXT",
        "ALTER TABLE events ADD COLUMN rule_id TEXT",
        "PRAGMA user_version = 2",
    ),
    # 2 -> 3: outcomes (what the help desk learnt after a conversation).
    2: (*_OUTCOMES, "PRAGMA user_version = 3"),
    # 3 -> 4: agent overrides of a segment for a conversation.
    3: (*_OVERRIDES, "PRAGMA user_version = 4"),
}
_UPSERT = """INSERT INTO events
        (customer, event_id, kind, at, need_state, outcome, conversation_id, code, rule_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (customer, event_id) DO UPDATE SET kind = excluded.kind, at = excluded.at,
        need_state = excluded.need_state, outcome = excluded.outcome,
        conversation_id = excluded.conversation_id, code = excluded.code,
        rule_id = excluded.rule_id"""
_SELECT = """SELECT kind, customer, at, need_state, outcome, conversation_id, event_id, code,
        rule_id
    FROM events WHERE customer = ? AND at >= ? AND at < ? ORDER BY at, event_id"""
_OUTCOME_COLUMNS = (
    "customer", "outcome_id", "conversation_id", "kind", "at", "first_contact", "need_state",
    "first_human_at", "score", "incident", "category",
)
_UPSERT_OUTCOME = f"""INSERT OR REPLACE INTO outcomes ({", ".join(_OUTCOME_COLUMNS)})
    VALUES ({", ".join("?" for _ in _OUTCOME_COLUMNS)})"""
_SELECT_OUTCOMES = f"""SELECT {", ".join(_OUTCOME_COLUMNS)} FROM outcomes
    WHERE at >= ? AND at < ? AND (? IS NULL OR conversation_id = ?)
    ORDER BY at, customer, outcome_id"""
# Purges delete in batches, each its own short transaction, so writers get the lock between them
# and every statement stays inside the deadline however much there is to delete.
_PURGE_BATCH = 1000
_PURGE = """DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE at < ? LIMIT ?)"""
_PURGE_OUTCOMES = """DELETE FROM outcomes
    WHERE rowid IN (SELECT rowid FROM outcomes WHERE at < ? LIMIT ?)"""
_PURGE_OVERRIDES = """DELETE FROM overrides
    WHERE rowid IN (SELECT rowid FROM overrides WHERE at < ? LIMIT ?)"""
_UPSERT_OVERRIDE = """INSERT OR REPLACE INTO overrides
    (customer, override_id, conversation_id, at, body) VALUES (?, ?, ?, ?, ?)"""
_SELECT_OVERRIDES = """SELECT body FROM overrides
    WHERE customer = ? AND conversation_id = ? AND at >= ? ORDER BY at, override_id"""

# The oldest time an override read asks for (the retention raises it).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMEOUT_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT}
# SQLITE_ERROR on our own fixed statements means the schema is not ours ("no such table").
_CORRUPT_CODES = {
    sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FORMAT, sqlite3.SQLITE_ERROR,
    sqlite3.SQLITE_SCHEMA, sqlite3.SQLITE_MISMATCH,
}


class _Connection:
    """One sqlite3 connection, the process that opened it, and its current deadline."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.pid = os.getpid()
        self.deadline = 0.0

    def past_deadline(self) -> int:
        # SQLite's progress handler: a non-zero return interrupts the running statement.
        return 1 if time.monotonic() > self.deadline else 0


class SQLiteStore(ClosingStore):
    """A `HistoryStore` in a SQLite file, safe for many threads and processes at once.

    Connections are pooled: a thread takes one for a call and returns it, so threads that come
    and go leave no connections behind. A process started with ``fork`` opens its own.

    Args:
        path: the database file; missing parent directories are created.
        timeout: seconds one call may wait for a lock or run before `StoreTimeoutError`.
        retention: how long events are kept; None keeps them until `purge`.
        clock: the current time, timezone-aware (for tests).

    Raises:
        StoreCorruptError: the file is not SQLite, is another application's database, or was
            written by a newer guardrail.
        StoreUnavailableError: the file or its directory cannot be created or opened.
        StoreTimeoutError: another connection held the database locked while the schema was made.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retention: timedelta | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.path = Path(path)
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise UserError(
                f"SQLiteStore needs a file path, got {str(path)!r} (use MemoryStore in memory)"
            )
        self._timeout = check_timeout(timeout)
        self._retention = Retention(retention, clock)
        self._lock = threading.Lock()
        self._idle: list[_Connection] = []
        self._closed = False
        self._create_file()
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    # -- HistoryStore --------------------------------------------------------------------------

    def record(self, event: HistoryEvent) -> None:
        """Store `event`, replacing any event with the same (customer, event_id)."""
        if self._retention.expired(check_event(event)):
            return
        row = (
            event.customer, event.event_id, event.kind, event.at.timestamp(), event.need_state,
            event.outcome, event.conversation_id, event.code, event.rule_id,
        )
        with self._connection() as conn:
            conn.db.execute(_UPSERT, row)
        cutoff = self._retention.purge_due()
        if cutoff is not None:
            self._purge(cutoff, budget=self._timeout)

    def events(
        self, customer: str, since: datetime, until: datetime | None = None
    ) -> list[HistoryEvent]:
        """The customer's events with ``since <= at < until``, by time then event id."""
        check_customer(customer)
        low, high = self._retention.window(since, until)
        with self._connection() as conn:
            rows = conn.db.execute(_SELECT, (customer, low, high)).fetchall()
        try:
            return [
                HistoryEvent(
                    kind=kind, customer=key, at=datetime.fromtimestamp(at, UTC),
                    need_state=need_state, outcome=outcome, conversation_id=conversation_id,
                    event_id=event_id, code=code, rule_id=rule_id,
                )
                for kind, key, at, need_state, outcome, conversation_id, event_id, code, rule_id
                in rows
            ]
        except (UserError, TypeError, ValueError, OverflowError) as exc:
            raise StoreCorruptError(f"{self.path}: an event row is not valid ({exc})") from None

    def record_outcome(self, outcome: Outcome) -> None:
        """Store `outcome`, replacing any outcome with the same (customer, outcome_id)."""
        if self._retention.expired(check_outcome(outcome)):
            return
        human = outcome.first_human_at
        row = (
            outcome.customer, outcome.outcome_id, outcome.conversation_id, outcome.kind,
            outcome.at.timestamp(), outcome.first_contact, outcome.need_state,
            None if human is None else human.timestamp(), outcome.score, outcome.incident,
            outcome.category,
        )
        with self._connection() as conn:
            conn.db.execute(_UPSERT_OUTCOME, row)
        cutoff = self._retention.purge_due()
        if cutoff is not None:
            self._purge(cutoff, budget=self._timeout)

    def outcomes(
        self, since: datetime, until: datetime | None = None, *, conversation_id: str | None = None
    ) -> list[Outcome]:
        """Every customer's outcomes with ``since <= at < until``, by time, customer, id."""
        check_conversation(conversation_id)
        low, high = self._retention.window(since, until)
        with self._connection() as conn:
            rows = conn.db.execute(
                _SELECT_OUTCOMES, (low, high, conversation_id, conversation_id)
            ).fetchall()
        try:
            return [_outcome(dict(zip(_OUTCOME_COLUMNS, row, strict=True))) for row in rows]
        except (UserError, TypeError, ValueError, OverflowError) as exc:
            raise StoreCorruptError(f"{self.path}: an outcome row is not valid ({exc})") from None

    def record_override(self, override: Override) -> None:
        """Store `override`, replacing any override with the same (customer, override_id)."""
        if self._retention.expired(check_override(override)):
            return
        row = (override.customer, override.override_id, override.conversation_id,
               override.at.timestamp(), override.model_dump_json())
        with self._connection() as conn:
            conn.db.execute(_UPSERT_OVERRIDE, row)
        cutoff = self._retention.purge_due()
        if cutoff is not None:
            self._purge(cutoff, budget=self._timeout)

    def overrides(self, customer: str, conversation_id: str) -> list[Override]:
        """The overrides of one conversation of `customer`, by time then override id."""
        check_customer(customer)
        check_conversation(conversation_id)
        low, _ = self._retention.window(_EPOCH, None)
        with self._connection() as conn:
            rows = conn.db.execute(_SELECT_OVERRIDES, (customer, conversation_id, low)).fetchall()
        try:
            return [Override.model_validate_json(body) for (body,) in rows]
        except (UserError, TypeError, ValueError) as exc:
            raise StoreCorruptError(f"{self.path}: an override row is not valid ({exc})") from None

    def forget(self, customer: str) -> int:
        """Delete every event, outcome and override of `customer`; returns how many there
        were."""
        check_customer(customer)
        with self._connection() as conn:
            # One transaction: a customer is never left half forgotten.
            conn.db.execute("BEGIN IMMEDIATE")
            count = conn.db.execute("DELETE FROM events WHERE customer = ?", (customer,)).rowcount
            count += conn.db.execute(
                "DELETE FROM outcomes WHERE customer = ?", (customer,)
            ).rowcount
            count += conn.db.execute(
                "DELETE FROM overrides WHERE customer = ?", (customer,)
            ).rowcount
            conn.db.execute("COMMIT")
            return count

    def purge(self, before: datetime) -> int:
        """Delete every event, outcome and override older than `before`; returns the count.

        Deletes in batches, each within the timeout, so a large purge makes progress even when
        it raises `StoreTimeoutError` part-way; call it again to finish.
        """
        return self._purge(aware(before, "before"), budget=None)

    def close(self) -> None:
        """Close the pooled connections; connections in use close when their call ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            if conn.pid == os.getpid():
                conn.db.close()


    # -- internals -----------------------------------------------------------------------------

    def _purge(self, before: datetime, budget: float | None) -> int:
        """Delete events before `before` in batches; stop early once `budget` seconds pass."""
        start = time.monotonic()
        removed = 0
        for statement in (_PURGE, _PURGE_OUTCOMES, _PURGE_OVERRIDES):
            while budget is None or time.monotonic() - start < budget:
                with self._connection() as conn:
                    count = conn.db.execute(statement, (before.timestamp(), _PURGE_BATCH)).rowcount
                removed += count
                if count < _PURGE_BATCH:
                    break
        return removed

    def _create_file(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created here rather than by SQLite so that it is owner-only from the first byte.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            raise StoreUnavailableError(f"{self.path}: cannot create the store ({exc})") from exc

    def _migrate(self) -> None:
        """Check the schema version; make the schema in an empty file, migrate an older one."""
        with self._connection() as conn:
            db = conn.db
            # WAL is a property of the file: set once, every later connection uses it.
            db.execute("PRAGMA journal_mode = WAL").fetchone()
            if self._version(db) == SCHEMA_VERSION:
                return
            # Several processes may open a new file at once: decide under the write lock.
            db.execute("BEGIN IMMEDIATE")
            try:
                version = self._version(db)
                if version == 0:
                    for statement in _SCHEMA:
                        db.execute(statement)
                while version in _MIGRATIONS:
                    for statement in _MIGRATIONS[version]:
                        db.execute(statement)
                    version += 1
                db.execute("COMMIT")
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")

    def _version(self, db: sqlite3.Connection) -> int:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreCorruptError(
                f"{self.path}: history schema version {version} is newer than this guardrail "
                f"reads ({SCHEMA_VERSION}); upgrade guardrail or point it at another file"
            )
        if version == 0:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreCorruptError(
                    f"{self.path}: a SQLite database, but not a guardrail history store"
                )
        return version

    @contextmanager
    def _connection(self) -> Iterator[_Connection]:
        """A pooled connection whose statements are interrupted `timeout` seconds from now."""
        conn = self._checkout()
        conn.deadline = time.monotonic() + self._timeout
        try:
            yield conn
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc
        finally:
            self._checkin(conn)

    def _checkout(self) -> _Connection:
        with self._lock:
            if self._closed:
                raise StoreUnavailableError(f"{self.path}: the store is closed")
            # A forked child must not use its parent's connections (SQLite forbids it).
            self._idle = [c for c in self._idle if c.pid == os.getpid()]
            if self._idle:
                return self._idle.pop()
        try:
            db = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc
        conn = _Connection(db)
        # Every 1000 virtual-machine steps: cheap, and a statement overruns by microseconds.
        db.set_progress_handler(conn.past_deadline, 1000)
        try:
            # With WAL, NORMAL loses at most the last commits on power loss, never integrity.
            db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            db.close()
            raise self._translate(exc) from exc
        return conn

    def _checkin(self, conn: _Connection) -> None:
        if conn.db.in_transaction:
            try:
                conn.db.execute("ROLLBACK")
            except sqlite3.Error:
                conn.db.close()
                return
        with self._lock:
            if not self._closed and conn.pid == os.getpid():
                self._idle.append(conn)
                return
        if conn.pid == os.getpid():
            conn.db.close()

    def _translate(self, exc: sqlite3.Error) -> StoreError:
        code = getattr(exc, "sqlite_errorcode", None)
        primary = None if code is None else code & 0xFF
        if primary in _TIMEOUT_CODES:
            return StoreTimeoutError(f"{self.path}: past the {self._timeout:g} s deadline ({exc})")
        if primary in _CORRUPT_CODES:
            return StoreCorruptError(f"{self.path}: not a valid history store ({exc})")
        return StoreUnavailableError(f"{self.path}: {exc}")


def _outcome(row: dict[str, object]) -> Outcome:
    """The `Outcome` a row of the outcomes table holds."""
    at, human, first = row.pop("at"), row.pop("first_human_at"), row.pop("first_contact")
    return Outcome.model_validate({
        **{k: v for k, v in row.items() if v is not None},
        "at": datetime.fromtimestamp(float(cast(float, at)), UTC),
        **({} if human is None else {
            "first_human_at": datetime.fromtimestamp(float(cast(float, human)), UTC)
        }),
        **({} if first is None else {"first_contact": bool(first)}),
    })
