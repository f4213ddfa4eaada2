"""The language of a customer message, offline: a statistical model plus deterministic extras.

`LanguageIdentifier.identify` reads one message into a `LanguageReading`: the language (BCP 47
primary subtag, or ``"und"`` when it cannot be determined), a confidence, the dominant script
(ISO 15924) and the other supported languages seen in it (code-switching). It is the product's
question "is this customer writing in a language we support?", so it is tuned to never call an
unsupported language supported and to abstain ("und") rather than guess on too little text.

How a message is read, in order:

1. **Cleaning.** At most `MAX_CHARS` characters; URLs, e-mail addresses, @handles, digits,
   punctuation and emoji go. No letters left (``""``, ``"👍"``, ``"12345"``) -> ``"und"``.
2. **Script.** Each letter's Unicode script is counted. Devanagari (a quarter of the letters or
   more) -> Hindi, whatever the model says (Marathi and Nepali share the script and are read as
   Hindi, with a lower confidence). A script no supported language is written in (Cyrillic,
   Arabic, Han, Kana, Hangul, Greek, ...) cannot be a supported language: the model names the
   language and the confidence is at least the script's share of the letters.
3. **Cue words** (``_data/vocab/lang_cues.yaml``, keyed by language, data not code). Romanised
   Hindi ("mera card chori ho gaya hai block karo") is read from its words alone: the model
   never saw Hindi in Latin letters. For the other languages the words decide only when the
   model is unsure (one-to-three-word messages: "hola", "merci", "hilfe") and name the other
   supported languages a message mixes in.
4. **The model** (py3langid: naive Bayes over byte n-grams, 140 labels, BSD-3-Clause, pure
   Python and numpy, the model inside the wheel; nothing is downloaded). Its probabilities are
   folded (regional varieties it confuses with a large language on short text count for that
   language) and its answer is taken only above a threshold that falls with the message's
   length; below it, and with no cue rule that applies, the reading is ``"und"``. A weak
   unsupported answer (under 0.5) against a message a quarter of whose words are a supported
   language's cues is ``"und"`` too ("jai pas recu mon colis" is not Occitan).

What it confuses (measured on ``benchmarks/data/langid_probe.jsonl``, see
``benchmarks/bench_langid.py``): Portuguese with Galician and Dutch with Afrikaans (the model
answers the neighbour, which is unsupported, or "und"); one-to-three-word lines that two supported
languages share ("no funciona", "reembolso", "hallo": "und"); Marathi and Nepali (read as Hindi);
other languages typed without their script or accents ("privet", Vietnamese without tones: "und");
Hinglish with a single Hindi word among English ones (read as English).

`LanguageIdentifier` keeps no memo of what it read (only the script of each character it met) and
shares only read-only state (the model is loaded once per process, under a lock; its scores come
from `_langid.Scorer`, py3langid's floats for less, which writes its float32 copy of a model row
once, under a lock, before anyone reads it), so one instance serves many threads. `identify` never
raises on a str: an unexpected failure reads as ``"und"`` with confidence 0.
"""

from __future__ import annotations

import functools
import importlib
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from guardrail._base import FrozenModel
from guardrail._yaml import load_yaml
from guardrail.decision import UNDETERMINED_LANGUAGE
from guardrail.detectors._langid import scorer_for
from guardrail.detectors.detector import Scan
from guardrail.errors import LanguageModelMissingError, RegistryError, RegistryIssue
from guardrail.registry import Registry

__all__ = [
    "CUES_FILE",
    "MAX_CHARS",
    "PIP_REQUIREMENT",
    "UNDETERMINED",
    "CueFile",
    "LanguageGate",
    "LanguageIdentifier",
    "LanguageModelMissingError",
    "LanguageReading",
    "load_cues",
]

UNDETERMINED = UNDETERMINED_LANGUAGE
CUES_FILE = "vocab/lang_cues.yaml"  # under guardrail/_data
PIP_REQUIREMENT = "py3langid>=0.4,<0.5"  # the label set the cue file's `labels` names is 0.4's
MAX_CHARS = 1000  # a message's language shows in its first thousand characters; bounded work

