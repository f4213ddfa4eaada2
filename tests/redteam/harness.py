"""Run the red-team tables against both adapters and count what matters.

Tools are real Python functions that record each execution, so "executed" is what actually ran;
the LangChain side is a real `create_agent` with a scripted model, the OpenAI side the real
`openai` client against the local Chat Completions server. Nothing here asserts: the counts go
to the test modules (which assert them) and to ``tools/redteam.py`` (which prints them).
An attempt that raises is counted as ``raised``, never swallowed silently.
"""

from __future__ import annotations

import json
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from guardrail import Decision, Guardrail
from tests.redteam.attempts import (
    CUSTOMER,
    EVASIONS,
    FAULTS,
    GATE,
    GATE_CONTROLS,
    REQUESTS,
    EvasionAttempt,
    GateAttempt,
    fuzz_tool,
)

__all__ = ["EvasionCounts", "FaultCounts", "GateCounts", "run_evasions", "run_faults",
           "run_gate"]

OWN = {"customer_id": "cus_1"}
_RANK = {"allow": 0, "confirm": 1, "deny": 2}
_RISK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_MAX_EXAMPLES = 10


def _example(examples: list[str], text: str) -> None:
    if len(examples) < _MAX_EXAMPLES:
        examples.append(text[:300])


def _failure(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else ""
    return f"{type(exc).__name__}: {str(exc)[:160]}{where}"


def looser(view: Mapping[str, Any], than: Mapping[str, Any]) -> list[str]:
    """How decision `view` is looser than `than` (both `Decision.view()`): handoff dropped,
    risk tier lower, or a tool allowed or confirmed that `than` denies (or only confirms).

    Tools count only where `view` lets the assistant act: while a handoff is required the gate
    denies every call (`policy.handoff_in_progress`) and the adapters never call the model, so
    tool verdicts under a required handoff grant nothing (`tool_differences` still reports them).
    """
    why = [w for w in tool_differences(view, than) if not view["handoff"]["required"]]
    return _handoff_and_risk(view, than) + why


def tool_differences(view: Mapping[str, Any], than: Mapping[str, Any]) -> list[str]:
    """The tools `view` allows or confirms that `than` denies (or only confirms)."""
    theirs = _verdicts(than)
    return [f"{tool} {theirs[tool]}->{verdict}" for tool, verdict in _verdicts(view).items()
            if tool in theirs and _RANK[verdict] < _RANK[theirs[tool]]]


def _handoff_and_risk(view: Mapping[str, Any], than: Mapping[str, Any]) -> list[str]:
    why = []
    if than["handoff"]["required"] and not view["handoff"]["required"]:
        why.append("handoff dropped")
    if _RISK[view["risk_tier"]] < _RISK[than["risk_tier"]]:
        why.append(f"risk {than['risk_tier']}->{view['risk_tier']}")
    return why


def _verdicts(view: Mapping[str, Any]) -> dict[str, str]:
    out = {tool: "deny" for tool in view["denied_tools"]}
    out.update({tool: "confirm" for tool in view["confirm_tools"]})
    out.update({tool: "allow" for tool in view["allowed_tools"]})
    return out


# -- counts ----------------------------------------------------------------------------------------


@dataclass
class GateCounts:
    """What the gate attempts did, per adapter."""

    adapter: str
    attempts: int = 0
    reached_binding: int = 0  # the tool was offered: only the identity binding stood in the way
    foreign_executed: int = 0
    denied_executed: int = 0
    controls: int = 0
    controls_executed: int = 0
    repeated_on_retry: int = 0
    raised: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class EvasionCounts:
    """What the evasion attempts did, per path (core, langchain, openai)."""

    path: str
    attempts: int = 0
    plain_handed_off: int = 0
    looser: int = 0
    # not looser: both hand off and only tool verdicts differ (the gate denies every call while
    # a handoff is in progress, so nothing more could run); reported, never counted as looser
    tools_only_under_handoff: int = 0
    raised: int = 0
    looser_by: dict[str, int] = field(default_factory=dict)
    looser_names: list[str] = field(default_factory=list)  # every looser attempt's name
    examples: list[str] = field(default_factory=list)


@dataclass
class FaultCounts:
    """What the fault attempts did (both adapters)."""

    attempts: int = 0
    handoffs_expected: int = 0
    handoffs_lost: int = 0
    turns_raised: int = 0
    turns_over_bound: int = 0
    slowest_turn_s: float = 0.0
    failed_by: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def as_row(counts: GateCounts | EvasionCounts | FaultCounts) -> dict[str, Any]:
    """The counts as a flat dict, examples left out."""
    row = asdict(counts)
    row.pop("examples")
    return row


# -- the tools -------------------------------------------------------------------------------------


class Recorder:
    """Each customer-bound tool as a function that records what ran (tool, arguments)."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, dict[str, Any]]] = []

    def function(self, tool: str) -> Callable[..., str]:
        def run(**kwargs: Any) -> str:
            self.ran.append((tool, dict(kwargs)))
            return f"{tool} done"
        run.__name__ = tool
        return run

    def functions(self) -> dict[str, Callable[..., str]]:
        return {tool: self.function(tool) for tool in REQUESTS}


def _foreign(ran: Sequence[tuple[str, dict[str, Any]]]) -> int:
    return sum(1 for _, args in ran if args != OWN)


# -- LangChain -------------------------------------------------------------------------------------


@dataclass
class _LangChainRig:
    agent: Any
    tape: Any
    recorder: Recorder
    middleware: Any
    sink: Any


def _langchain_rig(guard: Guardrail, *, audit: Any = None, sink: Any = None) -> _LangChainRig:
    from langchain.agents import create_agent
    from langchain_core.tools import StructuredTool
    from langgraph.checkpoint.memory import InMemorySaver

    from guardrail.adapters.langchain import GuardrailMiddleware
    from guardrail.handoff import MemorySink
    from guardrail.testing.scripted import ScriptedChatModel, Tape

    recorder = Recorder()
    schema = {"type": "object", "properties": {}, "additionalProperties": True}
    tools = [StructuredTool.from_function(func=fn, name=name, description=f"{name} (red team)",
                                          args_schema=schema)
             for name, fn in recorder.functions().items()]
    tape = Tape([])
    sink = sink if sink is not None else MemorySink()
    middleware = GuardrailMiddleware(guard, context=CUSTOMER, sink=sink, audit=audit)
    agent = create_agent(ScriptedChatModel(tape=tape), tools=tools, middleware=[middleware],
                         checkpointer=InMemorySaver())
    return _LangChainRig(agent, tape, recorder, middleware, sink)


def _config(thread: str) -> Any:
    return {"configurable": {"thread_id": thread}}


def _say(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _lc_verdicts(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    from guardrail.adapters.langchain import tool_verdicts

    return tool_verdicts(result.get("messages", []))


def _lc_call(tool: str, args: Any, call_id: str = "c1") -> dict[str, Any]:
    return {"name": tool, "args": args, "id": call_id}


def _lc_gate_one(rig: _LangChainRig, attempt: GateAttempt, thread: str) -> tuple[list[Any], bool]:
    """Run one attempt; return the gate's records and whether the tool was offered."""
    from langchain_core.messages import AIMessage
    from langgraph.types import Command

    config = _config(thread)
    if attempt.mode == "duplicate_id":
        calls = [_lc_call(attempt.tool, dict(OWN)), _lc_call(attempt.tool, attempt.args)]
    elif attempt.mode == "approve_other":
        calls = [_lc_call(attempt.tool, dict(OWN))]
    else:
        calls = [_lc_call(attempt.tool, attempt.args)]
    rig.tape.turns = [[AIMessage(content="", id="m1", tool_calls=calls), AIMessage("Done.")]]
    asked = len(rig.tape.calls)
    result = rig.agent.invoke(_say(REQUESTS[attempt.tool]), config)
    offered = len(rig.tape.calls) > asked and attempt.tool in rig.tape.calls[asked].tools
    for _ in range(4):  # the customer approves whatever is asked (the worst case)
        pending = result.get("__interrupt__") or []
        if not pending:
            break
        if attempt.mode == "approve_other":
            # the customer saw and approved their own call; the call is swapped under its id
            rig.agent.update_state(config, {"messages": [AIMessage(
                content="", id="m1", tool_calls=[_lc_call(attempt.tool, attempt.args)])]})
        result = rig.agent.invoke(Command(resume={p.id: True for p in pending}), config)
    return _lc_verdicts(result), offered


def _langchain_gate(guard: Guardrail, attempts: Sequence[GateAttempt]) -> GateCounts:
    rig = _langchain_rig(guard)
    counts = GateCounts("langchain")
    for index, attempt in enumerate(a for a in attempts if not a.raw):
        counts.attempts += 1
        before = len(rig.recorder.ran)
        try:
            records, offered = _lc_gate_one(rig, attempt, f"gate-{index}")
        except Exception as exc:
            counts.raised += 1
            _example(counts.examples, f"{attempt.name}: raised {_failure(exc)}")
            records, offered = [], False
        counts.reached_binding += offered
        ran = rig.recorder.ran[before:]
        foreign = _foreign(ran)
        counts.foreign_executed += foreign
        not_denied = sum(1 for r in records if r.get("action") != "deny")
        if len(ran) > not_denied:
            counts.denied_executed += len(ran) - not_denied
        if foreign:
            _example(counts.examples, f"{attempt.name}: ran {ran}")
    for index, control in enumerate(GATE_CONTROLS):
        counts.controls += 1
        before = len(rig.recorder.ran)
        try:
            _lc_gate_one(rig, control, f"control-{index}")
            # the application retries the run: nothing may run twice
            rig.agent.invoke(None, _config(f"control-{index}"))
        except Exception as exc:
            counts.raised += 1
            _example(counts.examples, f"{control.name}: raised {_failure(exc)}")
        runs = len(rig.recorder.ran) - before
        counts.controls_executed += min(runs, 1)
        counts.repeated_on_retry += max(runs - 1, 0)
    return counts


# -- OpenAI ----------------------------------------------------------------------------------------


def _spec(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "parameters": {"type": "object", "properties": {}}}}


