"""What a human agent receives when a conversation is handed over, and where it is delivered.

`HandoffSummary.build` is made from the decision and the conversation only (and the time, which
`now` pins for replays),
so a human agent sees why the AI stopped, what the customer said (redacted), what the AI tried,
and where and how urgently the case goes. Sinks deliver it; a sink that fails never raises into
the chatbot: `deliver` reports the failure, and the adapter records it in the agent state.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from guardrail.conversation import Context, Conversation
from guardrail.decision import Decision, Priority
from guardrail.redact import redact

__all__ = [
    "CallableSink",
    "HandoffSink",
    "HandoffSummary",
    "JsonlSink",
    "MemorySink",
    "SegmentNote",
    "deliver",
]

_log = logging.getLogger("guardrail.handoff")
_EXCERPT_MESSAGES = 6
_EXCERPT_CHARS = 300


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentNote(_Frozen):
    """One segment of the conversation and the plain-language reasons it applies."""

    id: str
    tier: str
    reasons: list[str]


class HandoffSummary(_Frozen):
    """Everything a human agent needs to take over without asking the customer again.

    Attributes:
        conversation_id: the chatbot's conversation id, if it has one.
        created_at: when the summary was made (UTC, ISO 8601).
        queue / priority / mode: where the case goes, how urgently, and how.
        reasons: the reason codes that forced or offered the handoff.
        need_state / risk_tier: what the conversation is about and how risky it is.
        segments: each segment with its reasons in one line each.
        customer: the stable context the chatbot passed (routing only).
        transcript: the last messages, personal data redacted.
        tool_calls: what the assistant tried to do, with the gate's verdicts.
        denied_tools: tools the assistant may not use now, with reason codes.
        policy_version: the registry version that made the decision.
    """

    conversation_id: str | None
    created_at: str
    queue: str | None
    priority: Priority
    mode: str
    reasons: list[str]
    need_state: str
    risk_tier: str
    segments: list[SegmentNote]
    customer: dict[str, Any] = Field(default_factory=dict)
    transcript: list[dict[str, str]] = Field(default_factory=list)
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    denied_tools: list[str] = Field(default_factory=list)
    policy_version: str

    @classmethod
    def build(
        cls,
        decision: Decision,
        conversation: Conversation,
        *,
        tool_calls: Sequence[dict[str, Any]] = (),
        now: datetime | None = None,
    ) -> HandoffSummary:
        """Summarise `conversation` for the human taking it over under `decision`."""
        excerpt = [
            {"role": m.role, "content": redact(m.content, _EXCERPT_CHARS)}
            for m in conversation.messages
            if m.role in ("user", "assistant") and m.content.strip()
        ][-_EXCERPT_MESSAGES:]
        return cls(
            conversation_id=conversation.id,
            created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
            queue=decision.handoff.queue,
            priority=decision.handoff.priority,
            mode=decision.handoff.mode,
            reasons=list(decision.handoff.reasons),
            need_state=decision.need_state,
            risk_tier=decision.risk_tier,
            segments=[
                SegmentNote(id=s.id, tier=s.tier, reasons=[r.sentence() for r in s.reasons])
                for s in decision.segments
            ],
            customer=_customer(conversation.context),
            transcript=excerpt,
            tool_calls=list(tool_calls),
            denied_tools=[
                f"{t.tool} ({', '.join(r.code for r in t.reasons[:2])})"
                for t in decision.denied_tools
            ],
            policy_version=decision.policy_version,
        )

    def to_markdown(self) -> str:
        """The summary as Markdown for a human agent's screen."""
        lines = [
            f"## Handoff to {self.queue or 'support'} ({self.priority} priority)",
            "",
            f"- **Need:** {self.need_state} · **Risk:** {self.risk_tier} · **Mode:** {self.mode}",
            f"- **Why:** {', '.join(self.reasons) or 'not stated'}",
        ]
        if self.customer:
            who = ", ".join(f"{k}={v}" for k, v in self.customer.items())
            lines.append(f"- **Customer:** {who}")
        lines += ["", "### Segments"]
        for seg in self.segments:
            lines.append(f"- **{seg.id}** ({seg.tier})")
            lines.extend(f"  - {reason}" for reason in seg.reasons)
        if self.tool_calls:
            lines += ["", "### What the assistant tried"]
            lines.extend(
                f"- `{c.get('tool')}`: {c.get('action')} {' '.join(c.get('reason_codes', []))}"
                for c in self.tool_calls
            )
        if self.transcript:
            lines += ["", "### Last messages (redacted)"]
            lines.extend(f"- **{m['role']}:** {m['content']}" for m in self.transcript)
        lines += ["", f"_Policy {self.policy_version}_"]
        return "\n".join(lines)


def _customer(context: Context) -> dict[str, Any]:
    fields = ("customer_id", "plan", "sla", "region", "locale", "channel", "role")
    out: dict[str, Any] = {f: getattr(context, f) for f in fields if getattr(context, f)}
    if context.preferences:
        out["preferences"] = list(context.preferences)
    return out


@runtime_checkable
class HandoffSink(Protocol):
    """Where handoff summaries go: anything with a `send(summary)` method."""

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`; raise on failure (the caller records it, never loses it)."""


class CallableSink:
    """A sink that calls `fn(summary)`."""

    def __init__(self, fn: Callable[[HandoffSummary], object]) -> None:
        self._fn = fn

    def send(self, summary: HandoffSummary) -> None:
        self._fn(summary)


class MemorySink:
    """A sink that keeps summaries in a list (`summaries`), for tests and the demo."""

    def __init__(self) -> None:
        self.summaries: list[HandoffSummary] = []
        self._lock = threading.Lock()

    def send(self, summary: HandoffSummary) -> None:
        with self._lock:
            self.summaries.append(summary)


class JsonlSink:
    """A sink that appends one JSON line per summary to a file (created with its folder)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, summary: HandoffSummary) -> None:
        line = json.dumps(summary.model_dump(mode="json"), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)


def deliver(sink: HandoffSink | Callable[[HandoffSummary], object] | None,
            summary: HandoffSummary) -> str:
    """Send `summary` to `sink` and say how it went: ``delivered``, ``no_sink`` or ``failed: ...``.

    Never raises: a broken sink must not crash the conversation the handoff is rescuing.
    """
    if sink is None:
        return "no_sink"
    try:
        if isinstance(sink, HandoffSink):
            sink.send(summary)
        else:
            sink(summary)
    except Exception as exc:
        # The type only: an exception message may quote the summary's personal data.
        _log.error("handoff sink failed for conversation %s: %s",
                   summary.conversation_id, type(exc).__name__)
        return f"failed: {type(exc).__name__}"
    return "delivered"
