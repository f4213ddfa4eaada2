"""Assemble hand-written entries from src/ into dev2.jsonl (shuffle with fixed seed, assign ids)."""
import json, random, sys
from pathlib import Path
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from src import common  # noqa
from src import t_dispute, t_takeover, t_lockout, t_human, t_legal_safety  # noqa
from src import f_billing, f_access, f_other, f_general, multi, t_extra  # noqa

entries = list(common.ENTRIES)
random.Random(20240611).shuffle(entries)
out = []
for i, e in enumerate(entries, 1):
    c = e["content"]
    if isinstance(c, str):
        msgs = [{"role": "user", "content": c}]
    else:
        msgs = [{"role": "user" if j % 2 == 0 else "assistant", "content": t} for j, t in enumerate(c)]
    out.append({
        "id": f"dev2-{i:04d}",
        "messages": msgs,
        "expected_need_state": e["ns"],
        "expected_handoff": e["ho"],
        "meta": {"domain": e["dom"], "style": e["style"], "why": f"{e['kind']}: {e['why']}"},
    })
with open(HERE / "dev2.jsonl", "w", encoding="utf-8") as f:
    for o in out:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
print(len(out), "lines written")
