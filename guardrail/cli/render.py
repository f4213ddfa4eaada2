"""A readable terminal view of a Decision (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from guardrail.decision import Decision

__all__ = ["render_decision"]

_RISK_STYLE = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}


def render_decision(decision: Decision, console: Console | None = None) -> None:
    """Print `decision` as a summary table, a segments table and a tools table."""
    console = console or Console()
    summary = Table(title="guardrail decision", show_header=False, title_justify="left")
    summary.add_column("field", style="bold")
    summary.add_column("value")
    summary.add_row("need-state", f"{decision.need_state} ({decision.need_confidence:.2f})")
    style = _RISK_STYLE[decision.risk_tier]
    summary.add_row("risk tier", f"[{style}]{decision.risk_tier}[/{style}]")
    handoff = decision.handoff
    if handoff.required:
        summary.add_row(
            "handoff",
            f"[bold red]REQUIRED[/bold red] ({handoff.mode}) -> {handoff.queue}, "
            f"priority {handoff.priority}",
        )
    else:
        summary.add_row("handoff", "offered" if handoff.offered else "not required")
    summary.add_row("directives", ", ".join(decision.directives) or "-")
    summary.add_row("retrieval scope", ", ".join(decision.retrieval_scope) or "(none)")
    summary.add_row("policy version", decision.policy_version)
    if decision.failsafe:
        summary.add_row("failsafe", "[bold red]yes: restricted because a component failed[/]")
    console.print(summary)

    segments = Table(title="segments and reasons", title_justify="left")
    segments.add_column("segment", style="bold")
    segments.add_column("tier")
    segments.add_column("reason code")
    segments.add_column("why")
    for seg in decision.segments:
        for i, reason in enumerate(seg.reasons):
            segments.add_row(seg.id if i == 0 else "", seg.tier if i == 0 else "", str(reason),
                             reason.sentence())
    console.print(segments)

    tools = Table(title="tools", title_justify="left")
    tools.add_column("tool", style="bold")
    tools.add_column("verdict")
    tools.add_column("because")
    colours = {"allow": "green", "confirm": "yellow", "deny": "red"}
    for verdict in decision.tools:
        colour = colours[verdict.verdict]
        why = "; ".join(r.explanation for r in verdict.reasons) or "-"
        tools.add_row(verdict.tool, f"[{colour}]{verdict.verdict}[/{colour}]", why)
    console.print(tools)
