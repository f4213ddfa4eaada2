"""guardrail around the official `openai` client: Chat Completions with tools, gated.

```python
from openai import OpenAI
from guardrail.adapters.openai import GuardedOpenAI, execute_tool_calls

guarded = GuardedOpenAI(OpenAI(), sink=my_sink)
turn = guarded.create(model="gpt-4o-mini", messages=history, tools=tool_specs,
                      context={"customer_id": "cus_1"})
history.append(turn.message)
history.extend(execute_tool_calls(turn, {"lookup_order": lookup_order}))
```

Each `create` classifies the turn before the model is called. When a human must take over, the
model is not called at all: the turn carries the handoff message from ``prompts/adapter.yaml``
and the `HandoffSummary` goes to the sink. Otherwise the model is shown only the tools the
decision allows (or allows after confirmation), with the decision's directives added to its
system message, and every tool call it returns is checked again by the shared gate
(`guardrail.gate.check_tool_call`): a model can call a tool it was never shown.
`execute_tool_calls` then gives every tool call exactly one tool result, so the history stays
valid for the next request whatever was denied, declined or failed.

Only Chat Completions is wrapped. The Responses API has its own input items, tool shapes and
output items; it would be a second adapter, not another entry point into this one.

The sync and async clients share one core (`_GuardedCore`); they differ only in how they wait
for the guardrail and the model.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from opentelemetry.trace import Span
from pydantic import BaseModel, ValidationError

from guardrail.audit import AuditLog, ToolOutcome, audit_key, customer_turn
from guardrail.conversation import Context, Conversation, Signals
from guardrail.decision import Decision
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.gate import CallAction, CallCheck, check_tool_call
from guardrail.handoff.summary import HandoffSink, HandoffSummary, deliver
from guardrail.prompts import AdapterPrompts, Prompts
from guardrail.reasons import ADAPTER_CODES
from guardrail.redact import redact
from guardrail.retrieval import use_decision
from guardrail.tracing import handoff_span, record_delivery, record_verdict, tool_gate_span

try:
    import openai
    from openai.types.chat import (
        ChatCompletion,
        ChatCompletionAssistantMessageParam,
        ChatCompletionToolMessageParam,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "guardrail.adapters.openai needs the openai package: pip install 'guardrail[llm]'"
    ) from exc

__all__ = [
    "Approval",
    "AsyncGuardedOpenAI",
    "GatedToolCall",
    "GuardedOpenAI",
    "GuardedTurn",
    "aexecute_tool_calls",
    "execute_tool_calls",
]

SinkLike = HandoffSink | Callable[[HandoffSummary], object] | None
Approval = Callable[["GatedToolCall"], bool] | Collection[str]
"""Which confirm-first calls may run: a callback, or the tool_call ids the customer approved."""

_log = logging.getLogger("guardrail.adapters.openai")

# Operator messages set the assistant up; they are not the customer's turn, so not scanned.
_OPERATOR_ROLES = frozenset({"system", "developer"})
# "function" is the legacy name of a tool result.
_SCANNED_ROLES: dict[str, str] = {
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}
_TEXT_PARTS = frozenset({"text", "refusal"})
# The legacy function-calling API: its calls would never reach the gate.
_LEGACY_KWARGS = ("functions", "function_call")


# -- the turn -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GatedToolCall:
    """One tool call the model asked for, with the gate's verdict on it.

    Attributes:
        id: the tool_call id (its result must carry the same id).
        name: the tool name as the model called it.
        check: the gate's answer: action, bound arguments and reasons.
    """

    id: str
    name: str
    check: CallCheck

    @property
    def action(self) -> CallAction:
        """``allow``, ``confirm`` or ``deny``."""
        return self.check.action


@dataclass(frozen=True, slots=True)
class GuardedTurn:
    """What one guarded `create` produced.

    Attributes:
        decision: the guardrail decision for this turn.
        conversation: the conversation the decision was made on (context included).
        message: the assistant message to append to the history: the model's reply with its
            tool_calls as returned, or the handoff message.
        completion: the model's raw response; None when the model was not called (handoff).
        tool_calls: every tool call of the reply, gated, in the order the model gave them.
        handoff: the summary sent to the sink when a human takes over, else None.
        delivery: how the handoff delivery went (``delivered``, ``no_sink``, ``failed: ...``).
    """

    decision: Decision
    conversation: Conversation
    message: ChatCompletionAssistantMessageParam
    completion: ChatCompletion | None = None
    tool_calls: list[GatedToolCall] = field(default_factory=list)
    handoff: HandoffSummary | None = None
    delivery: str | None = None
    audit: AuditLog | None = field(default=None, repr=False, compare=False)

    @property
    def allowed(self) -> list[GatedToolCall]:
        """The calls that may run now."""
        return [c for c in self.tool_calls if c.check.action == "allow"]

    @property
    def needs_confirmation(self) -> list[GatedToolCall]:
        """The calls that may run only after the customer explicitly approves them."""
        return [c for c in self.tool_calls if c.check.action == "confirm"]

    @property
    def denied(self) -> list[GatedToolCall]:
        """The calls that may not run."""
        return [c for c in self.tool_calls if c.check.action == "deny"]


# -- the shared core ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prepared:
    conversation: Conversation
    messages: list[Any]
    tools: list[Mapping[str, Any]] | None
    kwargs: dict[str, Any]


class _GuardedCore:
    """Everything but the waiting: input checks, the request, the handoff and the gating."""

    def __init__(
        self,
        guardrail: Guardrail | None,
        prompts: Prompts | None,
        sink: SinkLike,
        audit: AuditLog | str | Path | None = None,
    ) -> None:
        self.guardrail = guardrail if guardrail is not None else Guardrail.from_defaults()
        self.prompts = prompts if prompts is not None else Prompts.default()
        self.sink = sink
        self.audit = audit if isinstance(audit, AuditLog | None) else AuditLog(audit)

    def _audited(self, prepared: _Prepared, decision: Decision) -> Decision:
        if self.audit is not None:
            self.audit.decision(decision, conversation_id=audit_key(prepared.conversation),
                                turn=customer_turn(prepared.conversation))
        return decision

    def _prepare(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        context: Context | Mapping[str, Any] | None,
        signals: Signals | Mapping[str, Any] | None,
        conversation_id: str | None,
        kwargs: dict[str, Any],
    ) -> _Prepared:
        """Check the caller's input and build the conversation; raises before any network."""
        if not isinstance(messages, list | tuple):
            raise UserError(f"messages must be a list of message dicts, got {_kind(messages)}")
        if tools is not None and not (
            isinstance(tools, list | tuple) and all(isinstance(t, Mapping) for t in tools)
        ):
            raise UserError("tools must be a list of tool dicts")
        if kwargs.get("stream"):
            raise UserError("stream=True is not supported: tool calls must be gated before use")
        if kwargs.get("n") not in (None, 1):
            raise UserError("n must be 1: only one choice can be gated and returned")
        for name in _LEGACY_KWARGS:
            if name in kwargs:
                raise UserError(f"{name}= is the legacy function API and is not gated; use tools=")
        conversation = _conversation(messages, context, signals, conversation_id)
        return _Prepared(
            conversation, list(messages), None if tools is None else list(tools), kwargs
        )

    def _route(self, prepared: _Prepared, decision: Decision) -> GuardedTurn | dict[str, Any]:
        """The handoff turn when a human must take over, else the request for the model."""
        if decision.handoff.required:
            summary = HandoffSummary.build(
                decision,
                prepared.conversation,
                tool_calls=_history_tool_calls(prepared.messages),
            )
            message: ChatCompletionAssistantMessageParam = {
                "role": "assistant",
                "content": self.prompts.handoff_message(decision),
            }
            with handoff_span(prepared.conversation.id, decision):
                delivery = deliver(self.sink, summary)
                record_delivery(delivery, decision.handoff.reasons)
            if self.audit is not None:
                conv = prepared.conversation
                self.audit.handoff(summary, delivery=delivery, turn=customer_turn(conv),
                                   conversation_id=audit_key(conv))
            return GuardedTurn(
                decision=decision,
                conversation=prepared.conversation,
                message=message,
                handoff=summary,
                delivery=delivery,
            )
        request = dict(prepared.kwargs)
        request["messages"] = _with_directives(
            prepared.messages, self.prompts.system_text(decision)
        )
        visible = set(decision.allowed_tools) | set(decision.confirm_tools)
        tools = [t for t in prepared.tools or () if _function_name(t) in visible]
        if tools:
            request["tools"] = tools
            choice = _tool_choice(request.get("tool_choice"), {_function_name(t) for t in tools})
            if choice is None:
                request.pop("tool_choice", None)
            else:
                request["tool_choice"] = choice
        else:
            # The API rejects these without tools, and there is nothing left to choose from.
            for key in ("tools", "tool_choice", "parallel_tool_calls"):
                request.pop(key, None)
        return request

    def _finish(
        self, prepared: _Prepared, decision: Decision, completion: ChatCompletion
    ) -> GuardedTurn:
        """Gate every tool call of the first choice and build the assistant message."""
        reply = completion.choices[0].message if completion.choices else None
        raw_calls: list[Any] = list(reply.tool_calls or ()) if reply is not None else []
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if reply is not None:
            message["content"] = reply.content
            if reply.refusal is not None:
                message["refusal"] = reply.refusal
        if raw_calls:
            message["tool_calls"] = [
                call.model_dump(mode="json", exclude_none=True) for call in raw_calls
            ]
        elif message["content"] is None:
            message["content"] = ""  # an assistant message needs content or tool_calls
        customer_id = prepared.conversation.context.customer_id
        gated = []
        for call in raw_calls:
            name, arguments = _call_parts(call)
            check = check_tool_call(self.guardrail.registry, decision, name, arguments, customer_id)
            gated.append(GatedToolCall(id=str(getattr(call, "id", "")), name=name, check=check))
        return GuardedTurn(
            decision=decision,
            conversation=prepared.conversation,
            message=cast(ChatCompletionAssistantMessageParam, message),
            completion=completion,
            tool_calls=gated,
            audit=self.audit,
        )


