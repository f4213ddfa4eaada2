"""Drift between two batches of production decisions (``guardrail drift``).

A batch is a JSONL file of either kind, or a mix: lines of ``guardrail classify`` output (one
decision per conversation) or audit records written by `guardrail.audit.AuditLog`. From an
audit file each conversation counts once, by its last decision record, so the two kinds are
comparable; tool-call and handoff records are skipped. A line that is neither (not JSON, a
malformed record) is counted as bad and skipped; a classify error line (``{"id", "error"}``)
is counted apart.

The report compares the need-state mix, the risk-tier mix, the rate of each segment, the
handoff rate and the most frequent reason codes (the share of decisions carrying each code).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from guardrail.audit import DecisionRecord
from guardrail.errors import UserError
from guardrail.reasons import RiskTier

__all__ = ["Batch", "BatchDecision", "compare_batches", "print_drift", "read_batch"]

_RISKS = get_args(RiskTier)


@dataclass(frozen=True, slots=True)
class BatchDecision:
    """What one production decision says, as far as drift cares."""

    need_state: str
    risk_tier: str
    segments: frozenset[str]
    handoff: bool
    codes: frozenset[str]


@dataclass
class Batch:
    """The decisions read from one file, and how many lines were skipped."""

    file: str
    decisions: list[BatchDecision] = field(default_factory=list)
    bad_lines: int = 0
    error_lines: int = 0

    def share(self, counts: Counter[str]) -> dict[str, float]:
        """`counts` as shares of this batch's decisions."""
        total = len(self.decisions)
        return {k: v / total for k, v in counts.items()} if total else {}


def _code(reason: str) -> str:
    return reason.split("#", 1)[0]


def _from_classify(data: Mapping[str, Any]) -> BatchDecision | None:
    segments, codes = data.get("segments"), data.get("reason_codes", [])
    if (not isinstance(data.get("need_state"), str) or data.get("risk_tier") not in _RISKS
            or not isinstance(segments, list) or not all(isinstance(s, str) for s in segments)
            or not isinstance(data.get("handoff"), bool) or not isinstance(codes, list)
            or not all(isinstance(c, str) for c in codes)):
        return None
    return BatchDecision(data["need_state"], data["risk_tier"], frozenset(segments),
                    data["handoff"], frozenset(_code(c) for c in codes))


def _from_audit(record: DecisionRecord) -> BatchDecision:
    codes = {r.code for s in record.segments for r in s.reasons}
    codes.update(_code(r) for r in record.action.handoff.reasons)
    segments = frozenset(s.id for s in record.segments)
    return BatchDecision(record.need_state, record.risk_tier, segments,
                         record.action.handoff.required, frozenset(codes))


def read_batch(path: str | Path) -> Batch:
    """Read one batch file.

    Raises:
        UserError: the file cannot be read.
    """
    batch = Batch(str(path))
    conversations: dict[str, BatchDecision] = {}
    try:
        with open(path, "rb") as handle:
            lines: Iterable[bytes] = handle.readlines()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    for raw in lines:
        if not raw.strip():
            continue
        try:
            data: Any = json.loads(raw)
        except (ValueError, RecursionError):
            batch.bad_lines += 1
            continue
        if not isinstance(data, dict):
            batch.bad_lines += 1
        elif "type" in data and "v" in data:
            if data["type"] != "decision":
                continue
            try:
                record = DecisionRecord.model_validate(data)
            except ValidationError:
                batch.bad_lines += 1
                continue
            conversations.pop(record.conversation_id, None)  # keep first-seen order current
            conversations[record.conversation_id] = _from_audit(record)
        elif "error" in data and "need_state" not in data:
            batch.error_lines += 1
        else:
            decided = _from_classify(data)
            if decided is None:
                batch.bad_lines += 1
            else:
                batch.decisions.append(decided)
    batch.decisions.extend(conversations.values())
    return batch


def _rows(before: Mapping[str, float], after: Mapping[str, float],
          keys: Iterable[str]) -> dict[str, dict[str, float]]:
    out = {}
    for key in keys:
        b, a = before.get(key, 0.0), after.get(key, 0.0)
        out[key] = {"before": b, "after": a, "delta": a - b}
    return out


def compare_batches(before: Batch, after: Batch, top: int = 10) -> dict[str, Any]:
    """The drift report (the ``--json`` output) from `before` to `after`."""

    def counts(batch: Batch, attr: str) -> Counter[str]:
        counter: Counter[str] = Counter()
        for decided in batch.decisions:
            value = getattr(decided, attr)
            counter.update(value if isinstance(value, frozenset) else [value])
        return counter

    def shares(attr: str) -> tuple[dict[str, float], dict[str, float]]:
        return before.share(counts(before, attr)), after.share(counts(after, attr))

    needs = shares("need_state")
    risks = shares("risk_tier")
    segments = shares("segments")
    codes = shares("codes")
    by_use = Counter(codes[0]) + Counter(codes[1])
    top_codes = sorted(by_use, key=lambda c: (-by_use[c], c))[:top]
    was, now = (sum(d.handoff for d in b.decisions) / len(b.decisions) if b.decisions else None
                for b in (before, after))
    return {
        "before": _about(before),
        "after": _about(after),
        "need_mix": _rows(*needs, sorted(set(needs[0]) | set(needs[1]))),
        "risk_mix": _rows(*risks, _RISKS),
        "segment_rates": _rows(*segments, sorted(set(segments[0]) | set(segments[1]))),
        "handoff_rate": {"before": was, "after": now,
                         "delta": now - was if now is not None and was is not None else None},
        "top_reason_codes": _rows(*codes, top_codes),
    }


def _about(batch: Batch) -> dict[str, Any]:
    return {"file": batch.file, "decisions": len(batch.decisions), "bad_lines": batch.bad_lines,
            "error_lines": batch.error_lines}


def print_drift(report: Mapping[str, Any], console: Console | None = None) -> None:
    """Print a drift report as tables."""
    console = console or Console()
    for side in ("before", "after"):
        about = report[side]
        console.print(Text(f"{side}: {about['file']}: {about['decisions']} decisions, "
                           f"{about['bad_lines']} bad lines, {about['error_lines']} error "
                           "lines"), soft_wrap=True)
    rate = report["handoff_rate"]
    if rate["delta"] is not None:
        console.print(f"handoff rate: {rate['before']:.3f} -> {rate['after']:.3f} "
                      f"({rate['delta']:+.3f})")
    for key, title in (("need_mix", "need-state mix"), ("risk_mix", "risk-tier mix"),
                       ("segment_rates", "segment rates"),
                       ("top_reason_codes", "top reason codes")):
        table = Table(title=title, title_justify="left")
        for column in ("", "before", "after", "delta"):
            table.add_column(column, justify="left" if not column else "right")
        for name, row in report[key].items():
            table.add_row(name, f"{row['before']:.3f}", f"{row['after']:.3f}",
                          f"{row['delta']:+.3f}")
        console.print(table)
