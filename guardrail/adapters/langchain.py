"""guardrail as LangChain agent middleware: one line added to an agent you already have.

```python
from langchain.agents import create_agent
from guardrail.adapters.langchain import GuardrailMiddleware

agent = create_agent(model, tools, middleware=[GuardrailMiddleware(context={"customer_id": "c_1"})])
```

On every model call the turn is classified and the model is shown only the tools it may use,
with the decision's directives added to its system message. Every tool call is checked again
before it runs (a model can call a tool it was never shown): denied calls get a `ToolMessage`
carrying the reason code, identifier arguments are bound to the session's customer, and tools
that need consent pause the run through LangGraph's `interrupt` (with a checkpointer). When a
human must take over, the model is not called: the run ends with the handoff message from
``prompts/adapter.yaml`` and the handoff summary goes to the sink. The decision, the gate's
decision and the handoff are kept in the agent state (`guardrail`, `guardrail_handoff`); the
gate's verdict for each call rides on its `ToolMessage` (``response_metadata["guardrail"]``), and
`tool_verdicts(messages)` lists them.

Every message the model reads is read: a `ChatMessage` is read by its role (any role but
``system``/``developer`` is the customer's unless it is an assistant or tool role), chunks like
their messages. A confirmation binds to what the customer was shown: the interrupt carries the
call's ``args_hash``, and a bare ``True`` approves the arguments shown at the interrupt, never
others (after a restart, or in another worker, resume with
``{"approved": True, "args_hash": ...}``). Calls that share an id in one model response are all
denied (``policy.duplicate_call_id``), and a tool call id runs at most once per thread, claimed
right before it runs (``policy.already_executed``): retrying a run that crashed never repeats a
side effect.

The consent interrupt is also a `HumanInTheLoopMiddleware` request (``action_requests``,
``review_configs``) and takes HITL's decisions: approve, reject (its message kept, redacted, with
the refusal) and edit (the edited call gated again); anything unreadable is a decline. Given
the agent's HITL middleware (``hitl=``), the calls the gate asks about or refuses are skipped
by it, so each call pauses once in either order, and a HITL reviewer's edit is the call gated.

Tools the catalogue lacks are declared with ``tools=[ToolSpec(...)]``; an agent tool still
missing is an `UndeclaredToolError` at `check_tools` (or the first model call) unless
``undeclared="warn"``, and a session without a customer while customer-bound tools exist is
reported (``missing_customer``), not silently denied.

Only `wrap_model_call` and `wrap_tool_call` are used: they are the cheapest hooks LangChain
offers, and both have async twins that share one core with the sync ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NotRequired, TypeVar, cast

from langchain.agents.middleware import (
    AgentMiddleware,
    AgentState,
    HumanInTheLoopMiddleware,
    ModelRequest,
    ModelResponse,
)
from langchain.agents.middleware.types import ExtendedModelResponse, ModelCallResult
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.config import get_config
from langgraph.errors import GraphBubbleUp, GraphInterrupt
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt
from opentelemetry.trace import INVALID_SPAN, Span
from pydantic import BaseModel, ValidationError

from guardrail._yaml import describe
from guardrail.adapters._binding import CallLedger, args_hash, read_resume, repeated
from guardrail.adapters._build import built_conversation, built_message
from guardrail.adapters._chat_format import OPERATOR_ROLES, SCANNED_ROLES
from guardrail.adapters._declared import check_customer, check_declared, declare, on_problem
from guardrail.adapters._hitl import (
    HITL_EDITS,
    consent_decisions,
    consent_request,
    edit_notice,
    hitl_edits,
    read_review,
    reviewed,
    stand_in,
    unlinked,
)
from guardrail.adapters._turn import (
    ALREADY_HANDED_OFF,
    AuditedExits,
    afollow_up,
    ahand_off,
    audit_decision,
    follow_up,
    gate_call,
    gate_span,
    hand_off,
    handoff_news,
    handoff_reply,
    known_fields,
    record_outcome,
    record_run_error,
    run_span,
    screen_untrusted,
)
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.audit import AuditLog, audit_key
from guardrail.conversation import Context, Conversation, Message, Role, Signals
from guardrail.decision import Decision, Verdict
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.gate import CallCheck
from guardrail.handoff.sinks import SinkLike
from guardrail.handoff.summary import HandoffSummary
from guardrail.prompts import Prompts
from guardrail.registry.schema import ToolSpec
from guardrail.retrieval import use_decision

__all__ = [
    "GuardrailMiddleware",
    "GuardrailState",
    "ScopedRetriever",
    "decision_view",
    "tool_verdicts",
]

ContextSource = Context | Mapping[str, Any] | Callable[[Any], Any] | None
SignalsSource = Signals | Mapping[str, Any] | Callable[[Any], Any] | None

# LangGraph keeps the run's checkpointer under this configurable key; without one an interrupt
# could never be resumed, so a confirmation cannot be asked for and the call is denied instead.
_CHECKPOINTER_KEY = "__pregel_checkpointer"
# The ToolMessage.response_metadata key holding the gate's record (and, under "quarantine", the
# reason codes of a result whose planted instruction was withheld).
_META = "guardrail"
_MAX_THREADS = 10_000  # converted histories kept (least recently used dropped first)
_MAX_TOOL_SETS = 1_024  # tool sets remembered as checked (past it, warnings may repeat)
_M = TypeVar("_M", bound=BaseModel)


class GuardrailState(AgentState[Any]):
    """The agent state keys the middleware writes.

    Attributes:
        guardrail: the latest decision, as `decision_view` renders it.
        guardrail_handoff: the handoff summary and how its delivery went, once a human is
            taking over.

    The gate's verdict on each tool call (allowed, confirmed, declined or denied, with reason
    codes and redacted arguments) is in the call's `ToolMessage`, under
    ``response_metadata["guardrail"]``: see `tool_verdicts`.
    """

    guardrail: NotRequired[dict[str, Any]]
    guardrail_handoff: NotRequired[dict[str, Any] | None]


def tool_verdicts(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Every gated tool call in `messages`, in order: the gate's record of each."""
    return [
        m.response_metadata[_META]
        for m in messages
        if isinstance(m, ToolMessage) and _META in m.response_metadata
    ]


