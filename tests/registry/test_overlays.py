"""Overlays: a folder that `extends` another registry and writes down only what it changes.

Most tests build on a small plain registry written here (it loads in milliseconds); the README
walkthrough and the tests that must see the shipped policy build on ``extends: default``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrail import Guardrail, Registry, RegistryError, ToolSpec
from guardrail._resources import default_registry_dir
from guardrail.cli import main
from guardrail.conversation import Message
from guardrail.detectors.rules import RuleDetector

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "10-settings.yaml": """
settings:
  need_states: [billing, other]
  retrieval_scopes: [help_center, billing_policy]
  directives:
    - {id: clarify, description: "Ask one targeted question."}
  baseline_tools: {confirm_effects: [money]}
  model: {min_confidence: 0.5, handoff_threshold: 0.9}
""",
    "20-tools.yaml": """
tools:
  - {name: search_docs, description: "Search the help centre.", effects: [read]}
  - {name: issue_refund, description: "Refund a charge.", effects: [money],
     customer_args: [customer_id]}
""",
    "30-rules.yaml": """
rules:
  - id: need.billing
    code: need.billing
    kind: need
    need_state: billing
    explanation: The customer asks about a charge.
    patterns: ["(charge|refund|invoice)"]
  - id: risk.dispute
    code: risk.billing_dispute
    kind: risk
    risk: high
    need_state: billing
    explanation: The customer disputes a charge.
    patterns: ["charged twice"]
""",
    "40-segments.yaml": """
segments:
  - id: billing
    purpose: Routine billing questions.
    tier: runtime
    need_state: billing
    entry: {description: A billing need., any: [{need_state: billing}]}
    exit: {description: The need changes.}
    tools: {confirm: [issue_refund]}
    success_metrics: [billing answered]
    owner: tests
    last_reviewed: 2026-12-01
  - id: billing_dispute
    purpose: Disputed charges go to a person.
    tier: runtime
    risk: high
    entry: {description: A disputed charge., any: [{rule: risk.billing_dispute}]}
    exit: {description: An agent verified it., verified_by: [agent]}
    escalation: {hard: [{always: true}]}
    success_metrics: [disputes handed off]
    owner: tests
    last_reviewed: 2026-12-01
""",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write(tmp_path / "base", BASE)


def overlay(folder: Path, text: str, name: str = "00-overlay.yaml") -> Path:
    return write(folder, {name: text})


def issues_of(folder: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(RegistryError) as raised:
        Registry.load(folder)
    return [(i.file, i.path, i.message) for i in raised.value.issues]


def shown(folder: Path, name: str = "00-overlay.yaml") -> str:
    """How problems name a file of `folder` (its path as given, normalised)."""
    return f"{folder}/{name}"


# -- the README walkthrough, verbatim ---------------------------------------------------------


def _walkthrough() -> list[tuple[str, str]]:
    """The README section's blocks after each ``overlay-walkthrough`` marker: (what, code)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own policy in ten minutes: an overlay", 1)[1].split("\n## ")[0]
    found = re.findall(r"<!-- overlay-walkthrough: (\S+) -->\n```\w+\n(.*?)```", section, re.S)
    assert [what for what, _ in found] == ["my-policy/00-overlay.yaml", "shell", "python"]
    return found


def test_the_readme_walkthrough_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = dict(_walkthrough())
    write(tmp_path, {"my-policy/00-overlay.yaml": blocks["my-policy/00-overlay.yaml"]})
    # The shell block: `guardrail ...` commands, run through the CLI's own entry point.
    for line in blocks["shell"].strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "guardrail"
        assert main(argv[1:]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()]
    for change, kind, name, where in (
        ("added", "tool", "book_table", "my-policy/00-overlay.yaml:tools[0]"),
        ("added", "rule", "topic.table_booking", "my-policy/00-overlay.yaml:rules[0]"),
        ("added", "segment", "table_booking", "my-policy/00-overlay.yaml:segments[0]"),
        ("disabled", "segment", "renewal_window", "my-policy/00-overlay.yaml:disable[0]"),
    ):
        assert [change, kind, name, where] in [row[:4] for row in rows], out

    namespace: dict[str, Any] = {}
    exec(compile(blocks["python"], "README.md", "exec"), namespace)
    decision = namespace["decision"]
    merged = Registry.load("my-policy")
    assert decision.policy_version == merged.version != Registry.default().version
    assert "table_booking" in [s.id for s in decision.segments]
    assert decision.verdict("book_table").verdict == "confirm"
    assert "renewal_window" not in merged.segment_by_id
    assert [d.reason for d in merged.origins.disabled] == [
        "We sell no subscriptions, so no customer has a renewal date to route on."]


