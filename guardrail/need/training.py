"""Training the need-state model on labelled lines (`guardrail train`).

Input: labelled cases (`guardrail.labelled.LabelledCase`: ``need_state`` and, for the handoff
head, ``handoff``), or the older batch format with ``expected_*`` labels. Lines with no need-state
label still train the handoff head. The split is by a stable hash of the line id, so it is the
same on every run.

The model is multinomial logistic regression over hashed features, trained full-batch with Adam
and class-balanced weights, then calibrated by temperature scaling on a slice of the training
data that the weights never saw. Pure numpy: no extra dependency to train or to predict.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from guardrail.conversation import Message
from guardrail.detectors.rules import RuleDetector, rule_codes
from guardrail.errors import UserError
from guardrail.labelled import read_case
from guardrail.need.features import FeatureConfig, dense_features, featurize, shipped_encoder
from guardrail.need.model import NeedModel
from guardrail.registry import Registry

__all__ = [
    "Example",
    "TrainReport",
    "evaluate",
    "held_out",
    "load_examples",
    "split",
    "train",
    "train_and_report",
]

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text: need-state (or None) and must-handoff (or None)."""

    id: str
    text: str
    need_state: str | None
    handoff: bool | None
    source: str
    # The language the line is written in (its `meta.lang`; lines without one are English).
    lang: str = "en"


def load_examples(paths: Sequence[str | Path], classes: Sequence[str]) -> list[Example]:
    """Read labelled JSONL files (`LabelledCase` lines); the text is the user's messages.

    Raises:
        UserError: a line is malformed or has a need-state outside `classes`.
    """
    examples: list[Example] = []
    for path in paths:
        name = Path(path).name
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                case = read_case(raw, number)
                need = case.need_state
                if need is not None and need not in classes:
                    raise UserError(f"{name} line {number}: unknown need_state {need!r}")
                if need is None and case.handoff is None:
                    continue
                lang = (case.meta.lang if case.meta is not None else None) or "en"
                examples.append(
                    Example(case.id, case.user_text(), need, case.handoff, name, lang.lower())
                )
    return examples


def held_out(line_id: str, fraction: float) -> bool:
    """Is the line with this id in the held-out share `fraction`? Stable: CRC-32 of the id,
    per mille (`guardrail score --part` cuts labelled sets the same way)."""
    return zlib.crc32(line_id.encode()) % 1000 < int(fraction * 1000)


def split(examples: Sequence[Example], fraction: float) -> tuple[list[Example], list[Example]]:
    """(train, held out): a stable split by CRC-32 of the id (`held_out`)."""
    held = [e for e in examples if held_out(e.id, fraction)]
    kept = [e for e in examples if not held_out(e.id, fraction)]
    return kept, held


@dataclass
class _Sparse:
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    values: Floats
    rows: npt.NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))

    def dot(self, weights: Floats) -> Floats:
        product = weights[self.indices] * self.values[:, None]
        return np.add.reduceat(product, self.indptr[:-1], axis=0)

    def tdot(self, delta: Floats, buckets: int) -> Floats:
        per_entry = delta[self.rows] * self.values[:, None]
        out = np.zeros((buckets, delta.shape[1]), dtype=np.float32)
        for column in range(delta.shape[1]):
            out[:, column] = np.bincount(self.indices, per_entry[:, column], minlength=buckets)
        return out


def _read(detector: RuleDetector, text: str) -> tuple[tuple[str, ...], list[str]]:
    """What the model reads of `text`: its canonical words and the codes of matched rules."""
    scan = detector.scan(0, Message(role="user", content=text))
    return scan.words, rule_codes(scan.findings)


def _width(config: FeatureConfig) -> int:
    """How many weight rows a model of `config` has: the hashed buckets, then the embedding's
    dimensions."""
    return config.buckets + (shipped_encoder(config.embedding).dims if config.embedding else 0)


def _matrix(texts: Sequence[str], detector: RuleDetector, config: FeatureConfig) -> _Sparse:
    indptr = [0]
    all_indices: list[npt.NDArray[np.int64]] = []
    all_values: list[Floats] = []
    encoder = shipped_encoder(config.embedding) if config.embedding else None
    dense_rows = (
        np.arange(config.buckets, config.buckets + encoder.dims, dtype=np.int64)
        if encoder is not None else None
    )
    for text in texts:
        words, codes = _read(detector, text)
        indices, values = featurize(words, config, codes)
        if encoder is not None and dense_rows is not None:
            indices = np.concatenate([indices, dense_rows])
            values = np.concatenate([values, dense_features(encoder, text, config, words)])
        all_indices.append(indices)
        all_values.append(values)
        indptr.append(indptr[-1] + len(indices))
    return _Sparse(
        np.array(indptr, dtype=np.int64),
        np.concatenate(all_indices),
        np.concatenate(all_values).astype(np.float32),
    )


