"""Loading and validating the segment registry (policy as code).

`Registry.load(path)` reads every ``*.yaml`` file of a folder, validates each against
`guardrail.schema`, then checks the files against each other. It reports *every* problem, each
with the file and the YAML path, in one `RegistryError`. A registry that loads is compiled once:
its patterns, negation lists and typo vocabulary are built here and never on the hot path.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guardrail._resources import default_registry_dir
from guardrail.conversation import Context, Signals
from guardrail.errors import RegistryError, RegistryIssue
from guardrail.reasons import RISK_ORDER, ReasonCode
from guardrail.registry.regex import leading_strings_of, parse, required_words_of
from guardrail.registry.schema import (
    Criteria,
    Criterion,
    RegistryFile,
    RuleSpec,
    SegmentSpec,
    Settings,
    ToolPolicy,
    ToolSpec,
)
from guardrail.text import Normaliser, pattern_vocabulary

__all__ = [
    "DERIVED_CONTEXT", "DERIVED_SIGNALS", "ENGINE_CODES", "Branch", "CompiledRule", "Registry",
]

# Reason codes the engine itself emits (not from a rule); criteria may refer to them.
ENGINE_CODES: dict[str, str] = {
    "failsafe.detector_error": "A detector failed, so the decision was restricted",
    "failsafe.need_model_error": "The need-state model failed, so the decision was restricted",
    "failsafe.llm_error": "The LLM classifier failed, so the decision was restricted",
    "failsafe.llm_unavailable": (
        "The LLM classifier stayed unavailable until its deadline, so the decision was restricted"
    ),
    "failsafe.llm_timeout": "The LLM classifier timed out, so the decision was restricted",
    "failsafe.llm_malformed": (
        "The LLM classifier's answer was malformed, so the decision was restricted"
    ),
    "failsafe.llm_refused": "The LLM classifier refused, so the decision was restricted",
    "model.risk_suspected": "The learned model rates the message as one a person must handle",
    "failsafe.oversized_input": (
        "A message was too long to scan whole, so the decision was restricted"
    ),
    "failsafe.store_unavailable": (
        "The history store could not be reached, so the customer is treated as possibly looping"
    ),
    "failsafe.store_timeout": (
        "The history store did not answer in time, so the customer is treated as possibly looping"
    ),
    "failsafe.store_corrupt": (
        "The history store's data could not be read, so the customer is treated as possibly"
        " looping"
    ),
}
# Signals the engine works out itself. `failed_attempts` is the caller's
# `failed_guided_attempts` plus the user messages in this conversation that answer the
# assistant with "still not working" (a failed guided step reported in the chat).
DERIVED_SIGNALS = frozenset({"user_turns", "need_confidence", "failed_attempts"})
DERIVED_CONTEXT = frozenset({"renewal_days"})
_NUMERIC_CONTEXT = frozenset({"ltv"}) | DERIVED_CONTEXT
_GAP = "(?: [a-z0-9]+){0,3} "
# Unbounded repetition of a group that itself repeats, such as (a+)+ or (x*)*, backtracks
# catastrophically; the registry refuses it. Bounded gaps like (?: [a-z]+){0,3} are fine.
# A repeat whose body can itself repeat without bound may backtrack exponentially; bounded
# outer repeats up to this many are fine ("(?: [a-z]+){0,3}", the word gaps rules use).
_SAFE_OUTER_REPEAT = 20
_sre_c: Any = importlib.import_module("re._constants")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


_MEMOS = ("policy_memo", "criteria_memo", "verdict_memo")
# A branch is filed under the strings of up to this many characters its matches can start with.
BRANCH_KEY = 6


@dataclass(frozen=True, slots=True)
class Branch:
    """One pattern of a rule, compiled on its own (anchored like the rule), with what lets a
    detector skip it: the strings its matches can start with (None: unknown, try it anywhere)
    and the word sets a match must draw on (see `_prefix.required_words`)."""

    regex: re.Pattern[str]
    starts: frozenset[str] | None
    needs: tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with each of its patterns (and ``unless`` patterns) compiled."""

    spec: RuleSpec
    branches: tuple[Branch, ...]
    unless_branches: tuple[Branch, ...] = ()

    @property
    def regex(self) -> re.Pattern[str]:
        """The rule's patterns as one regular expression (what the branches add up to)."""
        return compile_rule_pattern(self.spec.patterns)

    @property
    def unless(self) -> re.Pattern[str] | None:
        """The ``unless`` patterns as one regular expression, or None."""
        return compile_rule_pattern(self.spec.unless) if self.spec.unless else None


