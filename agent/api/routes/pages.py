"""Server-rendered pages for reps: meetings, briefs, and the one-screen review.

Logged in with the same API token (kept as a signed session cookie); every form post carries a
CSRF token from the session. "Approve all" on the page covers non-critical changes only: a
critical field (amount, close date, stage, …) needs its own tick.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from agent.api.deps import OptionalUser, RuntimeDep
from agent.errors import EngageError, Forbidden, InputError
from agent.runtime import Runtime, Workflow
from agent.services import meetings as meeting_service
from agent.services import proposals as proposal_service
from agent.services.brief import ReadOnlyCrm, brief_for
from agent.services.review import Decision
from agent.services.users import Actor, authenticate, session_stamp

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
router = APIRouter(include_in_schema=False)


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def _check_csrf(request: Request, sent: str) -> None:
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        raise Forbidden("the form is stale or forged (CSRF check failed); reload the page")


def _page(request: Request, name: str, user: Actor | None, **context: Any) -> HTMLResponse:
    """A rendered page; its security headers come from `agent.api.security`."""
    return templates.TemplateResponse(
        request, name, {"user": user, "csrf": _csrf(request), **context}
    )


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


def login_page(
    request: Request, rt: Runtime, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The login form, with the single sign-on button when an identity provider is set."""
    page = _page(request, "login.html", None, error=error, sso=bool(rt.settings.engage_oidc_issuer))
    page.status_code = status_code
    return page


def start_session(request: Request, rt: Runtime, actor: Actor) -> None:
    """Log the actor in: a fresh session (and CSRF token) stamped with their current token."""
    with rt.db.session() as session:
        stamp = session_stamp(session, user_id=actor.id)
    request.session.clear()
    request.session["user_id"] = actor.id
    request.session["stamp"] = stamp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, rt: RuntimeDep) -> Response:
    return login_page(request, rt)


@router.post("/login")
def login(
    request: Request, rt: RuntimeDep, token: Annotated[str, Form()], csrf: Annotated[str, Form()]
) -> Response:
    _check_csrf(request, csrf)
    with rt.db.session() as session:
        actor = authenticate(session, token=token.strip(), now=rt.clock.now())
    if actor is None:
        return login_page(request, rt, error="That token is not valid.", status_code=401)
    start_session(request, rt, actor)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()]) -> Response:
    _check_csrf(request, csrf)
    request.session.clear()
    return _login_redirect()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    if user is None:
        return _login_redirect()
    with rt.db.session() as session:
        meetings = meeting_service.list_meetings(session, user)
        proposals = proposal_service.list_proposals(session, actor=user)
    dead = rt.job_queue().dead_letters() if user.is_admin else []
    return _page(
        request,
        "home.html",
        user,
        meetings=meetings,
        proposals=proposals,
        engine=rt.engine.name,
        dead_letters=dead,
    )


@router.get("/meetings/{meeting_id}/brief", response_class=HTMLResponse)
def brief_page(meeting_id: str, request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    if user is None:
        return _login_redirect()
    with rt.db.session() as session:
        meeting = meeting_service.get_meeting(session, meeting_id, user)
    brief = brief_for(ReadOnlyCrm(rt.crm), meeting)
    return _page(request, "brief.html", user, brief=brief, meeting=meeting)


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal_page(
    proposal_id: str, request: Request, rt: RuntimeDep, user: OptionalUser
) -> Response:
    if user is None:
        return _login_redirect()
    with rt.db.session() as session:
        proposal = proposal_service.get_proposal(session, proposal_id, user)
    return _page(request, "proposal.html", user, p=proposal, message=None, data=asdict(proposal))


def _decisions(
    form: FormData, proposal: proposal_service.ProposalView, approve_all: bool
) -> tuple[list[Decision], list[str]]:
    approvals: list[Decision] = []
    rejections: list[str] = []
    for change in proposal.changes:
        if change.status != "pending":
            continue
        choice = str(form.get(f"decision_{change.id}", "keep"))
        if approve_all and choice == "keep" and not change.critical:
            choice = "approve"
        if choice == "reject":
            rejections.append(change.id)
        elif choice == "approve":
            edited = str(form.get(f"value_{change.id}", "")).strip()
            shown = _display(change.after)
            is_edit = bool(edited) and edited != shown
            approvals.append(
                Decision(change_id=change.id, value=edited if is_edit else None, edited=is_edit)
            )
    return approvals, rejections


def _display(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


templates.env.filters["show"] = _display


@router.post("/proposals/{proposal_id}/decide", response_class=HTMLResponse)
async def decide(
    proposal_id: str, request: Request, rt: RuntimeDep, user: OptionalUser
) -> Response:
    if user is None:
        return _login_redirect()
    form = await request.form()
    _check_csrf(request, str(form.get("csrf", "")))
    with rt.db.session() as session:
        proposal = proposal_service.get_proposal(session, proposal_id, user)
    approvals, rejections = _decisions(form, proposal, form.get("action") == "approve_all")
    flow = Workflow(rt)
    message = "Nothing chosen."
    try:
        if rejections:
            flow.reject(proposal_id=proposal_id, actor=user, change_ids=rejections)
        if approvals:
            flow.approve(
                proposal_id=proposal_id, actor=user, approve_all=False, decisions=approvals
            )
        if approvals or rejections:
            message = f"Saved: {len(approvals)} approved, {len(rejections)} rejected."
    except (InputError, Forbidden) as exc:
        message = f"Not saved: {exc}"
    except EngageError as exc:
        message = f"Saved, but writing to the CRM failed: {exc}"
    with rt.db.session() as session:
        proposal = proposal_service.get_proposal(session, proposal_id, user)
    return _page(request, "proposal.html", user, p=proposal, message=message, data=asdict(proposal))


@router.post("/proposals/{proposal_id}/revert", response_class=HTMLResponse)
async def revert(
    proposal_id: str, request: Request, rt: RuntimeDep, user: OptionalUser
) -> Response:
    """The page's revert buttons: one applied change (`change`), or all of them (empty)."""
    if user is None:
        return _login_redirect()
    form = await request.form()
    _check_csrf(request, str(form.get("csrf", "")))
    change = str(form.get("change", "")).strip()
    try:
        Workflow(rt).revert(
            proposal_id=proposal_id, actor=user, change_ids=[change] if change else []
        )
        message = None
    except (InputError, Forbidden) as exc:
        message = f"Not reverted: {exc}"
    except EngageError as exc:
        message = f"Reverting in the CRM failed: {exc}"
    with rt.db.session() as session:
        proposal = proposal_service.get_proposal(session, proposal_id, user)
    if message is None:
        outcomes = [
            c.revert["status"]
            for c in proposal.changes
            if c.revert is not None and (not change or c.id == change)
        ]
        message = (
            f"Reverted: {outcomes.count('applied')} change(s); "
            f"{outcomes.count('conflict')} left alone because the CRM value changed since."
        )
    return _page(request, "proposal.html", user, p=proposal, message=message, data=asdict(proposal))
