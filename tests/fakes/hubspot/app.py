"""The HubSpot fake's HTTP surface: OAuth v1 token, CRM v3 objects (basic, batch, search),
v4 associations, deal pipelines; rate-limit headers on every answer, HubSpot's error bodies."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.hubspot.store import PLURAL, PROPERTIES, TYPE_IDS, UNIQUE, HsError, Portal
from tests.fakes.server import FaultPlan


@dataclass
class FakeHubSpot:
    portal: Portal = field(default_factory=Portal)
    private_tokens: set[str] = field(default_factory=lambda: {"pat-na1-engage-test"})
    client_id: str = "engage-hubspot-app"
    client_secret: str = "engage-hubspot-secret"
    refresh_token: str = "hs-refresh-1"
    oauth_tokens: set[str] = field(default_factory=set)
    interval_max: int = 190
    daily_max: int = 500000
    used: int = 0
    retry_after_on_429: bool = True
    faults: FaultPlan = field(default_factory=FaultPlan)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.portal = Portal()
        self.oauth_tokens.clear()
        self.requests.clear()
        self.used = 0
        self.faults = FaultPlan()
        self.retry_after_on_429 = True

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "refresh_token":
            return 400, {"status": "BAD_GRANT_TYPE", "message": "grant_type must be refresh_token"}
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 400, {"status": "BAD_CLIENT_ID", "message": "missing or unknown client id"}
        if form.get("refresh_token") != self.refresh_token:
            return 400, {
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token",
            }
        token = f"CJ{secrets.token_urlsafe(30)}"
        self.oauth_tokens.add(token)
        return 200, {
            "access_token": token,
            "refresh_token": self.refresh_token,
            "expires_in": 1800,
            "token_type": "bearer",
            "token_use": "access",
        }

    def headers(self) -> dict[str, str]:
        remaining = max(self.interval_max - self.used % self.interval_max, 0)
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily_max),
            "X-HubSpot-RateLimit-Daily-Remaining": str(self.daily_max - self.used),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(self.interval_max),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
        }

    def gate(
        self, method: str, path: str, body: Any, auth: str
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        with self._lock:
            self.requests.append((method, path, body))
            self.used += 1
        token = auth.removeprefix("Bearer ")
        if token not in self.private_tokens | self.oauth_tokens:
            return (
                401,
                HsError(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not"
                    " found. This API supports OAuth 2.0 authentication.",
                ).body(),
                {},
            )
        fault = self.faults.next_fault()
        if fault == "rate_limit":
            body = {
                "status": "error",
                "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "0f6e1c2d",
                "policyName": "SECONDLY",
                "groupName": "publicapi",
            }
            return 429, body, {"Retry-After": "1"} if self.retry_after_on_429 else {}
        if fault in ("server_error", "unavailable"):
            status = 500 if fault == "server_error" else 503
            return status, HsError(status, "INTERNAL_ERROR", "internal error").body(), {}
        return None

    # -- objects -------------------------------------------------------------------------------

    def search(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        def matches(obj: dict[str, Any], flt: dict[str, Any]) -> bool:
            value = str(obj["properties"].get(flt["propertyName"]) or "").lower()
            op = flt.get("operator", "EQ")
            if op == "EQ":
                return value == str(flt.get("value", "")).lower()
            if op == "NEQ":
                return value != str(flt.get("value", "")).lower()
            if op == "IN":
                return value in {str(v).lower() for v in flt.get("values", [])}
            if op == "HAS_PROPERTY":
                return bool(value)
            raise HsError(400, "VALIDATION_ERROR", f"operator {op} is not supported by the fake")

        groups = body.get("filterGroups") or [{"filters": []}]
        found = [
            o
            for o in self.portal.objects[kind].values()
            if not o["archived"]
            and any(all(matches(o, f) for f in g.get("filters", [])) for g in groups)
        ]
        limit = int(body.get("limit") or 10)
        return {
            "total": len(found),
            "results": [self.portal.view(kind, o, body.get("properties")) for o in found[:limit]],
        }

    def batch(self, kind: str, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        results, errors = [], []
        for item in body.get("inputs", []):
            try:
                results.append(self._batch_one(kind, action, item, body))
            except HsError as exc:
                if exc.status >= 500 or (exc.category == "VALIDATION_ERROR" and action != "read"):
                    raise
                errors.append(
                    {
                        "status": "error",
                        "category": exc.category,
                        "message": exc.message,
                        "context": {"ids": [str(item.get("id"))]},
                    }
                )
        reply: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": self.portal.tick(),
            "completedAt": self.portal.tick(),
        }
        if errors:
            reply.update(numErrors=len(errors), errors=errors)
        return (207 if errors else 200), reply

    def _batch_one(
        self, kind: str, action: str, item: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        portal = self.portal
        if action == "read":
            id_property = body.get("idProperty")
            object_id = (
                portal.find_unique(kind, id_property, str(item["id"]))
                if id_property
                else item["id"]
            )
            obj = portal.get(kind, str(object_id))
            return portal.view(kind, obj, body.get("properties"))
        if action == "update":
            return portal.view(
                kind, portal.update(kind, str(item["id"]), item.get("properties", {})), None
            )
        if action == "upsert":
            id_property = item.get("idProperty") or "hs_object_id"
            if id_property != "hs_object_id" and id_property not in UNIQUE.get(kind, set()):
                raise HsError(400, "VALIDATION_ERROR", f"{id_property} is not a unique property")
            existing = portal.find_unique(kind, id_property, str(item["id"]))
            props = dict(item.get("properties", {}))
            if existing:
                return {
                    **portal.view(kind, portal.update(kind, existing, props), None),
                    "new": False,
                }
            created = portal.create(kind, {**props, id_property: str(item["id"])})
            return {**portal.view(kind, created, None), "new": True}
        if action == "create":
            return portal.view(kind, self.create(kind, item), None)
        raise HsError(404, "NOT_FOUND", f"no batch action {action}")

    def create(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.portal.lock:
            for assoc in body.get("associations", []):
                to_id = str(assoc["to"]["id"])
                if not any(
                    to_id in objs and not objs[to_id]["archived"]
                    for objs in self.portal.objects.values()
                ):
                    raise HsError(
                        400,
                        "VALIDATION_ERROR",
                        f"One or more associations are invalid: {to_id}",
                        subCategory="crm.associations.INVALID_OBJECT_IDS",
                    )
            obj = self.portal.create(kind, body.get("properties", {}))
            for assoc in body.get("associations", []):
                to_id = str(assoc["to"]["id"])
                to_kind = next(k for k, objs in self.portal.objects.items() if to_id in objs)
                type_id = assoc["types"][0]["associationTypeId"]
                self.portal.associate(kind, obj["id"], to_kind, to_id, type_id)
            return obj


def create_app(fake: FakeHubSpot) -> FastAPI:
    app = FastAPI()

    def reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        sent = {**fake.headers(), **(headers or {})}
        if body is None:
            return Response(status_code=status, headers=sent)
        return JSONResponse(body, status_code=status, headers=sent)

    @app.post("/oauth/v1/token")
    async def token(request: Request) -> JSONResponse:
        status, body = fake.token({k: str(v) for k, v in (await request.form()).items()})
        return JSONResponse(body, status_code=status)

    @app.api_route("/crm/{version}/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def crm(request: Request, version: str, path: str) -> Response:
        raw = await request.body()
        import json

        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return reply(400, HsError(400, "VALIDATION_ERROR", "Invalid input JSON").body())
        refused = fake.gate(
            request.method, f"/crm/{version}/{path}", body, request.headers.get("authorization", "")
        )
        if refused is not None:
            return reply(*refused)
        try:
            with fake.portal.lock:
                query = dict(request.query_params)
                for multi in ("properties", "associations"):
                    query[multi] = ",".join(request.query_params.getlist(multi))
                status, out = route(
                    fake,
                    request.method,
                    version,
                    path.strip("/").split("/"),
                    query,
                    body,
                )
        except HsError as exc:
            return reply(exc.status, exc.body())
        return reply(status, out)

    return app


def route(
    fake: FakeHubSpot, method: str, version: str, parts: list[str], query: dict[str, str], body: Any
) -> tuple[int, Any]:
    portal = fake.portal
    if version == "v3" and parts[:2] == ["pipelines", "deals"]:
        stages = [
            {
                "id": s.id,
                "label": s.label,
                "displayOrder": i,
                "archived": False,
                "metadata": {"isClosed": str(s.closed).lower()},
            }
            for i, s in enumerate(portal.stages)
        ]
        return 200, {
            "results": [
                {
                    "id": "default",
                    "label": "Sales Pipeline",
                    "displayOrder": 0,
                    "archived": False,
                    "stages": stages,
                }
            ]
        }
    if parts[0] != "objects" or len(parts) < 2:
        raise HsError(404, "NOT_FOUND", "Not found")
    kind = PLURAL.get(parts[1]) or next((k for k, v in TYPE_IDS.items() if v == parts[1]), "")
    if kind not in PROPERTIES:
        raise HsError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {parts[1]}")
    rest = parts[2:]
    if version == "v4":
        return _v4(fake, method, kind, rest)
    if not rest and method == "POST":
        return 201, portal.view(kind, fake.create(kind, body), None)
    if not rest and method == "GET":
        properties = [p for p in query.get("properties", "").split(",") if p] or None
        live = [o for o in portal.objects[kind].values() if not o["archived"]]
        return 200, {"results": [portal.view(kind, o, properties) for o in live[:100]]}
    if rest == ["search"] and method == "POST":
        return 200, fake.search(kind, body)
    if len(rest) == 2 and rest[0] == "batch" and method == "POST":
        return fake.batch(kind, rest[1], body)
    if len(rest) == 1 and method == "GET":
        obj = portal.get(kind, rest[0])
        properties = [p for p in query.get("properties", "").split(",") if p] or None
        view = portal.view(kind, obj, properties)
        if query.get("associations"):
            view["associations"] = {}
            for to in query["associations"].split(","):
                to_kind = PLURAL.get(to, to)
                linked = portal.associated(kind, rest[0], to_kind)
                if linked:
                    view["associations"][to_kind] = {
                        "results": [
                            {"id": i, "type": f"{kind[:-1]}_to_{to_kind[:-1]}"} for i in linked
                        ]
                    }
        return 200, view
    if len(rest) == 1 and method == "PATCH":
        return 200, portal.view(
            kind, portal.update(kind, rest[0], body.get("properties", {})), None
        )
    raise HsError(404, "NOT_FOUND", "Not found")


def _v4(fake: FakeHubSpot, method: str, kind: str, rest: list[str]) -> tuple[int, Any]:
    portal = fake.portal
    if len(rest) == 3 and rest[1] == "associations" and method == "GET":
        portal.get(kind, rest[0])
        to_kind = PLURAL.get(rest[2], rest[2])
        linked = portal.associated(kind, rest[0], to_kind)
        results = [
            {
                "toObjectId": int(i),
                "associationTypes": [
                    {
                        "category": "HUBSPOT_DEFINED" if label is None else "USER_DEFINED",
                        "typeId": t,
                        "label": label,
                    }
                    for t, label in types
                ],
            }
            for i, types in linked.items()
        ]
        return 200, {"results": results}
    if len(rest) == 5 and rest[1:3] == ["associations", "default"] and method == "PUT":
        to_kind = PLURAL.get(rest[3], rest[3])
        portal.associate(kind, rest[0], to_kind, rest[4])
        return 200, {
            "status": "COMPLETE",
            "results": [{"from": {"id": rest[0]}, "to": {"id": rest[4]}}],
        }
    raise HsError(404, "NOT_FOUND", "Not found")