class GuardedOpenAI(_GuardedCore):
    """A guarded `openai.OpenAI`: Chat Completions with the turn's tools, directives and handoff.

    Args:
        client: the OpenAI client that makes the model call.
        guardrail: the engine; default `Guardrail.from_defaults()`.
        prompts: directive texts and adapter messages; default the shipped ``prompts/``.
        sink: where handoff summaries go (a `HandoffSink` or a callable); None keeps none.
        audit: an `AuditLog` (or its path): a record per decision, per executed or refused
            tool call (through `execute_tool_calls`) and per handoff.
    """

    def __init__(
        self,
        client: openai.OpenAI,
        guardrail: Guardrail | None = None,
        *,
        prompts: Prompts | None = None,
        sink: SinkLike = None,
        audit: AuditLog | str | Path | None = None,
    ) -> None:
        super().__init__(guardrail, prompts, sink, audit)
        self.client = client

    def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        **kwargs: Any,
    ) -> GuardedTurn:
        """Classify the turn, then call the model with what it may use, or hand off.

        Args:
            messages: the whole history in Chat Completions format (not mutated).
            tools: the tool specs the application has; only the decision's are sent.
            context: the session's stable context; `customer_id` is what customer-bound
                tool arguments are bound to.
            signals: behavioural signals for the friction detectors.
            conversation_id: a stable id, so each turn only scans the new messages.
            **kwargs: passed through to ``client.chat.completions.create`` (model, ...).

        Returns:
            The guarded turn: the decision, the assistant message and the gated tool calls.

        Raises:
            UserError: messages, tools, context, signals or kwargs are invalid (raised before
                any request is sent).
        """
        prepared = self._prepare(messages, tools, context, signals, conversation_id, kwargs)
        decision = self._audited(prepared, self.guardrail.check(prepared.conversation))
        routed = self._route(prepared, decision)
        if isinstance(routed, GuardedTurn):
            return routed
        completion: ChatCompletion = self.client.chat.completions.create(**routed)
        return self._finish(prepared, decision, completion)


