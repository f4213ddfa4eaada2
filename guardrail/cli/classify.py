"""``guardrail classify``: a JSONL batch of conversations in, one decision line per input out."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING

from guardrail.batch import BatchResult, classify_lines, encode_line
from guardrail.cli._options import add_guard_options, build_guard, open_stream

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``classify`` subcommand."""
    parser = sub.add_parser("classify", help="classify a JSONL batch of conversations")
    parser.add_argument("--input", "-i", required=True, help="input JSONL file, or - for stdin")
    parser.add_argument("--output", "-o", default="-", help="output JSONL file, or - (default)")
    add_guard_options(parser)
    parser.set_defaults(func=_classify)


def _classify(args: argparse.Namespace) -> int:
    guard = build_guard(args)
    result = BatchResult()
    started = time.perf_counter()
    with ExitStack() as stack:
        stack.callback(guard.close)
        source = open_stream(args.input, "rb", stack)
        sink = open_stream(args.output, "w", stack)
        for row in classify_lines(guard, source, result):
            sink.write(encode_line(row) + "\n")
        sink.flush()
    elapsed = time.perf_counter() - started
    rate = result.lines / elapsed if elapsed > 0 else 0.0
    print(
        f"guardrail: {result.lines} lines in {elapsed:.2f}s ({rate:,.0f} lines/s); "
        f"{result.handoffs} handoffs; {result.errors} bad lines; policy "
        f"{guard.registry.version}",
        file=sys.stderr,
    )
    return 1 if result.errors else 0
