"""Validate dev2.jsonl and print label/coverage counts.

Usage: python3 check.py [path]   (exit 1 on any error)
"""
import json, re, sys
from collections import Counter
from pathlib import Path

PATH = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "dev2.jsonl"
NEED = {"access_restore", "billing", "incident", "how_to", "policy_compliance", "account_change", "other"}
DOMAINS = {"saas", "ecommerce", "telecom", "banking", "utilities", "travel", "insurance", "gaming", "general"}
STYLES = {"paraphrase", "indirect", "story", "fragment", "question", "slang", "non_native", "regional",
          "typo", "caps", "emoji", "multi_turn", "negation", "perspective", "near_miss"}
KINDS = {"dispute", "takeover", "lockout", "human", "legal", "safety", "none", "unclear"}
TOP = ["id", "messages", "expected_need_state", "expected_handoff", "meta"]
META = {"domain", "style", "why"}

errors = []
def err(n, msg):
    errors.append(f"line {n}: {msg}")

def norm(s):
    return re.sub(r"\s+", " ", s.strip().lower())

rows, seen = [], {}
raw = PATH.read_bytes()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"not UTF-8: {e}")
lines = text.split("\n")
if lines and lines[-1] == "":
    lines.pop()
for n, line in enumerate(lines, 1):
    try:
        o = json.loads(line)
    except json.JSONDecodeError as e:
        err(n, f"invalid JSON: {e}"); continue
    if not isinstance(o, dict) or list(o.keys()) != TOP:
        err(n, f"keys must be exactly {TOP} (in order), got {list(o) if isinstance(o, dict) else type(o)}"); continue
    if o["id"] != f"dev2-{n:04d}":
        err(n, f"id {o['id']!r} not sequential (expected dev2-{n:04d})")
    msgs = o["messages"]
    if not isinstance(msgs, list) or not msgs:
        err(n, "messages must be a non-empty list"); continue
    ok = True
    for j, m in enumerate(msgs):
        want = "user" if j % 2 == 0 else "assistant"
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            err(n, f"message {j} must have exactly role/content"); ok = False; continue
        if m["role"] != want:
            err(n, f"message {j} role {m['role']!r}, expected {want!r} (alternating, user first)"); ok = False
        if not isinstance(m["content"], str) or not m["content"].strip():
            err(n, f"message {j} empty content"); ok = False
    if msgs[-1].get("role") != "user":
        err(n, "conversation must end with a user turn")
    if len(msgs) > 5:
        err(n, "more than 5 messages")
    if o["expected_need_state"] not in NEED:
        err(n, f"bad need-state {o['expected_need_state']!r}")
    if o["expected_handoff"] not in (True, False, None) or isinstance(o["expected_handoff"], int) and not isinstance(o["expected_handoff"], bool):
        err(n, f"bad handoff {o['expected_handoff']!r}")
    meta = o["meta"]
    if not isinstance(meta, dict) or set(meta) != META:
        err(n, f"meta keys must be exactly {sorted(META)}"); continue
    if meta["domain"] not in DOMAINS:
        err(n, f"bad domain {meta['domain']!r}")
    if meta["style"] not in STYLES:
        err(n, f"bad style {meta['style']!r}")
    if (meta["style"] == "multi_turn") != (len(msgs) > 1):
        err(n, "style multi_turn iff more than one message")
    kind = meta["why"].split(":", 1)[0]
    if kind not in KINDS or ":" not in meta["why"]:
        err(n, f"why must start with '<kind>: ' where kind in {sorted(KINDS)}")
    else:
        if kind == "none" and o["expected_handoff"] is not False:
            err(n, "kind none requires handoff false")
        if kind == "unclear" and o["expected_handoff"] is not None:
            err(n, "kind unclear requires handoff null")
        if kind not in ("none", "unclear") and o["expected_handoff"] is not True:
            err(n, f"trigger kind {kind} requires handoff true")
    key = norm(" || ".join(m["content"] for m in msgs if ok))
    if key in seen:
        err(n, f"duplicate text of line {seen[key]}")
    seen[key] = n
    # also flag duplicate individual user turns across lines
    rows.append((o, kind))

user_seen = {}
for o, _ in rows:
    for m in o["messages"]:
        if m["role"] == "user":
            k = norm(m["content"])
            if k in user_seen and user_seen[k] != o["id"]:
                errors.append(f"{o['id']}: user turn duplicates one in {user_seen[k]}")
            user_seen.setdefault(k, o["id"])

if errors:
    print("\n".join(errors))
    print(f"\nFAILED: {len(errors)} error(s)")
    sys.exit(1)

N = len(rows)
print(f"OK: {N} lines, all checks passed\n")
hcount = Counter(str(o["expected_handoff"]).lower() for o, _ in rows)
print("handoff:", dict(hcount), f"(true = {hcount['true']/N:.1%}, null = {hcount['none']/N:.1%})")

def table(title, pairs):
    print(f"\n{title}")
    for k, v in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:<22}{v:>4}")

ns = sorted(NEED)
print("\nneed-state x handoff")
print(f"  {'':<20}{'true':>6}{'false':>7}{'null':>6}{'total':>7}")
for s in ns:
    c = Counter(str(o["expected_handoff"]).lower() for o, _ in rows if o["expected_need_state"] == s)
    print(f"  {s:<20}{c['true']:>6}{c['false']:>7}{c['none']:>6}{sum(c.values()):>7}")
table("trigger kinds (from meta.why prefix)", Counter(k for _, k in rows))
table("domains", Counter(o["meta"]["domain"] for o, _ in rows))
table("styles", Counter(o["meta"]["style"] for o, _ in rows))
mt = [o for o, _ in rows if len(o["messages"]) > 1]
print(f"\nmulti-turn: {len(mt)} ({len(mt)/N:.1%}); true {sum(o['expected_handoff'] is True for o in mt)}, "
      f"false {sum(o['expected_handoff'] is False for o in mt)}")
