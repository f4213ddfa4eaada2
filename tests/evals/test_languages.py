"""Metrics per language: the ``lang:<code>`` tag, `by_language`, the language gap metrics and
gates, results.json's ``by_language``, the terminal lines and the HTML table.

The metric tests build `RunOutcome` objects by hand; the end-to-end ones run two tiny scenarios
(one English, one Spanish) written to tmp_path through the real engine (rules only), and derive
what they expect from the runs of the same report rather than from the engine's current skill.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrail import Registry
from guardrail.cli import main
from guardrail.evals import (
    ARM_METRICS,
    BASE_METRICS,
    LANGUAGE_METRICS,
    EvalConfig,
    ScenarioError,
    load_config,
    load_results,
    load_scenarios,
    run_eval,
)
from guardrail.evals.html import render_html
from guardrail.evals.judge import RunOutcome
from guardrail.evals.metrics import (
    by_language,
    compute,
    contributors,
    language_metrics,
    short_languages,
)
from guardrail.evals.runner import Cohort
from tests.evals.test_html import parse, row_for, rows

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


# -- hand-built outcomes -------------------------------------------------------------------------


def outcome(
    scenario: str,
    *,
    lang: str | None = None,
    cohort: tuple[str, str] | None = None,
    in_time: bool | None = None,
    wrongly: bool | None = None,
    escapes: tuple[int | None, ...] = (),
    needs: tuple[tuple[str, str], ...] = (),
) -> RunOutcome:
    """One judged run; `lang` None: no ``lang:`` tag (English)."""
    tags = ("seed:hand", *((f"lang:{lang}",) if lang is not None else ()))
    handed_off = bool(in_time or wrongly or 0 in escapes)
    return RunOutcome(
        run_id=scenario if cohort is None else f"{scenario}@{cohort[0]}={cohort[1]}",
        scenario_id=scenario, file="hand.yaml", tags=tags,
        cohort=None if cohort is None else Cohort(*cohort), failures=(),
        handoff_turn=1 if handed_off else None, turns=1, need_pairs=needs,
        named_segments=frozenset(), named_needs=frozenset(), handed_off_in_time=in_time,
        wrongly_escalated=wrongly, deny_expected=0, breaches=0, sensitive=False,
        escapes=escapes, time_to_human=None, reached_high=False, signature=(),
    )


def mixed() -> list[RunOutcome]:
    """English 3 scenarios (+2 cohort runs), Spanish 2, Hindi 1, in file order (es first)."""
    return [
        outcome("es.missed", lang="es", in_time=False, needs=(("billing", "billing"),)),
        outcome("es.wrong", lang="es", wrongly=True, escapes=(0,),
                needs=(("how_to", "access_restore"),)),
        outcome("en.caught", in_time=True, needs=(("billing", "billing"),)),
        # A cohort run that missed: counted under runs, never in the metrics.
        outcome("en.caught", cohort=("locale", "de-DE"), in_time=False),
        outcome("en.caught", cohort=("plan", "free"), in_time=True),
        outcome("en.missed", in_time=False),
        outcome("en.kept", lang="en", wrongly=False, escapes=(0,)),
        outcome("hi.escape", lang="hi", escapes=(None,)),
    ]


def test_by_language_groups_the_runs_as_written_english_first() -> None:
    groups = by_language(mixed())
    assert list(groups) == ["en", "es", "hi"]  # lang:en and no tag are the same language
    en, es, hi = groups["en"], groups["es"], groups["hi"]
    assert (en.scenarios, en.runs) == (3, 5)
    assert (es.scenarios, es.runs) == (2, 2)
    assert (hi.scenarios, hi.runs) == (1, 1)
    # en: en.caught in time, en.missed not (the missed cohort run is left out).
    assert en.metrics["must_handoff_recall"] == 0.5
    assert en.metrics["wrongful_escalation_rate"] == 0.0
    assert en.metrics["human_escape_success"] == 1.0
    assert en.metrics["need_accuracy"] == 1.0
    assert es.metrics["must_handoff_recall"] == 0.0
    assert es.metrics["wrongful_escalation_rate"] == 1.0
    assert es.metrics["need_accuracy"] == 0.5
    assert es.metrics["escalation_rate"] == 0.5
    assert hi.metrics["human_escape_success"] == 0.0
    assert hi.metrics["must_handoff_recall"] is None  # no such scenario: no data, not 0 or 1
    assert list(hi.metrics) == list(BASE_METRICS)
    # Exactly `compute` over that language's runs as written.
    written = [o for o in mixed() if o.language == "en" and o.cohort is None]
    assert en.metrics == compute(written)
    assert by_language([]) == {}


def test_the_language_gaps_compare_every_language_with_english() -> None:
    groups = by_language(mixed())
    found = language_metrics(groups, min_scenarios=2)
    assert list(found) == list(LANGUAGE_METRICS)
    assert found["language_human_escape_min"] == 0.0  # hi's failed escape
    assert found["language_recall_gap"] == pytest.approx(0.5 - 0.0)  # en - es; hi: no data
    assert found["language_wrongful_gap"] == pytest.approx(1.0 - 0.0)  # es - en
    assert found["languages_under_min_scenarios"] == 1.0  # hi: 1 < 2
    assert short_languages(groups, 2) == ["hi"]
    assert language_metrics(groups, min_scenarios=0)["languages_under_min_scenarios"] == 0.0


def test_the_language_gaps_without_other_languages_or_without_data() -> None:
    english_only = by_language([outcome("a", in_time=True), outcome("b", wrongly=True)])
    alone = language_metrics(english_only, min_scenarios=1)
    assert alone["language_recall_gap"] == 0.0  # no other language: nothing trails English
    assert alone["language_wrongful_gap"] == 0.0
    assert alone["language_human_escape_min"] is None  # no request for a person anywhere

    # A language with no data for a metric is left out of it: no data, so no failure.
    no_must = by_language([outcome("a", in_time=True), outcome("b", lang="pt", wrongly=False)])
    gaps = language_metrics(no_must, min_scenarios=1)
    assert gaps["language_recall_gap"] is None
    assert gaps["language_wrongful_gap"] is None  # and English has no expect_no_handoff

    # No English run at all: nothing to compare with.
    foreign = language_metrics(by_language([outcome("a", lang="fr", in_time=False)]), 1)
    assert foreign["language_recall_gap"] is None
    assert foreign["language_wrongful_gap"] is None

    # A language doing better than English: the gap keeps its sign.
    better = by_language([outcome("a", in_time=False), outcome("b", in_time=True),
                          outcome("c", lang="nl", in_time=True)])
    assert language_metrics(better, 1)["language_recall_gap"] == pytest.approx(-0.5)
    assert language_metrics({}, 40) == dict.fromkeys(LANGUAGE_METRICS)


def test_a_language_gate_names_the_runs_that_pull_it_the_wrong_way() -> None:
    runs = [*mixed(), outcome("fr.missed", lang="fr", in_time=False),
            outcome("it.caught", lang="it", in_time=True),
            outcome("it.missed", lang="it", in_time=False)]
    # it (0.5) does not trail en (0.5): only es and fr misses widen the gap.
    assert contributors("language_recall_gap", runs, too_high=True) == ["es.missed", "fr.missed"]
    assert contributors("language_wrongful_gap", runs, too_high=True) == ["es.wrong"]
    assert contributors("language_human_escape_min", runs, too_high=False) == ["hi.escape"]
    assert contributors("languages_under_min_scenarios", runs, too_high=True,
                        short=["hi", "fr"]) == ["lang:hi", "lang:fr"]
    assert contributors("language_recall_gap", runs, too_high=False) == []


# -- the lang: tag ---------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_has_at_most_one_well_formed_language_tag(
    tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "lang_xx.yaml", """
