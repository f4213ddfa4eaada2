"""``guardrail report``: exit codes, the alert sink (a file, or a real local webhook, with its
fallback file), --compare drift, warnings for torn audit lines, and the HTML report in a real
Chromium (no console errors, the tables shown)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrail.cli import main
from guardrail.history import SQLiteStore
from guardrail.registry import Registry
from tests.evals.test_html import browse, parse, rows
from tests.governance.test_report import SINCE, T0, UNTIL, decision, outcome
from tests.handoff.test_sinks import hook_server

PERIOD = ["--since", SINCE.isoformat(), "--until", UNTIL.isoformat()]
TOKEN = "s3cr3t-token-in-the-url"  # a webhook URL's secret: never printed


def write(tmp_path: Path, records: list[Any], outcomes: list[Any]) -> tuple[Path, str]:
    """An audit file of `records` and a real SQLite store holding `outcomes`."""
    audit = tmp_path / "audit.jsonl"
    audit.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "history.db"
    store = SQLiteStore(db)
    for item in outcomes:
        store.record_outcome(item)
    store.close()
    return audit, f"sqlite:///{db}"


def population(start: Any = T0, unsafe: bool = False) -> tuple[list[Any], list[Any]]:
    records = [decision(f"c{i}", start, segments=["billing"], handoff=i % 4 == 0,
                        cohort={"plan": "pro" if i % 2 else "free"}) for i in range(12)]
    outcomes = [outcome("c1", "csat", start + timedelta(hours=1), score=5)]
    if unsafe:
        outcomes.append(outcome("c2", "incident", start + timedelta(hours=1),
                                incident="unsafe_action"))
    return records, outcomes


def test_a_quiet_period_exits_0_and_writes_json_and_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit, store = write(tmp_path, *population())
    out_json = tmp_path / "report.json"
    code = main(["report", "--audit", str(audit), "--store", store, *PERIOD,
                 "--json", str(out_json), "--alert-sink", str(tmp_path / "alerts.jsonl")])
    assert code == 0
    text = capsys.readouterr().out
    assert "billing" in text
    assert "alerts: 0" in text
    data = json.loads(out_json.read_text())
    assert data["totals"]["conversations"] == 12
    assert data["totals"]["escalation_rate"] == pytest.approx(3 / 12)
    assert data["totals"]["csat_mean"] == 5
    assert not (tmp_path / "alerts.jsonl").exists()


def test_an_alert_exits_1_and_reaches_the_sink(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit, store = write(tmp_path, *population(unsafe=True))
    sink = tmp_path / "alerts.jsonl"
    code = main(["report", "--audit", str(audit), "--store", store, *PERIOD,
                 "--alert-sink", str(sink), "--format", "json"])
    assert code == 1
    printed = json.loads(capsys.readouterr().out)
    assert [a["kind"] for a in printed["alerts"]] == ["incident"]
    events = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [(e["kind"], e["subject"]) for e in events] == [("incident", "unsafe_action")]



def test_alerts_posted_to_a_webhook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit, store = write(tmp_path, *population(unsafe=True))
    with hook_server() as server:
        server.script(500, 200)  # one retry (the default backoff: a real, short wait)
        url = f"{server.url}?token={TOKEN}"
        code = main(["report", "--audit", str(audit), "--store", store, *PERIOD,
                     "--alert-sink", url])
    assert code == 1
    err = capsys.readouterr().err
    assert "sent 1 alert(s) to the alert webhook" in err
    assert TOKEN not in err
    assert [r["status"] for r in server.requests] == [500, 200]
    assert [(e["body"]["kind"], e["body"]["subject"]) for e in server.delivered] == [
        ("incident", "unsafe_action")]


def test_an_undelivered_alert_is_an_error_and_goes_to_the_fallback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit, store = write(tmp_path, *population(unsafe=True))
    fallback = tmp_path / "undelivered.jsonl"
    with hook_server() as server:
        # Retry-After: 0 spares the test the default backoff; every attempt still happens.
        server.script((503, {"Retry-After": "0"}))
        url = f"{server.url}?token={TOKEN}"
        code = main(["report", "--audit", str(audit), "--store", store, *PERIOD,
                     "--alert-sink", url, "--alert-fallback", str(fallback),
                     "--format", "json"])
    assert code == 1
    captured = capsys.readouterr()
    assert "guardrail: error: alert delivery failed" in captured.err
    assert str(fallback) in captured.err
    assert "Traceback" not in captured.err
    assert TOKEN not in captured.err
    assert len(server.requests) > 1
    assert not server.delivered
    printed = json.loads(captured.out)["alerts"]
    saved = [json.loads(line) for line in fallback.read_text("utf-8").splitlines()]
    assert [(e["kind"], e["subject"]) for e in saved] == [
        (a["kind"], a["subject"]) for a in printed]
    assert {e["key"] for e in saved} == {r["key"] for r in server.requests}


def test_compare_gives_the_drift_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now, now_out = population()
    before = [decision(f"p{i}", T0 - timedelta(days=7), need="how_to", segments=["how_to"])
              for i in range(5)]
    audit, store = write(tmp_path, now + before, now_out)
    code = main(["report", "--audit", str(audit), "--store", store, *PERIOD, "--format",
                 "json", "--compare-since", (SINCE - timedelta(days=7)).isoformat(),
                 "--compare-until", SINCE.isoformat()])
    assert code == 0
    drift = json.loads(capsys.readouterr().out)["drift"]
    assert drift["escalation_rate"] == {"before": 0.0, "after": 0.25, "delta": 0.25}
    assert drift["need_mix"]["how_to"] == {"before": 1.0, "after": 0.0, "delta": -1.0}
    assert drift["by_segment"]["billing"]["conversations"]["before"] is None


@pytest.mark.parametrize("argv", [
    ["--since", "yesterday", "--until", UNTIL.isoformat()],
    ["--since", "2025-03-03T00:00:00", "--until", UNTIL.isoformat()],
    ["--since", UNTIL.isoformat(), "--until", SINCE.isoformat()],
    [*PERIOD, "--compare-since", SINCE.isoformat()],
    [*PERIOD, "--alert-sink", "ftp://pager.example/x"],
    [*PERIOD, "--alert-sink", "https:///x"],
    [*PERIOD, "--alert-fallback", "undelivered.jsonl"],
    [*PERIOD, "--alert-sink", "alerts.jsonl", "--alert-fallback", "undelivered.jsonl"],
])
def test_bad_input_exits_2(tmp_path: Path, argv: list[str],
                           capsys: pytest.CaptureFixture[str]) -> None:
    audit, store = write(tmp_path, *population(unsafe=True))
    assert main(["report", "--audit", str(audit), "--store", store, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("guardrail: error:")
    assert "Traceback" not in err


def test_missing_audit_file_or_bad_store_exit_2(tmp_path: Path) -> None:
    audit, store = write(tmp_path, *population())
    assert main(["report", "--audit", str(tmp_path / "nope.jsonl"), "--store", store,
                 *PERIOD]) == 2
    assert main(["report", "--audit", str(audit), "--store", "ftp://x", *PERIOD]) == 2


def test_torn_audit_lines_are_warned_about_and_skipped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit, store = write(tmp_path, *population())
    with audit.open("a", encoding="utf-8") as handle:
        handle.write('{"v": 1, "type": "decision", "conversation_id": "torn"')
    code = main(["report", "--audit", str(audit), "--audit", str(audit), "--store", store,
                 *PERIOD, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.count("warning") == 2
    assert "(skipped)" in captured.err
    # The same file twice: the same conversations, counted once each.
    assert json.loads(captured.out)["totals"]["conversations"] == 12


def test_html_report_in_chromium(tmp_path: Path, registry: Registry) -> None:
    n = registry.settings.governance.alerts.min_conversations + 10
    records: list[Any] = []
    outcomes: list[Any] = []
    for arm in ("policy", "holdout"):
        for i in range(n):
            cid = f"{arm}-{i}"
            segs = {"segments": ["billing"]} if arm == "policy" else {"held_out": ["billing"]}
            records.append(decision(cid, T0, arm=arm, cohort={"plan": "<b>free</b>"}, **segs))
            if arm == "policy" and i < n // 2:
                outcomes.append(outcome(cid, "reopened", T0 + timedelta(days=1)))
    audit, store = write(tmp_path, records, outcomes)
    page = tmp_path / "report.html"
    code = main(["report", "--audit", str(audit), "--store", store, *PERIOD,
                 "--html", str(page), "--quiet"])
    assert code == 1  # the policy arm automates billing badly
    done = browse(tmp_path, page, "--dump-dom", "--enable-logging=stderr", "--v=0")
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    doc = parse(done.stdout)
    assert 'data-js="1"' in re.search(r"<html[^>]*>", done.stdout).group(0)  # type: ignore[union-attr]
    segments = {r[0]: r for r in rows(doc.by_id("segment-table"))}
    assert set(segments) == {"billing"}
    assert segments["billing"][1] == str(2 * n)
    arms = rows(doc.by_id("arm-table"))
    worse = [r for r in arms if r[0] == "segment:billing" and r[1] == "wrongful_automation_rate"]
    assert worse
    assert worse[0][-1] == "worse"
    assert "Newcombe" in doc.by_id("arms").text()
    cohorts = [r[0] for r in rows(doc.by_id("cohort-table"))]
    assert "plan=<b>free</b>" in cohorts  # the label as text, not markup
    assert doc.iter("b") == []
    kinds = [r[0] for r in rows(doc.by_id("alerts-table"))]
    assert "holdout_worse" in kinds
    assert "wrongful_automation" in kinds


@pytest.mark.parametrize("case", ["no conversation", "no outcome"])
def test_a_period_that_measured_nothing_exits_1_and_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    records, outcomes = population()
    if case == "no conversation":  # the audit log holds only an earlier week
        records, outcomes = population(start=T0 - timedelta(days=30))
    else:
        outcomes = []
    audit, store = write(tmp_path, records, outcomes)
    out_json = tmp_path / "report.json"
    code = main(["report", "--audit", str(audit), "--store", store, *PERIOD,
                 "--json", str(out_json)])
    assert code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    data = json.loads(out_json.read_text())
    assert data["with_outcomes"] == 0
    if case == "no conversation":
        assert "no conversation of the period" in err
        assert data["totals"]["conversations"] == 0
    else:
        assert "has an outcome" in err
        assert data["totals"]["conversations"] == 12
