"""LangChain's `HumanInTheLoopMiddleware` and the gate's consent: one protocol, one pause.

The consent interrupt of `GuardrailMiddleware` is shaped as a HITL request (`consent_request`),
so a UI built for HITL renders it, and its answer is read as HITL's decisions (`read_review`):
approve, reject with a message, edit. An edit is a new call, which the middleware gates again.

With both middlewares in one agent each would pause the same call. Given the agent's HITL
middleware, `stand_in` has it skip the calls the gate asks about or refuses (HITL's own
``when`` still applies first), so the one interrupt is the gate's and its answer counts for
both: it takes only the decisions HITL allows that tool (and always a refusal), and a call HITL
skipped is asked about even if the gate would allow it by the time it runs. For the calls HITL
still reviews, a reviewer's edit is what runs: `reviewed` reads it
from the state where HITL keeps it, so the gate checks the call that will run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from langchain.agents.middleware import HumanInTheLoopMiddleware, InterruptOnConfig
from langchain_core.messages import ToolCall
from langgraph.prebuilt.tool_node import ToolCallRequest

from guardrail.errors import UserError
from guardrail.gate import CallCheck
from guardrail.redact import redact

__all__ = [
    "Review",
    "consent_decisions",
    "consent_request",
    "edit_notice",
    "hitl_edits",
    "read_review",
    "reviewed",
    "stand_in",
    "unlinked",
]

_log = logging.getLogger("guardrail.adapters")

Hitl = HumanInTheLoopMiddleware[Any, Any, Any]
ReviewKind = Literal["resume", "reject", "edit", "malformed"]

# What a consent answers to, in HITL's words. An edit approves the edited call, which the gate
# checks again; "respond" (answering in the tool's place) is no consent.
CONSENT_DECISIONS = ("approve", "edit", "reject")
_HITL_DECISIONS = frozenset({*CONSENT_DECISIONS, "respond"})
_MESSAGE_LIMIT = 200  # the most of a reviewer's (redacted) reason kept with a refusal
# Where HumanInTheLoopMiddleware keeps its reviewer's edits in the agent state, by call id.
HITL_EDITS = "hitl_edited_tool_calls"


def consent_request(
    check: CallCheck, call_id: str | None, question: str, language: str,
    allowed: Sequence[str], shown: str,
) -> dict[str, Any]:
    """The consent interrupt's value: a HITL request for this one call, and the gate's keys.

    HITL's ``action_requests`` (with the question as ``description``) and ``review_configs``;
    beside them ``type: "guardrail_confirmation"``, the call id, the bound arguments and their
    ``args_hash`` (what an approval binds to), the question in the customer's language and the
    reason codes.
    """
    return {
        "action_requests": [{"name": check.tool, "args": check.args, "description": question}],
        "review_configs": [{"action_name": check.tool, "allowed_decisions": list(allowed)}],
        "type": "guardrail_confirmation",
        "tool_call_id": call_id,
        "tool": check.tool,
        "name": check.tool,
        "args": check.args,
        "args_hash": shown,
        "question": question,
        "description": question,
        "language": language,
        "reason_codes": [str(r) for r in check.reasons],
    }


@dataclass(frozen=True, slots=True)
class Review:
    """What a consent answer says.

    Attributes:
        kind: ``resume`` (an approval or any value `read_resume` reads: `answer`), ``reject``,
            ``edit`` (the edited arguments in `args`) or ``malformed`` (a refusal).
        answer: the value for `read_resume` (``resume`` only).
        message: the reviewer's reason, redacted (``reject`` only; may be empty).
        args: the edited arguments (``edit`` only).
    """

    kind: ReviewKind
    answer: Any = None
    message: str = ""
    args: dict[str, Any] = field(default_factory=dict)


def read_review(answer: Any, allowed: Sequence[str], tool: str) -> Review:
    """Read a resume value as HITL's decisions, falling back to the earlier shapes.

    A HITL decision, bare or as the one in ``{"decisions": [...]}``, must be one of `allowed`;
    an edit must keep the tool (`tool`) and give its arguments as an object. Anything else in
    HITL's shape is ``malformed``; a value not in HITL's shape at all is left to `read_resume`
    (``malformed`` when approving is not among `allowed`).
    """
    decision = _decision(answer)
    if decision is None:  # an earlier shape is an approval or a refusal
        return Review("resume", answer=answer) if "approve" in allowed else Review("malformed")
    kind = decision.get("type")
    if not isinstance(kind, str) or kind not in allowed:
        return Review("malformed")
    if kind == "approve":
        return Review("resume", answer=decision)
    if kind == "reject":
        message = decision.get("message")
        said = redact(message, _MESSAGE_LIMIT) if isinstance(message, str) else ""
        return Review("reject", message=said)
    edited = decision.get("edited_action")
    if isinstance(edited, Mapping) and edited.get("name") == tool and isinstance(
        edited.get("args"), Mapping
    ):
        return Review("edit", args=dict(edited["args"]))
    return Review("malformed")


def _decision(answer: Any) -> Mapping[str, Any] | None:
    """The HITL decision in `answer`; None when `answer` is not in HITL's shape.

    ``{"decisions": [...]}`` must hold exactly one decision, for the one call asked about:
    anything else there is an empty (so malformed) decision.
    """
    if not isinstance(answer, Mapping):
        return None
    if "decisions" in answer:
        decisions = answer["decisions"]
        if isinstance(decisions, list) and len(decisions) == 1 and isinstance(
            decisions[0], Mapping
        ):
            return cast(Mapping[str, Any], decisions[0])
        return {}
    kind = answer.get("type")
    if isinstance(kind, str) and kind in _HITL_DECISIONS:
        return cast(Mapping[str, Any], answer)
    return None


def consent_decisions(hitl: Hitl | None, tool: str) -> list[str]:
    """The decisions a consent to `tool` takes: those `hitl` allows that tool (the gate's
    interrupt stands in for its review), and always a refusal.

    A tool HITL lets nobody approve (say ``["reject", "respond"]``) is then never approved
    through the shared pause.
    """
    config = hitl.interrupt_on.get(tool) if hitl is not None else None
    if config is None:
        return list(CONSENT_DECISIONS)
    return [d for d in CONSENT_DECISIONS if d == "reject" or d in config["allowed_decisions"]]


def stand_in(
    hitl: Hitl, gates_itself: Callable[[ToolCallRequest], bool], running: ContextVar[str | None]
) -> None:
    """Make `hitl` skip the calls the gate asks consent for or refuses (`gates_itself`).

    Its own ``when`` is asked first. In ``per_call`` mode a review that allows edits must
    happen above the gate: asked while `running` (the gate's handler) holds the call's id, the
    reviewer's edit would run unchecked, so that is a `UserError` naming the fix.
    """
    hitl.interrupt_on = {
        name: InterruptOnConfig(**{**config, "when": _when(hitl, config, gates_itself, running)})
        for name, config in hitl.interrupt_on.items()
    }


def _when(
    hitl: Hitl, config: InterruptOnConfig, gates_itself: Callable[[ToolCallRequest], bool],
    running: ContextVar[str | None],
) -> Callable[[ToolCallRequest], bool]:
    own = config.get("when")
    edits = "edit" in config["allowed_decisions"] and hitl.interrupt_mode == "per_call"

    def when(request: ToolCallRequest) -> bool:
        if own is not None and not own(request):
            return False
        if gates_itself(request):
            return False
        if edits and running.get() == request.tool_call.get("id"):
            raise UserError(
                "HumanInTheLoopMiddleware in per_call mode is listed after GuardrailMiddleware, "
                "so a reviewer's edit would run without the gate checking it: list it before "
                "GuardrailMiddleware in middleware=[...]"
            )
        return True

    return when


def unlinked(request: ToolCallRequest) -> bool:
    """Whether HITL has reviewed calls in this run's state, so it is in the agent; logged.

    Called when the gate is about to ask consent without a linked HITL middleware: the call
    is then paused twice, and the fix (``hitl=``) is logged.
    """
    state = request.state
    if not (isinstance(state, Mapping) and HITL_EDITS in state):
        return False
    _log.warning(
        "HumanInTheLoopMiddleware is in this agent but not linked to GuardrailMiddleware, so a "
        "call both would pause is paused twice: pass GuardrailMiddleware(..., hitl=<the "
        "HumanInTheLoopMiddleware>) to pause it once"
    )
    return True


def hitl_edits(request: ToolCallRequest) -> dict[str, Any]:
    """HITL's record of its reviewer's edits in the request's state, by tool call id."""
    state = request.state
    edits = state.get(HITL_EDITS) if isinstance(state, Mapping) else None
    return dict(edits) if isinstance(edits, Mapping) else {}


def reviewed(request: ToolCallRequest) -> ToolCall:
    """The call as it will run: a HITL reviewer's edit of it replaces it.

    HITL applies a batched review's edit in its own `wrap_tool_call`, wherever it sits in the
    list, so the gate reads it from the state rather than from the request it was handed.
    """
    call = request.tool_call
    edited = hitl_edits(request).get(call.get("id") or "")
    if isinstance(edited, Mapping) and isinstance(edited.get("name"), str):
        # unchecked: the gate refuses arguments that are not an object
        return cast(ToolCall, {**call, "name": edited["name"], "args": edited.get("args")})
    return call


def edit_notice(hitl: Hitl | None, content: str) -> str:
    """`hitl`'s notice of a reviewer's edit when it starts `content`, else "".

    HITL prepends it to the result of an edited call; it is the application's own text (and
    reads like an instruction), so it is not screened as the tool's words.
    """
    notice = hitl.edit_notice if hitl is not None else None
    return notice if notice and content.startswith(notice) else ""
