"""Run the issue-15 red-team tables (``tests/redteam``) and print their counts as a table.

Usage::

    python tools/redteam.py            # every table
    python tools/redteam.py --json     # the counts as JSON
    python tools/redteam.py --only gate,faults --limit 50

The counts that must be 0: ``foreign_executed``, ``denied_executed``, ``repeated_on_retry``
and ``raised`` (gate); ``looser`` and ``raised`` (evasion); ``handoffs_lost``, ``turns_raised``
and ``turns_over_bound`` (faults). ``tests/redteam`` asserts the same counts.

Run from the checkout it lives in; with ``PYTHONPATH=<other checkout>`` the package under test
is that checkout's (how the "before" counts are taken), the attempts are this one's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _load_tests_package() -> None:
    """Import this checkout's ``tests`` package even when another checkout is on the path."""
    spec = importlib.util.spec_from_file_location(
        "tests", ROOT / "tests" / "__init__.py", submodule_search_locations=[str(ROOT / "tests")])
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tests"] = module
    spec.loader.exec_module(module)


_ZERO = {
    "gate": ("foreign_executed", "denied_executed", "repeated_on_retry", "raised"),
    "evasion": ("looser", "raised"),
    "faults": ("handoffs_lost", "turns_raised", "turns_over_bound"),
}


def _table(name: str, rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    lines = [f"### {name}", "", "| " + " | ".join(keys) + " |",
             "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the counts; exit 1 when a count that must be 0 is not."""
    parser = argparse.ArgumentParser(description="issue-15 red-team counts")
    parser.add_argument("--only", default="gate,evasion,faults")
    parser.add_argument("--limit", type=int, default=0, help="first N attempts of each table")
    parser.add_argument("--paths", default="core,langchain,openai", help="evasion paths")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--examples", action="store_true", help="print failing examples")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # refused calls and failed sinks log; counted here
    _load_tests_package()
    from guardrail import Guardrail, Registry
    from tests.redteam import harness
    from tests.redteam.attempts import EVASIONS, GATE

    registry = Registry.default()

    def guard() -> Guardrail:
        return Guardrail(registry)

    only = set(args.only.split(","))
    limit = args.limit or None
    out: dict[str, Any] = {}
    examples: dict[str, list[str]] = {}
    if "gate" in only:
        gate = harness.run_gate(guard(), GATE[:limit])
        out["gate"] = [harness.as_row(c) for c in gate]
        examples["gate"] = [e for c in gate for e in c.examples]
    if "evasion" in only:
        evasion = harness.run_evasions(guard(), EVASIONS[:limit], args.paths.split(","))
        out["evasion"] = [harness.as_row(c) for c in evasion]
        examples["evasion"] = [f"[{c.path}] {e}" for c in evasion for e in c.examples]
    if "faults" in only:
        faults = harness.run_faults(guard)
        out["faults"] = [harness.as_row(faults)]
        examples["faults"] = faults.examples
    if args.json:
        print(json.dumps({"counts": out, "examples": examples}, indent=2, ensure_ascii=False))
    else:
        for name, rows in out.items():
            print(_table(name, rows))
            print()
        if args.examples:
            for name, lines in examples.items():
                for line in lines:
                    print(f"- {name}: {line}")
    bad = any(row.get(key) for name, rows in out.items() for row in rows for key in _ZERO[name])
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
