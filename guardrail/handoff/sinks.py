"""Handoff sinks that survive the network: an HTTP webhook with retries, and a spool to replay.

A handoff must reach a human even when the help desk is down. `WebhookSink` POSTs the summary
with an ``Idempotency-Key`` (`handoff_key`), retrying what a later attempt can fix; wrapped in a
`SpoolingSink`, a handoff that still fails is written to a local spool file, and `replay` delivers
it later, once::

    sink = SpoolingSink(WebhookSink("https://desk.example/handoffs"), "var/handoffs.spool")
    deliver(sink, summary)             # "delivered", or "failed: SinkError" (and spooled)
    replay("var/handoffs.spool", sink.sink)   # from a timer or a cron job

Every failure reaches the caller as one type::

    SinkError (a GuardrailError)      .retryable: may a later attempt succeed?
                                      .spooled:   is the handoff safe in the spool?
                                      .status:    the last HTTP status, if there was one

Beside the spool live ``<spool>.delivered`` (keys replay has delivered, one a line),
``<spool>.corrupt`` (lines replay could not read, kept for a human) and two lock files. The spool
holds redacted transcripts, so its files are created readable by their owner only; logs and error
messages name the handoff key and the conversation id, never the transcript, the URL (webhook
URLs often carry a secret) or the headers.

The webhook sinks need ``httpx`` and ``tenacity``, imported only when a webhook sink is made.
"""

from __future__ import annotations

import email.utils
import hashlib
import inspect
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from guardrail.errors import SinkError, UserError
from guardrail.handoff.summary import HandoffSink, HandoffSummary

if TYPE_CHECKING:
    import httpx
    import tenacity

if sys.platform != "win32":
    import fcntl

    def _flock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed
else:  # pragma: no cover - Windows has no flock: the in-process lock alone serialises writers

    def _flock(fd: int) -> None:
        return None


__all__ = [
    "AsyncWebhookSink",
    "ReplayResult",
    "SpoolingSink",
    "WebhookSink",
    "handoff_key",
    "replay",
]

_log = logging.getLogger("guardrail.handoff.sinks")

# Statuses a later attempt can fix; 409 is the receiver saying it already has this key.
_RETRY_STATUSES = frozenset({408, 425, 429})
_ALREADY_DELIVERED = 409

_AnySink = HandoffSink | Callable[[HandoffSummary], object]


# -- the idempotency key -------------------------------------------------------------------------


def handoff_key(summary: HandoffSummary) -> str:
    """A stable key for one handoff: 32 hex characters of a sha256.

    It covers the conversation id, the queue and the set of reason codes (the part of each
    reason before ``#``), and not `created_at`, so the same handoff built again or replayed
    from a spool keeps its key and the receiver can drop the copy.

    A summary without a conversation id has nothing that ties its copies together, so its key
    also covers `created_at` and the transcript: two anonymous customers asking for a human
    must not collapse into one handoff.
    """
    codes = sorted({reason.split("#", 1)[0] for reason in summary.reasons})
    parts: list[Any] = ["handoff/1", summary.conversation_id, summary.queue, codes]
    if summary.conversation_id is None:
        parts += [summary.created_at, summary.transcript]
    raw = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


# -- webhooks ------------------------------------------------------------------------------------


def _imports() -> tuple[Any, Any]:
    try:
        import httpx
        import tenacity
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the webhook sinks need: pip install httpx tenacity") from exc
    return httpx, tenacity


class _Transient(Exception):
    """Internal: a failed attempt worth another one; the only exception tenacity retries."""

    def __init__(self, detail: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(detail)


@dataclass(slots=True)
class _Delivery:
    """One `send`: what every attempt posts, and the clock its deadline runs on."""

    key: str
    conversation_id: str | None
    body: bytes
    headers: dict[str, str]
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), or None if unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


