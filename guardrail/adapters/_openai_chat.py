"""The drop-in face of `GuardedOpenAI`: ``guarded.chat.completions.create`` as the client has it.

`create` takes the client's own arguments (plus ``context=``, ``signals=`` and
``conversation_id=``) and returns what the client returns: a `ChatCompletion` (a
`GuardedChatCompletion`, its subclass) or, with ``stream=True``, a stream of
`ChatCompletionChunk`. What an application's own tool loop reads is safe to run as it is:
``choices[0].message.tool_calls`` holds only the calls the gate allows now, each carrying the
gate's bound arguments (the session customer's id filled in or checked). A denied call, or one
waiting for the customer's consent, is left out, so a loop written for the plain client can never
run it. The whole gated turn is on ``.guardrail`` (a `GuardedTurn`): its message keeps every call
the model made, and ``execute_tool_calls(completion.guardrail, ...)`` answers each one (a denial
explained to the model, a confirmation asked for) — the path for tools that need consent.

A stream passes text deltas on as they arrive and holds tool-call deltas back: the calls are gated
once the model has finished them, and only the calls that may run are then sent, each whole, with
its bound arguments. `_ChunkGate` is that logic once; the streams (`guardrail.adapters._stream`)
only iterate.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from openai import BaseModel as OpenAIModel
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import PrivateAttr, ValidationError

from guardrail.adapters._stream import AsyncGatedStream, GatedStream, stream_flag
from guardrail.conversation import Context, Signals
from guardrail.decision import Decision
from guardrail.gate import CallCheck

if TYPE_CHECKING:
    from guardrail.adapters.openai import (
        AsyncGuardedOpenAI,
        GatedToolCall,
        GuardedOpenAI,
        GuardedTurn,
        _GuardedCore,
        _Prepared,
    )

__all__ = [
    "AsyncChat",
    "AsyncCompletions",
    "AsyncGuardedChatStream",
    "Chat",
    "Completions",
    "GuardedChatCompletion",
    "GuardedChatStream",
    "completion_of",
    "lenient",
]

_log = logging.getLogger("guardrail")

_M = TypeVar("_M", bound=OpenAIModel)


class GuardedChatCompletion(ChatCompletion):
    """A `ChatCompletion` an application can use as the plain client's, with the gated turn.

    ``choices[0].message.tool_calls`` holds only the calls that may run now, with the gate's
    bound arguments; ``finish_reason`` is ``stop`` when none is left. When a human took over, the
    model was not called: the message is the handoff message and ``id`` starts with
    ``chatcmpl-guardrail-``.
    """

    _turn: Any = PrivateAttr(default=None)

    @property
    def guardrail(self) -> GuardedTurn:
        """The gated turn: decision, every tool call with its verdict, handoff summary."""
        return cast("GuardedTurn", self._turn)

    @property
    def decision(self) -> Decision:
        """The guardrail decision for this turn."""
        return self.guardrail.decision


def _runnable(turn: GuardedTurn, raw_calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The function calls the gate allows, with the bound arguments in place of the model's.

    Any other kind of call (a custom tool's, whose free-text input cannot carry the bound
    arguments) is never runnable here: custom tools are never offered to the model.
    """
    kept = []
    for raw, call in zip(raw_calls, turn.tool_calls, strict=True):
        function = raw.get("function")
        if call.action != "allow" or raw.get("type") != "function" or not isinstance(
            function, Mapping
        ):
            continue
        arguments = json.dumps(call.check.args, ensure_ascii=False, default=str)
        kept.append({**raw, "function": {**function, "arguments": arguments}})
    return kept


def lenient(cls: type[_M], data: Mapping[str, Any]) -> _M:
    """`cls` built from `data`, validated; or, when the model's own reply breaks the schema (a
    ``finish_reason`` or ``status`` the SDK's types do not list), built the way the plain
    client builds it, without validation. Gating happened before: only what may run is in
    `data`, so accepting an unknown label changes nothing the gate decided, and the customer
    gets the reply instead of a traceback."""
    try:
        return cls.model_validate(data)
    except ValidationError:
        _log.warning("the model's reply does not match %s; kept as the openai client keeps it",
                     cls.__name__)
        return cls.construct(**data)


