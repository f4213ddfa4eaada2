"""An optional LLM-written opening paragraph for a handoff summary, with a deterministic fallback.

The structured fields of a `HandoffSummary` never depend on an LLM: `LLMNarrator.narrate` only
replaces the `narrative` text, and on any failure (timeout, rate limit past the deadline, refusal,
empty or oversized answer) it returns the summary unchanged, with its deterministic narrative.
The prompt is ``prompts/handoff_narrative.md``; retries and the deadline are the LLM classifier's
(`guardrail.llm.call_with_retries`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from guardrail._resources import default_prompts_dir
from guardrail.handoff.summary import HandoffSummary
from guardrail.need.llm import Backend, call_with_retries, langchain_backend, openai_backend
from guardrail.redact import redact

__all__ = ["LLMNarrator"]

_log = logging.getLogger("guardrail.handoff.narrative")
_MAX_CHARS = 1200


class LLMNarrator:
    """Write a summary's narrative with an LLM. Build it with `from_openai` or `from_langchain`.

    Args:
        backend: called with (system prompt, summary JSON); returns the paragraph.
        deadline: total seconds for all attempts.
        max_attempts: attempts at most, within the deadline.
        prompt: the system prompt; default ``prompts/handoff_narrative.md``.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        deadline: float = 8.0,
        max_attempts: int = 3,
        prompt: str | None = None,
    ) -> None:
        self._backend = backend
        self._deadline = deadline
        self._max_attempts = max_attempts
        self.system_prompt = prompt or (
            default_prompts_dir() / "handoff_narrative.md"
        ).read_text("utf-8")

    @classmethod
    def from_openai(
        cls, client: Any, *, model: str = "gpt-4o-mini", deadline: float = 8.0,
        max_attempts: int = 3,
    ) -> LLMNarrator:
        """Use an `openai.OpenAI` client (``max_retries=0``; retries are handled here)."""
        return cls(openai_backend(client, model), deadline=deadline, max_attempts=max_attempts)

    @classmethod
    def from_langchain(
        cls, chat_model: Any, *, deadline: float = 8.0, max_attempts: int = 3
    ) -> LLMNarrator:
        """Use any LangChain chat model."""
        return cls(langchain_backend(chat_model), deadline=deadline, max_attempts=max_attempts)

    def narrate(self, summary: HandoffSummary) -> HandoffSummary:
        """`summary` with an LLM-written narrative, or unchanged if the LLM fails."""
        try:
            facts = summary.model_dump(
                mode="json", exclude={"narrative", "narrative_source", "created_at"}
            )
            raw = call_with_retries(
                self._backend, self.system_prompt, json.dumps(facts, ensure_ascii=False),
                deadline=self._deadline, max_attempts=self._max_attempts,
            )
            text = _text(raw)
        except Exception as exc:  # any failure (LLMError or a backend's own) keeps the template
            _log.warning("handoff narrative fell back to the template: %s", type(exc).__name__)
            return summary
        if text is None:
            _log.warning("handoff narrative fell back to the template: unusable answer")
            return summary
        return summary.with_narrative(text)


def _text(raw: Any) -> str | None:
    """The answer as plain text, redacted; None when it is empty or not text."""
    content = getattr(raw, "content", raw)
    if not isinstance(content, str):
        return None
    text = " ".join(content.split())
    if not text:
        return None
    return redact(text, _MAX_CHARS)
