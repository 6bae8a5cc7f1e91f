"""Webhook receivers: Zoom, Google Calendar and Microsoft Graph.

Each one authenticates the sender the provider's way, records the event once by its key, queues
a job, and answers at once; the job does the slow work. A receiver whose secret is not configured
answers 503 with the reason and accepts nothing: unsigned input is never processed.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from agent.api.deps import RuntimeDep
from agent.domain.ingestion import recording_to_json
from agent.errors import InputError
from agent.observability import metrics
from agent.runtime import Runtime
from agent.services import webhooks as ledger
from agent.worker.calendar_jobs import channel_of
from agent.worker.ingest_jobs import zoom_dedupe_key
from connectors import zoom

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_WEBHOOK_BYTES = 1024 * 1024


def _unconfigured(variable: str, source: str) -> JSONResponse:
    metrics.webhook_rejected(source, "unconfigured")
    return JSONResponse(
        {"detail": f"this webhook is not configured: set {variable}"}, status_code=503
    )


def _unauthorized(reason: str, source: str | None) -> JSONResponse:
    """401; `source` is counted as a bad signature (None when the caller counted already)."""
    if source is not None:
        metrics.webhook_rejected(source, "bad_signature")
    return JSONResponse({"detail": reason}, status_code=401)


async def _body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_WEBHOOK_BYTES:
            raise InputError(f"webhook body larger than {MAX_WEBHOOK_BYTES} bytes")
    return bytes(body)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise InputError("webhook body is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("webhook body is not a JSON object")
    return data


def _same(secret: SecretStr, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(secret.get_secret_value(), sent)


def accept(
    rt: Runtime,
    *,
    source: str,
    event_key: str,
    event_type: str,
    payload: dict[str, Any],
    job: tuple[str, dict[str, Any], str | None] | None,
) -> dict[str, Any]:
    """Record the event once and queue its job; a known key is acknowledged as a duplicate.

    An event recorded by a delivery that failed before its job was queued (the queue was down)
    gets its job from the redelivery: job dedupe keys make a second submit harmless.
    """
    with rt.db.session() as session:
        recorded = ledger.record_event(
            session,
            source=source,
            event_key=event_key,
            event_type=event_type,
            payload=payload,
            status="received" if job else "ignored",
            now=rt.clock.now(),
        )
    if not recorded.new and (recorded.job_id is not None or job is None):
        metrics.webhook_received(source, "duplicate")
        return {"status": "duplicate", "event_id": recorded.id}
    if job is None:
        metrics.webhook_received(source, "ignored")
        return {"status": "ignored", "event_id": recorded.id}
    kind, job_payload, dedupe_key = job
    job_id = rt.submit(kind, job_payload, dedupe_key=dedupe_key)
    with rt.db.session() as session:
        ledger.set_job(session, recorded.id, job_id)
    metrics.webhook_received(source, "accepted")
    return {"status": "accepted", "event_id": recorded.id, "job_id": job_id}


@router.post("/zoom")
async def zoom_webhook(request: Request, rt: RuntimeDep) -> Response:
    """Zoom's URL validation and recording/meeting events, signed with the secret token."""
    secret = rt.settings.zoom_webhook_secret_token
    if secret is None:
        return _unconfigured("ZOOM_WEBHOOK_SECRET_TOKEN", "zoom")
    body = await _body(request)
    try:
        zoom.verify(
            secret=secret.get_secret_value(),
            timestamp=request.headers.get("x-zm-request-timestamp"),
            signature=request.headers.get("x-zm-signature"),
            body=body,
            now=rt.clock.now(),
        )
    except zoom.SignatureError as exc:
        return _unauthorized(str(exc), "zoom")
    data = _json(body)
    name = str(data.get("event", ""))
    if name == "endpoint.url_validation":
        plain = data.get("payload", {}).get("plainToken")
        if not isinstance(plain, str) or not plain:
            raise InputError("endpoint.url_validation without payload.plainToken")
        metrics.webhook_received("zoom", "handshake")
        return JSONResponse(zoom.url_validation(secret.get_secret_value(), plain))
    job = None
    if name in zoom.HANDLED_EVENTS:
        event = zoom.parse_event(data)
        job = ("zoom_event", {"event": recording_to_json(event)}, zoom_dedupe_key(event))
    result = await run_in_threadpool(
        accept,
        rt,
        source="zoom",
        event_key=zoom.event_key(data),
        event_type=name,
        payload=data,
        job=job,
    )
    return JSONResponse(result)


