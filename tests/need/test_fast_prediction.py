"""The fast prediction path gives bit-identical numbers to the straightforward one.

The models' dot products run over the features in the order they come, so a reordering or a
value off by one ulp moves a probability: these tests compare arrays byte for byte, on real
labelled text, against reference implementations written the plain way (a dict of summed
weights per bucket; each word's pieces looked up one by one).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from guardrail import Registry
from guardrail.detectors.injection_model import InjectionModel
from guardrail.need.embedding import _SPACE, StaticEncoder
from guardrail.need.features import _WORD_MEMO, KnownFeatures, _bucket, _word_features
from guardrail.need.model import NeedModel

ROOT = Path(__file__).resolve().parents[2]
_FEW_WORDS = 48  # up to this many words the positions keep their first-seen order


def _texts() -> list[str]:
    """User messages of two labelled sets, and long texts made of them (over `_FEW_WORDS`
    words, and past the 400-word cut)."""
    texts = []
    for name in ("dev2/dev2.jsonl", "dev/dev.jsonl"):
        for line in (ROOT / "evals" / name).read_text(encoding="utf-8").splitlines():
            texts += [m["content"] for m in json.loads(line)["messages"] if m["role"] == "user"]
    long = [" ".join(texts[i : i + n]) for n in (8, 40) for i in range(0, 400, 9)]
    return [*texts[:800], *long, "", ".", "refund . . refund"]


_POSITIONS: dict[int, dict[int, int]] = {}
_ROWS: dict[int, npt.NDArray[np.int64]] = {}  # keeps each model's rows array (and its id) alive


def _positions(rows: npt.NDArray[np.int64]) -> dict[int, int]:
    """Bucket -> weight row of a model's hashed features (built once per rows array)."""
    if id(rows) not in _POSITIONS:
        _POSITIONS[id(rows)] = {bucket: i for i, bucket in enumerate(rows.tolist())}
    return _POSITIONS[id(rows)]


def _hashed_rows(model: NeedModel) -> npt.NDArray[np.int64]:
    rows: npt.NDArray[np.int64] = model._rows[model._rows < model.config.buckets]
    return rows


def _reference_vector(
    model: NeedModel, words: list[str], codes: list[str],
    rows: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The model's known features the plain way: weights summed per bucket in a dict (first
    seen first), the unknown buckets dropped, sorted by row beyond `_FEW_WORDS` words."""
    config = model.config
    kept = [w for w in words if w != "."][: config.max_words]
    counts: dict[int, float] = {}
    total = 0.0
    memo = _WORD_MEMO.setdefault(config, {})
    for word in kept:
        for bucket, weight in _word_features(word, config, memo):
            counts[bucket] = counts.get(bucket, 0.0) + weight
            total += weight
    for first, second in itertools.pairwise(kept):
        bucket = _bucket(f"b:{first} {second}", config.buckets)
        counts[bucket] = counts.get(bucket, 0.0) + 1.0
        total += 1.0
    for code in codes:
        bucket = _bucket(f"r:{code}", config.buckets)
        counts[bucket] = counts.get(bucket, 0.0) + 2.0
        total += 2.0
    if total == 0.0:
        counts[_bucket("w:<empty>", config.buckets)] = 1.0
        total = 1.0
    position = _positions(_ROWS.setdefault(id(model), _hashed_rows(model)) if rows is None
                          else rows)
    known = [(position[b], c) for b, c in counts.items() if b in position]
    if len(kept) > _FEW_WORDS:
        known.sort()
    positions = np.array([p for p, _ in known], dtype=np.int64)
    summed = np.array([c for _, c in known], dtype=np.float64)
    return positions, np.sqrt(summed) / math.sqrt(total)


@pytest.fixture(scope="module")
def readings(registry: Registry) -> list[tuple[str, list[str]]]:
    return [(t, list(registry.normaliser.canonical(t).words)) for t in _texts()]


def test_known_features_are_the_plain_sums_in_the_same_order(
    readings: list[tuple[str, list[str]]],
) -> None:
    """Both shipped models (one shared reading of each message), with and without rule codes:
    the same positions in the same order, the same values to the bit, the same logits."""
    need, injection = NeedModel.default(), InjectionModel.default().model
    assert need.config == injection.config  # what makes the shared reading worth it
    long = 0
    for text, words in readings:
        long += len(words) > _FEW_WORDS
        for codes in ([], ["risk.billing_dispute", "need.billing"], ["not.a_code"]):
            for model in (need, injection):
                positions, values = model.known_vector(words, codes)
                expected, scaled = _reference_vector(model, words, codes)
                assert positions.dtype == expected.dtype, text
                assert positions.tobytes() == expected.tobytes(), text
                assert values.tobytes() == scaled.tobytes(), text
                reference = values @ model._sparse_weights[positions]
                assert model.sparse_logits(positions, values).tobytes() == reference.tobytes()
    assert long > 50  # the long-text path was exercised


def test_a_shared_reading_never_answers_for_other_words_or_codes(
    readings: list[tuple[str, list[str]]],
) -> None:
    """The reading kept for the next model is keyed by the words and the codes: a model asked
    about other codes, or words given as a list instead of a tuple, gets their own features."""
    need, injection = NeedModel.default(), InjectionModel.default().model
    for _, words in readings[:200]:
        need.known_vector(tuple(words), ["risk.billing_dispute"])
        positions, values = injection.known_vector(words, [])
        expected, scaled = _reference_vector(injection, words, [])
        assert positions.tobytes() == expected.tobytes()
        assert values.tobytes() == scaled.tobytes()
        _, _, read = injection.known_read(words, [])
        assert read == min(sum(w != "." for w in words), injection.config.max_words)


def test_rows_out_of_order_still_give_each_row_its_value(
    readings: list[tuple[str, list[str]]],
) -> None:
    """A model whose weight rows are not in bucket order (none shipped is): a long text's
    positions are still sorted by row, a short one's in first-seen order."""
    need = NeedModel.default()
    shuffled = _hashed_rows(need)[::-1].copy()
    known = KnownFeatures(need.config, shuffled)
    long = 0
    for _, words in readings[::4]:
        long += len(words) > _FEW_WORDS
        positions, values = known.vector(words, ["need.billing"])
        expected, scaled = _reference_vector(need, words, ["need.billing"], shuffled)
        assert positions.tobytes() == expected.tobytes()
        assert values.tobytes() == scaled.tobytes()
    assert long > 10


