"""Handoff: the summary a human agent acts on, and the sinks that deliver it.

`summary` builds the `HandoffSummary`; `details` pulls ids, amounts and dates out of the
conversation; `sinks` holds the webhook, the spool and replay; `narrative` the optional LLM
opening paragraph.
"""

from guardrail.handoff.summary import (
    CallableSink,
    HandoffSink,
    HandoffSummary,
    JsonlSink,
    MemorySink,
    SegmentNote,
    deliver,
)

__all__ = [
    "CallableSink",
    "HandoffSink",
    "HandoffSummary",
    "JsonlSink",
    "MemorySink",
    "SegmentNote",
    "deliver",
]