# The model's answer counts only at or above this probability; fewer words need more.
_MODEL_THRESHOLD = {1: 0.75, 2: 0.6, 3: 0.5}
_MODEL_THRESHOLD_LONG = 0.3
_SHORT = 3  # words: a message this short is read from its cue words when the model is unsure
# Romanised Hindi: 2 per strong word + 1 per weak word at least this, and this share of words.
_HI_MIN_SCORE = 4
_HI_MIN_SHARE = 0.25
# A cue-word reading of a longer message the model is unsure of: strong words and their share.
_CUE_MIN_STRONG = 2
_CUE_MIN_SHARE = 0.34
_CUE_MIN_RATIO = 0.1  # ... and the model must not rank it ten times below its best guess
_DEVANAGARI_MIN_SHARE = 0.25
# The model's unsupported answer below this, in a message this share of whose words are a
# supported language's cues ("jai pas recu mon colis" read as Occitan): "und", not a guess.
_CONFLICT_MAX = 0.5
_CONFLICT_SHARE = 0.25

# ISO 15924 codes by the first word of a letter's Unicode name.
_SCRIPT_BY_NAME = {
    "LATIN": "Latn", "DEVANAGARI": "Deva", "CYRILLIC": "Cyrl", "GREEK": "Grek",
    "ARABIC": "Arab", "HEBREW": "Hebr", "CJK": "Hani", "HIRAGANA": "Jpan", "KATAKANA": "Jpan",
    "HANGUL": "Kore", "THAI": "Thai", "BENGALI": "Beng", "GURMUKHI": "Guru",
    "GUJARATI": "Gujr", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda",
    "MALAYALAM": "Mlym", "ORIYA": "Orya", "SINHALA": "Sinh", "ARMENIAN": "Armn",
    "GEORGIAN": "Geor", "ETHIOPIC": "Ethi", "KHMER": "Khmr", "LAO": "Laoo", "MYANMAR": "Mymr",
    "TIBETAN": "Tibt", "THAANA": "Thaa", "SYRIAC": "Syrc", "MONGOLIAN": "Mong",
}
# The script a language is written in, where it is not Latin (for "can this script be a
# supported language?"); and the language a script alone names.
_SCRIPT_OF_LANGUAGE = {
    "hi": "Deva", "mr": "Deva", "ne": "Deva", "ru": "Cyrl", "uk": "Cyrl", "bg": "Cyrl",
    "sr": "Cyrl", "mk": "Cyrl", "be": "Cyrl", "kk": "Cyrl", "ky": "Cyrl", "mn": "Cyrl",
    "el": "Grek", "ar": "Arab", "fa": "Arab", "ur": "Arab", "ps": "Arab", "he": "Hebr",
    "zh": "Hani", "ja": "Jpan", "ko": "Kore", "th": "Thai", "bn": "Beng", "pa": "Guru",
    "gu": "Gujr", "ta": "Taml", "te": "Telu", "kn": "Knda", "ml": "Mlym", "or": "Orya",
    "si": "Sinh", "hy": "Armn", "ka": "Geor", "am": "Ethi", "km": "Khmr", "lo": "Laoo",
    "my": "Mymr", "dv": "Thaa",
}
_LANGUAGE_OF_SCRIPT = {
    "Jpan": "ja", "Kore": "ko", "Grek": "el", "Hebr": "he", "Thai": "th", "Guru": "pa",
    "Gujr": "gu", "Taml": "ta", "Telu": "te", "Knda": "kn", "Mlym": "ml", "Orya": "or",
    "Sinh": "si", "Armn": "hy", "Geor": "ka", "Khmr": "km", "Laoo": "lo", "Mymr": "my",
    "Thaa": "dv",
}
_NO_SCRIPT = "Zyyy"  # ISO 15924 "common": no letters
_UNKNOWN_SCRIPT = "Zzzz"