class AsyncGuardedOpenAI(_GuardedCore):
    """The async twin of `GuardedOpenAI`, around `openai.AsyncOpenAI`.

    Args:
        client: the async OpenAI client that makes the model call.
        guardrail: the engine; default `Guardrail.from_defaults()`.
        prompts: directive texts and adapter messages; default the shipped ``prompts/``.
        sink: where handoff summaries go (a `HandoffSink` or a callable); None keeps none.
        audit: an `AuditLog` (or its path): a record per decision, per executed or refused
            tool call (through `execute_tool_calls`) and per handoff.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        guardrail: Guardrail | None = None,
        *,
        prompts: Prompts | None = None,
        sink: SinkLike = None,
        audit: AuditLog | str | Path | None = None,
    ) -> None:
        super().__init__(guardrail, prompts, sink, audit)
        self.client = client

    async def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        **kwargs: Any,
    ) -> GuardedTurn:
        """Async twin of `GuardedOpenAI.create` (same arguments, result and errors)."""
        prepared = self._prepare(messages, tools, context, signals, conversation_id, kwargs)
        decision = self._audited(prepared, await self.guardrail.acheck(prepared.conversation))
        routed = self._route(prepared, decision)
        if isinstance(routed, GuardedTurn):
            return routed
        completion: ChatCompletion = await self.client.chat.completions.create(**routed)
        return self._finish(prepared, decision, completion)


# -- running the tool calls ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    """One tool call's fate: run `fn` with `args`, or answer with `text` without running."""

    call: GatedToolCall
    fn: Callable[..., Any] | None = None
    args: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    outcome: ToolOutcome = "executed"  # for a call that does not run: denied, not_run, declined


