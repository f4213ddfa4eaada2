#!/usr/bin/env python3
"""Validate exemplars_b.jsonl.

Checks:
  * every line is valid JSON (an object), no blank lines
  * exact top-level keys {id, messages, need_state}
  * id matches trb-NNNN, ids unique
  * need_state in the allowed label set
  * messages: non-empty list of {role, content} objects (exact keys),
    content a non-empty, stripped string; roles alternate user/assistant,
    start with user and end with user
  * no duplicate texts (case-insensitive, whitespace-normalised):
      - no two exemplars with the same full conversation
      - no two exemplars with the same final user message
      - no single-message exemplar equal to any user turn of another exemplar
  * at least MIN_LINES lines
Prints counts per need-state, per conversation length and (if the
exemplars_b.domains.tsv sidecar exists) per domain. Exit code 1 on any error.

usage: python3 check_b.py [path/to/exemplars_b.jsonl]
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

LABELS = {"access_restore", "billing", "incident", "how_to",
          "policy_compliance", "account_change", "other"}
MIN_LINES = 700
ID_RE = re.compile(r"^trb-\d{4}$")


def norm(s):
    return " ".join(s.split()).casefold()


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("exemplars_b.jsonl")
    errors = []
    ids = set()
    full_seen, last_seen = {}, {}
    user_turns = {}          # norm text -> set of ids containing it as a user turn
    singles = []             # (id, norm text)
    labels = Counter()
    lengths = Counter()
    label_len = Counter()
    n = 0

    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            n += 1
            where = f"line {lineno}"
            if not line.strip():
                errors.append(f"{where}: blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: invalid JSON ({e})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"{where}: not a JSON object")
                continue
            if set(obj) != {"id", "messages", "need_state"}:
                errors.append(f"{where}: keys are {sorted(obj)}")
                continue
            rid = obj["id"]
            where = f"line {lineno} ({rid})"
            if not isinstance(rid, str) or not ID_RE.match(rid):
                errors.append(f"{where}: bad id format")
            elif rid in ids:
                errors.append(f"{where}: duplicate id")
            ids.add(rid)
            if obj["need_state"] not in LABELS:
                errors.append(f"{where}: bad need_state {obj['need_state']!r}")
            msgs = obj["messages"]
            if not isinstance(msgs, list) or not msgs:
                errors.append(f"{where}: messages must be a non-empty list")
                continue
            ok = True
            for k, m in enumerate(msgs):
                if not isinstance(m, dict) or set(m) != {"role", "content"}:
                    errors.append(f"{where}: message {k} must have exactly role/content")
                    ok = False
                    continue
                want = "user" if k % 2 == 0 else "assistant"
                if m["role"] != want:
                    errors.append(f"{where}: message {k} role {m['role']!r}, expected {want!r}")
                    ok = False
                c = m["content"]
                if not isinstance(c, str) or not c.strip():
                    errors.append(f"{where}: message {k} empty/non-string content")
                    ok = False
                elif c != c.strip():
                    errors.append(f"{where}: message {k} has leading/trailing whitespace")
            if not ok:
                continue
            if msgs[-1]["role"] != "user":
                errors.append(f"{where}: conversation must end with a user message")
            labels[obj["need_state"]] += 1
            lengths[len(msgs)] += 1
            label_len[(obj["need_state"], len(msgs))] += 1

            full = " || ".join(norm(m["content"]) for m in msgs)
            if full in full_seen:
                errors.append(f"{where}: duplicate conversation of {full_seen[full]}")
            full_seen.setdefault(full, rid)
            last = norm(msgs[-1]["content"])
            if last in last_seen:
                errors.append(f"{where}: duplicate final user text of {last_seen[last]}: {msgs[-1]['content']!r}")
            last_seen.setdefault(last, rid)
            for m in msgs:
                if m["role"] == "user":
                    user_turns.setdefault(norm(m["content"]), set()).add(rid)
            if len(msgs) == 1:
                singles.append((rid, last))

    for rid, text in singles:
        others = user_turns.get(text, set()) - {rid}
        if others:
            errors.append(f"{rid}: single message duplicates a user turn in {sorted(others)}")

    if n < MIN_LINES:
        errors.append(f"only {n} lines, need >= {MIN_LINES}")

    total = sum(labels.values())
    print(f"file: {path}")
    print(f"lines: {n}   valid rows: {total}")
    print("\nper need_state (total / single / 3-turn):")
    for lab in sorted(LABELS):
        print(f"  {lab:18s} {labels[lab]:4d}  {label_len[(lab, 1)]:4d}  {label_len[(lab, 3)]:4d}")
    print("\nconversation lengths:", dict(sorted(lengths.items())))
    if total:
        print(f"multi-turn share: {100 * (total - lengths[1]) / total:.1f}%")

    side = path.with_name("exemplars_b.domains.tsv")
    if side.exists():
        dom = Counter()
        dom_lab = Counter()
        side_ids = set()
        with open(side, encoding="utf-8") as g:
            next(g)
            for row in g:
                rid, d, lab, _ = row.rstrip("\n").split("\t")
                side_ids.add(rid)
                dom[d] += 1
                dom_lab[(d, lab)] += 1
        if side_ids != ids:
            errors.append("domain sidecar ids do not match the jsonl ids")
        short = {"access_restore": "acc", "billing": "bill", "incident": "inc",
                 "how_to": "how", "policy_compliance": "pol",
                 "account_change": "chg", "other": "oth"}
        labs = sorted(LABELS)
        print("\nper domain:")
        print("  " + "domain".ljust(8) + "total " + " ".join(short[l].rjust(4) for l in labs))
        for d in sorted(dom):
            print("  " + d.ljust(8) + str(dom[d]).rjust(5) + " "
                  + " ".join(str(dom_lab[(d, l)]).rjust(4) for l in labs))

    if errors:
        print(f"\n{len(errors)} ERROR(S):")
        for e in errors[:200]:
            print("  " + e)
        sys.exit(1)
    print("\nOK: all checks passed")


if __name__ == "__main__":
    main()