_LINKS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|[@#]\w+", re.IGNORECASE)
_APOSTROPHES = frozenset("'’`ʼ")  # noqa: RUF001 - the look-alikes are the point
_TO_APOSTROPHE = {ord(ch): "'" for ch in _APOSTROPHES}


@dataclass(frozen=True, slots=True)
class LanguageReading:
    """The language of one message.

    Attributes:
        lang: BCP 47 primary subtag ("es", "hi", "pl"), or "und" when it cannot be determined.
        confidence: 0..1, how sure the reading is of `lang` (0 for "und"). For a message in a
            script no supported language is written in, at least the share of its letters in
            that script: a Cyrillic message is surely not a supported language even when Russian
            and Ukrainian are hard to tell apart.
        script: the dominant script, ISO 15924 ("Latn", "Deva", "Cyrl"; "Zyyy" for no letters).
        mixed: the other supported languages seen in the message (code-switching), most words
            first; never contains `lang`.
    """

    lang: str
    confidence: float
    script: str
    mixed: tuple[str, ...]


_NOTHING = LanguageReading(UNDETERMINED, 0.0, _NO_SCRIPT, ())


class _LanguageCues(FrozenModel):
    strong: list[str] = Field(default_factory=list)
    weak: list[str] = Field(default_factory=list)

    @field_validator("strong", "weak")
    @classmethod
    def _one_word_each(cls, words: list[str]) -> list[str]:
        for word in words:
            if not word or any(ch.isspace() for ch in word) or word != word.strip("'’"):  # noqa: RUF001
                raise ValueError(f"{word!r}: a cue is one word (no spaces, no edge apostrophe)")
        return words


class _Labels(FrozenModel):
    fold: dict[str, str] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)


class CueFile(FrozenModel):
    """The validated cue file: cue words per language, and how the model's labels are read."""

    cues: dict[str, _LanguageCues]
    labels: _Labels = Field(default_factory=_Labels)

    @field_validator("cues")
    @classmethod
    def _codes(cls, cues: dict[str, _LanguageCues]) -> dict[str, _LanguageCues]:
        for code in cues:
            if not re.fullmatch(r"[a-z]{2,3}", code):
                raise ValueError(f"{code!r} is not a BCP 47 primary subtag (2-3 lowercase letters)")
        return cues


def _casefold(word: str) -> str:
    """Case-blind form of a word, accents kept: "Cartão" -> "cartão", "Straße" -> "strasse"."""
    return unicodedata.normalize("NFC", word.casefold()).translate(_TO_APOSTROPHE)


def _fold(word: str) -> str:
    """Case- and accent-blind form of a word: "Cartão" -> "cartao"."""
    decomposed = unicodedata.normalize("NFD", _casefold(word))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_cues(path: Path | None = None) -> CueFile:
    """Read and validate a cue file (the shipped one when `path` is None: read once a process).

    Raises:
        RegistryError: every problem, each with the file and its YAML path; a word strong in
            two languages (after folding case and accents) is one.
    """
    return _shipped_cues() if path is None else _parse_cues(path)


@functools.lru_cache(maxsize=1)
def _shipped_cues() -> CueFile:
    return _parse_cues(None)


def _parse_cues(path: Path | None) -> CueFile:
    if path is None:
        source: Path | str = (resources.files("guardrail") / "_data" / CUES_FILE).read_text(
            "utf-8"
        )
        shown = CUES_FILE
    else:
        source, shown = path, str(path)
    cues, issues = load_yaml(source, CueFile, file=shown)
    if cues is None:
        raise RegistryError(issues)
    owner: dict[str, str] = {}
    for lang, lists in cues.cues.items():
        for i, word in enumerate(lists.strong):
            other = owner.setdefault(_fold(word), lang)
            if other != lang:
                issues.append(RegistryIssue(
                    shown, f"cues.{lang}.strong[{i}]",
                    f"{word!r} is strong in {other} too: list it as weak, or in neither",
                ))
    if issues:
        raise RegistryError(issues)
    return cues


class _Model(Protocol):
    nb_classes: Sequence[str]  # the label of each column of the model's scores

    def rank(self, text: str) -> list[tuple[str, float]]: ...


_model: _Model | None = None
_model_lock = threading.Lock()


def _shared_model() -> _Model:
    """py3langid's model, loaded once per process (about 1.5 s; 80 MB resident)."""
    global _model
    with _model_lock:
        if _model is None:
            try:
                langid: Any = importlib.import_module("py3langid.langid")
                factory = langid.LanguageIdentifier.from_model_file
            except (ImportError, AttributeError) as exc:
                raise LanguageModelMissingError(
                    "language identification needs the py3langid package (pure Python and "
                    f"numpy, BSD-3-Clause): pip install '{PIP_REQUIREMENT}'",
                    name="py3langid",
                ) from exc
            _model = factory(langid.MODEL_FILE, norm_probs=True)
        return _model


@dataclass(frozen=True, slots=True)
class _Text:
    """A message as the identifier reads it."""

    clean: str  # letters and apostrophes, single spaces
    words: tuple[str, ...]  # case-folded, accents kept
    script: str  # dominant
    share: float  # the dominant script's share of the letters
    devanagari: float  # Devanagari's share of the letters


