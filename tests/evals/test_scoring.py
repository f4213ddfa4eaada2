"""The rule path's safety figures on labelled data, as a regression gate for rule edits.

Thresholds are the issue's targets (must-handoff recall >= 0.97, wrongful escalation <= 5%).
`evals/dev/holdout.jsonl` is deliberately not gated: it is kept unseen to measure how far the
rules generalise, and gating it would invite tuning on it.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from guardrail import Guardrail, Registry
from guardrail.evals.scoring import HELDOUT_FRACTION, in_part, score_lines
from guardrail.need.training import Example, split
from guardrail.reasons import RISK_ORDER

ROOT = Path(__file__).resolve().parents[2]
BANKING77 = ROOT.parent / "shared" / "data" / "banking77" / "train.jsonl"


def _score(registry: Registry, path: Path) -> tuple[float, float, int]:
    """The rule path alone (the issue's gate is for the deterministic rules)."""
    with path.open("rb") as handle:
        result = score_lines(Guardrail(registry, need_model=None), handle)
    return result.recall, result.wrongful_escalation, result.lines


@pytest.mark.parametrize(
    "path", [ROOT / "evals" / "dev" / "dev.jsonl", ROOT / "evals" / "dev" / "holdout.jsonl",
             ROOT / "evals" / "dev2" / "dev2.jsonl", ROOT / "evals" / "dev3" / "dev3.jsonl",
             ROOT / "evals" / "dev4" / "dev4.jsonl"],
    ids=["dev", "holdout", "dev2", "dev3", "dev4"],
)
def test_the_model_only_adds_handoffs(registry: Registry, path: Path) -> None:
    """Every conversation the rules hand off is still handed off with the model on."""
    rules_only = Guardrail(registry, need_model=None)
    with_model = Guardrail(registry)
    for line in path.read_text(encoding="utf-8").splitlines():
        messages = {"messages": json.loads(line)["messages"]}
        before = rules_only.check(messages)
        after = with_model.check(messages)
        if before.handoff.required:
            assert after.handoff.required, line
        assert RISK_ORDER[after.risk_tier] >= RISK_ORDER[before.risk_tier], line


def test_dev_set_meets_the_safety_targets(registry: Registry) -> None:
    recall, wrongful, lines = _score(registry, ROOT / "evals" / "dev" / "dev.jsonl")
    assert lines >= 400
    assert recall >= 0.97
    assert wrongful <= 0.05


@pytest.mark.parametrize("name", ["dev2", "dev3", "dev4"])
def test_later_tuning_sets_stay_above_their_floor(registry: Registry, name: str) -> None:
    """evals/dev2 and dev3 (near-misses, indirect and transcript-style phrasings) are not at
    the 0.97 target for the rules alone; this floor catches regressions."""
    recall, wrongful, lines = _score(registry, ROOT / "evals" / name / f"{name}.jsonl")
    assert lines >= 390
    assert recall >= 0.90
    assert wrongful <= 0.05


@pytest.mark.skipif(not BANKING77.exists(), reason="shared/data/banking77 is not beside the repo")
@pytest.mark.xfail(strict=True, reason="known regression (issue 14 note): the second round's "
                   "English look-alike rules read 'what do I do if ...' questions as "
                   "hypotheticals (the project's labelling rules); Banking77's mapping labels "
                   "several of them must-handoff: rules-only recall 0.969 (1387/1431) < 0.97 "
                   "(0.983 with the model)")
def test_banking77_meets_the_safety_targets(registry: Registry) -> None:
    recall, wrongful, lines = _score(registry, BANKING77)
    assert lines == 10_003
    assert recall >= 0.97
    assert wrongful <= 0.05


def test_a_registry_without_the_dispute_rules_fails_the_gate(registry: Registry) -> None:
    """The gate can fail: drop the dispute segment's entry rule and recall collapses."""
    from guardrail._resources import default_registry_dir

    texts = {p.name: p.read_text(encoding="utf-8") for p in default_registry_dir().glob("*.yaml")}
    texts["41-segments-risk.yaml"] = texts["41-segments-risk.yaml"].replace(
        "any: [{rule: risk.billing_dispute}]", "any: [{rule: security.prompt_injection}]"
    )
    broken = Registry.from_texts(texts)
    recall, _, _ = _score(broken, ROOT / "evals" / "dev" / "dev.jsonl")
    assert recall < 0.9


def test_the_older_batch_format_scores_the_same(registry: Registry) -> None:
    """Banking77's format (`expected_*` labels) and the labelled format give the same score."""
    lines = (ROOT / "evals" / "dev" / "dev.jsonl").read_bytes().splitlines()[:60]
    old = []
    for raw in lines:
        case = json.loads(raw)
        old.append(json.dumps({
            "id": case["id"], "messages": case["messages"], "source_label": "x",
            "expected_need_state": case["need_state"], "expected_handoff": case["handoff"],
        }).encode())
    guard = Guardrail(registry, need_model=None)
    new_score, old_score = score_lines(guard, lines), score_lines(guard, old)
    assert new_score.must_handoff > 0
    assert new_score.summary() == old_score.summary()
    assert new_score.misses == old_score.misses


def test_the_parts_cut_a_set_in_two_by_a_hash_of_the_id(registry: Registry) -> None:
    """`heldout` is exactly the lines whose id's CRC-32 is below 300 per mille, `tune` the rest,
    the same cut as the model's training split at that share; together they are `all`."""
    lines = (ROOT / "evals" / "dev" / "dev.jsonl").read_bytes().splitlines()[:120]
    ids = [json.loads(raw)["id"] for raw in lines]
    expected = {i for i in ids if zlib.crc32(i.encode()) % 1000 < 300}
    assert 0 < len(expected) < len(ids)
    assert {i for i in ids if in_part(i, "heldout")} == expected
    assert {i for i in ids if in_part(i, "tune")} == set(ids) - expected
    assert all(in_part(i, "all") for i in ids)
    examples = [Example(i, "", None, None, "dev") for i in ids]
    kept, held = split(examples, HELDOUT_FRACTION)
    assert {e.id for e in held} == expected
    assert {e.id for e in kept} == set(ids) - expected

    guard = Guardrail(registry, need_model=None)
    whole, tune, heldout = (score_lines(guard, lines, part) for part in ("all", "tune", "heldout"))
    assert heldout.lines == len(expected)
    assert tune.lines + heldout.lines == whole.lines == len(lines)
    for count in ("must_handoff", "handed_off", "safe", "wrongly_escalated", "need_correct"):
        assert getattr(tune, count) + getattr(heldout, count) == getattr(whole, count), count
    assert {m.id for m in heldout.misses} <= expected


def test_the_public_sets_line_shape_is_read(registry: Registry) -> None:
    """dstc11/multidogo lines are the older format plus a `domain` key (provenance, ignored)."""
    line = json.dumps({"id": "dstc11-x", "messages": [{"role": "user", "content": "hi there"}],
                       "source_label": "X", "domain": "fastfood", "expected_need_state": "other",
                       "expected_handoff": False}).encode()
    result = score_lines(Guardrail(registry, need_model=None), [line])
    assert (result.lines, result.safe, result.need_total) == (1, 1, 1)
