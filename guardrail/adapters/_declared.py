"""The agent's tools against the tool catalogue, checked where an adapter is built.

A tool the catalogue lacks is hidden from the model and every call to it denied
(``policy.unknown_tool``); a customer-bound tool in a session without a customer is denied on
every call. Both are correct fail-closed behaviour and both used to happen silently. The adapters
call `declare` with the tools they were given (declaring any `ToolSpec` among them) and then
`undeclared` / `customer_missing`, which raise a typed error naming the tools and the fix, or log
a warning, as the caller chose.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

from guardrail.engine import Guardrail
from guardrail.errors import MissingCustomerError, UndeclaredToolError, UserError
from guardrail.registry.schema import ToolSpec

__all__ = ["OnProblem", "check_customer", "check_declared", "declare", "on_problem"]

_log = logging.getLogger("guardrail")

OnProblem = Literal["error", "warn"]


def on_problem(value: str, what: str) -> OnProblem:
    """`value` as an `OnProblem`, or a `UserError` naming the argument."""
    if value == "error":
        return "error"
    if value == "warn":
        return "warn"
    raise UserError(f"{what} must be 'error' or 'warn', not {value!r}")


def declare(guard: Guardrail, tools: Iterable[ToolSpec | object]) -> None:
    """Declare every `ToolSpec` among `tools` in `guard`'s catalogue."""
    specs = [tool for tool in tools if isinstance(tool, ToolSpec)]
    if specs:
        guard.declare_tools(specs)


def check_declared(guard: Guardrail, names: Iterable[str], mode: OnProblem) -> list[str]:
    """The names among `names` the catalogue lacks; raised (``error``) or logged (``warn``)."""
    missing = sorted({name for name in names if name not in guard.registry.tools})
    if missing:
        error = UndeclaredToolError(missing)
        if mode == "error":
            raise error
        _log.warning("%s", error)
    return missing


def check_customer(
    guard: Guardrail, names: Iterable[str], customer_id: str | None, mode: OnProblem
) -> list[str]:
    """The customer-bound tools among `names` when there is no `customer_id`; raised or logged."""
    if customer_id:
        return []
    bound = guard.registry.customer_bound(names)
    if bound:
        error = MissingCustomerError(bound)
        if mode == "error":
            raise error
        _log.warning("%s", error)
    return bound
