"""Give every registry rule ``examples`` and ``counterexamples`` that lack them, in its YAML file.

Each rule must prove it can match (DESIGN principle 6): its examples make it fire, its
counterexamples (near-misses) do not, through the rule detector the engine uses
(`guardrail.detectors.examples.check_examples`). This script writes a first set into the
YAML for rules that have none, and leaves every rule that has some alone:

- examples: the per-language test cases (``tests/registry/cases_<lang>.py``) that fire the
  rule, the shortest first (a few, short, so the YAML stays readable);
- counterexamples: messages that are plainly not what the rule reads (`_not_instances`: the
  look-alike cases that must not hand off, for a risk or human rule; other rules' examples
  for the rest) and do not fire it, those sharing the most words with its examples and
  patterns first (near-misses: negations, hypotheticals, how-to questions);
- ``--extra FILE``: hand-written ones, ``{"rule id": {"examples": [...],
  "counterexamples": [...]}}`` (JSON), which take precedence.

Only candidates that really fire (or really do not) are written. The lines go right after the
rule's ``explanation:``; comments and layout are kept. Run it, then read the diff:
``python tools/seed_rule_examples.py [--extra hand.json] [--dry-run]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardrail.conversation import Message  # noqa: E402
from guardrail.detectors.rules import RuleDetector  # noqa: E402
from guardrail.registry import CompiledRule, Registry  # noqa: E402

LANGS = ("de", "en", "es", "fr", "hi", "it", "nl", "pt")
_WORD = re.compile(r"[a-z]{3,}")
_MOST_EXAMPLES = 2
_MOST_COUNTER = 2
_NEAR = 2  # the least word overlap that makes a case a near-miss of a rule


def _content(registry: Registry, text: str) -> set[str]:
    """The telling words of `text` as the rules read it (canonical, four letters or more)."""
    return {w for w in registry.normaliser.canonical(text).words if len(w) >= 4}


def _cases() -> dict[str, list[tuple[str, bool]]]:
    """Language -> (message, must hand off) from the per-language test cases."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for lang in LANGS:
        module = importlib.import_module(f"tests.registry.cases_{lang}")
        found[lang] = [(text, handoff) for text, handoff, _segment in module.CASES]
    return found


def _fires(detector: RuleDetector, rule: CompiledRule, text: str) -> bool:
    scan = detector.scan(0, Message(role=rule.spec.roles[0], content=text))
    return any(f.rule_id == rule.spec.id for f in scan.findings)


def _words(rule: CompiledRule) -> set[str]:
    return set(_WORD.findall(" ".join(rule.spec.patterns)))


def _examples(
    detector: RuleDetector, rule: CompiledRule, own: list[tuple[str, bool]],
    hand: dict[str, list[str]],
) -> list[str]:
    examples = [t for t in hand.get("examples", []) if _fires(detector, rule, t)]
    firing = sorted({t for t, _ in own if _fires(detector, rule, t)}, key=len)
    return examples + [t for t in firing if t not in examples][
        : max(0, _MOST_EXAMPLES - len(examples))]


def _not_instances(
    registry: Registry, rule: CompiledRule, own: list[tuple[str, bool]],
    examples: dict[str, list[str]],
) -> list[str]:
    """Messages that are plainly not what `rule` reads (so a counterexample never contradicts
    the rule's meaning): for a risk, human or injection rule, the cases that must not hand
    off (look-alikes); for a need rule, the examples of its language's rules for another
    need; for an exit rule, those of its language's risk and human rules (a trigger is not a
    resolution); for a friction or topic rule, those of its language's small-talk rules."""
    spec = rule.spec
    if spec.kind in ("risk", "human", "injection"):
        return [t for t, handoff in own if not handoff]
    same = [r.spec for r in registry.rules if r.spec.lang == spec.lang and r.spec.id != spec.id]
    if spec.kind == "need":
        others = [o for o in same if o.need_state and o.need_state != spec.need_state]
    elif spec.kind == "exit":
        others = [o for o in same if o.kind in ("risk", "human")]
    else:
        others = [o for o in same if o.need_state == registry.settings.default_need_state]
    return [t for o in others for t in examples.get(o.id, [])]


def _counterexamples(
    registry: Registry, detector: RuleDetector, rule: CompiledRule, candidates: list[str],
    mine: list[str], hand: dict[str, list[str]],
) -> list[str]:
    counter = [t for t in hand.get("counterexamples", []) if not _fires(detector, rule, t)]
    if len(counter) >= _MOST_COUNTER:
        return counter
    # A near-miss shares words with what fires the rule: its examples count double.
    said = {w for t in mine for w in _content(registry, t)}
    written = _words(rule)
    ranked = set()
    for text in candidates:
        if text in mine or text in counter or _fires(detector, rule, text):
            continue
        words = _content(registry, text)
        score = 2 * len(words & said) + len(words & written)
        if score >= _NEAR or rule.spec.kind not in ("risk", "human", "injection"):
            ranked.add((-score, len(text), text))
    return counter + [text for *_, text in sorted(ranked)][: _MOST_COUNTER - len(counter)]


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _insert(path: Path, wanted: dict[str, tuple[list[str], list[str]]], dry_run: bool) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out: list[str] = []
    current: str | None = None
    indent = ""
    written = 0
    for line in lines:
        out.append(line)
        head = re.match(r"^(\s*)- id: (\S+)\s*$", line)
        if head:
            current, indent = head.group(2), head.group(1) + "  "
            continue
        if current in wanted and line.startswith(f"{indent}explanation:"):
            examples, counter = wanted.pop(current)
            for key, texts in (("examples", examples), ("counterexamples", counter)):
                if texts:
                    out.append(f"{indent}{key}:\n")
                    out.extend(f"{indent}  - {_quote(t)}\n" for t in texts)
            written += 1
            current = None
    if written and not dry_run:
        path.write_text("".join(out), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    """Write examples and counterexamples into the registry's rule files; print what is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default=str(ROOT / "segments"))
    parser.add_argument("--extra", help="JSON file of hand-written examples by rule id")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    registry = Registry.load(args.registry)
    detector = RuleDetector(registry)
    extra = json.loads(Path(args.extra).read_text(encoding="utf-8")) if args.extra else {}
    cases = _cases()
    by_file: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    missing: list[str] = []
    default = registry.settings.languages.default
    own = {r.spec.id: cases.get(r.spec.lang or default, []) for r in registry.rules}
    examples = {
        r.spec.id: list(r.spec.examples) or _examples(
            detector, r, own[r.spec.id], extra.get(r.spec.id, {}))
        for r in registry.rules
    }
    for rule in registry.rules:
        if rule.spec.examples or rule.spec.counterexamples:
            continue
        candidates = _not_instances(registry, rule, own[rule.spec.id], examples)
        counter = _counterexamples(registry, detector, rule, candidates,
                                   examples[rule.spec.id], extra.get(rule.spec.id, {}))
        if not examples[rule.spec.id] or not counter:
            missing.append(f"{rule.spec.id}: {len(examples[rule.spec.id])} examples, "
                           f"{len(counter)} counter")
        file, _ = registry.rule_origins[rule.spec.id]
        by_file.setdefault(file, {})[rule.spec.id] = (examples[rule.spec.id], counter)
    for file, wanted in sorted(by_file.items()):
        written = _insert(Path(args.registry) / file, wanted, args.dry_run)
        print(f"{file}: {written} rules")
    for line in missing:
        print(f"missing {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
