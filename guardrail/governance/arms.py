"""The holdout arm: which customers get the baseline policy, and what it still acts on.

A support team cannot tell from containment alone whether its policy helps: the conversations
it routes, prioritises or hands over would have gone somewhere without it. The registry's
``settings.governance.holdout`` puts a share of customers in a ``holdout`` arm served by the
baseline policy, so ``guardrail report`` can compare outcomes between the arms.

* **Assignment** is a salted SHA-256 of the customer id (the conversation id when there is no
  customer id), read as a number in [0, 1): below the share is holdout. A customer stays in one
  arm across conversations and processes; a new salt draws a new holdout. Both live in the
  registry, so turning the holdout on or off, or changing its share, changes the policy version.
* **The baseline** acts only on the *safety set*: every segment on the safety floor (it forces
  a person on some condition, or fails closed: `SegmentSpec.safety_floor`), plus the segments
  the registry names in ``holdout.keep``. Need, friction and stable segments are assigned as
  usual (reports compare arms segment by segment) but not acted on: no routing, priority,
  directives, retrieval narrowing or offered human from them. The tool gate is the same in both
  arms: the baseline and per-risk-tier tool policies and customer binding do not depend on
  segments, and the safety set's own tool policies stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TypeVar

from guardrail.conversation import Conversation
from guardrail.decision import Arm
from guardrail.reasons import ReasonCode
from guardrail.registry import Registry

__all__ = ["arm_of", "holdout_reason", "in_holdout", "safety_set", "split_active"]

_V = TypeVar("_V")
_SCALE = float(1 << 64)


def in_holdout(share: float, salt: str, key: str) -> bool:
    """Whether `key` (a customer or conversation id) falls in a holdout of `share`."""
    if share <= 0.0:
        return False
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE < share


def arm_of(registry: Registry, conversation: Conversation) -> Arm:
    """The arm `conversation` is served in under `registry`'s holdout setting.

    Keyed by the customer id, else the conversation id; a conversation with neither cannot be
    kept in one arm from turn to turn, so it is served by the policy.
    """
    holdout = registry.settings.governance.holdout
    if holdout.share <= 0.0:
        return "policy"
    key = conversation.context.customer_id or conversation.id
    if not key:
        return "policy"
    return "holdout" if in_holdout(holdout.share, holdout.salt, key) else "policy"


def safety_set(registry: Registry) -> frozenset[str]:
    """The segments the holdout arm acts on: the safety floor and ``holdout.keep``."""
    keep = registry.settings.governance.holdout.keep
    return frozenset(s.id for s in registry.segments if s.safety_floor or s.id in keep)


def split_active(
    registry: Registry, active: Mapping[str, _V]
) -> tuple[dict[str, _V], list[str]]:
    """`active` cut for the holdout arm: (the safety set's segments, the others' ids)."""
    kept = safety_set(registry)
    return ({s: r for s, r in active.items() if s in kept},
            [s for s in active if s not in kept])


def holdout_reason(held_out: list[str]) -> ReasonCode:
    """The reason a holdout decision carries: what it did not act on."""
    aside = ", ".join(held_out) or "nothing"
    return ReasonCode(
        code="governance.holdout", rule_id="holdout", source="engine",
        explanation=("Holdout arm: the baseline policy serves this customer (the safety set and "
                     f"the tool gate act; not acted on: {aside})"),
    )
