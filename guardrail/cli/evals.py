"""``guardrail eval``, ``drift``, ``score`` and ``train``: measure the policy, train the model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from guardrail._install import pip_hint
from guardrail.cli._options import (
    REGISTRY_HELP,
    add_guard_options,
    build_guard,
    need_model,
    note,
)
from guardrail.errors import RegistryError, UserError
from guardrail.registry import Registry

if TYPE_CHECKING:
    from guardrail.cli._options import Subcommands
    from guardrail.need import NeedClassifier

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    """Add the ``score``, ``train``, ``eval`` and ``drift`` subcommands."""
    score = sub.add_parser(
        "score", help="score the policy on labelled JSONL (expected_need_state/expected_handoff)"
    )
    score.add_argument("inputs", nargs="+", help="labelled JSONL files")
    add_guard_options(score, store=False)
    score.add_argument("--show", type=int, default=0, metavar="N",
                       help="also list up to N missed handoffs and wrongful escalations "
                            "(not with --part heldout)")
    score.add_argument("--part", choices=["all", "tune", "heldout"], default="all",
                       help="score only part of each file, cut by a stable hash of the line id: "
                            "heldout (30%% of lines, never tuned on) or tune (the rest)")
    score.set_defaults(func=_score)

    train = sub.add_parser("train", help="train a need-state model on labelled JSONL")
    train.add_argument("--data", action="append", required=True,
                       help="labelled JSONL (batch format + need_state); repeat for more files")
    train.add_argument("--output", "-o", required=True, help="folder to write the model to")
    train.add_argument("--holdout", type=float, default=0.2,
                       help="share of lines held out (never trained on) for the report")
    train.add_argument("--epochs", type=int, default=300)
    train.add_argument("--l2", type=float, default=3e-6)
    train.add_argument("--embedding", default="use_static",
                       help="shipped static sentence embedding to add to the n-gram features "
                       "('use_static', the multilingual one; '' for none)")
    train.add_argument("--embedding-scale", type=float, default=1.0,
                       help="weight of the embedding beside the n-gram features")
    train.add_argument("--registry", help=REGISTRY_HELP)
    train.set_defaults(func=_train)

    evaluate = sub.add_parser(
        "eval", help="run the scenario suite, report metrics and enforce the gates "
                     "(exit 1: a gate failed; 2: bad input)")
    evaluate.add_argument("paths", nargs="*",
                          help="scenario files or folders (default: evals/scenarios/ of "
                               "guardrail's source tree, wherever the command runs)")
    evaluate.add_argument("--config", help="eval config (default: evals/config.yaml of "
                                           "guardrail's source tree, if present); its "
                                           "`scenarios` are run when no paths are given")
    evaluate.add_argument("--init", metavar="DIR",
                          help="write a starter config.yaml and scenarios/ to DIR (new or "
                               "empty) and exit; then: guardrail eval --config DIR/config.yaml")
    add_guard_options(evaluate, store=False)
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
    evaluate.add_argument("--llm-model", metavar="MODEL",
                          help="also run an LLM cascade: the need model on every message, this "
                               "OpenAI-compatible chat model where it is unsure; the report "
                               "says how many turns reached it (needs OPENAI_API_KEY)")
    evaluate.add_argument("--llm-base-url", metavar="URL",
                          help="the OpenAI-compatible server of --llm-model (default: the "
                               "openai client's, OPENAI_BASE_URL)")
    evaluate.set_defaults(func=_eval)

    drift = sub.add_parser(
        "drift", help="compare two batches of production decisions (classify output or "
                      "audit logs)")
    drift.add_argument("--input", "-i", action="append", required=True, metavar="JSONL",
                       help="the earlier batch, then the later one (give it twice)")
    drift.add_argument("--json", action="store_true", help="print the report as JSON")
    drift.add_argument("--top", type=int, default=10, help="how many reason codes to show")
    drift.set_defaults(func=_drift)


def _score(args: argparse.Namespace) -> int:
    from guardrail.evals.scoring import score_lines

    if args.show and args.part == "heldout":
        raise UserError("--show lists failures, and the held-out part's are never read: "
                        "use --show with --part tune or all")
    guard = build_guard(args)
    label = "" if args.part == "all" else f" [{args.part}]"
    for path in args.inputs:
        with open(path, "rb") as handle:
            result = score_lines(guard, handle, args.part)
        print(f"{path}{label}: {result.summary()}")
        shown = [m for m in result.misses if m.kind != "need_state"][: args.show]
        for miss in shown:
            print(f"  {miss.kind:<20} {miss.id}: {miss.text[:100]!r} {list(miss.reasons)}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from guardrail.need.features import FeatureConfig
    from guardrail.need.training import load_examples, split, train_and_report

    if not 0 <= args.holdout < 1:
        raise UserError("--holdout must be in [0, 1)")
    registry = Registry.load(Path(args.registry) if args.registry else None)
    classes = registry.settings.need_states
    examples = load_examples(args.data, classes)
    kept, held = split(examples, args.holdout)
    note(args, f"guardrail: {len(examples)} labelled lines; training on {len(kept)}, "
               f"holding out {len(held)}")
    config = FeatureConfig(embedding=args.embedding, embedding_scale=args.embedding_scale,
                           embed_canonical=True)
    print(train_and_report(kept, held, classes, registry, config, args.output, epochs=args.epochs,
                           l2=args.l2, meta={"data": [Path(d).name for d in args.data],
                                             "holdout": args.holdout}))
    note(args, f"\nwrote {args.output}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from guardrail.evals import ScenarioFile

    if args.schema:
        print(json.dumps(ScenarioFile.model_json_schema(), indent=2))
        return 0
    if args.init is not None:
        return _init(args)
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
    scenarios = load_scenarios(args.paths or config.scenarios or None, registry)
    results = run_eval(scenarios, registry=registry, config=config,
                       need_model=_eval_classifier(args, registry), baseline=args.baseline,
                       jobs=args.jobs, progress=False if args.quiet else None)
    if previous is not None:
        results = results.model_copy(update={"compare": compare_results(results, previous)})
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(results.to_json(), encoding="utf-8")
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
        note(args, f"wrote {', '.join(written)} to {out}")
    print_summary(results)
    return 0 if results.passed else 1


def _init(args: argparse.Namespace) -> int:
    """Copy the starter pack shipped inside the package, so it works from a wheel install."""
    from importlib import resources

    given = [name for name, value in (("paths", args.paths), ("--config", args.config),
                                      ("--output", args.output), ("--compare", args.compare))
             if value]
    if given:
        raise UserError(f"--init writes a starter pack and exits; {', '.join(given)} cannot be "
                        "used with it")
    target = Path(args.init)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"--init: {target} exists and is not an empty folder (nothing written)")
    starter = Path(str(resources.files("guardrail") / "_data" / "eval_starter"))
    files = sorted(p for p in starter.rglob("*.yaml") if p.is_file())
    for source in files:
        destination = target / source.relative_to(starter)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(source.read_bytes())
    config = target / "config.yaml"
    note(args, f"wrote {config} and {len(files) - 1} scenario files under {target / 'scenarios'}")
    print(f"guardrail eval --config {config}")
    return 0


def _eval_classifier(args: argparse.Namespace, registry: Registry) -> NeedClassifier | str | None:
    """``--need-model`` as given, or with ``--llm-model`` the cascade of it and the LLM."""
    local = need_model(args)
    if not args.llm_model:
        if args.llm_base_url:
            raise UserError("--llm-base-url needs --llm-model")
        return local
    if local is None:
        raise UserError("--llm-model cascades from the need model: not with --need-model none")
    try:
        import openai
    except ImportError:
        raise UserError(f"--llm-model needs: {pip_hint('llm')}") from None
    from guardrail.need import CascadeClassifier, LLMNeedClassifier, NeedModel

    try:
        client = openai.OpenAI(base_url=args.llm_base_url, max_retries=0, timeout=10.0)
    except openai.OpenAIError as exc:  # no key
        raise UserError(f"--llm-model: {exc}") from None
    llm = LLMNeedClassifier.from_openai(client, registry.settings.need_states,
                                        model=args.llm_model)
    model = NeedModel.default() if local == "default" else NeedModel.load(local)
    return CascadeClassifier(model, llm, min_confidence=registry.settings.model.min_confidence)


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
