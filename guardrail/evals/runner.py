"""Play scenarios through the engine and record what it decided at every turn.

One *run* is a scenario under one context: the scenario as written, and, for ``cohorts: true``,
once more for each value of each cohort dimension of the eval config (that one context field
replaced). A run is a fresh conversation on a fresh `MemoryStore` seeded with the scenario's
history, so nothing carries from one run to the next. Its conversation id is the run id and a
serial number: the engine keeps a conversation's critical risks past `forget_conversation`
(DESIGN principle 9), so a run played again on the same engine must be a new conversation.
A turn's ``event`` (an exit event from the application or an agent) is applied through
`Guardrail.verify` / `Guardrail.resolve` before the turn is checked. After each turn's decision
the scripted tool calls are gated with `check_tool_call`, then the assistant reply is appended.

The runner records observations only (`RunTrace`); expectations are judged afterwards, once per
arm, by `guardrail.evals.judge`. Many runs go to a process pool in chunks; the results come back
in run order, so a parallel and a sequential run give the same traces.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from guardrail.conversation import Conversation, Message
from guardrail.decision import Decision, Verdict
from guardrail.engine import Guardrail
from guardrail.evals.schema import Scenario, TurnEvent
from guardrail.gate import check_tool_call
from guardrail.history import HistoryEvent, MemoryStore, customer_key
from guardrail.need import CascadeClassifier, NeedClassifier
from guardrail.reasons import RiskTier
from guardrail.registry import Registry

__all__ = [
    "PARALLEL_THRESHOLD",
    "Cohort",
    "GateCall",
    "RunSpec",
    "RunTrace",
    "TurnTrace",
    "expand_runs",
    "play",
    "play_all",
]

PARALLEL_THRESHOLD = 50
"""More runs than this go to a process pool (when more than one core is available)."""

_MIN_GAP = timedelta(minutes=1)
_PLAYS = itertools.count(1)  # serial numbers of played conversations, in this process
NeedModelSpec = NeedClassifier | str | Path | None


@dataclass(frozen=True, slots=True)
class Cohort:
    """The one context field a cohort run replaces, and its value."""

    dimension: str
    value: str


@dataclass(frozen=True, slots=True)
class RunSpec:
    """A scenario to play under one context."""

    id: str
    scenario: Scenario
    cohort: Cohort | None = None


@dataclass(frozen=True, slots=True)
class GateCall:
    """One scripted tool call and the gate's answer."""

    tool: str
    expected: Verdict | None
    action: Verdict
    code: str


@dataclass(frozen=True, slots=True)
class TurnTrace:
    """What the policy decided at one turn."""

    need_state: str
    risk_tier: RiskTier
    segments: tuple[str, ...]
    handoff: bool
    scopes: tuple[str, ...]
    calls: tuple[GateCall, ...]
    failsafe: bool
    llm: str = ""  # why an LLM cascade consulted its LLM at this turn ("": it did not)
    reasons: tuple[str, ...] = ()  # the decision's reason codes, in order


@dataclass(frozen=True, slots=True)
class RunTrace:
    """A played run: its spec and one `TurnTrace` per scenario turn."""

    spec: RunSpec
    turns: tuple[TurnTrace, ...]


def expand_runs(
    scenarios: Sequence[Scenario], cohorts: Mapping[str, Sequence[str]]
) -> list[RunSpec]:
    """Every run: each scenario as written, then its cohort runs (dimension, then value order)."""
    runs: list[RunSpec] = []
    for scenario in scenarios:
        runs.append(RunSpec(scenario.id, scenario))
        if not scenario.cohorts:
            continue
        for dimension, values in cohorts.items():
            for value in values:
                context = scenario.context.model_copy(update={dimension: value})
                variant = scenario.model_copy(update={"context": context})
                variant._file = scenario.file
                runs.append(RunSpec(f"{scenario.id}@{dimension}={value}", variant,
                                    Cohort(dimension, value)))
    return runs


def play(guard: Guardrail, spec: RunSpec, now: datetime) -> RunTrace:
    """Play one run through `guard` and gate its tool calls.

    Args:
        guard: the engine; its history store is replaced by a fresh one for this run.
        spec: the run.
        now: when the turns happen if none has an ``at``. A turn without one happens when
            the one before it did (the first ones: at the first ``at`` given).
    """
    scenario = spec.scenario
    context = scenario.context
    start = next((t.at for t in scenario.turns if t.at is not None), now)
    store = MemoryStore()
    if context.customer_id:
        key = customer_key(context.customer_id, None)
        for i, entry in enumerate(scenario.history):
            store.record(HistoryEvent(
                kind=entry.kind, customer=key,
                at=start - max(timedelta(days=entry.days_ago), _MIN_GAP),
                need_state=entry.need_state, outcome=entry.outcome,
                conversation_id=f"history-{i}", event_id=f"history-{i}",
            ))
    guard.store = store
    conversation_id = f"{spec.id}#{next(_PLAYS)}"
    cascade = guard.need_classifier
    cascade = cascade if isinstance(cascade, CascadeClassifier) else None
    messages: list[Message] = []
    turns: list[TurnTrace] = []
    at = start
    try:
        for turn in scenario.turns:
            at = turn.at or at
            if turn.event is not None:
                _apply(guard, conversation_id, turn.event, at)
            messages.append(Message(role="user", content=turn.user))
            before = cascade.consulted_by if cascade is not None else {}
            decision = guard.check(Conversation(
                id=conversation_id, at=at, messages=messages, context=context,
                signals=scenario.signals,
            ))
            after = cascade.consulted_by if cascade is not None else {}
            llm = next((why for why, n in after.items() if n > before.get(why, 0)), "")
            calls = tuple(_gate(guard.registry, decision, call.name, call.args, call.expect,
                                context.customer_id) for call in turn.tool_calls)
            turns.append(TurnTrace(
                need_state=decision.need_state, risk_tier=decision.risk_tier,
                segments=tuple(decision.segment_ids()), handoff=decision.handoff.required,
                scopes=tuple(decision.retrieval_scope), calls=calls, failsafe=decision.failsafe,
                llm=llm, reasons=tuple(r.code for r in decision.reason_codes),
            ))
            if turn.assistant is not None:
                messages.append(Message(role="assistant", content=turn.assistant))
    finally:
        guard.forget_conversation(conversation_id)
        guard.store = None
    return RunTrace(spec, tuple(turns))


