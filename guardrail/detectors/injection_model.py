"""The learned injection detector: a model that flags text trying to override the assistant.

The phrase rules (``security.prompt_injection``) catch the attacks the team wrote down; the
published jailbreak families, indirect payloads planted in tool results and attacks in other
languages mostly use other words. This model is a `NeedModel` with two classes (``benign``,
``injection``) over the same features as the need model (hashed word and character n-grams of
the folded text, the codes of the rules that matched, and the multilingual sentence embedding),
trained by ``tools/train_injection_model.py`` on published attacks and the team's own, against
benign look-alikes and ordinary customer messages.

It only adds: a message it flags gets a ``model.injection_suspected`` finding (kind
``injection``), which puts the conversation in the ``prompt_injection`` segment and, in a tool
result, has the adapters quarantine the text. It never removes a rule's finding.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guardrail._resources import default_injection_model_dir
from guardrail.conversation import Message
from guardrail.detectors.detector import Detector
from guardrail.detectors.rules import rule_codes
from guardrail.errors import UserError
from guardrail.need.features import dense_features
from guardrail.need.model import NeedModel
from guardrail.reasons import ENGINE_CODES, Finding

__all__ = ["INJECTION_CLASSES", "INJECTION_CODE", "InjectionModel", "Trace"]

INJECTION_CLASSES = ("benign", "injection")
INJECTION_CODE = "model.injection_suspected"
_RULE_ID = "injection_model"
_INJECTION = INJECTION_CLASSES.index("injection")


@dataclass(frozen=True, slots=True)
class Trace:
    """What the model reads of one message, kept to read it joined to the next: the positions
    and values of its hashed features, its sentence embedding, and how many words the features
    were read from. Numbers, no text."""

    positions: npt.NDArray[np.integer[Any]]
    values: npt.NDArray[np.floating[Any]]
    dense: npt.NDArray[np.float32] | None
    words: int


class InjectionModel:
    """Scores text for injection (a probability); `flag` turns a score into a finding.

    Args:
        model: a two-class `NeedModel` whose classes are `INJECTION_CLASSES`.

    Raises:
        UserError: the model has other classes.
    """

    def __init__(self, model: NeedModel) -> None:
        if tuple(model.classes) != INJECTION_CLASSES:
            raise UserError(f"an injection model has the classes {INJECTION_CLASSES}, "
                            f"not {tuple(model.classes)}")
        self.model = model

    @classmethod
    def default(cls) -> InjectionModel:
        """The shipped model (loaded once per process)."""
        return _shipped()

    @classmethod
    def load(cls, path: str | Path) -> InjectionModel:
        """A model folder written by `save` (``meta.json`` + ``model.npz``).

        Raises:
            UserError: the folder is missing, incomplete, or not an injection model.
        """
        return cls(NeedModel.load(path))

    def save(self, path: str | Path) -> None:
        """Write the model folder."""
        self.model.save(path)

    def score(self, text: str, words: tuple[str, ...] | list[str], codes: list[str]) -> float:
        """The probability that `text` (folded into `words`; `codes` of the rules that matched
        it) is an injection."""
        return self.probability(self.trace(text, words, codes))

    def trace(self, text: str, words: tuple[str, ...] | list[str], codes: list[str]) -> Trace:
        """What `probability` and `joined_score` read of a message."""
        model = self.model
        dense = None
        if model.encoder is not None:
            dense = dense_features(model.encoder, text, model.config, words)
        positions, values, read = model.known_read(words, codes)
        return Trace(positions, values, dense, read)

    def probability(self, trace: Trace) -> float:
        """The probability that the message `trace` was made from is an injection.

        Raises:
            ValueError: the score is not a number (a broken model must not pass as clean).
        """
        sparse = self.model.sparse_logits(trace.positions, trace.values)
        score = float(self.model.probabilities(sparse, trace.dense)[_INJECTION])
        if not math.isfinite(score):
            raise ValueError(f"the injection model scored {score}")
        return score

    def joined_score(self, earlier: Trace, later: Trace) -> float:
        """The score of two messages read as one, from their traces alone (no text is read
        again): an attack split over consecutive turns.

        The model's hashed features are square roots of counts scaled to unit length, so a
        value squared is its bucket's share of the message's features. The joined features are
        those shares summed over both messages, each message weighed by its share of the words
        (the count of its features, nearly), and square-rooted again; the joined embedding is
        the length-weighted mean of the two. That is the concatenation's score but for the
        bigram across the join and the length proxy; a message joined to itself scores as it
        does alone, so a customer repeating themselves is not an attack.

        Raises:
            ValueError: the score is not a number.
        """
        total = max(earlier.words + later.words, 1)
        first, second = earlier.words / total, later.words / total
        positions = np.concatenate([earlier.positions, later.positions])
        shares = np.concatenate([earlier.values**2 * first, later.values**2 * second])
        rows, at = np.unique(positions, return_inverse=True)
        values = np.sqrt(np.bincount(at, weights=shares, minlength=len(rows)))
        dense = None
        if earlier.dense is not None and later.dense is not None:
            mean = earlier.words * earlier.dense + later.words * later.dense
            size = float(np.linalg.norm(mean))
            scale = max(float(np.linalg.norm(earlier.dense)), float(np.linalg.norm(later.dense)))
            dense = mean * np.float32(scale / size) if size else mean
        return self.probability(Trace(rows, values, dense, earlier.words + later.words))

    def score_text(self, text: str, detector: Detector) -> float:
        """`score` for raw `text`, read by `detector` as a user message (tools and tests)."""
        scan = detector.scan(0, Message(role="user", content=text))
        return self.score(text, scan.words, rule_codes(scan.findings))

    @staticmethod
    def flag(index: int, score: float, threshold: float, source: str | None = None) -> Finding:
        """The finding for message `index` scored `score` (at least `threshold`); `source`
        names what was read when it was not the message as written (a decoded payload)."""
        return Finding(
            kind="injection",
            code=INJECTION_CODE,
            rule_id=_RULE_ID,
            source=source or f"message[{index}]",
            explanation=f"{ENGINE_CODES[INJECTION_CODE]} (score {score:.2f} >= {threshold:g})",
            risk="medium",
            index=index,
        )


@functools.cache
def _shipped() -> InjectionModel:
    return InjectionModel.load(default_injection_model_dir())
