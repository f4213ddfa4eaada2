"""guardrail around the Responses API of the official `openai` client, gated like Chat Completions.

```python
from openai import OpenAI
from guardrail.adapters.openai import GuardedOpenAI
from guardrail.adapters.openai_responses import execute_function_calls

guarded = GuardedOpenAI(OpenAI(), sink=my_sink)
response = guarded.responses.create(model="gpt-4o-mini", input=items, tools=function_tools,
                                    context={"customer_id": "cus_1"})
items += response.gated_output
items += execute_function_calls(response, {"lookup_order": lookup_order})
```

`guarded.responses.create` takes the client's own arguments (plus ``context=``, ``signals=`` and
``conversation_id=``). The input items are read as a guardrail conversation (messages, the
model's earlier ``function_call`` items and their ``function_call_output`` items), so the turn is
decided on what the customer wrote, before the model is called. A tool output is untrusted
content: an instruction planted in one is withheld from the model, as in the chat path. The model
is shown only the function tools the decision allows (other kinds of tool are not sent), with
the decision's directives added to ``instructions``; when a human must take over, the model is
not called and the response carries the handoff message.

The returned object is a real `Response` (a `GuardedResponse`). Its ``output`` holds only the
``function_call`` items that may run now, each with the gate's bound arguments, so a loop
written for the plain client is safe as it is. Denied calls and calls waiting for the customer's
consent are in ``gated_output`` (the model's output as it came) and on ``.guardrail`` (a
`GuardedTurn`); `execute_function_calls` answers every one of them (a denial explained to the
model, a confirmation asked for) with a ``function_call_output`` item, so append
``gated_output`` and those items when a tool needs consent.

With ``stream=True`` the events pass through as they arrive, except those of ``function_call``
items: those are held until the response is complete, then the calls that may run are sent,
whole and bound, before the ``response.completed`` event, whose response is the gated one.

The whole conversation must be in ``input``: ``previous_response_id``, ``conversation`` and
``item_reference`` items would hide earlier turns from the guardrail, and are refused.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast, overload

from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai.types.responses.response_input_param import FunctionCallOutput
from pydantic import PrivateAttr

from guardrail.adapters._chat_format import kind, to_conversation
from guardrail.adapters._openai_chat import lenient
from guardrail.adapters._responses_format import (
    as_item,
    chat_view,
    function_name,
    narrow_tool_choice,
)
from guardrail.adapters._stream import AsyncGatedStream, GatedStream, stream_flag
from guardrail.adapters.openai import (
    Approval,
    AsyncGuardedOpenAI,
    GuardedOpenAI,
    GuardedTurn,
    _GuardedCore,
    _offer_tools,
    _Prepared,
    aexecute_tool_calls,
    execute_tool_calls,
)
from guardrail.conversation import Context, Signals
from guardrail.decision import Decision
from guardrail.errors import UserError
from guardrail.prompts import Prompts

__all__ = [
    "AsyncGuardedResponseStream",
    "AsyncResponses",
    "GuardedResponse",
    "GuardedResponseStream",
    "Responses",
    "aexecute_function_calls",
    "execute_function_calls",
]

# The output items handed back as the model gave them: what is not a call. A function call is
# gated; any other call (custom, computer, shell...) was never offered, so it is dropped.
_SHOWN_ITEMS = frozenset({"message", "reasoning"})
# The kinds of stream event that may carry such an item's content (any other, of an item, is held).
_SHOWN_EVENTS = ("response.output_item.", "response.content_part.", "response.output_text.",
                 "response.refusal.", "response.reasoning_")

# Arguments that keep the conversation on the server, out of the guardrail's sight, or that
# return before the output exists (so there would be nothing to gate).
_REFUSED = {
    "previous_response_id": "send the whole conversation in input=",
    "conversation": "send the whole conversation in input=",
    "background": "a background response has no output to gate when it returns",
}


class GuardedResponse(Response):
    """A `Response` an application can use as the plain client's, with the gated turn.

    ``output`` holds only the ``function_call`` items that may run now, with the gate's bound
    arguments (a call of any other kind was never offered, and is dropped). When a human took
    over, the model was not called: the output is the handoff message and ``id`` starts with
    ``resp_guardrail_``.
    """

    _turn: Any = PrivateAttr(default=None)
    _output: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def guardrail(self) -> GuardedTurn:
        """The gated turn: decision, every function call with its verdict, handoff summary.
        Its ``message`` is the reply in Chat Completions form."""
        return cast(GuardedTurn, self._turn)

    @property
    def decision(self) -> Decision:
        """The guardrail decision for this turn."""
        return self.guardrail.decision

    @property
    def gated_output(self) -> list[dict[str, Any]]:
        """Every output item as the model gave it (denied calls included), as input items: what
        to append to ``input`` with `execute_function_calls`' items."""
        return [dict(item) for item in self._output]


