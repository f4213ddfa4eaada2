"""The labelled sets as a whole: where they live, and the one checker that validates them all.

`check_sets` reads every set as `LabelledCase` lines and reports:

* problems (the sets are unusable until fixed): a line that is not a valid case, a need-state
  outside the registry, turns that do not alternate user/assistant from a user turn to a user
  turn, an id used twice anywhere, and any conversation shared with the holdout
  (``evals/dev/holdout.jsonl`` must stay unseen by everything tuned or trained);
* warnings: a conversation shared by two tuning or training sets (harmless, but counted twice).

Texts are compared after folding case, spacing, apostrophes, zero-width and look-alike
characters, so a copy with a changed quote or a Cyrillic letter still counts as a copy.

    python -m guardrail.evals.dataset [ROOT]    # counts per set; exit 1 on any problem
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from guardrail.errors import UserError
from guardrail.labelled import LabelledCase, read_case
from guardrail.registry import Registry
from guardrail.text import Normaliser

__all__ = ["HOLDOUT", "HOLDOUTS", "SetCheck", "check_sets", "labelled_files", "main"]

HOLDOUT = "evals/dev/holdout.jsonl"
"""The first held-out set, relative to the repository root."""
HOLDOUTS = (HOLDOUT, "evals/lang/holdout_*.jsonl")
"""Every held-out set (glob patterns relative to the root): nothing else may share a text with
one, and no two share a text either."""

# Evaluation sets sit one folder down in evals/; training sets in data/train/.
_PATTERNS = ("evals/*/*.jsonl", "data/train/*.jsonl")


@dataclass(frozen=True, slots=True)
class SetCheck:
    """What `check_sets` found.

    Attributes:
        problems: errors, each ``file:line: what``.
        warnings: texts shared by two non-holdout sets, each ``file:line: same text as ...``.
        counts: per file (relative to the root), lines and label tallies
            (``need:billing``, ``handoff:True``...).
    """

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)


def labelled_files(root: Path) -> list[Path]:
    """Every labelled set under `root` (``evals/*/*.jsonl`` and ``data/train/*.jsonl``)."""
    return sorted(path for pattern in _PATTERNS for path in root.glob(pattern))


def _alternates(case: LabelledCase) -> bool:
    roles = [m.role for m in case.messages]
    expected = ["user" if i % 2 == 0 else "assistant" for i in range(len(roles))]
    return roles == expected and roles[-1] == "user"


def _text_key(case: LabelledCase) -> str:
    text = " | ".join(Normaliser.fold(m.content).strip() for m in case.messages)
    return " ".join(text.replace("'", "").split())


def check_sets(
    files: Sequence[Path],
    root: Path,
    registry: Registry | None = None,
    holdout: Sequence[str] = HOLDOUTS,
) -> SetCheck:
    """Validate `files` together: each line, each label, ids and texts across all of them.

    Args:
        files: the labelled JSONL files.
        root: the folder names are reported relative to (and `holdout` is relative to).
        registry: whose need-states the labels must use (default: the shipped one).
        holdout: the held-out files, as glob patterns relative to `root`.
    """
    needs = set((registry or Registry.default()).settings.need_states)
    result = SetCheck()
    ids: dict[str, str] = {}
    texts: dict[str, str] = {}
    for path in files:
        name = path.relative_to(root).as_posix()
        tally: Counter[str] = Counter()
        for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
            where = f"{name}:{number}"
            try:
                case = read_case(raw, number, legacy=False)
            except UserError as exc:
                result.problems.append(f"{name}: {exc}")
                continue
            if case.need_state is not None and case.need_state not in needs:
                result.problems.append(
                    f"{where}: need-state {case.need_state!r} is not in the registry"
                )
            if not _alternates(case):
                result.problems.append(
                    f"{where}: turns must alternate user/assistant and end with a user turn"
                )
            if case.id in ids:
                result.problems.append(f"{where}: id {case.id!r} also in {ids[case.id]}")
            else:
                ids[case.id] = where
            key = _text_key(case)
            other = texts.get(key)
            if other is not None and other.rpartition(":")[0] != name:
                if any(fnmatch(n, pattern) for n in (name, other.rpartition(":")[0])
                       for pattern in holdout):
                    result.problems.append(f"{where}: leak into the holdout: same text as {other}")
                else:
                    result.warnings.append(f"{where}: same text as {other}")
            texts.setdefault(key, where)
            tally[f"need:{case.need_state}"] += 1
            tally[f"handoff:{case.handoff}"] += 1
            tally["lines"] += 1
        result.counts[name] = tally
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Check every set under the root given (default: the current folder); 1 on any problem."""
    args = sys.argv[1:] if argv is None else list(argv)
    root = Path(args[0] if args else ".").resolve()
    result = check_sets(labelled_files(root), root)
    for name, tally in result.counts.items():
        parts = ", ".join(f"{k}={v}" for k, v in sorted(tally.items()) if k != "lines")
        print(f"{name}: {tally['lines']} lines; {parts}")
    for problem in result.problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(
        f"{len(result.problems)} problem(s), "
        f"{len(result.warnings)} text(s) shared by two tuning/training sets"
    )
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