@contextmanager
def _openai_client() -> Iterator[tuple[Any, Any]]:
    import openai

    from tests._servers.chat import chat_server

    with chat_server() as server, openai.OpenAI(base_url=server.url, api_key="test",
                                                max_retries=0) as client:
        yield server, client


def _approval(turn: Any, attempt: GateAttempt | None) -> Any:
    """Everything asked approved as shown (the worst case); for ``approve_other``, the
    customer's own call approved instead. Before issue 15 (no `args_hash`): the bare ids."""
    calls = turn.needs_confirmation
    if not calls:
        return {}
    if not hasattr(calls[0], "args_hash"):
        return {c.id for c in calls}
    if attempt is not None and attempt.mode == "approve_other":
        from guardrail.adapters._binding import args_hash

        return {c.id: args_hash(c.name, dict(OWN)) for c in calls}
    return {c.id: c.args_hash for c in calls}


def _openai_gate(guard: Guardrail, attempts: Sequence[GateAttempt]) -> GateCounts:
    from guardrail.adapters.openai import GuardedOpenAI, execute_tool_calls
    from guardrail.handoff import MemorySink

    counts = GateCounts("openai")
    recorder = Recorder()
    tools = recorder.functions()
    specs = [_spec(name) for name in REQUESTS]
    with _openai_client() as (server, client):
        guarded = GuardedOpenAI(client, guard, sink=MemorySink())

        def one(attempt: GateAttempt, conv_id: str, retry: bool = False) -> tuple[Any, bool]:
            def text(args: dict[str, Any] | str) -> str:
                return args if isinstance(args, str) else json.dumps(args)
            if attempt.mode == "duplicate_id":
                calls = [("c1", attempt.tool, json.dumps(OWN)),
                         ("c1", attempt.tool, text(attempt.args))]
            else:
                calls = [("c1", attempt.tool, text(attempt.args))]
            server.script.clear()
            server.reply(None, *calls)
            turn = guarded.create(model="scripted", messages=[
                {"role": "user", "content": REQUESTS[attempt.tool]}], tools=specs,
                context=CUSTOMER, conversation_id=conv_id)
            sent = server.requests[-1]["body"] if server.requests else {}
            offered = turn.completion is not None and attempt.tool in [
                t["function"]["name"] for t in sent.get("tools", [])]
            execute_tool_calls(turn, tools, approve=_approval(turn, attempt))
            if retry:  # the application runs the same turn's calls again after a crash
                execute_tool_calls(turn, tools, approve=_approval(turn, attempt))
            return turn, offered

        for index, attempt in enumerate(attempts):
            counts.attempts += 1
            before = len(recorder.ran)
            try:
                turn, offered = one(attempt, f"gate-{index}")
                not_denied = sum(1 for c in turn.tool_calls if c.action != "deny")
            except Exception as exc:
                counts.raised += 1
                _example(counts.examples, f"{attempt.name}: raised {_failure(exc)}")
                offered, not_denied = False, 0
            counts.reached_binding += offered
            ran = recorder.ran[before:]
            foreign = _foreign(ran)
            counts.foreign_executed += foreign
            if len(ran) > not_denied:
                counts.denied_executed += len(ran) - not_denied
            if foreign:
                _example(counts.examples, f"{attempt.name}: ran {ran}")
        for index, control in enumerate(GATE_CONTROLS):
            counts.controls += 1
            before = len(recorder.ran)
            try:
                one(control, f"control-{index}", retry=True)
            except Exception as exc:
                counts.raised += 1
                _example(counts.examples, f"{control.name}: raised {_failure(exc)}")
            runs = len(recorder.ran) - before
            counts.controls_executed += min(runs, 1)
            counts.repeated_on_retry += max(runs - 1, 0)
    return counts


