"""An append-only audit trail that answers "why did the AI do that?" for any turn.

Each turn leaves a chain of JSON lines keyed by conversation and turn: the **decision** (segments
and their reasons, the policy they produced, the handoff it required), each **tool call** the gate
checked (its action and what then happened), the **handoff** (where it went and whether it
arrived) and each **exit event** that ended a critical segment (who, how, why), every line
stamped with the policy version or tied to the decision that carries it::

    log = AuditLog("var/audit.jsonl")
    decision = guard.check(conversation)
    log.decision(decision, conversation_id="c-42", turn=3)
    check = check_tool_call(guard.registry, decision, "issue_refund", args, customer_id)
    log.tool_call(check.as_record(), conversation_id="c-42", turn=3, outcome="denied")
    log.handoff(summary, delivery=deliver(sink, summary), turn=3)
    log.exit_event(guard.verify("c-42", "fraud_takeover", by="agent", who="agent-417",
                                why="passed the ID check on a call"))

    print(explain_conversation(read_audit("var/audit.jsonl", "c-42")))

The package is cut the way a record travels: `record` (the schema), `writer` (`AuditLog`, which
redacts on the way in), `reader` (tolerant: a torn or corrupt line is an `AuditProblem`, never
fatal) and `explain` (the plain-text account ``guardrail explain --audit`` prints). The recorders
sit below what they record: nothing here imports the gate.
"""

from __future__ import annotations

from guardrail.audit.explain import (
    AuditConversation,
    audit_key,
    conversations,
    customer_turn,
    explain_conversation,
)
from guardrail.audit.reader import AuditProblem, AuditTrail, load_audit, read_audit
from guardrail.audit.record import (
    AUDIT_SCHEMA_VERSION,
    AuditPolicy,
    AuditRecord,
    DecisionActions,
    DecisionRecord,
    ExitEventRecord,
    HandoffRecord,
    OverrideAction,
    OverrideRecord,
    ShadowRecord,
    ShadowSide,
    ToolCallRecord,
    ToolOutcome,
)
from guardrail.audit.writer import (
    AuditLog,
    Exited,
    HandedOff,
    Overridden,
    ShadowDifference,
    audited_exit,
    audited_override,
    cohort_of,
    shadow_differences,
    shadow_side,
)

__all__ = [
    "AUDIT_SCHEMA_VERSION",
    "AuditConversation",
    "AuditLog",
    "AuditPolicy",
    "AuditProblem",
    "AuditRecord",
    "AuditTrail",
    "DecisionActions",
    "DecisionRecord",
    "ExitEventRecord",
    "Exited",
    "HandedOff",
    "HandoffRecord",
    "Overridden",
    "OverrideAction",
    "OverrideRecord",
    "ShadowDifference",
    "ShadowRecord",
    "ShadowSide",
    "ToolCallRecord",
    "ToolOutcome",
    "audit_key",
    "audited_exit",
    "audited_override",
    "cohort_of",
    "conversations",
    "customer_turn",
    "explain_conversation",
    "load_audit",
    "read_audit",
    "shadow_differences",
    "shadow_side",
]
