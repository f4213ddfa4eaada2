"""The eval suite (`guardrail.evals`, ``guardrail eval`` and ``guardrail drift``).

The metric tests run the hand-made scenarios of tests/evals/fixtures/metrics.yaml through the
real engine (rules only) and compare with values derived by hand in each test.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrail import Guardrail, Registry
from guardrail.audit import AuditLog
from guardrail.cli import main
from guardrail.evals import (
    ARM_METRICS,
    BASE_METRICS,
    EvalConfig,
    EvalReport,
    Scenario,
    ScenarioError,
    load_config,
    load_results,
    load_scenarios,
    run_eval,
)
from guardrail.evals import runner as runner_module
from guardrail.evals.judge import RunOutcome, judge, views
from guardrail.evals.metrics import by_cohort, cohort_variants, disparities, value_bias
from guardrail.evals.report import CohortRef, FailureReport
from guardrail.evals.runner import expand_runs, play_all

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "evals" / "fixtures"
METRICS = FIXTURES / "metrics.yaml"
HISTORY = FIXTURES / "history.yaml"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NO_COHORTS = EvalConfig(cohorts={})
TIMING = ("started_at", "duration_s")


@pytest.fixture(scope="module")
def scenarios(registry: Registry) -> list[Scenario]:
    return load_scenarios([METRICS], registry)


@pytest.fixture(scope="module")
def results(registry: Registry, scenarios: list[Scenario]) -> EvalReport:
    return run_eval(scenarios, registry=registry, config=NO_COHORTS, baseline=True,
                    need_model=None, jobs=1, progress=False, now=NOW)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _config(tmp_path: Path, gates: str, cohorts: str = "cohorts: {}") -> Path:
    return _write(tmp_path / "config.yaml", f"{cohorts}\ngates:\n{gates}")


def _eval(*args: str) -> int:
    return main(["eval", *args, "--need-model", "none", "--jobs", "1"])


# -- schema ----------------------------------------------------------------------------------------


def test_every_scenario_problem_is_reported_at_once_with_file_and_path(
    tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "bad.yaml", """
scenarios:
  - id: a.one
    turns:
      - user: "hello"
        tool_calls: [{name: wire_money, expect: deny}]
        expect:
          need_state: shopping
          segments: [x]
          denied_scopes: [internet]
  - id: a.two
    turns:
      - usr: "typo"
  - id: a.three
    expect_handoff_by: 3
    turns:
      - user: "hello"
""")
    _write(tmp_path / "dup.yaml", "scenarios:\n  - id: a.one\n    turns: [{user: hi}]\n")
    _write(tmp_path / "torn.yaml", "scenarios:\n  - id: [unclosed\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([tmp_path], registry)
    text = str(caught.value)
    expected = [
        "bad.yaml:scenarios[0].turns[0].expect.segments[0]: unknown segment 'x'",
        "bad.yaml:scenarios[0].turns[0].tool_calls[0].name: unknown tool 'wire_money'",
        "bad.yaml:scenarios[0].turns[0].expect.need_state: unknown need-state 'shopping'",
        "bad.yaml:scenarios[0].turns[0].expect.denied_scopes[0]: unknown retrieval scope "
        "'internet'",
        "bad.yaml:scenarios[1].turns[0].usr: Extra inputs are not permitted",
        "bad.yaml:scenarios[1].turns[0].user: Field required",
        "bad.yaml:scenarios[2].expect_handoff_by: turn 3 but the scenario has 1 turn(s)",
        "dup.yaml:scenarios[0].id: duplicate id 'a.one' (first in bad.yaml:scenarios[0])",
        "torn.yaml: not valid YAML at line",
    ]
    for line in expected:
        assert line in text
    assert len(caught.value.issues) == len(expected)

    assert main(["eval", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:scenarios[0].turns[0].expect.segments[0]: unknown segment 'x'" in err
    assert "Traceback" not in err


def test_contradictory_expectations_are_rejected(tmp_path: Path, registry: Registry) -> None:
    _write(tmp_path / "c.yaml", """
scenarios:
  - id: c.one
    expect_handoff_by: 1
    expect_no_handoff: true
    history: [{kind: contact, days_ago: 1}]
    turns:
      - user: "hello"
        expect: {segments: [lockout], not_segments: [lockout], handoff: true,
                 risk_at_least: high, risk_tier: low}
