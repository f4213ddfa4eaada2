"""The demo's support back office: real LangChain tools over an in-memory account system.

The tools do what their names say to a small in-memory `Backoffice` (refunds move money,
cancellations cancel), and every call that ran is written to `Backoffice.log`, so the demo and
the tests can show which effects really happened, not just what the model asked for.
Customer-bound tools take a `customer_id` argument the middleware binds to the session.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, tool

from guardrail.adapters.retriever import ScopedRetriever

__all__ = ["Backoffice", "KeywordRetriever", "load_documents", "make_tools", "tool_names"]

_DOCS = Path(__file__).with_name("docs.yaml")
_WORD = re.compile(r"[a-z0-9]+")


def load_documents(path: Path = _DOCS) -> list[Document]:
    """The demo's help-centre documents, with their scoping metadata."""
    raw = yaml.safe_load(path.read_text("utf-8"))["documents"]
    docs = []
    for entry in raw:
        meta = {k: v for k, v in entry.items() if k != "text"}
        meta["source"] = meta.pop("id")
        docs.append(Document(page_content=str(entry["text"]), metadata=meta))
    return docs


class KeywordRetriever(BaseRetriever):
    """A small keyword-overlap retriever (a real `BaseRetriever`; no embeddings needed)."""

    documents: list[Document]
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        wanted = set(_WORD.findall(query.lower()))
        scored = []
        for doc in self.documents:
            text = f"{doc.metadata.get('title', '')} {doc.page_content}".lower()
            words = set(_WORD.findall(text))
            overlap = len(wanted & words)
            if overlap:
                scored.append((overlap, doc))
        scored.sort(key=lambda pair: -pair[0])
        return [doc for _, doc in scored[: self.k]]


@dataclass
class Backoffice:
    """Accounts, invoices and what the tools did to them (`log`)."""

    log: list[dict[str, Any]] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)
    refunds: list[tuple[str, float]] = field(default_factory=list)
    retrieved: list[list[str]] = field(default_factory=list)
    # Retrieved documents whose planted instructions were withheld: (source, reason codes).
    quarantined: list[tuple[str, list[str]]] = field(default_factory=list)

    def record(self, tool_name: str, **args: Any) -> None:
        self.log.append({"tool": tool_name, **args})


def make_tools(office: Backoffice, retriever: ScopedRetriever) -> list[BaseTool]:
    """The demo's tools, acting on `office`; `search_docs` reads through `retriever`."""

    @tool
    def search_docs(query: str) -> str:
        """Search the help centre and product documentation."""
        docs = retriever.invoke(query)
        office.retrieved.append([str(d.metadata.get("source")) for d in docs])
        office.quarantined.extend(
            (str(d.metadata.get("source")), d.metadata["guardrail_quarantine"])
            for d in docs if d.metadata.get("guardrail_quarantine")
        )
        office.record("search_docs", query=query)
        if not docs:
            return "No document in scope matches."
        return "\n".join(f"[{d.metadata['source']}] {d.metadata.get('title')}: {d.page_content}"
                         for d in docs)

    @tool
    def lookup_invoice(invoice_id: str, customer_id: str = "") -> str:
        """Read one of the customer's invoices."""
        office.record("lookup_invoice", invoice_id=invoice_id, customer_id=customer_id)
        return f"{invoice_id}: 49.00 EUR, Starter plan, paid 3 March by card ending 4242."

    @tool
    def get_account_status(customer_id: str = "") -> str:
        """Read the customer's account, plan and lock status."""
        office.record("get_account_status", customer_id=customer_id)
        return f"{customer_id}: active, two-factor authentication on, not locked."

    @tool
    def issue_refund(amount: float, invoice_id: str = "", customer_id: str = "") -> str:
        """Refund a charge to the original payment method."""
        office.refunds.append((customer_id, amount))
        office.record("issue_refund", amount=amount, invoice_id=invoice_id,
                      customer_id=customer_id)
        return f"Refunded {amount:.2f} to {customer_id}."

    @tool
    def cancel_subscription(customer_id: str = "") -> str:
        """Cancel the customer's subscription at the end of the billing period."""
        office.cancelled.add(customer_id)
        office.record("cancel_subscription", customer_id=customer_id)
        return f"Subscription of {customer_id} cancelled at period end."

    @tool
    def reset_mfa(customer_id: str = "") -> str:
        """Remove the customer's second factor so they can enrol again."""
        office.record("reset_mfa", customer_id=customer_id)
        return f"Two-factor authentication of {customer_id} removed."

    return [search_docs, lookup_invoice, get_account_status, issue_refund, cancel_subscription,
            reset_mfa]


def tool_names(tools: Sequence[BaseTool]) -> list[str]:
    """The names of `tools`."""
    return [t.name for t in tools]
