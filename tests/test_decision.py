"""The Decision's views agree with the decision: tool names with the verdicts they come from, and
`Decision.view()` (the one JSON projection) with every field it projects, on real decisions from
the shipped registry."""

from __future__ import annotations

import json

import pytest

from guardrail import Decision, Guardrail
from tests.conftest import make_conversation

CASES = {
    "dispute": "I was charged twice for my subscription this month",
    "how_to": "How do I export my invoices as CSV?",
    "human": "I want to talk to a human",
}


@pytest.fixture(params=sorted(CASES))
def decision(request: pytest.FixtureRequest, stateless_guard: Guardrail) -> Decision:
    return stateless_guard.check(make_conversation(CASES[request.param]))


def test_the_cases_are_what_they_say(stateless_guard: Guardrail) -> None:
    """The views below are checked on decisions that deny tools and hand off, and on one that
    does neither, so an empty view cannot pass for an agreeing one."""
    dispute, how_to, human = (
        stateless_guard.check(make_conversation(CASES[name]))
        for name in ("dispute", "how_to", "human")
    )
    assert "billing_dispute" in dispute.segment_ids()
    assert dispute.denials
    assert dispute.handoff.required
    assert how_to.need_state == "how_to"
    assert how_to.allowed_tools
    assert not how_to.handoff.required
    assert "human_requested" in human.segment_ids()
    assert human.denials
    assert human.handoff.required


def test_denied_tools_names_the_denials(decision: Decision) -> None:
    assert decision.denied_tools == [v.tool for v in decision.denials]
    assert all(v.verdict == "deny" and v.reasons for v in decision.denials)


def test_allowed_confirm_and_denied_split_the_tools(decision: Decision) -> None:
    """Every tool is in exactly one of the three name lists."""
    named = [*decision.allowed_tools, *decision.confirm_tools, *decision.denied_tools]
    assert sorted(named) == sorted(v.tool for v in decision.tools)


def test_the_view_projects_the_decision(decision: Decision) -> None:
    view = decision.view()
    assert view["need_state"] == decision.need_state
    assert view["need_confidence"] == decision.need_confidence
    assert view["risk_tier"] == decision.risk_tier
    assert view["segments"] == [s.id for s in decision.segments]
    assert view["friction"] == decision.friction
    assert view["allowed_tools"] == decision.allowed_tools
    assert view["confirm_tools"] == decision.confirm_tools
    assert view["denied_tools"] == {
        v.tool: [f"{r.code}#{r.rule_id}" for r in v.reasons] for v in decision.denials
    }
    assert view["retrieval_scope"] == decision.retrieval_scope
    assert view["directives"] == decision.directives
    assert view["handoff"] == decision.handoff.model_dump(mode="json")
    assert view["handoff"]["required"] is decision.handoff.required
    assert view["reason_codes"] == [f"{r.code}#{r.rule_id}" for r in decision.reason_codes]
    assert view["policy_version"] == decision.policy_version
    assert view["failsafe"] is decision.failsafe


def test_the_view_is_json_ready_and_holds_no_objects(decision: Decision) -> None:
    view = decision.view()
    assert json.loads(json.dumps(view)) == view
    assert set(view) == {
        "need_state", "need_confidence", "risk_tier", "segments", "friction", "allowed_tools",
        "confirm_tools", "denied_tools", "retrieval_scope", "directives", "handoff",
        "reason_codes", "policy_version", "failsafe", "language", "arm", "held_out",
    }
