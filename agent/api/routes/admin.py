"""Admin routes under /api/v1/admin: users and their tokens, and the dead-letter list.

Every route needs an admin's token (`AdminUser`); a rep gets 403. A token is shown once, in the
answer that created it; the list never shows tokens or their hashes.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from agent.api.deps import AdminUser, RuntimeDep
from agent.api.routes import health
from agent.runtime import Runtime
from agent.services import users as user_service

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Strict):
    email: str = Field(min_length=3, max_length=320)
    role: Literal["rep", "admin"] = "rep"
    name: str = Field(default="", max_length=200)
    expires_at: datetime | None = Field(default=None, description="When access ends (UTC).")


class TokenCreate(_Strict):
    expires_at: datetime | None = Field(default=None, description="When the new token ends.")


class ExpiryUpdate(_Strict):
    expires_at: datetime | None = Field(description="When access ends; null: never.")


class UserRead(BaseModel):
    id: str
    email: str
    name: str
    role: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenRead(BaseModel):
    user: UserRead
    token: str = Field(description="Shown only now; Engage keeps its hash.")


class DeadLetterRead(BaseModel):
    id: str
    kind: str
    reason: str | None
    at: datetime


@router.get("/users", response_model=list[UserRead])
def list_users(rt: RuntimeDep, admin: AdminUser) -> list[dict[str, Any]]:
    with rt.db.session() as session:
        return [asdict(u) for u in user_service.list_users(session, now=rt.clock.now())]


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=TokenRead)
def create_user(body: UserCreate, rt: RuntimeDep, admin: AdminUser) -> dict[str, Any]:
    now = rt.clock.now()
    with rt.db.session() as session:
        actor, token = user_service.add_user(
            session,
            email=body.email,
            role=body.role,
            name=body.name,
            now=now,
            expires_at=body.expires_at,
        )
        view = user_service.get_user(session, ref=actor.id, now=now)
    return {"user": asdict(view), "token": token}


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: str, rt: RuntimeDep, admin: AdminUser) -> dict[str, Any]:
    with rt.db.session() as session:
        return asdict(user_service.get_user(session, ref=user_id, now=rt.clock.now()))


@router.post("/users/{user_id}/revoke", response_model=UserRead)
def revoke_user(user_id: str, rt: RuntimeDep, admin: AdminUser) -> dict[str, Any]:
    """The user's token stops working and their open sessions end; a new token reinstates."""
    with rt.db.session() as session:
        return asdict(user_service.revoke(session, ref=user_id, now=rt.clock.now()))


@router.post("/users/{user_id}/token", response_model=TokenRead)
def issue_token(
    user_id: str, body: TokenCreate, rt: RuntimeDep, admin: AdminUser
) -> dict[str, Any]:
    """A new token for the user (the old one and their sessions end)."""
    now = rt.clock.now()
    with rt.db.session() as session:
        view = user_service.get_user(session, ref=user_id, now=now)
        token = user_service.rotate_token(
            session, email=view.email, expires_at=body.expires_at, now=now
        )
        view = user_service.get_user(session, ref=user_id, now=now)
    return {"user": asdict(view), "token": token}


@router.put("/users/{user_id}/expiry", response_model=UserRead)
def set_expiry(
    user_id: str, body: ExpiryUpdate, rt: RuntimeDep, admin: AdminUser
) -> dict[str, Any]:
    with rt.db.session() as session:
        return asdict(
            user_service.set_expiry(
                session, ref=user_id, expires_at=body.expires_at, now=rt.clock.now()
            )
        )


@router.get("/dead-letters", response_model=list[DeadLetterRead])
def dead_letters(rt: RuntimeDep, admin: AdminUser) -> list[dict[str, Any]]:
    """Jobs that failed for good, newest first, with their reasons."""
    return rt.job_queue().dead_letters()


def _retry(rt: Runtime, job_id: str) -> str:
    health.retry_dead_letter(rt, job_id)
    return rt.job_queue().status(job_id) or "unknown"


@router.post("/dead-letters/{job_id}/retry")
async def retry_dead_letter(job_id: str, rt: RuntimeDep, admin: AdminUser) -> dict[str, str]:
    """Another run for a dead letter (as the dashboard's retry button); answers its status."""
    return {"job_id": job_id, "status": await run_in_threadpool(_retry, rt, job_id)}
