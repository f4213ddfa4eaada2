"""The texts adapters put in front of a model, a customer or a human agent, from ``prompts/``.

No prompt text lives in Python code: directive texts are in ``prompts/directives.yaml``, the
adapters' messages in ``prompts/adapter.yaml``, the handoff summary's sentences in
``prompts/handoff.yaml``. All are validated when loaded, so a missing key is an error at
start-up, not a blank message in front of a customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from guardrail._base import FrozenModel
from guardrail._resources import default_prompts_dir
from guardrail._yaml import parse_yaml, validation_issues
from guardrail.decision import Decision
from guardrail.errors import UserError

__all__ = ["AdapterPrompts", "HandoffMessages", "HandoffTexts", "Prompts"]


class HandoffMessages(FrozenModel):
    """What the customer reads when a person takes over: a default and per-queue overrides."""

    default: str = Field(min_length=1)
    queues: dict[str, str] = Field(default_factory=dict)


class HandoffTexts(FrozenModel):
    """The schema of ``prompts/handoff.yaml``: the deterministic handoff summary's texts."""

    goals: dict[str, str]
    stakes: dict[str, str]
    context_stakes: dict[str, str] = Field(default_factory=dict)
    said: str
    tried: dict[str, str]
    narrative: str = Field(min_length=1)

    def pick(self, table: Mapping[str, str], keys: Sequence[str]) -> str:
        """The entry of the first key in `keys` that `table` has, else its ``default``."""
        for key in keys:
            if key in table:
                return table[key]
        return table.get("default", "")


class AdapterPrompts(FrozenModel):
    """The schema of ``prompts/adapter.yaml``."""

    directives_header: str = Field(min_length=1)
    handoff_message: HandoffMessages
    tool_denied: str = Field(min_length=1)
    confirmation_question: str = Field(min_length=1)
    confirmation_declined: str = Field(min_length=1)
    tool_failed: str = Field(min_length=1)


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise UserError(f"{path}: prompt file not found")
    data, issues = parse_yaml(path, str(path))
    if issues:
        raise UserError(f"{path}: cannot read prompt file: {issues[0].message}")
    return data


_T = TypeVar("_T", bound=BaseModel)


def _validated(model: type[_T], path: Path) -> _T:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise UserError("; ".join(map(str, validation_issues(exc, str(path))))) from None


class Prompts:
    """Directive texts and adapter messages, with the renderings adapters need.

    Args:
        directives: directive id -> the text added to the model's system message.
        adapter: the adapter messages.
    """

    def __init__(
        self, directives: Mapping[str, str], adapter: AdapterPrompts, handoff: HandoffTexts
    ) -> None:
        self.directives = dict(directives)
        self.adapter = adapter
        self.handoff = handoff
        self._system_cache: dict[tuple[str, ...], str] = {}

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Prompts:
        """Load ``directives.yaml`` and ``adapter.yaml`` from `folder` (default: shipped).

        Raises:
            UserError: a file is missing, unreadable or does not match its schema.
        """
        root = Path(folder) if folder is not None else default_prompts_dir()
        directives = _read_yaml(root / "directives.yaml")
        # An empty file reads as {}: a folder without directives is a mistake, not a choice.
        if not isinstance(directives, dict) or not directives or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in directives.items()
        ):
            raise UserError(f"{root / 'directives.yaml'}: expected a mapping of id to text")
        adapter = _validated(AdapterPrompts, root / "adapter.yaml")
        handoff = _validated(HandoffTexts, root / "handoff.yaml")
        return cls(directives, adapter, handoff)

    @classmethod
    def default(cls) -> Prompts:
        """The shipped prompts, loaded once per process."""
        return _default_prompts()

    def missing_directives(self, ids: Sequence[str]) -> list[str]:
        """The directive ids among `ids` that have no text."""
        return [i for i in ids if i not in self.directives]

    def system_text(self, decision: Decision) -> str:
        """The block added to the model's system message: a header and one line per directive.

        A directive with no text fails loudly at load in tests; at run time it is skipped rather
        than sent as an empty line. Cached per directive list (decisions repeat them).
        """
        key = tuple(decision.directives)
        text = self._system_cache.get(key)
        if text is None:
            items = [f"- {self.directives[d].strip()}" for d in key if d in self.directives]
            text = "\n".join([self.adapter.directives_header, *items]) if items else ""
            self._system_cache[key] = text
        return text

    def handoff_message(self, decision: Decision) -> str:
        """What the customer reads when this decision hands them to a person."""
        queue = decision.handoff.queue or ""
        return self.adapter.handoff_message.queues.get(queue, self.adapter.handoff_message.default)


@cache
def _default_prompts() -> Prompts:
    return Prompts.load()
