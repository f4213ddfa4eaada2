"""Validate every labelled set in evals/ at once, and check that none leaks into another.

Checks each line is valid batch input (the same parser `guardrail classify` uses), that labels
are in the registry's vocabulary, that ids are unique across all sets, and that no conversation
text appears in two files (after folding case, spacing, zero-width and look-alike characters).
A text shared with `dev/holdout.jsonl` is an error: the holdout must stay unseen.

    python evals/tools/check_sets.py            # prints counts; exit 1 on any problem
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from guardrail import Registry
from guardrail.batch import parse_line
from guardrail.errors import UserError
from guardrail.text import Normaliser

EVALS = Path(__file__).resolve().parent.parent
HOLDOUT = "dev/holdout.jsonl"


def labelled_files() -> list[Path]:
    """Every labelled JSONL set under evals/ (the example batch is not labelled)."""
    return sorted(p for p in EVALS.glob("*/*.jsonl"))


def check(files: list[Path]) -> tuple[list[str], list[str], dict[str, Counter[str]]]:
    """(problems, warnings, counts per file). Problems: unparseable lines, unknown labels,
    repeated ids, and any text shared with the holdout. Warnings: texts shared by two tuning
    or training files (harmless, but counted twice)."""
    registry = Registry.default()
    needs = set(registry.settings.need_states)
    problems: list[str] = []
    warnings: list[str] = []
    counts: dict[str, Counter[str]] = {}
    ids: dict[str, str] = {}
    texts: dict[str, str] = {}
    for path in files:
        name = str(path.relative_to(EVALS))
        tally: Counter[str] = Counter()
        for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
            where = f"{name}:{number}"
            try:
                line_id, conversation = parse_line(raw, number)
            except UserError as exc:
                problems.append(f"{where}: {exc}")
                continue
            labels = json.loads(raw)
            need = labels.get("need_state", labels.get("expected_need_state"))
            handoff = labels.get("expected_handoff")
            if need is not None and need not in needs:
                problems.append(f"{where}: need-state {need!r} is not in the registry")
            if handoff not in (True, False, None):
                problems.append(f"{where}: expected_handoff must be true, false or null")
            if line_id is None:
                problems.append(f"{where}: no id")
            elif line_id in ids:
                problems.append(f"{where}: id {line_id!r} also in {ids[line_id]}")
            else:
                ids[line_id] = where
            text = " | ".join(
                Normaliser.fold(m.content).strip() for m in conversation.messages
            )
            key = " ".join(text.replace("'", "").split())
            other = texts.get(key)
            if other is not None and other.split(":")[0] != name:
                if HOLDOUT in (name, other.split(":")[0]):
                    problems.append(f"{where}: leak into the holdout: same text as {other}")
                else:
                    warnings.append(f"{where}: same text as {other}")
            texts.setdefault(key, where)
            tally[f"need:{need}"] += 1
            tally[f"handoff:{handoff}"] += 1
            tally["lines"] += 1
        counts[name] = tally
    return problems, warnings, counts


def main() -> int:
    problems, warnings, counts = check(labelled_files())
    for name, tally in counts.items():
        parts = ", ".join(f"{k}={v}" for k, v in sorted(tally.items()) if k != "lines")
        print(f"{name}: {tally['lines']} lines; {parts}")
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"{len(problems)} problem(s), {len(warnings)} text(s) shared by two tuning/training sets")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
