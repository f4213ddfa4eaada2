"""What the subcommands share: the Guardrail options, building a Guardrail, opening streams,
and `note` for what --quiet silences."""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from guardrail.engine import Guardrail
from guardrail.errors import UserError

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = [
    "NEED_MODEL_HELP",
    "REGISTRY_HELP",
    "STORE_HELP",
    "Subcommands",
    "add_guard_options",
    "add_need_model",
    "build_guard",
    "customer_salt",
    "json_arg",
    "need_model",
    "note",
    "open_stream",
]

NEED_MODEL_HELP = "need-state model folder, 'default' (shipped) or 'none' (rules only)"
REGISTRY_HELP = "registry folder (default: the shipped one)"
STORE_HELP = ("history store for friction across conversations: memory://, sqlite:///path.db "
              "or redis://host:port/0 (customer ids are hashed when GUARDRAIL_CUSTOMER_SALT "
              "is set)")


def add_need_model(parser: argparse.ArgumentParser) -> None:
    """The ``--need-model`` option: a model folder, ``default`` or ``none``."""
    parser.add_argument("--need-model", default="default", help=NEED_MODEL_HELP)


def add_guard_options(parser: argparse.ArgumentParser, *, store: bool = True) -> None:
    """The options that choose the Guardrail: ``--registry``, ``--need-model``, ``--store``."""
    parser.add_argument("--registry", help=REGISTRY_HELP)
    add_need_model(parser)
    if store:
        parser.add_argument("--store", metavar="URL", help=STORE_HELP)


def need_model(args: argparse.Namespace) -> str | None:
    """The ``--need-model`` value as `Guardrail` takes it (None: rules only)."""
    value: str = args.need_model
    return None if value.lower() == "none" else value


def customer_salt() -> str | None:
    """The salt customer ids are hashed with before they reach a history store, if set."""
    return os.environ.get("GUARDRAIL_CUSTOMER_SALT") or None


def build_guard(args: argparse.Namespace) -> Guardrail:
    """The Guardrail ``--registry``, ``--need-model`` and ``--store`` (if any) ask for."""
    return Guardrail(args.registry, need_model=need_model(args),
                     store=getattr(args, "store", None), customer_salt=customer_salt())


def note(args: argparse.Namespace, message: str) -> None:
    """Print a progress or status line on stderr, unless ``--quiet``. Results and errors are
    never notes: --quiet must not hide what a run found or what went wrong."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def open_stream(path: str, mode: str, stack: ExitStack) -> IO[Any]:
    """`path` opened in `mode` and closed with `stack`; ``-`` is stdin or stdout."""
    if path == "-":
        return sys.stdin.buffer if "r" in mode else sys.stdout
    return stack.enter_context(open(path, mode, encoding=None if "b" in mode else "utf-8"))


def json_arg(value: str | None, name: str) -> dict[str, Any]:
    """The JSON object given to ``--name`` ({} when absent).

    Raises:
        UserError: the value is not JSON, or not an object.
    """
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise UserError(f"--{name} is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise UserError(f"--{name} must be a JSON object")
    return data
