"""Friction signals from the history store, merged with the ones the caller passes.

The store keeps events (contacts with their need-state and outcome, ticket reopens, article
views, guided-attempt results, escalations) and no message text. This module turns the events of
one customer into the same `Signals` fields a caller could pass, over the windows in the
registry's ``settings.history``, and merges the two: each count is the larger of the two, and
the source of each value is kept so a friction reason can say where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from guardrail.conversation import Signals
from guardrail.history import HistoryEvent
from guardrail.registry.schema import HistorySettings

__all__ = ["SignalSource", "history_signals", "lookback", "merge_signals"]

SignalSource = Literal["caller", "history", "caller+history"]
_COUNTS = (
    "same_intent_contacts_7d",
    "reopened_tickets_7d",
    "articles_viewed_15m",
    "failed_guided_attempts",
    "prior_escalations",
)


def lookback(windows: HistorySettings) -> timedelta:
    """How far back one lookup must read to serve every window."""
    return max(
        timedelta(days=windows.repeat_days),
        timedelta(days=windows.reopen_days),
        timedelta(minutes=windows.article_minutes),
        timedelta(hours=windows.guided_hours),
        timedelta(days=windows.escalation_days),
    )


def history_signals(
    events: Iterable[HistoryEvent],
    *,
    need_state: str,
    now: datetime,
    started: datetime,
    conversation_id: str | None,
    windows: HistorySettings,
) -> dict[str, float | None]:
    """The friction signals `events` give for a conversation that started at `started`.

    Events of this conversation itself do not count (its own contact is not a repeat).
    """
    repeat_from = now - timedelta(days=windows.repeat_days)
    reopen_from = now - timedelta(days=windows.reopen_days)
    articles_from = started - timedelta(minutes=windows.article_minutes)
    guided_from = now - timedelta(hours=windows.guided_hours)
    escalations_from = now - timedelta(days=windows.escalation_days)
    out: dict[str, float | None] = dict.fromkeys(_COUNTS, 0.0)
    last_article: datetime | None = None
    for event in events:
        if event.at > now or (
            conversation_id is not None and event.conversation_id == conversation_id
        ):
            continue
        kind = event.kind
        if kind == "contact":
            if event.at >= repeat_from and event.need_state == need_state:
                out["same_intent_contacts_7d"] = (out["same_intent_contacts_7d"] or 0) + 1
            if event.at >= escalations_from and event.outcome == "handed_off":
                out["prior_escalations"] = (out["prior_escalations"] or 0) + 1
        elif kind == "escalation" and event.at >= escalations_from:
            out["prior_escalations"] = (out["prior_escalations"] or 0) + 1
        elif kind == "reopen" and event.at >= reopen_from:
            out["reopened_tickets_7d"] = (out["reopened_tickets_7d"] or 0) + 1
        elif kind == "article_view" and event.at <= started:
            if event.at >= articles_from:
                out["articles_viewed_15m"] = (out["articles_viewed_15m"] or 0) + 1
            if last_article is None or event.at > last_article:
                last_article = event.at
        elif kind == "guided_attempt" and event.at >= guided_from and event.outcome == "failure":
            out["failed_guided_attempts"] = (out["failed_guided_attempts"] or 0) + 1
    out["minutes_since_article"] = (
        None if last_article is None else (started - last_article).total_seconds() / 60
    )
    return out


def merge_signals(
    caller: Signals, history: Mapping[str, float | None]
) -> tuple[Signals, dict[str, SignalSource]]:
    """The caller's signals raised by the history's, and where each non-zero value came from."""
    update: dict[str, float | int] = {}
    sources: dict[str, SignalSource] = {}
    for name, value in history.items():
        if value is None:
            continue
        given = getattr(caller, name)
        if name == "minutes_since_article":  # the most recent view wins
            if given is None or value < given:
                update[name] = value
                sources[name] = "history"
            continue
        count = int(value)
        if count <= 0:
            continue
        if count > given:
            update[name] = count
            sources[name] = "history"
        elif count == given:
            sources[name] = "caller+history"
    merged = caller.model_copy(update=update) if update else caller
    for name in Signals.model_fields:
        value = getattr(merged, name)
        if value and name not in sources:
            sources[name] = "caller"
    return merged, sources
