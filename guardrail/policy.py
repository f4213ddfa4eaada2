"""Policy: from findings and signals to segments, and from segments to a Decision.

Most restrictive wins everywhere: a tool is denied if any active policy denies it, retrieval scope
is the intersection of every segment's scope, risk is the highest tier seen, and a handoff is
required if any active segment's hard escalation holds. Nothing here can loosen a restriction.

A registry's policy is compiled once (`CompiledPolicy`, kept beside the registry while it lives,
never on it): conditions become functions, tool policies their effect on each tool.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from typing import ClassVar

from guardrail.conversation import Context, Signals
from guardrail.decision import (
    PRIORITY_ORDER,
    UNDETERMINED_LANGUAGE,
    Decision,
    Handoff,
    SegmentAssignment,
    ToolVerdict,
)
from guardrail.reasons import ENGINE_CODES, RISK_ORDER, Finding, ReasonCode, RiskTier
from guardrail.registry import Registry
from guardrail.registry.schema import Criteria, Criterion, SegmentSpec, ToolPolicy, ToolSpec

__all__ = [
    "CompiledPolicy", "Facts", "assign_segments", "decide", "exit_holds", "failsafe_decision",
]

_RESTRICTED_EFFECTS = ("write", "money", "irreversible")
# A failsafe decision's risk is at least this high, whatever was found.
_FAILSAFE_RISK = RISK_ORDER["high"]
_OPS = {
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b,
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What policy reads: active findings, the need-state, signals, context and the date."""

    findings: Sequence[Finding]
    need_state: str
    need_confidence: float
    signals: Signals
    context: Context
    user_turns: int
    today: date
    other_needs: frozenset[str] = frozenset()
    need_source: str = "rules"
    by_ref: Mapping[str, Finding] = field(default_factory=dict)
    reported_failures: int = 0
    signal_sources: Mapping[str, str] = field(default_factory=dict)
    language: str = UNDETERMINED_LANGUAGE

    @classmethod
    def build(
        cls,
        findings: Iterable[Finding],
        need_state: str,
        need_confidence: float,
        signals: Signals,
        context: Context,
        user_turns: int,
        today: date,
        other_needs: frozenset[str] = frozenset(),
        need_source: str = "rules",
        reported_failures: int = 0,
        signal_sources: Mapping[str, str] | None = None,
        language: str = UNDETERMINED_LANGUAGE,
    ) -> Facts:
        """Index findings by rule code and rule id (the latest finding wins). A language's rule
        ("es.dispute.duplicate", code "risk.billing_dispute.es") also answers for its code
        without the language, which is what segments name."""
        ordered = sorted(findings, key=lambda f: f.index)
        by_ref: dict[str, Finding] = {}
        for finding in ordered:
            by_ref[finding.code] = finding
            by_ref[finding.rule_id] = finding
            by_ref[finding.base_code] = finding
        return cls(ordered, need_state, need_confidence, signals, context, user_turns, today,
                   other_needs, need_source, by_ref, reported_failures, signal_sources or {},
                   language)

    def signal(self, name: str) -> float | None:
        if name == "user_turns":
            return float(self.user_turns)
        if name == "need_confidence":
            return self.need_confidence
        if name == "failed_attempts":
            return float(self.signals.failed_guided_attempts + self.reported_failures)
        value = getattr(self.signals, name)
        return None if value is None else float(value)

    def context_value(self, name: str) -> float | None:
        if name == "renewal_days":
            renewal = self.context.renewal_date
            return None if renewal is None else float((renewal - self.today).days)
        value = getattr(self.context, name)
        return None if value is None else float(value)


# Where a signal's value came from, in its reason's source and sentence (the caller's own
# signals keep the plain ``signal:`` source).
_ORIGIN_PREFIX = {"history": "history", "caller+history": "signal+history"}
_ORIGIN_NOTE = {
    "history": ", from the history store",
    "caller+history": ", from the caller and the history store",
}


@dataclass
class _State:
    facts: Facts
    active: dict[str, list[ReasonCode]] = field(default_factory=dict)
    risk: int = 0


