"""The labelled sets in evals/ are valid, and nothing in them leaks into the holdout."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _checker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "check_sets", ROOT / "evals" / "tools" / "check_sets.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_labelled_set_is_valid_and_the_holdout_is_unseen() -> None:
    checker = _checker()
    files = checker.labelled_files()
    names = {str(p.relative_to(ROOT / "evals")) for p in files}
    assert {"dev/dev.jsonl", "dev/holdout.jsonl", "dev2/dev2.jsonl", "dev3/dev3.jsonl",
            "dev4/dev4.jsonl"} <= names
    problems, _warnings, counts = checker.check(files)
    assert problems == []
    assert sum(c["lines"] for c in counts.values()) > 3800


def test_the_checker_catches_a_leak(tmp_path: Path) -> None:
    checker = _checker()
    holdout = ROOT / "evals" / "dev" / "holdout.jsonl"
    first = holdout.read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "dev").mkdir()
    leak = tmp_path / "dev" / "holdout.jsonl"
    leak.write_text(first + "\n", encoding="utf-8")
    copy = tmp_path / "copy.jsonl"
    copy.write_text(first.replace('"id": "hold-', '"id": "copy-') + "\n", encoding="utf-8")
    checker.EVALS = tmp_path
    problems, _, _ = checker.check([leak, copy])
    assert any("leak into the holdout" in p for p in problems)
