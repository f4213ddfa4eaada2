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

A confirmation approves what the customer was shown: ``approve={call.id: call.args_hash}``
names each call and the hash of its tool and bound arguments (`GatedToolCall.args_hash`), so a
second call under a repeated id, or the same call with other arguments, is not approved. Calls
that share an id in one response are all denied (``policy.duplicate_call_id``). Each tool call
id runs at most once per conversation (claimed before it runs), so calling
`execute_tool_calls` again after a crash never repeats a side effect
(``policy.already_executed``).

``guarded.chat.completions.create(...)`` is the drop-in face of the same turn: the client's own
arguments in, a real `ChatCompletion` out (`GuardedChatCompletion`), or with ``stream=True`` a
stream of chunks whose tool calls are gated before they are sent (`._openai_chat`).
Its ``tool_calls`` hold only what may run now, with bound arguments, so a loop written for the
plain client stays safe; the gated turn is on ``.guardrail``. ``guarded.responses.create(...)``
wraps the Responses API the same way (`guardrail.adapters.openai_responses`).

``tools=[ToolSpec(...)]`` declares the application's own tools into the catalogue; at each create
the function tools offered are checked against it (``undeclared=``) and, when some are bound to
the customer, against the session's ``customer_id`` (``missing_customer=``), before the model is
called (`guardrail.adapters._declared`).

The sync and async clients share one core (`_GuardedCore`); they differ only in how they wait
for the guardrail, the model and the sink. `execute_tool_calls` and `aexecute_tool_calls` share
one core too (`_run`), and differ only in how a tool is called.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from guardrail.adapters._binding import CallLedger, args_hash, repeated
from guardrail.adapters._chat_format import (
    call_parts,
    function_name,
    history_tool_calls,
    kind,
    narrow_tool_choice,
    to_conversation,
    with_directives,
)
from guardrail.adapters._declared import (
    OnProblem,
    check_customer,
    check_declared,
    declare,
    on_problem,
)
from guardrail.adapters._turn import (
    AuditedExits,
    afollow_up,
    ahand_off,
    audit_decision,
    follow_up,
    gate_call,
    gate_span,
    hand_off,
    handoff_reply,
    record_outcome,
    run_span,
    screen_untrusted,
)
from guardrail.audit import AuditLog, ToolOutcome
from guardrail.conversation import Context, Conversation, Signals
from guardrail.decision import Decision, Verdict
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.gate import CallCheck
from guardrail.handoff.sinks import SinkLike
from guardrail.handoff.summary import HandoffSummary
from guardrail.prompts import AdapterPrompts, Prompts
from guardrail.reasons import ADAPTER_CODES
from guardrail.redact import redact
from guardrail.registry import Registry
from guardrail.registry.schema import ToolSpec
from guardrail.retrieval import use_decision