def _criterion(c: Criterion, where: str, state: _State) -> list[ReasonCode] | None:
    """The reasons a single condition `c` holds, or None when it does not (`all_of` and
    `any_of` are combined by `_compile`)."""
    facts = state.facts
    if c.rule is not None:
        finding = facts.by_ref.get(c.rule)
        return None if finding is None else [finding.reason()]
    if c.need_state is not None:
        if facts.need_state == c.need_state:
            return [ReasonCode(
                code=f"need.{c.need_state}", rule_id=where, source=facts.need_source,
                explanation=f"The customer's need is {c.need_state} (confidence "
                f"{facts.need_confidence:.2f}, from {facts.need_source})",
            )]
        if c.need_state in facts.other_needs:
            return [ReasonCode(code=f"need.{c.need_state}", rule_id=where, source="rules+model",
                               explanation=f"The rules and the model disagree; the {c.need_state} "
                               "need's restrictions are added to be safe")]
        return None
    if c.signal is not None or c.context is not None:
        name = c.signal or c.context
        assert name is not None
        assert c.op is not None
        assert c.value is not None
        value = facts.signal(name) if c.signal else facts.context_value(name)
        if value is None or not _OPS[c.op](value, c.value):
            return None
        kind = "signal" if c.signal else "context"
        shown = int(value) if value.is_integer() else round(value, 2)
        origin = facts.signal_sources.get(name, "caller") if c.signal else "caller"
        return [ReasonCode(code=f"{kind}.{name}", rule_id=where,
                           source=f"{_ORIGIN_PREFIX.get(origin, kind)}:{name}",
                           explanation=f"{name} is {shown} ({c.op} {c.value:g})"
                           f"{_ORIGIN_NOTE.get(origin, '')}")]
    if c.segment is not None:
        return state.active.get(c.segment)
    if c.risk_at_least is not None:
        if state.risk < RISK_ORDER[c.risk_at_least]:
            return None
        return [ReasonCode(code="risk.tier", rule_id=where, source="engine",
                           explanation=f"Risk is at least {c.risk_at_least}")]
    if c.always:
        return [ReasonCode(code="policy.always", rule_id=where, source="registry",
                           explanation="The segment's policy always applies")]
    return None


# A condition compiled once per registry: state -> its reasons, or None when it does not hold.
_Check = Callable[[_State], "list[ReasonCode] | None"]


def _compile(c: Criterion, where: str) -> _Check:
    """`c` as a function of the state, its reason paths (`where`) worked out once."""
    if c.all_of is not None:
        return _all_of([_compile(x, f"{where}.all_of[{j}]") for j, x in enumerate(c.all_of)])
    if c.any_of is not None:
        return _any_of([_compile(x, f"{where}.any_of[{j}]") for j, x in enumerate(c.any_of)])
    if c.rule is not None:  # most conditions: a rule has matched
        ref = c.rule

        def rule(state: _State) -> list[ReasonCode] | None:
            finding = state.facts.by_ref.get(ref)
            return None if finding is None else [finding.reason()]

        return rule
    return partial(_criterion, c, where)


def _all_of(parts: Sequence[_Check]) -> _Check:
    """The reasons of every part when all hold, or None."""

    def check(state: _State) -> list[ReasonCode] | None:
        reasons: list[ReasonCode] = []
        for part in parts:
            got = part(state)
            if got is None:
                return None
            reasons.extend(got)
        return reasons

    return check


def _any_of(parts: Sequence[_Check]) -> _Check:
    """The reasons of the first part that holds, or None when none does."""

    def check(state: _State) -> list[ReasonCode] | None:
        for part in parts:
            got = part(state)
            if got is not None:
                return got
        return None

    return check


def _holds(criteria: Criteria, where: str) -> _Check:
    """Entry or exit criteria: every `all` condition and, if any are listed, one `any`."""
    every = _all_of([_compile(c, f"{where}.all[{j}]") for j, c in enumerate(criteria.all)])
    one = _any_of([_compile(c, f"{where}.any[{j}]") for j, c in enumerate(criteria.any)])

    def both(state: _State) -> list[ReasonCode] | None:
        reasons = every(state)
        if reasons is None or not criteria.any:
            return reasons
        alternative = one(state)
        if alternative is None:
            return None
        reasons.extend(alternative)
        return reasons

    return both


def _first(criteria: Sequence[Criterion], where: str) -> _Check:
    """The first of `criteria` that holds."""
    return _any_of([_compile(c, f"{where}[{j}]") for j, c in enumerate(criteria)])


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


@dataclass(frozen=True, slots=True)
class _CompiledSegment:
    spec: SegmentSpec
    entry: _Check
    exit: _Check | None  # None: an exit with no conditions never holds
    hard: _Check
    soft: _Check
    tools: _Effects


