"""The identifier's fast scorer (`guardrail.detectors._langid`) against py3langid's own `_decide`:
the same float32 scores, bit for bit, on every labelled text of the repository (raw and as the
identifier cleans it), on long windows of them, on any str, from many threads; the proof that
lets the vectorised walk answer, and the Python walk when it fails; and the identifier's shortcuts
that skip the model giving the reading the model would have given."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guardrail.detectors import _langid, language
from guardrail.detectors.language import PIP_REQUIREMENT, LanguageIdentifier

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl", "hi")


def _contents(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("content", "text") and isinstance(value, str):
                yield value
            else:
                yield from _contents(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _contents(value)


def labelled_texts() -> list[str]:
    """Every message of every labelled set (evals/, the language training files), once."""
    files = sorted(ROOT.glob("evals/**/*.jsonl")) + sorted(ROOT.glob("data/train/lang*.jsonl"))
    texts: dict[str, None] = {}
    for path in files:
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                texts.update(dict.fromkeys(_contents(json.loads(line))))
    return list(texts)


@pytest.fixture(scope="module")
def model() -> Any:
    pytest.importorskip("py3langid", reason=f"the language model's package: {PIP_REQUIREMENT}")
    return language._shared_model()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = labelled_texts()
    assert len(found) > 5000, "the labelled sets moved: point labelled_texts() at them"
    return found


def windows(texts: list[str], count: int, size: int = 2000) -> list[str]:
    """Long messages made of consecutive labelled lines (several languages in most)."""
    out = []
    for start in range(0, len(texts), max(1, len(texts) // count)):
        text, i = "", start
        while len(text) < size:
            text += texts[i % len(texts)] + " "
            i += 1
        out.append(text[:size])
    return out


def same(model: Any, scorer: _langid.Scorer, text: str) -> bool:
    want, got = model._decide(text), scorer.scores(text)
    return bool(want.dtype == got.dtype and want.tobytes() == got.tobytes())


def test_the_scores_are_py3langid_s_on_every_labelled_text(
    model: Any, texts: list[str]
) -> None:
    scorer = _langid.Scorer(model)  # a fresh one: every float32 row converted on the way
    inputs = texts + windows(texts, 300)
    inputs += [language._read_text(t).clean for t in inputs]
    differ = [t for t in inputs if not same(model, scorer, t)]
    assert not differ, f"{len(differ)} of {len(inputs)} differ, e.g. {differ[:3]}"


def test_the_vectorised_walk_answers_for_every_labelled_text(
    model: Any, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scorer = _langid.Scorer(model)
    failed: list[bytes] = []
    walk = _langid.Scorer._states

    def spy(self: _langid.Scorer, data: bytes) -> Any:
        states = walk(self, data)
        if states is None:
            failed.append(data)
        return states

    monkeypatch.setattr(_langid.Scorer, "_states", spy)
    long = [t for t in texts if len(t.encode()) >= _langid._VECTOR_MIN] + windows(texts, 100)
    assert len(long) > 1000
    for text in long:
        scorer.scores(text)
    assert not failed, f"the walk's proof failed on {len(failed)} texts: the Python walk answered"


def test_a_walk_too_shallow_fails_its_proof_and_the_python_walk_answers(
    model: Any, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scorer = _langid.Scorer(model)
    long = [t for t in texts if len(t.encode()) >= _langid._VECTOR_MIN][:400]
    monkeypatch.setattr(_langid, "_DEPTH", 2)
    proved = [scorer._states(t.encode()) is not None for t in long]
    assert not all(proved), "a two-byte walk cannot be every state: the proof must fail"
    assert all(same(model, scorer, t) for t in long)


def test_the_automaton_is_no_deeper_than_the_walk(model: Any) -> None:
    """Breadth-first from the start state: every state within `_DEPTH` bytes (else the proof
    fails where a deeper state is reached, and the walk is the slow one)."""
    scorer = _langid.Scorer(model)
    rowbase = scorer._rowbase_np
    depth = np.full(len(rowbase), -1)
    depth[0] = 0
    frontier, steps = np.array([0]), 0
    while frontier.size:
        reached = np.unique(scorer._nm_np[rowbase[frontier][:, None] + np.arange(256)])
        frontier = reached[depth[reached] < 0]
        steps += 1
        depth[frontier] = steps
    assert (depth >= 0).all()
    assert depth.max() <= _langid._DEPTH


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400) | st.text(alphabet="abcé ठक'ЖΩ你", max_size=400))
@example("")
@example("ABC DEF")  # all capitals: lowered first, as py3langid does
@example("\ud800 lone surrogate")
@example("a" * 300)
def test_any_str_scores_as_py3langid(model: Any, text: str) -> None:
    assert same(model, _langid.scorer_for(model) or pytest.fail("no scorer"), text)


def test_past_the_bound_of_kept_rows_the_scores_are_still_py3langid_s(
    model: Any, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scorer that may keep only a few float32 rows casts the others on each call: the same
    floats, whether a message's rows are all kept, none are, or some are."""
    monkeypatch.setattr(_langid, "_KEPT_ROWS", 500)
    scorer = _langid.Scorer(model)
    sample = texts[::7] + windows(texts, 30)
    differ = [t for t in sample if not same(model, scorer, t)]
    assert scorer._slots == 500, "the sample should fill the bound"
    assert not differ, f"{len(differ)} of {len(sample)} differ, e.g. {differ[:3]}"


