"""The `engage` command: the same operations as the HTTP API, for people and scripts.

`--json` prints one JSON document on stdout; errors go to stderr with a non-zero exit code
(2 bad input or configuration, 3 not allowed, 4 not found, 1 anything else).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from agent.db import audit_log
from agent.domain.models import ObjectType
from agent.errors import ConfigError, EngageError, Forbidden, InputError, NotFound
from agent.runtime import Runtime, Workflow, build_runtime
from agent.services import access, ingest
from agent.services import meetings as meeting_service
from agent.services import proposals as proposal_service
from agent.services.brief import ReadOnlyCrm, brief_for
from agent.services.review import Decision
from agent.services.users import add_user, find_user
from agent.settings import load_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Engage: meetings in, approved and audited CRM updates out.",
)
users_app = typer.Typer(no_args_is_help=True, help="Users and their API tokens.")
crm_app = typer.Typer(no_args_is_help=True, help="A read-only look at the connected CRM.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")
app.add_typer(users_app, name="users")
app.add_typer(crm_app, name="crm")
app.add_typer(audit_app, name="audit")

out = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def fail(message: str, code: int) -> NoReturn:
    print(f"engage: {message}", file=sys.stderr)
    raise typer.Exit(code)


@contextmanager
def runtime() -> Iterator[Runtime]:
    """A runtime for one command; Engage errors become a message and an exit code."""
    rt: Runtime | None = None
    try:
        rt = build_runtime(load_settings())
        yield rt
    except ConfigError as exc:
        fail(str(exc), 2)
    except NotFound as exc:
        fail(str(exc), 4)
    except Forbidden as exc:
        command = sys.argv[1] if len(sys.argv) > 1 else "engage"
        access.denied(actor="cli", action="cli", target=command, status=403, reason=str(exc))
        fail(str(exc), 3)
    except InputError as exc:
        fail(str(exc), 2)
    except EngageError as exc:
        fail(str(exc), 1)
    finally:
        if rt is not None:
            rt.close()


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, sort_keys=False))


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    out.print(table)


@app.command()
def init(
    seed: Annotated[str | None, typer.Option(help="`demo` fills the sandbox CRM.")] = None,
) -> None:
    """Create the store (migrations) and, with --seed demo, the demo book, rep and meetings."""
    from agent.demo import seed_demo_book

    if seed not in (None, "demo"):
        fail(f"unknown seed {seed!r}; the only seed is 'demo'", 2)
    with runtime() as rt:
        if seed == "demo":
            result = seed_demo_book(rt)
            print(result.describe())
        else:
            print(f"Engage store ready at {rt.settings.db_url}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """The API, the review pages and an in-process worker."""
    import uvicorn

    from agent.api.app import create_app
    from agent.observability.logging import configure_logging

    with runtime() as rt:
        configure_logging(rt.settings.engage_log_level)
        rt.start_jobs(background=True)
        print(f"Engage is serving on http://{host}:{port}/  (API docs at /docs)", flush=True)
        app = create_app(rt)
        uvicorn.run(app, host=host, port=port, log_level="warning", log_config=None)


class Role(StrEnum):
    rep = "rep"
    admin = "admin"


@users_app.command("add")
def users_add(
    email: str,
    role: Annotated[Role, typer.Option(help="rep or admin")] = Role.rep,
    name: str = "",
    team: Annotated[str | None, typer.Option(help="The rep's team (shadow mode per team).")] = None,
) -> None:
    """Create a user and print their API token (shown only now)."""
    with runtime() as rt, rt.db.session() as session:
        _, token = add_user(
            session, email=email, role=role.value, name=name, now=rt.clock.now(), team=team
        )
    print(token)


@app.command()
def meetings(as_json: JsonFlag = False) -> None:
    """Meetings: id, title, rep, deal, status, start."""
    with runtime() as rt, rt.db.session() as session:
        views = meeting_service.list_meetings(session, None)
    if as_json:
        emit_json([asdict(v) for v in views])
        return
    _table(
        "Meetings",
        ["id", "title", "rep", "deal", "status", "start"],
        [
            [v.id, v.title, v.rep_email, v.deal_id, v.status, v.start.strftime("%Y-%m-%d %H:%M")]
            for v in views
        ],
    )


@app.command()
def brief(meeting_id: str, as_json: JsonFlag = False) -> None:
    """The pre-call brief (reads the CRM, never writes)."""
    with runtime() as rt:
        with rt.db.session() as session:
            meeting = meeting_service.list_meeting_by_id(session, meeting_id)
        made = brief_for(ReadOnlyCrm(rt.crm), meeting)
    if as_json:
        emit_json(asdict(made))
        return
    from agent.cli_render import print_brief

    print_brief(out, made)


@app.command()
def process(
    transcript_file: Path,
    deal: Annotated[str, typer.Option(help="The CRM deal id.")],
    rep: Annotated[str, typer.Option(help="The rep's email.")],
    on: Annotated[str | None, typer.Option("--date", help="Meeting date, YYYY-MM-DD.")] = None,
) -> None:
    """Turn a transcript (VTT, JSON, `Name: text` lines) or a recording (.wav, .mp3, .m4a,
    .ogg, .flac: transcribed first) into a proposal; prints its id."""
    from agent.domain.transcripts import parse_transcript
    from agent.transcribe import build_transcriber, is_audio_file

    if not transcript_file.is_file():
        fail(f"no such file: {transcript_file}", 2)
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        fail(f"--date must be YYYY-MM-DD, not {on!r}", 2)
    fmt = {".vtt": "vtt", ".json": "json"}.get(transcript_file.suffix.lower())
    with runtime() as rt:
        with rt.db.session() as session:
            actor = find_user(session, email=rep)
        if is_audio_file(transcript_file):
            transcript = build_transcriber(rt.settings).transcribe(transcript_file)
        else:
            transcript = parse_transcript(transcript_file.read_bytes(), fmt=fmt)
        with rt.db.session() as session:
            meeting_id = ingest.create_call(
                session,
                crm=ReadOnlyCrm(rt.crm),
                deal_id=deal,
                rep=actor,
                transcript=transcript,
                meeting_date=day,
                now=rt.clock.now(),
            )
        rt.submit("process_meeting", {"meeting_id": meeting_id})
        with rt.db.session() as session:
            view = meeting_service.list_meeting_by_id(session, meeting_id)
    if view.proposal_id is None:
        fail(f"meeting {meeting_id} failed: {view.failure_reason}", 1)
    print(view.proposal_id)


@app.command()
def transcribe(audio_file: Path, as_json: JsonFlag = False) -> None:
    """Transcribe a recording and print WebVTT (speakers by channel when each has its own)."""
    from agent.transcribe import build_transcriber
    from agent.transcribe.render import audio_json, audio_vtt

    try:
        heard = build_transcriber(load_settings()).transcribe_with_details(audio_file)
    except (ConfigError, InputError) as exc:
        fail(str(exc), 2)
    except EngageError as exc:
        fail(str(exc), 1)
    if as_json:
        emit_json(audio_json(heard))
        return
    print(audio_vtt(heard), end="")


@app.command()
def proposals(rep: str | None = None, status: str | None = None, as_json: JsonFlag = False) -> None:
    """Proposals, newest first."""
    with runtime() as rt, rt.db.session() as session:
        views = proposal_service.list_proposals(session, actor=None, status=status, rep_email=rep)
    if as_json:
        emit_json([asdict(v) for v in views])
        return
    _table(
        "Proposals",
        ["id", "meeting", "rep", "status", "changes", "engine"],
        [
            [v.id, v.meeting_title, v.rep_email, v.status, str(len(v.changes)), v.engine]
            for v in views
        ],
    )


@app.command()
def show(proposal_id: str, as_json: JsonFlag = False) -> None:
    """One proposal: summary, next steps, and each change with its evidence."""
    with runtime() as rt, rt.db.session() as session:
        view = proposal_service.get_proposal(session, proposal_id, None)
    if as_json:
        emit_json(asdict(view))
        return
    from agent.cli_render import print_proposal

    print_proposal(out, view)


def _parse_change(spec: str) -> Decision:
    change_id, sep, value = spec.partition("=")
    if not change_id:
        fail(f"--change needs an id, got {spec!r}", 2)
    return Decision(change_id=change_id, value=value if sep else None, edited=bool(sep))


AsOption = Annotated[str, typer.Option("--as", help="The deciding rep's email.")]
ChangeOption = Annotated[list[str] | None, typer.Option("--change", help="CHANGE_ID[=VALUE]")]


@app.command()
def approve(
    proposal_id: str,
    as_: AsOption,
    all_: Annotated[
        bool, typer.Option("--all", help="Approve every pending change, critical ones included.")
    ] = False,
    change: ChangeOption = None,
) -> None:
    """Approve changes (optionally with an edited value); approved changes are then applied."""
    if all_ == bool(change):
        fail("give either --all or one or more --change CHANGE_ID[=VALUE]", 2)
    decisions = [_parse_change(c) for c in change or []]
    _decide(
        proposal_id,
        as_,
        lambda flow, actor: flow.approve(
            proposal_id=proposal_id, actor=actor, approve_all=all_, decisions=decisions
        ),
    )


@app.command()
def reject(proposal_id: str, as_: AsOption, change: ChangeOption = None) -> None:
    """Reject the named changes, or the whole proposal when none are named."""
    _decide(
        proposal_id,
        as_,
        lambda flow, actor: flow.reject(
            proposal_id=proposal_id, actor=actor, change_ids=list(change or [])
        ),
    )


@app.command()
def revert(
    proposal_id: str,
    as_: AsOption,
    change: Annotated[
        list[str] | None, typer.Option("--change", help="CHANGE_ID of an applied change")
    ] = None,
) -> None:
    """Put back what applied changes replaced: the named ones, or all of the proposal's.

    Exits 1 when a revert could not be done (the CRM value changed since Engage wrote it).
    """
    from agent.cli_render import revert_lines

    with runtime() as rt:
        with rt.db.session() as session:
            actor = find_user(session, email=as_)
        Workflow(rt).revert(proposal_id=proposal_id, actor=actor, change_ids=list(change or []))
        with rt.db.session() as session:
            view = proposal_service.get_proposal(session, proposal_id, None)
    done, problems = revert_lines(view)
    for line in done:
        print(line)
    print(f"proposal {view.id}: {view.status}")
    if problems:
        fail("; ".join(problems), 1)


def _decide(proposal_id: str, email: str, action: Callable[[Workflow, Any], None]) -> None:
    with runtime() as rt:
        with rt.db.session() as session:
            actor = find_user(session, email=email)
        action(Workflow(rt), actor)
        with rt.db.session() as session:
            view = proposal_service.get_proposal(session, proposal_id, None)
    for c in view.changes:
        print(f"{c.id}  {c.field:<20} {c.status}")
    print(f"proposal {view.id}: {view.status}")


@crm_app.command("show")
def crm_show(kind: ObjectType, object_id: str, as_json: JsonFlag = False) -> None:
    """One CRM record (deal, contact or account), read-only."""
    with runtime() as rt:
        record = ReadOnlyCrm(rt.crm).get_record(kind, object_id)
    if as_json:
        emit_json(record)
        return
    _table(
        f"{kind.value} {object_id}",
        ["field", "value"],
        [
            [k, json.dumps(v, default=str) if isinstance(v, list) else str(v)]
            for k, v in record.items()
        ],
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Exit 0 when the chain is intact and holds every exported head; else say why, exit 1."""
    from agent.services.audit_head import check_audit

    with runtime() as rt:
        check = check_audit(rt.db, rt.settings.audit_head_path)
    verdict = check.verdict
    if not verdict.ok:
        fail(f"audit chain broken at entry {verdict.bad_seq}: {verdict.reason}", 1)
    if check.problem is not None:
        fail(f"audit chain truncated or rewritten: {check.problem}", 1)
    erased = f", {verdict.tombstoned} with erased personal data" if verdict.tombstoned else ""
    print(
        f"audit chain intact: {verdict.checked} entries{erased}; {check.heads} exported heads held"
    )


class ExportFormat(StrEnum):
    jsonl = "jsonl"


@audit_app.command("export")
def audit_export(
    fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.jsonl,
) -> None:
    """Every entry, one JSON object a line, in chain order."""
    with runtime() as rt, rt.db.session() as session:
        for entry in audit_log.entries(session):
            print(json.dumps(entry, default=str, sort_keys=True))


def _register_eval() -> None:
    try:
        from eval.cli import register
    except ImportError:
        return
    register(app)


_register_eval()


def _register_jobs() -> None:
    from agent.worker.commands import register

    register(app)


_register_jobs()


def _register_users() -> None:
    from agent.cli_users import register

    register(users_app)


_register_users()


def _register_trust() -> None:
    from agent.cli_trust import register

    register(app, audit_app)


_register_trust()


def _register_shadow() -> None:
    from agent.cli_reviews import register_shadow

    register_shadow(app)


_register_shadow()


def main() -> None:
    app()
