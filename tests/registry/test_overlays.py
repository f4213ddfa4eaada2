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
  - {name: issue_refund, description: "Refund, and log it.", effects: [money, write],
     customer_args: [customer_id]}
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
    assert merged.tools["issue_refund"].effects == ["money", "write"]
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


def test_a_tool_override_may_not_drop_effects_or_bindings(base: Path, tmp_path: Path) -> None:
    # A refund overridden as a read would pass every rule that denies money; one without its
    # customer_args would refund whichever customer the model names.
    mine = overlay(tmp_path / "mine", """
extends: ../base
tools:
  - {name: search_docs, description: "Search the help centre.", effects: [read]}
  - {name: issue_refund, description: "Refund, read-only here.", effects: [read]}
""")
    [(file, path, message)] = issues_of(mine)
    assert (file, path) == (shown(mine), "tools[1]")
    assert "effect 'money'" in message
    assert "customer_args 'customer_id'" in message


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


REFUND_STATUS = """
rules:
  - id: topic.refund_status
    code: topic.refund_status
    kind: topic
    explanation: The customer asks where a refund is.
    patterns: ["where is my refund"]
segments:
  - id: refund_status
    purpose: Say where a refund is.
    tier: runtime
    entry: {description: A refund asked after., any: [{rule: topic.refund_status}]}
    exit: {description: The need changes.}
    success_metrics: [refunds traced]
    owner: tests
    last_reviewed: 2026-12-01
"""


def test_a_disabled_rule_is_gone_and_what_still_names_it_is_reported(
    base: Path, tmp_path: Path
) -> None:
    company = overlay(tmp_path / "company", f"extends: ../base\n{REFUND_STATUS}")
    mine = overlay(tmp_path / "mine", """
extends: ../company
disable:
  - rule: topic.refund_status
    reason: refunds are traced by the payment provider
""")
    found = issues_of(mine)
    assert len(found) == 1
    file, path, message = found[0]
    assert (file, path) == (shown(company), "segments[0].entry.any[0].rule")
    assert "unreachable" in message
    assert f"{shown(mine)}:disable[0]" in message
    overlay(mine, """
extends: ../company
disable:
  - rule: topic.refund_status
    reason: refunds are traced by the payment provider
  - segment: refund_status
    reason: no refund rule left to enter it
""")
    merged = Registry.load(mine)
    assert [r.spec.id for r in merged.rules] == ["need.billing", "risk.dispute"]
    assert [s.id for s in merged.segments] == ["billing", "billing_dispute"]
    assert [(d.kind, d.id, d.path) for d in merged.origins.disabled] == [
        ("rule", "topic.refund_status", "disable[0]"), ("segment", "refund_status", "disable[1]")]
    assert "topic.refund_status" not in merged.origins.rules


# -- the safety floor: what forces a person stays --------------------------------------------

# The shipped segments that force a person (escalation.hard) or fail closed.
FLOOR = ["failsafe", "human_requested", "safety", "fraud_takeover", "billing_dispute",
         "lockout", "legal_threat", "model_risk", "access_restore"]


def test_the_shipped_floor_is_what_forces_a_person() -> None:
    shipped = Registry.default()
    assert [s.id for s in shipped.segments if s.escalation.hard or s.tier == "failsafe"] == FLOOR


def test_a_segment_that_forces_a_person_cannot_be_disabled(tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", yaml.safe_dump({"extends": "default", "disable": [
        {"segment": seg, "reason": "we handle this ourselves"} for seg in FLOOR]}))
    found = issues_of(mine)
    assert [(f, p) for f, p, _ in found] == [
        (shown(mine), f"disable[{j}].segment") for j in range(len(FLOOR))]
    assert all("cannot be disabled" in message for _, _, message in found)
    # Nothing else in the shipped registry is refused: a segment that only offers a person
    # (friction, context) may still be turned off, with its reason.
    overlay(mine, yaml.safe_dump({"extends": "default", "disable": [
        {"segment": "renewal_window", "reason": "we sell no subscriptions"},
        {"segment": "reopen_prone", "reason": "tickets never reopen here"}]}))
    assert [d.id for d in Registry.load(mine).origins.disabled] == ["renewal_window",
                                                                    "reopen_prone"]


def test_a_rule_that_puts_customers_into_the_floor_cannot_be_disabled(
    base: Path, tmp_path: Path
) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
disable:
  - rule: risk.dispute
    reason: disputes are handled by the payment provider
""")
    [(file, path, message)] = issues_of(mine)
    assert (file, path) == (shown(mine), "disable[0].rule")
    assert "'billing_dispute'" in message
    assert "unless" in message  # the way to stop a false positive
    shipped = Registry.default()
    spanish = next(r.spec.id for r in shipped.rules
                   if r.spec.lang == "es" and r.spec.code == "risk.account_takeover.es")
    overlay(mine, yaml.safe_dump({"extends": "default", "disable": [
        {"rule": spanish, "reason": "no Spanish takeover here"}]}))
    [(_, path, message)] = issues_of(mine)
    assert path == "disable[0].rule"
    assert "'fraud_takeover'" in message


def test_an_override_of_a_floor_rule_may_add_not_drop(base: Path, tmp_path: Path) -> None:
    # Adding a pattern and an `unless` is how a false positive is fixed (see above); dropping
    # the patterns, lowering the risk or re-aiming the code empties the forced handoff.
    mine = overlay(tmp_path / "mine", """
extends: ../base
rules:
  - id: risk.dispute
    code: risk.billing_dispute
    kind: risk
    risk: high
    need_state: billing
    explanation: The customer disputes a charge.
    patterns: ["charged twice", "double charge"]
    unless: ["charged twice for shipping"]
