"""What binds a tool call to what was checked and shown, for every adapter.

A confirmation approves a call as the customer saw it: `args_hash` is the hash of the tool and
its bound arguments, which an approval names (`read_resume` reads a LangGraph resume value
against it). A tool call id runs at most once per conversation: `CallLedger` is claimed right
before a tool runs, so a retried run, or a model repeating an id, never repeats a side effect.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

from guardrail.gate import CallCheck

__all__ = ["CallLedger", "args_hash", "read_resume", "repeated"]

_K = TypeVar("_K", bound=Hashable)


def args_hash(tool: str, args: Mapping[str, Any]) -> str:
    """The hash of a call as it was shown: the tool and its (bound) arguments, canonical JSON.

    An approval names it, so it approves exactly what the customer saw: another call under
    the same id, or the same call with other arguments, has another hash.
    """
    canonical = json.dumps({"tool": tool, "args": args}, sort_keys=True, default=str,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CallLedger:
    """The tool call ids that have run (or started to), per conversation, bounded in memory.

    `claim` is checked and set under one lock right before a tool runs, so two retries racing
    each other still run it once. A tool that raised, a run that crashed after the tool, a
    model that repeats an id: the id stays claimed, and the call is never run again.

    Args:
        limit: how many ids are kept; the least recently claimed are forgotten first.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._claimed: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def claim(self, thread: str, call_id: str) -> bool:
        """Whether the call may run now: True the first time, False ever after."""
        key = (thread, call_id)
        with self._lock:
            if key in self._claimed:
                self._claimed.move_to_end(key)
                return False
            self._claimed[key] = None
            while len(self._claimed) > self._limit:
                self._claimed.popitem(last=False)
            return True


def repeated(ids: Iterable[_K]) -> set[_K]:
    """The ids given to more than one call: which call would an approval or a result be for?"""
    seen: set[_K] = set()
    twice: set[_K] = set()
    for call_id in ids:
        (twice if call_id in seen else seen).add(call_id)
    return twice


def read_resume(answer: Any, check: CallCheck, shown: str | None) -> tuple[bool, str]:
    """Read a resume value: True/"approve"/{"approved": True} or {"type": "approve"}.

    Anything else is a refusal (fail closed). An approval approves what the customer was
    shown: one that names ``args_hash`` (or ``args``) must name the call as it will run, and a
    bare one binds to `shown`, the hash of the call at the interrupt (None when this process
    did not ask: then only a named approval is accepted).
    """
    current = args_hash(check.tool, check.args)
    if answer is True or answer in ("approve", "approved", "yes"):
        named: Mapping[str, Any] = {}
    elif isinstance(answer, Mapping) and (
        answer.get("approved") is True or answer.get("type") in ("approve", "accept")
    ):
        named = answer
    else:
        return False, ""
    if "args_hash" in named:
        same = named["args_hash"] == current
    elif "args" in named:
        same = named["args"] == check.args
    else:
        same = shown == current
    return (True, "") if same else (False, "policy.confirmation_mismatch")
