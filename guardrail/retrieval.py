"""Retrieval scoping: which retrieved documents a turn's decision lets the assistant read.

A `Decision` names the document scopes a turn may draw from (`retrieval_scope`) and may demand
authoritative sources only. `scope_documents` applies that to concrete documents by reading
their metadata, and says why each dropped document was dropped. It never reads document text
and it fails closed: no decision, no scope metadata or metadata it cannot read all drop the
document.

Metadata keys read (a value is a string or a list of strings unless noted)::

    scope                   required; the document is in scope if any of its scopes is
    stack, integration      products or integrations it is about (checked against tech_stack)
    roles, audience         user roles it is written for (checked against Context.role)
    region, regions         regions it applies to (checked against Context.region)
    authoritative           True or "true" marks an authoritative source
    source, id              the document's id in reason codes and logs

Adapters make a turn's decision available to a retriever called deep inside a tool with
`use_decision`; the retriever reads it back with `current_decision`. Both ride on a
`contextvars.ContextVar`, which asyncio tasks inherit when they are created. A plain
`threading.Thread` starts with an *empty* context: run its target under
``contextvars.copy_context().run`` (LangChain's executors and `asyncio.to_thread` do this for
you), or the retriever finds no decision and returns nothing.

This module imports no framework; `guardrail.adapters` wraps it for LangChain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Generic, TypeVar

from guardrail.conversation import Context
from guardrail.decision import Decision
from guardrail.errors import UserError
from guardrail.reasons import ADAPTER_CODES, ReasonCode
from guardrail.registry import Registry
from guardrail.tracing import Verbatim, record_retrieval

__all__ = [
    "ScopeResult",
    "current_decision",
    "current_registry",
    "scope_documents",
    "use_decision",
]

T = TypeVar("T")

logger = logging.getLogger("guardrail.retrieval")

_AUTHORITATIVE_DIRECTIVE = "authoritative_only"

# The decision in force, its context, and the registry that made it (for authoritative_needs).
_CURRENT: ContextVar[tuple[Decision, Context | None, Registry | None] | None] = ContextVar(
    "guardrail_retrieval_decision", default=None
)

# A violated rule: (reason code, rule id, the specifics appended to the code's sentence).
_Violation = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class ScopeResult(Generic[T]):
    """What `scope_documents` kept and what it dropped, in input order.

    Attributes:
        allowed: the documents the decision lets the assistant read, unchanged.
        dropped: every other document with the one reason it was dropped.
    """

    allowed: list[T]
    dropped: list[tuple[T, ReasonCode]]
    # The source ids of `allowed`, computed once while the metadata was at hand.
    _allowed_ids: tuple[str, ...] = field(default=(), repr=False, kw_only=True)

    @property
    def allowed_sources(self) -> list[str]:
        """The source ids of the allowed documents."""
        return list(self._allowed_ids)

    @property
    def dropped_sources(self) -> list[tuple[str, str]]:
        """``(source id, "code#rule_id")`` for each dropped document."""
        return [
            (reason.source.removeprefix("document:"), str(reason)) for _, reason in self.dropped
        ]

    @property
    def reasons(self) -> list[ReasonCode]:
        """The reason of each dropped document, in input order."""
        return [reason for _, reason in self.dropped]


def scope_documents(
    documents: Iterable[T],
    decision: Decision | None,
    context: Context | None = None,
    *,
    metadata: Callable[[T], Mapping[str, object]] | None = None,
    registry: Registry | None = None,
) -> ScopeResult[T]:
    """Keep the documents `decision` lets the assistant read for a customer in `context`.

    Each document is checked against these rules in order; the first it fails is the reason it
    is dropped:

    1. a decision is in force (``retrieval.no_decision``);
    2. its ``scope`` is present and one of its scopes is in ``decision.retrieval_scope``
       (``retrieval.unscoped``, ``retrieval.out_of_scope``);
    3. its ``stack``/``integration``, if any, meets the customer's tech stack; a customer with
       no known stack may read any stack's documents (``retrieval.stack_mismatch``);
    4. its ``roles``/``audience``, if any, include the customer's role; an unknown role reads
       no role-restricted document (``retrieval.role_mismatch``);
    5. its ``region``/``regions``, if any, include the customer's region when that is known
       (``retrieval.region_mismatch``);
    6. it is marked ``authoritative`` when the decision has the ``authoritative_only``
       directive or one of the registry's ``settings.authoritative_needs`` need-states
       (``retrieval.not_authoritative``).

    Scope names compare exactly (they are registry ids); stacks, roles and regions compare
    case-insensitively. An empty string or list counts as absent. A value of the wrong type
    fails its rule, so a malformed document is dropped, never an exception.

    Args:
        documents: the retrieved documents, in ranking order.
        decision: the turn's decision; None drops everything.
        context: the customer's stable context, for stack, role and region.
        metadata: reads a document's metadata. By default: its ``metadata`` attribute (a
            LangChain ``Document``), else the document itself if it is a mapping (its
            ``"metadata"`` key if it has one).
        registry: the registry the decision came from, for its ``authoritative_needs``
            (default: the one an enclosing `use_decision` names, else the shipped registry's,
            read once per process).

    Returns:
        The allowed documents and the dropped ones with reasons. One INFO line on the
        ``guardrail.retrieval`` logger names both by source id (never their text).

    Raises:
        UserError: `documents` is not an iterable of documents, or `decision` / `context`
            are not a `Decision` / `Context`.
    """
    _check_turn(decision, context)
    items = _iterate(documents)
    read: Callable[[T], Mapping[str, object]] = metadata or _default_metadata
    if registry is None:
        in_force = _CURRENT.get()
        registry = in_force[2] if in_force is not None else None
    authoritative = (
        frozenset(registry.settings.authoritative_needs)
        if registry is not None
        else _shipped_authoritative_needs()
    )
    allowed: list[T] = []
    allowed_ids: list[str] = []
    dropped: list[tuple[T, ReasonCode]] = []
    for position, document in enumerate(items):
        meta = read(document)
        if not isinstance(meta, Mapping):
            meta = {}
        source = _source_id(document, meta, position)
        if decision is None:
            violation: _Violation | None = ("retrieval.no_decision", "retrieval.decision", "")
        else:
            violation = _violation(meta, decision, context, authoritative)
        if violation is None:
            allowed.append(document)
            allowed_ids.append(source)
        else:
            dropped.append((document, _reason(*violation, source=source)))
    result = ScopeResult(allowed, dropped, _allowed_ids=tuple(allowed_ids))
    _log(result, decision)
    return result


@contextmanager
def use_decision(
    decision: Decision | None, context: Context | None = None, registry: Registry | None = None
) -> Iterator[None]:
    """Make `decision` (and `context`) the one in force for retrieval inside the block.

    `registry` is the one that made the decision: `scope_documents` calls inside the block that
    name no registry read its ``authoritative_needs`` (the adapters pass their guard's).

    Nests, and restores the outer value on exit, even on an exception. ``use_decision(None)``
    explicitly leaves no decision in force. Asyncio tasks created inside the block inherit it;
    new threads do not unless started under ``contextvars.copy_context().run``.

    Raises:
        UserError: `decision` or `context` has the wrong type.
    """
    _check_turn(decision, context)
    token = _CURRENT.set(None if decision is None else (decision, context, registry))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_decision() -> tuple[Decision, Context | None] | None:
    """The ``(decision, context)`` an enclosing `use_decision` put in force, or None."""
    in_force = _CURRENT.get()
    return None if in_force is None else (in_force[0], in_force[1])


def current_registry() -> Registry | None:
    """The registry an enclosing `use_decision` put in force with its decision, or None."""
    in_force = _CURRENT.get()
    return None if in_force is None else in_force[2]


# -- internals ---------------------------------------------------------------------------------


@cache
def _shipped_authoritative_needs() -> frozenset[str]:
    return frozenset(Registry.default().settings.authoritative_needs)


def _check_turn(decision: object, context: object) -> None:
    if decision is not None and not isinstance(decision, Decision):
        raise UserError(f"decision must be a guardrail Decision, got {type(decision).__name__}")
    if context is not None and not isinstance(context, Context):
        raise UserError(f"context must be a guardrail Context, got {type(context).__name__}")


def _iterate(documents: Iterable[T]) -> Iterator[T]:
    # Strings, mappings and single documents are iterable too, but iterating them yields
    # characters, keys or fields: a caller who passes one meant a list of one.
    single = isinstance(documents, str | bytes | bytearray | Mapping) or hasattr(
        documents, "metadata"
    )
    if not single:
        try:
            return iter(documents)
        except TypeError:
            pass
    raise UserError(
        f"documents must be an iterable of documents (a list, say), got {type(documents).__name__}"
    )


def _default_metadata(document: object) -> Mapping[str, object]:
    meta = getattr(document, "metadata", None)
    if isinstance(meta, Mapping):
        return meta
    if isinstance(document, Mapping):
        if "metadata" not in document:
            return document
        inner = document["metadata"]
        return inner if isinstance(inner, Mapping) else {}
    return {}


def _source_id(document: object, meta: Mapping[str, object], position: int) -> str:
    for value in (meta.get("source"), meta.get("id"), getattr(document, "id", None)):
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return f"#{position}"


def _strings(value: object) -> list[str] | None:
    """A string or a collection of strings as a list: [] when absent or empty, None if
    malformed (any other type, or a collection holding anything but strings)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(item, str) for item in value
    ):
        items = sorted(value) if isinstance(value, set | frozenset) else list(value)
        return [item for item in items if item.strip()]
    return None


