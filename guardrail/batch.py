"""The batch line format of `guardrail classify` (other tools depend on it: keep it stable).

Input, one JSON object a line::

    {"id": "c1", "messages": [{"role": "user", "content": "..."}],
     "context": {...}, "signals": {...}}

Labelled data may carry ``need_state`` (the training label) and extra top-level keys starting
with ``expected_``, ``source_`` or ``meta``; they are ignored. Any other unknown key is an
error, so a typo never silently drops input.

Output, one JSON object a line, in input order (see `decision_line`); a bad line becomes
``{"id": ..., "error": "line N: ..."}`` and the run goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from guardrail._yaml import describe
from guardrail.conversation import Conversation
from guardrail.decision import Decision
from guardrail.engine import Guardrail
from guardrail.errors import UserError

__all__ = ["BatchResult", "classify_lines", "decision_line", "encode_line", "parse_line"]

_LABEL_PREFIXES = ("expected_", "source_", "meta")
_LABEL_KEYS = frozenset({"need_state", "handoff"})  # a labelled case (guardrail.labelled)
_MAX_ID = 256
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may escape one; UTF-8 cannot carry it
_LINE_KEYS = (
    "need_state", "need_confidence", "risk_tier", "segments", "friction", "handoff",
    "allowed_tools", "confirm_tools", "retrieval_scope", "directives", "reason_codes",
    "policy_version",
)


def parse_line(raw: bytes, number: int) -> tuple[str | None, Conversation]:
    """Parse one input line into (id, conversation).

    Raises:
        UserError: naming the line number and what is wrong.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"line {number}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an integer too long
        message = (exc.msg if isinstance(exc, json.JSONDecodeError)
                   else "nested too deeply" if isinstance(exc, RecursionError) else str(exc))
        raise UserError(f"line {number}: not valid JSON ({message})") from None
    if not isinstance(data, dict):
        raise UserError(f"line {number}: expected a JSON object, got {type(data).__name__}")
    line_id = data.get("id")
    if line_id is not None and not isinstance(line_id, str | int):
        raise UserError(f"line {number}: id must be a string")
    line_id = None if line_id is None else str(line_id)[:_MAX_ID]
    if line_id is not None and _SURROGATE.search(line_id):
        raise UserError(f"line {number}: id is not valid Unicode (a lone surrogate escape)")
    fields = {
        key: value
        for key, value in data.items()
        if key != "id" and key not in _LABEL_KEYS and not key.startswith(_LABEL_PREFIXES)
    }
    try:
        conversation = Conversation.model_validate({"id": line_id, **fields})
    except ValidationError as exc:
        raise UserError(f"line {number}: {describe(exc, 'conversation')}") from None
    return line_id, conversation


def decision_line(line_id: str | None, decision: Decision) -> dict[str, Any]:
    """The output object for one decision: `Decision.view` cut to the batch format (handoff
    as a bool; denials and failsafe are in `reason_codes`)."""
    view = decision.view()
    line = {"id": line_id, **{key: view[key] for key in _LINE_KEYS}}
    line["handoff"] = decision.handoff.required
    return line


@dataclass
class BatchResult:
    """Counts for one batch run."""

    lines: int = 0
    errors: int = 0
    handoffs: int = 0


def classify_lines(
    guard: Guardrail, lines: Iterable[bytes], result: BatchResult
) -> Iterator[dict[str, Any]]:
    """Classify each input line, yielding one output object per non-blank line, in order."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        result.lines += 1
        line_id: str | None = None
        try:
            line_id, conversation = parse_line(raw.rstrip(b"\r\n"), number)
            decision = guard.check(conversation)
        except UserError as exc:
            result.errors += 1
            yield {"id": line_id if line_id is not None else _salvage_id(raw), "error": str(exc)}
            continue
        except Exception as exc:  # anything else about one line must not end the batch
            result.errors += 1
            yield {"id": line_id if line_id is not None else _salvage_id(raw),
                   "error": f"line {number}: could not be classified ({type(exc).__name__})"}
            continue
        result.handoffs += decision.handoff.required
        yield decision_line(line_id, decision)


def encode_line(row: dict[str, Any]) -> str:
    """One output line: JSON as written (non-ASCII kept), or with escapes where the text holds
    something UTF-8 cannot carry (a lone surrogate the input escaped), so no row is lost."""
    text = json.dumps(row, ensure_ascii=False)
    return text if not _SURROGATE.search(text) else json.dumps(row)


def _salvage_id(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, str | int) or (isinstance(value, str) and _SURROGATE.search(value)):
        return None
    return str(value)[:_MAX_ID]
