"""The segment-performance report: audit decisions joined to outcomes, for one period.

`build_report` reads what the guardrail decided (audit decision records) and what happened
afterwards (`Outcome` events from the history store), joined by ``conversation_id``:

* A conversation belongs to the period when its **first** decision record's ``at`` is in
  ``[since, until)``; every outcome of it counts, whenever it was recorded (a CSAT arrives
  days later).
* Its **segments** are the union over its decision records of the assigned segment ids and
  the ``held_out`` ones (the holdout arm assigns segments without acting on them, so the arms
  compare segment by segment). Its **need** is the need-state of its last decision record;
  its **arm** that of its first (the arm is stable per customer); its **cohort** the labels
  its records kept (locale, channel, region, plan; a later record's label wins) and its
  **language** the last one read (``und`` when none was).

`GovernanceReport.to_json` is the JSON the CLI writes; `check_alerts`
(`guardrail.governance.alerts`) turns it into alerts. The metrics and the interval methods are
described on `Metrics` and in `guardrail.governance.stats`.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, JsonValue

from guardrail._base import FrozenModel
from guardrail.audit.record import (
    COHORT_FIELDS,
    AuditRecord,
    DecisionRecord,
    OverrideRecord,
    ShadowRecord,
)
from guardrail.decision import UNDETERMINED_LANGUAGE, Arm
from guardrail.errors import UserError
from guardrail.governance.alerts import Alert, check_alerts
from guardrail.governance.outcomes import INCIDENTS, Outcome
from guardrail.governance.stats import (
    BOOTSTRAP_RESAMPLES,
    Interval,
    bootstrap_difference,
    newcombe_interval,
    percentile,
)

if TYPE_CHECKING:
    from guardrail.registry import Registry

__all__ = [
    "BOOTSTRAP_METHOD",
    "HUMAN_SEGMENT",
    "NEWCOMBE_METHOD",
    "ArmDifference",
    "Drift",
    "GovernanceReport",
    "Metrics",
    "OverrideCounts",
    "Period",
    "ShadowCounts",
    "Shift",
    "TimeToHuman",
    "build_report",
]

HUMAN_SEGMENT: Final = "human_requested"
"""The shipped registry's segment for an explicit request for a person (`build_report`'s
``human_segment`` names another one)."""

NEWCOMBE_METHOD: Final = "newcombe_hybrid_score"
"""The method of a rate difference: Newcombe's hybrid score interval (method 10)."""
BOOTSTRAP_METHOD: Final = "percentile_bootstrap"
"""The method of a mean or median difference: a seeded percentile bootstrap."""

Direction = Literal["higher", "lower", "none"]
_OVERRIDE_ACTIONS: Final = ("assert", "clear", "verify")
_SHADOW_DIFFERENCES: Final = ("handoff", "risk", "tools", "segments", "need")
# The per-segment metrics the drift view follows from one period to the next.
_DRIFT_METRICS: Final = (
    "conversations", "escalation_rate", "wrongful_automation_rate", "reopen_rate",
    "repeat_contact_rate", "first_contact_resolution", "csat_mean",
)


class TimeToHuman(FrozenModel):
    """Minutes from the first decision that required a handoff to the first human message
    (the ``handed_off`` outcome's ``first_human_at``): median, 90th percentile, how many."""

    median: float | None
    p90: float | None
    n: int


