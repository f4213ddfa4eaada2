"""The tool-call gate every adapter shares: allow, ask for confirmation, or deny, with reasons.

A decision says which tools a turn may use; this module applies it to one concrete call. It is
the real gate: a model may call a tool it was never shown, so every call is checked here again
before it runs. Identifier arguments named in the tool catalogue (`customer_args`) are bound to
the session's customer: filled in when absent, and the call denied when they name someone else.

A model talked into acting for someone else will not use the argument the catalogue names: it
nests the id in a list of objects, renames or pluralises the key (``customer_ids``,
``cust_id``), writes the key in look-alike letters, encodes JSON inside a string, or names the
victim by e-mail. So every argument of a customer-bound tool is walked (objects, lists, JSON
inside strings, within bounds), every name is folded (`fold_key`) and compared with the
registry's identity vocabulary (`settings.identity`), and every text is searched for the
registry's identifier patterns; whatever identifies someone other than the session's verified
`SessionIdentity` is denied, and arguments too deep, too large or unreadable to check are too.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast, get_args

from guardrail.decision import Decision, Verdict
from guardrail.errors import UserError
from guardrail.reasons import ADAPTER_CODES, ReasonCode
from guardrail.redact import redact
from guardrail.registry import Registry
from guardrail.registry.schema import IdentityKind, IdentityKindSpec, IdentitySettings, ToolSpec
from guardrail.text import Normaliser

__all__ = [
    "CallCheck",
    "IdentityLike",
    "SessionIdentity",
    "check_tool_call",
    "fold_key",
    "parse_arguments",
]


@dataclass(frozen=True, slots=True)
class CallCheck:
    """The gate's answer for one tool call.

    Attributes:
        tool: the tool name as the model called it.
        action: ``allow`` (run it), ``confirm`` (run only after explicit approval) or ``deny``.
        args: the arguments to run it with, customer identifiers bound to the session.
        reasons: why; the first one is the gate's own code, then the decision's reasons.
        bound: the argument names filled in from the session.
    """

    tool: str
    action: Verdict
    args: dict[str, Any]
    reasons: tuple[ReasonCode, ...] = ()
    bound: tuple[str, ...] = field(default=())

    @classmethod
    def allow(
        cls,
        tool: str,
        args: dict[str, Any],
        *,
        reasons: Sequence[ReasonCode] = (),
        bound: Sequence[str] = (),
        code: str = "",
        rule_id: str = "decision",
    ) -> CallCheck:
        """Run the call.

        Args:
            tool: the tool name as the model called it.
            args: the arguments to run it with.
            reasons: the decision's reasons for the tool.
            bound: the argument names filled in from the session.
            code: a gate code saying why it may run after all (``policy.confirmed``), put first.
            rule_id: the rule id of that code's reason.
        """
        own = (_reason(code, rule_id),) if code else ()
        return cls(tool, "allow", args, (*own, *reasons), tuple(bound))

    @classmethod
    def confirm(cls, tool: str, args: dict[str, Any], *, reasons: Sequence[ReasonCode] = (),
                bound: Sequence[str] = ()) -> CallCheck:
        """Run the call only after explicit approval; arguments as for `allow`.

        Its first reason is the gate's ``policy.confirmation_required``, then `reasons`.
        """
        own = _reason("policy.confirmation_required", "decision")
        return cls(tool, "confirm", args, (own, *reasons), tuple(bound))

    @classmethod
    def deny(
        cls,
        code: str | ReasonCode,
        tool: str,
        args: dict[str, Any],
        *,
        rule_id: str = "tool_call",
        detail: str = "",
        evidence: str = "",
        reasons: Sequence[ReasonCode] = (),
        bound: Sequence[str] = (),
    ) -> CallCheck:
        """Refuse the call, `code` first among its reasons.

        Args:
            code: the gate's code (``policy.tool_denied`` ...), or a reason already made (the
                decision's own ``policy.unknown_tool``), used as it is.
            tool: the tool name as the model called it.
            args: the arguments it was called with (empty when they were not an object).
            rule_id: the rule id of the gate's reason.
            detail: added to the code's sentence, in parentheses.
            evidence: the redacted value that caused it.
            reasons: the reasons that follow the gate's own (the decision's).
            bound: the argument names filled in from the session.
        """
        own = code if isinstance(code, ReasonCode) else _reason(code, rule_id, detail, evidence)
        return cls(tool, "deny", args, (own, *reasons), tuple(bound))

    @property
    def code(self) -> str:
        """The gate's reason code (``policy.tool_denied`` ...), or ``""`` for an allow."""
        return self.reasons[0].code if self.reasons and self.action != "allow" else ""

    def explanation(self) -> str:
        """One plain sentence saying why the call was not simply allowed."""
        if self.action == "allow" or not self.reasons:
            return "allowed"
        return self.reasons[0].explanation

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready record of this verdict (argument values redacted), for state and logs."""
        return {
            "tool": self.tool,
            "action": self.action,
            "reason_codes": [str(r) for r in self.reasons],
            "bound": list(self.bound),
            "args": {k: redact(_dumps(v), 80) for k, v in self.args.items()},
        }


def _dumps(value: Any) -> str:
    # Denied arguments can be hostile: nested past the recursion limit, or ints too long to print.
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return "[unprintable]"


def _reason(code: str, rule_id: str, detail: str = "", evidence: str = "") -> ReasonCode:
    text = ADAPTER_CODES[code]
    return ReasonCode(
        code=code,
        rule_id=rule_id,
        evidence=evidence,
        source="tool_call",
        explanation=f"{text} ({detail})" if detail else text,
    )


# -- binding the arguments to the session's identity ------------------------------------------

_KINDS: tuple[IdentityKind, ...] = get_args(IdentityKind)
# What an application passes as the session's verified identity: kind -> one value or several.
IdentityLike = Mapping[str, str | Sequence[str]]
_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPACE = re.compile(r"\s+")
_PHONE_TEXT = re.compile(r"\+?[\d\s().-]+")
_JSON_START = ("{", "[", '"')  # a string that may be JSON is parsed and walked
_NOT_JSON = object()
_MAX_INT_BITS = 256  # str() of a huge int raises; no identifier is that long


@dataclass(frozen=True, slots=True)
class SessionIdentity:
    """What the application verified about the session's customer, by kind of identifier.

    The gate binds customer-bound tool calls to these values: an identifier of a kind found in
    the arguments that is not one of them names someone else. Build it with `of`.

    Attributes:
        customer_id: the session's customer id (customer-id arguments are filled in with it).
        email: the customer's verified e-mail addresses.
        phone: the customer's verified phone numbers.
        account_number: the customer's account numbers.
        order_number: the customer's order numbers (when listed, no other order may be named).
    """

    customer_id: str | None = None
    email: tuple[str, ...] = ()
    phone: tuple[str, ...] = ()
    account_number: tuple[str, ...] = ()
    order_number: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, customer_id: str | None, identity: SessionIdentity | IdentityLike | None = None
    ) -> SessionIdentity:
        """The session's identity from its customer id and the other verified values.

        Args:
            customer_id: the session's customer id (``Context.customer_id``).
            identity: the other values by kind (``{"email": "ann@example.com", "phone": [...]}``);
                a ``customer_id`` there must be the same one.

        Raises:
            UserError: an unknown kind, a value that is not a non-empty string, or two customer
                ids for one session.
        """
        if isinstance(identity, SessionIdentity):
            identity = {kind: identity.values(kind) for kind in _KINDS}
        if not isinstance(identity, Mapping | None):
            raise UserError(f"identity must map kinds to values, got {type(identity).__name__}")
        values: dict[str, tuple[str, ...]] = {}
        for kind, given in (identity or {}).items():
            if kind not in _KINDS:
                raise UserError(f"unknown identity kind {kind!r}; expected one of {list(_KINDS)}")
            if not isinstance(given, str | Sequence):
                raise UserError(f"identity {kind!r}: expected a string or a list of strings")
            items = (given,) if isinstance(given, str) else tuple(given)
            if not all(isinstance(v, str) and v for v in items):
                raise UserError(f"identity {kind!r}: values must be non-empty strings")
            values[kind] = items
        ids = {*values.pop("customer_id", ()), *((customer_id,) if customer_id else ())}
        if len(ids) > 1:
            raise UserError("a session has one customer id; identity names another one")
        return cls(next(iter(ids), None), **values)

    def values(self, kind: IdentityKind) -> tuple[str, ...]:
        """The session's verified values of `kind`."""
        if kind == "customer_id":
            return (self.customer_id,) if self.customer_id is not None else ()
        return cast("tuple[str, ...]", getattr(self, kind))