# -- plain folders load as before -----------------------------------------------------------


def test_a_plain_folder_keeps_its_content_hash() -> None:
    folder = default_registry_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"}):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    shipped = Registry.default()
    assert shipped.version == f"sha256:{digest.hexdigest()[:16]}"
    assert len(shipped.origins.layers) == 1
    assert {o.change for o in shipped.origins.rules.values()} == {"base"}
    assert shipped.origins.rules["lockout.account_locked"].file == "30-rules-risk.yaml"


# -- items by name or id --------------------------------------------------------------------


def test_an_overlay_adds_and_overrides_by_id_keeping_order(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
tools:
  - {name: issue_refund, description: "Refund, read-only here.", effects: [read]}
  - {name: book_table, description: "Book a table.", effects: [write]}
rules:
  - id: need.billing
    code: need.billing
    kind: need
    need_state: billing
    explanation: The customer asks about a charge or a bill.
    patterns: ["(charge|refund|invoice|bill)"]
segments:
  - id: billing
    purpose: Routine billing questions, answered with a clarifying question first.
    tier: runtime
    need_state: billing
    entry: {description: A billing need., any: [{need_state: billing}]}
    exit: {description: The need changes.}
    behaviour: {directives: [clarify]}
    success_metrics: [billing answered]
    owner: mine
    last_reviewed: 2026-12-07
""")
    plain = Registry.load(base)
    merged = Registry.load(mine)
    assert merged.tools["issue_refund"].effects == ["read"]
    assert list(merged.tools) == ["search_docs", "issue_refund", "book_table"]
    assert [s.id for s in merged.segments] == ["billing", "billing_dispute"]
    assert merged.segment_by_id["billing"].behaviour.directives == ["clarify"]
    assert merged.segment_by_id["billing"].tools.is_empty()
    assert [r.spec.id for r in merged.rules] == ["need.billing", "risk.dispute"]
    assert "bill" in merged.rules[0].spec.patterns[0]
    origins = merged.origins
    assert origins.tools["issue_refund"].change == "overridden"
    assert origins.tools["book_table"].change == "added"
    assert origins.tools["search_docs"].change == "base"
    assert origins.rules["need.billing"].file == shown(mine)
    assert origins.rules["need.billing"].path == "rules[0]"
    assert origins.segments["billing_dispute"].file == shown(base, "40-segments.yaml")
    assert [layer.extends for layer in origins.layers] == [None, "../base"]
    assert origins.layers[0].version == plain.version
    assert merged.version not in (plain.version, "")
    assert merged.rule_origins["need.billing"] == (shown(mine), 0)


def test_the_same_id_twice_in_one_overlay_is_an_error(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
tools:
  - {name: book_table, description: "Book a table.", effects: [write]}
  - {name: book_table, description: "Book a table again.", effects: [write]}
""")
    assert (shown(mine), "tools[1].name", "duplicate tool 'book_table' in this overlay") in (
        issues_of(mine))


# -- disables -------------------------------------------------------------------------------


