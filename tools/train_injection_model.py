"""Rebuild the shipped injection model (guardrail/_data/models/injection_default) and measure it.

    python tools/train_injection_model.py                  # train on everything, write the model
    python tools/train_injection_model.py --by-family      # leave-one-family-out figures only

The recipe is the data below, nothing else:

- attacks: the published attacks in ``../shared/data/injections/train.jsonl`` (four source
  families: BIPIA indirect payloads, GPTFuzz templates, JailbreakBench JBC, PALLMs) and the
  team's own ``data/injections/own_train*.jsonl`` (user-turn and tool-result attacks in eight
  languages);
- benign: the ``injection: false`` lines of both, and ordinary customer messages that no
  injection rule flags: the user turns of Banking77 and of ``data/train/`` (the need model's own
  training lines), and the ``tune`` part of DSTC11 and MultiDoGO (real call-centre text); and
  the adapters' own tool-channel texts (``prompts/adapter.yaml``: a refused call, a withheld
  part), which speak to the model but are the operator's.

``--by-family`` trains once per published family with that family left out and reports the share
of it flagged: attacks of a kind the model has not seen. Nothing under ``evals/`` is read here;
``tools/eval_injection.py`` measures the shipped model on the held-out sets.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guardrail.conversation import Message  # noqa: E402
from guardrail.detectors.injection_model import (  # noqa: E402
    INJECTION_CLASSES,
    InjectionModel,
)
from guardrail.detectors.rules import RuleDetector  # noqa: E402
from guardrail.evals.scoring import in_part  # noqa: E402
from guardrail.need.features import FeatureConfig  # noqa: E402
from guardrail.need.training import Example, load_examples, train  # noqa: E402
from guardrail.prompts import Prompts  # noqa: E402
from guardrail.reasons import ADAPTER_CODES  # noqa: E402
from guardrail.registry import Registry  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
PUBLISHED = SHARED / "injections" / "train.jsonl"
OWN = sorted((ROOT / "data" / "injections").glob("own_train*.jsonl"))
# Real call-centre utterances (their `tune` part only; the `heldout` part measures the need model).
PUBLIC = [SHARED / "dstc11" / "utterances.jsonl", SHARED / "multidogo" / "train.jsonl"]
ORDINARY = [SHARED / "banking77" / "train.jsonl",
            *sorted((ROOT / "data" / "train").glob("*.jsonl"))]
OUTPUT = ROOT / "guardrail" / "_data" / "models" / "injection_default"
# Ordinary messages kept per file: enough to teach "a support request is not an attack" in
# every language without drowning the few hundred attacks.
ORDINARY_PER_FILE = 600


def _rows(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def attack_examples() -> list[Example]:
    """The published and own lines, labelled ``injection`` / ``benign``; `source` is the family
    (the published source, or ``own_train``) and `lang` the line's language."""
    out = []
    for path in (PUBLISHED, *OWN):
        for row in _rows(path):
            label = "injection" if row["injection"] else "benign"
            out.append(Example(str(row["id"]), str(row["text"]), label, None,
                               str(row.get("source", "own_train")), str(row.get("lang", "en"))))
    return out


def adapter_examples(registry: Registry) -> list[Example]:
    """The adapters' own tool-channel texts (a refused call, a failed tool, a withheld part;
    ``prompts/adapter.yaml``) for every tool, as ``benign``: the operator speaks to the model
    there, and that is not an injection."""
    texts = Prompts.default().adapter
    codes = [*ADAPTER_CODES, "security.prompt_injection", "model.injection_suspected"]
    out = []
    for i, tool in enumerate(sorted(registry.tools)):
        code = codes[i % len(codes)]
        rendered = [
            texts.tool_denied.format(tool=tool, code=code, reason=ADAPTER_CODES.get(
                code, "The decision for this turn denies the tool")),
            texts.confirmation_declined.format(tool=tool),
            texts.tool_failed.format(tool=tool, error=("TimeoutError", "ValueError")[i % 2]),
            texts.content_withheld.format(source=("tool result", "document")[i % 2], code=code),
            texts.content_warning.format(source=("document", "tool result")[i % 2], code=code),
        ]
        out.extend(Example(f"adapter:{tool}:{n}", text, "benign", None, "adapter_texts", "en")
                   for n, text in enumerate(rendered))
    return out


