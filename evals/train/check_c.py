#!/usr/bin/env python3
"""Validate exemplars_c.jsonl.

Checks: every line is valid JSON; exact top-level keys {id, messages, need_state};
messages is a non-empty list of {role, content} with non-empty string content and
a final user turn; need_state is a known label; ids are unique and sequential
(trc-0001, trc-0002, ...); no duplicate texts within the file or against
exemplars_a.jsonl / exemplars_b.jsonl (case- and whitespace-insensitive); at least
MIN_ROWS rows. Prints per-label counts; exits 1 on any error.
"""
import collections, json, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "exemplars_c.jsonl"
OTHERS = [HERE / "exemplars_a.jsonl", HERE / "exemplars_b.jsonl"]
REQUESTED = {"other", "incident", "policy_compliance", "access_restore", "account_change", "how_to"}
VALID = REQUESTED | {"billing"}  # full taxonomy used across the train files
KEYS = {"id", "messages", "need_state"}
MSG_KEYS = {"role", "content"}
MIN_ROWS = 650


def norm(s):
    return re.sub(r"\s+", " ", s).strip().casefold()


def conv_key(messages):
    return " || ".join(norm(m["content"]) for m in messages)


def load_reference():
    convs, user_texts = set(), set()
    for p in OTHERS:
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                msgs = json.loads(line)["messages"]
                convs.add(conv_key(msgs))
                user_texts.update(norm(m["content"]) for m in msgs if m.get("role") == "user")
    return convs, user_texts


def main():
    errors, warnings = [], []
    ref_convs, ref_user = load_reference()
    seen_ids, seen_conv = {}, {}
    counts = collections.Counter()
    n = 0
    with open(TARGET, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            if not line.strip():
                errors.append(f"line {ln}: blank line")
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {ln}: invalid JSON ({e})")
                continue
            n += 1
            if not isinstance(rec, dict) or set(rec) != KEYS:
                errors.append(f"line {ln}: keys {sorted(rec) if isinstance(rec, dict) else type(rec).__name__} != {sorted(KEYS)}")
                continue
            rid, msgs, label = rec["id"], rec["messages"], rec["need_state"]
            want = f"trc-{n:04d}"
            if rid != want:
                errors.append(f"line {ln}: id {rid!r}, expected {want!r}")
            if rid in seen_ids:
                errors.append(f"line {ln}: duplicate id {rid} (first on line {seen_ids[rid]})")
            seen_ids.setdefault(rid, ln)
            if label not in VALID:
                errors.append(f"line {ln}: invalid need_state {label!r}")
            elif label not in REQUESTED:
                warnings.append(f"line {ln}: label {label!r} was not requested for this file")
            counts[label] += 1
            ok = isinstance(msgs, list) and len(msgs) > 0
            if ok:
                for i, m in enumerate(msgs):
                    if not isinstance(m, dict) or set(m) != MSG_KEYS:
                        errors.append(f"line {ln}: message {i} keys invalid"); ok = False; break
                    if m["role"] not in ("user", "assistant"):
                        errors.append(f"line {ln}: message {i} bad role {m['role']!r}"); ok = False
                    if not isinstance(m["content"], str) or not m["content"].strip():
                        errors.append(f"line {ln}: message {i} empty/non-string content"); ok = False
                if ok and msgs[-1]["role"] != "user":
                    errors.append(f"line {ln}: last message must be from the user"); ok = False
            else:
                errors.append(f"line {ln}: messages must be a non-empty list")
            if not ok:
                continue
            key = conv_key(msgs)
            if key in seen_conv:
                errors.append(f"line {ln}: duplicate text within file (line {seen_conv[key]})")
            seen_conv.setdefault(key, ln)
            if key in ref_convs:
                errors.append(f"line {ln}: conversation duplicates exemplars_a/b: {msgs[-1]['content']!r}")
            elif len(msgs) == 1 and norm(msgs[0]["content"]) in ref_user:
                errors.append(f"line {ln}: text duplicates a user turn in exemplars_a/b: {msgs[0]['content']!r}")
    if n < MIN_ROWS:
        errors.append(f"only {n} rows, need at least {MIN_ROWS}")
    print(f"{TARGET.name}: {n} rows")
    for label in sorted(VALID, key=lambda l: -counts[l]):
        if counts[label]:
            print(f"  {label:18s} {counts[label]}")
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"FAILED with {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
