"""`engage keys`, `engage privacy` and `engage audit head`: the operator's side of issue 7."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from agent.cli import JsonFlag, emit_json, fail, runtime

keys_app = typer.Typer(no_args_is_help=True, help="The keys that encrypt data at rest.")
privacy_app = typer.Typer(no_args_is_help=True, help="Erasure on request and retention.")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key, to put first in ENGAGE_SECRET_KEY."""
    from agent.crypto import new_key

    print(new_key())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt transcripts and token files under the first key of ENGAGE_SECRET_KEY."""
    from agent.crypto import cipher_for
    from agent.services.keys import rotate_keys

    with runtime() as rt:
        cipher = cipher_for(rt.settings)
        if cipher is None:
            fail("set ENGAGE_SECRET_KEY (new key first, old key after a comma) to rotate", 2)
        report = rotate_keys(rt.db, cipher=cipher, token_dir=rt.settings.engage_home / "tokens")
    print(
        f"re-encrypted {report.transcripts} transcripts and {report.token_files} token files"
        " under the first key; the other keys in ENGAGE_SECRET_KEY can now be removed"
    )


@privacy_app.command("erase")
def privacy_erase(
    email: str,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Another name they go by.")
    ] = None,
    actor: Annotated[str, typer.Option("--as", help="Who asked for it (recorded).")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Erase a person's data from Engage; the audit chain keeps verifying."""
    from agent.services.privacy import erase_person, identify

    with runtime() as rt:
        try:
            person = identify(rt.crm, email, name or ())
        except ValueError as exc:
            fail(str(exc), 2)
        report = erase_person(rt.db, person=person, actor=actor, now=rt.clock.now())
    if as_json:
        emit_json(asdict(report))
        return
    print(f"erasure {report.erasure_id}: {json.dumps(dict(report.rows), sort_keys=True)}")
    print(f"audit entries tombstoned: {len(report.audit_entries)}")
    if report.kept_legacy:
        print(f"audit entries written before salted hashing, kept: {report.kept_legacy}")
    if report.is_user:
        print(f"{person.email} is also an Engage user: revoke the account with `engage users`")


@privacy_app.command("purge")
def privacy_purge() -> None:
    """Delete transcripts past ENGAGE_RETENTION_DAYS and stray audio folders, now."""
    from agent.services.privacy import purge_expired

    with runtime() as rt:
        report = purge_expired(
            rt.db,
            now=rt.clock.now(),
            retention_days=rt.settings.engage_retention_days,
            audio_hours=rt.settings.engage_audio_retention_hours,
        )
    print(f"deleted {report.transcripts} transcripts and {report.audio_folders} audio folders")


def audit_head() -> None:
    """Append the chain's head to ENGAGE_AUDIT_HEAD_FILE now (the periodic job does it too)."""
    from agent.services.audit_head import export_head

    with runtime() as rt:
        head = export_head(rt.db, rt.settings.audit_head_path, now=rt.clock.now())
        path = rt.settings.audit_head_path
    if head is None:
        print("the audit chain is empty: nothing to export")
        return
    print(f"audit head {head.seq} {head.hash} in {path}")


def register(app: typer.Typer, audit_app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(privacy_app, name="privacy")
    audit_app.command("head")(audit_head)
