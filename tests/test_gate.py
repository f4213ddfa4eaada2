"""The shared tool-call gate, the adapter prompts and the handoff summary with its sinks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail, UserError
from guardrail.decision import Decision
from guardrail.gate import CallCheck, check_tool_call, parse_arguments
from guardrail.handoff import CallableSink, HandoffSummary, JsonlSink, MemorySink, deliver
from guardrail.prompts import Prompts
from guardrail.reasons import ADAPTER_CODES, ReasonCode

BILLING = "Can you show me my last invoice please?"


def decide(guard: Guardrail, *texts: str, **context: Any) -> Decision:
    return guard.check({
        "messages": [{"role": "user", "content": t} for t in texts],
        "context": context,
    })


# -- the gate ----------------------------------------------------------------------------------


def test_missing_customer_argument_is_bound_to_the_session(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, BILLING)
    check = check_tool_call(
        rules_guard.registry, d, "lookup_invoice", {"invoice_id": "I-1"}, "cus_1")
    assert check.action == "allow"
    assert check.args == {"invoice_id": "I-1", "customer_id": "cus_1"}
    assert check.bound == ("customer_id",)
    assert check.code == ""


@pytest.mark.parametrize("given", ["", None])
def test_empty_customer_argument_is_bound_too(rules_guard: Guardrail, given: Any) -> None:
    d = decide(rules_guard, BILLING)
    check = check_tool_call(
        rules_guard.registry, d, "lookup_invoice", {"customer_id": given}, "cus_1")
    assert check.action == "allow"
    assert check.args["customer_id"] == "cus_1"


def test_same_customer_in_another_type_is_the_same_customer(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, BILLING)
    check = check_tool_call(rules_guard.registry, d, "lookup_invoice", {"customer_id": 42}, "42")
    assert check.action == "allow"
    assert check.bound == ()


def test_another_customer_is_denied_with_redacted_evidence(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, BILLING)
    other = "jane.doe@example.com"
    check = check_tool_call(
        rules_guard.registry, d, "lookup_invoice", {"customer_id": other}, "cus_1")
    assert check.action == "deny"
    assert check.code == "policy.customer_mismatch"
    assert other not in check.reasons[0].evidence
    assert "[email]" in check.reasons[0].evidence


def test_customer_bound_tool_without_session_customer_is_denied(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, BILLING)
    check = check_tool_call(rules_guard.registry, d, "lookup_invoice", {}, None)
    assert check.code == "policy.customer_unbound"
    # a tool that names no customer does not need one
    assert check_tool_call(rules_guard.registry, d, "search_docs", {"query": "x"}, None).action == (
        "allow")


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", ["a"], 7, b"\xff"])
def test_arguments_that_are_not_an_object_are_denied(rules_guard: Guardrail, raw: Any) -> None:
    d = decide(rules_guard, BILLING)
    check = check_tool_call(rules_guard.registry, d, "search_docs", raw, "cus_1")
    assert check.action == "deny"
    assert check.code == "policy.invalid_arguments"


def test_json_string_arguments_are_parsed() -> None:
    assert parse_arguments('{"a": 1}') == {"a": 1}
    assert parse_arguments("") == {}
    assert parse_arguments("[1]") is None
    assert parse_arguments("[" * 100_000) is None  # deep nesting: no crash


def test_denied_and_unknown_tools(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, BILLING)
    denied = check_tool_call(rules_guard.registry, d, "reset_mfa", {}, "cus_1")
    assert denied.code == "policy.tool_denied"
    assert any(r.code == "policy.deny" for r in denied.reasons[1:])  # the decision's own reason
    unknown = check_tool_call(rules_guard.registry, d, "drop_database", {}, "cus_1")
    assert unknown.code == "policy.unknown_tool"


def test_confirm_tools_need_consent_with_arguments_bound(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, "Please cancel my subscription at the end of this billing period.")
    check = check_tool_call(rules_guard.registry, d, "cancel_subscription", "{}", "cus_1")
    assert check.action == "confirm"
    assert check.code == "policy.confirmation_required"
    assert check.args == {"customer_id": "cus_1"}


def test_nothing_runs_while_a_human_takes_over(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, "I want to talk to a human")
    for tool in rules_guard.registry.tools:
        check = check_tool_call(rules_guard.registry, d, tool, {}, "cus_1")
        assert check.action == "deny"
        assert check.code == "policy.handoff_in_progress"


def test_record_redacts_argument_values(rules_guard: Guardrail) -> None:
    d = decide(rules_guard, BILLING)
    check = check_tool_call(rules_guard.registry, d, "search_docs",
                            {"query": "card 4242 4242 4242 4242"}, "cus_1")
    record = check.as_record()
    assert "4242 4242 4242 4242" not in json.dumps(record)
    assert record["action"] == "allow"


def test_every_gate_code_has_a_sentence() -> None:
    assert all(text and not text.endswith(".") for text in ADAPTER_CODES.values())


def test_verdicts_are_built_by_classmethods_with_the_gate_code_first() -> None:
    decided = ReasonCode(code="policy.tool_denied", rule_id="r1", source="decision",
                         explanation="denied by the decision")
    deny = CallCheck.deny("policy.customer_mismatch", "refund", {"a": 1}, rule_id="binding",
                          detail="argument 'customer_id'", evidence="c_[redacted]",
                          reasons=[decided])
    assert (deny.action, deny.code) == ("deny", "policy.customer_mismatch")
    assert deny.reasons[0].explanation.endswith("(argument 'customer_id')")
    assert (deny.reasons[0].rule_id, deny.reasons[0].evidence) == ("binding", "c_[redacted]")
    assert deny.reasons[1:] == (decided,)
    assert CallCheck.deny(decided, "refund", {}).reasons == (decided,)
    confirm = CallCheck.confirm("refund", {}, reasons=[decided], bound=["customer_id"])
    assert (confirm.code, confirm.reasons[1:], confirm.bound) == (
        "policy.confirmation_required", (decided,), ("customer_id",))
    allow = CallCheck.allow("refund", {}, reasons=[decided], code="policy.confirmed",
                            rule_id="confirmation")
    assert (allow.action, allow.code, allow.explanation()) == ("allow", "", "allowed")
    assert [r.code for r in allow.reasons] == ["policy.confirmed", "policy.tool_denied"]
    assert CallCheck.allow("search", {}).reasons == ()


# -- prompts -----------------------------------------------------------------------------------


def test_shipped_prompts_cover_every_directive_and_queue_override(rules_guard: Guardrail) -> None:
    prompts = Prompts.default()
    ids = [d.id for d in rules_guard.registry.settings.directives]
    assert prompts.missing_directives(ids) == []
    segments = rules_guard.registry.segments
    queues = {s.routing.queue for s in segments if s.routing and s.routing.queue}
    assert set(prompts.adapter.handoff_message.queues) <= queues


def test_system_text_lists_each_directive(rules_guard: Guardrail) -> None:
    prompts = Prompts.default()
    d = decide(rules_guard, "Please cancel my subscription at the end of this billing period.")
    text = prompts.system_text(d)
    assert text.startswith(prompts.adapter.directives_header)
    assert text.count("\n- ") == len(d.directives)


def _write_prompts(folder: Path, adapter: str, directives: str = "x: text\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "directives.yaml").write_text(directives, "utf-8")
    (folder / "adapter.yaml").write_text(adapter, "utf-8")
    return folder


def test_prompt_files_are_validated(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="prompt file not found"):
        Prompts.load(tmp_path / "absent")
    bad = _write_prompts(tmp_path / "a", "directives_header: h\n")
    with pytest.raises(UserError, match="handoff_message"):
        Prompts.load(bad)
    worse = _write_prompts(tmp_path / "b", "x", directives="- a list\n")
    with pytest.raises(UserError, match=r"directives\.yaml"):
        Prompts.load(worse)
    broken = _write_prompts(tmp_path / "c", "key: [unclosed\n")
    with pytest.raises(UserError, match="cannot read"):
        Prompts.load(broken)


# -- handoff summary and sinks -----------------------------------------------------------------


def _summary(guard: Guardrail) -> HandoffSummary:
    conversation = {
        "id": "conv-1",
        "messages": [
            {"role": "user", "content": "My card 4111 1111 1111 1111 was charged twice."},
            {"role": "assistant", "content": "Let me check."},
            {"role": "user", "content": "Write to me at jane@example.com"},
        ],
        "context": {"customer_id": "cus_1", "plan": "pro", "preferences": ["keep it short"]},
    }
    from guardrail.conversation import Conversation

    conv = Conversation.model_validate(conversation)
    return HandoffSummary.build(guard.check(conv), conv, tool_calls=[{"tool": "lookup_invoice",
                                "action": "allow", "reason_codes": []}])


def test_summary_holds_the_case_without_personal_data(rules_guard: Guardrail) -> None:
    summary = _summary(rules_guard)
    assert summary.queue == "billing_disputes"
    assert summary.priority == "high"
    assert any(s.id == "billing_dispute" and s.reasons for s in summary.segments)
    text = json.dumps(summary.model_dump(mode="json"))
    assert "4111 1111 1111 1111" not in text
    assert "jane@example.com" not in text
    assert "****1111" in text
    assert summary.customer["preferences"] == ["keep it short"]
    markdown = summary.to_markdown()
    assert "billing_disputes" in markdown
    assert "lookup_invoice" in markdown
    assert HandoffSummary.model_json_schema()["title"] == "HandoffSummary"


def test_sinks_deliver_and_failures_are_reported(rules_guard: Guardrail, tmp_path: Path) -> None:
    summary = _summary(rules_guard)
    assert deliver(None, summary) == "no_sink"
    memory = MemorySink()
    assert deliver(memory, summary) == "delivered"
    assert memory.summaries == [summary]
    got: list[HandoffSummary] = []
    assert deliver(got.append, summary) == "delivered"
    assert got == [summary]
    assert deliver(CallableSink(got.append), summary) == "delivered"
    assert len(got) == 2
    path = tmp_path / "deep" / "handoffs.jsonl"
    sink = JsonlSink(path)
    assert deliver(sink, summary) == "delivered"
    assert deliver(sink, summary) == "delivered"
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["conversation_id"] == "conv-1"

    def broken(_: HandoffSummary) -> None:
        raise TimeoutError("slow")

    assert deliver(broken, summary) == "failed: TimeoutError"


def test_an_async_sink_called_without_await_is_not_delivered(rules_guard: Guardrail) -> None:
    async def send(summary: HandoffSummary) -> None:
        raise AssertionError("never awaited")

    assert deliver(send, _summary(rules_guard)) == "failed: TypeError"
