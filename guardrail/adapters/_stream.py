"""A model's stream run through a gate: what the guarded streams of every OpenAI API share.

The gate (`StreamGate`) decides, item by item, what to pass on now and what to hold, and what
closes the stream once the model has finished; the streams here only iterate, sync or async, and
close the model's connection when the caller stops early (what the gate holds is never sent).
`guardrail.adapters._openai_chat` gates Chat Completions chunks and
`guardrail.adapters.openai_responses` Responses API events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Generic, Protocol, Self, TypeVar

from openai import AsyncStream, Stream

from guardrail.decision import Decision
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.adapters.openai import GuardedTurn

__all__ = ["AsyncGatedStream", "GatedStream", "StreamGate", "stream_flag"]


class _Gated(Protocol):
    @property
    def guardrail(self) -> GuardedTurn: ...


_Item = TypeVar("_Item")
_Final = TypeVar("_Final", bound=_Gated)


class StreamGate(Protocol[_Item, _Final]):
    """What a guarded stream runs its items through (`_ChunkGate`, and the Responses API's
    event gate): the items to pass on now, those that close the stream, and the whole stream of
    a turn a human took over; `final` is the whole gated answer once the stream has ended."""

    decision: Decision
    final: _Final | None

    def feed(self, item: _Item) -> list[_Item]: ...

    def end(self) -> list[_Item]: ...

    def handoff(self) -> list[_Item]: ...


class _StreamView(Generic[_Item, _Final]):
    """What both kinds of stream show besides their items."""

    _gate: StreamGate[_Item, _Final]

    @property
    def decision(self) -> Decision:
        """The turn's decision, known before the model was called."""
        return self._gate.decision

    @property
    def guardrail(self) -> GuardedTurn | None:
        """The gated turn (every call with its verdict); None until the stream has ended."""
        return None if self._gate.final is None else self._gate.final.guardrail


class GatedStream(_StreamView[_Item, _Final]):
    """The model's stream run through a gate, iterated as the client's own `Stream`.

    Close it (or use it as a context manager) to drop the connection early: what the gate
    still holds is never sent.
    """

    def __init__(self, gate: StreamGate[_Item, _Final], source: Stream[_Item] | None) -> None:
        self._gate = gate
        self._source = source
        self._items = self._run()

    def _run(self) -> Generator[_Item, None, None]:
        if self._source is None:
            yield from self._gate.handoff()
            return
        with self._source:
            for item in self._source:
                yield from self._gate.feed(item)
        yield from self._gate.end()

    def __iter__(self) -> Iterator[_Item]:
        return self._items

    def __next__(self) -> _Item:
        return next(self._items)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading: the connection is closed and what the gate holds is never sent."""
        self._items.close()
        if self._source is not None:
            self._source.close()


class AsyncGatedStream(_StreamView[_Item, _Final]):
    """The async twin of `GatedStream`, iterated with ``async for``."""

    def __init__(self, gate: StreamGate[_Item, _Final],
                 source: AsyncStream[_Item] | None) -> None:
        self._gate = gate
        self._source = source
        self._items = self._run()

    async def _run(self) -> AsyncGenerator[_Item, None]:
        if self._source is None:
            for item in self._gate.handoff():
                yield item
            return
        try:
            async for received in self._source:
                for item in self._gate.feed(received):
                    yield item
        finally:
            await self._source.close()
        for item in self._gate.end():
            yield item

    def __aiter__(self) -> AsyncIterator[_Item]:
        return self._items

    async def __anext__(self) -> _Item:
        return await self._items.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop reading: the connection is closed and what the gate holds is never sent."""
        await self._items.aclose()
        if self._source is not None:
            await self._source.close()


def stream_flag(stream: object) -> bool:
    """`stream` checked to be a bool."""
    if not isinstance(stream, bool):
        raise UserError(f"stream must be True or False, got {type(stream).__name__}")
    return stream
