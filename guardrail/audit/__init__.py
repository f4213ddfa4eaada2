"""An append-only audit trail that answers "why did the AI do that?" for any turn.

Each turn leaves a chain of JSON lines keyed by conversation and turn: the **decision** (segments
and their reasons, the policy they produced, the handoff it required), each **tool call** the gate
checked (its action and what then happened) and the **handoff** (where it went and whether it
arrived), every line stamped with the policy version or tied to the decision that carries it::

    log = AuditLog("var/audit.jsonl")
    decision = guard.check(conversation)
    log.decision(decision, conversation_id="c-42", turn=3)
    check = check_tool_call(guard.registry, decision, "issue_refund", args, customer_id)
    log.tool_call(check.as_record(), conversation_id="c-42", turn=3, outcome="denied")
    log.handoff(summary, delivery=deliver(sink, summary), turn=3)

    print(explain_conversation(read_audit("var/audit.jsonl", "c-42")))

No record holds message text: evidence, explanations, tool names and arguments are redacted
again on the way in (whoever made them should already have), and a handoff record keeps where
the case went, never the transcript. Identifiers the caller chooses (the conversation id) and the
policy version are kept verbatim: they are the keys, so they must not be personal data.

Reading is tolerant: a torn or corrupt line (a crash mid-write, a hand edit) is reported as an
`AuditProblem` and skipped, never fatal.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

from guardrail.conversation import Conversation
from guardrail.decision import Decision, Handoff, Priority, SegmentAssignment
from guardrail.errors import UserError
from guardrail.gate import CallAction
from guardrail.handoff.summary import HandoffSummary
from guardrail.reasons import ReasonCode, RiskTier
from guardrail.redact import redact

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
    "HandoffRecord",
    "ToolCallRecord",
    "ToolOutcome",
    "audit_key",
    "conversations",
    "customer_turn",
    "explain_conversation",
    "load_audit",
    "read_audit",
]

AUDIT_SCHEMA_VERSION: Final = 1
"""The ``v`` of every record this module writes, and the only one it reads."""

ToolOutcome = Literal["executed", "denied", "declined", "failed", "not_run"]
"""What happened to a gated tool call: it ran, the gate denied it, the customer declined the
confirmation, it ran and failed, or it never ran for another reason (the loop stopped first)."""

_OUTCOMES: Final[frozenset[str]] = frozenset(get_args(ToolOutcome))
# Longer than anything the engine or the gate writes (they cut their own evidence shorter), so
# redacting again masks but never trims what was already there.
_TEXT_LIMIT: Final = 240
_log = logging.getLogger("guardrail.audit")


# -- the records -----------------------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = AUDIT_SCHEMA_VERSION
    type: str
    seq: int = Field(ge=1, description="Order of writing within one AuditLog instance.")
    conversation_id: str = Field(min_length=1)
    turn: int = Field(ge=0, description="The customer's turn number.")
    at: str = Field(description="When the record was made: UTC, ISO 8601.")


class AuditPolicy(BaseModel):
    """What the decision let the agent do.

    Attributes:
        allowed_tools: tools the agent may call without asking.
        confirm_tools: tools that need the customer's explicit confirmation first.
        denied_tools: each denied tool with its reasons as ``code#rule_id``.
        retrieval_scope: document scopes retrieval may draw from.
        directives: behaviour directive ids.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_tools: list[str]
    confirm_tools: list[str]
    denied_tools: dict[str, list[str]]
    retrieval_scope: list[str]
    directives: list[str]


