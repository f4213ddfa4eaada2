"""Overlays: a registry folder that extends another one and writes down only what it changes.

A folder one of whose files has a top-level ``extends:`` is an overlay. It names what it builds
on (``default``, the shipped registry, or a folder relative to its own: another overlay, or a
full registry), and its files (`OverlayFile`) may:

- add tools, rules and segments, or override an inherited one by name (tool) or id (rule,
  segment): the override takes the inherited item's place, so segment order is kept;
- change settings by key path (mappings merge key by key, other values replace, ``key+``
  appends to an inherited list);
- disable an inherited rule or segment, with a required reason.

The safety floor stays: an inherited segment that forces a human (any ``escalation.hard``:
disputes, fraud and takeover, lockouts, a request for a person, safety, legal threats) or is
the fail-closed one (tier ``failsafe``) cannot be disabled, nor can a rule its entry names. An
override of such a segment may change its routing, behaviour and wording, never make it looser
(drop a forced-handoff trigger or an entry condition, narrow its entry, add a way out, lift a
tool restriction, lower its risk: `_looser`); one of such a rule may add patterns and
``unless`` (the fix for a false positive), not drop patterns or change its code, kind, language,
risk or roles (`_looser_rule`). Settings may narrow the tool policy under every segment
(``baseline_tools``, ``risk_tools``), not loosen it; a tool override may add effects and
argument bindings, not drop them (`tool_loosening`). Each is an error naming the file and YAML
path: the product promise is that disputes, fraud, takeover, lockouts and requests for a person
always reach one, whatever overlay is loaded.

Layers are merged bottom up (`merge`), then the merged registry is linked and validated as a
whole, every problem naming the file and YAML path its item came from. The version of a layer
is the hash of its parent's version and its own files, so a new disable, or a new reason for
one, is a new policy version; a plain folder keeps the content hash it always had.
`Origins` records where each tool, rule and segment came from, and every disable.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import ValidationError

from guardrail._resources import default_registry_dir
from guardrail._yaml import load_yaml, validation_issues
from guardrail.errors import RegistryIssue
from guardrail.reasons import RISK_ORDER
from guardrail.registry.schema import (
    Criterion,
    LanguageSpec,
    OverlayFile,
    RegistryFile,
    RuleSpec,
    SegmentSpec,
    Settings,
    ToolPolicy,
    ToolSpec,
)
from guardrail.registry.validation import Parts, Placed

__all__ = [
    "DEFAULT",
    "Change",
    "Disabled",
    "Layer",
    "Merged",
    "Origin",
    "Origins",
    "content_version",
    "is_overlay",
    "merge",
    "read_folder",
    "remap_settings_issues",
    "tool_loosening",
]

# The `extends` value naming the shipped registry.
DEFAULT = "default"
# A top-level `extends:` key, found without parsing: a plain folder loads as it always did.
_EXTENDS = re.compile(rb"^extends[ \t]*:", re.MULTILINE)
# The most layers one registry may stack (a chain, not a tree: each names one parent).
_MAX_LAYERS = 16

# How an item reached the registry: written in the bottom layer, added or overridden by an
# overlay, or declared from Python (`Registry.with_tools`).
Change = Literal["base", "added", "overridden", "declared"]
ItemKind = Literal["tool", "rule", "segment"]
_T = TypeVar("_T", ToolSpec, RuleSpec, SegmentSpec)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one item of a registry was written.

    Attributes:
        file: the file, as problems name it (an inherited folder's files carry its path).
        path: the YAML path inside it (``rules[3]``, ``settings.model.min_confidence``).
        layer: the folder of the layer that wrote it.
        change: base, added, overridden (by an overlay) or declared (from Python).
    """

    file: str
    path: str
    layer: str
    change: Change


@dataclass(frozen=True, slots=True)
class Disabled:
    """An inherited rule or segment an overlay turned off, with its reason and where."""

    kind: Literal["rule", "segment"]
    id: str
    reason: str
    file: str
    path: str
    layer: str


