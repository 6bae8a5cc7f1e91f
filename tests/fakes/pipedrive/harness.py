"""Connecting the real Pipedrive connector to a served fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from agent.domain.models import FieldValueT, ObjectType
from agent.settings import Settings
from connectors.common.retry import RetryPolicy, no_wait
from connectors.pipedrive import PipedriveCrm, build_pipedrive
from connectors.pipedrive.mapping import DEFAULT_FIELDS, KINDS, body_for, to_pipedrive
from tests.fakes.pipedrive.app import FakePipedrive


def settings_for(fake: FakePipedrive, url: str, home: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "ENGAGE_HOME": home,
        "ENGAGE_CRM": "pipedrive",
        "ENGAGE_ENGINE": "rules",
        "PIPEDRIVE_BASE_URL": url,
        "PIPEDRIVE_API_TOKEN": fake.api_token,
        **extra,
    }
    return Settings(**values)


def connect(
    fake: FakePipedrive,
    url: str,
    home: Path,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
    **extra: Any,
) -> PipedriveCrm:
    return build_pipedrive(
        settings_for(fake, url, home, **extra), http=http, retry=retry or no_wait()
    )


def person_edit(
    fake: FakePipedrive, object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]
) -> None:
    """A person's edit in Pipedrive's UI, canonical attributes mapped to Pipedrive fields."""
    ids = {str(s["name"]): int(s["id"]) for s in fake.account.live("stages")}
    qualified = {f"{object_type.value}.{k}": v for k, v in values.items()}
    body = body_for(DEFAULT_FIELDS, {k: to_pipedrive(k, v, ids) for k, v in qualified.items()})
    fake.account.update(KINDS[object_type], object_id, body)