def ordinary_examples(registry: Registry) -> list[Example]:
    """Ordinary customer messages no injection rule flags, as ``benign``."""
    detector = RuleDetector(registry)
    out = []
    for path in [*ORDINARY, *PUBLIC]:
        taken = 0
        for example in load_examples([path], registry.settings.need_states):
            if taken >= ORDINARY_PER_FILE:
                break
            if path in PUBLIC and not in_part(example.id, "tune"):
                continue
            scan = detector.scan(0, Message(role="user", content=example.text))
            if any(f.kind == "injection" for f in scan.findings):
                continue
            taken += 1
            out.append(Example(f"ordinary:{example.id}", example.text, "benign", None,
                               f"ordinary:{path.name}", example.lang))
    return out


@dataclass(frozen=True)
class Recipe:
    """How the model is fitted: epochs, how strongly weights are pulled to zero, how much the
    multilingual sentence embedding weighs beside the n-grams, and how look-alikes and languages
    are weighed. Tried with --cv 5 on the training lines (2026-12-07): embedding scale 2.0,
    language balance 1.0, and each benign look-alike counted three times each moved recall and
    false positives along the same trade-off curve as the threshold does, no better; the
    defaults stay."""

    epochs: int = 300
    l2: float = 3e-6
    embedding_scale: float = 1.0
    # Lines of languages with fewer lines weigh (n_max / n) ** this (`guardrail.need.training`).
    language_balance: float = 0.5


def fit(examples: list[Example], registry: Registry, recipe: Recipe) -> InjectionModel:
    config = FeatureConfig(embedding="use_static", embed_canonical=True,
                           embedding_scale=recipe.embedding_scale)
    model = train(examples, list(INJECTION_CLASSES), registry, config, epochs=recipe.epochs,
                  l2=recipe.l2, language_balance=recipe.language_balance,
                  meta={"builder": "tools/train_injection_model.py",
                        "data": [_shown(PUBLISHED), *map(_shown, OWN),
                                 *(f"{_shown(p)} (ordinary, benign)" for p in ORDINARY),
                                 *(f"{_shown(p)} (tune part, ordinary, benign)"
                                   for p in PUBLIC)],
                        "thresholds_at_build": {
                            "user": registry.settings.injection.model_threshold,
                            "tool": registry.settings.injection.tool_threshold},
                        "recipe": asdict(recipe)})
    return InjectionModel(model)


def _shown(path: Path) -> str:
    if path.is_relative_to(ROOT):
        return path.relative_to(ROOT).as_posix()
    return "../" + path.relative_to(ROOT.parent).as_posix()


def by_family(registry: Registry, recipe: Recipe) -> dict[str, dict[str, float]]:
    """Per published family: the share flagged by a model trained without it, at the
    registry's threshold for where the family's texts arrive (user turn or tool result)."""
    settings = registry.settings.injection
    where = {str(r["id"]): str(r.get("where", "user")) for r in _rows(PUBLISHED)}
    attacks = attack_examples()
    ordinary = ordinary_examples(registry)
    detector = RuleDetector(registry)
    families = sorted({e.source for e in attacks if e.source != "own_train"
                       and e.need_state == "injection"})
    report: dict[str, dict[str, float]] = {}
    for family in families:
        kept = [e for e in [*attacks, *ordinary, *adapter_examples(registry)]
                if e.source != family]
        model = fit(kept, registry, recipe)
        held = [e for e in attacks if e.source == family]
        flagged = sum(
            model.score_text(e.text, detector) >= (
                settings.model_threshold if where.get(e.id, "user") == "user"
                else settings.tool_threshold)
            for e in held if e.need_state == "injection")
        attacks_n = sum(e.need_state == "injection" for e in held)
        report[family] = {"attacks": attacks_n, "flagged": flagged,
                          "share": flagged / attacks_n if attacks_n else 0.0}
        print(f"{family:24} {flagged:4}/{attacks_n:<4} flagged by a model trained without it "
              f"({report[family]['share']:.3f})", file=sys.stderr)
    return report