@dataclass(frozen=True, slots=True)
class Layer:
    """One folder of a registry, bottom (a full registry) first.

    Attributes:
        source: the folder.
        extends: what it extends (None for the bottom layer).
        version: the registry's version up to and including this layer.
        files: its files, as problems name them.
    """

    source: str
    extends: str | None
    version: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Origins:
    """Where a registry's items came from: its layers, each item's origin, every disable.

    Attributes:
        layers: the folders merged, bottom first (one for a plain registry).
        tools: each tool's origin, by name.
        rules: each rule's origin, by id.
        segments: each segment's origin, by id.
        settings: each settings key path an overlay set (``settings.model.min_confidence``).
        disabled: every inherited rule or segment an overlay turned off, in order.
    """

    layers: tuple[Layer, ...]
    tools: Mapping[str, Origin]
    rules: Mapping[str, Origin]
    segments: Mapping[str, Origin]
    settings: Mapping[str, Origin] = field(default_factory=dict)
    disabled: tuple[Disabled, ...] = ()

    @classmethod
    def of_parts(cls, parts: Parts, layer: Layer) -> Origins:
        """Every item of `parts` as written in the one layer `layer`."""
        def origins(placed: Iterable[Placed[_T]]) -> dict[str, Origin]:
            return {_key(p.item): Origin(p.file, p.path, layer.source, "base") for p in placed}
        return cls((layer,), origins(parts.tools), origins(parts.rules), origins(parts.segments))

    def changes(self) -> list[tuple[ItemKind, str, Origin]]:
        """The items not written in the bottom layer: (kind, name or id, origin), in order."""
        kinds: tuple[tuple[ItemKind, Mapping[str, Origin]], ...] = (
            ("tool", self.tools), ("rule", self.rules), ("segment", self.segments))
        return [(kind, key, o) for kind, items in kinds for key, o in items.items()
                if o.change != "base"]

    def with_declared(self, names: Iterable[str]) -> Origins:
        """These origins with tools `names` declared from Python."""
        declared = {name: Origin("<python>", "", "<python>", "declared") for name in names}
        return replace(self, tools={**self.tools, **declared})


@dataclass
class Merged:
    """A registry's layers merged, ready to link: its parts, origins and version."""

    parts: Parts
    origins: Origins
    version: str


def read_folder(folder: Path) -> tuple[dict[str, bytes], list[RegistryIssue]]:
    """Every ``*.yaml`` file of `folder` as ``{name: bytes}``, or the problem reading it."""
    try:
        if not folder.is_dir():
            return {}, [RegistryIssue(str(folder), "", "not a folder")]
        files = sorted(p for p in folder.iterdir()
                       if p.suffix in {".yaml", ".yml"} and p.is_file())
        if not files:
            return {}, [RegistryIssue(str(folder), "", "no *.yaml files in the folder")]
        return {file.name: file.read_bytes() for file in files}, []
    except (OSError, ValueError) as exc:  # unreadable, a name too long or with a NUL in it
        return {}, [RegistryIssue(repr(str(folder))[1:-1], "", f"cannot be read ({exc})")]


def content_version(texts: Mapping[str, bytes]) -> str:
    """The version of a plain registry: a hash of its file names and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name] + b"\0")
    return f"sha256:{digest.hexdigest()[:16]}"


def is_overlay(texts: Mapping[str, bytes]) -> bool:
    """Whether a folder's files declare an overlay (a top-level ``extends:`` in any of them)."""
    return any(_EXTENDS.search(data) for data in texts.values())


def merge(folder: Path, issues: list[RegistryIssue]) -> Merged | None:
    """The layers under the overlay `folder` merged (bottom first), with their origins.

    Args:
        folder: an overlay folder (`is_overlay` holds for its files).
        issues: where every problem found is appended, with its file and YAML path.

    Returns:
        The merged parts (not yet linked), or None when a layer could not be read or merged.
    """
    return _Merger(issues).layer(folder, ())


