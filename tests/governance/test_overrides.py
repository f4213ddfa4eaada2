"""Agent overrides (issue 18 item 4): validation, each action through the engine on memory, a
real SQLite file and a real Redis server, a second worker on the same file, the holdout arm, the
tool gate, forgetting, the audit record and its explanation, the handoff summary."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail
from guardrail.adapters._turn import AuditedExits
from guardrail.audit import AuditLog, OverrideRecord, read_audit
from guardrail.audit.explain import explain_conversation
from guardrail.conversation import to_conversation
from guardrail.decision import Decision
from guardrail.errors import OverrideRefusedError, UserError
from guardrail.governance.overrides import OVERRIDE_CODE, Override
from guardrail.handoff import HandoffSummary
from guardrail.history import HistoryStore, MemoryStore, SQLiteStore, customer_key
from guardrail.history.sqlite import SCHEMA_VERSION
from guardrail.registry import Registry
from tests._servers.redis import redis_server
from tests.governance._holdout import customer_in, holdout_overlay

DISPUTE = "I want to dispute this charge, I never bought this"
TAKEOVER = "Someone changed my password and email, I did not do that, my account was hacked"
BENIGN = "How do I export my invoices to a spreadsheet?"
PHONE = "+1 555 123 4567"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis-overrides")) as server:
        yield server.url


def conv(texts: list[str], cid: str = "conv-1", customer: str | None = "cus_1") -> dict[str, Any]:
    messages: list[dict[str, str]] = []
    for n, text in enumerate(texts):
        if n:
            messages.append({"role": "assistant", "content": "Let me look into that."})
        messages.append({"role": "user", "content": text})
    out: dict[str, Any] = {"id": cid, "messages": messages}
    if customer is not None:
        out["context"] = {"customer_id": customer}
    return out


def overrides_of(decision: Decision) -> list[str]:
    return [r.rule_id for r in decision.reason_codes if r.code == OVERRIDE_CODE]


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("segment", "action", "role", "fields", "match"), [
    ("no_such_segment", "assert", "agent", {}, "not a segment"),
    ("billing_dispute", "assert", "intern", {}, "may not override"),
    ("billing_dispute", "undo", "agent", {}, "action"),
    ("failsafe", "assert", "supervisor", {}, "failsafe"),
    ("failsafe", "clear", "supervisor", {}, "failsafe"),
    ("how_to", "verify", "agent", {}, "verification"),
    ("billing_dispute", "clear", "agent", {"who": ""}, "who"),
    ("billing_dispute", "clear", "agent", {"why": "   "}, "why"),
    ("billing_dispute", "clear", "agent", {"at": datetime(2026, 1, 1)}, "at"),
])
def test_bad_overrides_are_refused_with_the_field_named(
    rules_guard: Guardrail, segment: str, action: Any, role: str, fields: dict[str, Any],
    match: str,
) -> None:
    args = {"who": "agent-7", "why": "checked", **fields}
    with pytest.raises(UserError, match=match):
        rules_guard.override("conv-1", segment, action, role=role, **args)


@pytest.mark.parametrize(("segment", "action"), [
    ("fraud_takeover", "clear"), ("safety", "clear"), ("fraud_takeover", "verify"),
])
def test_a_critical_segment_is_cleared_only_by_a_critical_role(
    rules_guard: Guardrail, registry: Registry, segment: str, action: Any
) -> None:
    roles = registry.settings.governance.overrides
    plain = next(r for r in roles.roles if r not in roles.critical_roles)
    with pytest.raises(OverrideRefusedError, match="critical") as caught:
        rules_guard.override("conv-1", segment, action, who="a", role=plain, why="checked")
    assert isinstance(caught.value, UserError)
    assert caught.value.allowed == roles.critical_roles
    made = rules_guard.override("conv-1", segment, action, who="a",
                                role=roles.critical_roles[0], why="checked")
    assert segment in made.covers


def test_a_store_needs_the_customer_the_override_is_kept_under(tmp_path: Path) -> None:
    guard = Guardrail(need_model=None, store=MemoryStore())
    with pytest.raises(UserError, match="customer_id"):
        guard.override("conv-9", "billing_dispute", "assert", who="a", role="agent", why="x")
    # A check that named the customer is enough afterwards.
    guard.check(conv([TAKEOVER], cid="conv-9"))
    made = guard.override("conv-9", "billing_dispute", "assert", who="a", role="agent", why="x")
    assert made.customer == customer_key("cus_1", None)


# -- each action, on every backend ---------------------------------------------------------------


def test_assert_puts_the_conversation_in_the_segment_with_its_reason(store: HistoryStore) -> None:
    guard = Guardrail(need_model=None, store=store)
    before = guard.check(conv([BENIGN]))
    assert "billing_dispute" not in before.segment_ids()
    assert not before.handoff.required
    made = guard.override("conv-1", "billing_dispute", "assert", who="agent-7", role="agent",
                          why=f"customer called about a chargeback from {PHONE}")
    after = guard.check(conv([BENIGN]))
    assert "billing_dispute" in after.segment_ids()
    assert after.handoff.required  # the segment's own escalation applies
    reason = next(r for s in after.segments if s.id == "billing_dispute" for r in s.reasons)
    assert (reason.code, reason.rule_id) == (OVERRIDE_CODE, "billing_dispute")
    assert "agent-7" in reason.explanation
    assert "agent" in reason.explanation
    assert PHONE not in reason.explanation
    assert "[phone]" in reason.explanation
    assert store.overrides(customer_key("cus_1", None), "conv-1") == [made]  # type: ignore[attr-defined]


def test_clear_takes_the_segment_out_until_a_later_message_reports_it_again(
    store: HistoryStore,
) -> None:
    guard = Guardrail(need_model=None, store=store)
    assert "billing_dispute" in guard.check(conv([DISPUTE])).segment_ids()
    guard.override("conv-1", "billing_dispute", "clear", who="agent-7", role="agent",
                   why="the charge was a pending authorisation")
    cleared = guard.check(conv([DISPUTE]))
    assert "billing_dispute" not in cleared.segment_ids()
    assert overrides_of(cleared) == ["billing_dispute"]
    quiet = guard.check(conv([DISPUTE, "ok thanks"]))
    assert "billing_dispute" not in quiet.segment_ids()
    again = guard.check(conv([DISPUTE, "ok thanks", DISPUTE]))
    assert "billing_dispute" in again.segment_ids()
    assert overrides_of(again) == []


def test_verify_ends_every_segment_an_agents_verification_ends(store: HistoryStore) -> None:
    guard = Guardrail(need_model=None, store=store)
    before = guard.check(conv([TAKEOVER]))
    assert {"fraud_takeover", "billing_dispute"} <= set(before.segment_ids())
    made = guard.override("conv-1", "fraud_takeover", "verify", who="sec-1", role="security",
                          why="passed step-up verification")
    ended = {s.id for s in guard.registry.segments if "agent" in s.exit.verified_by}
    assert set(made.covers) == ended
    after = guard.check(conv([TAKEOVER]))
    assert not ended & set(after.segment_ids())
    assert "fraud_takeover" in overrides_of(after)
    assert {r.code for r in after.reason_codes} >= {"exit.verified", OVERRIDE_CODE}


def test_the_latest_override_of_a_segment_wins(rules_guard: Guardrail) -> None:
    rules_guard.check(conv([DISPUTE], customer=None))
    t0 = datetime.now(UTC)
    rules_guard.override("conv-1", "billing_dispute", "clear", who="a", role="agent", why="x",
                         at=t0)
    rules_guard.override("conv-1", "billing_dispute", "assert", who="b", role="supervisor",
                         why="y", at=t0 + timedelta(minutes=1))
    assert "billing_dispute" in rules_guard.check(conv([DISPUTE], customer=None)).segment_ids()


# -- workers, restarts, forgetting ---------------------------------------------------------------


def test_a_second_worker_on_the_same_file_honours_the_override(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    first = Guardrail(need_model=None, store=url)
    first.check(conv([DISPUTE]))
    first.override("conv-1", "billing_dispute", "clear", who="a", role="agent", why="checked")
    first.close()
    second = Guardrail(need_model=None, store=url)
    assert "billing_dispute" not in second.check(conv([DISPUTE, "ok"])).segment_ids()
    assert "billing_dispute" in second.check(conv([DISPUTE, "ok", DISPUTE])).segment_ids()
    second.close()
    # A third worker reads the whole conversation at once: the report after the override
    # still brings the segment back (what the override covers was stored with it).
    third = Guardrail(need_model=None, store=url)
    assert "billing_dispute" in third.check(conv([DISPUTE, "ok", DISPUTE])).segment_ids()
    third.close()


def test_forget_customer_deletes_the_overrides(store: HistoryStore) -> None:
    guard = Guardrail(need_model=None, store=store)
    guard.check(conv([DISPUTE]))
    guard.override("conv-1", "billing_dispute", "clear", who="a", role="agent", why="checked")
    key = customer_key("cus_1", None)
    assert len(store.overrides(key, "conv-1")) == 1  # type: ignore[attr-defined]
    assert guard.forget_customer("cus_1") >= 1
    assert store.overrides(key, "conv-1") == []  # type: ignore[attr-defined]
    fresh = Guardrail(need_model=None, store=store)
    assert "billing_dispute" in fresh.check(conv([DISPUTE])).segment_ids()


def test_retention_purges_overrides(store: HistoryStore) -> None:
    old = Override(conversation_id="conv-1", customer="k", segment="how_to", action="assert",
                   who="a", role="agent", why="x", at=datetime.now(UTC) - timedelta(days=30),
                   policy_version="v")
    new = old.model_copy(update={"override_id": "new", "at": datetime.now(UTC)})
    store.record_override(old)  # type: ignore[attr-defined]
    store.record_override(new)  # type: ignore[attr-defined]
    assert store.purge(datetime.now(UTC) - timedelta(days=1)) == 1
    assert [o.override_id for o in store.overrides("k", "conv-1")] == ["new"]  # type: ignore[attr-defined]


# -- both arms; the gate -------------------------------------------------------------------------


def test_the_holdout_arm_honours_overrides(tmp_path: Path) -> None:
    registry = Registry.load(holdout_overlay(tmp_path))
    customer = customer_in(registry, "holdout")
    guard = Guardrail(registry, need_model=None)
    assert guard.check(conv([DISPUTE], customer=customer)).arm == "holdout"
    guard.override("conv-1", "billing_dispute", "clear", who="a", role="agent", why="checked")
    cleared = guard.check(conv([DISPUTE], customer=customer))
    assert cleared.arm == "holdout"
    assert "billing_dispute" not in cleared.segment_ids()
    # A friction segment the holdout would set aside acts when an agent asserts it.
    guard.override("conv-1", "high_effort", "assert", who="a", role="agent", why="long case")
    asserted = guard.check(conv([DISPUTE], customer=customer))
    assert "high_effort" in asserted.segment_ids()
    assert "high_effort" not in asserted.held_out


def test_an_override_never_loosens_the_baseline_or_risk_tier_tool_policies(
    rules_guard: Guardrail, registry: Registry
) -> None:
    before = rules_guard.check(conv([TAKEOVER], customer=None))
    rules_guard.override("conv-1", "fraud_takeover", "clear", who="s", role="security",
                         why="false alarm")
    after = rules_guard.check(conv([TAKEOVER], customer=None))
    assert "fraud_takeover" not in after.segment_ids()
    assert after.risk_tier == before.risk_tier == "critical"  # the findings still stand
    settings = registry.settings
    floor = [settings.baseline_tools, *(p for tier, p in settings.risk_tools.items()
                                        if tier == after.risk_tier)]
    verdict = {t.tool: t.verdict for t in after.tools}
    for tool in registry.tools.values():
        for policy in floor:
            if tool.name in policy.denied or set(tool.effects) & set(policy.deny_effects):
                assert verdict[tool.name] == "deny", tool.name
            elif tool.name in policy.confirm or set(tool.effects) & set(policy.confirm_effects):
                assert verdict[tool.name] in ("confirm", "deny"), tool.name


# -- audit, explain, summary, adapters -----------------------------------------------------------


def test_the_override_is_audited_redacted_and_explained(
    rules_guard: Guardrail, tmp_path: Path
) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    rules_guard.check(conv([DISPUTE], customer=None))

    class Desk(AuditedExits):
        def __init__(self) -> None:
            self.guard, self.audit = rules_guard, audit

    made = Desk().override("conv-1", "billing_dispute", "clear", who="agent-7", role="agent",
                           why=f"called the customer back on {PHONE}")
    records = read_audit(audit.path)
    assert len(records) == 1
    assert isinstance(records[0], OverrideRecord)
    record = records[0]
    assert (record.segment, record.action, record.who, record.role) == (
        "billing_dispute", "clear", "agent-7", "agent")
    assert PHONE not in record.why
    assert record.why == made.why
    assert record.policy_version == rules_guard.registry.version
    text = explain_conversation(records)
    assert "Overridden by agents" in text
    assert "clear billing_dispute by agent agent-7" in text


def test_the_handoff_summary_lists_the_overrides_redacted(rules_guard: Guardrail) -> None:
    rules_guard.check(conv([BENIGN], customer=None))
    rules_guard.override("conv-1", "legal_threat", "assert", who="agent-7", role="supervisor",
                         why=f"customer threatened to sue on the phone {PHONE}")
    conversation = conv([BENIGN], customer=None)
    decision = rules_guard.check(conversation)
    assert decision.handoff.required
    summary = HandoffSummary.build(decision, to_conversation(conversation))
    assert len(summary.overrides) == 1
    note = summary.overrides[0]
    for part in ("assert", "legal_threat", "agent-7", "supervisor", "threatened to sue"):
        assert part in note
    assert PHONE not in note
    markdown = summary.to_markdown()
    assert "### Agent overrides" in markdown
    assert "agent-7" in markdown
    assert PHONE not in markdown


def test_without_a_store_overrides_live_in_the_process(tmp_path: Path) -> None:
    guard = Guardrail(need_model=None)
    guard.check(conv([DISPUTE]))
    guard.override("conv-1", "billing_dispute", "clear", who="a", role="agent", why="ok")
    guard.forget_conversation("conv-1")  # a rescan still honours it
    assert "billing_dispute" not in guard.check(conv([DISPUTE])).segment_ids()
    other = Guardrail(need_model=None, store=SQLiteStore(tmp_path / "h.db"))
    assert "billing_dispute" in other.check(conv([DISPUTE])).segment_ids()


def test_a_version_3_sqlite_file_gains_the_overrides_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE overrides")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    made = Override(conversation_id="conv-1", customer="k", segment="how_to", action="assert",
                    who="a", role="agent", why="x", at=datetime.now(UTC), policy_version="v")
    with SQLiteStore(path) as store:
        store.record_override(made)
        assert store.overrides("k", "conv-1") == [made]
        assert store.overrides("k", "conv-2") == []
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
