#!/usr/bin/env python3
"""Validate dev.jsonl and holdout.jsonl and print label/style/domain counts.

Usage: python3 check.py [--threshold 0.9]
Exit code 1 if any hard error is found (format, vocabulary, ids, duplicates).
Soft targets (coverage quotas) are reported as WARN and do not fail the run.
"""
import argparse
import difflib
import json
import re
import sys
import unicodedata
from collections import Counter
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = [("dev.jsonl", "dev", 440, 60), ("holdout.jsonl", "hold", 180, 25)]

TOP_KEYS = {"id", "messages", "expected_need_state", "expected_handoff", "meta"}
META_KEYS = {"domain", "style", "why"}
MSG_KEYS = {"role", "content"}
NEED_STATES = ["access_restore", "billing", "incident", "how_to", "policy_compliance", "account_change", "other"]
DOMAINS = ["saas", "ecommerce", "telecom", "fintech", "banking", "general"]
STYLES = ["plain", "paraphrase", "negation", "typo", "mixed_intent", "terse", "rambling", "non_native",
          "multi_turn", "unicode_trick", "chitchat", "injection"]

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Common Cyrillic/Greek look-alikes -> Latin, so homoglyph tricks can't hide a duplicate.
CONFUSABLES = str.maketrans("асеорхуіјкмнтвАСЕОРХУІЈКМНТВ",
                            "aceopxyijkmhtbACEOPXYIJKMHTB")


