"""Per-turn cost of `GuardrailMiddleware` in a real LangChain agent, against baselines in one run.

The same agent (`create_agent`, the same scripted chat model -- `guardrail.demo.scripted`, whose
script is kept out of LangChain's callback serialization as a provider model's state is -- and the
same demo tools) is timed turn by turn in these variants:

    (a) no middleware
    (b) a pass-through middleware with the same hooks (wrap_model_call / wrap_tool_call and their
        async twins) that only calls the handler: what any middleware with these hooks pays
    (c) GuardrailMiddleware(Guardrail(need_model=None), context={"customer_id": ...}): rules only
    (d) GuardrailMiddleware(context={"customer_id": ...}): the default engine, with the learned
        need model (a bare `GuardrailMiddleware()` has no customer id, so its gate rightly
        refuses the customer-bound `lookup_invoice`; the context is the only difference)
    (e) GuardrailMiddleware over an engine that returns one precomputed decision: the adapter's
        own work (conversion, tool filtering, directives, state updates, the gate) without
        classification

and two `floor` rows time `Guardrail.check` alone on exactly the conversations the middleware
checks in one turn (before each model call and before the tool call: three checks).

Each guarded turn's overhead over (b) is split, inside the same turns, into the time spent in
the engine's `check` / `acheck` calls (timed around each call), in screening the tool's result
for planted instructions (`screen_untrusted`: the engine's detector on one tool message, timed
around the call) and the glue: everything else (conversion, tool filtering, directives, spans,
the gate, state updates). The issue's budgets: glue <= 100 us per turn, and the whole overhead
<= 3x one `check` (one check: the floor row's three checks / 3).

One agent turn is one new user message -> a model call that returns one `lookup_invoice` call
-> the tool runs -> a model call that returns the final text. Every turn is a new user message
(cycling through billing / how-to questions for which `lookup_invoice` is allowed), so the turn
really is classified. Two shapes of run:

    fresh    one `invoke` per turn with a 1-message input, no checkpointer, a new thread id
    growing  an InMemorySaver checkpointer; each turn appends one user message to the same
             thread (a new thread every --turns-per-thread turns)

Both are timed with `invoke` and with `ainvoke` (one `asyncio.run` around a loop of awaits).
The variants run in interleaved rounds (the order rotated each round), so machine noise hits
them all alike; "paired" is the median of the per-round differences. Python's cyclic GC stays
on (what an application sees) unless --gc-off (then cycles are collected between rounds).

Prints tables; never asserts on time. Exits 1 only when a sanity check fails: the tool did not
run once per turn in some variant, a guarded agent did not get its decision, or a denied tool
ran.

    python benchmarks/bench_middleware.py            # full run (about 70 s)
    python benchmarks/bench_middleware.py --quick    # CI smoke run (a few seconds)
    python benchmarks/bench_middleware.py --profile  # also cProfile (c) against (b), per turn
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

import guardrail.adapters.langchain as _langchain_adapter
from guardrail import Conversation, Guardrail
from guardrail.adapters.langchain import GuardrailMiddleware
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.decision import Decision
from guardrail.demo.tools import Backoffice, KeywordRetriever, load_documents, make_tools
from guardrail.registry import Registry
from guardrail.testing.scripted import ScriptedChatModel, Tape

CUSTOMER = "cus_1"
CONTEXT = {"customer_id": CUSTOMER}
SYSTEM = "You are the support assistant of Acme. Be brief and accurate."
TOOL = "lookup_invoice"
TOOL_ARGS = {"invoice_id": "INV-1"}
TOOL_OUTPUT = "INV-1: 49.00 EUR, Starter plan, paid 3 March by card ending 4242."
FINAL = "Your last invoice, INV-1, is 49.00 EUR for the Starter plan, paid on 3 March."
DENIED_TOOL = "reset_mfa"  # never allowed for a billing question
TARGET_US = 100.0  # the budget: extra cost per agent turn over a pass-through middleware
TARGET_RATIO = 3.0  # the budget: overhead per agent turn / the cost of one check

CANDIDATES = (
    "Can you show me my last invoice please?",
    "Hi, can you pull up my last invoice please?",
    "Could you send me a copy of invoice INV-1?",
    "I need the invoice for last month for my expense report",
    "What did I pay on my most recent invoice?",
    "Where can I download my invoices?",
    "Can I see the details of my latest bill?",
    "Please show me the amount on my last invoice",
    "How do I add my VAT number to an invoice?",
    "What is the due date on my current invoice?",
    "I'd like to check which plan my last invoice was for",
    "how do I export my invoices to PDF?",
)


# Time spent in the engine's check calls and in tool-result screening during the current turn,
# in us: reset before each timed turn, read after it (the tool hook runs in LangGraph's worker
# thread; turns never overlap, so plain module state is enough).
SPENT = {"check": 0.0, "screen": 0.0, "calls": 0.0}


def _timed_engine(guard: Guardrail) -> Guardrail:
    """`guard` with its `check` / `acheck` timed into SPENT (instance attributes shadow the
    methods; the timer costs well under a microsecond a call). `acheck` may run `check`
    itself: the outer call alone is counted."""
    check, acheck = guard.check, guard.acheck
    depth = [0]

    def timed(start: int) -> None:
        depth[0] -= 1
        if not depth[0]:
            SPENT["check"] += (time.perf_counter_ns() - start) / 1000
            SPENT["calls"] += 1

    def timed_check(conversation: Any) -> Decision:
        depth[0] += 1
        start = time.perf_counter_ns()
        try:
            return check(conversation)
        finally:
            timed(start)

    async def timed_acheck(conversation: Any) -> Decision:
        depth[0] += 1
        start = time.perf_counter_ns()
        try:
            return await acheck(conversation)
        finally:
            timed(start)

    guard.check = timed_check  # type: ignore[method-assign]
    guard.acheck = timed_acheck  # type: ignore[method-assign]
    return guard


def _time_screening() -> None:
    """Time the middleware's screening of tool results into SPENT (once per process)."""
    screen = _langchain_adapter.screen_untrusted  # type: ignore[attr-defined]
    if getattr(screen, "timed", False):
        return

    def timed_screen(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter_ns()
        try:
            return screen(*args, **kwargs)
        finally:
            SPENT["screen"] += (time.perf_counter_ns() - start) / 1000

    timed_screen.timed = True  # type: ignore[attr-defined]
    _langchain_adapter.screen_untrusted = timed_screen  # type: ignore[attr-defined]


class SanityError(Exception):
    """A variant did not do what the benchmark assumes; its timings would be meaningless."""


def rules_only(registry: Registry) -> Guardrail:
    """Variant (c)'s engine: the rules alone."""
    return Guardrail(registry, need_model=None)


def default(registry: Registry) -> Guardrail:
    """Variant (d)'s engine: what `GuardrailMiddleware()` builds (`Guardrail.from_defaults()`),
    on a registry loaded once for the whole run."""
    return Guardrail(registry, need_model="default")


class FixedDecision(Guardrail):
    """Variant (e)'s engine: one precomputed decision for every check (no classification)."""

    def __init__(self, registry: Registry, decision: Decision) -> None:
        super().__init__(registry, need_model=None)
        self._decision = decision

    def check(self, conversation: Any) -> Decision:
        return self._decision

    async def acheck(self, conversation: Any) -> Decision:
        return self._decision




class PassThrough(AgentMiddleware[Any, Any, Any]):
    """The same hooks as GuardrailMiddleware, doing nothing but calling the handler."""

    def wrap_model_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        return handler(request)

    async def awrap_model_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        return await handler(request)

    def wrap_tool_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        return handler(request)

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        return await handler(request)


# -- the messages ---------------------------------------------------------------------------------


def first_turn(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], "context": CONTEXT}


