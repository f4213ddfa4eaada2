"""The history store: one behaviour suite over memory, a real SQLite file and a real Redis server,
then concurrency across processes, and every failure a store may meet (DESIGN principles 2, 8)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis

import guardrail.history
from guardrail.errors import UserError
from guardrail.history import (
    HistoryEvent,
    HistoryStore,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    StoreCorruptError,
    StoreError,
    StoreTimeoutError,
    StoreUnavailableError,
    customer_key,
    open_store,
)
from tests._servers.redis import RedisServer, free_port, redis_server
from tests._servers.stores import StoreFactory

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)



class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def event(
    kind: str = "contact", customer: str = "cust-1", ago: timedelta = timedelta(0), **fields: Any
) -> HistoryEvent:
    return HistoryEvent(kind=kind, customer=customer, at=NOW - ago, **fields)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Redis server for the session; tests isolate themselves by key prefix."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, to stop or freeze."""
    with redis_server(tmp_path) as server:
        yield server


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client on the session server, to look at or damage what a store wrote."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


# `backend` (memory, sqlite, redis), `prefix`, `make_store` and `store` come from
# tests/conftest.py; Redis is this module's `redis_url`.


# -- the behaviour every backend shares ---------------------------------------------------------


def test_record_and_read_back(store: HistoryStore) -> None:
    recorded = [
        event("contact", ago=timedelta(hours=3, microseconds=123_457), need_state="billing",
              outcome="resolved", conversation_id="conv-1", event_id="conv-1"),
        event("article_view", ago=timedelta(hours=2)),
        event("guided_attempt", ago=timedelta(hours=1), need_state="access_restore",
              outcome="failure", conversation_id="conv-2"),
    ]
    for e in recorded:
        store.record(e)
    assert store.events("cust-1", NOW - DAY) == recorded
    assert store.events("someone-else", NOW - DAY) == []


def test_window_is_since_inclusive_until_exclusive(store: HistoryStore) -> None:
    at_30, at_20, at_10 = (event(ago=timedelta(minutes=m)) for m in (30, 20, 10))
    for e in (at_30, at_20, at_10):
        store.record(e)
    assert store.events("cust-1", at_20.at, at_10.at) == [at_20]
    assert store.events("cust-1", at_20.at) == [at_20, at_10]
    assert store.events("cust-1", NOW - DAY, at_30.at) == []


def test_recording_a_contact_again_updates_it(store: HistoryStore) -> None:
    store.record(event(event_id="conv-1", conversation_id="conv-1", need_state="billing",
                       outcome="open"))
    updated = event(event_id="conv-1", conversation_id="conv-1", need_state="access_restore",
                    outcome="handed_off")
    store.record(updated)
    store.record(event(customer="cust-2", event_id="conv-1", need_state="billing"))
    assert store.events("cust-1", NOW - DAY) == [updated]
    assert [e.need_state for e in store.events("cust-2", NOW - DAY)] == ["billing"]


def test_events_come_sorted_by_time_then_event_id(store: HistoryStore) -> None:
    same_time = timedelta(minutes=5)
    shuffled = [
        event(ago=timedelta(minutes=1), event_id="late"),
        event(ago=same_time, event_id="b"),
        event(ago=timedelta(hours=1), event_id="early"),
        event(ago=same_time, event_id="a"),
    ]
    for e in shuffled:
        store.record(e)
    assert [e.event_id for e in store.events("cust-1", NOW - DAY)] == ["early", "a", "b", "late"]


def test_forget_deletes_one_customer_and_counts(store: HistoryStore) -> None:
    for minutes in (1, 2, 3):
        store.record(event(ago=timedelta(minutes=minutes)))
    kept = event(customer="cust-2")
    store.record(kept)
    assert store.forget("cust-1") == 3
    assert store.events("cust-1", NOW - DAY) == []
    assert store.events("cust-2", NOW - DAY) == [kept]
    assert store.forget("cust-1") == 0


def test_purge_deletes_what_is_older_across_customers(store: HistoryStore) -> None:
    recent = event(ago=timedelta(hours=1))
    for e in (event(ago=3 * DAY), event(ago=2 * DAY), recent, event(customer="c2", ago=3 * DAY)):
        store.record(e)
    assert store.purge(NOW - DAY) == 3
    assert store.events("cust-1", NOW - 10 * DAY) == [recent]
    assert store.events("c2", NOW - 10 * DAY) == []
    assert store.purge(NOW - DAY) == 0