try:
    import openai
    from openai.types.chat import (
        ChatCompletion,
        ChatCompletionAssistantMessageParam,
        ChatCompletionToolMessageParam,
    )

    from guardrail.adapters._openai_chat import (
        AsyncChat,
        AsyncGuardedChatStream,
        Chat,
        GuardedChatCompletion,
        GuardedChatStream,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    from guardrail._install import pip_hint

    raise ImportError(
        f"guardrail.adapters.openai needs the openai package: {pip_hint('llm')}"
    ) from exc

if TYPE_CHECKING:
    from guardrail.adapters.openai_responses import AsyncResponses, Responses

__all__ = [
    "Approval",
    "AsyncGuardedChatStream",
    "AsyncGuardedOpenAI",
    "GatedToolCall",
    "GuardedChatCompletion",
    "GuardedChatStream",
    "GuardedOpenAI",
    "GuardedTurn",
    "aexecute_tool_calls",
    "execute_tool_calls",
]

Approval = Callable[["GatedToolCall"], bool] | Mapping[str, str] | Collection[str]
"""Which confirm-first calls may run: a callback given each call; a mapping of tool_call id to
the `GatedToolCall.args_hash` the customer was shown (the bound form); or a bare collection of
ids, accepted only for an id that is unique in its response and whose arguments are unchanged
since the gate checked them."""

_log = logging.getLogger("guardrail.adapters.openai")

# The legacy function-calling API: its calls would never reach the gate.
_LEGACY_KWARGS = ("functions", "function_call")
# The roles of a tool result in a Chat Completions history ("function" is the legacy one).
_RESULT_ROLES = frozenset({"tool", "function"})


# -- the turn -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GatedToolCall:
    """One tool call the model asked for, with the gate's verdict on it.

    Attributes:
        id: the tool_call id (its result must carry the same id).
        name: the tool name as the model called it.
        check: the gate's answer: action, bound arguments and reasons.
        args_hash: the hash of the tool and its bound arguments when the gate checked them
            (what a confirmation shows); an approval names it.
    """

    id: str
    name: str
    check: CallCheck
    args_hash: str = ""

    def __post_init__(self) -> None:
        if not self.args_hash:
            object.__setattr__(self, "args_hash", args_hash(self.name, self.check.args))

    @property
    def action(self) -> Verdict:
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
    registry: Registry | None = field(default=None, repr=False, compare=False)
    guard: Guardrail | None = field(default=None, repr=False, compare=False)
    ledger: CallLedger = field(default_factory=CallLedger, repr=False, compare=False)
    thread: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False, compare=False)

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


def _offer_tools(
    request: dict[str, Any],
    decision: Decision,
    tools: Sequence[Mapping[str, Any]] | None,
    name_of: Callable[[Mapping[str, Any]], str | None],
    narrow: Callable[[object, set[str | None]], object | None],
) -> dict[str, Any]:
    """`request` with only the decision's tools (named by `name_of`; any other kind of tool is
    dropped) and its ``tool_choice`` narrowed to them by `narrow`, or with neither."""
    visible = set(decision.allowed_tools) | set(decision.confirm_tools)
    kept = [t for t in tools or () if name_of(t) in visible]
    if kept:
        request["tools"] = kept
        choice = narrow(request.get("tool_choice"), {name_of(t) for t in kept})
        if choice is None:
            request.pop("tool_choice", None)
        else:
            request["tool_choice"] = choice
    else:
        # The API rejects these without tools, and there is nothing left to choose from.
        for key in ("tools", "tool_choice", "parallel_tool_calls"):
            request.pop(key, None)
    return request


@dataclass(frozen=True, slots=True)
class _Prepared:
    conversation: Conversation
    messages: list[Any]
    tools: list[Mapping[str, Any]] | None
    kwargs: dict[str, Any]