class CompiledPolicy:
    """A registry's policy compiled once: every condition a function, every tool policy's
    effect on each tool worked out, and the tool verdicts of each (risk, segments) seen.

    The registry and its specs are immutable once loaded, and the same few conditions and
    policies apply turn after turn, so none of this is worked out on the hot path twice.
    `CompiledPolicy.of` builds it on first use and keeps it while the registry lives; it holds
    no reference back to the registry (a pickled registry is compiled again where it lands).

    Attributes:
        entries: each segment with its compiled entry criteria, in registry order.
    """

    __slots__ = ("_baseline", "_risk_tools", "_segments", "_tools", "_verdicts", "entries")

    def __init__(self, registry: Registry) -> None:
        settings = registry.settings
        self._tools = registry.tools
        self._baseline = _effects(registry.tools, settings.baseline_tools)
        self._risk_tools = tuple(
            (RISK_ORDER[tier], tier, _effects(registry.tools, policy))
            for tier, policy in settings.risk_tools.items()
        )
        self._segments = {seg.id: _compile_segment(seg, self._tools) for seg in registry.segments}
        self.entries = tuple((seg, self._segments[seg.id].entry) for seg in registry.segments)
        self._verdicts: dict[tuple[int, tuple[str, ...]], _Verdicts] = {}

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

    def segment(self, seg: SegmentSpec) -> _CompiledSegment:
        """`seg` compiled: this registry's own, or compiled now if it is not one of them."""
        compiled = self._segments.get(seg.id)
        if compiled is None or compiled.spec is not seg:
            return _compile_segment(seg, self._tools)
        return compiled

    def tool_verdicts(self, risk: int, segments: Sequence[SegmentSpec]) -> _Verdicts:
        """Each catalogue tool's verdict and reasons under the baseline, the risk tier's
        policies and the active segments' (most restrictive wins). They depend on nothing
        else, and the same few combinations recur turn after turn: memoised (bounded)."""
        key = (risk, tuple(seg.id for seg in segments))
        memo = self._verdicts
        cached = memo.get(key)
        if cached is not None:
            return cached
        tools = _Tools(self._tools)
        tools.apply(self._baseline, "baseline", "The baseline policy")
        for rank, tier, effects in self._risk_tools:
            if rank <= risk:
                tools.apply(effects, f"risk.{tier}", f"Risk tier {tier}")
        for seg in segments:
            tools.apply(self.segment(seg).tools, f"segment:{seg.id}", f"The {seg.id} segment")
        result = tuple(
            (name, tools.verdict[name], tuple(tools.reasons[name])) for name in self._tools
        )
        if len(memo) >= _VERDICT_MEMO_LIMIT:
            memo.clear()
        memo[key] = result
        return result