def _field(meta: Mapping[str, object], *keys: str) -> tuple[list[str] | None, str]:
    """The values under `keys` together (None if any is malformed), and the key(s) present."""
    values: list[str] = []
    present = [key for key in keys if meta.get(key) is not None]
    for key in present:
        got = _strings(meta[key])
        if got is None:
            return None, key
        values.extend(got)
    return values, "/".join(present) or keys[0]


def _malformed(key: str, meta: Mapping[str, object]) -> str:
    return f"'{key}' metadata is a {type(meta[key]).__name__}, not a string or list of strings"


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _folded(values: Iterable[str]) -> set[str]:
    return {v.strip().casefold() for v in values}


def _violation(
    meta: Mapping[str, object],
    decision: Decision,
    context: Context | None,
    authoritative_needs: frozenset[str],
) -> _Violation | None:
    scopes = _strings(meta.get("scope"))
    if scopes is None:
        return "retrieval.unscoped", "retrieval.scope", _malformed("scope", meta)
    if not scopes:
        return "retrieval.unscoped", "retrieval.scope", "no 'scope' metadata"
    if not any(scope in decision.retrieval_scope for scope in scopes):
        allowed = ", ".join(decision.retrieval_scope) or "(no scope)"
        noun = "scope" if len(scopes) == 1 else "scopes"
        detail = f"{noun} {_quoted(scopes)} not in {allowed}"
        return "retrieval.out_of_scope", "retrieval.scope", detail

    stacks, key = _field(meta, "stack", "integration")
    if stacks is None:
        return "retrieval.stack_mismatch", "retrieval.stack", _malformed(key, meta)
    customer_stack = context.tech_stack if context is not None else []
    if stacks and customer_stack and not _folded(stacks) & _folded(customer_stack):
        return (
            "retrieval.stack_mismatch",
            "retrieval.stack",
            f"{key} {_quoted(stacks)} not in the customer's tech stack {_quoted(customer_stack)}",
        )

    roles, key = _field(meta, "roles", "audience")
    if roles is None:
        return "retrieval.role_mismatch", "retrieval.role", _malformed(key, meta)
    role = context.role if context is not None else None
    if roles and (role is None or role.casefold() not in _folded(roles)):
        who = f"'{role}'" if role is not None else "unknown"
        return (
            "retrieval.role_mismatch",
            "retrieval.role",
            f"{key} {_quoted(roles)}; the customer's role is {who}",
        )

    regions, key = _field(meta, "region", "regions")
    if regions is None:
        return "retrieval.region_mismatch", "retrieval.region", _malformed(key, meta)
    region = context.region if context is not None else None
    if regions and region is not None and region.strip().casefold() not in _folded(regions):
        return (
            "retrieval.region_mismatch",
            "retrieval.region",
            f"{key} {_quoted(regions)}; the customer's region is '{region}'",
        )

    if _AUTHORITATIVE_DIRECTIVE in decision.directives:
        why = f"the {_AUTHORITATIVE_DIRECTIVE} directive"
    elif decision.need_state in authoritative_needs:
        why = f"the {decision.need_state} need-state"
    else:
        return None
    marked = meta.get("authoritative")
    if marked is True or marked == "true":
        return None
    return "retrieval.not_authoritative", "retrieval.authority", f"required by {why}"


def _reason(code: str, rule_id: str, detail: str, *, source: str) -> ReasonCode:
    text = ADAPTER_CODES[code]
    return ReasonCode(
        code=code,
        rule_id=rule_id,
        source=f"document:{source}",
        explanation=f"{text} ({detail})" if detail else text,
    )


def _log(result: ScopeResult[T], decision: Decision | None) -> None:
    record_retrieval(result.allowed_sources, result.dropped_sources)
    if not logger.isEnabledFor(logging.INFO):
        return
    allowed = ", ".join(result.allowed_sources) or "none"
    dropped = ", ".join(f"{source} ({code})" for source, code in result.dropped_sources)
    logger.info(
        "retrieval scoped for need-state %s (policy %s): allowed %d [%s]; dropped %d [%s]",
        decision.need_state if decision is not None else "(no decision)",
        Verbatim(decision.policy_version) if decision is not None else "-",
        len(result.allowed),
        allowed,
        len(result.dropped),
        dropped or "none",
    )
