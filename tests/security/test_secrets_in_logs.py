"""No secret in the logs: a whole run at DEBUG, every line of every logger (and everything printed
to stdout and stderr) searched for every token and key the run used.

The run: seed the demo with the OpenAI engine (a key, the fake server on 127.0.0.1), read and
decide through the API with bearer tokens, log in on the page, sign in with single sign-on, an
admin issues a token, refused requests, signed webhooks and signals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent.runtime import build_runtime
from agent.settings import Settings
from connectors import zoom
from tests.fakes.oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc
from tests.fakes.openai_server import FakeScript, answer, extraction, running_fake_openai
from tests.fakes.server import serve
from tests.security.conftest import World, bearer, build_world, security_settings
from tests.security.test_sessions import log_in
from tests.support import FrozenClock

OPENAI_KEY = "sk-engage-live-4f9d2c7a1b8e6f3d0a5c9e2b7d4f1a8c"
SESSION_SECRET = "session-secret-7d1e9a3c5b2f8e4d6a0c"
SIGNALS_SECRET = "signals-secret-2b8f4d6a1c9e3f7b5d0a"
ZOOM_SECRET = "zoom-secret-9c3e7a1f5b2d8e4c6a0f"


class Everything(logging.Handler):
    """Every record of every logger, with its message, arguments, extras and traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))
        self.lines.append(repr(record.__dict__))


@pytest.fixture
def everything() -> Iterator[Everything]:
    root = logging.getLogger()
    handler, level = Everything(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def run_the_flow(world: World, idp: FakeOidc) -> list[str]:
    """Everything a day of use does with credentials; returns the tokens it was given."""
    client, owner = world.client(), bearer(world.victim_token)
    for path in ("/api/v1/meetings", "/api/v1/proposals", "/api/v1/audit"):
        assert client.get(path, headers=owner).status_code == 200
    proposal = client.get("/api/v1/proposals", headers=owner).json()[0]
    client.post(f"/api/v1/proposals/{proposal['id']}/approve", json={"all": True}, headers=owner)
    client.get(f"/api/v1/proposals/{proposal['id']}", headers=bearer(world.intruder_token))
    client.get("/api/v1/meetings", headers=bearer(world.victim_token[:-2] + "xx"))
    issued = client.post(
        "/api/v1/admin/users",
        json={"email": "new@engage-demo.com"},
        headers=bearer(world.admin_token),
    ).json()["token"]
    page, csrf = log_in(world, world.victim_token)
    page.post("/login", data={"token": "eng_wrong-" + world.admin_token, "csrf": csrf})
    sso = world.client()
    start = sso.get("/login/oidc", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    assert sso.get(back.split("testserver", 1)[1], follow_redirects=False).status_code == 200
    signed_calls(world)
    return [issued]


def signed_calls(world: World) -> None:
    now = str(int(world.rt.clock.now().timestamp()))
    body = json.dumps({"kind": "usage_spike", "domain": "calderrobotics.com"}).encode()
    mac = hmac.new(SIGNALS_SECRET.encode(), now.encode() + b"." + body, hashlib.sha256)
    world.client().post(
        "/api/v1/signals",
        content=body,
        headers={"X-Engage-Timestamp": now, "X-Engage-Signature": f"sha256={mac.hexdigest()}"},
    )
    ping = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "p"}}).encode()
    stamp = str(int(world.rt.clock.now().timestamp()))
    world.client().post(
        "/webhooks/zoom",
        content=ping,
        headers={
            "x-zm-request-timestamp": stamp,
            "x-zm-signature": zoom.sign(ZOOM_SECRET, stamp, ping),
            "Content-Type": "application/json",
        },
    )


def pieces(secret: str, width: int = 16) -> list[str]:
    """Every 16-character piece of the secret, so a truncated or partly masked one is found."""
    return [secret[i : i + width] for i in range(max(1, len(secret) - width + 1))]


def test_a_full_run_logs_no_token_and_no_key(
    base_settings: Settings,
    clock: FrozenClock,
    everything: Everything,
    capfd: pytest.CaptureFixture[str],
) -> None:
    script = FakeScript(api_key=OPENAI_KEY)
    script.push(*[answer(extraction(summary="A call about the rollout.")) for _ in range(12)])
    idp = FakeOidc(now=lambda: clock.now().timestamp())
    with running_fake_openai(script) as base_url, serve(idp.app(), name="fake-oidc") as issuer:
        idp.issuer = issuer
        configured = security_settings(
            base_settings,
            engage_engine="openai",
            openai_api_key=SecretStr(OPENAI_KEY),
            openai_base_url=base_url,
            engage_llm_model="fake-model",
            engage_session_secret=SecretStr(SESSION_SECRET),
            engage_signals_secret=SecretStr(SIGNALS_SECRET),
            zoom_webhook_secret_token=SecretStr(ZOOM_SECRET),
            engage_oidc_issuer=issuer,
            engage_oidc_client_id=CLIENT_ID,
            engage_oidc_client_secret=SecretStr(CLIENT_SECRET),
        )
        rt = build_runtime(configured, clock=clock)
        try:
            world = build_world(rt)
            idp.user = {"email": world.victim.email, "email_verified": True}
            issued = run_the_flow(world, idp)
        finally:
            rt.close()
    assert script.completions, "the OpenAI engine was called with the key"
    assert all(r.headers["authorization"] == f"Bearer {OPENAI_KEY}" for r in script.completions)
    printed = capfd.readouterr()
    text = "\n".join([*everything.lines, printed.out, printed.err])
    assert len(everything.lines) > 50, "the run logged (at DEBUG) what it did"
    used: dict[str, Any] = {
        "OpenAI key": OPENAI_KEY,
        "session secret": SESSION_SECRET,
        "signals secret": SIGNALS_SECRET,
        "Zoom secret": ZOOM_SECRET,
        "OIDC client secret": CLIENT_SECRET,
        "rep token": world.victim_token,
        "intruder token": world.intruder_token,
        "admin token": world.admin_token,
        "issued token": issued[0],
    }
    found = [name for name, secret in used.items() for piece in pieces(secret) if piece in text]
    assert not found, f"in the logs: {found}"
