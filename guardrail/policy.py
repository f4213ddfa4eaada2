"""Policy: from findings and signals to segments, and from segments to a Decision.

Most restrictive wins everywhere: a tool is denied if any active policy denies it, retrieval scope
is the intersection of every segment's scope, risk is the highest tier seen, and a handoff is
required if any active segment's hard escalation holds. Nothing here can loosen a restriction.

A registry's policy is compiled once to tables (`CompiledPolicy`, in `guardrail._policy_compile`,
kept beside the registry while it lives, never on it): conditions become functions, each rule and
need indexes the segments it can put a conversation in (a turn evaluates only those), and what a
set of active segments decides about tools, scope and routing is built once per (risk, segments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from guardrail._policy_compile import (
    CompiledPolicy,
    Plan,
    State,
    context_reader,
    dedupe,
    deduped,
    memo,
    signal_reader,
    tier_of,
)
from guardrail.conversation import Context, Signals
from guardrail.decision import (
    PRIORITY_ORDER,
    UNDETERMINED_LANGUAGE,
    Decision,
    Handoff,
    SegmentAssignment,
    ToolVerdict,
)
from guardrail.reasons import ENGINE_CODES, RISK_ORDER, Finding, ReasonCode
from guardrail.registry import Registry
from guardrail.registry.schema import SegmentSpec

__all__ = [
    "CompiledPolicy", "Facts", "assign_segments", "decide", "exit_holds", "failsafe_decision",
]

_RESTRICTED_EFFECTS = ("write", "money", "irreversible")
# A failsafe decision's risk is at least this high, whatever was found.
_FAILSAFE_RISK = RISK_ORDER["high"]


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
        """The value of signal `name` (None when the caller did not give it)."""
        return signal_reader(name)(self)

    def context_value(self, name: str) -> float | None:
        """The value of context field `name` (None when the caller did not give it)."""
        return context_reader(name)(self)


def assign_segments(registry: Registry, facts: Facts) -> dict[str, list[ReasonCode]]:
    """Every segment whose entry criteria hold, in registry order, with the reasons.

    Only the segments `facts` can reach are evaluated (`CompiledPolicy.reachable`); the others'
    entries cannot hold, so the result is the one evaluating every segment gives."""
    risk = 0
    for finding in facts.findings:
        if finding.risk is not None:
            risk = max(risk, RISK_ORDER[finding.risk])
    active: dict[str, list[ReasonCode]] = {}
    state = State(facts, active, risk)
    for seg_id, entry, rank in CompiledPolicy.of(registry).reachable(facts):
        reasons = entry(state)
        if reasons is not None:
            active[seg_id] = dedupe(reasons)
            if rank > state.risk:  # a later `risk_at_least` condition reads it
                state.risk = rank
    return active


def exit_holds(registry: Registry, seg: SegmentSpec, facts: Facts) -> bool:
    """True when `seg`'s exit criteria hold on `facts` (an exit with no conditions never holds)."""
    check = CompiledPolicy.of(registry).segment(seg).exit
    return check is not None and check(State(facts)) is not None


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

    What the active segments decide at a risk tier (tools, scope, directives, routing) comes
    from the compiled policy's plan; only the handoff and the reasons are worked out here.
    """
    compiled = CompiledPolicy.of(registry)
    ranks = compiled.ranks
    risk = 0
    for seg_id in active:
        risk = max(risk, ranks[seg_id])
    for finding in facts.findings:
        if finding.risk is not None:
            risk = max(risk, RISK_ORDER[finding.risk])
    for seg_id in held_out:
        risk = max(risk, ranks[seg_id])
    plan = compiled.plan(risk, active)

    handoff, handoff_reasons = _handoff(plan, registry.settings.default_queue, facts, active,
                                        risk)
    directives = list(plan.directives)
    if handoff.offered and not handoff.required and "offer_human" not in directives:
        directives.append("offer_human")
    verdicts = list(plan.tools)
    if plan.failsafe and handoff.required:
        # The part that failed may have hidden what would deny a tool, and a person takes over
        # anyway: nothing stays open (the gate refuses every call during a handoff as well).
        hold = next(r for seg in plan.segments if seg.spec.tier == "failsafe"
                    for r in active[seg.spec.id])
        verdicts = [v if v.verdict == "deny" else ToolVerdict(tool=v.tool, verdict="deny",
                                                              reasons=[hold])
                    for v in verdicts]
        reason_codes = dedupe(
            [r for reasons in active.values() for r in reasons]
            + handoff_reasons
            + [r for v in verdicts for r in v.reasons]
        )
    else:
        reason_codes = _with_tool_reasons(
            [r for reasons in active.values() for r in reasons] + handoff_reasons, plan
        )
    return Decision(
        need_state=facts.need_state,
        need_confidence=round(facts.need_confidence, 3),
        risk_tier=plan.tier,
        segments=[_assignment(seg.spec, active[seg.spec.id]) for seg in plan.segments],
        friction=list(plan.friction),
        tools=verdicts,
        retrieval_scope=list(plan.scope),
        directives=directives,
        handoff=handoff,
        reason_codes=reason_codes,
        policy_version=registry.version,
        failsafe=plan.failsafe,
        language=facts.language,
        held_out=list(held_out),
    )


# Segment assignments by segment and the identity of their reasons: a finding keeps its reason
# and a conversation keeps its findings, so the same assignment recurs turn after turn. Only an
# assignment holding those very reasons is kept, so their ids stay theirs while it is.
_ASSIGNMENTS: dict[tuple[object, ...], SegmentAssignment] = {}
# Required handoffs by everything they hold (Handoff is frozen: one is shared).
_HANDOFFS: dict[tuple[object, ...], Handoff] = {}
_SHARED_LIMIT = 4096


def _assignment(seg: SegmentSpec, reasons: list[ReasonCode]) -> SegmentAssignment:
    key = (seg.id, seg.tier, *map(id, reasons))
    made = _ASSIGNMENTS.get(key)
    if made is None:
        made = SegmentAssignment(id=seg.id, tier=seg.tier, reasons=reasons)
        if all(kept is given for kept, given in zip(made.reasons, reasons, strict=True)):
            if len(_ASSIGNMENTS) >= _SHARED_LIMIT:
                _ASSIGNMENTS.clear()
            _ASSIGNMENTS[key] = made
    return made


def _with_tool_reasons(reasons: Iterable[ReasonCode], plan: Plan) -> list[ReasonCode]:
    """`dedupe([*reasons, *every tool's reasons])`, the tools' part deduplicated beforehand."""
    out, seen = deduped(reasons)
    if seen.isdisjoint(plan.tool_keys):
        out.extend(plan.tool_reasons)
    else:
        out.extend(r for r in plan.tool_reasons if (r.code, r.rule_id, r.source) not in seen)
    return out