def _plan(
    turn: GuardedTurn,
    tools: Mapping[str, Callable[..., Any]],
    approve: Approval,
    prompts: Prompts | None,
) -> list[_Step]:
    """Decide every call before any runs, so a bad argument raises before a side effect."""
    if isinstance(approve, str) or not (callable(approve) or isinstance(approve, Collection)):
        raise UserError(
            f"approve must be a callable or a collection of tool_call ids, got {_kind(approve)}"
        )
    texts = (prompts if prompts is not None else Prompts.default()).adapter
    steps = []
    for call in turn.tool_calls:
        check = call.check
        fn = tools.get(call.name)
        if check.action == "deny":
            text = texts.tool_denied.format(
                tool=call.name, code=check.code, reason=check.explanation()
            )
            steps.append(_Step(call, text=text, outcome="denied"))
        elif fn is None:
            text = texts.tool_denied.format(
                tool=call.name, code="policy.tool_unavailable",
                reason=ADAPTER_CODES["policy.tool_unavailable"],
            )
            steps.append(_Step(call, text=text, outcome="not_run"))
        elif check.action == "confirm" and not (
            approve(call) if callable(approve) else call.id in approve
        ):
            text = texts.confirmation_declined.format(
                tool=call.name,
                code="policy.confirmation_declined",
                reason=ADAPTER_CODES["policy.confirmation_declined"],
            )
            steps.append(_Step(call, text=text, outcome="declined"))
        else:
            steps.append(_Step(call, fn=fn, args=dict(check.args)))
    return steps


def _tool_message(call: GatedToolCall, content: str) -> ChatCompletionToolMessageParam:
    return {"role": "tool", "tool_call_id": call.id, "content": content}


def _result_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str, ensure_ascii=False)


def _failure_text(call: GatedToolCall, exc: BaseException, texts: AdapterPrompts) -> str:
    # The type only: a traceback or message may carry internals or personal data, and the model
    # needs to know that it failed, not why in detail. Operators get the full story in the log.
    _log.warning("tool %s (%s) failed", call.name, call.id, exc_info=exc)
    return texts.tool_failed.format(tool=call.name, error=type(exc).__name__)


def execute_tool_calls(
    turn: GuardedTurn,
    tools: Mapping[str, Callable[..., Any]],
    *,
    approve: Approval = (),
    prompts: Prompts | None = None,
) -> list[ChatCompletionToolMessageParam]:
    """Run the turn's tool calls as gated, and return one tool message per call, in order.

    Allowed calls run with the gate's bound arguments; confirm-first calls run only when
    `approve` says so; denied calls, calls with no implementation in `tools` and declined
    confirmations get a message saying why instead. A tool that raises gets a message naming
    the exception type. Every tool_call id gets exactly one result, so the history stays valid.

    Args:
        turn: the turn `GuardedOpenAI.create` returned.
        tools: tool name -> function, called with keyword arguments.
        approve: a callback given each confirm-first call, or the tool_call ids approved.
        prompts: the texts for the messages; default the shipped ``prompts/``.

    Returns:
        ``{"role": "tool", "tool_call_id": ..., "content": ...}`` for each call of the turn.

    Raises:
        UserError: a tool to run is a coroutine function (use `aexecute_tool_calls`), or
            `approve` is a string. Raised before any tool runs.
    """
    steps = _plan(turn, tools, approve, prompts)
    texts = (prompts if prompts is not None else Prompts.default()).adapter
    for step in steps:
        if step.fn is not None and inspect.iscoroutinefunction(step.fn):
            raise UserError(f"tool {step.call.name!r} is async: use aexecute_tool_calls")
    results = []
    with use_decision(turn.decision, turn.conversation.context):
        for step in steps:
            with _step_span(turn, step) as span:
                if step.fn is None:
                    _outcome(turn, span, step, step.outcome)
                    results.append(_tool_message(step.call, step.text))
                    continue
                try:
                    value = step.fn(**step.args)
                    if inspect.isawaitable(value):
                        if inspect.iscoroutine(value):
                            value.close()
                        raise TypeError("the tool returned an awaitable")
                except Exception as exc:  # a tool's failure is reported, not raised
                    _outcome(turn, span, step, "failed")
                    results.append(_tool_message(step.call, _failure_text(step.call, exc, texts)))
                    continue
                _outcome(turn, span, step, "executed")
                results.append(_tool_message(step.call, _result_text(value)))
    return results


