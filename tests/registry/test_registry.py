"""The registry: the shipped one loads, is versioned by content, and broken ones report every issue.

Broken registries are built from the shipped files (read as text) with one targeted edit each, so
every test exercises the real loader on realistic input. Each mutation returns the issue it must
produce: file, exact YAML path, and a fragment of the message.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from guardrail import GuardrailError, Registry, RegistryError, RegistryIssue
from guardrail._resources import default_registry_dir
from guardrail.registry.schema import RegistryFile

VERSION = re.compile(r"^sha256:[0-9a-f]{16,64}$")


def shipped_texts() -> dict[str, str]:
    """The shipped registry as ``{file name: text}``, read once per call (a stable snapshot)."""
    folder = default_registry_dir()
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.iterdir())
        if p.suffix in {".yaml", ".yml"} and p.is_file()
    }


@dataclass(frozen=True)
class Expected:
    """An issue a mutation must produce."""

    file: str
    path: str
    message: str

    def found_in(self, issues: list[RegistryIssue]) -> bool:
        return any(
            i.file == self.file and i.path == self.path and self.message in i.message
            for i in issues
        )


class Workbench:
    """The shipped files, editable as parsed YAML; unedited files keep their exact text."""

    def __init__(self) -> None:
        self.texts = shipped_texts()
        self._docs: dict[str, Any] = {}

    def doc(self, name: str) -> Any:
        if name not in self._docs:
            self._docs[name] = yaml.safe_load(self.texts[name])
        return self._docs[name]

    def segment(self, segment_id: str) -> tuple[str, int, dict[str, Any]]:
        """(file, index in that file's `segments`, the segment mapping) for `segment_id`."""
        for name in self.texts:
            data = self.doc(name) if "segments:" in self.texts[name] else None
            for i, seg in enumerate((data or {}).get("segments") or []):
                if seg.get("id") == segment_id:
                    return name, i, seg
        raise LookupError(f"the shipped registry has no segment {segment_id!r}")

    def add_file(self, name: str, text: str) -> None:
        assert name not in self.texts, name
        self.texts[name] = text

    def build(self) -> dict[str, str]:
        out = dict(self.texts)
        for name, data in self._docs.items():
            out[name] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return out


def _extra_rule(rule_id: str, pattern: str) -> str:
    return yaml.safe_dump(
        {
            "rules": [
                {
                    "id": rule_id,
                    "code": "friction.test_only",
                    "kind": "friction",
                    "explanation": "A rule added by the test suite.",
                    "patterns": [pattern],
                }
            ]
        }
    )


# -- mutations: each edits the workbench and returns the issue it must cause -----------------------


def unknown_tool_in_denied(wb: Workbench) -> Expected:
    name, i, seg = wb.segment("billing_dispute")
    denied = seg["tools"].setdefault("denied", [])
    denied.append("teleport_customer")
    return Expected(name, f"segments[{i}].tools.denied[{len(denied) - 1}]", "unknown tool")


def unknown_rule_in_entry(wb: Workbench) -> Expected:
    name, i, seg = wb.segment("legal_threat")
    entry_any = seg["entry"]["any"]
    entry_any.append({"rule": "risk.no_such_rule"})
    return Expected(name, f"segments[{i}].entry.any[{len(entry_any) - 1}].rule", "no_such_rule")


def bad_regex(wb: Workbench) -> Expected:
    wb.add_file("90-test-bad-regex.yaml", _extra_rule("test.bad_regex", "charged (twice"))
    return Expected("90-test-bad-regex.yaml", "rules[0].patterns[0]", "bad regular expression")


def nested_quantifier(wb: Workbench) -> Expected:
    wb.add_file("91-test-nested.yaml", _extra_rule("test.nested_quantifier", "(a+)+"))
    return Expected("91-test-nested.yaml", "rules[0].patterns[0]", "nested quantifier")


def forward_segment_reference(wb: Workbench) -> Expected:
    # high_value is defined in 44-*, after every runtime segment.
    name, i, seg = wb.segment("human_requested")
    entry_any = seg["entry"]["any"]
    entry_any.append({"segment": "high_value"})
    return Expected(name, f"segments[{i}].entry.any[{len(entry_any) - 1}].segment", "earlier")


def allowed_and_denied(wb: Workbench) -> Expected:
    name, i, seg = wb.segment("lockout")
    assert "get_account_status" in seg["tools"]["allowed"]
    seg["tools"]["denied"].append("get_account_status")
    return Expected(name, f"segments[{i}].tools", "both allowed and denied")


def stable_segment_sets_tools(wb: Workbench) -> Expected:
    name, i, seg = wb.segment("high_value")
    seg["tools"] = {"denied": ["issue_refund"]}
    return Expected(name, f"segments[{i}]", "stable-tier segment may not change tools")


def runtime_segment_reads_context(wb: Workbench) -> Expected:
    name, i, seg = wb.segment("how_to")
    seg["entry"]["all"] = [{"context": "ltv", "op": "ge", "value": 0}]
    return Expected(name, f"segments[{i}]", "only stable-tier segments may read context")


def duplicate_segment_id(wb: Workbench) -> Expected:
    name, _, seg = wb.segment("other")
    segments = wb.doc(name)["segments"]
    segments.append(copy.deepcopy(seg))
    return Expected(name, f"segments[{len(segments) - 1}].id", "duplicate segment id 'other'")


def invalid_yaml(wb: Workbench) -> Expected:
    wb.add_file("92-test-broken.yaml", "segments:\n  - id: broken\n    purpose: [unclosed\n")
    return Expected("92-test-broken.yaml", "", "not valid YAML")


def unknown_key(wb: Workbench) -> Expected:
    # In the friction file, which no other mutation touches: a file that fails its schema is
    # left out of the cross-file checks.
    name, i, seg = wb.segment("reopen_prone")
    seg["colour"] = "red"
    return Expected(name, f"segments[{i}].colour", "Extra inputs are not permitted")


def two_settings_files(wb: Workbench) -> Expected:
    settings_file = next(n for n in wb.texts if re.search(r"^settings:", wb.texts[n], re.M))
    wb.add_file(
        "93-test-settings.yaml", yaml.safe_dump({"settings": wb.doc(settings_file)["settings"]})
    )
    return Expected("", "settings", "93-test-settings.yaml")


CROSS_FILE_AND_SCHEMA: list[Callable[[Workbench], Expected]] = [
    unknown_tool_in_denied,
    unknown_rule_in_entry,
    bad_regex,
    nested_quantifier,
    forward_segment_reference,
    allowed_and_denied,
    stable_segment_sets_tools,
    runtime_segment_reads_context,
    duplicate_segment_id,
    invalid_yaml,
    unknown_key,
]
ALL_MUTATIONS = [*CROSS_FILE_AND_SCHEMA, two_settings_files]


def _load_error(texts: dict[str, str]) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        Registry.from_texts(texts)
    return caught.value


def _describe(issues: list[RegistryIssue]) -> str:
    return "\n".join(f"{i.file!r} {i.path!r}: {i.message}" for i in issues)


# -- the shipped registry --------------------------------------------------------------------------


def test_shipped_registry_loads(registry: Registry) -> None:
    assert registry.segments, "the shipped registry has no segments"
    assert registry.rules, "the shipped registry has no rules"
    assert registry.tools, "the shipped registry has no tools"
    assert VERSION.match(registry.version), registry.version
    assert registry.settings.default_need_state in registry.settings.need_states
    assert len({s.id for s in registry.segments}) == len(registry.segments)


def test_unedited_texts_load() -> None:
    # The workbench itself must be sound, or every mutation test below proves nothing.
    Registry.from_texts(Workbench().build())


# -- version ---------------------------------------------------------------------------------------


def test_version_is_stable_when_nothing_changes(tmp_path: Path) -> None:
    texts = shipped_texts()
    first = Registry.from_texts(texts).version
    assert VERSION.match(first)
    assert Registry.from_texts(dict(texts)).version == first
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # Where the files come from does not matter, only their names and bytes.
    assert Registry.load(tmp_path).version == first
    assert Registry.load(tmp_path).version == first


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda t: t + "\n# a reviewer's note\n", id="comment-added"),
        pytest.param(lambda t: t.replace("priority: high", "priority: urgent", 1), id="value-edit"),
    ],
)
def test_version_changes_with_content(edit: Callable[[str], str], tmp_path: Path) -> None:
    texts = shipped_texts()
    before = Registry.from_texts(texts).version
    target = next(n for n in texts if "priority: high" in texts[n] and n.startswith("4"))
    edited = {**texts, target: edit(texts[target])}
    assert edited[target] != texts[target]
    after = Registry.from_texts(edited).version
    assert VERSION.match(after)
    assert after != before
    for name, text in edited.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert Registry.load(tmp_path).version == after


