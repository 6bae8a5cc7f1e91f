"""Integration health over HTTP: `GET /metrics` for Prometheus and the admin dashboard.

`/metrics` is open unless `ENGAGE_METRICS_TOKEN` is set, in which case the scraper sends it as a
bearer token (it holds counts, never content). The dashboard (`/admin/health`) and its retry
buttons are for admins; a retry is a form POST carrying the session's CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from agent.api.deps import OptionalUser, RuntimeDep
from agent.api.routes.pages import _check_csrf, _login_redirect, _page
from agent.errors import Forbidden, NotFound
from agent.observability import events, metrics
from agent.observability.alerts import active_alerts
from agent.observability.collector import StateCollector
from agent.observability.dashboard import alert_views, connector_view, waiting_chart
from agent.observability.health import AGE_BUCKETS, connector_health, waiting_for_review
from agent.runtime import Runtime
from agent.services.users import Actor

router = APIRouter(include_in_schema=False)


def _state_registry(request: Request, rt: Runtime) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_state", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StateCollector(rt))
        request.app.state.metrics_state = registry
    return registry


@router.get("/metrics")
def prometheus_metrics(request: Request, rt: RuntimeDep) -> Response:
    token = rt.settings.engage_metrics_token
    if token is not None:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent, token.get_secret_value()):
            return Response(
                "send ENGAGE_METRICS_TOKEN as Authorization: Bearer <token>\n",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
    body = generate_latest(metrics.REGISTRY) + generate_latest(_state_registry(request, rt))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _admin(user: Actor | None) -> Actor | None:
    if user is not None and not user.is_admin:
        raise Forbidden("the health dashboard is for admins")
    return user


@router.get("/admin/health", response_class=HTMLResponse)
def dashboard(request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    admin = _admin(user)
    if admin is None:
        return _login_redirect()
    events.flush(rt.db, rt.clock)
    now = rt.clock.now()
    quota_guide = rt.settings.engage_alert_quota_fraction
    with rt.db.session() as session:
        connectors = connector_health(session, now=now, connectors=[rt.crm.system])
        queues = waiting_for_review(session, now=now)
        alerts = alert_views(active_alerts(session), now)
    return _page(
        request,
        "dashboard.html",
        admin,
        now=now,
        connectors=[connector_view(c, now=now, quota_guide=quota_guide) for c in connectors],
        queues=queues,
        age_labels=[label for label, _ in AGE_BUCKETS],
        waiting=waiting_chart(queues),
        review_hours=rt.settings.engage_alert_review_hours,
        alerts=alerts,
        dead_letters=rt.job_queue().dead_letters(),
        retried=request.query_params.get("retried"),
    )


def retry_dead_letter(rt: Runtime, job_id: str) -> None:
    """Queue a dead letter again and wake whatever runs jobs in this process (the job thread on
    SQLite, the workers on PostgreSQL); without a runner, run it here."""
    jobs = rt.job_queue()
    if jobs.status(job_id) != "dead":
        raise NotFound(f"no dead letter {job_id}")
    jobs.retry(job_id)
    if rt.runner is not None:
        rt.runner.wake(job_id)
    else:
        jobs.run(job_id)


@router.post("/admin/dead-letters/{job_id}/retry")
async def retry_from_dashboard(
    job_id: str,
    request: Request,
    rt: RuntimeDep,
    user: OptionalUser,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if _admin(user) is None:
        return _login_redirect()
    _check_csrf(request, csrf)
    await run_in_threadpool(retry_dead_letter, rt, job_id)
    return RedirectResponse(f"/admin/health?retried={job_id}", status_code=303)
