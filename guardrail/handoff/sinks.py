"""Where handoff summaries go: the `HandoffSink` protocol, the simple sinks, and delivery.

A sink is anything with a `send(summary)` method, or a plain callable taking the summary.
`deliver` (and its async twin `adeliver`) hands one summary over and says how it went, and never
raises: a broken sink must not crash the conversation the handoff is rescuing. The sinks that
survive the network live beside this module: `guardrail.handoff.webhook` (an HTTP webhook with
retries) and `guardrail.handoff.spool` (a spool file and `replay`).

Delivery runs off the customer's turn. Each sink has one background worker thread (started
when needed, ended when idle) that sends its handoffs one at a time, oldest first; the turn
waits for the outcome at most `DEFAULT_WAIT` seconds (or a `BackgroundSink`'s `wait`) and then
reports ``pending`` while the worker carries on, so a hanging help desk costs a customer two
seconds, not the webhook's whole retry deadline. A handoff that fails is not dropped: a
`SpoolingSink` keeps it on disk and the worker replays that spool before each later handoff;
any other sink's failures wait in a bounded in-memory queue (`BackgroundSink.max_pending`,
oldest dropped first, with an error log) retried before each later handoff and every
`RETRY_EVERY` seconds. The in-memory queue dies with the process: wrap a sink in a
`SpoolingSink` when a handoff must survive a restart.

An async sink (a coroutine function, `AsyncWebhookSink`) is awaited on the caller's event loop
through `adeliver`; `deliver` refuses it (``failed: TypeError``), as it would send nothing.

After a handoff, news about the same conversation (the customer wrote again and got a status
reply; the customer withdrew a request for a person) is a `HandoffUpdate`, given to a sink that
has the optional `update(update)` method (`HandoffUpdateSink`) by `deliver_update` /
`adeliver_update`. A sink without it gets nothing (a DEBUG log says so): every sink written
before updates existed keeps working unchanged. Updates are small and carry no message text;
they are sent in the turn (bounded by the sink itself), not through the background worker.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import inspect
import json
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from guardrail._base import FrozenModel
from guardrail.errors import SinkError, UserError

if TYPE_CHECKING:
    # Only for annotations: the summary module re-exports these sinks, so it cannot be imported
    # from here at run time.
    from guardrail.handoff.summary import HandoffSummary

__all__ = [
    "DEFAULT_MAX_PENDING",
    "DEFAULT_WAIT",
    "PENDING",
    "RETRY_EVERY",
    "BackgroundSink",
    "CallableSink",
    "HandoffSink",
    "HandoffUpdate",
    "HandoffUpdateSink",
    "JsonlSink",
    "MemorySink",
    "SinkLike",
    "adeliver",
    "adeliver_update",
    "deliver",
    "deliver_update",
]

DEFAULT_WAIT = 2.0
"""Seconds a customer's turn waits at most for its handoff's delivery (`BackgroundSink.wait`)."""
DEFAULT_MAX_PENDING = 1000
"""Failed handoffs kept in memory per sink for retry (`BackgroundSink.max_pending`)."""
RETRY_EVERY = 30.0
"""Seconds between retries of failed handoffs kept in memory when no new handoff comes."""
PENDING = "pending"
"""What `deliver` reports when the delivery outlasted the wait: still in the worker's hands."""

_IDLE_EXIT = 10.0  # a worker with nothing to do ends its thread after this many seconds

_log = logging.getLogger("guardrail.handoff")


