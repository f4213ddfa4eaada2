"""The fail-closed decision is never looser than the normal one (DESIGN principle 2).

An internal failure anywhere in a turn gives a decision at least as strict as the decision the
turn would have made: allowed tools a subset, a forced handoff kept, the risk tier kept, write,
money, irreversible and data-export tools denied, a ``failsafe.*`` reason. Bad *input* is not an
internal failure: it is refused at the boundary with a `UserError` naming the field.

Faults are injected by raising at the engine's stage boundaries inside a real `Guardrail` (the
detector call, language identification, the need model, the history link, segment assignment,
the decision), once (the rebuild after the failure works) or on every call (it fails too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail import Decision, Guardrail, Registry, UserError
from guardrail.detectors.detector import safe_scan
from guardrail.testing import FailingPolicy
from tests.conftest import TODAY, make_conversation

# The catalogue has no data-export effect (export_data only reads), so the tool is named.
DATA_EXPORT = {"export_data"}
RESTRICTED_EFFECTS = {"write", "money", "irreversible"}
RISK_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}
STAGES = ("detector", "language", "need", "history", "assign", "decide")
AT = datetime(2026, 6, 1, 12, tzinfo=UTC)

MUST_HANDOFF = [
    "someone hacked my account and changed my password",
    "I was charged twice for my subscription this month",
    "There is a payment on my card I don't recognise",
    "my account is locked and I can't get in",
    "I'm going to sue you over this",
    "let me talk to a human please",
    "my card was stolen",
]
BENIGN = [
    "how do I export my invoices",
    "hi there",
    "thanks, that fixed it",
    "how do I change my plan to the annual one",
    "is the service down right now?",
    "can you send me a copy of all my data",
    "I forgot my password",
    "where is my order",
]
ASSISTANT = {"role": "assistant", "content": "Let me look into that for you."}


def denied_on_failure(registry: Registry) -> set[str]:
    """Tools a failsafe decision must deny: write, money, irreversible and data export."""
    return set(registry.tools_with_effects(RESTRICTED_EFFECTS)) | DATA_EXPORT


def assert_no_looser(failsafe: Decision, normal: Decision, registry: Registry) -> None:
    """`failsafe` is at least as strict as `normal` on every permission it carries."""
    why = f"\nFAILSAFE:\n{failsafe.explain()}\n\nNORMAL:\n{normal.explain()}"
    assert failsafe.failsafe, why
    assert any(r.code.startswith("failsafe.") for r in failsafe.reason_codes), why
    assert set(failsafe.allowed_tools) <= set(normal.allowed_tools), why
    usable = set(failsafe.allowed_tools) | set(failsafe.confirm_tools)
    assert usable <= set(normal.allowed_tools) | set(normal.confirm_tools), why
    assert failsafe.handoff.required >= normal.handoff.required, why
    assert failsafe.handoff.offered, why
    assert RISK_ORDER[failsafe.risk_tier] >= RISK_ORDER[normal.risk_tier], why
    assert not usable & denied_on_failure(registry), why


class Fault:
    """Raises instead of calling `real`: on the first call only, or on every call."""

    def __init__(self, real: Callable[..., Any], always: bool) -> None:
        self.real = real
        self.always = always
        self.raised = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.always or not self.raised:
            self.raised += 1
            raise RuntimeError("injected fault")
        return self.real(*args, **kwargs)


@contextmanager
def fault_at(guard: Guardrail, stage: str, always: bool) -> Iterator[Fault]:
    """Make `guard` fail at `stage` while the block runs."""
    with pytest.MonkeyPatch.context() as mp:
        if stage == "detector":
            # The detector's own exceptions become findings; the engine's call is the boundary.
            fault = Fault(safe_scan, always)
            mp.setattr("guardrail.engine.safe_scan", fault)
        else:
            owner, name = {
                "language": (guard._language, "identify"),
                "need": (guard._need, "read"),
                "history": (guard._history, "signals"),
                "assign": (guard._policy, "assign"),
                "decide": (guard._policy, "decide"),
            }[stage]
            fault = Fault(getattr(owner, name), always)
            mp.setattr(owner, name, fault)
        yield fault


def turns(texts: list[str], **fields: Any) -> list[dict[str, Any]]:
    """The conversation as the chatbot passes it on each user turn (assistant replies between)."""
    out = []
    messages: list[str | dict[str, str]] = []
    for text in texts:
        if messages:
            messages.append(ASSISTANT)
        messages.append(text)
        out.append(make_conversation(*messages, **fields))
    return out


def check_all(guard: Guardrail, conversations: list[dict[str, Any]]) -> Decision:
    decision = None
    for conversation in conversations:
        decision = guard.check(conversation)
    assert decision is not None
    return decision


def compare(
    registry: Registry, texts: list[str], stage: str, always: bool, signals: dict[str, int],
    with_store: bool,
) -> tuple[Decision, Decision]:
    """The normal decision of the last turn, and the one made with a fault at `stage`."""
    fields: dict[str, Any] = {"id": "conv-1", "signals": signals}
    if with_store:
        fields["context"] = {"customer_id": "cust-1"}
    conversations = turns(texts, **fields)
    for conversation in conversations:
        conversation["at"] = AT
    store = "memory://" if with_store else None
    normal = check_all(Guardrail(registry, clock=lambda: TODAY, store=store), conversations)
    guard = Guardrail(registry, clock=lambda: TODAY, store=store)
    for conversation in conversations[:-1]:
        guard.check(conversation)
    with fault_at(guard, stage, always) as fault:
        failsafe = guard.check(conversations[-1])
    assert fault.raised, f"the {stage} fault never fired"
    return normal, failsafe


# -- (a) the reported triggers are refused at the boundary -----------------------------------------


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param({"signals": {"reopened_tickets_7d": 10**308}}, "signals.reopened_tickets_7d",
                     id="int-1e308"),
        pytest.param({"signals": {"failed_guided_attempts": 10**400}},
                     "signals.failed_guided_attempts", id="int-1e400"),
        pytest.param({"signals": {"prior_escalations": 2**63}}, "signals.prior_escalations",
                     id="int-2**63"),
        pytest.param({"signals": {"minutes_since_article": 1e308}},
                     "signals.minutes_since_article", id="float-1e308"),
        pytest.param({"signals": {"minutes_since_article": float("inf")}},
                     "signals.minutes_since_article", id="float-inf"),
        pytest.param({"signals": {"last_ces": float("nan")}}, "signals.last_ces", id="nan"),
        pytest.param({"context": {"ltv": float("inf")}}, "context.ltv", id="ltv-inf"),
        pytest.param({"at": datetime(1, 1, 2, tzinfo=UTC), "context": {"customer_id": "c-1"}},
                     "at", id="at-year-1-with-store"),
        pytest.param({"at": datetime(9999, 12, 31, tzinfo=UTC)}, "at", id="at-year-9999"),
        pytest.param({"at": "1999-12-31T23:59:59+00:00"}, "at", id="at-before-2000"),
        pytest.param({"at": datetime(2099, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5)))}, "at",
                     id="at-2100-in-utc"),
    ],
)
def test_class3_reported_triggers_are_refused_clearly(
    registry: Registry, fields: dict[str, Any], named: str
) -> None:
    guard = Guardrail(registry, clock=lambda: TODAY, store="memory://")
    conversation = {**make_conversation("someone hacked my account"), **fields}
    with pytest.raises(UserError) as raised:
        guard.check(conversation)
    assert f"{named}:" in str(raised.value)


def test_the_supported_range_is_accepted(registry: Registry) -> None:
    guard = Guardrail(registry, clock=lambda: TODAY, store="memory://")
    for at in (datetime(2000, 1, 1, tzinfo=UTC), datetime(2099, 12, 31, 18, tzinfo=UTC)):
        conversation = {**make_conversation("I was charged twice"), "at": at,
                        "context": {"customer_id": "c-1"},
                        "signals": {"reopened_tickets_7d": 1_000_000}}
        decision = guard.check(conversation)
        assert not decision.failsafe, decision.explain()
        assert decision.handoff.required


def test_text_with_a_lone_surrogate_is_refused(registry: Registry) -> None:
    guard = Guardrail(registry, clock=lambda: TODAY)
    with pytest.raises(UserError, match=r"messages\[0\]\.content"):
        guard.check(make_conversation("char\ud800ged twice"))
    with pytest.raises(UserError, match=r"context\.customer_id"):
        guard.check(make_conversation("hi", context={"customer_id": "c\udc00"}))


# -- (b) an internal failure is never looser than the normal decision ------------------------------


@pytest.mark.parametrize("stage", ["assign", "decide"])
def test_class3_engine_failure_keeps_a_takeovers_handoff(
    registry: Registry, stage: str
) -> None:
    message = "someone hacked my account and changed my password"
    normal = Guardrail(registry, clock=lambda: TODAY).check(make_conversation(message))
    guard = Guardrail(registry, clock=lambda: TODAY,
                      policy=FailingPolicy(stage, RuntimeError("bug")))  # type: ignore[arg-type]
    failsafe = guard.check(make_conversation(message))
    assert normal.handoff.required
    assert normal.risk_tier == "critical"
    assert_no_looser(failsafe, normal, registry)
    assert {"lookup_invoice", "lookup_order", "export_data"} <= set(failsafe.denied_tools)
    assert "failsafe.engine_error" in {r.code for r in failsafe.reason_codes}


def test_class3_a_failure_of_the_rebuild_too_gives_the_maximal_restriction(
    registry: Registry,
) -> None:
    guard = Guardrail(registry, clock=lambda: TODAY)
    with fault_at(guard, "language", always=True):
        decision = guard.check(make_conversation("how do I export my invoices"))
    assert decision.failsafe
    assert decision.handoff.required
    assert decision.handoff.mode == "immediate"
    assert decision.risk_tier == "critical"
    assert decision.allowed_tools == []
    assert decision.confirm_tools == []
    assert {"failsafe.engine_error", "failsafe.unrecoverable"} <= {
        r.code for r in decision.reason_codes
    }


@settings(derandomize=True, max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.sampled_from(MUST_HANDOFF + BENIGN), min_size=1, max_size=3),
    stage=st.sampled_from(STAGES),
    always=st.booleans(),
    signals=st.fixed_dictionaries({
        "failed_guided_attempts": st.integers(0, 3),
        "verification_failures": st.integers(0, 1),
        "reopened_tickets_7d": st.integers(0, 2),
    }),
    with_store=st.booleans(),
)
def test_class3_failsafe_is_never_looser_than_normal(
    registry: Registry, texts: list[str], stage: str, always: bool, signals: dict[str, int],
    with_store: bool,
) -> None:
    normal, failsafe = compare(registry, texts, stage, always, signals, with_store)
    assert_no_looser(failsafe, normal, registry)


def test_class3_the_registry_failsafe_segment_denies_data_export(registry: Registry) -> None:
    failsafe = registry.segment_by_id["failsafe"]
    assert set(failsafe.tools.denied) >= DATA_EXPORT
    assert {"write", "money", "irreversible"} <= set(failsafe.tools.deny_effects)
