"""py3langid's per-class scores for one message, the same floats bit for bit, with less overhead.

`LanguageIdentifier` asks py3langid's ``_decide`` for the probability of each of its classes. That
walks the message's UTF-8 bytes through a byte n-gram automaton in a Python loop (about 0.2 µs a
byte: a fifth of a millisecond for the thousand characters a message is cut to), counts the
features it passes in a `Counter`, and scores them. `Scorer.scores` returns the same array:

- **Short text** walks the bytes in Python as py3langid does (numpy's fixed cost per call is
  more than the loop's on a few dozen bytes).
- **Longer text** walks every byte at once: the automaton is an Aho-Corasick machine whose
  states are at most `_DEPTH` bytes deep, so the state after byte *i* is the state reached from
  the start by the `_DEPTH` bytes ending at *i* -- `_DEPTH` vectorised steps over all positions
  instead of one Python step per byte. That is proved on every call, not assumed: the states
  must satisfy the automaton's transition at every byte (one vectorised comparison), which makes
  them the sequential walk's states; where they do not, the sequential walk is used.
- The table's rows are read as float32 copies made once per row (py3langid casts its float16
  rows on every call, most of its cost on a long message): the same values, exactly. The copies
  sit side by side in the order rows are first seen, at most `_KEPT_ROWS` of them, so memory
  follows the rows a deployment's messages use, not the table's size; past the bound a row is
  cast on each call, as py3langid does.
- The features' counts keep the order in which a `Counter` would list them (first occurrence),
  so the scoring arithmetic -- ``log1p(counts) @ table[features] + prior``, the softmax over
  ``sqrt(bytes)``, the merged alias columns -- runs on the same arrays in the same order and gives
  the same float32 scores (``tests/detectors/test_langid.py`` compares them with py3langid's own
  on every labelled text).

The scoring steps follow py3langid 0.4's ``langid.py`` (``visit_counts``, ``_sparse_score``,
``_raw_score``, ``_decide``), under its licence, whose notice is at the end of this file.
`Scorer.build` returns None for a model object without the
attributes it reads (another py3langid release, a stand-in), and the caller keeps ``_decide``.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Scorer", "scorer_for"]

# The deepest state of py3langid 0.4's automaton (six UTF-8 bytes: two Devanagari letters).
# Deeper states only cost speed: the walk's proof fails and the Python walk answers.
_DEPTH = 6
# Bytes from which the vectorised walk is cheaper than the Python loop (measured: about equal at
# 70 bytes of varied lines, caches cold; at 150 on one line again and again, caches warm), and
# features from which numpy counts them faster than a `Counter` (about equal there).
_VECTOR_MIN = 128
_SORT_MIN = 256
# float32 rows kept (568 bytes each with py3langid 0.4's 142 classes: 18.6 MB at most, written
# only as rows are first seen). The 26,000 labelled and Banking77 lines use 31,500 of the 100,053.
_KEPT_ROWS = 32768

_Floats = npt.NDArray[np.float32]
_Ints = npt.NDArray[np.intp]


class Scorer:
    """The probability of each of a py3langid model's classes for a text (``norm_probs`` on)."""

    __slots__ = ("_alias", "_classes", "_converting", "_kept", "_nm", "_nm_np", "_out", "_out_np",
                 "_pc", "_ptc", "_rowbase", "_rowbase_np", "_slot", "_slots")

    def __init__(self, model: Any) -> None:
        self._ptc: npt.NDArray[np.float16] = model.nb_ptc
        self._pc: _Floats = model.nb_pc
        self._classes = len(model.nb_classes)
        # py3langid's own loop over its (two) alias pairs: scalar steps cost a third of
        # vectorised ones on so few, and are its arithmetic by construction.
        self._alias: tuple[tuple[int, int], ...] = tuple(
            (int(i), int(j)) for i, j in model._alias_pairs
        )
        self._nm = model.tk_nextmove  # array('H'/'I'): the deduplicated transition rows
        self._rowbase: list[int] = model._rowbase  # per state, its row's offset in `_nm`
        self._out: list[int] = model.tk_output  # per state, the feature it ends (-1: none)
        self._nm_np = np.frombuffer(self._nm, dtype=np.dtype(self._nm.typecode))
        self._rowbase_np = np.asarray(self._rowbase, dtype=np.intp)
        self._out_np = np.asarray(self._out, dtype=np.intp)
        # float32 copies of the table's rows, made the first time a feature is seen: the
        # float16 -> float32 cast py3langid's matmul does on every call is most of its cost
        # (measured: 16 against 36 µs a short message, 84 against 324 µs a 2,000-character
        # one). They are kept compactly, in `_kept[_slot[feature]]` (-1: not kept), so resident
        # memory is the rows used (+20 MB after the labelled and Banking77 lines, against +58 MB
        # for a copy of the whole table filled as rows are seen, which touches most of its
        # pages); `np.empty` maps pages only as rows are written.
        self._kept = np.empty((min(_KEPT_ROWS, self._ptc.shape[0]), self._ptc.shape[1]),
                              dtype=np.float32)
        self._slot = np.full(self._ptc.shape[0], -1, dtype=np.intp)
        self._slots = 0  # rows kept so far
        self._converting = threading.Lock()

    @classmethod
    def build(cls, model: Any) -> Scorer | None:
        """A scorer for `model`, or None when it is not a py3langid 0.4 model with
        normalised probabilities (then ``model._decide`` is the way)."""
        try:
            if not model._norm_probs or model.tk_nextmove.typecode not in ("H", "I", "L"):
                return None
            scorer = cls(model)
        except (AttributeError, TypeError, ValueError):
            return None
        return scorer

    def scores(self, text: str) -> _Floats:
        """py3langid's ``_decide(text)`` for a str: float32 probabilities, one per class."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        counted = self._count(data)
        if counted is None:  # no feature: uniform zeros, as py3langid under norm_probs
            scores: _Floats = np.full(self._classes, 0.0, dtype=np.float32)
        else:
            features, counts = counted
            scores = np.log1p(counts) @ self._rows(features) + self._pc
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for first, dupe in self._alias:
            scores[first] += scores[dupe]
            scores[dupe] = 0.0
        return scores

    def _rows(self, features: _Ints) -> _Floats:
        """The table's rows for `features` (distinct) as float32: the exact values of the
        float16 ones, from the kept copies where there are, cast here where not."""
        slots = self._slot[features]
        if slots.min() < 0:
            slots = self._keep(features)
            if slots.min() < 0:  # the bound is reached: cast the rows that are not kept
                missing = slots < 0
                rows: _Floats = self._kept[np.where(missing, 0, slots)]
                rows[missing] = self._ptc[features[missing]]
                return rows
        rows = self._kept[slots]
        return rows

    def _keep(self, features: _Ints) -> _Ints:
        """Keeps a float32 copy of the rows of `features` not kept yet, while there is room;
        their slots (-1 where there was none)."""
        with self._converting:  # a slot is published only once its row is written
            slots = self._slot[features]
            new = features[slots < 0][: len(self._kept) - self._slots]
            if new.size:
                start, self._slots = self._slots, self._slots + new.size
                self._kept[start:self._slots] = self._ptc[new]
                self._slot[new] = np.arange(start, self._slots)
                slots = self._slot[features]
        return slots

    def _count(self, data: bytes) -> tuple[_Ints, _Floats] | None:
        """The features the automaton passes over `data` and how often, in order of first
        occurrence; None when it passes none."""
        if len(data) >= _VECTOR_MIN:
            states = self._states(data)
            if states is not None:
                found = self._out_np[states]
                found = found[found >= 0]
                if found.size >= _SORT_MIN:
                    return _first_seen_counts(found)
                return _counted(found.tolist())
        return self._count_loop(data)

    def _count_loop(self, data: bytes) -> tuple[_Ints, _Floats] | None:
        """py3langid's ``visit_counts``: one Python step a byte."""
        nm, rowbase, out = self._nm, self._rowbase, self._out
        state = 0
        found: list[int] = []
        append = found.append
        for byte in data:
            state = nm[rowbase[state] + byte]
            feature = out[state]
            if feature >= 0:
                append(feature)
        return _counted(found)

    def _states(self, data: bytes) -> _Ints | None:
        """The automaton's state after each byte of `data` (at least `_DEPTH` bytes), all
        positions at once; None when they do not satisfy its transitions (a deeper state)."""
        nm, rowbase = self._nm_np, self._rowbase_np
        text = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
        # Walk from the start state from every position j at once: after step t, `walked[j]`
        # is the state after bytes j..j+t. After _DEPTH steps that is the state after byte
        # j + _DEPTH - 1 for every position from there on; the first _DEPTH - 1 states are the
        # walks that began at byte 0 (`walked[0]` after each step before the last).
        walked = nm[rowbase[0] + text]
        heads = [walked[0]]
        for t in range(1, _DEPTH):
            walked = nm[rowbase[walked[:-1]] + text[t:]]
            heads.append(walked[0])
        states = np.concatenate((heads[:-1], walked)).astype(np.intp, copy=False)
        # The proof: each state is the transition of the one before (the first one, from the
        # start state, is so by construction).
        if not (nm[rowbase[states[:-1]] + text[1:]] == states[1:]).all():
            return None
        return states