def test_retention_hides_old_events_and_record_drops_them(make_store: StoreFactory) -> None:
    clock = FakeClock()
    store = make_store(retention=DAY, clock=clock)
    old = event(ago=timedelta(hours=1))
    store.record(old)
    assert store.events("cust-1", NOW - 10 * DAY) == [old]
    clock.advance(days=2)
    assert store.events("cust-1", NOW - 10 * DAY) == []
    new = HistoryEvent(kind="reopen", customer="cust-1", at=clock.now)
    store.record(new)
    assert store.events("cust-1", NOW - 10 * DAY) == [new]
    assert store.forget("cust-1") == 1  # the old event is gone from storage, not just hidden


def test_an_event_already_past_retention_is_not_stored(make_store: StoreFactory) -> None:
    store = make_store(retention=DAY, clock=FakeClock())
    store.record(event(ago=2 * DAY))
    store.record(event(ago=timedelta(hours=23)))
    assert store.forget("cust-1") == 1


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_record_purges_at_most_once_a_minute(make_store: StoreFactory) -> None:
    clock = FakeClock()
    store = make_store(retention=DAY, clock=clock)
    store.record(event(ago=DAY - timedelta(seconds=10)))  # purges (nothing yet)
    clock.advance(seconds=30)  # that event is now past retention...
    store.record(event())  # ...but the last purge was 30 s ago
    assert store.purge(clock.now - DAY) == 1


def test_customer_key_is_stable_salted_and_not_the_id(store: HistoryStore) -> None:
    key = customer_key("alice@example.com", "salt-1")
    assert len(key) == 32
    assert set(key) <= set("0123456789abcdef")
    assert "alice" not in key
    assert key == customer_key("alice@example.com", "salt-1")
    assert key != customer_key("alice@example.com", "salt-2")
    assert key != customer_key("bob@example.com", "salt-1")
    assert customer_key("alice@example.com", None) == "alice@example.com"
    store.record(event(customer=key))
    assert [e.customer for e in store.events(key, NOW - DAY)] == [key]
    assert store.forget(key) == 1


@pytest.mark.parametrize(
    ("customer_id", "salt"), [("", "s"), ("x" * 257, "s"), ("", None), ("alice", "")]
)
def test_customer_key_rejects_bad_input(customer_id: str, salt: str | None) -> None:
    with pytest.raises(UserError):
        customer_key(customer_id, salt)


def test_store_arguments_are_validated(store: HistoryStore) -> None:
    with pytest.raises(UserError, match="timezone-aware"):
        store.events("cust-1", datetime(2026, 1, 1))
    with pytest.raises(UserError, match="timezone-aware"):
        store.purge(datetime(2026, 1, 1))
    with pytest.raises(UserError, match="customer key"):
        store.forget("")
    with pytest.raises(UserError, match="HistoryEvent"):
        store.record({"kind": "contact", "customer": "c", "at": NOW})  # type: ignore[arg-type]


def test_a_closed_store_is_unavailable(store: HistoryStore) -> None:
    store.close()
    store.close()
    with pytest.raises(StoreUnavailableError):
        store.events("cust-1", NOW - DAY)
    with pytest.raises(StoreUnavailableError):
        store.record(event())


def test_threads_share_one_store(store: HistoryStore) -> None:
    def write(worker: int) -> None:
        for i in range(100):
            store.record(event(customer=f"c{i % 3}", ago=timedelta(seconds=i),
                               event_id=f"t{worker}-{i}"))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(store.events(f"c{k}", NOW - DAY)) for k in range(3)) == 800


# -- the event model ---------------------------------------------------------------------------


def test_an_event_has_no_field_for_text() -> None:
    assert set(HistoryEvent.model_fields) == {
        "kind", "customer", "at", "need_state", "outcome", "conversation_id", "event_id",
        "code", "rule_id",
    }


# -- risk events: the conversation's risk memory (principle 9) -----------------------------------


