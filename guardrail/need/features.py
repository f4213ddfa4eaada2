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
from typing import cast

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


# A word's known features: row positions, their weights, the weight of all its features, and
# the (position, weight) pairs again as Python numbers (for short texts, see `vector`).
_Entry = tuple[
    npt.NDArray[np.int64], npt.NDArray[np.float64], float, tuple[tuple[int, float], ...]
]
_FEW_WORDS = 48  # up to this many words a text's features are summed in a dict, not numpy
_POSITIONS = operator.itemgetter(0)
_WEIGHTS = operator.itemgetter(1)
_TOTAL = operator.itemgetter(2)


class KnownFeatures:
    """`featurize` restricted to the buckets a trained model has weights for: what prediction
    needs, computed without building the features the model would throw away.

    Exact, not an approximation: the vector is L2-normalised over *all* features before the
    unknown ones are dropped, and since each value is the square root of its bucket's count,
    that norm is the square root of the summed weights, which needs no bucket at all. Words
    and word pairs repeat, so their known positions are memoised (bounded). Safe to share
    between threads: the memos only ever gain entries (dict operations are atomic).
    """

    _MEMO_LIMIT = 50_000

    def __init__(self, config: FeatureConfig, rows: npt.NDArray[np.int64]) -> None:
        self._config = config
        # bucket -> row position, for the buckets the model knows
        self._position = {int(bucket): i for i, bucket in enumerate(rows.tolist())}
        self._words: dict[str, _Entry] = {}
        self._pairs: dict[tuple[str, str], int] = {}

    def _word(self, word: str) -> _Entry:
        features = _word_features(word, self._config, _WORD_MEMO.setdefault(self._config, {}))
        known = [(self._position[i], weight) for i, weight in features if i in self._position]
        total = sum(weight for _, weight in features)
        entry = (
            np.array([p for p, _ in known], dtype=np.int64),
            np.array([w for _, w in known], dtype=np.float64),
            total,
            tuple(known),
        )
        if len(self._words) < self._MEMO_LIMIT:
            self._words[word] = entry
        return entry

    def _pair(self, pair: tuple[str, str]) -> int:
        position = self._position.get(_bucket(f"b:{pair[0]} {pair[1]}", self._config.buckets), -1)
        if len(self._pairs) < self._MEMO_LIMIT:
            self._pairs[pair] = position
        return position

    def vector(
        self, words: Sequence[str], rule_codes: Sequence[str] = ()
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Row positions (unique) and their values: the same numbers `featurize` gives for the
        model's known buckets."""
        config = self._config
        kept = [w for w in words if w != "."][: config.max_words]
        if len(kept) <= _FEW_WORDS:
            return self._few(kept, rule_codes)
        positions: list[npt.NDArray[np.int64]] = []
        weights: list[npt.NDArray[np.float64]] = []
        total = 0.0
        if kept:
            counted = Counter(kept)
            got = list(map(self._words.get, counted))
            entries: list[_Entry] = (
                [e or self._word(w) for w, e in zip(counted, got, strict=True)]
                if None in got else cast(list[_Entry], got)
            )
            counts = np.fromiter(counted.values(), dtype=np.float64, count=len(entries))
            total += float(np.fromiter(map(_TOTAL, entries), np.float64, len(entries)) @ counts)
            parts = list(map(_POSITIONS, entries))
            lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
            positions.append(np.concatenate(parts))
            repeated = np.repeat(counts, lengths)
            weights.append(np.concatenate(list(map(_WEIGHTS, entries))) * repeated)
        if config.word_ngrams >= 2 and len(kept) > 1:
            pairs = Counter(itertools.pairwise(kept))
            found = list(map(self._pairs.get, pairs))
            if None in found:
                found = [
                    p if p is not None else self._pair(k)
                    for k, p in zip(pairs, found, strict=True)
                ]
            pair_counts = np.fromiter(pairs.values(), dtype=np.float64, count=len(found))
            total += float(pair_counts.sum())
            at = np.array(found, dtype=np.int64)
            known = at >= 0
            positions.append(at[known])
            weights.append(pair_counts[known])
        extra, total = self._extra(rule_codes, total)
        if extra:
            positions.append(np.array([p for p, _ in extra], dtype=np.int64))
            weights.append(np.array([w for _, w in extra], dtype=np.float64))
        if not positions:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        unique, inverse = np.unique(np.concatenate(positions), return_inverse=True)
        summed = np.bincount(inverse, weights=np.concatenate(weights))
        return unique, np.sqrt(summed) / math.sqrt(total)

    def _few(
        self, kept: list[str], rule_codes: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """`vector` for a short text, summed in a dict: for a few words a handful of numpy calls
        cost more than the arithmetic. The same numbers as the numpy path."""
        config = self._config
        counts: dict[int, float] = {}
        total = 0.0
        words = self._words
        for word in kept:
            entry = words.get(word) or self._word(word)
            total += entry[2]
            for position, weight in entry[3]:
                counts[position] = counts.get(position, 0.0) + weight
        if config.word_ngrams >= 2:
            pairs = self._pairs
            for pair in itertools.pairwise(kept):
                at = pairs.get(pair)
                if at is None:
                    at = self._pair(pair)
                total += 1.0
                if at >= 0:
                    counts[at] = counts.get(at, 0.0) + 1.0
        extra, total = self._extra(rule_codes, total)
        for position, weight in extra:
            counts[position] = counts.get(position, 0.0) + weight
        unique = np.fromiter(counts, dtype=np.int64, count=len(counts))
        summed = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return unique, np.sqrt(summed) / math.sqrt(total)

    def _extra(
        self, rule_codes: Sequence[str], total: float
    ) -> tuple[list[tuple[int, float]], float]:
        """The known rule-code features (weight 2 each) and, when the text gave no feature at
        all, `featurize`'s "<empty>" one; and the summed weight with them."""
        config = self._config
        extra: list[tuple[int, float]] = []
        if config.rule_features:
            for code in rule_codes:
                total += 2.0
                position = self._position.get(_bucket(f"r:{code}", config.buckets), -1)
                if position >= 0:
                    extra.append((position, 2.0))
        if total == 0.0:  # nothing at all
            total = 1.0
            position = self._position.get(_bucket("w:<empty>", config.buckets), -1)
            if position >= 0:
                extra.append((position, 1.0))
        return extra, total


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
