"""Cross-file validation: the registry's files checked against each other, rules compiled.

Each file has already passed its schema (`guardrail.registry.schema`). `link` then checks what
one file cannot see alone: exactly one `settings`, unknown or duplicate names, unreachable or
contradictory segments, bad or catastrophic regular expressions, patterns that start or end
with a space (dead behind their word boundaries), and DESIGN principle 5 (stable context never
changes permissions). Every problem is collected, none stops the others. `link_parts` does the
same on `Parts`, each item placed in the file and YAML path it came from, so an overlay's
merged layers (`guardrail.registry.overlay`) are checked as one registry.

Each rule's own ``examples`` and ``counterexamples`` are run by the rule detector on a registry
already built (`guardrail.detectors.examples`), not here: on the shipped registry that costs
about a second, ten times the budget of a load that happens at every start.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from guardrail.conversation import Context, Signals
from guardrail.errors import RegistryIssue
from guardrail.reasons import ENGINE_CODES, RISK_ORDER
from guardrail.registry.pattern import (
    Branch,
    CompiledRule,
    compile_branch,
    expand,
    words_by_language,
)
from guardrail.registry.schema import (
    Criteria,
    Criterion,
    LanguageSpec,
    RegistryFile,
    RuleSpec,
    SegmentSpec,
    Settings,
    ToolPolicy,
    ToolSpec,
)

__all__ = ["DERIVED_CONTEXT", "DERIVED_SIGNALS", "Linked", "Parts", "Placed", "link", "link_parts"]

_T = TypeVar("_T")

# Signals the engine works out itself. `failed_attempts` is the caller's
# `failed_guided_attempts` plus the user messages in this conversation that answer the
# assistant with "still not working" (a failed guided step reported in the chat).
DERIVED_SIGNALS = frozenset({"user_turns", "need_confidence", "failed_attempts"})
DERIVED_CONTEXT = frozenset({"renewal_days"})
_NUMERIC_CONTEXT = frozenset({"ltv"}) | DERIVED_CONTEXT


@dataclass(frozen=True, slots=True)
class Linked:
    """What a registry is built from once its files hold together.

    Attributes:
        settings: the one `settings` section.
        tools: the tool catalogue by name.
        rules: every rule compiled, in file order.
        segments: every segment, in file order.
        known_words: the files' `known_words`, merged.
        languages: each language's lexicon by code (the default language's is the settings').
        origins: each rule id's file and position in it (``rules[i]``), for problems found later.
    """

    settings: Settings
    tools: dict[str, ToolSpec]
    rules: tuple[CompiledRule, ...]
    segments: tuple[SegmentSpec, ...]
    known_words: tuple[str, ...]
    languages: dict[str, LanguageSpec]
    origins: dict[str, tuple[str, int]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Placed(Generic[_T]):
    """One item of a registry and where it was written: its file and YAML path (``rules[3]``).

    An overlay's items keep the overlay file's place, so a problem in a merged registry names
    the file the item came from.
    """

    item: _T
    file: str
    path: str


@dataclass
class Parts:
    """What a registry is linked from: its sections, each item with its place.

    Attributes:
        settings: every `settings` section found (exactly one is valid).
        languages: the `language` sections.
        tools: the tool catalogue, in order.
        rules: the rules, in order.
        segments: the segments, in evaluation order.
        known_words: the files' `known_words`, merged.
        disabled: rule or segment refs an overlay disabled, each with the place of its
            disable (so a problem caused by a disable says which one).
    """

    settings: list[Placed[Settings]] = dataclasses.field(default_factory=list)
    languages: list[Placed[LanguageSpec]] = dataclasses.field(default_factory=list)
    tools: list[Placed[ToolSpec]] = dataclasses.field(default_factory=list)
    rules: list[Placed[RuleSpec]] = dataclasses.field(default_factory=list)
    segments: list[Placed[SegmentSpec]] = dataclasses.field(default_factory=list)
    known_words: list[str] = dataclasses.field(default_factory=list)
    disabled: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of_files(cls, files: Mapping[str, RegistryFile], prefix: str = "") -> Parts:
        """The sections of `files` (``{file name: validated file}``), each item placed in its
        file (shown as `prefix` + the file name)."""
        parts = cls()
        for name, f in files.items():
            shown = prefix + name
            if f.settings is not None:
                parts.settings.append(Placed(f.settings, shown, "settings"))
            if f.language is not None:
                parts.languages.append(Placed(f.language, shown, "language"))
            parts.tools.extend(Placed(t, shown, f"tools[{i}]") for i, t in enumerate(f.tools))
            parts.rules.extend(Placed(r, shown, f"rules[{i}]") for i, r in enumerate(f.rules))
            parts.segments.extend(
                Placed(s, shown, f"segments[{i}]") for i, s in enumerate(f.segments))
            parts.known_words.extend(f.known_words)
        return parts


@dataclass
class _Collector:
    issues: list[RegistryIssue]

    def add(self, file: str, path: str, message: str) -> None:
        self.issues.append(RegistryIssue(file=file, path=path, message=message))


def link(
    files: Mapping[str, RegistryFile], issues: list[RegistryIssue], source: str
) -> Linked | None:
    """Check `files` (``{file name: validated file}``) against each other.

    Args:
        files: every file that passed its schema.
        issues: where each problem found is appended (with its file and YAML path).
        source: where the registry comes from, for problems that belong to no single file.

    Returns:
        The parts of the registry, or None when any problem was found.
    """
    return link_parts(Parts.of_files(files), issues, source)


def link_parts(parts: Parts, issues: list[RegistryIssue], source: str) -> Linked | None:
    """Check a registry's `parts` against each other (`link`, for parts merged from layers).

    Args:
        parts: every section, each item with the file and YAML path it came from.
        issues: where each problem found is appended (with its file and YAML path).
        source: where the registry comes from, for problems that belong to no single file.

    Returns:
        The parts of the registry, or None when any problem was found.
    """
    out = _Collector(issues)
    if len(parts.settings) != 1:
        where = ", ".join(p.file for p in parts.settings) or "no file"
        out.add(source, "settings", f"exactly one file must hold `settings` (found in {where})")
        if not parts.settings:
            return None
    # With several, the first is used to go on checking, so no other problem stays hidden.
    settings_file, settings = parts.settings[0].file, parts.settings[0].item
    languages = _languages(parts.languages, settings, settings_file, out)
    # A rule's word gaps refuse the negators of its own language (and the default one's), not
    # every language's: fewer, shorter lookaheads, and "mai" (Italian: never) stays a Hindi word.
    default_gaps = tuple(settings.gap_negators)
    gaps = {code: (*default_gaps, *(w for w in spec.gap_negators if w not in default_gaps))
            for code, spec in languages.items()}
    settings = _with_lexicons(settings, languages.values())

    tools: dict[str, ToolSpec] = {}
    rules: list[CompiledRule] = []
    rule_ids: set[str] = set()
    origins: dict[str, tuple[str, int]] = {}
    for tool_at in parts.tools:
        tool = tool_at.item
        if tool.name in tools:
            out.add(tool_at.file, f"{tool_at.path}.name", f"duplicate tool {tool.name!r}")
        tools[tool.name] = tool
    for rule_at in parts.rules:
        rule = rule_at.item
        rule_gaps = gaps.get(rule.lang, default_gaps) if rule.lang else default_gaps
        compiled = _check_rule(rule_at.file, rule_at.path, rule, settings, out, rule_gaps)
        if rule.id in rule_ids:
            out.add(rule_at.file, f"{rule_at.path}.id", f"duplicate rule id {rule.id!r}")
        rule_ids.add(rule.id)
        origins.setdefault(rule.id, (rule_at.file, _index(rule_at.path)))
        if compiled is not None:
            rules.append(compiled)
    segments = parts.segments

    _check_settings(settings_file, settings, tools, out)
    _check_slang(parts, rules, settings.languages.default, out)
    rule_codes = {r.spec.code for r in rules} | set(ENGINE_CODES)
    # A language's rule answers for its code without the language too ("risk.safety.es" is a
    # "risk.safety" finding), so segments name a trigger once for every language.
    rule_codes |= {r.spec.code.removesuffix(f".{r.spec.lang}") for r in rules if r.spec.lang}
    known_refs = rule_codes | rule_ids
    for state in settings.need_states:
        produced = any(r.spec.need_state == state for r in rules) or any(
            s.item.need_state == state for s in segments
        )
        if state != settings.default_need_state and not produced:
            out.add(
                settings_file, "settings.need_states", f"need-state {state!r} is unreachable: "
                "no rule or segment produces it"
            )
    seen: dict[str, int] = {}
    for seg_at in segments:
        seg, name, where = seg_at.item, seg_at.file, seg_at.path
        if seg.id in seen:
            out.add(name, f"{where}.id", f"duplicate segment id {seg.id!r}")
        _check_segment(name, where, seg, settings, tools, known_refs, seen, out)
        seen[seg.id] = len(seen)
    _check_governance(settings_file, settings, seen, out)
    if parts.disabled:
        _explain_disabled(out, parts.disabled)
    if out.issues:
        return None
    ordered = tuple(s.item for s in segments)
    return Linked(settings, tools, tuple(rules), ordered, tuple(parts.known_words), languages,
                  origins)


def _index(path: str) -> int:
    """The index in a YAML path's last list (``rules[3]`` -> 3)."""
    return int(path.rsplit("[", 1)[1].rstrip("]"))


