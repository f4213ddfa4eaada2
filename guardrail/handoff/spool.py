"""The handoff spool: a handoff the sink fails to deliver is kept on disk, and replayed once.

A handoff must reach a human even when the help desk is down. Wrapped in a `SpoolingSink`, a
handoff that still fails is written to a local spool file, and `replay` delivers it later,
once, by its `handoff_key`::

    sink = SpoolingSink(WebhookSink("https://desk.example/handoffs"), "var/handoffs.spool")
    deliver(sink, summary)             # "delivered", or "failed: SinkError" (and spooled)
    replay("var/handoffs.spool", sink.sink)   # from a timer or a cron job

`deliver` also replays a `SpoolingSink`'s spool (through its `replay` method) before each new
handoff it sends there, so a spooled handoff goes out with the next one even without a timer.
Appends are whole lines: a write cut short (a full disk) is undone, and a torn last line left
by a crash is closed before the next append, so it can never swallow the handoff after it.

Beside the spool live ``<spool>.delivered`` (keys replay has delivered, one a line),
``<spool>.corrupt`` (lines replay could not read, kept for a human) and two lock files. The spool
holds redacted transcripts, so its files are created readable by their owner only; logs and error
messages name the handoff key and the conversation id, never the transcript.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guardrail.errors import SinkError
from guardrail.handoff.sinks import HandoffSink, SinkLike
from guardrail.handoff.summary import HandoffSummary
from guardrail.tracing import Verbatim

if sys.platform != "win32":
    import fcntl

    def _flock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed
else:  # pragma: no cover - Windows has no flock: the in-process lock alone serialises writers

    def _flock(fd: int) -> None:
        return None


__all__ = ["ReplayResult", "SpoolingSink", "handoff_key", "replay"]

_log = logging.getLogger("guardrail.handoff.sinks")


def handoff_key(summary: HandoffSummary) -> str:
    """The key of one incident handed over: 32 hex characters of a sha256.

    It covers the conversation id, the queue, the set of reason codes (the part of each reason
    before ``#``), when the summary was made (`created_at`) and its redacted transcript. So a
    summary sent again, spooled twice or replayed keeps its key and the receiver (or `replay`)
    drops the copy, while a new incident is never taken for an old one: not when a chatbot
    reuses a conversation id, and not when two anonymous customers ask for a human. The same
    conversation summarised again later is a new summary with a new key; the adapters send a
    new one only when the queue or the reasons change.
    """
    codes = sorted({reason.split("#", 1)[0] for reason in summary.reasons})
    parts: list[Any] = ["handoff/2", summary.conversation_id, summary.queue, codes,
                        summary.created_at, summary.transcript]
    raw = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


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
    """Append whole lines `data` durably (fsync) to `path`, created owner-only with its folder.

    Whole lines or nothing: a write that fails part-way (a full disk) is cut back to where it
    started, and a torn last line left by anything else (a crash, an older version) is closed
    with a newline first, so it can never swallow the line appended after it. The torn line
    stays, on its own, for `replay` to set aside as corrupt. Callers serialise appends.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                data = b"\n" + data
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


def _line(entry: Mapping[str, Any]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")


def _send(sink: SinkLike, summary: HandoffSummary) -> None:
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

    def __init__(self, sink: SinkLike, spool_path: str | Path) -> None:
        self.sink = sink
        self.spool_path = Path(spool_path)
        self._files = _SpoolFiles(self.spool_path)

    def has_spooled(self) -> bool:
        """Whether the spool file holds anything (for `replay`) at all; never raises."""
        try:
            return self.spool_path.stat().st_size > 0
        except OSError:
            return False

    def replay(self) -> ReplayResult:
        """Deliver what the spool holds through the sink this one wraps: `replay` for this spool.

        `deliver` calls it before each new handoff through this sink, so a failed handoff is
        retried on the next one without a cron job.

        Raises:
            OSError: the spool or its side files could not be read or written.
        """
        return replay(self.spool_path, self.sink)

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
                       Verbatim(key), summary.conversation_id, cause, type(exc).__name__)
            return SinkError(f"handoff {key} failed ({cause}) and could not be spooled "
                             f"({type(exc).__name__})", retryable=retryable, status=status)
        _log.warning("handoff %s (conversation %s) failed (%s); spooled for replay",
                     Verbatim(key), summary.conversation_id, cause)
        return SinkError(f"handoff {key} failed ({cause}); spooled for replay",
                         retryable=retryable, spooled=True, status=status)


def replay(spool_path: str | Path, sink: SinkLike) -> ReplayResult:
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
                             Verbatim(key), summary.conversation_id, type(exc).__name__)
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