# The common blocks, tested before asking for the letter's Unicode name (the slow path).
_BLOCKS = (
    ("\u0000", "\u024f", "Latn"), ("\u0370", "\u03ff", "Grek"), ("\u0400", "\u04ff", "Cyrl"),
    ("\u0590", "\u05ff", "Hebr"), ("\u0600", "\u06ff", "Arab"), ("\u0900", "\u097f", "Deva"),
    ("\u1e00", "\u1eff", "Latn"), ("\u3040", "\u30ff", "Jpan"), ("\u4e00", "\u9fff", "Hani"),
    ("\uac00", "\ud7af", "Kore"),
)


@functools.lru_cache(maxsize=4096)  # a character's script: the same few hundred, over and over
def _script(ch: str) -> str:
    for low, high, script in _BLOCKS:
        if low <= ch <= high:
            return script
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    if first in ("HALFWIDTH", "FULLWIDTH"):
        first = name.split(" ", 2)[1] if name.count(" ") >= 1 else first
    return _SCRIPT_BY_NAME.get(first, _UNKNOWN_SCRIPT)


_ASCII_WORDS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
# Apostrophes after a separator or at the start: they separate too (only one inside a word, after
# a letter or a mark, is kept).
_LEADING_APOSTROPHES = re.compile(r"(?<![^ ])'+")


def _may_link(text: str) -> bool:
    """Whether `_LINKS` can match ASCII `text`: each of its branches needs "://", "www."
    (either case), "@" or "#". Asking is a tenth of the cost of the substitution."""
    return "@" in text or "#" in text or "://" in text or "www." in text.lower()


def _read_text(text: str) -> _Text:
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])
    if not text.isascii() or _may_link(text):
        text = _LINKS.sub(" ", text)
    if text.isascii():  # most messages: no script to count, no accent to keep
        found = _ASCII_WORDS.findall(text)
        if not found:
            return _Text("", (), _NO_SCRIPT, 0.0, 0.0)
        clean = " ".join(found)  # words without spaces: lowered at once, split back the same
        return _Text(clean, tuple(clean.lower().split(" ")), "Latn", 1.0, 0.0)
    # Letters (counted by script) and marks (Devanagari vowel signs, viramas, combining
    # accents) stay, an apostrophe inside a word becomes "'", anything else separates words.
    # Each distinct character is looked at once, in order of first occurrence (so the scripts
    # tie as the text ranks them), and the text is rewritten in one `translate`.
    scripts: dict[str, int] = {}
    letters = 0
    table: dict[int, str] = {}
    for ch, n in Counter(text).items():
        kind = unicodedata.category(ch)[0]
        if kind == "L":
            letters += n
            script = _script(ch)
            scripts[script] = scripts.get(script, 0) + n
        elif kind != "M":
            table[ord(ch)] = "'" if ch in _APOSTROPHES else " "
    if not letters:
        return _Text("", (), _NO_SCRIPT, 0.0, 0.0)
    if scripts.get("Jpan") and "Hani" in scripts:  # kanji beside kana is Japanese
        scripts["Jpan"] += scripts.pop("Hani")
    script = max(scripts, key=lambda s: (scripts[s], s == "Latn"))
    tokens = _LEADING_APOSTROPHES.sub(" ", text.translate(table)).split()
    words = tuple(w for w in (_casefold(t).strip("'") for t in tokens) if w)
    return _Text(" ".join(tokens), words, script, scripts[script] / letters,
                 scripts.get("Deva", 0) / letters)


@dataclass(frozen=True, slots=True)
class _Hits:
    strong: int = 0
    weak: int = 0

    @property
    def words(self) -> int:
        """Words counted for the language: weak ones only beside a strong one."""
        return self.strong + self.weak if self.strong else 0


@dataclass(frozen=True, slots=True)
class _Probs:
    """The model's probabilities over the folded labels."""

    values: npt.NDArray[np.float64]
    labels: tuple[str, ...]
    index: Mapping[str, int]

    def get(self, lang: str) -> float:
        i = self.index.get(lang)
        return 0.0 if i is None else float(self.values[i])

    def top(self, among: npt.NDArray[np.intp] | None = None) -> tuple[str, float]:
        """The most probable label (of the columns `among`, when given and not empty)."""
        if among is None or not among.size:
            i = int(self.values.argmax())
        else:
            i = int(among[int(self.values[among].argmax())])
        return self.labels[i], float(self.values[i])


