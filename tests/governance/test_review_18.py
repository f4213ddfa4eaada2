"""Governance on live traffic under attack: stored overrides judged again under the registry,
a stored override that claims more messages than the conversation has, agent ids and reasons
that would forge lines or carry personal data, and the holdout arm and shadow when a part
fails (they stay at least as strict as the live policy and never change the live decision)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from guardrail import Guardrail
from guardrail._resources import default_registry_dir
from guardrail.conversation import to_conversation
from guardrail.errors import UserError
from guardrail.governance.overrides import OVERRIDE_CODE, Override, OverrideBook
from guardrail.handoff import HandoffSummary
from guardrail.history import HistoryStore, customer_key
from guardrail.reasons import ReasonCode
from guardrail.registry import Registry
from guardrail.testing import FailingPolicy
from tests._servers.redis import redis_server
from tests.governance._holdout import customer_in, holdout_overlay
from tests.governance.test_overrides import DISPUTE, TAKEOVER, conv


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis-review")) as server:
        yield server.url


def stored(segment: str, action: Any, role: str, covers: list[str], **extra: Any) -> Override:
    """An override as a store could hold it, written without `Guardrail.override`."""
    return Override(conversation_id="conv-1", customer=customer_key("cus_1", None),
                    segment=segment, action=action, covers=covers, who="a-1", role=role,
                    why="written to the store directly", at=datetime.now(UTC),
                    policy_version="v", **extra)


# -- stored overrides are judged again ---------------------------------------------------------


@pytest.mark.parametrize(("action", "role", "covers"), [
    ("clear", "agent", ["fraud_takeover"]),  # a role that may not clear a critical segment
    ("clear", "intern", ["fraud_takeover"]),  # a role the registry does not list
    ("verify", "agent", ["fraud_takeover", "billing_dispute", "failsafe"]),
    ("clear", "supervisor", ["fraud_takeover", "failsafe"]),  # covers beyond its segment
])
def test_a_stored_override_never_clears_more_than_the_registry_lets_its_role(
    store: HistoryStore, registry: Registry, action: Any, role: str, covers: list[str]
) -> None:
    guard = Guardrail(need_model=None, store=store)
    before = guard.check(conv([TAKEOVER]))
    assert "fraud_takeover" in before.segment_ids()
    store.record_override(stored("fraud_takeover", action, role, covers))  # type: ignore[attr-defined]
    fresh = Guardrail(need_model=None, store=store)  # reads the record with the history
    after = fresh.check(conv([TAKEOVER]))
    critical_roles = registry.settings.governance.overrides.critical_roles
    # What may go: only a clear by a critical role, of the segment it names.
    may_go = {"fraud_takeover"} if action == "clear" and role in critical_roles else set()
    assert set(before.segment_ids()) - may_go <= set(after.segment_ids())
    assert after.risk_tier == before.risk_tier
    assert after.handoff.required


def test_a_stored_override_is_judged_under_the_registry_in_force(tmp_path: Path) -> None:
    """A registry reload that takes a role out of critical_roles ends its clears of critical
    segments (a clear is honoured only while the role may make it)."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    live = Guardrail(need_model=None, store=url)
    live.check(conv([TAKEOVER]))
    live.override("conv-1", "fraud_takeover", "clear", who="s-1", role="security", why="ok")
    assert "fraud_takeover" not in live.check(conv([TAKEOVER, "thanks"])).segment_ids()
    live.close()
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "00-overlay.yaml").write_text(
        "extends: default\nsettings:\n  governance:\n    overrides:\n"
        "      critical_roles: [supervisor]\n", encoding="utf-8")
    narrower = Guardrail(Registry.load(folder), need_model=None, store=url)
    assert "fraud_takeover" in narrower.check(conv([TAKEOVER, "thanks"])).segment_ids()
    narrower.close()


def test_verify_never_covers_a_failsafe_segment(tmp_path: Path) -> None:
    """A registry whose failsafe segment an agent may verify (a full registry can say so; an
    overlay cannot): an agent's verification still never takes a conversation out of it."""
    folder = tmp_path / "reg"
    shutil.copytree(default_registry_dir(), folder)
    path = folder / "40-segments-failsafe.yaml"
    text = path.read_text(encoding="utf-8")
    exit_at = text.index("    exit:\n")
    routing_at = text.index("    routing:", exit_at)
    path.write_text(text[:exit_at] + "    exit:\n      description: An agent may verify it.\n"
                    "      verified_by: [agent]\n" + text[routing_at:], encoding="utf-8")
    registry = Registry.load(folder)
    failsafe = {s.id for s in registry.segments if s.tier == "failsafe"}
    assert failsafe
    assert all("agent" in registry.segment_by_id[s].exit.verified_by for s in failsafe)
    guard = Guardrail(registry, need_model=None)
    made = guard.override("conv-1", "billing_dispute", "verify", who="s-1", role="supervisor",
                          why="verified")
    assert "billing_dispute" in made.covers
    assert not failsafe & set(made.covers)


