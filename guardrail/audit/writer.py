"""The audit writer: `AuditLog` appends one redacted JSON line per record, safe across threads.

Recording never breaks a turn: a disk that is full, read-only or gone makes the log count the
failure (`AuditLog.failures`), say so once per outage in the ``guardrail.audit`` logger, and
keep the record in a fallback file or, failing that, in a bounded memory backlog written out
first once the file takes writes again.

No record holds message text: evidence, explanations, tool names and arguments are redacted
again on the way in (whoever made them should already have), a handoff record keeps where the
case went, never the transcript, and an exit event keeps its ``why`` redacted. Identifiers the
caller chooses (the conversation id, the id of the agent or component that ended a segment) and
the policy version are kept verbatim: they are the keys, so they must not be personal data.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TypeAlias, TypeVar, get_args

from pydantic import JsonValue, ValidationError

from guardrail._yaml import describe
from guardrail.audit.record import (
    COHORT_FIELDS,
    AuditPolicy,
    DecisionActions,
    DecisionRecord,
    ExitEventRecord,
    HandoffRecord,
    OverrideRecord,
    ShadowRecord,
    ShadowSide,
    ToolCallRecord,
    ToolOutcome,
)
from guardrail.conversation import Context
from guardrail.decision import Decision
from guardrail.errors import UserError
from guardrail.reasons import ReasonCode
from guardrail.redact import redact

__all__ = [
    "AuditLog", "Exited", "HandedOff", "Overridden", "ShadowDifference", "audited_exit",
    "audited_override", "cohort_of", "shadow_differences", "shadow_side",
]


class HandedOff(Protocol):
    """What the audit log reads from a handoff summary (`HandoffSummary` has it): a recorder
    names only what it records, so it never imports the stage it records."""

    @property
    def conversation_id(self) -> str | None: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def priority(self) -> str: ...
    @property
    def reasons(self) -> Sequence[str]: ...
    @property
    def policy_version(self) -> str: ...


class Exited(Protocol):
    """What the audit log reads from an event that ended a critical segment (the engine's
    `ExitEvent` has it)."""

    @property
    def conversation_id(self) -> str: ...
    @property
    def segment(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def by(self) -> str: ...
    @property
    def who(self) -> str: ...
    @property
    def why(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def retired(self) -> Sequence[ReasonCode]: ...
    @property
    def policy_version(self) -> str: ...


class Overridden(Protocol):
    """What the audit log reads from an agent override (`guardrail.governance.Override` has
    it)."""

    @property
    def conversation_id(self) -> str: ...
    @property
    def segment(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def who(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def why(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def policy_version(self) -> str: ...


_log = logging.getLogger("guardrail.audit")
_E = TypeVar("_E", bound=Exited)
_O = TypeVar("_O", bound=Overridden)

_OUTCOMES: Final[frozenset[str]] = frozenset(get_args(ToolOutcome))
# Longer than anything the engine or the gate writes (they cut their own evidence shorter), so
# redacting again masks but never trims what was already there.
_TEXT_LIMIT: Final = 240
# As long as the engine lets an exit event's `why` be, so the reason is masked, never trimmed.
_WHY_LIMIT: Final = 1000


def cohort_of(context: Context | Mapping[str, Any] | None) -> dict[str, str]:
    """The cohort labels (`COHORT_FIELDS`) set in a conversation's context."""
    if context is None:
        return {}
    get = context.get if isinstance(context, Mapping) else (
        lambda name: getattr(context, name, None))
    return {name: str(value) for name in COHORT_FIELDS if (value := get(name)) not in (None, "")}


ShadowDifference: TypeAlias = Literal["handoff", "risk", "tools", "segments", "need"]
"""An aspect in which a shadow policy's decision differs from the live one (`ShadowRecord`)."""


def shadow_side(decision: Decision) -> ShadowSide:
    """What a shadow record keeps of one policy's decision (names and tiers, no text)."""
    return ShadowSide(
        policy_version=decision.policy_version, need_state=decision.need_state,
        risk_tier=decision.risk_tier, segments=decision.segment_ids(),
        handoff=decision.handoff.required, denied_tools=sorted(decision.denied_tools),
        confirm_tools=sorted(decision.confirm_tools),
    )