def run_gate(guard: Guardrail, attempts: Sequence[GateAttempt] = GATE) -> list[GateCounts]:
    """Every gate attempt through both adapters."""
    return [_langchain_gate(guard, attempts), _openai_gate(guard, attempts)]


# -- evasions --------------------------------------------------------------------------------------

_REPLY = "Could you tell me more?"


def _history(turns: Sequence[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for turn in turns:
        if out:
            out.append({"role": "assistant", "content": _REPLY})
        out.append({"role": "user", "content": turn})
    return out


def _core_views(guard: Guardrail, turns: Sequence[str], conv_id: str,
                trimmed: Sequence[str] = ()) -> dict[str, Any]:
    """The last decision of `turns` checked turn by turn under `conv_id` (then `trimmed`)."""
    decision: Decision | None = None
    for n in range(1, len(turns) + 1):
        decision = guard.check({"id": conv_id, "messages": _history(turns[:n]),
                                "context": CUSTOMER})
    if trimmed:
        decision = guard.check({"id": conv_id, "messages": _history(trimmed),
                                "context": CUSTOMER})
    assert decision is not None
    return decision.view()


def _lc_views(rig: _LangChainRig, turns: Sequence[str], thread: str,
              trimmed: Sequence[str] = ()) -> dict[str, Any]:
    from langchain_core.messages import RemoveMessage
    from langgraph.graph.message import REMOVE_ALL_MESSAGES

    config = _config(thread)
    result: Mapping[str, Any] = {}
    for turn in turns:
        result = rig.agent.invoke(_say(turn), config)
    if trimmed:  # the application drops the history it keeps and sends only the last messages
        rig.agent.update_state(config, {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES)]})
        for turn in trimmed:
            result = rig.agent.invoke(_say(turn), config)
    return dict(result["guardrail"])


