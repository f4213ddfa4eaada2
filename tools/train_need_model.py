"""Rebuild the shipped need-state model (guardrail/_data/models/need_default) from its recipe.

    python tools/train_need_model.py [--output DIR] [--epochs N]

The recipe is the data below, nothing else. The public call-centre sets (DSTC11, MultiDoGO)
and the language tune sets (evals/tune_lang) are split by a stable hash of the line id
(`guardrail score --part`): only their `tune` part is trained on, so their `heldout` part
measures the model on text it never saw. Nothing
under `evals/lang/` or `evals/dev/holdout.jsonl` is read. A fifth of the lines is held out
again by `guardrail train`'s own split, for the report written beside the model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guardrail.evals.scoring import in_part
from guardrail.need.features import FeatureConfig
from guardrail.need.training import load_examples, split, train_and_report
from guardrail.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
# Trained on whole.
WHOLE = [
    SHARED / "banking77" / "train.jsonl",
    ROOT / "evals" / "dev" / "dev.jsonl",
    ROOT / "evals" / "dev2" / "dev2.jsonl",
    *sorted((ROOT / "data" / "train").glob("*.jsonl")),
]
# Trained on their `tune` part only: the public sets, and the language tune sets (whose
# held-out part chooses thresholds, see tools/choose_thresholds.py).
PUBLIC = [
    SHARED / "dstc11" / "utterances.jsonl", SHARED / "multidogo" / "train.jsonl",
    *sorted((ROOT / "evals" / "tune_lang").glob("*.jsonl")),
]


def _shown(path: Path) -> str:
    """`path` as the model's meta.json lists it: relative to the checkout, "../" for the
    third-party data beside it."""
    if path.is_relative_to(ROOT):
        return path.relative_to(ROOT).as_posix()
    return "../" + path.relative_to(ROOT.parent).as_posix()


def main(argv: list[str] | None = None) -> int:
    """Train and write the model; print its held-out report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "guardrail/_data/models/need_default"))
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--l2", type=float, default=3e-6)
    parser.add_argument("--embedding", default="use_static")
    parser.add_argument("--embedding-scale", type=float, default=1.0)
    # Hashed buckets. At 2**18 the shipped model's rows fill 44% of them, so `known_share` (the
    # cascade's novelty check) calls about half of unseen words known; 2**20 (13% full) fixes
    # that but measured need accuracy 0.946 on the eval scenarios (0.954 at 2**18), under the
    # suite's 0.95 floor, so the shipped model stays at 2**18 (third language round, 2026-12-07).
    parser.add_argument("--buckets", type=int, default=1 << 18)
    parser.add_argument("--language-balance", type=float, default=0.0,
                        help="lift languages with fewer lines: (n_max / n) ** this per line")
    args = parser.parse_args(argv)
    registry = Registry.default()
    classes = registry.settings.need_states
    examples = load_examples(WHOLE, classes)
    public = [e for e in load_examples(PUBLIC, classes) if in_part(e.id, "tune")]
    kept, held = split([*examples, *public], 0.2)
    print(f"{len(examples)} lines whole + {len(public)} public tune lines; training on "
          f"{len(kept)}, holding out {len(held)}", file=sys.stderr)
    config = FeatureConfig(buckets=args.buckets, embedding=args.embedding,
                           embedding_scale=args.embedding_scale,
                           embed_canonical=True)
    data = [_shown(p) for p in WHOLE] + [f"{_shown(p)} (tune part)" for p in PUBLIC]
    print(train_and_report(kept, held, classes, registry, config, args.output,
                           epochs=args.epochs, l2=args.l2,
                           language_balance=args.language_balance,
                           meta={"data": data, "holdout": 0.2,
                                 "builder": "tools/train_need_model.py"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
