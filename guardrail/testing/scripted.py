"""A scripted tool-calling chat model: a real LangChain `BaseChatModel` that plays back a script.

It lets the demo and the tests run a real `create_agent` loop offline. The script is keyed by
the customer's turn, so it stays aligned whatever the middleware does: the k-th model call after
the t-th user message returns ``turns[t][k]``, or a short closing message when the script for
that turn is used up. Every call is recorded (tools shown, system message) so a test or the demo
can show what the model was given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field, PrivateAttr

__all__ = ["ModelCall", "ScriptedChatModel", "Tape", "scripted"]


@dataclass
class ModelCall:
    """One call of the scripted model: which turn, which tools it was shown, its system text,
    and the text of every message it was sent (to assert what the model read)."""

    turn: int
    step: int
    tools: list[str]
    system: str
    texts: list[str] = field(default_factory=list)


@dataclass
class Tape:
    """The script and the record of calls, shared by every copy `bind_tools` makes."""

    turns: Sequence[Sequence[AIMessage]]
    calls: list[ModelCall] = field(default_factory=list)
    fallback: str = "Is there anything else I can help with?"


def _tool_names(tools: Sequence[Any]) -> list[str]:
    names = []
    for tool in tools:
        name = getattr(tool, "name", None)
        if name is None and isinstance(tool, dict):
            name = tool.get("name") or tool.get("function", {}).get("name")
        names.append(str(name))
    return names


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers from a `Tape`; `bind_tools` records which tools it was shown.

    The tape is a private attribute, shared by the copies `bind_tools` makes, and kept out of
    the model's fields: LangChain serializes a chat model for its callbacks, and a whole script
    in there would cost milliseconds a call that no provider model costs.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    bound_tools: list[str] = Field(default_factory=list)
    _tape: Tape = PrivateAttr()

    def __init__(self, tape: Tape, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tape = tape

    @property
    def tape(self) -> Tape:
        """The script and the record of calls."""
        return self._tape

    @property
    def _llm_type(self) -> str:
        return "guardrail-scripted"

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.model_copy(update={"bound_tools": _tool_names(tools)})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        turn = sum(1 for m in messages if m.type == "human") - 1
        last_human = max((i for i, m in enumerate(messages) if m.type == "human"), default=-1)
        step = sum(1 for m in messages[last_human + 1:] if m.type == "ai")
        system = next((m.text for m in messages if m.type == "system"), "")
        self._tape.calls.append(
            ModelCall(turn, step, list(self.bound_tools), system, [m.text for m in messages])
        )
        script = self._tape.turns[turn] if 0 <= turn < len(self._tape.turns) else ()
        reply = script[step] if step < len(script) else AIMessage(content=self._tape.fallback)
        return ChatResult(generations=[ChatGeneration(message=reply.model_copy())])


def scripted(turns: Sequence[Sequence[AIMessage]]) -> tuple[ScriptedChatModel, Tape]:
    """A scripted model and its tape."""
    tape = Tape(turns)
    return ScriptedChatModel(tape=tape), tape


ScriptFactory = Callable[[], tuple[ScriptedChatModel, Tape]]