def _prepare(core: _GuardedCore, input: object, tools: object,
             context: Context | Mapping[str, Any] | None,
             signals: Signals | Mapping[str, Any] | None,
             conversation_id: str | None, kwargs: dict[str, Any]) -> _Prepared:
    """Check the caller's input and build the conversation; raises before any network."""
    for name, why in _REFUSED.items():
        if kwargs.get(name):
            raise UserError(f"{name}= is not supported by the guarded Responses API: {why}")
    if isinstance(input, str):
        items: list[object] = [{"role": "user", "content": input}]
    elif isinstance(input, list | tuple):
        items = list(input)
    else:
        raise UserError(f"input must be a string or a list of input items, got {kind(input)}")
    if tools is not None and not (
        isinstance(tools, list | tuple) and all(isinstance(t, Mapping) for t in tools)
    ):
        raise UserError("tools must be a list of tool dicts")
    if not isinstance(kwargs.get("instructions"), str | None):
        raise UserError("instructions must be a string")
    view = chat_view(items)
    conversation = to_conversation(view, context, signals, conversation_id)
    names = [function_name(t) for t in tools or ()]
    core._check_tools([n for n in names if n], conversation.context.customer_id)
    return _Prepared(conversation, view,
                     None if tools is None else list(tools), {**kwargs, "input": items})


def _screened(core: _GuardedCore, items: list[object]) -> list[object]:
    """The input items with an instruction planted in a function's output withheld."""
    names: dict[str, str] = {}
    out: list[object] = []
    for index, raw in enumerate(items):
        item = as_item(raw, index)
        if item.get("type") == "function_call":
            names[str(item.get("call_id"))] = str(item.get("name"))
        if item.get("type") != "function_call_output":
            out.append(raw)
            continue
        name = names.get(str(item.get("call_id")), str(item.get("call_id") or "tool"))
        output = item.get("output")
        if isinstance(output, str):
            out.append({**item, "output": core._screen_text(output, name)})
        elif isinstance(output, list):
            out.append({**item, "output": [
                {**part, "text": core._screen_text(part["text"], name)}
                if isinstance(part, Mapping) and isinstance(part.get("text"), str) else part
                for part in output
            ]})
        else:
            out.append(raw)
    return out


def _request(core: _GuardedCore, prepared: _Prepared, decision: Decision) -> dict[str, Any]:
    """The request for the model: screened input, directives, the decision's function tools."""
    request = dict(prepared.kwargs)
    request["input"] = _screened(core, request["input"])
    directives = core.prompts.system_text(decision)
    if directives:
        base = request.get("instructions")
        request["instructions"] = f"{base}\n\n{directives}" if base else directives
    return _offer_tools(request, decision, prepared.tools, function_name, narrow_tool_choice)


# -- output -------------------------------------------------------------------------------------


def _finish(core: _GuardedCore, prepared: _Prepared, decision: Decision,
            response: Response) -> GuardedResponse:
    """Gate every function call of `response`; the response with only the runnable ones."""
    output = [item.model_dump(mode="json", exclude_none=True, by_alias=True)
              for item in response.output]
    calls = [item for item in output if item.get("type") == "function_call"]
    message: dict[str, Any] = {"role": "assistant", "content": response.output_text or None}
    if calls:
        message["tool_calls"] = chat_view(calls)[0]["tool_calls"]
    elif message["content"] is None:
        message["content"] = ""
    turn = core._gated(prepared, decision, message, [
        (str(c.get("call_id", "")), str(c.get("name", "")), c.get("arguments")) for c in calls
    ])
    verdicts = iter(turn.tool_calls)
    kept = []
    for item in output:
        if item.get("type") != "function_call":
            if item.get("type") in _SHOWN_ITEMS:  # any other call was never offered: dropped
                kept.append(item)
            continue
        call = next(verdicts)
        if call.action == "allow":
            kept.append({**item, "arguments": json.dumps(call.check.args, ensure_ascii=False,
                                                         default=str)})
    data = response.model_dump(mode="json", by_alias=True)
    data["output"] = kept
    return _guarded(data, turn, output)