def remap_settings_issues(issues: list[RegistryIssue], origins: Origins, settings_file: str
                          ) -> list[RegistryIssue]:
    """Problems found in the merged settings, each moved to the overlay file that set the
    deepest key path it lies under (the bottom layer's settings file keeps the rest)."""
    out = []
    for issue in issues:
        if issue.file == settings_file and origins.settings:
            under = [path for path in origins.settings
                     if issue.path == path or issue.path.startswith((f"{path}.", f"{path}["))]
            if under:
                origin = origins.settings[max(under, key=len)]
                issue = replace(issue, file=origin.file)
        out.append(issue)
    return out


def _key(item: ToolSpec | RuleSpec | SegmentSpec) -> str:
    return item.name if isinstance(item, ToolSpec) else item.id


def _floor(segment: SegmentSpec) -> bool:
    """Whether `segment` is part of the safety floor no overlay may loosen
    (`SegmentSpec.safety_floor`)."""
    return segment.safety_floor


def _refs(criteria: Iterable[Criterion]) -> set[str]:
    """The rule codes and ids `criteria` name, nested ones included."""
    found: set[str] = set()
    for c in criteria:
        if c.rule is not None:
            found.add(c.rule)
        found |= _refs([*(c.all_of or []), *(c.any_of or [])])
    return found


def _looser(old: SegmentSpec, new: SegmentSpec) -> list[tuple[str, str]]:
    """Every way the override `new` of the floor segment `old` is looser than it, as
    (YAML path under the segment, what it does)."""
    out: list[tuple[str, str]] = []

    def dropped(path: str, before: Iterable[object], after: Iterable[object], what: str) -> None:
        kept = list(after)
        out.extend((path, f"drops {what} {_dump(x)}") for x in before if x not in kept)

    def added(path: str, before: Iterable[object], after: Iterable[object], what: str) -> None:
        was = list(before)
        out.extend((path, f"adds {what} {_dump(x)}") for x in after if x not in was)

    dropped("escalation.hard", old.escalation.hard, new.escalation.hard,
            "the forced-handoff trigger")
    if old.escalation.mode == "immediate" and new.escalation.mode != "immediate":
        out.append(("escalation.mode", "delays an immediate handoff"))
    dropped("entry.any", old.entry.any, new.entry.any, "the entry condition")
    added("entry.all", old.entry.all, new.entry.all, "the entry requirement")
    if RISK_ORDER[new.risk] < RISK_ORDER[old.risk]:
        out.append(("risk", f"lowers the risk from {old.risk} to {new.risk}"))
    if old.exit.verified_by and (new.exit.any or new.exit.all):
        out.append(("exit", "lets the customer's words end what only "
                    f"{' or '.join(old.exit.verified_by)} may end"))
    added("exit.verified_by", old.exit.verified_by, new.exit.verified_by, "the verifier")
    added("exit.any", old.exit.any, new.exit.any, "the way out")
    if old.exit.any and new.exit.all and not new.exit.any:
        out.append(("exit.any", "ends on `all` alone, without the inherited `any`"))
    dropped("exit.all", old.exit.all, new.exit.all, "the exit requirement")
    dropped("exit.unless", old.exit.unless, new.exit.unless, "the exit guard")
    out.extend(_looser_policy("tools", old.tools, new.tools))
    return out


def _looser_policy(path: str, was: ToolPolicy, now: ToolPolicy) -> list[tuple[str, str]]:
    """Every way the tool policy `now` lets through what `was` did not (path, what)."""
    out: list[tuple[str, str]] = []
    if was.allowed is not None:
        if now.allowed is None:
            out.append((f"{path}.allowed", "lifts the allowed-tools list"))
        else:
            out.extend((f"{path}.allowed", f"adds the allowed tool {t!r}")
                       for t in now.allowed if t not in was.allowed)
    kept: list[tuple[str, Sequence[str], Sequence[str], str]] = [
        ("denied", was.denied, now.denied, "the denied tool"),
        ("deny_effects", was.deny_effects, now.deny_effects, "the denied effect"),
        ("confirm", [t for t in was.confirm if t not in now.denied], now.confirm,
         "the confirmed tool"),
        ("confirm_effects", [e for e in was.confirm_effects if e not in now.deny_effects],
         now.confirm_effects, "the confirmed effect"),
    ]
    for name, before, after, what in kept:
        out.extend((f"{path}.{name}", f"drops {what} {x!r}") for x in before if x not in after)
    return out