class _GuardedCore(AuditedExits):
    """Everything but the waiting: input checks, the request, the handoff and the gating."""

    def __init__(
        self,
        guard: Guardrail | None,
        prompts: Prompts | None,
        sink: SinkLike | None,
        audit: AuditLog | str | Path | None = None,
        tools: Sequence[ToolSpec] = (),
        undeclared: OnProblem = "error",
        missing_customer: OnProblem = "warn",
    ) -> None:
        self.guard = guard if guard is not None else Guardrail.from_defaults()
        self.prompts = prompts if prompts is not None else Prompts.default()
        self.sink = sink
        self.audit = audit if isinstance(audit, AuditLog | None) else AuditLog(audit)
        self.undeclared = on_problem(undeclared, "undeclared")
        self.missing_customer = on_problem(missing_customer, "missing_customer")
        if not all(isinstance(tool, ToolSpec) for tool in tools):
            raise UserError("tools must be a list of guardrail.ToolSpec (the catalogue entries"
                            " of the agent's tools); the tool dicts go to create(tools=...)")
        declare(self.guard, tools)
        # The tool sets already checked (and warned about), so a warning comes once per set.
        self._checked_tools: set[tuple[str, frozenset[str], bool]] = set()
        # The tool call ids run so far, per conversation id; without an id, per turn.
        self.ledger = CallLedger()
        # Tool-message texts already screened, by policy version and the text's digest: a history
        # sent back every turn is screened once per tool message, not once per turn (principle 7).
        self._screen_memo: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self._screen_lock = threading.Lock()

    def _check_tools(self, names: Collection[str], customer_id: str | None) -> None:
        """The tools offered this turn against the catalogue and the session's customer: a
        `UndeclaredToolError` / `MissingCustomerError`, or a warning once per tool set."""
        key = (self.guard.registry.version, frozenset(names), bool(customer_id))
        if not names or key in self._checked_tools:
            return
        check_declared(self.guard, names, self.undeclared)
        check_customer(self.guard, names, customer_id, self.missing_customer)
        if len(self._checked_tools) < _CHECKED_TOOL_SETS:
            self._checked_tools.add(key)

    def _audited(self, prepared: _Prepared, decision: Decision) -> Decision:
        audit_decision(self.audit, decision, prepared.conversation)
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
            raise UserError(f"messages must be a list of message dicts, got {kind(messages)}")
        if tools is not None and not (
            isinstance(tools, list | tuple) and all(isinstance(t, Mapping) for t in tools)
        ):
            raise UserError("tools must be a list of tool dicts")
        if kwargs.get("stream"):
            raise UserError("stream=True: create returns a whole turn; stream with"
                            " chat.completions.create(stream=True), which gates each tool call")
        if kwargs.get("n") not in (None, 1):
            raise UserError("n must be 1: only one choice can be gated and returned")
        for name in _LEGACY_KWARGS:
            if name in kwargs:
                raise UserError(f"{name}= is the legacy function API and is not gated; use tools=")
        conversation = to_conversation(messages, context, signals, conversation_id)
        names = [function_name(t) for t in tools or ()]
        self._check_tools([n for n in names if n], conversation.context.customer_id)
        return _Prepared(
            conversation, list(messages), None if tools is None else list(tools), kwargs
        )

    def _handoff_turn(
        self, prepared: _Prepared, decision: Decision, handed: tuple[HandoffSummary, str]
    ) -> GuardedTurn:
        """The turn when a human takes over: the handoff message instead of the model's reply
        (a status reply on later turns, when the summary is not sent again)."""
        summary, delivery = handed
        message: ChatCompletionAssistantMessageParam = {
            "role": "assistant",
            "content": handoff_reply(self.prompts, decision, prepared.conversation, self.sink),
        }
        return GuardedTurn(
            decision=decision,
            conversation=prepared.conversation,
            message=message,
            handoff=summary,
            delivery=delivery,
        )

    def _request(self, prepared: _Prepared, decision: Decision) -> dict[str, Any]:
        """The request for the model: the decision's directives, tools and tool choice."""
        request = dict(prepared.kwargs)
        request["messages"] = with_directives(
            [self._screened(m) for m in prepared.messages], self.prompts.system_text(decision)
        )
        return _offer_tools(request, decision, prepared.tools, function_name, narrow_tool_choice)

    def _screened(self, message: Any) -> Any:
        """`message`, with an instruction planted in a tool result (``tool``, or the legacy
        ``function`` role) withheld (the application may have run the tool itself); any other
        message as it is."""
        if not isinstance(message, Mapping) or message.get("role") not in _RESULT_ROLES:
            return message
        content = message.get("content")
        name = str(message.get("name") or message.get("tool_call_id") or "tool")
        if isinstance(content, str):
            text = self._screen_text(content, name)
            return message if text is content else {**message, "content": text}
        if isinstance(content, list):
            parts = [
                {**part, "text": self._screen_text(part["text"], name)}
                if isinstance(part, Mapping) and isinstance(part.get("text"), str) else part
                for part in content
            ]
            return {**message, "content": parts}
        return message

    def _screen_text(self, text: str, name: str) -> str:
        """`text` as the model may read it (itself when clean), screened once per policy."""
        # Keyed by a digest: the memo holds no tool output (personal data, megabytes of it).
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        key = (self.guard.registry.version, digest)
        with self._screen_lock:
            known = self._screen_memo.get(key)
        if known is not None:
            return text if known is _CLEAN else known
        screened = screen_untrusted(self.guard, text, self.prompts.adapter, name)
        with self._screen_lock:
            self._screen_memo[key] = screened.text if screened.flagged else _CLEAN
            while len(self._screen_memo) > _SCREEN_MEMO:
                self._screen_memo.popitem(last=False)
        return screened.text if screened.flagged else text

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
        calls = [(str(getattr(call, "id", "")), *call_parts(call)) for call in raw_calls]
        return self._gated(prepared, decision, message, calls, completion)

    def _gated(
        self,
        prepared: _Prepared,
        decision: Decision,
        message: Mapping[str, Any],
        calls: Sequence[tuple[str, str, Any]],
        completion: ChatCompletion | None = None,
    ) -> GuardedTurn:
        """The turn of a model reply: `message` (Chat Completions form) and its `calls`, each
        (id, tool name, raw arguments), checked by the gate in order."""
        shared = repeated(call_id for call_id, _, _ in calls)
        gated = []
        for call_id, name, arguments in calls:
            check = gate_call(self.guard, decision, prepared.conversation, name, arguments)
            if call_id in shared:  # which of them would an approval or a result belong to?
                check = CallCheck.deny("policy.duplicate_call_id", name, check.args,
                                       detail=f"id {redact(call_id, 40)!r}",
                                       reasons=check.reasons)
            gated.append(GatedToolCall(id=call_id, name=name, check=check))
        thread = prepared.conversation.id
        return GuardedTurn(
            decision=decision,
            conversation=prepared.conversation,
            message=cast(ChatCompletionAssistantMessageParam, message),
            completion=completion,
            tool_calls=gated,
            audit=self.audit,
            registry=self.guard.registry,
            guard=self.guard,
            ledger=self.ledger,
            thread=thread if thread is not None else uuid.uuid4().hex,
        )