def _openai_views(guarded: Any, server: Any, turns: Sequence[str], conv_id: str,
                  trimmed: Sequence[str] = ()) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    turn: Any = None

    def step(text: str) -> None:
        nonlocal turn
        messages.append({"role": "user", "content": text})
        server.script.clear()
        server.reply(_REPLY)
        turn = guarded.create(model="scripted", messages=list(messages),
                              tools=[_spec(n) for n in REQUESTS], context=CUSTOMER,
                              conversation_id=conv_id)
        messages.append(dict(turn.message))

    for text in turns:
        step(text)
    if trimmed:
        messages.clear()
        for text in trimmed:
            step(text)
    return dict(turn.decision.view())


def run_evasions(guard: Guardrail, attempts: Sequence[EvasionAttempt] = EVASIONS,
                 paths: Sequence[str] = ("core", "langchain", "openai")) -> list[EvasionCounts]:
    """Every evasion attempt on each path, compared with its plain request on the same path."""
    out = []
    for path in paths:
        counts = EvasionCounts(path)
        with _evasion_path(guard, path) as views:
            plain: dict[str, dict[str, Any]] = {}
            for index, attempt in enumerate(attempts):
                counts.attempts += 1
                key = "\n".join(attempt.plain)
                try:
                    if key not in plain:
                        plain[key] = views(attempt.plain, f"plain-{index}", ())
                    base = plain[key]
                    view = views(attempt.attack, f"attack-{index}", attempt.trimmed)
                except Exception as exc:
                    counts.raised += 1
                    _example(counts.examples, f"{attempt.name}: raised {_failure(exc)}")
                    continue
                counts.plain_handed_off += bool(base["handoff"]["required"])
                why = looser(view, base)
                counts.tools_only_under_handoff += bool(
                    not why and view["handoff"]["required"] and tool_differences(view, base))
                if why:
                    counts.looser += 1
                    counts.looser_names.append(attempt.name)
                    seen = counts.looser_by.get(attempt.variation, 0)
                    counts.looser_by[attempt.variation] = seen + 1
                    if seen < 2:  # the first two of each variation, whatever came before
                        counts.examples.append(f"{attempt.name}: {'; '.join(why)}"[:300])
        out.append(counts)
    return out


