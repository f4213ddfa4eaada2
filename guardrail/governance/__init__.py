"""Governance on live traffic: what happened after the guardrail decided.

    outcomes.py   Outcome (no text field, by design): resolved, reopened, handed off, CSAT,
                  incidents..., kept in the history store beside the customer's events
    report.py     build_report -> GovernanceReport: audit decisions joined to outcomes, per
                  segment, need x segment, cohort and arm, policy vs holdout, drift
    stats.py      Wilson, Newcombe (method 10) and seeded bootstrap intervals
    alerts.py     Alert, check_alerts (registry thresholds), alert_event
    delivery.py   deliver_alerts: alert events to a JSONL file or a webhook (JsonWebhook)
    report_html.py  render_html: the report as one self-contained page

report, alerts and report_html are imported from their modules, not from here: they read the
registry and the audit records, and the registry's schema imports this package (outcomes).

The stores (`guardrail.history`) keep outcomes; `Guardrail.record_outcome` and
``guardrail record-outcome`` write them.
"""

from guardrail.governance.outcomes import (
    INCIDENTS,
    OUTCOME_KINDS,
    SCORE_RANGES,
    IncidentKind,
    Outcome,
    OutcomeKind,
)

__all__ = ["INCIDENTS", "OUTCOME_KINDS", "SCORE_RANGES", "IncidentKind", "Outcome", "OutcomeKind"]