def test_version_changes_when_a_file_is_renamed() -> None:
    texts = shipped_texts()
    name = next(n for n in texts if n.startswith("44"))
    renamed = {("45" + name[2:]) if n == name else n: t for n, t in texts.items()}
    assert Registry.from_texts(renamed).version != Registry.from_texts(texts).version


# -- broken registries -----------------------------------------------------------------------------


@pytest.mark.parametrize("mutate", CROSS_FILE_AND_SCHEMA, ids=lambda f: f.__name__)
def test_each_problem_is_reported_with_file_and_path(
    mutate: Callable[[Workbench], Expected],
) -> None:
    wb = Workbench()
    expected = mutate(wb)
    error = _load_error(wb.build())
    assert isinstance(error, GuardrailError)
    assert expected.found_in(error.issues), f"expected {expected} among:\n{_describe(error.issues)}"
    # One edit, one problem: the loader does not bury it under follow-on noise.
    assert len(error.issues) == 1, _describe(error.issues)
    # The exception text names the file and the path, for a human reading a CI log.
    assert expected.file in str(error)
    assert expected.path in str(error)


def test_two_settings_files_are_reported() -> None:
    wb = Workbench()
    expected = two_settings_files(wb)
    error = _load_error(wb.build())
    issues = [i for i in error.issues if i.path == expected.path]
    assert issues, _describe(error.issues)
    issue = issues[0]
    shown = f"{issue.file} {issue.message}"
    assert "93-test-settings.yaml" in shown
    assert any(n in shown for n in shipped_texts() if n != "93-test-settings.yaml")


