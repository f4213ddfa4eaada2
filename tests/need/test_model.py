"""The learned need-state model: training, loading, calibration, and what it may not do."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail import Guardrail, Registry, UserError
from guardrail._resources import default_need_model_dir
from guardrail.cli import main
from guardrail.need.model import NeedModel, NeedPrediction
from guardrail.need.training import evaluate, load_examples, split
from guardrail.testing import FailingClassifier, ScriptedClassifier

ROOT = Path(__file__).resolve().parents[2]
BANKING77 = ROOT.parent / "shared" / "data" / "banking77" / "train.jsonl"
SOURCES = [
    BANKING77,
    ROOT / "evals" / "dev" / "dev.jsonl",
    ROOT / "evals" / "dev2" / "dev2.jsonl",
    *sorted((ROOT / "data" / "train").glob("exemplars_*.jsonl")),
]

TINY = [
    ("how do I export my invoices", "how_to"), ("where is the dark mode setting", "how_to"),
    ("can I add a second user", "how_to"), ("how to change the language", "how_to"),
    ("I forgot my password", "access_restore"), ("the login code never arrives", "access_restore"),
    ("reset link expired again", "access_restore"), ("cant sign in with sso", "access_restore"),
    ("why was I charged 20 dollars", "billing"), ("send me last month's invoice", "billing"),
    ("the VAT on my bill is wrong", "billing"), ("update my payment card", "billing"),
    ("thanks a lot", "other"), ("hello there", "other"), ("tell me a joke", "other"),
    ("are you a bot", "other"),
]


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    lines = [
        json.dumps({"id": f"t{i}", "messages": [{"role": "user", "content": text}],
                    "need_state": need})
        for i, (text, need) in enumerate(TINY * 3)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_train_cli_writes_a_model_that_guardrail_uses(
    tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model"
    assert main(["train", "--data", str(tiny_data), "--output", str(out), "--epochs", "80"]) == 0
    report = capsys.readouterr().out
    assert "macro-F1" in report
    assert "confusion" in report
    assert {p.name for p in out.iterdir()} == {"meta.json", "model.npz", "report.txt"}
    model = NeedModel.load(out)
    registry = Registry.default()
    assert model.predict("how do I export invoices to csv", registry.normaliser).need_state == (
        "how_to"
    )
    guard = Guardrail(registry, need_model=out)
    decision = guard.check({"messages": [{"role": "user", "content": "I forgot my password"}]})
    assert decision.need_state == "access_restore"
    # the same folder through the batch CLI
    batch = tmp_path / "in.jsonl"
    batch.write_text(json.dumps({"id": "x", "messages": [
        {"role": "user", "content": "where is the dark mode setting"}]}) + "\n")
    result = tmp_path / "out.jsonl"
    assert main(["classify", "-i", str(batch), "-o", str(result), "--need-model", str(out)]) == 0
    assert json.loads(result.read_text())["need_state"] == "how_to"


def test_predictions_are_probabilities(registry: Registry) -> None:
    model = NeedModel.default()
    prediction = model.predict("my invoice shows the wrong VAT number", registry.normaliser)
    assert set(prediction.probabilities) == set(registry.settings.need_states)
    assert abs(sum(prediction.probabilities.values()) - 1.0) < 1e-5
    assert all(0.0 <= p <= 1.0 for p in prediction.probabilities.values())
    assert prediction.handoff is not None
    assert 0.0 <= prediction.handoff <= 1.0


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("app keeps saying my code is wrong", "access_restore"),
        ("there's a payment on my statement I never made", "billing"),
        ("the dashboard throws a 502 every time I open it", "incident"),
        ("do you have a signed DPA and a list of sub-processors?", "policy_compliance"),
        ("please downgrade us to the basic plan from next month", "account_change"),
        pytest.param(
            "how can I schedule a report to run every Monday", "how_to",
            marks=pytest.mark.xfail(strict=True, reason="known regression (issue 14 note): the "
                                    "retrained multilingual model reads it otherwise"),
        ),
        ("haha cheers mate, have a good one", "other"),
    ],
)
def test_the_shipped_model_reads_need_states_beyond_keywords(
    registry: Registry, text: str, need: str
) -> None:
    assert NeedModel.default().predict(text, registry.normaliser).need_state == need


@pytest.mark.parametrize(
    "break_it",
    ["missing", "not_json", "wrong_format", "pickled", "short_weights"],
)
def test_a_broken_model_folder_is_a_clear_error(tmp_path: Path, break_it: str) -> None:
    folder = tmp_path / "m"
    NeedModel.default().save(folder)
    meta = json.loads((folder / "meta.json").read_text())
    if break_it == "missing":
        (folder / "model.npz").unlink()
    elif break_it == "not_json":
        (folder / "meta.json").write_text("{not json")
    elif break_it == "wrong_format":
        (folder / "meta.json").write_text(json.dumps({**meta, "format": 99}))
    elif break_it == "pickled":
        np.savez(folder / "model.npz", rows=np.array([{"evil": 1}], dtype=object))
    else:
        with np.load(folder / "model.npz") as data:
            arrays = {k: data[k] for k in data.files}
        arrays["weights"] = arrays["weights"][:-1]
        np.savez(folder / "model.npz", **arrays)
    with pytest.raises(UserError):
        NeedModel.load(folder)


def test_the_shipped_model_contains_no_pickle() -> None:
    with zipfile.ZipFile(default_need_model_dir() / "model.npz") as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                header = member.read(128)
            assert b"'descr': '|O'" not in header, name


def test_a_failing_model_fails_closed(registry: Registry) -> None:
    guard = Guardrail(registry, need_model=FailingClassifier(RuntimeError("model exploded")))
    decision = guard.check({"messages": [{"role": "user", "content": "how do I export"}]})
    assert decision.failsafe
    assert "failsafe.need_model_error" in {r.code for r in decision.reason_codes}
    assert not {"issue_refund", "apply_credit"} & set(decision.allowed_tools)


def test_the_model_cannot_lower_a_rule_risk(registry: Registry) -> None:
    calm = NeedPrediction({"other": 0.99, "billing": 0.01}, handoff=0.0)
    guard = Guardrail(registry, need_model=ScriptedClassifier(calm))
    decision = guard.check({"messages": [{"role": "user", "content": "I was charged twice"}]})
    assert decision.handoff.required
    assert decision.risk_tier == "high"
    assert "billing_dispute" in decision.segment_ids()
    assert decision.need_state == "billing"  # a risk rule's need wins over the model's


def test_the_model_may_raise_risk_with_its_confidence_in_the_reason(registry: Registry) -> None:
    worried = NeedPrediction({"billing": 0.9, "other": 0.1}, handoff=0.97)
    guard = Guardrail(registry, need_model=ScriptedClassifier(worried))
    decision = guard.check({"messages": [{"role": "user", "content": "hmm about that thing"}]})
    assert decision.handoff.required
    assert "model_risk" in decision.segment_ids()
    reason = next(r for r in decision.reason_codes if r.code == "model.risk_suspected")
    assert "0.97" in reason.explanation
    assert decision.risk_tier == "high"


def test_low_confidence_asks_instead_of_guessing(registry: Registry) -> None:
    unsure = NeedPrediction({"billing": 0.35, "how_to": 0.33, "other": 0.32}, handoff=0.1)
    guard = Guardrail(registry, need_model=ScriptedClassifier(unsure))
    decision = guard.check({"messages": [{"role": "user", "content": "about my thing"}]})
    assert "clarify" in decision.directives
    assert "need_unclear" in decision.segment_ids()
    assert "signal.need_confidence" in {r.code for r in decision.reason_codes}
    assert not decision.handoff.required


def test_rules_only_is_available(registry: Registry) -> None:
    guard = Guardrail(registry, need_model=None)
    decision = guard.check({"messages": [{"role": "user", "content": "thanks!"}]})
    assert decision.need_state == "other"


@pytest.mark.xfail(strict=True, reason="known regression (issue 14 note): the retrained model's "
                   "recorded split (its new recipe, tools/train_need_model.py) is not SOURCES, its "
                   "macro-F1 is 0.881 < 0.90, and rules changed after it was trained")
@pytest.mark.skipif(not BANKING77.exists(), reason="shared/data/banking77 is not beside the repo")
def test_the_shipped_held_out_figures_reproduce(registry: Registry) -> None:
    """The figures in the shipped model's meta.json come from lines it never trained on."""
    model = NeedModel.default()
    examples = load_examples(SOURCES, registry.settings.need_states)
    kept, held = split(examples, 0.2)
    assert not {e.id for e in kept} & {e.id for e in held}
    report = evaluate(model, held, registry)
    recorded = model.meta["held_out"]
    assert isinstance(recorded, dict)
    assert report.held_out_size == recorded["lines"]
    assert abs(report.macro_f1 - recorded["macro_f1"]) < 1e-9
    assert report.macro_f1 >= 0.90