class GuardedOpenAI(_GuardedCore):
    """A guarded `openai.OpenAI`: Chat Completions with the turn's tools, directives and handoff.

    Args:
        client: the OpenAI client that makes the model call.
        guard: the guardrail; default `Guardrail.from_defaults()`.
        prompts: directive texts and adapter messages; default the shipped ``prompts/``.
        sink: where handoff summaries go (a `HandoffSink` or a callable); None keeps none.
            The async client awaits an async sink.
        audit: an `AuditLog` (or its path): a record per decision, per executed or refused
            tool call (through `execute_tool_calls`) and per handoff.
        tools: `ToolSpec` catalogue entries for the application's own tools (their effects
            and customer arguments), declared into `guard`.
        undeclared: at each create, a function tool in ``tools=`` the catalogue lacks would be
            hidden and denied (``policy.unknown_tool``): ``error`` raises
            `UndeclaredToolError` before the model is called, ``warn`` logs once per tool set.
        missing_customer: customer-bound tools offered in a session whose context has no
            ``customer_id`` are denied on every call: ``warn`` logs once per tool set,
            ``error`` raises `MissingCustomerError`.

    Attributes:
        chat: ``chat.completions.create`` as the client has it, returning a `ChatCompletion`
            (`GuardedChatCompletion`) or, with ``stream=True``, a stream of chunks.
        responses: ``responses.create`` for the Responses API
            (`guardrail.adapters.openai_responses`).
    """

    def __init__(
        self,
        client: openai.OpenAI,
        guard: Guardrail | None = None,
        *,
        prompts: Prompts | None = None,
        sink: SinkLike | None = None,
        audit: AuditLog | str | Path | None = None,
        tools: Sequence[ToolSpec] = (),
        undeclared: OnProblem = "error",
        missing_customer: OnProblem = "warn",
    ) -> None:
        super().__init__(guard, prompts, sink, audit, tools, undeclared, missing_customer)
        self.client = client
        self.chat = Chat(self)

    @property
    def responses(self) -> Responses:
        """``responses.create`` for the Responses API, gated like `chat`."""
        # Imported here: that module builds on this one.
        from guardrail.adapters.openai_responses import Responses

        return Responses(self)

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
        decision, handed = self._begin(prepared)
        if handed is not None:
            return handed
        request = self._request(prepared, decision)
        completion: ChatCompletion = self.client.chat.completions.create(**request)
        return self._finish(prepared, decision, completion)

    def _begin(self, prepared: _Prepared) -> tuple[Decision, GuardedTurn | None]:
        """The turn's decision, and the handoff turn when a human must take over now."""
        decision = self._audited(prepared, self.guard.check(prepared.conversation))
        if not decision.handoff.required:
            follow_up(decision, prepared.conversation, self.sink)  # a request withdrawn?
            return decision, None
        handed = hand_off(decision, prepared.conversation,
                          history_tool_calls(prepared.messages), self.sink, self.audit)
        return decision, self._handoff_turn(prepared, decision, handed)