ViewFn = Callable[[Sequence[str], str, Sequence[str]], dict[str, Any]]


@contextmanager
def _evasion_path(guard: Guardrail, path: str) -> Iterator[ViewFn]:
    if path == "core":
        yield lambda turns, cid, trimmed: _core_views(guard, turns, cid, trimmed)
    elif path == "langchain":
        rig = _langchain_rig(guard)
        yield lambda turns, cid, trimmed: _lc_views(rig, turns, cid, trimmed)
    else:
        from guardrail.adapters.openai import GuardedOpenAI
        from guardrail.handoff import MemorySink

        with _openai_client() as (server, client):
            guarded = GuardedOpenAI(client, guard, sink=MemorySink())
            yield lambda turns, cid, trimmed: _openai_views(guarded, server, turns, cid, trimmed)


# -- faults ----------------------------------------------------------------------------------------

HANDOFF = "I want to talk to a human."
TURN_BOUND_S = 10.0  # a turn that rescues a conversation may not hang on a broken peer


class _RaisingSink:
    def send(self, summary: Any) -> None:
        raise OSError("help desk unreachable")


def _fault_setup(fault: str, tmp: Path) -> tuple[Any, Any, Callable[[], list[Any]], Any]:
    """(audit, sink, delivered(), cleanup) for one fault."""
    from guardrail.audit import AuditLog
    from guardrail.handoff import MemorySink, SpoolingSink, WebhookSink, replay

    memory = MemorySink()
    if fault == "audit-dev-full":
        return AuditLog("/dev/full"), memory, lambda: list(memory.summaries), None
    if fault == "audit-under-a-file":
        (tmp / "a-file").write_text("")
        return AuditLog(tmp / "a-file" / "audit.jsonl"), memory, lambda: list(
            memory.summaries), None
    spool = tmp / "handoffs.spool"
    if fault == "spool-torn-tail":
        spool.write_text('{"key": "torn", "summary": {"conversation_id": "x", "que')
    if fault == "webhook-hangs-spooled":
        from tests._servers.http import Reply, serve

        hanging = serve(lambda request: Reply(200, {}, delay=30.0))
        server = hanging.__enter__()
        inner: Any = WebhookSink(server.url("/handoffs"), timeout=0.5, attempts=1, deadline=1.0)
        cleanup: Any = lambda: hanging.__exit__(None, None, None)  # noqa: E731
    else:
        inner, cleanup = _RaisingSink(), None
    sink = SpoolingSink(inner, spool)

    def delivered() -> list[Any]:
        deadline = time.monotonic() + 8.0
        while time.monotonic() < deadline:  # the background worker may still be trying
            replay(spool, memory)
            if memory.summaries:
                break
            time.sleep(0.25)
        return list(memory.summaries)

    return None, sink, delivered, cleanup