class _WebhookCore:
    """What the sync and async webhook sinks share: everything but the request itself."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        timeout: float,
        attempts: int,
        deadline: float,
        wait_initial: float,
        wait_max: float,
    ) -> None:
        if attempts < 1 or timeout <= 0 or deadline <= 0 or wait_initial < 0 or wait_max < 0:
            raise UserError("a webhook sink needs attempts >= 1, a positive timeout and "
                            "deadline, and waits >= 0")
        self._httpx, self._tenacity = _imports()
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.deadline = deadline
        self._headers = dict(headers or {})
        self._backoff = self._tenacity.wait_random_exponential(multiplier=wait_initial,
                                                               max=wait_max)

    def _prepare(self, summary: HandoffSummary) -> _Delivery:
        key = handoff_key(summary)
        body = json.dumps(summary.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        headers = {**self._headers, "Content-Type": "application/json", "Idempotency-Key": key}
        return _Delivery(key, summary.conversation_id, body, headers)

    def _policy(self, delivery: _Delivery) -> dict[str, Any]:
        """Keyword arguments for `tenacity.Retrying` and `tenacity.AsyncRetrying`."""
        t = self._tenacity
        return {
            # stop_before_delay: never start a wait (a Retry-After included) that would end
            # past the deadline; give up at once instead.
            "stop": t.stop_after_attempt(self.attempts) | t.stop_before_delay(self.deadline),
            "wait": self._wait,
            "retry": t.retry_if_exception_type(_Transient),
            "before_sleep": lambda state: self._log_retry(delivery, state),
            "reraise": True,
        }

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _log_retry(self, delivery: _Delivery, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        _log.info("handoff %s (conversation %s): attempt %d failed (%s); retrying in %.2fs",
                  delivery.key, delivery.conversation_id, state.attempt_number, exc,
                  state.upcoming_sleep)

    def _request_timeout(self, delivery: _Delivery) -> float:
        """The per-request timeout, cut to what is left of the deadline."""
        left = self.deadline - (time.monotonic() - delivery.started)
        return max(0.001, min(self.timeout, left))

    def _start(self, delivery: _Delivery) -> dict[str, Any]:
        delivery.attempts += 1
        return {"content": delivery.body, "headers": delivery.headers,
                "timeout": self._request_timeout(delivery)}

    def _failure(self, exc: Exception) -> Exception:
        """The `_Transient` (to retry) or `SinkError` (to give up) for a request that raised."""
        httpx = self._httpx
        if isinstance(exc, httpx.TimeoutException):
            return _Transient(f"timed out ({type(exc).__name__})")
        if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
            return _Transient(f"connection failed ({type(exc).__name__})")
        # The message may quote the URL; the type is enough to act on.
        return SinkError(f"webhook request failed ({type(exc).__name__})", retryable=False)

    def _check(self, response: httpx.Response, delivery: _Delivery) -> None:
        """Return if the receiver has the handoff; raise `_Transient` or `SinkError` if not."""
        status = response.status_code
        if 200 <= status < 300 or status == _ALREADY_DELIVERED:
            _log.debug("handoff %s (conversation %s) delivered: HTTP %d",
                       delivery.key, delivery.conversation_id, status)
            return
        if status in _RETRY_STATUSES or status >= 500:
            raise _Transient(f"HTTP {status}", status=status,
                             retry_after=_retry_after(response.headers.get("retry-after")))
        raise SinkError(f"webhook rejected handoff {delivery.key} "
                        f"(conversation {delivery.conversation_id}): HTTP {status}",
                        retryable=False, status=status)

    def _gave_up(self, exc: Exception, delivery: _Delivery) -> SinkError:
        if isinstance(exc, SinkError):
            error = exc
        elif isinstance(exc, _Transient):
            error = SinkError(
                f"webhook gave up on handoff {delivery.key} (conversation "
                f"{delivery.conversation_id}) after {delivery.attempts} attempt(s): {exc}",
                retryable=True, status=exc.status)
        else:  # a client or transport that raised something httpx does not
            error = SinkError(f"webhook sink failed ({type(exc).__name__})", retryable=False)
        _log.error("handoff %s (conversation %s) not delivered: %s",
                   delivery.key, delivery.conversation_id, error)
        return error


class WebhookSink(_WebhookCore):
    """POST each handoff as JSON to `url`, retrying what a later attempt can fix.

    Connection errors, timeouts, 408, 425, 429 and 5xx are retried with jittered exponential
    backoff (or after the receiver's ``Retry-After``) until `attempts` are spent or the next
    attempt would start past `deadline`. Other 4xx are final; 409 means the receiver already has
    this ``Idempotency-Key`` and counts as delivered. It is a `HandoffSink`.

    Args:
        url: the receiver's endpoint.
        headers: extra request headers (authorization, say); never logged.
        timeout: seconds for one request (cut to what is left of the deadline).
        attempts: requests at most per handoff.
        deadline: total seconds for one `send`, waits included.
        wait_initial: the first backoff window in seconds; it doubles on each retry, and the
            wait is drawn at random from it ("full jitter").
        wait_max: the widest backoff window in seconds.
        client: an `httpx.Client` to use (you close it); by default the sink makes its own,
            closed by `close`.

    Raises:
        UserError: a limit is out of range.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        attempts: int = 4,
        deadline: float = 15.0,
        wait_initial: float = 0.5,
        wait_max: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(url, headers=headers, timeout=timeout, attempts=attempts,
                         deadline=deadline, wait_initial=wait_initial, wait_max=wait_max)
        self._owns_client = client is None
        self._client: httpx.Client = client or self._httpx.Client(timeout=timeout)

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`, retrying within the limits.

        Raises:
            SinkError: the handoff was not delivered (`retryable` says whether to try later).
        """
        delivery = self._prepare(summary)
        try:
            self._tenacity.Retrying(**self._policy(delivery))(self._post, delivery)
        except Exception as exc:
            error = self._gave_up(exc, delivery)
        else:
            return
        raise error

    def _post(self, delivery: _Delivery) -> None:
        try:
            response = self._client.post(self.url, **self._start(delivery))
        except self._httpx.HTTPError as exc:
            raise self._failure(exc) from None
        self._check(response, delivery)

    def close(self) -> None:
        """Close the HTTP client if the sink made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> WebhookSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class AsyncWebhookSink(_WebhookCore):
    """The async twin of `WebhookSink` (same arguments, `client` an `httpx.AsyncClient`).

    Its `send` is a coroutine, so it is not a `HandoffSink` although it looks like one: await
    it yourself. `SpoolingSink` and `replay` refuse it (a `SinkError`) rather than drop the
    handoff; `deliver` does not check.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        attempts: int = 4,
        deadline: float = 15.0,
        wait_initial: float = 0.5,
        wait_max: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(url, headers=headers, timeout=timeout, attempts=attempts,
                         deadline=deadline, wait_initial=wait_initial, wait_max=wait_max)
        self._owns_client = client is None
        self._client: httpx.AsyncClient = client or self._httpx.AsyncClient(timeout=timeout)

    async def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`, retrying within the limits.

        Raises:
            SinkError: the handoff was not delivered (`retryable` says whether to try later).
        """
        delivery = self._prepare(summary)
        try:
            await self._tenacity.AsyncRetrying(**self._policy(delivery))(self._post, delivery)
        except Exception as exc:
            error = self._gave_up(exc, delivery)
        else:
            return
        raise error

    async def _post(self, delivery: _Delivery) -> None:
        try:
            response = await self._client.post(self.url, **self._start(delivery))
        except self._httpx.HTTPError as exc:
            raise self._failure(exc) from None
        self._check(response, delivery)

    async def aclose(self) -> None:
        """Close the HTTP client if the sink made it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncWebhookSink:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


# -- the spool -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What one `replay` did with the spool's entries.

    Attributes:
        delivered: handoffs delivered now (and removed from the spool).
        failed: handoffs that failed again (and stay in the spool).
        skipped_duplicates: entries dropped because their key was delivered before or is
            already earlier in the spool.
        corrupt: lines that were not a spooled handoff, moved to ``<spool>.corrupt``.
    """

    delivered: int
    failed: int
    skipped_duplicates: int
    corrupt: int = 0


@dataclass(frozen=True, slots=True)
class _SpoolFiles:
    spool: Path

    def beside(self, suffix: str) -> Path:
        return self.spool.with_name(self.spool.name + suffix)

    @property
    def delivered(self) -> Path:
        return self.beside(".delivered")

    @property
    def corrupt(self) -> Path:
        return self.beside(".corrupt")

    @property
    def lock(self) -> Path:
        """Held to append to the spool or replace it (never replaced itself, unlike the spool)."""
        return self.beside(".lock")

    @property
    def replay_lock(self) -> Path:
        """Held for a whole replay, so two replays never deliver the same entry."""
        return self.beside(".replay.lock")


_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the lock file `path` against other threads and (with flock) other processes."""
    path = path.absolute()
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(path, threading.Lock())
    with thread_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _flock(fd)
            yield
        finally:
            os.close(fd)


def _append(path: Path, data: bytes) -> None:
    """Append `data` durably (flush and fsync) to `path`, created owner-only with its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _line(entry: Mapping[str, Any]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")


def _send(sink: _AnySink, summary: HandoffSummary) -> None:
    send: Callable[[HandoffSummary], object] = (
        sink.send if isinstance(sink, HandoffSink) else sink
    )
    result = send(summary)
    if inspect.iscoroutine(result):
        # An async sink (AsyncWebhookSink) passes for a HandoffSink; unawaited, it would send
        # nothing and look delivered.
        result.close()
        raise SinkError("an async sink cannot deliver here; await its send instead",
                        retryable=False)


class SpoolingSink:
    """Wrap `sink` so a handoff it fails to deliver is kept in a spool file for `replay`.

    Each failed handoff becomes one JSON line: ``{"key", "summary", "error", "spooled_at"}``,
    appended under a lock, flushed and fsynced, so concurrent sends never interleave and a crash
    loses nothing written. `send` still raises after spooling, so `deliver` reports
    ``failed: SinkError`` and the caller sees ``spooled=True``. It is a `HandoffSink`.

    Args:
        sink: any sink (or callable taking the summary).
        spool_path: the spool file; it and its folder are created when first needed.
    """

    def __init__(self, sink: _AnySink, spool_path: str | Path) -> None:
        self.sink = sink
        self.spool_path = Path(spool_path)
        self._files = _SpoolFiles(self.spool_path)

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary` through the inner sink, spooling it if that fails.

        Raises:
            SinkError: the inner sink failed; `spooled` says whether the spool has the handoff
                (False only if the spool itself could not be written).
        """
        try:
            _send(self.sink, summary)
        except Exception as exc:
            cause = type(exc).__name__
            retryable = exc.retryable if isinstance(exc, SinkError) else True
            status = exc.status if isinstance(exc, SinkError) else None
        else:
            return
        error = self._spool(summary, cause, retryable, status)
        raise error

    def _spool(self, summary: HandoffSummary, cause: str, retryable: bool,
               status: int | None) -> SinkError:
        key = handoff_key(summary)
        entry = {"key": key, "summary": summary.model_dump(mode="json"), "error": cause,
                 "spooled_at": datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            with _locked(self._files.lock):
                _append(self._files.spool, _line(entry))
        except OSError as exc:
            _log.error("handoff %s (conversation %s) failed (%s) and was not spooled (%s)",
                       key, summary.conversation_id, cause, type(exc).__name__)
            return SinkError(f"handoff {key} failed ({cause}) and could not be spooled "
                             f"({type(exc).__name__})", retryable=retryable, status=status)
        _log.warning("handoff %s (conversation %s) failed (%s); spooled for replay",
                     key, summary.conversation_id, cause)
        return SinkError(f"handoff {key} failed ({cause}); spooled for replay",
                         retryable=retryable, spooled=True, status=status)


def replay(spool_path: str | Path, sink: _AnySink) -> ReplayResult:
    """Deliver each handoff in the spool to `sink`, once.

    Entries whose key ``<spool>.delivered`` lists, or that repeat an earlier entry's key, are
    dropped as duplicates; each delivered key is added to ``<spool>.delivered`` at once, so a
    crash mid-replay delivers nothing twice. Entries that fail again stay; lines that are not a
    spooled handoff move to ``<spool>.corrupt``. The spool is then replaced atomically by what
    stays, plus anything spooled while the replay ran. Delivery runs outside the spool's lock,
    so a slow sink never blocks `SpoolingSink.send`; replays of one spool run one at a time.

    Args:
        spool_path: the spool a `SpoolingSink` writes.
        sink: where to deliver (usually the sink the `SpoolingSink` wraps, not the wrapper).

    Raises:
        OSError: the spool or its side files could not be read or written.
    """
    files = _SpoolFiles(Path(spool_path))
    with _locked(files.replay_lock):
        with _locked(files.lock):
            try:
                data = files.spool.read_bytes()
            except FileNotFoundError:
                return ReplayResult(0, 0, 0)
        done = _read_keys(files.delivered)
        entries, corrupt = _parse(data)

        delivered = failed = skipped = 0
        keep: list[bytes] = []
        for key, summary, entry in entries:
            if key in done:
                skipped += 1
                continue
            done.add(key)
            try:
                _send(sink, summary)
            except Exception as exc:
                _log.warning("replay: handoff %s (conversation %s) failed again (%s)",
                             key, summary.conversation_id, type(exc).__name__)
                failed += 1
                keep.append(_line({**entry, "key": key, "error": type(exc).__name__}))
                continue
            _append(files.delivered, f"{key}\n".encode())
            delivered += 1

        if corrupt:
            _log.error("replay: %d corrupt line(s) moved to %s", len(corrupt), files.corrupt)
            _append(files.corrupt, b"".join(line + b"\n" for line in corrupt))
        with _locked(files.lock):
            keep.append(_tail(files.spool, len(data)))
            _replace(files.spool, b"".join(keep))
    return ReplayResult(delivered, failed, skipped, len(corrupt))


def _tail(path: Path, offset: int) -> bytes:
    """What senders appended to `path` after its first `offset` bytes (read during a replay)."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            return fh.read()
    except FileNotFoundError:
        return b""


def _read_keys(path: Path) -> set[str]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def _parse(data: bytes) -> tuple[list[tuple[str, HandoffSummary, dict[str, Any]]], list[bytes]]:
    """The spool's readable entries as (key, summary, entry), and its unreadable lines."""
    entries: list[tuple[str, HandoffSummary, dict[str, Any]]] = []
    corrupt: list[bytes] = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
            summary = HandoffSummary.model_validate(entry.get("summary"))
        except (ValueError, ValidationError):  # JSONDecodeError and bad UTF-8 are ValueErrors
            corrupt.append(raw)
            continue
        key = entry.get("key")
        entries.append((key if isinstance(key, str) and key else handoff_key(summary),
                        summary, entry))
    return entries, corrupt


def _replace(path: Path, data: bytes) -> None:
    """Replace `path` by `data` atomically: a reader sees the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
