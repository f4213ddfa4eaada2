"""A registry's policy compiled to tables, so a turn evaluates only what its facts can make hold.

`guardrail.policy` reads the result; this module is how it is built. Three tables, all worked
out once per registry (the registry and its specs are immutable once loaded):

- every condition a function of the state, returning its reasons or None when it does not hold;
- each segment's *keys*: rule references and need-states of which at least one must be present
  for its entry to hold (a segment whose entry reads signals, context, other segments or the
  risk tier has none and is always evaluated). A turn evaluates only the segments its facts'
  keys reach, still in registry order, so the result is the one evaluating them all gives;
- the *plan* of each (risk, active segments) seen: the tool verdicts, retrieval scope,
  directives and routing that depend on nothing else, pydantic objects built once.

Reasons that depend on a turn's facts are built only when their condition holds (a finding
keeps its own), and memoised by what they are made of (bounded), since the same few recur turn
after turn. The lists the condition functions return are shared and never mutated: whoever
combines them builds a new one.
"""

from __future__ import annotations

import operator
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from guardrail.decision import PRIORITY_ORDER, ToolVerdict
from guardrail.reasons import RISK_ORDER, ReasonCode, RiskTier
from guardrail.registry import Registry
from guardrail.registry.schema import Criteria, Criterion, SegmentSpec, ToolPolicy, ToolSpec

if TYPE_CHECKING:
    from guardrail.policy import Facts

__all__ = [
    "CompiledPolicy", "Entry", "Plan", "State", "context_reader", "dedupe", "deduped", "memo",
    "signal_reader",
    "tier_of",
]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt, "eq": operator.eq,
}
_TIERS = {rank: cast(RiskTier, name) for name, rank in RISK_ORDER.items()}

# Where a signal's value came from, in its reason's source and sentence (the caller's own
# signals keep the plain ``signal:`` source).
_ORIGIN_PREFIX = {"history": "history", "caller+history": "signal+history"}
_ORIGIN_NOTE = {
    "history": ", from the history store",
    "caller+history": ", from the caller and the history store",
}

# Bounds of the memos below: past it a memo starts over (the hot keys come back at once).
_MEMO_LIMIT = 4096


@dataclass(slots=True)
class State:
    """What conditions read: the facts, the segments active so far and the risk so far."""

    facts: Facts
    active: Mapping[str, list[ReasonCode]] = field(default_factory=dict)
    risk: int = 0


# A condition compiled once per registry: state -> its reasons (shared, never to be mutated),
# or None when it does not hold.
Check = Callable[[State], "Sequence[ReasonCode] | None"]

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


def memo(table: dict[_K, _V], key: _K, build: Callable[[], _V]) -> _V:
    """`table[key]`, built on a miss; the table starts over past `_MEMO_LIMIT` entries."""
    value = table.get(key)
    if value is None:
        value = build()
        if len(table) >= _MEMO_LIMIT:
            table.clear()
        table[key] = value
    return value


# Reasons of need, signal and context conditions, by what their sentence is made of.
_MADE_REASONS: dict[tuple[str, ...], list[ReasonCode]] = {}


def tier_of(rank: int) -> RiskTier:
    """The name of risk rank `rank`."""
    return _TIERS[rank]


def dedupe(reasons: Iterable[ReasonCode]) -> list[ReasonCode]:
    """`reasons` without repeats of the same (code, rule id, source), first kept."""
    return deduped(reasons)[0]


def deduped(reasons: Iterable[ReasonCode]) -> tuple[list[ReasonCode], set[tuple[str, str, str]]]:
    """`dedupe(reasons)` and the (code, rule id, source) keys it kept."""
    seen: set[tuple[str, str, str]] = set()
    out: list[ReasonCode] = []
    for r in reasons:
        key = (r.code, r.rule_id, r.source)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out, seen


# -- conditions ----------------------------------------------------------------------------------


def _never(state: State) -> None:
    return None


def _constant(reasons: list[ReasonCode]) -> Check:
    def holds(state: State) -> Sequence[ReasonCode]:
        return reasons

    return holds