def _looser_rule(old: RuleSpec, new: RuleSpec) -> list[tuple[str, str]]:
    """Every way the override `new` of a rule a floor segment enters on reads less than
    `old` (path, what): it may add patterns and `unless`, not drop or re-aim them."""
    out = [(name, f"changes its {name} from {getattr(old, name)!r}")
           for name in ("code", "kind", "lang") if getattr(old, name) != getattr(new, name)]
    if old.risk is not None and (new.risk is None or RISK_ORDER[new.risk] < RISK_ORDER[old.risk]):
        out.append(("risk", f"lowers its risk from {old.risk}"))
    out.extend(("patterns", f"drops the pattern {p!r}") for p in old.patterns
               if p not in new.patterns)
    out.extend(("roles", f"stops reading {r!r} messages") for r in old.roles
               if r not in new.roles)
    return out


def tool_loosening(catalogue: ToolSpec, declared: ToolSpec) -> str:
    """What `declared` drops of the tool `catalogue` it would replace ("" when nothing): an
    effect, or an argument bound to the session's customer."""
    bound = {*declared.customer_args, *declared.identity_args, *declared.new_value_args}
    dropped = [
        *(f"effect {e!r}" for e in catalogue.effects if e not in declared.effects),
        *(f"customer_args {a!r}" for a in catalogue.customer_args
          if a not in declared.customer_args),
        *(f"identity_args {a!r}" for a, kind in catalogue.identity_args.items()
          if declared.identity_args.get(a) != kind and a not in declared.customer_args),
        *(f"new_value_args {a!r}" for a in catalogue.new_value_args if a not in bound),
    ]
    return "drops " + ", ".join(dropped) if dropped else ""


def _dump(value: object) -> str:
    if isinstance(value, Criterion):
        return repr(value.model_dump(exclude_none=True))
    return repr(value)


def _shown(folder: Path) -> str:
    """How a layer's files are named in problems: the shipped registry as ``default/``."""
    if folder.resolve() == default_registry_dir().resolve():
        return f"{DEFAULT}/"
    return f"{os.path.normpath(folder)}/"


