"""Tools declared from Python: merged into the catalogue, gated like shipped ones, checked."""

from __future__ import annotations

import logging

import pytest

from guardrail import Guardrail, MissingCustomerError, Registry, ToolSpec, UndeclaredToolError
from guardrail.adapters._declared import check_customer, check_declared, declare, on_problem
from guardrail.errors import UserError
from tests.conftest import make_conversation

BOOK = ToolSpec(name="book_flight", description="Book a flight for the customer.",
                effects=["money"], customer_args=["customer_id"])
WEATHER = ToolSpec(name="weather_at", description="Read the weather at an airport.",
                   effects=["read"])


def test_with_tools_adds_replaces_and_changes_the_version(registry: Registry) -> None:
    merged = registry.with_tools([BOOK])
    assert merged.tools["book_flight"] == BOOK
    assert "book_flight" not in registry.tools, "the original registry is unchanged"
    assert merged.version != registry.version
    assert registry.with_tools([BOOK]).version == merged.version, "same tools, same hash"
    assert registry.with_tools([WEATHER]).version != merged.version
    narrower = ToolSpec(name="issue_refund", description="Refund.", effects=["read"])
    assert registry.with_tools([narrower]).tools["issue_refund"].effects == ["read"]
    assert registry.with_tools([]) is registry


def test_a_declared_tool_is_shown_and_gated_by_its_effects(registry: Registry) -> None:
    guard = Guardrail(registry)
    ask = make_conversation("what is the status of my order?",
                            context={"customer_id": "cus_1"})
    before = guard.check(ask)
    assert before.verdict("weather_at").verdict == "deny"
    assert "policy.unknown_tool" in [r.code for r in before.verdict("weather_at").reasons]
    guard.declare_tools([BOOK, WEATHER])
    after = guard.check(ask)
    assert after.policy_version == guard.registry.version != before.policy_version
    assert after.verdict("weather_at").verdict == "allow"
    assert "policy.unknown_tool" not in [r.code for r in after.verdict("book_flight").reasons]


def test_declared_tools_survive_a_reload(registry: Registry) -> None:
    guard = Guardrail()  # built from the shipped folder, so it can reload it
    guard.declare_tools([BOOK])
    version = guard.registry.version
    assert guard.reload_registry()
    assert "book_flight" in guard.registry.tools
    assert guard.registry.version == version


def test_undeclared_tools_raise_with_the_fix_or_warn(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    guard = Guardrail(registry)
    with pytest.raises(UndeclaredToolError) as raised:
        check_declared(guard, ["lookup_order", "book_flight", "zap"], "error")
    assert raised.value.tools == ["book_flight", "zap"]
    assert "ToolSpec(" in str(raised.value)
    assert "undeclared='warn'" in str(raised.value)
    with caplog.at_level(logging.WARNING, logger="guardrail"):
        assert check_declared(guard, ["zap"], "warn") == ["zap"]
    assert "zap" in caplog.text
    declare(guard, [BOOK, "not a spec"])
    assert check_declared(guard, ["lookup_order", "book_flight"], "error") == []


def test_customer_bound_tools_without_a_customer(registry: Registry) -> None:
    guard = Guardrail(registry)
    with pytest.raises(MissingCustomerError) as raised:
        check_customer(guard, ["search_docs", "lookup_invoice", "zap"], None, "error")
    assert raised.value.tools == ["lookup_invoice"]
    assert "customer_id" in str(raised.value)
    assert check_customer(guard, ["lookup_invoice"], "cus_1", "error") == []
    assert check_customer(guard, ["search_docs"], None, "error") == []


def test_the_mode_is_checked() -> None:
    assert on_problem("warn", "undeclared") == "warn"
    with pytest.raises(UserError, match="undeclared must be"):
        on_problem("ignore", "undeclared")