def _compile(c: Criterion, where: str) -> Check:
    """`c` as a function of the state, its reason paths (`where`) and fixed reasons worked out
    once. The subjects are tried in the order the reference `_criterion` of the previous engine
    tried them (exactly one is set on a validated criterion)."""
    if c.all_of is not None:
        return _all_of([_compile(x, f"{where}.all_of[{j}]") for j, x in enumerate(c.all_of)])
    if c.any_of is not None:
        return _any_of([_compile(x, f"{where}.any_of[{j}]") for j, x in enumerate(c.any_of)])
    if c.rule is not None:
        return _rule(c.rule)
    if c.need_state is not None:
        return _need(c.need_state, where)
    if c.signal is not None or c.context is not None:
        assert c.op is not None
        assert c.value is not None
        return _compare(c.signal, c.context, c.op, c.value, where)
    if c.segment is not None:
        segment = c.segment

        def in_segment(state: State) -> Sequence[ReasonCode] | None:
            return state.active.get(segment)

        return in_segment
    if c.risk_at_least is not None:
        rank = RISK_ORDER[c.risk_at_least]
        reasons = [ReasonCode(code="risk.tier", rule_id=where, source="engine",
                              explanation=f"Risk is at least {c.risk_at_least}")]

        def risky(state: State) -> Sequence[ReasonCode] | None:
            return None if state.risk < rank else reasons

        return risky
    if c.always:
        return _constant([ReasonCode(code="policy.always", rule_id=where, source="registry",
                                     explanation="The segment's policy always applies")])
    return _never


def _rule(ref: str) -> Check:
    """A rule (code or id) has matched: most conditions."""

    def rule(state: State) -> Sequence[ReasonCode] | None:
        finding = state.facts.by_ref.get(ref)
        return None if finding is None else [finding.reason()]

    return rule


def _need(need: str, where: str) -> Check:
    """The need-state is `need`, or the rules and the model disagree and one read it so."""
    code = f"need.{need}"
    disagree = [ReasonCode(code=code, rule_id=where, source="rules+model",
                           explanation=f"The rules and the model disagree; the {need} "
                           "need's restrictions are added to be safe")]

    def need_state(state: State) -> Sequence[ReasonCode] | None:
        facts = state.facts
        if facts.need_state == need:
            confidence = f"{facts.need_confidence:.2f}"
            source = facts.need_source
            return memo(_MADE_REASONS, (where, need, confidence, source), lambda: [ReasonCode(
                code=code, rule_id=where, source=source,
                explanation=f"The customer's need is {need} (confidence "
                f"{confidence}, from {source})",
            )])
        if need in facts.other_needs:
            return disagree
        return None

    return need_state


Reader = Callable[["Facts"], "float | None"]


def signal_reader(name: str) -> Reader:
    """What reads signal `name` off the facts: the caller's signals, or one derived from the
    conversation (`user_turns`, `need_confidence`, `failed_attempts`). Worked out once per
    condition rather than on every read."""
    if name == "user_turns":
        return lambda facts: float(facts.user_turns)
    if name == "need_confidence":
        return lambda facts: facts.need_confidence
    if name == "failed_attempts":
        return lambda facts: float(facts.signals.failed_guided_attempts + facts.reported_failures)

    def read(facts: Facts) -> float | None:
        value = getattr(facts.signals, name)
        return None if value is None else float(value)

    return read


def context_reader(name: str) -> Reader:
    """What reads context field `name` off the facts (`renewal_days`: days to the renewal date)."""
    if name == "renewal_days":

        def days(facts: Facts) -> float | None:
            renewal = facts.context.renewal_date
            return None if renewal is None else float((renewal - facts.today).days)

        return days

    def read(facts: Facts) -> float | None:
        value = getattr(facts.context, name)
        return None if value is None else float(value)

    return read