@functools.lru_cache(maxsize=4096)  # tools are called with the same few names over and over
def fold_key(key: str) -> str | None:
    """An argument name as the identity vocabulary is compared: folded, unseparated, singular.

    ``customerIds``, ``CUSTOMER-ID``, ``customer_id`` with a Cyrillic or Greek i and the same in
    full-width letters all give ``customerid``. None when letters of another script are left
    after folding: such a name cannot be told apart from an identifier's, so it is refused.
    """
    split = _CAMEL.sub(" ", unicodedata.normalize("NFKC", key))
    words = _WORD.findall(Normaliser.fold(split))
    if not all(word.isascii() for word in words):
        return None
    return "".join(_singular(word) for word in words)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _same_phone(a: str, b: str) -> bool:
    """The same number: equal digits, the country prefix optional (``+44 7700 900123`` is
    ``07700 900123``)."""
    da, db = (("".join(ch for ch in x if ch.isdigit())).lstrip("0") for x in (a, b))
    short, long = sorted((da, db), key=len)
    return len(short) >= 9 and long.endswith(short)


@dataclass(frozen=True, slots=True)
class _Kind:
    name: IdentityKind
    spec: IdentityKindSpec
    patterns: tuple[re.Pattern[str], ...]
    exclude: re.Pattern[str] | None


