"""The `guardrail` command, run through `main()` as a user would (real files, real stdout)."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from guardrail.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_classify_writes_one_line_per_input_in_order(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code = main(["classify", "--input", str(ROOT / "evals" / "examples.jsonl"), "--output",
                 str(out)])
    inputs = [json.loads(x) for x in (ROOT / "evals" / "examples.jsonl").read_text().splitlines()]
    rows = _lines(out)
    assert code == 0
    assert [r["id"] for r in rows] == [i["id"] for i in inputs]
    expected_keys = {
        "id", "need_state", "need_confidence", "risk_tier", "segments", "friction", "handoff",
        "allowed_tools", "confirm_tools", "retrieval_scope", "directives", "reason_codes",
        "policy_version",
    }
    for row in rows:
        assert set(row) == expected_keys
        assert row["need_state"] in {"access_restore", "billing", "incident", "how_to",
                                     "policy_compliance", "account_change", "other"}
        assert row["risk_tier"] in {"low", "medium", "high", "critical"}
        assert all("#" in code for code in row["reason_codes"])  # type: ignore[union-attr]
    by_id = {r["id"]: r for r in rows}
    assert by_id["ex-03"]["handoff"] is True
    assert "issue_refund" not in by_id["ex-03"]["allowed_tools"]  # type: ignore[operator]
    assert by_id["ex-01"]["handoff"] is False


def test_bad_lines_become_error_lines_and_the_rest_is_processed(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    good = {"id": "ok", "messages": [{"role": "user", "content": "hello"}]}
    source.write_bytes(
        b'{"id": "empty", "messages": []}\n'
        b"not json\n"
        b'{"id": "typo", "messages": [{"role": "user", "content": "hi"}], "contxt": {}}\n'
        b"\xff\xfe\x00junk\n"
        b"[1, 2]\n"
        + json.dumps(good).encode() + b"\n"
        + b'{"id": "deep", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    )
    out = tmp_path / "out.jsonl"
    code = main(["classify", "--input", str(source), "--output", str(out)])
    rows = _lines(out)
    assert code == 1
    assert len(rows) == 7
    errors = [r for r in rows if "error" in r]
    assert len(errors) == 6
    assert rows[0] == {"id": "empty", "error": rows[0]["error"]}
    assert "line 1" in str(rows[0]["error"])
    assert "line 2" in str(rows[1]["error"])
    assert "JSON" in str(rows[1]["error"])
    assert "contxt" in str(rows[2]["error"])
    assert "UTF-8" in str(rows[3]["error"])
    assert "object" in str(rows[4]["error"])
    assert rows[5]["id"] == "ok"
    assert "error" not in rows[5]
    assert "line 7" in str(rows[6]["error"])


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (b'{"id": "a\\ud800b", "messages": [{"role": "user", "content": "hi"}]}', "surrogate"),
        (b'{"id": "big", "messages": [{"role": "user", "content": "hi"}], '
         b'"signals": {"failed_attempts": ' + b"1" * 4400 + b"}}", "JSON"),
        (b'{"id": "s", "messages": [{"role": "user", "content": "refund \\udc00 please"}]}', ""),
    ],
    ids=["lone-surrogate-id", "4400-digit-integer", "lone-surrogate-content"],
)
def test_class10_no_line_ends_the_batch(tmp_path: Path, bad: bytes, says: str) -> None:
    """A line the run cannot classify is an error line (or, when only its text is odd, a
    decision written with escapes); the lines after it are still classified."""
    source = tmp_path / "in.jsonl"
    after = {"id": "after", "messages": [{"role": "user", "content": "I want a human"}]}
    source.write_bytes(bad + b"\n" + json.dumps(after).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    main(["classify", "--input", str(source), "--output", str(out)])
    rows = _lines(out)
    assert len(rows) == 2
    if says:
        assert says in str(rows[0]["error"])
    else:
        assert "error" not in rows[0] or "line 1" in str(rows[0]["error"])
    assert rows[1]["id"] == "after"
    assert rows[1]["handoff"] is True


def test_classify_reads_stdin_and_writes_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = json.dumps({"id": "s1", "messages": [{"role": "user", "content": "human please"}]})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload.encode() + b"\n")))
    assert main(["classify", "--input", "-", "--output", "-"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == "s1"
    assert row["handoff"] is True
    assert "human_requested" in row["segments"]


def test_explain_prints_a_readable_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "there's a payment on my statement I never made",
                 "--context", '{"plan": "free"}'])
    out = capsys.readouterr().out
    assert code == 0
    assert "billing_dispute" in out
    assert "REQUIRED" in out
    assert "issue_refund" in out


def test_explain_json_round_trips_as_a_decision(capsys: pytest.CaptureFixture[str]) -> None:
    from guardrail import Decision

    assert main(["explain", "my account is locked", "--json"]) == 0
    decision = Decision.model_validate_json(capsys.readouterr().out)
    assert "lockout" in decision.segment_ids()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--context", "{not json", "not valid JSON"), ("--signals", "[1]", "JSON object"),
     ("--signals", '{"failed_guided_attempts": -1}', "failed_guided_attempts")],
)
def test_explain_rejects_bad_json_flags_with_a_clear_error(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "hello", flag, value]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_validate_the_shipped_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "version sha256:" in capsys.readouterr().out


def test_validate_lists_every_problem_of_a_broken_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for source in (ROOT / "segments").glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    risk = tmp_path / "41-segments-risk.yaml"
    text = risk.read_text(encoding="utf-8")
    text = text.replace("denied: [issue_refund, apply_credit, change_plan, cancel_subscription]",
                        "denied: [issue_refund, refund_everything]", 1)
    text = text.replace("any: [{rule: risk.lockout}]", "any: [{rule: risk.no_such_rule}]", 1)
    risk.write_text(text, encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    where = "41-segments-risk.yaml:segments[3].tools.denied[1]"
    assert f"{where}: unknown tool 'refund_everything'" in err
    assert "41-segments-risk.yaml:segments[4].entry.any[0].rule" in err
    assert "2 problem(s)" in err


def test_schema_writes_json_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert "segments" in schema["properties"]
    assert "SegmentSpec" in schema["$defs"]


def test_score_reports_the_headline_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "labelled.jsonl"
    rows = [
        ("I was charged twice this month", True, "billing"),
        ("how do I export my invoices", False, "how_to"),
        ("hello there", False, "other"),
        ("my account is locked", True, "access_restore"),
    ]
    labelled.write_text("\n".join(
        json.dumps({"id": f"r{i}", "messages": [{"role": "user", "content": text}],
                    "expected_handoff": handoff, "expected_need_state": need})
        for i, (text, handoff, need) in enumerate(rows)
    ) + "\n", encoding="utf-8")
    assert main(["score", str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "must-handoff recall 1.000 (2/2)" in out
    assert "wrongful escalation 0.000 (0/2)" in out


def test_score_part_scores_only_that_part_and_never_lists_heldout_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "labelled.jsonl"
    # CRC-32 per mille of the ids: r0 807 and r1 793 (tune), r2 259 and r13 208 (heldout).
    rows = [("r0", "I was charged twice this month", True), ("r2", "my account is locked", True),
            ("r1", "how do I export my invoices", False), ("r13", "hello there", False)]
    labelled.write_text("\n".join(
        json.dumps({"id": i, "messages": [{"role": "user", "content": text}],
                    "expected_handoff": handoff, "expected_need_state": None})
        for i, text, handoff in rows
    ) + "\n", encoding="utf-8")
    assert main(["score", "--need-model", "none", "--part", "heldout", str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "[heldout]: 2 lines: must-handoff recall 1.000 (1/1)" in out
    assert main(["score", "--need-model", "none", "--part", "tune", "--show", "5",
                 str(labelled)]) == 0
    assert "[tune]: 2 lines" in capsys.readouterr().out
    assert main(["score", "--part", "heldout", "--show", "5", str(labelled)]) == 2
    assert "never read" in capsys.readouterr().err


def test_every_subcommand_is_registered_by_its_module_with_a_handler() -> None:
    from guardrail.cli import _parser

    parser = _parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == {"classify", "explain", "validate", "schema", "score", "train",
                                "eval", "drift", "demo", "handoff", "record", "record-outcome",
                                "forget", "completion", "report", "override", "shadow-report"}
    for name, command in sub.choices.items():
        handler = command.get_default("func")
        assert callable(handler), name
        assert handler.__module__.startswith("guardrail.cli."), name


def test_class8_validate_strict_fails_on_a_rule_that_misses_its_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    folder = tmp_path / "segments"
    shutil.copytree(ROOT / "segments", folder)
    (folder / "90-extra.yaml").write_text(
        "rules:\n"
        "  - id: test.never\n"
        "    code: need.how_to\n"
        "    kind: need\n"
        "    need_state: how_to\n"
        "    explanation: A rule whose example does not match it.\n"
        "    patterns: ['export (my )?invoices']\n"
        "    examples: ['how do I print my receipts']\n"
        "    counterexamples: ['hello']\n",
        encoding="utf-8",
    )
    assert main(["validate", str(folder)]) == 0  # examples are not checked at every load
    assert main(["validate", "--strict", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "90-extra.yaml" in err
    assert "test.never" in err
