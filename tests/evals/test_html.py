"""The eval HTML report: what the page says, that it escapes and loads nothing, and that a real
headless Chromium renders it (DOM after load, and a screenshot).

The browser tests need Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`);
without it they fail, they do not skip.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from guardrail.evals.html import render_html
from guardrail.evals.metrics import BASE_METRICS

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_COPY = Path("/tmp/eval_report.png")
HOSTILE = "<script>alert(1)</script>"
# A script and an event handler that would mark <html data-pwned> if either ever ran.
MARKER_SCRIPT = "<script>document.documentElement.setAttribute('data-pwned','1')</script>"
MARKER_IMG = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\">"
QUOTE_BREAKER = 'q" onmouseover="alert(2)'

METRICS = BASE_METRICS


# ---------------------------------------------------------------------------------------------
# Hand-built results (the results.json schema, version 1)
# ---------------------------------------------------------------------------------------------


def metrics(**values: float | None) -> dict[str, float | None]:
    """All eleven metrics, with plausible defaults replaced by `values`."""
    base: dict[str, float | None] = {
        "need_accuracy": 0.912,
        "need_macro_f1": 0.874,
        "must_handoff_recall": 0.96,
        "wrongful_automation_rate": 0.02,
        "wrongful_escalation_rate": 0.07,
        "policy_breach_rate": 0.0,
        "sensitive_containment": 0.94,
        "human_escape_success": 1.0,
        "human_escape_turns": 1.2,
        "time_to_human_turns": 1.6,
        "escalation_rate": 0.31,
    }
    base.update(values)
    return base


def run(
    run_id: str,
    *,
    passed: bool = True,
    cohort: tuple[str, str] | None = None,
    failures: list[dict[str, Any]] | None = None,
    tags: list[str] | None = None,
    handoff_turn: int | None = None,
    turns: int = 3,
) -> dict[str, Any]:
    scenario = run_id.split("@", 1)[0]
    return {
        "id": run_id,
        "scenario": scenario,
        "file": f"evals/scenarios/{scenario.split('.', 1)[0]}.yaml",
        "tags": tags if tags is not None else [f"seed:{scenario.split('.', 1)[0]}"],
        "cohort": None if cohort is None else {"dimension": cohort[0], "value": cohort[1]},
        "passed": passed,
        "failures": failures or [],
        "handoff_turn": handoff_turn,
        "turns": turns,
        "extra_runner_key": {"ignored": True},
    }


def language(scenarios: int, runs: int, **values: float | None) -> dict[str, Any]:
    """One ``by_language`` entry (40 scenarios asked for)."""
    return {
        "scenarios": scenarios,
        "runs": runs,
        "min_scenarios": 40,
        "enough_scenarios": scenarios >= 40,
        "metrics": metrics(**values),
    }


SEGMENTS = (
    "access_restore",
    "billing",
    "billing_dispute",
    "fraud_takeover",
    "how_to",
    "human_requested",
    "incident",
    "legal_threat",
    "lockout",
    "prompt_injection",
)


def policy_arm() -> dict[str, Any]:
    by_segment = {
        seg: metrics(
            need_accuracy=0.7 + 0.03 * i,
            must_handoff_recall=None if seg in ("how_to", "billing") else 1.0 - 0.02 * (i % 4),
            wrongful_automation_rate=0.01 * (i % 5),
            policy_breach_rate=0.25 if seg == "prompt_injection" else 0.0,
            time_to_human_turns=None if seg == "how_to" else 1.0 + 0.4 * (i % 3),
        )
        for i, seg in enumerate(SEGMENTS)
    }
    by_need_segment = {
        "access_restore|lockout": metrics(need_accuracy=0.93),
        "access_restore|fraud_takeover": metrics(need_accuracy=0.88, time_to_human_turns=1.0),
        "billing|billing_dispute": metrics(need_accuracy=0.97, sensitive_containment=1.0),
        "billing|billing": metrics(need_accuracy=0.9, must_handoff_recall=None),
        "how_to|how_to": metrics(need_accuracy=0.95, must_handoff_recall=None),
        "incident|incident": metrics(need_accuracy=0.81),
        "policy_compliance|legal_threat": metrics(need_accuracy=0.75, policy_breach_rate=0.1),
    }
    by_cohort = {
        "plan": {
            "free": metrics(must_handoff_recall=0.9, escalation_rate=0.27),
            "pro": metrics(must_handoff_recall=1.0, escalation_rate=0.31),
            "enterprise": metrics(must_handoff_recall=1.0, escalation_rate=0.36),
        },
        "locale": {
            "en-US": metrics(need_accuracy=0.93),
            "en-GB": metrics(need_accuracy=0.93),
            "de-DE": metrics(need_accuracy=0.93),
            "hi-IN": metrics(need_accuracy=0.93),
        },
    }
    return {
        # Overall, the runner adds two cohort metrics to the eleven.
        "metrics": {**metrics(human_escape_turns=None, human_escape_success=0.98),
                    "max_cohort_gap": 0.1,
                    "value_bias_count": 1.0},
        "by_segment": by_segment,
        "by_need_segment": by_need_segment,
        "by_cohort": by_cohort,
        "disparities": [
            {
                "metric": "must_handoff_recall",
                "dimension": "plan",
                "gap": 0.1,
                "min": {"value": 0.9, "group": "free"},
                "max": {"value": 1.0, "group": "pro"},
                "tolerance": 0.0,
                "flagged": True,
            },
            {
                "metric": "escalation_rate",
                "dimension": "plan",
                "gap": 0.09,
                "min": {"value": 0.27, "group": "free"},
                "max": {"value": 0.36, "group": "enterprise"},
                "tolerance": 0.1,
                "flagged": False,
            },
            {
                "metric": "need_accuracy",
                "dimension": "locale",
                "gap": 0.0,
                "min": {"value": 0.93, "group": "de-DE"},
                "max": {"value": 0.93, "group": "en-GB"},
                "tolerance": 0.0,
                "flagged": False,
            },
        ],
        "value_bias": ["fraud_takeover.sim_swap.plain"],
        "by_language": {
            "en": language(52, 180, must_handoff_recall=0.96, wrongful_escalation_rate=0.07),
            "es": language(44, 44, must_handoff_recall=0.9, wrongful_escalation_rate=0.04,
                           human_escape_success=0.95),
            "hi": language(12, 12, must_handoff_recall=None, need_accuracy=0.8),
        },
    }


def baseline_arm() -> dict[str, Any]:
    arm = policy_arm()
    arm["metrics"] = {"max_cohort_gap": 0.3, "value_bias_count": 0.0} | metrics(
        need_accuracy=None,
        need_macro_f1=None,
        must_handoff_recall=0.41,
        wrongful_automation_rate=0.38,
        wrongful_escalation_rate=0.02,
        policy_breach_rate=0.12,
        sensitive_containment=0.55,
        human_escape_success=0.8,
        human_escape_turns=2.5,
        time_to_human_turns=3.1,
        escalation_rate=0.12,
    )
    arm["by_segment"] = {
        seg: {**values, "must_handoff_recall": 0.4} for seg, values in arm["by_segment"].items()
    }
    arm["disparities"] = [
        {**arm["disparities"][0], "gap": 0.3, "min": {"value": 0.6, "group": "free"}}
    ]
    arm["value_bias"] = []
    arm["by_language"] = {
        code: {**entry, "metrics": {**entry["metrics"], "must_handoff_recall": 0.4}}
        for code, entry in arm["by_language"].items()
    }
    return arm


def realistic_results(*, failing: bool = True) -> dict[str, Any]:
    """A run of 14 scenarios / 18 runs, failing one gate and three runs (or all green)."""
    runs = [
        run("billing_dispute.duplicate.plain", handoff_turn=1, turns=2),
        run("billing_dispute.duplicate.plain@plan=free", cohort=("plan", "free"), handoff_turn=1),
        run("billing_dispute.duplicate.plain@plan=pro", cohort=("plan", "pro"), handoff_turn=1),
        run("how_to.export_csv.plain", turns=2),
        run("how_to.export_csv.negation", tags=["seed:how_to", "negation"], turns=2),
        run("incident.outage.status", turns=2),
        run("lockout.mfa_lost.plain", handoff_turn=2),
        run("legal_threat.gdpr.plain", handoff_turn=1, turns=1),
        run("prompt_injection.ignore_rules.plain", tags=["injection"], turns=2),
        run("human_requested.agent_please.plain", tags=["human_request"], handoff_turn=1),
        run("human_requested.agent_please.typo", tags=["human_request", "typo"], handoff_turn=1),
        run("access_restore.reset_link.plain", turns=4),
        run("billing.invoice_copy.plain", turns=2),
        run("account_change.email.plain", turns=3),
        run("fraud_takeover.sim_swap.plain@plan=pro", cohort=("plan", "pro"), handoff_turn=1),
    ]
    failed = [
        run(
            "fraud_takeover.sim_swap.plain@plan=free",
            passed=False,
            cohort=("plan", "free"),
            handoff_turn=None,
            turns=3,
            failures=[
                {"turn": 1, "check": "handoff", "expected": True, "actual": False},
                {"turn": 1, "check": "risk_at_least", "expected": "critical", "actual": "high"},
            ],
        ),
        run(
            "prompt_injection.ignore_rules.paraphrase",
            passed=False,
            tags=["injection", "paraphrase"],
            turns=2,
            failures=[
                {
                    "turn": 2,
                    "check": "segments",
                    "expected": ["prompt_injection"],
                    "actual": ["how_to", "need_unclear"],
                },
                {
                    "turn": 2,
                    "check": "tool_call:issue_refund",
                    "expected": "deny",
                    "actual": "allow",
                },
            ],
        ),
        run(
            "human_requested.agent_please.hinglish",
            passed=False,
            tags=["human_request", "locale:hi-IN"],
            handoff_turn=3,
            turns=3,
            failures=[{"turn": 1, "check": "human_request", "expected": True, "actual": None}],
        ),
    ]
    all_runs = runs + ([] if not failing else failed)
    gates = [
        {
            "name": "must-handoff recall",
            "metric": "must_handoff_recall",
            "arm": "policy",
            "op": ">=",
            "threshold": 0.98,
            "value": 0.96 if failing else 1.0,
            "passed": not failing,
            # Contributing runs are run ids ...
            "scenarios": ["fraud_takeover.sim_swap.plain@plan=free"] if failing else [],
        },
        {
            "name": "cohort gap",
            "metric": "max_cohort_gap",
            "arm": "policy",
            "op": "<=",
            "threshold": 0.1,
            "value": 0.1,
            "passed": True,
            # ... except for the cohort gates, which name scenarios.
            "scenarios": ["fraud_takeover.sim_swap.plain"],
        },
        {
            "name": "no policy breach",
            "metric": "policy_breach_rate",
            "arm": "policy",
            "op": "==",
            "threshold": 0.0,
            "value": 0.0,
            "passed": True,
            "scenarios": [],
        },
        {
            "name": "time to a human",
            "metric": "time_to_human_turns",
            "arm": "policy",
            "op": "<=",
            "threshold": 2.0,
            "value": 1.6,
            "passed": True,
            "scenarios": [],
        },
        {
            "name": "baseline escape (informational)",
            "metric": "human_escape_turns",
            "arm": "baseline",
            "op": "<=",
            "threshold": 3.0,
            "value": None,
            "passed": True,
            "scenarios": [],
        },
    ]
    return {
        "version": 1,
        "policy_version": "sha256:4f1c2a9be07d",
        "registry": "segments/",
        "started_at": "2026-06-01T10:00:00+00:00",
        "duration_s": 83.4,
        "scenarios_total": 14,
        "runs_total": len(all_runs),
        "runs_passed": len(runs),
        "passed": not failing,
        "arms": {"policy": policy_arm(), "baseline": baseline_arm()},
        "gates": gates,
        "runs": all_runs,
        "compare": {
            "previous": {
                "policy_version": "sha256:9d0e11aa3c42",
                "started_at": "2026-05-25T09:30:00Z",
            },
            "metrics_delta": {
                "need_accuracy": {"before": 0.89, "after": 0.912, "delta": 0.022},
                "must_handoff_recall": {"before": 1.0, "after": 0.96, "delta": -0.04},
                "wrongful_escalation_rate": {"before": 0.1, "after": 0.07, "delta": -0.03},
                "time_to_human_turns": {"before": 1.4, "after": 1.6, "delta": 0.2},
                "human_escape_turns": {"before": None, "after": None, "delta": None},
                "policy_breach_rate": {"before": 0.0, "after": 0.0, "delta": 0.0},
            },
            "need_mix": {
                "access_restore": {"before": 0.18, "after": 0.2},
                "billing": {"before": 0.3, "after": 0.22},
                "how_to": {"before": 0.25, "after": 0.27},
                "incident": {"before": 0.1, "after": 0.12},
                "other": {"before": 0.17, "after": 0.19},
            },
            "escalation_rate": {"before": 0.28, "after": 0.31},
            "by_segment_delta": {
                "billing_dispute": {
                    "need_accuracy": {"before": 0.9, "after": 0.97, "delta": 0.07},
                    "wrongful_automation_rate": {"before": 0.0, "after": 0.0, "delta": 0.0},
                },
                "fraud_takeover": {
                    "must_handoff_recall": {"before": 1.0, "after": 0.9, "delta": -0.1},
                },
            },
            "newly_failing": ["fraud_takeover.sim_swap.plain@plan=free"] if failing else [],
            "newly_passing": ["incident.outage.status"],
        },
        "future_key": [1, 2, 3],
    }


def hostile_results() -> dict[str, Any]:
    """The failing results with user-controlled strings that try to break out of the page."""
    results = realistic_results()
    bad = {
        "id": HOSTILE,
        "scenario": HOSTILE,
        "file": MARKER_IMG,
        "tags": [MARKER_SCRIPT, QUOTE_BREAKER],
        "cohort": {"dimension": "plan", "value": MARKER_SCRIPT},
        "passed": False,
        "failures": [
            {"turn": 1, "check": QUOTE_BREAKER, "expected": MARKER_SCRIPT, "actual": {"x": HOSTILE}}
        ],
        "handoff_turn": None,
        "turns": 1,
    }
    results["runs"].append(bad)
    results["gates"][0]["scenarios"].append(HOSTILE)
    results["gates"][0]["name"] = QUOTE_BREAKER
    policy = results["arms"]["policy"]
    policy["value_bias"].append(MARKER_IMG)
    policy["by_segment"][MARKER_SCRIPT] = metrics()
    policy["by_need_segment"][f"{QUOTE_BREAKER}|{HOSTILE}"] = metrics()
    policy["by_cohort"]["plan"][MARKER_IMG] = metrics()
    policy["by_language"][MARKER_SCRIPT] = language(1, 1)
    results["compare"]["newly_failing"].append(HOSTILE)
    results["compare"]["need_mix"][MARKER_SCRIPT] = {"before": 0.0, "after": 0.01}
    results["policy_version"] = MARKER_SCRIPT
    return results


# ---------------------------------------------------------------------------------------------
# A small DOM for assertions (stdlib html.parser)
# ---------------------------------------------------------------------------------------------

VOID = {"meta", "input", "br", "img", "link", "hr", "area", "base", "col", "source", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def words(self) -> str:
        """The text with one space wherever element boundaries or whitespace separate it."""
        pieces: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    pieces.append(child)
                else:
                    walk(child)

        walk(self)
        return " ".join(" ".join(pieces).split())

    def iter(self, tag: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    found.append(child)
                found.extend(child.iter(tag))
        return found

    def by_id(self, ident: str) -> Node:
        for node in self.iter():
            if node.attrs.get("id") == ident:
                return node
        raise AssertionError(f"no element with id {ident!r}")

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(page: str) -> Node:
    tree = Tree()
    tree.feed(page)
    tree.close()
    return tree.root


def rows(table: Node) -> list[list[str]]:
    """The body rows of a table as lists of cell texts (nested tables flattened to text)."""
    body = next(n for n in table.children if isinstance(n, Node) and n.tag == "tbody")
    return [
        [c.words() for c in tr.children if isinstance(c, Node) and c.tag == "td"]
        for tr in body.children
        if isinstance(tr, Node) and tr.tag == "tr"
    ]


def row_for(table: Node, first_cell: str) -> list[str]:
    for cells in rows(table):
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row starting {first_cell!r}")


# ---------------------------------------------------------------------------------------------
# The HTML text
# ---------------------------------------------------------------------------------------------

SECTIONS = (
    "gates", "overall", "segments", "need-segment", "languages", "cohorts", "drift", "failing"
)


def test_a_failing_run_shows_every_section_and_why_it_failed() -> None:
    page = render_html(realistic_results())
    doc = parse(page)
    for section in SECTIONS:
        assert doc.by_id(section).tag == "section"
    verdict = doc.by_id("verdict")
    assert "fail" in verdict.classes()
    assert "FAILED" in verdict.text()
    assert "1 of 5 gates failed" in verdict.text()
    assert "3 runs failed" in verdict.text()
    header = " ".join(doc.iter("header")[0].text().split())
    assert "sha256:4f1c2a9be07d" in header
    assert "2026-06-01 10:00:00 UTC" in header
    assert "1 min 23 s" in header
    assert "15 / 18 (83.3%)" in header

    gates = doc.by_id("gates-table")
    gate_rows = [tr for tr in gates.iter("tr") if "gate" in tr.classes()]
    assert [tr.attrs["data-gate"] for tr in gate_rows] == [
        "must-handoff recall",
        "cohort gap",
        "no policy breach",
        "time to a human",
        "baseline escape (informational)",
    ]
    assert [("fail" in tr.classes()) for tr in gate_rows] == [True, False, False, False, False]
    recall = row_for(gates, "must-handoff recall")
    assert recall[1:] == [
        "must_handoff_recall", "policy", "\u2265", "98.0%", "96.0%", "FAIL",
        "fraud_takeover.sim_swap.plain@plan=free",
    ]
    assert row_for(gates, "cohort gap")[4:6] == ["0.1", "0.1"]
    assert row_for(gates, "time to a human")[3:6] == ["\u2264", "2.00", "1.60"]
    # A gate with no data passes (the runner's rule) but says so rather than "pass".
    assert row_for(gates, "baseline escape (informational)")[5:7] == ["n/a", "no data"]
    # A contributing run links to its row under failing runs; so does a cohort gate's scenario
    # id (to that scenario's first failing run).
    links = [a.attrs["href"][1:] for a in gates.iter("a")]
    assert len(links) == 2
    assert links[0] == links[1]
    target = doc.by_id(links[0])
    assert target.tag == "tr"
    assert target.words().startswith("fraud_takeover.sim_swap.plain@plan=free")

    failing = doc.by_id("failing-table")
    failing_rows = rows(failing)
    assert len(failing_rows) == 3
    fraud = failing_rows[0]
    assert fraud[0].startswith("fraud_takeover.sim_swap.plain@plan=free")
    assert fraud[1] == "plan = free"
    assert fraud[2:5] == ["2", "3", "none"]
    assert "1 handoff true false" in fraud[5]
    assert "1 risk_at_least critical high" in fraud[5]
    injection = failing_rows[1][5]
    assert '2 segments ["prompt_injection"] ["how_to", "need_unclear"]' in injection
    assert "tool_call:issue_refund deny allow" in injection
    assert "1 human_request true null" in failing_rows[2][5]


def test_overall_metrics_put_policy_beside_baseline_with_the_difference() -> None:
    doc = parse(render_html(realistic_results()))
    table = doc.by_id("overall-table")
    heads = [" ".join(th.text().split()) for th in table.iter("th")]
    assert heads == ["Metric", "Policy", "Baseline", "Policy \u2212 baseline"]
    assert [r[0] for r in rows(table)] == [*METRICS, "max_cohort_gap", "value_bias_count"]
    assert row_for(table, "need_accuracy") == ["need_accuracy", "91.2%", "n/a", "n/a"]
    assert row_for(table, "need_macro_f1")[1] == "0.874"
    assert row_for(table, "must_handoff_recall") == [
        "must_handoff_recall", "96.0%", "41.0%", "\u25b2 +55.0 pp"
    ]
    assert row_for(table, "human_escape_turns") == ["human_escape_turns", "n/a", "2.50", "n/a"]
    assert row_for(table, "time_to_human_turns")[1:] == ["1.60", "3.10", "\u25bc \u22121.50"]
    # Colour follows the metric's direction: fewer wrongful automations is better.
    cells = {
        tr.attrs["data-metric"]: tr.iter("td")[-1].classes() for tr in table.iter("tr")
        if "data-metric" in tr.attrs
    }
    assert "better" in cells["wrongful_automation_rate"]
    assert "worse" in cells["wrongful_escalation_rate"]
    assert "better" in cells["max_cohort_gap"]
    # No good direction: a handoff is right for some traffic, and sensitive conversations go
    # to people on purpose.
    assert "neutral" in cells["escalation_rate"]
    assert "neutral" in cells["sensitive_containment"]
    assert row_for(table, "value_bias_count")[1:] == ["1", "0", "\u25b2 +1"]
    chart = doc.by_id("overall-chart")
    assert chart.tag == "svg"
    bars = [r for r in chart.iter("rect") if "bar" in r.classes()]
    # 13 metrics x 2 arms, less the three null values (no bar for n/a).
    assert len(bars) == 26 - 3
    assert {r.attrs["fill"] for r in bars} == {"#2563eb", "#9ca3af"}
    widths = {r.iter("title")[0].text(): float(r.attrs["width"]) for r in bars}
    assert widths["policy must_handoff_recall: 96.0%"] == pytest.approx(0.96 * 330, abs=0.1)
    assert widths["baseline must_handoff_recall: 41.0%"] == pytest.approx(0.41 * 330, abs=0.1)


def test_segments_need_by_segment_and_cohorts() -> None:
    doc = parse(render_html(realistic_results()))
    seg = doc.by_id("segment-table")
    assert [r[0] for r in rows(seg)] == sorted(SEGMENTS)
    how_to = row_for(seg, "how_to")
    # Policy value, then the baseline's in small print.
    assert how_to[3] == "n/a base 40.0%"
    heat = doc.by_id("segment-heatmap")
    cells = [r for r in heat.iter("rect") if "cell" in r.classes()]
    assert len(cells) == len(SEGMENTS) * len(METRICS)
    breach = {
        c.iter("title")[0].text(): c.attrs["fill"] for c in cells if "policy_breach" in c.text()
    }
    # 25% breach is poor (reddish), 0% is good (green).
    assert breach["prompt_injection / policy_breach_rate: 25.0%"] != breach[
        "billing / policy_breach_rate: 0.0%"
    ]
    assert breach["billing / policy_breach_rate: 0.0%"] == "#bbf7d0"

    need = doc.by_id("need-segment-table")
    need_rows = rows(need)
    assert [r[:2] for r in need_rows][:2] == [
        ["access_restore", "fraud_takeover"], ["access_restore", "lockout"]
    ]
    assert len(need_rows) == 7

    cohorts = doc.by_id("cohorts")
    plan = next(t for t in cohorts.iter("table") if "free" in t.text())
    flagged = [tr for tr in plan.iter("tr") if "flagged" in tr.classes()]
    assert [tr.attrs["data-metric"] for tr in flagged] == ["must_handoff_recall"]
    recall = row_for(plan, "must_handoff_recall")
    assert recall == [
        "must_handoff_recall", "100.0%", "90.0% min", "100.0% max", "10.0 pp", "0.0 pp",
        "30.0 pp", "over tolerance",
    ]
    assert row_for(plan, "escalation_rate")[-1] == "within"
    assert row_for(plan, "need_accuracy")[-1] == "not checked"
    # Level cohorts get no min/max marks.
    locale = next(t for t in cohorts.iter("table") if "de-DE" in t.text())
    assert row_for(locale, "need_accuracy") == [
        "need_accuracy", "93.0%", "93.0%", "93.0%", "93.0%", "0.0 pp", "0.0 pp", "\u2014",
        "within",
    ]
    bias = " ".join(doc.by_id("cohorts").iter("ul")[-1].text().split())
    assert "policy (1): fraud_takeover.sim_swap.plain" in bias
    assert "baseline (0): none" in bias


def test_languages_show_each_language_with_its_gap_to_english() -> None:
    results = realistic_results()
    results["arms"]["policy"]["metrics"].update({
        "language_human_escape_min": 0.95, "language_recall_gap": 0.06,
        "language_wrongful_gap": -0.03, "languages_under_min_scenarios": 1.0,
    })
    doc = parse(render_html(results))
    table = doc.by_id("language-table")
    assert [r[0] for r in rows(table)] == ["en", "es", "hi"]  # the file's order: English first
    english = row_for(table, "en")
    assert english[1:3] == ["52", "180"]
    assert english[3:7] == ["100.0% base 100.0%", "96.0% base 40.0%", "7.0% base 7.0%",
                            "91.2% base 91.2%"]
    spanish = row_for(table, "es")
    assert spanish[1:3] == ["44", "44"]
    assert spanish[3] == "95.0% \u22125.0 pp vs en base 95.0%"
    assert spanish[4].startswith("90.0% \u22126.0 pp vs en")
    assert spanish[5].startswith("4.0% \u22123.0 pp vs en")
    cells = {tr.attrs["data-language"]: tr.iter("td") for tr in table.iter("tr")
             if "data-language" in tr.attrs}
    recall_gap, wrongful_gap = (cells["es"][i].iter("span")[0] for i in (4, 5))
    assert "worse" in recall_gap.classes()  # recall below English
    assert "better" in wrongful_gap.classes()  # fewer wrongful escalations than English
    hindi = row_for(table, "hi")
    assert hindi[1] == "12 under 40"  # short of scenarios: badged and highlighted
    assert hindi[4].startswith("n/a")  # no data for the metric: no gap either
    assert "vs en" not in hindi[4]
    flagged = [tr.attrs["data-language"] for tr in table.iter("tr") if "flagged" in tr.classes()]
    assert flagged == ["hi"]
    gaps = {div.attrs["data-metric"]: div.words() for div in doc.by_id("language-gaps").iter("div")}
    assert gaps == {
        "language_human_escape_min": "Lowest human escape 95.0%",
        "language_recall_gap": "Must-handoff recall gap to en 6.0 pp",
        "language_wrongful_gap": "Wrongful escalation gap to en -3.0 pp",
        "languages_under_min_scenarios": "Languages under 40 scenarios 1",
    }
    # The overall table lists the language metrics too, as percentages where they are shares.
    overall = doc.by_id("overall-table")
    assert row_for(overall, "language_recall_gap")[1] == "6.0%"
    assert row_for(overall, "language_human_escape_min")[1] == "95.0%"


def test_drift_shows_deltas_need_mix_and_newly_failing_runs() -> None:
    doc = parse(render_html(realistic_results()))
    drift = doc.by_id("drift")
    assert "sha256:9d0e11aa3c42" in drift.text()
    table = doc.by_id("drift-table")
    assert row_for(table, "must_handoff_recall") == [
        "must_handoff_recall", "100.0%", "96.0%", "\u25bc \u22124.0 pp"
    ]
    assert row_for(table, "policy_breach_rate")[-1] == "\u25ac \u00b10.0 pp"
    assert row_for(table, "human_escape_turns")[1:] == ["n/a", "n/a", "n/a"]
    # escalation_rate comes from the separate block when metrics_delta lacks it.
    assert row_for(table, "escalation_rate")[1:] == ["28.0%", "31.0%", "\u25b2 +3.0 pp"]
    changes = {
        tr.attrs["data-metric"]: tr.iter("td")[-1].classes()
        for tr in table.iter("tr") if "data-metric" in tr.attrs
    }
    assert "worse" in changes["must_handoff_recall"]
    assert "worse" in changes["time_to_human_turns"]
    assert "better" in changes["wrongful_escalation_rate"]
    assert "better" in changes["need_accuracy"]
    mix = doc.by_id("need-mix-chart")
    titles = [r.iter("title")[0].text() for r in mix.iter("rect") if "bar" in r.classes()]
    assert "billing before: 30.0%" in titles
    assert "billing after: 22.0%" in titles
    assert len(titles) == 10
    seg = doc.by_id("segment-drift-table")
    assert row_for(seg, "fraud_takeover")[2] == "\u25bc \u221210.0 pp"
    newly_failing = doc.by_id("newly-failing")
    link = newly_failing.iter("a")[0]
    assert doc.by_id(link.attrs["href"][1:]).tag == "tr"
    assert "incident.outage.status" in doc.by_id("newly-passing").text()


def test_a_passing_run_without_baseline_or_compare() -> None:
    results = realistic_results(failing=False)
    del results["arms"]["baseline"]
    results["compare"] = None
    doc = parse(render_html(results))
    verdict = doc.by_id("verdict")
    assert "pass" in verdict.classes()
    assert "PASSED" in verdict.text()
    assert "all gates passed; every run passed" in verdict.text()
    heads = [th.text() for th in doc.by_id("overall-table").iter("th")]
    assert heads == ["Metric", "Policy"]
    assert "no baseline arm" in doc.by_id("overall").text()
    bars = [r for r in doc.by_id("overall-chart").iter("rect") if "bar" in r.classes()]
    assert {r.attrs["fill"] for r in bars} == {"#2563eb"}
    assert "No previous run to compare with." in doc.by_id("drift").text()
    assert "All 15 runs passed." in doc.by_id("failing").text()
    assert "baseline" not in doc.by_id("value-bias").parent.iter("ul")[-1].text()


@pytest.mark.parametrize(
    "results",
    [
        {},
        {"version": 1, "arms": {}, "gates": [], "runs": [], "compare": None},
        {"version": 2, "passed": True, "arms": {"policy": {"metrics": {"need_accuracy": None}}},
         "runs": [{"id": "r1"}], "compare": {"previous": {}}},
        {"version": 1, "arms": {"policy": None, "baseline": "junk"}, "gates": [None, {}],
         "runs": [None, {"passed": False, "failures": [None]}], "compare": {"need_mix": {"x": {}}},
         "duration_s": float("nan"), "started_at": "yesterday"},
        {"version": 1, "arms": {"policy": {"metrics": {"language_recall_gap": "x"},
                                           "by_language": {"xx": None, "yy": {"metrics": [1],
                                                                              "scenarios": "a"}}},
                                "baseline": {"by_language": []}}},
    ],
    ids=["empty", "no-runs", "future-version", "junk", "junk-languages"],
)
def test_missing_or_odd_parts_do_not_crash(results: dict[str, Any]) -> None:
    page = render_html(results)
    doc = parse(page)
    for section in SECTIONS:
        assert doc.by_id(section).tag == "section"
    assert page.count("<script") == 1
    if not results:
        assert "NO VERDICT" in doc.by_id("verdict").text()
        assert "No runs in this file." in doc.by_id("failing").text()
        assert "No gates configured." in doc.by_id("gates").text()
    if results.get("version") == 2:
        assert "this file says version 2" in page
        assert row_for(doc.by_id("overall-table"), "need_accuracy") == ["need_accuracy", "n/a"]


def test_formatting_of_nulls_percentages_and_turns() -> None:
    results = realistic_results()
    results["arms"]["policy"]["metrics"] = metrics(
        need_accuracy=None, sensitive_containment=0.5, time_to_human_turns=2.25, escalation_rate=1
    )
    table = parse(render_html(results)).by_id("overall-table")
    assert row_for(table, "need_accuracy")[1] == "n/a"
    assert row_for(table, "sensitive_containment")[1] == "50.0%"
    assert row_for(table, "human_escape_success")[1] == "100.0%"
    assert row_for(table, "time_to_human_turns")[1] == "2.25"
    assert row_for(table, "escalation_rate")[1] == "100.0%"


def test_every_user_string_is_escaped() -> None:
    page = render_html(hostile_results())
    for raw in (HOSTILE, MARKER_SCRIPT, MARKER_IMG, QUOTE_BREAKER):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onmouseover="alert' not in page
    assert "<img" not in page
    assert page.count("<script") == 1
    doc = parse(page)
    assert len(doc.iter("script")) == 1
    assert doc.iter("img") == []
    assert all("onmouseover" not in n.attrs and "onerror" not in n.attrs for n in doc.iter())
    # The hostile strings are there as text, where the page puts them.
    assert HOSTILE in doc.by_id("failing-table").text()
    assert MARKER_SCRIPT in doc.by_id("failing-table").text()
    assert MARKER_IMG in doc.by_id("value-bias").parent.text()
    assert HOSTILE in doc.by_id("gates-table").text()
    assert HOSTILE in doc.by_id("newly-failing").text()
    gate_names = [tr.attrs["data-gate"] for tr in doc.iter("tr") if "data-gate" in tr.attrs]
    assert gate_names[0] == QUOTE_BREAKER
    assert MARKER_SCRIPT in doc.iter("title")[0].text()


def test_the_page_loads_nothing_from_the_network() -> None:
    page = render_html(realistic_results())
    for needle in ("http://", "https://", "src=", "<link", "url(", "@import", "//fonts", "<iframe"):
        assert needle not in page, needle
    doc = parse(page)
    hrefs = [a.attrs.get("href", "") for a in doc.iter("a")]
    assert hrefs
    assert all(h.startswith("#") for h in hrefs)
    # Every in-page link has a target, and no id is used twice.
    all_ids = [n.attrs["id"] for n in doc.iter() if "id" in n.attrs]
    assert len(all_ids) == len(set(all_ids))
    assert {h[1:] for h in hrefs} <= set(all_ids)
    csp = next(
        m.attrs["content"] for m in doc.iter("meta")
        if m.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    # The one script is allowed by its hash, so the browser runs it (and nothing else).
    script = doc.iter("script")[0].text()
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp


# ---------------------------------------------------------------------------------------------
# A real browser
# ---------------------------------------------------------------------------------------------

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the HTML report tests need a real headless browser. "
            "Install Debian's Chromium with `apt-get install -y chromium`."
        )
    return CHROMIUM


def browse(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run(
        [str(chromium()), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def html_tag(dom: str) -> str:
    match = re.search(r"<html[^>]*>", dom)
    assert match is not None, dom[:500]
    return match.group(0)


def test_chromium_renders_the_report_and_runs_no_injected_script(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(hostile_results()), encoding="utf-8")
    dom = browse(tmp_path, report, "--dump-dom").stdout
    root = html_tag(dom)
    # The page's own script ran (allowed by its CSP hash) and nothing injected did.
    assert 'data-js="1"' in root
    assert "data-pwned" not in root
    doc = parse(dom)
    assert len(doc.iter("script")) == 1
    assert doc.iter("img") == []
    assert all("onerror" not in n.attrs and "onmouseover" not in n.attrs for n in doc.iter())
    # The script added the filter boxes to the long tables.
    assert len([i for i in doc.iter("input") if "filter" in i.classes()]) >= 2
    for table_id in ("gates-table", "overall-table", "segment-table", "need-segment-table",
                     "language-table", "drift-table", "segment-drift-table", "failing-table"):
        assert doc.by_id(table_id).tag == "table"
    languages = [r[0] for r in rows(doc.by_id("language-table"))]
    assert languages == ["en", "es", "hi", MARKER_SCRIPT]  # the hostile code as text
    svgs = {s.attrs.get("id") for s in doc.iter("svg")}
    assert {"overall-chart", "segment-heatmap", "need-mix-chart"} <= svgs
    assert len(doc.by_id("segment-heatmap").iter("rect")) == (len(SEGMENTS) + 1) * len(METRICS)
    gate_rows = [tr for tr in doc.by_id("gates-table").iter("tr") if "data-gate" in tr.attrs]
    assert len(gate_rows) == 5
    assert gate_rows[0].attrs["data-gate"] == QUOTE_BREAKER
    # The hostile id is text in the failing runs and gates, escaped, not markup.
    assert HOSTILE in doc.by_id("failing-table").text()
    assert HOSTILE in doc.by_id("gates-table").text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_chromium_reads_the_page_without_its_script(tmp_path: Path) -> None:
    # (Chromium's --dump-dom prints nothing with scripting disabled, so drop the script.)
    page, n = re.subn(r"<script>.*?</script>", "", render_html(realistic_results()), flags=re.S)
    assert n == 1
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    dom = browse(tmp_path, report, "--dump-dom").stdout
    assert "data-js" not in html_tag(dom)
    doc = parse(dom)
    assert doc.iter("input") == []
    assert len(rows(doc.by_id("failing-table"))) == 3
    assert "FAILED" in doc.by_id("verdict").text()
    assert len(doc.iter("svg")) == 3


# Run after the page's own script: sort the overall table by the policy column, filter the
# failing runs, read two computed colours (the inline CSS applied under the page's CSP), and
# write what the page then shows onto <html> for --dump-dom to carry out.
PROBE = """
(function(){
var d=document,t=d.getElementById("overall-table");
t.tHead.rows[0].cells[1].click();
var up=Array.prototype.map.call(t.tBodies[0].rows,function(r){return r.cells[0].textContent;});
t.tHead.rows[0].cells[1].click();
var down=Array.prototype.map.call(t.tBodies[0].rows,function(r){return r.cells[0].textContent;});
var f=d.getElementById("failing-table");
var box=f.closest(".scroll").previousElementSibling;
box.value="HINGLISH";box.dispatchEvent(new Event("input"));
var shown=Array.prototype.filter.call(f.tBodies[0].rows,function(r){return !r.hidden;}).length;
var banner=getComputedStyle(d.getElementById("verdict")).backgroundColor;
var flagged=getComputedStyle(d.querySelector("tr.flagged td")).backgroundColor;
d.documentElement.setAttribute("data-probe",JSON.stringify(
{up:up,down:down,shown:shown,banner:banner,flagged:flagged}));
})();
"""


def test_chromium_applies_the_css_and_sorts_and_filters_with_the_script(tmp_path: Path) -> None:
    page = render_html(realistic_results())
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    page = page.replace("script-src 'sha256-", f"script-src 'sha256-{digest}' 'sha256-", 1)
    page = page.replace("</body>", f"<script>{PROBE}</script></body>", 1)
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    dom = browse(tmp_path, report, "--dump-dom").stdout
    probe = parse(dom).iter("html")[0].attrs.get("data-probe")
    assert probe is not None, "the probe script did not run"
    result = json.loads(probe)
    ascending = [
        "policy_breach_rate", "wrongful_automation_rate", "wrongful_escalation_rate",
        "max_cohort_gap", "escalation_rate", "need_macro_f1", "need_accuracy",
        "sensitive_containment", "must_handoff_recall", "human_escape_success",
        "value_bias_count", "time_to_human_turns",
        "human_escape_turns",  # n/a sorts last either way
    ]
    assert result["up"] == ascending
    assert result["down"] == [*ascending[-2::-1], "human_escape_turns"]
    assert result["shown"] == 1
    assert result["banner"] == "rgb(185, 28, 28)"  # the FAILED banner's red
    assert result["flagged"] == "rgb(254, 226, 226)"  # a flagged cohort row


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chromium_screenshot_of_a_realistic_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(realistic_results()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    browse(tmp_path, report, f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file()
    data = shot.read_bytes()
    assert len(data) > 10 * 1024
    assert png_size(data) == (1280, 2000)
    # A copy for a person to look at.
    shutil.copyfile(shot, SCREENSHOT_COPY)
    assert SCREENSHOT_COPY.read_bytes() == data


def test_the_hostile_results_are_not_mutated_by_rendering() -> None:
    results = hostile_results()
    before = copy.deepcopy(results)
    render_html(results)
    assert results == before


def test_the_governance_report_is_drawn_in_the_same_page_shell() -> None:
    from guardrail.governance.report_html import render_html as governance_html

    pages = [render_html(realistic_results()), governance_html({"period": {"since": HOSTILE}})]
    heads = {page.partition("<title>")[0] for page in pages}
    tails = {page.rpartition("</main>")[2] for page in pages}
    assert len(heads) == 1
    assert len(tails) == 1
    assert "Content-Security-Policy" in heads.pop()
    assert "<script>" in tails.pop()
    assert HOSTILE not in pages[1]