async def aexecute_tool_calls(
    turn: GuardedTurn,
    tools: Mapping[str, Callable[..., Any]],
    *,
    approve: Approval = (),
    prompts: Prompts | None = None,
) -> list[ChatCompletionToolMessageParam]:
    """Async twin of `execute_tool_calls`: awaits coroutine tools; plain functions are called.

    Calls run one after another, in the model's order, as the sync version runs them.
    """
    steps = _plan(turn, tools, approve, prompts)
    texts = (prompts if prompts is not None else Prompts.default()).adapter
    results = []
    with use_decision(turn.decision, turn.conversation.context):
        for step in steps:
            with _step_span(turn, step) as span:
                if step.fn is None:
                    _outcome(turn, span, step, step.outcome)
                    results.append(_tool_message(step.call, step.text))
                    continue
                try:
                    value = step.fn(**step.args)
                    if inspect.isawaitable(value):
                        value = await value
                except Exception as exc:  # a tool's failure is reported, not raised
                    _outcome(turn, span, step, "failed")
                    results.append(_tool_message(step.call, _failure_text(step.call, exc, texts)))
                    continue
                _outcome(turn, span, step, "executed")
                results.append(_tool_message(step.call, _result_text(value)))
    return results


def _outcome(turn: GuardedTurn, span: Span, step: _Step, outcome: ToolOutcome) -> None:
    """A call's verdict and outcome, on its span and in the turn's audit log."""
    record_verdict(span, step.call.check, outcome)
    if turn.audit is not None:
        turn.audit.tool_call(step.call.check.as_record(),
                             conversation_id=audit_key(turn.conversation),
                             turn=customer_turn(turn.conversation), outcome=outcome)



def _step_span(turn: GuardedTurn, step: _Step) -> AbstractContextManager[Span]:
    return tool_gate_span(step.call.name, step.call.id, turn.conversation.id)


# -- reading and writing the OpenAI format ------------------------------------------------------


def _kind(value: object) -> str:
    return type(value).__name__


def _as_mapping(message: object, index: int) -> Mapping[str, Any]:
    """A message as a mapping; SDK objects (a returned `ChatCompletionMessage`) are dumped."""
    if isinstance(message, Mapping):
        return message
    if isinstance(message, BaseModel):
        return message.model_dump(mode="json", exclude_none=True)
    raise UserError(f"messages[{index}]: expected a message dict, got {_kind(message)}")