def _compare(signal: str | None, context: str | None, op: str, bound: float, where: str) -> Check:
    """A signal's or a context field's value compared with `bound` (no value: does not hold)."""
    name = signal or context
    assert name is not None
    kind = "signal" if signal else "context"
    test = _OPS[op]
    read = signal_reader(name) if signal else context_reader(name)

    def compare(state: State) -> Sequence[ReasonCode] | None:
        facts = state.facts
        value = read(facts)
        if value is None or not test(value, bound):
            return None
        shown = str(int(value) if value.is_integer() else round(value, 2))
        origin = facts.signal_sources.get(name, "caller") if signal else "caller"
        return memo(_MADE_REASONS, (where, shown, origin), lambda: [ReasonCode(
            code=f"{kind}.{name}", rule_id=where,
            source=f"{_ORIGIN_PREFIX.get(origin, kind)}:{name}",
            explanation=f"{name} is {shown} ({op} {bound:g}){_ORIGIN_NOTE.get(origin, '')}",
        )])

    return compare


def _all_of(parts: Sequence[Check]) -> Check:
    """The reasons of every part when all hold, or None."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _constant([])

    def every(state: State) -> Sequence[ReasonCode] | None:
        reasons: list[ReasonCode] = []
        for part in parts:
            got = part(state)
            if got is None:
                return None
            reasons.extend(got)
        return reasons

    return every


def _any_of(parts: Sequence[Check]) -> Check:
    """The reasons of the first part that holds, or None when none does."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _never

    def first(state: State) -> Sequence[ReasonCode] | None:
        for part in parts:
            got = part(state)
            if got is not None:
                return got
        return None

    return first


def _holds(criteria: Criteria, where: str) -> Check:
    """Entry or exit criteria: every `all` condition and, if any are listed, one `any`."""
    every = _all_of([_compile(c, f"{where}.all[{j}]") for j, c in enumerate(criteria.all)])
    if not criteria.any:
        return every
    one = _any_of([_compile(c, f"{where}.any[{j}]") for j, c in enumerate(criteria.any)])
    if not criteria.all:
        return one

    def both(state: State) -> Sequence[ReasonCode] | None:
        reasons = every(state)
        if reasons is None:
            return None
        alternative = one(state)
        return None if alternative is None else [*reasons, *alternative]

    return both


def _first(criteria: Sequence[Criterion], where: str) -> Check:
    """The first of `criteria` that holds."""
    return _any_of([_compile(c, f"{where}[{j}]") for j, c in enumerate(criteria)])


# -- which segments a turn's facts can reach ---------------------------------------------------

# (rule references, need-states): a condition holds only if one of them is present. None: the
# condition reads something else (a signal, context, another segment, the risk tier, always).
_Keys = tuple[frozenset[str], frozenset[str]]
_NO_KEYS: _Keys = (frozenset(), frozenset())  # never holds


def _keys(c: Criterion) -> _Keys | None:
    """What must be present for `c` to hold, in the order `_compile` reads its subject."""
    if c.all_of is not None:
        return _keys_of_all([_keys(x) for x in c.all_of])
    if c.any_of is not None:
        return _keys_of_any([_keys(x) for x in c.any_of])
    if c.rule is not None:
        return frozenset({c.rule}), frozenset()
    if c.need_state is not None:  # the need in hand, or another read of it (`other_needs`)
        return frozenset(), frozenset({c.need_state})
    if (c.signal is not None or c.context is not None or c.segment is not None
            or c.risk_at_least is not None or c.always):
        return None
    return _NO_KEYS


def _keys_of_all(parts: Sequence[_Keys | None]) -> _Keys | None:
    """All must hold: any one part's keys will do; the fewest are the sharpest."""
    known = [k for k in parts if k is not None]
    return min(known, key=lambda k: len(k[0]) + len(k[1])) if known else None


def _keys_of_any(parts: Sequence[_Keys | None]) -> _Keys | None:
    """One must hold: every part's keys together, unknown if any part's are."""
    refs: set[str] = set()
    needs: set[str] = set()
    for part in parts:
        if part is None:
            return None
        refs |= part[0]
        needs |= part[1]
    return frozenset(refs), frozenset(needs)


