"""Connecting the real Salesforce connector to a served fake, as the tests and benchmarks do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from agent.domain.models import FieldValueT, ObjectType
from agent.settings import Settings
from connectors.common.retry import RetryPolicy, no_wait
from connectors.salesforce import SalesforceCrm, build_salesforce
from connectors.salesforce.mapping import DEFAULT_FIELDS, SOBJECTS, to_salesforce
from tests.fakes.salesforce.app import FakeSalesforce


def settings_for(fake: FakeSalesforce, url: str, home: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "ENGAGE_HOME": home,
        "ENGAGE_CRM": "salesforce",
        "ENGAGE_ENGINE": "rules",
        "SALESFORCE_LOGIN_URL": url,
        "SALESFORCE_CLIENT_ID": fake.client_id,
        "SALESFORCE_CLIENT_SECRET": fake.client_secret,
        "SALESFORCE_REFRESH_TOKEN": next(iter(fake.refresh_tokens)),
        "SALESFORCE_USERNAME": fake.username,
        **extra,
    }
    return Settings(**values)


def connect(
    fake: FakeSalesforce,
    url: str,
    home: Path,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    **extra: Any,
) -> SalesforceCrm:
    return build_salesforce(
        settings_for(fake, url, home, **extra), http=http, retry=retry or no_wait()
    )


def person_edit(
    fake: FakeSalesforce, object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]
) -> None:
    """A person's edit in Salesforce's own UI: canonical attributes mapped to Salesforce fields."""
    sobject = SOBJECTS[object_type]
    fields = {}
    for attribute, value in values.items():
        canonical = f"{object_type.value}.{attribute}"
        fields[DEFAULT_FIELDS.get(canonical, attribute)] = to_salesforce(canonical, value)
    fake.org.update(sobject, object_id, fields)
