"""Human-readable terminal output for briefs and proposals (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from agent.domain.display import shown
from agent.services.brief import Brief
from agent.services.proposals import ProposalView


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return "(empty)" if value is None else str(value)


def print_brief(console: Console, brief: Brief) -> None:
    console.print(f"[bold]{brief.meeting_title}[/bold]  {brief.meeting_start:%Y-%m-%d %H:%M} UTC")
    console.print(
        f"{brief.account_name} · {brief.deal_name} · stage [bold]{brief.stage}[/bold]"
        f" · {brief.currency} {_show(brief.amount)} · close {brief.close_date or '—'}"
    )
    console.print(
        f"Next step: {brief.next_step or '—'}   Competitors: {_show(list(brief.competitors))}"
    )
    console.print(
        f"Last touch: {brief.last_touch:%Y-%m-%d}" if brief.last_touch else "Last touch: —"
    )
    people = Table(title="People")
    for column in ("name", "title", "email", "role"):
        people.add_column(column)
    for c in brief.contacts:
        people.add_row(c.name, c.title or "", c.email, c.role or "")
    console.print(people)
    for step in brief.open_next_steps:
        console.print(f"• open: {step.subject}" + (f" (due {step.due})" if step.due else ""))
    for note in brief.notes:
        console.print(f"[dim]{note.created_at:%Y-%m-%d}[/dim] {note.text}")


def print_proposal(console: Console, view: ProposalView) -> None:
    console.print(
        f"[bold]{view.meeting_title}[/bold]  proposal {view.id} · {view.status} · "
        f"engine {view.engine} · prompt {view.prompt_version}"
    )
    console.print(view.summary)
    for step in view.next_steps:
        due = f" (due {step['due']})" if step.get("due") else ""
        console.print(f"• {step['owner']}: {step['action']}{due}")
    table = Table(title="Proposed changes")
    for column in ("id", "field", "before → after", "evidence", "status"):
        table.add_column(column)
    for c in view.changes:
        after = c.final_value if c.status == "edited" else c.after
        flag = " [yellow](critical)[/yellow]" if c.critical else ""
        table.add_row(
            c.id,
            c.field + flag,
            f"{_show(c.before)} → {_show(after)}",
            f"“{c.evidence.get('quote', '')}”",
            c.status,
        )
    console.print(table)
    for c in view.changes:
        for found in c.flags:
            console.print(f"[yellow]look twice[/yellow] {c.id} {c.field}: {found['message']}")
    for m in view.mentioned:
        console.print(
            f"[dim]mentioned, not proposed:[/dim] {m['field']} = {_show(m['value'])} "
            f"(“{m['evidence']['quote']}”): {m['reason']}"
        )
    if view.dropped_count:
        console.print(f"[dim]{view.dropped_count} suggestion(s) dropped by validation[/dim]")


def revert_lines(view: ProposalView) -> tuple[list[str], list[str]]:
    """One line per change with a revert, and the reasons of those that could not be done."""
    lines: list[str] = []
    problems: list[str] = []
    for c in view.changes:
        revert = c.revert
        if revert is None:
            continue
        lines.append(f"{c.id}  {c.field:<20} {c.status} (revert {revert['status']})")
        if revert["status"] == "conflict":
            problems.append(
                f"{c.id} {c.field} not reverted: the CRM now holds "
                f"{shown(revert['conflict_value'])}, not the value Engage wrote"
            )
        elif revert["status"] in ("failed", "pending"):
            problems.append(f"{c.id} {c.field} not reverted: {revert['error'] or 'still queued'}")
    return lines, problems