def decision_view(decision: Decision) -> dict[str, Any]:
    """The JSON-ready slice of a decision kept in the agent state (`Decision.view`, confidence
    rounded for reading)."""
    view = decision.view()
    view["need_confidence"] = round(decision.need_confidence, 3)
    return view


def _text(content: Any) -> str:
    """The text of a LangChain message content (a string or a list of content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping) and isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "\n".join(parts)
    return ""


def _role(message: BaseMessage) -> Role | None:
    """Who wrote `message`, as guardrail reads it; None for the operator's system prompt and
    the gate's refusals of tool calls.

    Whatever the model reads as text is read here: a `ChatMessage` by its role, a role nobody
    defined as the customer's (fail closed: unscanned text is what an attacker would use), a
    chunk as its message, and any other message class as the customer's.
    """
    if isinstance(message, SystemMessage | RemoveMessage):
        return None
    if isinstance(message, ChatMessage):  # ChatMessageChunk too
        if message.role in OPERATOR_ROLES:
            return None
        return SCANNED_ROLES.get(message.role, "user")
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ToolMessage) and _refused(message):
        return None  # the gate's own refusal: the operator's words, not the tool's
    if isinstance(message, ToolMessage | FunctionMessage):
        return "tool"
    return "user"


def _refused(message: ToolMessage) -> bool:
    """True when `message` is the gate's refusal of a call (its record says ``deny``)."""
    record = message.response_metadata.get(_META)
    return isinstance(record, Mapping) and record.get("action") == "deny"


