"""The engine's seam onto policy: the two calls a turn makes, behind a `Policy` protocol.

`Guardrail` assigns segments and decides through the `Policy` it was given, the registry's own
(`guardrail.policy`) by default. A test hands it one that fails at either step
(`guardrail.testing.FailingPolicy`) to see the turn fail closed, instead of patching globals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from guardrail import policy as _policy
from guardrail.decision import Decision
from guardrail.engine.state import ConversationState, retire_exited
from guardrail.policy import CompiledPolicy, Facts
from guardrail.reasons import Finding, ReasonCode
from guardrail.registry import Registry

__all__ = ["Policy", "RegistryPolicy", "assign_settled"]


class Policy(Protocol):
    """What `Guardrail` asks of policy each turn: which segments hold, then what they decide."""

    def assign(self, registry: Registry, facts: Facts) -> dict[str, list[ReasonCode]]:
        """The segments `facts` put the conversation in, each with the reasons that did."""
        ...

    def decide(
        self, registry: Registry, facts: Facts, active: Mapping[str, list[ReasonCode]]
    ) -> Decision:
        """The decision the `active` segments make, most restrictive winning.

        The holdout arm also passes ``held_out=`` (segments assigned but not acted on, which
        count towards the risk tier only; see `guardrail.policy.decide`), and only when there
        are some: a policy that does not take it fails such a turn closed.
        """
        ...


class RegistryPolicy:
    """The registry's own policy (`guardrail.policy`): what `Guardrail` uses unless told."""

    # The module's functions themselves, so the default costs the turn no extra call.
    assign = staticmethod(_policy.assign_segments)
    decide = staticmethod(_policy.decide)


def assign_settled(
    policy: Policy,
    registry: Registry,
    state: ConversationState,
    facts: Callable[[list[Finding] | Mapping[str, Finding]], Facts],
) -> tuple[Facts, dict[str, list[ReasonCode]]]:
    """Assign the segments of `state`'s findings, retiring the segments that have exited.

    A segment exits when its exit criteria hold on messages after the ones that put it there;
    its supporting findings are retired (a later repeat brings it back). Judged on message
    order, so checking turn by turn and checking the whole conversation at once agree.

    Only the segments that can exit on text are put to `retire_exited`: a segment of this
    registry whose exit has no conditions (one an application or agent verifies) never does, so
    leaving it out changes nothing and spares a turn the work.

    Returns:
        The facts the assignment was made on, and the active segments with their reasons.
    """
    never = CompiledPolicy.of(registry).never_exit
    current = facts(state.findings)
    active = policy.assign(registry, current)
    for _ in range(len(registry.segments)):
        exiting = {s: r for s, r in active.items() if s not in never}
        if not exiting or not retire_exited(state, registry, exiting, facts):
            break
        current = facts(state.findings)
        active = policy.assign(registry, current)
    return current, active
