"""The tolerant audit reader: a torn or corrupt line is reported and skipped, never fatal.

A crash mid-write or a hand edit leaves a line that cannot be read; `load_audit` returns it as an
`AuditProblem` (where and why, never the line's content) beside the records it could read.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import TypeAdapter, ValidationError

from guardrail._yaml import describe
from guardrail.audit.record import AUDIT_SCHEMA_VERSION, AuditRecord
from guardrail.errors import UserError

__all__ = ["AuditProblem", "AuditTrail", "load_audit", "read_audit"]

_RECORD: Final[TypeAdapter[AuditRecord]] = TypeAdapter(AuditRecord)
_log = logging.getLogger("guardrail.audit")


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """A line of an audit file that could not be read, and why (never the line's content)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """What `load_audit` read: the records in file order, and the lines it skipped."""

    records: list[AuditRecord]
    problems: list[AuditProblem]


def load_audit(
    path: str | os.PathLike[str], conversation_id: str | None = None
) -> AuditTrail:
    """Read an audit file, skipping and reporting the lines that cannot be read.

    Args:
        path: the JSONL file an `AuditLog` wrote.
        conversation_id: keep only this conversation's records (None: all of them).

    Returns:
        The records in file order and the problems found. Lines that are not JSON are reported
        whatever `conversation_id` is; a record of another conversation is not validated.

    Raises:
        UserError: the file does not exist or cannot be read.
    """
    file = Path(path)
    records: list[AuditRecord] = []
    problems: list[AuditProblem] = []
    try:
        with file.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                record = _parse(raw, conversation_id)
                if isinstance(record, str):
                    problems.append(AuditProblem(number, record))
                elif record is not None:
                    records.append(record)
    except FileNotFoundError:
        raise UserError(f"audit file {file} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"audit file {file} is a folder, not a file") from None
    except OSError as exc:
        raise UserError(f"cannot read audit file {file}: {exc.strerror or exc}") from None
    return AuditTrail(records, problems)


def _parse(raw: bytes, conversation_id: str | None) -> AuditRecord | str | None:
    """One line as a record, None to skip it quietly, or a string saying what is wrong."""
    if not raw.strip():
        return None
    torn = "" if raw.endswith(b"\n") else "the last line is incomplete (a write was cut short)"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return torn or "not UTF-8"
    except (ValueError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        return torn or f"not valid JSON ({detail})"
    if not isinstance(data, dict):
        return "not a JSON object"
    found = data.get("conversation_id")
    if conversation_id is not None and isinstance(found, str) and found != conversation_id:
        return None
    version = data.get("v")
    if version != AUDIT_SCHEMA_VERSION:
        shown = version if isinstance(version, int) and not isinstance(version, bool) else "?"
        return f"schema version {shown} is not supported (this guardrail reads v1)"
    try:
        return _RECORD.validate_python(data)
    except ValidationError as exc:
        # The input is left out of the message: it is the record's content.
        return describe(exc, "audit record", limit=3)


def read_audit(
    path: str | os.PathLike[str], conversation_id: str | None = None
) -> list[AuditRecord]:
    """The records of an audit file, in file order; unreadable lines are logged and skipped.

    Use `load_audit` to get the skipped lines as well.

    Args:
        path: the JSONL file an `AuditLog` wrote.
        conversation_id: keep only this conversation's records (None: all of them).

    Raises:
        UserError: the file does not exist or cannot be read.
    """
    trail = load_audit(path, conversation_id)
    for problem in trail.problems:
        _log.warning("skipped a line of audit file %s: %s", path, problem)
    return trail.records
