"""The HubSpot connector: private-app token or OAuth with refresh, CRM v3 batch reads and
updates, v4 associations, `idProperty` upserts for the identity backbone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from agent.errors import ConfigError
from agent.settings import Settings
from connectors.common.build import default_http, oauth_session
from connectors.common.fieldmap import load_mapping
from connectors.common.http import ApiClient
from connectors.common.retry import RetryPolicy
from connectors.common.scopes import FieldScope
from connectors.common.tokens import StaticToken, TokenSource
from connectors.hubspot.crm import HubSpotCrm
from connectors.hubspot.identity import HubSpotIdentity
from connectors.hubspot.mapping import DEFAULT_FIELDS
from connectors.hubspot.wire import SYSTEM, oauth_fetcher, parse_usage, raise_for_status

__all__ = ["HubSpotCrm", "HubSpotIdentity", "build_hubspot"]


def _token(settings: Settings, http: httpx.Client, now: Callable[[], datetime]) -> TokenSource:
    if settings.hubspot_access_token is not None:
        return StaticToken(settings.hubspot_access_token.get_secret_value())
    secret, refresh = settings.hubspot_client_secret, settings.hubspot_refresh_token
    if not (settings.hubspot_client_id and secret and refresh):
        raise ConfigError(
            "ENGAGE_CRM=hubspot needs HUBSPOT_ACCESS_TOKEN (private app) or HUBSPOT_CLIENT_ID,"
            " HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN (OAuth)"
        )
    fetch = oauth_fetcher(
        http=http,
        base_url=settings.hubspot_base_url,
        client_id=settings.hubspot_client_id,
        client_secret=secret.get_secret_value(),
        refresh_token=refresh.get_secret_value(),
        now=now,
    )
    return oauth_session(settings, SYSTEM, fetch, now)


def build_hubspot(
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> HubSpotCrm:
    client = http or default_http()
    mapping = load_mapping(settings.engage_crm_field_map, SYSTEM, DEFAULT_FIELDS)
    api = ApiClient(
        system=SYSTEM,
        token=_token(settings, client, now),
        raise_for_status=raise_for_status,
        base_url=settings.hubspot_base_url,
        usage_parser=parse_usage,
        retry=retry,
        http=client,
        now=now,
    )
    return HubSpotCrm(
        api=api,
        scope=FieldScope.default(SYSTEM, writable=mapping.writable),
        fields=mapping.fields,
        service_account=f"{settings.hubspot_client_id or 'private-app'}@hubspot",
        now=now,
    )
