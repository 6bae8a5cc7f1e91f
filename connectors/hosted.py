"""Building the hosted CRM connector that `ENGAGE_CRM` names (everything but the sandbox)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from agent.domain.ports import Clock, CrmPort
from agent.errors import ConfigError
from agent.settings import Settings


def build_hosted_crm(settings: Settings, *, clock: Clock | None = None) -> CrmPort:
    now: Callable[[], datetime] = clock.now if clock is not None else lambda: datetime.now(UTC)
    if settings.engage_crm == "salesforce":
        from connectors.salesforce import build_salesforce

        return build_salesforce(settings, now=now)
    if settings.engage_crm == "hubspot":
        from connectors.hubspot import build_hubspot

        return build_hubspot(settings, now=now)
    if settings.engage_crm == "pipedrive":
        from connectors.pipedrive import build_pipedrive

        return build_pipedrive(settings, now=now)
    raise ConfigError(f"bad setting ENGAGE_CRM: unknown CRM {settings.engage_crm!r}")