@runtime_checkable
class HandoffSink(Protocol):
    """Where handoff summaries go: anything with a `send(summary)` method."""

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`; raise on failure (the caller records it, never loses it)."""


SinkLike = HandoffSink | Callable[["HandoffSummary"], object]
"""A sink, or any callable taking the summary (an async one only through `adeliver`)."""

class HandoffUpdate(FrozenModel):
    """News about a conversation already handed off, for the person holding it.

    Carries no message text: the human reads the conversation itself in their tool.

    Attributes:
        conversation_id: the conversation the handoff was for.
        kind: ``status``: the customer wrote again while waiting and got a status reply (the
            summary was not sent again); ``withdrawn``: the customer withdrew a non-critical
            request (a person asked for, friction), so the case may be closed and the assistant
            answers again. Critical risks are never withdrawn by the customer's words.
        queue: the queue the handoff went to.
        reasons: the handoff's reason codes (``code#rule_id``).
        status_replies: how many status replies the customer has had so far.
        created_at: when the update was made (UTC, ISO 8601).
    """

    conversation_id: str | None
    kind: Literal["status", "withdrawn"]
    queue: str | None
    reasons: list[str]
    status_replies: int = 0
    created_at: str


@runtime_checkable
class HandoffUpdateSink(Protocol):
    """A sink that also takes `HandoffUpdate`s: the optional `update(update)` method."""

    def update(self, update: HandoffUpdate) -> None:
        """Deliver `update`; raise on failure (the caller logs it; updates are not retried)."""


class CallableSink:
    """A sink that calls `fn(summary)`."""

    def __init__(self, fn: Callable[[HandoffSummary], object]) -> None:
        self._fn = fn

    def send(self, summary: HandoffSummary) -> None:
        """Call the function with `summary`."""
        self._fn(summary)


class MemorySink:
    """A sink that keeps summaries in a list (`summaries`), for tests and the demo."""

    def __init__(self) -> None:
        self.summaries: list[HandoffSummary] = []
        self.updates: list[HandoffUpdate] = []
        self._lock = threading.Lock()

    def send(self, summary: HandoffSummary) -> None:
        """Keep `summary`."""
        with self._lock:
            self.summaries.append(summary)

    def update(self, update: HandoffUpdate) -> None:
        """Keep `update` (in `updates`)."""
        with self._lock:
            self.updates.append(update)


class JsonlSink:
    """A sink that appends one JSON line per summary to a file (created with its folder)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, summary: HandoffSummary) -> None:
        """Append `summary` as one JSON line."""
        line = json.dumps(summary.model_dump(mode="json"), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)


class BackgroundSink:
    """Deliver to `sink` in the background with these limits; `deliver` reads them from here.

    Any sink is delivered in the background with the defaults; wrap it to change them::

        sink = BackgroundSink(SpoolingSink(WebhookSink(url), "var/handoffs.spool"), wait=0.5)

    Args:
        sink: the sink to deliver to (a `SpoolingSink` keeps failed handoffs on disk).
        wait: seconds a turn waits at most for the outcome before `deliver` reports
            ``pending``; 0 never waits.
        max_pending: failed handoffs kept in memory for retry (not spooled ones); past it the
            oldest is dropped with an error log.

    Raises:
        UserError: a limit is out of range.
    """

    def __init__(self, sink: SinkLike, *, wait: float = DEFAULT_WAIT,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        if not 0 <= wait <= 600 or max_pending < 1:
            raise UserError("a BackgroundSink needs 0 <= wait <= 600 seconds and max_pending >= 1")
        self.sink = sink
        self.wait = wait
        self.max_pending = max_pending

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary` as `deliver` does.

        Raises:
            SinkError: not delivered within `wait` (it may still be: the worker keeps trying).
        """
        status = deliver(self, summary)
        if status != "delivered":
            raise SinkError(f"handoff for conversation {summary.conversation_id}: {status}",
                            retryable=True)


@runtime_checkable
class _Spooled(Protocol):
    """A sink that keeps its failed handoffs on disk and can replay them (`SpoolingSink`)."""

    def has_spooled(self) -> bool: ...

    def replay(self) -> object: ...


def _sender(sink: SinkLike) -> Callable[[HandoffSummary], object]:
    return sink.send if isinstance(sink, HandoffSink) else sink


def _failed(exc: BaseException) -> str:
    # The type only: an exception message may quote the summary's personal data.
    return f"failed: {'TypeError' if isinstance(exc, _AsyncRefused) else type(exc).__name__}"


def _retryable(exc: BaseException) -> bool:
    """Whether a later attempt may succeed and the handoff is not already safe in a spool."""
    if isinstance(exc, _AsyncRefused):
        return False
    if isinstance(exc, SinkError):
        return exc.retryable and not exc.spooled
    return True


@dataclass(slots=True)
class _Job:
    """One handoff in a worker's hands.

    `outcome` is resolved by its first attempt (what the waiting turn reports); retries leave
    it alone. `loop` is the event loop of the `adeliver` that brought it, where an async sink's
    coroutine runs; `is_async` is learned on the first attempt.
    """

    summary: HandoffSummary
    sink: SinkLike
    loop: asyncio.AbstractEventLoop | None
    outcome: concurrent.futures.Future[str] = field(default_factory=concurrent.futures.Future)
    is_async: bool = False


class _LoopGone(Exception):
    """Internal: the event loop an async sink ran on stopped before the send finished."""


async def _await(result: Awaitable[object]) -> None:
    await result


class _Worker:
    """One sink's background delivery: a thread, its new handoffs and the failed ones it retries.

    `_jobs` and `_pending` are touched under `_cond`; the thread takes them out and sends
    outside it, so a turn handing a summary over never waits behind a send.
    """

    def __init__(self, key: int, max_pending: int) -> None:
        self._key = key
        self.max_pending = max_pending
        self._cond = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._pending: deque[_Job] = deque()
        self._thread: threading.Thread | None = None

    def submit(self, job: _Job) -> None:
        """Queue `job` and make sure a thread is delivering (called under `_WORKERS_LOCK`)."""
        with self._cond:
            self._jobs.append(job)
            self._cond.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True,
                    name=f"guardrail-handoff-{type(job.sink).__name__}")
                self._thread.start()

    def pending(self) -> list[_Job]:
        """The failed handoffs waiting for a retry, oldest first."""
        with self._cond:
            return list(self._pending)

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    if not self._jobs:
                        self._cond.wait(RETRY_EVERY if self._retry_due() else _IDLE_EXIT)
                    jobs = list(self._jobs)
                    self._jobs.clear()
                if jobs:
                    for job in jobs:
                        self._deliver(job)
                elif self._retry_due():
                    self._retry(None)
                elif self._retire():
                    return
        finally:
            # Whatever ended the thread (a sink raising SystemExit, say), the next handoff
            # starts a new one.
            with self._cond:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _deliver(self, job: _Job) -> None:
        """Retry what is pending, then try `job`; nothing a sink does escapes the thread."""
        try:
            self._retry(job)
        except Exception:
            _log.exception("handoff retry failed")
        try:
            self._first_attempt(job)
        except Exception:  # pragma: no cover - _first_attempt already catches a sink's errors
            _log.exception("handoff delivery failed")
            _resolve(job.outcome, "failed: InternalError")

    def _retry_due(self) -> bool:
        """Whether the timer should retry: sync handoffs wait (async ones need a loop)."""
        return any(not job.is_async for job in self._pending)

    def _retire(self) -> bool:
        """End the thread if nothing came meanwhile; forget the worker if nothing is pending."""
        with _WORKERS_LOCK, self._cond:
            if self._jobs:
                return False
            self._thread = None
            if not self._pending:
                _WORKERS.pop(self._key, None)
            return True

    def _retry(self, current: _Job | None) -> None:
        """Retry what failed before, oldest first: the spool, then the in-memory queue."""
        if current is not None and isinstance(current.sink, _Spooled):
            try:
                if current.sink.has_spooled():
                    current.sink.replay()
            except Exception as exc:
                _log.error("handoff spool replay failed (%s)", type(exc).__name__)
        loop = current.loop if current is not None else None
        with self._cond:
            due = list(self._pending)
            self._pending.clear()
        kept: list[_Job] = []
        for job in due:
            if job.is_async and (loop is None or not loop.is_running()):
                kept.append(job)
                continue
            if job.is_async and loop is not None:
                job.loop = loop
            try:
                self._send(job)
            except Exception as exc:
                if _retryable(exc):
                    kept.append(job)
                continue
            _log.info("handoff for conversation %s delivered on retry", job.summary.conversation_id)
        with self._cond:
            self._pending.extendleft(reversed(kept))

    def _first_attempt(self, job: _Job) -> None:
        try:
            self._send(job)
        except Exception as exc:
            status = _failed(exc)
            _log.error("handoff sink %s for conversation %s", status, job.summary.conversation_id)
            if _retryable(exc):
                self._keep(job)  # before the turn hears of it: a later call retries it
            _resolve(job.outcome, status)
            return
        _resolve(job.outcome, "delivered")

    def _keep(self, job: _Job) -> None:
        with self._cond:
            self._pending.append(job)
            while len(self._pending) > self.max_pending:
                lost = self._pending.popleft()
                _log.error(
                    "handoff for conversation %s (made %s) DROPPED: %d failed handoffs already "
                    "wait for this sink; wrap it in a SpoolingSink to keep them on disk",
                    lost.summary.conversation_id, lost.summary.created_at, self.max_pending)

    def _send(self, job: _Job) -> None:
        """One attempt; raises what the sink raised."""
        result = _sender(job.sink)(job.summary)
        if not inspect.isawaitable(result):
            return
        loop = job.loop
        if loop is None or not loop.is_running():
            # An async sink called without awaiting sends nothing: never report that delivered.
            if inspect.iscoroutine(result):
                result.close()
            raise _AsyncRefused("the sink is async; await its send() instead")
        job.is_async = True
        future = asyncio.run_coroutine_threadsafe(_await(result), loop)
        while True:
            try:
                future.result(timeout=0.5)
                return
            except concurrent.futures.TimeoutError:
                if future.done():
                    raise  # the sink itself raised a TimeoutError
                if not loop.is_running():
                    future.cancel()
                    raise _LoopGone("the event loop stopped before the handoff was sent") from None


class _AsyncRefused(TypeError):
    """Internal: an async sink given to `deliver`; reported as ``failed: TypeError``."""


def _resolve(outcome: concurrent.futures.Future[str], status: str) -> None:
    # InvalidStateError: the waiting turn cancelled its wait.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        outcome.set_result(status)


_WORKERS: dict[int, _Worker] = {}
_WORKERS_LOCK = threading.Lock()
_AT_EXIT: list[bool] = []  # whether `_report_at_exit` is registered (on the first worker)


def _report_at_exit() -> None:
    """Say which handoffs the in-memory queues still hold as the process ends: they are lost."""
    with _WORKERS_LOCK:
        lost = [job.summary for worker in _WORKERS.values() for job in worker.pending()]
    if lost:
        _log.error("%d undelivered handoff(s) lost at exit (conversations %s); wrap the sink "
                   "in a SpoolingSink to keep them", len(lost),
                   ", ".join(str(s.conversation_id) for s in lost[:20]))


def _settings(sink: SinkLike) -> tuple[SinkLike, float, int]:
    if isinstance(sink, BackgroundSink):
        return sink.sink, sink.wait, sink.max_pending
    return sink, DEFAULT_WAIT, DEFAULT_MAX_PENDING


def _identity(sink: SinkLike) -> int:
    # A bound method is a new object on each access; its owner is the sink.
    return id(sink.__self__) if inspect.ismethod(sink) else id(sink)


def _submit(sink: SinkLike, summary: HandoffSummary,
            loop: asyncio.AbstractEventLoop | None) -> tuple[_Job, float]:
    inner, wait, max_pending = _settings(sink)
    job = _Job(summary, inner, loop)
    key = _identity(inner)
    with _WORKERS_LOCK:
        if not _AT_EXIT:
            atexit.register(_report_at_exit)
            _AT_EXIT.append(True)
        worker = _WORKERS.get(key)
        if worker is None:
            worker = _WORKERS[key] = _Worker(key, max_pending)
        worker.max_pending = max_pending
        worker.submit(job)
    return job, wait


def _pending(summary: HandoffSummary, wait: float) -> str:
    _log.warning("handoff for conversation %s not delivered within %.1fs; still being delivered "
                 "in the background", summary.conversation_id, wait)
    return PENDING


def deliver(sink: SinkLike | None, summary: HandoffSummary) -> str:
    """Hand `summary` to `sink`'s background worker and say how it went, waiting a bounded time.

    Returns ``delivered``, ``no_sink``, ``failed: <error type>`` (the first attempt failed; a
    spool or the retry queue keeps the handoff unless the failure was final) or ``pending``
    (no outcome within the wait, `DEFAULT_WAIT` or a `BackgroundSink`'s; the worker carries
    on). Never raises and never waits longer: a broken or hanging sink must not crash or stall
    the conversation the handoff is rescuing. An async sink fails here (it would send nothing
    unawaited): deliver to it with `adeliver`.
    """
    if sink is None:
        return "no_sink"
    try:
        job, wait = _submit(sink, summary, None)
    except Exception as exc:  # no thread could be started: deliver in the turn instead
        return _inline(sink, summary, exc)
    try:
        return job.outcome.result(timeout=wait)
    except concurrent.futures.TimeoutError:
        return _pending(summary, wait)


async def adeliver(sink: SinkLike | None, summary: HandoffSummary) -> str:
    """Async twin of `deliver`: an async sink is awaited on this event loop, a sync one is
    sent from the worker thread; either way this waits at most the same bound.

    Never raises (cancellation aside); returns what `deliver` returns.
    """
    if sink is None:
        return "no_sink"
    try:
        job, wait = _submit(sink, summary, asyncio.get_running_loop())
    except Exception as exc:
        return _inline(sink, summary, exc)
    outcome = asyncio.wrap_future(job.outcome)
    try:
        return await asyncio.wait_for(asyncio.shield(outcome), wait)
    except TimeoutError:
        outcome.cancel()  # stop waiting for it; the worker carries on with the handoff
        return _pending(summary, wait)


def _inline(sink: SinkLike, summary: HandoffSummary, why: Exception) -> str:
    """Deliver in the caller's thread when no worker could take the handoff (last resort)."""
    _log.error("handoff worker unavailable (%s); delivering in the turn", type(why).__name__)
    inner, _, _ = _settings(sink)
    try:
        result = _sender(inner)(summary)
        if inspect.iscoroutine(result):
            result.close()
            raise _AsyncRefused("the sink is async; await its send() instead")
    except Exception as exc:
        status = _failed(exc)
        _log.error("handoff sink %s for conversation %s", status, summary.conversation_id)
        return status
    return "delivered"


