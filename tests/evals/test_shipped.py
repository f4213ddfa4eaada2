"""The shipped eval suite passes its shipped gates, and a deliberately broken policy fails them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from guardrail._resources import default_registry_dir
from guardrail.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "evals" / "scenarios"
CONFIG = ROOT / "evals" / "config.yaml"


def test_the_shipped_suite_passes_its_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", str(SCENARIOS), "--config", str(CONFIG), "--baseline",
                 "--output", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0, out.out[-3000:]
    assert (tmp_path / "results.json").is_file()
    assert (tmp_path / "junit.xml").is_file()
    assert (tmp_path / "report.html").is_file()
    results = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert results["passed"] is True
    assert results["scenarios_total"] >= 300  # the issue asks for 300+ shipped scenarios
    assert all(gate["passed"] for gate in results["gates"])


def test_a_policy_that_stops_forcing_disputes_to_a_human_fails_the_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "segments"
    shutil.copytree(default_registry_dir(), broken)
    risk = broken / "41-segments-risk.yaml"
    text = risk.read_text("utf-8")
    forced = "    escalation:\n      mode: after_collect\n      hard: [{always: true}]"
    assert forced in text
    text = text.replace(forced, "    escalation:\n      soft: [{always: true}]", 1)
    text = text.replace(
        "allowed: [search_docs, lookup_invoice, lookup_order, get_account_status, create_ticket]"
        "\n      denied: [issue_refund, apply_credit, change_plan, cancel_subscription]",
        "allowed: [search_docs, lookup_invoice, lookup_order, get_account_status, create_ticket,"
        " issue_refund, apply_credit]\n      denied: [change_plan, cancel_subscription]", 1)
    risk.write_text(text, "utf-8")
    code = main(["eval", str(SCENARIOS), "--config", str(CONFIG), "--registry", str(broken)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED gate must-handoff recall" in out
    assert "FAILED gate policy breach rate" in out
    assert "billing_dispute.duplicate" in out  # the scenarios that pulled the metric down