def _explain_disabled(out: _Collector, disabled: Mapping[str, str]) -> None:
    """Say which disable made a reference unreachable: the fix is to override or disable the
    item that still names it."""
    for n, issue in enumerate(out.issues):
        for prefix in ("unreachable: no rule produces ", "unreachable: segment "):
            if issue.message.startswith(prefix):
                ref = issue.message.removeprefix(prefix).split("'")[1]
                if ref in disabled:
                    out.issues[n] = dataclasses.replace(
                        issue, message=f"{issue.message} ({ref!r} is disabled at "
                        f"{disabled[ref]}: override or disable this item too)")


def _check_slang(
    parts: Parts, rules: Sequence[CompiledRule], default: str, out: _Collector,
) -> None:
    """Slang is expanded in every message, whatever its language: a language's shorthand must
    not be a word another language's rules read unless they read its expansion too ("koi",
    French for "quoi", is Hindi "koi")."""
    readers: dict[str, set[str]] = defaultdict(set)  # word -> the languages that read it
    for lang, words in words_by_language(rules, default).items():
        for word in words:
            readers[word].add(lang)
    lexicons = [(p.file, p.item.code, f"{p.path}.slang", p.item.slang) for p in parts.languages]
    lexicons += [(p.file, default, f"{p.path}.typo.slang", p.item.typo.slang)
                 for p in parts.settings]
    for name, code, where, slang in lexicons:
        for short, long in slang.items():
            # A language that reads both forms ("q" and "que") is not hurt by the expansion.
            others = sorted(readers.get(short, set()) - {code} - readers.get(long, set()))
            if others:
                out.add(name, f"{where}.{short}",
                        f"{short!r} is a word of the {', '.join(others)} rules: expanding it "
                        f"for {code!r} would rewrite their text")


