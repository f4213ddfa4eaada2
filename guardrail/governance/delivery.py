"""Alert events out of the building: appended to a JSONL file or POSTed to a webhook.

Split from `guardrail.governance.alerts` (what fires, from the report alone) because delivery
rides on the handoff webhook's retry, timeout and idempotency machinery
(`guardrail.handoff.webhook.JsonWebhook`): it sits at the stage that may use the handoff
sinks, beside the adapters. A webhook that does not take every event raises
`AlertDeliveryError` after its retries, with the rest appended to a fallback file when one is
given: an alert is never dropped silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from guardrail.errors import AlertDeliveryError, SinkError, UserError
from guardrail.governance.alerts import alert_event
from guardrail.handoff.webhook import JsonWebhook

if TYPE_CHECKING:
    from guardrail.governance.report import GovernanceReport

__all__ = ["alert_webhook_url", "deliver_alerts"]


def alert_webhook_url(sink: str | os.PathLike[str]) -> str | None:
    """`sink` if it is an http(s) URL (the alerts are POSTed there), None if it is a path.

    Raises:
        UserError: a URL of another scheme, or without a host.
    """
    target = os.fspath(sink)
    if "://" not in target:
        return None
    scheme = target.partition("://")[0]
    # Name the scheme only: a webhook URL often carries a secret.
    if scheme.lower() not in ("http", "https"):
        raise UserError(f"alert sink {scheme}://... is not supported: give an http(s) URL or "
                        "a JSONL file path")
    try:
        host = urlsplit(target).hostname
    except ValueError:
        host = None
    if not host:
        raise UserError(f"alert sink {scheme}://... has no host")
    return target


def deliver_alerts(
    report: GovernanceReport,
    sink: str | os.PathLike[str] | JsonWebhook,
    *,
    fallback: str | os.PathLike[str] | None = None,
) -> int:
    """Send every alert of `report` to `sink` as an event; returns how many were sent.

    Args:
        report: the report whose `alerts` to send.
        sink: a JSONL file path (each event is appended as one line; the folder must exist),
            an http(s) URL (each event is POSTed as JSON with `JsonWebhook`'s default
            retries and limits) or a `JsonWebhook` of your own (other limits or headers; you
            close it).
        fallback: a JSONL file to append the events a webhook did not take to.

    Raises:
        UserError: a URL of an unsupported scheme, a fallback beside a file sink, or a file
            that cannot be written (the fallback included: the message says the events are
            lost).
        AlertDeliveryError: the webhook did not take every event (see `fallback`).
    """
    events = [alert_event(alert, report) for alert in report.alerts]
    if isinstance(sink, JsonWebhook):
        return _post(events, sink, fallback)
    url = alert_webhook_url(sink)
    if url is None and fallback is not None:
        raise UserError("an alert fallback file goes with a webhook alert sink")
    if not events:
        return 0
    if url is not None:
        with JsonWebhook(url) as webhook:
            return _post(events, webhook, fallback)
    _append(os.fspath(sink), events)
    return len(events)


def _post(events: list[dict[str, object]], webhook: JsonWebhook,
          fallback: str | os.PathLike[str] | None) -> int:
    """POST `events` in order, each under its key; on a failure, save the rest and raise."""
    sent = 0
    try:
        for event in events:
            webhook.post(event, key=str(event["key"]), what="alert event")
            sent += 1
    except SinkError as exc:
        left = events[sent:]
        what = f"{len(left)} of {len(events)} alert event(s) not delivered ({exc})"
        if fallback is None:
            raise AlertDeliveryError(f"{what}; no fallback file given", sent=sent,
                                     undelivered=len(left), fallback=None, cause=exc) from None
        try:
            _append(os.fspath(fallback), left)
        except UserError as unsaved:
            raise UserError(f"{what}, and not saved: {unsaved}") from None
        raise AlertDeliveryError(f"{what}; appended to {os.fspath(fallback)}", sent=sent,
                                 undelivered=len(left), fallback=os.fspath(fallback),
                                 cause=exc) from None
    return sent


def _append(path: str, events: list[dict[str, object]]) -> None:
    """Append `events` to the JSONL file at `path`, one line each."""
    lines = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events)
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(lines)
    except OSError as exc:
        raise UserError(f"cannot write alerts to {path}: {exc.strerror or exc}") from None
