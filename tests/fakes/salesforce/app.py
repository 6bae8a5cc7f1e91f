"""The Salesforce fake's HTTP surface: OAuth token endpoint and REST data API (real paths).

Data calls go through one dispatcher so that Composite subrequests run exactly as top-level
requests do. Each top-level call counts against `api-usage` in `Sforce-Limit-Info`, may be failed
by the fault plan (403 REQUEST_LIMIT_EXCEEDED, 500, 503) before any work, and needs a live session
(401 INVALID_SESSION_ID otherwise).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

import jwt
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.fakes.salesforce.org import Org, SfError, attributes
from tests.fakes.salesforce.schema import OBJECTS
from tests.fakes.server import FaultPlan

Reply = tuple[int, Any, dict[str, str]]
_HALTED = "The transaction was rolled back since another operation in the same transaction failed."


@dataclass
class FakeSalesforce:
    org: Org = field(default_factory=Org)
    client_id: str = "engage-consumer-key"
    client_secret: str = "engage-consumer-secret"
    username: str = "engage@acme.test"
    public_key_pem: bytes | None = None
    refresh_tokens: set[str] = field(default_factory=lambda: {"engage-refresh-1"})
    rotate_refresh_tokens: bool = False
    api_limit: int = 15000
    api_used: int = 0
    batch_size: int = 2000
    faults: FaultPlan = field(default_factory=FaultPlan)
    base_url: str = "http://127.0.0.1"
    sessions: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, org: Org | None = None) -> None:
        """A fresh org and clean counters, so one served fake can serve many tests."""
        self.org = org or Org()
        self.api_used = 0
        self.faults = FaultPlan()
        self.refresh_tokens = {"engage-refresh-1"}
        for collected in (self.sessions, self.token_requests, self.requests, self._cursors):
            collected.clear()

    def issue_session(self) -> str:
        token = f"00D!{secrets.token_urlsafe(24)}"
        self.sessions.add(token)
        return token

    def expire_sessions(self) -> None:
        self.sessions.clear()

    # -- OAuth ---------------------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> Reply:
        self.token_requests.append(form)
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            refused = self._check_assertion(form.get("assertion", ""))
        elif grant == "refresh_token":
            refused = self._check_refresh(form)
        else:
            refused = ("unsupported_grant_type", "grant type not supported")
        if refused:
            return 400, {"error": refused[0], "error_description": refused[1]}, {}
        issued = str(int(time.time() * 1000))
        identity = f"https://login.salesforce.com/id/00Dxx0000001gPLEAY/{self.org.admin_id}"
        signature = base64.b64encode(
            hmac.new(
                self.client_secret.encode(), (identity + issued).encode(), hashlib.sha256
            ).digest()
        ).decode()
        body = {
            "access_token": self.issue_session(),
            "instance_url": self.base_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued,
            "signature": signature,
            "scope": "api refresh_token",
        }
        if grant == "refresh_token" and self.rotate_refresh_tokens:
            fresh = f"engage-refresh-{secrets.token_hex(4)}"
            self.refresh_tokens = {fresh}
            body["refresh_token"] = fresh
        return 200, body, {}

    def _check_assertion(self, assertion: str) -> tuple[str, str] | None:
        if self.public_key_pem is None:
            return "invalid_grant", "no certificate uploaded for this connected app"
        try:
            claims = jwt.decode(
                assertion, self.public_key_pem, algorithms=["RS256"], audience=self.base_url
            )
        except jwt.InvalidTokenError as exc:
            return "invalid_grant", f"invalid assertion: {exc}"
        if claims.get("iss") != self.client_id:
            return "invalid_client_id", "client identifier invalid"
        if claims.get("sub") != self.username:
            return "invalid_grant", "user hasn't approved this consumer"
        return None

    def _check_refresh(self, form: dict[str, str]) -> tuple[str, str] | None:
        if form.get("client_id") != self.client_id:
            return "invalid_client_id", "client identifier invalid"
        if form.get("client_secret") != self.client_secret:
            return "invalid_client", "invalid client credentials"
        if form.get("refresh_token") not in self.refresh_tokens:
            return "invalid_grant", "expired access/refresh token"
        return None

    # -- data API ------------------------------------------------------------------------------

    def top_level(
        self, method: str, path: str, params: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Reply:
        with self._lock:
            self.requests.append((method, path))
            self.api_used += 1
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.sessions:
            return (
                401,
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                {},
            )
        fault = self.faults.next_fault()
        if fault == "rate_limit":
            return (
                403,
                [
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                {},
            )
        if fault == "server_error":
            return (
                500,
                [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}],
                {},
            )
        if fault == "unavailable":
            return 503, [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}], {}
        return self.dispatch(method, path, params, body, headers)

    def dispatch(
        self, method: str, path: str, params: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Reply:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        try:
            return self._route(method, parts, params, body, headers)
        except SfError as exc:
            return exc.status, exc.body(), {}

    def _route(
        self,
        method: str,
        parts: list[str],
        params: dict[str, str],
        body: Any,
        headers: dict[str, str],
    ) -> Reply:
        head = parts[0] if parts else ""
        if head in ("query", "queryAll") and method == "GET":
            return self._query(parts[1:], params)
        if head == "sobjects" and len(parts) >= 2:
            return self._sobjects(method, parts[1:], params, body, headers)
        if head == "composite" and len(parts) == 1 and method == "POST":
            return self._composite(body)
        if head == "composite" and parts[1:] == ["sobjects"] and method == "PATCH":
            return self._collections_update(body)
        if head == "limits" and method == "GET":
            remaining = self.api_limit - self.api_used
            return 200, {"DailyApiRequests": {"Max": self.api_limit, "Remaining": remaining}}, {}
        raise SfError(404, "NOT_FOUND", "The requested resource does not exist")

    def _query(self, rest: list[str], params: dict[str, str]) -> Reply:
        if rest and rest[0]:
            rows = self._cursors.pop(rest[0], None)
            if rows is None:
                raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            return 200, self._page(rows, len(rows)), {}
        rows = self.org.query(params.get("q", ""))
        return 200, self._page(rows, len(rows)), {}

    def _page(self, rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
        page, rest = rows[: self.batch_size], rows[self.batch_size :]
        body: dict[str, Any] = {"totalSize": total, "done": not rest, "records": page}
        if rest:
            locator = f"01g{secrets.token_hex(6)}-{self.batch_size}"
            self._cursors[locator] = rest
            body["nextRecordsUrl"] = f"/services/data/v59.0/query/{locator}"
        return body

    def _sobjects(
        self,
        method: str,
        parts: list[str],
        params: dict[str, str],
        body: Any,
        headers: dict[str, str],
    ) -> Reply:
        sobject = parts[0]
        if sobject not in OBJECTS:
            raise SfError(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")
        if len(parts) == 1 or (len(parts) == 2 and parts[1] == ""):
            if method == "POST":
                record_id = self.org.insert(sobject, _fields(body))
                return 201, {"id": record_id, "success": True, "errors": []}, {}
            raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")
        if parts[1] == "describe" and method == "GET":
            return 200, self._describe(sobject), {}
        if len(parts) == 3:
            return self._by_external_id(method, sobject, parts[1], parts[2], body)
        record_id = parts[1]
        if method == "GET":
            return self._retrieve(sobject, record_id, params)
        if method == "PATCH":
            since = headers.get("if-unmodified-since")
            when = parsedate_to_datetime(since) if since else None
            self.org.update(sobject, record_id, _fields(body), unmodified_since=when)
            return 204, None, {}
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")

    def _retrieve(self, sobject: str, record_id: str, params: dict[str, str]) -> Reply:
        record = self.org.get(sobject, record_id)
        wanted = [f for f in params.get("fields", "").split(",") if f] or list(record)
        out: dict[str, Any] = {"attributes": attributes(sobject, record_id)}
        for name in wanted:
            if name not in record:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
                )
            out[name] = record[name]
        return 200, out, {"Last-Modified": _http_date(record["LastModifiedDate"])}

    def _by_external_id(
        self, method: str, sobject: str, key_field: str, key: str, body: Any
    ) -> Reply:
        if method == "PATCH":
            record_id, created = self.org.upsert(sobject, key_field, key, _fields(body))
            if created:
                return 201, {"id": record_id, "success": True, "errors": [], "created": True}, {}
            if self.org.upsert_update_status == 204:
                return 204, None, {}
            return 200, {"id": record_id, "success": True, "errors": [], "created": False}, {}
        if method == "GET":
            matches = [r for r in self.org.records[sobject].values() if r.get(key_field) == key]
            if not matches:
                raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
            return self._retrieve(sobject, matches[0]["Id"], {})
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")

    def _describe(self, sobject: str) -> dict[str, Any]:
        fields = []
        for name, spec in OBJECTS[sobject].items():
            entry: dict[str, Any] = {
                "name": name,
                "type": spec.type,
                "label": name.removesuffix("__c").replace("_", " "),
                "nillable": spec.nillable,
                "updateable": spec.updateable,
                "createable": spec.updateable,
                "externalId": spec.external_id,
                "length": spec.length,
                "picklistValues": [],
                "restrictedPicklist": False,
            }
            if sobject == "Opportunity" and name == "StageName":
                entry["restrictedPicklist"] = True
                entry["picklistValues"] = [
                    {"value": s.name, "label": s.name, "active": True, "defaultValue": False}
                    for s in self.org.stages
                ]
            fields.append(entry)
        return {"name": sobject, "label": sobject, "fields": fields, "updateable": True}

    def _composite(self, body: Any) -> Reply:
        all_or_none = bool(body.get("allOrNone"))
        responses: list[dict[str, Any]] = []
        failed = False
        for sub in body.get("compositeRequest", []):
            if failed and all_or_none:
                responses.append(
                    _sub_reply(
                        sub,
                        400,
                        [
                            {
                                "errorCode": "PROCESSING_HALTED",
                                "message": _HALTED,
                            }
                        ],
                    )
                )
                continue
            sub_headers = {k.lower(): v for k, v in (sub.get("httpHeaders") or {}).items()}
            url = sub["url"].split("?", 1)
            params = dict(p.split("=", 1) for p in url[1].split("&")) if len(url) > 1 else {}
            path = url[0].split("/services/data/", 1)[1].split("/", 1)[1]
            status, reply, _ = self.dispatch(
                sub["method"], path, params, sub.get("body"), sub_headers
            )
            failed = failed or status >= 400
            responses.append(_sub_reply(sub, status, reply))
        return 200, {"compositeResponse": responses}, {}

    def _collections_update(self, body: Any) -> Reply:
        results = []
        for record in body.get("records", []):
            sobject = record.get("attributes", {}).get("type", "")
            values = {k: v for k, v in record.items() if k not in ("attributes", "id", "Id")}
            try:
                self.org.update(sobject, record.get("id") or record.get("Id"), values)
                results.append({"id": record.get("id"), "success": True, "errors": []})
            except SfError as exc:
                results.append(
                    {
                        "success": False,
                        "errors": [
                            {"statusCode": exc.code, "message": exc.message, "fields": exc.fields}
                        ],
                    }
                )
        return 200, results, {}

    def limit_header(self) -> str:
        return f"api-usage={self.api_used}/{self.api_limit}"


def _sub_reply(sub: dict[str, Any], status: int, body: Any) -> dict[str, Any]:
    return {
        "body": body,
        "httpHeaders": {},
        "httpStatusCode": status,
        "referenceId": sub.get("referenceId"),
    }


def _fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SfError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return {k: v for k, v in body.items() if k not in ("attributes",)}


def _http_date(stamp: str) -> str:
    from tests.fakes.salesforce.org import parse_stamp

    return parse_stamp(stamp).strftime("%a, %d %b %Y %H:%M:%S GMT")


def create_app(fake: FakeSalesforce) -> FastAPI:
    app = FastAPI()

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        status, body, _ = fake.token(form)
        return JSONResponse(body, status_code=status)

    @app.api_route(
        "/services/data/{version}/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"]
    )
    async def data(request: Request, version: str, path: str) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
            if request.method in ("POST", "PATCH"):
                return _reply(
                    fake,
                    400,
                    [{"message": "Unexpected character", "errorCode": "JSON_PARSER_ERROR"}],
                    {},
                )
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, reply, extra = fake.top_level(
            request.method, path, dict(request.query_params), body, headers
        )
        return _reply(fake, status, reply, extra)

    return app


def _reply(fake: FakeSalesforce, status: int, body: Any, headers: dict[str, str]) -> Response:
    sent = {"Sforce-Limit-Info": fake.limit_header(), **headers}
    if body is None:
        return Response(status_code=status, headers=sent)
    return JSONResponse(body, status_code=status, headers=sent)