def _reference_scores(model: NeedModel, words: list[str], codes: list[str]) -> np.ndarray:
    """Logits and handoff score the slow way: every feature built, then the unknown ones
    dropped (what training sees, `featurize`)."""
    from guardrail.need.features import featurize

    indices, values = featurize(words, model.config, codes)
    rows = model._rows
    positions = np.minimum(np.searchsorted(rows, indices), len(rows) - 1)
    known = rows[positions] == indices
    positions, values = positions[known], values[known]
    logits = values @ model._weights[positions] + model._bias
    assert model._handoff_weights is not None
    handoff = float(values @ model._handoff_weights[positions]) + model._handoff_bias
    return np.append(logits, handoff)


def _fast_scores(model: NeedModel, words: list[str], codes: list[str]) -> np.ndarray:
    positions, values = model._known.vector(words, codes)
    logits = values @ model._weights[positions] + model._bias
    assert model._handoff_weights is not None
    handoff = float(values @ model._handoff_weights[positions]) + model._handoff_bias
    return np.append(logits, handoff)


_VOCAB = ["i", "was", "charged", "twice", "refund", "my", "password", "reset", "locked", "out",
          "cancel", "account", "please", "human", "invoice", ".", "the", "zzqx", "r3fund", ""]


@given(
    words=st.lists(st.sampled_from(_VOCAB), max_size=500),
    codes=st.lists(st.sampled_from(["risk.billing_dispute", "need.billing", "nope.code"]),
                   max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_prediction_features_equal_the_training_features(
    words: list[str], codes: list[str]
) -> None:
    """The prediction path (known buckets only, memoised) gives the numbers training's
    `featurize` gives: repeats, the 400-word cut, clause breaks, rule codes and the empty case."""
    model = NeedModel.default()
    np.testing.assert_allclose(
        _fast_scores(model, words, codes), _reference_scores(model, words, codes),
        # the reference's float32 values: a logit near 0 from ~20 terms of size ~1 is off by
        # ~1e-6 (words=[charged, account, charged, was, my, out, was, human, charged, the,
        # charged, was, i, account, password, out], codes=3 x risk.billing_dispute: 1.1e-6)
        rtol=1e-5, atol=1e-5,
    )


def test_prediction_features_equal_training_features_on_real_messages(
    registry: Registry,
) -> None:
    model = NeedModel.default()
    lines = (ROOT / "evals" / "dev2" / "dev2.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [m["content"] for line in lines for m in json.loads(line)["messages"]]
    assert len(texts) > 300
    for text in texts:
        words = list(registry.normaliser.canonical(text).words)
        for codes in ([], ["risk.billing_dispute"]):
            np.testing.assert_allclose(
                _fast_scores(model, words, codes), _reference_scores(model, words, codes),
                # float32 sums of ~100 terms of size ~1 in another order differ by ~1e-6
                rtol=1e-5, atol=1e-5, err_msg=text,
            )


def test_language_balance_lifts_the_languages_with_fewer_lines(tmp_path: Path) -> None:
    from guardrail.need.training import _by_language

    path = tmp_path / "mixed.jsonl"
    rows = [("en", f"english line {i}") for i in range(8)] + [("es", "hola"), ("es", "adios")]
    rows.append((None, "a line without a language"))
    path.write_text("".join(
        json.dumps({"id": f"m{i}", "messages": [{"role": "user", "content": text}],
                    "need_state": "other", **({"meta": {"lang": lang}} if lang else {})}) + "\n"
        for i, (lang, text) in enumerate(rows)), encoding="utf-8")
    examples = load_examples([path], ["other", "how_to"])
    assert [e.lang for e in examples] == ["en"] * 8 + ["es", "es", "en"]
    assert _by_language(examples, 0.0).tolist() == [1.0] * 11
    even = _by_language(examples, 1.0)
    english = sum(w for w, e in zip(even, examples, strict=True) if e.lang == "en")
    spanish = sum(w for w, e in zip(even, examples, strict=True) if e.lang == "es")
    assert english == pytest.approx(spanish)  # 9 English lines weigh as much as 2 Spanish
    half = _by_language(examples, 0.5)
    assert half[8] == pytest.approx((9 / 2) ** 0.5)
