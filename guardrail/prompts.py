"""The texts adapters put in front of a model, a customer or a human agent, from ``prompts/``.

No prompt text lives in Python code: directive texts are in ``prompts/directives.yaml``, the
adapters' messages in ``prompts/adapter.yaml``, the handoff summary's sentences in
``prompts/handoff.yaml``. All are validated when loaded, so a missing key is an error at
start-up, not a blank message in front of a customer.

What the *customer* reads (the handoff message, the confirmation question) comes back in the
language of their latest message when ``prompts/customer/<lang>.yaml`` translates it; otherwise
in the language ``adapter.yaml`` is written in. Texts only the model reads stay in that language,
and the model is told which language the customer writes in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator

from guardrail._base import FrozenModel
from guardrail._resources import default_prompts_dir
from guardrail._yaml import parse_yaml, validation_issues
from guardrail.decision import UNDETERMINED_LANGUAGE, Decision
from guardrail.errors import UserError

__all__ = ["AdapterPrompts", "CustomerTexts", "HandoffMessages", "HandoffTexts", "Prompts"]

_PLACEHOLDER = re.compile(r"\{(\w*)\}")


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


class CustomerTexts(FrozenModel):
    """What the customer reads, in one language: ``adapter.yaml``'s customer-facing keys, and
    the schema of a translation in ``prompts/customer/<lang>.yaml``."""

    handoff_message: HandoffMessages
    confirmation_question: str = Field(min_length=1)
    status_replies: list[str] = Field(
        default_factory=list,
        description="What a customer reads when they write again after the handoff: two or "
        "more different variants, rotated so two replies in a row never repeat (empty: the "
        "texts of adapter.yaml are used).",
    )

    @field_validator("status_replies")
    @classmethod
    def _distinct_variants(cls, value: list[str]) -> list[str]:
        if value and (len(value) < 2 or len(set(value)) != len(value)
                      or not all(v.strip() for v in value)):
            raise ValueError("give at least two different, non-empty status replies")
        return value


class AdapterPrompts(CustomerTexts):
    """The schema of ``prompts/adapter.yaml``."""

    language: str = Field(
        default="en", pattern=r"^[a-z]{2,3}$", description="The language these texts are in."
    )
    directives_header: str = Field(min_length=1)
    customer_language: str = Field(
        min_length=1,
        description="Told to the model when the customer writes in another language than these "
        "texts; {language} is the BCP 47 code of the customer's language.",
    )
    tool_denied: str = Field(min_length=1)
    confirmation_declined: str = Field(min_length=1)
    tool_failed: str = Field(min_length=1)
    content_withheld: str = Field(
        min_length=1,
        description="Put in place of the part of a tool result or document that carried an "
        "instruction; {source} (tool_result or document) and {code} are filled in.",
    )
    content_warning: str = Field(
        min_length=1,
        description="Put before a flagged tool result or document passed on as it is "
        "(quarantine: pass_with_warning); {source} and {code} are filled in.",
    )


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _translation_issues(lang: str, source: CustomerTexts, texts: CustomerTexts) -> list[str]:
    """Why translation `texts` cannot stand in for `source`: unknown queues, placeholders that
    differ (a missing one drops the customer's data, an unknown one raises at format time)."""
    issues = [
        f"handoff_message.queues.{queue}: not a queue of adapter.yaml"
        for queue in texts.handoff_message.queues
        if queue not in source.handoff_message.queues
    ]
    pairs = [
        ("confirmation_question", source.confirmation_question, texts.confirmation_question),
        ("handoff_message.default", source.handoff_message.default,
         texts.handoff_message.default),
        *((f"handoff_message.queues.{q}", source.handoff_message.queues[q], t)
          for q, t in texts.handoff_message.queues.items() if q in source.handoff_message.queues),
    ]
    for key, original, translated in pairs:
        if _placeholders(original) != _placeholders(translated):
            issues.append(
                f"{key}: placeholders {sorted(_placeholders(translated))} differ from "
                f"adapter.yaml's {sorted(_placeholders(original))}"
            )
    return [f"customer/{lang}.yaml: {issue}" for issue in issues]


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
        handoff: the handoff summary's texts.
        translations: language code -> the customer-facing texts in that language.

    Raises:
        UserError: a translation names a queue `adapter` lacks or changes a text's placeholders.
    """

    def __init__(
        self,
        directives: Mapping[str, str],
        adapter: AdapterPrompts,
        handoff: HandoffTexts,
        translations: Mapping[str, CustomerTexts] | None = None,
    ) -> None:
        self.directives = dict(directives)
        self.adapter = adapter
        self.handoff = handoff
        self.translations: dict[str, CustomerTexts] = dict(translations or {})
        issues = [
            issue for lang, texts in sorted(self.translations.items())
            for issue in _translation_issues(lang, adapter, texts)
        ]
        if issues:
            raise UserError("; ".join(issues))
        self._system_cache: dict[tuple[str, tuple[str, ...]], str] = {}

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Prompts:
        """Load ``directives.yaml``, ``adapter.yaml``, ``handoff.yaml`` and the translations in
        ``customer/<lang>.yaml`` (optional) from `folder` (default: shipped).

        Raises:
            UserError: a file is missing, unreadable or does not match its schema, or a
                translation does not fit ``adapter.yaml`` (see `Prompts`).
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
        translations: dict[str, CustomerTexts] = {}
        customer = root / "customer"
        for path in sorted(customer.glob("*.yaml")) if customer.is_dir() else ():
            if not re.fullmatch(r"[a-z]{2,3}", path.stem):
                raise UserError(f"{path}: name a translation by its language code (es.yaml)")
            translations[path.stem] = _validated(CustomerTexts, path)
        return cls(directives, adapter, handoff, translations)

    @classmethod
    def default(cls) -> Prompts:
        """The shipped prompts, loaded once per process."""
        return _default_prompts()

    def missing_directives(self, ids: Sequence[str]) -> list[str]:
        """The directive ids among `ids` that have no text."""
        return [i for i in ids if i not in self.directives]

    def system_text(self, decision: Decision) -> str:
        """The block added to the model's system message: a header, one line per directive and,
        when the customer writes in another language than the texts, a line naming it.

        A directive with no text fails loudly at load in tests; at run time it is skipped rather
        than sent as an empty line. Cached per language and directive list (decisions repeat).
        """
        language = decision.language
        if language in (UNDETERMINED_LANGUAGE, self.adapter.language):
            language = ""
        key = (language, tuple(decision.directives))
        text = self._system_cache.get(key)
        if text is None:
            items = [f"- {self.directives[d].strip()}" for d in key[1] if d in self.directives]
            if language:
                items.append(f"- {self.adapter.customer_language.format(language=language)}")
            text = "\n".join([self.adapter.directives_header, *items]) if items else ""
            self._system_cache[key] = text
        return text

    def customer_texts(self, language: str) -> CustomerTexts:
        """The customer-facing texts in `language` when translated, else ``adapter.yaml``'s."""
        return self.translations.get(language, self.adapter)

    def handoff_message(self, decision: Decision) -> str:
        """What the customer reads when this decision hands them to a person, in their language
        where a translation exists."""
        messages = self.customer_texts(decision.language).handoff_message
        return messages.queues.get(decision.handoff.queue or "", messages.default)

    def status_reply(self, decision: Decision, count: int) -> str:
        """What the customer reads when they write again after the handoff: the status reply
        variant `count` (rotated), in their language where a translation has them.

        `count` is how many status replies the conversation had before this one, so two in a
        row never repeat. Without any variants, the handoff message.
        """
        variants = (self.customer_texts(decision.language).status_replies
                    or self.adapter.status_replies)
        if not variants:
            return self.handoff_message(decision)
        return variants[count % len(variants)]

    def confirmation_question(self, language: str, *, tool: str, action: str, args: str) -> str:
        """The consent question for a tool call, in `language` where a translation exists."""
        return self.customer_texts(language).confirmation_question.format(
            tool=tool, action=action, args=args
        )


@cache
def _default_prompts() -> Prompts:
    return Prompts.load()
