"""Pieces every connector's builder needs from settings: the token store and a credential."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from agent.settings import Settings
from connectors.common.tokens import Fetch, OAuthSession, TokenStore


def token_store(settings: Settings, system: str) -> TokenStore | None:
    """The encrypted token file, or None (tokens stay in memory) without ENGAGE_SECRET_KEY."""
    if settings.engage_secret_key is None:
        return None
    return TokenStore(
        settings.engage_home / "tokens" / f"{system}.fernet",
        key=settings.engage_secret_key.get_secret_value(),
    )


def oauth_session(
    settings: Settings, system: str, fetch: Fetch, now: Callable[[], datetime]
) -> OAuthSession:
    return OAuthSession(fetch=fetch, store=token_store(settings, system), now=now)


def default_http() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