_Cues = Mapping[str, tuple[tuple[str, bool], ...]]  # word -> (language, strong?)


@dataclass(frozen=True, slots=True)
class _Tables:
    """What an identifier reads with, built once per cue file and supported set (read-only)."""

    model: _Model
    exact: _Cues  # cue words as written (case-folded), for words typed with accents
    plain: _Cues  # cue words without accents, for words typed without any
    labels: tuple[str, ...]  # the model's labels, folded, without the dropped ones
    where: Mapping[str, int]  # label -> its index in `labels`
    targets: npt.NDArray[np.intp]  # per model column, its folded label's index (dropped: last)
    script_columns: Mapping[str, npt.NDArray[np.intp]]  # script -> the labels written in it

    @classmethod
    def build(cls, supported: Sequence[str], cues: CueFile, model: _Model) -> _Tables:
        # A word typed with accents matches a cue written with the same ones ("för" is not
        # "for"); a word typed without any matches a cue with or without ("cartao", "cartão").
        exact: dict[str, list[tuple[str, bool]]] = {}
        plain: dict[str, list[tuple[str, bool]]] = {}
        for lang, lists in cues.cues.items():
            if lang not in supported:
                continue
            for strong, words in ((True, lists.strong), (False, lists.weak)):
                for word in words:
                    for table, key in ((exact, _casefold(word)), (plain, _fold(word))):
                        slot = table.setdefault(key, [])
                        if (lang, True) not in slot and (lang, strong) not in slot:
                            slot.append((lang, strong))
        # Folding and dropping labels is one vectorised step over the model's score columns:
        # a dropped label's column goes to one last bin, which is then left out.
        folds, drop = cues.labels.fold, frozenset(cues.labels.drop)
        columns = [folds.get(label, label) for label in model.nb_classes]
        labels = tuple(dict.fromkeys(c for c in columns if c not in drop))
        where = {lang: i for i, lang in enumerate(labels)}
        return cls(
            model=model,
            exact={w: tuple(v) for w, v in exact.items()},
            plain={w: tuple(v) for w, v in plain.items()},
            labels=labels,
            where=where,
            targets=np.array([where.get(c, len(labels)) for c in columns], np.intp),
            script_columns={
                script: np.array([where[c] for c in labels
                                  if _SCRIPT_OF_LANGUAGE.get(c) == script], np.intp)
                for script in set(_SCRIPT_OF_LANGUAGE.values())
            },
        )


@functools.lru_cache(maxsize=16)
def _shipped_tables(supported: tuple[str, ...]) -> _Tables:
    return _Tables.build(supported, load_cues(), _shared_model())


