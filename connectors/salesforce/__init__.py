"""The Salesforce connector: OAuth (JWT bearer or refresh token), SOQL reads, Composite writes
guarded by `If-Unmodified-Since`, upserts by external ID for the identity backbone."""

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
from connectors.salesforce.auth import SalesforceOAuth
from connectors.salesforce.crm import SalesforceCrm
from connectors.salesforce.identity import SalesforceIdentity
from connectors.salesforce.mapping import DEFAULT_FIELDS
from connectors.salesforce.wire import SYSTEM, parse_usage, raise_for_status

__all__ = ["SalesforceCrm", "SalesforceIdentity", "SalesforceOAuth", "build_salesforce"]


def _oauth(settings: Settings) -> SalesforceOAuth:
    if not settings.salesforce_client_id:
        raise ConfigError("ENGAGE_CRM=salesforce needs SALESFORCE_CLIENT_ID")
    key_file = settings.salesforce_private_key_file
    try:
        key = key_file.read_bytes() if key_file is not None else None
    except OSError as exc:
        raise ConfigError(f"bad setting SALESFORCE_PRIVATE_KEY_FILE: {exc}") from None
    secret = settings.salesforce_client_secret
    refresh = settings.salesforce_refresh_token
    return SalesforceOAuth(
        login_url=settings.salesforce_login_url,
        client_id=settings.salesforce_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        username=settings.salesforce_username,
        private_key_pem=key,
        refresh_token=refresh.get_secret_value() if refresh else None,
    )


def build_salesforce(
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SalesforceCrm:
    oauth = _oauth(settings)
    client = http or default_http()
    mapping = load_mapping(settings.engage_crm_field_map, SYSTEM, DEFAULT_FIELDS)
    api = ApiClient(
        system=SYSTEM,
        token=oauth_session(settings, SYSTEM, oauth.fetcher(client, now), now),
        raise_for_status=raise_for_status,
        usage_parser=parse_usage,
        retry=retry,
        http=client,
        now=now,
    )
    return SalesforceCrm(
        api=api,
        api_version=settings.salesforce_api_version,
        scope=FieldScope.default(SYSTEM, writable=mapping.writable),
        fields=mapping.fields,
        service_account=settings.salesforce_username or f"{oauth.client_id}@salesforce",
    )
