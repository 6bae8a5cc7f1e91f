"""Slack's interactive requests: the approve / edit / reject buttons and the edit modal.

`POST /slack/interactions` is the app's Interactivity Request URL. Each request is checked with
the signing secret over the raw body and its timestamp (five minutes, no replays) before the
form's `payload=` is read. The Slack user who clicked is mapped to an Engage user by email
(`users.info`), and the decision goes through the same workflow and the same authorization as
the API: only the meeting's own rep decides, and nothing in the payload can widen that. A refusal
comes back as a message only that user sees; a modal gets its error under the field. Without
`SLACK_SIGNING_SECRET` (or `SLACK_BOT_TOKEN`) the endpoint answers 503 and accepts nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.api.deps import RuntimeDep
from agent.db.tables import Meeting
from agent.domain.delivery import Messenger
from agent.errors import EngageError, Forbidden, InputError
from agent.runtime import Runtime, Workflow
from agent.services import access
from agent.services import proposals as proposal_service
from agent.services.notify import review_card
from agent.services.review import Decision
from agent.services.users import Actor, active_user
from agent.worker.delivery_jobs import notifier
from connectors.slack import SignatureError, verify
from connectors.slack.blocks import (
    APPROVE,
    EDIT,
    EDIT_CALLBACK,
    REJECT,
    VALUE_ACTION,
    VALUE_BLOCK,
    parse_action_value,
)
from connectors.slack.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER

router = APIRouter(prefix="/slack", tags=["slack"])
log = logging.getLogger("engage.slack")

MAX_BODY = 256 * 1024
STRANGER = "Your Slack account's email is not an active Engage user, so Engage cannot take this."


def _unconfigured(variable: str) -> JSONResponse:
    return JSONResponse({"detail": f"Slack is not configured: set {variable}"}, status_code=503)


def _payload(body: bytes) -> dict[str, Any]:
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        data = json.loads(fields["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError):
        raise InputError("a Slack interaction is a form with a JSON `payload` field") from None
    if not isinstance(data, dict) or not isinstance(data.get("user"), dict):
        raise InputError("the Slack payload names no user")
    return data


@router.post("/interactions")
async def interactions(request: Request, rt: RuntimeDep) -> Response:
    secret = rt.settings.slack_signing_secret
    if secret is None:
        return _unconfigured("SLACK_SIGNING_SECRET")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InputError(f"a Slack interaction larger than {MAX_BODY} bytes")
    try:
        verify(
            secret=secret.get_secret_value(),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body,
            now=rt.clock.now(),
        )
    except SignatureError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=401)
    messenger = rt.delivery.messenger
    if messenger is None:
        return _unconfigured("SLACK_BOT_TOKEN")
    payload = _payload(body)
    return await run_in_threadpool(_handle, rt, messenger, payload)


def _handle(rt: Runtime, messenger: Messenger, payload: dict[str, Any]) -> Response:
    user_ref = str(payload["user"].get("id", ""))
    actor = _actor(rt, messenger, user_ref)
    kind = payload.get("type")
    if kind == "view_submission":
        return _submitted(rt, actor, payload)
    if kind != "block_actions":
        return Response(status_code=200)
    conversation = str(
        (payload.get("channel") or {}).get("id")
        or (payload.get("container") or {}).get("channel_id")
        or user_ref
    )
    if actor is None:
        messenger.tell(conversation=conversation, user_ref=user_ref, text=STRANGER)
        return Response(status_code=200)
    for action in payload.get("actions") or []:
        message = _act(rt, messenger, actor, action, str(payload.get("trigger_id", "")))
        if message:
            messenger.tell(conversation=conversation, user_ref=user_ref, text=message)
    return Response(status_code=200)


def _actor(rt: Runtime, messenger: Messenger, user_ref: str) -> Actor | None:
    email = messenger.email_of(user_ref) if user_ref else None
    if email is None:
        return None
    with rt.db.session() as session:
        return active_user(session, email=email, now=rt.clock.now())


def _act(
    rt: Runtime, messenger: Messenger, actor: Actor, action: dict[str, Any], trigger: str
) -> str | None:
    """One button press; returns the message for the rep when it was refused or failed."""
    action_id = action.get("action_id")
    if action_id not in (APPROVE, REJECT, EDIT):
        return None
    try:
        proposal_id, change_id = parse_action_value(str(action.get("value", "")))
    except ValueError as exc:
        return f"Not saved: {exc}"
    try:
        if action_id == EDIT:
            _open_editor(rt, messenger, actor, proposal_id, change_id, trigger)
            return None
        flow = Workflow(rt)
        if action_id == APPROVE:
            decision = Decision(change_id=change_id)
            flow.approve(
                proposal_id=proposal_id, actor=actor, approve_all=False, decisions=[decision]
            )
        else:
            flow.reject(proposal_id=proposal_id, actor=actor, change_ids=[change_id])
    except Forbidden as exc:
        access.denied(
            actor=actor.email,
            action="slack",
            target=str(action.get("value")),
            status=403,
            reason=str(exc),
        )
        return f"Not saved: {exc}"
    except InputError as exc:
        _refresh(rt, proposal_id)  # a button pressed after a decision made elsewhere
        return f"Not saved: {exc}"
    except EngageError as exc:
        _refresh(rt, proposal_id)
        return f"Saved, but writing to the CRM failed: {exc}"
    _refresh(rt, proposal_id)
    return None


def _open_editor(
    rt: Runtime, messenger: Messenger, actor: Actor, proposal_id: str, change_id: str, trigger: str
) -> None:
    with rt.db.session() as session:
        proposal = proposal_service.load_proposal(session, proposal_id, actor)
        meeting = session.get(Meeting, proposal.meeting_id)
        if meeting is None or meeting.rep_id != actor.id:
            raise Forbidden("only the meeting's rep decides on its proposal")
        view = proposal_service.view_proposal(session, proposal)
    change = next((c for c in view.changes if c.id == change_id), None)
    if change is None:
        raise InputError(f"proposal {proposal_id} has no change {change_id}")
    if change.status != "pending":
        raise InputError(f"change {change_id} is already {change.status}")
    card = review_card(view, policy=rt.policy, base_url=None)
    messenger.open_editor(trigger, card, change_id)


def _submitted(rt: Runtime, actor: Actor | None, payload: dict[str, Any]) -> Response:
    view = payload.get("view") or {}
    if view.get("callback_id") != EDIT_CALLBACK:
        return Response(status_code=200)
    if actor is None:
        return _field_error(STRANGER)
    try:
        proposal_id, change_id = parse_action_value(str(view.get("private_metadata", "")))
        value = view["state"]["values"][VALUE_BLOCK][VALUE_ACTION].get("value")
        decision = Decision(change_id=change_id, value=value, edited=True)
        Workflow(rt).approve(
            proposal_id=proposal_id, actor=actor, approve_all=False, decisions=[decision]
        )
    except (KeyError, TypeError, ValueError):
        return _field_error("The form came back without its value.")
    except (Forbidden, InputError) as exc:
        return _field_error(f"Not saved: {exc}")
    except EngageError as exc:
        log.warning("approved in Slack, but applying failed: %s", exc)
    _refresh(rt, proposal_id)
    return Response(status_code=200)


def _field_error(message: str) -> JSONResponse:
    return JSONResponse({"response_action": "errors", "errors": {VALUE_BLOCK: message[:150]}})


def _refresh(rt: Runtime, proposal_id: str) -> None:
    """The message shows the decision; a Slack hiccup here never undoes the decision."""
    try:
        notifier(rt).refresh_review(proposal_id)
    except EngageError as exc:
        log.warning("could not update the Slack message of proposal %s: %s", proposal_id, exc)