class LanguageIdentifier:
    """Reads the language of customer messages; memo-free and safe to share between threads.

    Args:
        supported: the languages the product answers in (BCP 47 primary subtags).
        cues_path: a cue file to use instead of the shipped ``_data/vocab/lang_cues.yaml``.

    Raises:
        LanguageModelMissingError: py3langid is not installed (an ImportError naming the package).
        RegistryError: the cue file is invalid.
        ValueError: `supported` is empty or a code is not a primary subtag.
    """

    def __init__(self, supported: Sequence[str], cues_path: Path | None = None) -> None:
        codes = tuple(dict.fromkeys(code.strip().lower() for code in supported))
        if not codes:
            raise ValueError("supported languages: at least one is needed")
        bad = [c for c in codes if not re.fullmatch(r"[a-z]{2,3}", c)]
        if bad:
            raise ValueError(f"supported languages: {bad} are not BCP 47 primary subtags")
        self._supported = codes
        tables = _shipped_tables(codes) if cues_path is None else _Tables.build(
            codes, load_cues(cues_path), _shared_model()
        )
        self._model = tables.model
        self._exact = tables.exact
        self._plain = tables.plain
        self._labels = tables.labels
        self._where = tables.where
        self._targets = tables.targets
        self._script_columns = tables.script_columns
        # py3langid's per-column probabilities (aliases merged): computed by `_langid.Scorer`,
        # the same floats for less; py3langid's `_decide`, or `rank`, where a release differs.
        scorer = scorer_for(self._model)
        self._scores: Any = (scorer.scores if scorer is not None
                             else getattr(self._model, "_decide", None))

    @property
    def supported(self) -> tuple[str, ...]:
        """The supported languages, in the order given."""
        return self._supported

    def identify(self, text: str) -> LanguageReading:
        """The language of `text`; never raises (anything unexpected reads as "und")."""
        try:
            return self._read(text)
        except Exception:
            return _NOTHING

    def _read(self, text: str) -> LanguageReading:
        if not isinstance(text, str):
            return _NOTHING
        seen = _read_text(text)
        if not seen.words:
            return _NOTHING
        hits = self._hits(seen.words)
        if seen.devanagari >= _DEVANAGARI_MIN_SHARE:
            return self._devanagari(seen, hits)
        if seen.script != "Latn":
            return self._other_script(seen, hits)
        n = len(seen.words)
        # Romanised Hindi: the model never saw it, so its words decide (and it is not asked).
        hi = hits.get("hi")
        if hi is not None and self._reads_as_hindi(hi, n, hits):
            return self._reading("hi", _cue_confidence(hi), seen, hits)
        probs = self._probabilities(seen.clean)
        top, p_top = probs.top()
        if p_top >= _MODEL_THRESHOLD.get(n, _MODEL_THRESHOLD_LONG):
            if top not in self._supported and p_top < _CONFLICT_MAX and any(
                h.words >= _CONFLICT_SHARE * n for h in hits.values()
            ):  # a weak unsupported answer against words of a supported language: abstain
                return self._reading(UNDETERMINED, 0.0, seen, hits)
            return self._reading(top, p_top, seen, hits)
        cue = self._cue_language(hits, probs, n)
        if cue is not None:
            return self._reading(cue, _cue_confidence(hits[cue]), seen, hits)
        return self._reading(UNDETERMINED, 0.0, seen, hits)

    # -- the parts -------------------------------------------------------------------------

    def _hits(self, words: Iterable[str]) -> dict[str, _Hits]:
        strong: dict[str, int] = {}
        weak: dict[str, int] = {}
        plain, exact = self._plain.get, self._exact.get
        for word in words:
            found = plain(word) if word.isascii() or _fold(word) == word else exact(word)
            if found:  # most words are no cue
                for lang, is_strong in found:
                    bucket = strong if is_strong else weak
                    bucket[lang] = bucket.get(lang, 0) + 1
        if not strong and not weak:
            return {}
        return {lang: _Hits(strong.get(lang, 0), weak.get(lang, 0))
                for lang in strong.keys() | weak.keys()}

    def _probabilities(self, text: str) -> _Probs:
        """The model's probabilities, folded and renormalised without the dropped labels (all
        zero when the model found nothing to go on)."""
        if self._scores is not None:
            scores = self._scores(text)
        else:
            given = dict(self._model.rank(text))
            scores = np.array([given.get(label, 0.0) for label in self._model.nb_classes])
        binned = np.bincount(self._targets, weights=scores, minlength=len(self._labels) + 1)
        merged: npt.NDArray[np.float64] = binned[:-1].astype(np.float64, copy=False)
        total = float(merged.sum())
        if math.isfinite(total) and total > 0.0:
            merged /= total
        else:
            merged[:] = 0.0
        return _Probs(merged, self._labels, self._where)

    def _reads_as_hindi(self, hi: _Hits, n: int, hits: Mapping[str, _Hits]) -> bool:
        if not hi.strong:
            return False
        if any(h.strong > hi.strong for lang, h in hits.items() if lang != "hi"):
            return False
        if n <= _SHORT:
            return hi.words * 2 >= n
        return 2 * hi.strong + hi.weak >= _HI_MIN_SCORE and hi.words >= _HI_MIN_SHARE * n

    def _cue_language(
        self, hits: Mapping[str, _Hits], probs: _Probs, n: int
    ) -> str | None:
        """A supported language the cue words name when the model is unsure, or None."""
        ranked = sorted(
            ((h.strong, probs.get(lang), lang) for lang, h in hits.items() if h.strong),
            reverse=True,
        )
        if not ranked:
            return None
        strong, p, lang = ranked[0]
        if len(ranked) > 1 and ranked[1][0] == strong and ranked[1][1] == p:
            return None
        if lang != "hi" and p < _CUE_MIN_RATIO * probs.top()[1]:
            return None
        if n <= _SHORT:
            return lang if hits[lang].words * 2 >= n else None
        enough = strong >= _CUE_MIN_STRONG and hits[lang].words >= _CUE_MIN_SHARE * n
        return lang if enough else None

    def _devanagari(self, seen: _Text, hits: Mapping[str, _Hits]) -> LanguageReading:
        """Devanagari reads as Hindi; the model's share for Hindi sets the confidence."""
        probs = self._probabilities(seen.clean)
        columns = self._script_columns["Deva"]
        total = float(probs.values[columns].sum()) if columns.size else 0.0
        lang, p = "hi", probs.get("hi")
        best, p_best = probs.top(columns)
        if best != "hi" and best in self._supported:  # e.g. Marathi, where it is supported
            lang, p = best, p_best
        share = p / total if total > 0.0 else 0.0
        # Half the letters in Devanagari is as sure as all of them ("मेरा card block करो").
        confidence = min(1.0, 2 * seen.devanagari) * (0.5 + 0.5 * share)
        return self._reading(lang, confidence, seen, hits)

    def _other_script(self, seen: _Text, hits: Mapping[str, _Hits]) -> LanguageReading:
        """A script other than Latin and Devanagari: named by the script or by the model."""
        if seen.script == _UNKNOWN_SCRIPT:  # letters of a script this reader cannot name
            return self._reading(UNDETERMINED, 0.0, seen, hits)
        lang = _LANGUAGE_OF_SCRIPT.get(seen.script)
        if lang is not None and seen.share >= 1.0:
            # All letters in a script that names its language: the confidence below is
            # max(p, 1.0), clamped to 1.0, whatever the model's (never NaN) p -- not asked.
            return self._reading(lang, 1.0, seen, hits)
        probs = self._probabilities(seen.clean)
        if lang is None:  # the model's best among the languages written in this script
            lang = probs.top(self._script_columns.get(seen.script))[0]
        p = probs.get(lang)
        if seen.script in _LANGUAGE_OF_SCRIPT or not any(
            _SCRIPT_OF_LANGUAGE.get(code, "Latn") == seen.script for code in self._supported
        ):  # the script names the language, or is surely none of the supported ones
            p = max(p, seen.share)
        return self._reading(lang, p, seen, hits)

    def _reading(
        self, lang: str, confidence: float, seen: _Text, hits: Mapping[str, _Hits]
    ) -> LanguageReading:
        counts = {code: h.strong for code, h in hits.items() if h.strong and code != lang}
        if seen.devanagari and lang != "hi" and "hi" in self._supported:
            counts["hi"] = counts.get("hi", 0) + 1
        mixed = tuple(sorted(counts, key=lambda code: (-counts[code], code)))
        confidence = 0.0 if lang == UNDETERMINED else min(1.0, max(0.0, confidence))
        return LanguageReading(lang, round(confidence, 4), seen.script, mixed)


