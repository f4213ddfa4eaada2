"""The learned need-state model: calibrated need-state probabilities, plus a handoff score.

Shipped as data in a safe format (``model.npz`` read with ``allow_pickle=False``, and
``meta.json``), loaded once, and run on each new user message. It can only *add* to what the
rules found: the engine never lets it lower a risk or remove a restriction.

What must agree with a registry is the list of need-states the model knows (``classes`` in
its meta, `NeedModel.need_states`), not the registry's version: a model stays right for a
registry whose rules were fixed since it was trained, and is wrong for one that adds a
need-state it never saw. `guardrail.detectors.need` compares the two lists when a Guardrail is
built. The meta's ``registry_version`` only records what the model was trained under.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guardrail._resources import default_need_model_dir
from guardrail.errors import UserError
from guardrail.need.classifier import NeedClassifier, NeedPrediction
from guardrail.need.embedding import StaticEncoder
from guardrail.need.features import (
    FeatureConfig,
    KnownFeatures,
    _bucket,
    dense_features,
    shipped_encoder,
)
from guardrail.text import Normaliser

__all__ = ["NeedClassifier", "NeedModel", "NeedPrediction"]

_FORMAT = 1
_KNOWN_WORDS_LIMIT = 50_000  # bound of the word -> known? memo of `known_share`


class NeedModel:
    """A linear model over hashed word and character n-grams (see `guardrail.need.features`)
    and, when its config names one, a multilingual static sentence embedding of the raw text
    (`guardrail.need.embedding`): the n-grams carry the phrasings it was trained on, the
    embedding carries meaning to phrasings and languages it has few examples of.

    Rows ``0 .. buckets-1`` of the weights are hashed features; rows ``buckets ..`` are the
    embedding's dimensions. A `NeedClassifier`.
    """

    def __init__(
        self,
        classes: list[str],
        config: FeatureConfig,
        rows: npt.NDArray[np.int64],
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
        temperature: float,
        handoff_weights: npt.NDArray[np.float32] | None,
        handoff_bias: float,
        meta: dict[str, object],
    ) -> None:
        self.classes = list(classes)
        self.config = config
        self._rows = rows
        self._weights = weights
        self._bias = bias
        self._temperature = temperature
        self._handoff_weights = handoff_weights
        self._handoff_bias = handoff_bias
        self.meta = meta
        sparse = rows < config.buckets
        self._encoder = shipped_encoder(config.embedding) if config.embedding else None
        self._dense: npt.NDArray[np.float32] | None = None
        self._dense_handoff: npt.NDArray[np.float32] | None = None
        if self._encoder is not None:
            dims = self._encoder.dims
            at = rows[~sparse] - config.buckets
            if at.size and int(at.max()) >= dims:
                raise UserError(f"need model rows exceed the {dims} embedding dimensions")
            self._dense = np.zeros((dims, len(classes)), dtype=np.float32)
            self._dense[at] = weights[~sparse]
            if handoff_weights is not None:
                self._dense_handoff = np.zeros(dims, dtype=np.float32)
                self._dense_handoff[at] = handoff_weights[~sparse]
        self._sparse_weights = weights[sparse]
        self._sparse_handoff = None if handoff_weights is None else handoff_weights[sparse]
        self._known = KnownFeatures(config, rows[sparse])
        self._known_words: dict[str, bool] = {}

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> NeedModel:
        """The model shipped with guardrail (loaded once per process; models are immutable)."""
        return _shipped()

    @classmethod
    def load(cls, path: str | Path) -> NeedModel:
        """Load a model folder written by `guardrail train` (``meta.json`` + ``model.npz``).

        Raises:
            UserError: the folder is missing, incomplete or of an unknown format.
        """
        folder = Path(path)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            with np.load(folder / "model.npz", allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            raise UserError(f"cannot load need model from {folder}: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise UserError(f"{folder}/meta.json: not a guardrail need model (format {_FORMAT})")
        try:
            config = FeatureConfig(**meta["features"])
            classes = [str(c) for c in meta["classes"]]
            rows = arrays["rows"].astype(np.int64)
            weights = arrays["weights"].astype(np.float32)
            bias = arrays["bias"].astype(np.float32)
            handoff = arrays.get("handoff_weights")
            handoff_bias = float(arrays["handoff_bias"][0]) if "handoff_bias" in arrays else 0.0
            temperature = float(meta["temperature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{folder}: incomplete need model ({exc})") from None
        if weights.shape != (len(rows), len(classes)) or bias.shape != (len(classes),):
            raise UserError(f"{folder}: weight shapes do not match the classes")
        return cls(
            classes,
            config,
            rows,
            weights,
            bias,
            temperature,
            None if handoff is None else handoff.astype(np.float32),
            handoff_bias,
            meta,
        )

    def save(self, path: str | Path) -> None:
        """Write the model folder (``meta.json`` + ``model.npz``)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "rows": self._rows.astype(np.int64),
            "weights": self._weights.astype(np.float32),
            "bias": self._bias.astype(np.float32),
        }
        if self._handoff_weights is not None:
            arrays["handoff_weights"] = self._handoff_weights.astype(np.float32)
            arrays["handoff_bias"] = np.array([self._handoff_bias], dtype=np.float32)
        np.savez_compressed(folder / "model.npz", **arrays)  # type: ignore[arg-type]
        meta = {
            **self.meta,
            "format": _FORMAT,
            "classes": self.classes,
            "features": self.config.to_json(),
            "temperature": self._temperature,
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @property
    def need_states(self) -> tuple[str, ...]:
        """The need-states the model knows (its classes, as its meta lists them)."""
        return tuple(self.classes)

    @property
    def temperature(self) -> float:
        """The calibration temperature applied to the logits."""
        return self._temperature

    @property
    def encoder(self) -> StaticEncoder | None:
        """The static sentence encoder the model reads (None for an n-gram-only model)."""
        return self._encoder

    @functools.cached_property
    def _buckets(self) -> frozenset[int]:
        """The hashed buckets the model has a weight row for (built on first use)."""
        return frozenset(self._rows[self._rows < self.config.buckets].tolist())

    def known_share(self, words: Sequence[str]) -> float:
        """The share of canonical `words` (as `predict_words` takes them) the model knows.

        A word is known when its word feature (``w:<word>``, see `featurize`) has a weight row,
        i.e. it was in the training text. 1.0 for familiar wording, low for text unlike
        anything the model learned from (another language, a new domain's jargon); 1.0 when
        there is no word at all (nothing in it is new). Sentence breaks (".") do not count;
        the words past ``config.max_words``, which the model never reads, neither.

        Errs toward "known": an unseen word whose hashed bucket collides with a known feature
        counts as known (nearly one unseen word in two with the shipped model: its rows fill
        44% of its 2^18 buckets; see tools/train_need_model.py --buckets). Cheap: one set
        lookup per new word, memoised per model (bounded; safe to share between threads, the
        memo only gains entries).
        """
        kept = [w for w in words if w != "."][: self.config.max_words]
        if not kept:
            return 1.0
        memo = self._known_words
        known = 0
        for word in kept:
            hit = memo.get(word)
            if hit is None:
                hit = _bucket(f"w:{word}", self.config.buckets) in self._buckets
                if len(memo) < _KNOWN_WORDS_LIMIT:
                    memo[word] = hit
            known += hit
        return known / len(kept)

    # -- prediction ----------------------------------------------------------------------------

    def predict(
        self, text: str, normaliser: Normaliser, rule_codes: Sequence[str] = ()
    ) -> NeedPrediction:
        """Probabilities for `text` (temperature-calibrated) and the handoff score.

        `rule_codes` are the codes of the rules that matched the text (see `featurize`).
        """
        return self.predict_message(text, normaliser.canonical(text).words, rule_codes)

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """The engine's entry point (shared with the LLM classifier): the folded words, and the
        raw text for the embedding."""
        dense = None
        if self._encoder is not None:
            dense = dense_features(self._encoder, text, self.config, words)
        return self.predict_words(words, rule_codes, dense)

    def known_vector(
        self, words: Sequence[str], rule_codes: Sequence[str] = ()
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The hashed features of canonical `words` the model has weights for: row positions
        and unit-scaled values (see `KnownFeatures.vector`); `sparse_logits` turns them into
        logits."""
        return self._known.vector(words, rule_codes)

    def known_read(
        self, words: Sequence[str], rule_codes: Sequence[str] = ()
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
        """`known_vector`, and how many words it was read from (see `KnownFeatures.read`)."""
        return self._known.read(words, rule_codes)

    def sparse_logits(
        self, positions: npt.NDArray[np.integer[Any]], values: npt.NDArray[np.floating[Any]]
    ) -> npt.NDArray[np.float64]:
        """Each class's logit from hashed features alone (no bias, no embedding): with the
        text's `dense_features`, all `probabilities` needs."""
        # `take` gathers the same rows as `[positions]`, at a fraction of fancy indexing's cost
        result: npt.NDArray[np.float64] = values @ self._sparse_weights.take(positions, axis=0)
        return result

    def probabilities(
        self, sparse: npt.NDArray[np.float64], dense: npt.NDArray[np.float32] | None
    ) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities from the hashed features' logits (`sparse_logits`)
        and the embedding (None for a model without one)."""
        logits = sparse + self._bias
        if dense is not None and self._dense is not None:
            logits = logits + dense @ self._dense
        scaled = logits / self._temperature
        scaled -= scaled.max()
        exp = np.exp(scaled)
        result: npt.NDArray[np.float64] = exp / exp.sum()
        return result

    def predict_words(
        self,
        words: Sequence[str],
        rule_codes: Sequence[str] = (),
        dense: npt.NDArray[np.float32] | None = None,
    ) -> NeedPrediction:
        """`predict` for text already folded into canonical words and, for a model with an
        embedding, the text's `dense_features` (use `predict_message`, which makes them).

        Raises:
            ValueError: the model reads an embedding and `dense` was not given (a prediction
                without it would be quietly wrong).
        """
        if dense is None and self._encoder is not None:
            raise ValueError("this need model reads the text's embedding: use predict_message")
        positions, values = self._known.vector(words, rule_codes)
        probs = self.probabilities(self.sparse_logits(positions, values), dense).tolist()
        handoff = None
        if self._sparse_handoff is not None:
            score = float(values @ self._sparse_handoff.take(positions)) + self._handoff_bias
            if dense is not None and self._dense_handoff is not None:
                score += float(dense @ self._dense_handoff)
            handoff = 1.0 / (1.0 + math.exp(-max(min(score, 50.0), -50.0)))
        return NeedPrediction(dict(zip(self.classes, probs, strict=True)), handoff)


@functools.cache
def _shipped() -> NeedModel:
    return NeedModel.load(default_need_model_dir())