def cross_validate(registry: Registry, recipe: Recipe, folds: int) -> None:
    """K-fold (stable hash of the line id) over the training lines: recall on attacks by where
    the text arrives and language, and the share of benign look-alikes and ordinary messages
    flagged, at several thresholds (to choose ``settings.injection.model_threshold`` on training
    data, never on a held-out set)."""
    examples = [*attack_examples(), *ordinary_examples(registry), *adapter_examples(registry)]
    detector = RuleDetector(registry)
    thresholds = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    scored: list[tuple[Example, float]] = []
    for fold in range(folds):
        def part(e: Example, f: int = fold) -> bool:
            return zlib.crc32(e.id.encode()) % folds == f
        model = fit([e for e in examples if not part(e)], registry, recipe)
        scored.extend((e, model.score_text(e.text, detector)) for e in examples if part(e))
        print(f"fold {fold + 1}/{folds} done", file=sys.stderr)
    where = {str(r["id"]): str(r.get("where", "user")) for p in (PUBLISHED, *OWN)
             for r in _rows(p)}
    groups: dict[str, list[float]] = {}
    for example, score in scored:
        if example.need_state == "injection":
            lang = "en" if example.lang == "en" else "xx"
            key = f"attacks {where.get(example.id, 'user')} {lang}"
        elif example.source.startswith("ordinary:"):
            key = "ordinary (benign)"
        else:
            key = f"look-alikes {where.get(example.id, 'user')} (benign)"
        groups.setdefault(key, []).append(score)
    print("threshold " + " ".join(f"{t:>6}" for t in thresholds))
    for key, scores in sorted(groups.items()):
        shares = [sum(s >= t for s in scores) / len(scores) for t in thresholds]
        print(f"{key:34} n={len(scores):<5} " + " ".join(f"{v:6.3f}" for v in shares))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(OUTPUT))
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--by-family", action="store_true",
                        help="only the leave-one-family-out figures; write no model")
    parser.add_argument("--cv", type=int, default=0, metavar="K",
                        help="only K-fold cross-validation figures per threshold; write no model")
    parser.add_argument("--l2", type=float, default=Recipe.l2)
    parser.add_argument("--embedding-scale", type=float, default=Recipe.embedding_scale)
    parser.add_argument("--language-balance", type=float, default=Recipe.language_balance)
    args = parser.parse_args(argv)
    recipe = Recipe(args.epochs, args.l2, args.embedding_scale, args.language_balance)
    registry = Registry.default()
    if args.cv:
        cross_validate(registry, recipe, args.cv)
        return 0
    if args.by_family:
        print(json.dumps(by_family(registry, recipe), indent=2))
        return 0
    examples = [*attack_examples(), *ordinary_examples(registry), *adapter_examples(registry)]
    counts = Counter((e.source, e.need_state) for e in examples)
    for (source, label), n in sorted(counts.items()):
        print(f"{source:40} {label:9} {n}", file=sys.stderr)
    model = fit(examples, registry, recipe)
    model.save(args.output)
    for licence in sorted((SHARED / "injections").glob("LICENSE.*")):
        target = Path(args.output) / licence.name
        target.unlink(missing_ok=True)  # the shared copies are read-only
        shutil.copyfile(licence, target)
    print(f"wrote {args.output} ({len(examples)} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