class _Vocabulary:
    """`settings.identity` compiled once per registry: folded names and compiled patterns."""

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.keys: dict[str, IdentityKind] = {}
        self.parts: list[tuple[str, IdentityKind]] = []
        self.kinds: dict[IdentityKind, _Kind] = {}
        for name, spec in settings.kinds.items():
            for key in spec.keys:
                self.keys.setdefault(fold_key(key) or key, name)
            self.parts.extend((fold_key(part) or part, name) for part in spec.key_parts)
            exclude = "|".join(f"(?:{p})" for p in spec.exclude)
            self.kinds[name] = _Kind(name, spec, tuple(re.compile(p) for p in spec.patterns),
                                     re.compile(exclude) if exclude else None)
        self.generic = frozenset(fold_key(key) or key for key in settings.generic_keys)

    def kind_of(self, folded: str) -> IdentityKind | None:
        """The kind of identifier an argument of this (folded) name holds, if any."""
        kind = self.keys.get(folded)
        if kind is None:
            kind = next((k for part, k in self.parts if part in folded), None)
        return kind

    def unverified_allowed(self, kind: IdentityKind) -> bool:
        found = self.kinds.get(kind)
        return found is not None and found.spec.unverified == "allow"


_VOCABULARIES: weakref.WeakKeyDictionary[Registry, _Vocabulary] = weakref.WeakKeyDictionary()


def _vocabulary(registry: Registry) -> _Vocabulary:
    found = _VOCABULARIES.get(registry)
    if found is None or found.settings is not registry.settings.identity:
        found = _VOCABULARIES[registry] = _Vocabulary(registry.settings.identity)
    return found


