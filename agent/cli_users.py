"""`engage users list|revoke|token|expiry`: the admin's user management on the command line.

Registered on `engage users` by `agent.cli` (imported last, so the circular import finds `cli`
complete). The CLI runs as the local operator, who holds the database and so every power an
admin has; the admin API (`/api/v1/admin/users`) offers the same over HTTP.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from agent import cli
from agent.errors import InputError
from agent.services import users as user_service

ExpiresOption = Annotated[
    str | None,
    typer.Option(
        "--expires", help="When access ends: YYYY-MM-DD (midnight UTC) or an ISO date-time."
    ),
]


def parse_expiry(text: str | None) -> datetime | None:
    """A date means its midnight UTC; a date-time without a zone is taken as UTC."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--expires must be YYYY-MM-DD or an ISO date-time, not {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(users_app: typer.Typer) -> None:
    @users_app.command("list")
    def users_list(as_json: cli.JsonFlag = False) -> None:
        """Users with their role and status (active, revoked or expired); never tokens."""
        with cli.runtime() as rt, rt.db.session() as session:
            views = user_service.list_users(session, now=rt.clock.now())
        if as_json:
            cli.emit_json([asdict(v) for v in views])
            return
        cli._table(
            "Users",
            ["email", "role", "status", "expires", "id"],
            [
                [
                    v.email,
                    v.role,
                    v.status,
                    v.expires_at.isoformat() if v.expires_at else "never",
                    v.id,
                ]
                for v in views
            ],
        )

    @users_app.command("revoke")
    def users_revoke(email: str) -> None:
        """End a user's access now: their token stops working and their sessions end."""
        with cli.runtime() as rt, rt.db.session() as session:
            view = user_service.revoke(session, ref=email, now=rt.clock.now())
        print(f"{view.email}: {view.status}")

    @users_app.command("token")
    def users_token(email: str, expires: ExpiresOption = None) -> None:
        """Print a new token for the user (shown only now); the old one stops working."""
        with cli.runtime() as rt, rt.db.session() as session:
            token = user_service.rotate_token(
                session, email=email, expires_at=parse_expiry(expires), now=rt.clock.now()
            )
        print(token)

    @users_app.command("expiry")
    def users_expiry(email: str, expires: ExpiresOption = None) -> None:
        """Set when a user's access ends (`--expires`), or clear it (no option)."""
        with cli.runtime() as rt, rt.db.session() as session:
            view = user_service.set_expiry(
                session, ref=email, expires_at=parse_expiry(expires), now=rt.clock.now()
            )
        print(json.dumps({"email": view.email, "expires_at": view.expires_at}, default=str))
