"""Friction across conversations: the engine reads the history store once a conversation, writes
its contact back (need-state and outcome, never text), merges the store's signals with the
caller's, and fails closed for friction when the store fails. Real SQLite files and a real Redis
server; the CLI end to end."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail, Registry
from guardrail.cli import main
from guardrail.history import HistoryEvent, MemoryStore, StoreUnavailableError
from tests._servers.redis import redis_server

# Inside the store's retention (90 days back from now), or the store would rightly drop it.
T0 = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
LOGIN = "I can't log in to my account, the password reset email never arrives"
BILLING = "Why is my invoice higher than last month?"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.default()


def conv(
    cid: str, text: str, at: datetime, customer: str = "cus_1", **extra: Any
) -> dict[str, Any]:
    return {"id": cid, "at": at.isoformat(), "messages": [{"role": "user", "content": text}],
            "context": {"customer_id": customer}, **extra}


def reasons(decision: Any, segment: str) -> list[Any]:
    return next(s.reasons for s in decision.segments if s.id == segment)


def test_the_same_need_twice_in_7_days_is_a_repeat(registry: Registry) -> None:
    guard = Guardrail(registry, need_model=None, store=MemoryStore())
    first = guard.check(conv("c1", LOGIN, T0))
    assert "repeat_issue" not in first.friction
    second = guard.check(conv("c2", LOGIN, T0 + timedelta(days=3)))
    assert "repeat_issue" in second.friction
    (reason,) = reasons(second, "repeat_issue")
    assert reason.source == "history:same_intent_contacts_7d"
    assert "history store" in reason.explanation
    # another need, or the same need a week later, is not a repeat
    assert "repeat_issue" not in guard.check(conv("c3", BILLING, T0 + timedelta(days=3))).friction
    assert "repeat_issue" not in guard.check(conv("c4", LOGIN, T0 + timedelta(days=11))).friction
    # nor is the same conversation checked again
    again = guard.check(conv("c1", LOGIN, T0) | {"messages": [
        {"role": "user", "content": LOGIN}, {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "hello?"}]})
    assert "repeat_issue" not in again.friction


def test_caller_and_store_signals_merge_and_say_where_they_came_from(registry: Registry) -> None:
    store = MemoryStore()
    guard = Guardrail(registry, need_model=None, store=store)
    guard.check(conv("c1", LOGIN, T0))
    both = guard.check(conv("c2", LOGIN, T0 + timedelta(hours=1),
                            signals={"same_intent_contacts_7d": 1}))
    assert reasons(both, "repeat_issue")[0].source == "signal+history:same_intent_contacts_7d"
    caller = guard.check(conv("c3", LOGIN, T0 + timedelta(hours=2),
                              signals={"same_intent_contacts_7d": 5}))
    assert reasons(caller, "repeat_issue")[0].source == "signal:same_intent_contacts_7d"


def test_articles_reopens_and_escalations_from_recorded_events(registry: Registry) -> None:
    guard = Guardrail(registry, need_model=None, store=MemoryStore())
    for minutes in (12, 5):
        guard.record_event("article_view", "cus_1", at=T0 - timedelta(minutes=minutes))
    guard.record_event("reopen", "cus_1", at=T0 - timedelta(days=2))
    for days in (3, 10):
        guard.record_event("escalation", "cus_1", at=T0 - timedelta(days=days))
    decision = guard.check(conv("c1", "hi, I need some help", T0))
    assert {"self_serve_failed", "assisted_after_self_serve", "reopen_prone"} <= set(
        decision.friction)
    sources = {r.source for s in decision.segments for r in s.reasons}
    assert "history:articles_viewed_15m" in sources
    assert "history:reopened_tickets_7d" in sources
    # another customer's history is not this one's
    other = guard.check(conv("c2", "hi, I need some help", T0, customer="cus_2"))
    assert other.friction == []


def test_an_unreachable_store_fails_closed_for_friction(registry: Registry) -> None:
    class Down(MemoryStore):
        def events(self, *args: Any, **kwargs: Any) -> list[HistoryEvent]:
            raise StoreUnavailableError("connection refused")

    guard = Guardrail(registry, need_model=None, store=Down())
    decision = guard.check(conv("c1", LOGIN, T0))
    assert "history_unavailable" in decision.friction
    assert decision.handoff.offered
    assert "skip_basics" in decision.directives
    codes = [str(r) for r in decision.reason_codes]
    assert "failsafe.store_unavailable#history" in codes
    # friction fails closed; the rest of the decision is what it would be
    assert decision.need_state == "access_restore"
    assert not decision.handoff.required


def test_a_store_that_breaks_in_an_unexpected_way_still_fails_closed(registry: Registry) -> None:
    class Buggy(MemoryStore):
        def events(self, *args: Any, **kwargs: Any) -> list[HistoryEvent]:
            raise KeyError("bug")

    decision = Guardrail(registry, need_model=None, store=Buggy()).check(conv("c1", LOGIN, T0))
    assert "failsafe.store_unavailable#history" in [str(r) for r in decision.reason_codes]


def test_a_corrupt_sqlite_store_fails_closed(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_text("this is not a database, " * 200, "utf-8")
    guard = Guardrail(registry, need_model=None, store=f"sqlite:///{path}")
    decision = guard.check(conv("c1", LOGIN, T0))
    guard.close()
    assert "history_unavailable" in decision.friction
    assert "failsafe.store_corrupt#history" in [str(r) for r in decision.reason_codes]


def test_a_frozen_redis_times_out_instead_of_hanging(
    registry: Registry, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as server:
        guard = Guardrail(registry, need_model=None, store=server.url)
        guard.check(conv("c1", LOGIN, T0))
        server.pause()  # connections stay open, nothing answers
        try:
            decision = guard.check(conv("c2", LOGIN, T0 + timedelta(days=1)))
        finally:
            server.resume()
            guard.close()
    assert "history_unavailable" in decision.friction
    assert "failsafe.store_timeout#history" in [str(r) for r in decision.reason_codes]


def test_with_a_sqlite_store_the_readers_are_not_blocked_by_a_writer(
    registry: Registry, tmp_path: Path
) -> None:
    """WAL mode: a long write elsewhere does not stop a conversation from reading history."""
    path = tmp_path / "h.db"
    guard = Guardrail(registry, need_model=None, store=f"sqlite:///{path}")
    guard.check(conv("c1", LOGIN, T0))
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        decision = guard.check(conv("c2", LOGIN, T0 + timedelta(days=1)))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        guard.close()
    assert "repeat_issue" in decision.friction
    assert "history_unavailable" not in decision.friction


def test_the_store_keeps_no_message_text_and_can_hash_customer_ids(
    registry: Registry, tmp_path: Path
) -> None:
    path = tmp_path / "h.db"
    guard = Guardrail(registry, need_model=None, store=f"sqlite:///{path}",
                      customer_salt="pepper")
    guard.check(conv("c1", LOGIN + " my email is jane@example.com", T0, customer="jane-77"))
    guard.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("h.db"))
    assert raw  # something was written
    for fragment in (b"password reset", b"jane@example.com", b"jane-77"):
        assert fragment not in raw


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_cli_repeat_issue_then_forget(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}" if kind == "sqlite" else request.getfixturevalue(
        "redis_url")
    customer = f"cus_cli_{kind}"
    lines = [conv("a1", LOGIN, T0, customer=customer),
             conv("a2", LOGIN, T0 + timedelta(days=2), customer=customer)]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    assert main(["classify", "--input", str(batch), "--store", url, "--need-model", "none"]) == 0
    first, second = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert "repeat_issue" not in first["friction"]
    assert "repeat_issue" in second["friction"]

    assert main(["forget", customer, "--store", url]) == 0
    assert "deleted 2 record(s)" in capsys.readouterr().out
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps(conv("a3", LOGIN, T0 + timedelta(days=3), customer=customer))
                     + "\n", "utf-8")
    assert main(["classify", "--input", str(later), "--store", url, "--need-model", "none"]) == 0
    (third,) = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert "repeat_issue" not in third["friction"]


def test_cli_record_feeds_friction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    events = tmp_path / "events.jsonl"
    views = [{"customer": "cus_9", "kind": "article_view",
              "at": (T0 - timedelta(minutes=m)).isoformat()} for m in (9, 3)]
    events.write_text("".join(json.dumps(e) + "\n" for e in views), "utf-8")
    assert main(["record", "--store", url, "--input", str(events)]) == 0
    assert main(["record", "--store", url, "--customer", "cus_9", "--kind", "reopen",
                 "--at", (T0 - timedelta(days=1)).isoformat()]) == 0
    capsys.readouterr()
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps(conv("b1", "hello, I need help", T0, customer="cus_9")) + "\n",
                     "utf-8")
    assert main(["classify", "--input", str(batch), "--store", url, "--need-model", "none"]) == 0
    (row,) = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert {"assisted_after_self_serve", "reopen_prone"} <= set(row["friction"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["record", "--store", "memory://", "--customer", "c"], "--kind"),
        (["record", "--store", "memory://", "--customer", "c", "--kind", "reopen",
          "--at", "2026-01-01T10:00:00"], "timezone"),
        (["record", "--store", "ftp://x", "--customer", "c", "--kind", "reopen"], "memory://"),
        (["forget", "c", "--store", "nope"], "memory://"),
    ],
)
def test_cli_store_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_line_without_a_timezone_is_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"id": "x", "at": "2026-06-01T10:00:00",
                                 "messages": [{"role": "user", "content": "hi"}]}) + "\n",
                     "utf-8")
    assert main(["classify", "--input", str(batch), "--need-model", "none"]) == 1
    (row,) = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert "timezone" in row["error"]
