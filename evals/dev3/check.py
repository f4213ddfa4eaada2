"""Validate evals/dev3/dev3.jsonl and print label counts.

Checks: every line is valid JSON; exact top-level keys and meta keys; message
structure (roles alternate user/assistant starting and ending with user, 1 or
2-5 turns, non-empty strings); need-state and handoff in vocabulary; meta.why
starts with a known trigger kind and agrees with expected_handoff; ids unique
and sequential (dev3-0001...); no duplicate message texts (case/space-folded).
Exit status 1 on any error.
"""
import collections, json, re, sys, os

PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "dev3.jsonl")
NEED_STATES = {"access_restore", "billing", "incident", "how_to", "policy_compliance", "account_change", "other"}
TRIGGERS = {"dispute", "takeover", "lockout", "legal", "safety", "human"}
KINDS = TRIGGERS | {"none", "unclear"}
DOMAINS = {"saas", "e-commerce", "telecom", "banking", "fintech", "utilities", "travel",
           "insurance", "gaming", "healthcare", "education", "delivery"}
TOP_KEYS = {"id", "messages", "expected_need_state", "expected_handoff", "meta"}
META_KEYS = {"domain", "style", "why"}

errors = []
rows = []
with open(PATH, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        if not line.strip():
            errors.append(f"line {n}: blank line"); continue
        try:
            o = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: invalid JSON: {e}"); continue
        if not isinstance(o, dict) or set(o) != TOP_KEYS:
            errors.append(f"line {n}: keys {sorted(o) if isinstance(o, dict) else type(o)} != {sorted(TOP_KEYS)}"); continue
        rows.append((n, o))

seen_text = {}
kind_c, need_c, hand_c, dom_c, style_c = (collections.Counter() for _ in range(5))
kind_hand = collections.Counter()
multi = 0
for idx, (n, o) in enumerate(rows, 1):
    want_id = f"dev3-{idx:04d}"
    if o["id"] != want_id:
        errors.append(f"line {n}: id {o['id']!r}, expected {want_id!r}")
    msgs = o["messages"]
    if not isinstance(msgs, list) or not msgs:
        errors.append(f"line {n}: messages must be a non-empty list"); continue
    if len(msgs) > 1 and not (2 <= len(msgs) <= 5):
        errors.append(f"line {n}: multi-turn length {len(msgs)} not in 2-5")
    for j, m in enumerate(msgs):
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            errors.append(f"line {n}: message {j} keys wrong"); continue
        want_role = "user" if j % 2 == 0 else "assistant"
        if m["role"] != want_role:
            errors.append(f"line {n}: message {j} role {m['role']!r}, expected {want_role!r}")
        if not isinstance(m["content"], str) or not m["content"].strip():
            errors.append(f"line {n}: message {j} empty content")
    if msgs[-1].get("role") != "user":
        errors.append(f"line {n}: conversation must end with a user message")
    if len(msgs) > 1:
        multi += 1
    key = re.sub(r"\s+", " ", " || ".join(str(m.get("content", "")) for m in msgs).strip().lower())
    if key in seen_text:
        errors.append(f"line {n}: duplicate text of line {seen_text[key]}")
    seen_text[key] = n
    last_user = re.sub(r"\s+", " ", msgs[-1].get("content", "").strip().lower())
    ns = o["expected_need_state"]
    if ns not in NEED_STATES:
        errors.append(f"line {n}: need-state {ns!r} not in vocabulary")
    h = o["expected_handoff"]
    if h not in (True, False, None):
        errors.append(f"line {n}: expected_handoff {h!r} must be true/false/null")
    meta = o["meta"]
    if not isinstance(meta, dict) or set(meta) != META_KEYS:
        errors.append(f"line {n}: meta keys {sorted(meta) if isinstance(meta, dict) else meta} != {sorted(META_KEYS)}"); continue
    if meta["domain"] not in DOMAINS:
        errors.append(f"line {n}: domain {meta['domain']!r} unknown")
    if not isinstance(meta["style"], str) or not meta["style"]:
        errors.append(f"line {n}: empty style")
    if (meta["style"] == "multi_turn") != (len(msgs) > 1):
        errors.append(f"line {n}: style multi_turn iff several messages")
    why = meta["why"]
    m = re.match(r"^([a-z]+):\s*\S", why or "")
    kind = m.group(1) if m else None
    if kind not in KINDS:
        errors.append(f"line {n}: why {why!r} does not start with a known kind + ':'"); continue
    want_h = True if kind in TRIGGERS else (None if kind == "unclear" else False)
    if h is not want_h:
        errors.append(f"line {n}: why kind {kind!r} implies handoff {want_h}, got {h}")
    kind_c[kind] += 1; need_c[ns] += 1; hand_c[h] += 1
    dom_c[meta["domain"]] += 1; style_c[meta["style"]] += 1
    kind_hand[(kind, ns)] += 1

total = len(rows)
if total == 0:
    print("no valid rows"); [print("  " + e) for e in errors]; sys.exit(1)
if total < 420:
    errors.append(f"only {total} rows, need >= 420")
if kind_c["unclear"] >= 0.03 * total:
    errors.append(f"unclear rows {kind_c['unclear']} not under 3% of {total}")

def show(title, c):
    print(f"\n{title}")
    for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        print(f"  {str(k):20s} {v:4d}  {100*v/total:5.1f}%")

print(f"rows: {total}   multi-turn: {multi} ({100*multi/total:.1f}%)")
show("trigger kind (meta.why prefix)", kind_c)
show("expected_handoff", hand_c)
show("expected_need_state", need_c)
show("domain", dom_c)
show("style", style_c)
print("\nneed-state by trigger kind")
kinds = ["dispute", "takeover", "lockout", "legal", "safety", "human", "none", "unclear"]
print("  " + " " * 18 + "".join(f"{k[:8]:>9s}" for k in kinds))
for ns in sorted(NEED_STATES):
    print(f"  {ns:18s}" + "".join(f"{kind_hand[(k, ns)]:9d}" for k in kinds))

if errors:
    print(f"\n{len(errors)} ERROR(S):")
    for e in errors[:200]:
        print("  " + e)
    sys.exit(1)
print("\nOK: all checks passed")
