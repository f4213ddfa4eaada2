"""``guardrail eval --init``: a starter pack that runs from any folder, the config's own
``scenarios``, and a last line that says how many runs failed even when the gates pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guardrail.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _ids(folder: Path) -> list[str]:
    return [s["id"] for path in sorted(folder.glob("*.yaml"))
            for s in yaml.safe_load(path.read_text("utf-8"))["scenarios"]]


def test_init_writes_a_starter_pack_that_runs_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--init", "starter"]) == 0
    printed = capsys.readouterr()
    config = Path("starter") / "config.yaml"
    assert printed.out.strip() == f"guardrail eval --config {config}"
    assert config.is_file()
    ids = _ids(Path("starter") / "scenarios")
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)
    assert any(i.startswith("human_request.") for i in ids)
    assert any(i.startswith("lang_es.") for i in ids)  # not English only

    assert main(["eval", "--config", str(config)]) == 0  # the shipped policy passes its gates
    out = capsys.readouterr().out
    assert f"{len(ids)} scenarios" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("gates PASSED — all ")
    assert last.endswith(" runs passed")


def test_init_never_writes_over_a_folder_with_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["eval", "--init", str(tmp_path)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    assert main(["eval", "--init", str(tmp_path / "new"), "--config", "x.yaml"]) == 2
    assert "--config cannot be used with it" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_config_names_its_scenarios_relative_to_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pack" / "config.yaml"
    config.parent.mkdir()
    config.write_text("scenarios: [nowhere]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--config", str(config)]) == 2
    assert f"{tmp_path / 'pack' / 'nowhere'}: no such file or folder" in capsys.readouterr().err
    config.write_text("scenarios: []\n", encoding="utf-8")
    assert main(["eval", "--config", str(config)]) == 2
    assert "config.yaml:scenarios" in capsys.readouterr().err


_SCENARIOS = """\
scenarios:
  - id: starter.human
    description: Asks for a person.
    expect_handoff_by: 1
    turns:
      - user: "I want to talk to a human"
        expect: {handoff: true, human_request: true}
  - id: starter.wrong_on_purpose
    description: Expects a handoff the policy rightly does not give, so this run fails.
    turns:
      - user: "how do I export my invoices"
        expect: {handoff: true}
"""


def test_the_last_line_counts_failed_runs_when_the_gates_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text(_SCENARIOS, encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(
        "scenarios: [scenarios]\nmin_scenarios_per_language: 0\ngates:\n"
        '  - {name: escape, metric: human_escape_success, op: "==", threshold: 1}\n',
        encoding="utf-8")
    assert main(["eval", "--config", str(config), "--need-model", "none", "--jobs", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "gates PASSED — 1 of 2 runs failed (failing scenarios listed above)"

    config.write_text(config.read_text("utf-8") + '  - {name: no escalation, metric: '
                      'escalation_rate, op: "<=", threshold: 0}\n', encoding="utf-8")
    assert main(["eval", "--config", str(config), "--need-model", "none", "--jobs", "1"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "gates FAILED (1 of 2) — 1 of 2 runs failed (failing scenarios listed above)"