class AsyncGuardedOpenAI(_GuardedCore):
    """The async twin of `GuardedOpenAI`, around `openai.AsyncOpenAI`.

    Args:
        client: the async OpenAI client that makes the model call.
        guard: the guardrail; default `Guardrail.from_defaults()`.
        prompts: directive texts and adapter messages; default the shipped ``prompts/``.
        sink: where handoff summaries go (a `HandoffSink` or a callable); None keeps none.
            The async client awaits an async sink.
        audit: an `AuditLog` (or its path): a record per decision, per executed or refused
            tool call (through `execute_tool_calls`) and per handoff.
        tools: `ToolSpec` entries declared into `guard`, as for `GuardedOpenAI`.
        undeclared: ``error`` or ``warn``, as for `GuardedOpenAI`.
        missing_customer: ``warn`` or ``error``, as for `GuardedOpenAI`.

    Attributes:
        chat: the async twin of `GuardedOpenAI.chat` (``await ...create(...)``; a stream is
            iterated with ``async for``).
        responses: the async twin of `GuardedOpenAI.responses`.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        guard: Guardrail | None = None,
        *,
        prompts: Prompts | None = None,
        sink: SinkLike | None = None,
        audit: AuditLog | str | Path | None = None,
        tools: Sequence[ToolSpec] = (),
        undeclared: OnProblem = "error",
        missing_customer: OnProblem = "warn",
    ) -> None:
        super().__init__(guard, prompts, sink, audit, tools, undeclared, missing_customer)
        self.client = client
        self.chat = AsyncChat(self)

    @property
    def responses(self) -> AsyncResponses:
        """``responses.create`` for the Responses API, gated like `chat`."""
        # Imported here: that module builds on this one.
        from guardrail.adapters.openai_responses import AsyncResponses

        return AsyncResponses(self)

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
        decision, handed = await self._abegin(prepared)
        if handed is not None:
            return handed
        request = self._request(prepared, decision)
        completion: ChatCompletion = await self.client.chat.completions.create(**request)
        return self._finish(prepared, decision, completion)

    async def _abegin(self, prepared: _Prepared) -> tuple[Decision, GuardedTurn | None]:
        """Async twin of `GuardedOpenAI._begin`."""
        decision = self._audited(prepared, await self.guard.acheck(prepared.conversation))
        if not decision.handoff.required:
            await afollow_up(decision, prepared.conversation, self.sink)
            return decision, None
        handed = await ahand_off(decision, prepared.conversation,
                                 history_tool_calls(prepared.messages), self.sink, self.audit)
        return decision, self._handoff_turn(prepared, decision, handed)


# -- running the tool calls ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    """One tool call's fate: run `fn` with `args`, or answer with `text` without running."""

    call: GatedToolCall
    fn: Callable[..., Any] | None = None
    args: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    outcome: ToolOutcome = "executed"  # for a call that does not run: denied, not_run, declined


