"""The Pipedrive fake's HTTP surface: `/api/v2` deals, persons, organizations, stages, activities
and searches; `/api/v1` notes and merges; OAuth token refresh; the `{success, data}` envelope,
`x-ratelimit-*` headers and 429s."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.pipedrive.store import Account, PdError
from tests.fakes.server import FaultPlan


@dataclass
class FakePipedrive:
    account: Account = field(default_factory=Account)
    api_token: str = "pd-engage-api-token"
    client_id: str = "engage-pd-client"
    client_secret: str = "engage-pd-secret"
    refresh_token: str = "pd-refresh-1"
    oauth_tokens: set[str] = field(default_factory=set)
    base_url: str = "http://127.0.0.1"
    limit: int = 80
    faults: FaultPlan = field(default_factory=FaultPlan)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.account = Account()
        self.oauth_tokens.clear()
        self.requests.clear()
        self.faults = FaultPlan()

    def token(self, auth: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth != f"Basic {expected}":
            return 401, {"success": False, "message": "Invalid client credentials"}
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return 400, {"success": False, "message": "Invalid grant: refresh token is invalid"}
        token = f"v1u:{secrets.token_urlsafe(24)}"
        self.oauth_tokens.add(token)
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3599,
            "refresh_token": self.refresh_token,
            "scope": "deals:full,contacts:full",
            "api_domain": self.base_url,
        }

    def authorized(self, request: Request) -> bool:
        token = request.headers.get("x-api-token") or request.query_params.get("api_token")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        return token == self.api_token or bearer in self.oauth_tokens


def _ok(data: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"success": True, "data": data, "additional_data": extra or {}}


def create_app(fake: FakePipedrive) -> FastAPI:
    app = FastAPI()

    @app.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        status, body = fake.token(request.headers.get("authorization", ""), form)
        return JSONResponse(body, status_code=status)

    @app.api_route("/api/{version}/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def api(request: Request, version: str, path: str) -> JSONResponse:
        with fake._lock:
            fake.requests.append((request.method, f"/api/{version}/{path}"))
        headers = {
            "x-ratelimit-limit": str(fake.limit),
            "x-ratelimit-remaining": str(fake.limit - 1),
            "x-ratelimit-reset": "2",
        }
        if not fake.authorized(request):
            return JSONResponse(
                PdError(401, "unauthorized access", "unauthorized").body(), 401, headers
            )
        fault = fake.faults.next_fault()
        if fault == "rate_limit":
            body = PdError(429, "Request over limit", "rate_limit").body()
            return JSONResponse(
                body, 429, {**headers, "x-ratelimit-remaining": "0", "Retry-After": "2"}
            )
        if fault in ("server_error", "unavailable"):
            status = 500 if fault == "server_error" else 503
            return JSONResponse(PdError(status, "Internal server error").body(), status, headers)
        raw = await request.body()
        body = json.loads(raw) if raw else {}
        try:
            with fake.account.lock:
                status, out = route(
                    fake.account,
                    request.method,
                    version,
                    path.strip("/").split("/"),
                    dict(request.query_params),
                    body,
                )
        except PdError as exc:
            return JSONResponse(exc.body(), exc.status, headers)
        return JSONResponse(out, status, headers)

    return app


def route(
    acc: Account, method: str, version: str, parts: list[str], query: dict[str, str], body: Any
) -> tuple[int, Any]:
    kind = parts[0]
    if version == "v1":
        return _v1(acc, method, parts, query, body)
    if len(parts) == 2 and parts[1] == "search" and method == "GET":
        return 200, _ok({"items": _search(acc, kind, query)})
    if kind not in acc.rows:
        raise PdError(404, "Unknown method", "not_found")
    if len(parts) == 1 and method == "GET":
        rows = acc.live(kind)
        for key in ("org_id", "deal_id", "pipeline_id", "person_id"):
            if key in query:
                rows = [r for r in rows if str(r.get(key)) == query[key]]
        if "status" in query:
            rows = [r for r in rows if r.get("status") == query["status"]]
        return 200, _ok(rows, {"next_cursor": None})
    if len(parts) == 1 and method == "POST":
        return 200, _ok(acc.create(kind, body))
    if len(parts) == 2 and method == "GET":
        return 200, _ok(acc.get(kind, parts[1]))
    if len(parts) == 2 and method == "PATCH":
        return 200, _ok(acc.update(kind, parts[1], body))
    raise PdError(404, "Unknown method", "not_found")


def _search(acc: Account, kind: str, query: dict[str, str]) -> list[dict[str, Any]]:
    term = query.get("term", "").lower()
    exact = query.get("exact_match") == "true"
    found = []
    for row in acc.live(kind):
        values = [row.get("name") or "", row.get("website") or ""]
        values += [e["value"] for e in row.get("emails", [])]
        hit = any(v.lower() == term if exact else term in v.lower() for v in values)
        if hit:
            found.append(
                {
                    "result_score": 1.0,
                    "item": {k: row.get(k) for k in ("id", "name", "website", "emails", "org_id")},
                }
            )
    return found


def _v1(
    acc: Account, method: str, parts: list[str], query: dict[str, str], body: Any
) -> tuple[int, Any]:
    if parts == ["notes"] and method == "GET":
        rows = [r for r in acc.live("notes") if str(r.get("deal_id")) == query.get("deal_id")]
        rows.sort(
            key=lambda r: (r["add_time"], r["id"]), reverse=query.get("sort", "") == "add_time DESC"
        )
        return 200, _ok(rows)
    if parts == ["notes"] and method == "POST":
        if not str(body.get("content", "")).strip():
            raise PdError(400, "Note content is required", "validation_failed")
        return 201, _ok(acc.create("notes", body))
    if len(parts) == 3 and parts[2] == "merge" and method == "PUT":
        return 200, _ok(acc.merge(parts[0], int(parts[1]), int(body["merge_with_id"])))
    raise PdError(404, "Unknown method", "not_found")
