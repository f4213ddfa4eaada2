"""``guardrail override``: records an agent override into a real SQLite store that a separate
engine then honours; bad input exits 2 with the message; ``--audit`` writes the record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrail import Guardrail
from guardrail.audit import OverrideRecord, read_audit
from guardrail.cli import main
from guardrail.governance.overrides import OVERRIDE_CODE
from guardrail.history import SQLiteStore, customer_key

DISPUTE = "I want to dispute this charge, I never bought this"
TAKEOVER = "Someone changed my password and email, I did not do that, my account was hacked"


def _conv(text: str) -> dict[str, object]:
    return {"id": "conv-1", "context": {"customer_id": "cus_1"},
            "messages": [{"role": "user", "content": text}]}


def _args(db: Path, *extra: str, role: str = "agent") -> list[str]:
    return ["override", "--store", f"sqlite:///{db}", "--conversation", "conv-1",
            "--customer", "cus_1", "--who", "agent-7", "--role", role, *extra]


def test_the_cli_records_an_override_the_engine_honours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GUARDRAIL_CUSTOMER_SALT", raising=False)
    db, audit = tmp_path / "h.db", tmp_path / "audit.jsonl"
    code = main(_args(db, "--segment", "billing_dispute", "--clear", "--why",
                      "pending authorisation, called +1 555 123 4567", "--audit", str(audit)))
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["action"], printed["segment"], printed["role"]) == (
        "clear", "billing_dispute", "agent")
    assert "555 123 4567" not in printed["why"]
    with SQLiteStore(db) as store:
        stored = store.overrides(customer_key("cus_1", None), "conv-1")
    assert [o.override_id for o in stored] == [printed["override_id"]]
    record = read_audit(audit)[0]
    assert isinstance(record, OverrideRecord)
    assert record.who == "agent-7"
    guard = Guardrail(need_model=None, store=f"sqlite:///{db}")
    decision = guard.check(_conv(DISPUTE))
    guard.close()
    assert "billing_dispute" not in decision.segment_ids()
    assert any(r.code == OVERRIDE_CODE and r.rule_id == "billing_dispute"
               for r in decision.reason_codes)


@pytest.mark.parametrize(("extra", "role", "message"), [
    (("--segment", "fraud_takeover", "--clear"), "agent", "critical"),
    (("--segment", "billing_dispute", "--assert"), "intern", "may not override"),
    (("--segment", "nope", "--assert"), "agent", "not a segment"),
    (("--segment", "billing_dispute", "--assert", "--at", "2026-01-01T10:00"), "agent",
     "timezone"),
])
def test_bad_input_exits_2_with_the_message_and_records_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], role: str,
    message: str,
) -> None:
    db = tmp_path / "h.db"
    assert main(_args(db, *extra, "--why", "checked", role=role)) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""
    with SQLiteStore(db) as store:
        assert store.overrides(customer_key("cus_1", None), "conv-1") == []


def test_a_critical_role_may_clear_a_takeover_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GUARDRAIL_CUSTOMER_SALT", raising=False)
    db = tmp_path / "h.db"
    assert main(_args(db, "--segment", "fraud_takeover", "--verify", "--why",
                      "passed step-up verification", role="security")) == 0
    guard = Guardrail(need_model=None, store=f"sqlite:///{db}")
    decision = guard.check(_conv(TAKEOVER))
    guard.close()
    assert "fraud_takeover" not in decision.segment_ids()
    assert decision.risk_tier == "critical"  # the gate still follows the finding