class _Merger:
    """Merges one layer after the other, collecting problems (none stops the others)."""

    def __init__(self, issues: list[RegistryIssue]) -> None:
        self.issues = issues

    def layer(self, folder: Path, below: tuple[Path, ...]) -> Merged | None:
        texts, problems = read_folder(folder)
        if problems:
            self.issues.extend(problems)
            return None
        prefix = _shown(folder)
        if not is_overlay(texts):
            return self._plain(folder, texts, prefix)
        overlays: dict[str, OverlayFile] = {}
        for name, data in texts.items():
            loaded, problems = load_yaml(data, OverlayFile, file=prefix + name)
            self.issues.extend(problems)
            if loaded is not None:
                overlays[name] = loaded
        declaring = [name for name, f in overlays.items() if f.extends is not None]
        if len(declaring) != 1 or len(overlays) != len(texts):
            if len(declaring) > 1:
                self.issues.append(RegistryIssue(
                    str(folder), "extends",
                    f"exactly one file may set `extends` (found in {', '.join(declaring)})"))
            elif not declaring and len(overlays) == len(texts):
                self.issues.append(RegistryIssue(
                    str(folder), "extends", "`extends` names nothing: write 'default' or a "
                    "folder relative to this one"))
            return None
        extends = overlays[declaring[0]].extends
        assert extends is not None
        parent_folder = default_registry_dir() if extends == DEFAULT else folder / extends
        try:
            here, parent_at = folder.resolve(), parent_folder.resolve()
            is_folder = parent_folder.is_dir()
        except (OSError, ValueError) as exc:  # a NUL in it, a name too long, a symlink loop
            self.issues.append(RegistryIssue(prefix + declaring[0], "extends",
                                             f"{extends!r} is not a usable path ({exc})"))
            return None
        if parent_at in (*below, here):
            chain = " -> ".join(str(p) for p in (*below, here, parent_at))
            self.issues.append(RegistryIssue(prefix + declaring[0], "extends",
                                             f"overlays extend each other in a cycle: {chain}"))
            return None
        if len(below) + 1 >= _MAX_LAYERS:
            self.issues.append(RegistryIssue(
                prefix + declaring[0], "extends",
                f"more than {_MAX_LAYERS} layers extend each other: flatten the chain"))
            return None
        if not is_folder:
            self.issues.append(RegistryIssue(
                prefix + declaring[0], "extends",
                f"{extends!r} is not a folder (write 'default', or a folder relative to "
                f"{folder})"))
            return None
        parent = self.layer(parent_folder, (*below, here))
        if parent is None:
            return None
        digest = hashlib.sha256(parent.version.encode() + b"\0")
        for name in sorted(texts):
            digest.update(name.encode() + b"\0" + texts[name] + b"\0")
        layer = Layer(os.path.normpath(folder), extends, f"sha256:{digest.hexdigest()[:16]}",
                      tuple(prefix + name for name in sorted(texts)))
        return _Apply(parent, layer, self.issues).run(
            [(prefix + name, overlays[name]) for name in sorted(overlays)])

    def _plain(self, folder: Path, texts: Mapping[str, bytes], prefix: str) -> Merged | None:
        parsed: dict[str, RegistryFile] = {}
        for name in sorted(texts):
            loaded, problems = load_yaml(texts[name], RegistryFile, file=prefix + name)
            self.issues.extend(problems)
            if loaded is not None:
                parsed[name] = loaded
        if len(parsed) != len(texts):
            return None
        parts = Parts.of_files(parsed, prefix)
        version = content_version(texts)
        layer = Layer(os.path.normpath(folder), None, version,
                      tuple(prefix + name for name in sorted(texts)))
        return Merged(parts, Origins.of_parts(parts, layer), version)


