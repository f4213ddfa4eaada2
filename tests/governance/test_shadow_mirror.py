"""What a person does on the live engine reaches the shadow engine too.

An agent who verifies a customer, resolves a case or overrides a segment acts on the live
`Guardrail`; without the same act the shadow would keep the takeover or the dispute it no longer
has, and report a difference on every later turn of that conversation that is only the live
engine knowing something the shadow was never told. `forget_customer` must reach the shadow's
in-process memory too (purpose-bound data: nothing of a forgotten customer stays).
"""

from __future__ import annotations

from pathlib import Path

from guardrail import Guardrail
from guardrail.audit import load_audit
from guardrail.audit.record import ShadowRecord
from guardrail.registry import Registry

TAKEOVER = "someone got into my account and changed my password, I did not do this"
DISPUTE = "I was charged twice for the same order, I want my money back"


def _conv(*texts: str, cid: str = "m-1") -> dict[str, object]:
    return {"id": cid, "context": {"customer_id": "cus_m"},
            "messages": [{"role": "user", "content": t} for t in texts]}


def _shadow_records(path: Path) -> list[ShadowRecord]:
    if not path.exists():
        return []
    return [r for r in load_audit(path).records if isinstance(r, ShadowRecord)]


def test_a_verification_on_the_live_engine_ends_the_segment_in_the_shadow(tmp_path: Path) -> None:
    log = tmp_path / "shadow.jsonl"
    guard = Guardrail(need_model=None, shadow=Registry.default(), shadow_audit=log)
    first = guard.check(_conv(TAKEOVER))
    assert "fraud_takeover" in first.segment_ids()
    guard.verify("m-1", "fraud_takeover", by="agent", who="agent-7", why="ID checked on a call")
    after = guard.check(_conv(TAKEOVER, "thanks, what now?"))
    assert "fraud_takeover" not in after.segment_ids()
    assert guard.shadow is not None
    assert guard.shadow.failures == 0
    assert _shadow_records(log) == []  # same registry, same acts: nothing differs


def test_an_override_on_the_live_engine_is_honoured_by_the_shadow(tmp_path: Path) -> None:
    log = tmp_path / "shadow.jsonl"
    guard = Guardrail(need_model=None, shadow=Registry.default(), shadow_audit=log)
    guard.check(_conv(DISPUTE))
    guard.override("m-1", "billing_dispute", "clear", who="agent-7", role="supervisor",
                   why="duplicate charge already refunded", customer_id="cus_m")
    after = guard.check(_conv(DISPUTE, "ok, thanks"))
    assert "billing_dispute" not in after.segment_ids()
    assert _shadow_records(log) == []


def test_forgetting_a_customer_reaches_the_shadows_memory(tmp_path: Path) -> None:
    guard = Guardrail(need_model=None, shadow=Registry.default(),
                      store=f"sqlite:///{tmp_path / 'h.db'}")
    guard.check(_conv(TAKEOVER))
    assert guard.shadow is not None
    checker = guard.shadow.checker
    assert isinstance(checker, Guardrail)
    assert checker._memory.get("m-1") is not None  # the shadow remembers the takeover
    guard.forget_customer("cus_m")
    assert checker._memory.get("m-1") is None
