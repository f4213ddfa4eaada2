"""guardrail around the OpenAI Agents SDK (`openai-agents`): an agent you have, guarded.

```python
from agents import InputGuardrailTripwireTriggered, Runner
from guardrail.adapters.openai_agents import GuardrailAgents, tripped

guarded = GuardrailAgents(guard, sink=my_sink)
agent = guarded.agent(my_agent)          # a guarded copy; my_agent is unchanged
try:
    result = await Runner.run(agent, history, context={"customer_id": "cus_1"})
    reply = result.final_output
except InputGuardrailTripwireTriggered as error:
    verdict = tripped(error)              # the decision, the handoff message and summary
    reply = verdict.message
```

The guarded copy carries, in the SDK's own terms:

- an input guardrail that runs before the model (``run_in_parallel=False``, so a model is
  never called on a turn a person must take): it classifies the conversation and trips its
  tripwire exactly when a human handoff is forced, after the `HandoffSummary` went to the sink.
  Its ``output_info`` is an `InputVerdict` either way.
- every function tool with an ``is_enabled`` that shows the model only the tools the turn's
  decision allows or allows after confirmation, and a tool input guardrail that gates each
  call with the shared gate (`guardrail.gate.check_tool_call`): a denied call is rejected with
  the refusal text of ``prompts/adapter.yaml`` (the SDK's ``reject_content``: the model reads
  it, the tool never runs, the customer sees no error). Customer arguments the gate binds to
  the session are what the tool runs with, and what a tool returns is screened for planted
  instructions before the model reads it.
- a ``needs_approval`` that asks for the SDK's own approval exactly when the gate says the call
  needs the customer's confirmation: the run stops with the call in `RunResult.interruptions`;
  the application asks the customer (`confirmation_question`), then
  ``state = result.to_state(); state.approve(item)`` (or ``reject``) and runs `state` again.
  The tool runs only once approved, checked again right before it runs.
- dynamic instructions: the agent's own, then the decision's directives.

The decision is made once per run by the input guardrail and found again by the tools and the
instructions from the run's input (`RunContextWrapper.turn_input`), keyed by content, so runs
that overlap never see each other's decisions. The customer's context is the adapter's
`context`, or else the run context given to `Runner.run` (a `Context`, a mapping, or an object
with `Context` fields; a ``conversation_id`` key or attribute names the conversation).

A model can call a tool it was not shown; the SDK then raises `ModelBehaviorError` unless the
run's config says otherwise. Pass `GuardrailAgents.run_config()` to each run, and the model reads
guardrail's refusal instead (a rejected approval reads ``confirmation_declined`` too).

Hosted tools, MCP servers and custom `Handoff` objects cannot be gated here, so an agent with
them is refused (`UserError`); agents it hands off to are guarded with it, and an agent it runs
as a tool must be guarded first. The guarded copy is checked again at each run and before each
model call: a tool added to it afterwards (or to an agent it reaches) is a `UserError`, never a
call that skips the gate. A tool call id runs once per run: the same saved `RunState` resumed
twice gets ``policy.already_executed`` for its approved call the second time.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import inspect
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from guardrail._install import pip_hint
from guardrail.adapters._binding import CallLedger
from guardrail.adapters._chat_format import history_tool_calls, kind, to_conversation, validated
from guardrail.adapters._declared import (
    OnProblem,
    check_customer,
    check_declared,
    declare,
    on_problem,
)
from guardrail.adapters._turn import (
    ALREADY_HANDED_OFF,
    AuditedExits,
    afollow_up,
    ahand_off,
    audit_decision,
    gate_call,
    gate_span,
    handoff_reply,
    known_fields,
    record_outcome,
    run_span,
    screen_untrusted,
)
from guardrail.audit import AuditLog
from guardrail.conversation import Context, Conversation, Signals
from guardrail.decision import Decision
from guardrail.engine import Guardrail
from guardrail.errors import UserError
from guardrail.gate import CallCheck
from guardrail.handoff.sinks import SinkLike
from guardrail.handoff.summary import HandoffSummary
from guardrail.prompts import Prompts
from guardrail.redact import redact
from guardrail.registry.schema import ToolSpec
from guardrail.retrieval import use_decision

try:
    from agents import (
        Agent,
        FunctionTool,
        GuardrailFunctionOutput,
        InputGuardrail,
        InputGuardrailTripwireTriggered,
        RunConfig,
        RunContextWrapper,
        ToolGuardrailFunctionOutput,
        ToolInputGuardrail,
        ToolInputGuardrailData,
    )
    from agents.items import ToolApprovalItem, TResponseInputItem
    from agents.models.chatcmpl_converter import Converter
    from agents.result import RunResultBase
    from agents.run_config import ToolErrorFormatterArgs
    from agents.tool_context import ToolContext
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"guardrail.adapters.openai_agents needs the openai-agents package: {pip_hint('agents')}"
    ) from exc

__all__ = ["GuardrailAgents", "InputVerdict", "tripped"]

_T = TypeVar("_T")
_Input = str | list[TResponseInputItem]
_Instructions = Callable[[RunContextWrapper[Any], Agent[Any]], Awaitable[str]]
_Invoke = Callable[[ToolContext[Any], str], Awaitable[Any]]

# Decisions kept for the tools and instructions of runs in flight, and handoffs remembered per
# conversation (so a customer writing on after a handoff does not flood the queue).
_MEMO = 1024
# Runs whose converted input is kept at once (each holds its messages): a miss only converts again.
_RUNS = 64


@dataclass(frozen=True, slots=True)
class InputVerdict:
    """What the input guardrail found: its ``output_info``, tripped or not.

    Attributes:
        decision: the guardrail decision for the run's conversation.
        conversation: the conversation the decision was made on.
        message: when a person takes over, what to tell the customer (in their language, from
            ``prompts/``); None otherwise.
        handoff: the summary sent to the sink for this handoff; None when no handoff, or when
            the same handoff was already sent for this conversation.
        delivery: how that delivery went (``delivered``, ``no_sink``, ``failed: ...``, or
            ``already_handed_off`` when a status update went to the sink instead).
    """

    decision: Decision
    conversation: Conversation
    message: str | None = None
    handoff: HandoffSummary | None = None
    delivery: str | None = None


def tripped(error: InputGuardrailTripwireTriggered) -> InputVerdict | None:
    """The `InputVerdict` behind `error` when guardrail's input guardrail raised it, else None
    (another guardrail of the agent tripped)."""
    info = error.guardrail_result.output.output_info
    return info if isinstance(info, InputVerdict) else None


class GuardrailAgents(AuditedExits):
    """Guard Agents SDK agents with a guardrail decision: tools, directives and handoff.

    Args:
        guard: the guardrail; default `Guardrail.from_defaults()`.
        context: the session's stable context (`Context` or mapping); None reads it from each
            run's context. `customer_id` is what customer arguments are bound to.
        signals: behavioural signals for the friction detectors.
        sink: where handoff summaries go (a `HandoffSink` or a callable; an async one is
            awaited).
        prompts: directive texts and adapter messages; default the shipped ``prompts/``.
        audit: an `AuditLog` (or its path): a record per decision, per refused or executed
            tool call and per handoff.
        tools: `ToolSpec` declarations for the agents' tools the catalogue lacks.
        undeclared: ``error`` (default) raises `UndeclaredToolError` when `agent` is given a
            tool the catalogue lacks; ``warn`` logs it (the tool stays hidden and denied).
        missing_customer: ``warn`` (default: anonymous sessions are legitimate) logs, once
            per tool set, when customer-bound tools meet a context without ``customer_id``
            (every call to them is denied); ``error`` raises `MissingCustomerError` (at
            `agent` for a fixed context, at the run, before the model, otherwise).

    Raises:
        UserError: an argument is invalid.
    """

    def __init__(
        self,
        guard: Guardrail | None = None,
        *,
        context: Context | Mapping[str, Any] | None = None,
        signals: Signals | Mapping[str, Any] | None = None,
        sink: SinkLike | None = None,
        prompts: Prompts | None = None,
        audit: AuditLog | str | Path | None = None,
        tools: Sequence[ToolSpec] = (),
        undeclared: OnProblem = "error",
        missing_customer: OnProblem = "warn",
    ) -> None:
        self.guard = guard if guard is not None else Guardrail.from_defaults()
        self.prompts = prompts if prompts is not None else Prompts.default()
        self.sink = sink
        self.audit = audit if isinstance(audit, AuditLog | None) else AuditLog(audit)
        self._undeclared = on_problem(undeclared, "undeclared")
        self._missing_customer = on_problem(missing_customer, "missing_customer")
        strays = [kind(t) for t in tools if not isinstance(t, ToolSpec)]
        if isinstance(tools, str | bytes) or strays:
            raise UserError(f"tools must be a list of ToolSpec, got {strays or kind(tools)}")
        declare(self.guard, tools)
        self._context: Context | None = (
            None if context is None else validated(Context, context, "context"))
        self._signals: Signals = validated(Signals, signals, "signals")
        self._lock = threading.Lock()
        self._warned: set[frozenset[str]] = set()
        self._decisions: OrderedDict[str, Decision] = OrderedDict()
        # The run's input list itself (kept, so its id is not reused), its length, the run's
        # context object, and what `_turn` made of them: every tool's `is_enabled` asks for the
        # turn before each model call, and converting and hashing the whole input each time
        # grew with the conversation.
        self._turns: OrderedDict[int, tuple[object, int, object, Decision, Conversation]] = (
            OrderedDict())
        # The calls the tool guardrail let through, by their `ToolContext` (the SDK passes the
        # same object to the guardrail and to the tool), with what the gate bound.
        self._passed: weakref.WeakKeyDictionary[
            ToolContext[Any], tuple[CallCheck, Decision, Conversation]
        ] = weakref.WeakKeyDictionary()
        # The invokers of the tools this adapter guarded: a tool without one runs ungated.
        self._invokers: weakref.WeakSet[_Invoke] = weakref.WeakSet()
        # Tool call ids that ran, per run input: a saved RunState resumed twice (an approval
        # replayed) must not run the approved call twice.
        self._ledger = CallLedger()
        self._input_guardrail: InputGuardrail[Any] = InputGuardrail(
            guardrail_function=self._check_input, name="guardrail", run_in_parallel=False)
        self._tool_guardrail: ToolInputGuardrail[Any] = ToolInputGuardrail(
            guardrail_function=self._check_call, name="guardrail_tool_gate")

    # -- building the guarded agent ------------------------------------------------------------

    def agent(self, agent: Agent[_T]) -> Agent[_T]:
        """A guarded copy of `agent` (and of the agents it hands off to); `agent` is unchanged.

        Raises:
            UndeclaredToolError: a function tool is not in the catalogue (``undeclared='error'``).
            MissingCustomerError: the adapter's fixed context has no ``customer_id`` and a tool
                is customer-bound (``missing_customer='error'``).
            UserError: the agent has tools guardrail cannot gate (hosted tools, MCP servers)
                or a custom `Handoff`.
        """
        if not isinstance(agent, Agent):
            raise UserError(f"agent must be an agents.Agent, got {kind(agent)}")
        return self._guarded(agent, {})

    def _verify(self, agent: Agent[Any]) -> None:
        """Refuse a run on `agent` when it (or an agent it can hand off to, or runs as a
        tool) has a tool that would run without the gate: one added to the guarded copy after
        `agent` made it."""
        ungated = self._ungated(agent)
        if ungated:
            raise UserError(
                f"tools that guardrail did not guard would run unchecked ({', '.join(ungated)}): "
                "change the original agent and guard it again with GuardrailAgents.agent()")

    def _ungated(self, agent: Agent[Any]) -> list[str]:
        """The tools, MCP servers and custom handoffs of `agent` and of every agent it reaches
        (by handoff, or run as one of its tools) that would run without the gate."""
        found: list[str] = []
        seen: set[int] = set()
        todo = [agent]
        while todo:
            current = todo.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            for tool in current.tools:
                if not self._ours(tool):
                    found.append(f"{current.name}.{getattr(tool, 'name', kind(tool))}")
                inner = getattr(tool, "_agent_instance", None)
                if isinstance(inner, Agent):  # an agent as a tool: its tools run too
                    todo.append(inner)
            if current.mcp_servers:
                found.append(f"{current.name}: MCP servers")
            for h in current.handoffs:
                if isinstance(h, Agent):
                    todo.append(h)
                else:
                    found.append(f"{current.name}: handoff {kind(h)}")
        return found

    def _ours(self, tool: object) -> bool:
        invoker = getattr(tool, "on_invoke_tool", None)
        try:
            return isinstance(tool, FunctionTool) and invoker in self._invokers
        except TypeError:  # an unhashable invoker is none of ours
            return False

    def _guarded(self, agent: Agent[_T], done: dict[int, Agent[Any]]) -> Agent[_T]:
        if id(agent) in done:
            return cast(Agent[_T], done[id(agent)])
        ungated = [kind(t) for t in agent.tools if not isinstance(t, FunctionTool)]
        if ungated or agent.mcp_servers:
            raise UserError(
                f"agent {agent.name!r} has tools guardrail cannot gate "
                f"({', '.join(ungated) or 'MCP servers'}): only function tools are checked"
            )
        custom = [kind(h) for h in agent.handoffs if not isinstance(h, Agent)]
        if custom:
            raise UserError(f"agent {agent.name!r} hands off through {', '.join(custom)}: "
                            "give the agent itself in handoffs, so guardrail can guard it")
        for tool in agent.tools:
            inner = getattr(tool, "_agent_instance", None)
            if isinstance(inner, Agent) and (unchecked := self._ungated(inner)):
                raise UserError(
                    f"agent {agent.name!r} runs agent {inner.name!r} as the tool {tool.name!r}, "
                    f"whose tools would run unchecked ({', '.join(unchecked)}): guard it first, "
                    "GuardrailAgents.agent(inner).as_tool(...)")
        names = [t.name for t in agent.tools if isinstance(t, FunctionTool)]
        check_declared(self.guard, names, self._undeclared)
        if self._context is not None:
            check_customer(self.guard, names, self._context.customer_id, self._missing_customer)
        guarded = agent.clone(  # an agent guarded already is not gated twice
            tools=[t if self._ours(t) else self._guarded_tool(t)
                   for t in agent.tools if isinstance(t, FunctionTool)],
            instructions=self._instructions(agent.instructions),
            input_guardrails=[self._input_guardrail, *(
                g for g in agent.input_guardrails if g is not self._input_guardrail)],
        )
        done[id(agent)] = guarded
        guarded.handoffs = [self._guarded(h, done) for h in agent.handoffs
                            if isinstance(h, Agent)]
        return guarded

    def _guarded_tool(self, tool: FunctionTool) -> FunctionTool:
        guarded = copy.copy(tool)  # FunctionTool.__copy__ rebinds its invoker to the copy
        own_enabled, own_approval = tool.is_enabled, tool.needs_approval
        invoke = guarded.on_invoke_tool

        async def is_enabled(ctx: RunContextWrapper[Any], agent: Any) -> bool:
            if isinstance(agent, Agent):  # also where a saved RunState is restored
                self._verify(agent)
            if callable(own_enabled):
                mine = own_enabled(ctx, agent)
                if not (await mine if inspect.isawaitable(mine) else mine):
                    return False
            elif not own_enabled:
                return False
            if not ctx.turn_input:
                # No turn, so no model request: the SDK lists the tools to restore a saved
                # `RunState`. Every call is still gated, with the decision of its run.
                return True
            decision, _ = await self._turn(ctx)
            return decision.verdict(tool.name).verdict in ("allow", "confirm")

        async def needs_approval(
            ctx: RunContextWrapper[Any], params: dict[str, Any], call_id: str
        ) -> bool:
            if own_approval is True or (callable(own_approval)
                                        and await own_approval(ctx, params, call_id)):
                return True
            decision, conv = await self._turn(ctx)
            return gate_call(self.guard, decision, conv, tool.name, params).action == "confirm"

        # An agent used as a tool is invoked again with the same call id to resume its own
        # run, so only a plain function's call id is claimed once.
        once = not getattr(tool, "_is_agent_tool", False)

        async def run(ctx: ToolContext[Any], arguments: str) -> Any:
            return await self._run(ctx, arguments, invoke, once=once)

        guarded.is_enabled = is_enabled
        guarded.needs_approval = needs_approval
        guarded.on_invoke_tool = run
        self._invokers.add(run)
        guarded.tool_input_guardrails = [self._tool_guardrail, *(tool.tool_input_guardrails or [])]
        return guarded

    def _instructions(self, own: Any) -> _Instructions:
        async def instructions(ctx: RunContextWrapper[Any], agent: Agent[Any]) -> str:
            self._verify(agent)  # before every model call of this agent
            base = own(ctx, agent) if callable(own) else own
            text = await base if inspect.isawaitable(base) else base
            decision, _ = await self._turn(ctx)
            return "\n\n".join(p for p in (text, self.prompts.system_text(decision)) if p)

        return instructions

    def run_config(self, base: RunConfig | None = None) -> RunConfig:
        """`base` (default a new `RunConfig`) set up for guarded agents: pass it to every run.

        A model can call a tool it was not shown. The SDK raises `ModelBehaviorError` for that
        by default; with this config the model gets guardrail's refusal instead (the gate's
        reason code, from ``prompts/adapter.yaml``), the call is audited as denied, and the run
        goes on. `base`'s own tool error formatter still formats every other tool error.
        """
        base = base if base is not None else RunConfig()
        if not isinstance(base, RunConfig):
            raise UserError(f"base must be an agents.RunConfig, got {kind(base)}")
        own = base.tool_error_formatter

        async def formatter(args: ToolErrorFormatterArgs[Any]) -> str | None:
            if args.kind == "tool_not_found":
                return await self._not_shown(args.run_context, args.tool_name, args.call_id)
            if args.kind == "approval_rejected" and own is None:
                return await self._declined(args.run_context, args.tool_name, args.call_id)
            if own is None:
                return None
            text = own(args)
            return await text if inspect.isawaitable(text) else text

        return dataclasses.replace(base, tool_not_found_behavior="return_error_to_model",
                                   tool_error_formatter=formatter)

    async def _not_shown(self, ctx: RunContextWrapper[Any], tool: str, call_id: str) -> str:
        """The refusal for a call to a tool the model was not shown (its arguments unread)."""
        decision, conv = await self._turn(ctx)
        check = gate_call(self.guard, decision, conv, tool, {})
        if check.action == "allow":  # allowed, but this agent has no such tool
            check = CallCheck.deny("policy.tool_unavailable", tool, {}, rule_id="adapter",
                                   reasons=check.reasons)
        elif check.action == "confirm":  # shown; not found means not this agent's either
            check = CallCheck.deny("policy.tool_unavailable", tool, {}, rule_id="adapter",
                                   reasons=check.reasons[1:])
        with gate_span(tool, call_id, conv) as span:
            record_outcome(span, check, "denied", self.audit, conv)
        return self._refusal(check)

    async def _declined(self, ctx: RunContextWrapper[Any], tool: str, call_id: str) -> str:
        """What the model reads when the application rejected a confirm-first call."""
        decision, conv = await self._turn(ctx)
        check = _answered(gate_call(self.guard, decision, conv, tool, {}), False)
        with gate_span(tool, call_id, conv) as span:
            record_outcome(span, check, "declined", self.audit, conv)
        return self.prompts.adapter.confirmation_declined.format(tool=tool)

    # -- the turn ------------------------------------------------------------------------------

    def conversation(self, run_context: object, items: _Input) -> Conversation:
        """The guardrail conversation for a run's input (the SDK's str or input items) under
        `run_context` (the context given to `Runner.run`).

        Raises:
            UserError: the input cannot be read as a conversation, or the context is invalid.
        """
        try:
            messages = Converter.items_to_messages(items)
        except Exception as exc:  # the SDK's own converter refused an item
            # Its message may quote the item, so the customer's text is redacted.
            raise UserError(f"the run's input cannot be read: {redact(str(exc), 160)}") from None
        context: Any = self._context
        if context is None and run_context is not None:
            context = (run_context if isinstance(run_context, Context)
                       else known_fields(run_context))
        return to_conversation(messages, context, self._signals, _conversation_id(run_context))

    async def _turn(self, ctx: RunContextWrapper[Any]) -> tuple[Decision, Conversation]:
        """The run's decision, as its input guardrail made it (made again if forgotten)."""
        items, context = ctx.turn_input, ctx.context
        with self._lock:
            seen = self._turns.get(id(items))
        if (seen is not None and seen[0] is items and seen[1] == len(items)
                and seen[2] is context):
            return seen[3], seen[4]
        conv = self.conversation(context, list(items))
        decision = await self._known(conv)
        with self._lock:
            self._turns[id(items)] = (items, len(items), context, decision, conv)
            self._turns.move_to_end(id(items))
            while len(self._turns) > _RUNS:
                self._turns.popitem(last=False)
        return decision, conv

    async def _known(self, conv: Conversation) -> Decision:
        key = self._key(conv)
        with self._lock:
            known = self._decisions.get(key)
        return known if known is not None else await self._decide(conv, key)

    async def confirmation_question(self, result: RunResultBase, item: ToolApprovalItem) -> str:
        """What to ask the customer before approving `item`, one of `result.interruptions`:
        the call as it will run (arguments bound), in the customer's language."""
        conv = self.conversation(result.context_wrapper.context, result.input)
        decision = await self._known(conv)
        check = gate_call(self.guard, decision, conv, item.name or "", item.arguments)
        spec = self.guard.registry.tools.get(check.tool)
        return self.prompts.confirmation_question(
            decision.language, tool=check.tool, action=spec.description if spec else check.tool,
            args=", ".join(f"{name}={value}" for name, value in check.args.items()))

    async def _decide(self, conv: Conversation, key: str) -> Decision:
        decision = await self.guard.acheck(conv)
        audit_decision(self.audit, decision, conv)
        with self._lock:
            self._decisions[key] = decision
            self._decisions.move_to_end(key)
            while len(self._decisions) > _MEMO:
                self._decisions.popitem(last=False)
        return decision

    def _key(self, conv: Conversation) -> str:
        text = f"{self.guard.registry.version}\n{conv.model_dump_json()}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    async def _check_input(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], items: _Input
    ) -> GuardrailFunctionOutput:
        """The input guardrail: decide the turn; trip (after the handoff) when a person must."""
        self._verify(agent)
        conv = self.conversation(ctx.context, items)
        if self._context is None and not conv.context.customer_id:
            self._check_customer(agent)
        decision = await self._decide(conv, self._key(conv))
        if not decision.handoff.required:
            await afollow_up(decision, conv, self.sink)
            return GuardrailFunctionOutput(InputVerdict(decision, conv), tripwire_triggered=False)
        # Sent once per conversation; a later turn sends the sink a status update instead.
        messages = Converter.items_to_messages(items)
        summary, delivery = await ahand_off(
            decision, conv, history_tool_calls(messages), self.sink, self.audit)
        reply = handoff_reply(self.prompts, decision, conv, self.sink)
        sent = None if delivery == ALREADY_HANDED_OFF else summary
        verdict = InputVerdict(decision, conv, reply, sent, delivery)
        return GuardrailFunctionOutput(verdict, tripwire_triggered=True)

    def _check_customer(self, agent: Agent[Any]) -> None:
        """A run without a customer, against the agent's customer-bound tools: raised, or
        logged once per tool set."""
        names = frozenset(t.name for t in agent.tools if isinstance(t, FunctionTool))
        if names in self._warned:
            return
        if check_customer(self.guard, names, None, self._missing_customer):
            with self._lock:
                if len(self._warned) < _MEMO:
                    self._warned.add(names)

    # -- the tool call -------------------------------------------------------------------------

    async def _gate(self, ctx: ToolContext[Any]) -> tuple[CallCheck, Decision, Conversation]:
        decision, conv = await self._turn(ctx)
        check = gate_call(self.guard, decision, conv, ctx.tool_name, ctx.tool_arguments)
        if check.action == "confirm":
            check = _answered(check, ctx.is_tool_approved(ctx.tool_name, ctx.tool_call_id))
        return check, decision, conv

    def _refusal(self, check: CallCheck) -> str:
        return self.prompts.adapter.tool_denied.format(
            tool=check.tool, code=check.code, reason=check.explanation())

    async def _check_call(self, data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
        """The tool input guardrail: the gate's verdict; a refusal is what the model reads."""
        ctx = data.context
        check, decision, conv = await self._gate(ctx)
        if check.action == "allow":
            self._passed[ctx] = (check, decision, conv)
            return ToolGuardrailFunctionOutput.allow(output_info=check)
        if check.code == "policy.confirmation_required":
            # Not answered yet: the SDK asks for the approval next (``needs_approval``), and
            # the tool runs only once it is given (checked again right before it runs).
            return ToolGuardrailFunctionOutput.allow(output_info=check)
        with gate_span(check.tool, ctx.tool_call_id, conv) as span:
            record_outcome(span, check, "denied", self.audit, conv)
        return ToolGuardrailFunctionOutput.reject_content(self._refusal(check), output_info=check)

    async def _run(
        self, ctx: ToolContext[Any], arguments: str, invoke: _Invoke, *, once: bool = True
    ) -> Any:
        """Run an allowed call with the arguments the gate bound; screen what it returns.

        A call id runs once per run's input (claimed right before it runs): a saved
        `RunState` resumed again replays its approval, and gets ``policy.already_executed``.
        """
        passed = self._passed.pop(ctx, None) or await self._gate(ctx)
        check, decision, conv = passed
        # Keyed by the run's input (a resumed state has its run's), not only the conversation
        # id: models that number their call ids per response reuse them on later turns.
        if check.action == "allow" and once and not self._ledger.claim(
            self._key(conv), ctx.tool_call_id
        ):
            check = CallCheck.deny("policy.already_executed", check.tool, check.args,
                                   rule_id="tool_call", reasons=check.reasons,
                                   bound=check.bound)
        if check.action != "allow":  # not through the guardrail, or not approved
            with gate_span(check.tool, ctx.tool_call_id, conv) as span:
                record_outcome(span, check, "denied", self.audit, conv)
            return self._refusal(check)
        if check.bound:
            arguments = json.dumps(check.args, ensure_ascii=False)
        with gate_span(check.tool, ctx.tool_call_id, conv) as span:
            try:
                with (use_decision(decision, conv.context, self.guard.registry),
                      run_span(check.tool, ctx.tool_call_id)):
                    result = await invoke(ctx, arguments)
            except Exception:
                record_outcome(span, check, "failed", self.audit, conv)
                raise
            record_outcome(span, check, "executed", self.audit, conv)
        return self._screened(result, check.tool)

    def _screened(self, result: Any, tool: str) -> Any:
        """`result`, or the text the model may read instead when it carries an instruction."""
        if isinstance(result, str):
            text = result
        elif isinstance(result, BaseModel):
            text = result.model_dump_json()
        else:
            text = json.dumps(result, default=str, ensure_ascii=False)
        screened = screen_untrusted(self.guard, text, self.prompts.adapter, tool)
        return screened.text if screened.flagged else result


def _answered(check: CallCheck, approved: bool | None) -> CallCheck:
    """A confirm-first `check` once the SDK's approval is known: allowed when approved,
    declined when rejected, still waiting (a denial, ``policy.confirmation_required``) when not
    answered yet."""
    if check.action != "confirm":
        return check
    if approved is True:
        return CallCheck.allow(check.tool, check.args, reasons=check.reasons, bound=check.bound,
                               code="policy.confirmed", rule_id="confirmation")
    code = "policy.confirmation_declined" if approved is False else "policy.confirmation_required"
    return CallCheck.deny(code, check.tool, check.args, rule_id="confirmation",
                          reasons=check.reasons[1:], bound=check.bound)


def _conversation_id(source: object) -> str | None:
    """The ``conversation_id`` a run context carries, if any."""
    value = (source.get("conversation_id") if isinstance(source, Mapping)
             else getattr(source, "conversation_id", None))
    return cast(str | None, value)