def _approved(call: GatedToolCall, approve: Approval) -> bool:
    """Whether `approve` approves `call` as it was shown (its arguments already checked to be
    unchanged since gating, and its id unique in its response)."""
    if callable(approve):
        return bool(approve(call))
    if isinstance(approve, Mapping):
        return approve.get(call.id) == call.args_hash
    return call.id in approve


def _refusal(call: GatedToolCall, code: str, texts: AdapterPrompts) -> str:
    return texts.tool_denied.format(tool=call.name, code=code, reason=ADAPTER_CODES[code])


def _plan(
    turn: GuardedTurn,
    tools: Mapping[str, Callable[..., Any]],
    approve: Approval,
    prompts: Prompts | None,
) -> list[_Step]:
    """Decide every call before any runs, so a bad argument raises before a side effect."""
    if isinstance(approve, str) or not (callable(approve) or isinstance(approve, Collection)):
        raise UserError(
            "approve must be a callable, a mapping of tool_call id to args_hash or a collection"
            f" of tool_call ids, got {kind(approve)}"
        )
    texts = (prompts if prompts is not None else Prompts.default()).adapter
    steps = []
    for call in turn.tool_calls:
        check = call.check
        fn = tools.get(call.name)
        # What runs is a copy taken now, so nothing changes it between this check and the call.
        args = copy.deepcopy(check.args)
        if check.action == "deny":
            text = texts.tool_denied.format(
                tool=call.name, code=check.code, reason=check.explanation()
            )
            steps.append(_Step(call, text=text, outcome="denied"))
        elif args_hash(call.name, args) != call.args_hash:
            text = _refusal(call, "policy.arguments_changed", texts)
            steps.append(_Step(call, text=text, outcome="denied"))
        elif fn is None:
            text = _refusal(call, "policy.tool_unavailable", texts)
            steps.append(_Step(call, text=text, outcome="not_run"))
        elif check.action == "confirm" and not _approved(call, approve):
            text = texts.confirmation_declined.format(
                tool=call.name,
                code="policy.confirmation_declined",
                reason=ADAPTER_CODES["policy.confirmation_declined"],
            )
            steps.append(_Step(call, text=text, outcome="declined"))
        else:
            steps.append(_Step(call, fn=fn, args=args))
    return steps


# How many offered tool sets a wrapper remembers as checked.
_CHECKED_TOOL_SETS = 1024
# How many screened tool-message texts a wrapper remembers, and the mark of a clean one.
_SCREEN_MEMO = 4096
_CLEAN = "\x00clean"


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
    # needs to know that it failed, not why in detail. Operators get the type and the redacted
    # message in the log (a traceback would print the message unredacted).
    _log.warning("tool %s (%s) failed: %s: %s", call.name, redact(call.id, 80),
                 type(exc).__name__, redact(str(exc), 240))
    return texts.tool_failed.format(tool=call.name, error=type(exc).__name__)


_Results = list[ChatCompletionToolMessageParam]
# What running a tool gave: its value, or the exception it raised.
_Ran = tuple[object, Exception | None]
# The core yields each step to run and is sent back what running it gave.
_Runner = Generator[_Step, _Ran, _Results]


