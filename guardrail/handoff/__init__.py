"""Handoff: the summary a human agent acts on, and the sinks that deliver it.

`summary` builds the `HandoffSummary`; `details` pulls ids, amounts and dates out of the
conversation; `sinks` holds the sink protocol, the simple sinks and `deliver`/`adeliver`;
`webhook` the HTTP sinks; `spool` the spool and `replay`; `narrative` the optional LLM opening
paragraph.
"""

from guardrail.handoff.sinks import (
    CallableSink,
    HandoffSink,
    JsonlSink,
    MemorySink,
    SinkLike,
    adeliver,
    deliver,
)
from guardrail.handoff.spool import ReplayResult, SpoolingSink, handoff_key, replay
from guardrail.handoff.summary import HandoffSummary, SegmentNote
from guardrail.handoff.webhook import AsyncWebhookSink, WebhookSink

__all__ = [
    "AsyncWebhookSink",
    "CallableSink",
    "HandoffSink",
    "HandoffSummary",
    "JsonlSink",
    "MemorySink",
    "ReplayResult",
    "SegmentNote",
    "SinkLike",
    "SpoolingSink",
    "WebhookSink",
    "adeliver",
    "deliver",
    "handoff_key",
    "replay",
]
