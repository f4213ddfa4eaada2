"""One labelled case: a conversation with the need-state and handoff a reviewer expects.

Every labelled set (``evals/dev*/``, ``data/train/``) is JSONL with one `LabelledCase` per line::

    {"id": "dev-0001", "messages": [{"role": "user", "content": "..."}],
     "need_state": "billing", "handoff": true,
     "meta": {"domain": "saas", "style": "paraphrase", "why": "unrecognised charge"}}

A label of ``null`` (or no label) means "not labelled": for ``handoff`` in an evaluation set it
means reasonable policies differ, and the line is not scored for it.

`read_case` also reads the older batch format, whose labels are ``expected_need_state`` and
``expected_handoff`` beside ``source_*`` keys (the third-party Banking77 file uses it), so
`guardrail score` and `guardrail train` take either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError

from guardrail._base import FrozenModel
from guardrail._yaml import describe
from guardrail.conversation import Context, Conversation, Message, Signals
from guardrail.errors import UserError

__all__ = ["CaseMeta", "Domain", "LabelledCase", "case_schema", "read_case", "read_cases"]

Domain = Literal[
    "banking",
    "car_rental",
    "crypto",
    "delivery",
    "developer_api",
    "ecommerce",
    "education",
    "fintech",
    "fitness",
    "food_delivery",
    "gaming",
    "general",
    "government",
    "healthcare",
    "hr_payroll",
    "insurance",
    "logistics",
    "property",
    "ride_hailing",
    "saas",
    "telecom",
    "travel",
    "utilities",
]
"""The business a case is set in: one spelling each (``ecommerce``, never ``e-commerce``)."""

# Keys of the older batch format: labels carried an ``expected_`` prefix, provenance ``source_``.
_LEGACY_PREFIXES = ("expected_", "source_")
# The older format ignored every ``meta*`` key; reading it the same way keeps its scores.
_LEGACY_IGNORED = "meta"
# Keys an older-format line may carry that are not fields: ``domain`` is the public sets'
# provenance (their own names, not the `Domain` list), ignored as ``source_*`` is.
_LEGACY_DROPPED = ("need_state", "domain")
_MAX_ID = 256


class CaseMeta(FrozenModel):
    """What a reader needs to judge a case; never read by the scorer.

    Attributes:
        domain: the business the conversation is set in.
        style: how the case is hard (``paraphrase``, ``negation``, ``multi_turn``,
            ``non_native/hindi``...); each set documents its styles in its README.
        why: a few words on what the case tests.
        lang: the language the messages are written in (BCP 47), when recorded.
    """

    domain: Domain | None = None
    style: str | None = Field(default=None, max_length=64)
    why: str | None = Field(default=None, max_length=500)
    lang: str | None = Field(default=None, max_length=35)


class LabelledCase(FrozenModel):
    """One line of a labelled set.

    Attributes:
        id: stable across edits of the set; the training split is a hash of it.
        messages: the conversation, ending with the turn to decide.
        need_state: the expected need-state (a registry name), or None if not labelled.
        handoff: whether a human must be brought in, or None if not labelled.
        context: the stable context, when the case depends on it.
        signals: the behavioural signals, when the case depends on them.
        at: the time the conversation is set at, when the case depends on it.
        meta: provenance for readers.
    """

    id: str = Field(min_length=1, max_length=_MAX_ID)
    messages: tuple[Message, ...] = Field(min_length=1)
    need_state: str | None = None
    handoff: bool | None = Field(default=None, strict=True)
    context: Context | None = None
    signals: Signals | None = None
    at: AwareDatetime | None = None
    meta: CaseMeta = Field(default_factory=CaseMeta)

    def conversation(self) -> Conversation:
        """The conversation to check, without the labels (and without an id)."""
        fields: dict[str, Any] = {"messages": list(self.messages)}
        for name in ("context", "signals", "at"):
            value = getattr(self, name)
            if value is not None:
                fields[name] = value
        return Conversation(**fields)

    def user_text(self) -> str:
        """The customer's messages joined, what the need-state model trains on."""
        return " . ".join(m.content for m in self.messages if m.role == "user")


def _from_legacy(data: dict[str, Any], number: int) -> dict[str, Any]:
    """The older batch format's line as `LabelledCase` fields (labels renamed, extras dropped)."""
    fields = {
        key: value
        for key, value in data.items()
        if not key.startswith((*_LEGACY_PREFIXES, _LEGACY_IGNORED)) and key not in _LEGACY_DROPPED
    }
    line_id = data.get("id")
    # Batch ids may be numbers and were cut to the batch limit; lines without one are numbered.
    fields["id"] = f"line {number}" if line_id is None else str(line_id)[:_MAX_ID]
    fields["need_state"] = data.get("expected_need_state", data.get("need_state"))
    fields["handoff"] = data.get("expected_handoff")
    return fields


def read_case(raw: bytes | str, number: int, *, legacy: bool = True) -> LabelledCase:
    """Parse one JSONL line into a `LabelledCase`.

    Args:
        raw: the line.
        number: its line number, for error messages.
        legacy: also accept the older batch format (``expected_*`` labels).

    Raises:
        UserError: naming the line number and what is wrong.
    """
    try:
        data: Any = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise UserError(f"line {number}: not valid JSON ({reason})") from None
    if not isinstance(data, dict):
        raise UserError(f"line {number}: expected a JSON object, got {type(data).__name__}")
    if legacy and any(str(key).startswith(_LEGACY_PREFIXES) for key in data):
        data = _from_legacy(data, number)
    try:
        return LabelledCase.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"line {number}: {describe(exc, 'line')}") from None


def read_cases(path: str | Path, *, legacy: bool = True) -> Iterator[LabelledCase]:
    """Every case of a JSONL file, in order (blank lines skipped).

    Raises:
        UserError: a line is not a valid case; the message names the file and the line.
    """
    name = Path(path).name
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield read_case(raw, number, legacy=legacy)
            except UserError as exc:
                raise UserError(f"{name} {exc}") from None


def case_schema() -> dict[str, Any]:
    """The JSON Schema of a `LabelledCase`, for editors (``evals/labelled-case.schema.json``)."""
    schema = LabelledCase.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
