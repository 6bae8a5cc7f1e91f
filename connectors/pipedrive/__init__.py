"""The Pipedrive connector: API token or OAuth (with `api_domain`), v2 reads and PATCH writes,
search-then-create with merge for the identity backbone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from agent.errors import ConfigError
from agent.settings import Settings
from connectors.common.build import default_http, oauth_session
from connectors.common.fieldmap import load_mapping
from connectors.common.http import ApiClient, bearer
from connectors.common.retry import RetryPolicy
from connectors.common.scopes import FieldScope
from connectors.common.tokens import StaticToken, TokenSource
from connectors.pipedrive.crm import PipedriveCrm
from connectors.pipedrive.identity import PipedriveIdentity
from connectors.pipedrive.mapping import DEFAULT_FIELDS
from connectors.pipedrive.wire import (
    SYSTEM,
    api_token_header,
    oauth_fetcher,
    parse_usage,
    raise_for_status,
)

__all__ = ["PipedriveCrm", "PipedriveIdentity", "build_pipedrive"]


def build_pipedrive(
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PipedriveCrm:
    client = http or default_http()
    mapping = load_mapping(settings.engage_crm_field_map, SYSTEM, DEFAULT_FIELDS)
    secret, refresh = settings.pipedrive_client_secret, settings.pipedrive_refresh_token
    if settings.pipedrive_api_token is not None:
        if not settings.pipedrive_base_url:
            raise ConfigError(
                "PIPEDRIVE_API_TOKEN needs PIPEDRIVE_BASE_URL (https://COMPANY.pipedrive.com)"
            )
        token: TokenSource = StaticToken(settings.pipedrive_api_token.get_secret_value())
        header = api_token_header
    elif settings.pipedrive_client_id and secret and refresh:
        fetch = oauth_fetcher(
            http=client,
            oauth_url=settings.pipedrive_oauth_url,
            client_id=settings.pipedrive_client_id,
            client_secret=secret.get_secret_value(),
            refresh_token=refresh.get_secret_value(),
            now=now,
        )
        token, header = oauth_session(settings, SYSTEM, fetch, now), bearer
    else:
        raise ConfigError(
            "ENGAGE_CRM=pipedrive needs PIPEDRIVE_API_TOKEN and PIPEDRIVE_BASE_URL, or"
            " PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET and PIPEDRIVE_REFRESH_TOKEN (OAuth)"
        )
    api = ApiClient(
        system=SYSTEM,
        token=token,
        raise_for_status=raise_for_status,
        base_url=settings.pipedrive_base_url,
        usage_parser=parse_usage,
        retry=retry,
        http=client,
        auth_header=header,
        now=now,
    )
    return PipedriveCrm(
        api=api,
        scope=FieldScope.default(SYSTEM, writable=mapping.writable),
        fields=mapping.fields,
        service_account=f"{settings.pipedrive_client_id or 'api-token'}@pipedrive",
    )
