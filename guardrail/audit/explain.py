"""The explainer: an audit trail as plain text, turn by turn (``guardrail explain --audit``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from guardrail.audit.record import (
    AuditRecord,
    DecisionRecord,
    ExitEventRecord,
    HandoffRecord,
    OverrideRecord,
    ShadowRecord,
    ToolCallRecord,
)
from guardrail.conversation import Conversation
from guardrail.reasons import RiskTier

__all__ = [
    "AuditConversation",
    "audit_key",
    "conversations",
    "customer_turn",
    "explain_conversation",
]


@dataclass(frozen=True, slots=True)
class AuditConversation:
    """One conversation in an audit file: how many turns it has and the last risk tier seen."""

    conversation_id: str
    turns: int
    last_risk_tier: RiskTier | None
    records: int


def conversations(records: Sequence[AuditRecord]) -> list[AuditConversation]:
    """Each conversation in `records`, in order of first appearance."""
    grouped = _by_conversation(records)
    out = []
    for conversation_id, own in grouped.items():
        risks = [r.risk_tier for r in own if isinstance(r, DecisionRecord)]
        out.append(AuditConversation(
            conversation_id=conversation_id,
            turns=len({r.turn for r in own
                       if not isinstance(r, ExitEventRecord | OverrideRecord)}),
            last_risk_tier=risks[-1] if risks else None,
            records=len(own),
        ))
    return out


def _by_conversation(records: Sequence[AuditRecord]) -> dict[str, list[AuditRecord]]:
    grouped: dict[str, list[AuditRecord]] = {}
    for record in records:
        grouped.setdefault(record.conversation_id, []).append(record)
    return grouped


def explain_conversation(records: Sequence[AuditRecord]) -> str:
    """A plain-text account of a conversation, turn by turn: decision, policy, actions.

    Records of several conversations are explained one after the other. Within a conversation,
    turns are in turn order and records in the order given (file order); a decision that repeats
    the one before it in the same turn is shown once. The text depends only on `records`.

    Args:
        records: audit records, as `read_audit` returns them.

    Returns:
        The explanation; a note when there are no records.
    """
    if not records:
        return "No audit records."
    return "\n\n".join(
        _explain_one(conversation_id, own)
        for conversation_id, own in _by_conversation(records).items()
    )


def _explain_one(conversation_id: str, records: list[AuditRecord]) -> str:
    turns: dict[int, list[AuditRecord]] = {}
    # Exit events and overrides belong to the conversation, not to a turn: they are listed
    # after the turns.
    exits = [r for r in records if isinstance(r, ExitEventRecord)]
    overrides = [r for r in records if isinstance(r, OverrideRecord)]
    for record in records:
        if not isinstance(record, ExitEventRecord | OverrideRecord):
            turns.setdefault(record.turn, []).append(record)
    lines = [f"Conversation {conversation_id}: {len(turns)} turn(s), {len(records)} record(s)"]
    versions: list[tuple[str, int]] = []
    for turn in sorted(turns):
        own = turns[turn]
        lines.append(f"Turn {turn} ({own[0].at})")
        shown: DecisionRecord | None = None
        for record in own:
            if isinstance(record, DecisionRecord) and not _same_decision(record, shown):
                lines.extend(_explain_decision(record, revised=shown is not None))
                shown = record
        if shown is None:
            lines.append("  Decision: (not recorded)")
        actions = [r for r in own if not isinstance(r, DecisionRecord | ShadowRecord)]
        lines.append("  Actions:" if actions else "  Actions: (none recorded)")
        lines.extend(_explain_action(r) for r in actions)
        lines.extend(_explain_shadow(r) for r in own if isinstance(r, ShadowRecord))
        for record in own:
            if isinstance(record, DecisionRecord | HandoffRecord) and (
                not versions or versions[-1][0] != record.policy_version
            ):
                versions.append((record.policy_version, turn))
    if len(versions) > 1:
        steps = " -> ".join(f"{version} (from turn {turn})" for version, turn in versions)
        lines.append(f"Policy version changed mid-conversation: {steps}")
    if exits:
        lines.append("Ended by explicit events:")
        lines.extend(_explain_exit(record) for record in exits)
    if overrides:
        lines.append("Overridden by agents:")
        lines.extend(f"  - {r.action} {r.segment} by {r.role} {r.who} at {r.at} "
                     f"(policy {r.policy_version}): {r.why}" for r in overrides)
    return "\n".join(lines)


def _explain_exit(record: ExitEventRecord) -> str:
    retired = ", ".join(record.retired) or "nothing was open"
    return (f"  - {record.segment} {record.kind} by {record.by} {record.who} at {record.at} "
            f"(policy {record.policy_version}): {record.why}; retired {retired}")


def _explain_shadow(record: ShadowRecord) -> str:
    """One line: what the shadow policy would have decided differently (never acted on)."""
    live, shadow = record.live, record.shadow

    def delta(name: str, mine: list[str], theirs: list[str]) -> str:
        changed = [f"+{x}" for x in theirs if x not in mine] + [
            f"-{x}" for x in mine if x not in theirs]
        return f"{name} {' '.join(changed)}"

    shown = {
        "handoff": f"handoff {'required' if shadow.handoff else 'not required'}",
        "risk": f"risk {live.risk_tier} -> {shadow.risk_tier}",
        "tools": ", ".join(delta(name, mine, theirs) for name, mine, theirs in (
            ("denied", live.denied_tools, shadow.denied_tools),
            ("confirm", live.confirm_tools, shadow.confirm_tools)) if set(mine) != set(theirs)),
        "segments": delta("segments", live.segments, shadow.segments),
        "need": f"need {live.need_state} -> {shadow.need_state}",
    }
    return (f"  Shadow policy {shadow.policy_version} (not acted on) would differ: "
            + "; ".join(shown[d] for d in record.differences))


def _same_decision(record: DecisionRecord, other: DecisionRecord | None) -> bool:
    if other is None:
        return False
    ignore = {"seq", "at"}
    return record.model_dump(exclude=ignore) == other.model_dump(exclude=ignore)


def _explain_decision(record: DecisionRecord, *, revised: bool) -> list[str]:
    label = "Decision (revised)" if revised else "Decision"
    lines = [
        f"  {label}: need {record.need_state} (confidence {record.need_confidence:.2f}), "
        f"risk {record.risk_tier}, policy {record.policy_version}"
        + (", FAILSAFE (restricted because a component failed)" if record.failsafe else ""),
        "    Segments:",
    ]
    for seg in record.segments:
        lines.append(f"      - {seg.id} [{seg.tier}]")
        lines.extend(f"          {reason}: {reason.sentence()}" for reason in seg.reasons)
    if not record.segments:
        lines.append("      (none)")
    policy = record.policy
    lines.append("    Policy:")
    lines.append(f"      Confirm first: {', '.join(policy.confirm_tools) or '(none)'}")
    lines.append("      Denied:" + ("" if policy.denied_tools else " (none)"))
    lines.extend(
        f"        - {tool}: {'; '.join(codes) or '(no reason recorded)'}"
        for tool, codes in policy.denied_tools.items()
    )
    lines.append(f"      Retrieval scope: {', '.join(policy.retrieval_scope) or '(none)'}")
    lines.append(f"      Directives: {', '.join(policy.directives) or '(none)'}")
    handoff = record.action.handoff
    if handoff.required:
        why = ", ".join(handoff.reasons) or "no reason recorded"
        lines.append(f"    Handoff: REQUIRED ({handoff.mode}) to queue {handoff.queue}, "
                     f"priority {handoff.priority}; because {why}")
    else:
        lines.append(f"    Handoff: {'offered' if handoff.offered else 'not required'}")
    return lines


def _explain_action(record: AuditRecord) -> str:
    if isinstance(record, ToolCallRecord):
        text = f"    - tool {record.tool}: gate {record.action} -> {record.outcome}"
        if record.reason_codes:
            text += f" ({'; '.join(record.reason_codes)})"
        if record.bound:
            text += f"; bound to the session: {', '.join(record.bound)}"
        if record.args:
            # The gate stores each argument already JSON-encoded; show those strings as they are.
            text += "; args " + ", ".join(
                f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
                for k, v in record.args.items()
            )
        if record.action == "deny" and record.outcome == "executed":
            text += "  [!] executed although the gate denied it"
        return text
    if isinstance(record, HandoffRecord):
        why = ", ".join(record.reasons) or "no reason recorded"
        return (f"    - handoff to queue {record.queue or '(none)'}, priority {record.priority}: "
                f"{record.delivery}; because {why}")
    raise AssertionError(f"not an action record: {record.type}")  # pragma: no cover


def audit_key(conversation: Conversation) -> str:
    """The conversation id audit records are keyed by (a placeholder when there is none)."""
    return conversation.id if conversation.id is not None else "(no conversation id)"


def customer_turn(conversation: Conversation) -> int:
    """The customer's turn number: how many of the messages are theirs."""
    return sum(1 for m in conversation.messages if m.role == "user")
