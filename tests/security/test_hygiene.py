"""API hygiene: body size limits, strict request models, rate limits, security headers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.api.security import TokenBuckets
from agent.runtime import build_runtime
from agent.settings import Settings
from tests.security.conftest import World, bearer, build_world, security_settings
from tests.security.test_authz_walk import fills, hints
from tests.security.walk import endpoints, example, resolve
from tests.support import FrozenClock

FREE_FORM = {("SignalCreate", "data")}
"""Request fields that are deliberately free-form JSON (a vendor's own payload, stored as is)."""
FILES = {"POST /api/v1/meetings/{meeting_id}/transcript"}
"""Routes whose body is a file (a transcript export), parsed field by field, not a model."""


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def small(base_settings: Settings, clock: FrozenClock) -> Iterator[World]:
    """A world with small limits: 2 KiB bodies, 8 KiB uploads, 3 requests then 1 a second."""
    configured = security_settings(
        base_settings,
        engage_max_body_bytes=2048,
        engage_max_upload_bytes=8192,
        engage_rate_limit_per_minute=60,
        engage_rate_limit_burst=3,
    )
    rt = build_runtime(configured, clock=clock)
    try:
        yield build_world(rt)
    finally:
        rt.close()


def test_a_declared_oversized_body_is_refused_before_it_is_read(small: World) -> None:
    client = small.client()
    answer = client.post(
        f"/api/v1/proposals/{small.proposal_ids[0]}/approve",
        content=b"{" + b" " * 4000 + b"}",
        headers={**bearer(small.victim_token), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "request body larger than 2048 bytes"


def test_a_streamed_body_is_cut_off_at_the_limit(small: World) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"all": true, "changes": ['
        for _ in range(200):
            yield b'{"id": "chg_0000000000"},'
        yield b"]}"

    answer = small.client().post(
        f"/api/v1/proposals/{small.proposal_ids[0]}/approve",
        content=chunks(),
        headers={**bearer(small.victim_token), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert "2048 bytes" in answer.json()["detail"]
    changes = small.client().get(
        f"/api/v1/proposals/{small.proposal_ids[0]}", headers=bearer(small.victim_token)
    )
    assert "approved" not in {c["status"] for c in changes.json()["changes"]}


def test_transcript_uploads_have_their_own_larger_limit(small: World) -> None:
    meeting = fills(small)["meeting_id"]
    line = "Elena Novak: we are still reviewing the proposal with finance.\n"
    url = f"/api/v1/meetings/{meeting}/transcript"
    headers = {**bearer(small.victim_token), "Content-Type": "text/plain"}
    fits = small.client().post(url, content=line * 60, headers=headers)
    assert fits.status_code == 202
    too_big = small.client().post(url, content=line * 200, headers=headers)
    assert (too_big.status_code, too_big.json()["detail"]) == (
        413,
        "request body larger than 8192 bytes",
    )


def _open_objects(schema: dict[str, Any], components: dict[str, Any], owner: str) -> list[str]:
    """Object schemas under `schema` that accept properties they do not declare."""
    schema = resolve(schema, components)
    found: list[str] = []
    if schema.get("type") == "object":
        if schema.get("additionalProperties", True) is not False:
            found.append(owner)
        for name, sub in schema.get("properties", {}).items():
            if (schema.get("title", owner), name) not in FREE_FORM:
                found += _open_objects(sub, components, f"{schema.get('title', owner)}.{name}")
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _open_objects(sub, components, owner)
    if "items" in schema:
        found += _open_objects(schema["items"], components, owner + "[]")
    return found


def test_every_request_model_rejects_unknown_fields(world: World) -> None:
    """Generated from the OpenAPI schema: closed models, and an unknown field is a 422."""
    components = world.app.openapi()["components"]["schemas"]
    ids, tried = fills(world), 0
    for endpoint in endpoints(world.app):
        if endpoint.body_schema is None or endpoint.name in FILES:
            continue
        assert not _open_objects(endpoint.body_schema, components, endpoint.name)
        body = example(endpoint.body_schema, components, hints(world))
        url = endpoint.path
        for name in endpoint.params:
            url = url.replace("{" + name + "}", ids[name])
        answer = world.client().request(
            endpoint.method,
            url,
            json={**body, "is_admin": True},
            headers=bearer(world.admin_token),
        )
        assert answer.status_code == 422, f"{endpoint.name}: {answer.status_code}"
        assert "is_admin" in answer.text
        tried += 1
    assert tried >= 6


def test_rate_limit_per_token_with_retry_after(small: World, caplog: Any) -> None:
    client = TestClient(create_app(small.rt))
    buckets: TokenBuckets = client.app.state.rate_buckets  # type: ignore[attr-defined]
    ticks = Ticks()
    buckets.clock = ticks
    victim, intruder = bearer(small.victim_token), bearer(small.intruder_token)
    assert [client.get("/api/v1/meetings", headers=victim).status_code for _ in range(3)] == [
        200
    ] * 3
    with caplog.at_level(logging.WARNING, logger="engage.audit_access"):
        limited = client.get("/api/v1/meetings", headers=victim)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert "3" in limited.json()["detail"]
    assert "429" in caplog.text
    assert small.victim_token not in caplog.text
    assert client.get("/api/v1/meetings", headers=intruder).status_code == 200
    ticks.now += 1.0
    assert client.get("/api/v1/meetings", headers=victim).status_code == 200
    assert client.get("/api/v1/meetings", headers=victim).status_code == 429


def test_the_login_form_is_rate_limited_by_address(small: World) -> None:
    client = TestClient(create_app(small.rt))
    client.app.state.rate_buckets.clock = Ticks()  # type: ignore[attr-defined]
    codes = [
        client.post("/login", data={"token": "eng_x", "csrf": "x"}).status_code for _ in range(4)
    ]
    assert codes == [403, 403, 403, 429]
    assert client.get("/login").status_code == 200


def test_security_headers_on_pages_api_errors_and_docs(world: World) -> None:
    client = world.client()
    page = client.get("/login")
    api = client.get("/api/v1/meetings", headers=bearer(world.victim_token))
    refused = client.get("/api/v1/meetings")
    docs = client.get("/docs")
    for answer in (page, api, refused, docs):
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert api.headers["Cache-Control"] == "no-store"
    assert refused.status_code == 401
    assert "https://cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in page.headers


def test_hsts_and_secure_cookies_behind_https(base_settings: Settings, clock: FrozenClock) -> None:
    rt = build_runtime(security_settings(base_settings, engage_secure_cookies=True), clock=clock)
    try:
        world = build_world(rt)
        client = TestClient(world.app, base_url="https://testserver")
        page = client.get("/login")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        cookie = page.headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
    finally:
        rt.close()


def test_inventing_a_token_per_request_does_not_escape_the_limit(small: World) -> None:
    client = TestClient(create_app(small.rt))
    ticks = Ticks()
    client.app.state.rate_buckets.clock = ticks  # type: ignore[attr-defined]
    guesses = [bearer(f"eng_guess-{n}") for n in range(4)]
    codes = [client.get("/api/v1/meetings", headers=guess).status_code for guess in guesses]
    assert codes == [401, 401, 401, 429]
    ticks.now += 1.0
    assert client.get("/api/v1/meetings", headers=bearer(small.victim_token)).status_code == 200