class DecisionActions(BaseModel):
    """What the decision set in motion: whether a human takes over, and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    handoff: Handoff


class DecisionRecord(_Record):
    """The decision for one turn: segment -> policy -> action, with the policy version.

    Segment reasons keep their redacted evidence and one plain sentence each.
    """

    type: Literal["decision"] = "decision"
    policy_version: str
    need_state: str
    need_confidence: float = Field(ge=0.0, le=1.0)
    risk_tier: RiskTier
    failsafe: bool
    segments: list[SegmentAssignment]
    policy: AuditPolicy
    action: DecisionActions


class ToolCallRecord(_Record):
    """One tool call as the gate judged it (`action`) and what then happened (`outcome`)."""

    type: Literal["tool_call"] = "tool_call"
    tool: str
    action: CallAction
    reason_codes: list[str] = Field(default_factory=list)
    bound: list[str] = Field(default_factory=list)
    args: dict[str, JsonValue] = Field(default_factory=dict)
    outcome: ToolOutcome


class HandoffRecord(_Record):
    """A handoff to a human: where it went, why, and whether it arrived (never the transcript)."""

    type: Literal["handoff"] = "handoff"
    queue: str | None
    priority: Priority
    reasons: list[str]
    delivery: str = Field(description='"delivered", "no_sink" or "failed: <error type>".')
    policy_version: str


AuditRecord: TypeAlias = Annotated[
    DecisionRecord | ToolCallRecord | HandoffRecord, Field(discriminator="type")
]
"""Any audit record; the ``type`` field says which."""

_RECORD: Final[TypeAdapter[AuditRecord]] = TypeAdapter(AuditRecord)


# -- writing ---------------------------------------------------------------------------------------


def _timestamp(at: datetime | None) -> str:
    if at is None:
        at = datetime.now(UTC)
    elif at.tzinfo is None:
        raise UserError("audit times must be timezone-aware (a naive datetime is ambiguous)")
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _reason(reason: ReasonCode) -> ReasonCode:
    return reason.model_copy(update={
        "evidence": redact(reason.evidence, _TEXT_LIMIT),
        "explanation": redact(reason.explanation, _TEXT_LIMIT),
    })


def _scrub(value: object) -> JsonValue:
    """`value` as JSON with every string (and any number that reads as personal data) redacted."""
    if isinstance(value, str):
        return redact(value, _TEXT_LIMIT)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        text = str(value)
        masked = redact(text, _TEXT_LIMIT)  # a card number sent as an int
        return value if masked == text else masked
    if isinstance(value, Mapping):
        return {redact(str(k), _TEXT_LIMIT): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    return redact(str(value), _TEXT_LIMIT)


def _strings(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise UserError(f"tool call record: {name!r} must be a list of strings")
    return [redact(str(item), _TEXT_LIMIT) for item in value]


class AuditLog:
    """Appends audit records to a JSONL file, one line per record, safe across threads.

    Each record is written with a single ``write`` to a file opened for appending, under a lock,
    so concurrent writers never interleave partial lines (processes appending to the same local
    file do not either: the operating system appends each write whole). The file and its folders
    are created on first use, readable by their owner only.

    Args:
        path: the JSONL file.
        durable: ``fsync`` after every record, so a power loss cannot drop an acknowledged one
            (slower: one disk flush per record).

    Raises:
        OSError: from any method, when the file cannot be written.
    """

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = False) -> None:
        self.path = Path(path)
        self.durable = durable
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    def decision(
        self, decision: Decision, *, conversation_id: str, turn: int, at: datetime | None = None
    ) -> None:
        """Record the decision made for `turn` of `conversation_id`.

        Args:
            decision: the decision `Guardrail.check` returned.
            conversation_id: the conversation the turn belongs to.
            turn: the customer's turn number.
            at: when the decision was made (timezone-aware); defaults to now.

        Raises:
            UserError: the id, turn or time is not usable.
        """
        fields = {
            "conversation_id": conversation_id,
            "turn": turn,
            "at": _timestamp(at),
            "policy_version": decision.policy_version,
            "need_state": decision.need_state,
            "need_confidence": decision.need_confidence,
            "risk_tier": decision.risk_tier,
            "failsafe": decision.failsafe,
            "segments": [
                seg.model_copy(update={"reasons": [_reason(r) for r in seg.reasons]})
                for seg in decision.segments
            ],
            "policy": AuditPolicy(
                allowed_tools=decision.allowed_tools,
                confirm_tools=decision.confirm_tools,
                denied_tools={t.tool: [str(r) for r in t.reasons] for t in decision.denied_tools},
                retrieval_scope=list(decision.retrieval_scope),
                directives=list(decision.directives),
            ),
            "action": DecisionActions(handoff=decision.handoff),
        }
        self._append(DecisionRecord, fields)

    def tool_call(
        self,
        record: Mapping[str, Any],
        *,
        conversation_id: str,
        turn: int,
        outcome: ToolOutcome,
        at: datetime | None = None,
    ) -> None:
        """Record a tool call the gate checked, and what happened to it.

        Only the gate's fields are kept (``tool``, ``action``, ``reason_codes``, ``bound``,
        ``args``); anything else in `record` is dropped, and every string is redacted again.

        Args:
            record: the gate's record of the call (`CallCheck.as_record()`).
            conversation_id: the conversation the call belongs to.
            turn: the customer's turn number.
            outcome: ``executed``, ``denied``, ``declined``, ``failed`` or ``not_run``.
            at: when the call was settled (timezone-aware); defaults to now.

        Raises:
            UserError: an unknown outcome, or a record without a tool name or a gate action.
        """
        if outcome not in _OUTCOMES:
            raise UserError(
                f"unknown tool-call outcome {outcome!r}; expected one of {sorted(_OUTCOMES)}"
            )
        if not isinstance(record.get("tool"), str) or record.get("action") is None:
            raise UserError("tool call record needs a 'tool' name and the gate's 'action'")
        args = record.get("args") or {}
        if not isinstance(args, Mapping):
            raise UserError("tool call record: 'args' must be a mapping")
        fields = {
            "conversation_id": conversation_id,
            "turn": turn,
            "at": _timestamp(at),
            "tool": redact(record["tool"], _TEXT_LIMIT),
            "action": record["action"],
            "reason_codes": _strings(record.get("reason_codes"), "reason_codes"),
            "bound": _strings(record.get("bound"), "bound"),
            "args": {redact(str(k), _TEXT_LIMIT): _scrub(v) for k, v in args.items()},
            "outcome": outcome,
        }
        self._append(ToolCallRecord, fields)

    def handoff(
        self,
        summary: HandoffSummary,
        *,
        delivery: str,
        turn: int,
        at: datetime | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Record a handoff and how its delivery went; the transcript is not recorded.

        Args:
            summary: the summary sent to the human agent.
            delivery: what `guardrail.handoff.deliver` returned.
            turn: the customer's turn number.
            at: when the handoff was made (timezone-aware); defaults to now.
            conversation_id: the conversation, when the summary does not carry its id.

        Raises:
            UserError: neither the summary nor the caller gives a conversation id.
        """
        conversation = conversation_id or summary.conversation_id
        if not conversation:
            raise UserError("a handoff record needs a conversation id (the summary has none)")
        fields = {
            "conversation_id": conversation,
            "turn": turn,
            "at": _timestamp(at),
            "queue": summary.queue,
            "priority": summary.priority,
            "reasons": list(summary.reasons),
            "delivery": redact(delivery, _TEXT_LIMIT),
            "policy_version": summary.policy_version,
        }
        self._append(HandoffRecord, fields)

    def _append(self, model: type[_Record], fields: dict[str, Any]) -> None:
        try:
            record = model.model_validate({**fields, "seq": 1})
        except ValidationError as exc:
            raise UserError(f"invalid {model.__name__}: {_problem(exc)}") from None
        # The number is taken under the lock that orders the writes, so `seq` follows file order
        # and a record that failed validation leaves no gap.
        with self._lock:
            record = record.model_copy(update={"seq": next(self._seq)})
            self._write(record.model_dump_json().encode("utf-8") + b"\n")

    def _write(self, line: bytes) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o600)
        try:
            view = memoryview(line)
            while view:  # a regular file takes it in one write unless the disk is full
                view = view[os.write(fd, view):]
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """A line of an audit file that could not be read, and why (never the line's content)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """What `load_audit` read: the records in file order, and the lines it skipped."""

    records: list[AuditRecord]
    problems: list[AuditProblem]


def _problem(exc: ValidationError) -> str:
    # The input is left out: it is the record's content.
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)[:3]
    )


def load_audit(
    path: str | os.PathLike[str], conversation_id: str | None = None
) -> AuditTrail:
    """Read an audit file, skipping and reporting the lines that cannot be read.

    Args:
        path: the JSONL file an `AuditLog` wrote.
        conversation_id: keep only this conversation's records (None: all of them).

    Returns:
        The records in file order and the problems found. Lines that are not JSON are reported
        whatever `conversation_id` is; a record of another conversation is not validated.

    Raises:
        UserError: the file does not exist or cannot be read.
    """
    file = Path(path)
    records: list[AuditRecord] = []
    problems: list[AuditProblem] = []
    try:
        with file.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                record = _parse(raw, conversation_id)
                if isinstance(record, str):
                    problems.append(AuditProblem(number, record))
                elif record is not None:
                    records.append(record)
    except FileNotFoundError:
        raise UserError(f"audit file {file} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"audit file {file} is a folder, not a file") from None
    except OSError as exc:
        raise UserError(f"cannot read audit file {file}: {exc.strerror or exc}") from None
    return AuditTrail(records, problems)


def _parse(raw: bytes, conversation_id: str | None) -> AuditRecord | str | None:
    """One line as a record, None to skip it quietly, or a string saying what is wrong."""
    if not raw.strip():
        return None
    torn = "" if raw.endswith(b"\n") else "the last line is incomplete (a write was cut short)"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return torn or "not UTF-8"
    except (ValueError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        return torn or f"not valid JSON ({detail})"
    if not isinstance(data, dict):
        return "not a JSON object"
    found = data.get("conversation_id")
    if conversation_id is not None and isinstance(found, str) and found != conversation_id:
        return None
    version = data.get("v")
    if version != AUDIT_SCHEMA_VERSION:
        shown = version if isinstance(version, int) and not isinstance(version, bool) else "?"
        return f"schema version {shown} is not supported (this guardrail reads v1)"
    try:
        return _RECORD.validate_python(data)
    except ValidationError as exc:
        return f"not a valid audit record ({_problem(exc)})"


def read_audit(
    path: str | os.PathLike[str], conversation_id: str | None = None
) -> list[AuditRecord]:
    """The records of an audit file, in file order; unreadable lines are logged and skipped.

    Use `load_audit` to get the skipped lines as well.

    Args:
        path: the JSONL file an `AuditLog` wrote.
        conversation_id: keep only this conversation's records (None: all of them).

    Raises:
        UserError: the file does not exist or cannot be read.
    """
    trail = load_audit(path, conversation_id)
    for problem in trail.problems:
        _log.warning("skipped a line of audit file %s: %s", path, problem)
    return trail.records


# -- explaining ------------------------------------------------------------------------------------


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
            turns=len({r.turn for r in own}),
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
    for record in records:
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
        actions = [r for r in own if not isinstance(r, DecisionRecord)]
        lines.append("  Actions:" if actions else "  Actions: (none recorded)")
        lines.extend(_explain_action(r) for r in actions)
        for record in own:
            if isinstance(record, DecisionRecord | HandoffRecord) and (
                not versions or versions[-1][0] != record.policy_version
            ):
                versions.append((record.policy_version, turn))
    if len(versions) > 1:
        steps = " -> ".join(f"{version} (from turn {turn})" for version, turn in versions)
        lines.append(f"Policy version changed mid-conversation: {steps}")
    return "\n".join(lines)


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
