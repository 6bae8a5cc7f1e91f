"""Users and their API tokens. Tokens are shown once and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import User
from agent.domain.identity import normalize_email
from agent.errors import InputError, NotFound
from agent.ids import new_id

ROLES = ("rep", "admin")


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who is acting: the authenticated user, as services see them."""

    id: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _actor(user: User) -> Actor:
    return Actor(id=user.id, email=user.email, role=user.role)


def add_user(
    session: Session, *, email: str, role: str, name: str, now: datetime
) -> tuple[Actor, str]:
    """Create a user and return them with a fresh token (the only time it is visible)."""
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if session.scalar(select(User).where(User.email == address)) is not None:
        raise InputError(f"user {address} already exists")
    token = f"eng_{secrets.token_urlsafe(32)}"
    user = User(
        id=new_id("usr"),
        email=address,
        name=name,
        role=role,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=None,
        revoked_at=None,
    )
    session.add(user)
    session.flush()
    return _actor(user), token


def rotate_token(session: Session, *, email: str) -> str:
    """Replace a user's token; the old one stops working at once."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"no user {email}")
    token = f"eng_{secrets.token_urlsafe(32)}"
    user.token_hash = hash_token(token)
    return token


def authenticate(session: Session, *, token: str, now: datetime) -> Actor | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    if user is None or user.revoked_at is not None:
        return None
    if user.expires_at is not None and user.expires_at <= now:
        return None
    return _actor(user)


def find_user(session: Session, *, email: str) -> Actor:
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        raise NotFound(f"no user {address}")
    return _actor(user)