def _reference_words(encoder: StaticEncoder, text: str) -> list[str]:
    """The normaliser's words as written before its fast path (every character compared)."""
    normaliser = encoder._normaliser
    if not text:
        return []
    if max(text) <= "\uffff" and normaliser._changes.search(text) is None:
        mapped = text
    elif normaliser._continuation.isdisjoint(text):
        mapped = text.translate(normaliser._table)
    else:
        mapped = normaliser._map_slow(text)
    parts = [p for p in mapped.split(" ") if p]
    if _SPACE not in mapped:
        return [_SPACE + p for p in parts]
    if not parts:
        return []
    normalised = (_SPACE + _SPACE.join(parts)).rstrip(_SPACE)
    return [_SPACE + w for w in normalised.split(_SPACE)[1:]]


def test_sentence_vectors_are_the_plain_lookups(readings: list[tuple[str, list[str]]]) -> None:
    """`encode` (words memoised as bytes, joined, gathered with `take`) gives the vector of
    each word's pieces looked up one by one and gathered by fancy indexing, on raw and
    canonical text and on the normaliser's odd cases (U+2581 in the text, astral characters)."""
    encoder = NeedModel.default().encoder
    assert encoder is not None
    odd = ["a\u2581\u2581b \u2581", "\u2581", "😀 refund now 🙏", "ＦＵＬＬ ﬁle", "cafe\u0301 ok",
           "Привет мой аккаунт", "मेरा खाता", "  spaced   out  "]
    for text in [*odd, *(t for r in readings[::3] for t in (r[0], " ".join(r[1])))]:
        words = _reference_words(encoder, text)
        assert encoder._normaliser.words(text) == words, text
        rows = [r for w in words for i in encoder._segmenter.segment(w)
                if (r := encoder._rows[i]) >= 0]
        vector = encoder.encode(text)
        if not rows:
            assert not vector.any(), text
            continue
        idx = np.array(rows, dtype=np.int64)
        expected = encoder._scales[idx] @ encoder._vectors[idx]
        expected /= float(np.sqrt(expected @ expected))
        assert vector.tobytes() == expected.tobytes(), text


def test_astral_check_matches_the_character_scan() -> None:
    """The fast path's test for characters beyond the BMP is the old every-character `max`."""
    from guardrail.need.embedding import _ASTRAL

    for text in ["plain", "é ü ß", "\uffff", "\U00010000", "a 😀", "中文", "\U0010ffff x"]:
        fast = text.isascii() or _ASTRAL.search(text) is None
        assert fast == (max(text) <= "\uffff"), text
    assert re.compile(_ASTRAL.pattern).search("😀")