@dataclass(frozen=True, slots=True)
class _Refusal:
    code: str
    path: str
    evidence: str = ""  # the raw value (redacted when it becomes a reason)
    why: str = ""


class _Binding:
    """One walk over one call's arguments, every value checked against the session's identity.

    Objects, lists and JSON inside strings are walked, within the bounds of `settings.identity`.
    A value held under an identifier's name (folded) must be one of the session's values, and
    any text, anywhere, that matches an identifier's pattern must be one of them too.
    """

    def __init__(self, vocabulary: _Vocabulary, session: SessionIdentity, spec: ToolSpec) -> None:
        self.vocabulary = vocabulary
        self.limits = vocabulary.settings
        self.spec = spec
        self.items = 0
        self.chars = 0
        self.own = {kind: session.values(kind) for kind in _KINDS}
        self.own_folded = {_SPACE.sub("", Normaliser.fold(value))
                           for values in self.own.values() for value in values}

    def check(self, args: Mapping[str, Any]) -> _Refusal | None:
        """The first argument that names someone other than the session's customer, if any."""
        for key, value in args.items():
            name = str(key)
            if name in self.spec.customer_args:
                refused = self._count(name, name)  # compared exactly by `check_tool_call`
            elif name in self.spec.new_value_args:
                refused = self._new_value(name, value, self.spec.new_value_args[name])
            else:
                declared = self.spec.identity_args.get(name)
                refused = self._entry(name, value, "", None, declared, 1, 0)
            if refused is not None:
                return refused
        return None

    def _invalid(self, path: str, why: str) -> _Refusal:
        return _Refusal("policy.invalid_arguments", path, why=why)

    def _count(self, text: str, path: str) -> _Refusal | None:
        self.items += 1
        self.chars += len(text)
        if self.items > self.limits.max_items:
            return self._invalid(path, f"more than {self.limits.max_items} values")
        if self.chars > self.limits.max_chars:
            return self._invalid(path, f"more than {self.limits.max_chars} characters")
        return None

    def _new_value(self, name: str, value: Any, kind: IdentityKind) -> _Refusal | None:
        if value is None:
            return None
        if not isinstance(value, str):
            return self._invalid(name, f"a new {kind} must be text")
        return self._count(name + value, name) or self._scan(value, name, skip=kind)

    def _entry(self, key: str, value: Any, path: str, parent: IdentityKind | None,
               declared: IdentityKind | None, depth: int, layers: int) -> _Refusal | None:
        """One key of an object (itself scanned: ``{"cus_2": ...}``), then its value."""
        where = f"{path}.{key}" if path else key
        refused = self._count(key, where) or self._scan(key, where)
        if refused is not None:
            return refused
        kind = declared
        if kind is None:
            folded = fold_key(key)
            if folded is None:
                return _Refusal("policy.invalid_arguments", where, key,
                                "an argument name in letters that do not fold to Latin ones")
            kind = self.vocabulary.kind_of(folded)
            if kind is None and parent is not None and folded in self.vocabulary.generic:
                kind = parent
        return self._walk(value, where, kind, depth, layers)

    def _walk(self, value: Any, path: str, kind: IdentityKind | None, depth: int,
              layers: int) -> _Refusal | None:
        if depth > self.limits.max_depth:
            return self._invalid(path, f"nested deeper than {self.limits.max_depth}")
        if isinstance(value, Mapping):
            for key, item in value.items():
                refused = self._entry(str(key), item, path, kind, None, depth + 1, layers)
                if refused is not None:
                    return refused
            return None
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                where = f"{path}[{i}]"
                refused = self._count("", where) or self._walk(item, where, kind, depth + 1, layers)
                if refused is not None:
                    return refused
            return None
        if isinstance(value, str):
            return self._text(value, path, kind, depth, layers)
        if value is None:
            return None
        if isinstance(value, bool | float):
            return self._mismatch(kind, path, repr(value)) if kind is not None else None
        if isinstance(value, int):
            if value.bit_length() > _MAX_INT_BITS:
                return self._invalid(path, "a number too large to be an amount or an id")
            return self._leaf(str(value), path, kind) if kind is not None else None
        return self._invalid(path, f"a value of type {type(value).__name__}")

    def _text(self, text: str, path: str, kind: IdentityKind | None, depth: int,
              layers: int) -> _Refusal | None:
        refused = self._count(text, path)
        if refused is not None:
            return refused
        stripped = text.strip()
        if stripped.startswith(_JSON_START):
            try:
                parsed: Any = json.loads(stripped)
            except RecursionError:
                return self._invalid(path, "JSON nested too deeply to read")
            except ValueError:  # not JSON after all (or a number too long): read as text
                parsed = _NOT_JSON
            if parsed is not _NOT_JSON:
                if layers >= self.limits.max_json_layers:
                    return self._invalid(
                        path, f"JSON inside strings more than {self.limits.max_json_layers} deep")
                return self._walk(parsed, path, kind, depth + 1, layers + 1)
        if kind is not None:
            return self._leaf(text, path, kind)
        return self._scan(text, path)

    def _leaf(self, text: str, path: str, kind: IdentityKind) -> _Refusal | None:
        """A value held under an identifier's name: one of the session's, or refused."""
        if not text or self._is_own(text):
            return None
        if not self.own[kind] and self.vocabulary.unverified_allowed(kind):
            return self._scan(text, path)
        return self._mismatch(kind, path, text)

    def _is_own(self, text: str) -> bool:
        for kind, values in self.own.items():
            found = self.vocabulary.kinds.get(kind)
            compare = found.spec.compare if found is not None else "exact"
            for value in values:
                if compare == "exact" and text == value:
                    return True
                if compare == "casefold" and text.casefold() == value.casefold():
                    return True
                if (compare == "digits" and _PHONE_TEXT.fullmatch(text)
                        and _same_phone(text, value)):
                    return True
        return False

    def _scan(self, text: str, path: str, skip: IdentityKind | None = None) -> _Refusal | None:
        """Identifier-looking text that is not the session's, in any argument."""
        folded = Normaliser.fold(text)
        for kind in self.vocabulary.kinds.values():
            if kind.name == skip or (not self.own[kind.name]
                                     and self.vocabulary.unverified_allowed(kind.name)):
                continue
            hay = kind.exclude.sub(" ", folded) if kind.exclude is not None else folded
            for pattern in kind.patterns:
                for match in pattern.finditer(hay):
                    if not self._own_match(kind, match):
                        return self._mismatch(kind.name, path, match.group())
        return None

    def _own_match(self, kind: _Kind, match: re.Match[str]) -> bool:
        if kind.spec.compare == "digits":
            return any(_same_phone(match.group(), own) for own in self.own[kind.name])
        found = {_SPACE.sub("", match.group())}
        if "id" in match.re.groupindex and match.group("id"):
            found.add(match.group("id"))
        return not found.isdisjoint(self.own_folded)

    @staticmethod
    def _mismatch(kind: IdentityKind, path: str, value: str) -> _Refusal:
        code = "policy.customer_mismatch" if kind == "customer_id" else "policy.identity_mismatch"
        return _Refusal(code, path, value, kind.replace("_", " "))


