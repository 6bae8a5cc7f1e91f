"""`engage eval export-reviews` and `engage shadow report`: what RevOps reads before trusting
Engage with writes.

Registered by `eval.cli` (on `engage eval`) and by `agent.cli` (the `shadow` group). `agent.cli`
is imported inside the commands: `eval.cli` may be imported first, in the middle of which
`agent.cli` registers `eval` again. Both run as the local operator.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from agent.services import review_export
from agent.worker.delivery_jobs import redaction_kinds, shadow_report, start_of

SinceOption = Annotated[str, typer.Option("--since", help="First day, YYYY-MM-DD.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _day(text: str | None, option: str = "--since") -> date | None:
    from agent import cli

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        cli.fail(f"{option} must be YYYY-MM-DD, not {text!r}", 2)


def register_export(eval_app: typer.Typer) -> None:
    @eval_app.command("export-reviews")
    def export_reviews(
        out: Annotated[Path, typer.Argument(help="Where to write the JSONL dataset.")],
        since: SinceOption,
    ) -> None:
        """Reviewed proposals as eval dataset lines (transcripts redacted per ENGAGE_REDACT)."""
        from agent import cli

        start = start_of(_day(since))
        assert start is not None
        with cli.runtime() as rt:
            kinds = redaction_kinds(rt)
            with rt.db.session() as session:
                result = review_export.export_reviews(session, since=start, kinds=kinds)
        try:
            with out.open("w", encoding="utf-8") as handle:
                for line in result.lines:
                    handle.write(json.dumps(line, default=str) + "\n")
        except OSError as exc:
            cli.fail(f"cannot write {out}: {exc.strerror or exc}", 2)
        print(f"{len(result.lines)} call(s) written to {out}")
        if result.left_out:
            print(f"{result.left_out} update(s) left out: their values are redacted")
        for proposal_id, reason in result.skipped:
            print(f"skipped {proposal_id}: {reason}")


def register_shadow(app: typer.Typer) -> None:
    shadow_app = typer.Typer(no_args_is_help=True, help="Shadow mode: proposals without writes.")
    app.add_typer(shadow_app, name="shadow")

    @shadow_app.command("report")
    def report(
        since: Annotated[
            str | None, typer.Option("--since", help="First day (default: 30 days ago).")
        ] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Would-have-been accuracy: shadow proposals against the CRM after reps' own edits."""
        from agent import cli

        day = _day(since)
        with cli.runtime() as rt:
            data = shadow_report(rt, day).as_json()
        if as_json:
            cli.emit_json(data)
            return

        def pct(value: float | None) -> str:
            return "–" if value is None else f"{value:.0%}"

        rows = [
            [
                t["field"],
                str(t["proposed"]),
                str(t["matched"]),
                str(t["other_value"]),
                str(t["not_made"]),
                str(t["missed"]),
                pct(t["accuracy"]),
            ]
            for t in [*data["by_field"], data["overall"]]
        ]
        cli._table(
            f"Shadow mode ({data['scope']}), {data['proposals']} proposal(s) since "
            f"{data['since'][:10]}",
            ["field", "proposed", "matched", "other value", "not made", "missed", "accuracy"],
            rows,
        )
