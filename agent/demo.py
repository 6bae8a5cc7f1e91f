"""`make run`: set up the embedded defaults, seed the demo once, process its calls, and serve.

Everything here runs offline: SQLite, the sandbox CRM, and the `rules` engine unless an
OpenAI-compatible endpoint is configured.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from agent.errors import ConfigError, EngageError, InputError
from agent.runtime import Runtime, build_runtime
from agent.services import meetings as meeting_service
from agent.services.users import add_user, find_user, rotate_token
from agent.settings import load_settings
from connectors.sandbox.crm import SandboxCrm
from connectors.sandbox.seed import seed_demo


@dataclass(kw_only=True)
class DemoSetup:
    rep_email: str
    token: str | None
    meeting_ids: list[str] = field(default_factory=list)
    to_process: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"Seeded the sandbox CRM and {len(self.meeting_ids)} meetings for {self.rep_email}."
        ]
        if self.token:
            lines.append(f"Demo rep's API token: {self.token}")
        return "\n".join(lines)


def seed_demo_book(rt: Runtime) -> DemoSetup:
    """Fill an empty sandbox, create the demo rep and their meetings with transcripts."""
    crm = rt.crm
    if not isinstance(crm, SandboxCrm):
        raise InputError("the demo seed fills the sandbox CRM only (ENGAGE_CRM=sandbox)")
    book = seed_demo(crm, today=rt.clock.now().date())
    now = rt.clock.now()
    with rt.db.session() as session:
        rep, token = add_user(
            session, email=book.rep_email, role="rep", name=book.rep_name, now=now
        )
        setup = DemoSetup(rep_email=rep.email, token=token)
        for demo in book.meetings:
            meeting = meeting_service.create_meeting(
                session,
                title=demo.title,
                rep=rep,
                crm_system=crm.system,
                deal_id=demo.deal_id,
                start=demo.start,
                end=demo.end,
                attendees=demo.attendees,
                source="demo",
                external_id=demo.key,
                now=now,
            )
            setup.meeting_ids.append(meeting.id)
            if demo.transcript is not None:
                from agent.domain.transcripts import parse_transcript

                transcript = parse_transcript(demo.transcript, fmt=demo.transcript_format)
                meeting_service.store_transcript(
                    session, meeting_id=meeting.id, transcript=transcript, now=now
                )
                setup.to_process.append(meeting.id)
    for meeting_id in setup.to_process:
        rt.submit("process_meeting", {"meeting_id": meeting_id}, dedupe_key=f"demo:{meeting_id}")
    return setup


def prepare(rt: Runtime) -> tuple[str, str]:
    """Seed when the home is new; otherwise reuse it. Returns the rep's email and a fresh token."""
    crm = rt.crm
    if isinstance(crm, SandboxCrm) and crm.is_empty():
        setup = seed_demo_book(rt)
        assert setup.token is not None
        return setup.rep_email, setup.token
    from connectors.sandbox.seed import REP_EMAIL

    with rt.db.session() as session:
        rep = find_user(session, email=REP_EMAIL)
        return rep.email, rotate_token(session, email=rep.email)


DEMO_ADMIN = "revops@engage-demo.com"


def admin_token(rt: Runtime) -> str:
    """The demo's RevOps admin, whose page is the health dashboard, with a fresh token."""
    with rt.db.session() as session:
        try:
            find_user(session, email=DEMO_ADMIN)
        except EngageError:
            _, token = add_user(
                session, email=DEMO_ADMIN, role="admin", name="RevOps", now=rt.clock.now()
            )
            return token
        return rotate_token(session, email=DEMO_ADMIN)


def main() -> int:
    import uvicorn

    from agent.api.app import create_app

    host = os.environ.get("ENGAGE_HOST", "127.0.0.1")
    port = int(os.environ.get("ENGAGE_PORT", "8000"))
    try:
        rt = build_runtime(load_settings())
        email, token = prepare(rt)
        revops = admin_token(rt)
    except (ConfigError, EngageError) as exc:
        print(f"engage: {exc}", file=sys.stderr)
        return 2
    from agent.observability.logging import configure_logging

    configure_logging(rt.settings.engage_log_level)
    rt.start_jobs(background=True)
    home = rt.settings.engage_home.resolve()
    print(
        f"""
Engage is running on the embedded defaults (engine: {rt.engine.name}, CRM: {rt.crm.system}).
  Review UI : http://{host}:{port}/   (log in with the token below)
  API docs  : http://{host}:{port}/docs
  Demo rep  : {email}
  Token     : {token}
  Data      : {home}  (Engage store and sandbox-crm.sqlite3)
  Health    : http://{host}:{port}/admin/health  (admin {DEMO_ADMIN}, token {revops})
Try: curl -H 'Authorization: Bearer {token}' http://{host}:{port}/api/v1/proposals
Stop with Ctrl-C.
""",
        flush=True,
    )
    try:
        uvicorn.run(create_app(rt), host=host, port=port, log_level="warning", log_config=None)
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
