"""Governance on live traffic: what happened after the guardrail decided.

    outcomes.py   Outcome (no text field, by design): resolved, reopened, handed off, CSAT,
                  incidents..., kept in the history store beside the customer's events

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
