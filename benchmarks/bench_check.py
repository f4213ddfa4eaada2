"""Per-turn cost of Guardrail.check, measured against a baseline in the same run.

The baseline is the floor every turn pays anyway: validating the conversation with pydantic.
Prints a table; never asserts on time (shared machines make timed asserts flaky).

    python benchmarks/bench_check.py          # full run
    python benchmarks/bench_check.py --quick  # CI smoke run
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from guardrail import Conversation, Guardrail, Message
from guardrail.batch import BatchResult, classify_lines

ROOT = Path(__file__).resolve().parent.parent
SHORT = "I was charged twice for my subscription this month and I want it sorted"
LONG = (
    "Hello, I have been a customer for years and I am writing because something odd happened. "
    * 22
)[:2000] + " Also there's a payment on my statement I never made."


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return statistics.median(ordered), pick(0.95), pick(0.99)


def _time_each(fn: Callable[[int], object], repeats: int) -> list[float]:
    samples = []
    for i in range(repeats):
        start = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def varied_messages(path: Path, count: int, size: int = 2000) -> list[str]:
    """`count` different messages of `size` characters made of real customer lines (a window
    over the file that starts one line later each time), so no two checks see the same text."""
    lines = []
    for raw in path.read_bytes().splitlines():
        data = json.loads(raw)
        lines.extend(m["content"] for m in data["messages"] if m["role"] == "user")
    out = []
    for start in range(count):
        text, i = "", start
        while len(text) < size:
            text += lines[i % len(lines)] + " "
            i += 1
        out.append(text[:size])
    return out


def _payload(text: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}]}


def per_turn(guard: Guardrail, repeats: int, varied: list[str]) -> None:
    """Per-check cost: the same short and long message again and again, and a different real
    2,000-character message every check (caches warm from the traffic before, as in service)."""
    print(f"{'case':<46}{'p50 us':>10}{'p95 us':>10}{'p99 us':>10}")
    cases: list[tuple[str, Callable[[int], dict[str, object]]]] = [
        ("short message (72 chars)", lambda i: _payload(SHORT)),
        ("long message (2,000 chars, repeated text)", lambda i: _payload(LONG)),
        ("2,000 chars of real lines, new each check",
         lambda i: _payload(varied[i % len(varied)])),
    ]
    for name, payload in cases:
        base = _time_each(lambda i, p=payload: Conversation.model_validate(p(i)), repeats)
        full = _time_each(lambda i, p=payload: guard.check(p(i)), repeats)
        for label, samples in ((f"validate, {name}", base), (f"check, {name}", full)):
            p50, p95, p99 = _percentiles(samples)
            print(f"{label:<46}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}")


def turn_n(guard: Guardrail, turns: list[int]) -> None:
    """Grow one conversation turn by turn, as a chatbot does, and time the checks at turn N.

    Each turn adds an assistant reply and a user message and checks the whole conversation
    (same id), so only the new text is scanned. The caller keeps its history as validated
    messages and validates only the new ones (re-validating 2,000 messages before every check
    would add its own millisecond and run each check on caches it cooled). The median of five
    turns around N is shown, with Python's cyclic GC on (what an application sees: collections
    triggered by the caller's own growing history land inside some checks) and off (guardrail's
    own work per turn).
    """
    print(f"\n{'turn N (id-keyed, incremental)':<34}{'us, gc on':>12}{'ratio':>8}"
          f"{'us, gc off':>12}{'ratio':>8}")
    last = max(turns)
    columns = []
    for collect in (True, False):
        messages: list[Message] = []
        timings: list[float] = []
        for turn in range(1, last + 5):
            if messages:
                messages.append(Message(role="assistant", content="Here is how to do that."))
            text = SHORT if turn % 2 else "a question about my invoice layout"
            messages.append(Message(role="user", content=text))
            # Every message is already validated: the conversation is only assembled.
            conversation = Conversation.model_construct(
                id=f"bench-turns-{collect}", messages=list(messages)
            )
            if not collect:
                gc.disable()
            start = time.perf_counter_ns()
            guard.check(conversation)
            timings.append((time.perf_counter_ns() - start) / 1000)
            gc.enable()
        columns.append(timings)
    firsts = [statistics.median(t[0:5]) for t in columns]
    for n in turns:
        costs = [statistics.median(t[n - 1 : n + 4]) for t in columns]
        print(f"{'turn ' + str(n):<34}{costs[0]:>12.1f}{costs[0] / firsts[0]:>7.2f}x"
              f"{costs[1]:>12.1f}{costs[1] / firsts[1]:>7.2f}x")


def throughput(guard: Guardrail, path: Path, limit: int) -> None:
    lines = path.read_bytes().splitlines()[:limit]
    result = BatchResult()
    start = time.perf_counter()
    for _ in classify_lines(guard, lines, result):
        pass
    elapsed = time.perf_counter() - start
    base_start = time.perf_counter()
    for line in lines:
        data = json.loads(line)
        Conversation.model_validate({"messages": data["messages"]})
    base = time.perf_counter() - base_start
    print(f"\nbatch classify: {result.lines} lines in {elapsed:.2f}s = "
          f"{result.lines / elapsed:,.0f} lines/s (baseline parse+validate: "
          f"{result.lines / base:,.0f} lines/s)")


def memory_per_conversation(guard_factory: Callable[[], Guardrail], count: int) -> None:
    """Memory the engine keeps per active conversation (its incremental state), by tracemalloc:
    `count` conversations of three user turns, measured after the conversation objects the
    caller holds are gone."""
    import tracemalloc

    guard = guard_factory()
    guard.check({"messages": [{"role": "user", "content": "warm up"}]})
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(count):
        turns = [SHORT, "ok, and what happens next?", "thanks, please sort it out"]
        for end in range(1, 4):
            guard.check({"id": f"mem-{i}", "messages": [
                {"role": "user", "content": t} for t in turns[:end]]})
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    print(f"memory per active conversation ({count} conversations, 3 turns): "
          f"{grown / count / 1024:.1f} KiB (state bounded by max_conversations)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sample for a CI smoke run")
    args = parser.parse_args()
    data = ROOT.parent / "shared" / "data" / "banking77" / "train.jsonl"
    if not data.exists():
        data = ROOT / "evals" / "examples.jsonl"
    # Real customer lines: Banking77 beside the checkout, else a dev set shipped in the repo.
    lines = data if data.name == "train.jsonl" else ROOT / "evals" / "dev4" / "dev4.jsonl"
    varied = varied_messages(lines, 200 if args.quick else 3000)
    for label, model in (("rules + learned need model (default)", "default"),
                         ("rules only (need_model=None)", None)):
        print(f"\n=== {label} ===")
        guard = Guardrail(need_model=model)
        guard.check({"messages": [{"role": "user", "content": "warm up"}]})
        per_turn(guard, 200 if args.quick else 3000, varied)
        turn_n(guard, [1, 10, 100] if args.quick else [1, 10, 100, 1000])
        throughput(guard, data, 500 if args.quick else 10_000)
        memory_per_conversation(lambda m=model: Guardrail(need_model=m),
                                100 if args.quick else 2000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