def _handed_off(turn: GuardedTurn, prepared: _Prepared) -> GuardedResponse:
    """A response for a turn a human took over: the model was not called."""
    item = {"type": "message", "id": f"msg_guardrail_{uuid.uuid4().hex}", "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": str(turn.message.get("content") or ""),
                         "annotations": []}]}
    data = {"id": f"resp_guardrail_{uuid.uuid4().hex}", "object": "response",
            "created_at": time.time(), "model": str(prepared.kwargs.get("model", "")),
            "output": [item], "parallel_tool_calls": False, "tool_choice": "none",
            "tools": [], "status": "completed"}
    return _guarded(data, turn, [item])


def _guarded(data: dict[str, Any], turn: GuardedTurn,
             output: list[dict[str, Any]]) -> GuardedResponse:
    response = lenient(GuardedResponse, data)
    response._turn = turn
    response._output = output
    return response


# -- streaming ----------------------------------------------------------------------------------

_Final = ResponseCompletedEvent | ResponseIncompleteEvent | ResponseFailedEvent


def _shown(item: object) -> bool:
    """Whether an output item passes as the model gave it (not a call of any kind)."""
    return getattr(item, "type", None) in _SHOWN_ITEMS


class _EventGate:
    """The streaming core: events pass on at once, except those of an output item that is not a
    message or reasoning (a ``function_call``, or any call the model was never offered), which
    are held; the last event (the whole response) is gated, and the calls that may run are sent
    before it, whole and bound."""

    def __init__(self, core: _GuardedCore, prepared: _Prepared, decision: Decision,
                 handed: GuardedTurn | None = None) -> None:
        self.core = core
        self.prepared = prepared
        self.decision = decision
        self.shown: set[int] = set()  # output indexes of the messages and reasoning items
        self.final: GuardedResponse | None = (
            None if handed is None else _handed_off(handed, prepared)
        )

    def feed(self, event: ResponseStreamEvent) -> list[ResponseStreamEvent]:
        """What of `event` to pass on now: an event of an item is held unless the item was
        announced (``response.output_item.added``) as a message or reasoning."""
        if isinstance(event, _Final):
            final = _finish(self.core, self.prepared, self.decision, event.response)
            self.final = final
            sent = self._calls(event.response, final, event.sequence_number)
            return [*sent, event.model_copy(update={
                "response": final, "sequence_number": event.sequence_number + len(sent)})]
        index = getattr(event, "output_index", None)
        item = getattr(event, "item", None)
        if isinstance(event, ResponseOutputItemAddedEvent) and _shown(item):
            self.shown.add(event.output_index)
        if index is not None and (
            index not in self.shown
            or (item is not None and not _shown(item))
            or not str(event.type).startswith(_SHOWN_EVENTS)
        ):
            return []
        snapshot = getattr(event, "response", None)
        if isinstance(snapshot, Response):  # created / in progress: no call before it is gated
            shown = [i for i in snapshot.output if _shown(i)]
            if len(shown) != len(snapshot.output):
                return [event.model_copy(update={
                    "response": snapshot.model_copy(update={"output": shown})})]
        return [event]

    def end(self) -> list[ResponseStreamEvent]:
        """Nothing: a stream cut before its last event never sends a held call."""
        return []

    def handoff(self) -> list[ResponseStreamEvent]:
        """The whole stream of a turn a human took over: the handoff message."""
        assert self.final is not None
        final = self.final
        item = final.output[0]
        assert isinstance(item, ResponseOutputMessage)
        part = item.content[0]
        text = final.output_text
        where = {"item_id": item.id, "output_index": 0, "content_index": 0}
        events: list[ResponseStreamEvent] = [
            ResponseCreatedEvent(type="response.created", sequence_number=0,
                                 response=final.model_copy(
                                     update={"status": "in_progress", "output": []})),
            ResponseOutputItemAddedEvent(type="response.output_item.added", sequence_number=1,
                                         output_index=0, item=item.model_copy(
                                             update={"status": "in_progress", "content": []})),
            ResponseContentPartAddedEvent.model_validate({
                "type": "response.content_part.added", "sequence_number": 2, **where,
                "part": {"type": "output_text", "text": "", "annotations": []}}),
            ResponseTextDeltaEvent(type="response.output_text.delta", sequence_number=3,
                                   delta=text, logprobs=[], **where),
            ResponseTextDoneEvent(type="response.output_text.done", sequence_number=4,
                                  text=text, logprobs=[], **where),
            ResponseContentPartDoneEvent.model_validate({
                "type": "response.content_part.done", "sequence_number": 5, **where,
                "part": part.model_dump(mode="json")}),
            ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=6,
                                        output_index=0, item=item),
            ResponseCompletedEvent(type="response.completed", sequence_number=7, response=final),
        ]
        return events

    @staticmethod
    def _calls(original: Response, final: GuardedResponse,
               sequence: int) -> list[ResponseStreamEvent]:
        """The events of the runnable calls, at their places in the model's output."""
        bound = {item.call_id: item for item in final.output if item.type == "function_call"}
        events: list[ResponseStreamEvent] = []
        for index, item in enumerate(original.output):
            if item.type != "function_call" or item.call_id not in bound:
                continue
            call = bound.pop(item.call_id)
            events += [
                ResponseOutputItemAddedEvent(
                    type="response.output_item.added", sequence_number=sequence + len(events),
                    output_index=index, item=call.model_copy(
                        update={"arguments": "", "status": "in_progress"})),
                ResponseFunctionCallArgumentsDoneEvent(
                    type="response.function_call_arguments.done",
                    sequence_number=sequence + len(events) + 1, output_index=index,
                    item_id=call.id or "", arguments=call.arguments),
                ResponseOutputItemDoneEvent(
                    type="response.output_item.done", sequence_number=sequence + len(events) + 2,
                    output_index=index, item=call),
            ]
        return events