def completion_of(turn: GuardedTurn, model: str) -> GuardedChatCompletion:
    """The completion to hand back for `turn`: the model's, with only the runnable calls, or a
    synthesised one carrying the handoff message when the model was not called."""
    if turn.completion is None:
        data: dict[str, Any] = {
            "id": f"chatcmpl-guardrail-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0, "finish_reason": "stop", "logprobs": None,
                "message": {"role": "assistant", "content": turn.message.get("content"),
                            "refusal": None},
            }],
        }
    else:
        data = turn.completion.model_dump(mode="json", by_alias=True)
        # Only the first choice is gated: any other (``n`` slipped in through ``extra_body``)
        # would carry ungated calls, so it is not handed back.
        data["choices"] = data["choices"][:1]
        if data["choices"]:
            choice = data["choices"][0]
            message = choice["message"]
            kept = _runnable(turn, message.get("tool_calls") or [])
            message["tool_calls"] = kept or None
            message["function_call"] = None  # the legacy call form is never gated, never run
            if not kept:
                # The history stays valid: an assistant message needs content or tool calls.
                message["content"] = message.get("content") or ""
                if choice.get("finish_reason") in ("tool_calls", "function_call"):
                    choice["finish_reason"] = "stop"
    completion = lenient(GuardedChatCompletion, data)
    completion._turn = turn
    return completion


# -- streaming ----------------------------------------------------------------------------------


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: str = ""
    mixed: bool = False  # deltas of more than one id came at its index: denied whole


def _denied_mixed(call: GatedToolCall, index: int) -> GatedToolCall:
    """`call`, denied: the model streamed more than one call id at its index."""
    check = CallCheck.deny("policy.duplicate_call_id", call.name, call.check.args,
                           detail=f"several ids streamed at index {index}",
                           reasons=call.check.reasons)
    return replace(call, check=check)


