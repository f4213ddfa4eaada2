#!/usr/bin/env python3
"""Assemble the hand-written items in src/ into dev.jsonl and holdout.jsonl.

Only assembles, shuffles (fixed seed) and numbers; every message text lives
verbatim in src/dev_*.py and src/hold_*.py.
"""
import importlib
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOMAINS = ["saas", "ecommerce", "telecom", "fintech", "banking", "general"]


def load(prefix):
    rows = []
    for d in DOMAINS:
        try:
            mod = importlib.import_module(f"src.{prefix}_{d}")
        except ModuleNotFoundError:
            continue
        assert d == mod.DOMAIN
        for item in mod.ITEMS:
            style, need, handoff, why, text = item
            if isinstance(text, str):
                messages = [{"role": "user", "content": text}]
            else:
                messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": t}
                            for i, t in enumerate(text)]
            rows.append({"messages": messages, "expected_need_state": need,
                         "expected_handoff": handoff,
                         "meta": {"domain": d, "style": style, "why": why}})
    return rows


def write(rows, path, id_prefix, seed):
    random.Random(seed).shuffle(rows)
    with open(path, "w", encoding="utf-8") as fh:
        for n, r in enumerate(rows, 1):
            out = {"id": f"{id_prefix}-{n:04d}", **r}
            fh.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} lines to {path.name}")


if __name__ == "__main__":
    import sys
    sys.path.insert(0, str(HERE))
    write(load("dev"), HERE / "dev.jsonl", "dev", 20240611)
    write(load("hold"), HERE / "holdout.jsonl", "hold", 977)
