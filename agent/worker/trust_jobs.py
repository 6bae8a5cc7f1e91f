"""Periodic trust jobs: the retention purge and the audit chain's head export."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from agent.services.audit_head import export_head
from agent.services.privacy import purge_expired

if TYPE_CHECKING:
    from agent.runtime import Runtime

log = logging.getLogger("engage.trust")

PURGE_EVERY = timedelta(hours=6)


def trust_schedule(rt: Runtime) -> dict[str, timedelta]:
    return {
        "privacy_purge": PURGE_EVERY,
        "audit_head": timedelta(minutes=rt.settings.engage_audit_head_minutes),
    }


def trust_handlers(rt: Runtime) -> dict[str, Any]:
    def privacy_purge(payload: Mapping[str, Any]) -> None:
        report = purge_expired(
            rt.db,
            now=rt.clock.now(),
            retention_days=rt.settings.engage_retention_days,
            audio_hours=rt.settings.engage_audio_retention_hours,
        )
        log.info(
            "retention purge: %d transcripts, %d audio folders",
            report.transcripts,
            report.audio_folders,
        )

    def audit_head(payload: Mapping[str, Any]) -> None:
        export_head(rt.db, rt.settings.audit_head_path, now=rt.clock.now())

    return {"privacy_purge": privacy_purge, "audit_head": audit_head}