class _ChunkGate:
    """The streaming core: text passes on at once, tool calls are held, gated at the end."""

    def __init__(self, core: _GuardedCore, prepared: _Prepared, decision: Decision,
                 model: str, handed: GuardedTurn | None = None) -> None:
        self.core = core
        self.prepared = prepared
        self.decision = decision
        self.model = model
        self.head: dict[str, Any] = {}
        self.content: list[str] = []
        self.refusal: list[str] = []
        self.calls: dict[int, _PartialCall] = {}
        self.finish: str | None = None
        self.held: list[ChatCompletionChunk] = []  # usage chunks, sent after the gated calls
        self.final: GuardedChatCompletion | None = (
            None if handed is None else completion_of(handed, model)
        )

    def feed(self, chunk: ChatCompletionChunk) -> list[ChatCompletionChunk]:
        """What of `chunk` to pass on now (its text); its tool-call deltas are kept back."""
        if not self.head:
            self.head = {"id": chunk.id, "created": chunk.created, "model": chunk.model,
                         "system_fingerprint": chunk.system_fingerprint,
                         "service_tier": chunk.service_tier}
        if not chunk.choices:
            self.held.append(chunk)
            return []
        passed = []
        for choice in chunk.choices:
            if choice.index != 0:  # only the first choice is gated (see `completion_of`)
                continue
            delta = choice.delta
            self.content.append(delta.content or "")
            self.refusal.append(delta.refusal or "")
            for part in delta.tool_calls or ():
                call = self.calls.setdefault(part.index, _PartialCall())
                call.mixed = call.mixed or bool(call.id and part.id and part.id != call.id)
                call.id = part.id or call.id
                if part.function is not None:
                    call.name += part.function.name or ""
                    call.arguments += part.function.arguments or ""
            self.finish = choice.finish_reason or self.finish
            if delta.content or delta.refusal or delta.role:
                passed.append(choice.model_copy(update={
                    "finish_reason": None,
                    "delta": delta.model_copy(update={"tool_calls": None,
                                                      "function_call": None}),
                }))
        if chunk.usage is not None:
            self.held.append(chunk.model_copy(update={"choices": []}))
        return [chunk.model_copy(update={"choices": passed, "usage": None})] if passed else []

    def end(self) -> list[ChatCompletionChunk]:
        """Gate the held calls; the chunks that close the stream: the calls that may run, whole,
        then the finish reason and the usage."""
        usage = next((c.usage for c in self.held if c.usage is not None), None)
        calls = [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": call.arguments}}
            for _, call in sorted(self.calls.items())
        ]
        completion = lenient(ChatCompletion, {
            "id": self.head.get("id") or f"chatcmpl-guardrail-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": self.head.get("created") or int(time.time()),
            "model": self.head.get("model") or self.model,
            "system_fingerprint": self.head.get("system_fingerprint"),
            "service_tier": self.head.get("service_tier"),
            "choices": [{
                "index": 0, "finish_reason": self.finish or "stop", "logprobs": None,
                "message": {"role": "assistant", "content": "".join(self.content) or None,
                            "refusal": "".join(self.refusal) or None,
                            "tool_calls": calls or None},
            }],
            "usage": None if usage is None else usage.model_dump(mode="json"),
        })
        turn = self.core._finish(self.prepared, self.decision, completion)
        indexes = sorted(self.calls)
        if any(self.calls[index].mixed for index in indexes):
            turn = replace(turn, tool_calls=[
                _denied_mixed(call, index) if self.calls[index].mixed else call
                for index, call in zip(indexes, turn.tool_calls, strict=True)])
        self.final = completion_of(turn, self.model)
        return [*self._tail(with_text=False), *self.held]

    def handoff(self) -> list[ChatCompletionChunk]:
        """The whole stream of a turn a human took over: the handoff message, then ``stop``."""
        return self._tail(with_text=True)

    def _tail(self, *, with_text: bool) -> list[ChatCompletionChunk]:
        assert self.final is not None
        choice = self.final.choices[0]
        deltas: list[dict[str, Any]] = []
        if with_text:
            deltas.append({"role": "assistant", "content": choice.message.content})
        for index, call in enumerate(choice.message.tool_calls or ()):
            deltas.append({"tool_calls": [{"index": index, **call.model_dump(mode="json")}]})
        head = {"id": self.final.id, "created": self.final.created, "model": self.final.model,
                "system_fingerprint": self.final.system_fingerprint,
                "service_tier": self.final.service_tier, "object": "chat.completion.chunk"}
        chunks = [{**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                  for delta in deltas]
        chunks.append({**head, "choices": [{"index": 0, "delta": {},
                                            "finish_reason": choice.finish_reason}]})
        return [lenient(ChatCompletionChunk, chunk) for chunk in chunks]


class GuardedChatStream(GatedStream[ChatCompletionChunk, GuardedChatCompletion]):
    """The guarded answer to ``stream=True``: `ChatCompletionChunk`s, as the client's `Stream`.

    Text deltas arrive as the model sends them; tool calls arrive after the text, each whole and
    gated (only those that may run); `completion` and `guardrail` are set once it has ended.
    """

    @property
    def completion(self) -> GuardedChatCompletion | None:
        """The whole completion as the stream delivered it (only the runnable calls, its
        `.guardrail` the gated turn); None until the stream has ended."""
        return self._gate.final


class AsyncGuardedChatStream(AsyncGatedStream[ChatCompletionChunk, GuardedChatCompletion]):
    """The async twin of `GuardedChatStream`, iterated with ``async for``."""

    @property
    def completion(self) -> GuardedChatCompletion | None:
        """As `GuardedChatStream.completion`."""
        return self._gate.final


# -- the namespaces -----------------------------------------------------------------------------


class Completions:
    """``guarded.chat.completions``: `create` as ``client.chat.completions.create``, guarded."""

    def __init__(self, guarded: GuardedOpenAI) -> None:
        self._guarded = guarded

    @overload
    def create(self, *, messages: Sequence[Mapping[str, Any]],
               tools: Sequence[Mapping[str, Any]] | None = ...,
               context: Context | Mapping[str, Any] | None = ...,
               signals: Signals | Mapping[str, Any] | None = ...,
               conversation_id: str | None = ..., stream: Literal[False] = ...,
               **kwargs: Any) -> GuardedChatCompletion: ...

    @overload
    def create(self, *, messages: Sequence[Mapping[str, Any]],
               tools: Sequence[Mapping[str, Any]] | None = ...,
               context: Context | Mapping[str, Any] | None = ...,
               signals: Signals | Mapping[str, Any] | None = ...,
               conversation_id: str | None = ..., stream: Literal[True],
               **kwargs: Any) -> GuardedChatStream: ...

    def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> GuardedChatCompletion | GuardedChatStream:
        """Classify the turn, then call the model with what it may use, or hand off.

        Args:
            messages: the whole history in Chat Completions format (not mutated).
            tools: the application's tool specs; only the decision's are sent.
            context: the session's stable context (`customer_id` binds customer arguments).
            signals: behavioural signals for the friction detectors.
            conversation_id: a stable id, so each turn only scans the new messages.
            stream: stream the answer (`GuardedChatStream`) instead of returning it whole.
            **kwargs: passed through to ``client.chat.completions.create`` (model, ...).

        Returns:
            A `GuardedChatCompletion` (a `ChatCompletion`), or a `GuardedChatStream`.

        Raises:
            UserError: bad input, before any request (`UndeclaredToolError` for tools the
                catalogue lacks, when the client was built with ``undeclared="error"``).
        """
        guarded = self._guarded
        model = str(kwargs.get("model", ""))
        if not stream_flag(stream):
            return completion_of(guarded.create(messages=messages, tools=tools, context=context,
                                                signals=signals, conversation_id=conversation_id,
                                                **kwargs), model)
        prepared = guarded._prepare(messages, tools, context, signals, conversation_id, kwargs)
        decision, handed = guarded._begin(prepared)
        gate = _ChunkGate(guarded, prepared, decision, model, handed)
        if handed is not None:
            return GuardedChatStream(gate, None)
        request = {**guarded._request(prepared, decision), "stream": True}
        return GuardedChatStream(gate, guarded.client.chat.completions.create(**request))


class AsyncCompletions:
    """``guarded.chat.completions`` of `AsyncGuardedOpenAI`: the async twin of `Completions`."""

    def __init__(self, guarded: AsyncGuardedOpenAI) -> None:
        self._guarded = guarded

    @overload
    async def create(self, *, messages: Sequence[Mapping[str, Any]],
                     tools: Sequence[Mapping[str, Any]] | None = ...,
                     context: Context | Mapping[str, Any] | None = ...,
                     signals: Signals | Mapping[str, Any] | None = ...,
                     conversation_id: str | None = ..., stream: Literal[False] = ...,
                     **kwargs: Any) -> GuardedChatCompletion: ...

    @overload
    async def create(self, *, messages: Sequence[Mapping[str, Any]],
                     tools: Sequence[Mapping[str, Any]] | None = ...,
                     context: Context | Mapping[str, Any] | None = ...,
                     signals: Signals | Mapping[str, Any] | None = ...,
                     conversation_id: str | None = ..., stream: Literal[True],
                     **kwargs: Any) -> AsyncGuardedChatStream: ...

    async def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> GuardedChatCompletion | AsyncGuardedChatStream:
        """Async twin of `Completions.create` (same arguments and errors)."""
        guarded = self._guarded
        model = str(kwargs.get("model", ""))
        if not stream_flag(stream):
            return completion_of(await guarded.create(
                messages=messages, tools=tools, context=context, signals=signals,
                conversation_id=conversation_id, **kwargs), model)
        prepared = guarded._prepare(messages, tools, context, signals, conversation_id, kwargs)
        decision, handed = await guarded._abegin(prepared)
        gate = _ChunkGate(guarded, prepared, decision, model, handed)
        if handed is not None:
            return AsyncGuardedChatStream(gate, None)
        request = {**guarded._request(prepared, decision), "stream": True}
        return AsyncGuardedChatStream(gate,
                                      await guarded.client.chat.completions.create(**request))


class Chat:
    """``guarded.chat``: holds `completions`, as ``client.chat`` does."""

    def __init__(self, guarded: GuardedOpenAI) -> None:
        self.completions = Completions(guarded)


class AsyncChat:
    """``guarded.chat`` of `AsyncGuardedOpenAI`."""

    def __init__(self, guarded: AsyncGuardedOpenAI) -> None:
        self.completions = AsyncCompletions(guarded)
