"""Score decisions against labelled lines (`LabelledCase`: ``need_state``, ``handoff``).

The figures the project reports for the rule path come from here:

* must-handoff recall: of the lines that must reach a human, the share handed off;
* wrongful escalation: of the lines an AI could safely handle, the share handed off anyway;
* need-state accuracy and macro-F1 over the lines with an expected need-state.

A label of ``null`` means "reasonable policies differ" and is not scored. Lines in the older
batch format (``expected_need_state``, ``expected_handoff``) are read too: see `read_case`.

A set can be cut in two by a stable hash of the line id (`PARTS`): ``heldout`` is the
`HELDOUT_FRACTION` of lines never tuned on, ``tune`` the rest, ``all`` every line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from guardrail.engine import Guardrail
from guardrail.labelled import read_case
from guardrail.need.training import held_out

__all__ = ["HELDOUT_FRACTION", "PARTS", "Miss", "Part", "Score", "in_part", "score_lines"]

Part = Literal["all", "tune", "heldout"]
PARTS: tuple[Part, ...] = get_args(Part)
# Share of a public set's lines (by CRC-32 of the id, per mille: < 300) that is never tuned on.
HELDOUT_FRACTION = 0.3


def in_part(line_id: str, part: Part) -> bool:
    """Is the line with this id in `part` of its set (`all`, `tune` or `heldout`)?"""
    if part == "all":
        return True
    return held_out(line_id, HELDOUT_FRACTION) == (part == "heldout")


@dataclass(frozen=True, slots=True)
class Miss:
    """One wrong call: the line id, what was expected, what was decided, and the last message."""

    id: str | None
    kind: str  # "missed_handoff", "wrongful_escalation" or "need_state"
    expected: str
    got: str
    text: str
    reasons: tuple[str, ...]


@dataclass
class Score:
    """Counts and derived rates for one labelled set."""

    lines: int = 0
    must_handoff: int = 0
    handed_off: int = 0
    safe: int = 0
    wrongly_escalated: int = 0
    need_total: int = 0
    need_correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[Miss] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Must-handoff recall (1.0 when nothing had to be handed off)."""
        return self.handed_off / self.must_handoff if self.must_handoff else 1.0

    @property
    def wrongful_escalation(self) -> float:
        """Share of safe lines handed off anyway."""
        return self.wrongly_escalated / self.safe if self.safe else 0.0

    @property
    def need_accuracy(self) -> float:
        """Need-state accuracy over lines with an expected need-state."""
        return self.need_correct / self.need_total if self.need_total else 0.0

    @property
    def need_macro_f1(self) -> float:
        """Macro-F1 over the need-states that appear as expected labels."""
        labels = {expected for expected, _ in self.confusion}
        f1s = []
        for label in sorted(labels):
            tp = self.confusion[(label, label)]
            fp = sum(c for (e, g), c in self.confusion.items() if g == label and e != label)
            fn = sum(c for (e, g), c in self.confusion.items() if e == label and g != label)
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        return sum(f1s) / len(f1s) if f1s else 0.0

    def summary(self) -> str:
        """One line of the headline figures."""
        return (
            f"{self.lines} lines: must-handoff recall {self.recall:.3f} "
            f"({self.handed_off}/{self.must_handoff}), wrongful escalation "
            f"{self.wrongful_escalation:.3f} ({self.wrongly_escalated}/{self.safe}), "
            f"need-state accuracy {self.need_accuracy:.3f}, macro-F1 {self.need_macro_f1:.3f}"
        )


def score_lines(guard: Guardrail, lines: Iterable[bytes], part: Part = "all") -> Score:
    """Check every labelled line of `part` (`in_part`) and count hits and misses.

    Raises:
        UserError: a line is not a valid labelled case (labelled sets must be clean).
    """
    score = Score()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        case = read_case(raw, number)
        if not in_part(case.id, part):
            continue
        decision = guard.check(case.conversation())
        score.lines += 1
        text = case.messages[-1].content[:300]
        reasons = tuple(str(r) for r in decision.reason_codes if r.source.startswith("message"))
        if case.handoff is True:
            score.must_handoff += 1
            if decision.handoff.required:
                score.handed_off += 1
            else:
                score.misses.append(
                    Miss(case.id, "missed_handoff", "handoff", "none", text, reasons)
                )
        elif case.handoff is False:
            score.safe += 1
            if decision.handoff.required:
                score.wrongly_escalated += 1
                score.misses.append(
                    Miss(case.id, "wrongful_escalation", "none", "handoff", text, reasons)
                )
        expected_need = case.need_state
        if expected_need:
            score.need_total += 1
            score.confusion[(expected_need, decision.need_state)] += 1
            if decision.need_state == expected_need:
                score.need_correct += 1
            else:
                score.misses.append(
                    Miss(case.id, "need_state", expected_need, decision.need_state, text, reasons)
                )
    return score