scenarios:
  - id: t.two
    tags: [lang:es, seed:x, lang:pt]
    turns: [{user: hola}]
  - id: t.upper
    tags: [lang:ES]
    turns: [{user: hola}]
  - id: t.long
    tags: [seed:x, lang:spanish]
    turns: [{user: hola}]
  - id: t.empty
    tags: ["lang:"]
    turns: [{user: hola}]
""")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([tmp_path], registry)
    issues = {(i.file, i.path): i.message for i in caught.value.issues}
    assert set(issues) == {
        ("lang_xx.yaml", "scenarios[0].tags[2]"),
        ("lang_xx.yaml", "scenarios[1].tags[0]"),
        ("lang_xx.yaml", "scenarios[2].tags[1]"),
        ("lang_xx.yaml", "scenarios[3].tags[0]"),
    }
    assert "second language tag 'lang:pt'" in issues[("lang_xx.yaml", "scenarios[0].tags[2]")]
    assert "'lang:ES' is not a language tag" in issues[("lang_xx.yaml", "scenarios[1].tags[0]")]
    assert "2-3 letter lower-case code" in issues[("lang_xx.yaml", "scenarios[2].tags[1]")]
    text = str(caught.value)
    assert "lang_xx.yaml:scenarios[2].tags[1]: 'lang:spanish' is not a language tag" in text

    assert main(["eval", str(tmp_path)]) == 2  # a usage error, not a failed gate
    assert "lang_xx.yaml:scenarios[0].tags[2]" in capsys.readouterr().err

    good = _write(tmp_path / "ok" / "lang_hi.yaml", """
