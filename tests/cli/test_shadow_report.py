"""``guardrail shadow-report``: the shadow records of audit files, grouped, as text and JSON.

The audit files are written by a real engine running a candidate overlay of the shipped
registry beside it; the expected counts are computed here from the records themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrail import Guardrail, Registry
from guardrail.audit import ShadowRecord, read_audit
from guardrail.cli import main
from tests.governance.test_shadow import ADDED, CANDIDATE

MESSAGES = [
    "how do i set up voicemail",
    "How do I export my data to CSV?",
    "I was charged twice this month",
    "hello there",
]


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two audit files, each from its own engine, over different conversations."""
    folder = tmp_path_factory.mktemp("shadow-report")
    (folder / "candidate").mkdir()
    (folder / "candidate" / "00-overlay.yaml").write_text(CANDIDATE, "utf-8")
    registry = Registry.default()
    paths = []
    for part in range(2):
        path = folder / f"audit-{part}.jsonl"
        guard = Guardrail(registry, need_model=None, shadow=folder / "candidate",
                          shadow_audit=path)
        for i in range(12):
            text = MESSAGES[i % len(MESSAGES)]
            guard.check({"id": f"p{part}-c{i}", "messages": [{"role": "user", "content": text}]})
        paths.append(path)
    return paths


def shadow_records(paths: list[Path]) -> list[ShadowRecord]:
    return [r for p in paths for r in read_audit(p) if isinstance(r, ShadowRecord)]


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["shadow-report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_counts_every_group_of_every_file(
    audits: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = report(capsys, "--audit", str(audits[0]), "--audit", str(audits[1]),
                            "--format", "json", "--examples", "2")
    assert (code, err) == (0, "")
    data = json.loads(out)
    records = shadow_records(audits)
    assert records  # the candidate differs on the how-to conversations
    assert data["turns"] == len(records)
    assert data["conversations"] == len({r.conversation_id for r in records})
    for kind in {k for r in records for k in r.differences}:
        own = [r for r in records if kind in r.differences]
        assert data["by_difference"][kind]["turns"] == len(own)
        assert len(data["by_difference"][kind]["examples"]) == min(2, len(own))
    for need in {r.live.need_state for r in records}:
        assert data["by_need"][need]["turns"] == sum(r.live.need_state == need for r in records)
    assert data["segments_added"][ADDED]["turns"] == sum(ADDED in r.shadow.segments
                                                         for r in records)
    assert data["shadow_hands_off"]["turns"] == sum(r.shadow.handoff and not r.live.handoff
                                                    for r in records)
    both = data["conversations"]
    code, out, _ = report(capsys, "--audit", str(audits[0]), "--format", "json")
    assert json.loads(out)["conversations"] == len(
        {r.conversation_id for r in shadow_records(audits[:1])}) < both


def test_text_names_each_group_with_examples(
    audits: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = report(capsys, "--audit", str(audits[0]), "--examples", "1")
    assert (code, err) == (0, "")
    records = shadow_records(audits[:1])
    assert out.startswith(f"Shadow policy differences: {len(records)} turn(s)")
    for heading in ("By difference:", "By live segment:", "By live need-state:",
                    "Shadow would hand off, live did not:", "Live handed off, shadow would not:"):
        assert heading in out
    for segment in {s for r in records for s in r.live.segments}:
        line = next(line for line in out.splitlines() if line.strip().startswith(segment + " "))
        assert line.count("#") == 1  # one example, conversation#turn
    assert f"{records[0].live.policy_version} -> {records[0].shadow.policy_version}" in out


def test_unreadable_lines_are_reported_and_skipped(
    audits: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torn = tmp_path / "torn.jsonl"
    torn.write_bytes(audits[0].read_bytes() + b'{"v": 1, "type": "shadow", "conv')
    code, out, err = report(capsys, "--audit", str(torn), "--format", "json")
    assert code == 0
    assert f"{torn}: line" in err
    assert "(skipped)" in err
    assert json.loads(out)["turns"] == len(shadow_records(audits[:1]))


def test_no_shadow_records_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    assert report(capsys, "--audit", str(empty))[:2] == (0, "No shadow differences recorded.\n")
    code, _, err = report(capsys, "--audit", str(tmp_path / "missing.jsonl"))
    assert code == 2
    assert "does not exist" in err
    code, _, err = report(capsys, "--audit", str(empty), "--examples", "-1")
    assert code == 2
    assert "--examples" in err