def risk(outcome: str = "open", conversation: str = "conv-1", **fields: Any) -> HistoryEvent:
    return event("risk", outcome=outcome, conversation_id=conversation,
                 code="risk.account_takeover", rule_id="takeover.registers",
                 event_id=f"risk:{conversation}", **fields)


def test_class2_risk_events_round_trip_resolve_in_place_and_are_forgotten(
    store: HistoryStore,
) -> None:
    store.record(risk())
    store.record(event("contact", conversation_id="conv-1"))
    found = [e for e in store.events("cust-1", NOW - DAY) if e.kind == "risk"]
    assert found == [risk()]
    store.record(risk("resolved"))  # the same (customer, event_id): replaced, not added
    found = [e for e in store.events("cust-1", NOW - DAY) if e.kind == "risk"]
    assert [(e.outcome, e.code, e.rule_id) for e in found] == [
        ("resolved", "risk.account_takeover", "takeover.registers")]
    assert store.forget("cust-1") == 2
    assert store.events("cust-1", NOW - DAY) == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "risk"}, "code, rule_id and conversation_id"),
        ({"kind": "risk", "code": "risk.x", "rule_id": "r", "outcome": "success",
          "conversation_id": "c"}, "open or resolved"),
        ({"kind": "contact", "code": "risk.x"}, "risk events only"),
    ],
)
def test_class2_risk_events_need_their_fields(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        HistoryEvent(**{"customer": "c", "at": NOW, **fields})


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"code": "someone hacked my account", "rule_id": "r"}, "code"),
        ({"code": "risk.x", "rule_id": "Someone hacked me"}, "rule_id"),
    ],
)
def test_risk_events_hold_codes_not_text(fields: dict[str, Any], problem: str) -> None:
    """No text under another name: codes and rule ids have the registry's shape."""
    with pytest.raises(UserError, match=problem):
        HistoryEvent(**{"kind": "risk", "customer": "c", "at": NOW, "outcome": "open",
                        "conversation_id": "c", **fields})


def test_class2_a_version_1_sqlite_file_gains_the_risk_columns(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    db = sqlite3.connect(path)
    db.execute("""CREATE TABLE events (customer TEXT NOT NULL, event_id TEXT NOT NULL,
        kind TEXT NOT NULL, at REAL NOT NULL, need_state TEXT, outcome TEXT,
        conversation_id TEXT, PRIMARY KEY (customer, event_id))""")
    db.execute("INSERT INTO events VALUES ('cust-1', 'e1', 'contact', ?, 'billing', 'open', 'c')",
               (NOW.timestamp(),))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        store.record(risk())
        kinds = [(e.kind, e.code) for e in store.events("cust-1", NOW - DAY)]
    assert kinds == [("contact", None), ("risk", "risk.account_takeover")]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"at": datetime(2026, 6, 1, 12)}, "timezone"),
        ({"kind": "chat_transcript"}, "kind"),
        ({"text": "my card was charged twice"}, "Extra inputs"),
        ({"message": "hello"}, "Extra inputs"),
        ({"need_state": "Billing"}, "need_state"),
        ({"need_state": "b" * 65}, "need_state"),
        ({"outcome": "angry"}, "outcome"),
        ({"conversation_id": "c" * 257}, "conversation_id"),
        ({"customer": ""}, "customer"),
    ],
)
def test_invalid_events_are_user_errors(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        HistoryEvent(**{"kind": "contact", "customer": "c", "at": NOW, **fields})


def test_event_time_is_normalised_to_utc_and_ids_default_unique() -> None:
    paris = timezone(timedelta(hours=2))
    e = HistoryEvent(kind="contact", customer="c", at=datetime(2026, 6, 1, 14, 0, tzinfo=paris))
    assert e.at == NOW
    assert e.at.tzinfo is UTC
    ids = {HistoryEvent(kind="reopen", customer="c", at=NOW).event_id for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 for i in ids)


# -- many processes, one store ------------------------------------------------------------------

WORKERS = 8
PER_WORKER = 1000


# This suite checks that no write is lost or torn, not the latency budget: eight writers flat out
# on a loaded two-CPU machine can wait past the default 0.25 s for SQLite's write lock, which is
# a StoreTimeoutError by design (see test_a_sqlite_lock_held_past_the_timeout_is_a_timeout).
WRITER_TIMEOUT = 5.0


def _write_events(backend: str, target: str, prefix: str, worker: int) -> None:
    """Runs in a spawned process: its own store, 1,000 records over four shared customers."""
    store: HistoryStore = (
        SQLiteStore(target, timeout=WRITER_TIMEOUT) if backend == "sqlite"
        else RedisStore(target, prefix=prefix, timeout=WRITER_TIMEOUT)
    )
    try:
        for i in range(PER_WORKER):
            store.record(HistoryEvent(kind="article_view", customer=f"c{i % 4}",
                                      at=NOW - timedelta(seconds=i), event_id=f"w{worker}-{i}"))
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_eight_processes_write_one_store(
    backend: str, tmp_path: Path, prefix: str, request: pytest.FixtureRequest
) -> None:
    target = str(tmp_path / "shared.db") if backend == "sqlite" else request.getfixturevalue(
        "redis_url"
    )
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_events, args=(backend, target, prefix, w))
        for w in range(WORKERS)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=60)
    codes = [p.exitcode for p in processes]
    for p in processes:
        if p.exitcode is None:
            p.kill()
            p.join()
        p.close()
    assert codes == [0] * WORKERS
    store = SQLiteStore(target) if backend == "sqlite" else RedisStore(target, prefix=prefix)
    with store:
        found = [e.event_id for k in range(4) for e in store.events(f"c{k}", NOW - DAY)]
    expected = {f"w{w}-{i}" for w in range(WORKERS) for i in range(PER_WORKER)}
    assert len(found) == WORKERS * PER_WORKER
    assert set(found) == expected


