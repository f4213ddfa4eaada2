"""The `guardrail` command: demo, classify, explain, handoff, score, train, validate, schema,
eval, drift.

Exit codes: 0 success; 1 some input lines were bad (the rest were processed) or the registry is
invalid; 2 bad usage or unreadable input. `eval` exits 1 when a gate fails and 2 on bad
scenarios, config or registry. `explain --audit` exits 1 for an unknown conversation
and reports unreadable audit lines on stderr without failing (a crash can tear the last one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Any, get_args

from guardrail.batch import BatchResult, classify_lines, parse_line
from guardrail.engine import Guardrail
from guardrail.errors import GuardrailError, RegistryError, UserError
from guardrail.history import EventKind, EventOutcome
from guardrail.registry import Registry

__all__ = ["main"]


_NEED_MODEL_HELP = "need-state model folder, 'default' (shipped) or 'none' (rules only)"
_STORE_HELP = ("history store for friction across conversations: memory://, sqlite:///path.db "
               "or redis://host:port/0 (customer ids are hashed when GUARDRAIL_CUSTOMER_SALT "
               "is set)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrail",
        description="Runtime policy for AI support agents: need-state, risk, friction, tool "
        "gating and forced human handoff, with a reason for every effect.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    classify = sub.add_parser("classify", help="classify a JSONL batch of conversations")
    classify.add_argument("--input", "-i", required=True, help="input JSONL file, or - for stdin")
    classify.add_argument("--output", "-o", default="-", help="output JSONL file, or - (default)")
    classify.add_argument("--registry", help="registry folder (default: the shipped one)")
    classify.add_argument("--need-model", default="default",
                          help=_NEED_MODEL_HELP)
    classify.add_argument("--store", metavar="URL", help=_STORE_HELP)

    explain = sub.add_parser("explain", help="explain the decision for one conversation")
    explain.add_argument("messages", nargs="*",
                         help="user messages, one argument per turn (not with --audit)")
    explain.add_argument("--context", help="stable context as a JSON object")
    explain.add_argument("--signals", help="behavioural signals as a JSON object")
    explain.add_argument("--registry", help="registry folder (default: the shipped one)")
    explain.add_argument("--json", action="store_true", help="print the Decision as JSON")
    explain.add_argument("--need-model", default="default",
                         help=_NEED_MODEL_HELP)
    explain.add_argument("--store", metavar="URL", help=_STORE_HELP)
    explain.add_argument("--audit", metavar="FILE",
                         help="explain a conversation recorded in this audit JSONL file instead")
    explain.add_argument("--conversation", metavar="ID",
                         help="with --audit: the conversation to explain (default: list them)")

    validate = sub.add_parser("validate", help="validate a registry folder and list problems")
    validate.add_argument("path", nargs="?", help="registry folder (default: the shipped one)")

    score = sub.add_parser(
        "score", help="score the policy on labelled JSONL (expected_need_state/expected_handoff)"
    )
    score.add_argument("inputs", nargs="+", help="labelled JSONL files")
    score.add_argument("--registry", help="registry folder (default: the shipped one)")
    score.add_argument("--need-model", default="default",
                       help=_NEED_MODEL_HELP)
    score.add_argument("--show", type=int, default=0, metavar="N",
                       help="also list up to N missed handoffs and wrongful escalations")

    train = sub.add_parser("train", help="train a need-state model on labelled JSONL")
    train.add_argument("--data", action="append", required=True,
                       help="labelled JSONL (batch format + need_state); repeat for more files")
    train.add_argument("--output", "-o", required=True, help="folder to write the model to")
    train.add_argument("--holdout", type=float, default=0.2,
                       help="share of lines held out (never trained on) for the report")
    train.add_argument("--epochs", type=int, default=300)
    train.add_argument("--l2", type=float, default=3e-6)
    train.add_argument("--registry", help="registry folder (default: the shipped one)")

    demo = sub.add_parser(
        "demo", help="run scripted support conversations through a guarded LangChain agent"
    )
    demo.add_argument("--scenario", action="append", metavar="ID",
                      help="run only this scenario (repeatable)")
    demo.add_argument("--live", action="store_true",
                      help="use a real OpenAI model (needs OPENAI_API_KEY; OPENAI_BASE_URL)")
    demo.add_argument("--json", action="store_true", help="print the runs as JSON")
    demo.add_argument("--list", action="store_true", help="list the scenarios and exit")
    demo.add_argument("--trace", metavar="EXPORTER",
                      help="export OpenTelemetry spans: console, otlp or none (default: the "
                           "OTEL_TRACES_EXPORTER variable)")

    handoff = sub.add_parser(
        "handoff", help="print the handoff summary a human agent would get for a conversation"
    )
    handoff.add_argument("--input", "-i", required=True,
                         help="a conversation in the batch input format (one JSON object, or "
                              "JSONL: one summary per line), or - for stdin")
    handoff.add_argument("--format", choices=["json", "markdown"], default="markdown")
    handoff.add_argument("--registry", help="registry folder (default: the shipped one)")
    handoff.add_argument("--need-model", default="default", help=_NEED_MODEL_HELP)
    handoff.add_argument("--store", metavar="URL", help=_STORE_HELP)

    record = sub.add_parser(
        "record", help="record a history event (an article view, a reopened ticket...)"
    )
    record.add_argument("--store", metavar="URL", required=True, help=_STORE_HELP)
    record.add_argument("--customer", help="the customer id")
    record.add_argument("--kind", choices=list(get_args(EventKind)))
    record.add_argument("--at", help="ISO-8601 time with a timezone (default: now)")
    record.add_argument("--need-state", help="the need-state (contacts)")
    record.add_argument("--outcome", choices=list(get_args(EventOutcome)))
    record.add_argument("--conversation", help="the conversation id, if any")
    record.add_argument("--input", "-i",
                        help="JSONL of events instead of the flags, one object a line with the "
                             "same keys (customer, kind, at, need_state, outcome, conversation)")

    forget = sub.add_parser("forget", help="delete everything the history store holds "
                                           "about a customer")
    forget.add_argument("customer", help="the customer id")
    forget.add_argument("--store", metavar="URL", required=True, help=_STORE_HELP)

    _add_eval_parsers(sub)

    schema = sub.add_parser("schema", help="write the JSON Schema of registry files")
    schema.add_argument("--output", "-o", default="-", help="file to write, or - (default)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "classify":
            return _classify(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "score":
            return _score(args)
        if args.command == "train":
            return _train(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "handoff":
            return _handoff(args)
        if args.command == "record":
            return _record(args)
        if args.command == "forget":
            return _forget(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "drift":
            return _drift(args)
        return _schema(args)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (GuardrailError, OSError) as exc:
        print(f"guardrail: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _demo(args: argparse.Namespace) -> int:
    try:
        from guardrail.demo import load_scenarios, run_demo
        from guardrail.demo.render import render_runs, runs_as_json
    except ImportError as exc:
        raise UserError(
            f"the demo needs the LangChain extra ({exc.name} is missing): "
            "pip install 'guardrail[langchain]'"
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


def _handoff(args: argparse.Namespace) -> int:
    from guardrail.handoff.summary import HandoffSummary

    with ExitStack() as stack:
        raw = _open(args.input, "rb", stack).read()
    # One JSON object (pretty-printed or not) or JSONL, one conversation a line.
    chunks = [raw] if raw.lstrip().startswith(b"{") and _is_one_object(raw) else [
        line for line in raw.splitlines() if line.strip()
    ]
    if not chunks:
        raise UserError(f"{args.input}: no conversation in the input")
    guard = _guard(args)
    summaries = []
    for number, chunk in enumerate(chunks, 1):
        _, conversation = parse_line(chunk, number)
        summaries.append(HandoffSummary.build(guard.check(conversation), conversation))
    if args.format == "json":
        for summary in summaries:
            indent = 2 if len(summaries) == 1 else None
            print(summary.model_dump_json(indent=indent))
    else:
        print("\n\n---\n\n".join(s.to_markdown() for s in summaries))
    return 0


def _is_one_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


def _open(path: str, mode: str, stack: ExitStack) -> IO[Any]:
    if path == "-":
        return sys.stdin.buffer if "r" in mode else sys.stdout
    return stack.enter_context(open(path, mode, encoding=None if "b" in mode else "utf-8"))


def _guard(args: argparse.Namespace) -> Guardrail:
    model = None if args.need_model.lower() == "none" else args.need_model
    return Guardrail(args.registry, need_model=model, store=getattr(args, "store", None),
                     customer_salt=os.environ.get("GUARDRAIL_CUSTOMER_SALT") or None)


def _store_guard(args: argparse.Namespace) -> Guardrail:
    """A rules-only Guardrail for the store commands (no model to load)."""
    return Guardrail(need_model=None, store=args.store,
                     customer_salt=os.environ.get("GUARDRAIL_CUSTOMER_SALT") or None)


def _record(args: argparse.Namespace) -> int:
    guard = _store_guard(args)
    try:
        if args.input:
            with ExitStack() as stack:
                lines = _open(args.input, "rb", stack).read().splitlines()
            events = [_event_line(raw, n) for n, raw in enumerate(lines, 1) if raw.strip()]
        else:
            if not args.customer or not args.kind:
                raise UserError("record needs --customer and --kind (or --input FILE)")
            events = [{"customer": args.customer, "kind": args.kind, "at": args.at,
                       "need_state": args.need_state, "outcome": args.outcome,
                       "conversation": args.conversation}]
        for event in events:
            guard.record_event(
                event["kind"], str(event["customer"]), at=_when(event.get("at")),
                need_state=event.get("need_state"), outcome=event.get("outcome"),
                conversation_id=event.get("conversation"),
            )
    finally:
        guard.close()
    print(f"recorded {len(events)} event(s)", file=sys.stderr)
    return 0


def _event_line(raw: bytes, number: int) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise UserError(f"line {number}: not valid JSON") from None
    if not isinstance(data, dict) or "customer" not in data or "kind" not in data:
        raise UserError(f"line {number}: expected an object with customer and kind")
    unknown = set(data) - {"customer", "kind", "at", "need_state", "outcome", "conversation"}
    if unknown:
        raise UserError(f"line {number}: unknown key(s) {sorted(unknown)} (no free text is kept)")
    return data


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"--at / at: not an ISO-8601 time: {value!r}") from None
    if when.tzinfo is None:
        raise UserError(f"--at / at: {value!r} has no timezone (add Z or +00:00)")
    return when


def _forget(args: argparse.Namespace) -> int:
    guard = _store_guard(args)
    try:
        count = guard.forget_customer(args.customer)
    finally:
        guard.close()
    print(f"deleted {count} record(s) about that customer")
    return 0


def _classify(args: argparse.Namespace) -> int:
    guard = _guard(args)
    result = BatchResult()
    started = time.perf_counter()
    with ExitStack() as stack:
        stack.callback(guard.close)
        source = _open(args.input, "rb", stack)
        sink = _open(args.output, "w", stack)
        for row in classify_lines(guard, source, result):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
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


def _json_arg(value: str | None, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise UserError(f"--{name} is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise UserError(f"--{name} must be a JSON object")
    return data


def _explain(args: argparse.Namespace) -> int:
    if args.audit is not None or args.conversation is not None:
        return _explain_audit(args)
    if not args.messages:
        raise UserError("explain needs at least one message, or --audit FILE")
    guard = _guard(args)
    conversation = {
        "messages": [{"role": "user", "content": m} for m in args.messages],
        "context": _json_arg(args.context, "context"),
        "signals": _json_arg(args.signals, "signals"),
    }
    decision = guard.check(conversation)
    if args.json:
        print(decision.model_dump_json(indent=2))
        return 0
    from guardrail.cli.render import render_decision  # rich is only needed for this view

    render_decision(decision)
    return 0


def _explain_audit(args: argparse.Namespace) -> int:
    from guardrail.audit import conversations, explain_conversation, load_audit

    if args.audit is None:
        raise UserError("--conversation needs --audit FILE")
    given = [name for name, value in (("messages", args.messages), ("--context", args.context),
                                      ("--signals", args.signals), ("--json", args.json)) if value]
    if given:
        raise UserError(f"--audit explains a recorded conversation; {', '.join(given)} "
                        "cannot be used with it")
    trail = load_audit(args.audit)
    for problem in trail.problems:
        print(f"guardrail: warning: {args.audit}: {problem} (skipped)", file=sys.stderr)
    known = conversations(trail.records)
    if args.conversation is None:
        for c in known:
            print(f"{c.conversation_id}\t{c.turns} turn(s)\tlast risk {c.last_risk_tier or '-'}")
        return 0
    records = [r for r in trail.records if r.conversation_id == args.conversation]
    if not records:
        ids = ", ".join(c.conversation_id for c in known[:10]) or "(none)"
        more = f" and {len(known) - 10} more" if len(known) > 10 else ""
        print(f"guardrail: no conversation {args.conversation!r} in {args.audit}; "
              f"known: {ids}{more}", file=sys.stderr)
        return 1
    print(explain_conversation(records))
    return 0


def _validate(args: argparse.Namespace) -> int:
    registry = Registry.load(Path(args.path) if args.path else None)
    print(
        f"OK {registry.source}: {len(registry.rules)} rules, {len(registry.segments)} segments, "
        f"{len(registry.tools)} tools; version {registry.version}"
    )
    return 0


def _score(args: argparse.Namespace) -> int:
    from guardrail.evals.labelled import score_lines

    guard = _guard(args)
    for path in args.inputs:
        with open(path, "rb") as handle:
            result = score_lines(guard, handle)
        print(f"{path}: {result.summary()}")
        shown = [m for m in result.misses if m.kind != "need_state"][: args.show]
        for miss in shown:
            print(f"  {miss.kind:<20} {miss.id}: {miss.text[:100]!r} {list(miss.reasons)}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from guardrail.need.training import evaluate, load_examples, split, train

    if not 0 <= args.holdout < 1:
        raise UserError("--holdout must be in [0, 1)")
    registry = Registry.load(Path(args.registry) if args.registry else None)
    classes = registry.settings.need_states
    examples = load_examples(args.data, classes)
    kept, held = split(examples, args.holdout)
    print(f"guardrail: {len(examples)} labelled lines; training on {len(kept)}, "
          f"holding out {len(held)}", file=sys.stderr)
    model = train(kept, classes, registry, epochs=args.epochs, l2=args.l2,
                  meta={"data": [Path(d).name for d in args.data], "holdout": args.holdout})
    report = evaluate(model, held, registry)
    report.train_size = len(kept)
    report.temperature = model.temperature
    model.meta["held_out"] = {"lines": report.held_out_size, "accuracy": report.accuracy,
                              "macro_f1": report.macro_f1, "per_class": report.per_class()}
    model.save(args.output)
    text = report.render()
    Path(args.output, "report.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


# -- eval and drift ---------------------------------------------------------------------------


def _add_eval_parsers(sub: Any) -> None:
    evaluate = sub.add_parser(
        "eval", help="run the scenario suite, report metrics and enforce the gates "
                     "(exit 1: a gate failed; 2: bad input)")
    evaluate.add_argument("paths", nargs="*",
                          help="scenario files or folders (default: evals/scenarios/)")
    evaluate.add_argument("--config", help="eval config (default: evals/config.yaml if present)")
    evaluate.add_argument("--registry", help="registry folder (default: the shipped one)")
    evaluate.add_argument("--need-model", default="default", help=_NEED_MODEL_HELP)
    evaluate.add_argument("--baseline", action="store_true",
                          help="also score the baseline arm (no segmentation: every tool "
                               "allowed, a human only on request)")
    evaluate.add_argument("--output", "-o", metavar="DIR",
                          help="write results.json, junit.xml and report.html here")
    evaluate.add_argument("--compare", metavar="PREVIOUS_JSON",
                          help="compare with an earlier results.json")
    evaluate.add_argument("--jobs", "-j", type=int,
                          help="worker processes (default: the number of cores; 1: sequential)")
    evaluate.add_argument("--schema", action="store_true",
                          help="print the JSON Schema of scenario files and exit")

    drift = sub.add_parser(
        "drift", help="compare two batches of production decisions (classify output or "
                      "audit logs)")
    drift.add_argument("--input", "-i", action="append", required=True, metavar="JSONL",
                       help="the earlier batch, then the later one (give it twice)")
    drift.add_argument("--json", action="store_true", help="print the report as JSON")
    drift.add_argument("--top", type=int, default=10, help="how many reason codes to show")


def _eval(args: argparse.Namespace) -> int:
    from guardrail.evals import ScenarioFile

    if args.schema:
        print(json.dumps(ScenarioFile.model_json_schema(), indent=2))
        return 0
    from guardrail.evals import (
        compare_results,
        junit_xml,
        load_config,
        load_results,
        load_scenarios,
        run_eval,
    )
    from guardrail.evals.summary import print_summary

    if args.jobs is not None and args.jobs < 1:
        raise UserError("--jobs must be at least 1")
    try:
        registry = Registry.load(Path(args.registry) if args.registry else None)
    except RegistryError as exc:  # for eval a broken registry is bad input, not a gate failure
        raise UserError(str(exc)) from None
    config = load_config(args.config)
    previous = load_results(args.compare) if args.compare else None
    scenarios = load_scenarios(args.paths or None, registry)
    model = None if args.need_model.lower() == "none" else args.need_model
    results = run_eval(scenarios, registry=registry, config=config, need_model=model,
                       baseline=args.baseline, jobs=args.jobs)
    if previous is not None:
        results["compare"] = compare_results(results, previous)
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        (out / "junit.xml").write_text(junit_xml(results), encoding="utf-8")
        written = ["results.json", "junit.xml"]
        try:
            from guardrail.evals.html import render_html
        except ImportError:
            print("guardrail: report.html not written (guardrail.evals.html is not available)",
                  file=sys.stderr)
        else:
            (out / "report.html").write_text(render_html(results), encoding="utf-8")
            written.append("report.html")
        print(f"wrote {', '.join(written)} to {out}", file=sys.stderr)
    print_summary(results)
    return 0 if results["passed"] else 1


def _drift(args: argparse.Namespace) -> int:
    from guardrail.evals.drift import compare_batches, print_drift, read_batch

    if len(args.input) != 2:
        raise UserError("drift needs exactly two --input files: the earlier batch, then the "
                        "later one")
    report = compare_batches(read_batch(args.input[0]), read_batch(args.input[1]),
                             top=max(1, args.top))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_drift(report)
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

