"""Connecting the real HubSpot connector to a served fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from agent.domain.models import FieldValueT, ObjectType
from agent.settings import Settings
from connectors.common.retry import RetryPolicy, no_wait
from connectors.hubspot import HubSpotCrm, build_hubspot
from connectors.hubspot.mapping import DEFAULT_FIELDS, KINDS, to_hubspot
from tests.fakes.hubspot.app import FakeHubSpot


def settings_for(url: str, home: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "ENGAGE_HOME": home,
        "ENGAGE_CRM": "hubspot",
        "ENGAGE_ENGINE": "rules",
        "HUBSPOT_BASE_URL": url,
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-engage-test",
        **extra,
    }
    return Settings(**values)


def connect(
    url: str,
    home: Path,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    **extra: Any,
) -> HubSpotCrm:
    return build_hubspot(settings_for(url, home, **extra), http=http, retry=retry or no_wait())


def person_edit(
    fake: FakeHubSpot, object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]
) -> None:
    """A person's edit in HubSpot's UI, canonical attributes mapped to properties."""
    ids = {s.label: s.id for s in fake.portal.stages}
    props = {}
    for attribute, value in values.items():
        canonical = f"{object_type.value}.{attribute}"
        props[DEFAULT_FIELDS.get(canonical, attribute)] = to_hubspot(canonical, value, ids)
    fake.portal.update(KINDS[object_type], object_id, props)
