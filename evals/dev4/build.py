"""Builds dev4.jsonl from part_true.py and part_false.py (deterministic shuffle)."""
import json, random
import part_true, part_false, part_more

items = part_true.ITEMS + part_more.ITEMS + part_false.ITEMS
random.Random(4).shuffle(items)
with open("dev4.jsonl", "w", encoding="utf-8") as f:
    for i, (need, h, dom, style, why, text) in enumerate(items, 1):
        if isinstance(text, str):
            msgs = [{"role": "user", "content": text}]
        else:
            msgs = [{"role": "user" if j % 2 == 0 else "assistant", "content": t} for j, t in enumerate(text)]
        rec = {"id": f"dev4-{i:04d}", "messages": msgs, "expected_need_state": need,
               "expected_handoff": h, "meta": {"domain": dom, "style": style, "why": why}}
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
print(len(items), "written")