def test_every_problem_is_reported_at_once() -> None:
    wb = Workbench()
    expected = [mutate(wb) for mutate in CROSS_FILE_AND_SCHEMA]
    error = _load_error(wb.build())
    missing = [e for e in expected if not e.found_in(error.issues)]
    assert not missing, f"missing {missing} among:\n{_describe(error.issues)}"
    assert len(error.issues) >= len(expected)
    for e in expected:
        assert f"{e.file}:{e.path}" in str(error) or (not e.path and e.file in str(error))


def test_two_settings_files_do_not_hide_other_problems() -> None:
    """'Reports every problem': a second settings file must not mask the other issues."""
    wb = Workbench()
    expected = [
        mutate(wb)
        for mutate in (
            two_settings_files,
            unknown_tool_in_denied,
            allowed_and_denied,
            bad_regex,
            duplicate_segment_id,
        )
    ]
    error = _load_error(wb.build())
    assert any(i.path == "settings" for i in error.issues), _describe(error.issues)
    missing = [e for e in expected[1:] if not e.found_in(error.issues)]
    assert not missing, f"missing {missing} among:\n{_describe(error.issues)}"


def test_load_rejects_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as caught:
        Registry.load(tmp_path / "nope")
    assert caught.value.issues
    with pytest.raises(RegistryError):
        Registry.load(tmp_path)  # exists, but holds no *.yaml


def test_registry_errors_are_not_pydantic_errors() -> None:
    wb = Workbench()
    unknown_key(wb)
    with pytest.raises(GuardrailError) as caught:
        Registry.from_texts(wb.build())
    assert not isinstance(caught.value, pydantic.ValidationError)


# -- JSON Schema for editors -----------------------------------------------------------------------


def test_json_schema_is_serialisable_and_describes_segments() -> None:
    schema = RegistryFile.model_json_schema()
    text = json.dumps(schema)
    assert json.loads(text) == schema
    assert "segments" in schema["properties"]
    assert "SegmentSpec" in schema["$defs"]
    segment = schema["$defs"]["SegmentSpec"]
    assert segment.get("additionalProperties") is False  # extra="forbid" reaches editors too
    for field in ("id", "tier", "entry", "exit", "tools", "escalation", "owner", "last_reviewed"):
        assert field in segment["properties"], field