def test_a_stored_through_beyond_the_conversation_reads_only_its_messages(
    registry: Registry,
) -> None:
    """`through` comes from the store; binding it walks the conversation's messages only."""
    book = OverrideBook()
    made = stored("billing_dispute", "clear", "agent", ["billing_dispute"], through=10**6)
    book.add([made])
    calls: list[int] = []
    messages = 3

    def print_of(index: int) -> int | None:
        calls.append(index)
        return index if index < messages else None

    reason = ReasonCode(code="risk.billing_dispute", rule_id="r", source="0", explanation="x")
    applied = book.apply(registry, {"billing_dispute": [reason]}, {}, messages, print_of)
    assert "billing_dispute" not in applied.active
    assert len(calls) <= messages + 1


# -- what an override writes where it is shown --------------------------------------------------


@pytest.mark.parametrize("who", [
    "agent-7\nFAKE: cleared by supervisor", "agent\x00-7", "Jane Doe", "jane.doe@example.com",
    "agent-7\u202e",
])
def test_who_must_be_an_identifier(rules_guard: Guardrail, who: str) -> None:
    with pytest.raises(UserError, match="who"):
        rules_guard.override("conv-1", "billing_dispute", "assert", who=who, role="agent",
                             why="checked")


def test_a_role_a_store_record_carries_is_held_to_the_same_rule() -> None:
    with pytest.raises(UserError, match="role"):
        stored("billing_dispute", "assert", "agent\nsupervisor", [])


def test_why_stays_one_line_and_redacted_on_every_surface(rules_guard: Guardrail) -> None:
    rules_guard.check(conv([DISPUTE]))
    made = rules_guard.override(
        "conv-1", "billing_dispute", "assert", who="agent-7", role="agent",
        why="called back\non +1 555 123 4567\x00\r\n- FAKE: cleared by supervisor " + "x" * 5000)
    assert "555 123 4567" not in made.why
    assert all(ch.isprintable() for ch in made.why)
    decision = rules_guard.check(conv([DISPUTE]))
    shown = [r.explanation for r in decision.reason_codes if r.code == OVERRIDE_CODE]
    assert shown
    assert all("\n" not in line and "\x00" not in line for line in shown)
    summary = HandoffSummary.build(decision, to_conversation(conv([DISPUTE])))
    listed = [n for n in summary.overrides if "FAKE" in n]
    assert listed
    assert all("\n" not in n for n in listed)
    markdown = summary.to_markdown()
    assert not any(line.startswith("- FAKE") for line in markdown.splitlines())


# -- the holdout arm when a part fails ----------------------------------------------------------


def test_a_failing_policy_in_the_holdout_arm_fails_closed(tmp_path: Path) -> None:
    registry = Registry.load(holdout_overlay(tmp_path))
    customer = customer_in(registry, "holdout")
    served = Guardrail(registry, need_model=None).check(conv([DISPUTE], customer=customer))
    assert served.arm == "holdout"
    assert served.handoff.required
    failing = Guardrail(registry, need_model=None, policy=FailingPolicy("decide"))
    decision = failing.check(conv([DISPUTE], customer=customer))
    assert decision.failsafe
    assert decision.arm == "holdout"
    assert decision.handoff.required
    looser = {"allow": 0, "confirm": 1, "deny": 2}
    held = {v.tool: looser[v.verdict] for v in served.tools}
    assert all(looser[v.verdict] >= held[v.tool] for v in decision.tools)


# -- the shadow on a path it cannot write ------------------------------------------------------


def test_a_shadow_audit_log_that_cannot_be_written_never_reaches_the_live_turn(
    tmp_path: Path, registry: Registry
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the log's folder should be", encoding="utf-8")
    candidate = tmp_path / "cand"
    candidate.mkdir()
    (candidate / "00-overlay.yaml").write_text(
        "extends: default\nsettings:\n  governance:\n    holdout:\n      share: 0.1\n",
        encoding="utf-8")
    plain = Guardrail(registry, need_model=None)
    guard = Guardrail(registry, need_model=None, shadow=candidate,
                      shadow_audit=blocked / "shadow.jsonl")
    for cid in ("a", "b", None):
        turn = conv([DISPUTE], cid=cid) if cid else {"messages": [
            {"role": "user", "content": DISPUTE}]}
        assert guard.check(turn) == plain.check(turn)


def test_an_override_dated_in_the_future_is_refused() -> None:
    # The latest override of a segment wins: one dated ahead would pin itself over later ones.
    from datetime import UTC, datetime, timedelta

    from guardrail import Guardrail
    from guardrail.errors import UserError

    guard = Guardrail(need_model=None)
    guard.check({"id": "f-1", "messages": [{"role": "user", "content": "I was charged twice"}]})
    with pytest.raises(UserError, match="future"):
        guard.override("f-1", "billing_dispute", "clear", who="agent-7", role="agent",
                       why="refunded", at=datetime.now(UTC) + timedelta(days=30))
    made = guard.override("f-1", "billing_dispute", "clear", who="agent-7", role="agent",
                          why="refunded", at=datetime.now(UTC) + timedelta(minutes=1))
    assert made.segment == "billing_dispute"