def _languages(
    placed: Sequence[Placed[LanguageSpec]], settings: Settings, settings_file: str,
    out: _Collector,
) -> dict[str, LanguageSpec]:
    """The `language` sections by code, each checked against `settings.languages`."""
    found: dict[str, LanguageSpec] = {}
    supported = settings.languages.supported
    for p in placed:
        spec = p.item
        if spec.code in found:
            out.add(p.file, f"{p.path}.code", f"duplicate language {spec.code!r}")
        elif spec.code not in supported:
            out.add(p.file, f"{p.path}.code", f"language {spec.code!r} is not in "
                    "settings.languages.supported")
        found[spec.code] = spec
    if settings.languages.default not in supported:
        out.add(settings_file, "settings.languages.default",
                "must be one of settings.languages.supported")
    return found


def _with_lexicons(settings: Settings, languages: Iterable[LanguageSpec]) -> Settings:
    """`settings` with every language's lexicon joined to its own lists (order kept, no
    repeats), so rules compile and messages read with all of them. Negators stay the default
    language's: the detector applies each language's to that language's rules
    (`Registry.negators_by_lang`)."""
    merged: dict[str, list[str]] = {
        field: list(getattr(settings, field))
        for field in ("gap_negators", "clause_breaks", "question_markers",
                      "hypothetical_markers")
    }
    slang = dict(settings.typo.slang)
    for spec in languages:
        for field, words in merged.items():
            words.extend(w for w in getattr(spec, field) if w not in words)
        for short, word in spec.slang.items():
            slang.setdefault(short, word)
    typo = settings.typo.model_copy(update={"slang": slang})
    return settings.model_copy(update={**merged, "typo": typo})