def shadow_differences(live: ShadowSide, shadow: ShadowSide) -> list[ShadowDifference]:
    """The aspects in which `shadow` differs from `live`, in a fixed order (empty: none).

    The one place a difference is defined: the audit log writes a record when this is not
    empty, the engine puts it on the check span, and ``guardrail shadow-report`` counts it.
    Segments are compared as sets (the order a policy lists them in is not a difference).
    """
    found: list[ShadowDifference] = []
    if live.handoff != shadow.handoff:
        found.append("handoff")
    if live.risk_tier != shadow.risk_tier:
        found.append("risk")
    if (set(live.denied_tools), set(live.confirm_tools)) != (
            set(shadow.denied_tools), set(shadow.confirm_tools)):
        found.append("tools")
    if set(live.segments) != set(shadow.segments):
        found.append("segments")
    if live.need_state != shadow.need_state:
        found.append("need")
    return found


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

    A write that fails (disk full, read-only, a folder that is a file) never raises: the record
    goes to `fallback` when one is given and writable, else into a memory backlog of `backlog`
    records (the oldest dropped first) that is written out, in order, before the next record the
    file takes. Each failed record adds one to `failures`; the first failure of an outage is
    logged (path and error, never the record), and so is the recovery.

    Args:
        path: the JSONL file.
        durable: ``fsync`` after every record, so a power loss cannot drop an acknowledged one
            (slower: one disk flush per record).
        fallback: a second JSONL file (ideally on another disk) for records `path` refused.
        backlog: how many refused records to keep in memory when no fallback takes them.

    Attributes:
        failures: records the file (`path`) could not take, and records given to `failed`.
        dropped: records lost for good: refused everywhere and pushed out of the backlog.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durable: bool = False,
        fallback: str | os.PathLike[str] | None = None,
        backlog: int = 1000,
    ) -> None:
        self.path = Path(path)
        self.durable = durable
        self.fallback = None if fallback is None else Path(fallback)
        self.failures = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._backlog: deque[bytes] = deque(maxlen=max(backlog, 0))
        self._failing = False

    def failed(self, exc: BaseException, what: str = "record") -> None:
        """Count a record that could not be made at all (the adapters call this when building
        one raised), logging the first failure of an outage."""
        with self._lock:
            self._count_failure(exc, what)

    def _count_failure(self, exc: BaseException, what: str) -> None:
        self.failures += 1
        if not self._failing:
            self._failing = True
            # The error's type and errno only: its text may quote the record.
            _log.error("audit log %s: could not write a %s (%s%s); further failures are "
                       "counted in AuditLog.failures", self.path, what, type(exc).__name__,
                       f" errno {exc.errno}" if isinstance(exc, OSError) else "")

    def decision(
        self,
        decision: Decision,
        *,
        conversation_id: str,
        turn: int,
        at: datetime | None = None,
        context: Context | Mapping[str, Any] | None = None,
    ) -> None:
        """Record the decision made for `turn` of `conversation_id`.

        Args:
            decision: the decision `Guardrail.check` returned.
            conversation_id: the conversation the turn belongs to.
            turn: the customer's turn number.
            at: when the decision was made (timezone-aware); defaults to now.
            context: the conversation's context; its cohort labels (`COHORT_FIELDS`: locale,
                channel, region, plan) are kept so reports can compare cohorts.

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
                denied_tools=decision.view()["denied_tools"],
                retrieval_scope=list(decision.retrieval_scope),
                directives=list(decision.directives),
            ),
            "action": DecisionActions(handoff=decision.handoff),
            "arm": decision.arm,
            "held_out": list(decision.held_out),
            "language": decision.language,
            "cohort": cohort_of(context),
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
        summary: HandedOff,
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

    def override(self, override: Overridden, *, turn: int = 0) -> None:
        """Record an agent override (`Guardrail.override`): the action on which segment, by
        whom, in which role, and why (redacted). Never raises, like `exit_event`: the override
        has taken effect when it reaches the log, so a failed record is counted in `failures`.

        Args:
            override: the override `Guardrail.override` returned.
            turn: the customer's turn when it was made, if known (0: between turns).
        """
        try:
            self._append(OverrideRecord, {
                "conversation_id": override.conversation_id,
                "turn": turn,
                "at": _timestamp(override.at),
                "segment": override.segment,
                "action": override.action,
                "who": override.who,
                "role": override.role,
                "why": redact(override.why, _WHY_LIMIT),
                "policy_version": override.policy_version,
            })
        except Exception as exc:  # an unusable override: counted, like a disk that refused it
            self.failed(exc, OverrideRecord.__name__)

    def exit_event(self, event: Exited, *, turn: int = 0) -> None:
        """Record an explicit event that ended a critical segment (`Guardrail.verify` /
        `Guardrail.resolve`): who, how, why and what it retired. Never raises.

        The event has already taken effect in the engine when it reaches the log, so a record
        that cannot be made or written is counted in `failures` (and kept as `_store` keeps
        any record), never raised: the caller must not read a failed audit as a failed event.

        Args:
            event: the event `Guardrail.verify` or `Guardrail.resolve` returned.
            turn: the customer's turn when it happened, if known (0: between turns).
        """
        try:
            fields = {
                "conversation_id": event.conversation_id,
                "turn": turn,
                "at": _timestamp(event.at),
                "segment": event.segment,
                "kind": event.kind,
                "by": event.by,
                "who": event.who,
                "why": redact(event.why, _WHY_LIMIT),
                "retired": [str(reason) for reason in event.retired],
                "policy_version": event.policy_version,
            }
            self._append(ExitEventRecord, fields)
        except Exception as exc:  # an unusable event: counted, like a disk that refused it
            self.failed(exc, ExitEventRecord.__name__)

    def shadow(
        self,
        live: Decision,
        shadow: Decision,
        *,
        conversation_id: str,
        turn: int,
        at: datetime | None = None,
    ) -> list[ShadowDifference]:
        """Record what a shadow (candidate) policy would have decided differently on a turn.

        Nothing is written when the two decisions agree on every aspect `shadow_differences`
        compares; only names, tiers and the policy versions are kept (no reasons, no text).

        Args:
            live: the decision the live policy made (the one acted on).
            shadow: the decision the candidate policy made on the same turn.
            conversation_id: the conversation the turn belongs to.
            turn: the customer's turn number.
            at: when the turn was decided (timezone-aware); defaults to now.

        Returns:
            The aspects that differ (empty: nothing was written).

        Raises:
            UserError: the id, turn or time is not usable.
        """
        sides = shadow_side(live), shadow_side(shadow)
        differences = shadow_differences(*sides)
        if differences:
            self._append(ShadowRecord, {
                "conversation_id": conversation_id, "turn": turn, "at": _timestamp(at),
                "differences": differences, "live": sides[0], "shadow": sides[1],
            })
        return differences

    def _append(
        self,
        model: type[DecisionRecord | ToolCallRecord | HandoffRecord | ExitEventRecord
                    | ShadowRecord | OverrideRecord],
        fields: dict[str, Any],
    ) -> None:
        try:
            record = model.model_validate({**fields, "seq": 1})
        except ValidationError as exc:
            # The input is left out of the message: it is the record's content.
            raise UserError(describe(exc, model.__name__, limit=3)) from None
        # The number is taken under the lock that orders the writes, so `seq` follows file order
        # and a record that failed validation leaves no gap.
        with self._lock:
            record = record.model_copy(update={"seq": next(self._seq)})
            self._store(record.model_dump_json().encode("utf-8") + b"\n", model.__name__)

    def _store(self, line: bytes, what: str) -> None:
        """Write `line` (the backlog first), or keep it where it can be kept; never raise."""
        try:
            while self._backlog:
                _write(self.path, self._backlog[0], self.durable)
                self._backlog.popleft()
            _write(self.path, line, self.durable)
        except Exception as exc:  # an audit failure must never end the customer's turn
            self._count_failure(exc, what)
            self._spool(line)
            return
        if self._failing:
            self._failing = False
            _log.warning("audit log %s: writable again after %d failed records", self.path,
                         self.failures)

    def _spool(self, line: bytes) -> None:
        if self.fallback is not None:
            try:
                _write(self.fallback, line, self.durable)
                return
            except Exception:  # the backlog below is the next place to keep it
                pass
        if len(self._backlog) == self._backlog.maxlen:  # full, or no backlog at all
            self.dropped += 1
        self._backlog.append(line)


def audited_override(audit: AuditLog | None, override: _O) -> _O:
    """`override`, written to `audit` first when there is a log (the adapters' ``override``:
    one call makes it and audits it; a failed write is counted, not raised)."""
    if audit is not None:
        audit.override(override)
    return override


def audited_exit(audit: AuditLog | None, event: _E) -> _E:
    """`event`, written to `audit` first when there is a log (the adapters' `verify` and
    `resolve`: one call ends the segment and audits it; a failed write is counted, not raised)."""
    if audit is not None:
        audit.exit_event(event)
    return event


def _write(path: Path, line: bytes, durable: bool) -> None:
    """Append `line` to `path` in one write (its folders made on first use)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o600)
    try:
        view = memoryview(line)
        while view:  # a regular file takes it in one write unless the disk is full
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