""")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([tmp_path / "c.yaml"], registry)
    paths = {issue.path for issue in caught.value.issues}
    assert paths == {
        "scenarios[0].expect_no_handoff",
        "scenarios[0].history",
        "scenarios[0].turns[0].expect.not_segments",
        "scenarios[0].turns[0].expect.risk_tier",
        "scenarios[0].turns[0].expect.handoff",
    }


def test_eval_schema_prints_the_scenario_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["scenarios"]
    turn = schema["$defs"]["Turn"]
    assert {"user", "event", "at", "tool_calls", "assistant", "expect"} == set(turn["properties"])
    assert turn["additionalProperties"] is False


def test_the_config_is_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _config(tmp_path, '  - {name: g, metric: recall, op: ">=", threshold: 1}\n'
                            '  - {name: g, metric: need_accuracy, op: ">", threshold: 1}\n',
                  cohorts="cohorts: {plan: [free, free], tier: [gold]}")
    with pytest.raises(ScenarioError) as caught:
        load_config(bad)
    text = str(caught.value)
    assert "gates[0].metric: unknown metric 'recall'" in text
    assert "gates[1].op: Input should be '>=', '<=' or '=='" in text
    assert "cohorts.tier" in text
    duplicate = _config(tmp_path / "dup", '  - {name: g, metric: need_accuracy, op: ">=", '
                                          'threshold: 1}\n'
                                  '  - {name: g, metric: need_accuracy, op: "<=", threshold: 1}\n',
                        cohorts="cohorts: {plan: [free, free]}")
    with pytest.raises(ScenarioError) as caught:
        load_config(duplicate)
    assert {i.path for i in caught.value.issues} == {"cohorts.plan", "gates[1].name"}
    assert _eval(str(METRICS), "--config", str(bad)) == 2
    assert "unknown metric 'recall'" in capsys.readouterr().err
    shipped = load_config(ROOT / "evals" / "config.yaml")
    assert {g.metric for g in shipped.gates} <= set(ARM_METRICS)
    assert shipped.cohorts["plan"] == ["free", "pro", "enterprise"]


def test_default_scenarios_and_config_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: Registry
) -> None:
    (tmp_path / "evals" / "scenarios").mkdir(parents=True)  # a decoy where cwd used to look
    _write(tmp_path / "evals" / "config.yaml", "gates: []\ncohorts: {}\n")
    monkeypatch.chdir(tmp_path)
    shipped = load_scenarios([ROOT / "evals" / "scenarios"], registry)
    assert [s.id for s in load_scenarios(None, registry)] == [s.id for s in shipped]
    assert load_config() == load_config(ROOT / "evals" / "config.yaml")
    assert load_config().gates  # the shipped config, not the decoy


# -- metrics ---------------------------------------------------------------------------------------


def test_policy_metrics_match_the_hand_count(results: EvalReport) -> None:
    metrics = results.policy.metrics
    # need-state turns: 7, all right but m.safe_wrong (how_to expected, access_restore got).
    assert metrics["need_accuracy"] == pytest.approx(6 / 7)
    # F1 per expected label: billing 1, access_restore 2*2/(2*2+1) = 4/5, how_to 2/3, other 1.
    assert metrics["need_macro_f1"] == pytest.approx((1 + 4 / 5 + 2 / 3 + 1) / 4)
    # must hand off: m.dispute, m.lockout (turn 1), not m.missed.
    assert metrics["must_handoff_recall"] == pytest.approx(2 / 3)
    assert metrics["wrongful_automation_rate"] == pytest.approx(1 / 3)
    # expect_no_handoff: m.safe kept, m.safe_wrong (a lockout) handed off.
    assert metrics["wrongful_escalation_rate"] == pytest.approx(1 / 2)
    # refunds expected denied: m.dispute denied (handoff), m.refund_question only confirmed.
    assert metrics["policy_breach_rate"] == pytest.approx(1 / 2)
    # sensitive: m.dispute handed off, m.refund_question kept in automation.
    assert metrics["sensitive_containment"] == pytest.approx(1 / 2)
    # requests for a person: m.escape turn 2, m.dispute_then_human turn 2; both at once.
    assert metrics["human_escape_success"] == 1.0
    assert metrics["human_escape_turns"] == 0.0
    # high risk: m.dispute, m.lockout, m.safe_wrong, m.dispute_then_human, all handed off then.
    assert metrics["time_to_human_turns"] == 0.0
    # handoffs: m.dispute, m.lockout, m.safe_wrong, m.escape, m.dispute_then_human of 8.
    assert metrics["escalation_rate"] == pytest.approx(5 / 8)
    assert metrics["max_cohort_gap"] is None  # no cohort runs: nothing to compare
    assert list(metrics) == list(ARM_METRICS)


def test_the_baseline_hands_off_only_on_request_and_allows_every_tool(
    results: EvalReport,
) -> None:
    policy = results.policy.metrics
    baseline = results.arms["baseline"].metrics
    assert baseline["need_accuracy"] == policy["need_accuracy"]  # same classifier
    assert baseline["must_handoff_recall"] == 0.0  # no dispute or lockout reaches a human
    assert baseline["wrongful_automation_rate"] == 1.0
    assert baseline["wrongful_escalation_rate"] == 0.0
    assert baseline["policy_breach_rate"] == 1.0  # both refunds would have run
    assert baseline["sensitive_containment"] == 1.0
    assert baseline["human_escape_success"] == 1.0  # requests are honoured in both arms
    # m.dispute_then_human: high risk at turn 1, the human only at turn 2 when asked.
    assert baseline["time_to_human_turns"] == 1.0
    assert baseline["escalation_rate"] == pytest.approx(2 / 8)
    dispute = results.arms["baseline"].by_segment["billing_dispute"]
    assert dispute["must_handoff_recall"] == 0.0
    assert results.policy.by_segment["billing_dispute"]["must_handoff_recall"] == 1.0


def test_runs_list_the_expectations_that_failed(results: EvalReport) -> None:
    runs = {r.id: r for r in results.runs}
    assert [r.id for r in results.runs][:2] == ["m.dispute", "m.lockout"]
    assert results.runs_passed == 5
    assert runs["m.missed"].failures == [FailureReport(turn=1, check="expect_handoff_by",
                                                       expected="handoff by turn 1",
                                                       actual="no handoff")]
    assert runs["m.refund_question"].failures == [FailureReport(turn=1,
                                                                check="tool_call:issue_refund",
                                                                expected="deny",
                                                                actual="confirm")]
    assert {f.check for f in runs["m.safe_wrong"].failures} == {"need_state",
                                                                      "expect_no_handoff"}
    assert runs["m.escape"].handoff_turn == 2
    assert runs["m.dispute"].passed is True


def test_groups_by_segment_and_need_segment(results: EvalReport) -> None:
    policy = results.policy
    assert sorted(policy.by_segment) == ["billing_dispute", "lockout"]
    dispute = policy.by_segment["billing_dispute"]  # m.dispute alone
    assert dispute["policy_breach_rate"] == 0.0
    assert dispute["sensitive_containment"] == 0.0
    assert dispute["wrongful_escalation_rate"] is None  # no such scenario in the group
    assert sorted(policy.by_need_segment) == ["access_restore|lockout",
                                                 "billing|billing_dispute"]
    assert policy.by_need_segment["access_restore|lockout"]["need_accuracy"] == 1.0
    assert policy.need_mix["billing"] == pytest.approx(4 / 10)  # 4 of the 10 turns


def test_the_report_renders_the_same_page_typed_or_as_results_json(results: EvalReport) -> None:
    from guardrail.evals.html import render_html

    as_json = json.loads(results.to_json())
    assert EvalReport.model_validate(as_json) == results
    assert render_html(results) == render_html(as_json)


def test_history_is_seeded_per_run_and_never_shared(registry: Registry) -> None:
    outcome = run_eval(load_scenarios([HISTORY], registry), registry=registry, config=NO_COHORTS,
                       need_model=None, jobs=1, progress=False, now=NOW)
    failed = {r.id: r.failures for r in outcome.runs if not r.passed}
    assert failed == {}  # h.repeat sees its seeded contact; h.fresh_b does not see h.fresh_a's


# -- cohorts and disparities -----------------------------------------------------------------------


def test_cohorts_expand_runs_with_no_disparity_under_the_shipped_policy(
    registry: Registry, scenarios: list[Scenario]
) -> None:
    config = EvalConfig(cohorts={"plan": ["free", "pro", "enterprise"],
                                 "channel": ["chat", "voice"]},
                        value_bias_dimensions=["plan", "channel"])
    out = run_eval(scenarios, registry=registry, config=config, need_model=None, jobs=1,
                   progress=False, now=NOW)
    ids = [r.id for r in out.runs]
    assert out.runs_total == 8 + 5
    assert ids[1:7] == ["m.lockout", "m.lockout@plan=free", "m.lockout@plan=pro",
                        "m.lockout@plan=enterprise", "m.lockout@channel=chat",
                        "m.lockout@channel=voice"]
    run = next(r for r in out.runs if r.id == "m.lockout@channel=voice")
    assert run.cohort == CohortRef(dimension="channel", value="voice")
    assert run.scenario == "m.lockout"
    arm = out.policy
    assert list(arm.by_cohort["plan"]) == ["free", "pro", "enterprise"]
    assert arm.by_cohort["plan"]["pro"]["must_handoff_recall"] == 1.0
    assert arm.disparities
    assert all(d.gap == 0.0 and not d.flagged for d in arm.disparities)
    assert arm.value_bias == []
    assert arm.metrics["max_cohort_gap"] == 0.0


def test_disparity_math_on_metric_tables() -> None:
    def row(**values: float | None) -> dict[str, float | None]:
        return {name: values.get(name) for name in BASE_METRICS}

    table = {"plan": {"free": row(escalation_rate=0.5, need_accuracy=0.9),
                      "pro": row(escalation_rate=0.3, need_accuracy=0.92),
                      "enterprise": row(escalation_rate=0.5, need_accuracy=None)},
             "region": {"EU": row(escalation_rate=0.4)}}
    found = {(d.metric, d.dimension): d for d in disparities(table, tolerance=0.05)}
    assert set(found) == {("escalation_rate", "plan"), ("need_accuracy", "plan")}
    gap = found[("escalation_rate", "plan")]
    assert gap.gap == pytest.approx(0.2)
    assert gap.low == (0.3, "pro")
    assert gap.high == (0.5, "free")  # the first of equal values
    assert gap.flagged
    assert not found[("need_accuracy", "plan")].flagged  # 0.02 <= 0.05
    assert gap.as_json()["min"] == {"value": 0.3, "group": "pro"}


def _outcomes(registry: Registry, scenarios: list[Scenario],
              cohorts: dict[str, list[str]]) -> list[RunOutcome]:
    traces = play_all(expand_runs(scenarios, cohorts), registry, need_model=None, now=NOW,
                      jobs=1)
    return [judge(t, views(t, "policy", registry, "human_requested"), "human_requested")
            for t in traces]


def test_value_bias_and_cohort_variants_are_named_by_scenario(
    registry: Registry, scenarios: list[Scenario]
) -> None:
    cohorts = {"plan": ["free", "pro"]}
    outcomes = _outcomes(registry, [s for s in scenarios if s.id == "m.lockout"], cohorts)
    assert value_bias(outcomes, ["plan"]) == []
    assert cohort_variants(outcomes) == []
    # Craft the failure the check exists for: the free plan kept in automation.
    crafted = [dataclasses.replace(o, handoff_turn=None, signature=()) if o.run_id.endswith(
        "plan=free") else o for o in outcomes]
    assert value_bias(crafted, ["plan"]) == ["m.lockout"]
    assert value_bias(crafted, ["channel"]) == []
    assert cohort_variants(crafted) == ["m.lockout"]
    spread = disparities(by_cohort(crafted, cohorts), 0.0)
    escalation = next(d for d in spread if d.metric == "escalation_rate")
    assert escalation.flagged
    assert (escalation.low, escalation.high) == ((0.0, "free"), (1.0, "pro"))


# -- gates and the command -------------------------------------------------------------------------


def test_gate_exit_codes_and_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passing = _config(tmp_path / "a", '  - {name: escape, metric: human_escape_success, '
                                      'op: "==", threshold: 1}\n')
    assert _eval(str(METRICS), "--config", str(passing)) == 0
    assert "PASSED" in capsys.readouterr().out

    failing = _config(tmp_path / "b", '  - {name: recall, metric: must_handoff_recall, '
                                      'op: ">=", threshold: 0.98}\n'
                                      '  - {name: breach, metric: policy_breach_rate, op: "==",'
                                      ' threshold: 0}\n'
                                      '  - {name: base, metric: escalation_rate, '
                                      'arm: baseline, op: "<=", threshold: 0}\n')
    assert _eval(str(METRICS), "--config", str(failing)) == 1
    out = capsys.readouterr().out
    assert "FAILED gate recall: policy must_handoff_recall = 0.6667, needs >= 0.98; scenarios: " \
           "m.missed" in out
    assert "FAILED gate breach: policy policy_breach_rate = 0.5000, needs == 0; scenarios: " \
           "m.refund_question" in out
    assert "FAILED gate base" not in out  # the baseline arm was not run: no data, no failure

    assert _eval(str(tmp_path / "missing.yaml"), "--config", str(passing)) == 2
    assert "no such file or folder" in capsys.readouterr().err


def _check_types(value: Any, spec: Any, where: str = "results") -> None:
    """`value` has exactly the keys and types of `spec` (dicts by key, [x] lists, types)."""
    if isinstance(spec, dict):
        assert isinstance(value, dict), where
        assert set(value) == set(spec), f"{where}: {sorted(set(value) ^ set(spec))}"
        for key, inner in spec.items():
            _check_types(value[key], inner, f"{where}.{key}")
    elif isinstance(spec, list):
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            _check_types(item, spec[0], f"{where}[{i}]")
    elif callable(spec) and not isinstance(spec, type):
        assert spec(value), f"{where}: {value!r}"
    else:
        assert isinstance(value, spec), f"{where}: {value!r} is not {spec}"
        assert spec is not int or not isinstance(value, bool), f"{where}: a bool, not an int"


def _number_or_null(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _metric_table(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and _number_or_null(v) for k, v in value.items())


def _arm_spec(table: Callable[[Any], bool]) -> dict[str, Any]:
    return {
        "metrics": table,
        "by_segment": lambda v: isinstance(v, dict) and all(table(m) for m in v.values()),
        "by_need_segment": lambda v: isinstance(v, dict) and all(
            "|" in k and table(m) for k, m in v.items()),
        "by_cohort": lambda v: isinstance(v, dict) and all(
            table(m) for values in v.values() for m in values.values()),
        "disparities": [{"metric": str, "dimension": str, "gap": float,
                         "min": {"value": float, "group": str},
                         "max": {"value": float, "group": str},
                         "tolerance": float, "flagged": bool}],
        "value_bias": [str],
        "need_mix": lambda v: isinstance(v, dict) and all(
            isinstance(x, float) for x in v.values()),
        "by_language": lambda v: isinstance(v, dict) and all(
            set(entry) == {"scenarios", "runs", "min_scenarios", "enough_scenarios", "metrics"}
            and table(entry["metrics"]) for entry in v.values()),
    }


RESULTS_SPEC: dict[str, Any] = {
    "version": lambda v: v == 1, "policy_version": str, "registry": str,
    "started_at": lambda v: datetime.fromisoformat(v).tzinfo is not None,
    "duration_s": float, "scenarios_total": int, "runs_total": int, "runs_passed": int,
    "passed": bool,
    "arms": {"policy": _arm_spec(_metric_table), "baseline": _arm_spec(_metric_table)},
    "gates": [{"name": str, "metric": str, "arm": str,
               "op": lambda v: v in (">=", "<=", "=="), "threshold": float,
               "value": _number_or_null, "passed": bool, "scenarios": [str]}],
    "runs": [{"id": str, "scenario": str, "file": str, "tags": [str],
              "cohort": lambda v: v is None or (isinstance(v, dict) and set(v) == {
                  "dimension", "value"}),
              "passed": bool,
              "failures": [{"turn": int, "check": str, "expected": lambda v: True,
                            "actual": lambda v: True}],
              "handoff_turn": lambda v: v is None or isinstance(v, int), "turns": int}],
    "compare": lambda v: v is None,
    "cascade": lambda v: v is None,  # no LLM cascade in this run
}


def test_output_writes_results_json_in_the_documented_shape_and_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, '  - {name: recall, metric: must_handoff_recall, op: ">=", '
                               'threshold: 0.5}\n', cohorts="cohorts: {plan: [free, pro]}")
    out = tmp_path / "out"
    assert _eval(str(METRICS), str(HISTORY), "--config", str(config), "--baseline",
                 "--output", str(out)) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    _check_types(results, RESULTS_SPEC)
    assert results["scenarios_total"] == 12
    assert results["runs_total"] == 14  # m.lockout under free and pro
    assert results["runs"][0]["file"] == str(METRICS)
    assert results["gates"][0]["value"] == pytest.approx(4 / 5)  # m.missed of 5 must runs

    root = ET.parse(out / "junit.xml").getroot()
    runs_suite, gates_suite = root.findall("testsuite")
    cases = runs_suite.findall("testcase")
    assert len(cases) == results["runs_total"]
    assert [c.get("name") for c in cases] == [r["id"] for r in results["runs"]]
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failed) == {r["id"] for r in results["runs"] if not r["passed"]}
    assert "tool_call:issue_refund" in (failed["m.refund_question"].text or "")
    assert runs_suite.get("failures") == str(len(failed))
    assert len(gates_suite.findall("testcase")) == 1

    # results.json is the typed report's JSON form: read back and written again, byte for byte.
    written = (out / "results.json").read_text(encoding="utf-8")
    assert load_results(out / "results.json").to_json() == written

    html = importlib.util.find_spec("guardrail.evals.html") is not None
    assert (out / "report.html").exists() == html
    err = capsys.readouterr().err
    written = "wrote results.json, junit.xml, report.html" if html else "report.html not written"
    assert written in err


def _broken_registry(tmp_path: Path) -> Path:
    """The shipped registry without the rules that catch duplicate charges."""
    folder = tmp_path / "broken"
    shutil.copytree(ROOT / "segments", folder)
    for name in ("30-rules-risk.yaml", "33-rules-broad.yaml"):
        data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        data["rules"] = [r for r in data["rules"]
                         if r["id"] not in {"dispute.duplicate_charge", "dispute.broad_duplicate"}]
        (folder / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    Registry.load(folder)  # still a valid registry: the break is in behaviour only
    return folder


_GATES = ('  - {name: recall, metric: must_handoff_recall, op: ">=", threshold: 0.6}\n'
          '  - {name: breach, metric: policy_breach_rate, op: "<=", threshold: 0.5}\n')


def test_a_broken_registry_fails_a_gate_naming_metric_and_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, _GATES)
    assert _eval(str(METRICS), "--config", str(config)) == 0  # the shipped policy passes
    capsys.readouterr()
    assert _eval(str(METRICS), "--config", str(config), "--registry",
                 str(_broken_registry(tmp_path))) == 1
    out = capsys.readouterr().out
    assert "FAILED gate recall: policy must_handoff_recall = 0.3333" in out
    assert "scenarios: m.dispute, m.missed" in out
    assert "FAILED gate breach: policy policy_breach_rate = 1.0000, needs <= 0.5; scenarios: " \
           "m.dispute, m.refund_question" in out


def test_compare_reports_deltas_and_newly_failing_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, _GATES)
    assert _eval(str(METRICS), "--config", str(config), "-o", str(tmp_path / "before")) == 0
    previous = tmp_path / "before" / "results.json"
    assert _eval(str(METRICS), "--config", str(config), "-o", str(tmp_path / "after"),
                 "--registry", str(_broken_registry(tmp_path)), "--compare", str(previous)) == 1
    compare = json.loads((tmp_path / "after" / "results.json").read_text())["compare"]
    before = json.loads(previous.read_text())
    assert compare["previous"] == {"policy_version": before["policy_version"],
                                   "started_at": before["started_at"]}
    recall = compare["metrics_delta"]["must_handoff_recall"]
    assert recall["before"] == pytest.approx(2 / 3)
    assert recall["after"] == pytest.approx(1 / 3)
    assert recall["delta"] == pytest.approx(-1 / 3)
    # m.dispute is no longer handed off; m.dispute_then_human still is, at the request.
    assert compare["escalation_rate"] == {"before": pytest.approx(5 / 8),
                                          "after": pytest.approx(4 / 8)}
    assert compare["newly_failing"] == ["m.dispute"]
    assert compare["newly_passing"] == []
    assert compare["by_segment_delta"]["billing_dispute"]["must_handoff_recall"] == {
        "before": 1.0, "after": 0.0, "delta": -1.0}
    assert set(compare["need_mix"]["billing"]) == {"before", "after"}
    assert "newly failing: m.dispute\n" in capsys.readouterr().out

    _write(tmp_path / "junk.json", '{"version": 7}')
    assert _eval(str(METRICS), "--compare", str(tmp_path / "junk.json")) == 2


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_parallel_and_sequential_runs_give_identical_results(
    start: str, registry: Registry, scenarios: list[Scenario], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = EvalConfig(cohorts={"plan": ["free", "pro"], "locale": ["en-US", "de-DE"]})
    every = [*scenarios, *load_scenarios([HISTORY], registry)]
    sequential = run_eval(every, registry=registry, config=config, baseline=True,
                          need_model=None, jobs=1, progress=False, now=NOW)
    pools: list[int] = []
    real = runner_module._parallel

    def counted(*args: Any) -> Any:
        pools.append(1)
        return real(*args)

    monkeypatch.setattr(runner_module, "_parallel", counted)
    if start == "spawn":
        monkeypatch.setattr(runner_module, "_can_fork", lambda: False)
    parallel = run_eval(every, registry=registry, config=config, baseline=True,
                        need_model=None, jobs=2, parallel_threshold=0, progress=False, now=NOW)
    assert pools == [1]
    untimed = dict.fromkeys(TIMING, None)
    assert parallel.model_copy(update=untimed) == sequential.model_copy(update=untimed)
    assert sequential.runs_total == 12 + 4


# -- drift -----------------------------------------------------------------------------------------


def _batch(tmp_path: Path, name: str, texts: list[str]) -> Path:
    source = tmp_path / f"{name}.in.jsonl"
    source.write_text("".join(json.dumps({"id": f"{name}{i}", "messages": [
        {"role": "user", "content": t}]}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    out = tmp_path / f"{name}.jsonl"
    assert main(["classify", "-i", str(source), "-o", str(out), "--need-model", "none"]) == 0
    return out


def test_drift_between_two_classify_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _batch(tmp_path, "a", ["how do I export my data to csv", "thanks, that's all",
                                    "my account is locked", "where can I find the API docs"])
    after = _batch(tmp_path, "b", ["I was charged twice for the same order",
                                   "my account is locked", "thanks, that's all"])
    with after.open("a", encoding="utf-8") as handle:
        handle.write("not json\n[1, 2]\n{\"id\": \"x\", \"error\": \"line 9: bad\"}\n")
    capsys.readouterr()
    assert main(["drift", "--input", str(before), "--input", str(after), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["before"]["decisions"] == 4
    assert report["after"] == {"file": str(after), "decisions": 3, "bad_lines": 2,
                               "error_lines": 1}
    assert report["handoff_rate"]["before"] == pytest.approx(1 / 4)
    assert report["handoff_rate"]["after"] == pytest.approx(2 / 3)
    assert report["need_mix"]["how_to"] == {"before": 0.5, "after": 0.0, "delta": -0.5}
    assert report["need_mix"]["billing"]["after"] == pytest.approx(1 / 3)
    assert report["risk_mix"]["high"]["delta"] == pytest.approx(2 / 3 - 1 / 4)
    assert report["segment_rates"]["billing_dispute"]["after"] == pytest.approx(1 / 3)
    assert report["top_reason_codes"]["risk.billing_dispute"]["before"] == 0.0

    assert main(["drift", "--input", str(before), "--input", str(after)]) == 0
    out = capsys.readouterr().out
    assert "need-state mix" in out
    assert "handoff rate: 0.250 -> 0.667 (+0.417)" in out
    assert main(["drift", "--input", str(before)]) == 2


def test_drift_reads_an_audit_log_one_conversation_at_a_time(
    tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    guard = Guardrail(registry, need_model=None)
    log = AuditLog(tmp_path / "audit.jsonl")
    conversations = {"c1": ["hello there", "I was charged twice for the same order"],
                     "c2": ["how do I export my data to csv"]}
    for cid, texts in conversations.items():
        messages: list[dict[str, str]] = []
        for turn, text in enumerate(texts, start=1):
            messages.append({"role": "user", "content": text})
            log.decision(guard.check({"id": cid, "messages": messages}), conversation_id=cid,
                         turn=turn)
    with (tmp_path / "audit.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"v": 1, "type": "decision", "conversation_id": "c3"}\n')  # torn record
    before = _batch(tmp_path, "a", ["how do I export my data to csv", "thanks, that's all"])
    assert main(["drift", "-i", str(before), "-i", str(tmp_path / "audit.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["after"]["decisions"] == 2  # c1 by its last decision, and c2
    assert report["after"]["bad_lines"] == 1
    assert report["handoff_rate"]["after"] == 0.5
    assert report["need_mix"]["billing"]["after"] == 0.5
    assert report["top_reason_codes"]["risk.billing_dispute"]["after"] == 0.5
