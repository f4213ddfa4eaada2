"""The batch line format of `guardrail classify` (other tools depend on it: keep it stable).

Input, one JSON object a line::

    {"id": "c1", "messages": [{"role": "user", "content": "..."}],
     "context": {...}, "signals": {...}}

Labelled data may carry ``need_state`` (the training label) and extra top-level keys starting
with ``expected_``, ``source_`` or ``meta``; they are ignored. Any other unknown key is an
error, so a typo never silently drops input.

Output, one JSON object a line, in input order (see `decision_line`); a bad line becomes
``{"id": ..., "error": "line N: ..."}`` and the run goes on.

`classify_parallel` spreads the lines over worker processes and writes exactly what
`classify_lines` writes: the engine keeps state per conversation id (a conversation sent again
with more turns is read from where it stopped), so every line of one id goes to the same worker,
in order, and the output is put back in input order. Processes, not threads: a check is pure
Python under the GIL (two threads took as long as one process in a first measurement, 5.2-6.8 s
for 2,000 lines). On a 2-core machine, 2,000 lines (`evals/dev/dev.jsonl` four times, new ids)
took 4.2-5.1 s in one process and 2.5-2.9 s in two, as the command reports them after the engine
loads (three runs each, 2026-12-07).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Final

from pydantic import ValidationError

from guardrail._yaml import describe
from guardrail.conversation import Conversation
from guardrail.decision import Decision
from guardrail.engine import Guardrail
from guardrail.errors import GuardrailError, UserError

__all__ = [
    "BatchResult",
    "can_fork",
    "classify_line",
    "classify_lines",
    "classify_parallel",
    "decision_line",
    "encode_line",
    "parse_line",
]

_LABEL_PREFIXES = ("expected_", "source_", "meta")
_LABEL_KEYS = frozenset({"need_state", "handoff"})  # a labelled case (guardrail.labelled)
_MAX_ID = 256
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may escape one; UTF-8 cannot carry it
_LINE_KEYS = (
    "need_state", "need_confidence", "risk_tier", "segments", "friction", "handoff",
    "allowed_tools", "confirm_tools", "retrieval_scope", "directives", "reason_codes",
    "policy_version",
)


def parse_line(raw: bytes, number: int) -> tuple[str | None, Conversation]:
    """Parse one input line into (id, conversation).

    Raises:
        UserError: naming the line number and what is wrong.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"line {number}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an integer too long
        message = (exc.msg if isinstance(exc, json.JSONDecodeError)
                   else "nested too deeply" if isinstance(exc, RecursionError) else str(exc))
        raise UserError(f"line {number}: not valid JSON ({message})") from None
    if not isinstance(data, dict):
        raise UserError(f"line {number}: expected a JSON object, got {type(data).__name__}")
    line_id = data.get("id")
    if line_id is not None and not isinstance(line_id, str | int):
        raise UserError(f"line {number}: id must be a string")
    line_id = None if line_id is None else str(line_id)[:_MAX_ID]
    if line_id is not None and _SURROGATE.search(line_id):
        raise UserError(f"line {number}: id is not valid Unicode (a lone surrogate escape)")
    fields = {
        key: value
        for key, value in data.items()
        if key != "id" and key not in _LABEL_KEYS and not key.startswith(_LABEL_PREFIXES)
    }
    try:
        conversation = Conversation.model_validate({"id": line_id, **fields})
    except ValidationError as exc:
        raise UserError(f"line {number}: {describe(exc, 'conversation')}") from None
    return line_id, conversation


def decision_line(line_id: str | None, decision: Decision) -> dict[str, Any]:
    """The output object for one decision: `Decision.view` cut to the batch format (handoff
    as a bool; denials and failsafe are in `reason_codes`)."""
    view = decision.view()
    line = {"id": line_id, **{key: view[key] for key in _LINE_KEYS}}
    line["handoff"] = decision.handoff.required
    return line


@dataclass
class BatchResult:
    """Counts for one batch run."""

    lines: int = 0
    errors: int = 0
    handoffs: int = 0

    def count(self, row: dict[str, Any]) -> None:
        """Count one output object."""
        self.lines += 1
        self.errors += "error" in row
        self.handoffs += row.get("handoff") is True


def classify_line(guard: Guardrail, raw: bytes, number: int) -> dict[str, Any] | None:
    """The output object for input line `number` (None for a blank line, which has none)."""
    if not raw.strip():
        return None
    line_id: str | None = None
    try:
        line_id, conversation = parse_line(raw.rstrip(b"\r\n"), number)
        decision = guard.check(conversation)
    except UserError as exc:
        return {"id": line_id if line_id is not None else _salvage_id(raw), "error": str(exc)}
    except Exception as exc:  # anything else about one line must not end the batch
        return {"id": line_id if line_id is not None else _salvage_id(raw),
                "error": f"line {number}: could not be classified ({type(exc).__name__})"}
    return decision_line(line_id, decision)


def classify_lines(
    guard: Guardrail, lines: Iterable[bytes], result: BatchResult
) -> Iterator[dict[str, Any]]:
    """Classify each input line, yielding one output object per non-blank line, in order."""
    for number, raw in enumerate(lines, start=1):
        row = classify_line(guard, raw, number)
        if row is not None:
            result.count(row)
            yield row


