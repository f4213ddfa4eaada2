"""The audit trail, written by a real Guardrail and the real gate to a real file, then read back."""

from __future__ import annotations

import ast
import importlib
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import guardrail.audit
from guardrail import Decision, ExitEvent, Guardrail, UserError
from guardrail.audit import (
    AuditLog,
    DecisionRecord,
    ExitEventRecord,
    HandoffRecord,
    ToolCallRecord,
    conversations,
    explain_conversation,
    load_audit,
    read_audit,
)
from guardrail.cli import main
from guardrail.conversation import Conversation
from guardrail.gate import check_tool_call
from guardrail.handoff import HandoffSummary, MemorySink, deliver
from tests.conftest import make_conversation

DISPUTE = (
    "I was charged twice for order 1234, card 4111 1111 1111 1111, email me at jane@example.com"
)
CARD_FORMS = ("4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111")
AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)

ROOT = Path(__file__).resolve().parents[2]


def _play(
    log: AuditLog,
    guard: Guardrail,
    conversation_id: str,
    messages: list[str],
    calls: dict[int, list[tuple[str, dict[str, Any], str]]] | None = None,
) -> list[Decision]:
    """Run `messages` turn by turn as an adapter would, auditing each step.

    `calls` maps a turn to the tool calls the model makes in it: (tool, arguments, outcome).
    """
    decisions = []
    context = {"customer_id": "cus_1"}
    for turn in range(1, len(messages) + 1):
        conversation = {
            "id": conversation_id,
            "messages": [{"role": "user", "content": m} for m in messages[:turn]],
            "context": context,
        }
        at = AT + timedelta(minutes=turn)
        decision = guard.check(conversation)
        decisions.append(decision)
        log.decision(decision, conversation_id=conversation_id, turn=turn, at=at)
        for tool, args, outcome in (calls or {}).get(turn, []):
            check = check_tool_call(guard.registry, decision, tool, args, "cus_1")
            log.tool_call(check.as_record(), conversation_id=conversation_id, turn=turn,
                          outcome=outcome, at=at)  # type: ignore[arg-type]
        if decision.handoff.required:
            summary = HandoffSummary.build(decision, Conversation.model_validate(conversation),
                                           now=at)
            log.handoff(summary, delivery=deliver(MemorySink(), summary), turn=turn, at=at)
    return decisions


def _dispute(log: AuditLog, guard: Guardrail, conversation_id: str = "c-dispute") -> Decision:
    refund = ("issue_refund", {"amount": 4111111111111111, "note": "card 4111 1111 1111 1111"},
              "denied")
    return _play(log, guard, conversation_id, [DISPUTE], {1: [refund]})[0]