def test_a_disable_needs_a_reason_and_a_known_id(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
disable:
  - rule: need.billing
""")
    assert [(f, p) for f, p, _ in issues_of(mine)] == [(shown(mine), "disable[0].reason")]
    overlay(mine, """
extends: ../base
disable:
  - rule: no.such.rule
    reason: it fires on our menu
  - segment: no_such_segment
    reason: we have no such flow
""")
    found = issues_of(mine)
    assert [(f, p) for f, p, _ in found] == [(shown(mine), "disable[0].rule"),
                                             (shown(mine), "disable[1].segment")]
    assert "unknown segment 'no_such_segment'" in found[1][2]
    overlay(mine, """
extends: ../base
disable:
  - rule: need.billing
    segment: billing
    reason: both at once
""")
    [(_file, path, message)] = issues_of(mine)
    assert path == "disable[0]"
    assert "exactly one of rule, segment" in message


def test_a_disabled_rule_is_gone_and_what_still_names_it_is_reported(
    base: Path, tmp_path: Path
) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
disable:
  - rule: risk.dispute
    reason: disputes are handled by the payment provider
""")
    found = issues_of(mine)
    assert len(found) == 1
    file, path, message = found[0]
    assert (file, path) == (shown(base, "40-segments.yaml"), "segments[1].entry.any[0].rule")
    assert "unreachable" in message
    assert f"{shown(mine)}:disable[0]" in message
    overlay(mine, """
extends: ../base
disable:
  - rule: risk.dispute
    reason: disputes are handled by the payment provider
  - segment: billing_dispute
    reason: no dispute rule left to enter it
""")
    merged = Registry.load(mine)
    assert [r.spec.id for r in merged.rules] == ["need.billing"]
    assert [s.id for s in merged.segments] == ["billing"]
    assert [(d.kind, d.id, d.path) for d in merged.origins.disabled] == [
        ("rule", "risk.dispute", "disable[0]"), ("segment", "billing_dispute", "disable[1]")]
    assert "risk.dispute" not in merged.origins.rules


