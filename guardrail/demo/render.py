"""The demo's terminal view: each turn's decision, the gate's verdicts and the handoffs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from guardrail.demo.runner import ScenarioRun, TurnRun

__all__ = ["render_runs", "runs_as_json"]

_RISK = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}
_ACTION = {"allow": "[green]allowed[/green]", "deny": "[bold red]DENIED[/bold red]",
           "confirm": "[yellow]needs confirmation[/yellow]"}


def _verdict(call: dict[str, Any]) -> str:
    """One line for a gated call: the verdict, the first reasons, and any bound argument."""
    codes = [c for c in call.get("reason_codes", []) if not c.startswith("policy.confirm#")]
    line = f"tool [bold]{escape(call['tool'])}[/bold] -> {_ACTION[call['action']]}"
    if codes and (call["action"] != "allow" or codes[0].startswith("policy.confirmed")):
        line += f": {escape(', '.join(codes[:2]))}"
    if call.get("bound"):
        line += f" ({', '.join(call['bound'])} bound to the session customer)"
    if call.get("quarantine"):
        line += (f"; [yellow]its result carried instructions to the assistant, withheld from "
                 f"the model[/yellow] ({escape(', '.join(call['quarantine'][:2]))})")
    return line


def _turn(console: Console, turn: TurnRun) -> None:
    d = turn.decision
    console.print(f"  [bold cyan]customer >[/bold cyan] {escape(turn.user)}")
    risk = d.get("risk_tier", "?")
    console.print(
        f"  [bold]guardrail[/bold]  need [bold]{d.get('need_state')}[/bold] "
        f"({d.get('need_confidence', 0):.2f}) · risk [{_RISK.get(risk, '')}]{risk}[/] · "
        f"segments {', '.join(d.get('segments', [])) or '(none)'}"
    )
    pad = " " * 13
    handoff = d.get("handoff", {})
    if handoff.get("required"):
        why = escape(", ".join(handoff.get("reasons", [])[:3]))
        console.print(f"{pad}[bold red]HANDOFF[/bold red] -> {handoff.get('queue')} "
                      f"({handoff.get('priority')}): {why}")
        console.print(f"{pad}the model is not called; the run ends with the handoff message")
    if turn.model_calls:
        shown = turn.model_calls[0].tools
        console.print(f"{pad}model sees {len(shown)} tool(s): {', '.join(shown) or '(none)'}")
        denied = d.get("denied_tools", {})
        hidden = [t for t in ("issue_refund", "cancel_subscription", "reset_mfa") if t in denied]
        if hidden:
            console.print(f"{pad}hidden: " + "; ".join(
                f"{t} ({escape(', '.join(denied[t][:1]))})" for t in hidden))
    for call in turn.tool_calls:
        console.print(f"{pad}{_verdict(call)}")
    for source, codes in turn.quarantined:
        console.print(f"{pad}[yellow]document {escape(source)} carried instructions to the "
                      f"assistant: withheld from the model[/yellow] "
                      f"({escape(', '.join(codes[:2]))})")
    for confirmation in turn.confirmations:
        console.print(f"{pad}[yellow]paused for consent[/yellow]: "
                      f"{escape(confirmation.get('question', ''))} -> customer says "
                      f"[bold]{confirmation.get('answer')}[/bold]")
    for call in turn.unplayed:
        console.print(f"{pad}the script's model would have called it anyway: {_verdict(call)}")
    console.print(f"  [bold magenta]assistant >[/bold magenta] {escape(turn.reply)}")
    if turn.handoff:
        from guardrail.handoff.summary import HandoffSummary

        fields = {k: v for k, v in turn.handoff.items() if k != "delivery"}
        summary = HandoffSummary.model_validate(fields)
        console.print(Panel(Markdown(summary.to_markdown()),
                            title=f"handoff summary ({turn.handoff.get('delivery')})",
                            border_style="red", padding=(0, 1)))
    console.print()


def render_runs(runs: list[ScenarioRun], console: Console | None = None) -> None:
    """Print every scenario turn by turn, then one line per scenario."""
    console = console or Console()
    for i, run in enumerate(runs, 1):
        s = run.scenario
        console.rule(f"[bold]{i}/{len(runs)} {escape(s.title)}[/bold]", align="left")
        ctx = " · ".join(f"{k} {v}" for k, v in s.context.items())
        console.print(f"  [dim]shows: {escape(s.shows)}[/dim]")
        console.print(f"  [dim]context: {escape(ctx)}[/dim]\n")
        for turn in run.turns:
            _turn(console, turn)
    table = Table(title="What really happened", title_justify="left")
    table.add_column("scenario")
    table.add_column("handoff")
    table.add_column("tools that ran")
    table.add_column("calls stopped")
    for run in runs:
        stopped = [c["tool"] for t in run.turns for c in t.tool_calls if c["action"] == "deny"]
        stopped += [f"{c['tool']} (model not called)" for t in run.turns for c in t.unplayed]
        table.add_row(
            run.scenario.id,
            ", ".join(h.queue or "?" for h in run.handoffs) or "-",
            ", ".join(e["tool"] for e in run.executed) or "-",
            ", ".join(stopped) or "-",
        )
    console.print(table)


def runs_as_json(runs: list[ScenarioRun]) -> list[dict[str, Any]]:
    """The runs as JSON-ready dicts (for ``guardrail demo --json``)."""
    return [
        {
            "scenario": run.scenario.id,
            "turns": [
                {
                    "user": t.user,
                    "decision": t.decision,
                    "tools_shown": [c.tools for c in t.model_calls],
                    "tool_calls": t.tool_calls,
                    "confirmations": t.confirmations,
                    "unplayed": t.unplayed,
                    "reply": t.reply,
                    "handoff": t.handoff,
                    "quarantined": [{"source": s, "reason_codes": c} for s, c in t.quarantined],
                }
                for t in run.turns
            ],
            "executed": run.executed,
            "retrieved": run.retrieved,
            "handoffs": [h.model_dump(mode="json") for h in run.handoffs],
        }
        for run in runs
    ]
