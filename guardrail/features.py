"""Hashed text features for the learned need-state model (the same at training and run time).

A message is folded by the registry's `Normaliser` (so typos, look-alike letters and spacing
tricks read the same to the model as to the rules), then turned into hashed word unigrams,
word bigrams and character 3-5-grams inside words. Hashing uses CRC-32, which, unlike Python's
`hash`, is the same in every process, so a model trained once works everywhere.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["FeatureConfig", "featurize"]


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How text becomes features; stored with a model so prediction matches training."""

    buckets: int = 1 << 18
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 5
    max_words: int = 400

    def to_json(self) -> dict[str, int]:
        """A JSON-ready dict."""
        return {
            "buckets": self.buckets,
            "word_ngrams": self.word_ngrams,
            "char_min": self.char_min,
            "char_max": self.char_max,
            "max_words": self.max_words,
        }


def _bucket(token: str, buckets: int) -> int:
    return zlib.crc32(token.encode()) % buckets


def featurize(
    words: Sequence[str], config: FeatureConfig
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Sparse features of canonical `words` (see `Normaliser.canonical`): sorted unique bucket
    indices and L2-normalised weights."""
    words = [w for w in words if w != "."][: config.max_words]
    counts: dict[int, float] = {}

    def add(token: str, weight: float) -> None:
        index = _bucket(token, config.buckets)
        counts[index] = counts.get(index, 0.0) + weight

    for i, word in enumerate(words):
        add(f"w:{word}", 1.0)
        if config.word_ngrams >= 2 and i + 1 < len(words):
            add(f"b:{word} {words[i + 1]}", 1.0)
        padded = f"<{word}>"
        for size in range(config.char_min, config.char_max + 1):
            for start in range(len(padded) - size + 1):
                add(f"c:{padded[start : start + size]}", 0.5)
    if not counts:
        add("w:<empty>", 1.0)
    indices = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
    values = np.array([counts[i] for i in indices.tolist()], dtype=np.float32)
    # Sub-linear counts, then unit length: long rambling messages do not dominate.
    values = np.sqrt(values)
    values /= float(np.linalg.norm(values)) or 1.0
    return indices, values
