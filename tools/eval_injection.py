"""Measure injection detection on text it was not trained on: flagged attacks, flagged benign.

    python tools/eval_injection.py [--model DIR] [--json FILE]

Reads each line as the engine reads a message (the registry's rules, the injection readings and
the learned model; a tool result or document as a ``tool`` message, the rest as ``user``) and
counts what is flagged, two ways: the rules alone and the rules with the model.

- ``evals/injection/heldout/`` and ``heldout2/``: the team's held-out attacks and benign
  look-alikes (eight languages; user turns, tool results, documents), never trained on: by
  file, by language, by where the text arrives.
- ordinary messages: every user turn of the dev sets and the language held-out set (the
  injection model never trains on them) that the rules alone do not flag (the few they flag
  were written as injections), which the model should never flag either.
- ``injection: false`` lines of the published set (trained on: shown for reference).

The leave-one-family-out figures for the published families are
``tools/train_injection_model.py --by-family``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guardrail.conversation import Message  # noqa: E402
from guardrail.detectors.detector import Detector  # noqa: E402
from guardrail.detectors.injection import InjectionDetector  # noqa: E402
from guardrail.detectors.injection_model import InjectionModel  # noqa: E402
from guardrail.detectors.rules import RuleDetector  # noqa: E402
from guardrail.labelled import read_case  # noqa: E402
from guardrail.registry import Registry  # noqa: E402

# The first set was scored four times while the model was built (evals/injection/RESULTS.md);
# each later one was written before a build and scored before and after it (see its README).
HELDOUT = [ROOT / "evals" / "injection" / name
           for name in ("heldout", "heldout2", "heldout3", "heldout4")]
ORDINARY = [
    *sorted((ROOT / "evals").glob("dev*/dev*.jsonl")),
    ROOT / "evals" / "dev" / "holdout.jsonl",
    *sorted((ROOT / "evals" / "lang").glob("*.jsonl")),
]
PUBLISHED = ROOT.parent / "shared" / "data" / "injections" / "train.jsonl"
# Attacks spread over consecutive customer turns, and benign runs of turns (never trained on).
SPLIT = ROOT / "evals" / "injection" / "heldout_split"


def flagged(detector: Detector, text: str, where: str) -> bool:
    role = "user" if where == "user" else "tool"
    scan = detector.scan(0, Message(role=role, content=text))
    return any(f.kind == "injection" for f in scan.findings)


def _rows(path: Path) -> Iterable[dict[str, object]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _ordinary_conversations() -> list[list[str]]:
    """The user turns of each conversation of the dev and language sets."""
    conversations = []
    for path in ORDINARY:
        if not path.exists():
            continue
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    case = read_case(raw, number)
                    conversations.append([m.content for m in case.messages if m.role == "user"])
    return conversations


def _ordinary_texts() -> list[str]:
    return [text for turns in _ordinary_conversations() for text in turns]


def split_flagged(detector: InjectionDetector, turns: list[str]) -> tuple[bool, bool]:
    """Whether any of a customer's consecutive `turns` is flagged read alone, and whether one
    is flagged only when read joined to the turn before (as the engine joins them)."""
    alone = joined = False
    trace = None
    for index, text in enumerate(turns):
        message = Message(role="user", content=text)
        scan = detector.scan(index, message)
        alone = alone or any(f.kind == "injection" for f in scan.findings)
        scan, trace = detector.joined(index, message, scan, trace)
        joined = joined or any(f.source.endswith(":joined") for f in scan.findings)
    return alone, joined


def measure_split(detector: InjectionDetector) -> dict[str, dict[str, float]]:
    """Attacks split over turns (`heldout_split/`) and ordinary conversations: the share with a
    turn flagged alone, and the share flagged only by joining turns."""
    groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for path in sorted(SPLIT.glob("*.jsonl")):
        for row in _rows(path):
            turns = [str(t) for t in row["turns"]]  # type: ignore[attr-defined]
            kind = "attacks" if row["injection"] else "benign"
            lang = "en" if row["lang"] == "en" else "other-languages"
            result = split_flagged(detector, turns)
            groups[f"heldout_split/{kind}"].append(result)
            groups[f"heldout_split/{kind}/{lang}"].append(result)
    for turns in _ordinary_conversations():
        if len(turns) > 1:
            groups["ordinary conversations (2+ user turns)"].append(split_flagged(detector, turns))
        for text in turns:  # a customer repeating themselves
            groups["ordinary user turns, each sent twice"].append(
                split_flagged(detector, [text, text]))
    return {key: {"conversations": len(r), "alone": sum(a for a, _ in r) / len(r),
                  "joined only": sum(j and not a for a, j in r) / len(r),
                  "either": sum(a or j for a, j in r) / len(r)}
            for key, r in sorted(groups.items())}


def measure(detectors: dict[str, Detector]) -> dict[str, object]:
    """Flag counts per group for each detector."""
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for path in sorted(p for folder in HELDOUT for p in folder.glob("*.jsonl")):
        for row in _rows(path):
            text, where, at = str(row["text"]), str(row["where"]), path.parent.name
            keys = [f"{at}/{path.stem}", f"{at}/{path.stem}/{row['lang']}",
                    f"{at}/{path.stem}/where={where}"]
            keys.append(f"{at}/{'attacks' if row['injection'] else 'benign'}/"
                        f"{'en' if row['lang'] == 'en' else 'other-languages'}")
            for name, detector in detectors.items():
                hit = flagged(detector, text, where)
                for key in keys:
                    groups[key][name][0] += int(hit)
                    groups[key][name][1] += 1
    # The dev sets hold a few injections on purpose (messages wrapped in "ignore your rules"):
    # the ones the previous engine (the rules alone) flags are counted apart; every other user
    # turn is an ordinary message, which the model must not flag either.
    rules_only = detectors["rules"]
    for text in _ordinary_texts():
        key = ("ordinary/dev+lang user turns" if not flagged(rules_only, text, "user")
               else "dev injections (rules flag them)")
        for name, detector in detectors.items():
            groups[key][name][0] += int(flagged(detector, text, "user"))
            groups[key][name][1] += 1
    if PUBLISHED.exists():
        for row in _rows(PUBLISHED):
            if not row["injection"]:
                for name, detector in detectors.items():
                    hit = flagged(detector, str(row["text"]), str(row["where"]))
                    groups["published benign (trained on)"][name][0] += int(hit)
                    groups["published benign (trained on)"][name][1] += 1
    return {k: {n: {"flagged": c[0], "lines": c[1], "share": c[0] / c[1] if c[1] else 0.0}
                for n, c in v.items()} for k, v in sorted(groups.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="an injection model folder (default: the shipped one)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    registry = Registry.default()
    model = InjectionModel.load(args.model) if args.model else InjectionModel.default()
    threshold = registry.settings.injection.model_threshold
    rules = RuleDetector(registry)
    both = InjectionDetector(rules, model, threshold, registry.settings.injection.tool_threshold)
    detectors: dict[str, Detector] = {"rules": InjectionDetector(rules), "rules+model": both}
    report = measure(detectors)
    print(f"{'set':52} {'rules':>16} {'rules+model':>16}")
    for key, by in report.items():
        cells = [f"{by[n]['flagged']:>5}/{by[n]['lines']:<5} {by[n]['share']:.3f}"
                 for n in detectors]
        print(f"{key:52} {cells[0]:>16} {cells[1]:>16}")
    split = measure_split(both)
    print(f"\n{'turns joined (rules + model)':52} {'n':>6} {'alone':>7} {'joined only':>12} "
          f"{'either':>7}")
    for key, row in split.items():
        print(f"{key:52} {row['conversations']:>6} {row['alone']:7.3f} {row['joined only']:12.3f} "
              f"{row['either']:7.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({**report, "split": split}, indent=2) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
