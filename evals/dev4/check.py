"""Validate dev4.jsonl and print distribution counts."""
import json, sys, re
from collections import Counter

PATH = sys.argv[1] if len(sys.argv) > 1 else "dev4.jsonl"
NEEDS = {"access_restore", "billing", "incident", "how_to", "policy_compliance", "account_change", "other"}
KINDS = {"dispute", "takeover", "lockout", "legal", "safety", "human", "none", "unclear"}
TRUE_KINDS = KINDS - {"none", "unclear"}
DOMAINS = {"banking", "telecom", "saas", "ecommerce", "utilities", "travel", "insurance",
           "healthcare", "government", "gaming", "delivery"}
STYLES = {"sms", "formal", "elderly", "distressed"}
TOP_KEYS = {"id", "messages", "expected_need_state", "expected_handoff", "meta"}
META_KEYS = {"domain", "style", "why"}

errors, recs = [], []
with open(PATH, encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        def err(m): errors.append(f"line {ln}: {m}")
        if not line.strip():
            err("blank line"); continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            err(f"invalid JSON: {e}"); continue
        if not isinstance(r, dict) or set(r) != TOP_KEYS:
            err(f"keys {sorted(r) if isinstance(r, dict) else type(r)} != {sorted(TOP_KEYS)}"); continue
        if r["id"] != f"dev4-{ln:04d}":
            err(f"id {r['id']!r} not sequential (expected dev4-{ln:04d})")
        m = r["messages"]
        if not isinstance(m, list) or not m or len(m) % 2 == 0:
            err("messages must be a non-empty odd-length list ending with user")
        else:
            for j, msg in enumerate(m):
                if not isinstance(msg, dict) or set(msg) != {"role", "content"}:
                    err(f"message {j} keys wrong"); continue
                want = "user" if j % 2 == 0 else "assistant"
                if msg["role"] != want:
                    err(f"message {j} role {msg['role']!r}, expected {want}")
                if not isinstance(msg["content"], str) or not msg["content"].strip():
                    err(f"message {j} empty content")
        if r["expected_need_state"] not in NEEDS:
            err(f"bad need_state {r['expected_need_state']!r}")
        meta = r["meta"]
        if not isinstance(meta, dict) or set(meta) != META_KEYS:
            err(f"meta keys wrong: {meta}"); continue
        if meta["domain"] not in DOMAINS:
            err(f"bad domain {meta['domain']!r}")
        st = meta["style"]
        if not (st in STYLES or re.fullmatch(r"non_native/[a-z]+", st or "")):
            err(f"bad style {st!r}")
        kind = meta["why"].split(":", 1)[0].strip() if isinstance(meta["why"], str) else None
        if kind not in KINDS or ":" not in meta["why"]:
            err(f"why must start with '<kind>:' where kind in {sorted(KINDS)}: {meta['why']!r}")
        h = r["expected_handoff"]
        if kind == "unclear":
            if h is not None: err("unclear must have expected_handoff null")
        elif kind == "none":
            if h is not False: err("none must have expected_handoff false")
        elif kind in TRUE_KINDS:
            if h is not True: err(f"{kind} must have expected_handoff true")
        recs.append((r, kind))

def norm(r):
    return " || ".join(re.sub(r"\s+", " ", x["content"].strip().lower()) for x in r["messages"])
dup = [t for t, c in Counter(norm(r) for r, _ in recs).items() if c > 1]
for t in dup: errors.append(f"duplicate text: {t[:80]!r}")
# also flag identical final user turns
lastdup = [t for t, c in Counter(re.sub(r"\s+", " ", r["messages"][-1]["content"].strip().lower()) for r, _ in recs).items() if c > 1]
for t in lastdup: errors.append(f"duplicate final user turn: {t[:80]!r}")

n = len(recs)
print(f"records: {n}")
if n < 300: errors.append(f"only {n} records (< 300)")
unc = sum(1 for _, k in recs if k == "unclear")
if n and unc / n >= 0.03: errors.append(f"unclear share {unc/n:.1%} >= 3%")

def show(title, c):
    print(f"\n{title}:")
    for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        print(f"  {str(k):22s} {v:4d}  ({v/n:.1%})")
show("handoff", Counter(r["expected_handoff"] for r, _ in recs))
show("trigger kind", Counter(k for _, k in recs))
show("need_state", Counter(r["expected_need_state"] for r, _ in recs))
show("domain", Counter(r["meta"]["domain"] for r, _ in recs))
show("style", Counter(r["meta"]["style"].split("/")[0] for r, _ in recs))
show("non_native L1", Counter(r["meta"]["style"].split("/")[1] for r, _ in recs if "/" in r["meta"]["style"]))
show("turns", Counter("multi" if len(r["messages"]) > 1 else "single" for r, _ in recs))
show("need_state x handoff", Counter(f"{r['expected_need_state']}/{r['expected_handoff']}" for r, _ in recs))

if errors:
    print(f"\nFAIL: {len(errors)} problem(s)")
    for e in errors[:50]: print("  " + e)
    sys.exit(1)
print("\nOK: all checks passed")