def _counted(found: list[int]) -> tuple[_Ints, _Floats] | None:
    """`found` counted as py3langid counts it (a `Counter`), as arrays; None when empty."""
    if not found:
        return None
    visits = Counter(found)
    return (np.fromiter(visits.keys(), dtype=np.intp, count=len(visits)),
            np.fromiter(visits.values(), dtype=np.float32, count=len(visits)))


def _first_seen_counts(found: _Ints) -> tuple[_Ints, _Floats]:
    """The distinct values of `found` in order of first occurrence, and how often each occurs:
    what ``Counter(found)`` lists, as arrays."""
    order = np.argsort(found, kind="stable")
    ranked = found[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    counts = np.diff(np.append(starts, len(ranked)))
    by_first = np.argsort(order[starts])  # stable sort: `order[starts]` is each one's first
    return ranked[starts][by_first], counts[by_first].astype(np.float32)


_last: tuple[object, Scorer | None] | None = None
_last_lock = threading.Lock()


def scorer_for(model: Any) -> Scorer | None:
    """The scorer of `model` (None: use its ``_decide``), one per model object: its float32 rows
    are shared by every identifier of the process, whatever languages each supports."""
    global _last
    with _last_lock:
        if _last is None or _last[0] is not model:
            _last = (model, Scorer.build(model))
        return _last[1]


# The scoring steps above follow py3langid 0.4 (https://github.com/adbar/py3langid):
#
#   BSD 3-Clause License
#   Modifications (fork): Copyright (c) 2021, Adrien Barbaresi.
#   Original code: Copyright (c) 2011 Marco Lui <saffsd@gmail.com>.
#   Based on research by Marco Lui and Tim Baldwin. All rights reserved.
#
#   Redistribution and use in source and binary forms, with or without modification, are
#   permitted provided that the following conditions are met:
#   1. Redistributions of source code must retain the above copyright notice, this list of
#      conditions and the following disclaimer.
#   2. Redistributions in binary form must reproduce the above copyright notice, this list of
#      conditions and the following disclaimer in the documentation and/or other materials
#      provided with the distribution.
#   3. Neither the name of the copyright holder nor the names of its contributors may be used
#      to endorse or promote products derived from this software without specific prior
#      written permission.
#
#   THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDER ``AS IS'' AND ANY EXPRESS OR IMPLIED
#   WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND
#   FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR
#   CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
#   CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
#   SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON
#   ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
#   NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF
#   ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