""")
    assert Registry.load(mine).origins.rules["risk.dispute"].change == "overridden"
    overlay(mine, """
extends: ../base
rules:
  - id: risk.dispute
    code: risk.billing_other
    kind: risk
    risk: low
    explanation: The customer disputes a charge.
    patterns: ["zzz never typed"]
""")
    found = issues_of(mine)
    assert {p for f, p, _ in found if f == shown(mine)} >= {
        "rules[0].code", "rules[0].risk", "rules[0].patterns"}
    assert all("'billing_dispute'" in m for f, _, m in found if f == shown(mine))


def test_settings_may_narrow_not_loosen_the_tool_policy(base: Path, tmp_path: Path) -> None:
    mine = overlay(tmp_path / "mine", """
extends: ../base
settings:
  baseline_tools: {confirm_effects: [money, write]}
""")
    assert Registry.load(mine).settings.baseline_tools.confirm_effects == ["money", "write"]
    overlay(mine, """
extends: ../base
settings:
  baseline_tools: {confirm_effects: []}
""")
    [(file, path, message)] = issues_of(mine)
    assert (file, path) == (shown(mine), "settings.baseline_tools.confirm_effects")
    assert "'money'" in message
    shipped = overlay(tmp_path / "shipped", """
extends: default
settings:
  risk_tools: {critical: {deny_effects: [irreversible]}}
""")
    found = issues_of(shipped)
    assert {(f, p) for f, p, _ in found} == {
        (shown(shipped), "settings.risk_tools.critical.deny_effects")}
    assert len(found) == 2  # write and money


def _shipped_segment(seg_id: str) -> dict[str, Any]:
    shipped = yaml.safe_load((default_registry_dir() / "41-segments-risk.yaml").read_text())
    found: dict[str, Any] = next(s for s in shipped["segments"] if s["id"] == seg_id)
    return found


def test_an_override_may_not_loosen_the_floor(tmp_path: Path) -> None:
    dispute = _shipped_segment("billing_dispute")
    dispute["escalation"] = {"mode": "after_collect", "soft": [{"always": True}]}  # as shipped
    dispute["exit"] = {"description": "The customer says it is sorted.",
                       "any": [{"rule": "exit.human_withdrawn"}]}
    dispute["tools"] = {"allowed": [*dispute["tools"]["allowed"], "issue_refund"],
                        "denied": ["change_plan", "cancel_subscription", "apply_credit"]}
    dispute["risk"] = "medium"
    takeover = _shipped_segment("fraud_takeover")
    takeover["entry"]["all"] = [{"signal": "user_turns", "op": "ge", "value": 3}]
    takeover["escalation"]["mode"] = "after_collect"
    mine = overlay(tmp_path / "mine", yaml.safe_dump(
        {"extends": "default", "segments": [dispute, takeover]}))
    found = issues_of(mine)
    assert {(f, p) for f, p, _ in found} == {
        (shown(mine), "segments[0].escalation.hard"),
        (shown(mine), "segments[0].exit"),
        (shown(mine), "segments[0].exit.any"),
        (shown(mine), "segments[0].tools.allowed"),
        (shown(mine), "segments[0].tools.denied"),
        (shown(mine), "segments[0].risk"),
        (shown(mine), "segments[1].entry.all"),
        (shown(mine), "segments[1].escalation.mode"),
    }
    assert all("safety floor" in message for _, _, message in found)
    with pytest.raises(RegistryError):
        Guardrail(mine, need_model=None)  # an overlay that loosens the floor never runs


def test_an_override_may_route_and_tighten_the_floor(tmp_path: Path) -> None:
    dispute = _shipped_segment("billing_dispute")
    dispute["routing"] = {"queue": "payments_team", "priority": "urgent"}
    dispute["tools"]["denied"] = [*dispute["tools"]["denied"], "create_ticket"]
    dispute["tools"]["allowed"].remove("create_ticket")
    mine = overlay(tmp_path / "mine", yaml.safe_dump(
        {"extends": "default", "segments": [dispute]}))
    merged = Registry.load(mine)
    assert merged.origins.segments["billing_dispute"].change == "overridden"
    decision = Guardrail(merged, need_model=None).check(
        {"messages": [{"role": "user", "content": "you charged me twice for one order"}]})
    assert decision.handoff.required
    assert decision.handoff.queue == "payments_team"
    assert decision.verdict("create_ticket").verdict == "deny"


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


def test_a_symlinked_cycle_an_unusable_path_and_a_deep_chain_are_problems(
    base: Path, tmp_path: Path
) -> None:
    mine = overlay(tmp_path / "mine", "extends: ../alias\n")
    (tmp_path / "alias").symlink_to(mine, target_is_directory=True)
    [(_, path, message)] = issues_of(mine)
    assert (path, "cycle" in message) == ("extends", True)
    for bad in ("../x\0y", "x" * 5000):  # a NUL, a name too long: a problem, not a crash
        overlay(mine, yaml.safe_dump({"extends": bad}))
        [(file, path, message)] = issues_of(mine)
        assert (file, path) == (shown(mine), "extends")
        assert "not a usable path" in message
    below = "base"
    for n in range(20):
        overlay(tmp_path / f"layer{n}", f"extends: ../{below}\n")
        below = f"layer{n}"
    found = issues_of(tmp_path / below)
    assert len(found) == 1
    assert "layers extend each other" in found[0][2]
    assert Registry.load(tmp_path / "layer10").origins.layers[0].source == str(base)


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
