"""Tools declared from Python: merged into the catalogue, gated like shipped ones, checked."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from guardrail import Guardrail, MissingCustomerError, Registry, ToolSpec, UndeclaredToolError
from guardrail._resources import default_registry_dir
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
    stricter = ToolSpec(name="issue_refund", description="Refund.", effects=["money", "write"],
                        customer_args=["customer_id", "account_id"])
    assert registry.with_tools([stricter]).tools["issue_refund"] == stricter
    assert registry.with_tools([]) is registry


@pytest.mark.parametrize(("spec", "dropped"), [
    # A refund declared as a read would pass every rule that denies money.
    ({"effects": ["read"], "customer_args": ["customer_id"]}, "effect 'money'"),
    # One without its binding would refund any customer the model names.
    ({"effects": ["money"]}, "customer_args 'customer_id'"),
])
def test_a_declared_tool_cannot_loosen_the_catalogue_tool_it_replaces(
    registry: Registry, spec: dict[str, list[str]], dropped: str
) -> None:
    assert registry.tools["issue_refund"].effects == ["money"]
    assert registry.tools["issue_refund"].customer_args == ["customer_id"]
    looser = ToolSpec(name="issue_refund", description="Refund.", **spec)
    with pytest.raises(UserError, match=dropped):
        registry.with_tools([looser])
    guard = Guardrail(registry)
    with pytest.raises(UserError, match="issue_refund"):
        guard.declare_tools([looser])
    assert guard.registry.tools["issue_refund"] == registry.tools["issue_refund"]
    assert guard.registry.version == registry.version  # nothing of it was taken


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


def test_a_reload_whose_catalogue_a_declared_tool_would_loosen_is_refused(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "registry"
    shutil.copytree(default_registry_dir(), folder)
    guard = Guardrail(folder)
    guard.declare_tools([BOOK])
    version = guard.registry.version
    tools = folder / "20-tools.yaml"
    tools.write_text(tools.read_text("utf-8") + (
        "  - {name: book_flight, description: Book a flight., effects: [money, irreversible],"
        " customer_args: [customer_id]}\n"), "utf-8")
    assert guard.reload_registry() is False
    assert guard.registry_error is not None
    assert "book_flight" in str(guard.registry_error)
    assert guard.registry.version == version, "the policy in force stays"
