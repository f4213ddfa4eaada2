"""Exit events in eval scenarios (DESIGN principle 9).

A takeover, fraud or dispute segment outlives the customer's own retraction and ends only on an
explicit event from the application or an agent. A scenario turn may carry that event
(``event: {verify: <segment>, by, who, why}`` or ``resolve:``); the runner applies it through
`Guardrail.verify` / `Guardrail.resolve` before the turn is checked, and ``expect: reasons:``
names the reason codes the decision must carry. The scenarios run through the real engine
(rules only) on the shipped registry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrail import Guardrail, Registry
from guardrail.cli import main
from guardrail.evals import EvalConfig, ScenarioError, load_scenarios, run_eval
from guardrail.evals.runner import expand_runs, play

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "exit_events.yaml"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PLANS = EvalConfig(cohorts={"plan": ["free", "enterprise"]})

_TWO_TURNS = """
scenarios:
  - id: {id}
    context: {{customer_id: cus_ev9}}
    turns:
      - user: "I can't find my credit card, I think I lost it at the supermarket."
      - user: "Thanks."
        event: {event}
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_class2_a_scenario_with_an_event_step_ends_the_segment_and_passes(
    registry: Registry,
) -> None:
    scenarios = load_scenarios([FIXTURE], registry)
    events = [(s.id, t) for s in scenarios for t, turn in enumerate(s.turns) if turn.event]
    assert {sid for sid, _ in events} == {s.id for s in scenarios}  # every one has an event

    report = run_eval(scenarios, registry=registry, config=PLANS, need_model=None, jobs=1,
                      progress=False, now=NOW)
    assert len(report.runs) == 4  # the takeover scenario also runs under two plans
    assert {r.scenario for r in report.runs} == {s.id for s in scenarios}
    assert [r.failures for r in report.runs if not r.passed] == []
    assert report.passed


def test_class2_without_the_event_the_retraction_leaves_the_segment_and_handoff(
    registry: Registry,
) -> None:
    # The same scenarios with the event step taken out: the customer's words alone do not end
    # the segment, so the event turn's expectations (segment gone, no handoff, exit reason) fail.
    stripped = [
        s.model_copy(update={"turns": [t.model_copy(update={"event": None}) for t in s.turns]})
        for s in load_scenarios([FIXTURE], registry)
    ]
    report = run_eval(stripped, registry=registry, config=EvalConfig(cohorts={}),
                      need_model=None, jobs=1, progress=False, now=NOW)
    for run in report.runs:
        scenario = next(s for s in stripped if s.id == run.scenario)
        last = len(scenario.turns)
        checks = {f.check for f in run.failures if f.turn == last}
        assert {"not_segments", "handoff", "reasons"} <= checks, run.failures
        assert all(f.turn == last for f in run.failures), run.failures  # turns 1-2 still hold


def test_class2_a_run_played_again_on_the_same_engine_starts_afresh(registry: Registry) -> None:
    # The engine keeps a conversation's critical risks (and the messages an event retired) past
    # forget_conversation; a replay under the same conversation id would inherit them, so the
    # takeover reported in the replay's first message would not even enter.
    guard = Guardrail(registry, need_model=None)
    [spec] = expand_runs(load_scenarios([FIXTURE], registry)[:1], {})
    first = play(guard, spec, NOW)
    again = play(guard, spec, NOW)
    assert again == first
    assert "fraud_takeover" in again.turns[0].segments
    assert again.turns[0].handoff


def test_class2_an_event_naming_an_unknown_segment_is_a_clear_error(
    tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "bad.yaml", _TWO_TURNS.format(
        id="ev.bad.unknown", event="{verify: card_fraud, by: agent, who: a-1, why: checked}"))
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([path], registry)
    [issue] = caught.value.issues
    assert issue.path == "scenarios[0].turns[1].event.verify"
    assert "unknown segment 'card_fraud'" in issue.message
    assert "'ev.bad.unknown'" in issue.message  # the scenario is named

    assert main(["eval", str(path), "--need-model", "none", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:scenarios[0].turns[1].event.verify: unknown segment 'card_fraud'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("event", "path", "words"), [
    # safety is ended by an agent only; the application may not
    ("{verify: safety, by: application, who: app, why: ok}", "event.by",
     "is ended by agent, not by 'application'"),
    # how_to is no critical segment: it ends by its exit criteria, never by an event
    ("{resolve: how_to, by: agent, who: a-1, why: ok}", "event.by", "no event"),
    ("{verify: fraud_takeover, resolve: fraud_takeover, by: agent, who: a-1, why: ok}",
     "event", "exactly one of verify"),
    ("{by: agent, who: a-1, why: ok}", "event", "exactly one of verify"),
    ("{verify: fraud_takeover, by: customer, who: me, why: it was me}", "event.by", "agent"),
    ("{verify: fraud_takeover, by: agent, who: a-1}", "event.why", "Field required"),
])
def test_class2_an_event_the_engine_would_refuse_is_rejected_at_load(
    tmp_path: Path, registry: Registry, event: str, path: str, words: str
) -> None:
    file = _write(tmp_path / "e.yaml", _TWO_TURNS.format(id="ev.bad.by", event=event))
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([file], registry)
    issues = [i for i in caught.value.issues if i.path == f"scenarios[0].turns[1].{path}"]
    assert issues, caught.value.issues
    assert words in issues[0].message


def test_class2_reason_expectations_are_judged(tmp_path: Path, registry: Registry) -> None:
    file = _write(tmp_path / "r.yaml", """
scenarios:
  - id: ev.reasons
    turns:
      - user: "I can't find my credit card, I think I lost it at the supermarket."
        expect: {reasons: [exit.verified], not_reasons: [risk.account_takeover]}
""")
    report = run_eval(load_scenarios([file], registry), registry=registry,
                      config=EvalConfig(cohorts={}), need_model=None, jobs=1, progress=False,
                      now=NOW)
    [run] = report.runs
    assert {f.check for f in run.failures} == {"reasons", "not_reasons"}
    actual = next(f.actual for f in run.failures if f.check == "reasons")
    assert isinstance(actual, list)
    assert "exit.verified" not in actual


@pytest.mark.parametrize(("expect", "path", "words"), [
    ('{reasons: ["Exit Verified"]}', "expect.reasons[0]", "String should match pattern"),
    ("{reasons: [exit.verified], not_reasons: [exit.verified]}", "expect.not_reasons",
     "also in reasons"),
])
def test_reason_codes_are_checked_for_shape_and_contradiction(
    tmp_path: Path, registry: Registry, expect: str, path: str, words: str
) -> None:
    file = _write(tmp_path / "s.yaml", f"""
scenarios:
  - id: ev.shape
    turns:
      - user: "hello"
        expect: {expect}
""")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([file], registry)
    [issue] = caught.value.issues
    assert issue.path == f"scenarios[0].turns[0].{path}"
    assert words in issue.message