scenarios:
  - {id: t.hi, tags: [lang:hi, seed:x], turns: [{user: namaste}]}
  - {id: t.fil, tags: ["lang:fil"], turns: [{user: kumusta}]}
  - {id: t.en, tags: [seed:x, language-ish, "lang"], turns: [{user: hello}]}
""")
    assert [s.language for s in load_scenarios([good], registry)] == ["hi", "fil", "en"]


# -- end to end ------------------------------------------------------------------------------------

TINY = """
scenarios:
  - id: tiny.en.person
    tags: [human_request]
    cohorts: true
    expect_handoff_by: 1
    turns:
      - user: "I want to talk to a human please"
        expect: {human_request: true}
  - id: tiny.es.persona
    tags: [human_request, lang:es]
    expect_handoff_by: 1
    turns:
      - user: "Quiero hablar con una persona, por favor"
        expect: {human_request: true}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return _write(tmp_path / "scenarios" / "tiny.yaml", TINY)


def _config(tmp_path: Path, minimum: int) -> Path:
    gates = "\n".join(
        f"  - {{name: {name}, metric: {metric}, op: \"{op}\", threshold: {threshold}}}"
        for name, metric, op, threshold in (
            ("escape everywhere", "language_human_escape_min", "==", 1.0),
            ("recall gap", "language_recall_gap", "<=", 0.02),
            ("wrongful gap", "language_wrongful_gap", "<=", 0.02),
            ("enough per language", "languages_under_min_scenarios", "==", 0),
        )
    )
    return _write(tmp_path / f"config{minimum}.yaml",
                  f"cohorts: {{plan: [free, pro]}}\nmin_scenarios_per_language: {minimum}\n"
                  f"gates:\n{gates}\n")