def _shared_call_id(messages: Sequence[Any], call_id: str | None) -> bool:
    """Whether the model response holding `call_id` gave that id to more than one call."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            ids = [c.get("id") for c in message.tool_calls]
            if call_id in ids:
                return call_id in repeated(ids)
    return False


def _tool_name(tool: Any) -> str | None:
    name = getattr(tool, "name", None)
    if isinstance(name, str):
        return name
    if isinstance(tool, Mapping):
        if isinstance(tool.get("name"), str):
            return cast(str, tool["name"])
        function = tool.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return cast(str, function["name"])
    return None


def _thread_id() -> str | None:
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # called outside a graph run
        return None
    thread = configurable.get("thread_id")
    return None if thread is None else str(thread)


def _has_checkpointer() -> bool:
    try:
        return get_config().get("configurable", {}).get(_CHECKPOINTER_KEY) is not None
    except RuntimeError:
        return False


class GuardrailMiddleware(AuditedExits, AgentMiddleware[GuardrailState, Any, Any]):
    """Gate a LangChain agent's tools, retrieval and handoff with a guardrail decision.

    Args:
        guard: the guardrail; default `Guardrail.from_defaults()` (shipped registry and model).
        context: the session's stable context (a `Context`, a mapping, or a callable taking the
            LangGraph runtime and returning either). Default: the runtime context of the agent
            when it is a `Context`, a mapping, or an object with `Context` attributes.
            `customer_id` is what identifier arguments are bound to.
        signals: behavioural signals, in the same forms.
        sink: where handoff summaries go (a `HandoffSink` or a callable); the async hooks
            await an async one.
        prompts: texts for directives and messages; default the shipped ``prompts/``.
        audit: an `AuditLog` (or its path): one record per new decision, per gated tool call
            (with its outcome) and per handoff delivered.
        tools: `ToolSpec`s for the agent's tools the catalogue lacks, declared into `guard`
            now (`Guardrail.declare_tools`).
        undeclared: ``"error"`` (default) or ``"warn"``: what an agent tool the catalogue lacks
            does, found by `check_tools` or else at the first model call (such a tool is
            hidden from the model and every call to it denied).
        missing_customer: ``"warn"`` (default: anonymous sessions are legitimate) or
            ``"error"``: what a session without ``customer_id`` does when the agent has
            customer-bound tools (every call to them is denied either way).
        hitl: the agent's `HumanInTheLoopMiddleware`, if it has one. The calls this gate asks
            consent for (or refuses) are then skipped by it, so a call is paused once, by
            the gate's interrupt, which it renders and whose answer counts for both.

    Raises:
        UserError: an invalid `tools`, `undeclared`, `missing_customer` or `hitl` (and, at run
            time, invalid context or signals).
        UndeclaredToolError: at the first model call, when ``undeclared="error"`` and the
            agent has a tool the catalogue lacks (a configuration error: call `check_tools`
            right after ``create_agent`` to get it before any customer does).
        MissingCustomerError: at a model call, when ``missing_customer="error"``, the
            session has no ``customer_id`` and the agent has customer-bound tools.
    """

    state_schema = GuardrailState

    def __init__(
        self,
        guard: Guardrail | None = None,
        *,
        context: ContextSource = None,
        signals: SignalsSource = None,
        sink: SinkLike | None = None,
        prompts: Prompts | None = None,
        audit: AuditLog | str | Path | None = None,
        tools: Sequence[ToolSpec] = (),
        undeclared: str = "error",
        missing_customer: str = "warn",
        hitl: HumanInTheLoopMiddleware[Any, Any, Any] | None = None,
    ) -> None:
        super().__init__()
        self.guard = guard if guard is not None else Guardrail.from_defaults()
        # Not `self.tools`: on an AgentMiddleware that names tools it adds to the agent.
        if any(not isinstance(spec, ToolSpec) for spec in tools):
            raise UserError("GuardrailMiddleware: tools= takes ToolSpec declarations; pass the "
                            "agent's own tools to check_tools()")
        declare(self.guard, tools)
        self._undeclared = on_problem(undeclared, "undeclared")
        self._missing_customer = on_problem(missing_customer, "missing_customer")
        # Tool sets checked (or warned about) already, so a warning is logged once per set.
        self._checked: set[frozenset[str]] = set()
        self._anonymous: set[frozenset[str]] = set()
        if hitl is not None and not isinstance(hitl, HumanInTheLoopMiddleware):
            raise UserError("GuardrailMiddleware: hitl= takes the agent's "
                            f"HumanInTheLoopMiddleware, not {type(hitl).__name__}")
        self._hitl = hitl
        self._told_unlinked = False
        # The id of the call whose tool runs below this middleware now (see `stand_in`).
        self._running_call: ContextVar[str | None] = ContextVar(
            f"guardrail_running_call_{id(self)}", default=None)
        if hitl is not None:
            stand_in(hitl, self._gates_itself, self._running_call)
        self.prompts = prompts if prompts is not None else Prompts.default()
        self.sink = sink
        self.audit = audit if isinstance(audit, AuditLog | None) else AuditLog(audit)
        self._audited: OrderedDict[str, Decision] = OrderedDict()
        self._context = context
        self._signals = signals
        # A fixed context or signals is validated once, here: a bad one fails at construction.
        # No signals is fixed too (the defaults), where no context means the agent's own.
        self._static_context = (
            _validated(Context, context, None, "context") if _fixed(context) else None)
        self._static_signals = (
            _validated(Signals, signals, None, "signals")
            if signals is None or _fixed(signals) else None)
        self._seen: OrderedDict[str, tuple[list[str | None], list[Message]]] = OrderedDict()
        self._seen_lock = threading.Lock()
        # The hash of each call shown at an interrupt, per (thread, id).
        self._shown: OrderedDict[tuple[str | None, str | None], str] = OrderedDict()
        self._ledger = CallLedger()
        self._paused: OrderedDict[tuple[str, str], bool] = OrderedDict()
        # The calls HITL skipped because this gate said it would ask or refuse (`_gates_itself`).
        self._stood_in: OrderedDict[tuple[str | None, str | None], None] = OrderedDict()
        self._last_view: tuple[Decision, dict[str, Any]] | None = None

    # -- reading the turn ---------------------------------------------------------------------

    def _resolve_context(self, runtime: Any) -> Context:
        if self._static_context is not None:
            return self._static_context
        source: Any = self._context
        if source is None:  # the agent's own runtime context: take the fields guardrail knows
            source = getattr(runtime, "context", None)
            if source is not None and not isinstance(source, Context):
                source = known_fields(source)
        return _validated(Context, source, runtime, "context")

    def _resolve_signals(self, runtime: Any) -> Signals:
        if self._static_signals is not None:
            return self._static_signals
        return _validated(Signals, self._signals, runtime, "signals")

    def _conversation(self, messages: Sequence[AnyMessage], runtime: Any) -> Conversation:
        thread = _thread_id()
        return built_conversation(thread, self._converted(thread, messages),
                                  self._resolve_context(runtime), self._resolve_signals(runtime))

    def _converted(self, thread: str | None, messages: Sequence[AnyMessage]) -> list[Message]:
        """The messages as guardrail reads them, converting only those not seen before.

        Per thread, the converted prefix is reused when its first and last message ids are
        where they were (the engine's own test for "same conversation"), so a long
        conversation costs what its new messages cost (DESIGN principle 7).
        """
        cached = self._seen.get(thread) if thread is not None else None
        start, ids, out = 0, list[str | None](), list[Message]()
        if cached is not None:
            old_ids, old_out = cached
            n = len(old_ids)
            if 0 < n <= len(messages) and messages[0].id == old_ids[0] and (
                messages[n - 1].id == old_ids[-1]
            ) and old_ids[-1] is not None:
                start, ids, out = n, list(old_ids), list(old_out)
        for message in messages[start:]:
            ids.append(message.id)
            role = _role(message)
            if role is not None:  # the operator's system prompt is not the customer's turn
                out.append(built_message(role, _text(message.content)))
        if thread is not None:
            with self._seen_lock:
                self._seen[thread] = (ids, out)
                self._seen.move_to_end(thread)
                while len(self._seen) > _MAX_THREADS:
                    self._seen.popitem(last=False)
        return out or [built_message("user", "")]

    def decide(self, messages: Sequence[AnyMessage], runtime: Any = None) -> Decision:
        """The decision for `messages` (an agent state's messages), as the hooks make it."""
        return self.guard.check(self._conversation(messages, runtime))

    def check_call(
        self, messages: Sequence[AnyMessage], tool: str, args: Any, runtime: Any = None
    ) -> CallCheck:
        """What the gate says about calling `tool` with `args` after `messages`."""
        conv = self._conversation(messages, runtime)
        return gate_call(self.guard, self.guard.check(conv), conv, tool, args)

    def check_tools(self, tools: Iterable[Any]) -> list[str]:
        """Check the agent's tools against the tool catalogue now, before any customer.

        Call it right after ``create_agent`` with the tools given to it: otherwise the check
        happens at the first model call, in front of the first customer. With a fixed
        ``context``, a missing ``customer_id`` is checked too.

        Args:
            tools: the agent's tools (LangChain tools, or OpenAI-style tool dicts).

        Returns:
            The tools the catalogue lacks (``undeclared="warn"`` only: otherwise they raise).

        Raises:
            UndeclaredToolError: ``undeclared="error"`` and a tool the catalogue lacks.
            MissingCustomerError: ``missing_customer="error"``, a fixed context without
                ``customer_id`` and customer-bound tools.
        """
        names = frozenset(n for n in map(_tool_name, tools) if n is not None)
        missing = self._check_names(names)
        if self._static_context is not None:
            self._check_customer(names, self._static_context)
        return missing

    def _check_names(self, names: frozenset[str]) -> list[str]:
        """The undeclared among `names`: raised every time, or logged once per tool set."""
        if names in self._checked:
            return sorted(n for n in names if n not in self.guard.registry.tools)
        missing = check_declared(self.guard, names, self._undeclared)
        _remember(self._checked, names)
        return missing

    def _check_customer(self, names: frozenset[str], context: Context) -> None:
        """Raise, or log once per tool set, when customer-bound tools meet no customer."""
        if context.customer_id or names in self._anonymous:
            return
        check_customer(self.guard, names, None, self._missing_customer)
        _remember(self._anonymous, names)

    # -- HumanInTheLoopMiddleware -------------------------------------------------------------

    def _gates_itself(self, request: ToolCallRequest) -> bool:
        """Whether the gate asks consent for this call or refuses it (so HITL need not ask).

        Decided as `wrap_tool_call` decides, on the same state: asked again when the run
        resumes, it answers the same.
        """
        conv = self._tool_conversation(request)
        call = request.tool_call
        check = gate_call(self.guard, self.guard.check(conv), conv, call["name"], call.get("args"))
        state = request.state if isinstance(request.state, Mapping) else {}
        gates = check.action != "allow" or _shared_call_id(state.get("messages", []),
                                                            call.get("id"))
        if gates:  # HITL will not ask: the gate must, whatever it decides at the call
            with self._seen_lock:
                self._stood_in[(_thread_id(), call.get("id"))] = None
                while len(self._stood_in) > _MAX_THREADS:
                    self._stood_in.popitem(last=False)
        return gates

    # -- the model call -----------------------------------------------------------------------

    def _check_model_tools(self, request: ModelRequest[Any], conv: Conversation) -> None:
        """The agent's tools, as the model call sees them, against the catalogue and session."""
        names = frozenset(n for n in map(_tool_name, request.tools) if n is not None)
        self._check_names(names)
        self._check_customer(names, conv.context)

    def _model_request(self, request: ModelRequest[Any], decision: Decision) -> ModelRequest[Any]:
        visible = set(decision.allowed_tools) | set(decision.confirm_tools)
        tools = [t for t in request.tools if _tool_name(t) in visible]
        directives = self.prompts.system_text(decision)
        if not directives:
            return request.override(tools=tools)
        system = request.system_message
        if system is None:
            merged = SystemMessage(content=directives)
        elif isinstance(system.content, str):
            merged = SystemMessage(content=f"{system.content}\n\n{directives}")
        else:
            merged = SystemMessage(content=[*system.content, {"type": "text", "text": directives}])
        return request.override(tools=tools, system_message=merged)

    def _state_update(self, decision: Decision, state: Mapping[str, Any]) -> dict[str, Any]:
        last = self._last_view  # one tuple, swapped atomically: safe to share across threads
        if last is not None and last[0] is decision:
            view = last[1]
        else:
            view = decision_view(decision)
            self._last_view = (decision, view)
        return {} if state.get("guardrail") == view else {"guardrail": view}

    def _handoff(
        self, decision: Decision, conv: Conversation, state: Mapping[str, Any]
    ) -> ExtendedModelResponse[Any]:
        handed = None
        # A thread is followed by the shared follow-up state (status replies, updates); a run
        # without a thread id has only its agent state to tell a handoff already made.
        if conv.id is not None or handoff_news(state.get("guardrail_handoff"), decision):
            handed = hand_off(decision, conv, tool_verdicts(state.get("messages", [])),
                              self.sink, self.audit)
        return self._handoff_response(decision, conv, state, handed)

    async def _ahandoff(
        self, decision: Decision, conv: Conversation, state: Mapping[str, Any]
    ) -> ExtendedModelResponse[Any]:
        handed = None
        if conv.id is not None or handoff_news(state.get("guardrail_handoff"), decision):
            handed = await ahand_off(decision, conv, tool_verdicts(state.get("messages", [])),
                                     self.sink, self.audit)
        return self._handoff_response(decision, conv, state, handed)

    def _handoff_response(
        self, decision: Decision, conv: Conversation, state: Mapping[str, Any],
        handed: tuple[HandoffSummary, str] | None,
    ) -> ExtendedModelResponse[Any]:
        """End the run with the handoff message (a status reply once handed off); a new
        handoff's record goes into the state."""
        update = self._state_update(decision, state)
        if handed is not None and handed[1] != ALREADY_HANDED_OFF:
            summary, delivery = handed
            update["guardrail_handoff"] = {**summary.model_dump(mode="json"), "delivery": delivery}
        reply = handoff_reply(self.prompts, decision, conv, self.sink)
        message = AIMessage(content=reply, name="guardrail")
        return ExtendedModelResponse(
            model_response=ModelResponse(result=[message]), command=Command(update=update)
        )

    def _finish(
        self, decision: Decision, state: Mapping[str, Any], response: ModelCallResult[Any]
    ) -> ModelCallResult[Any]:
        update = self._state_update(decision, state)
        if not update:
            return response
        if isinstance(response, ExtendedModelResponse):
            inner = response.command
            merged = {**(inner.update if inner and isinstance(inner.update, dict) else {}),
                      **update}
            return ExtendedModelResponse(response.model_response, Command(update=merged))
        if isinstance(response, AIMessage):
            response = ModelResponse(result=[response])
        return ExtendedModelResponse(model_response=response, command=Command(update=update))

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelCallResult[Any]:
        """Classify the turn; show the model only its tools and directives, or hand off."""
        conv = self._conversation(request.messages, request.runtime)
        self._check_model_tools(request, conv)
        decision = self._audited_decision(conv, self.guard.check(conv))
        if decision.handoff.required:
            return self._handoff(decision, conv, request.state)
        follow_up(decision, conv, self.sink)  # a request for a person withdrawn: tell the sink
        response = handler(self._model_request(request, decision))
        return self._finish(decision, request.state, response)

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelCallResult[Any]:
        """Async twin of `wrap_model_call`."""
        conv = self._conversation(request.messages, request.runtime)
        self._check_model_tools(request, conv)
        decision = self._audited_decision(conv, await self.guard.acheck(conv))
        if decision.handoff.required:
            return await self._ahandoff(decision, conv, request.state)
        await afollow_up(decision, conv, self.sink)
        response = await handler(self._model_request(request, decision))
        return self._finish(decision, request.state, response)

    # -- the tool call ------------------------------------------------------------------------

    def _tool_conversation(self, request: ToolCallRequest) -> Conversation:
        state = request.state if isinstance(request.state, Mapping) else {}
        return self._conversation(state.get("messages", []), request.runtime)

    def _resolve_call(
        self, request: ToolCallRequest, decision: Decision, conv: Conversation, span: Span
    ) -> CallCheck:
        """The gate's verdict, with consent asked for (and answered) when the call needs it."""
        call = reviewed(request)
        check = gate_call(self.guard, decision, conv, call["name"], call.get("args"))
        state = request.state if isinstance(request.state, Mapping) else {}
        if check.action != "deny" and _shared_call_id(state.get("messages", []), call.get("id")):
            return _with_reason(check, "deny", "policy.duplicate_call_id", "tool_call")
        if check.action == "allow" and self._hitl is not None:
            with self._seen_lock:
                stood_in = (_thread_id(), call.get("id")) in self._stood_in
            if stood_in:  # HITL skipped it for the gate, whose decision changed since: ask
                check = CallCheck.confirm(check.tool, check.args, reasons=check.reasons,
                                          bound=check.bound)
        if check.action != "confirm":
            return check
        if not _has_checkpointer():
            return _with_reason(check, "deny", "policy.confirmation_unavailable")
        if self._hitl is None and not self._told_unlinked:
            self._told_unlinked = unlinked(request)
        # The interrupt below ends this span; the resumed run gates the call again, in a new one.
        self._outcome(span, check, "awaiting_confirmation", conv)
        return self._confirm(check, call, decision, conv)

    def _audited_decision(self, conv: Conversation, decision: Decision) -> Decision:
        """Record `decision` in the audit log the first time it is seen for a conversation."""
        if self.audit is None:
            return decision
        key = audit_key(conv)
        with self._seen_lock:
            if self._audited.get(key) is decision:
                return decision
            self._audited[key] = decision
            self._audited.move_to_end(key)
            while len(self._audited) > _MAX_THREADS:
                self._audited.popitem(last=False)
        audit_decision(self.audit, decision, conv)
        return decision

    def _outcome(self, span: Span, check: CallCheck, outcome: str, conv: Conversation) -> None:
        record_outcome(span, check, outcome, self.audit, conv)

    def _refusal(
        self, request: ToolCallRequest, check: CallCheck, span: Span, conv: Conversation
    ) -> ToolMessage:
        call = request.tool_call
        declined = check.code == "policy.confirmation_declined"
        self._outcome(span, check, "declined" if declined else "denied", conv)
        if declined and not check.reasons[0].evidence:
            text = self.prompts.adapter.confirmation_declined.format(tool=check.tool)
        else:
            text = self.prompts.adapter.tool_denied.format(
                tool=check.tool, code=check.code, reason=check.explanation()
            )
        return ToolMessage(
            content=text,
            tool_call_id=call["id"] or "",
            name=call["name"],
            status="error",
            response_metadata={_META: check.as_record()},
        )

    def _confirm(
        self, check: CallCheck, call: Mapping[str, Any], decision: Decision, conv: Conversation
    ) -> CallCheck:
        """Ask for consent through a LangGraph interrupt; resumes re-run this and return here.

        The interrupt's value is a `HumanInTheLoopMiddleware` request for this one call, with
        the gate's own keys beside it (`consent_request`).
        """
        spec = self.guard.registry.tools.get(check.tool)
        shown = args_hash(check.tool, check.args)
        key = (_thread_id(), call.get("id"))
        allowed = consent_decisions(self._hitl, check.tool)
        question = self.prompts.confirmation_question(
            decision.language, tool=check.tool, action=spec.description if spec else check.tool,
            args=", ".join(f"{k}={v}" for k, v in check.args.items()),
        )
        try:
            answer = interrupt(consent_request(check, call.get("id"), question,
                                               decision.language, allowed, shown))
        except GraphInterrupt:  # paused: remember what the customer is being shown
            with self._seen_lock:
                self._shown[key] = shown
                while len(self._shown) > _MAX_THREADS:
                    self._shown.popitem(last=False)
            raise
        # Kept (bounded, least recent dropped): a call paused again below this middleware
        # replays this answer on its next resume, and it must still name the call shown.
        # The ledger (`_once`) is what stops a second run.
        with self._seen_lock:
            asked = self._shown.get(key)
        return self._answered(answer, check, asked, allowed, decision, conv)

    def _answered(
        self, answer: Any, check: CallCheck, asked: str | None, allowed: Sequence[str],
        decision: Decision, conv: Conversation,
    ) -> CallCheck:
        """The call as the consent `answer` leaves it (`read_review`); unreadable is a refusal.

        An approval approves the call shown; a rejection declines it, the reviewer's redacted
        reason kept with the refusal; an edit approves the edited call if the gate allows it.
        """
        review = read_review(answer, allowed, check.tool)
        if review.kind == "resume":
            ok, code = read_resume(review.answer, check, asked)
            if ok:
                return _with_reason(check, "allow", "policy.confirmed")
            return _with_reason(check, "deny", code or "policy.confirmation_declined")
        if review.kind == "reject":
            return CallCheck.deny("policy.confirmation_declined", check.tool, check.args,
                                  rule_id="confirmation", detail=review.message,
                                  evidence=review.message, reasons=check.reasons,
                                  bound=check.bound)
        if review.kind == "malformed":
            return _with_reason(check, "deny", "policy.confirmation_declined",
                                "confirmation.malformed")
        again = gate_call(self.guard, decision, conv, check.tool, review.args)
        if again.action == "deny":
            return again
        return _with_reason(again, "allow", "policy.confirmed", "confirmation.edit")

    def _once(self, check: CallCheck, request: ToolCallRequest) -> CallCheck:
        """`check`, or a denial when this call id already ran (or started to) in this thread.

        Claimed here, right before the tool runs: a run that crashed after the tool and is
        retried gets a refusal for it, not a second refund. Without a thread there is no run
        to retry, and nothing to claim.
        """
        thread, call_id = _thread_id(), request.tool_call.get("id")
        if check.action == "deny" or thread is None or not call_id:
            return check
        if self._ledger.claim(thread, call_id):
            return check
        with self._seen_lock:
            if self._paused.pop((thread, call_id), False):
                return check  # paused below before it ran (`_resumable`): this is the resume
        return _with_reason(check, "deny", "policy.already_executed", "tool_call")

    @contextmanager
    def _resumable(self, request: ToolCallRequest) -> Iterator[None]:
        """Let a call paused below this middleware run when it resumes.

        An interrupt raised under `handler` (HITL's per-call review, or the tool's own
        ``interrupt``) pauses the call after `_once` claimed it; LangGraph runs the call again
        on resume, and that run is let through once. A crash is not a pause: its retry is
        still refused.
        """
        running = self._running_call.set(request.tool_call.get("id"))
        try:
            yield
        except GraphInterrupt:
            thread, call_id = _thread_id(), request.tool_call.get("id")
            if thread is not None and call_id:
                with self._seen_lock:
                    self._paused[(thread, call_id)] = True
                    while len(self._paused) > _MAX_THREADS:
                        self._paused.popitem(last=False)
            raise
        finally:
            self._running_call.reset(running)

    def _run_request(self, request: ToolCallRequest, check: CallCheck) -> ToolCallRequest:
        """The request to run: the call as checked (bound, or edited at the consent).

        A HITL reviewer's edit was the call checked (`reviewed`); below this middleware
        HumanInTheLoopMiddleware applies it again, from the state, so the state carries it
        bound. A tool it switched to is left for it to resolve.
        """
        call = request.tool_call
        edits = hitl_edits(request)
        call_id = call.get("id") or ""
        if call_id in edits:
            edits = {**edits, call_id: {"name": check.tool, "args": check.args}}
            state = {**request.state, HITL_EDITS: edits}
            if call["name"] != check.tool:
                return request.override(state=state)
            return request.override(tool_call={**call, "args": check.args}, state=state)
        if not check.bound and check.args == call.get("args"):
            return request
        return request.override(tool_call={**call, "args": check.args})

    @contextmanager
    def _running(
        self, request: ToolCallRequest, check: CallCheck, span: Span, conv: Conversation
    ) -> Iterator[Span]:
        """The ``execute_tool`` span around `handler`, where the tool runs (none when the agent
        has no such tool: LangChain answers with an error and runs nothing). A tool that raises
        is recorded as failed on the gate `span` and in the audit log, and the error goes on;
        an interrupt or a command raised inside the tool is control flow, not a failure."""
        run: AbstractContextManager[Span] = nullcontext(INVALID_SPAN)
        if request.tool is not None:
            run = run_span(request.tool_call["name"], request.tool_call.get("id"),
                           passthrough=(GraphBubbleUp,))
        with run as running:
            try:
                yield running
            except GraphBubbleUp:
                raise
            except Exception:
                self._outcome(span, check, "failed", conv)
                raise

    def _allowed(
        self, result: ToolMessage | Command[Any], check: CallCheck, span: Span, conv: Conversation
    ) -> ToolMessage | Command[Any]:
        failed = isinstance(result, ToolMessage) and result.status == "error"
        self._outcome(span, check, "failed" if failed else "executed", conv)
        if isinstance(result, ToolMessage):
            result.response_metadata[_META] = check.as_record()
            self._quarantine(result, check.tool)
        return result  # a tool that returns its own Command keeps control of its update

    def _quarantine(self, result: ToolMessage, tool: str) -> None:
        """Withhold an instruction planted in the tool's result before the model reads it."""
        texts = self.prompts.adapter
        if isinstance(result.content, str):
            notice = edit_notice(self._hitl, result.content)
            screened = screen_untrusted(self.guard, result.content[len(notice):], texts, tool)
            if not screened.flagged:
                return
            result.content = notice + screened.text
            codes = [r.code for r in screened.reasons]
        else:
            codes = []
            blocks: list[str | dict[Any, Any]] = []
            for block in result.content:
                if isinstance(block, dict) and isinstance(block.get("text"), str):
                    screened = screen_untrusted(self.guard, block["text"], texts, tool)
                    codes.extend(r.code for r in screened.reasons)
                    block = {**block, "text": screened.text}
                elif isinstance(block, str):
                    screened = screen_untrusted(self.guard, block, texts, tool)
                    codes.extend(r.code for r in screened.reasons)
                    block = screened.text
                blocks.append(block)
            if not codes:
                return
            result.content = blocks
        result.response_metadata[_META] = {**result.response_metadata[_META], "quarantine": codes}

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        """Check the call again (the real gate): deny, ask for consent, bind, then run it."""
        conv = self._tool_conversation(request)
        with gate_span(request.tool_call["name"], request.tool_call.get("id"), conv) as span:
            decision = self._audited_decision(conv, self.guard.check(conv))
            check = self._once(self._resolve_call(request, decision, conv, span), request)
            if check.action == "deny":
                return self._refusal(request, check, span, conv)
            with use_decision(decision, conv.context, self.guard.registry), \
                    self._running(request, check, span, conv) as run, self._resumable(request):
                result = handler(self._run_request(request, check))
                _mark_failed(run, result)
            return self._allowed(result, check, span, conv)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        """Async twin of `wrap_tool_call`."""
        conv = self._tool_conversation(request)
        with gate_span(request.tool_call["name"], request.tool_call.get("id"), conv) as span:
            decision = self._audited_decision(conv, await self.guard.acheck(conv))
            check = self._once(self._resolve_call(request, decision, conv, span), request)
            if check.action == "deny":
                return self._refusal(request, check, span, conv)
            with use_decision(decision, conv.context, self.guard.registry), \
                    self._running(request, check, span, conv) as run, self._resumable(request):
                result = await handler(self._run_request(request, check))
                _mark_failed(run, result)
            return self._allowed(result, check, span, conv)



def _remember(seen: set[frozenset[str]], names: frozenset[str]) -> None:
    """Remember a tool set as checked, boundedly: a middleware that filters the agent's tools
    per request (a tool selector) could otherwise grow it by one set per combination."""
    if len(seen) < _MAX_TOOL_SETS:
        seen.add(names)


def _mark_failed(span: Span, result: ToolMessage | Command[Any]) -> None:
    """A tool whose failure LangChain caught and returned as an error `ToolMessage` still
    failed: say so on its ``execute_tool`` span."""
    if isinstance(result, ToolMessage) and result.status == "error":
        record_run_error(span)


def _fixed(source: object) -> bool:
    return isinstance(source, BaseModel | Mapping)


def _validated(model: type[_M], source: Any, runtime: Any, what: str) -> _M:
    """`source` (a model, a mapping, a callable of the runtime, or None) as a `model`."""
    if callable(source) and not isinstance(source, BaseModel):
        source = source(runtime)
    if source is None:
        return model()
    if isinstance(source, model):
        return source
    try:
        return model.model_validate(source)
    except ValidationError as exc:
        raise UserError(f"GuardrailMiddleware: {describe(exc, what, limit=1)}") from None


def _with_reason(
    check: CallCheck, action: Verdict, code: str, rule_id: str = "confirmation"
) -> CallCheck:
    """`check` turned into `action`, with `code` (from `rule_id`) as its first reason."""
    if action == "allow":
        return CallCheck.allow(check.tool, check.args, reasons=check.reasons, bound=check.bound,
                               code=code, rule_id=rule_id)
    return CallCheck.deny(code, check.tool, check.args, rule_id=rule_id,
                          reasons=check.reasons, bound=check.bound)