# -- failures: every one a StoreError, none a hang -----------------------------------------------


def test_redis_on_a_closed_port_is_unavailable() -> None:
    with RedisStore(f"redis://127.0.0.1:{free_port()}/0") as store:
        with pytest.raises(StoreUnavailableError):
            store.record(event())
        with pytest.raises(StoreUnavailableError):
            store.events("cust-1", NOW - DAY)


def test_redis_stopped_mid_test_is_unavailable(own_redis: RedisServer) -> None:
    with RedisStore(own_redis.url) as store:
        store.record(event())
        assert len(store.events("cust-1", NOW - DAY)) == 1
        own_redis.stop()
        with pytest.raises(StoreUnavailableError):
            store.events("cust-1", NOW - DAY)
        with pytest.raises(StoreUnavailableError):
            store.record(event())


def test_a_frozen_redis_times_out_and_the_store_recovers(own_redis: RedisServer) -> None:
    with RedisStore(own_redis.url) as store:
        recorded = event()
        store.record(recorded)
        own_redis.pause()
        try:
            with pytest.raises(StoreTimeoutError):
                store.events("cust-1", NOW - DAY)
            with pytest.raises(StoreTimeoutError):
                store.record(event())
        finally:
            own_redis.resume()
        assert store.events("cust-1", NOW - DAY) == [recorded]


def test_redis_sets_both_keys_to_expire_after_the_retention(
    redis_url: str, prefix: str, raw_redis: redis.Redis
) -> None:
    with RedisStore(redis_url, prefix=prefix, retention=DAY) as store:
        store.record(HistoryEvent(kind="contact", customer="cust-1", at=datetime.now(UTC)))
    for key in (f"{prefix}{{cust-1}}", f"{prefix}{{cust-1}}:t"):
        assert 0 < raw_redis.ttl(key) <= DAY.total_seconds()


@pytest.mark.parametrize("damage", ["not json", "wrong fields", "missing event", "wrong type"])
def test_damaged_redis_data_is_corrupt(
    damage: str, redis_url: str, prefix: str, raw_redis: redis.Redis
) -> None:
    events_key, index_key = f"{prefix}{{cust-1}}", f"{prefix}{{cust-1}}:t"
    with RedisStore(redis_url, prefix=prefix) as store:
        store.record(event(event_id="e1"))
        if damage == "not json":
            raw_redis.hset(events_key, "e1", "{not json")
        elif damage == "wrong fields":
            raw_redis.hset(events_key, "e1", '{"kind": "contact", "text": "hello"}')
        elif damage == "missing event":
            raw_redis.hdel(events_key, "e1")
        else:
            raw_redis.delete(events_key, index_key)
            raw_redis.set(index_key, "a string")
        with pytest.raises(StoreCorruptError):
            store.events("cust-1", NOW - DAY)


