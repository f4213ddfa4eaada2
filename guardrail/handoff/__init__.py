"""Handoff: the summary a human agent acts on, and the sinks that deliver it.

`summary` builds the `HandoffSummary` (never raising: a minimal one when the full one fails);
`details` pulls ids, amounts and dates out of the conversation; `sinks` holds the sink protocol,
the simple sinks, `BackgroundSink` and `deliver`/`adeliver` (background delivery, bounded wait);
`webhook` the HTTP sinks; `spool` the spool and `replay`; `narrative` the optional LLM opening
paragraph; `quote` finds the customer's own words the summary quotes; `followup` decides what
each later turn of a conversation already handed off does (status reply, update, withdrawn).
"""

from guardrail.handoff.sinks import (
    BackgroundSink,
    CallableSink,
    HandoffSink,
    HandoffUpdate,
    HandoffUpdateSink,
    JsonlSink,
    MemorySink,
    SinkLike,
    adeliver,
    adeliver_update,
    deliver,
    deliver_update,
)
from guardrail.handoff.spool import ReplayResult, SpoolingSink, handoff_key, replay
from guardrail.handoff.summary import HandoffSummary, SegmentNote
from guardrail.handoff.webhook import AsyncWebhookSink, WebhookSink

__all__ = [
    "AsyncWebhookSink",
    "BackgroundSink",
    "CallableSink",
    "HandoffSink",
    "HandoffSummary",
    "HandoffUpdate",
    "HandoffUpdateSink",
    "JsonlSink",
    "MemorySink",
    "ReplayResult",
    "SegmentNote",
    "SinkLike",
    "SpoolingSink",
    "WebhookSink",
    "adeliver",
    "adeliver_update",
    "deliver",
    "deliver_update",
    "handoff_key",
    "replay",
]