class Metrics(FrozenModel):
    """What happened to a group of conversations. A rate is None when its denominator is 0.

    Attributes:
        conversations: how many.
        escalation_rate: share with a decision that required a handoff.
        time_to_human_minutes: see `TimeToHuman` (guardrail handoffs with a known first human
            message; a human before the handoff counts 0).
        first_contact_resolution: of the conversations with a ``resolved`` outcome, the share
            with one ``first_contact=true``.
        repeat_contact_rate: share with a ``repeat_contact`` outcome within ``repeat_days`` of
            the first decision.
        reopen_rate: share with a ``reopened`` outcome.
        ces_mean, csat_mean, post_handoff_csat_mean: mean score (each conversation's latest),
            with ``*_n`` the conversations scored.
        automated: conversations the guardrail never handed off.
        wrongful_automation_rate: of those, the share then ``reopened``, ``handed_off`` or
            flagged with a ``wrongful_automation`` incident.
        escalated: conversations it handed off.
        wrongful_escalation_rate: of those, the share flagged ``wrongful_escalation``.
        human_escape_success: of the conversations assigned the human-request segment, the
            share handed off at that decision or the next one (None when there were none).
        incidents: incident outcomes by kind (every kind, 0 included).
    """

    conversations: int
    escalation_rate: float | None
    time_to_human_minutes: TimeToHuman
    first_contact_resolution: float | None
    repeat_contact_rate: float | None
    reopen_rate: float | None
    ces_mean: float | None
    ces_n: int
    csat_mean: float | None
    csat_n: int
    post_handoff_csat_mean: float | None
    post_handoff_csat_n: int
    automated: int
    wrongful_automation_rate: float | None
    escalated: int
    wrongful_escalation_rate: float | None
    human_escape_success: float | None
    incidents: dict[str, int]


class ArmDifference(FrozenModel):
    """Policy minus holdout on one metric in one scope, with its 95% interval.

    `worse` is set when the interval excludes 0 on the side where the metric is bad and each
    arm counted at least ``alerts.min_conversations`` toward it.
    """

    scope: str = Field(description='"all" or "segment:<id>".')
    metric: str
    policy: float
    holdout: float
    difference: float
    ci_low: float
    ci_high: float
    method: str
    worse: bool


class Shift(FrozenModel):
    """A value in the previous period and in this one, and the change when both exist."""

    before: float | None
    after: float | None
    delta: float | None


class Period(FrozenModel):
    """A half-open time window ``[since, until)``."""

    since: datetime
    until: datetime


class Drift(FrozenModel):
    """How this period moved from the previous one (``--compare``)."""

    previous: Period
    need_mix: dict[str, Shift] = Field(description="Share of conversations per need.")
    escalation_rate: Shift
    by_segment: dict[str, dict[str, Shift]]


class OverrideCounts(FrozenModel):
    """Agent overrides of the period's conversations."""

    total: int
    by_action: dict[str, int]
    by_segment: dict[str, int]


class ShadowCounts(FrozenModel):
    """Shadow records of the period's conversations, by the aspect that differed (a record
    may differ in several)."""

    total: int
    by_difference: dict[str, int]


class GovernanceReport(FrozenModel):
    """The report for one period; `to_json` is its JSON form (see the module docstring)."""

    period: Period
    policy_versions: list[str]
    totals: Metrics
    with_outcomes: int = Field(
        default=0, ge=0,
        description="Conversations of the period with at least one outcome: 0 means the outcome "
        "metrics and their alerts measured nothing.",
    )
    by_segment: dict[str, Metrics]
    by_need_segment: dict[str, Metrics]
    by_cohort: dict[str, Metrics]
    by_arm: dict[str, Metrics]
    arm_differences: list[ArmDifference]
    worse_segments: list[str]
    drift: Drift | None
    incidents: dict[str, int]
    alerts: list[Alert]
    overrides: OverrideCounts
    shadow: ShadowCounts
    # Working data for the alerts and a later --compare, not part of the JSON: the minutes to a
    # human per cohort value (a pooled median cannot be made from medians) and the need counts.
    cohort_times: dict[str, list[float]] = Field(default_factory=dict, exclude=True)
    need_counts: dict[str, int] = Field(default_factory=dict, exclude=True)

    def to_json(self) -> dict[str, JsonValue]:
        """The report as JSON-ready data (times as ISO 8601 strings)."""
        data: dict[str, JsonValue] = self.model_dump(mode="json")
        return data


@dataclass(frozen=True, slots=True)
class _Facts:
    """One conversation, reduced to what the metrics count."""

    id: str
    arm: Arm
    need: str
    segments: frozenset[str]
    cohort: Mapping[str, str]
    escalated: bool
    escaped: bool | None
    time_to_human: float | None
    resolved: bool
    first_contact: bool
    repeat: bool
    reopened: bool
    scores: Mapping[str, float]
    wrongful_automation: bool
    wrongful_escalation: bool
    incidents: Mapping[str, int]