class _Apply:
    """One overlay layer applied to the registry merged below it."""

    def __init__(self, parent: Merged, layer: Layer, issues: list[RegistryIssue]) -> None:
        self.parent = parent
        self.layer = layer
        self.issues = issues
        self.parts = replace(parent.parts, disabled=dict(parent.parts.disabled))
        self.origins: dict[ItemKind, dict[str, Origin]] = {
            "tool": dict(parent.origins.tools),
            "rule": dict(parent.origins.rules),
            "segment": dict(parent.origins.segments),
        }
        self.settings_origins = dict(parent.origins.settings)
        self.written: set[tuple[ItemKind, str]] = set()  # what this layer wrote

    def run(self, files: list[tuple[str, OverlayFile]]) -> Merged:
        """The layer merged; its problems are collected, and linking goes on so that the
        merged registry's own problems are reported with them."""
        self._settings(files)
        for file, overlay in files:
            self.parts.tools = self._items("tool", file, "tools", overlay.tools, self.parts.tools)
            self.parts.rules = self._items("rule", file, "rules", overlay.rules, self.parts.rules)
            self.parts.segments = self._items("segment", file, "segments", overlay.segments,
                                              self.parts.segments)
            if overlay.language is not None:
                self._language(file, overlay.language)
            self.parts.known_words = [*self.parts.known_words, *overlay.known_words]
        disabled = self._disable(files)
        origins = Origins(
            (*self.parent.origins.layers, self.layer),
            self.origins["tool"], self.origins["rule"], self.origins["segment"],
            self.settings_origins, (*self.parent.origins.disabled, *disabled),
        )
        return Merged(self.parts, origins, self.layer.version)

    def _origin(self, file: str, path: str, overrides: bool) -> Origin:
        return Origin(file, path, self.layer.source, "overridden" if overrides else "added")

    def _items(self, kind: ItemKind, file: str, section: str, items: list[_T],
               current: list[Placed[_T]]) -> list[Placed[_T]]:
        out = list(current)
        position = {_key(p.item): n for n, p in enumerate(out)}
        for i, item in enumerate(items):
            key, path = _key(item), f"{section}[{i}]"
            if (kind, key) in self.written:
                name = "name" if kind == "tool" else "id"
                self.issues.append(RegistryIssue(file, f"{path}.{name}",
                                                 f"duplicate {kind} {key!r} in this overlay"))
                continue
            self.written.add((kind, key))
            placed = Placed(item, file, path)
            if key in position:
                self._keep_floor(out[position[key]].item, item, file, path)
                out[position[key]] = placed
            else:
                position[key] = len(out)
                out.append(placed)
            self.origins[kind][key] = self._origin(file, path, key in self.origins[kind]
                                                   and self._inherited(kind, key))
        return out

    def _keep_floor(self, old: object, new: object, file: str, path: str) -> None:
        """An override of a tool may not drop its effects or bindings (`tool_loosening`), nor
        one of a floor segment loosen it (`_looser`)."""
        if isinstance(old, ToolSpec) and isinstance(new, ToolSpec):
            if why := tool_loosening(old, new):
                self.issues.append(RegistryIssue(
                    file, path, f"tool {old.name!r}: an override may add effects and bindings, "
                    f"and this one {why} (give a different tool another name)"))
            return
        if isinstance(old, RuleSpec) and isinstance(new, RuleSpec):
            users = self._floor_users(old)
            for where, what in _looser_rule(old, new) if users else ():
                self.issues.append(RegistryIssue(
                    file, f"{path}.{where}",
                    f"rule {old.id!r} puts customers into {', '.join(map(repr, users))}, which "
                    f"forces a person: an override may add patterns and `unless`, and this one "
                    f"{what}"))
            return
        if not (isinstance(old, SegmentSpec) and isinstance(new, SegmentSpec) and _floor(old)):
            return
        for where, what in _looser(old, new):
            self.issues.append(RegistryIssue(
                file, f"{path}.{where}",
                f"segment {old.id!r} is part of the safety floor (it forces a person or fails "
                f"closed): an override may change its routing, behaviour and wording, not make "
                f"it looser, and this one {what}"))

    def _floor_users(self, rule: RuleSpec) -> list[str]:
        """The inherited floor segments whose entry or forced handoff names `rule`."""
        names = {rule.id, rule.code}
        if rule.lang:
            names.add(rule.code.removesuffix(f".{rule.lang}"))
        return sorted(p.item.id for p in self.parent.parts.segments if _floor(p.item) and names
                      & _refs([*p.item.entry.any, *p.item.entry.all, *p.item.escalation.hard]))

    def _floor_refusal(self, kind: ItemKind, target: str) -> str | None:
        """Why the inherited `kind` `target` may not be disabled, or None."""
        if kind == "segment":
            if any(p.item.id == target and _floor(p.item) for p in self.parent.parts.segments):
                return (f"segment {target!r} forces a person or fails closed, and disputes, "
                        "fraud, takeover, lockouts and requests for a person always reach one: "
                        "it cannot be disabled (override it by id to change its routing or "
                        "wording)")
            return None
        rule = next((p.item for p in self.parent.parts.rules if p.item.id == target), None)
        users = self._floor_users(rule) if rule is not None else []
        if not users:
            return None
        return (f"rule {target!r} puts customers into {', '.join(map(repr, users))}, which "
                "forces a person: it cannot be disabled (to stop a false positive, override it "
                "by id with an `unless`)")

    def _inherited(self, kind: ItemKind, key: str) -> bool:
        origins = {"tool": self.parent.origins.tools, "rule": self.parent.origins.rules,
                   "segment": self.parent.origins.segments}[kind]
        return key in origins

    def _language(self, file: str, spec: LanguageSpec) -> None:
        placed = Placed(spec, file, "language")
        kept = [p for p in self.parts.languages if p.item.code != spec.code
                or p.file in self.layer.files]
        self.parts.languages = [*kept, placed]

    def _settings(self, files: list[tuple[str, OverlayFile]]) -> None:
        patches = [(file, overlay.settings) for file, overlay in files if overlay.settings]
        if not patches:
            return
        base = self.parent.parts.settings[0]
        data = base.item.model_dump()
        for file, patch in patches:
            self._patch(data, patch, file, "settings")
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            found = validation_issues(exc, base.file, ("settings",))
            origins = Origins((), {}, {}, {}, self.settings_origins)
            self.issues.extend(remap_settings_issues(found, origins, base.file))
            return
        # The tool policy under every segment (baseline, and per risk tier) is floor too.
        was = base.item
        loosened = _looser_policy("settings.baseline_tools", was.baseline_tools,
                                  settings.baseline_tools)
        for tier, policy in was.risk_tools.items():
            loosened += _looser_policy(f"settings.risk_tools.{tier}", policy,
                                       settings.risk_tools.get(tier, ToolPolicy()))
        if loosened:
            origins = Origins((), {}, {}, {}, self.settings_origins)
            self.issues.extend(remap_settings_issues([RegistryIssue(
                base.file, where, f"the inherited tool policy may be narrowed, not loosened, and "
                f"this {what}") for where, what in loosened], origins, base.file))
            return
        self.parts.settings = [Placed(settings, base.file, base.path)]

    def _patch(self, data: MutableMapping[str, object], patch: Mapping[str, object], file: str,
               path: str) -> None:
        for key, value in patch.items():
            append = key.endswith("+")
            name = key.removesuffix("+")
            where = f"{path}.{name}"
            current = data.get(name)
            if append:
                if not isinstance(current, list) or not isinstance(value, list):
                    self.issues.append(RegistryIssue(
                        file, f"{path}.{key}",
                        f"'{key}' appends to a list, and {where} is not one"
                        if not isinstance(current, list) else f"'{key}' takes a list"))
                    continue
                data[name] = [*current, *(v for v in value if v not in current)]
            elif isinstance(value, dict) and isinstance(current, dict):
                self._patch(current, value, file, where)
                continue
            else:
                data[name] = copy.deepcopy(value)
            self.settings_origins[where] = Origin(file, where, self.layer.source, "overridden")

    def _disable(self, files: list[tuple[str, OverlayFile]]) -> list[Disabled]:
        found: list[Disabled] = []
        gone: dict[ItemKind, set[str]] = {"rule": set(), "segment": set()}
        for file, overlay in files:
            for j, disable in enumerate(overlay.disable):
                kind, target = disable.kind, disable.target
                path = f"disable[{j}].{kind}"
                if not self._inherited(kind, target):
                    self.issues.append(RegistryIssue(
                        file, path, f"unknown {kind} {target!r}: nothing inherited has this id"))
                elif (refusal := self._floor_refusal(kind, target)) is not None:
                    self.issues.append(RegistryIssue(file, path, refusal))
                elif (kind, target) in self.written:
                    self.issues.append(RegistryIssue(
                        file, path, f"{kind} {target!r} is both disabled and written in this "
                        "overlay: keep one"))
                elif target in gone[kind]:
                    self.issues.append(RegistryIssue(file, path,
                                                     f"{kind} {target!r} is disabled twice"))
                else:
                    gone[kind].add(target)
                    found.append(Disabled(kind, target, disable.reason, file,
                                          f"disable[{j}]", self.layer.source))
        codes = {p.item.id: p.item for p in self.parts.rules}
        for item in found:
            where = f"{item.file}:{item.path}"
            self.parts.disabled[item.id] = where
            self.origins[item.kind].pop(item.id, None)
            rule = codes.get(item.id) if item.kind == "rule" else None
            if rule is not None:
                self.parts.disabled.setdefault(rule.code, where)
                if rule.lang:
                    self.parts.disabled.setdefault(rule.code.removesuffix(f".{rule.lang}"), where)
        self.parts.rules = [p for p in self.parts.rules if p.item.id not in gone["rule"]]
        self.parts.segments = [p for p in self.parts.segments
                               if p.item.id not in gone["segment"]]
        return found
