"""Where handoff summaries go: the `HandoffSink` protocol, the simple sinks, and delivery.

A sink is anything with a `send(summary)` method, or a plain callable taking the summary.
`deliver` (and its async twin `adeliver`) sends one summary and says how it went, and never
raises: a broken sink must not crash the conversation the handoff is rescuing. The sinks that
survive the network live beside this module: `guardrail.handoff.webhook` (an HTTP webhook with
retries) and `guardrail.handoff.spool` (a spool file and `replay`).
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    # Only for annotations: the summary module re-exports these sinks, so it cannot be imported
    # from here at run time.
    from guardrail.handoff.summary import HandoffSummary

__all__ = [
    "CallableSink",
    "HandoffSink",
    "JsonlSink",
    "MemorySink",
    "SinkLike",
    "adeliver",
    "deliver",
]

_log = logging.getLogger("guardrail.handoff")


@runtime_checkable
class HandoffSink(Protocol):
    """Where handoff summaries go: anything with a `send(summary)` method."""

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`; raise on failure (the caller records it, never loses it)."""


SinkLike = HandoffSink | Callable[["HandoffSummary"], object]
"""A sink, or any callable taking the summary (an async one only through `adeliver`)."""


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
        self._lock = threading.Lock()

    def send(self, summary: HandoffSummary) -> None:
        """Keep `summary`."""
        with self._lock:
            self.summaries.append(summary)


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


def _sender(sink: SinkLike) -> Callable[[HandoffSummary], object]:
    return sink.send if isinstance(sink, HandoffSink) else sink


def _failed(summary: HandoffSummary, exc: Exception) -> str:
    # The type only: an exception message may quote the summary's personal data.
    _log.error("handoff sink failed for conversation %s: %s",
               summary.conversation_id, type(exc).__name__)
    return f"failed: {type(exc).__name__}"


def deliver(sink: SinkLike | None, summary: HandoffSummary) -> str:
    """Send `summary` to `sink` and say how it went: ``delivered``, ``no_sink`` or ``failed: ...``.

    Never raises: a broken sink must not crash the conversation the handoff is rescuing. An
    async sink fails here (it would send nothing unawaited): deliver to it with `adeliver`.
    """
    if sink is None:
        return "no_sink"
    try:
        result = _sender(sink)(summary)
        if inspect.isawaitable(result):
            # An async sink called without awaiting sends nothing: never report that delivered.
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError("the sink is async; await its send() instead")
    except Exception as exc:
        return _failed(summary, exc)
    return "delivered"


async def adeliver(sink: SinkLike | None, summary: HandoffSummary) -> str:
    """Async twin of `deliver`: an async sink is awaited, a sync sink is called as `deliver` does.

    Never raises (cancellation aside); returns ``delivered``, ``no_sink`` or ``failed: ...``.
    """
    if sink is None:
        return "no_sink"
    try:
        result = _sender(sink)(summary)
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        return _failed(summary, exc)
    return "delivered"

