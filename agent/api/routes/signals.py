"""Buying signals in: from a person or script (bearer token) or a vendor webhook (HMAC-signed).

The signed variant sends `X-Engage-Timestamp` (epoch seconds) and `X-Engage-Signature:
sha256=<hex HMAC-SHA256 of "{timestamp}.{raw body}" keyed by ENGAGE_SIGNALS_SECRET>`; it is
refused when the signature is wrong or the timestamp is more than five minutes away.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from agent.api.deps import CurrentUser, OptionalUser, RuntimeDep
from agent.errors import Forbidden, InputError
from agent.runtime import Runtime
from agent.services import access
from agent.services import signals as signal_service
from agent.services.users import Actor

router = APIRouter(prefix="/api/v1", tags=["signals"])

MAX_SIGNAL_BYTES = 64 * 1024
WINDOW_S = 300


class SignalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="email_reply, pricing_page_visit, usage_spike or intent_topic")
    email: str | None = Field(default=None, max_length=320)
    domain: str | None = Field(default=None, max_length=255)
    source: str = Field(default="api", max_length=64)
    external_id: str | None = Field(default=None, max_length=200)
    occurred_at: datetime | None = None
    summary: str = Field(default="", max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)


class SignalRead(BaseModel):
    id: str
    kind: str
    source: str
    email: str | None
    domain: str | None
    account_id: str | None
    contact_id: str | None
    deal_id: str | None
    summary: str
    suggestion: str | None
    suggestion_status: str
    occurred_at: datetime


def _sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _check_signature(rt: Runtime, request: Request, body: bytes) -> JSONResponse | None:
    secret = rt.settings.engage_signals_secret
    if secret is None:
        return JSONResponse(
            {"detail": "signed signals are not configured: set ENGAGE_SIGNALS_SECRET"},
            status_code=503,
        )
    timestamp = request.headers.get("x-engage-timestamp", "")
    sent = request.headers.get("x-engage-signature", "")
    expected = _sign(secret.get_secret_value(), timestamp, body)
    if not timestamp.isdigit() or not hmac.compare_digest(expected, sent):
        return JSONResponse({"detail": "X-Engage-Signature does not match"}, status_code=401)
    if abs(rt.clock.now().timestamp() - int(timestamp)) > WINDOW_S:
        return JSONResponse({"detail": "X-Engage-Timestamp is stale (replay)"}, status_code=401)
    return None


def _store(rt: Runtime, body: SignalCreate) -> tuple[dict[str, Any], bool]:
    signal = signal_service.SignalIn(
        kind=body.kind,
        source=body.source,
        occurred_at=body.occurred_at or rt.clock.now(),
        email=body.email,
        domain=body.domain,
        external_id=body.external_id,
        summary=body.summary,
        data=body.data,
    )
    with rt.db.session() as session:
        view, new = signal_service.record_signal(
            session, crm=rt.crm, signal=signal, now=rt.clock.now()
        )
    return asdict(view), new


def _as_seen_by(
    rt: Runtime, user: Actor, view: dict[str, Any], sent: SignalCreate
) -> dict[str, Any]:
    """What a rep may learn back: the link and suggestion only for a deal they own.

    Otherwise the answer repeats what they sent, so posting a colleague's contact's email does
    not reveal which account and deal it belongs to (`suggestion_status` says `hidden`).
    """
    if access.owns_deal(rt.crm, deal_id=view["deal_id"], actor=user):
        return view
    return {
        **view,
        "email": sent.email,
        "domain": sent.domain,
        "summary": sent.summary,
        "account_id": None,
        "contact_id": None,
        "deal_id": None,
        "suggestion": None,
        "suggestion_status": "hidden",
    }


@router.post(
    "/signals",
    status_code=status.HTTP_201_CREATED,
    response_model=SignalRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SignalCreate.model_json_schema()}},
        }
    },
)
async def post_signal(request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    """Bearer-authenticated, or HMAC-signed when `X-Engage-Signature` is sent."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_SIGNAL_BYTES:
            raise InputError(f"signal larger than {MAX_SIGNAL_BYTES} bytes")
    if "x-engage-signature" in request.headers:
        if (refusal := _check_signature(rt, request, bytes(body))) is not None:
            return refusal
    elif user is None:
        return JSONResponse(
            {"detail": "send Authorization: Bearer <token>, or a signed vendor request"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        parsed = SignalCreate.model_validate_json(bytes(body))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise InputError(f"bad signal: {where}: {first.get('msg')}") from None
    view, new = await run_in_threadpool(_store, rt, parsed)
    if user is not None and "x-engage-signature" not in request.headers:
        view = await run_in_threadpool(_as_seen_by, rt, user, view, parsed)
    return JSONResponse(
        SignalRead.model_validate(view).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if new else status.HTTP_200_OK,
    )


@router.get("/signals", response_model=list[SignalRead])
def list_signals(
    rt: RuntimeDep, user: CurrentUser, deal_id: str | None = None
) -> list[dict[str, Any]]:
    """An admin sees every signal; a rep sees those of a deal they own (`deal_id` required)."""
    if not user.is_admin:
        if deal_id is None:
            raise InputError("give deal_id: a rep sees the signals of their own deals")
        if not access.owns_deal(rt.crm, deal_id=deal_id, actor=user):
            raise Forbidden(f"deal {deal_id} belongs to another rep")
    with rt.db.session() as session:
        return [asdict(v) for v in signal_service.list_signals(session, deal_id=deal_id)]


def _decide(rt: Runtime, signal_id: str, user: Any, accept: bool) -> dict[str, Any]:
    with rt.db.session() as session:
        view = signal_service.decide(
            session,
            crm=rt.crm,
            signal_id=signal_id,
            actor=user,
            accept=accept,
            now=rt.clock.now(),
        )
    return asdict(view)


@router.post("/signals/{signal_id}/accept", response_model=SignalRead)
def accept_suggestion(signal_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Accept the suggested next step: one task on the deal (the signal stays in Engage)."""
    return _decide(rt, signal_id, user, True)


@router.post("/signals/{signal_id}/dismiss", response_model=SignalRead)
def dismiss_suggestion(signal_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    return _decide(rt, signal_id, user, False)