class GuardedResponseStream(GatedStream[ResponseStreamEvent, GuardedResponse]):
    """The guarded answer to ``responses.create(stream=True)``: the events, as the client's
    `Stream`; function calls are held and only those that may run are sent, before the last
    event. `response` and `guardrail` are set once it has ended."""

    @property
    def response(self) -> GuardedResponse | None:
        """The gated response (only the runnable calls); None until the stream has ended."""
        return self._gate.final


class AsyncGuardedResponseStream(AsyncGatedStream[ResponseStreamEvent, GuardedResponse]):
    """The async twin of `GuardedResponseStream`, iterated with ``async for``."""

    @property
    def response(self) -> GuardedResponse | None:
        """As `GuardedResponseStream.response`."""
        return self._gate.final


# -- the namespaces -----------------------------------------------------------------------------


class Responses:
    """``guarded.responses``: `create` as ``client.responses.create``, guarded."""

    def __init__(self, guarded: GuardedOpenAI) -> None:
        self._guarded = guarded

    @overload
    def create(self, *, input: str | Sequence[object],
               tools: Sequence[Mapping[str, Any]] | None = ...,
               context: Context | Mapping[str, Any] | None = ...,
               signals: Signals | Mapping[str, Any] | None = ...,
               conversation_id: str | None = ..., stream: Literal[False] = ...,
               **kwargs: Any) -> GuardedResponse: ...

    @overload
    def create(self, *, input: str | Sequence[object],
               tools: Sequence[Mapping[str, Any]] | None = ...,
               context: Context | Mapping[str, Any] | None = ...,
               signals: Signals | Mapping[str, Any] | None = ...,
               conversation_id: str | None = ..., stream: Literal[True],
               **kwargs: Any) -> GuardedResponseStream: ...

    def create(
        self,
        *,
        input: str | Sequence[object],
        tools: Sequence[Mapping[str, Any]] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> GuardedResponse | GuardedResponseStream:
        """Classify the turn, then call the model with what it may use, or hand off.

        Args:
            input: the whole conversation: a string or input items (not mutated).
            tools: the application's tools; only the decision's function tools are sent.
            context: the session's stable context (`customer_id` binds customer arguments).
            signals: behavioural signals for the friction detectors.
            conversation_id: a stable id, so each turn only scans the new messages.
            stream: stream the events (`GuardedResponseStream`) instead of returning it whole.
            **kwargs: passed through to ``client.responses.create`` (model, instructions, ...).

        Returns:
            A `GuardedResponse` (a `Response`) with only the runnable function calls, or a
            `GuardedResponseStream`.

        Raises:
            UserError: bad input or a refused argument, before any request
                (`UndeclaredToolError` for tools the catalogue lacks, with
                ``undeclared="error"``).
        """
        guarded = self._guarded
        streamed = stream_flag(stream)
        prepared = _prepare(guarded, input, tools, context, signals, conversation_id, kwargs)
        decision, handed = guarded._begin(prepared)
        gate = _EventGate(guarded, prepared, decision, handed)
        request = None if handed is not None else _request(guarded, prepared, decision)
        if streamed:
            return GuardedResponseStream(gate, None if request is None else
                                         guarded.client.responses.create(**request, stream=True))
        if request is None:
            assert gate.final is not None
            return gate.final
        return _finish(guarded, prepared, decision, guarded.client.responses.create(**request))


class AsyncResponses:
    """``guarded.responses`` of `AsyncGuardedOpenAI`: the async twin of `Responses`."""

    def __init__(self, guarded: AsyncGuardedOpenAI) -> None:
        self._guarded = guarded

    @overload
    async def create(self, *, input: str | Sequence[object],
                     tools: Sequence[Mapping[str, Any]] | None = ...,
                     context: Context | Mapping[str, Any] | None = ...,
                     signals: Signals | Mapping[str, Any] | None = ...,
                     conversation_id: str | None = ..., stream: Literal[False] = ...,
                     **kwargs: Any) -> GuardedResponse: ...

    @overload
    async def create(self, *, input: str | Sequence[object],
                     tools: Sequence[Mapping[str, Any]] | None = ...,
                     context: Context | Mapping[str, Any] | None = ...,
                     signals: Signals | Mapping[str, Any] | None = ...,
                     conversation_id: str | None = ..., stream: Literal[True],
                     **kwargs: Any) -> AsyncGuardedResponseStream: ...

    async def create(
        self,
        *,
        input: str | Sequence[object],
        tools: Sequence[Mapping[str, Any]] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> GuardedResponse | AsyncGuardedResponseStream:
        """Async twin of `Responses.create` (same arguments, results and errors)."""
        guarded = self._guarded
        streamed = stream_flag(stream)
        prepared = _prepare(guarded, input, tools, context, signals, conversation_id, kwargs)
        decision, handed = await guarded._abegin(prepared)
        gate = _EventGate(guarded, prepared, decision, handed)
        request = None if handed is not None else _request(guarded, prepared, decision)
        if streamed:
            source = None if request is None else await guarded.client.responses.create(
                **request, stream=True)
            return AsyncGuardedResponseStream(gate, source)
        if request is None:
            assert gate.final is not None
            return gate.final
        response = await guarded.client.responses.create(**request)
        return _finish(guarded, prepared, decision, response)


# -- running the function calls -----------------------------------------------------------------


def _outputs(results: Sequence[Mapping[str, Any]]) -> list[FunctionCallOutput]:
    return [{"type": "function_call_output", "call_id": str(r["tool_call_id"]),
             "output": str(r["content"])} for r in results]


def execute_function_calls(
    response: GuardedResponse,
    tools: Mapping[str, Callable[..., Any]],
    *,
    approve: Approval = (),
    prompts: Prompts | None = None,
) -> list[FunctionCallOutput]:
    """Run the response's function calls as gated: one ``function_call_output`` item per call.

    The same rules as `guardrail.adapters.openai.execute_tool_calls` (whose core this is):
    allowed calls run with the bound arguments, confirm-first calls only when `approve` says
    so, every other call is answered with why it did not run, each call id runs at most once
    per conversation, and a tool's result is screened before the model reads it.

    Args:
        response: what ``guarded.responses.create`` returned.
        tools: tool name -> function, called with keyword arguments.
        approve: as for `execute_tool_calls`: a callback, ``{call_id: args_hash}`` or ids.
        prompts: the texts for the refusals; default the shipped ``prompts/``.

    Returns:
        ``{"type": "function_call_output", "call_id": ..., "output": ...}`` for each call.

    Raises:
        UserError: a tool to run is async (use `aexecute_function_calls`), or `approve` is a
            string. Raised before any tool runs.
    """
    return _outputs(execute_tool_calls(response.guardrail, tools, approve=approve,
                                       prompts=prompts))


async def aexecute_function_calls(
    response: GuardedResponse,
    tools: Mapping[str, Callable[..., Any]],
    *,
    approve: Approval = (),
    prompts: Prompts | None = None,
) -> list[FunctionCallOutput]:
    """Async twin of `execute_function_calls`: awaits coroutine tools."""
    return _outputs(await aexecute_tool_calls(response.guardrail, tools, approve=approve,
                                              prompts=prompts))