def test_results_json_has_a_by_language_section(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["eval", str(tiny), "--config", str(_config(tmp_path, 1)), "--baseline",
                 "--need-model", "none", "--jobs", "1", "--output", str(out)])
    text = (out / "results.json").read_text(encoding="utf-8")
    results = json.loads(text)
    runs = {r["id"]: r for r in results["runs"]}
    policy = results["arms"]["policy"]
    # Every earlier key keeps its place; by_language comes last; the metrics table gains the
    # language metrics after the earlier ones.
    assert list(policy) == ["metrics", "by_segment", "by_need_segment", "by_cohort",
                            "disparities", "value_bias", "need_mix", "by_language"]
    assert list(policy["metrics"]) == list(ARM_METRICS)
    languages = policy["by_language"]
    assert list(languages) == ["en", "es"]
    en, es = languages["en"], languages["es"]
    assert set(en) == {"scenarios", "runs", "min_scenarios", "enough_scenarios", "metrics"}
    assert (en["scenarios"], en["runs"]) == (1, 3)  # the run as written and 2 plan runs
    assert (es["scenarios"], es["runs"]) == (1, 1)
    assert en["min_scenarios"] == es["min_scenarios"] == 1
    assert en["enough_scenarios"] is es["enough_scenarios"] is True
    assert list(es["metrics"]) == list(BASE_METRICS)

    # What each language measured follows from its own run as written.
    def escaped(run_id: str) -> float:
        return 1.0 if runs[run_id]["handoff_turn"] == 1 else 0.0

    assert en["metrics"]["human_escape_success"] == escaped("tiny.en.person")
    assert es["metrics"]["human_escape_success"] == escaped("tiny.es.persona")
    assert es["metrics"]["must_handoff_recall"] == escaped("tiny.es.persona")
    metrics = policy["metrics"]
    assert metrics["language_human_escape_min"] == min(escaped("tiny.en.person"),
                                                       escaped("tiny.es.persona"))
    assert metrics["language_recall_gap"] == pytest.approx(
        en["metrics"]["must_handoff_recall"] - es["metrics"]["must_handoff_recall"])
    assert metrics["language_wrongful_gap"] is None  # no expect_no_handoff in either language
    assert metrics["languages_under_min_scenarios"] == 0.0
    assert set(results["arms"]["baseline"]["by_language"]) == {"en", "es"}

    gates = {g["metric"]: g for g in results["gates"]}
    assert gates["language_wrongful_gap"]["passed"] is True  # no data: reported, not failed
    assert gates["language_wrongful_gap"]["value"] is None
    assert gates["languages_under_min_scenarios"]["passed"] is True
    expected_pass = all(g["passed"] for g in results["gates"])
    assert code == (0 if expected_pass else 1)
    if not gates["language_recall_gap"]["passed"]:
        assert gates["language_recall_gap"]["scenarios"] == ["tiny.es.persona"]

    # The typed report reads it back and writes it again byte for byte.
    assert load_results(out / "results.json").to_json() == text

    # One line per language in the terminal summary.
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("language ")]
    assert [line.split(":")[0] for line in lines] == ["language en", "language es"]
    assert lines[0].startswith("language en: 1 scenarios, 3 runs; human escape ")
    assert " vs en)" not in lines[0]
    assert "must-handoff recall" in lines[1]
    assert lines[1].count(" vs en)") == 2  # human escape and must-handoff recall: both measured


def test_too_few_scenarios_in_a_language_fails_the_run(
    tmp_path: Path, tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["eval", str(tiny), "--config", str(_config(tmp_path, 2)), "--need-model",
                 "none", "--jobs", "1", "--output", str(out)]) == 1
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    gate = next(g for g in results["gates"] if g["metric"] == "languages_under_min_scenarios")
    assert gate["passed"] is False
    assert gate["value"] == 2.0
    assert gate["scenarios"] == ["lang:en", "lang:es"]
    languages = results["arms"]["policy"]["by_language"]
    assert {code: entry["enough_scenarios"] for code, entry in languages.items()} == {
        "en": False, "es": False}
    printed = capsys.readouterr().out
    assert "FAILED gate enough per language" in printed
    assert "language es: 1 scenarios (fewer than 2), 1 runs;" in printed


