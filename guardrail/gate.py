"""The tool-call gate every adapter shares: allow, ask for confirmation, or deny, with reasons.

A decision says which tools a turn may use; this module applies it to one concrete call. It is
the real gate: a model may call a tool it was never shown, so every call is checked here again
before it runs. Identifier arguments named in the tool catalogue (`customer_args`) are bound to
the session's customer: filled in when absent, and the call denied when they name someone else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardrail.decision import Decision, Verdict
from guardrail.reasons import ADAPTER_CODES, ReasonCode
from guardrail.redact import redact
from guardrail.registry import Registry

__all__ = ["CallCheck", "check_tool_call", "parse_arguments"]


@dataclass(frozen=True, slots=True)
class CallCheck:
    """The gate's answer for one tool call.

    Attributes:
        tool: the tool name as the model called it.
        action: ``allow`` (run it), ``confirm`` (run only after explicit approval) or ``deny``.
        args: the arguments to run it with, customer identifiers bound to the session.
        reasons: why; the first one is the gate's own code, then the decision's reasons.
        bound: the argument names filled in from the session.
    """

    tool: str
    action: Verdict
    args: dict[str, Any]
    reasons: tuple[ReasonCode, ...] = ()
    bound: tuple[str, ...] = field(default=())

    @classmethod
    def allow(
        cls,
        tool: str,
        args: dict[str, Any],
        *,
        reasons: Sequence[ReasonCode] = (),
        bound: Sequence[str] = (),
        code: str = "",
        rule_id: str = "decision",
    ) -> CallCheck:
        """Run the call.

        Args:
            tool: the tool name as the model called it.
            args: the arguments to run it with.
            reasons: the decision's reasons for the tool.
            bound: the argument names filled in from the session.
            code: a gate code saying why it may run after all (``policy.confirmed``), put first.
            rule_id: the rule id of that code's reason.
        """
        own = (_reason(code, rule_id),) if code else ()
        return cls(tool, "allow", args, (*own, *reasons), tuple(bound))

    @classmethod
    def confirm(cls, tool: str, args: dict[str, Any], *, reasons: Sequence[ReasonCode] = (),
                bound: Sequence[str] = ()) -> CallCheck:
        """Run the call only after explicit approval; arguments as for `allow`.

        Its first reason is the gate's ``policy.confirmation_required``, then `reasons`.
        """
        own = _reason("policy.confirmation_required", "decision")
        return cls(tool, "confirm", args, (own, *reasons), tuple(bound))

    @classmethod
    def deny(
        cls,
        code: str | ReasonCode,
        tool: str,
        args: dict[str, Any],
        *,
        rule_id: str = "tool_call",
        detail: str = "",
        evidence: str = "",
        reasons: Sequence[ReasonCode] = (),
        bound: Sequence[str] = (),
    ) -> CallCheck:
        """Refuse the call, `code` first among its reasons.

        Args:
            code: the gate's code (``policy.tool_denied`` ...), or a reason already made (the
                decision's own ``policy.unknown_tool``), used as it is.
            tool: the tool name as the model called it.
            args: the arguments it was called with (empty when they were not an object).
            rule_id: the rule id of the gate's reason.
            detail: added to the code's sentence, in parentheses.
            evidence: the redacted value that caused it.
            reasons: the reasons that follow the gate's own (the decision's).
            bound: the argument names filled in from the session.
        """
        own = code if isinstance(code, ReasonCode) else _reason(code, rule_id, detail, evidence)
        return cls(tool, "deny", args, (own, *reasons), tuple(bound))

    @property
    def code(self) -> str:
        """The gate's reason code (``policy.tool_denied`` ...), or ``""`` for an allow."""
        return self.reasons[0].code if self.reasons and self.action != "allow" else ""

    def explanation(self) -> str:
        """One plain sentence saying why the call was not simply allowed."""
        if self.action == "allow" or not self.reasons:
            return "allowed"
        return self.reasons[0].explanation

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready record of this verdict (argument values redacted), for state and logs."""
        return {
            "tool": self.tool,
            "action": self.action,
            "reason_codes": [str(r) for r in self.reasons],
            "bound": list(self.bound),
            "args": {k: redact(json.dumps(v, default=str), 80) for k, v in self.args.items()},
        }


def _reason(code: str, rule_id: str, detail: str = "", evidence: str = "") -> ReasonCode:
    text = ADAPTER_CODES[code]
    return ReasonCode(
        code=code,
        rule_id=rule_id,
        evidence=evidence,
        source="tool_call",
        explanation=f"{text} ({detail})" if detail else text,
    )


# Argument names that identify a customer, compared without case or separators: another
# customer's id under any of them, at any depth, is a call about someone else.
_CUSTOMER_KEYS = frozenset({
    "customer", "customerid", "customerkey", "customerref", "client", "clientid", "account",
    "accountid", "accountholder", "user", "userid", "member", "memberid", "subscriber",
    "subscriberid", "onbehalfof", "forcustomer", "owner", "ownerid",
})
_MAX_DEPTH = 8


def _norm_key(key: object) -> str:
    return "".join(ch for ch in str(key).lower() if ch.isalnum())


def _foreign_customer(
    args: Mapping[str, Any], bound: set[str], customer_id: str | None, depth: int = 0,
    path: str = "",
) -> tuple[str, Any] | None:
    """The first argument (path, value) that names a customer other than the session's.

    Top-level `bound` arguments are checked by the binding itself; everything else that is
    keyed like a customer id (``customer``, ``customerId``, ``account.customer_id``,
    ``on_behalf_of``...) must be the session's customer. Too deep a nesting is refused too.
    """
    if depth > _MAX_DEPTH:
        return path or "(arguments)", "(nested too deeply)"
    for key, value in args.items():
        where = f"{path}.{key}" if path else str(key)
        if depth == 0 and key in bound:
            continue
        if isinstance(value, Mapping):
            found = _foreign_customer(value, bound, customer_id, depth + 1, where)
            if found is not None:
                return found
            continue
        if _norm_key(key) in _CUSTOMER_KEYS or (depth > 0 and key in bound):
            if isinstance(value, str | int) and not isinstance(value, bool):
                if customer_id is None or str(value) != customer_id:
                    return where, value
            elif value is not None:
                return where, value
    return None


def parse_arguments(raw: Any) -> dict[str, Any] | None:
    """Tool-call arguments as a dict: a mapping as is, a JSON object string parsed, else None."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str | bytes):
        try:
            value = json.loads(raw or "{}")
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None
    return None


