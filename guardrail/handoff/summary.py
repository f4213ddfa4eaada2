"""What a human agent receives when a conversation is handed over.

`HandoffSummary.build` is made from the decision and the conversation only (and the time, which
`now` pins for replays), so a human agent sees why the AI stopped, what the customer said
(redacted), what the AI tried, and where and how urgently the case goes. Sinks
(`guardrail.handoff.sinks`) deliver it; a sink that fails never raises into the chatbot:
`deliver` reports the failure, and the adapter records it in the agent state.

The handoff path never raises (DESIGN principle 2): the customer asking for a human is the one
moment a crash would hurt most, and a crash caused by the conversation's text would recur on
every later turn. So `build` turns any failure into `HandoffSummary.minimal` (reasons, queue,
priority and a redacted excerpt, plus the ``failsafe.summary_error`` reason), and `to_markdown`
falls back to a plain rendering of the same fields.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from guardrail._base import FrozenModel
from guardrail.conversation import Context, Conversation
from guardrail.decision import UNDETERMINED_LANGUAGE, Decision, Priority
from guardrail.governance.overrides import OVERRIDE_CODE
from guardrail.handoff.details import Details, extract_details
from guardrail.handoff.quote import quote
from guardrail.prompts import HandoffTexts, Prompts
from guardrail.redact import redact

__all__ = ["SUMMARY_ERROR", "HandoffSummary", "SegmentNote"]

SUMMARY_ERROR = "failsafe.summary_error"
"""The reason code a minimal summary carries: the full one could not be built."""

_log = logging.getLogger("guardrail.handoff")
_SUMMARY_ERROR_REASON = f"{SUMMARY_ERROR}#handoff.summary"
# What stands in for a message the redactor failed on: never the raw text.
_UNREDACTABLE = "[redaction failed]"
_EXCERPT_MESSAGES = 6
_EXCERPT_CHARS = 300
_GUIDED_STEPS = 3
_PREFERENCE_CHARS = 120
_QUOTE_CHARS = 120
# Evidence read from a message as typed ("message[3]", or its words rejoined): quotable. Decoded
# payloads and remembered findings are not what the customer typed there.
_QUOTABLE = re.compile(r"message\[(\d+)\](?::rejoined)?")
# How much of the agent overrides a summary shows.
_OVERRIDE_CHARS = 300
_OVERRIDES_SHOWN = 10
# Where a summary names no queue: never a made-up one.
_NO_QUEUE = "—"


class SegmentNote(FrozenModel):
    """One segment of the conversation and the plain-language reasons it applies."""

    id: str
    tier: str
    reasons: list[str]


class HandoffSummary(FrozenModel):
    """Everything a human agent needs to take over without asking the customer again.

    Attributes:
        conversation_id: the chatbot's conversation id, if it has one.
        created_at: when the summary was made (UTC, ISO 8601).
        queue / priority / mode / sla: where the case goes, how urgently, how, and the
            customer's SLA from the stable context.
        reasons: the reason codes that forced or offered the handoff.
        goal: what the customer is trying to do, in one sentence.
        at_stake: what is at stake, in one or two sentences.
        need_state / risk_tier: what the conversation is about and how risky it is.
        segments: each segment with its reasons in one line each.
        tried: what the customer (and the assistant) already tried: articles read, guided
            steps and their results, earlier contacts and reopened tickets, tool calls.
        details: the structured details the conversation already holds (references, amounts,
            dates, card last 4 digits only, errors, devices, integrations).
        missing: what the agent still has to ask.
        customer: the stable context the chatbot passed (routing only) and preferences.
        narrative: a short paragraph for the agent; `narrative_source` says whether an LLM
            wrote it or the deterministic template did (the structured fields never depend on
            an LLM).
        transcript: the last messages, personal data redacted.
        tool_calls: what the assistant tried to do, with the gate's verdicts.
        denied_tools: tools the assistant may not use now, with reason codes.
        overrides: the human agents' overrides acting on the conversation (action, segment,
            who, role and the redacted why), from the decision's ``override.agent`` reasons,
            so whoever takes over sees what a colleague already decided.
        policy_version: the registry version that made the decision.
        language: the language the customer wrote in (BCP 47; ``und`` when undetermined), so
            the queue can pick an agent who speaks it.
    """

    conversation_id: str | None
    created_at: str
    queue: str | None
    priority: Priority
    mode: str
    sla: str | None = None
    reasons: list[str]
    goal: str = ""
    at_stake: str = ""
    need_state: str
    risk_tier: str
    segments: list[SegmentNote]
    tried: list[str] = Field(default_factory=list)
    details: Details = Field(default_factory=Details)
    missing: list[str] = Field(default_factory=list)
    customer: dict[str, Any] = Field(default_factory=dict)
    narrative: str = ""
    narrative_source: Literal["deterministic", "llm"] = "deterministic"
    transcript: list[dict[str, str]] = Field(default_factory=list)
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    denied_tools: list[str] = Field(default_factory=list)
    overrides: list[str] = Field(default_factory=list)
    policy_version: str
    language: str = UNDETERMINED_LANGUAGE

    @classmethod
    def build(
        cls,
        decision: Decision,
        conversation: Conversation,
        *,
        tool_calls: Sequence[dict[str, Any]] = (),
        now: datetime | None = None,
        prompts: Prompts | None = None,
        default_queue: str | None = None,
    ) -> HandoffSummary:
        """Summarise `conversation` for the human taking it over under `decision`.

        Deterministic: the same decision, conversation, tool calls and `now` give the same
        summary. Texts come from ``prompts/handoff.yaml``. Never raises: if any part fails
        (extraction, texts, redaction, a field's schema, JSON serialisation), the result is
        `minimal` instead, so the handoff still reaches a human.

        The goal quotes the customer's own words (``they said: "..."``): the stretch of the
        message the deciding rule matched, as typed (amounts, case and punctuation kept) and
        redacted like the transcript; no quote when that stretch cannot be found.

        `default_queue` (the registry's ``settings.default_queue``) is the queue of a
        decision that names none; a decision that requires a handoff always names one.
        """
        try:
            summary = cls._build(decision, conversation, tool_calls, now, prompts, default_queue)
            # Every sink, the spool and the audit log serialise it: fail here, not there.
            summary.model_dump_json()
        except Exception as exc:
            return cls.minimal(decision, conversation, exc, now=now, default_queue=default_queue)
        return summary

    @classmethod
    def minimal(
        cls,
        decision: Decision,
        conversation: Conversation,
        error: BaseException | str | None = None,
        *,
        now: datetime | None = None,
        default_queue: str | None = None,
    ) -> HandoffSummary:
        """The summary that is always possible: reasons, routing and a redacted excerpt.

        What `build` gives when the full summary fails. It keeps what routes the case and
        what the human reads first (the decision's reasons plus ``failsafe.summary_error``,
        queue, priority, mode, need, risk, language, policy version, the last messages
        redacted) and nothing extracted from them. Never raises; `error` is logged by type
        only (its message may quote the conversation).
        """
        try:
            _log.error("handoff summary for conversation %s fell back to the minimal one (%s)",
                       conversation.id, _error_name(error))
            handoff = decision.handoff
            return cls(
                conversation_id=conversation.id,
                created_at=_stamp(now),
                queue=handoff.queue or default_queue,
                priority=handoff.priority,
                mode=handoff.mode,
                reasons=[*handoff.reasons, _SUMMARY_ERROR_REASON],
                goal=_minimal_text("goals"),
                at_stake=_minimal_text("stakes"),
                need_state=decision.need_state,
                risk_tier=decision.risk_tier,
                language=decision.language,
                segments=[],
                missing=_minimal_missing(decision.need_state),
                transcript=_excerpt(conversation),
                policy_version=decision.policy_version,
            )
        except Exception:  # a decision or conversation that is not what its type says
            _log.exception("minimal handoff summary failed; sending the bare one")
            return cls(conversation_id=None, created_at=_stamp(None), queue=default_queue,
                       priority="urgent", mode="immediate", reasons=[_SUMMARY_ERROR_REASON],
                       need_state="other", risk_tier="high", segments=[], policy_version="")

    @classmethod
    def _build(
        cls,
        decision: Decision,
        conversation: Conversation,
        tool_calls: Sequence[dict[str, Any]],
        now: datetime | None,
        prompts: Prompts | None,
        default_queue: str | None,
    ) -> HandoffSummary:
        texts = (prompts or Prompts.default()).handoff
        queue = decision.handoff.queue or default_queue
        excerpt = _excerpt(conversation)
        details = extract_details(conversation.messages)
        # What the customer is trying to do: the riskiest substantive segment first; "talk to a
        # person" and an unclear need only when nothing says more.
        generic = ("human_requested", "need_unclear", "other")
        keys = [k for k in (*decision.segment_ids(), decision.need_state) if k not in generic]
        keys += [k for k in generic if k in decision.segment_ids() or k == decision.need_state]
        goal = texts.pick(texts.goals, keys).format(
            said=_said(decision, conversation, keys, texts))
        stakes = [texts.pick(texts.stakes, keys)]
        context = conversation.context
        for seg in decision.segments:
            if seg.id in texts.context_stakes:
                stakes.append(texts.context_stakes[seg.id].format(
                    renewal_date=context.renewal_date or "soon"))
        tried = _tried(decision, conversation, tool_calls, texts)
        missing = details.missing(decision.need_state)
        narrative = texts.narrative.format(
            goal=goal, stakes=" ".join(stakes), queue=queue or _NO_QUEUE,
            priority=decision.handoff.priority, sla=f", SLA {context.sla}" if context.sla else "",
            tried_count=len(tried), missing_count=len(missing),
        )
        return cls(
            conversation_id=conversation.id,
            created_at=_stamp(now),
            queue=queue,
            priority=decision.handoff.priority,
            mode=decision.handoff.mode,
            sla=context.sla,
            reasons=list(decision.handoff.reasons),
            goal=goal,
            at_stake=" ".join(s for s in stakes if s),
            need_state=decision.need_state,
            risk_tier=decision.risk_tier,
            language=decision.language,
            segments=[
                SegmentNote(id=s.id, tier=s.tier, reasons=[r.sentence() for r in s.reasons])
                for s in decision.segments
            ],
            tried=tried,
            details=details,
            missing=missing,
            customer=_customer(context),
            narrative=" ".join(narrative.split()),
            transcript=excerpt,
            tool_calls=list(tool_calls),
            denied_tools=[
                f"{t.tool} ({', '.join(r.code for r in t.reasons[:2])})"
                for t in decision.denials
            ],
            overrides=_overrides(decision),
            policy_version=decision.policy_version,
        )

    def with_narrative(self, text: str) -> HandoffSummary:
        """A copy whose narrative an LLM wrote (the structured fields stay as they are)."""
        return self.model_copy(update={"narrative": text, "narrative_source": "llm"})

    def to_markdown(self) -> str:
        """The summary as Markdown for a human agent's screen.

        Never raises: a summary whose fields do not render (one read back from a spool or a
        webhook body, say) is rendered plainly from the fields that routing needs.
        """
        try:
            return self._markdown()
        except Exception as exc:
            _log.error("handoff summary for conversation %s rendered plainly (%s)",
                       self.conversation_id, type(exc).__name__)
            return _plain_markdown(self)

    def _markdown(self) -> str:
        sla = f", SLA {self.sla}" if self.sla else ""
        to = f" to {self.queue}" if self.queue else ""
        lines = [
            f"## Handoff{to} ({self.priority} priority{sla})",
            "",
            f"**Goal:** {self.goal}",
            "",
            f"**At stake:** {self.at_stake}",
            "",
            f"- **Need:** {self.need_state} · **Risk:** {self.risk_tier} · **Mode:** {self.mode}"
            f" · **Language:** {self.language}",
            f"- **Why:** {', '.join(self.reasons) or 'not stated'}",
        ]
        if self.customer:
            who = ", ".join(f"{k}={v}" for k, v in self.customer.items())
            lines.append(f"- **Customer:** {who}")
        if self.narrative:
            lines += ["", f"> {self.narrative}"]
        known = _detail_lines(self.details)
        lines += ["", "### Details already given"]
        lines.extend(known or ["- (none)"])
        lines += ["", "### Still to ask"]
        lines.extend([f"- {m}" for m in self.missing] or ["- (nothing)"])
        if self.tried:
            lines += ["", "### Already tried"]
            lines.extend(f"- {t}" for t in self.tried)
        lines += ["", "### Segments"]
        for seg in self.segments:
            lines.append(f"- **{seg.id}** ({seg.tier})")
            lines.extend(f"  - {reason}" for reason in seg.reasons)
        if self.overrides:
            lines += ["", "### Agent overrides"]
            lines.extend(f"- {note}" for note in self.overrides)
        if self.transcript:
            lines += ["", "### Last messages (redacted)"]
            lines.extend(f"- **{m.get('role', '?')}:** {m.get('content', '')}"
                         for m in self.transcript)
        lines += ["", f"_Policy {self.policy_version}_"]
        return "\n".join(lines)


def _overrides(decision: Decision) -> list[str]:
    """One redacted line per agent override acting on the decision (``override.agent``)."""
    seen: list[str] = []
    for reason in decision.reason_codes:
        if reason.code == OVERRIDE_CODE:
            line = _redacted(reason.explanation, _OVERRIDE_CHARS)
            if line not in seen:
                seen.append(line)
    return seen[:_OVERRIDES_SHOWN]


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def _error_name(error: BaseException | str | None) -> str:
    if isinstance(error, BaseException):
        return type(error).__name__
    return error or "unknown error"


def _redacted(text: str, limit: int) -> str:
    """`redact`, or a tag when the redactor itself fails: raw text never leaves unredacted."""
    try:
        return redact(text, limit)
    except Exception as exc:
        _log.error("redaction failed in a handoff summary (%s)", type(exc).__name__)
        return _UNREDACTABLE


def _excerpt(conversation: Conversation) -> list[dict[str, str]]:
    """The last user and assistant messages, each redacted and cut."""
    return [
        {"role": m.role, "content": _redacted(m.content, _EXCERPT_CHARS)}
        for m in conversation.messages
        if m.role in ("user", "assistant") and m.content.strip()
    ][-_EXCERPT_MESSAGES:]


def _minimal_text(table: Literal["goals", "stakes"]) -> str:
    """The minimal summary's goal or stakes from ``prompts/handoff.yaml``; "" if unavailable."""
    try:
        texts = Prompts.default().handoff
        return (texts.goals if table == "goals" else texts.stakes).get(SUMMARY_ERROR, "")
    except Exception:
        return ""


def _minimal_missing(need_state: str) -> list[str]:
    """Every question the need-state asks: nothing was extracted, so nothing is known."""
    try:
        return Details().missing(need_state)
    except Exception:
        return []


def _plain_markdown(summary: HandoffSummary) -> str:
    """The fields routing needs, each turned to text on its own; never raises."""
    lines = []
    for name in ("queue", "priority", "reasons", "goal", "need_state", "risk_tier",
                 "conversation_id", "policy_version"):
        try:
            lines.append(f"- **{name}:** {getattr(summary, name)}")
        except Exception:
            continue
    with contextlib.suppress(Exception):
        lines.extend(f"- {m}" for m in summary.transcript)
    return "\n".join(["## Handoff", "", *lines])


def _said(
    decision: Decision, conversation: Conversation, keys: Sequence[str], texts: HandoffTexts
) -> str:
    """The ``{said}`` part: the customer's words behind the evidence of the segment the goal
    was picked for, as typed and redacted (`guardrail.handoff.quote`); "" when none is found.

    The evidence itself is canonical text ("89 usd" for "89.99 USD"): quoting it would
    misquote the customer, so a reason whose words cannot be found gives no quote.
    """
    by_id = {s.id: s for s in decision.segments}
    messages = conversation.messages
    for key in keys:
        segment = by_id.get(key)
        if segment is None:
            continue
        for reason in segment.reasons:
            where = _QUOTABLE.fullmatch(reason.source)
            if not reason.evidence or where is None:
                continue
            index = int(where.group(1))
            if index >= len(messages) or messages[index].role != "user":
                continue
            try:
                said = quote(messages[index].content, reason.evidence, _QUOTE_CHARS)
            except Exception as exc:  # a quote is a nicety; the summary must still build
                _log.error("quoting the customer failed (%s)", type(exc).__name__)
                said = None
            if said:
                return texts.said.format(evidence=said)
    return ""


def _tried(
    decision: Decision,
    conversation: Conversation,
    tool_calls: Sequence[dict[str, Any]],
    texts: HandoffTexts,
) -> list[str]:
    lines = []
    signals = conversation.signals
    for name, template in texts.tried.items():
        value = getattr(signals, name, None)
        if isinstance(value, int) and value > 0:
            lines.append(template.format(value=value))
    messages = conversation.messages
    if "self_serve_failed" in decision.segment_ids() or any(
        "failed_attempts" in r for r in decision.handoff.reasons
    ):
        steps = [
            (messages[i - 1].content, messages[i].content)
            for i in range(1, len(messages))
            if messages[i].role == "user" and messages[i - 1].role == "assistant"
            and messages[i - 1].content.strip()
        ][-_GUIDED_STEPS:]
        lines.extend(
            texts.tried["guided_step"].format(step=_redacted(a, 100), reply=_redacted(u, 100))
            for a, u in steps
        )
    for call in tool_calls:
        lines.append(texts.tried["tool_call"].format(
            tool=call.get("tool", "?"), action=call.get("action", "?")))
    return lines


def _detail_lines(details: Details) -> list[str]:
    lines = []
    for ref in details.references:
        lines.append(f"- {ref.kind}: {ref.value}")
    for amount in details.amounts:
        lines.append(f"- amount: {amount.value} {amount.currency or ''}".rstrip())
    for when in details.dates:
        lines.append(f"- date: {when.value}" + (f" ({when.iso})" if when.iso else ""))
    for card in details.card_last4:
        brand = f"{card.brand} " if card.brand else ""
        lines.append(f"- payment method: {brand}{'ending ' + card.value if card.value else ''}")
    for error in details.errors:
        lines.append(f"- error: {error.value}")
    for device in details.devices:
        lines.append(f"- {device.kind}: {device.value}")
    for integration in details.integrations:
        lines.append(f"- integration: {integration.value}")
    return lines


def _customer(context: Context) -> dict[str, Any]:
    fields = ("customer_id", "plan", "sla", "region", "locale", "channel", "role")
    out: dict[str, Any] = {f: getattr(context, f) for f in fields if getattr(context, f)}
    if context.preferences:
        # Free text the chatbot passes on the customer's behalf: redacted like any message.
        out["preferences"] = [_redacted(p, _PREFERENCE_CHARS) for p in context.preferences]
    return out