def usable_messages(guards: Sequence[Guardrail]) -> list[str]:
    """The candidates for which every guard allows `lookup_invoice` and asks for no handoff."""
    kept = []
    for text in CANDIDATES:
        decisions = [guard.check(first_turn(text)) for guard in guards]
        if all(TOOL in d.allowed_tools and not d.handoff.required for d in decisions):
            kept.append(text)
        else:
            print(f"  (dropped, {TOOL} not allowed or a handoff: {text!r})")
    return kept


def script_turn(turn: int, tool: str = TOOL, args: dict[str, Any] | None = None) -> list[AIMessage]:
    """The model's two replies in one turn: one tool call, then the final text."""
    call = {"name": tool, "args": dict(args if args is not None else TOOL_ARGS),
            "id": f"call_{turn}"}
    return [AIMessage(content="", tool_calls=[call]), AIMessage(content=FINAL)]


# -- the variants ---------------------------------------------------------------------------------


class AgentVariant:
    """One agent in one run shape, with its own tools, tape and back office."""

    def __init__(self, key: str, label: str, middleware: list[Any], guarded: bool,
                 growing: bool, per_thread: int, docs: list[Any], tag: str) -> None:
        self.key, self.label, self.guarded, self.growing, self.tag = (
            key, label, guarded, growing, tag)
        self.per_thread = per_thread if growing else 1
        self.office = Backoffice()
        retriever = ScopedRetriever(retriever=KeywordRetriever(documents=docs))
        self.tape = Tape([script_turn(t) for t in range(self.per_thread)])
        self.checkpointer = InMemorySaver() if growing else None
        self.agent: Any = create_agent(
            ScriptedChatModel(tape=self.tape),
            tools=make_tools(self.office, retriever),
            system_prompt=SYSTEM,
            middleware=middleware,
            checkpointer=self.checkpointer,
        )
        self.thread = 0
        self.turn = 0  # turns done in the current thread
        self.spent: dict[str, list[float]] = {"check": [], "screen": [], "calls": []}

    def _thread_id(self) -> str:
        return f"{self.tag}-{self.key}-{'conv' if self.growing else 'fresh'}-{self.thread}"

    def _next(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.turn == self.per_thread:
            if self.checkpointer is not None:
                self.checkpointer.delete_thread(self._thread_id())
            self.thread += 1
            self.turn = 0
        payload = {"messages": [{"role": "user", "content": text}]}
        return payload, {"configurable": {"thread_id": self._thread_id()}}

    def run(self, text: str) -> float:
        payload, config = self._next(text)
        before = len(self.office.log)
        SPENT.update(check=0.0, screen=0.0, calls=0.0)
        start = time.perf_counter_ns()
        result = self.agent.invoke(payload, config)
        elapsed = (time.perf_counter_ns() - start) / 1000
        self._verify(result, before)
        return elapsed

    async def arun(self, text: str) -> float:
        payload, config = self._next(text)
        before = len(self.office.log)
        SPENT.update(check=0.0, screen=0.0, calls=0.0)
        start = time.perf_counter_ns()
        result = await self.agent.ainvoke(payload, config)
        elapsed = (time.perf_counter_ns() - start) / 1000
        self._verify(result, before)
        return elapsed

    def _verify(self, result: dict[str, Any], before: int) -> None:
        """Untimed: the tool ran once, the turn ended with the final text, the guard acted."""
        for key, spent in SPENT.items():
            self.spent[key].append(spent)
        self.turn += 1
        ran = self.office.log[before:]
        if [entry["tool"] for entry in ran] != [TOOL]:
            raise SanityError(f"({self.key}) expected one {TOOL} call to run, ran: {ran}")
        last = result["messages"][-1]
        if last.type != "ai" or last.text != FINAL:
            raise SanityError(f"({self.key}) turn did not end with the final text: {last!r}")
        humans = sum(1 for m in result["messages"] if m.type == "human")
        if humans != self.turn:
            raise SanityError(f"({self.key}) {humans} user messages, expected {self.turn}")
        calls, self.tape.calls[:] = list(self.tape.calls), []
        if [c.step for c in calls] != [0, 1]:
            raise SanityError(f"({self.key}) expected two model calls, got {calls}")
        if self.guarded:
            view = result.get("guardrail") or {}
            if TOOL not in view.get("allowed_tools", ()) or view.get("handoff", {}).get("required"):
                raise SanityError(f"({self.key}) no decision allowing {TOOL} in state: {view}")
            if ran[0].get("customer_id") != CUSTOMER:
                raise SanityError(f"({self.key}) customer id not bound: {ran[0]}")
            if DENIED_TOOL in calls[0].tools:
                raise SanityError(f"({self.key}) the model was shown {DENIED_TOOL}")


class FloorVariant:
    """`Guardrail.check` alone on the three conversations the middleware checks in a turn."""

    def __init__(self, key: str, label: str, guard: Guardrail, growing: bool,
                 per_thread: int, tag: str) -> None:
        self.key, self.label, self.guard, self.growing, self.tag = (
            key, label, guard, growing, tag)
        self.per_thread = per_thread if growing else 1
        self.thread = 0
        self.history: list[dict[str, str]] = []

    def _conversations(self, text: str) -> list[Conversation]:
        if len(self.history) == 4 * self.per_thread:
            self.thread += 1
            self.history = []
        thread = f"{self.tag}-{self.key}-{'conv' if self.growing else 'fresh'}-{self.thread}"
        turn = [
            {"role": "user", "content": text},
            {"role": "assistant", "content": ""},  # the tool-call message has no text
            {"role": "tool", "content": TOOL_OUTPUT},
        ]
        convs = [
            Conversation.model_validate({"id": thread, "messages": self.history + turn[:n],
                                         "context": CONTEXT})
            for n in (1, 2, 3)
        ]
        self.history += [*turn, {"role": "assistant", "content": FINAL}]
        return convs

    def run(self, text: str) -> float:
        convs = self._conversations(text)
        start = time.perf_counter_ns()
        for conv in convs:
            self.guard.check(conv)
        return (time.perf_counter_ns() - start) / 1000

    async def arun(self, text: str) -> float:
        convs = self._conversations(text)
        start = time.perf_counter_ns()
        for conv in convs:
            await self.guard.acheck(conv)
        return (time.perf_counter_ns() - start) / 1000


Variant = AgentVariant | FloorVariant


def build(registry: Registry, growing: bool, per_thread: int, docs: list[Any], texts: list[str],
          tag: str) -> list[Variant]:
    """The timed variants, each with its own agent or engine."""
    fixed = rules_only(registry).check(first_turn(texts[0]))

    def agent(key: str, label: str, middleware: list[Any], guarded: bool) -> AgentVariant:
        return AgentVariant(key, label, middleware, guarded, growing, per_thread, docs, tag)

    def guarded(guard: Guardrail) -> list[Any]:
        return [GuardrailMiddleware(_timed_engine(guard), context=CONTEXT)]

    _time_screening()

    return [
        agent("a", "(a) no middleware", [], False),
        agent("b", "(b) pass-through middleware", [PassThrough()], False),
        agent("c", "(c) guardrail, rules only", guarded(rules_only(registry)), True),
        agent("d", "(d) guardrail, default", guarded(default(registry)), True),
        agent("e", "(e) guardrail, fixed decision", guarded(FixedDecision(registry, fixed)), True),
        FloorVariant("fc", "floor: 3 checks, rules only", rules_only(registry), growing,
                     per_thread, tag),
        FloorVariant("fd", "floor: 3 checks, default", default(registry), growing, per_thread,
                     tag),
    ]


# -- the runs -------------------------------------------------------------------------------------


def _between_rounds(r: int, gc_off: bool) -> None:
    """With --gc-off, collect the cycles of the last round outside the timed turns."""
    if gc_off:
        gc.collect(1 if r % 50 else 2)


def rounds_sync(variants: list[Variant], texts: list[str], warmup: int, rounds: int,
                samples: dict[str, list[float]], gc_off: bool) -> None:
    gc.collect()
    for r in range(warmup + rounds):
        text = texts[r % len(texts)]
        shift = r % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            micros = variant.run(text)
            if r >= warmup:
                samples.setdefault(variant.key, []).append(micros)
        _between_rounds(r, gc_off)


async def rounds_async(variants: list[Variant], texts: list[str], warmup: int, rounds: int,
                       samples: dict[str, list[float]], gc_off: bool) -> None:
    gc.collect()
    for r in range(warmup + rounds):
        text = texts[r % len(texts)]
        shift = r % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            micros = await variant.arun(text)
            if r >= warmup:
                samples.setdefault(variant.key, []).append(micros)
        _between_rounds(r, gc_off)


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def _paired(xs: Sequence[float], ys: Sequence[float]) -> float:
    return statistics.median(x - y for x, y in zip(xs, ys, strict=True))


def _met(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def _split(variant: AgentVariant, xs: Sequence[float], bs: Sequence[float]) -> dict[str, float]:
    """Medians of one guarded variant's per-turn overhead over (b) (paired by round) and of its
    parts: time in checks, in screening, and the glue left over (paired per turn, then the
    median, so it is not a difference of unrelated medians)."""
    n = len(xs)
    spent = {key: values[-n:] for key, values in variant.spent.items()}  # after the warm-up
    over = [x - b for x, b in zip(xs, bs, strict=True)]
    glue = [o - c - s for o, c, s in zip(over, spent["check"], spent["screen"], strict=True)]
    return {"overhead": statistics.median(over), "glue": statistics.median(glue),
            **{key: statistics.median(values) for key, values in spent.items()}}


def report(title: str, variants: list[Variant], samples: dict[str, list[float]],
           turn_of: list[int]) -> dict[str, float]:
    """Print one table; return the median differences over (b) in µs."""
    print(f"\n{title} ({len(samples['a'])} turns per variant)")
    print(f"{'variant':<36}{'median us':>11}{'p90 us':>11}")
    for variant in variants:
        values = samples[variant.key]
        print(f"{variant.label:<36}{statistics.median(values):>11.0f}{_p90(values):>11.0f}")
    print(f"{'difference':<36}{'median us':>11}{'p90 us':>11}{'paired us':>11}")
    diffs = {}
    for label, x, y in (("(b)-(a) pass-through middleware", "b", "a"),
                        ("(c)-(b) rules only", "c", "b"),
                        ("(d)-(b) default", "d", "b"),
                        ("(e)-(b) adapter glue alone", "e", "b")):
        med = statistics.median(samples[x]) - statistics.median(samples[y])
        p90 = _p90(samples[x]) - _p90(samples[y])
        diffs[x] = med
        print(f"{label:<36}{med:>+11.0f}{p90:>+11.0f}{_paired(samples[x], samples[y]):>+11.0f}")
    for key, floor in (("c", "fc"), ("d", "fd")):
        check = diffs[key] - diffs["e"]
        print(f"  ({key})-(e) classification in the agent: {check:+.0f} us "
              f"(floor, checks alone: {statistics.median(samples[floor]):.0f} us)")
    print("  split of each turn's overhead over (b), in the same turns (medians, us): overhead "
          "= checks + screening of the tool result + glue")
    agents = {v.key: v for v in variants if isinstance(v, AgentVariant)}
    for key, floor in (("c", "fc"), ("d", "fd"), ("e", "fc")):
        split = _split(agents[key], samples[key], samples["b"])
        one = statistics.median(samples[floor]) / 3
        diffs[f"glue_{key}"] = split["glue"]
        diffs[f"ratio_{key}"] = split["overhead"] / one
        print(f"  ({key}) overhead {split['overhead']:+.0f} = checks {split['check']:.0f} "
              f"({split['calls']:.0f} calls) + screening {split['screen']:.0f} + glue "
              f"{split['glue']:+.0f}; one check {one:.0f} ({floor} / 3): overhead / one check "
              f"{split['overhead'] / one:.1f}x")
    if len(set(turn_of)) > 1:
        parts = []
        for turn in sorted(set(turn_of)):
            picked = [i for i, t in enumerate(turn_of) if t == turn]

            def pick(key: str, picked: list[int] = picked) -> list[float]:
                return [samples[key][i] for i in picked]

            parts.append(f"turn {turn + 1}: (a) {statistics.median(pick('a')):.0f}, "
                         f"(c)-(b) {_paired(pick('c'), pick('b')):+.0f}, "
                         f"(d)-(b) {_paired(pick('d'), pick('b')):+.0f}")
        print("  by turn of the conversation (paired us): " + "; ".join(parts[:1] + parts[-1:]))
    return diffs


# -- the sanity run: a denied tool must not run -------------------------------------------------


def denied_tool_check(registry: Registry, docs: list[Any], texts: list[str]) -> list[str]:
    """Script a call of a tool the decision denies; the guarded agents must not run it."""
    problems = []
    for label, middleware, guarded in (
        ("(b) pass-through", [PassThrough()], False),
        ("(c) rules only", [GuardrailMiddleware(rules_only(registry), context=CONTEXT)], True),
        ("(d) default", [GuardrailMiddleware(default(registry), context=CONTEXT)], True),
    ):
        for use_async in (False, True):
            office = Backoffice()
            agent: Any = create_agent(
                ScriptedChatModel(tape=Tape([script_turn(0, DENIED_TOOL, {})])),
                tools=make_tools(office, ScopedRetriever(
                    retriever=KeywordRetriever(documents=docs))),
                system_prompt=SYSTEM, middleware=middleware,
            )
            payload = {"messages": [{"role": "user", "content": texts[0]}]}
            result = asyncio.run(agent.ainvoke(payload)) if use_async else agent.invoke(payload)
            ran = [entry["tool"] for entry in office.log]
            refused = [m for m in result["messages"] if m.type == "tool" and m.status == "error"]
            how = "ainvoke" if use_async else "invoke"
            if guarded and (DENIED_TOOL in ran or not refused):
                problems.append(f"{label} {how}: denied {DENIED_TOOL} ran ({ran})")
            if not guarded and ran != [DENIED_TOOL]:
                problems.append(f"{label} {how}: control run did not run {DENIED_TOOL} ({ran})")
    return problems


# -- profile --------------------------------------------------------------------------------------

_LOCK_WAIT = ("~", 0, "<method 'acquire' of '_thread.lock' objects>")


def _area(filename: str) -> str:
    path = filename.replace("\\", "/")
    for area in ("guardrail", "langchain_core", "langchain", "langgraph", "langsmith",
                 "pydantic"):
        if f"/{area}/" in path:
            return area
    return "builtins" if path == "~" else "other"


def _profile_tool_hook(middleware: AgentMiddleware[Any, Any, Any],
                       profiler: cProfile.Profile, active: list[bool]) -> None:
    """Profile `wrap_tool_call` (while `active[0]`) in the worker thread LangGraph runs it in.

    cProfile sees only the thread it is enabled in; without this, the tool hook's work would
    show only as the main thread waiting on a lock.
    """
    inner = middleware.wrap_tool_call

    def wrap_tool_call(request: Any, handler: Callable[[Any], Any]) -> Any:
        if not active[0]:
            return inner(request, handler)
        profiler.enable()
        try:
            return inner(request, handler)
        finally:
            profiler.disable()

    middleware.wrap_tool_call = wrap_tool_call  # type: ignore[method-assign]


def profile(registry: Registry, docs: list[Any], texts: list[str], turns: int) -> None:
    """cProfile (c) against (b), fresh sync turns: where the time per turn goes."""
    stats: dict[str, dict[Any, Any]] = {}
    for key, middleware in (
        ("b", PassThrough()),
        ("c", GuardrailMiddleware(rules_only(registry), context=CONTEXT)),
    ):
        tool_profiler, active = cProfile.Profile(), [False]
        _profile_tool_hook(middleware, tool_profiler, active)  # before create_agent binds it
        variant = AgentVariant(key, key, [middleware], key == "c", False, 1, docs, "profile")
        for text in texts * 3:
            variant.run(text)  # warm up
        active[0] = True
        gc.collect()
        gc.disable()  # a collection would land on whatever function happened to allocate
        main = cProfile.Profile()
        main.enable()
        for t in range(turns):
            variant.run(texts[t % len(texts)])
        main.disable()
        gc.enable()
        merged = pstats.Stats(main)
        merged.add(tool_profiler)
        stats[key] = merged.stats  # type: ignore[attr-defined]

    def per_turn(key: str, area: str | None) -> float:
        return float(sum(
            tottime for where, (_, _, tottime, _, _) in stats[key].items()
            if where != _LOCK_WAIT and (area is None or _area(where[0]) == area)
        )) / turns * 1e6

    print(f"\ncProfile, fresh invoke turns ({turns} per variant; cyclic GC off; the tool hook is "
          "profiled in LangGraph's worker thread too). Profiling inflates every number: compare "
          "them with each other.")
    print(f"{'tottime per turn, by package':<34}{'(b) us':>10}{'(c) us':>10}{'(c)-(b)':>10}")
    areas = sorted({_area(where[0]) for key in stats for where in stats[key]},
                   key=lambda area: -(per_turn("c", area) - per_turn("b", area)))
    for area in [*areas, None]:
        b, c = per_turn("b", area), per_turn("c", area)
        print(f"{area or 'total (without lock waits)':<34}{b:>10.0f}{c:>10.0f}{c - b:>+10.0f}")
    calls = {key: sum(v[1] for v in s.values()) / turns for key, s in stats.items()}
    print(f"function calls per turn: (b) {calls['b']:.0f}, (c) {calls['c']:.0f}")
    keys = set(stats["b"]) | set(stats["c"])
    rows = []
    for where in keys - {_LOCK_WAIT}:
        b_row = stats["b"].get(where, (0, 0, 0.0, 0, 0))
        c_row = stats["c"].get(where, (0, 0, 0.0, 0, 0))
        rows.append(((c_row[2] - b_row[2]) / turns * 1e6, c_row[1] / turns, where))
    for title, wanted in (("guardrail code", {"guardrail"}),
                          ("langchain / langgraph code",
                           {"langchain", "langchain_core", "langgraph", "langsmith"}),
                          ("other code (stdlib, pydantic, builtins)",
                           {"other", "pydantic", "builtins"})):
        print(f"\n(c)-(b) top 10 by tottime, {title}: us per turn, calls per turn in (c)")
        picked = sorted((r for r in rows if _area(r[2][0]) in wanted), reverse=True)[:10]
        for extra, ncalls, (filename, line, name) in picked:
            where = filename.replace("\\", "/").split("/site-packages/")[-1]
            where = where.split(f"{os.getcwd()}/")[-1]
            print(f"  {extra:>+7.1f} {ncalls:>6.1f}  {name} ({where}:{line})")


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few turns: a CI smoke run")
    parser.add_argument("--rounds", type=int, help="measured rounds per table (default 600)")
    parser.add_argument("--turns-per-thread", type=int, default=10,
                        help="turns of a growing conversation before a new thread (10)")
    parser.add_argument("--gc-off", action="store_true",
                        help="no cyclic GC inside the timed turns (collected between rounds)")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile (c) against (b), per turn")
    args = parser.parse_args()
    rounds = args.rounds or (12 if args.quick else 600)
    warmup = 4 if args.quick else 40
    per_thread = max(1, min(args.turns_per_thread, 4 if args.quick else 10_000))

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()} "
          f"({platform.python_implementation()})")
    print(f"one turn = user message -> model call ({TOOL}) -> tool -> model call (final text); "
          f"{rounds} measured rounds after {warmup} warm-up rounds per table; cyclic GC "
          f"{'off' if args.gc_off else 'on'}")

    registry = Registry.default()
    texts = usable_messages([rules_only(registry), default(registry)])
    if not texts:
        print("SANITY: no message keeps lookup_invoice allowed", file=sys.stderr)
        return 1
    print(f"{len(texts)} user messages cycled (each keeps {TOOL} allowed, no handoff)")
    docs = load_documents()

    problems = denied_tool_check(registry, docs, texts)
    if problems:
        for problem in problems:
            print(f"SANITY: {problem}", file=sys.stderr)
        return 1
    print(f"sanity: a scripted call of {DENIED_TOOL} is refused by (c) and (d) (invoke and "
          "ainvoke) and runs under (b)")

    verdicts = []
    try:
        for growing in (False, True):
            shape = (f"growing conversation, checkpointer, {per_thread} turns per thread"
                     if growing else "fresh invoke per turn, 1-message input, no checkpointer")
            turn_of = [(warmup + j) % per_thread if growing else 0 for j in range(rounds)]
            for use_async in (False, True):
                variants = build(registry, growing, per_thread, docs, texts,
                                 "async" if use_async else "sync")
                samples: dict[str, list[float]] = {}
                if args.gc_off:
                    gc.collect()
                    gc.disable()
                try:
                    if use_async:
                        asyncio.run(rounds_async(variants, texts, warmup, rounds, samples,
                                                 args.gc_off))
                    else:
                        rounds_sync(variants, texts, warmup, rounds, samples, args.gc_off)
                finally:
                    gc.enable()
                how = "ainvoke" if use_async else "invoke"
                diffs = report(f"== {how}: {shape}", variants, samples, turn_of)
                verdicts.append((f"{how}, {shape.split(',')[0]}", diffs))
    except SanityError as exc:
        print(f"SANITY: {exc}", file=sys.stderr)
        return 1

    print(f"\ntarget: at most {TARGET_US:.0f} us per agent turn over the pass-through "
          "middleware (difference of medians)")
    for label, diffs in verdicts:
        marks = ", ".join(
            f"{name} {diffs[key]:+.0f} us ({'met' if diffs[key] <= TARGET_US else 'NOT met'})"
            for key, name in (("c", "rules only"), ("d", "default"))
        )
        print(f"  {label:<36}{marks}")
    print(f"target: glue at most {TARGET_US:.0f} us per agent turn (overhead less checks and "
          f"screening), and overhead at most {TARGET_RATIO:.0f}x one check")
    for label, diffs in verdicts:
        marks = ", ".join(
            f"{name} glue {diffs[f'glue_{key}']:+.0f} us ({_met(diffs[f'glue_{key}'], TARGET_US)})"
            f", {diffs[f'ratio_{key}']:.1f}x ({_met(diffs[f'ratio_{key}'], TARGET_RATIO)})"
            for key, name in (("c", "rules only"), ("d", "default"))
        )
        print(f"  {label:<36}{marks}")

    if args.profile:
        profile(registry, docs, texts, 30 if args.quick else 300)
    return 0


if __name__ == "__main__":
    sys.exit(main())