def build_report(
    records: Sequence[AuditRecord],
    outcomes: Sequence[Outcome],
    *,
    registry: Registry,
    since: datetime,
    until: datetime,
    previous: GovernanceReport | None = None,
    human_segment: str = HUMAN_SEGMENT,
) -> GovernanceReport:
    """The segment-performance report of the conversations that started in ``[since, until)``.

    Args:
        records: audit records (any types, any conversations, any order).
        outcomes: outcomes of at least those conversations (others are ignored).
        registry: gives ``settings.governance`` (repeat window, alert thresholds).
        since: start of the period (timezone-aware).
        until: end of the period, excluded.
        previous: the previous period's report, for the drift view.
        human_segment: the segment that marks a request for a person.

    Raises:
        UserError: a naive time, or `until` not after `since`.
    """
    _check_period(since, until)
    settings = registry.settings.governance
    by_conversation: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_conversation[outcome.conversation_id].append(outcome)
    decisions = _decisions_in(records, since, until)
    repeat = timedelta(days=settings.repeat_days)
    facts = [_facts(cid, recs, by_conversation.get(cid, []), repeat, human_segment)
             for cid, recs in sorted(decisions.items())]

    by_segment = _grouped(facts, lambda f: f.segments)
    by_need_segment = _grouped(facts, lambda f: {f"{f.need}|{s}" for s in f.segments})
    by_cohort = _grouped(facts, lambda f: {f"{k}={v}" for k, v in f.cohort.items()})
    by_arm = {arm: [f for f in facts if f.arm == arm] for arm in ("policy", "holdout")}
    differences = _arm_differences(by_arm, by_segment, settings.alerts.min_conversations)
    worse = sorted({d.scope.removeprefix("segment:") for d in differences
                    if d.worse and d.scope.startswith("segment:")})
    totals = _metrics(facts)
    need_counts = dict(Counter(f.need for f in facts))
    segment_metrics = {k: _metrics(v) for k, v in sorted(by_segment.items())}
    ids = {f.id for f in facts}
    report = GovernanceReport(
        period=Period(since=since, until=until),
        policy_versions=sorted({r.policy_version for recs in decisions.values() for r in recs}),
        totals=totals,
        with_outcomes=sum(1 for cid in ids if by_conversation.get(cid)),
        by_segment=segment_metrics,
        by_need_segment={k: _metrics(v) for k, v in sorted(by_need_segment.items())},
        by_cohort={k: _metrics(v) for k, v in sorted(by_cohort.items())},
        by_arm={arm: _metrics(group) for arm, group in by_arm.items()},
        arm_differences=differences,
        worse_segments=worse,
        drift=None if previous is None else _drift(previous, totals, segment_metrics,
                                                   need_counts),
        incidents=dict(totals.incidents),
        alerts=[],
        overrides=_overrides(r for r in records if r.conversation_id in ids),
        shadow=_shadow(r for r in records if r.conversation_id in ids),
        cohort_times={k: [f.time_to_human for f in v if f.time_to_human is not None]
                      for k, v in sorted(by_cohort.items())},
        need_counts=need_counts,
    )
    return report.model_copy(update={"alerts": check_alerts(report, registry)})


