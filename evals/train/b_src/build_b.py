"""Assemble b_src/*.py into ../exemplars_b.jsonl (+ a domain sidecar).

Run from anywhere:  python3 /work/main/evals/train/b_src/build_b.py
"""
import importlib.util
import json
import random
from pathlib import Path

SRC = Path(__file__).resolve().parent
OUT_DIR = SRC.parent
MODULES = ["access_restore", "billing", "incident", "how_to",
           "policy_compliance", "account_change", "other"]


def load(name):
    spec = importlib.util.spec_from_file_location(f"b_{name}", SRC / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.LABEL == name, (mod.LABEL, name)
    return mod.LABEL, mod.DATA


def to_messages(content):
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    assert isinstance(content, list) and len(content) == 3, content
    roles = ["user", "assistant", "user"]
    return [{"role": r, "content": c} for r, c in zip(roles, content)]


def main():
    rows = []
    for name in MODULES:
        label, data = load(name)
        for domain, content in data:
            rows.append((domain, label, to_messages(content)))
    # deterministic shuffle so labels/domains are interleaved
    random.Random(731).shuffle(rows)
    with open(OUT_DIR / "exemplars_b.jsonl", "w", encoding="utf-8") as f, \
         open(OUT_DIR / "exemplars_b.domains.tsv", "w", encoding="utf-8") as g:
        g.write("id\tdomain\tneed_state\tn_messages\n")
        for i, (domain, label, msgs) in enumerate(rows, 1):
            rid = f"trb-{i:04d}"
            obj = {"id": rid, "messages": msgs, "need_state": label}
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
            g.write(f"{rid}\t{domain}\t{label}\t{len(msgs)}\n")
    print(f"wrote {len(rows)} rows")


if __name__ == "__main__":
    main()