def _update_method(sink: SinkLike | None) -> Callable[[HandoffUpdate], object] | None:
    """The `update` method of `sink` or of the sink it wraps (`BackgroundSink`, `SpoolingSink`
    and any wrapper keeping its inner sink as ``.sink``), if any."""
    for _ in range(8):  # wrappers nest a few levels at most; a cycle must not hang a turn
        if sink is None:
            return None
        method = getattr(sink, "update", None)
        if callable(method):
            return method  # type: ignore[no-any-return]
        sink = getattr(sink, "sink", None)
    return None


def _update_sender(sink: SinkLike | None, update: HandoffUpdate) -> (
        Callable[[HandoffUpdate], object] | str):
    if sink is None:
        return "no_sink"
    method = _update_method(sink)
    if method is None:
        _log.debug("handoff sink %s has no update() method; %s update for conversation %s "
                   "not sent", type(sink).__name__, update.kind, update.conversation_id)
        return "unsupported"
    return method


def deliver_update(sink: SinkLike | None, update: HandoffUpdate) -> str:
    """Give `update` to `sink`'s optional `update` method and say how it went; never raises.

    Returns ``delivered``, ``no_sink``, ``unsupported`` (the sink has no `update` method: it
    gets nothing, and a DEBUG log says so) or ``failed: <error type>``. An async `update` fails
    here (``failed: TypeError``): deliver it with `adeliver_update`.
    """
    sender = _update_sender(sink, update)
    if isinstance(sender, str):
        return sender
    try:
        result = sender(update)
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise _AsyncRefused("the sink's update() is async; await it instead")
    except Exception as exc:
        status = _failed(exc)
        _log.error("handoff update sink %s for conversation %s", status, update.conversation_id)
        return status
    return "delivered"


async def adeliver_update(sink: SinkLike | None, update: HandoffUpdate) -> str:
    """Async twin of `deliver_update`: an async `update` method is awaited."""
    sender = _update_sender(sink, update)
    if isinstance(sender, str):
        return sender
    try:
        result = sender(update)
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        status = _failed(exc)
        _log.error("handoff update sink %s for conversation %s", status, update.conversation_id)
        return status
    return "delivered"