@pytest.fixture
def audit_file(tmp_path: Path, rules_guard: Guardrail) -> Path:
    """An audit file holding a dispute, a two-turn lockout and a how-to, in that order."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    _dispute(log, rules_guard)
    _play(log, rules_guard, "c-lockout", ["I cannot log in, the reset link does not work",
                                    "now it says my account is locked"])
    _play(log, rules_guard, "c-howto", ["How do I add a teammate to my workspace?"],
          {1: [("search_docs", {"query": "add teammate"}, "executed")]})
    return path


def test_all_is_complete_and_sorted() -> None:
    # The package face re-exports exactly what its parts (record, writer, reader, explain) export.
    parts = [importlib.import_module(f"guardrail.audit.{name}")
             for name in ("record", "writer", "reader", "explain")]
    assert set(guardrail.audit.__all__) == {n for part in parts for n in part.__all__}
    assert all(hasattr(guardrail.audit, n) for n in guardrail.audit.__all__)
    assert list(guardrail.audit.__all__) == sorted(guardrail.audit.__all__)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):  # TYPE_CHECKING blocks and function bodies included
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "guardrail" / "audit").glob("*.py")), ROOT / "guardrail" / "tracing.py"],
    ids=lambda p: p.name,
)
def test_the_recorders_never_import_the_gate_or_the_package_face(path: Path) -> None:
    imported = _imported_modules(path)
    assert "guardrail.gate" not in imported
    assert "guardrail" not in imported  # the face imports the recorders, not the other way


def test_records_are_written_and_read_back_in_order(
    audit_file: Path, rules_guard: Guardrail
) -> None:
    records = read_audit(audit_file)
    lines = audit_file.read_text(encoding="utf-8").splitlines()

    assert len(lines) == len(records) == 8
    assert [r.type for r in records] == [
        "decision", "tool_call", "handoff",  # the dispute: denied refund, then a human
        "decision", "decision", "handoff",  # the lockout: handoff on its second turn
        "decision", "tool_call",  # the how-to: docs searched
    ]
    assert [r.seq for r in records] == list(range(1, 9))
    assert [(r.conversation_id, r.turn) for r in records[3:6]] == [
        ("c-lockout", 1), ("c-lockout", 2), ("c-lockout", 2)]
    assert all(json.loads(line)["v"] == 1 for line in lines)
    assert records[0].at == "2026-06-01T10:01:00.000+00:00"

    dispute = records[0]
    assert isinstance(dispute, DecisionRecord)
    assert dispute.policy_version == rules_guard.registry.version
    assert dispute.risk_tier == "high"
    assert [s.id for s in dispute.segments][:1] == ["billing_dispute"]
    assert dispute.segments[0].reasons[0].code == "risk.billing_dispute"
    assert "issue_refund" in dispute.policy.denied_tools
    assert "issue_refund" not in dispute.policy.allowed_tools
    assert dispute.action.handoff.required
    assert dispute.action.handoff.queue == "billing_disputes"

    refund = records[1]
    assert isinstance(refund, ToolCallRecord)
    assert (refund.tool, refund.action, refund.outcome) == ("issue_refund", "deny", "denied")
    assert refund.reason_codes == ["policy.handoff_in_progress#handoff"]

    handoff = records[2]
    assert isinstance(handoff, HandoffRecord)
    assert (handoff.queue, handoff.delivery) == ("billing_disputes", "delivered")
    assert handoff.policy_version == rules_guard.registry.version

    docs = records[7]
    assert isinstance(docs, ToolCallRecord)
    assert (docs.action, docs.outcome) == ("allow", "executed")


def test_no_raw_message_text_or_personal_data_reaches_the_file(
    tmp_path: Path, rules_guard: Guardrail
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    decision = _dispute(log, rules_guard)
    # A caller that hands over unredacted evidence and extra fields still leaks nothing.
    leaky = decision.model_copy(update={"segments": [
        seg.model_copy(update={"reasons": [
            r.model_copy(update={"evidence": "card 4111 1111 1111 1111, jane@example.com"})
            for r in seg.reasons]})
        for seg in decision.segments]})
    log.decision(leaky, conversation_id="c-dispute", turn=2)
    log.tool_call({"tool": "lookup_order", "action": "allow", "transcript": DISPUTE,
                   "args": {"email": "jane@example.com", "cards": [4111111111111111],
                            "jane@example.com": {"nested": "4111-1111-1111-1111"}}},
                  conversation_id="c-dispute", turn=2, outcome="executed")
    text = path.read_text(encoding="utf-8")

    for secret in (*CARD_FORMS, "jane@example.com", "order 1234", DISPUTE):
        assert secret not in text
    assert "[card ****1111]" in text  # masked, not dropped
    assert "[email]" in text
    assert "transcript" not in text
    handoff = json.loads(text.splitlines()[2])
    assert handoff["type"] == "handoff"
    assert set(handoff) == {"v", "type", "seq", "conversation_id", "turn", "at", "queue",
                            "priority", "reasons", "delivery", "policy_version"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda log: log.tool_call({"tool": "x", "action": "allow"}, conversation_id="c",
                                   turn=1, outcome="ran"), "unknown tool-call outcome"),
        (lambda log: log.tool_call({"tool": "x"}, conversation_id="c", turn=1,
                                   outcome="executed"), "'action'"),
        (lambda log: log.tool_call({"tool": "x", "action": "maybe"}, conversation_id="c",
                                   turn=1, outcome="executed"), "action"),
        (lambda log: log.tool_call({"tool": "x", "action": "allow"}, conversation_id="",
                                   turn=1, outcome="executed"), "conversation_id"),
        (lambda log: log.tool_call({"tool": "x", "action": "allow"}, conversation_id="c",
                                   turn=-1, outcome="executed"), "turn"),
        (lambda log: log.tool_call({"tool": "x", "action": "allow"}, conversation_id="c",
                                   turn=1, outcome="executed", at=datetime(2026, 6, 1)),
         "timezone-aware"),
    ],
)
def test_bad_records_raise_user_error_and_leave_no_trace(
    tmp_path: Path, call: Any, message: str
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(UserError, match=message):
        call(log)
    assert not (tmp_path / "audit.jsonl").exists()
    log.tool_call({"tool": "x", "action": "allow"}, conversation_id="c", turn=1,
                  outcome="executed")
    assert [r.seq for r in read_audit(tmp_path / "audit.jsonl")] == [1]  # no gap


def test_a_handoff_needs_a_conversation_id(tmp_path: Path, rules_guard: Guardrail) -> None:
    decision = rules_guard.check(
        {"messages": [{"role": "user", "content": "my account is locked"}]})
    summary = HandoffSummary.build(decision, Conversation.model_validate(
        {"messages": [{"role": "user", "content": "my account is locked"}]}), now=AT)
    log = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(UserError, match="conversation id"):
        log.handoff(summary, delivery="no_sink", turn=1)
    log.handoff(summary, delivery="failed: SinkError", turn=1, conversation_id="c-anon")
    [record] = read_audit(tmp_path / "audit.jsonl")
    assert isinstance(record, HandoffRecord)
    assert (record.conversation_id, record.delivery, record.queue) == (
        "c-anon", "failed: SinkError", "account_access")


def test_corrupt_lines_are_skipped_and_reported_without_their_content(
    audit_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = audit_file.read_bytes()
    first = json.loads(good.splitlines()[0])
    bad_lines = [
        b"not json jane@example.com\n",
        b"\xff\xfe\x00\n",
        b"[1, 2]\n",
        json.dumps({**first, "v": 2}).encode() + b"\n",
        json.dumps({**first, "type": "mystery"}).encode() + b"\n",
        json.dumps({**first, "risk_tier": "extreme"}).encode() + b"\n",
        b"\n",  # blank lines are not problems
        good.splitlines()[1][:40],  # torn: the process died mid-write
    ]
    audit_file.write_bytes(good + b"".join(bad_lines))

    trail = load_audit(audit_file)
    with caplog.at_level(logging.WARNING, logger="guardrail.audit"):
        records = read_audit(audit_file)

    assert len(trail.records) == len(records) == 8
    assert [p.line for p in trail.problems] == [9, 10, 11, 12, 13, 14, 16]
    messages = [str(p) for p in trail.problems]
    assert "not valid JSON" in messages[0]
    assert "not UTF-8" in messages[1]
    assert "not a JSON object" in messages[2]
    assert "schema version 2" in messages[3]
    assert "mystery" in messages[4]
    assert "risk_tier" in messages[5]
    assert "incomplete" in messages[6]
    assert all("jane" not in m and "extreme" not in m for m in messages)
    assert len([r for r in caplog.records if "skipped a line" in r.getMessage()]) == 7


def test_reading_filters_by_conversation(audit_file: Path) -> None:
    records = read_audit(audit_file, "c-lockout")
    assert {r.conversation_id for r in records} == {"c-lockout"}
    assert [r.turn for r in records] == [1, 2, 2]
    assert read_audit(audit_file, "c-nobody") == []


@pytest.mark.parametrize(("make", "message"), [("missing", "does not exist"),
                                               ("folder", "is a folder")])
def test_an_unreadable_audit_file_is_a_user_error(tmp_path: Path, make: str, message: str) -> None:
    path = tmp_path / "audit.jsonl"
    if make == "folder":
        path.mkdir()
    with pytest.raises(UserError, match=message) as raised:
        read_audit(path)
    assert str(path) in str(raised.value)


def test_concurrent_appends_never_tear_or_reorder_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "audit.jsonl"
    log = AuditLog(path)
    start = threading.Barrier(8)

    def write(worker: int) -> None:
        start.wait()
        for turn in range(200):
            log.tool_call({"tool": "search_docs", "action": "allow",
                           "args": {"query": f"worker {worker} " + "x" * 300}},
                          conversation_id=f"w{worker}", turn=turn, outcome="executed")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = path.read_text(encoding="utf-8").splitlines()
    trail = load_audit(path)
    assert len(lines) == 1600
    assert trail.problems == []
    assert [r.seq for r in trail.records] == list(range(1, 1601))  # file order is seq order
    for worker in range(8):
        assert [r.turn for r in trail.records if r.conversation_id == f"w{worker}"] == list(
            range(200))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_durable_log_creates_its_folders_and_an_owner_only_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "audit.jsonl"
    log = AuditLog(path, durable=True)
    log.tool_call({"tool": "t", "action": "deny"}, conversation_id="c", turn=1, outcome="denied")
    assert path.stat().st_mode & 0o077 == 0
    assert os.path.getsize(path) == len(path.read_bytes()) > 0
    assert read_audit(path)[0].type == "tool_call"


def test_explain_tells_the_chain_turn_by_turn(audit_file: Path) -> None:
    dispute = explain_conversation(read_audit(audit_file, "c-dispute"))
    lockout = explain_conversation(read_audit(audit_file, "c-lockout"))

    assert dispute.startswith("Conversation c-dispute: 1 turn(s), 3 record(s)")
    assert "- billing_dispute [runtime]" in dispute
    assert '("charged twice", message[0])' in dispute  # the reason sentence with its evidence
    assert "- issue_refund: policy.deny#risk.high.tools" in dispute
    assert "Handoff: REQUIRED (after_collect) to queue billing_disputes" in dispute
    assert "tool issue_refund: gate deny -> denied (policy.handoff_in_progress#handoff)" in dispute
    assert "handoff to queue billing_disputes, priority high: delivered" in dispute
    assert "changed mid-conversation" not in dispute

    assert lockout.index("Turn 1") < lockout.index("Turn 2") < lockout.index("- lockout [")
    assert "Handoff: not required" in lockout.split("Turn 2")[0]
    assert "handoff to queue account_access" in lockout
    assert explain_conversation(read_audit(audit_file, "c-lockout")) == lockout  # deterministic


def test_explain_notes_a_policy_change_and_shows_a_repeated_decision_once(
    audit_file: Path,
) -> None:
    first, *rest = read_audit(audit_file, "c-lockout")
    assert isinstance(first, DecisionRecord)
    again = first.model_copy(update={"seq": 99, "at": "2026-06-01T10:01:30.000+00:00"})
    changed = [r.model_copy(update={"policy_version": "sha256:new"}) for r in rest]

    text = explain_conversation([first, again, *changed])

    assert text.count("Decision:") == 2  # turn 1 once, turn 2 once
    assert text.endswith(
        f"Policy version changed mid-conversation: {first.policy_version} (from turn 1) -> "
        "sha256:new (from turn 2)"
    )


def test_conversations_lists_turns_and_last_risk(audit_file: Path) -> None:
    listed = conversations(read_audit(audit_file))
    assert [(c.conversation_id, c.turns, c.last_risk_tier) for c in listed] == [
        ("c-dispute", 1, "high"), ("c-lockout", 2, "high"), ("c-howto", 1, "low")]
    assert explain_conversation([]) == "No audit records."


# -- the command line ------------------------------------------------------------------------------


def test_cli_explains_a_recorded_conversation(
    audit_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["explain", "--audit", str(audit_file), "--conversation", "c-dispute"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.strip() == explain_conversation(read_audit(audit_file, "c-dispute"))
    assert "billing_dispute" in out


def test_cli_lists_conversations_without_an_id(
    audit_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "--audit", str(audit_file)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "c-dispute\t1 turn(s)\tlast risk high",
        "c-lockout\t2 turn(s)\tlast risk high",
        "c-howto\t1 turn(s)\tlast risk low",
    ]


def test_cli_unknown_conversation_lists_up_to_ten_known_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(12):
        log.tool_call({"tool": "t", "action": "allow"}, conversation_id=f"c{i:02}", turn=1,
                      outcome="executed")
    code = main(["explain", "--audit", str(path), "--conversation", "nope"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert "'nope'" in captured.err
    assert "c00, c01" in captured.err
    assert "c09 and 2 more" in captured.err
    assert "c10" not in captured.err


def test_cli_warns_about_corrupt_lines_and_carries_on(
    audit_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with audit_file.open("ab") as handle:
        handle.write(b"{oops\n")
    assert main(["explain", "--audit", str(audit_file), "--conversation", "c-howto"]) == 0
    captured = capsys.readouterr()
    assert "line 9: not valid JSON" in captured.err
    assert "Conversation c-howto" in captured.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "--audit", "{missing}"], "does not exist"),
        (["explain", "--conversation", "c1"], "--conversation needs --audit"),
        (["explain", "hello", "--audit", "{file}"], "messages"),
        (["explain", "--audit", "{file}", "--json"], "--json"),
        (["explain"], "at least one message"),
    ],
)
def test_cli_audit_usage_errors_exit_2(
    argv: list[str], message: str, audit_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(missing=audit_file.with_name("none.jsonl"), file=audit_file) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# -- issue 15: a failing disk never breaks a turn ----------------------------------------------


def _blocked(tmp_path: Path) -> Path:
    """A path no one can write, root included: its folder is a file (chmod does not stop root)."""
    (tmp_path / "blocker").write_text("")
    return tmp_path / "blocker" / "audit.jsonl"


@pytest.mark.parametrize("where", ["disk-full", "folder-is-a-file"])
def test_class6_a_failing_audit_file_counts_logs_once_and_spools_to_the_fallback(
    tmp_path: Path, rules_guard: Guardrail, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    path = Path("/dev/full") if where == "disk-full" else _blocked(tmp_path)
    fallback = tmp_path / "fallback.jsonl"
    log = AuditLog(path, fallback=fallback)
    with caplog.at_level(logging.WARNING, logger="guardrail.audit"):
        _dispute(log, rules_guard)  # a decision, a tool call and a handoff: none raises
    assert log.failures == 3
    assert log.dropped == 0
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert str(path) in caplog.text
    assert "4111" not in caplog.text
    assert [r.type for r in read_audit(fallback, "c-dispute")] == [
        "decision", "tool_call", "handoff"]


def test_class6_records_refused_without_a_fallback_are_written_once_the_file_recovers(
    tmp_path: Path, rules_guard: Guardrail, caplog: pytest.LogCaptureFixture
) -> None:
    path = _blocked(tmp_path)
    log = AuditLog(path, backlog=2)
    with caplog.at_level(logging.WARNING, logger="guardrail.audit"):
        _dispute(log, rules_guard)  # three records, room for two
        assert (log.failures, log.dropped) == (3, 1)
        (tmp_path / "blocker").unlink()  # the disk is back
        _play(log, rules_guard, "c-after", ["How do I add a teammate to my workspace?"])
    records = load_audit(path).records
    assert [r.type for r in records] == ["tool_call", "handoff", "decision"]  # oldest dropped
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert "writable again" in caplog.text


# -- exit events: who ended a critical segment, how and why (DESIGN principle 9) ----------------

TAKEOVER: list[str | dict[str, str]] = ["someone hacked my account and changed my email",
            {"role": "assistant", "content": "I'm passing you to a colleague."}, "ok"]


def _verified(
    guard: Guardrail, conversation_id: str = "c-takeover", why: str = "ID checked"
) -> ExitEvent:
    decision = guard.check(make_conversation(*TAKEOVER, id=conversation_id))
    assert "fraud_takeover" in decision.segment_ids(), decision.explain()
    return guard.verify(conversation_id, "fraud_takeover", by="agent", who="agent-417", why=why,
                        at=AT)


def test_class2_an_exit_event_round_trips_through_the_file_and_the_reader(
    tmp_path: Path, rules_guard: Guardrail, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    decision = rules_guard.check(make_conversation(*TAKEOVER, id="c-takeover"))
    log.decision(decision, conversation_id="c-takeover", turn=2, at=AT)
    event = rules_guard.verify("c-takeover", "fraud_takeover", by="agent", who="agent-417",
                               why="passed the ID check on a call", at=AT + timedelta(minutes=5))
    assert event.retired, "the takeover was open: the event must retire what held it"
    log.exit_event(event)
    assert log.failures == 0

    trail = load_audit(path)
    assert trail.problems == []
    [exit_record] = [r for r in trail.records if isinstance(r, ExitEventRecord)]
    assert exit_record.type == "exit_event"
    assert (exit_record.conversation_id, exit_record.segment, exit_record.kind, exit_record.by,
            exit_record.who, exit_record.why, exit_record.policy_version) == (
        event.conversation_id, event.segment, event.kind, event.by, event.who, event.why,
        event.policy_version)
    assert datetime.fromisoformat(exit_record.at) == event.at
    assert exit_record.retired == [str(r) for r in event.retired]
    assert exit_record.seq == 2

    # Listed and explained with the conversation, not counted as a turn.
    [listed] = conversations(trail.records)
    assert (listed.turns, listed.records) == (1, 2)
    text = explain_conversation(trail.records)
    assert "Ended by explicit events:" in text
    assert "fraud_takeover verified by agent agent-417" in text
    assert "passed the ID check on a call" in text
    assert str(event.retired[0]) in text
    assert main(["explain", "--audit", str(path), "--conversation", "c-takeover"]) == 0
    assert "fraud_takeover verified by agent agent-417" in capsys.readouterr().out


def test_class2_an_exit_event_s_reason_is_redacted(tmp_path: Path, rules_guard: Guardrail) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.exit_event(_verified(rules_guard, why="called back on jane@example.com, card "
                                              "4111 1111 1111 1111 confirmed"))
    raw = path.read_text(encoding="utf-8")
    assert "jane@example.com" not in raw
    assert not any(form in raw for form in CARD_FORMS)
    [record] = read_audit(path)
    assert isinstance(record, ExitEventRecord)
    assert record.who == "agent-417"  # an identifier the caller chose: kept, it is the key
    assert record.why.startswith("called back on ")
    assert "confirmed" in record.why


def test_class2_a_failing_audit_file_never_raises_on_an_exit_event(
    tmp_path: Path, rules_guard: Guardrail, caplog: pytest.LogCaptureFixture
) -> None:
    event = _verified(rules_guard)
    fallback = tmp_path / "fallback.jsonl"
    log = AuditLog(_blocked(tmp_path), fallback=fallback)
    with caplog.at_level(logging.WARNING, logger="guardrail.audit"):
        log.exit_event(event)  # the disk refuses it: counted and spooled, not raised
    assert log.failures == 1
    assert [r.type for r in read_audit(fallback)] == ["exit_event"]
    assert "ID checked" not in caplog.text  # the log names the failure, never the record

    # A record that cannot even be built (a turn below 0) is counted too, never raised.
    log = AuditLog(tmp_path / "audit.jsonl")
    log.exit_event(event, turn=-1)
    assert log.failures == 1
    assert not (tmp_path / "audit.jsonl").exists()


@pytest.mark.parametrize("adapter", ["openai", "langchain"])
def test_class2_the_adapters_verify_and_resolve_in_one_call_and_audit_it(
    tmp_path: Path, rules_guard: Guardrail, adapter: str
) -> None:
    import openai

    from guardrail.adapters.langchain import GuardrailMiddleware
    from guardrail.adapters.openai import GuardedOpenAI

    path = tmp_path / "audit.jsonl"
    wrapped: GuardedOpenAI | GuardrailMiddleware
    if adapter == "openai":  # a real client; verifying never calls the model
        client = openai.OpenAI(api_key="test", base_url="http://127.0.0.1:9/v1")
        wrapped = GuardedOpenAI(client, rules_guard, audit=path)
    else:
        wrapped = GuardrailMiddleware(rules_guard, audit=path)
    rules_guard.check(make_conversation(*TAKEOVER, id="c1"))
    rules_guard.check(make_conversation("I was charged twice for my subscription", id="c2"))

    verified = wrapped.verify("c1", "fraud_takeover", by="agent", who="agent-9",
                              why="ID checked, jane@example.com")
    resolved = wrapped.resolve("c2", "billing_dispute", by="application", who="billing-svc",
                               why="duplicate charge refunded")
    assert verified.retired
    assert resolved.retired
    after = rules_guard.check(make_conversation(*TAKEOVER, "thanks", id="c1"))
    assert "fraud_takeover" not in after.segment_ids(), after.explain()
    records = read_audit(path)
    assert [(r.type, r.conversation_id) for r in records] == [
        ("exit_event", "c1"), ("exit_event", "c2")]
    assert [r.kind for r in records if isinstance(r, ExitEventRecord)] == ["verified", "resolved"]
    assert "jane@example.com" not in path.read_text(encoding="utf-8")
    # Refused events raise as `Guardrail.verify` does, and leave no record.
    with pytest.raises(UserError):
        wrapped.verify("c1", "lockout", by="agent", who="agent-9", why="because")
    assert len(read_audit(path)) == 2