def _entry_keys(criteria: Criteria) -> _Keys | None:
    parts = [_keys(c) for c in criteria.all]
    if criteria.any:
        parts.append(_keys_of_any([_keys(c) for c in criteria.any]))
    return _keys_of_all(parts)


# -- tools ---------------------------------------------------------------------------------------

# What a tool policy does to each catalogue tool: (tool, "deny" | "confirm"), the rest allowed.
_Effects = tuple[tuple[str, str], ...]
# Each catalogue tool's verdict and its reasons, in catalogue order.
_Verdicts = tuple[tuple[str, str, tuple[ReasonCode, ...]], ...]


def _effects(tools: Mapping[str, ToolSpec], policy: ToolPolicy) -> _Effects:
    """What `policy` does to each catalogue tool (allowed tools are left out)."""
    out = []
    for name, tool in tools.items():
        if (
            name in policy.denied
            or set(tool.effects) & set(policy.deny_effects)
            or (policy.allowed is not None and name not in policy.allowed)
        ):
            out.append((name, "deny"))
        elif name in policy.confirm or set(tool.effects) & set(policy.confirm_effects):
            out.append((name, "confirm"))
    return tuple(out)


_POLICY_REASONS: dict[tuple[str, str, str], ReasonCode] = {}


def _policy_reason(verdict: str, source: str, explanation: str) -> ReasonCode:
    # Tool reasons repeat turn after turn; ReasonCode is frozen, so one instance is shared.
    return memo(_POLICY_REASONS, (verdict, source, explanation), lambda: ReasonCode(
        code=f"policy.{verdict}", rule_id=f"{source}.tools", source=source,
        explanation=explanation))


class _Tools:
    """Accumulates tool verdicts; a stricter verdict replaces a looser one, never the reverse."""

    _RANK: ClassVar[dict[str, int]] = {"allow": 0, "confirm": 1, "deny": 2}

    def __init__(self, tools: Iterable[str]) -> None:
        self.verdict = dict.fromkeys(tools, "allow")
        self.reasons: dict[str, list[ReasonCode]] = {name: [] for name in self.verdict}

    def apply(self, effects: _Effects, source: str, why: str) -> None:
        for name, verdict in effects:
            if verdict == "deny":
                self._raise(name, "deny", source, f"{why} does not allow {name}")
            else:
                self._raise(name, "confirm", source, f"{why} requires confirmation for {name}")

    def _raise(self, name: str, verdict: str, source: str, explanation: str) -> None:
        current = self._RANK[self.verdict[name]]
        new = self._RANK[verdict]
        if new < current:
            return
        if new > current:
            self.verdict[name] = verdict
            self.reasons[name] = []
        self.reasons[name].append(_policy_reason(verdict, source, explanation))


# -- the compiled policy -------------------------------------------------------------------------

# A segment to evaluate: its id, compiled entry criteria and risk rank.
Entry = tuple[str, Check, int]


@dataclass(frozen=True, slots=True)
class CompiledSegment:
    """A segment's conditions compiled, and what its tool policy does to each tool."""

    spec: SegmentSpec
    entry: Check
    exit: Check | None  # None: an exit with no conditions never holds
    hard: Check
    soft: Check
    tools: _Effects


@dataclass(frozen=True, slots=True)
class Plan:
    """What a set of active segments at a risk rank decides, whatever else the facts hold.

    Attributes:
        segments: the active segments' specs and compiled conditions, in the order given.
        tools: each catalogue tool's verdict (built once: ToolVerdict is frozen).
        tool_reasons: the tools' reasons without repeats, and their dedupe keys.
        failsafe: a failsafe-tier segment is active.
    """

    segments: tuple[CompiledSegment, ...]
    tier: RiskTier
    tools: tuple[ToolVerdict, ...]
    tool_reasons: tuple[ReasonCode, ...]
    tool_keys: frozenset[tuple[str, str, str]]
    scope: tuple[str, ...]
    directives: tuple[str, ...]
    friction: tuple[str, ...]
    priority: str
    failsafe: bool