def _cue_confidence(hits: _Hits) -> float:
    """A reading from cue words alone: 0.6 for one strong word, up to 0.95."""
    return min(0.95, 0.5 + 0.1 * hits.strong + 0.05 * (hits.weak if hits.strong else 0))


class LanguageGate:
    """Keeps a language's rules to messages in that language (``settings.languages.rule_gate``).

    Every rule reads every message, so a word of one language that means something else in
    another fires the wrong language's rule (Portuguese "contesto" in Italian "in questo
    contesto", French "fraude" in Dutch). With a threshold set, the findings of a rule written
    for language L are dropped from a message read as another supported language, not the
    default one, with at least that confidence. The default language's rules, and every rule
    on a message read as undetermined, unsupported or the default language, are kept: a rule is
    dropped only where the message's language is known and is not the rule's.
    """

    def __init__(self, registry: Registry) -> None:
        languages = registry.settings.languages
        self.threshold = languages.rule_gate
        self._default = languages.default
        self._supported = frozenset(languages.supported)
        self._lang_of = {r.spec.id: r.spec.lang for r in registry.rules if r.spec.lang}

    def apply(self, scan: Scan, reading: LanguageReading) -> Scan:
        """`scan` without the findings of rules written for another language than `reading`."""
        if (self.threshold is None or reading.confidence < self.threshold
                or reading.lang == self._default or reading.lang not in self._supported):
            return scan
        return self._without(scan, reading.lang)

    def _without(self, scan: Scan, lang: str) -> Scan:
        lang_of = self._lang_of
        kept = [f for f in scan.findings if lang_of.get(f.rule_id, lang) == lang]
        if len(kept) == len(scan.findings) and not scan.readings:
            return scan
        readings = tuple(self._without(r, lang) for r in scan.readings)
        return Scan(kept, scan.canonical, readings)