def _text(content: object, index: int, *, optional: bool) -> str:
    """The text of a message content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if content is None and optional:
        return ""
    if isinstance(content, list):
        texts = []
        for number, part in enumerate(content):
            if not isinstance(part, Mapping):
                raise UserError(
                    f"messages[{index}].content[{number}]: expected a content part dict, "
                    f"got {_kind(part)}"
                )
            if part.get("type") in _TEXT_PARTS:
                value = part.get(part["type"])
                if not isinstance(value, str):
                    raise UserError(
                        f"messages[{index}].content[{number}]: {part['type']!r} must be a string"
                    )
                texts.append(value)
        return "\n".join(texts)
    raise UserError(
        f"messages[{index}].content: expected a string or a list of parts, got {_kind(content)}"
    )


def _validated(model: type[Context] | type[Signals], value: object, name: str) -> Any:
    if value is None or isinstance(value, model):
        return value if value is not None else model()
    if not isinstance(value, Mapping):
        raise UserError(f"{name} must be a {model.__name__} or a mapping, got {_kind(value)}")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise UserError(f"invalid {name}: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
    )


def _conversation(
    messages: Sequence[object],
    context: Context | Mapping[str, Any] | None,
    signals: Signals | Mapping[str, Any] | None,
    conversation_id: str | None,
) -> Conversation:
    """The guardrail conversation for an OpenAI message list (operator messages left out)."""
    if conversation_id is not None and not isinstance(conversation_id, str):
        raise UserError(f"conversation_id must be a string, got {_kind(conversation_id)}")
    converted = []
    for index, raw in enumerate(messages):
        message = _as_mapping(raw, index)
        role = message.get("role")
        if role in _OPERATOR_ROLES:
            _text(message.get("content"), index, optional=False)
            continue
        if not isinstance(role, str) or role not in _SCANNED_ROLES:
            raise UserError(f"messages[{index}]: unknown role {role!r}")
        text = _text(message.get("content"), index, optional=role == "assistant")
        converted.append({"role": _SCANNED_ROLES[role], "content": text})
    if not converted:
        raise UserError("messages has no user, assistant or tool message to check")
    try:
        return Conversation.model_validate(
            {
                "id": conversation_id,
                "messages": converted,
                "context": _validated(Context, context, "context"),
                "signals": _validated(Signals, signals, "signals"),
            }
        )
    except ValidationError as exc:
        raise UserError(f"invalid conversation: {_problems(exc)}") from None


def _with_directives(messages: list[Any], text: str) -> list[Any]:
    """A copy of `messages` with `text` added to the first operator message, or in a new one."""
    out = list(messages)
    if not text:
        return out
    for index, raw in enumerate(out):
        message = _as_mapping(raw, index)
        if message.get("role") not in _OPERATOR_ROLES:
            continue
        content = message.get("content")
        if isinstance(content, list):
            merged: object = [*content, {"type": "text", "text": text}]
        else:
            merged = f"{content}\n\n{text}" if content else text
        out[index] = {**message, "content": merged}
        return out
    return [{"role": "system", "content": text}, *out]


def _function_name(tool: Mapping[str, Any]) -> str | None:
    """The name of a function tool spec; None for every other kind of tool."""
    if tool.get("type") != "function":
        return None
    function = tool.get("function")
    if isinstance(function, Mapping) and isinstance(function.get("name"), str):
        return cast(str, function["name"])
    return None


def _tool_choice(choice: object, offered: set[str | None]) -> object | None:
    """`tool_choice` narrowed to the offered tools; None when it names none of them."""
    if choice is None or isinstance(choice, str):
        return choice
    if not isinstance(choice, Mapping):
        return None
    if choice.get("type") == "function":
        return choice if _function_name(choice) in offered else None
    if choice.get("type") == "allowed_tools":
        inner = choice.get("allowed_tools")
        if not isinstance(inner, Mapping) or not isinstance(inner.get("tools"), list):
            return None
        kept = [
            t for t in inner["tools"] if isinstance(t, Mapping) and _function_name(t) in offered
        ]
        if not kept:
            return None
        return {**choice, "allowed_tools": {**inner, "tools": kept}}
    return None  # a custom-tool choice: custom tools are never sent


def _call_parts(call: Any) -> tuple[str, Any]:
    """The tool name and raw arguments of a returned tool call (function or custom)."""
    kind = getattr(call, "type", None)
    if kind == "function":
        return str(call.function.name), call.function.arguments
    if kind == "custom":
        return str(call.custom.name), call.custom.input
    return "", None


def _history_tool_calls(messages: Sequence[object]) -> list[dict[str, Any]]:
    """What the assistant asked to do earlier in the conversation, for the handoff summary.

    The verdicts of earlier turns are not in the history, so each is recorded as requested.
    """
    records = []
    for index, raw in enumerate(messages):
        message = _as_mapping(raw, index)
        calls = message.get("tool_calls") if message.get("role") == "assistant" else None
        for call in calls if isinstance(calls, list) else ():
            if not isinstance(call, Mapping):
                continue
            function = call.get("function")
            if not isinstance(function, Mapping):
                continue
            arguments = function.get("arguments")
            records.append(
                {
                    "tool": str(function.get("name", "")),
                    "action": "requested",
                    "reason_codes": [],
                    "tool_call_id": str(call.get("id", "")),
                    "args": redact(arguments if isinstance(arguments, str) else "", 80),
                }
            )
    return records