class CompiledPolicy:
    """A registry's policy compiled once: every condition a function, the segments each
    present rule or need can put a conversation in, every tool policy's effect on each tool,
    and the plan of each (risk, segments) seen.

    The registry and its specs are immutable once loaded, and the same few conditions and
    policies apply turn after turn, so none of this is worked out on the hot path twice.
    `CompiledPolicy.of` builds it on first use and keeps it while the registry lives; it holds
    no reference back to the registry (a pickled registry is compiled again where it lands).

    Attributes:
        entries: each segment with its compiled entry criteria, in registry order.
        ranks: each segment's risk rank, by id.
        never_exit: the segments whose exit has no conditions, so never holds on text.
    """

    __slots__ = (
        "_baseline", "_by_need", "_by_ref", "_entries", "_orders", "_plans", "_risk_tools",
        "_scopes", "_segments", "_tools", "_unkeyed", "_verdicts", "entries", "never_exit",
        "ranks",
    )

    def __init__(self, registry: Registry) -> None:
        settings = registry.settings
        self._tools = registry.tools
        self._scopes = tuple(settings.retrieval_scopes)
        self._baseline = _effects(registry.tools, settings.baseline_tools)
        self._risk_tools = tuple(
            (RISK_ORDER[tier], tier, _effects(registry.tools, policy))
            for tier, policy in settings.risk_tools.items()
        )
        self._segments = {seg.id: compile_segment(seg, self._tools) for seg in registry.segments}
        self.entries = tuple((seg, self._segments[seg.id].entry) for seg in registry.segments)
        self.ranks = {seg.id: RISK_ORDER[seg.risk] for seg in registry.segments}
        self._entries = tuple((seg.id, entry, self.ranks[seg.id]) for seg, entry in self.entries)
        self.never_exit = frozenset(s for s, seg in self._segments.items() if seg.exit is None)
        # Bit i of a mask is segment i: the segments each rule reference and need can put the
        # conversation in, and those evaluated whatever is present.
        self._by_ref: dict[str, int] = {}
        self._by_need: dict[str, int] = {}
        self._unkeyed = 0
        for i, seg in enumerate(registry.segments):
            keys = _entry_keys(seg.entry)
            if keys is None:
                self._unkeyed |= 1 << i
                continue
            for ref in keys[0]:
                self._by_ref[ref] = self._by_ref.get(ref, 0) | 1 << i
            for need in keys[1]:
                self._by_need[need] = self._by_need.get(need, 0) | 1 << i
        self._orders: dict[int, tuple[Entry, ...]] = {}  # the segments to evaluate, by mask
        self._verdicts: dict[tuple[int, tuple[str, ...]], _Verdicts] = {}
        self._plans: dict[tuple[int, tuple[str, ...]], Plan] = {}

    @classmethod
    def of(cls, registry: Registry) -> CompiledPolicy:
        """The compiled policy of `registry`, built on first use and kept while it lives."""
        compiled = _COMPILED.get(registry)
        if compiled is not None:
            return compiled
        with _COMPILED_LOCK:
            compiled = _COMPILED.get(registry)
            if compiled is None:
                compiled = _COMPILED[registry] = cls(registry)
            return compiled

    def reachable(self, facts: Facts) -> tuple[Entry, ...]:
        """The segments whose entry can hold on `facts`, in registry order: those a present rule
        reference or need reaches, and those that read anything else."""
        mask = self._unkeyed
        by_ref = self._by_ref
        for ref in facts.by_ref:
            bits = by_ref.get(ref)
            if bits:
                mask |= bits
        by_need = self._by_need
        if by_need:
            mask |= by_need.get(facts.need_state, 0)
            for need in facts.other_needs:
                mask |= by_need.get(need, 0)
        return memo(self._orders, mask, lambda: tuple(
            entry for i, entry in enumerate(self._entries) if mask >> i & 1))

    def segment(self, seg: SegmentSpec) -> CompiledSegment:
        """`seg` compiled: this registry's own, or compiled now if it is not one of them."""
        compiled = self._segments.get(seg.id)
        if compiled is None or compiled.spec is not seg:
            return compile_segment(seg, self._tools)
        return compiled

    def tool_verdicts(self, risk: int, segments: Sequence[SegmentSpec]) -> _Verdicts:
        """Each catalogue tool's verdict and reasons under the baseline, the risk tier's
        policies and the active segments' (most restrictive wins). They depend on nothing
        else, and the same few combinations recur turn after turn: memoised (bounded)."""
        return memo(self._verdicts, (risk, tuple(seg.id for seg in segments)),
                     lambda: self._tool_verdicts(risk, segments))

    def _tool_verdicts(self, risk: int, segments: Sequence[SegmentSpec]) -> _Verdicts:
        tools = _Tools(self._tools)
        tools.apply(self._baseline, "baseline", "The baseline policy")
        for rank, tier, effects in self._risk_tools:
            if rank <= risk:
                tools.apply(effects, f"risk.{tier}", f"Risk tier {tier}")
        for seg in segments:
            tools.apply(self.segment(seg).tools, f"segment:{seg.id}", f"The {seg.id} segment")
        return tuple(
            (name, tools.verdict[name], tuple(tools.reasons[name])) for name in self._tools
        )

    def plan(self, risk: int, active: Iterable[str]) -> Plan:
        """The plan of the `active` segments (ids, in order) at risk rank `risk`: memoised
        (bounded), since the same few combinations recur turn after turn."""
        ids = tuple(active)
        return memo(self._plans, (risk, ids), lambda: self._plan(risk, ids))

    def _plan(self, risk: int, ids: tuple[str, ...]) -> Plan:
        segments = tuple(self._segments[seg_id] for seg_id in ids)
        specs = [seg.spec for seg in segments]
        tools = tuple(
            ToolVerdict(tool=name, verdict=verdict, reasons=list(reasons))
            for name, verdict, reasons in self.tool_verdicts(risk, specs)
        )
        tool_reasons: dict[tuple[str, str, str], ReasonCode] = {}
        for verdict in tools:
            for r in verdict.reasons:
                tool_reasons.setdefault((r.code, r.rule_id, r.source), r)
        scope = list(self._scopes)
        directives: list[str] = []
        for spec in specs:
            if spec.retrieval_scope is not None:
                scope = [s for s in scope if s in spec.retrieval_scope]
            directives.extend(d for d in spec.behaviour.directives if d not in directives)
        return Plan(
            segments=segments,
            tier=tier_of(risk),
            tools=tools,
            tool_reasons=tuple(tool_reasons.values()),
            tool_keys=frozenset(tool_reasons),
            scope=tuple(scope),
            directives=tuple(directives),
            friction=tuple(spec.id for spec in specs if spec.tier == "friction"),
            priority=max((spec.routing.priority for spec in specs),
                         key=PRIORITY_ORDER.__getitem__, default="normal"),
            failsafe=any(spec.tier == "failsafe" for spec in specs),
        )


def compile_segment(seg: SegmentSpec, tools: Mapping[str, ToolSpec]) -> CompiledSegment:
    """`seg`'s conditions compiled and its tool policy's effects worked out."""
    has_exit = bool(seg.exit.any or seg.exit.all)
    return CompiledSegment(
        spec=seg,
        entry=_holds(seg.entry, f"{seg.id}.entry"),
        exit=_holds(seg.exit, f"{seg.id}.exit") if has_exit else None,
        hard=_first(seg.escalation.hard, f"{seg.id}.escalation.hard"),
        soft=_first(seg.escalation.soft, f"{seg.id}.escalation.soft"),
        tools=_effects(tools, seg.tools),
    )


# One compiled policy per loaded registry, however many Guardrail instances share it; it dies
# with the registry.
_COMPILED: weakref.WeakKeyDictionary[Registry, CompiledPolicy] = weakref.WeakKeyDictionary()
_COMPILED_LOCK = threading.Lock()
