"""Handoff sinks against a real local HTTP server whose answers each test scripts, and the spool.

The server records every request (body and ``Idempotency-Key``), so the tests can say how many
attempts a handoff took and that the receiver got it exactly once. Backoff waits are made tiny
through the sinks' own parameters; no test asserts on the clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import guardrail.handoff.sinks
import guardrail.handoff.spool
import guardrail.handoff.webhook
from guardrail import Guardrail
from guardrail.conversation import Conversation
from guardrail.errors import GuardrailError, SinkError, UserError
from guardrail.handoff import (
    AsyncWebhookSink,
    CallableSink,
    HandoffSummary,
    MemorySink,
    ReplayResult,
    SpoolingSink,
    WebhookSink,
    adeliver,
    deliver,
    handoff_key,
    replay,
)
from guardrail.handoff.webhook import _retry_after
from tests._servers.http import LocalServer, Reply, Request, serve

Step = tuple[int, dict[str, str]]
FAST: dict[str, Any] = {"wait_initial": 0.001, "wait_max": 0.01, "timeout": 5.0, "deadline": 10.0}
SECRET = "talk to a human"  # transcript text that must never reach a log or an error


class HookServer:
    """The help desk's webhook receiver, on the shared local server: answers POSTs from `steps`
    in order (the last step repeats) and records every request with the status it got."""

    def __init__(self) -> None:
        self.steps: list[Step] = [(200, {})]
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.local: LocalServer | None = None

    @property
    def url(self) -> str:
        assert self.local is not None, "use hook_server()"
        return self.local.url("/handoffs")

    def script(self, *steps: int | Step) -> None:
        self.steps = [s if isinstance(s, tuple) else (s, {}) for s in steps]

    def next_step(self) -> Step:
        with self.lock:
            return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]

    def respond(self, request: Request) -> Reply:
        status, headers = self.next_step()
        with self.lock:
            self.requests.append({
                "status": status, "body": request.json(),
                "key": request.headers.get("idempotency-key"),
                "content_type": request.headers.get("content-type"),
                "authorization": request.headers.get("authorization"),
            })
        return Reply(status, {"ok": True} if status < 400 else {"error": "scripted"}, headers)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """The requests answered with a 2xx or 409: what the receiver accepted."""
        return [r for r in self.requests if 200 <= r["status"] < 300 or r["status"] == 409]

    @property
    def keys(self) -> list[str]:
        return [r["key"] for r in self.requests]


@contextmanager
def hook_server() -> Iterator[HookServer]:
    hook = HookServer()
    with serve(hook.respond) as local:
        hook.local = local
        yield hook


@pytest.fixture
def server() -> Iterator[HookServer]:
    with hook_server() as httpd:
        yield httpd


@pytest.fixture
def webhook(server: HookServer) -> Iterator[WebhookSink]:
    with WebhookSink(server.url, **FAST) as sink:
        yield sink


def build(guard: Guardrail, conversation_id: str | None = "conv-1",
          now: datetime | None = None) -> HandoffSummary:
    raw: dict[str, Any] = {"messages": [{"role": "user", "content": f"I want to {SECRET}"}]}
    if conversation_id is not None:
        raw["id"] = conversation_id
    conversation = Conversation.model_validate(raw)
    return HandoffSummary.build(guard.check(conversation), conversation, now=now)


@pytest.fixture
def summary(rules_guard: Guardrail) -> HandoffSummary:
    built = build(rules_guard)
    rules_guard.forget_conversation("conv-1")
    return built


def spool_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def fail(_: HandoffSummary) -> None:
    raise ConnectionError("desk down")


@pytest.mark.parametrize("module", [
    guardrail.handoff.sinks, guardrail.handoff.spool, guardrail.handoff.webhook,
], ids=lambda m: m.__name__)
def test_all_is_complete_and_sorted(module: Any) -> None:
    public = {n for n, v in vars(module).items()
              if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__}
    assert public <= set(module.__all__)
    # What __all__ adds beyond the classes and functions defined here is a type alias or a
    # constant.
    assert all(n in public or n == "SinkLike" or n.isupper() for n in module.__all__)
    # Sorted as ruff sorts it: constants first.
    assert list(module.__all__) == sorted(module.__all__, key=lambda n: (not n.isupper(), n))


# -- the key -------------------------------------------------------------------------------------


def test_the_key_names_the_incident(summary: HandoffSummary) -> None:
    key = handoff_key(summary)
    assert len(key) == 32
    assert int(key, 16) >= 0
    assert "#" in summary.reasons[0]
    # The same summary sent again keeps its key; only the codes of the reasons count.
    assert handoff_key(summary.model_copy()) == key
    variant = [r.split("#")[0] + "#another.rule" for r in reversed(summary.reasons)]
    assert handoff_key(summary.model_copy(update={"reasons": variant})) == key
    assert handoff_key(summary.model_copy(update={"conversation_id": "conv-2"})) != key
    assert handoff_key(summary.model_copy(update={"queue": "billing_disputes"})) != key
    assert handoff_key(summary.model_copy(update={"reasons": ["risk.legal_threat"]})) != key


def test_anonymous_handoffs_do_not_collapse_into_one(rules_guard: Guardrail) -> None:
    first = build(rules_guard, None, now=datetime(2026, 1, 1, tzinfo=UTC))
    second = build(rules_guard, None, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert handoff_key(first) != handoff_key(second)
    assert handoff_key(first) == handoff_key(first.model_copy())


# -- the webhook ---------------------------------------------------------------------------------


def test_two_503s_then_200_deliver_once_under_one_key(
    server: HookServer, webhook: WebhookSink, summary: HandoffSummary
) -> None:
    server.script(503, 503, 200)
    assert deliver(webhook, summary) == "delivered"
    assert [r["status"] for r in server.requests] == [503, 503, 200]
    assert len(server.delivered) == 1
    assert server.keys == [handoff_key(summary)] * 3
    assert server.delivered[0]["body"] == summary.model_dump(mode="json")
    assert server.delivered[0]["content_type"] == "application/json"


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 504])
def test_transient_statuses_are_retried(server: HookServer, webhook: WebhookSink,
                                        summary: HandoffSummary, status: int) -> None:
    server.script(status, 200)
    webhook.send(summary)
    assert [r["status"] for r in server.requests] == [status, 200]


def test_a_receiver_that_keeps_failing_gets_attempts_requests_then_an_error(
    server: HookServer, webhook: WebhookSink, summary: HandoffSummary,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.script(500)
    with caplog.at_level(logging.DEBUG, logger="guardrail"), \
            pytest.raises(SinkError, match="after 4 attempt") as info:
        webhook.send(summary)
    assert isinstance(info.value, GuardrailError)
    assert info.value.retryable
    assert not info.value.spooled
    assert info.value.status == 500
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ or info.value.__context__ is None
    assert len(server.requests) == 4
    assert handoff_key(summary) in caplog.text
    assert SECRET not in caplog.text
    assert server.url not in caplog.text
    assert SECRET not in str(info.value)
    assert deliver(webhook, summary) == "failed: SinkError"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_final(server: HookServer, webhook: WebhookSink,
                             summary: HandoffSummary, status: int) -> None:
    server.script(status, 200)
    with pytest.raises(SinkError, match=f"HTTP {status}") as info:
        webhook.send(summary)
    assert not info.value.retryable
    assert info.value.status == status
    assert len(server.requests) == 1


def test_409_means_the_receiver_already_has_it(server: HookServer, webhook: WebhookSink,
                                               summary: HandoffSummary) -> None:
    server.script(409)
    assert deliver(webhook, summary) == "delivered"
    assert len(server.requests) == 1


def test_retry_after_sets_the_wait(server: HookServer, summary: HandoffSummary,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:
        waits.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    server.script((503, {"Retry-After": "0.05"}), (429, {"Retry-After": "0"}), 200)
    with WebhookSink(server.url, **{**FAST, "wait_initial": 0.0}) as sink:
        sink.send(summary)
    assert waits == [0.05, 0.0]
    assert len(server.delivered) == 1


def test_a_retry_after_past_the_deadline_gives_up_at_once(server: HookServer,
                                                          summary: HandoffSummary) -> None:
    server.script((503, {"Retry-After": "3600"}), 200)
    with WebhookSink(server.url, **FAST) as sink, pytest.raises(SinkError) as info:
        sink.send(summary)
    assert info.value.retryable
    assert len(server.requests) == 1


def test_retry_after_parsing() -> None:
    assert _retry_after("2") == 2.0
    assert _retry_after("0.25") == 0.25
    assert _retry_after("-4") == 0.0
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    assert _retry_after("nan") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    future = _retry_after(format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True))
    assert future is not None
    assert 0 < future <= 60


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_connection_refused_is_retried_then_reported(summary: HandoffSummary,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/handoffs"
    with caplog.at_level(logging.INFO, logger="guardrail.handoff.sinks"), \
            WebhookSink(url, **{**FAST, "attempts": 3}) as sink, \
            pytest.raises(SinkError, match=r"after 3 attempt.*connection failed") as info:
        sink.send(summary)
    assert info.value.retryable
    assert info.value.status is None
    assert sum("retrying" in r.getMessage() for r in caplog.records) == 2


def test_an_unusable_url_is_final(summary: HandoffSummary) -> None:
    with WebhookSink("ftp://127.0.0.1/handoffs", **FAST) as sink, \
            pytest.raises(SinkError) as info:
        sink.send(summary)
    assert not info.value.retryable


def test_headers_are_sent_and_the_key_cannot_be_overridden(
    server: HookServer, summary: HandoffSummary
) -> None:
    headers = {"Authorization": "Bearer t0ken", "Idempotency-Key": "mine"}
    with httpx.Client() as client:
        sink = WebhookSink(server.url, headers=headers, client=client, **FAST)
        sink.send(summary)
        sink.close()
        assert not client.is_closed  # the caller's client is the caller's to close
    assert server.requests[0]["authorization"] == "Bearer t0ken"
    assert server.keys == [handoff_key(summary)]


@pytest.mark.parametrize("limits", [{"attempts": 0}, {"timeout": 0}, {"deadline": -1},
                                    {"wait_max": -1}])
def test_limits_out_of_range_are_refused(limits: dict[str, float]) -> None:
    with pytest.raises(UserError):
        WebhookSink("http://127.0.0.1/", **limits)  # type: ignore[arg-type]


def test_the_async_twin_retries_and_delivers_once(server: HookServer,
                                                  summary: HandoffSummary) -> None:
    async def run() -> None:
        async with AsyncWebhookSink(server.url, **FAST) as sink:
            server.script(503, 200)
            await sink.send(summary)
            server.script(400)
            with pytest.raises(SinkError, match="HTTP 400"):
                await sink.send(summary)

    asyncio.run(run())
    assert [r["status"] for r in server.requests] == [503, 200, 400]
    assert server.keys == [handoff_key(summary)] * 3


def test_the_async_twin_gives_up_like_the_sync_one(summary: HandoffSummary) -> None:
    async def run() -> None:
        url = f"http://127.0.0.1:{_closed_port()}/"
        async with AsyncWebhookSink(url, **{**FAST, "attempts": 2}) as sink:
            await sink.send(summary)

    with pytest.raises(SinkError, match="after 2 attempt") as info:
        asyncio.run(run())
    assert info.value.retryable


# -- the spool -----------------------------------------------------------------------------------


def test_a_failed_webhook_handoff_is_spooled_then_replayed_once(
    server: HookServer, webhook: WebhookSink, summary: HandoffSummary, tmp_path: Path
) -> None:
    spool = tmp_path / "deep" / "handoffs.spool"
    sink = SpoolingSink(webhook, spool)
    server.script(500)
    with pytest.raises(SinkError, match="spooled") as info:
        sink.send(summary)
    assert info.value.spooled
    assert info.value.retryable
    assert info.value.status == 500
    assert deliver(sink, summary) == "failed: SinkError"
    [entry, again] = spool_lines(spool)
    assert entry["key"] == again["key"] == handoff_key(summary)
    assert entry["error"] == "SinkError"
    assert HandoffSummary.model_validate(entry["summary"]) == summary
    assert datetime.fromisoformat(entry["spooled_at"]).tzinfo is not None
    failed_requests = len(server.requests)

    server.script(200)
    assert replay(spool, webhook) == ReplayResult(delivered=1, failed=0, skipped_duplicates=1)
    assert len(server.requests) == failed_requests + 1
    assert len(server.delivered) == 1
    assert server.delivered[0]["key"] == handoff_key(summary)
    assert spool.read_bytes() == b""
    delivered_keys = (tmp_path / "deep" / "handoffs.spool.delivered").read_text()
    assert delivered_keys == handoff_key(summary) + "\n"

    # A second replay has nothing to do; the same handoff spooled again is a duplicate.
    assert replay(spool, webhook) == ReplayResult(0, 0, 0)
    with pytest.raises(SinkError):
        SpoolingSink(fail, spool).send(summary)
    assert replay(spool, webhook) == ReplayResult(delivered=0, failed=0, skipped_duplicates=1)
    assert len(server.delivered) == 1
    assert spool.read_bytes() == b""


def test_a_delivered_handoff_is_not_spooled(summary: HandoffSummary, tmp_path: Path) -> None:
    memory = MemorySink()
    assert deliver(SpoolingSink(memory, tmp_path / "s.spool"), summary) == "delivered"
    assert memory.summaries == [summary]
    assert not (tmp_path / "s.spool").exists()


def test_a_handoff_that_fails_again_stays_in_the_spool(summary: HandoffSummary,
                                                       tmp_path: Path) -> None:
    spool = tmp_path / "s.spool"
    with pytest.raises(SinkError, match="ConnectionError"):
        SpoolingSink(CallableSink(fail), spool).send(summary)

    def timeout(_: HandoffSummary) -> None:
        raise TimeoutError

    assert replay(spool, timeout) == ReplayResult(delivered=0, failed=1, skipped_duplicates=0)
    [entry] = spool_lines(spool)
    assert entry["error"] == "TimeoutError"
    assert entry["key"] == handoff_key(summary)
    assert not (tmp_path / "s.spool.delivered").exists()

    memory = MemorySink()
    assert replay(spool, memory) == ReplayResult(delivered=1, failed=0, skipped_duplicates=0)
    assert memory.summaries == [summary]


def test_replay_keeps_what_is_spooled_while_it_delivers(rules_guard: Guardrail,
                                                        summary: HandoffSummary,
                                                        tmp_path: Path) -> None:
    spool = tmp_path / "s.spool"
    spooling = SpoolingSink(fail, spool)
    with pytest.raises(SinkError):
        spooling.send(summary)
    newcomer = summary.model_copy(update={"conversation_id": "conv-late"})
    delivered: list[HandoffSummary] = []

    def deliver_while_another_fails(s: HandoffSummary) -> None:
        with pytest.raises(SinkError):
            spooling.send(newcomer)  # a concurrent chat's handoff failing meanwhile
        delivered.append(s)

    assert replay(spool, deliver_while_another_fails).delivered == 1
    assert delivered == [summary]
    assert [e["key"] for e in spool_lines(spool)] == [handoff_key(newcomer)]


def test_corrupt_lines_are_set_aside_and_counted(summary: HandoffSummary,
                                                 tmp_path: Path) -> None:
    spool = tmp_path / "s.spool"
    good = {"key": handoff_key(summary), "summary": summary.model_dump(mode="json"),
            "error": "SinkError", "spooled_at": "2026-01-01T00:00:00+00:00"}
    keyless = {"summary": summary.model_copy(update={"conversation_id": "c9"})
               .model_dump(mode="json")}
    bad = [b"not json", b'{"key": "k", "summary": {"queue": 1}}', b"[1, 2]", b"\xff\xfe{",
           b'{"key": "k", "summary": {"conversation_id": "c1"']
    spool.write_bytes(b"\n".join([json.dumps(good).encode(), *bad, json.dumps(keyless).encode(),
                                  b"", b"   "]) + b"\n")
    memory = MemorySink()
    result = replay(spool, memory)
    assert result == ReplayResult(delivered=2, failed=0, skipped_duplicates=0, corrupt=5)
    assert [s.conversation_id for s in memory.summaries] == ["conv-1", "c9"]
    assert (tmp_path / "s.spool.corrupt").read_bytes().splitlines() == bad
    assert spool.read_bytes() == b""
    assert replay(spool, memory) == ReplayResult(0, 0, 0)


def test_an_async_sink_is_refused_rather_than_left_unawaited(
    server: HookServer, summary: HandoffSummary, tmp_path: Path
) -> None:
    async_sink = AsyncWebhookSink(server.url, **FAST)
    with pytest.raises(SinkError, match="spooled") as info:
        SpoolingSink(async_sink, tmp_path / "s.spool").send(summary)
    assert info.value.spooled
    assert replay(tmp_path / "s.spool", async_sink).failed == 1
    asyncio.run(async_sink.aclose())
    assert server.requests == []


def test_replay_of_a_missing_spool_does_nothing(tmp_path: Path) -> None:
    assert replay(tmp_path / "none.spool", MemorySink()) == ReplayResult(0, 0, 0)


def test_a_spool_that_cannot_be_written_is_reported(summary: HandoffSummary,
                                                    tmp_path: Path) -> None:
    spool = tmp_path / "a-folder"
    spool.mkdir()
    with pytest.raises(SinkError, match="could not be spooled") as info:
        SpoolingSink(fail, spool).send(summary)
    assert not info.value.spooled


def test_concurrent_sends_never_interleave_lines(summary: HandoffSummary,
                                                 tmp_path: Path) -> None:
    spool = tmp_path / "s.spool"
    sink = SpoolingSink(CallableSink(fail), spool)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        for i in range(50):
            try:
                sink.send(summary.model_copy(update={"conversation_id": f"c{n}-{i}"}))
            except SinkError as exc:
                if not exc.spooled:
                    errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = spool_lines(spool)
    assert len(entries) == 400
    assert len({e["key"] for e in entries}) == 400
    assert all(HandoffSummary.model_validate(e["summary"]) for e in entries)

    memory = MemorySink()
    assert replay(spool, memory) == ReplayResult(delivered=400, failed=0, skipped_duplicates=0)
    assert len(memory.summaries) == 400


# -- issue 15, class 7: no handoff lost in the spool ----------------------------------------------


def test_class7_a_reused_conversation_id_with_a_new_incident_is_delivered(
    rules_guard: Guardrail, tmp_path: Path
) -> None:
    first = build(rules_guard, "reused", now=datetime(2026, 1, 1, tzinfo=UTC))
    rules_guard.forget_conversation("reused")
    later = build(rules_guard, "reused", now=datetime(2026, 3, 1, tzinfo=UTC))
    rules_guard.forget_conversation("reused")
    assert (first.queue, first.reasons) == (later.queue, later.reasons)
    spool = tmp_path / "s.spool"
    for spooled in (first, first):  # the same incident sent twice: one copy is dropped
        with pytest.raises(SinkError):
            SpoolingSink(fail, spool).send(spooled)
    memory = MemorySink()
    assert replay(spool, memory) == ReplayResult(delivered=1, failed=0, skipped_duplicates=1)
    with pytest.raises(SinkError):  # the new incident, after the first was delivered
        SpoolingSink(fail, spool).send(later)
    assert replay(spool, memory) == ReplayResult(delivered=1, failed=0, skipped_duplicates=0)
    assert memory.summaries == [first, later]


def test_class7_a_torn_spool_line_does_not_swallow_the_next_handoff(
    summary: HandoffSummary, tmp_path: Path
) -> None:
    spool = tmp_path / "s.spool"
    with pytest.raises(SinkError):
        SpoolingSink(fail, spool).send(summary)
    whole = spool.read_bytes()
    spool.write_bytes(whole + whole[: len(whole) // 2])  # half a line, as a full disk leaves it
    newcomer = summary.model_copy(update={"conversation_id": "conv-next"})
    with pytest.raises(SinkError) as info:
        SpoolingSink(fail, spool).send(newcomer)
    assert info.value.spooled
    memory = MemorySink()
    assert replay(spool, memory) == ReplayResult(delivered=2, failed=0, skipped_duplicates=0,
                                                 corrupt=1)
    assert [s.conversation_id for s in memory.summaries] == ["conv-1", "conv-next"]
    assert (tmp_path / "s.spool.corrupt").read_bytes() == whole[: len(whole) // 2] + b"\n"


_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from guardrail.errors import SinkError
from guardrail.handoff import HandoffSummary, SpoolingSink

summary = HandoffSummary.model_validate_json(Path(sys.argv[1]).read_text("utf-8"))

def fail(_):
    raise ConnectionError("desk down")

# The disk fills up part-way through the line: writes past the limit fail with EFBIG.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
try:
    SpoolingSink(fail, sys.argv[2]).send(summary)
except SinkError as exc:
    print("spooled" if exc.spooled else "not spooled")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_class7_a_spool_write_cut_short_by_a_full_disk_loses_nothing_after_it(
    summary: HandoffSummary, tmp_path: Path
) -> None:
    spool = tmp_path / "s.spool"
    with pytest.raises(SinkError):
        SpoolingSink(fail, spool).send(summary)
    big = summary.model_copy(update={"conversation_id": "conv-big", "narrative": "x" * 4096})
    payload = tmp_path / "big.json"
    payload.write_text(big.model_dump_json(), "utf-8")
    limit = spool.stat().st_size + 1000
    child = subprocess.run([sys.executable, "-c", _FULL_DISK, str(payload), str(spool),
                            str(limit)], capture_output=True, text=True, timeout=120, check=False)
    assert child.stdout.strip() == "not spooled", child.stderr[-2000:]
    newcomer = summary.model_copy(update={"conversation_id": "conv-next"})
    with pytest.raises(SinkError) as info:
        SpoolingSink(fail, spool).send(newcomer)
    assert info.value.spooled
    memory = MemorySink()
    replay(spool, memory)
    assert [s.conversation_id for s in memory.summaries] == ["conv-1", "conv-next"]


def test_class7_deliver_replays_the_spool_before_the_next_handoff(
    summary: HandoffSummary, tmp_path: Path
) -> None:
    memory = MemorySink()
    spool = tmp_path / "s.spool"
    with pytest.raises(SinkError):
        SpoolingSink(fail, spool).send(summary)
    newcomer = summary.model_copy(update={"conversation_id": "conv-next"})
    assert deliver(SpoolingSink(memory, spool), newcomer) == "delivered"
    assert [s.conversation_id for s in memory.summaries] == ["conv-1", "conv-next"]
    assert spool.read_bytes() == b""


# -- adeliver ------------------------------------------------------------------------------------


def test_adeliver_awaits_an_async_sink_and_calls_a_sync_one(summary: HandoffSummary) -> None:
    received: list[HandoffSummary] = []

    async def async_sink(s: HandoffSummary) -> None:
        await asyncio.sleep(0)
        received.append(s)

    memory = MemorySink()

    async def run() -> list[str]:
        return [await adeliver(async_sink, summary), await adeliver(memory, summary),
                await adeliver(None, summary)]

    assert asyncio.run(run()) == ["delivered", "delivered", "no_sink"]
    assert received == [summary]
    assert memory.summaries == [summary]


def test_adeliver_reports_a_failing_async_sink_by_type_only(
    summary: HandoffSummary, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_: HandoffSummary) -> None:
        raise ConnectionError(SECRET)

    with caplog.at_level(logging.ERROR, logger="guardrail"):
        assert asyncio.run(adeliver(broken, summary)) == "failed: ConnectionError"
    assert SECRET not in caplog.text


def test_deliver_refuses_the_async_sink_adeliver_awaits(summary: HandoffSummary) -> None:
    async def async_sink(_: HandoffSummary) -> None:
        return None

    assert deliver(async_sink, summary) == "failed: TypeError"
    assert asyncio.run(adeliver(async_sink, summary)) == "delivered"
