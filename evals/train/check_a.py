#!/usr/bin/env python3
"""Validate exemplars_a.jsonl; report counts per need_state (and per domain if the sidecar exists)."""
import json, re, sys, pathlib
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "exemplars_a.jsonl"
LABELS = {"access_restore", "billing", "incident", "how_to",
          "policy_compliance", "account_change", "other"}
errors, ids, texts, labels = [], set(), {}, Counter()

raw = path.read_bytes()
try:
    lines = raw.decode("utf-8").split("\n")
except UnicodeDecodeError as e:
    sys.exit(f"not UTF-8: {e}")
if lines and lines[-1] == "":
    lines.pop()
for n, line in enumerate(lines, 1):
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        errors.append(f"line {n}: invalid JSON ({e})"); continue
    if not isinstance(obj, dict) or set(obj) != {"id", "messages", "need_state"}:
        errors.append(f"line {n}: keys must be exactly id/messages/need_state, got {sorted(obj) if isinstance(obj, dict) else type(obj)}"); continue
    rid = obj["id"]
    if not isinstance(rid, str) or not re.fullmatch(r"tra-\d{4,}", rid):
        errors.append(f"line {n}: bad id {rid!r}")
    elif rid in ids:
        errors.append(f"line {n}: duplicate id {rid}")
    ids.add(rid)
    msgs = obj["messages"]
    if not (isinstance(msgs, list) and len(msgs) == 1 and isinstance(msgs[0], dict)
            and set(msgs[0]) == {"role", "content"} and msgs[0]["role"] == "user"
            and isinstance(msgs[0]["content"], str) and msgs[0]["content"].strip()):
        errors.append(f"line {n}: messages must be exactly one non-empty user message"); continue
    if obj["need_state"] not in LABELS:
        errors.append(f"line {n}: invalid need_state {obj['need_state']!r}")
    labels[obj["need_state"]] += 1
    key = " ".join(msgs[0]["content"].casefold().split())
    if key in texts:
        errors.append(f"line {n}: duplicate text (case-insensitive) of line {texts[key]}: {msgs[0]['content']!r}")
    else:
        texts[key] = n

# ids should be sequential tra-0001..tra-N
expected = {f"tra-{i:04d}" for i in range(1, len(lines) + 1)}
if ids != expected:
    errors.append("ids are not the contiguous sequence tra-0001..tra-%04d" % len(lines))

print(f"{path.name}: {len(lines)} lines")
print("per need_state:")
for k in sorted(LABELS):
    print(f"  {k:18s} {labels[k]}")
side = path.with_name(path.stem + "_domains.tsv")
if side.exists():
    dom, cross = Counter(), Counter()
    for row in side.read_text(encoding="utf-8").splitlines()[1:]:
        rid, lab, d = row.split("\t")
        dom[d] += 1; cross[(lab, d)] += 1
    print("per domain (from sidecar):")
    for d, c in sorted(dom.items(), key=lambda x: -x[1]):
        print(f"  {d:8s} {c}")
    ds = sorted(dom)
    print("label x domain:\n  " + " " * 18 + " ".join(f"{d:>7s}" for d in ds))
    for lab in sorted(LABELS):
        print(f"  {lab:18s}" + " ".join(f"{cross[(lab, d)]:7d}" for d in ds))
if errors:
    print(f"\n{len(errors)} ERROR(S):"); print("\n".join("  " + e for e in errors))
    sys.exit(1)
print("\nOK: all checks passed")
