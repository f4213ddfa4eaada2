"""Hashed text features for the learned need-state model (the same at training and run time).

A message is folded by the registry's `Normaliser` (so typos, look-alike letters and spacing
tricks read the same to the model as to the rules), then turned into hashed word unigrams,
word bigrams and character 3-5-grams inside words. Hashing uses CRC-32, which, unlike Python's
`hash`, is the same in every process, so a model trained once works everywhere.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import threading
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt

from guardrail.need.embedding import StaticEncoder, default_embeddings_dir
from guardrail.translit import romanise_devanagari

__all__ = ["FeatureConfig", "KnownFeatures", "dense_features", "featurize", "shipped_encoder"]


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How text becomes features; stored with a model so prediction matches training."""

    buckets: int = 1 << 18
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 5
    max_words: int = 400
    rule_features: bool = True
    # The static sentence embedding (a folder name under guardrail/_data/embeddings, "" for
    # none) whose vector joins the hashed features, and the weight it gets beside them.
    embedding: str = ""
    embedding_scale: float = 1.0
    # The embedding reads the canonical words (what the rules read: folded, typo-corrected,
    # Devanagari romanised) instead of the raw text. Then a message read again without its
    # injected instructions (which exists only as canonical words) is embedded the same way
    # as a message that never had any, and look-alike letters cannot move the embedding.
    embed_canonical: bool = False

    def to_json(self) -> dict[str, int | bool | str | float]:
        """A JSON-ready dict."""
        return {
            "embedding": self.embedding,
            "embedding_scale": self.embedding_scale,
            "embed_canonical": self.embed_canonical,
            "buckets": self.buckets,
            "word_ngrams": self.word_ngrams,
            "char_min": self.char_min,
            "char_max": self.char_max,
            "max_words": self.max_words,
            "rule_features": self.rule_features,
        }


def _bucket(token: str, buckets: int) -> int:
    return zlib.crc32(token.encode()) % buckets


# Per-word features (the word itself and its character n-grams) depend only on the word and
# the config, and words repeat endlessly across messages: memoised, with a size bound.
_WORD_MEMO: dict[FeatureConfig, dict[str, tuple[tuple[int, float], ...]]] = {}
_WORD_MEMO_LIMIT = 200_000


def _word_features(
    word: str, config: FeatureConfig, memo: dict[str, tuple[tuple[int, float], ...]]
) -> tuple[tuple[int, float], ...]:
    cached = memo.get(word)
    if cached is not None:
        return cached
    out = [(_bucket(f"w:{word}", config.buckets), 1.0)]
    padded = f"<{word}>"
    for size in range(config.char_min, config.char_max + 1):
        for start in range(len(padded) - size + 1):
            out.append((_bucket(f"c:{padded[start : start + size]}", config.buckets), 0.5))
    result = tuple(out)
    if len(memo) < _WORD_MEMO_LIMIT:
        memo[word] = result
    return result