def encode_line(row: dict[str, Any]) -> str:
    """One output line: JSON as written (non-ASCII kept), or with escapes where the text holds
    something UTF-8 cannot carry (a lone surrogate the input escaped), so no row is lost."""
    text = json.dumps(row, ensure_ascii=False)
    return text if not _SURROGATE.search(text) else json.dumps(row)


def _salvage_id(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, str | int) or (isinstance(value, str) and _SURROGATE.search(value)):
        return None
    return str(value)[:_MAX_ID]


# -- worker processes ---------------------------------------------------------------------------

# Lines a worker gets per round: enough that sending them costs little next to classifying
# them, few enough that a worker with a light round waits little for the others.
_ROUND_PER_WORKER: Final = 64
# (line number, raw line) in; (line number, encoded output line, the output object's counts) out.
_Job = list[tuple[int, bytes]]
_Done = list[tuple[int, str, bool, bool]]


def can_fork() -> bool:
    """Whether `classify_parallel` can run here: its workers are forked from this process so
    they inherit the loaded engine, which is safe only where fork is (not macOS, whose system
    libraries are not fork-safe) and while this process has a single thread."""
    import threading

    return (sys.platform != "darwin" and "fork" in get_all_start_methods()
            and threading.active_count() == 1)


def classify_parallel(
    guard: Guardrail, lines: Iterable[bytes], result: BatchResult, jobs: int,
    progress: Callable[[int], None] | None = None,
) -> Generator[str, None, None]:
    """`classify_lines` over `jobs` forked worker processes, as encoded output lines.

    The output is byte for byte what ``encode_line`` makes of `classify_lines`' objects, in
    input order: lines are sent to a worker by a hash of their conversation id, so each
    conversation is read by one engine, in order, as it would be by one process. Lines without
    an id keep no state and go to whichever worker has fewest this round.

    `guard` must have no history store: friction reads what earlier lines recorded there,
    across conversations, so those lines must be read in order by one process.

    Args:
        progress: called with the input bytes of each round once its lines are written.

    Raises:
        UserError: `guard` has a history store, or this platform cannot fork (`can_fork`).
        GuardrailError: a worker process died.
    """
    if guard.store is not None:
        raise UserError("-j runs the lines in several processes: not with a history store "
                        "(--store), whose friction depends on the order lines are read in")
    if not can_fork():
        raise UserError("-j needs worker processes forked from this one, which this platform "
                        "does not allow, or not while this process runs other threads: use -j 1")
    workers = _start_workers(guard, jobs)
    try:
        rows = enumerate(lines, start=1)
        while True:
            job, size = _next_round(rows, jobs)
            if not job:
                break
            for (conn, _), part in zip(workers, job, strict=True):
                conn.send(part)
            done: _Done = []
            for conn, process in workers:
                done += _receive(conn, process)
            done.sort()
            for _, text, error, handoff in done:
                result.lines += 1
                result.errors += error
                result.handoffs += handoff
                yield text
            if progress is not None:
                progress(size)
    finally:
        for conn, _ in workers:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        for _, process in workers:
            process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - a worker stuck in a line
                process.kill()
                process.join()


def _next_round(rows: Iterator[tuple[int, bytes]], jobs: int) -> tuple[list[_Job], int]:
    """The next round's lines, one list per worker, and their size in bytes."""
    job: list[_Job] = [[] for _ in range(jobs)]
    size = 0
    for number, raw in rows:
        size += len(raw)
        if not raw.strip():
            continue
        key = _salvage_id(raw)
        if key is None:
            target = min(range(jobs), key=lambda w: len(job[w]))
        else:
            target = zlib.crc32(key.encode("utf-8", "surrogatepass")) % jobs
        job[target].append((number, raw))
        if sum(map(len, job)) >= _ROUND_PER_WORKER * jobs:
            break
    return (job if any(job) else []), size


def _receive(conn: Connection, process: BaseProcess) -> _Done:
    try:
        done: _Done = conn.recv()
    except EOFError:
        process.join(timeout=5)
        raise GuardrailError(f"a classify worker process died (exit code {process.exitcode})"
                             ) from None
    return done


def _start_workers(guard: Guardrail, jobs: int) -> list[tuple[Connection, BaseProcess]]:
    # Forked before anything starts a thread (the progress bar starts after): each worker gets
    # the engine as loaded, and a pipe it answers each round on.
    context = get_context("fork")
    workers: list[tuple[Connection, BaseProcess]] = []
    for _ in range(jobs):
        parent, child = context.Pipe()
        ends = [conn for conn, _ in workers]
        process = context.Process(target=_work, args=(guard, child, ends), daemon=True)
        process.start()
        child.close()
        workers.append((parent, process))
    return workers


def _work(guard: Guardrail, conn: Connection, inherited: list[Connection]) -> None:
    for other in inherited:  # the other workers' parent ends, copied by the fork
        other.close()
    try:
        while (job := conn.recv()) is not None:
            done: _Done = []
            for number, raw in job:
                row = classify_line(guard, raw, number)
                if row is not None:
                    done.append((number, encode_line(row), "error" in row,
                                 row.get("handoff") is True))
            conn.send(done)
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        conn.close()
        os._exit(0)  # no atexit handlers or buffered output of the parent run twice
