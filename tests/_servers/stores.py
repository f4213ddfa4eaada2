"""History stores of each backend for tests: in memory, on a real SQLite file, on a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from guardrail.history import HistoryStore, MemoryStore, RedisStore, SQLiteStore

__all__ = ["BACKENDS", "StoreFactory", "store_factory"]

BACKENDS = ["memory", "sqlite", "redis"]

StoreFactory = Callable[..., HistoryStore]


@contextmanager
def store_factory(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                  prefix: str) -> Iterator[StoreFactory]:
    """Makes stores of `backend` (all on one file / key prefix within a test; Redis from the
    test module's ``redis_url`` fixture), closed on exit."""
    url = request.getfixturevalue("redis_url") if backend == "redis" else ""
    made: list[HistoryStore] = []

    def make(**options: Any) -> HistoryStore:
        store: HistoryStore
        if backend == "memory":
            store = MemoryStore(**options)
        elif backend == "sqlite":
            store = SQLiteStore(tmp_path / "history.db", **options)
        else:
            store = RedisStore(url, prefix=prefix, **options)
        made.append(store)
        return store

    try:
        yield make
    finally:
        for store in made:
            store.close()
