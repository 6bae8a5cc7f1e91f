"""Single sign-on against a fake OpenID Connect provider on 127.0.0.1: the code flow with PKCE,
users matched by verified email, and each forged or mismatched answer refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agent.runtime import build_runtime
from agent.services.users import revoke
from agent.settings import Settings
from connectors.oidc import OidcClient, OidcError
from tests.fakes.oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc
from tests.fakes.server import serve
from tests.security.conftest import ADMIN, World, build_world, security_settings
from tests.support import FrozenClock


@dataclass
class Sso:
    world: World
    idp: FakeOidc
    client: TestClient

    def start(self) -> httpx.Response:
        return self.client.get("/login/oidc", follow_redirects=False)

    def at_provider(self, start: httpx.Response) -> str:
        """The browser at the provider: it logs the user in and sends them back; the callback."""
        back = httpx.get(start.headers["location"], follow_redirects=False)
        assert back.status_code == 302
        location = urlparse(back.headers["location"])
        return f"{location.path}?{location.query}"

    def sign_in(self) -> httpx.Response:
        return self.client.get(self.at_provider(self.start()), follow_redirects=False)


@pytest.fixture
def sso(base_settings: Settings, clock: FrozenClock) -> Iterator[Sso]:
    idp = FakeOidc(now=lambda: clock.now().timestamp())
    with serve(idp.app(), name="fake-oidc") as base:
        idp.issuer = base
        configured = security_settings(
            base_settings,
            engage_oidc_issuer=base,
            engage_oidc_client_id=CLIENT_ID,
            engage_oidc_client_secret=SecretStr(CLIENT_SECRET),
        )
        rt = build_runtime(configured, clock=clock)
        try:
            world = build_world(rt)
            idp.user = {"sub": "idp-42", "email": world.victim.email, "email_verified": True}
            yield Sso(world=world, idp=idp, client=world.client())
        finally:
            rt.close()


def test_sign_in_with_pkce_logs_in_the_user_with_that_verified_email(sso: Sso) -> None:
    login = sso.client.get("/login")
    assert 'href="/login/oidc"' in login.text
    start = sso.start()
    assert start.status_code == 303
    query = parse_qs(urlparse(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/auth/oidc/callback"]
    assert query["scope"] == ["openid email profile"]
    cookie = start.headers["set-cookie"].lower()
    assert "samesite=lax" in cookie
    assert "httponly" in cookie
    assert "path=/auth/oidc" in cookie

    done = sso.client.get(sso.at_provider(start), follow_redirects=False)
    assert done.status_code == 200
    assert 'http-equiv="refresh"' in done.text
    home = sso.client.get("/")
    assert sso.world.victim.email in home.text
    [redeemed] = sso.idp.token_requests
    assert redeemed["grant_type"] == "authorization_code"
    assert len(redeemed["code_verifier"]) >= 43


def flight_cookie(start: httpx.Response) -> str:
    return start.headers["set-cookie"].split(";", 1)[0]


def test_a_code_is_good_for_one_sign_in(sso: Sso) -> None:
    start = sso.start()
    callback = sso.at_provider(start)
    assert sso.client.get(callback, follow_redirects=False).status_code == 200
    assert sso.client.get(callback, follow_redirects=False).status_code == 400
    replay = sso.world.client().get(
        callback, headers={"Cookie": flight_cookie(start)}, follow_redirects=False
    )
    assert replay.status_code == 401
    assert "refused the code: invalid_grant" in replay.text


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"email_verified": False}, 401, "not verified"),
        ({"aud": "someone-else"}, 401, "does not verify"),
        ({"iss": "https://evil.example"}, 401, "does not verify"),
        ({"nonce": "replayed"}, 401, "nonce"),
        ({"exp": 1_000_000}, 401, "expired"),
        ({"email": "stranger@example.com"}, 403, "no active Engage account"),
        ({"forge": True}, 401, "does not verify"),
    ],
)
def test_each_untrustworthy_answer_is_refused(
    sso: Sso, change: dict[str, Any], status: int, reason: str
) -> None:
    if change.pop("forge", False):
        sso.idp.forge = True
    sso.idp.override = change
    refused = sso.sign_in()
    assert refused.status_code == status
    assert reason in refused.text
    assert sso.client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_revoked_user_cannot_sign_in(sso: Sso) -> None:
    sso.idp.user = {"email": ADMIN, "email_verified": True}
    with sso.world.rt.db.session() as session:
        revoke(session, ref=ADMIN, now=sso.world.rt.clock.now())
    assert sso.sign_in().status_code == 403


def test_a_callback_with_another_state_or_from_another_browser_is_refused(sso: Sso) -> None:
    denied = sso.start()
    refused = sso.client.get("/auth/oidc/callback?error=access_denied", follow_redirects=False)
    assert (refused.status_code, "access_denied" in refused.text) == (401, True)
    callback = sso.at_provider(denied)
    stranger = sso.world.client()
    assert stranger.get(callback, follow_redirects=False).status_code == 400
    mine = sso.at_provider(sso.start())
    forged = mine.replace("state=", "state=x")
    assert sso.client.get(forged, follow_redirects=False).status_code == 401
    assert sso.client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_unsigned_and_symmetric_tokens_are_refused(sso: Sso) -> None:
    client = OidcClient(issuer=sso.idp.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    now = sso.world.rt.clock.now()
    claims = {
        "iss": sso.idp.issuer,
        "aud": CLIENT_ID,
        "sub": "x",
        "iat": now.timestamp(),
        "exp": now.timestamp() + 60,
        "nonce": "n",
        "email": "a@b.c",
        "email_verified": True,
    }

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none', 'kid': 'k1'})}.{part(claims)}."
    with pytest.raises(OidcError, match="not a key pair"):
        client.verify(unsigned, nonce="n", now=now)
    import jwt

    hmac_signed = jwt.encode(
        claims, CLIENT_SECRET + "-padded-to-32-bytes!", algorithm="HS256", headers={"kid": "k1"}
    )
    with pytest.raises(OidcError, match="not a key pair"):
        client.verify(hmac_signed, nonce="n", now=now)


def test_single_sign_on_is_off_without_an_issuer(world: World) -> None:
    assert world.client().get("/login/oidc").status_code == 404
    assert 'href="/login/oidc"' not in world.client().get("/login").text


def test_settings_refuse_a_plain_http_issuer() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="https"):
        Settings(ENGAGE_OIDC_ISSUER="http://idp.example.com", ENGAGE_OIDC_CLIENT_ID="x")
    with pytest.raises(ValidationError, match="ENGAGE_OIDC_CLIENT_ID"):
        Settings(ENGAGE_OIDC_ISSUER="https://idp.example.com")
