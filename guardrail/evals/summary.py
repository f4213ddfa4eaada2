"""The terminal view of an `EvalReport`: metrics side by side, one line per language, gates,
what failed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from guardrail.evals.report import ArmReport, CascadeReport, Comparison, EvalReport, RunReport
from guardrail.evals.schema import DEFAULT_LANGUAGE

__all__ = ["cascade_line", "print_summary", "verdict_line"]

_SHOWN_IDS = 15
_SHOWN_RUNS = 20
# The per-language line: (metric, label).
_LANGUAGE_COLUMNS = (
    ("human_escape_success", "human escape"),
    ("must_handoff_recall", "must-handoff recall"),
    ("wrongful_escalation_rate", "wrongful escalation"),
    ("need_accuracy", "need accuracy"),
)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _by_scenario(ids: Sequence[str]) -> dict[str, list[str]]:
    """Run ids grouped by scenario (a cohort run's id is ``scenario@dimension=value``)."""
    groups: dict[str, list[str]] = {}
    for run_id in ids:
        groups.setdefault(run_id.split("@", 1)[0], []).append(run_id)
    return groups


def _ids(ids: Sequence[str]) -> str:
    """Ids for one line: a scenario's cohort runs folded into one entry."""
    entries = [members[0] if len(members) == 1 else f"{scenario} ({len(members)} runs)"
               for scenario, members in _by_scenario(ids).items()]
    shown = ", ".join(entries[:_SHOWN_IDS])
    more = f" (and {len(entries) - _SHOWN_IDS} more)" if len(entries) > _SHOWN_IDS else ""
    return shown + more


def cascade_line(cascade: CascadeReport) -> str:
    """One line: how many user turns the LLM cascade sent to its LLM, and why."""
    share = "n/a" if cascade.share is None else f"{cascade.share:.1%}"
    why = ", ".join(f"{reason} {n}" for reason, n in cascade.by_reason.items()) or "none"
    return (f"LLM cascade: {cascade.consulted} of {cascade.turns} user turns reached the LLM "
            f"({share}; {why})")


def print_summary(results: EvalReport, console: Console | None = None) -> None:
    """Print the overall metrics, the gates, flagged disparities and the failing runs."""
    console = console or Console()
    console.print(Text(
        f"guardrail eval: policy {results.policy_version} ({results.registry}); "
        f"{results.scenarios_total} scenarios, {results.runs_total} runs, "
        f"{results.runs_passed} passed; {results.duration_s:.1f}s"), soft_wrap=True)
    policy = results.policy.metrics
    baseline = None if results.baseline is None else results.baseline.metrics
    table = Table(title="metrics", title_justify="left")
    table.add_column("metric")
    table.add_column("policy", justify="right")
    if baseline is not None:
        table.add_column("baseline", justify="right")
        table.add_column("policy - baseline", justify="right")
    for name, value in policy.items():
        row = [name, _num(value)]
        if baseline is not None:
            other = baseline.get(name)
            diff = value - other if value is not None and other is not None else None
            row += [_num(other), "-" if diff is None else f"{diff:+.3f}"]
        table.add_row(*row)
    console.print(table)
    for line, short in _language_lines(results.policy):
        console.print(Text(line, style="yellow" if short else ""), soft_wrap=True)
    if results.cascade is not None:
        console.print(Text(cascade_line(results.cascade)), soft_wrap=True)

    if results.gates:
        gates = Table(title="gates", title_justify="left")
        for column in ("gate", "arm", "condition", "value", "result"):
            gates.add_column(column)
        for gate in results.gates:
            verdict = ("[green]pass[/green]" if gate.value is not None else "n/a (no data)"
                       ) if gate.passed else "[bold red]FAIL[/bold red]"
            gates.add_row(gate.name, gate.arm, f"{gate.metric} {gate.op} {gate.threshold:g}",
                          _num(gate.value), verdict)
        console.print(gates)
    for gate in results.gates:
        if not gate.passed:
            console.print(Text(
                f"FAILED gate {gate.name}: {gate.arm} {gate.metric} = "
                f"{gate.value or 0.0:.4f}, needs {gate.op} {gate.threshold:g}; scenarios: "
                f"{_ids(gate.scenarios) or '(none named)'}", style="red"), soft_wrap=True)

    for arm_name, arm in results.arms.items():
        for d in arm.disparities:
            if d.flagged:
                console.print(Text(
                    f"{arm_name}: cohort disparity in {d.metric} across {d.dimension}: "
                    f"{d.min.group} {d.min.value:.3f} vs {d.max.group} {d.max.value:.3f} "
                    f"(gap {d.gap:.3f} > {d.tolerance:g})", style="yellow"), soft_wrap=True)
        if arm.value_bias:
            console.print(Text(f"{arm_name}: value bias (high risk, handed off under one "
                               f"cohort value and not another): {_ids(arm.value_bias)}",
                               style="red"), soft_wrap=True)

    failing = [r for r in results.runs if not r.passed]
    if failing:
        totals = {k: len(v) for k, v in _by_scenario([r.id for r in results.runs]).items()}
        first: dict[str, RunReport] = {}
        count: dict[str, int] = {}
        for run in failing:
            first.setdefault(run.scenario, run)
            count[run.scenario] = count.get(run.scenario, 0) + 1
        table = Table(title=f"failing scenarios ({len(first)}; {len(failing)} runs)",
                      title_justify="left")
        table.add_column("scenario", overflow="fold")
        table.add_column("runs", justify="right")
        table.add_column("first failure", overflow="fold")
        for scenario, run in list(first.items())[:_SHOWN_RUNS]:
            f = run.failures[0]
            more = f" (+{len(run.failures) - 1})" if len(run.failures) > 1 else ""
            table.add_row(Text(scenario), f"{count[scenario]}/{totals.get(scenario, 1)}", Text(
                f"{run.id.removeprefix(scenario) or ''} turn {f.turn} {f.check}: "
                f"expected {f.expected!r}, got {f.actual!r}{more}".lstrip()))
        if len(first) > _SHOWN_RUNS:
            table.caption = f"and {len(first) - _SHOWN_RUNS} more (see results.json)"
        console.print(table)

    if results.compare is not None:
        _print_compare(results.compare, console)
    failed = results.runs_total - results.runs_passed
    style = "bold red" if not results.passed else "bold yellow" if failed else "bold green"
    console.print(Text(verdict_line(results), style=style), soft_wrap=True)


def verdict_line(results: EvalReport) -> str:
    """The last line: the gates' verdict and, always beside it, how many runs failed (gates are
    floors, so they can pass while runs fail; a green PASSED alone hid that)."""
    failing_gates = sum(not gate.passed for gate in results.gates)
    if not results.gates:
        gates = "no gates"
    elif results.passed:
        gates = "gates PASSED"
    else:
        gates = f"gates FAILED ({failing_gates} of {len(results.gates)})"
    failed = results.runs_total - results.runs_passed
    runs = (f"all {results.runs_total:,} runs passed" if not failed else
            f"{failed:,} of {results.runs_total:,} runs failed (failing scenarios listed above)")
    return f"{gates} \N{EM DASH} {runs}"


def _language_lines(arm: ArmReport) -> list[tuple[str, bool]]:
    """One line per language (its figures, and for the others the difference to English), and
    whether it has fewer scenarios than the config asks for."""
    english = arm.by_language.get(DEFAULT_LANGUAGE)
    lines = []
    for code, language in arm.by_language.items():
        figures = []
        for metric, label in _LANGUAGE_COLUMNS:
            value = language.metrics.get(metric)
            base = None if english is None or code == DEFAULT_LANGUAGE else (
                english.metrics.get(metric))
            versus = (f" ({value - base:+.3f} vs {DEFAULT_LANGUAGE})"
                      if value is not None and base is not None else "")
            figures.append(f"{label} {_num(value)}{versus}")
        short = "" if language.enough_scenarios else f" (fewer than {language.min_scenarios})"
        lines.append((f"language {code}: {language.scenarios} scenarios{short}, "
                      f"{language.runs} runs; {', '.join(figures)}",
                      not language.enough_scenarios))
    return lines


def _print_compare(compare: Comparison, console: Console) -> None:
    previous = compare.previous
    table = Table(title=f"since {previous.policy_version} ({previous.started_at})",
                  title_justify="left")
    for column in ("metric", "before", "after", "delta"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, delta in compare.metrics_delta.items():
        if delta.before is None and delta.after is None:
            continue
        change = "-" if delta.delta is None else f"{delta.delta:+.3f}"
        table.add_row(name, _num(delta.before), _num(delta.after), change)
    console.print(table)
    for ids, label in ((compare.newly_failing, "newly failing"),
                       (compare.newly_passing, "newly passing")):
        if ids:
            console.print(Text(f"{label}: {_ids(ids)}"), soft_wrap=True)
