"""RevOps' view of how far Engage can be trusted: reps' decisions and shadow mode.

- `GET /api/v1/reviews/rates[?since=DATE]` — acceptance, edit and rejection rates per field and
  per prompt version (a rep sees their own meetings', an admin everyone's);
- `GET /api/v1/reviews/export?since=DATE` — reviewed proposals as eval dataset lines (JSONL,
  transcripts redacted), the same as `engage eval export-reviews` (admin);
- `GET /api/v1/shadow/report[?since=DATE]` — shadow mode's would-have-been accuracy (admin);
- `GET /admin/shadow` — the same report as a page (admin).

Reading the CRM for the shadow report goes through the read-only view: a report never writes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from agent.api.deps import AdminUser, CurrentUser, OptionalUser, RuntimeDep
from agent.api.routes.pages import _login_redirect, _page
from agent.errors import Forbidden
from agent.services import review_export, review_stats
from agent.worker.delivery_jobs import redaction_kinds, shadow_report, start_of

router = APIRouter(tags=["reviews"])


@router.get("/api/v1/reviews/rates")
def review_rates(rt: RuntimeDep, user: CurrentUser, since: date | None = None) -> dict[str, Any]:
    with rt.db.session() as session:
        rates = review_stats.review_rates(session, actor=user, since=start_of(since))
    return rates.as_json()


@router.get("/api/v1/reviews/export", response_class=Response)
def export_reviews(rt: RuntimeDep, admin: AdminUser, since: date) -> Response:
    """One JSON line per reviewed proposal; `X-Engage-Skipped` counts proposals left out."""
    start = start_of(since)
    assert start is not None
    with rt.db.session() as session:
        result = review_export.export_reviews(session, since=start, kinds=redaction_kinds(rt))
    body = "".join(json.dumps(line, default=str) + "\n" for line in result.lines)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"X-Engage-Skipped": str(len(result.skipped))},
    )


@router.get("/api/v1/shadow/report")
def get_shadow_report(
    rt: RuntimeDep, admin: AdminUser, since: date | None = None
) -> dict[str, Any]:
    return shadow_report(rt, since).as_json()


@router.get("/admin/shadow", response_class=HTMLResponse, include_in_schema=False)
def shadow_page(request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    if user is None:
        return _login_redirect()
    if not user.is_admin:
        raise Forbidden("the shadow-mode report is for admins")
    since_text = request.query_params.get("since")
    since = date.fromisoformat(since_text) if since_text else None
    data = shadow_report(rt, since).as_json()
    return _page(request, "shadow.html", user, report=data)