def _check_rule(
    file: str, where: str, rule: RuleSpec, settings: Settings, out: _Collector,
    negators: tuple[str, ...],
) -> CompiledRule | None:
    if rule.lang is not None:
        if rule.lang not in settings.languages.supported:
            out.add(file, f"{where}.lang", f"language {rule.lang!r} is not in "
                    "settings.languages.supported")
        if not rule.id.startswith(f"{rule.lang}."):
            out.add(file, f"{where}.id", f"a {rule.lang!r} rule's id starts with '{rule.lang}.'")
        if not rule.code.endswith(f".{rule.lang}"):
            out.add(file, f"{where}.code", f"a {rule.lang!r} rule's code ends with '.{rule.lang}'")
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
                branch = compile_branch(pattern, negators)
            except re.error as exc:
                out.add(file, f"{where}.{field}[{j}]", f"bad regular expression: {exc}")
                ok = False
                continue
            if branch is None:
                out.add(file, f"{where}.{field}[{j}]",
                        "nested quantifier (catastrophic backtracking)")
                ok = False
                continue
            for edge, space in zip(("starts", "ends"), branch.space_edges, strict=True):
                if space:
                    out.add(file, f"{where}.{field}[{j}]",
                            f"a way through this pattern {edge} with a space: the word boundary "
                            "around every match makes it dead (write the space inside the group "
                            "with the word beside it: '(to|with)( a| the)?', not "
                            "'(to|with) (a |the )?')")
                    ok = False
            compiled[field].append(branch)
    if not ok:
        return None
    return CompiledRule(rule, tuple(compiled["patterns"]), tuple(compiled["unless"]), negators)


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
    for j, need in enumerate(settings.authoritative_needs):
        if need not in settings.need_states:
            out.add(file, f"settings.authoritative_needs[{j}]", f"unknown need-state {need!r}")
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
                re.compile(expand(marker, settings.gap_negators))
            except re.error as exc:
                out.add(file, f"settings.{field}[{j}]", f"bad regular expression: {exc}")


def _check_governance(
    file: str, settings: Settings, segments: Mapping[str, int], out: _Collector
) -> None:
    gov = settings.governance
    for j, seg in enumerate(gov.holdout.keep):
        if seg not in segments:
            out.add(file, f"settings.governance.holdout.keep[{j}]", f"unknown segment {seg!r}")
    roles = gov.overrides.roles
    for j, role in enumerate(gov.overrides.critical_roles):
        if role not in roles:
            out.add(file, f"settings.governance.overrides.critical_roles[{j}]",
                    f"{role!r} is not in settings.governance.overrides.roles")


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
