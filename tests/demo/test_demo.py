"""`guardrail demo`: every scenario runs offline through the real agent and shows what it claims."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guardrail import Guardrail, UserError
from guardrail.cli import main
from guardrail.demo import load_scenarios, run_demo
from guardrail.demo.runner import ScenarioRun


@pytest.fixture(scope="module")
def runs() -> dict[str, ScenarioRun]:
    return {run.scenario.id: run for run in run_demo()}


def _decisions(run: ScenarioRun) -> list[dict[str, Any]]:
    return [t.decision for t in run.turns]


def test_every_scenario_runs(runs: dict[str, ScenarioRun]) -> None:
    assert set(runs) == {s.id for s in load_scenarios()}
    assert len(runs) >= 6


def test_no_tool_the_gate_denied_ever_ran(runs: dict[str, ScenarioRun]) -> None:
    for run in runs.values():
        gated = [c for t in run.turns for c in t.tool_calls]
        ran = [e["tool"] for e in run.executed]
        allowed = [c["tool"] for c in gated if c["action"] == "allow"]
        assert ran == allowed, run.scenario.id
        # and a decision that denies a tool never sees it run in the same turn
        for turn in run.turns:
            denied = set(turn.decision.get("denied_tools", {}))
            assert not denied & {c["tool"] for c in turn.tool_calls if c["action"] == "allow"}


def test_duplicate_charge_hands_off_to_billing_without_refunding(
    runs: dict[str, ScenarioRun],
) -> None:
    run = runs["duplicate_charge"]
    first, second = run.turns
    assert "issue_refund" in first.decision["confirm_tools"]  # routine billing: consent needed
    assert second.decision["handoff"]["required"]
    assert "issue_refund" in second.decision["denied_tools"]
    assert not second.model_calls  # the model never got the turn
    assert [c["reason_codes"][0] for c in second.unplayed] == [
        "policy.handoff_in_progress#handoff"]
    assert [h.queue for h in run.handoffs] == ["billing_disputes"]
    assert all(e["tool"] != "issue_refund" for e in run.executed)


def test_lockout_guides_then_hands_off_after_two_failures(runs: dict[str, ScenarioRun]) -> None:
    run = runs["lockout"]
    required = [d["handoff"]["required"] for d in _decisions(run)]
    assert required == [False, False, True]
    assert all("guided_checklist" in d["directives"] for d in _decisions(run)[:2])
    assert [h.queue for h in run.handoffs] == ["account_access"]
    assert all(e["tool"] != "reset_mfa" for e in run.executed)


def test_how_to_is_answered_from_scoped_docs(runs: dict[str, ScenarioRun]) -> None:
    run = runs["how_to_stack"]
    (sources,) = run.retrieved
    assert "kb-shopify-connect" in sources
    assert "kb-woo-connect" not in sources
    assert not run.handoffs


def test_cancellation_waits_for_consent(runs: dict[str, ScenarioRun]) -> None:
    run = runs["cancellation"]
    (turn,) = run.turns
    (confirmation,) = turn.confirmations
    assert confirmation["tool"] == "cancel_subscription"
    assert [e["tool"] for e in run.executed] == ["cancel_subscription"]


def test_prompt_injection_changes_nothing(runs: dict[str, ScenarioRun]) -> None:
    run = runs["prompt_injection"]
    (turn,) = run.turns
    assert "prompt_injection" in turn.decision["segments"]
    assert "issue_refund" not in turn.model_calls[0].tools
    assert [c["action"] for c in turn.tool_calls] == ["deny"]
    assert run.executed == []


def test_a_poisoned_document_is_quarantined_before_the_model_reads_it(
    runs: dict[str, ScenarioRun],
) -> None:
    run = runs["poisoned_document"]
    (turn,) = run.turns
    assert [source for source, _ in turn.quarantined] == ["kb-refund-times"]
    read = " ".join(turn.model_calls[-1].texts)
    assert "5 to 10 working days" in read  # the article's data reaches the model
    assert "CVV" not in read  # its planted instruction does not
    assert "prompt_injection" in turn.decision["segments"]
    assert run.executed == [{"tool": "search_docs", "query": "how long refunds take"}]


def test_a_request_for_a_person_is_honoured(runs: dict[str, ScenarioRun]) -> None:
    run = runs["human_request"]
    assert [d["handoff"]["required"] for d in _decisions(run)] == [False, True]
    assert "human_requested" in run.turns[-1].decision["segments"]
    assert len(run.handoffs) == 1


def test_cli_demo_json_and_render(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scenario", "prompt_injection", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["scenario"] for d in data] == ["prompt_injection"]
    assert data[0]["executed"] == []
    assert main(["demo", "--scenario", "duplicate_charge"]) == 0
    out = capsys.readouterr().out
    assert "HANDOFF" in out
    assert "billing_disputes" in out
    assert "DENIED" in out


def test_cli_demo_rejects_unknown_scenarios_and_live_without_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo", "--scenario", "nope"]) == 2
    assert "unknown demo scenario" in capsys.readouterr().err
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["demo", "--live"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def test_run_demo_rejects_unknown_ids(rules_guard: Guardrail) -> None:
    with pytest.raises(UserError):
        run_demo(["nope"], guard=rules_guard)


def test_live_demo_drives_a_real_openai_chat_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--live` through langchain-openai's ChatOpenAI against a local server speaking the API."""
    from tests._servers.chat import chat_server

    with chat_server() as server:
        # The "real" model tries the refund it was never shown, then apologises.
        server.reply(None, ("call_1", "issue_refund", '{"amount": 120}'))
        server.reply("I can't issue refunds here.")
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        assert main(["demo", "--live", "--scenario", "prompt_injection", "--json"]) == 0
        requests = [r["body"] for r in server.requests]
    (run,) = json.loads(capsys.readouterr().out)
    assert len(requests) == 2
    shown = {t["function"]["name"] for t in requests[0].get("tools", [])}
    assert shown
    assert "issue_refund" not in shown
    system = requests[0]["messages"][0]
    assert system["role"] == "system"
    assert "Support policy for this conversation" in system["content"]
    assert run["executed"] == []
    assert [c["action"] for c in run["turns"][0]["tool_calls"]] == ["deny"]
    # the model's second call saw the denial as the tool result
    tool_result = requests[1]["messages"][-1]
    assert tool_result["role"] == "tool"
    assert "policy.tool_denied" in tool_result["content"]
