"""Choose the policy's two model thresholds on validation data, and say why.

1. ``uncertainty``: `uncertain_sensitive`'s need-confidence threshold
   (segments/42-segments-need.yaml). The segment restricts a message about money, a card,
   access or identity whose need-state confidence is below it: no write/money/irreversible
   tools, a clarifying question, a person offered. Counted on the lines labelled
   ``handoff: true`` that were *not* handed off: the share left **open** (not restricted
   either: automated with money and write tools available); on the lines labelled
   ``handoff: false``: the share **restricted** (friction on a benign line). Chosen: the lowest
   ``OPEN_WEIGHT x open + restricted`` (a risky message left open costs more than one extra
   clarifying question).
2. ``handoff``: ``settings.model.handoff_threshold`` (segments/10-settings.yaml), the learned
   model's handoff score at which it adds a suspected risk. Counted: must-handoff **recall** and
   **wrongful** escalation. Chosen: the highest recall with wrongful escalation at most
   ``MAX_WRONGFUL``; if none qualifies, the lowest wrongful escalation.

Each candidate value is played through the shipped engine with only that number changed. Run
it on lines the need model was not trained on and that are not a test set: by default the
``heldout`` part (`guardrail score --part`) of the language tune sets (the model trains on
their ``tune`` part) and the English dev3 and dev4 sets (never trained on). Never on
evals/lang/ or evals/dev/holdout.jsonl::

    python tools/choose_thresholds.py uncertainty|handoff|gate [--rules-only] [FILE.jsonl ...]

3. ``gate``: ``settings.languages.rule_gate``, the language-identification confidence from
   which a rule written for another language than the message's is not applied. Counted and
   chosen as ``handoff`` (null, never gating, is the most conservative value).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from guardrail import Guardrail
from guardrail._resources import default_registry_dir
from guardrail.evals.scoring import in_part
from guardrail.labelled import LabelledCase, read_cases
from guardrail.registry import Registry

OPEN_WEIGHT = 3.0
MAX_WRONGFUL = 0.03
SEGMENT = "uncertain_sensitive"
PARTED = sorted(Path("evals/tune_lang").glob("*.jsonl"))  # tune_* and retired_*: their heldout part
DEFAULT_FILES = [*PARTED, Path("evals/dev3/dev3.jsonl"), Path("evals/dev4/dev4.jsonl")]


@dataclass(frozen=True)
class Knob:
    """Where a threshold is written, and the values tried."""

    file: str
    pattern: re.Pattern[str]
    values: tuple[float | None, ...]


KNOBS = {
    "uncertainty": Knob(
        "42-segments-need.yaml",
        # uncertain_sensitive's entry (the only one that lists it under `any`, beside the
        # injection rule; need_unclear's sits under `all`).
        re.compile(r"(any:\n\s+- \{signal: need_confidence, op: lt, value: )([0-9.]+)(\})"),
        (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7),
    ),
    "handoff": Knob(
        "10-settings.yaml",
        re.compile(r"(handoff_threshold: )([0-9.]+)()"),
        (0.8, 0.85, 0.9, 0.93, 0.95, 0.97),
    ),
    "gate": Knob(
        "10-settings.yaml",
        re.compile(r"(rule_gate: )([0-9.]+|null)()"),
        (None, 0.7, 0.8, 0.9, 0.95),
    ),
}


def _texts(knob: Knob, value: float | None) -> dict[str, str]:
    folder = default_registry_dir()
    texts = {p.name: p.read_text("utf-8") for p in sorted(folder.glob("*.yaml"))}
    found = knob.pattern.findall(texts[knob.file])
    if len(found) != 1:
        raise SystemExit(f"{knob.file}: expected the threshold once, found it {len(found)} times")
    shown = "null" if value is None else str(value)
    texts[knob.file] = knob.pattern.sub(lambda m: f"{m.group(1)}{shown}{m.group(3)}",
                                        texts[knob.file])
    return texts


def _counts(guard: Guardrail, cases: list[LabelledCase]) -> dict[str, float]:
    risky = [c for c in cases if c.handoff]
    benign = [c for c in cases if not c.handoff]
    handed = left_open = wrongful = restricted = 0
    for case in cases:
        decision = guard.check(case.conversation())
        held = SEGMENT in decision.segment_ids()
        if case.handoff:
            handed += decision.handoff.required
            left_open += not decision.handoff.required and not held
        else:
            wrongful += decision.handoff.required
            restricted += held and not decision.handoff.required
    return {
        "recall": handed / max(len(risky), 1), "wrongful": wrongful / max(len(benign), 1),
        "open": left_open / max(len(risky), 1), "restricted": restricted / max(len(benign), 1),
    }


def _choose(what: str, rows: list[tuple[float | None, dict[str, float]]]) -> float | None:
    def number(value: float | None) -> float:
        return 2.0 if value is None else value  # null: the most conservative setting

    if what == "uncertainty":
        def cost(row: dict[str, float]) -> float:
            return OPEN_WEIGHT * row["open"] + row["restricted"]
        return min(rows, key=lambda r: (cost(r[1]), number(r[0])))[0]
    fits = [r for r in rows if r[1]["wrongful"] <= MAX_WRONGFUL] or rows
    return max(fits, key=lambda r: (r[1]["recall"], -r[1]["wrongful"], number(r[0])))[0]


def _kept(file: Path, case: LabelledCase) -> bool:
    """A labelled line, and from a language tune set only its heldout part."""
    return case.handoff is not None and (file not in PARTED or in_part(case.id, "heldout"))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in KNOBS:
        print(f"usage: choose_thresholds.py {{{'|'.join(KNOBS)}}} [--rules-only] [FILE.jsonl ...]",
              file=sys.stderr)
        return 2
    what, knob = argv[0], KNOBS[argv[0]]
    rest = argv[1:]
    need_model: str | None = "default"
    if rest[:1] == ["--rules-only"]:
        need_model, rest = None, rest[1:]
    files = [Path(a) for a in rest] or DEFAULT_FILES
    cases = [c for f in files for c in read_cases(f) if _kept(f, c)]
    if not cases:
        print("no labelled lines with a handoff label", file=sys.stderr)
        return 2
    risky = sum(1 for c in cases if c.handoff)
    print(f"{what}: {len(cases)} lines ({risky} must hand off, {len(cases) - risky} must not) "
          f"from {', '.join(map(str, files))}")
    print(f"{'value':>6} {'recall':>7} {'wrongful':>9} {'open':>6} {'restricted':>11}")
    rows: list[tuple[float | None, dict[str, float]]] = []
    for value in knob.values:
        guard = Guardrail(Registry.from_texts(_texts(knob, value)), need_model=need_model)
        row = _counts(guard, cases)
        rows.append((value, row))
        shown = "null" if value is None else f"{value:.2f}"
        print(f"{shown:>6} {row['recall']:>7.3f} {row['wrongful']:>9.3f} {row['open']:>6.3f} "
              f"{row['restricted']:>11.3f}")
    print(f"chosen: {_choose(what, rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
