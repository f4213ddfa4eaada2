"""Alerts: the report's findings that should page someone, and where they are sent.

The registry's ``settings.governance.alerts`` sets the thresholds; `check_alerts` reads a
`GovernanceReport` against them. Four kinds:

==========================  ===========================================================
``wrongful_automation``     a segment with at least ``min_conversations`` automated
                            conversations whose wrongful-automation rate is above
                            ``wrongful_automation_rate``
``time_to_human_gap``       a cohort value (``language=de``, ``plan=free``...) with at least
                            ``min_conversations`` timed handoffs whose median minutes to a
                            human exceed the median of all the dimension's other values,
                            pooled (also at least ``min_conversations``), by more than
                            ``time_to_human_gap_minutes``
``incident``                any incident of a kind in ``incidents``: one alert per kind
``holdout_worse``           a segment where the policy arm is significantly worse than the
                            holdout (the report's ``worse_segments``)
==========================  ===========================================================

An `Alert` holds ids, numbers and a message made from them: no conversation text.
`deliver_alerts` sends each as an event, either appended as a line to a JSONL file (a scheduled
job tails it or ships it on to its pager) or POSTed as JSON to an http(s) URL with the handoff
webhook's delivery policy (`guardrail.handoff.webhook.JsonWebhook`: retries with backoff, a
deadline, an ``Idempotency-Key`` per event, logs without the URL). Events a webhook did not take
are never dropped silently: `AlertDeliveryError` says so, after appending them to a fallback
JSONL file when one is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Literal

import numpy as np

from guardrail._base import FrozenModel

if TYPE_CHECKING:
    from guardrail.governance.report import GovernanceReport
    from guardrail.registry import Registry

__all__ = [
    "ALERT_EVENT",
    "Alert",
    "AlertKind",
    "alert_event",
    "check_alerts",
]

AlertKind = Literal["wrongful_automation", "time_to_human_gap", "incident", "holdout_worse"]

ALERT_EVENT: Final = "guardrail.governance.alert"
"""The ``event`` field of every alert event `deliver_alerts` sends."""


class Alert(FrozenModel):
    """One threshold crossed.

    Attributes:
        kind: which check fired.
        subject: what it fired on: a segment id, a ``dimension=value`` cohort or an incident
            kind.
        value: what was measured (a rate, minutes of gap, a count, a difference).
        threshold: the registry's threshold it crossed (0 for ``holdout_worse``: the interval
            excludes no difference).
        message: one plain sentence saying the above.
    """

    kind: AlertKind
    subject: str
    value: float
    threshold: float
    message: str


def check_alerts(report: GovernanceReport, registry: Registry) -> list[Alert]:
    """The alerts `report` raises under `registry`'s thresholds, in the order of the kinds
    above, each kind sorted by subject."""
    settings = registry.settings.governance.alerts
    least = settings.min_conversations
    alerts: list[Alert] = []
    if settings.wrongful_automation_rate is not None:
        limit = settings.wrongful_automation_rate
        for segment, metrics in sorted(report.by_segment.items()):
            rate = metrics.wrongful_automation_rate
            if metrics.automated >= least and rate is not None and rate > limit:
                alerts.append(Alert(
                    kind="wrongful_automation", subject=segment, value=rate, threshold=limit,
                    message=f"segment {segment}: {rate:.1%} of {metrics.automated} automated "
                            f"conversations went wrong afterwards (threshold {limit:.1%})"))
    if settings.time_to_human_gap_minutes is not None:
        alerts.extend(_time_gaps(report.cohort_times, settings.time_to_human_gap_minutes, least))
    for kind in sorted(settings.incidents):
        count = report.incidents.get(kind, 0)
        if count > 0:
            alerts.append(Alert(kind="incident", subject=kind, value=count, threshold=0,
                                message=f"{count} {kind} incident(s) in the period"))
    for segment in report.worse_segments:
        worse = [d for d in report.arm_differences
                 if d.worse and d.scope == f"segment:{segment}"]
        first = worse[0]
        names = ", ".join(d.metric for d in worse)
        alerts.append(Alert(
            kind="holdout_worse", subject=segment, value=first.difference, threshold=0,
            message=f"segment {segment}: the policy arm is worse than the holdout on {names} "
                    f"({first.metric} {first.difference:+.3g}, 95% CI {first.ci_low:+.3g} to "
                    f"{first.ci_high:+.3g}, {first.method})"))
    return alerts


def _time_gaps(
    times: Mapping[str, Sequence[float]], threshold: float, least: int
) -> list[Alert]:
    """The cohort values whose median minutes to a human exceed the rest's pooled median."""
    by_dimension: dict[str, dict[str, Sequence[float]]] = {}
    for key, values in times.items():
        dimension, _, value = key.partition("=")
        by_dimension.setdefault(dimension, {})[value] = values
    alerts: list[Alert] = []
    for dimension, groups in sorted(by_dimension.items()):
        for value, own in sorted(groups.items()):
            others = [t for other, ts in groups.items() if other != value for t in ts]
            if len(own) < least or len(others) < least:
                continue
            gap = float(np.median(own)) - float(np.median(others))
            if gap > threshold:
                alerts.append(Alert(
                    kind="time_to_human_gap", subject=f"{dimension}={value}", value=gap,
                    threshold=threshold,
                    message=f"{dimension}={value}: median time to a human is {gap:.1f} min "
                            f"longer than the other {dimension} values' ({len(own)} and "
                            f"{len(others)} handoffs; threshold {threshold:g} min)"))
    return alerts


def alert_event(alert: Alert, report: GovernanceReport) -> dict[str, object]:
    """The event sent for `alert`: the alert, the period, the policy versions and a ``key``.

    The key is the same for the same alert on the same period and policy, so a receiver (the
    webhook's ``Idempotency-Key``, or a job reading the JSONL) can drop a report run twice.
    """
    period = report.period.model_dump(mode="json")
    versions = list(report.policy_versions)
    identity = json.dumps([period, versions, alert.kind, alert.subject], sort_keys=True)
    return {
        "event": ALERT_EVENT,
        "key": hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32],
        "sent_at": datetime.now(UTC).isoformat(),
        "period": period,
        "policy_versions": versions,
        **alert.model_dump(mode="json"),
    }
