"""``guardrail demo``: scripted support conversations through a guarded LangChain agent."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from guardrail._install import pip_hint
from guardrail.errors import UserError

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``demo`` subcommand."""
    parser = sub.add_parser(
        "demo", help="run scripted support conversations through a guarded LangChain agent"
    )
    parser.add_argument("--scenario", action="append", metavar="ID",
                        help="run only this scenario (repeatable)")
    parser.add_argument("--live", action="store_true",
                        help="use a real OpenAI model (needs OPENAI_API_KEY; OPENAI_BASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the runs as JSON")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--trace", metavar="EXPORTER",
                        help="export OpenTelemetry spans: console, otlp or none (default: the "
                             "OTEL_TRACES_EXPORTER variable)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    try:
        from guardrail.demo import load_scenarios, run_demo
        from guardrail.demo.render import render_runs, runs_as_json
    except ImportError as exc:
        raise UserError(
            f"the demo needs the LangChain extra ({exc.name} is missing): "
            f"{pip_hint('langchain')}"
        ) from None
    if args.list:
        for scenario in load_scenarios():
            print(f"{scenario.id}: {scenario.title} ({scenario.shows})")
        return 0
    from guardrail.tracing import configure

    provider = configure(args.trace)
    try:
        runs = run_demo(args.scenario, live=args.live)
    finally:
        if provider is not None:
            provider.shutdown()  # flush the spans before the report
    if args.json:
        print(json.dumps(runs_as_json(runs), indent=2, ensure_ascii=False))
    else:
        render_runs(runs)
    return 0