def test_a_results_json_written_before_languages_still_loads(
    tmp_path: Path, tiny: Path, registry: Registry
) -> None:
    report = run_eval(load_scenarios([tiny], registry), registry=registry,
                      config=EvalConfig(cohorts={}), need_model=None, jobs=1, progress=False,
                      now=NOW)
    data = json.loads(report.to_json())
    for arm in data["arms"].values():
        del arm["by_language"]
        for metric in LANGUAGE_METRICS:
            del arm["metrics"][metric]
    old = _write(tmp_path / "old.json", json.dumps(data))
    loaded = load_results(old)
    assert loaded.policy.by_language == {}
    assert "No per-language metrics" in render_html(loaded)
    out = tmp_path / "out"
    main(["eval", str(tiny), "--config", str(_config(tmp_path, 0)), "--need-model", "none",
          "--jobs", "1", "--compare", str(old), "--output", str(out)])
    compare = json.loads((out / "results.json").read_text(encoding="utf-8"))["compare"]
    assert compare["metrics_delta"]["language_recall_gap"]["before"] is None
    assert compare["metrics_delta"]["need_accuracy"] == {"before": None, "after": None,
                                                         "delta": None}


def test_the_html_report_has_the_per_language_table(
    tiny: Path, registry: Registry
) -> None:
    config = EvalConfig(cohorts={"plan": ["free", "pro"]}, min_scenarios_per_language=1)
    report = run_eval(load_scenarios([tiny], registry), registry=registry, config=config,
                      baseline=True, need_model=None, jobs=1, progress=False, now=NOW)
    page = render_html(report)
    assert page == render_html(json.loads(report.to_json()))
    doc = parse(page)
    section = doc.by_id("languages")
    assert section.tag == "section"
    assert any(a.attrs.get("href") == "#languages" for a in doc.iter("a"))
    table = doc.by_id("language-table")
    heads = [th.words() for th in table.iter("th")]
    assert heads == ["Language", "Scenarios", "Runs", "human escape success",
                     "must handoff recall", "wrongful escalation rate", "need accuracy"]
    assert [r[0] for r in rows(table)] == ["en", "es"]
    en, es = row_for(table, "en"), row_for(table, "es")
    assert en[1:3] == ["1", "3"]
    assert es[1:3] == ["1", "1"]
    english = report.policy.by_language["en"].metrics
    spanish = report.policy.by_language["es"].metrics
    recall_en, recall_es = english["must_handoff_recall"], spanish["must_handoff_recall"]
    assert recall_en is not None
    assert recall_es is not None
    assert es[4].startswith(f"{recall_es * 100:.1f}%")
    assert "vs en" in es[4]  # the gap to English under the Spanish figure
    assert "vs en" not in en[4]
    assert "base " in es[4]  # the baseline arm's figure
    assert es[5].startswith("n/a")  # no expect_no_handoff scenario: no data
    gaps = doc.by_id("language-gaps")
    shown = {div.attrs["data-metric"]: div.iter("dd")[0].text() for div in gaps.iter("div")}
    assert set(shown) == set(LANGUAGE_METRICS)
    assert shown["language_wrongful_gap"] == "n/a"
    gap = round((recall_en - recall_es) * 100, 1) + 0.0  # no "-0.0"
    assert shown["language_recall_gap"] == f"{gap:.1f} pp"
    assert "Languages under 1 scenarios" in gaps.words()


def test_the_shipped_config_gates_every_language(registry: Registry) -> None:
    shipped = load_config(ROOT / "evals" / "config.yaml")
    assert shipped.min_scenarios_per_language == 40
    gated = {g.metric: (g.op, g.threshold) for g in shipped.gates}
    assert gated["language_human_escape_min"] == ("==", 1.0)
    assert gated["language_recall_gap"] == ("<=", 0.02)
    assert gated["language_wrongful_gap"] == ("<=", 0.02)
    assert gated["languages_under_min_scenarios"] == ("==", 0)
    # The locale cohort stays: it proves context invariance, not language.
    assert "de-DE" in shipped.cohorts["locale"]
    assert gated["max_cohort_gap"] == ("<=", 0.0)

