#!/usr/bin/env python3
"""Assemble exemplars_c.jsonl from the hand-written src_c/<label>.txt files.

One message per line in each source file; the file name is the label.
Lines colliding (case/whitespace-insensitive) with exemplars_a/b or with an
earlier line are reported and dropped. Output order is a seeded shuffle so
labels are interleaved.
"""
import json, random, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRAIN = HERE.parent
LABELS = ["other", "incident", "policy_compliance", "access_restore", "account_change", "how_to"]


def norm(s):
    return re.sub(r"\s+", " ", s).strip().casefold()


def existing_texts():
    seen = set()
    for name in ("exemplars_a.jsonl", "exemplars_b.jsonl"):
        with open(TRAIN / name, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    for m in json.loads(line)["messages"]:
                        if m.get("role") == "user":
                            seen.add(norm(m["content"]))
    return seen


def main():
    ext = existing_texts()
    mine = {}
    rows, dropped = [], []
    for label in LABELS:
        for ln, raw in enumerate((HERE / f"{label}.txt").read_text(encoding="utf-8").splitlines(), 1):
            text = raw.strip()
            if not text:
                continue
            k = norm(text)
            if k in ext:
                dropped.append((label, ln, text, "in a/b"))
            elif k in mine:
                dropped.append((label, ln, text, f"dup of {mine[k]}"))
            else:
                mine[k] = f"{label}:{ln}"
                rows.append((text, label))
    random.Random(20251123).shuffle(rows)
    with open(TRAIN / "exemplars_c.jsonl", "w", encoding="utf-8") as out:
        for i, (text, label) in enumerate(rows, 1):
            rec = {"id": f"trc-{i:04d}", "messages": [{"role": "user", "content": text}], "need_state": label}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    for d in dropped:
        print("dropped", *d, sep="\t", file=sys.stderr)
    print(f"wrote {len(rows)} rows, dropped {len(dropped)}", file=sys.stderr)


if __name__ == "__main__":
    main()