def _run(turn: GuardedTurn, steps: list[_Step], prompts: Prompts | None) -> _Runner:
    """Every step in order, inside its span: yields the steps to run, records each outcome."""
    texts = (prompts if prompts is not None else Prompts.default()).adapter
    results: _Results = []
    with use_decision(turn.decision, turn.conversation.context, turn.registry):
        for planned in steps:
            step = planned
            if step.fn is not None and not turn.ledger.claim(turn.thread, step.call.id):
                again = CallCheck.deny("policy.already_executed", step.call.name, step.args,
                                       reasons=step.call.check.reasons)
                step = _Step(replace(step.call, check=again), outcome="denied",
                             text=_refusal(step.call, "policy.already_executed", texts))
            with gate_span(step.call.name, step.call.id, turn.conversation) as span:
                if step.fn is None:
                    record_outcome(span, step.call.check, step.outcome, turn.audit,
                                   turn.conversation)
                    results.append(_tool_message(step.call, step.text))
                    continue
                value, exc = yield step
                if exc is not None:  # a tool's failure is reported, not raised
                    record_outcome(span, step.call.check, "failed", turn.audit,
                                   turn.conversation)
                    results.append(_tool_message(step.call, _failure_text(step.call, exc, texts)))
                    continue
                record_outcome(span, step.call.check, "executed", turn.audit, turn.conversation)
                text = _result_text(value)
                if turn.guard is not None:  # an instruction planted in the result is withheld
                    text = screen_untrusted(turn.guard, text, texts, step.call.name).text
                results.append(_tool_message(step.call, text))
    return results


def _call(step: _Step) -> _Ran:
    """Run a step's tool synchronously; an awaitable it returns is a failure, never left open."""
    assert step.fn is not None  # the core yields only the steps that run
    try:
        with run_span(step.call.name, step.call.id):
            value = step.fn(**step.args)
            if inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()
                raise TypeError("the tool returned an awaitable")
    except Exception as exc:
        return None, exc
    return value, None


async def _acall(step: _Step) -> _Ran:
    """Run a step's tool, awaiting it when it is async."""
    assert step.fn is not None  # the core yields only the steps that run
    try:
        with run_span(step.call.name, step.call.id):
            value = step.fn(**step.args)
            if inspect.isawaitable(value):
                value = await value
    except Exception as exc:
        return None, exc
    return value, None


def execute_tool_calls(
    turn: GuardedTurn,
    tools: Mapping[str, Callable[..., Any]],
    *,
    approve: Approval = (),
    prompts: Prompts | None = None,
) -> list[ChatCompletionToolMessageParam]:
    """Run the turn's tool calls as gated, and return one tool message per call, in order.

    Allowed calls run with the gate's bound arguments; confirm-first calls run only when
    `approve` says so; denied calls, calls with no implementation in `tools`, calls whose
    arguments changed since the gate checked them and declined confirmations get a message
    saying why instead. A tool that raises gets a message naming the exception type. Every
    tool_call id gets exactly one result, so the history stays valid, and runs at most once per
    conversation: calling this again (say, after a crash) answers a call that already ran with
    ``policy.already_executed`` instead of running it twice. Audit failures never raise here.

    Args:
        turn: the turn `GuardedOpenAI.create` returned.
        tools: tool name -> function, called with keyword arguments.
        approve: a callback given each confirm-first call; ``{call.id: call.args_hash}`` for
            each call the customer approved as shown; or (legacy) the bare ids approved, good
            only while the arguments are those the gate checked.
        prompts: the texts for the messages; default the shipped ``prompts/``.

    Returns:
        ``{"role": "tool", "tool_call_id": ..., "content": ...}`` for each call of the turn.

    Raises:
        UserError: a tool to run is a coroutine function (use `aexecute_tool_calls`), or
            `approve` is a string. Raised before any tool runs.
    """
    steps = _plan(turn, tools, approve, prompts)
    for step in steps:
        if step.fn is not None and inspect.iscoroutinefunction(step.fn):
            raise UserError(f"tool {step.call.name!r} is async: use aexecute_tool_calls")
    runner = _run(turn, steps, prompts)
    try:
        step = next(runner)
        while True:
            step = runner.send(_call(step))
    except StopIteration as done:
        return cast(_Results, done.value)


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
    runner = _run(turn, _plan(turn, tools, approve, prompts), prompts)
    try:
        step = next(runner)
        while True:
            step = runner.send(await _acall(step))
    except StopIteration as done:
        return cast(_Results, done.value)