@pytest.mark.parametrize("bound", [None, 2000], ids=["default bound", "small bound"])
def test_threads_converting_the_same_rows_agree(
    model: Any, texts: list[str], monkeypatch: pytest.MonkeyPatch, bound: int | None
) -> None:
    if bound is not None:
        monkeypatch.setattr(_langid, "_KEPT_ROWS", bound)
    scorer = _langid.Scorer(model)
    sample = windows(texts, 40) + texts[:400]
    want = [model._decide(t).tobytes() for t in sample]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: scorer.scores(t).tobytes(), sample * 4))
    assert got == want * 4
    kept = scorer._slot[scorer._slot >= 0]
    assert sorted(kept.tolist()) == list(range(scorer._slots)), "each kept row has one slot"


def test_a_model_without_the_internals_keeps_its_own_decide() -> None:
    class StandIn:
        nb_classes = ("en",)

        def rank(self, text: str) -> list[tuple[str, float]]:
            return [("en", 1.0)]

    assert _langid.Scorer.build(StandIn()) is None
    assert _langid.scorer_for(StandIn()) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab w.W:/@# ht", max_size=40))
@example("see WwW.example.com")
@example("https://x")
def test_ascii_text_without_a_link_marker_has_nothing_to_strip(text: str) -> None:
    if not language._may_link(text):
        assert language._LINKS.sub(" ", text) == text


@pytest.mark.parametrize("text", [
    "ΚΑΛΗΜΕΡΑ σας", "こんにちは、カードが届きません", "안녕하세요 카드가 안 와요",
    "שלום, הכרטיס לא הגיע", "สวัสดีครับ", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "Γεια σου Ελλάδα και Κύπρος",
])
def test_a_script_that_names_its_language_reads_as_the_model_would_have_it(
    model: Any, text: str
) -> None:
    """All letters in such a script: the identifier does not ask the model; what the model's
    probability would have made of the reading (max(p, share), clamped) is the same."""
    ident = LanguageIdentifier(SUPPORTED)
    seen = language._read_text(text)
    lang = language._LANGUAGE_OF_SCRIPT[seen.script]
    assert seen.share == 1.0
    hits = ident._hits(seen.words)
    p = ident._probabilities(seen.clean).get(lang)
    assert ident.identify(text) == ident._reading(lang, max(p, seen.share), seen, hits)


def test_readings_with_the_scorer_are_readings_with_decide(
    model: Any, texts: list[str]
) -> None:
    fast = LanguageIdentifier(SUPPORTED)
    slow = LanguageIdentifier(SUPPORTED)
    slow._scores = model._decide
    assert fast._scores != slow._scores
    sample = texts[::3] + windows(texts, 100)
    differ = [t for t in sample if fast.identify(t) != slow.identify(t)]
    assert not differ, differ[:3]


def _read_text_reference(text: str) -> tuple[str, tuple[str, ...], str, float, float]:
    """How `language._read_text` read a message with a script before issue 19 (one Python step a
    character), kept here as the reference its one-pass rewrite must match."""
    text = language._LINKS.sub(" ", unicodedata.normalize("NFKC", text[: language.MAX_CHARS]))
    if text.isascii():
        found = language._ASCII_WORDS.findall(text)
        if not found:
            return "", (), "Zyyy", 0.0, 0.0
        return " ".join(found), tuple(w.lower() for w in found), "Latn", 1.0, 0.0
    out: list[str] = []
    scripts: dict[str, int] = {}
    letters = 0
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] == "L":
            letters += 1
            script = language._script(ch)
            scripts[script] = scripts.get(script, 0) + 1
            out.append(ch)
        elif cat[0] == "M":
            out.append(ch)
        elif ch in "'’`ʼ" and out and out[-1] != " ":
            out.append("'")
        elif not out or out[-1] != " ":
            out.append(" ")
    if not letters:
        return "", (), "Zyyy", 0.0, 0.0
    if scripts.get("Jpan") and "Hani" in scripts:
        scripts["Jpan"] += scripts.pop("Hani")
    script = max(scripts, key=lambda s: (scripts[s], s == "Latn"))
    folded = (unicodedata.normalize("NFC", t.casefold()) for t in "".join(out).split())
    words = tuple(w for w in ("".join("'" if c in "'’`ʼ" else c for c in t).strip("'")
                              for t in folded) if w)
    return (" ".join("".join(out).split()), words, script, scripts[script] / letters,
            scripts.get("Deva", 0) / letters)


def _as_tuple(seen: Any) -> tuple[str, tuple[str, ...], str, float, float]:
    return seen.clean, seen.words, seen.script, seen.share, seen.devanagari


def test_reading_the_labelled_texts_matches_the_reference(texts: list[str]) -> None:
    inputs = texts + windows(texts, 200)
    differ = [t for t in inputs
              if _as_tuple(language._read_text(t)) != _read_text_reference(t)]
    assert not differ, differ[:3]


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80) | st.text(alphabet="aé 'ʼ’`ŉİΣ\u0301\u093fक你カ.@#-\t", max_size=80))
@example("'quote' l'été ’tis ʼok `x´")
@example("''a '' b'' ''")
@example("ŉ ŉo")
def test_reading_any_str_matches_the_reference(text: str) -> None:
    assert _as_tuple(language._read_text(text)) == _read_text_reference(text)
