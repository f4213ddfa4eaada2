"""The labelled sets: one format (`LabelledCase`), one checker, and the holdout kept unseen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrail import Registry, UserError
from guardrail.evals.dataset import HOLDOUT, check_sets, labelled_files
from guardrail.labelled import LabelledCase, case_schema, read_case, read_cases
from guardrail.need.training import load_examples

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "evals" / "labelled-case.schema.json"
SETS = ["evals/dev/dev.jsonl", HOLDOUT, "evals/dev2/dev2.jsonl", "evals/dev3/dev3.jsonl",
        "evals/dev4/dev4.jsonl", "data/train/exemplars_a.jsonl", "data/train/exemplars_b.jsonl",
        "data/train/exemplars_c.jsonl"]

_LINE = {"id": "x-1", "messages": [{"role": "user", "content": "why was I charged twice"}],
         "need_state": "billing", "handoff": True,
         "meta": {"domain": "ecommerce", "style": "plain", "why": "duplicate charge"}}


def _write(path: Path, *cases: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


def test_every_labelled_set_is_valid_and_the_holdout_is_unseen(registry: Registry) -> None:
    files = labelled_files(ROOT)
    assert set(SETS) <= {p.relative_to(ROOT).as_posix() for p in files}
    result = check_sets(files, ROOT, registry)
    assert result.problems == []
    assert sum(c["lines"] for c in result.counts.values()) > 3800


def test_the_checker_catches_a_leak_into_the_holdout(tmp_path: Path, registry: Registry) -> None:
    first = (ROOT / HOLDOUT).read_text(encoding="utf-8").splitlines()[0]
    leak = tmp_path / HOLDOUT
    leak.parent.mkdir(parents=True)
    leak.write_text(first + "\n", encoding="utf-8")
    # The copy differs only in id, case and spacing: still the same text.
    copy = json.loads(first)
    copy["id"] = "copy-1"
    copy["messages"][-1]["content"] = "  " + copy["messages"][-1]["content"].upper()
    other = _write(tmp_path / "data" / "train" / "copy.jsonl", copy)
    result = check_sets([leak, other], tmp_path, registry)
    assert any("leak into the holdout" in p for p in result.problems), result


def test_a_language_holdout_is_kept_unseen_too(tmp_path: Path, registry: Registry) -> None:
    spanish = {**_LINE, "messages": [{"role": "user", "content": "Me cobraron dos veces"}]}
    held = _write(tmp_path / "evals" / "lang" / "holdout_es.jsonl", spanish)
    # Accents and case differ: still the same text once folded.
    copy = {**spanish, "id": "x-2",
            "messages": [{"role": "user", "content": "ME COBRÁRON dos veces"}]}
    trained = _write(tmp_path / "data" / "train" / "lang_es.jsonl", copy)
    result = check_sets([held, trained], tmp_path, registry)
    assert result.problems == [
        "data/train/lang_es.jsonl:1: leak into the holdout: same text as "
        "evals/lang/holdout_es.jsonl:1"
    ]


def test_a_text_shared_by_two_tuning_sets_is_only_a_warning(
    tmp_path: Path, registry: Registry
) -> None:
    one = _write(tmp_path / "evals" / "a" / "a.jsonl", _LINE)
    two = _write(tmp_path / "evals" / "b" / "b.jsonl", {**_LINE, "id": "x-2"})
    result = check_sets([one, two], tmp_path, registry)
    assert result.problems == []
    assert result.warnings == ["evals/b/b.jsonl:1: same text as evals/a/a.jsonl:1"]


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ({**_LINE, "need_state": "refunds"}, "'refunds' is not in the registry"),
        ({**_LINE, "meta": {"domain": "e-commerce"}}, "meta.domain"),
        ({**_LINE, "expected_handoff": True}, "expected_handoff"),
        ({**_LINE, "handoff": "yes"}, "handoff"),
        ({key: v for key, v in _LINE.items() if key != "id"}, "id"),
        ({**_LINE, "messages": [{"role": "user", "content": "hi"},
                                {"role": "assistant", "content": "hello"}]}, "alternate"),
        ({**_LINE, "messages": [{"role": "user", "content": "hi"},
                                {"role": "user", "content": "hello"}]}, "alternate"),
    ],
    ids=["unknown-need", "second-spelling", "old-label-key", "handoff-not-bool", "no-id",
         "ends-with-assistant", "two-user-turns"],
)
def test_the_checker_rejects_a_bad_line(
    tmp_path: Path, registry: Registry, case: dict[str, object], problem: str
) -> None:
    path = _write(tmp_path / "evals" / "a" / "a.jsonl", case)
    result = check_sets([path], tmp_path, registry)
    assert len(result.problems) == 1
    assert problem in result.problems[0]
    assert result.problems[0].startswith("evals/a/a.jsonl")


def test_the_checker_rejects_an_id_used_in_two_sets(tmp_path: Path, registry: Registry) -> None:
    one = _write(tmp_path / "evals" / "a" / "a.jsonl", _LINE)
    other = {**_LINE, "messages": [{"role": "user", "content": "a different text"}]}
    two = _write(tmp_path / "data" / "train" / "b.jsonl", other)
    result = check_sets([one, two], tmp_path, registry)
    assert result.problems == ["data/train/b.jsonl:1: id 'x-1' also in evals/a/a.jsonl:1"]


def test_the_schema_file_is_the_models_schema() -> None:
    """After a change to `LabelledCase`, regenerate the file (the command is in evals/README.md)."""
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == case_schema()


def test_a_case_forbids_unknown_keys_and_spellings() -> None:
    assert read_case(json.dumps(_LINE), 1, legacy=False) == LabelledCase.model_validate(_LINE)
    with pytest.raises(UserError, match=r"line 3: .*note"):
        read_case(json.dumps({**_LINE, "note": "x"}), 3)
    with pytest.raises(UserError, match=r"line 1: .*meta\.domain"):
        read_case(json.dumps({**_LINE, "meta": {"domain": "E-Commerce"}}), 1)


def test_the_older_batch_format_reads_as_the_same_case() -> None:
    """Banking77 and earlier files carry `expected_*` labels; they read as the same case."""
    legacy = {"id": 7, "messages": _LINE["messages"], "source_label": "card_payment",
              "expected_need_state": "billing", "expected_handoff": None,
              "meta": {"domain": "e-commerce"}}
    case = read_case(json.dumps(legacy), 1)
    assert case == LabelledCase(id="7", messages=case.messages, need_state="billing")
    with pytest.raises(UserError, match="expected_need_state"):
        read_case(json.dumps(legacy), 1, legacy=False)


def test_training_reads_both_formats_the_same(tmp_path: Path, registry: Registry) -> None:
    cases = list(read_cases(ROOT / "evals" / "dev" / "dev.jsonl", legacy=False))[:40]
    new = _write(tmp_path / "new.jsonl", *(c.model_dump(exclude_none=True) for c in cases))
    old = _write(tmp_path / "old.jsonl", *(
        {"id": c.id, "messages": [m.model_dump() for m in c.messages],
         "expected_need_state": c.need_state, "expected_handoff": c.handoff}
        for c in cases
    ))
    classes = registry.settings.need_states
    read_new = [(e.id, e.text, e.need_state, e.handoff) for e in load_examples([new], classes)]
    read_old = [(e.id, e.text, e.need_state, e.handoff) for e in load_examples([old], classes)]
    assert read_new == read_old
    assert len(read_new) == 40


def test_evals_holds_only_what_measures() -> None:
    """No Python data, build scripts or training data in the evaluation sets' folders."""
    folders = [p for p in (ROOT / "evals").iterdir() if p.is_dir() and p.name.startswith("dev")]
    assert {p.name for p in folders} == {"dev", "dev2", "dev3", "dev4"}
    for folder in folders:
        assert {p.suffix for p in folder.rglob("*") if p.is_file()} <= {".jsonl", ".md"}
    assert not (ROOT / "evals" / "train").exists()


def test_the_shipped_model_never_trained_on_the_holdout() -> None:
    meta = json.loads(
        (ROOT / "guardrail" / "_data" / "models" / "need_default" / "meta.json").read_text()
    )
    recorded = meta["data"]
    assert HOLDOUT not in recorded
    for entry in recorded:
        name = entry.removesuffix(" (tune part)")
        assert not name.startswith("evals/lang/"), entry
        if not name.startswith("../"):  # third-party data sits beside the checkout
            assert (ROOT / name).is_file(), name