def test_a_pickled_registry_decides_the_same_and_carries_no_policy_cache() -> None:
    """Eval workers get the registry pickled. The policy compiled from it lives beside it (in
    `guardrail.policy`), never on it, so only the registry's own data travels and the worker
    compiles its policy again."""
    import pickle

    from guardrail import Guardrail
    from guardrail.policy import CompiledPolicy

    registry = Registry.default()
    guard = Guardrail(registry, need_model=None)
    message = {"messages": [{"role": "user", "content": "I was charged twice"}]}
    before = guard.check(message)
    compiled = CompiledPolicy.of(registry)
    assert CompiledPolicy.of(registry) is compiled  # built once per registry
    assert not any(isinstance(value, CompiledPolicy) for value in vars(registry).values())
    assert not any("memo" in name for name in vars(registry))
    clone = pickle.loads(pickle.dumps(registry))
    assert CompiledPolicy.of(clone) is not compiled
    assert Guardrail(clone, need_model=None).check(message) == before


def test_a_compiled_policy_does_not_keep_its_registry_alive() -> None:
    import gc
    import weakref

    from guardrail.policy import CompiledPolicy

    registry = Registry.from_texts(shipped_texts())
    assert CompiledPolicy.of(registry) is not None
    alive = weakref.ref(registry)
    del registry
    gc.collect()
    assert alive() is None


# -- vocabulary the registry holds, not the code ---------------------------------------------------


def _settings_doc(wb: Workbench) -> tuple[str, dict[str, Any]]:
    name = next(n for n in wb.texts if re.search(r"^settings:", wb.texts[n], re.M))
    return name, wb.doc(name)["settings"]


def test_word_gaps_never_step_onto_the_registrys_gap_negators(registry: Registry) -> None:
    from guardrail.registry import compile_rule_pattern

    negators = registry.settings.gap_negators
    assert "isnt" in negators
    # A rule's gaps refuse the default language's negators and its own language's.
    english = {rule.gap_negators for rule in registry.rules if rule.spec.lang is None}
    assert len(english) == 1
    default = set(next(iter(english)))
    assert "isnt" in default
    for rule in registry.rules:
        if rule.spec.lang is not None:
            own = set(registry.languages[rule.spec.lang].gap_negators)
            assert set(rule.gap_negators) == default | own, rule.spec.id
    gap = compile_rule_pattern(["account ~ locked"], negators)
    assert gap.search("my account is now locked")
    assert not gap.search("my account isnt locked")
    assert compile_rule_pattern(["account ~ locked"]).search("my account isnt locked")

    # The list is the registry's: take a word out of it and a rule's gap steps over it.
    rule = (
        "rules:\n  - {id: test.gap, code: friction.test_gap, kind: friction,"
        " explanation: A test rule., patterns: ['account ~ locked']}\n"
    )

    def branch(edit: Callable[[list[str]], list[str]]) -> re.Pattern[str]:
        wb = Workbench()
        _, settings = _settings_doc(wb)
        settings["gap_negators"] = edit(settings["gap_negators"])
        wb.add_file("95-test-gap.yaml", rule)
        built = Registry.from_texts(wb.build())
        return next(r for r in built.rules if r.spec.id == "test.gap").branches[0].regex

    assert branch(list).search("my account isnt locked") is None
    edited = branch(lambda words: [w for w in words if w != "isnt"])
    assert edited.search("my account isnt locked") is not None
    assert edited.search("my account dont locked") is None


@pytest.mark.parametrize("word", ["don't", "Not", "no way", ""])
def test_a_gap_negator_must_be_a_normalised_word(word: str) -> None:
    wb = Workbench()
    name, settings = _settings_doc(wb)
    settings["gap_negators"] = [*settings["gap_negators"], word]
    error = _load_error(wb.build())
    expected = Expected(
        name, f"settings.gap_negators[{len(settings['gap_negators']) - 1}]", "should match"
    )
    assert expected.found_in(error.issues), _describe(error.issues)


def test_authoritative_needs_must_be_need_states() -> None:
    wb = Workbench()
    name, settings = _settings_doc(wb)
    settings["authoritative_needs"] = ["policy_compliance", "legal"]
    error = _load_error(wb.build())
    expected = Expected(name, "settings.authoritative_needs[1]", "unknown need-state 'legal'")
    assert expected.found_in(error.issues), _describe(error.issues)
    assert len(error.issues) == 1, _describe(error.issues)


def test_the_new_settings_keys_reach_the_json_schema() -> None:
    schema = RegistryFile.model_json_schema()
    settings = schema["$defs"]["Settings"]["properties"]
    assert settings["gap_negators"]["items"]["pattern"] == "^[a-z0-9]+$"
    assert settings["authoritative_needs"]["items"] == {"type": "string"}
