"""The learned need-state model: calibrated need-state probabilities, plus a handoff score.

Shipped as data in a safe format (``model.npz`` read with ``allow_pickle=False``, and
``meta.json``), loaded once, and run on each new user message. It can only *add* to what the
rules found: the engine never lets it lower a risk or remove a restriction.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from guardrail._resources import default_need_model_dir
from guardrail.errors import UserError
from guardrail.need.classifier import NeedClassifier, NeedPrediction
from guardrail.need.features import FeatureConfig, KnownFeatures
from guardrail.text import Normaliser

__all__ = ["NeedClassifier", "NeedModel", "NeedPrediction"]

_FORMAT = 1


class NeedModel:
    """A linear model over hashed word and character n-grams (see `guardrail.need.features`).

    A `NeedClassifier`.
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
        self._known = KnownFeatures(config, rows)

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
    def temperature(self) -> float:
        """The calibration temperature applied to the logits."""
        return self._temperature

    # -- prediction ----------------------------------------------------------------------------

    def predict(
        self, text: str, normaliser: Normaliser, rule_codes: Sequence[str] = ()
    ) -> NeedPrediction:
        """Probabilities for `text` (temperature-calibrated) and the handoff score.

        `rule_codes` are the codes of the rules that matched the text (see `featurize`).
        """
        return self.predict_words(normaliser.canonical(text).words, rule_codes)

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """The engine's entry point (shared with the LLM classifier): uses the folded words."""
        return self.predict_words(words, rule_codes)

    def predict_words(
        self, words: Sequence[str], rule_codes: Sequence[str] = ()
    ) -> NeedPrediction:
        """`predict` for text already folded into canonical words."""
        positions, values = self._known.vector(words, rule_codes)
        logits = values @ self._weights[positions] + self._bias
        scaled = logits / self._temperature
        scaled -= scaled.max()
        exp = np.exp(scaled)
        probs = exp / exp.sum()
        handoff = None
        if self._handoff_weights is not None:
            score = float(values @ self._handoff_weights[positions]) + self._handoff_bias
            handoff = 1.0 / (1.0 + math.exp(-max(min(score, 50.0), -50.0)))
        return NeedPrediction(
            probabilities={c: float(p) for c, p in zip(self.classes, probs, strict=True)},
            handoff=handoff,
        )


@functools.cache
def _shipped() -> NeedModel:
    return NeedModel.load(default_need_model_dir())