def _apply(guard: Guardrail, conversation_id: str, event: TurnEvent, at: datetime) -> None:
    """Send a turn's exit event to the engine, as the application or agent desk would."""
    end = guard.verify if event.verify is not None else guard.resolve
    end(conversation_id, event.segment, by=event.by, who=event.who, why=event.why, at=at)


def _gate(
    registry: Registry, decision: Decision, tool: str, args: Mapping[str, Any],
    expected: Verdict | None, customer_id: str | None,
) -> GateCall:
    check = check_tool_call(registry, decision, tool, dict(args), customer_id)
    return GateCall(tool, expected, check.action, check.code)


def play_all(
    runs: Sequence[RunSpec],
    registry: Registry,
    *,
    need_model: NeedModelSpec = "default",
    now: datetime | None = None,
    jobs: int | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    progress: Callable[[int], None] | None = None,
) -> list[RunTrace]:
    """Play every run, in a process pool when there are many; traces come back in run order.

    Args:
        runs: from `expand_runs`.
        registry: the policy (a pool's workers get a copy).
        need_model: ``"default"``, a model folder, or None for the rules alone.
        now: when scenarios with no ``at`` happen (default: the current time).
        jobs: worker processes (default: the number of cores; 1: sequential).
        parallel_threshold: at most this many runs are played sequentially.
        progress: called with the number of runs just finished.
    """
    now = now or datetime.now(UTC)
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    # A classifier object (an LLM cascade) reaches pool workers only by fork: spawned workers
    # would need it pickled, clients and all.
    shareable = isinstance(need_model, str | Path | None) or _can_fork()
    if len(runs) > parallel_threshold and jobs > 1 and shareable:
        return _parallel(runs, registry, need_model, now, jobs, progress)
    guard = Guardrail(registry, need_model=need_model)
    traces = []
    for spec in runs:
        traces.append(play(guard, spec, now))
        if progress is not None:
            progress(1)
    return traces


# -- the process pool --------------------------------------------------------------------------

# What a pool worker plays with: the engine, every run, and the time of turns without `at`.
# Tasks are index ranges into the runs, so a run is sent to a worker once at most.
_PoolState = tuple[Guardrail, Sequence[RunSpec], datetime]
_pool_state: _PoolState | None = None


def _adopt(state: _PoolState) -> None:
    global _pool_state
    _pool_state = state


def _build(registry: Registry, need_model: NeedModelSpec, runs: Sequence[RunSpec],
           now: datetime) -> None:
    _adopt((Guardrail(registry, need_model=need_model), runs, now))


def _play_range(start: int, stop: int) -> list[RunTrace]:
    assert _pool_state is not None, "worker not initialised"
    guard, runs, now = _pool_state
    return [play(guard, runs[i], now) for i in range(start, stop)]


def _ranges(total: int, jobs: int) -> list[tuple[int, int]]:
    # Several ranges per worker keep every core busy to the end.
    size = max(8, math.ceil(total / (jobs * 4)))
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _can_fork() -> bool:
    # macOS system libraries are not fork-safe (CPython made spawn its default there).
    return (sys.platform != "darwin" and "fork" in get_all_start_methods()
            and threading.active_count() == 1)


def _parallel(
    runs: Sequence[RunSpec], registry: Registry, need_model: NeedModelSpec, now: datetime,
    jobs: int, progress: Callable[[int], None] | None,
) -> list[RunTrace]:
    ranges = _ranges(len(runs), jobs)
    # fork when it is safe: the workers inherit the loaded engine (about 2 s less per worker
    # than a spawned one spends importing and loading). It is safe while this process has a
    # single thread: the pool forks every worker at its first submit, before its own thread
    # starts (CPython gh-90622), and the progress bar starts only once a range is done.
    workers = min(jobs, len(ranges))
    if _can_fork():
        state = (Guardrail(registry, need_model=need_model), runs, now)
        pool = ProcessPoolExecutor(workers, get_context("fork"), _adopt, (state,))
    else:
        model = str(need_model) if isinstance(need_model, Path) else need_model
        assert isinstance(model, str | None), "a classifier object needs fork"
        pool = ProcessPoolExecutor(workers, get_context("spawn"), _build,
                                   (registry, model, list(runs), now))
    done: dict[int, list[RunTrace]] = {}
    with pool:
        futures = {pool.submit(_play_range, start, stop): i
                   for i, (start, stop) in enumerate(ranges)}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if progress is not None:
                progress(len(done[futures[future]]))
    return [trace for i in range(len(ranges)) for trace in done[i]]
