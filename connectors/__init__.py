"""Adapters to the outside systems, one package per system, each behind a port of `agent.domain`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.domain.ports import Clock, CrmPort
    from agent.settings import Settings


def build_crm(settings: Settings, *, clock: Clock | None = None) -> CrmPort:
    """The CRM named by `ENGAGE_CRM`; the embedded sandbox is the default."""
    if settings.engage_crm != "sandbox":
        from connectors.hosted import build_hosted_crm

        return build_hosted_crm(settings, clock=clock)
    from connectors.sandbox.crm import SandboxCrm

    return SandboxCrm(settings.sandbox_path, clock=clock)
