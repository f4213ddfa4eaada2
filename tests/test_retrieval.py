"""Retrieval scoping: every rule, fail-closed paths, logs, the decision context and ScopedRetriever.

Decisions come from the real engine on the shipped registry: a how-to question (wide scope,
community included, no authority demanded) and a GDPR request (legal_compliance only,
authoritative sources only).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import threading
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    BaseCallbackHandler,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import ContextThreadPoolExecutor
from langchain_core.vectorstores import InMemoryVectorStore

from guardrail import Context, Decision, Guardrail, Registry, UserError
from guardrail.adapters.retriever import ScopedRetriever
from guardrail.reasons import ADAPTER_CODES
from guardrail.retrieval import ScopeResult, current_decision, scope_documents, use_decision

HOW_TO = "how do I set up the Slack integration?"
GDPR = "I want a copy of all my personal data under GDPR"


def _check(guard: Guardrail, text: str) -> Decision:
    return guard.check({"messages": [{"role": "user", "content": text}]})


@pytest.fixture
def how_to(rules_guard: Guardrail) -> Decision:
    decision = _check(rules_guard, HOW_TO)
    assert decision.need_state == "how_to"
    assert "community" in decision.retrieval_scope
    assert "billing_policy" not in decision.retrieval_scope
    assert "authoritative_only" not in decision.directives
    return decision


@pytest.fixture
def compliance(rules_guard: Guardrail) -> Decision:
    decision = _check(rules_guard, GDPR)
    assert decision.need_state == "policy_compliance"
    assert decision.retrieval_scope == ["legal_compliance"]
    assert "authoritative_only" in decision.directives
    return decision


def doc(source: str, text: str = "body", **metadata: Any) -> Document:
    return Document(page_content=text, metadata={"source": source, **metadata})


def codes(result: ScopeResult[Any]) -> dict[str, str]:
    """source id -> reason code, for the dropped documents."""
    return {source: reason.split("#")[0] for source, reason in result.dropped_sources}


# -- rule b: scope --------------------------------------------------------------------------------


def test_documents_in_the_decisions_scope_pass_and_others_drop(how_to: Decision) -> None:
    docs = [
        doc("hc", scope="help_center"),
        doc("forum", scope="community"),
        doc("refunds", scope="billing_policy"),
    ]
    result = scope_documents(docs, how_to)
    assert result.allowed == docs[:2]
    assert result.allowed_sources == ["hc", "forum"]
    [(dropped, reason)] = result.dropped
    assert dropped is docs[2]
    assert reason.code == "retrieval.out_of_scope"
    assert reason.rule_id == "retrieval.scope"
    assert reason.source == "document:refunds"
    assert reason.evidence == ""
    assert reason.explanation == (
        f"{ADAPTER_CODES['retrieval.out_of_scope']} (scope 'billing_policy' not in "
        f"{', '.join(how_to.retrieval_scope)})"
    )


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (["billing_policy", "help_center"], True),
        (("status_page", "community"), True),
        ({"legal_compliance", "troubleshooting"}, True),
        (["billing_policy", "legal_compliance"], False),
        ("Help_Center", False),  # scope names are registry ids: exact match
    ],
)
def test_a_document_is_in_scope_if_any_of_its_scopes_is(
    how_to: Decision, scope: object, allowed: bool
) -> None:
    result = scope_documents([doc("d", scope=scope)], how_to)
    assert bool(result.allowed) is allowed
    if not allowed:
        assert codes(result) == {"d": "retrieval.out_of_scope"}


@pytest.mark.parametrize("metadata", [{}, {"scope": ""}, {"scope": []}, {"scope": None}])
def test_a_document_without_scope_is_dropped_as_unscoped(
    how_to: Decision, metadata: dict[str, Any]
) -> None:
    result = scope_documents([Document(page_content="x", metadata={"id": "u", **metadata})], how_to)
    assert result.allowed == []
    assert codes(result) == {"u": "retrieval.unscoped"}
    assert result.reasons[0].explanation.endswith("(no 'scope' metadata)")


# -- rule a: no decision ---------------------------------------------------------------------------


def test_without_a_decision_every_document_is_dropped(how_to: Decision) -> None:
    docs = [
        doc("hc", scope="help_center"),
        doc("legal", scope="legal_compliance", authoritative=True),
    ]
    context = Context(tech_stack=["slack"], role="admin", region="eu")
    result = scope_documents(docs, None, context)
    assert result.allowed == []
    assert [d for d, _ in result.dropped] == docs
    assert result.dropped_sources == [
        ("hc", "retrieval.no_decision#retrieval.decision"),
        ("legal", "retrieval.no_decision#retrieval.decision"),
    ]
    assert result.reasons[0].explanation == ADAPTER_CODES["retrieval.no_decision"]
    # The same documents pass once a decision is in force.
    assert scope_documents(docs[:1], how_to, context).allowed == docs[:1]


def test_no_documents_gives_an_empty_result(how_to: Decision) -> None:
    result: ScopeResult[Document] = scope_documents(iter([]), how_to)
    assert (result.allowed, result.dropped, result.allowed_sources) == ([], [], [])


# -- rule c: stack ---------------------------------------------------------------------------------


def test_stack_specific_documents_must_meet_the_customers_stack(how_to: Decision) -> None:
    docs = [
        doc("slack", scope="help_center", stack="Slack"),
        doc("sf", scope="help_center", integration=["salesforce"]),
        doc("both", scope="help_center", stack="zendesk", integration=["HUBSPOT"]),
        doc("generic", scope="help_center"),
    ]
    context = Context(tech_stack=["slack", "HubSpot"])
    result = scope_documents(docs, how_to, context)
    assert result.allowed_sources == ["slack", "both", "generic"]
    assert codes(result) == {"sf": "retrieval.stack_mismatch"}
    assert result.reasons[0].rule_id == "retrieval.stack"
    assert "'salesforce'" in result.reasons[0].explanation
    assert "'slack', 'HubSpot'" in result.reasons[0].explanation


@pytest.mark.parametrize("context", [None, Context(), Context(tech_stack=[])])
def test_without_a_known_stack_every_stack_is_allowed(
    how_to: Decision, context: Context | None
) -> None:
    docs = [doc("sf", scope="help_center", integration="salesforce"), doc("x", scope="community")]
    assert scope_documents(docs, how_to, context).allowed == docs


# -- rule d: roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kept"),
    [
        ("admin", ["admins", "billing_or_admin", "everyone"]),
        ("billing", ["billing_or_admin", "everyone"]),
        ("end_user", ["everyone"]),
        (None, ["everyone"]),  # unknown role: fail closed on every role-restricted document
    ],
)
def test_role_restricted_documents_need_the_customers_role(
    how_to: Decision, role: Any, kept: list[str]
) -> None:
    docs = [
        doc("admins", scope="help_center", roles=["admin"]),
        doc("billing_or_admin", scope="product_docs", audience=["Billing", "ADMIN"]),
        doc("everyone", scope="help_center"),
    ]
    result = scope_documents(docs, how_to, Context(role=role))
    assert result.allowed_sources == kept
    assert set(codes(result).values()) <= {"retrieval.role_mismatch"}
    assert len(result.dropped) == 3 - len(kept)


def test_role_restricted_documents_are_dropped_without_a_context(how_to: Decision) -> None:
    result = scope_documents([doc("admins", scope="help_center", roles="admin")], how_to)
    assert codes(result) == {"admins": "retrieval.role_mismatch"}
    assert result.reasons[0].explanation.endswith("(roles 'admin'; the customer's role is unknown)")


# -- rule e: region --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "kept"),
    [
        ("eu", ["eu", "eu_uk", "global"]),
        (" UK ", ["eu_uk", "global"]),
        ("us", ["global"]),
        (None, ["eu", "eu_uk", "global"]),  # region unknown: keep
    ],
)
def test_region_specific_documents_need_the_customers_region(
    how_to: Decision, region: str | None, kept: list[str]
) -> None:
    docs = [
        doc("eu", scope="help_center", region="EU"),
        doc("eu_uk", scope="help_center", regions=["eu", "uk"]),
        doc("global", scope="help_center"),
    ]
    result = scope_documents(docs, how_to, Context(region=region))
    assert result.allowed_sources == kept
    assert set(codes(result).values()) <= {"retrieval.region_mismatch"}
    assert len(result.dropped) == 3 - len(kept)


# -- rule f: authority -----------------------------------------------------------------------------


def _legal_docs() -> list[Document]:
    return [
        doc("dpa", scope="legal_compliance", authoritative=True),
        doc("privacy", scope="legal_compliance", authoritative="true"),
        doc("blog", scope="legal_compliance", authoritative=False),
        doc("draft", scope="legal_compliance", authoritative="yes"),
        doc("one", scope="legal_compliance", authoritative=1),
        doc("unmarked", scope="legal_compliance"),
    ]


def test_compliance_answers_come_from_authoritative_documents_only(compliance: Decision) -> None:
    result = scope_documents(_legal_docs(), compliance)
    assert result.allowed_sources == ["dpa", "privacy"]
    assert codes(result) == dict.fromkeys(
        ["blog", "draft", "one", "unmarked"], "retrieval.not_authoritative"
    )
    assert result.reasons[0].rule_id == "retrieval.authority"
    assert "authoritative_only directive" in result.reasons[0].explanation


def test_the_directive_alone_demands_authority(how_to: Decision) -> None:
    forum = doc("forum", scope="community")
    official = doc("kb", scope="help_center", authoritative=True)
    assert scope_documents([forum, official], how_to).allowed == [forum, official]
    strict = how_to.model_copy(update={"directives": ["authoritative_only"]})
    result = scope_documents([forum, official], strict)
    assert result.allowed == [official]
    assert codes(result) == {"forum": "retrieval.not_authoritative"}


def test_the_policy_compliance_need_state_alone_demands_authority(
    compliance: Decision, registry: Registry
) -> None:
    without_directive = compliance.model_copy(update={"directives": []})
    result = scope_documents(_legal_docs(), without_directive)
    assert result.allowed_sources == ["dpa", "privacy"]
    assert "policy_compliance need-state" in result.reasons[0].explanation
    # The same with the registry named: the need-states come from its settings.
    assert scope_documents(
        _legal_docs(), without_directive, registry=registry
    ).allowed_sources == ["dpa", "privacy"]


def test_the_need_states_that_demand_authority_come_from_the_registry(
    registry: Registry, how_to: Decision, compliance: Decision
) -> None:
    assert registry.settings.authoritative_needs == ["policy_compliance"]
    settings = registry.settings.model_copy(update={"authoritative_needs": ["how_to"]})
    custom = Registry(settings, registry.tools, registry.rules, registry.segments,
                      registry.version, registry.source)
    forum = doc("forum", scope="community")
    result = scope_documents([forum], how_to, registry=custom)
    assert codes(result) == {"forum": "retrieval.not_authoritative"}
    assert "how_to need-state" in result.reasons[0].explanation
    without_directive = compliance.model_copy(update={"directives": []})
    assert len(scope_documents(_legal_docs(), without_directive, registry=custom).allowed) == 6
    # The adapters name their guard's registry with the decision they put in force.
    with use_decision(how_to, None, custom):
        assert codes(scope_documents([forum], how_to)) == {"forum": "retrieval.not_authoritative"}
    with use_decision(how_to, None):
        assert scope_documents([forum], how_to).allowed == [forum]


# -- rule order ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"scope": "billing_policy", "stack": "zendesk", "roles": ["admin"]}, "out_of_scope"),
        ({"scope": "help_center", "stack": "zendesk", "roles": ["admin"]}, "stack_mismatch"),
        ({"scope": "help_center", "roles": ["admin"], "region": "us"}, "role_mismatch"),
        ({"scope": "help_center", "region": "us", "authoritative": False}, "region_mismatch"),
        ({"scope": "help_center", "authoritative": False}, "not_authoritative"),
    ],
)
def test_the_first_failing_rule_names_the_reason(
    how_to: Decision, metadata: dict[str, Any], code: str
) -> None:
    strict = how_to.model_copy(update={"directives": ["authoritative_only"]})
    context = Context(tech_stack=["slack"], role="end_user", region="eu")
    result = scope_documents([doc("d", **metadata)], strict, context)
    assert result.dropped_sources[0][1].startswith(f"retrieval.{code}#")
    assert len(result.reasons) == 1


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "code", "detail"),
    [
        ({"scope": 42}, "unscoped", "'scope' metadata is a int"),
        ({"scope": ["help_center", 3]}, "unscoped", "'scope' metadata is a list"),
        ({"scope": {"help_center": True}}, "unscoped", "'scope' metadata is a dict"),
        ({"scope": "help_center", "stack": {"slack": 1}}, "stack_mismatch", "'stack'"),
        ({"scope": "help_center", "integration": 7}, "stack_mismatch", "'integration'"),
        ({"scope": "help_center", "roles": 5}, "role_mismatch", "'roles' metadata is a int"),
        ({"scope": "help_center", "audience": [None, 1]}, "role_mismatch", "'audience'"),
        ({"scope": "help_center", "region": 3.5}, "region_mismatch", "'region'"),
        ({"scope": "legal_compliance", "authoritative": {"x": True}}, "not_authoritative", ""),
        ({"scope": "legal_compliance", "authoritative": [True]}, "not_authoritative", ""),
    ],
)
def test_malformed_metadata_drops_the_document_instead_of_raising(
    compliance: Decision, metadata: dict[str, Any], code: str, detail: str
) -> None:
    wide = compliance.model_copy(update={"retrieval_scope": ["help_center", "legal_compliance"]})
    # An empty context: a malformed stack or region fails closed even when nothing is known.
    result = scope_documents([doc("bad", **metadata)], wide, Context())
    assert result.allowed == []
    assert codes(result) == {"bad": f"retrieval.{code}"}
    assert detail in result.reasons[0].explanation


class _Odd:
    """Not a document: metadata that is not a mapping."""

    def __init__(self) -> None:
        self.metadata = ["scope", "help_center"]


def test_documents_whose_metadata_cannot_be_read_are_unscoped(how_to: Decision) -> None:
    docs: list[Any] = [_Odd(), {"metadata": "help_center"}, 42, None, "help_center"]
    result = scope_documents(docs, how_to)
    assert result.allowed == []
    assert [reason.code for reason in result.reasons] == ["retrieval.unscoped"] * 5
    assert [source for source, _ in result.dropped_sources] == ["#0", "#1", "#2", "#3", "#4"]


def test_a_metadata_reader_returning_a_non_mapping_is_unscoped(how_to: Decision) -> None:
    result = scope_documents([doc("a", scope="help_center")], how_to, metadata=lambda d: None)  # type: ignore[arg-type,return-value]
    assert codes(result) == {"#0": "retrieval.unscoped"}


@pytest.mark.parametrize(
    "documents",
    [
        42,
        None,
        "help_center",
        b"docs",
        {"scope": "help_center"},
        Document(page_content="one", metadata={"scope": "help_center"}),
    ],
)
def test_documents_that_are_not_a_collection_raise_user_error(
    how_to: Decision, documents: Any
) -> None:
    with pytest.raises(UserError, match="must be an iterable of documents"):
        scope_documents(documents, how_to)


def test_a_decision_or_context_of_the_wrong_type_raises_user_error(how_to: Decision) -> None:
    with pytest.raises(UserError, match="decision must be a guardrail Decision, got dict"):
        scope_documents([], how_to.model_dump())  # type: ignore[arg-type]
    with pytest.raises(UserError, match="context must be a guardrail Context, got dict"):
        scope_documents([], how_to, {"role": "admin"})  # type: ignore[arg-type]
    with pytest.raises(UserError, match="decision must be"), use_decision("how_to"):  # type: ignore[arg-type]
        pass


# -- metadata readers and source ids ---------------------------------------------------------------


def test_the_default_metadata_reader_handles_documents_and_mappings(how_to: Decision) -> None:
    class Page:
        def __init__(self, scope: str) -> None:
            self.metadata = {"scope": scope, "source": f"page:{scope}"}

    docs: list[Any] = [
        Document(page_content="x", metadata={"scope": "help_center", "source": "lc"}),
        {"page_content": "x", "metadata": {"scope": "community", "source": "nested"}},
        {"scope": "product_docs", "source": "flat"},
        Page("troubleshooting"),
        Page("billing_policy"),
    ]
    result = scope_documents(docs, how_to)
    assert result.allowed_sources == ["lc", "nested", "flat", "page:troubleshooting"]
    assert result.dropped_sources == [
        ("page:billing_policy", "retrieval.out_of_scope#retrieval.scope")
    ]


def test_a_custom_metadata_reader_is_used(how_to: Decision) -> None:
    rows = [("r1", "help_center"), ("r2", "billing_policy")]
    result = scope_documents(rows, how_to, metadata=lambda row: {"scope": row[1], "id": row[0]})
    assert result.allowed == [("r1", "help_center")]
    assert result.dropped_sources == [("r2", "retrieval.out_of_scope#retrieval.scope")]


def test_source_ids_fall_back_from_source_to_id_to_the_documents_id_to_position(
    how_to: Decision,
) -> None:
    docs = [
        Document(id="doc-0", page_content="x", metadata={"scope": "x", "source": "s.md", "id": 9}),
        Document(id="doc-1", page_content="x", metadata={"scope": "x", "id": "meta-1"}),
        Document(id="doc-2", page_content="x", metadata={"scope": "x"}),
        Document(page_content="x", metadata={"scope": "x"}),
        Document(page_content="x", metadata={"scope": "x", "id": 7}),
        Document(page_content="x", metadata={"scope": "x", "source": "", "id": True}),
        Document(page_content="x", metadata={"scope": "x", "source": {"url": "u"}}),
    ]
    result = scope_documents(docs, how_to)
    assert [source for source, _ in result.dropped_sources] == [
        "s.md",
        "meta-1",
        "doc-2",
        "#3",
        "7",
        "#5",
        "#6",
    ]
    assert result.reasons[3].source == "document:#3"


# -- ScopeResult -----------------------------------------------------------------------------------


def test_scope_result_is_frozen_and_reports_sources_and_reasons(how_to: Decision) -> None:
    docs = [doc("a", scope="help_center"), doc("b", scope="legal_compliance"), doc("c")]
    result = scope_documents(docs, how_to)
    assert result.allowed_sources == ["a"]
    assert result.dropped_sources == [
        ("b", "retrieval.out_of_scope#retrieval.scope"),
        ("c", "retrieval.unscoped#retrieval.scope"),
    ]
    assert [str(r) for r in result.reasons] == [code for _, code in result.dropped_sources]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.allowed = []  # type: ignore[misc]


# -- logging ---------------------------------------------------------------------------------------


def test_one_info_line_names_sources_and_codes_but_no_text(
    how_to: Decision, caplog: pytest.LogCaptureFixture
) -> None:
    docs = [
        doc("kb-1", "SECRET-TEXT-ONE", scope="help_center"),
        doc("kb-2", "SECRET-TEXT-TWO", scope="billing_policy"),
        doc("kb-3", "SECRET-TEXT-THREE"),
    ]
    with caplog.at_level(logging.INFO, logger="guardrail.retrieval"):
        scope_documents(docs, how_to)
    [record] = [r for r in caplog.records if r.name == "guardrail.retrieval"]
    assert record.levelno == logging.INFO
    line = record.getMessage()
    assert "need-state how_to" in line
    assert how_to.policy_version in line
    assert "allowed 1 [kb-1]" in line
    assert (
        "dropped 2 [kb-2 (retrieval.out_of_scope#retrieval.scope), "
        "kb-3 (retrieval.unscoped#retrieval.scope)]"
    ) in line
    assert "SECRET" not in line


def test_the_log_line_says_when_no_decision_was_in_force(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="guardrail.retrieval"):
        scope_documents([doc("kb-1", scope="help_center")], None)
    assert "(no decision)" in caplog.text
    assert "allowed 0 [none]; dropped 1 [kb-1 (retrieval.no_decision#retrieval.decision)]" in (
        caplog.text
    )


# -- the decision in force -------------------------------------------------------------------------


def test_use_decision_nests_and_restores(how_to: Decision, compliance: Decision) -> None:
    context = Context(role="admin")
    assert current_decision() is None
    with use_decision(how_to, context):
        assert current_decision() == (how_to, context)
        with use_decision(compliance):
            assert current_decision() == (compliance, None)
            with use_decision(None):
                assert current_decision() is None
            assert current_decision() == (compliance, None)
        assert current_decision() == (how_to, context)
    assert current_decision() is None


def test_use_decision_restores_after_an_exception(how_to: Decision) -> None:
    with pytest.raises(RuntimeError, match="boom"), use_decision(how_to):
        raise RuntimeError("boom")
    assert current_decision() is None


def test_threads_see_the_decision_only_when_the_context_is_copied(how_to: Decision) -> None:
    seen: dict[str, object] = {}

    def look(name: str) -> None:
        seen[name] = current_decision()

    with use_decision(how_to):
        copied = contextvars.copy_context()
        with_copy = threading.Thread(target=copied.run, args=(look, "copied"))
        plain = threading.Thread(target=look, args=("plain",))
        for thread in (with_copy, plain):
            thread.start()
            thread.join()
        # LangChain runs sync tools on an executor that copies the context for each call.
        with ContextThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(look, "langchain").result()
    assert seen == {"copied": (how_to, None), "plain": None, "langchain": (how_to, None)}


def test_asyncio_tasks_inherit_the_decision_and_stay_isolated(
    how_to: Decision, compliance: Decision
) -> None:
    docs = [
        doc("hc", scope="help_center"),
        doc("legal", scope="legal_compliance", authoritative=True),
    ]

    async def turn(decision: Decision) -> list[str]:
        with use_decision(decision):
            await asyncio.sleep(0)  # let the other turn run inside its own block
            inner = asyncio.create_task(retrieve())
            in_thread = await asyncio.to_thread(retrieve_sync)
            assert in_thread == await inner
            return await inner

    async def retrieve() -> list[str]:
        await asyncio.sleep(0)
        return retrieve_sync()

    def retrieve_sync() -> list[str]:
        in_force = current_decision()
        assert in_force is not None
        return scope_documents(docs, *in_force).allowed_sources

    async def main() -> list[list[str]]:
        results = await asyncio.gather(turn(how_to), turn(compliance))
        assert current_decision() is None
        return list(results)

    assert asyncio.run(main()) == [["hc"], ["legal"]]


# -- ScopedRetriever -------------------------------------------------------------------------------


class FixedRetriever(BaseRetriever):
    """A real retriever returning fixed documents; async calls are marked so tests can tell."""

    documents: list[Document]
    calls: list[str]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        self.calls.append(f"sync:{query}")
        return list(self.documents)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        self.calls.append(f"async:{query}")
        return list(self.documents)


def _kb() -> list[Document]:
    return [
        doc("hc", scope="help_center"),
        doc("forum", scope="community"),
        doc("refunds", scope="billing_policy"),
        doc("dpa", scope="legal_compliance", authoritative=True),
        doc("admin-guide", scope="product_docs", roles=["admin"]),
    ]


def _sources(documents: list[Document]) -> list[str]:
    return [d.metadata["source"] for d in documents]


def test_scoped_retriever_filters_with_its_own_decision(
    how_to: Decision, compliance: Decision
) -> None:
    inner = FixedRetriever(documents=_kb(), calls=[])
    scoped = ScopedRetriever(retriever=inner).with_decision(how_to, Context(role="admin"))
    documents = scoped.invoke("slack")
    assert _sources(documents) == ["hc", "forum", "admin-guide"]
    assert documents[0] == _kb()[0]  # returned unchanged
    assert inner.calls == ["sync:slack"]

    assert _sources(scoped.with_decision(compliance).invoke("gdpr")) == ["dpa"]
    assert _sources(scoped.invoke("again")) == ["hc", "forum", "admin-guide"]  # copy, not mutated


def test_scoped_retriever_uses_the_decision_in_force(
    how_to: Decision, compliance: Decision
) -> None:
    scoped = ScopedRetriever(retriever=FixedRetriever(documents=_kb(), calls=[]))
    with use_decision(how_to, Context(role="end_user")):
        assert _sources(scoped.invoke("q")) == ["hc", "forum"]
        # Its own decision wins over the one in force.
        assert _sources(scoped.with_decision(compliance).invoke("q")) == ["dpa"]
    # Its own context overrides the context put in force with the decision.
    with use_decision(how_to, Context(role="end_user")):
        admin = ScopedRetriever(retriever=scoped.retriever, context=Context(role="admin"))
        assert _sources(admin.invoke("q")) == ["hc", "forum", "admin-guide"]


def test_scoped_retriever_without_a_decision_returns_nothing_and_does_not_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner = FixedRetriever(documents=_kb(), calls=[])
    scoped = ScopedRetriever(retriever=inner)
    with caplog.at_level(logging.INFO, logger="guardrail.retrieval"):
        assert scoped.invoke("q") == []
        assert asyncio.run(scoped.ainvoke("q")) == []
    assert inner.calls == []
    assert caplog.text.count("no decision in force") == 2


def test_scoped_retriever_async_uses_the_wrapped_retrievers_async_path(
    how_to: Decision, compliance: Decision
) -> None:
    inner = FixedRetriever(documents=_kb(), calls=[])
    scoped = ScopedRetriever(retriever=inner)

    async def main() -> tuple[list[Document], list[Document]]:
        with use_decision(how_to):
            in_force = await scoped.ainvoke("slack")
        own = await scoped.with_decision(compliance).ainvoke("gdpr")
        return in_force, own

    in_force, own = asyncio.run(main())
    assert _sources(in_force) == ["hc", "forum"]
    assert _sources(own) == ["dpa"]
    assert inner.calls == ["async:slack", "async:gdpr"]


class _RunRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[tuple[UUID, UUID | None]] = []

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.starts.append((run_id, parent_run_id))


def test_the_wrapped_retriever_runs_as_a_child_run(how_to: Decision) -> None:
    recorder = _RunRecorder()
    scoped = ScopedRetriever(retriever=FixedRetriever(documents=_kb(), calls=[]), decision=how_to)
    scoped.invoke("q", config={"callbacks": [recorder]})
    [(outer, outer_parent), (inner, inner_parent)] = recorder.starts
    assert outer_parent is None
    assert inner_parent == outer != inner


@pytest.fixture
def vector_retriever() -> BaseRetriever:
    store = InMemoryVectorStore(embedding=DeterministicFakeEmbedding(size=16))
    store.add_documents(
        [
            Document(page_content="Connect Slack in Settings", metadata={"scope": "help_center"}),
            Document(page_content="Forum: Slack tips", metadata={"scope": "community"}),
            Document(page_content="Refund policy", metadata={"scope": "billing_policy"}),
            Document(
                page_content="Data processing addendum",
                metadata={"scope": "legal_compliance", "authoritative": True, "source": "dpa"},
            ),
            Document(page_content="No metadata at all"),
        ]
    )
    return store.as_retriever(search_kwargs={"k": 10})


def test_scoped_retriever_around_a_vector_store(
    vector_retriever: BaseRetriever,
    how_to: Decision,
    compliance: Decision,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert len(vector_retriever.invoke("slack")) == 5
    scoped = ScopedRetriever(retriever=vector_retriever)
    with caplog.at_level(logging.INFO, logger="guardrail.retrieval"):
        with use_decision(how_to):
            texts = sorted(d.page_content for d in scoped.invoke("slack"))
        assert texts == ["Connect Slack in Settings", "Forum: Slack tips"]
        assert [d.page_content for d in scoped.with_decision(compliance).invoke("data")] == [
            "Data processing addendum"
        ]
    # Vector-store documents carry their store id, which names them in the log.
    assert "retrieval.unscoped#retrieval.scope" in caplog.text
    assert "dpa" in caplog.text
    assert "#0" not in caplog.text


def test_scoped_retriever_around_a_vector_store_async(
    vector_retriever: BaseRetriever, compliance: Decision
) -> None:
    async def main() -> list[Document]:
        with use_decision(compliance):
            return await ScopedRetriever(retriever=vector_retriever).ainvoke("data")

    [document] = asyncio.run(main())
    assert document.metadata["source"] == "dpa"
    assert document.id is not None


def test_scoped_retriever_rejects_a_non_retriever() -> None:
    with pytest.raises(ValueError, match="retriever"):
        ScopedRetriever(retriever=lambda query: [])
