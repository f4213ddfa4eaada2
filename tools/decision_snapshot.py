"""Every decision the engine makes on every labelled set, as JSON lines: the yardstick for "results
identical to the previous engine" (issue 19) when the hot path changes.

    python tools/decision_snapshot.py --out /tmp/before.jsonl          # on the old commit
    python tools/decision_snapshot.py --out /tmp/after.jsonl           # on the new one
    python tools/decision_snapshot.py --compare /tmp/before.jsonl /tmp/after.jsonl

Each case of `evals/*/*.jsonl`, `evals/lang/`, `evals/injection/*/` and `data/train/` is checked
twice: whole (a fresh conversation, every message at once) and turn by turn (one conversation
id, each user turn checked as a chatbot would, so the incremental path is covered too). A line
holds the full decision (every reason with its evidence) and the need confidence to 12 digits.
`--compare` prints the first differences and exits 1 when any line differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from guardrail import Conversation, Guardrail, Message
from guardrail.labelled import read_cases

ROOT = Path(__file__).resolve().parent.parent


def _labelled() -> Iterator[tuple[str, list[dict[str, str]]]]:
    paths = sorted(ROOT.glob("evals/*/*.jsonl")) + sorted(ROOT.glob("data/train/*.jsonl"))
    for path in paths:
        if path.parent.parent.name == "injection" or path.parent.name == "injection":
            continue
        for case in read_cases(path):
            yield case.id, [m.model_dump(mode="json") for m in case.messages]
    for path in sorted(ROOT.glob("evals/injection/*/*.jsonl")):
        for raw in path.read_bytes().splitlines():
            data = json.loads(raw)
            role = "user" if data.get("where", "user") == "user" else "tool"
            if "turns" in data:
                messages = []
                for turn in data["turns"]:
                    if messages:
                        messages.append({"role": "assistant", "content": "Let me check."})
                    messages.append({"role": "user", "content": turn})
            elif role == "tool":
                messages = [
                    {"role": "user", "content": "can you look up my order please"},
                    {"role": "tool", "content": data["text"]},
                ]
            else:
                messages = [{"role": "user", "content": data["text"]}]
            yield data["id"], messages


def _line(case: str, mode: str, turn: int, guard: Guardrail, conv: Any) -> str:
    try:
        decision = guard.check(conv)
    except Exception as exc:  # a difference in errors is a difference too
        return json.dumps({"case": case, "mode": mode, "turn": turn,
                           "error": type(exc).__name__})
    data = decision.model_dump(mode="json")
    data["need_confidence"] = f"{decision.need_confidence:.12f}"
    return json.dumps({"case": case, "mode": mode, "turn": turn, "decision": data},
                      ensure_ascii=False, sort_keys=True)


def snapshot(out: Path, limit: int | None) -> int:
    guard = Guardrail()
    count = 0
    with out.open("w", encoding="utf-8") as sink:
        for number, (case, messages) in enumerate(_labelled()):
            if limit is not None and number >= limit:
                break
            sink.write(_line(case, "whole", 0, guard, {"messages": messages}) + "\n")
            built: list[Message] = []
            for turn, raw in enumerate(messages):
                built.append(Message.model_validate(raw))
                if raw["role"] != "user":
                    continue
                conv = Conversation(id=f"snap-{case}", messages=list(built))
                sink.write(_line(case, "turns", turn, guard, conv) + "\n")
            guard.forget_conversation(f"snap-{case}")
            count += 1
    print(f"{count} cases -> {out}")
    return 0


def compare(before: Path, after: Path, show: int = 10) -> int:
    old = before.read_text(encoding="utf-8").splitlines()
    new = after.read_text(encoding="utf-8").splitlines()
    differing = [(a, b) for a, b in zip(old, new, strict=False) if a != b]
    for a, b in differing[:show]:
        print("-", a[:600])
        print("+", b[:600])
    print(f"{len(old)} vs {len(new)} lines; {len(differing)} differ")
    return 0 if not differing and len(old) == len(new) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="first N cases only")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        parser.error("--out or --compare is required")
    return snapshot(args.out, args.limit)


if __name__ == "__main__":
    sys.exit(main())