def run_faults(guard_factory: Callable[[], Guardrail]) -> FaultCounts:
    """Every fault, on both adapters: a tool call, then a handoff, on a failing disk or peer."""
    counts = FaultCounts()
    for fault in FAULTS:
        for adapter in ("langchain", "openai"):
            counts.attempts += 1
            counts.handoffs_expected += 1
            before = counts.handoffs_lost + counts.turns_raised + counts.turns_over_bound
            with tempfile.TemporaryDirectory() as folder:
                cleanup = None
                try:
                    audit, sink, delivered, cleanup = _fault_setup(fault, Path(folder))
                    started = time.perf_counter()
                    try:
                        _fault_turns(adapter, guard_factory(), audit, sink, fault)
                    except Exception as exc:
                        counts.turns_raised += 1
                        _example(counts.examples, f"{fault}/{adapter}: raised {_failure(exc)}")
                    took = time.perf_counter() - started
                    counts.slowest_turn_s = max(counts.slowest_turn_s, round(took, 2))
                    if took > TURN_BOUND_S:
                        counts.turns_over_bound += 1
                        _example(counts.examples, f"{fault}/{adapter}: turns took {took:.1f}s")
                    got = delivered()
                except Exception as exc:  # the setup or the replay itself failed
                    got = []
                    _example(counts.examples, f"{fault}/{adapter}: {_failure(exc)}")
                finally:
                    if cleanup is not None:
                        cleanup()
                if not got:
                    counts.handoffs_lost += 1
                    _example(counts.examples, f"{fault}/{adapter}: handoff lost")
                failed = counts.handoffs_lost + counts.turns_raised + counts.turns_over_bound
                if failed > before:
                    counts.failed_by[fault] = counts.failed_by.get(fault, 0) + failed - before
    return counts


def _fault_turns(adapter: str, guard: Guardrail, audit: Any, sink: Any, fault: str) -> None:
    """A tool call on the faulty setup, then a request for a person."""
    if adapter == "langchain":
        from langchain_core.messages import AIMessage

        rig = _langchain_rig(guard, audit=audit, sink=sink)
        rig.tape.turns = [
            [AIMessage(content="", tool_calls=[_lc_call("lookup_invoice", {})]),
             AIMessage("Here.")],
            [AIMessage("...")]]
        config = _config(f"fault-{fault}")
        rig.agent.invoke(_say(REQUESTS["lookup_invoice"]), config)
        rig.agent.invoke(_say(HANDOFF), config)
        return
    from guardrail.adapters.openai import GuardedOpenAI, execute_tool_calls

    recorder = Recorder()
    with _openai_client() as (server, client):
        guarded = GuardedOpenAI(client, guard, sink=sink, audit=audit)
        server.reply(None, ("c1", "lookup_invoice", "{}"))
        messages: list[Any] = [{"role": "user", "content": REQUESTS["lookup_invoice"]}]
        turn = guarded.create(model="scripted", messages=messages,
                              tools=[_spec(n) for n in REQUESTS], context=CUSTOMER,
                              conversation_id=f"fault-{fault}")
        messages.append(turn.message)
        messages.extend(execute_tool_calls(turn, recorder.functions()))
        messages.append({"role": "user", "content": HANDOFF})
        server.reply("...")
        guarded.create(model="scripted", messages=messages, tools=[_spec(n) for n in REQUESTS],
                       context=CUSTOMER, conversation_id=f"fault-{fault}")


def all_counts(guard_factory: Callable[[], Guardrail]) -> dict[str, Any]:
    """Every table, counted (what ``tools/redteam.py`` prints)."""
    fuzz_tool()  # the transforms load from tools/fuzz.py
    return {
        "gate": [as_row(c) for c in run_gate(guard_factory())],
        "evasion": [as_row(c) for c in run_evasions(guard_factory())],
        "faults": as_row(run_faults(guard_factory)),
    }
