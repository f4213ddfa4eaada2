"""`open_store`: the history store a deployment names in one URL setting."""

from __future__ import annotations

from datetime import timedelta

from guardrail.errors import UserError
from guardrail.history.memory import MemoryStore
from guardrail.history.redis import RedisStore
from guardrail.history.sqlite import SQLiteStore
from guardrail.history.store import DEFAULT_TIMEOUT, HistoryStore

__all__ = ["open_store"]

_SCHEMES = "memory://, sqlite:///absolute/path.db, sqlite://relative/path.db, redis://, rediss://"


def open_store(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, retention: timedelta | None = None
) -> HistoryStore:
    """The history store `url` names.

    ====================================  ====================================================
    ``memory://``                         `MemoryStore` (this process only)
    ``sqlite:///var/lib/guardrail/h.db``  `SQLiteStore` at the absolute path ``/var/lib/...``
    ``sqlite://data/h.db``                `SQLiteStore` at ``data/h.db``, relative to the
                                          working directory
    ``redis://host:6379/0``               `RedisStore` (``rediss://`` for TLS)
    ====================================  ====================================================

    Args:
        url: one of the forms above.
        timeout: seconds one store call may take before `StoreTimeoutError`.
        retention: how long events are kept; None keeps them until `purge`.

    Raises:
        UserError: any other URL; the message lists the accepted forms.
        StoreError: the SQLite file cannot be opened or is not a history store.
    """
    if not isinstance(url, str):
        raise UserError(f"a store URL must be a string, got {type(url).__name__}")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme == "memory" and not rest:
        return MemoryStore(timeout=timeout, retention=retention)
    if sep and scheme == "sqlite" and rest:
        return SQLiteStore(rest, timeout=timeout, retention=retention)
    if sep and scheme in ("redis", "rediss") and rest:
        return RedisStore(url, timeout=timeout, retention=retention)
    # Only the scheme is repeated: a Redis URL may carry a password.
    shown = f"{scheme}://..." if sep else "a string without a scheme"
    raise UserError(f"unsupported history store URL ({shown}); use one of: {_SCHEMES}")