def test_the_version_covers_disables_and_their_reasons(base: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    versions = []
    for disable in ("", "disable:\n  - segment: billing\n    reason: not our flow\n",
                    "disable:\n  - segment: billing\n    reason: not our flow at all\n"):
        overlay(mine, f"extends: ../base\n{disable}")
        versions.append(Registry.load(mine).version)
    overlay(mine, "extends: ../base\n")
    assert Registry.load(mine).version == versions[0], "same files, same version"
    assert len(set(versions)) == 3
    assert Registry.load(base).version not in versions


def test_a_disable_undoes_a_shipped_false_positive(tmp_path: Path) -> None:
    """The case overlays exist for: a shipped rule that fires on this business's ordinary
    words. Overriding the rule by id with one more ``unless`` keeps it for real lockouts."""
    shipped = yaml.safe_load((default_registry_dir() / "30-rules-risk.yaml").read_text())
    rule = next(r for r in shipped["rules"] if r["id"] == "lockout.account_locked")
    rule["unless"] = [*rule["unless"], "(private|dining|function) room"]
    mine = overlay(tmp_path / "mine", yaml.safe_dump({"extends": "default", "rules": [rule]}))
    merged = Registry.load(mine)
    assert merged.origins.rules["lockout.account_locked"].change == "overridden"

    def fired(registry: Registry, text: str) -> list[str]:
        scan = RuleDetector(registry).scan(0, Message(role="user", content=text))
        return [f.rule_id for f in scan.findings]

    room = "we were locked out of the private room"
    assert "lockout.account_locked" in fired(Registry.default(), room)
    assert "lockout.account_locked" not in fired(merged, room)
    assert "lockout.account_locked" in fired(merged, "my account is locked")


# -- settings by key path -------------------------------------------------------------------


def test_settings_merge_by_key_path(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
settings:
  model: {min_confidence: 0.7}
  retrieval_scopes+: [menus, help_center]
  directives: [{id: keep_it_short, description: "Short answers."}]
""")
    merged = Registry.load(mine)
    assert merged.settings.model.min_confidence == 0.7
    assert merged.settings.model.handoff_threshold == 0.9, "a mapping merges key by key"
    assert merged.settings.retrieval_scopes == ["help_center", "billing_policy", "menus"]
    assert [d.id for d in merged.settings.directives] == ["keep_it_short"], "a list replaces"
    assert set(merged.origins.settings) == {
        "settings.model.min_confidence", "settings.retrieval_scopes", "settings.directives"}


def test_settings_problems_name_the_overlay_file(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
settings:
  model: {min_confidence: 7}
  need_state: [oops]
  retrieval_scopes+: menus
""")
    found = {(f, p) for f, p, _ in issues_of(mine)}
    assert found == {(shown(mine), "settings.model.min_confidence"),
                     (shown(mine), "settings.need_state"),
                     (shown(mine), "settings.retrieval_scopes+")}
    overlay(mine, "extends: ../base\nsettings:\n  need_states+: [reservations]\n")
    [(file, path, message)] = issues_of(mine)
    assert (file, path) == (shown(mine), "settings.need_states")
    assert "'reservations' is unreachable" in message


# -- chains ---------------------------------------------------------------------------------


def test_overlays_chain_and_cycles_are_errors(base: Path, tmp_path: Path) -> None:
    company = overlay(tmp_path / "company", """
extends: ../base
tools:
  - {name: book_table, description: "Book a table.", effects: [write]}
""")
    team = overlay(tmp_path / "team", """
extends: ../company
disable:
  - segment: billing
    reason: the team answers no billing questions
""")
    merged = Registry.load(team)
    assert "book_table" in merged.tools
    assert "billing" not in merged.segment_by_id
    assert [layer.extends for layer in merged.origins.layers] == [None, "../base", "../company"]
    assert merged.origins.tools["book_table"].layer == str(company)
    assert merged.origins.layers[1].version == Registry.load(company).version
    overlay(company, "extends: ../team\n")
    [(file, path, message)] = issues_of(team)
    assert (file, path) == (shown(company), "extends")
    assert "cycle" in message


def test_an_overlay_folder_declares_one_existing_parent(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", "extends: ../nowhere\n")
    [(file, path, message)] = issues_of(mine)
    assert (file, path) == (shown(mine), "extends")
    assert "not a folder" in message
    overlay(mine, "extends: ../base\n", name="01-more.yaml")
    overlay(mine, "extends: ../base\n")
    [(file, path, message)] = issues_of(mine)
    assert path == "extends"
    assert "exactly one file" in message


# -- what a merged registry carries ----------------------------------------------------------


def test_declared_tools_join_the_origins(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", "extends: ../base\n")
    merged = Registry.load(mine).with_tools(
        [ToolSpec(name="weather_at", description="Weather.", effects=["read"])])
    assert merged.origins.tools["weather_at"].change == "declared"
    assert merged.origins.tools["search_docs"].change == "base"


def test_validate_json_reports_layers_changes_and_disables(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
tools:
  - {name: book_table, description: "Book a table.", effects: [write]}
disable:
  - segment: billing
    reason: not our flow
""")
    assert main(["validate", "--format", "json", str(mine)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == Registry.load(mine).version
    assert report["counts"] == {"tools": 3, "rules": 2, "segments": 1}
    assert report["layers"][1]["counts"]["tools"]["added"] == 1
    assert report["layers"][1]["counts"]["segments"]["disabled"] == 1
    assert report["disabled"] == [{"kind": "segment", "id": "billing", "reason": "not our flow",
                                   "file": shown(mine), "path": "disable[0]"}]
    overlay(mine, "extends: ../base\ndisable:\n  - segment: billing\n")
    assert main(["validate", "--format", "json", str(mine)]) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["ok"] is False
    assert failed["issues"][0]["path"] == "disable[0].reason"


def test_a_guardrail_runs_on_an_overlay(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
disable:
  - segment: billing
    reason: refunds are confirmed by the payment page
""")
    asked = {"messages": [{"role": "user", "content": "can I get a refund on that charge"}]}
    before = Guardrail(base, need_model=None).check(asked)
    after = Guardrail(mine, need_model=None).check(asked)
    assert "billing" in [s.id for s in before.segments]
    assert "billing" not in [s.id for s in after.segments]
    assert after.policy_version == Registry.load(mine).version


def test_problems_in_overlay_items_name_the_overlay_file(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
rules:
  - id: need.tables
    code: need.tables
    kind: need
    need_state: tables
    explanation: The customer wants a table.
    patterns: ["book( a)? table"]
segments:
  - id: tables
    purpose: Book tables.
    tier: runtime
    entry: {description: A table., any: [{rule: need.tables}]}
    exit: {description: Done.}
    tools: {confirm: [book_table]}
    success_metrics: [tables booked]
    owner: mine
    last_reviewed: 2026-12-07
""")
    found = {(f, p) for f, p, _ in issues_of(mine)}
    assert found == {(shown(mine), "rules[0].need_state"),
                     (shown(mine), "segments[0].tools.confirm[0]")}


def test_schema_writes_the_overlay_file_schema(tmp_path: Path) -> None:
    target = tmp_path / "overlay.schema.json"
    assert main(["schema", "--overlay", "--output", str(target)]) == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert {"extends", "disable", "settings", "tools", "rules", "segments"} <= set(
        schema["properties"])
    assert "reason" in schema["$defs"]["Disable"]["required"]
