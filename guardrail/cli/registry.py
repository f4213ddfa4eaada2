"""``guardrail validate`` and ``guardrail schema``: check a registry folder, write its schema."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from guardrail.detectors.examples import require_examples
from guardrail.registry import Registry

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``validate`` and ``schema`` subcommands."""
    validate = sub.add_parser("validate", help="validate a registry folder and list problems")
    validate.add_argument("path", nargs="?", help="registry folder (default: the shipped one)")
    validate.add_argument(
        "--strict", action="store_true",
        help="also run every rule on its own examples and counterexamples (about a second)")
    validate.set_defaults(func=_validate)

    schema = sub.add_parser("schema", help="write the JSON Schema of registry files")
    schema.add_argument("--output", "-o", default="-", help="file to write, or - (default)")
    schema.set_defaults(func=_schema)


def _validate(args: argparse.Namespace) -> int:
    registry = Registry.load(Path(args.path) if args.path else None)
    if args.strict:
        require_examples(registry)  # a RegistryError names each miss; `main` prints it
    print(
        f"OK {registry.source}: {len(registry.rules)} rules, {len(registry.segments)} segments, "
        f"{len(registry.tools)} tools; version {registry.version}"
    )
    return 0


def _schema(args: argparse.Namespace) -> int:
    from guardrail.registry.schema import RegistryFile

    text = json.dumps(RegistryFile.model_json_schema(), indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
