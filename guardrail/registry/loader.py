"""The `Registry`: loaded from a folder of YAML files, validated, compiled once.

`Registry.load(path)` reads every ``*.yaml`` file of a folder, validates each against
`guardrail.registry.schema` (through the one YAML loader, `guardrail._yaml`), then checks the
files against each other (`guardrail.registry.validation`). It reports *every* problem, each
with the file and the YAML path, in one `RegistryError`. A folder that ``extends:`` another is
an overlay (`guardrail.registry.overlay`): its layers are merged first, then validated as one.
A registry that loads is compiled once: its patterns, negation lists and typo vocabulary are
built here and never on the hot path.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from guardrail._resources import default_registry_dir
from guardrail._yaml import load_yaml
from guardrail.errors import RegistryError, RegistryIssue, UserError
from guardrail.registry.overlay import (
    Layer,
    Origins,
    content_version,
    is_overlay,
    merge,
    read_folder,
    remap_settings_issues,
    tool_loosening,
)
from guardrail.registry.pattern import CompiledRule, compile_any_of, words_by_language
from guardrail.registry.schema import LanguageSpec, RegistryFile, SegmentSpec, Settings, ToolSpec
from guardrail.registry.validation import Linked, Parts, Placed, link_parts
from guardrail.text import Normaliser, pattern_vocabulary

__all__ = ["Registry"]


class Registry:
    """A validated, compiled registry. Build it with `Registry.load` or `Registry.from_texts`.

    Attributes:
        settings: registry-wide settings.
        tools: the tool catalogue by name.
        rules: compiled detection rules, in file order.
        segments: segments in evaluation order (a segment may refer only to earlier ones).
        version: ``sha256:`` content hash of the files (of an overlay: of the version it
            extends and its own files); it is in every decision.
        source: where the registry was loaded from.
        languages: each supported language's lexicon by code (where a file declares one).
        rule_origins: each rule id's file and its index in that file's ``rules``.
        origins: the layers merged (one for a plain folder), where each tool, rule and segment
            came from, and every rule or segment an overlay disabled, with its reason.
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
        languages: Mapping[str, LanguageSpec] | None = None,
        rule_origins: Mapping[str, tuple[str, int]] | None = None,
        origins: Origins | None = None,
    ) -> None:
        self.settings = settings
        self.tools = dict(tools)
        self.rules = tuple(rules)
        self.segments = tuple(segments)
        self.version = version
        self.source = source
        self.segment_by_id = {s.id: s for s in self.segments}
        self.languages = dict(languages or {})
        # Each rule id's file and position (``rules[i]``), for problems found after loading.
        self.rule_origins = dict(rule_origins or {})
        self.origins = origins or Origins.of_parts(
            Parts(tools=[Placed(t, source, "tools") for t in self.tools.values()],
                  rules=[Placed(r.spec, source, "rules") for r in self.rules],
                  segments=[Placed(s, source, "segments") for s in self.segments]),
            Layer(source, None, version, ()),
        )
        # A negator counts before a rule's match in the rule's language and the default one's:
        # Italian "mai" (never) is Hindi "mai" (I), French "pas" a Dutch word (a card). The
        # default language's rules also read in code-switched text ("account lock nahi hua"),
        # so they take every language's negators that no other language's rules use as a word.
        self.negators = frozenset(settings.negators)
        self.negators_by_lang = {
            code: self.negators | frozenset(spec.negators)
            for code, spec in self.languages.items()
        }
        default = settings.languages.default
        words_of = words_by_language(self.rules, default)
        negating = {code: {*spec.negators, *spec.gap_negators}
                    for code, spec in self.languages.items()}
        shared = {
            word for code, spec in self.languages.items() for word in spec.negators
            if not any(word in words and word not in negating.get(lang, self.negators)
                       for lang, words in words_of.items() if lang != code)
        }
        self.negators_by_lang[default] = self.negators | frozenset(shared)
        self.clause_breaks = frozenset(settings.clause_breaks)
        self.question_markers = compile_any_of(settings.question_markers, settings.gap_negators)
        self.hypothetical_markers = compile_any_of(
            settings.hypothetical_markers, settings.gap_negators
        )
        # The typo vocabulary, per language: the default language's words are corrected
        # towards first, the others' only where the message reads as theirs (`Normaliser`).
        by_language: dict[str, set[str]] = {}
        for rule in self.rules:
            by_language.setdefault(rule.spec.lang or default, set()).update(
                pattern_vocabulary(rule.spec.patterns, settings.typo.min_length))
        vocabulary = by_language.get(default, set())
        secondary = set().union(*(w for lang, w in by_language.items() if lang != default))
        self.normaliser = Normaliser(
            vocabulary,
            [*settings.typo.known_words, *known_words],
            settings.typo.min_length,
            settings.typo.slang,
            settings.typo.short_words,
            secondary,
            by_language,
        )

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> Registry:
        """The registry shipped with guardrail."""
        return cls.load(default_registry_dir())

    @classmethod
    def load(cls, path: str | Path | None = None) -> Registry:
        """Load and validate every ``*.yaml`` file in the folder `path` (default: the shipped one).

        A folder one of whose files has a top-level ``extends:`` is an overlay: it is merged
        onto what it extends (see `guardrail.registry.overlay`) and validated as a whole.

        Raises:
            RegistryError: listing every problem found, each with file and YAML path.
        """
        folder = Path(path) if path is not None else default_registry_dir()
        texts, issues = read_folder(folder)
        if issues:
            raise RegistryError(issues)
        if not is_overlay(texts):
            return cls.from_texts(texts, source=str(folder))
        merged = merge(folder, issues)
        if merged is None:
            raise RegistryError(issues)
        settings_file = merged.parts.settings[0].file if merged.parts.settings else ""
        linked = link_parts(merged.parts, issues, str(folder))
        if issues or linked is None:
            raise RegistryError(remap_settings_issues(issues, merged.origins, settings_file))
        return cls._linked(linked, merged.version, str(folder), merged.origins)

    @classmethod
    def from_texts(cls, texts: Mapping[str, bytes | str], source: str = "<memory>") -> Registry:
        """Validate and compile a registry given as ``{file name: YAML text}``.

        The files are a plain registry; an overlay, which names a folder it extends, loads
        from its own folder (`load`).

        Raises:
            RegistryError: listing every problem found, each with file and YAML path.
        """
        issues: list[RegistryIssue] = []
        parsed: dict[str, RegistryFile] = {}
        data = {name: raw.encode() if isinstance(raw, str) else raw for name, raw in texts.items()}
        for name in sorted(data):
            loaded, problems = load_yaml(data[name], RegistryFile, file=name)
            issues.extend(problems)
            if loaded is not None:
                parsed[name] = loaded
        parts = Parts.of_files(parsed)
        linked = link_parts(parts, issues, source)
        if issues or linked is None:
            raise RegistryError(issues)
        version = content_version(data)
        origins = Origins.of_parts(parts, Layer(source, None, version, tuple(sorted(data))))
        return cls._linked(linked, version, source, origins)

    @classmethod
    def _linked(cls, linked: Linked, version: str, source: str, origins: Origins) -> Registry:
        return cls(
            linked.settings,
            linked.tools,
            linked.rules,
            linked.segments,
            version,
            source,
            linked.known_words,
            linked.languages,
            linked.origins,
            origins,
        )

    def with_tools(self, tools: Iterable[ToolSpec]) -> Registry:
        """This registry with `tools` added to its catalogue (a declared tool replaces a
        catalogue tool of the same name).

        Used for tools declared from Python (`Guardrail.declare_tools`, the adapters'
        ``tools=``). The version hash covers the declared tools, so every decision names the
        catalogue it was made under. Segments are unchanged: a declared tool is governed by the
        effect rules (``deny_effects``, ``confirm_effects``) and by any segment that names it.

        A declared tool may say more than the catalogue tool it replaces (another effect,
        another argument bound to the customer), never less: a refund declared as a ``read``
        would pass every rule that denies money, one without its ``customer_args`` would run
        for any customer.

        Raises:
            UserError: a declared tool drops an effect or an argument binding of the catalogue
                tool of its name.
        """
        declared = {tool.name: tool for tool in tools}
        if not declared:
            return self
        looser = [f"{name!r} ({why})" for name, tool in sorted(declared.items())
                  if name in self.tools and (why := tool_loosening(self.tools[name], tool))]
        if looser:
            raise UserError(
                "a declared tool may not be looser than the catalogue tool it replaces: "
                f"{'; '.join(looser)}. Declare at least the catalogue's effects and argument "
                "bindings, or give your tool another name")
        merged = copy.copy(self)
        merged.tools = {**self.tools, **declared}
        merged.origins = self.origins.with_declared(declared)
        digest = hashlib.sha256(self.version.encode())
        for name in sorted(declared):
            digest.update(json.dumps(declared[name].model_dump(mode="json"),
                                     sort_keys=True).encode())
        merged.version = f"sha256:{digest.hexdigest()[:16]}"
        return merged

    def customer_bound(self, names: Iterable[str]) -> list[str]:
        """Which of the catalogue tools `names` bind an argument to the session's customer."""
        return sorted(n for n in set(names) if n in self.tools and self.tools[n].customer_args)

    # -- queries -------------------------------------------------------------------------------

    def tools_with_effects(self, effects: Iterable[str]) -> list[str]:
        """Names of catalogue tools having any of `effects`."""
        wanted = set(effects)
        return [name for name, tool in self.tools.items() if wanted.intersection(tool.effects)]

