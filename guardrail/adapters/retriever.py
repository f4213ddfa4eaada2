"""A LangChain retriever that returns only what the turn's decision lets the assistant read.

`ScopedRetriever` wraps any LangChain retriever and filters its documents with
`guardrail.retrieval.scope_documents`. The decision comes from the retriever itself
(`with_decision`) or, when it has none, from the enclosing `guardrail.retrieval.use_decision`,
which the LangChain middleware sets around each turn so a retriever called inside a tool sees it.
With neither, it returns nothing and does not query the wrapped retriever (fail closed).
"""

from __future__ import annotations

import logging

try:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        CallbackManagerForRetrieverRun,
    )
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # pragma: no cover - depends on the environment
    from guardrail._install import pip_hint

    raise ImportError(
        f"guardrail's LangChain adapters need langchain-core: {pip_hint('langchain')}"
    ) from exc

from guardrail.conversation import Context
from guardrail.decision import Decision
from guardrail.detectors.detector import Detector
from guardrail.detectors.injection import InjectionDetector
from guardrail.detectors.injection_model import InjectionModel
from guardrail.detectors.rules import RuleDetector
from guardrail.prompts import Prompts
from guardrail.quarantine import screen
from guardrail.registry import Registry
from guardrail.retrieval import current_decision, current_registry, scope_documents

__all__ = ["ScopedRetriever"]

logger = logging.getLogger("guardrail.retrieval")


class ScopedRetriever(BaseRetriever):
    """Wraps `retriever` and drops the documents the turn's decision does not allow.

    Documents are returned in the wrapped retriever's order; why each dropped one was dropped
    goes to the ``guardrail.retrieval`` log, by source id. A document that carries an
    instruction to the assistant is quarantined as the registry's
    ``settings.injection.quarantine`` says (`guardrail.quarantine`): redacted, dropped, or
    marked; the others are returned unchanged.

    Attributes:
        retriever: the retriever to query.
        decision: the decision to apply; None to use the one `use_decision` put in force.
        context: the customer's context for stack, role and region checks; None to use the one
            put in force with the decision.
        registry: the policy whose quarantine setting applies; None for the one put in force
            with the decision (else the shipped default).

    Example:
        >>> scoped = ScopedRetriever(retriever=store.as_retriever())  # doctest: +SKIP
        >>> with use_decision(decision, context):  # doctest: +SKIP
        ...     docs = scoped.invoke("how do I connect Slack?")
    """

    retriever: BaseRetriever
    decision: Decision | None = None
    context: Context | None = None
    registry: Registry | None = None

    def with_decision(self, decision: Decision, context: Context | None = None) -> ScopedRetriever:
        """A copy of this retriever bound to `decision` and `context`."""
        return self.model_copy(update={"decision": decision, "context": context})

    def _in_force(self) -> tuple[Decision, Context | None] | None:
        if self.decision is not None:
            return self.decision, self.context
        current = current_decision()
        if current is None:
            logger.warning(
                "retrieval refused: no decision in force (bind one with with_decision() or run"
                " the call inside use_decision())"
            )
            return None
        decision, context = current
        return decision, self.context if self.context is not None else context

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        in_force = self._in_force()
        if in_force is None:
            return []
        documents = self.retriever.invoke(query, config={"callbacks": run_manager.get_child()})
        return self._quarantined(scope_documents(documents, *in_force).allowed)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        in_force = self._in_force()
        if in_force is None:
            return []
        documents = await self.retriever.ainvoke(
            query, config={"callbacks": run_manager.get_child()}
        )
        return self._quarantined(scope_documents(documents, *in_force).allowed)

    def _quarantined(self, documents: list[Document]) -> list[Document]:
        """The documents with an instruction planted in them withheld (`guardrail.quarantine`):
        the flagged parts redacted, or the document dropped, or marked, as the registry says.
        Flagged documents are copies; clean ones are returned as they are."""
        registry = self.registry or current_registry() or Registry.default()
        mode = registry.settings.injection.quarantine
        detector = _detector(registry)
        texts = Prompts.default().adapter
        out = []
        for document in documents:
            source = str(document.metadata.get("source") or document.metadata.get("id") or "")
            screened = screen(detector, document.page_content, source="document", mode=mode,
                              texts=texts, name=source)
            if not screened.flagged:
                out.append(document)
                continue
            logger.info("document %s quarantined (%s)", source or "?", screened.action)
            if screened.action == "dropped":
                continue
            metadata = {**document.metadata,
                        "guardrail_quarantine": [r.code for r in screened.reasons]}
            out.append(document.model_copy(
                update={"page_content": screened.text, "metadata": metadata}))
        return out


_DETECTORS: dict[str, Detector] = {}


def _detector(registry: Registry) -> Detector:
    """The engine's way of reading a message, for `registry` (built once per policy version)."""
    detector = _DETECTORS.get(registry.version)
    if detector is None:
        settings = registry.settings.injection
        model = InjectionModel.default() if settings.model else None
        detector = InjectionDetector(RuleDetector(registry), model, settings.model_threshold,
                                     settings.tool_threshold)
        if len(_DETECTORS) < 8:
            _DETECTORS[registry.version] = detector
    return detector
