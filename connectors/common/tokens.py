"""Access tokens: static ones (private apps, API tokens) and OAuth sessions that refresh.

An OAuth session refreshes its access token shortly before it expires and once after a 401, and
keeps the latest token set in a `TokenStore`: a file encrypted with Fernet under the key from
settings (`ENGAGE_SECRET_KEY`, see `agent.crypto` for rotation). Without a key nothing is written;
a plaintext token never touches the disk. The expiry is exposed for the health page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography.fernet import InvalidToken, MultiFernet

from agent.crypto import cipher_from
from agent.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class OAuthToken:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    instance_url: str | None = None
    """Where the API lives for this token (Salesforce `instance_url`, Pipedrive `api_domain`)."""

    def expiring(self, now: datetime, skew: timedelta) -> bool:
        return self.expires_at is not None and self.expires_at - skew <= now

    def to_json(self) -> str:
        data = asdict(self)
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> OAuthToken:
        data = json.loads(text)
        expires = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            instance_url=data.get("instance_url"),
        )


def fernet_for(key: str) -> MultiFernet:
    """The cipher for `ENGAGE_SECRET_KEY` (one key, or several during a rotation)."""
    return cipher_from(key)


class TokenStore:
    """One connector's token set, encrypted at rest in one file."""

    def __init__(self, path: Path, *, key: str) -> None:
        self._path = path
        self._fernet = fernet_for(key)

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> OAuthToken | None:
        if not self._path.exists():
            return None
        try:
            return OAuthToken.from_json(self._fernet.decrypt(self._path.read_bytes()).decode())
        except InvalidToken:
            raise ConfigError(
                f"the token file {self._path} was encrypted with another ENGAGE_SECRET_KEY;"
                " delete it to authorize again"
            ) from None

    def save(self, token: OAuthToken) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self._path.with_suffix(".tmp")
        scratch.write_bytes(self._fernet.encrypt(token.to_json().encode()))
        scratch.chmod(0o600)
        scratch.replace(self._path)


class TokenSource(Protocol):
    """What the HTTP client needs from any kind of credential."""

    @property
    def can_refresh(self) -> bool: ...

    @property
    def expires_at(self) -> datetime | None: ...

    def current(self) -> OAuthToken: ...

    def invalidate(self) -> None:
        """The server refused the token (401): the next `current()` gets a new one."""
        ...


class StaticToken:
    """A token that never changes: a HubSpot private-app token or a Pipedrive API token."""

    def __init__(self, token: str, *, instance_url: str | None = None) -> None:
        self._token = OAuthToken(access_token=token, instance_url=instance_url)

    @property
    def can_refresh(self) -> bool:
        return False

    @property
    def expires_at(self) -> datetime | None:
        return None

    def current(self) -> OAuthToken:
        return self._token

    def invalidate(self) -> None:
        return None


Fetch = Callable[[OAuthToken | None], OAuthToken]
"""Obtains a new token set, given the last one (whose refresh token it may use)."""


class OAuthSession:
    """A refreshing OAuth token; thread-safe, so the API and a worker thread can share it."""

    def __init__(
        self,
        *,
        fetch: Fetch,
        store: TokenStore | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        skew: timedelta = timedelta(minutes=5),
    ) -> None:
        self._fetch = fetch
        self._store = store
        self._now = now
        self._skew = skew
        self._lock = threading.Lock()
        self._token: OAuthToken | None = store.load() if store is not None else None
        self._stale = False

    @property
    def can_refresh(self) -> bool:
        return True

    @property
    def expires_at(self) -> datetime | None:
        return self._token.expires_at if self._token else None

    def current(self) -> OAuthToken:
        with self._lock:
            token = self._token
            if token is None or self._stale or token.expiring(self._now(), self._skew):
                token = self._refresh(token)
            return token

    def invalidate(self) -> None:
        with self._lock:
            self._stale = True

    def _refresh(self, last: OAuthToken | None) -> OAuthToken:
        fresh = self._fetch(last)
        if fresh.refresh_token is None and last is not None and last.refresh_token:
            fresh = replace(fresh, refresh_token=last.refresh_token)
        if fresh.instance_url is None and last is not None:
            fresh = replace(fresh, instance_url=last.instance_url)
        self._token, self._stale = fresh, False
        if self._store is not None:
            self._store.save(fresh)
        return fresh