def parse_arguments(raw: Any) -> dict[str, Any] | None:
    """Tool-call arguments as a dict: a mapping as is, a JSON object string parsed, else None."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str | bytes):
        try:
            value = json.loads(raw or "{}")
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None
    return None


def check_tool_call(
    registry: Registry,
    decision: Decision,
    tool: str,
    arguments: Any,
    customer_id: str | None,
    identity: SessionIdentity | IdentityLike | None = None,
) -> CallCheck:
    """Gate one call of `tool` with `arguments` under `decision`, for the session's customer.

    Denied, in this order: while a human is taking over; a tool the decision denies or does not
    know; arguments that are not a JSON object; for a customer-bound tool, arguments too deep,
    too large or unreadable to check, any identifier in them (under any name, at any depth) that
    is not the session's, or no customer id in the session. Otherwise the call is allowed, or
    needs confirmation when the decision says so.

    Args:
        registry: the registry the decision came from (tool catalogue, identity vocabulary).
        decision: this turn's decision.
        tool: the tool name as the model called it.
        arguments: its arguments: a mapping or a JSON object string.
        customer_id: the session's customer id; customer-id arguments are bound to it.
        identity: what else the application verified about the customer (e-mails, phones,
            account and order numbers), by kind; an identity that cannot be read denies the call.
    """
    args = parse_arguments(arguments)
    if decision.handoff.required:
        why = ", ".join(decision.handoff.reasons[:3]) or "handoff"
        return CallCheck.deny("policy.handoff_in_progress", tool, args or {}, rule_id="handoff",
                              detail=why)
    verdict = decision.verdict(tool)
    if verdict.verdict == "deny":  # before the arguments: what was attempted is what counts
        own = verdict.reasons[0] if verdict.reasons else None
        if own is not None and own.code == "policy.unknown_tool":
            return CallCheck.deny(own, tool, args or {}, reasons=verdict.reasons[1:])
        detail = "; ".join(str(r) for r in verdict.reasons[:3])
        return CallCheck.deny("policy.tool_denied", tool, args or {}, rule_id="decision",
                              detail=detail, reasons=verdict.reasons)
    if args is None:
        return CallCheck.deny("policy.invalid_arguments", tool, {},
                              detail=f"got {type(arguments).__name__}")

    bound: list[str] = []
    spec = registry.tools.get(tool)
    if spec is None or not spec.binds_identity:
        return _permitted(tool, args, verdict.verdict, verdict.reasons, bound)
    try:
        session = SessionIdentity.of(customer_id, identity)
    except UserError as exc:
        return CallCheck.deny("policy.customer_unbound", tool, args, rule_id="binding",
                              detail=f"the session's identity is unusable: {exc}")
    refused = _Binding(_vocabulary(registry), session, spec).check(args)
    if refused is not None:
        where = redact(refused.path, 80)
        if refused.code == "policy.invalid_arguments":
            return CallCheck.deny(refused.code, tool, args, rule_id="binding",
                                  detail=f"{refused.why} at {where!r}",
                                  evidence=redact(refused.evidence, 40))
        return CallCheck.deny(refused.code, tool, args, rule_id="binding",
                              detail=f"{refused.why} in argument {where!r}",
                              evidence=redact(refused.evidence, 40))
    for name in spec.customer_args:
        if session.customer_id is None:
            return CallCheck.deny("policy.customer_unbound", tool, args, rule_id="binding",
                                  detail=f"argument {name!r}")
        given = args.get(name)
        if given is None or given == "":
            args[name] = session.customer_id
            bound.append(name)
        elif not _is_id(given, session.customer_id):
            return CallCheck.deny("policy.customer_mismatch", tool, args, rule_id="binding",
                                  detail=f"argument {name!r}", evidence=redact(_dumps(given), 40))
    return _permitted(tool, args, verdict.verdict, verdict.reasons, bound)


def _is_id(given: object, customer_id: str) -> bool:
    """`given` is the customer id, as text or as the number it spells (never a boolean)."""
    if isinstance(given, str):
        return given == customer_id
    return (isinstance(given, int) and not isinstance(given, bool)
            and given.bit_length() <= _MAX_INT_BITS and str(given) == customer_id)


def _permitted(tool: str, args: dict[str, Any], verdict: Verdict, reasons: Sequence[ReasonCode],
               bound: Sequence[str]) -> CallCheck:
    if verdict == "confirm":
        return CallCheck.confirm(tool, args, reasons=reasons, bound=bound)
    return CallCheck.allow(tool, args, reasons=reasons, bound=bound)
