"""``guardrail classify``: a JSONL batch of conversations in, one decision line per input out."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import IO, TYPE_CHECKING

from guardrail._progress import progress_bar
from guardrail.batch import BatchResult, classify_lines, classify_parallel, encode_line
from guardrail.cli._options import add_guard_options, build_guard, note, open_stream
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``classify`` subcommand."""
    parser = sub.add_parser("classify", help="classify a JSONL batch of conversations")
    parser.add_argument("--input", "-i", required=True, help="input JSONL file, or - for stdin")
    parser.add_argument("--output", "-o", default="-", help="output JSONL file, or - (default)")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="worker processes (default 1). The output is the same, in input "
                             "order; each conversation id is read by one worker. Not with "
                             "--store")
    add_guard_options(parser)
    parser.set_defaults(func=_classify)


def _classify(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UserError("--jobs must be at least 1")
    guard = build_guard(args)
    result = BatchResult()
    started = time.perf_counter()
    with ExitStack() as stack:
        stack.callback(guard.close)
        source = open_stream(args.input, "rb", stack)
        sink = open_stream(args.output, "w", stack)
        advance = stack.enter_context(_progress_bar(source, args))
        if args.jobs == 1:
            for row in classify_lines(guard, _counted(source, advance), result):
                sink.write(encode_line(row) + "\n")
        else:
            lines = stack.enter_context(closing(
                classify_parallel(guard, source, result, args.jobs, advance)))
            for line in lines:
                sink.write(line + "\n")
        sink.flush()
    elapsed = time.perf_counter() - started
    rate = result.lines / elapsed if elapsed > 0 else 0.0
    note(args, f"guardrail: {result.lines} lines in {elapsed:.2f}s ({rate:,.0f} lines/s); "
               f"{result.handoffs} handoffs; {result.errors} bad lines; policy "
               f"{guard.registry.version}")
    return 1 if result.errors else 0


def _counted(source: IO[bytes], advance: Callable[[int], None] | None) -> Iterator[bytes]:
    for raw in source:
        yield raw
        if advance is not None:
            advance(len(raw))


@contextmanager
def _progress_bar(source: IO[bytes], args: argparse.Namespace
                  ) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the input's bytes on stderr, when stderr is a terminal and not
    --quiet (a file's size is known; stdin's is not, and the bar only counts)."""
    if args.quiet or not sys.stderr.isatty():
        yield None
        return
    try:
        total: int | None = os.fstat(source.fileno()).st_size or None
    except (OSError, ValueError):
        total = None
    with progress_bar("classifying", total, in_bytes=True) as advance:
        yield advance
