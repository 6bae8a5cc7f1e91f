"""Salesforce OAuth 2.0: the JWT bearer flow (server to server) and the refresh-token flow.

Neither answer carries an expiry: the session lasts as the org's policy says, so the connector
assumes `session_lifetime` (two hours by default) for the health page and otherwise relies on the
one refresh after a 401 `INVALID_SESSION_ID`. The API's host comes from `instance_url`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from agent.errors import ConfigError, CrmError
from connectors.common.errors import CrmTransientError
from connectors.common.tokens import Fetch, OAuthToken
from connectors.salesforce.wire import SYSTEM

JWT_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(
    *, client_id: str, username: str, audience: str, private_key_pem: bytes, now: datetime
) -> str:
    """An RS256-signed assertion for the JWT bearer flow, valid for three minutes."""
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except ValueError:
        raise ConfigError(
            "bad setting SALESFORCE_PRIVATE_KEY_FILE: not a PEM private key"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("bad setting SALESFORCE_PRIVATE_KEY_FILE: the JWT flow needs an RSA key")
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = {
        "iss": client_id,
        "sub": username,
        "aud": audience,
        "exp": int((now + timedelta(minutes=3)).timestamp()),
    }
    signing_input = f"{header}.{_b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


@dataclass(frozen=True, kw_only=True)
class SalesforceOAuth:
    login_url: str
    client_id: str
    client_secret: str | None = None
    username: str | None = None
    private_key_pem: bytes | None = None
    refresh_token: str | None = None
    session_lifetime: timedelta = timedelta(hours=2)

    def fetcher(self, http: httpx.Client, now: Callable[[], datetime]) -> Fetch:
        def fetch(last: OAuthToken | None) -> OAuthToken:
            moment = now()
            body = self._post(http, self._form(last, moment))
            refresh = body.get("refresh_token")
            return OAuthToken(
                access_token=str(body["access_token"]),
                refresh_token=str(refresh) if refresh else None,
                expires_at=moment + self.session_lifetime,
                instance_url=str(body["instance_url"]),
            )

        return fetch

    def _form(self, last: OAuthToken | None, moment: datetime) -> dict[str, str]:
        if self.private_key_pem is not None and self.username:
            assertion = jwt_assertion(
                client_id=self.client_id,
                username=self.username,
                audience=self.login_url,
                private_key_pem=self.private_key_pem,
                now=moment,
            )
            return {"grant_type": JWT_GRANT, "assertion": assertion}
        refresh = (last.refresh_token if last else None) or self.refresh_token
        if not refresh or not self.client_secret:
            raise ConfigError(
                "Salesforce needs SALESFORCE_PRIVATE_KEY_FILE and SALESFORCE_USERNAME (JWT flow),"
                " or SALESFORCE_REFRESH_TOKEN and SALESFORCE_CLIENT_SECRET"
            )
        return {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def _post(self, http: httpx.Client, form: dict[str, str]) -> dict[str, object]:
        url = f"{self.login_url.rstrip('/')}/services/oauth2/token"
        try:
            response = http.post(url, data=form)
        except httpx.TransportError as exc:
            raise CrmTransientError(f"Salesforce login: {exc!r}", system=SYSTEM) from exc
        if response.status_code >= 500:
            raise CrmTransientError(
                f"Salesforce login: HTTP {response.status_code}",
                system=SYSTEM,
                status=response.status_code,
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            error = str(body.get("error") or f"HTTP {response.status_code}")
            raise CrmError(
                f"Salesforce login refused: {error}: {body.get('error_description', '')}".rstrip(
                    ": "
                ),
                system=SYSTEM,
                status=response.status_code,
                code=error,
            )
        result: dict[str, object] = body
        return result
