"""``guardrail completion bash|zsh|fish``: the shell code that tab-completes the command.

Completion is argcomplete's: the parser stays plain argparse, so every subcommand and option
completes as soon as it exists, with nothing to keep in step by hand. The shell code asks the
``guardrail`` command itself for completions (`main` hands the parser to argcomplete first), so
it needs the ``cli`` extra where the command runs; this subcommand only prints that code, for
``eval "$(guardrail completion bash)"`` in a shell's startup file.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from guardrail._install import pip_hint
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]

_SHELLS = ("bash", "zsh", "fish")


def register(sub: Subcommands) -> None:
    """Add the ``completion`` subcommand."""
    parser = sub.add_parser(
        "completion", help="print the shell code for tab completion "
                           "(eval \"$(guardrail completion bash)\")")
    parser.add_argument("shell", choices=_SHELLS, help="the shell to complete in")
    parser.set_defaults(func=_completion)


def _completion(args: argparse.Namespace) -> int:
    try:
        import argcomplete
    except ImportError:
        raise UserError(f"completion needs argcomplete: {pip_hint('cli')}") from None
    print(argcomplete.shellcode(["guardrail"], shell=args.shell), end="")
    return 0
