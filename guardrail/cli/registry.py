"""``guardrail validate`` and ``guardrail schema``: check a registry folder, write its schema.

On an overlay, ``validate`` shows the merged result and what came from where: each layer with
its counts, every item an overlay added, overrode or disabled (with its file and YAML path, and
a disable's reason), the settings it changed, and the merged version.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from guardrail.detectors.examples import require_examples
from guardrail.errors import RegistryError
from guardrail.registry import Registry
from guardrail.registry.overlay import Origin, Origins

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
    validate.add_argument(
        "--format", choices=["text", "json"], default="text",
        help="text (default), or json: the layers, counts, changes and version (or the "
             "problems) as one JSON object")
    validate.set_defaults(func=_validate)

    schema = sub.add_parser("schema", help="write the JSON Schema of registry files")
    schema.add_argument("--output", "-o", default="-", help="file to write, or - (default)")
    schema.add_argument("--overlay", action="store_true",
                        help="the schema of an overlay folder's files (extends, disable, "
                             "partial settings) instead")
    schema.set_defaults(func=_schema)


def _validate(args: argparse.Namespace) -> int:
    try:
        registry = Registry.load(Path(args.path) if args.path else None)
        if args.strict:
            require_examples(registry)  # a RegistryError names each miss
    except RegistryError as exc:
        if args.format != "json":
            raise  # `main` prints every problem
        issues = [{"file": i.file, "path": i.path, "message": i.message} for i in exc.issues]
        print(json.dumps({"ok": False, "issues": issues}, indent=2))
        return 1
    if args.format == "json":
        print(json.dumps(_report(registry), indent=2))
        return 0
    print(
        f"OK {registry.source}: {len(registry.rules)} rules, {len(registry.segments)} segments, "
        f"{len(registry.tools)} tools; version {registry.version}"
    )
    origins = registry.origins
    if len(origins.layers) > 1:
        print("\n".join(_describe(origins)))
    return 0


def _counts(origins: Origins, layer: str) -> dict[str, dict[str, int]]:
    """Per kind, how many items `layer` wrote, added, overrode and disabled."""
    out: dict[str, dict[str, int]] = {}
    for kind, items in (("tools", origins.tools), ("rules", origins.rules),
                        ("segments", origins.segments)):
        mine = [o for o in items.values() if o.layer == layer]
        out[kind] = {change: sum(o.change == change for o in mine)
                     for change in ("base", "added", "overridden")}
        out[kind]["disabled"] = sum(d.layer == layer and f"{d.kind}s" == kind
                                    for d in origins.disabled)
    out["settings"] = {"overridden": sum(o.layer == layer for o in origins.settings.values())}
    return out


def _describe(origins: Origins) -> list[str]:
    """The layers, bottom first, with their counts, then each change and where it was made."""
    lines = ["layers (bottom first):"]
    for layer in origins.layers:
        counts = _counts(origins, layer.source)
        what = f"extends {layer.extends}" if layer.extends else "base"
        parts = []
        for kind in ("tools", "rules", "segments"):
            c = counts[kind]
            numbers = [f"{c[change]} {change}" for change in ("base", "added", "overridden",
                                                             "disabled") if c[change]]
            if numbers:
                parts.append(f"{kind} {', '.join(numbers)}")
        if counts["settings"]["overridden"]:
            parts.append(f"settings {counts['settings']['overridden']} key(s) set")
        lines.append(f"  {layer.source} ({what}; {len(layer.files)} file(s); version "
                     f"{layer.version}): {'; '.join(parts) or 'no change'}")
    lines.append("changes:")
    for kind, key, origin in origins.changes():
        lines.append(f"  {origin.change:<10} {kind:<8} {key:<32} {_where(origin)}")
    for path, origin in origins.settings.items():
        lines.append(f"  {'set':<10} {'setting':<8} {path:<32} {origin.file}")
    for item in origins.disabled:
        lines.append(f"  {'disabled':<10} {item.kind:<8} {item.id:<32} "
                     f"{item.file}:{item.path} (reason: {item.reason})")
    return lines


def _where(origin: Origin) -> str:
    return f"{origin.file}:{origin.path}" if origin.path else origin.file


def _report(registry: Registry) -> dict[str, object]:
    """``validate --format json``: the merged registry, its layers and where each change was
    made."""
    origins = registry.origins
    return {
        "ok": True,
        "source": registry.source,
        "version": registry.version,
        "counts": {"tools": len(registry.tools), "rules": len(registry.rules),
                   "segments": len(registry.segments)},
        "layers": [
            {"source": layer.source, "extends": layer.extends, "version": layer.version,
             "files": list(layer.files), "counts": _counts(origins, layer.source)}
            for layer in origins.layers
        ],
        "changes": [
            {"change": origin.change, "kind": kind, "id": key, "file": origin.file,
             "path": origin.path}
            for kind, key, origin in origins.changes()
        ],
        "settings": [{"path": path, "file": origin.file}
                     for path, origin in origins.settings.items()],
        "disabled": [
            {"kind": d.kind, "id": d.id, "reason": d.reason, "file": d.file, "path": d.path}
            for d in origins.disabled
        ],
    }


def _schema(args: argparse.Namespace) -> int:
    from guardrail.registry.schema import OverlayFile, RegistryFile

    model = OverlayFile if args.overlay else RegistryFile
    text = json.dumps(model.model_json_schema(), indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
