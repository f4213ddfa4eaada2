#!/usr/bin/env python3
"""Build exemplars_a.jsonl from the hand-written sources in src_a/<need_state>.txt.

Each source line is "<domain> <message>"; lines starting with '#' are comments.
Also writes exemplars_a_domains.tsv (id, need_state, domain) for reporting only.
"""
import json, random, pathlib

HERE = pathlib.Path(__file__).resolve().parent
LABELS = ["access_restore", "billing", "incident", "how_to",
          "policy_compliance", "account_change", "other"]
DOMAINS = {"saas", "ecom", "telecom", "bank", "util", "travel",
           "ins", "game", "health", "edu", "gen"}

rows = []
for label in LABELS:
    for n, line in enumerate((HERE / "src_a" / f"{label}.txt").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        domain, text = line.split(" ", 1)
        assert domain in DOMAINS, (label, n, domain)
        rows.append((label, domain, text.strip()))

random.Random(20240601).shuffle(rows)
with open(HERE / "exemplars_a.jsonl", "w", encoding="utf-8") as f, \
     open(HERE / "exemplars_a_domains.tsv", "w", encoding="utf-8") as g:
    g.write("id\tneed_state\tdomain\n")
    for i, (label, domain, text) in enumerate(rows, 1):
        rid = f"tra-{i:04d}"
        f.write(json.dumps({"id": rid, "messages": [{"role": "user", "content": text}],
                            "need_state": label}, ensure_ascii=False) + "\n")
        g.write(f"{rid}\t{label}\t{domain}\n")
print(f"wrote {len(rows)} rows")