def _compile_segment(seg: SegmentSpec, tools: Mapping[str, ToolSpec]) -> _CompiledSegment:
    has_exit = bool(seg.exit.any or seg.exit.all)
    return _CompiledSegment(
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
_VERDICT_MEMO_LIMIT = 4096


def assign_segments(registry: Registry, facts: Facts) -> dict[str, list[ReasonCode]]:
    """Every segment whose entry criteria hold, in registry order, with the reasons."""
    state = _State(facts)
    state.risk = max(
        (RISK_ORDER[f.risk] for f in facts.findings if f.risk is not None), default=0
    )
    for seg, entry in CompiledPolicy.of(registry).entries:
        reasons = entry(state)
        if reasons is not None:
            state.active[seg.id] = _dedupe(reasons)
            state.risk = max(state.risk, RISK_ORDER[seg.risk])
    return state.active


def exit_holds(registry: Registry, seg: SegmentSpec, facts: Facts) -> bool:
    """True when `seg`'s exit criteria hold on `facts` (an exit with no conditions never holds)."""
    check = CompiledPolicy.of(registry).segment(seg).exit
    return check is not None and check(_State(facts)) is not None


def _dedupe(reasons: Iterable[ReasonCode]) -> list[ReasonCode]:
    seen: set[tuple[str, str, str]] = set()
    out: list[ReasonCode] = []
    for r in reasons:
        key = (r.code, r.rule_id, r.source)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


@lru_cache(maxsize=8192)
def _policy_reason(verdict: str, source: str, explanation: str) -> ReasonCode:
    # Tool reasons repeat turn after turn; ReasonCode is frozen, so one instance is shared.
    return ReasonCode(code=f"policy.{verdict}", rule_id=f"{source}.tools", source=source,
                      explanation=explanation)


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



def decide(
    registry: Registry,
    facts: Facts,
    active: Mapping[str, list[ReasonCode]],
    *,
    held_out: Sequence[str] = (),
) -> Decision:
    """Build the Decision for the active segments (most restrictive wins).

    `held_out` (the holdout arm, `guardrail.governance.arms`) are segments the conversation is
    in that are not acted on: they count towards the risk tier only, so the tier and the tool
    gate that follows from it are the same in both arms.
    """
    settings = registry.settings
    compiled = CompiledPolicy.of(registry)
    segments = [registry.segment_by_id[seg_id] for seg_id in active]
    risk = max(
        [RISK_ORDER[f.risk] for f in facts.findings if f.risk is not None]
        + [RISK_ORDER[s.risk] for s in segments]
        + [RISK_ORDER[registry.segment_by_id[s].risk] for s in held_out],
        default=0,
    )
    risk_tier: RiskTier = _tier(risk)

    verdicts = [
        ToolVerdict(tool=name, verdict=verdict, reasons=list(reasons))
        for name, verdict, reasons in compiled.tool_verdicts(risk, segments)
    ]

    scope = list(settings.retrieval_scopes)
    directives: list[str] = []
    for seg in segments:
        if seg.retrieval_scope is not None:
            scope = [s for s in scope if s in seg.retrieval_scope]
        directives.extend(d for d in seg.behaviour.directives if d not in directives)

    handoff, handoff_reasons = _handoff(
        compiled, settings.default_queue, facts, active, segments, risk
    )
    if handoff.offered and not handoff.required and "offer_human" not in directives:
        directives.append("offer_human")
    failsafe = any(seg.tier == "failsafe" for seg in segments)
    if failsafe and handoff.required:
        # The part that failed may have hidden what would deny a tool, and a person takes over
        # anyway: nothing stays open (the gate refuses every call during a handoff as well).
        hold = next(r for seg in segments if seg.tier == "failsafe" for r in active[seg.id])
        verdicts = [v if v.verdict == "deny" else ToolVerdict(tool=v.tool, verdict="deny",
                                                              reasons=[hold])
                    for v in verdicts]

    reason_codes = _dedupe(
        [r for reasons in active.values() for r in reasons]
        + handoff_reasons
        + [r for v in verdicts for r in v.reasons]
    )
    return Decision(
        need_state=facts.need_state,
        need_confidence=round(facts.need_confidence, 3),
        risk_tier=risk_tier,
        segments=[
            SegmentAssignment(id=seg.id, tier=seg.tier, reasons=active[seg.id])
            for seg in segments
        ],
        friction=[seg.id for seg in segments if seg.tier == "friction"],
        tools=verdicts,
        retrieval_scope=scope,
        directives=directives,
        handoff=handoff,
        reason_codes=reason_codes,
        policy_version=registry.version,
        failsafe=failsafe,
        language=facts.language,
        held_out=list(held_out),
    )


def _tier(rank: int) -> RiskTier:
    for name, value in RISK_ORDER.items():
        if value == rank:
            return name  # type: ignore[return-value]
    raise AssertionError(rank)


def _handoff(
    compiled: CompiledPolicy,
    default_queue: str,
    facts: Facts,
    active: Mapping[str, list[ReasonCode]],
    segments: Sequence[SegmentSpec],
    risk: int,
) -> tuple[Handoff, list[ReasonCode]]:
    state = _State(facts, dict(active), risk)
    required: list[tuple[SegmentSpec, list[ReasonCode]]] = []
    offered = False
    for seg in segments:
        checks = compiled.segment(seg)
        hard = checks.hard(state)
        if hard is not None:
            # The handoff's reasons are what put the segment there, plus any trigger beyond
            # "always" (e.g. the failed-attempts signal).
            trigger = [r for r in hard if r.code != "policy.always"]
            required.append((seg, [*active[seg.id], *trigger]))
        elif checks.soft(state) is not None:
            offered = True
    priority = max((s.routing.priority for s in segments), key=PRIORITY_ORDER.__getitem__,
                   default="normal")
    if not required:
        return Handoff(offered=offered, priority=priority), []
    # The queue comes from the most urgent segment that forces the handoff.
    lead = max(required, key=lambda item: PRIORITY_ORDER[item[0].routing.priority])[0]
    immediate = any(seg.escalation.mode == "immediate" for seg, _ in required)
    reasons = _dedupe(r for _, rs in required for r in rs)
    return (
        Handoff(
            required=True,
            offered=True,
            mode="immediate" if immediate else "after_collect",
            reasons=[str(r) for r in reasons],
            queue=lead.routing.queue or default_queue,
            priority=priority,
        ),
        reasons,
    )


def failsafe_decision(
    registry: Registry,
    code: str,
    detail: str,
    found: Callable[[], Facts] | None = None,
    *,
    known: Sequence[Finding] = (),
) -> Decision:
    """The decision when a turn could not be decided: never looser than what was found.

    Principle 2 asks for a decision at least as strict as everything already found, with a
    reason saying why. Two steps, each failing closed into the next:

    1. `found` gathers everything the conversation holds (the findings kept and those read
       again, every need it was read as, the signals). The registry's own policy decides on
       it, the failure added as a finding and the registry's failsafe-tier segments forced in,
       and the result is floored: no write, money or irreversible tool, a human offered, risk
       at least high. Policy only grows stricter with more findings, needs and segments, so
       this is at least as strict as the decision the turn would have made: a forced handoff
       stays forced and a risk tier is kept.
    2. When `found` is None or anything in step 1 fails, the maximal restriction: every tool
       denied (any segment may narrow the allowed tools to any set, so only none is surely
       no looser; a person takes over anyway), a handoff required now, risk critical, the
       `known` findings' reasons kept and ``failsafe.unrecoverable`` saying why.

    Args:
        registry: the registry in force.
        code: the ``failsafe.*`` code of what failed (an `ENGINE_CODES` entry).
        detail: what failed, for the reason's sentence (an exception's type name).
        found: gathers the facts of everything found so far; may raise.
        known: findings already held, kept in the maximal restriction's reasons.
    """
    explanation = f"{ENGINE_CODES.get(code, ENGINE_CODES['failsafe.engine_error'])} ({detail})"
    failure = Finding(kind="failsafe", code=code, rule_id="engine", source="engine",
                      explanation=explanation)
    if found is not None:
        try:
            return _rebuilt(registry, found(), failure)
        except Exception as exc:  # the rebuild must not fail open: fall to the maximal one
            detail = f"{detail}, then {type(exc).__name__} while rebuilding"
    return _maximal(registry, failure, detail, known)


def _rebuilt(registry: Registry, facts: Facts, failure: Finding) -> Decision:
    """Decide on `facts` with `failure` among the findings and every failsafe-tier segment in
    force, then floor the result (see `failsafe_decision`)."""
    facts = Facts.build(
        [*facts.findings, failure], facts.need_state, 0.0, facts.signals, facts.context,
        facts.user_turns, facts.today, facts.other_needs, facts.need_source,
        facts.reported_failures, facts.signal_sources, facts.language,
    )
    reason = failure.reason()
    active = assign_segments(registry, facts)
    for seg in registry.segments:  # the registry's restrictive default, whatever its entry says
        if seg.tier == "failsafe" and seg.id not in active:
            active[seg.id] = [reason]
    decision = decide(registry, facts, active)
    tools = [
        verdict if verdict.verdict == "deny"
        or not set(registry.tools[verdict.tool].effects) & set(_RESTRICTED_EFFECTS)
        else ToolVerdict(tool=verdict.tool, verdict="deny", reasons=[reason])
        for verdict in decision.tools
    ]
    directives = list(decision.directives)
    if not decision.handoff.required and "offer_human" not in directives:
        directives.append("offer_human")
    reasons = list(decision.reason_codes)
    if not any(r.code == reason.code for r in reasons):
        reasons.insert(0, reason)
    return decision.model_copy(update={
        "risk_tier": _tier(max(RISK_ORDER[decision.risk_tier], _FAILSAFE_RISK)),
        "tools": tools,
        "directives": directives,
        "handoff": decision.handoff.model_copy(update={"offered": True}),
        "reason_codes": reasons,
        "failsafe": True,
    })


def _maximal(
    registry: Registry, failure: Finding, detail: str, known: Sequence[Finding]
) -> Decision:
    """Every tool denied, a person required now, risk critical (see `failsafe_decision`)."""
    reason = ReasonCode(code="failsafe.unrecoverable", rule_id="engine", source="engine",
                        explanation=f"{ENGINE_CODES['failsafe.unrecoverable']} ({detail})")
    reasons = _dedupe([*(finding.reason() for finding in known), failure.reason(), reason])
    return Decision(
        need_state=registry.settings.default_need_state,
        need_confidence=0.0,
        risk_tier="critical",
        segments=[],
        friction=[],
        tools=[ToolVerdict(tool=name, verdict="deny", reasons=[reason]) for name in registry.tools],
        retrieval_scope=[],
        directives=["handoff_now"],
        handoff=Handoff(
            required=True,
            offered=True,
            mode="immediate",
            reasons=[str(r) for r in reasons],
            queue=registry.settings.default_queue,
            priority="high",
        ),
        reason_codes=reasons,
        policy_version=registry.version,
        failsafe=True,
    )
