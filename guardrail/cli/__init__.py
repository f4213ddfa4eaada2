# PYTHON_ARGCOMPLETE_OK  (argcomplete's global completion looks for this marker)
"""The `guardrail` command: demo, classify, explain, handoff, score, train, validate, schema,
eval, drift, record, forget, override, report, shadow-report, completion. Also
``python -m guardrail``.

Each group of subcommands lives in its own module and registers itself (`register`), binding
its handler with ``set_defaults(func=...)``; `main` parses and calls it. ``--quiet`` is global
(before or after the subcommand): it silences progress bars and status lines (`note`), never
results or errors.

Exit codes: 0 success; 1 some input lines were bad (the rest were processed) or the registry is
invalid; 2 bad usage or unreadable input. `eval` exits 1 when a gate fails and 2 on bad
scenarios, config or registry. `explain --audit` exits 1 for an unknown conversation
and reports unreadable audit lines on stderr without failing (a crash can tear the last one);
`report` exits 1 when an alert fires.
A reader that stops reading (``guardrail classify ... | head -1``) ends the run quietly, with 0:
what it read was complete lines, and the rest was not wanted.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence

from guardrail._install import DISTRIBUTION, pip_hint
from guardrail._version import __version__
from guardrail.cli import (
    classify,
    completion,
    demo,
    evals,
    explain,
    handoff,
    history,
    override,
    registry,
    report,
    shadow,
)
from guardrail.errors import GuardrailError, RegistryError

__all__ = ["main"]

# The order `guardrail --help` lists the groups in.
_GROUPS = (classify, explain, registry, evals, demo, handoff, history, override, report, shadow,
           completion)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrail",
        description="Runtime policy for AI support agents: need-state, risk, friction, tool "
        "gating and forced human handoff, with a reason for every effect.",
    )
    parser.add_argument("-V", "--version", action="version",
                        version=f"{DISTRIBUTION} {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars or status lines on stderr (results and errors "
                             "still print)")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in _GROUPS:
        group.register(sub)
    for command in sub.choices.values():
        # Also after the subcommand; SUPPRESS keeps a -q given before it.
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                             help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = _parser()
    try:
        import argcomplete
    except ImportError:
        pass
    else:
        argcomplete.autocomplete(parser)  # answers and exits only when a shell asks it to
    args = parser.parse_args(argv)
    if importlib.util.find_spec("rich") is None:
        print(f"guardrail: error: the guardrail command needs its extra: {pip_hint('cli')}",
              file=sys.stderr)
        return 2
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (GuardrailError, OSError) as exc:
        print(f"guardrail: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _silence_stdout() -> None:
    """Point stdout at devnull, so the interpreter's last flush of what could not be written
    raises no second BrokenPipeError at exit (the Python docs' recipe, ``signal`` notes)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout has no descriptor (captured): nothing to flush
        pass