@router.post("/google-calendar")
async def google_calendar_webhook(request: Request, rt: RuntimeDep) -> Response:
    """A push notification: headers only; `exists` means pull the changes with the sync token."""
    secret = rt.settings.google_calendar_channel_token
    if secret is None:
        return _unconfigured("GOOGLE_CALENDAR_CHANNEL_TOKEN", "google_calendar")
    if not _same(secret, request.headers.get("x-goog-channel-token")):
        return _unauthorized("X-Goog-Channel-Token does not match", "google_calendar")
    channel_id = request.headers.get("x-goog-channel-id", "")
    state = request.headers.get("x-goog-resource-state", "")
    number = request.headers.get("x-goog-message-number", "")
    known = await run_in_threadpool(channel_of, rt, channel_id, "google_calendar")
    job = None
    if known and state in ("exists", "not_exists"):
        job = ("calendar_sync", {"channel_id": channel_id}, f"gcal:{channel_id}:{number}")
    result = await run_in_threadpool(
        accept,
        rt,
        source="google_calendar",
        event_key=f"{channel_id}:{number}:{state}",
        event_type=state or "unknown",
        payload={"channel_id": channel_id, "state": state, "message_number": number},
        job=job,
    )
    return JSONResponse(result)


def _graph_item(item: dict[str, Any]) -> tuple[str, str, dict[str, Any], str]:
    """Event key, type, job payload and job kind of one Graph notification item."""
    subscription = str(item.get("subscriptionId", ""))
    if lifecycle := item.get("lifecycleEvent"):
        key = f"{subscription}:{lifecycle}:{item.get('subscriptionExpirationDateTime', '')}"
        return (
            key,
            str(lifecycle),
            {"subscription_id": subscription, "event": lifecycle},
            ("graph_lifecycle"),
        )
    data = item.get("resourceData") or {}
    change = str(item.get("changeType", ""))
    event_id = str(data.get("id", "")) if isinstance(data, dict) else ""
    etag = str(data.get("@odata.etag", "")) if isinstance(data, dict) else ""
    key = f"{subscription}:{change}:{event_id}:{etag}"
    payload = {
        "subscription_id": subscription,
        "change": change,
        "resource": str(item.get("resource", "")),
        "event_id": event_id,
    }
    return key, change, payload, "graph_change"


@router.post("/microsoft-graph")
async def graph_webhook(request: Request, rt: RuntimeDep) -> Response:
    """The validation handshake, then change and lifecycle notifications checked by clientState."""
    secret = rt.settings.graph_client_state
    if secret is None:
        return _unconfigured("GRAPH_CLIENT_STATE", "microsoft_graph")
    token = request.query_params.get("validationToken")
    if token is not None:
        metrics.webhook_received("microsoft_graph", "handshake")
        return PlainTextResponse(token, media_type="text/plain")
    data = _json(await _body(request))
    items = data.get("value")
    if not isinstance(items, list):
        raise InputError("Graph notification without a `value` list")
    accepted, refused = 0, 0
    for item in items:
        if not isinstance(item, dict) or not _same(secret, item.get("clientState")):
            refused += 1
            metrics.webhook_rejected("microsoft_graph", "bad_signature")
            continue
        key, kind, payload, job_kind = _graph_item(item)
        known = await run_in_threadpool(channel_of, rt, payload["subscription_id"], "graph")
        job = (job_kind, payload, ledger.short_key(f"graph:{key}")) if known else None
        await run_in_threadpool(
            accept,
            rt,
            source="microsoft_graph",
            event_key=key,
            event_type=kind,
            payload=item,
            job=job,
        )
        accepted += 1
    if refused and not accepted:
        return _unauthorized("clientState does not match", None)
    return JSONResponse({"accepted": accepted, "refused": refused}, status_code=202)