def normalise(text):
    t = unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH).translate(CONFUSABLES)
    t = t.lower()
    t = re.sub(r"[^\w\s]", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def user_text(rec):
    return " | ".join(m["content"] for m in rec["messages"] if m.get("role") == "user")


def validate_file(path, prefix, errors):
    recs = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            where = f"{path.name}:{lineno}"
            if not line.strip():
                errors.append(f"{where}: blank line")
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: invalid JSON ({exc})")
                continue
            if not isinstance(rec, dict) or set(rec) != TOP_KEYS:
                errors.append(f"{where}: keys {sorted(rec) if isinstance(rec, dict) else type(rec)} != {sorted(TOP_KEYS)}")
                continue
            exp_id = f"{prefix}-{lineno:04d}"
            if rec["id"] != exp_id:
                errors.append(f"{where}: id {rec['id']!r}, expected {exp_id!r} (unique & sequential)")
            if rec["expected_need_state"] not in NEED_STATES:
                errors.append(f"{where}: bad need state {rec['expected_need_state']!r}")
            if rec["expected_handoff"] not in (True, False, None):
                errors.append(f"{where}: bad handoff {rec['expected_handoff']!r}")
            meta = rec["meta"]
            if not isinstance(meta, dict) or set(meta) != META_KEYS:
                errors.append(f"{where}: meta keys {sorted(meta) if isinstance(meta, dict) else meta!r}")
            else:
                if meta["domain"] not in DOMAINS:
                    errors.append(f"{where}: bad domain {meta['domain']!r}")
                if meta["style"] not in STYLES:
                    errors.append(f"{where}: bad style {meta['style']!r}")
                if not isinstance(meta["why"], str) or not meta["why"].strip():
                    errors.append(f"{where}: empty why")
            msgs = rec["messages"]
            if not isinstance(msgs, list) or not msgs:
                errors.append(f"{where}: messages must be a non-empty list")
                continue
            bad_msg = False
            for i, m in enumerate(msgs):
                if not isinstance(m, dict) or set(m) != MSG_KEYS or m["role"] not in ("user", "assistant") \
                        or not isinstance(m["content"], str) or not m["content"].strip():
                    errors.append(f"{where}: malformed message #{i}")
                    bad_msg = True
            if bad_msg:
                continue
            if msgs[-1]["role"] != "user":
                errors.append(f"{where}: last message must be from the user")
            if any(a["role"] == b["role"] for a, b in zip(msgs, msgs[1:])):
                errors.append(f"{where}: roles must alternate")
            if len(msgs) > 1 and not (2 <= len(msgs) <= 5):
                errors.append(f"{where}: multi-turn must have 2-5 messages, has {len(msgs)}")
            is_mt = len(msgs) > 1
            if isinstance(meta, dict) and is_mt != (meta.get("style") == "multi_turn"):
                errors.append(f"{where}: style multi_turn must match message count ({len(msgs)})")
            rec["_where"] = where
            recs.append(rec)
    return recs


def check_duplicates(all_recs, threshold, errors):
    # 1) whole-conversation user text, exact after normalisation + near-duplicate by difflib ratio
    norm = [(r["_where"], normalise(user_text(r))) for r in all_recs]
    seen = {}
    for where, n in norm:
        if n in seen:
            errors.append(f"duplicate text: {where} == {seen[n]}  ({n[:60]!r})")
        else:
            seen[n] = where
    near = 0
    for (w1, a), (w2, b) in combinations(norm, 2):
        if a == b or min(len(a), len(b)) < 20:
            continue
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        if sm.real_quick_ratio() < threshold or sm.quick_ratio() < threshold:
            continue
        if sm.ratio() >= threshold:
            near += 1
            errors.append(f"near-duplicate ({sm.ratio():.2f}): {w1} ~ {w2}\n    {a[:90]!r}\n    {b[:90]!r}")
    # 2) individual user turns (so a multi-turn can't reuse a single-line message verbatim)
    turn_seen = {}
    for r in all_recs:
        for m in r["messages"]:
            if m["role"] != "user":
                continue
            n = normalise(m["content"])
            if len(n) < 12:      # "hi", "hello", "ok" are allowed to recur as openers
                continue
            if n in turn_seen and turn_seen[n] != r["_where"]:
                errors.append(f"duplicate user turn: {r['_where']} and {turn_seen[n]} ({n[:60]!r})")
            turn_seen.setdefault(n, r["_where"])
    return near


def table(title, counter, total, order=None):
    keys = order or sorted(counter, key=lambda k: (-counter[k], str(k)))
    print(f"  {title}")
    for k in keys:
        if counter.get(k):
            print(f"    {k!s:<20}{counter[k]:>5}  {100 * counter[k] / total:5.1f}%")


def report(name, recs, min_lines, min_domain, warnings):
    total = len(recs)
    print(f"\n=== {name}: {total} lines ===")
    need = Counter(r["expected_need_state"] for r in recs)
    hand = Counter({True: "true", False: "false", None: "null"}[r["expected_handoff"]] for r in recs)
    dom = Counter(r["meta"]["domain"] for r in recs)
    sty = Counter(r["meta"]["style"] for r in recs)
    table("need_state", need, total, NEED_STATES)
    table("handoff", hand, total, ["true", "false", "null"])
    table("domain", dom, total, DOMAINS)
    table("style", sty, total, STYLES)
    print("  need_state x handoff (true/false/null)")
    for ns in NEED_STATES:
        c = Counter(r["expected_handoff"] for r in recs if r["expected_need_state"] == ns)
        print(f"    {ns:<20}{c[True]:>5}{c[False]:>6}{c[None]:>5}")
    # soft coverage targets from the brief
    def want(cond, msg):
        if not cond:
            warnings.append(f"{name}: {msg}")
    want(total >= min_lines, f"only {total} lines (< {min_lines})")
    for d in DOMAINS:
        want(dom[d] >= min_domain, f"domain {d} has {dom[d]} (< {min_domain})")
    want(sty["paraphrase"] >= 0.20 * total, f"paraphrase {sty['paraphrase']} < 20%")
    want(sty["negation"] >= 0.10 * total, f"negation {sty['negation']} < 10%")
    want(0.07 * total <= sty["multi_turn"] <= 0.15 * total, f"multi_turn {sty['multi_turn']} not ~10%")
    want(need["other"] >= 0.10 * total, f"other {need['other']} < 10%")
    want(hand["null"] < 0.05 * total, f"null handoff {hand['null']} >= 5%")
    want(0.30 * total <= hand["true"] <= 0.40 * total, f"handoff=true {hand['true']} not ~35%")
    for s in STYLES:
        want(sty[s] > 0, f"style {s} unused")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.9, help="difflib ratio for near-duplicates")
    args = ap.parse_args()
    errors, warnings, per_file = [], [], []
    for fname, prefix, min_lines, min_domain in FILES:
        path = HERE / fname
        if not path.exists():
            errors.append(f"missing {fname}")
            continue
        per_file.append((fname, validate_file(path, prefix, errors), min_lines, min_domain))
    all_recs = [r for _, recs, _, _ in per_file for r in recs]
    near = check_duplicates(all_recs, args.threshold, errors)
    for fname, recs, min_lines, min_domain in per_file:
        report(fname, recs, min_lines, min_domain, warnings)
    print(f"\nnear-duplicate pairs at ratio >= {args.threshold}: {near}")
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("ERROR", e)
    print(f"\n{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