# A handoff that is not required is one of a few, the same turn after turn (Handoff is frozen).
_PLAIN_HANDOFFS: dict[tuple[bool, str], Handoff] = {}


def _handoff(
    plan: Plan,
    default_queue: str,
    facts: Facts,
    active: Mapping[str, list[ReasonCode]],
    risk: int,
) -> tuple[Handoff, list[ReasonCode]]:
    state = State(facts, active, risk)
    required: list[tuple[SegmentSpec, list[ReasonCode]]] = []
    offered = False
    for seg in plan.segments:
        hard = seg.hard(state)
        if hard is not None:
            # The handoff's reasons are what put the segment there, plus any trigger beyond
            # "always" (e.g. the failed-attempts signal).
            trigger = [r for r in hard if r.code != "policy.always"]
            required.append((seg.spec, [*active[seg.spec.id], *trigger]))
        elif seg.soft(state) is not None:
            offered = True
    priority = plan.priority
    if not required:
        plain = _PLAIN_HANDOFFS.get((offered, priority))
        if plain is None:
            plain = _PLAIN_HANDOFFS[offered, priority] = Handoff(
                offered=offered, priority=priority
            )
        return plain, []
    # The queue comes from the most urgent segment that forces the handoff.
    lead = max(required, key=lambda item: PRIORITY_ORDER[item[0].routing.priority])[0]
    immediate = any(seg.escalation.mode == "immediate" for seg, _ in required)
    reasons = dedupe(r for _, rs in required for r in rs)
    mode = "immediate" if immediate else "after_collect"
    queue = lead.routing.queue or default_queue
    shown = [str(r) for r in reasons]
    key = (mode, queue, priority, *shown)
    handoff = memo(_HANDOFFS, key, lambda: Handoff(
        required=True, offered=True, mode=mode, reasons=shown, queue=queue, priority=priority))
    return handoff, reasons


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
        "risk_tier": tier_of(max(RISK_ORDER[decision.risk_tier], _FAILSAFE_RISK)),
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
    reasons = dedupe([*(finding.reason() for finding in known), failure.reason(), reason])
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
