"""Build dev3.jsonl from the hand-written rows in data_a..data_e.py."""
import json, random, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data_a, data_b, data_c, data_d, data_e

NEED = {"AR": "access_restore", "BI": "billing", "IN": "incident", "HT": "how_to",
        "PC": "policy_compliance", "AC": "account_change", "OT": "other"}
TRIGGERS = {"dispute", "takeover", "lockout", "legal", "safety", "human"}

rows = data_a.ROWS + data_b.ROWS + data_c.ROWS + data_d.ROWS + data_e.ROWS
random.Random(20240603).shuffle(rows)
out = []
for i, (domain, style, need, why, text) in enumerate(rows, 1):
    kind = why.split(":", 1)[0]
    handoff = True if kind in TRIGGERS else (None if kind == "unclear" else False)
    if isinstance(text, str):
        msgs = [{"role": "user", "content": text}]
    else:
        msgs = [{"role": "user" if j % 2 == 0 else "assistant", "content": t} for j, t in enumerate(text)]
    out.append({"id": f"dev3-{i:04d}", "messages": msgs, "expected_need_state": NEED[need],
                "expected_handoff": handoff, "meta": {"domain": domain, "style": style, "why": why}})
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "dev3.jsonl"), "w") as f:
    for o in out:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
print(len(out), "rows written")
