"""The state half of `GET /metrics`, read at scrape time from the store and the connector.

Counters count what this process did; these gauges describe the system as it is, so every
process serving `/metrics` reports the same: jobs by status, proposals waiting for review, the
connector's API calls, quota and token expiry (from the vendor's own headers, as the connector
tracked them), and the seconds since the connector's last successful sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from agent.db.engine import Database
from agent.db.tables import HealthEvent, Proposal
from agent.domain.ports import CrmReader
from agent.ids import new_id
from agent.observability.events import QUOTA
from agent.observability.health import job_counts, last_successful_sync

if TYPE_CHECKING:
    from agent.runtime import Runtime
    from connectors.common.usage import CrmHealth

JOB_STATES = ("queued", "running", "done", "dead")


def crm_health(crm: CrmReader) -> CrmHealth | None:
    """The hosted connectors' usage and token report; None for the sandbox, which has neither."""
    report = getattr(crm, "health", None)
    if not callable(report):
        return None
    found: CrmHealth = report()
    return found


def record_quota(
    db: Database, crm: CrmReader, now: datetime, *, keep: Callable[[str], bool] = bool
) -> int:
    """Keep one sample of each quota (named by `keep`) the connector last saw, for the day/week
    quota number."""
    health = crm_health(crm)
    usages = [u for u in health.usage if keep(u.name)] if health is not None else []
    if health is None or not usages:
        return 0
    with db.session() as session:
        session.add_all(
            HealthEvent(
                id=new_id("hev"),
                at=now,
                crm=health.system,
                kind=QUOTA,
                name=usage.name[:64],
                amount=float(usage.used),
                limit=float(usage.limit),
            )
            for usage in usages
        )
    return len(usages)


class StateCollector(Collector):
    """Reads the runtime's store, connector and clock at each scrape (a test or the CLI may
    swap the connector after the app was made)."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def collect(self) -> Iterator[Metric]:
        now = self._rt.clock.now()
        yield from self._store_state(now, self._rt.crm.system)
        yield from self._connector_state(self._rt.crm)

    def _store_state(self, now: datetime, crm: str) -> Iterator[Metric]:
        with self._rt.db.session() as session:
            jobs = job_counts(session)
            waiting, oldest = session.execute(
                select(func.count(), func.min(Proposal.created_at)).where(
                    Proposal.status == "pending"
                )
            ).one()
            last_sync = last_successful_sync(session, crm)
        states = GaugeMetricFamily(
            "engage_jobs", "Jobs by status, from the store.", labels=["status"]
        )
        for state in JOB_STATES:
            states.add_metric([state], jobs.get(state, 0))
        yield states
        yield GaugeMetricFamily(
            "engage_proposals_waiting", "Proposals waiting for the rep's review.", value=waiting
        )
        yield GaugeMetricFamily(
            "engage_proposal_oldest_waiting_seconds",
            "Age of the oldest proposal waiting for review (0 when none waits).",
            value=(now - oldest).total_seconds() if oldest is not None else 0.0,
        )
        since = GaugeMetricFamily(
            "engage_crm_seconds_since_last_sync",
            "Seconds since the connector's last successful sync (write, or job that read it).",
            labels=["crm"],
        )
        if last_sync is not None:
            since.add_metric([crm], (now - last_sync).total_seconds())
        yield since

    def _connector_state(self, crm: CrmReader) -> Iterator[Metric]:
        health = crm_health(crm)
        calls = CounterMetricFamily(
            "engage_crm_api_calls",
            "Requests sent to the CRM's API by this process.",
            labels=["crm"],
        )
        used = GaugeMetricFamily(
            "engage_crm_api_quota_used",
            "API quota used, as the vendor last reported it.",
            labels=["crm", "quota"],
        )
        remaining = GaugeMetricFamily(
            "engage_crm_api_quota_remaining",
            "API quota left, as the vendor last reported it.",
            labels=["crm", "quota"],
        )
        limit = GaugeMetricFamily(
            "engage_crm_api_quota_limit", "The quota's limit.", labels=["crm", "quota"]
        )
        expiry = GaugeMetricFamily(
            "engage_crm_token_expiry_timestamp_seconds",
            "When the connector's OAuth access token expires (Unix time).",
            labels=["crm", "refreshable"],
        )
        if health is not None:
            calls.add_metric([health.system], health.requests_sent)
            for usage in health.usage:
                used.add_metric([health.system, usage.name], usage.used)
                remaining.add_metric([health.system, usage.name], usage.remaining)
                limit.add_metric([health.system, usage.name], usage.limit)
            if health.token_expires_at is not None:
                refreshable = "true" if health.token_refreshable else "false"
                expiry.add_metric([health.system, refreshable], health.token_expires_at.timestamp())
        yield from (calls, used, remaining, limit, expiry)
