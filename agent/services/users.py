"""Users, their API tokens and their UI sessions.

A token is shown once and stored only as a SHA-256 hash (it carries 256 random bits, so a slow
hash would add nothing). A user's access ends when an admin revokes it or when its expiry
passes; issuing a new token reinstates a revoked user. A UI session remembers a stamp of the
token it was opened under, so revoking or replacing the token also ends every open session.
"""

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
TOKEN_PREFIX = "eng_"  # noqa: S105 - a marker, not a secret


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who is acting: the authenticated user, as services see them."""

    id: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, kw_only=True)
class UserView:
    """A user as an admin sees them; never the token or its hash."""

    id: str
    email: str
    name: str
    role: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> str:
    return f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"


def _actor(user: User) -> Actor:
    return Actor(id=user.id, email=user.email, role=user.role)


def _status(user: User, now: datetime) -> str:
    if user.revoked_at is not None:
        return "revoked"
    if user.expires_at is not None and user.expires_at <= now:
        return "expired"
    return "active"


def _view(user: User, now: datetime) -> UserView:
    return UserView(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        status=_status(user, now),
        created_at=user.created_at,
        expires_at=user.expires_at,
        revoked_at=user.revoked_at,
    )


def _address(email: str) -> str:
    try:
        return normalize_email(email)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _future(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InputError("an expiry needs a time zone (e.g. 2027-01-31T00:00:00Z)")
    if expires_at <= now:
        raise InputError("the expiry is in the past; revoke the user instead")
    return expires_at


def _load(session: Session, ref: str) -> User:
    """A user named by email (anything with an @) or by id."""
    if "@" in ref:
        user = session.scalar(select(User).where(User.email == _address(ref)))
    else:
        user = session.get(User, ref)
    if user is None:
        raise NotFound(f"no user {ref}")
    return user


def add_user(
    session: Session,
    *,
    email: str,
    role: str,
    name: str,
    now: datetime,
    expires_at: datetime | None = None,
    team: str | None = None,
) -> tuple[Actor, str]:
    """Create a user and return them with a fresh token (the only time it is visible)."""
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    address = _address(email)
    if session.scalar(select(User).where(User.email == address)) is not None:
        raise InputError(f"user {address} already exists")
    token = _new_token()
    user = User(
        id=new_id("usr"),
        email=address,
        name=name,
        role=role,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=_future(expires_at, now),
        revoked_at=None,
        team=(team or "").strip().lower() or None,
    )
    session.add(user)
    session.flush()
    return _actor(user), token


def rotate_token(
    session: Session, *, email: str, expires_at: datetime | None = None, now: datetime | None = None
) -> str:
    """Issue a new token (with its own expiry); the old token and every open session end now.

    Issuing a token is also how an admin reinstates a revoked user.
    """
    user = _load(session, email)
    token = _new_token()
    user.token_hash = hash_token(token)
    user.expires_at = expires_at if now is None else _future(expires_at, now)
    user.revoked_at = None
    session.flush()
    return token


def revoke(session: Session, *, ref: str, now: datetime) -> UserView:
    """End a user's access: their token stops working and their UI sessions end."""
    user = _load(session, ref)
    if user.revoked_at is None:
        user.revoked_at = now
    session.flush()
    return _view(user, now)


def set_expiry(
    session: Session, *, ref: str, expires_at: datetime | None, now: datetime
) -> UserView:
    """Move (or clear, with None) the moment a user's access ends."""
    user = _load(session, ref)
    user.expires_at = _future(expires_at, now)
    session.flush()
    return _view(user, now)


def list_users(session: Session, *, now: datetime) -> list[UserView]:
    return [_view(u, now) for u in session.scalars(select(User).order_by(User.email))]


def get_user(session: Session, *, ref: str, now: datetime) -> UserView:
    return _view(_load(session, ref), now)


def authenticate(session: Session, *, token: str, now: datetime) -> Actor | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    if user is None or _status(user, now) != "active":
        return None
    return _actor(user)


def session_stamp(session: Session, *, user_id: str) -> str:
    """What a UI session keeps to notice a revoked or replaced token: part of its hash."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user.token_hash[:16]


def session_actor(session: Session, *, user_id: str, stamp: str, now: datetime) -> Actor | None:
    """The user behind a UI session, while their access lasts and their token is unchanged."""
    user = session.get(User, user_id)
    if user is None or _status(user, now) != "active":
        return None
    if not secrets.compare_digest(user.token_hash[:16], stamp):
        return None
    return _actor(user)


def active_user(session: Session, *, email: str, now: datetime) -> Actor | None:
    """An active user by verified email (single sign-on); None when unknown or not active."""
    try:
        address = normalize_email(email)
    except ValueError:
        return None
    user = session.scalar(select(User).where(User.email == address))
    if user is None or _status(user, now) != "active":
        return None
    return _actor(user)


def find_user(session: Session, *, email: str) -> Actor:
    address = _address(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        raise NotFound(f"no user {address}")
    return _actor(user)
