"""Per-turn cost of a shadow policy, against the same engine without one, in one run.

Three engines check the same conversations (the dev set's customer turns, each turn a check of
the conversation so far, as a chatbot sends them):

- **no shadow**: the baseline;
- **shadow, same registry**: the shipped registry as its own candidate (the cost of a second
  check and the comparison; nothing differs, so nothing is written);
- **shadow, overlay**: a candidate that disables a friction segment and hands every how-to
  question to a person, with an audit log taking the differing turns.

The engines take turns conversation by conversation, so a slower stretch of the machine lands on
all three. Prints p50 / p99 and the ratio to the baseline; never asserts on time.

    python benchmarks/bench_shadow.py          # full run
    python benchmarks/bench_shadow.py --quick  # CI smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from guardrail import Guardrail, Registry
from guardrail.need.model import NeedModel

ROOT = Path(__file__).resolve().parent.parent
OVERLAY = """
extends: default
disable:
  - segment: self_serve_failed
    reason: Trial - does the friction segment help?
segments:
  - id: how_to_to_person
    purpose: Trial - how-to questions go to a person and cannot open tickets.
    tier: runtime
    need_state: how_to
    entry: {description: A how-to question., any: [{need_state: how_to}]}
    exit: {description: The need changes.}
    routing: {queue: general_support, priority: normal}
    tools: {denied: [create_ticket]}
    escalation: {hard: [{always: true}]}
    success_metrics: [trial]
    owner: bench
    last_reviewed: 2026-12-01
"""


def conversations(count: int) -> list[list[dict[str, Any]]]:
    """Each dev conversation as the payloads of its customer turns."""
    out = []
    for line in (ROOT / "evals" / "dev" / "dev.jsonl").read_text("utf-8").splitlines()[:count]:
        case = json.loads(line)
        messages = case["messages"]
        out.append([{"id": case["id"], "messages": messages[:end]}
                    for end, m in enumerate(messages, start=1) if m["role"] == "user"])
    return out


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny run (CI smoke)")
    args = parser.parse_args()
    rounds = 1 if args.quick else 6
    convs = conversations(40 if args.quick else 515)
    registry, model = Registry.default(), NeedModel.default()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / "candidate"
        candidate.mkdir()
        (candidate / "00-overlay.yaml").write_text(OVERLAY, "utf-8")
        engines = {
            "no shadow": lambda: Guardrail(registry, need_model=model),
            "shadow, same registry": lambda: Guardrail(registry, need_model=model,
                                                       shadow=registry),
            "shadow, overlay + audit": lambda: Guardrail(
                registry, need_model=model, shadow=candidate,
                shadow_audit=Path(folder) / "shadow.jsonl"),
        }
        samples: dict[str, list[float]] = {name: [] for name in engines}
        differed = 0
        for round_ in range(rounds):
            # Fresh engines each round: every conversation is new to them (a real first turn).
            guards = {name: make() for name, make in engines.items()}
            for turns in convs:
                for name, guard in guards.items():
                    for turn in turns:
                        turn = {**turn, "id": f"{turn['id']}-{round_}"}
                        start = time.perf_counter_ns()
                        guard.check(turn)
                        samples[name].append((time.perf_counter_ns() - start) / 1000)
            shadow = guards["shadow, overlay + audit"].shadow
            differed += shadow.differed if shadow is not None else 0
    checks = len(samples["no shadow"])
    print(f"{checks} checks per engine ({len(convs)} dev conversations x {rounds} rounds); "
          f"the overlay differed on {differed} turns\n")
    base50, base99 = _percentiles(samples["no shadow"])
    print(f"{'engine':<26}{'p50 us':>10}{'p99 us':>10}{'p50 x':>8}{'p99 x':>8}")
    for name, own in samples.items():
        p50, p99 = _percentiles(own)
        print(f"{name:<26}{p50:>10.0f}{p99:>10.0f}{p50 / base50:>8.2f}{p99 / base99:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