def check_tool_call(
    registry: Registry,
    decision: Decision,
    tool: str,
    arguments: Any,
    customer_id: str | None,
) -> CallCheck:
    """Gate one call of `tool` with `arguments` under `decision`, for the session's customer.

    Denied, in this order: while a human is taking over; a tool the decision denies or does not
    know; arguments that are not a JSON object; an identifier argument naming another
    customer, or any customer-bound tool when the session has no customer id. Otherwise the
    call is allowed, or needs confirmation when the decision says so.
    """
    args = parse_arguments(arguments)
    if decision.handoff.required:
        why = ", ".join(decision.handoff.reasons[:3]) or "handoff"
        return CallCheck.deny("policy.handoff_in_progress", tool, args or {}, rule_id="handoff",
                              detail=why)
    verdict = decision.verdict(tool)
    if verdict.verdict == "deny":  # before the arguments: what was attempted is what counts
        own = verdict.reasons[0] if verdict.reasons else None
        if own is not None and own.code == "policy.unknown_tool":
            return CallCheck.deny(own, tool, args or {}, reasons=verdict.reasons[1:])
        detail = "; ".join(str(r) for r in verdict.reasons[:3])
        return CallCheck.deny("policy.tool_denied", tool, args or {}, rule_id="decision",
                              detail=detail, reasons=verdict.reasons)
    if args is None:
        return CallCheck.deny("policy.invalid_arguments", tool, {},
                              detail=f"got {type(arguments).__name__}")

    bound: list[str] = []
    spec = registry.tools.get(tool)
    if spec is not None and spec.customer_args:
        smuggled = _foreign_customer(args, set(spec.customer_args), customer_id)
        if smuggled is not None:
            path, value = smuggled
            return CallCheck.deny("policy.customer_mismatch", tool, args, rule_id="binding",
                                  detail=f"argument {path!r}", evidence=redact(str(value), 40))
    for name in spec.customer_args if spec is not None else ():
        if customer_id is None:
            return CallCheck.deny("policy.customer_unbound", tool, args, rule_id="binding",
                                  detail=f"argument {name!r}")
        given = args.get(name)
        if given is None or given == "":
            args[name] = customer_id
            bound.append(name)
        elif str(given) != customer_id:
            return CallCheck.deny("policy.customer_mismatch", tool, args, rule_id="binding",
                                  detail=f"argument {name!r}", evidence=redact(str(given), 40))
    if verdict.verdict == "confirm":
        return CallCheck.confirm(tool, args, reasons=verdict.reasons, bound=bound)
    return CallCheck.allow(tool, args, reasons=verdict.reasons, bound=bound)