def _check_period(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise UserError("a report period needs timezone-aware times (add Z or +00:00)")
    if until <= since:
        raise UserError(f"a report period must end after it starts ({since.isoformat()} to "
                        f"{until.isoformat()})")


def _decisions_in(
    records: Iterable[AuditRecord], since: datetime, until: datetime
) -> dict[str, list[DecisionRecord]]:
    """The decision records of each conversation whose first decision is in the period, in
    decision order."""
    grouped: dict[str, list[tuple[datetime, int, int, DecisionRecord]]] = defaultdict(list)
    for record in records:
        if isinstance(record, DecisionRecord):
            grouped[record.conversation_id].append(
                (_time(record.at), record.turn, record.seq, record))
    kept: dict[str, list[DecisionRecord]] = {}
    for cid, items in grouped.items():
        items.sort(key=lambda item: item[:3])
        if since <= items[0][0] < until:
            kept[cid] = [item[3] for item in items]
    return kept


def _time(text: str) -> datetime:
    # The writer stores UTC ISO 8601; a hand-made record without a zone is read as UTC.
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _facts(
    cid: str, records: Sequence[DecisionRecord], outcomes: Sequence[Outcome], repeat: timedelta,
    human_segment: str,
) -> _Facts:
    """What the metrics need of one conversation: its decisions (in order) and outcomes."""
    first_at = _time(records[0].at)
    assigned = [{s.id for s in r.segments} | set(r.held_out) for r in records]
    handoffs = [r.action.handoff.required for r in records]
    first_handoff = next((_time(r.at) for r, h in zip(records, handoffs, strict=True) if h),
                         None)
    asked = next((i for i, segs in enumerate(assigned) if human_segment in segs), None)
    cohort: dict[str, str] = {}
    for record in records:
        cohort.update(record.cohort)
    languages = [r.language for r in records if r.language != UNDETERMINED_LANGUAGE]
    cohort = {"language": languages[-1] if languages else UNDETERMINED_LANGUAGE,
              **{k: cohort[k] for k in COHORT_FIELDS if k in cohort}}

    kinds = Counter(o.kind for o in outcomes)
    incidents = Counter(o.incident for o in outcomes if o.incident is not None)
    humans = [o.first_human_at for o in outcomes
              if o.kind == "handed_off" and o.first_human_at is not None]
    time_to_human = None
    if first_handoff is not None and humans:
        time_to_human = max(0.0, (min(humans) - first_handoff).total_seconds() / 60.0)
    scores: dict[str, float] = {}
    for outcome in sorted(outcomes, key=lambda o: o.at):  # the latest score wins
        if outcome.score is not None:
            scores[outcome.kind] = outcome.score
    escalated = any(handoffs)
    return _Facts(
        id=cid,
        arm=records[0].arm,
        need=records[-1].need_state,
        segments=frozenset().union(*assigned),
        cohort=cohort,
        escalated=escalated,
        escaped=None if asked is None else any(handoffs[asked:asked + 2]),
        time_to_human=time_to_human,
        resolved=kinds["resolved"] > 0,
        first_contact=any(o.kind == "resolved" and o.first_contact for o in outcomes),
        repeat=any(o.kind == "repeat_contact" and timedelta(0) <= o.at - first_at <= repeat
                   for o in outcomes),
        reopened=kinds["reopened"] > 0,
        scores=scores,
        wrongful_automation=not escalated and (
            kinds["reopened"] > 0 or kinds["handed_off"] > 0
            or incidents["wrongful_automation"] > 0),
        wrongful_escalation=escalated and incidents["wrongful_escalation"] > 0,
        incidents={str(kind): n for kind, n in incidents.items()},
    )


def _grouped(
    facts: Iterable[_Facts], keys: Callable[[_Facts], Iterable[str]]
) -> dict[str, list[_Facts]]:
    groups: dict[str, list[_Facts]] = defaultdict(list)
    for fact in facts:
        for key in keys(fact):
            groups[key].append(fact)
    return groups


# The rates: (direction, who is counted, who of those is a success).
_Rate = tuple[Direction, Callable[[_Facts], bool], Callable[[_Facts], bool]]
_RATES: Final[dict[str, _Rate]] = {
    "escalation_rate": ("none", lambda f: True, lambda f: f.escalated),
    "first_contact_resolution": ("higher", lambda f: f.resolved, lambda f: f.first_contact),
    "repeat_contact_rate": ("lower", lambda f: True, lambda f: f.repeat),
    "reopen_rate": ("lower", lambda f: True, lambda f: f.reopened),
    "wrongful_automation_rate": (
        "lower", lambda f: not f.escalated, lambda f: f.wrongful_automation),
    "wrongful_escalation_rate": ("lower", lambda f: f.escalated, lambda f: f.wrongful_escalation),
    "human_escape_success": ("higher", lambda f: f.escaped is not None, lambda f: bool(f.escaped)),
}
# The sampled values: (direction, the value of a conversation or None, the statistic).
_Sample = tuple[Direction, Callable[[_Facts], float | None], str]
_SAMPLES: Final[dict[str, _Sample]] = {
    "time_to_human_minutes": ("lower", lambda f: f.time_to_human, "median"),
    "ces_mean": ("higher", lambda f: f.scores.get("ces"), "mean"),
    "csat_mean": ("higher", lambda f: f.scores.get("csat"), "mean"),
    "post_handoff_csat_mean": ("higher", lambda f: f.scores.get("post_handoff_csat"), "mean"),
}


def _count(group: Sequence[_Facts], metric: str) -> tuple[int, int]:
    """(successes, counted) of a rate."""
    _, counted, success = _RATES[metric]
    members = [f for f in group if counted(f)]
    return sum(1 for f in members if success(f)), len(members)


def _rate(group: Sequence[_Facts], metric: str) -> float | None:
    successes, n = _count(group, metric)
    return successes / n if n else None


def _sample(group: Sequence[_Facts], metric: str) -> list[float]:
    value = _SAMPLES[metric][1]
    return [v for f in group if (v := value(f)) is not None]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _metrics(group: Sequence[_Facts]) -> Metrics:
    times = _sample(group, "time_to_human_minutes")
    incidents = Counter[str]({kind: 0 for kind in INCIDENTS})
    for fact in group:
        incidents.update(fact.incidents)
    ces, csat = _sample(group, "ces_mean"), _sample(group, "csat_mean")
    post = _sample(group, "post_handoff_csat_mean")
    return Metrics(
        conversations=len(group),
        escalation_rate=_rate(group, "escalation_rate"),
        time_to_human_minutes=TimeToHuman(
            median=percentile(times, 50), p90=percentile(times, 90), n=len(times)),
        first_contact_resolution=_rate(group, "first_contact_resolution"),
        repeat_contact_rate=_rate(group, "repeat_contact_rate"),
        reopen_rate=_rate(group, "reopen_rate"),
        ces_mean=_mean(ces), ces_n=len(ces),
        csat_mean=_mean(csat), csat_n=len(csat),
        post_handoff_csat_mean=_mean(post), post_handoff_csat_n=len(post),
        automated=sum(1 for f in group if not f.escalated),
        wrongful_automation_rate=_rate(group, "wrongful_automation_rate"),
        escalated=sum(1 for f in group if f.escalated),
        wrongful_escalation_rate=_rate(group, "wrongful_escalation_rate"),
        human_escape_success=_rate(group, "human_escape_success"),
        incidents=dict(incidents),
    )


def _arm_differences(
    by_arm: Mapping[str, Sequence[_Facts]], by_segment: Mapping[str, Sequence[_Facts]],
    min_conversations: int,
) -> list[ArmDifference]:
    """Policy minus holdout for every metric, over all conversations and in each segment both
    arms have conversations in."""
    scopes: list[tuple[str, Sequence[_Facts], Sequence[_Facts]]] = [
        ("all", by_arm["policy"], by_arm["holdout"])]
    for segment, group in sorted(by_segment.items()):
        in_policy = [f for f in group if f.arm == "policy"]
        in_holdout = [f for f in group if f.arm == "holdout"]
        if in_policy and in_holdout:
            scopes.append((f"segment:{segment}", in_policy, in_holdout))
    found: list[ArmDifference] = []
    for scope, policy, holdout in scopes:
        if not policy or not holdout:
            continue
        for metric in _RATES:
            found.extend(_rate_difference(scope, metric, policy, holdout, min_conversations))
        for metric in _SAMPLES:
            found.extend(_sample_difference(scope, metric, policy, holdout, min_conversations))
    return found


def _rate_difference(
    scope: str, metric: str, policy: Sequence[_Facts], holdout: Sequence[_Facts], least: int
) -> list[ArmDifference]:
    (s_p, n_p), (s_h, n_h) = _count(policy, metric), _count(holdout, metric)
    interval = newcombe_interval(s_p, n_p, s_h, n_h)
    if interval is None:
        return []
    return [_difference(scope, metric, s_p / n_p, s_h / n_h, interval, NEWCOMBE_METHOD,
                        _RATES[metric][0], min(n_p, n_h) >= least)]


def _sample_difference(
    scope: str, metric: str, policy: Sequence[_Facts], holdout: Sequence[_Facts], least: int
) -> list[ArmDifference]:
    direction, _, statistic = _SAMPLES[metric]
    a, b = _sample(policy, metric), _sample(holdout, metric)
    if not a or not b:
        return []
    function = _median_rows if statistic == "median" else _mean_rows
    # One seed per (scope, metric): an interval does not depend on what else is reported.
    seed = int.from_bytes(hashlib.sha256(f"{scope}|{metric}".encode()).digest()[:8], "big")
    interval = bootstrap_difference(a, b, function, seed=seed)
    if interval is None:  # pragma: no cover - both samples are non-empty
        return []
    value = np.median if statistic == "median" else np.mean
    method = f"{BOOTSTRAP_METHOD} of the {statistic} ({BOOTSTRAP_RESAMPLES} resamples)"
    return [_difference(scope, metric, float(value(a)), float(value(b)), interval, method,
                        direction, min(len(a), len(b)) >= least)]


def _median_rows(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    rows: npt.NDArray[np.float64] = np.median(values, axis=1)
    return rows


def _mean_rows(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    rows: npt.NDArray[np.float64] = np.mean(values, axis=1)
    return rows


def _difference(
    scope: str, metric: str, policy: float, holdout: float, interval: Interval, method: str,
    direction: Direction, enough: bool,
) -> ArmDifference:
    low, high = interval
    bad = (direction == "lower" and low > 0.0) or (direction == "higher" and high < 0.0)
    return ArmDifference(scope=scope, metric=metric, policy=policy, holdout=holdout,
                         difference=policy - holdout, ci_low=low, ci_high=high, method=method,
                         worse=enough and bad)


def _shift(before: float | None, after: float | None) -> Shift:
    delta = None if before is None or after is None else after - before
    return Shift(before=before, after=after, delta=delta)


def _drift(
    previous: GovernanceReport, totals: Metrics, by_segment: Mapping[str, Metrics],
    need_counts: Mapping[str, int],
) -> Drift:
    def mix(counts: Mapping[str, int]) -> dict[str, float]:
        total = sum(counts.values())
        return {need: n / total for need, n in counts.items()} if total else {}

    before, after = mix(previous.need_counts), mix(need_counts)
    segments: dict[str, dict[str, Shift]] = {}
    for segment in sorted(set(previous.by_segment) | set(by_segment)):
        old, new = previous.by_segment.get(segment), by_segment.get(segment)
        segments[segment] = {
            metric: _shift(_value(old, metric), _value(new, metric)) for metric in _DRIFT_METRICS
        }
        segments[segment]["time_to_human_median"] = _shift(
            old.time_to_human_minutes.median if old else None,
            new.time_to_human_minutes.median if new else None)
    return Drift(
        previous=previous.period,
        need_mix={need: _shift(before.get(need, 0.0), after.get(need, 0.0))
                  for need in sorted(set(before) | set(after))},
        escalation_rate=_shift(previous.totals.escalation_rate, totals.escalation_rate),
        by_segment=segments,
    )


def _value(metrics: Metrics | None, name: str) -> float | None:
    if metrics is None:
        return None
    value = getattr(metrics, name)
    return float(value) if isinstance(value, int | float) else None


def _overrides(records: Iterable[AuditRecord]) -> OverrideCounts:
    overrides = [r for r in records if isinstance(r, OverrideRecord)]
    by_action = Counter[str]({action: 0 for action in _OVERRIDE_ACTIONS})
    by_action.update(r.action for r in overrides)
    return OverrideCounts(total=len(overrides), by_action=dict(by_action),
                          by_segment=dict(sorted(Counter(r.segment for r in overrides).items())))


def _shadow(records: Iterable[AuditRecord]) -> ShadowCounts:
    shadows = [r for r in records if isinstance(r, ShadowRecord)]
    by_difference = Counter[str]({aspect: 0 for aspect in _SHADOW_DIFFERENCES})
    for record in shadows:
        by_difference.update(set(record.differences))
    return ShadowCounts(total=len(shadows), by_difference=dict(by_difference))