# A gap of words in a pattern never steps over a negator, so "my account isn't locked" does not
# match "account ... locked" (negators before a match are handled by the detector).
_GAP_WORD = "(?: [a-z0-9]+)"
_SAFE_GAP_WORD = (
    "(?: (?!(?:not|no|never|isnt|wasnt|arent|werent|dont|doesnt|didnt|havent|hasnt|wont|cant)"
    "(?![a-z0-9]))[a-z0-9]+)"
)


_GAP_WORD_OR_BREAK = "(?: [a-z0-9.]+)"
_SAFE_GAP_WORD_OR_BREAK = _SAFE_GAP_WORD.replace("[a-z0-9]+)", "[a-z0-9.]+)")


def _expand(pattern: str) -> str:
    expanded = pattern.replace(" ~ ", "~").replace("~", _GAP)
    expanded = expanded.replace(_GAP_WORD, _SAFE_GAP_WORD)
    return expanded.replace(_GAP_WORD_OR_BREAK, _SAFE_GAP_WORD_OR_BREAK)


def _any_of(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{_expand(p)})" for p in patterns)) if patterns else None


def compile_rule_pattern(patterns: Iterable[str]) -> re.Pattern[str]:
    """Compile a rule's patterns into one regex, anchored on word boundaries."""
    body = "|".join(f"(?:{_expand(p)})" for p in patterns)
    return re.compile(f"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass
class _Collector:
    issues: list[RegistryIssue]

    def add(self, file: str, path: str, message: str) -> None:
        self.issues.append(RegistryIssue(file=file, path=path, message=message))


def _yaml_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Registry:
    """A validated, compiled registry. Build it with `Registry.load` or `Registry.from_texts`.

    Attributes:
        settings: registry-wide settings.
        tools: the tool catalogue by name.
        rules: compiled detection rules, in file order.
        segments: segments in evaluation order (a segment may refer only to earlier ones).
        version: ``sha256:`` content hash of the files; it is in every decision.
        source: where the registry was loaded from.
    """

    def __init__(
        self,
        settings: Settings,
        tools: Mapping[str, ToolSpec],
        rules: Iterable[CompiledRule],
        segments: Iterable[SegmentSpec],
        version: str,
        source: str,
        known_words: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.tools = dict(tools)
        self.rules = tuple(rules)
        self.segments = tuple(segments)
        self.version = version
        self.source = source
        self.segment_by_id = {s.id: s for s in self.segments}
        # policy id -> its effect on each tool (see policy._effects); only this registry's
        # own, immutable policies are ever keys, so the ids stay valid for its lifetime.
        self.policy_memo: dict[int, tuple[tuple[str, str], ...]] = {}
        # Segment criteria compiled to functions (see `policy._holds`), by id of the criteria.
        self.criteria_memo: dict[int, Callable[[Any], Any]] = {}
        # Tool verdicts by (risk, active segment ids) (see `policy._tool_verdicts`).
        self.verdict_memo: dict[
            tuple[int, tuple[str, ...]], tuple[tuple[str, str, tuple[ReasonCode, ...]], ...]
        ] = {}
        self.negators = frozenset(settings.negators)
        self.clause_breaks = frozenset(settings.clause_breaks)
        self.question_markers = _any_of(settings.question_markers)
        self.hypothetical_markers = _any_of(settings.hypothetical_markers)
        vocabulary = pattern_vocabulary(
            (p for rule in self.rules for p in rule.spec.patterns), settings.typo.min_length
        )
        self.normaliser = Normaliser(
            vocabulary,
            [*settings.typo.known_words, *known_words],
            settings.typo.min_length,
            settings.typo.slang,
            settings.typo.short_words,
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for eval worker processes) without the memos: they are keyed by the ids of
        this process's objects, and hold compiled functions."""
        state = dict(self.__dict__)
        for memo in _MEMOS:
            state[memo] = {}
        return state

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> Registry:
        """The registry shipped with guardrail."""
        return cls.load(default_registry_dir())

    @classmethod
    def load(cls, path: str | Path | None = None) -> Registry:
        """Load and validate every ``*.yaml`` file in the folder `path` (default: the shipped one).

        Raises:
            RegistryError: listing every problem found, each with file and YAML path.
        """
        folder = Path(path) if path is not None else default_registry_dir()
        if not folder.is_dir():
            raise RegistryError([RegistryIssue(str(folder), "", "not a folder")])
        files = sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
        if not files:
            raise RegistryError([RegistryIssue(str(folder), "", "no *.yaml files in the folder")])
        texts: dict[str, bytes] = {}
        for file in files:
            texts[file.name] = file.read_bytes()
        return cls.from_texts(texts, source=str(folder))

    @classmethod
    def from_texts(cls, texts: Mapping[str, bytes | str], source: str = "<memory>") -> Registry:
        """Validate and compile a registry given as ``{file name: YAML text}``."""
        collector = _Collector([])
        digest = hashlib.sha256()
        parsed: dict[str, RegistryFile] = {}
        for name in sorted(texts):
            raw = texts[name]
            data = raw.encode() if isinstance(raw, str) else raw
            digest.update(name.encode() + b"\0" + data + b"\0")
            try:
                loaded: Any = yaml.safe_load(data)
            except yaml.YAMLError as exc:
                collector.add(name, "", f"not valid YAML: {exc}")
                continue
            if loaded is None:
                loaded = {}
            if not isinstance(loaded, dict):
                collector.add(name, "", "the top level must be a mapping")
                continue
            try:
                parsed[name] = RegistryFile.model_validate(loaded)
            except ValidationError as exc:
                for err in exc.errors():
                    collector.add(name, _yaml_path(err["loc"]), err["msg"])
        registry = _link(parsed, collector, f"sha256:{digest.hexdigest()[:16]}", source)
        if collector.issues or registry is None:
            raise RegistryError(collector.issues)
        return registry

    # -- queries -------------------------------------------------------------------------------

    def tools_with_effects(self, effects: Iterable[str]) -> list[str]:
        """Names of catalogue tools having any of `effects`."""
        wanted = set(effects)
        return [name for name, tool in self.tools.items() if wanted.intersection(tool.effects)]


# -- cross-file validation ---------------------------------------------------------------------


def _link(
    files: Mapping[str, RegistryFile], out: _Collector, version: str, source: str
) -> Registry | None:
    settings_in = [(name, f.settings) for name, f in files.items() if f.settings is not None]
    if len(settings_in) != 1:
        where = ", ".join(name for name, _ in settings_in) or "no file"
        out.add(source, "settings", f"exactly one file must hold `settings` (found in {where})")
        if not settings_in:
            return None
    # With several, the first is used to go on checking, so no other problem stays hidden.
    settings_file, settings = settings_in[0]
    assert settings is not None

    tools: dict[str, ToolSpec] = {}
    rules: list[CompiledRule] = []
    segments: list[tuple[str, int, SegmentSpec]] = []
    rule_ids: set[str] = set()
    for name, registry_file in files.items():
        for i, tool in enumerate(registry_file.tools):
            if tool.name in tools:
                out.add(name, f"tools[{i}].name", f"duplicate tool {tool.name!r}")
            tools[tool.name] = tool
        for i, rule in enumerate(registry_file.rules):
            compiled = _check_rule(name, i, rule, settings, out)
            if rule.id in rule_ids:
                out.add(name, f"rules[{i}].id", f"duplicate rule id {rule.id!r}")
            rule_ids.add(rule.id)
            if compiled is not None:
                rules.append(compiled)
        segments.extend((name, i, seg) for i, seg in enumerate(registry_file.segments))

    _check_settings(settings_file, settings, tools, out)
    rule_codes = {r.spec.code for r in rules} | set(ENGINE_CODES)
    known_refs = rule_codes | rule_ids
    for state in settings.need_states:
        produced = any(r.spec.need_state == state for r in rules) or any(
            s.need_state == state for _, _, s in segments
        )
        if state != settings.default_need_state and not produced:
            out.add(
                settings_file, "settings.need_states", f"need-state {state!r} is unreachable: "
                "no rule or segment produces it"
            )
    seen: dict[str, int] = {}
    for name, i, seg in segments:
        where = f"segments[{i}]"
        if seg.id in seen:
            out.add(name, f"{where}.id", f"duplicate segment id {seg.id!r}")
        _check_segment(name, where, seg, settings, tools, known_refs, seen, out)
        seen[seg.id] = len(seen)
    if out.issues:
        return None
    ordered = [seg for _, _, seg in segments]
    known_words = [w for f in files.values() for w in f.known_words]
    return Registry(settings, tools, rules, ordered, version, source, known_words)


def _check_rule(
    file: str, i: int, rule: RuleSpec, settings: Settings, out: _Collector
) -> CompiledRule | None:
    where = f"rules[{i}]"
    if rule.need_state is not None and rule.need_state not in settings.need_states:
        out.add(file, f"{where}.need_state", f"unknown need-state {rule.need_state!r}")
    if rule.kind == "risk" and rule.risk is None:
        out.add(file, f"{where}.risk", "a risk rule must set its risk tier")
    if rule.kind == "need" and rule.need_state is None:
        out.add(file, f"{where}.need_state", "a need rule must name its need-state")
    compiled: dict[str, list[Branch]] = {"patterns": [], "unless": []}
    ok = True
    for field in ("patterns", "unless"):
        for j, pattern in enumerate(getattr(rule, field)):
            try:
                branch = _branch(pattern)
            except re.error as exc:
                out.add(file, f"{where}.{field}[{j}]", f"bad regular expression: {exc}")
                ok = False
                continue
            if branch is None:
                out.add(file, f"{where}.{field}[{j}]",
                        "nested quantifier (catastrophic backtracking)")
                ok = False
                continue
            compiled[field].append(branch)
    if not ok:
        return None
    return CompiledRule(rule, tuple(compiled["patterns"]), tuple(compiled["unless"]))


def _branch(pattern: str) -> Branch | None:
    """`pattern` compiled as a rule branch, parsed once for the checks and the skip data; None
    when it repeats a repeat (catastrophic backtracking).

    Raises:
        re.error: the pattern does not compile.
    """
    items = parse(_expand(pattern))
    if _nested_quantifier(items):
        return None
    regex = compile_rule_pattern([pattern])
    starts = None
    for length in range(BRANCH_KEY, 0, -1):
        starts = leading_strings_of(items, length)
        if starts is not None:
            break
    return Branch(regex, starts, required_words_of(items))


def _check_tool_policy(
    file: str, where: str, policy: ToolPolicy, tools: Mapping[str, ToolSpec], out: _Collector
) -> None:
    for field in ("allowed", "denied", "confirm"):
        for j, name in enumerate(getattr(policy, field) or []):
            if name not in tools:
                out.add(file, f"{where}.{field}[{j}]", f"unknown tool {name!r}")
    denied = set(policy.denied)
    for name in sorted(set(policy.allowed or []) & denied):
        out.add(file, f"{where}", f"contradiction: {name!r} is both allowed and denied")
    for name in sorted(set(policy.confirm) & denied):
        out.add(file, f"{where}", f"contradiction: {name!r} both needs confirmation and is denied")
    if policy.allowed is not None:
        for name in sorted(set(policy.confirm) - set(policy.allowed)):
            out.add(file, f"{where}",
                    f"contradiction: {name!r} needs confirmation but is not allowed")


def _check_settings(
    file: str, settings: Settings, tools: Mapping[str, ToolSpec], out: _Collector
) -> None:
    if settings.default_need_state not in settings.need_states:
        out.add(file, "settings.default_need_state", "must be one of settings.need_states")
    if not tools:
        out.add(file, "tools", "the tool catalogue is empty")
    _check_tool_policy(file, "settings.baseline_tools", settings.baseline_tools, tools, out)
    for tier, policy in settings.risk_tools.items():
        _check_tool_policy(file, f"settings.risk_tools.{tier}", policy, tools, out)
    ids = [d.id for d in settings.directives]
    for dup in sorted({d for d in ids if ids.count(d) > 1}):
        out.add(file, "settings.directives", f"duplicate directive {dup!r}")
    for field in ("question_markers", "hypothetical_markers"):
        for j, marker in enumerate(getattr(settings, field)):
            try:
                re.compile(_expand(marker))
            except re.error as exc:
                out.add(file, f"settings.{field}[{j}]", f"bad regular expression: {exc}")


def _check_criteria(
    file: str,
    where: str,
    criteria: Iterable[Criterion],
    settings: Settings,
    known_refs: set[str],
    seen: Mapping[str, int],
    out: _Collector,
) -> None:
    signals = set(Signals.model_fields) | DERIVED_SIGNALS
    context = set(Context.model_fields) | DERIVED_CONTEXT
    for j, c in enumerate(criteria):
        path = f"{where}[{j}]"
        if c.rule is not None and c.rule not in known_refs:
            out.add(file, f"{path}.rule", f"unreachable: no rule produces {c.rule!r}")
        if c.need_state is not None and c.need_state not in settings.need_states:
            out.add(file, f"{path}.need_state", f"unknown need-state {c.need_state!r}")
        if c.signal is not None and c.signal not in signals:
            out.add(file, f"{path}.signal", f"unknown signal {c.signal!r}")
        if c.context is not None and c.context not in context:
            out.add(file, f"{path}.context", f"unknown context field {c.context!r}")
        elif c.context is not None and c.context not in _NUMERIC_CONTEXT:
            out.add(file, f"{path}.context", f"{c.context!r} is not numeric; compare one of "
                    f"{sorted(_NUMERIC_CONTEXT)}")
        if c.segment is not None and c.segment not in seen:
            out.add(file, f"{path}.segment", f"unreachable: segment {c.segment!r} must be defined "
                    "earlier in the registry")
        for nested in ("all_of", "any_of"):
            subs = getattr(c, nested)
            if subs is not None:
                _check_criteria(file, f"{path}.{nested}", subs, settings, known_refs, seen, out)


def _uses_context(criteria: Iterable[Criterion]) -> bool:
    return any(
        c.context is not None or _uses_context([*(c.all_of or []), *(c.any_of or [])])
        for c in criteria
    )


def _contradictory(criteria: Criteria) -> str | None:
    bounds: dict[str, list[float]] = {}
    for c in criteria.all:
        name = c.signal or c.context
        if name is None or c.value is None:
            continue
        lo, hi = bounds.setdefault(name, [float("-inf"), float("inf")])
        if c.op in ("ge", "gt", "eq"):
            lo = max(lo, c.value)
        if c.op in ("le", "lt", "eq"):
            hi = min(hi, c.value)
        bounds[name] = [lo, hi]
        if lo > hi or (lo == hi and c.op in ("gt", "lt")):
            return f"entry.all can never hold: {name} cannot be both >= {lo} and <= {hi}"
    return None


def _check_segment(
    file: str,
    where: str,
    seg: SegmentSpec,
    settings: Settings,
    tools: Mapping[str, ToolSpec],
    known_refs: set[str],
    seen: Mapping[str, int],
    out: _Collector,
) -> None:
    if seg.need_state is not None and seg.need_state not in settings.need_states:
        out.add(file, f"{where}.need_state", f"unknown need-state {seg.need_state!r}")
    if not seg.entry.any and not seg.entry.all:
        out.add(file, f"{where}.entry", "unreachable: entry has no conditions")
    for part in ("any", "all"):
        _check_criteria(file, f"{where}.entry.{part}", getattr(seg.entry, part), settings,
                        known_refs, seen, out)
        _check_criteria(file, f"{where}.exit.{part}", getattr(seg.exit, part), settings,
                        known_refs, seen, out)
    for part in ("hard", "soft"):
        _check_criteria(file, f"{where}.escalation.{part}", getattr(seg.escalation, part),
                        settings, known_refs, {**seen, seg.id: len(seen)}, out)
    if any(c.segment == seg.id for c in [*seg.entry.any, *seg.entry.all]):
        out.add(file, f"{where}.entry", "unreachable: a segment cannot require itself")
    problem = _contradictory(seg.entry)
    if problem:
        out.add(file, f"{where}.entry", f"contradiction: {problem}")
    _check_tool_policy(file, f"{where}.tools", seg.tools, tools, out)
    directives = {d.id for d in settings.directives}
    for j, directive in enumerate(seg.behaviour.directives):
        if directive not in directives:
            out.add(file, f"{where}.behaviour.directives[{j}]", f"unknown directive {directive!r}")
    for j, scope in enumerate(seg.retrieval_scope or []):
        if scope not in settings.retrieval_scopes:
            out.add(file, f"{where}.retrieval_scope[{j}]", f"unknown retrieval scope {scope!r}")
    all_criteria = [*seg.entry.any, *seg.entry.all, *seg.escalation.hard, *seg.escalation.soft]
    if seg.tier == "stable":
        # DESIGN principle 5: stable context may change routing and tone, never permissions.
        if not seg.tools.is_empty() or seg.retrieval_scope is not None:
            out.add(file, where, "a stable-tier segment may not change tools or retrieval scope")
        if seg.escalation.hard or seg.escalation.soft:
            out.add(file, f"{where}.escalation", "a stable-tier segment may not force or offer "
                    "a handoff")
        if RISK_ORDER[seg.risk] > 0:
            out.add(file, f"{where}.risk", "a stable-tier segment may not raise risk")
    elif _uses_context(all_criteria):
        out.add(file, where, f"only stable-tier segments may read context (tier is {seg.tier!r}); "
                "plan, region, locale and channel must not change permissions")


def _nested_quantifier(parsed: list[Any]) -> bool:
    """Whether a parsed pattern repeats (without a small bound) something that repeats without
    bound. Read from the parse tree, so inner groups cannot hide it: ``(a+)+``, ``((a)+)+`` and
    ``(?:(?:a)+)+`` all count.
    """
    repeats = {getattr(_sre_c, name) for name in _REPEATS if hasattr(_sre_c, name)}
    unbounded = _sre_c.MAXREPEAT

    def walk(items: Any, inside: bool) -> bool:
        for op, value in items:
            if op in repeats:
                _low, high, body = value
                open_ended = high is unbounded
                if inside and open_ended:
                    return True
                outer = open_ended or high > _SAFE_OUTER_REPEAT
                if walk(body, inside or outer):
                    return True
            elif op is _sre_c.SUBPATTERN:
                if walk(value[3], inside):
                    return True
            elif op is _sre_c.BRANCH:
                if any(walk(branch, inside) for branch in value[1]):
                    return True
            elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT) and walk(value[1], inside):
                return True
        return False

    return walk(parsed, False)
