"""An OpenID Connect relying party: authorization-code flow with PKCE, ID tokens checked here.

The provider is found by discovery (`{issuer}/.well-known/openid-configuration`); the discovered
issuer must equal the configured one and every endpoint must be https (plain http only on
127.0.0.1, for a provider on the same machine). An ID token is accepted only when its signature
verifies against the provider's published keys with an asymmetric algorithm (never `none`, never
a shared-secret HMAC that a client secret could forge), it names this client as audience, comes
from the issuer, is within its lifetime, carries the nonce of this sign-in, and says the email is
verified. Anything else raises `OidcError` with the reason, and nobody is logged in.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
import jwt

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
LEEWAY_S = 60
TIMEOUT_S = 10.0
CACHE_S = 3600.0


class OidcError(Exception):
    """The sign-in cannot be trusted or did not complete; the message says why."""


@dataclass(frozen=True, kw_only=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True, kw_only=True)
class Challenge:
    """One sign-in in flight: where to send the browser, and what to keep until it returns."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True, kw_only=True)
class Identity:
    subject: str
    email: str


def _checked_url(url: object, what: str) -> str:
    if not isinstance(url, str):
        raise OidcError(f"the provider's discovery document has no {what}")
    parsed = urlparse(url)
    local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if not parsed.netloc or not (parsed.scheme == "https" or (parsed.scheme == "http" and local)):
        raise OidcError(f"the provider's {what} is not an https URL: {url}")
    return url


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        http: httpx.Client | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._http = http
        self._monotonic = monotonic or time.monotonic
        self._lock = threading.Lock()
        self._provider: tuple[float, Provider] | None = None
        self._keys: jwt.PyJWKSet | None = None

    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        """The injected client, or one per exchange: sign-ins are rare and nothing stays open."""
        if self._http is not None:
            yield self._http
            return
        with httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as http:
            yield http

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with self._client() as http:
                response = http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"the identity provider is unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise OidcError(f"the identity provider answered {response.status_code} for {url}")
        return _json_object(response)

    def provider(self) -> Provider:
        """The discovered endpoints, cached for an hour."""
        with self._lock:
            if self._provider and self._monotonic() - self._provider[0] < CACHE_S:
                return self._provider[1]
        data = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(data.get("issuer", "")).rstrip("/") != self.issuer:
            raise OidcError(f"the discovery document names issuer {data.get('issuer')!r}")
        found = Provider(
            issuer=str(data["issuer"]),
            authorization_endpoint=_checked_url(
                data.get("authorization_endpoint"), "authorization_endpoint"
            ),
            token_endpoint=_checked_url(data.get("token_endpoint"), "token_endpoint"),
            jwks_uri=_checked_url(data.get("jwks_uri"), "jwks_uri"),
        )
        with self._lock:
            self._provider = (self._monotonic(), found)
        return found

    def begin(self, *, redirect_uri: str) -> Challenge:
        """A new sign-in: fresh state, nonce and PKCE verifier, and the provider's login URL."""
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid email profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        url = f"{self.provider().authorization_endpoint}?{query}"
        return Challenge(url=url, state=state, nonce=nonce, verifier=verifier)

    def finish(
        self, *, code: str, redirect_uri: str, verifier: str, nonce: str, now: datetime
    ) -> Identity:
        """Redeem the code (with the PKCE verifier) and check the ID token it returns."""
        provider = self.provider()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.client_id,
        }
        try:
            with self._client() as http:
                if self._secret:
                    auth = httpx.BasicAuth(self.client_id, self._secret)
                    response = http.post(provider.token_endpoint, data=form, auth=auth)
                else:
                    response = http.post(provider.token_endpoint, data=form)
        except httpx.HTTPError as exc:
            raise OidcError(f"the token endpoint is unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            error = _json_object(response, strict=False).get("error", response.status_code)
            raise OidcError(f"the provider refused the code: {error}")
        id_token = _json_object(response).get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token response carries no id_token")
        claims = self.verify(id_token, nonce=nonce, now=now)
        return Identity(subject=str(claims["sub"]), email=str(claims["email"]))

    def verify(self, id_token: str, *, nonce: str, now: datetime) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise OidcError(f"the ID token is malformed: {exc}") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise OidcError(f"the ID token is signed with {algorithm!r}, not a key pair")
        key = self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=[str(algorithm)],
                audience=self.client_id,
                issuer=self.provider().issuer,
                options={
                    "require": ["iss", "aud", "sub", "exp", "iat"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"the ID token does not verify: {exc}") from None
        _check_claims(claims, client_id=self.client_id, nonce=nonce, now=now)
        return claims

    def _key(self, kid: str) -> Any:
        """The provider's key for `kid`; the key set is fetched again once for an unknown kid."""
        for attempt in range(2):
            if self._keys is None or attempt == 1:
                try:
                    self._keys = jwt.PyJWKSet.from_dict(self._get_json(self.provider().jwks_uri))
                except jwt.PyJWTError as exc:
                    raise OidcError(f"the provider's key set is unusable: {exc}") from None
            for jwk in self._keys.keys:
                usable = jwk.key_type != "oct" and jwk.public_key_use in (None, "sig")
                if usable and (jwk.key_id or "") == kid:
                    return jwk.key
        raise OidcError(f"the provider publishes no key {kid!r}")


def _check_claims(claims: dict[str, Any], *, client_id: str, nonce: str, now: datetime) -> None:
    moment = now.timestamp()
    if float(claims["exp"]) + LEEWAY_S < moment:
        raise OidcError("the ID token has expired")
    if float(claims["iat"]) - LEEWAY_S > moment or float(claims.get("nbf", 0)) - LEEWAY_S > moment:
        raise OidcError("the ID token is not valid yet")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("the ID token was issued to another party (azp)")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise OidcError("the ID token's nonce does not match this sign-in (replay?)")
    if not isinstance(claims.get("email"), str) or not claims["email"]:
        raise OidcError("the ID token carries no email")
    if claims.get("email_verified") is not True:
        raise OidcError("the provider has not verified this email address")


def _json_object(response: httpx.Response, *, strict: bool = True) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if strict:
            raise OidcError("the identity provider answered something other than a JSON object")
        return {}
    return data