def test_a_sqlite_path_that_is_a_text_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(StoreCorruptError):
        SQLiteStore(path)
    with pytest.raises(StoreCorruptError):
        open_store(f"sqlite://{path}")


def test_another_applications_sqlite_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    db.close()
    with pytest.raises(StoreCorruptError, match="not a guardrail history store"):
        SQLiteStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("users",)]
    db.close()


def test_a_newer_sqlite_schema_is_corrupt_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StoreCorruptError, match="version 99 is newer"):
        SQLiteStore(path)


def test_a_sqlite_lock_held_past_the_timeout_is_a_timeout(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with SQLiteStore(path) as store:
        before = event(ago=timedelta(hours=1))
        store.record(before)
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN EXCLUSIVE")
            with pytest.raises(StoreTimeoutError):
                store.record(event())
            with pytest.raises(StoreTimeoutError):
                store.forget("cust-1")
            # WAL: readers do not wait for the writer.
            assert store.events("cust-1", NOW - DAY) == [before]
        finally:
            blocker.rollback()
            blocker.close()
        store.record(event())
        assert len(store.events("cust-1", NOW - DAY)) == 2


def test_sqlite_creates_the_directory_and_an_owner_only_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "history.db"
    with SQLiteStore(path) as store:
        store.record(event())
        assert len(store.events("cust-1", NOW - DAY)) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_sqlite_path_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreUnavailableError):
        SQLiteStore(tmp_path / "dir.db")


@pytest.mark.parametrize("error", [StoreUnavailableError, StoreTimeoutError, StoreCorruptError])
def test_each_store_error_carries_its_failsafe_code(error: type[StoreError]) -> None:
    name = {StoreUnavailableError: "unavailable", StoreTimeoutError: "timeout",
            StoreCorruptError: "corrupt"}
    assert error("x").code == f"failsafe.store_{name[error]}"
    assert issubclass(error, StoreError)


# -- open_store ----------------------------------------------------------------------------------


def test_open_store_reads_each_scheme(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = tmp_path / "abs.db"
    opened = [
        open_store("memory://"),
        open_store(f"sqlite://{absolute}"),  # sqlite:// + /abs/path = three slashes
        open_store("sqlite://data/rel.db"),
        open_store(redis_url),
    ]
    try:
        assert [type(s) for s in opened] == [MemoryStore, SQLiteStore, SQLiteStore, RedisStore]
        assert absolute.exists()
        assert (tmp_path / "data" / "rel.db").exists()
        customer = uuid.uuid4().hex
        for store in opened:
            store.record(event(customer=customer))
            assert len(store.events(customer, NOW - DAY)) == 1
            assert store.forget(customer) == 1
    finally:
        for store in opened:
            store.close()


@pytest.mark.parametrize(
    "url",
    ["", "postgres://db/history", "sqlite://", "memory://extra", "redis://", "history.db",
     "file:///tmp/history.db"],
)
def test_open_store_rejects_other_urls_naming_the_schemes(url: str) -> None:
    with pytest.raises(UserError, match="memory://, sqlite:///"):
        open_store(url)


def test_a_bad_redis_url_is_a_user_error_that_hides_the_password() -> None:
    with pytest.raises(UserError, match="invalid Redis URL") as caught:
        open_store("redis://user:s3cret@127.0.0.1:notaport/0")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_open_store_rejects_a_timeout_that_is_not_positive(timeout: float) -> None:
    with pytest.raises(UserError, match="timeout"):
        open_store("memory://", timeout=timeout)


# -- the package ---------------------------------------------------------------------------------


def test_history_all_is_complete_and_sorted() -> None:
    public = {n for n in vars(guardrail.history) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(guardrail.history, n)).__name__ == "module"}
    assert set(guardrail.history.__all__) == public - modules
    assert list(guardrail.history.__all__) == sorted(guardrail.history.__all__)


def test_using_the_local_stores_never_imports_redis(tmp_path: Path) -> None:
    code = (
        "import sys; from guardrail.history import open_store; "
        f"open_store('memory://').close(); open_store('sqlite://{tmp_path}/h.db').close(); "
        "print('redis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
