"""The `guardrail` command: demo, classify, explain, handoff, score, train, validate, schema,
eval, drift, record, forget.

Each group of subcommands lives in its own module and registers itself (`register`), binding
its handler with ``set_defaults(func=...)``; `main` parses and calls it.

Exit codes: 0 success; 1 some input lines were bad (the rest were processed) or the registry is
invalid; 2 bad usage or unreadable input. `eval` exits 1 when a gate fails and 2 on bad
scenarios, config or registry. `explain --audit` exits 1 for an unknown conversation
and reports unreadable audit lines on stderr without failing (a crash can tear the last one).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from guardrail.cli import classify, demo, evals, explain, handoff, history, registry
from guardrail.errors import GuardrailError, RegistryError

__all__ = ["main"]

# The order `guardrail --help` lists the groups in.
_GROUPS = (classify, explain, registry, evals, demo, handoff, history)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrail",
        description="Runtime policy for AI support agents: need-state, risk, friction, tool "
        "gating and forced human handoff, with a reason for every effect.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in _GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (GuardrailError, OSError) as exc:
        print(f"guardrail: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