def _fit(
    x: _Sparse, targets: Floats, sample_weight: Floats, buckets: int, l2: float, epochs: int
) -> tuple[Floats, Floats]:
    """Full-batch Adam on weighted cross-entropy (softmax when targets has >1 column)."""
    k = targets.shape[1]
    weights = np.zeros((buckets, k), dtype=np.float32)
    bias = np.zeros(k, dtype=np.float32)
    m_w, v_w = np.zeros_like(weights), np.zeros_like(weights)
    m_b, v_b = np.zeros_like(bias), np.zeros_like(bias)
    lr, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    total = float(sample_weight.sum())
    for step in range(1, epochs + 1):
        logits = x.dot(weights) + bias
        if k == 1:
            probs = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
        else:
            shifted = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            probs = exp / exp.sum(axis=1, keepdims=True)
        delta = ((probs - targets) * sample_weight[:, None] / total).astype(np.float32)
        grad_w = x.tdot(delta, buckets) + l2 * weights
        grad_b = delta.sum(axis=0)
        for param, grad, m, v in ((weights, grad_w, m_w, v_w), (bias, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return weights, bias


def _balanced(labels: npt.NDArray[np.int64], classes: int) -> Floats:
    counts = np.bincount(labels, minlength=classes).astype(np.float32)
    per_class = np.where(counts > 0, len(labels) / (classes * np.maximum(counts, 1)), 0.0)
    return per_class[labels].astype(np.float32)


def _by_language(examples: Sequence[Example], balance: float) -> Floats:
    """Per-example weights that lift the languages with fewer lines: a language with n lines
    weighs (n_max / n) ** balance per line (0: as read; 1: every language weighs the same)."""
    counts = Counter(e.lang for e in examples)
    most = max(counts.values(), default=1)
    return np.array([(most / counts[e.lang]) ** balance for e in examples], dtype=np.float32)


def _temperature(logits: Floats, labels: npt.NDArray[np.int64]) -> float:
    best, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.2), math.log(5.0), 61)):
        scaled = logits / t
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        nll = -float(log_probs[np.arange(len(labels)), labels].mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


@dataclass
class TrainReport:
    """Held-out figures of a trained model (per class and overall)."""

    classes: list[str]
    confusion: list[list[int]]
    train_size: int
    held_out_size: int
    temperature: float
    handoff_threshold_auc: float | None = None

    def per_class(self) -> dict[str, dict[str, float]]:
        """Precision, recall, F1 and support per class."""
        matrix = np.array(self.confusion)
        out = {}
        for i, name in enumerate(self.classes):
            tp = matrix[i, i]
            precision = tp / matrix[:, i].sum() if matrix[:, i].sum() else 0.0
            recall = tp / matrix[i, :].sum() if matrix[i, :].sum() else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[name] = {
                "precision": float(precision),
                "recall": float(recall),
                "f1": float(f1),
                "support": int(matrix[i, :].sum()),
            }
        return out

    @property
    def macro_f1(self) -> float:
        """Macro-F1 over classes that occur in the held-out data."""
        scores = [v["f1"] for v in self.per_class().values() if v["support"]]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def accuracy(self) -> float:
        """Held-out accuracy."""
        matrix = np.array(self.confusion)
        return float(np.trace(matrix) / matrix.sum()) if matrix.sum() else 0.0

    def render(self) -> str:
        """A plain-text report: per-class table and confusion matrix."""
        lines = [f"held-out: {self.held_out_size} lines (trained on {self.train_size}); "
                 f"accuracy {self.accuracy:.3f}, macro-F1 {self.macro_f1:.3f}, "
                 f"temperature {self.temperature:.2f}", "",
                 f"{'need-state':<20}{'precision':>10}{'recall':>10}{'f1':>8}{'support':>9}"]
        for name, row in self.per_class().items():
            lines.append(f"{name:<20}{row['precision']:>10.3f}{row['recall']:>10.3f}"
                         f"{row['f1']:>8.3f}{row['support']:>9}")
        short = [c[:8] for c in self.classes]
        lines += ["", "confusion (rows: expected, columns: predicted)",
                  " " * 20 + "".join(f"{s:>9}" for s in short)]
        for name, counts in zip(self.classes, self.confusion, strict=True):
            lines.append(f"{name:<20}" + "".join(f"{v:>9}" for v in counts))
        return "\n".join(lines)


def evaluate(model: NeedModel, examples: Iterable[Example], registry: Registry) -> TrainReport:
    """Confusion matrix of `model` on the need-labelled `examples`."""
    detector = RuleDetector(registry)
    index = {c: i for i, c in enumerate(model.classes)}
    matrix = np.zeros((len(model.classes), len(model.classes)), dtype=np.int64)
    count = 0
    for example in examples:
        if example.need_state is None:
            continue
        words, codes = _read(detector, example.text)
        predicted = model.predict_message(example.text, words, codes).need_state
        matrix[index[example.need_state], index[predicted]] += 1
        count += 1
    return TrainReport(model.classes, matrix.tolist(), 0, count, 1.0)


def train(
    examples: Sequence[Example],
    classes: Sequence[str],
    registry: Registry,
    config: FeatureConfig | None = None,
    l2: float = 3e-6,
    epochs: int = 300,
    meta: dict[str, object] | None = None,
    language_balance: float = 0.0,
) -> NeedModel:
    """Train a `NeedModel` on `examples` (a tenth is kept aside to calibrate probabilities).

    Both heads weigh each line by its class's rarity and, with `language_balance` > 0, by its
    language's (see `_by_language`): English banking lines outnumber every other language's
    many times over.

    Raises:
        UserError: fewer than two need-states have examples.
    """
    config = config or FeatureConfig()
    detector = RuleDetector(registry)
    labelled = [e for e in examples if e.need_state is not None]
    if len({e.need_state for e in labelled}) < 2:
        raise UserError("training needs examples of at least two need-states")
    fit_set, calibration = split(labelled, 0.1)
    index = {c: i for i, c in enumerate(classes)}
    x = _matrix([e.text for e in fit_set], detector, config)
    labels = np.array([index[e.need_state] for e in fit_set], dtype=np.int64)  # type: ignore[index]
    targets = np.eye(len(classes), dtype=np.float32)[labels]
    width = _width(config)
    sample = _balanced(labels, len(classes)) * _by_language(fit_set, language_balance)
    weights, bias = _fit(x, targets, sample, width, l2, epochs)
    temperature = 1.0
    if calibration:
        xc = _matrix([e.text for e in calibration], detector, config)
        cal_labels = np.array([index[e.need_state] for e in calibration], dtype=np.int64)  # type: ignore[index]
        temperature = _temperature(xc.dot(weights) + bias, cal_labels)

    handoff_examples = [e for e in examples if e.handoff is not None]
    handoff_weights: Floats | None = None
    handoff_bias = 0.0
    if len({e.handoff for e in handoff_examples}) == 2:
        xh = _matrix([e.text for e in handoff_examples], detector, config)
        yh = np.array([int(bool(e.handoff)) for e in handoff_examples], dtype=np.int64)
        sample = _balanced(yh, 2) * _by_language(handoff_examples, language_balance)
        hw, hb = _fit(xh, yh[:, None].astype(np.float32), sample, width, l2, epochs)
        handoff_weights, handoff_bias = hw[:, 0], float(hb[0])

    used = np.flatnonzero(np.abs(weights).sum(axis=1) > 0)
    if handoff_weights is not None:
        used = np.union1d(used, np.flatnonzero(handoff_weights != 0))
    counts = Counter(e.need_state for e in labelled)
    return NeedModel(
        list(classes),
        config,
        used.astype(np.int64),
        weights[used],
        bias,
        temperature,
        None if handoff_weights is None else handoff_weights[used],
        handoff_bias,
        {
            **(meta or {}),
            # Provenance only: what must agree with a registry is `classes` (its need-states).
            "registry_version": registry.version,
            "examples": {str(k): v for k, v in sorted(counts.items())},
            "l2": l2,
            "epochs": epochs,
            "language_balance": language_balance,
        },
    )


def train_and_report(
    kept: Sequence[Example],
    held: Sequence[Example],
    classes: Sequence[str],
    registry: Registry,
    config: FeatureConfig,
    output: str | Path,
    *,
    epochs: int = 300,
    l2: float = 3e-6,
    meta: dict[str, object] | None = None,
    language_balance: float = 0.0,
) -> str:
    """Train on `kept`, measure on `held`, write the model folder with its ``report.txt``;
    returns the report (what ``guardrail train`` and the shipped model's builder both do)."""
    model = train(kept, classes, registry, config, epochs=epochs, l2=l2, meta=meta,
                  language_balance=language_balance)
    report = evaluate(model, held, registry)
    report.train_size = len(kept)
    report.temperature = model.temperature
    model.meta["held_out"] = {"lines": report.held_out_size, "accuracy": report.accuracy,
                              "macro_f1": report.macro_f1, "per_class": report.per_class()}
    model.save(output)
    text = report.render()
    Path(output, "report.txt").write_text(text + "\n", encoding="utf-8")
    return text