def featurize(
    words: Sequence[str], config: FeatureConfig, rule_codes: Sequence[str] = ()
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Sparse features of canonical `words` (see `Normaliser.canonical`): sorted unique bucket
    indices and L2-normalised weights.

    With `config.rule_features`, the codes of the rules that matched the message are features
    too: the model learns how far to trust each deterministic rule in each context.
    """
    words = [w for w in words if w != "."][: config.max_words]
    counts: dict[int, float] = {}
    memo = _WORD_MEMO.setdefault(config, {})
    for i, word in enumerate(words):
        for index, weight in _word_features(word, config, memo):
            counts[index] = counts.get(index, 0.0) + weight
        if config.word_ngrams >= 2 and i + 1 < len(words):
            index = _bucket(f"b:{word} {words[i + 1]}", config.buckets)
            counts[index] = counts.get(index, 0.0) + 1.0
    if config.rule_features:
        for code in rule_codes:
            index = _bucket(f"r:{code}", config.buckets)
            counts[index] = counts.get(index, 0.0) + 2.0
    if not counts:
        counts[_bucket("w:<empty>", config.buckets)] = 1.0
    indices = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
    values = np.array([counts[i] for i in indices.tolist()], dtype=np.float32)
    # Sub-linear counts, then unit length: long rambling messages do not dominate.
    values = np.sqrt(values)
    values /= float(np.linalg.norm(values)) or 1.0
    return indices, values


# A word's hashed features in half units: each feature's bucket, repeated once per half unit of
# its weight (a word feature weighs 1.0: twice; a character n-gram 0.5: once), and the total
# half units. For long texts, the same as arrays: unique buckets and their half units.
_HalfEntry = tuple[tuple[int, ...], int]
_ArrayEntry = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]
_FEW_WORDS = 48  # up to this many words a text's features keep their first-seen order
_BUCKETS = operator.itemgetter(0)
_HALVES = operator.itemgetter(1)
_TOTAL = operator.itemgetter(2)


def _halves(weight: float) -> int:
    """`weight` in half units (every feature weight is a multiple of 0.5; see `featurize`)."""
    halves = weight * 2
    if not halves.is_integer():
        raise ValueError(f"feature weight {weight} is not a multiple of 0.5")
    return int(halves)


class _Read(NamedTuple):
    """A message's hashed features, before any model drops the ones it does not know: the
    buckets (first seen first for up to `_FEW_WORDS` words, sorted beyond: the order the
    models' dot products run in) and their unit-scaled values, and how many words were read.
    Read-only by convention: models take copies (`KnownFeatures.read`)."""

    buckets: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    words: int


class _Reader:
    """Hashed features of canonical words in bucket space, shared by every model of one
    `FeatureConfig` (the need and the injection model read the same message one after the
    other: the last message's features are kept per thread, so it is read once).

    Exact: every weight is a multiple of 0.5, so counts are whole numbers of half units and
    every sum is exact in any order; a value is ``sqrt(count) / sqrt(total)`` as in
    `featurize`. Words, word pairs and rule codes repeat endlessly, so their features are
    memoised (bounded; the memos only gain entries, so sharing between threads is safe).
    """

    _MEMO_LIMIT = 50_000

    def __init__(self, config: FeatureConfig) -> None:
        self._config = config
        self._words: dict[str, _HalfEntry] = {}
        self._arrays: dict[str, _ArrayEntry] = {}
        self._pairs: dict[tuple[str, str], tuple[int, int]] = {}
        self._codes: dict[str, int] = {}
        self._last = threading.local()

    def _word(self, word: str) -> _HalfEntry:
        features = _word_features(word, self._config, _WORD_MEMO.setdefault(self._config, {}))
        buckets: list[int] = []
        total = 0
        for bucket, weight in features:
            halves = _halves(weight)
            total += halves
            buckets.extend((bucket,) * halves)
        entry = (tuple(buckets), total)
        if len(self._words) < self._MEMO_LIMIT:
            self._words[word] = entry
        return entry

    def _word_arrays(self, word: str) -> _ArrayEntry:
        buckets, total = self._words.get(word) or self._word(word)
        counts = Counter(buckets)
        entry = (
            np.fromiter(counts, dtype=np.int64, count=len(counts)),
            np.fromiter(counts.values(), dtype=np.float64, count=len(counts)),
            total,
        )
        if len(self._arrays) < self._MEMO_LIMIT:
            self._arrays[word] = entry
        return entry

    def _pair(self, pair: tuple[str, str]) -> tuple[int, int]:
        bucket = _bucket(f"b:{pair[0]} {pair[1]}", self._config.buckets)
        halves = (bucket, bucket)  # weight 1.0
        if len(self._pairs) < self._MEMO_LIMIT:
            self._pairs[pair] = halves
        return halves

    def _code(self, code: str) -> int:
        bucket = _bucket(f"r:{code}", self._config.buckets)
        if len(self._codes) < self._MEMO_LIMIT:
            self._codes[code] = bucket
        return bucket

    def read(self, words: Sequence[str], rule_codes: Sequence[str]) -> _Read:
        """The features of `words` (canonical, sentence breaks included) and `rule_codes`."""
        key = (tuple(words), tuple(rule_codes))
        last: tuple[tuple[tuple[str, ...], tuple[str, ...]], _Read] | None = getattr(
            self._last, "value", None
        )
        if last is not None and last[0] == key:
            return last[1]
        kept = [w for w in key[0] if w != "."][: self._config.max_words]
        many = len(kept) > _FEW_WORDS
        read = self._many(kept, key[1]) if many else self._few(kept, key[1])
        self._last.value = (key, read)
        return read

    def _few(self, kept: list[str], rule_codes: Sequence[str]) -> _Read:
        """A short text's features in first-seen order: one C-level count over its words'
        memoised buckets (each repeated once per half unit)."""
        config = self._config
        got = list(map(self._words.get, kept))
        entries: list[_HalfEntry] = (
            [e or self._word(w) for w, e in zip(kept, got, strict=True)]
            if None in got else cast(list[_HalfEntry], got)
        )
        parts: list[tuple[int, ...]] = list(map(_BUCKETS, entries))
        total = sum(map(_HALVES, entries))
        if config.word_ngrams >= 2 and len(kept) > 1:
            found = list(map(self._pairs.get, itertools.pairwise(kept)))
            if None in found:
                found = [
                    self._pair(p) if b is None else b
                    for p, b in zip(itertools.pairwise(kept), found, strict=True)
                ]
            parts.extend(cast(list[tuple[int, int]], found))
            total += 2 * len(found)
        total = self._extra(parts, rule_codes, total)
        counts = Counter(itertools.chain.from_iterable(parts))
        buckets = np.fromiter(counts, dtype=np.int64, count=len(counts))
        halves = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return _Read(buckets, _scaled(halves, total), len(kept))

    def _many(self, kept: list[str], rule_codes: Sequence[str]) -> _Read:
        """A long text's features in bucket order: each distinct word's memoised arrays, times
        how often it occurs, summed with numpy."""
        config = self._config
        counted = Counter(kept)
        arrays = self._arrays
        entries = [arrays.get(w) or self._word_arrays(w) for w in counted]
        counts = np.fromiter(counted.values(), dtype=np.float64, count=len(counted))
        total = sum(map(operator.mul, map(_TOTAL, entries), counted.values()))
        lengths = np.fromiter(map(len, map(_BUCKETS, entries)), np.int64, len(entries))
        buckets = [np.concatenate(list(map(_BUCKETS, entries)))]
        halves = [np.concatenate(list(map(_HALVES, entries))) * np.repeat(counts, lengths)]
        if config.word_ngrams >= 2:
            pairs = list(itertools.pairwise(kept))
            got = list(map(self._pairs.get, pairs))
            found: list[tuple[int, int]] = (
                [self._pair(p) if b is None else b for p, b in zip(pairs, got, strict=True)]
                if None in got else cast(list[tuple[int, int]], got)
            )
            buckets.append(np.fromiter(map(_BUCKETS, found), dtype=np.int64, count=len(found)))
            halves.append(np.full(len(found), 2.0))
            total += 2 * len(found)
        parts: list[tuple[int, ...]] = []
        total = self._extra(parts, rule_codes, total)
        extra = list(itertools.chain.from_iterable(parts))
        buckets.append(np.array(extra, dtype=np.int64))
        halves.append(np.full(len(extra), 1.0))
        unique, inverse = np.unique(np.concatenate(buckets), return_inverse=True)
        summed = cast(  # with weights, bincount sums float64
            npt.NDArray[np.float64], np.bincount(inverse, weights=np.concatenate(halves))
        )
        return _Read(unique, _scaled(summed, total), len(kept))

    def _extra(self, parts: list[tuple[int, ...]], rule_codes: Sequence[str], total: int) -> int:
        """Add the rule codes' features (weight 2 each) and, when the text gave no feature at
        all, `featurize`'s "<empty>" one, to `parts`; the total half units with them."""
        config = self._config
        if config.rule_features:
            codes = self._codes
            for code in rule_codes:
                bucket = codes.get(code)
                if bucket is None:
                    bucket = self._code(code)
                parts.append((bucket,) * 4)
                total += 4
        if total == 0:  # nothing at all
            parts.append((_bucket("w:<empty>", config.buckets),) * 2)
            total = 2
        return total


def _scaled(halves: npt.NDArray[np.float64], total: int) -> npt.NDArray[np.float64]:
    """Sub-linear counts, then unit length, as `featurize` does it (a count is its half units
    times 0.5, exactly; the norm is the square root of all features' summed weights)."""
    scaled: npt.NDArray[np.float64] = np.sqrt(halves * 0.5) / math.sqrt(total * 0.5)
    return scaled


_READERS: dict[FeatureConfig, _Reader] = {}
_READERS_LOCK = threading.Lock()


def _reader(config: FeatureConfig) -> _Reader:
    """The one `_Reader` of `config` in this process (models of equal configs share it)."""
    reader = _READERS.get(config)
    if reader is None:
        with _READERS_LOCK:
            reader = _READERS.setdefault(config, _Reader(config))
    return reader


class KnownFeatures:
    """`featurize` restricted to the buckets a trained model has weights for: what prediction
    needs, computed without building the features the model would throw away.

    Exact, not an approximation: the vector is L2-normalised over *all* features before the
    unknown ones are dropped (see `_Reader`), and the positions come in the order of the
    message's buckets (first seen for a short text, sorted for a long one), which keeps the
    models' dot products, and so their probabilities, bit-identical run to run. Safe to share
    between threads.
    """

    def __init__(self, config: FeatureConfig, rows: npt.NDArray[np.int64]) -> None:
        self._config = config
        self._reader = _reader(config)
        # bucket -> row position (-1: the model has no weight for it); 8 bytes a bucket
        self._lookup = np.full(config.buckets, -1, dtype=np.int64)
        self._lookup[rows] = np.arange(len(rows), dtype=np.int64)
        # rows ascending: a sorted message's positions are sorted too
        self._ascending = bool(np.all(rows[1:] > rows[:-1]))

    def read(
        self, words: Sequence[str], rule_codes: Sequence[str] = ()
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
        """`vector`, and how many words were read (sentence breaks and words past
        ``config.max_words`` are not)."""
        read = self._reader.read(words, rule_codes)
        at = self._lookup.take(read.buckets)
        known = at >= 0
        positions, values = at[known], read.values[known]
        if read.words > _FEW_WORDS and not self._ascending:
            order = positions.argsort()
            positions, values = positions[order], values[order]
        return positions, values, read.words

    def vector(
        self, words: Sequence[str], rule_codes: Sequence[str] = ()
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Row positions (unique) and their values: the same numbers `featurize` gives for the
        model's known buckets."""
        positions, values, _ = self.read(words, rule_codes)
        return positions, values


# A message's meaning is in its first few thousand characters; the encoder's cost is linear.
_DENSE_CHARS = 4000


def dense_features(
    encoder: StaticEncoder, text: str, config: FeatureConfig, words: Sequence[str] = ()
) -> npt.NDArray[np.float32]:
    """The sentence embedding of raw `text` (or, for a config that embeds canonical text, of
    its canonical `words`), scaled for the linear model.

    Devanagari is embedded as romanised Hindi (`guardrail.translit`): the multilingual
    encoder's vocabulary barely covers the script, but it reads romanised Hindi well.
    """
    if config.embed_canonical:
        text = " ".join(words)
    text = text[:_DENSE_CHARS]
    # The need model and the injection model embed the same message one after the other: the
    # last embedding is kept (per thread, read-only), so a message is embedded once.
    last: tuple[StaticEncoder, str, npt.NDArray[np.float32]] | None = getattr(
        _LAST_DENSE, "value", None
    )
    if last is not None and last[0] is encoder and last[1] == text:
        vector = last[2]
    else:
        vector = encoder.encode(romanise_devanagari(text))
        vector.flags.writeable = False
        _LAST_DENSE.value = (encoder, text, vector)
    return vector * np.float32(config.embedding_scale) if config.embedding_scale != 1.0 else vector


_LAST_DENSE = threading.local()



@functools.cache
def shipped_encoder(name: str) -> StaticEncoder:
    """The shipped static encoder called `name` (loaded once per process and shared)."""
    return StaticEncoder.load(default_embeddings_dir().parent / name)
